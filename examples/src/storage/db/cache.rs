//! The redb engine's read cache: small values by name, bounded in bytes.
//!
//! Only the writer fills it, with what it has just committed; readers
//! never do (a reader's snapshot may already be older than the cache). The
//! writer removes the names a batch applied to redb touches before it
//! commits and puts the new values in after the commit, before anyone is
//! told, so a hit is never older than anything a reader or a client has
//! seen: while a commit is in flight its names miss and are read from the
//! database. Logged writes are read from the pending writes, which reads
//! consult first; the cache learns them (once per name) when a checkpoint
//! has committed them and before it lets them go.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;

use super::types::Meta;

/// Bytes counted per entry on top of its name and value (the map's and
/// the queue's own share, roughly).
const OVERHEAD: usize = 96;

#[derive(Debug)]
struct Cached {
    meta: Meta,
    /// Shared: a hit hands out the buffer itself, not a copy.
    data: Bytes,
    /// Which of the name's entries in `order` is this one's.
    generation: u64,
}

#[derive(Debug, Default)]
struct Inner {
    /// foldhash, not SipHash: a read's lookup is on the request's path
    /// (see `memdb.rs`).
    map: HashMap<String, Cached, foldhash::fast::RandomState>,
    /// Names in the order they came in, oldest first, with the generation
    /// they came in with; entries whose generation no longer matches are
    /// stale and skipped.
    order: VecDeque<(String, u64)>,
    bytes: usize,
    generation: u64,
}

/// A cache of at most `max` bytes (names, values and per-entry overhead).
#[derive(Debug)]
pub(super) struct Cache {
    inner: Mutex<Inner>,
    max: usize,
}

fn cost(name: &str, data: &[u8]) -> usize {
    name.len() + data.len() + OVERHEAD
}

impl Cache {
    pub(super) fn new(max: usize) -> Cache {
        Cache {
            inner: Mutex::default(),
            max,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every method leaves `Inner` whole before anything can panic.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached value of `name`: its metadata and its bytes (shared,
    /// not copied).
    pub(super) fn get(&self, name: &str) -> Option<(Meta, Bytes)> {
        let inner = self.lock();
        inner.map.get(name).map(|c| (c.meta, c.data.clone()))
    }

    /// Forgets `names` (before their commit).
    pub(super) fn remove<'a>(&self, names: impl IntoIterator<Item = &'a str>) {
        let mut inner = self.lock();
        for name in names {
            if let Some(old) = inner.map.remove(name) {
                inner.bytes -= cost(name, &old.data);
            }
        }
        inner.compact();
    }

    /// Caches `name`'s committed value, evicting the oldest entries to stay
    /// within the bound (a value too large for an eighth of it is not
    /// cached).
    pub(super) fn insert(&self, name: &str, meta: Meta, data: impl Into<Bytes>) {
        let data = data.into();
        let mut inner = self.lock();
        if let Some(old) = inner.map.remove(name) {
            inner.bytes -= cost(name, &old.data);
        }
        let size = cost(name, &data);
        if size > self.max / 8 {
            inner.compact();
            return;
        }
        inner.generation += 1;
        let generation = inner.generation;
        inner.order.push_back((name.to_string(), generation));
        inner.map.insert(
            name.to_string(),
            Cached {
                meta,
                data,
                generation,
            },
        );
        inner.bytes += size;
        while inner.bytes > self.max {
            let Some((old, generation)) = inner.order.pop_front() else {
                break;
            };
            if inner
                .map
                .get(&old)
                .is_some_and(|c| c.generation == generation)
            {
                if let Some(c) = inner.map.remove(&old) {
                    inner.bytes -= cost(&old, &c.data);
                }
            }
        }
        inner.compact();
    }

    /// Bytes held, as counted against the bound.
    #[cfg(test)]
    pub(super) fn bytes(&self) -> usize {
        self.lock().bytes
    }
}

impl Inner {
    /// Drops stale queue entries once they outnumber the live ones, so the
    /// queue stays within a small multiple of the map.
    fn compact(&mut self) {
        if self.order.len() > 2 * self.map.len() + 64 {
            let map = &self.map;
            self.order
                .retain(|(name, g)| map.get(name).is_some_and(|c| c.generation == *g));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte bound holds under any mix of inserts, overwrites and
    /// removals; the queue stays small; what is cached is the last value
    /// put, never an older one.
    #[test]
    fn bounded_and_never_stale() {
        let max = 64 * 1024;
        let cache = Cache::new(max);
        let mut last: HashMap<String, u64> = HashMap::new();
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        for step in 0..20_000u64 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let name = format!("k{}", rng % 300);
            match rng % 5 {
                0 => {
                    cache.remove([name.as_str()]);
                    last.remove(&name);
                }
                _ => {
                    let size = (rng >> 20) as usize % 3000;
                    let data = vec![(step % 251) as u8; size];
                    cache.insert(&name, Meta::new(step, size as u64, 0), data);
                    last.insert(name.clone(), step);
                }
            }
            assert!(cache.bytes() <= max, "{} > {max}", cache.bytes());
            let inner = cache.lock();
            assert!(inner.order.len() <= 2 * inner.map.len() + 65);
            drop(inner);
            if let Some((meta, data)) = cache.get(&name) {
                assert_eq!(Some(&meta.version), last.get(&name), "stale entry");
                assert_eq!(data.len() as u64, meta.size);
                assert!(data.iter().all(|&b| b == (meta.version % 251) as u8));
            }
        }
        // Too large for the cache: not kept, and the older value is gone.
        cache.insert("big", Meta::new(1, 1, 0), vec![1]);
        cache.insert("big", Meta::new(2, 10_000, 0), vec![2; 10_000]);
        assert!(cache.get("big").is_none());
    }
}
