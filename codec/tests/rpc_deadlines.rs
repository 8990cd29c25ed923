//! Deadlines and cancellation: a timed-out call's late reply is dropped
//! and counted, a dropped call's tag is freed (at once, after its
//! quarantine, or by its late reply), and the idle ping keeps a connection
//! alive or finds a dead server.
#![cfg(feature = "rpc")]

mod support {
    pub mod rpc;
}

use std::sync::Arc;
use std::time::Duration;

use codec::rpc::{CallError, CallOptions, Client, ClientConfig, Peer, Server, ServerConfig};
use support::rpc::*;
use tokio::sync::Barrier;
use tokio::time::Instant;

/// Pings with `n` from `SLOW` up are answered after `n - SLOW` ms; pings
/// from `GATE` up wait until `GATE_WIDTH` of them are in flight at once.
const SLOW: u32 = 1_000_000;
const GATE: u32 = 2_000_000;
const GATE_WIDTH: usize = 256;
/// Pings from `SILENT` up get no reply at all.
const SILENT: u32 = 3_000_000;

async fn serve_small() -> (codec::rpc::ServerHandle<Small>, std::net::SocketAddr) {
    let server = Server::<Small>::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let gate = Arc::new(Barrier::new(GATE_WIDTH));
    let handle = server.serve(move |req: Small, _peer: Peer<Small>| {
        let gate = gate.clone();
        async move {
            let Small::Ping(p) = &req else { return None };
            if p.n >= SILENT {
                return None;
            } else if p.n >= GATE {
                gate.wait().await;
            } else if p.n >= SLOW {
                tokio::time::sleep(Duration::from_millis(u64::from(p.n - SLOW))).await;
            }
            answer(req)
        }
    });
    (handle, addr)
}

/// Runs `GATE_WIDTH` (256) calls that the server answers only once all of
/// them are in flight at once: it completes only if the client can use
/// every tag of the `u8` space.
async fn all_tags_in_flight(client: &Client<Small>) {
    let calls = (0..GATE_WIDTH as u32).map(|i| {
        let client = client.clone();
        tokio::spawn(async move { (i, client.call(ping(GATE + i)).await) })
    });
    for call in calls.collect::<Vec<_>>() {
        let (i, reply) = call.await.unwrap();
        check_pong(GATE + i, &reply.unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_fires_late_reply_is_dropped_and_counted() {
    bounded(20, async {
        let (handle, addr) = serve_small().await;
        let client = Client::<Small>::connect(addr).await.unwrap();

        let start = Instant::now();
        let slow = client.call_with(
            ping(SLOW + 300),
            CallOptions::timeout(Duration::from_millis(50)),
        );
        match slow.await {
            Err(CallError::Timeout(d)) => assert_eq!(d, Duration::from_millis(50)),
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert!(
            start.elapsed() < Duration::from_millis(250),
            "timeout fired late"
        );
        assert_eq!(client.counters().timeouts, 1);

        // The connection works while the late reply is still on its way.
        check_pong(1, &client.call(ping(1)).await.unwrap());
        assert_eq!(client.counters().late, 0);

        // The late reply arrives, is dropped and counted, not delivered.
        eventually("late reply counted", Duration::from_secs(2), || {
            client.counters().late == 1
        })
        .await;
        let c = client.counters();
        assert_eq!((c.responses, c.unsolicited), (1, 0));
        check_pong(2, &client.call(ping(2)).await.unwrap());

        // The late reply freed the quarantined tag (quarantine is 30 s by
        // default): all 256 tags can be in flight again.
        all_tags_in_flight(&client).await;

        // A client-wide default deadline applies to calls that set none.
        let strict = Client::<Small>::connect_with(
            addr,
            ClientConfig::default().with_default_timeout(Duration::from_millis(30)),
        )
        .await
        .unwrap();
        assert!(matches!(
            strict.call(ping(SLOW + 200)).await,
            Err(CallError::Timeout(_))
        ));
        check_pong(3, &strict.call(ping(3)).await.unwrap());

        client.close().await.unwrap();
        strict.close().await.unwrap();
        handle.shutdown().await;
    })
    .await;
}

/// A call dropped before its reply (here: a silent server) frees its tag:
/// with a zero quarantine at once, so 256 further calls can all be in
/// flight right away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_call_frees_its_tag() {
    bounded(20, async {
        let (handle, addr) = serve_small().await;
        let cfg = ClientConfig::default().with_tag_quarantine(Duration::ZERO);
        let client = Client::<Small>::connect_with(addr, cfg).await.unwrap();

        // Dropping the future cancels the call (no CallOptions timeout).
        let dropped =
            tokio::time::timeout(Duration::from_millis(100), client.call(ping(SILENT))).await;
        assert!(dropped.is_err(), "the silent call cannot complete");
        assert_eq!(client.counters().timeouts, 0, "a drop is not a timeout");

        check_pong(7, &client.call(ping(7)).await.unwrap());
        let start = Instant::now();
        all_tags_in_flight(&client).await;
        assert!(start.elapsed() < Duration::from_secs(2));

        client.close().await.unwrap();
        handle.shutdown().await;
    })
    .await;
}

/// With a 300 ms quarantine the dropped call's tag is held back, then freed
/// by time: the 256 calls all get in flight once the quarantine has passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quarantined_tag_is_freed_after_the_quarantine() {
    bounded(20, async {
        let (handle, addr) = serve_small().await;
        let cfg = ClientConfig::default().with_tag_quarantine(Duration::from_millis(300));
        let client = Client::<Small>::connect_with(addr, cfg).await.unwrap();

        let dropped_at = Instant::now();
        let dropped =
            tokio::time::timeout(Duration::from_millis(10), client.call(ping(SILENT))).await;
        assert!(dropped.is_err());
        all_tags_in_flight(&client).await;
        let waited = dropped_at.elapsed();
        assert!(
            waited >= Duration::from_millis(250),
            "the 256th call got a tag after {waited:?}, before the quarantine ended"
        );
        assert_eq!(client.counters().late, 0);

        client.close().await.unwrap();
        handle.shutdown().await;
    })
    .await;
}

fn ping_config(every: Duration) -> ClientConfig<Small> {
    ClientConfig::default().with_ping(every, || Small::Ping(ping(99)))
}

/// The idle ping keeps a connection alive past the server's idle limit;
/// a client without it is cut off as idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_ping_keeps_the_connection_alive() {
    bounded(20, async {
        let scfg = ServerConfig::default().with_idle_timeout(Duration::from_millis(400));
        let server = Server::<Small>::bind_with("127.0.0.1:0", scfg)
            .await
            .unwrap();
        let addr = server.local_addr().unwrap();
        let handle = server.serve(|req: Small, _peer: Peer<Small>| async move { answer(req) });

        let pinged = Client::<Small>::connect_with(addr, ping_config(Duration::from_millis(100)))
            .await
            .unwrap();
        let silent = Client::<Small>::connect(addr).await.unwrap();
        check_pong(1, &pinged.call(ping(1)).await.unwrap());
        check_pong(1, &silent.call(ping(1)).await.unwrap());

        tokio::time::sleep(Duration::from_millis(1_200)).await;

        check_pong(2, &pinged.call(ping(2)).await.unwrap());
        let c = pinged.counters();
        assert!(c.requests >= 6, "pings sent: {}", c.requests - 2);
        assert_eq!((c.timeouts, c.closed_on_error), (0, 0));

        match silent.call(ping(2)).await {
            Err(CallError::ConnectionClosed) => {}
            other => panic!("the idle connection should be closed, got {other:?}"),
        }
        assert_eq!(
            handle.counters().closed_on_error,
            1,
            "only the silent client"
        );

        pinged.close().await.unwrap();
        handle.shutdown().await;
    })
    .await;
}

/// A server that accepts and reads but never answers: the idle ping times
/// out, the connection is declared dead, and the pending call fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_ping_detects_a_dead_server() {
    bounded(20, async {
        let l = listener().await;
        let addr = l.local_addr().unwrap();
        let fake = tokio::spawn(async move {
            let (mut rd, wr) = accept_raw(&l).await;
            let mut got = Vec::new();
            // Read until the client gives up on us, keep the socket open.
            while let Some(Ok(msg)) = futures::StreamExt::next(&mut rd).await {
                got.push(msg);
            }
            drop(wr);
            got
        });

        let client = Client::<Small>::connect_with(addr, ping_config(Duration::from_millis(200)))
            .await
            .unwrap();
        let start = Instant::now();
        match client.call(ping(5)).await {
            Err(CallError::ConnectionClosed) => {}
            other => panic!("expected ConnectionClosed, got {other:?}"),
        }
        let took = start.elapsed();
        assert!(
            (Duration::from_millis(350)..Duration::from_secs(2)).contains(&took),
            "dead server found after {took:?} (ping every 200 ms, 200 ms to answer)"
        );
        let got = fake.await.unwrap();
        assert_eq!(got.len(), 2, "the call and one ping: {got:?}");
        assert!(matches!(
            client.call(ping(6)).await,
            Err(CallError::ConnectionClosed)
        ));
    })
    .await;
}
