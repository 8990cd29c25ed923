//! scroll 0.13: `#[derive(Pread, Pwrite)]` over slices, big-endian
//! context. scroll's derives handle fixed-size fields only, so the
//! length-prefixed strings and bytes and the checked bool are small field
//! types here with hand-written `TryFromCtx`/`TryIntoCtx` impls (as a scroll
//! user writes them); the derives do the rest. Borrowed decoding is scroll's
//! native mode (`&str`, `&[u8]`); the owned types copy.
//!
//! scroll writes into a slice, not a growing buffer: the wrapper computes
//! the encoded length, grows the caller's `Vec` by that much (zero-filled)
//! and writes in place. `pread_with` returns the bytes consumed; leftovers
//! are rejected.

use scroll::ctx::{StrCtx, TryFromCtx, TryIntoCtx};
use scroll::{Endian, Pread, Pwrite, BE};

use super::{whole, Borrowing, Peer, PeerInfo, Whole};

/// The scroll contender.
#[derive(Debug, Clone, Copy)]
pub struct Scroll;

impl PeerInfo for Scroll {
    const NAME: &'static str = "scroll";
    const WIRE_COMPATIBLE: bool = true;
    const BORROWING: Borrowing = Borrowing::Supported;
    const NOTES: &'static str =
        "derive plus hand-written field types for prefixed strings/bytes and bool; writes into a zero-filled slice";
}

/// A string borrowed from the input, after a u8 byte count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Str8<'a>(pub &'a str);

/// Bytes borrowed from the input, after a u16 byte count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bytes16<'a>(pub &'a [u8]);

/// An owned string after a u8 byte count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct String8(pub String);

/// Owned bytes after a u16 byte count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vec16(pub Vec<u8>);

/// A bool byte: 0 or 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

/// A length that does not fit its prefix.
fn too_long(len: usize) -> scroll::Error {
    scroll::Error::TooBig {
        size: len,
        len: usize::from(u8::MAX),
    }
}

impl<'a> TryFromCtx<'a, Endian> for Str8<'a> {
    type Error = scroll::Error;
    #[inline]
    fn try_from_ctx(src: &'a [u8], ctx: Endian) -> Result<(Self, usize), scroll::Error> {
        let offset = &mut 0;
        let len: u8 = src.gread_with(offset, ctx)?;
        let s: &str = src.gread_with(offset, StrCtx::Length(usize::from(len)))?;
        Ok((Str8(s), *offset))
    }
}

impl TryIntoCtx<Endian> for &Str8<'_> {
    type Error = scroll::Error;
    #[inline]
    fn try_into_ctx(self, dst: &mut [u8], ctx: Endian) -> Result<usize, scroll::Error> {
        write_prefixed::<u8>(self.0.as_bytes(), dst, ctx)
    }
}

impl<'a> TryFromCtx<'a, Endian> for Bytes16<'a> {
    type Error = scroll::Error;
    #[inline]
    fn try_from_ctx(src: &'a [u8], ctx: Endian) -> Result<(Self, usize), scroll::Error> {
        let offset = &mut 0;
        let len: u16 = src.gread_with(offset, ctx)?;
        let b: &[u8] = src.gread_with(offset, usize::from(len))?;
        Ok((Bytes16(b), *offset))
    }
}

impl TryIntoCtx<Endian> for &Bytes16<'_> {
    type Error = scroll::Error;
    #[inline]
    fn try_into_ctx(self, dst: &mut [u8], ctx: Endian) -> Result<usize, scroll::Error> {
        write_prefixed::<u16>(self.0, dst, ctx)
    }
}

impl<'a> TryFromCtx<'a, Endian> for String8 {
    type Error = scroll::Error;
    #[inline]
    fn try_from_ctx(src: &'a [u8], ctx: Endian) -> Result<(Self, usize), scroll::Error> {
        let (s, n) = Str8::try_from_ctx(src, ctx)?;
        Ok((String8(s.0.to_owned()), n))
    }
}

impl TryIntoCtx<Endian> for &String8 {
    type Error = scroll::Error;
    #[inline]
    fn try_into_ctx(self, dst: &mut [u8], ctx: Endian) -> Result<usize, scroll::Error> {
        write_prefixed::<u8>(self.0.as_bytes(), dst, ctx)
    }
}

impl<'a> TryFromCtx<'a, Endian> for Vec16 {
    type Error = scroll::Error;
    #[inline]
    fn try_from_ctx(src: &'a [u8], ctx: Endian) -> Result<(Self, usize), scroll::Error> {
        let (b, n) = Bytes16::try_from_ctx(src, ctx)?;
        Ok((Vec16(b.0.to_vec()), n))
    }
}

impl TryIntoCtx<Endian> for &Vec16 {
    type Error = scroll::Error;
    #[inline]
    fn try_into_ctx(self, dst: &mut [u8], ctx: Endian) -> Result<usize, scroll::Error> {
        write_prefixed::<u16>(&self.0, dst, ctx)
    }
}

impl<'a> TryFromCtx<'a, Endian> for Flag {
    type Error = scroll::Error;
    #[inline]
    fn try_from_ctx(src: &'a [u8], ctx: Endian) -> Result<(Self, usize), scroll::Error> {
        match src.pread_with::<u8>(0, ctx)? {
            0 => Ok((Flag(false), 1)),
            1 => Ok((Flag(true), 1)),
            _ => Err(scroll::Error::BadInput {
                size: 1,
                msg: "invalid bool",
            }),
        }
    }
}

impl TryIntoCtx<Endian> for &Flag {
    type Error = scroll::Error;
    #[inline]
    fn try_into_ctx(self, dst: &mut [u8], ctx: Endian) -> Result<usize, scroll::Error> {
        dst.pwrite_with(u8::from(self.0), 0, ctx)
    }
}

/// Writes `bytes` after a `P` byte count.
#[inline]
fn write_prefixed<P>(bytes: &[u8], dst: &mut [u8], ctx: Endian) -> Result<usize, scroll::Error>
where
    P: TryFrom<usize> + TryIntoCtx<Endian, Error = scroll::Error>,
{
    let len = P::try_from(bytes.len()).map_err(|_| too_long(bytes.len()))?;
    let offset = &mut 0;
    dst.gwrite_with(len, offset, ctx)?;
    dst.gwrite_with(bytes, offset, ())?;
    Ok(*offset)
}

/// The store request, scroll's way.
#[derive(Debug, Clone, PartialEq, Pread, Pwrite)]
pub struct StoreRequest {
    /// Transaction number.
    pub trans: u8,
    /// Key.
    pub name: String8,
    /// Value.
    pub data: Vec16,
}

/// The store request, borrowing.
#[derive(Debug, Clone, Copy, PartialEq, Pread, Pwrite)]
pub struct StoreRequestRef<'a> {
    /// Transaction number.
    pub trans: u8,
    /// Key.
    pub name: Str8<'a>,
    /// Value.
    pub data: Bytes16<'a>,
}

/// The mixed message, scroll's way.
#[derive(Debug, Clone, PartialEq, Pread, Pwrite)]
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
    pub active: Flag,
    pub urgent: Flag,
    pub label: String8,
    pub note: String8,
}

/// The mixed message, borrowing.
#[derive(Debug, Clone, Copy, PartialEq, Pread, Pwrite)]
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
    pub active: Flag,
    pub urgent: Flag,
    pub label: Str8<'a>,
    pub note: Str8<'a>,
}

/// Reads one `T` that takes all of `input`.
#[inline(always)]
fn read_whole<'a, T>(input: &'a [u8]) -> Result<T, Whole<scroll::Error>>
where
    T: TryFromCtx<'a, Endian, Error = scroll::Error>,
{
    let offset = &mut 0;
    let value = input.gread_with::<T>(offset, BE)?;
    whole(*offset, input.len())?;
    Ok(value)
}

/// Grows `buf` by `len` zero bytes and writes `value` there.
#[inline(always)]
fn append<T>(value: &T, len: usize, buf: &mut Vec<u8>) -> Result<(), scroll::Error>
where
    for<'v> &'v T: TryIntoCtx<Endian, Error = scroll::Error>,
{
    let start = buf.len();
    buf.resize(start + len, 0);
    match buf.pwrite_with(value, start, BE) {
        Ok(_) => Ok(()),
        Err(e) => {
            buf.truncate(start);
            Err(e)
        }
    }
}

impl Peer<crate::StoreRequest> for Scroll {
    type Owned = StoreRequest;
    type Borrowed<'a> = StoreRequestRef<'a>;
    type EncodeError = scroll::Error;
    type DecodeError = Whole<scroll::Error>;

    fn owned(m: &crate::StoreRequest) -> StoreRequest {
        StoreRequest {
            trans: m.trans,
            name: String8(m.name.clone()),
            data: Vec16(m.data.clone()),
        }
    }
    fn model(o: &StoreRequest) -> crate::StoreRequest {
        crate::StoreRequest {
            trans: o.trans,
            name: o.name.0.clone(),
            data: o.data.0.clone(),
        }
    }
    #[inline(always)]
    fn encode(o: &StoreRequest, buf: &mut Vec<u8>) -> Result<(), scroll::Error> {
        append(o, 1 + 1 + o.name.0.len() + 2 + o.data.0.len(), buf)
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
            name: b.name.0.to_owned(),
            data: b.data.0.to_vec(),
        }
    }
    fn data_ptr(o: &StoreRequest) -> Option<*const u8> {
        Some(o.data.0.as_ptr())
    }
}

impl Peer<crate::Mixed> for Scroll {
    type Owned = Mixed;
    type Borrowed<'a> = MixedRef<'a>;
    type EncodeError = scroll::Error;
    type DecodeError = Whole<scroll::Error>;

    fn owned(m: &crate::Mixed) -> Mixed {
        copy_mixed!(Mixed, m, |s| String8(s.clone()), |b| Flag(*b))
    }
    fn model(o: &Mixed) -> crate::Mixed {
        copy_mixed!(crate::Mixed, o, |s| s.0.clone(), |b| b.0)
    }
    #[inline(always)]
    fn encode(o: &Mixed, buf: &mut Vec<u8>) -> Result<(), scroll::Error> {
        append(o, 44 + 1 + o.label.0.len() + 1 + o.note.0.len(), buf)
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
        copy_mixed!(crate::Mixed, b, |s| s.0.to_owned(), |b| b.0)
    }
}
