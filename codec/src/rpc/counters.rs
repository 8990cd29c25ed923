//! Counters kept by a client or a server, and their snapshot.

use std::sync::atomic::{AtomicU64, Ordering};

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
    writes: AtomicU64,
    reverse_requests: AtomicU64,
    reverse_responses: AtomicU64,
    unhandled: AtomicU64,
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
    /// Batches written to sockets, each of one or more frames (frames
    /// sent ÷ `writes` is how well replies are batched).
    pub writes: u64,
    /// Requests in the other direction: sent by the server to its peers
    /// ([`Peer::call`](super::Peer::call)), or received by the client and
    /// handed to its handler.
    pub reverse_requests: u64,
    /// Responses in the other direction: matched to a server's call, or
    /// sent by the client's handler.
    pub reverse_responses: u64,
    /// Requests dropped because the side has no handler for them (a
    /// client without [`ClientConfig::with_handler`](super::ClientConfig::with_handler)).
    pub unhandled: u64,
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
    bytes_out,
    writes,
    reverse_requests,
    reverse_responses,
    unhandled
);
