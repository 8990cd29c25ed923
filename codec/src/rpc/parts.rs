//! A reply's frame as pieces: the bytes the encoder wrote, with shared
//! buffers ([`bytes::Bytes`]: a value held by a store or a cache) spliced
//! in by reference, for the connection's writer to send in one vectored
//! write without copying them.

use std::cell::OnceCell;
use std::vec::Vec;

use bytes::Bytes;

use crate::{EncodeError, Protocol, Sink};

/// Shared buffers shorter than this are copied like any other bytes: a
/// reference would cost the writer an iovec and a reference count for
/// less than the copy it saves.
pub(crate) const SHARE_MIN: usize = 1024;

/// A [`Sink`] that keeps large shared buffers by reference
/// ([`Sink::extend_from_bytes`]) and everything else in one buffer.
///
/// Every `Sink` method keeps its meaning: [`Sink::as_slice`] and
/// [`Sink::as_mut_slice`] (a checksum, a length written after its field)
/// see the whole frame, at the price of a copy made only then.
#[derive(Debug, Default)]
pub(crate) struct Parts {
    /// The bytes written, without the shared buffers.
    flat: Vec<u8>,
    /// The shared buffers, each with the length of `flat` when it came
    /// (the bytes before it), in order.
    shared: Vec<(usize, Bytes)>,
    /// Bytes in `shared`.
    shared_len: usize,
    /// The whole frame, copied for [`Sink::as_slice`] while shared
    /// buffers are held; dropped by any change.
    view: OnceCell<Vec<u8>>,
}

impl Parts {
    /// Encodes `msg`'s whole frame (header and payload).
    pub(crate) fn encode<P: Protocol>(msg: &P) -> Result<Parts, EncodeError> {
        let mut parts = Parts {
            flat: Vec::with_capacity(crate::frame::frame_len(msg).min(SHARE_MIN + 64)),
            ..Parts::default()
        };
        crate::frame::encode_frame(msg, &mut parts)?;
        Ok(parts)
    }

    /// Encodes `msg`'s whole frame in place of what `self` held, reusing
    /// its buffer.
    pub(crate) fn encode_into<P: Protocol>(&mut self, msg: &P) -> Result<(), EncodeError> {
        self.flat.clear();
        self.shared.clear();
        self.shared_len = 0;
        self.view.take();
        crate::frame::encode_frame(msg, self)
    }

    /// [`Parts::into_pieces`], borrowed.
    pub(crate) fn pieces(&self) -> (&[u8], &[(usize, Bytes)]) {
        (&self.flat, &self.shared)
    }

    /// The bytes written without the shared buffers, and the shared
    /// buffers with where they go in them.
    pub(crate) fn into_pieces(self) -> (Vec<u8>, Vec<(usize, Bytes)>) {
        (self.flat, self.shared)
    }

    /// Copies the shared buffers into `flat`: every byte is then in it.
    fn flatten(&mut self) {
        self.view.take();
        if self.shared.is_empty() {
            return;
        }
        self.flat = self.joined();
        self.shared.clear();
        self.shared_len = 0;
    }

    /// The whole frame in one buffer.
    fn joined(&self) -> Vec<u8> {
        join(&self.flat, &self.shared)
    }

    /// Before a change: the copy for `as_slice` would be stale.
    #[inline]
    fn touch(&mut self) {
        if self.view.get().is_some() {
            self.view.take();
        }
    }
}

/// `flat` with each of `shared` spliced in where it goes (the length of
/// `flat` before it), in order: what the pieces send.
pub(crate) fn join<B: std::ops::Deref<Target = [u8]>>(
    flat: &[u8],
    shared: &[(usize, B)],
) -> Vec<u8> {
    let mut all =
        Vec::with_capacity(flat.len() + shared.iter().map(|(_, b)| b.len()).sum::<usize>());
    let mut from = 0;
    for (at, bytes) in shared {
        all.extend_from_slice(&flat[from..*at]);
        all.extend_from_slice(bytes);
        from = *at;
    }
    all.extend_from_slice(&flat[from..]);
    all
}

impl Sink for Parts {
    #[inline]
    fn len(&self) -> usize {
        self.flat.len() + self.shared_len
    }

    #[inline]
    fn reserve(&mut self, additional: usize) {
        // A hint: a large value is likely a shared buffer, not copied.
        self.flat.reserve(additional.min(SHARE_MIN + 64));
    }

    #[inline]
    fn push(&mut self, byte: u8) {
        self.touch();
        self.flat.push(byte);
    }

    #[inline]
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.touch();
        self.flat.extend_from_slice(bytes);
    }

    fn truncate(&mut self, len: usize) {
        if len < self.len() {
            // Only an encode that failed undoes what it wrote: rare.
            self.flatten();
            self.flat.truncate(len);
        }
    }

    #[inline]
    fn resize(&mut self, new_len: usize, value: u8) {
        let len = self.len();
        if new_len <= len {
            self.truncate(new_len);
        } else {
            self.touch();
            self.flat.resize(self.flat.len() + (new_len - len), value);
        }
    }

    fn as_slice(&self) -> &[u8] {
        if self.shared.is_empty() {
            &self.flat
        } else {
            self.view.get_or_init(|| self.joined())
        }
    }

    fn as_mut_slice(&mut self) -> &mut [u8] {
        self.flatten();
        &mut self.flat
    }

    #[inline]
    fn put_zeroed(&mut self, n: usize) -> &mut [u8] {
        // The new bytes are the last ones: always in `flat`.
        self.touch();
        let at = self.flat.len();
        let end = at.checked_add(n).expect("capacity overflow");
        self.flat.resize(end, 0);
        &mut self.flat[at..]
    }

    #[inline]
    fn extend_from_bytes(&mut self, bytes: &Bytes) {
        if bytes.len() < SHARE_MIN {
            self.extend_from_slice(bytes);
            return;
        }
        self.touch();
        self.shared_len += bytes.len();
        self.shared.push((self.flat.len(), bytes.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    fn big(n: usize, seed: u8) -> Bytes {
        Bytes::from(
            (0..n)
                .map(|i| (i as u8).wrapping_mul(7) ^ seed)
                .collect::<Vec<u8>>(),
        )
    }

    /// Reads the pieces back in order.
    fn whole(parts: Parts) -> Vec<u8> {
        let (flat, shared) = parts.into_pieces();
        join(&flat, &shared)
    }

    /// Large shared buffers are kept by reference (the same memory), small
    /// ones copied; the pieces read back as what a vector would hold, and
    /// every `Sink` method sees the whole frame.
    #[test]
    fn keeps_large_buffers_and_reads_back_in_order() {
        let (a, b, small) = (big(5000, 1), big(SHARE_MIN, 2), big(SHARE_MIN - 1, 3));
        let mut parts = Parts::default();
        let mut vec: Vec<u8> = Vec::new();
        for sink in [&mut parts as &mut dyn Sink, &mut vec as &mut dyn Sink] {
            sink.push(1);
            sink.extend_from_bytes(&a);
            sink.extend_from_slice(&[2, 3]);
            sink.extend_from_bytes(&small);
            sink.extend_from_bytes(&b);
            sink.put_zeroed(2).copy_from_slice(&[4, 5]);
            sink.resize(sink.len() + 1, 6);
        }
        assert_eq!(parts.len(), vec.len());
        assert_eq!(parts.as_slice(), &vec[..]);
        assert_eq!(
            parts.shared.len(),
            2,
            "only buffers of SHARE_MIN bytes or more"
        );
        assert_eq!(parts.shared[0].1.as_ptr(), a.as_ptr(), "not copied");
        assert_eq!(parts.flat.len(), vec.len() - a.len() - b.len());
        // A change after `as_slice` is seen by the next one.
        parts.push(7);
        vec.push(7);
        assert_eq!(parts.as_slice(), &vec[..]);
        assert_eq!(whole(parts), vec);
    }

    /// Rewriting bytes already written (a length after its field) and
    /// undoing a failed encode work across shared buffers.
    #[test]
    fn rewrites_and_truncates_across_shared_buffers() {
        let a = big(3000, 9);
        let mut parts = Parts::default();
        parts.extend_from_slice(&[0, 0]);
        parts.extend_from_bytes(&a);
        let len = parts.len();
        parts.as_mut_slice()[..2].copy_from_slice(&[0xAB, 0xCD]);
        parts.extend_from_slice(&[1, 2, 3]);
        parts.truncate(len + 1);
        let mut want = vec![0xAB, 0xCD];
        want.extend_from_slice(&a);
        want.push(1);
        assert_eq!(parts.len(), want.len());
        assert_eq!(parts.as_slice(), &want[..]);
        assert_eq!(whole(parts), want);
    }
}
