//! Context (`ctx`), variants chosen by a context value (`id_from`) and id
//! patterns, through [`CtxRecord`] and [`CtxOpcode`].
//!
//! The first byte picks the check; the rest is the input:
//! - decoding arbitrary bytes never panics; an error points inside the
//!   input; whatever decodes re-encodes to exactly the input (every prefix
//!   here is fixed-width) and `explain_with` agrees with `decode`; a few
//!   strict prefixes are incomplete-input errors;
//! - an `arbitrary` value either fails to encode (a variant its TYPE does
//!   not select, a length RDLENGTH contradicts, a packet identifier the QoS
//!   does not call for, an id outside its pattern), leaving the buffer as
//!   it was, or encodes to `encoded_len` bytes that decode to it;
//! - a frame of either explains without a problem.
#![no_main]

use std::fmt::Debug;

use arbitrary::{Arbitrary, Unstructured};
use codec::{Decode, Encode, Explainer, Reader};
use codec_fuzz::*;
use libfuzzer_sys::fuzz_target;

/// [`check_decode`] (exact re-encoding), `explain_with` agreeing with it,
/// and strict prefixes incomplete.
fn decode_all<'de, T>(data: &'de [u8])
where
    T: Decode<'de> + Encode + PartialEq + Debug,
{
    let decoded = check_decode::<T>(data, Canon::Exact);
    let mut ex = Explainer::new();
    let mut r = Reader::new(data);
    let explained =
        T::explain_with(&mut r, codec::Endian::Big, &mut ex).and_then(|v| r.finish().map(|()| v));
    let _ = ex.render();
    match (&decoded, explained) {
        (Some(a), Ok(b)) => assert_eq!(a, &b, "explain_with"),
        (None, Err(e)) => check_error(&e, data),
        (a, b) => panic!("explain_with and decode disagree: {a:?} vs {b:?}"),
    }
    if decoded.is_some() {
        check_prefixes::<T>(data);
    }
}

/// Encodes `v`: a failure leaves the buffer as it was; a success decodes
/// back to `v` and explains in a frame.
fn round_trip<T>(v: &T, frame: impl FnOnce(T) -> CtxFrames)
where
    T: for<'de> Decode<'de> + Encode + PartialEq + Debug + Clone,
{
    let mut buf = vec![0xA5];
    match v.encode(&mut buf) {
        Err(e) => assert_eq!(buf, [0xA5], "a failed encode left bytes behind: {e}"),
        Ok(()) => {
            let bytes = &buf[1..];
            assert_eq!(bytes.len(), v.encoded_len(), "encoded_len of {v:?}");
            check_redecode(v, bytes);
            let framed = codec::frame::frame_bytes(&frame(v.clone())).expect("a frame");
            let dump = codec::explain::<CtxFrames>(&framed);
            assert!(!explain_reports_problem(&dump), "{dump}");
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&which, data)) = input.split_first() else {
        return;
    };
    match which % 4 {
        0 => decode_all::<CtxRecord>(data),
        1 => decode_all::<CtxOpcode>(data),
        2 => {
            if let Ok(v) = CtxRecord::arbitrary(&mut Unstructured::new(data)) {
                round_trip(&v, CtxFrames::CtxRecord);
            }
        }
        _ => {
            if let Ok(v) = CtxOpcode::arbitrary(&mut Unstructured::new(data)) {
                round_trip(&v, CtxFrames::CtxOpcode);
            }
        }
    }
});
