//! [`tokio_util::codec`] support (feature `tokio`): [`ProtocolCodec`] makes
//! `Framed<TcpStream, ProtocolCodec<P>>` a `Stream` of protocol messages and
//! a `Sink` for them.
//!
//! ```no_run
//! # use codec::{DecodeError, DecodeProtocol, EncodeError, Protocol, Reader, StdHeader};
//! # #[derive(Debug)]
//! # struct Storage;
//! # impl Protocol for Storage {
//! #     type Header = StdHeader;
//! #     fn id(&self) -> u64 { 1 }
//! #     fn name(&self) -> &'static str { "Storage" }
//! #     fn payload_len(&self) -> usize { 0 }
//! #     fn encode_payload<S: codec::Sink + ?Sized>(&self, _: &mut S) -> Result<(), EncodeError> { Ok(()) }
//! # }
//! # impl<'de> DecodeProtocol<'de> for Storage {
//! #     fn decode_payload(_: u64, _: &mut Reader<'de>) -> Result<Self, DecodeError> { Ok(Storage) }
//! # }
//! # async fn run() -> Result<(), codec::frame::FrameError> {
//! use codec::tokio::ProtocolCodec;
//! use futures::{SinkExt, StreamExt};
//! use tokio_util::codec::Framed;
//!
//! let stream = tokio::net::TcpStream::connect("127.0.0.1:7000").await?;
//! let mut framed = Framed::new(stream, ProtocolCodec::<Storage>::new());
//! framed.send(Storage).await?;
//! while let Some(msg) = framed.next().await {
//!     println!("{:?}", msg?);
//! }
//! # Ok(())
//! # }
//! # let _ = run;
//! ```

use core::fmt;
use core::marker::PhantomData;

use bytes::{Buf, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::frame::{
    clamp_max, decode_split, encode_frame, inspect, FrameError, Next, DEFAULT_MAX_FRAME_LEN,
};
use crate::protocol::{DecodeProtocol, Protocol};
use crate::reader::Reader;

/// A [`Decoder`] and [`Encoder`] of protocol `P`'s frames.
///
/// Decoding follows the same rules as
/// [`FrameDecoder`](crate::frame::FrameDecoder): the frame limit is checked
/// from the header before anything is reserved for the body, a frame that
/// does not decode is consumed and reported (the stream goes on), and a
/// stream that ends inside a frame is [`FrameError::Truncated`]. Encoding
/// refuses payloads over the limit.
///
/// Messages are encoded from `P` or `&P`, straight into `Framed`'s write
/// buffer (a [`Sink`](crate::Sink)): each frame is written once, with no
/// scratch vector and no copy.
pub struct ProtocolCodec<P> {
    max: usize,
    protocol: PhantomData<fn(P) -> P>,
}

impl<P: Protocol> ProtocolCodec<P> {
    /// A codec with the default frame limit
    /// ([`DEFAULT_MAX_FRAME_LEN`], clamped to the header's).
    pub fn new() -> Self {
        ProtocolCodec {
            max: clamp_max::<P::Header>(DEFAULT_MAX_FRAME_LEN),
            protocol: PhantomData,
        }
    }

    /// Sets the largest payload sent or accepted, clamped to what the
    /// header can describe.
    #[must_use]
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.max = clamp_max::<P::Header>(max);
        self
    }

    /// The largest payload sent or accepted.
    pub fn max_frame_len(&self) -> usize {
        self.max
    }

    fn encode_ref(&self, item: &P, dst: &mut BytesMut) -> Result<(), FrameError> {
        let len = item.payload_len();
        if len > self.max {
            return Err(FrameError::TooLarge {
                len: len as u64,
                max: self.max,
            });
        }
        // Into `dst` itself; on error it is left as it was.
        encode_frame(item, dst)?;
        Ok(())
    }
}

impl<P: Protocol> Default for ProtocolCodec<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P> Clone for ProtocolCodec<P> {
    fn clone(&self) -> Self {
        ProtocolCodec {
            max: self.max,
            protocol: PhantomData,
        }
    }
}

impl<P> fmt::Debug for ProtocolCodec<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProtocolCodec")
            .field("max_frame_len", &self.max)
            .finish()
    }
}

/// The most [`ProtocolCodec`] reserves ahead of the bytes that arrived.
const READ_AHEAD: usize = 16 * 1024;

impl<P> Decoder for ProtocolCodec<P>
where
    P: Protocol + for<'a> DecodeProtocol<'a>,
{
    type Item = P;
    type Error = FrameError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<P>, FrameError> {
        let (head, total) = match inspect::<P::Header>(src, self.max)? {
            Next::Header(needed) => {
                src.reserve(needed);
                return Ok(None);
            }
            Next::Frame(head, total) => (head, total),
        };
        if src.len() < total {
            // Room for what is missing, but at most READ_AHEAD at a time: a
            // peer that sends a header claiming a large frame and then
            // trickles (or stalls) gets memory as its bytes arrive, not up
            // front.
            src.reserve((total - src.len()).min(READ_AHEAD));
            return Ok(None);
        }
        let result = {
            let mut payload = Reader::with_offset(&src[head.header_len..total], head.header_len);
            decode_split::<P>(0, &src[..head.header_len], &head, &mut payload)
        };
        src.advance(total);
        result.map(Some).map_err(FrameError::Payload)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<P>, FrameError> {
        if let Some(msg) = self.decode(src)? {
            return Ok(Some(msg));
        }
        if src.is_empty() {
            return Ok(None);
        }
        let have = src.len();
        let need = match inspect::<P::Header>(src, self.max)? {
            Next::Header(needed) => needed,
            Next::Frame(_, total) => total - have,
        };
        Err(FrameError::Truncated { have, need })
    }
}

impl<P: Protocol> Encoder<P> for ProtocolCodec<P> {
    type Error = FrameError;

    fn encode(&mut self, item: P, dst: &mut BytesMut) -> Result<(), FrameError> {
        self.encode_ref(&item, dst)
    }
}

impl<P: Protocol> Encoder<&P> for ProtocolCodec<P> {
    type Error = FrameError;

    fn encode(&mut self, item: &P, dst: &mut BytesMut) -> Result<(), FrameError> {
        self.encode_ref(item, dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_protocol::*;
    use crate::Encode;
    use std::string::ToString;
    use std::vec;
    use std::vec::Vec;

    fn bytes_of(msgs: &[Storage]) -> Vec<u8> {
        let mut out = Vec::new();
        for m in msgs {
            m.encode(&mut out).unwrap();
        }
        out
    }

    #[test]
    fn decodes_in_any_split_and_reserves_for_the_body() {
        let msgs: Vec<Storage> = (0..200).map(sample).collect();
        let bytes = bytes_of(&msgs);
        for chunk in [1, 2, 5, 64, 4096] {
            let mut codec = ProtocolCodec::<Storage>::new();
            let mut buf = BytesMut::new();
            let mut out = Vec::new();
            for piece in bytes.chunks(chunk) {
                buf.extend_from_slice(piece);
                while let Some(m) = codec.decode(&mut buf).unwrap() {
                    out.push(m);
                }
            }
            assert!(codec.decode_eof(&mut buf).unwrap().is_none());
            assert!(out == msgs, "chunk {chunk}");
        }
        let mut codec = ProtocolCodec::<Storage>::new();
        let mut buf = BytesMut::from(&bytes[..3]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        let declared = u16::from_be_bytes([bytes[1], bytes[2]]) as usize;
        assert!(buf.capacity() >= 3 + declared);
    }

    #[test]
    fn eof_inside_a_frame_is_truncated() {
        let bytes = bytes_of(&[sample(0)]);
        let mut codec = ProtocolCodec::<Storage>::new();
        let mut buf = BytesMut::from(&bytes[..bytes.len() - 1]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        let err = codec.decode_eof(&mut buf).unwrap_err();
        assert!(
            matches!(err, FrameError::Truncated { need: 1, .. }),
            "{err}"
        );
        let mut buf = BytesMut::from(&bytes[..1]);
        assert!(matches!(
            codec.decode_eof(&mut buf),
            Err(FrameError::Truncated { have: 1, need: 2 })
        ));
    }

    #[test]
    fn oversize_rejected_before_reserving() {
        let mut codec = ProtocolCodec::<Storage>::new().with_max_frame_len(10);
        let mut buf = BytesMut::from(&[0x01, 0xFF, 0xFF][..]);
        let before = buf.capacity();
        let err = codec.decode(&mut buf).unwrap_err();
        assert!(
            matches!(
                err,
                FrameError::TooLarge {
                    len: 0xFFFF,
                    max: 10
                }
            ),
            "{err}"
        );
        assert_eq!(buf.capacity(), before);

        let big = Storage::from(StoreRequest {
            trans: 0,
            name: "k".into(),
            data: vec![0; 10],
        });
        let mut out = BytesMut::new();
        assert!(matches!(
            codec.encode(&big, &mut out),
            Err(FrameError::TooLarge { len: 15, max: 10 })
        ));
        assert!(out.is_empty());
    }

    #[test]
    fn bad_frames_are_consumed_and_reported() {
        let mut bytes = vec![0x42, 0x00, 0x01, 0x00];
        bytes.extend(bytes_of(&[sample(3)]));
        let mut codec = ProtocolCodec::<Storage>::new();
        let mut buf = BytesMut::from(&bytes[..]);
        let err = codec.decode(&mut buf).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown message id 0x42 at byte 0 in StdHeader.id"
        );
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(sample(3)));
    }

    #[test]
    fn encodes_owned_and_borrowed_the_same() {
        let mut codec = ProtocolCodec::<Storage>::new();
        let (mut a, mut b) = (BytesMut::new(), BytesMut::new());
        codec.encode(sample(0), &mut a).unwrap();
        codec.encode(&sample(0), &mut b).unwrap();
        assert_eq!(a, b);
        assert_eq!(&a[..], &bytes_of(&[sample(0)])[..]);
    }
}
