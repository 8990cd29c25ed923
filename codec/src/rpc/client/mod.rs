//! The dialling side: pipelined, tagged calls over one connection, and
//! (with [`ClientConfig::with_handler`]) answers to the server's own
//! requests.
//!
//! [`Client`] is the handle (cheap to clone); each call runs on the
//! caller's task ([`calls`](crate::rpc::calls)), and one background task
//! per client ([`task`]) dials, runs the handshake as initiator, runs the
//! connection on the engine both sides share
//! ([`Session`](crate::rpc::session::Session)) and reconnects.

mod config;
mod task;

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpStream, ToSocketAddrs};
use tokio::sync::{mpsc, watch};

pub use self::config::{
    CallOptions, ClientConfig, ClientHandler, Pong, ReconnectPolicy, ResendMark,
};

use self::task::Task;
use super::calls::{self, CallSettings, Calls, Side};
use super::{apply_keepalive, CallError, CounterSnapshot, Counters};
use crate::{DecodeProtocol, Protocol, Request};

/// A connection to a server: pipelined, tagged calls and a stream of
/// notifications. Cheap to clone; all clones share the connection.
pub struct Client<P> {
    shared: Arc<Calls<P>>,
    notifications: Arc<Mutex<Option<mpsc::Receiver<P>>>>,
    /// Someone took the notification stream.
    notes_taken: Arc<AtomicBool>,
    /// Starts the connection's drain.
    close: Arc<watch::Sender<bool>>,
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
            notes_taken: Arc::clone(&self.notes_taken),
            close: Arc::clone(&self.close),
            task: Arc::clone(&self.task),
            _last: Arc::clone(&self._last),
        }
    }
}

/// Dropped with the last [`Client`] handle: no call can be in flight then
/// (calls borrow a handle), so stop new ones (pings) and half-close, like
/// [`Client::close`] without the wait.
struct LastHandle<P>(Arc<Calls<P>>, Arc<watch::Sender<bool>>);

impl<P> Drop for LastHandle<P> {
    fn drop(&mut self) {
        self.0.stop_sending();
        self.1.send_replace(true);
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
        let (out_tx, out_rx) = crate::rpc::conn::queue();
        let (note_tx, note_rx) = mpsc::channel(config.notification_queue.max(1));
        let settings = CallSettings {
            default_timeout: config.default_timeout,
            max_in_flight: config.max_in_flight,
            tag_quarantine: config.tag_quarantine,
            tag_max: config.tag_max,
        };
        let shared = Arc::new(Calls::new(
            settings,
            Side::Dialling,
            Arc::new(Counters::default()),
            out_tx.clone(),
        ));
        shared.counters.connections(1);
        let notes_taken = Arc::new(AtomicBool::new(false));
        let (close, close_rx) = watch::channel(false);
        let close = Arc::new(close);
        let task = Task {
            calls: Arc::clone(&shared),
            config,
            peer,
            notes: note_tx,
            notes_taken: Arc::clone(&notes_taken),
            close: close_rx,
            attempt: 0,
        };
        let task = tokio::spawn(task.run(stream, (out_tx, out_rx)));
        Ok(Client {
            _last: Arc::new(LastHandle(Arc::clone(&shared), Arc::clone(&close))),
            shared,
            notifications: Arc::new(Mutex::new(Some(note_rx))),
            notes_taken,
            close,
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
        calls::call_typed(&self.shared, req, opts).await
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
        calls::call(&self.shared, req, opts).await
    }

    /// Takes a free tag (waiting for one when every tag is in flight) and
    /// holds it for several calls: see [`HeldTag`](calls::HeldTag).
    ///
    /// # Errors
    ///
    /// [`CallError::Closed`] once the client is closing, the error that
    /// ended it once it has ended.
    pub async fn hold_tag(&self) -> Result<calls::HeldTag<P>, CallError> {
        calls::hold(&self.shared).await
    }

    /// Sends `req` now (requests go out in the order submitted) and
    /// returns its pending response, without waiting for a free tag and
    /// without a deadline: for protocols whose callers fire requests from
    /// synchronous code (cs.packetstream's `submit`). [`Client::call_raw`]
    /// is the usual way.
    ///
    /// # Errors
    ///
    /// [`CallError::Busy`] when every tag is in flight; otherwise as
    /// [`Client::call_raw`].
    pub fn submit(&self, req: P, opts: CallOptions) -> Result<calls::PendingCall<P>, CallError> {
        calls::submit(&self.shared, req, opts.idempotent)
    }

    /// Sends a one-way message (one the protocol declares
    /// [`Correlation::OneWay`](crate::Correlation::OneWay), or any
    /// untagged message): nothing waits for a reply. It goes out in order
    /// with the calls sent before and after it.
    ///
    /// # Errors
    ///
    /// [`CallError::Closed`] once the client is closing, the error that
    /// ended it once it has ended, or the message does not encode.
    pub fn send(&self, msg: impl Into<P>) -> Result<(), CallError> {
        let frame = super::conn::encode_frame(&msg.into())?;
        let st = self.shared.lock();
        if st.closing {
            return Err(CallError::Closed);
        }
        if let Some(reason) = &st.ended {
            return Err(reason.error());
        }
        // A send error means the connection task is gone; it ends the
        // client.
        let _ = st.out.send(frame.into());
        Ok(())
    }

    /// The notifications the server pushes (messages without a tag). The
    /// stream can be taken once; later calls return `None`. Until it is
    /// taken, up to [`ClientConfig::notification_queue`] notifications are
    /// kept and later ones dropped; once taken, a full queue makes the
    /// connection wait for the reader.
    #[must_use = "the stream can be taken only once; dropping it loses the notifications"]
    pub fn notifications(&self) -> Option<Notifications<P>> {
        let mut slot = self.notifications.lock().unwrap_or_else(|e| e.into_inner());
        let rx = slot.take()?;
        self.notes_taken
            .store(true, std::sync::atomic::Ordering::Release);
        Some(Notifications { rx })
    }

    /// Stops new calls, waits for the calls in flight (and the server's
    /// requests being answered), half-closes the connection and waits for
    /// the server to close its side, each step within
    /// [`ClientConfig::close_grace`].
    ///
    /// # Errors
    ///
    /// None today; the `Result` leaves room for I/O errors on the way out.
    pub async fn close(&self) -> Result<(), CallError> {
        self.shared.lock().closing = true;
        // The connection drains: its calls in flight get their replies
        // (or their deadlines), then it half-closes and waits for the
        // server's close.
        self.close.send_replace(true);
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
