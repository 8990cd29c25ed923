//! `mqtt-peer bench`: a load client for any MQTT broker. Subscribers
//! connect and subscribe first; then publishers send as fast as the
//! broker takes them (QoS 0: written back to back; QoS 1: each waits for
//! its PUBACK, one in flight per publisher). Every payload starts with its
//! send time, so each subscriber measures publish → delivery latency.
//!
//! ```text
//! pubs P → broker → subs S: each sub receives P × count messages
//! msgs/s = messages delivered / (last delivery − first publish)
//! ```

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
    let mut subs = Vec::new();
    for i in 0..cfg.subs {
        let mut c = Client::connect(options("sub", i)).await?;
        c.subscribe(&[(&topic, cfg.qos)]).await?;
        let deadline = tokio::time::Instant::now() + cfg.timeout;
        subs.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(expected);
            let mut last = base;
            while lat.len() < expected {
                match tokio::time::timeout_at(deadline, c.recv()).await {
                    Ok(Ok(m)) => {
                        let now = Instant::now();
                        let sent = m
                            .payload
                            .get(..8)
                            .and_then(|b| b.try_into().ok())
                            .map(u64::from_le_bytes)
                            .unwrap_or(0);
                        let at = base + Duration::from_nanos(sent);
                        lat.push(now.saturating_duration_since(at));
                        last = now;
                    }
                    _ => break,
                }
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
    let start = Instant::now();
    for mut c in clients {
        let (topic, count, qos, size) = (Arc::clone(&topic), cfg.count, cfg.qos, cfg.size.max(8));
        pubs.push(tokio::spawn(async move {
            let mut payload = vec![0u8; size];
            for _ in 0..count {
                let t = base.elapsed().as_nanos() as u64;
                payload[..8].copy_from_slice(&t.to_le_bytes());
                c.publish(&topic, &payload, qos, false).await?;
            }
            c.disconnect().await
        }));
    }
    let mut sent = 0;
    for p in pubs {
        if let Ok(r) = p.await {
            r?;
            sent += cfg.count;
        }
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
