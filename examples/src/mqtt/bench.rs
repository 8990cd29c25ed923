//! `mqtt-peer bench`: a load client for any MQTT broker. Subscribers
//! connect and subscribe first; each publisher sends a warm-up (not
//! counted) and waits until the subscribers have it (or a second has
//! passed); then publishers send as fast as the broker takes them (QoS 0:
//! written back to back; QoS 1: each waits for its PUBACK, one in flight
//! per publisher). Every payload starts with its send time, so each
//! subscriber measures publish → receipt latency; messages are counted
//! where they arrive, at the subscribers.
//!
//! ```text
//! pubs P → broker → subs S: each sub receives P × count messages
//! msgs/s = messages delivered / (last delivery − first measured publish)
//! a subscriber stops at P × count, or QUIET (1 s) after the publishers
//! are done and nothing arrives
//! ```

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::client::{Client, ClientError, Options};

/// One benchmark run's parameters.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// Publishers.
    pub pubs: usize,
    /// Subscribers.
    pub subs: usize,
    /// QoS of publications and subscriptions.
    pub qos: u8,
    /// Payload bytes (at least 8: the send time).
    pub size: usize,
    /// Messages per publisher.
    pub count: usize,
    /// Warm-up messages per publisher, sent before and not counted.
    pub warmup: usize,
    /// Speak 5.0 (else 3.1.1).
    pub v5: bool,
    /// Give up after this long.
    pub timeout: Duration,
}

/// What a run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchResult {
    /// Messages published.
    pub sent: usize,
    /// Messages delivered to subscribers (sent × subs when none is lost).
    pub delivered: usize,
    /// Deliveries per second.
    pub rate: f64,
    /// Median publish → delivery latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
}

impl std::fmt::Display for BenchResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sent {} delivered {} msgs/s {:.0} p50 {}us p99 {}us",
            self.sent,
            self.delivered,
            self.rate,
            self.p50.as_micros(),
            self.p99.as_micros()
        )
    }
}

/// The send time of a warm-up message (not a real time: never counted).
const WARMUP: u64 = u64::MAX;

/// How long subscribers wait for more once the publishers are done and
/// nothing arrives (a broker that drops messages would otherwise hold
/// them to the timeout).
const QUIET: Duration = Duration::from_secs(1);

/// How long publishers wait for the subscribers to have the warm-up.
const WARMUP_WAIT: Duration = Duration::from_secs(1);

/// Runs one benchmark.
///
/// # Errors
///
/// A client that cannot connect, subscribe or publish.
pub async fn run(cfg: BenchConfig) -> Result<BenchResult, ClientError> {
    let base = Instant::now();
    let topic: Arc<str> =
        format!("bench/{}/{}", std::process::id(), base.elapsed().as_nanos()).into();
    let options = |role: &str, i: usize| Options {
        client_id: format!("bench-{role}-{i}-{}", std::process::id()),
        v5: cfg.v5,
        keep_alive: 60,
        ..Options::new(&cfg.host, cfg.port)
    };
    let expected = cfg.pubs * cfg.count;
    let warm = Arc::new(AtomicUsize::new(0));
    // The last receipt at any subscriber (ns since `base`), and the
    // signal that ends them once the publishers are done and all is quiet.
    let heard = Arc::new(AtomicU64::new(0));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut subs = Vec::new();
    for i in 0..cfg.subs {
        let mut c = Client::connect(options("sub", i)).await?;
        c.subscribe(&[(&topic, cfg.qos)]).await?;
        let deadline = tokio::time::Instant::now() + cfg.timeout;
        let (warm, heard) = (Arc::clone(&warm), Arc::clone(&heard));
        let mut stop = stop_rx.clone();
        subs.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(expected);
            let mut last = base;
            while lat.len() < expected {
                // `recv` is cancelled only at the end, when the rest is
                // thrown away anyway.
                let m = tokio::select! {
                    m = tokio::time::timeout_at(deadline, c.recv()) => m,
                    _ = stop.changed() => break,
                };
                let m = match m {
                    Ok(Ok(m)) => m,
                    Ok(Err(e)) => {
                        eprintln!("bench: subscriber {i} ended early: {e}");
                        break;
                    }
                    Err(_) => break,
                };
                let now = Instant::now();
                heard.store(
                    now.duration_since(base).as_nanos() as u64,
                    Ordering::Relaxed,
                );
                let sent = m
                    .payload
                    .get(..8)
                    .and_then(|b| b.try_into().ok())
                    .map(u64::from_le_bytes)
                    .unwrap_or(0);
                if sent == WARMUP {
                    warm.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let at = base + Duration::from_nanos(sent);
                lat.push(now.saturating_duration_since(at));
                last = now;
            }
            let _ = c.disconnect().await;
            (lat, last)
        }));
    }
    let mut pubs = Vec::new();
    let mut clients = Vec::new();
    for i in 0..cfg.pubs {
        clients.push(Client::connect(options("pub", i)).await?);
    }
    // Two meeting points: after the warm-up, and the measured start.
    let gates = Arc::new(tokio::sync::Barrier::new(cfg.pubs + 1));
    for mut c in clients {
        let (topic, count, qos, size) = (Arc::clone(&topic), cfg.count, cfg.qos, cfg.size.max(8));
        let (warmup, gates) = (cfg.warmup, Arc::clone(&gates));
        pubs.push(tokio::spawn(async move {
            let mut payload = vec![0u8; size];
            payload[..8].copy_from_slice(&WARMUP.to_le_bytes());
            let mut warmed = Ok(());
            for _ in 0..warmup {
                warmed = c.publish(&topic, &payload, qos, false).await.map(drop);
                if warmed.is_err() {
                    break;
                }
            }
            gates.wait().await;
            gates.wait().await;
            warmed?;
            for _ in 0..count {
                let t = base.elapsed().as_nanos() as u64;
                payload[..8].copy_from_slice(&t.to_le_bytes());
                c.publish(&topic, &payload, qos, false).await?;
            }
            c.disconnect().await
        }));
    }
    gates.wait().await;
    let warm_target = cfg.warmup * cfg.pubs * cfg.subs;
    let warm_until = Instant::now() + WARMUP_WAIT;
    while warm.load(Ordering::Relaxed) < warm_target && Instant::now() < warm_until {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let start = Instant::now();
    gates.wait().await;
    let mut sent = 0;
    let mut failed = None;
    for p in pubs {
        match p.await {
            Ok(Ok(())) => sent += cfg.count,
            Ok(Err(e)) => failed = Some(e),
            Err(_) => {}
        }
    }
    let give_up = Instant::now() + cfg.timeout;
    loop {
        tokio::time::sleep(QUIET / 10).await;
        let last = base + Duration::from_nanos(heard.load(Ordering::Relaxed));
        let all_done = subs.iter().all(|s| s.is_finished());
        if all_done || last.elapsed() >= QUIET || Instant::now() >= give_up {
            break;
        }
    }
    let _ = stop_tx.send(true);
    if let Some(e) = failed {
        return Err(e);
    }
    let mut all = Vec::new();
    let mut end = start;
    for s in subs {
        if let Ok((lat, last)) = s.await {
            all.extend(lat);
            end = end.max(last);
        }
    }
    all.sort_unstable();
    let pick = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let secs = end.duration_since(start).as_secs_f64().max(1e-9);
    Ok(BenchResult {
        sent,
        delivered: all.len(),
        rate: all.len() as f64 / secs,
        p50: pick(0.50),
        p99: pick(0.99),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqtt::broker::{Broker, Config};

    /// A run against the broker in this process: every message reaches
    /// every subscriber and the rate and latencies are measured.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_run_delivers_everything() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let config = Config {
            sys_interval: None,
            ..Config::default()
        };
        let server = tokio::spawn(Broker::new(config).serve(listener));
        let cfg = BenchConfig {
            host: "127.0.0.1".into(),
            port,
            pubs: 2,
            subs: 3,
            qos: 1,
            size: 4096,
            count: 200,
            warmup: 10,
            v5: false,
            timeout: Duration::from_secs(20),
        };
        let r = tokio::time::timeout(Duration::from_secs(30), run(cfg))
            .await
            .expect("the run ends in bounded time")
            .expect("the run succeeds");
        assert_eq!(r.sent, 400);
        assert_eq!(r.delivered, 1200);
        assert!(r.rate > 0.0 && r.p50 <= r.p99, "{r}");
        server.abort();
    }
}
