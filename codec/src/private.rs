//! Support for generated code only. Not public API: anything here may
//! change in any release.

pub use alloc::vec::Vec;
pub use core::clone::Clone;
pub use core::default::Default;
pub use core::option::Option::{self, None, Some};
pub use core::result::Result::{self, Err, Ok};
pub use core::{panic, stringify, unreachable};

use crate::decode::Reader;
use crate::error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind};
use crate::wire::{Base128, LenPrefix};

/// Integers that may hold another field's length (`len_from`).
pub trait LenInt: Copy {
    /// The length as this integer type, if it fits.
    fn from_len(n: usize) -> Option<Self>;
    /// This integer as a length, if it is one.
    fn to_len(self) -> Option<usize>;
    /// The value, for error messages (negative values wrap).
    fn wire_value(self) -> u128;
}

macro_rules! len_ints {
    ($($t:ty),*) => {$(
        impl LenInt for $t {
            #[inline]
            fn from_len(n: usize) -> Option<Self> {
                <$t>::try_from(n).ok()
            }
            #[inline]
            fn to_len(self) -> Option<usize> {
                usize::try_from(self).ok()
            }
            #[inline]
            fn wire_value(self) -> u128 {
                self as u128
            }
        }
    )*};
}
len_ints!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

/// The value a `len_from` length field must hold for a body of `n`.
#[inline]
pub fn len_field<T: LenInt>(n: usize, name: &'static str) -> Result<T, EncodeError> {
    T::from_len(n).ok_or_else(|| {
        EncodeError::new(EncodeErrorKind::LengthOverflow {
            len: n as u64,
            prefix: name,
            max: max_len::<T>(),
        })
    })
}

fn max_len<T: LenInt>() -> u64 {
    // Binary search for the largest length the type holds; cold path only.
    let (mut lo, mut hi) = (0u64, u64::MAX);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if usize::try_from(mid).ok().and_then(T::from_len).is_some() {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

/// The body length a `len_from` field read from the wire declares.
#[inline]
pub fn len_value<T: LenInt>(v: T, offset: usize) -> Result<usize, DecodeError> {
    v.to_len().ok_or_else(|| {
        DecodeError::new(
            DecodeErrorKind::IntegerOutOfRange {
                value: v.wire_value(),
                target: "usize",
            },
            offset,
        )
    })
}

/// Encoded size of a base-128 integer.
#[inline]
pub fn base128_len<T: Base128>(v: &T) -> usize {
    crate::wire::base128_len(v.to_base128())
}

/// Error for an `Option` whose presence disagrees with its `when`.
#[cold]
pub fn when_mismatch(expected_present: bool) -> EncodeError {
    let (expected, actual) = if expected_present {
        ("present", "absent")
    } else {
        ("absent", "present")
    };
    EncodeError::new(EncodeErrorKind::WhenMismatch { expected, actual })
}

/// Error for an unknown enum discriminant.
#[cold]
pub fn invalid_discriminant(value: u64, offset: usize) -> DecodeError {
    DecodeError::new(DecodeErrorKind::InvalidDiscriminant(value), offset)
}

/// Reads an inline length prefix.
#[inline]
pub fn read_len(
    r: &mut Reader<'_>,
    prefix: LenPrefix,
    order: crate::wire::Endian,
) -> Result<usize, DecodeError> {
    prefix.read(r, order)
}

pub use crate::wire::{read_base128, write_base128};
pub use crate::{decode::DecodeSeq, encode::EncodeSeq};
pub use core::convert::{From, TryFrom};
pub use core::future::Future;
pub use core::marker::{Send, Sync};

/// Reads an `Option` presence byte.
#[inline]
pub fn read_presence(r: &mut Reader<'_>) -> Result<bool, DecodeError> {
    match r.byte()? {
        0 => Ok(false),
        1 => Ok(true),
        b => Err(DecodeError::new(
            DecodeErrorKind::InvalidPresence(b),
            r.offset() - 1,
        )),
    }
}

/// Adds the field to an encode error's path.
#[inline(always)]
pub fn encode_ctx(
    r: Result<(), EncodeError>,
    ty: &'static str,
    field: &'static str,
) -> Result<(), EncodeError> {
    match r {
        Ok(()) => Ok(()),
        Err(e) => Err(e.in_field(ty, field)),
    }
}

/// Adds the field to a decode error's path.
#[inline(always)]
pub fn decode_ctx<T>(
    r: Result<T, DecodeError>,
    ty: &'static str,
    field: &'static str,
) -> Result<T, DecodeError> {
    match r {
        Ok(v) => Ok(v),
        Err(e) => Err(e.in_field(ty, field)),
    }
}

/// Integers that can be a `#[codec(tag)]` (non-negative values only).
pub trait TagInt: Copy {
    /// The largest tag the type holds.
    const TAG_MAX: u64;
    /// The tag as `u64`.
    fn to_tag(self) -> u64;
    /// Back from `u64`, if it fits.
    fn from_tag(tag: u64) -> Option<Self>;
}

macro_rules! tag_ints {
    ($($t:ty),*) => {$(
        impl TagInt for $t {
            const TAG_MAX: u64 = if (<$t>::MAX as u128) > u64::MAX as u128 { u64::MAX } else { <$t>::MAX as u64 };
            #[inline]
            fn to_tag(self) -> u64 {
                self as u64
            }
            #[inline]
            fn from_tag(tag: u64) -> Option<Self> {
                <$t>::try_from(tag).ok()
            }
        }
    )*};
}
tag_ints!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

/// Whether a message id fits a header's id field (a function, so the
/// comparison is not linted as absurd when an id is 0).
pub const fn id_fits(id: u64, max: u64) -> bool {
    id <= max
}

/// Whether two variants share an id.
pub const fn same_id(a: u64, b: u64) -> bool {
    a == b
}
