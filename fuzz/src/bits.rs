//! Bit-field types for the `bits` target: runs most and least significant
//! bit first, a fieldless enum with gaps in its ids, a 64-bit run, a
//! `when` over a bit field, bit fields in an enum's variants.

use arbitrary::Arbitrary;
use codec::{Decode, Encode, Message, Protocol};

/// A DNS-like opcode: ids 3 and 6..=15 are unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary, Encode, Decode)]
pub enum Op {
    Query = 0,
    IQuery = 1,
    Status = 2,
    Notify = 4,
    Update = 5,
}

/// Most significant bit first: a 16-bit run, a 12-bit field across a
/// byte boundary, a field present when a bit says so, a second run.
#[derive(Debug, Clone, PartialEq, Arbitrary, Encode, Decode, Message)]
#[codec(id = 1)]
pub struct MsbBits {
    pub id: u16,
    #[codec(bits = 1)]
    pub qr: bool,
    #[codec(bits = 4)]
    pub op: Op,
    #[codec(bits = 1)]
    pub aa: bool,
    #[codec(bits = 2)]
    pub two: u8,
    #[codec(bits = 12)]
    pub wide: u16,
    #[codec(bits = 4)]
    pub nibble: u64,
    #[codec(when = qr)]
    pub extra: Option<u16>,
    #[codec(bits = 3)]
    pub a: u8,
    #[codec(bits = 5)]
    pub b: u32,
}

/// Least significant bit first: a 64-bit run, then a string.
#[derive(Debug, Clone, PartialEq, Arbitrary, Encode, Decode, Message)]
#[codec(id = 2, bit_order = "lsb")]
pub struct LsbBits {
    #[codec(bits = 7)]
    pub a: u8,
    #[codec(bits = 40)]
    pub big: u64,
    #[codec(bits = 17)]
    pub c: u32,
    #[codec(len = u8)]
    pub name: String,
}

/// Bit fields in variants.
#[derive(Debug, Clone, PartialEq, Arbitrary, Encode, Decode, Message)]
#[codec(id = 3)]
pub enum BitsEnum {
    #[codec(id = 1)]
    Flags(#[codec(bits = 4)] Op, #[codec(bits = 4)] u8),
    #[codec(id = 2)]
    Wide {
        #[codec(bits = 64)]
        all: u64,
    },
}

/// The three framed under `StdHeader`.
#[derive(Debug, Clone, PartialEq, Protocol)]
pub enum BitsFrames {
    Msb(MsbBits),
    Lsb(LsbBits),
    Enum(BitsEnum),
}
