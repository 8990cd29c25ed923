//! Maps and sets: a LEB128 count then the elements, or a length from a
//! `#[codec(..)]` attribute; duplicates on decode are errors.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use crate::decode::{bounded_capacity, explain_leaf, Decode, DecodeSeq};
use crate::encode::{Encode, EncodeSeq};
use crate::error::{DecodeError, DecodeErrorKind, EncodeError};
use crate::explain::Explainer;
use crate::reader::Reader;
use crate::wire::{Endian, LenPrefix, Unit};

/// Bytes the entries of a map take.
fn entries_len<'a, K: Encode + 'a, V: Encode + 'a>(
    entries: impl Iterator<Item = (&'a K, &'a V)>,
) -> usize {
    entries
        .map(|(k, v)| k.encoded_len() + v.encoded_len())
        .sum()
}

/// Appends each key and its value, naming the index of an entry that fails.
fn encode_entries<'a, K: Encode + 'a, V: Encode + 'a>(
    entries: impl Iterator<Item = (&'a K, &'a V)>,
    buf: &mut Vec<u8>,
    order: Endian,
) -> Result<(), EncodeError> {
    for (i, (k, v)) in entries.enumerate() {
        k.encode_with(buf, order)
            .and_then(|()| v.encode_with(buf, order))
            .map_err(|e| e.in_index(i))?;
    }
    Ok(())
}

/// Appends each element, naming the index of one that fails.
fn encode_elements<'a, T: Encode + 'a>(
    items: impl Iterator<Item = &'a T>,
    buf: &mut Vec<u8>,
    order: Endian,
) -> Result<(), EncodeError> {
    for (i, item) in items.enumerate() {
        item.encode_with(buf, order).map_err(|e| e.in_index(i))?;
    }
    Ok(())
}

/// `Encode` (a LEB128 count, then the body) and `EncodeSeq` (the body
/// alone, for `len`, `len_from` and `rest`) for a map (`entries`) or a set
/// (`elements`).
macro_rules! encode_collection {
    ($(impl[$($g:tt)*] $t:ty => $kind:ident;)*) => {$(
        /// Without a length attribute: a LEB128 count of entries (or
        /// elements), then each entry's key and value (or each element).
        impl<$($g)*> Encode for $t {
            #[inline]
            fn encoded_len(&self) -> usize {
                LenPrefix::Varint.size(self.len()) + self.seq_encoded_len()
            }
            #[inline]
            fn encode_with(&self, buf: &mut Vec<u8>, order: Endian) -> Result<(), EncodeError> {
                LenPrefix::Varint.write(self.len(), buf, order)?;
                self.encode_seq(buf, order)
            }
        }

        /// With `#[codec(len = ..)]` (or `len_from`, `rest`): the length
        /// counts entries, or body bytes with `unit = bytes`.
        impl<$($g)*> EncodeSeq for $t {
            #[inline]
            fn seq_count(&self, unit: Unit) -> usize {
                match unit {
                    Unit::Elements => self.len(),
                    Unit::Bytes => self.seq_encoded_len(),
                }
            }
            #[inline]
            fn seq_encoded_len(&self) -> usize {
                encode_collection!(@len $kind self)
            }
            #[inline]
            fn encode_seq(&self, buf: &mut Vec<u8>, order: Endian) -> Result<(), EncodeError> {
                encode_collection!(@encode $kind self, buf, order)
            }
        }
    )*};
    (@len entries $s:ident) => { entries_len($s.iter()) };
    (@len elements $s:ident) => { $s.iter().map(Encode::encoded_len).sum() };
    (@encode entries $s:ident, $buf:ident, $order:ident) => {
        encode_entries($s.iter(), $buf, $order)
    };
    (@encode elements $s:ident, $buf:ident, $order:ident) => {
        encode_elements($s.iter(), $buf, $order)
    };
}

encode_collection! {
    impl[K: Encode, V: Encode] BTreeMap<K, V> => entries;
    impl[T: Encode] BTreeSet<T> => elements;
}
#[cfg(feature = "std")]
encode_collection! {
    impl[K: Encode, V: Encode, S] std::collections::HashMap<K, V, S> => entries;
    impl[T: Encode, S] std::collections::HashSet<T, S> => elements;
}

/// The decoding side of a map or set: built one element at a time,
/// refusing duplicates.
trait Collect<'de>: Sized {
    /// One element: `(K, V)` for maps.
    type Item: Decode<'de>;
    /// The error for an element whose key is already present.
    const DUPLICATE: &'static str;
    /// An empty collection with room for `n` elements (`n` is already
    /// bounded by the input).
    fn with_room(n: usize) -> Self;
    /// Inserts `item`; `false`, leaving the collection as it was, when its
    /// key is already present.
    fn insert_new(&mut self, item: Self::Item) -> bool;
    /// Reads one element while recording it.
    fn explain_item(
        r: &mut Reader<'de>,
        order: Endian,
        out: &mut Explainer,
    ) -> Result<Self::Item, DecodeError>;
}

/// Reads a map entry as `key` and `value` lines.
fn explain_entry<'de, K: Decode<'de>, V: Decode<'de>>(
    r: &mut Reader<'de>,
    order: Endian,
    out: &mut Explainer,
) -> Result<(K, V), DecodeError> {
    // An early return on error need not pop (see `Explainer`).
    out.push("key");
    let k = K::explain_with(r, order, out)?;
    out.pop();
    out.push("value");
    let v = V::explain_with(r, order, out)?;
    out.pop();
    Ok((k, v))
}

/// Reads element `i` with `read` and inserts it; a duplicate is an error at
/// the element's first byte.
#[inline]
fn read_into<'de, C: Collect<'de>>(
    out: &mut C,
    r: &mut Reader<'de>,
    i: usize,
    read: &mut impl FnMut(&mut Reader<'de>, usize) -> Result<C::Item, DecodeError>,
) -> Result<(), DecodeError> {
    let start = r.offset();
    let item = read(r, i).map_err(|e| e.in_index(i))?;
    if out.insert_new(item) {
        Ok(())
    } else {
        Err(DecodeError::new(DecodeErrorKind::Invalid(C::DUPLICATE), start).in_index(i))
    }
}

/// Reads a body of `count` elements, or of `count` bytes with
/// [`Unit::Bytes`], reading each element with `read` (given its index).
fn decode_items<'de, C: Collect<'de>>(
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
        Unit::Bytes => {
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
                    // The window's end is fixed by the length: running off
                    // it is malformed input, not input still to come.
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
    }
}

/// `Collect`, `Decode` (a LEB128 count, then the body) and `DecodeSeq` (the
/// body alone) for a map (`map (K, V)`) or a set (`set T`).
macro_rules! decode_collection {
    ($(
        impl[$($g:tt)*] $t:ty => $kind:ident $item:ty, |$n:pat_param| $room:expr
        $(, where [$($w:tt)*])?;
    )*) => {$(
        impl<$($g)*> Collect<'de> for $t $(where $($w)*)? {
            type Item = $item;
            const DUPLICATE: &'static str = decode_collection!(@duplicate $kind);
            #[inline]
            fn with_room($n: usize) -> Self {
                $room
            }
            #[inline]
            fn insert_new(&mut self, item: $item) -> bool {
                decode_collection!(@insert $kind self, item)
            }
            fn explain_item(
                r: &mut Reader<'de>,
                order: Endian,
                out: &mut Explainer,
            ) -> Result<$item, DecodeError> {
                decode_collection!(@explain $kind r, order, out)
            }
        }

        /// Without a length attribute: a LEB128 count of entries (or
        /// elements), then each entry's key and value (or each element). A
        /// duplicate key is an error naming its index.
        impl<$($g)*> Decode<'de> for $t $(where $($w)*)? {
            const MIN_LEN: usize = 1;
            #[inline]
            fn decode_with(r: &mut Reader<'de>, order: Endian) -> Result<Self, DecodeError> {
                let n = LenPrefix::Varint.read(r, order)?;
                Self::decode_seq(r, n, Unit::Elements, order)
            }
            fn explain_with(
                r: &mut Reader<'de>,
                order: Endian,
                out: &mut Explainer,
            ) -> Result<Self, DecodeError> {
                out.push("len");
                let n = explain_leaf(r, out, |r| LenPrefix::Varint.read(r, order));
                out.pop();
                Self::explain_seq(r, n?, Unit::Elements, order, out)
            }
        }

        /// With `#[codec(len = ..)]` (or `len_from`, `rest`): `count`
        /// entries, or `count` bytes of them with `unit = bytes`.
        impl<$($g)*> DecodeSeq<'de> for $t $(where $($w)*)? {
            #[inline]
            fn decode_seq(
                r: &mut Reader<'de>,
                count: usize,
                unit: Unit,
                order: Endian,
            ) -> Result<Self, DecodeError> {
                decode_items(r, count, unit, |r, _| {
                    <$item>::decode_with(r, order)
                })
            }
            fn explain_seq(
                r: &mut Reader<'de>,
                count: usize,
                unit: Unit,
                order: Endian,
                out: &mut Explainer,
            ) -> Result<Self, DecodeError> {
                decode_items(r, count, unit, |r, i| {
                    out.push_index(i);
                    let item = Self::explain_item(r, order, out)?;
                    out.pop();
                    Ok(item)
                })
            }
        }
    )*};
    (@duplicate map) => { "duplicate map key" };
    (@duplicate set) => { "duplicate set element" };
    (@insert map $s:ident, $item:ident) => {{
        let (k, v) = $item;
        let mut new = false;
        $s.entry(k).or_insert_with(|| {
            new = true;
            v
        });
        new
    }};
    (@insert set $s:ident, $item:ident) => { $s.insert($item) };
    (@explain map $r:ident, $order:ident, $out:ident) => { explain_entry($r, $order, $out) };
    (@explain set $r:ident, $order:ident, $out:ident) => {
        <Self::Item as Decode<'de>>::explain_with($r, $order, $out)
    };
}

decode_collection! {
    impl['de, K: Decode<'de> + Ord, V: Decode<'de>] BTreeMap<K, V> => map (K, V), |_| BTreeMap::new();
    impl['de, T: Decode<'de> + Ord] BTreeSet<T> => set T, |_| BTreeSet::new();
}
#[cfg(feature = "std")]
decode_collection! {
    impl['de, K, V, S] std::collections::HashMap<K, V, S> => map (K, V),
        |n| Self::with_capacity_and_hasher(n, S::default()),
        where [K: Decode<'de> + Eq + core::hash::Hash, V: Decode<'de>, S: core::hash::BuildHasher + Default];
    impl['de, T, S] std::collections::HashSet<T, S> => set T,
        |n| Self::with_capacity_and_hasher(n, S::default()),
        where [T: Decode<'de> + Eq + core::hash::Hash, S: core::hash::BuildHasher + Default];
}
