//! The engine's counters: relaxed atomics bumped where the writer, the log
//! and the read cache already are, and their snapshot with the sizes
//! measured when it is taken.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Counters shared by an engine's handle and its writer thread. Each bump
/// is one relaxed `fetch_add`: no lock, no fence on the request path.
#[derive(Debug, Default)]
pub(super) struct EngineCounters {
    commits: AtomicU64,
    fsyncs: AtomicU64,
    inline_appends: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
}

impl EngineCounters {
    /// A batch of writes made durable (a log append or a redb commit).
    pub(super) fn commit(&self) {
        self.commits.fetch_add(1, Relaxed);
    }

    /// One `fdatasync` (of the log, or inside a durable redb commit).
    pub(super) fn fsync(&self) {
        self.fsyncs.fetch_add(1, Relaxed);
    }

    /// A log append made on the runtime's thread (a small wave settled
    /// where it was read, not handed to the writer thread).
    pub(super) fn inline_append(&self) {
        self.inline_appends.fetch_add(1, Relaxed);
    }

    /// A read answered from memory (`true`: the pending writes or the
    /// read cache) or not.
    pub(super) fn cache(&self, hit: bool) {
        let c = if hit {
            &self.cache_hits
        } else {
            &self.cache_misses
        };
        c.fetch_add(1, Relaxed);
    }

    /// The counters, with the sizes measured by the caller.
    pub(super) fn snapshot(&self, keys: u64, db_bytes: u64, log_bytes: u64) -> EngineStats {
        EngineStats {
            commits: self.commits.load(Relaxed),
            fsyncs: self.fsyncs.load(Relaxed),
            inline_appends: self.inline_appends.load(Relaxed),
            cache_hits: self.cache_hits.load(Relaxed),
            cache_misses: self.cache_misses.load(Relaxed),
            keys,
            db_bytes,
            log_bytes,
        }
    }
}

/// The engine's counters and sizes at one moment ([`Db::stats`](super::Db::stats)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Batches of writes made durable: log appends and redb commits
    /// (in memory: writes applied).
    pub commits: u64,
    /// `fdatasync`s: one per log append and per durable redb commit (0 in
    /// memory).
    pub fsyncs: u64,
    /// Log appends made on the server's runtime thread (waves of up to
    /// 16 small writes); the rest of `commits` are the writer thread's.
    pub inline_appends: u64,
    /// Whole-value reads answered from memory (logged writes not yet
    /// checkpointed, or the read cache).
    pub cache_hits: u64,
    /// Whole-value reads answered from the database file.
    pub cache_misses: u64,
    /// Keys stored.
    pub keys: u64,
    /// Size of the database file in bytes (in memory: the values' bytes).
    pub db_bytes: u64,
    /// Size of the write-ahead log in bytes (0 in memory).
    pub log_bytes: u64,
}
