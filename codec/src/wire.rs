//! Wire vocabulary shared by the traits and the generated code: byte order,
//! length prefixes, what a length counts, and the two base-128 integer
//! encodings.
//!
//! ```text
//! varint (LEB128, little-endian groups)   300 = 0b10_0101100 -> AC 02
//! vlq    (cs.binary BSUInt, big-endian)   300 = 0b10_0101100 -> 82 2C
//!        every byte but the last has its 0x80 bit set
//! ```

use crate::error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind};
use crate::reader::Reader;
use crate::sink::Sink;

/// Byte order of fixed-width integers and floats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Endian {
    /// Most significant byte first (network order); the default.
    #[default]
    Big,
    /// Least significant byte first.
    Little,
}

/// What a length prefix counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Encoded bytes of the body.
    Bytes,
    /// Elements (for strings and byte vectors, the same as bytes).
    Elements,
}

/// How a length is written in front of (or apart from) its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LenPrefix {
    /// One byte.
    U8,
    /// Two bytes in the field's byte order.
    U16,
    /// Four bytes in the field's byte order.
    U32,
    /// Eight bytes in the field's byte order.
    U64,
    /// LEB128.
    Varint,
    /// Big-endian base-128 (cs.binary BSUInt).
    Vlq,
}

impl LenPrefix {
    /// The prefix's name as written in `#[codec(len = ..)]`.
    pub const fn name(self) -> &'static str {
        match self {
            LenPrefix::U8 => "u8",
            LenPrefix::U16 => "u16",
            LenPrefix::U32 => "u32",
            LenPrefix::U64 => "u64",
            LenPrefix::Varint => "varint",
            LenPrefix::Vlq => "vlq",
        }
    }

    /// The largest length this prefix can describe.
    pub const fn max(self) -> u64 {
        match self {
            LenPrefix::U8 => u8::MAX as u64,
            LenPrefix::U16 => u16::MAX as u64,
            LenPrefix::U32 => u32::MAX as u64,
            _ => u64::MAX,
        }
    }

    /// Bytes the prefix takes to write `len`.
    #[inline]
    pub fn size(self, len: usize) -> usize {
        match self {
            LenPrefix::U8 => 1,
            LenPrefix::U16 => 2,
            LenPrefix::U32 => 4,
            LenPrefix::U64 => 8,
            LenPrefix::Varint | LenPrefix::Vlq => base128_len(len as u64),
        }
    }

    /// Writes `len`, or fails without writing if the prefix cannot hold it.
    ///
    /// # Errors
    ///
    /// [`EncodeErrorKind::LengthOverflow`] when `len` is over [`LenPrefix::max`].
    #[inline]
    pub fn write<S: Sink + ?Sized>(
        self,
        len: usize,
        buf: &mut S,
        order: Endian,
    ) -> Result<(), EncodeError> {
        let len = len as u64;
        if len > self.max() {
            return Err(EncodeError::new(EncodeErrorKind::LengthOverflow {
                len,
                prefix: self.name(),
                max: self.max(),
            }));
        }
        match self {
            LenPrefix::U8 => buf.push(len as u8),
            LenPrefix::U16 => put(
                buf,
                order,
                (len as u16).to_be_bytes(),
                (len as u16).to_le_bytes(),
            ),
            LenPrefix::U32 => put(
                buf,
                order,
                (len as u32).to_be_bytes(),
                (len as u32).to_le_bytes(),
            ),
            LenPrefix::U64 => put(buf, order, len.to_be_bytes(), len.to_le_bytes()),
            LenPrefix::Varint => write_varint(len, buf),
            LenPrefix::Vlq => write_vlq(len, buf),
        }
        Ok(())
    }

    /// Reads a length. The value is not checked against the input here:
    /// the body's decoder does that before allocating.
    ///
    /// # Errors
    ///
    /// Truncated input, an overlong base-128 length, or a length that does
    /// not fit `usize`.
    #[inline]
    pub fn read(self, r: &mut Reader<'_>, order: Endian) -> Result<usize, DecodeError> {
        let start = r.offset();
        let len = match self {
            LenPrefix::U8 => r.take_array::<1>()?[0] as u64,
            LenPrefix::U16 => {
                let b = r.take_array::<2>()?;
                (if order == Endian::Big {
                    u16::from_be_bytes(b)
                } else {
                    u16::from_le_bytes(b)
                }) as u64
            }
            LenPrefix::U32 => {
                let b = r.take_array::<4>()?;
                (if order == Endian::Big {
                    u32::from_be_bytes(b)
                } else {
                    u32::from_le_bytes(b)
                }) as u64
            }
            LenPrefix::U64 => {
                let b = r.take_array::<8>()?;
                if order == Endian::Big {
                    u64::from_be_bytes(b)
                } else {
                    u64::from_le_bytes(b)
                }
            }
            LenPrefix::Varint => read_varint(r, 64, "u64")?,
            LenPrefix::Vlq => read_vlq(r, 64, "u64")?,
        };
        usize::try_from(len).map_err(|_| {
            DecodeError::new(
                DecodeErrorKind::IntegerOutOfRange {
                    value: len as u128,
                    target: "usize",
                },
                start,
            )
        })
    }
}

#[inline(always)]
pub(crate) fn put<const N: usize, S: Sink + ?Sized>(
    buf: &mut S,
    order: Endian,
    be: [u8; N],
    le: [u8; N],
) {
    buf.extend_from_slice(if order == Endian::Big { &be } else { &le });
}

/// Bytes a base-128 encoding (either flavour) of `v` takes.
#[inline]
pub const fn base128_len(v: u64) -> usize {
    let bits = 64 - (v | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Appends `v` as LEB128: low 7-bit group first, 0x80 on all but the last.
///
/// ```
/// let mut buf = Vec::new();
/// codec::wire::write_varint(300, &mut buf);
/// assert_eq!(buf, [0xAC, 0x02]);
/// ```
#[inline]
pub fn write_varint<S: Sink + ?Sized>(mut v: u64, buf: &mut S) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Appends `v` as a big-endian base-128 number (cs.binary BSUInt): high
/// 7-bit group first, 0x80 on all but the last.
///
/// ```
/// let mut buf = Vec::new();
/// codec::wire::write_vlq(300, &mut buf);
/// assert_eq!(buf, [0x82, 0x2C]);
/// ```
#[inline]
pub fn write_vlq<S: Sink + ?Sized>(v: u64, buf: &mut S) {
    let n = base128_len(v);
    for i in (1..n).rev() {
        buf.push(((v >> (7 * i)) as u8 & 0x7f) | 0x80);
    }
    buf.push(v as u8 & 0x7f);
}

/// Reads a LEB128 number that must fit in `bits` bits (`target` names the
/// type for the error).
///
/// # Errors
///
/// Truncated input, more groups than `bits` allows, or a value over `bits`.
#[inline]
pub fn read_varint(
    r: &mut Reader<'_>,
    bits: u32,
    target: &'static str,
) -> Result<u64, DecodeError> {
    let start = r.offset();
    let mut value: u64 = 0;
    let mut shift = 0u32;
    loop {
        let b = r.byte()?;
        let group = (b & 0x7f) as u64;
        if shift > 63 {
            return Err(DecodeError::new(
                DecodeErrorKind::VarintTooLong { target },
                start,
            ));
        }
        if shift == 63 && group > 1 {
            return Err(out_of_range(
                (group as u128) << 63 | value as u128,
                target,
                start,
            ));
        }
        value |= group << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    check_bits(value, bits, target, start)
}

/// Reads a big-endian base-128 number (cs.binary BSUInt) that must fit in
/// `bits` bits.
///
/// # Errors
///
/// Truncated input, or a value over `bits`.
#[inline]
pub fn read_vlq(r: &mut Reader<'_>, bits: u32, target: &'static str) -> Result<u64, DecodeError> {
    let start = r.offset();
    let mut value: u64 = 0;
    let mut count = 0;
    loop {
        let b = r.byte()?;
        count += 1;
        if value >> 57 != 0 {
            return Err(out_of_range(
                value as u128 * 128 + (b & 0x7f) as u128,
                target,
                start,
            ));
        }
        if count > 10 {
            return Err(DecodeError::new(
                DecodeErrorKind::VarintTooLong { target },
                start,
            ));
        }
        value = value << 7 | (b & 0x7f) as u64;
        if b & 0x80 == 0 {
            break;
        }
    }
    check_bits(value, bits, target, start)
}

#[inline]
fn check_bits(
    value: u64,
    bits: u32,
    target: &'static str,
    start: usize,
) -> Result<u64, DecodeError> {
    if bits < 64 && value >> bits != 0 {
        return Err(out_of_range(value as u128, target, start));
    }
    Ok(value)
}

#[cold]
fn out_of_range<V: Into<u128>>(value: V, target: &'static str, offset: usize) -> DecodeError {
    DecodeError::new(
        DecodeErrorKind::IntegerOutOfRange {
            value: value.into(),
            target,
        },
        offset,
    )
}

/// Integers that can travel as `#[codec(varint)]` or `#[codec(vlq)]`.
/// Signed integers are zigzag-mapped first (-1 → 1, 1 → 2), so small
/// magnitudes stay short.
pub trait Base128: Copy {
    /// The integer as an unsigned wire value.
    fn to_base128(self) -> u64;
    /// Back from the wire value; `None` if it does not fit.
    fn from_base128(v: u64) -> Option<Self>;
    /// The type's name, for errors.
    const NAME: &'static str;
}

macro_rules! base128_unsigned {
    ($($t:ty),*) => {$(
        impl Base128 for $t {
            #[inline]
            fn to_base128(self) -> u64 {
                self as u64
            }
            #[inline]
            fn from_base128(v: u64) -> Option<Self> {
                <$t>::try_from(v).ok()
            }
            const NAME: &'static str = stringify!($t);
        }
    )*};
}
base128_unsigned!(u8, u16, u32, u64, usize);

macro_rules! base128_signed {
    ($($t:ty => $u:ty),*) => {$(
        impl Base128 for $t {
            #[inline]
            fn to_base128(self) -> u64 {
                (((self as i64) << 1) ^ ((self as i64) >> 63)) as u64
            }
            #[inline]
            fn from_base128(v: u64) -> Option<Self> {
                let x = ((v >> 1) as i64) ^ -((v & 1) as i64);
                <$t>::try_from(x).ok()
            }
            const NAME: &'static str = stringify!($t);
        }
    )*};
}
base128_signed!(i8 => u8, i16 => u16, i32 => u32, i64 => u64, isize => usize);

/// Reads a base-128 integer of type `T` in either flavour.
///
/// # Errors
///
/// Truncated input or a value that does not fit `T`.
#[inline]
pub fn read_base128<T: Base128>(r: &mut Reader<'_>, vlq: bool) -> Result<T, DecodeError> {
    let start = r.offset();
    let v = if vlq {
        read_vlq(r, 64, T::NAME)?
    } else {
        read_varint(r, 64, T::NAME)?
    };
    T::from_base128(v).ok_or_else(|| out_of_range(v, T::NAME, start))
}

/// Appends a base-128 integer in either flavour.
#[inline]
pub fn write_base128<T: Base128, S: Sink + ?Sized>(v: T, buf: &mut S, vlq: bool) {
    if vlq {
        write_vlq(v.to_base128(), buf)
    } else {
        write_varint(v.to_base128(), buf)
    }
}
