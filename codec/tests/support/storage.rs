//! The non-derive reference protocol: the striptease tutorial's storage
//! messages with `Encode`, `Decode`, `Message` and `Protocol` written by
//! hand against the runtime's traits, without `codec-derive`. It is kept on
//! purpose: it tests the runtime (frames, explain, the tokio codec) apart
//! from the derive, and shows what an implementation by hand looks like.
//! Its bytes are those of the derived tutorial protocol in
//! `tests/src/tutorial.rs` (`codec_tests::tutorial`).
//!
//! Shared by the unit tests (as `codec::test_protocol`) and the
//! integration tests under `codec/tests/` (as `support::storage`), so it
//! names the runtime `codec::` and the allocation types `alloc::`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use codec::decode::DecodeSeq;
use codec::frame::{decode_frame, encode_frame, frame_len, unknown_id};
use codec::wire::{LenPrefix, Unit};
use codec::FieldLayout;
use codec::{
    Decode, DecodeError, DecodeProtocol, Encode, EncodeError, Endian, Explainer, Message, Protocol,
    RawFrame, Reader, StdHeader,
};

/// Status codes of the tutorial.
pub const SUCCESS: u8 = 0;
/// I/O error.
pub const EIO: u8 = 1;
/// No such key.
pub const EKEY: u8 = 2;
/// Any other failure.
pub const FAIL: u8 = 0xFF;

fn put_len<S: codec::Sink + ?Sized>(
    prefix: LenPrefix,
    n: usize,
    buf: &mut S,
    ty: &'static str,
    field: &'static str,
) -> Result<(), EncodeError> {
    prefix
        .write(n, buf, Endian::Big)
        .map_err(|e| e.in_field(ty, field))
}

fn read_string(r: &mut Reader<'_>, prefix: LenPrefix) -> Result<String, DecodeError> {
    let n = prefix.read(r, Endian::Big)?;
    String::decode_seq(r, n, Unit::Bytes, Endian::Big)
}

fn read_bytes(r: &mut Reader<'_>, prefix: LenPrefix) -> Result<Vec<u8>, DecodeError> {
    let n = prefix.read(r, Endian::Big)?;
    Vec::<u8>::decode_seq(r, n, Unit::Bytes, Endian::Big)
}

/// `[68 65 6c]`
pub fn hex_list(bytes: &[u8]) -> String {
    let mut s = String::from("[");
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{b:02x}");
    }
    s.push(']');
    s
}

/// Decoding while describing, for explain (the hand-written counterpart of
/// the derived explain code). The default shows the message as one run.
pub trait Explain<'de>: Decode<'de> + Message {
    /// Decodes `Self`, recording lines in `ex`.
    fn explain(r: &mut Reader<'de>, ex: &mut Explainer) -> Result<Self, DecodeError> {
        let (start, bytes) = (r.offset(), r.peek());
        let value = Self::decode(r)?;
        let used = &bytes[..r.offset() - start];
        ex.push(Self::NAME);
        ex.line(start, used, format_args!("{} bytes", used.len()));
        ex.pop();
        Ok(value)
    }
}

/// Store `data` under `name`. Id 0x01.
///
/// ```text
/// trans: u8 | name.len: u8 | name | data.len: u16 BE | data
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreRequest {
    /// Transaction number, echoed in the response.
    pub trans: u8,
    /// Key.
    pub name: String,
    /// Value.
    pub data: Vec<u8>,
}

impl Message for StoreRequest {
    const ID: u64 = 0x01;
    const NAME: &'static str = "StoreRequest";
    const FIELDS: &'static [FieldLayout] = &[
        FieldLayout {
            name: "trans",
            offset: Some(0),
            width: Some(1),
            encoding: "u8",
        },
        FieldLayout {
            name: "name",
            offset: Some(1),
            width: None,
            encoding: "len = u8, utf-8",
        },
        FieldLayout {
            name: "data",
            offset: None,
            width: None,
            encoding: "len = u16, bytes",
        },
    ];
}

impl Encode for StoreRequest {
    fn encoded_len(&self) -> usize {
        1 + 1 + self.name.len() + 2 + self.data.len()
    }
    fn encode_with<S: codec::Sink + ?Sized>(
        &self,
        buf: &mut S,
        _: Endian,
    ) -> Result<(), EncodeError> {
        buf.push(self.trans);
        put_len(LenPrefix::U8, self.name.len(), buf, "StoreRequest", "name")?;
        buf.extend_from_slice(self.name.as_bytes());
        put_len(LenPrefix::U16, self.data.len(), buf, "StoreRequest", "data")?;
        buf.extend_from_slice(&self.data);
        Ok(())
    }
}

impl<'de> Decode<'de> for StoreRequest {
    const MIN_LEN: usize = 4;
    fn decode_with(r: &mut Reader<'de>, _: Endian) -> Result<Self, DecodeError> {
        let trans = r.byte().map_err(|e| e.in_field("StoreRequest", "trans"))?;
        let name = read_string(r, LenPrefix::U8).map_err(|e| e.in_field("StoreRequest", "name"))?;
        let data = read_bytes(r, LenPrefix::U16).map_err(|e| e.in_field("StoreRequest", "data"))?;
        Ok(StoreRequest { trans, name, data })
    }
}

/// Field by field, as the derive describes every message.
impl<'de> Explain<'de> for StoreRequest {
    fn explain(r: &mut Reader<'de>, ex: &mut Explainer) -> Result<Self, DecodeError> {
        ex.push("StoreRequest");
        let (start, all) = (r.offset(), r.peek());
        let used = |r: &Reader<'de>, from: usize| &all[from - start..r.offset() - start];

        let at = r.offset();
        let trans = r.byte()?;
        ex.push("trans");
        ex.line(at, used(r, at), trans);
        ex.pop();

        ex.push("name");
        let at = r.offset();
        let n = LenPrefix::U8.read(r, Endian::Big)?;
        ex.push("len");
        ex.line(at, used(r, at), n);
        ex.pop();
        let at = r.offset();
        let name = String::decode_seq(r, n, Unit::Bytes, Endian::Big)?;
        ex.line(at, used(r, at), format_args!("{name:?}"));
        ex.pop();

        ex.push("data");
        let at = r.offset();
        let n = LenPrefix::U16.read(r, Endian::Big)?;
        ex.push("len");
        ex.line(at, used(r, at), n);
        ex.pop();
        let at = r.offset();
        let data = Vec::<u8>::decode_seq(r, n, Unit::Bytes, Endian::Big)?;
        ex.line(at, used(r, at), hex_list(&data));
        ex.pop();

        ex.pop();
        Ok(StoreRequest { trans, name, data })
    }
}

/// The answer to a store. Id 0x02.
///
/// ```text
/// trans: u8 | name.len: u8 | name | status: u8
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreResponse {
    /// The request's transaction number.
    pub trans: u8,
    /// Key.
    pub name: String,
    /// `SUCCESS`, `EIO`, `EKEY` or `FAIL`.
    pub status: u8,
}

impl Message for StoreResponse {
    const ID: u64 = 0x02;
    const NAME: &'static str = "StoreResponse";
    const FIELDS: &'static [FieldLayout] = &[
        FieldLayout {
            name: "trans",
            offset: Some(0),
            width: Some(1),
            encoding: "u8",
        },
        FieldLayout {
            name: "name",
            offset: Some(1),
            width: None,
            encoding: "len = u8, utf-8",
        },
        FieldLayout {
            name: "status",
            offset: None,
            width: Some(1),
            encoding: "u8",
        },
    ];
}

impl Encode for StoreResponse {
    fn encoded_len(&self) -> usize {
        1 + 1 + self.name.len() + 1
    }
    fn encode_with<S: codec::Sink + ?Sized>(
        &self,
        buf: &mut S,
        _: Endian,
    ) -> Result<(), EncodeError> {
        buf.push(self.trans);
        put_len(LenPrefix::U8, self.name.len(), buf, "StoreResponse", "name")?;
        buf.extend_from_slice(self.name.as_bytes());
        buf.push(self.status);
        Ok(())
    }
}

impl<'de> Decode<'de> for StoreResponse {
    const MIN_LEN: usize = 3;
    fn decode_with(r: &mut Reader<'de>, _: Endian) -> Result<Self, DecodeError> {
        let trans = r.byte().map_err(|e| e.in_field("StoreResponse", "trans"))?;
        let name =
            read_string(r, LenPrefix::U8).map_err(|e| e.in_field("StoreResponse", "name"))?;
        let status = r
            .byte()
            .map_err(|e| e.in_field("StoreResponse", "status"))?;
        Ok(StoreResponse {
            trans,
            name,
            status,
        })
    }
}

impl Explain<'_> for StoreResponse {}

/// Ask for the value under `name`. Id 0x03.
///
/// ```text
/// trans: u8 | name.len: u8 | name
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    /// Transaction number.
    pub trans: u8,
    /// Key.
    pub name: String,
}

impl Message for FetchRequest {
    const ID: u64 = 0x03;
    const NAME: &'static str = "FetchRequest";
    const FIELDS: &'static [FieldLayout] = &[
        FieldLayout {
            name: "trans",
            offset: Some(0),
            width: Some(1),
            encoding: "u8",
        },
        FieldLayout {
            name: "name",
            offset: Some(1),
            width: None,
            encoding: "len = u8, utf-8",
        },
    ];
}

impl Encode for FetchRequest {
    fn encoded_len(&self) -> usize {
        2 + self.name.len()
    }
    fn encode_with<S: codec::Sink + ?Sized>(
        &self,
        buf: &mut S,
        _: Endian,
    ) -> Result<(), EncodeError> {
        buf.push(self.trans);
        put_len(LenPrefix::U8, self.name.len(), buf, "FetchRequest", "name")?;
        buf.extend_from_slice(self.name.as_bytes());
        Ok(())
    }
}

impl<'de> Decode<'de> for FetchRequest {
    const MIN_LEN: usize = 2;
    fn decode_with(r: &mut Reader<'de>, _: Endian) -> Result<Self, DecodeError> {
        let trans = r.byte().map_err(|e| e.in_field("FetchRequest", "trans"))?;
        let name = read_string(r, LenPrefix::U8).map_err(|e| e.in_field("FetchRequest", "name"))?;
        Ok(FetchRequest { trans, name })
    }
}

impl Explain<'_> for FetchRequest {}

/// A test message with a field bounded by its own byte length. Id 0x10.
///
/// ```text
/// seq: u32 BE | note.len: u8 | note: u16 BE (in a window of note.len bytes) | flag: u8
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ping {
    /// Sequence number.
    pub seq: u32,
    /// A number in a length-bounded window.
    pub note: u16,
    /// A trailing byte.
    pub flag: u8,
}

impl Message for Ping {
    const ID: u64 = 0x10;
    const NAME: &'static str = "Ping";
    const FIELDS: &'static [FieldLayout] = &[
        FieldLayout {
            name: "seq",
            offset: Some(0),
            width: Some(4),
            encoding: "u32",
        },
        FieldLayout {
            name: "note",
            offset: Some(4),
            width: Some(3),
            encoding: "len = u8, u16",
        },
        FieldLayout {
            name: "flag",
            offset: Some(7),
            width: Some(1),
            encoding: "u8",
        },
    ];
}

impl Encode for Ping {
    fn encoded_len(&self) -> usize {
        8
    }
    fn encode_with<S: codec::Sink + ?Sized>(
        &self,
        buf: &mut S,
        _: Endian,
    ) -> Result<(), EncodeError> {
        buf.extend_from_slice(&self.seq.to_be_bytes());
        buf.push(2);
        buf.extend_from_slice(&self.note.to_be_bytes());
        buf.push(self.flag);
        Ok(())
    }
}

impl<'de> Decode<'de> for Ping {
    const MIN_LEN: usize = 6;
    fn decode_with(r: &mut Reader<'de>, _: Endian) -> Result<Self, DecodeError> {
        let seq = u32::decode(r).map_err(|e| e.in_field("Ping", "seq"))?;
        let note = (|| {
            let n = LenPrefix::U8.read(r, Endian::Big)?;
            let mut window = r.split(n)?;
            let note = u16::decode(&mut window)?;
            window.finish()?;
            Ok(note)
        })()
        .map_err(|e: DecodeError| e.in_field("Ping", "note"))?;
        let flag = r.byte().map_err(|e| e.in_field("Ping", "flag"))?;
        Ok(Ping { seq, note, flag })
    }
}

impl Explain<'_> for Ping {}

/// Writes a protocol enum and its impls by hand, as `#[derive(Protocol)]`
/// would.
macro_rules! protocol {
    ($(#[$meta:meta])* $name:ident { $($var:ident($msg:ty)),* $(,)? } $(other: $other:ident)?) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $name {
            $(
                #[doc = stringify!($msg)]
                $var($msg),
            )*
            $(
                /// Any other id, kept raw.
                $other(RawFrame),
            )?
        }

        $(
            impl From<$msg> for $name {
                fn from(m: $msg) -> Self {
                    $name::$var(m)
                }
            }
        )*

        impl Protocol for $name {
            type Header = StdHeader;
            fn id(&self) -> u64 {
                match self {
                    $($name::$var(_) => <$msg as Message>::ID,)*
                    $($name::$other(raw) => raw.id,)?
                }
            }
            fn name(&self) -> &'static str {
                match self {
                    $($name::$var(_) => <$msg as Message>::NAME,)*
                    $($name::$other(_) => RawFrame::NAME,)?
                }
            }
            fn name_of(id: u64) -> Option<&'static str> {
                $(if id == <$msg as Message>::ID { return Some(<$msg as Message>::NAME); })*
                None
            }
            fn payload_len(&self) -> usize {
                match self {
                    $($name::$var(m) => Encode::encoded_len(m),)*
                    $($name::$other(raw) => Encode::encoded_len(raw),)?
                }
            }
            fn encode_payload<S: codec::Sink + ?Sized>(&self, buf: &mut S) -> Result<(), EncodeError> {
                match self {
                    $($name::$var(m) => Encode::encode(m, buf),)*
                    $($name::$other(raw) => Encode::encode(raw, buf),)?
                }
            }
        }

        impl<'de> DecodeProtocol<'de> for $name {
            fn decode_payload(id: u64, payload: &mut Reader<'de>) -> Result<Self, DecodeError> {
                $(if id == <$msg as Message>::ID { return <$msg as Decode<'de>>::decode(payload).map($name::$var); })*
                protocol!(@fallback $name, id, payload, $($other)?)
            }
            fn explain_payload(id: u64, payload: &mut Reader<'de>, ex: &mut Explainer) -> Result<(), DecodeError> {
                $(if id == <$msg as Message>::ID { return <$msg as Explain<'de>>::explain(payload, ex).map(drop); })*
                let _start = payload.offset();
                match protocol!(@fallback $name, id, payload, $($other)?)? {
                    $(
                        $name::$other(raw) => {
                            let start = _start;
                            ex.push(RawFrame::NAME);
                            ex.line(start, &raw.payload, format_args!("{} bytes", raw.payload.len()));
                            ex.pop();
                        }
                    )?
                    #[allow(unreachable_patterns)]
                    _ => {}
                }
                Ok(())
            }
        }

        impl Encode for $name {
            fn encoded_len(&self) -> usize {
                frame_len(self)
            }
            fn encode_with<S: codec::Sink + ?Sized>(&self, buf: &mut S, _: Endian) -> Result<(), EncodeError> {
                encode_frame(self, buf)
            }
        }

        impl<'de> Decode<'de> for $name {
            fn decode_with(r: &mut Reader<'de>, _: Endian) -> Result<Self, DecodeError> {
                decode_frame(r)
            }
        }
    };
    (@fallback $name:ident, $id:ident, $payload:ident,) => {
        Err::<$name, _>(unknown_id($id, $payload))
    };
    (@fallback $name:ident, $id:ident, $payload:ident, $other:ident) => {
        Ok::<$name, DecodeError>($name::$other(RawFrame::read($id, $payload)))
    };
}

protocol! {
    /// The tutorial's messages plus `Ping`; unknown ids are errors.
    Storage {
        StoreRequest(StoreRequest),
        StoreResponse(StoreResponse),
        FetchRequest(FetchRequest),
        Ping(Ping),
    }
}

protocol! {
    /// Like `Storage`, but unknown ids arrive as `Other`.
    Open {
        StoreRequest(StoreRequest),
        StoreResponse(StoreResponse),
    }
    other: Other
}

/// A message that borrows its payload. Id 0x11.
///
/// ```text
/// data: every remaining byte of the frame
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Echo<'a> {
    /// The payload, borrowed from the input.
    pub data: &'a [u8],
}

impl Message for Echo<'_> {
    const ID: u64 = 0x11;
    const NAME: &'static str = "Echo";
    const FIELDS: &'static [FieldLayout] = &[FieldLayout {
        name: "data",
        offset: Some(0),
        width: None,
        encoding: "rest, bytes",
    }];
}

/// A borrowing protocol, written out by hand (what the derive generates for
/// an enum with a lifetime).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Borrowed<'a> {
    /// Echo.
    Echo(Echo<'a>),
}

impl Protocol for Borrowed<'_> {
    type Header = StdHeader;
    fn id(&self) -> u64 {
        Echo::ID
    }
    fn name(&self) -> &'static str {
        Echo::NAME
    }
    fn payload_len(&self) -> usize {
        let Borrowed::Echo(m) = self;
        m.data.len()
    }
    fn encode_payload<S: codec::Sink + ?Sized>(&self, buf: &mut S) -> Result<(), EncodeError> {
        let Borrowed::Echo(m) = self;
        buf.extend_from_slice(m.data);
        Ok(())
    }
}

impl<'de: 'a, 'a> DecodeProtocol<'de> for Borrowed<'a> {
    fn decode_payload(id: u64, payload: &mut Reader<'de>) -> Result<Self, DecodeError> {
        match id {
            0x11 => Ok(Borrowed::Echo(Echo {
                data: payload.take_rest(),
            })),
            _ => Err(unknown_id(id, payload)),
        }
    }
}

impl Encode for Borrowed<'_> {
    fn encoded_len(&self) -> usize {
        frame_len(self)
    }
    fn encode_with<S: codec::Sink + ?Sized>(
        &self,
        buf: &mut S,
        _: Endian,
    ) -> Result<(), EncodeError> {
        encode_frame(self, buf)
    }
}

/// The `i`th message of a varied test stream: every kind, sizes from 0 to
/// a few hundred bytes.
pub fn sample(i: usize) -> Storage {
    let trans = i as u8;
    let name = format!("key-{}", i % 97);
    match i % 4 {
        0 => Storage::from(StoreRequest {
            trans,
            name,
            data: (0..(i * 7) % 300).map(|b| b as u8).collect(),
        }),
        1 => Storage::from(StoreResponse {
            trans,
            name,
            status: [SUCCESS, EIO, EKEY, FAIL][i % 3],
        }),
        2 => Storage::from(FetchRequest {
            trans,
            name: String::new(),
        }),
        _ => Storage::from(Ping {
            seq: i as u32,
            note: (i * 31) as u16,
            flag: (i % 2) as u8,
        }),
    }
}
