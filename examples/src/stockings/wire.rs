//! Stockings framing: a header whose first byte carries the message type
//! and the low length bits, then little-endian 7-bit length groups.
//!
//! ```text
//! byte 0:  L T n n n n n n     L = last header byte, T = type (1 bytes, 0 str),
//!                              n = length bits 0..6
//! byte k:  L n n n n n n n     length bits 6+7(k-1) .. 6+7k, least significant first
//!
//! "hi" (str)        82 | 68 69          L=1 T=0 len 2
//! 70 bytes          46 81 | ...         L=0 T=1 len 6, then L=1 1 << 6
//! 8192 bytes        40 00 81 | ...      0, 0 << 6, 1 << 13
//! ```
//!
//! The type bit is the message id: [`Text`] is id 0, [`Bytes`] id 1.

use codec::error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind};
use codec::header::{FrameHead, Header, Parsed};
use codec::{Decode, Encode, Message, Protocol};

/// The Stockings message header as a [`Header`]: id = the type bit.
///
/// ```
/// use codec::header::{FrameHead, Header, Parsed};
/// use codec_examples::stockings::StockingsHeader;
///
/// let mut buf = Vec::new();
/// StockingsHeader::write(1, 100, &mut buf)?;
/// assert_eq!(buf, [0x64, 0x81]);
/// assert_eq!(StockingsHeader::parse(&buf[..1])?, Parsed::Incomplete { needed: 1 });
/// assert_eq!(
///     StockingsHeader::parse(&buf)?,
///     Parsed::Complete(FrameHead { id: 1, header_len: 2, payload_len: 100 })
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
// Hand-written, not `#[derive(Header)]`: the id is one bit inside the
// length's first byte, and the length is little-endian 6-then-7-bit groups
// whose high bit marks the *last* byte (not "more follow"). Neither a
// bit inside an integer's own bytes nor that group format is a field
// encoding the derive has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StockingsHeader;

impl StockingsHeader {
    /// The longest header accepted: 6 + 8 * 7 = 62 length bits. The
    /// original has no limit; nothing near 2^62 bytes is ever sent.
    pub const MAX_BYTES: usize = 9;
}

impl Header for StockingsHeader {
    const NAME: &'static str = "StockingsHeader";
    const MAX_ID: u64 = 1;
    const MAX_LEN: u64 = (1 << 62) - 1;

    fn encoded_len(_: u64, payload_len: usize) -> usize {
        let mut n = 1;
        let mut rest = (payload_len as u64) >> 6;
        while rest != 0 {
            n += 1;
            rest >>= 7;
        }
        n
    }

    fn write<S: codec::Sink + ?Sized>(
        id: u64,
        payload_len: usize,
        buf: &mut S,
    ) -> Result<(), EncodeError> {
        if id > Self::MAX_ID {
            return Err(EncodeError::new(EncodeErrorKind::ValueOutOfRange {
                value: id as i128,
                target: "type bit",
            })
            .in_field(Self::NAME, "type"));
        }
        let len = payload_len as u64;
        if len > Self::MAX_LEN {
            return Err(EncodeError::new(EncodeErrorKind::LengthOverflow {
                len,
                prefix: "62-bit group varint",
                max: Self::MAX_LEN,
            })
            .in_field(Self::NAME, "len"));
        }
        let start = buf.len();
        buf.push((id as u8) << 6 | (len as u8 & 0x3f));
        let mut rest = len >> 6;
        while rest != 0 {
            buf.push(rest as u8 & 0x7f);
            rest >>= 7;
        }
        // The last header byte carries the end mark, as in the original.
        let last = buf.len() - 1;
        buf.as_mut_slice()[last] |= 0x80;
        debug_assert!(buf.len() - start <= Self::MAX_BYTES);
        Ok(())
    }

    fn parse(bytes: &[u8]) -> Result<Parsed, DecodeError> {
        let Some(&first) = bytes.first() else {
            return Ok(Parsed::Incomplete { needed: 1 });
        };
        let id = u64::from(first >> 6 & 1);
        let mut len = u64::from(first & 0x3f);
        let mut last = first & 0x80 != 0;
        let mut i = 1;
        while !last {
            if i == Self::MAX_BYTES {
                return Err(
                    DecodeError::new(DecodeErrorKind::VarintTooLong { target: "u62" }, 0)
                        .in_field(Self::NAME, "len"),
                );
            }
            let Some(&b) = bytes.get(i) else {
                return Ok(Parsed::Incomplete { needed: 1 });
            };
            len |= u64::from(b & 0x7f) << (6 + 7 * (i - 1));
            last = b & 0x80 != 0;
            i += 1;
        }
        Ok(Parsed::Complete(FrameHead {
            id,
            header_len: i,
            payload_len: len,
        }))
    }
}

/// A `str` message (type bit 0): UTF-8 text. A frame that is not UTF-8 is
/// a decode error naming `Text.text`; the stream goes on.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0)]
pub struct Text {
    /// The text.
    #[codec(rest)]
    pub text: String,
}

/// A `bytes` message (type bit 1).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 1)]
pub struct Bytes {
    /// The bytes.
    #[codec(rest)]
    pub data: Vec<u8>,
}

/// A Stockings message: text or bytes.
///
/// ```
/// use codec::{Decode, Encode};
/// use codec_examples::stockings::Stockings;
///
/// assert_eq!(Stockings::text("hi").to_bytes()?, [0x82, b'h', b'i']);
/// assert_eq!(Stockings::from_bytes(&[0x82, b'h', b'i'])?, Stockings::text("hi"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Protocol)]
#[codec(header = StockingsHeader)]
pub enum Stockings {
    /// Type bit 0.
    Text(Text),
    /// Type bit 1.
    Bytes(Bytes),
}

impl Stockings {
    /// A `str` message.
    pub fn text(text: impl Into<String>) -> Self {
        Stockings::Text(Text { text: text.into() })
    }

    /// A `bytes` message.
    pub fn bytes(data: impl Into<Vec<u8>>) -> Self {
        Stockings::Bytes(Bytes { data: data.into() })
    }

    /// The payload bytes (UTF-8 for text).
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Stockings::Text(t) => t.text.as_bytes(),
            Stockings::Bytes(b) => &b.data,
        }
    }

    /// `"str"` or `"bytes"`, as Python names the types.
    pub fn kind(&self) -> &'static str {
        match self {
            Stockings::Text(_) => "str",
            Stockings::Bytes(_) => "bytes",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codec::frame::{FrameDecoder, FrameError};

    fn header(id: u64, len: usize) -> Vec<u8> {
        let mut buf = Vec::new();
        StockingsHeader::write(id, len, &mut buf).unwrap();
        assert_eq!(buf.len(), StockingsHeader::encoded_len(id, len));
        buf
    }

    #[test]
    fn golden_headers() {
        assert_eq!(
            Stockings::text("hi").to_bytes().unwrap(),
            [0x82, 0x68, 0x69]
        );
        assert_eq!(header(1, 70), [0x46, 0x81]);
        assert_eq!(header(1, 100), [0x64, 0x81]);
        assert_eq!(header(0, 0), [0x80]);
        assert_eq!(header(1, 0), [0xc0]);
        assert_eq!(header(1, 63), [0xff]);
        assert_eq!(header(1, 64), [0x40, 0x81]);
        assert_eq!(header(1, 8191), [0x7f, 0xff]);
        assert_eq!(header(1, 8192), [0x40, 0x00, 0x81]);
        assert_eq!(header(0, 1 << 20), [0x00, 0x00, 0x00, 0x81]);
        for len in [0, 1, 63, 64, 8191, 8192, 1 << 20, (1 << 40) + 5] {
            for id in [0, 1] {
                let h = header(id, len);
                assert_eq!(
                    StockingsHeader::parse(&h).unwrap(),
                    Parsed::Complete(FrameHead {
                        id,
                        header_len: h.len(),
                        payload_len: len as u64
                    })
                );
            }
        }
    }

    #[test]
    fn one_byte_at_a_time_and_invalid_utf8_is_skipped() {
        let mut stream = Stockings::bytes(vec![7; 8192]).to_bytes().unwrap();
        stream.extend_from_slice(&[0x82, 0xff, 0xfe]); // str, not UTF-8
        stream.extend(Stockings::text("ok").to_bytes().unwrap());
        let mut d = FrameDecoder::<StockingsHeader>::new();
        let mut got = Vec::new();
        for b in &stream {
            d.push(std::slice::from_ref(b));
            loop {
                match d.next_message::<Stockings>() {
                    Ok(Some(m)) => got.push(Ok(m)),
                    Ok(None) => break,
                    Err(e) => got.push(Err(e.to_string())),
                }
            }
        }
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].as_ref().unwrap().as_bytes().len(), 8192);
        let err = got[1].as_ref().unwrap_err();
        assert!(
            err.contains("invalid utf-8") && err.contains("Text.text"),
            "{err}"
        );
        assert_eq!(got[2].as_ref().unwrap(), &Stockings::text("ok"));
    }

    #[test]
    fn hostile_headers() {
        // Nine bytes without the end mark: too long for any length.
        let err = StockingsHeader::parse(&[0x3f; 12]).unwrap_err();
        assert!(err.to_string().contains("StockingsHeader.len"), "{err}");
        // A 2^61-byte declaration is refused from the header alone.
        let mut d = FrameDecoder::<StockingsHeader>::new();
        d.push(&[0x00, 0, 0, 0, 0, 0, 0, 0, 0x80 | 0x40]);
        assert!(matches!(d.next_frame(), Err(FrameError::TooLarge { .. })));
        // A frame cut short is truncated at the end of the stream.
        let mut d = FrameDecoder::<StockingsHeader>::new();
        d.push(&[0x40, 0x81, 1, 2, 3]);
        assert!(d.next_frame().unwrap().is_none());
        assert!(matches!(
            d.finish(),
            Err(FrameError::Truncated { have: 5, need: 61 })
        ));
    }
}
