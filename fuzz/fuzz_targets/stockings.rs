//! Stockings (`codec_examples::stockings`): its `StockingsHeader` (a type
//! bit as the id, little-endian 7-bit length groups) on arbitrary bytes,
//! whole `Stockings` frames and bare `Text`/`Bytes` bodies from arbitrary
//! bytes, and a stream of frames fed to the frame decoder whole and in
//! splits and to the tokio codec (all must agree; a `str` frame that is
//! not UTF-8 is an error for that frame only).
//!
//! Input: see `codec_fuzz::stream::Plan`; mode bits 0-1 pick what the
//! stream is also decoded as (whole frame, body, header, all three).
//! Re-encoded frames may be shorter than the input, never longer: the
//! header accepts zero high length groups.
#![no_main]

use codec::Encode;
use codec_examples::stockings::{Bytes, Stockings, StockingsHeader, Text};
use codec_fuzz::stream::{check_frames, check_header, check_messages, Plan};
use codec_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some(plan) = Plan::parse(input) else {
        return;
    };
    let data = plan.stream;
    let mode = plan.mode & 3;
    if mode == 0 || mode == 3 {
        if let Some(m) = check_one_frame::<Stockings>(data, Canon::Shortest) {
            assert_eq!(m.as_bytes(), &data[data.len() - m.as_bytes().len()..]);
        }
    }
    if mode == 1 || mode == 3 {
        if let Some(t) = check_decode::<Text>(data, Canon::Exact) {
            check_redecode(&t, &t.to_bytes().unwrap());
        }
        let b = check_decode::<Bytes>(data, Canon::Exact).expect("any bytes are a Bytes body");
        assert_eq!(b.data, data);
    }
    if mode == 2 || mode == 3 {
        check_header::<StockingsHeader>(data);
    }
    check_frames::<StockingsHeader>(&plan);
    check_messages::<Stockings>(&plan);
});
