//! Decodes arbitrary bytes as each tutorial message and as the complex
//! derived types. The first byte picks the type; the rest is the input.
//!
//! Whatever decodes must re-encode to exactly `encoded_len` bytes that
//! decode to the same value: the same bytes for the tutorial messages
//! (fixed-width prefixes: one encoding per value), no more bytes for the
//! types with base-128 integers (which accept overlong encodings). A strict
//! prefix of a tutorial message is always "need more bytes". `explain_with`
//! must agree with `decode`. Errors must point inside the input.
#![no_main]

use codec::{Decode, Encode, Explainer, Reader};
use codec_fuzz::*;
use libfuzzer_sys::fuzz_target;

/// Decodes with `explain_with` too, and checks it agrees with `decode`.
fn check_explain<'de, T: Decode<'de> + std::fmt::Debug>(data: &'de [u8], decoded: Option<&T>) {
    let mut ex = Explainer::new();
    let mut r = Reader::new(data);
    let explained =
        T::explain_with(&mut r, codec::Endian::Big, &mut ex).and_then(|v| r.finish().map(|()| v));
    let _ = ex.render();
    match (explained, decoded) {
        (Ok(a), Some(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "explain_with"),
        (Err(e), None) => check_error(&e, data),
        (a, b) => panic!("explain_with and decode disagree: {a:?} vs {b:?}"),
    }
}

fn tutorial<'de, T>(data: &'de [u8])
where
    T: Decode<'de> + codec::Encode + std::fmt::Debug,
{
    let v = check_decode::<T>(data, Canon::Exact);
    if v.is_some() {
        check_prefixes::<T>(data);
    }
    check_explain(data, v.as_ref());
}

fuzz_target!(|input: &[u8]| {
    let Some((&which, data)) = input.split_first() else {
        return;
    };
    match which % 8 {
        0 => tutorial::<StoreRequest>(data),
        1 => tutorial::<StoreResponse>(data),
        2 => tutorial::<FetchRequest>(data),
        3 => tutorial::<FetchResponse>(data),
        4 | 5 => {
            let v = check_decode::<Complex<'_>>(data, Canon::Shortest);
            if let Some(v) = &v {
                check_redecode(v, &v.to_bytes().unwrap());
            }
            check_explain(data, v.as_ref());
        }
        6 => {
            let v = check_decode::<Cmd<'_>>(data, Canon::Shortest);
            if let Some(v) = &v {
                check_redecode(v, &v.to_bytes().unwrap());
            }
            check_explain(data, v.as_ref());
        }
        _ => {
            // Nested types on their own, and a sequence of them.
            let v = check_decode::<Inner>(data, Canon::Exact);
            check_explain(data, v.as_ref());
            let v = check_decode::<Vec<Point>>(data, Canon::Shortest);
            if let Some(v) = &v {
                check_redecode(v, &codec::Encode::to_bytes(v).unwrap());
            }
            let _ = check_decode::<(Shape, Status, Kind)>(data, Canon::Shortest);
        }
    }
});
