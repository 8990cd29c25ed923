//! The database file's layer under redb (a [`StorageBackend`]): redb's
//! own file backend, which also writes pages out to the disk in slices as
//! redb writes them, and fails as [`Faults`] say (tests).
//!
//! Why: a checkpoint writes every key changed since the last one (about
//! 8 MB a second for 1,000 keys of 4 KiB overwritten in a loop), then
//! syncs the file. Left in the page cache until that sync, all of it went
//! to the disk at once, and the log's `fdatasync`s issued meanwhile waited
//! behind it: on the test VM every checkpoint held that moment's stores
//! 20-40 ms, against the usual 0.3 ms. Now, every [`WRITE_OUT_EVERY`]
//! bytes redb writes, the layer has the file's dirty pages written out and
//! waits for them (`sync_file_range`, which writes without flushing the
//! disk's cache): no more than one slice of a checkpoint is ever on its
//! way to the disk, so a log sync waits behind a slice at most, and the
//! checkpoint's own sync finds little left. The pace falls on the thread
//! that commits (the checkpointer, or the writer for uploads and large
//! values), never on a store's `fdatasync`. Durability is unchanged:
//! redb's commit still syncs.
//!
//! The same holds for an upload, whose chunks are committed without
//! waiting for the disk and synced by its last commit: a 256 MiB upload
//! held the stores beside it for 280-310 ms at that sync, and 20 ms now;
//! the upload takes 10-15 % longer (docs/BENCHMARKS.md, session 26).

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use redb::backends::FileBackend;
use redb::StorageBackend;

use super::faults::Faults;

/// Bytes written between two write-outs.
const WRITE_OUT_EVERY: u64 = 64 << 10;

/// redb's file backend, writing pages out in slices of
/// [`WRITE_OUT_EVERY`] bytes, and failing as `faults` say when there are
/// any.
#[derive(Debug)]
pub(super) struct DbFile {
    file: FileBackend,
    /// The same file, for `sync_file_range` (redb's backend keeps its own
    /// to itself).
    #[cfg_attr(not(all(target_os = "linux", target_env = "gnu")), allow(dead_code))]
    raw: File,
    /// Bytes written since the last write-out.
    since_write_out: AtomicU64,
    /// Write-outs done (for the tests).
    write_outs: AtomicU64,
    faults: Option<Arc<Faults>>,
}

impl DbFile {
    /// Opens (or creates) the database file at `path` as redb's
    /// `Builder::create` does, locking it as redb's own backend does.
    pub(super) fn open(
        path: &Path,
        faults: Option<Arc<Faults>>,
    ) -> Result<Self, redb::DatabaseError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let raw = file.try_clone()?;
        Ok(DbFile {
            file: FileBackend::new(file)?,
            raw,
            since_write_out: AtomicU64::new(0),
            write_outs: AtomicU64::new(0),
            faults,
        })
    }

    /// Writes out the file's dirty pages once enough are written (on
    /// Linux; elsewhere the sync writes them all).
    fn written(&self, len: usize) {
        let before = self
            .since_write_out
            .fetch_add(len as u64, Ordering::Relaxed);
        if before + len as u64 >= WRITE_OUT_EVERY {
            self.since_write_out.store(0, Ordering::Relaxed);
            self.write_out();
        }
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn write_out(&self) {
        use std::os::fd::AsRawFd;
        // SAFETY: the descriptor is open for as long as `self.raw` lives;
        // the call only reads its arguments. A failure (a file system
        // without it) only loses the pacing: the sync writes the pages
        // anyway, so it is not an error (only the count notes success).
        let done = unsafe {
            libc::sync_file_range(
                self.raw.as_raw_fd(),
                0,
                0,
                libc::SYNC_FILE_RANGE_WAIT_BEFORE
                    | libc::SYNC_FILE_RANGE_WRITE
                    | libc::SYNC_FILE_RANGE_WAIT_AFTER,
            )
        };
        if done == 0 {
            self.write_outs.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    fn write_out(&self) {}

    fn faults(&self) -> Option<&Faults> {
        self.faults.as_deref()
    }
}

impl StorageBackend for DbFile {
    fn len(&self) -> io::Result<u64> {
        self.file.len()
    }

    fn read(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        self.file.read(offset, len)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        if let Some(f) = self.faults() {
            if len > self.file.len()? {
                f.write()?;
            }
        }
        self.file.set_len(len)
    }

    fn sync_data(&self, eventual: bool) -> io::Result<()> {
        if let Some(f) = self.faults() {
            f.wait_if_held();
            f.sync()?;
        }
        self.since_write_out.store(0, Ordering::Relaxed);
        self.file.sync_data(eventual)
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        if let Some(f) = self.faults() {
            if offset + data.len() as u64 > self.file.len()? {
                f.write()?;
            }
        }
        self.file.write(offset, data)?;
        self.written(data.len());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each slice of [`WRITE_OUT_EVERY`] bytes written is written out
    /// (on Linux), a sync starts the count again, and what was written
    /// reads back.
    #[test]
    fn every_slice_written_is_written_out() {
        let dir = tempfile::tempdir().unwrap();
        let layer = DbFile::open(&dir.path().join("db"), None).unwrap();
        let page = [7u8; 8192];
        let pages = 4 * WRITE_OUT_EVERY / page.len() as u64 - 1;
        for i in 0..pages {
            layer.write(i * page.len() as u64, &page).unwrap();
        }
        let linux = cfg!(all(target_os = "linux", target_env = "gnu"));
        assert_eq!(
            layer.write_outs.load(Ordering::Relaxed),
            if linux { 3 } else { 0 }
        );
        // A sync has written everything: the count starts again.
        layer.sync_data(false).unwrap();
        let slice = WRITE_OUT_EVERY / page.len() as u64;
        for i in 0..slice - 1 {
            layer.write(i * page.len() as u64, &page).unwrap();
        }
        assert_eq!(
            layer.write_outs.load(Ordering::Relaxed),
            if linux { 3 } else { 0 }
        );
        layer.write(0, &page).unwrap();
        assert_eq!(
            layer.write_outs.load(Ordering::Relaxed),
            if linux { 4 } else { 0 }
        );
        assert_eq!(layer.read(8192 * 5, 8192).unwrap(), page);
        assert_eq!(layer.len().unwrap(), pages * 8192);
    }
}
