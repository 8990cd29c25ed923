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
use std::fmt::Debug;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU16;
use std::rc::Rc;

use arbitrary::{Arbitrary, Unstructured};
use codec::{Decode, Encode};
use codec_fuzz::*;
use libfuzzer_sys::fuzz_target;

/// Decodes `data` as `T` with `decode` and with `explain_with`: both agree;
/// a decoded value re-encodes to `encoded_len` bytes, at most the input's.
fn decode_check<'de, T>(data: &'de [u8]) -> Option<T>
where
    T: Decode<'de> + Encode + PartialEq + Debug,
{
    let v = decode_explained::<T>(data)?;
    let bytes = v
        .to_bytes()
        .unwrap_or_else(|e| panic!("decoded value does not encode: {e}\n{v:?}"));
    assert_eq!(bytes.len(), v.encoded_len(), "encoded_len of {v:?}");
    assert!(bytes.len() <= data.len(), "re-encoding longer: {v:?}");
    Some(v)
}

/// `bytes` (an encoding of `v`) decodes to a value equal to `v`.
fn redecode<'b, T>(v: &T, bytes: &'b [u8])
where
    T: Decode<'b> + PartialEq + Debug,
{
    let again = T::from_bytes(bytes)
        .unwrap_or_else(|e| panic!("encoding does not decode: {e}\n{v:?}\n{bytes:02x?}"));
    assert_eq!(&again, v, "round trip");
}

/// [`decode_check`], then the re-encoding decodes to an equal value.
macro_rules! decode_round {
    ($data:expr, $($t:ty),+) => {$(
        if let Some(v) = decode_check::<$t>($data) {
            redecode(&v, &v.to_bytes().unwrap());
        }
    )+};
}

/// Encodes an arbitrary `v`: a failed encode leaves the buffer as it was; a
/// successful one takes `encoded_len` bytes that decode to `v`; a
/// `StdTypes` frame explains without a problem.
fn round_trip<T: Encode + Debug>(v: &T, check: impl FnOnce(&[u8])) {
    let mut buf = vec![0xA5];
    match v.encode(&mut buf) {
        Err(e) => assert_eq!(buf, [0xA5], "a failed encode left bytes behind: {e}"),
        Ok(()) => {
            let bytes = &buf[1..];
            assert_eq!(bytes.len(), v.encoded_len(), "encoded_len of {v:?}");
            check(bytes);
        }
    }
}

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
