//! The idle limit and subscribers: a connection the handler holds open
//! (`Peer::hold_open`) outlives the idle limit and still gets
//! notifications; an unheld one is closed; holds are counted, and once
//! the last is released the limit applies again; the frame time limit
//! still applies to a held connection.
#![cfg(feature = "rpc")]

mod support {
    pub mod rpc;
}

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use codec::rpc::{CallError, Client, IdleHold, Peer, Server, ServerConfig, ServerHandle};
use futures::StreamExt;
use support::rpc::*;

/// `ping(SUBSCRIBE)` takes a hold on the caller's connection.
const SUBSCRIBE: u32 = 1_000;
/// `ping(UNSUBSCRIBE)` releases one of the caller's holds.
const UNSUBSCRIBE: u32 = 2_000;

/// Holds by peer id, as a service keeps its subscribers.
type Holds = Arc<Mutex<HashMap<u64, Vec<IdleHold>>>>;

/// A server answering `Small` whose `ping(SUBSCRIBE)` takes a hold on
/// the caller's connection and `ping(UNSUBSCRIBE)` releases one.
async fn holding_server(config: ServerConfig) -> (ServerHandle<Small>, Holds) {
    let server = Server::<Small>::bind_with("127.0.0.1:0", config)
        .await
        .unwrap();
    let holds: Holds = Arc::default();
    let table = Arc::clone(&holds);
    let handle = server.serve(move |req: Small, peer: Peer<Small>| {
        let table = Arc::clone(&table);
        async move {
            if let Small::Ping(p) = &req {
                let mut table = table.lock().unwrap();
                let mine = table.entry(peer.id()).or_default();
                match p.n {
                    SUBSCRIBE => mine.push(peer.hold_open()),
                    UNSUBSCRIBE => drop(mine.pop()),
                    _ => {}
                }
            }
            answer(req)
        }
    });
    (handle, holds)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_connection_outlives_the_idle_limit() {
    bounded(20, async {
        let idle = Duration::from_millis(300);
        let config = ServerConfig::default().with_idle_timeout(idle);
        let (handle, holds) = holding_server(config).await;
        let addr = handle.local_addr().unwrap();

        let subscriber = Client::<Small>::connect(addr).await.unwrap();
        let mut notes = subscriber.notifications().unwrap();
        let plain = Client::<Small>::connect(addr).await.unwrap();
        // Two holds (two subscriptions) on one connection.
        check_pong(SUBSCRIBE, &subscriber.call(ping(SUBSCRIBE)).await.unwrap());
        check_pong(SUBSCRIBE, &subscriber.call(ping(SUBSCRIBE)).await.unwrap());
        check_pong(1, &plain.call(ping(1)).await.unwrap());
        assert!(handle.peers().iter().any(Peer::is_held));

        // Over six idle limits of silence.
        tokio::time::sleep(Duration::from_secs(2)).await;

        // The plain connection is gone; the held one gets a notification
        // (the broadcast reaches one peer) and still answers.
        assert_eq!(handle.peers().len(), 1, "only the held connection is left");
        assert_eq!(handle.broadcast(&Note { seq: 7 }.into()).unwrap(), 1);
        let note = tokio::time::timeout(Duration::from_secs(5), notes.recv())
            .await
            .expect("the notification arrives");
        assert_eq!(note, Some(Small::Note(Note { seq: 7 })));
        match plain.call(ping(2)).await {
            Err(CallError::ConnectionClosed) => {}
            other => panic!("the idle connection should be closed, got {other:?}"),
        }

        // One hold released: one left, still exempt.
        check_pong(
            UNSUBSCRIBE,
            &subscriber.call(ping(UNSUBSCRIBE)).await.unwrap(),
        );
        tokio::time::sleep(idle * 3).await;
        check_pong(3, &subscriber.call(ping(3)).await.unwrap());

        // The last released: the limit applies again.
        check_pong(
            UNSUBSCRIBE,
            &subscriber.call(ping(UNSUBSCRIBE)).await.unwrap(),
        );
        assert!(!handle.peers().iter().any(Peer::is_held));
        tokio::time::sleep(idle * 3).await;
        match subscriber.call(ping(4)).await {
            Err(CallError::ConnectionClosed) => {}
            other => panic!("released, the connection should be closed, got {other:?}"),
        }
        assert_eq!(handle.counters().closed_on_error, 2, "both closed as idle");
        assert!(holds.lock().unwrap().values().all(Vec::is_empty));
        handle.shutdown().await;
    })
    .await;
}

/// A hold taken outside any request (from the server's handle) applies
/// at once: the connection is waiting in a read with the limit armed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_taken_between_requests_applies_at_once() {
    bounded(20, async {
        let idle = Duration::from_millis(300);
        let config = ServerConfig::default().with_idle_timeout(idle);
        let (handle, _) = holding_server(config).await;
        let addr = handle.local_addr().unwrap();
        let client = Client::<Small>::connect(addr).await.unwrap();
        check_pong(1, &client.call(ping(1)).await.unwrap());
        let peer = handle.peers().pop().expect("one peer");
        let hold = peer.hold_open();
        tokio::time::sleep(idle * 4).await;
        check_pong(2, &client.call(ping(2)).await.unwrap());
        drop(hold);
        tokio::time::sleep(idle * 3).await;
        match client.call(ping(3)).await {
            Err(CallError::ConnectionClosed) => {}
            other => panic!("released, the connection should be closed, got {other:?}"),
        }
        handle.shutdown().await;
    })
    .await;
}

/// A held connection is exempt from the idle limit only: a frame it
/// starts and never finishes is still cut off by the frame time limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_connection_still_has_the_frame_time_limit() {
    bounded(20, async {
        let config = ServerConfig::default()
            .with_idle_timeout(Duration::from_millis(300))
            .with_frame_timeout(Duration::from_millis(500));
        let (handle, _) = holding_server(config).await;
        let addr = handle.local_addr().unwrap();
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut rd, mut wr) = split_raw(stream);
        write_msg(&mut wr, ping(SUBSCRIBE)).await;
        assert!(matches!(read_msg(&mut rd).await, Small::Pong(_)));
        // Held: silence past the idle limit is fine.
        tokio::time::sleep(Duration::from_millis(900)).await;
        assert_eq!(handle.peers().len(), 1, "held through the idle limit");
        // Half a header, then nothing: closed by the frame limit.
        tokio::io::AsyncWriteExt::write_all(&mut wr, &[1])
            .await
            .unwrap();
        let started = tokio::time::Instant::now();
        let end = tokio::time::timeout(Duration::from_secs(5), rd.next())
            .await
            .expect("the stalled frame is cut off");
        assert!(end.is_none(), "closed without a reply: {end:?}");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(400) && took < Duration::from_secs(3),
            "closed after {took:?}"
        );
        handle.shutdown().await;
    })
    .await;
}

/// The idle limit counts from the last frame, not from the first wait: a
/// connection that sends a request every 100 ms stays open for 1.2 s under
/// a 300 ms limit (the connection keeps one timer, armed at its first
/// wait, and moves it on when it fires early), and is closed about 300 ms
/// after it falls silent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_idle_limit_counts_from_the_last_frame() {
    bounded(20, async {
        let idle = Duration::from_millis(300);
        let config = ServerConfig::default().with_idle_timeout(idle);
        let (handle, _holds) = holding_server(config).await;
        let addr = handle.local_addr().unwrap();
        let (mut rd, mut wr) = split_raw(tokio::net::TcpStream::connect(addr).await.unwrap());
        for n in 0..12u32 {
            let mut p = ping(n);
            p.tag = 1;
            write_msg(&mut wr, Small::Ping(p)).await;
            match read_msg(&mut rd).await {
                Small::Pong(got) => check_pong(n, &got),
                other => panic!("unexpected {other:?}"),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let silent = tokio::time::Instant::now();
        assert!(
            futures::StreamExt::next(&mut rd).await.is_none(),
            "the server sent something instead of closing"
        );
        let closed_after = silent.elapsed();
        assert!(
            closed_after >= Duration::from_millis(150) && closed_after < Duration::from_secs(3),
            "closed {closed_after:?} after the last request (limit {idle:?})"
        );
        handle.shutdown().await;
    })
    .await;
}
