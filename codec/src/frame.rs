//! Whole frames: encoding a [`Protocol`] value as header + payload
//! ([`encode_frame`], [`frame_bytes`], [`frame_len`]), decoding one from a
//! [`Reader`] ([`decode_frame`], built on [`split_frame`] and
//! [`decode_payload_exact`]), and the sans-IO [`FrameDecoder`]: push bytes
//! as they arrive, in any split, and take whole frames (or decoded
//! messages) out.
//!
//! ```text
//! push(01 00) push(0C 07 03 6B 65 79 00 05 68 65 6C 6C 6F 02 00)
//!      |                                                  |
//!      +-- header | payload (12 bytes) -> one frame ------+-- partial: needed() = 1
//! ```
//!
//! The decoder keeps one buffer with a read cursor: frames are handed out as
//! slices of it, consumed bytes are dropped when the buffer is next filled
//! (and only moved when they are at least as many as the bytes kept), so
//! every byte is copied in once and moved at most a bounded number of times.
//!
//! A frame's length is checked against [`FrameDecoder::max_frame_len`] as
//! soon as its header is complete, before any memory is reserved for its
//! body.

use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;

use crate::decode::Decode;
use crate::error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind};
use crate::header::{FrameHead, Header, Parsed};
use crate::protocol::{left_over, overrun, DecodeProtocol, Protocol, RawFrame};
use crate::reader::Reader;
use crate::sink::Sink;

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
pub fn encode_frame<P: Protocol, S: Sink + ?Sized>(p: &P, buf: &mut S) -> Result<(), EncodeError> {
    let start = buf.len();
    let len = p.payload_len();
    p.write_header(len, buf)?;
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
/// [`FrameDecoder`].
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
    let head = read_head::<H>(r)?;
    let len = usize::try_from(head.payload_len).map_err(|_| {
        r.error(DecodeErrorKind::LengthOverLimit {
            len: head.payload_len,
            limit: usize::MAX as u64,
        })
    })?;
    let payload = r.split(len)?;
    Ok((head, payload))
}

/// The header step of [`split_frame`]: parses the header at `r` and
/// consumes it, leaving `r` at the payload. [`explain`](crate::explain())
/// uses it on its own, to dump a payload that is cut short.
///
/// # Errors
///
/// As [`split_frame`], for the header.
#[inline]
pub(crate) fn read_head<H: Header>(r: &mut Reader<'_>) -> Result<FrameHead, DecodeError> {
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
        return Err(empty_header::<H>(start));
    }
    r.take(head.header_len)?;
    Ok(head)
}

/// The error for a [`Header::parse`] that accepted zero bytes as a header
/// (a bug in the header: framing would never advance).
#[cold]
fn empty_header<H: Header>(offset: usize) -> DecodeError {
    DecodeError::new(
        DecodeErrorKind::Invalid("header parser returned an empty header"),
        offset,
    )
    .in_type(H::NAME)
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
/// use codec::frame::decode_payload_exact;
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
    crate::protocol::payload_exact(payload, decode)
}

/// [`decode_payload_exact`] for one message type of a protocol, wrapping
/// the message into the protocol's variant only once the payload is known
/// to be used exactly: what the derive's
/// [`DecodeProtocol::decode_framed_exact`] calls in each variant's arm.
///
/// Checking before wrapping is what makes it cheap: with the check after
/// the `match` over variants, the variants' values meet in one temporary
/// holding every variant's fields, which is then copied out whole (measured:
/// a quarter of the protocol layer's instructions on a 47-byte frame).
///
/// # Errors
///
/// As [`decode_payload_exact`].
#[doc(hidden)]
#[inline(always)]
pub fn decode_variant_exact<'de, T: Decode<'de>, P>(
    payload: &mut Reader<'de>,
    variant: impl FnOnce(T) -> P,
) -> Result<P, DecodeError> {
    let start = payload.offset();
    let declared = payload.remaining();
    match T::decode(payload) {
        Ok(message) if payload.is_empty() => Ok(variant(message)),
        Ok(_) => Err(left_over(payload.offset(), start, declared)),
        Err(e) => Err(overrun(e, start, start + declared)),
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
#[inline]
pub fn decode_frame<'de, P: DecodeProtocol<'de>>(r: &mut Reader<'de>) -> Result<P, DecodeError> {
    let frame_start = r.offset();
    let bytes = r.peek();
    let (head, mut payload) = split_frame::<P::Header>(r)?;
    decode_split::<P>(frame_start, &bytes[..head.header_len], &head, &mut payload)
}

/// Decodes one whole frame of protocol `P` that takes all of `bytes`: what
/// [`decode_frame`] followed by a check for trailing bytes does, with the
/// same result and errors on every input, in one length check instead of
/// two (the header's length against what is left, which covers both a
/// short frame and trailing bytes).
///
/// The derive's `Decode::from_bytes` for a protocol enum is a call to this.
///
/// # Errors
///
/// As [`decode_frame`]; bytes after the frame are
/// [`DecodeErrorKind::TrailingBytes`] (after any error of the frame
/// itself, as with [`Decode::from_bytes`]).
///
/// ```
/// # use codec::{DecodeError, Reader};
/// # use codec::{DecodeProtocol, Protocol, StdHeader};
/// # #[derive(Debug, PartialEq)]
/// # struct Tick(u8);
/// # impl Protocol for Tick {
/// #     type Header = StdHeader;
/// #     fn id(&self) -> u64 { 0x20 }
/// #     fn name(&self) -> &'static str { "Tick" }
/// #     fn payload_len(&self) -> usize { 1 }
/// #     fn encode_payload<S: codec::Sink + ?Sized>(&self, buf: &mut S) -> Result<(), codec::EncodeError> {
/// #         buf.push(self.0);
/// #         Ok(())
/// #     }
/// # }
/// # impl<'de> DecodeProtocol<'de> for Tick {
/// #     fn decode_payload(_: u64, payload: &mut Reader<'de>) -> Result<Self, DecodeError> {
/// #         Ok(Tick(payload.byte()?))
/// #     }
/// # }
/// use codec::frame::decode_frame_exact;
/// use codec::DecodeErrorKind;
///
/// assert_eq!(decode_frame_exact::<Tick>(&[0x20, 0, 1, 5])?, Tick(5));
/// let err = decode_frame_exact::<Tick>(&[0x20, 0, 1, 5, 9]).unwrap_err();
/// assert_eq!(err.kind(), &DecodeErrorKind::TrailingBytes { count: 1 });
/// assert_eq!(decode_frame_exact::<Tick>(&[0x20, 0, 2, 5]).unwrap_err().bytes_needed(), Some(1));
/// # Ok::<(), DecodeError>(())
/// ```
// `#[inline]`, not `always`: forcing it into the caller measured worse
// (+18 and +21 instructions on the owned 69- and 47-byte frames).
#[inline]
pub fn decode_frame_exact<'de, P: DecodeProtocol<'de>>(bytes: &'de [u8]) -> Result<P, DecodeError> {
    let mut r = Reader::new(bytes);
    let head = read_head::<P::Header>(&mut r)?;
    // Exactly the rest of the input: anything else (short, long, a length
    // over usize) takes the general path, which reports it.
    if usize::try_from(head.payload_len) != Ok(r.remaining()) {
        return decode_then_finish(bytes);
    }
    let header = &bytes[..head.header_len];
    let mut payload = Reader::with_offset(r.take_rest(), head.header_len);
    decode_split::<P>(0, header, &head, &mut payload)
}

/// [`decode_frame`], then the check for trailing bytes: the errors of
/// [`decode_frame_exact`] for a frame whose length is not the input's.
#[cold]
#[inline(never)]
fn decode_then_finish<'de, P: DecodeProtocol<'de>>(bytes: &'de [u8]) -> Result<P, DecodeError> {
    let mut r = Reader::new(bytes);
    let value = decode_frame(&mut r)?;
    r.finish()?;
    Ok(value)
}

/// Decodes a payload already split off by [`split_frame`] (or the frame
/// decoder).
#[inline]
pub(crate) fn decode_split<'de, P: DecodeProtocol<'de>>(
    frame_start: usize,
    header: &'de [u8],
    head: &FrameHead,
    payload: &mut Reader<'de>,
) -> Result<P, DecodeError> {
    let id = head.id;
    match P::decode_framed_exact(header, id, payload) {
        Ok(value) => Ok(value),
        Err(e) => Err(frame_error::<P>(e, frame_start, id)),
    }
}

/// Puts payload errors in frame terms: an unknown id points at the header,
/// a length mismatch names the message.
#[cold]
#[inline(never)]
fn frame_error<P: Protocol>(e: DecodeError, frame_start: usize, id: u64) -> DecodeError {
    let name = <P::Header as Header>::NAME;
    match e.kind() {
        DecodeErrorKind::UnknownId(id) => {
            let kind = DecodeErrorKind::UnknownId(*id);
            e.restate(kind, frame_start).in_field(name, "id")
        }
        DecodeErrorKind::LengthMismatch { .. } => e.in_type(P::name_of(id).unwrap_or(name)),
        _ => e,
    }
}

/// The error [`DecodeProtocol::decode_payload`] returns for an id no
/// variant claims. [`decode_frame`] moves it to the frame's first byte.
// Inlined, handing the offset by value to the cold constructor: as for
// `Reader::end_error`, a `&Reader` passed out of line makes the payload
// reader escape in the derive's `decode_payload`, which then stores it
// after every read of every message.
#[inline(always)]
#[must_use]
pub fn unknown_id(id: u64, payload: &Reader<'_>) -> DecodeError {
    unknown_id_at(id, payload.offset())
}

#[cold]
#[inline(never)]
fn unknown_id_at(id: u64, offset: usize) -> DecodeError {
    DecodeError::new(DecodeErrorKind::UnknownId(id), offset)
}

/// The default limit on a frame's payload: 16 MiB. Headers that cannot
/// describe that much (like `StdHeader`, 64 KiB) are limited by what they
/// can describe instead.
pub const DEFAULT_MAX_FRAME_LEN: usize = 16 * 1024 * 1024;

/// A buffer that has grown past this (for one big frame) is given back when
/// it next empties.
const SHRINK_ABOVE: usize = 1024 * 1024;
const SHRINK_TO: usize = 64 * 1024;

/// Something went wrong moving frames: a frame over the limit, a stream
/// that ended mid-frame, a frame that did not decode, or (for the
/// transports) an I/O or encode error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// A header declared a payload over the limit. Nothing was reserved
    /// for it. The stream cannot be resynchronised after this.
    #[error("frame of {len} payload bytes over the limit of {max}")]
    TooLarge {
        /// The payload length the header declared (or, when sending, the
        /// message's payload length).
        len: u64,
        /// The limit.
        max: usize,
    },
    /// The stream ended inside a frame.
    #[error("stream ended inside a frame ({have} bytes received, at least {need} more needed)")]
    Truncated {
        /// Bytes of the unfinished frame that were received.
        have: usize,
        /// More bytes the frame needed: exact once its header was complete,
        /// the least that could complete the header otherwise.
        need: usize,
    },
    /// The stream ended while whole frames were still buffered: the caller
    /// stopped taking frames before [`FrameDecoder::finish`].
    #[error("stream ended with {len} buffered bytes not taken as frames")]
    Unread {
        /// Bytes left in the buffer.
        len: usize,
    },
    /// A header did not parse: the stream cannot be resynchronised after
    /// this. Offsets count from the frame's first byte.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A whole frame arrived but its payload did not decode as the
    /// protocol (an unknown id, a length mismatch, a bad field). That frame
    /// was consumed: the next one can be read. Offsets count from the
    /// frame's first byte.
    #[error(transparent)]
    Payload(DecodeError),
    /// A message could not be encoded; nothing was sent.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The underlying reader or writer failed.
    #[cfg(feature = "std")]
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl FrameError {
    /// True when only one frame was bad and the stream can go on
    /// ([`FrameError::Payload`]); every other error ends the stream.
    pub fn is_recoverable(&self) -> bool {
        matches!(self, FrameError::Payload(_))
    }
}

/// What is known about the frame at the start of some bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// The header is incomplete and needs at least this many more bytes.
    Header(usize),
    /// The header is complete and accepted; the whole frame is `total`
    /// bytes (which may be more than are there).
    Frame(FrameHead, usize),
}

/// `max` clamped to what `H` can describe.
pub(crate) fn clamp_max<H: Header>(max: usize) -> usize {
    usize::try_from(H::MAX_LEN).map_or(max, |h| max.min(h))
}

/// Parses the header at the start of `bytes` and checks it against `max`
/// (already clamped). Shared by [`FrameDecoder`] and the tokio codec.
#[inline]
pub(crate) fn inspect<H: Header>(bytes: &[u8], max: usize) -> Result<Next, FrameError> {
    let head = match H::parse(bytes)? {
        Parsed::Incomplete { needed } => return Ok(Next::Header(needed.max(1))),
        Parsed::Complete(head) => head,
    };
    if head.header_len == 0 {
        return Err(FrameError::Decode(empty_header::<H>(0)));
    }
    let too_large = || FrameError::TooLarge {
        len: head.payload_len,
        max,
    };
    let len = usize::try_from(head.payload_len).map_err(|_| too_large())?;
    if len > max {
        return Err(too_large());
    }
    let total = head.header_len.checked_add(len).ok_or_else(too_large)?;
    Ok(Next::Frame(head, total))
}

/// Splits a byte stream into frames with header `H`.
///
/// Feed it with [`push`](FrameDecoder::push), in chunks of any size, and
/// take frames out with [`next_frame`](FrameDecoder::next_frame) or
/// [`next_message`](FrameDecoder::next_message) until they return
/// `Ok(None)`; [`needed`](FrameDecoder::needed) says how many more bytes
/// the next frame needs. At the end of the stream,
/// [`finish`](FrameDecoder::finish) tells a clean end (between frames) from
/// a truncated frame.
///
/// ```
/// use codec::frame::{FrameDecoder, FrameError};
/// use codec::StdHeader;
///
/// let mut frames = FrameDecoder::<StdHeader>::new();
/// frames.push(&[0x02, 0x00]);
/// assert!(frames.next_frame()?.is_none());
/// assert_eq!(frames.needed(), 1); // the rest of the header
/// frames.push(&[0x02, 0xAA, 0xBB, 0x05]);
///
/// let frame = frames.next_frame()?.expect("a whole frame");
/// assert_eq!((frame.id(), frame.payload()), (2, &[0xAA, 0xBB][..]));
///
/// assert!(frames.next_frame()?.is_none());
/// assert_eq!(frames.needed(), 2); // the rest of the next header
/// assert!(matches!(frames.finish(), Err(FrameError::Truncated { have: 1, need: 2 })));
/// # Ok::<(), FrameError>(())
/// ```
pub struct FrameDecoder<H: Header> {
    buf: Vec<u8>,
    /// Start of the bytes not yet taken.
    pos: usize,
    max: usize,
    /// The accepted header of the frame at `pos`, once it is complete.
    next: Option<(FrameHead, usize)>,
    header: PhantomData<fn() -> H>,
}

impl<H: Header> FrameDecoder<H> {
    /// A decoder with the default limit, [`DEFAULT_MAX_FRAME_LEN`] (clamped
    /// to what `H` can describe).
    pub fn new() -> Self {
        FrameDecoder {
            buf: Vec::new(),
            pos: 0,
            max: clamp_max::<H>(DEFAULT_MAX_FRAME_LEN),
            next: None,
            header: PhantomData,
        }
    }

    /// Sets the largest payload a header may declare (the header itself is
    /// not counted), clamped to `H::MAX_LEN`.
    ///
    /// ```
    /// # use codec::frame::FrameDecoder;
    /// # use codec::{StdHeader, WideHeader};
    /// assert_eq!(FrameDecoder::<WideHeader>::new().max_frame_len(), 16 << 20);
    /// assert_eq!(FrameDecoder::<StdHeader>::new().max_frame_len(), 0xFFFF);
    /// assert_eq!(FrameDecoder::<StdHeader>::new().with_max_frame_len(100).max_frame_len(), 100);
    /// ```
    #[must_use]
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.max = clamp_max::<H>(max);
        self.next = None;
        self
    }

    /// The largest payload a header may declare.
    pub fn max_frame_len(&self) -> usize {
        self.max
    }

    /// Bytes pushed and not yet taken as frames.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Appends bytes received from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.compact();
        self.buf.extend_from_slice(bytes);
    }

    /// Drops the bytes already taken: for free when nothing else is
    /// buffered, by moving the rest to the front when the taken bytes are at
    /// least as many (so each byte moves a bounded number of times).
    fn compact(&mut self) {
        if self.pos == 0 {
            return;
        }
        let live = self.buf.len() - self.pos;
        if live == 0 {
            self.buf.clear();
            if self.buf.capacity() > SHRINK_ABOVE {
                self.buf.shrink_to(SHRINK_TO);
            }
            self.pos = 0;
        } else if self.pos >= live {
            self.buf.copy_within(self.pos.., 0);
            self.buf.truncate(live);
            self.pos = 0;
        }
    }

    /// What is known about the next frame, from the cache or the buffer.
    #[inline]
    fn peek_next(&self) -> Result<Next, FrameError> {
        match self.next {
            Some((head, total)) => Ok(Next::Frame(head, total)),
            None => inspect::<H>(&self.buf[self.pos..], self.max),
        }
    }

    /// The next whole frame, if it is buffered; its bytes stay borrowed from
    /// the decoder until the next call.
    ///
    /// # Errors
    ///
    /// [`FrameError::TooLarge`] as soon as a header declares a payload over
    /// the limit, before anything is reserved for it;
    /// [`FrameError::Decode`] for a header that does not parse. Both are
    /// returned again by every later call: the stream cannot be
    /// resynchronised.
    #[inline]
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, FrameError> {
        let (head, total) = match self.peek_next()? {
            Next::Header(_) => return Ok(None),
            Next::Frame(head, total) => (head, total),
        };
        let live = self.buf.len() - self.pos;
        if live < total {
            if self.next.is_none() {
                self.next = Some((head, total));
                // The header passed the limit: make room for the body now,
                // after moving what is buffered to the front.
                if self.pos > 0 {
                    self.buf.copy_within(self.pos.., 0);
                    self.buf.truncate(live);
                    self.pos = 0;
                }
                self.buf.reserve(total - live);
            }
            return Ok(None);
        }
        self.next = None;
        let start = self.pos;
        self.pos += total;
        Ok(Some(Frame {
            head,
            bytes: &self.buf[start..start + total],
        }))
    }

    /// The next whole frame decoded as protocol `P`, if it is buffered.
    /// `P` may borrow from the decoder's buffer.
    ///
    /// # Errors
    ///
    /// As [`FrameDecoder::next_frame`], and [`FrameError::Payload`] for a
    /// frame that does not decode as `P` (an unknown id, a length mismatch,
    /// a bad field); that frame is consumed, so the next call reads the next
    /// one. Offsets count from the frame's first byte.
    #[inline]
    pub fn next_message<'a, P>(&'a mut self) -> Result<Option<P>, FrameError>
    where
        P: DecodeProtocol<'a> + Protocol<Header = H>,
    {
        let Some(frame) = self.next_frame()? else {
            return Ok(None);
        };
        let mut payload = Reader::with_offset(frame.payload(), frame.head.header_len);
        decode_split::<P>(0, frame.header(), &frame.head, &mut payload)
            .map(Some)
            .map_err(FrameError::Payload)
    }

    /// The least number of bytes to push before the next frame can be
    /// complete: exact once its header is complete, the least that could
    /// complete the header before that. 0 when
    /// [`next_frame`](FrameDecoder::next_frame) has an answer now (a frame or
    /// an error).
    pub fn needed(&self) -> usize {
        match self.peek_next() {
            Ok(Next::Header(needed)) => needed,
            Ok(Next::Frame(_, total)) => total.saturating_sub(self.buffered()),
            Err(_) => 0,
        }
    }

    /// Checks that the stream may end here: call it at end of input, after
    /// taking frames until `Ok(None)`.
    ///
    /// # Errors
    ///
    /// [`FrameError::Truncated`] when part of a frame is buffered, with how
    /// much was received and how much more it needed;
    /// [`FrameError::Unread`] when whole frames were left untaken; the
    /// header error, if the buffered header was bad.
    pub fn finish(&self) -> Result<(), FrameError> {
        let have = self.buffered();
        if have == 0 {
            return Ok(());
        }
        match self.peek_next()? {
            Next::Header(need) => Err(FrameError::Truncated { have, need }),
            Next::Frame(_, total) if total > have => Err(FrameError::Truncated {
                have,
                need: total - have,
            }),
            Next::Frame(..) => Err(FrameError::Unread { len: have }),
        }
    }
}

impl<H: Header> Default for FrameDecoder<H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<H: Header> fmt::Debug for FrameDecoder<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameDecoder")
            .field("header", &H::NAME)
            .field("buffered", &self.buffered())
            .field("max_frame_len", &self.max)
            .finish()
    }
}

/// One whole frame, borrowed from the [`FrameDecoder`]'s buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    head: FrameHead,
    bytes: &'a [u8],
}

impl<'a> Frame<'a> {
    /// The message id from the header.
    pub fn id(&self) -> u64 {
        self.head.id
    }

    /// The parsed header.
    pub fn head(&self) -> FrameHead {
        self.head
    }

    /// The header's bytes.
    pub fn header(&self) -> &'a [u8] {
        &self.bytes[..self.head.header_len]
    }

    /// The payload's bytes.
    pub fn payload(&self) -> &'a [u8] {
        &self.bytes[self.head.header_len..]
    }

    /// The whole frame, header and payload, as it was received (for
    /// [`Registry::dispatch`](crate::registry::Registry::dispatch) or
    /// [`explain`](crate::explain())).
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// An owned copy of the id and payload.
    pub fn to_raw(&self) -> RawFrame {
        RawFrame::new(self.head.id, self.payload().to_vec())
    }
}

/// The sans-IO frame decoder.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::tests::VlqHeader;
    use crate::header::{StdHeader, WideHeader};
    use crate::test_protocol::*;
    use crate::Encode;
    use alloc::string::ToString;
    use alloc::vec;

    fn stream(n: usize) -> (Vec<u8>, Vec<Storage>, Vec<usize>) {
        let mut bytes = Vec::new();
        let mut msgs = Vec::new();
        let mut ends = Vec::new();
        for i in 0..n {
            let msg = sample(i);
            msg.encode(&mut bytes).unwrap();
            ends.push(bytes.len());
            msgs.push(msg);
        }
        (bytes, msgs, ends)
    }

    fn drain(d: &mut FrameDecoder<StdHeader>, out: &mut Vec<Storage>) {
        while let Some(msg) = d.next_message::<Storage>().unwrap() {
            out.push(msg);
        }
    }

    #[test]
    fn thousand_frames_in_every_chunk_size() {
        let (bytes, msgs, _) = stream(1000);
        for chunk in 1..=64 {
            let mut d = FrameDecoder::<StdHeader>::new();
            let mut out = Vec::new();
            for piece in bytes.chunks(chunk) {
                d.push(piece);
                drain(&mut d, &mut out);
            }
            assert_eq!(out.len(), msgs.len(), "chunk {chunk}");
            assert!(out == msgs, "chunk {chunk}");
            d.finish().unwrap();
            assert_eq!(d.buffered(), 0);
        }
    }

    /// xorshift64*: deterministic, good enough to pick split points.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn thousand_frames_in_random_splits() {
        let (bytes, msgs, _) = stream(1000);
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for round in 0..50 {
            let mut d = FrameDecoder::<StdHeader>::new();
            let mut out = Vec::new();
            let mut at = 0;
            while at < bytes.len() {
                // Mostly small pieces, sometimes large ones spanning frames.
                let max = if rng.below(8) == 0 { 4096 } else { 40 };
                let n = (1 + rng.below(max)).min(bytes.len() - at);
                d.push(&bytes[at..at + n]);
                at += n;
                if rng.below(4) != 0 {
                    drain(&mut d, &mut out);
                }
            }
            drain(&mut d, &mut out);
            assert!(out == msgs, "round {round}");
            d.finish().unwrap();
        }
    }

    #[test]
    fn needed_is_exact_byte_by_byte() {
        let (bytes, msgs, ends) = stream(200);
        let mut d = FrameDecoder::<StdHeader>::new();
        let mut out = Vec::new();
        let mut frame_start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let end = ends[out.len()];
            let need = d.needed();
            let have = i - frame_start;
            if have < 3 {
                assert_eq!(need, 3 - have, "header of frame {}", out.len());
            } else {
                assert_eq!(need, end - i, "body of frame {}", out.len());
            }
            d.push(&[b]);
            drain(&mut d, &mut out);
            if i + 1 == end {
                assert_eq!(out.len(), ends.iter().position(|&e| e == end).unwrap() + 1);
                frame_start = end;
            }
        }
        assert!(out == msgs);
        assert_eq!(d.needed(), 3);
    }

    #[test]
    fn golden_frame_needs() {
        let frame = [
            0x01, 0x00, 0x0C, 0x07, 0x03, 0x6B, 0x65, 0x79, 0x00, 0x05, 0x68, 0x65, 0x6C, 0x6C,
            0x6F,
        ];
        let mut d = FrameDecoder::<StdHeader>::new();
        assert_eq!(d.needed(), 3);
        d.push(&frame[..1]);
        assert_eq!(d.needed(), 2);
        d.push(&frame[1..3]);
        assert!(d.next_frame().unwrap().is_none());
        assert_eq!(d.needed(), 12);
        d.push(&frame[3..14]);
        assert!(d.next_frame().unwrap().is_none());
        assert_eq!(d.needed(), 1);
        d.push(&frame[14..]);
        assert_eq!(d.needed(), 0);
        let f = d.next_frame().unwrap().unwrap();
        assert_eq!(
            (f.id(), f.header(), f.payload().len(), f.bytes()),
            (1, &frame[..3], 12, &frame[..])
        );
        assert_eq!(f.to_raw(), RawFrame::new(1, frame[3..].to_vec()));
    }

    #[test]
    fn frames_are_zero_copy_slices_of_one_buffer() {
        let (bytes, _, _) = stream(10);
        let mut d = FrameDecoder::<StdHeader>::new();
        d.push(&bytes);
        let base = d.buf.as_ptr() as usize;
        let mut offsets = Vec::new();
        while let Some(f) = d.next_frame().unwrap() {
            offsets.push(f.bytes().as_ptr() as usize - base);
        }
        assert_eq!(offsets.len(), 10);
        assert_eq!(offsets[0], 0);
        // Nothing moved while frames were taken; the next push reuses the
        // buffer from the start.
        d.push(&[1]);
        assert_eq!((d.pos, d.buf.len()), (0, 1));
    }

    #[test]
    fn compaction_keeps_partial_frames() {
        let (bytes, msgs, ends) = stream(3);
        let mut d = FrameDecoder::<StdHeader>::new();
        // Frame 0 whole plus 2 bytes of frame 1.
        d.push(&bytes[..ends[0] + 2]);
        let mut out = Vec::new();
        drain(&mut d, &mut out);
        assert_eq!((d.pos, d.buffered()), (ends[0], 2));
        d.push(&bytes[ends[0] + 2..]);
        assert_eq!(d.pos, 0, "taken bytes outnumbered kept ones: compacted");
        drain(&mut d, &mut out);
        assert!(out == msgs);
    }

    #[test]
    fn oversize_is_rejected_from_the_header_and_sticks() {
        let mut d = FrameDecoder::<StdHeader>::new().with_max_frame_len(100);
        d.push(&[0x01, 0x00, 0x65]); // 101 bytes declared
        let err = d.next_frame().unwrap_err();
        assert!(
            matches!(err, FrameError::TooLarge { len: 101, max: 100 }),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "frame of 101 payload bytes over the limit of 100"
        );
        assert!(d.buf.capacity() < 101, "nothing reserved for the body");
        assert!(matches!(d.next_frame(), Err(FrameError::TooLarge { .. })));
        assert_eq!(d.needed(), 0);
        assert!(matches!(d.finish(), Err(FrameError::TooLarge { .. })));

        // Exactly at the limit is fine, and reserves the body.
        let mut d = FrameDecoder::<StdHeader>::new().with_max_frame_len(100);
        d.push(&[0x01, 0x00, 0x64]);
        assert!(d.next_frame().unwrap().is_none());
        assert!(d.buf.capacity() >= 103);
    }

    #[test]
    fn wide_header_over_default_limit() {
        let mut d = FrameDecoder::<WideHeader>::new();
        d.push(&[0, 1, 0x01, 0x00, 0x00, 0x01]); // 16 MiB + 1
        assert!(matches!(
            d.next_frame(),
            Err(FrameError::TooLarge {
                len: 0x0100_0001,
                max: DEFAULT_MAX_FRAME_LEN
            })
        ));
    }

    #[test]
    fn truncated_versus_clean_end() {
        let (bytes, _, ends) = stream(5);
        let mut d = FrameDecoder::<StdHeader>::new();
        d.finish().unwrap();
        d.push(&bytes);
        let mut out = Vec::new();
        drain(&mut d, &mut out);
        d.finish().unwrap();

        // Cut inside the header of the next frame.
        d.push(&bytes[..1]);
        drain(&mut d, &mut out);
        let err = d.finish().unwrap_err();
        assert!(
            matches!(err, FrameError::Truncated { have: 1, need: 2 }),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "stream ended inside a frame (1 bytes received, at least 2 more needed)"
        );

        // Cut inside a body: the exact remainder is known.
        let mut d = FrameDecoder::<StdHeader>::new();
        d.push(&bytes[..ends[0] - 4]);
        drain(&mut d, &mut out);
        assert!(matches!(
            d.finish(),
            Err(FrameError::Truncated { need: 4, .. })
        ));

        // Whole frames left untaken are not a clean end either.
        let mut d = FrameDecoder::<StdHeader>::new();
        d.push(&bytes[..ends[0]]);
        assert!(matches!(d.finish(), Err(FrameError::Unread { len }) if len == ends[0]));
    }

    #[test]
    fn decode_errors_skip_the_frame() {
        let (bytes, msgs, _) = stream(2);
        let mut d = FrameDecoder::<StdHeader>::new();
        d.push(&[0x42, 0x00, 0x01, 0xFF]); // unknown id 0x42
        d.push(&bytes);
        let err = d.next_message::<Storage>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown message id 0x42 at byte 0 in StdHeader.id"
        );
        let mut out = Vec::new();
        drain(&mut d, &mut out);
        assert!(out == msgs);
        // With an `other` variant the unknown frame comes back intact.
        let mut d = FrameDecoder::<StdHeader>::new();
        d.push(&[0x42, 0x00, 0x01, 0xFF]);
        assert_eq!(
            d.next_message::<Open>().unwrap(),
            Some(Open::Other(RawFrame::new(0x42, vec![0xFF])))
        );
    }

    #[test]
    fn payload_errors_have_frame_relative_offsets() {
        let mut d = FrameDecoder::<StdHeader>::new();
        let mut frame = Storage::from(StoreRequest {
            trans: 7,
            name: "key".into(),
            data: b"hello".to_vec(),
        })
        .to_bytes()
        .unwrap();
        frame[2] = 11; // one too few
                       // A FetchRequest frame whose payload lacks the name: an error, and
                       // the next frame starts at stream offset 4.
        d.push(&[0x03, 0x00, 0x01, 0x00]);
        assert!(matches!(
            d.next_message::<Storage>(),
            Err(FrameError::Payload(_))
        ));
        d.push(&frame[..14]);
        let err = d.next_message::<Storage>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "header declares 11 payload bytes, message used 12 at byte 10 in StoreRequest.data"
        );
    }

    #[test]
    fn borrowing_messages_from_the_buffer() {
        let mut d = FrameDecoder::<StdHeader>::new();
        d.push(&[0x11, 0x00, 0x02, b'h', b'i', 0x11]);
        let msg = d.next_message::<Borrowed<'_>>().unwrap().unwrap();
        assert_eq!(msg, Borrowed::Echo(Echo { data: b"hi" }));
        assert!(d.next_message::<Borrowed<'_>>().unwrap().is_none());
    }

    #[test]
    fn variable_length_headers_frame_too() {
        // vlq len 300 needs two header bytes.
        let mut bytes = Vec::new();
        for len in [0usize, 5, 127, 128, 300] {
            VlqHeader::write(0, len, &mut bytes).unwrap();
            bytes.extend((0..len).map(|i| i as u8));
        }
        for chunk in [1, 2, 3, 7, 1000] {
            let mut d = FrameDecoder::<VlqHeader>::new();
            let mut lens = Vec::new();
            for piece in bytes.chunks(chunk) {
                d.push(piece);
                while let Some(f) = d.next_frame().unwrap() {
                    assert_eq!(f.id(), 0);
                    lens.push(f.payload().len());
                }
            }
            assert_eq!(lens, [0, 5, 127, 128, 300], "chunk {chunk}");
            d.finish().unwrap();
        }
        let mut d = FrameDecoder::<VlqHeader>::new();
        d.push(&[0x82]);
        assert_eq!(d.needed(), 1);
        assert!(matches!(
            d.finish(),
            Err(FrameError::Truncated { have: 1, need: 1 })
        ));
        // A header that can never parse is a decode error, and sticks.
        let mut d = FrameDecoder::<VlqHeader>::new();
        d.push(&[0xFF; 11]);
        assert!(matches!(d.next_frame(), Err(FrameError::Decode(_))));
        assert!(matches!(d.next_frame(), Err(FrameError::Decode(_))));
    }

    #[test]
    fn error_chain_prints_each_cause_once() {
        use crate::error::assert_each_cause_once;
        use crate::EncodeErrorKind;

        let e = FrameError::TooLarge { len: 101, max: 100 };
        assert_eq!(
            assert_each_cause_once(&e),
            ["frame of 101 payload bytes over the limit of 100"]
        );
        // The wrapping variants are transparent: the cause's own text, once.
        let decode = DecodeError::new(DecodeErrorKind::UnknownId(0x42), 0);
        for e in [
            FrameError::Decode(decode.clone()),
            FrameError::Payload(decode),
        ] {
            assert_eq!(
                assert_each_cause_once(&e),
                ["unknown message id 0x42 at byte 0"]
            );
        }
        let e = FrameError::from(EncodeError::new(EncodeErrorKind::Invalid("bad")));
        assert_eq!(assert_each_cause_once(&e), ["bad"]);
    }

    #[cfg(feature = "std")]
    #[test]
    fn io_error_chain_prints_each_cause_once() {
        #[derive(Debug)]
        struct Cause;
        impl fmt::Display for Cause {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("disk on fire")
            }
        }
        impl std::error::Error for Cause {}
        #[derive(Debug)]
        struct Write;
        impl fmt::Display for Write {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("write failed")
            }
        }
        impl std::error::Error for Write {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&Cause)
            }
        }
        let e = FrameError::from(std::io::Error::other(Write));
        assert_eq!(
            crate::error::assert_each_cause_once(&e),
            ["write failed", "disk on fire"]
        );
    }

    #[test]
    fn big_frame_buffer_is_released_after() {
        let mut d = FrameDecoder::<WideHeader>::new();
        let len = 2 * SHRINK_ABOVE;
        let mut frame = Vec::new();
        WideHeader::write(1, len, &mut frame).unwrap();
        frame.resize(6 + len, 0);
        d.push(&frame);
        assert_eq!(d.next_frame().unwrap().unwrap().payload().len(), len);
        d.push(&[0]);
        assert!(d.buf.capacity() <= SHRINK_TO);
    }
}

/// Whole-frame encode and decode (the functions above the decoder).
#[cfg(test)]
pub(crate) mod whole_frame_tests {
    use super::*;
    use crate::decode::Decode;
    use crate::encode::Encode;
    use crate::header::StdHeader;
    use crate::test_protocol::*;
    use alloc::string::{String, ToString};
    use alloc::vec;

    fn req() -> StoreRequest {
        StoreRequest {
            trans: 7,
            name: "key".into(),
            data: b"hello".to_vec(),
        }
    }

    /// The tutorial's StoreRequest frame (also dumped by the explain tests).
    // id | len   | trans | name.len | name     | data.len | data
    // 01 | 00 0C | 07    | 03       | 6B 65 79 | 00 05    | 68 65 6C 6C 6F
    pub(crate) const STORE_REQUEST: [u8; 15] = [
        0x01, 0x00, 0x0C, 0x07, 0x03, 0x6B, 0x65, 0x79, 0x00, 0x05, 0x68, 0x65, 0x6C, 0x6C, 0x6F,
    ];
    // id | len   | trans | name.len | name     | status
    // 02 | 00 06 | 07    | 03       | 6B 65 79 | 00 (SUCCESS)
    pub(crate) const STORE_RESPONSE: [u8; 9] =
        [0x02, 0x00, 0x06, 0x07, 0x03, 0x6B, 0x65, 0x79, 0x00];

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
            fn encode_payload<S: Sink + ?Sized>(&self, buf: &mut S) -> Result<(), EncodeError> {
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
}
