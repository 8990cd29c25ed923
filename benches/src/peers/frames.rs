//! The protocol rows (issue 13): whole frames of a `#[derive(Protocol)]`
//! enum, decoded with `Frame::from_bytes`, against a hand-written
//! `match frame[0] { 1 => .., 2 => .. }` around the same hand-written
//! field code, and the peers wrapped in that same match.
//!
//! ```text
//! frame = id u8 | len u16 BE | payload (len bytes)      (StdHeader)
//!   0x01 StoreRequest  trans | name.len u8 | name | data.len u16 | data
//!   0x02 ManyFields    the wire benchmark's Mixed (12 fields, 2 strings)
//! ```
//!
//! [`ProtoDerive`] is the derive's protocol enum ([`Frame`], or
//! [`FrameRef`] borrowing); [`Framed<P>`] is any contender's struct codec
//! inside the hand-written match ([`Framed<Hand>`] is the baseline). Both
//! are [`Peer`]s of [`Frame`], so the batches, placement, round-robin
//! timing and callgrind counts of [`run`](super::run) apply unchanged.
//!
//! The hand-written frame code does what the derive's does: the header is
//! bounds-checked, the payload must be exactly the header's length (a
//! short or long frame is an error), an unknown id is an error, and on
//! encode the length must fit the `u16` (the header is written first with
//! a zero length, patched after the payload; nothing is left on error).

use core::marker::PhantomData;

use codec::{Decode, Encode, Protocol};

use super::{Borrowing, Derive, Peer, PeerInfo};
use crate::{HandError, Mixed, MixedRef, StoreRequest, StoreRequestRef};

/// The wire benchmark's two messages as a protocol under `StdHeader`.
#[derive(Debug, Clone, PartialEq, Protocol)]
pub enum Frame {
    /// Id 0x01.
    StoreRequest(StoreRequest),
    /// Id 0x02: the 12-field message.
    ManyFields(Mixed),
}

/// [`Frame`] borrowing its strings and bytes from the input.
#[derive(Debug, Clone, Copy, PartialEq, Protocol)]
pub enum FrameRef<'a> {
    /// Id 0x01.
    StoreRequest(StoreRequestRef<'a>),
    /// Id 0x02.
    ManyFields(MixedRef<'a>),
}

/// A frame decoded by a contender: its store request or its 12-field
/// message (owned or borrowed, per the contender's types).
#[derive(Debug, Clone, PartialEq)]
pub enum Either<S, M> {
    /// Id 0x01.
    Store(S),
    /// Id 0x02.
    Many(M),
}

/// Why a hand-written frame failed: its header (short, a length that is
/// not the payload's, an unknown id, a payload over `u16`), or the
/// contender's own error on the payload.
#[derive(Debug)]
pub enum FrameFailure<S, M> {
    /// The header or the frame around the payload.
    Frame(HandError),
    /// The store request's codec.
    Store(S),
    /// The 12-field message's codec.
    Many(M),
}

/// The header of a whole frame, checked: the id and the payload, which is
/// exactly the header's length.
///
/// # Errors
///
/// A frame shorter than its header says (exact count missing), longer
/// (trailing bytes), or under 3 bytes.
#[inline(always)]
pub fn split_std(frame: &[u8]) -> Result<(u8, &[u8]), HandError> {
    let Some((&[id, hi, lo], payload)) = frame.split_first_chunk::<3>() else {
        return Err(short(frame.len(), 3 - frame.len()));
    };
    let len = usize::from(u16::from_be_bytes([hi, lo]));
    if payload.len() != len {
        return Err(wrong_len(len, payload.len()));
    }
    Ok((id, payload))
}

#[cold]
fn short(offset: usize, needed: usize) -> HandError {
    HandError::UnexpectedEnd { offset, needed }
}

#[cold]
fn wrong_len(declared: usize, have: usize) -> HandError {
    if have < declared {
        short(3 + have, declared - have)
    } else {
        HandError::TrailingBytes {
            offset: 3 + declared,
            count: have - declared,
        }
    }
}

#[cold]
fn unknown<S, M>() -> FrameFailure<S, M> {
    FrameFailure::Frame(HandError::Invalid("unknown id"))
}

/// The derive's protocol enum: [`Frame`] / [`FrameRef`] through
/// `Encode`/`Decode` (whole frames).
#[derive(Debug, Clone, Copy)]
pub struct ProtoDerive;

impl PeerInfo for ProtoDerive {
    const NAME: &'static str = Derive::NAME;
    const WIRE_COMPATIBLE: bool = true;
    const BORROWING: Borrowing = Borrowing::Supported;
    const NOTES: &'static str = "this crate: #[derive(Protocol)], Frame::from_bytes";
}

impl Peer<Frame> for ProtoDerive {
    type Owned = Frame;
    type Borrowed<'a> = FrameRef<'a>;
    type EncodeError = codec::EncodeError;
    type DecodeError = codec::DecodeError;

    fn owned(m: &Frame) -> Frame {
        m.clone()
    }
    fn model(o: &Frame) -> Frame {
        o.clone()
    }
    #[inline(always)]
    fn encode(o: &Frame, buf: &mut Vec<u8>) -> Result<(), codec::EncodeError> {
        o.encode(buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<Frame, codec::DecodeError> {
        Frame::from_bytes(input)
    }
    #[inline(always)]
    fn decode_borrowed(input: &[u8]) -> Result<FrameRef<'_>, codec::DecodeError> {
        FrameRef::from_bytes(input)
    }
    fn borrowed_model(b: &FrameRef<'_>) -> Frame {
        match b {
            FrameRef::StoreRequest(s) => {
                Frame::StoreRequest(<Derive as Peer<StoreRequest>>::borrowed_model(s))
            }
            FrameRef::ManyFields(m) => Frame::ManyFields(super::mixed_from_ref(m)),
        }
    }
    fn data_ptr(o: &Frame) -> Option<*const u8> {
        match o {
            Frame::StoreRequest(s) => Some(s.data.as_ptr()),
            Frame::ManyFields(_) => None,
        }
    }
}

/// Contender `P`'s struct codecs inside a hand-written frame match.
#[derive(Debug, Clone, Copy)]
pub struct Framed<P>(PhantomData<P>);

impl<P: PeerInfo> PeerInfo for Framed<P> {
    const NAME: &'static str = P::NAME;
    const WIRE_COMPATIBLE: bool = P::WIRE_COMPATIBLE;
    const BORROWING: Borrowing = P::BORROWING;
    const NOTES: &'static str = P::NOTES;
}

type EncodeFail<P> =
    FrameFailure<<P as Peer<StoreRequest>>::EncodeError, <P as Peer<Mixed>>::EncodeError>;
type DecodeFail<P> =
    FrameFailure<<P as Peer<StoreRequest>>::DecodeError, <P as Peer<Mixed>>::DecodeError>;

/// Encode: the header with a zero length, the payload, the length patched
/// in (a payload over `u16` is an error; `buf` is left as it was on error).
#[inline(always)]
fn encode_framed<E>(
    id: u8,
    buf: &mut Vec<u8>,
    payload: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<HandError>,
{
    let start = buf.len();
    buf.extend_from_slice(&[id, 0, 0]);
    if let Err(e) = payload(buf) {
        buf.truncate(start);
        return Err(e);
    }
    let len = buf.len() - start - 3;
    let Ok(len) = u16::try_from(len) else {
        buf.truncate(start);
        return Err(HandError::LengthOverflow {
            field: "frame",
            len,
        }
        .into());
    };
    buf[start + 1..start + 3].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

impl<S, M> From<HandError> for FrameFailure<S, M> {
    #[cold]
    fn from(e: HandError) -> Self {
        FrameFailure::Frame(e)
    }
}

impl<P> Peer<Frame> for Framed<P>
where
    P: Peer<StoreRequest> + Peer<Mixed>,
{
    type Owned = Either<<P as Peer<StoreRequest>>::Owned, <P as Peer<Mixed>>::Owned>;
    type Borrowed<'a> =
        Either<<P as Peer<StoreRequest>>::Borrowed<'a>, <P as Peer<Mixed>>::Borrowed<'a>>;
    type EncodeError = EncodeFail<P>;
    type DecodeError = DecodeFail<P>;

    fn owned(m: &Frame) -> Self::Owned {
        match m {
            Frame::StoreRequest(s) => Either::Store(<P as Peer<StoreRequest>>::owned(s)),
            Frame::ManyFields(m) => Either::Many(<P as Peer<Mixed>>::owned(m)),
        }
    }
    fn model(o: &Self::Owned) -> Frame {
        match o {
            Either::Store(s) => Frame::StoreRequest(<P as Peer<StoreRequest>>::model(s)),
            Either::Many(m) => Frame::ManyFields(<P as Peer<Mixed>>::model(m)),
        }
    }
    #[inline(always)]
    fn encode(o: &Self::Owned, buf: &mut Vec<u8>) -> Result<(), Self::EncodeError> {
        match o {
            Either::Store(s) => encode_framed(0x01, buf, |b| {
                <P as Peer<StoreRequest>>::encode(s, b).map_err(FrameFailure::Store)
            }),
            Either::Many(m) => encode_framed(0x02, buf, |b| {
                <P as Peer<Mixed>>::encode(m, b).map_err(FrameFailure::Many)
            }),
        }
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<Self::Owned, Self::DecodeError> {
        let (id, payload) = split_std(input)?;
        match id {
            0x01 => <P as Peer<StoreRequest>>::decode(payload)
                .map(Either::Store)
                .map_err(FrameFailure::Store),
            0x02 => <P as Peer<Mixed>>::decode(payload)
                .map(Either::Many)
                .map_err(FrameFailure::Many),
            _ => Err(unknown()),
        }
    }
    #[inline(always)]
    fn decode_borrowed(input: &[u8]) -> Result<Self::Borrowed<'_>, Self::DecodeError> {
        let (id, payload) = split_std(input)?;
        match id {
            0x01 => <P as Peer<StoreRequest>>::decode_borrowed(payload)
                .map(Either::Store)
                .map_err(FrameFailure::Store),
            0x02 => <P as Peer<Mixed>>::decode_borrowed(payload)
                .map(Either::Many)
                .map_err(FrameFailure::Many),
            _ => Err(unknown()),
        }
    }
    fn borrowed_model(b: &Self::Borrowed<'_>) -> Frame {
        match b {
            Either::Store(s) => Frame::StoreRequest(<P as Peer<StoreRequest>>::borrowed_model(s)),
            Either::Many(m) => Frame::ManyFields(<P as Peer<Mixed>>::borrowed_model(m)),
        }
    }
    fn data_ptr(o: &Self::Owned) -> Option<*const u8> {
        match o {
            Either::Store(s) => <P as Peer<StoreRequest>>::data_ptr(s),
            Either::Many(_) => None,
        }
    }
}

/// [`check`](super::check) of the derive's protocol and of every wrapped
/// contender on `frame`, plus the hostile frames the hand-written match and
/// the derive must both refuse: an unknown id, a header length one short
/// and one long.
///
/// # Panics
///
/// If any of that fails.
pub fn check_frame(frame: &Frame) {
    use super::{bin_proto, binrw, deku, speedy, Hand};
    super::check::<ProtoDerive, _>(frame);
    super::check::<Framed<Hand>, _>(frame);
    super::check::<Framed<speedy::Speedy>, _>(frame);
    super::check::<Framed<binrw::Binrw>, _>(frame);
    super::check::<Framed<deku::Deku>, _>(frame);
    super::check::<Framed<bin_proto::BinProto>, _>(frame);
    let good = frame.to_bytes().expect("the derive encodes");
    let mut unknown = good.clone();
    unknown[0] = 0x03;
    let len = u16::from_be_bytes([good[1], good[2]]);
    let (mut shorter, mut longer) = (good.clone(), good.clone());
    shorter[1..3].copy_from_slice(&(len - 1).to_be_bytes());
    longer[1..3].copy_from_slice(&(len + 1).to_be_bytes());
    longer.push(0);
    for bad in [unknown, shorter, longer] {
        assert!(Frame::from_bytes(&bad).is_err(), "derive: {bad:02x?}");
        assert!(FrameRef::from_bytes(&bad).is_err(), "derive: {bad:02x?}");
        assert!(
            <Framed<Hand> as Peer<Frame>>::decode(&bad).is_err(),
            "hand: {bad:02x?}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{mixed, store_large, store_small};

    #[test]
    fn every_contender_frames_like_the_derive() {
        check_frame(&Frame::StoreRequest(store_small()));
        check_frame(&Frame::StoreRequest(store_large()));
        check_frame(&Frame::ManyFields(mixed()));
        let small = Frame::StoreRequest(store_small()).to_bytes().unwrap();
        assert_eq!(small.len(), 47);
        assert_eq!(small[..3], [0x01, 0x00, 44]);
        let many = Frame::ManyFields(mixed()).to_bytes().unwrap();
        assert_eq!(many.len(), 3 + 69);
        assert_eq!(many[..3], [0x02, 0x00, 69]);
    }
}
