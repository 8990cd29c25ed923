//! Padding, alignment, fixed-size types, checksums and wire-only values
//! (`#[codec(pad_before, pad_after, align, size, checksum, wire)]`), for
//! generated code.

use core::fmt;

use crate::error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind, Found};
use crate::reader::Reader;
use crate::sink::Sink;

/// Padding bytes as read, shown on their `explain` line: the count, then
/// the bytes (the first [`Found::CAPACITY`] of them).
#[derive(Debug, Clone, Copy)]
pub struct Padding {
    /// How many bytes of padding there were.
    pub len: usize,
    /// The first of them.
    pub bytes: Found,
}

impl fmt::Display for Padding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = if self.len == 1 { "" } else { "s" };
        write!(f, "{} pad byte{s}", self.len)?;
        for b in self.bytes.as_slice() {
            write!(f, " {b:02x}")?;
        }
        if self.len > self.bytes.as_slice().len() {
            f.write_str(" ..")?;
        }
        Ok(())
    }
}

/// Bytes of padding that bring `offset` to a multiple of `align` (a power
/// of two, checked by the derive).
#[inline(always)]
pub const fn align_pad(offset: usize, align: usize) -> usize {
    offset.wrapping_neg() & (align - 1)
}

/// Writes `n` padding bytes of `pad`.
#[inline]
pub fn write_pad<S: Sink + ?Sized>(buf: &mut S, n: usize, pad: u8) {
    buf.resize(buf.len() + n, pad);
}

/// Reads `n` padding bytes; with `check`, each must be `pad`.
///
/// # Errors
///
/// "Need more bytes" when fewer than `n` are left;
/// [`DecodeErrorKind::BadPadding`] at the first other byte when checked.
#[inline]
pub fn read_pad(
    r: &mut Reader<'_>,
    n: usize,
    pad: u8,
    check: bool,
) -> Result<Padding, DecodeError> {
    let start = r.offset();
    let bytes = r.take(n)?;
    if check {
        if let Some(i) = bytes.iter().position(|&b| b != pad) {
            return Err(DecodeError::new(
                DecodeErrorKind::BadPadding {
                    expected: pad,
                    found: bytes[i],
                },
                start + i,
            ));
        }
    }
    Ok(Padding {
        len: n,
        bytes: Found::new(bytes),
    })
}

/// Pads a type's encoding, begun at `start` in `buf`, to its `size`.
///
/// # Errors
///
/// [`EncodeErrorKind::OverSize`] when its fields took more than `size`.
#[inline]
pub fn write_to_size<S: Sink + ?Sized>(
    buf: &mut S,
    start: usize,
    size: usize,
    pad: u8,
) -> Result<(), EncodeError> {
    let used = buf.len() - start;
    if used > size {
        return Err(EncodeError::new(EncodeErrorKind::OverSize {
            used: used as u64,
            size: size as u64,
        }));
    }
    write_pad(buf, size - used, pad);
    Ok(())
}

/// Reads the padding that ends a type of fixed `size` begun at `start`.
///
/// # Errors
///
/// [`DecodeErrorKind::OverSize`] at `start` when its fields took more than
/// `size`; otherwise as [`read_pad`].
#[inline]
pub fn read_to_size(
    r: &mut Reader<'_>,
    start: usize,
    size: usize,
    pad: u8,
    check: bool,
) -> Result<Padding, DecodeError> {
    let used = r.offset() - start;
    if used > size {
        return Err(DecodeError::new(
            DecodeErrorKind::OverSize {
                used: used as u64,
                size: size as u64,
            },
            start,
        ));
    }
    read_pad(r, size - used, pad, check)
}

/// Where a checksum's coverage starts: the offset and the input from there.
#[derive(Clone, Copy)]
pub struct Mark<'de> {
    at: usize,
    rest: &'de [u8],
}

/// Marks the reader's position, where a checksum's coverage starts.
#[inline(always)]
pub fn mark<'de>(r: &Reader<'de>) -> Mark<'de> {
    Mark {
        at: r.offset(),
        rest: r.peek(),
    }
}

impl<'de> Mark<'de> {
    /// The bytes read from the mark up to `end` (an offset at or after it).
    #[inline(always)]
    pub fn upto(&self, end: usize) -> &'de [u8] {
        &self.rest[..end - self.at]
    }
}

/// Checks a decoded checksum against the one computed over the bytes it
/// covers.
///
/// # Errors
///
/// [`DecodeErrorKind::ChecksumMismatch`] at `offset` when they differ.
#[inline]
pub fn check_sum<T: Copy + PartialEq + Into<u64>>(
    found: T,
    computed: T,
    offset: usize,
) -> Result<(), DecodeError> {
    if found == computed {
        Ok(())
    } else {
        Err(DecodeError::new(
            DecodeErrorKind::ChecksumMismatch {
                expected: computed.into(),
                found: found.into(),
            },
            offset,
        ))
    }
}

/// Checks a wire-only field's value against the one its layout requires.
///
/// # Errors
///
/// [`DecodeErrorKind::UnexpectedValue`] at `offset` when they differ.
#[inline]
pub fn check_value<T: Copy + PartialEq + Into<i128>>(
    found: T,
    expected: T,
    offset: usize,
) -> Result<(), DecodeError> {
    if found == expected {
        Ok(())
    } else {
        Err(DecodeError::new(
            DecodeErrorKind::UnexpectedValue {
                expected: expected.into(),
                found: found.into(),
            },
            offset,
        ))
    }
}
