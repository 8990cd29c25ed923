//! Frame headers: the bytes in front of every payload that say which
//! message follows and how long it is.
//!
//! A [`Header`] writes and parses `(message id, payload length)`. Two are
//! built in:
//!
//! ```text
//! StdHeader (the striptease tutorial's), 3 bytes:
//! +--------+-----------------+---------------------+
//! | id: u8 | len: u16 (BE)   | payload: len bytes  |
//! +--------+-----------------+---------------------+
//!   01       00 0C             07 03 6B 65 79 ...
//!
//! WideHeader, 6 bytes:
//! +---------------+-----------------+---------------------+
//! | id: u16 (BE)  | len: u32 (BE)   | payload: len bytes  |
//! +---------------+-----------------+---------------------+
//! ```
//!
//! User headers may be of variable length (a base-128 length, an id folded
//! into a flag bit, no id at all): [`Header::parse`] sees the bytes so far
//! and answers [`Parsed::Incomplete`] with the exact number of bytes it
//! still needs before it can decide anything.
//!
//! A user header is usually declared, not written: `#[derive(Header)]` on a
//! struct (with `Encode`, `Decode` and `Default`) whose fields are the
//! header's, `#[codec(id)]` on the message id and `#[codec(payload_len)]`
//! on the length (`len_adds = N` when the length counts N more, such as
//! the header itself). Every field key applies, so MQTT's fixed header is
//! a byte and a `varint, max_bytes = 4` length:
//!
//! ```text
//! MQTT 3.1.1 fixed header (§2.2), 2 to 5 bytes:
//! +-----------------+-----------------------------------+
//! | type | flags    | remaining length: varint, 1..=4 B |
//! +-----------------+-----------------------------------+
//!   32               80 01                  (PUBLISH QoS 1, 128 bytes)
//!
//! PostgreSQL message header, 5 bytes:
//! +-----------+------------------------------+
//! | type: u8  | length: Int32, counts itself |   length = payload + 4
//! +-----------+------------------------------+
//! ```
//!
//! The derived `parse` is the struct's decode (one bounds check for a
//! fixed layout), with the exact count on partial input; `write` encodes
//! `Self::default()` with the id and length filled in. Fields without a
//! role (flags, a version) are reachable through [`HeaderValue`]: `value`
//! reads them after `parse`, and `write_value` writes a header that
//! carries them. That is where a header hands values to the payload:
//! a protocol whose messages take context (MQTT PUBLISH's QoS bits decide
//! whether a packet identifier follows) reads `H::value` of the frame's
//! header and passes its fields into the message's decode.
//!
//! [`StdHeader`] and [`WideHeader`] are the derive's two simplest layouts,
//! but stay hand-written here: this crate builds without its `derive`
//! feature (and `no_std`), and the protocol derive's default header must
//! exist then. The `codec-tests` crate derives both layouts and checks
//! they match these byte for byte, on every prefix, in their errors and
//! in `explain` (`tests/tests/header_derive.rs`, the `header_derive` fuzz
//! target).

use alloc::format;

use crate::context::DecodeWith;
use crate::decode::{Decode, DecodeSeq, Trace};
use crate::error::{DecodeError, EncodeError, EncodeErrorKind, PathSegment};
use crate::explainer::Explainer;
use crate::reader::Reader;
use crate::sink::Sink;
use crate::wire::{Endian, Unit};

/// A frame header: how a message id and a payload length are written in
/// front of the payload.
///
/// Implement it for a custom wire format; the frame decoder, the protocol
/// derive and the transports only talk to headers through this trait.
///
/// ```
/// use codec::header::{FrameHead, Header, Parsed, StdHeader};
///
/// let mut buf = Vec::new();
/// StdHeader::write(0x01, 12, &mut buf)?;
/// assert_eq!(buf, [0x01, 0x00, 0x0C]);
///
/// assert_eq!(StdHeader::parse(&buf[..1])?, Parsed::Incomplete { needed: 2 });
/// assert_eq!(
///     StdHeader::parse(&buf)?,
///     Parsed::Complete(FrameHead { id: 1, header_len: 3, payload_len: 12 })
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Header {
    /// The header's name, used in error paths (`StdHeader.len`) and
    /// [`explain`](crate::explain()) output.
    const NAME: &'static str;

    /// The largest message id the header can carry. A protocol whose ids
    /// exceed it does not compile (derive) or fails to register (registry).
    const MAX_ID: u64;

    /// The largest payload length the header can describe. The frame
    /// decoder's limit is clamped to it.
    const MAX_LEN: u64;

    /// The exact number of bytes [`Header::write`] appends for this id and
    /// payload length (for fixed headers, a constant).
    fn encoded_len(id: u64, payload_len: usize) -> usize;

    /// Appends the header for a payload of `payload_len` bytes.
    ///
    /// # Errors
    ///
    /// [`EncodeErrorKind::ValueOutOfRange`] when `id` is over
    /// [`Header::MAX_ID`], [`EncodeErrorKind::LengthOverflow`] when
    /// `payload_len` is over [`Header::MAX_LEN`]. Nothing is written then.
    fn write<S: Sink + ?Sized>(id: u64, payload_len: usize, buf: &mut S)
        -> Result<(), EncodeError>;

    /// Parses a header at the start of `bytes`, which may hold only part of
    /// it (or more: the payload and further frames follow).
    ///
    /// Offsets in errors are relative to the start of `bytes`.
    ///
    /// # Errors
    ///
    /// Bytes that can never start a valid header (an overlong base-128
    /// length, a reserved bit set). Missing bytes are not an error but
    /// [`Parsed::Incomplete`].
    fn parse(bytes: &[u8]) -> Result<Parsed, DecodeError>;

    /// Describes the header's fields for [`explain`](crate::explain()).
    /// `bytes` is the header (`head.header_len` bytes, starting at offset 0)
    /// and `name` the message name its id maps to, if known.
    ///
    /// The default writes one line, `header = id 0x1 (StoreRequest), len 12`;
    /// the built-in headers write one line per field.
    fn explain(bytes: &[u8], head: &FrameHead, name: Option<&str>, ex: &mut Explainer) {
        ex.push("header");
        ex.line(
            0,
            bytes,
            format!("id {} len {}", id_text(head.id, name), head.payload_len),
        );
        ex.pop();
    }
}

/// `0x01 (StoreRequest)`, or `0x01 (unknown)`.
pub(crate) fn id_text(id: u64, name: Option<&str>) -> alloc::string::String {
    format!("{id:#04x} ({})", name.unwrap_or("unknown"))
}

/// What [`Header::parse`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// The header is not complete: at least `needed` more bytes are required
    /// before it can be parsed. For fixed-length headers the count is exact;
    /// for variable-length ones it is the exact minimum (usually 1).
    Incomplete {
        /// More bytes required; never 0.
        needed: usize,
    },
    /// A whole header.
    Complete(FrameHead),
}

/// A parsed header: the message id and where the payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHead {
    /// The message id (0 for headers without one).
    pub id: u64,
    /// Bytes the header itself took; the payload starts here.
    pub header_len: usize,
    /// Payload bytes declared by the header, not yet checked against any
    /// limit (a hostile header may declare 4 GiB).
    pub payload_len: u64,
}

impl FrameHead {
    /// Header plus payload bytes, if that fits `usize`.
    ///
    /// ```
    /// # use codec::header::FrameHead;
    /// let head = FrameHead { id: 1, header_len: 3, payload_len: 12 };
    /// assert_eq!(head.frame_len(), Some(15));
    /// ```
    #[inline]
    pub fn frame_len(&self) -> Option<usize> {
        usize::try_from(self.payload_len)
            .ok()?
            .checked_add(self.header_len)
    }
}

/// Checks `id` and `len` against a header's limits; nothing is written when
/// this fails.
#[inline]
fn check_fits<H: Header>(
    id: u64,
    len: usize,
    id_ty: &'static str,
    len_ty: &'static str,
) -> Result<(), EncodeError> {
    if id > H::MAX_ID {
        return Err(EncodeError::new(EncodeErrorKind::ValueOutOfRange {
            value: id as i128,
            target: id_ty,
        })
        .in_field(H::NAME, "id"));
    }
    if len as u64 > H::MAX_LEN {
        return Err(EncodeError::new(EncodeErrorKind::LengthOverflow {
            len: len as u64,
            prefix: len_ty,
            max: H::MAX_LEN,
        })
        .in_field(H::NAME, "len"));
    }
    Ok(())
}

/// Writes the two lines `header.id = ..` and `header.len = ..` for a header
/// made of an id field of `id_width` bytes followed by a length field.
fn explain_fixed(
    bytes: &[u8],
    id_width: usize,
    head: &FrameHead,
    name: Option<&str>,
    ex: &mut Explainer,
) {
    let (id, len) = bytes.split_at(id_width.min(bytes.len()));
    ex.push("header");
    ex.push("id");
    ex.line(0, id, id_text(head.id, name));
    ex.pop();
    ex.push("len");
    ex.line(id.len(), len, head.payload_len);
    ex.pop();
    ex.pop();
}

/// The striptease tutorial's header: a `u8` message id, then the payload
/// length as a big-endian `u16`.
///
/// ```text
/// offset  0        1    2
///         +--------+----+----+
///         | id     | len     |   len = payload bytes, big-endian
///         +--------+----+----+
/// StoreRequest(7, "key", "hello"):  01 | 00 0C | 07 03 6B 65 79 00 05 68 65 6C 6C 6F
/// ```
///
/// ```
/// use codec::header::{Header, StdHeader};
///
/// let mut buf = Vec::new();
/// assert!(StdHeader::write(0x100, 0, &mut buf).is_err()); // id over u8
/// assert!(StdHeader::write(1, 70_000, &mut buf).is_err()); // len over u16
/// assert!(buf.is_empty());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StdHeader;

impl StdHeader {
    /// Header bytes: 3.
    pub const LEN: usize = 3;
}

impl Header for StdHeader {
    const NAME: &'static str = "StdHeader";
    const MAX_ID: u64 = u8::MAX as u64;
    const MAX_LEN: u64 = u16::MAX as u64;

    #[inline]
    fn encoded_len(_: u64, _: usize) -> usize {
        Self::LEN
    }

    #[inline]
    fn write<S: Sink + ?Sized>(
        id: u64,
        payload_len: usize,
        buf: &mut S,
    ) -> Result<(), EncodeError> {
        check_fits::<Self>(id, payload_len, "u8 message id", "u16")?;
        let len = (payload_len as u16).to_be_bytes();
        buf.extend_from_slice(&[id as u8, len[0], len[1]]);
        Ok(())
    }

    #[inline]
    fn parse(bytes: &[u8]) -> Result<Parsed, DecodeError> {
        Ok(match bytes.first_chunk::<3>() {
            Some(&[id, hi, lo]) => Parsed::Complete(FrameHead {
                id: id as u64,
                header_len: Self::LEN,
                payload_len: u16::from_be_bytes([hi, lo]) as u64,
            }),
            None => Parsed::Incomplete {
                needed: Self::LEN - bytes.len(),
            },
        })
    }

    fn explain(bytes: &[u8], head: &FrameHead, name: Option<&str>, ex: &mut Explainer) {
        explain_fixed(bytes, 1, head, name, ex);
    }
}

/// A wider fixed header: a big-endian `u16` message id, then the payload
/// length as a big-endian `u32`.
///
/// ```text
/// offset  0    1    2    3    4    5
///         +----+----+----+----+----+----+
///         | id      | len               |   both big-endian
///         +----+----+----+----+----+----+
/// ```
///
/// ```
/// use codec::header::{Header, WideHeader};
///
/// let mut buf = Vec::new();
/// WideHeader::write(0x0102, 70_000, &mut buf)?;
/// assert_eq!(buf, [0x01, 0x02, 0x00, 0x01, 0x11, 0x70]);
/// # Ok::<(), codec::EncodeError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WideHeader;

impl WideHeader {
    /// Header bytes: 6.
    pub const LEN: usize = 6;
}

impl Header for WideHeader {
    const NAME: &'static str = "WideHeader";
    const MAX_ID: u64 = u16::MAX as u64;
    const MAX_LEN: u64 = u32::MAX as u64;

    #[inline]
    fn encoded_len(_: u64, _: usize) -> usize {
        Self::LEN
    }

    #[inline]
    fn write<S: Sink + ?Sized>(
        id: u64,
        payload_len: usize,
        buf: &mut S,
    ) -> Result<(), EncodeError> {
        check_fits::<Self>(id, payload_len, "u16 message id", "u32")?;
        buf.extend_from_slice(&(id as u16).to_be_bytes());
        buf.extend_from_slice(&(payload_len as u32).to_be_bytes());
        Ok(())
    }

    #[inline]
    fn parse(bytes: &[u8]) -> Result<Parsed, DecodeError> {
        Ok(match bytes.first_chunk::<6>() {
            Some(&[i0, i1, l0, l1, l2, l3]) => Parsed::Complete(FrameHead {
                id: u16::from_be_bytes([i0, i1]) as u64,
                header_len: Self::LEN,
                payload_len: u32::from_be_bytes([l0, l1, l2, l3]) as u64,
            }),
            None => Parsed::Incomplete {
                needed: Self::LEN - bytes.len(),
            },
        })
    }

    fn explain(bytes: &[u8], head: &FrameHead, name: Option<&str>, ex: &mut Explainer) {
        explain_fixed(bytes, 2, head, name, ex);
    }
}

/// A header declared as a struct with `#[derive(Header)]`: a value whose
/// fields besides the message id and the payload length (flags, a
/// version, reserved bits) a caller reads after parsing and sets before
/// writing.
///
/// [`Header::write`] writes `Self::default()` with the id and the length
/// filled in; [`HeaderValue::write_value`] writes any value that way.
/// After [`Header::parse`], [`HeaderValue::value`] reads the whole header
/// back, so flags in the header can decide how the payload is read.
///
/// ```
/// use codec::header::{Header, HeaderValue, Parsed};
/// use codec::{Decode, Encode};
///
/// /// MQTT 3.1.1's fixed header (§2.2), the flags nibble as a byte here.
/// #[derive(Debug, Default, PartialEq, Encode, Decode, codec::Header)]
/// struct Fixed {
///     #[codec(id)]
///     kind_and_flags: u8,
///     #[codec(payload_len, varint, max_bytes = 4)]
///     remaining: u32,
/// }
///
/// let mut buf = Vec::new();
/// Fixed::write(0x30, 200, &mut buf)?;
/// assert_eq!(buf, [0x30, 0xc8, 0x01]);
/// let Parsed::Complete(head) = Fixed::parse(&buf)? else { unreachable!() };
/// assert_eq!((head.id, head.header_len, head.payload_len), (0x30, 3, 200));
/// assert_eq!(Fixed::value(&buf)?, Fixed { kind_and_flags: 0x30, remaining: 200 });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait HeaderValue: Header + Sized {
    /// The header at the start of `bytes` as a value (the bytes after it,
    /// if any, are not read).
    ///
    /// # Errors
    ///
    /// As [`Header::parse`], except that missing bytes are a
    /// [`DecodeErrorKind::UnexpectedEnd`](crate::DecodeErrorKind::UnexpectedEnd).
    fn value(bytes: &[u8]) -> Result<Self, DecodeError>;

    /// Appends this header with `id` and `payload_len` in their fields and
    /// every other field as it is.
    ///
    /// # Errors
    ///
    /// As [`Header::write`], and any field's own encode error; nothing is
    /// written then.
    fn write_value<S: Sink + ?Sized>(
        self,
        id: u64,
        payload_len: usize,
        buf: &mut S,
    ) -> Result<(), EncodeError>;
}

/// For `#[derive(Protocol)]`: a frame whose header field `field` (set from
/// the message by the variant's `header(..)`) is not what the decoded
/// message gives; the error points at the header, which starts
/// `header_len` bytes before `payload`'s start `payload_start`.
#[doc(hidden)]
#[cold]
#[must_use]
pub fn header_disagrees(
    payload_start: usize,
    header_len: usize,
    header: &'static str,
    field: &'static str,
    message: &'static str,
) -> DecodeError {
    DecodeError::new(
        crate::error::DecodeErrorKind::Invalid(message),
        payload_start.saturating_sub(header_len),
    )
    .in_field(header, field)
}

/// For `#[derive(Protocol)]`: `decode_payload` (without the header) of a
/// variant whose message takes its context from the frame header.
#[doc(hidden)]
#[cold]
#[must_use]
pub fn needs_header(payload: &Reader<'_>, message: &'static str) -> DecodeError {
    payload
        .error(crate::error::DecodeErrorKind::Invalid(
            "this message takes its context from the frame header: decode the whole frame",
        ))
        .in_type(message)
}

/// For `#[derive(Header)]`: an id over the header's id field.
#[doc(hidden)]
#[cold]
#[must_use]
pub fn header_bad_id(
    id: u64,
    target: &'static str,
    header: &'static str,
    field: &'static str,
) -> EncodeError {
    EncodeError::new(EncodeErrorKind::ValueOutOfRange {
        value: id as i128,
        target,
    })
    .in_field(header, field)
}

/// For `#[derive(Header)]`: a payload length over the header's `MAX_LEN`.
#[doc(hidden)]
#[cold]
#[must_use]
pub fn header_too_large(
    len: usize,
    prefix: &'static str,
    max: u64,
    header: &'static str,
    field: &'static str,
) -> EncodeError {
    EncodeError::new(EncodeErrorKind::LengthOverflow {
        len: len as u64,
        prefix,
        max,
    })
    .in_field(header, field)
}

/// For `#[derive(Header)]`: a decode error of the header's fields as a
/// parse result. Missing bytes are [`Parsed::Incomplete`]: what the read
/// that ran out needed, plus the least the fields after it take (`after`:
/// each field's name and that least count), and never less than `floor`
/// (what the header's least length still lacks).
///
/// # Errors
///
/// Every error that more bytes cannot fix.
#[doc(hidden)]
#[cold]
pub fn header_incomplete(
    e: DecodeError,
    after: &[(&'static str, usize)],
    floor: usize,
) -> Result<Parsed, DecodeError> {
    let Some(needed) = e.bytes_needed() else {
        return Err(e);
    };
    let field = match e.path().segments() {
        [PathSegment::Type(_), PathSegment::Field(f), ..] => Some(*f),
        _ => None,
    };
    let more = after
        .iter()
        .find(|(name, _)| Some(*name) == field)
        .map_or(0, |(_, n)| *n);
    Ok(Parsed::Incomplete {
        needed: usize::try_from(needed)
            .unwrap_or(usize::MAX)
            .saturating_add(more)
            .max(floor)
            .max(1),
    })
}

/// For `#[derive(Header)]`: explains a header by decoding it (`decode`
/// runs the struct's decode body with the tracer it is given) under
/// `header`, one line per field, the id field's line showing the message
/// name as the built-in headers do (`header.id = 0x01 (StoreRequest)`).
#[doc(hidden)]
pub fn explain_header(
    ex: &mut Explainer,
    id_field: Option<&'static str>,
    id: u64,
    name: Option<&str>,
    decode: impl FnOnce(&mut HeaderTrace<'_>),
) {
    ex.push("header");
    let mut t = HeaderTrace {
        ex,
        id_field,
        id_text: id_text(id, name),
        depth: 0,
        in_id: false,
    };
    decode(&mut t);
    // A read that failed returned early without leaving its fields.
    while t.depth > 0 {
        t.leave();
    }
    t.ex.pop();
}

/// The tracer of a derived header's `explain`: the [`Explainer`]'s, except
/// that the id field's value is shown with its message name.
#[doc(hidden)]
pub struct HeaderTrace<'a> {
    ex: &'a mut Explainer,
    id_field: Option<&'static str>,
    id_text: alloc::string::String,
    depth: usize,
    in_id: bool,
}

impl HeaderTrace<'_> {
    /// Inside the id field itself (not its `magic` or other labels).
    fn at_id(&self) -> bool {
        self.in_id && self.depth == 1
    }

    /// Reads with `f` and records the id's line.
    fn id_line<'de, T>(
        &mut self,
        r: &mut Reader<'de>,
        f: impl FnOnce(&mut Reader<'de>) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        let (start, all) = (r.offset(), r.peek());
        let value = f(r)?;
        self.ex
            .line(start, &all[..r.offset() - start], &self.id_text);
        Ok(value)
    }
}

impl Trace for HeaderTrace<'_> {
    const ON: bool = true;

    fn enter(&mut self, name: &'static str) {
        if self.depth == 0 {
            self.in_id = Some(name) == self.id_field;
        }
        self.depth += 1;
        self.ex.push(name);
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        self.ex.pop();
    }

    fn field<'de, T: Decode<'de>>(
        &mut self,
        r: &mut Reader<'de>,
        order: Endian,
    ) -> Result<T, DecodeError> {
        if self.at_id() {
            self.id_line(r, |r| T::decode_with(r, order))
        } else {
            T::explain_with(r, order, self.ex)
        }
    }

    fn field_in<'de, T: DecodeWith<'de>>(
        &mut self,
        r: &mut Reader<'de>,
        ctx: T::Ctx,
    ) -> Result<T, DecodeError> {
        <Explainer as Trace>::field_in(self.ex, r, ctx)
    }

    fn seq<'de, T: DecodeSeq<'de>>(
        &mut self,
        r: &mut Reader<'de>,
        count: usize,
        unit: Unit,
        order: Endian,
    ) -> Result<T, DecodeError> {
        <Explainer as Trace>::seq(self.ex, r, count, unit, order)
    }

    fn rest<'de, T: DecodeSeq<'de>>(
        &mut self,
        r: &mut Reader<'de>,
        order: Endian,
    ) -> Result<T, DecodeError> {
        <Explainer as Trace>::rest(self.ex, r, order)
    }

    fn leaf<'de, T: core::fmt::Display>(
        &mut self,
        r: &mut Reader<'de>,
        f: impl FnOnce(&mut Reader<'de>) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        if self.at_id() {
            self.id_line(r, f)
        } else {
            <Explainer as Trace>::leaf(self.ex, r, f)
        }
    }
    /// A header's bit fields (MQTT's type and flags nibbles) get their
    /// lines as in any type's `explain`.
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
        <Explainer as Trace>::bits(self.ex, name, at, run, first, width, lsb, raw);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::error::DecodeErrorKind;
    use crate::reader::Reader;
    use crate::wire;
    use alloc::string::ToString;
    use alloc::vec;
    use alloc::vec::Vec;

    // The test headers below stay hand-written: they test the trait itself,
    // and these unit tests also run without the `derive` feature.
    // (`VlqHeader` is `codec_examples::packetstream::PacketHeader`, which
    // is derived; `TypeBitHeader`, like Stockings', keeps its id in one bit
    // of the length's first byte, which no field encoding expresses.)

    /// cs.packetstream's framing, as a test that variable-length headers fit
    /// the trait: the payload length as a big-endian base-128 number
    /// (cs.binary BSUInt), and no id (always 0).
    ///
    /// ```text
    /// len: vlq (1..=10 bytes, 0x80 = more) | payload
    /// ```
    pub(crate) struct VlqHeader;

    impl Header for VlqHeader {
        const NAME: &'static str = "VlqHeader";
        const MAX_ID: u64 = 0;
        const MAX_LEN: u64 = u64::MAX;

        fn encoded_len(_: u64, payload_len: usize) -> usize {
            wire::base128_len(payload_len as u64)
        }

        fn write<S: Sink + ?Sized>(
            id: u64,
            payload_len: usize,
            buf: &mut S,
        ) -> Result<(), EncodeError> {
            check_fits::<Self>(id, payload_len, "no message id", "vlq")?;
            wire::write_vlq(payload_len as u64, buf);
            Ok(())
        }

        fn parse(bytes: &[u8]) -> Result<Parsed, DecodeError> {
            let mut r = Reader::new(bytes);
            match wire::read_vlq(&mut r, 64, "payload length") {
                Ok(payload_len) => Ok(Parsed::Complete(FrameHead {
                    id: 0,
                    header_len: r.offset(),
                    payload_len,
                })),
                // Every byte so far had its continuation bit set: one more
                // byte is the least that could finish it.
                Err(e) if e.is_incomplete() => Ok(Parsed::Incomplete { needed: 1 }),
                Err(e) => Err(e),
            }
        }
    }

    /// A Stockings-like header: a little-endian group varint whose first
    /// byte spends one bit on a message type (the id, 0 or 1).
    ///
    /// ```text
    /// byte 0:  c t l l l l l l     c = more bytes follow, t = type (id),
    ///                              l = low 6 bits of the length
    /// byte n:  c l l l l l l l     next 7 bits of the length, little-endian groups
    /// ```
    pub(crate) struct TypeBitHeader;

    impl TypeBitHeader {
        const MAX_BYTES: usize = 9; // 6 + 8 * 7 = 62 bits
    }

    impl Header for TypeBitHeader {
        const NAME: &'static str = "TypeBitHeader";
        const MAX_ID: u64 = 1;
        const MAX_LEN: u64 = (1 << 62) - 1;

        fn encoded_len(_: u64, payload_len: usize) -> usize {
            let mut n = 1;
            let mut rest = (payload_len as u64) >> 6;
            while rest != 0 {
                n += 1;
                rest >>= 7;
            }
            n
        }

        fn write<S: Sink + ?Sized>(
            id: u64,
            payload_len: usize,
            buf: &mut S,
        ) -> Result<(), EncodeError> {
            check_fits::<Self>(id, payload_len, "type bit", "62-bit group varint")?;
            let len = payload_len as u64;
            let mut rest = len >> 6;
            let more = if rest != 0 { 0x80 } else { 0 };
            buf.push(more | (id as u8) << 6 | (len as u8 & 0x3f));
            while rest != 0 {
                let more = if rest >> 7 != 0 { 0x80 } else { 0 };
                buf.push(more | (rest as u8 & 0x7f));
                rest >>= 7;
            }
            Ok(())
        }

        fn parse(bytes: &[u8]) -> Result<Parsed, DecodeError> {
            let Some(&first) = bytes.first() else {
                return Ok(Parsed::Incomplete { needed: 1 });
            };
            let id = ((first >> 6) & 1) as u64;
            let mut len = (first & 0x3f) as u64;
            let mut more = first & 0x80 != 0;
            let mut i = 1;
            while more {
                if i == Self::MAX_BYTES {
                    return Err(DecodeError::new(
                        DecodeErrorKind::VarintTooLong { target: "u62" },
                        0,
                    )
                    .in_field(Self::NAME, "len"));
                }
                let Some(&b) = bytes.get(i) else {
                    return Ok(Parsed::Incomplete { needed: 1 });
                };
                len |= ((b & 0x7f) as u64) << (6 + 7 * (i - 1));
                more = b & 0x80 != 0;
                i += 1;
            }
            Ok(Parsed::Complete(FrameHead {
                id,
                header_len: i,
                payload_len: len,
            }))
        }
    }

    fn head(id: u64, header_len: usize, payload_len: u64) -> Parsed {
        Parsed::Complete(FrameHead {
            id,
            header_len,
            payload_len,
        })
    }

    #[test]
    fn std_header_golden_and_every_prefix() {
        // id | len (BE u16)
        // 01 | 00 0C
        let mut buf = Vec::new();
        StdHeader::write(0x01, 12, &mut buf).unwrap();
        assert_eq!(buf, [0x01, 0x00, 0x0C]);
        assert_eq!(StdHeader::encoded_len(1, 12), 3);
        assert_eq!(StdHeader::parse(&buf).unwrap(), head(1, 3, 12));
        // Extra bytes after the header are the payload's, not the header's.
        assert_eq!(
            StdHeader::parse(&[0x02, 0xAB, 0xCD, 0xFF]).unwrap(),
            head(2, 3, 0xABCD)
        );
        for cut in 0..3 {
            assert_eq!(
                StdHeader::parse(&buf[..cut]).unwrap(),
                Parsed::Incomplete { needed: 3 - cut }
            );
        }
    }

    #[test]
    fn std_header_limits_write_nothing() {
        let mut buf = vec![0xEE];
        let err = StdHeader::write(0x100, 1, &mut buf).unwrap_err();
        assert_eq!(
            err.to_string(),
            "value 256 out of range for u8 message id in StdHeader.id"
        );
        let err = StdHeader::write(0xFF, 0x1_0000, &mut buf).unwrap_err();
        assert_eq!(
            err.to_string(),
            "length 65536 does not fit a u16 length prefix (max 65535) in StdHeader.len"
        );
        assert_eq!(buf, [0xEE]);
        StdHeader::write(0xFF, 0xFFFF, &mut buf).unwrap();
        assert_eq!(buf, [0xEE, 0xFF, 0xFF, 0xFF]);
    }

    #[test]
    fn wide_header_golden_limits_and_prefixes() {
        // id (BE u16) | len (BE u32)
        // 01 02       | 00 01 11 70  (70,000)
        let mut buf = Vec::new();
        WideHeader::write(0x0102, 70_000, &mut buf).unwrap();
        assert_eq!(buf, [0x01, 0x02, 0x00, 0x01, 0x11, 0x70]);
        assert_eq!(WideHeader::parse(&buf).unwrap(), head(0x0102, 6, 70_000));
        for cut in 0..6 {
            assert_eq!(
                WideHeader::parse(&buf[..cut]).unwrap(),
                Parsed::Incomplete { needed: 6 - cut }
            );
        }
        assert!(WideHeader::write(0x1_0000, 0, &mut buf).is_err());
        assert_eq!(buf.len(), 6);
        #[cfg(target_pointer_width = "64")]
        {
            assert!(WideHeader::write(1, 1 << 32, &mut buf).is_err());
            assert_eq!(buf.len(), 6);
        }
    }

    #[test]
    fn vlq_header_is_variable_length() {
        // len 300 as vlq: 82 2C
        let mut buf = Vec::new();
        VlqHeader::write(0, 300, &mut buf).unwrap();
        assert_eq!(buf, [0x82, 0x2C]);
        assert_eq!(VlqHeader::encoded_len(0, 300), 2);
        assert_eq!(VlqHeader::parse(&buf).unwrap(), head(0, 2, 300));
        assert_eq!(
            VlqHeader::parse(&[]).unwrap(),
            Parsed::Incomplete { needed: 1 }
        );
        assert_eq!(
            VlqHeader::parse(&buf[..1]).unwrap(),
            Parsed::Incomplete { needed: 1 }
        );
        assert!(VlqHeader::write(1, 0, &mut buf).is_err(), "no id field");
        // Eleven continuation bytes can never be a u64.
        assert!(VlqHeader::parse(&[0xFF; 11]).is_err());
    }

    #[test]
    fn type_bit_header_round_trips() {
        for (id, len, bytes) in [
            (0u64, 5usize, &[0x05][..]),
            (1, 5, &[0x45]),
            (1, 63, &[0x7F]),
            // 64 = low 6 bits 0, then group 1: 80|40|00, 01
            (1, 64, &[0xC0, 0x01]),
            (0, 300, &[0xAC, 0x04]),
        ] {
            let mut buf = Vec::new();
            TypeBitHeader::write(id, len, &mut buf).unwrap();
            assert_eq!(buf, bytes, "id {id} len {len}");
            assert_eq!(TypeBitHeader::encoded_len(id, len), bytes.len());
            assert_eq!(
                TypeBitHeader::parse(&buf).unwrap(),
                head(id, bytes.len(), len as u64)
            );
        }
        assert_eq!(
            TypeBitHeader::parse(&[0xC0]).unwrap(),
            Parsed::Incomplete { needed: 1 }
        );
        assert!(TypeBitHeader::write(2, 0, &mut Vec::new()).is_err());
        let err = TypeBitHeader::parse(&[0xFF; 12]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "varint too long for u62 at byte 0 in TypeBitHeader.len"
        );
    }

    #[test]
    fn frame_len_does_not_overflow() {
        let h = FrameHead {
            id: 0,
            header_len: 2,
            payload_len: u64::MAX,
        };
        assert_eq!(h.frame_len(), None);
        let h = FrameHead {
            id: 0,
            header_len: usize::MAX,
            payload_len: 1,
        };
        assert_eq!(h.frame_len(), None);
    }
}
