//! A cs.packetstream connection: packetstream's own rules on
//! [`codec::rpc`]'s connection engine, which does the rest (framing under
//! limits, tags, routing responses to requests, running handlers, the
//! drain).
//!
//! ```text
//! submit(rq_type, flags, payload) -> tag 2, 3, 4, ... (Rules::FIRST_TAG)
//!           --- request tag 2 -->      handler runs on the peer
//!           --- request tag 3 -->
//!           <-- response tag 3 ---     out of order
//!           <-- response tag 2 ---
//! close():  --- ERQ (tag 1) ---->      "no more requests from me"  (Handler::draining)
//!           (responses still accepted; running handlers finish)
//!           --- EOF (tag 0) ---->      then half-close             (Handler::finishing)
//!           <-- ERQ, EOF --------      the peer does the same
//! ```
//!
//! What is packetstream's here: [`PacketRules`], the engine's handler on
//! both sides, which checks each peer request as cs.packetstream does
//! (malformed, no handler, after the peer's ERQ, unknown channel, tag in
//! use), answers with a response or a failure packet, sends ERQ when the
//! drain begins and EOF last, and keeps [`Stats`]; and the mapping of the
//! engine's errors to [`RequestError`] and [`ConnError`]. The peer's EOF
//! packet (`Correlation::End`, see [`Rules`](super::wire::Rules)) or a bare
//! half-close starts the same sequence on our side, so a server connection
//! ends on its own when its client is done. Every wait in the sequence is
//! bounded by [`Config::close_grace`].

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use codec::rpc::{self, CallError, CallOptions, Client, ClientConfig, Peer, Server, ServerConfig};
use codec::DecodeError;
use futures::FutureExt;
use tokio::net::ToSocketAddrs;
use tokio::sync::watch;

use super::wire::{Packet, PacketBuildError, PacketStream};

/// How a connection behaves; every limit is explicit.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Largest packet body accepted (checked from the length prefix,
    /// before anything is allocated for the body). Default 16 MiB.
    pub max_frame_len: usize,
    /// Peer requests handled at once; past this, reading pauses. Also
    /// bounds our own requests in flight ([`RequestError::Busy`] past it).
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
    /// More of our requests in flight than [`Config::max_running`].
    #[error("too many requests in flight")]
    Busy,
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

/// One connection's packetstream state, shared by its handle, its
/// pending responses and [`PacketRules`].
#[derive(Debug)]
struct ConnState {
    inner: Mutex<Inner>,
    /// The summary, once the connection has ended.
    done: watch::Sender<Option<Summary>>,
}

#[derive(Debug, Default)]
struct Inner {
    stats: Stats,
    /// Peer requests being handled, by (channel, tag).
    running: HashSet<(u64, u64)>,
    /// Our ERQ is queued: we send no new requests.
    erq_sent: bool,
    /// Our EOF is queued: nothing more is sent.
    eof_sent: bool,
    /// Why the connection ended, once it has.
    error: Option<Arc<ConnError>>,
}

impl ConnState {
    fn new() -> Arc<Self> {
        Arc::new(ConnState {
            inner: Mutex::new(Inner::default()),
            done: watch::channel(None).0,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Where [`PacketRules`] keeps its connections' state.
#[derive(Debug)]
enum Conns {
    /// The one connection of a [`PacketConnection`].
    One(Arc<ConnState>),
    /// A [`PacketServer`]'s, by the engine's peer id; the summaries of
    /// those that ended.
    ByPeer {
        live: Mutex<HashMap<u64, Arc<ConnState>>>,
        ended: Mutex<Vec<Summary>>,
    },
}

/// cs.packetstream's rules as the engine's [`rpc::Handler`], on both
/// sides: each peer request checked and answered (a response or a failure
/// packet, with the request's channel; the engine copies the tag), ERQ
/// when the drain begins, EOF last, and the [`Stats`].
#[derive(Clone)]
pub struct PacketRules {
    user: Option<Arc<dyn Handler>>,
    conns: Arc<Conns>,
}

impl std::fmt::Debug for PacketRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacketRules")
            .field("handler", &self.user.is_some())
            .field("conns", &self.conns)
            .finish()
    }
}

impl PacketRules {
    fn state(&self, peer: &Peer<PacketStream>) -> Arc<ConnState> {
        match &*self.conns {
            Conns::One(state) => Arc::clone(state),
            Conns::ByPeer { live, .. } => Arc::clone(
                live.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(peer.id())
                    .or_insert_with(ConnState::new),
            ),
        }
    }

    /// Checks a peer packet as cs.packetstream does, in its order: `Ok`
    /// with the request to run, or `Err` with the packet to answer (a
    /// failure) or nothing.
    fn admit(
        &self,
        st: &mut Inner,
        packet: Packet,
    ) -> Result<(Arc<dyn Handler>, Request), Option<Packet>> {
        let (channel, tag) = (packet.channel(), packet.tag);
        if packet.is_eof() {
            st.stats.peer_eof = true;
            return Err(None);
        }
        if packet.is_erq() {
            st.stats.peer_erq = true;
            return Err(None);
        }
        if !packet.is_request() {
            st.stats.unsolicited += 1;
            tracing::warn!(channel, tag, "response to no request of ours; dropped");
            return Err(None);
        }
        let mut reject = |reason: &str| {
            tracing::warn!(channel, tag, reason, "rejecting request");
            st.stats.rejected += 1;
            st.stats.failures_sent += 1;
            Err(Some(Packet::failure(channel, tag, reason)))
        };
        let Some(rq_type) = packet.handler_rq_type() else {
            return reject("malformed request: rq_type 0 is reserved for EOF and ERQ");
        };
        let Some(user) = &self.user else {
            return reject("no request handler");
        };
        if st.stats.peer_erq {
            return reject("requests no longer allowed");
        }
        if channel != 0 {
            return reject(&format!("unknown channel {channel}"));
        }
        if st.running.contains(&(channel, tag)) {
            return reject(&format!("channel {channel}: tag already in use: {tag}"));
        }
        if st.eof_sent {
            tracing::debug!(tag, "request after our EOF; the peer sees our EOF instead");
            return Err(None);
        }
        st.running.insert((channel, tag));
        st.stats.requests_served += 1;
        let req = Request {
            tag,
            rq_type,
            flags: packet.user_flags(),
            payload: packet.payload,
        };
        Ok((Arc::clone(user), req))
    }
}

impl rpc::Handler<PacketStream> for PacketRules {
    fn handle(
        &self,
        req: PacketStream,
        peer: &Peer<PacketStream>,
    ) -> impl Future<Output = Option<PacketStream>> + Send {
        let state = self.state(peer);
        // Checked here, in arrival order (the engine polls a handler once
        // as the packet arrives); the user's handler runs in the future.
        let admitted = self.admit(&mut state.lock(), req.into_packet());
        async move {
            let (user, req) = match admitted {
                Ok(run) => run,
                Err(answer) => return answer.map(PacketStream::from),
            };
            let (channel, tag) = (0, req.tag);
            // A panicking handler is a failure response, not a lost reply.
            let result = AssertUnwindSafe(user.handle(req))
                .catch_unwind()
                .await
                .unwrap_or_else(|_| Err(Failure("handler panicked".into())));
            let mut st = state.lock();
            st.running.remove(&(channel, tag));
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
            Some(packet.into())
        }
    }

    /// End of requests from us: nothing new is submitted after this.
    fn draining(&self, peer: &Peer<PacketStream>) {
        self.state(peer).lock().erq_sent = true;
        let _ = peer.notify(&Packet::ERQ.into());
    }

    /// Every response is queued: EOF, the last packet.
    fn finishing(&self, peer: &Peer<PacketStream>) {
        self.state(peer).lock().eof_sent = true;
        let _ = peer.notify(&Packet::EOF.into());
    }

    fn ended(&self, peer: &Peer<PacketStream>, error: Option<&rpc::ConnError>) {
        let state = self.state(peer);
        let summary = {
            let mut st = state.lock();
            st.error = error.map(|e| Arc::new(ConnError::from(e)));
            st.stats.unsolicited += peer.unsolicited();
            Summary {
                error: st.error.clone(),
                stats: st.stats.clone(),
            }
        };
        match &summary.error {
            None => {
                tracing::info!(addr = %peer.addr(), stats = ?summary.stats, "connection closed")
            }
            Some(e) => {
                tracing::warn!(addr = %peer.addr(), error = %e, stats = ?summary.stats, "connection ended")
            }
        }
        if let Conns::ByPeer { live, ended } = &*self.conns {
            live.lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&peer.id());
            ended
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(summary.clone());
        }
        state.done.send_replace(Some(summary));
    }
}

impl From<&rpc::ConnError> for ConnError {
    fn from(e: &rpc::ConnError) -> Self {
        match e {
            rpc::ConnError::FrameTooLarge { len, max } => ConnError::FrameTooLarge {
                len: *len,
                max: *max,
            },
            rpc::ConnError::Truncated { have } => ConnError::Truncated { have: *have },
            rpc::ConnError::Decode(e) => ConnError::Decode(e.clone()),
            rpc::ConnError::Grace(d) => {
                ConnError::Grace("requests and handlers did not finish", *d)
            }
            rpc::ConnError::Io(e) => {
                ConnError::Io(Arc::new(io::Error::new(e.kind(), e.to_string())))
            }
            other => ConnError::Io(Arc::new(io::Error::other(rpc::Chain(other).to_string()))),
        }
    }
}

/// A packet connection that we dialled. Cheap to clone; all clones share
/// the connection, and dropping the last one starts the shutdown.
#[derive(Clone)]
pub struct PacketConnection {
    client: Client<PacketStream>,
    state: Arc<ConnState>,
    peer: SocketAddr,
}

impl std::fmt::Debug for PacketConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacketConnection")
            .field("peer", &self.peer)
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
        Self::start(addr, config, None).await
    }

    /// Connects to `addr` and serves the peer's requests with `handler`
    /// (either side of a packetstream connection may send requests).
    ///
    /// # Errors
    ///
    /// The TCP connection fails.
    pub async fn connect_serving(
        addr: impl ToSocketAddrs,
        config: Config,
        handler: Arc<dyn Handler>,
    ) -> io::Result<Self> {
        Self::start(addr, config, Some(handler)).await
    }

    async fn start(
        addr: impl ToSocketAddrs,
        config: Config,
        user: Option<Arc<dyn Handler>>,
    ) -> io::Result<Self> {
        let state = ConnState::new();
        let rules = PacketRules {
            user,
            conns: Arc::new(Conns::One(Arc::clone(&state))),
        };
        let client_config = ClientConfig::default()
            .with_max_frame_len(config.max_frame_len)
            .with_max_in_flight(config.max_running.max(1))
            // Tags are never reused while a late response may come.
            .with_tag_quarantine(Duration::from_secs(3600))
            .with_close_grace(config.close_grace)
            .with_handler(rules);
        let peer = tokio::net::lookup_host(addr)
            .await?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address to connect to"))?;
        let client = Client::connect_with(peer, client_config)
            .await
            .map_err(|e| match e {
                CallError::Io(e) => e,
                other => io::Error::other(rpc::Chain(&other).to_string()),
            })?;
        Ok(PacketConnection {
            client,
            state,
            peer,
        })
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        Some(self.peer)
    }

    /// Sends a request for the peer's handler `rq_type` now (requests go
    /// out in the order submitted) and returns its pending response.
    ///
    /// # Errors
    ///
    /// [`RequestError::Closed`] once the connection is closing (or
    /// closed); [`RequestError::Build`] for an `rq_type` or `flags` the
    /// wire cannot carry; [`RequestError::Busy`] past
    /// [`Config::max_running`] requests in flight.
    pub fn submit(
        &self,
        rq_type: u64,
        flags: u64,
        payload: impl Into<Vec<u8>>,
    ) -> Result<PendingResponse, RequestError> {
        // Tag 0 until the engine draws ours.
        let packet = Packet::request(0, 0, flags, rq_type, payload.into())?;
        if self.state.lock().erq_sent {
            return Err(RequestError::Closed);
        }
        let call = match self.client.submit(packet.into(), CallOptions::default()) {
            Ok(call) => call,
            Err(CallError::Busy) => return Err(RequestError::Busy),
            Err(_) => return Err(RequestError::Closed),
        };
        self.state.lock().stats.requests_sent += 1;
        Ok(PendingResponse {
            call,
            state: Arc::clone(&self.state),
        })
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
        if let Some(summary) = &*self.state.done.borrow() {
            return summary.stats.clone();
        }
        let mut stats = self.state.lock().stats.clone();
        stats.unsolicited += self.client.counters().unsolicited;
        stats
    }

    /// Orderly shutdown: send ERQ, wait for our requests in flight and the
    /// handlers running, send EOF and half-close, wait for the peer's EOF.
    pub async fn close(&self) -> Summary {
        let _ = self.client.close().await;
        self.closed().await
    }

    /// Waits until the connection has ended (without starting the
    /// shutdown).
    pub async fn closed(&self) -> Summary {
        let mut done = self.state.done.subscribe();
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

/// A request's response, to be awaited. Dropping it gives the request up
/// (cs.packetstream has no cancel: the peer still answers, and the
/// response is dropped and counted as late).
#[derive(Debug)]
pub struct PendingResponse {
    call: rpc::PendingCall<PacketStream>,
    state: Arc<ConnState>,
}

impl PendingResponse {
    /// The request's tag.
    pub fn tag(&self) -> u64 {
        self.call.tag()
    }
}

impl Future for PendingResponse {
    type Output = Result<Response, RequestError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let got = std::task::ready!(Pin::new(&mut self.call).poll(cx));
        let mut st = self.state.lock();
        Poll::Ready(match got {
            Ok(msg) => {
                let packet = msg.into_packet();
                let (ok, flags) = packet.response_parts();
                st.stats.responses += 1;
                if st.stats.peer_erq {
                    st.stats.responses_after_peer_erq += 1;
                }
                Ok(Response {
                    ok,
                    flags,
                    payload: packet.payload,
                })
            }
            Err(CallError::Closed) => Err(RequestError::Closed),
            // The connection ended: why is in its state, recorded before
            // its calls are failed.
            Err(_) => Err(match &st.error {
                Some(e) if matches!(**e, ConnError::Grace(..)) => RequestError::Abandoned,
                Some(e) => RequestError::Failed(Arc::clone(e)),
                None => RequestError::PeerEnded,
            }),
        })
    }
}

/// Accepts TCP connections and serves each with the same handler.
pub struct PacketServer {
    server: Server<PacketStream>,
    handler: Arc<dyn Handler>,
}

impl std::fmt::Debug for PacketServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacketServer")
            .field("server", &self.server)
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
        let server_config = ServerConfig::default()
            .with_max_frame_len(config.max_frame_len)
            .with_max_in_flight(config.max_running.max(1))
            .with_idle_timeout(None)
            .with_frame_timeout(None)
            .with_shutdown_grace(config.close_grace)
            .with_tag_quarantine(Duration::from_secs(3600));
        Ok(PacketServer {
            server: Server::bind_with(addr, server_config).await?,
            handler,
        })
    }

    /// The bound address (the real port when bound to port 0).
    ///
    /// # Errors
    ///
    /// The socket has no local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.server.local_addr()
    }

    /// Serves in the background until [`ServerHandle::shutdown`].
    pub fn serve(self) -> ServerHandle {
        let rules = PacketRules {
            user: Some(self.handler),
            conns: Arc::new(Conns::ByPeer {
                live: Mutex::new(HashMap::new()),
                ended: Mutex::new(Vec::new()),
            }),
        };
        let handle = self.server.serve(rules.clone());
        ServerHandle { handle, rules }
    }
}

/// A running [`PacketServer`].
#[derive(Debug)]
pub struct ServerHandle {
    handle: rpc::ServerHandle<PacketStream>,
    rules: PacketRules,
}

impl ServerHandle {
    /// The address served.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.handle.local_addr()
    }

    /// Stops accepting and closes every connection in order (ERQ, finish
    /// the running handlers, EOF, wait for the peer's EOF); returns the
    /// summaries of all connections served.
    pub async fn shutdown(self) -> Vec<Summary> {
        self.handle.shutdown().await;
        match &*self.rules.conns {
            Conns::ByPeer { ended, .. } => {
                std::mem::take(&mut *ended.lock().unwrap_or_else(|e| e.into_inner()))
            }
            Conns::One(_) => Vec::new(),
        }
    }
}
