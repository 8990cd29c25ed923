//! speedy 0.8: `#[derive(Readable, Writable)]` with
//! `#[speedy(length_type = u8|u16)]` and a big-endian context writes our
//! wire format exactly. Borrowed decoding uses `Cow` fields, which speedy
//! borrows when reading from a buffer.
//!
//! speedy reads any non-zero byte as `true` (no bool check), and its
//! `read_from_buffer` ignores bytes left after the value: the wrapper uses
//! `read_with_length_from_buffer_with_ctx` and rejects leftovers, as every
//! other contender does. Encoding appends through `write_to_stream_with_ctx`
//! on the caller's `Vec` (speedy's only appending API; each field is one
//! `Vec::extend_from_slice`); speedy checks length prefixes itself.

use std::borrow::Cow;

use speedy::{Endianness, Readable, Writable};

use super::{whole, Borrowing, Peer, PeerInfo, Whole};

/// The speedy contender.
#[derive(Debug, Clone, Copy)]
pub struct Speedy;

impl PeerInfo for Speedy {
    const NAME: &'static str = "speedy";
    const WIRE_COMPATIBLE: bool = true;
    const BORROWING: Borrowing = Borrowing::Supported;
    const NOTES: &'static str = "no bool check (any non-zero byte is true); borrows through `Cow`";
}

const BE: Endianness = Endianness::BigEndian;

/// The store request, speedy's way.
#[derive(Debug, Clone, PartialEq, Readable, Writable)]
pub struct StoreRequest {
    /// Transaction number.
    pub trans: u8,
    /// Key.
    #[speedy(length_type = u8)]
    pub name: String,
    /// Value.
    #[speedy(length_type = u16)]
    pub data: Vec<u8>,
}

/// The store request, borrowing through `Cow`.
#[derive(Debug, Clone, PartialEq, Readable, Writable)]
pub struct StoreRequestRef<'a> {
    /// Transaction number.
    pub trans: u8,
    /// Key.
    #[speedy(length_type = u8)]
    pub name: Cow<'a, str>,
    /// Value.
    #[speedy(length_type = u16)]
    pub data: Cow<'a, [u8]>,
}

/// The mixed message, speedy's way.
#[derive(Debug, Clone, PartialEq, Readable, Writable)]
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
    #[speedy(length_type = u8)]
    pub label: String,
    #[speedy(length_type = u8)]
    pub note: String,
}

/// The mixed message, borrowing through `Cow`.
#[derive(Debug, Clone, PartialEq, Readable, Writable)]
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
    #[speedy(length_type = u8)]
    pub label: Cow<'a, str>,
    #[speedy(length_type = u8)]
    pub note: Cow<'a, str>,
}

/// Reads one `T` that takes all of `input`.
#[inline(always)]
fn read_whole<'a, T: Readable<'a, Endianness>>(input: &'a [u8]) -> Result<T, Whole<speedy::Error>> {
    let (value, consumed) = T::read_with_length_from_buffer_with_ctx(BE, input);
    let value = value?;
    whole(consumed, input.len())?;
    Ok(value)
}

impl Peer<crate::StoreRequest> for Speedy {
    type Owned = StoreRequest;
    type Borrowed<'a> = StoreRequestRef<'a>;
    type EncodeError = speedy::Error;
    type DecodeError = Whole<speedy::Error>;

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
    fn encode(o: &StoreRequest, buf: &mut Vec<u8>) -> Result<(), speedy::Error> {
        o.write_to_stream_with_ctx(BE, buf)
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
        assert!(
            matches!((&b.name, &b.data), (Cow::Borrowed(_), Cow::Borrowed(_))),
            "speedy borrowed"
        );
        crate::StoreRequest {
            trans: b.trans,
            name: b.name.to_string(),
            data: b.data.to_vec(),
        }
    }
    fn data_ptr(o: &StoreRequest) -> Option<*const u8> {
        Some(o.data.as_ptr())
    }
}

impl Peer<crate::Mixed> for Speedy {
    type Owned = Mixed;
    type Borrowed<'a> = MixedRef<'a>;
    type EncodeError = speedy::Error;
    type DecodeError = Whole<speedy::Error>;

    fn owned(m: &crate::Mixed) -> Mixed {
        copy_mixed!(Mixed, m, |s| s.clone(), |b| *b)
    }
    fn model(o: &Mixed) -> crate::Mixed {
        copy_mixed!(crate::Mixed, o, |s| s.clone(), |b| *b)
    }
    #[inline(always)]
    fn encode(o: &Mixed, buf: &mut Vec<u8>) -> Result<(), speedy::Error> {
        o.write_to_stream_with_ctx(BE, buf)
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
        assert!(
            matches!((&b.label, &b.note), (Cow::Borrowed(_), Cow::Borrowed(_))),
            "speedy borrowed"
        );
        copy_mixed!(crate::Mixed, b, |s| s.to_string(), |b| *b)
    }
}
