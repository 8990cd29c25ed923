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

use std::boxed::Box;
use std::string::String;

mod client;
mod conn;
mod server;
mod tags;

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use self::client::{CallOptions, Client, ClientConfig, Notifications, ReconnectPolicy};
pub use self::conn::HandshakeConn;
pub use self::server::{Dispatcher, Handler, Peer, RequestCtx, Server, ServerConfig, ServerHandle};

use crate::error::{DecodeError, EncodeError};

/// A boxed, sendable future, for handshake hooks.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// No reply within the call's deadline. The tag stays quarantined until
    /// the late reply arrives (then it is dropped and counted) or the
    /// quarantine time passes.
    #[error("call timed out after {0:?}")]
    Timeout(Duration),
    /// The connection ended before the reply came.
    #[error("connection closed before the reply arrived")]
    ConnectionClosed,
    /// The connection broke, a new one was made, and this request was not
    /// resent because it is not marked idempotent: it may or may not have
    /// been executed.
    #[error("connection lost before the reply; not resent because the call is not idempotent")]
    NotIdempotent,
    /// `close()` was called: the client takes no new calls.
    #[error("client is closed; no new calls are accepted")]
    Closed,
    /// The handshake failed, so the connection carried no calls.
    #[error("handshake failed: {0}")]
    Handshake(String),
    /// The request could not be encoded.
    #[error("request cannot be encoded: {0}")]
    Encode(#[from] EncodeError),
    /// The request has no `#[codec(tag)]` field (or the tag does not fit).
    #[error("request `{0}` has no tag field to correlate its reply")]
    Untagged(&'static str),
    /// The reply was another message than the request's response type.
    #[error("unexpected reply `{got}` (expected `{expected}`)")]
    UnexpectedReply {
        /// The reply's message name.
        got: &'static str,
        /// The response type's name.
        expected: &'static str,
    },
    /// The peer sent something that does not decode; the connection ended.
    #[error("protocol error from peer: {0}")]
    Protocol(DecodeError),
    /// A socket error.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
}

/// Why a connection ended, as seen by the side that ends it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnError {
    /// The peer sent bytes that do not decode as a frame of the protocol.
    #[error("undecodable frame: {0}")]
    Decode(#[from] DecodeError),
    /// A frame header declared more than the configured maximum.
    #[error("frame of {len} bytes is over the limit of {max}")]
    FrameTooLarge {
        /// Declared frame length.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// The peer closed the connection in the middle of a frame.
    #[error("peer closed mid-frame ({have} bytes of an unfinished frame)")]
    Truncated {
        /// Bytes of the unfinished frame received.
        have: usize,
    },
    /// No frame started within the idle limit.
    #[error("idle for {0:?}")]
    Idle(Duration),
    /// A started frame was not finished within the limit.
    #[error("frame not finished within {0:?}")]
    FrameTimeout(Duration),
    /// The handshake was refused or failed.
    #[error("handshake failed: {0}")]
    Handshake(String),
    /// A socket error.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
}

/// Counters kept by a client or a server, readable at any time.
#[derive(Debug, Default)]
pub struct Counters {
    requests: AtomicU64,
    responses: AtomicU64,
    notifications: AtomicU64,
    unsolicited: AtomicU64,
    late: AtomicU64,
    timeouts: AtomicU64,
    reconnects: AtomicU64,
    resent: AtomicU64,
    connections: AtomicU64,
    refused: AtomicU64,
    closed_on_error: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
}

/// A copy of [`Counters`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CounterSnapshot {
    /// Requests sent (client) or received (server).
    pub requests: u64,
    /// Replies matched to a call (client) or sent (server).
    pub responses: u64,
    /// Notifications received (client) or pushed (server).
    pub notifications: u64,
    /// Replies dropped because no call had their tag (unsolicited or
    /// duplicate).
    pub unsolicited: u64,
    /// Replies dropped because their call had timed out or been dropped.
    pub late: u64,
    /// Calls that timed out.
    pub timeouts: u64,
    /// Successful reconnections.
    pub reconnects: u64,
    /// Idempotent requests resent after a reconnection.
    pub resent: u64,
    /// Connections made (client) or accepted (server).
    pub connections: u64,
    /// Connections refused at the connection limit (server).
    pub refused: u64,
    /// Connections ended by an error (bad frame, limit, timeout).
    pub closed_on_error: u64,
    /// Bytes read from sockets.
    pub bytes_in: u64,
    /// Bytes written to sockets.
    pub bytes_out: u64,
}

impl CounterSnapshot {
    /// All dropped replies: unsolicited, duplicate and late.
    pub fn dropped(&self) -> u64 {
        self.unsolicited + self.late
    }
}

macro_rules! counter_fns {
    ($($field:ident),*) => {
        impl Counters {
            $(
                pub(crate) fn $field(&self, n: u64) {
                    self.$field.fetch_add(n, Ordering::Relaxed);
                }
            )*

            /// The current values.
            pub fn snapshot(&self) -> CounterSnapshot {
                CounterSnapshot { $($field: self.$field.load(Ordering::Relaxed)),* }
            }
        }
    };
}
counter_fns!(
    requests,
    responses,
    notifications,
    unsolicited,
    late,
    timeouts,
    reconnects,
    resent,
    connections,
    refused,
    closed_on_error,
    bytes_in,
    bytes_out
);

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
