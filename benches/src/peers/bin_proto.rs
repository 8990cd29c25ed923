//! bin-proto 0.12: `#[derive(BitDecode, BitEncode)]`; each length prefix is
//! `tag_type = u8|u16` with a checked `tag_value`, and the stream is
//! big-endian. bin-proto is bit-oriented: it reads from and writes to a
//! `bitstream_io` bit reader/writer, one item at a time (strings and byte
//! vectors byte by byte), so it cannot borrow.
//!
//! bin-proto reads any non-zero byte as `true` (no bool check).
//! `decode_all_bytes` rejects trailing bytes. Encoding appends through a
//! `BitWriter` over the caller's `Vec`.

use bin_proto::{BigEndian, BitCodec, BitDecode, BitEncode};
use bitstream_io::{BitWrite, BitWriter};

use super::{Borrowing, Peer, PeerInfo};

/// The bin-proto contender.
#[derive(Debug, Clone, Copy)]
pub struct BinProto;

impl PeerInfo for BinProto {
    const NAME: &'static str = "bin-proto";
    const WIRE_COMPATIBLE: bool = true;
    const BORROWING: Borrowing = Borrowing::Unsupported("reads from a bit stream");
    const NOTES: &'static str =
        "no bool check (any non-zero byte is true); bit stream, byte by byte";
}

/// The store request, bin-proto's way.
#[derive(Debug, Clone, PartialEq, BitDecode, BitEncode)]
pub struct StoreRequest {
    /// Transaction number.
    pub trans: u8,
    /// Key.
    #[bin_proto(tag_type = u8, tag_value = u8::try_from(self.name.len())?)]
    pub name: String,
    /// Value.
    #[bin_proto(tag_type = u16, tag_value = u16::try_from(self.data.len())?)]
    pub data: Vec<u8>,
}

/// The mixed message, bin-proto's way.
#[derive(Debug, Clone, PartialEq, BitDecode, BitEncode)]
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
    #[bin_proto(tag_type = u8, tag_value = u8::try_from(self.label.len())?)]
    pub label: String,
    #[bin_proto(tag_type = u8, tag_value = u8::try_from(self.note.len())?)]
    pub note: String,
}

/// Appends `value` to `buf`.
#[inline(always)]
fn append<T: BitEncode>(value: &T, buf: &mut Vec<u8>) -> bin_proto::Result<()> {
    let mut writer = BitWriter::endian(buf, BigEndian);
    value.encode::<_, BigEndian>(&mut writer, &mut (), ())?;
    writer.byte_align()?;
    Ok(())
}

impl Peer<crate::StoreRequest> for BinProto {
    type Owned = StoreRequest;
    type Borrowed<'a> = ();
    type EncodeError = bin_proto::Error;
    type DecodeError = bin_proto::Error;

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
    fn encode(o: &StoreRequest, buf: &mut Vec<u8>) -> bin_proto::Result<()> {
        append(o, buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> bin_proto::Result<StoreRequest> {
        StoreRequest::decode_all_bytes(input, BigEndian)
    }
    fn data_ptr(o: &StoreRequest) -> Option<*const u8> {
        Some(o.data.as_ptr())
    }
}

impl Peer<crate::Mixed> for BinProto {
    type Owned = Mixed;
    type Borrowed<'a> = ();
    type EncodeError = bin_proto::Error;
    type DecodeError = bin_proto::Error;

    fn owned(m: &crate::Mixed) -> Mixed {
        copy_mixed!(Mixed, m, |s| s.clone(), |b| *b)
    }
    fn model(o: &Mixed) -> crate::Mixed {
        copy_mixed!(crate::Mixed, o, |s| s.clone(), |b| *b)
    }
    #[inline(always)]
    fn encode(o: &Mixed, buf: &mut Vec<u8>) -> bin_proto::Result<()> {
        append(o, buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> bin_proto::Result<Mixed> {
        Mixed::decode_all_bytes(input, BigEndian)
    }
}
