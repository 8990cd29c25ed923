//! Derived test types. Between them they use every supported field type
//! and every wire attribute of `#[derive(Encode, Decode)]`; the golden,
//! round-trip and hostile tests all run against this one set.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ffi::{CStr, CString};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::num::{NonZeroI8, NonZeroU16, NonZeroU32};
use std::rc::Rc;
use std::sync::Arc;

use bytes::Bytes;
use codec::{Decode, Encode, Message, Protocol};

/// The runtime under another path, for `#[codec(crate = "crate::rt")]`.
pub mod rt {
    pub use ::codec::*;
}

pub use crate::tutorial::{Status, StoreRequest};

/// A short store response (`trans`, `status`): a plain enum nested in a
/// struct. The framed tutorial response, with the key, is
/// [`crate::tutorial::StoreResponse`].
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct StoreResponse {
    pub trans: u8,
    pub status: Status,
}

/// Every fixed-width integer, big-endian by default.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Ints {
    pub a: u8,
    pub b: u16,
    pub c: u32,
    pub d: u64,
    pub e: u128,
    pub f: i8,
    pub g: i16,
    pub h: i32,
    pub i: i64,
    pub j: i128,
    pub k: usize,
    pub l: isize,
}

/// `bool`, floats and `char`. Floats compare by bits in the round-trip
/// tests (NaN).
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Scalars {
    pub yes: bool,
    pub no: bool,
    pub single: f32,
    pub double: f64,
    pub letter: char,
}

/// Arrays: bytes, wider integers, and arrays of arrays.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Arrays {
    pub bytes: [u8; 3],
    pub words: [u16; 2],
    pub grid: [[u8; 2]; 2],
}

/// Types with no length attribute: strings and vectors take a LEB128
/// count, `Option` a presence byte, `Box` is transparent.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Defaults {
    pub name: String,
    pub data: Vec<u8>,
    pub words: Vec<u16>,
    pub maybe: Option<u16>,
    pub boxed: Box<u32>,
}

/// Borrowed strings and byte slices, zero-copy.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Borrowed<'a> {
    #[codec(len = u8)]
    pub name: &'a str,
    #[codec(len = u16)]
    pub data: &'a [u8],
    pub label: &'a str,
    #[codec(rest)]
    pub tail: &'a [u8],
}

/// One field per inline length prefix.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Prefixes {
    #[codec(len = u8)]
    pub a: String,
    #[codec(len = u16)]
    pub b: String,
    #[codec(len = u32)]
    pub c: Vec<u8>,
    #[codec(len = u64)]
    pub d: Vec<u8>,
    #[codec(len = varint)]
    pub e: String,
    #[codec(len = vlq)]
    pub f: Vec<u8>,
}

/// What a length counts: bytes of the body, or elements.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Units {
    #[codec(len = u8, unit = bytes)]
    pub by_bytes: Vec<u16>,
    #[codec(len = u8, unit = elements)]
    pub by_elements: Vec<u16>,
    #[codec(len = u8)]
    pub by_default: Vec<u16>,
}

/// Lengths held by earlier fields (striptease's `String('name')['nlen']`).
/// Encode writes the real lengths into `nlen` and `wlen`, whatever they hold.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct LenFrom {
    pub nlen: u8,
    pub wlen: u16,
    pub tag: u8,
    #[codec(len_from = nlen)]
    pub name: String,
    #[codec(len_from = wlen, unit = bytes)]
    pub words: Vec<u16>,
}

/// Base-128 integers: LEB128 (`varint`) and big-endian (`vlq`), signed
/// ones zigzag-mapped.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Varints {
    #[codec(varint)]
    pub a: u64,
    #[codec(vlq)]
    pub b: u64,
    #[codec(varint)]
    pub c: i32,
    #[codec(vlq)]
    pub d: i64,
    #[codec(varint)]
    pub e: u16,
}

/// A small big-endian type, nested in others.
#[derive(Debug, Clone, Copy, PartialEq, Encode, Decode)]
pub struct Point {
    pub x: u16,
    pub y: u16,
}

/// Little-endian by default, with one big-endian field; the nested
/// `Point` keeps its own (big-endian) byte order.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[codec(endian = "little")]
pub struct Little {
    pub a: u32,
    #[codec(endian = "big")]
    pub b: u16,
    #[codec(len = u16)]
    pub name: String,
    pub words: [u16; 2],
    #[codec(len = u16)]
    pub list: Vec<u16>,
    pub point: Point,
    pub f: f32,
}

/// A big-endian type with one little-endian field.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct FieldEndian {
    pub a: u16,
    #[codec(endian = "little")]
    pub b: u32,
    #[codec(endian = "little", len = u16)]
    pub c: Vec<u8>,
}

/// A cs.packetstream-style packet: `when` on `Option`s and a `rest` body.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Packet<'a> {
    #[codec(vlq)]
    pub tag: u64,
    #[codec(vlq)]
    pub flags: u64,
    #[codec(when = flags & 1 != 0, vlq)]
    pub channel: Option<u64>,
    #[codec(when = flags & 2 != 0)]
    #[codec(len = u8)]
    pub note: Option<String>,
    #[codec(rest)]
    pub payload: &'a [u8],
}

/// Nested derived types in every container.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Nested {
    pub id: u16,
    pub point: Point,
    #[codec(len = u8)]
    pub points: Vec<Point>,
    pub boxed: Box<Point>,
    pub maybe: Option<Point>,
    #[codec(len = u8)]
    pub nick: Option<String>,
    #[codec(len = u8)]
    pub entries: Vec<StoreRequest>,
}

/// A field that is not on the wire.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Skipped {
    pub a: u8,
    #[codec(skip)]
    pub cache: Vec<u32>,
    pub b: u8,
}

/// A data enum: ids, unit/tuple/struct variants, and an `other` catch-all
/// that keeps the unknown discriminant and the remaining bytes.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[codec(repr = u8)]
pub enum Command {
    #[codec(id = 0x10)]
    Put {
        #[codec(len = u8)]
        key: String,
        #[codec(len = u16)]
        value: Vec<u8>,
    },
    #[codec(id = 0x11)]
    Get(#[codec(len = u8)] String),
    #[codec(id = 0x12)]
    Ping,
    #[codec(other)]
    Unknown(u8, #[codec(rest)] Vec<u8>),
}

/// A data enum with a wider, little-endian discriminant and no `other`.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[codec(repr = u16, endian = "little")]
pub enum Shape {
    #[codec(id = 0x0102)]
    Square(u16),
    #[codec(id = 7)]
    Rect {
        w: u16,
        h: u16,
    },
    Empty,
}

/// Plain enums with base-128 discriminants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
#[codec(repr = varint)]
pub enum VarKind {
    Small = 1,
    Large = 300,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
#[codec(repr = vlq)]
pub enum VlqKind {
    Small = 1,
    Large = 300,
}

/// Both base-128 enums and a plain one, nested.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Kinds {
    pub var: VarKind,
    pub vlq: VlqKind,
    pub status: Status,
    pub shape: Shape,
}

/// `#[codec(crate = "..")]`: the runtime found through a re-export.
#[derive(Debug, Clone, PartialEq, rt::Encode, rt::Decode)]
#[codec(crate = "crate::types::rt")]
pub struct ViaPath {
    #[codec(len = u8)]
    pub name: String,
    #[codec(vlq)]
    pub n: u32,
}

/// `bytes::Bytes` (feature `bytes`), with and without a length attribute.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct WithBytes {
    #[codec(len = u16)]
    pub a: Bytes,
    pub b: Bytes,
}

/// A tuple struct.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Pair(pub u8, #[codec(len = u8)] pub String);

/// A unit struct: zero bytes.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Nothing;

/// A generic struct.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Wrapper<T> {
    #[codec(len = u8)]
    pub items: Vec<T>,
}

/// Vectors of strings, with inline and default lengths (used by the
/// allocation tests too).
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Strings {
    #[codec(len = u8)]
    pub names: Vec<String>,
    pub more: Vec<String>,
}

/// One `vlq` integer (cs.binary BSUInt).
#[derive(Debug, Clone, Copy, PartialEq, Encode, Decode)]
pub struct Vlq(#[codec(vlq)] pub u64);

/// One `varint` integer (LEB128).
#[derive(Debug, Clone, Copy, PartialEq, Encode, Decode)]
pub struct Varint(#[codec(varint)] pub u64);

/// One zigzag `varint` signed integer.
#[derive(Debug, Clone, Copy, PartialEq, Encode, Decode)]
pub struct ZigZag(#[codec(varint)] pub i64);

/// One zigzag `vlq` signed integer.
#[derive(Debug, Clone, Copy, PartialEq, Encode, Decode)]
pub struct VlqZigZag(#[codec(vlq)] pub i32);

/// The std types of `codec::std_types`, one field each (and maps and sets
/// under default, inline and byte-counted lengths). See
/// `tests/tests/std_types.rs` for the wire layout.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x30)]
pub struct StdTypes<'a> {
    pub id: NonZeroU32,
    pub small: NonZeroI8,
    pub v4: Ipv4Addr,
    pub v6: Ipv6Addr,
    pub ip: IpAddr,
    pub sock: SocketAddr,
    pub sock6: SocketAddrV6,
    pub name: CString,
    pub label: &'a CStr,
    pub text: Cow<'a, str>,
    #[codec(len = u8)]
    pub blob: Cow<'a, [u8]>,
    pub shared: Arc<u16>,
    pub local: Arc<str>,
    pub map: BTreeMap<u8, String>,
    #[codec(len = u16)]
    pub set: BTreeSet<u16>,
    pub tuple: (u8, u16, u8, u8, u8),
    #[codec(endian = "little")]
    pub le: (u16, NonZeroU16, u8, u8, u8),
    pub wide: (u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8),
}

/// A protocol of one message, for `explain` of [`StdTypes`].
#[derive(Debug, Clone, PartialEq, Protocol)]
pub enum StdProto<'a> {
    StdTypes(StdTypes<'a>),
}

/// Hash maps and sets (written in iteration order), with default,
/// byte-counted and `len_from` lengths, a map taking the rest, and an `Rc`
/// (which `StdTypes`, in a protocol, cannot hold: it is not `Send`).
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Hashed {
    pub map: HashMap<u16, String>,
    #[codec(len = u8, unit = bytes)]
    pub set: HashSet<u32>,
    #[codec(len = u8)]
    pub shared: Rc<[u16]>,
    pub n: u8,
    #[codec(len_from = n)]
    pub keys: BTreeSet<u8>,
    #[codec(rest)]
    pub tail: BTreeMap<u8, u16>,
}

// ## Integer widths, magic, length arithmetic, nullable lengths

/// A TLS handshake message header (RFC 8446 §4): a u8 type, then a u24
/// length of the body, written in front of it (`len = u24`).
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct TlsHandshake {
    pub msg_type: u8,
    #[codec(len = u24)]
    pub body: Vec<u8>,
}

/// The same u24 length as an integer field of its own (`bytes = 3`), plus
/// signed and little-endian odd widths.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x50)]
pub struct Widths {
    pub msg_type: u8,
    #[codec(bytes = 3)]
    pub length: u32,
    #[codec(len_from = length)]
    pub body: Vec<u8>,
    #[codec(bytes = 3)]
    pub signed: i32,
    #[codec(bytes = 5, endian = "little")]
    pub five: u64,
    #[codec(bytes = 7)]
    pub seven: i64,
}

/// A PNG file's signature and IHDR chunk (PNG spec §5.2, §11.2.2): the
/// signature is the type's magic, the chunk type `IHDR` a field's.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x51, magic = b"\x89PNG\r\n\x1a\n")]
pub struct PngHeader {
    pub length: u32,
    #[codec(magic = b"IHDR")]
    pub width: u32,
    pub height: u32,
    pub bit_depth: u8,
    pub color_type: u8,
    pub compression: u8,
    pub filter: u8,
    pub interlace: u8,
    pub crc: u32,
}

/// PNG chunks chosen by their type's magic, tried in order.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub enum Chunk {
    #[codec(magic = b"IEND")]
    End,
    #[codec(magic = b"tEXt")]
    Text(#[codec(len = u8)] String),
    /// Shares `t` with `tEXt`: a decoder must read on to tell them apart.
    #[codec(magic = b"tIME")]
    Short(u8),
}

/// A PostgreSQL DataRow column: Int32 length, −1 for NULL (protocol
/// documentation, "Message Formats").
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct PgColumn {
    #[codec(len = i32, null = -1)]
    pub value: Option<Vec<u8>>,
}

/// A PostgreSQL DataRow: `D`, an Int32 length that counts itself and the
/// Int16 column count (so 6 more than the columns' bytes), the count, the
/// columns.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[codec(magic = b"D")]
pub struct PgDataRow {
    pub length: u32,
    pub ncols: i16,
    #[codec(len_from = length, len_adds = 6, unit = bytes)]
    pub columns: Vec<PgColumn>,
}

/// Kafka's nullable and compact forms: NULLABLE_STRING (INT16 length, −1
/// for null), COMPACT_NULLABLE_STRING (unsigned varint of N+1, 0 for
/// null), COMPACT_ARRAY (N+1) and a PostgreSQL-style Int32 that counts
/// itself.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct KafkaForms {
    #[codec(len = i16, null = -1)]
    pub client_id: Option<String>,
    #[codec(len = varint, len_adds = 1, null = 0)]
    pub compact: Option<String>,
    #[codec(len = varint, len_adds = 1)]
    pub array: Vec<u16>,
    #[codec(len = u32, len_adds = 4)]
    pub counted: Vec<u8>,
    #[codec(len = i32, null = -1)]
    pub bytes: Option<Vec<u8>>,
}

/// A ZIP-style record: the type's magic (`PK\x03\x04`, little-endian
/// fields) before an enum's discriminant.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[codec(magic = b"PK\x03\x04", repr = u16, endian = "little")]
pub enum ZipRecord {
    #[codec(id = 20)]
    Version(u16),
    #[codec(id = 8)]
    Deflate,
}

/// A PostgreSQL column borrowed from the input: `None` is length −1.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct PgColumnRef<'a> {
    #[codec(len = i32, null = -1)]
    pub value: Option<&'a [u8]>,
    #[codec(len = i16, null = -1)]
    pub name: Option<&'a str>,
}

/// A PostgreSQL StartupMessage parameter: two NUL-terminated strings
/// (protocol documentation, "Message Formats").
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct PgParam {
    #[codec(term)]
    pub name: String,
    #[codec(term)]
    pub value: String,
}

/// A PostgreSQL StartupMessage: Int32 length counting itself, Int32
/// protocol version (196608 for 3.0), then name/value pairs ended by a NUL
/// where the next name would start. The length is the caller's: a length
/// over a terminated list is a computed field, not a `len_from` (which
/// measures a length-delimited body).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x30)]
pub struct PgStartup {
    pub length: u32,
    pub protocol: u32,
    #[codec(term)]
    pub params: Vec<PgParam>,
}

/// A PostgreSQL Query: `Q`, Int32 length counting itself, the query as a
/// NUL-terminated string.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[codec(magic = b"Q")]
pub struct PgQuery<'a> {
    pub length: u32,
    #[codec(term)]
    pub query: &'a str,
}

/// The start of a tar header: a 100-byte NUL-padded name, then an 8-byte
/// octal mode padded with spaces.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x31)]
pub struct TarName {
    #[codec(size = 100)]
    pub name: String,
    #[codec(size = 8, pad = 0x20)]
    pub mode: Vec<u8>,
}

/// Every terminated and fixed-size form: a newline-ended line, a borrowed
/// byte string, a byte string as `Vec<u8>`, a list of `u16`, an optional
/// terminated string (presence byte) and fixed-size borrowed bytes.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Terminated<'a> {
    #[codec(term = 0x0a)]
    pub line: String,
    #[codec(term)]
    pub raw: &'a [u8],
    #[codec(term = 0xff)]
    pub bytes: Vec<u8>,
    #[codec(term = 0xff)]
    pub list: Vec<i8>,
    #[codec(term)]
    pub maybe: Option<String>,
    #[codec(size = 4, pad = 0x20)]
    pub fixed: &'a [u8],
    #[codec(size = 3)]
    pub tag: &'a str,
}

/// A list of two-byte elements ended by `0xFFFF`'s first byte: an element
/// may not start with `0xFF`.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct U16List {
    #[codec(term = 0xff)]
    pub list: Vec<u16>,
    pub after: u8,
}

/// Conversions for [`Reading`]: each field travels as another type.
pub mod conv {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use super::Kind;

    /// A timestamp as whole seconds since 1970 (earlier ones refused).
    pub fn to_secs(t: &SystemTime) -> Result<u64, &'static str> {
        t.duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .map_err(|_| "timestamp before 1970")
    }

    /// Seconds since 1970 as a timestamp (one past `SystemTime`'s range
    /// refused, never a panic).
    pub fn from_secs(s: u64) -> Result<SystemTime, &'static str> {
        UNIX_EPOCH
            .checked_add(Duration::from_secs(s))
            .ok_or("timestamp out of range")
    }

    /// A price in hundredths (fixed point, saturating).
    pub fn to_hundredths(v: &f64) -> i32 {
        (v * 100.0).round() as i32
    }

    pub fn from_hundredths(h: i32) -> f64 {
        f64::from(h) / 100.0
    }

    /// A kind byte: 0 and 1 are known, 0x80.. are vendor kinds, the rest
    /// is reserved.
    pub fn kind_to_wire(k: &Kind) -> Result<u8, &'static str> {
        match *k {
            Kind::Data => Ok(0),
            Kind::Ack => Ok(1),
            Kind::Vendor(b @ 0x80..) => Ok(b),
            Kind::Vendor(_) => Err("vendor kind below 0x80"),
        }
    }

    pub fn kind_from_wire(b: u8) -> Result<Kind, &'static str> {
        match b {
            0 => Ok(Kind::Data),
            1 => Ok(Kind::Ack),
            0x80.. => Ok(Kind::Vendor(b)),
            _ => Err("reserved kind"),
        }
    }
}

/// A kind with a reserved range (2..=0x7f), converted by `try_map`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Data,
    Ack,
    Vendor(u8),
}

/// Per-field conversions: a timestamp as u64 seconds, a fixed-point price
/// as i32 hundredths (in 3 bytes), a kind with reserved values.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x52)]
pub struct Reading {
    #[codec(try_map = (u64, conv::to_secs, conv::from_secs))]
    pub at: std::time::SystemTime,
    #[codec(map = (i32, conv::to_hundredths, conv::from_hundredths), bytes = 3)]
    pub price: f64,
    #[codec(try_map = (u8, conv::kind_to_wire, conv::kind_from_wire))]
    pub kind: Kind,
    #[codec(map = (u16, |v: &u32| *v as u16, u32::from), varint)]
    pub small: u32,
}

/// Assertions on fields (over this and earlier fields) and on the type
/// (over all fields).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x53, assert(lo <= hi, "lo above hi"))]
pub struct Range {
    #[codec(assert((1..=3).contains(&version), "unsupported version"))]
    pub version: u8,
    pub lo: u16,
    pub hi: u16,
    #[codec(len = u8, assert(name.len() <= usize::from(version) * 4, "name too long for the version"))]
    pub name: String,
}

/// Padding before and after fields, alignment from the type's start
/// (after a field whose length varies, so the padding does too), and
/// padding checked on decode.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x54)]
pub struct Aligned {
    pub kind: u8,
    #[codec(align = 4)]
    pub value: u32,
    #[codec(pad_before = 2, pad = 0xff, pad_check)]
    pub flags: u16,
    #[codec(len = u8, pad_after = 1)]
    pub name: String,
    #[codec(align = 8, pad = 0x20, pad_check)]
    pub tail: u64,
}

/// A record padded to a fixed 16 bytes (checked), after a magic.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x55, magic = b"R", size = 16, pad = 0x2e, pad_check)]
pub struct FixedRecord {
    pub id: u16,
    #[codec(len = u8)]
    pub name: String,
}

/// Padding in enum variants, ignored on decode.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub enum PaddedSlot {
    #[codec(id = 1)]
    Empty,
    #[codec(id = 2)]
    Full {
        #[codec(pad_before = 1, pad_after = 2)]
        value: u16,
    },
}

/// MQTT CONNECT-style flags computed on encode from which options are
/// present; the options' `when` reads the computed flags.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x56)]
pub struct Login {
    #[codec(calc = (u8::from(user.is_some()) << 7) | (u8::from(pass.is_some()) << 6) | (keep & 1))]
    pub flags: u8,
    pub keep: u8,
    #[codec(when = flags & 0x80 != 0, len = u16)]
    pub user: Option<String>,
    #[codec(when = flags & 0x40 != 0, len = u16)]
    pub pass: Option<Vec<u8>>,
}

impl Login {
    /// The flags encode computes for this value.
    pub fn computed_flags(&self) -> u8 {
        (u8::from(self.user.is_some()) << 7)
            | (u8::from(self.pass.is_some()) << 6)
            | (self.keep & 1)
    }
}

/// CRC-32 (ISO-HDLC, as PNG and ZIP use it).
pub use crc32fast::hash as crc32;

/// The sum of the bytes, as a one-byte checksum.
pub fn sum8(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |a, &b| a.wrapping_add(b))
}

/// A PNG-style chunk: its CRC-32 over the type and data, computed on
/// encode and checked on decode; plus a one-byte sum over the CRC itself.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x57)]
pub struct CrcChunk {
    pub length: u32,
    pub kind: [u8; 4],
    #[codec(len_from = length, unit = bytes)]
    pub data: Vec<u8>,
    #[codec(checksum = crc32, from = kind)]
    pub crc: u32,
    #[codec(checksum = sum8, from = crc)]
    pub sum: u8,
}

/// Wire-only fields: a version byte checked on decode, a reserved `u16`
/// ignored on decode, and a 3-byte tag.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x58)]
pub struct Versioned {
    #[codec(wire = u8, value = 2)]
    pub version: (),
    pub body: u16,
    #[codec(wire = u16, value = 0, unchecked)]
    pub reserved: (),
    #[codec(wire = u32, bytes = 3, value = 0x00ab_cdef)]
    pub tag: core::marker::PhantomData<u8>,
}

// ---- Bit fields (`bits = N`, `bit_order`) ----

/// MQTT's control packet type: a fieldless enum carried in a bit field
/// (the derives give it `EncodeBits`/`DecodeBits`; ids 0 and 5..=15 are
/// unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum PacketKind {
    Connect = 1,
    ConnAck = 2,
    Publish = 3,
    PubAck = 4,
}

/// An MQTT fixed header's first byte, most significant bit first, then a
/// whole-byte field: one 3-byte run on the wire.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x60)]
pub struct BitHeader {
    #[codec(bits = 4)]
    pub kind: PacketKind,
    #[codec(bits = 1)]
    pub dup: bool,
    #[codec(bits = 2)]
    pub qos: u8,
    #[codec(bits = 1)]
    pub retain: bool,
    pub id: u16,
}

/// The DNS header's flags (RFC 1035 §4.1.1): a 16-bit run between
/// whole-byte fields.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x61)]
pub struct DnsFlags {
    pub id: u16,
    #[codec(bits = 1)]
    pub qr: bool,
    #[codec(bits = 4)]
    pub opcode: u8,
    #[codec(bits = 1)]
    pub aa: bool,
    #[codec(bits = 1)]
    pub tc: bool,
    #[codec(bits = 1)]
    pub rd: bool,
    #[codec(bits = 1)]
    pub ra: bool,
    #[codec(bits = 3)]
    pub z: u8,
    #[codec(bits = 4)]
    pub rcode: u8,
    pub qdcount: u16,
}

/// Least significant bit first: a 12-bit field across a byte boundary, a
/// 3-byte run, then a variable-width field.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x62, bit_order = "lsb")]
pub struct LsbBits {
    #[codec(bits = 3)]
    pub low: u8,
    #[codec(bits = 12)]
    pub wide: u16,
    #[codec(bits = 1)]
    pub flag: bool,
    #[codec(bits = 8)]
    pub byte: u8,
    #[codec(len = u8)]
    pub name: String,
}

/// A 64-bit run (the widest), most significant bit first, and bit fields
/// in an enum's variant.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub enum BitVariants {
    #[codec(id = 1)]
    Wide {
        #[codec(bits = 40)]
        big: u64,
        #[codec(bits = 24)]
        small: u32,
    },
    #[codec(id = 2)]
    Flags(
        #[codec(bits = 2)] u8,
        #[codec(bits = 4)] PacketKind,
        #[codec(bits = 2)] u16,
    ),
}

// ---- Context and discriminants from elsewhere (issue 12, items 10 and 11) ----

/// MQTT PUBLISH's variable header and payload: the packet identifier is
/// there only at QoS 1 and 2, which the fixed header's flags carry, so the
/// parent passes the QoS in.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[codec(ctx(qos: u8))]
pub struct Publish {
    #[codec(len = u16)]
    pub topic: String,
    #[codec(when = qos > 0)]
    pub packet_id: Option<u16>,
    #[codec(len = u16)]
    pub payload: Vec<u8>,
}

/// A packet whose flags carry the QoS its body needs (bits 1-2).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x60)]
pub struct PublishPacket {
    pub flags: u8,
    #[codec(ctx(qos = flags >> 1 & 3))]
    pub publish: Publish,
}

/// A body gated by a version (Kafka style): `extra` only from version 3,
/// and a nested type given a context computed from this one's.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[codec(ctx(version: u16))]
pub struct VersionedBody {
    #[codec(len = varint, len_adds = 1)]
    pub name: String,
    #[codec(when = version >= 3)]
    pub extra: Option<u32>,
    #[codec(assert(version < 8 || flags == 0, "flags must be 0 from version 8"))]
    pub flags: u8,
    #[codec(ctx(qos = (version & 3) as u8))]
    pub publish: Publish,
}

/// RDATA chosen by the record's TYPE (DNS style): no discriminant of its
/// own; a range of private-use types; unknown types kept raw. Variable
/// bodies take their length from the record's RDLENGTH.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[codec(ctx(rtype: u16, rdlength: u16), id_from = rtype)]
pub enum Rdata {
    #[codec(id = 1)]
    A([u8; 4]),
    #[codec(id = 15)]
    Mx {
        preference: u16,
        #[codec(len = u8)]
        exchange: String,
    },
    #[codec(id = 0xff00..=0xfffe)]
    Private(#[codec(len_from = rdlength, unit = bytes)] Vec<u8>),
    #[codec(other)]
    Other {
        kind: u16,
        #[codec(len_from = rdlength, unit = bytes)]
        data: Vec<u8>,
    },
}

/// A resource record's tail: TYPE and RDLENGTH, then the RDATA they select
/// and bound.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x62)]
pub struct Record {
    pub rtype: u16,
    pub rdlength: u16,
    #[codec(ctx(rtype = rtype, rdlength = rdlength))]
    pub rdata: Rdata,
}

/// Variant ids given as patterns on a leading discriminant: a pattern
/// variant keeps the id it was read with in its first field.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub enum Opcode {
    #[codec(id = 0)]
    Nop,
    #[codec(id = 1 | 3)]
    Odd(u8, u16),
    #[codec(id = 0x80..=0xff)]
    Vendor(u8, #[codec(len = u8)] Vec<u8>),
    #[codec(other)]
    Unknown(u8),
}

/// A payload chosen by a context value with no catch-all: an unknown kind
/// is an error.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[codec(ctx(kind: u8), id_from = kind)]
pub enum Payload {
    #[codec(id = 1)]
    Num(u32),
    #[codec(id = 2..=4)]
    Text(#[codec(len = u8)] String),
}

/// A kind byte, then the payload it selects.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x63)]
pub struct Tagged {
    pub kind: u8,
    #[codec(ctx(kind = kind))]
    pub payload: Payload,
}

/// The context messages in one protocol, for `explain`.
#[derive(Debug, Clone, PartialEq, Protocol)]
pub enum CtxProto {
    PublishPacket(PublishPacket),
    Versioned(Versioned),
    Record(Record),
    Tagged(Tagged),
}

/// A borrowing type with a context, inside a borrowing parent.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[codec(ctx(wide: bool))]
pub struct BorrowedBody<'a> {
    #[codec(when = wide)]
    pub extra: Option<u32>,
    #[codec(rest)]
    pub data: &'a [u8],
}

/// The parent: its first byte says whether the body is wide.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Borrowing<'a> {
    pub wide: bool,
    #[codec(ctx(wide = wide))]
    pub body: BorrowedBody<'a>,
}

/// The version, then a body read according to it.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x61)]
pub struct VersionGated {
    pub version: u16,
    #[codec(ctx(version = version))]
    pub body: VersionedBody,
}

/// Frame headers declared with `#[derive(Header)]` (tests/header_derive.rs,
/// the header fuzz target).
pub mod headers {
    use codec::{Decode, Encode, Header, Protocol};

    use crate::tutorial::{Changed, StoreRequest, StoreResponse};

    /// `StdHeader`'s layout, derived: a u8 id, a big-endian u16 length.
    #[derive(Debug, Default, Clone, PartialEq, Encode, Decode, Header)]
    pub struct DerivedStd {
        #[codec(id)]
        pub id: u8,
        #[codec(payload_len)]
        pub len: u16,
    }

    /// `WideHeader`'s layout, derived: a u16 id, a big-endian u32 length.
    #[derive(Debug, Default, Clone, PartialEq, Encode, Decode, Header)]
    pub struct DerivedWide {
        #[codec(id)]
        pub id: u16,
        #[codec(payload_len)]
        pub len: u32,
    }

    /// MQTT 3.1.1's fixed header (§2.2): the first byte (packet type and
    /// flags; one id until bit fields split it), then the remaining length,
    /// a varint of at most 4 bytes (§2.2.3).
    #[derive(Debug, Default, Clone, PartialEq, Encode, Decode, Header)]
    pub struct MqttFixedHeader {
        #[codec(id)]
        pub packet: u8,
        #[codec(payload_len, varint, max_bytes = 4)]
        pub remaining_length: u32,
    }

    /// PostgreSQL's message header ("Message Formats"): a type byte, then
    /// an Int32 length that counts itself but not the type byte.
    #[derive(Debug, Default, Clone, PartialEq, Encode, Decode, Header)]
    pub struct PgHeader {
        #[codec(id)]
        pub kind: u8,
        #[codec(payload_len, len_adds = 4)]
        pub len: u32,
    }

    /// A header with fields besides the roles: magic, a version the
    /// default sets, flags, a 3-byte id and a little-endian length.
    #[derive(Debug, Clone, PartialEq, Encode, Decode, Header)]
    pub struct Flagged {
        #[codec(magic = b"CX")]
        pub version: u8,
        pub flags: u8,
        #[codec(id, bytes = 3)]
        pub kind: u32,
        #[codec(payload_len, endian = "little")]
        pub len: u32,
    }

    impl Default for Flagged {
        fn default() -> Self {
            Flagged {
                version: 1,
                flags: 0,
                kind: 0,
                len: 0,
            }
        }
    }

    /// A header with no id (cs.packetstream's): only a vlq length.
    #[derive(Debug, Default, Clone, PartialEq, Encode, Decode, Header)]
    pub struct VlqLen {
        #[codec(payload_len, vlq)]
        pub len: u64,
    }

    /// A variable-width field before a fixed one: on partial input the
    /// bytes still needed count the fields after the one that ran out.
    #[derive(Debug, Default, Clone, PartialEq, Encode, Decode, Header)]
    pub struct VarFirst {
        #[codec(id, varint)]
        pub id: u16,
        #[codec(payload_len)]
        pub len: u16,
    }

    /// The tutorial protocol under [`DerivedStd`]: its frames and `explain`
    /// must be `Storage`'s (under `StdHeader`) byte for byte.
    #[derive(Debug, Clone, PartialEq, Protocol)]
    #[codec(header = DerivedStd)]
    pub enum StorageDerived {
        /// 0x01.
        StoreRequest(StoreRequest),
        /// 0x02.
        StoreResponse(StoreResponse),
        /// 0x20.
        Changed(Changed),
    }

    /// The tutorial's messages framed by the MQTT fixed header.
    #[derive(Debug, Clone, PartialEq, Protocol)]
    #[codec(header = MqttFixedHeader)]
    pub enum StorageMqtt {
        /// 0x01.
        StoreRequest(StoreRequest),
        /// 0x02.
        StoreResponse(StoreResponse),
    }
}
