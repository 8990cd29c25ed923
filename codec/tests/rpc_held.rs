//! The connection layer's mechanisms for protocols like MQTT: a tag held
//! across several requests (QoS 2's PUBLISH then PUBREL under one packet
//! identifier), tags the derive does not see (read by `Correlate`, the
//! tag space set by config), a keepalive ping without a tag
//! (PINGREQ/PINGRESP), due when nothing was sent as well as when nothing
//! was received, an idle limit per connection set by the handshake
//! (CONNECT's keepalive), and a mark on resent requests (DUP).
#![cfg(feature = "rpc")]

mod support {
    pub mod rpc;
}

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use codec::rpc::{
    BoxFuture, CallError, CallOptions, Client, ClientConfig, Handshake, HandshakeConn, Peer,
    ReconnectPolicy, Server, ServerConfig,
};
use codec::{Correlate, Correlation, Decode, Encode, Message, Protocol};
use support::rpc::{answer, bounded, check_pong, eventually, ping, Hello, Small, Welcome};

/// A request whose id is a plain field: `Correlate` reads it, the derive
/// cannot set it (like MQTT's packet identifier).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 1)]
struct Put {
    id: u16,
    step: u8,
    delay_ms: u16,
}

/// The answer to a [`Put`]: its id and step.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 2)]
struct Done {
    id: u16,
    step: u8,
}

/// A keepalive ping without a tag.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 3)]
struct Beat;

/// The answer to a [`Beat`].
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 4)]
struct Beaten;

/// Asks the server to push `count` [`Tick`]s, one every `every_ms`.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 5)]
struct Start {
    every_ms: u16,
    count: u16,
}

/// One-way, from the server.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 6)]
struct Tick {
    seq: u16,
}

/// Ids from 1 (0 is reserved, as MQTT's packet identifier 0 is).
struct Rules;

impl Correlate<Ids> for Rules {
    const FIRST_TAG: u64 = 1;

    fn correlation(msg: &Ids) -> Correlation {
        match msg {
            Ids::Put(m) => Correlation::Request(m.id.into()),
            Ids::Done(m) => Correlation::Response(m.id.into()),
            _ => Correlation::OneWay,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Protocol)]
#[codec(correlate = Rules)]
enum Ids {
    Put(Put),
    Done(Done),
    Beat(Beat),
    Beaten(Beaten),
    Start(Start),
    Tick(Tick),
}

/// What the server saw.
#[derive(Default)]
struct Seen {
    puts: Mutex<Vec<(u16, u8)>>,
    beats: AtomicUsize,
}

/// A server answering `Put`s (after their delay) and, if `answer_beats`,
/// `Beat`s; `Start` makes it push `Tick`s.
async fn server(
    answer_beats: bool,
) -> (
    std::net::SocketAddr,
    Arc<Seen>,
    codec::rpc::ServerHandle<Ids>,
) {
    let seen = Arc::new(Seen::default());
    let server = Server::<Ids>::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let s = Arc::clone(&seen);
    let handle = server.serve(move |req: Ids, peer: Peer<Ids>| {
        let seen = Arc::clone(&s);
        async move {
            match req {
                Ids::Put(p) => {
                    seen.puts.lock().unwrap().push((p.id, p.step));
                    tokio::time::sleep(Duration::from_millis(p.delay_ms.into())).await;
                    Some(Ids::Done(Done {
                        id: p.id,
                        step: p.step,
                    }))
                }
                Ids::Beat(_) => {
                    seen.beats.fetch_add(1, Ordering::SeqCst);
                    answer_beats.then_some(Ids::Beaten(Beaten))
                }
                Ids::Start(s) => {
                    tokio::spawn(async move {
                        for seq in 0..s.count {
                            tokio::time::sleep(Duration::from_millis(s.every_ms.into())).await;
                            let _ = peer.notify(&Ids::Tick(Tick { seq }));
                        }
                    });
                    None
                }
                _ => None,
            }
        }
    });
    (addr, seen, handle)
}

fn put(id: u64, step: u8, delay_ms: u16) -> Ids {
    Ids::Put(Put {
        id: u16::try_from(id).unwrap(),
        step,
        delay_ms,
    })
}

fn done(reply: Ids) -> (u16, u8) {
    match reply {
        Ids::Done(d) => (d.id, d.step),
        other => panic!("expected Done, got {other:?}"),
    }
}

/// A held tag carries two requests, each answered under it; while held no
/// other call draws it, and holds are back-pressured like calls (the tag
/// space is 1..=3); dropping a hold frees its tag.
#[tokio::test]
async fn a_held_tag_carries_two_requests_and_stays_taken() {
    bounded(10, async {
        let (addr, seen, handle) = server(true).await;
        let config = ClientConfig::default().with_tag_max(3);
        let client = Client::<Ids>::connect_with(addr, config).await.unwrap();
        let h1 = client.hold_tag().await.unwrap();
        let t1 = h1.tag();
        assert!((1..=3).contains(&t1), "tags start at FIRST_TAG: {t1}");
        let opts = CallOptions::default();
        assert_eq!(
            done(h1.call(put(t1, 1, 0), opts).await.unwrap()),
            (t1 as u16, 1)
        );
        assert_eq!(
            done(h1.call(put(t1, 2, 0), opts).await.unwrap()),
            (t1 as u16, 2)
        );
        let h2 = client.hold_tag().await.unwrap();
        let h3 = client.hold_tag().await.unwrap();
        let mut tags = vec![t1, h2.tag(), h3.tag()];
        tags.sort_unstable();
        assert_eq!(tags, [1, 2, 3], "a held tag is not drawn again");
        let waiting = tokio::time::timeout(Duration::from_millis(100), client.hold_tag()).await;
        assert!(waiting.is_err(), "every tag is held: the fourth waits");
        let t2 = h2.tag();
        drop(h2);
        let h4 = tokio::time::timeout(Duration::from_secs(2), client.hold_tag())
            .await
            .expect("a dropped hold frees its tag")
            .unwrap();
        assert_eq!(h4.tag(), t2);
        assert_eq!(*seen.puts.lock().unwrap(), [(t1 as u16, 1), (t1 as u16, 2)]);
        drop((h1, h3, h4));
        client.close().await.unwrap();
        handle.shutdown().await;
    })
    .await;
}

/// A request whose tag cannot be set must carry the tag it is sent
/// under; a mismatch sends nothing and keeps the hold.
#[tokio::test]
async fn a_request_must_carry_its_held_tag() {
    bounded(10, async {
        let (addr, seen, handle) = server(true).await;
        let config = ClientConfig::default().with_tag_max(u64::from(u16::MAX));
        let client = Client::<Ids>::connect_with(addr, config).await.unwrap();
        let h = client.hold_tag().await.unwrap();
        let opts = CallOptions::default();
        match h.call(put(h.tag() + 1, 1, 0), opts).await {
            Err(CallError::TagMismatch { tag, held }) => {
                assert_eq!((tag, held), (h.tag() + 1, h.tag()));
            }
            other => panic!("expected TagMismatch, got {other:?}"),
        }
        // A plain call draws a tag the request does not carry.
        let plain = client.call_raw(put(9, 1, 0), opts).await;
        assert!(
            matches!(plain, Err(CallError::TagMismatch { tag: 9, .. })),
            "{plain:?}"
        );
        assert_eq!(done(h.call(put(h.tag(), 1, 0), opts).await.unwrap()).1, 1);
        assert_eq!(
            seen.puts.lock().unwrap().len(),
            1,
            "the mismatches sent nothing"
        );
        drop(h);
        client.close().await.unwrap();
        handle.shutdown().await;
    })
    .await;
}

/// A call on a held tag that gives up quarantines the tag: the hold
/// cannot call again, and the tag is free only once the late reply came.
#[tokio::test]
async fn a_given_up_call_loses_its_hold() {
    bounded(10, async {
        let (addr, _seen, handle) = server(true).await;
        let config = ClientConfig::default().with_tag_max(1);
        let client = Client::<Ids>::connect_with(addr, config).await.unwrap();
        let h = client.hold_tag().await.unwrap();
        let tag = h.tag();
        let quick = CallOptions::timeout(Duration::from_millis(50));
        let slow = h.call(put(tag, 1, 400), quick).await;
        assert!(matches!(slow, Err(CallError::Timeout(_))), "{slow:?}");
        let again = h.call(put(tag, 2, 0), CallOptions::default()).await;
        assert!(
            matches!(again, Err(CallError::HoldLost(t)) if t == tag),
            "{again:?}"
        );
        drop(h);
        let started = tokio::time::Instant::now();
        let next = client.hold_tag().await.unwrap();
        assert_eq!(next.tag(), tag);
        assert!(
            started.elapsed() >= Duration::from_millis(200),
            "the quarantined tag waited for its late reply ({:?})",
            started.elapsed()
        );
        assert_eq!(client.counters().late, 1);
        drop(next);
        client.close().await.unwrap();
        handle.shutdown().await;
    })
    .await;
}

fn beats(every: Duration) -> ClientConfig<Ids> {
    ClientConfig::default()
        .with_tag_max(u64::from(u16::MAX))
        .with_untagged_ping(
            every,
            || Ids::Beat(Beat),
            |m: &Ids| matches!(m, Ids::Beaten(_)),
        )
}

/// An untagged ping goes out while the connection is quiet; its answer
/// keeps the connection up and goes nowhere else.
#[tokio::test]
async fn an_untagged_ping_is_answered_and_not_a_notification() {
    bounded(10, async {
        let (addr, seen, handle) = server(true).await;
        let client = Client::<Ids>::connect_with(addr, beats(Duration::from_millis(50)))
            .await
            .unwrap();
        let mut notes = client.notifications().unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
        let n = seen.beats.load(Ordering::SeqCst);
        assert!(n >= 3, "pings while quiet: {n}");
        let h = client.hold_tag().await.unwrap();
        let reply = h.call(put(h.tag(), 1, 0), CallOptions::default()).await;
        assert_eq!(done(reply.unwrap()).1, 1, "the connection is up");
        let note = tokio::time::timeout(Duration::from_millis(50), notes.recv()).await;
        assert!(note.is_err(), "the pongs are not notifications: {note:?}");
        drop(h);
        client.close().await.unwrap();
        handle.shutdown().await;
    })
    .await;
}

/// A ping without an answer within its interval ends the connection.
#[tokio::test]
async fn an_unanswered_untagged_ping_ends_the_connection() {
    bounded(10, async {
        let (addr, seen, handle) = server(false).await;
        let client = Client::<Ids>::connect_with(addr, beats(Duration::from_millis(50)))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(seen.beats.load(Ordering::SeqCst), 1, "one ping, then dead");
        let after = client.hold_tag().await;
        assert!(
            matches!(after, Err(CallError::ConnectionClosed)),
            "{after:?}"
        );
        handle.shutdown().await;
    })
    .await;
}

/// A client that only receives still pings (MQTT's keepalive counts what
/// the client sends): the server's stream of one-way messages does not
/// hold the ping back.
#[tokio::test]
async fn a_client_that_only_receives_still_pings() {
    bounded(10, async {
        let (addr, seen, handle) = server(true).await;
        let client = Client::<Ids>::connect_with(addr, beats(Duration::from_millis(100)))
            .await
            .unwrap();
        let mut notes = client.notifications().unwrap();
        client
            .send(Ids::Start(Start {
                every_ms: 10,
                count: 70,
            }))
            .unwrap();
        let mut ticks = 0;
        while ticks < 70 {
            match notes.recv().await {
                Some(Ids::Tick(_)) => ticks += 1,
                other => panic!("expected a Tick, got {other:?}"),
            }
        }
        let n = seen.beats.load(Ordering::SeqCst);
        assert!(n >= 3, "pings while receiving every 10 ms for 700 ms: {n}");
        client.close().await.unwrap();
        handle.shutdown().await;
    })
    .await;
}

/// A handshake that tells the server the client's idle limit, in
/// milliseconds (as MQTT's CONNECT carries its keepalive).
struct IdleFor(u32);

impl Handshake<Small> for IdleFor {
    fn client<'a>(
        &'a self,
        conn: &'a mut HandshakeConn<Small>,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            conn.send(&Small::Hello(Hello {
                token: self.0.to_string(),
            }))
            .await?;
            match conn.recv().await? {
                Small::Welcome(_) => Ok(()),
                other => Err(format!("expected Welcome, got {}", other.name())),
            }
        })
    }

    fn server<'a>(
        &'a self,
        conn: &'a mut HandshakeConn<Small>,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let Small::Hello(h) = conn.recv().await? else {
                return Err("expected Hello".into());
            };
            let ms: u64 = h.token.parse().map_err(|_| "not a number".to_string())?;
            conn.set_idle_timeout(Some(Duration::from_millis(ms)));
            conn.send(&Small::Welcome(Welcome {
                ok: true,
                reason: String::new(),
            }))
            .await
        })
    }
}

/// The handshake sets each connection's idle limit: the connection that
/// asked for 150 ms is closed once idle that long, the one that asked
/// for 5 s (and the configured 10 s) is not.
#[tokio::test]
async fn the_handshake_sets_the_connections_idle_limit() {
    bounded(10, async {
        let config = ServerConfig::default().with_idle_timeout(Duration::from_secs(10));
        let server = Server::<Small>::bind_with("127.0.0.1:0", config)
            .await
            .unwrap()
            .with_handshake(IdleFor(0));
        let addr = server.local_addr().unwrap();
        let handle = server.serve(|req: Small, _peer: Peer<Small>| async move { answer(req) });
        let short = ClientConfig::default().with_handshake(IdleFor(150));
        let short = Client::<Small>::connect_with(addr, short).await.unwrap();
        let long = ClientConfig::default().with_handshake(IdleFor(5_000));
        let long = Client::<Small>::connect_with(addr, long).await.unwrap();
        check_pong(1, &short.call(ping(1)).await.unwrap());
        check_pong(2, &long.call(ping(2)).await.unwrap());
        tokio::time::sleep(Duration::from_millis(600)).await;
        let closed = short.call(ping(3)).await;
        assert!(
            matches!(closed, Err(CallError::ConnectionClosed)),
            "{closed:?}"
        );
        check_pong(4, &long.call(ping(4)).await.unwrap());
        long.close().await.unwrap();
        handle.shutdown().await;
    })
    .await;
}

/// Idempotent requests resent after a reconnection carry the configured
/// mark (here the top bit of `n`, the frame's fifth byte); the first
/// sending and new requests do not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resent_requests_carry_the_mark() {
    bounded(20, async {
        let scfg = ServerConfig::default().with_shutdown_grace(Duration::from_millis(200));
        let first = Server::<Small>::bind_with("127.0.0.1:0", scfg.clone())
            .await
            .unwrap();
        let addr = first.local_addr().unwrap();
        let firsts = Arc::new(Mutex::new(Vec::new()));
        let f = Arc::clone(&firsts);
        let first = first.serve(move |req: Small, _peer: Peer<Small>| {
            if let Small::Ping(p) = &req {
                f.lock().unwrap().push(p.n);
            }
            async move {
                std::future::pending::<()>().await;
                None
            }
        });
        let cfg = ClientConfig::default()
            .with_reconnect(
                ReconnectPolicy::default()
                    .with_initial_backoff(Duration::from_millis(20))
                    .with_max_attempts(100),
            )
            // StdHeader (id u8, length u16), tag u8, then n (u32 BE).
            .with_resend_mark(|frame: &mut [u8]| frame[4] |= 0x80);
        let client = Client::<Small>::connect_with(addr, cfg).await.unwrap();
        let calls: Vec<_> = (1..=3u32)
            .map(|n| {
                let client = client.clone();
                tokio::spawn(async move {
                    client
                        .call_with(ping(n), CallOptions::default().idempotent())
                        .await
                })
            })
            .collect();
        eventually(
            "3 requests at the first server",
            Duration::from_secs(5),
            || firsts.lock().unwrap().len() == 3,
        )
        .await;
        let mut sent = firsts.lock().unwrap().clone();
        sent.sort_unstable();
        assert_eq!(sent, [1, 2, 3], "first sent unmarked");
        first.shutdown().await;
        let second = Server::<Small>::bind_with(addr, scfg).await.unwrap();
        let second = second.serve(|req: Small, _peer: Peer<Small>| async move { answer(req) });
        let mut got = Vec::new();
        for call in calls {
            got.push(call.await.unwrap().unwrap().n);
        }
        got.sort_unstable();
        let marked: Vec<u32> = (1..=3u32).map(|n| (n | 1 << 31) + 1).collect();
        assert_eq!(got, marked, "the resent requests carried the mark");
        check_pong(7, &client.call(ping(7)).await.unwrap());
        client.close().await.unwrap();
        second.shutdown().await;
    })
    .await;
}
