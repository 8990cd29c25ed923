//! Example protocols built on `codec`: a storage service of its own, and
//! two existing protocols rebuilt so that they interoperate with their
//! Python originals.
//!
//! ```text
//! storage/       the storage service: protocol, server, client, CLI, engine (`db/`)
//! packetstream/  cs.packetstream: bidirectional packet connections
//! mqtt/          MQTT 3.1.1 and 5.0: packets, broker, client
//! stockings/     Stockings: complete-message sockets, blocking and tokio
//! pg/            PostgreSQL protocol 3.0: every message, an async client, pg-peer's CLI
//! bin/           storage, storage-soak, packetstream-peer, stockings-peer, codec-tour, pg-peer
//! ```
#![warn(missing_docs)]

pub mod mqtt;
pub mod packetstream;
pub mod pg;
pub mod stockings;
pub mod storage;

/// The workspace README, compiled and run as a doctest so that its
/// examples stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
