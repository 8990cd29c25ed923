//! The redb engine: one database file, one writer thread and a few reader
//! threads, so the async runtime never waits on redb.
//!
//! Writes go to the [`Writer`] as [`Command`]s, queued in order; the log
//! appends of small stores and deletes are made by a flush on the
//! runtime, once per pass of it, the rest by the writer thread, each
//! batch in one commit. Reads look in the writer's [`Pending`] writes
//! (logged, not yet in redb), then in the read cache, then ask a reader
//! thread, which batches the reads queued at the same moment into one
//! read transaction.

use std::path::{Path, PathBuf};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex, RwLock};
use std::thread;

use bytes::Bytes;
use redb::{Database, ReadableTableMetadata};
use tokio::sync::oneshot;

use super::cache::Cache;
use super::dbfile::DbFile;
use super::faults::Faults;
use super::pending::{peek, Pending};
use super::request::{Command, Reply, Then, Write};
use super::schema::{decode_row, Row, CHUNKS, META};
use super::snapshot;
use super::stats::{EngineCounters, EngineStats};
use super::types::{db_err, DbError, Meta, OnCommit};
use super::wal;
use super::writer::{WalLimits, Writer, Writes};
use crate::storage::protocol::{Entry, CHUNK};

/// redb's page cache. Its default (1 GiB) would let a large value read or
/// written in chunks stay resident; the server must keep its memory
/// bounded whatever the size of the values.
const CACHE_BYTES: usize = 16 << 20;

/// The read cache of small values (see [`super::cache`]): bytes at most.
const READ_CACHE_BYTES: usize = 32 << 20;

/// Reader threads; each takes every queued read and runs them in one
/// transaction, so a burst of reads costs one wakeup, not one each.
const READERS: usize = 2;

/// Reads taken in one batch at most.
const MAX_READ_BATCH: usize = 256;

/// The database the writer and the readers share: while an I/O error
/// keeps it closed (redb refuses every call after one until it is
/// reopened; the writer reopens it), its last durable state opened for
/// reading, or `None` if even that cannot be opened.
pub(super) type Shared = Arc<RwLock<Option<Arc<Database>>>>;

/// Opens the database file (again).
pub(super) type Opener = Box<dyn Fn() -> Result<Database, DbError> + Send>;

/// Opens the database file's last durable state for reading
/// ([`super::snapshot`]).
pub(super) type SnapshotOpener = Box<dyn Fn() -> Result<Database, DbError> + Send>;

/// The database file as the writer takes it: shared with the readers,
/// how to open it again, and the failures its files are to have (tests).
pub(super) struct Files {
    /// The open database.
    pub(super) shared: Shared,
    /// Opens it again.
    pub(super) opener: Opener,
    /// Failures on command, `None` in service.
    pub(super) faults: Option<Arc<Faults>>,
    /// Opens its last durable state for reads while it is closed.
    pub(super) snapshot: SnapshotOpener,
}

/// The error of a call made while the database is closed.
pub(super) fn closed() -> DbError {
    DbError::new("the database is closed after an I/O error; reopening it")
}

/// Opening compacts the file when it is more than this many times the
/// pages in use...
const COMPACT_RATIO: u64 = 2;

/// ...and larger than this.
const COMPACT_MIN_BYTES: u64 = 16 << 20;

/// Compacts `db` if its file is mostly free pages (more than
/// [`COMPACT_RATIO`] times the pages in use, and over
/// [`COMPACT_MIN_BYTES`]): crashes and bursts of writes leave free pages
/// that redb reuses but never gives back. Returns whether it did.
fn compact_if_it_pays(db: &mut Database, path: &Path) -> Result<bool, DbError> {
    let file = std::fs::metadata(path).map_err(db_err)?.len();
    let used = {
        let tx = db.begin_write().map_err(db_err)?;
        let stats = tx.stats().map_err(db_err)?;
        tx.abort().map_err(db_err)?;
        stats.allocated_pages() * stats.page_size() as u64
    };
    if file <= COMPACT_MIN_BYTES || file <= used * COMPACT_RATIO {
        return Ok(false);
    }
    let start = std::time::Instant::now();
    db.compact().map_err(db_err)?;
    let after = std::fs::metadata(path).map_err(db_err)?.len();
    tracing::info!(
        path = %path.display(),
        before = file,
        after,
        in_use = used,
        ms = start.elapsed().as_millis() as u64,
        "compacted the database file"
    );
    Ok(true)
}

/// How the pages of `db` are used, in one line.
fn page_use(db: &Database) -> Result<String, DbError> {
    let tx = db.begin_write().map_err(db_err)?;
    let s = tx.stats().map_err(db_err)?;
    tx.abort().map_err(db_err)?;
    let page = s.page_size() as u64;
    Ok(format!(
        "{} pages of {page} B in use ({} leaf, {} branch): {} B of keys and values, \
         {} B of metadata, {} B fragmented",
        s.allocated_pages(),
        s.leaf_pages(),
        s.branch_pages(),
        s.stored_bytes(),
        s.metadata_bytes(),
        s.fragmented_bytes()
    ))
}

/// Compacts the database file at `path` (opened here, so no one else may
/// have it open), however little it gains; returns how its pages are used
/// before and after.
pub(super) fn compact(path: &Path) -> Result<(String, String), DbError> {
    // The threads of a handle just dropped let go of the file shortly.
    for _ in 0..100 {
        let mut builder = Database::builder();
        builder.set_cache_size(CACHE_BYTES);
        match builder.create(path) {
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(db_err(e)),
            Ok(mut db) => {
                let before = page_use(&db)?;
                db.compact().map_err(db_err)?;
                return Ok((before, page_use(&db)?));
            }
        }
    }
    Err(DbError::new("the database stays open elsewhere"))
}

/// A read, run by a reader thread inside a read transaction it shares with
/// the other reads queued at the same moment.
type ReadJob = Box<dyn FnOnce(Result<&redb::ReadTransaction, &DbError>) + Send>;

/// The redb engine's handle: where to send writes and reads, and what
/// reads look at first. Cheap to clone.
#[derive(Clone)]
pub(super) struct Redb {
    writes: Writes,
    reads: std_mpsc::Sender<ReadJob>,
    cache: Arc<Cache>,
    pending: Pending,
    stats: Arc<EngineCounters>,
    /// The database file (its log is beside it), for their sizes.
    path: PathBuf,
}

impl Redb {
    /// Opens (or creates) the database file at `path` and its log, replays
    /// the log, and starts the writer and reader threads.
    ///
    /// # Errors
    ///
    /// The file cannot be opened or is not a redb database; the log
    /// cannot be read or cut, or belongs to another database.
    pub(super) fn open(
        path: &Path,
        on_commit: Box<OnCommit>,
        limits: WalLimits,
        faults: Option<Arc<Faults>>,
    ) -> Result<Redb, DbError> {
        let opener: Opener = {
            let (path, faults) = (path.to_path_buf(), faults.clone());
            Box::new(move || {
                let mut builder = Database::builder();
                builder.set_cache_size(CACHE_BYTES);
                let backend = DbFile::open(&path, faults.clone()).map_err(db_err)?;
                builder.create_with_backend(backend).map_err(db_err)
            })
        };
        let mut db = opener()?;
        compact_if_it_pays(&mut db, path)?;
        let shared: Shared = Arc::new(RwLock::new(Some(Arc::new(db))));
        let cache = Arc::new(Cache::new(READ_CACHE_BYTES));
        let pending = Pending::default();
        let stats = Arc::new(EngineCounters::default());
        let snapshot: SnapshotOpener = {
            let path = path.to_path_buf();
            Box::new(move || snapshot::open(&path, CACHE_BYTES))
        };
        let files = Files {
            shared: Arc::clone(&shared),
            opener,
            faults,
            snapshot,
        };
        let writer = Writer::open(
            files,
            path,
            Arc::clone(&cache),
            Arc::clone(&pending),
            on_commit,
            limits,
            Arc::clone(&stats),
        )?;
        let writes = Writes::start(writer)?;
        let (reads, read_rx) = std_mpsc::channel::<ReadJob>();
        let read_rx = Arc::new(Mutex::new(read_rx));
        for i in 0..READERS {
            let (db, rx) = (Arc::clone(&shared), Arc::clone(&read_rx));
            thread::Builder::new()
                .name(format!("storage-reader-{i}"))
                .spawn(move || read_loop(&db, &rx))
                .map_err(db_err)?;
        }
        Ok(Redb {
            writes,
            reads,
            cache,
            pending,
            stats,
            path: path.to_path_buf(),
        })
    }

    pub(super) async fn store(&self, name: String, data: Vec<u8>) -> Result<Meta, DbError> {
        self.write(|reply| Write::Store { name, data, reply }).await
    }

    /// [`store`](Self::store), answered by calling `then` on the
    /// answering task.
    pub(super) fn store_then(&self, name: String, data: Vec<u8>, then: Then<Meta>) {
        let reply = Reply::call(then);
        // Refused, the write is dropped, and its reply with it: that
        // calls `then` with the error.
        let _ = self
            .writes
            .send(Command::Write(Write::Store { name, data, reply }));
    }

    pub(super) async fn delete(&self, name: String) -> Result<Option<u64>, DbError> {
        self.write(|reply| Write::Delete { name, reply }).await
    }

    pub(super) async fn new_blob(&self) -> Result<u64, DbError> {
        self.write(|reply| Write::NewBlob { reply }).await
    }

    pub(super) async fn put_chunk(
        &self,
        blob: u64,
        index: u64,
        data: Vec<u8>,
    ) -> Result<(), DbError> {
        self.write(|reply| Write::Chunk {
            blob,
            index,
            data,
            reply,
        })
        .await
    }

    pub(super) async fn commit(&self, name: String, blob: u64, size: u64) -> Result<Meta, DbError> {
        self.write(|reply| Write::Commit {
            name,
            blob,
            size,
            reply,
        })
        .await
    }

    pub(super) fn drop_blob(&self, blob: u64) {
        let _ = self.writes.send(Command::Write(Write::DropBlob { blob }));
    }

    pub(super) async fn close(&self) {
        let (reply, done) = oneshot::channel();
        if self.writes.send(Command::Close(reply)).is_ok() {
            let _ = done.await;
        }
    }

    pub(super) async fn meta(&self, name: String) -> Result<Option<Meta>, DbError> {
        if let Some(m) = peek(&self.pending, &name, |v| v.map(|(m, _)| *m)) {
            return Ok(m);
        }
        self.read(move |tx| with_row(tx, &name, |row| Ok(row.meta)))
            .await
    }

    pub(super) async fn fetch(
        &self,
        name: &str,
        limit: u64,
    ) -> Result<Option<Result<Bytes, u64>>, DbError> {
        // The pending writes first (the newest; the cache learns them only
        // when a checkpoint lets them go), then the cache: both count as
        // cache hits (answered from memory).
        let within = |m: &Meta, data: &Bytes| {
            if m.size > limit {
                Err(m.size)
            } else {
                Ok(data.clone())
            }
        };
        let pending = peek(&self.pending, name, |v| v.map(|(m, data)| within(m, data)));
        let found = pending.or_else(|| {
            self.cache
                .get(name)
                .map(|(m, data)| Some(within(&m, &data)))
        });
        self.stats.cache(found.is_some());
        if let Some(found) = found {
            return Ok(found);
        }
        let name = name.to_string();
        self.read(move |tx| {
            with_row(tx, &name, |row| {
                let m = row.meta;
                if m.size > limit {
                    return Ok(Err(m.size));
                }
                if m.blob == 0 {
                    return Ok(Ok(Bytes::copy_from_slice(row.inline)));
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
                Ok(Ok(Bytes::from(data)))
            })
        })
        .await
    }

    pub(super) async fn chunk(
        &self,
        name: &str,
        offset: u64,
    ) -> Result<Option<(Meta, Bytes)>, DbError> {
        let first = offset / CHUNK as u64 == 0;
        let pending = peek(&self.pending, name, |v| {
            v.map(|(m, data)| {
                let data = if first { data.clone() } else { Bytes::new() };
                (*m, data)
            })
        });
        if let Some(found) = pending {
            return Ok(found);
        }
        let name = name.to_string();
        self.read(move |tx| {
            with_row(tx, &name, |row| {
                let m = row.meta;
                let index = offset / CHUNK as u64;
                if m.blob == 0 {
                    let data = if index == 0 {
                        Bytes::copy_from_slice(row.inline)
                    } else {
                        Bytes::new()
                    };
                    return Ok((m, data));
                }
                let chunks = tx.open_table(CHUNKS).map_err(db_err)?;
                let data = match chunks.get((m.blob, index)).map_err(db_err)? {
                    Some(v) => Bytes::copy_from_slice(v.value()),
                    None => Bytes::new(),
                };
                Ok((m, data))
            })
        })
        .await
    }

    pub(super) async fn list(
        &self,
        prefix: String,
        after: String,
        limit: usize,
    ) -> Result<(Vec<Entry>, bool), DbError> {
        let start = if after > prefix {
            after.clone()
        } else {
            prefix.clone()
        };
        // The pending writes in range (size, or `None`: deleted), taken
        // before the reader's transaction begins, override its rows.
        let overlay: Vec<(String, Option<u64>)> = {
            let p = self.pending.read().unwrap_or_else(|e| e.into_inner());
            p.select(|k| k >= start.as_str() && k.starts_with(prefix.as_str()) && k != after)
                .into_iter()
                .map(|(k, v)| (k.clone(), v.as_ref().map(|(m, _)| m.size)))
                .collect()
        };
        self.read(move |tx| {
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

    /// The counters, the number of keys and the files' sizes. Keys are
    /// counted in redb, corrected by the logged writes not yet in it
    /// (taken first: if a checkpoint applies them in between, each
    /// correction is then zero).
    pub(super) async fn stats(&self) -> Result<EngineStats, DbError> {
        let pending: Vec<(String, bool)> = {
            let p = self.pending.read().unwrap_or_else(|e| e.into_inner());
            p.select(|_| true)
                .into_iter()
                .map(|(k, v)| (k.clone(), v.is_some()))
                .collect()
        };
        let keys = self
            .read(move |tx| {
                let meta = tx.open_table(META).map_err(db_err)?;
                let mut keys = meta.len().map_err(db_err)?;
                for (name, stored) in pending {
                    let there = meta.get(name.as_str()).map_err(db_err)?.is_some();
                    match (stored, there) {
                        (true, false) => keys += 1,
                        (false, true) => keys -= 1,
                        _ => {}
                    }
                }
                Ok(keys)
            })
            .await?;
        let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
        let db_bytes = size(&self.path);
        let log_bytes = wal::paths_for(&self.path).iter().map(|p| size(p)).sum();
        Ok(self.stats.snapshot(keys, db_bytes, log_bytes))
    }

    /// Queues a write and waits for its answer.
    async fn write<T>(&self, write: impl FnOnce(Reply<T>) -> Write) -> Result<T, DbError> {
        let (tx, rx) = oneshot::channel();
        self.writes.send(Command::Write(write(Reply::to(tx))))?;
        rx.await
            .map_err(|_| DbError::new("the writer has stopped"))?
    }

    /// Runs `f` in a reader thread's transaction.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&redb::ReadTransaction) -> Result<T, DbError> + Send + 'static,
    ) -> Result<T, DbError> {
        let (reply, result) = oneshot::channel();
        let job: ReadJob = Box::new(move |tx| {
            let _ = reply.send(match tx {
                Ok(tx) => f(tx),
                Err(e) => Err(e.clone()),
            });
        });
        self.reads
            .send(job)
            .map_err(|_| DbError::new("the readers have stopped"))?;
        result
            .await
            .map_err(|_| DbError::new("the readers have stopped"))?
    }
}

/// `f` of `name`'s metadata row in `tx`; `None` if it has none.
fn with_row<T>(
    tx: &redb::ReadTransaction,
    name: &str,
    f: impl FnOnce(Row<'_>) -> Result<T, DbError>,
) -> Result<Option<T>, DbError> {
    let meta = tx.open_table(META).map_err(db_err)?;
    let Some(v) = meta.get(name).map_err(db_err)? else {
        return Ok(None);
    };
    f(decode_row(v.value())?).map(Some)
}

/// The reader thread: batches of queued reads, one transaction each.
fn read_loop(db: &Shared, rx: &Mutex<std_mpsc::Receiver<ReadJob>>) {
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
        // The database of this moment (none while an I/O error keeps it
        // closed), let go of after the batch.
        let db = db.read().unwrap_or_else(|e| e.into_inner()).clone();
        match db
            .ok_or_else(closed)
            .and_then(|db| db.begin_read().map_err(db_err))
        {
            Ok(tx) => batch.into_iter().for_each(|job| job(Ok(&tx))),
            Err(e) => batch.into_iter().for_each(|job| job(Err(&e))),
        }
    }
}
