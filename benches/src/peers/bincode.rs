//! bincode 2 (`config::standard()`: variable-length integers, little-endian;
//! what `bincode` users get by default). Not wire-compatible: lengths and
//! multi-byte integers are varints, so the same values are compared in
//! bincode's own format (checked by round trip). Derives `Encode`, `Decode`
//! and, for the views, `BorrowDecode` (`&str`, `&[u8]`).
//!
//! bincode checks bools and UTF-8 itself; `decode_from_slice` returns the
//! bytes consumed and the wrapper rejects leftovers. Encoding appends
//! through `encode_into_std_write` on the caller's `Vec`.

use ::bincode::config::{standard, Configuration};
use ::bincode::error::{DecodeError, EncodeError};
use ::bincode::{BorrowDecode, Decode, Encode};

use super::{whole, Borrowing, Peer, PeerInfo, Whole};

/// The bincode 2 contender.
#[derive(Debug, Clone, Copy)]
pub struct Bincode;

impl PeerInfo for Bincode {
    const NAME: &'static str = "bincode";
    const WIRE_COMPATIBLE: bool = false;
    const BORROWING: Borrowing = Borrowing::Supported;
    const NOTES: &'static str = "not wire-compatible: bincode 2 standard() format (varints)";
}

const CONFIG: Configuration = standard();

/// The store request, bincode's way.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct StoreRequest {
    /// Transaction number.
    pub trans: u8,
    /// Key.
    pub name: String,
    /// Value.
    pub data: Vec<u8>,
}

/// The store request, borrowing.
#[derive(Debug, Clone, Copy, PartialEq, Encode, BorrowDecode)]
pub struct StoreRequestRef<'a> {
    /// Transaction number.
    pub trans: u8,
    /// Key.
    pub name: &'a str,
    /// Value.
    pub data: &'a [u8],
}

/// The mixed message, bincode's way.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[allow(missing_docs, reason = "the fields of crate::Mixed")]
pub struct Mixed {
    pub id: u64,
    pub seq: u32,
    pub kind: u8,
    pub flags: u16,
    pub temp: i16,
    pub delta: i32,
    pub offset: i64,
    pub ratio: f32,
    pub value: f64,
    pub small: i8,
    pub active: bool,
    pub urgent: bool,
    pub label: String,
    pub note: String,
}

/// The mixed message, borrowing.
#[derive(Debug, Clone, Copy, PartialEq, Encode, BorrowDecode)]
#[allow(missing_docs, reason = "the fields of crate::Mixed")]
pub struct MixedRef<'a> {
    pub id: u64,
    pub seq: u32,
    pub kind: u8,
    pub flags: u16,
    pub temp: i16,
    pub delta: i32,
    pub offset: i64,
    pub ratio: f32,
    pub value: f64,
    pub small: i8,
    pub active: bool,
    pub urgent: bool,
    pub label: &'a str,
    pub note: &'a str,
}

/// Decodes one owned `T` that takes all of `input`.
#[inline(always)]
fn read_whole<T: Decode<()>>(input: &[u8]) -> Result<T, Whole<DecodeError>> {
    let (value, consumed) = ::bincode::decode_from_slice(input, CONFIG)?;
    whole(consumed, input.len())?;
    Ok(value)
}

/// Decodes one borrowing `T` that takes all of `input`.
#[inline(always)]
fn borrow_whole<'a, T: BorrowDecode<'a, ()>>(input: &'a [u8]) -> Result<T, Whole<DecodeError>> {
    let (value, consumed) = ::bincode::borrow_decode_from_slice(input, CONFIG)?;
    whole(consumed, input.len())?;
    Ok(value)
}

/// Appends `value` to `buf`.
#[inline(always)]
fn append<T: Encode>(value: &T, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
    ::bincode::encode_into_std_write(value, buf, CONFIG).map(drop)
}

impl Peer<crate::StoreRequest> for Bincode {
    type Owned = StoreRequest;
    type Borrowed<'a> = StoreRequestRef<'a>;
    type EncodeError = EncodeError;
    type DecodeError = Whole<DecodeError>;

    fn owned(m: &crate::StoreRequest) -> StoreRequest {
        StoreRequest {
            trans: m.trans,
            name: m.name.clone(),
            data: m.data.clone(),
        }
    }
    fn model(o: &StoreRequest) -> crate::StoreRequest {
        crate::StoreRequest {
            trans: o.trans,
            name: o.name.clone(),
            data: o.data.clone(),
        }
    }
    #[inline(always)]
    fn encode(o: &StoreRequest, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
        append(o, buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<StoreRequest, Self::DecodeError> {
        read_whole(input)
    }
    #[inline(always)]
    fn decode_borrowed(input: &[u8]) -> Result<StoreRequestRef<'_>, Self::DecodeError> {
        borrow_whole(input)
    }
    fn borrowed_model(b: &StoreRequestRef<'_>) -> crate::StoreRequest {
        crate::StoreRequest {
            trans: b.trans,
            name: b.name.to_owned(),
            data: b.data.to_vec(),
        }
    }
    fn data_ptr(o: &StoreRequest) -> Option<*const u8> {
        Some(o.data.as_ptr())
    }
}

impl Peer<crate::Mixed> for Bincode {
    type Owned = Mixed;
    type Borrowed<'a> = MixedRef<'a>;
    type EncodeError = EncodeError;
    type DecodeError = Whole<DecodeError>;

    fn owned(m: &crate::Mixed) -> Mixed {
        copy_mixed!(Mixed, m, |s| s.clone(), |b| *b)
    }
    fn model(o: &Mixed) -> crate::Mixed {
        copy_mixed!(crate::Mixed, o, |s| s.clone(), |b| *b)
    }
    #[inline(always)]
    fn encode(o: &Mixed, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
        append(o, buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<Mixed, Self::DecodeError> {
        read_whole(input)
    }
    #[inline(always)]
    fn decode_borrowed(input: &[u8]) -> Result<MixedRef<'_>, Self::DecodeError> {
        borrow_whole(input)
    }
    fn borrowed_model(b: &MixedRef<'_>) -> crate::Mixed {
        copy_mixed!(crate::Mixed, b, |s| (*s).to_owned(), |b| *b)
    }
}
