//! Bit-field runs, for generated code: a run of `N` bytes is loaded into a
//! `u64` once (big-endian for most-significant-bit-first runs,
//! little-endian for least-significant-first), each field is a shift and a
//! mask of it, and encode stores the assembled `u64` the same way.

use crate::bits::DecodeBits;
use crate::error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind};
use crate::reader::Reader;
use crate::sink::Sink;

/// The run's `N` bytes at `*at` in `run` as one integer; advances `at`.
/// (The bytes go to the front of a `u64` either way, so the load is one
/// `N`-byte copy; most significant first then shifts them down.)
#[inline(always)]
pub fn get_bits<const N: usize>(run: &[u8], at: &mut usize, lsb: bool) -> u64 {
    let mut b = [0u8; 8];
    b[..N].copy_from_slice(&run[*at..*at + N]);
    *at += N;
    if lsb {
        u64::from_le_bytes(b)
    } else {
        u64::from_be_bytes(b) >> (64 - 8 * N)
    }
}

/// A `u64` whose first `N` bytes are the run holding `acc`.
#[inline(always)]
fn bits_bytes<const N: usize>(acc: u64, lsb: bool) -> [u8; 8] {
    if lsb {
        acc.to_le_bytes()
    } else {
        (acc << (64 - 8 * N)).to_be_bytes()
    }
}

/// Stores a run of `N` bytes at `*at` in `run`; advances `at`.
///
/// Runs of 1, 2 and 4 bytes are stored from an integer of their own width
/// (`u8`, `u16`, `u32`), not from the `u64`: in a larger encode, the wide
/// integer's byte swap and shift stay in the loop and its value keeps a
/// register; the narrow store is what hand-written code does.
#[inline(always)]
pub fn put_bits<const N: usize>(acc: u64, run: &mut [u8], at: &mut usize, lsb: bool) {
    let dst = &mut run[*at..*at + N];
    match N {
        1 => dst[0] = acc as u8,
        2 => dst.copy_from_slice(&if lsb {
            (acc as u16).to_le_bytes()
        } else {
            (acc as u16).to_be_bytes()
        }),
        4 => dst.copy_from_slice(&if lsb {
            (acc as u32).to_le_bytes()
        } else {
            (acc as u32).to_be_bytes()
        }),
        _ => dst.copy_from_slice(&bits_bytes::<N>(acc, lsb)[..N]),
    }
    *at += N;
}

/// Appends `N` zero bytes to `buf` and returns them, for a run to fill:
/// the capacity is checked once, before any field is read, so nothing
/// read for the run lives across the check (in a loop, values kept there
/// go to the stack).
#[inline(always)]
pub fn run_slot<const N: usize, S: Sink + ?Sized>(buf: &mut S) -> &mut [u8; N] {
    match buf.put_zeroed(N).as_mut_array::<N>() {
        Some(run) => run,
        // `put_zeroed` returns exactly `N` bytes.
        None => unreachable!("a sink's `put_zeroed` returned the wrong length"),
    }
}

/// Appends a run of `N` bytes.
#[inline(always)]
pub fn write_bits<const N: usize, S: Sink + ?Sized>(acc: u64, buf: &mut S, lsb: bool) {
    buf.extend_from_slice(&bits_bytes::<N>(acc, lsb)[..N]);
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

/// The error for the first of `values` wider than its field's bits
/// (`fields`: each one's width and name), in type `ty`, as the `Err` the
/// generated encode returns. Out of line: the generated encode checks a
/// whole run with one branch and calls this only when some value is too
/// wide.
///
/// It returns the whole `Result` (always `Err`) rather than the error:
/// with `return Err(bits_too_wide(..))` the optimiser knows that the
/// encode succeeded exactly when the check's value was zero, and callers
/// testing the result (`is_ok()`) recomputed it from that value, which
/// then stayed live in a register through the whole write.
///
/// # Errors
///
/// Always: `EncodeErrorKind::ValueOutOfRange` naming the field.
#[cold]
#[inline(never)]
pub fn bits_too_wide(
    values: &[u64],
    fields: &'static [(u32, &'static str)],
    ty: &'static str,
) -> Result<(), EncodeError> {
    let (value, (width, field)) = values
        .iter()
        .zip(fields)
        .find(|(v, (w, _))| **v >> w != 0)
        .map_or((0, (0, "")), |(v, f)| (*v, *f));
    Err(EncodeError::new(EncodeErrorKind::ValueOutOfRange {
        value: i128::from(value),
        target: BITS_NAMES.get(width as usize).copied().unwrap_or("bits"),
    })
    .in_field(ty, field))
}

/// `"N bits"` for N below 64 (the widths a check can refuse).
const BITS_NAMES: [&str; 64] = [
    "0 bits", "1 bit", "2 bits", "3 bits", "4 bits", "5 bits", "6 bits", "7 bits", "8 bits",
    "9 bits", "10 bits", "11 bits", "12 bits", "13 bits", "14 bits", "15 bits", "16 bits",
    "17 bits", "18 bits", "19 bits", "20 bits", "21 bits", "22 bits", "23 bits", "24 bits",
    "25 bits", "26 bits", "27 bits", "28 bits", "29 bits", "30 bits", "31 bits", "32 bits",
    "33 bits", "34 bits", "35 bits", "36 bits", "37 bits", "38 bits", "39 bits", "40 bits",
    "41 bits", "42 bits", "43 bits", "44 bits", "45 bits", "46 bits", "47 bits", "48 bits",
    "49 bits", "50 bits", "51 bits", "52 bits", "53 bits", "54 bits", "55 bits", "56 bits",
    "57 bits", "58 bits", "59 bits", "60 bits", "61 bits", "62 bits", "63 bits",
];

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

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
        write_bits::<2, _>(0x1234, &mut buf, true);
        assert_eq!(buf, [0x34, 0x12]);
        assert!(bits_value::<bool>(2, 5).is_err());
        let e = bits_too_wide(&[3, 9, 1], &[(2, "a"), (3, "b"), (1, "c")], "T").unwrap_err();
        assert_eq!(
            alloc::format!("{e}"),
            "value 9 out of range for 3 bits in T.b"
        );
        assert_eq!(bits_value::<u8>(9, 5).unwrap(), 9);
    }
}
