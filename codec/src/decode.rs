//! The [`Decode`] trait and its impls for primitives, strings, byte slices
//! and containers. Decoders read from a [`Reader`] (defined in
//! [`reader`](crate::reader), re-exported here).

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::mem::MaybeUninit;

use crate::context::DecodeWith;
use crate::error::{DecodeError, DecodeErrorKind};
use crate::explainer::Explainer;
#[doc(no_inline)]
pub use crate::reader::Reader;
use crate::wire::{self, Endian, Unit};

/// A type that can be read from bytes.
///
/// `'de` is the lifetime of the input: types like `&'de str` and `&'de [u8]`
/// borrow from it without copying. Derive it with `#[derive(Decode)]`.
///
/// ```
/// use codec::{Decode, Reader};
///
/// let mut r = Reader::new(&[0x01, 0x02, 0xff]);
/// assert_eq!(u16::decode(&mut r)?, 0x0102);
/// assert_eq!(r.offset(), 2);
/// assert!(bool::decode(&mut r).is_err()); // 0xff is not a bool
/// # Ok::<(), codec::DecodeError>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be decoded by codec",
    note = "derive it with `#[derive(codec::Decode)]`, or mark the field `#[codec(skip)]`",
    note = "a type that declares `#[codec(ctx(..))]` is read with its context: pass it on the field, `#[codec(ctx(name = expr, ..))]`"
)]
pub trait Decode<'de>: Sized {
    /// The fewest bytes any value of this type takes on the wire. Used to
    /// bound allocations by what the input can justify.
    const MIN_LEN: usize = 0;

    /// Reads a value. `order` is the byte order the enclosing field asks for:
    /// integers, floats and containers of them honour it; derived types keep
    /// their own `#[codec(endian)]`.
    ///
    /// # Errors
    ///
    /// Any [`DecodeError`]; the reader's position is then unspecified.
    fn decode_with(r: &mut Reader<'de>, order: Endian) -> Result<Self, DecodeError>;

    /// Reads a value in the default (big-endian) byte order.
    ///
    /// # Errors
    ///
    /// As [`Decode::decode_with`].
    #[inline]
    fn decode(r: &mut Reader<'de>) -> Result<Self, DecodeError> {
        Self::decode_with(r, Endian::Big)
    }

    /// Decodes a value that must take all of `bytes`.
    ///
    /// # Errors
    ///
    /// Any [`DecodeError`], including [`DecodeErrorKind::TrailingBytes`].
    #[inline]
    fn from_bytes(bytes: &'de [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let value = Self::decode(&mut r)?;
        r.finish()?;
        Ok(value)
    }

    /// Reads a value as [`Decode::decode_with`] does, recording in `out` one
    /// annotated line per field for [`explain`](crate::explain()). The
    /// default records a single line for the whole value; derived types
    /// record a line per field, primitives show their value.
    ///
    /// # Errors
    ///
    /// As [`Decode::decode_with`].
    #[inline]
    fn explain_with(
        r: &mut Reader<'de>,
        order: Endian,
        out: &mut Explainer,
    ) -> Result<Self, DecodeError> {
        out.opaque(r, |r| Self::decode_with(r, order))
    }

    /// Reads `count` values into a vector. Byte-sized types override this
    /// with a single copy.
    ///
    /// # Errors
    ///
    /// As [`Decode::decode_with`], with the element index in the path.
    #[doc(hidden)]
    #[inline]
    fn decode_vec(
        r: &mut Reader<'de>,
        count: usize,
        order: Endian,
    ) -> Result<Vec<Self>, DecodeError> {
        let mut out = Vec::with_capacity(bounded_capacity::<Self>(r, count)?);
        for i in 0..count {
            out.push(Self::decode_with(r, order).map_err(|e| e.in_index(i))?);
        }
        Ok(out)
    }

    /// Reads elements filling exactly `len` bytes into a vector (a field
    /// with `unit = bytes`, or `rest`). Byte-sized types override this
    /// with a single copy, as [`Decode::decode_vec`].
    ///
    /// # Errors
    ///
    /// Truncated input (checked before any allocation), or an element
    /// error with its index in the path.
    #[doc(hidden)]
    #[inline]
    fn decode_vec_bytes(
        r: &mut Reader<'de>,
        len: usize,
        order: Endian,
    ) -> Result<Vec<Self>, DecodeError> {
        decode_byte_counted(r, len, |r, _| Self::decode_with(r, order))
    }

    /// [`Decode::decode_vec`] while recording it in `out`: one line for
    /// the run. Byte-sized types show the bytes as text where they are.
    ///
    /// # Errors
    ///
    /// As [`Decode::decode_vec`].
    #[doc(hidden)]
    #[inline]
    fn explain_vec(
        r: &mut Reader<'de>,
        count: usize,
        order: Endian,
        out: &mut Explainer,
    ) -> Result<Vec<Self>, DecodeError> {
        out.opaque(r, |r| Self::decode_vec(r, count, order))
    }
}

/// Decodes with `f` and records one line for the bytes it took, showing
/// the value.
///
/// # Errors
///
/// Whatever `f` returns.
#[inline]
pub fn explain_leaf<'de, T: core::fmt::Display>(
    r: &mut Reader<'de>,
    out: &mut Explainer,
    f: impl FnOnce(&mut Reader<'de>) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    out.leaf(r, f)
}

/// The capacity to reserve for `count` elements of `T`: never more than the
/// remaining input could hold, so a hostile count allocates nothing.
///
/// # Errors
///
/// For types that may take zero bytes, a count over the remaining input
/// (the loop would otherwise run on no input at all).
#[inline]
pub fn bounded_capacity<'de, T: Decode<'de>>(
    r: &Reader<'de>,
    count: usize,
) -> Result<usize, DecodeError> {
    match r.remaining().checked_div(T::MIN_LEN) {
        Some(fit) => Ok(count.min(fit)),
        None if count > r.remaining() => Err(r.error(DecodeErrorKind::LengthOverLimit {
            len: count as u64,
            limit: r.remaining() as u64,
        })),
        None => Ok(count),
    }
}

/// [`Decode::explain_vec`] element by element, each on its own lines
/// under `[i]`: what derived types use, whose elements have fields worth
/// seeing (the default shows the run as one line).
///
/// # Errors
///
/// As [`Decode::decode_vec`].
#[doc(hidden)]
pub fn explain_each<'de, T: Decode<'de>>(
    r: &mut Reader<'de>,
    count: usize,
    order: Endian,
    out: &mut Explainer,
) -> Result<Vec<T>, DecodeError> {
    let mut items = Vec::with_capacity(bounded_capacity::<T>(r, count)?);
    for i in 0..count {
        out.push_index(i);
        let item = T::explain_with(r, order, out).map_err(|e| e.in_index(i));
        out.pop();
        items.push(item?);
    }
    Ok(items)
}

/// A sequence built one element at a time (`Vec<T>`, and the maps and sets
/// of [`std_types`](crate::std_types), which refuse duplicates), read by
/// [`decode_items`].
pub(crate) trait Collect<'de>: Sized {
    /// One element: `(K, V)` for maps.
    type Item: Decode<'de>;
    /// An empty collection with room for `n` elements (`n` is already
    /// bounded by the input).
    fn with_room(n: usize) -> Self;
    /// Inserts `item`; when its key is already present, the error message,
    /// leaving the collection as it was.
    ///
    /// # Errors
    ///
    /// A duplicate (`"duplicate map key"`).
    fn insert_new(&mut self, item: Self::Item) -> Result<(), &'static str>;
    /// Reads one element (maps name the failing part: `key` or `value`).
    ///
    /// # Errors
    ///
    /// As [`Decode::decode_with`].
    #[inline]
    fn decode_item(r: &mut Reader<'de>, order: Endian) -> Result<Self::Item, DecodeError> {
        Self::Item::decode_with(r, order)
    }
    /// Reads one element while recording it.
    ///
    /// # Errors
    ///
    /// As [`Decode::explain_with`].
    #[inline]
    fn explain_item(
        r: &mut Reader<'de>,
        order: Endian,
        out: &mut Explainer,
    ) -> Result<Self::Item, DecodeError> {
        Self::Item::explain_with(r, order, out)
    }
}

/// Reads element `i` with `read` and inserts it; a duplicate is an error at
/// the element's first byte.
#[inline(always)]
fn read_into<'de, C: Collect<'de>>(
    out: &mut C,
    r: &mut Reader<'de>,
    i: usize,
    read: &mut impl FnMut(&mut Reader<'de>, usize) -> Result<C::Item, DecodeError>,
) -> Result<(), DecodeError> {
    let start = r.offset();
    let item = read(r, i).map_err(|e| e.in_index(i))?;
    out.insert_new(item)
        .map_err(|why| DecodeError::new(DecodeErrorKind::Invalid(why), start).in_index(i))
}

/// Reads a body of `count` elements, or of `count` bytes with
/// [`Unit::Bytes`], reading each element with `read` (given its index).
///
/// # Errors
///
/// A count over what the input can hold (before any allocation), an
/// element's error (with its index in the path), or a duplicate.
#[inline]
pub(crate) fn decode_items<'de, C: Collect<'de>>(
    r: &mut Reader<'de>,
    count: usize,
    unit: Unit,
    mut read: impl FnMut(&mut Reader<'de>, usize) -> Result<C::Item, DecodeError>,
) -> Result<C, DecodeError> {
    match unit {
        Unit::Elements => {
            // Also refuses a count of zero-length elements over the input,
            // which would otherwise loop on no input at all.
            let mut out = C::with_room(bounded_capacity::<C::Item>(r, count)?);
            for i in 0..count {
                read_into(&mut out, r, i, &mut read)?;
            }
            Ok(out)
        }
        Unit::Bytes => decode_byte_counted(r, count, read),
    }
}

/// Reads a body of `count` bytes (with `unit = bytes`), reading each
/// element with `read` (given its index) until the body ends.
///
/// # Errors
///
/// Fewer than `count` bytes; an element running past the body's end or
/// taking no bytes at all (malformed, not "need more"); an element's error.
#[inline]
fn decode_byte_counted<'de, C: Collect<'de>>(
    r: &mut Reader<'de>,
    count: usize,
    mut read: impl FnMut(&mut Reader<'de>, usize) -> Result<C::Item, DecodeError>,
) -> Result<C, DecodeError> {
    let mut window = r.split(count)?;
    // The window is real input, so this room is justified.
    let room = window
        .remaining()
        .checked_div(<C::Item as Decode<'de>>::MIN_LEN)
        .unwrap_or(0);
    let mut out = C::with_room(room);
    let mut i = 0;
    while !window.is_empty() {
        let before = window.remaining();
        read_into(&mut out, &mut window, i, &mut read).map_err(|e| {
            // The window's end is fixed by the length: running off it is
            // malformed input, not input still to come.
            if e.is_incomplete() {
                let at = e.offset();
                e.restate(
                    DecodeErrorKind::Invalid("byte length ends inside an element"),
                    at,
                )
            } else {
                e
            }
        })?;
        if window.remaining() == before {
            // A zero-length element would never reach the end.
            return Err(window.error(DecodeErrorKind::Invalid(
                "zero-length element in a byte-counted sequence",
            )));
        }
        i += 1;
    }
    Ok(out)
}

/// A sequence whose length is written apart from its body: an inline
/// `#[codec(len = ..)]` prefix, an earlier field (`len_from`), or the end of
/// the frame (`rest`).
pub trait DecodeSeq<'de>: Sized {
    /// Reads a body of `count` elements, or of `count` bytes when `unit` is
    /// [`Unit::Bytes`].
    ///
    /// # Errors
    ///
    /// Truncated input (checked before any allocation), or an element error.
    fn decode_seq(
        r: &mut Reader<'de>,
        count: usize,
        unit: Unit,
        order: Endian,
    ) -> Result<Self, DecodeError>;

    /// Reads a body as [`DecodeSeq::decode_seq`] does, recording it in `out`.
    ///
    /// # Errors
    ///
    /// As [`DecodeSeq::decode_seq`].
    #[inline]
    fn explain_seq(
        r: &mut Reader<'de>,
        count: usize,
        unit: Unit,
        order: Endian,
        out: &mut Explainer,
    ) -> Result<Self, DecodeError> {
        out.opaque(r, |r| Self::decode_seq(r, count, unit, order))
    }

    /// Reads a body that takes everything left in the reader.
    ///
    /// # Errors
    ///
    /// As [`DecodeSeq::decode_seq`].
    #[inline]
    fn decode_rest(r: &mut Reader<'de>, order: Endian) -> Result<Self, DecodeError> {
        let n = r.remaining();
        Self::decode_seq(r, n, Unit::Bytes, order)
    }
}

/// How a decode body reports what it reads, so that one body serves both
/// [`Decode::decode_with`], through [`NoTrace`] (which reports nothing and
/// compiles away), and [`Decode::explain_with`], through an [`Explainer`]
/// (one line per field). Derived decoders are written once, generic over
/// it. For generated code: not public API.
#[doc(hidden)]
pub trait Trace {
    /// Whether reads are recorded. When they are, derived code reads field
    /// by field rather than in packed runs, so that each field has a line.
    const ON: bool;

    /// Enters a field (or a label such as `len`).
    fn enter(&mut self, name: &'static str);

    /// Leaves the innermost field.
    fn leave(&mut self);

    /// Reads a field's value.
    ///
    /// # Errors
    ///
    /// As [`Decode::decode_with`].
    fn field<'de, T: Decode<'de>>(
        &mut self,
        r: &mut Reader<'de>,
        order: Endian,
    ) -> Result<T, DecodeError>;

    /// Reads a value that takes a context (`#[codec(ctx(..))]`).
    ///
    /// # Errors
    ///
    /// As [`DecodeWith::decode_in`].
    fn field_in<'de, T: DecodeWith<'de>>(
        &mut self,
        r: &mut Reader<'de>,
        ctx: T::Ctx,
    ) -> Result<T, DecodeError>;

    /// Reads a sequence body whose length was read apart.
    ///
    /// # Errors
    ///
    /// As [`DecodeSeq::decode_seq`].
    fn seq<'de, T: DecodeSeq<'de>>(
        &mut self,
        r: &mut Reader<'de>,
        count: usize,
        unit: Unit,
        order: Endian,
    ) -> Result<T, DecodeError>;

    /// Reads a sequence body that takes the rest of the input.
    ///
    /// # Errors
    ///
    /// As [`DecodeSeq::decode_rest`].
    fn rest<'de, T: DecodeSeq<'de>>(
        &mut self,
        r: &mut Reader<'de>,
        order: Endian,
    ) -> Result<T, DecodeError>;

    /// Reads a value with `f` (a length, a presence byte, an id) that is
    /// shown as it is.
    ///
    /// # Errors
    ///
    /// Whatever `f` returns.
    fn leaf<'de, T: core::fmt::Display>(
        &mut self,
        r: &mut Reader<'de>,
        f: impl FnOnce(&mut Reader<'de>) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError>;

    /// Shows the bit field `name`: `width` bits from bit `first` of `run`
    /// (the run's bytes, read at input offset `at`), whose value is `raw`;
    /// `lsb` when the run is least significant bit first. Records nothing
    /// by default.
    #[allow(clippy::too_many_arguments)] // one call per bit field, from generated code
    #[inline(always)]
    fn bits(
        &mut self,
        name: &'static str,
        at: usize,
        run: &[u8],
        first: u32,
        width: u32,
        lsb: bool,
        raw: u64,
    ) {
        let _ = (name, at, run, first, width, lsb, raw);
    }
}

/// The [`Trace`] of plain decoding: records nothing.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTrace;

impl Trace for NoTrace {
    const ON: bool = false;

    #[inline(always)]
    fn enter(&mut self, _: &'static str) {}

    #[inline(always)]
    fn leave(&mut self) {}

    #[inline(always)]
    fn field<'de, T: Decode<'de>>(
        &mut self,
        r: &mut Reader<'de>,
        order: Endian,
    ) -> Result<T, DecodeError> {
        T::decode_with(r, order)
    }

    #[inline(always)]
    fn field_in<'de, T: DecodeWith<'de>>(
        &mut self,
        r: &mut Reader<'de>,
        ctx: T::Ctx,
    ) -> Result<T, DecodeError> {
        T::decode_in(r, ctx)
    }

    #[inline(always)]
    fn seq<'de, T: DecodeSeq<'de>>(
        &mut self,
        r: &mut Reader<'de>,
        count: usize,
        unit: Unit,
        order: Endian,
    ) -> Result<T, DecodeError> {
        T::decode_seq(r, count, unit, order)
    }

    #[inline(always)]
    fn rest<'de, T: DecodeSeq<'de>>(
        &mut self,
        r: &mut Reader<'de>,
        order: Endian,
    ) -> Result<T, DecodeError> {
        T::decode_rest(r, order)
    }

    #[inline(always)]
    fn leaf<'de, T: core::fmt::Display>(
        &mut self,
        r: &mut Reader<'de>,
        f: impl FnOnce(&mut Reader<'de>) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        f(r)
    }
}

/// Explaining: each read becomes a line labelled with the fields entered.
impl Trace for Explainer {
    const ON: bool = true;

    fn bits(
        &mut self,
        name: &'static str,
        at: usize,
        run: &[u8],
        first: u32,
        width: u32,
        lsb: bool,
        raw: u64,
    ) {
        self.bit_field(name, at, run, first, width, lsb, raw);
    }

    #[inline]
    fn enter(&mut self, name: &'static str) {
        self.push(name);
    }

    #[inline]
    fn leave(&mut self) {
        self.pop();
    }

    #[inline]
    fn field<'de, T: Decode<'de>>(
        &mut self,
        r: &mut Reader<'de>,
        order: Endian,
    ) -> Result<T, DecodeError> {
        T::explain_with(r, order, self)
    }

    #[inline]
    fn field_in<'de, T: DecodeWith<'de>>(
        &mut self,
        r: &mut Reader<'de>,
        ctx: T::Ctx,
    ) -> Result<T, DecodeError> {
        T::explain_in(r, ctx, self)
    }

    #[inline]
    fn seq<'de, T: DecodeSeq<'de>>(
        &mut self,
        r: &mut Reader<'de>,
        count: usize,
        unit: Unit,
        order: Endian,
    ) -> Result<T, DecodeError> {
        T::explain_seq(r, count, unit, order, self)
    }

    #[inline]
    fn rest<'de, T: DecodeSeq<'de>>(
        &mut self,
        r: &mut Reader<'de>,
        order: Endian,
    ) -> Result<T, DecodeError> {
        let n = r.remaining();
        T::explain_seq(r, n, Unit::Bytes, order, self)
    }

    #[inline]
    fn leaf<'de, T: core::fmt::Display>(
        &mut self,
        r: &mut Reader<'de>,
        f: impl FnOnce(&mut Reader<'de>) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        Explainer::leaf(self, r, f)
    }
}

/// `explain_with` for a type shown on one line with its value (its
/// `Display`). Also used by [`std_types`](crate::std_types) (the caller
/// imports `Reader`, `Endian`, `Explainer`, `DecodeError`).
macro_rules! leaf_explain {
    () => {
        #[inline]
        fn explain_with(
            r: &mut Reader<'de>,
            order: Endian,
            out: &mut Explainer,
        ) -> Result<Self, DecodeError> {
            out.leaf(r, |r| Self::decode_with(r, order))
        }
    };
}
pub(crate) use leaf_explain;

macro_rules! int_impls {
    ($($t:ty),*) => {$(
        impl<'de> Decode<'de> for $t {
            leaf_explain!();
            const MIN_LEN: usize = core::mem::size_of::<$t>();
            #[inline]
            fn decode_with(r: &mut Reader<'de>, order: Endian) -> Result<Self, DecodeError> {
                let b = r.take_array::<{ core::mem::size_of::<$t>() }>()?;
                Ok(match order {
                    Endian::Big => <$t>::from_be_bytes(b),
                    Endian::Little => <$t>::from_le_bytes(b),
                })
            }
        }
    )*};
}
int_impls!(u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64);

impl<'de> Decode<'de> for u8 {
    leaf_explain!();
    const MIN_LEN: usize = 1;
    #[inline]
    fn decode_with(r: &mut Reader<'de>, _: Endian) -> Result<Self, DecodeError> {
        r.byte()
    }
    #[inline]
    fn decode_vec(r: &mut Reader<'de>, count: usize, _: Endian) -> Result<Vec<Self>, DecodeError> {
        Ok(r.take(count)?.to_vec())
    }
    #[inline]
    fn decode_vec_bytes(
        r: &mut Reader<'de>,
        len: usize,
        _: Endian,
    ) -> Result<Vec<Self>, DecodeError> {
        // One byte per element: a byte length is a count.
        Ok(r.take(len)?.to_vec())
    }
    fn explain_vec(
        r: &mut Reader<'de>,
        count: usize,
        _: Endian,
        out: &mut Explainer,
    ) -> Result<Vec<Self>, DecodeError> {
        out.bytes(r, count).map(<[u8]>::to_vec)
    }
}

/// `usize` and `isize` travel as 64-bit integers, whatever the platform.
macro_rules! size_impls {
    ($($t:ty => $wire:ty),*) => {$(
        impl<'de> Decode<'de> for $t {
            leaf_explain!();
            const MIN_LEN: usize = 8;
            #[inline]
            fn decode_with(r: &mut Reader<'de>, order: Endian) -> Result<Self, DecodeError> {
                let start = r.offset();
                let v = <$wire>::decode_with(r, order)?;
                <$t>::try_from(v).map_err(|_| DecodeError::new(
                    DecodeErrorKind::IntegerOutOfRange { value: v as u128, target: stringify!($t) },
                    start,
                ))
            }
        }
    )*};
}
size_impls!(usize => u64, isize => i64);

impl<'de> Decode<'de> for bool {
    leaf_explain!();
    const MIN_LEN: usize = 1;
    #[inline]
    fn decode_with(r: &mut Reader<'de>, _: Endian) -> Result<Self, DecodeError> {
        match r.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(DecodeError::new(
                DecodeErrorKind::InvalidBool(b),
                r.offset() - 1,
            )),
        }
    }
}

impl<'de> Decode<'de> for char {
    leaf_explain!();
    const MIN_LEN: usize = 4;
    #[inline]
    fn decode_with(r: &mut Reader<'de>, order: Endian) -> Result<Self, DecodeError> {
        let start = r.offset();
        let v = u32::decode_with(r, order)?;
        char::from_u32(v).ok_or_else(|| DecodeError::new(DecodeErrorKind::InvalidChar(v), start))
    }
}

impl<'de> Decode<'de> for () {
    #[inline]
    fn decode_with(_: &mut Reader<'de>, _: Endian) -> Result<Self, DecodeError> {
        Ok(())
    }
}

impl<'de, T: Decode<'de>, const N: usize> Decode<'de> for [T; N] {
    const MIN_LEN: usize = T::MIN_LEN * N;
    #[inline]
    fn decode_with(r: &mut Reader<'de>, order: Endian) -> Result<Self, DecodeError> {
        /// Drops the elements written so far if an element fails.
        struct Partial<T, const N: usize> {
            items: [MaybeUninit<T>; N],
            init: usize,
        }
        impl<T, const N: usize> Drop for Partial<T, N> {
            fn drop(&mut self) {
                for item in &mut self.items[..self.init] {
                    // SAFETY: the first `init` items were written and not
                    // yet moved out.
                    unsafe { item.assume_init_drop() };
                }
            }
        }
        let mut partial = Partial::<T, N> {
            items: [const { MaybeUninit::uninit() }; N],
            init: 0,
        };
        while partial.init < N {
            let i = partial.init;
            partial.items[i].write(T::decode_with(r, order).map_err(|e| e.in_index(i))?);
            partial.init += 1;
        }
        // Ownership moves to the array below.
        partial.init = 0;
        // SAFETY: all N items are initialised, and `Partial` will not drop
        // them since `init` is 0; `[MaybeUninit<T>; N]` and `[T; N]` have the
        // same layout.
        Ok(unsafe { core::ptr::read(partial.items.as_ptr().cast::<[T; N]>()) })
    }
}

impl<'de, T: Decode<'de>> Decode<'de> for Box<T> {
    const MIN_LEN: usize = T::MIN_LEN;
    #[inline]
    fn decode_with(r: &mut Reader<'de>, order: Endian) -> Result<Self, DecodeError> {
        T::decode_with(r, order).map(Box::new)
    }
}

/// Without `#[codec(when = ..)]`, an `Option` is a presence byte (0 or 1)
/// followed by the value when present.
impl<'de, T: Decode<'de>> Decode<'de> for Option<T> {
    const MIN_LEN: usize = 1;
    #[inline]
    fn decode_with(r: &mut Reader<'de>, order: Endian) -> Result<Self, DecodeError> {
        match r.byte()? {
            0 => Ok(None),
            1 => T::decode_with(r, order).map(Some),
            b => Err(DecodeError::new(
                DecodeErrorKind::InvalidPresence(b),
                r.offset() - 1,
            )),
        }
    }
}

/// Reads a default-prefixed sequence: a LEB128 count (labelled `len`),
/// then the body.
#[inline(always)]
pub(crate) fn prefixed<'de, S: DecodeSeq<'de>>(
    r: &mut Reader<'de>,
    order: Endian,
    t: &mut impl Trace,
) -> Result<S, DecodeError> {
    t.enter("len");
    let n = t.leaf(r, |r| wire::LenPrefix::Varint.read(r, order));
    t.leave();
    t.seq(r, n?, Unit::Elements, order)
}

/// `Decode` for a sequence type through its `DecodeSeq`: without a length
/// attribute, a LEB128 element count (bytes, for strings), then the body.
/// Also used by [`std_types`](crate::std_types) (the caller imports
/// `Decode`, `Reader`, `Endian`, `Explainer`, `DecodeError`).
macro_rules! prefixed_impls {
    ($(impl[$($g:tt)*] $t:ty;)*) => {$(
        /// Without a length attribute, a sequence is prefixed by its LEB128
        /// element count (bytes, for strings).
        impl<$($g)*> Decode<'de> for $t {
            const MIN_LEN: usize = 1;
            #[inline]
            fn decode_with(r: &mut Reader<'de>, order: Endian) -> Result<Self, DecodeError> {
                $crate::decode::prefixed(r, order, &mut $crate::decode::NoTrace)
            }
            #[inline]
            fn explain_with(r: &mut Reader<'de>, order: Endian, out: &mut Explainer) -> Result<Self, DecodeError> {
                $crate::decode::prefixed(r, order, out)
            }
        }
    )*};
}
pub(crate) use prefixed_impls;
prefixed_impls! {
    impl['de: 'a, 'a] &'a [u8];
    impl['de: 'a, 'a] &'a str;
    impl['de] String;
    impl['de, T: Decode<'de>] Vec<T>;
    impl['de, T: Decode<'de>] Box<[T]>;
    impl['de] Box<str>;
}

#[inline]
fn utf8(bytes: &[u8], offset: usize) -> Result<&str, DecodeError> {
    core::str::from_utf8(bytes).map_err(|e| utf8_error(e, offset))
}

#[cold]
#[inline(never)]
fn utf8_error(e: core::str::Utf8Error, offset: usize) -> DecodeError {
    DecodeError::new(
        DecodeErrorKind::InvalidUtf8 {
            valid_up_to: e.valid_up_to(),
        },
        offset,
    )
}

impl<'de: 'a, 'a> DecodeSeq<'de> for &'a [u8] {
    #[inline]
    fn decode_seq(
        r: &mut Reader<'de>,
        count: usize,
        _: Unit,
        _: Endian,
    ) -> Result<Self, DecodeError> {
        r.take(count)
    }
    fn explain_seq(
        r: &mut Reader<'de>,
        count: usize,
        _: Unit,
        _: Endian,
        out: &mut Explainer,
    ) -> Result<Self, DecodeError> {
        out.bytes(r, count)
    }
}

impl<'de: 'a, 'a> DecodeSeq<'de> for &'a str {
    fn explain_seq(
        r: &mut Reader<'de>,
        count: usize,
        unit: Unit,
        order: Endian,
        out: &mut Explainer,
    ) -> Result<Self, DecodeError> {
        out.recorded(
            r,
            |r| Self::decode_seq(r, count, unit, order),
            |s, f| write!(f, "{s:?}"),
        )
    }
    #[inline]
    fn decode_seq(
        r: &mut Reader<'de>,
        count: usize,
        _: Unit,
        _: Endian,
    ) -> Result<Self, DecodeError> {
        let start = r.offset();
        utf8(r.take(count)?, start)
    }
}

/// Owned strings: the bytes are copied, then checked; explained as `&str`.
macro_rules! owned_str_seq {
    ($($t:ty),*) => {$(
        impl<'de> DecodeSeq<'de> for $t {
            #[inline(always)]
            fn decode_seq(
                r: &mut Reader<'de>,
                count: usize,
                unit: Unit,
                order: Endian,
            ) -> Result<Self, DecodeError> {
                let _ = (unit, order);
                let start = r.offset();
                // Copy first, then check the copy: the check runs faster on
                // the fresh, aligned allocation than on the input.
                let bytes = r.take(count)?.to_vec();
                if let Err(e) = core::str::from_utf8(&bytes) {
                    return Err(utf8_error(e, start));
                }
                // SAFETY: `bytes` was checked to be UTF-8 just above.
                Ok(<$t>::from(unsafe { String::from_utf8_unchecked(bytes) }))
            }
            fn explain_seq(
                r: &mut Reader<'de>,
                count: usize,
                unit: Unit,
                order: Endian,
                out: &mut Explainer,
            ) -> Result<Self, DecodeError> {
                <&str>::explain_seq(r, count, unit, order, out).map(<$t>::from)
            }
        }
    )*};
}
owned_str_seq!(String, Box<str>);

impl<'de, T: Decode<'de>> DecodeSeq<'de> for Vec<T> {
    fn explain_seq(
        r: &mut Reader<'de>,
        count: usize,
        unit: Unit,
        order: Endian,
        out: &mut Explainer,
    ) -> Result<Self, DecodeError> {
        match unit {
            Unit::Elements => T::explain_vec(r, count, order, out),
            Unit::Bytes => out.opaque(r, |r| Self::decode_seq(r, count, unit, order)),
        }
    }
    #[inline]
    fn decode_seq(
        r: &mut Reader<'de>,
        count: usize,
        unit: Unit,
        order: Endian,
    ) -> Result<Self, DecodeError> {
        match unit {
            Unit::Elements => T::decode_vec(r, count, order),
            Unit::Bytes => T::decode_vec_bytes(r, count, order),
        }
    }
}

/// A vector collects every element: no element is a duplicate.
impl<'de, T: Decode<'de>> Collect<'de> for Vec<T> {
    type Item = T;
    #[inline]
    fn with_room(n: usize) -> Self {
        Vec::with_capacity(n)
    }
    #[inline(always)]
    fn insert_new(&mut self, item: T) -> Result<(), &'static str> {
        self.push(item);
        Ok(())
    }
}

impl<'de, T: Decode<'de>> DecodeSeq<'de> for Box<[T]> {
    #[inline]
    fn decode_seq(
        r: &mut Reader<'de>,
        count: usize,
        unit: Unit,
        order: Endian,
    ) -> Result<Self, DecodeError> {
        Vec::<T>::decode_seq(r, count, unit, order).map(Vec::into_boxed_slice)
    }
}

#[cfg(feature = "bytes")]
impl<'de> Decode<'de> for bytes::Bytes {
    const MIN_LEN: usize = 1;
    #[inline]
    fn decode_with(r: &mut Reader<'de>, order: Endian) -> Result<Self, DecodeError> {
        prefixed(r, order, &mut NoTrace)
    }
}

#[cfg(feature = "bytes")]
impl<'de> DecodeSeq<'de> for bytes::Bytes {
    #[inline]
    fn decode_seq(
        r: &mut Reader<'de>,
        count: usize,
        _: Unit,
        _: Endian,
    ) -> Result<Self, DecodeError> {
        r.take(count).map(bytes::Bytes::copy_from_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    /// A byte vector read by byte length (`rest`, `unit = bytes`) takes
    /// one copy and fails on a truncation exactly as the element-by-element
    /// path of another one-byte type does.
    #[test]
    fn byte_vec_by_length() {
        let data = [1u8, 2, 3, 0xff];
        let mut r = Reader::new(&data);
        let v = Vec::<u8>::decode_rest(&mut r, Endian::Big).unwrap();
        assert_eq!((v, r.remaining()), (data.to_vec(), 0));

        let mut r = Reader::new(&data[..3]);
        let e = Vec::<u8>::decode_seq(&mut r, 5, Unit::Bytes, Endian::Big).unwrap_err();
        let mut r = Reader::new(&data[..3]);
        let generic = Vec::<i8>::decode_seq(&mut r, 5, Unit::Bytes, Endian::Big).unwrap_err();
        assert!(e.is_incomplete());
        assert_eq!(e.to_string(), generic.to_string());
        assert_eq!(e.offset(), generic.offset());
    }
}
