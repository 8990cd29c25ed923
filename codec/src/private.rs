//! Support for generated code only. Not public API: anything here may
//! change in any release.

pub use alloc::vec::Vec;
pub use core::clone::Clone;
pub use core::default::Default;
pub use core::marker::Copy;
pub use core::option::Option::{self, None, Some};
pub use core::result::Result::{self, Err, Ok};
pub use core::{panic, stringify, unreachable};

use crate::error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind};
use crate::reader::Reader;
use crate::sink::Sink;
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

/// Reads an inline length prefix described by a [`LenSpec`] (kept apart
/// from [`read_len`], so plain prefixes compile exactly as before).
///
/// # Errors
///
/// As [`LenSpec::read`].
#[inline]
pub fn read_len_spec(
    r: &mut Reader<'_>,
    spec: LenSpec,
    order: crate::wire::Endian,
) -> Result<usize, DecodeError> {
    spec.read(r, order)
}

/// A length prefix beyond [`LenPrefix`]'s: any byte width 1..=8, signed or
/// not, or base-128; a wire value that counts `adds` more than the body
/// (`len_adds`); and a `null` value meaning `None` (`null = -1`). The
/// derive builds one as a constant for each field that needs it, so plain
/// prefixes keep [`LenPrefix`]'s code.
#[derive(Debug, Clone, Copy)]
pub struct LenSpec {
    /// Bytes of a fixed-width prefix; 0 for base-128.
    pub bytes: u8,
    /// A fixed-width prefix is two's complement (`len = i32`).
    pub signed: bool,
    /// A base-128 prefix is `vlq` rather than `varint`.
    pub vlq: bool,
    /// What the wire value counts beyond the body.
    pub adds: u64,
    /// The wire value meaning `None`, for a nullable field.
    pub null: Option<i64>,
    /// The prefix's name as written (`u24`, `i32`), for errors.
    pub name: &'static str,
}

impl LenSpec {
    /// The largest wire value the prefix holds.
    const fn max_raw(self) -> u64 {
        match (self.bytes, self.signed) {
            (0, _) | (8, false) => u64::MAX,
            (b, true) => (1u64 << (8 * b as u32 - 1)) - 1,
            (b, false) => (1u64 << (8 * b as u32)) - 1,
        }
    }

    fn raw_size(self, raw: u64) -> usize {
        match self.bytes {
            0 => crate::wire::base128_len(raw),
            b => b as usize,
        }
    }

    /// Bytes the prefix takes for a body of `n`.
    #[inline]
    pub fn size(self, n: usize) -> usize {
        self.raw_size((n as u64).saturating_add(self.adds))
    }

    /// Bytes the prefix takes for `None`.
    #[inline]
    pub fn null_size(self) -> usize {
        self.raw_size(self.null.unwrap_or(0) as u64)
    }

    /// Writes the prefix of a body of `n`, or fails without writing.
    ///
    /// # Errors
    ///
    /// [`EncodeErrorKind::LengthOverflow`] when `n` plus `adds` does not fit.
    #[inline]
    pub fn write<S: Sink + ?Sized>(
        self,
        n: usize,
        buf: &mut S,
        order: crate::wire::Endian,
    ) -> Result<(), EncodeError> {
        match (n as u64).checked_add(self.adds) {
            Some(raw) if raw <= self.max_raw() => {
                self.put_raw(raw, buf, order);
                Ok(())
            }
            _ => Err(EncodeError::new(EncodeErrorKind::LengthOverflow {
                len: n as u64,
                prefix: self.name,
                max: self.max_raw() - self.adds,
            })),
        }
    }

    /// Writes the `null` value (a field's `None`).
    #[inline]
    pub fn write_null<S: Sink + ?Sized>(self, buf: &mut S, order: crate::wire::Endian) {
        self.put_raw(self.null.unwrap_or(0) as u64, buf, order);
    }

    fn put_raw<S: Sink + ?Sized>(self, raw: u64, buf: &mut S, order: crate::wire::Endian) {
        let b = self.bytes as usize;
        match (b, order) {
            (0, _) => crate::wire::write_base128(raw, buf, self.vlq),
            (_, crate::wire::Endian::Big) => buf.extend_from_slice(&raw.to_be_bytes()[8 - b..]),
            (_, crate::wire::Endian::Little) => buf.extend_from_slice(&raw.to_le_bytes()[..b]),
        }
    }

    /// Reads the length, or `None` for the `null` value.
    ///
    /// # Errors
    ///
    /// Truncated input; a value below `adds` (or negative) that is not the
    /// `null` value ([`DecodeErrorKind::LengthBelowMin`], at the prefix).
    #[inline]
    pub fn read_nullable(
        self,
        r: &mut Reader<'_>,
        order: crate::wire::Endian,
    ) -> Result<Option<usize>, DecodeError> {
        let start = r.offset();
        let v: i128 = match self.bytes {
            0 => i128::from(crate::wire::read_base128::<u64>(r, self.vlq)?),
            b => {
                let raw = get_uint(r.take(b as usize)?, order);
                if self.signed {
                    let shift = 64 - 8 * u32::from(b);
                    i128::from(((raw << shift) as i64) >> shift)
                } else {
                    i128::from(raw)
                }
            }
        };
        if self.null.is_some_and(|null| i128::from(null) == v) {
            return Ok(None);
        }
        let n = v - i128::from(self.adds);
        if n < 0 {
            return Err(DecodeError::new(
                DecodeErrorKind::LengthBelowMin {
                    value: v,
                    min: self.adds,
                },
                start,
            ));
        }
        usize::try_from(n).map(Some).map_err(|_| {
            DecodeError::new(
                DecodeErrorKind::IntegerOutOfRange {
                    value: n as u128,
                    target: "usize",
                },
                start,
            )
        })
    }

    /// Reads a length that cannot be `null`.
    ///
    /// # Errors
    ///
    /// As [`LenSpec::read_nullable`].
    #[inline]
    pub fn read(
        self,
        r: &mut Reader<'_>,
        order: crate::wire::Endian,
    ) -> Result<usize, DecodeError> {
        let start = r.offset();
        match self.read_nullable(r, order)? {
            Some(n) => Ok(n),
            None => Err(DecodeError::new(
                DecodeErrorKind::Invalid("a null length where a value is required"),
                start,
            )),
        }
    }
}

/// A nullable length as read, shown by `explain`: the length, or `null`.
#[derive(Debug, Clone, Copy)]
pub struct LenOrNull(pub Option<usize>);

impl core::fmt::Display for LenOrNull {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(n) => n.fmt(f),
            None => f.write_str("null"),
        }
    }
}

/// Reads a nullable length prefix (`null = ..`).
///
/// # Errors
///
/// As [`LenSpec::read_nullable`].
#[inline]
pub fn read_nullable_len(
    r: &mut Reader<'_>,
    spec: LenSpec,
    order: crate::wire::Endian,
) -> Result<LenOrNull, DecodeError> {
    spec.read_nullable(r, order).map(LenOrNull)
}

/// `bytes` (1..=8 of them) as an unsigned integer in `order`.
#[inline(always)]
fn get_uint(bytes: &[u8], order: crate::wire::Endian) -> u64 {
    let fold = |acc: u64, b: &u8| acc << 8 | u64::from(*b);
    match order {
        crate::wire::Endian::Big => bytes.iter().fold(0, fold),
        crate::wire::Endian::Little => bytes.iter().rev().fold(0, fold),
    }
}

/// Integers that travel in a chosen number of bytes (`#[codec(bytes = N)]`).
pub trait IntN: Copy {
    /// Two's complement: sign-extended on decode.
    const SIGNED: bool;
    /// The value, widened.
    fn to_i128(self) -> i128;
    /// Back from a widened value, if it fits.
    fn from_i128(v: i128) -> Option<Self>;
}

macro_rules! int_n {
    ($($t:ty => $signed:expr),*) => {$(
        impl IntN for $t {
            const SIGNED: bool = $signed;
            #[inline(always)]
            fn to_i128(self) -> i128 {
                self as i128
            }
            #[inline(always)]
            fn from_i128(v: i128) -> Option<Self> {
                <$t>::try_from(v).ok()
            }
        }
    )*};
}
int_n!(u8 => false, u16 => false, u32 => false, u64 => false, usize => false,
       i8 => true, i16 => true, i32 => true, i64 => true, isize => true);

/// Bytes of an `N`-byte integer field (`u32` in 3 bytes), or an error
/// naming the wire type (`u24`) when the value does not fit.
#[inline]
pub fn write_int_n<T: IntN, const N: usize, S: Sink + ?Sized>(
    v: T,
    buf: &mut S,
    order: crate::wire::Endian,
    wire: &'static str,
) -> Result<(), EncodeError> {
    let v = v.to_i128();
    let bits = 8 * N as u32;
    let fits = if T::SIGNED {
        let half = 1i128 << (bits - 1);
        (-half..half).contains(&v)
    } else {
        v < 1i128 << bits
    };
    if !fits {
        return Err(EncodeError::new(EncodeErrorKind::ValueOutOfRange {
            value: v,
            target: wire,
        }));
    }
    let raw = v as u64;
    match order {
        crate::wire::Endian::Big => buf.extend_from_slice(&raw.to_be_bytes()[8 - N..]),
        crate::wire::Endian::Little => buf.extend_from_slice(&raw.to_le_bytes()[..N]),
    }
    Ok(())
}

/// Reads an `N`-byte integer field, sign-extending a signed one.
///
/// # Errors
///
/// Truncated input. (The derive allows `N` up to the type's own width, so
/// every value read fits.)
#[inline]
pub fn read_int_n<T: IntN, const N: usize>(
    r: &mut Reader<'_>,
    order: crate::wire::Endian,
) -> Result<T, DecodeError> {
    let start = r.offset();
    let raw = get_uint(&r.take_array::<N>()?, order);
    let v = if T::SIGNED {
        let shift = 64 - 8 * N as u32;
        i128::from(((raw << shift) as i64) >> shift)
    } else {
        i128::from(raw)
    };
    T::from_i128(v).ok_or_else(|| {
        DecodeError::new(
            DecodeErrorKind::IntegerOutOfRange {
                value: v as u128,
                target: core::any::type_name::<T>(),
            },
            start,
        )
    })
}

/// Constant bytes (`#[codec(magic = ..)]`), shown by `explain` as a byte
/// string.
#[derive(Debug, Clone, Copy)]
pub struct Magic(pub &'static [u8]);

impl core::fmt::Display for Magic {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "magic b\"{}\"", self.0.escape_ascii())
    }
}

/// The error for input that is not `expected` where it starts: "need more"
/// when the input is a strict prefix of it, bad magic otherwise.
#[cold]
fn magic_error(r: &Reader<'_>, expected: &'static [u8]) -> DecodeError {
    let have = r.peek();
    let found = &have[..have.len().min(expected.len())];
    if expected.starts_with(found) {
        r.end_error(expected.len() as u64)
    } else {
        r.error(DecodeErrorKind::BadMagic {
            expected,
            found: crate::error::Found::new(found),
        })
    }
}

/// Reads and checks constant bytes.
///
/// # Errors
///
/// [`DecodeErrorKind::BadMagic`] at their start, or "need more bytes" on
/// a strict prefix of them.
#[inline]
pub fn read_magic(r: &mut Reader<'_>, expected: &'static [u8]) -> Result<Magic, DecodeError> {
    if r.peek().starts_with(expected) {
        r.take(expected.len())?;
        Ok(Magic(expected))
    } else {
        Err(magic_error(r, expected))
    }
}

/// Which of `magics` (tried in order) the input starts with, consumed: the
/// variant of an enum chosen by magic.
#[derive(Debug, Clone, Copy)]
pub struct MagicMatch {
    /// The index in `magics`.
    pub index: usize,
    /// The bytes matched.
    pub magic: &'static [u8],
}

impl core::fmt::Display for MagicMatch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        Magic(self.magic).fmt(f)
    }
}

/// Picks the first of `magics` the input starts with and consumes it.
/// Partial input that could still be an earlier magic waits for it: the
/// decision follows declaration order whatever bytes come next.
///
/// # Errors
///
/// "Need more bytes" when the first magic the input agrees with is longer
/// than the input; bad magic naming the first magic when it agrees with
/// none.
#[inline]
pub fn match_magic(
    r: &mut Reader<'_>,
    magics: &[&'static [u8]],
) -> Result<MagicMatch, DecodeError> {
    let have = r.peek();
    for (index, magic) in magics.iter().enumerate() {
        if have.starts_with(magic) {
            r.take(magic.len())?;
            return Ok(MagicMatch { index, magic });
        }
        if magic.starts_with(have) {
            return Err(r.end_error(magic.len() as u64));
        }
    }
    Err(match magics.first() {
        Some(first) => magic_error(r, first),
        None => r.error(DecodeErrorKind::Invalid("no variant to choose")),
    })
}

/// The `len_from` holder's value for a body of `n` that it counts `adds`
/// more than (`len_adds`).
#[inline]
pub fn len_field_adds<T: LenInt>(
    n: usize,
    adds: u64,
    name: &'static str,
) -> Result<T, EncodeError> {
    let total = usize::try_from(adds)
        .ok()
        .and_then(|a| n.checked_add(a))
        .and_then(T::from_len);
    total.ok_or_else(|| {
        EncodeError::new(EncodeErrorKind::LengthOverflow {
            len: n as u64,
            prefix: name,
            max: max_len::<T>().saturating_sub(adds),
        })
    })
}

/// The body length a `len_from` holder that counts `adds` more declares.
///
/// # Errors
///
/// A value below `adds` ([`DecodeErrorKind::LengthBelowMin`]) or negative.
#[inline]
pub fn len_value_adds<T: LenInt>(v: T, adds: u64, offset: usize) -> Result<usize, DecodeError> {
    let n = len_value(v, offset)?;
    usize::try_from(adds)
        .ok()
        .and_then(|a| n.checked_sub(a))
        .ok_or_else(|| {
            DecodeError::new(
                DecodeErrorKind::LengthBelowMin {
                    value: n as i128,
                    min: adds,
                },
                offset,
            )
        })
}

pub use crate::wire::{read_base128, write_base128};
pub use crate::{decode::DecodeSeq, encode::EncodeSeq};
pub use core::convert::{From, TryFrom};
pub use core::future::{ready, Future};

/// A message that is a variant of protocol `P`: implemented by
/// `#[derive(Protocol)]` with `service` for each variant's type, so that a
/// request whose `response` is not in the protocol gets this message.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a message of the protocol `{P}`",
    label = "this request's `response` is `{Self}`",
    note = "a request's `response` must be one of its protocol's messages: add a variant holding `{Self}` to `{P}`"
)]
pub trait VariantOf<P> {
    /// The message as the protocol's variant.
    fn into_protocol(self) -> P;
}
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

/// A false `assert` while decoding: its message, at `offset`.
#[cold]
pub fn assert_failed(message: &'static str, offset: usize) -> DecodeError {
    DecodeError::new(DecodeErrorKind::Assertion { message }, offset)
}

/// A false `assert` while encoding (checked before anything is written).
#[cold]
pub fn assert_failed_encode(message: &'static str) -> EncodeError {
    EncodeError::new(crate::error::EncodeErrorKind::Assertion { message })
}

/// A `try_map` field's value from its wire value: the function's refusal
/// is [`DecodeErrorKind::Invalid`] at the field's `offset`.
#[inline(always)]
pub fn try_from_wire<W, T>(
    wire: Result<W, DecodeError>,
    offset: usize,
    from_wire: impl FnOnce(W) -> Result<T, &'static str>,
) -> Result<T, DecodeError> {
    match from_wire(wire?) {
        Ok(v) => Ok(v),
        Err(why) => Err(DecodeError::new(DecodeErrorKind::Invalid(why), offset)),
    }
}

/// A `try_map` field's wire value: the function's refusal is
/// [`crate::EncodeErrorKind::Invalid`].
#[inline(always)]
pub fn try_to_wire<W>(wire: Result<W, &'static str>) -> Result<W, EncodeError> {
    wire.map_err(|why| EncodeError::new(crate::error::EncodeErrorKind::Invalid(why)))
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
pub use crate::decode::{explain_each, NoTrace, Trace};
pub use crate::frame::{decode_frame, encode_frame, frame_len, unknown_id};
// The derive's `from_bytes` for a protocol enum (issue 13).
pub use crate::frame::{decode_frame_exact, decode_payload_exact, decode_variant_exact};
pub use crate::message::tag_limit;
/// The wire metadata `Encode::SHAPE` and `Protocol::MESSAGES` are made of.
pub use crate::message::{
    FieldPresence, FieldShape, FieldWire, LenWire, MessageShape, Shape, VariantShape,
};
pub use crate::wire::{LenPrefix, Unit};

#[path = "private/term.rs"]
mod term;
pub use term::{read_padded, read_term, write_padded, Padded, Shown, TermDecode, TermEncode};

#[path = "private/layout.rs"]
mod layout;
pub use layout::{
    align_pad, check_sum, check_value, mark, read_pad, read_to_size, write_pad, write_to_size,
    Mark, Padding,
};
#[path = "private/bits.rs"]
mod bits;
pub use bits::{bits_too_wide, bits_value, get_bits, put_bits, read_bits, run_slot, write_bits};
// `#[derive(Header)]` and `#[codec(max_bytes = N)]`.
pub use crate::header::{explain_header, header_bad_id, header_incomplete, header_too_large};
pub use crate::header::{header_disagrees, needs_header};
pub use crate::header::{FrameHead, HeaderValue, Parsed};
pub use core::primitive::i128;

/// Reads a base-128 integer of at most `max_bytes` bytes (MQTT's remaining
/// length: 4). A `max_bytes`-th byte that still has its continuation bit
/// set is an error at once, without waiting for a byte that can never be
/// valid; fewer bytes ending in a continuation bit need one more.
///
/// # Errors
///
/// [`DecodeErrorKind::VarintTooLong`] naming `target` at the integer's
/// start, truncated input, a value that does not fit `T`.
#[inline]
pub fn read_base128_max<T: Base128>(
    r: &mut Reader<'_>,
    vlq: bool,
    max_bytes: usize,
    target: &'static str,
) -> Result<T, DecodeError> {
    let head = r.peek();
    if head.len() >= max_bytes && head[..max_bytes].iter().all(|b| b & 0x80 != 0) {
        return Err(r.error(DecodeErrorKind::VarintTooLong { target }));
    }
    crate::wire::read_base128(r, vlq)
}

/// Writes a base-128 integer that must take at most `max_bytes` bytes;
/// `shown` is its value for the error.
///
/// # Errors
///
/// [`EncodeErrorKind::ValueOutOfRange`] naming `target`; nothing is
/// written then.
#[inline]
pub fn write_base128_max<T: Base128, S: Sink + ?Sized>(
    v: T,
    buf: &mut S,
    vlq: bool,
    max_bytes: usize,
    target: &'static str,
    shown: i128,
) -> Result<(), EncodeError> {
    if crate::wire::base128_len(v.to_base128()) > max_bytes {
        return Err(EncodeError::new(EncodeErrorKind::ValueOutOfRange {
            value: shown,
            target,
        }));
    }
    crate::wire::write_base128(v, buf, vlq);
    Ok(())
}

/// A header's length field counting `min` more than the payload (its
/// `len_adds`) must hold at least `min`.
///
/// # Errors
///
/// [`DecodeErrorKind::LengthBelowMin`] at `offset`, where the field starts.
#[inline]
pub fn len_at_least<T: LenInt>(v: &T, min: u64, offset: usize) -> Result<(), DecodeError> {
    let value = v.wire_value();
    if value < u128::from(min) {
        return Err(DecodeError::new(
            DecodeErrorKind::LengthBelowMin {
                value: value as i128,
                min,
            },
            offset,
        ));
    }
    Ok(())
}
