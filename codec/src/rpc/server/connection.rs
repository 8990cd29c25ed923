//! One accepted connection, the accepting side's setup around the
//! [`Session`] engine: socket options, the handshake as responder, the
//! peer's registration (for [`ServerHandle::peers`](super::ServerHandle::peers)
//! and broadcasts), then the session until it ends or the server shuts
//! down.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::net::TcpStream;

use super::Shared;
use crate::rpc::calls::{CallSettings, Calls, EndReason, Side};
use crate::rpc::conn::{self, FrameReader, Limits};
use crate::rpc::session::{OneWay, Session, Settings};
use crate::rpc::{apply_keepalive, Handler};
use crate::{DecodeProtocol, Protocol};

/// Serves `stream` from handshake to drain.
pub(super) async fn serve<P, H>(
    shared: Arc<Shared<P>>,
    handler: Arc<H>,
    stream: TcpStream,
    addr: SocketAddr,
) where
    P: Protocol + for<'de> DecodeProtocol<'de> + Send + 'static,
    H: Handler<P>,
{
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
    let hs = shared.handshake.as_deref();
    let limit = config.handshake_timeout;
    let idle = match conn::handshake(hs, false, &mut reader, &mut wr, limit).await {
        Ok(idle) => idle.unwrap_or(config.idle_timeout),
        Err(why) => {
            tracing::warn!(%addr, %why, "handshake refused");
            shared.counters.closed_on_error(1);
            return;
        }
    };
    let (tx, rx) = conn::queue();
    let calls = Arc::new(Calls::new(
        CallSettings {
            default_timeout: config.call_timeout,
            max_in_flight: config.max_in_flight,
            tag_quarantine: config.tag_quarantine,
            tag_max: config.tag_max,
        },
        Side::Accepting,
        Arc::clone(&shared.counters),
        tx.clone(),
    ));
    let settings = Settings {
        side: Side::Accepting,
        max_in_flight: config.max_in_flight,
        idle_timeout: idle,
        grace: config.shutdown_grace,
        ping: None,
        pong: None,
    };
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let session = Session::start(
        settings,
        reader,
        wr,
        (id, addr),
        Arc::clone(&calls),
        (tx, rx),
        Some(handler),
        OneWay::Handler,
    );
    shared.peers().insert(id, session.peer().clone());
    let mut stop = shared.shutdown.subscribe();
    session
        .serve(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await;
    shared.peers().remove(&id);
    // No response can come any more: the server's calls to this peer fail.
    calls.end(EndReason::Closed);
}
