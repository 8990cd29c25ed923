//! The storage service: the reference application of the framework.
//!
//! A persistent key/value server speaking the striptease tutorial's
//! protocol (kept byte for byte) plus delete, list, watch and chunked
//! transfers, over [`codec::rpc`].
//!
//! ```text
//! protocol.rs  the messages, their ids and status codes (the wire format); which are requests
//! server.rs    `StorageService` (generated from the protocol): one method per request over `Db`, watchers, the token handshake
//! stats.rs     requests and errors by message; the stats list, its Prometheus text
//! metrics.rs   `serve --metrics ADDR`: the Prometheus text over a small HTTP listener
//! client.rs    the typed client: small values in one call, large ones in chunks
//! cli.rs       the `storage` command line (serve, put, get, del, ls, watch, ...)
//! bench.rs     `storage bench`: a load generator with latency percentiles
//! demo.rs      `storage demo`: a server and a scripted conversation in one process
//! db/          the storage engine behind the `Db` handle (its own map in `db`)
//! ```

pub mod bench;
pub mod cli;
pub mod client;
pub mod db;
pub mod demo;
pub mod metrics;
pub mod protocol;
pub mod server;
pub mod stats;
