//! The client side: pipelined, tagged calls over one connection.

use std::format;
use std::string::String;
use std::vec::Vec;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::net::{TcpStream, ToSocketAddrs};
use tokio::sync::{mpsc, oneshot, Notify};

use super::conn::{self, FrameReader, HandshakeConn, Limits, Outgoing};
use super::tags::{Completion, Tags};
use super::{apply_keepalive, CallError, CounterSnapshot, Counters, Handshake, Keepalive};
use crate::message::{DecodeProtocol, Message, Protocol, Request};

/// How a client behaves. Every limit is explicit: no hidden deadline.
#[derive(Clone)]
#[non_exhaustive]
pub struct ClientConfig<P> {
    /// Deadline for calls that set none; `None` waits forever.
    pub default_timeout: Option<Duration>,
    /// Calls in flight at once (further calls wait); also bounded by the
    /// tag space of the protocol's tag fields.
    pub max_in_flight: usize,
    /// How long the tag of a timed-out or dropped call waits for its late
    /// reply before it is reused.
    pub tag_quarantine: Duration,
    /// Largest frame accepted from the server.
    pub max_frame_len: usize,
    /// Queue of notifications not yet taken by [`Client::notifications`]'s
    /// stream; when it is full, reading from the connection waits.
    pub notification_queue: usize,
    /// TCP keepalive; `None` leaves the OS default.
    pub keepalive: Option<Keepalive>,
    /// When the connection is idle this long, send the ping request made by
    /// the function; a ping that fails ends the connection.
    pub ping: Option<(Duration, Arc<dyn Fn() -> P + Send + Sync>)>,
    /// Reconnect after the connection breaks, resending idempotent calls.
    pub reconnect: Option<ReconnectPolicy>,
    /// A handshake to run on every new connection before calls.
    pub handshake: Option<Arc<dyn Handshake<P>>>,
    /// Time allowed for the handshake; past it the connection fails as a
    /// refused handshake would.
    pub handshake_timeout: Duration,
}

impl<P> Default for ClientConfig<P> {
    fn default() -> Self {
        ClientConfig {
            default_timeout: None,
            max_in_flight: 1024,
            tag_quarantine: Duration::from_secs(30),
            max_frame_len: conn::DEFAULT_MAX_FRAME,
            notification_queue: 1024,
            keepalive: Some(Keepalive::default()),
            ping: None,
            reconnect: None,
            handshake: None,
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

impl<P> std::fmt::Debug for ClientConfig<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("default_timeout", &self.default_timeout)
            .field("max_in_flight", &self.max_in_flight)
            .field("tag_quarantine", &self.tag_quarantine)
            .field("max_frame_len", &self.max_frame_len)
            .field("keepalive", &self.keepalive)
            .field("ping", &self.ping.as_ref().map(|(d, _)| d))
            .field("reconnect", &self.reconnect)
            .field("handshake", &self.handshake.is_some())
            .field("handshake_timeout", &self.handshake_timeout)
            .finish()
    }
}

/// Reconnect with exponential backoff (clever-show's resend on reconnect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconnectPolicy {
    /// Wait before the first attempt.
    pub initial_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
    /// Give up after this many failed attempts in a row (`None`: never).
    pub max_attempts: Option<u32>,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy {
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(5),
            max_attempts: Some(20),
        }
    }
}

/// Per-call options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallOptions {
    /// Deadline for this call, overriding the client's default.
    pub timeout: Option<Duration>,
    /// Safe to send twice: after a reconnection the request is resent.
    pub idempotent: bool,
}

impl CallOptions {
    /// Options with a deadline.
    pub fn timeout(timeout: Duration) -> Self {
        CallOptions {
            timeout: Some(timeout),
            ..Self::default()
        }
    }

    /// Marks the call idempotent (resent after a reconnection).
    pub fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }
}

/// A call waiting for its reply.
struct Waiter<P> {
    tx: oneshot::Sender<Result<P, CallError>>,
    /// The encoded request, kept for idempotent calls to resend.
    resend: Option<Arc<Vec<u8>>>,
    /// The request was queued on a connection. A call holds its tag before
    /// it has encoded its request; if the connection breaks in between,
    /// the request went nowhere and is sent on the next connection.
    sent: bool,
}

/// State shared by the client handle, its calls and its connection task.
struct Shared<P> {
    state: Mutex<State<P>>,
    /// Wakes calls waiting for a free tag.
    tag_freed: Notify,
    /// Wakes `close()` when the last call finishes.
    idle: Notify,
    counters: Counters,
    config: ClientConfig<P>,
    /// The notification stream was taken: deliver with back-pressure.
    notes_taken: std::sync::atomic::AtomicBool,
    /// Replies delivered since the writer last wrote: their callers may be
    /// about to send again, so the writer waits a moment for them.
    replied: std::sync::atomic::AtomicUsize,
}

struct State<P> {
    tags: Tags<Waiter<P>>,
    /// `close()` was called.
    closing: bool,
    /// The connection ended for good; new calls fail with this.
    ended: Option<EndReason>,
    /// Where frames for the current connection go.
    out: mpsc::UnboundedSender<Outgoing>,
}

#[derive(Debug, Clone)]
enum EndReason {
    Closed,
    Handshake(String),
}

impl EndReason {
    fn error(&self) -> CallError {
        match self {
            EndReason::Closed => CallError::ConnectionClosed,
            EndReason::Handshake(why) => CallError::Handshake(why.clone()),
        }
    }
}

impl<P> Shared<P> {
    fn lock(&self) -> MutexGuard<'_, State<P>> {
        // A panic while holding the lock cannot leave the state half-updated
        // in a way later calls depend on, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A connection to a server: pipelined, tagged calls and a stream of
/// notifications. Cheap to clone; all clones share the connection.
pub struct Client<P> {
    shared: Arc<Shared<P>>,
    notifications: Arc<Mutex<Option<mpsc::Receiver<P>>>>,
    task: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
    /// Shared by every clone: when the last one goes, the connection is
    /// half-closed (the connection task holds `shared` too, so it would
    /// otherwise keep the connection open for as long as the server does).
    _last: Arc<LastHandle<P>>,
}

impl<P> Clone for Client<P> {
    fn clone(&self) -> Self {
        Client {
            shared: Arc::clone(&self.shared),
            notifications: Arc::clone(&self.notifications),
            task: Arc::clone(&self.task),
            _last: Arc::clone(&self._last),
        }
    }
}

/// Dropped with the last [`Client`] handle: no call can be in flight then
/// (calls borrow a handle), so stop new ones (pings) and half-close, like
/// [`Client::close`] without the wait.
struct LastHandle<P>(Arc<Shared<P>>);

impl<P> Drop for LastHandle<P> {
    fn drop(&mut self) {
        let mut st = self.0.lock();
        st.closing = true;
        let (dead, _) = mpsc::unbounded_channel();
        st.out = dead;
    }
}

impl<P> std::fmt::Debug for Client<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("counters", &self.shared.counters.snapshot())
            .finish()
    }
}

/// The notifications pushed by the server, in the order they arrived.
#[derive(Debug)]
pub struct Notifications<P> {
    rx: mpsc::Receiver<P>,
}

impl<P> Notifications<P> {
    /// The next notification, or `None` once the connection has ended.
    pub async fn recv(&mut self) -> Option<P> {
        self.rx.recv().await
    }
}

impl<P> Client<P>
where
    P: Protocol + for<'de> DecodeProtocol<'de> + Send + 'static,
{
    /// Connects with the default configuration.
    ///
    /// # Errors
    ///
    /// The TCP connection fails.
    pub async fn connect(addr: impl ToSocketAddrs) -> Result<Self, CallError> {
        Self::connect_with(addr, ClientConfig::default()).await
    }

    /// Connects. A configured handshake runs in the background: calls made
    /// before it completes wait for it.
    ///
    /// # Errors
    ///
    /// The TCP connection fails.
    pub async fn connect_with(
        addr: impl ToSocketAddrs,
        config: ClientConfig<P>,
    ) -> Result<Self, CallError> {
        let stream = TcpStream::connect(addr).await?;
        let peer = stream.peer_addr()?;
        apply_keepalive(&stream, config.keepalive)?;
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let (note_tx, note_rx) = mpsc::channel(config.notification_queue.max(1));
        let tags = Tags::new(P::TAG_MAX, config.max_in_flight, config.tag_quarantine);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                tags,
                closing: false,
                ended: None,
                out: out_tx,
            }),
            tag_freed: Notify::new(),
            idle: Notify::new(),
            counters: Counters::default(),
            config,
            notes_taken: std::sync::atomic::AtomicBool::new(false),
            replied: std::sync::atomic::AtomicUsize::new(0),
        });
        shared.counters.connections(1);
        let task = tokio::spawn(run(Arc::clone(&shared), stream, peer, out_rx, note_tx));
        Ok(Client {
            _last: Arc::new(LastHandle(Arc::clone(&shared))),
            shared,
            notifications: Arc::new(Mutex::new(Some(note_rx))),
            task: Arc::new(Mutex::new(Some(task))),
        })
    }

    /// Sends `req` and waits for its typed response.
    ///
    /// # Errors
    ///
    /// See [`CallError`]; a reply of another type is
    /// [`CallError::UnexpectedReply`].
    pub async fn call<R>(&self, req: R) -> Result<R::Response, CallError>
    where
        R: Request + Into<P>,
        R::Response: TryFrom<P, Error = P>,
    {
        self.call_with(req, CallOptions::default()).await
    }

    /// [`Client::call`] with per-call options.
    ///
    /// # Errors
    ///
    /// As [`Client::call`].
    pub async fn call_with<R>(&self, req: R, opts: CallOptions) -> Result<R::Response, CallError>
    where
        R: Request + Into<P>,
        R::Response: TryFrom<P, Error = P>,
    {
        let reply = self.call_raw(req.into(), opts).await?;
        R::Response::try_from(reply).map_err(|other| CallError::UnexpectedReply {
            got: other.name(),
            expected: <R::Response as Message>::NAME,
        })
    }

    /// Sends any request of the protocol and returns whatever reply carries
    /// its tag.
    ///
    /// Dropping the returned future cancels the call: its tag is
    /// quarantined, and a late reply is dropped and counted.
    ///
    /// # Errors
    ///
    /// See [`CallError`].
    pub async fn call_raw(&self, req: P, opts: CallOptions) -> Result<P, CallError> {
        call(&self.shared, req, opts).await
    }

    /// The notifications the server pushes (messages without a tag). The
    /// stream can be taken once; later calls return `None`. Until it is
    /// taken, up to [`ClientConfig::notification_queue`] notifications are
    /// kept and later ones dropped; once taken, a full queue makes the
    /// connection wait for the reader.
    pub fn notifications(&self) -> Option<Notifications<P>> {
        let mut slot = self.notifications.lock().unwrap_or_else(|e| e.into_inner());
        let rx = slot.take()?;
        self.shared
            .notes_taken
            .store(true, std::sync::atomic::Ordering::Release);
        Some(Notifications { rx })
    }

    /// Stops new calls, waits for the calls in flight, half-closes the
    /// connection and waits for the server to close its side.
    ///
    /// # Errors
    ///
    /// None today; the `Result` leaves room for I/O errors on the way out.
    pub async fn close(&self) -> Result<(), CallError> {
        loop {
            let idle = self.shared.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            {
                let mut st = self.shared.lock();
                st.closing = true;
                if st.tags.waiting() == 0 || st.ended.is_some() {
                    // Dropping the connection's sender lets the writer finish
                    // and half-close; replace it with a closed one.
                    let (dead, _) = mpsc::unbounded_channel();
                    st.out = dead;
                    break;
                }
            }
            idle.await;
        }
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
        Ok(())
    }

    /// Counters: requests, responses, dropped replies, timeouts, ...
    pub fn counters(&self) -> CounterSnapshot {
        self.shared.counters.snapshot()
    }
}

/// Sends `req` on the shared connection and waits for the reply with its
/// tag (see [`Client::call_raw`]).
async fn call<P>(shared: &Arc<Shared<P>>, mut req: P, opts: CallOptions) -> Result<P, CallError>
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
        let frame = match crate::message::frame_bytes(&req) {
            Ok(frame) => Arc::new(frame),
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
async fn take_tag<P>(
    shared: &Shared<P>,
) -> Result<(u64, oneshot::Receiver<Result<P, CallError>>), CallError> {
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

type Taken<P> = (u64, oneshot::Receiver<Result<P, CallError>>);

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

/// The connection task: handshake, then read replies until the
/// connection ends; reconnects if configured.
async fn run<P>(
    shared: Arc<Shared<P>>,
    stream: TcpStream,
    peer: SocketAddr,
    out_rx: mpsc::UnboundedReceiver<Outgoing>,
    notes: mpsc::Sender<P>,
) where
    P: Protocol + for<'de> DecodeProtocol<'de> + Send + 'static,
{
    let mut stream = stream;
    let mut out_rx = out_rx;
    let mut attempt = 0u32;
    loop {
        let outcome = serve_connection(&shared, stream, out_rx, &notes).await;
        let policy = shared.config.reconnect;
        let closing = shared.lock().closing;
        match (outcome, policy) {
            (Ended::Handshake(why), _) => {
                tracing::warn!(%peer, %why, "handshake refused");
                end(&shared, EndReason::Handshake(why));
                return;
            }
            (_, None) | (Ended::Clean, _) => {
                end(&shared, EndReason::Closed);
                return;
            }
            (Ended::Broken, Some(_)) if closing => {
                end(&shared, EndReason::Closed);
                return;
            }
            (Ended::Broken, Some(policy)) => {
                // Fail the calls that cannot be resent; keep the others, with
                // their tags: the new connection has no replies in flight.
                let (tx, rx) = mpsc::unbounded_channel();
                let resend = {
                    let mut st = shared.lock();
                    st.out = tx;
                    let mut frames = Vec::new();
                    for (tag, w) in st.tags.drain() {
                        match (w.sent, w.resend.clone()) {
                            // Not sent yet: its call sends it on the new
                            // connection's queue.
                            (false, _) => st.tags.restore(tag, w),
                            (true, Some(frame)) => {
                                frames.push(frame);
                                st.tags.restore(tag, w);
                            }
                            (true, None) => {
                                let _ = w.tx.send(Err(CallError::NotIdempotent));
                            }
                        }
                    }
                    frames
                };
                shared.tag_freed.notify_waiters();
                shared.idle.notify_waiters();
                match reconnect(&shared, peer, policy, &mut attempt).await {
                    Some(s) => {
                        shared.counters.reconnects(1);
                        shared.counters.resent(resend.len() as u64);
                        let st = shared.lock();
                        for frame in resend {
                            let _ = st.out.send(frame.into());
                        }
                        drop(st);
                        stream = s;
                        out_rx = rx;
                    }
                    None => {
                        end(&shared, EndReason::Closed);
                        return;
                    }
                }
            }
        }
    }
}

async fn reconnect<P>(
    shared: &Shared<P>,
    peer: SocketAddr,
    policy: ReconnectPolicy,
    attempt: &mut u32,
) -> Option<TcpStream> {
    let mut backoff = policy.initial_backoff;
    loop {
        // Every handle was dropped (or closed with nothing left to resend).
        let abandoned = {
            let st = shared.lock();
            st.closing && st.tags.waiting() == 0
        };
        if abandoned {
            return None;
        }
        if policy.max_attempts.is_some_and(|max| *attempt >= max) {
            tracing::warn!(%peer, attempts = *attempt, "giving up reconnecting");
            return None;
        }
        *attempt += 1;
        tokio::time::sleep(backoff).await;
        match TcpStream::connect(peer).await {
            Ok(s) => {
                if apply_keepalive(&s, shared.config.keepalive).is_ok() {
                    tracing::info!(%peer, attempt = *attempt, "reconnected");
                    *attempt = 0;
                    shared.counters.connections(1);
                    return Some(s);
                }
            }
            Err(e) => tracing::debug!(%peer, error = %e, "reconnect failed"),
        }
        backoff = (backoff * 2).min(policy.max_backoff);
    }
}

/// Fails every waiting call and refuses new ones.
fn end<P>(shared: &Shared<P>, reason: EndReason) {
    let mut st = shared.lock();
    for (_, w) in st.tags.drain() {
        let _ = w.tx.send(Err(reason.error()));
    }
    st.ended = Some(reason);
    drop(st);
    shared.tag_freed.notify_waiters();
    shared.idle.notify_waiters();
}

enum Ended {
    /// The server closed between frames, or we closed.
    Clean,
    /// The connection broke (error, mid-frame close, failed ping).
    Broken,
    Handshake(String),
}

/// Runs one connection: handshake, writer, reader. Returns how it ended.
async fn serve_connection<P>(
    shared: &Arc<Shared<P>>,
    stream: TcpStream,
    out_rx: mpsc::UnboundedReceiver<Outgoing>,
    notes: &mpsc::Sender<P>,
) -> Ended
where
    P: Protocol + for<'de> DecodeProtocol<'de> + Send + 'static,
{
    let limits = Limits {
        max_frame_len: shared.config.max_frame_len,
        idle: None,
        frame: None,
    };
    let (rd, wr) = stream.into_split();
    let mut reader = FrameReader::<P>::new(rd, limits);
    let mut wr = wr;
    if let Some(hs) = &shared.config.handshake {
        let mut conn = HandshakeConn::new(&mut reader, &mut wr);
        let limit = shared.config.handshake_timeout;
        match tokio::time::timeout(limit, hs.client(&mut conn)).await {
            Ok(Ok(())) => {}
            Ok(Err(why)) => return Ended::Handshake(why),
            Err(_) => return Ended::Handshake(format!("no handshake reply within {limit:?}")),
        }
    }
    let counters_out = Arc::clone(shared);
    let writer = tokio::spawn(async move {
        let r = conn::write_loop(
            wr,
            out_rx,
            &counters_out.counters,
            std::future::pending(),
            Some(&counters_out.replied),
        )
        .await;
        if let Err(e) = &r {
            tracing::debug!(error = %e, "client writer ended");
        }
    });
    let ping = shared.config.ping.clone();
    let mut pinging: Option<tokio::task::JoinHandle<bool>> = None;
    let outcome = loop {
        let idle_for = match &ping {
            Some((every, _)) if pinging.is_none() => Some(*every),
            _ => None,
        };
        tokio::select! {
            next = reader.next() => {
                shared.counters.bytes_in(reader.take_bytes_read());
                match next {
                    Ok(Some(msg)) => deliver(shared, msg, notes).await,
                    Ok(None) => break if shared.lock().closing { Ended::Clean } else { Ended::Broken },
                    Err(e) => {
                        tracing::warn!(error = %e, "connection to server ended");
                        shared.counters.closed_on_error(1);
                        break Ended::Broken;
                    }
                }
            }
            () = async {
                match idle_for {
                    Some(every) => tokio::time::sleep(every).await,
                    None => std::future::pending().await,
                }
            } => {
                let (every, make) = ping.as_ref().expect("idle fires only with a ping");
                let (shared, req, every) = (Arc::clone(shared), make(), *every);
                pinging = Some(tokio::spawn(async move {
                    call(&shared, req, CallOptions::timeout(every)).await.is_ok()
                }));
            }
            ok = async {
                match pinging.as_mut() {
                    Some(task) => task.await.unwrap_or(false),
                    None => std::future::pending().await,
                }
            } => {
                pinging = None;
                if !ok {
                    tracing::warn!("ping failed; connection considered dead");
                    break Ended::Broken;
                }
            }
        }
    };
    if let Some(task) = pinging {
        task.abort();
    }
    writer.abort();
    outcome
}

/// Routes one frame from the server to its call or to the notifications.
async fn deliver<P: Protocol>(shared: &Shared<P>, msg: P, notes: &mpsc::Sender<P>) {
    let Some(tag) = msg.tag() else {
        shared.counters.notifications(1);
        if shared
            .notes_taken
            .load(std::sync::atomic::Ordering::Acquire)
        {
            // Someone reads them: wait for room rather than lose one.
            if notes.send(msg).await.is_err() {
                tracing::debug!("notification dropped: the stream was dropped");
            }
        } else if notes.try_send(msg).is_err() {
            // Nobody took the stream and the queue is full: replies must
            // keep flowing, so the oldest-unread policy is to drop this one.
            tracing::debug!("notification dropped: queue full and the stream was never taken");
        }
        return;
    };
    let (completion, closing) = {
        let mut st = shared.lock();
        (st.tags.complete(tag), st.closing)
    };
    match completion {
        Completion::Waiting(w) => {
            shared.counters.responses(1);
            shared
                .replied
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let _ = w.tx.send(Ok(msg));
        }
        Completion::Late => {
            shared.counters.late(1);
            tracing::debug!(tag, name = msg.name(), "late reply dropped");
        }
        Completion::Unknown => {
            shared.counters.unsolicited(1);
            tracing::debug!(
                tag,
                name = msg.name(),
                "unsolicited or duplicate reply dropped"
            );
        }
    }
    shared.tag_freed.notify_one();
    if closing {
        shared.idle.notify_waiters();
    }
}
