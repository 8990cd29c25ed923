//! The [`Sink`] trait: the buffer [`Encode`](crate::Encode) writes into,
//! implemented by `Vec<u8>` and (feature `bytes` or `tokio`)
//! `bytes::BytesMut`. A leaf: it imports nothing from the crate.

use alloc::vec::Vec;

/// Where [`Encode`](crate::Encode) writes: a growable, contiguous byte buffer.
///
/// `Vec<u8>` implements it, and so does `bytes::BytesMut` (feature `bytes`
/// or `tokio`), so a message is encoded straight into the buffer a socket
/// writes from (`tokio_util`'s `Framed`), with no scratch vector and no
/// copy. Encoding only appends, except that it may rewrite bytes it wrote
/// itself (a length known only after its field, a checksum): hence
/// [`Sink::as_mut_slice`].
///
/// The methods are named as `Vec<u8>`'s, so code written for a vector
/// reads the same for any sink. [`Encode`](crate::Encode)'s methods are generic over the
/// sink, so encoding into a `Vec<u8>` compiles to what it did before there
/// were sinks.
///
/// ```
/// use codec::{Encode, Sink};
///
/// /// A sink that counts what it is given, over a vector.
/// #[derive(Default)]
/// struct Counting {
///     bytes: Vec<u8>,
///     calls: usize,
/// }
///
/// impl Sink for Counting {
///     fn len(&self) -> usize { self.bytes.len() }
///     fn reserve(&mut self, additional: usize) { self.bytes.reserve(additional) }
///     fn push(&mut self, byte: u8) {
///         self.calls += 1;
///         self.bytes.push(byte)
///     }
///     fn extend_from_slice(&mut self, bytes: &[u8]) {
///         self.calls += 1;
///         self.bytes.extend_from_slice(bytes)
///     }
///     fn truncate(&mut self, len: usize) { self.bytes.truncate(len) }
///     fn as_slice(&self) -> &[u8] { &self.bytes }
///     fn as_mut_slice(&mut self) -> &mut [u8] { &mut self.bytes }
/// }
///
/// let mut sink = Counting::default();
/// (7u8, "hi").encode(&mut sink)?;
/// assert_eq!(sink.bytes, [7, 2, b'h', b'i']);
/// assert_eq!(sink.calls, 3);
/// # Ok::<(), codec::EncodeError>(())
/// ```
pub trait Sink {
    /// Bytes in the buffer (from before the encode, and written by it).
    fn len(&self) -> usize;

    /// No bytes in the buffer.
    #[inline]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes room for at least `additional` more bytes (a hint: a sink
    /// that cannot reserve may do nothing).
    fn reserve(&mut self, additional: usize);

    /// Appends one byte.
    fn push(&mut self, byte: u8);

    /// Appends `bytes`.
    fn extend_from_slice(&mut self, bytes: &[u8]);

    /// Shortens the buffer to `len` bytes (an encode that failed undoes
    /// what it wrote); no effect when it holds no more.
    fn truncate(&mut self, len: usize);

    /// Makes the buffer `new_len` bytes long: appends copies of `value`
    /// (padding), or truncates.
    #[inline]
    fn resize(&mut self, new_len: usize, value: u8) {
        let len = self.len();
        if new_len <= len {
            self.truncate(new_len);
            return;
        }
        self.reserve(new_len - len);
        for _ in len..new_len {
            self.push(value);
        }
    }

    /// The bytes in the buffer (a checksum reads what was written).
    fn as_slice(&self) -> &[u8];

    /// The bytes in the buffer, to rewrite ones already written (a
    /// length, once its field is written). Never changes the length.
    fn as_mut_slice(&mut self) -> &mut [u8];

    /// Appends `n` zero bytes and returns exactly those `n` bytes, to be
    /// filled in place (generated code writes a run of fixed-width fields
    /// this way: one capacity check, then plain stores).
    #[inline]
    fn put_zeroed(&mut self, n: usize) -> &mut [u8] {
        let at = self.len();
        self.resize(at + n, 0);
        &mut self.as_mut_slice()[at..]
    }

    /// Appends the bytes of a shared buffer (feature `bytes` or `tokio`).
    ///
    /// The default copies them, as [`Sink::extend_from_slice`]. A sink
    /// that gathers a frame as pieces for a vectored write (the rpc
    /// connections' reply encoder) overrides it to keep a reference to
    /// `bytes` instead, so a value shared with a store or a cache leaves
    /// for the socket without being copied. `bytes::Bytes` fields encode
    /// through it.
    #[cfg(any(feature = "bytes", feature = "tokio"))]
    #[inline]
    fn extend_from_bytes(&mut self, bytes: &bytes::Bytes) {
        self.extend_from_slice(bytes);
    }
}

/// `Sink` for a contiguous growable buffer with `Vec<u8>`'s inherent
/// methods (`len`, `reserve`, `extend_from_slice`, `truncate`, `resize`,
/// `spare_capacity_mut`, `set_len`); `$push` appends one byte.
macro_rules! buffer_sinks {
    ($($(#[$attr:meta])* $t:ty, push = $push:path;)*) => {$(
        $(#[$attr])*
        impl Sink for $t {
            #[inline(always)]
            fn len(&self) -> usize {
                <$t>::len(self)
            }
            #[inline(always)]
            fn reserve(&mut self, additional: usize) {
                <$t>::reserve(self, additional);
            }
            #[inline(always)]
            fn push(&mut self, byte: u8) {
                $push(self, byte);
            }
            #[inline(always)]
            fn extend_from_slice(&mut self, bytes: &[u8]) {
                <$t>::extend_from_slice(self, bytes);
            }
            #[inline(always)]
            fn truncate(&mut self, len: usize) {
                <$t>::truncate(self, len);
            }
            #[inline(always)]
            fn resize(&mut self, new_len: usize, value: u8) {
                <$t>::resize(self, new_len, value);
            }
            #[inline(always)]
            fn as_slice(&self) -> &[u8] {
                self
            }
            #[inline(always)]
            fn as_mut_slice(&mut self) -> &mut [u8] {
                self
            }
            #[inline(always)]
            fn put_zeroed(&mut self, n: usize) -> &mut [u8] {
                let at = <$t>::len(self);
                // Checked: a wrapped `at + n` would shrink the buffer and
                // the slice below would reach past its end.
                let end = at.checked_add(n).expect("capacity overflow");
                <$t>::reserve(self, n);
                // The zeroes are stored through the pointer handed out, so
                // the caller's stores reuse it: reading the buffer's
                // pointer again after the zeroes (which, as far as the
                // optimiser knows, may have overwritten it) cost a load.
                // `reserve` left at least `n` bytes of spare capacity, so
                // the slice cannot fail.
                let spare = &mut <$t>::spare_capacity_mut(self)[..n];
                spare.fill(core::mem::MaybeUninit::new(0));
                let ptr = spare.as_mut_ptr().cast::<u8>();
                // SAFETY: the `n` bytes after the first `at` are spare
                // capacity, now initialised (zeroed above), so the buffer
                // may grow over them; `ptr` points at them (derived from
                // the spare-capacity slice, so it may write all `n`), and
                // `set_len` only writes the buffer's length, not its bytes.
                // The slice is built from `ptr` and `n` rather than by
                // slicing the buffer, so its length is `n` to the
                // optimiser too and callers' checks of it fold away; it is
                // borrowed mutably for as long as `self` is.
                unsafe {
                    <$t>::set_len(self, end);
                    core::slice::from_raw_parts_mut(ptr, n)
                }
            }
        }
    )*};
}

buffer_sinks! {
    Vec<u8>, push = Vec::push;
}

#[cfg(any(feature = "bytes", feature = "tokio"))]
buffer_sinks! {
    /// `Framed`'s write buffer: a frame encoded into it is written once.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use codec::Encode;
    ///
    /// #[derive(Encode)]
    /// struct Ping {
    ///     seq: u16,
    ///     #[codec(len = u8)]
    ///     note: String,
    /// }
    ///
    /// let mut out = BytesMut::with_capacity(64);
    /// let ping = Ping { seq: 7, note: "hi".into() };
    /// ping.encode(&mut out)?;
    /// assert_eq!(&out[..], [0, 7, 2, b'h', b'i']);
    /// assert_eq!(&out[..], ping.to_bytes()?);
    /// # Ok::<(), codec::EncodeError>(())
    /// ```
    bytes::BytesMut, push = bytes::BufMut::put_u8;
}

/// A sink borrowed mutably is a sink (`&mut Vec<u8>` passed by value).
impl<S: Sink + ?Sized> Sink for &mut S {
    #[inline(always)]
    fn len(&self) -> usize {
        (**self).len()
    }
    #[inline(always)]
    fn reserve(&mut self, additional: usize) {
        (**self).reserve(additional);
    }
    #[inline(always)]
    fn push(&mut self, byte: u8) {
        (**self).push(byte);
    }
    #[inline(always)]
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        (**self).extend_from_slice(bytes);
    }
    #[inline(always)]
    fn truncate(&mut self, len: usize) {
        (**self).truncate(len);
    }
    #[inline(always)]
    fn resize(&mut self, new_len: usize, value: u8) {
        (**self).resize(new_len, value);
    }
    #[inline(always)]
    fn as_slice(&self) -> &[u8] {
        (**self).as_slice()
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [u8] {
        (**self).as_mut_slice()
    }
    #[inline(always)]
    fn put_zeroed(&mut self, n: usize) -> &mut [u8] {
        (**self).put_zeroed(n)
    }
    #[cfg(any(feature = "bytes", feature = "tokio"))]
    #[inline(always)]
    fn extend_from_bytes(&mut self, bytes: &bytes::Bytes) {
        (**self).extend_from_bytes(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::Sink;
    use alloc::vec::Vec;

    #[test]
    fn put_zeroed_appends_exactly_n_zeroes() {
        let mut buf = alloc::vec![7u8, 8];
        Sink::put_zeroed(&mut buf, 3).copy_from_slice(&[1, 2, 3]);
        assert_eq!(buf, [7, 8, 1, 2, 3]);
    }

    /// The bytes handed out are zeroes even where the spare capacity held
    /// old bytes (they are written, not assumed), and the buffer grows by
    /// exactly them.
    #[test]
    fn put_zeroed_zeroes_stale_spare_capacity() {
        let mut buf = alloc::vec![9u8; 16];
        buf.truncate(2);
        let run = Sink::put_zeroed(&mut buf, 5);
        assert_eq!(run, [0; 5]);
        run[4] = 4;
        assert_eq!(buf, [9, 9, 0, 0, 0, 0, 4]);
        // Past the capacity: the buffer grows first.
        let cap = buf.capacity();
        Sink::put_zeroed(&mut buf, cap).fill(1);
        assert_eq!(buf.len(), 7 + cap);
        assert!(buf[7..].iter().all(|&b| b == 1));
    }

    /// `BytesMut` the same way (its own `reserve` and spare capacity).
    #[cfg(any(feature = "bytes", feature = "tokio"))]
    #[test]
    fn put_zeroed_into_bytes_mut() {
        let mut buf = bytes::BytesMut::from(&[9u8; 16][..]);
        buf.truncate(2);
        Sink::put_zeroed(&mut buf, 3).copy_from_slice(&[1, 2, 3]);
        Sink::put_zeroed(&mut buf, 2);
        assert_eq!(&buf[..], [9, 9, 1, 2, 3, 0, 0]);
        let mut empty = bytes::BytesMut::new();
        assert_eq!(Sink::put_zeroed(&mut empty, 40), [0; 40]);
        assert_eq!(empty.len(), 40);
    }

    /// A length past `usize::MAX` is refused, in release builds too: a
    /// wrapped end would shrink the buffer under the slice handed out.
    #[test]
    #[should_panic(expected = "capacity overflow")]
    fn put_zeroed_refuses_a_length_that_overflows() {
        let mut buf: Vec<u8> = alloc::vec![1];
        Sink::put_zeroed(&mut buf, usize::MAX);
    }
}
