//! Protocols: a [`Protocol`] is an enum of messages that is sent as frames
//! (header + payload), choosing the variant by the id in the header;
//! [`DecodeProtocol`] is its decoding side, and [`RawFrame`] holds a frame
//! no variant claims.
//!
//! ```text
//! frame = header (Protocol::Header: id, payload length) | payload (one message)
//! StoreRequest(7, "key", "hello") under StdHeader:
//!   01 | 00 0C | 07 03 6B 65 79 00 05 68 65 6C 6C 6F
//!   id   len     trans name.len name data.len data
//! ```
//!
//! `#[derive(Protocol)]` implements these traits; the whole-frame functions
//! in [`frame`](crate::frame) ([`encode_frame`], [`frame_len`],
//! [`decode_frame`], [`split_frame`], [`decode_payload_exact`]) hold the
//! logic, so generated code stays a `match` over variants.
//!
//! [`encode_frame`]: crate::frame::encode_frame
//! [`frame_len`]: crate::frame::frame_len
//! [`decode_frame`]: crate::frame::decode_frame
//! [`split_frame`]: crate::frame::split_frame
//! [`decode_payload_exact`]: crate::frame::decode_payload_exact
//! [`unknown_id`]: crate::frame::unknown_id
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

use crate::encode::Encode;
use crate::error::{DecodeError, DecodeErrorKind, EncodeError};
use crate::explainer::Explainer;
use crate::header::Header;
use crate::reader::Reader;
use crate::sink::Sink;
use crate::wire::Endian;

/// An enum of messages sent as frames of one [`Header`] type: the encoding
/// side and the id-to-name map.
///
/// Implemented by `#[derive(Protocol)]`, which also implements
/// [`DecodeProtocol`], [`Encode`] and [`Decode`](crate::Decode) for the enum
/// (where the encoding is the whole frame, through
/// [`encode_frame`](crate::frame::encode_frame),
/// [`frame_len`](crate::frame::frame_len) and
/// [`decode_frame`](crate::frame::decode_frame)), and `From<M>` for each
/// message.
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
///     fn encode_payload<S: codec::Sink + ?Sized>(&self, buf: &mut S) -> Result<(), EncodeError> {
///         buf.push(self.0);
///         Ok(())
///     }
/// }
/// impl<'de> DecodeProtocol<'de> for Tick {
///     fn decode_payload(id: u64, payload: &mut Reader<'de>) -> Result<Self, DecodeError> {
///         match id {
///             0x20 => Ok(Tick(payload.byte()?)),
///             _ => Err(codec::frame::unknown_id(id, payload)),
///         }
///     }
/// }
///
/// let mut frame = Vec::new();
/// codec::frame::encode_frame(&Tick(5), &mut frame)?;
/// assert_eq!(frame, [0x20, 0x00, 0x01, 0x05]);
/// let back: Tick = codec::frame::decode_frame(&mut Reader::new(&frame))?;
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
    fn encode_payload<S: Sink + ?Sized>(&self, buf: &mut S) -> Result<(), EncodeError>;

    /// The largest tag every tagged message of the protocol can hold (the
    /// tag space a client draws from); 0 when no message has a tag.
    const TAG_MAX: u64 = 0;

    /// Every message the protocol declares (not the `other` catch-all): its
    /// id, name and payload [`Shape`](crate::message::Shape), for tools that
    /// describe the protocol outside Rust ([`wireshark`](crate::wireshark)).
    /// The derive lists them in declaration order; empty by default.
    const MESSAGES: &'static [crate::message::MessageShape] = &[];

    /// Appends this message's frame header for a payload of `payload_len`
    /// bytes: [`Header::write`] with [`Protocol::id`] by default. The derive
    /// overrides it when a variant sets header fields from its message
    /// (`#[codec(header(flags = ..))]`), writing through
    /// [`HeaderValue::write_value`](crate::header::HeaderValue::write_value);
    /// such fields must not change the header's length
    /// ([`Header::encoded_len`] still counts it).
    ///
    /// # Errors
    ///
    /// As [`Header::write`]; nothing is written then.
    #[inline]
    fn write_header<S: Sink + ?Sized>(
        &self,
        payload_len: usize,
        buf: &mut S,
    ) -> Result<(), EncodeError> {
        <Self::Header as Header>::write(self.id(), payload_len, buf)
    }

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

    /// What this message is to a connection (see [`Correlation`]): by
    /// default [`Correlation::Tagged`] when it has a tag, else
    /// [`Correlation::OneWay`]. `#[codec(correlate = Rules)]` on the
    /// derive makes it `Rules`' [`Correlate::correlation`].
    #[inline]
    fn correlation(&self) -> Correlation {
        match self.tag() {
            Some(tag) => Correlation::Tagged(tag),
            None => Correlation::OneWay,
        }
    }

    /// The first tag a connection draws for its own requests (the tags
    /// below it are reserved by the protocol); 0 unless
    /// `#[codec(correlate = Rules)]` says otherwise ([`Correlate::FIRST_TAG`]).
    const FIRST_TAG: u64 = 0;
}

/// What a message is to a connection that carries requests both ways: a
/// request expecting a response with the same correlation id, that
/// response, or a one-way message.
///
/// Ids are per direction: the requests each side sends draw from that
/// side's own id space, and a response carries the id of the request it
/// answers. Because a message says whether it is a request or a response,
/// a request of ours and a request of the peer with the same id never
/// meet (MQTT's packet identifiers and cs.packetstream's tags work this
/// way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Correlation {
    /// A request with id `.0` in its sender's id space.
    Request(u64),
    /// The response to the receiver's request `.0`.
    Response(u64),
    /// Neither: a notification, a fire-and-forget message.
    OneWay,
    /// The sender's last message (cs.packetstream's EOF packet, MQTT's
    /// DISCONNECT): handed to the handler like a one-way message, then the
    /// connection ends as if the peer had closed it.
    End,
    /// Tagged, with no direction declared: a request when it reaches the
    /// side that accepted the connection, a response when it reaches the
    /// side that dialled (requests flow one way, as `codec::rpc` did before
    /// connections were symmetric). What tagged messages are by default.
    Tagged(u64),
}

/// Declares which messages of protocol `P` are requests, responses or
/// one-way: named by `#[codec(correlate = Rules)]` on a
/// `#[derive(Protocol)]` enum, whose [`Protocol::correlation`] and
/// [`Protocol::FIRST_TAG`] then come from here.
///
/// ```
/// use codec::protocol::{Correlate, Correlation};
/// use codec::{Decode, Encode, Message, Protocol};
///
/// #[derive(Debug, Encode, Decode, Message)]
/// #[codec(id = 1)]
/// struct Ask { #[codec(tag)] tag: u8 }
/// #[derive(Debug, Encode, Decode, Message)]
/// #[codec(id = 2)]
/// struct Answer { #[codec(tag)] tag: u8 }
///
/// /// Either side may ask; tag 0 is reserved.
/// struct Rules;
/// impl Correlate<Chat> for Rules {
///     const FIRST_TAG: u64 = 1;
///     fn correlation(msg: &Chat) -> Correlation {
///         match msg {
///             Chat::Ask(m) => Correlation::Request(m.tag.into()),
///             Chat::Answer(m) => Correlation::Response(m.tag.into()),
///         }
///     }
/// }
///
/// #[derive(Debug, Protocol)]
/// #[codec(correlate = Rules)]
/// enum Chat { Ask(Ask), Answer(Answer) }
///
/// assert_eq!(Chat::Ask(Ask { tag: 3 }).correlation(), Correlation::Request(3));
/// assert_eq!(<Chat as Protocol>::FIRST_TAG, 1);
/// ```
pub trait Correlate<P> {
    /// What `msg` is to a connection.
    fn correlation(msg: &P) -> Correlation;

    /// The first tag a side draws for its requests (default 0).
    const FIRST_TAG: u64 = 0;
}

/// The decoding side of a [`Protocol`], for input that lives for `'de`.
///
/// Call it through [`decode_frame`](crate::frame::decode_frame) (or the
/// frame decoder, or `Decode` on the enum), which parses the header, bounds
/// the payload and checks the payload is used exactly; `decode_payload` only
/// picks the variant.
pub trait DecodeProtocol<'de>: Protocol {
    /// Decodes the payload of a frame whose header carried `id`. `payload` is
    /// a window of exactly the header's payload length, with the absolute
    /// offsets of the input.
    ///
    /// # Errors
    ///
    /// For an id no variant claims,
    /// [`unknown_id`](crate::frame::unknown_id) (unless an `other` variant
    /// takes the raw frame, see [`RawFrame::read`]); any error of the
    /// message's decoder.
    fn decode_payload(id: u64, payload: &mut Reader<'de>) -> Result<Self, DecodeError>;

    /// Decodes the payload of a frame whose header is `header` (its bytes,
    /// already parsed, with `id` read from them): what the frame functions
    /// call. By default the header's bytes are not needed and this is
    /// [`DecodeProtocol::decode_payload`]; the derive overrides it when a
    /// variant's message takes its context from the header
    /// (`#[codec(ctx(qos = header.flags >> 1 & 3))]`), reading the header
    /// with [`HeaderValue::value`](crate::header::HeaderValue::value).
    ///
    /// # Errors
    ///
    /// As [`DecodeProtocol::decode_payload`].
    #[inline]
    fn decode_framed(
        header: &'de [u8],
        id: u64,
        payload: &mut Reader<'de>,
    ) -> Result<Self, DecodeError> {
        let _ = header;
        Self::decode_payload(id, payload)
    }

    /// [`DecodeProtocol::decode_framed`], checking that the message used
    /// exactly the payload: what the frame functions ([`decode_frame`],
    /// the frame decoder, the codecs) call.
    ///
    /// The default is
    /// [`decode_payload_exact`](crate::frame::decode_payload_exact) around
    /// [`DecodeProtocol::decode_framed`]. The derive overrides it to check
    /// inside each variant's arm, before the message is moved into the
    /// enum, with the same results and errors.
    ///
    /// [`decode_frame`]: crate::frame::decode_frame
    ///
    /// # Errors
    ///
    /// As [`decode_payload_exact`](crate::frame::decode_payload_exact).
    #[inline]
    fn decode_framed_exact(
        header: &'de [u8],
        id: u64,
        payload: &mut Reader<'de>,
    ) -> Result<Self, DecodeError> {
        payload_exact(payload, |r| Self::decode_framed(header, id, r))
    }

    /// [`DecodeProtocol::explain_payload`] for a frame whose header is
    /// `header`, as [`DecodeProtocol::decode_framed`] is to
    /// [`DecodeProtocol::decode_payload`].
    ///
    /// # Errors
    ///
    /// As [`DecodeProtocol::decode_payload`].
    fn explain_framed(
        header: &'de [u8],
        id: u64,
        payload: &mut Reader<'de>,
        ex: &mut Explainer,
    ) -> Result<(), DecodeError> {
        let _ = header;
        Self::explain_payload(id, payload, ex)
    }

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
        let start = payload.offset();
        let bytes = payload.peek();
        let msg = Self::decode_payload(id, payload)?;
        let used = &bytes[..payload.offset() - start];
        ex.push(msg.name());
        ex.line(start, used, format_args!("{} bytes", used.len()));
        ex.pop();
        Ok(())
    }
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
    #[must_use]
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
    fn encode_with<S: Sink + ?Sized>(&self, buf: &mut S, _: Endian) -> Result<(), EncodeError> {
        buf.extend_from_slice(&self.payload);
        Ok(())
    }
}

/// [`decode_payload_exact`](crate::frame::decode_payload_exact)'s body,
/// here so that [`DecodeProtocol::decode_framed_exact`]'s default can use
/// it without this module depending on `frame` (which depends on this
/// one).
#[inline]
pub(crate) fn payload_exact<'de, T>(
    payload: &mut Reader<'de>,
    decode: impl FnOnce(&mut Reader<'de>) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    let start = payload.offset();
    let declared = payload.remaining();
    // The value is bound once and returned as is: a `match` with a guard
    // on `Ok(value)` moved it (a whole protocol enum) an extra time.
    let value = match decode(payload) {
        Ok(value) => value,
        Err(e) => return Err(overrun(e, start, start + declared)),
    };
    if !payload.is_empty() {
        return Err(left_over(payload.offset(), start, declared));
    }
    Ok(value)
}

/// The error for a payload the message did not use up, at `at`. (Offsets
/// by value: a `&Reader` passed out of line makes the payload reader
/// escape, and every read of the message then stores it to memory.)
#[cold]
#[inline(never)]
pub(crate) fn left_over(at: usize, start: usize, declared: usize) -> DecodeError {
    DecodeError::new(
        DecodeErrorKind::LengthMismatch {
            declared: declared as u64,
            actual: (at - start) as u64,
        },
        at,
    )
}

/// A read that ran off the end of the payload window (not off a narrower
/// window inside it) is a header length that is too small.
#[cold]
pub(crate) fn overrun(e: DecodeError, start: usize, end: usize) -> DecodeError {
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
