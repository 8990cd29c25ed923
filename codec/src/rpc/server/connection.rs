//! One accepted connection: the handshake, then the run (read requests,
//! start their handlers, within the in-flight limit), then the drain
//! (finish the requests in flight, flush the replies, half-close).
//!
//! Handlers run on the connection's own task where they can: most answer
//! without waiting, so the replies to the requests of one read are queued
//! together and the writer sends them in one write. Only a handler that
//! waits gets a task of its own.

use std::boxed::Box;
use std::format;
use std::string::String;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinError, JoinHandle, JoinSet};

use super::{Handler, Peer, Shared};
use crate::rpc::conn::{self, FrameReader, HandshakeConn, Limits, Outgoing};
use crate::rpc::error::Chain;
use crate::rpc::{apply_keepalive, ConnError, Counters};
use crate::{DecodeProtocol, Protocol};

/// On shutdown, a connection keeps reading requests that are already on
/// their way until none has arrived for this long.
const SHUTDOWN_QUIET: Duration = Duration::from_millis(100);

/// A connection that passed its handshake and is registered as a peer.
pub(super) struct Connection<P, H> {
    shared: Arc<Shared<P>>,
    handler: Arc<H>,
    addr: SocketAddr,
    reader: FrameReader<P>,
    peer: Peer<P>,
    /// The count of the peer's [`IdleHold`](super::IdleHold)s.
    holds: watch::Receiver<usize>,
    writer: Writer,
    /// One permit per request between its arrival and its reply's write.
    in_flight: Arc<Semaphore>,
    /// Handlers that waited, each in a task of its own.
    tasks: JoinSet<()>,
    /// Shutdown began: no new requests beyond those already on their way.
    shutting_down: bool,
}

/// The handler panicked: the connection closes (its calls then fail at
/// once instead of waiting for a reply that will never come).
struct Panicked;

impl<P, H> Connection<P, H>
where
    P: Protocol + for<'de> DecodeProtocol<'de> + Send + 'static,
    H: Handler<P>,
{
    /// Serves `stream` from handshake to drain.
    pub(super) async fn serve(
        shared: Arc<Shared<P>>,
        handler: Arc<H>,
        stream: TcpStream,
        addr: SocketAddr,
    ) {
        if let Some(mut conn) = Self::open(shared, handler, stream, addr).await {
            conn.run().await;
            conn.drain().await;
        }
    }

    /// Sets the socket up and runs the handshake; on success registers the
    /// peer and starts the writer.
    async fn open(
        shared: Arc<Shared<P>>,
        handler: Arc<H>,
        stream: TcpStream,
        addr: SocketAddr,
    ) -> Option<Self> {
        let config = &shared.config;
        if let Err(e) = apply_keepalive(&stream, config.keepalive) {
            tracing::debug!(%addr, error = %e, "socket options not applied");
        }
        let limits = Limits {
            max_frame_len: config.max_frame_len,
            idle: config.idle_timeout,
            frame: config.frame_timeout,
        };
        let (rd, mut wr) = stream.into_split();
        let mut reader = FrameReader::<P>::new(rd, limits);
        if let Err(why) = Self::handshake(&shared, &mut reader, &mut wr).await {
            tracing::warn!(%addr, %why, "handshake refused");
            shared.counters.closed_on_error(1);
            return None;
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let (holds, held) = watch::channel(0);
        let peer = Peer {
            id: shared.next_id.fetch_add(1, Ordering::Relaxed),
            addr,
            out: tx,
            counters: Arc::clone(&shared.counters),
            holds: Arc::new(holds),
            _protocol: std::marker::PhantomData,
        };
        shared.peers().insert(peer.id, peer.clone());
        Some(Connection {
            writer: Writer::spawn(wr, rx, Arc::clone(&shared.counters)),
            in_flight: Arc::new(Semaphore::new(config.max_in_flight)),
            tasks: JoinSet::new(),
            shutting_down: false,
            shared,
            handler,
            addr,
            reader,
            peer,
            holds: held,
        })
    }

    /// The server's side of the configured handshake, if any, within its
    /// time limit.
    async fn handshake(
        shared: &Shared<P>,
        reader: &mut FrameReader<P>,
        wr: &mut OwnedWriteHalf,
    ) -> Result<(), String> {
        let Some(hs) = &shared.handshake else {
            return Ok(());
        };
        let limit = shared.config.handshake_timeout;
        let mut conn = HandshakeConn::new(reader, wr);
        match tokio::time::timeout(limit, hs.server(&mut conn)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(format!("no handshake within {limit:?}")),
        }
    }

    /// Reads requests and starts their handlers until the peer closes, an
    /// error or a panic ends the connection, or shutdown finds no more
    /// requests on their way.
    async fn run(&mut self) {
        let mut stop = self.shared.shutdown.subscribe();
        // One wait for the whole connection: made anew for every request, it
        // would register with the shutdown channel (taking its lock) each
        // time.
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        tokio::pin!(stopped);
        while let Some(req) = self.next_request(stopped.as_mut()).await {
            let Some(permit) = self.in_flight_slot(stopped.as_mut()).await else {
                break;
            };
            if self.start(req, permit).await.is_err() {
                break;
            }
        }
    }

    /// The next request, or `None` when the connection is to end. Reaps
    /// the handler tasks that finish meanwhile.
    async fn next_request(&mut self, mut stopped: Pin<&mut impl Future<Output = ()>>) -> Option<P> {
        loop {
            // A connection waiting on its own slow requests is not idle,
            // nor is one the handler holds open (a subscriber).
            let held = *self.holds.borrow_and_update() > 0;
            let idle = if self.tasks.is_empty() && !held {
                self.shared.config.idle_timeout
            } else {
                None
            };
            self.reader.set_idle(idle);
            let (reader, tasks, holds, shutting_down) = (
                &mut self.reader,
                &mut self.tasks,
                &mut self.holds,
                self.shutting_down,
            );
            let next = tokio::select! {
                biased;
                () = &mut stopped, if !shutting_down => {
                    // Stop taking new requests, but serve those already
                    // sent: read on while frames keep arriving (briefly,
                    // bounded).
                    self.shutting_down = true;
                    continue;
                }
                // While held, a release ends the wait so that the idle
                // limit applies again (the reader keeps any partial frame).
                // Unheld, the watch is not polled: no registration per
                // request; a hold taken meanwhile is seen when the idle
                // limit expires (below).
                Ok(()) = holds.changed(), if held => continue,
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    if self.finished(done).is_err() {
                        return None;
                    }
                    continue;
                }
                next = async {
                    if shutting_down {
                        tokio::time::timeout(SHUTDOWN_QUIET, reader.next()).await.ok()
                    } else {
                        Some(reader.next().await)
                    }
                } => next?,
            };
            self.shared.counters.bytes_in(self.reader.take_bytes_read());
            return match next {
                Ok(Some(req)) => {
                    self.shared.counters.requests(1);
                    Some(req)
                }
                Ok(None) => None,
                // A hold taken while the idle clock ran: not idle after all.
                Err(ConnError::Idle(_)) if *self.holds.borrow() > 0 => continue,
                Err(e) => {
                    log_conn_error(self.addr, &e);
                    self.shared.counters.closed_on_error(1);
                    None
                }
            };
        }
    }

    /// A handler task ended; a panic closes the connection.
    fn finished(&self, done: Result<(), JoinError>) -> Result<(), Panicked> {
        match done {
            Err(e) if e.is_panic() => Err(self.panicked()),
            _ => Ok(()),
        }
    }

    /// Logs and counts a handler's panic.
    fn panicked(&self) -> Panicked {
        tracing::error!(addr = %self.addr, "request handler panicked; closing the connection");
        self.shared.counters.closed_on_error(1);
        Panicked
    }

    /// A slot for one more request in flight. At the limit, reading pauses
    /// until a reply is written; `None` if the writer ends (a peer that
    /// never reads its replies) or shutdown begins meanwhile.
    async fn in_flight_slot(
        &mut self,
        stopped: Pin<&mut impl Future<Output = ()>>,
    ) -> Option<OwnedSemaphorePermit> {
        if let Ok(permit) = Arc::clone(&self.in_flight).try_acquire_owned() {
            return Some(permit);
        }
        tracing::info!(addr = %self.addr, max = self.shared.config.max_in_flight, "in-flight limit reached; pausing reads");
        let shutting_down = self.shutting_down;
        tokio::select! {
            permit = Arc::clone(&self.in_flight).acquire_owned() => permit.ok(),
            _ = self.writer.ended.wait_for(|gone| *gone) => None,
            () = stopped, if !shutting_down => {
                self.shutting_down = true;
                None
            }
        }
    }

    /// Runs the request's handler: polled once here, and given a task of
    /// its own only if it waits (that task polls it again, with its own
    /// waker). Spawning every request made the writer wake, and write,
    /// once per reply.
    async fn start(&mut self, req: P, permit: OwnedSemaphorePermit) -> Result<(), Panicked> {
        let mut job = Box::pin(answer(
            Arc::clone(&self.handler),
            self.peer.clone(),
            req,
            permit,
        ));
        let ran = std::future::poll_fn(|cx| {
            Poll::Ready(std::panic::catch_unwind(std::panic::AssertUnwindSafe(
                || job.as_mut().poll(cx),
            )))
        })
        .await;
        match ran {
            Ok(Poll::Ready(())) => Ok(()),
            Ok(Poll::Pending) => {
                self.tasks.spawn(job);
                Ok(())
            }
            Err(_) => Err(self.panicked()),
        }
    }

    /// Finishes the requests in flight (within the grace), lets the writer
    /// flush and half-close, and after a shutdown waits for the peer to
    /// close its side.
    async fn drain(self) {
        let Connection {
            shared,
            addr,
            mut reader,
            peer,
            writer,
            mut tasks,
            shutting_down,
            ..
        } = self;
        let grace = shared.config.shutdown_grace;
        if tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} })
            .await
            .is_err()
        {
            tracing::warn!(%addr, left = tasks.len(), "requests still running after the grace; abandoning them");
            tasks.abort_all();
        }
        shared.peers().remove(&peer.id);
        drop(peer);
        writer.finish(addr, grace).await;
        if shutting_down {
            // Half-closed: wait for the peer to close its side.
            reader.drain_until_eof(grace).await;
        }
    }
}

/// Handles one request and queues its reply, with the request's tag, and
/// with the in-flight permit, which is released once the reply is written
/// (or here, when there is no reply).
async fn answer<P, H>(handler: Arc<H>, peer: Peer<P>, req: P, permit: OwnedSemaphorePermit)
where
    P: Protocol,
    H: Handler<P>,
{
    let tag = req.tag();
    let Some(mut reply) = handler.handle(req, &peer).await else {
        return;
    };
    if let Some(tag) = tag {
        reply.set_tag(tag);
    }
    match conn::encode_frame(&reply) {
        Ok(frame) => {
            let out = Outgoing {
                frame,
                permit: Some(permit),
            };
            if peer.out.send(out).is_ok() {
                peer.counters.responses(1);
            }
        }
        Err(e) => {
            tracing::error!(addr = %peer.addr, error = %Chain(&e), "reply cannot be encoded; dropped")
        }
    }
}

/// The connection's writer task, and how to stop it.
struct Writer {
    task: JoinHandle<io::Result<()>>,
    /// Tells the writer to finish with what is queued: notification
    /// handles held elsewhere keep its channel open.
    stop: oneshot::Sender<()>,
    /// Set when the writer ends (the peer stopped taking bytes, or we
    /// stopped it): requests waiting for a reply slot then wait no longer.
    ended: watch::Receiver<bool>,
}

impl Writer {
    fn spawn(
        wr: OwnedWriteHalf,
        rx: mpsc::UnboundedReceiver<Outgoing>,
        counters: Arc<Counters>,
    ) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let (gone, ended) = watch::channel(false);
        let task = tokio::spawn(async move {
            let stopped = async {
                let _ = stopped.await;
            };
            let result = conn::write_loop(wr, rx, &counters, stopped, None).await;
            gone.send_replace(true);
            result
        });
        Writer { task, stop, ended }
    }

    /// Stops the writer once it has written what is queued, and waits for
    /// it (within `grace`).
    async fn finish(self, addr: SocketAddr, grace: Duration) {
        let _ = self.stop.send(());
        match tokio::time::timeout(grace, self.task).await {
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
