//! Connection lifecycles: graceful close and shutdown with calls in
//! flight, 1,000 concurrent connections, handshakes, and reconnecting with
//! idempotent resends.
#![cfg(feature = "rpc")]

mod support {
    pub mod rpc;
}

use std::sync::Arc;
use std::time::Duration;

use codec::rpc::{
    CallError, CallOptions, Client, ClientConfig, Peer, ReconnectPolicy, Server, ServerConfig,
};
use support::rpc::*;
use tokio::sync::Barrier;
use tokio::time::Instant;

/// A server whose handler answers after 100 to 200 ms.
async fn slow_server(config: ServerConfig) -> codec::rpc::ServerHandle<Small> {
    let server = Server::<Small>::bind_with("127.0.0.1:0", config)
        .await
        .unwrap();
    server.serve(|req: Small, _peer: Peer<Small>| async move {
        if let Small::Ping(p) = &req {
            tokio::time::sleep(Duration::from_millis(100 + mix(p.n.into()) % 100)).await;
        }
        answer(req)
    })
}

fn spawn_calls(
    client: &Client<Small>,
    ns: std::ops::Range<u32>,
) -> Vec<tokio::task::JoinHandle<(u32, Result<Pong, CallError>)>> {
    ns.map(|n| {
        let client = client.clone();
        tokio::spawn(async move { (n, client.call(ping(n)).await) })
    })
    .collect()
}

/// `close()` with 100 calls in flight (sent, not yet answered): all 100
/// complete, a later call fails with `Closed`, and both sides exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_close_drains_100_calls_in_flight() {
    bounded(20, async {
        let handle = slow_server(ServerConfig::default()).await;
        let client = Client::<Small>::connect(handle.local_addr().unwrap())
            .await
            .unwrap();
        let calls = spawn_calls(&client, 0..100);
        eventually("100 requests sent", Duration::from_secs(5), || {
            client.counters().requests == 100
        })
        .await;
        assert_eq!(client.counters().responses, 0, "none answered yet");

        client.close().await.unwrap();
        // close() returned: everything was answered before the half-close.
        assert_eq!(client.counters().responses, 100);
        for call in calls {
            let (n, reply) = call.await.unwrap();
            check_pong(n, &reply.unwrap());
        }
        match client.call(ping(100)).await {
            Err(CallError::Closed) => {}
            other => panic!("expected Closed, got {other:?}"),
        }
        // The server saw the client's half-close and ended the connection.
        eventually("server dropped the peer", Duration::from_secs(2), || {
            handle.peers().is_empty()
        })
        .await;
        let start = Instant::now();
        handle.shutdown().await;
        assert!(start.elapsed() < Duration::from_secs(1));
        let s = handle.counters();
        assert_eq!((s.requests, s.responses, s.closed_on_error), (100, 100, 0));
    })
    .await;
}

/// `ServerHandle::shutdown` with 100 requests in flight: the server stops
/// accepting, finishes and sends all 100 replies, half-closes, and returns
/// once the client has closed; the client then reports the connection
/// closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_shutdown_drains_100_requests_in_flight() {
    bounded(20, async {
        let handle = slow_server(ServerConfig::default()).await;
        let addr = handle.local_addr().unwrap();
        let client = Client::<Small>::connect(addr).await.unwrap();
        let calls = spawn_calls(&client, 0..100);
        eventually("100 requests received", Duration::from_secs(5), || {
            handle.counters().requests == 100
        })
        .await;

        let start = Instant::now();
        handle.shutdown().await;
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "shutdown took {:?}",
            start.elapsed()
        );
        for call in calls {
            let (n, reply) = call.await.unwrap();
            check_pong(n, &reply.unwrap());
        }
        assert!(matches!(
            client.call(ping(100)).await,
            Err(CallError::ConnectionClosed)
        ));
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "the listener is closed"
        );
        client.close().await.unwrap();
    })
    .await;
}

/// 1,000 connections, each with one call in flight: the server answers
/// only when all 1,000 requests are in at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_concurrent_connections() {
    const CONNS: usize = 1_000;
    bounded(20, async {
        // 1,000 client and 1,000 server sockets in this process.
        let server = Server::<Small>::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let gate = Arc::new(Barrier::new(CONNS));
        let handle = server.serve(move |req: Small, _peer: Peer<Small>| {
            let gate = gate.clone();
            async move {
                gate.wait().await;
                answer(req)
            }
        });

        let clients: Vec<_> = (0..CONNS as u32)
            .map(|n| {
                tokio::spawn(async move {
                    let client = Client::<Small>::connect(addr).await.unwrap();
                    let reply = client.call(ping(n)).await;
                    (n, reply, client)
                })
            })
            .collect();
        let mut open = Vec::new();
        for c in clients {
            let (n, reply, client) = c.await.unwrap();
            check_pong(n, &reply.unwrap());
            open.push(client);
        }
        let s = handle.counters();
        assert_eq!(
            (s.connections, s.requests, s.responses),
            (1_000, 1_000, 1_000)
        );
        assert_eq!(handle.peers().len(), CONNS);
        futures::future::join_all(open.iter().map(|c| c.close())).await;
        handle.shutdown().await;
    })
    .await;
}

fn with_handshake(hs: TokenHandshake) -> ClientConfig<Small> {
    ClientConfig::default().with_handshake(hs)
}

/// Calls made before the handshake completes (the server takes 300 ms to
/// welcome the client) wait for it and are answered after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_before_the_handshake_are_answered_after_it() {
    bounded(20, async {
        let server = Server::<Small>::bind("127.0.0.1:0")
            .await
            .unwrap()
            .with_handshake(TokenHandshake::new("sesame", Duration::from_millis(300)));
        let addr = server.local_addr().unwrap();
        let handle = server.serve(|req: Small, _peer: Peer<Small>| async move { answer(req) });

        let start = Instant::now();
        let hs = TokenHandshake::new("sesame", Duration::ZERO);
        let client = Client::<Small>::connect_with(addr, with_handshake(hs))
            .await
            .unwrap();
        let calls = spawn_calls(&client, 0..10);
        for call in calls {
            let (n, reply) = call.await.unwrap();
            check_pong(n, &reply.unwrap());
            assert!(
                start.elapsed() >= Duration::from_millis(300),
                "answered before the welcome"
            );
        }
        assert_eq!(handle.counters().closed_on_error, 0);
        client.close().await.unwrap();
        handle.shutdown().await;
    })
    .await;
}

/// A wrong token: the server refuses it (and says why), calls waiting for
/// the handshake and calls made afterwards fail with
/// `CallError::Handshake` carrying the server's reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_token_is_refused_on_both_sides() {
    bounded(20, async {
        let server_hs = TokenHandshake::new("sesame", Duration::from_millis(100));
        let refused = server_hs.refused.clone();
        let server = Server::<Small>::bind("127.0.0.1:0")
            .await
            .unwrap()
            .with_handshake(server_hs);
        let addr = server.local_addr().unwrap();
        let handle = server.serve(|req: Small, _peer: Peer<Small>| async move { answer(req) });

        let hs = TokenHandshake::new("open up", Duration::ZERO);
        let client = Client::<Small>::connect_with(addr, with_handshake(hs))
            .await
            .unwrap();
        let calls = spawn_calls(&client, 0..5);
        for call in calls {
            match call.await.unwrap().1 {
                Err(CallError::Handshake(why)) => {
                    assert_eq!(why, r#"server refused the token: bad token "open up""#);
                }
                other => panic!("expected a handshake error, got {other:?}"),
            }
        }
        let after = client.call(ping(9)).await;
        assert!(matches!(after, Err(CallError::Handshake(_))), "{after:?}");
        assert_eq!(*refused.lock().unwrap(), [r#"bad token "open up""#]);
        let s = handle.counters();
        assert_eq!((s.closed_on_error, s.requests), (1, 0));
        assert!(handle.peers().is_empty());

        // The right token still gets in.
        let hs = TokenHandshake::new("sesame", Duration::ZERO);
        let good = Client::<Small>::connect_with(addr, with_handshake(hs))
            .await
            .unwrap();
        check_pong(1, &good.call(ping(1)).await.unwrap());
        good.close().await.unwrap();
        client.close().await.unwrap();
        handle.shutdown().await;
    })
    .await;
}

/// The server is shut down with 20 idempotent calls and one ordinary call
/// unanswered (its handler never answers), then restarted on the same
/// port: the client reconnects, resends the 20, and they complete; the
/// ordinary call fails with `NotIdempotent`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_resends_idempotent_calls() {
    bounded(20, async {
        let scfg = ServerConfig::default().with_shutdown_grace(Duration::from_millis(200));
        let first = Server::<Small>::bind_with("127.0.0.1:0", scfg.clone())
            .await
            .unwrap();
        let addr = first.local_addr().unwrap();
        let first = first.serve(|_req: Small, _peer: Peer<Small>| async move {
            std::future::pending::<()>().await;
            None
        });

        let cfg = ClientConfig::default().with_reconnect(
            ReconnectPolicy::default()
                .with_initial_backoff(Duration::from_millis(20))
                .with_max_backoff(Duration::from_millis(100))
                .with_max_attempts(100),
        );
        let client = Client::<Small>::connect_with(addr, cfg).await.unwrap();
        let idempotent: Vec<_> = (0..20u32)
            .map(|n| {
                let client = client.clone();
                tokio::spawn(async move {
                    (
                        n,
                        client
                            .call_with(ping(n), CallOptions::default().idempotent())
                            .await,
                    )
                })
            })
            .collect();
        let ordinary = {
            let client = client.clone();
            tokio::spawn(async move { client.call(ping(1_000)).await })
        };
        eventually(
            "21 requests at the first server",
            Duration::from_secs(5),
            || first.counters().requests == 21,
        )
        .await;

        first.shutdown().await;
        match ordinary.await.unwrap() {
            Err(CallError::NotIdempotent) => {}
            other => panic!("expected NotIdempotent, got {other:?}"),
        }
        assert_eq!(client.counters().responses, 0);

        let second = Server::<Small>::bind_with(addr, scfg).await.unwrap();
        let second = second.serve(|req: Small, _peer: Peer<Small>| async move { answer(req) });
        for call in idempotent {
            let (n, reply) = call.await.unwrap();
            check_pong(n, &reply.unwrap());
        }
        let c = client.counters();
        assert_eq!((c.reconnects, c.resent, c.connections), (1, 20, 2));
        assert_eq!(second.counters().requests, 20);
        // New calls go over the new connection.
        check_pong(2_000, &client.call(ping(2_000)).await.unwrap());

        client.close().await.unwrap();
        second.shutdown().await;
    })
    .await;
}

/// Dropping every handle of a client (without `close()`) ends its
/// connection: the server sees the peer go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_client_closes_its_connection() {
    bounded(20, async {
        let server = Server::<Small>::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let handle = server.serve(|req: Small, _peer: Peer<Small>| async move { answer(req) });
        let client = Client::<Small>::connect(addr).await.unwrap();
        let other = client.clone();
        check_pong(1, &client.call(ping(1)).await.unwrap());
        assert_eq!(handle.peers().len(), 1);
        drop(client);
        check_pong(2, &other.call(ping(2)).await.unwrap());
        drop(other);
        eventually(
            "server sees the dropped client go",
            Duration::from_secs(2),
            || handle.peers().is_empty(),
        )
        .await;
        handle.shutdown().await;
    })
    .await;
}
