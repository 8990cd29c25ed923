//! Support for generated code only. Not public API: anything here may
//! change in any release.

pub use alloc::vec::Vec;
pub use core::clone::Clone;
pub use core::default::Default;
pub use core::option::Option::{self, None, Some};
pub use core::result::Result::{self, Err, Ok};
pub use core::{panic, stringify, unreachable};

use crate::error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind};
use crate::reader::Reader;
use crate::wire::Base128;

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
pub use core::marker::{Send, Sized, Sync};

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
pub fn encode_ctx<T>(
    r: Result<T, EncodeError>,
    ty: &'static str,
    field: &'static str,
) -> Result<T, EncodeError> {
    match r {
        Ok(v) => Ok(v),
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

/// Fixed-width scalars the derive packs into one run: consecutive fields
/// (and fixed length prefixes) are written into a stack array appended
/// with one copy, and read from one bounds-checked slice.
pub trait Fixed: Sized {
    /// Bytes on the wire.
    const SIZE: usize;
    /// Writes the value at `*at` in `run` and advances `at`.
    fn put(&self, run: &mut [u8], at: &mut usize, order: crate::wire::Endian);
    /// Reads a value at `*at` in `run` (which starts at input offset
    /// `base`) and advances `at`.
    ///
    /// # Errors
    ///
    /// A `bool` byte other than 0 or 1, a `char` that is not a scalar value.
    fn get(
        run: &[u8],
        at: &mut usize,
        order: crate::wire::Endian,
        base: usize,
    ) -> Result<Self, DecodeError>;
}

macro_rules! fixed_ints {
    ($($t:ty),*) => {$(
        impl Fixed for $t {
            const SIZE: usize = core::mem::size_of::<$t>();
            #[inline(always)]
            fn put(&self, run: &mut [u8], at: &mut usize, order: crate::wire::Endian) {
                let bytes = match order {
                    crate::wire::Endian::Big => self.to_be_bytes(),
                    crate::wire::Endian::Little => self.to_le_bytes(),
                };
                run[*at..*at + Self::SIZE].copy_from_slice(&bytes);
                *at += Self::SIZE;
            }
            #[inline(always)]
            fn get(
                run: &[u8],
                at: &mut usize,
                order: crate::wire::Endian,
                _: usize,
            ) -> Result<Self, DecodeError> {
                let mut bytes = [0u8; core::mem::size_of::<$t>()];
                bytes.copy_from_slice(&run[*at..*at + Self::SIZE]);
                *at += Self::SIZE;
                Ok(match order {
                    crate::wire::Endian::Big => <$t>::from_be_bytes(bytes),
                    crate::wire::Endian::Little => <$t>::from_le_bytes(bytes),
                })
            }
        }
    )*};
}
fixed_ints!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64);

impl Fixed for bool {
    const SIZE: usize = 1;
    #[inline(always)]
    fn put(&self, run: &mut [u8], at: &mut usize, _: crate::wire::Endian) {
        run[*at] = u8::from(*self);
        *at += 1;
    }
    #[inline(always)]
    fn get(
        run: &[u8],
        at: &mut usize,
        _: crate::wire::Endian,
        base: usize,
    ) -> Result<Self, DecodeError> {
        let b = run[*at];
        *at += 1;
        match b {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(DecodeError::new(
                DecodeErrorKind::InvalidBool(b),
                base + *at - 1,
            )),
        }
    }
}

impl Fixed for char {
    const SIZE: usize = 4;
    #[inline(always)]
    fn put(&self, run: &mut [u8], at: &mut usize, order: crate::wire::Endian) {
        u32::from(*self).put(run, at, order);
    }
    #[inline(always)]
    fn get(
        run: &[u8],
        at: &mut usize,
        order: crate::wire::Endian,
        base: usize,
    ) -> Result<Self, DecodeError> {
        let start = base + *at;
        let v = u32::get(run, at, order, base)?;
        char::from_u32(v).ok_or_else(|| DecodeError::new(DecodeErrorKind::InvalidChar(v), start))
    }
}

/// The next `N` bytes, consumed, if that many are left and `T` records
/// nothing; otherwise nothing is consumed (the caller reads field by field,
/// for the exact error or for one traced line per field). `T::ON` is a
/// constant, so the test compiles away.
#[inline(always)]
pub fn take_run<'de, T: crate::decode::Trace, const N: usize>(
    r: &mut Reader<'de>,
) -> Option<&'de [u8; N]> {
    if T::ON {
        None
    } else {
        r.take_array_ref::<N>()
    }
}

/// A fixed-width length prefix read from a run, as [`read_len`] would.
#[inline(always)]
pub fn get_len<T: Fixed + LenInt>(
    run: &[u8],
    at: &mut usize,
    order: crate::wire::Endian,
    base: usize,
) -> Result<usize, DecodeError> {
    let start = base + *at;
    let v = T::get(run, at, order, base)?;
    len_value(v, start)
}

/// The primitive types, for generated code: a user's own type named `u8`
/// or `usize` must not change what the derives mean.
pub use core::primitive::{bool, str, u16, u32, u64, u8, usize};

// Runtime items below the crate root that generated code names: routed
// through here so the runtime can move its modules without touching the
// derive (codec-derive's `paths.rs` names each of them once).
pub use crate::decode::{NoTrace, Trace};
pub use crate::frame::{decode_frame, encode_frame, frame_len, unknown_id};
pub use crate::message::tag_limit;
pub use crate::wire::{LenPrefix, Unit};
