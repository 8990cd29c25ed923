//! Shared fixtures for the integration tests in `tests/` (and for the
//! examples' tests, as a dev-dependency):
//! - [`types`]: derived types that between them use every supported type
//!   and every wire attribute of `#[derive(Encode, Decode)]`;
//! - [`tutorial`]: the tutorial's storage messages and protocol, derived;
//! - [`alloc`]: the counting allocator of the allocation-bound tests;
//! - [`strategies`]: proptest strategies for the types;
//! - the assertion helpers the golden, round-trip, hostile and std-types
//!   tests share, and the [`shapes!`] of the allocation-bound tests.

use std::fmt;

use codec::{Decode, DecodeError, DecodeErrorKind, Encode};

pub mod alloc;
pub mod strategies;
pub mod tutorial;
pub mod types;

/// Bytes printed as spaced upper-case hex (`07 03 6B`), so a failed
/// comparison reads like the layout comments above the golden vectors.
#[derive(PartialEq, Eq)]
pub struct Hex<'a>(pub &'a [u8]);

impl fmt::Debug for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{b:02X}")?;
        }
        f.write_str("]")
    }
}

/// Asserts that `value` encodes to exactly `expected`, that `encoded_len`
/// agrees, that `encode` appends without touching what the buffer held, that
/// `expected` decodes back to `value`, and that every strict prefix of
/// `expected` is an exact "need more bytes" error (see [`assert_truncations`]).
pub fn golden<'a, T>(value: &T, expected: &'a [u8])
where
    T: Encode + Decode<'a> + PartialEq + fmt::Debug,
{
    golden_until(value, expected, expected.len());
}

/// [`golden`] for a type whose last field is `rest`: a prefix that reaches
/// `rest_start` decodes successfully (with a shorter rest), since without a
/// frame nothing says where the rest ends.
pub fn golden_rest<'a, T>(value: &T, expected: &'a [u8], rest_start: usize)
where
    T: Encode + Decode<'a> + PartialEq + fmt::Debug,
{
    golden_until(value, expected, rest_start);
}

fn golden_until<'a, T>(value: &T, expected: &'a [u8], complete_from: usize)
where
    T: Encode + Decode<'a> + PartialEq + fmt::Debug,
{
    let bytes = value
        .to_bytes()
        .unwrap_or_else(|e| panic!("{value:?} failed to encode: {e}"));
    assert_eq!(Hex(&bytes), Hex(expected), "to_bytes of {value:?}");
    assert_eq!(
        value.encoded_len(),
        expected.len(),
        "encoded_len of {value:?}"
    );

    let mut buf = vec![0xEE, 0xEE];
    value.encode(&mut buf).expect("encode");
    assert_eq!(Hex(&buf[..2]), Hex(&[0xEE, 0xEE]), "encode kept the buffer");
    assert_eq!(Hex(&buf[2..]), Hex(expected), "encode appended");

    let back = T::from_bytes(expected).unwrap_or_else(|e| panic!("{expected:02X?}: {e}"));
    assert_eq!(&back, value, "from_bytes of {:?}", Hex(expected));

    assert_truncations::<T>(expected, complete_from);
}

/// Checks every strict prefix of a valid encoding `full`.
///
/// A prefix shorter than `complete_from` must fail with an error whose
/// `bytes_needed()` is `Some(n)`, `n > 0`, and `n` must be exact for the
/// read that failed:
/// - with `n - 1` more bytes of `full`, the same read (same offset, same
///   field path) still fails, now needing exactly 1;
/// - with `n` more bytes, decoding gets past that read: it succeeds, or it
///   fails at a later offset.
///
/// A prefix of at least `complete_from` bytes must decode (only types whose
/// last field is `rest` pass `complete_from < full.len()`).
pub fn assert_truncations<'a, T>(full: &'a [u8], complete_from: usize)
where
    T: Decode<'a> + fmt::Debug,
{
    for k in 0..full.len() {
        let prefix = &full[..k];
        let result = T::from_bytes(prefix);
        if k >= complete_from {
            assert!(
                result.is_ok(),
                "prefix {:?} of a rest-terminated value: {result:?}",
                Hex(prefix)
            );
            continue;
        }
        let err = match result {
            Ok(v) => panic!("strict prefix {:?} decoded as {v:?}", Hex(prefix)),
            Err(e) => e,
        };
        let n = match err.bytes_needed() {
            Some(n) if n > 0 => n as usize,
            _ => panic!(
                "prefix {:?}: {err:?} is not `need n > 0 bytes`",
                Hex(prefix)
            ),
        };
        assert!(
            k + n <= full.len(),
            "prefix {:?}: asks for {n} bytes, only {} follow in the full encoding",
            Hex(prefix),
            full.len() - k
        );
        if n > 1 {
            let short = T::from_bytes(&full[..k + n - 1]).expect_err("one byte short");
            assert_eq!(
                (short.offset(), short.path(), short.bytes_needed()),
                (err.offset(), err.path(), Some(1)),
                "prefix {:?} + {} bytes: {short:?} (first: {err:?})",
                Hex(prefix),
                n - 1
            );
        }
        match T::from_bytes(&full[..k + n]) {
            Ok(_) => assert!(k + n >= complete_from, "prefix of {} bytes decoded", k + n),
            Err(next) => assert!(
                next.offset() > err.offset(),
                "prefix {:?} + {n} bytes did not get past {err:?}: {next:?}",
                Hex(prefix)
            ),
        }
    }
}

/// Asserts an error's kind, offset, path and the whole `Display` line.
#[track_caller]
pub fn assert_error(
    e: &DecodeError,
    kind: DecodeErrorKind,
    offset: usize,
    path: &str,
    display: &str,
) {
    assert_eq!(e.kind(), &kind, "{e:?}");
    assert_eq!(e.offset(), offset, "{e:?}");
    assert_eq!(e.path().to_string(), path, "{e:?}");
    assert_eq!(e.to_string(), display);
}

/// One-field structs for the allocation-bound tests: `Name: Type =>
/// (attrs);` declares `struct Name { #[codec attrs] v: Type }`, derived
/// `Debug` and `Decode` (only decoded).
///
/// ```text
/// shapes! {
///     StrU32: String => (len = u32);
///     SetBytesU32: BTreeSet<u32> => (len = u32, unit = bytes);
/// }
/// ```
#[macro_export]
macro_rules! shapes {
    ($($name:ident: $ty:ty => $attr:tt;)*) => {$(
        #[derive(Debug, ::codec::Decode)]
        #[allow(dead_code, reason = "only decoded")]
        struct $name {
            #[codec $attr]
            v: $ty,
        }
    )*};
}
