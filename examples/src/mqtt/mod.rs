//! MQTT 3.1.1 and 5.0 on the framework: the control packets described
//! with the derive, a broker and a client.
//!
//! ```text
//! packet.rs   every control packet; `Packet` (5.0) and `Packet311` (3.1.1)
//! props.rs    5.0 properties
//! topic.rs    topic names, filters, matching, shared subscriptions
//! reason.rs   return and reason codes
//! session.rs  the per-session state machine (ids, windows, QoS 2), no sockets
//! broker.rs   the broker: shared state, one task per connection
//! client.rs   a small client API, on `codec::rpc`
//! correlate.rs which packets are requests, responses, one-way (`Rules`)
//! bench.rs    the load client of `mqtt-peer bench`
//! index.rs    the broker's subscription index (exact filters hashed, wildcards listed)
//! ```

pub mod bench;
pub mod broker;
pub mod client;
pub mod correlate;
pub mod index;
pub mod packet;
pub mod props;
pub mod reason;
pub mod session;
pub mod topic;

pub use packet::{FixedHeader, Packet, Packet311};

#[cfg(test)]
mod tests;
