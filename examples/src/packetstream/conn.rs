//! A cs.packetstream connection on tokio: both sides may send requests,
//! responses come back in any order, and the connection ends with the
//! ERQ/EOF exchange.
//!
//! ```text
//! submit(rq_type, flags, payload) -> tag 2, 3, 4, ... (never reused)
//!           --- request tag 2 -->      handler runs on the peer
//!           --- request tag 3 -->
//!           <-- response tag 3 ---     out of order
//!           <-- response tag 2 ---
//! close():  --- ERQ (tag 1) ---->      "no more requests from me"
//!           (responses still accepted; running handlers finish)
//!           --- EOF (tag 0) ---->      then half-close
//!           <-- ERQ, EOF --------      the peer does the same
//! ```
//!
//! The peer's EOF (or a bare half-close) starts the same sequence on our
//! side, so a server connection ends on its own when its client is done.
//! Every wait in the sequence is bounded by [`Config::close_grace`].

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use codec::frame::FrameError;
use codec::tokio::ProtocolCodec;
use codec::DecodeError;
use futures::FutureExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::{mpsc, oneshot, watch, Notify, Semaphore};
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::wire::{frame, Packet, PacketBuildError, PacketStream, FIRST_TAG};

/// How a connection behaves; every limit is explicit.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Largest packet body accepted (checked from the length prefix,
    /// before anything is allocated for the body). Default 16 MiB.
    pub max_frame_len: usize,
    /// Peer requests handled at once; past this, reading pauses.
    pub max_running: usize,
    /// Longest wait for each step of the shutdown: requests in flight and
    /// running handlers, writing the EOF, and the peer's EOF.
    pub close_grace: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_frame_len: codec::frame::DEFAULT_MAX_FRAME_LEN,
            max_running: 1024,
            close_grace: Duration::from_secs(10),
        }
    }
}

impl Config {
    /// Sets [`Config::max_frame_len`].
    #[must_use]
    pub fn max_frame_len(mut self, max: usize) -> Self {
        self.max_frame_len = max;
        self
    }

    /// Sets [`Config::max_running`].
    #[must_use]
    pub fn max_running(mut self, max: usize) -> Self {
        self.max_running = max;
        self
    }

    /// Sets [`Config::close_grace`].
    #[must_use]
    pub fn close_grace(mut self, grace: Duration) -> Self {
        self.close_grace = grace;
        self
    }
}

/// What a caller gets back for a request: cs.packetstream's
/// `(ok, flags, payload)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The handler succeeded.
    pub ok: bool,
    /// The handler's flags (0 for failures).
    pub flags: u64,
    /// The handler's payload, or the failure reason.
    pub payload: Vec<u8>,
}

/// A request from the peer, as a handler sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The tag (for logs; the connection routes the reply).
    pub tag: u64,
    /// The handler rq_type (the wire value minus one).
    pub rq_type: u64,
    /// The request's user flags.
    pub flags: u64,
    /// The request's payload.
    pub payload: Vec<u8>,
}

/// A handler's successful result: flags and payload of an ok response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    /// User flags of the response.
    pub flags: u64,
    /// Payload of the response.
    pub payload: Vec<u8>,
}

impl Reply {
    /// A reply with `flags` and `payload`.
    pub fn new(flags: u64, payload: impl Into<Vec<u8>>) -> Self {
        Reply {
            flags,
            payload: payload.into(),
        }
    }
}

/// A handler's failure: sent as a failure response with this reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub String);

impl<T: Into<String>> From<T> for Failure {
    fn from(reason: T) -> Self {
        Failure(reason.into())
    }
}

/// A boxed future, as handlers return.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Serves the peer's requests. Implemented for closures
/// `Fn(Request) -> impl Future<Output = Result<Reply, Failure>>`.
pub trait Handler: Send + Sync + 'static {
    /// Handles one request; `Err` becomes a failure response.
    fn handle(&self, req: Request) -> BoxFuture<Result<Reply, Failure>>;
}

impl<F, Fut> Handler for F
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Reply, Failure>> + Send + 'static,
{
    fn handle(&self, req: Request) -> BoxFuture<Result<Reply, Failure>> {
        Box::pin(self(req))
    }
}

/// Why a connection ended other than by the orderly exchange.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ConnError {
    /// A length prefix declared more than [`Config::max_frame_len`];
    /// nothing was allocated for it, and the stream cannot be resynchronised.
    #[error("packet of {len} bytes over the limit of {max}")]
    FrameTooLarge {
        /// The declared body length.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// The peer closed its side in the middle of a packet.
    #[error("peer closed mid-packet ({have} bytes of an unfinished frame)")]
    Truncated {
        /// Bytes of the unfinished frame received.
        have: usize,
    },
    /// A packet whose length prefix or body does not decode.
    #[error("undecodable packet: {0}")]
    Decode(DecodeError),
    /// A socket error.
    #[error("i/o error: {0}")]
    Io(Arc<io::Error>),
    /// A step of the shutdown did not finish within the grace.
    #[error("{0} within {1:?}")]
    Grace(&'static str, Duration),
}

impl From<io::Error> for ConnError {
    fn from(e: io::Error) -> Self {
        ConnError::Io(Arc::new(e))
    }
}

/// Why a request got no response.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The connection is closing (or closed): no new requests.
    #[error("connection is closing; no new requests are sent")]
    Closed,
    /// The peer ended the connection (EOF) before responding.
    #[error("the peer ended the connection before responding")]
    PeerEnded,
    /// The connection failed before the response.
    #[error("connection failed before the response: {0}")]
    Failed(Arc<ConnError>),
    /// No response within the close grace.
    #[error("no response within the close grace")]
    Abandoned,
    /// The request cannot be put on the wire.
    #[error(transparent)]
    Build(#[from] PacketBuildError),
}

/// What happened on a connection, readable at any time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Requests we sent.
    pub requests_sent: u64,
    /// Responses matched to our requests.
    pub responses: u64,
    /// Of those, responses that came after the peer's ERQ (still accepted:
    /// ERQ ends the peer's requests, not its responses).
    pub responses_after_peer_erq: u64,
    /// Peer requests handed to the handler.
    pub requests_served: u64,
    /// Failure responses we sent (handler failures and rejections).
    pub failures_sent: u64,
    /// Peer requests refused without running the handler (unknown
    /// channel, duplicate tag, after the peer's ERQ, malformed).
    pub rejected: u64,
    /// Responses for no request of ours (unsolicited or duplicate): dropped.
    pub unsolicited: u64,
    /// The peer sent its end-of-requests packet.
    pub peer_erq: bool,
    /// The peer sent its EOF packet (rather than only closing the socket).
    pub peer_eof: bool,
}

/// How a connection ended.
#[derive(Debug, Clone)]
pub struct Summary {
    /// `None` for the orderly exchange (including a bare half-close by
    /// the peer); otherwise what went wrong.
    pub error: Option<Arc<ConnError>>,
    /// The final counters.
    pub stats: Stats,
}

impl Summary {
    /// The connection ended in order.
    pub fn is_clean(&self) -> bool {
        self.error.is_none()
    }
}

enum Out {
    Frame(Vec<u8>),
    Eof,
}

type Waiter = oneshot::Sender<Result<Response, RequestError>>;

struct State {
    next_tag: u64,
    /// Our requests waiting for responses, by (channel, tag).
    pending: HashMap<(u64, u64), Waiter>,
    /// Peer requests being handled, by (channel, tag).
    running: HashMap<(u64, u64), AbortHandle>,
    /// close() was called or the peer ended: no new requests.
    closing: bool,
    /// The EOF is queued: nothing more is sent.
    eof_sent: bool,
    stats: Stats,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes the shutdown sequence when pending/running change.
    changed: Notify,
    out: mpsc::UnboundedSender<Out>,
    config: Config,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a frame unless the EOF went out already. Call with the lock
    /// held, so frames keep the order of their decisions.
    fn send(&self, st: &State, packet: &Packet) {
        if st.eof_sent {
            tracing::debug!(tag = packet.tag, "packet after our EOF dropped");
            return;
        }
        match frame(packet) {
            Ok(f) => {
                let _ = self.out.send(Out::Frame(f));
            }
            Err(e) => tracing::error!(error = %e, "packet cannot be encoded; dropped"),
        }
    }

    fn reject(&self, st: &mut State, channel: u64, tag: u64, reason: &str) {
        tracing::warn!(channel, tag, reason, "rejecting request");
        st.stats.rejected += 1;
        st.stats.failures_sent += 1;
        self.send(st, &Packet::failure(channel, tag, reason));
    }

    /// Fails every request still waiting.
    fn fail_pending(&self, st: &mut State, err: impl Fn() -> RequestError) {
        for (_, w) in st.pending.drain() {
            let _ = w.send(Err(err()));
        }
        self.changed.notify_waiters();
    }
}

/// A packet connection. Cheap to clone; all clones share the connection,
/// and dropping the last one starts the shutdown.
#[derive(Clone)]
pub struct PacketConnection {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    close: watch::Sender<bool>,
    done: watch::Receiver<Option<Summary>>,
    peer: Option<SocketAddr>,
}

impl std::fmt::Debug for PacketConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacketConnection")
            .field("peer", &self.inner.peer)
            .field("stats", &self.stats())
            .finish()
    }
}

impl PacketConnection {
    /// Connects to `addr` (no handler: peer requests are refused with
    /// `no request handler`).
    ///
    /// # Errors
    ///
    /// The TCP connection fails.
    pub async fn connect(addr: impl ToSocketAddrs, config: Config) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let peer = stream.peer_addr().ok();
        Ok(Self::start(stream, config, None, peer))
    }

    /// Runs a connection over `io`, serving the peer's requests with
    /// `handler`. Must be called within a tokio runtime.
    pub fn new<S>(io: S, config: Config, handler: Option<Arc<dyn Handler>>) -> Self
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        Self::start(io, config, handler, None)
    }

    fn start<S>(
        io: S,
        config: Config,
        handler: Option<Arc<dyn Handler>>,
        peer: Option<SocketAddr>,
    ) -> Self
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (out, out_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                next_tag: FIRST_TAG,
                pending: HashMap::new(),
                running: HashMap::new(),
                closing: false,
                eof_sent: false,
                stats: Stats::default(),
            }),
            changed: Notify::new(),
            out,
            config,
        });
        let (close, close_rx) = watch::channel(false);
        let (done_tx, done) = watch::channel(None);
        let (rd, wr) = tokio::io::split(io);
        tokio::spawn(drive(
            Arc::clone(&shared),
            rd,
            wr,
            out_rx,
            handler,
            close_rx,
            done_tx,
        ));
        PacketConnection {
            inner: Arc::new(Inner {
                shared,
                close,
                done,
                peer,
            }),
        }
    }

    /// The peer's address, for TCP connections made by [`connect`](Self::connect)
    /// or a [`PacketServer`].
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.inner.peer
    }

    /// Sends a request for the peer's handler `rq_type` now (requests go
    /// out in the order submitted) and returns its pending response.
    ///
    /// # Errors
    ///
    /// [`RequestError::Closed`] once the connection is closing;
    /// [`RequestError::Build`] for an `rq_type` or `flags` the wire cannot
    /// carry.
    pub fn submit(
        &self,
        rq_type: u64,
        flags: u64,
        payload: impl Into<Vec<u8>>,
    ) -> Result<PendingResponse, RequestError> {
        let shared = &self.inner.shared;
        let mut st = shared.lock();
        if st.closing || st.eof_sent {
            return Err(RequestError::Closed);
        }
        let tag = st.next_tag;
        let packet = Packet::request(0, tag, flags, rq_type, payload.into())?;
        st.next_tag += 1;
        let (tx, rx) = oneshot::channel();
        st.pending.insert((0, tag), tx);
        st.stats.requests_sent += 1;
        shared.send(&st, &packet);
        Ok(PendingResponse { tag, rx })
    }

    /// [`submit`](Self::submit) and wait for the response.
    ///
    /// # Errors
    ///
    /// As [`submit`](Self::submit), and the [`RequestError`]s of a
    /// connection that ends before the response.
    pub async fn request(
        &self,
        rq_type: u64,
        flags: u64,
        payload: impl Into<Vec<u8>>,
    ) -> Result<Response, RequestError> {
        self.submit(rq_type, flags, payload)?.await
    }

    /// The counters now.
    pub fn stats(&self) -> Stats {
        self.inner.shared.lock().stats.clone()
    }

    /// Orderly shutdown: send ERQ, wait for our requests in flight and the
    /// handlers running, send EOF and half-close, wait for the peer's EOF.
    pub async fn close(&self) -> Summary {
        self.inner.close.send_replace(true);
        self.closed().await
    }

    /// Waits until the connection has ended (without starting the
    /// shutdown).
    pub async fn closed(&self) -> Summary {
        let mut done = self.inner.done.clone();
        let summary = match done.wait_for(Option::is_some).await {
            Ok(s) => s.clone(),
            Err(_) => None,
        };
        summary.unwrap_or_else(|| Summary {
            error: Some(Arc::new(ConnError::Grace(
                "connection task vanished",
                Duration::ZERO,
            ))),
            stats: self.stats(),
        })
    }
}

/// A request's response, to be awaited. Dropping it does not cancel the
/// request (cs.packetstream has no cancel); the response is then dropped.
#[derive(Debug)]
pub struct PendingResponse {
    tag: u64,
    rx: oneshot::Receiver<Result<Response, RequestError>>,
}

impl PendingResponse {
    /// The request's tag.
    pub fn tag(&self) -> u64 {
        self.tag
    }
}

impl Future for PendingResponse {
    type Output = Result<Response, RequestError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.rx)
            .poll(cx)
            .map(|r| r.unwrap_or(Err(RequestError::PeerEnded)))
    }
}

/// The connection's life: run until close() or the peer's end, then the
/// shutdown sequence, each step bounded.
async fn drive<R, W>(
    shared: Arc<Shared>,
    rd: R,
    wr: W,
    out_rx: mpsc::UnboundedReceiver<Out>,
    handler: Option<Arc<dyn Handler>>,
    mut close_rx: watch::Receiver<bool>,
    done: watch::Sender<Option<Summary>>,
) where
    R: AsyncRead + Send + Unpin + 'static,
    W: AsyncWrite + Send + Unpin + 'static,
{
    let grace = shared.config.close_grace;
    let mut writer = tokio::spawn(write_loop(wr, out_rx));
    let mut reader = tokio::spawn(read_loop(rd, Arc::clone(&shared), handler));
    let mut reader_done = false;
    let mut error: Option<Arc<ConnError>> = None;

    // Until someone asks to close (or every handle is gone), or the peer ends.
    tokio::select! {
        r = &mut reader => {
            reader_done = true;
            note_read_end(&shared, r, &mut error);
        }
        _ = close_rx.wait_for(|c| *c) => {}
    }

    // End of requests from us: nothing new is submitted after this.
    {
        let mut st = shared.lock();
        st.closing = true;
        shared.send(&st, &Packet::ERQ);
    }

    // Our requests in flight get their responses, running handlers finish.
    let deadline = Instant::now() + grace;
    loop {
        let changed = shared.changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        {
            let mut st = shared.lock();
            if st.pending.is_empty() && st.running.is_empty() {
                st.eof_sent = true;
                let _ = shared.out.send(Out::Eof);
                break;
            }
        }
        tokio::select! {
            () = &mut changed => {}
            r = &mut reader, if !reader_done => {
                reader_done = true;
                note_read_end(&shared, r, &mut error);
            }
            () = tokio::time::sleep_until(deadline) => {
                let mut st = shared.lock();
                let (p, h) = (st.pending.len(), st.running.len());
                tracing::warn!(pending = p, running = h, "shutdown grace over; abandoning them");
                shared.fail_pending(&mut st, || RequestError::Abandoned);
                for (_, task) in st.running.drain() {
                    task.abort();
                }
                st.eof_sent = true;
                let _ = shared.out.send(Out::Eof);
                error.get_or_insert_with(|| {
                    Arc::new(ConnError::Grace("requests and handlers did not finish", grace))
                });
                break;
            }
        }
    }

    // EOF written and our side half-closed.
    match tokio::time::timeout(grace, &mut writer).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => {
            error.get_or_insert_with(|| Arc::new(e));
        }
        Ok(Err(_)) => {}
        Err(_) => {
            writer.abort();
            error.get_or_insert_with(|| Arc::new(ConnError::Grace("EOF not written", grace)));
        }
    }

    // The peer's EOF (or its half-close).
    if !reader_done {
        match tokio::time::timeout(grace, &mut reader).await {
            Ok(r) => note_read_end(&shared, r, &mut error),
            Err(_) => {
                reader.abort();
                error.get_or_insert_with(|| {
                    Arc::new(ConnError::Grace("peer did not send EOF", grace))
                });
            }
        }
    }

    let stats = {
        let mut st = shared.lock();
        shared.fail_pending(&mut st, || RequestError::PeerEnded);
        for (_, task) in st.running.drain() {
            task.abort();
        }
        st.stats.clone()
    };
    done.send_replace(Some(Summary { error, stats }));
}

/// Records how reading ended and fails the requests that can no longer be
/// answered.
fn note_read_end(
    shared: &Shared,
    r: Result<Result<(), ConnError>, tokio::task::JoinError>,
    error: &mut Option<Arc<ConnError>>,
) {
    let end = match r {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(Arc::new(e)),
        Err(e) => Err(Arc::new(ConnError::Io(Arc::new(io::Error::other(
            e.to_string(),
        ))))),
    };
    let mut st = shared.lock();
    st.closing = true;
    match end {
        Ok(()) => shared.fail_pending(&mut st, || RequestError::PeerEnded),
        Err(e) => {
            tracing::warn!(error = %e, "connection failed");
            error.get_or_insert_with(|| Arc::clone(&e));
            shared.fail_pending(&mut st, || RequestError::Failed(Arc::clone(&e)));
        }
    }
}

/// Writes queued frames, batching what is queued; after `Out::Eof`,
/// writes the EOF packet and half-closes.
async fn write_loop<W: AsyncWrite + Unpin>(
    mut wr: W,
    mut rx: mpsc::UnboundedReceiver<Out>,
) -> Result<(), ConnError> {
    const BATCH: usize = 64 * 1024;
    let mut batch = Vec::with_capacity(8 * 1024);
    loop {
        let Some(first) = rx.recv().await else {
            wr.shutdown().await?;
            return Ok(());
        };
        let mut eof = false;
        let mut next = Some(first);
        batch.clear();
        while let Some(item) = next.take() {
            match item {
                Out::Frame(f) => batch.extend_from_slice(&f),
                Out::Eof => {
                    batch.extend_from_slice(&frame(&Packet::EOF).expect("EOF encodes"));
                    eof = true;
                    break;
                }
            }
            if batch.len() < BATCH {
                next = rx.try_recv().ok();
            }
        }
        wr.write_all(&batch).await?;
        if eof {
            wr.flush().await?;
            wr.shutdown().await?;
            return Ok(());
        }
    }
}

/// Reads packets until the peer's EOF packet or socket EOF (`Ok`), or a
/// framing error.
async fn read_loop<R: AsyncRead + Unpin>(
    mut rd: R,
    shared: Arc<Shared>,
    handler: Option<Arc<dyn Handler>>,
) -> Result<(), ConnError> {
    use tokio_util::codec::Decoder;
    let mut codec =
        ProtocolCodec::<PacketStream>::new().with_max_frame_len(shared.config.max_frame_len);
    let mut buf = BytesMut::with_capacity(8 * 1024);
    let permits = Arc::new(Semaphore::new(shared.config.max_running.max(1)));
    loop {
        loop {
            let packet = match codec.decode(&mut buf) {
                Ok(Some(p)) => p.into_packet(),
                Ok(None) => break,
                Err(e) => return Err(frame_error(e)),
            };
            if packet.is_eof() {
                shared.lock().stats.peer_eof = true;
                return Ok(());
            }
            on_packet(&shared, handler.as_ref(), &permits, packet).await;
        }
        let n = rd.read_buf(&mut buf).await?;
        if n == 0 {
            return match buf.len() {
                0 => Ok(()),
                have => Err(ConnError::Truncated { have }),
            };
        }
    }
}

fn frame_error(e: FrameError) -> ConnError {
    match e {
        FrameError::TooLarge { len, max } => ConnError::FrameTooLarge { len, max },
        FrameError::Truncated { have, .. } => ConnError::Truncated { have },
        FrameError::Decode(e) | FrameError::Payload(e) => ConnError::Decode(e),
        FrameError::Io(e) => e.into(),
        other => io::Error::other(other.to_string()).into(),
    }
}

async fn on_packet(
    shared: &Arc<Shared>,
    handler: Option<&Arc<dyn Handler>>,
    permits: &Arc<Semaphore>,
    packet: Packet,
) {
    let channel = packet.channel();
    let tag = packet.tag;
    if !packet.is_request() {
        let (ok, flags) = packet.response_parts();
        let mut st = shared.lock();
        match st.pending.remove(&(channel, tag)) {
            Some(w) => {
                st.stats.responses += 1;
                if st.stats.peer_erq {
                    st.stats.responses_after_peer_erq += 1;
                }
                let _ = w.send(Ok(Response {
                    ok,
                    flags,
                    payload: packet.payload,
                }));
                shared.changed.notify_waiters();
            }
            None => {
                st.stats.unsolicited += 1;
                tracing::warn!(channel, tag, "response to no request of ours; dropped");
            }
        }
        return;
    }
    if packet.is_erq() {
        shared.lock().stats.peer_erq = true;
        return;
    }
    // Past the handler limit, wait (and stop reading) for a slot.
    let permit = match Arc::clone(permits).try_acquire_owned() {
        Ok(p) => p,
        Err(_) => match Arc::clone(permits).acquire_owned().await {
            Ok(p) => p,
            Err(_) => return,
        },
    };
    let mut st = shared.lock();
    // The same checks, in the same order, as cs.packetstream.
    let Some(rq_type) = packet.handler_rq_type() else {
        return shared.reject(
            &mut st,
            channel,
            tag,
            "malformed request: rq_type 0 is reserved for EOF and ERQ",
        );
    };
    let Some(handler) = handler else {
        return shared.reject(&mut st, channel, tag, "no request handler");
    };
    if st.stats.peer_erq {
        return shared.reject(&mut st, channel, tag, "requests no longer allowed");
    }
    if channel != 0 {
        return shared.reject(&mut st, channel, tag, &format!("unknown channel {channel}"));
    }
    if st.running.contains_key(&(channel, tag)) {
        let reason = format!("channel {channel}: tag already in use: {tag}");
        return shared.reject(&mut st, channel, tag, &reason);
    }
    if st.eof_sent {
        tracing::debug!(tag, "request after our EOF; the peer sees our EOF instead");
        return;
    }
    st.stats.requests_served += 1;
    let req = Request {
        tag,
        rq_type,
        flags: packet.user_flags(),
        payload: packet.payload,
    };
    let fut = handler.handle(req);
    let task_shared = Arc::clone(shared);
    // Spawned under the lock: the task removes itself under it too.
    let task = tokio::spawn(async move {
        // A panicking handler is a failure response, not a lost reply.
        let result = AssertUnwindSafe(fut)
            .catch_unwind()
            .await
            .unwrap_or_else(|_| Err(Failure("handler panicked".into())));
        let mut st = task_shared.lock();
        let packet = match result {
            Ok(reply) => Packet::response(channel, tag, true, reply.flags, reply.payload)
                .unwrap_or_else(|e| {
                    st.stats.failures_sent += 1;
                    Packet::failure(channel, tag, &format!("bad handler reply: {e}"))
                }),
            Err(Failure(reason)) => {
                st.stats.failures_sent += 1;
                Packet::failure(channel, tag, &reason)
            }
        };
        task_shared.send(&st, &packet);
        st.running.remove(&(channel, tag));
        drop(st);
        drop(permit);
        task_shared.changed.notify_waiters();
    });
    st.running.insert((channel, tag), task.abort_handle());
}

/// Accepts TCP connections and runs a [`PacketConnection`] with the same
/// handler on each.
pub struct PacketServer {
    listener: TcpListener,
    config: Config,
    handler: Arc<dyn Handler>,
}

impl std::fmt::Debug for PacketServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacketServer")
            .field("listener", &self.listener)
            .finish()
    }
}

impl PacketServer {
    /// Binds `addr`.
    ///
    /// # Errors
    ///
    /// The address cannot be bound.
    pub async fn bind(
        addr: impl ToSocketAddrs,
        config: Config,
        handler: Arc<dyn Handler>,
    ) -> io::Result<Self> {
        Ok(PacketServer {
            listener: TcpListener::bind(addr).await?,
            config,
            handler,
        })
    }

    /// The bound address (the real port when bound to port 0).
    ///
    /// # Errors
    ///
    /// The socket has no local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves in the background until [`ServerHandle::shutdown`].
    pub fn serve(self) -> ServerHandle {
        let (stop, stop_rx) = watch::channel(false);
        let addr = self.listener.local_addr().ok();
        let task = tokio::spawn(accept_loop(self, stop_rx));
        ServerHandle { stop, task, addr }
    }
}

/// A running [`PacketServer`].
#[derive(Debug)]
pub struct ServerHandle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Vec<Summary>>,
    addr: Option<SocketAddr>,
}

impl ServerHandle {
    /// The address served.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.addr
    }

    /// Stops accepting and closes every connection in order (ERQ, finish
    /// the running handlers, EOF, wait for the peer's EOF); returns the
    /// summaries of all connections served.
    pub async fn shutdown(self) -> Vec<Summary> {
        self.stop.send_replace(true);
        self.task.await.unwrap_or_default()
    }
}

async fn accept_loop(server: PacketServer, mut stop: watch::Receiver<bool>) -> Vec<Summary> {
    let mut conns = tokio::task::JoinSet::new();
    let mut summaries = Vec::new();
    loop {
        let accepted = tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            Some(done) = conns.join_next(), if !conns.is_empty() => {
                if let Ok(s) = done {
                    summaries.push(s);
                }
                continue;
            }
            a = server.listener.accept() => a,
        };
        let (stream, addr) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let conn = PacketConnection::start(
            stream,
            server.config.clone(),
            Some(Arc::clone(&server.handler)),
            Some(addr),
        );
        tracing::info!(%addr, "connection accepted");
        let mut stop = stop.clone();
        conns.spawn(async move {
            let ended = tokio::select! {
                s = conn.closed() => Some(s),
                _ = stop.wait_for(|s| *s) => None,
            };
            let summary = match ended {
                Some(s) => s,
                None => conn.close().await,
            };
            match &summary.error {
                None => tracing::info!(%addr, stats = ?summary.stats, "connection closed"),
                Some(e) => {
                    tracing::warn!(%addr, error = %e, stats = ?summary.stats, "connection ended")
                }
            }
            summary
        });
    }
    while let Some(done) = conns.join_next().await {
        if let Ok(s) = done {
            summaries.push(s);
        }
    }
    summaries
}
