//! The in-memory engine behind `serve --memory`: the same [`Db`](super::Db)
//! API and the same semantics as the redb engine (versions, uploads in
//! chunks, change notifications in commit order), with the data in a
//! `HashMap` behind a lock instead of in a database (a `BTreeMap` lookup,
//! string comparisons all the way down, took 16 % of the server's CPU on
//! pipelined GETs), and the names again in a `BTreeSet` for `list`'s
//! ordered prefix scans (a store of an existing key does not touch it).
//! The map hashes with foldhash (randomly seeded per map, like std's
//! SipHash): SipHash of a 13-byte key was 190 of a pipelined GET's 2,700
//! instructions (callgrind).
//!
//! Reads run on the calling task under a shared lock; a write is applied
//! under the exclusive lock and reported to `on_commit` before the lock is
//! released, so watchers see the changes in commit (version) order. There
//! is no thread hop and nothing to make durable.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use bytes::Bytes;

use super::stats::{EngineCounters, EngineStats};
use super::types::{Change, DbError, Meta, OnCommit};
use crate::storage::protocol::{ChangeKind, Entry, CHUNK};

/// A stored value: its version and its chunks (one for a value of at most
/// [`CHUNK`] bytes, which is then the request's own buffer, not a copy).
/// Chunks are shared buffers: a read hands out the chunk itself, which
/// goes to the socket without a copy.
#[derive(Debug)]
struct Value {
    version: u64,
    size: u64,
    chunks: Chunks,
}

impl Value {
    fn meta(&self) -> Meta {
        Meta::new(self.version, self.size, 0)
    }
}

/// A value's chunks: the first, and the others (none, so no allocation,
/// for a value of one chunk: every store of a small value).
#[derive(Debug, Default)]
struct Chunks {
    first: Bytes,
    rest: Vec<Bytes>,
}

impl Chunks {
    fn get(&self, i: usize) -> Option<&Bytes> {
        match i {
            0 => Some(&self.first),
            i => self.rest.get(i - 1),
        }
    }

    /// The whole value in one buffer: the first chunk itself when it is
    /// the only one.
    fn whole(&self) -> Bytes {
        if self.rest.is_empty() {
            return self.first.clone();
        }
        let mut all =
            Vec::with_capacity(self.first.len() + self.rest.iter().map(Bytes::len).sum::<usize>());
        all.extend_from_slice(&self.first);
        for c in &self.rest {
            all.extend_from_slice(c);
        }
        Bytes::from(all)
    }
}

impl FromIterator<Bytes> for Chunks {
    fn from_iter<I: IntoIterator<Item = Bytes>>(iter: I) -> Chunks {
        let mut iter = iter.into_iter();
        Chunks {
            first: iter.next().unwrap_or_default(),
            rest: iter.collect(),
        }
    }
}

#[derive(Default)]
struct State {
    values: HashMap<String, Value, foldhash::fast::RandomState>,
    /// The names of `values`, in order (for `list`).
    names: BTreeSet<String>,
    /// Uploads begun and not yet committed or dropped: blob -> chunks.
    uploads: HashMap<u64, BTreeMap<u64, Bytes>>,
    /// Last version handed out.
    version: u64,
    /// Last blob id handed out.
    blob: u64,
    /// Set by `close`: writes fail from then on.
    closed: bool,
}

/// The in-memory engine.
pub(super) struct MemDb {
    state: RwLock<State>,
    on_commit: Box<OnCommit>,
    stats: EngineCounters,
}

fn stopped() -> DbError {
    DbError::new("the writer has stopped")
}

/// Splits a value into chunks, keeping a value of one chunk as it is.
fn into_chunks(data: Vec<u8>) -> Chunks {
    let data = Bytes::from(data);
    if data.len() <= CHUNK {
        Chunks {
            first: data,
            rest: Vec::new(),
        }
    } else {
        // Views of the one buffer, not copies.
        (0..data.len())
            .step_by(CHUNK)
            .map(|at| data.slice(at..(at + CHUNK).min(data.len())))
            .collect()
    }
}

impl MemDb {
    pub(super) fn new(on_commit: Box<OnCommit>) -> MemDb {
        MemDb {
            state: RwLock::default(),
            on_commit,
            stats: EngineCounters::default(),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        // Every write leaves the state whole before anything can panic.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, State>, DbError> {
        let state = self.state.write().unwrap_or_else(|e| e.into_inner());
        if state.closed {
            return Err(stopped());
        }
        Ok(state)
    }

    /// Points `name` at `chunks` under a new version and reports it (with
    /// the lock held, so reports come in version order).
    fn put(&self, state: &mut State, name: String, size: u64, chunks: Chunks) -> Meta {
        state.version += 1;
        let value = Value {
            version: state.version,
            size,
            chunks,
        };
        let meta = value.meta();
        let change = |name| Change {
            kind: ChangeKind::Stored,
            name,
            version: meta.version,
            size,
        };
        let change = match state.values.get_mut(&name) {
            Some(old) => {
                *old = value;
                change(name)
            }
            None => {
                state.names.insert(name.clone());
                state.values.insert(name.clone(), value);
                change(name)
            }
        };
        (self.on_commit)(std::slice::from_ref(&change));
        self.stats.commit();
        meta
    }

    pub(super) fn store(&self, name: String, data: Vec<u8>) -> Result<Meta, DbError> {
        let size = data.len() as u64;
        let chunks = into_chunks(data);
        let mut state = self.write()?;
        Ok(self.put(&mut state, name, size, chunks))
    }

    pub(super) fn delete(&self, name: String) -> Result<Option<u64>, DbError> {
        let mut state = self.write()?;
        if state.values.remove(&name).is_none() {
            return Ok(None);
        }
        state.names.remove(&name);
        state.version += 1;
        let change = Change {
            kind: ChangeKind::Deleted,
            name,
            version: state.version,
            size: 0,
        };
        (self.on_commit)(std::slice::from_ref(&change));
        self.stats.commit();
        Ok(Some(change.version))
    }

    /// The counters, the number of keys and the values' bytes (nothing
    /// is cached or logged in memory).
    pub(super) fn stats(&self) -> EngineStats {
        let state = self.read();
        let bytes = state.values.values().map(|v| v.size).sum();
        self.stats.snapshot(state.values.len() as u64, bytes, 0)
    }

    pub(super) fn new_blob(&self) -> Result<u64, DbError> {
        let mut state = self.write()?;
        state.blob += 1;
        let blob = state.blob;
        state.uploads.insert(blob, BTreeMap::new());
        Ok(blob)
    }

    pub(super) fn put_chunk(&self, blob: u64, index: u64, data: Vec<u8>) -> Result<(), DbError> {
        let mut state = self.write()?;
        // A chunk of an upload dropped meanwhile goes nowhere.
        if let Some(up) = state.uploads.get_mut(&blob) {
            up.insert(index, Bytes::from(data));
        }
        Ok(())
    }

    pub(super) fn commit(&self, name: String, blob: u64, size: u64) -> Result<Meta, DbError> {
        let mut state = self.write()?;
        let Some(chunks) = state.uploads.remove(&blob) else {
            return Err(DbError::new(format!("no upload with blob {blob}")));
        };
        Ok(self.put(&mut state, name, size, chunks.into_values().collect()))
    }

    pub(super) fn drop_blob(&self, blob: u64) {
        if let Ok(mut state) = self.write() {
            state.uploads.remove(&blob);
        }
    }

    pub(super) fn close(&self) {
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        state.closed = true;
    }

    pub(super) fn meta(&self, name: &str) -> Option<Meta> {
        self.read().values.get(name).map(Value::meta)
    }

    pub(super) fn fetch(&self, name: &str, limit: u64) -> Option<Result<Bytes, u64>> {
        let state = self.read();
        let value = state.values.get(name)?;
        if value.size > limit {
            return Some(Err(value.size));
        }
        Some(Ok(value.chunks.whole()))
    }

    pub(super) fn chunk(&self, name: &str, offset: u64) -> Option<(Meta, Bytes)> {
        let state = self.read();
        let value = state.values.get(name)?;
        let data = usize::try_from(offset / CHUNK as u64)
            .ok()
            .and_then(|i| value.chunks.get(i))
            .cloned()
            .unwrap_or_default();
        Some((value.meta(), data))
    }

    pub(super) fn list(&self, prefix: &str, after: &str, limit: usize) -> (Vec<Entry>, bool) {
        let state = self.read();
        let start = if after > prefix { after } else { prefix };
        let mut entries = Vec::new();
        let mut more = false;
        let names = state
            .names
            .range::<str, _>((std::ops::Bound::Included(start), std::ops::Bound::Unbounded));
        for (name, value) in names.filter_map(|n| Some((n, state.values.get(n)?))) {
            if name == after {
                continue;
            }
            if !name.starts_with(prefix) {
                break;
            }
            if entries.len() == limit {
                more = true;
                break;
            }
            entries.push(Entry {
                name: name.clone(),
                size: value.size,
            });
        }
        (entries, more)
    }
}
