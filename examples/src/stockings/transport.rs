//! Stockings messages over a byte stream: blocking ([`BlockingStockings`],
//! the framework's [`BlockingFramed`]) or tokio ([`StockingsStream`], the
//! framework's [`ProtocolCodec`]).
//!
//! Both keep the connection usable after a frame that does not decode (a
//! `str` frame that is not UTF-8): that call returns the error, the frame
//! is consumed, and the next call reads the next message. A header that
//! does not parse or declares more than the frame limit, or a stream that
//! ends inside a frame, is an error the stream cannot recover from (there
//! is no way to find the next header): [`FrameError::is_recoverable`] tells the two
//! apart.

use std::io;
use std::net::TcpStream;

use bytes::BytesMut;
use codec::frame::FrameError;
use codec::io::BlockingFramed;
use codec::tokio::ProtocolCodec;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_util::codec::{Decoder, Encoder};

use super::wire::Stockings;

/// Stockings messages over a blocking stream.
///
/// ```
/// use codec_examples::stockings::{BlockingStockings, Stockings};
/// use std::io::Cursor;
///
/// let mut out = BlockingStockings::new(Vec::new());
/// out.send(&Stockings::text("hi"))?;
/// assert_eq!(out.get_ref(), &[0x82, b'h', b'i']);
/// let mut input = BlockingStockings::new(Cursor::new(out.into_inner()));
/// assert_eq!(input.recv()?, Some(Stockings::text("hi")));
/// assert_eq!(input.recv()?, None);
/// # Ok::<(), codec::frame::FrameError>(())
/// ```
pub type BlockingStockings<T> = BlockingFramed<T, Stockings>;

/// Connects a blocking Stockings stream (with `TCP_NODELAY`).
///
/// # Errors
///
/// The connection fails.
pub fn connect_blocking(
    addr: impl std::net::ToSocketAddrs,
) -> io::Result<BlockingStockings<TcpStream>> {
    let stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    Ok(BlockingStockings::new(stream))
}

/// Stockings messages over a tokio stream.
///
/// Unlike `tokio_util::codec::Framed`, which ends its stream after the
/// first decode error, [`StockingsStream::recv`] reports a bad frame and
/// goes on with the next.
///
/// ```
/// use codec_examples::stockings::{Stockings, StockingsStream};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), codec::frame::FrameError> {
/// let (a, b) = tokio::io::duplex(1024);
/// let (mut a, mut b) = (StockingsStream::new(a), StockingsStream::new(b));
/// a.send(&Stockings::bytes(vec![1, 2, 3])).await?;
/// assert_eq!(b.recv().await?, Some(Stockings::bytes(vec![1, 2, 3])));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct StockingsStream<S> {
    io: S,
    codec: ProtocolCodec<Stockings>,
    rbuf: BytesMut,
    wbuf: BytesMut,
    eof: bool,
}

impl<S> StockingsStream<S> {
    /// Wraps `io` with the default frame limit (16 MiB).
    pub fn new(io: S) -> Self {
        StockingsStream {
            io,
            codec: ProtocolCodec::new(),
            rbuf: BytesMut::with_capacity(8 * 1024),
            wbuf: BytesMut::new(),
            eof: false,
        }
    }

    /// Sets the largest message accepted or sent.
    #[must_use]
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.codec = self.codec.with_max_frame_len(max);
        self
    }

    /// The stream.
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// The stream back; buffered bytes are dropped.
    pub fn into_inner(self) -> S {
        self.io
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> StockingsStream<S> {
    /// The next message; `Ok(None)` when the peer closed between messages.
    ///
    /// # Errors
    ///
    /// [`FrameError::Payload`] for a frame that does not decode (consumed:
    /// call again for the next), [`FrameError::Decode`] for a header that does not parse (the
    /// stream is unusable after; see [`FrameError::is_recoverable`]);
    /// [`FrameError::TooLarge`] for a header over the limit (nothing
    /// allocated; the stream is unusable after);
    /// [`FrameError::Truncated`] when the peer closes inside a frame;
    /// [`FrameError::Io`].
    pub async fn recv(&mut self) -> Result<Option<Stockings>, FrameError> {
        loop {
            if self.eof {
                return self.codec.decode_eof(&mut self.rbuf);
            }
            if let Some(msg) = self.codec.decode(&mut self.rbuf)? {
                return Ok(Some(msg));
            }
            if self.io.read_buf(&mut self.rbuf).await? == 0 {
                self.eof = true;
            }
        }
    }

    /// Sends one message and flushes.
    ///
    /// # Errors
    ///
    /// [`FrameError::TooLarge`] / [`FrameError::Encode`] (nothing sent),
    /// or [`FrameError::Io`].
    pub async fn send(&mut self, msg: &Stockings) -> Result<(), FrameError> {
        self.wbuf.clear();
        self.codec.encode(msg, &mut self.wbuf)?;
        self.io.write_all(&self.wbuf).await?;
        self.io.flush().await?;
        Ok(())
    }

    /// Half-closes the writing side.
    ///
    /// # Errors
    ///
    /// The socket's.
    pub async fn shutdown(&mut self) -> io::Result<()> {
        self.io.shutdown().await
    }
}
