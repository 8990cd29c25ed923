//! Messages and hand-written codecs for the `wire` benchmark.
//!
//! Each message exists twice: once with `#[derive(Encode, Decode)]`, once
//! with a codec written by hand on `byteorder`, the way a careful person
//! would write it without the framework. The hand-written codecs do the same
//! validation as the derive (bounds checks before every read, UTF-8 checks,
//! `bool` bytes of 0 or 1 only, length prefixes checked before anything is
//! written, no trailing bytes), so the benchmark compares equal work. The
//! unit tests below prove that both sides produce and accept identical bytes.
//!
//! The three layouts:
//!
//! ```text
//! StoreRequest      trans u8 | name.len u8 | name | data.len u16 BE | data
//! Mixed             id u64 | seq u32 | kind u8 | flags u16 | temp i16 | delta i32
//!                   | offset i64 | ratio f32 | value f64 | small i8 | active bool
//!                   | urgent bool | label.len u8 | label | note.len u8 | note
//! ```
//!
//! All integers and floats are big-endian, as the derive's default.
#![warn(missing_docs)]
#![doc(test(attr(deny(warnings))))]

use byteorder::{BigEndian, ByteOrder, WriteBytesExt};
use codec::{Decode, Encode, Message};

pub mod callgrind;
pub mod peers;
pub mod placement;
pub mod rows;

/// The striptease tutorial's store request, owning its strings. Message
/// id 0x01 in the protocol rows ([`peers::frames`]).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x01)]
pub struct StoreRequest {
    /// Transaction number.
    pub trans: u8,
    /// Key, at most 255 bytes.
    #[codec(len = u8)]
    pub name: String,
    /// Value, at most 65535 bytes.
    #[codec(len = u16)]
    pub data: Vec<u8>,
}

/// [`StoreRequest`] borrowing its strings from the input.
#[derive(Debug, Clone, Copy, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x01)]
pub struct StoreRequestRef<'a> {
    /// Transaction number.
    pub trans: u8,
    /// Key, at most 255 bytes.
    #[codec(len = u8)]
    pub name: &'a str,
    /// Value, at most 65535 bytes.
    #[codec(len = u16)]
    pub data: &'a [u8],
}

/// Twelve mixed integer, float and bool fields plus two short strings.
/// Message id 0x02 in the protocol rows.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x02)]
pub struct Mixed {
    /// A 64-bit id.
    pub id: u64,
    /// A sequence number.
    pub seq: u32,
    /// A one-byte kind.
    pub kind: u8,
    /// Flag bits.
    pub flags: u16,
    /// A signed 16-bit reading.
    pub temp: i16,
    /// A signed 32-bit delta.
    pub delta: i32,
    /// A signed 64-bit offset.
    pub offset: i64,
    /// A single-precision ratio.
    pub ratio: f32,
    /// A double-precision value.
    pub value: f64,
    /// A signed byte.
    pub small: i8,
    /// A flag.
    pub active: bool,
    /// Another flag.
    pub urgent: bool,
    /// A short label.
    #[codec(len = u8)]
    pub label: String,
    /// A short note.
    #[codec(len = u8)]
    pub note: String,
}

/// [`Mixed`] borrowing its strings from the input.
#[derive(Debug, Clone, Copy, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x02)]
pub struct MixedRef<'a> {
    /// A 64-bit id.
    pub id: u64,
    /// A sequence number.
    pub seq: u32,
    /// A one-byte kind.
    pub kind: u8,
    /// Flag bits.
    pub flags: u16,
    /// A signed 16-bit reading.
    pub temp: i16,
    /// A signed 32-bit delta.
    pub delta: i32,
    /// A signed 64-bit offset.
    pub offset: i64,
    /// A single-precision ratio.
    pub ratio: f32,
    /// A double-precision value.
    pub value: f64,
    /// A signed byte.
    pub small: i8,
    /// A flag.
    pub active: bool,
    /// Another flag.
    pub urgent: bool,
    /// A short label.
    #[codec(len = u8)]
    pub label: &'a str,
    /// A short note.
    #[codec(len = u8)]
    pub note: &'a str,
}

/// A store request with a `name_len`-byte name and `data_len`-byte value.
pub fn store_request(name_len: usize, data_len: usize) -> StoreRequest {
    StoreRequest {
        trans: 7,
        name: (0..name_len)
            .map(|i| (b'a' + (i % 26) as u8) as char)
            .collect(),
        data: (0..data_len).map(|i| (i * 31 + 7) as u8).collect(),
    }
}

/// The small store request: 8-byte name, 32-byte value.
pub fn store_small() -> StoreRequest {
    store_request(8, 32)
}

/// The large store request: 32-byte name, 4096-byte value.
pub fn store_large() -> StoreRequest {
    store_request(32, 4096)
}

/// A [`Mixed`] message with every field non-trivial.
pub fn mixed() -> Mixed {
    Mixed {
        id: 0x0123_4567_89ab_cdef,
        seq: 4_000_000_000,
        kind: 3,
        flags: 0xa5a5,
        temp: -273,
        delta: -1_000_000,
        offset: i64::MIN + 12345,
        ratio: 0.625,
        value: -1234.5678,
        small: -8,
        active: true,
        urgent: false,
        label: "sensor-7".into(),
        note: "calibrated 2024".into(),
    }
}

/// Why a hand-written encode or decode failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandError {
    /// A length does not fit its prefix.
    LengthOverflow {
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
    },
    /// The input ended: `needed` bytes were required at `offset`.
    UnexpectedEnd {
        /// Where the read started.
        offset: usize,
        /// How many bytes it needed.
        needed: usize,
    },
    /// A string was not UTF-8.
    InvalidUtf8 {
        /// Where the string started.
        offset: usize,
    },
    /// A bool byte other than 0 or 1.
    InvalidBool {
        /// Where the byte was.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// Bytes were left over.
    TrailingBytes {
        /// Where they started.
        offset: usize,
        /// How many.
        count: usize,
    },
    /// Writing to the buffer failed (never happens for a `Vec`).
    Io(std::io::ErrorKind),
    /// Anything else (an unknown message id).
    Invalid(&'static str),
}

impl From<std::io::Error> for HandError {
    #[cold]
    fn from(e: std::io::Error) -> Self {
        HandError::Io(e.kind())
    }
}

/// A bounds-checked cursor over the input, as one would write by hand.
///
/// Its methods are `#[inline(always)]`: without that, LLVM sometimes keeps
/// `str` out of line, which made the hand-written decoder slower than the
/// derive for reasons that have nothing to do with the derive.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    #[inline(always)]
    fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }

    #[inline(always)]
    fn take(&mut self, n: usize) -> Result<&'a [u8], HandError> {
        match self.buf.get(self.pos..).and_then(|rest| rest.get(..n)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(HandError::UnexpectedEnd {
                offset: self.pos,
                needed: n,
            }),
        }
    }

    #[inline(always)]
    fn u8(&mut self) -> Result<u8, HandError> {
        Ok(self.take(1)?[0])
    }

    #[inline(always)]
    fn i8(&mut self) -> Result<i8, HandError> {
        Ok(self.take(1)?[0] as i8)
    }

    #[inline(always)]
    fn bool(&mut self) -> Result<bool, HandError> {
        let offset = self.pos;
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            byte => Err(HandError::InvalidBool { offset, byte }),
        }
    }

    #[inline(always)]
    fn u16(&mut self) -> Result<u16, HandError> {
        Ok(BigEndian::read_u16(self.take(2)?))
    }

    #[inline(always)]
    fn i16(&mut self) -> Result<i16, HandError> {
        Ok(BigEndian::read_i16(self.take(2)?))
    }

    #[inline(always)]
    fn u32(&mut self) -> Result<u32, HandError> {
        Ok(BigEndian::read_u32(self.take(4)?))
    }

    #[inline(always)]
    fn i32(&mut self) -> Result<i32, HandError> {
        Ok(BigEndian::read_i32(self.take(4)?))
    }

    #[inline(always)]
    fn u64(&mut self) -> Result<u64, HandError> {
        Ok(BigEndian::read_u64(self.take(8)?))
    }

    #[inline(always)]
    fn i64(&mut self) -> Result<i64, HandError> {
        Ok(BigEndian::read_i64(self.take(8)?))
    }

    #[inline(always)]
    fn f32(&mut self) -> Result<f32, HandError> {
        Ok(BigEndian::read_f32(self.take(4)?))
    }

    #[inline(always)]
    fn f64(&mut self) -> Result<f64, HandError> {
        Ok(BigEndian::read_f64(self.take(8)?))
    }

    #[inline(always)]
    fn str(&mut self, n: usize) -> Result<&'a str, HandError> {
        let offset = self.pos;
        std::str::from_utf8(self.take(n)?).map_err(|_| HandError::InvalidUtf8 { offset })
    }

    #[inline(always)]
    fn finish(&self) -> Result<(), HandError> {
        match self.buf.len() - self.pos {
            0 => Ok(()),
            count => Err(HandError::TrailingBytes {
                offset: self.pos,
                count,
            }),
        }
    }
}

/// The length of `field` as a `u8` prefix.
#[inline]
fn len_u8(field: &'static str, len: usize) -> Result<u8, HandError> {
    u8::try_from(len).map_err(|_| HandError::LengthOverflow { field, len })
}

/// The length of `field` as a `u16` prefix.
#[inline]
fn len_u16(field: &'static str, len: usize) -> Result<u16, HandError> {
    u16::try_from(len).map_err(|_| HandError::LengthOverflow { field, len })
}

/// Hand-written codecs: the same wire layout as the derive, written with
/// `byteorder`.
pub mod hand {
    use super::*;

    /// Appends `m` to `buf`; on error nothing is written.
    ///
    /// # Errors
    ///
    /// A name over 255 bytes or data over 65535 bytes.
    #[inline]
    pub fn encode_store(m: &StoreRequestRef<'_>, buf: &mut Vec<u8>) -> Result<(), HandError> {
        let name_len = len_u8("name", m.name.len())?;
        let data_len = len_u16("data", m.data.len())?;
        buf.write_u8(m.trans)?;
        buf.write_u8(name_len)?;
        buf.extend_from_slice(m.name.as_bytes());
        buf.write_u16::<BigEndian>(data_len)?;
        buf.extend_from_slice(m.data);
        Ok(())
    }

    /// Appends an owned `m` to `buf`.
    ///
    /// # Errors
    ///
    /// As [`encode_store`].
    #[inline]
    pub fn encode_store_owned(m: &StoreRequest, buf: &mut Vec<u8>) -> Result<(), HandError> {
        encode_store(
            &StoreRequestRef {
                trans: m.trans,
                name: &m.name,
                data: &m.data,
            },
            buf,
        )
    }

    /// Decodes a [`StoreRequestRef`] that takes all of `input`.
    ///
    /// # Errors
    ///
    /// Truncation, invalid UTF-8 or trailing bytes.
    #[inline]
    pub fn decode_store_ref(input: &[u8]) -> Result<StoreRequestRef<'_>, HandError> {
        let mut c = Cursor::new(input);
        let trans = c.u8()?;
        let n = c.u8()? as usize;
        let name = c.str(n)?;
        let n = c.u16()? as usize;
        let data = c.take(n)?;
        c.finish()?;
        Ok(StoreRequestRef { trans, name, data })
    }

    /// Decodes a [`StoreRequest`] that takes all of `input`.
    ///
    /// # Errors
    ///
    /// As [`decode_store_ref`].
    #[inline]
    pub fn decode_store(input: &[u8]) -> Result<StoreRequest, HandError> {
        let mut c = Cursor::new(input);
        let trans = c.u8()?;
        let n = c.u8()? as usize;
        let name = c.str(n)?.to_owned();
        let n = c.u16()? as usize;
        let data = c.take(n)?.to_vec();
        c.finish()?;
        Ok(StoreRequest { trans, name, data })
    }

    /// Appends `m` to `buf`; on error nothing is written.
    ///
    /// # Errors
    ///
    /// A label or note over 255 bytes.
    #[inline]
    pub fn encode_mixed(m: &MixedRef<'_>, buf: &mut Vec<u8>) -> Result<(), HandError> {
        let label_len = len_u8("label", m.label.len())?;
        let note_len = len_u8("note", m.note.len())?;
        buf.write_u64::<BigEndian>(m.id)?;
        buf.write_u32::<BigEndian>(m.seq)?;
        buf.write_u8(m.kind)?;
        buf.write_u16::<BigEndian>(m.flags)?;
        buf.write_i16::<BigEndian>(m.temp)?;
        buf.write_i32::<BigEndian>(m.delta)?;
        buf.write_i64::<BigEndian>(m.offset)?;
        buf.write_f32::<BigEndian>(m.ratio)?;
        buf.write_f64::<BigEndian>(m.value)?;
        buf.write_i8(m.small)?;
        buf.write_u8(m.active as u8)?;
        buf.write_u8(m.urgent as u8)?;
        buf.write_u8(label_len)?;
        buf.extend_from_slice(m.label.as_bytes());
        buf.write_u8(note_len)?;
        buf.extend_from_slice(m.note.as_bytes());
        Ok(())
    }

    /// Appends an owned `m` to `buf`.
    ///
    /// # Errors
    ///
    /// As [`encode_mixed`].
    #[inline]
    pub fn encode_mixed_owned(m: &Mixed, buf: &mut Vec<u8>) -> Result<(), HandError> {
        encode_mixed(&m.as_ref(), buf)
    }

    /// Decodes a [`MixedRef`] that takes all of `input`.
    ///
    /// # Errors
    ///
    /// Truncation, a bool byte other than 0 or 1, invalid UTF-8 or trailing
    /// bytes.
    #[inline]
    pub fn decode_mixed_ref(input: &[u8]) -> Result<MixedRef<'_>, HandError> {
        let mut c = Cursor::new(input);
        let m = MixedRef {
            id: c.u64()?,
            seq: c.u32()?,
            kind: c.u8()?,
            flags: c.u16()?,
            temp: c.i16()?,
            delta: c.i32()?,
            offset: c.i64()?,
            ratio: c.f32()?,
            value: c.f64()?,
            small: c.i8()?,
            active: c.bool()?,
            urgent: c.bool()?,
            label: {
                let n = c.u8()? as usize;
                c.str(n)?
            },
            note: {
                let n = c.u8()? as usize;
                c.str(n)?
            },
        };
        c.finish()?;
        Ok(m)
    }

    /// Decodes a [`Mixed`] that takes all of `input`.
    ///
    /// # Errors
    ///
    /// As [`decode_mixed_ref`].
    #[inline]
    pub fn decode_mixed(input: &[u8]) -> Result<Mixed, HandError> {
        let mut c = Cursor::new(input);
        let m = Mixed {
            id: c.u64()?,
            seq: c.u32()?,
            kind: c.u8()?,
            flags: c.u16()?,
            temp: c.i16()?,
            delta: c.i32()?,
            offset: c.i64()?,
            ratio: c.f32()?,
            value: c.f64()?,
            small: c.i8()?,
            active: c.bool()?,
            urgent: c.bool()?,
            label: {
                let n = c.u8()? as usize;
                c.str(n)?.to_owned()
            },
            note: {
                let n = c.u8()? as usize;
                c.str(n)?.to_owned()
            },
        };
        c.finish()?;
        Ok(m)
    }
}

impl StoreRequest {
    /// A borrowed view of this request.
    pub fn as_ref(&self) -> StoreRequestRef<'_> {
        StoreRequestRef {
            trans: self.trans,
            name: &self.name,
            data: &self.data,
        }
    }
}

impl Mixed {
    /// A borrowed view of this message.
    pub fn as_ref(&self) -> MixedRef<'_> {
        MixedRef {
            id: self.id,
            seq: self.seq,
            kind: self.kind,
            flags: self.flags,
            temp: self.temp,
            delta: self.delta,
            offset: self.offset,
            ratio: self.ratio,
            value: self.value,
            small: self.small,
            active: self.active,
            urgent: self.urgent,
            label: &self.label,
            note: &self.note,
        }
    }
}

/// Checks that the derive and the hand-written codec agree on `m`: the same
/// bytes out, the same value back, owned and borrowed. The benchmark calls
/// this before measuring anything.
///
/// # Panics
///
/// If the two disagree anywhere.
pub fn assert_store_agrees(m: &StoreRequest) {
    let derive = m.to_bytes().expect("derive encodes");
    let mut hand = Vec::new();
    hand::encode_store_owned(m, &mut hand).expect("hand encodes");
    assert_eq!(derive, hand, "encodings differ");
    let mut borrowed = Vec::new();
    m.as_ref()
        .encode(&mut borrowed)
        .expect("derive encodes a view");
    assert_eq!(derive, borrowed, "borrowed encoding differs");
    assert_eq!(StoreRequest::from_bytes(&derive).as_ref(), Ok(m));
    assert_eq!(hand::decode_store(&derive).as_ref(), Ok(m));
    assert_eq!(StoreRequestRef::from_bytes(&derive), Ok(m.as_ref()));
    assert_eq!(hand::decode_store_ref(&derive), Ok(m.as_ref()));
}

/// As [`assert_store_agrees`], for [`Mixed`].
///
/// # Panics
///
/// If the two disagree anywhere.
pub fn assert_mixed_agrees(m: &Mixed) {
    let derive = m.to_bytes().expect("derive encodes");
    let mut hand = Vec::new();
    hand::encode_mixed_owned(m, &mut hand).expect("hand encodes");
    assert_eq!(derive, hand, "encodings differ");
    let mut borrowed = Vec::new();
    m.as_ref()
        .encode(&mut borrowed)
        .expect("derive encodes a view");
    assert_eq!(derive, borrowed, "borrowed encoding differs");
    assert_eq!(Mixed::from_bytes(&derive).as_ref(), Ok(m));
    assert_eq!(hand::decode_mixed(&derive).as_ref(), Ok(m));
    assert_eq!(MixedRef::from_bytes(&derive), Ok(m.as_ref()));
    assert_eq!(hand::decode_mixed_ref(&derive), Ok(m.as_ref()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_store_request() {
        // trans | name.len | name     | data.len | data
        // 07    | 03       | 6b 65 79 | 00 05    | 68 65 6c 6c 6f
        let m = StoreRequest {
            trans: 7,
            name: "key".into(),
            data: b"hello".to_vec(),
        };
        let mut hand = Vec::new();
        hand::encode_store_owned(&m, &mut hand).unwrap();
        assert_eq!(hand, b"\x07\x03key\x00\x05hello");
        assert_store_agrees(&m);
    }

    #[test]
    fn benchmark_messages_agree() {
        assert_store_agrees(&store_small());
        assert_store_agrees(&store_large());
        assert_mixed_agrees(&mixed());
        assert_eq!(store_small().to_bytes().unwrap().len(), 1 + 1 + 8 + 2 + 32);
        assert_eq!(
            store_large().to_bytes().unwrap().len(),
            1 + 1 + 32 + 2 + 4096
        );
        assert_eq!(mixed().to_bytes().unwrap().len(), 44 + 1 + 8 + 1 + 15);
    }

    /// Every input the derive rejects, the hand-written decoder rejects, and
    /// the other way round: truncations, bad bools, bad UTF-8, trailing bytes.
    #[test]
    fn both_reject_the_same_inputs() {
        let store = store_small().to_bytes().unwrap();
        let mix = mixed().to_bytes().unwrap();
        let mut cases: Vec<(bool, Vec<u8>)> = Vec::new();
        for (is_store, good) in [(true, &store), (false, &mix)] {
            for n in 0..=good.len() {
                cases.push((is_store, good[..n].to_vec()));
            }
            let mut trailing = good.clone();
            trailing.push(0);
            cases.push((is_store, trailing));
            // Every byte replaced by a few interesting values: flips bools
            // to 2, breaks UTF-8 with 0xff, changes lengths.
            for i in 0..good.len() {
                for b in [0x00, 0x01, 0x02, 0x7f, 0xff] {
                    let mut bad = good.clone();
                    bad[i] = b;
                    cases.push((is_store, bad));
                }
            }
        }
        // Compared through `Debug`, so that a NaN made by a replaced byte
        // still equals itself.
        fn dbg<T: core::fmt::Debug, E>(r: Result<T, E>) -> Option<String> {
            r.ok().map(|v| format!("{v:?}"))
        }
        for (is_store, bytes) in cases {
            let b = &bytes;
            if is_store {
                assert_eq!(
                    dbg(StoreRequest::from_bytes(b)),
                    dbg(hand::decode_store(b)),
                    "{b:02x?}"
                );
                assert_eq!(
                    dbg(StoreRequestRef::from_bytes(b)),
                    dbg(hand::decode_store_ref(b)),
                    "{b:02x?}"
                );
            } else {
                assert_eq!(
                    dbg(Mixed::from_bytes(b)),
                    dbg(hand::decode_mixed(b)),
                    "{b:02x?}"
                );
                assert_eq!(
                    dbg(MixedRef::from_bytes(b)),
                    dbg(hand::decode_mixed_ref(b)),
                    "{b:02x?}"
                );
            }
        }
    }

    #[test]
    fn both_refuse_oversized_lengths_without_writing() {
        let m = store_request(256, 0);
        let mut buf = vec![9];
        assert!(m.encode(&mut buf).is_err());
        assert_eq!(buf, [9]);
        assert_eq!(
            hand::encode_store_owned(&m, &mut buf),
            Err(HandError::LengthOverflow {
                field: "name",
                len: 256
            })
        );
        assert_eq!(buf, [9]);
        let m = store_request(1, 65536);
        assert!(m.encode(&mut buf).is_err());
        assert!(hand::encode_store_owned(&m, &mut buf).is_err());
        assert_eq!(buf, [9]);
    }
}

/// The striptease tutorial's four messages as a protocol, and a
/// hand-written decoder of their payloads, for the frame benchmark.
pub mod tutorial {
    use super::{Cursor, HandError};
    use codec::{Decode, Encode, Message, Protocol};

    /// Tutorial 0x01.
    #[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
    #[codec(id = 0x01)]
    pub struct StoreRequest {
        /// Transaction.
        pub trans: u8,
        /// Key.
        #[codec(len = u8)]
        pub name: String,
        /// Value.
        #[codec(len = u16)]
        pub data: Vec<u8>,
    }

    /// Tutorial 0x02.
    #[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
    #[codec(id = 0x02)]
    pub struct StoreResponse {
        /// Transaction.
        pub trans: u8,
        /// Key.
        #[codec(len = u8)]
        pub name: String,
        /// Status.
        pub status: u8,
    }

    /// Tutorial 0x03.
    #[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
    #[codec(id = 0x03)]
    pub struct FetchRequest {
        /// Transaction.
        pub trans: u8,
        /// Key.
        #[codec(len = u8)]
        pub name: String,
    }

    /// Tutorial 0x04.
    #[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
    #[codec(id = 0x04)]
    pub struct FetchResponse {
        /// Transaction.
        pub trans: u8,
        /// Status.
        pub status: u8,
        /// Key.
        #[codec(len = u8)]
        pub name: String,
        /// Value.
        #[codec(len = u16)]
        pub data: Vec<u8>,
    }

    /// The tutorial protocol under `StdHeader`.
    #[derive(Debug, Clone, PartialEq, Protocol)]
    #[allow(missing_docs, reason = "each variant is its message, documented there")]
    pub enum Tutorial {
        StoreRequest(StoreRequest),
        StoreResponse(StoreResponse),
        FetchRequest(FetchRequest),
        FetchResponse(FetchResponse),
    }

    /// `count` small frames of all four kinds, back to back.
    pub fn frames(count: usize) -> (Vec<Tutorial>, Vec<u8>) {
        let msgs: Vec<Tutorial> = (0..count)
            .map(|i| {
                let trans = i as u8;
                let name = format!("key-{:04}", i % 1000);
                match i % 4 {
                    0 => StoreRequest {
                        trans,
                        name,
                        data: vec![i as u8; 32],
                    }
                    .into(),
                    1 => StoreResponse {
                        trans,
                        name,
                        status: 0,
                    }
                    .into(),
                    2 => FetchRequest { trans, name }.into(),
                    _ => FetchResponse {
                        trans,
                        status: 0,
                        name,
                        data: vec![i as u8; 32],
                    }
                    .into(),
                }
            })
            .collect();
        let mut bytes = Vec::new();
        for m in &msgs {
            m.encode(&mut bytes).expect("tutorial frames encode");
        }
        (msgs, bytes)
    }

    /// Hand-written decode of one payload whose header carried `id`.
    ///
    /// # Errors
    ///
    /// Truncation, bad UTF-8, trailing bytes, or an unknown id.
    #[inline]
    pub fn decode_payload(id: u8, payload: &[u8]) -> Result<Tutorial, HandError> {
        let mut c = Cursor::new(payload);
        let msg = match id {
            0x01 => {
                let trans = c.u8()?;
                let n = c.u8()? as usize;
                let name = c.str(n)?.to_owned();
                let n = c.u16()? as usize;
                let data = c.take(n)?.to_vec();
                StoreRequest { trans, name, data }.into()
            }
            0x02 => {
                let trans = c.u8()?;
                let n = c.u8()? as usize;
                let name = c.str(n)?.to_owned();
                let status = c.u8()?;
                StoreResponse {
                    trans,
                    name,
                    status,
                }
                .into()
            }
            0x03 => {
                let trans = c.u8()?;
                let n = c.u8()? as usize;
                let name = c.str(n)?.to_owned();
                FetchRequest { trans, name }.into()
            }
            0x04 => {
                let trans = c.u8()?;
                let status = c.u8()?;
                let n = c.u8()? as usize;
                let name = c.str(n)?.to_owned();
                let n = c.u16()? as usize;
                let data = c.take(n)?.to_vec();
                FetchResponse {
                    trans,
                    status,
                    name,
                    data,
                }
                .into()
            }
            _ => return Err(HandError::Invalid("unknown id")),
        };
        c.finish()?;
        Ok(msg)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn hand_decoder_agrees_with_the_protocol() {
            let (msgs, bytes) = frames(64);
            let mut rest = &bytes[..];
            for m in msgs {
                let len = u16::from_be_bytes([rest[1], rest[2]]) as usize;
                assert_eq!(decode_payload(rest[0], &rest[3..3 + len]).unwrap(), m);
                rest = &rest[3 + len..];
            }
            assert!(rest.is_empty());
        }
    }
}
