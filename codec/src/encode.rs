//! The [`Encode`] trait and its impls for primitives, strings, byte slices
//! and containers, and the [`Sink`] it writes into.

use alloc::borrow::{Cow, ToOwned};
use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::String;
#[cfg(target_has_atomic = "ptr")]
use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::error::{EncodeError, EncodeErrorKind};
use crate::message::Shape;
pub use crate::sink::Sink;
use crate::wire::{put, Endian, LenPrefix, Unit};

/// A type that can be written as bytes.
///
/// Derive it with `#[derive(Encode)]`. [`Encode::encoded_len`] is exact and
/// computed without encoding, so [`Encode::to_bytes`] allocates once.
///
/// ```
/// use codec::Encode;
///
/// assert_eq!(0x0102u16.to_bytes()?, [0x01, 0x02]);
/// assert_eq!(0x0102u16.encoded_len(), 2);
/// # Ok::<(), codec::EncodeError>(())
/// ```
///
/// An encoding is appended to a [`Sink`]: a growable byte buffer, such as
/// `Vec<u8>` or (feature `bytes` or `tokio`) `bytes::BytesMut`, the buffer
/// `tokio_util`'s `Framed` writes from. The methods are generic over the
/// sink, so each sink gets code of its own and a `Vec<u8>` pays nothing
/// for the others.
///
/// ```
/// # #[cfg(any(feature = "bytes", feature = "tokio"))] {
/// use bytes::BytesMut;
/// use codec::Encode;
///
/// let mut out = BytesMut::from(&b"ready:"[..]);
/// (7u8, 0x0102u16).encode(&mut out)?; // appended, no copy through a Vec
/// assert_eq!(&out[..], b"ready:\x07\x01\x02");
/// # }
/// # Ok::<(), codec::EncodeError>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be encoded by codec",
    note = "derive it with `#[derive(codec::Encode)]`, or mark the field `#[codec(skip)]`",
    note = "a type that declares `#[codec(ctx(..))]` is written with its context: pass it on the field, `#[codec(ctx(name = expr, ..))]`"
)]
pub trait Encode {
    /// What the encoding looks like, for tools that walk the bytes without
    /// Rust (the dissectors of [`wireshark`](crate::wireshark)):
    /// `#[derive(Encode)]` describes its struct or enum, anything else is
    /// [`Shape::Opaque`].
    const SHAPE: Shape = Shape::Opaque;

    /// The exact number of bytes [`Encode::encode`] appends.
    fn encoded_len(&self) -> usize;

    /// Appends the encoding to `buf`. `order` is the byte order the
    /// enclosing field asks for: integers, floats and containers of them
    /// honour it; derived types keep their own `#[codec(endian)]`.
    ///
    /// # Errors
    ///
    /// A value its wire format cannot describe; `buf` may then hold a
    /// partial encoding (the provided methods undo it).
    fn encode_with<S: Sink + ?Sized>(&self, buf: &mut S, order: Endian) -> Result<(), EncodeError>;

    /// Appends the encoding to `buf` in the default (big-endian) byte order.
    ///
    /// # Errors
    ///
    /// As [`Encode::encode_with`]; on error `buf` is truncated back to its
    /// original length.
    #[inline]
    fn encode<S: Sink + ?Sized>(&self, buf: &mut S) -> Result<(), EncodeError> {
        let start = buf.len();
        self.encode_with(buf, Endian::Big)
            .inspect_err(|_| buf.truncate(start))
    }

    /// Encodes into a new vector of exactly [`Encode::encoded_len`] bytes.
    ///
    /// # Errors
    ///
    /// As [`Encode::encode_with`].
    #[inline]
    fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut buf = Vec::with_capacity(self.encoded_len());
        self.encode_with(&mut buf, Endian::Big)?;
        Ok(buf)
    }

    /// Encodes a run of values. Byte-sized types override this with a
    /// single copy.
    ///
    /// # Errors
    ///
    /// As [`Encode::encode_with`], with the element index in the path.
    #[doc(hidden)]
    #[inline]
    fn encode_slice<S: Sink + ?Sized>(
        items: &[Self],
        buf: &mut S,
        order: Endian,
    ) -> Result<(), EncodeError>
    where
        Self: Sized,
    {
        for (i, item) in items.iter().enumerate() {
            item.encode_with(buf, order).map_err(|e| e.in_index(i))?;
        }
        Ok(())
    }

    /// The encoded length of a run of values.
    #[doc(hidden)]
    #[inline]
    fn encoded_len_slice(items: &[Self]) -> usize
    where
        Self: Sized,
    {
        items.iter().map(Encode::encoded_len).sum()
    }
}

/// A sequence whose length is written apart from its body: an inline
/// `#[codec(len = ..)]` prefix, an earlier field (`len_from`), or the end of
/// the frame (`rest`).
pub trait EncodeSeq {
    /// The length to write: elements, or encoded body bytes when `unit` is
    /// [`Unit::Bytes`] (for strings and byte slices, both are the byte count).
    fn seq_count(&self, unit: Unit) -> usize;

    /// Bytes the body takes, without any length.
    fn seq_encoded_len(&self) -> usize;

    /// Appends the body, without any length.
    ///
    /// # Errors
    ///
    /// An element that cannot be encoded.
    fn encode_seq<S: Sink + ?Sized>(&self, buf: &mut S, order: Endian) -> Result<(), EncodeError>;
}

macro_rules! num_impls {
    ($($t:ty),*) => {$(
        impl Encode for $t {
            #[inline]
            fn encoded_len(&self) -> usize {
                core::mem::size_of::<$t>()
            }
            #[inline]
            fn encode_with<S: Sink + ?Sized>(&self, buf: &mut S, order: Endian) -> Result<(), EncodeError> {
                put(buf, order, self.to_be_bytes(), self.to_le_bytes());
                Ok(())
            }
            #[inline]
            fn encoded_len_slice(items: &[Self]) -> usize {
                core::mem::size_of_val(items)
            }
        }
    )*};
}
num_impls!(u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64);

impl Encode for u8 {
    #[inline]
    fn encoded_len(&self) -> usize {
        1
    }
    #[inline]
    fn encode_with<S: Sink + ?Sized>(&self, buf: &mut S, _: Endian) -> Result<(), EncodeError> {
        buf.push(*self);
        Ok(())
    }
    #[inline]
    fn encode_slice<S: Sink + ?Sized>(
        items: &[Self],
        buf: &mut S,
        _: Endian,
    ) -> Result<(), EncodeError> {
        buf.extend_from_slice(items);
        Ok(())
    }
    #[inline]
    fn encoded_len_slice(items: &[Self]) -> usize {
        items.len()
    }
}

/// `usize` and `isize` travel as 64-bit integers, whatever the platform.
macro_rules! size_impls {
    ($($t:ty => $wire:ty),*) => {$(
        impl Encode for $t {
            #[inline]
            fn encoded_len(&self) -> usize {
                8
            }
            #[inline]
            fn encode_with<S: Sink + ?Sized>(&self, buf: &mut S, order: Endian) -> Result<(), EncodeError> {
                let v = <$wire>::try_from(*self).map_err(|_| {
                    EncodeError::new(EncodeErrorKind::ValueOutOfRange {
                        value: *self as i128,
                        target: stringify!($wire),
                    })
                })?;
                v.encode_with(buf, order)
            }
        }
    )*};
}
size_impls!(usize => u64, isize => i64);

impl Encode for bool {
    #[inline]
    fn encoded_len(&self) -> usize {
        1
    }
    #[inline]
    fn encode_with<S: Sink + ?Sized>(&self, buf: &mut S, _: Endian) -> Result<(), EncodeError> {
        buf.push(*self as u8);
        Ok(())
    }
}

impl Encode for char {
    #[inline]
    fn encoded_len(&self) -> usize {
        4
    }
    #[inline]
    fn encode_with<S: Sink + ?Sized>(&self, buf: &mut S, order: Endian) -> Result<(), EncodeError> {
        (*self as u32).encode_with(buf, order)
    }
}

impl Encode for () {
    #[inline]
    fn encoded_len(&self) -> usize {
        0
    }
    #[inline]
    fn encode_with<S: Sink + ?Sized>(&self, _: &mut S, _: Endian) -> Result<(), EncodeError> {
        Ok(())
    }
}

impl<T: Encode, const N: usize> Encode for [T; N] {
    #[inline]
    fn encoded_len(&self) -> usize {
        T::encoded_len_slice(self)
    }
    #[inline]
    fn encode_with<S: Sink + ?Sized>(&self, buf: &mut S, order: Endian) -> Result<(), EncodeError> {
        T::encode_slice(self, buf, order)
    }
}

/// Without `#[codec(when = ..)]`, an `Option` is a presence byte (0 or 1)
/// followed by the value when present.
impl<T: Encode> Encode for Option<T> {
    #[inline]
    fn encoded_len(&self) -> usize {
        1 + self.as_ref().map_or(0, Encode::encoded_len)
    }
    #[inline]
    fn encode_with<S: Sink + ?Sized>(&self, buf: &mut S, order: Endian) -> Result<(), EncodeError> {
        match self {
            None => {
                buf.push(0);
                Ok(())
            }
            Some(v) => {
                buf.push(1);
                v.encode_with(buf, order)
            }
        }
    }
}

/// `Encode` for a sequence type through its `EncodeSeq`: without a length
/// attribute, a LEB128 element count (bytes, for strings), then the body.
/// Also used by [`std_types`](crate::std_types) (the caller imports
/// `Encode`, `EncodeSeq`, `EncodeError`, `Endian`, `LenPrefix`, `Unit`).
macro_rules! prefixed_impls {
    ($(impl[$($g:tt)*] $t:ty;)*) => {$(
        /// Without a length attribute, a sequence is prefixed by its LEB128
        /// element count (bytes, for strings).
        impl<$($g)*> Encode for $t {
            #[inline]
            fn encoded_len(&self) -> usize {
                LenPrefix::Varint.size(self.seq_count(Unit::Elements)) + self.seq_encoded_len()
            }
            #[inline]
            fn encode_with<S: Sink + ?Sized>(&self, buf: &mut S, order: Endian) -> Result<(), EncodeError> {
                LenPrefix::Varint.write(self.seq_count(Unit::Elements), buf, order)?;
                self.encode_seq(buf, order)
            }
        }
    )*};
}
pub(crate) use prefixed_impls;
prefixed_impls! {
    impl[] str;
    impl[] String;
    impl[T: Encode] [T];
    impl[T: Encode] Vec<T>;
}

impl EncodeSeq for str {
    #[inline]
    fn seq_count(&self, _: Unit) -> usize {
        self.len()
    }
    #[inline]
    fn seq_encoded_len(&self) -> usize {
        self.len()
    }
    #[inline]
    fn encode_seq<S: Sink + ?Sized>(&self, buf: &mut S, _: Endian) -> Result<(), EncodeError> {
        buf.extend_from_slice(self.as_bytes());
        Ok(())
    }
}

impl<T: Encode> EncodeSeq for [T] {
    #[inline]
    fn seq_count(&self, unit: Unit) -> usize {
        match unit {
            Unit::Elements => self.len(),
            Unit::Bytes => T::encoded_len_slice(self),
        }
    }
    #[inline]
    fn seq_encoded_len(&self) -> usize {
        T::encoded_len_slice(self)
    }
    #[inline]
    fn encode_seq<S: Sink + ?Sized>(&self, buf: &mut S, order: Endian) -> Result<(), EncodeError> {
        T::encode_slice(self, buf, order)
    }
}

/// Forwards [`EncodeSeq`] through a `Deref` to a sequence (`String` to
/// `str`, `Vec<T>` to `[T]`, and the pointers of `deref_impls!`).
macro_rules! deref_seq_impls {
    ($(impl[$($g:tt)*] $t:ty;)*) => {$(
        impl<$($g)*> EncodeSeq for $t {
            #[inline]
            fn seq_count(&self, unit: Unit) -> usize {
                (**self).seq_count(unit)
            }
            #[inline]
            fn seq_encoded_len(&self) -> usize {
                (**self).seq_encoded_len()
            }
            #[inline]
            fn encode_seq<S: Sink + ?Sized>(&self, buf: &mut S, order: Endian) -> Result<(), EncodeError> {
                (**self).encode_seq(buf, order)
            }
        }
    )*};
}
deref_seq_impls! {
    impl[] String;
    impl[T: Encode] Vec<T>;
}

/// [`Encode`] and [`EncodeSeq`] for a pointer-like wrapper of `T`: as the
/// value it points to (`Box<T>` as `T`, `Cow<str>` as `str`, `Rc<[T]>` as
/// `[T]`). `$b` adds bounds on `T`.
macro_rules! deref_impls {
    ($(impl[$($b:tt)*] $t:ty;)*) => {$(
        /// As the value it points to.
        impl<T: Encode + ?Sized $($b)*> Encode for $t {
            #[inline]
            fn encoded_len(&self) -> usize {
                (**self).encoded_len()
            }
            #[inline]
            fn encode_with<S: Sink + ?Sized>(&self, buf: &mut S, order: Endian) -> Result<(), EncodeError> {
                (**self).encode_with(buf, order)
            }
        }

        deref_seq_impls! {
            impl[T: EncodeSeq + ?Sized $($b)*] $t;
        }
    )*};
}
deref_impls! {
    impl[] &T;
    impl[] Box<T>;
    impl[] Rc<T>;
    impl[+ ToOwned] Cow<'_, T>;
}
#[cfg(target_has_atomic = "ptr")]
deref_impls! {
    impl[] Arc<T>;
}

#[cfg(feature = "bytes")]
impl Encode for bytes::Bytes {
    #[inline]
    fn encoded_len(&self) -> usize {
        (**self).encoded_len()
    }
    #[inline]
    fn encode_with<S: Sink + ?Sized>(&self, buf: &mut S, order: Endian) -> Result<(), EncodeError> {
        (**self).encode_with(buf, order)
    }
}

/// The body of a `Bytes` goes to the sink as the shared buffer it is
/// ([`Sink::extend_from_bytes`]): copied by most sinks, kept by reference
/// by one that gathers a frame for a vectored write.
#[cfg(feature = "bytes")]
impl EncodeSeq for bytes::Bytes {
    /// Bytes are elements: the count is the length in either unit.
    #[inline]
    fn seq_count(&self, _: Unit) -> usize {
        self.len()
    }
    #[inline]
    fn seq_encoded_len(&self) -> usize {
        self.len()
    }
    #[inline]
    fn encode_seq<S: Sink + ?Sized>(&self, buf: &mut S, _: Endian) -> Result<(), EncodeError> {
        buf.extend_from_bytes(self);
        Ok(())
    }
}
