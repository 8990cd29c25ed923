//! Correlation tags: which are in flight, which are free, and which wait in
//! quarantine after their call gave up.
//!
//! A tag whose call timed out or was dropped is not reused at once: a late
//! reply would otherwise be delivered to the next call that drew the same
//! tag. It stays in quarantine until that late reply arrives (then it is
//! dropped and counted) or until the quarantine time passes.

use std::vec::Vec;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::time::{Duration, Instant};

/// Tags are small sequential integers: a multiplicative hash spreads them
/// over the table at a fraction of SipHash's cost (nothing here is keyed
/// by peer input: the client draws its own tags, and a reply's tag only
/// looks one up).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct TagHasher(u64);

impl Hasher for TagHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(self.0.rotate_left(8) ^ u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// What a tag is doing.
#[derive(Debug)]
pub(crate) enum Slot<T> {
    /// A call waits for the reply; `T` is how to reach it.
    Waiting(T),
    /// The call gave up at `since`; a reply is late.
    Abandoned { since: Instant },
    /// Held by its caller between calls ([`HeldTag`](super::HeldTag)):
    /// no call waits, but the tag is not free (a protocol that sends
    /// several requests under one id, MQTT's PUBLISH then PUBREL).
    Held,
}

/// The tags of one connection.
#[derive(Debug)]
pub(crate) struct Tags<T> {
    /// Smallest tag value drawn (the protocol reserves those below).
    first: u64,
    /// Largest tag value the messages can carry.
    max: u64,
    /// How many tags may be taken at once (waiting or abandoned).
    capacity: usize,
    next: u64,
    slots: HashMap<u64, Slot<T>, BuildHasherDefault<TagHasher>>,
    /// How many slots are `Abandoned` (so taking a tag scans for expired
    /// quarantines only when there can be some).
    abandoned: usize,
    quarantine: Duration,
}

impl<T> Tags<T> {
    /// Tags `first..=max`, at most `limit` in use at once.
    pub(crate) fn new(first: u64, max: u64, limit: usize, quarantine: Duration) -> Self {
        let first = first.min(max);
        let space = usize::try_from(max - first).map_or(usize::MAX, |m| m.saturating_add(1));
        Tags {
            first,
            max,
            capacity: space.min(limit).max(1),
            next: first,
            slots: HashMap::default(),
            abandoned: 0,
            quarantine,
        }
    }

    /// How many calls can be in flight at once.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Calls still waiting for a reply.
    pub(crate) fn waiting(&self) -> usize {
        self.slots.len() - self.abandoned
    }

    /// Takes a free tag for a call, or `None` when all are in use (the
    /// caller waits for one to be released). Frees expired quarantines
    /// first (`now` is only asked for when some tag is quarantined);
    /// returns how many it freed alongside.
    pub(crate) fn take(
        &mut self,
        waiter: T,
        now: impl FnOnce() -> Instant,
    ) -> (Option<u64>, usize) {
        let freed = if self.abandoned > 0 {
            self.expire(now())
        } else {
            0
        };
        if self.slots.len() >= self.capacity {
            return (None, freed);
        }
        loop {
            let tag = self.next;
            self.next = if self.next >= self.max {
                self.first
            } else {
                self.next + 1
            };
            if let std::collections::hash_map::Entry::Vacant(slot) = self.slots.entry(tag) {
                slot.insert(Slot::Waiting(waiter));
                return (Some(tag), freed);
            }
        }
    }

    /// The reply for `tag` arrived: the waiter if a call waits for it. A
    /// reply to an abandoned tag frees it and is reported late.
    pub(crate) fn complete(&mut self, tag: u64) -> Completion<T> {
        match self.slots.remove(&tag) {
            Some(Slot::Waiting(w)) => Completion::Waiting(w),
            Some(Slot::Abandoned { .. }) => {
                self.abandoned -= 1;
                Completion::Late
            }
            Some(Slot::Held) => {
                // No call waits on a held tag between its calls.
                self.slots.insert(tag, Slot::Held);
                Completion::Unknown
            }
            None => Completion::Unknown,
        }
    }

    /// Keeps `tag` taken with no call waiting on it (the reply of a held
    /// tag's call arrived, or a hold was just taken).
    pub(crate) fn park(&mut self, tag: u64) {
        self.slots.insert(tag, Slot::Held);
    }

    /// A call on a held tag: waits on it again. False (and `waiter`
    /// dropped) when the tag is not held: its last call gave up, so the
    /// tag is quarantined or already someone else's.
    pub(crate) fn arm(&mut self, tag: u64, waiter: T) -> bool {
        match self.slots.get_mut(&tag) {
            Some(slot @ Slot::Held) => {
                *slot = Slot::Waiting(waiter);
                true
            }
            _ => false,
        }
    }

    /// The hold on `tag` ends: frees it if no call waits on it (a call
    /// still waiting keeps it until its reply, or its quarantine).
    pub(crate) fn unhold(&mut self, tag: u64) {
        if let Some(Slot::Held) = self.slots.get(&tag) {
            self.slots.remove(&tag);
        }
    }

    /// The call on `tag` gave up (timeout or drop): quarantine its tag.
    /// Returns false if the tag was not waiting (its reply already came).
    pub(crate) fn abandon(&mut self, tag: u64, now: Instant) -> bool {
        match self.slots.get_mut(&tag) {
            Some(slot @ Slot::Waiting(_)) => {
                if self.quarantine.is_zero() {
                    self.slots.remove(&tag);
                } else {
                    *slot = Slot::Abandoned { since: now };
                    self.abandoned += 1;
                }
                true
            }
            _ => false,
        }
    }

    /// Frees quarantined tags older than the quarantine time.
    pub(crate) fn expire(&mut self, now: Instant) -> usize {
        if self.abandoned == 0 {
            return 0;
        }
        let before = self.slots.len();
        let q = self.quarantine;
        self.slots.retain(
            |_, s| !matches!(s, Slot::Abandoned { since } if now.duration_since(*since) >= q),
        );
        let freed = before - self.slots.len();
        self.abandoned -= freed;
        freed
    }

    /// Puts a waiter back under its old tag (after a reconnection).
    pub(crate) fn restore(&mut self, tag: u64, waiter: T) {
        if let Some(Slot::Abandoned { .. }) = self.slots.insert(tag, Slot::Waiting(waiter)) {
            self.abandoned -= 1;
        }
    }

    /// The waiter of `tag`, if a call waits on it.
    pub(crate) fn waiter_mut(&mut self, tag: u64) -> Option<&mut T> {
        match self.slots.get_mut(&tag) {
            Some(Slot::Waiting(w)) => Some(w),
            _ => None,
        }
    }

    /// Removes every tag but the held ones, returning the waiters (the
    /// connection ended, so abandoned tags can no longer get a late
    /// reply; a held tag stays its holder's until the hold is dropped).
    pub(crate) fn drain(&mut self) -> Vec<(u64, T)> {
        let all = std::mem::take(&mut self.slots);
        self.abandoned = 0;
        let mut waiters = Vec::new();
        for (tag, s) in all {
            match s {
                Slot::Waiting(w) => waiters.push((tag, w)),
                Slot::Abandoned { .. } => {}
                Slot::Held => {
                    self.slots.insert(tag, Slot::Held);
                }
            }
        }
        waiters
    }
}

/// What a reply's tag matched.
#[derive(Debug)]
pub(crate) enum Completion<T> {
    Waiting(T),
    Late,
    Unknown,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_unique_while_in_flight_and_bounded() {
        let now = Instant::now();
        let mut tags = Tags::<u32>::new(0, 255, usize::MAX, Duration::from_secs(30));
        assert_eq!(tags.capacity(), 256);
        let taken: Vec<u64> = (0..256).map(|i| tags.take(i, || now).0.unwrap()).collect();
        let mut sorted = taken.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 256);
        assert_eq!(tags.take(999, || now).0, None, "the 257th call must wait");
        assert!(matches!(tags.complete(7), Completion::Waiting(7)));
        assert_eq!(
            tags.take(1000, || now).0,
            Some(7),
            "the only free tag is reused"
        );
    }

    #[test]
    fn abandoned_tags_wait_for_the_late_reply_or_the_quarantine() {
        let t0 = Instant::now();
        let mut tags = Tags::<()>::new(0, 1, usize::MAX, Duration::from_secs(5));
        let a = tags.take((), || t0).0.unwrap();
        let b = tags.take((), || t0).0.unwrap();
        assert!(tags.abandon(a, t0));
        assert_eq!(
            tags.take((), || t0).0,
            None,
            "quarantined tag is not reused"
        );
        assert!(matches!(tags.complete(a), Completion::Late));
        assert_eq!(tags.take((), || t0).0, Some(a), "freed by its late reply");
        assert!(tags.abandon(b, t0));
        assert!(tags.abandon(a, t0));
        assert_eq!(tags.take((), || t0 + Duration::from_secs(4)).0, None);
        let (tag, freed) = tags.take((), || t0 + Duration::from_secs(5));
        assert!(tag.is_some());
        assert_eq!(freed, 2, "both quarantines expired");
        assert!(matches!(tags.complete(99), Completion::Unknown));
    }

    #[test]
    fn held_tags_stay_taken_between_calls() {
        let now = Instant::now();
        let mut tags = Tags::<u8>::new(1, 2, usize::MAX, Duration::from_secs(5));
        let a = tags.take(1, || now).0.unwrap();
        tags.park(a);
        assert_eq!(tags.waiting(), 1, "a held tag counts as in flight");
        assert!(
            matches!(tags.complete(a), Completion::Unknown),
            "no call waits"
        );
        let b = tags.take(2, || now).0.unwrap();
        assert_ne!(a, b);
        assert_eq!(tags.take(3, || now).0, None, "the held tag is not free");
        assert!(tags.arm(a, 4));
        assert!(matches!(tags.complete(a), Completion::Waiting(4)));
        tags.park(a);
        assert!(tags.drain().iter().all(|(t, _)| *t != a));
        assert!(tags.arm(a, 5), "a hold survives a reconnection");
        assert!(tags.abandon(a, now));
        assert!(!tags.arm(a, 6), "a hold whose call gave up is lost");
        tags.unhold(a);
        assert!(
            matches!(tags.complete(a), Completion::Late),
            "still quarantined"
        );
        let mut tags = Tags::<u8>::new(1, 1, usize::MAX, Duration::ZERO);
        let a = tags.take(1, || now).0.unwrap();
        tags.park(a);
        tags.unhold(a);
        assert_eq!(
            tags.take(2, || now).0,
            Some(a),
            "freed by the end of its hold"
        );
    }

    #[test]
    fn reserved_tags_are_never_drawn() {
        let now = Instant::now();
        let mut tags = Tags::<()>::new(2, 4, usize::MAX, Duration::ZERO);
        let taken: Vec<u64> = (0..3).map(|_| tags.take((), || now).0.unwrap()).collect();
        assert_eq!(taken, [2, 3, 4]);
        assert_eq!(tags.take((), || now).0, None, "three tags in 2..=4");
        assert!(matches!(tags.complete(3), Completion::Waiting(())));
        assert_eq!(tags.take((), || now).0, Some(3));
    }
}
