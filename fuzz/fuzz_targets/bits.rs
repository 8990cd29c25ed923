//! Bit fields (`#[codec(bits = N)]`), through the types of
//! `codec_fuzz::bits`.
//!
//! The first byte picks the check; the rest is the input:
//! - decoding arbitrary bytes never panics; an error points inside the
//!   input; `explain_with` agrees with `decode`; whatever decodes
//!   re-encodes to exactly the input (every bit of a run is some field's);
//! - a frame of the three decodes, or fails, as one frame (exact bytes);
//! - an `arbitrary` value (whose integers may not fit their bits) encodes
//!   to `encoded_len` bytes that decode to an equal value, or fails to
//!   encode leaving the buffer as it was; its frame explains without a
//!   problem.
#![no_main]

use std::fmt::Debug;

use arbitrary::{Arbitrary, Unstructured};
use codec::{Decode, Encode, Explainer, Reader};
use codec_fuzz::bits::*;
use codec_fuzz::*;
use libfuzzer_sys::fuzz_target;

/// Decodes `data` as `T` with `decode` and with `explain_with`: both
/// agree; a decoded value re-encodes to exactly `data`.
fn decode_check<'de, T>(data: &'de [u8])
where
    T: Decode<'de> + Encode + PartialEq + Debug,
{
    let decoded = T::from_bytes(data);
    let mut ex = Explainer::new();
    let mut r = Reader::new(data);
    let explained =
        T::explain_with(&mut r, codec::Endian::Big, &mut ex).and_then(|v| r.finish().map(|()| v));
    let _ = ex.render();
    match (&decoded, &explained) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "explain_with"),
        (Err(a), Err(b)) => {
            check_error(a, data);
            check_error(b, data);
            assert_eq!(a, b, "explain_with and decode fail differently");
        }
        (a, b) => panic!("explain_with and decode disagree: {a:?} vs {b:?}"),
    }
    if let Ok(v) = decoded {
        let bytes = v
            .to_bytes()
            .unwrap_or_else(|e| panic!("decoded value does not encode: {e}\n{v:?}"));
        assert_eq!(bytes, data, "re-encoding of {v:?}");
        assert_eq!(bytes.len(), v.encoded_len(), "encoded_len of {v:?}");
    }
}

/// Encodes an arbitrary `v`: a failed encode leaves the buffer as it was;
/// a successful one takes `encoded_len` bytes that decode to `v`, and its
/// frame explains cleanly.
fn round_trip<T>(v: T)
where
    T: Encode + for<'de> Decode<'de> + PartialEq + Debug + Into<BitsFrames>,
{
    let mut buf = vec![0xA5];
    match v.encode(&mut buf) {
        Err(e) => assert_eq!(buf, [0xA5], "a failed encode left bytes behind: {e}"),
        Ok(()) => {
            let bytes = &buf[1..];
            assert_eq!(bytes.len(), v.encoded_len(), "encoded_len of {v:?}");
            let again = T::from_bytes(bytes)
                .unwrap_or_else(|e| panic!("encoding does not decode: {e}\n{v:?}\n{bytes:02x?}"));
            assert_eq!(again, v, "round trip");
            let frame =
                codec::frame::frame_bytes(&v.into()).expect("the frame of an encodable value");
            let dump = codec::explain::<BitsFrames>(&frame);
            assert!(!explain_reports_problem(&dump), "{dump}");
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&which, data)) = input.split_first() else {
        return;
    };
    match which % 5 {
        0 => decode_check::<MsbBits>(data),
        1 => {
            decode_check::<LsbBits>(data);
            decode_check::<BitsEnum>(data);
        }
        2 => {
            let _ = check_one_frame::<BitsFrames>(data, Canon::Exact);
        }
        3 => {
            let mut u = Unstructured::new(data);
            if let Ok(v) = MsbBits::arbitrary(&mut u) {
                round_trip(v);
            }
            if let Ok(v) = BitsEnum::arbitrary(&mut u) {
                round_trip(v);
            }
        }
        _ => {
            let mut u = Unstructured::new(data);
            if let Ok(v) = LsbBits::arbitrary(&mut u) {
                round_trip(v);
            }
        }
    }
});
