//! Pipelined calls over one connection: 10,000 calls from 8 tasks (in
//! order and out of order), more calls than tags, and notifications
//! interleaved with replies.
#![cfg(feature = "rpc")]

mod support {
    pub mod rpc;
}

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use codec::rpc::{Client, Peer, Server};
use futures::{FutureExt, StreamExt};
use support::rpc::*;

const CALLS: u64 = 10_000;
const TASKS: u64 = 8;

/// 10,000 calls over one connection from 8 tasks, each keeping 64 in
/// flight. With `shuffle`, the server answers each after a pseudo-random
/// delay of 0 to 3 ms, so replies come back in another order than the
/// requests; returns how many replies left the server out of arrival order.
async fn ten_thousand_calls(shuffle: bool) -> u64 {
    let server = Server::<Wide>::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let arrived = Arc::new(AtomicU64::new(0));
    let finished = Arc::new(AtomicU64::new(0));
    let reordered = Arc::new(AtomicU64::new(0));
    let (a, f, r) = (arrived.clone(), finished.clone(), reordered.clone());
    let handle = server.serve(move |req: Wide, _peer: Peer<Wide>| {
        let (a, f, r) = (a.clone(), f.clone(), r.clone());
        async move {
            let Wide::Add(add) = req else { return None };
            let order = a.fetch_add(1, Ordering::SeqCst);
            if shuffle {
                tokio::time::sleep(Duration::from_micros(mix(add.n) % 3_000)).await;
            }
            if f.fetch_add(1, Ordering::SeqCst) != order {
                r.fetch_add(1, Ordering::Relaxed);
            }
            Some(Wide::Sum(Sum {
                tag: 0,
                n: add.n + 1,
                text: add.n.to_string(),
            }))
        }
    });

    let client = Client::<Wide>::connect(addr).await.unwrap();
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let per_task = CALLS / TASKS;
            let results: Vec<(u64, Sum)> = futures::stream::iter(0..per_task)
                .map(|i| {
                    let client = client.clone();
                    let n = (t << 32) | i;
                    async move { (n, client.call(Add { tag: 0, n }).await.unwrap()) }
                })
                .buffer_unordered(64)
                .collect()
                .await;
            for (n, sum) in &results {
                assert_eq!((sum.n, sum.text.as_str()), (n + 1, n.to_string().as_str()));
            }
            results.len() as u64
        }));
    }
    let mut answered = 0;
    for task in tasks {
        answered += task.await.unwrap();
    }
    assert_eq!(answered, CALLS);

    let c = client.counters();
    assert_eq!((c.requests, c.responses), (CALLS, CALLS));
    assert_eq!((c.unsolicited, c.late, c.timeouts), (0, 0, 0));
    client.close().await.unwrap();
    handle.shutdown().await;
    let s = handle.counters();
    assert_eq!((s.requests, s.responses, s.connections), (CALLS, CALLS, 1));
    assert_eq!(s.closed_on_error, 0);
    reordered.load(Ordering::Relaxed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_calls_from_eight_tasks() {
    bounded(20, ten_thousand_calls(false)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_calls_answered_out_of_order() {
    let reordered = bounded(20, ten_thousand_calls(true)).await;
    assert!(
        reordered > 1_000,
        "the random delays should reorder many replies, reordered {reordered}"
    );
}

/// 1,000 concurrent calls with a `u8` tag (256 tags): the calls past 256
/// wait for a tag; all complete, and the server never sees two requests in
/// flight with the same tag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_calls_than_tags() {
    bounded(20, async {
        let server = Server::<Small>::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let in_flight = Arc::new(Mutex::new(HashSet::new()));
        let collisions = Arc::new(AtomicU64::new(0));
        let most = Arc::new(AtomicU64::new(0));
        let (inf, col, mo) = (in_flight.clone(), collisions.clone(), most.clone());
        let handle = server.serve(move |req: Small, _peer: Peer<Small>| {
            let (inf, col, mo) = (inf.clone(), col.clone(), mo.clone());
            async move {
                let Small::Ping(p) = &req else { return None };
                {
                    let mut set = inf.lock().unwrap();
                    if !set.insert(p.tag) {
                        col.fetch_add(1, Ordering::SeqCst);
                    }
                    mo.fetch_max(set.len() as u64, Ordering::SeqCst);
                }
                tokio::time::sleep(Duration::from_micros(500 + mix(p.n.into()) % 4_000)).await;
                // Removed before the reply is sent, so before the client
                // can reuse the tag.
                inf.lock().unwrap().remove(&p.tag);
                answer(req)
            }
        });

        let client = Client::<Small>::connect(addr).await.unwrap();
        let calls: Vec<_> = (0..1_000u32)
            .map(|n| {
                let client = client.clone();
                tokio::spawn(async move { (n, client.call(ping(n)).await) })
            })
            .collect();
        for call in calls {
            let (n, reply) = call.await.unwrap();
            check_pong(n, &reply.unwrap());
        }
        assert_eq!(
            collisions.load(Ordering::SeqCst),
            0,
            "a tag was reused while in flight"
        );
        let most = most.load(Ordering::SeqCst);
        assert!(
            (128..=256).contains(&most),
            "in flight at once: {most} (at most 256 tags, and calls should pipeline)"
        );
        let c = client.counters();
        assert_eq!((c.requests, c.responses, c.unsolicited), (1_000, 1_000, 0));
        client.close().await.unwrap();
        handle.shutdown().await;
    })
    .await;
}

/// The server pushes a notification before each reply (`Peer::notify`),
/// and broadcasts a numbered series from outside the handler
/// (`ServerHandle::broadcast`) while calls run: each stream arrives whole
/// and in order, and a call's notification is there by the time its reply
/// is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_in_order_interleaved_with_replies() {
    bounded(20, async {
        let server = Server::<Small>::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let handle = Arc::new(server.serve(|req: Small, peer: Peer<Small>| async move {
            if let Small::Ping(p) = &req {
                // Per-call notifications carry the call's n (< 1,000,000).
                peer.notify(&Small::Note(Note { seq: p.n })).unwrap();
            }
            answer(req)
        }));

        let client = Client::<Small>::connect(addr).await.unwrap();
        let mut notes = client.notifications().expect("first take");
        assert!(client.notifications().is_none(), "the stream is taken once");

        // 1. Sequential calls: notification n, then reply n.
        for n in 0..200 {
            check_pong(n, &client.call(ping(n)).await.unwrap());
            let note = notes.recv().now_or_never().flatten();
            assert_eq!(
                note,
                Some(Small::Note(Note { seq: n })),
                "note before reply {n}"
            );
        }

        // 2. A broadcast series racing with pipelined calls.
        eventually("peer registered", Duration::from_secs(5), || {
            handle.peers().len() == 1
        })
        .await;
        const SERIES: u32 = 2_000;
        let h = handle.clone();
        let pusher = tokio::spawn(async move {
            for i in 0..SERIES {
                let seq = 1_000_000 + i;
                assert_eq!(h.broadcast(&Small::Note(Note { seq })).unwrap(), 1);
                if i % 100 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        });
        let caller = {
            let client = client.clone();
            tokio::spawn(async move {
                futures::stream::iter(1_000..2_000u32)
                    .for_each_concurrent(32, |n| {
                        let client = client.clone();
                        async move { check_pong(n, &client.call(ping(n)).await.unwrap()) }
                    })
                    .await;
            })
        };
        let mut next_series = 1_000_000;
        let mut per_call = HashSet::new();
        while next_series < 1_000_000 + SERIES || per_call.len() < 1_000 {
            let Some(Small::Note(Note { seq })) = notes.recv().await else {
                panic!("notification stream ended early")
            };
            if seq >= 1_000_000 {
                assert_eq!(seq, next_series, "broadcast out of order");
                next_series += 1;
            } else {
                assert!(per_call.insert(seq), "duplicate notification {seq}");
            }
        }
        pusher.await.unwrap();
        caller.await.unwrap();
        let c = client.counters();
        assert_eq!(c.notifications, 200 + 1_000 + u64::from(SERIES));
        assert_eq!(c.unsolicited, 0);

        client.close().await.unwrap();
        assert!(
            notes.recv().await.is_none(),
            "stream ends with the connection"
        );
        handle.shutdown().await;
    })
    .await;
}

/// A client that never takes its notification stream: the server pushes
/// more notifications than the queue holds, and replies still flow (the
/// extra notifications are dropped, not waited for).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untaken_notifications_never_stall_replies() {
    bounded(20, async {
        let server = Server::<Small>::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let handle = server.serve(|req: Small, peer: Peer<Small>| async move {
            if let Small::Ping(p) = &req {
                for i in 0..100 {
                    peer.notify(&Small::Note(Note { seq: p.n * 100 + i }))
                        .unwrap();
                }
            }
            answer(req)
        });
        let cfg = codec::rpc::ClientConfig::default().with_notification_queue(16);
        let client = Client::<Small>::connect_with(addr, cfg).await.unwrap();
        for n in 0..50 {
            check_pong(n, &client.call(ping(n)).await.unwrap());
        }
        assert_eq!(client.counters().notifications, 5_000);
        // Taken late, the stream holds the first 16, in order.
        let mut notes = client.notifications().unwrap();
        for seq in 0..16 {
            assert_eq!(notes.recv().await, Some(Small::Note(Note { seq })));
        }
        client.close().await.unwrap();
        assert_eq!(notes.recv().await, None);
        handle.shutdown().await;
    })
    .await;
}
