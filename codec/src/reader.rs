//! The offset-tracking [`Reader`] every decoder reads from: a leaf module
//! (it depends on the error types only), so the wire primitives, the
//! [`Decode`](crate::Decode) impls, headers and framing can all use it
//! without depending on each other.

use crate::error::{DecodeError, DecodeErrorKind};

/// A cursor over borrowed input that knows its absolute byte offset, so
/// every error can say where it happened.
///
/// A `Reader` may be a window on a larger input (a frame's payload, a field
/// bounded by a byte length): offsets stay those of the whole input, and
/// `rest` fields end at the window's end.
#[derive(Debug, Clone)]
pub struct Reader<'de> {
    data: &'de [u8],
    offset: usize,
}

impl<'de> Reader<'de> {
    /// A reader over all of `data`, starting at offset 0.
    #[inline]
    pub fn new(data: &'de [u8]) -> Self {
        Reader { data, offset: 0 }
    }

    /// A reader over `data`, which starts at absolute offset `offset` of
    /// some larger input.
    #[inline]
    pub fn with_offset(data: &'de [u8], offset: usize) -> Self {
        Reader { data, offset }
    }

    /// Absolute offset of the next byte.
    #[inline]
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Bytes left in this reader.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.data.len()
    }

    /// True when nothing is left.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The unread bytes, without consuming them.
    #[inline]
    pub fn peek(&self) -> &'de [u8] {
        self.data
    }

    /// The error for a read of `needed` bytes at the current offset.
    // Inlined, and taking `self`'s fields by value into the cold
    // constructor: a `&self` passed to an out-of-line function makes the
    // reader escape, so LLVM keeps it in memory and stores its pointer,
    // length and offset after every read (measured: +20% instructions on
    // a borrowed decode of 14 fields).
    #[inline(always)]
    #[must_use]
    pub fn end_error(&self, needed: u64) -> DecodeError {
        end_error_at(self.offset, self.data.len(), needed)
    }

    /// An error of `kind` at the current offset.
    #[inline(always)]
    #[must_use]
    pub fn error(&self, kind: DecodeErrorKind) -> DecodeError {
        DecodeError::new(kind, self.offset)
    }

    /// Consumes and borrows the next `n` bytes.
    ///
    /// # Errors
    ///
    /// [`DecodeErrorKind::UnexpectedEnd`] naming exactly how many bytes were
    /// needed, when fewer than `n` remain; nothing is consumed then.
    #[inline]
    pub fn take(&mut self, n: usize) -> Result<&'de [u8], DecodeError> {
        if n > self.data.len() {
            return Err(self.end_error(n as u64));
        }
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        self.offset += n;
        Ok(head)
    }

    /// Consumes the next `N` bytes as an array.
    ///
    /// # Errors
    ///
    /// As [`Reader::take`].
    #[inline]
    pub fn take_array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        match self.data.split_first_chunk::<N>() {
            Some((head, tail)) => {
                self.data = tail;
                self.offset += N;
                Ok(*head)
            }
            None => Err(self.end_error(N as u64)),
        }
    }

    /// Consumes and borrows the next `N` bytes if that many are left;
    /// consumes nothing otherwise.
    #[inline]
    pub(crate) fn take_array_ref<const N: usize>(&mut self) -> Option<&'de [u8; N]> {
        let (head, tail) = self.data.split_first_chunk::<N>()?;
        self.data = tail;
        self.offset += N;
        Some(head)
    }

    /// Consumes one byte.
    ///
    /// # Errors
    ///
    /// As [`Reader::take`].
    #[inline]
    pub fn byte(&mut self) -> Result<u8, DecodeError> {
        match self.data.split_first() {
            Some((&b, tail)) => {
                self.data = tail;
                self.offset += 1;
                Ok(b)
            }
            None => Err(self.end_error(1)),
        }
    }

    /// Consumes everything left.
    #[inline]
    pub fn take_rest(&mut self) -> &'de [u8] {
        let rest = self.data;
        self.offset += rest.len();
        self.data = &[];
        rest
    }

    /// Splits off the next `n` bytes as a reader of their own (a window
    /// keeping absolute offsets).
    ///
    /// # Errors
    ///
    /// As [`Reader::take`].
    #[inline]
    pub fn split(&mut self, n: usize) -> Result<Reader<'de>, DecodeError> {
        let offset = self.offset;
        let data = self.take(n)?;
        Ok(Reader { data, offset })
    }

    /// Succeeds if nothing is left.
    ///
    /// # Errors
    ///
    /// [`DecodeErrorKind::TrailingBytes`] with the count left over.
    #[inline]
    pub fn finish(&self) -> Result<(), DecodeError> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err(self.error(DecodeErrorKind::TrailingBytes {
                count: self.data.len(),
            }))
        }
    }
}

#[cold]
#[inline(never)]
fn end_error_at(offset: usize, available: usize, needed: u64) -> DecodeError {
    DecodeError::new(DecodeErrorKind::UnexpectedEnd { needed, available }, offset)
}
