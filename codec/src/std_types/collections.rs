//! Maps and sets: a LEB128 count then the elements, or a length from a
//! `#[codec(..)]` attribute; duplicates on decode are errors.

use alloc::collections::{BTreeMap, BTreeSet};

use crate::decode::{decode_items, prefixed_impls as decode_prefixed, Collect, Decode, DecodeSeq};
use crate::encode::{prefixed_impls as encode_prefixed, Encode, EncodeSeq};
use crate::error::{DecodeError, EncodeError};
use crate::explainer::Explainer;
use crate::reader::Reader;
use crate::sink::Sink;
use crate::wire::{Endian, LenPrefix, Unit};

/// Bytes the entries of a map take.
fn entries_len<'a, K: Encode + 'a, V: Encode + 'a>(
    entries: impl Iterator<Item = (&'a K, &'a V)>,
) -> usize {
    entries
        .map(|(k, v)| k.encoded_len() + v.encoded_len())
        .sum()
}

/// The type name an error inside a map entry reports when the map is
/// encoded or decoded on its own (inside a field, the field's path
/// replaces it): `[1].value`.
const ENTRY: &str = "entry";

/// Appends each key and its value, naming the entry's index and its part
/// (`[1].value`) when one fails.
fn encode_entries<'a, K: Encode + 'a, V: Encode + 'a, S: Sink + ?Sized>(
    entries: impl Iterator<Item = (&'a K, &'a V)>,
    buf: &mut S,
    order: Endian,
) -> Result<(), EncodeError> {
    for (i, (k, v)) in entries.enumerate() {
        k.encode_with(buf, order)
            .map_err(|e| e.in_field(ENTRY, "key"))
            .and_then(|()| {
                v.encode_with(buf, order)
                    .map_err(|e| e.in_field(ENTRY, "value"))
            })
            .map_err(|e| e.in_index(i))?;
    }
    Ok(())
}

/// Appends each element, naming the index of one that fails.
fn encode_elements<'a, T: Encode + 'a, S: Sink + ?Sized>(
    items: impl Iterator<Item = &'a T>,
    buf: &mut S,
    order: Endian,
) -> Result<(), EncodeError> {
    for (i, item) in items.enumerate() {
        item.encode_with(buf, order).map_err(|e| e.in_index(i))?;
    }
    Ok(())
}

/// `Encode` (a LEB128 count, then the body, through `prefixed_impls!`) and
/// `EncodeSeq` (the body alone, for `len`, `len_from` and `rest`) for a map
/// (`entries`) or a set (`elements`).
macro_rules! encode_collection {
    ($(impl[$($g:tt)*] $t:ty => $kind:ident;)*) => {$(
        encode_prefixed! {
            impl[$($g)*] $t;
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
            fn encode_seq<S: Sink + ?Sized>(&self, buf: &mut S, order: Endian) -> Result<(), EncodeError> {
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
    impl[K: Encode, V: Encode, H] std::collections::HashMap<K, V, H> => entries;
    impl[T: Encode, H] std::collections::HashSet<T, H> => elements;
}

/// Reads a map entry, naming the part that fails (`key`, `value`).
#[inline]
fn decode_entry<'de, K: Decode<'de>, V: Decode<'de>>(
    r: &mut Reader<'de>,
    order: Endian,
) -> Result<(K, V), DecodeError> {
    let k = K::decode_with(r, order).map_err(|e| e.in_field(ENTRY, "key"))?;
    let v = V::decode_with(r, order).map_err(|e| e.in_field(ENTRY, "value"))?;
    Ok((k, v))
}

/// Reads a map entry as `key` and `value` lines, naming the part that
/// fails as [`decode_entry`] does.
fn explain_entry<'de, K: Decode<'de>, V: Decode<'de>>(
    r: &mut Reader<'de>,
    order: Endian,
    out: &mut Explainer,
) -> Result<(K, V), DecodeError> {
    // An early return on error need not pop (see `Explainer`).
    out.push("key");
    let k = K::explain_with(r, order, out).map_err(|e| e.in_field(ENTRY, "key"))?;
    out.pop();
    out.push("value");
    let v = V::explain_with(r, order, out).map_err(|e| e.in_field(ENTRY, "value"))?;
    out.pop();
    Ok((k, v))
}

/// `Collect` (refusing duplicates), `Decode` (a LEB128 count, then the
/// body, through `prefixed_impls!`) and `DecodeSeq` (the body alone) for a
/// map (`map (K, V)`) or a set (`set T`).
macro_rules! decode_collection {
    ($(
        impl[$($g:tt)*] $t:ty => $kind:ident $item:ty, |$n:pat_param| $room:expr;
    )*) => {$(
        impl<$($g)*> Collect<'de> for $t {
            type Item = $item;
            #[inline]
            fn with_room($n: usize) -> Self {
                $room
            }
            #[inline]
            fn insert_new(&mut self, item: $item) -> Result<(), &'static str> {
                decode_collection!(@insert $kind self, item)
            }
            decode_collection!(@item $kind);
        }

        decode_prefixed! {
            impl[$($g)*] $t;
        }

        /// With `#[codec(len = ..)]` (or `len_from`, `rest`): `count`
        /// entries, or `count` bytes of them with `unit = bytes`. A
        /// duplicate key is an error naming its index.
        impl<$($g)*> DecodeSeq<'de> for $t {
            #[inline]
            fn decode_seq(
                r: &mut Reader<'de>,
                count: usize,
                unit: Unit,
                order: Endian,
            ) -> Result<Self, DecodeError> {
                decode_items(r, count, unit, |r, _| Self::decode_item(r, order))
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
    (@insert map $s:ident, $item:ident) => {{
        let (k, v) = $item;
        let mut new = false;
        $s.entry(k).or_insert_with(|| {
            new = true;
            v
        });
        if new { Ok(()) } else { Err("duplicate map key") }
    }};
    (@insert set $s:ident, $item:ident) => {
        if $s.insert($item) { Ok(()) } else { Err("duplicate set element") }
    };
    (@item map) => {
        #[inline]
        fn decode_item(r: &mut Reader<'de>, order: Endian) -> Result<Self::Item, DecodeError> {
            decode_entry(r, order)
        }
        fn explain_item(
            r: &mut Reader<'de>,
            order: Endian,
            out: &mut Explainer,
        ) -> Result<Self::Item, DecodeError> {
            explain_entry(r, order, out)
        }
    };
    (@item set) => {};
}

decode_collection! {
    impl['de, K: Decode<'de> + Ord, V: Decode<'de>] BTreeMap<K, V> => map (K, V), |_| BTreeMap::new();
    impl['de, T: Decode<'de> + Ord] BTreeSet<T> => set T, |_| BTreeSet::new();
}
#[cfg(feature = "std")]
decode_collection! {
    impl[
        'de,
        K: Decode<'de> + Eq + core::hash::Hash,
        V: Decode<'de>,
        S: core::hash::BuildHasher + Default,
    ] std::collections::HashMap<K, V, S> => map (K, V),
        |n| Self::with_capacity_and_hasher(n, S::default());
    impl['de, T: Decode<'de> + Eq + core::hash::Hash, S: core::hash::BuildHasher + Default]
        std::collections::HashSet<T, S> => set T,
        |n| Self::with_capacity_and_hasher(n, S::default());
}
