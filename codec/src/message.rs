//! Messages and protocols: a [`Message`] is a payload type with an id; a
//! [`Protocol`] is an enum of messages that encodes and decodes whole frames
//! (header + payload), choosing the variant by the id in the header.
//!
//! ```text
//! frame = header (Protocol::Header: id, payload length) | payload (one message)
//! StoreRequest(7, "key", "hello") under StdHeader:
//!   01 | 00 0C | 07 03 6B 65 79 00 05 68 65 6C 6C 6F
//!   id   len     trans name.len name data.len data
//! ```
//!
//! `#[derive(Message)]` and `#[derive(Protocol)]` implement these traits;
//! the free functions below ([`encode_frame`], [`frame_len`],
//! [`decode_frame`], [`split_frame`], [`decode_payload_exact`]) hold the
//! logic, so generated code stays a `match` over variants.
//!
//! # Lifetimes
//!
//! Encoding needs no lifetime, decoding needs the input's: the derive
//! implements [`Protocol`] once and [`DecodeProtocol<'de>`] for every `'de`
//! the messages can borrow from, exactly like [`Encode`] and
//! [`Decode<'de>`](crate::Decode). An owned protocol (`Storage`) is
//! `for<'de> DecodeProtocol<'de>`; a borrowing one (`Storage<'a>` holding
//! `&'a str` fields) is `DecodeProtocol<'de>` for `'de: 'a`.

use alloc::vec::Vec;

use crate::decode::Reader;
use crate::encode::Encode;
use crate::error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind};
use crate::explain::Explainer;
use crate::header::{FrameHead, Header, Parsed};
use crate::wire::Endian;

/// A payload type with a message id: one variant of a [`Protocol`].
///
/// Derived by `#[derive(Message)]` with `#[codec(id = N)]`.
///
/// ```
/// use codec::message::{FieldLayout, Message};
///
/// struct FetchRequest;
/// impl Message for FetchRequest {
///     const ID: u64 = 0x03;
///     const NAME: &'static str = "FetchRequest";
///     const FIELDS: &'static [FieldLayout] = &[
///         FieldLayout { name: "trans", offset: Some(0), width: Some(1), encoding: "u8" },
///         FieldLayout { name: "name", offset: Some(1), width: None, encoding: "len = u8, utf-8" },
///     ];
/// }
/// assert_eq!(FetchRequest::FIELDS[1].width, None);
/// ```
pub trait Message {
    /// The id written in the frame header.
    const ID: u64;
    /// The type's name, e.g. `"StoreRequest"`.
    const NAME: &'static str;
    /// The payload layout, one entry per wire field in order (a length
    /// prefix written inline is part of its field's entry).
    const FIELDS: &'static [FieldLayout];

    /// The largest tag the `#[codec(tag)]` field holds; 0 when the message
    /// has no tag.
    const TAG_MAX: u64 = 0;

    /// The correlation tag, for a message with a `#[codec(tag)]` field.
    fn tag(&self) -> Option<u64> {
        None
    }

    /// Sets the correlation tag; `false` when the message has no tag field
    /// or the value does not fit it.
    fn set_tag(&mut self, tag: u64) -> bool {
        let _ = tag;
        false
    }
}

/// A request with a typed reply, declared with
/// `#[codec(response = Type)]`: `client.call(req)` returns a `Type`.
pub trait Request: Message {
    /// The reply's message type.
    type Response: Message;
}

/// The smaller of two tag limits, 0 meaning "no tag" (for the derive).
#[doc(hidden)]
pub const fn tag_limit(a: u64, b: u64) -> u64 {
    match (a, b) {
        (0, x) | (x, 0) => x,
        (a, b) if a < b => a,
        (_, b) => b,
    }
}

/// Where one field sits in a message's payload and how it is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldLayout {
    /// The field's name (`"0"`, `"1"`, ... for tuple structs).
    pub name: &'static str,
    /// Byte offset from the start of the payload, when every earlier field
    /// has a fixed width; `None` when it follows a variable-width field.
    pub offset: Option<usize>,
    /// Bytes the field takes (with any inline length prefix), when fixed;
    /// `None` for variable-width fields.
    pub width: Option<usize>,
    /// A short description of the encoding: `"u8"`, `"u16 le"`,
    /// `"len = u16, bytes"`, `"vlq u64"`, `"nested Inner"`.
    pub encoding: &'static str,
}

/// An enum of messages sent as frames of one [`Header`] type: the encoding
/// side and the id-to-name map.
///
/// Implemented by `#[derive(Protocol)]`, which also implements
/// [`DecodeProtocol`], [`Encode`] and [`Decode`](crate::Decode) for the enum
/// (where the encoding is the whole frame, through [`encode_frame`],
/// [`frame_len`] and [`decode_frame`]), and `From<M>` for each message.
///
/// ```
/// # use codec::{DecodeError, EncodeError, Reader};
/// use codec::{DecodeProtocol, Protocol, StdHeader};
///
/// /// One message: a `u8` counter, id 0x20.
/// #[derive(Debug, PartialEq)]
/// struct Tick(u8);
///
/// impl Protocol for Tick {
///     type Header = StdHeader;
///     fn id(&self) -> u64 { 0x20 }
///     fn name(&self) -> &'static str { "Tick" }
///     fn payload_len(&self) -> usize { 1 }
///     fn encode_payload(&self, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
///         buf.push(self.0);
///         Ok(())
///     }
/// }
/// impl<'de> DecodeProtocol<'de> for Tick {
///     fn decode_payload(id: u64, payload: &mut Reader<'de>) -> Result<Self, DecodeError> {
///         match id {
///             0x20 => Ok(Tick(payload.byte()?)),
///             _ => Err(codec::message::unknown_id(id, payload)),
///         }
///     }
/// }
///
/// let mut frame = Vec::new();
/// codec::message::encode_frame(&Tick(5), &mut frame)?;
/// assert_eq!(frame, [0x20, 0x00, 0x01, 0x05]);
/// let back: Tick = codec::message::decode_frame(&mut Reader::new(&frame))?;
/// assert_eq!(back, Tick(5));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Protocol: Sized {
    /// The frame header, `StdHeader` unless `#[codec(header = ..)]` says
    /// otherwise.
    type Header: Header;

    /// The id of this value's message (for an `other` variant, the id it
    /// was received with).
    fn id(&self) -> u64;

    /// The name of this value's message, e.g. `"StoreRequest"`.
    fn name(&self) -> &'static str;

    /// The name of the message with id `id`, if the protocol has one. Used by
    /// [`explain`](crate::explain()); the derive generates a `match`.
    fn name_of(id: u64) -> Option<&'static str> {
        let _ = id;
        None
    }

    /// The exact payload length [`Protocol::encode_payload`] writes (without
    /// the header).
    fn payload_len(&self) -> usize;

    /// Appends the payload (without the header).
    ///
    /// # Errors
    ///
    /// A field its wire format cannot describe.
    fn encode_payload(&self, buf: &mut Vec<u8>) -> Result<(), EncodeError>;

    /// The largest tag every tagged message of the protocol can hold (the
    /// tag space a client draws from); 0 when no message has a tag.
    const TAG_MAX: u64 = 0;

    /// The correlation tag of this message, if its type has one.
    fn tag(&self) -> Option<u64> {
        None
    }

    /// Sets the correlation tag; `false` when the message has none or the
    /// value does not fit.
    fn set_tag(&mut self, tag: u64) -> bool {
        let _ = tag;
        false
    }
}

/// The decoding side of a [`Protocol`], for input that lives for `'de`.
///
/// Call it through [`decode_frame`] (or the frame decoder, or `Decode` on
/// the enum), which parses the header, bounds the payload and checks the
/// payload is used exactly; `decode_payload` only picks the variant.
pub trait DecodeProtocol<'de>: Protocol {
    /// Decodes the payload of a frame whose header carried `id`. `payload` is
    /// a window of exactly the header's payload length, with the absolute
    /// offsets of the input.
    ///
    /// # Errors
    ///
    /// For an id no variant claims, [`unknown_id`] (unless an `other`
    /// variant takes the raw frame, see [`RawFrame::read`]); any error of the
    /// message's decoder.
    fn decode_payload(id: u64, payload: &mut Reader<'de>) -> Result<Self, DecodeError>;

    /// Decodes the payload like [`DecodeProtocol::decode_payload`] while
    /// describing each field to `ex`, for [`explain`](crate::explain()).
    ///
    /// The default decodes the payload and records it as one run labelled
    /// with the message name (`StoreRequest = 12 bytes`); the derive
    /// overrides it to describe every field.
    ///
    /// # Errors
    ///
    /// As [`DecodeProtocol::decode_payload`].
    fn explain_payload(
        id: u64,
        payload: &mut Reader<'de>,
        ex: &mut Explainer,
    ) -> Result<(), DecodeError> {
        crate::explain::explain_whole::<Self>(id, payload, ex)
    }
}

/// The whole frame of `p` (header and payload) in a new vector of exactly
/// [`frame_len`] bytes.
///
/// # Errors
///
/// As [`encode_frame`].
pub fn frame_bytes<P: Protocol>(p: &P) -> Result<Vec<u8>, EncodeError> {
    let mut buf = Vec::with_capacity(frame_len(p));
    encode_frame(p, &mut buf)?;
    Ok(buf)
}

/// Bytes the whole frame of `p` takes: header plus payload.
///
/// Saturates at `usize::MAX` instead of overflowing (such a frame fails to
/// encode anyway).
#[inline]
pub fn frame_len<P: Protocol>(p: &P) -> usize {
    let len = p.payload_len();
    <P::Header as Header>::encoded_len(p.id(), len).saturating_add(len)
}

/// Appends the frame of `p` (header, then payload) to `buf`.
///
/// The header is checked first: an id or payload length the header cannot
/// carry fails before anything is written or reserved.
///
/// # Errors
///
/// The header's [`EncodeError`] (`length 70000 does not fit a u16 length
/// prefix (max 65535) in StdHeader.len`), a message field's error, or
/// [`EncodeErrorKind::Invalid`] when the payload written is not
/// [`Protocol::payload_len`] bytes long (a bug in a hand-written impl). On
/// error `buf` is left as it was.
#[inline]
pub fn encode_frame<P: Protocol>(p: &P, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
    let start = buf.len();
    let len = p.payload_len();
    <P::Header as Header>::write(p.id(), len, buf)?;
    buf.reserve(len);
    let body = buf.len();
    if let Err(e) = p.encode_payload(buf) {
        buf.truncate(start);
        return Err(e);
    }
    if buf.len() - body != len {
        buf.truncate(start);
        return Err(EncodeError::new(EncodeErrorKind::Invalid(
            "payload_len disagrees with the payload encoded",
        )));
    }
    Ok(())
}

/// Reads a frame header at `r`, consumes it, and splits off the payload as
/// a window of exactly the declared length (keeping absolute offsets).
///
/// No limit is applied here beyond the input itself: a header declaring
/// more than is left is [`DecodeErrorKind::UnexpectedEnd`], before anything
/// is allocated. Streams enforce a maximum with
/// [`FrameDecoder`](crate::frame::FrameDecoder).
///
/// # Errors
///
/// [`DecodeErrorKind::UnexpectedEnd`] with the exact number of bytes still
/// needed when the header or the payload is cut short (path: the header's
/// name, for a short header); the header's own parse errors, with offsets
/// made absolute.
#[inline]
pub fn split_frame<'de, H: Header>(
    r: &mut Reader<'de>,
) -> Result<(FrameHead, Reader<'de>), DecodeError> {
    let start = r.offset();
    let head = match H::parse(r.peek()) {
        Ok(Parsed::Complete(head)) => head,
        Ok(Parsed::Incomplete { needed }) => {
            return Err(r
                .end_error((r.remaining() as u64).saturating_add(needed as u64))
                .in_type(H::NAME));
        }
        Err(e) => return Err(shift(e, start)),
    };
    if head.header_len == 0 {
        return Err(r
            .error(DecodeErrorKind::Invalid(
                "header parser returned an empty header",
            ))
            .in_type(H::NAME));
    }
    r.take(head.header_len)?;
    let len = usize::try_from(head.payload_len).map_err(|_| {
        r.error(DecodeErrorKind::LengthOverLimit {
            len: head.payload_len,
            limit: usize::MAX as u64,
        })
    })?;
    let payload = r.split(len)?;
    Ok((head, payload))
}

/// Moves an error from offsets relative to a header's start to absolute ones.
#[cold]
fn shift(e: DecodeError, by: usize) -> DecodeError {
    let (kind, at) = (e.kind().clone(), e.offset().saturating_add(by));
    e.restate(kind, at)
}

/// Runs `decode` on a whole payload window and checks that it used exactly
/// the payload: the header's length must equal the message's.
///
/// # Errors
///
/// `decode`'s errors, except that running off the end of the payload
/// becomes [`DecodeErrorKind::LengthMismatch`] (the frame was complete, so
/// more input would not help: the header's length is too small, `actual` is
/// the least the message needed); bytes left over are
/// [`DecodeErrorKind::LengthMismatch`] too, at the first unused byte.
///
/// ```
/// use codec::message::decode_payload_exact;
/// use codec::{Decode, DecodeErrorKind, Reader};
///
/// // A 3-byte payload holding a u16: one byte too many.
/// let mut payload = Reader::new(&[0, 1, 2]);
/// let err = decode_payload_exact(&mut payload, u16::decode).unwrap_err();
/// assert_eq!(err.kind(), &DecodeErrorKind::LengthMismatch { declared: 3, actual: 2 });
///
/// // A 1-byte payload: one too few. Not "need 1 more byte": the frame ended.
/// let err = decode_payload_exact(&mut Reader::new(&[0]), u16::decode).unwrap_err();
/// assert_eq!(err.kind(), &DecodeErrorKind::LengthMismatch { declared: 1, actual: 2 });
/// assert!(!err.is_incomplete());
/// ```
#[inline]
pub fn decode_payload_exact<'de, T>(
    payload: &mut Reader<'de>,
    decode: impl FnOnce(&mut Reader<'de>) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    let start = payload.offset();
    let declared = payload.remaining();
    let end = start + declared;
    match decode(payload) {
        Ok(value) if payload.is_empty() => Ok(value),
        Ok(_) => Err(payload.error(DecodeErrorKind::LengthMismatch {
            declared: declared as u64,
            actual: (payload.offset() - start) as u64,
        })),
        Err(e) => Err(overrun(e, start, end)),
    }
}

/// A read that ran off the end of the payload window (not off a narrower
/// window inside it) is a header length that is too small.
#[cold]
fn overrun(e: DecodeError, start: usize, end: usize) -> DecodeError {
    match *e.kind() {
        DecodeErrorKind::UnexpectedEnd { needed, available }
            if e.offset().saturating_add(available) == end =>
        {
            let at = e.offset();
            let actual = ((at - start) as u64).saturating_add(needed);
            e.restate(
                DecodeErrorKind::LengthMismatch {
                    declared: (end - start) as u64,
                    actual,
                },
                at,
            )
        }
        _ => e,
    }
}

/// Decodes one whole frame of protocol `P` at `r`: the header, then the
/// payload by id, which must use exactly the header's length.
///
/// The derive's `Decode` impl for a protocol enum is a call to this.
///
/// # Errors
///
/// - a short header or payload: [`DecodeErrorKind::UnexpectedEnd`], with
///   [`DecodeError::bytes_needed`] exact;
/// - an id no variant claims: [`DecodeErrorKind::UnknownId`] at the frame's
///   first byte, path `StdHeader.id`;
/// - a header length other than the message's:
///   [`DecodeErrorKind::LengthMismatch`];
/// - any error of the message's decoder, with its field path.
pub fn decode_frame<'de, P: DecodeProtocol<'de>>(r: &mut Reader<'de>) -> Result<P, DecodeError> {
    let frame_start = r.offset();
    let (head, mut payload) = split_frame::<P::Header>(r)?;
    decode_split::<P>(frame_start, &head, &mut payload)
}

/// Decodes a payload already split off by [`split_frame`] (or the frame
/// decoder).
#[inline]
pub(crate) fn decode_split<'de, P: DecodeProtocol<'de>>(
    frame_start: usize,
    head: &FrameHead,
    payload: &mut Reader<'de>,
) -> Result<P, DecodeError> {
    decode_payload_exact(payload, |r| P::decode_payload(head.id, r))
        .map_err(|e| frame_error::<P>(e, frame_start, head))
}

/// Puts payload errors in frame terms: an unknown id points at the header,
/// a length mismatch names the message.
#[cold]
fn frame_error<P: Protocol>(e: DecodeError, frame_start: usize, head: &FrameHead) -> DecodeError {
    let name = <P::Header as Header>::NAME;
    match e.kind() {
        DecodeErrorKind::UnknownId(id) => {
            let kind = DecodeErrorKind::UnknownId(*id);
            e.restate(kind, frame_start).in_field(name, "id")
        }
        DecodeErrorKind::LengthMismatch { .. } => e.in_type(P::name_of(head.id).unwrap_or(name)),
        _ => e,
    }
}

/// The error [`DecodeProtocol::decode_payload`] returns for an id no
/// variant claims. [`decode_frame`] moves it to the frame's first byte.
#[cold]
pub fn unknown_id(id: u64, payload: &Reader<'_>) -> DecodeError {
    payload.error(DecodeErrorKind::UnknownId(id))
}

/// A frame kept as bytes: the message id and the raw payload.
///
/// This is what a `#[codec(other)]` protocol variant holds, so unknown
/// messages pass through intact; it is also the owned form of a
/// [`Frame`](crate::frame::Frame). As a payload it encodes as its bytes,
/// unchanged; the id travels in the header.
///
/// ```
/// use codec::{Encode, RawFrame};
///
/// let raw = RawFrame::new(0x7F, vec![1, 2, 3]);
/// assert_eq!(raw.to_bytes()?, [1, 2, 3]);
/// # Ok::<(), codec::EncodeError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RawFrame {
    /// The message id from the header.
    pub id: u64,
    /// The payload, exactly as received.
    pub payload: Vec<u8>,
}

impl RawFrame {
    /// The name protocols report for a raw frame.
    pub const NAME: &'static str = "RawFrame";

    /// A raw frame with id `id` and payload `payload`.
    pub fn new(id: u64, payload: Vec<u8>) -> Self {
        RawFrame { id, payload }
    }

    /// Takes the rest of a payload window as a raw frame with id `id`: what
    /// an `other` variant's `decode_payload` arm calls.
    ///
    /// ```
    /// use codec::{RawFrame, Reader};
    ///
    /// let mut payload = Reader::new(&[9, 8]);
    /// assert_eq!(RawFrame::read(0x55, &mut payload), RawFrame::new(0x55, vec![9, 8]));
    /// assert!(payload.is_empty());
    /// ```
    pub fn read(id: u64, payload: &mut Reader<'_>) -> Self {
        RawFrame {
            id,
            payload: payload.take_rest().to_vec(),
        }
    }
}

/// The payload bytes, as they are: no length prefix (the header has it).
impl Encode for RawFrame {
    #[inline]
    fn encoded_len(&self) -> usize {
        self.payload.len()
    }

    #[inline]
    fn encode_with(&self, buf: &mut Vec<u8>, _: Endian) -> Result<(), EncodeError> {
        buf.extend_from_slice(&self.payload);
        Ok(())
    }
}

/// The hand-written storage protocol shared with the integration tests.
#[cfg(test)]
#[path = "../tests/support/storage.rs"]
#[allow(dead_code)] // each test binary uses part of it
pub(crate) mod test_protocol;

#[cfg(test)]
mod tests {
    use super::test_protocol::*;
    use super::*;
    use crate::decode::Decode;
    use crate::header::StdHeader;
    use alloc::string::{String, ToString};
    use alloc::vec;

    fn req() -> StoreRequest {
        StoreRequest {
            trans: 7,
            name: "key".into(),
            data: b"hello".to_vec(),
        }
    }

    // id | len   | trans | name.len | name     | data.len | data
    // 01 | 00 0C | 07    | 03       | 6B 65 79 | 00 05    | 68 65 6C 6C 6F
    const STORE_REQUEST: [u8; 15] = [
        0x01, 0x00, 0x0C, 0x07, 0x03, 0x6B, 0x65, 0x79, 0x00, 0x05, 0x68, 0x65, 0x6C, 0x6C, 0x6F,
    ];
    // id | len   | trans | name.len | name     | status
    // 02 | 00 06 | 07    | 03       | 6B 65 79 | 00 (SUCCESS)
    const STORE_RESPONSE: [u8; 9] = [0x02, 0x00, 0x06, 0x07, 0x03, 0x6B, 0x65, 0x79, 0x00];

    #[test]
    fn golden_frames() {
        let msg = Storage::from(req());
        assert_eq!(msg.to_bytes().unwrap(), STORE_REQUEST);
        assert_eq!(frame_len(&msg), 15);
        assert_eq!(msg.encoded_len(), 15);
        assert_eq!(Storage::from_bytes(&STORE_REQUEST).unwrap(), msg);

        let resp = Storage::from(StoreResponse {
            trans: 7,
            name: "key".into(),
            status: SUCCESS,
        });
        assert_eq!(resp.to_bytes().unwrap(), STORE_RESPONSE);
        assert_eq!(Storage::from_bytes(&STORE_RESPONSE).unwrap(), resp);
        assert_eq!((resp.id(), resp.name()), (2, "StoreResponse"));
    }

    #[test]
    fn every_truncation_is_incomplete_with_exact_need() {
        for cut in 0..STORE_REQUEST.len() {
            let err = Storage::from_bytes(&STORE_REQUEST[..cut]).unwrap_err();
            // The header is cut: need the rest of it. The payload is cut:
            // need the rest of the frame, which the header says is 15.
            let need = if cut < 3 { 3 - cut } else { 15 - cut };
            assert_eq!(err.bytes_needed(), Some(need as u64), "cut at {cut}: {err}");
        }
        let err = Storage::from_bytes(&STORE_REQUEST[..1]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unexpected end of input (need 3 bytes, have 1) at byte 0 in StdHeader"
        );
    }

    #[test]
    fn header_length_one_too_few() {
        // The header says 11: the frame ends after "hell", leaving "o".
        let mut frame = STORE_REQUEST;
        frame[2] = 11;
        let err = Storage::from_bytes(&frame).unwrap_err();
        assert_eq!(
            err.kind(),
            &DecodeErrorKind::LengthMismatch {
                declared: 11,
                actual: 12
            }
        );
        assert!(!err.is_incomplete());
        assert_eq!(
            err.to_string(),
            "header declares 11 payload bytes, message used 12 at byte 10 in StoreRequest.data"
        );
        // Without the stray byte the answer is the same: the frame ended.
        let err = Storage::from_bytes(&frame[..14]).unwrap_err();
        assert_eq!(
            err.kind(),
            &DecodeErrorKind::LengthMismatch {
                declared: 11,
                actual: 12
            }
        );
    }

    #[test]
    fn header_length_one_too_many() {
        // The header says 13 and a 13th payload byte is there: unused.
        let mut frame = STORE_REQUEST.to_vec();
        frame[2] = 13;
        frame.push(0xEE);
        let err = Storage::from_bytes(&frame).unwrap_err();
        assert_eq!(
            err.kind(),
            &DecodeErrorKind::LengthMismatch {
                declared: 13,
                actual: 12
            }
        );
        assert_eq!(err.offset(), 15);
        assert_eq!(
            err.to_string(),
            "header declares 13 payload bytes, message used 12 at byte 15 in StoreRequest"
        );
        // Without it, the frame is simply not complete yet.
        frame.pop();
        let err = Storage::from_bytes(&frame).unwrap_err();
        assert_eq!(err.bytes_needed(), Some(1));
    }

    #[test]
    fn overrun_of_an_inner_window_stays_an_end_of_input() {
        // A field bounded by its own u8 byte length (Ping.note) that is too
        // short for its u16 is the field's problem, not the header's.
        // id | len   | seq         | note.len | note (u16 needs 2) | flag
        // 10 | 00 07 | 00 00 00 01 | 01       | 05                 | 00
        let frame = [0x10, 0x00, 0x07, 0, 0, 0, 1, 0x01, 0x05, 0x00];
        let err = Storage::from_bytes(&frame).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                DecodeErrorKind::UnexpectedEnd {
                    needed: 2,
                    available: 1
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn unknown_id_and_trailing_bytes() {
        let mut frame = STORE_RESPONSE;
        frame[0] = 0x09;
        let err = Storage::from_bytes(&frame).unwrap_err();
        assert_eq!(err.kind(), &DecodeErrorKind::UnknownId(9));
        assert_eq!(
            err.to_string(),
            "unknown message id 0x9 at byte 0 in StdHeader.id"
        );

        let mut two = STORE_RESPONSE.to_vec();
        two.push(0x02);
        let err = Storage::from_bytes(&two).unwrap_err();
        assert_eq!(err.kind(), &DecodeErrorKind::TrailingBytes { count: 1 });
        assert_eq!(err.offset(), 9);
    }

    #[test]
    fn other_variant_keeps_unknown_frames_intact() {
        let frame = [0x09, 0x00, 0x02, 0xAB, 0xCD];
        let msg = Open::from_bytes(&frame).unwrap();
        assert_eq!(msg, Open::Other(RawFrame::new(9, vec![0xAB, 0xCD])));
        assert_eq!((msg.id(), msg.name()), (9, RawFrame::NAME));
        assert_eq!(msg.to_bytes().unwrap(), frame);
        // Known ids still decode to their variant.
        assert_eq!(
            Open::from_bytes(&STORE_RESPONSE).unwrap().name(),
            "StoreResponse"
        );
        // An id over the header's range cannot be written.
        let big = Open::Other(RawFrame::new(0x100, vec![]));
        let mut buf = vec![1];
        assert!(encode_frame(&big, &mut buf).is_err());
        assert_eq!(buf, [1]);
    }

    #[test]
    fn encode_checks_the_header_before_writing() {
        let huge = Storage::from(StoreRequest {
            trans: 1,
            name: String::new(),
            data: vec![0; 0xFFFF],
        });
        let mut buf = vec![0xAA];
        let err = encode_frame(&huge, &mut buf).unwrap_err();
        assert_eq!(
            err.to_string(),
            "length 65539 does not fit a u16 length prefix (max 65535) in StdHeader.len"
        );
        assert_eq!(buf, [0xAA]);
        assert_eq!(buf.capacity(), 1, "nothing reserved for the payload");
        // A field error leaves the buffer as it was, header included.
        let bad = Storage::from(StoreRequest {
            trans: 1,
            name: "x".repeat(256),
            data: vec![],
        });
        assert!(encode_frame(&bad, &mut buf).is_err());
        assert_eq!(buf, [0xAA]);
    }

    #[test]
    fn lying_payload_len_is_caught() {
        struct Liar;
        impl Protocol for Liar {
            type Header = StdHeader;
            fn id(&self) -> u64 {
                1
            }
            fn name(&self) -> &'static str {
                "Liar"
            }
            fn payload_len(&self) -> usize {
                2
            }
            fn encode_payload(&self, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
                buf.push(0);
                Ok(())
            }
        }
        let mut buf = Vec::new();
        let err = encode_frame(&Liar, &mut buf).unwrap_err();
        assert_eq!(
            err.to_string(),
            "payload_len disagrees with the payload encoded"
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn borrowing_protocol_decodes_without_copying() {
        // id | len   | data (rest)
        // 11 | 00 03 | 61 62 63
        let frame = [0x11, 0x00, 0x03, b'a', b'b', b'c'];
        let msg: Borrowed<'_> = decode_frame(&mut Reader::new(&frame)).unwrap();
        let Borrowed::Echo(Echo { data }) = msg;
        assert_eq!(data, b"abc");
        assert!(core::ptr::eq(data.as_ptr(), frame[3..].as_ptr()));
        assert_eq!(Borrowed::Echo(Echo { data }).to_bytes().unwrap(), frame);
    }

    #[test]
    fn frames_decode_in_sequence_from_one_reader() {
        let mut input = STORE_REQUEST.to_vec();
        input.extend_from_slice(&STORE_RESPONSE);
        let mut r = Reader::new(&input);
        assert_eq!(Storage::decode(&mut r).unwrap().name(), "StoreRequest");
        assert_eq!(Storage::decode(&mut r).unwrap().name(), "StoreResponse");
        assert!(r.is_empty());
    }

    #[test]
    fn split_frame_offsets_are_absolute() {
        let mut input = vec![0xFF, 0xFF];
        input.extend_from_slice(&STORE_RESPONSE);
        let mut r = Reader::new(&input);
        r.take(2).unwrap();
        let (head, payload) = split_frame::<StdHeader>(&mut r).unwrap();
        assert_eq!(
            head,
            FrameHead {
                id: 2,
                header_len: 3,
                payload_len: 6
            }
        );
        assert_eq!((payload.offset(), payload.remaining()), (5, 6));

        // A header parse error at relative byte 0 is reported at byte 2.
        let mut input = vec![0, 0];
        input.extend_from_slice(&[0xFF; 12]);
        let mut r = Reader::new(&input);
        r.take(2).unwrap();
        let err = split_frame::<crate::header::tests::TypeBitHeader>(&mut r).unwrap_err();
        assert_eq!(err.offset(), 2);
    }

    #[test]
    fn explain_snapshot_of_the_tutorial_frame() {
        assert_eq!(
            crate::explain::<Storage>(&STORE_REQUEST),
            "\
0000  01           header.id = 0x01 (StoreRequest)
0001  00 0c        header.len = 12
0003  07           StoreRequest.trans = 7
0004  03           StoreRequest.name.len = 3
0005  6b 65 79     StoreRequest.name = \"key\"
0008  00 05        StoreRequest.data.len = 5
000a  68 65 6c 6c  StoreRequest.data = [68 65 6c 6c 6f]
000e  6f
"
        );
    }

    #[test]
    fn explain_shows_errors_and_leftovers() {
        let mut frame = STORE_REQUEST.to_vec();
        frame[2] = 13;
        frame.extend_from_slice(&[0xEE, 0x01]);
        let out = crate::explain::<Storage>(&frame);
        assert!(
            out.contains(
                "000f  ee           error = header declares 13 payload bytes, message used 12\n"
            ),
            "{out}"
        );
        assert!(
            out.contains("0010  01           trailing = 1 bytes after the frame\n"),
            "{out}"
        );

        let out = crate::explain::<Storage>(&[0x09, 0x00, 0x01, 0x00]);
        assert!(
            out.starts_with("0000  09           header.id = 0x09 (unknown)\n"),
            "{out}"
        );
        assert!(
            out.contains("error = unknown message id 0x9 at byte 3\n"),
            "{out}"
        );
        assert!(
            out.contains("0003  00           unexplained = 1 bytes\n"),
            "{out}"
        );

        let out = crate::explain::<Storage>(&[0x01, 0x00]);
        assert_eq!(
            out,
            "0000  01 00        StdHeader = incomplete header (need 1 more bytes)\n"
        );

        let out = crate::explain::<Storage>(&STORE_REQUEST[..6]);
        assert!(
            out.contains("error = frame truncated: 3 of 12 payload bytes present"),
            "{out}"
        );
    }

    #[test]
    fn explain_default_is_one_run_per_message() {
        // StoreResponse does not override explain: one line for the payload.
        let out = crate::explain::<Storage>(&STORE_RESPONSE);
        assert_eq!(
            out,
            "0000  02           header.id = 0x02 (StoreResponse)\n\
             0001  00 06        header.len = 6\n\
             0003  07 03 6b 65  StoreResponse = 6 bytes\n\
             0007  79 00\n"
        );
    }
}
