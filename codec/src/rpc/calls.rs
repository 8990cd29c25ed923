//! The requests one side of a connection sends and waits on: tags in
//! flight with their waiting calls, where frames go, and whether the side
//! is closing or has ended. The dialling side's [`Client`](super::Client)
//! and the accepting side's [`Peer`](super::Peer) both call through it.
//!
//! A call takes a free tag (waiting when every tag is in flight), sends the
//! request, and waits for the response with that tag, within its deadline;
//! a call that gives up (timeout or drop) leaves its tag in quarantine.

use std::string::String;
use std::vec::Vec;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, Notify};

use super::conn;
use super::tags::{Completion, Tags};
use super::{CallError, CallOptions, Counters};
use crate::{Correlation, Message, Protocol, Request};

/// Which of the counters a side's calls count in: the dialling side's
/// calls are `requests`/`responses` (as they always were), the accepting
/// side's are `reverse_requests`/`reverse_responses`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Dialling,
    Accepting,
}

/// How a side's calls behave.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallSettings {
    /// Deadline for calls that set none.
    pub(crate) default_timeout: Option<Duration>,
    /// Calls in flight at once.
    pub(crate) max_in_flight: usize,
    /// How long a given-up call's tag waits for its late reply.
    pub(crate) tag_quarantine: Duration,
    /// Largest tag drawn, when the protocol's tag fields do not say it
    /// (`Protocol::TAG_MAX`).
    pub(crate) tag_max: Option<u64>,
}

/// A call waiting for its reply.
pub(crate) struct Waiter<P> {
    pub(crate) tx: oneshot::Sender<Result<P, CallError>>,
    /// The encoded request, kept for idempotent calls to resend.
    pub(crate) resend: Option<Arc<Vec<u8>>>,
    /// The request was queued on a connection. A call holds its tag before
    /// it has encoded its request; if the connection breaks in between,
    /// the request went nowhere and is sent on the next connection.
    pub(crate) sent: bool,
    /// A call on a [`HeldTag`]: its reply leaves the tag held, not free.
    pub(crate) held: bool,
}

/// The calls of one side, shared by its handles, its calls and its
/// connection.
pub(crate) struct Calls<P> {
    state: Mutex<State<P>>,
    /// Wakes calls waiting for a free tag.
    pub(crate) tag_freed: Notify,
    /// Wakes whoever waits for the last call to finish (close, drain).
    pub(crate) idle: Notify,
    pub(crate) counters: Arc<Counters>,
    pub(crate) settings: CallSettings,
    side: Side,
    /// Replies delivered since the writer last wrote: their callers may be
    /// about to send again, so the writer waits a moment for them.
    pub(crate) replied: AtomicUsize,
    /// Responses that matched no call, on these calls' connections.
    pub(crate) unsolicited: AtomicU64,
    /// When the connection's writer last wrote (kept only when the
    /// connection pings).
    pub(crate) clock: conn::WriteClock,
}

pub(crate) struct State<P> {
    pub(crate) tags: Tags<Waiter<P>>,
    /// No new calls: `close()` was called or the connection drains.
    pub(crate) closing: bool,
    /// The connection ended for good; new calls fail with this.
    pub(crate) ended: Option<EndReason>,
    /// Where frames for the current connection go.
    pub(crate) out: conn::Out,
}

/// Why a side's calls ended for good.
#[derive(Debug, Clone)]
pub(crate) enum EndReason {
    Closed,
    Handshake(String),
}

impl EndReason {
    /// The error calls get once the side has ended.
    pub(crate) fn error(&self) -> CallError {
        match self {
            EndReason::Closed => CallError::ConnectionClosed,
            EndReason::Handshake(why) => CallError::Handshake(why.clone()),
        }
    }
}

impl<P: Protocol> Calls<P> {
    pub(crate) fn new(
        settings: CallSettings,
        side: Side,
        counters: Arc<Counters>,
        out: conn::Out,
    ) -> Self {
        let tags = Tags::new(
            P::FIRST_TAG,
            settings.tag_max.unwrap_or(P::TAG_MAX),
            settings.max_in_flight,
            settings.tag_quarantine,
        );
        Calls {
            state: Mutex::new(State {
                tags,
                closing: false,
                ended: None,
                out,
            }),
            tag_freed: Notify::new(),
            idle: Notify::new(),
            counters,
            settings,
            side,
            replied: AtomicUsize::new(0),
            unsolicited: AtomicU64::new(0),
            clock: conn::WriteClock::new(),
        }
    }
}

impl<P> Calls<P> {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State<P>> {
        // A panic while holding the lock cannot leave the state half-updated
        // in a way later calls depend on, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Calls still waiting for their replies.
    pub(crate) fn waiting(&self) -> usize {
        self.lock().tags.waiting()
    }

    /// Stops new calls and lets the writer finish and half-close: the
    /// sender is replaced with a closed one.
    pub(crate) fn stop_sending(&self) {
        let mut st = self.lock();
        st.closing = true;
        let (dead, _) = conn::queue();
        st.out = dead;
    }

    /// Fails every waiting call and refuses new ones.
    pub(crate) fn end(&self, reason: EndReason) {
        let mut st = self.lock();
        for (_, w) in st.tags.drain() {
            let _ = w.tx.send(Err(reason.error()));
        }
        st.ended = Some(reason);
        drop(st);
        self.tag_freed.notify_waiters();
        self.idle.notify_waiters();
    }

    fn count_request(&self) {
        match self.side {
            Side::Dialling => self.counters.requests(1),
            Side::Accepting => self.counters.reverse_requests(1),
        }
    }

    fn count_response(&self) {
        match self.side {
            Side::Dialling => self.counters.responses(1),
            Side::Accepting => self.counters.reverse_responses(1),
        }
    }

    /// The response to our request `tag` arrived: wakes its call, or
    /// drops and counts a late or unsolicited one.
    pub(crate) fn deliver(&self, tag: u64, msg: P)
    where
        P: Protocol,
    {
        let (completion, closing) = {
            let mut st = self.lock();
            let completion = st.tags.complete(tag);
            if matches!(&completion, Completion::Waiting(w) if w.held) {
                st.tags.park(tag);
            }
            (completion, st.closing)
        };
        match completion {
            Completion::Waiting(w) => {
                self.count_response();
                self.replied.fetch_add(1, Ordering::Relaxed);
                let _ = w.tx.send(Ok(msg));
            }
            Completion::Late => {
                self.counters.late(1);
                tracing::debug!(tag, name = msg.name(), "late reply dropped");
            }
            Completion::Unknown => {
                self.counters.unsolicited(1);
                self.unsolicited.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(
                    tag,
                    name = msg.name(),
                    "unsolicited or duplicate reply dropped"
                );
            }
        }
        self.tag_freed.notify_one();
        if closing {
            self.idle.notify_waiters();
        }
    }
}

/// A request sent at once by [`Client::submit`](super::Client::submit):
/// a future of its response, with no deadline of its own (wrap it in
/// `tokio::time::timeout` for one). Dropping it gives the call up: its tag
/// is quarantined and a late response is dropped and counted.
#[must_use = "the response arrives only through this future; dropping it gives the call up"]
pub struct PendingCall<P> {
    calls: Arc<Calls<P>>,
    tag: u64,
    rx: oneshot::Receiver<Result<P, CallError>>,
    done: bool,
}

impl<P> PendingCall<P> {
    /// The request's tag.
    pub fn tag(&self) -> u64 {
        self.tag
    }
}

impl<P> std::fmt::Debug for PendingCall<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingCall")
            .field("tag", &self.tag)
            .finish()
    }
}

impl<P> std::future::Future for PendingCall<P> {
    type Output = Result<P, CallError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let this = &mut *self;
        let r = std::task::ready!(std::pin::Pin::new(&mut this.rx).poll(cx));
        this.done = true;
        std::task::Poll::Ready(r.unwrap_or(Err(CallError::ConnectionClosed)))
    }
}

impl<P> Drop for PendingCall<P> {
    fn drop(&mut self) {
        if !self.done {
            abandon(&self.calls, self.tag);
        }
    }
}

/// Sends `req` now, in the order of the calls to this function, and
/// returns its pending response; [`CallError::Busy`] when every tag is in
/// flight (it does not wait for one).
pub(crate) fn submit<P: Protocol>(
    calls: &Arc<Calls<P>>,
    req: P,
    idempotent: bool,
) -> Result<PendingCall<P>, CallError> {
    check_request(&req)?;
    let (tag, rx) = try_take_tag(calls)?.ok_or(CallError::Busy)?;
    let mut guard = CallGuard {
        calls,
        tag,
        armed: true,
    };
    send(calls, req, tag, idempotent).inspect_err(|_| guard.release())?;
    guard.armed = false;
    Ok(PendingCall {
        calls: Arc::clone(calls),
        tag,
        rx,
        done: false,
    })
}

/// A tag and the receiver its reply arrives on.
type Taken<P> = (u64, oneshot::Receiver<Result<P, CallError>>);

/// Sends `req` and waits for the response with its tag, within the
/// deadline (`opts.timeout`, else the side's default). Dropping the future
/// cancels the call: its tag is quarantined.
pub(crate) async fn call<P: Protocol>(
    calls: &Calls<P>,
    req: P,
    opts: CallOptions,
) -> Result<P, CallError> {
    check_request(&req)?;
    let timeout = opts.timeout.or(calls.settings.default_timeout);
    let call = async {
        let (tag, rx) = take_tag(calls).await?;
        let mut guard = CallGuard {
            calls,
            tag,
            armed: true,
        };
        send(calls, req, tag, opts.idempotent).inspect_err(|_| guard.release())?;
        let result = rx.await.unwrap_or(Err(CallError::ConnectionClosed));
        guard.armed = false;
        result
    };
    match timeout {
        None => call.await,
        Some(limit) => match tokio::time::timeout(limit, call).await {
            Ok(result) => result,
            Err(_) => {
                calls.counters.timeouts(1);
                Err(CallError::Timeout(limit))
            }
        },
    }
}

/// [`call`], and the reply as the request's response type.
pub(crate) async fn call_typed<P, R>(
    calls: &Calls<P>,
    req: R,
    opts: CallOptions,
) -> Result<R::Response, CallError>
where
    P: Protocol,
    R: Request + Into<P>,
    R::Response: TryFrom<P, Error = P>,
{
    let reply = call(calls, req.into(), opts).await?;
    R::Response::try_from(reply).map_err(|other| CallError::UnexpectedReply {
        got: other.name(),
        expected: <R::Response as Message>::NAME,
    })
}

/// A tag of this side's tag space held by its caller across several
/// calls: for protocols that send more than one request under one id
/// (MQTT's QoS 2: PUBLISH answered by PUBREC, then PUBREL under the same
/// packet identifier answered by PUBCOMP), and for requests whose tag the
/// derive cannot fill (an optional id field): build the request with
/// [`HeldTag::tag`] in it.
///
/// While held, the tag counts as a call in flight (the connection does
/// not idle, a drain waits for it, within its grace) and no other call
/// draws it. Each [`HeldTag::call`] waits for the response with the tag,
/// with a call's deadline, cancellation and quarantine: a call that gives
/// up quarantines the tag, and the hold cannot call again
/// ([`CallError::HoldLost`]). Dropping the hold frees the tag.
#[must_use = "the tag is held until this is dropped"]
pub struct HeldTag<P> {
    calls: Arc<Calls<P>>,
    tag: u64,
}

impl<P> std::fmt::Debug for HeldTag<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeldTag").field("tag", &self.tag).finish()
    }
}

impl<P: Protocol> HeldTag<P> {
    /// The tag: put it in the requests sent with [`HeldTag::call`].
    pub fn tag(&self) -> u64 {
        self.tag
    }

    /// Sends `req` under the held tag and waits for the response with it,
    /// within the deadline (`opts.timeout`, else the side's default). The
    /// tag is set with `Protocol::set_tag`; a request whose tag the
    /// derive cannot set must already carry it (its correlation says
    /// which). The tag stays held afterwards.
    ///
    /// # Errors
    ///
    /// As a call ([`CallError`]); [`CallError::HoldLost`] when an earlier
    /// call on this hold gave up; [`CallError::TagMismatch`] when `req`
    /// carries another tag.
    pub async fn call(&self, req: P, opts: CallOptions) -> Result<P, CallError> {
        check_request(&req)?;
        let calls = &*self.calls;
        let timeout = opts.timeout.or(calls.settings.default_timeout);
        let call = async {
            let (tx, rx) = oneshot::channel();
            {
                let mut st = calls.lock();
                if let Some(reason) = &st.ended {
                    return Err(reason.error());
                }
                let waiter = Waiter {
                    tx,
                    resend: None,
                    sent: false,
                    held: true,
                };
                if !st.tags.arm(self.tag, waiter) {
                    return Err(CallError::HoldLost(self.tag));
                }
            }
            let mut guard = CallGuard {
                calls,
                tag: self.tag,
                armed: true,
            };
            if let Err(e) = send(calls, req, self.tag, opts.idempotent) {
                // Nothing was sent: the tag is held again, not freed.
                guard.armed = false;
                let mut st = calls.lock();
                if st.tags.waiter_mut(self.tag).is_some() {
                    st.tags.park(self.tag);
                }
                return Err(e);
            }
            let result = rx.await.unwrap_or(Err(CallError::ConnectionClosed));
            guard.armed = false;
            result
        };
        // As in `call`: a shared helper future around `call` cost 130
        // instructions per round trip there (callgrind), so each keeps
        // its own.
        match timeout {
            None => call.await,
            Some(limit) => match tokio::time::timeout(limit, call).await {
                Ok(result) => result,
                Err(_) => {
                    calls.counters.timeouts(1);
                    Err(CallError::Timeout(limit))
                }
            },
        }
    }
}

impl<P> Drop for HeldTag<P> {
    fn drop(&mut self) {
        let mut st = self.calls.lock();
        st.tags.unhold(self.tag);
        drop(st);
        self.calls.tag_freed.notify_one();
        self.calls.idle.notify_waiters();
    }
}

/// Takes a free tag and holds it (waiting when every tag is in flight).
pub(crate) async fn hold<P>(calls: &Arc<Calls<P>>) -> Result<HeldTag<P>, CallError> {
    let (tag, _rx) = take_tag(calls).await?;
    calls.lock().tags.park(tag);
    Ok(HeldTag {
        calls: Arc::clone(calls),
        tag,
    })
}

/// A message a call can send: one that carries a tag for its response.
fn check_request<P: Protocol>(req: &P) -> Result<(), CallError> {
    match req.correlation() {
        Correlation::Request(_) | Correlation::Tagged(_) => Ok(()),
        _ => Err(CallError::Untagged(req.name())),
    }
}

/// Puts `tag` in `req` and queues it on the connection (keeping the frame
/// to resend if `idempotent`). On an error nothing was sent.
fn send<P: Protocol>(
    calls: &Calls<P>,
    mut req: P,
    tag: u64,
    idempotent: bool,
) -> Result<(), CallError> {
    if !req.set_tag(tag) {
        // A tag the derive cannot set (`Correlate` reads it): the request
        // must carry it already (a held tag's request).
        match req.correlation() {
            Correlation::Request(t) | Correlation::Tagged(t) if t == tag => {}
            Correlation::Request(t) | Correlation::Tagged(t) => {
                return Err(CallError::TagMismatch { tag: t, held: tag })
            }
            _ => return Err(CallError::Untagged(req.name())),
        }
    }
    let frame = conn::encode_frame(&req)?;
    let mut st = calls.lock();
    // No waiter: the connection ended and the call has been failed (its
    // tag may already be someone else's): send nothing.
    if let Some(w) = st.tags.waiter_mut(tag) {
        if idempotent {
            w.resend = Some(Arc::clone(&frame));
        }
        w.sent = true;
        // A send error means the connection is gone; it fails the waiter.
        let _ = st.out.send(frame.into());
    }
    drop(st);
    calls.count_request();
    Ok(())
}

/// Waits for a free tag (back-pressure when every tag is in flight).
async fn take_tag<P>(calls: &Calls<P>) -> Result<Taken<P>, CallError> {
    loop {
        // Usually a tag is free: take it without registering for a wakeup
        // (registering takes the `Notify`'s own lock, twice per call).
        if let Some(taken) = try_take_tag(calls)? {
            return Ok(taken);
        }
        let freed = calls.tag_freed.notified();
        tokio::pin!(freed);
        freed.as_mut().enable();
        // Again, now that a release cannot be missed.
        if let Some(taken) = try_take_tag(calls)? {
            return Ok(taken);
        }
        // Quarantined tags free themselves with time, not with a reply.
        let q = calls.settings.tag_quarantine.max(Duration::from_millis(10));
        let _ = tokio::time::timeout(q, freed).await;
    }
}

fn try_take_tag<P>(calls: &Calls<P>) -> Result<Option<Taken<P>>, CallError> {
    let mut st = calls.lock();
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
        held: false,
    };
    let (tag, expired) = st.tags.take(waiter, Instant::now);
    drop(st);
    if expired > 0 {
        calls.tag_freed.notify_waiters();
    }
    Ok(tag.map(|tag| (tag, rx)))
}

/// Quarantines a call's tag if the call goes away before its reply.
struct CallGuard<'a, P> {
    calls: &'a Calls<P>,
    tag: u64,
    armed: bool,
}

impl<P> CallGuard<'_, P> {
    /// Frees the tag at once (the request was never sent).
    fn release(&mut self) {
        self.armed = false;
        let mut st = self.calls.lock();
        let _ = st.tags.complete(self.tag);
        drop(st);
        self.calls.tag_freed.notify_one();
        self.calls.idle.notify_waiters();
    }
}

impl<P> Drop for CallGuard<'_, P> {
    fn drop(&mut self) {
        if self.armed {
            abandon(self.calls, self.tag);
        }
    }
}

/// A call gave up before its reply: quarantine its tag.
fn abandon<P>(calls: &Calls<P>, tag: u64) {
    let mut st = calls.lock();
    st.tags.abandon(tag, Instant::now());
    drop(st);
    calls.tag_freed.notify_one();
    calls.idle.notify_waiters();
}
