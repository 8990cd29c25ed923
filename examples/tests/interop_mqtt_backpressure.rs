//! The broker's back-pressure (`HIGH_WATER` / `LOW_WATER` /
//! `CONGESTION_WAIT` in `examples/src/mqtt/broker.rs`): a subscriber that
//! stops reading slows the publisher feeding it, keeps the broker's
//! backlog for it bounded, leaves the broker's other clients alone, and
//! gets every QoS 1 message once it reads again.
//!
//! The broker runs in this process (the library's `Broker::serve` on a
//! one-thread runtime, as `mqtt-broker` runs by default), so the test
//! reads its counters directly; the clients are blocking sockets.

mod support {
    pub mod mqtt_raw;
}

use std::collections::BTreeSet;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use codec::frame::FrameDecoder;
use codec_examples::mqtt::broker::{Broker, Config};
use codec_examples::mqtt::packet::*;
use codec_examples::mqtt::{FixedHeader, Packet};
use support::mqtt_raw::{Got, Raw};

/// Messages the publisher sends: twice the session queue limit (10,000),
/// 20 MB of payload, far more than the stalled subscriber's socket holds.
const MESSAGES: usize = 20_000;

/// Payload bytes per message (the sequence number, then padding).
const SIZE: usize = 1024;

/// How long the subscriber does not read once the backlog is over the
/// high-water mark.
const STALL: Duration = Duration::from_secs(2);

/// The backlog bound asserted. The broker pauses a publisher whose
/// PUBLISH left a session over 1,000 waiting deliveries for up to 250 ms
/// at a time, and between two pauses reads at most one 16 KiB buffer
/// (under 17 of these messages): 1,000 + 17 × 4 per second of stall,
/// about 1,150 here. Without the pauses the broker ingests the whole
/// flood within the stall and this subscriber's backlog passes 15,000.
const BACKLOG_BOUND: u64 = 3_000;

/// PUBACKs the publisher may get during the stall: the broker reads it
/// at most once per 250 ms pause, under 17 messages each time, so about
/// 140 in 2 s. Without back-pressure it gets all it sends (thousands:
/// the whole flood takes well under the stall).
const ACKED_IN_STALL_BOUND: usize = 1_000;

/// How long a bystander's PINGREQ or QoS 1 PUBLISH may take to be
/// answered during the flood (a few milliseconds when the broker is
/// well; a whole second leaves room for a loaded CI machine).
const BYSTANDER_BOUND: Duration = Duration::from_secs(1);

/// Everything after the stall (the drain of 20,000 messages) ends within
/// this, or the test fails.
const DRAIN_DEADLINE: Duration = Duration::from_secs(90);

/// The broker on a one-thread runtime of its own thread, stopped (and
/// joined) on drop.
struct InProcess {
    addr: SocketAddr,
    broker: Arc<Broker>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl InProcess {
    fn start() -> InProcess {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let broker = Broker::new(Config {
            sys_interval: None,
            ..Config::default()
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = Arc::clone(&broker);
        let thread = thread::spawn(move || {
            rt.block_on(async move {
                tokio::select! {
                    () = serving.serve(listener) => {}
                    _ = stopped => {}
                }
            });
        });
        InProcess {
            addr,
            broker,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn counter(&self, name: &str) -> u64 {
        self.broker
            .counters()
            .snapshot()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("no counter {name}"))
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A 5.0 connection whose receive buffer is 4 KiB (set before connecting,
/// so the window it advertises stays small), connected as `id`.
fn small_window_client(addr: SocketAddr, id: &str) -> Raw {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("runtime");
    let stream = rt
        .block_on(async {
            let s = tokio::net::TcpSocket::new_v4()?;
            s.set_recv_buffer_size(4096)?;
            s.connect(addr).await?.into_std()
        })
        .expect("connect with a small receive buffer");
    stream.set_nonblocking(false).expect("blocking");
    let mut r = Raw::over(stream, true);
    r.send(Packet::Connect(Connect::new(5, id, 60, true)));
    match r.recv(Duration::from_secs(10)) {
        Got::Packet(Packet::ConnAck(a)) => assert_eq!(a.code, 0, "{id} refused"),
        other => panic!("expected CONNACK, got {other:?}"),
    }
    r
}

/// The sequence number a payload starts with.
fn seq(payload: &[u8]) -> usize {
    let head: [u8; 8] = payload[..8].try_into().expect("payload of 8 bytes or more");
    u64::from_be_bytes(head) as usize
}

#[test]
fn a_stalled_subscriber_slows_its_publisher_only() {
    let server = InProcess::start();
    let addr = server.addr;

    let mut sub = small_window_client(addr, "stalled");
    assert_eq!(sub.subscribe("bp/#", 1), [1]);
    let mut bystander = Raw::client(addr, true, "bystander", true);

    // The publisher: one thread writes every PUBLISH (blocking when the
    // broker stops reading), one counts the PUBACKs.
    let publisher = Raw::client(addr, false, "flood", true);
    let mut writer = publisher.stream.try_clone().expect("clone");
    writer
        .set_write_timeout(Some(DRAIN_DEADLINE))
        .expect("write timeout");
    let mut reader = publisher.stream;
    reader
        .set_read_timeout(Some(DRAIN_DEADLINE))
        .expect("read timeout");
    let acked = Arc::new(AtomicUsize::new(0));
    let writing = thread::spawn(move || {
        use std::io::Write;
        let mut buf = Vec::new();
        for i in 0..MESSAGES {
            let mut payload = vec![b'.'; SIZE];
            payload[..8].copy_from_slice(&(i as u64).to_be_bytes());
            let id = u16::try_from(i % 65_535 + 1).expect("id");
            buf.clear();
            let p = Publish::new("bp/flood", &payload, 1, false, Some(id), None);
            encode_packet(Packet::Publish(p), false, &mut buf).expect("encode");
            writer
                .write_all(&buf)
                .expect("the broker took every PUBLISH");
        }
    });
    let counting = {
        let acked = Arc::clone(&acked);
        thread::spawn(move || {
            let mut frames = FrameDecoder::<FixedHeader>::new();
            let mut buf = vec![0u8; 65_536];
            while acked.load(Ordering::Relaxed) < MESSAGES {
                match next_packet(&mut frames, false).expect("the broker's bytes decode") {
                    Some(Packet::PubAck(a)) => {
                        assert_eq!(a.code(), 0);
                        acked.fetch_add(1, Ordering::Relaxed);
                    }
                    Some(other) => panic!("publisher got {other:?}"),
                    None => match reader.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => frames.push(&buf[..n]),
                    },
                }
            }
        })
    };

    // The flood reaches the high-water mark: the subscriber has not read
    // since its SUBACK.
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.counter("backlog_peak") <= 1_000 {
        assert!(
            Instant::now() < deadline,
            "the backlog never passed 1,000: {}",
            server.counter("backlog_peak")
        );
        thread::sleep(Duration::from_millis(10));
    }

    // The stall: the bystander is answered promptly throughout.
    let acked_before = acked.load(Ordering::Relaxed);
    let stall_end = Instant::now() + STALL;
    let mut slowest = Duration::ZERO;
    let mut rounds = 0;
    while Instant::now() < stall_end {
        let t = Instant::now();
        bystander.ping();
        assert_eq!(bystander.publish("elsewhere", b"x", 1, false), 0x10);
        slowest = slowest.max(t.elapsed());
        rounds += 1;
        thread::sleep(Duration::from_millis(50));
    }
    let peak = server.counter("backlog_peak");
    let acked_in_stall = acked.load(Ordering::Relaxed) - acked_before;
    eprintln!(
        "stall: backlog peak {peak}, {acked_in_stall} acknowledged during it \
         ({acked_before} before), \
         slowest bystander round {slowest:?} of {rounds}"
    );
    assert!(rounds >= 5, "only {rounds} bystander rounds in {STALL:?}");
    assert!(
        slowest < BYSTANDER_BOUND,
        "a bystander waited {slowest:?} during the flood"
    );
    assert!(
        peak <= BACKLOG_BOUND,
        "the stalled subscriber's backlog reached {peak}"
    );
    assert!(
        acked_in_stall <= ACKED_IN_STALL_BOUND,
        "the publisher was not slowed: {acked_in_stall} PUBLISHes acknowledged during the stall"
    );

    // The subscriber reads again: every message arrives, once, in order.
    let drain_end = Instant::now() + DRAIN_DEADLINE;
    let mut seen = BTreeSet::new();
    let mut last = None;
    while seen.len() < MESSAGES {
        let left = drain_end.saturating_duration_since(Instant::now());
        match sub.recv(left) {
            Got::Packet(Packet::Publish(p)) => {
                sub.ack(&p);
                let n = seq(&p.payload);
                assert!(last.is_none_or(|l| n > l), "{n} after {last:?}");
                last = Some(n);
                seen.insert(n);
            }
            other => panic!(
                "after {} of {MESSAGES} messages the subscriber got {other:?}",
                seen.len()
            ),
        }
    }
    writing.join().expect("writer");
    counting.join().expect("ack counter");
    assert_eq!(acked.load(Ordering::Relaxed), MESSAGES);
    assert_eq!(seen.len(), MESSAGES);
    assert_eq!(server.counter("dropped"), 0);
    // Nothing more once drained.
    assert_eq!(sub.recv(Duration::from_millis(200)), Got::Quiet);
}
