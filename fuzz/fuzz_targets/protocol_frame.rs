//! Whole frames of two derived protocols from arbitrary bytes:
//! `Storage` (the tutorial's four messages, `StdHeader`, unknown ids are
//! errors) and `Mixed` (`WideHeader`, borrowed messages, an `other`
//! variant). For each: `from_bytes` (one frame, exactly), `explain` (never
//! panics; reports a problem exactly when `from_bytes` fails), and a run of
//! frames read one after another from one reader. Decoded frames re-encode
//! to their own bytes (`Storage`) or to no more bytes (`Mixed`, which holds
//! base-128 integers). Known ids name their message, an `other` frame is
//! named `RawFrame::NAME` (finding F2 in docs/RELIABILITY.md, fixed).
#![no_main]

use codec::{StdHeader, WideHeader};
use codec_fuzz::stream::check_header;
use codec_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    check_one_frame::<Storage>(data, Canon::Exact);
    check_one_frame::<Mixed<'_>>(data, Canon::Shortest);
    check_header::<StdHeader>(data);
    check_header::<WideHeader>(data);
});
