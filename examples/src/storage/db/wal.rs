//! The write-ahead log in front of the redb engine (`<db file>.wal`).
//!
//! A batch of small stores and deletes is appended as one record with one
//! `write` and one `fdatasync`, then acknowledged (the writer keeps the
//! batch in memory, where readers see it, until a checkpoint applies it to
//! redb). The log is two files used in turn (`<db>.wal`, `<db>.wal.1`): a
//! checkpoint begins by switching appends to the other file, applies the
//! records of the one left behind in a durable redb commit that also
//! records their last sequence number (in `wal2`), then empties that
//! file; appends never wait for it. On open, the records of both files
//! after the checkpointed one are replayed, in sequence order.
//!
//! ```text
//! record   len u32 | crc u32 | payload            (little-endian)
//!          len: bytes of payload; crc: CRC-32 (IEEE) of payload
//! payload  lsn u64 | count u32 | op * count
//! op       1 | name len u32 | name | data len u32 | data     (store)
//!          2 | name len u32 | name                           (delete)
//! ```
//!
//! A crash can only tear the tail the writer had not yet acknowledged, so
//! reading stops at the first record whose length, checksum, contents or
//! sequence number (each one more than the last) is wrong, and the file is
//! cut there.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use codec::{Decode, Encode};

use super::faults::{self, Faults};
use super::types::DbError;

/// Bytes before the payload: length and checksum.
const HEAD: usize = 8;

/// One logged write, owned (as read back for replay).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Logged {
    Store { name: String, data: Vec<u8> },
    Delete { name: String },
}

/// One logged write, borrowed (as appended, and as decoded from the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
#[codec(repr = u8, endian = "little")]
pub(super) enum LogOp<'a> {
    #[codec(id = 1)]
    Store {
        #[codec(len = u32)]
        name: &'a str,
        #[codec(len = u32)]
        data: &'a [u8],
    },
    #[codec(id = 2)]
    Delete {
        #[codec(len = u32)]
        name: &'a str,
    },
}

impl From<LogOp<'_>> for Logged {
    fn from(op: LogOp<'_>) -> Self {
        match op {
            LogOp::Store { name, data } => Logged::Store {
                name: name.to_owned(),
                data: data.to_vec(),
            },
            LogOp::Delete { name } => Logged::Delete {
                name: name.to_owned(),
            },
        }
    }
}

/// A record's payload: the bytes its checksum covers.
#[derive(Debug, Encode, Decode)]
#[codec(endian = "little")]
struct Payload<'a> {
    lsn: u64,
    #[codec(len = u32)]
    ops: Vec<LogOp<'a>>,
}

/// Records read back: sequence number and writes, in order.
pub(super) type Records = Vec<(u64, Vec<Logged>)>;

/// What reading a log found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Scan {
    /// Every well-formed record, in order: sequence number and writes.
    pub records: Records,
    /// Bytes up to the end of the last well-formed record.
    pub valid: usize,
}

fn wal_err(what: &str, e: impl std::fmt::Display) -> DbError {
    DbError::new(format!("write-ahead log: {what}: {e}"))
}

/// Appends one record (`lsn` and `ops`) to `out`.
///
/// # Errors
///
/// A name, value or batch too long for its `u32` length (none is: values
/// in the log are at most the inline limit); `out` is then as it was.
pub(super) fn encode<'a>(
    out: &mut Vec<u8>,
    lsn: u64,
    ops: impl IntoIterator<Item = LogOp<'a>>,
) -> Result<(), DbError> {
    let payload = Payload {
        lsn,
        ops: ops.into_iter().collect(),
    };
    let start = out.len();
    out.extend_from_slice(&[0; HEAD]);
    let len = payload
        .encode(out)
        .map_err(|e| wal_err("encode", e))
        .and_then(|()| {
            u32::try_from(out.len() - start - HEAD).map_err(|e| wal_err("record length", e))
        })
        .inspect_err(|_| out.truncate(start))?;
    let crc = crc32fast::hash(&out[start + HEAD..]);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// Reads what `bytes` holds: records in order, each with a sequence number
/// one more than the one before, stopping at the first that is not whole
/// and well-formed. Allocates no more than the bytes justify.
pub(super) fn scan(bytes: &[u8]) -> Scan {
    let mut scan = Scan::default();
    let mut at = 0;
    let mut prev: Option<u64> = None;
    while let Some((lsn, ops, next)) = record(bytes, at) {
        if prev.is_some_and(|p| p.checked_add(1) != Some(lsn)) {
            break;
        }
        prev = Some(lsn);
        scan.records.push((lsn, ops));
        at = next;
        scan.valid = next;
    }
    scan
}

/// The record at `at`, if whole and well-formed: lsn, writes, end offset.
fn record(bytes: &[u8], at: usize) -> Option<(u64, Vec<Logged>, usize)> {
    let head = bytes.get(at..at.checked_add(HEAD)?)?;
    let len = u32::from_le_bytes(head[..4].try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(head[4..].try_into().ok()?);
    let start = at + HEAD;
    let end = start.checked_add(len)?;
    let payload = bytes.get(start..end)?;
    if crc32fast::hash(payload) != crc {
        return None;
    }
    let Payload { lsn, ops } = Payload::from_bytes(payload).ok()?;
    Some((lsn, ops.into_iter().map(Logged::from).collect(), end))
}

/// One of the log's two files.
struct Seg {
    file: File,
    path: PathBuf,
    /// Bytes of whole records in the file.
    len: u64,
}

impl Seg {
    /// Opens (or creates) the file at `path` and reads its whole records,
    /// cutting off a torn or corrupt tail (with a warning giving the
    /// offset); leaves it positioned after them.
    fn open(path: &Path) -> Result<(Seg, Records), DbError> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| wal_err("open", e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| wal_err("read", e))?;
        let Scan { records, valid } = scan(&bytes);
        if valid < bytes.len() {
            tracing::warn!(
                path = %path.display(),
                offset = valid,
                dropped = bytes.len() - valid,
                "write-ahead log ends in a torn or corrupt record; cutting it off"
            );
            file.set_len(valid as u64)
                .and_then(|()| file.sync_data())
                .map_err(|e| wal_err("cut", e))?;
        }
        file.seek(SeekFrom::Start(valid as u64))
            .map_err(|e| wal_err("seek", e))?;
        let seg = Seg {
            file,
            path: path.to_path_buf(),
            len: valid as u64,
        };
        Ok((seg, records))
    }

    /// Empties the file (not synced: records left by a lost emptying are
    /// at or below a checkpoint, and skipped on replay).
    fn empty(&mut self) -> Result<(), DbError> {
        self.file
            .set_len(0)
            .and_then(|()| self.file.seek(SeekFrom::Start(0)).map(drop))
            .map_err(|e| wal_err("empty", e))?;
        self.len = 0;
        Ok(())
    }
}

/// The log beside the database, owned by the writer thread: two files
/// used in turn. Records are appended to the current one; a checkpoint
/// begins by [`Wal::rotate`], which makes the other one current, so
/// appends go on while the checkpoint applies the records of the one
/// left behind, and [`Wal::release`] empties that one once they are in
/// redb.
pub(super) struct Wal {
    segs: [Seg; 2],
    /// The file appends go to.
    cur: usize,
    /// The last sequence number handed out.
    last: u64,
    /// When the first record in the current file was appended.
    since: Option<Instant>,
    /// The record being built.
    buf: Vec<u8>,
    /// Failures on command (tests), `None` in service.
    faults: Option<Arc<Faults>>,
    /// An append failed and could not be cut back (the file may end in a
    /// torn record, and its sequence number is spent), or emptying the log
    /// failed: nothing may be appended until a checkpoint records the
    /// number and empties it.
    broken: bool,
}

/// `<db file>.wal`: the log's first file.
pub(super) fn path_for(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".wal");
    PathBuf::from(p)
}

/// The log's two files: `<db file>.wal` and `<db file>.wal.1`.
pub(super) fn paths_for(db: &Path) -> [PathBuf; 2] {
    let first = path_for(db);
    let mut second = first.clone().into_os_string();
    second.push(".1");
    [first, PathBuf::from(second)]
}

impl Wal {
    /// Opens (or creates) the log of the database at `db`, whose records
    /// up to `checkpointed` are already in the database; returns the
    /// records to replay (from both files), in order. Torn or corrupt
    /// tails are cut off (with a warning giving the offset).
    ///
    /// # Errors
    ///
    /// A file cannot be read or cut, or its records start after
    /// `checkpointed + 1` (it belongs to another database).
    pub(super) fn open(
        db: &Path,
        checkpointed: u64,
        faults: Option<Arc<Faults>>,
    ) -> Result<(Wal, Records), DbError> {
        let [p0, p1] = paths_for(db);
        let (s0, r0) = Seg::open(&p0)?;
        let (s1, r1) = Seg::open(&p1)?;
        if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The files' names must survive a crash as well as their bytes.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        let mut records: Records = r0
            .into_iter()
            .chain(r1)
            .filter(|(lsn, _)| *lsn > checkpointed)
            .collect();
        records.sort_by_key(|(lsn, _)| *lsn);
        let mut replay: Records = Vec::with_capacity(records.len());
        for (lsn, ops) in records {
            let next = replay.last().map_or(checkpointed, |(l, _)| *l) + 1;
            if lsn != next {
                if replay.is_empty() {
                    return Err(DbError::new(format!(
                        "write-ahead log {} starts at record {lsn} but the database has only \
                         {checkpointed}: it belongs to another database",
                        p0.display()
                    )));
                }
                tracing::warn!(
                    expected = next,
                    found = lsn,
                    "write-ahead log has a gap; replaying up to it"
                );
                break;
            }
            replay.push((lsn, ops));
        }
        let last = replay.last().map_or(checkpointed, |(lsn, _)| *lsn);
        let any = s0.len > 0 || s1.len > 0;
        let wal = Wal {
            segs: [s0, s1],
            cur: 0,
            last,
            since: any.then(Instant::now),
            buf: Vec::new(),
            faults,
            broken: false,
        };
        Ok((wal, replay))
    }

    /// The last sequence number handed out (what a checkpoint records).
    pub(super) fn last(&self) -> u64 {
        self.last
    }

    /// Bytes in the current file (appended since the last rotation).
    pub(super) fn len(&self) -> u64 {
        self.segs[self.cur].len
    }

    /// Bytes in both files.
    pub(super) fn total_len(&self) -> u64 {
        self.segs[0].len + self.segs[1].len
    }

    /// When the first record in the current file was appended.
    pub(super) fn since(&self) -> Option<Instant> {
        self.since
    }

    /// Whether the log can take appends (a checkpoint repairs it).
    pub(super) fn usable(&self) -> bool {
        !self.broken
    }

    /// Makes the other file current, if the log is usable, the current
    /// file holds records and the other is empty; returns the last
    /// sequence number in the file left behind (what the checkpoint of
    /// its records records).
    pub(super) fn rotate(&mut self) -> Option<u64> {
        let other = 1 - self.cur;
        if self.broken || self.segs[self.cur].len == 0 || self.segs[other].len > 0 {
            return None;
        }
        self.cur = other;
        self.since = None;
        Some(self.last)
    }

    /// Empties the file left behind by [`Wal::rotate`], whose records a
    /// checkpoint has put in the database.
    ///
    /// # Errors
    ///
    /// The file cannot be cut; the next rotation waits until a later
    /// release (or [`Wal::reset`]) empties it.
    pub(super) fn release(&mut self) -> Result<(), DbError> {
        self.segs[1 - self.cur].empty()
    }

    /// Builds the next record from `ops` (not yet written).
    ///
    /// # Errors
    ///
    /// As [`encode`].
    pub(super) fn prepare<'a>(
        &mut self,
        ops: impl IntoIterator<Item = LogOp<'a>>,
    ) -> Result<(), DbError> {
        self.buf.clear();
        encode(&mut self.buf, self.last + 1, ops)
    }

    /// Writes the prepared record with one `write` and makes it durable
    /// with one `fdatasync`. On failure, the file is cut back to its last
    /// whole record and synced; if that works, the log stays usable (the
    /// next append retries, so a full disk refuses stores until space
    /// returns, without touching the database); if not, the log takes no
    /// more records until the next checkpoint.
    ///
    /// # Errors
    ///
    /// The write or the sync failed; the record is not in the log.
    pub(super) fn append(&mut self) -> Result<(), DbError> {
        if self.broken {
            return Err(DbError::new("write-ahead log unusable until a checkpoint"));
        }
        let seg = &mut self.segs[self.cur];
        let written = faults::write_and_sync(&mut seg.file, &self.buf, self.faults.as_deref());
        match written {
            Ok(()) => {
                self.last += 1;
                seg.len += self.buf.len() as u64;
                self.since.get_or_insert_with(Instant::now);
                Ok(())
            }
            Err(e) => {
                // Cut back what may have been written. Only if the cut is
                // durable is the record's number free again; if not, the
                // number is spent (a record that reached the disk anyway
                // must never be taken for a later one) and the log takes
                // no more records until a checkpoint has recorded it: the
                // next record must not follow a gap (replay stops at one).
                if !self.undo() {
                    self.last += 1;
                    self.broken = true;
                }
                Err(wal_err("append", e))
            }
        }
    }

    /// Cuts the current file back to its whole records, durably; whether
    /// that worked.
    fn undo(&mut self) -> bool {
        let seg = &mut self.segs[self.cur];
        let len = seg.len;
        let cut = seg
            .file
            .set_len(len)
            .and_then(|()| seg.file.seek(SeekFrom::Start(len)).map(drop))
            .and_then(|()| faults::sync(&seg.file, self.faults.as_deref()));
        match cut {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(path = %seg.path.display(), error = %e, "cannot cut the write-ahead log back");
                false
            }
        }
    }

    /// Empties both files after a checkpoint has made all their records
    /// durable in the database. If the emptying is lost in a crash, the
    /// old records are at or below the checkpoint and skipped on replay.
    ///
    /// # Errors
    ///
    /// A file cannot be cut; appends wait for the next checkpoint.
    pub(super) fn reset(&mut self) -> Result<(), DbError> {
        let cut = self.segs[0].empty().and_then(|()| self.segs[1].empty());
        match cut {
            Ok(()) => {
                self.cur = 0;
                self.since = None;
                self.broken = false;
                Ok(())
            }
            Err(e) => {
                self.broken = true;
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(n: u8) -> Vec<Logged> {
        vec![
            Logged::Store {
                name: format!("k{n}"),
                data: vec![n; usize::from(n) * 3],
            },
            Logged::Delete {
                name: format!("d{n}"),
            },
        ]
    }

    fn encode_owned(out: &mut Vec<u8>, lsn: u64, ops: &[Logged]) {
        encode(
            out,
            lsn,
            ops.iter().map(|op| match op {
                Logged::Store { name, data } => LogOp::Store { name, data },
                Logged::Delete { name } => LogOp::Delete { name },
            }),
        )
        .unwrap();
    }

    /// The layout in the module docs, byte for byte.
    #[test]
    fn record_bytes() {
        let mut log = Vec::new();
        encode_owned(
            &mut log,
            7,
            &[
                Logged::Store {
                    name: "k".into(),
                    data: vec![0xAA, 0xBB],
                },
                Logged::Delete { name: "d".into() },
            ],
        );
        let payload = [
            7, 0, 0, 0, 0, 0, 0, 0, // lsn
            2, 0, 0, 0, // count
            1, 1, 0, 0, 0, b'k', 2, 0, 0, 0, 0xAA, 0xBB, // store k
            2, 1, 0, 0, 0, b'd', // delete d
        ];
        let mut want = (payload.len() as u32).to_le_bytes().to_vec();
        want.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        want.extend_from_slice(&payload);
        assert_eq!(log, want);
    }

    /// Records read back as written; cutting the last one anywhere, or
    /// flipping any byte of it, keeps exactly the ones before.
    #[test]
    fn torn_or_corrupt_tail_keeps_the_records_before() {
        let mut log = Vec::new();
        let mut ends = Vec::new();
        for n in 1..=4u8 {
            encode_owned(&mut log, u64::from(n) + 10, &ops(n));
            ends.push(log.len());
        }
        let all = scan(&log);
        assert_eq!(all.valid, log.len());
        let want: Vec<_> = (1..=4u8).map(|n| (u64::from(n) + 10, ops(n))).collect();
        assert_eq!(all.records, want);
        let before = ends[2];
        for cut in before..log.len() {
            let s = scan(&log[..cut]);
            assert_eq!(s.valid, before, "cut at {cut}");
            assert_eq!(s.records, want[..3], "cut at {cut}");
        }
        for i in before..log.len() {
            for bit in [0x01, 0x80] {
                let mut bad = log.clone();
                bad[i] ^= bit;
                let s = scan(&bad);
                assert_eq!(s.records, want[..3], "flip at {i}");
                assert_eq!(s.valid, before);
            }
        }
    }

    /// A sequence number out of order ends the log; garbage, zeros and
    /// huge lengths read as nothing, without allocating for them.
    #[test]
    fn garbage_reads_as_nothing() {
        let mut log = Vec::new();
        encode_owned(&mut log, 5, &ops(1));
        let first = log.len();
        encode_owned(&mut log, 7, &ops(2));
        let s = scan(&log);
        assert_eq!((s.records.len(), s.valid), (1, first));
        assert_eq!(scan(&[0; 64]), Scan::default());
        let mut huge = vec![0xff; 8];
        huge.extend_from_slice(&[1; 32]);
        assert_eq!(scan(&huge), Scan::default());
        // A count far beyond the payload.
        let mut lying = Vec::new();
        encode(&mut lying, 1, []).unwrap();
        lying[HEAD + 8..HEAD + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        let crc = crc32fast::hash(&lying[HEAD..]);
        lying[4..8].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(scan(&lying), Scan::default());
    }
}
