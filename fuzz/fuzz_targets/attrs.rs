//! The layout keys of issue 12's first part through [`Attrs`] (odd integer
//! widths, magic, length arithmetic, nullable lengths, terminated and
//! fixed-size fields, assertions, conversions).
//!
//! The first byte picks the check; the rest is the input:
//! - decoding arbitrary bytes (as a body and as a whole frame) never
//!   panics; an error points inside the input; whatever decodes
//!   re-encodes to exactly `encoded_len` bytes (no more than the input:
//!   LEB128 lengths accept overlong forms, `size` fields may hold trailing
//!   pad bytes the decoder strips) that decode to an equal value;
//!   `explain_with` agrees with `decode`;
//! - an `arbitrary` value either fails to encode (a terminator inside a
//!   value, a failed assertion or conversion, a value too wide for its
//!   bytes), leaving the buffer as it was, or encodes to `encoded_len`
//!   bytes that decode to an equal value and explain without a problem.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use codec_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&which, data)) = input.split_first() else {
        return;
    };
    match which % 3 {
        0 => decode_round!(data, Attrs<'_>),
        1 => {
            let _ = check_one_frame::<AttrsFrames>(data, Canon::Shortest);
        }
        _ => {
            let mut u = Unstructured::new(data);
            if let Ok(v) = Attrs::arbitrary(&mut u) {
                round_trip(&v, |bytes| {
                    redecode(&v, bytes);
                    let frame = codec::frame::frame_bytes(&AttrsFrames::Attrs(v.clone()))
                        .expect("the frame of an encodable value");
                    let dump = codec::explain::<AttrsFrames>(&frame);
                    assert!(!explain_reports_problem(&dump), "{dump}");
                });
            }
        }
    }
});
