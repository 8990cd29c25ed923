//! One write transaction: the open tables, and what a batch of writes
//! does in them (each write's effect on the rows, the chunks, the
//! counters, the read cache and the changes reported).

use std::collections::HashMap;

use bytes::Bytes;

use super::pending::Pended;
use super::request::{Answer, Reply, Write};
use super::schema::{
    decode_row, drop_chunks, encode_row, ChunkTable, MetaTable, CHUNKS, INLINE, META, UPLOADS,
};
use super::types::{db_err, Change, DbError, Meta};
use crate::storage::protocol::{ChangeKind, CHUNK};

/// The last version and blob id handed out: kept by the writer thread,
/// written to `seq2` once per commit that changes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Counters {
    pub(super) version: u64,
    pub(super) blob: u64,
}

/// One write transaction's open tables and what the batch has done in it
/// so far.
pub(super) struct Batch<'t> {
    meta: MetaTable<'t>,
    chunks: ChunkTable<'t>,
    uploads: redb::Table<'t, u64, u64>,
    /// The counters as the batch leaves them.
    c: Counters,
    /// The metadata row being written, reused.
    row: Vec<u8>,
    fill: HashMap<String, Pended>,
    changes: Vec<Change>,
}

/// What a batch did, for the writer to commit.
pub(super) struct Applied {
    /// The counters as the batch leaves them.
    pub(super) counters: Counters,
    /// The row buffer, handed back for reuse.
    pub(super) row: Vec<u8>,
    /// Every name the batch changes, with its new value if it is inline:
    /// what the cache must forget before the commit and learn after it.
    pub(super) fill: HashMap<String, Pended>,
    /// The changes to report once committed, in order.
    pub(super) changes: Vec<Change>,
}

impl<'t> Batch<'t> {
    /// Opens the tables of `tx` for a batch starting from `counters`,
    /// writing rows in `row`.
    pub(super) fn begin(
        tx: &'t redb::WriteTransaction,
        counters: Counters,
        row: Vec<u8>,
    ) -> Result<Batch<'t>, DbError> {
        Ok(Batch {
            meta: tx.open_table(META).map_err(db_err)?,
            chunks: tx.open_table(CHUNKS).map_err(db_err)?,
            uploads: tx.open_table(UPLOADS).map_err(db_err)?,
            c: counters,
            row,
            fill: HashMap::new(),
            changes: Vec::new(),
        })
    }

    /// Closes the tables (the transaction can then commit) and returns
    /// what the batch did.
    pub(super) fn finish(self) -> Applied {
        Applied {
            counters: self.c,
            row: self.row,
            fill: self.fill,
            changes: self.changes,
        }
    }
}

impl Batch<'_> {
    /// Applies one write: its answer (an error fails the whole batch).
    pub(super) fn apply(&mut self, write: Write) -> Answer {
        match write {
            Write::Store { name, data, reply } => Answer::Meta(reply, self.store(name, data)),
            Write::Commit {
                name,
                blob,
                size,
                reply,
            } => Answer::Meta(reply, self.commit(name, blob, size)),
            Write::Delete { name, reply } => Answer::Deleted(reply, self.delete(name)),
            Write::NewBlob { reply } => Answer::Blob(reply, self.new_blob()),
            Write::Chunk {
                blob,
                index,
                data,
                reply,
            } => Answer::Unit(reply, self.chunk(blob, index, &data)),
            Write::DropBlob { blob } => Answer::Unit(Reply::nobody(), self.drop_blob(blob)),
        }
    }

    fn store(&mut self, name: String, data: Vec<u8>) -> Result<Meta, DbError> {
        let size = data.len() as u64;
        let m = if data.len() <= INLINE {
            let m = self.point(&name, 0, size, &data)?;
            self.fill.insert(name.clone(), Some((m, Bytes::from(data))));
            m
        } else {
            self.fill.insert(name.clone(), None);
            self.c.blob += 1;
            let blob = self.c.blob;
            for (i, part) in data.chunks(CHUNK).enumerate() {
                self.chunks.insert((blob, i as u64), part).map_err(db_err)?;
            }
            self.point(&name, blob, size, &[])?
        };
        self.stored(name, m);
        Ok(m)
    }

    fn commit(&mut self, name: String, blob: u64, size: u64) -> Result<Meta, DbError> {
        self.uploads.remove(blob).map_err(db_err)?;
        self.fill.insert(name.clone(), None);
        let m = self.point(&name, blob, size, &[])?;
        self.stored(name, m);
        Ok(m)
    }

    /// Reports `name` stored as `m`.
    fn stored(&mut self, name: String, m: Meta) {
        self.changes.push(Change {
            kind: ChangeKind::Stored,
            name,
            version: m.version,
            size: m.size,
        });
    }

    fn delete(&mut self, name: String) -> Result<Option<u64>, DbError> {
        let old = match self.meta.remove(name.as_str()).map_err(db_err)? {
            Some(v) => Some(decode_row(v.value())?.meta.blob),
            None => None,
        };
        let Some(blob) = old else {
            return Ok(None);
        };
        self.fill.insert(name.clone(), None);
        if blob != 0 {
            drop_chunks(&mut self.chunks, blob)?;
        }
        self.c.version += 1;
        self.changes.push(Change {
            kind: ChangeKind::Deleted,
            name,
            version: self.c.version,
            size: 0,
        });
        Ok(Some(self.c.version))
    }

    fn new_blob(&mut self) -> Result<u64, DbError> {
        self.c.blob += 1;
        // In this transaction or an earlier one than any of its chunks, so
        // a crash never leaves chunks unlisted.
        self.uploads.insert(self.c.blob, 0).map_err(db_err)?;
        Ok(self.c.blob)
    }

    fn chunk(&mut self, blob: u64, index: u64, data: &[u8]) -> Result<(), DbError> {
        self.chunks.insert((blob, index), data).map_err(db_err)?;
        Ok(())
    }

    fn drop_blob(&mut self, blob: u64) -> Result<(), DbError> {
        self.uploads.remove(blob).map_err(db_err)?;
        drop_chunks(&mut self.chunks, blob)
    }

    /// Points `name` at `blob` (0: the `inline` bytes) under a new version,
    /// dropping the old blob.
    fn point(&mut self, name: &str, blob: u64, size: u64, inline: &[u8]) -> Result<Meta, DbError> {
        self.c.version += 1;
        let m = Meta::new(self.c.version, size, blob);
        encode_row(&mut self.row, m, inline);
        let old = match self
            .meta
            .insert(name, self.row.as_slice())
            .map_err(db_err)?
        {
            Some(v) => Some(decode_row(v.value())?.meta.blob),
            None => None,
        };
        if let Some(old) = old {
            if old != 0 && old != blob {
                drop_chunks(&mut self.chunks, old)?;
            }
        }
        Ok(m)
    }
}
