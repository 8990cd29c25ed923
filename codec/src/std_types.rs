//! [`Encode`] and [`Decode`] for more std types: maps and sets, `NonZero*`,
//! IP and socket addresses, C strings, `Cow`, `Arc`/`Rc`, and tuples of 5
//! to 12 elements.
//!
//! Their wire formats:
//!
//! | type | wire |
//! | --- | --- |
//! | `BTreeMap<K, V>`, `HashMap<K, V, S>` | LEB128 entry count, then each key followed by its value |
//! | `BTreeSet<T>`, `HashSet<T, S>` | LEB128 element count, then the elements |
//! | `NonZeroU8` ... `NonZeroI128`, `NonZero<usize>` | the integer's bytes; zero is a decode error |
//! | `Ipv4Addr` / `Ipv6Addr` | the 4 / 16 octets, in address order |
//! | `SocketAddrV4` | 4 address octets, port (u16) |
//! | `SocketAddrV6` | 16 address octets, port (u16), flow info (u32), scope id (u32) |
//! | `IpAddr` | family byte (4 or 6), then `Ipv4Addr` or `Ipv6Addr` |
//! | `SocketAddr` | family byte (4 or 6), then `SocketAddrV4` or `SocketAddrV6` |
//! | `CString`, `&CStr` | the bytes, then a NUL byte |
//! | `Cow<'de, str>`, `Cow<'de, [u8]>` | as `&str` / `&[u8]`; decoding borrows from the input |
//! | `Arc<T>`, `Rc<T>` | as `T` (like `Box<T>`) |
//! | tuples of 5 to 12 elements | the elements in order, nothing between them |
//!
//! ```text
//! BTreeMap {1: "a", 2: "bc"}   02 | 01 01 61 | 02 02 62 63
//!                              n  | key value | key value
//! SocketAddr 10.0.0.1:80      04 | 0a 00 00 01 | 00 50
//!                             v4 | address     | port
//! CString "hi"                68 69 00
//! ```
//!
//! The integers inside addresses (ports, flow info, scope ids) are always
//! big-endian, the network's byte order, whatever the enclosing field's
//! `endian`; maps, sets, tuples, `NonZero*` and `Arc`/`Rc` pass the field's
//! byte order on to what they hold.
//!
//! Maps and sets take `#[codec(len = ..)]`, `len_from`, `unit = bytes` and
//! `rest` as `Vec<T>` does (the length counts entries, or body bytes with
//! `unit = bytes`). A duplicate key (or set element) on decode is an error
//! at the duplicate's offset, naming its index (`Config.env[2]`): no entry
//! is silently dropped. `HashMap` and `HashSet` are written in iteration
//! order, so their bytes differ between equal maps; use `BTreeMap` and
//! `BTreeSet` where the bytes must be canonical. `HashMap` and `HashSet`
//! need the `std` feature.
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::net::{Ipv4Addr, SocketAddr};
//! use std::num::NonZeroU16;
//! use codec::{Decode, Encode};
//!
//! #[derive(Debug, PartialEq, Encode, Decode)]
//! struct Peer {
//!     id: NonZeroU16,
//!     addr: SocketAddr,
//!     #[codec(len = u8)]
//!     tags: BTreeMap<u8, String>,
//! }
//!
//! let peer = Peer {
//!     id: NonZeroU16::new(7).unwrap(),
//!     addr: SocketAddr::from((Ipv4Addr::new(10, 0, 0, 1), 80)),
//!     tags: BTreeMap::from([(1, "a".to_string())]),
//! };
//! let bytes = peer.to_bytes()?;
//! // id    | family | address     | port  | tags.len | key | value
//! // 00 07 | 04     | 0a 00 00 01 | 00 50 | 01       | 01  | 01 61
//! assert_eq!(bytes, [0, 7, 4, 10, 0, 0, 1, 0, 80, 1, 1, 1, b'a']);
//! assert_eq!(Peer::from_bytes(&bytes)?, peer);
//!
//! // A zero id is an error at its offset, naming the field.
//! let err = Peer::from_bytes(&[0, 0, 4, 10, 0, 0, 1, 0, 80, 0]).unwrap_err();
//! assert_eq!(err.to_string(), "integer 0 out of range for NonZeroU16 at byte 0 in Peer.id");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::borrow::{Cow, ToOwned};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::ffi::CString;
use alloc::rc::Rc;
#[cfg(target_has_atomic = "ptr")]
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::ffi::CStr;
use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use core::num::NonZero;

use crate::decode::{bounded_capacity, explain_leaf, Decode, DecodeSeq};
use crate::encode::{Encode, EncodeSeq};
use crate::error::{DecodeError, DecodeErrorKind, EncodeError};
use crate::explain::Explainer;
use crate::reader::Reader;
use crate::wire::{Endian, LenPrefix, Unit};

// ## Maps and sets

/// The encoding side of a map or set: its elements, without any count.
trait EncodeItems {
    /// Entries (maps) or elements (sets).
    fn item_count(&self) -> usize;
    /// Bytes the elements take.
    fn items_len(&self) -> usize;
    /// Appends the elements, naming the index of one that fails.
    fn encode_items(&self, buf: &mut Vec<u8>, order: Endian) -> Result<(), EncodeError>;
}

fn entries_len<'a, K: Encode + 'a, V: Encode + 'a>(
    entries: impl Iterator<Item = (&'a K, &'a V)>,
) -> usize {
    entries
        .map(|(k, v)| k.encoded_len() + v.encoded_len())
        .sum()
}

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

/// `EncodeItems` for a map (`entries`) or a set (`elements`).
macro_rules! encode_items {
    ($(impl[$($g:tt)*] $t:ty => $kind:ident;)*) => {$(
        impl<$($g)*> EncodeItems for $t {
            #[inline]
            fn item_count(&self) -> usize {
                self.len()
            }
            #[inline]
            fn items_len(&self) -> usize {
                encode_items!(@len $kind self)
            }
            #[inline]
            fn encode_items(&self, buf: &mut Vec<u8>, order: Endian) -> Result<(), EncodeError> {
                encode_items!(@encode $kind self, buf, order)
            }
        }
    )*};
    (@len entries $s:ident) => { entries_len($s.iter()) };
    (@len elements $s:ident) => { $s.iter().map(Encode::encoded_len).sum() };
    (@encode entries $s:ident, $buf:ident, $order:ident) => { encode_entries($s.iter(), $buf, $order) };
    (@encode elements $s:ident, $buf:ident, $order:ident) => { encode_elements($s.iter(), $buf, $order) };
}

encode_items! {
    impl[K: Encode, V: Encode] BTreeMap<K, V> => entries;
    impl[T: Encode] BTreeSet<T> => elements;
}
#[cfg(feature = "std")]
encode_items! {
    impl[K: Encode, V: Encode, S] std::collections::HashMap<K, V, S> => entries;
    impl[T: Encode, S] std::collections::HashSet<T, S> => elements;
}

/// `Encode` (a LEB128 count, then the elements) and `EncodeSeq` (the
/// elements alone, for `len`, `len_from` and `rest`) from `EncodeItems`.
macro_rules! encode_collection {
    ($(impl[$($g:tt)*] $t:ty;)*) => {$(
        /// Without a length attribute: a LEB128 count of entries (or
        /// elements), then each entry's key and value (or each element).
        impl<$($g)*> Encode for $t {
            #[inline]
            fn encoded_len(&self) -> usize {
                LenPrefix::Varint.size(self.item_count()) + self.items_len()
            }
            #[inline]
            fn encode_with(&self, buf: &mut Vec<u8>, order: Endian) -> Result<(), EncodeError> {
                LenPrefix::Varint.write(self.item_count(), buf, order)?;
                self.encode_items(buf, order)
            }
        }

        /// With `#[codec(len = ..)]` (or `len_from`, `rest`): the length
        /// counts entries, or body bytes with `unit = bytes`.
        impl<$($g)*> EncodeSeq for $t {
            #[inline]
            fn seq_count(&self, unit: Unit) -> usize {
                match unit {
                    Unit::Elements => self.item_count(),
                    Unit::Bytes => self.items_len(),
                }
            }
            #[inline]
            fn seq_encoded_len(&self) -> usize {
                self.items_len()
            }
            #[inline]
            fn encode_seq(&self, buf: &mut Vec<u8>, order: Endian) -> Result<(), EncodeError> {
                self.encode_items(buf, order)
            }
        }
    )*};
}

encode_collection! {
    impl[K: Encode, V: Encode] BTreeMap<K, V>;
    impl[T: Encode] BTreeSet<T>;
}
#[cfg(feature = "std")]
encode_collection! {
    impl[K: Encode, V: Encode, S] std::collections::HashMap<K, V, S>;
    impl[T: Encode, S] std::collections::HashSet<T, S>;
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
    /// Reads one element while recording it (a map records its key and
    /// value on lines of their own).
    fn explain_item(
        r: &mut Reader<'de>,
        order: Endian,
        out: &mut Explainer,
    ) -> Result<Self::Item, DecodeError> {
        <Self::Item as Decode<'de>>::explain_with(r, order, out)
    }
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

impl<'de, K: Decode<'de> + Ord, V: Decode<'de>> Collect<'de> for BTreeMap<K, V> {
    type Item = (K, V);
    const DUPLICATE: &'static str = "duplicate map key";
    fn with_room(_: usize) -> Self {
        BTreeMap::new()
    }
    #[inline]
    fn insert_new(&mut self, (k, v): (K, V)) -> bool {
        match self.entry(k) {
            alloc::collections::btree_map::Entry::Vacant(e) => {
                e.insert(v);
                true
            }
            alloc::collections::btree_map::Entry::Occupied(_) => false,
        }
    }
    fn explain_item(
        r: &mut Reader<'de>,
        order: Endian,
        out: &mut Explainer,
    ) -> Result<(K, V), DecodeError> {
        explain_entry(r, order, out)
    }
}

impl<'de, T: Decode<'de> + Ord> Collect<'de> for BTreeSet<T> {
    type Item = T;
    const DUPLICATE: &'static str = "duplicate set element";
    fn with_room(_: usize) -> Self {
        BTreeSet::new()
    }
    #[inline]
    fn insert_new(&mut self, item: T) -> bool {
        self.insert(item)
    }
}

#[cfg(feature = "std")]
impl<'de, K, V, S> Collect<'de> for std::collections::HashMap<K, V, S>
where
    K: Decode<'de> + Eq + core::hash::Hash,
    V: Decode<'de>,
    S: core::hash::BuildHasher + Default,
{
    type Item = (K, V);
    const DUPLICATE: &'static str = "duplicate map key";
    fn with_room(n: usize) -> Self {
        Self::with_capacity_and_hasher(n, S::default())
    }
    #[inline]
    fn insert_new(&mut self, (k, v): (K, V)) -> bool {
        match self.entry(k) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(v);
                true
            }
            std::collections::hash_map::Entry::Occupied(_) => false,
        }
    }
    fn explain_item(
        r: &mut Reader<'de>,
        order: Endian,
        out: &mut Explainer,
    ) -> Result<(K, V), DecodeError> {
        explain_entry(r, order, out)
    }
}

#[cfg(feature = "std")]
impl<'de, T, S> Collect<'de> for std::collections::HashSet<T, S>
where
    T: Decode<'de> + Eq + core::hash::Hash,
    S: core::hash::BuildHasher + Default,
{
    type Item = T;
    const DUPLICATE: &'static str = "duplicate set element";
    fn with_room(n: usize) -> Self {
        Self::with_capacity_and_hasher(n, S::default())
    }
    #[inline]
    fn insert_new(&mut self, item: T) -> bool {
        self.insert(item)
    }
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

/// `Decode` (a LEB128 count, then the elements) and `DecodeSeq` (the
/// elements alone) from `Collect`.
macro_rules! decode_collection {
    ($(impl[$($g:tt)*] $t:ty $(where [$($w:tt)*])?;)*) => {$(
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
                    <<Self as Collect<'de>>::Item as Decode<'de>>::decode_with(r, order)
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
                    let item = <Self as Collect<'de>>::explain_item(r, order, out)?;
                    out.pop();
                    Ok(item)
                })
            }
        }
    )*};
}

decode_collection! {
    impl['de, K: Decode<'de> + Ord, V: Decode<'de>] BTreeMap<K, V>;
    impl['de, T: Decode<'de> + Ord] BTreeSet<T>;
}
#[cfg(feature = "std")]
decode_collection! {
    impl['de, K, V, S] std::collections::HashMap<K, V, S> where [
        K: Decode<'de> + Eq + core::hash::Hash,
        V: Decode<'de>,
        S: core::hash::BuildHasher + Default,
    ];
    impl['de, T, S] std::collections::HashSet<T, S> where [
        T: Decode<'de> + Eq + core::hash::Hash,
        S: core::hash::BuildHasher + Default,
    ];
}

// ## NonZero integers

macro_rules! nonzero_impls {
    ($($t:ty => $name:literal),*) => {$(
        /// The integer's bytes, in the field's byte order.
        impl Encode for NonZero<$t> {
            #[inline]
            fn encoded_len(&self) -> usize {
                self.get().encoded_len()
            }
            #[inline]
            fn encode_with(&self, buf: &mut Vec<u8>, order: Endian) -> Result<(), EncodeError> {
                self.get().encode_with(buf, order)
            }
        }

        /// The integer's bytes; zero is [`DecodeErrorKind::IntegerOutOfRange`]
        /// at the integer's offset.
        impl<'de> Decode<'de> for NonZero<$t> {
            const MIN_LEN: usize = <$t as Decode<'de>>::MIN_LEN;
            #[inline]
            fn decode_with(r: &mut Reader<'de>, order: Endian) -> Result<Self, DecodeError> {
                let start = r.offset();
                let v = <$t>::decode_with(r, order)?;
                NonZero::new(v).ok_or_else(|| {
                    DecodeError::new(
                        DecodeErrorKind::IntegerOutOfRange { value: 0, target: $name },
                        start,
                    )
                })
            }
            fn explain_with(
                r: &mut Reader<'de>,
                order: Endian,
                out: &mut Explainer,
            ) -> Result<Self, DecodeError> {
                explain_leaf(r, out, |r| Self::decode_with(r, order))
            }
        }
    )*};
}

nonzero_impls! {
    u8 => "NonZeroU8", u16 => "NonZeroU16", u32 => "NonZeroU32", u64 => "NonZeroU64",
    u128 => "NonZeroU128", usize => "NonZeroUsize",
    i8 => "NonZeroI8", i16 => "NonZeroI16", i32 => "NonZeroI32", i64 => "NonZeroI64",
    i128 => "NonZeroI128", isize => "NonZeroIsize"
}

// ## IP and socket addresses

/// `Encode`, and `Decode` as one fixed-width read, for a type written as
/// `N` bytes in network order; shown by `explain` with its `Display`.
macro_rules! fixed_impls {
    ($($t:ty, $n:literal, |$v:ident| $to:expr, |$b:ident| $from:expr;)*) => {$(
        impl Encode for $t {
            #[inline]
            fn encoded_len(&self) -> usize {
                $n
            }
            #[inline]
            fn encode_with(&self, buf: &mut Vec<u8>, _: Endian) -> Result<(), EncodeError> {
                let $v = self;
                buf.extend_from_slice(&$to);
                Ok(())
            }
        }

        impl<'de> Decode<'de> for $t {
            const MIN_LEN: usize = $n;
            #[inline]
            fn decode_with(r: &mut Reader<'de>, _: Endian) -> Result<Self, DecodeError> {
                let $b: [u8; $n] = r.take_array()?;
                Ok($from)
            }
            fn explain_with(
                r: &mut Reader<'de>,
                order: Endian,
                out: &mut Explainer,
            ) -> Result<Self, DecodeError> {
                explain_leaf(r, out, |r| Self::decode_with(r, order))
            }
        }
    )*};
}

/// The `N` bytes of `b` from `at` (one fixed-width read split into its
/// parts; `at + N` is within `b` at every use).
fn part<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(&b[at..at + N]);
    out
}

/// `a` then `b` as one array.
fn join<const A: usize, const B: usize, const N: usize>(a: [u8; A], b: [u8; B]) -> [u8; N] {
    const { assert!(A + B == N) };
    let mut out = [0; N];
    out[..A].copy_from_slice(&a);
    out[A..].copy_from_slice(&b);
    out
}

fixed_impls! {
    Ipv4Addr, 4, |v| v.octets(), |b| Ipv4Addr::from(b);
    Ipv6Addr, 16, |v| v.octets(), |b| Ipv6Addr::from(b);
    SocketAddrV4, 6,
        |v| join::<4, 2, 6>(v.ip().octets(), v.port().to_be_bytes()),
        |b| SocketAddrV4::new(Ipv4Addr::from(part::<4>(&b, 0)), u16::from_be_bytes(part(&b, 4)));
    SocketAddrV6, 26,
        |v| join::<18, 8, 26>(
            join::<16, 2, 18>(v.ip().octets(), v.port().to_be_bytes()),
            join::<4, 4, 8>(v.flowinfo().to_be_bytes(), v.scope_id().to_be_bytes()),
        ),
        |b| SocketAddrV6::new(
            Ipv6Addr::from(part::<16>(&b, 0)),
            u16::from_be_bytes(part(&b, 16)),
            u32::from_be_bytes(part(&b, 18)),
            u32::from_be_bytes(part(&b, 22)),
        );
}

/// `Encode` and `Decode` for an address family enum: a family byte (4 or
/// 6), then the V4 or V6 form.
macro_rules! family_impls {
    ($($t:ident: $v4:ident, $v6:ident;)*) => {$(
        /// A family byte (4 or 6), then the address in its own form.
        impl Encode for $t {
            #[inline]
            fn encoded_len(&self) -> usize {
                1 + match self {
                    $t::V4(a) => a.encoded_len(),
                    $t::V6(a) => a.encoded_len(),
                }
            }
            #[inline]
            fn encode_with(&self, buf: &mut Vec<u8>, order: Endian) -> Result<(), EncodeError> {
                match self {
                    $t::V4(a) => {
                        buf.push(4);
                        a.encode_with(buf, order)
                    }
                    $t::V6(a) => {
                        buf.push(6);
                        a.encode_with(buf, order)
                    }
                }
            }
        }

        /// A family byte (4 or 6; anything else is
        /// [`DecodeErrorKind::InvalidDiscriminant`]), then the address.
        impl<'de> Decode<'de> for $t {
            const MIN_LEN: usize = 1 + <$v4 as Decode<'de>>::MIN_LEN;
            #[inline]
            fn decode_with(r: &mut Reader<'de>, order: Endian) -> Result<Self, DecodeError> {
                match r.byte()? {
                    4 => $v4::decode_with(r, order).map($t::V4),
                    6 => $v6::decode_with(r, order).map($t::V6),
                    b => Err(DecodeError::new(
                        DecodeErrorKind::InvalidDiscriminant(u64::from(b)),
                        r.offset() - 1,
                    )),
                }
            }
            fn explain_with(
                r: &mut Reader<'de>,
                order: Endian,
                out: &mut Explainer,
            ) -> Result<Self, DecodeError> {
                explain_leaf(r, out, |r| Self::decode_with(r, order))
            }
        }
    )*};
}

family_impls! {
    IpAddr: Ipv4Addr, Ipv6Addr;
    SocketAddr: SocketAddrV4, SocketAddrV6;
}

// ## C strings

/// The bytes, then a NUL byte.
impl Encode for CStr {
    #[inline]
    fn encoded_len(&self) -> usize {
        self.count_bytes() + 1
    }
    #[inline]
    fn encode_with(&self, buf: &mut Vec<u8>, _: Endian) -> Result<(), EncodeError> {
        buf.extend_from_slice(self.to_bytes_with_nul());
        Ok(())
    }
}

/// The bytes, then a NUL byte (a `CString` holds no other NUL).
impl Encode for CString {
    #[inline]
    fn encoded_len(&self) -> usize {
        self.as_c_str().encoded_len()
    }
    #[inline]
    fn encode_with(&self, buf: &mut Vec<u8>, order: Endian) -> Result<(), EncodeError> {
        self.as_c_str().encode_with(buf, order)
    }
}

/// Reads up to and including the first NUL byte.
///
/// Without a NUL in the input, the terminator could be the next byte: the
/// error is "need 1 more byte" at the offset just past the input.
#[inline]
fn take_c_str<'de>(r: &mut Reader<'de>) -> Result<&'de CStr, DecodeError> {
    match CStr::from_bytes_until_nul(r.peek()) {
        Ok(s) => {
            r.take(s.count_bytes() + 1)?;
            Ok(s)
        }
        Err(_) => {
            r.take_rest();
            Err(r.end_error(1))
        }
    }
}

/// Shows a C string as a quoted, escaped string.
struct Quoted<'a>(&'a CStr);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

/// The bytes up to the first NUL byte, borrowed; a missing NUL is "need 1
/// more byte" at the end of the input.
impl<'de: 'a, 'a> Decode<'de> for &'a CStr {
    const MIN_LEN: usize = 1;
    #[inline]
    fn decode_with(r: &mut Reader<'de>, _: Endian) -> Result<Self, DecodeError> {
        take_c_str(r)
    }
    fn explain_with(
        r: &mut Reader<'de>,
        _: Endian,
        out: &mut Explainer,
    ) -> Result<Self, DecodeError> {
        explain_leaf(r, out, |r| take_c_str(r).map(Quoted)).map(|q| q.0)
    }
}

/// The bytes up to the first NUL byte, copied; a missing NUL is "need 1
/// more byte" at the end of the input.
impl<'de> Decode<'de> for CString {
    const MIN_LEN: usize = 1;
    #[inline]
    fn decode_with(r: &mut Reader<'de>, order: Endian) -> Result<Self, DecodeError> {
        <&CStr>::decode_with(r, order).map(CStr::to_owned)
    }
    fn explain_with(
        r: &mut Reader<'de>,
        order: Endian,
        out: &mut Explainer,
    ) -> Result<Self, DecodeError> {
        <&CStr>::explain_with(r, order, out).map(CStr::to_owned)
    }
}

// ## Cow

/// As the borrowed form (`Cow<str>` as `str`, `Cow<[u8]>` as `[u8]`).
impl<B: ?Sized + ToOwned + Encode> Encode for Cow<'_, B> {
    #[inline]
    fn encoded_len(&self) -> usize {
        (**self).encoded_len()
    }
    #[inline]
    fn encode_with(&self, buf: &mut Vec<u8>, order: Endian) -> Result<(), EncodeError> {
        (**self).encode_with(buf, order)
    }
}

impl<B: ?Sized + ToOwned + EncodeSeq> EncodeSeq for Cow<'_, B> {
    #[inline]
    fn seq_count(&self, unit: Unit) -> usize {
        (**self).seq_count(unit)
    }
    #[inline]
    fn seq_encoded_len(&self) -> usize {
        (**self).seq_encoded_len()
    }
    #[inline]
    fn encode_seq(&self, buf: &mut Vec<u8>, order: Endian) -> Result<(), EncodeError> {
        (**self).encode_seq(buf, order)
    }
}

/// `Decode` and `DecodeSeq` for `Cow<'a, $b>` through `&'a $b`: always
/// `Cow::Borrowed`, borrowing from the input.
macro_rules! cow_impls {
    ($($b:ty),*) => {$(
        /// As `&str` / `&[u8]`, borrowed from the input.
        impl<'de: 'a, 'a> Decode<'de> for Cow<'a, $b> {
            const MIN_LEN: usize = <&'a $b as Decode<'de>>::MIN_LEN;
            #[inline]
            fn decode_with(r: &mut Reader<'de>, order: Endian) -> Result<Self, DecodeError> {
                <&'a $b>::decode_with(r, order).map(Cow::Borrowed)
            }
            fn explain_with(
                r: &mut Reader<'de>,
                order: Endian,
                out: &mut Explainer,
            ) -> Result<Self, DecodeError> {
                <&'a $b>::explain_with(r, order, out).map(Cow::Borrowed)
            }
        }

        impl<'de: 'a, 'a> DecodeSeq<'de> for Cow<'a, $b> {
            #[inline]
            fn decode_seq(
                r: &mut Reader<'de>,
                count: usize,
                unit: Unit,
                order: Endian,
            ) -> Result<Self, DecodeError> {
                <&'a $b>::decode_seq(r, count, unit, order).map(Cow::Borrowed)
            }
            fn explain_seq(
                r: &mut Reader<'de>,
                count: usize,
                unit: Unit,
                order: Endian,
                out: &mut Explainer,
            ) -> Result<Self, DecodeError> {
                <&'a $b>::explain_seq(r, count, unit, order, out).map(Cow::Borrowed)
            }
        }
    )*};
}

cow_impls!(str, [u8]);

// ## Arc and Rc

/// `Arc<T>` and `Rc<T>`: as `T`, like `Box<T>`; `Arc<str>`, `Arc<[T]>` and
/// the `Rc` forms as `str` and `[T]`.
macro_rules! shared_impls {
    ($($p:ident),*) => {$(
        /// As the value it points to, like `Box<T>`.
        impl<T: Encode + ?Sized> Encode for $p<T> {
            #[inline]
            fn encoded_len(&self) -> usize {
                (**self).encoded_len()
            }
            #[inline]
            fn encode_with(&self, buf: &mut Vec<u8>, order: Endian) -> Result<(), EncodeError> {
                (**self).encode_with(buf, order)
            }
        }

        impl<S: EncodeSeq + ?Sized> EncodeSeq for $p<S> {
            #[inline]
            fn seq_count(&self, unit: Unit) -> usize {
                (**self).seq_count(unit)
            }
            #[inline]
            fn seq_encoded_len(&self) -> usize {
                (**self).seq_encoded_len()
            }
            #[inline]
            fn encode_seq(&self, buf: &mut Vec<u8>, order: Endian) -> Result<(), EncodeError> {
                (**self).encode_seq(buf, order)
            }
        }

        /// As the value it points to, like `Box<T>`.
        impl<'de, T: Decode<'de>> Decode<'de> for $p<T> {
            const MIN_LEN: usize = T::MIN_LEN;
            #[inline]
            fn decode_with(r: &mut Reader<'de>, order: Endian) -> Result<Self, DecodeError> {
                T::decode_with(r, order).map($p::new)
            }
            fn explain_with(
                r: &mut Reader<'de>,
                order: Endian,
                out: &mut Explainer,
            ) -> Result<Self, DecodeError> {
                T::explain_with(r, order, out).map($p::new)
            }
        }

        shared_unsized_impls!($p: &'a str, str);
        shared_unsized_impls!($p: Vec<T>, [T] where T);
    )*};
}

/// `Decode` and `DecodeSeq` for `$p<$unsized>` through `$via` (`&str`,
/// `Vec<T>`), converted with `From`.
macro_rules! shared_unsized_impls {
    ($p:ident: $via:ty, $unsized:ty $(where $t:ident)?) => {
        /// As `&str` / `Vec<T>` (a LEB128 count, then the body).
        impl<'de: 'a, 'a, $($t: Decode<'de>)?> Decode<'de> for $p<$unsized> {
            const MIN_LEN: usize = <$via as Decode<'de>>::MIN_LEN;
            #[inline]
            fn decode_with(r: &mut Reader<'de>, order: Endian) -> Result<Self, DecodeError> {
                <$via>::decode_with(r, order).map($p::from)
            }
            fn explain_with(
                r: &mut Reader<'de>,
                order: Endian,
                out: &mut Explainer,
            ) -> Result<Self, DecodeError> {
                <$via>::explain_with(r, order, out).map($p::from)
            }
        }

        impl<'de: 'a, 'a, $($t: Decode<'de>)?> DecodeSeq<'de> for $p<$unsized> {
            #[inline]
            fn decode_seq(
                r: &mut Reader<'de>,
                count: usize,
                unit: Unit,
                order: Endian,
            ) -> Result<Self, DecodeError> {
                <$via>::decode_seq(r, count, unit, order).map($p::from)
            }
            fn explain_seq(
                r: &mut Reader<'de>,
                count: usize,
                unit: Unit,
                order: Endian,
                out: &mut Explainer,
            ) -> Result<Self, DecodeError> {
                <$via>::explain_seq(r, count, unit, order, out).map($p::from)
            }
        }
    };
}

shared_impls!(Rc);
#[cfg(target_has_atomic = "ptr")]
shared_impls!(Arc);

// ## Tuples of 5 to 12 elements

/// The type name an error inside a tuple reports when the tuple is decoded
/// on its own (inside a field, the field's path replaces it).
const TUPLE: &str = "tuple";

macro_rules! tuple_impls {
    ($($name:ident $i:tt)+) => {
        /// The elements in order, nothing between them; an error names the
        /// element (`Msg.pair.4`).
        impl<$($name: Encode),+> Encode for ($($name,)+) {
            #[inline]
            fn encoded_len(&self) -> usize {
                0 $(+ self.$i.encoded_len())+
            }
            #[inline]
            fn encode_with(&self, buf: &mut Vec<u8>, order: Endian) -> Result<(), EncodeError> {
                $(
                    self.$i
                        .encode_with(buf, order)
                        .map_err(|e| e.in_field(TUPLE, stringify!($i)))?;
                )+
                Ok(())
            }
        }

        /// The elements in order; an error names the element
        /// (`Msg.pair.4`), and `explain` shows one line per element.
        impl<'de, $($name: Decode<'de>),+> Decode<'de> for ($($name,)+) {
            const MIN_LEN: usize = 0 $(+ $name::MIN_LEN)+;
            #[inline]
            fn decode_with(r: &mut Reader<'de>, order: Endian) -> Result<Self, DecodeError> {
                Ok(($(
                    $name::decode_with(r, order).map_err(|e| e.in_field(TUPLE, stringify!($i)))?,
                )+))
            }
            fn explain_with(
                r: &mut Reader<'de>,
                order: Endian,
                out: &mut Explainer,
            ) -> Result<Self, DecodeError> {
                Ok(($({
                    out.push(stringify!($i));
                    let v = $name::explain_with(r, order, out)
                        .map_err(|e| e.in_field(TUPLE, stringify!($i)))?;
                    out.pop();
                    v
                },)+))
            }
        }
    };
}

tuple_impls!(A 0 B 1 C 2 D 3 E 4);
tuple_impls!(A 0 B 1 C 2 D 3 E 4 F 5);
tuple_impls!(A 0 B 1 C 2 D 3 E 4 F 5 G 6);
tuple_impls!(A 0 B 1 C 2 D 3 E 4 F 5 G 6 H 7);
tuple_impls!(A 0 B 1 C 2 D 3 E 4 F 5 G 6 H 7 I 8);
tuple_impls!(A 0 B 1 C 2 D 3 E 4 F 5 G 6 H 7 I 8 J 9);
tuple_impls!(A 0 B 1 C 2 D 3 E 4 F 5 G 6 H 7 I 8 J 9 K 10);
tuple_impls!(A 0 B 1 C 2 D 3 E 4 F 5 G 6 H 7 I 8 J 9 K 10 L 11);

#[cfg(test)]
mod tests {
    use super::*;

    /// `MIN_LEN` bounds allocations elsewhere (`Vec<T>` of these), so it
    /// must be the length of the shortest encoding, never more.
    #[test]
    fn min_len_is_the_shortest_encoding() {
        fn shortest<'de, T: Decode<'de> + Encode>(v: T) -> (usize, usize) {
            (T::MIN_LEN, v.encoded_len())
        }
        let v4 = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0);
        let v6 = SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, 0, 0, 0);
        for (min, len) in [
            shortest(NonZero::<u8>::MIN),
            shortest(NonZero::<u32>::MIN),
            shortest(NonZero::<i128>::MIN),
            shortest(NonZero::<usize>::MIN),
            shortest(Ipv4Addr::UNSPECIFIED),
            shortest(Ipv6Addr::UNSPECIFIED),
            shortest(v4),
            shortest(v6),
            shortest(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            shortest(SocketAddr::V4(v4)),
            shortest(CString::default()),
            shortest(c""),
            shortest(Cow::Borrowed("")),
            shortest(Cow::Borrowed(&b""[..])),
            shortest(Rc::new(0u16)),
            shortest(Rc::<str>::from("")),
            shortest(Rc::<[u32]>::from([])),
            shortest(BTreeMap::<u8, u8>::new()),
            shortest(BTreeSet::<u8>::new()),
            shortest((0u8, 0u16, 0u32, 0u64, NonZero::<u8>::MIN)),
            shortest((0u8, 0u8, 0u8, 0u8, 0u8, 0u8, 0u8, 0u8, 0u8, 0u8, 0u8, 0u16)),
        ] {
            assert_eq!(min, len);
        }
    }

    #[test]
    fn byte_counted_set_of_zero_length_elements_is_an_error() {
        let mut r = Reader::new(&[0xAA]);
        let e = BTreeSet::<()>::decode_seq(&mut r, 1, Unit::Bytes, Endian::Big).unwrap_err();
        assert_eq!(
            e.kind(),
            &DecodeErrorKind::Invalid("zero-length element in a byte-counted sequence")
        );
        // Counted in elements, more than the input has is refused up front.
        let mut r = Reader::new(&[0xAA]);
        let e = BTreeSet::<()>::decode_seq(&mut r, 2, Unit::Elements, Endian::Big).unwrap_err();
        assert_eq!(
            e.kind(),
            &DecodeErrorKind::LengthOverLimit { len: 2, limit: 1 }
        );
    }

    #[test]
    fn encode_errors_name_the_element() {
        use alloc::string::ToString;

        /// A value that never encodes.
        struct Bad;
        impl Encode for Bad {
            fn encoded_len(&self) -> usize {
                0
            }
            fn encode_with(&self, _: &mut Vec<u8>, _: Endian) -> Result<(), EncodeError> {
                Err(EncodeError::new(crate::error::EncodeErrorKind::Invalid(
                    "bad",
                )))
            }
        }
        let map = BTreeMap::from([(1u8, None), (2u8, Some(Bad))]);
        assert_eq!(map.to_bytes().unwrap_err().to_string(), "bad in [1]");
        let tuple = (0u8, 0u8, 0u8, 0u8, Bad);
        assert_eq!(tuple.to_bytes().unwrap_err().to_string(), "bad in tuple.4");
    }
}
