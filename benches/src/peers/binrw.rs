//! binrw 0.15: `#[binrw]` with `#[brw(big)]`; each length prefix is a
//! `temp` field read before its string or bytes (`count = len`) and
//! computed on write with a checked `try_calc`. Strings are read as bytes
//! and checked with `String::from_utf8`; they are written with a small
//! `#[writer]` function that writes the bytes in one call (binrw's own
//! `[u8]` writer goes byte by byte). Bools are a `u8` checked to be 0 or 1.
//!
//! binrw reads from `io::Read + Seek` and writes to `io::Write + Seek`:
//! decoding goes through an `io::Cursor` over the input (trailing bytes
//! are found from its position) and cannot borrow; encoding writes through
//! an `io::Cursor` over the caller's `Vec`, positioned at its end.

use binrw::io::Cursor;
use binrw::{binrw, BinRead, BinResult, BinWrite};

use super::{whole, Borrowing, Peer, PeerInfo, Whole};

/// The binrw contender.
#[derive(Debug, Clone, Copy)]
pub struct Binrw;

impl PeerInfo for Binrw {
    const NAME: &'static str = "binrw";
    const WIRE_COMPATIBLE: bool = true;
    const BORROWING: Borrowing = Borrowing::Unsupported("reads from io::Read + Seek");
    const NOTES: &'static str = "string and bool fields mapped by hand (`try_map`, `#[writer]`)";
}

/// Writes a string's bytes in one call.
#[binrw::writer(writer)]
fn write_str(s: &String) -> BinResult<()> {
    writer.write_all(s.as_bytes())?;
    Ok(())
}

/// Reads a bool byte: 0 or 1 only.
fn bool_from(b: u8) -> Result<bool, &'static str> {
    match b {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err("invalid bool"),
    }
}

/// The store request, binrw's way.
#[binrw]
#[brw(big)]
#[derive(Debug, Clone, PartialEq)]
pub struct StoreRequest {
    /// Transaction number.
    pub trans: u8,
    #[br(temp)]
    #[bw(try_calc = u8::try_from(name.len()))]
    name_len: u8,
    /// Key.
    #[br(count = name_len, try_map = String::from_utf8)]
    #[bw(write_with = write_str)]
    pub name: String,
    #[br(temp)]
    #[bw(try_calc = u16::try_from(data.len()))]
    data_len: u16,
    /// Value.
    #[br(count = data_len)]
    pub data: Vec<u8>,
}

/// The mixed message, binrw's way.
#[binrw]
#[brw(big)]
#[derive(Debug, Clone, PartialEq)]
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
    #[br(try_map = bool_from)]
    #[bw(map = |b: &bool| u8::from(*b))]
    pub active: bool,
    #[br(try_map = bool_from)]
    #[bw(map = |b: &bool| u8::from(*b))]
    pub urgent: bool,
    #[br(temp)]
    #[bw(try_calc = u8::try_from(label.len()))]
    label_len: u8,
    #[br(count = label_len, try_map = String::from_utf8)]
    #[bw(write_with = write_str)]
    pub label: String,
    #[br(temp)]
    #[bw(try_calc = u8::try_from(note.len()))]
    note_len: u8,
    #[br(count = note_len, try_map = String::from_utf8)]
    #[bw(write_with = write_str)]
    pub note: String,
}

/// Reads one `T` that takes all of `input`.
#[inline(always)]
fn read_whole<T>(input: &[u8]) -> Result<T, Whole<binrw::Error>>
where
    T: BinRead + binrw::meta::ReadEndian,
    for<'a> T::Args<'a>: Default,
{
    let mut cursor = Cursor::new(input);
    let value = T::read(&mut cursor)?;
    whole(cursor.position() as usize, input.len())?;
    Ok(value)
}

/// Appends `value` to `buf`.
#[inline(always)]
fn append<T>(value: &T, buf: &mut Vec<u8>) -> BinResult<()>
where
    T: BinWrite + binrw::meta::WriteEndian,
    for<'a> T::Args<'a>: Default,
{
    let end = buf.len() as u64;
    let mut cursor = Cursor::new(buf);
    cursor.set_position(end);
    value.write(&mut cursor)
}

impl Peer<crate::StoreRequest> for Binrw {
    type Owned = StoreRequest;
    type Borrowed<'a> = ();
    type EncodeError = binrw::Error;
    type DecodeError = Whole<binrw::Error>;

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
    fn encode(o: &StoreRequest, buf: &mut Vec<u8>) -> BinResult<()> {
        append(o, buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<StoreRequest, Self::DecodeError> {
        read_whole(input)
    }
    fn data_ptr(o: &StoreRequest) -> Option<*const u8> {
        Some(o.data.as_ptr())
    }
}

impl Peer<crate::Mixed> for Binrw {
    type Owned = Mixed;
    type Borrowed<'a> = ();
    type EncodeError = binrw::Error;
    type DecodeError = Whole<binrw::Error>;

    fn owned(m: &crate::Mixed) -> Mixed {
        copy_mixed!(Mixed, m, |s| s.clone(), |b| *b)
    }
    fn model(o: &Mixed) -> crate::Mixed {
        copy_mixed!(crate::Mixed, o, |s| s.clone(), |b| *b)
    }
    #[inline(always)]
    fn encode(o: &Mixed, buf: &mut Vec<u8>) -> BinResult<()> {
        append(o, buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<Mixed, Self::DecodeError> {
        read_whole(input)
    }
}
