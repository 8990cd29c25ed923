//! Round trips per second over one loopback connection, `codec::rpc`
//! against a minimal hand-written tokio client and server exchanging the
//! same frames, in the same run.
//!
//! ```text
//! cargo bench -p codec-benches --bench rpc
//! cargo bench -p codec-benches --bench rpc -- --samples 11 --sample-ms 500
//! cargo bench -p codec-benches --bench rpc -- --depth 64 --only framework
//! cargo bench -p codec-benches --bench rpc -- --cross
//! ```
//!
//! For each depth (1, 16 and 64 calls in flight: that many tasks, each
//! calling in a loop), samples of `--sample-ms` alternate between the two
//! sides, so both see the same machine load; the table gives the median
//! round trips per second of each and the ratio framework / hand.
//!
//! Both sides run on one multi-threaded runtime with 2 workers. Both
//! clients keep a tag -> waiter map, queue frames to a writer task that
//! batches what is queued into one write, and read replies in a reader
//! task. The hand server decodes and answers inline on one task per
//! connection, writing all the replies a read produced at once; the
//! framework server runs each request as its own task (requests in flight
//! run concurrently) and writes through its writer task.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use codec::rpc::{Client, Peer, Server};
use codec::{Decode, Encode, Message, Protocol};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 1, response = Resp)]
struct Req {
    #[codec(tag)]
    tag: u16,
    n: u64,
}

#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 2)]
struct Resp {
    #[codec(tag)]
    tag: u16,
    n: u64,
}

#[derive(Debug, Clone, PartialEq, Protocol)]
enum Bench {
    Req(Req),
    Resp(Resp),
}

/// Hand-written frames: `StdHeader` (u8 id, u16 big-endian length), then
/// the tag (u16 BE) and `n` (u64 BE).
mod hand {
    pub const FRAME: usize = 3 + 10;

    pub fn encode(id: u8, tag: u16, n: u64, out: &mut Vec<u8>) {
        out.push(id);
        out.extend_from_slice(&10u16.to_be_bytes());
        out.extend_from_slice(&tag.to_be_bytes());
        out.extend_from_slice(&n.to_be_bytes());
    }

    /// One whole frame at the start of `buf`: `(id, tag, n)`.
    pub fn decode(buf: &[u8]) -> Option<(u8, u16, u64)> {
        if buf.len() < FRAME {
            return None;
        }
        assert_eq!(u16::from_be_bytes([buf[1], buf[2]]), 10, "payload length");
        let tag = u16::from_be_bytes([buf[3], buf[4]]);
        let n = u64::from_be_bytes(buf[5..13].try_into().unwrap());
        Some((buf[0], tag, n))
    }
}

/// The same bytes on both sides, before anything is measured.
fn assert_frames_agree() {
    let mut h = Vec::new();
    hand::encode(1, 0x1234, 0xDEAD_BEEF, &mut h);
    let f = Bench::Req(Req {
        tag: 0x1234,
        n: 0xDEAD_BEEF,
    })
    .to_bytes()
    .unwrap();
    assert_eq!(h, f, "hand-written and derived frames differ");
    let mut h = Vec::new();
    hand::encode(2, 7, 8, &mut h);
    assert_eq!(h, Bench::Resp(Resp { tag: 7, n: 8 }).to_bytes().unwrap());
}

// --- the framework side ---------------------------------------------------

async fn framework_server() -> SocketAddr {
    let server = Server::<Bench>::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let handle = server.serve(|req: Bench, _peer: Peer<Bench>| async move {
        match req {
            Bench::Req(r) => Some(Bench::Resp(Resp { tag: 0, n: r.n + 1 })),
            Bench::Resp(_) => None,
        }
    });
    std::mem::forget(handle); // serves until the process ends
    addr
}

// --- the hand-written side ------------------------------------------------

/// Reads request frames, answers each inline, writes the replies of one
/// read in one write.
async fn hand_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            tokio::spawn(async move {
                let mut buf = Vec::with_capacity(64 * 1024);
                let mut out = Vec::with_capacity(64 * 1024);
                let mut chunk = [0u8; 16 * 1024];
                loop {
                    let n = match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    buf.extend_from_slice(&chunk[..n]);
                    let mut at = 0;
                    while let Some((id, tag, n)) = hand::decode(&buf[at..]) {
                        assert_eq!(id, 1);
                        hand::encode(2, tag, n + 1, &mut out);
                        at += hand::FRAME;
                    }
                    buf.drain(..at);
                    if !out.is_empty() {
                        if stream.write_all(&out).await.is_err() {
                            return;
                        }
                        out.clear();
                    }
                }
            });
        }
    });
    addr
}

type Waiters = Arc<Mutex<HashMap<u16, oneshot::Sender<u64>>>>;

/// A tag -> oneshot map, a writer task fed by a channel (batching what is
/// queued), and a reader task completing the waiters.
#[derive(Clone)]
struct HandClient {
    waiters: Waiters,
    next: Arc<AtomicU16>,
    out: mpsc::UnboundedSender<[u8; hand::FRAME]>,
}

impl HandClient {
    async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (mut rd, mut wr) = stream.into_split();
        let (out, mut rx) = mpsc::unbounded_channel::<[u8; hand::FRAME]>();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(64 * 1024);
            while let Some(frame) = rx.recv().await {
                batch.clear();
                batch.extend_from_slice(&frame);
                while let Ok(frame) = rx.try_recv() {
                    batch.extend_from_slice(&frame);
                }
                if wr.write_all(&batch).await.is_err() {
                    return;
                }
            }
        });
        let waiters: Waiters = Arc::default();
        let w = Arc::clone(&waiters);
        tokio::spawn(async move {
            let mut buf = Vec::with_capacity(64 * 1024);
            let mut chunk = [0u8; 16 * 1024];
            loop {
                let n = match rd.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                buf.extend_from_slice(&chunk[..n]);
                let mut at = 0;
                while let Some((_, tag, n)) = hand::decode(&buf[at..]) {
                    if let Some(tx) = w.lock().unwrap().remove(&tag) {
                        let _ = tx.send(n);
                    }
                    at += hand::FRAME;
                }
                buf.drain(..at);
            }
        });
        HandClient {
            waiters,
            next: Arc::default(),
            out,
        }
    }

    async fn call(&self, n: u64) -> u64 {
        // Depth <= 64 of 65,536 tags: a wrapping counter never collides.
        let tag = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.waiters.lock().unwrap().insert(tag, tx);
        let mut frame = [0u8; hand::FRAME];
        let mut v = Vec::with_capacity(hand::FRAME);
        hand::encode(1, tag, n, &mut v);
        frame.copy_from_slice(&v);
        self.out.send(frame).unwrap();
        rx.await.unwrap()
    }
}

// --- measuring --------------------------------------------------------------

#[derive(Clone)]
enum Side {
    Framework(Client<Bench>),
    Hand(HandClient),
}

impl Side {
    async fn call(&self, n: u64) -> u64 {
        match self {
            Side::Framework(c) => c.call(Req { tag: 0, n }).await.unwrap().n,
            Side::Hand(c) => c.call(n).await,
        }
    }
}

/// CPU time used by every thread of this process so far (Linux
/// `schedstat`), or zero where that is not available.
fn cpu_time() -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    let ns: u64 = tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(ns)
}

/// One sample: round trips per second, and CPU microseconds per round trip
/// (both sides, all threads; less sensitive than throughput to other
/// load on the machine).
#[derive(Clone, Copy)]
struct Sample {
    rate: f64,
    cpu_us: f64,
}

/// A sample of `depth` tasks calling in a loop for `len`.
async fn sample(side: &Side, depth: usize, len: Duration) -> Sample {
    let stop = Arc::new(AtomicBool::new(false));
    let cpu = cpu_time();
    let start = Instant::now();
    let tasks: Vec<_> = (0..depth)
        .map(|t| {
            let (side, stop) = (side.clone(), Arc::clone(&stop));
            tokio::spawn(async move {
                let mut done = 0u64;
                let mut n = (t as u64) << 40;
                while !stop.load(Ordering::Relaxed) {
                    assert_eq!(side.call(n).await, n + 1, "wrong reply");
                    n += 1;
                    done += 1;
                }
                done
            })
        })
        .collect();
    tokio::time::sleep(len).await;
    stop.store(true, Ordering::Relaxed);
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    let (elapsed, cpu) = (start.elapsed(), cpu_time() - cpu);
    Sample {
        rate: total as f64 / elapsed.as_secs_f64(),
        cpu_us: cpu.as_secs_f64() * 1e6 / total as f64,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

fn main() {
    assert_frames_agree();
    let samples = arg("--samples", 9) as usize;
    let len = Duration::from_millis(arg("--sample-ms", 300));
    let depths = match arg("--depth", 0) {
        0 => vec![1, 16, 64],
        d => vec![d as usize],
    };
    let flags: Vec<String> = std::env::args().collect();
    // `--only NAME` measures one pairing (for profiling); `--cross` adds
    // the mixed pairings, to see which half costs what.
    let only = flags.iter().skip_while(|a| *a != "--only").nth(1).cloned();
    let cross = flags.iter().any(|a| a == "--cross");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (fw_server, hand_srv) = (framework_server().await, hand_server().await);
        let mut sides = vec![
            (
                "framework",
                Side::Framework(Client::connect(fw_server).await.unwrap()),
            ),
            ("hand", Side::Hand(HandClient::connect(hand_srv).await)),
        ];
        if cross || only.is_some() {
            sides.push((
                "fw-client+hand-server",
                Side::Framework(Client::connect(hand_srv).await.unwrap()),
            ));
            sides.push((
                "hand-client+fw-server",
                Side::Hand(HandClient::connect(fw_server).await),
            ));
        }
        sides.retain(|(name, _)| only.as_deref().is_none_or(|o| o == *name));
        println!(
            "rpc round trips/s over one loopback connection, median of {samples} samples of {len:?}"
        );
        print!("{:>5}", "depth");
        for (name, _) in &sides {
            print!(" {:>26}", format!("{name} rt/s (cpu us/rt)"));
        }
        println!(" {:>15}", "framework/hand");
        for depth in depths {
            let mut results = vec![Vec::new(); sides.len()];
            // Round 0 warms up; the rounds alternate between the sides.
            for round in 0..=samples {
                for ((_, side), r) in sides.iter().zip(&mut results) {
                    if round == 0 {
                        sample(side, depth, len / 3).await;
                    } else {
                        r.push(sample(side, depth, len).await);
                    }
                }
            }
            let medians: Vec<(f64, f64)> = results
                .into_iter()
                .map(|r| {
                    let rate = median(r.iter().map(|s| s.rate).collect());
                    (rate, median(r.iter().map(|s| s.cpu_us).collect()))
                })
                .collect();
            print!("{depth:>5}");
            for (rate, cpu) in &medians {
                print!(" {:>26}", format!("{rate:.0} ({cpu:.1})"));
            }
            let ratio = match (sides.first(), sides.get(1)) {
                (Some(("framework", _)), Some(("hand", _))) => medians[0].0 / medians[1].0,
                _ => f64::NAN,
            };
            println!(" {ratio:>14.2}x");
        }
    });
}
