//! deku 0.20 (byte-level: without its `bits` feature):
//! `#[deku_derive(DekuRead, DekuWrite)]` with `endian = "big"`; each length
//! prefix is a `temp` field whose `temp_value` is a checked conversion.
//! Byte vectors use `count` (deku's fast `ReadExact` path on read). Strings
//! and byte vectors are written with `Writer::write_bytes` through a
//! `writer` attribute, and strings read through a `reader` that reads the
//! bytes with `ReadExact` and checks UTF-8: deku has no `String`, and its
//! `Vec<u8>` writer goes byte by byte. deku checks bools itself.
//!
//! deku reads from `io::Read + Seek` (`from_bytes` wraps the input in a
//! cursor), so it cannot borrow; `from_bytes` returns the rest of the input,
//! which must be empty. Encoding writes through an `io::Cursor` over the
//! caller's `Vec`, positioned at its end.

use deku::ctx::ReadExact;
use deku::no_std_io::{Cursor, Read, Seek};
use deku::prelude::*;
use deku::reader::Reader;

use super::{Borrowing, Peer, PeerInfo, Whole};

/// The deku contender.
#[derive(Debug, Clone, Copy)]
pub struct Deku;

impl PeerInfo for Deku {
    const NAME: &'static str = "deku";
    const WIRE_COMPATIBLE: bool = true;
    const BORROWING: Borrowing = Borrowing::Unsupported("reads from io::Read + Seek");
    const NOTES: &'static str =
        "string fields read and bytes written by small `reader`/`writer` functions";
}

/// A length that does not fit its prefix.
fn too_long() -> DekuError {
    DekuError::InvalidParam("length does not fit its prefix".into())
}

/// Reads `len` bytes of UTF-8.
fn read_string<R: Read + Seek>(reader: &mut Reader<R>, len: usize) -> Result<String, DekuError> {
    let bytes = Vec::<u8>::from_reader_with_ctx(reader, ReadExact(len))?;
    String::from_utf8(bytes).map_err(|_| DekuError::Parse("invalid utf-8".into()))
}

/// The store request, deku's way.
#[deku_derive(DekuRead, DekuWrite)]
#[derive(Debug, Clone, PartialEq)]
#[deku(endian = "big")]
pub struct StoreRequest {
    /// Transaction number.
    pub trans: u8,
    #[deku(temp, temp_value = "u8::try_from(name.len()).map_err(|_| too_long())?")]
    name_len: u8,
    /// Key.
    #[deku(
        reader = "read_string(deku::reader, usize::from(*name_len))",
        writer = "deku::writer.write_bytes(name.as_bytes())"
    )]
    pub name: String,
    #[deku(
        temp,
        temp_value = "u16::try_from(data.len()).map_err(|_| too_long())?"
    )]
    data_len: u16,
    /// Value.
    #[deku(count = "data_len", writer = "deku::writer.write_bytes(data)")]
    pub data: Vec<u8>,
}

/// The mixed message, deku's way.
#[deku_derive(DekuRead, DekuWrite)]
#[derive(Debug, Clone, PartialEq)]
#[deku(endian = "big")]
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
    #[deku(
        temp,
        temp_value = "u8::try_from(label.len()).map_err(|_| too_long())?"
    )]
    label_len: u8,
    #[deku(
        reader = "read_string(deku::reader, usize::from(*label_len))",
        writer = "deku::writer.write_bytes(label.as_bytes())"
    )]
    pub label: String,
    #[deku(temp, temp_value = "u8::try_from(note.len()).map_err(|_| too_long())?")]
    note_len: u8,
    #[deku(
        reader = "read_string(deku::reader, usize::from(*note_len))",
        writer = "deku::writer.write_bytes(note.as_bytes())"
    )]
    pub note: String,
}

/// Reads one `T` that takes all of `input`.
#[inline(always)]
fn read_whole<'a, T: DekuContainerRead<'a>>(input: &'a [u8]) -> Result<T, Whole<DekuError>> {
    let ((rest, bits), value) = T::from_bytes((input, 0))?;
    if rest.is_empty() && bits == 0 {
        Ok(value)
    } else {
        Err(Whole::Trailing { count: rest.len() })
    }
}

/// Appends `value` to `buf`.
#[inline(always)]
fn append<T: DekuWriter>(value: &T, buf: &mut Vec<u8>) -> Result<(), DekuError> {
    let end = buf.len() as u64;
    let mut cursor = Cursor::new(buf);
    cursor.set_position(end);
    let mut writer = Writer::new(&mut cursor);
    value.to_writer(&mut writer, ())?;
    writer.finalize()
}

impl Peer<crate::StoreRequest> for Deku {
    type Owned = StoreRequest;
    type Borrowed<'a> = ();
    type EncodeError = DekuError;
    type DecodeError = Whole<DekuError>;

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
    fn encode(o: &StoreRequest, buf: &mut Vec<u8>) -> Result<(), DekuError> {
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

impl Peer<crate::Mixed> for Deku {
    type Owned = Mixed;
    type Borrowed<'a> = ();
    type EncodeError = DekuError;
    type DecodeError = Whole<DekuError>;

    fn owned(m: &crate::Mixed) -> Mixed {
        copy_mixed!(Mixed, m, |s| s.clone(), |b| *b)
    }
    fn model(o: &Mixed) -> crate::Mixed {
        copy_mixed!(crate::Mixed, o, |s| s.clone(), |b| *b)
    }
    #[inline(always)]
    fn encode(o: &Mixed, buf: &mut Vec<u8>) -> Result<(), DekuError> {
        append(o, buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<Mixed, Self::DecodeError> {
        read_whole(input)
    }
}

// ## The real-world rows (issue 12): deku's `bits` and NUL-terminated
// strings (its `CString` reader, then a UTF-8 check).

/// Reads a NUL-terminated UTF-8 string.
fn read_cstr<R: Read + Seek>(reader: &mut Reader<R>) -> Result<String, DekuError> {
    let c = std::ffi::CString::from_reader_with_ctx(reader, ())?;
    c.into_string()
        .map_err(|_| DekuError::Parse("invalid utf-8".into()))
}

/// Writes a string and its NUL; a NUL inside it is an error.
fn write_cstr<W: deku::no_std_io::Write + Seek>(
    writer: &mut Writer<W>,
    s: &str,
) -> Result<(), DekuError> {
    if s.as_bytes().contains(&0) {
        return Err(DekuError::InvalidParam("a NUL inside a string".into()));
    }
    writer.write_bytes(s.as_bytes())?;
    writer.write_bytes(&[0])
}

/// The DNS header, deku's way: `bits` on each flag.
#[deku_derive(DekuRead, DekuWrite)]
#[derive(Debug, Clone, Copy, PartialEq)]
#[deku(endian = "big")]
#[allow(missing_docs, reason = "the fields of crate::rows::DnsHeader")]
pub struct DnsHeader {
    pub id: u16,
    #[deku(bits = 1)]
    pub qr: bool,
    #[deku(bits = 4)]
    pub opcode: u8,
    #[deku(bits = 1)]
    pub aa: bool,
    #[deku(bits = 1)]
    pub tc: bool,
    #[deku(bits = 1)]
    pub rd: bool,
    #[deku(bits = 1)]
    pub ra: bool,
    #[deku(bits = 3)]
    pub z: u8,
    #[deku(bits = 4)]
    pub rcode: u8,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
}

/// The three NUL-terminated strings, deku's way.
#[deku_derive(DekuRead, DekuWrite)]
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs, reason = "the fields of crate::rows::PgStrings")]
pub struct PgStrings {
    #[deku(
        reader = "read_cstr(deku::reader)",
        writer = "write_cstr(deku::writer, user)"
    )]
    pub user: String,
    #[deku(
        reader = "read_cstr(deku::reader)",
        writer = "write_cstr(deku::writer, database)"
    )]
    pub database: String,
    #[deku(
        reader = "read_cstr(deku::reader)",
        writer = "write_cstr(deku::writer, application)"
    )]
    pub application: String,
}

/// Copies a DNS header between two types with the same field names.
macro_rules! copy_dns {
    ($T:path, $h:expr) => {{
        let h = $h;
        $T {
            id: h.id,
            qr: h.qr,
            opcode: h.opcode,
            aa: h.aa,
            tc: h.tc,
            rd: h.rd,
            ra: h.ra,
            z: h.z,
            rcode: h.rcode,
            qdcount: h.qdcount,
            ancount: h.ancount,
            nscount: h.nscount,
            arcount: h.arcount,
        }
    }};
}
pub(crate) use copy_dns;

/// Copies the three strings between two types with the same field names.
macro_rules! copy_pg {
    ($T:path, $m:expr) => {{
        let m = $m;
        $T {
            user: m.user.clone(),
            database: m.database.clone(),
            application: m.application.clone(),
        }
    }};
}
pub(crate) use copy_pg;

impl Peer<crate::rows::DnsHeader> for Deku {
    type Owned = DnsHeader;
    type Borrowed<'a> = ();
    type EncodeError = DekuError;
    type DecodeError = Whole<DekuError>;

    fn owned(m: &crate::rows::DnsHeader) -> DnsHeader {
        copy_dns!(DnsHeader, m)
    }
    fn model(o: &DnsHeader) -> crate::rows::DnsHeader {
        copy_dns!(crate::rows::DnsHeader, o)
    }
    #[inline(always)]
    fn encode(o: &DnsHeader, buf: &mut Vec<u8>) -> Result<(), DekuError> {
        append(o, buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<DnsHeader, Self::DecodeError> {
        read_whole(input)
    }
}

impl Peer<crate::rows::PgStrings> for Deku {
    type Owned = PgStrings;
    type Borrowed<'a> = ();
    type EncodeError = DekuError;
    type DecodeError = Whole<DekuError>;

    fn owned(m: &crate::rows::PgStrings) -> PgStrings {
        copy_pg!(PgStrings, m)
    }
    fn model(o: &PgStrings) -> crate::rows::PgStrings {
        copy_pg!(crate::rows::PgStrings, o)
    }
    #[inline(always)]
    fn encode(o: &PgStrings, buf: &mut Vec<u8>) -> Result<(), DekuError> {
        append(o, buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<PgStrings, Self::DecodeError> {
        read_whole(input)
    }
}
