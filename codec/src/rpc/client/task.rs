//! The client's background task, the dialling side's part around the
//! [`Session`] engine: for each connection the handshake as initiator,
//! then the session (which routes replies to their calls, notifications to
//! their stream and the server's requests to the handler, and pings when
//! idle); after a break, reconnection (if configured) with the idempotent
//! calls resent.

use std::string::String;
use std::vec::Vec;

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

use super::config::ClientHandler;
use super::{ClientConfig, ReconnectPolicy};
use crate::rpc::calls::{Calls, EndReason, Side};
use crate::rpc::conn::{self, FrameReader, Limits};
use crate::rpc::session::{Ended, OneWay, Session, Settings};
use crate::rpc::{apply_keepalive, CallError};
use crate::{DecodeProtocol, Protocol};

/// A connection's queue of outgoing frames, both ends.
type Queue = (conn::Out, conn::OutRx);

/// How one connection ended, as the reconnect logic sees it.
enum Outcome {
    /// The server closed between frames while we were closing, or we
    /// drained.
    Clean,
    /// The connection broke (error, mid-frame close, failed ping, a close
    /// by the server we did not ask for).
    Broken,
    /// The handshake was refused or timed out.
    Handshake(String),
}

/// The background task of one [`Client`](super::Client) and its clones.
pub(super) struct Task<P> {
    pub(super) calls: Arc<Calls<P>>,
    pub(super) config: ClientConfig<P>,
    /// The server, for reconnecting.
    pub(super) peer: SocketAddr,
    /// Where notifications go.
    pub(super) notes: mpsc::Sender<P>,
    pub(super) notes_taken: Arc<AtomicBool>,
    /// Set by `close()` or the last handle's drop: drain and end.
    pub(super) close: watch::Receiver<bool>,
    /// Failed reconnection attempts in a row.
    pub(super) attempt: u32,
}

impl<P> Task<P>
where
    P: Protocol + for<'de> DecodeProtocol<'de> + Send + 'static,
{
    /// Serves connections until the client ends: the first on `stream`,
    /// later ones after reconnecting. Then fails the calls still waiting.
    pub(super) async fn run(mut self, mut stream: TcpStream, mut queue: Queue) {
        loop {
            let outcome = self.serve(stream, queue).await;
            let closing = self.calls.lock().closing;
            let reason = match (outcome, self.config.reconnect) {
                (Outcome::Handshake(why), _) => {
                    tracing::warn!(peer = %self.peer, %why, "handshake refused");
                    EndReason::Handshake(why)
                }
                (Outcome::Broken, Some(policy)) if !closing => match self.reconnect(policy).await {
                    Some((next, next_queue)) => {
                        (stream, queue) = (next, next_queue);
                        continue;
                    }
                    None => EndReason::Closed,
                },
                (Outcome::Clean | Outcome::Broken, _) => EndReason::Closed,
            };
            self.calls.end(reason);
            return;
        }
    }

    /// Runs one connection: handshake, then the session. Returns how it
    /// ended.
    async fn serve(&self, stream: TcpStream, queue: Queue) -> Outcome {
        let limits = Limits {
            max_frame_len: self.config.max_frame_len,
            idle: None,
            frame: None,
        };
        let (rd, mut wr) = stream.into_split();
        let mut reader = FrameReader::<P>::new(rd, limits);
        let (hs, limit) = (
            self.config.handshake.as_deref(),
            self.config.handshake_timeout,
        );
        let idle = match conn::handshake(hs, true, &mut reader, &mut wr, limit).await {
            Ok(idle) => idle.flatten(),
            Err(why) => return Outcome::Handshake(why),
        };
        let settings = Settings {
            side: Side::Dialling,
            max_in_flight: self.config.max_in_flight,
            idle_timeout: idle,
            grace: self.config.close_grace,
            ping: self.config.ping.clone(),
            pong: self.config.pong.clone(),
        };
        let session = Session::<P, ClientHandler<P>>::start(
            settings,
            reader,
            wr,
            (0, self.peer),
            Arc::clone(&self.calls),
            queue,
            self.config.handler.clone().map(Arc::new),
            OneWay::Queue {
                tx: self.notes.clone(),
                taken: Arc::clone(&self.notes_taken),
            },
        );
        let mut close = self.close.clone();
        let ended = session
            .serve(async move {
                let _ = close.wait_for(|c| *c).await;
            })
            .await;
        match ended {
            Ended::Drained => Outcome::Clean,
            Ended::PeerClosed if self.calls.lock().closing => Outcome::Clean,
            Ended::PeerClosed | Ended::Broken => Outcome::Broken,
        }
    }

    /// After a break: keeps the calls that can go on the next connection,
    /// connects again, and resends the idempotent requests. `None` when
    /// giving up (or nobody is left to care).
    async fn reconnect(&mut self, policy: ReconnectPolicy) -> Option<(TcpStream, Queue)> {
        let (tx, rx) = conn::queue();
        let resend = self.requeue(tx.clone());
        self.calls.tag_freed.notify_waiters();
        self.calls.idle.notify_waiters();
        let stream = self.connect_again(policy).await?;
        self.calls.counters.reconnects(1);
        self.calls.counters.resent(resend.len() as u64);
        let st = self.calls.lock();
        for frame in resend {
            let _ = st.out.send(frame.into());
        }
        drop(st);
        Some((stream, (tx, rx)))
    }

    /// Points the calls at the next connection's queue `out`. Fails the
    /// calls that cannot be resent; keeps the others, with their tags (the
    /// new connection has no replies in flight), and returns the frames to
    /// resend.
    fn requeue(&self, out: conn::Out) -> Vec<Arc<Vec<u8>>> {
        let mut st = self.calls.lock();
        st.out = out;
        let mut frames = Vec::new();
        for (tag, w) in st.tags.drain() {
            match (w.sent, w.resend.clone()) {
                // Not sent yet: its call sends it on the new connection's
                // queue.
                (false, _) => st.tags.restore(tag, w),
                (true, Some(frame)) => {
                    // A redelivery, marked as the protocol wants (MQTT's
                    // DUP flag); the mark stays for later resends.
                    let frame = match &self.config.resend_mark {
                        Some(mark) => {
                            let mut marked = Vec::clone(&frame);
                            mark(&mut marked);
                            Arc::new(marked)
                        }
                        None => frame,
                    };
                    frames.push(Arc::clone(&frame));
                    st.tags.restore(
                        tag,
                        crate::rpc::calls::Waiter {
                            resend: Some(frame),
                            ..w
                        },
                    );
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
                let st = self.calls.lock();
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
                    if apply_keepalive(&s, self.config.keepalive).is_ok() {
                        tracing::info!(%peer, attempt = self.attempt, "reconnected");
                        self.attempt = 0;
                        self.calls.counters.connections(1);
                        return Some(s);
                    }
                }
                Err(e) => tracing::debug!(%peer, error = %e, "reconnect failed"),
            }
            backoff = (backoff * 2).min(policy.max_backoff);
        }
    }
}
