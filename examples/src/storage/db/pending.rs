//! The writes that are in the write-ahead log but not yet in redb, which
//! readers consult before redb.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use super::types::Meta;

/// Acknowledged inline stores (`Some`) and deletes (`None`) that are in
/// the write-ahead log but not yet in redb, the last of each name: readers
/// look here before redb. Only the writer changes it: it adds a logged
/// batch's writes before acknowledging them, and a checkpoint applies
/// them all to redb in one durable commit, then empties it. A read that
/// misses here and then asks a reader thread sees that commit, since the
/// thread begins its transaction after taking the read.
pub(super) type Pending = Arc<RwLock<BTreeMap<String, Pended>>>;

/// A pending write: the stored value and its metadata, or `None` (deleted).
pub(super) type Pended = Option<(Meta, Vec<u8>)>;

/// `f` of `name`'s pending write, if it has one.
pub(super) fn peek<T>(
    pending: &Pending,
    name: &str,
    f: impl FnOnce(Option<&(Meta, Vec<u8>)>) -> T,
) -> Option<T> {
    let p = pending.read().unwrap_or_else(|e| e.into_inner());
    p.get(name).map(|v| f(v.as_ref()))
}
