//! What both engines take and return: [`DbError`], [`Meta`], [`Change`].

use crate::storage::protocol::ChangeKind;

/// A database failure, reported to clients as `EIO`.
///
/// It carries the failure's text, not its source: the engines turn every
/// cause into one line (`Display`), and `source()` returns nothing.
#[derive(Debug, Clone, thiserror::Error)]
#[error("database error: {0}")]
pub struct DbError(pub(super) String);

impl DbError {
    pub(super) fn new(what: impl Into<String>) -> DbError {
        DbError(what.into())
    }
}

/// A [`DbError`] saying what `e` says.
pub(super) fn db_err(e: impl std::fmt::Display) -> DbError {
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

/// What sees every committed change, in commit order.
pub(super) type OnCommit = dyn Fn(&[Change]) + Send + Sync;

/// Where a value is and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Version of the commit that stored it.
    pub version: u64,
    /// Size in bytes.
    pub size: u64,
    /// 0: inline (or in memory).
    pub(super) blob: u64,
}

impl Meta {
    pub(super) fn new(version: u64, size: u64, blob: u64) -> Meta {
        Meta {
            version,
            size,
            blob,
        }
    }
}
