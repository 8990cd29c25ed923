//! A blocking adapter: send and receive protocol messages over any
//! [`Read`] + [`Write`] stream (a `TcpStream`, a pipe, a file), framed by
//! the protocol's header.
//!
//! ```
//! # use codec::{DecodeError, DecodeProtocol, EncodeError, Protocol, Reader, StdHeader};
//! use codec::io::BlockingFramed;
//! use std::io::Cursor;
//! # #[derive(Debug, PartialEq)]
//! # struct Tick(u8);
//! # impl Protocol for Tick {
//! #     type Header = StdHeader;
//! #     fn id(&self) -> u64 { 0x20 }
//! #     fn name(&self) -> &'static str { "Tick" }
//! #     fn payload_len(&self) -> usize { 1 }
//! #     fn encode_payload<S: codec::Sink + ?Sized>(&self, buf: &mut S) -> Result<(), EncodeError> { buf.push(self.0); Ok(()) }
//! # }
//! # impl<'de> DecodeProtocol<'de> for Tick {
//! #     fn decode_payload(_: u64, p: &mut Reader<'de>) -> Result<Self, DecodeError> { Ok(Tick(p.byte()?)) }
//! # }
//!
//! // `Tick` is a one-message protocol: id 0x20, one payload byte.
//! let mut out = BlockingFramed::<_, Tick>::new(Vec::new());
//! out.send(&Tick(1))?;
//! out.send(&Tick(2))?;
//! assert_eq!(out.get_ref(), &[0x20, 0, 1, 1, 0x20, 0, 1, 2]);
//!
//! let mut input = BlockingFramed::<_, Tick>::new(Cursor::new(out.into_inner()));
//! assert_eq!(input.recv()?, Some(Tick(1)));
//! assert_eq!(input.recv()?, Some(Tick(2)));
//! assert_eq!(input.recv()?, None); // clean end of stream
//! # Ok::<(), codec::frame::FrameError>(())
//! ```

use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;
use std::io::{ErrorKind, Read, Write};

use crate::frame::encode_frame;
use crate::frame::{FrameDecoder, FrameError};
use crate::protocol::{DecodeProtocol, Protocol};

/// Bytes read from the stream at a time.
const READ_CHUNK: usize = 8 * 1024;
/// Frames queued by [`BlockingFramed::feed`] are written out once they
/// reach this many bytes, even before a flush.
const WRITE_HIGH_WATER: usize = 64 * 1024;

/// Messages of protocol `P` over a blocking stream `T`.
///
/// Receiving needs `T: Read` and an owned protocol
/// (`P: for<'a> DecodeProtocol<'a>`); sending needs `T: Write`. Frames
/// larger than [`max_frame_len`](BlockingFramed::max_frame_len) are refused
/// both ways.
pub struct BlockingFramed<T, P: Protocol> {
    io: T,
    frames: FrameDecoder<P::Header>,
    out: Vec<u8>,
    /// Read buffer, allocated on the first read.
    chunk: Vec<u8>,
    protocol: PhantomData<fn(P) -> P>,
}

impl<T, P: Protocol> BlockingFramed<T, P> {
    /// Wraps `io`, with the default frame limit
    /// ([`DEFAULT_MAX_FRAME_LEN`](crate::frame::DEFAULT_MAX_FRAME_LEN), clamped
    /// to the header's).
    pub fn new(io: T) -> Self {
        BlockingFramed {
            io,
            frames: FrameDecoder::new(),
            out: Vec::new(),
            chunk: Vec::new(),
            protocol: PhantomData,
        }
    }

    /// Sets the largest payload sent or accepted, clamped to what the
    /// header can describe.
    #[must_use]
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.frames = core::mem::take(&mut self.frames).with_max_frame_len(max);
        self
    }

    /// The largest payload sent or accepted.
    pub fn max_frame_len(&self) -> usize {
        self.frames.max_frame_len()
    }

    /// The stream.
    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// The stream, mutably. Reading from or writing to it directly breaks
    /// the framing unless it is done between whole frames.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// The stream back. Bytes received but not yet taken as messages, and
    /// messages fed but not flushed, are dropped.
    pub fn into_inner(self) -> T {
        self.io
    }
}

impl<T: Write, P: Protocol> BlockingFramed<T, P> {
    /// Queues `msg` for sending without flushing, so that several messages
    /// go out in one write. Queued bytes are written once they pass 64 KiB,
    /// and by [`flush`](BlockingFramed::flush).
    ///
    /// # Errors
    ///
    /// [`FrameError::TooLarge`] or [`FrameError::Encode`] (nothing is queued
    /// then), or [`FrameError::Io`] from writing out earlier messages.
    pub fn feed(&mut self, msg: &P) -> Result<(), FrameError> {
        let len = msg.payload_len();
        let max = self.frames.max_frame_len();
        if len > max {
            return Err(FrameError::TooLarge {
                len: len as u64,
                max,
            });
        }
        encode_frame(msg, &mut self.out)?;
        if self.out.len() >= WRITE_HIGH_WATER {
            self.write_out()?;
        }
        Ok(())
    }

    /// Writes every queued message and flushes the stream.
    ///
    /// # Errors
    ///
    /// [`FrameError::Io`]; the queue is dropped then, since part of it may
    /// have been written.
    pub fn flush(&mut self) -> Result<(), FrameError> {
        self.write_out()?;
        self.io.flush()?;
        Ok(())
    }

    /// Sends `msg` now: [`feed`](BlockingFramed::feed), then
    /// [`flush`](BlockingFramed::flush).
    ///
    /// # Errors
    ///
    /// As those two.
    pub fn send(&mut self, msg: &P) -> Result<(), FrameError> {
        self.feed(msg)?;
        self.flush()
    }

    fn write_out(&mut self) -> Result<(), FrameError> {
        let result = self.io.write_all(&self.out);
        self.out.clear();
        Ok(result?)
    }
}

impl<T: Read, P> BlockingFramed<T, P>
where
    P: Protocol + for<'a> DecodeProtocol<'a>,
{
    /// Receives the next message, blocking until it is complete.
    ///
    /// # Errors
    ///
    /// - [`FrameError::Truncated`] if the stream ends inside a frame;
    /// - [`FrameError::TooLarge`] for a header over the limit (before
    ///   anything is allocated for it; the stream is unusable after);
    /// - [`FrameError::Payload`] for a frame that does not decode as `P`
    ///   (that frame is skipped: the next call reads the next one);
    /// - [`FrameError::Io`] from the stream.
    ///
    /// `Ok(None)` means the stream ended cleanly, between frames.
    pub fn recv(&mut self) -> Result<Option<P>, FrameError> {
        loop {
            if let Some(msg) = self.frames.next_message::<P>()? {
                return Ok(Some(msg));
            }
            if self.chunk.is_empty() {
                self.chunk = alloc::vec![0; READ_CHUNK];
            }
            let n = match self.io.read(&mut self.chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if n == 0 {
                self.frames.finish()?;
                return Ok(None);
            }
            self.frames.push(&self.chunk[..n]);
        }
    }
}

impl<T: fmt::Debug, P: Protocol> fmt::Debug for BlockingFramed<T, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingFramed")
            .field("io", &self.io)
            .field("frames", &self.frames)
            .field("queued", &self.out.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_protocol::*;
    use std::io::Cursor;
    use std::net::{TcpListener, TcpStream};
    use std::string::ToString;
    use std::thread;
    use std::vec;

    /// Reads at most one byte per call, and is sometimes interrupted.
    struct Trickle<'a> {
        data: &'a [u8],
        calls: usize,
    }
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.calls += 1;
            if self.calls.is_multiple_of(3) {
                return Err(ErrorKind::Interrupted.into());
            }
            let n = self.data.len().min(1).min(buf.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn encoded(msgs: &[Storage]) -> Vec<u8> {
        let mut w = BlockingFramed::<_, Storage>::new(Vec::new());
        for m in msgs {
            w.feed(m).unwrap();
        }
        w.flush().unwrap();
        w.into_inner()
    }

    #[test]
    fn round_trip_one_byte_at_a_time() {
        let msgs: Vec<Storage> = (0..100).map(sample).collect();
        let bytes = encoded(&msgs);
        let mut r = BlockingFramed::<_, Storage>::new(Trickle {
            data: &bytes,
            calls: 0,
        });
        let mut got = Vec::new();
        while let Some(m) = r.recv().unwrap() {
            got.push(m);
        }
        assert!(got == msgs);
        assert!(r.recv().unwrap().is_none(), "stays at the end");
    }

    #[test]
    fn eof_mid_frame_is_truncated() {
        let bytes = encoded(&[sample(0), sample(4)]);
        let mut r = BlockingFramed::<_, Storage>::new(Cursor::new(&bytes[..bytes.len() - 2]));
        assert_eq!(r.recv().unwrap(), Some(sample(0)));
        let err = r.recv().unwrap_err();
        assert!(
            matches!(err, FrameError::Truncated { need: 2, .. }),
            "{err}"
        );
    }

    #[test]
    fn eof_mid_header_is_truncated() {
        let mut r = BlockingFramed::<_, Storage>::new(Cursor::new(vec![0x01]));
        assert!(matches!(
            r.recv(),
            Err(FrameError::Truncated { have: 1, need: 2 })
        ));
    }

    #[test]
    fn bad_frame_is_skipped() {
        let mut bytes = vec![0x42, 0x00, 0x00];
        bytes.extend(encoded(&[sample(1)]));
        let mut r = BlockingFramed::<_, Storage>::new(Cursor::new(bytes));
        let err = r.recv().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown message id 0x42 at byte 0 in StdHeader.id"
        );
        assert_eq!(r.recv().unwrap(), Some(sample(1)));
        assert_eq!(r.recv().unwrap(), None);
    }

    #[test]
    fn limits_apply_both_ways() {
        let big = Storage::from(StoreRequest {
            trans: 1,
            name: "k".into(),
            data: vec![0; 200],
        });
        let mut w = BlockingFramed::<_, Storage>::new(Vec::new()).with_max_frame_len(100);
        assert_eq!(w.max_frame_len(), 100);
        assert!(matches!(
            w.send(&big),
            Err(FrameError::TooLarge { len: 205, max: 100 })
        ));
        assert!(w.get_ref().is_empty());

        let bytes = encoded(&[big]);
        let mut r = BlockingFramed::<_, Storage>::new(Cursor::new(bytes)).with_max_frame_len(100);
        assert!(matches!(
            r.recv(),
            Err(FrameError::TooLarge { len: 205, max: 100 })
        ));
    }

    #[test]
    fn encode_errors_queue_nothing() {
        let bad = Storage::from(StoreRequest {
            trans: 1,
            name: "x".repeat(300),
            data: vec![],
        });
        let mut w = BlockingFramed::<_, Storage>::new(Vec::new());
        assert!(matches!(w.send(&bad), Err(FrameError::Encode(_))));
        w.send(&sample(1)).unwrap();
        assert_eq!(w.get_ref(), &encoded(&[sample(1)]));
    }

    #[test]
    fn request_response_over_loopback_tcp() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut framed = BlockingFramed::<_, Storage>::new(stream);
            let mut served = 0;
            while let Some(msg) = framed.recv().unwrap() {
                let Storage::StoreRequest(req) = msg else {
                    panic!("unexpected {msg:?}")
                };
                let resp = StoreResponse {
                    trans: req.trans,
                    name: req.name,
                    status: SUCCESS,
                };
                framed.send(&resp.into()).unwrap();
                served += 1;
            }
            served
        });
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        let mut framed = BlockingFramed::<_, Storage>::new(stream);
        for i in 0..500u32 {
            let req = StoreRequest {
                trans: i as u8,
                name: "k".repeat(i as usize % 50),
                data: vec![i as u8; i as usize],
            };
            framed.send(&req.into()).unwrap();
            let Some(Storage::StoreResponse(resp)) = framed.recv().unwrap() else {
                panic!("no response")
            };
            assert_eq!(
                (resp.trans, resp.name.len(), resp.status),
                (i as u8, i as usize % 50, SUCCESS)
            );
        }
        framed
            .get_ref()
            .shutdown(std::net::Shutdown::Write)
            .unwrap();
        assert_eq!(framed.recv().unwrap(), None);
        assert_eq!(server.join().unwrap(), 500);
    }
}
