//! Replies given later ([`Later`]): a request taken by
//! [`Handler::handle_later`](super::Handler::handle_later) is answered
//! through a handle that may go anywhere (another thread, a batch that
//! completes many requests at once), with no future per request. Its
//! answer waits in the connection's [`Answers`] until the connection's
//! task takes it, with the other answers ready then, into one write.

use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::vec::Vec;

use tokio::sync::OwnedSemaphorePermit;

use crate::Protocol;

/// The answer to one peer request, to give later, from anywhere: the
/// request's tag and its in-flight slot, and the way back to its
/// connection.
///
/// [`answer`](Later::answer) queues the reply (with the request's tag
/// copied into it) for the connection's task, which writes it with the
/// other replies ready by then; the first answer of a batch wakes that
/// task, the others find it awake. Dropped unanswered, the request gets
/// no reply (like a handler returning `None`), and its in-flight slot is
/// freed. A connection that ended meanwhile drops the reply.
///
/// The connection's drain waits for its `Later`s (within its grace), as
/// it waits for the handlers that wait.
#[must_use = "a `Later` dropped unanswered sends no reply"]
pub struct Later<P> {
    tag: Option<u64>,
    /// `None` once answered.
    permit: Option<OwnedSemaphorePermit>,
    answers: Arc<Answers<P>>,
}

impl<P: Protocol> Later<P> {
    /// Sends `reply` to the request, with the request's tag.
    pub fn answer(mut self, mut reply: P) {
        if let Some(tag) = self.tag {
            reply.set_tag(tag);
        }
        let Some(permit) = self.permit.take() else {
            unreachable!("a `Later` is answered once: `answer` takes it")
        };
        let waker = {
            let mut ready = self.answers.lock();
            ready.replies.push((reply, permit));
            ready.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<P> Later<P> {
    /// The request's correlation tag, if it has one.
    pub fn tag(&self) -> Option<u64> {
        self.tag
    }
}

impl<P> Drop for Later<P> {
    fn drop(&mut self) {
        if self.permit.is_none() {
            return;
        }
        // Unanswered: the connection stops waiting for it.
        let waker = {
            let mut ready = self.answers.lock();
            ready.dropped += 1;
            ready.waker.take()
        };
        self.permit = None;
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<P> std::fmt::Debug for Later<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Later").field("tag", &self.tag).finish()
    }
}

/// One connection's answers given through [`Later`]s, until its task
/// takes them. One lock per answer, shared with the task's taking, and
/// with the waker: the task registers under the same lock it finds the
/// queue empty under, so no answer slips between the two.
pub(crate) struct Answers<P>(Mutex<Ready<P>>);

/// The replies ready, the `Later`s dropped unanswered since the task last
/// looked, and the task's waker while it waits.
struct Ready<P> {
    replies: Vec<(P, OwnedSemaphorePermit)>,
    dropped: usize,
    waker: Option<Waker>,
}

impl<P> Answers<P> {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Answers(Mutex::new(Ready {
            replies: Vec::new(),
            dropped: 0,
            waker: None,
        })))
    }

    /// A `Later` for a request with `tag`, holding its slot.
    pub(crate) fn later(
        self: &Arc<Self>,
        tag: Option<u64>,
        permit: OwnedSemaphorePermit,
    ) -> Later<P> {
        Later {
            tag,
            permit: Some(permit),
            answers: Arc::clone(self),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Ready<P>> {
        // Nothing panics while holding it.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves what is ready into `into` (empty) and returns the count of
    /// `Later`s settled (answered or dropped), 0 if none; with `cx`,
    /// registers the task's waker when there is nothing.
    pub(crate) fn take(
        &self,
        into: &mut Vec<(P, OwnedSemaphorePermit)>,
        cx: Option<&mut Context<'_>>,
    ) -> usize {
        debug_assert!(into.is_empty(), "the replies taken before were all sent");
        let mut ready = self.lock();
        let settled = ready.replies.len() + ready.dropped;
        if settled == 0 {
            if let Some(cx) = cx {
                if !ready
                    .waker
                    .as_ref()
                    .is_some_and(|w| w.will_wake(cx.waker()))
                {
                    ready.waker = Some(cx.waker().clone());
                }
            }
            return 0;
        }
        ready.dropped = 0;
        std::mem::swap(&mut ready.replies, into);
        settled
    }

    /// [`take`](Self::take) as a future: ready once something settled.
    pub(crate) fn settled<'a>(
        &'a self,
        into: &'a mut Vec<(P, OwnedSemaphorePermit)>,
    ) -> impl std::future::Future<Output = usize> + 'a {
        std::future::poll_fn(move |cx| match self.take(into, Some(cx)) {
            0 => Poll::Pending,
            n => Poll::Ready(n),
        })
    }
}
