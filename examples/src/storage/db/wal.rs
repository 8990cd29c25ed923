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
//! An emptied file keeps its length, and a file grows in zero-filled steps
//! of [`GROW`]: nearly every append overwrites bytes the file already has,
//! so its `fdatasync` does not also have to commit a new file length to the
//! filesystem's journal (a third less time per sync on ext4 here). So
//! that the records of an earlier round, left in place, are never read as
//! this round's, emptying writes a new random salt into the file's header,
//! and each record's checksum continues from the one before, starting from
//! the salt: a chain that only this round's records follow. A clean close
//! cuts both files to their headers.
//!
//! ```text
//! file     "codecWAL" | salt u32 | crc u32 | record * | zeros or stale bytes
//!          crc: CRC-32 (IEEE) of the 12 bytes before it
//! record   len u32 | crc u32 | payload            (little-endian)
//!          len: bytes of payload; crc: CRC-32 of payload continued from
//!          the previous record's crc (from the salt for the first)
//! payload  lsn u64 | count u32 | op * count
//! op       1 | name len u32 | name | data len u32 | data     (store)
//!          2 | name len u32 | name                           (delete)
//! ```
//!
//! A crash can only tear the record the writer had not yet acknowledged,
//! so reading stops at the first record whose length, checksum, contents
//! or sequence number (each one more than the last) is wrong, and the next
//! append overwrites it. A file written before the header and the chain
//! (records only, each checksum on its own) is read once and rewritten in
//! this format.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use codec::{Decode, Encode};

use super::faults::{self, Faults};
use super::types::DbError;

/// Bytes before a record's payload: length and checksum.
const HEAD: usize = 8;

/// The first bytes of every log file, before its salt.
const MAGIC: [u8; 8] = *b"codecWAL";

/// Bytes of a file's header: [`MAGIC`], the salt, and a CRC-32 of both.
pub(super) const HEADER: u64 = 16;

/// A file grows in zero-filled steps of this size (the record that passes
/// its end is written with the zeros after it), so that nearly every
/// append overwrites bytes already in the file: its `fdatasync` then
/// writes the data only, not the file's new length as well (on ext4 here
/// about a third less time per sync: docs/BENCHMARKS.md).
pub(super) const GROW: u64 = 256 << 10;

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

impl<'a> From<&'a Logged> for LogOp<'a> {
    fn from(op: &'a Logged) -> Self {
        match op {
            Logged::Store { name, data } => LogOp::Store { name, data },
            Logged::Delete { name } => LogOp::Delete { name },
        }
    }
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
    /// The last well-formed record's checksum (the seed if none).
    pub chain: u32,
}

fn wal_err(what: &str, e: impl std::fmt::Display) -> DbError {
    DbError::new(format!("write-ahead log: {what}: {e}"))
}

/// Appends one record (`lsn` and `ops`) to `out`, its checksum chained
/// from `chain` (the file's salt, or the checksum of the record before);
/// returns the record's checksum.
///
/// # Errors
///
/// A name, value or batch too long for its `u32` length (none is: values
/// in the log are at most the inline limit); `out` is then as it was.
pub(super) fn encode<'a>(
    out: &mut Vec<u8>,
    lsn: u64,
    ops: impl IntoIterator<Item = LogOp<'a>>,
    chain: u32,
) -> Result<u32, DbError> {
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
    let crc = checksum(chain, &out[start + HEAD..]);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    Ok(crc)
}

/// CRC-32 (IEEE) of `payload` continued from `chain`: in effect the CRC of
/// the salt and every payload since, which the stale records of an earlier
/// round (another salt) match no more than chance (2^-32) allows.
fn checksum(chain: u32, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(chain);
    h.update(payload);
    h.finalize()
}

/// How a file's records are checked.
#[derive(Debug, Clone, Copy)]
pub(super) enum Chain {
    /// Each checksum continues the one before, from the file's salt.
    From(u32),
    /// Each checksum stands alone: files written before the header and
    /// the chain (read once, then rewritten with both).
    Legacy,
}

/// Reads what `bytes` (a file's records, after its header) holds: records
/// in order, each with a sequence number one more than the one before and
/// a checksum chained as `chain` says, stopping at the first that is not
/// whole and well-formed. Allocates no more than the bytes justify.
pub(super) fn scan(bytes: &[u8], chain: Chain) -> Scan {
    let mut seed = match chain {
        Chain::From(salt) => salt,
        Chain::Legacy => 0,
    };
    let mut scan = Scan {
        chain: seed,
        ..Scan::default()
    };
    let mut prev: Option<u64> = None;
    while let Some((lsn, ops, end, crc)) = record(bytes, scan.valid, seed) {
        if prev.is_some_and(|p| p.checked_add(1) != Some(lsn)) {
            break;
        }
        prev = Some(lsn);
        scan.records.push((lsn, ops));
        scan.valid = end;
        scan.chain = crc;
        if let Chain::From(_) = chain {
            seed = crc;
        }
    }
    scan
}

/// The record at `at`, if whole, well-formed and chained from `seed`:
/// lsn, writes, end offset and checksum.
fn record(bytes: &[u8], at: usize, seed: u32) -> Option<(u64, Vec<Logged>, usize, u32)> {
    let head = bytes.get(at..at.checked_add(HEAD)?)?;
    let len = u32::from_le_bytes(head[..4].try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(head[4..].try_into().ok()?);
    let start = at + HEAD;
    let end = start.checked_add(len)?;
    let payload = bytes.get(start..end)?;
    if checksum(seed, payload) != crc {
        return None;
    }
    let Payload { lsn, ops } = Payload::from_bytes(payload).ok()?;
    Some((lsn, ops.into_iter().map(Logged::from).collect(), end, crc))
}

/// A file's header: [`MAGIC`], `salt`, and a CRC-32 of both.
fn header(salt: u32) -> [u8; HEADER as usize] {
    let mut h = [0; HEADER as usize];
    h[..8].copy_from_slice(&MAGIC);
    h[8..12].copy_from_slice(&salt.to_le_bytes());
    let crc = crc32fast::hash(&h[..12]);
    h[12..].copy_from_slice(&crc.to_le_bytes());
    h
}

/// The salt of a file that begins with a whole, intact header.
fn salt_of(bytes: &[u8]) -> Option<u32> {
    let h = bytes.get(..HEADER as usize)?;
    let salt = u32::from_le_bytes(h[8..12].try_into().ok()?);
    (h == header(salt)).then_some(salt)
}

/// What a whole log file holds, whatever its format (`valid` counts from
/// the file's first byte).
pub(super) fn scan_file(bytes: &[u8]) -> Scan {
    match salt_of(bytes) {
        Some(salt) => {
            let mut s = scan(&bytes[HEADER as usize..], Chain::From(salt));
            s.valid += HEADER as usize;
            s
        }
        None if bytes.starts_with(&MAGIC) => Scan::default(),
        None => scan(bytes, Chain::Legacy),
    }
}

/// Bytes of whole records in the log file at `path` (0 without one).
#[cfg(test)]
pub(super) fn logged_bytes(path: &Path) -> u64 {
    let bytes = std::fs::read(path).unwrap_or_default();
    let head = if salt_of(&bytes).is_some() { HEADER } else { 0 };
    (scan_file(&bytes).valid as u64).saturating_sub(head)
}

/// A salt for a file being started or emptied: not 0, not `old`, and not
/// to be guessed by whoever chose the values in the log (the standard
/// library's randomly keyed hasher, over the clock).
fn fresh_salt(old: u32) -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(old);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    h.write_u128(now.map_or(0, |d| d.as_nanos()));
    let bits = h.finish();
    let salt = (bits ^ (bits >> 32)) as u32 | 1;
    if salt == old {
        salt.wrapping_add(2)
    } else {
        salt
    }
}

/// One of the log's two files: a header, then records from offset
/// [`HEADER`], then zeros or the records of earlier rounds (which the
/// checksum chain rules out) up to `size`.
struct Seg {
    file: File,
    path: PathBuf,
    /// Bytes of whole records after the header.
    len: u64,
    /// The file's length.
    size: u64,
    /// The salt in the header.
    salt: u32,
    /// The checksum of the last record (the salt if none): the next
    /// record's chain.
    chain: u32,
}

impl Seg {
    /// Opens (or creates) the file at `path` and reads its whole records;
    /// the next append overwrites whatever follows them (a torn or corrupt
    /// record, zeros, an earlier round's records). A file without a header
    /// (new, or written before the header and the checksum chain) is first
    /// rewritten with both and its whole records, through a temporary file
    /// renamed over it (the caller syncs the directory).
    fn open(path: &Path) -> Result<(Seg, Records), DbError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(wal_err("read", e)),
        };
        let Scan {
            records,
            valid,
            chain,
        } = scan_file(&bytes);
        let (salt, len, size, chain) = match salt_of(&bytes) {
            Some(salt) => {
                if bytes[valid..].iter().take(HEAD).any(|&b| b != 0) {
                    tracing::debug!(
                        path = %path.display(),
                        offset = valid,
                        "write-ahead log: a torn record, or an earlier round's, after the last whole one"
                    );
                }
                (salt, valid as u64 - HEADER, bytes.len() as u64, chain)
            }
            None => {
                if bytes.starts_with(&MAGIC) {
                    tracing::warn!(path = %path.display(), "write-ahead log header is corrupt; starting the file afresh");
                }
                let salt = fresh_salt(0);
                let mut out = header(salt).to_vec();
                let mut chain = salt;
                for (lsn, ops) in &records {
                    chain = encode(&mut out, *lsn, ops.iter().map(LogOp::from), chain)?;
                }
                let mut tmp = path.as_os_str().to_owned();
                tmp.push(".tmp");
                std::fs::write(&tmp, &out)
                    .and_then(|()| File::open(&tmp)?.sync_all())
                    .and_then(|()| std::fs::rename(&tmp, path))
                    .map_err(|e| wal_err("rewrite", e))?;
                let len = out.len() as u64;
                (salt, len - HEADER, len, chain)
            }
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| wal_err("open", e))?;
        let seg = Seg {
            file,
            path: path.to_path_buf(),
            len,
            size,
            salt,
            chain,
        };
        Ok((seg, records))
    }

    /// Empties the file: a new salt in its header, so that its records no
    /// longer chain; the file keeps its length (the next round overwrites
    /// it) unless that is over `keep`. Not synced: records left by a lost
    /// emptying are at or below a checkpoint, and skipped on replay; the
    /// next append's sync makes the new header durable with its record.
    fn empty(&mut self, keep: u64) -> Result<(), DbError> {
        let salt = fresh_salt(self.salt);
        if self.size > keep {
            self.file.set_len(0).map_err(|e| wal_err("empty", e))?;
            self.size = 0;
        }
        self.file
            .write_all_at(&header(salt), 0)
            .map_err(|e| wal_err("empty", e))?;
        self.size = self.size.max(HEADER);
        self.len = 0;
        self.salt = salt;
        self.chain = salt;
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
    /// The checksum of the record in `buf`: the chain once it is appended.
    crc: u32,
    /// A file longer than this when emptied is cut to its header.
    keep: u64,
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
    /// records to replay (from both files), in order. A file longer than
    /// `keep` is cut to its header when emptied.
    ///
    /// # Errors
    ///
    /// A file cannot be read or cut, or its records start after
    /// `checkpointed + 1` (it belongs to another database).
    pub(super) fn open(
        db: &Path,
        checkpointed: u64,
        keep: u64,
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
            crc: 0,
            keep,
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
        self.segs[1 - self.cur].empty(self.keep)
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
        self.crc = encode(&mut self.buf, self.last + 1, ops, self.segs[self.cur].chain)?;
        Ok(())
    }

    /// Writes the prepared record with one `write` and makes it durable
    /// with one `fdatasync`; a record that passes the file's end is
    /// written with zeros after it up to the next multiple of [`GROW`].
    /// On failure, the file is cut back to its last
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
        let record = self.buf.len() as u64;
        let at = HEADER + seg.len;
        if at + record > seg.size {
            let grown = (at + record).next_multiple_of(GROW);
            self.buf.resize((grown - at) as usize, 0);
        }
        let written = faults::write_and_sync(&seg.file, &self.buf, at, self.faults.as_deref());
        let end = at + self.buf.len() as u64;
        self.buf.truncate(record as usize);
        match written {
            Ok(()) => {
                self.last += 1;
                seg.len += record;
                seg.size = seg.size.max(end);
                seg.chain = self.crc;
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
        let end = HEADER + seg.len;
        let cut = seg
            .file
            .set_len(end)
            .and_then(|()| faults::sync(&seg.file, self.faults.as_deref()));
        match cut {
            Ok(()) => {
                seg.size = end;
                true
            }
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
        let cut = self.segs[0]
            .empty(self.keep)
            .and_then(|()| self.segs[1].empty(self.keep));
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

    /// Empties both files and cuts them to their headers (a clean close:
    /// at rest the log takes no room).
    ///
    /// # Errors
    ///
    /// As [`Wal::reset`].
    pub(super) fn shrink(&mut self) -> Result<(), DbError> {
        self.keep = 0;
        self.reset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALT: u32 = 0x5eed_0001;

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

    /// Appends records to `out`, chained from `chain`; returns the last
    /// checksum.
    fn encode_all(out: &mut Vec<u8>, mut chain: u32, records: &[(u64, Vec<Logged>)]) -> u32 {
        for (lsn, ops) in records {
            chain = encode(out, *lsn, ops.iter().map(LogOp::from), chain).unwrap();
        }
        chain
    }

    fn numbered(lsns: impl IntoIterator<Item = u64>) -> Records {
        lsns.into_iter().map(|l| (l, ops(l as u8))).collect()
    }

    /// The layout in the module docs, byte for byte: the header, then a
    /// record whose checksum continues from the salt.
    #[test]
    fn record_bytes() {
        let mut log = header(SALT).to_vec();
        let records = vec![(
            7,
            vec![
                Logged::Store {
                    name: "k".into(),
                    data: vec![0xAA, 0xBB],
                },
                Logged::Delete { name: "d".into() },
            ],
        )];
        encode_all(&mut log, SALT, &records);
        let payload = [
            7, 0, 0, 0, 0, 0, 0, 0, // lsn
            2, 0, 0, 0, // count
            1, 1, 0, 0, 0, b'k', 2, 0, 0, 0, 0xAA, 0xBB, // store k
            2, 1, 0, 0, 0, b'd', // delete d
        ];
        let mut want = b"codecWAL".to_vec();
        want.extend_from_slice(&SALT.to_le_bytes());
        want.extend_from_slice(&crc32fast::hash(&want).to_le_bytes());
        want.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        let mut crc = crc32fast::Hasher::new_with_initial(SALT);
        crc.update(&payload);
        want.extend_from_slice(&crc.finalize().to_le_bytes());
        want.extend_from_slice(&payload);
        assert_eq!(log, want);
        assert_eq!(scan_file(&log).records, records);
    }

    /// Records read back as written; cutting the last one anywhere, or
    /// flipping any byte of it, keeps exactly the ones before.
    #[test]
    fn torn_or_corrupt_tail_keeps_the_records_before() {
        let want = numbered(11..=14);
        let mut log = Vec::new();
        let mut ends = Vec::new();
        let mut chain = SALT;
        for r in &want {
            chain = encode_all(&mut log, chain, std::slice::from_ref(r));
            ends.push(log.len());
        }
        let all = scan(&log, Chain::From(SALT));
        assert_eq!((all.valid, all.chain), (log.len(), chain));
        assert_eq!(all.records, want);
        let before = ends[2];
        for cut in before..log.len() {
            let s = scan(&log[..cut], Chain::From(SALT));
            assert_eq!(s.valid, before, "cut at {cut}");
            assert_eq!(s.records, want[..3], "cut at {cut}");
        }
        for i in before..log.len() {
            for bit in [0x01, 0x80] {
                let mut bad = log.clone();
                bad[i] ^= bit;
                let s = scan(&bad, Chain::From(SALT));
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
        let chain = encode_all(&mut log, SALT, &numbered([5]));
        let first = log.len();
        encode_all(&mut log, chain, &numbered([7]));
        let s = scan(&log, Chain::From(SALT));
        assert_eq!((s.records.len(), s.valid), (1, first));
        let nothing = |bytes: &[u8]| {
            let s = scan(bytes, Chain::From(SALT));
            s.records.is_empty() && s.valid == 0
        };
        assert!(nothing(&[0; 64]));
        let mut huge = vec![0xff; 8];
        huge.extend_from_slice(&[1; 32]);
        assert!(nothing(&huge));
        // A count far beyond the payload.
        let mut lying = Vec::new();
        encode(&mut lying, 1, [], SALT).unwrap();
        lying[HEAD + 8..HEAD + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        let crc = checksum(SALT, &lying[HEAD..]);
        lying[4..8].copy_from_slice(&crc.to_le_bytes());
        assert!(nothing(&lying));
    }

    /// A file emptied keeps its bytes and gets a new salt; records of the
    /// next round overwrite the start of the earlier round's, and reading
    /// stops where they end: neither the earlier round's next record nor
    /// a record placed there with the right sequence number and a valid
    /// checksum of its own (as a value in the log could hold one) is
    /// taken, since neither continues the new chain (on its own, the
    /// planted record reads as well-formed).
    #[test]
    fn an_earlier_rounds_records_are_not_read_as_this_ones() {
        let old_salt = SALT;
        let new_salt = fresh_salt(old_salt);
        assert_ne!(new_salt, old_salt);
        let mut file = header(old_salt).to_vec();
        encode_all(&mut file, old_salt, &numbered(1..=6));
        let mut round = header(new_salt).to_vec();
        let chain = encode_all(&mut round, new_salt, &numbered([20]));
        let end = round.len();
        file[..end].copy_from_slice(&round);
        let s = scan_file(&file);
        assert_eq!((s.records, s.valid), (numbered([20]), end));

        let mut planted = Vec::new();
        encode_all(&mut planted, 0, &numbered([21]));
        file.splice(end..end, planted.iter().copied());
        let s = scan_file(&file);
        assert_eq!((s.records, s.valid), (numbered([20]), end));
        let unchained = scan(&file[end..], Chain::Legacy);
        assert_eq!(unchained.records, numbered([21]), "the planted record");

        let mut next = file[..end].to_vec();
        encode_all(&mut next, chain, &numbered([21]));
        assert_eq!(scan_file(&next).records, numbered([20, 21]));
    }

    /// The files' lengths, which the log must know: an append that
    /// thinks it passes the end writes a whole step of zeros again.
    fn sizes(wal: &Wal, paths: &[PathBuf; 2]) -> [u64; 2] {
        let on_disk = paths
            .clone()
            .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()));
        assert_eq!(on_disk, [wal.segs[0].size, wal.segs[1].size]);
        on_disk
    }

    /// Appends go to a file already long enough: it grows by `GROW` at a
    /// time (not by each record), and an emptied file keeps its length for
    /// the next round (unless over `keep`). Reopened, the log replays
    /// exactly the records after the checkpoint, whatever the files hold
    /// beyond them.
    #[test]
    fn files_grow_in_steps_and_are_reused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db.redb");
        let paths = paths_for(&db);
        let (mut wal, replay) = Wal::open(&db, 0, u64::MAX, None).unwrap();
        assert!(replay.is_empty());
        assert_eq!(sizes(&wal, &paths), [HEADER, HEADER]);
        let value = vec![7u8; 1000];
        let append = |wal: &mut Wal, name: &str| {
            wal.prepare([LogOp::Store { name, data: &value }]).unwrap();
            wal.append().unwrap();
        };
        append(&mut wal, "a");
        assert_eq!(sizes(&wal, &paths), [GROW, HEADER]);
        let mut n = 1;
        while wal.len() + 2000 < GROW {
            append(&mut wal, "a");
            n += 1;
            assert_eq!(
                sizes(&wal, &paths),
                [GROW, HEADER],
                "record {n} grew the file"
            );
        }
        while wal.len() < GROW {
            append(&mut wal, "a");
        }
        assert_eq!(sizes(&wal, &paths), [2 * GROW, HEADER]);
        let checkpointed = wal.rotate().unwrap();
        append(&mut wal, "b");
        wal.release().unwrap();
        assert_eq!(sizes(&wal, &paths), [2 * GROW, GROW], "emptied, not cut");
        append(&mut wal, "b");
        let last = wal.last();
        drop(wal);

        let (mut wal, replay) = Wal::open(&db, checkpointed, u64::MAX, None).unwrap();
        let lsns: Vec<u64> = replay.iter().map(|r| r.0).collect();
        assert_eq!(lsns, [checkpointed + 1, last]);
        assert_eq!(wal.last(), last);
        wal.rotate();
        wal.release().unwrap();
        append(&mut wal, "c");
        assert_eq!(
            sizes(&wal, &paths),
            [2 * GROW, GROW],
            "the first file reused from its start"
        );
        wal.keep = GROW;
        wal.reset().unwrap();
        assert_eq!(sizes(&wal, &paths), [HEADER, GROW], "over keep: cut");
        wal.shrink().unwrap();
        assert_eq!(sizes(&wal, &paths), [HEADER, HEADER]);
        drop(wal);
        let (_, replay) = Wal::open(&db, last + 1, u64::MAX, None).unwrap();
        assert!(replay.is_empty());
    }

    /// A file written before the header and the checksum chain (records
    /// one after another, each checksum on its own) is replayed whole, and
    /// rewritten in the current format with the same records.
    #[test]
    fn a_file_without_a_header_is_read_and_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db.redb");
        let paths = paths_for(&db);
        let mut old = Vec::new();
        for r in numbered(3..=5) {
            encode_all(&mut old, 0, &[r]);
        }
        old.extend_from_slice(&[0xAB; 5]); // a torn tail
        std::fs::write(&paths[0], &old).unwrap();
        let (wal, replay) = Wal::open(&db, 2, u64::MAX, None).unwrap();
        assert_eq!(replay, numbered(3..=5));
        assert_eq!(wal.last(), 5);
        let now = std::fs::read(&paths[0]).unwrap();
        assert!(now.starts_with(&MAGIC));
        assert_eq!(scan_file(&now).records, numbered(3..=5));
        assert_eq!(scan_file(&now).valid, now.len());
    }
}
