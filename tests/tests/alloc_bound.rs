//! Hostile lengths cannot make the decoder allocate.
//!
//! What this proves: a counting `#[global_allocator]` records the size of
//! the largest single allocation *requested* (granted or not) on the
//! current thread. For each shape below (a `String`, `Vec<u8>`, `Vec<u32>`,
//! `Vec<String>`, ... behind a `u32`, `u64`, `varint`, `len_from` or
//! default length), an 8-byte input whose length claims up to 4 GiB and
//! more:
//! - is an error, and
//! - the largest allocation requested while decoding it is no larger than
//!   for a claim of 9 (just more than an 8-byte input can hold), and
//!   exactly the same for fixed-width prefixes: it does not depend on the
//!   claimed length at all, only on the bytes really there, and
//! - it is under 256 bytes: the boxed error value plus, for vectors, a
//!   capacity bounded by the few bytes the input really has.
//!
//! So the decoder checks a length against the remaining input before it
//! allocates for it; a decoder that trusted the prefix would request
//! gigabytes here (and abort the process, or pass unnoticed under
//! overcommit; this test catches both since it records the request).
//!
//! The second half does the same for frames: a frame whose header declares
//! more than the limit is rejected from the header alone, and the counter
//! (bytes requested on this thread) shows that nothing beyond the header's
//! own bytes was allocated.

use bytes::Bytes;
use codec::{Decode, DecodeError, FrameDecoder, FrameError, StdHeader, WideHeader};
use codec_tests::alloc::{largest_during, requested_by, Counting};
use codec_tests::shapes;
use codec_tests::tutorial::Storage;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// How the length is written in front of the body.
#[derive(Clone, Copy, Debug)]
enum Prefix {
    U32,
    U64,
    Varint,
}

/// An 8-byte input: the claimed length under `prefix`, then `a`s up to 8.
fn input(prefix: Prefix, claim: u64) -> Vec<u8> {
    let mut out = match prefix {
        Prefix::U32 => u32::try_from(claim).unwrap().to_be_bytes().to_vec(),
        Prefix::U64 => claim.to_be_bytes().to_vec(),
        Prefix::Varint => {
            let mut v = Vec::new();
            codec::wire::write_varint(claim, &mut v);
            v
        }
    };
    assert!(out.len() <= 8);
    out.resize(8, b'a');
    out
}

shapes! {
    StrU32: String => (len = u32);
    StrU64: String => (len = u64);
    StrVarint: String => (len = varint);
    BytesU32: Vec<u8> => (len = u32);
    BytesU64: Vec<u8> => (len = u64);
    BytesVarint: Vec<u8> => (len = varint);
    WordsU32: Vec<u32> => (len = u32);
    WordsU64: Vec<u32> => (len = u64);
    WordsVarint: Vec<u32> => (len = varint);
    WordsBytesU32: Vec<u32> => (len = u32, unit = bytes);
    StringsU32: Vec<String> => (len = u32);
    StringsU64: Vec<String> => (len = u64);
    StringsVarint: Vec<String> => (len = varint);
    NestedU32: Vec<Vec<u8>> => (len = u32);
    BufU32: Bytes => (len = u32);
}

/// `len_from` a `u32` holder.
#[derive(Debug, Decode)]
#[allow(dead_code, reason = "only decoded")]
struct WordsFrom {
    n: u32,
    #[codec(len_from = n)]
    v: Vec<u32>,
}

/// Default (LEB128) lengths, no attribute.
#[derive(Debug, Decode)]
#[allow(dead_code, reason = "only decoded")]
struct Defaults {
    v: Vec<String>,
}

const GIB4: u64 = 1 << 32;

/// Decodes each claim as `T` and checks the bound; returns the largest
/// allocation for a claim of 9.
fn check<T: for<'de> Decode<'de> + std::fmt::Debug>(prefix: Prefix, claims: &[u64]) -> usize {
    let name = std::any::type_name::<T>();
    let (small, small_max) = largest_during(|| T::from_bytes(&input(prefix, 9)));
    assert!(small.is_err(), "{name}: a claim of 9 in 8 bytes decoded");
    for &claim in claims {
        let bytes = input(prefix, claim);
        let (result, max): (Result<T, DecodeError>, usize) =
            largest_during(|| T::from_bytes(&bytes));
        let err = result.expect_err("a huge claim decoded");
        assert!(
            max < 256,
            "{name} claiming {claim} in {bytes:02X?}: allocated {max} bytes ({err})"
        );
        assert!(
            max <= small_max,
            "{name}: claiming {claim} allocated {max} bytes, claiming 9 allocated {small_max} ({err})"
        );
        // With a fixed-width prefix the input left after it is the same for
        // every claim, and so is every allocation. (A longer varint leaves
        // fewer bytes, so it may allocate less.)
        if !matches!(prefix, Prefix::Varint) {
            assert_eq!(max, small_max, "{name}: claiming {claim} ({err})");
        }
    }
    small_max
}

#[test]
fn huge_lengths_allocate_nothing_for_them() {
    let u32_claims = [0xFFFF, 0xFFFF_FFFF];
    let wide_claims = [0xFFFF, GIB4, 1 << 40];
    let u64_claims = [0xFFFF, GIB4, 1 << 40, u64::MAX >> 1, u64::MAX];

    let mut report = Vec::new();
    macro_rules! run {
        ($($ty:ty, $prefix:expr, $claims:expr;)*) => {$(
            report.push((stringify!($ty), check::<$ty>($prefix, &$claims)));
        )*};
    }
    run! {
        StrU32, Prefix::U32, u32_claims;
        StrU64, Prefix::U64, u64_claims;
        StrVarint, Prefix::Varint, wide_claims;
        BytesU32, Prefix::U32, u32_claims;
        BytesU64, Prefix::U64, u64_claims;
        BytesVarint, Prefix::Varint, wide_claims;
        WordsU32, Prefix::U32, u32_claims;
        WordsU64, Prefix::U64, u64_claims;
        WordsVarint, Prefix::Varint, wide_claims;
        WordsBytesU32, Prefix::U32, u32_claims;
        StringsU32, Prefix::U32, u32_claims;
        StringsU64, Prefix::U64, u64_claims;
        StringsVarint, Prefix::Varint, wide_claims;
        NestedU32, Prefix::U32, u32_claims;
        BufU32, Prefix::U32, u32_claims;
        WordsFrom, Prefix::U32, u32_claims;
        Defaults, Prefix::Varint, wide_claims;
    }
    eprintln!("largest allocation per shape: {report:?}");
}

/// The error for a 4 GiB string is the plain truncation error: exactly how
/// many bytes the claim would need.
#[test]
fn huge_length_error_is_exact() {
    let bytes = input(Prefix::U32, 0xFFFF_FFFF);
    let e = StrU32::from_bytes(&bytes).unwrap_err();
    assert_eq!(e.bytes_needed(), Some(0xFFFF_FFFF - 4));
    assert_eq!(
        e.to_string(),
        "unexpected end of input (need 4294967295 bytes, have 4) at byte 4 in StrU32.v"
    );
}

/// The counter works: a real 1000-byte body is one allocation of at least
/// 1000 bytes.
#[test]
fn counter_sees_real_allocations() {
    let mut bytes = 1000u32.to_be_bytes().to_vec();
    bytes.extend_from_slice(&[7; 1000]);
    let (v, max) = largest_during(|| BytesU32::from_bytes(&bytes).unwrap());
    assert_eq!(v.v.len(), 1000);
    assert!(max >= 1000, "{max}");
}

// ## Frames: an oversize header allocates only the header

/// The smallest allocation a `Vec<u8>` makes when it first grows.
const VEC_MIN: usize = 8;

#[test]
fn oversize_wide_header_allocates_only_the_header() {
    // id 0x0001 | len 0xFFFF_FFFF (4 GiB), over the 16 MiB default limit
    let header = [0x00, 0x01, 0xFF, 0xFF, 0xFF, 0xFF];
    let mut d = FrameDecoder::<WideHeader>::new();
    let (err, bytes) = requested_by(|| {
        d.push(&header);
        d.next_frame().map(|f| f.is_some())
    });
    assert!(matches!(
        err,
        Err(FrameError::TooLarge {
            len: 0xFFFF_FFFF,
            max: 0x0100_0000
        })
    ));
    assert!(
        bytes <= header.len().max(VEC_MIN),
        "allocated {bytes} bytes"
    );
}

#[test]
fn oversize_found_byte_by_byte_allocates_only_the_header() {
    // 16 MiB + 1: one byte over the default limit.
    let header = [0x00, 0x01, 0x01, 0x00, 0x00, 0x01];
    let mut d = FrameDecoder::<WideHeader>::new();
    let (result, bytes) = requested_by(|| {
        for (i, b) in header.iter().enumerate() {
            d.push(&[*b]);
            let next = d.next_frame().map(|f| f.is_some());
            if i + 1 < header.len() {
                assert!(matches!(next, Ok(false)));
            } else {
                return next;
            }
        }
        unreachable!()
    });
    assert!(matches!(result, Err(FrameError::TooLarge { .. })));
    assert!(bytes <= VEC_MIN, "allocated {bytes} bytes");
}

#[test]
fn oversize_std_header_under_a_small_limit() {
    // id 01 | len FFFF, limit 100
    let mut d = FrameDecoder::<StdHeader>::new().with_max_frame_len(100);
    let (result, bytes) = requested_by(|| {
        d.push(&[0x01, 0xFF, 0xFF]);
        d.next_frame().map(|f| f.is_some())
    });
    assert!(matches!(
        result,
        Err(FrameError::TooLarge {
            len: 0xFFFF,
            max: 100
        })
    ));
    assert!(bytes <= VEC_MIN, "allocated {bytes} bytes");
}

#[test]
fn the_counter_sees_a_body_reservation_within_the_limit() {
    // The same decoder reserves the body once the header passes the limit:
    // proof that the counter would have seen a reservation above.
    let mut d = FrameDecoder::<WideHeader>::new();
    let (result, bytes) = requested_by(|| {
        d.push(&[0x00, 0x01, 0x00, 0x10, 0x00, 0x00]); // 1 MiB
        d.next_frame().map(|f| f.is_some())
    });
    assert!(matches!(result, Ok(false)));
    assert!(bytes >= 1 << 20, "allocated {bytes} bytes");
    assert_eq!(d.needed(), 1 << 20);
}

#[test]
fn whole_frame_decode_allocates_nothing_for_a_hostile_length() {
    // StoreRequest header declaring 65,535 payload bytes, then 5 bytes.
    let input = [0x01, 0xFF, 0xFF, 0x07, 0x03, b'k', b'e', b'y'];
    let (result, bytes) = requested_by(|| Storage::from_bytes(&input).map(|_| ()));
    let err = result.unwrap_err();
    assert_eq!(err.bytes_needed(), Some(0xFFFF - 5));
    // Only the boxed error itself.
    assert!(bytes < 256, "allocated {bytes} bytes");
}

#[test]
fn tokio_codec_rejects_oversize_before_reserving() {
    use bytes::BytesMut;
    use codec::tokio::ProtocolCodec;
    use tokio_util::codec::Decoder;

    let mut codec = ProtocolCodec::<Storage>::new().with_max_frame_len(16);
    let mut buf = BytesMut::with_capacity(3);
    buf.extend_from_slice(&[0x01, 0xFF, 0xFF]);
    let (result, bytes) = requested_by(|| codec.decode(&mut buf).map(|m| m.is_some()));
    assert!(matches!(
        result,
        Err(FrameError::TooLarge {
            len: 0xFFFF,
            max: 16
        })
    ));
    assert_eq!(bytes, 0, "allocated {bytes} bytes");
}
