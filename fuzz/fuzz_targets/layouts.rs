//! Padding, alignment, fixed-size types, computed fields (`calc`,
//! `checksum`) and wire-only fields, in derived types of their own.
//!
//! The first byte picks the type and the check; the rest is the input:
//! - decoding arbitrary bytes never panics; an error points inside the
//!   input; `explain_with` agrees with `decode`; a decoded value re-encodes
//!   to `encoded_len` bytes (as long as the input: the layouts are fixed
//!   apart from their lengths) that decode to the value with its computed
//!   fields recomputed;
//! - an `arbitrary` value encodes to `encoded_len` bytes that decode to it
//!   with its computed fields recomputed (or fails to encode, leaving the
//!   buffer as it was).
#![no_main]

use std::fmt::Debug;

use arbitrary::{Arbitrary, Unstructured};
use codec::{Decode, Encode};
use codec_fuzz::decode_explained;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Clone, PartialEq, Arbitrary, Encode, Decode)]
struct Aligned {
    kind: u8,
    #[codec(align = 4)]
    value: u32,
    #[codec(pad_before = 2, pad = 0xff, pad_check)]
    flags: u16,
    #[codec(len = u8, pad_after = 1)]
    name: String,
    #[codec(align = 8, pad = 0x20, pad_check)]
    tail: u64,
}

#[derive(Debug, Clone, PartialEq, Arbitrary, Encode, Decode)]
#[codec(magic = b"R", size = 16, pad = 0x2e, pad_check)]
struct FixedRecord {
    id: u16,
    #[codec(len = u8)]
    name: String,
}

#[derive(Debug, Clone, PartialEq, Arbitrary, Encode, Decode)]
enum PaddedSlot {
    #[codec(id = 1)]
    Empty,
    #[codec(id = 2)]
    Full {
        #[codec(pad_before = 1, pad_after = 2)]
        value: u16,
    },
}

#[derive(Debug, Clone, PartialEq, Arbitrary, Encode, Decode)]
struct Login {
    #[codec(calc = (u8::from(user.is_some()) << 7) | (u8::from(pass.is_some()) << 6) | (keep & 1))]
    flags: u8,
    keep: u8,
    #[codec(when = flags & 0x80 != 0, len = u16)]
    user: Option<String>,
    #[codec(when = flags & 0x40 != 0, len = u16)]
    pass: Option<Vec<u8>>,
}

use crc32fast::hash as crc32;

fn sum8(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |a, &b| a.wrapping_add(b))
}

#[derive(Debug, Clone, PartialEq, Arbitrary, Encode, Decode)]
struct CrcChunk {
    length: u32,
    kind: [u8; 4],
    #[codec(len_from = length, unit = bytes)]
    data: Vec<u8>,
    #[codec(checksum = crc32, from = kind)]
    crc: u32,
    #[codec(checksum = sum8, from = crc)]
    sum: u8,
}

#[derive(Debug, Clone, PartialEq, Arbitrary, Encode, Decode)]
struct Versioned {
    #[codec(wire = u8, value = 2)]
    version: (),
    body: u16,
    #[codec(wire = u16, value = 0, unchecked)]
    reserved: (),
    #[codec(wire = u32, bytes = 3, value = 0x00ab_cdef)]
    tag: std::marker::PhantomData<u8>,
}

/// A value as decode gives it back after encode: computed fields hold
/// what encode wrote.
trait Computed: Sized {
    fn computed(self) -> Self {
        self
    }
}

impl Computed for Aligned {}
impl Computed for FixedRecord {}
impl Computed for PaddedSlot {}
impl Computed for Versioned {}

impl Computed for Login {
    fn computed(mut self) -> Self {
        self.flags = (u8::from(self.user.is_some()) << 7)
            | (u8::from(self.pass.is_some()) << 6)
            | (self.keep & 1);
        self
    }
}

impl Computed for CrcChunk {
    fn computed(mut self) -> Self {
        self.length = self.data.len() as u32;
        let mut covered = self.kind.to_vec();
        covered.extend_from_slice(&self.data);
        self.crc = crc32(&covered);
        self.sum = sum8(&self.crc.to_be_bytes());
        self
    }
}

/// Decodes `data` with `decode` and with `explain_with` (they agree); a
/// decoded value re-encodes to `encoded_len` bytes, as many as it took,
/// that decode to it with its computed fields recomputed.
fn decode_check<T>(data: &[u8])
where
    T: for<'de> Decode<'de> + Encode + PartialEq + Debug + Clone + Computed,
{
    let Some(v) = decode_explained::<T>(data) else {
        return;
    };
    let bytes = v
        .to_bytes()
        .unwrap_or_else(|e| panic!("decoded value does not encode: {e}\n{v:?}"));
    assert_eq!(bytes.len(), v.encoded_len(), "encoded_len of {v:?}");
    assert_eq!(bytes.len(), data.len(), "re-encoding length: {v:?}");
    let again =
        T::from_bytes(&bytes).unwrap_or_else(|e| panic!("re-encoding does not decode: {e}\n{v:?}"));
    assert_eq!(again, v.clone().computed(), "round trip");
}

/// Encodes an arbitrary value: a failed encode leaves the buffer as it
/// was; a successful one takes `encoded_len` bytes, decodes to the value
/// with its computed fields recomputed, and every strict prefix is "need
/// more bytes".
fn round_trip<T>(u: &mut Unstructured<'_>)
where
    T: for<'a> Arbitrary<'a> + for<'de> Decode<'de> + Encode + PartialEq + Debug + Computed,
{
    let Ok(v) = T::arbitrary(u) else { return };
    let mut buf = vec![0xA5];
    match v.encode(&mut buf) {
        Err(e) => assert_eq!(buf, [0xA5], "a failed encode left bytes behind: {e}"),
        Ok(()) => {
            let bytes = &buf[1..];
            assert_eq!(bytes.len(), v.encoded_len(), "encoded_len of {v:?}");
            let again = T::from_bytes(bytes)
                .unwrap_or_else(|e| panic!("encoding does not decode: {e}\n{v:?}"));
            assert_eq!(again, v.computed(), "round trip");
            for cut in [0, bytes.len() / 2, bytes.len().saturating_sub(1)] {
                if cut < bytes.len() {
                    let e = T::from_bytes(&bytes[..cut]).expect_err("a strict prefix decoded");
                    assert!(e.is_incomplete(), "prefix of {cut} bytes: {e}");
                }
            }
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&which, data)) = input.split_first() else {
        return;
    };
    let mut u = Unstructured::new(data);
    match which % 12 {
        0 => decode_check::<Aligned>(data),
        1 => decode_check::<FixedRecord>(data),
        2 => decode_check::<PaddedSlot>(data),
        3 => decode_check::<Login>(data),
        4 => decode_check::<CrcChunk>(data),
        5 => decode_check::<Versioned>(data),
        6 => round_trip::<Aligned>(&mut u),
        7 => round_trip::<FixedRecord>(&mut u),
        8 => round_trip::<PaddedSlot>(&mut u),
        9 => round_trip::<Login>(&mut u),
        10 => round_trip::<CrcChunk>(&mut u),
        _ => round_trip::<Versioned>(&mut u),
    }
});
