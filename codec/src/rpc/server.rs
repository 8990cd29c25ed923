//! The server side: an accept loop, one task per connection, many
//! requests in flight per connection, replies in completion order.

use std::boxed::Box;
use std::format;

use std::vec::Vec;

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;

use super::conn::{self, FrameReader, HandshakeConn, Limits, Outgoing};
use super::{apply_keepalive, ConnError, CounterSnapshot, Counters, Handshake, Keepalive};
use crate::dispatch::DispatchAsync;
use crate::message::{DecodeProtocol, Protocol};

/// Server limits, each with a default; each is reported in a log line
/// when a peer hits it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Connections served at once; more are refused (closed at once).
    pub max_connections: usize,
    /// Requests handled at once per connection; past it the server stops
    /// reading from that connection until one finishes.
    pub max_in_flight: usize,
    /// Largest frame payload accepted; a larger header closes the
    /// connection before anything is allocated for it.
    pub max_frame_len: usize,
    /// A connection with no frame started for this long is closed.
    pub idle_timeout: Option<Duration>,
    /// A frame must be complete this long after its first byte (a peer
    /// trickling bytes is cut off).
    pub frame_timeout: Option<Duration>,
    /// Time allowed for a handshake.
    pub handshake_timeout: Duration,
    /// On shutdown, time allowed for requests in flight to finish and for
    /// peers to close their side.
    pub shutdown_grace: Duration,
    /// TCP keepalive on accepted connections; `None` leaves the OS default.
    pub keepalive: Option<Keepalive>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_connections: 4096,
            max_in_flight: 256,
            max_frame_len: conn::DEFAULT_MAX_FRAME,
            idle_timeout: Some(Duration::from_secs(300)),
            frame_timeout: Some(Duration::from_secs(30)),
            handshake_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(30),
            keepalive: Some(Keepalive::default()),
        }
    }
}

/// Handles one request; the reply (if any) is sent back with the request's
/// tag copied into it.
///
/// Closures `Fn(P, Peer<P>) -> impl Future<Output = Option<P>>` implement
/// it, and so does [`Dispatcher`] for protocols whose messages implement
/// [`HandleAsync`](crate::dispatch::HandleAsync).
pub trait Handler<P>: Send + Sync + 'static {
    /// Handles `req`, which came from `peer`.
    fn handle(&self, req: P, peer: &Peer<P>) -> impl Future<Output = Option<P>> + Send;
}

impl<P, F, Fut> Handler<P> for F
where
    P: Send + 'static,
    F: Fn(P, Peer<P>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<P>> + Send,
{
    fn handle(&self, req: P, peer: &Peer<P>) -> impl Future<Output = Option<P>> + Send {
        self(req, peer.clone())
    }
}

/// Serves a protocol through its derived [`DispatchAsync`] impl: every
/// message's handler gets a [`RequestCtx`] with the shared application
/// state and the peer.
#[derive(Debug)]
pub struct Dispatcher<C>(pub Arc<C>);

/// What a dispatched handler sees: the application state and the peer.
#[derive(Debug)]
pub struct RequestCtx<C, P> {
    /// State shared by all connections.
    pub app: Arc<C>,
    /// The connection the request came on.
    pub peer: Peer<P>,
}

impl<C, P> Handler<P> for Dispatcher<C>
where
    C: Send + Sync + 'static,
    P: DispatchAsync<RequestCtx<C, P>, Reply = Option<P>> + Send + 'static,
{
    fn handle(&self, req: P, peer: &Peer<P>) -> impl Future<Output = Option<P>> + Send {
        let ctx = RequestCtx {
            app: Arc::clone(&self.0),
            peer: peer.clone(),
        };
        async move { req.dispatch(&ctx).await }
    }
}

/// One connected peer: who it is, and a way to push notifications to it.
pub struct Peer<P> {
    id: u64,
    addr: SocketAddr,
    out: mpsc::UnboundedSender<Outgoing>,
    counters: Arc<Counters>,
    _protocol: std::marker::PhantomData<fn(P)>,
}

impl<P> Clone for Peer<P> {
    fn clone(&self) -> Self {
        Peer {
            id: self.id,
            addr: self.addr,
            out: self.out.clone(),
            counters: Arc::clone(&self.counters),
            _protocol: std::marker::PhantomData,
        }
    }
}

impl<P> std::fmt::Debug for Peer<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("id", &self.id)
            .field("addr", &self.addr)
            .finish()
    }
}

impl<P: Protocol> Peer<P> {
    /// The server's number for this connection.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The peer's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues a notification (a message without a tag) to this peer.
    /// Returns `false` if the connection has ended.
    ///
    /// # Errors
    ///
    /// The message cannot be encoded.
    pub fn notify(&self, msg: &P) -> Result<bool, crate::EncodeError> {
        let frame = crate::message::frame_bytes(msg)?;
        Ok(self.send_frame(Arc::new(frame)))
    }

    fn send_frame(&self, frame: Arc<Vec<u8>>) -> bool {
        let sent = self.out.send(frame.into()).is_ok();
        if sent {
            self.counters.notifications(1);
        }
        sent
    }
}

struct Shared<P> {
    peers: Mutex<HashMap<u64, Peer<P>>>,
    counters: Arc<Counters>,
    shutdown: watch::Sender<bool>,
    next_id: AtomicU64,
    config: ServerConfig,
    handshake: Option<Arc<dyn Handshake<P>>>,
}

impl<P> Shared<P> {
    fn peers(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Peer<P>>> {
        self.peers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A bound listener, ready to serve a protocol `P`.
pub struct Server<P> {
    listener: TcpListener,
    config: ServerConfig,
    handshake: Option<Arc<dyn Handshake<P>>>,
}

impl<P> std::fmt::Debug for Server<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listener", &self.listener)
            .field("config", &self.config)
            .finish()
    }
}

impl<P> Server<P>
where
    P: Protocol + for<'de> DecodeProtocol<'de> + Send + 'static,
{
    /// Binds with the default configuration.
    ///
    /// # Errors
    ///
    /// The address cannot be bound.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<Self> {
        Self::bind_with(addr, ServerConfig::default()).await
    }

    /// Binds with `config`.
    ///
    /// # Errors
    ///
    /// The address cannot be bound.
    pub async fn bind_with(addr: impl ToSocketAddrs, config: ServerConfig) -> io::Result<Self> {
        Ok(Self::from_listener(TcpListener::bind(addr).await?, config))
    }

    /// Serves on a listener bound elsewhere.
    pub fn from_listener(listener: TcpListener, config: ServerConfig) -> Self {
        Server {
            listener,
            config,
            handshake: None,
        }
    }

    /// Runs `handshake` on every connection before it carries requests.
    pub fn with_handshake(mut self, handshake: impl Handshake<P>) -> Self {
        self.handshake = Some(Arc::new(handshake));
        self
    }

    /// The bound address (with the real port when bound to port 0).
    ///
    /// # Errors
    ///
    /// The socket has no local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Starts accepting connections, each served by `handler`, in the
    /// background; the handle pushes notifications and shuts down.
    pub fn serve<H: Handler<P>>(self, handler: H) -> ServerHandle<P> {
        let (shutdown, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            peers: Mutex::new(HashMap::new()),
            counters: Arc::new(Counters::default()),
            shutdown,
            next_id: AtomicU64::new(1),
            config: self.config,
            handshake: self.handshake,
        });
        let addr = self.listener.local_addr().ok();
        let task = tokio::spawn(accept_loop(
            Arc::clone(&shared),
            self.listener,
            Arc::new(handler),
        ));
        ServerHandle {
            shared,
            task: Mutex::new(Some(task)),
            addr,
        }
    }
}

/// Controls a running server.
pub struct ServerHandle<P> {
    shared: Arc<Shared<P>>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    addr: Option<SocketAddr>,
}

impl<P> std::fmt::Debug for ServerHandle<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle")
            .field("addr", &self.addr)
            .finish()
    }
}

impl<P: Protocol> ServerHandle<P> {
    /// The address the server listens on.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.addr
    }

    /// The peers connected now.
    pub fn peers(&self) -> Vec<Peer<P>> {
        self.shared.peers().values().cloned().collect()
    }

    /// Pushes a notification to peer `id`; `Ok(false)` if it is gone.
    ///
    /// # Errors
    ///
    /// The message cannot be encoded.
    pub fn notify(&self, id: u64, msg: &P) -> Result<bool, crate::EncodeError> {
        let peer = self.shared.peers().get(&id).cloned();
        match peer {
            Some(peer) => peer.notify(msg),
            None => Ok(false),
        }
    }

    /// Pushes a notification to every peer; returns how many it reached.
    ///
    /// # Errors
    ///
    /// The message cannot be encoded.
    pub fn broadcast(&self, msg: &P) -> Result<usize, crate::EncodeError> {
        let frame = Arc::new(crate::message::frame_bytes(msg)?);
        let peers = self.peers();
        Ok(peers
            .iter()
            .filter(|p| p.send_frame(Arc::clone(&frame)))
            .count())
    }

    /// Counters: connections, requests, responses, bytes, ...
    pub fn counters(&self) -> CounterSnapshot {
        self.shared.counters.snapshot()
    }

    /// Graceful shutdown: stop accepting, let each connection finish the
    /// requests it has in flight and send their replies, half-close, and
    /// wait (up to the configured grace) for peers to close.
    pub async fn shutdown(&self) {
        self.shared.shutdown.send_replace(true);
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

async fn accept_loop<P, H>(shared: Arc<Shared<P>>, listener: TcpListener, handler: Arc<H>)
where
    P: Protocol + for<'de> DecodeProtocol<'de> + Send + 'static,
    H: Handler<P>,
{
    let limit = Arc::new(Semaphore::new(shared.config.max_connections));
    let mut stop = shared.shutdown.subscribe();
    let mut conns = JoinSet::new();
    loop {
        while conns.try_join_next().is_some() {}
        let accepted = tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, addr) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // Out of file descriptors and the like: back off, go on.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&limit).try_acquire_owned() else {
            tracing::warn!(%addr, max = shared.config.max_connections, "connection limit reached; refusing");
            shared.counters.refused(1);
            continue;
        };
        shared.counters.connections(1);
        let (shared, handler) = (Arc::clone(&shared), Arc::clone(&handler));
        conns.spawn(async move {
            serve_connection(&shared, handler, stream, addr).await;
            drop(permit);
        });
    }
    drop(listener);
    let grace = shared.config.shutdown_grace + Duration::from_secs(1);
    if tokio::time::timeout(grace, async { while conns.join_next().await.is_some() {} })
        .await
        .is_err()
    {
        tracing::warn!(
            left = conns.len(),
            "connections still open after the shutdown grace; aborting them"
        );
        conns.abort_all();
    }
}

async fn serve_connection<P, H>(
    shared: &Arc<Shared<P>>,
    handler: Arc<H>,
    stream: TcpStream,
    addr: SocketAddr,
) where
    P: Protocol + for<'de> DecodeProtocol<'de> + Send + 'static,
    H: Handler<P>,
{
    let config = &shared.config;
    if let Err(e) = apply_keepalive(&stream, config.keepalive) {
        tracing::debug!(%addr, error = %e, "socket options not applied");
    }
    let limits = Limits {
        max_frame_len: config.max_frame_len,
        idle: config.idle_timeout,
        frame: config.frame_timeout,
    };
    let (rd, mut wr) = stream.into_split();
    let mut reader = FrameReader::<P>::new(rd, limits);
    if let Some(hs) = &shared.handshake {
        let mut conn = HandshakeConn::new(&mut reader, &mut wr);
        let outcome = tokio::time::timeout(config.handshake_timeout, hs.server(&mut conn)).await;
        let failure = match outcome {
            Ok(Ok(())) => None,
            Ok(Err(why)) => Some(why),
            Err(_) => Some(format!(
                "no handshake within {:?}",
                config.handshake_timeout
            )),
        };
        if let Some(why) = failure {
            tracing::warn!(%addr, %why, "handshake refused");
            shared.counters.closed_on_error(1);
            return;
        }
    }

    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = mpsc::unbounded_channel();
    let peer = Peer {
        id,
        addr,
        out: tx,
        counters: Arc::clone(&shared.counters),
        _protocol: std::marker::PhantomData,
    };
    shared.peers().insert(id, peer.clone());
    let counters = Arc::clone(&shared.counters);
    let (stop_writer, writer_stop) = tokio::sync::oneshot::channel::<()>();
    // Set when the writer ends (the peer stopped taking bytes, or we
    // stopped it): requests waiting for a reply slot then wait no longer.
    let (writer_gone, mut writer_ended) = watch::channel(false);
    let writer = tokio::spawn(async move {
        let stop = async {
            let _ = writer_stop.await;
        };
        let result = conn::write_loop(wr, rx, &counters, stop, None).await;
        writer_gone.send_replace(true);
        result
    });

    let in_flight = Arc::new(Semaphore::new(config.max_in_flight));
    let mut stop = shared.shutdown.subscribe();
    // One wait for the whole connection: made anew for every request, it
    // would register with the shutdown channel (taking its lock) each time.
    let stopped = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    tokio::pin!(stopped);
    let mut shutting_down = false;
    let mut tasks = JoinSet::new();
    loop {
        // A connection waiting on its own slow requests is not idle.
        reader.set_idle(if tasks.is_empty() {
            config.idle_timeout
        } else {
            None
        });
        let next = tokio::select! {
            biased;
            () = &mut stopped, if !shutting_down => {
                // Stop taking new requests, but serve those already sent:
                // read on while frames keep arriving (briefly, bounded).
                shutting_down = true;
                continue;
            }
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                if let Err(e) = done {
                    if e.is_panic() {
                        tracing::error!(%addr, "request handler panicked; closing the connection");
                        shared.counters.closed_on_error(1);
                        break;
                    }
                }
                continue;
            }
            next = async {
                if shutting_down {
                    tokio::time::timeout(SHUTDOWN_QUIET, reader.next()).await.ok()
                } else {
                    Some(reader.next().await)
                }
            } => match next {
                Some(next) => next,
                None => break,
            },
        };
        shared.counters.bytes_in(reader.take_bytes_read());
        let req = match next {
            Ok(Some(req)) => req,
            Ok(None) => break,
            Err(e) => {
                log_conn_error(addr, &e);
                shared.counters.closed_on_error(1);
                break;
            }
        };
        shared.counters.requests(1);
        let permit = match Arc::clone(&in_flight).try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                tracing::info!(%addr, max = config.max_in_flight, "in-flight limit reached; pausing reads");
                // Slots free up as replies are written; a peer that never
                // reads them ends here when its connection does.
                tokio::select! {
                    permit = Arc::clone(&in_flight).acquire_owned() => match permit {
                        Ok(p) => p,
                        Err(_) => break,
                    },
                    _ = writer_ended.wait_for(|gone| *gone) => break,
                    () = &mut stopped, if !shutting_down => {
                        shutting_down = true;
                        break;
                    }
                }
            }
        };
        let (handler, peer, counters) = (
            Arc::clone(&handler),
            peer.clone(),
            Arc::clone(&shared.counters),
        );
        let mut job = Box::pin(async move {
            let tag = req.tag();
            let reply = handler.handle(req, &peer).await;
            if let Some(mut reply) = reply {
                if let Some(tag) = tag {
                    reply.set_tag(tag);
                }
                match crate::message::frame_bytes(&reply) {
                    Ok(frame) => {
                        let out = Outgoing {
                            frame: Arc::new(frame),
                            permit: Some(permit),
                        };
                        if peer.out.send(out).is_ok() {
                            counters.responses(1);
                        }
                    }
                    Err(e) => {
                        tracing::error!(addr = %peer.addr, error = %e, "reply cannot be encoded; dropped")
                    }
                }
            }
            // Without a reply queued, the permit is dropped here.
        });
        // Most handlers answer without waiting: run them here, so the
        // replies to the requests of one read are queued together and the
        // writer sends them in one write. Only a handler that waits gets a
        // task of its own (which polls it again, with its own waker).
        // Spawning every request made the writer wake, and write, once per
        // reply.
        // A panic in a handler closes this connection (its calls then fail
        // at once instead of waiting for a reply that will never come).
        let ran = std::future::poll_fn(|cx| {
            Poll::Ready(std::panic::catch_unwind(std::panic::AssertUnwindSafe(
                || job.as_mut().poll(cx),
            )))
        })
        .await;
        match ran {
            Ok(Poll::Ready(())) => {}
            Ok(Poll::Pending) => {
                tasks.spawn(job);
            }
            Err(_) => {
                tracing::error!(%addr, "request handler panicked; closing the connection");
                shared.counters.closed_on_error(1);
                break;
            }
        }
    }

    // Finish what is in flight, then let the writer drain and half-close.
    let grace = config.shutdown_grace;
    if tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} })
        .await
        .is_err()
    {
        tracing::warn!(%addr, left = tasks.len(), "requests still running after the grace; abandoning them");
        tasks.abort_all();
    }
    shared.peers().remove(&id);
    drop(peer);
    // Notification handles held elsewhere keep the channel open: tell the
    // writer to finish with what is queued.
    let _ = stop_writer.send(());
    match tokio::time::timeout(grace, writer).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => tracing::debug!(%addr, error = %e, "writer ended with an error"),
        _ => tracing::debug!(%addr, "writer did not finish"),
    }
    if shutting_down {
        // Half-closed: wait for the peer to close its side.
        reader.drain_until_eof(grace).await;
    }
}

/// On shutdown, a connection keeps reading requests that are already on
/// their way until none has arrived for this long.
const SHUTDOWN_QUIET: Duration = Duration::from_millis(100);

fn log_conn_error(addr: SocketAddr, e: &ConnError) {
    match e {
        ConnError::FrameTooLarge { .. } => {
            tracing::warn!(%addr, error = %e, "frame length limit hit; closing")
        }
        ConnError::Idle(_) => tracing::info!(%addr, error = %e, "idle limit hit; closing"),
        ConnError::FrameTimeout(_) => {
            tracing::warn!(%addr, error = %e, "frame time limit hit; closing")
        }
        ConnError::Truncated { .. } => tracing::info!(%addr, error = %e, "peer closed mid-frame"),
        _ => tracing::warn!(%addr, error = %e, "closing connection"),
    }
}
