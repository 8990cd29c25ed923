//! encode → decode over `arbitrary` values of every fuzz type and of whole
//! frames of both protocols.
//!
//! A value either fails to encode (a length over its prefix, a `when`
//! condition that disagrees with its `Option`, an `other` value holding a
//! claimed id) leaving the buffer as it was, or encodes to exactly
//! `encoded_len` bytes that decode back to the same value (after the
//! fix-ups encoding is documented to make: `len_from` fields hold the real
//! length) and encode again to the same bytes.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use codec::{Decode, Encode, Protocol};
use codec_fuzz::*;
use libfuzzer_sys::fuzz_target;
use std::fmt::Debug;

/// Round-trips `v`; `expect` is what decoding must give back.
fn round<'de, T>(v: &T, expect: &T, keep: &'de mut Vec<u8>)
where
    T: Decode<'de> + Encode + Debug,
{
    let mut buf = vec![0xA5];
    match v.encode(&mut buf) {
        Err(e) => {
            assert_eq!(buf, [0xA5], "a failed encode left bytes behind: {e}");
            assert!(v.to_bytes().is_err(), "encode failed, to_bytes did not");
        }
        Ok(()) => {
            *keep = buf.split_off(1);
            assert_eq!(keep.len(), v.encoded_len(), "encoded_len of {v:?}");
            let back = T::from_bytes(keep)
                .unwrap_or_else(|e| panic!("encoding does not decode: {e}\n{v:?}\n{keep:02x?}"));
            assert_eq!(format!("{back:?}"), format!("{expect:?}"), "round trip");
            assert_eq!(&back.to_bytes().unwrap(), keep, "second encoding differs");
        }
    }
}

/// Same, for whole frames of a protocol.
fn round_frame<'de, P>(p: &P, keep: &'de mut Vec<u8>)
where
    P: codec::DecodeProtocol<'de> + Decode<'de> + Encode + Debug,
{
    let mut buf = vec![0x5A];
    match codec::frame::encode_frame(p, &mut buf) {
        Err(e) => {
            assert_eq!(buf, [0x5A], "a failed frame encode left bytes behind: {e}");
        }
        Ok(()) => {
            *keep = buf.split_off(1);
            assert_eq!(keep.len(), codec::frame::frame_len(p));
            assert_eq!(keep.len(), p.encoded_len());
            let back = P::from_bytes(keep)
                .unwrap_or_else(|e| panic!("frame does not decode: {e}\n{p:?}\n{keep:02x?}"));
            assert_eq!(format!("{back:?}"), format!("{p:?}"), "frame round trip");
            check_protocol_meta(&back);
        }
    }
}

/// What decoding gives back for a `Complex`: `nlen` holds the real length.
fn complex_expect<'a>(v: &Complex<'a>) -> Complex<'a> {
    let mut e = v.clone();
    e.nlen = v.name.len() as u8;
    e
}

/// Makes a `Complex`'s `when` fields agree with `flags`, so most values
/// encode (the disagreeing ones are kept when `keep` is set, to test the
/// error path).
fn align_when(v: &mut Complex<'_>) {
    if (v.flags & 1 != 0) != v.channel.is_some() {
        v.flags ^= 1;
    }
    if (v.flags & 2 != 0) != v.note.is_some() {
        v.flags ^= 2;
    }
}

fn go(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let mut keep = Vec::new();
    match u.int_in_range(0..=8u8)? {
        0 => {
            let v = StoreRequest::arbitrary(u)?;
            round(&v, &v, &mut keep);
        }
        1 => {
            let v = StoreResponse::arbitrary(u)?;
            round(&v, &v, &mut keep);
        }
        2 => {
            let v = FetchRequest::arbitrary(u)?;
            round(&v, &v, &mut keep);
        }
        3 => {
            let v = FetchResponse::arbitrary(u)?;
            round(&v, &v, &mut keep);
        }
        4 | 5 => {
            let mut v = Complex::arbitrary(u)?;
            if !u.ratio(1, 8)? {
                align_when(&mut v);
            }
            round(&v, &complex_expect(&v), &mut keep);
        }
        6 => {
            let v = Cmd::arbitrary(u)?;
            round(&v, &v, &mut keep);
        }
        7 => {
            let v = Storage::arbitrary(u)?;
            round_frame(&v, &mut keep);
        }
        _ => {
            let mut m = Mixed::from(AnyMixed::arbitrary(u)?);
            if let Mixed::Other(raw) = &m {
                if Mixed::name_of(raw.id).is_some() {
                    // Finding F1 (docs/RELIABILITY.md, fixed): an `other`
                    // frame whose id a message claims would decode as that
                    // message, so encoding refuses it, writing nothing.
                    let mut buf = vec![0x5A];
                    assert!(codec::frame::encode_frame(&m, &mut buf).is_err(), "{m:?}");
                    assert_eq!(buf, [0x5A]);
                    return Ok(());
                }
            }
            if let Mixed::Complex(c) = &mut m {
                if !u.ratio(1, 8)? {
                    align_when(c);
                }
                c.nlen = c.name.len() as u8;
            }
            round_frame(&m, &mut keep);
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = go(&mut Unstructured::new(data));
});
