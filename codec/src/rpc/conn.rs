//! What both sides share: reading frames under limits, writing batched
//! frames, and the handshake exchange.

use std::string::{String, ToString};
use std::vec::Vec;

use std::io;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::codec::Decoder;

use super::error::Chain;
pub(crate) use super::parts::Parts;
use super::{ConnError, Counters};
use crate::tokio::ProtocolCodec;
use crate::{DecodeProtocol, EncodeError, FrameError, Protocol};

/// Default limit on a frame's payload for connections: 16 MiB (and never
/// more than the header can describe).
pub(crate) const DEFAULT_MAX_FRAME: usize = crate::frame::DEFAULT_MAX_FRAME_LEN;

/// Encodes a whole frame (header and payload), shareable by every peer it
/// goes to.
pub(crate) fn encode_frame<P: Protocol>(msg: &P) -> Result<Arc<Vec<u8>>, EncodeError> {
    crate::frame::frame_bytes(msg).map(Arc::new)
}

/// Read-side limits of one connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_frame_len: usize,
    /// Longest wait for the first byte of a frame.
    pub(crate) idle: Option<Duration>,
    /// Longest time from a frame's first byte to its last.
    pub(crate) frame: Option<Duration>,
}

/// Reads whole messages from a socket, enforcing [`Limits`].
pub(crate) struct FrameReader<P> {
    rd: OwnedReadHalf,
    buf: BytesMut,
    codec: ProtocolCodec<P>,
    limits: Limits,
    /// When the first byte of the unfinished frame in `buf` arrived.
    frame_started: Option<Instant>,
    bytes_read: u64,
    /// Room offered to the next read: doubled while reads fill what they
    /// are offered (pipelined bursts of large frames: 16 stores of 4 KiB
    /// took 8 reads of 8 KiB), halved while they take under a quarter.
    room: usize,
    /// The read deadlines' one timer, made at the first wait with a
    /// deadline: moved only when a deadline comes sooner than it, and
    /// when it fires before the deadline now in force (a later one).
    /// A timer per wait (`timeout_at`) was registered and cleared in the
    /// runtime's timer wheel per request at depth 1.
    timer: Option<std::pin::Pin<std::boxed::Box<tokio::time::Sleep>>>,
}

/// Least and most room offered to a read.
const READ_MIN: usize = 8 * 1024;
const READ_MAX: usize = 128 * 1024;

impl<P> FrameReader<P>
where
    P: Protocol + for<'de> DecodeProtocol<'de>,
{
    pub(crate) fn new(rd: OwnedReadHalf, limits: Limits) -> Self {
        FrameReader {
            rd,
            buf: BytesMut::with_capacity(READ_MIN),
            codec: ProtocolCodec::new().with_max_frame_len(limits.max_frame_len),
            limits,
            frame_started: None,
            bytes_read: 0,
            room: READ_MIN,
            timer: None,
        }
    }

    /// Changes the idle limit (the server lifts it while requests run).
    pub(crate) fn set_idle(&mut self, idle: Option<Duration>) {
        self.limits.idle = idle;
    }

    /// Bytes read since the last call.
    pub(crate) fn take_bytes_read(&mut self) -> u64 {
        std::mem::take(&mut self.bytes_read)
    }

    /// Room for the next read: `room` bytes, in a buffer no bigger than
    /// twice that once it is empty (a burst's large buffer is not kept by
    /// an idle connection).
    fn make_room(&mut self) {
        if self.buf.is_empty() && self.buf.capacity() > 2 * self.room {
            self.buf = BytesMut::with_capacity(self.room);
        } else if self.buf.capacity() - self.buf.len() < self.room {
            self.buf.reserve(self.room);
        }
    }

    /// The next message if a whole one is already buffered (no read).
    pub(crate) fn buffered(&mut self) -> Result<Option<P>, ConnError> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        let msg = self.codec.decode(&mut self.buf).map_err(conn_error)?;
        if msg.is_some() {
            self.frame_started = None;
        }
        Ok(msg)
    }

    /// The next message; `Ok(None)` when the peer closed between frames.
    /// Cancel-safe: a partial frame stays buffered.
    pub(crate) async fn next(&mut self) -> Result<Option<P>, ConnError> {
        loop {
            if let Some(msg) = self.codec.decode(&mut self.buf).map_err(conn_error)? {
                // The next frame's clock starts when we wait for its bytes
                // (below), not here: no clock read per message.
                self.frame_started = None;
                return Ok(Some(msg));
            }
            let (deadline, expired) = if self.buf.is_empty() {
                match self.limits.idle {
                    Some(d) => (Some(Instant::now() + d), Some(ConnError::Idle(d))),
                    None => (None, None),
                }
            } else {
                // Part of a frame is here: it must be finished in time,
                // counted from when its first bytes were found waiting.
                match self.limits.frame {
                    Some(d) => {
                        let start = *self.frame_started.get_or_insert_with(Instant::now);
                        (Some(start + d), Some(ConnError::FrameTimeout(d)))
                    }
                    None => (None, None),
                }
            };
            self.make_room();
            let offered = self.buf.capacity() - self.buf.len();
            let read = self.rd.read_buf(&mut self.buf);
            let n = match deadline {
                None => read.await?,
                Some(at) => {
                    let timer = self
                        .timer
                        .get_or_insert_with(|| std::boxed::Box::pin(tokio::time::sleep_until(at)));
                    let due = async {
                        if timer.deadline() > at {
                            timer.as_mut().reset(at);
                        }
                        loop {
                            timer.as_mut().await;
                            if Instant::now() >= at {
                                return;
                            }
                            timer.as_mut().reset(at);
                        }
                    };
                    tokio::select! {
                        biased;
                        n = read => n?,
                        () = due => return Err(expired.expect("a deadline comes with its error")),
                    }
                }
            };
            if n == 0 {
                return match self.codec.decode_eof(&mut self.buf).map_err(conn_error)? {
                    Some(msg) => Ok(Some(msg)),
                    None => Ok(None),
                };
            }
            self.bytes_read += n as u64;
            if n == offered {
                self.room = (self.room * 2).min(READ_MAX);
            } else if n < self.room / 4 {
                self.room = (self.room / 2).max(READ_MIN);
            }
        }
    }
}

fn conn_error(e: FrameError) -> ConnError {
    match e {
        FrameError::TooLarge { len, max } => ConnError::FrameTooLarge { len, max },
        FrameError::Truncated { have, .. } | FrameError::Unread { len: have } => {
            ConnError::Truncated { have }
        }
        FrameError::Decode(e) | FrameError::Payload(e) => ConnError::Decode(e),
        FrameError::Io(e) => ConnError::Io(e),
        other => ConnError::Io(io::Error::other(Chain(&other).to_string())),
    }
}

/// Writes queued frames, batching whatever is queued into one write. When
/// every sender is gone, or `stop` completes (after writing what is
/// already queued), half-closes the connection.
///
/// `due` (the client's) counts replies delivered since the last write.
/// Their callers tend to call again at once, but each runs after the writer
/// that the first of them woke: so while fewer frames are queued than are
/// due, and yielding keeps bringing more, the writer yields (at most 8
/// times) before writing. Without it a client with 16 to 64 calls in
/// flight wrote 2 to 4 frames per syscall; with it, tens.
pub(crate) async fn write_loop(
    wire: Arc<Wire>,
    mut rx: OutRx,
    counters: &Counters,
    stop: impl std::future::Future<Output = ()>,
    due: Option<&AtomicUsize>,
    clock: Option<&WriteClock>,
) -> io::Result<()> {
    const BATCH: usize = 64 * 1024;
    let mut batch = Batch::default();
    // Released once their frames are written, not when queued: merged
    // into one, so a batch returns them to the semaphore in one call.
    let mut permits = Permits(None);
    tokio::pin!(stop);
    let mut stopping = false;
    loop {
        let frame = if stopping {
            match rx.rx.try_recv() {
                Ok(frame) => frame,
                Err(_) => break,
            }
        } else {
            tokio::select! {
                frame = rx.rx.recv() => match frame {
                    Some(frame) => frame,
                    None => break,
                },
                () = &mut stop => {
                    stopping = true;
                    continue;
                }
            }
        };
        batch.clear();
        batch.push(frame.frame);
        permits.add(frame.permit);
        let mut frames = 1;
        // Frames since the last yield (the first yield is always worth it).
        let mut fresh = 1;
        let mut yields = 0;
        while batch.len() < BATCH {
            match rx.rx.try_recv() {
                Ok(frame) => {
                    batch.push(frame.frame);
                    permits.add(frame.permit);
                    frames += 1;
                    fresh += 1;
                }
                // Frames are due (callers just got their replies and are
                // likely to call again) but not all here yet: while they
                // keep coming, let them run before writing, rather than
                // write each alone.
                Err(_)
                    if fresh > 0
                        && yields < 8
                        && due.is_some_and(|d| d.load(Ordering::Relaxed) > frames) =>
                {
                    fresh = 0;
                    yields += 1;
                    tokio::task::yield_now().await;
                }
                Err(_) => break,
            }
        }
        if let Some(d) = due {
            d.store(0, Ordering::Relaxed);
        }
        {
            // The reader may have left the rest of a batch it began
            // (`Wire::leftover`): it goes first, then these frames.
            let mut wire = wire.lock().await;
            wire.write_leftover().await?;
            batch.write(&mut wire.wr).await?;
        }
        rx.queued.fetch_sub(frames, Ordering::AcqRel);
        counters.bytes_out(batch.len() as u64);
        counters.writes(1);
        if let Some(clock) = clock {
            clock.wrote();
        }
        permits.0 = None;
    }
    let mut wire = wire.lock().await;
    wire.write_leftover().await?;
    wire.wr.shutdown().await
}

/// The connection's write half, shared by its writer task and (on the
/// accepting side) its reader, which writes the replies of handlers that
/// answered at once itself ([`Inline`]): whoever holds the lock writes.
/// The writer holds it for each batch, until written; the reader only
/// for a non-blocking write.
pub(crate) type Wire = tokio::sync::Mutex<WireHalf>;

/// See [`Wire`].
pub(crate) struct WireHalf {
    wr: OwnedWriteHalf,
    /// The rest of a batch the reader began to write and the socket did
    /// not take at once (the bytes of the batch from the offset on),
    /// written by the writer before anything else; a frame queued for the
    /// writer (with the batch's permits) wakes it for that.
    leftover: Option<(Batch, usize)>,
}

impl WireHalf {
    pub(crate) fn new(wr: OwnedWriteHalf) -> Self {
        WireHalf { wr, leftover: None }
    }

    /// Writes the rest of the reader's batch, if any.
    async fn write_leftover(&mut self) -> io::Result<()> {
        if let Some((batch, written)) = self.leftover.take() {
            batch.write_from(&mut self.wr, written).await?;
        }
        Ok(())
    }
}

/// The sending end of a connection's queue for its writer, with the count
/// of frames queued and not yet written: the reader writes a reply itself
/// only while nothing sent before it waits in the queue (a notification a
/// handler sent before it returned its reply goes out first).
#[derive(Debug, Clone)]
pub(crate) struct Out {
    tx: mpsc::UnboundedSender<Outgoing>,
    queued: Arc<AtomicUsize>,
}

/// The writer's end of the queue ([`Out`]).
#[derive(Debug)]
pub(crate) struct OutRx {
    rx: mpsc::UnboundedReceiver<Outgoing>,
    queued: Arc<AtomicUsize>,
}

/// A new queue for a connection's writer.
pub(crate) fn queue() -> (Out, OutRx) {
    let (tx, rx) = mpsc::unbounded_channel();
    let queued = Arc::new(AtomicUsize::new(0));
    (
        Out {
            tx,
            queued: Arc::clone(&queued),
        },
        OutRx { rx, queued },
    )
}

impl Out {
    /// Queues a frame for the writer; gives it back if the writer is gone.
    pub(crate) fn send(&self, out: Outgoing) -> Result<(), mpsc::error::SendError<Outgoing>> {
        self.queued.fetch_add(1, Ordering::AcqRel);
        let sent = self.tx.send(out);
        if sent.is_err() {
            self.queued.fetch_sub(1, Ordering::AcqRel);
        }
        sent
    }

    /// Whether the writer is gone.
    pub(crate) fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Frames queued and not yet written.
    #[inline]
    pub(crate) fn queued(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }
}

/// The replies of handlers that answered at once, on the accepting side:
/// encoded into one batch as they come and written by the reader itself
/// once the requests already read are served ([`Inline::flush`]), as
/// Redis does, instead of each going through the writer task's queue (a
/// channel send, a wake-up and a receive per reply).
pub(crate) struct Inline {
    wire: Arc<Wire>,
    batch: Batch,
    permits: Permits,
    /// Permits of replies written, kept for the connection's next
    /// requests ([`Inline::take_permit`]) instead of going back to the
    /// semaphore, whose release takes its lock (a tenth of a depth-1
    /// request's instructions went to taking and releasing a permit).
    /// Only the connection's reader takes permits, so one it keeps is
    /// one nobody waits for.
    free: Permits,
    /// Reused for each reply's encoding.
    parts: Parts,
    /// A write failed: replies go through the writer (which fails too,
    /// and ends the connection's writing) from now on.
    pub(crate) broken: bool,
}

impl Inline {
    /// Batches bigger than this are written before more are added.
    pub(crate) const BATCH: usize = 64 * 1024;

    pub(crate) fn new(wire: Arc<Wire>) -> Self {
        Inline {
            wire,
            batch: Batch::default(),
            permits: Permits(None),
            free: Permits(None),
            parts: Parts::default(),
            broken: false,
        }
    }

    /// Bytes waiting to be written.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.batch.len()
    }

    /// A permit of a reply already written, if one is kept.
    #[inline]
    pub(crate) fn take_permit(&mut self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.free.0.as_mut()?.split(1)
    }

    /// Adds `reply` to the batch, with its in-flight permit (free once it
    /// is written).
    pub(crate) fn push<P: Protocol>(
        &mut self,
        reply: &P,
        permit: tokio::sync::OwnedSemaphorePermit,
    ) -> Result<(), EncodeError> {
        self.parts.encode_into(reply)?;
        self.batch.push_parts_ref(&self.parts);
        self.permits.add(Some(permit));
        Ok(())
    }

    /// Writes the batch: as much as the socket takes now, and the rest
    /// (rare: a full socket buffer) through the writer, which is woken by
    /// an empty frame on `out` carrying the batch's permits.
    pub(crate) async fn flush(&mut self, out: &Out, counters: &Counters) {
        if self.batch.len() == 0 {
            self.free.add(self.permits.0.take());
            return;
        }
        let mut wire = match self.wire.try_lock() {
            Ok(wire) => wire,
            Err(_) => self.wire.lock().await,
        };
        let result = match wire.write_leftover().await {
            Ok(()) => self.batch.try_write(&wire.wr),
            Err(e) => Err(e),
        };
        match result {
            Ok(n) if n == self.batch.len() => {
                drop(wire);
                counters.bytes_out(n as u64);
                counters.writes(1);
                self.batch.clear();
                self.free.add(self.permits.0.take());
            }
            Ok(n) => {
                counters.bytes_out(self.batch.len() as u64);
                counters.writes(1);
                wire.leftover = Some((std::mem::take(&mut self.batch), n));
                drop(wire);
                let wake = Outgoing {
                    frame: Frame::Whole(Arc::new(Vec::new())),
                    permit: self.permits.0.take(),
                };
                let _ = out.send(wake);
            }
            Err(e) => {
                drop(wire);
                tracing::debug!(error = %e, "reply write failed; replies go through the writer");
                self.broken = true;
                self.batch.clear();
                self.permits.0 = None;
            }
        }
    }
}

/// When the writer last wrote: a ping is due when nothing was sent for
/// its interval, as well as when nothing was received (MQTT's keepalive
/// counts what the client sends).
#[derive(Debug)]
pub(crate) struct WriteClock {
    epoch: Instant,
    /// Milliseconds from `epoch` to the last write.
    last: AtomicU64,
}

impl WriteClock {
    pub(crate) fn new() -> Self {
        WriteClock {
            epoch: Instant::now(),
            last: AtomicU64::new(0),
        }
    }

    /// A write just ended.
    fn wrote(&self) {
        let ms = self.epoch.elapsed().as_millis();
        self.last
            .store(u64::try_from(ms).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// When the last write ended (or the clock started).
    pub(crate) fn last(&self) -> Instant {
        self.epoch + Duration::from_millis(self.last.load(Ordering::Relaxed))
    }
}

/// The in-flight permits of a batch's replies, merged (all are the
/// connection's: one semaphore).
pub(crate) struct Permits(Option<tokio::sync::OwnedSemaphorePermit>);

impl Permits {
    fn add(&mut self, permit: Option<tokio::sync::OwnedSemaphorePermit>) {
        match (&mut self.0, permit) {
            (Some(all), Some(one)) => all.merge(one),
            (all @ None, one) => *all = one,
            (Some(_), None) => {}
        }
    }
}

/// The frames of one write. Small frames are copied into one buffer (one
/// iovec for many frames); a frame of [`Batch::DIRECT`] bytes or more is
/// written from its own encoding, with no copy (a 4 KiB value is not
/// moved again on its way to the socket), through a vectored write; so
/// is each shared buffer of a reply encoded as [`Parts`].
#[derive(Default)]
pub(crate) struct Batch {
    /// The small frames, back to back.
    copied: Vec<u8>,
    /// The large frames, each with the length of `copied` when it came
    /// (the frames before it).
    direct: Vec<(usize, Direct)>,
    len: usize,
}

/// Bytes written from where they are, not copied into the batch.
enum Direct {
    /// A whole frame (shared by every peer it goes to).
    Frame(Arc<Vec<u8>>),
    /// A shared buffer inside a reply's frame (a stored value).
    Shared(Bytes),
}

impl std::ops::Deref for Direct {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Direct::Frame(f) => f,
            Direct::Shared(b) => b,
        }
    }
}

impl Batch {
    /// Frames at least this long are not copied.
    const DIRECT: usize = 2048;

    #[inline]
    fn clear(&mut self) {
        self.copied.clear();
        self.direct.clear();
        self.len = 0;
    }

    #[inline]
    fn push(&mut self, frame: Frame) {
        let frame = match frame {
            Frame::Whole(frame) => frame,
            Frame::Parts(parts) => return self.push_parts(parts),
        };
        self.len += frame.len();
        if frame.len() >= Self::DIRECT {
            self.direct.push((self.copied.len(), Direct::Frame(frame)));
        } else {
            self.copied.extend_from_slice(&frame);
        }
    }

    /// A reply's pieces: its bytes copied, its shared buffers by reference.
    fn push_parts(&mut self, parts: Parts) {
        let (flat, shared) = parts.into_pieces();
        let mut from = 0;
        for (at, bytes) in shared {
            self.copied.extend_from_slice(&flat[from..at]);
            self.len += at - from + bytes.len();
            self.direct.push((self.copied.len(), Direct::Shared(bytes)));
            from = at;
        }
        self.copied.extend_from_slice(&flat[from..]);
        self.len += flat.len() - from;
    }

    /// A reply's pieces, its shared buffers by reference (`parts` is
    /// kept, to be encoded into again).
    fn push_parts_ref(&mut self, parts: &Parts) {
        let (flat, shared) = parts.pieces();
        let mut from = 0;
        for (at, bytes) in shared {
            self.copied.extend_from_slice(&flat[from..*at]);
            self.len += at - from + bytes.len();
            self.direct
                .push((self.copied.len(), Direct::Shared(bytes.clone())));
            from = *at;
        }
        self.copied.extend_from_slice(&flat[from..]);
        self.len += flat.len() - from;
    }

    /// Bytes queued.
    #[inline]
    fn len(&self) -> usize {
        self.len
    }

    /// The batch as the slices of one vectored write.
    fn slices(&self) -> Vec<io::IoSlice<'_>> {
        let mut slices = Vec::with_capacity(2 * self.direct.len() + 1);
        let mut from = 0;
        for (at, frame) in &self.direct {
            if *at > from {
                slices.push(io::IoSlice::new(&self.copied[from..*at]));
            }
            slices.push(io::IoSlice::new(frame));
            from = *at;
        }
        if from < self.copied.len() {
            slices.push(io::IoSlice::new(&self.copied[from..]));
        }
        slices
    }

    /// Writes what the socket takes without waiting; returns how many
    /// bytes (0 if it takes none now).
    fn try_write(&self, wr: &OwnedWriteHalf) -> io::Result<usize> {
        let wrote = if self.direct.is_empty() {
            wr.try_write(&self.copied)
        } else {
            wr.try_write_vectored(&self.slices())
        };
        match wrote {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// Writes every frame, in the order they came.
    async fn write(&self, wr: &mut OwnedWriteHalf) -> io::Result<()> {
        self.write_from(wr, 0).await
    }

    /// Writes the batch's bytes from `skip` on.
    async fn write_from(&self, wr: &mut OwnedWriteHalf, skip: usize) -> io::Result<()> {
        if self.direct.is_empty() {
            return wr.write_all(&self.copied[skip..]).await;
        }
        let mut slices = self.slices();
        let mut bufs = &mut slices[..];
        io::IoSlice::advance_slices(&mut bufs, skip);
        while !bufs.is_empty() {
            let n = wr.write_vectored(bufs).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            io::IoSlice::advance_slices(&mut bufs, n);
        }
        Ok(())
    }
}

/// A frame queued for a connection's writer.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub(crate) frame: Frame,
    /// A reply's in-flight permit: its request counts against the limit
    /// until the reply is written, so a peer that sends requests without
    /// reading replies is paused instead of filling the server's memory.
    pub(crate) permit: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl From<Arc<Vec<u8>>> for Outgoing {
    fn from(frame: Arc<Vec<u8>>) -> Self {
        Outgoing {
            frame: Frame::Whole(frame),
            permit: None,
        }
    }
}

/// An encoded frame.
#[derive(Debug)]
pub(crate) enum Frame {
    /// In one buffer, shareable (a notification to many peers, a call
    /// kept for resending).
    Whole(Arc<Vec<u8>>),
    /// A reply, with its large shared buffers by reference.
    Parts(Parts),
}

/// Runs `hs`, if any, on a new connection within `limit`: its
/// [`client`](super::Handshake::client) side for the side that dialled
/// (`initiator`), its [`server`](super::Handshake::server) side for the
/// side that accepted.
pub(crate) async fn handshake<P>(
    hs: Option<&dyn super::Handshake<P>>,
    initiator: bool,
    reader: &mut FrameReader<P>,
    wr: &mut OwnedWriteHalf,
    limit: Duration,
) -> Result<Option<Option<Duration>>, String>
where
    P: Protocol + for<'de> DecodeProtocol<'de> + 'static,
{
    let Some(hs) = hs else {
        return Ok(None);
    };
    let mut conn = HandshakeConn::new(reader, wr);
    let run = if initiator {
        hs.client(&mut conn)
    } else {
        hs.server(&mut conn)
    };
    let outcome = tokio::time::timeout(limit, run).await;
    let idle = conn.idle;
    match outcome {
        Ok(outcome) => outcome.map(|()| idle),
        Err(_) if initiator => Err(std::format!("no handshake reply within {limit:?}")),
        Err(_) => Err(std::format!("no handshake within {limit:?}")),
    }
}

/// The connection as a handshake sees it: send and receive messages before
/// the connection carries calls.
pub struct HandshakeConn<'a, P> {
    reader: &'a mut FrameReader<P>,
    wr: &'a mut OwnedWriteHalf,
    /// This connection's idle limit, if the handshake set one.
    idle: Option<Option<Duration>>,
}

impl<'a, P> HandshakeConn<'a, P>
where
    P: Protocol + for<'de> DecodeProtocol<'de>,
{
    pub(crate) fn new(reader: &'a mut FrameReader<P>, wr: &'a mut OwnedWriteHalf) -> Self {
        HandshakeConn {
            reader,
            wr,
            idle: None,
        }
    }

    /// Sets this connection's idle limit (`None`: none), in place of the
    /// configured one ([`ServerConfig::idle_timeout`](super::ServerConfig::idle_timeout);
    /// the client has none by default): for protocols whose handshake
    /// says how long a peer may stay silent (MQTT's CONNECT carries its
    /// keepalive, and the server closes after one and a half times it).
    pub fn set_idle_timeout(&mut self, limit: Option<Duration>) {
        self.idle = Some(limit);
    }

    /// Sends one message.
    ///
    /// # Errors
    ///
    /// The message does not encode, or the socket fails.
    pub async fn send(&mut self, msg: &P) -> Result<(), String> {
        let frame = encode_frame(msg).map_err(|e| Chain(&e).to_string())?;
        self.wr
            .write_all(&frame)
            .await
            .map_err(|e| Chain(&e).to_string())
    }

    /// Receives one message.
    ///
    /// # Errors
    ///
    /// The peer closed, sent an undecodable frame, or the socket failed.
    pub async fn recv(&mut self) -> Result<P, String> {
        match self.reader.next().await {
            Ok(Some(msg)) => Ok(msg),
            Ok(None) => Err("peer closed during the handshake".into()),
            Err(e) => Err(Chain(&e).to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    /// Small frames copied, large ones written from their own buffers, in
    /// any mix: the peer reads every byte in the order the frames came.
    #[tokio::test]
    async fn a_batch_writes_its_frames_in_order() {
        let sizes = [3, 5000, 2047, 2048, 1, 70_000, 10, 9000];
        let frames: Vec<Arc<Vec<u8>>> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| Arc::new((0..n).map(|j| (i * 31 + j) as u8).collect()))
            .collect();
        let mut batch = Batch::default();
        for f in &frames {
            batch.push(Frame::Whole(Arc::clone(f)));
        }
        assert_eq!(batch.len(), sizes.iter().sum::<usize>());
        assert_eq!(batch.direct.len(), 4, "frames of 2048 bytes and more");

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, server) =
            tokio::join!(tokio::net::TcpStream::connect(addr), listener.accept());
        let (_rd, mut wr) = client.unwrap().into_split();
        let (mut peer, _) = server.unwrap();
        let read = async {
            let mut got = vec![];
            peer.read_to_end(&mut got).await.map(|_| got)
        };
        let write = async {
            batch.write(&mut wr).await?;
            wr.shutdown().await
        };
        let (got, wrote) =
            tokio::time::timeout(Duration::from_secs(10), async { tokio::join!(read, write) })
                .await
                .expect("the batch is written within 10 s");
        wrote.unwrap();
        let want: Vec<u8> = frames.iter().flat_map(|f| f.iter().copied()).collect();
        assert!(got.unwrap() == want, "bytes out of order");
    }

    /// Replies as pieces among whole frames: their shared buffers go out
    /// by reference (the very buffers), everything else copied, and the
    /// write's slices, joined, are every frame's bytes in order.
    #[test]
    fn a_batch_sends_shared_buffers_by_reference() {
        use crate::Sink;
        let value = Bytes::from(vec![7u8; 4096]);
        let small = Bytes::from(vec![8u8; 100]);
        let mut want = Vec::new();
        let mut batch = Batch::default();
        for round in 0..3u8 {
            let whole = Arc::new(vec![round; 50]);
            want.extend_from_slice(&whole);
            batch.push(Frame::Whole(whole));
            let mut parts = Parts::default();
            parts.extend_from_slice(&[round, 1, 2]);
            parts.extend_from_bytes(&value);
            parts.extend_from_bytes(&small);
            parts.push(round);
            want.extend_from_slice(parts.as_slice());
            batch.push(Frame::Parts(parts));
        }
        assert_eq!(batch.len(), want.len());
        let shared: Vec<_> = batch
            .direct
            .iter()
            .filter_map(|(_, d)| match d {
                Direct::Shared(b) => Some(b.as_ptr()),
                Direct::Frame(_) => None,
            })
            .collect();
        assert_eq!(
            shared,
            [value.as_ptr(); 3],
            "the value itself, never copied"
        );
        let got = super::super::parts::join(&batch.copied, &batch.direct);
        assert!(got == want, "bytes out of order");
    }
}
