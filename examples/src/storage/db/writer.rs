//! The redb engine's write side: a [`Writer`] owns the database's writes
//! and the log, and settles the queued [`Write`]s in batches, in the
//! order they were queued ([`Writes`], the handles' end).
//!
//! Who settles a batch: inline stores and deletes queued from a runtime's
//! task are settled by a flush on that runtime ([`Flush`]), which runs
//! once the tasks ready at that moment have run, so it takes every write
//! the connections decoded from their reads in this pass (a pipelined
//! burst of 16 costs one `fdatasync`, as Redis's one AOF `fsync` per pass
//! of its loop), appends them where it runs and answers them there: no
//! thread wakes between the request and its reply. Everything else (redb
//! commits, uploads, a close, or a flush that finds the writer thread
//! busy) goes to the writer thread, which also runs the timers and the
//! checkpoints; whoever holds the writer takes the queue's front, so the
//! order is kept, and nothing on the runtime waits for redb. A batch goes
//! on one of three paths:
//!
//! - Inline stores and deletes (and upload chunks in the same batch) are
//!   appended to the write-ahead log ([`super::wal`]) as one record with
//!   one `write` and one `fdatasync`, put in [`Pending`], where readers see
//!   them, and acknowledged. The chunks go to redb without waiting for the
//!   disk.
//! - An upload's commit, or a value too large to be inline (or any durable
//!   write while the log is unusable after a failed append), goes through
//!   redb durably: a checkpoint first (waiting for one in progress), then
//!   the batch in one durable commit that also records the last logged
//!   sequence number.
//! - Upload chunks, new blob ids and abandoned uploads alone are committed
//!   to redb without waiting for the disk (the upload's commit makes them
//!   durable).
//!
//! A checkpoint applies the pending writes to redb in one durable commit
//! that records the last logged sequence number (in `wal2`). It begins
//! when the log's current file passes [`WAL_MAX_BYTES`] or its oldest
//! record [`WAL_MAX_AGE`]: the writer switches the log to its other file
//! ([`Wal::rotate`]) and freezes the pending writes ([`Pending`] keeps
//! them readable), and the checkpointer thread commits them while the
//! writer goes on appending; once it is done, the writer lets the frozen
//! writes and the file left behind go. When the database closes, before
//! every batch that goes through redb durably, and while the log is
//! unusable, the writer checkpoints everything itself instead (after the
//! checkpoint in progress). So a key overwritten many times between two
//! checkpoints costs redb one update, redb commits about once a second
//! rather than once per batch, and no store waits for redb. Opening the
//! database replays the records after the checkpointed one.
//!
//! The writer keeps the version and blob counters in memory (loaded on
//! open) and writes them once per commit that changes them. A batch
//! settles into one [`Answer`] per write, sent to its caller by the flush
//! that settled it, or, from the writer thread, through a task on the
//! runtime that opened the database.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use redb::{Database, Durability, ReadableTable, TableHandle};
use tokio::sync::oneshot;

use super::batch::{Applied, Batch, Counters};
use super::cache::Cache;
use super::pending::{peek, Layer, Maps, Pended, Pending};
use super::redb_engine::{closed, Files, Opener, Shared, SnapshotOpener};
use super::request::{Answer, Command, Failed, Settled, Write};
use super::schema::{
    decode_row, decode_row_v2, drop_chunks, encode_row, CHUNKS, META, META_V2, SEQ, UPLOADS,
    WAL_TABLE,
};
use super::stats::EngineCounters;
use super::types::{db_err, Change, DbError, Meta, OnCommit};
use super::wal::{LogOp, Logged, Records, Wal};
use crate::storage::protocol::ChangeKind;

/// A checkpoint is due once the write-ahead log holds this many bytes...
const WAL_MAX_BYTES: u64 = 64 << 20;

/// ...or its oldest record is this old. Regular checkpoints also let redb
/// reuse the pages that non-durable commits free (it cannot before a
/// durable commit), keeping the database file from growing.
const WAL_MAX_AGE: Duration = Duration::from_secs(1);

/// When the writer checkpoints (tests lower or raise them).
#[derive(Debug, Clone, Copy)]
pub(super) struct WalLimits {
    /// Bytes in the log.
    pub(super) bytes: u64,
    /// Age of its oldest record.
    pub(super) age: Duration,
}

/// The limits the service runs with.
pub(super) const WAL_LIMITS: WalLimits = WalLimits {
    bytes: WAL_MAX_BYTES,
    age: WAL_MAX_AGE,
};

/// While an I/O error keeps the database closed, the writer tries to
/// reopen it this often.
const REOPEN_EVERY: Duration = Duration::from_millis(100);

/// Writes queued at once are committed together, up to this many.
const MAX_BATCH: usize = 1024;

/// While a checkpoint is in progress and no write comes, the writer
/// looks this often whether it is done (to let its log file go).
const CHECKPOINT_POLL: Duration = Duration::from_millis(2);

/// A flush with fewer writes queued than the recent batches yields the
/// runtime at most this many times for the rest of its wave (see
/// [`Flush::run`]).
const GATHER_YIELDS: u32 = 64;

/// Waves of inline writes up to this many are settled on the runtime's
/// thread (no thread to wake: what one connection's pipelined burst or a
/// few callers need); larger ones go to the writer thread, whose
/// `fdatasync` then overlaps the runtime reading the next wave (on the
/// quiet-machine matrix, settling every wave inline took 32-byte durable
/// SETs at 50 x 16 from 0.69 to 0.55 of Redis, and 50 x 1 from 0.95 to
/// 0.75, while 1 x 16 went from 0.53 to 0.77).
const INLINE_WAVE: usize = 16;

/// How a batch is made durable.
enum Mode {
    /// Not at all (upload chunks, whose upload's commit makes them
    /// durable).
    Plain,
    /// By a durable commit, which is also a checkpoint: it records the
    /// last logged sequence number.
    Checkpoint(u64),
}

/// Where the writer sends each batch's answers: a task on the runtime that
/// opened the database, which sends them all in one go. Sent from the
/// writer thread one by one, each reply would wake its request from
/// outside the runtime, and the runtime would run each request's
/// continuation and its connection's writer in turn, writing replies to
/// the socket one by one; sent from a task, the requests run first and
/// the connections' writers then find their replies together (one `send`
/// for many).
type Answering = tokio::sync::mpsc::UnboundedSender<Vec<Answer>>;

/// The answering task, if the database is opened inside a runtime.
fn answering_task() -> Option<Answering> {
    let runtime = tokio::runtime::Handle::try_current().ok()?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Vec<Answer>>();
    runtime.spawn(async move {
        while let Some(batch) = rx.recv().await {
            batch.into_iter().for_each(Answer::send);
        }
    });
    Some(tx)
}

/// The writer thread's state: the database's write side, the log, the
/// pending writes and the counters.
pub(super) struct Writer {
    /// The database; `None` after an I/O error closed it, until
    /// [`Writer::db`] reopens it.
    db: Option<Arc<Database>>,
    /// The database as the readers see it (the same, or `None`).
    shared: Shared,
    /// Opens the database again.
    opener: Opener,
    /// Opens its last durable state for the readers while it is closed.
    snapshot: SnapshotOpener,
    /// The database closed after an I/O error, until the readers let go.
    closed: Option<Weak<Database>>,
    wal: Wal,
    limits: WalLimits,
    pending: Pending,
    cache: Arc<Cache>,
    counters: Counters,
    /// Commits and fsyncs, for stats.
    stats: Arc<EngineCounters>,
    /// The metadata row being written, reused.
    row: Vec<u8>,
    on_commit: Box<OnCommit>,
    answering: Option<Answering>,
    /// The checkpointer thread.
    checkpointer: Checkpointer,
    /// The last sequence number of the frozen writes, while there are any
    /// (a checkpoint of them in progress, or failed and to be retried).
    frozen: Option<u64>,
}

/// A checkpoint for the checkpointer thread: the frozen writes, the last
/// sequence number they reach and the counters to record with them.
struct Job {
    db: Arc<Database>,
    writes: Arc<Layer>,
    lsn: u64,
    counters: Counters,
}

/// The writer's end of the checkpointer thread.
struct Checkpointer {
    jobs: std_mpsc::Sender<Job>,
    done: std_mpsc::Receiver<Result<(), DbError>>,
    /// A job was sent and its result not yet taken.
    busy: bool,
}

impl Checkpointer {
    /// Starts the thread; it stops when this is dropped.
    fn start() -> Result<Checkpointer, DbError> {
        let (jobs, rx) = std_mpsc::channel::<Job>();
        let (tx, done) = std_mpsc::channel();
        thread::Builder::new()
            .name("storage-checkpoint".into())
            .spawn(move || {
                let mut row = Vec::new();
                for job in rx {
                    let Job {
                        db,
                        writes,
                        lsn,
                        counters,
                    } = job;
                    let result = commit_pending(&db, &[&writes], lsn, counters, &mut row);
                    drop((db, writes));
                    if tx.send(result).is_err() {
                        return;
                    }
                }
            })
            .map_err(db_err)?;
        Ok(Checkpointer {
            jobs,
            done,
            busy: false,
        })
    }
}

impl Writer {
    /// Creates the tables, collects the blobs of unfinished uploads, opens
    /// the log at `wal` and replays it into `db`.
    ///
    /// # Errors
    ///
    /// The database or the log cannot be read or written.
    pub(super) fn open(
        files: Files,
        db_path: &Path,
        cache: Arc<Cache>,
        pending: Pending,
        on_commit: Box<OnCommit>,
        limits: WalLimits,
        stats: Arc<EngineCounters>,
    ) -> Result<Writer, DbError> {
        let Files {
            shared,
            opener,
            faults,
            snapshot,
        } = files;
        let db = shared
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| DbError::new("no database to write"))?;
        let (counters, checkpointed) = init(&db)?;
        let keep = limits.bytes.saturating_mul(2);
        let (wal, replay) = Wal::open(db_path, checkpointed, keep, faults)?;
        let mut writer = Writer {
            db: Some(db),
            shared,
            opener,
            snapshot,
            closed: None,
            wal,
            limits,
            pending,
            cache,
            counters,
            stats,
            row: Vec::new(),
            on_commit,
            answering: None,
            checkpointer: Checkpointer::start()?,
            frozen: None,
        };
        writer.recover(replay)?;
        writer.answering = answering_task();
        Ok(writer)
    }

    /// When the writer thread must look at the database unasked: a
    /// checkpoint due (or a failed one to retry), a reopening to try
    /// while an I/O error keeps the database closed, a checkpoint in
    /// progress to look at.
    fn timers(&self) -> Timers {
        let now = Instant::now();
        let checkpoint_at = match self.frozen {
            _ if self.checkpointer.busy => None,
            Some(_) => Some(now + REOPEN_EVERY),
            None => self.wal.since().map(|since| since + self.limits.age),
        };
        let reopen_at = self.db.is_none().then(|| now + REOPEN_EVERY);
        let poll_at = self.checkpointer.busy.then(|| now + CHECKPOINT_POLL);
        Timers {
            checkpoint_at,
            wake_at: checkpoint_at
                .into_iter()
                .chain(reopen_at)
                .chain(poll_at)
                .min(),
        }
    }

    /// The writer thread's wait timed out: reopens the database if an
    /// I/O error closed it (so reads come back without waiting for a
    /// write), and begins a checkpoint if one is due.
    fn on_timeout(&mut self, checkpoint_at: Option<Instant>) {
        if self.db.is_none() {
            if let Err(e) = self.db() {
                tracing::debug!(error = %e, "the database stays closed");
                return;
            }
        }
        if checkpoint_at.is_some_and(|at| at <= Instant::now()) {
            self.begin_checkpoint();
        }
    }

    /// Begins a checkpoint if the log's current file is old or large
    /// enough, or the log is unusable.
    fn checkpoint_if_due(&mut self) {
        let due = self
            .wal
            .since()
            .is_some_and(|since| since.elapsed() >= self.limits.age);
        if due || self.wal.len() >= self.limits.bytes || !self.wal.usable() {
            self.begin_checkpoint();
        }
    }

    /// Whether a flush on the runtime may settle `commands` itself: only
    /// inline stores and deletes (the log path), with the log usable and
    /// the database open (a delete reads it).
    fn takes_inline(&self, commands: &VecDeque<Command>) -> bool {
        self.wal.usable()
            && self.db.is_some()
            && commands
                .iter()
                .all(|c| matches!(c, Command::Write(w) if w.inline()))
    }

    /// Settles a batch of inline stores and deletes where the flush runs
    /// (the runtime's thread): one log append, then each answer sent from
    /// here (the callers' tasks are woken on their own runtime, no thread
    /// to wake). Returns whether the writer thread must look at the
    /// database: the log's first record since the last rotation (the
    /// checkpoint timer starts), a file past its size, a failed append.
    /// A failure is only answered here; anything redb needs after one is
    /// the writer thread's.
    fn log_inline(&mut self, batch: Vec<Write>) -> bool {
        self.stats.inline_append();
        let first = self.wal.since().is_none();
        match self.log_batch(batch) {
            Ok(Settled { answers, changes }) => {
                answers.into_iter().for_each(Answer::send);
                (self.on_commit)(&changes);
            }
            Err(Failed { error, answers }) => {
                tracing::error!(error = %error, ops = answers.len(), "log append failed; nothing was written");
                answers.into_iter().for_each(Answer::send);
                return true;
            }
        }
        first || self.wal.len() >= self.limits.bytes || !self.wal.usable()
    }

    /// At the end: checkpoints what the log still holds.
    fn finish(&mut self) {
        if self.wal.total_len() > 0 || !self.wal.usable() || self.frozen.is_some() {
            self.try_checkpoint();
        }
        if self.wal.total_len() == 0 && self.wal.usable() {
            if let Err(e) = self.wal.shrink() {
                tracing::debug!(error = %e, "cannot cut the write-ahead log to its headers");
            }
        }
    }

    /// Begins a checkpoint of the writes logged so far on the
    /// checkpointer thread, unless one is in progress (or retries the
    /// failed one); while the log is unusable, checkpoints everything here
    /// instead.
    fn begin_checkpoint(&mut self) {
        if self.checkpointer.busy {
            return;
        }
        if !self.wal.usable() {
            self.try_checkpoint();
            return;
        }
        let db = match self.db() {
            Ok(db) => db,
            Err(e) => {
                tracing::debug!(error = %e, "no checkpoint while the database is closed");
                return;
            }
        };
        let (writes, lsn) = match self.frozen {
            Some(lsn) => (self.pending_read().frozen(), lsn),
            None => {
                let rotated = self.wal.rotate().or_else(|| {
                    // The file the last checkpoint left behind could not
                    // be emptied then.
                    self.wal.release().ok()?;
                    self.wal.rotate()
                });
                let Some(lsn) = rotated else { return };
                let writes = self
                    .pending
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .freeze();
                self.frozen = Some(lsn);
                (writes, lsn)
            }
        };
        let job = Job {
            db,
            writes,
            lsn,
            counters: self.counters,
        };
        self.checkpointer.busy = self.checkpointer.jobs.send(job).is_ok();
    }

    /// Takes the result of the checkpoint in progress, if there is one and
    /// it is done (`wait`: waiting for it): on success, lets the frozen
    /// writes and the log file they were in go.
    fn poll_checkpoint(&mut self, wait: bool) {
        if !self.checkpointer.busy {
            return;
        }
        let result = if wait {
            self.checkpointer
                .done
                .recv()
                .map_err(|_| DbError::new("the checkpointer stopped"))
        } else {
            match self.checkpointer.done.try_recv() {
                Ok(result) => Ok(result),
                Err(std_mpsc::TryRecvError::Empty) => return,
                Err(std_mpsc::TryRecvError::Disconnected) => {
                    Err(DbError::new("the checkpointer stopped"))
                }
            }
        };
        self.checkpointer.busy = false;
        match result.and_then(|r| r) {
            Ok(()) => {
                self.stats.commit();
                self.stats.fsync();
                let frozen = self.pending_read().frozen();
                self.cache_layer(&frozen);
                self.pending_write().thaw();
                self.frozen = None;
                if let Err(e) = self.wal.release() {
                    tracing::error!(error = %e, "cannot empty the write-ahead log file after a checkpoint");
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "checkpoint failed; the write-ahead log keeps its records");
                self.close_if_failed();
            }
        }
    }

    fn pending_read(&self) -> std::sync::RwLockReadGuard<'_, Maps> {
        self.pending.read().unwrap_or_else(|e| e.into_inner())
    }

    fn pending_write(&self) -> std::sync::RwLockWriteGuard<'_, Maps> {
        self.pending.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Settles a batch on its path, answers its writes and reports its
    /// changes.
    fn write_batch(&mut self, batch: Vec<Write>) {
        let durable = batch.iter().any(Write::durable);
        let settled = if batch.iter().any(Write::through_redb) || (durable && !self.wal.usable()) {
            self.checkpoint_and_apply(batch)
        } else if durable {
            self.log_batch(batch)
        } else {
            self.apply(batch, Mode::Plain)
        };
        match settled {
            Ok(Settled { answers, changes }) => {
                self.answer(answers);
                (self.on_commit)(&changes);
            }
            Err(Failed { error, answers }) => {
                tracing::error!(error = %error, ops = answers.len(), "commit failed; nothing was written");
                // Reopened (if it can be) before the callers hear of it.
                self.close_if_failed();
                self.answer(answers);
            }
        }
    }

    /// The database, reopened first if an I/O error closed it (once the
    /// readers have let go of the old one: redb locks the file).
    ///
    /// # Errors
    ///
    /// The database cannot be reopened (yet): the disk still fails, or a
    /// reader still holds the old one.
    fn db(&mut self) -> Result<Arc<Database>, DbError> {
        if let Some(db) = &self.db {
            return Ok(Arc::clone(db));
        }
        if let Some(old) = &self.closed {
            let until = Instant::now() + REOPEN_EVERY;
            while old.strong_count() > 0 {
                if Instant::now() >= until {
                    return Err(DbError::new(
                        "the database closed after an I/O error is still in use",
                    ));
                }
                thread::sleep(Duration::from_millis(1));
            }
            self.closed = None;
        }
        let db = (self.opener)()
            .map(Arc::new)
            .map_err(|e| DbError::new(format!("reopening the database: {}", e.0)))?;
        tracing::warn!("reopened the database after an I/O error");
        *self.shared.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&db));
        self.db = Some(Arc::clone(&db));
        Ok(db)
    }

    /// After a failed commit: redb refuses all I/O once one has failed
    /// ("previous I/O error") until it is reopened, so close it and try to
    /// reopen it now; if that fails, the readers read the file's last
    /// durable state meanwhile (with the pending writes over it, as
    /// always), until a reopening succeeds.
    fn close_if_failed(&mut self) {
        let Some(db) = &self.db else { return };
        if !matches!(
            db.begin_write(),
            Err(redb::TransactionError::Storage(
                redb::StorageError::PreviousIo
            ))
        ) {
            return;
        }
        tracing::error!("the database failed an I/O call; closing it to reopen it");
        *self.shared.write().unwrap_or_else(|e| e.into_inner()) = None;
        self.closed = self.db.take().as_ref().map(Arc::downgrade);
        if let Err(e) = self.db() {
            tracing::error!(error = %e, "the database stays closed for now");
            match (self.snapshot)() {
                Ok(db) => {
                    tracing::warn!("reads are served from the last durable state meanwhile");
                    *self.shared.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(db));
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the last durable state either");
                }
            }
        }
    }

    /// Sends a batch's answers, through the answering task if there is one.
    fn answer(&self, answers: Vec<Answer>) {
        let answers = match &self.answering {
            Some(tx) => match tx.send(answers) {
                Ok(()) => return,
                // The runtime is gone: answer from here.
                Err(e) => e.0,
            },
            None => answers,
        };
        answers.into_iter().for_each(Answer::send);
    }

    /// Replays the log's records after the checkpointed one into the
    /// pending writes (each write as it was first logged, so versions come
    /// out the same), then checkpoints them in one commit. (Applying each
    /// record in a commit of its own, as before, copied the leaves each
    /// one touched into pages redb could not reuse before the durable
    /// commit at the end: a few thousand records made the file grow by
    /// hundreds of MB.)
    fn recover(&mut self, replay: Records) -> Result<(), DbError> {
        let records = replay.len();
        let mut c = self.counters;
        let mut reader = None;
        {
            let mut p = self.pending.write().unwrap_or_else(|e| e.into_inner());
            for op in replay.into_iter().flat_map(|(_, ops)| ops) {
                match op {
                    Logged::Store { name, data } => {
                        c.version += 1;
                        let m = Meta::new(c.version, data.len() as u64, 0);
                        p.insert(name, Some((m, Bytes::from(data))));
                    }
                    Logged::Delete { name } => {
                        let exists = match p.get(&name) {
                            Some(v) => v.is_some(),
                            None => self.exists_in_redb(&mut reader, &name)?,
                        };
                        if exists {
                            c.version += 1;
                            p.insert(name, None);
                        }
                    }
                }
            }
        }
        drop(reader);
        self.counters = c;
        if records > 0 {
            tracing::info!(records, "replayed the write-ahead log");
        }
        if self.wal.total_len() > 0 || records > 0 {
            self.checkpoint()?;
        }
        Ok(())
    }

    /// A checkpoint, or an error logged (the log keeps its records, and the
    /// next checkpoint tries again).
    fn try_checkpoint(&mut self) {
        if let Err(e) = self.checkpoint() {
            tracing::error!(error = %e, "checkpoint failed; the write-ahead log keeps its records");
            self.close_if_failed();
        }
    }

    /// Makes everything committed so far durable and records the last
    /// logged sequence number with it, then empties the log (after the
    /// checkpoint in progress, if any).
    fn checkpoint(&mut self) -> Result<(), DbError> {
        self.poll_checkpoint(true);
        let db = self.db()?;
        {
            // Only this thread changes `pending`: reading it here is stable.
            let p = self.pending.read().unwrap_or_else(|e| e.into_inner());
            let (frozen, active) = p.layers();
            commit_pending(
                &db,
                &[frozen, active],
                self.wal.last(),
                self.counters,
                &mut self.row,
            )?;
        }
        self.stats.commit();
        self.stats.fsync();
        {
            let p = self.pending_read();
            let (frozen, active) = p.layers();
            self.cache_layer(frozen);
            self.cache_layer(active);
        }
        self.pending_write().clear();
        self.frozen = None;
        self.wal.reset()
    }

    /// The pending writes first, then the batch, each durably.
    fn checkpoint_and_apply(&mut self, batch: Vec<Write>) -> Result<Settled, Failed> {
        if let Err(e) = self.checkpoint() {
            return Err(Failed::new(e, [], batch));
        }
        let settled = self.apply(batch, Mode::Checkpoint(self.wal.last()))?;
        if let Err(e) = self.wal.reset() {
            tracing::error!(error = %e, "cannot empty the write-ahead log after a checkpoint");
        }
        Ok(settled)
    }

    /// A batch of inline stores and deletes (and upload chunks, which go
    /// straight to redb without waiting for the disk): the stores and
    /// deletes are appended to the log, then added to `pending`, where
    /// readers see them.
    fn log_batch(&mut self, batch: Vec<Write>) -> Result<Settled, Failed> {
        let mut c = self.counters;
        let mut answers: Vec<(usize, Answer)> = Vec::with_capacity(batch.len());
        let mut others: Vec<(usize, Write)> = Vec::new();
        let mut staged: Vec<(String, Pended)> = Vec::with_capacity(batch.len());
        let mut changes = Vec::with_capacity(batch.len());
        // Whether each name staged so far exists after this batch's writes.
        // (Kept only if the batch has a delete: a name and a hash per
        // store otherwise, for nothing.)
        let mut exists_now: foldhash::HashMap<String, bool> = foldhash::HashMap::default();
        let deletes = batch.iter().any(|w| matches!(w, Write::Delete { .. }));
        let mut reader = None;
        let mut writes = batch.into_iter().enumerate();
        for (i, write) in writes.by_ref() {
            match write {
                Write::Store { name, data, reply } => {
                    c.version += 1;
                    let size = data.len() as u64;
                    let m = Meta::new(c.version, size, 0);
                    changes.push(Change {
                        kind: ChangeKind::Stored,
                        name: name.clone(),
                        version: m.version,
                        size,
                    });
                    if deletes {
                        exists_now.insert(name.clone(), true);
                    }
                    staged.push((name, Some((m, Bytes::from(data)))));
                    answers.push((i, Answer::Meta(reply, Ok(m))));
                }
                Write::Delete { name, reply } => {
                    let exists = match exists_now.get(&name) {
                        Some(e) => Ok(*e),
                        None => match peek(&self.pending, &name, |v| v.is_some()) {
                            Some(e) => Ok(e),
                            None => self.exists_in_redb(&mut reader, &name),
                        },
                    };
                    let exists = match exists {
                        Ok(exists) => exists,
                        Err(e) => {
                            answers.push((i, Answer::Deleted(reply, Err(e.clone()))));
                            let writes = others.into_iter().chain(writes).map(|(_, w)| w);
                            return Err(Failed::new(
                                e,
                                answers.into_iter().map(|(_, a)| a),
                                writes,
                            ));
                        }
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
                        answers.push((i, Answer::Deleted(reply, Ok(Some(c.version)))));
                    } else {
                        answers.push((i, Answer::Deleted(reply, Ok(None))));
                    }
                }
                other => others.push((i, other)),
            }
        }
        drop(reader);
        if !staged.is_empty() {
            if let Err(e) = self.log(&staged) {
                let writes = others.into_iter().map(|(_, w)| w);
                return Err(Failed::new(e, answers.into_iter().map(|(_, a)| a), writes));
            }
            self.counters = c;
            self.publish(staged);
        }
        if !others.is_empty() {
            let (at, writes): (Vec<usize>, Vec<Write>) = others.into_iter().unzip();
            let done = match self.apply(writes, Mode::Plain) {
                Ok(settled) => {
                    changes.extend(settled.changes);
                    settled.answers
                }
                Err(failed) => failed.answers,
            };
            answers.extend(at.into_iter().zip(done));
            answers.sort_by_key(|(i, _)| *i);
        }
        Ok(Settled {
            answers: answers.into_iter().map(|(_, a)| a).collect(),
            changes,
        })
    }

    /// Whether `name` has a row in redb, read in `reader` (begun on first
    /// use).
    fn exists_in_redb(
        &self,
        reader: &mut Option<redb::ReadTransaction>,
        name: &str,
    ) -> Result<bool, DbError> {
        let tx = match reader {
            Some(tx) => tx,
            None => reader.insert(
                self.db
                    .as_ref()
                    .ok_or_else(closed)?
                    .begin_read()
                    .map_err(db_err)?,
            ),
        };
        let meta = tx.open_table(META).map_err(db_err)?;
        let found = meta.get(name).map_err(db_err)?.is_some();
        Ok(found)
    }

    /// Appends the staged writes to the log as one record, durably.
    fn log(&mut self, staged: &[(String, Pended)]) -> Result<(), DbError> {
        self.wal
            .prepare(staged.iter().map(|(name, value)| match value {
                Some((_, data)) => LogOp::Store { name, data },
                None => LogOp::Delete { name },
            }))?;
        self.wal.append()?;
        self.stats.commit();
        self.stats.fsync();
        Ok(())
    }

    /// Makes logged writes visible to readers, in `pending` (which reads
    /// consult before the cache: the cache learns these values when a
    /// checkpoint lets them go, see [`Writer::cache_layer`]).
    fn publish(&self, staged: Vec<(String, Pended)>) {
        let mut p = self.pending.write().unwrap_or_else(|e| e.into_inner());
        for (name, value) in staged {
            p.insert(name, value);
        }
    }

    /// Puts a layer of pending writes that a checkpoint has committed into
    /// the read cache (a deleted name out of it), before the layer is let
    /// go: reads consult `pending` first, so until then the cache's entry
    /// for these names is never read, and after it holds what redb does.
    /// Once per name per checkpoint, not once per store.
    fn cache_layer(&self, layer: &Layer) {
        for (name, value) in layer {
            match value {
                Some((m, data)) => self.cache.insert(name, *m, data.clone()),
                None => self.cache.remove([name.as_str()]),
            }
        }
    }

    /// Applies a batch in one transaction; all or nothing. The counters
    /// move on only if the transaction commits.
    fn apply(&mut self, batch: Vec<Write>, mode: Mode) -> Result<Settled, Failed> {
        let mut answers = Vec::with_capacity(batch.len());
        let mut writes = batch.into_iter();
        match self.try_apply(&mut writes, &mut answers, mode) {
            Ok(changes) => Ok(Settled { answers, changes }),
            Err(error) => Err(Failed::new(error, answers, writes)),
        }
    }

    /// [`Writer::apply`], answering into `answers` the writes it takes.
    fn try_apply(
        &mut self,
        writes: &mut std::vec::IntoIter<Write>,
        answers: &mut Vec<Answer>,
        mode: Mode,
    ) -> Result<Vec<Change>, DbError> {
        let mut tx = self.db()?.begin_write().map_err(db_err)?;
        match mode {
            Mode::Checkpoint(lsn) => {
                tx.open_table(WAL_TABLE)
                    .map_err(db_err)?
                    .insert("lsn", lsn)
                    .map_err(db_err)?;
            }
            Mode::Plain => tx.set_durability(Durability::None),
        }
        let Applied {
            counters: c,
            row,
            fill,
            changes,
        } = {
            let mut batch = Batch::begin(&tx, self.counters, std::mem::take(&mut self.row))?;
            for write in writes {
                let answer = batch.apply(write);
                let failed = answer.error().cloned();
                answers.push(answer);
                if let Some(e) = failed {
                    return Err(e);
                }
            }
            batch.finish()
        };
        self.row = row;
        if c != self.counters {
            let mut seq = tx.open_table(SEQ).map_err(db_err)?;
            if c.version != self.counters.version {
                seq.insert("version", c.version).map_err(db_err)?;
            }
            if c.blob != self.counters.blob {
                seq.insert("blob", c.blob).map_err(db_err)?;
            }
        }
        self.cache.remove(fill.keys().map(String::as_str));
        tx.commit().map_err(db_err)?;
        self.stats.commit();
        if matches!(mode, Mode::Checkpoint(_)) {
            self.stats.fsync();
        }
        self.counters = c;
        for (name, value) in fill {
            if let Some((m, data)) = value {
                self.cache.insert(&name, m, data);
            }
        }
        Ok(changes)
    }
}

/// The writer's state, shared by the writer thread and the flushes on the
/// runtime (whoever holds it settles the queue's commands, in order);
/// `None` once the writer thread has stopped.
type State = Mutex<Option<Writer>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// When the writer thread looks at the database unasked ([`Writer::timers`]).
struct Timers {
    /// A checkpoint is due then.
    checkpoint_at: Option<Instant>,
    /// The earliest of every reason to wake.
    wake_at: Option<Instant>,
}

/// The commands of every handle, in the order they were sent, and who is
/// to settle them.
#[derive(Default)]
struct Intake {
    queue: Mutex<Queue>,
    /// Wakes the writer thread.
    wake: Condvar,
}

#[derive(Default)]
struct Queue {
    commands: VecDeque<Command>,
    /// A flush is scheduled on a runtime and has not yet looked at the
    /// queue.
    flush: bool,
    /// The writer thread is to take the queue.
    kick: bool,
    /// The writer thread is to look at its timers and the log (a flush
    /// changed them), not at the queue.
    look: bool,
    /// Every handle is gone.
    orphaned: bool,
    /// The writer thread has stopped: nothing more is taken.
    stopped: bool,
    /// The sizes of the last two batches settled, by the flushes or the
    /// writer thread (see [`Flush::run`] and [`INLINE_WAVE`]).
    recent: [usize; 2],
}

/// Why the writer thread's wait ended.
enum Woke {
    Kicked,
    Look,
    Timeout,
    Orphaned,
}

impl Intake {
    /// Asks the writer thread to take the queue.
    fn kick(&self, q: &mut Queue) {
        q.kick = true;
        self.wake.notify_one();
    }

    /// Asks the writer thread to look at its timers and the log.
    fn look(&self) {
        lock(&self.queue).look = true;
        self.wake.notify_one();
    }

    /// Waits (the writer thread) until asked to take the queue or to
    /// look, every handle is gone, or `until`.
    fn wait(&self, until: Option<Instant>) -> Woke {
        let mut q = lock(&self.queue);
        loop {
            if q.kick {
                q.kick = false;
                return Woke::Kicked;
            }
            if q.orphaned {
                return Woke::Orphaned;
            }
            if q.look {
                q.look = false;
                return Woke::Look;
            }
            q = match until {
                None => self.wake.wait(q).unwrap_or_else(|e| e.into_inner()),
                Some(at) => {
                    let left = at.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Woke::Timeout;
                    }
                    self.wake
                        .wait_timeout(q, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }

    /// Takes the writes at the front of the queue, up to [`MAX_BATCH`] or
    /// a close, which goes to `stop` (nothing after it is taken); leaves
    /// the writer thread asked again if more remain.
    fn take(&self, stop: &mut Option<oneshot::Sender<()>>) -> Vec<Write> {
        let mut q = lock(&self.queue);
        let mut batch = Vec::new();
        while batch.len() < MAX_BATCH && stop.is_none() {
            match q.commands.pop_front() {
                None => break,
                Some(Command::Close(reply)) => *stop = Some(reply),
                Some(Command::Write(write)) => batch.push(write),
            }
        }
        if stop.is_none() && !q.commands.is_empty() {
            q.kick = true;
        }
        // The writer thread's batches are waves too: when they shrink
        // again, the flushes take over.
        q.recent = [q.recent[1], batch.len()];
        batch
    }
}

/// Where the engine's handles send their writes: the queue, and the
/// writer's state for the flushes. Cheap to clone; when the last clone
/// goes, the writer thread checkpoints and stops.
#[derive(Clone)]
pub(super) struct Writes {
    intake: Arc<Intake>,
    state: Arc<State>,
    _alive: Arc<Alive>,
}

/// Tells the writer thread when the last handle is gone.
struct Alive(Arc<Intake>);

impl Drop for Alive {
    fn drop(&mut self) {
        let mut q = lock(&self.0.queue);
        q.orphaned = true;
        self.0.wake.notify_one();
    }
}

impl Writes {
    /// Starts the writer thread with `writer`.
    ///
    /// # Errors
    ///
    /// The thread cannot be started.
    pub(super) fn start(writer: Writer) -> Result<Writes, DbError> {
        let intake = Arc::new(Intake::default());
        let state = Arc::new(Mutex::new(Some(writer)));
        let (i, s) = (Arc::clone(&intake), Arc::clone(&state));
        thread::Builder::new()
            .name("storage-writer".into())
            .spawn(move || run(&s, &i))
            .map_err(db_err)?;
        Ok(Writes {
            _alive: Arc::new(Alive(Arc::clone(&intake))),
            intake,
            state,
        })
    }

    /// Queues `command`. The first inline store or delete queued from a
    /// runtime's task schedules a flush on that runtime, which runs once
    /// the tasks ready now have run (the session has decoded every frame
    /// of its read, and the other ready connections theirs) and settles
    /// the whole queue at once, there ([`Flush`]); anything else, or no
    /// runtime, asks the writer thread.
    ///
    /// # Errors
    ///
    /// The writer thread has stopped.
    pub(super) fn send(&self, command: Command) -> Result<(), DbError> {
        let inline = matches!(&command, Command::Write(w) if w.inline());
        let mut q = lock(&self.intake.queue);
        if q.stopped {
            return Err(DbError::new("the writer has stopped"));
        }
        q.commands.push_back(command);
        if q.flush || q.kick {
            return Ok(());
        }
        let small = q.recent.iter().all(|&n| n <= INLINE_WAVE);
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) if inline && small => {
                q.flush = true;
                drop(q);
                let flush = Flush {
                    intake: Arc::clone(&self.intake),
                    state: Arc::clone(&self.state),
                    ran: false,
                };
                drop(runtime.spawn(flush.run()));
            }
            _ => self.intake.kick(&mut q),
        }
        Ok(())
    }
}

/// Settles the queue on the runtime's thread, as Redis settles what it
/// read in one pass of its loop: one `write` and one `fdatasync` for
/// every inline store and delete queued, then every answer, with no
/// thread to wake on the way there or back. If the writer thread holds
/// the state (a checkpoint of its own, a redb commit) or the queue holds
/// anything else, it asks the writer thread instead, so nothing on the
/// runtime ever waits for redb, and the queue's order is kept (whoever
/// holds the state takes the queue's front). A flush dropped unrun (its
/// runtime shut down) asks the writer thread too.
struct Flush {
    intake: Arc<Intake>,
    state: Arc<State>,
    ran: bool,
}

impl Flush {
    /// Waits for the rest of a wave, then settles the queue. Callers
    /// that each wait for their last write before sending the next (50
    /// connections at depth 1) come back in the waves the last batches
    /// answered, their requests read over several passes of the
    /// runtime: while fewer than the larger of the last two batches are
    /// queued, the flush yields (the runtime polls its sockets and runs
    /// the connections that became ready) up to [`GATHER_YIELDS`] times.
    /// Without this, the first few of a wave would be made durable alone
    /// while the rest queue behind their `fdatasync`, two or three
    /// `fdatasync`s a wave. A lone caller (the last batches of one) never
    /// waits.
    async fn run(mut self) {
        let expect = lock(&self.intake.queue).recent.iter().copied().max();
        let expect = expect.unwrap_or(0);
        for _ in 0..GATHER_YIELDS {
            let enough = {
                let q = lock(&self.intake.queue);
                q.kick || q.commands.len() >= expect
            };
            if enough {
                break;
            }
            tokio::task::yield_now().await;
        }
        self.ran = true;
        let mut state = match self.state.try_lock() {
            Ok(state) => state,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                let mut q = lock(&self.intake.queue);
                q.flush = false;
                self.intake.kick(&mut q);
                return;
            }
        };
        let batch: Vec<Write> = {
            let mut q = lock(&self.intake.queue);
            q.flush = false;
            let Some(writer) = state.as_ref() else {
                // Stopped: their callers hear it as their replies drop.
                q.commands.clear();
                return;
            };
            if q.kick || !writer.takes_inline(&q.commands) {
                self.intake.kick(&mut q);
                return;
            }
            q.recent = [q.recent[1], q.commands.len()];
            q.commands
                .drain(..)
                .filter_map(|c| match c {
                    Command::Write(w) => Some(w),
                    Command::Close(_) => None,
                })
                .collect()
        };
        let Some(writer) = state.as_mut() else { return };
        if writer.log_inline(batch) {
            self.intake.look();
        }
    }
}

impl Drop for Flush {
    fn drop(&mut self) {
        if !self.ran {
            let mut q = lock(&self.intake.queue);
            q.flush = false;
            self.intake.kick(&mut q);
        }
    }
}

/// The writer thread: settles what the flushes leave to it until a
/// [`Command::Close`] arrives or every handle is gone, checkpoints, and
/// lets go of the database and the log before answering the close (so
/// the last handle's drop closes the file cleanly).
fn run(state: &State, intake: &Intake) {
    let stop = serve(state, intake);
    let writer = lock(state).take();
    {
        let mut q = lock(&intake.queue);
        q.stopped = true;
        // Their callers hear that the writer stopped as their replies drop.
        q.commands.clear();
    }
    drop(writer);
    if let Some(reply) = stop {
        let _ = reply.send(());
    }
}

/// The writer thread's loop: waits to be asked (or for a timer), takes
/// the queue's front as one batch, settles it, answers each write and
/// reports the changes. Returns the reply of the close that stopped it,
/// if one did.
fn serve(state: &State, intake: &Intake) -> Option<oneshot::Sender<()>> {
    let mut stop = None;
    let mut orphaned = false;
    // `stop` is checked before waiting: once a close is seen, nothing
    // more is taken.
    while stop.is_none() {
        let timers = {
            let mut state = lock(state);
            let writer = state.as_mut()?;
            writer.poll_checkpoint(false);
            writer.timers()
        };
        let woke = if orphaned {
            Woke::Orphaned
        } else {
            intake.wait(timers.wake_at)
        };
        let mut state = lock(state);
        let writer = state.as_mut()?;
        match woke {
            Woke::Timeout => {
                writer.on_timeout(timers.checkpoint_at);
                continue;
            }
            Woke::Look => {
                writer.checkpoint_if_due();
                continue;
            }
            Woke::Orphaned => orphaned = true,
            Woke::Kicked => {}
        }
        let batch = intake.take(&mut stop);
        if orphaned && batch.is_empty() && stop.is_none() {
            break;
        }
        if !batch.is_empty() {
            writer.write_batch(batch);
        }
        writer.checkpoint_if_due();
    }
    if let Some(writer) = lock(state).as_mut() {
        writer.finish();
    }
    stop
}

/// Applies `layers`' writes (a later layer's over an earlier one's, for
/// the same name) to redb in one durable commit that records `lsn` as
/// the last checkpointed sequence number, and the counters (never
/// lowering those recorded: the writer's own commits may have raised
/// them since the layers were frozen).
fn commit_pending(
    db: &Database,
    layers: &[&Layer],
    lsn: u64,
    counters: Counters,
    row: &mut Vec<u8>,
) -> Result<(), DbError> {
    let tx = db.begin_write().map_err(db_err)?;
    {
        let mut seen = foldhash::HashSet::default();
        let mut order: Vec<(&String, &Pended)> = Vec::new();
        for layer in layers.iter().rev() {
            for (name, value) in layer.iter() {
                if seen.insert(name) {
                    order.push((name, value));
                }
            }
        }
        if !order.is_empty() {
            let mut meta = tx.open_table(META).map_err(db_err)?;
            let mut chunks = tx.open_table(CHUNKS).map_err(db_err)?;
            // In a scrambled order (the map's is not sorted either, but
            // this one does not depend on the hasher's seed): redb
            // splits a full leaf in half, so keys inserted in order
            // leave every leaf half empty for good; in no particular
            // order they fill leaves to about 70 % (the textbook
            // figure for random insertion), and the file takes about
            // a quarter less space.
            order.sort_unstable_by_key(|(name, _)| crc32fast::hash(name.as_bytes()));
            for (name, value) in order {
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
        for (key, value) in [("version", counters.version), ("blob", counters.blob)] {
            let recorded = seq.get(key).map_err(db_err)?.map_or(0, |v| v.value());
            if value > recorded {
                seq.insert(key, value).map_err(db_err)?;
            }
        }
        tx.open_table(WAL_TABLE)
            .map_err(db_err)?
            .insert("lsn", lsn)
            .map_err(db_err)?;
    }
    tx.commit().map_err(db_err)
}

/// Creates the metadata table, moving the rows of the previous layout
/// (`meta2`) into it if there are any.
fn migrate_v2(tx: &redb::WriteTransaction) -> Result<(), DbError> {
    let mut meta = tx.open_table(META).map_err(db_err)?;
    let v2 = META_V2.name();
    if !tx.list_tables().map_err(db_err)?.any(|t| t.name() == v2) {
        return Ok(());
    }
    let old = tx.open_table(META_V2).map_err(db_err)?;
    let mut row = Vec::new();
    let mut moved = 0u64;
    for item in old.iter().map_err(db_err)? {
        let (name, value) = item.map_err(db_err)?;
        let r = decode_row_v2(value.value())?;
        encode_row(&mut row, r.meta, r.inline);
        meta.insert(name.value(), row.as_slice()).map_err(db_err)?;
        moved += 1;
    }
    drop(old);
    tx.delete_table(META_V2).map_err(db_err)?;
    if moved > 0 {
        tracing::info!(
            rows = moved,
            "moved the metadata rows to the compact layout"
        );
    }
    Ok(())
}

/// Creates the tables, collects orphan blobs and loads the counters and
/// the last checkpointed log sequence number.
fn init(db: &Database) -> Result<(Counters, u64), DbError> {
    let tx = db.begin_write().map_err(db_err)?;
    let counters;
    let lsn;
    {
        migrate_v2(&tx)?;
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
