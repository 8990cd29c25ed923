//! Types and checks shared by the fuzz targets.
//!
//! The tutorial messages are declared here with the derives, byte for byte
//! the storage protocol's (`examples/src/storage/protocol.rs`): fuzzing them
//! exercises the code `#[derive(Encode, Decode, Message, Protocol)]`
//! generates, not a hand-written copy. `Complex` and `Cmd` use every
//! attribute the tutorial does not: nesting, borrowed `&str`/`&[u8]`,
//! `when`, `rest`, varint/vlq (zigzag too), `len_from`, `unit = bytes`,
//! little-endian fields, arrays, boxes, presence bytes, enums with `other`.
//!
//! [`StdTypes`] holds every std type of `codec::std_types`.
//!
//! Every type also derives `arbitrary::Arbitrary` for the round-trip target.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ffi::CString;
use std::fmt::Debug;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::num::{NonZeroI16, NonZeroI8, NonZeroU32, NonZeroU64, NonZeroU8, NonZeroUsize};
use std::sync::Arc;

pub mod bits;
pub mod stream;

use arbitrary::Arbitrary;
use codec::{Decode, DecodeError, Encode, Message, Protocol, RawFrame};

// ## The tutorial protocol (StdHeader: u8 id, u16 BE length)

/// Outcome of a request: the tutorial's codes plus a catch-all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode, Arbitrary)]
#[codec(repr = u8)]
pub enum Status {
    #[codec(id = 0x00)]
    Success,
    #[codec(id = 0x01)]
    Eio,
    #[codec(id = 0x02)]
    Ekey,
    #[codec(id = 0xFF)]
    Fail,
    #[codec(other)]
    Other(u8),
}

/// `trans u8 | name.len u8 | name | data.len u16 | data` (0x01).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message, Arbitrary)]
#[codec(id = 0x01, response = StoreResponse)]
pub struct StoreRequest {
    #[codec(tag)]
    pub trans: u8,
    #[codec(len = u8)]
    pub name: String,
    #[codec(len = u16)]
    pub data: Vec<u8>,
}

/// `trans u8 | name.len u8 | name | status u8` (0x02).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message, Arbitrary)]
#[codec(id = 0x02)]
pub struct StoreResponse {
    #[codec(tag)]
    pub trans: u8,
    #[codec(len = u8)]
    pub name: String,
    pub status: Status,
}

/// `trans u8 | name.len u8 | name` (0x03).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message, Arbitrary)]
#[codec(id = 0x03, response = FetchResponse)]
pub struct FetchRequest {
    #[codec(tag)]
    pub trans: u8,
    #[codec(len = u8)]
    pub name: String,
}

/// `trans u8 | status u8 | name.len u8 | name | data.len u16 | data` (0x04).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message, Arbitrary)]
#[codec(id = 0x04)]
pub struct FetchResponse {
    #[codec(tag)]
    pub trans: u8,
    pub status: Status,
    #[codec(len = u8)]
    pub name: String,
    #[codec(len = u16)]
    pub data: Vec<u8>,
}

/// The four tutorial messages under `StdHeader`; unknown ids are errors.
#[derive(Debug, Clone, PartialEq, Eq, Protocol, Arbitrary)]
pub enum Storage {
    StoreRequest(StoreRequest),
    StoreResponse(StoreResponse),
    FetchRequest(FetchRequest),
    FetchResponse(FetchResponse),
}

// ## A complex derived type

/// A small nested type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode, Arbitrary)]
pub struct Point {
    pub x: u16,
    #[codec(varint)]
    pub y: i32,
}

/// A nested type holding owned data, little-endian by default.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Arbitrary)]
#[codec(endian = "little")]
pub struct Inner {
    pub a: u32,
    #[codec(endian = "big")]
    pub b: u16,
    #[codec(len = u16)]
    pub name: String,
    pub f: f32,
    pub words: [u16; 2],
    pub flag: bool,
}

/// A data enum with a wide little-endian discriminant and no catch-all.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Arbitrary)]
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

/// A plain enum with a vlq discriminant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode, Arbitrary)]
#[codec(repr = vlq)]
pub enum Kind {
    Small = 1,
    Large = 300,
}

/// Every attribute at once, borrowing from the input. A message (0x30) of
/// the [`Mixed`] protocol too.
///
/// ```text
/// tag vlq | flags varint | [channel vlq] | [note.len u8 | note] | point
/// | points.len varint | points | nlen u8 | kind vlq | shape | status
/// | name (nlen bytes) | words.len u16 (bytes) | words | delta zigzag varint
/// | small zigzag vlq | maybe presence | arr | le u32 LE | double f64
/// | label.len LEB128 | label | inner.len u8 | inner | tail (rest)
/// ```
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message, Arbitrary)]
#[codec(id = 0x30)]
pub struct Complex<'a> {
    #[codec(vlq)]
    pub tag: u64,
    #[codec(varint)]
    pub flags: u32,
    #[codec(when = flags & 1 != 0, vlq)]
    pub channel: Option<u64>,
    #[codec(when = flags & 2 != 0, len = u8)]
    pub note: Option<&'a str>,
    pub point: Point,
    #[codec(len = varint)]
    pub points: Vec<Point>,
    pub nlen: u8,
    pub kind: Kind,
    pub shape: Shape,
    pub status: Status,
    #[codec(len_from = nlen)]
    pub name: &'a str,
    #[codec(len = u16, unit = bytes)]
    pub words: Vec<u16>,
    #[codec(varint)]
    pub delta: i64,
    #[codec(vlq)]
    pub small: i16,
    pub maybe: Option<Box<Point>>,
    pub arr: [u16; 3],
    #[codec(endian = "little")]
    pub le: u32,
    pub double: f64,
    pub label: &'a [u8],
    #[codec(len = u8)]
    pub inner: Vec<Inner>,
    #[codec(rest)]
    pub tail: &'a [u8],
}

/// A data enum with a varint discriminant, borrowed fields and a
/// catch-all that keeps the unknown discriminant and the rest.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Arbitrary)]
#[codec(repr = varint)]
pub enum Cmd<'a> {
    #[codec(id = 1)]
    Put {
        #[codec(len = u8)]
        key: &'a str,
        #[codec(len = u16)]
        value: &'a [u8],
    },
    #[codec(id = 300)]
    Get(#[codec(vlq)] u32),
    #[codec(id = 2)]
    Ping,
    #[codec(other)]
    Unknown(u64, #[codec(rest)] Vec<u8>),
}

/// A borrowed echo (0x31): the payload is the rest of the frame.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message, Arbitrary)]
#[codec(id = 0x31)]
pub struct Echo<'a> {
    #[codec(rest)]
    pub data: &'a [u8],
}

/// A borrowing protocol under `WideHeader` (u16 id, u32 length) with an
/// `other` variant that keeps unknown frames intact.
#[derive(Debug, Clone, PartialEq, Protocol)]
#[codec(header = codec::WideHeader)]
pub enum Mixed<'a> {
    StoreRequest(StoreRequest),
    Complex(Complex<'a>),
    Echo(Echo<'a>),
    #[codec(other)]
    Other(RawFrame),
}

/// What the round-trip target builds a [`Mixed`] from (`RawFrame` has no
/// `Arbitrary`).
#[derive(Debug, Arbitrary)]
pub enum AnyMixed<'a> {
    StoreRequest(StoreRequest),
    Complex(Complex<'a>),
    Echo(Echo<'a>),
    Other(u16, Vec<u8>),
}

impl<'a> From<AnyMixed<'a>> for Mixed<'a> {
    fn from(m: AnyMixed<'a>) -> Self {
        match m {
            AnyMixed::StoreRequest(m) => Mixed::StoreRequest(m),
            AnyMixed::Complex(m) => Mixed::Complex(m),
            AnyMixed::Echo(m) => Mixed::Echo(m),
            AnyMixed::Other(id, payload) => Mixed::Other(RawFrame::new(id.into(), payload)),
        }
    }
}

// ## Std types

/// Every std type of `codec::std_types` in one message (0x32): maps and
/// sets (hash ones too, with and without length attributes), `NonZero*`,
/// addresses, `CString`, `Cow`, `Arc`, tuples of 1, 5 and 12 elements,
/// and little-endian ones. (`Rc` is not `Send`, which a protocol's
/// messages must be: the `std_types` target decodes it on its own.)
///
/// `HashMap`/`HashSet` are written in iteration order, so equal values may
/// encode to different bytes: compare values with `PartialEq`, not bytes
/// (every field compares by value; there are no floats).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message, Arbitrary)]
#[codec(id = 0x32)]
pub struct StdTypes<'a> {
    pub id: NonZeroU32,
    pub small: NonZeroI8,
    pub big: NonZeroUsize,
    pub v4: Ipv4Addr,
    pub v6: Ipv6Addr,
    pub ip: IpAddr,
    pub sock: SocketAddr,
    pub sock6: SocketAddrV6,
    pub name: CString,
    pub text: Cow<'a, str>,
    #[codec(len = u8)]
    pub blob: Cow<'a, [u8]>,
    pub shared: Arc<u16>,
    pub local: Arc<str>,
    #[codec(len = u8)]
    pub words: Arc<[u16]>,
    pub map: BTreeMap<u8, String>,
    #[codec(len = u16)]
    pub set: BTreeSet<u16>,
    pub hmap: HashMap<u16, Vec<u8>>,
    #[codec(len = u8, unit = bytes)]
    pub hset: HashSet<u32>,
    pub one: (NonZeroU8,),
    pub tuple: (u8, u16, NonZeroU64, bool, char),
    #[codec(endian = "little")]
    pub le: (u16, NonZeroI16, i32, SocketAddrV4, u8),
    pub wide: (u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u16),
    #[codec(rest)]
    pub tail: BTreeMap<u8, Option<u8>>,
}

/// [`StdTypes`] framed under `StdHeader`.
#[derive(Debug, Clone, PartialEq, Protocol)]
pub enum StdFrames<'a> {
    StdTypes(StdTypes<'a>),
}

// ## Layout attributes

/// Every layout key of issue 12's first part in one message (0x33): odd
/// integer widths (`bytes = N`, `len = u24`), magic on the type and on a
/// field, length arithmetic (`len_adds`), nullable lengths (`null`),
/// terminated strings and lists (`term`), fixed-size padded fields
/// (`size`, `pad`), assertions and conversions (`map`, `try_map`).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message, Arbitrary)]
#[codec(id = 0x33, magic = b"AT", assert(lo <= hi, "lo above hi"))]
pub struct Attrs<'a> {
    #[codec(bytes = 3)]
    pub u24: u32,
    #[codec(bytes = 5, endian = "little")]
    pub i40: i64,
    #[codec(len = u24)]
    pub tls: Vec<u8>,
    #[codec(len = i16, null = -1)]
    pub nullable: Option<String>,
    #[codec(len = varint, len_adds = 1, null = 0)]
    pub compact: Option<&'a [u8]>,
    #[codec(len = u32, len_adds = 4)]
    pub counted: &'a str,
    #[codec(term)]
    pub cstr: String,
    #[codec(term = b'\n')]
    pub line: &'a [u8],
    #[codec(term)]
    pub params: Vec<Param>,
    #[codec(size = 6, pad = 0x20)]
    pub name: String,
    #[codec(magic = b"\xff\x00")]
    pub lo: u16,
    #[codec(assert(hi < 0xf000, "hi in the reserved range"))]
    pub hi: u16,
    #[codec(map = (i64, conv::widen, conv::narrow), bytes = 6)]
    pub wide: i32,
    #[codec(try_map = (u8, conv::level_to_wire, conv::level_from_wire))]
    pub level: Level,
}

/// [`Attrs`] framed under `StdHeader`.
#[derive(Debug, Clone, PartialEq, Protocol)]
pub enum AttrsFrames<'a> {
    Attrs(Attrs<'a>),
}

/// A StartupMessage-style parameter: two NUL-terminated strings.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Arbitrary)]
pub struct Param {
    #[codec(term)]
    pub name: String,
    #[codec(term)]
    pub value: String,
}

/// A level with a reserved range, converted by `try_map`.
#[derive(Debug, Clone, Copy, PartialEq, Arbitrary)]
pub enum Level {
    Low,
    High,
    Vendor(u8),
}

/// The conversions of [`Attrs`].
pub mod conv {
    use super::Level;

    /// An i32 as an i64 (in 6 bytes on the wire).
    pub fn widen(v: &i32) -> i64 {
        (*v).into()
    }

    /// The low 32 bits of the wire value (never fails).
    pub fn narrow(w: i64) -> i32 {
        w as i32
    }

    /// 0 and 1 are known, 0x80.. vendor levels, the rest reserved.
    pub fn level_to_wire(l: &Level) -> Result<u8, &'static str> {
        match *l {
            Level::Low => Ok(0),
            Level::High => Ok(1),
            Level::Vendor(b @ 0x80..) => Ok(b),
            Level::Vendor(_) => Err("vendor level below 0x80"),
        }
    }

    pub fn level_from_wire(b: u8) -> Result<Level, &'static str> {
        match b {
            0 => Ok(Level::Low),
            1 => Ok(Level::High),
            0x80.. => Ok(Level::Vendor(b)),
            _ => Err("reserved level"),
        }
    }
}

// ## Checks

/// Decodes `data` as `T` with `decode` and with `explain_with`: both agree;
/// a decoded value re-encodes to `encoded_len` bytes, at most the input's.
pub fn decode_check<'de, T>(data: &'de [u8]) -> Option<T>
where
    T: Decode<'de> + Encode + PartialEq + Debug,
{
    let v = decode_explained::<T>(data)?;
    let bytes = v
        .to_bytes()
        .unwrap_or_else(|e| panic!("decoded value does not encode: {e}\n{v:?}"));
    assert_eq!(bytes.len(), v.encoded_len(), "encoded_len of {v:?}");
    assert!(bytes.len() <= data.len(), "re-encoding longer: {v:?}");
    Some(v)
}

/// `bytes` (an encoding of `v`) decodes to a value equal to `v`.
pub fn redecode<'b, T>(v: &T, bytes: &'b [u8])
where
    T: Decode<'b> + PartialEq + Debug,
{
    let again = T::from_bytes(bytes)
        .unwrap_or_else(|e| panic!("encoding does not decode: {e}\n{v:?}\n{bytes:02x?}"));
    assert_eq!(&again, v, "round trip");
}

/// [`decode_check`], then the re-encoding decodes to an equal value.
#[macro_export]
macro_rules! decode_round {
    ($data:expr, $($t:ty),+) => {$(
        if let Some(v) = $crate::decode_check::<$t>($data) {
            $crate::redecode(&v, &::codec::Encode::to_bytes(&v).unwrap());
        }
    )+};
}

/// Encodes an arbitrary `v`: a failed encode leaves the buffer as it was; a
/// successful one takes `encoded_len` bytes, which `check` is given.
pub fn round_trip<T: Encode + Debug>(v: &T, check: impl FnOnce(&[u8])) {
    let mut buf = vec![0xA5];
    match v.encode(&mut buf) {
        Err(e) => assert_eq!(buf, [0xA5], "a failed encode left bytes behind: {e}"),
        Ok(()) => {
            let bytes = &buf[1..];
            assert_eq!(bytes.len(), v.encoded_len(), "encoded_len of {v:?}");
            check(bytes);
        }
    }
}

/// Whether re-encoding a decoded value must give back the input bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canon {
    /// Fixed-width prefixes only: one encoding per value.
    Exact,
    /// Base-128 integers accept overlong encodings (`80 00` for 0), so the
    /// re-encoding may be shorter than the input, never longer.
    Shortest,
}

/// The invariants of any decode error: its offset lies within the input
/// and it displays.
pub fn check_error(e: &DecodeError, input: &[u8]) {
    assert!(
        e.offset() <= input.len(),
        "error offset {} past the input's {} bytes: {e}",
        e.offset(),
        input.len()
    );
    let shown = e.to_string();
    assert!(!shown.is_empty());
    if let Some(n) = e.bytes_needed() {
        assert!(n > 0, "need 0 more bytes: {e}");
    }
}

/// Decodes all of `data` as `T` with `decode` and with `explain_with`:
/// both give equal values, or both fail (each error passing
/// [`check_error`]). The decoded value, if any.
pub fn decode_explained<'de, T>(data: &'de [u8]) -> Option<T>
where
    T: Decode<'de> + PartialEq + Debug,
{
    let decoded = T::from_bytes(data);
    let mut ex = codec::Explainer::new();
    let mut r = codec::Reader::new(data);
    let explained =
        T::explain_with(&mut r, codec::Endian::Big, &mut ex).and_then(|v| r.finish().map(|()| v));
    let _ = ex.render();
    match (&decoded, &explained) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "explain_with"),
        (Err(a), Err(b)) => {
            check_error(a, data);
            check_error(b, data);
        }
        (a, b) => panic!("explain_with and decode disagree: {a:?} vs {b:?}"),
    }
    decoded.ok()
}

/// Decodes `data` as `T`; if it decodes, re-encodes it and checks the
/// length, the bytes (per `canon`) and that the re-encoding decodes to the
/// same value. Floats are compared through their bits via the bytes, so
/// values are compared by `Debug` (NaN != NaN).
pub fn check_decode<'de, T>(data: &'de [u8], canon: Canon) -> Option<T>
where
    T: Decode<'de> + Encode + Debug,
{
    let value = match T::from_bytes(data) {
        Ok(v) => v,
        Err(e) => {
            check_error(&e, data);
            return None;
        }
    };
    let bytes = value
        .to_bytes()
        .unwrap_or_else(|e| panic!("decoded value does not encode: {e}\n{value:?}"));
    assert_eq!(bytes.len(), value.encoded_len(), "encoded_len of {value:?}");
    match canon {
        Canon::Exact => assert_eq!(bytes, data, "re-encoding differs: {value:?}"),
        Canon::Shortest => assert!(
            bytes.len() <= data.len(),
            "re-encoding longer than the input: {value:?}"
        ),
    }
    Some(value)
}

/// Re-decodes `bytes` (an encoding of `value`) and checks it gives `value`
/// back and encodes to `bytes` again.
pub fn check_redecode<'de, T>(value: &T, bytes: &'de [u8])
where
    T: Decode<'de> + Encode + Debug,
{
    let again = T::from_bytes(bytes)
        .unwrap_or_else(|e| panic!("encoding does not decode: {e}\n{value:?}\n{bytes:02x?}"));
    assert_eq!(format!("{again:?}"), format!("{value:?}"), "round trip");
    assert_eq!(again.to_bytes().unwrap(), bytes, "second encoding differs");
}

/// Every strict prefix of a frame-bounded encoding (no `rest` field) is an
/// incomplete-input error; check a few.
pub fn check_prefixes<'de, T>(data: &'de [u8])
where
    T: Decode<'de> + Debug,
{
    let n = data.len();
    for cut in [0, n / 2, n.saturating_sub(1)] {
        if cut >= n {
            continue;
        }
        match T::from_bytes(&data[..cut]) {
            Ok(v) => panic!("prefix of {cut}/{n} bytes decoded: {v:?}"),
            Err(e) => {
                check_error(&e, &data[..cut]);
                assert!(
                    e.is_incomplete(),
                    "prefix of {cut}/{n} bytes is not incomplete: {e}"
                );
            }
        }
    }
}

/// The label and value of an `explain` line (`header.id`, `0x01 (..)`),
/// or `None` for a continuation row. Lines are
/// `OFFSET  HEX(13 cols)LABEL = VALUE`.
pub fn explain_line(line: &str) -> Option<(&str, &str)> {
    let (_, rest) = line.split_once("  ")?;
    rest.get(13..)?.split_once(" = ")
}

/// True when an `explain` dump reports a problem: an `error`, `trailing` or
/// `unexplained` note, or an incomplete header (a line labelled with the
/// header's bare name, not a `Type.field` path, whose value says so: a
/// field's value may hold any text).
pub fn explain_reports_problem(dump: &str) -> bool {
    dump.lines().filter_map(explain_line).any(|(label, value)| {
        matches!(label, "error" | "trailing" | "unexplained")
            || (!label.contains('.') && value.starts_with("incomplete header (need "))
    })
}

/// Frames of `P` decoded from `data` one after another, as a reader would
/// take them off a stream; checks each decoded frame re-encodes to the
/// bytes it came from (for protocols whose encoding is exact).
pub fn check_frame_sequence<'de, P>(data: &'de [u8], exact: bool)
where
    P: codec::DecodeProtocol<'de> + Decode<'de> + Encode + Debug,
{
    let mut r = codec::Reader::new(data);
    while !r.is_empty() {
        let start = r.offset();
        match P::decode(&mut r) {
            Ok(msg) => {
                let used = &data[start..r.offset()];
                let bytes = codec::frame::frame_bytes(&msg)
                    .unwrap_or_else(|e| panic!("decoded frame does not encode: {e}\n{msg:?}"));
                assert_eq!(bytes.len(), codec::frame::frame_len(&msg));
                if exact {
                    assert_eq!(bytes, used, "frame re-encoding differs: {msg:?}");
                } else {
                    assert!(
                        bytes.len() <= used.len(),
                        "frame re-encoding longer: {msg:?}"
                    );
                }
            }
            Err(e) => {
                check_error(&e, data);
                break;
            }
        }
    }
}

/// `Protocol` accessors agree with the message: a known id names its
/// message; any other id (an `other` frame) is named `RawFrame::NAME`
/// (finding F2, fixed).
pub fn check_protocol_meta<P: Protocol>(p: &P) {
    assert_eq!(P::name_of(p.id()).unwrap_or(RawFrame::NAME), p.name());
}

/// One whole frame of `P` from arbitrary bytes: `from_bytes` (one frame,
/// exactly; re-encodes per `canon`), `explain` (never panics; reports a
/// problem exactly when `from_bytes` fails), and a run of frames read one
/// after another from one reader.
pub fn check_one_frame<'de, P>(data: &'de [u8], canon: Canon) -> Option<P>
where
    P: codec::DecodeProtocol<'de> + Decode<'de> + Encode + Debug,
{
    let decoded = check_decode::<P>(data, canon);
    if let Some(p) = &decoded {
        check_protocol_meta(p);
    }
    let dump = codec::explain::<P>(data);
    assert_eq!(
        explain_reports_problem(&dump),
        decoded.is_none(),
        "explain and from_bytes disagree on {data:02x?}:\n{dump}"
    );
    check_frame_sequence::<P>(data, canon == Canon::Exact);
    decoded
}

// ## Context: `ctx`, `id_from`, id patterns

/// A PUBLISH body: the packet identifier is there when the parent's QoS
/// says.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Arbitrary)]
#[codec(ctx(qos: u8))]
pub struct CtxPublish {
    #[codec(len = u16)]
    pub topic: String,
    #[codec(when = qos > 0)]
    pub packet_id: Option<u16>,
    #[codec(len = u16)]
    pub payload: Vec<u8>,
}

/// RDATA chosen by TYPE, bounded by RDLENGTH where it varies.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Arbitrary)]
#[codec(ctx(rtype: u16, rdlength: u16), id_from = rtype)]
pub enum CtxRdata {
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

/// Flags, TYPE and RDLENGTH passed on as context.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message, Arbitrary)]
#[codec(id = 0x70)]
pub struct CtxRecord {
    pub flags: u8,
    pub rtype: u16,
    pub rdlength: u16,
    #[codec(ctx(rtype = rtype, rdlength = rdlength))]
    pub rdata: CtxRdata,
    #[codec(ctx(qos = flags & 3))]
    pub publish: CtxPublish,
}

/// Variant ids as patterns on a leading discriminant.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message, Arbitrary)]
#[codec(id = 0x71)]
pub enum CtxOpcode {
    #[codec(id = 0)]
    Nop,
    #[codec(id = 1 | 3)]
    Odd(u8, u16),
    #[codec(id = 0x80..=0xff)]
    Vendor(u8, #[codec(len = u8)] Vec<u8>),
    #[codec(other)]
    Unknown(u8),
}

/// Both under `StdHeader`, for `explain`.
#[derive(Debug, Clone, PartialEq, Protocol)]
pub enum CtxFrames {
    CtxRecord(CtxRecord),
    CtxOpcode(CtxOpcode),
}
