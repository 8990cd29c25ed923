//! Both ways over one connection: the server calls the client (typed,
//! while the client's own calls are in flight), one-way messages go both
//! ways, each side's tags are its own, and the server's calls have the
//! client's deadlines, cancellation, back-pressure and drain.
#![cfg(feature = "rpc")]

mod support {
    pub mod rpc;
}

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use codec::rpc::{CallError, CallOptions, Client, ClientConfig, Peer, Server, ServerConfig};
use codec::{Correlate, Correlation, Decode, Encode, Message, Protocol};
use support::rpc::{bounded, eventually};

/// A question either side may ask: answered by a [`Told`] with `n + 1`,
/// after `delay_ms`.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 1, response = Told)]
struct Ask {
    #[codec(tag)]
    tag: u16,
    n: u32,
    delay_ms: u16,
}

/// The answer to an [`Ask`].
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 2)]
struct Told {
    #[codec(tag)]
    tag: u16,
    n: u32,
}

/// One-way, either direction.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 3)]
struct Hint {
    seq: u32,
}

/// The sender's last message.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 4)]
struct Bye {
    reason: u8,
}

/// Which messages are requests, responses and one-way: the same on both
/// sides, so either may ask.
struct Rules;

impl Correlate<Sym> for Rules {
    fn correlation(msg: &Sym) -> Correlation {
        match msg {
            Sym::Ask(m) => Correlation::Request(m.tag.into()),
            Sym::Told(m) => Correlation::Response(m.tag.into()),
            Sym::Hint(_) => Correlation::OneWay,
            Sym::Bye(_) => Correlation::End,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Protocol)]
#[codec(correlate = Rules)]
enum Sym {
    Ask(Ask),
    Told(Told),
    Hint(Hint),
    Bye(Bye),
}

fn ask(n: u32, delay_ms: u16) -> Ask {
    Ask {
        tag: 0,
        n,
        delay_ms,
    }
}

/// What either side's handler does with an `Ask`: wait, answer `n + 1`.
/// Records the tags it saw and how many it ran at once.
#[derive(Default)]
struct Answerer {
    tags: Mutex<HashSet<u16>>,
    running: AtomicUsize,
    most: AtomicUsize,
    hints: Mutex<Vec<u32>>,
}

impl Answerer {
    async fn answer(&self, req: Sym) -> Option<Sym> {
        match req {
            Sym::Ask(a) => {
                self.tags.lock().unwrap().insert(a.tag);
                let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
                self.most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(a.delay_ms.into())).await;
                self.running.fetch_sub(1, Ordering::SeqCst);
                Some(Sym::Told(Told { tag: 0, n: a.n + 1 }))
            }
            Sym::Hint(h) => {
                self.hints.lock().unwrap().push(h.seq);
                None
            }
            Sym::Told(_) | Sym::Bye(_) => None,
        }
    }
}

/// A client whose handler is `answerer`.
async fn client_answering(
    addr: std::net::SocketAddr,
    answerer: &Arc<Answerer>,
    config: ClientConfig<Sym>,
) -> Client<Sym> {
    let a = Arc::clone(answerer);
    let config = config.with_handler(move |req: Sym, _server: Peer<Sym>| {
        let a = Arc::clone(&a);
        async move { a.answer(req).await }
    });
    Client::connect_with(addr, config).await.unwrap()
}

/// The only connected peer of `handle`, once it is there.
async fn only_peer(handle: &codec::rpc::ServerHandle<Sym>) -> Peer<Sym> {
    eventually("the client is connected", Duration::from_secs(5), || {
        handle.peers().len() == 1
    })
    .await;
    handle.peers().pop().unwrap()
}

/// A server that answers nothing itself (its calls to the client are the
/// test), a client whose handler is an [`Answerer`], and the client as the
/// server's peer.
struct Calling {
    handle: Arc<codec::rpc::ServerHandle<Sym>>,
    client: Client<Sym>,
    answerer: Arc<Answerer>,
    peer: Peer<Sym>,
}

async fn calling(config: ServerConfig) -> Calling {
    let server = Server::<Sym>::bind_with("127.0.0.1:0", config)
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let handle = Arc::new(server.serve(|_req: Sym, _peer: Peer<Sym>| async { None }));
    let answerer = Arc::new(Answerer::default());
    let client = client_answering(addr, &answerer, ClientConfig::default()).await;
    let peer = only_peer(&handle).await;
    Calling {
        handle,
        client,
        answerer,
        peer,
    }
}

#[test]
fn rules_declare_each_message() {
    assert_eq!(Sym::from(ask(1, 0)).correlation(), Correlation::Request(0));
    assert_eq!(
        Sym::from(Told { tag: 9, n: 0 }).correlation(),
        Correlation::Response(9)
    );
    assert_eq!(
        Sym::from(Hint { seq: 1 }).correlation(),
        Correlation::OneWay
    );
}

/// 64 client calls in flight, and for each the server calls the client
/// back on the same connection before it answers: every call gets its own
/// typed answer. Both sides draw tags from 0, so the same tag numbers are
/// in flight both ways at once, and none is mistaken for the other's.
#[tokio::test]
async fn server_calls_the_client_while_its_calls_are_in_flight() {
    bounded(20, async {
        let server = Server::<Sym>::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let server_saw = Arc::new(Mutex::new(HashSet::new()));
        let saw = Arc::clone(&server_saw);
        let handle = server.serve(move |req: Sym, peer: Peer<Sym>| {
            let saw = Arc::clone(&saw);
            async move {
                let Sym::Ask(a) = req else { return None };
                saw.lock().unwrap().insert(a.tag);
                // Ask the client first, then answer with what it said.
                let back = peer.call(ask(a.n * 10, 5)).await.ok()?;
                Some(Sym::Told(Told {
                    tag: 0,
                    n: back.n + 1,
                }))
            }
        });
        let answerer = Arc::new(Answerer::default());
        let client = client_answering(addr, &answerer, ClientConfig::default()).await;

        let calls = (0..64u32).map(|n| {
            let client = client.clone();
            async move { (n, client.call(ask(n, 0)).await.unwrap()) }
        });
        for (n, told) in futures::future::join_all(calls).await {
            assert_eq!(told.n, n * 10 + 2, "call {n} got another call's answer");
        }

        let server_tags = server_saw.lock().unwrap().clone();
        let client_tags = answerer.tags.lock().unwrap().clone();
        assert_eq!(server_tags.len(), 64, "64 client tags in flight at once");
        assert_eq!(client_tags.len(), 64, "64 server tags in flight at once");
        assert!(
            !server_tags.is_disjoint(&client_tags),
            "both sides used the same tag numbers (their own spaces)"
        );
        let c = client.counters();
        assert_eq!((c.requests, c.responses), (64, 64));
        assert_eq!((c.reverse_requests, c.reverse_responses), (64, 64));
        assert_eq!(c.dropped(), 0);
        client.close().await.unwrap();
        handle.shutdown().await;
        let s = handle.counters();
        assert_eq!((s.requests, s.responses), (64, 64));
        assert_eq!((s.reverse_requests, s.reverse_responses), (64, 64));
        assert_eq!(s.dropped(), 0);
    })
    .await;
}

/// One-way messages both ways: the client's reach the server's handler,
/// the server's reach the client's notification stream, in order, and
/// nothing waits for a reply.
#[tokio::test]
async fn one_way_messages_both_ways() {
    bounded(10, async {
        let server = Server::<Sym>::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let at_server = Arc::new(Answerer::default());
        let a = Arc::clone(&at_server);
        let handle = server.serve(move |req: Sym, _peer: Peer<Sym>| {
            let a = Arc::clone(&a);
            async move { a.answer(req).await }
        });
        let client = Client::<Sym>::connect(addr).await.unwrap();
        let mut notes = client.notifications().unwrap();
        for seq in 0..100 {
            client.send(Hint { seq }).unwrap();
        }
        let peer = only_peer(&handle).await;
        for seq in 0..100 {
            assert!(peer.notify(&Sym::Hint(Hint { seq })).unwrap());
        }
        for seq in 0..100 {
            assert_eq!(notes.recv().await, Some(Sym::Hint(Hint { seq })));
        }
        eventually("the server got 100 hints", Duration::from_secs(5), || {
            at_server.hints.lock().unwrap().len() == 100
        })
        .await;
        assert_eq!(
            *at_server.hints.lock().unwrap(),
            (0..100).collect::<Vec<_>>()
        );
        assert_eq!(client.counters().notifications, 100);
        assert_eq!(
            client.counters().requests,
            0,
            "a one-way message is no call"
        );
        client.close().await.unwrap();
        assert!(matches!(
            client.send(Hint { seq: 0 }),
            Err(CallError::Closed)
        ));
        handle.shutdown().await;
    })
    .await;
}

/// The server's calls time out, are cancelled when dropped (their tags
/// quarantined, the late answers dropped and counted), and wait for a tag
/// when all are in flight.
#[tokio::test]
async fn server_calls_have_deadlines_cancellation_and_back_pressure() {
    bounded(20, async {
        let config = ServerConfig::default()
            .with_max_in_flight(4)
            .with_tag_quarantine(Duration::from_secs(30));
        let Calling {
            handle,
            client,
            answerer,
            peer,
        } = calling(config).await;

        // Deadline: the answer comes after 300 ms, the call gives up at 100.
        let err = peer
            .call_with(
                ask(1, 300),
                CallOptions::timeout(Duration::from_millis(100)),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, CallError::Timeout(_)), "{err}");
        // Cancel: dropped after 50 ms, answered at 200.
        let dropped = tokio::time::timeout(Duration::from_millis(50), peer.call(ask(2, 200))).await;
        assert!(dropped.is_err());
        eventually(
            "both late answers are dropped",
            Duration::from_secs(5),
            || handle.counters().late == 2,
        )
        .await;
        assert_eq!(handle.counters().timeouts, 1);

        // Back-pressure: 4 tags (the in-flight limit), 2 of them still in
        // quarantine until their late answers came (they have): 20 calls
        // of 30 ms each never run more than 4 at once at the client.
        let calls = (0..20u32).map(|n| {
            let peer = peer.clone();
            async move { (n, peer.call(ask(n, 30)).await.unwrap().n) }
        });
        for (n, got) in futures::future::join_all(calls).await {
            assert_eq!(got, n + 1);
        }
        assert!(
            answerer.most.load(Ordering::SeqCst) <= 4,
            "more than 4 in flight"
        );
        assert_eq!(answerer.most.load(Ordering::SeqCst), 4);
        assert_eq!(handle.counters().reverse_responses, 20);

        client.close().await.unwrap();
        handle.shutdown().await;
    })
    .await;
}

/// Shutdown drains the server's own calls too: one in flight gets its
/// answer, a new one is refused, and the connection then closes in order.
#[tokio::test]
async fn shutdown_drains_server_calls_in_flight() {
    bounded(20, async {
        let Calling {
            handle,
            client,
            answerer,
            peer,
        } = calling(ServerConfig::default()).await;

        let in_flight = tokio::spawn({
            let peer = peer.clone();
            async move { peer.call(ask(41, 300)).await }
        });
        eventually("the client is answering", Duration::from_secs(5), || {
            answerer.running.load(Ordering::SeqCst) == 1
        })
        .await;
        let shutdown = tokio::spawn({
            let handle = Arc::clone(&handle);
            async move { handle.shutdown().await }
        });
        // The connection sees the shutdown at once (its first branch);
        // the answer is still 200 ms away.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(peer.calls_in_flight(), 1);
        let refused = peer.call(ask(0, 0)).await.unwrap_err();
        assert!(matches!(refused, CallError::Closed), "{refused}");
        assert_eq!(in_flight.await.unwrap().unwrap().n, 42, "drained, not cut");
        shutdown.await.unwrap();
        assert_eq!(handle.counters().reverse_responses, 1);
        client.close().await.unwrap();
    })
    .await;
}

/// A client without a handler drops the server's requests and counts
/// them; the server's call then ends at its deadline, and the connection
/// goes on carrying the client's calls.
#[tokio::test]
async fn a_client_without_a_handler_drops_server_requests() {
    bounded(10, async {
        let server = Server::<Sym>::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let answered = Arc::new(AtomicU64::new(0));
        let a = Arc::clone(&answered);
        let handle = server.serve(move |req: Sym, _peer: Peer<Sym>| {
            a.fetch_add(1, Ordering::SeqCst);
            async move {
                let Sym::Ask(q) = req else { return None };
                Some(Sym::Told(Told { tag: 0, n: q.n + 1 }))
            }
        });
        let client = Client::<Sym>::connect(addr).await.unwrap();
        let peer = only_peer(&handle).await;
        let err = peer
            .call_with(ask(1, 0), CallOptions::timeout(Duration::from_millis(200)))
            .await
            .unwrap_err();
        assert!(matches!(err, CallError::Timeout(_)), "{err}");
        assert_eq!(client.counters().unhandled, 1);
        assert_eq!(client.call(ask(6, 0)).await.unwrap().n, 7);
        assert_eq!(answered.load(Ordering::SeqCst), 1);
        client.close().await.unwrap();
        handle.shutdown().await;
    })
    .await;
}

/// The client's last message (`Correlation::End`) reaches the server's
/// handler, then the server ends the connection as if the client had
/// closed it: the server's call still waiting fails, and so do the
/// client's later calls.
#[tokio::test]
async fn the_peers_last_message_ends_the_connection() {
    bounded(10, async {
        let server = Server::<Sym>::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let byes = Arc::new(Mutex::new(Vec::new()));
        let b = Arc::clone(&byes);
        let handle = server.serve(move |req: Sym, _peer: Peer<Sym>| {
            if let Sym::Bye(bye) = &req {
                b.lock().unwrap().push(bye.reason);
            }
            async { None }
        });
        let answerer = Arc::new(Answerer::default());
        let client = client_answering(addr, &answerer, ClientConfig::default()).await;
        let peer = only_peer(&handle).await;
        // Answered after 1 s: still waiting when the client says goodbye
        // (the client finishes answering before its side ends).
        let waiting = tokio::spawn({
            let peer = peer.clone();
            async move { peer.call(ask(1, 1_000)).await }
        });
        eventually(
            "the server's call reached the client",
            Duration::from_secs(5),
            || answerer.running.load(Ordering::SeqCst) == 1,
        )
        .await;
        client.send(Bye { reason: 7 }).unwrap();
        let err = waiting.await.unwrap().unwrap_err();
        assert!(matches!(err, CallError::ConnectionClosed), "{err}");
        assert_eq!(*byes.lock().unwrap(), [7]);
        eventually("the connection is gone", Duration::from_secs(5), || {
            handle.peers().is_empty()
        })
        .await;
        let after = client.call(ask(2, 0)).await.unwrap_err();
        assert!(matches!(after, CallError::ConnectionClosed), "{after}");
        handle.shutdown().await;
    })
    .await;
}

/// A connection whose server waits on its own call to the client is not
/// idle: the idle limit (300 ms here) does not cut an 800 ms call short.
#[tokio::test]
async fn a_server_call_in_flight_keeps_the_connection_from_idling() {
    bounded(10, async {
        let config = ServerConfig::default().with_idle_timeout(Duration::from_millis(300));
        let Calling {
            handle,
            client,
            peer,
            ..
        } = calling(config).await;
        assert_eq!(peer.call(ask(9, 800)).await.unwrap().n, 10);
        assert_eq!(handle.counters().closed_on_error, 0);
        // Then, with nothing in flight, the limit applies again.
        eventually(
            "the idle connection is closed",
            Duration::from_secs(5),
            || handle.peers().is_empty(),
        )
        .await;
        assert_eq!(handle.counters().closed_on_error, 1);
        client.close().await.unwrap();
        handle.shutdown().await;
    })
    .await;
}
