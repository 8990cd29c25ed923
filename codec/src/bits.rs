//! Values of a few bits: what a `#[codec(bits = N)]` field holds.
//!
//! A run of consecutive bit fields is packed into whole bytes, most
//! significant bit first unless the type says `#[codec(bit_order = "lsb")]`.
//! Each field's value travels through [`EncodeBits`] and [`DecodeBits`]:
//! implemented here for the unsigned integers and `bool`, and by
//! `#[derive(Encode)]` / `#[derive(Decode)]` for fieldless enums (the
//! variant's id is its bits).
//!
//! ```
//! use codec::{Decode, Encode};
//!
//! #[derive(Debug, PartialEq, Encode, Decode)]
//! enum Kind { Connect = 1, Publish = 3 }
//!
//! // MQTT's fixed header byte: type (4 bits), DUP, QoS (2 bits), RETAIN.
//! #[derive(Debug, PartialEq, Encode, Decode)]
//! struct Fixed {
//!     #[codec(bits = 4)] kind: Kind,
//!     #[codec(bits = 1)] dup: bool,
//!     #[codec(bits = 2)] qos: u8,
//!     #[codec(bits = 1)] retain: bool,
//! }
//!
//! let f = Fixed { kind: Kind::Publish, dup: false, qos: 1, retain: true };
//! assert_eq!(f.to_bytes().unwrap(), [0x33]);
//! assert_eq!(Fixed::from_bytes(&[0x33]).unwrap(), f);
//! ```

/// A value that can be written in a bit field: its bits, as an unsigned
/// integer. A value wider than the field's `bits` is an `EncodeError`
/// naming the field.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a bit field",
    note = "`bits = N` takes unsigned integers, `bool` and fieldless enums that derive `Encode`"
)]
pub trait EncodeBits {
    /// The value's bits.
    fn to_bits(&self) -> u64;
}

/// A value that can be read from a bit field.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a bit field",
    note = "`bits = N` takes unsigned integers, `bool` and fieldless enums that derive `Decode`"
)]
pub trait DecodeBits: Sized {
    /// The value these bits stand for; `None` when they stand for none
    /// (an enum's unknown id), which decoding reports as
    /// `DecodeErrorKind::InvalidDiscriminant` naming the field.
    fn from_bits(bits: u64) -> Option<Self>;
}

macro_rules! bits_uints {
    ($($t:ty),*) => {$(
        impl EncodeBits for $t {
            #[inline(always)]
            fn to_bits(&self) -> u64 {
                u64::from(*self)
            }
        }

        impl DecodeBits for $t {
            #[inline(always)]
            fn from_bits(bits: u64) -> Option<Self> {
                <$t>::try_from(bits).ok()
            }
        }
    )*};
}
bits_uints!(u8, u16, u32, u64);

impl EncodeBits for bool {
    #[inline(always)]
    fn to_bits(&self) -> u64 {
        u64::from(*self)
    }
}

impl DecodeBits for bool {
    #[inline(always)]
    fn from_bits(bits: u64) -> Option<Self> {
        match bits {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_bools_round_trip() {
        assert_eq!(u8::from_bits(0xff), Some(0xff));
        assert_eq!(u8::from_bits(0x100), None);
        assert_eq!(u16::from_bits(7), Some(7));
        assert_eq!(u64::MAX.to_bits(), u64::MAX);
        assert_eq!(true.to_bits(), 1);
        assert_eq!(bool::from_bits(0), Some(false));
        assert_eq!(bool::from_bits(1), Some(true));
        assert_eq!(bool::from_bits(2), None);
    }
}
