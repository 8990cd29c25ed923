//! The accept loop: admits connections up to the limit, runs each in a task
//! of its own, and on shutdown waits (bounded) for them to finish.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use super::{connection, Shared};
use crate::rpc::Handler;
use crate::{DecodeProtocol, Protocol};

/// The listening socket and the connections it accepted.
pub(super) struct Listener<P, H> {
    shared: Arc<Shared<P>>,
    listener: TcpListener,
    handler: Arc<H>,
    /// One permit per connection served at once.
    limit: Arc<Semaphore>,
    conns: JoinSet<()>,
}

impl<P, H> Listener<P, H>
where
    P: Protocol + for<'de> DecodeProtocol<'de> + Send + 'static,
    H: Handler<P>,
{
    pub(super) fn new(shared: Arc<Shared<P>>, listener: TcpListener, handler: Arc<H>) -> Self {
        Listener {
            limit: Arc::new(Semaphore::new(shared.config.max_connections)),
            shared,
            listener,
            handler,
            conns: JoinSet::new(),
        }
    }

    /// Accepts until shutdown, then waits for the connections.
    pub(super) async fn run(mut self) {
        let mut stop = self.shared.shutdown.subscribe();
        loop {
            while self.conns.try_join_next().is_some() {}
            let Some((stream, addr)) = self.accept(&mut stop).await else {
                break;
            };
            if let Some(permit) = self.admit(addr) {
                self.spawn(stream, addr, permit);
            }
        }
        self.drain().await;
    }

    /// The next connection, or `None` at shutdown.
    async fn accept(
        &mut self,
        stop: &mut watch::Receiver<bool>,
    ) -> Option<(TcpStream, SocketAddr)> {
        loop {
            let accepted = tokio::select! {
                _ = stop.wait_for(|s| *s) => return None,
                accepted = self.listener.accept() => accepted,
            };
            match accepted {
                Ok(pair) => return Some(pair),
                Err(e) => {
                    // Out of file descriptors and the like: back off, go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    /// A slot for a new connection, or `None` (counted, and the connection
    /// closed by dropping it) at the connection limit.
    fn admit(&self, addr: SocketAddr) -> Option<OwnedSemaphorePermit> {
        let Ok(permit) = Arc::clone(&self.limit).try_acquire_owned() else {
            tracing::warn!(%addr, max = self.shared.config.max_connections, "connection limit reached; refusing");
            self.shared.counters.refused(1);
            return None;
        };
        self.shared.counters.connections(1);
        Some(permit)
    }

    /// Serves one connection in a task of its own, holding its slot.
    fn spawn(&mut self, stream: TcpStream, addr: SocketAddr, permit: OwnedSemaphorePermit) {
        let (shared, handler) = (Arc::clone(&self.shared), Arc::clone(&self.handler));
        self.conns.spawn(async move {
            connection::serve(shared, handler, stream, addr).await;
            drop(permit);
        });
    }

    /// Stops listening and gives the connections the shutdown grace (plus
    /// a second) to finish; aborts those still open after it.
    async fn drain(self) {
        let Listener {
            shared,
            listener,
            mut conns,
            ..
        } = self;
        drop(listener);
        let grace = shared.config.shutdown_grace + Duration::from_secs(1);
        if tokio::time::timeout(grace, async { while conns.join_next().await.is_some() {} })
            .await
            .is_err()
        {
            tracing::warn!(
                left = conns.len(),
                "connections still open after the shutdown grace; aborting them"
            );
            conns.abort_all();
        }
    }
}
