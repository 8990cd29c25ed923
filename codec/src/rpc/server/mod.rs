//! The server side: an accept loop, one task per connection, many
//! requests in flight per connection, replies in completion order.
//!
//! [`Server`] binds and configures; [`Server::serve`] starts the
//! [`Listener`](listener::Listener) (accept loop) in the background and
//! returns the [`ServerHandle`]; each accepted connection is set up in
//! [`connection`] (handshake as responder) and runs on the engine both
//! sides share, [`Session`](crate::rpc::session::Session).

mod connection;
mod listener;

use std::vec::Vec;

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::watch;

use self::listener::Listener;
use super::conn;
use super::{CounterSnapshot, Counters, Handler, Handshake, Keepalive, Peer};
use crate::{DecodeProtocol, EncodeError, Protocol};

/// Server limits, each with a default; each is reported in a log line
/// when a peer hits it.
///
/// Start from [`ServerConfig::default`] and change what you need with the
/// `with_*` methods; the fields stay public for reading.
///
/// ```
/// use std::time::Duration;
/// use codec::rpc::ServerConfig;
///
/// let config = ServerConfig::default()
///     .with_max_connections(100)
///     .with_idle_timeout(Duration::from_secs(60))
///     .with_frame_timeout(None);
/// assert_eq!(config.max_connections, 100);
/// assert_eq!(config.frame_timeout, None);
/// ```
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
    ///
    /// The limit is suspended while the connection's own requests run,
    /// and while the handler holds the connection open with
    /// [`Peer::hold_open`] (a subscriber, such as a watcher waiting for
    /// notifications, is idle by design). A held connection still gets TCP
    /// keepalive ([`ServerConfig::keepalive`]), which finds a peer that
    /// went away, and [`ServerConfig::frame_timeout`] still applies to
    /// every frame it starts.
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
    /// Deadline of the server's own calls to its peers
    /// ([`Peer::call`]) that set none; `None` waits forever.
    pub call_timeout: Option<Duration>,
    /// How long the tag of a server call that timed out or was dropped
    /// waits for its late reply before it is reused.
    pub tag_quarantine: Duration,
    /// Largest tag the server's calls draw; `None`: the largest its
    /// protocol's tag fields hold (`Protocol::TAG_MAX`). For protocols
    /// whose tags the derive does not see (read by `Correlate`).
    pub tag_max: Option<u64>,
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
            call_timeout: None,
            tag_quarantine: Duration::from_secs(30),
            tag_max: None,
        }
    }
}

impl ServerConfig {
    /// Connections served at once; more are refused (default 4096).
    #[must_use = "`with_max_connections` returns the changed config"]
    pub fn with_max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// Requests handled at once per connection (default 256).
    #[must_use = "`with_max_in_flight` returns the changed config"]
    pub fn with_max_in_flight(mut self, max: usize) -> Self {
        self.max_in_flight = max;
        self
    }

    /// Largest frame payload accepted (default 16 MiB).
    #[must_use = "`with_max_frame_len` returns the changed config"]
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.max_frame_len = max;
        self
    }

    /// Closes a connection with no frame started for this long (default
    /// 300 s); `None` never does. Connections held open with
    /// [`Peer::hold_open`] are exempt (see [`ServerConfig::idle_timeout`]).
    #[must_use = "`with_idle_timeout` returns the changed config"]
    pub fn with_idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.idle_timeout = timeout.into();
        self
    }

    /// Time from a frame's first byte to its last (default 30 s); `None`
    /// allows any.
    #[must_use = "`with_frame_timeout` returns the changed config"]
    pub fn with_frame_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.frame_timeout = timeout.into();
        self
    }

    /// Time allowed for a handshake (default 10 s).
    #[must_use = "`with_handshake_timeout` returns the changed config"]
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// On shutdown, time allowed for requests in flight to finish and for
    /// peers to close their side (default 30 s).
    #[must_use = "`with_shutdown_grace` returns the changed config"]
    pub fn with_shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// TCP keepalive on accepted connections (default
    /// [`Keepalive::default`]); `None` leaves the OS default.
    #[must_use = "`with_keepalive` returns the changed config"]
    pub fn with_keepalive(mut self, keepalive: impl Into<Option<Keepalive>>) -> Self {
        self.keepalive = keepalive.into();
        self
    }

    /// Deadline of the server's calls to its peers that set none
    /// (default: none, wait forever).
    #[must_use = "`with_call_timeout` returns the changed config"]
    pub fn with_call_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.call_timeout = timeout.into();
        self
    }

    /// The largest tag the server's calls draw (default: the protocol's
    /// `TAG_MAX`): for protocols whose tag fields the derive does not see.
    #[must_use = "`with_tag_max` returns the changed config"]
    pub fn with_tag_max(mut self, max: impl Into<Option<u64>>) -> Self {
        self.tag_max = max.into();
        self
    }

    /// How long a given-up server call's tag waits for its late reply
    /// (default 30 s).
    #[must_use = "`with_tag_quarantine` returns the changed config"]
    pub fn with_tag_quarantine(mut self, quarantine: Duration) -> Self {
        self.tag_quarantine = quarantine;
        self
    }
}

/// State shared by the [`ServerHandle`], the listener and every connection.
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
    #[must_use = "a `Server` does nothing until `serve` is called"]
    pub fn from_listener(listener: TcpListener, config: ServerConfig) -> Self {
        Server {
            listener,
            config,
            handshake: None,
        }
    }

    /// Runs `handshake` on every connection before it carries requests.
    #[must_use = "`with_handshake` returns the server with the handshake; the original is consumed"]
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
        let listener = Listener::new(Arc::clone(&shared), self.listener, Arc::new(handler));
        let task = tokio::spawn(listener.run());
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
    pub fn notify(&self, id: u64, msg: &P) -> Result<bool, EncodeError> {
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
    pub fn broadcast(&self, msg: &P) -> Result<usize, EncodeError> {
        let frame = conn::encode_frame(msg)?;
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
