//! The storage engine: redb in one file (or in memory), a single writer
//! thread that groups concurrent writes into shared commits, and reader
//! threads that batch concurrent reads into shared transactions, so the
//! async runtime never waits on the disk.
//!
//! Every value is a blob of chunks:
//!
//! ```text
//! meta   name            -> (version, size, blob)
//! chunks (blob, index)   -> up to CHUNK bytes
//! seq    "version"|"blob" -> last number handed out
//! uploads blob           -> 0 (uploads begun, not yet committed)
//! ```
//!
//! A store writes a new blob and points the name at it in one transaction,
//! then drops the old blob's chunks. A chunked upload writes its chunks
//! under a fresh blob id as they come (without waiting for the disk), and
//! `commit` points the name at it durably. Uploads begun and never
//! committed (cut off by a crash) are listed in `uploads` and collected
//! when the database opens, without scanning the chunks.

use std::path::Path;
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::thread;

use redb::{Database, Durability, ReadableTable, TableDefinition};
use tokio::sync::oneshot;

use super::protocol::{ChangeKind, Entry, CHUNK};

const META: TableDefinition<&str, (u64, u64, u64)> = TableDefinition::new("meta");
const CHUNKS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("chunks");
const SEQ: TableDefinition<&str, u64> = TableDefinition::new("seq");
/// Blobs of uploads begun and not yet committed or aborted: what a crash
/// can leave behind, so all that opening the database has to collect.
const UPLOADS: TableDefinition<u64, u64> = TableDefinition::new("uploads");

/// redb's page cache. Its default (1 GiB) would let a large value read or
/// written in chunks stay resident; the server must keep its memory
/// bounded whatever the size of the values.
const CACHE_BYTES: usize = 16 << 20;

/// Writes queued at once are committed together, up to this many.
const MAX_BATCH: usize = 1024;

/// A database failure, reported to clients as `EIO`.
#[derive(Debug, thiserror::Error)]
#[error("database error: {0}")]
pub struct DbError(String);

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

/// Where a value is and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Version of the commit that stored it.
    pub version: u64,
    /// Size in bytes.
    pub size: u64,
    blob: u64,
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
    writes: std_mpsc::Sender<Op>,
    reads: std_mpsc::Sender<ReadJob>,
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
        f.debug_struct("Db").finish_non_exhaustive()
    }
}

impl Db {
    /// Opens (or creates) the database file at `path`; with `memory`, keeps
    /// everything in memory instead. `on_commit` sees every committed
    /// change, in commit order, from the writer thread.
    ///
    /// # Errors
    ///
    /// The file cannot be opened or is not a redb database.
    pub fn open(
        path: Option<&Path>,
        on_commit: impl Fn(&[Change]) + Send + 'static,
    ) -> Result<Db, DbError> {
        let mut builder = Database::builder();
        builder.set_cache_size(CACHE_BYTES);
        let db = match path {
            Some(path) => builder.create(path).map_err(db_err)?,
            None => builder
                .create_with_backend(redb::backends::InMemoryBackend::new())
                .map_err(db_err)?,
        };
        let db = Arc::new(db);
        init(&db)?;
        let (tx, rx) = std_mpsc::channel();
        let writer = Arc::clone(&db);
        thread::Builder::new()
            .name("storage-writer".into())
            .spawn(move || {
                let stop = write_loop(&writer, &rx, &on_commit);
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
        Ok(Db { writes: tx, reads })
    }

    async fn write<T>(&self, op: impl FnOnce(Reply<T>) -> Op) -> Result<T, DbError> {
        let (tx, rx) = oneshot::channel();
        self.writes
            .send(op(tx))
            .map_err(|_| DbError("the writer has stopped".into()))?;
        rx.await
            .map_err(|_| DbError("the writer has stopped".into()))?
    }

    /// Stores a value; returns once it is durable.
    ///
    /// # Errors
    ///
    /// The database failed; nothing changed.
    pub async fn store(&self, name: String, data: Vec<u8>) -> Result<Meta, DbError> {
        self.write(|reply| Op::Store { name, data, reply }).await
    }

    /// Deletes a key; `None` if it did not exist. Returns once durable.
    ///
    /// # Errors
    ///
    /// The database failed; nothing changed.
    pub async fn delete(&self, name: String) -> Result<Option<u64>, DbError> {
        self.write(|reply| Op::Delete { name, reply }).await
    }

    /// A fresh blob id for an upload.
    ///
    /// # Errors
    ///
    /// The database failed.
    pub async fn new_blob(&self) -> Result<u64, DbError> {
        self.write(|reply| Op::NewBlob { reply }).await
    }

    /// Writes one chunk of an upload (not waiting for the disk: the commit
    /// makes it durable).
    ///
    /// # Errors
    ///
    /// The database failed.
    pub async fn put_chunk(&self, blob: u64, index: u64, data: Vec<u8>) -> Result<(), DbError> {
        self.write(|reply| Op::Chunk {
            blob,
            index,
            data,
            reply,
        })
        .await
    }

    /// Points `name` at an uploaded blob; returns once durable.
    ///
    /// # Errors
    ///
    /// The database failed; nothing changed.
    pub async fn commit(&self, name: String, blob: u64, size: u64) -> Result<Meta, DbError> {
        self.write(|reply| Op::Commit {
            name,
            blob,
            size,
            reply,
        })
        .await
    }

    /// Commits every write queued so far and stops the writer: later
    /// writes fail. Reads go on until the last handle is dropped.
    pub async fn close(&self) {
        let (reply, done) = oneshot::channel();
        if self.writes.send(Op::Shutdown { reply }).is_ok() {
            let _ = done.await;
        }
    }

    /// Drops an abandoned upload's chunks (in the background).
    pub fn drop_blob(&self, blob: u64) {
        let _ = self.writes.send(Op::DropBlob { blob });
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

    /// The metadata of `name`.
    ///
    /// # Errors
    ///
    /// The database failed.
    pub async fn meta(&self, name: String) -> Result<Option<Meta>, DbError> {
        self.read(move |tx| {
            let meta = tx.open_table(META).map_err(db_err)?;
            Ok(meta
                .get(name.as_str())
                .map_err(db_err)?
                .map(|v| to_meta(v.value())))
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
        self.read(move |tx| {
            let meta = tx.open_table(META).map_err(db_err)?;
            let Some(m) = meta
                .get(name.as_str())
                .map_err(db_err)?
                .map(|v| to_meta(v.value()))
            else {
                return Ok(None);
            };
            if m.size > limit {
                return Ok(Some(Err(m.size)));
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
        self.read(move |tx| {
            let meta = tx.open_table(META).map_err(db_err)?;
            let Some(m) = meta
                .get(name.as_str())
                .map_err(db_err)?
                .map(|v| to_meta(v.value()))
            else {
                return Ok(None);
            };
            let chunks = tx.open_table(CHUNKS).map_err(db_err)?;
            let index = offset / CHUNK as u64;
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
        self.read(move |tx| {
            let meta = tx.open_table(META).map_err(db_err)?;
            let start = if after.as_str() > prefix.as_str() {
                after.as_str()
            } else {
                prefix.as_str()
            };
            let mut entries = Vec::new();
            let mut more = false;
            for item in meta.range(start..).map_err(db_err)? {
                let (k, v) = item.map_err(db_err)?;
                let name = k.value();
                if name == after {
                    continue;
                }
                if !name.starts_with(prefix.as_str()) {
                    break;
                }
                if entries.len() == limit {
                    more = true;
                    break;
                }
                entries.push(Entry {
                    name: name.to_string(),
                    size: to_meta(v.value()).size,
                });
            }
            Ok((entries, more))
        })
        .await
    }
}

fn to_meta((version, size, blob): (u64, u64, u64)) -> Meta {
    Meta {
        version,
        size,
        blob,
    }
}

/// Creates the tables and collects orphan blobs.
fn init(db: &Database) -> Result<(), DbError> {
    let tx = db.begin_write().map_err(db_err)?;
    {
        tx.open_table(META).map_err(db_err)?;
        tx.open_table(SEQ).map_err(db_err)?;
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
    tx.commit().map_err(db_err)
}

/// The writer thread: takes every queued write, applies them in one
/// transaction, commits once, then answers each and reports the changes.
/// Returns the reply of the `Shutdown` that stopped it, if one did.
fn write_loop(
    db: &Database,
    rx: &std_mpsc::Receiver<Op>,
    on_commit: &dyn Fn(&[Change]),
) -> Option<oneshot::Sender<()>> {
    let mut stop = None;
    // `stop` is checked before waiting: once a shutdown is seen, nothing
    // more is read (handles still alive would keep `recv` blocked).
    while stop.is_none() {
        let Ok(first) = rx.recv() else { break };
        let mut batch = Vec::new();
        let mut next = Some(first);
        while let Some(op) = next.take() {
            match op {
                Op::Shutdown { reply } => stop = Some(reply),
                op => batch.push(op),
            }
            if stop.is_none() && batch.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        if batch.is_empty() {
            continue;
        }
        let durable = batch.iter().any(Op::durable);
        let (actions, replies): (Vec<Action>, Vec<Waiting>) = batch.into_iter().map(split).unzip();
        match apply(db, actions, durable) {
            Ok((results, changes)) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    reply.send(Ok(result));
                }
                on_commit(&changes);
            }
            Err(e) => {
                tracing::error!(error = %e, ops = replies.len(), "commit failed; nothing was written");
                for reply in replies {
                    reply.send(Err(DbError(e.0.clone())));
                }
            }
        }
    }
    stop
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

fn drop_chunks(chunks: &mut ChunkTable<'_>, blob: u64) -> Result<(), DbError> {
    chunks
        .retain_in((blob, 0)..=(blob, u64::MAX), |_, _| false)
        .map_err(db_err)
}

fn next(seq: &mut redb::Table<'_, &'static str, u64>, key: &str) -> Result<u64, DbError> {
    let n = seq.get(key).map_err(db_err)?.map_or(0, |v| v.value()) + 1;
    seq.insert(key, n).map_err(db_err)?;
    Ok(n)
}

/// Applies a batch in one transaction; all or nothing.
fn apply(
    db: &Database,
    actions: Vec<Action>,
    durable: bool,
) -> Result<(Vec<Done>, Vec<Change>), DbError> {
    let mut tx = db.begin_write().map_err(db_err)?;
    if !durable {
        // Only upload chunks: the upload's commit makes them durable.
        tx.set_durability(Durability::None);
    }
    let mut changes = Vec::new();
    let mut results = Vec::with_capacity(actions.len());
    {
        let mut meta = tx.open_table(META).map_err(db_err)?;
        let mut chunks = tx.open_table(CHUNKS).map_err(db_err)?;
        let mut seq = tx.open_table(SEQ).map_err(db_err)?;
        let mut uploads = tx.open_table(UPLOADS).map_err(db_err)?;
        for action in actions {
            let done = match action {
                Action::Store { name, data } => {
                    let blob = next(&mut seq, "blob")?;
                    for (i, part) in data.chunks(CHUNK).enumerate() {
                        chunks.insert((blob, i as u64), part).map_err(db_err)?;
                    }
                    let size = data.len() as u64;
                    let m = point(&mut meta, &mut chunks, &mut seq, &name, blob, size)?;
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
                    let m = point(&mut meta, &mut chunks, &mut seq, &name, blob, size)?;
                    changes.push(Change {
                        kind: ChangeKind::Stored,
                        name,
                        version: m.version,
                        size,
                    });
                    Done::Meta(m)
                }
                Action::Delete { name } => {
                    let old = meta
                        .remove(name.as_str())
                        .map_err(db_err)?
                        .map(|v| v.value());
                    match old {
                        Some((_, _, blob)) => {
                            drop_chunks(&mut chunks, blob)?;
                            let version = next(&mut seq, "version")?;
                            changes.push(Change {
                                kind: ChangeKind::Deleted,
                                name,
                                version,
                                size: 0,
                            });
                            Done::Deleted(Some(version))
                        }
                        None => Done::Deleted(None),
                    }
                }
                Action::NewBlob => {
                    let blob = next(&mut seq, "blob")?;
                    // In this transaction or an earlier one than any of
                    // its chunks, so a crash never leaves chunks unlisted.
                    uploads.insert(blob, 0).map_err(db_err)?;
                    Done::Blob(blob)
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
    }
    tx.commit().map_err(db_err)?;
    Ok((results, changes))
}

/// Points `name` at `blob` under a new version, dropping the old blob.
fn point(
    meta: &mut redb::Table<'_, &'static str, (u64, u64, u64)>,
    chunks: &mut ChunkTable<'_>,
    seq: &mut redb::Table<'_, &'static str, u64>,
    name: &str,
    blob: u64,
    size: u64,
) -> Result<Meta, DbError> {
    let version = next(seq, "version")?;
    let old = meta
        .insert(name, (version, size, blob))
        .map_err(db_err)?
        .map(|v| v.value().2);
    if let Some(old) = old {
        if old != blob {
            drop_chunks(chunks, old)?;
        }
    }
    Ok(Meta {
        version,
        size,
        blob,
    })
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
            5,
            "three values and the two orphan chunks"
        );
        {
            let db = Db::open(Some(&path), |_| {}).unwrap();
            assert_eq!(
                db.fetch("uploaded".into(), 100).await.unwrap(),
                Some(Ok(vec![2; 10]))
            );
            db.close().await;
        }
        assert_eq!(chunk_count(&path), 3, "the orphan chunks are gone");
    }
}
