//! The state a client's handle, its calls and its background task share:
//! the tags in flight with their waiting calls, where frames go, and
//! whether the client is closing or has ended.

use std::string::String;
use std::vec::Vec;

use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{mpsc, oneshot, Notify};

use super::ClientConfig;
use crate::rpc::conn::Outgoing;
use crate::rpc::tags::Tags;
use crate::rpc::{CallError, Counters};

/// A call waiting for its reply.
pub(super) struct Waiter<P> {
    pub(super) tx: oneshot::Sender<Result<P, CallError>>,
    /// The encoded request, kept for idempotent calls to resend.
    pub(super) resend: Option<Arc<Vec<u8>>>,
    /// The request was queued on a connection. A call holds its tag before
    /// it has encoded its request; if the connection breaks in between,
    /// the request went nowhere and is sent on the next connection.
    pub(super) sent: bool,
}

/// State shared by the client handle, its calls and its connection task.
pub(super) struct Shared<P> {
    state: Mutex<State<P>>,
    /// Wakes calls waiting for a free tag.
    pub(super) tag_freed: Notify,
    /// Wakes `close()` when the last call finishes.
    pub(super) idle: Notify,
    pub(super) counters: Counters,
    pub(super) config: ClientConfig<P>,
    /// The notification stream was taken: deliver with back-pressure.
    pub(super) notes_taken: AtomicBool,
    /// Replies delivered since the writer last wrote: their callers may be
    /// about to send again, so the writer waits a moment for them.
    pub(super) replied: AtomicUsize,
}

pub(super) struct State<P> {
    pub(super) tags: Tags<Waiter<P>>,
    /// `close()` was called.
    pub(super) closing: bool,
    /// The connection ended for good; new calls fail with this.
    pub(super) ended: Option<EndReason>,
    /// Where frames for the current connection go.
    pub(super) out: mpsc::UnboundedSender<Outgoing>,
}

/// Why the client ended for good.
#[derive(Debug, Clone)]
pub(super) enum EndReason {
    Closed,
    Handshake(String),
}

impl EndReason {
    /// The error calls get once the client has ended.
    pub(super) fn error(&self) -> CallError {
        match self {
            EndReason::Closed => CallError::ConnectionClosed,
            EndReason::Handshake(why) => CallError::Handshake(why.clone()),
        }
    }
}

impl<P> Shared<P> {
    pub(super) fn new(
        config: ClientConfig<P>,
        tags: Tags<Waiter<P>>,
        out: mpsc::UnboundedSender<Outgoing>,
    ) -> Self {
        Shared {
            state: Mutex::new(State {
                tags,
                closing: false,
                ended: None,
                out,
            }),
            tag_freed: Notify::new(),
            idle: Notify::new(),
            counters: Counters::default(),
            config,
            notes_taken: AtomicBool::new(false),
            replied: AtomicUsize::new(0),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State<P>> {
        // A panic while holding the lock cannot leave the state half-updated
        // in a way later calls depend on, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stops new calls (and pings) and lets the writer finish and
    /// half-close: its sender is replaced with a closed one.
    pub(super) fn stop_sending(&self) {
        let mut st = self.lock();
        st.closing = true;
        let (dead, _) = mpsc::unbounded_channel();
        st.out = dead;
    }

    /// Fails every waiting call and refuses new ones.
    pub(super) fn end(&self, reason: EndReason) {
        let mut st = self.lock();
        for (_, w) in st.tags.drain() {
            let _ = w.tx.send(Err(reason.error()));
        }
        st.ended = Some(reason);
        drop(st);
        self.tag_freed.notify_waiters();
        self.idle.notify_waiters();
    }
}
