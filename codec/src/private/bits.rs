//! Bit-field runs, for generated code: a run of `N` bytes is loaded into a
//! `u64` once (big-endian for most-significant-bit-first runs,
//! little-endian for least-significant-first), each field is a shift and a
//! mask of it, and encode stores the assembled `u64` the same way.

use alloc::vec::Vec;

use crate::bits::DecodeBits;
use crate::error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind};
use crate::reader::Reader;

/// The run's `N` bytes at `*at` in `run` as one integer; advances `at`.
#[inline(always)]
pub fn get_bits<const N: usize>(run: &[u8], at: &mut usize, lsb: bool) -> u64 {
    let mut b = [0u8; 8];
    let bytes = &run[*at..*at + N];
    *at += N;
    if lsb {
        b[..N].copy_from_slice(bytes);
        u64::from_le_bytes(b)
    } else {
        b[8 - N..].copy_from_slice(bytes);
        u64::from_be_bytes(b)
    }
}

/// The run's `N` bytes holding `acc`.
#[inline(always)]
fn bits_bytes<const N: usize>(acc: u64, lsb: bool) -> [u8; N] {
    let mut out = [0u8; N];
    if lsb {
        out.copy_from_slice(&acc.to_le_bytes()[..N]);
    } else {
        out.copy_from_slice(&acc.to_be_bytes()[8 - N..]);
    }
    out
}

/// Stores a run of `N` bytes at `*at` in `run`; advances `at`.
#[inline(always)]
pub fn put_bits<const N: usize>(acc: u64, run: &mut [u8], at: &mut usize, lsb: bool) {
    run[*at..*at + N].copy_from_slice(&bits_bytes::<N>(acc, lsb));
    *at += N;
}

/// Appends a run of `N` bytes.
#[inline(always)]
pub fn write_bits<const N: usize>(acc: u64, buf: &mut Vec<u8>, lsb: bool) {
    buf.extend_from_slice(&bits_bytes::<N>(acc, lsb));
}

/// Takes a run's `N` bytes from the reader (exact "need more" when short).
///
/// # Errors
///
/// Fewer than `N` bytes left.
#[inline(always)]
pub fn read_bits<'de, const N: usize>(r: &mut Reader<'de>) -> Result<&'de [u8], DecodeError> {
    r.take(N)
}

/// A field's value from its bits; bits that stand for no value (an enum's
/// unknown id) are an error at `offset`, the byte holding its first bit.
///
/// # Errors
///
/// `DecodeErrorKind::InvalidDiscriminant` with the bits' value.
#[inline(always)]
pub fn bits_value<T: DecodeBits>(bits: u64, offset: usize) -> Result<T, DecodeError> {
    match T::from_bits(bits) {
        Some(v) => Ok(v),
        None => Err(invalid_bits(bits, offset)),
    }
}

#[cold]
fn invalid_bits(bits: u64, offset: usize) -> DecodeError {
    DecodeError::new(DecodeErrorKind::InvalidDiscriminant(bits), offset)
}

/// A value wider than its field's bits; `target` is `"4 bits"`.
#[cold]
pub fn bits_too_wide(bits: u64, target: &'static str) -> EncodeError {
    EncodeError::new(EncodeErrorKind::ValueOutOfRange {
        value: i128::from(bits),
        target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_load_and_store_in_both_orders() {
        let run = [0x12, 0x34, 0x56];
        let mut at = 0;
        assert_eq!(get_bits::<3>(&run, &mut at, false), 0x12_3456);
        assert_eq!(at, 3);
        at = 0;
        assert_eq!(get_bits::<3>(&run, &mut at, true), 0x56_3412);
        let mut out = [0u8; 4];
        let mut at = 1;
        put_bits::<3>(0x12_3456, &mut out, &mut at, false);
        assert_eq!((out, at), ([0, 0x12, 0x34, 0x56], 4));
        let mut buf = Vec::new();
        write_bits::<2>(0x1234, &mut buf, true);
        assert_eq!(buf, [0x34, 0x12]);
        assert!(bits_value::<bool>(2, 5).is_err());
        assert_eq!(bits_value::<u8>(9, 5).unwrap(), 9);
    }
}
