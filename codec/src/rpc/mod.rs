//! Request/response connections over TCP (feature `rpc`): pipelined calls
//! correlated by a `#[codec(tag)]` field, server-push notifications,
//! deadlines, cancellation, limits, handshakes, keepalive, reconnect and a
//! graceful drain.
//!
//! A request message names its reply with `#[codec(response = ..)]` and
//! carries the correlation tag in a field marked `#[codec(tag)]`. The
//! [`Client`] fills the tag, so many calls share one connection and replies
//! may come back in any order; the [`Server`] copies the request's tag into
//! the reply. Messages without a tag field, sent by the server, are
//! notifications.
//!
//! ```
//! use codec::rpc::{Client, Server};
//! use codec::{Decode, Encode, Message, Protocol};
//!
//! #[derive(Debug, Encode, Decode, Message)]
//! #[codec(id = 1, response = Pong)]
//! struct Ping { #[codec(tag)] tag: u8, n: u32 }
//!
//! #[derive(Debug, Encode, Decode, Message)]
//! #[codec(id = 2)]
//! struct Pong { #[codec(tag)] tag: u8, n: u32 }
//!
//! #[derive(Debug, Protocol)]
//! enum Echo { Ping(Ping), Pong(Pong) }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = Server::<Echo>::bind("127.0.0.1:0").await?;
//! let addr = server.local_addr()?;
//! let handle = server.serve(|req: Echo, _peer| async move {
//!     match req {
//!         Echo::Ping(p) => Some(Echo::Pong(Pong { tag: 0, n: p.n + 1 })),
//!         Echo::Pong(_) => None,
//!     }
//! });
//!
//! let client = Client::<Echo>::connect(addr).await?;
//! let pong = client.call(Ping { tag: 0, n: 41 }).await?;
//! assert_eq!(pong.n, 42);
//! client.close().await?;
//! handle.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Both ways
//!
//! A connection is symmetric: the side that accepted it may call the side
//! that dialled ([`Peer::call`]), and the client answers with a handler
//! ([`ClientConfig::with_handler`]), with the same deadlines,
//! cancellation, back-pressure, quarantine and drain as the client's
//! calls. Which messages are requests, responses or one-way is declared
//! by the protocol ([`Correlation`](crate::Correlation),
//! `#[codec(correlate = Rules)]`); each side draws the tags of its own
//! requests from its own tag space, and a message's correlation says
//! whether its tag is ours (a response) or the peer's (a request), so the
//! two sides' tags never collide. Without `correlate`, tagged messages
//! flow one way as before: requests to the accepting side, replies back.
//!
//! # Answering later
//!
//! A handler whose requests complete elsewhere (a storage engine's log
//! sync, a worker thread) can take them without a future each:
//! [`Handler::answers_later`] picks the requests, and
//! [`Handler::handle_later`] hands each request's [`Later`] on; whoever
//! completes it calls [`Later::answer`], from any thread. The replies
//! given together leave together, in one write; a `Later` dropped
//! unanswered sends nothing and frees its in-flight slot; the drain waits
//! for those still out.
//!
//! # Protocols with rules of their own
//!
//! For protocols like MQTT: [`Client::hold_tag`] (and [`Peer::hold_tag`])
//! hold a tag across several requests ([`HeldTag`]); a request whose tag
//! the derive cannot set carries the held tag itself, and
//! [`ClientConfig::with_tag_max`] / [`ServerConfig::with_tag_max`] set
//! the tag space; [`ClientConfig::with_untagged_ping`] pings with a
//! message that has no tag and takes the first matching message as its
//! answer (pings are due when nothing was sent, or nothing received);
//! [`HandshakeConn::set_idle_timeout`] sets one connection's idle
//! limit; [`ClientConfig::with_resend_mark`] marks requests resent after
//! a reconnection.
//!
//! # Where things are
//!
//! ```text
//! mod.rs               this map, re-exports, `Handshake`, `Keepalive`
//! error.rs             `CallError` (a call failed), `ConnError` (a connection ended)
//! counters.rs          `Counters` and `CounterSnapshot`
//! tags.rs              correlation tags: in flight, free, quarantined
//! conn.rs              both sides: `FrameReader` (reads under limits), the
//!                      batching writer, `HandshakeConn`
//! calls.rs             both sides: one side's calls (take a tag, send, wait),
//!                      held tags
//! peer.rs              both sides: `Peer` (the other side), `IdleHold`,
//!                      `Handler`, `Dispatcher`
//! later.rs             both sides: `Later` (a reply given later, from
//!                      anywhere) and the connection's queue of them
//! session.rs           the engine both sides run per connection: route by
//!                      correlation, handlers, ping, idle, drain
//! client/mod.rs        `Client` (the handle) and `Notifications`
//! client/config.rs     `ClientConfig`, `ReconnectPolicy`, `CallOptions`
//! client/task.rs       the dialling role: dial, handshake, session, reconnect
//! server/mod.rs        `Server`, `ServerConfig`, `ServerHandle`
//! server/listener.rs   the accept loop: connection limit, shutdown
//! server/connection.rs the accepting role: handshake, register, session
//! ```

use std::boxed::Box;
use std::string::String;

mod calls;
mod client;
mod conn;
mod counters;
mod error;
mod later;
mod parts;
mod peer;
mod server;
mod session;
mod tags;

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::time::Duration;

pub use self::calls::{HeldTag, PendingCall};
pub use self::client::{
    CallOptions, Client, ClientConfig, ClientHandler, Notifications, Pong, ReconnectPolicy,
    ResendMark,
};
pub use self::conn::HandshakeConn;
pub use self::counters::{CounterSnapshot, Counters};
pub use self::error::{CallError, Chain, ConnError};
pub use self::later::Later;
pub use self::peer::{Dispatcher, Handler, IdleHold, Peer};
pub use self::server::{Server, ServerConfig, ServerHandle};

/// A boxed, sendable future, for handshake hooks.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A connection handshake run before a connection carries calls: a version
/// or shared-token check, say (Stockings' `handshake()` hook).
///
/// Both methods exchange frames of the protocol through [`HandshakeConn`]
/// and return `Err(reason)` to refuse; the connection then closes and every
/// call waiting for it fails with [`CallError::Handshake`].
pub trait Handshake<P>: Send + Sync + 'static {
    /// The client's side, run right after connecting.
    fn client<'a>(&'a self, conn: &'a mut HandshakeConn<P>) -> BoxFuture<'a, Result<(), String>>;
    /// The server's side, run right after accepting.
    fn server<'a>(&'a self, conn: &'a mut HandshakeConn<P>) -> BoxFuture<'a, Result<(), String>>;
}

/// TCP keepalive settings applied to every connection.
///
/// Start from [`Keepalive::default`] and change what you need with the
/// `with_*` methods; the fields stay public for reading.
///
/// ```
/// use std::time::Duration;
/// use codec::rpc::Keepalive;
///
/// let ka = Keepalive::default()
///     .with_time(Duration::from_secs(30))
///     .with_retries(3);
/// assert_eq!((ka.time, ka.retries), (Duration::from_secs(30), 3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Keepalive {
    /// Idle time before the first probe.
    pub time: Duration,
    /// Time between probes.
    pub interval: Duration,
    /// Unanswered probes before the connection is declared dead.
    pub retries: u32,
}

impl Default for Keepalive {
    fn default() -> Self {
        Keepalive {
            time: Duration::from_secs(60),
            interval: Duration::from_secs(10),
            retries: 5,
        }
    }
}

impl Keepalive {
    /// Idle time before the first probe (default 60 s).
    #[must_use = "`with_time` returns the changed settings"]
    pub fn with_time(mut self, time: Duration) -> Self {
        self.time = time;
        self
    }

    /// Time between probes (default 10 s).
    #[must_use = "`with_interval` returns the changed settings"]
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Unanswered probes before the connection is declared dead (default 5).
    #[must_use = "`with_retries` returns the changed settings"]
    pub fn with_retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }
}

fn apply_keepalive(stream: &tokio::net::TcpStream, ka: Option<Keepalive>) -> io::Result<()> {
    stream.set_nodelay(true)?;
    if let Some(ka) = ka {
        let params = socket2::TcpKeepalive::new()
            .with_time(ka.time)
            .with_interval(ka.interval)
            .with_retries(ka.retries);
        socket2::SockRef::from(stream).set_tcp_keepalive(&params)?;
    }
    Ok(())
}
