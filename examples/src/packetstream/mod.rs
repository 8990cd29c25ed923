//! cs.packetstream (Cameron Simpson's bidirectional packet connection),
//! rebuilt on `codec` and interoperable with the Python original.
//!
//! - [`wire`]: the frame as a [`Header`](codec::Header) ([`PacketHeader`],
//!   a BSUInt length) and the body as a derived message ([`Packet`]:
//!   `vlq` integers, a channel and an rq_type present `when` flag bits say,
//!   the payload the `rest`).
//! - [`wire::Rules`]: which packets are requests, responses and the end,
//!   declared to `codec::rpc` with `#[codec(correlate = Rules)]`.
//! - [`conn`]: the connection, on `codec::rpc`'s engine (the same for
//!   both roles): [`PacketConnection::submit`] returns `(ok, flags,
//!   payload)`, a [`Handler`] answers the peer's requests (on either
//!   side), responses come in any order, and the connection ends with
//!   the ERQ/EOF exchange in either direction; [`PacketRules`] holds
//!   packetstream's own checks and closing rules.
//! - [`demo`]: the handlers of the `packetstream-peer` binary.
//! - [`dissector`]: its Wireshark dissector, generated from the layouts.
//!
//! The server side keeps its own [`Handler`] rather than a generated
//! service trait (`#[codec(service = ..)]`, see `codec::dispatch`): the
//! protocol has one message, [`Packet`], and a request's kind is the value
//! of its `rq_type` field, chosen at run time by the peer (cs.packetstream
//! registers handlers by number), not a message id with a variant the
//! derive could give a method; and a packet is answered by a response
//! packet or a failure, not by a typed `response` message.
//!
//! ```
//! use codec_examples::packetstream::{demo, Config, PacketConnection, PacketServer};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let server = PacketServer::bind("127.0.0.1:0", Config::default(), demo::handler())
//!     .await
//!     .unwrap();
//! let addr = server.local_addr().unwrap();
//! let handle = server.serve();
//! let client = PacketConnection::connect(addr, Config::default()).await.unwrap();
//! let resp = client.request(demo::UPPER, 0, "hello").await.unwrap();
//! assert_eq!((resp.ok, resp.flags, &resp.payload[..]), (true, 5, &b"HELLO"[..]));
//! let fail = client.request(demo::FAIL, 0, "x").await.unwrap();
//! assert!(!fail.ok);
//! assert!(client.close().await.is_clean());
//! let summaries = handle.shutdown().await;
//! assert!(summaries[0].is_clean());
//! # }
//! ```

pub mod conn;
pub mod dissector;
pub mod wire;

pub use self::conn::{
    BoxFuture, Config, ConnError, Failure, Handler, PacketConnection, PacketRules, PacketServer,
    PendingResponse, Reply, Request, RequestError, Response, ServerHandle, Stats, Summary,
};
pub use self::wire::{Packet, PacketBuildError, PacketHeader, PacketStream, Rules};

/// The request handlers both `packetstream-peer serve` and the Python
/// driver (`examples/peers/packetstream_peer.py`) implement.
pub mod demo {
    use std::sync::Arc;
    use std::time::Duration;

    use super::{Failure, Handler, Reply, Request};

    /// Answers flags 5 and the payload upper-cased (ASCII).
    pub const UPPER: u64 = 0;
    /// Always fails: a failure response.
    pub const FAIL: u64 = 1;
    /// Waits [`SLOW_DELAY`], then echoes the payload with flags 0.
    pub const SLOW: u64 = 2;
    /// How long [`SLOW`] waits.
    pub const SLOW_DELAY: Duration = Duration::from_millis(300);
    /// The failure reason of [`FAIL`] (cs.packetstream's text for a
    /// handler that raised).
    pub const FAIL_REASON: &str = "exception during handler";

    /// The three handlers; other rq_types fail with `unknown rq_type N`.
    pub fn handler() -> Arc<dyn Handler> {
        Arc::new(|req: Request| async move {
            match req.rq_type {
                UPPER => Ok(Reply::new(5, req.payload.to_ascii_uppercase())),
                FAIL => Err(Failure::from(FAIL_REASON)),
                SLOW => {
                    tokio::time::sleep(SLOW_DELAY).await;
                    Ok(Reply::new(0, req.payload))
                }
                other => Err(Failure(format!("unknown rq_type {other}"))),
            }
        })
    }
}
