//! The redb tables and the encoding of their rows.
//!
//! A value of at most [`INLINE`] bytes is stored inline in its metadata
//! row; a larger one (or one uploaded in chunks) is a blob of chunks:
//!
//! ```text
//! meta3    name             -> version varint | blob varint | inline bytes (blob 0)
//!                                                          | size varint   (a blob)
//!                              (LEB128 varints; a 32-byte value's row is 36-37 bytes)
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
pub(super) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta3");
/// The metadata rows of the previous layout (see [`decode_row_v2`]),
/// moved into [`META`] when a database is opened.
pub(super) const META_V2: TableDefinition<&str, &[u8]> = TableDefinition::new("meta2");
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

/// A metadata row, decoded.
pub(super) struct Row<'a> {
    pub(super) meta: Meta,
    pub(super) inline: &'a [u8],
}

/// Writes the row of `meta` and its `inline` bytes into `row`: varints
/// (LEB128) of the version and the blob, then the inline bytes (blob 0:
/// the size is their count) or a varint of the size (a blob).
pub(super) fn encode_row(row: &mut Vec<u8>, meta: Meta, inline: &[u8]) {
    row.clear();
    push_varint(row, meta.version);
    push_varint(row, meta.blob);
    if meta.blob == 0 {
        row.extend_from_slice(inline);
    } else {
        push_varint(row, meta.size);
    }
}

/// Reads a row written by [`encode_row`].
pub(super) fn decode_row(b: &[u8]) -> Result<Row<'_>, DbError> {
    let corrupt = || DbError::new("corrupt metadata row");
    let (version, rest) = take_varint(b).ok_or_else(corrupt)?;
    let (blob, rest) = take_varint(rest).ok_or_else(corrupt)?;
    if blob == 0 {
        return Ok(Row {
            meta: Meta::new(version, rest.len() as u64, 0),
            inline: rest,
        });
    }
    match take_varint(rest) {
        Some((size, [])) => Ok(Row {
            meta: Meta::new(version, size, blob),
            inline: &[],
        }),
        _ => Err(corrupt()),
    }
}

/// Reads a row of the previous layout (`meta2`: version, size, blob as
/// little-endian u64s, then the inline bytes); for the migration on open.
pub(super) fn decode_row_v2(b: &[u8]) -> Result<Row<'_>, DbError> {
    let word = |i: usize| {
        b.get(i * 8..i * 8 + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_le_bytes)
    };
    match (word(0), word(1), word(2)) {
        (Some(version), Some(size), Some(blob)) => Ok(Row {
            meta: Meta::new(version, size, blob),
            inline: &b[24..],
        }),
        _ => Err(DbError::new("corrupt metadata row")),
    }
}

/// Appends `v` as a LEB128 varint.
fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a LEB128 varint of at most ten bytes that fits a u64; returns
/// it and the rest.
fn take_varint(b: &[u8]) -> Option<(u64, &[u8])> {
    let mut v = 0u64;
    for (i, &byte) in b.iter().enumerate().take(10) {
        let bits = u64::from(byte & 0x7F);
        if i == 9 && bits > 1 {
            return None;
        }
        v |= bits << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, &b[i + 1..]));
        }
    }
    None
}

/// Removes every chunk of `blob`.
pub(super) fn drop_chunks(chunks: &mut ChunkTable<'_>, blob: u64) -> Result<(), DbError> {
    chunks
        .retain_in((blob, 0)..=(blob, u64::MAX), |_, _| false)
        .map_err(db_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows read back as written, inline or not, at the varints' edges;
    /// the bytes of a small one are as documented; cut or overlong rows
    /// of blobs are refused.
    #[test]
    fn rows_round_trip() {
        let mut row = Vec::new();
        encode_row(&mut row, Meta::new(300, 3, 0), b"abc");
        assert_eq!(row, [0xAC, 0x02, 0x00, b'a', b'b', b'c']);
        for version in [0, 1, 127, 128, u64::MAX] {
            for (size, blob, inline) in
                [(0, 0, &b""[..]), (5, 0, b"hello"), (1 << 40, u64::MAX, b"")]
            {
                let m = Meta::new(version, size, blob);
                encode_row(&mut row, m, inline);
                let back = decode_row(&row).unwrap();
                assert_eq!((back.meta, back.inline), (m, inline));
                if blob != 0 {
                    for cut in 0..row.len() {
                        assert!(decode_row(&row[..cut]).is_err(), "{cut}");
                    }
                    let mut long = row.clone();
                    long.push(0);
                    assert!(decode_row(&long).is_err());
                }
            }
        }
        assert!(take_varint(&[0xFF; 10]).is_none());
        assert_eq!(take_varint(&[0x80, 0x00]), Some((0, &[][..])));
    }
}
