//! The client's background task: for each connection, the handshake, a
//! writer, and a reader that routes replies to their calls and
//! notifications to their stream, with pings when idle; after a break,
//! reconnection (if configured) with the idempotent calls resent.

use std::format;
use std::string::String;
use std::vec::Vec;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::call::call;
use super::shared::{EndReason, Shared};
use super::{CallOptions, ReconnectPolicy};
use crate::rpc::conn::{self, FrameReader, HandshakeConn, Limits, Outgoing};
use crate::rpc::error::Chain;
use crate::rpc::tags::Completion;
use crate::rpc::{apply_keepalive, CallError};
use crate::{DecodeProtocol, Protocol};

/// How one connection ended.
enum Ended {
    /// The server closed between frames, or we closed.
    Clean,
    /// The connection broke (error, mid-frame close, failed ping).
    Broken,
    /// The handshake was refused or timed out.
    Handshake(String),
}

/// The background task of one [`Client`](super::Client) and its clones.
pub(super) struct Task<P> {
    shared: Arc<Shared<P>>,
    /// The server, for reconnecting.
    peer: SocketAddr,
    /// Where notifications go.
    notes: mpsc::Sender<P>,
    /// Failed reconnection attempts in a row.
    attempt: u32,
}

impl<P> Task<P>
where
    P: Protocol + for<'de> DecodeProtocol<'de> + Send + 'static,
{
    pub(super) fn new(shared: Arc<Shared<P>>, peer: SocketAddr, notes: mpsc::Sender<P>) -> Self {
        Task {
            shared,
            peer,
            notes,
            attempt: 0,
        }
    }

    /// Serves connections until the client ends: the first on `stream`,
    /// later ones after reconnecting. Then fails the calls still waiting.
    pub(super) async fn run(
        mut self,
        mut stream: TcpStream,
        mut out_rx: mpsc::UnboundedReceiver<Outgoing>,
    ) {
        loop {
            let outcome = self.serve(stream, out_rx).await;
            let closing = self.shared.lock().closing;
            let reason = match (outcome, self.shared.config.reconnect) {
                (Ended::Handshake(why), _) => {
                    tracing::warn!(peer = %self.peer, %why, "handshake refused");
                    EndReason::Handshake(why)
                }
                (Ended::Broken, Some(policy)) if !closing => match self.reconnect(policy).await {
                    Some((next, next_rx)) => {
                        (stream, out_rx) = (next, next_rx);
                        continue;
                    }
                    None => EndReason::Closed,
                },
                (Ended::Clean | Ended::Broken, _) => EndReason::Closed,
            };
            self.shared.end(reason);
            return;
        }
    }

    /// Runs one connection: handshake, writer, reader. Returns how it ended.
    async fn serve(&self, stream: TcpStream, out_rx: mpsc::UnboundedReceiver<Outgoing>) -> Ended {
        let limits = Limits {
            max_frame_len: self.shared.config.max_frame_len,
            idle: None,
            frame: None,
        };
        let (rd, mut wr) = stream.into_split();
        let mut reader = FrameReader::<P>::new(rd, limits);
        if let Err(why) = self.handshake(&mut reader, &mut wr).await {
            return Ended::Handshake(why);
        }
        let writer = self.spawn_writer(wr, out_rx);
        let outcome = self.read(&mut reader).await;
        writer.abort();
        outcome
    }

    /// The client's side of the configured handshake, if any, within its
    /// time limit.
    async fn handshake(
        &self,
        reader: &mut FrameReader<P>,
        wr: &mut OwnedWriteHalf,
    ) -> Result<(), String> {
        let Some(hs) = &self.shared.config.handshake else {
            return Ok(());
        };
        let limit = self.shared.config.handshake_timeout;
        let mut conn = HandshakeConn::new(reader, wr);
        match tokio::time::timeout(limit, hs.client(&mut conn)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(format!("no handshake reply within {limit:?}")),
        }
    }

    /// Writes what the calls queue, batching the frames of callers that
    /// are about to call again (see [`conn::write_loop`]).
    fn spawn_writer(
        &self,
        wr: OwnedWriteHalf,
        out_rx: mpsc::UnboundedReceiver<Outgoing>,
    ) -> JoinHandle<()> {
        let shared = Arc::clone(&self.shared);
        tokio::spawn(async move {
            let r = conn::write_loop(
                wr,
                out_rx,
                &shared.counters,
                std::future::pending(),
                Some(&shared.replied),
            )
            .await;
            if let Err(e) = &r {
                tracing::debug!(error = %e, "client writer ended");
            }
        })
    }

    /// Reads frames until the connection ends, pinging when idle.
    async fn read(&self, reader: &mut FrameReader<P>) -> Ended {
        let ping = self.shared.config.ping.clone();
        let mut pinging: Option<JoinHandle<bool>> = None;
        let outcome = loop {
            let idle_for = match &ping {
                Some((every, _)) if pinging.is_none() => Some(*every),
                _ => None,
            };
            tokio::select! {
                next = reader.next() => {
                    self.shared.counters.bytes_in(reader.take_bytes_read());
                    match next {
                        Ok(Some(msg)) => self.deliver(msg).await,
                        Ok(None) => break if self.shared.lock().closing { Ended::Clean } else { Ended::Broken },
                        Err(e) => {
                            tracing::warn!(error = %Chain(&e), "connection to server ended");
                            self.shared.counters.closed_on_error(1);
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
                    pinging = Some(self.ping(make(), *every));
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
        outcome
    }

    /// Sends a ping as a call with `every` as its deadline; the task says
    /// whether it was answered.
    fn ping(&self, req: P, every: Duration) -> JoinHandle<bool> {
        let shared = Arc::clone(&self.shared);
        tokio::spawn(async move {
            call(&shared, req, CallOptions::timeout(every))
                .await
                .is_ok()
        })
    }

    /// Routes one frame from the server to its call or to the
    /// notifications.
    async fn deliver(&self, msg: P) {
        let shared = &self.shared;
        let Some(tag) = msg.tag() else {
            shared.counters.notifications(1);
            if shared.notes_taken.load(Ordering::Acquire) {
                // Someone reads them: wait for room rather than lose one.
                if self.notes.send(msg).await.is_err() {
                    tracing::debug!("notification dropped: the stream was dropped");
                }
            } else if self.notes.try_send(msg).is_err() {
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
                shared.replied.fetch_add(1, Ordering::Relaxed);
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

    /// After a break: keeps the calls that can go on the next connection,
    /// connects again, and resends the idempotent requests. `None` when
    /// giving up (or nobody is left to care).
    async fn reconnect(
        &mut self,
        policy: ReconnectPolicy,
    ) -> Option<(TcpStream, mpsc::UnboundedReceiver<Outgoing>)> {
        let (tx, rx) = mpsc::unbounded_channel();
        let resend = self.requeue(tx);
        self.shared.tag_freed.notify_waiters();
        self.shared.idle.notify_waiters();
        let stream = self.connect_again(policy).await?;
        self.shared.counters.reconnects(1);
        self.shared.counters.resent(resend.len() as u64);
        let st = self.shared.lock();
        for frame in resend {
            let _ = st.out.send(frame.into());
        }
        drop(st);
        Some((stream, rx))
    }

    /// Points the calls at the next connection's queue `out`. Fails the
    /// calls that cannot be resent; keeps the others, with their tags (the
    /// new connection has no replies in flight), and returns the frames to
    /// resend.
    fn requeue(&self, out: mpsc::UnboundedSender<Outgoing>) -> Vec<Arc<Vec<u8>>> {
        let mut st = self.shared.lock();
        st.out = out;
        let mut frames = Vec::new();
        for (tag, w) in st.tags.drain() {
            match (w.sent, w.resend.clone()) {
                // Not sent yet: its call sends it on the new connection's
                // queue.
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
    }

    /// Connects to the server again, with exponential backoff.
    async fn connect_again(&mut self, policy: ReconnectPolicy) -> Option<TcpStream> {
        let peer = self.peer;
        let mut backoff = policy.initial_backoff;
        loop {
            // Every handle was dropped (or closed with nothing left to resend).
            let abandoned = {
                let st = self.shared.lock();
                st.closing && st.tags.waiting() == 0
            };
            if abandoned {
                return None;
            }
            if policy.max_attempts.is_some_and(|max| self.attempt >= max) {
                tracing::warn!(%peer, attempts = self.attempt, "giving up reconnecting");
                return None;
            }
            self.attempt += 1;
            tokio::time::sleep(backoff).await;
            match TcpStream::connect(peer).await {
                Ok(s) => {
                    if apply_keepalive(&s, self.shared.config.keepalive).is_ok() {
                        tracing::info!(%peer, attempt = self.attempt, "reconnected");
                        self.attempt = 0;
                        self.shared.counters.connections(1);
                        return Some(s);
                    }
                }
                Err(e) => tracing::debug!(%peer, error = %e, "reconnect failed"),
            }
            backoff = (backoff * 2).min(policy.max_backoff);
        }
    }
}
