//! How a client behaves ([`ClientConfig`], [`ReconnectPolicy`]) and how one
//! call does ([`CallOptions`]).

use std::boxed::Box;
use std::sync::Arc;
use std::time::Duration;

use crate::rpc::conn;
use crate::rpc::{BoxFuture, ConnError, Handler, Handshake, Keepalive, Later, Peer};

/// How a client behaves. Every limit is explicit: no hidden deadline.
///
/// Start from [`ClientConfig::default`] and change what you need with the
/// `with_*` methods; the fields stay public for reading.
///
/// ```
/// use std::time::Duration;
/// use codec::rpc::{ClientConfig, ReconnectPolicy};
/// # type Proto = (); // any protocol enum
///
/// let config = ClientConfig::<Proto>::default()
///     .with_default_timeout(Duration::from_secs(5))
///     .with_reconnect(ReconnectPolicy::default().with_max_attempts(3));
/// assert_eq!(config.default_timeout, Some(Duration::from_secs(5)));
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct ClientConfig<P> {
    /// Deadline for calls that set none; `None` waits forever.
    pub default_timeout: Option<Duration>,
    /// Calls in flight at once (further calls wait); also bounded by the
    /// tag space of the protocol's tag fields.
    pub max_in_flight: usize,
    /// How long the tag of a timed-out or dropped call waits for its late
    /// reply before it is reused.
    pub tag_quarantine: Duration,
    /// Largest frame accepted from the server.
    pub max_frame_len: usize,
    /// Queue of notifications not yet taken by
    /// [`Client::notifications`](super::Client::notifications)'s stream;
    /// when it is full, reading from the connection waits.
    pub notification_queue: usize,
    /// TCP keepalive; `None` leaves the OS default.
    pub keepalive: Option<Keepalive>,
    /// When the connection is idle this long, send the ping request made by
    /// the function; a ping that fails ends the connection.
    pub ping: Option<(Duration, Arc<dyn Fn() -> P + Send + Sync>)>,
    /// Marks a frame resent after a reconnection (see
    /// [`ClientConfig::with_resend_mark`]).
    pub resend_mark: Option<ResendMark>,
    /// Recognises the answer to an untagged ping
    /// ([`ClientConfig::with_untagged_ping`]); `None`: the ping is a call.
    pub pong: Option<Pong<P>>,
    /// Largest tag the client's calls draw; `None`: the largest its
    /// protocol's tag fields hold (`Protocol::TAG_MAX`). For protocols
    /// whose tags the derive does not see (read by `Correlate`).
    pub tag_max: Option<u64>,
    /// Reconnect after the connection breaks, resending idempotent calls.
    pub reconnect: Option<ReconnectPolicy>,
    /// A handshake to run on every new connection before calls.
    pub handshake: Option<Arc<dyn Handshake<P>>>,
    /// Time allowed for the handshake; past it the connection fails as a
    /// refused handshake would.
    pub handshake_timeout: Duration,
    /// Answers the server's requests (messages its protocol declares
    /// [`Correlation::Request`](crate::Correlation::Request)); without
    /// one they are dropped and counted
    /// ([`CounterSnapshot::unhandled`](crate::rpc::CounterSnapshot::unhandled)).
    pub handler: Option<ClientHandler<P>>,
    /// On close (or when the server ends the connection), time allowed
    /// for each step of the drain: the client's calls in flight, the
    /// server's requests being answered, the writes, and the server's
    /// close. Calls still waiting after it fail.
    pub close_grace: Duration,
}

/// Recognises the answer to an untagged ping.
pub type Pong<P> = Arc<dyn Fn(&P) -> bool + Send + Sync>;

/// Marks a resent frame ([`ClientConfig::with_resend_mark`]).
pub type ResendMark = Arc<dyn Fn(&mut [u8]) + Send + Sync>;

/// A handler for the server's requests, as [`ClientConfig::with_handler`]
/// keeps it (boxed, so the config names no handler type).
pub struct ClientHandler<P>(Arc<dyn DynHandler<P>>);

impl<P> Clone for ClientHandler<P> {
    fn clone(&self) -> Self {
        ClientHandler(Arc::clone(&self.0))
    }
}

/// [`Handler`] with the future boxed: what [`ClientHandler`] holds.
trait DynHandler<P>: Send + Sync + 'static {
    fn handle(&self, req: P, peer: Peer<P>) -> BoxFuture<'static, Option<P>>;
    fn answers_later(&self, req: &P) -> bool;
    fn handle_later(&self, req: P, peer: &Peer<P>, later: Later<P>);
    fn draining(&self, peer: &Peer<P>);
    fn finishing(&self, peer: &Peer<P>);
    fn ended(&self, peer: &Peer<P>, error: Option<&ConnError>);
}

impl<P: Send + 'static, H: Handler<P>> DynHandler<P> for Arc<H> {
    fn handle(&self, req: P, peer: Peer<P>) -> BoxFuture<'static, Option<P>> {
        let handler = Arc::clone(self);
        Box::pin(async move { Handler::handle(&*handler, req, &peer).await })
    }

    fn answers_later(&self, req: &P) -> bool {
        Handler::answers_later(&**self, req)
    }

    fn handle_later(&self, req: P, peer: &Peer<P>, later: Later<P>) {
        Handler::handle_later(&**self, req, peer, later);
    }

    fn draining(&self, peer: &Peer<P>) {
        Handler::draining(&**self, peer);
    }

    fn finishing(&self, peer: &Peer<P>) {
        Handler::finishing(&**self, peer);
    }

    fn ended(&self, peer: &Peer<P>, error: Option<&ConnError>) {
        Handler::ended(&**self, peer, error);
    }
}

impl<P: Send + 'static> Handler<P> for ClientHandler<P> {
    fn handle(
        &self,
        req: P,
        peer: &Peer<P>,
    ) -> impl std::future::Future<Output = Option<P>> + Send {
        self.0.handle(req, peer.clone())
    }

    fn answers_later(&self, req: &P) -> bool {
        self.0.answers_later(req)
    }

    fn handle_later(&self, req: P, peer: &Peer<P>, later: Later<P>) {
        self.0.handle_later(req, peer, later);
    }

    fn draining(&self, peer: &Peer<P>) {
        self.0.draining(peer);
    }

    fn finishing(&self, peer: &Peer<P>) {
        self.0.finishing(peer);
    }

    fn ended(&self, peer: &Peer<P>, error: Option<&ConnError>) {
        self.0.ended(peer, error);
    }
}

impl<P> Default for ClientConfig<P> {
    fn default() -> Self {
        ClientConfig {
            default_timeout: None,
            max_in_flight: 1024,
            tag_quarantine: Duration::from_secs(30),
            max_frame_len: conn::DEFAULT_MAX_FRAME,
            notification_queue: 1024,
            keepalive: Some(Keepalive::default()),
            ping: None,
            pong: None,
            tag_max: None,
            resend_mark: None,
            reconnect: None,
            handshake: None,
            handshake_timeout: Duration::from_secs(10),
            handler: None,
            close_grace: Duration::from_secs(30),
        }
    }
}

impl<P> ClientConfig<P> {
    /// Deadline for calls that set none (default: none, wait forever).
    #[must_use = "`with_default_timeout` returns the changed config"]
    pub fn with_default_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.default_timeout = timeout.into();
        self
    }

    /// Calls in flight at once (default 1024).
    #[must_use = "`with_max_in_flight` returns the changed config"]
    pub fn with_max_in_flight(mut self, max: usize) -> Self {
        self.max_in_flight = max;
        self
    }

    /// How long a given-up call's tag waits for its late reply (default
    /// 30 s).
    #[must_use = "`with_tag_quarantine` returns the changed config"]
    pub fn with_tag_quarantine(mut self, quarantine: Duration) -> Self {
        self.tag_quarantine = quarantine;
        self
    }

    /// Largest frame accepted from the server (default 16 MiB).
    #[must_use = "`with_max_frame_len` returns the changed config"]
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.max_frame_len = max;
        self
    }

    /// Notifications kept until the stream is read (default 1024).
    #[must_use = "`with_notification_queue` returns the changed config"]
    pub fn with_notification_queue(mut self, len: usize) -> Self {
        self.notification_queue = len;
        self
    }

    /// TCP keepalive (default [`Keepalive::default`]); `None` leaves the OS
    /// default.
    #[must_use = "`with_keepalive` returns the changed config"]
    pub fn with_keepalive(mut self, keepalive: impl Into<Option<Keepalive>>) -> Self {
        self.keepalive = keepalive.into();
        self
    }

    /// When nothing was received, or nothing sent, for `every`, sends
    /// the request `make` returns, with `every` as its deadline; a ping
    /// that fails ends the connection (default: no ping).
    #[must_use = "`with_ping` returns the changed config"]
    pub fn with_ping(
        mut self,
        every: Duration,
        make: impl Fn() -> P + Send + Sync + 'static,
    ) -> Self {
        self.ping = Some((every, Arc::new(make)));
        self.pong = None;
        self
    }

    /// A ping for protocols whose keepalive carries no tag (MQTT's
    /// PINGREQ/PINGRESP): when nothing was received, or nothing sent, for
    /// `every`, sends the message `make` returns; the first message
    /// `is_pong` accepts within `every` answers it (and goes nowhere
    /// else), and without one the connection is considered dead.
    #[must_use = "`with_untagged_ping` returns the changed config"]
    pub fn with_untagged_ping(
        mut self,
        every: Duration,
        make: impl Fn() -> P + Send + Sync + 'static,
        is_pong: impl Fn(&P) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.ping = Some((every, Arc::new(make)));
        self.pong = Some(Arc::new(is_pong));
        self
    }

    /// Marks each idempotent request resent after a reconnection: `mark`
    /// gets the encoded frame, header included, and may change its bytes
    /// (not its length), as protocols that flag redeliveries want: MQTT
    /// sets the DUP bit (0x08 of the first byte) of a resent PUBLISH.
    /// Default: resent as first sent.
    #[must_use = "`with_resend_mark` returns the changed config"]
    pub fn with_resend_mark(mut self, mark: impl Fn(&mut [u8]) + Send + Sync + 'static) -> Self {
        self.resend_mark = Some(Arc::new(mark));
        self
    }

    /// The largest tag the client's calls draw (default: the protocol's
    /// `TAG_MAX`): for protocols whose tag fields the derive does not see.
    #[must_use = "`with_tag_max` returns the changed config"]
    pub fn with_tag_max(mut self, max: impl Into<Option<u64>>) -> Self {
        self.tag_max = max.into();
        self
    }

    /// Reconnects after the connection breaks, resending idempotent calls
    /// (default: `None`, no reconnection).
    #[must_use = "`with_reconnect` returns the changed config"]
    pub fn with_reconnect(mut self, policy: impl Into<Option<ReconnectPolicy>>) -> Self {
        self.reconnect = policy.into();
        self
    }

    /// Runs `handshake` on every new connection before calls (default:
    /// none).
    #[must_use = "`with_handshake` returns the changed config"]
    pub fn with_handshake(mut self, handshake: impl Handshake<P>) -> Self {
        self.handshake = Some(Arc::new(handshake));
        self
    }

    /// Time allowed for the handshake (default 10 s).
    #[must_use = "`with_handshake_timeout` returns the changed config"]
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// On close, time allowed for each step of the drain: calls in
    /// flight, the server's requests, the writes, the server's close
    /// (default 30 s).
    #[must_use = "`with_close_grace` returns the changed config"]
    pub fn with_close_grace(mut self, grace: Duration) -> Self {
        self.close_grace = grace;
        self
    }
}

impl<P: Send + 'static> ClientConfig<P> {
    /// Answers the server's requests with `handler`, as a server's
    /// handler answers a client's: the reply gets the request's tag, and
    /// the handler sees the server as its [`Peer`] (default: none; the
    /// server's requests are dropped and counted).
    #[must_use = "`with_handler` returns the changed config"]
    pub fn with_handler(mut self, handler: impl Handler<P>) -> Self {
        self.handler = Some(ClientHandler(Arc::new(Arc::new(handler))));
        self
    }
}

impl<P> std::fmt::Debug for ClientConfig<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("default_timeout", &self.default_timeout)
            .field("max_in_flight", &self.max_in_flight)
            .field("tag_quarantine", &self.tag_quarantine)
            .field("max_frame_len", &self.max_frame_len)
            .field("keepalive", &self.keepalive)
            .field("ping", &self.ping.as_ref().map(|(d, _)| d))
            .field("untagged_ping", &self.pong.is_some())
            .field("tag_max", &self.tag_max)
            .field("resend_mark", &self.resend_mark.is_some())
            .field("reconnect", &self.reconnect)
            .field("handshake", &self.handshake.is_some())
            .field("handshake_timeout", &self.handshake_timeout)
            .field("handler", &self.handler.is_some())
            .field("close_grace", &self.close_grace)
            .finish()
    }
}

/// Reconnect with exponential backoff (clever-show's resend on reconnect).
///
/// Start from [`ReconnectPolicy::default`] and change what you need with
/// the `with_*` methods; the fields stay public for reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReconnectPolicy {
    /// Wait before the first attempt.
    pub initial_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
    /// Give up after this many failed attempts in a row (`None`: never).
    pub max_attempts: Option<u32>,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy {
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(5),
            max_attempts: Some(20),
        }
    }
}

impl ReconnectPolicy {
    /// Wait before the first attempt (default 50 ms); it doubles after
    /// each failed attempt.
    #[must_use = "`with_initial_backoff` returns the changed policy"]
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Longest wait between attempts (default 5 s).
    #[must_use = "`with_max_backoff` returns the changed policy"]
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// Failed attempts in a row before giving up (default 20); `None`
    /// never gives up.
    #[must_use = "`with_max_attempts` returns the changed policy"]
    pub fn with_max_attempts(mut self, max: impl Into<Option<u32>>) -> Self {
        self.max_attempts = max.into();
        self
    }
}

/// Per-call options.
///
/// ```
/// use std::time::Duration;
/// use codec::rpc::CallOptions;
///
/// let opts = CallOptions::timeout(Duration::from_secs(1)).idempotent();
/// assert_eq!(opts.timeout, Some(Duration::from_secs(1)));
/// assert!(opts.idempotent);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallOptions {
    /// Deadline for this call, overriding the client's default.
    pub timeout: Option<Duration>,
    /// Safe to send twice: after a reconnection the request is resent.
    pub idempotent: bool,
}

impl CallOptions {
    /// Options with a deadline.
    #[must_use = "`timeout` returns new options; pass them to `call_with`"]
    pub fn timeout(timeout: Duration) -> Self {
        Self::default().with_timeout(timeout)
    }

    /// Marks the call idempotent (resent after a reconnection).
    #[must_use = "`idempotent` returns the changed options; the original is consumed"]
    pub fn idempotent(self) -> Self {
        self.with_idempotent(true)
    }

    /// Deadline for this call; `None` falls back to the client's
    /// [`default_timeout`](ClientConfig::default_timeout).
    #[must_use = "`with_timeout` returns the changed options"]
    pub fn with_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = timeout.into();
        self
    }

    /// Whether the call is safe to send twice (resent after a
    /// reconnection); default `false`.
    #[must_use = "`with_idempotent` returns the changed options"]
    pub fn with_idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }
}
