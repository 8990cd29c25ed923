//! The server's counters: requests and errors by message, beside the
//! connection counters of [`codec::rpc`] and the engine's
//! ([`EngineStats`]); their list of named values (the stats reply), its
//! Prometheus text, and the one-line summary logged at shutdown.
//!
//! The names, as `storage stats` prints them and a [`StatsResponse`]
//! carries them (`family.Message` for the per-message counters), and the
//! Prometheus metrics they become:
//!
//! ```text
//! connections                  storage_connections_total                 accepted
//! connections_refused          storage_connections_refused_total         at the connection limit
//! connections_closed_on_error  storage_connections_closed_on_error_total bad frame, limit, timeout
//! bytes_in, bytes_out          storage_bytes_in_total, ..._out_total     on the sockets
//! watchers                     storage_watchers                          live watch subscriptions (gauge)
//! requests.<Message>           storage_requests_total{message="..."}     messages received
//! errors.<Message>             storage_errors_total{message="..."}       replies not Success/Ekey
//! commits, fsyncs              storage_commits_total, ..._fsyncs_total   the engine's
//! inline_appends               storage_inline_appends_total              log appends on the runtime
//! cache_hits, cache_misses     storage_cache_hits_total, ..._misses_total
//! keys, db_bytes, log_bytes    storage_keys, storage_db_bytes, ...       gauges
//! ```
//!
//! A `FetchRequest` answered `Ekey` is a miss, not an error: it is the
//! answer to the question. Messages a server should not receive (replies,
//! notifications) count as errors of their own message.
//!
//! [`StatsResponse`]: super::protocol::StatsResponse

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use codec::rpc::CounterSnapshot;
use codec::Protocol;

use super::db::EngineStats;
use super::protocol::{Stat, Status, Storage};

/// Message ids counted (the storage protocol's ids are all below this).
const IDS: usize = 256;

/// Requests and errors by message id: two relaxed atomics per message,
/// indexed by id, so counting takes no lock.
#[derive(Debug)]
pub struct MessageCounters {
    requests: [AtomicU64; IDS],
    errors: [AtomicU64; IDS],
}

impl Default for MessageCounters {
    fn default() -> Self {
        MessageCounters {
            requests: std::array::from_fn(|_| AtomicU64::new(0)),
            errors: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl MessageCounters {
    /// Counts one message with id `id`, and an error if `failed`.
    pub fn count(&self, id: u64, failed: bool) {
        let Ok(i) = usize::try_from(id) else { return };
        if let Some(c) = self.requests.get(i) {
            c.fetch_add(1, Relaxed);
            if failed {
                self.errors[i].fetch_add(1, Relaxed);
            }
        }
    }

    /// `requests.<Message>` then `errors.<Message>`, for each message
    /// seen at least once (by id).
    fn push(&self, out: &mut Vec<Stat>) {
        for (family, counters) in [("requests", &self.requests), ("errors", &self.errors)] {
            for (id, c) in counters.iter().enumerate() {
                let value = c.load(Relaxed);
                if value == 0 {
                    continue;
                }
                let name = Storage::name_of(id as u64)
                    .map_or_else(|| format!("0x{id:02x}"), str::to_owned);
                out.push(Stat {
                    name: format!("{family}.{name}"),
                    value,
                });
            }
        }
    }
}

/// Whether a reply reports a failure: any status but `Success` and
/// `Ekey` (no reply at all, to a message a server should not receive,
/// also counts; see [`MessageCounters::count`]).
pub fn failed(reply: Option<&Storage>) -> bool {
    let status = match reply {
        None => return true,
        Some(Storage::StoreResponse(r)) => r.status,
        Some(Storage::FetchResponse(r)) => r.status,
        Some(Storage::DeleteResponse(r)) => r.status,
        Some(Storage::ListResponse(r)) => r.status,
        Some(Storage::WatchResponse(r)) => r.status,
        Some(Storage::PutBeginResponse(r)) => r.status,
        Some(Storage::ChunkAck(r)) => r.status,
        Some(Storage::GetChunkResponse(r)) => r.status,
        Some(Storage::Welcome(r)) => r.status,
        Some(Storage::StatsResponse(r)) => r.status,
        Some(_) => return false,
    };
    !matches!(status, Status::Success | Status::Ekey)
}

/// The named counters, in the order `storage stats` prints them;
/// `watchers` is the number of watch subscriptions held.
pub fn collect(
    server: &CounterSnapshot,
    messages: &MessageCounters,
    engine: &EngineStats,
    watchers: u64,
) -> Vec<Stat> {
    let stat = |name: &str, value| Stat {
        name: name.into(),
        value,
    };
    let mut out = vec![
        stat("connections", server.connections),
        stat("connections_refused", server.refused),
        stat("connections_closed_on_error", server.closed_on_error),
        stat("bytes_in", server.bytes_in),
        stat("bytes_out", server.bytes_out),
        stat("watchers", watchers),
    ];
    messages.push(&mut out);
    out.extend([
        stat("commits", engine.commits),
        stat("fsyncs", engine.fsyncs),
        stat("inline_appends", engine.inline_appends),
        stat("cache_hits", engine.cache_hits),
        stat("cache_misses", engine.cache_misses),
        stat("keys", engine.keys),
        stat("db_bytes", engine.db_bytes),
        stat("log_bytes", engine.log_bytes),
    ]);
    out
}

/// The value of the counter `name` in `stats`, 0 if absent (a message
/// never seen).
pub fn value(stats: &[Stat], name: &str) -> u64 {
    stats.iter().find(|s| s.name == name).map_or(0, |s| s.value)
}

/// The sum of a per-message family (`requests`, `errors`).
pub fn total(stats: &[Stat], family: &str) -> u64 {
    stats
        .iter()
        .filter(|s| s.name.split_once('.').is_some_and(|(f, _)| f == family))
        .map(|s| s.value)
        .sum()
}

/// The read cache's hit rate, if it was asked at all.
pub fn hit_rate(stats: &[Stat]) -> Option<f64> {
    let (hits, misses) = (value(stats, "cache_hits"), value(stats, "cache_misses"));
    #[allow(clippy::cast_precision_loss, reason = "a ratio for people to read")]
    (hits + misses > 0).then(|| hits as f64 / (hits + misses) as f64)
}

/// What `storage stats` prints: one `name value` line per counter, and
/// the read cache's hit rate.
pub fn render_text(stats: &[Stat]) -> String {
    let width = stats.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for s in stats {
        let _ = writeln!(out, "{:<width$}  {}", s.name, s.value);
    }
    let rate = hit_rate(stats).map_or_else(|| "-".to_string(), |r| format!("{r:.3}"));
    let _ = writeln!(out, "{:<width$}  {rate}", "cache_hit_rate");
    out
}

/// Gauges: sizes at the moment of the snapshot; everything else counts up.
const GAUGES: [&str; 4] = ["watchers", "keys", "db_bytes", "log_bytes"];

/// The Prometheus text exposition format (version 0.0.4) of `stats`:
/// `storage_<name>_total` for counters, `storage_<name>` for gauges, a
/// `message` label for the per-message families; each family once, with
/// its `# HELP` and `# TYPE` lines.
pub fn render_prometheus(stats: &[Stat]) -> String {
    let mut out = String::new();
    let mut done: Vec<&str> = Vec::new();
    for s in stats {
        let family = s.name.split_once('.').map_or(s.name.as_str(), |(f, _)| f);
        if done.contains(&family) {
            continue;
        }
        done.push(family);
        let gauge = GAUGES.contains(&family);
        let metric = if gauge {
            format!("storage_{family}")
        } else {
            format!("storage_{family}_total")
        };
        let kind = if gauge { "gauge" } else { "counter" };
        let _ = writeln!(out, "# HELP {metric} {}", help(family));
        let _ = writeln!(out, "# TYPE {metric} {kind}");
        for t in stats {
            match t.name.split_once('.') {
                Some((f, message)) if f == family => {
                    let _ = writeln!(out, "{metric}{{message=\"{message}\"}} {}", t.value);
                }
                None if t.name == family => {
                    let _ = writeln!(out, "{metric} {}", t.value);
                }
                _ => {}
            }
        }
    }
    out
}

fn help(family: &str) -> &'static str {
    match family {
        "connections" => "Connections accepted.",
        "connections_refused" => "Connections refused at the connection limit.",
        "connections_closed_on_error" => {
            "Connections ended by an error (bad frame, limit, timeout)."
        }
        "bytes_in" => "Bytes read from client sockets.",
        "bytes_out" => "Bytes written to client sockets.",
        "watchers" => "Watch subscriptions held (live connections watching a key).",
        "requests" => "Messages received, by message.",
        "errors" => "Replies with a status other than Success or Ekey, by message.",
        "commits" => "Batches of writes made durable (log appends and database commits).",
        "fsyncs" => "fdatasync calls (log appends and durable database commits).",
        "inline_appends" => {
            "Log appends made on the server's runtime thread (small waves of writes)."
        }
        "cache_hits" => "Whole-value reads answered from memory (logged writes not yet checkpointed, or the read cache).",
        "cache_misses" => "Whole-value reads answered from the database file.",
        "keys" => "Keys stored.",
        "db_bytes" => "Size of the database file in bytes.",
        "log_bytes" => "Size of the write-ahead log in bytes.",
        _ => "A storage counter.",
    }
}

/// The counter summary logged at shutdown, as one `tracing` event.
pub fn log_summary(stats: &[Stat]) {
    tracing::info!(
        connections = value(stats, "connections"),
        requests = total(stats, "requests"),
        errors = total(stats, "errors"),
        bytes_in = value(stats, "bytes_in"),
        bytes_out = value(stats, "bytes_out"),
        commits = value(stats, "commits"),
        fsyncs = value(stats, "fsyncs"),
        cache_hit_rate = hit_rate(stats).map_or_else(|| "-".to_string(), |r| format!("{r:.3}")),
        keys = value(stats, "keys"),
        db_bytes = value(stats, "db_bytes"),
        log_bytes = value(stats, "log_bytes"),
        "counters at shutdown"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Stat> {
        let messages = MessageCounters::default();
        messages.count(0x01, false);
        messages.count(0x03, false);
        messages.count(0x03, true);
        let server = CounterSnapshot::default();
        let engine = EngineStats {
            keys: 1,
            cache_hits: 3,
            cache_misses: 1,
            ..EngineStats::default()
        };
        collect(&server, &messages, &engine, 2)
    }

    #[test]
    fn per_message_counts_by_name() {
        let stats = sample();
        assert_eq!(value(&stats, "requests.StoreRequest"), 1);
        assert_eq!(value(&stats, "requests.FetchRequest"), 2);
        assert_eq!(value(&stats, "errors.FetchRequest"), 1);
        assert_eq!(value(&stats, "errors.StoreRequest"), 0);
        assert_eq!(total(&stats, "requests"), 3);
        assert_eq!(hit_rate(&stats), Some(0.75));
    }

    #[test]
    fn prometheus_text() {
        let text = render_prometheus(&sample());
        for line in [
            "# TYPE storage_requests_total counter",
            "storage_requests_total{message=\"StoreRequest\"} 1",
            "storage_requests_total{message=\"FetchRequest\"} 2",
            "# TYPE storage_errors_total counter",
            "storage_errors_total{message=\"FetchRequest\"} 1",
            "# TYPE storage_keys gauge",
            "storage_keys 1",
            "# TYPE storage_watchers gauge",
            "storage_watchers 2",
            "storage_connections_total 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line:?} missing from\n{text}"
            );
        }
        assert_eq!(text.matches("# TYPE storage_requests_total").count(), 1);
    }
}
