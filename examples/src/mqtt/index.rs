//! The broker's subscription index: which sessions hold a subscription
//! whose filter may match a topic, so that routing a PUBLISH looks at
//! those sessions only instead of every session's every subscription.
//!
//! ```text
//! exact filters (no + or #)  → hash lookup of the topic name      O(1)
//! wildcard filters           → a short list, each checked with `matches`
//! candidates = sessions found in either (each once)
//! ```
//!
//! Filters are kept as subscribed after a `$share/GROUP/` prefix is taken
//! off; each filter counts how many subscriptions of each session use it
//! (a session may hold `a/b` and `$share/g/a/b`), so removing one leaves
//! the other indexed.

use std::collections::HashMap;
use std::sync::Arc;

use super::topic::matches;

/// Sessions by the filters of their subscriptions.
#[derive(Debug, Default)]
pub struct SubIndex {
    exact: HashMap<String, Holders>,
    wild: HashMap<String, Holders>,
}

/// The sessions holding one filter, each with its number of subscriptions
/// using it.
type Holders = HashMap<Arc<str>, u32>;

fn is_wild(filter: &str) -> bool {
    filter.contains(['+', '#'])
}

impl SubIndex {
    /// An empty index.
    pub fn new() -> SubIndex {
        SubIndex::default()
    }

    fn map(&mut self, filter: &str) -> &mut HashMap<String, Holders> {
        if is_wild(filter) {
            &mut self.wild
        } else {
            &mut self.exact
        }
    }

    /// `client` gained a subscription with `filter` (without any
    /// `$share/GROUP/` prefix).
    pub fn add(&mut self, filter: &str, client: &Arc<str>) {
        let holders = self.map(filter).entry(filter.to_string()).or_default();
        *holders.entry(Arc::clone(client)).or_default() += 1;
    }

    /// `client` lost a subscription with `filter`.
    pub fn remove(&mut self, filter: &str, client: &str) {
        let map = self.map(filter);
        let Some(holders) = map.get_mut(filter) else {
            return;
        };
        if let Some(n) = holders.get_mut(client) {
            *n -= 1;
            if *n == 0 {
                holders.remove(client);
            }
        }
        if holders.is_empty() {
            map.remove(filter);
        }
    }

    /// Appends to `out` every session holding a filter that matches
    /// `topic`, each once (sorted by client identifier).
    pub fn candidates(&self, topic: &str, out: &mut Vec<Arc<str>>) {
        let start = out.len();
        if let Some(holders) = self.exact.get(topic) {
            out.extend(holders.keys().cloned());
        }
        for (filter, holders) in &self.wild {
            if matches(filter, topic) {
                out.extend(holders.keys().cloned());
            }
        }
        let found = &mut out[start..];
        found.sort_unstable();
        let mut kept = start;
        for i in start..out.len() {
            if kept == start || out[kept - 1] != out[i] {
                out.swap(kept, i);
                kept += 1;
            }
        }
        out.truncate(kept);
    }

    /// Distinct filters indexed (exact and wildcard).
    pub fn len(&self) -> usize {
        self.exact.len() + self.wild.len()
    }

    /// True when no subscription is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(ix: &SubIndex, topic: &str) -> Vec<String> {
        let mut out = Vec::new();
        ix.candidates(topic, &mut out);
        out.iter().map(|c| c.to_string()).collect()
    }

    /// Exact and wildcard filters found, each session once, `$` topics not
    /// matched by a leading wildcard, a filter held twice kept until both
    /// are gone.
    #[test]
    fn add_find_remove() {
        let (a, b, c): (Arc<str>, Arc<str>, Arc<str>) = ("a".into(), "b".into(), "c".into());
        let mut ix = SubIndex::new();
        ix.add("x/y", &a);
        ix.add("x/+", &a);
        ix.add("#", &b);
        ix.add("x/y", &c);
        ix.add("x/y", &c);
        assert_eq!(found(&ix, "x/y"), ["a", "b", "c"]);
        assert_eq!(found(&ix, "x/z"), ["a", "b"]);
        assert_eq!(found(&ix, "$SYS/x"), Vec::<String>::new());
        ix.remove("x/y", &c);
        assert_eq!(found(&ix, "x/y"), ["a", "b", "c"]);
        ix.remove("x/y", &c);
        ix.remove("#", &b);
        ix.remove("#", &b);
        assert_eq!(found(&ix, "x/y"), ["a"]);
        ix.remove("x/y", &a);
        ix.remove("x/+", &a);
        assert!(ix.is_empty());
        // Appends after what `out` held, leaving it alone.
        ix.add("q", &b);
        let mut out = vec![Arc::clone(&c)];
        ix.candidates("q", &mut out);
        assert_eq!(out, [c, b]);
    }
}
