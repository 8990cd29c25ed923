//! The storage engine behind [`Db`]: redb in one file, or (`--memory`) an
//! in-memory map with the same API and semantics (`storage::memdb`).
//!
//! The redb engine has a single writer thread that groups concurrent
//! writes into shared commits, and reader threads that batch concurrent
//! reads into shared transactions, so the async runtime never waits on the
//! disk.
//!
//! A value of at most [`INLINE`] bytes is stored inline in its metadata
//! row; a larger one (or one uploaded in chunks) is a blob of chunks:
//!
//! ```text
//! meta2    name            -> version u64 | size u64 | blob u64 | inline bytes
//!                             (little-endian; blob 0: the value is inline)
//! chunks2  (blob, index)   -> up to CHUNK bytes
//! seq2     "version"|"blob" -> last number handed out
//! uploads2 blob            -> 0 (uploads begun, not yet committed)
//! ```
//!
//! (The tables were renamed when values went inline: a file written by an
//! earlier version opens as an empty database.)
//!
//! A store of an inline value is one insert into `meta2`; a larger store
//! writes a new blob and points the name at it in one transaction, then
//! drops the old blob's chunks. A chunked upload writes its chunks under a
//! fresh blob id as they come (without waiting for the disk), and `commit`
//! points the name at it durably. Uploads begun and never committed (cut
//! off by a crash) are listed in `uploads2` and collected when the database
//! opens, without scanning the chunks. The writer thread keeps the two
//! counters in memory (loaded on open) and writes them once per commit.
//!
//! Small stores and deletes are made durable by a write-ahead log beside
//! the file (`storage::wal`, `<db file>.wal`): each batch is appended to it
//! with one `write` and one `fdatasync`, put in an in-memory map of
//! pending writes that readers consult before redb, and acknowledged. A
//! checkpoint applies the pending writes to redb in one durable commit
//! that also records the last logged sequence number (in `wal2`), then
//! empties the map and the log: when the log passes `WAL_MAX_BYTES` or
//! `WAL_MAX_AGE`, when the database closes, and before every batch that
//! has to go through redb durably anyway (an upload's commit, a value too
//! large to be inline). So a key overwritten many times between two
//! checkpoints costs redb one update, and redb commits about once a
//! second rather than once per batch. (Committing each batch to redb
//! without durability instead was tried and measured no faster: redb
//! cannot reuse pages freed by non-durable commits, so every commit wrote
//! fresh pages and each checkpoint flushed all of them.) Opening the
//! database replays the records after the checkpointed one.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, RwLock};
use std::thread;
use std::time::{Duration, Instant};

use redb::{Database, Durability, ReadableTable, TableDefinition};
use tokio::sync::oneshot;

use super::cache::Cache;
use super::memdb::MemDb;
use super::protocol::{ChangeKind, Entry, CHUNK};
use super::wal::{self, LogOp, Logged, Wal};

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta2");
const CHUNKS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("chunks2");
const SEQ: TableDefinition<&str, u64> = TableDefinition::new("seq2");
/// Blobs of uploads begun and not yet committed or aborted: what a crash
/// can leave behind, so all that opening the database has to collect.
const UPLOADS: TableDefinition<u64, u64> = TableDefinition::new("uploads2");
/// `"lsn"`: the last write-ahead log record whose batch is durable in the
/// database (written by each checkpoint, in its transaction).
const WAL_TABLE: TableDefinition<&str, u64> = TableDefinition::new("wal2");

/// A checkpoint is due once the write-ahead log holds this many bytes...
const WAL_MAX_BYTES: u64 = 64 << 20;

/// ...or its oldest record is this old. Regular checkpoints also let redb
/// reuse the pages that non-durable commits free (it cannot before a
/// durable commit), keeping the database file from growing.
const WAL_MAX_AGE: Duration = Duration::from_secs(1);

/// When the writer checkpoints (tests lower or raise them).
#[derive(Debug, Clone, Copy)]
struct WalLimits {
    bytes: u64,
    age: Duration,
}

const WAL_LIMITS: WalLimits = WalLimits {
    bytes: WAL_MAX_BYTES,
    age: WAL_MAX_AGE,
};

/// Values of at most this many bytes are stored inline in their metadata
/// row (one insert per store, nothing to delete when overwritten); larger
/// ones in chunks.
pub const INLINE: usize = 16 * 1024;

/// version, size, blob: the fixed part of a metadata row.
const ROW_HEAD: usize = 24;

/// redb's page cache. Its default (1 GiB) would let a large value read or
/// written in chunks stay resident; the server must keep its memory
/// bounded whatever the size of the values.
const CACHE_BYTES: usize = 16 << 20;

/// The read cache of small values (see [`super::cache`]): bytes at most.
const READ_CACHE_BYTES: usize = 32 << 20;

/// Writes queued at once are committed together, up to this many.
const MAX_BATCH: usize = 1024;

/// A database failure, reported to clients as `EIO`.
#[derive(Debug, thiserror::Error)]
#[error("database error: {0}")]
pub struct DbError(String);

impl DbError {
    pub(super) fn new(what: impl Into<String>) -> DbError {
        DbError(what.into())
    }
}

fn db_err(e: impl std::fmt::Display) -> DbError {
    DbError(e.to_string())
}

/// A committed change, in commit order, for watchers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What happened.
    pub kind: ChangeKind,
    /// The key.
    pub name: String,
    /// The commit's version.
    pub version: u64,
    /// The new size (0 for a delete).
    pub size: u64,
}

/// What sees every committed change, in commit order.
pub(super) type OnCommit = dyn Fn(&[Change]) + Send + Sync;

/// Where a value is and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Version of the commit that stored it.
    pub version: u64,
    /// Size in bytes.
    pub size: u64,
    /// 0: inline (or in memory).
    blob: u64,
}

impl Meta {
    pub(super) fn new(version: u64, size: u64, blob: u64) -> Meta {
        Meta {
            version,
            size,
            blob,
        }
    }
}

/// A metadata row, decoded.
struct Row<'a> {
    meta: Meta,
    inline: &'a [u8],
}

fn encode_row(row: &mut Vec<u8>, meta: Meta, inline: &[u8]) {
    row.clear();
    row.extend_from_slice(&meta.version.to_le_bytes());
    row.extend_from_slice(&meta.size.to_le_bytes());
    row.extend_from_slice(&meta.blob.to_le_bytes());
    row.extend_from_slice(inline);
}

fn decode_row(b: &[u8]) -> Result<Row<'_>, DbError> {
    let word = |i: usize| {
        b.get(i * 8..i * 8 + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_le_bytes)
    };
    match (word(0), word(1), word(2)) {
        (Some(version), Some(size), Some(blob)) => Ok(Row {
            meta: Meta::new(version, size, blob),
            inline: &b[ROW_HEAD..],
        }),
        _ => Err(DbError("corrupt metadata row".into())),
    }
}

type Reply<T> = oneshot::Sender<Result<T, DbError>>;

enum Op {
    Store {
        name: String,
        data: Vec<u8>,
        reply: Reply<Meta>,
    },
    Delete {
        name: String,
        reply: Reply<Option<u64>>,
    },
    NewBlob {
        reply: Reply<u64>,
    },
    Chunk {
        blob: u64,
        index: u64,
        data: Vec<u8>,
        reply: Reply<()>,
    },
    Commit {
        name: String,
        blob: u64,
        size: u64,
        reply: Reply<Meta>,
    },
    DropBlob {
        blob: u64,
    },
    /// Commit what came before, then stop the writer.
    Shutdown {
        reply: oneshot::Sender<()>,
    },
}

impl Op {
    /// Whether the caller waits for the write to be on disk.
    fn durable(&self) -> bool {
        matches!(
            self,
            Op::Store { .. } | Op::Delete { .. } | Op::Commit { .. }
        )
    }
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

/// The redb engine's writer and readers.
#[derive(Clone)]
struct Redb {
    writes: std_mpsc::Sender<Op>,
    reads: std_mpsc::Sender<ReadJob>,
    cache: Arc<Cache>,
    pending: Pending,
}

/// Acknowledged inline stores (`Some`) and deletes (`None`) that are in
/// the write-ahead log but not yet in redb, the last of each name: readers
/// look here before redb. Only the writer changes it: it adds a logged
/// batch's writes before acknowledging them, and a checkpoint applies
/// them all to redb in one durable commit, then empties it. A read that
/// misses here and then asks a reader thread sees that commit, since the
/// thread begins its transaction after taking the read.
type Pending = Arc<RwLock<BTreeMap<String, Pended>>>;

/// A pending write: the stored value and its metadata, or `None` (deleted).
type Pended = Option<(Meta, Vec<u8>)>;

/// Each write's result, in order, and the changes to report.
type Outcome = (Vec<Result<Done, DbError>>, Vec<Change>);

/// `f` of `name`'s pending write, if it has one.
fn peek<T>(
    pending: &Pending,
    name: &str,
    f: impl FnOnce(Option<&(Meta, Vec<u8>)>) -> T,
) -> Option<T> {
    let p = pending.read().unwrap_or_else(|e| e.into_inner());
    p.get(name).map(|v| f(v.as_ref()))
}

/// A read, run by a reader thread inside a read transaction it shares with
/// the other reads queued at the same moment.
type ReadJob = Box<dyn FnOnce(Result<&redb::ReadTransaction, &DbError>) + Send>;

/// Reader threads; each takes every queued read and runs them in one
/// transaction, so a burst of reads costs one wakeup, not one each.
const READERS: usize = 2;

/// Reads taken in one batch at most.
const MAX_READ_BATCH: usize = 256;

/// The reader thread: batches of queued reads, one transaction each.
fn read_loop(db: &Database, rx: &std::sync::Mutex<std_mpsc::Receiver<ReadJob>>) {
    loop {
        let batch: Vec<ReadJob> = {
            let rx = rx.lock().unwrap_or_else(|e| e.into_inner());
            let Ok(first) = rx.recv() else { return };
            let mut batch = vec![first];
            while batch.len() < MAX_READ_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            batch
        };
        match db.begin_read().map_err(db_err) {
            Ok(tx) => batch.into_iter().for_each(|job| job(Ok(&tx))),
            Err(e) => batch.into_iter().for_each(|job| job(Err(&e))),
        }
    }
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
        let Some(path) = path else {
            return Ok(Db {
                engine: Engine::Memory(Arc::new(MemDb::new(Box::new(on_commit)))),
            });
        };
        let mut builder = Database::builder();
        builder.set_cache_size(CACHE_BYTES);
        let db = Arc::new(builder.create(path).map_err(db_err)?);
        let (mut counters, checkpointed) = init(&db)?;
        let cache = Arc::new(Cache::new(READ_CACHE_BYTES));
        let pending = Pending::default();
        let (mut wal, replay) = Wal::open(&wal::path_for(path), checkpointed)?;
        recover(&db, &mut wal, replay, &mut counters, &cache, &pending)?;
        let overlay = Arc::clone(&pending);
        let (tx, rx) = std_mpsc::channel();
        let writer = Arc::clone(&db);
        let fill = Arc::clone(&cache);
        let answers = answerer();
        thread::Builder::new()
            .name("storage-writer".into())
            .spawn(move || {
                let stop = write_loop(
                    &writer,
                    &rx,
                    &on_commit,
                    counters,
                    &fill,
                    answers.as_ref(),
                    wal,
                    limits,
                    &overlay,
                );
                // Release the database before `close` returns, so the last
                // handle's drop closes the file cleanly.
                drop(writer);
                if let Some(reply) = stop {
                    let _ = reply.send(());
                }
            })
            .map_err(db_err)?;
        let (reads, read_rx) = std_mpsc::channel::<ReadJob>();
        let read_rx = Arc::new(std::sync::Mutex::new(read_rx));
        for i in 0..READERS {
            let (db, rx) = (Arc::clone(&db), Arc::clone(&read_rx));
            thread::Builder::new()
                .name(format!("storage-reader-{i}"))
                .spawn(move || read_loop(&db, &rx))
                .map_err(db_err)?;
        }
        Ok(Db {
            engine: Engine::Redb(Redb {
                writes: tx,
                reads,
                cache,
                pending,
            }),
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
            Engine::Redb(r) => r.write(|reply| Op::Store { name, data, reply }).await,
        }
    }

    /// Deletes a key; `None` if it did not exist. Returns once durable.
    ///
    /// # Errors
    ///
    /// The database failed; nothing changed.
    pub async fn delete(&self, name: String) -> Result<Option<u64>, DbError> {
        match &self.engine {
            Engine::Memory(m) => m.delete(name),
            Engine::Redb(r) => r.write(|reply| Op::Delete { name, reply }).await,
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
            Engine::Redb(r) => r.write(|reply| Op::NewBlob { reply }).await,
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
            Engine::Redb(r) => {
                r.write(|reply| Op::Chunk {
                    blob,
                    index,
                    data,
                    reply,
                })
                .await
            }
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
            Engine::Redb(r) => {
                r.write(|reply| Op::Commit {
                    name,
                    blob,
                    size,
                    reply,
                })
                .await
            }
        }
    }

    /// Commits every write queued so far and stops the writer: later
    /// writes fail. Reads go on until the last handle is dropped.
    pub async fn close(&self) {
        match &self.engine {
            Engine::Memory(m) => m.close(),
            Engine::Redb(r) => {
                let (reply, done) = oneshot::channel();
                if r.writes.send(Op::Shutdown { reply }).is_ok() {
                    let _ = done.await;
                }
            }
        }
    }

    /// Drops an abandoned upload's chunks (in the background).
    pub fn drop_blob(&self, blob: u64) {
        match &self.engine {
            Engine::Memory(m) => m.drop_blob(blob),
            Engine::Redb(r) => {
                let _ = r.writes.send(Op::DropBlob { blob });
            }
        }
    }

    /// The metadata of `name`.
    ///
    /// # Errors
    ///
    /// The database failed.
    pub async fn meta(&self, name: String) -> Result<Option<Meta>, DbError> {
        let r = match &self.engine {
            Engine::Memory(m) => return Ok(m.meta(&name)),
            Engine::Redb(r) => r,
        };
        if let Some(m) = peek(&r.pending, &name, |v| v.map(|(m, _)| *m)) {
            return Ok(m);
        }
        r.read(move |tx| {
            let meta = tx.open_table(META).map_err(db_err)?;
            let row = meta.get(name.as_str()).map_err(db_err)?;
            row.map(|v| decode_row(v.value()).map(|r| r.meta))
                .transpose()
        })
        .await
    }

    /// The whole value of `name` if it is at most `limit` bytes: `Ok(None)`
    /// when there is no such key, `Err(size)` inside when it is larger.
    ///
    /// # Errors
    ///
    /// The database failed.
    pub async fn fetch(
        &self,
        name: String,
        limit: u64,
    ) -> Result<Option<Result<Vec<u8>, u64>>, DbError> {
        let r = match &self.engine {
            Engine::Memory(m) => return Ok(m.fetch(&name, limit)),
            Engine::Redb(r) => r,
        };
        if let Some((m, data)) = r.cache.get(&name) {
            return Ok(Some(if m.size > limit {
                Err(m.size)
            } else {
                Ok(data)
            }));
        }
        let pending = peek(&r.pending, &name, |v| {
            v.map(|(m, data)| {
                if m.size > limit {
                    Err(m.size)
                } else {
                    Ok(data.clone())
                }
            })
        });
        if let Some(found) = pending {
            return Ok(found);
        }
        r.read(move |tx| {
            let meta = tx.open_table(META).map_err(db_err)?;
            let Some(v) = meta.get(name.as_str()).map_err(db_err)? else {
                return Ok(None);
            };
            let row = decode_row(v.value())?;
            let m = row.meta;
            if m.size > limit {
                return Ok(Some(Err(m.size)));
            }
            if m.blob == 0 {
                return Ok(Some(Ok(row.inline.to_vec())));
            }
            let chunks = tx.open_table(CHUNKS).map_err(db_err)?;
            let mut data = Vec::with_capacity(m.size as usize);
            for item in chunks
                .range((m.blob, 0)..=(m.blob, u64::MAX))
                .map_err(db_err)?
            {
                let (_, v) = item.map_err(db_err)?;
                data.extend_from_slice(v.value());
            }
            Ok(Some(Ok(data)))
        })
        .await
    }

    /// The chunk at `offset` of `name`'s value, if its version is still
    /// `version` (any, when 0): `(meta, bytes)`; `Ok(None)` for no such key.
    ///
    /// # Errors
    ///
    /// The database failed.
    pub async fn chunk(
        &self,
        name: String,
        offset: u64,
    ) -> Result<Option<(Meta, Vec<u8>)>, DbError> {
        let r = match &self.engine {
            Engine::Memory(m) => return Ok(m.chunk(&name, offset)),
            Engine::Redb(r) => r,
        };
        let first = offset / CHUNK as u64 == 0;
        let pending = peek(&r.pending, &name, |v| {
            v.map(|(m, data)| (*m, if first { data.clone() } else { Vec::new() }))
        });
        if let Some(found) = pending {
            return Ok(found);
        }
        r.read(move |tx| {
            let meta = tx.open_table(META).map_err(db_err)?;
            let Some(v) = meta.get(name.as_str()).map_err(db_err)? else {
                return Ok(None);
            };
            let row = decode_row(v.value())?;
            let m = row.meta;
            let index = offset / CHUNK as u64;
            if m.blob == 0 {
                let data = if index == 0 {
                    row.inline.to_vec()
                } else {
                    Vec::new()
                };
                return Ok(Some((m, data)));
            }
            let chunks = tx.open_table(CHUNKS).map_err(db_err)?;
            let data = match chunks.get((m.blob, index)).map_err(db_err)? {
                Some(v) => v.value().to_vec(),
                None => Vec::new(),
            };
            Ok(Some((m, data)))
        })
        .await
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
        let r = match &self.engine {
            Engine::Memory(m) => return Ok(m.list(&prefix, &after, limit)),
            Engine::Redb(r) => r,
        };
        let start = if after > prefix {
            after.clone()
        } else {
            prefix.clone()
        };
        // The pending writes in range (size, or `None`: deleted), taken
        // before the reader's transaction begins, override its rows.
        let overlay: Vec<(String, Option<u64>)> = {
            let p = r.pending.read().unwrap_or_else(|e| e.into_inner());
            p.range(start.clone()..)
                .take_while(|(k, _)| k.starts_with(prefix.as_str()))
                .filter(|(k, _)| **k != after)
                .map(|(k, v)| (k.clone(), v.as_ref().map(|(m, _)| m.size)))
                .collect()
        };
        r.read(move |tx| {
            let meta = tx.open_table(META).map_err(db_err)?;
            let mut rows = meta.range(start.as_str()..).map_err(db_err)?;
            let mut next_row = || -> Result<Option<(String, u64)>, DbError> {
                for item in rows.by_ref() {
                    let (k, v) = item.map_err(db_err)?;
                    let name = k.value();
                    if name == after {
                        continue;
                    }
                    if !name.starts_with(prefix.as_str()) {
                        return Ok(None);
                    }
                    return Ok(Some((name.to_string(), decode_row(v.value())?.meta.size)));
                }
                Ok(None)
            };
            let mut overlay = overlay.into_iter().peekable();
            let mut row = next_row()?;
            let mut entries = Vec::new();
            let mut more = false;
            loop {
                let from_row = match (&row, overlay.peek()) {
                    (None, None) => break,
                    (Some(_), None) => true,
                    (None, Some(_)) => false,
                    (Some((a, _)), Some((b, _))) => a < b,
                };
                let (name, size) = if from_row {
                    let Some((name, size)) = row.take() else {
                        break;
                    };
                    row = next_row()?;
                    (name, Some(size))
                } else {
                    let Some((name, size)) = overlay.next() else {
                        break;
                    };
                    if row.as_ref().is_some_and(|(a, _)| *a == name) {
                        row = next_row()?;
                    }
                    (name, size)
                };
                let Some(size) = size else { continue };
                if entries.len() == limit {
                    more = true;
                    break;
                }
                entries.push(Entry { name, size });
            }
            Ok((entries, more))
        })
        .await
    }
}

impl Redb {
    async fn write<T>(&self, op: impl FnOnce(Reply<T>) -> Op) -> Result<T, DbError> {
        let (tx, rx) = oneshot::channel();
        self.writes
            .send(op(tx))
            .map_err(|_| DbError("the writer has stopped".into()))?;
        rx.await
            .map_err(|_| DbError("the writer has stopped".into()))?
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&redb::ReadTransaction) -> Result<T, DbError> + Send + 'static,
    ) -> Result<T, DbError> {
        let (reply, result) = oneshot::channel();
        let job: ReadJob = Box::new(move |tx| {
            let _ = reply.send(match tx {
                Ok(tx) => f(tx),
                Err(e) => Err(DbError(e.0.clone())),
            });
        });
        self.reads
            .send(job)
            .map_err(|_| DbError("the readers have stopped".into()))?;
        result
            .await
            .map_err(|_| DbError("the readers have stopped".into()))?
    }
}

/// The last version and blob id handed out: kept by the writer thread,
/// written to `seq2` once per commit that changes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Counters {
    version: u64,
    blob: u64,
}

/// Creates the tables, collects orphan blobs and loads the counters and
/// the last checkpointed log sequence number.
fn init(db: &Database) -> Result<(Counters, u64), DbError> {
    let tx = db.begin_write().map_err(db_err)?;
    let counters;
    let lsn;
    {
        tx.open_table(META).map_err(db_err)?;
        let walt = tx.open_table(WAL_TABLE).map_err(db_err)?;
        lsn = walt.get("lsn").map_err(db_err)?.map_or(0, |v| v.value());
        let seq = tx.open_table(SEQ).map_err(db_err)?;
        let get = |key| -> Result<u64, DbError> {
            Ok(seq.get(key).map_err(db_err)?.map_or(0, |v| v.value()))
        };
        counters = Counters {
            version: get("version")?,
            blob: get("blob")?,
        };
        let mut chunks = tx.open_table(CHUNKS).map_err(db_err)?;
        let mut uploads = tx.open_table(UPLOADS).map_err(db_err)?;
        let orphans: Vec<u64> = uploads
            .iter()
            .map_err(db_err)?
            .map(|item| item.map(|(k, _)| k.value()))
            .collect::<Result<_, _>>()
            .map_err(db_err)?;
        for blob in &orphans {
            drop_chunks(&mut chunks, *blob)?;
            uploads.remove(blob).map_err(db_err)?;
        }
        if !orphans.is_empty() {
            tracing::info!(
                count = orphans.len(),
                "collected blobs of unfinished uploads"
            );
        }
    }
    tx.commit().map_err(db_err)?;
    Ok((counters, lsn))
}

/// Replays the log's records after the checkpointed one (each batch as it
/// was first applied, so versions come out the same), then checkpoints.
fn recover(
    db: &Database,
    wal: &mut Wal,
    replay: wal::Records,
    counters: &mut Counters,
    cache: &Cache,
    pending: &Pending,
) -> Result<(), DbError> {
    let mut row = Vec::new();
    let records = replay.len();
    for (_, ops) in replay {
        let actions = ops
            .into_iter()
            .map(|op| match op {
                Logged::Store { name, data } => Action::Store { name, data },
                Logged::Delete { name } => Action::Delete { name },
            })
            .collect();
        apply(db, actions, Mode::Plain, counters, &mut row, cache)?;
    }
    if records > 0 {
        tracing::info!(records, "replayed the write-ahead log");
    }
    if wal.len() > 0 || records > 0 {
        checkpoint(db, wal, pending, counters, &mut row)?;
    }
    Ok(())
}

/// Makes everything committed so far durable and records the last logged
/// sequence number with it, then empties the log.
fn checkpoint(
    db: &Database,
    wal: &mut Wal,
    pending: &Pending,
    counters: &Counters,
    row: &mut Vec<u8>,
) -> Result<(), DbError> {
    let tx = db.begin_write().map_err(db_err)?;
    {
        // Only this thread changes `pending`: reading it here is stable.
        let p = pending.read().unwrap_or_else(|e| e.into_inner());
        if !p.is_empty() {
            let mut meta = tx.open_table(META).map_err(db_err)?;
            let mut chunks = tx.open_table(CHUNKS).map_err(db_err)?;
            for (name, value) in p.iter() {
                let old = match value {
                    Some((m, data)) => {
                        encode_row(row, *m, data);
                        let old = meta.insert(name.as_str(), row.as_slice()).map_err(db_err)?;
                        old.map(|v| decode_row(v.value()).map(|r| r.meta.blob))
                    }
                    None => {
                        let old = meta.remove(name.as_str()).map_err(db_err)?;
                        old.map(|v| decode_row(v.value()).map(|r| r.meta.blob))
                    }
                };
                if let Some(blob) = old.transpose()? {
                    if blob != 0 {
                        drop_chunks(&mut chunks, blob)?;
                    }
                }
            }
        }
        let mut seq = tx.open_table(SEQ).map_err(db_err)?;
        seq.insert("version", counters.version).map_err(db_err)?;
        seq.insert("blob", counters.blob).map_err(db_err)?;
        tx.open_table(WAL_TABLE)
            .map_err(db_err)?
            .insert("lsn", wal.last())
            .map_err(db_err)?;
    }
    tx.commit().map_err(db_err)?;
    pending.write().unwrap_or_else(|e| e.into_inner()).clear();
    wal.reset()
}

/// A batch of inline stores and deletes (and upload chunks, which go
/// straight to redb without waiting for the disk): the stores and deletes
/// are appended to the log, then added to `pending`, where readers see
/// them. Each write's result, in order, and the changes.
fn log_batch(
    db: &Database,
    wal: &mut Wal,
    pending: &Pending,
    actions: Vec<Action>,
    counters: &mut Counters,
    row: &mut Vec<u8>,
    cache: &Cache,
) -> Result<Outcome, DbError> {
    let mut c = *counters;
    let mut results = Vec::with_capacity(actions.len());
    let mut others = Vec::new();
    let mut staged: Vec<(String, Pended)> = Vec::new();
    let mut changes = Vec::new();
    // Whether each name staged so far exists after this batch's writes.
    let mut exists_now: HashMap<String, bool> = HashMap::new();
    let mut reader = None;
    for (i, action) in actions.into_iter().enumerate() {
        match action {
            Action::Store { name, data } => {
                c.version += 1;
                let size = data.len() as u64;
                let m = Meta::new(c.version, size, 0);
                changes.push(Change {
                    kind: ChangeKind::Stored,
                    name: name.clone(),
                    version: m.version,
                    size,
                });
                exists_now.insert(name.clone(), true);
                staged.push((name, Some((m, data))));
                results.push(Some(Ok(Done::Meta(m))));
            }
            Action::Delete { name } => {
                let exists = match exists_now.get(&name) {
                    Some(e) => *e,
                    None => match peek(pending, &name, |v| v.is_some()) {
                        Some(e) => e,
                        None => {
                            if reader.is_none() {
                                reader = Some(db.begin_read().map_err(db_err)?);
                            }
                            let tx = reader.as_ref().expect("just begun");
                            let meta = tx.open_table(META).map_err(db_err)?;
                            let found = meta.get(name.as_str()).map_err(db_err)?.is_some();
                            found
                        }
                    },
                };
                if exists {
                    c.version += 1;
                    changes.push(Change {
                        kind: ChangeKind::Deleted,
                        name: name.clone(),
                        version: c.version,
                        size: 0,
                    });
                    exists_now.insert(name.clone(), false);
                    staged.push((name, None));
                    results.push(Some(Ok(Done::Deleted(Some(c.version)))));
                } else {
                    results.push(Some(Ok(Done::Deleted(None))));
                }
            }
            other => {
                others.push((i, other));
                results.push(None);
            }
        }
    }
    drop(reader);
    if !staged.is_empty() {
        wal.prepare(staged.iter().map(|(name, value)| match value {
            Some((_, data)) => LogOp::Store { name, data },
            None => LogOp::Delete { name },
        }))?;
        // Durable from here: acknowledged once visible below.
        wal.append()?;
        *counters = c;
        // The cache forgets the names first, so no read finds an older
        // value in it after a newer one in `pending`.
        cache.remove(staged.iter().map(|(name, _)| name.as_str()));
        let mut fill = Vec::new();
        {
            let mut seen = HashSet::new();
            for (name, value) in staged.iter().rev() {
                if seen.insert(name.as_str()) {
                    if let Some((m, data)) = value {
                        fill.push((name.clone(), *m, data.clone()));
                    }
                }
            }
            let mut p = pending.write().unwrap_or_else(|e| e.into_inner());
            for (name, value) in staged {
                p.insert(name, value);
            }
        }
        for (name, m, data) in fill {
            cache.insert(&name, m, data);
        }
    }
    if !others.is_empty() {
        let (at, actions): (Vec<usize>, Vec<Action>) = others.into_iter().unzip();
        match apply(db, actions, Mode::Plain, counters, row, cache) {
            Ok((done, more)) => {
                changes.extend(more);
                for (i, d) in at.into_iter().zip(done) {
                    results[i] = Some(Ok(d));
                }
            }
            Err(e) => {
                for i in at {
                    results[i] = Some(Err(DbError(e.0.clone())));
                }
            }
        }
    }
    let results = results
        .into_iter()
        .map(|r| r.expect("every write has a result"))
        .collect();
    Ok((results, changes))
}

/// The writer thread: takes every queued write, applies them in one
/// transaction, commits once, then answers each and reports the changes.
/// Returns the reply of the `Shutdown` that stopped it, if one did.
#[allow(clippy::too_many_arguments)]
fn write_loop(
    db: &Database,
    rx: &std_mpsc::Receiver<Op>,
    on_commit: &OnCommit,
    mut counters: Counters,
    cache: &Cache,
    answers: Option<&Answers>,
    mut wal: Wal,
    limits: WalLimits,
    pending: &Pending,
) -> Option<oneshot::Sender<()>> {
    let mut stop = None;
    let mut row = Vec::new();
    // `stop` is checked before waiting: once a shutdown is seen, nothing
    // more is read (handles still alive would keep `recv` blocked).
    while stop.is_none() {
        let first = match wal.since() {
            // Idle with records in the log: checkpoint when they are due.
            Some(since) => {
                let wait = (since + limits.age).saturating_duration_since(Instant::now());
                match rx.recv_timeout(wait) {
                    Ok(op) => op,
                    Err(std_mpsc::RecvTimeoutError::Timeout) => {
                        try_checkpoint(db, &mut wal, pending, &counters, &mut row);
                        continue;
                    }
                    Err(std_mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
            None => match rx.recv() {
                Ok(op) => op,
                Err(_) => break,
            },
        };
        let mut batch = Vec::new();
        let mut next = Some(first);
        let mut lingered = None;
        while let Some(op) = next.take() {
            match op {
                Op::Shutdown { reply } => stop = Some(reply),
                op => batch.push(op),
            }
            if stop.is_none() && batch.len() < MAX_BATCH {
                next = rx.try_recv().ok();
                if next.is_none() && batch.iter().any(Op::durable) {
                    next = linger(rx, &mut lingered);
                }
            }
        }
        if batch.is_empty() {
            continue;
        }
        let durable = batch.iter().any(Op::durable);
        // Upload commits and values too large to be inline keep their path
        // through redb: a durable commit, which is also a checkpoint.
        let through_redb = batch.iter().any(|op| match op {
            Op::Commit { .. } => true,
            Op::Store { data, .. } => data.len() > INLINE,
            _ => false,
        });
        let (actions, replies): (Vec<Action>, Vec<Waiting>) = batch.into_iter().map(split).unzip();
        let applied = if through_redb || (durable && !wal.usable()) {
            // The pending writes first, then the batch, each durably.
            checkpoint(db, &mut wal, pending, &counters, &mut row).and_then(|()| {
                let done = apply(db, actions, Mode::Checkpoint(wal.last()), &mut counters, &mut row, cache)?;
                if let Err(e) = wal.reset() {
                    tracing::error!(error = %e, "cannot empty the write-ahead log after a checkpoint");
                }
                Ok(done)
            })
            .map(|(done, changes)| (done.into_iter().map(Ok).collect(), changes))
        } else if durable {
            log_batch(
                db,
                &mut wal,
                pending,
                actions,
                &mut counters,
                &mut row,
                cache,
            )
        } else {
            apply(db, actions, Mode::Plain, &mut counters, &mut row, cache)
                .map(|(done, changes)| (done.into_iter().map(Ok).collect(), changes))
        };
        match applied {
            Ok((results, changes)) => {
                answer(answers, replies.into_iter().zip(results).collect());
                on_commit(&changes);
            }
            Err(e) => {
                tracing::error!(error = %e, ops = replies.len(), "commit failed; nothing was written");
                let failed = replies
                    .into_iter()
                    .map(|reply| (reply, Err(DbError(e.0.clone()))))
                    .collect();
                answer(answers, failed);
            }
        }
        let due = wal
            .since()
            .is_some_and(|since| since.elapsed() >= limits.age);
        if due || wal.len() >= limits.bytes || !wal.usable() {
            try_checkpoint(db, &mut wal, pending, &counters, &mut row);
        }
    }
    if wal.len() > 0 || !wal.usable() {
        try_checkpoint(db, &mut wal, pending, &counters, &mut row);
    }
    stop
}

/// A checkpoint, or an error logged (the log keeps its records, and the
/// next checkpoint tries again).
fn try_checkpoint(
    db: &Database,
    wal: &mut Wal,
    pending: &Pending,
    counters: &Counters,
    row: &mut Vec<u8>,
) {
    if let Err(e) = checkpoint(db, wal, pending, counters, row) {
        tracing::error!(error = %e, "checkpoint failed; the write-ahead log keeps its records");
    }
}

/// Before a durable commit, the writer waits this long for another write
/// to arrive (and again after each that does, up to [`LINGER_MAX`]): the
/// requests of one pipelined burst reach the writer a few microseconds
/// apart, and a commit (an `fdatasync`) is far dearer than the wait, so
/// they share it, as Redis's pipelined commands share one AOF `fsync`.
const LINGER_GAP: Duration = Duration::from_micros(15);

/// The longest a commit waits for company in all.
const LINGER_MAX: Duration = Duration::from_micros(150);

/// The next write if one arrives within [`LINGER_GAP`]; yields the core
/// meanwhile (the writes come from the threads serving connections).
fn linger(rx: &std_mpsc::Receiver<Op>, since: &mut Option<Instant>) -> Option<Op> {
    let start = Instant::now();
    let first = *since.get_or_insert(start);
    let until = (start + LINGER_GAP).min(first + LINGER_MAX);
    loop {
        if let Ok(op) = rx.try_recv() {
            return Some(op);
        }
        if Instant::now() >= until {
            return None;
        }
        thread::yield_now();
    }
}

/// A committed batch's replies, in order.
type Replies = Vec<(Waiting, Result<Done, DbError>)>;

/// Where the writer sends each batch's replies: a task on the runtime that
/// opened the database, which answers them all in one go. Answered from
/// the writer thread one by one, each reply would wake its request from
/// outside the runtime, and the runtime would run each request's
/// continuation and its connection's writer in turn, writing replies to
/// the socket one by one; answered from a task, the requests run first and
/// the connections' writers then find their replies together (one `send`
/// for many).
type Answers = tokio::sync::mpsc::UnboundedSender<Replies>;

/// The answering task, if the database is opened inside a runtime.
fn answerer() -> Option<Answers> {
    let runtime = tokio::runtime::Handle::try_current().ok()?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Replies>();
    runtime.spawn(async move {
        while let Some(batch) = rx.recv().await {
            for (reply, result) in batch {
                reply.send(result);
            }
        }
    });
    Some(tx)
}

/// Sends a batch's replies, through the answering task if there is one.
fn answer(answers: Option<&Answers>, replies: Replies) {
    let replies = match answers {
        Some(tx) => match tx.send(replies) {
            Ok(()) => return,
            // The runtime is gone: answer from here.
            Err(e) => e.0,
        },
        None => replies,
    };
    for (reply, result) in replies {
        reply.send(result);
    }
}

/// A write without its reply channel.
enum Action {
    Store {
        name: String,
        data: Vec<u8>,
    },
    Delete {
        name: String,
    },
    NewBlob,
    Chunk {
        blob: u64,
        index: u64,
        data: Vec<u8>,
    },
    Commit {
        name: String,
        blob: u64,
        size: u64,
    },
    DropBlob {
        blob: u64,
    },
}

/// What a write returns once committed.
enum Done {
    Meta(Meta),
    Deleted(Option<u64>),
    Blob(u64),
    Unit,
}

/// Who waits for a write.
enum Waiting {
    Meta(Reply<Meta>),
    Deleted(Reply<Option<u64>>),
    Blob(Reply<u64>),
    Unit(Reply<()>),
    Nobody,
}

impl Waiting {
    fn send(self, result: Result<Done, DbError>) {
        // A receiver that went away (its client disconnected) needs nothing.
        match (self, result) {
            (Waiting::Meta(r), Ok(Done::Meta(m))) => drop(r.send(Ok(m))),
            (Waiting::Deleted(r), Ok(Done::Deleted(v))) => drop(r.send(Ok(v))),
            (Waiting::Blob(r), Ok(Done::Blob(b))) => drop(r.send(Ok(b))),
            (Waiting::Unit(r), Ok(Done::Unit)) => drop(r.send(Ok(()))),
            (Waiting::Meta(r), Err(e)) => drop(r.send(Err(e))),
            (Waiting::Deleted(r), Err(e)) => drop(r.send(Err(e))),
            (Waiting::Blob(r), Err(e)) => drop(r.send(Err(e))),
            (Waiting::Unit(r), Err(e)) => drop(r.send(Err(e))),
            (Waiting::Nobody, _) => {}
            (_, Ok(_)) => unreachable!("each action yields its own kind of result"),
        }
    }
}

fn split(op: Op) -> (Action, Waiting) {
    match op {
        Op::Store { name, data, reply } => (Action::Store { name, data }, Waiting::Meta(reply)),
        Op::Delete { name, reply } => (Action::Delete { name }, Waiting::Deleted(reply)),
        Op::NewBlob { reply } => (Action::NewBlob, Waiting::Blob(reply)),
        Op::Chunk {
            blob,
            index,
            data,
            reply,
        } => (Action::Chunk { blob, index, data }, Waiting::Unit(reply)),
        Op::Commit {
            name,
            blob,
            size,
            reply,
        } => (Action::Commit { name, blob, size }, Waiting::Meta(reply)),
        Op::DropBlob { blob } => (Action::DropBlob { blob }, Waiting::Nobody),
        Op::Shutdown { .. } => unreachable!("taken out of the batch by the writer loop"),
    }
}

type ChunkTable<'t> = redb::Table<'t, (u64, u64), &'static [u8]>;
type MetaTable<'t> = redb::Table<'t, &'static str, &'static [u8]>;

fn drop_chunks(chunks: &mut ChunkTable<'_>, blob: u64) -> Result<(), DbError> {
    chunks
        .retain_in((blob, 0)..=(blob, u64::MAX), |_, _| false)
        .map_err(db_err)
}

/// How a batch is made durable.
enum Mode {
    /// Not at all (upload chunks, whose upload's commit makes them
    /// durable; a replayed record, which the checkpoint after the replay
    /// does).
    Plain,
    /// By a durable commit, which is also a checkpoint: it records the
    /// last logged sequence number.
    Checkpoint(u64),
}

/// Applies a batch in one transaction; all or nothing. `counters` move on
/// only if the transaction commits.
fn apply(
    db: &Database,
    actions: Vec<Action>,
    mode: Mode,
    counters: &mut Counters,
    row: &mut Vec<u8>,
    cache: &Cache,
) -> Result<(Vec<Done>, Vec<Change>), DbError> {
    let mut tx = db.begin_write().map_err(db_err)?;
    match mode {
        Mode::Checkpoint(lsn) => {
            tx.open_table(WAL_TABLE)
                .map_err(db_err)?
                .insert("lsn", lsn)
                .map_err(db_err)?;
        }
        Mode::Plain => tx.set_durability(Durability::None),
    }
    let mut c = *counters;
    // Every name the batch changes, with its new value if it is inline:
    // what the cache must forget before the commit and learn after it.
    let mut fill: HashMap<String, Option<(Meta, Vec<u8>)>> = HashMap::new();
    let mut changes = Vec::new();
    let mut results = Vec::with_capacity(actions.len());
    {
        let mut meta = tx.open_table(META).map_err(db_err)?;
        let mut chunks = tx.open_table(CHUNKS).map_err(db_err)?;
        let mut uploads = tx.open_table(UPLOADS).map_err(db_err)?;
        for action in actions {
            let done = match action {
                Action::Store { name, data } => {
                    let size = data.len() as u64;
                    let m = if data.len() <= INLINE {
                        let m = point(&mut meta, &mut chunks, &mut c, row, &name, 0, size, &data)?;
                        fill.insert(name.clone(), Some((m, data)));
                        m
                    } else {
                        fill.insert(name.clone(), None);
                        c.blob += 1;
                        for (i, part) in data.chunks(CHUNK).enumerate() {
                            chunks.insert((c.blob, i as u64), part).map_err(db_err)?;
                        }
                        let blob = c.blob;
                        point(&mut meta, &mut chunks, &mut c, row, &name, blob, size, &[])?
                    };
                    changes.push(Change {
                        kind: ChangeKind::Stored,
                        name,
                        version: m.version,
                        size,
                    });
                    Done::Meta(m)
                }
                Action::Commit { name, blob, size } => {
                    uploads.remove(blob).map_err(db_err)?;
                    fill.insert(name.clone(), None);
                    let m = point(&mut meta, &mut chunks, &mut c, row, &name, blob, size, &[])?;
                    changes.push(Change {
                        kind: ChangeKind::Stored,
                        name,
                        version: m.version,
                        size,
                    });
                    Done::Meta(m)
                }
                Action::Delete { name } => {
                    let old = match meta.remove(name.as_str()).map_err(db_err)? {
                        Some(v) => Some(decode_row(v.value())?.meta.blob),
                        None => None,
                    };
                    match old {
                        Some(blob) => {
                            fill.insert(name.clone(), None);
                            if blob != 0 {
                                drop_chunks(&mut chunks, blob)?;
                            }
                            c.version += 1;
                            changes.push(Change {
                                kind: ChangeKind::Deleted,
                                name,
                                version: c.version,
                                size: 0,
                            });
                            Done::Deleted(Some(c.version))
                        }
                        None => Done::Deleted(None),
                    }
                }
                Action::NewBlob => {
                    c.blob += 1;
                    // In this transaction or an earlier one than any of
                    // its chunks, so a crash never leaves chunks unlisted.
                    uploads.insert(c.blob, 0).map_err(db_err)?;
                    Done::Blob(c.blob)
                }
                Action::Chunk { blob, index, data } => {
                    chunks
                        .insert((blob, index), data.as_slice())
                        .map_err(db_err)?;
                    Done::Unit
                }
                Action::DropBlob { blob } => {
                    uploads.remove(blob).map_err(db_err)?;
                    drop_chunks(&mut chunks, blob)?;
                    Done::Unit
                }
            };
            results.push(done);
        }
        if c != *counters {
            let mut seq = tx.open_table(SEQ).map_err(db_err)?;
            if c.version != counters.version {
                seq.insert("version", c.version).map_err(db_err)?;
            }
            if c.blob != counters.blob {
                seq.insert("blob", c.blob).map_err(db_err)?;
            }
        }
    }
    cache.remove(fill.keys().map(String::as_str));
    tx.commit().map_err(db_err)?;
    *counters = c;
    for (name, value) in fill {
        if let Some((m, data)) = value {
            cache.insert(&name, m, data);
        }
    }
    Ok((results, changes))
}

/// Points `name` at `blob` (0: the `inline` bytes) under a new version,
/// dropping the old blob.
#[allow(clippy::too_many_arguments)]
fn point(
    meta: &mut MetaTable<'_>,
    chunks: &mut ChunkTable<'_>,
    c: &mut Counters,
    row: &mut Vec<u8>,
    name: &str,
    blob: u64,
    size: u64,
    inline: &[u8],
) -> Result<Meta, DbError> {
    c.version += 1;
    let m = Meta::new(c.version, size, blob);
    encode_row(row, m, inline);
    let old = match meta.insert(name, row.as_slice()).map_err(db_err)? {
        Some(v) => Some(decode_row(v.value())?.meta.blob),
        None => None,
    };
    if let Some(old) = old {
        if old != 0 && old != blob {
            drop_chunks(chunks, old)?;
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Opens the file directly once the service's threads have let go.
    fn chunk_count(path: &Path) -> usize {
        let mut tries = 0;
        let db = loop {
            match Database::create(path) {
                Ok(db) => break db,
                Err(redb::DatabaseError::DatabaseAlreadyOpen) if tries < 100 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) => panic!("{e}"),
            }
        };
        let tx = db.begin_read().unwrap();
        let chunks = tx.open_table(CHUNKS).unwrap();
        chunks.iter().unwrap().count()
    }

    /// An upload cut off (never committed) leaves its chunks behind until
    /// the database is opened again, which collects them from the
    /// `uploads` list; committed values keep theirs.
    #[tokio::test]
    async fn unfinished_uploads_are_collected_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.redb");
        {
            let db = Db::open(Some(&path), |_| {}).unwrap();
            db.store("kept".into(), vec![1; 10]).await.unwrap();
            let done = db.new_blob().await.unwrap();
            db.put_chunk(done, 0, vec![2; 10]).await.unwrap();
            db.commit("uploaded".into(), done, 10).await.unwrap();
            let cut = db.new_blob().await.unwrap();
            db.put_chunk(cut, 0, vec![3; CHUNK]).await.unwrap();
            db.put_chunk(cut, 1, vec![3; 5]).await.unwrap();
            // A durable write after the chunks makes them durable too.
            db.store("later".into(), vec![4; 3]).await.unwrap();
            db.close().await;
        }
        assert_eq!(
            chunk_count(&path),
            3,
            "the uploaded value's chunk and the two orphan chunks (small stores are inline)"
        );
        {
            let db = Db::open(Some(&path), |_| {}).unwrap();
            assert_eq!(
                db.fetch("uploaded".into(), 100).await.unwrap(),
                Some(Ok(vec![2; 10]))
            );
            db.close().await;
        }
        assert_eq!(chunk_count(&path), 1, "the orphan chunks are gone");
    }

    fn pattern(n: usize, seed: u8) -> Vec<u8> {
        (0..n).map(|i| (i % 251) as u8 ^ seed).collect()
    }

    /// Overwriting an inline value with a chunked one and back (by store,
    /// upload and delete) reads right at every step and leaves no chunk
    /// behind once nothing points at it.
    #[tokio::test]
    async fn inline_and_chunked_overwrites_leave_no_orphans() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.redb");
        {
            let db = Db::open(Some(&path), |_| {}).unwrap();
            let all = u64::MAX;
            let small = pattern(100, 1);
            let edge = pattern(INLINE, 2);
            let big = pattern(INLINE.max(CHUNK) + 10, 3);
            for value in [&small, &big, &edge, &big, &small, &Vec::new()] {
                db.store("k".into(), value.clone()).await.unwrap();
                assert_eq!(
                    db.fetch("k".into(), all).await.unwrap(),
                    Some(Ok(value.clone()))
                );
                let (m, first) = db.chunk("k".into(), 0).await.unwrap().unwrap();
                assert_eq!(m.size, value.len() as u64);
                assert_eq!(first, value[..value.len().min(CHUNK)]);
                let (_, second) = db.chunk("k".into(), CHUNK as u64).await.unwrap().unwrap();
                assert_eq!(second, value[value.len().min(CHUNK)..]);
            }
            // An upload over an inline value, then an inline store over it.
            let blob = db.new_blob().await.unwrap();
            db.put_chunk(blob, 0, small.clone()).await.unwrap();
            db.commit("k".into(), blob, small.len() as u64)
                .await
                .unwrap();
            assert_eq!(
                db.fetch("k".into(), all).await.unwrap(),
                Some(Ok(small.clone()))
            );
            db.store("k".into(), edge.clone()).await.unwrap();
            assert_eq!(
                db.fetch("k".into(), all).await.unwrap(),
                Some(Ok(edge.clone()))
            );
            // A chunked value deleted, an inline one deleted.
            db.store("big".into(), big.clone()).await.unwrap();
            assert!(db.delete("big".into()).await.unwrap().is_some());
            assert!(db.delete("k".into()).await.unwrap().is_some());
            assert_eq!(db.fetch("k".into(), all).await.unwrap(), None);
            db.close().await;
        }
        assert_eq!(chunk_count(&path), 0, "no chunk outlives its value");
    }

    /// Reads never go back in time, whether the read cache or a reader
    /// thread answers: a fetch after a store's acknowledgement sees it (or
    /// a later value), and values read concurrently never decrease, while
    /// the key flips between inline, chunked and deleted.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_are_never_stale() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(Some(&dir.path().join("db.redb")), |_| {}).unwrap();
        let value = |n: u64| {
            let len = match n % 3 {
                0 => 8,
                1 => INLINE + 1,
                _ => 100,
            };
            let mut v = vec![0; len];
            v[..8].copy_from_slice(&n.to_le_bytes());
            v
        };
        let read = |db: Db| async move {
            match db.fetch("k".into(), u64::MAX).await.unwrap() {
                Some(Ok(v)) => Some(u64::from_le_bytes(v[..8].try_into().unwrap())),
                None => None,
                Some(Err(_)) => unreachable!(),
            }
        };
        /// Stops the readers however the test ends (a failed assertion
        /// must not leave them spinning).
        struct Stop(Arc<std::sync::atomic::AtomicBool>);
        impl Drop for Stop {
            fn drop(&mut self) {
                self.0.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let guard = Stop(Arc::clone(&stop));
        let mut readers = Vec::new();
        for _ in 0..3 {
            let (db, stop) = (db.clone(), Arc::clone(&stop));
            readers.push(tokio::spawn(async move {
                let mut seen = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Some(n) = read(db.clone()).await {
                        assert!(n >= seen, "read {n} after {seen}");
                        seen = n;
                    }
                    // A cached read does not wait: let others run.
                    tokio::task::yield_now().await;
                }
            }));
        }
        for n in 1..400u64 {
            if n % 7 == 0 {
                db.delete("k".into()).await.unwrap();
                assert_eq!(read(db.clone()).await, None, "deleted");
            }
            db.store("k".into(), value(n)).await.unwrap();
            assert_eq!(read(db.clone()).await, Some(n), "acknowledged store");
        }
        drop(guard);
        for r in readers {
            r.await.unwrap();
        }
        db.close().await;
    }

    /// What a SIGKILL at this moment would leave on disk: the database
    /// file and its log, copied while the writer is idle (the writes since
    /// the last checkpoint are in the log and in memory only).
    fn crash_image(from: &Path, to: &Path) {
        std::fs::copy(from, to).unwrap();
        std::fs::copy(wal::path_for(from), wal::path_for(to)).unwrap();
    }

    /// Opens `path` once the threads of its last opening have let go.
    fn reopen(path: &Path) -> Db {
        for _ in 0..100 {
            match Db::open(Some(path), |_| {}) {
                Err(e) if e.0.contains("already open") => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => return other.unwrap(),
            }
        }
        panic!("{} stays open", path.display());
    }

    /// Checkpoints only when closing (or when told to by a test).
    const NO_CHECKPOINTS: WalLimits = WalLimits {
        bytes: u64::MAX,
        age: Duration::from_secs(3600),
    };

    async fn value_of(db: &Db, name: &str) -> Option<(u64, Vec<u8>)> {
        let meta = db.meta(name.into()).await.unwrap()?;
        match db.fetch(name.into(), u64::MAX).await.unwrap() {
            Some(Ok(v)) => Some((meta.version, v)),
            other => panic!("{name}: {other:?}"),
        }
    }

    /// Stores and deletes acknowledged through the log, never
    /// checkpointed, survive a crash: the reopened database has every one
    /// with its version, and the next version follows on. Without the log
    /// the same image has none of them (so the log is what kept them).
    /// Replaying again a log whose records were already checkpointed (the
    /// emptying lost in a crash) changes nothing.
    #[tokio::test]
    async fn acknowledged_writes_survive_a_crash_before_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("live.redb");
        let db = Db::open_with(Some(&live), |_| {}, NO_CHECKPOINTS).unwrap();
        let mut want = std::collections::BTreeMap::new();
        let mut last_version = 0;
        for i in 0..200u32 {
            let name = format!("k{}", i % 37);
            if i % 11 == 5 {
                if let Some(v) = db.delete(name.clone()).await.unwrap() {
                    want.remove(&name);
                    last_version = v;
                }
            } else {
                let data = pattern((i as usize * 97) % (INLINE + 1), i as u8);
                let m = db.store(name.clone(), data.clone()).await.unwrap();
                last_version = m.version;
                want.insert(name, (m.version, data));
            }
        }
        assert!(std::fs::metadata(wal::path_for(&live)).unwrap().len() > 0);
        let image = dir.path().join("image.redb");
        crash_image(&live, &image);
        let bare = dir.path().join("bare.redb");
        std::fs::copy(&live, &bare).unwrap();
        db.close().await;

        let names: Vec<String> = (0..37).map(|i| format!("k{i}")).collect();
        {
            let db = Db::open(Some(&bare), |_| {}).unwrap();
            for name in &names {
                assert_eq!(
                    db.meta(name.clone()).await.unwrap(),
                    None,
                    "{name} without the log"
                );
            }
            db.close().await;
        }
        let kept_log = std::fs::read(wal::path_for(&image)).unwrap();
        for round in 0..2 {
            let db = reopen(&image);
            for name in &names {
                assert_eq!(
                    value_of(&db, name).await,
                    want.get(name).cloned(),
                    "{name}, round {round}"
                );
            }
            db.close().await;
            assert_eq!(
                std::fs::metadata(wal::path_for(&image)).unwrap().len(),
                0,
                "checkpointed"
            );
            // The emptying of the log is lost: its records come back.
            std::fs::write(wal::path_for(&image), &kept_log).unwrap();
        }
        let db = reopen(&image);
        let m = db.store("next".into(), vec![1]).await.unwrap();
        assert_eq!(
            m.version,
            last_version + 1,
            "versions follow on, none replayed twice"
        );
        db.close().await;
    }

    /// A log cut anywhere inside its last record, or with any byte of that
    /// record flipped, reopens with every earlier write and without the
    /// last one; the file is cut back to the whole records.
    #[tokio::test]
    async fn a_torn_last_record_is_dropped_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("live.redb");
        let db = Db::open_with(Some(&live), |_| {}, NO_CHECKPOINTS).unwrap();
        let mut metas = Vec::new();
        for i in 0..5u8 {
            metas.push(db.store(format!("k{i}"), vec![i; 10]).await.unwrap());
        }
        db.store("last".into(), b"torn".to_vec()).await.unwrap();
        let image = dir.path().join("image.redb");
        crash_image(&live, &image);
        db.close().await;
        let log = std::fs::read(wal::path_for(&image)).unwrap();
        let records = wal::scan(&log);
        assert_eq!((records.records.len(), records.valid), (6, log.len()));
        let before = wal::scan(&log[..log.len() - 1]).valid;
        let mut images = Vec::new();
        for cut in before..log.len() {
            images.push((format!("cut at {cut}"), log[..cut].to_vec()));
        }
        for at in before..log.len() {
            let mut bad = log.clone();
            bad[at] ^= 0x20;
            images.push((format!("byte {at} flipped"), bad));
        }
        for (i, (what, bytes)) in images.into_iter().enumerate() {
            let path = dir.path().join(format!("torn{i}.redb"));
            std::fs::copy(&image, &path).unwrap();
            std::fs::write(wal::path_for(&path), &bytes).unwrap();
            let db = Db::open(Some(&path), |_| {}).unwrap();
            for (n, m) in metas.iter().enumerate() {
                let n = n as u8;
                assert_eq!(
                    value_of(&db, &format!("k{n}")).await,
                    Some((m.version, vec![n; 10])),
                    "{what}"
                );
            }
            assert_eq!(db.meta("last".into()).await.unwrap(), None, "{what}");
            db.close().await;
            drop(db);
            std::fs::remove_file(&path).ok();
        }
    }

    /// The log stays small under a long run of writes: a checkpoint
    /// empties it whenever it passes its size, and when its oldest record
    /// passes its age while the writer is idle.
    #[tokio::test]
    async fn the_log_stays_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.redb");
        let limits = WalLimits {
            bytes: 64 << 10,
            age: Duration::from_millis(100),
        };
        let db = Db::open_with(Some(&path), |_| {}, limits).unwrap();
        let log = || std::fs::metadata(wal::path_for(&path)).unwrap().len();
        let mut largest = 0;
        for i in 0..3000u32 {
            db.store(format!("k{}", i % 50), pattern(1000, i as u8))
                .await
                .unwrap();
            largest = largest.max(log());
        }
        assert!(
            largest > 0 && largest < (64 << 10) + 2048,
            "log reached {largest} bytes"
        );
        // 3 MB overwritten in 50 keys: the database reuses its pages.
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size < 16 << 20, "database file of {size} bytes");
        db.store("idle".into(), vec![1]).await.unwrap();
        assert!(log() > 0);
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(log(), 0, "checkpointed when idle");
        db.close().await;
    }

    /// Everything a caller can observe of a database.
    async fn observe(db: &Db, names: &[&str]) -> Vec<String> {
        let mut seen = Vec::new();
        for name in names {
            let meta = db.meta((*name).into()).await.unwrap();
            let whole = db.fetch((*name).into(), u64::MAX).await.unwrap();
            let small = db.fetch((*name).into(), 50).await.unwrap();
            let mut chunks = Vec::new();
            for i in 0..3 {
                chunks.push(db.chunk((*name).into(), i * CHUNK as u64).await.unwrap());
            }
            let m = meta.map(|m| (m.version, m.size));
            let c: Vec<_> = chunks
                .into_iter()
                .map(|c| c.map(|(m, d)| (m.version, m.size, d)))
                .collect();
            seen.push(format!("{name}: {m:?} {whole:?} {small:?} {c:?}"));
        }
        for prefix in ["", "a", "b/"] {
            let mut after = String::new();
            loop {
                let (entries, more) = db.list(prefix.into(), after.clone(), 2).await.unwrap();
                seen.push(format!(
                    "list {prefix:?} after {after:?}: {entries:?} {more}"
                ));
                match entries.last() {
                    Some(e) if more => after = e.name.clone(),
                    _ => break,
                }
            }
        }
        seen
    }

    /// The in-memory engine and the redb engine agree on what a random
    /// sequence of stores, deletes, uploads and abandoned uploads leaves,
    /// on every version, and on the changes reported, in order.
    #[tokio::test]
    async fn memory_and_redb_engines_agree() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.redb");
        let log = |sink: Arc<std::sync::Mutex<Vec<Change>>>| {
            move |changes: &[Change]| sink.lock().unwrap().extend_from_slice(changes)
        };
        let (mem_log, redb_log) = (Arc::default(), Arc::default());
        let mem = Db::open(None, log(Arc::clone(&mem_log))).unwrap();
        let disk = Db::open(Some(&path), log(Arc::clone(&redb_log))).unwrap();
        let names = ["a", "a/1", "ab", "b/x", "b/y", "c"];
        let sizes = [
            0,
            1,
            50,
            51,
            INLINE,
            INLINE + 1,
            CHUNK,
            CHUNK + 7,
            2 * CHUNK + 1,
        ];
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: usize| {
            rng ^= rng >> 12;
            rng ^= rng << 25;
            rng ^= rng >> 27;
            (rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
        };
        for step in 0..300 {
            let name = names[next(names.len())].to_string();
            let value = pattern(sizes[next(sizes.len())], step as u8);
            match next(4) {
                0 | 1 => {
                    let a = mem.store(name.clone(), value.clone()).await.unwrap();
                    let b = disk.store(name, value).await.unwrap();
                    assert_eq!((a.version, a.size), (b.version, b.size));
                }
                2 => {
                    let a = mem.delete(name.clone()).await.unwrap();
                    let b = disk.delete(name).await.unwrap();
                    assert_eq!(a, b);
                }
                _ => {
                    let abandon = next(3) == 0;
                    let mut metas = Vec::new();
                    for db in [&mem, &disk] {
                        let blob = db.new_blob().await.unwrap();
                        for (i, part) in value.chunks(CHUNK).enumerate() {
                            db.put_chunk(blob, i as u64, part.to_vec()).await.unwrap();
                        }
                        if abandon {
                            db.drop_blob(blob);
                        } else {
                            let m = db
                                .commit(name.clone(), blob, value.len() as u64)
                                .await
                                .unwrap();
                            metas.push((m.version, m.size));
                        }
                    }
                    if let [a, b] = metas[..] {
                        assert_eq!(a, b);
                    }
                }
            }
            if step % 50 == 49 {
                assert_eq!(observe(&mem, &names).await, observe(&disk, &names).await);
            }
        }
        assert_eq!(observe(&mem, &names).await, observe(&disk, &names).await);
        assert_eq!(*mem_log.lock().unwrap(), *redb_log.lock().unwrap());
        mem.close().await;
        disk.close().await;
        assert!(mem.store("a".into(), vec![1]).await.is_err(), "closed");
        assert!(disk.store("a".into(), vec![1]).await.is_err(), "closed");
    }
}
