//! I/O failures on command: the engine's file layer for the database file
//! ([`super::dbfile`]) and for the write-ahead log both ask a shared
//! [`Faults`] before each write and each sync, so tests can make
//! the disk fill up or fail a sync at any moment, and make it work again.
//!
//! A full disk is modelled as one: a write that would make a file longer
//! fails (`ENOSPC`), after writing what fits (for the log: half of the
//! record, so a torn tail is really on disk); writes inside a file's
//! length still work. A failed sync fails every `fdatasync` (of both
//! files) with `EIO`, or only the next one. A held sync (the database
//! file's only) waits until released: a checkpoint stuck in its commit.

use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Condvar, Mutex};

/// Which of the engine's I/O calls fail, and with which `errno` (0: they
/// work). Shared by every file of one database.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    write: AtomicI32,
    sync: AtomicI32,
    /// Syncs left to fail, or negative: all of them.
    syncs_left: AtomicI32,
    /// Failures handed out so far.
    failed: AtomicI32,
    /// Whether the database file's syncs wait, and how many are waiting.
    hold: (Mutex<(bool, i32)>, Condvar),
}

impl Faults {
    /// Makes every write that would make a file longer fail with `errno`
    /// from now on; 0 makes them work again.
    #[cfg_attr(not(test), allow(dead_code))] // the engine's own tests are its only callers
    pub(crate) fn fail_writes(&self, errno: i32) {
        self.write.store(errno, Ordering::SeqCst);
    }

    /// Makes every `fdatasync` fail with `errno` from now on; 0 makes them
    /// work again.
    #[cfg_attr(not(test), allow(dead_code))] // the engine's own tests are its only callers
    pub(crate) fn fail_syncs(&self, errno: i32) {
        self.syncs_left.store(-1, Ordering::SeqCst);
        self.sync.store(errno, Ordering::SeqCst);
    }

    /// Makes the next `fdatasync` (only) fail with `errno`.
    #[cfg_attr(not(test), allow(dead_code))] // the engine's own tests are its only callers
    pub(crate) fn fail_next_sync(&self, errno: i32) {
        self.syncs_left.store(1, Ordering::SeqCst);
        self.sync.store(errno, Ordering::SeqCst);
    }

    /// Makes the database file's syncs wait (`true`) until released
    /// (`false`); the log's are not held.
    #[cfg_attr(not(test), allow(dead_code))] // the engine's own tests are its only callers
    pub(crate) fn hold_db_syncs(&self, hold: bool) {
        let (lock, cv) = &self.hold;
        lock.lock().unwrap_or_else(|e| e.into_inner()).0 = hold;
        cv.notify_all();
    }

    /// How many of the database file's syncs are waiting now.
    #[cfg_attr(not(test), allow(dead_code))] // the engine's own tests are its only callers
    pub(crate) fn held_syncs(&self) -> i32 {
        self.hold.0.lock().unwrap_or_else(|e| e.into_inner()).1
    }

    /// Before a sync of the database file: waits while syncs are held.
    pub(super) fn wait_if_held(&self) {
        let (lock, cv) = &self.hold;
        let mut h = lock.lock().unwrap_or_else(|e| e.into_inner());
        if !h.0 {
            return;
        }
        h.1 += 1;
        while h.0 {
            h = cv.wait(h).unwrap_or_else(|e| e.into_inner());
        }
        h.1 -= 1;
    }

    /// How many calls have failed so far.
    #[cfg_attr(not(test), allow(dead_code))] // the engine's own tests are its only callers
    pub(crate) fn failures(&self) -> i32 {
        self.failed.load(Ordering::SeqCst)
    }

    fn check(&self, which: &AtomicI32) -> io::Result<()> {
        match which.load(Ordering::SeqCst) {
            0 => Ok(()),
            errno => {
                self.failed.fetch_add(1, Ordering::SeqCst);
                Err(io::Error::from_raw_os_error(errno))
            }
        }
    }

    /// Before a write.
    pub(super) fn write(&self) -> io::Result<()> {
        self.check(&self.write)
    }

    /// Before a sync.
    pub(super) fn sync(&self) -> io::Result<()> {
        let failed = self.check(&self.sync);
        if failed.is_err() && self.syncs_left.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.sync.store(0, Ordering::SeqCst);
        }
        failed
    }
}

/// Writes `buf` to the log's `file` at offset `at` and syncs it, failing
/// as `faults` say (a failed write leaves the first half of `buf` written).
pub(super) fn write_and_sync(
    file: &File,
    buf: &[u8],
    at: u64,
    faults: Option<&Faults>,
) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    if let Some(f) = faults {
        if let Err(e) = f.write() {
            file.write_all_at(&buf[..buf.len() / 2], at)?;
            return Err(e);
        }
    }
    file.write_all_at(buf, at)?;
    sync(file, faults)
}

/// `fdatasync`, failing as `faults` say.
pub(super) fn sync(file: &File, faults: Option<&Faults>) -> io::Result<()> {
    faults.map_or(Ok(()), Faults::sync)?;
    file.sync_data()
}
