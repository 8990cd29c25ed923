//! postcard 1 (serde): LEB128 varints for lengths and integers,
//! little-endian floats. Not wire-compatible: the same values are compared
//! in postcard's own format (checked by round trip). Byte vectors are
//! `#[serde(with = "serde_bytes")]` so that they travel as one byte string
//! rather than a sequence of `u8` (what any postcard user does); the views
//! borrow `&str` and `&[u8]`.
//!
//! postcard checks bools and UTF-8 itself; `take_from_bytes` returns the
//! unread rest and the wrapper rejects leftovers. Encoding appends through
//! `to_io` on the caller's `Vec`.

use serde::{Deserialize, Serialize};

use super::{whole, Borrowing, Peer, PeerInfo, Whole};

/// The postcard contender.
#[derive(Debug, Clone, Copy)]
pub struct Postcard;

impl PeerInfo for Postcard {
    const NAME: &'static str = "postcard";
    const WIRE_COMPATIBLE: bool = false;
    const BORROWING: Borrowing = Borrowing::Supported;
    const NOTES: &'static str = "not wire-compatible: postcard format (varints), through serde";
}

/// The store request, postcard's way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreRequest {
    /// Transaction number.
    pub trans: u8,
    /// Key.
    pub name: String,
    /// Value.
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

/// The store request, borrowing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StoreRequestRef<'a> {
    /// Transaction number.
    pub trans: u8,
    /// Key.
    pub name: &'a str,
    /// Value.
    #[serde(with = "serde_bytes", borrow)]
    pub data: &'a [u8],
}

/// The mixed message, postcard's way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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

/// Decodes one `T` that takes all of `input`.
#[inline(always)]
fn read_whole<'a, T: Deserialize<'a>>(input: &'a [u8]) -> Result<T, Whole<postcard::Error>> {
    let (value, rest) = postcard::take_from_bytes(input)?;
    whole(input.len() - rest.len(), input.len())?;
    Ok(value)
}

/// Appends `value` to `buf`.
#[inline(always)]
fn append<T: Serialize>(value: &T, buf: &mut Vec<u8>) -> Result<(), postcard::Error> {
    postcard::to_io(value, buf).map(drop)
}

impl Peer<crate::StoreRequest> for Postcard {
    type Owned = StoreRequest;
    type Borrowed<'a> = StoreRequestRef<'a>;
    type EncodeError = postcard::Error;
    type DecodeError = Whole<postcard::Error>;

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
    fn encode(o: &StoreRequest, buf: &mut Vec<u8>) -> Result<(), postcard::Error> {
        append(o, buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<StoreRequest, Self::DecodeError> {
        read_whole(input)
    }
    #[inline(always)]
    fn decode_borrowed(input: &[u8]) -> Result<StoreRequestRef<'_>, Self::DecodeError> {
        read_whole(input)
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

impl Peer<crate::Mixed> for Postcard {
    type Owned = Mixed;
    type Borrowed<'a> = MixedRef<'a>;
    type EncodeError = postcard::Error;
    type DecodeError = Whole<postcard::Error>;

    fn owned(m: &crate::Mixed) -> Mixed {
        copy_mixed!(Mixed, m, |s| s.clone(), |b| *b)
    }
    fn model(o: &Mixed) -> crate::Mixed {
        copy_mixed!(crate::Mixed, o, |s| s.clone(), |b| *b)
    }
    #[inline(always)]
    fn encode(o: &Mixed, buf: &mut Vec<u8>) -> Result<(), postcard::Error> {
        append(o, buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<Mixed, Self::DecodeError> {
        read_whole(input)
    }
    #[inline(always)]
    fn decode_borrowed(input: &[u8]) -> Result<MixedRef<'_>, Self::DecodeError> {
        read_whole(input)
    }
    fn borrowed_model(b: &MixedRef<'_>) -> crate::Mixed {
        copy_mixed!(crate::Mixed, b, |s| (*s).to_owned(), |b| *b)
    }
}
