//! The server side: an accept loop, one task per connection, many
//! requests in flight per connection, replies in completion order.
//!
//! [`Server`] binds and configures; [`Server::serve`] starts the
//! [`Listener`](listener::Listener) (accept loop) in the background and
//! returns the [`ServerHandle`]; each accepted connection is a
//! [`Connection`](connection::Connection) (handshake, run, drain).

mod connection;
mod listener;

use std::vec::Vec;

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::{mpsc, watch};

use self::listener::Listener;
use super::conn::{self, Outgoing};
use super::{CounterSnapshot, Counters, Handshake, Keepalive};
use crate::{DecodeProtocol, Dispatch, EncodeError, Protocol};

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
}

/// Handles one request; the reply (if any) is sent back with the request's
/// tag copied into it.
///
/// Closures `Fn(P, Peer<P>) -> impl Future<Output = Option<P>>` implement
/// it, and so does [`Dispatcher`] for a protocol's generated service trait
/// (see [`dispatch`](crate::dispatch)).
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

/// Serves a protocol through its generated service trait: each request
/// goes to its method of the shared service `S`, with the [`Peer`] it came
/// from as the context.
///
/// For `#[codec(service = StorageService)]` on `enum Storage`, implement
/// `StorageService<Peer<Storage>>` and serve `Dispatcher(Arc::new(service))`.
/// The [`Dispatch`] future is the request's whole handling: nothing is
/// boxed or spawned per request beyond what the server does for any
/// handler.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use codec::rpc::{Client, Dispatcher, Peer, Server};
/// use codec::{Decode, Encode, Message, Protocol};
///
/// #[derive(Debug, Encode, Decode, Message)]
/// #[codec(id = 1, response = Count)]
/// struct Hit { #[codec(tag)] tag: u8 }
///
/// #[derive(Debug, Encode, Decode, Message)]
/// #[codec(id = 2)]
/// struct Count { #[codec(tag)] tag: u8, hits: u64 }
///
/// #[derive(Debug, Protocol)]
/// #[codec(service = HitService)]
/// enum Hits { #[codec(request)] Hit(Hit), Count(Count) }
///
/// #[derive(Default)]
/// struct Counter(AtomicU64);
///
/// impl HitService<Peer<Hits>> for Counter {
///     async fn hit(&self, req: Hit, _peer: &Peer<Hits>) -> Count {
///         Count { tag: req.tag, hits: self.0.fetch_add(1, Ordering::Relaxed) + 1 }
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = Server::<Hits>::bind("127.0.0.1:0").await?;
/// let addr = server.local_addr()?;
/// let handle = server.serve(Dispatcher(Arc::new(Counter::default())));
/// let client = Client::<Hits>::connect(addr).await?;
/// assert_eq!(client.call(Hit { tag: 0 }).await?.hits, 1);
/// assert_eq!(client.call(Hit { tag: 0 }).await?.hits, 2);
/// # client.close().await?;
/// handle.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Dispatcher<S>(pub Arc<S>);

impl<S> Clone for Dispatcher<S> {
    fn clone(&self) -> Self {
        Dispatcher(Arc::clone(&self.0))
    }
}

impl<P, S> Handler<P> for Dispatcher<S>
where
    S: Send + Sync + 'static,
    P: Dispatch<S, Peer<P>> + Send + 'static,
{
    #[inline]
    fn handle(&self, req: P, peer: &Peer<P>) -> impl Future<Output = Option<P>> + Send {
        req.dispatch(&*self.0, peer)
    }
}

/// One connected peer: who it is, a way to push notifications to it, and
/// a way to keep its connection open while it waits for them.
///
/// A connection that sends nothing for [`ServerConfig::idle_timeout`] is
/// closed, unless something holds it open: a handler that subscribes the
/// peer to notifications (a watch, a subscription) takes a
/// [`Peer::hold_open`] guard and keeps it as long as the subscription
/// lasts. Holds are counted; the idle limit applies again once the last
/// one is dropped.
pub struct Peer<P> {
    id: u64,
    addr: SocketAddr,
    out: mpsc::UnboundedSender<Outgoing>,
    counters: Arc<Counters>,
    /// How many [`IdleHold`]s exist; the connection watches it.
    holds: Arc<watch::Sender<usize>>,
    _protocol: std::marker::PhantomData<fn(P)>,
}

impl<P> Clone for Peer<P> {
    fn clone(&self) -> Self {
        Peer {
            id: self.id,
            addr: self.addr,
            out: self.out.clone(),
            counters: Arc::clone(&self.counters),
            holds: Arc::clone(&self.holds),
            _protocol: std::marker::PhantomData,
        }
    }
}

/// Keeps a connection exempt from the idle limit while it lives: see
/// [`Peer::hold_open`].
///
/// Dropping it releases the hold. Holds outliving their connection are
/// harmless.
#[must_use = "the connection is held open only while the guard lives"]
pub struct IdleHold {
    holds: Arc<watch::Sender<usize>>,
}

impl Drop for IdleHold {
    fn drop(&mut self) {
        self.holds.send_modify(|n| *n = n.saturating_sub(1));
    }
}

impl std::fmt::Debug for IdleHold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdleHold")
            .field("holds", &*self.holds.borrow())
            .finish()
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

    /// The whole server's counters, as [`ServerHandle::counters`] gives
    /// them: for a handler that answers a stats request.
    pub fn server_counters(&self) -> CounterSnapshot {
        self.counters.snapshot()
    }

    /// Queues a notification (a message without a tag) to this peer.
    /// Returns `false` if the connection has ended.
    ///
    /// # Errors
    ///
    /// The message cannot be encoded.
    pub fn notify(&self, msg: &P) -> Result<bool, EncodeError> {
        Ok(self.send_frame(conn::encode_frame(msg)?))
    }

    /// Exempts this connection from the idle limit until the returned
    /// guard is dropped: for a peer that subscribed to notifications and
    /// has nothing to send until they come.
    ///
    /// Holds are counted (one per subscription, say); the limit applies
    /// again, counted from then, when the last is dropped. A held
    /// connection still ends when the peer closes it, when TCP keepalive
    /// finds the peer gone, when a frame takes longer than
    /// [`ServerConfig::frame_timeout`], and at shutdown.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use codec::rpc::{IdleHold, Peer, Server};
    /// # use codec::{Decode, Encode, Message, Protocol};
    /// # #[derive(Debug, Encode, Decode, Message)]
    /// # #[codec(id = 1)]
    /// # struct Subscribe { #[codec(tag)] tag: u8 }
    /// # #[derive(Debug, Protocol)]
    /// # enum Chat { Subscribe(Subscribe) }
    ///
    /// /// Subscribers: each keeps its connection open while subscribed
    /// /// (dropping an entry releases its hold).
    /// #[derive(Default)]
    /// struct Subscribers(Mutex<Vec<(Peer<Chat>, IdleHold)>>);
    ///
    /// impl Subscribers {
    ///     fn add(&self, peer: &Peer<Chat>) {
    ///         let hold = peer.hold_open();
    ///         self.0.lock().unwrap().push((peer.clone(), hold));
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let subscribers = Arc::new(Subscribers::default());
    /// let server = Server::<Chat>::bind("127.0.0.1:0").await?;
    /// let handle = server.serve(move |req: Chat, peer: Peer<Chat>| {
    ///     let subscribers = Arc::clone(&subscribers);
    ///     async move {
    ///         match req {
    ///             Chat::Subscribe(_) => subscribers.add(&peer),
    ///         }
    ///         None
    ///     }
    /// });
    /// handle.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn hold_open(&self) -> IdleHold {
        self.holds.send_modify(|n| *n += 1);
        IdleHold {
            holds: Arc::clone(&self.holds),
        }
    }

    /// Whether the connection has ended (a [`Peer::notify`] would return
    /// `false`): for a handler pruning what it keeps per connection.
    pub fn is_closed(&self) -> bool {
        self.out.is_closed()
    }

    /// Whether something holds this connection open ([`Peer::hold_open`]).
    pub fn is_held(&self) -> bool {
        *self.holds.borrow() > 0
    }

    fn send_frame(&self, frame: Arc<Vec<u8>>) -> bool {
        let sent = self.out.send(frame.into()).is_ok();
        if sent {
            self.counters.notifications(1);
        }
        sent
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
