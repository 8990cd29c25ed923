//! The database file's last durable state, for reads while redb is closed
//! after an I/O error: a second redb instance over the file, opened
//! through a backend that never writes to it ([`Overlay`]: what redb
//! writes, its repair on open, stays in memory) and never locks it, so
//! it opens whatever the disk does (a failing `fdatasync`, a full disk)
//! and beside the writer's attempts to reopen the file for real.
//!
//! It sees the last durable commit: every checkpoint, so every
//! acknowledged store not still in the pending writes, which readers
//! consult first.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Mutex;

use redb::{Database, StorageBackend};

use super::types::{db_err, DbError};

/// Overlay pages: the unit of what is kept in memory.
const PAGE: u64 = 4096;

/// The file, read; every write kept in memory, in whole pages over it.
#[derive(Debug)]
struct Overlay {
    file: File,
    state: Mutex<State>,
}

/// What redb wrote to an [`Overlay`].
#[derive(Debug)]
struct State {
    /// The length redb set, or the file's.
    len: u64,
    /// The pages written, by index.
    pages: HashMap<u64, Box<[u8]>>,
}

impl Overlay {
    fn new(file: File, len: u64) -> Overlay {
        Overlay {
            file,
            state: Mutex::new(State {
                len,
                pages: HashMap::new(),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Overlay {
    /// `len` bytes of the file at `offset`, zeros past its end.
    fn read_file(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let mut buf = vec![0; len];
        let mut done = 0;
        while done < len {
            match self.file.read_at(&mut buf[done..], offset + done as u64)? {
                0 => break,
                n => done += n,
            }
        }
        Ok(buf)
    }
}

impl StorageBackend for Overlay {
    fn len(&self) -> io::Result<u64> {
        Ok(self.state().len)
    }

    fn read(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let mut buf = self.read_file(offset, len)?;
        let state = self.state();
        let end = offset + len as u64;
        let mut page = offset / PAGE;
        while page * PAGE < end {
            if let Some(p) = state.pages.get(&page) {
                let from = (page * PAGE).max(offset);
                let to = ((page + 1) * PAGE).min(end);
                let src = &p[(from - page * PAGE) as usize..(to - page * PAGE) as usize];
                buf[(from - offset) as usize..(to - offset) as usize].copy_from_slice(src);
            }
            page += 1;
        }
        Ok(buf)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.state().len = len;
        Ok(())
    }

    fn sync_data(&self, _eventual: bool) -> io::Result<()> {
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let end = offset + data.len() as u64;
        let mut page = offset / PAGE;
        while page * PAGE < end {
            let has = self.state().pages.contains_key(&page);
            let fresh = if has {
                None
            } else {
                Some(
                    self.read_file(page * PAGE, PAGE as usize)?
                        .into_boxed_slice(),
                )
            };
            let mut state = self.state();
            let p = state
                .pages
                .entry(page)
                .or_insert_with(|| fresh.unwrap_or_default());
            let from = (page * PAGE).max(offset);
            let to = ((page + 1) * PAGE).min(end);
            p[(from - page * PAGE) as usize..(to - page * PAGE) as usize]
                .copy_from_slice(&data[(from - offset) as usize..(to - offset) as usize]);
            page += 1;
        }
        Ok(())
    }
}

/// Opens the last durable state of the database file at `path` for
/// reading (redb's repair, if the file needs one, runs in memory).
///
/// # Errors
///
/// The file cannot be read, or is not a redb database.
pub(super) fn open(path: &Path, cache_bytes: usize) -> Result<Database, DbError> {
    let file = File::open(path).map_err(db_err)?;
    let len = file.metadata().map_err(db_err)?.len();
    let backend = Overlay::new(file, len);
    let mut builder = Database::builder();
    builder.set_cache_size(cache_bytes);
    builder.create_with_backend(backend).map_err(db_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes land in memory over the file, whole pages or parts of two;
    /// the file itself never changes.
    #[test]
    fn writes_stay_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let bytes: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let o = Overlay::new(File::open(&path).unwrap(), bytes.len() as u64);
        o.write(4000, &[0xAA; 200]).unwrap();
        o.set_len(20_000).unwrap();
        o.write(12_000, &[0xBB; 10]).unwrap();
        let mut want = bytes.clone();
        want[4000..4200].fill(0xAA);
        want.resize(20_000, 0);
        want[12_000..12_010].fill(0xBB);
        assert_eq!(o.read(0, 20_000).unwrap(), want);
        assert_eq!(o.read(4100, 50).unwrap(), want[4100..4150]);
        assert_eq!(o.len().unwrap(), 20_000);
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }
}
