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

// ## The real-world rows (issue 12). binrw has no bit-field attribute: its
// way is a `temp` integer read whole, each field `calc`ulated from it on
// read, and the integer `try_calc`ulated from the fields on write (values
// too wide are refused there). NUL-terminated strings are its `NullString`
// on read (then a UTF-8 check) and a small writer checking for NUL.

/// The DNS flags from the fields; a value too wide for its bits is an
/// error.
fn dns_flags(h: &DnsHeader) -> Result<u16, binrw::Error> {
    if h.opcode > 15 || h.z > 7 || h.rcode > 15 {
        return Err(binrw::Error::AssertFail {
            pos: 0,
            message: "a value too wide for its bits".into(),
        });
    }
    Ok(u16::from(h.qr) << 15
        | u16::from(h.opcode) << 11
        | u16::from(h.aa) << 10
        | u16::from(h.tc) << 9
        | u16::from(h.rd) << 8
        | u16::from(h.ra) << 7
        | u16::from(h.z) << 4
        | u16::from(h.rcode))
}

/// The DNS header, binrw's way.
#[binrw]
#[brw(big)]
#[derive(Debug, Clone, Copy, PartialEq)]
#[allow(missing_docs, reason = "the fields of crate::rows::DnsHeader")]
pub struct DnsHeader {
    pub id: u16,
    #[br(temp)]
    #[bw(try_calc = dns_flags(&DnsHeader { id: *id, qr: *qr, opcode: *opcode, aa: *aa, tc: *tc, rd: *rd, ra: *ra, z: *z, rcode: *rcode, qdcount: *qdcount, ancount: *ancount, nscount: *nscount, arcount: *arcount }))]
    flags: u16,
    #[br(calc = flags >> 15 & 1 == 1)]
    #[bw(ignore)]
    pub qr: bool,
    #[br(calc = (flags >> 11 & 0xf) as u8)]
    #[bw(ignore)]
    pub opcode: u8,
    #[br(calc = flags >> 10 & 1 == 1)]
    #[bw(ignore)]
    pub aa: bool,
    #[br(calc = flags >> 9 & 1 == 1)]
    #[bw(ignore)]
    pub tc: bool,
    #[br(calc = flags >> 8 & 1 == 1)]
    #[bw(ignore)]
    pub rd: bool,
    #[br(calc = flags >> 7 & 1 == 1)]
    #[bw(ignore)]
    pub ra: bool,
    #[br(calc = (flags >> 4 & 7) as u8)]
    #[bw(ignore)]
    pub z: u8,
    #[br(calc = (flags & 0xf) as u8)]
    #[bw(ignore)]
    pub rcode: u8,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
}

/// Writes a string and its NUL; a NUL inside it is an error.
#[binrw::writer(writer)]
fn write_cstr(s: &String) -> BinResult<()> {
    if s.as_bytes().contains(&0) {
        return Err(binrw::Error::AssertFail {
            pos: 0,
            message: "a NUL inside a string".into(),
        });
    }
    writer.write_all(s.as_bytes())?;
    writer.write_all(&[0])?;
    Ok(())
}

/// A `NullString` as UTF-8.
fn utf8(s: binrw::NullString) -> Result<String, std::string::FromUtf8Error> {
    String::from_utf8(s.0)
}

/// The three NUL-terminated strings, binrw's way.
#[binrw]
#[brw(big)]
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs, reason = "the fields of crate::rows::PgStrings")]
pub struct PgStrings {
    #[br(try_map = utf8)]
    #[bw(write_with = write_cstr)]
    pub user: String,
    #[br(try_map = utf8)]
    #[bw(write_with = write_cstr)]
    pub database: String,
    #[br(try_map = utf8)]
    #[bw(write_with = write_cstr)]
    pub application: String,
}

impl Peer<crate::rows::DnsHeader> for Binrw {
    type Owned = DnsHeader;
    type Borrowed<'a> = ();
    type EncodeError = binrw::Error;
    type DecodeError = Whole<binrw::Error>;

    fn owned(m: &crate::rows::DnsHeader) -> DnsHeader {
        super::deku::copy_dns!(DnsHeader, m)
    }
    fn model(o: &DnsHeader) -> crate::rows::DnsHeader {
        super::deku::copy_dns!(crate::rows::DnsHeader, o)
    }
    #[inline(always)]
    fn encode(o: &DnsHeader, buf: &mut Vec<u8>) -> BinResult<()> {
        append(o, buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<DnsHeader, Self::DecodeError> {
        read_whole(input)
    }
}

impl Peer<crate::rows::PgStrings> for Binrw {
    type Owned = PgStrings;
    type Borrowed<'a> = ();
    type EncodeError = binrw::Error;
    type DecodeError = Whole<binrw::Error>;

    fn owned(m: &crate::rows::PgStrings) -> PgStrings {
        super::deku::copy_pg!(PgStrings, m)
    }
    fn model(o: &PgStrings) -> crate::rows::PgStrings {
        super::deku::copy_pg!(crate::rows::PgStrings, o)
    }
    #[inline(always)]
    fn encode(o: &PgStrings, buf: &mut Vec<u8>) -> BinResult<()> {
        append(o, buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<PgStrings, Self::DecodeError> {
        read_whole(input)
    }
}
