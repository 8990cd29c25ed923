//! The std types of `codec::std_types`, through [`StdTypes`] (every one of
//! them in a derived message) and on their own.
//!
//! The first byte picks the check; the rest is the input:
//! - decoding arbitrary bytes never panics; an error points inside the
//!   input; whatever decodes re-encodes to exactly `encoded_len` bytes (no
//!   more than the input: LEB128 counts accept overlong forms) that decode
//!   to an equal value; `explain_with` agrees with `decode`;
//! - an `arbitrary` value encodes to `encoded_len` bytes that decode to an
//!   equal value (or fails to encode, leaving the buffer as it was).
//!
//! Values are compared with `PartialEq`, not by their bytes: `HashMap` and
//! `HashSet` are written in iteration order.
#![no_main]

use std::collections::{BTreeSet, HashMap};
use std::ffi::CString;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU16;
use std::rc::Rc;

use arbitrary::{Arbitrary, Unstructured};
use codec_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&which, data)) = input.split_first() else {
        return;
    };
    match which % 6 {
        0 | 1 => decode_round!(data, StdTypes<'_>),
        2 => {
            let _ = check_one_frame::<StdFrames>(data, Canon::Shortest);
        }
        3 => {
            // Std types on their own. `Rc` is not `Send`, so not in a
            // protocol's message.
            decode_round!(
                data,
                Vec<(NonZeroU16, IpAddr)>,
                BTreeSet<CString>,
                HashMap<u8, SocketAddr>,
                (Rc<str>, Rc<[u16]>, Rc<NonZeroU16>)
            );
        }
        4 => {
            let mut u = Unstructured::new(data);
            if let Ok(v) = StdTypes::arbitrary(&mut u) {
                round_trip(&v, |bytes| {
                    redecode(&v, bytes);
                    let frame = codec::frame::frame_bytes(&StdFrames::StdTypes(v.clone()))
                        .expect("the frame of an encodable value");
                    let dump = codec::explain::<StdFrames>(&frame);
                    assert!(!explain_reports_problem(&dump), "{dump}");
                });
            }
        }
        _ => {
            let mut u = Unstructured::new(data);
            type Bare = (
                Vec<(NonZeroU16, IpAddr)>,
                HashMap<u8, SocketAddr>,
                Rc<[u16]>,
            );
            if let Ok(v) = Bare::arbitrary(&mut u) {
                round_trip(&v, |bytes| redecode(&v, bytes));
            }
        }
    }
});
