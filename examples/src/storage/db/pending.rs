//! The writes that are in the write-ahead log but not yet in redb, which
//! readers consult before redb.

use std::collections::BTreeMap;
use std::iter::Peekable;
use std::ops::RangeBounds;
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

/// The writes logged since the last checkpoint began (`active`), over
/// those the checkpoint in progress is applying to redb (`frozen`).
#[derive(Debug, Default)]
pub(super) struct Maps {
    active: BTreeMap<String, Pended>,
    frozen: Arc<BTreeMap<String, Pended>>,
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

    /// The pending writes with names in `range`, in name order, each name
    /// once (its active write over its frozen one).
    pub(super) fn range<R: RangeBounds<String> + Clone>(
        &self,
        range: R,
    ) -> impl Iterator<Item = (&String, &Pended)> {
        Merge {
            a: self.active.range(range.clone()).peekable(),
            b: self.frozen.range(range).peekable(),
        }
    }

    /// Every pending write, in name order, each name once.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&String, &Pended)> {
        self.range::<std::ops::RangeFull>(..)
    }

    /// The frozen writes, then the active ones.
    pub(super) fn layers(&self) -> (&BTreeMap<String, Pended>, &BTreeMap<String, Pended>) {
        (&self.frozen, &self.active)
    }

    /// Moves the active writes aside for a checkpoint, which is handed
    /// them; none may be frozen already.
    pub(super) fn freeze(&mut self) -> Arc<BTreeMap<String, Pended>> {
        debug_assert!(self.frozen.is_empty());
        self.frozen = Arc::new(std::mem::take(&mut self.active));
        Arc::clone(&self.frozen)
    }

    /// The frozen writes (a failed checkpoint's, to retry).
    pub(super) fn frozen(&self) -> Arc<BTreeMap<String, Pended>> {
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

/// Two sorted iterators merged by name, `a`'s entry winning a tie.
struct Merge<A: Iterator, B: Iterator> {
    a: Peekable<A>,
    b: Peekable<B>,
}

impl<'m, A, B> Iterator for Merge<A, B>
where
    A: Iterator<Item = (&'m String, &'m Pended)>,
    B: Iterator<Item = (&'m String, &'m Pended)>,
{
    type Item = (&'m String, &'m Pended);

    fn next(&mut self) -> Option<Self::Item> {
        match (self.a.peek(), self.b.peek()) {
            (Some((x, _)), Some((y, _))) => {
                if x < y {
                    self.a.next()
                } else if y < x {
                    self.b.next()
                } else {
                    self.b.next();
                    self.a.next()
                }
            }
            (Some(_), None) => self.a.next(),
            (None, _) => self.b.next(),
        }
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
    /// until it is let go; ranges merge both in name order, once each.
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
        let all: Vec<_> = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        assert_eq!(
            all,
            [("a".into(), v(1)), ("b".into(), v(3)), ("c".into(), None)]
        );
        let from_b: Vec<_> = m.range("b".to_string()..).map(|(k, _)| k.clone()).collect();
        assert_eq!(from_b, ["b", "c"]);
        m.thaw();
        assert_eq!(m.get("a"), None);
        assert_eq!(m.get("b"), Some(&v(3)));
        m.clear();
        assert_eq!(m.iter().count(), 0);
    }
}
