//! The other side of a connection, as a handler or a caller sees it
//! ([`Peer`]: who it is, notifications and calls to it, [`IdleHold`]), and
//! what answers its requests ([`Handler`], [`Dispatcher`]). The same on
//! both sides: a server's handler gets the client as its `Peer`, a
//! client's handler (`ClientConfig::with_handler`) gets the server.

use std::sync::Arc;
use std::vec::Vec;

use std::future::Future;
use std::net::SocketAddr;

use tokio::sync::watch;

use super::calls::{self, Calls};
use super::conn;
use super::{CallError, CallOptions, ConnError, CounterSnapshot, Counters, Later};
use crate::{Dispatch, EncodeError, Protocol, Request};

/// Handles one request; the reply (if any) is sent back with the request's
/// tag copied into it.
///
/// Closures `Fn(P, Peer<P>) -> impl Future<Output = Option<P>>` implement
/// it, and so does [`Dispatcher`] for a protocol's generated service trait
/// (see [`dispatch`](crate::dispatch)).
///
/// The returned future runs on the connection's own task, alongside its
/// reading and the connection's other requests in flight (up to the
/// in-flight limit): it should wait (on I/O, a channel, a timer) rather
/// than compute or block for long; work that would is better spawned (or
/// given to `spawn_blocking`) and awaited.
///
/// The other methods are a connection's life events, for protocols with
/// their own closing rules (cs.packetstream's end-of-requests and EOF
/// packets); each does nothing by default.
pub trait Handler<P>: Send + Sync + 'static {
    /// Handles `req`, which came from `peer`.
    fn handle(&self, req: P, peer: &Peer<P>) -> impl Future<Output = Option<P>> + Send;

    /// Whether `req` goes to [`handle_later`](Handler::handle_later)
    /// instead of [`handle`](Handler::handle); `false` by default.
    ///
    /// Asked of each request before it is handled, so it should be a
    /// glance at the request (its variant), not work.
    fn answers_later(&self, req: &P) -> bool {
        let _ = req;
        false
    }

    /// Handles a request [`answers_later`](Handler::answers_later) chose:
    /// its reply goes through `later`, now or from anywhere later (another
    /// thread that completes many requests at once, say), with no future
    /// per request for the connection to keep and poll. Replies given
    /// together leave together, in one write.
    ///
    /// Called on the connection's task: hand the work on and return. By
    /// default `later` is dropped, which answers nothing.
    ///
    /// ```
    /// use codec::rpc::{Handler, Later, Peer};
    /// # use codec::{Decode, Encode, Message, Protocol};
    /// # #[derive(Debug, Encode, Decode, Message)]
    /// # #[codec(id = 1, response = Done)]
    /// # struct Job { #[codec(tag)] tag: u8, n: u32 }
    /// # #[derive(Debug, Encode, Decode, Message)]
    /// # #[codec(id = 2)]
    /// # struct Done { #[codec(tag)] tag: u8, n: u32 }
    /// # #[derive(Debug, Protocol)]
    /// # enum Work { Job(Job), Done(Done) }
    ///
    /// /// Jobs go to a worker thread, which answers each when it is done.
    /// struct Worker(std::sync::mpsc::Sender<(u32, Later<Work>)>);
    ///
    /// impl Handler<Work> for Worker {
    ///     async fn handle(&self, _: Work, _: &Peer<Work>) -> Option<Work> {
    ///         None
    ///     }
    ///
    ///     fn answers_later(&self, req: &Work) -> bool {
    ///         matches!(req, Work::Job(_))
    ///     }
    ///
    ///     fn handle_later(&self, req: Work, _: &Peer<Work>, later: Later<Work>) {
    ///         if let Work::Job(job) = req {
    ///             let _ = self.0.send((job.n, later));
    ///         }
    ///     }
    /// }
    /// # let (tx, rx) = std::sync::mpsc::channel::<(u32, Later<Work>)>();
    /// # std::thread::spawn(move || {
    /// #     for (n, later) in rx {
    /// #         later.answer(Work::Done(Done { tag: 0, n: n * 2 }));
    /// #     }
    /// # });
    /// # let _ = Worker(tx);
    /// ```
    fn handle_later(&self, req: P, peer: &Peer<P>, later: Later<P>) {
        let _ = (req, peer, later);
    }

    /// The connection begins its drain (a close, a shutdown, the peer's
    /// end or an error): this side sends no new requests. Messages queued
    /// here ([`Peer::notify`]) go out before the replies still to come.
    fn draining(&self, peer: &Peer<P>) {
        let _ = peer;
    }

    /// Every reply is queued and the connection is about to half-close:
    /// a message queued here is the last this side sends.
    fn finishing(&self, peer: &Peer<P>) {
        let _ = peer;
    }

    /// The connection ended: `error` is why, `None` for an orderly end
    /// (drained, or closed by the peer between frames).
    fn ended(&self, peer: &Peer<P>, error: Option<&ConnError>) {
        let _ = (peer, error);
    }
}

impl<P, F, Fut> Handler<P> for F
where
    P: Send + 'static,
    F: Fn(P, Peer<P>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<P>> + Send,
{
    fn handle(&self, req: P, peer: &Peer<P>) -> impl Future<Output = Option<P>> + Send {
        self(req, peer.clone())
    }
}

/// Serves a protocol through its generated service trait: each request
/// goes to its method of the shared service `S`, with the [`Peer`] it came
/// from as the context.
///
/// For `#[codec(service = StorageService)]` on `enum Storage`, implement
/// `StorageService<Peer<Storage>>` and serve `Dispatcher(Arc::new(service))`.
/// The [`Dispatch`] future is the request's whole handling: nothing is
/// boxed or spawned per request beyond what the server does for any
/// handler.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use codec::rpc::{Client, Dispatcher, Peer, Server};
/// use codec::{Decode, Encode, Message, Protocol};
///
/// #[derive(Debug, Encode, Decode, Message)]
/// #[codec(id = 1, response = Count)]
/// struct Hit { #[codec(tag)] tag: u8 }
///
/// #[derive(Debug, Encode, Decode, Message)]
/// #[codec(id = 2)]
/// struct Count { #[codec(tag)] tag: u8, hits: u64 }
///
/// #[derive(Debug, Protocol)]
/// #[codec(service = HitService)]
/// enum Hits { #[codec(request)] Hit(Hit), Count(Count) }
///
/// #[derive(Default)]
/// struct Counter(AtomicU64);
///
/// impl HitService<Peer<Hits>> for Counter {
///     async fn hit(&self, req: Hit, _peer: &Peer<Hits>) -> Count {
///         Count { tag: req.tag, hits: self.0.fetch_add(1, Ordering::Relaxed) + 1 }
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = Server::<Hits>::bind("127.0.0.1:0").await?;
/// let addr = server.local_addr()?;
/// let handle = server.serve(Dispatcher(Arc::new(Counter::default())));
/// let client = Client::<Hits>::connect(addr).await?;
/// assert_eq!(client.call(Hit { tag: 0 }).await?.hits, 1);
/// assert_eq!(client.call(Hit { tag: 0 }).await?.hits, 2);
/// # client.close().await?;
/// handle.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Dispatcher<S>(pub Arc<S>);

impl<S> Clone for Dispatcher<S> {
    fn clone(&self) -> Self {
        Dispatcher(Arc::clone(&self.0))
    }
}

impl<P, S> Handler<P> for Dispatcher<S>
where
    S: Send + Sync + 'static,
    P: Dispatch<S, Peer<P>> + Send + 'static,
{
    #[inline]
    fn handle(&self, req: P, peer: &Peer<P>) -> impl Future<Output = Option<P>> + Send {
        req.dispatch(&*self.0, peer)
    }
}

/// One connected peer: who it is, a way to push notifications to it, and
/// a way to keep its connection open while it waits for them.
///
/// A connection that sends nothing for [`ServerConfig::idle_timeout`](super::ServerConfig::idle_timeout) is
/// closed, unless something holds it open: a handler that subscribes the
/// peer to notifications (a watch, a subscription) takes a
/// [`Peer::hold_open`] guard and keeps it as long as the subscription
/// lasts. Holds are counted; the idle limit applies again once the last
/// one is dropped.
pub struct Peer<P> {
    pub(crate) id: u64,
    pub(crate) addr: SocketAddr,
    pub(crate) out: conn::Out,
    pub(crate) counters: Arc<Counters>,
    /// How many [`IdleHold`]s exist; the connection watches it.
    pub(crate) holds: Arc<watch::Sender<usize>>,
    /// This side's requests to the peer.
    pub(crate) calls: Arc<Calls<P>>,
}

impl<P> Clone for Peer<P> {
    fn clone(&self) -> Self {
        Peer {
            id: self.id,
            addr: self.addr,
            out: self.out.clone(),
            counters: Arc::clone(&self.counters),
            holds: Arc::clone(&self.holds),
            calls: Arc::clone(&self.calls),
        }
    }
}

/// Keeps a connection exempt from the idle limit while it lives: see
/// [`Peer::hold_open`].
///
/// Dropping it releases the hold. Holds outliving their connection are
/// harmless.
#[must_use = "the connection is held open only while the guard lives"]
pub struct IdleHold {
    holds: Arc<watch::Sender<usize>>,
}

impl Drop for IdleHold {
    fn drop(&mut self) {
        self.holds.send_modify(|n| *n = n.saturating_sub(1));
    }
}

impl std::fmt::Debug for IdleHold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdleHold")
            .field("holds", &*self.holds.borrow())
            .finish()
    }
}

impl<P> std::fmt::Debug for Peer<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("id", &self.id)
            .field("addr", &self.addr)
            .finish()
    }
}

impl<P: Protocol> Peer<P> {
    /// The server's number for this connection.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The peer's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The counters of this side (the whole server's, as
    /// [`ServerHandle::counters`](super::ServerHandle::counters) gives
    /// them, or the client's): for a handler that answers a stats request.
    pub fn server_counters(&self) -> CounterSnapshot {
        self.counters.snapshot()
    }

    /// Queues a notification (a message without a tag) to this peer.
    /// Returns `false` if the connection has ended.
    ///
    /// # Errors
    ///
    /// The message cannot be encoded.
    pub fn notify(&self, msg: &P) -> Result<bool, EncodeError> {
        Ok(self.send_frame(conn::encode_frame(msg)?))
    }

    /// Exempts this connection from the idle limit until the returned
    /// guard is dropped: for a peer that subscribed to notifications and
    /// has nothing to send until they come.
    ///
    /// Holds are counted (one per subscription, say); the limit applies
    /// again, counted from then, when the last is dropped. A held
    /// connection still ends when the peer closes it, when TCP keepalive
    /// finds the peer gone, when a frame takes longer than
    /// [`ServerConfig::frame_timeout`](super::ServerConfig::frame_timeout), and at shutdown.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use codec::rpc::{IdleHold, Peer, Server};
    /// # use codec::{Decode, Encode, Message, Protocol};
    /// # #[derive(Debug, Encode, Decode, Message)]
    /// # #[codec(id = 1)]
    /// # struct Subscribe { #[codec(tag)] tag: u8 }
    /// # #[derive(Debug, Protocol)]
    /// # enum Chat { Subscribe(Subscribe) }
    ///
    /// /// Subscribers: each keeps its connection open while subscribed
    /// /// (dropping an entry releases its hold).
    /// #[derive(Default)]
    /// struct Subscribers(Mutex<Vec<(Peer<Chat>, IdleHold)>>);
    ///
    /// impl Subscribers {
    ///     fn add(&self, peer: &Peer<Chat>) {
    ///         let hold = peer.hold_open();
    ///         self.0.lock().unwrap().push((peer.clone(), hold));
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let subscribers = Arc::new(Subscribers::default());
    /// let server = Server::<Chat>::bind("127.0.0.1:0").await?;
    /// let handle = server.serve(move |req: Chat, peer: Peer<Chat>| {
    ///     let subscribers = Arc::clone(&subscribers);
    ///     async move {
    ///         match req {
    ///             Chat::Subscribe(_) => subscribers.add(&peer),
    ///         }
    ///         None
    ///     }
    /// });
    /// handle.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn hold_open(&self) -> IdleHold {
        self.holds.send_modify(|n| *n += 1);
        IdleHold {
            holds: Arc::clone(&self.holds),
        }
    }

    /// Whether the connection has ended (a [`Peer::notify`] would return
    /// `false`): for a handler pruning what it keeps per connection.
    pub fn is_closed(&self) -> bool {
        self.out.is_closed()
    }

    /// Whether something holds this connection open ([`Peer::hold_open`]).
    pub fn is_held(&self) -> bool {
        *self.holds.borrow() > 0
    }

    /// Sends `req` to the peer and waits for its typed response: a
    /// request from the side that accepted the connection works as one
    /// from the side that dialled ([`Client::call`](super::Client::call)),
    /// with the same deadlines, cancellation on drop, back-pressure when
    /// every tag is in flight and quarantine of given-up tags. Its tag is
    /// drawn from this side's own tags: the peer's requests use theirs.
    ///
    /// The protocol must declare the request a
    /// [`Correlation::Request`](crate::Correlation::Request) with
    /// `#[codec(correlate = ..)]` (a merely tagged message would reach the
    /// dialling side as a response).
    ///
    /// # Errors
    ///
    /// As [`Client::call`](super::Client::call).
    pub async fn call<R>(&self, req: R) -> Result<R::Response, CallError>
    where
        R: Request + Into<P>,
        R::Response: TryFrom<P, Error = P>,
    {
        self.call_with(req, CallOptions::default()).await
    }

    /// [`Peer::call`] with per-call options.
    ///
    /// # Errors
    ///
    /// As [`Peer::call`].
    pub async fn call_with<R>(&self, req: R, opts: CallOptions) -> Result<R::Response, CallError>
    where
        R: Request + Into<P>,
        R::Response: TryFrom<P, Error = P>,
    {
        calls::call_typed(&self.calls, req, opts).await
    }

    /// Sends any request of the protocol to the peer and returns whatever
    /// response carries its tag (see [`Peer::call`]).
    ///
    /// # Errors
    ///
    /// See [`CallError`].
    pub async fn call_raw(&self, req: P, opts: CallOptions) -> Result<P, CallError> {
        calls::call(&self.calls, req, opts).await
    }

    /// Takes a free tag of this side (waiting for one when every tag is
    /// in flight) and holds it for several calls to the peer: see
    /// [`HeldTag`](super::HeldTag).
    ///
    /// # Errors
    ///
    /// [`CallError::Closed`] once the connection is closing, the error
    /// that ended it once it has ended.
    pub async fn hold_tag(&self) -> Result<super::HeldTag<P>, CallError> {
        calls::hold(&self.calls).await
    }

    /// Calls to the peer still waiting for their responses.
    pub fn calls_in_flight(&self) -> usize {
        self.calls.waiting()
    }

    /// Responses from this peer that matched no call of this side
    /// (unsolicited or duplicate), over the connection's life (the
    /// side's [`CounterSnapshot::unsolicited`] counts them for all
    /// connections).
    pub fn unsolicited(&self) -> u64 {
        self.calls
            .unsolicited
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn send_frame(&self, frame: Arc<Vec<u8>>) -> bool {
        let sent = self.out.send(frame.into()).is_ok();
        if sent {
            self.counters.notifications(1);
        }
        sent
    }
}
