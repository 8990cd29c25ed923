//! The connection engine, the same for both sides: after the handshake,
//! read messages and route each by its [`Correlation`] (a response to
//! this side's call, a request for this side's handler, a one-way
//! message), run the handlers within the in-flight limit, ping when idle,
//! and end with a drain (finish what is in flight, flush, half-close).
//!
//! ```text
//!                 dialling side (Client)        accepting side (Server)
//! connect         dials, reconnects             accepts, counts, limits
//! handshake       Handshake::client             Handshake::server
//! Tagged(t)       a response to our call t      a request with tag t
//! Request(t)      for the handler (if any)      for the handler
//! Response(t)     for our call t                for our call t (Peer::call)
//! OneWay          the handler if there is one,  for the handler
//!                 else the notification stream
//! End             the handler, then the connection ends as if the peer closed
//! ```
//!
//! Handlers run on the connection's own task: most answer without
//! waiting, so the replies to the requests of one read go out together in
//! one write. On the accepting side that task writes them itself
//! ([`conn::Inline`]); the writer task sends the rest (notifications, this
//! side's calls, replies queued behind them). A handler that waits stays
//! on that task too, in a set polled with the reader (only the handlers
//! woken are polled again), and its reply joins the task's next batch: a
//! durable store's reply, say, goes out with the others of its read once
//! the log's sync is done, with no task spawned, reaped and dropped per
//! request (about a fifth of a durable store's instructions under
//! callgrind). A handler with long work of its own spawns a task for it.
//! A request the handler takes to answer later ([`super::Later`]) costs
//! the task no future at all: the answers given meanwhile wait in the
//! connection's queue, and the task takes them all at once into its
//! next batch.

use std::boxed::Box;
use std::sync::Arc;
use std::vec::Vec;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{mpsc, oneshot, watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::calls::{self, Calls, Side};
use super::conn::{self, FrameReader, Outgoing};
use super::error::Chain;
use super::later::Answers;
use super::{CallOptions, ConnError, Counters, Handler, Peer};
use crate::{Correlation, DecodeProtocol, Protocol};

/// On shutdown, the accepting side keeps reading requests that are already
/// on their way until none has arrived for this long.
const SHUTDOWN_QUIET: Duration = Duration::from_millis(100);

/// A ping: how long the connection may be idle, and the request to send.
pub(crate) type Ping<P> = (Duration, Arc<dyn Fn() -> P + Send + Sync>);

/// Recognises the answer to an untagged ping.
pub(crate) type Pong<P> = Arc<dyn Fn(&P) -> bool + Send + Sync>;

/// How one connection behaves, whichever side it is.
pub(crate) struct Settings<P> {
    pub(crate) side: Side,
    /// Peer requests handled at once; past it reading pauses.
    pub(crate) max_in_flight: usize,
    /// A connection with no frame started for this long is closed (while
    /// nothing is in flight and nothing holds it open).
    pub(crate) idle_timeout: Option<Duration>,
    /// Bound of each step of the drain: this side's calls in flight, the
    /// peer's requests running, the writer's flush, the peer's close.
    pub(crate) grace: Duration,
    pub(crate) ping: Option<Ping<P>>,
    /// With a ping: the ping is untagged (a one-way message), and this
    /// recognises its answer.
    pub(crate) pong: Option<Pong<P>>,
}

/// Where one-way messages go.
pub(crate) enum OneWay<P> {
    /// To the handler, like requests (the accepting side).
    Handler,
    /// To the notification stream (the dialling side); `taken` says
    /// someone reads it, so a full queue waits rather than drops.
    Queue {
        tx: mpsc::Sender<P>,
        taken: Arc<AtomicBool>,
    },
}

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// We drained it (close or shutdown).
    Drained,
    /// The peer closed between frames.
    PeerClosed,
    /// An error, a limit, a failed ping or a panicking handler.
    Broken,
}

/// A handler panicked: the connection closes (its calls then fail at once
/// instead of waiting for a reply that will never come).
struct Panicked;

/// One connection that passed its handshake.
pub(crate) struct Session<P, H> {
    settings: Settings<P>,
    handler: Option<Arc<H>>,
    one_way: OneWay<P>,
    reader: FrameReader<P>,
    peer: Arc<Peer<P>>,
    /// The count of the peer's [`IdleHold`](super::IdleHold)s.
    holds: watch::Receiver<usize>,
    writer: Writer,
    /// Replies written by this task, not the writer's (the accepting
    /// side; `None` once the writer is finished).
    inline: Option<conn::Inline>,
    /// One permit per peer request between its arrival and its reply's
    /// write.
    in_flight: Arc<Semaphore>,
    /// Handlers that waited, polled by this task.
    waiting: FuturesUnordered<Waiting<P>>,
    /// Replies given through [`Later`](super::Later)s, and how many are
    /// still to come.
    later: Arc<Answers<P>>,
    deferred: usize,
    /// Where this task takes the `Later`s' replies (kept for its capacity).
    later_ready: Vec<(P, OwnedSemaphorePermit)>,
    /// The box each request's handler runs in ([`Spare`]).
    spare: Spare,
    /// Draining: no new calls; reading ends once nothing is in flight.
    draining: bool,
    /// When the drain must be over.
    drain_deadline: Option<Instant>,
    /// Why the connection ended, if by an error.
    error: Option<ConnError>,
    /// An untagged ping was sent: its answer is due by then.
    pong_due: Option<Instant>,
}

impl<P, H> Session<P, H>
where
    P: Protocol + for<'de> DecodeProtocol<'de> + Send + 'static,
    H: Handler<P>,
{
    /// Starts the writer on `wr` and returns the connection, ready to run,
    /// and the [`Peer`] handlers see. `calls` are this side's requests; its
    /// frames go to the writer through `out`.
    #[allow(
        clippy::too_many_arguments,
        reason = "one call site per side, each argument a part of the connection"
    )]
    pub(crate) fn start(
        settings: Settings<P>,
        reader: FrameReader<P>,
        wr: OwnedWriteHalf,
        (id, addr): (u64, SocketAddr),
        calls: Arc<Calls<P>>,
        (out, out_rx): (conn::Out, conn::OutRx),
        handler: Option<Arc<H>>,
        one_way: OneWay<P>,
    ) -> Self {
        let (holds, held) = watch::channel(0);
        let counters = Arc::clone(&calls.counters);
        let peer = Peer {
            id,
            addr,
            out,
            counters: Arc::clone(&counters),
            holds: Arc::new(holds),
            calls: Arc::clone(&calls),
        };
        let clocked = settings.ping.is_some();
        let wire = Arc::new(conn::Wire::new(conn::WireHalf::new(wr)));
        // The dialling side's replies (to the peer's rare requests) keep
        // the writer's batching with its calls.
        let inline =
            (settings.side == Side::Accepting).then(|| conn::Inline::new(Arc::clone(&wire)));
        Session {
            writer: Writer::spawn(wire, out_rx, counters, calls, clocked),
            inline,
            pong_due: None,
            in_flight: Arc::new(Semaphore::new(settings.max_in_flight.max(1))),
            waiting: FuturesUnordered::new(),
            later: Answers::new(),
            deferred: 0,
            later_ready: Vec::new(),
            spare: Spare::default(),
            draining: false,
            drain_deadline: None,
            error: None,
            settings,
            handler,
            one_way,
            reader,
            peer: Arc::new(peer),
            holds: held,
        }
    }

    /// The peer as handlers see it.
    pub(crate) fn peer(&self) -> &Peer<P> {
        &self.peer
    }

    /// Runs the connection until it ends, then drains it; `stop` starts
    /// the drain (shutdown, close).
    pub(crate) async fn serve(mut self, stop: impl Future<Output = ()> + Send + 'static) -> Ended {
        let ended = self.run(stop).await;
        self.finish(ended).await;
        ended
    }

    async fn run(&mut self, stop: impl Future<Output = ()> + Send + 'static) -> Ended {
        // `stop` is awaited on a task of its own, which raises a flag:
        // the loop below polls the flag once per wait, a load and a waker
        // comparison, where polling `stop` itself (a watch's `wait_for`)
        // took the waiters' lock each time, and a oneshot's poll its
        // budget and state: a tenth of a round trip at depth 1
        // (callgrind).
        let (fire, mut stopped) = StopFlag::new();
        // Aborted when the loop ends, or if this future is dropped.
        let _watcher = AbortOnDrop(tokio::spawn(async move {
            stop.await;
            fire.raise();
        }));
        let mut pinging: Option<JoinHandle<bool>> = None;
        let ended = loop {
            let msg = match self.next(&mut stopped, &mut pinging).await {
                Ok(msg) => msg,
                Err(ended) => break ended,
            };
            match self.route(msg).await {
                Ok(Flow::Go) => {}
                Ok(Flow::End) => break Ended::PeerClosed,
                Err(Panicked) => break Ended::Broken,
            }
        };
        if let Some(task) = pinging {
            task.abort();
        }
        self.flush().await;
        ended
    }

    /// Writes the replies of the handlers that answered at once.
    async fn flush(&mut self) {
        if let Some(inline) = &mut self.inline {
            inline.flush(&self.peer.out, &self.peer.counters).await;
        }
    }

    /// The next message, or how the connection ended. Reaps the handler
    /// tasks that finish meanwhile, and pings when idle.
    async fn next(
        &mut self,
        stop: &mut StopFlag,
        pinging: &mut Option<JoinHandle<bool>>,
    ) -> Result<P, Ended> {
        loop {
            // The frames of one read are usually several (replies to
            // pipelined calls, requests sent together): take those already
            // buffered without the wait below, whose many branches cost
            // more than a round trip's share of the work (callgrind). The
            // branches are looked at again once the buffer is empty.
            if !self.draining {
                match self.reader.buffered() {
                    Ok(Some(msg)) => return Ok(msg),
                    Ok(None) => {}
                    Err(e) => return Err(self.broke(e)),
                }
            }
            // The requests read are served: their replies go out in one
            // write before the wait, with those given later meanwhile.
            if self.deferred > 0 {
                let settled = self.later.take(&mut self.later_ready, None);
                self.settle_later(settled).await;
            }
            self.flush().await;
            let calls = Arc::clone(&self.peer.calls);
            // Waiting on its own slow requests, or on the peer's replies,
            // a connection is not idle; nor is one the handler holds open
            // (a subscriber).
            // (Without an idle limit holds change nothing: the watch's
            // lock is not taken.)
            let held = self.settings.idle_timeout.is_some() && *self.holds.borrow_and_update() > 0;
            // (This side's calls in flight are looked at only when the
            // limit expires, below: no lock per message.)
            let idle = match self.settings.idle_timeout {
                Some(d) if self.waiting.is_empty() && self.deferred == 0 && !held => Some(d),
                _ => None,
            };
            self.reader.set_idle(idle);
            let quiet = self.draining && calls.waiting() == 0;
            if quiet && self.settings.side == Side::Dialling {
                return Err(Ended::Drained);
            }
            // A ping is due when nothing was received (this loop runs per
            // message) or nothing sent (the writer's clock) for its
            // interval.
            let ping_at = match &self.settings.ping {
                Some((every, _))
                    if pinging.is_none() && self.pong_due.is_none() && !self.draining =>
                {
                    let since = calls.clock.last().min(Instant::now());
                    Some(since + *every)
                }
                _ => None,
            };
            let pong_due = self.pong_due;
            let (reader, waiting, holds, draining, accepting) = (
                &mut self.reader,
                &mut self.waiting,
                &mut self.holds,
                self.draining,
                self.settings.side == Side::Accepting,
            );
            let (later, later_ready, deferred) =
                (&self.later, &mut self.later_ready, self.deferred);
            let deadline = self.drain_deadline;
            // The usual wait (nothing draining, running, held or pinging):
            // every branch below but the first and the last is disabled,
            // so it is those two alone. Building, polling and dropping the
            // whole select per wait was a tenth of a depth-1 request's
            // instructions (callgrind).
            let usual = !draining
                && !held
                && waiting.is_empty()
                && deferred == 0
                && ping_at.is_none()
                && pong_due.is_none()
                && pinging.is_none();
            let next = if usual {
                tokio::select! {
                    biased;
                    () = &mut *stop => {
                        self.begin_drain();
                        continue;
                    }
                    next = reader.next() => next,
                }
            } else {
                tokio::select! {
                    biased;
                    () = &mut *stop, if !draining => {
                        self.begin_drain();
                        continue;
                    }
                    // While held, a release ends the wait so that the idle
                    // limit applies again (the reader keeps any partial frame).
                    // Unheld, the watch is not polled: no registration per
                    // request; a hold taken meanwhile is seen when the idle
                    // limit expires (below).
                    // (Disabled branches' futures are still built: each waits
                    // to be built until first polled.)
                    Ok(()) = async { holds.changed().await }, if held => continue,
                    Some(done) = waiting.next(), if !waiting.is_empty() => {
                        if self.answered(done).await.is_err() {
                            return Err(Ended::Broken);
                        }
                        continue;
                    }
                    settled = later.settled(later_ready), if deferred > 0 => {
                        self.settle_later(settled).await;
                        continue;
                    }
                    // A call given up while draining may be the last.
                    () = async { calls.idle.notified().await }, if draining => continue,
                    () = async {
                        match deadline {
                            Some(at) => tokio::time::sleep_until(at).await,
                            None => std::future::pending().await,
                        }
                    }, if draining => {
                        tracing::warn!(addr = %self.peer.addr, calls = calls.waiting(), "calls still waiting after the grace; abandoning them");
                        self.error = Some(ConnError::Grace(self.settings.grace));
                        return Err(Ended::Drained);
                    }
                    () = async {
                        match ping_at {
                            Some(at) => tokio::time::sleep_until(at).await,
                            None => std::future::pending().await,
                        }
                    }, if ping_at.is_some() => {
                        let (every, make) = self.settings.ping.as_ref().expect("idle fires only with a ping");
                        let (req, every, calls) = (make(), *every, Arc::clone(&calls));
                        if self.settings.pong.is_some() {
                            match conn::encode_frame(&req) {
                                // A send error: the writer is gone, and the
                                // pong's deadline ends the connection.
                                Ok(frame) => drop(self.peer.out.send(frame.into())),
                                Err(e) => {
                                    tracing::warn!(addr = %self.peer.addr, error = %Chain(&e), "ping cannot be encoded");
                                    return Err(Ended::Broken);
                                }
                            }
                            self.pong_due = Some(Instant::now() + every);
                        } else {
                            *pinging = Some(tokio::spawn(async move {
                                calls::call(&calls, req, CallOptions::timeout(every)).await.is_ok()
                            }));
                        }
                        continue;
                    }
                    () = async {
                        match pong_due {
                            Some(at) => tokio::time::sleep_until(at).await,
                            None => std::future::pending().await,
                        }
                    }, if pong_due.is_some() => {
                        tracing::warn!(addr = %self.peer.addr, "no answer to the ping; connection considered dead");
                        return Err(Ended::Broken);
                    }
                    ok = async {
                        match pinging.as_mut() {
                            Some(task) => task.await.unwrap_or(false),
                            None => std::future::pending().await,
                        }
                    }, if pinging.is_some() => {
                        *pinging = None;
                        if !ok {
                            tracing::warn!(addr = %self.peer.addr, "ping failed; connection considered dead");
                            return Err(Ended::Broken);
                        }
                        continue;
                    }
                    next = async {
                        if quiet && accepting {
                            // Serve the requests already sent: read on while
                            // frames keep arriving (briefly, bounded).
                            tokio::time::timeout(SHUTDOWN_QUIET, reader.next()).await.ok()
                        } else {
                            Some(reader.next().await)
                        }
                    } => match next {
                        Some(next) => next,
                        None => return Err(Ended::Drained),
                    },
                }
            };
            self.peer.counters.bytes_in(self.reader.take_bytes_read());
            return match next {
                Ok(Some(msg)) => Ok(msg),
                Ok(None) => Err(if self.draining {
                    Ended::Drained
                } else {
                    Ended::PeerClosed
                }),
                // A hold taken while the idle clock ran, or a call of ours
                // waiting for the peer: not idle after all.
                Err(ConnError::Idle(_))
                    if *self.holds.borrow() > 0 || self.peer.calls.waiting() > 0 =>
                {
                    continue
                }
                Err(e) => Err(self.broke(e)),
            };
        }
    }

    /// The connection broke with `e`: logged, counted and kept.
    fn broke(&mut self, e: ConnError) -> Ended {
        log_conn_error(self.peer.addr, &e);
        self.peer.counters.closed_on_error(1);
        self.error = Some(e);
        Ended::Broken
    }

    /// Stops new calls; the connection ends once what is in flight is done
    /// (within the grace).
    fn begin_drain(&mut self) {
        self.draining = true;
        self.peer.calls.lock().closing = true;
        self.drain_deadline = Some(Instant::now() + self.settings.grace);
        if let Some(h) = &self.handler {
            h.draining(&self.peer);
        }
    }

    /// Hands one message to where its correlation sends it; says whether
    /// the peer is done.
    async fn route(&mut self, msg: P) -> Result<Flow, Panicked> {
        if self.pong_due.is_some() && self.settings.pong.as_ref().is_some_and(|f| f(&msg)) {
            self.pong_due = None;
            return Ok(Flow::Go);
        }
        let side = self.settings.side;
        match (msg.correlation(), side) {
            (Correlation::Response(tag), _) | (Correlation::Tagged(tag), Side::Dialling) => {
                self.peer.calls.deliver(tag, msg);
                Ok(Flow::Go)
            }
            (Correlation::Request(tag), _) | (Correlation::Tagged(tag), Side::Accepting) => {
                self.serve_request(msg, Some(tag)).await.map(|()| Flow::Go)
            }
            (Correlation::End, _) => {
                if self.handler.is_some() {
                    self.serve_request(msg, None).await?;
                }
                Ok(Flow::End)
            }
            (Correlation::OneWay, _) => match &self.one_way {
                _ if self.handler.is_some() => {
                    self.serve_request(msg, None).await.map(|()| Flow::Go)
                }
                OneWay::Handler => Ok(Flow::Go),
                OneWay::Queue { tx, taken } => {
                    self.peer.counters.notifications(1);
                    if taken.load(Ordering::Acquire) {
                        // Someone reads them: wait for room rather than
                        // lose one.
                        if tx.send(msg).await.is_err() {
                            tracing::debug!("notification dropped: the stream was dropped");
                        }
                    } else if tx.try_send(msg).is_err() {
                        // Nobody took the stream and the queue is full:
                        // replies must keep flowing, so this one is dropped.
                        tracing::debug!(
                            "notification dropped: queue full and the stream was never taken"
                        );
                    }
                    Ok(Flow::Go)
                }
            },
            // `Correlation` may grow: an unknown kind is dropped, not
            // guessed at.
            #[allow(unreachable_patterns, reason = "`Correlation` is non-exhaustive")]
            _ => {
                tracing::debug!(
                    name = msg.name(),
                    "message of an unknown correlation dropped"
                );
                Ok(Flow::Go)
            }
        }
    }

    /// A peer request (or, on the accepting side, a one-way message) for
    /// the handler, within the in-flight limit.
    async fn serve_request(&mut self, req: P, tag: Option<u64>) -> Result<(), Panicked> {
        let counters = &self.peer.counters;
        match self.settings.side {
            Side::Accepting => counters.requests(1),
            Side::Dialling => counters.reverse_requests(1),
        }
        let Some(handler) = self.handler.clone() else {
            counters.unhandled(1);
            tracing::debug!(
                name = req.name(),
                "request dropped: no handler on this side"
            );
            return Ok(());
        };
        let Some(permit) = self.in_flight_slot().await? else {
            return Ok(());
        };
        self.start_handler(handler, req, tag, permit).await
    }

    /// A handler that waited is done: its reply (if any) into the batch,
    /// and those of the others already done with it (the stores a log
    /// sync settled together), so that they leave in one write rather
    /// than one each; a panic closes the connection.
    async fn answered(&mut self, done: Answered<P>) -> Result<(), Panicked> {
        let mut done = Some(done);
        while let Some(next) = done.take() {
            match next {
                Ok(Some((reply, permit))) => self.reply(reply, permit).await,
                Ok(None) => {}
                Err(_) => return Err(self.panicked()),
            }
            // Polled with this task's waker: a `Pending` here leaves it
            // registered, as the wait's own poll would.
            let waiting = &mut self.waiting;
            if let Poll::Ready(Some(next)) =
                std::future::poll_fn(|cx| Poll::Ready(waiting.poll_next_unpin(cx))).await
            {
                done = Some(next);
            }
        }
        Ok(())
    }

    /// `settled` [`Later`](super::Later)s were answered or dropped: their
    /// replies (taken into `later_ready`) into the batch.
    async fn settle_later(&mut self, settled: usize) {
        self.deferred -= settled;
        let mut ready = std::mem::take(&mut self.later_ready);
        for (reply, permit) in ready.drain(..) {
            self.reply(reply, permit).await;
        }
        self.later_ready = ready;
    }

    /// Logs and counts a handler's panic.
    fn panicked(&self) -> Panicked {
        tracing::error!(addr = %self.peer.addr, "request handler panicked; closing the connection");
        self.peer.counters.closed_on_error(1);
        Panicked
    }

    /// A slot for one more request in flight. At the limit, reading pauses
    /// until a reply is written; `None` if the writer ends meanwhile (a
    /// peer that never reads its replies). A handler that waited and
    /// panics meanwhile ends the connection.
    async fn in_flight_slot(&mut self) -> Result<Option<OwnedSemaphorePermit>, Panicked> {
        if let Some(permit) = self.inline.as_mut().and_then(conn::Inline::take_permit) {
            return Ok(Some(permit));
        }
        if let Ok(permit) = Arc::clone(&self.in_flight).try_acquire_owned() {
            return Ok(Some(permit));
        }
        // The replies held here free their permits once written.
        self.flush().await;
        if let Some(permit) = self.inline.as_mut().and_then(conn::Inline::take_permit) {
            return Ok(Some(permit));
        }
        if let Ok(permit) = Arc::clone(&self.in_flight).try_acquire_owned() {
            return Ok(Some(permit));
        }
        tracing::info!(addr = %self.peer.addr, max = self.settings.max_in_flight, "in-flight limit reached; pausing reads");
        loop {
            // The handlers that wait (or answer later) hold most of the
            // permits: they are polled here too, and their replies free
            // them once written.
            let (waiting, later, later_ready, deferred) = (
                &mut self.waiting,
                &self.later,
                &mut self.later_ready,
                self.deferred,
            );
            let woke = tokio::select! {
                permit = Arc::clone(&self.in_flight).acquire_owned() => return Ok(permit.ok()),
                _ = self.writer.ended.wait_for(|gone| *gone) => return Ok(None),
                Some(done) = waiting.next(), if !waiting.is_empty() => Ok(done),
                settled = later.settled(later_ready), if deferred > 0 => Err(settled),
            };
            match woke {
                Ok(done) => self.answered(done).await?,
                Err(settled) => self.settle_later(settled).await,
            }
            self.flush().await;
            if let Some(permit) = self.inline.as_mut().and_then(conn::Inline::take_permit) {
                return Ok(Some(permit));
            }
        }
    }

    /// Runs the request's handler: polled once here, and if it waits, kept
    /// in [`Session::waiting`], polled by this task when woken. It runs in
    /// the connection's [`Spare`] box, which a handler that answers at
    /// once leaves for the next request: a new box per request (an
    /// allocation, a free) was 8 % of a pipelined in-memory GET's
    /// instructions (callgrind). A handler that waits keeps its box.
    async fn start_handler(
        &mut self,
        handler: Arc<H>,
        req: P,
        tag: Option<u64>,
        permit: OwnedSemaphorePermit,
    ) -> Result<(), Panicked> {
        if handler.answers_later(&req) {
            let later = self.later.later(tag, permit);
            self.deferred += 1;
            let peer = &*self.peer;
            return std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                handler.handle_later(req, peer, later);
            }))
            .map_err(|_| self.panicked());
        }
        let job = self
            .spare
            .fill(answer(handler, self.peer.clone(), req, tag, permit));
        let ran = std::future::poll_fn(|cx| {
            Poll::Ready(std::panic::catch_unwind(std::panic::AssertUnwindSafe(
                || match job.as_mut().as_pin_mut() {
                    Some(fut) => fut.poll(cx),
                    None => unreachable!("`Spare::fill` leaves a future in the box"),
                },
            )))
        })
        .await;
        match ran {
            Ok(Poll::Ready(answered)) => {
                // Ended: the box is emptied in place, kept for the next.
                job.set(None);
                if let Some((reply, permit)) = answered {
                    self.reply(reply, permit).await;
                }
                Ok(())
            }
            Ok(Poll::Pending) => {
                // The waiting future keeps this box (moving a box does
                // not move what it holds); the next request gets another.
                let job = std::mem::replace(job, Box::pin(None));
                self.waiting.push(Waiting(job));
                Ok(())
            }
            Err(_) => {
                job.set(None);
                Err(self.panicked())
            }
        }
    }

    /// The reply of a handler that answered at once: into this task's
    /// batch while nothing sent before it waits for the writer, else
    /// (after the batch) through the writer, behind what waits there.
    async fn reply(&mut self, reply: P, permit: OwnedSemaphorePermit) {
        let side = self.settings.side;
        let Some(inline) = self.inline.as_mut().filter(|i| !i.broken) else {
            send_reply(&self.peer, side, &reply, permit);
            return;
        };
        if self.peer.out.queued() > 0 {
            inline.flush(&self.peer.out, &self.peer.counters).await;
            send_reply(&self.peer, side, &reply, permit);
            return;
        }
        match inline.push(&reply, permit) {
            Ok(()) => {
                self.peer.counters.responses(1);
                if inline.len() >= conn::Inline::BATCH {
                    inline.flush(&self.peer.out, &self.peer.counters).await;
                }
            }
            Err(e) => {
                tracing::error!(addr = %self.peer.addr, error = %Chain(&e), "reply cannot be encoded; dropped")
            }
        }
    }

    /// Finishes the peer's requests in flight (within the grace), lets the
    /// writer flush and half-close, and after a drain we began waits for
    /// the peer to close its side. The handler hears of each step.
    async fn finish(mut self, ended: Ended) {
        if !self.draining {
            // The peer ended (or the connection broke): the accepting
            // side takes no new calls on it (the dialling side's calls
            // wait for a reconnection, or fail when the client ends).
            if self.settings.side == Side::Accepting {
                self.peer.calls.lock().closing = true;
            }
            if let Some(h) = &self.handler {
                h.draining(&self.peer);
            }
        }
        let addr = self.peer.addr;
        let grace = self.settings.grace;
        let side = self.settings.side;
        let (waiting, peer, later, ready) = (
            &mut self.waiting,
            &self.peer,
            &self.later,
            &mut self.later_ready,
        );
        let deferred = &mut self.deferred;
        let finished = tokio::time::timeout(grace, async {
            loop {
                tokio::select! {
                    Some(done) = waiting.next(), if !waiting.is_empty() => match done {
                        Ok(Some((reply, permit))) => send_reply(peer, side, &reply, permit),
                        Ok(None) => {}
                        Err(_) => {
                            tracing::error!(%addr, "request handler panicked while the connection ended");
                            peer.counters.closed_on_error(1);
                        }
                    },
                    settled = later.settled(ready), if *deferred > 0 => {
                        *deferred -= settled;
                        for (reply, permit) in ready.drain(..) {
                            send_reply(peer, side, &reply, permit);
                        }
                    }
                    else => break,
                }
            }
        })
        .await;
        if finished.is_err() {
            tracing::warn!(%addr, left = self.waiting.len() + self.deferred, "requests still running after the grace; abandoning them");
            self.waiting.clear();
        }
        // Replies of handlers that answered at once are written before
        // `finishing`'s last messages; later ones (in `linger`) go to the
        // finished writer, that is nowhere.
        self.flush().await;
        self.inline = None;
        if let Some(h) = &self.handler {
            h.finishing(&self.peer);
        }
        self.writer.finish(addr, grace).await;
        if ended == Ended::Drained {
            // Half-closed: wait for the peer to close its side.
            self.linger().await;
        }
        if let Some(h) = &self.handler {
            h.ended(&self.peer, self.error.as_ref());
        }
    }

    /// After our half-close, until the peer closes its side (within the
    /// grace): late responses still reach their calls (or are
    /// counted), one-way messages and the peer's last message still reach
    /// the handler (its replies go nowhere now), requests are dropped.
    async fn linger(&mut self) {
        let deadline = Instant::now() + self.settings.grace;
        let side = self.settings.side;
        loop {
            let Ok(next) = tokio::time::timeout_at(deadline, self.reader.next()).await else {
                tracing::debug!(addr = %self.peer.addr, "the peer did not close within the grace");
                return;
            };
            let Ok(Some(msg)) = next else { return };
            match (msg.correlation(), side) {
                (Correlation::Response(tag), _) | (Correlation::Tagged(tag), Side::Dialling) => {
                    self.peer.calls.deliver(tag, msg);
                }
                (Correlation::OneWay, _) if self.handler.is_some() => {
                    let _ = self.serve_request(msg, None).await;
                }
                (Correlation::End, _) => {
                    if self.handler.is_some() {
                        let _ = self.serve_request(msg, None).await;
                    }
                    return;
                }
                _ => tracing::debug!(name = msg.name(), "message after our half-close dropped"),
            }
        }
    }
}

/// The stop signal as the connection's loop polls it: a flag raised once,
/// and the waker to wake then. A poll with the same waker as the last one
/// is a load and a comparison, no lock and no budget.
struct StopFlag {
    shared: Arc<StopShared>,
    /// The waker last registered.
    waker: Option<std::task::Waker>,
}

struct StopShared {
    raised: AtomicBool,
    waker: std::sync::Mutex<Option<std::task::Waker>>,
}

/// Raises a [`StopFlag`].
struct StopFire(Arc<StopShared>);

/// A task aborted when this handle is dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl StopFlag {
    fn new() -> (StopFire, StopFlag) {
        let shared = Arc::new(StopShared {
            raised: AtomicBool::new(false),
            waker: std::sync::Mutex::new(None),
        });
        let flag = StopFlag {
            shared: Arc::clone(&shared),
            waker: None,
        };
        (StopFire(shared), flag)
    }
}

impl StopFire {
    fn raise(self) {
        self.0.raised.store(true, Ordering::Release);
        let waker = self
            .0
            .waker
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl Future for StopFlag {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        if self.shared.raised.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        if self.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            return Poll::Pending;
        }
        let waker = cx.waker().clone();
        *self.shared.waker.lock().unwrap_or_else(|e| e.into_inner()) = Some(waker.clone());
        self.waker = Some(waker);
        // Raised while the waker was being stored: `raise` may have
        // found none.
        if self.shared.raised.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

/// The box a connection's handler futures run in, kept from one request
/// to the next while handlers answer at once. It holds a
/// `Pin<Box<Option<F>>>` (`F`: [`answer`]'s future, which has no name to
/// write in a field), type-erased: the outer box is made once per
/// connection, the inner one again only when a waiting handler takes it.
#[derive(Default)]
struct Spare(Option<Box<dyn std::any::Any + Send>>);

impl Spare {
    /// `fut`, in the box: the one kept if it holds `F`s (always, after the
    /// first request: a connection runs one handler type), else a new one.
    fn fill<F: Future + Send + 'static>(&mut self, fut: F) -> &mut Pin<Box<Option<F>>> {
        if !self
            .0
            .as_ref()
            .is_some_and(|b| b.is::<Pin<Box<Option<F>>>>())
        {
            self.0 = Some(Box::new(Box::pin(None::<F>)));
        }
        let Some(slot) = self
            .0
            .as_mut()
            .and_then(|b| b.downcast_mut::<Pin<Box<Option<F>>>>())
        else {
            unreachable!("the box was just made for `F`")
        };
        // The previous future ended and was dropped in place (`set(None)`)
        // or left with its box: this one goes where it was.
        slot.set(Some(fut));
        slot
    }
}

/// What a handler that waited ends with: its reply and permit, nothing
/// to send, or its panic.
type Answered<P> = std::thread::Result<Option<(P, OwnedSemaphorePermit)>>;

/// A handler that waited, in the box it ran in first (no new box when it
/// waits), polled by the connection's task: the box is always full
/// (`None` ends at once, answering nothing).
struct Waiting<P>(Pin<Box<dyn Job<P>>>);

/// A handler's future in its box, polled with its panic caught.
trait Job<P>: Send {
    fn poll_job(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Answered<P>>;
}

impl<F, P> Job<P> for Option<F>
where
    F: Future<Output = Option<(P, OwnedSemaphorePermit)>> + Send,
{
    fn poll_job(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Answered<P>> {
        let Some(fut) = self.as_pin_mut() else {
            return Poll::Ready(Ok(None));
        };
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(answered)) => Poll::Ready(Ok(answered)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

impl<P> Future for Waiting<P> {
    type Output = Answered<P>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Answered<P>> {
        self.0.as_mut().poll_job(cx)
    }
}

/// Whether the connection goes on after a message.
enum Flow {
    Go,
    /// The peer sent its last message ([`Correlation::End`]).
    End,
}

/// Handles one request: its reply, with the request's tag, and the
/// in-flight permit, which is released once the reply is written (or
/// here, when there is no reply).
async fn answer<P, H>(
    handler: Arc<H>,
    peer: Arc<Peer<P>>,
    req: P,
    tag: Option<u64>,
    permit: OwnedSemaphorePermit,
) -> Option<(P, OwnedSemaphorePermit)>
where
    P: Protocol,
    H: Handler<P>,
{
    let mut reply = handler.handle(req, &peer).await?;
    if let Some(tag) = tag {
        reply.set_tag(tag);
    }
    Some((reply, permit))
}

/// Queues a reply for the connection's writer.
fn send_reply<P: Protocol>(peer: &Peer<P>, side: Side, reply: &P, permit: OwnedSemaphorePermit) {
    match conn::Parts::encode(reply) {
        Ok(parts) => {
            let out = Outgoing {
                frame: conn::Frame::Parts(parts),
                permit: Some(permit),
            };
            if peer.out.send(out).is_ok() {
                match side {
                    Side::Accepting => peer.counters.responses(1),
                    Side::Dialling => peer.counters.reverse_responses(1),
                }
            }
        }
        Err(e) => {
            tracing::error!(addr = %peer.addr, error = %Chain(&e), "reply cannot be encoded; dropped")
        }
    }
}

/// The connection's writer task, and how to stop it.
struct Writer {
    /// `None` once finished.
    task: Option<JoinHandle<io::Result<()>>>,
    /// Tells the writer to finish with what is queued: handles held
    /// elsewhere ([`Peer`]s) keep its channel open.
    stop: Option<oneshot::Sender<()>>,
    /// Set when the writer ends (the peer stopped taking bytes, or we
    /// stopped it): requests waiting for a reply slot then wait no longer.
    ended: watch::Receiver<bool>,
}

impl Writer {
    /// Writes what is queued, batching the frames of callers that are
    /// about to call again (see [`conn::write_loop`]).
    fn spawn<P: Send + 'static>(
        wire: Arc<conn::Wire>,
        rx: conn::OutRx,
        counters: Arc<Counters>,
        calls: Arc<Calls<P>>,
        clocked: bool,
    ) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let (gone, ended) = watch::channel(false);
        let task = tokio::spawn(async move {
            let stopped = async {
                let _ = stopped.await;
            };
            let clock = clocked.then_some(&calls.clock);
            let result =
                conn::write_loop(wire, rx, &counters, stopped, Some(&calls.replied), clock).await;
            gone.send_replace(true);
            result
        });
        Writer {
            task: Some(task),
            stop: Some(stop),
            ended,
        }
    }

    /// Stops the writer once it has written what is queued, and waits for
    /// it (within `grace`).
    async fn finish(&mut self, addr: SocketAddr, grace: Duration) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Some(task) = self.task.take() else { return };
        match tokio::time::timeout(grace, task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => tracing::debug!(%addr, error = %e, "writer ended with an error"),
            _ => tracing::debug!(%addr, "writer did not finish"),
        }
    }
}

fn log_conn_error(addr: SocketAddr, e: &ConnError) {
    let error = Chain(e);
    match e {
        ConnError::FrameTooLarge { .. } => {
            tracing::warn!(%addr, %error, "frame length limit hit; closing")
        }
        ConnError::Idle(_) => tracing::info!(%addr, %error, "idle limit hit; closing"),
        ConnError::FrameTimeout(_) => {
            tracing::warn!(%addr, %error, "frame time limit hit; closing")
        }
        ConnError::Truncated { .. } => tracing::info!(%addr, %error, "peer closed mid-frame"),
        _ => tracing::warn!(%addr, %error, "closing connection"),
    }
}
