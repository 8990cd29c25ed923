//! The accepting side writes the replies of handlers that answer at once
//! from the connection's reading task (one write per batch of requests
//! read), and the rest through its writer task: the order a peer sees is
//! still the order the frames were produced in, and a peer that reads
//! slowly still gets every byte of every reply.
#![cfg(feature = "rpc")]

mod support {
    pub mod rpc;
}

use std::time::Duration;

use codec::rpc::{Peer, Server, ServerConfig};
use codec::Encode;
use support::rpc::*;
use tokio::io::AsyncWriteExt;

/// Pipelined requests whose handlers each push a notification before
/// answering (a subscription's first event before its acknowledgement, in
/// a protocol that wants that), and some that wait before answering: every
/// notification reaches the peer before the reply of the request that sent
/// it, and every request is answered once. On both runtimes: with worker
/// threads, the writer task runs beside the reading task.
async fn notifications_sent_by_a_handler_precede_its_reply() {
    bounded(20, async {
        let server = Server::<Small>::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let handle = server.serve(move |req: Small, peer: Peer<Small>| async move {
            let Small::Ping(p) = req else { return None };
            if p.n % 3 == 0 {
                peer.notify(&Small::Note(Note { seq: p.n })).unwrap();
            }
            if p.n % 7 == 0 {
                // This one's reply goes through the writer task.
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            Some(Small::Pong(pong(p.n)))
        });
        let (mut rd, mut wr) = split_raw(tokio::net::TcpStream::connect(addr).await.unwrap());
        let rounds = 20u32;
        let per_round = 200u32;
        for round in 0..rounds {
            let mut burst = Vec::new();
            for i in 0..per_round {
                let n = round * per_round + i;
                let mut p = ping(n);
                // Tags 1..=200, each used once per round.
                p.tag = (i + 1) as u8;
                burst.extend(Small::Ping(p).to_bytes().unwrap());
            }
            wr.write_all(&burst).await.unwrap();
            let mut noted = std::collections::HashSet::new();
            let mut answered = std::collections::HashSet::new();
            while answered.len() < per_round as usize {
                match read_msg(&mut rd).await {
                    Small::Note(note) => {
                        assert!(noted.insert(note.seq), "notification {} twice", note.seq);
                    }
                    Small::Pong(got) => {
                        let n = got.n - 1;
                        check_pong(n, &got);
                        assert_eq!(u32::from(got.tag), n - round * per_round + 1, "tag of {n}");
                        assert!(answered.insert(n), "ping {n} answered twice");
                        if n % 3 == 0 {
                            assert!(
                                noted.contains(&n),
                                "reply to {n} came before its notification"
                            );
                        }
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
            let notes = (round * per_round..(round + 1) * per_round)
                .filter(|n| n % 3 == 0)
                .count();
            assert_eq!(noted.len(), notes, "notifications of round {round}");
        }
        drop(wr);
        handle.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn notifications_precede_replies_current_thread() {
    notifications_sent_by_a_handler_precede_its_reply().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_precede_replies_multi_thread() {
    notifications_sent_by_a_handler_precede_its_reply().await;
}

/// A peer that sends a large pipelined burst and reads nothing until it
/// has sent it all: the socket fills, so the reading task's writes stop
/// part-way through a frame and the writer task finishes them. Every
/// reply still arrives whole, once, with its tag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_cut_by_a_full_socket_arrive_whole() {
    bounded(30, async {
        let config = ServerConfig::default().with_max_in_flight(64);
        let server = Server::<Small>::bind_with("127.0.0.1:0", config)
            .await
            .unwrap();
        let addr = server.local_addr().unwrap();
        // Replies of 250 bytes of text plus the header: odd sizes, so
        // partial writes end mid-frame.
        let handle = server.serve(|req: Small, _peer: Peer<Small>| async move {
            let Small::Ping(p) = req else { return None };
            Some(Small::Pong(Pong {
                tag: 0,
                n: p.n,
                text: char::from(b'a' + (p.n % 26) as u8).to_string().repeat(250),
            }))
        });
        let (mut rd, mut wr) = split_raw(tokio::net::TcpStream::connect(addr).await.unwrap());
        let sent = 40_000u32;
        let mut burst = Vec::new();
        for n in 0..sent {
            let mut p = ping(n);
            p.tag = (n % 200) as u8 + 1;
            burst.extend(Small::Ping(p).to_bytes().unwrap());
        }
        // 10 MB of replies, more than both sockets' buffers: written while
        // nobody reads, then read.
        let writer = tokio::spawn(async move {
            wr.write_all(&burst).await.unwrap();
            wr
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut seen = vec![false; sent as usize];
        for _ in 0..sent {
            let Small::Pong(got) = read_msg(&mut rd).await else {
                panic!("not a reply")
            };
            let n = got.n;
            assert!(n < sent, "reply to no request: {n}");
            assert_eq!(u32::from(got.tag), n % 200 + 1, "tag of {n}");
            let c = char::from(b'a' + (n % 26) as u8);
            assert!(
                got.text.len() == 250 && got.text.chars().all(|x| x == c),
                "reply to {n} damaged"
            );
            assert!(!std::mem::replace(&mut seen[n as usize], true), "{n} twice");
        }
        drop(writer.await.unwrap());
        handle.shutdown().await;
    })
    .await;
}

/// Pipelined requests whose handlers all wait for the same event (the
/// stores one log sync makes durable): once it comes, their replies leave
/// in one write, not one each.
#[tokio::test]
async fn replies_of_handlers_woken_together_leave_in_one_write() {
    bounded(20, async {
        let requests = 16u32;
        let (open, gate) = tokio::sync::watch::channel(false);
        let arrived = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let server = Server::<Small>::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let seen = std::sync::Arc::clone(&arrived);
        let handle = server.serve(move |req: Small, _peer: Peer<Small>| {
            let (mut gate, seen) = (gate.clone(), std::sync::Arc::clone(&seen));
            async move {
                let Small::Ping(p) = req else { return None };
                seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                gate.wait_for(|open| *open).await.ok()?;
                Some(Small::Pong(pong(p.n)))
            }
        });
        let (mut rd, mut wr) = split_raw(tokio::net::TcpStream::connect(addr).await.unwrap());
        let mut burst = Vec::new();
        for n in 0..requests {
            let mut p = ping(n);
            p.tag = (n + 1) as u8;
            burst.extend(Small::Ping(p).to_bytes().unwrap());
        }
        wr.write_all(&burst).await.unwrap();
        eventually("every handler waiting", Duration::from_secs(10), || {
            arrived.load(std::sync::atomic::Ordering::Relaxed) == requests
        })
        .await;
        let before = handle.counters();
        open.send_replace(true);
        let mut answered = std::collections::HashSet::new();
        for _ in 0..requests {
            let Small::Pong(got) = read_msg(&mut rd).await else {
                panic!("not a reply")
            };
            check_pong(got.n - 1, &got);
            assert!(answered.insert(got.n), "{} answered twice", got.n);
        }
        let after = handle.counters();
        assert_eq!(after.responses - before.responses, u64::from(requests));
        assert_eq!(
            after.writes - before.writes,
            1,
            "writes for the {requests} replies"
        );
        drop(wr);
        handle.shutdown().await;
    })
    .await;
}
