//! The bytes of cs.packetstream: a base-128 length frame around one
//! [`Packet`] body, expressed with the derive.
//!
//! ```text
//! frame  = len: BSUInt (big-endian 7-bit groups, 0x80 = more) | body (len bytes)
//! body   = tag: BSUInt
//!        | flags: BSUInt         bit 0: a channel follows; bit 1: request;
//!                                flags >> 2: user flags (responses: user << 1 | ok)
//!        | channel: BSUInt       only when flags & 1
//!        | rq_type: BSUInt       only when flags & 2 (handler rq_type + 1; 0 = EOF/ERQ)
//!        | payload               the rest of the body
//!
//! request  08 | 02 | 02 | 01 | 68 65 6c 6c 6f       tag 2, request, handler rq_type 0, "hello"
//! response 07 | 02 | 2c | 48 45 4c 4c 4f           tag 2, ok, user flags 5, "HELLO"
//! ERQ      03 | 01 | 02 | 00                       tag 1, request, rq_type 0
//! EOF      03 | 00 | 02 | 00                       tag 0, request, rq_type 0
//! ```

use codec::error::EncodeError;
use codec::{Correlate, Correlation, Decode, Encode, Message, Protocol};

/// Flag bit 0: a channel number follows the flags.
pub const FLAG_CHANNEL: u64 = 0x01;
/// Flag bit 1: the packet is a request (an rq_type follows).
pub const FLAG_REQUEST: u64 = 0x02;

/// The tag of the EOF packet (channel 0).
pub const EOF_TAG: u64 = 0;
/// The tag of the end-of-requests packet (channel 0).
pub const ERQ_TAG: u64 = 1;
/// The first tag of ordinary requests on channel 0 (0 and 1 are EOF and ERQ).
pub const FIRST_TAG: u64 = 2;

/// cs.packetstream's frame header: the body length as a cs.binary BSUInt,
/// and no message id (every frame is a [`Packet`], id 0).
///
/// ```
/// use codec::header::{FrameHead, Header, Parsed};
/// use codec_examples::packetstream::PacketHeader;
///
/// let mut buf = Vec::new();
/// PacketHeader::write(0, 300, &mut buf)?;
/// assert_eq!(buf, [0x82, 0x2c]);
/// assert_eq!(PacketHeader::parse(&buf[..1])?, Parsed::Incomplete { needed: 1 });
/// assert_eq!(
///     PacketHeader::parse(&buf)?,
///     Parsed::Complete(FrameHead { id: 0, header_len: 2, payload_len: 300 })
/// );
/// assert!(PacketHeader::write(1, 0, &mut buf).is_err()); // no id field
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Encode, Decode, codec::Header)]
pub struct PacketHeader {
    /// The body length.
    #[codec(payload_len, vlq)]
    pub len: u64,
}

/// One cs.packetstream packet body, exactly as on the wire.
///
/// `flags` is the wire value (channel and request bits included), and
/// `rq_type` the wire value (handler rq_type + 1). The constructors keep
/// the optional fields consistent with the flag bits; encoding a packet
/// whose `channel`/`rq_type` presence disagrees with its flags is an
/// [`EncodeError`], never a silently different frame.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0)]
pub struct Packet {
    /// Per-channel sequence number; a response carries its request's tag.
    #[codec(tag, vlq)]
    pub tag: u64,
    /// Bit 0: channel present; bit 1: request; `>> 2`: user flags (for a
    /// response, `user << 1 | ok`).
    #[codec(vlq)]
    pub flags: u64,
    /// The channel, when it is not 0.
    #[codec(when = flags & 1 != 0, vlq)]
    pub channel: Option<u64>,
    /// For requests: the handler's rq_type + 1 (0 is EOF/ERQ).
    #[codec(when = flags & 2 != 0, vlq)]
    pub rq_type: Option<u64>,
    /// The rest of the body.
    #[codec(rest)]
    pub payload: Vec<u8>,
}

/// The cs.packetstream protocol: one message type, framed by
/// [`PacketHeader`], whose packets are requests or responses by their
/// flags ([`Rules`]).
#[derive(Debug, Clone, PartialEq, Eq, Protocol)]
#[codec(header = PacketHeader, correlate = Rules)]
pub enum PacketStream {
    /// The only message.
    Packet(Packet),
}

impl PacketStream {
    /// The packet inside.
    pub fn into_packet(self) -> Packet {
        let PacketStream::Packet(p) = self;
        p
    }
}

/// Which packets are requests, responses and the end, for
/// [`codec::rpc`]'s connection engine: each side numbers its own requests
/// from [`FIRST_TAG`] (0 and 1 are the EOF and ERQ tags), and a packet's
/// request flag says whose tag it carries, so both sides' tags never
/// collide.
///
/// | packet | correlation |
/// | --- | --- |
/// | the exact EOF packet | `End`: the peer sends nothing more |
/// | the exact ERQ packet | `OneWay`: the peer sends no more requests |
/// | any other request (flag bit 1) | `Request(tag)`: checked, then the handler's |
/// | a response on channel 0 | `Response(tag)`: one of our requests |
/// | a response on another channel | `OneWay`: no request of ours uses another channel |
#[derive(Debug, Clone, Copy)]
pub struct Rules;

impl Correlate<PacketStream> for Rules {
    const FIRST_TAG: u64 = FIRST_TAG;

    fn correlation(msg: &PacketStream) -> Correlation {
        let PacketStream::Packet(p) = msg;
        if p.is_eof() {
            Correlation::End
        } else if p.is_erq() {
            Correlation::OneWay
        } else if p.is_request() {
            Correlation::Request(p.tag)
        } else if p.channel() == 0 {
            Correlation::Response(p.tag)
        } else {
            Correlation::OneWay
        }
    }
}

/// The wire flags for a packet on `channel` with these bits and user flags.
fn wire_flags(channel: u64, request: bool, user: u64) -> Option<u64> {
    let low = if channel != 0 { FLAG_CHANNEL } else { 0 } | if request { FLAG_REQUEST } else { 0 };
    user.checked_mul(4).map(|f| f | low)
}

/// Why a packet could not be built: a value the wire cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PacketBuildError {
    /// `flags << 2` (or `<< 3` for responses) does not fit 64 bits.
    #[error("user flags {0:#x} too large for a 64-bit flags field")]
    FlagsTooLarge(u64),
    /// `rq_type + 1` does not fit 64 bits.
    #[error("rq_type {0} too large (the wire carries rq_type + 1)")]
    RqTypeTooLarge(u64),
}

impl Packet {
    /// The EOF packet: no more packets follow.
    pub const EOF: Packet = Packet {
        tag: EOF_TAG,
        flags: FLAG_REQUEST,
        channel: None,
        rq_type: Some(0),
        payload: Vec::new(),
    };

    /// The end-of-requests packet: the sender issues no more requests.
    pub const ERQ: Packet = Packet {
        tag: ERQ_TAG,
        flags: FLAG_REQUEST,
        channel: None,
        rq_type: Some(0),
        payload: Vec::new(),
    };

    /// A request for handler `rq_type` (the wire carries `rq_type + 1`).
    ///
    /// ```
    /// use codec::Encode;
    /// use codec_examples::packetstream::{Packet, PacketStream};
    ///
    /// let p = Packet::request(0, 2, 0, 0, b"hello".to_vec())?;
    /// let frame = PacketStream::from(p).to_bytes()?;
    /// assert_eq!(frame, b"\x08\x02\x02\x01hello");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// `flags` or `rq_type` too large for the wire's 64-bit fields.
    pub fn request(
        channel: u64,
        tag: u64,
        flags: u64,
        rq_type: u64,
        payload: Vec<u8>,
    ) -> Result<Packet, PacketBuildError> {
        let wire_rq = rq_type
            .checked_add(1)
            .ok_or(PacketBuildError::RqTypeTooLarge(rq_type))?;
        Ok(Packet {
            tag,
            flags: wire_flags(channel, true, flags)
                .ok_or(PacketBuildError::FlagsTooLarge(flags))?,
            channel: (channel != 0).then_some(channel),
            rq_type: Some(wire_rq),
            payload,
        })
    }

    /// A response: `ok` with the handler's `flags`, or a failure (then
    /// `payload` is the reason).
    ///
    /// ```
    /// use codec::Encode;
    /// use codec_examples::packetstream::{Packet, PacketStream};
    ///
    /// let p = Packet::response(0, 2, true, 5, b"HELLO".to_vec())?;
    /// assert_eq!(PacketStream::from(p).to_bytes()?, b"\x07\x02\x2cHELLO");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// `flags` too large for the wire's 64-bit field.
    pub fn response(
        channel: u64,
        tag: u64,
        ok: bool,
        flags: u64,
        payload: Vec<u8>,
    ) -> Result<Packet, PacketBuildError> {
        let user = flags
            .checked_mul(2)
            .map(|f| f | ok as u64)
            .ok_or(PacketBuildError::FlagsTooLarge(flags))?;
        Ok(Packet {
            tag,
            flags: wire_flags(channel, false, user)
                .ok_or(PacketBuildError::FlagsTooLarge(flags))?,
            channel: (channel != 0).then_some(channel),
            rq_type: None,
            payload,
        })
    }

    /// A failure response carrying `reason` (ok = 0, no user flags).
    pub fn failure(channel: u64, tag: u64, reason: &str) -> Packet {
        Packet {
            tag,
            flags: if channel != 0 { FLAG_CHANNEL } else { 0 },
            channel: (channel != 0).then_some(channel),
            rq_type: None,
            payload: reason.as_bytes().to_vec(),
        }
    }

    /// The channel (0 when the packet carries none).
    pub fn channel(&self) -> u64 {
        self.channel.unwrap_or(0)
    }

    /// Whether this is a request (or EOF/ERQ).
    pub fn is_request(&self) -> bool {
        self.flags & FLAG_REQUEST != 0
    }

    /// The user flags: `flags >> 2` (for a response this still holds the
    /// ok bit; see [`Packet::response_parts`]).
    pub fn user_flags(&self) -> u64 {
        self.flags >> 2
    }

    /// For a request, the handler's rq_type (wire value minus one); `None`
    /// for responses and for EOF/ERQ-shaped packets (wire value 0).
    pub fn handler_rq_type(&self) -> Option<u64> {
        self.rq_type.and_then(|t| t.checked_sub(1))
    }

    /// For a response, `(ok, flags)` as the caller sees them.
    pub fn response_parts(&self) -> (bool, u64) {
        let user = self.user_flags();
        (user & 1 != 0, user >> 1)
    }

    /// The exact EOF packet (cs.packetstream compares every field).
    pub fn is_eof(&self) -> bool {
        *self == Packet::EOF
    }

    /// The exact end-of-requests packet.
    pub fn is_erq(&self) -> bool {
        *self == Packet::ERQ
    }
}

/// The whole frame (length and body) of `p`.
///
/// # Errors
///
/// `channel`/`rq_type` presence disagreeing with the flag bits.
pub fn frame(p: &Packet) -> Result<Vec<u8>, EncodeError> {
    codec::frame::frame_bytes(&PacketStream::Packet(p.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use codec::frame::{FrameDecoder, FrameError};

    // len | tag | flags (request) | rq_type (handler 0 + 1) | "hello"
    const REQUEST: &[u8] = b"\x08\x02\x02\x01hello";
    // len | tag | flags 0x2c = 0b1011_00: user 5, ok | "HELLO"
    const RESPONSE: &[u8] = b"\x07\x02\x2cHELLO";
    // len 26 | tag 3 | flags 0 (ok = 0) | reason
    const FAILURE: &[u8] = b"\x1a\x03\x00exception during handler";
    const ERQ: &[u8] = &[0x03, 0x01, 0x02, 0x00];
    const EOF: &[u8] = &[0x03, 0x00, 0x02, 0x00];

    #[test]
    fn golden_frames_both_ways() {
        let cases = [
            (
                Packet::request(0, 2, 0, 0, b"hello".to_vec()).unwrap(),
                REQUEST,
            ),
            (
                Packet::response(0, 2, true, 5, b"HELLO".to_vec()).unwrap(),
                RESPONSE,
            ),
            (Packet::failure(0, 3, "exception during handler"), FAILURE),
            (Packet::ERQ, ERQ),
            (Packet::EOF, EOF),
        ];
        for (packet, bytes) in cases {
            assert_eq!(frame(&packet).unwrap(), bytes, "{packet:?}");
            let back = PacketStream::from_bytes(bytes).unwrap().into_packet();
            assert_eq!(back, packet);
        }
        assert!(Packet::from_bytes(&ERQ[1..]).unwrap().is_erq());
        assert!(Packet::from_bytes(&EOF[1..]).unwrap().is_eof());
        let resp = PacketStream::from_bytes(RESPONSE).unwrap().into_packet();
        assert_eq!(resp.response_parts(), (true, 5));
    }

    #[test]
    fn channel_and_big_values() {
        let p = Packet::request(7, 300, 1, 200, b"x".to_vec()).unwrap();
        // tag 300 = 82 2c | flags 1<<2 | 3 = 07 | channel 07 | rq 201 = 81 49 | x
        let body = [0x82, 0x2c, 0x07, 0x07, 0x81, 0x49, b'x'];
        let mut want = vec![body.len() as u8];
        want.extend_from_slice(&body);
        assert_eq!(frame(&p).unwrap(), want);
        assert_eq!(PacketStream::from_bytes(&want).unwrap().into_packet(), p);
        assert_eq!(p.handler_rq_type(), Some(200));
        assert!(Packet::request(0, 2, 0, u64::MAX, vec![]).is_err());
        assert!(Packet::request(0, 2, u64::MAX, 0, vec![]).is_err());
    }

    #[test]
    fn inconsistent_packet_does_not_encode() {
        let mut p = Packet::request(0, 2, 0, 0, vec![]).unwrap();
        p.rq_type = None;
        assert!(frame(&p).is_err());
    }

    #[test]
    fn every_split_and_truncation() {
        let mut stream = Vec::new();
        for f in [REQUEST, RESPONSE, FAILURE, ERQ, EOF] {
            stream.extend_from_slice(f);
        }
        let mut d = FrameDecoder::<PacketHeader>::new();
        let mut got = 0;
        for b in &stream {
            d.push(std::slice::from_ref(b));
            while d.next_message::<PacketStream>().unwrap().is_some() {
                got += 1;
            }
        }
        assert_eq!(got, 5);
        d.finish().unwrap();
        for cut in 1..REQUEST.len() {
            let mut d = FrameDecoder::<PacketHeader>::new();
            d.push(&REQUEST[..cut]);
            assert!(d.next_frame().unwrap().is_none());
            assert!(matches!(d.finish(), Err(FrameError::Truncated { .. })));
        }
    }

    #[test]
    fn hostile_lengths() {
        // 2^35 declared: refused from the header alone.
        let mut huge = Vec::new();
        codec::wire::write_vlq(1 << 35, &mut huge);
        let mut d = FrameDecoder::<PacketHeader>::new().with_max_frame_len(1 << 20);
        d.push(&huge);
        assert!(matches!(
            d.next_frame(),
            Err(FrameError::TooLarge { len, max: 1048576 }) if len == 1 << 35
        ));
        // Eleven continuation bytes: no u64 fits.
        let mut d = FrameDecoder::<PacketHeader>::new();
        d.push(&[0xff; 11]);
        let err = d.next_frame().unwrap_err().to_string();
        assert!(err.contains("PacketHeader.len"), "{err}");
        // A request whose rq_type is missing: a field error, not a panic.
        let err = PacketStream::from_bytes(&[0x02, 0x02, 0x02]).unwrap_err();
        assert!(err.to_string().contains("Packet.rq_type"), "{err}");
    }
}
