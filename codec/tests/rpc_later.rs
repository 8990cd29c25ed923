//! Replies given later ([`Later`]): a handler hands requests to another
//! thread, which answers them when it likes. Each reply carries its
//! request's tag, the replies given together leave in one write, a
//! `Later` dropped unanswered frees its in-flight slot, a shutdown waits
//! for the answers still to come, and a panicking `handle_later` closes
//! only its own connection.
#![cfg(feature = "rpc")]

mod support {
    pub mod rpc;
}

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::time::Duration;

use codec::rpc::{
    CallError, CallOptions, Client, Handler, Later, Peer, Server, ServerConfig, ServerHandle,
};
use codec::Encode;
use support::rpc::*;
use tokio::io::AsyncWriteExt;

/// Sends every `Ping` to a channel with its [`Later`]; answers anything
/// else at once with nothing. `Ping` [`PANICS`] panics in `handle_later`.
/// What the worker thread receives: each ping's `n` and its `Later`.
type Handed = std_mpsc::Receiver<(u32, Later<Small>)>;

/// The `n` of the ping whose `handle_later` panics.
const PANICS: u32 = 999_999;

struct ToWorker {
    tx: std_mpsc::Sender<(u32, Later<Small>)>,
    arrived: Arc<AtomicU32>,
}

/// A server of [`ToWorker`] on an ephemeral port, its `Later`s going to
/// `worker` on a thread of its own.
struct Served {
    handle: ServerHandle<Small>,
    addr: SocketAddr,
    /// Requests handed to the worker.
    arrived: Arc<AtomicU32>,
    worker: std::thread::JoinHandle<()>,
}

async fn serve(config: ServerConfig, worker: impl FnOnce(Handed) + Send + 'static) -> Served {
    let (tx, rx) = std_mpsc::channel();
    let arrived = Arc::new(AtomicU32::new(0));
    let handler = ToWorker {
        tx,
        arrived: Arc::clone(&arrived),
    };
    let server = Server::<Small>::bind_with("127.0.0.1:0", config)
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    Served {
        handle: server.serve(handler),
        addr,
        arrived,
        worker: std::thread::spawn(move || worker(rx)),
    }
}

impl Handler<Small> for ToWorker {
    async fn handle(&self, _: Small, _: &Peer<Small>) -> Option<Small> {
        None
    }

    fn answers_later(&self, req: &Small) -> bool {
        matches!(req, Small::Ping(_))
    }

    fn handle_later(&self, req: Small, _: &Peer<Small>, later: Later<Small>) {
        let Small::Ping(p) = req else {
            unreachable!("only pings answer later")
        };
        assert_ne!(p.n, PANICS, "this ping panics");
        self.arrived.fetch_add(1, Ordering::Relaxed);
        self.tx.send((p.n, later)).unwrap();
    }
}

/// Sixteen pipelined requests, answered in reverse order by a plain
/// thread while the connection's task cannot run (the test blocks the
/// one runtime thread until the thread is done): each reply carries its
/// own request's tag, and all sixteen leave in one write.
#[tokio::test]
async fn replies_given_later_carry_their_tags_and_leave_together() {
    bounded(20, async {
        let requests = 16u32;
        let (go, start) = std_mpsc::channel::<std_mpsc::Sender<()>>();
        let Served {
            handle,
            addr,
            arrived,
            worker,
        } = serve(ServerConfig::default(), move |rx| {
            let mut held: Vec<(u32, Later<Small>)> = rx.iter().take(16).collect();
            let done = start.recv().unwrap();
            held.reverse();
            for (n, later) in held {
                assert_eq!(later.tag(), Some(u64::from(n) + 1), "the request's tag");
                later.answer(Small::Pong(pong(n)));
            }
            done.send(()).unwrap();
        })
        .await;
        let (mut rd, mut wr) = split_raw(tokio::net::TcpStream::connect(addr).await.unwrap());
        let mut burst = Vec::new();
        for n in 0..requests {
            let mut p = ping(n);
            p.tag = (n + 1) as u8;
            burst.extend(Small::Ping(p).to_bytes().unwrap());
        }
        wr.write_all(&burst).await.unwrap();
        eventually("every request handed on", Duration::from_secs(10), || {
            arrived.load(Ordering::Relaxed) == requests
        })
        .await;
        let before = handle.counters();
        // Blocks this (the runtime's only) thread until every answer is
        // given: the connection's task then finds all of them at once.
        let (done_tx, done) = std_mpsc::channel();
        go.send(done_tx).unwrap();
        done.recv_timeout(Duration::from_secs(10)).unwrap();
        worker.join().unwrap();
        let mut answered = std::collections::HashSet::new();
        for i in 0..requests {
            let Small::Pong(got) = read_msg(&mut rd).await else {
                panic!("not a reply")
            };
            let n = got.n - 1;
            check_pong(n, &got);
            assert_eq!(u32::from(got.tag), n + 1, "reply to ping {n} has its tag");
            // Reverse order: the order they were given in.
            assert_eq!(n, requests - 1 - i, "replies in the order given");
            assert!(answered.insert(n), "{n} answered twice");
        }
        let after = handle.counters();
        assert_eq!(after.responses - before.responses, u64::from(requests));
        assert_eq!(after.writes - before.writes, 1, "writes for the replies");
        drop(wr);
        handle.shutdown().await;
    })
    .await;
}

/// Replies given from another thread while the runtime runs (its worker
/// threads too), to a client's pipelined calls: every call gets its own
/// reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_answered_later_from_another_thread_get_their_own_replies() {
    bounded(20, async {
        let Served {
            handle,
            addr,
            worker,
            ..
        } = serve(ServerConfig::default(), |rx| {
            // Answers in batches of whatever has arrived, newest first.
            while let Ok(first) = rx.recv() {
                let mut batch = vec![first];
                batch.extend(rx.try_iter());
                for (n, later) in batch.into_iter().rev() {
                    later.answer(Small::Pong(pong(n)));
                }
            }
        })
        .await;
        let client = Arc::new(Client::<Small>::connect(addr).await.unwrap());
        let mut calls = tokio::task::JoinSet::new();
        for n in 0..2_000u32 {
            let client = Arc::clone(&client);
            calls.spawn(async move { (n, client.call(ping(n)).await) });
        }
        while let Some(done) = calls.join_next().await {
            let (n, got) = done.unwrap();
            check_pong(n, &got.unwrap());
        }
        Arc::into_inner(client).unwrap().close().await.unwrap();
        handle.shutdown().await;
        worker.join().unwrap();
    })
    .await;
}

/// With one request in flight allowed, a `Later` dropped unanswered: its
/// call gets no reply (it times out), and its slot is free again, so the
/// next request is read and answered.
#[tokio::test]
async fn a_later_dropped_unanswered_frees_its_slot() {
    bounded(20, async {
        let config = ServerConfig::default().with_max_in_flight(1);
        let Served {
            handle,
            addr,
            worker,
            ..
        } = serve(config, |rx| {
            for (n, later) in rx {
                if n != 0 {
                    later.answer(Small::Pong(pong(n)));
                }
            }
        })
        .await;
        let client = Client::<Small>::connect(addr).await.unwrap();
        let dropped = client
            .call_with(ping(0), CallOptions::timeout(Duration::from_millis(200)))
            .await;
        assert!(
            matches!(dropped, Err(CallError::Timeout(_))),
            "no reply: {dropped:?}"
        );
        for n in 1..4 {
            let got = client
                .call_with(ping(n), CallOptions::timeout(Duration::from_secs(5)))
                .await
                .unwrap();
            check_pong(n, &got);
        }
        client.close().await.unwrap();
        handle.shutdown().await;
        worker.join().unwrap();
    })
    .await;
}

/// A shutdown while an answer is still to come: the drain waits for it,
/// and the call gets its reply.
#[tokio::test]
async fn a_shutdown_waits_for_the_answers_to_come() {
    bounded(20, async {
        let config = ServerConfig::default().with_shutdown_grace(Duration::from_secs(5));
        let Served {
            handle,
            addr,
            arrived,
            worker,
        } = serve(config, |rx| {
            for (n, later) in rx {
                std::thread::sleep(Duration::from_millis(300));
                later.answer(Small::Pong(pong(n)));
            }
        })
        .await;
        let client = Client::<Small>::connect(addr).await.unwrap();
        let call = tokio::spawn(async move {
            let got = client.call(ping(7)).await;
            (client, got)
        });
        eventually("the request handed on", Duration::from_secs(10), || {
            arrived.load(Ordering::Relaxed) == 1
        })
        .await;
        handle.shutdown().await;
        let (client, got) = call.await.unwrap();
        check_pong(7, &got.unwrap());
        drop(client);
        worker.join().unwrap();
    })
    .await;
}

/// `handle_later` panics: that connection closes (its call fails rather
/// than waiting), and another connection is served as before.
#[tokio::test]
async fn a_panic_in_handle_later_closes_only_its_connection() {
    bounded(20, async {
        let Served {
            handle,
            addr,
            worker,
            ..
        } = serve(ServerConfig::default(), |rx| {
            for (n, later) in rx {
                later.answer(Small::Pong(pong(n)));
            }
        })
        .await;
        let first = Client::<Small>::connect(addr).await.unwrap();
        let second = Client::<Small>::connect(addr).await.unwrap();
        check_pong(1, &first.call(ping(1)).await.unwrap());
        let failed = first
            .call_with(ping(PANICS), CallOptions::timeout(Duration::from_secs(5)))
            .await;
        assert!(
            !matches!(failed, Ok(_) | Err(CallError::Timeout(_))),
            "the call fails with its connection: {failed:?}"
        );
        check_pong(2, &second.call(ping(2)).await.unwrap());
        eventually("the panic counted", Duration::from_secs(5), || {
            handle.counters().closed_on_error == 1
        })
        .await;
        drop(first);
        second.close().await.unwrap();
        handle.shutdown().await;
        worker.join().unwrap();
    })
    .await;
}
