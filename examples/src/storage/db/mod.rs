//! The storage engine behind [`Db`]: redb in one file, made durable by a
//! write-ahead log beside it, or (`serve --memory`) an in-memory map with
//! the same API and semantics.
//!
//! [`Db`] is a cheap handle whose methods hand each call to its engine.
//! The redb engine has a single writer thread that groups concurrent
//! writes into shared commits, and reader threads that batch concurrent
//! reads into shared transactions, so the async runtime never waits on
//! redb. Small stores and deletes are durable once appended to the log
//! (one `write` and one `fdatasync` per batch, made on the runtime's
//! thread once per pass of it, as Redis does); the writer applies them
//! to redb in a checkpoint about once a second.
//!
//! I/O failures: a failed log append is cut back (the store answered
//! with an error, nothing after it ever replayed); redb, which refuses all
//! calls after one failed, is closed and reopened by the writer, and
//! while it cannot be, reads are served from the file's last durable
//! state (opened apart, its repair kept in memory). Opening
//! compacts the file when it is mostly free pages ([`Db::compact`] does it
//! on demand).
//!
//! ```text
//! mod.rs          the `Db` handle: open, then one delegating method per call
//! types.rs        `DbError`, `Meta`, `Change`: what both engines take and return
//! schema.rs       the redb tables and the metadata row encoding
//! redb_engine.rs  the redb engine's handle: reads, and writes sent to the writer
//! writer.rs       the writer thread: batches, the log path, checkpoints, recovery
//! request.rs      a write with its typed reply, and its answer
//! pending.rs      the logged writes not yet in redb, which reads look at first
//! batch.rs        one write transaction: what each write does to the tables
//! wal.rs          the write-ahead log file: record format, append, replay
//! dbfile.rs       the file layer under redb: pages written out in slices, faults on command
//! faults.rs       I/O failures on command (tests), for the database file and the log
//! snapshot.rs     the file's last durable state, read while redb is closed after an I/O error
//! cache.rs        the read cache of small values the writer has committed
//! stats.rs        the engines' counters (relaxed atomics) and `EngineStats`
//! memdb.rs        the in-memory engine
//! tests.rs        the engines' tests (the log's and the cache's sit beside them)
//! ```

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;

mod batch;
mod cache;
mod dbfile;
mod faults;
mod memdb;
mod pending;
mod redb_engine;
mod request;
mod schema;
mod snapshot;
mod stats;
#[cfg(test)]
mod tests;
mod types;
mod wal;
mod writer;

use self::memdb::MemDb;
use self::redb_engine::Redb;
pub use self::schema::INLINE;
pub use self::stats::EngineStats;
pub use self::types::{Change, DbError, Meta};
use self::writer::{WalLimits, WAL_LIMITS};
use super::protocol::Entry;

/// What [`Db::compact`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compacted {
    /// File bytes before.
    pub before: u64,
    /// File bytes after.
    pub after: u64,
    /// How the pages were used before (one line).
    pub use_before: String,
    /// How the pages are used after (one line).
    pub use_after: String,
}

/// Handle to the database: cheap to clone.
#[derive(Clone)]
pub struct Db {
    engine: Engine,
}

#[derive(Clone)]
enum Engine {
    Redb(Redb),
    Memory(Arc<MemDb>),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let engine = match self.engine {
            Engine::Redb(_) => "redb",
            Engine::Memory(_) => "memory",
        };
        f.debug_struct("Db")
            .field("engine", &engine)
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Opens (or creates) the database file at `path`; with `None`, keeps
    /// everything in memory instead (the in-memory engine: same API, same
    /// semantics, nothing durable). `on_commit` sees every committed
    /// change, in commit order. The write-ahead log `<path>.wal` is
    /// created beside the file, or read and replayed (a torn tail cut off)
    /// before this returns.
    ///
    /// # Errors
    ///
    /// The file cannot be opened or is not a redb database; the log
    /// cannot be read or cut, or belongs to another database.
    pub fn open(
        path: Option<&Path>,
        on_commit: impl Fn(&[Change]) + Send + Sync + 'static,
    ) -> Result<Db, DbError> {
        Db::open_with(path, on_commit, WAL_LIMITS)
    }

    fn open_with(
        path: Option<&Path>,
        on_commit: impl Fn(&[Change]) + Send + Sync + 'static,
        limits: WalLimits,
    ) -> Result<Db, DbError> {
        Db::open_faulty(path, on_commit, limits, None)
    }

    /// [`Db::open`] with its files failing as `faults` say (tests).
    fn open_faulty(
        path: Option<&Path>,
        on_commit: impl Fn(&[Change]) + Send + Sync + 'static,
        limits: WalLimits,
        faults: Option<Arc<faults::Faults>>,
    ) -> Result<Db, DbError> {
        let engine = match path {
            None => Engine::Memory(Arc::new(MemDb::new(Box::new(on_commit)))),
            Some(path) => Engine::Redb(Redb::open(path, Box::new(on_commit), limits, faults)?),
        };
        Ok(Db { engine })
    }

    /// Compacts the database file at `path` (no server may have it
    /// open): opens it (replaying its log), closes it, then compacts it
    /// (redb moves every page to the front and cuts the file). Returns
    /// the file's size before and after, and how its pages are used
    /// before and after (a line each).
    ///
    /// # Errors
    ///
    /// The file cannot be opened, or compacting it failed.
    pub async fn compact(path: &Path) -> Result<Compacted, DbError> {
        let size = || {
            std::fs::metadata(path)
                .map(|m| m.len())
                .map_err(types::db_err)
        };
        let before = size()?;
        // The threads of a handle just dropped let go of the file shortly.
        let mut tries = 0;
        let db = loop {
            match Db::open(Some(path), |_| {}) {
                Err(e) if e.0.contains("already open") && tries < 100 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                other => break other?,
            }
        };
        db.close().await;
        drop(db);
        let path = path.to_path_buf();
        let (use_before, use_after) =
            tokio::task::spawn_blocking(move || redb_engine::compact(&path))
                .await
                .map_err(types::db_err)??;
        Ok(Compacted {
            before,
            after: size()?,
            use_before,
            use_after,
        })
    }

    /// Stores a value; returns once it is durable.
    ///
    /// # Errors
    ///
    /// The database failed; nothing changed.
    pub async fn store(&self, name: String, data: Vec<u8>) -> Result<Meta, DbError> {
        match &self.engine {
            Engine::Memory(m) => m.store(name, data),
            Engine::Redb(r) => r.store(name, data).await,
        }
    }

    /// Stores a value and calls `then` with the result once it is
    /// durable: on the runtime that opened the database (or, outside one,
    /// the writer thread), with no future to poll meanwhile. The in-memory
    /// engine calls it before returning.
    pub fn store_then(
        &self,
        name: String,
        data: Vec<u8>,
        then: impl FnOnce(Result<Meta, DbError>) + Send + 'static,
    ) {
        match &self.engine {
            Engine::Memory(m) => then(m.store(name, data)),
            Engine::Redb(r) => r.store_then(name, data, Box::new(then)),
        }
    }

    /// Whether writes wait for the disk (not the in-memory engine).
    pub fn is_durable(&self) -> bool {
        matches!(self.engine, Engine::Redb(_))
    }

    /// Deletes a key; `None` if it did not exist. Returns once durable.
    ///
    /// # Errors
    ///
    /// The database failed; nothing changed.
    pub async fn delete(&self, name: String) -> Result<Option<u64>, DbError> {
        match &self.engine {
            Engine::Memory(m) => m.delete(name),
            Engine::Redb(r) => r.delete(name).await,
        }
    }

    /// A fresh blob id for an upload.
    ///
    /// # Errors
    ///
    /// The database failed.
    pub async fn new_blob(&self) -> Result<u64, DbError> {
        match &self.engine {
            Engine::Memory(m) => m.new_blob(),
            Engine::Redb(r) => r.new_blob().await,
        }
    }

    /// Writes one chunk of an upload (not waiting for the disk: the commit
    /// makes it durable).
    ///
    /// # Errors
    ///
    /// The database failed.
    pub async fn put_chunk(&self, blob: u64, index: u64, data: Vec<u8>) -> Result<(), DbError> {
        match &self.engine {
            Engine::Memory(m) => m.put_chunk(blob, index, data),
            Engine::Redb(r) => r.put_chunk(blob, index, data).await,
        }
    }

    /// Points `name` at an uploaded blob; returns once durable.
    ///
    /// # Errors
    ///
    /// The database failed; nothing changed.
    pub async fn commit(&self, name: String, blob: u64, size: u64) -> Result<Meta, DbError> {
        match &self.engine {
            Engine::Memory(m) => m.commit(name, blob, size),
            Engine::Redb(r) => r.commit(name, blob, size).await,
        }
    }

    /// Commits every write queued so far and stops the writer: later
    /// writes fail. Reads go on until the last handle is dropped.
    pub async fn close(&self) {
        match &self.engine {
            Engine::Memory(m) => m.close(),
            Engine::Redb(r) => r.close().await,
        }
    }

    /// Drops an abandoned upload's chunks (in the background).
    pub fn drop_blob(&self, blob: u64) {
        match &self.engine {
            Engine::Memory(m) => m.drop_blob(blob),
            Engine::Redb(r) => r.drop_blob(blob),
        }
    }

    /// The metadata of `name`.
    ///
    /// # Errors
    ///
    /// The database failed.
    pub async fn meta(&self, name: String) -> Result<Option<Meta>, DbError> {
        match &self.engine {
            Engine::Memory(m) => Ok(m.meta(&name)),
            Engine::Redb(r) => r.meta(name).await,
        }
    }

    /// The whole value of `name` if it is at most `limit` bytes: `Ok(None)`
    /// when there is no such key, `Err(size)` inside when it is larger.
    /// The bytes are the store's (the in-memory map's, the read cache's)
    /// shared, not copied, where it holds them whole.
    ///
    /// # Errors
    ///
    /// The database failed.
    pub async fn fetch(
        &self,
        name: &str,
        limit: u64,
    ) -> Result<Option<Result<Bytes, u64>>, DbError> {
        match &self.engine {
            Engine::Memory(m) => Ok(m.fetch(name, limit)),
            Engine::Redb(r) => r.fetch(name, limit).await,
        }
    }

    /// The chunk at `offset` of `name`'s value: `(meta, bytes)`;
    /// `Ok(None)` for no such key. Shared as [`Db::fetch`]'s.
    ///
    /// # Errors
    ///
    /// The database failed.
    pub async fn chunk(&self, name: &str, offset: u64) -> Result<Option<(Meta, Bytes)>, DbError> {
        match &self.engine {
            Engine::Memory(m) => Ok(m.chunk(name, offset)),
            Engine::Redb(r) => r.chunk(name, offset).await,
        }
    }

    /// The engine's counters (commits, fsyncs, read-cache hits and
    /// misses) and its sizes (keys, database and log bytes), measured now.
    ///
    /// # Errors
    ///
    /// The database failed.
    pub async fn stats(&self) -> Result<EngineStats, DbError> {
        match &self.engine {
            Engine::Memory(m) => Ok(m.stats()),
            Engine::Redb(r) => r.stats().await,
        }
    }

    /// Up to `limit` keys starting with `prefix`, after `after`; and
    /// whether more follow.
    ///
    /// # Errors
    ///
    /// The database failed.
    pub async fn list(
        &self,
        prefix: String,
        after: String,
        limit: usize,
    ) -> Result<(Vec<Entry>, bool), DbError> {
        match &self.engine {
            Engine::Memory(m) => Ok(m.list(&prefix, &after, limit)),
            Engine::Redb(r) => r.list(prefix, after, limit).await,
        }
    }
}
