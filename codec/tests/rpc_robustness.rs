//! Hostile and broken peers: unsolicited, duplicate and mistyped replies
//! from a raw-socket fake server; a server that dies mid-frame; a client
//! that trickles a frame; an oversize frame.
#![cfg(feature = "rpc")]

mod support {
    pub mod rpc;
}

use std::time::Duration;

use codec::rpc::{CallError, Client, ClientConfig, Peer, Server, ServerConfig};
use codec::Encode;
use futures::StreamExt;
use support::rpc::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// Pings below this get the fake server's injections.
const INJECT_BELOW: u32 = 1_000;
/// This ping is answered with a `Fail` (right tag, wrong type).
const MISTYPED: u32 = 13;

/// A fake server that hand-writes frames: for each early ping it sends an
/// unsolicited reply (a tag no call holds), the real reply and then the
/// same reply again (a duplicate); later pings get just the reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsolicited_and_duplicate_replies_are_counted_and_dropped() {
    bounded(20, async {
        let l = listener().await;
        let addr = l.local_addr().unwrap();
        let fake = tokio::spawn(async move {
            let (mut rd, mut wr) = accept_raw(&l).await;
            while let Some(msg) = rd.next().await {
                let Small::Ping(p) = msg.unwrap() else {
                    continue;
                };
                let mut reply = pong(p.n);
                reply.tag = p.tag;
                if p.n >= INJECT_BELOW {
                    write_msg(&mut wr, reply).await;
                    continue;
                }
                // Sequential calls use tags 0, 1, 2, ..: 200 + x is never
                // in flight while x is.
                let mut stray = reply.clone();
                stray.tag = p.tag.wrapping_add(200);
                stray.n = 0xDEAD;
                write_msg(&mut wr, stray).await;
                if p.n == MISTYPED {
                    write_msg(
                        &mut wr,
                        Fail {
                            tag: p.tag,
                            code: 9,
                        },
                    )
                    .await;
                    continue;
                }
                // Reply and duplicate in one write, so they arrive together.
                let mut both = Small::Pong(reply.clone()).to_bytes().unwrap();
                both.extend(Small::Pong(reply).to_bytes().unwrap());
                wr.write_all(&both).await.unwrap();
            }
        });

        let client = Client::<Small>::connect(addr).await.unwrap();
        for n in 0..20 {
            match client.call(ping(n)).await {
                Ok(reply) => check_pong(n, &reply),
                Err(CallError::UnexpectedReply { got, expected }) if n == MISTYPED => {
                    assert_eq!((got, expected), ("Fail", "Pong"));
                }
                Err(e) => panic!("call {n}: {e}"),
            }
        }
        // 20 strays plus 19 duplicates (the mistyped call got none).
        eventually(
            "strays and duplicates counted",
            Duration::from_secs(2),
            || client.counters().unsolicited == 39,
        )
        .await;

        // The connection goes on: pipelined calls are all answered right.
        let calls = (INJECT_BELOW..INJECT_BELOW + 500).map(|n| {
            let client = client.clone();
            tokio::spawn(async move { (n, client.call(ping(n)).await) })
        });
        for call in calls.collect::<Vec<_>>() {
            let (n, reply) = call.await.unwrap();
            check_pong(n, &reply.unwrap());
        }
        let c = client.counters();
        assert_eq!((c.requests, c.responses), (520, 520));
        assert_eq!((c.unsolicited, c.late, c.closed_on_error), (39, 0, 0));
        assert_eq!(c.dropped(), 39);

        client.close().await.unwrap();
        fake.await.unwrap();
    })
    .await;
}

/// Fake server: reads `calls` pings, then writes `tail` (part of a frame,
/// or nothing) and drops the connection; reports when it did.
async fn dying_server(
    tail: Vec<u8>,
    calls: usize,
) -> (std::net::SocketAddr, oneshot::Receiver<Instant>) {
    let l = listener().await;
    let addr = l.local_addr().unwrap();
    let (died, when) = oneshot::channel();
    tokio::spawn(async move {
        let (mut rd, mut wr) = accept_raw(&l).await;
        for _ in 0..calls {
            read_msg(&mut rd).await;
        }
        wr.write_all(&tail).await.unwrap();
        drop((rd, wr));
        let _ = died.send(Instant::now());
    });
    (addr, when)
}

async fn pending_calls_fail_when_the_peer_dies(tail: Vec<u8>, expect_error_count: u64) {
    const CALLS: usize = 50;
    let (addr, died) = dying_server(tail, CALLS).await;
    let client = Client::<Small>::connect(addr).await.unwrap();
    let calls: Vec<_> = (0..CALLS as u32)
        .map(|n| {
            let client = client.clone();
            tokio::spawn(async move {
                let r = client.call(ping(n)).await;
                (r, Instant::now())
            })
        })
        .collect();
    let died = died.await.unwrap();
    for call in calls {
        let (result, at) = call.await.unwrap();
        assert!(
            matches!(result, Err(CallError::ConnectionClosed)),
            "expected ConnectionClosed, got {result:?}"
        );
        let after = at.saturating_duration_since(died);
        assert!(
            after < Duration::from_secs(1),
            "failed {after:?} after the peer died"
        );
    }
    assert!(matches!(
        client.call(ping(99)).await,
        Err(CallError::ConnectionClosed)
    ));
    assert_eq!(client.counters().closed_on_error, expect_error_count);
    client.close().await.unwrap();
}

/// The server writes half a frame and dies: every pending call fails
/// within a second with `ConnectionClosed` (and the truncation is counted
/// as an error).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_dies_mid_frame() {
    bounded(20, async {
        let mut reply = Small::Pong(pong(1)).to_bytes().unwrap();
        reply.truncate(reply.len() / 2);
        pending_calls_fail_when_the_peer_dies(reply, 1).await;
    })
    .await;
}

/// Same between frames: a clean EOF with calls pending also fails them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_dies_between_frames() {
    bounded(20, pending_calls_fail_when_the_peer_dies(Vec::new(), 0)).await;
}

/// Waits until the server ends the connection (EOF or reset); returns when.
async fn wait_closed(rd: &mut tokio::net::tcp::OwnedReadHalf) -> Instant {
    let mut buf = [0u8; 256];
    loop {
        match rd.read(&mut buf).await {
            Ok(0) | Err(_) => return Instant::now(),
            Ok(_) => {}
        }
    }
}

/// A client trickling a frame one byte per 100 ms is cut off after the
/// 300 ms frame timeout, while another client is served normally.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trickling_peer_is_cut_off_others_are_served() {
    bounded(20, async {
        let cfg = ServerConfig::default().with_frame_timeout(Duration::from_millis(300));
        let server = Server::<Small>::bind_with("127.0.0.1:0", cfg)
            .await
            .unwrap();
        let addr = server.local_addr().unwrap();
        let handle = server.serve(|req: Small, _peer: Peer<Small>| async move { answer(req) });

        let normal = Client::<Small>::connect(addr).await.unwrap();
        let trickler = TcpStream::connect(addr).await.unwrap();
        trickler.set_nodelay(true).unwrap();
        let (mut trd, mut twr) = trickler.into_split();
        let mut frame = Small::Ping(Ping {
            tag: 0,
            n: 1,
            pad: vec![7; 40],
        })
        .to_bytes()
        .unwrap();
        frame.truncate(30);
        let started = Instant::now();
        let closed = tokio::spawn(async move { wait_closed(&mut trd).await });
        let writer = tokio::spawn(async move {
            for b in frame {
                if twr.write_all(&[b]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });

        // Meanwhile the other client's calls go through, ~every 20 ms.
        let mut n = 0;
        while started.elapsed() < Duration::from_millis(1_000) {
            check_pong(n, &normal.call(ping(n)).await.unwrap());
            n += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(n >= 20, "only {n} calls in a second");

        let cut = closed.await.unwrap().duration_since(started);
        assert!(
            (Duration::from_millis(250)..Duration::from_millis(800)).contains(&cut),
            "trickler cut off after {cut:?} (frame timeout 300 ms)"
        );
        writer.await.unwrap();
        let s = handle.counters();
        assert_eq!(s.closed_on_error, 1);
        assert_eq!(s.requests, u64::from(n), "the trickled frame never counted");
        check_pong(n, &normal.call(ping(n)).await.unwrap());

        normal.close().await.unwrap();
        handle.shutdown().await;
    })
    .await;
}

/// A header declaring more than `max_frame_len` closes that connection at
/// once, before the body arrives; the server serves the other clients.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_frame_closes_that_connection_only() {
    bounded(20, async {
        let cfg = ServerConfig::default().with_max_frame_len(1024);
        let server = Server::<Small>::bind_with("127.0.0.1:0", cfg)
            .await
            .unwrap();
        let addr = server.local_addr().unwrap();
        let handle = server.serve(|req: Small, _peer: Peer<Small>| async move { answer(req) });
        let normal = Client::<Small>::connect(addr).await.unwrap();
        check_pong(1, &normal.call(ping(1)).await.unwrap());

        // 1. A raw peer: header id 1 (Ping), payload length 60,000; only
        //    the header and a few bytes are sent.
        let raw = TcpStream::connect(addr).await.unwrap();
        let (mut rrd, mut rwr) = raw.into_split();
        let sent = Instant::now();
        rwr.write_all(&[0x01, 0xEA, 0x60, 0, 1, 2, 3])
            .await
            .unwrap();
        let closed = wait_closed(&mut rrd).await.duration_since(sent);
        assert!(closed < Duration::from_secs(1), "closed after {closed:?}");
        assert_eq!(handle.counters().closed_on_error, 1);
        check_pong(2, &normal.call(ping(2)).await.unwrap());

        // 2. A framework client sending a 2,000-byte request: its
        //    connection is closed, its call fails, the other goes on.
        let big = Client::<Small>::connect(addr).await.unwrap();
        let request = Ping {
            tag: 0,
            n: 3,
            pad: vec![0; 2_000],
        };
        match big.call(request).await {
            Err(CallError::ConnectionClosed) => {}
            other => panic!("expected ConnectionClosed, got {other:?}"),
        }
        assert_eq!(handle.counters().closed_on_error, 2);
        check_pong(3, &normal.call(ping(3)).await.unwrap());

        // 3. The same limit on the client side: a server reply over the
        //    client's max_frame_len ends that client's connection.
        let ccfg = ClientConfig::default().with_max_frame_len(8);
        let picky = Client::<Small>::connect_with(addr, ccfg).await.unwrap();
        match picky.call(ping(1_000_000_000)).await {
            Err(CallError::ConnectionClosed) => {}
            other => panic!("expected ConnectionClosed, got {other:?}"),
        }
        assert_eq!(picky.counters().closed_on_error, 1);
        check_pong(4, &normal.call(ping(4)).await.unwrap());

        normal.close().await.unwrap();
        handle.shutdown().await;
        assert_eq!(handle.counters().connections, 4);
    })
    .await;
}

/// Past `max_connections` a connection is refused (closed at once, its
/// call fails, counted); the connected clients are unaffected, and a slot
/// freed by a closing client is taken again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_limit_refuses_extra_connections() {
    bounded(20, async {
        let cfg = ServerConfig::default().with_max_connections(2);
        let server = Server::<Small>::bind_with("127.0.0.1:0", cfg)
            .await
            .unwrap();
        let addr = server.local_addr().unwrap();
        let handle = server.serve(|req: Small, _peer: Peer<Small>| async move { answer(req) });
        let a = Client::<Small>::connect(addr).await.unwrap();
        let b = Client::<Small>::connect(addr).await.unwrap();
        check_pong(1, &a.call(ping(1)).await.unwrap());
        check_pong(2, &b.call(ping(2)).await.unwrap());

        let c = Client::<Small>::connect(addr).await.unwrap();
        match c.call(ping(3)).await {
            Err(CallError::ConnectionClosed) => {}
            other => panic!("expected ConnectionClosed, got {other:?}"),
        }
        let s = handle.counters();
        assert_eq!((s.refused, s.connections), (1, 2));
        check_pong(4, &a.call(ping(4)).await.unwrap());

        // b's slot is freed once the server has finished with b's
        // connection (shortly after close() returns): retry until then.
        b.close().await.unwrap();
        let (d, reply) = loop {
            let d = Client::<Small>::connect(addr).await.unwrap();
            match d.call(ping(5)).await {
                Ok(reply) => break (d, reply),
                Err(CallError::ConnectionClosed) => {
                    tokio::time::sleep(Duration::from_millis(10)).await
                }
                Err(e) => panic!("{e}"),
            }
        };
        check_pong(5, &reply);
        assert_eq!(handle.counters().connections, 3);

        a.close().await.unwrap();
        d.close().await.unwrap();
        handle.shutdown().await;
    })
    .await;
}

/// Past `max_in_flight` requests on one connection the server stops
/// reading it until one finishes: never more than 4 handlers run at once,
/// and all 200 calls complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_limit_applies_back_pressure() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    bounded(20, async {
        let cfg = ServerConfig::default().with_max_in_flight(4);
        let server = Server::<Small>::bind_with("127.0.0.1:0", cfg)
            .await
            .unwrap();
        let addr = server.local_addr().unwrap();
        let (now, most) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let (nw, mo) = (now.clone(), most.clone());
        let handle = server.serve(move |req: Small, _peer: Peer<Small>| {
            let (nw, mo) = (nw.clone(), mo.clone());
            async move {
                mo.fetch_max(nw.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(2)).await;
                nw.fetch_sub(1, Ordering::SeqCst);
                answer(req)
            }
        });
        let client = Client::<Small>::connect(addr).await.unwrap();
        let calls = (0..200).map(|n| {
            let client = client.clone();
            tokio::spawn(async move { (n, client.call(ping(n)).await) })
        });
        for call in calls.collect::<Vec<_>>() {
            let (n, reply) = call.await.unwrap();
            check_pong(n, &reply.unwrap());
        }
        assert_eq!(most.load(Ordering::SeqCst), 4);
        client.close().await.unwrap();
        handle.shutdown().await;
    })
    .await;
}

/// A peer that sends requests and never reads the replies: replies count
/// against the in-flight limit until they are written, so the server stops
/// reading from it (instead of queueing every reply in memory) and serves
/// others meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_never_reads_replies_is_paused() {
    bounded(20, async {
        let handled = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = std::sync::Arc::clone(&handled);
        let config = ServerConfig::default().with_max_in_flight(4);
        let server = Server::<Small>::bind_with("127.0.0.1:0", config)
            .await
            .unwrap();
        let addr = server.local_addr().unwrap();
        let handle = server.serve(move |req: Small, _peer: Peer<Small>| {
            seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            async move {
                match req {
                    // A large reply: a few of them fill the socket buffers.
                    Small::Ping(p) => Some(Small::Pong(Pong {
                        tag: p.tag,
                        n: p.n,
                        text: "x".repeat(250),
                    })),
                    _ => None,
                }
            }
        });
        // 26 MB of replies: more than the socket buffers on both ends hold.
        let sent = 100_000u32;
        let mut hog = TcpStream::connect(addr).await.unwrap();
        let mut frames = Vec::new();
        for n in 0..sent {
            frames.extend(Small::Ping(ping(n)).to_bytes().unwrap());
        }
        // Written from a task (the server stops reading, so this may
        // block), which keeps the socket open until told to let go.
        let (release, released) = oneshot::channel::<()>();
        let writer = tokio::spawn(async move {
            let _ = hog.write_all(&frames).await;
            let _ = released.await;
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        let paused_at = handled.load(std::sync::atomic::Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let later = handled.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(
            paused_at, later,
            "the server kept handling requests nobody reads"
        );
        assert!(
            (later as u32) < sent * 3 / 4,
            "{later} of {sent} requests handled: replies were queued without bound"
        );
        // Others are served meanwhile.
        let client = Client::<Small>::connect(addr).await.unwrap();
        assert_eq!(client.call(ping(7)).await.unwrap().n, 7);
        client.close().await.unwrap();
        // The hog leaves; its connection ends and the server shuts down.
        let _ = release.send(());
        writer.abort();
        handle.shutdown().await;
    })
    .await;
}

/// A handler that panics, at once or after waiting (both run on the
/// connection's task), closes that connection only: its caller's call
/// fails, the panic is counted, and calls on another connection and on a
/// new one are served, including ones whose handlers wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_closes_its_connection_only() {
    bounded(20, async {
        let server = Server::<Small>::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let handle = server.serve(|req: Small, _peer: Peer<Small>| async move {
            if let Small::Ping(p) = &req {
                if p.n >= 10 {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                assert!(p.n % 10 != 7, "handler panics on request {}", p.n);
            }
            answer(req)
        });
        for (round, n) in [(0, 7), (1, 17)] {
            let doomed = Client::<Small>::connect(addr).await.unwrap();
            let other = Client::<Small>::connect(addr).await.unwrap();
            check_pong(12, &other.call(ping(12)).await.unwrap());
            assert!(doomed.call(ping(n)).await.is_err(), "round {round}");
            check_pong(13, &other.call(ping(13)).await.unwrap());
            check_pong(3, &other.call(ping(3)).await.unwrap());
            assert_eq!(handle.counters().closed_on_error, round + 1);
            let fresh = Client::<Small>::connect(addr).await.unwrap();
            check_pong(11, &fresh.call(ping(11)).await.unwrap());
            other.close().await.unwrap();
            fresh.close().await.unwrap();
        }
        handle.shutdown().await;
    })
    .await;
}
