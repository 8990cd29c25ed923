//! The writes that are in the write-ahead log but not yet in redb, which
//! readers consult before redb.

use std::sync::{Arc, RwLock};

use bytes::Bytes;

use super::types::Meta;

/// Acknowledged inline stores (`Some`) and deletes (`None`) that are in
/// the write-ahead log but not yet in redb, the last of each name: readers
/// look here before redb. Only the writer changes it: it adds a logged
/// batch's writes before acknowledging them; when a checkpoint begins it
/// freezes them (moves them aside, still read, while new writes gather
/// anew), and once the checkpoint's durable commit is done it lets the
/// frozen ones go. A read that misses here and then asks a reader thread
/// sees that commit, since the thread begins its transaction after taking
/// the read.
pub(super) type Pending = Arc<RwLock<Maps>>;

/// A pending write: the stored value and its metadata, or `None` (deleted).
pub(super) type Pended = Option<(Meta, Bytes)>;

/// One layer of pending writes, by name. A hash map: every logged store
/// inserts into it and every read looks into it, while only a listing
/// wants names in order (it sorts the few it selects); a `BTreeMap` here
/// was a tenth of a durable 32-byte store's instructions (callgrind:
/// about 850 per insert among 1,000 names, comparing long common
/// prefixes all the way down).
pub(super) type Layer = foldhash::HashMap<String, Pended>;

/// The writes logged since the last checkpoint began (`active`), over
/// those the checkpoint in progress is applying to redb (`frozen`).
#[derive(Debug, Default)]
pub(super) struct Maps {
    active: Layer,
    frozen: Arc<Layer>,
}

impl Maps {
    /// The pending write of `name`: the active one, else the frozen one.
    pub(super) fn get(&self, name: &str) -> Option<&Pended> {
        self.active.get(name).or_else(|| self.frozen.get(name))
    }

    /// Records a logged write.
    pub(super) fn insert(&mut self, name: String, value: Pended) {
        self.active.insert(name, value);
    }

    /// The pending writes whose names `keep` accepts, in name order, each
    /// name once (its active write over its frozen one). It looks at every
    /// pending name: listings pay for the stores' cheaper inserts.
    pub(super) fn select(&self, keep: impl Fn(&str) -> bool) -> Vec<(&String, &Pended)> {
        let mut found: Vec<(&String, &Pended)> =
            self.active.iter().filter(|(k, _)| keep(k)).collect();
        found.extend(
            self.frozen
                .iter()
                .filter(|(k, _)| keep(k) && !self.active.contains_key(*k)),
        );
        found.sort_unstable_by(|a, b| a.0.cmp(b.0));
        found
    }

    /// The frozen writes, then the active ones.
    pub(super) fn layers(&self) -> (&Layer, &Layer) {
        (&self.frozen, &self.active)
    }

    /// Moves the active writes aside for a checkpoint, which is handed
    /// them; none may be frozen already.
    pub(super) fn freeze(&mut self) -> Arc<Layer> {
        debug_assert!(self.frozen.is_empty());
        self.frozen = Arc::new(std::mem::take(&mut self.active));
        Arc::clone(&self.frozen)
    }

    /// The frozen writes (a failed checkpoint's, to retry).
    pub(super) fn frozen(&self) -> Arc<Layer> {
        Arc::clone(&self.frozen)
    }

    /// Lets the frozen writes go: a checkpoint put them in redb.
    pub(super) fn thaw(&mut self) {
        self.frozen = Arc::default();
    }

    /// Lets every write go: a checkpoint put them all in redb.
    pub(super) fn clear(&mut self) {
        self.active.clear();
        self.thaw();
    }
}

/// `f` of `name`'s pending write, if it has one.
pub(super) fn peek<T>(
    pending: &Pending,
    name: &str,
    f: impl FnOnce(Option<&(Meta, Bytes)>) -> T,
) -> Option<T> {
    let p = pending.read().unwrap_or_else(|e| e.into_inner());
    p.get(name).map(|v| f(v.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(version: u64) -> Pended {
        Some((Meta::new(version, 1, 0), Bytes::from(vec![version as u8])))
    }

    /// Reads see the active write over the frozen one, and the frozen one
    /// until it is let go; selections merge both in name order, once each.
    #[test]
    fn active_over_frozen() {
        let mut m = Maps::default();
        m.insert("a".into(), v(1));
        m.insert("c".into(), v(2));
        let frozen = m.freeze();
        assert_eq!(frozen.len(), 2);
        m.insert("b".into(), v(3));
        m.insert("c".into(), None);
        assert_eq!(m.get("a"), Some(&v(1)));
        assert_eq!(m.get("c"), Some(&None));
        let all: Vec<_> = m
            .select(|_| true)
            .into_iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(
            all,
            [("a".into(), v(1)), ("b".into(), v(3)), ("c".into(), None)]
        );
        let from_b: Vec<_> = m
            .select(|k| k >= "b")
            .into_iter()
            .map(|(k, _)| k.clone())
            .collect();
        assert_eq!(from_b, ["b", "c"]);
        let only_c: Vec<_> = m
            .select(|k| k == "c")
            .into_iter()
            .map(|(_, v)| v.clone())
            .collect();
        assert_eq!(only_c, [None], "the active delete hides the frozen store");
        m.thaw();
        assert_eq!(m.get("a"), None);
        assert_eq!(m.get("b"), Some(&v(3)));
        m.clear();
        assert!(m.select(|_| true).is_empty());
    }
}
