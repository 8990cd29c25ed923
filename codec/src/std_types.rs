//! [`Encode`] and [`Decode`] for more std types: maps and sets, `NonZero*`,
//! IP and socket addresses, C strings, `Cow`, `Arc`/`Rc`, and tuples of 1
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
//! | tuples of 1 to 12 elements | the elements in order, nothing between them |
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
use alloc::ffi::CString;
use alloc::rc::Rc;
#[cfg(target_has_atomic = "ptr")]
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::ffi::CStr;
use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use core::num::NonZero;

use crate::decode::{explain_leaf, leaf_explain, Decode, DecodeSeq};
use crate::encode::Encode;
use crate::error::{DecodeError, DecodeErrorKind, EncodeError};
use crate::explainer::Explainer;
use crate::reader::Reader;
use crate::sink::Sink;
use crate::wire::{Endian, Unit};

mod collections;

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
            fn encode_with<S: Sink + ?Sized>(&self, buf: &mut S, order: Endian) -> Result<(), EncodeError> {
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
            leaf_explain!();
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
            fn encode_with<S: Sink + ?Sized>(&self, buf: &mut S, _: Endian) -> Result<(), EncodeError> {
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
            leaf_explain!();
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
            fn encode_with<S: Sink + ?Sized>(&self, buf: &mut S, order: Endian) -> Result<(), EncodeError> {
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
            leaf_explain!();
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
    fn encode_with<S: Sink + ?Sized>(&self, buf: &mut S, _: Endian) -> Result<(), EncodeError> {
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
    fn encode_with<S: Sink + ?Sized>(&self, buf: &mut S, order: Endian) -> Result<(), EncodeError> {
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

// ## Tuples of 1 to 12 elements

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
            fn encode_with<S: Sink + ?Sized>(&self, buf: &mut S, order: Endian) -> Result<(), EncodeError> {
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

tuple_impls!(A 0);
tuple_impls!(A 0 B 1);
tuple_impls!(A 0 B 1 C 2);
tuple_impls!(A 0 B 1 C 2 D 3);
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
    use alloc::collections::{BTreeMap, BTreeSet};

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
            fn encode_with<S: Sink + ?Sized>(
                &self,
                _: &mut S,
                _: Endian,
            ) -> Result<(), EncodeError> {
                Err(EncodeError::new(crate::error::EncodeErrorKind::Invalid(
                    "bad",
                )))
            }
        }
        let map = BTreeMap::from([(1u8, None), (2u8, Some(Bad))]);
        assert_eq!(map.to_bytes().unwrap_err().to_string(), "bad in [1].value");
        let tuple = (0u8, 0u8, 0u8, 0u8, Bad);
        assert_eq!(tuple.to_bytes().unwrap_err().to_string(), "bad in tuple.4");
    }
}
