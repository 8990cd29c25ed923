//! One call: wait for a free tag, send the request, wait for the reply with
//! that tag (within the deadline). Used by [`Client`](super::Client)'s
//! calls and by the background task's pings.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::shared::{Shared, Waiter};
use super::CallOptions;
use crate::rpc::conn;
use crate::rpc::CallError;
use crate::{DecodeProtocol, Protocol};

/// A tag and the receiver its reply arrives on.
type Taken<P> = (u64, oneshot::Receiver<Result<P, CallError>>);

/// Sends `req` on the shared connection and waits for the reply with its
/// tag (see [`Client::call_raw`](super::Client::call_raw)).
pub(super) async fn call<P>(
    shared: &Arc<Shared<P>>,
    mut req: P,
    opts: CallOptions,
) -> Result<P, CallError>
where
    P: Protocol + for<'de> DecodeProtocol<'de> + Send + 'static,
{
    if req.tag().is_none() {
        return Err(CallError::Untagged(req.name()));
    }
    let timeout = opts.timeout.or(shared.config.default_timeout);
    let call = async {
        let (tag, rx) = take_tag(shared).await?;
        let mut guard = CallGuard {
            shared,
            tag,
            armed: true,
        };
        if !req.set_tag(tag) {
            guard.release();
            return Err(CallError::Untagged(req.name()));
        }
        let frame = match conn::encode_frame(&req) {
            Ok(frame) => frame,
            Err(e) => {
                guard.release();
                return Err(e.into());
            }
        };
        {
            let mut st = shared.lock();
            // No waiter: the connection ended and the call has been failed
            // (its tag may already be someone else's): send nothing.
            if let Some(w) = st.tags.waiter_mut(tag) {
                if opts.idempotent {
                    w.resend = Some(Arc::clone(&frame));
                }
                w.sent = true;
                // A send error means the connection task is gone; it fails
                // the waiter.
                let _ = st.out.send(frame.into());
            }
        }
        shared.counters.requests(1);
        let result = rx.await.unwrap_or(Err(CallError::ConnectionClosed));
        guard.armed = false;
        result
    };
    match timeout {
        None => call.await,
        Some(limit) => match tokio::time::timeout(limit, call).await {
            Ok(result) => result,
            Err(_) => {
                shared.counters.timeouts(1);
                Err(CallError::Timeout(limit))
            }
        },
    }
}

/// Waits for a free tag (back-pressure when every tag is in flight).
async fn take_tag<P>(shared: &Shared<P>) -> Result<Taken<P>, CallError> {
    loop {
        // Usually a tag is free: take it without registering for a wakeup
        // (registering takes the `Notify`'s own lock, twice per call).
        if let Some(taken) = try_take_tag(shared)? {
            return Ok(taken);
        }
        let freed = shared.tag_freed.notified();
        tokio::pin!(freed);
        freed.as_mut().enable();
        // Again, now that a release cannot be missed.
        if let Some(taken) = try_take_tag(shared)? {
            return Ok(taken);
        }
        // Quarantined tags free themselves with time, not with a reply.
        let q = shared.config.tag_quarantine.max(Duration::from_millis(10));
        let _ = tokio::time::timeout(q, freed).await;
    }
}

fn try_take_tag<P>(shared: &Shared<P>) -> Result<Option<Taken<P>>, CallError> {
    let mut st = shared.lock();
    if st.closing {
        return Err(CallError::Closed);
    }
    if let Some(reason) = &st.ended {
        return Err(reason.error());
    }
    let (tx, rx) = oneshot::channel();
    let waiter = Waiter {
        tx,
        resend: None,
        sent: false,
    };
    let (tag, expired) = st.tags.take(waiter, Instant::now);
    drop(st);
    if expired > 0 {
        shared.tag_freed.notify_waiters();
    }
    Ok(tag.map(|tag| (tag, rx)))
}

/// Quarantines a call's tag if the call goes away before its reply.
struct CallGuard<'a, P> {
    shared: &'a Shared<P>,
    tag: u64,
    armed: bool,
}

impl<P> CallGuard<'_, P> {
    /// Frees the tag at once (the request was never sent).
    fn release(&mut self) {
        self.armed = false;
        let mut st = self.shared.lock();
        let _ = st.tags.complete(self.tag);
        drop(st);
        self.shared.tag_freed.notify_one();
        self.shared.idle.notify_waiters();
    }
}

impl<P> Drop for CallGuard<'_, P> {
    fn drop(&mut self) {
        if self.armed {
            let mut st = self.shared.lock();
            st.tags.abandon(self.tag, Instant::now());
            drop(st);
            self.shared.tag_freed.notify_one();
            self.shared.idle.notify_waiters();
        }
    }
}
