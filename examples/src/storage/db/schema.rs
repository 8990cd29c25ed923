//! The redb tables and the encoding of their rows.
//!
//! A value of at most [`INLINE`] bytes is stored inline in its metadata
//! row; a larger one (or one uploaded in chunks) is a blob of chunks:
//!
//! ```text
//! meta2    name             -> version u64 | size u64 | blob u64 | inline bytes
//!                              (little-endian; blob 0: the value is inline)
//! chunks2  (blob, index)    -> up to CHUNK bytes
//! seq2     "version"|"blob" -> last number handed out
//! uploads2 blob             -> 0 (uploads begun, not yet committed)
//! wal2     "lsn"            -> last write-ahead log record durable here
//! ```
//!
//! A file whose tables have other names (none of these) opens as an empty
//! database.

use redb::TableDefinition;

use super::types::{db_err, DbError, Meta};

/// Metadata rows by name (see [`encode_row`]).
pub(super) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta2");
/// The chunks of each blob, by (blob, index).
pub(super) const CHUNKS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("chunks2");
/// `"version"` and `"blob"`: the last of each handed out.
pub(super) const SEQ: TableDefinition<&str, u64> = TableDefinition::new("seq2");
/// Blobs of uploads begun and not yet committed or aborted: what a crash
/// can leave behind, so all that opening the database has to collect.
pub(super) const UPLOADS: TableDefinition<u64, u64> = TableDefinition::new("uploads2");
/// `"lsn"`: the last write-ahead log record whose batch is durable in the
/// database (written by each checkpoint, in its transaction).
pub(super) const WAL_TABLE: TableDefinition<&str, u64> = TableDefinition::new("wal2");

/// The `chunks2` table, open for writing.
pub(super) type ChunkTable<'t> = redb::Table<'t, (u64, u64), &'static [u8]>;
/// The `meta2` table, open for writing.
pub(super) type MetaTable<'t> = redb::Table<'t, &'static str, &'static [u8]>;

/// Values of at most this many bytes are stored inline in their metadata
/// row (one insert per store, nothing to delete when overwritten); larger
/// ones in chunks.
pub const INLINE: usize = 16 * 1024;

/// version, size, blob: the fixed part of a metadata row.
const ROW_HEAD: usize = 24;

/// A metadata row, decoded.
pub(super) struct Row<'a> {
    pub(super) meta: Meta,
    pub(super) inline: &'a [u8],
}

/// Writes the row of `meta` and its `inline` bytes into `row`.
pub(super) fn encode_row(row: &mut Vec<u8>, meta: Meta, inline: &[u8]) {
    row.clear();
    row.extend_from_slice(&meta.version.to_le_bytes());
    row.extend_from_slice(&meta.size.to_le_bytes());
    row.extend_from_slice(&meta.blob.to_le_bytes());
    row.extend_from_slice(inline);
}

/// Reads a row written by [`encode_row`].
pub(super) fn decode_row(b: &[u8]) -> Result<Row<'_>, DbError> {
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
        _ => Err(DbError::new("corrupt metadata row")),
    }
}

/// Removes every chunk of `blob`.
pub(super) fn drop_chunks(chunks: &mut ChunkTable<'_>, blob: u64) -> Result<(), DbError> {
    chunks
        .retain_in((blob, 0)..=(blob, u64::MAX), |_, _| false)
        .map_err(db_err)
}
