//! Terminated and fixed-size values (`#[codec(term)]`, `#[codec(size = N,
//! pad = B)]`), for generated code.
//!
//! ```text
//! term (NUL)        "user" → 75 73 65 72 00
//! term list (NUL)   [("a","b")] → 61 00 62 00 | 00   (ends where an element would start)
//! size = 8, pad = 0 "ab"   → 61 62 00 00 00 00 00 00
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::decode::Decode;
use crate::encode::Encode;
use crate::error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind};
use crate::reader::Reader;
use crate::sink::Sink;
use crate::wire::Endian;

/// A value ended by a terminator byte: a string or byte string that may not
/// contain it, or a list whose elements may not start with it.
pub trait TermEncode {
    /// Bytes of the value, without the terminator.
    fn term_len(&self) -> usize;

    /// Writes the value, then `term`.
    ///
    /// # Errors
    ///
    /// The value holds `term` (a string) or an element starts with it (a
    /// list): either would end the value early on decode.
    fn encode_term<S: Sink + ?Sized>(
        &self,
        buf: &mut S,
        term: u8,
        order: Endian,
    ) -> Result<(), EncodeError>;
}

/// Reads a value ended by a terminator byte (see [`TermEncode`]).
pub trait TermDecode<'de>: Sized {
    /// Reads the value and its terminator.
    ///
    /// # Errors
    ///
    /// No terminator before the input ends: "need 1 more byte" at the end
    /// (on a whole frame, the input really is short); an element error.
    fn decode_term(r: &mut Reader<'de>, term: u8, order: Endian) -> Result<Self, DecodeError>;

    /// Shows the value on its `explain` line.
    fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

#[cold]
fn term_inside() -> EncodeError {
    EncodeError::new(EncodeErrorKind::Invalid(
        "value contains its terminator byte",
    ))
}

/// Writes `bytes` then `term`, refusing bytes that hold `term`.
#[inline]
fn put_term<S: Sink + ?Sized>(bytes: &[u8], buf: &mut S, term: u8) -> Result<(), EncodeError> {
    if bytes.contains(&term) {
        return Err(term_inside());
    }
    buf.reserve(bytes.len() + 1);
    buf.extend_from_slice(bytes);
    buf.push(term);
    Ok(())
}

/// The bytes before the first `term`, consumed with it. Without a `term`
/// the whole input is consumed and the error asks for 1 more byte at its
/// end (as `&CStr` does).
#[inline]
fn take_term<'de>(r: &mut Reader<'de>, term: u8) -> Result<&'de [u8], DecodeError> {
    let have = r.peek();
    match have.iter().position(|&b| b == term) {
        Some(n) => {
            let body = r.take(n)?;
            r.take(1)?;
            Ok(body)
        }
        None => {
            r.take_rest();
            Err(r.end_error(1))
        }
    }
}

/// Borrowed UTF-8 from `bytes` read at `start`, validated once.
#[inline]
fn as_str<'de>(r: &Reader<'de>, start: usize, bytes: &'de [u8]) -> Result<&'de str, DecodeError> {
    core::str::from_utf8(bytes).map_err(|e| {
        DecodeError::new(
            DecodeErrorKind::InvalidUtf8 {
                valid_up_to: e.valid_up_to(),
            },
            start.min(r.offset()),
        )
    })
}

/// Strings and byte strings: the bytes, then `term`.
macro_rules! bytes_term_impls {
    ($($t:ty => |$v:ident| $bytes:expr;)*) => {$(
        impl TermEncode for $t {
            #[inline]
            fn term_len(&self) -> usize {
                self.len()
            }
            #[inline]
            fn encode_term<S: Sink + ?Sized>(
                &self,
                buf: &mut S,
                term: u8,
                _: Endian,
            ) -> Result<(), EncodeError> {
                let $v = self;
                put_term($bytes, buf, term)
            }
        }
    )*};
}
bytes_term_impls! {
    str => |s| s.as_bytes();
    [u8] => |b| b;
}

/// A list: each element, then `term` where the next element would start.
impl<T: Encode> TermEncode for Vec<T> {
    #[inline]
    fn term_len(&self) -> usize {
        T::encoded_len_slice(self)
    }
    fn encode_term<S: Sink + ?Sized>(
        &self,
        buf: &mut S,
        term: u8,
        order: Endian,
    ) -> Result<(), EncodeError> {
        let start = buf.len();
        for (i, item) in self.iter().enumerate() {
            let at = buf.len();
            let written = item.encode_with(buf, order).and_then(|()| {
                // An element that is empty or starts with the terminator
                // would read back as the end of the list.
                match buf.as_slice().get(at) {
                    Some(&b) if b != term => Ok(()),
                    _ => Err(EncodeError::new(EncodeErrorKind::Invalid(
                        "list element is empty or starts with the list's terminator byte",
                    ))),
                }
            });
            if let Err(e) = written {
                buf.truncate(start);
                return Err(e.in_index(i));
            }
        }
        buf.push(term);
        Ok(())
    }
}

/// Forwards to the value a reference or owner holds.
macro_rules! term_deref {
    ($($t:ty),*) => {$(
        impl TermEncode for $t {
            #[inline]
            fn term_len(&self) -> usize {
                (**self).term_len()
            }
            #[inline]
            fn encode_term<S: Sink + ?Sized>(
                &self,
                buf: &mut S,
                term: u8,
                order: Endian,
            ) -> Result<(), EncodeError> {
                (**self).encode_term(buf, term, order)
            }
        }
    )*};
}
term_deref!(String, &str, &[u8]);

impl<'de> TermDecode<'de> for String {
    #[inline]
    fn decode_term(r: &mut Reader<'de>, term: u8, order: Endian) -> Result<Self, DecodeError> {
        <&str>::decode_term(r, term, order).map(String::from)
    }
    fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl<'de: 'a, 'a> TermDecode<'de> for &'a str {
    #[inline]
    fn decode_term(r: &mut Reader<'de>, term: u8, _: Endian) -> Result<Self, DecodeError> {
        let start = r.offset();
        let bytes = take_term(r, term)?;
        as_str(r, start, bytes)
    }
    fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl<'de: 'a, 'a> TermDecode<'de> for &'a [u8] {
    #[inline]
    fn decode_term(r: &mut Reader<'de>, term: u8, _: Endian) -> Result<Self, DecodeError> {
        take_term(r, term)
    }
    fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bytes b\"{}\"", self.len(), self.escape_ascii())
    }
}

/// A list ended by `term` where the next element would start (for
/// `Vec<u8>`, a byte string ended by `term`). Elements are pushed one by
/// one, each having consumed at least one byte, so the allocation is
/// bounded by the input.
impl<'de, T: Decode<'de>> TermDecode<'de> for Vec<T> {
    fn decode_term(r: &mut Reader<'de>, term: u8, order: Endian) -> Result<Self, DecodeError> {
        let mut out = Vec::new();
        loop {
            match r.peek().first() {
                None => return Err(r.end_error(1)),
                Some(&b) if b == term => {
                    r.take(1)?;
                    return Ok(out);
                }
                Some(_) => {}
            }
            let before = r.offset();
            let item = T::decode_with(r, order).map_err(|e| e.in_index(out.len()))?;
            if r.offset() == before {
                return Err(DecodeError::new(
                    DecodeErrorKind::Invalid("zero-length element in a terminated list"),
                    before,
                )
                .in_index(out.len()));
            }
            out.push(item);
        }
    }
    fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} elements", self.len())
    }
}

/// A value as read, shown on its `explain` line by [`TermDecode::show`]
/// or [`Padded::show`].
pub struct Shown<T>(pub T, fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result);

impl<T> fmt::Display for Shown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.1)(&self.0, f)
    }
}

/// Reads a terminated field (`#[codec(term)]`).
///
/// # Errors
///
/// As [`TermDecode::decode_term`].
#[inline]
pub fn read_term<'de, T: TermDecode<'de>>(
    r: &mut Reader<'de>,
    term: u8,
    order: Endian,
) -> Result<Shown<T>, DecodeError> {
    T::decode_term(r, term, order).map(|v| Shown(v, T::show))
}

/// A string or byte string in a fixed number of bytes, padded after the
/// value with a pad byte (`#[codec(size = N, pad = B)]`).
pub trait Padded<'de>: Sized {
    /// The value's bytes.
    fn padded_bytes(&self) -> &[u8];
    /// The value from its bytes, padding stripped; `start` is where they
    /// were read (for the UTF-8 error).
    ///
    /// # Errors
    ///
    /// Invalid UTF-8 for a string.
    fn from_padded(r: &Reader<'de>, start: usize, bytes: &'de [u8]) -> Result<Self, DecodeError>;
    /// Shows the value on its `explain` line.
    fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

macro_rules! padded_str {
    ($($t:ty => |$r:ident, $s:ident, $b:ident| $from:expr),* $(,)?) => {$(
        impl<'de: 'a, 'a> Padded<'de> for $t {
            #[inline]
            fn padded_bytes(&self) -> &[u8] {
                self.as_ref()
            }
            #[inline]
            fn from_padded(
                $r: &Reader<'de>,
                $s: usize,
                $b: &'de [u8],
            ) -> Result<Self, DecodeError> {
                $from
            }
            fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let b: &[u8] = self.as_ref();
                write!(f, "\"{}\"", b.escape_ascii())
            }
        }
    )*};
}
padded_str! {
    String => |r, s, b| as_str(r, s, b).map(String::from),
    &'a str => |r, s, b| as_str(r, s, b),
    Vec<u8> => |_r, _s, b| Ok(b.to_vec()),
    &'a [u8] => |_r, _s, b| Ok(b),
}

/// Writes `value` in `size` bytes, padded with `pad`.
///
/// # Errors
///
/// A value longer than `size`, or ending with `pad` (the padding is
/// stripped on decode, so it would not read back): nothing is written.
#[inline]
pub fn write_padded<S: Sink + ?Sized>(
    value: &[u8],
    buf: &mut S,
    size: usize,
    pad: u8,
) -> Result<(), EncodeError> {
    if value.len() > size {
        return Err(EncodeError::new(EncodeErrorKind::Invalid(
            "value longer than its fixed `size`",
        )));
    }
    if value.last() == Some(&pad) {
        return Err(EncodeError::new(EncodeErrorKind::Invalid(
            "value ends with its `pad` byte, which decoding strips",
        )));
    }
    buf.reserve(size);
    buf.extend_from_slice(value);
    buf.resize(buf.len() + size - value.len(), pad);
    Ok(())
}

/// Reads a fixed-size field: `size` bytes, trailing `pad` bytes stripped.
///
/// # Errors
///
/// Fewer than `size` bytes left (the exact need); invalid UTF-8.
#[inline]
pub fn read_padded<'de, T: Padded<'de>>(
    r: &mut Reader<'de>,
    size: usize,
    pad: u8,
) -> Result<Shown<T>, DecodeError> {
    let start = r.offset();
    let all = r.take(size)?;
    let end = all.iter().rposition(|&b| b != pad).map_or(0, |i| i + 1);
    T::from_padded(r, start, &all[..end]).map(|v| Shown(v, T::show))
}
