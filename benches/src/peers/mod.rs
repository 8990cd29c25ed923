//! The derive against the crates people would pick instead, on the
//! `wire` benchmark's messages: the `peers` benchmark's codecs.
//!
//! Every contender implements [`Peer`] for [`StoreRequest`] and [`Mixed`]:
//! its own annotated copy of the message, conversions to and from ours, an
//! encode that appends to the caller's `Vec` (the benchmark's placed,
//! reused buffer), an owned decode and, where the crate can, a decode that
//! borrows strings and bytes from the input.
//!
//! | contender | wire format | borrowed decode |
//! | --- | --- | --- |
//! | [`Derive`] | ours | `&str`, `&[u8]` |
//! | [`Hand`] | ours (byteorder) | `&str`, `&[u8]` |
//! | [`speedy::Speedy`] | ours (`length_type`, big-endian context) | `Cow` |
//! | [`binrw::Binrw`] | ours (`temp` lengths, `count`) | no: reads `io::Read + Seek` |
//! | [`deku::Deku`] | ours (`temp` lengths, `count`) | no: reads `io::Read + Seek` |
//! | [`bin_proto::BinProto`] | ours (`tag_type`/`tag_value`) | no: reads a bit stream |
//! | [`scroll::Scroll`] | ours (derive + length-prefixed field types) | `&str`, `&[u8]` |
//! | [`bincode::Bincode`] | bincode 2 `standard()`: LEB128-ish varints, little-endian | `&str`, `&[u8]` |
//! | [`postcard::Postcard`] | postcard: LEB128 varints, little-endian | `&str`, `&[u8]` |
//!
//! Wire-compatible contenders are checked byte for byte against the derive
//! ([`check_store`], [`check_mixed`], run before the benchmark measures
//! anything and in the unit tests); the others are checked by round trip.
//!
//! Validation, so that equal work is compared: every contender bounds-checks
//! its reads, checks UTF-8 and rejects trailing bytes (where a crate does not
//! report consumed bytes itself, its wrapper compares the count it returns
//! with the input length), and refuses on encode a name or value whose
//! length does not fit its prefix (where the crate's length expression
//! cannot fail, its wrapper checks first). Where a crate has no check, the
//! [`PeerInfo::NOTES`] say so: speedy and bin-proto read any non-zero byte
//! as `true`.
#![allow(
    clippy::missing_errors_doc,
    reason = "every error here is the crate's own decode or encode error"
)]

use core::fmt::Debug;

use codec::{Decode, Encode};

use crate::{hand, HandError, Mixed, MixedRef, StoreRequest, StoreRequestRef};

/// Builds a mixed message of type `$T` from another with the same field
/// names, converting the two strings with `$str` and the two bools with
/// `$bool` (closures written `|x| expr`).
macro_rules! copy_mixed {
    ($T:path, $m:expr, |$s:ident| $str:expr, |$b:ident| $bool:expr) => {{
        let m = $m;
        $T {
            id: m.id,
            seq: m.seq,
            kind: m.kind,
            flags: m.flags,
            temp: m.temp,
            delta: m.delta,
            offset: m.offset,
            ratio: m.ratio,
            value: m.value,
            small: m.small,
            active: {
                let $b = &m.active;
                $bool
            },
            urgent: {
                let $b = &m.urgent;
                $bool
            },
            label: {
                let $s = &m.label;
                $str
            },
            note: {
                let $s = &m.note;
                $str
            },
        }
    }};
}

pub mod bin_proto;
pub mod bincode;
pub mod binrw;
pub mod deku;
pub mod frames;
pub mod postcard;
pub mod rows;
pub mod run;
pub mod scroll;
pub mod speedy;
pub mod streams;

/// Whether a contender can decode without copying strings and bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Borrowing {
    /// It can: [`Peer::decode_borrowed`] works.
    Supported,
    /// It cannot, for this reason (shown in the table).
    Unsupported(&'static str),
}

/// What a contender is, for tables and checks.
pub trait PeerInfo {
    /// The benchmark id: `derive`, `hand`, `speedy`, ...
    const NAME: &'static str;
    /// Whether it writes exactly our wire format.
    const WIRE_COMPATIBLE: bool;
    /// Borrowed decoding support.
    const BORROWING: Borrowing;
    /// What differs in how it is used or what it checks.
    const NOTES: &'static str;
}

/// One contender's codec for the message `M` (ours: [`StoreRequest`] or
/// [`Mixed`]).
pub trait Peer<M>: PeerInfo {
    /// The crate's own type for the message.
    type Owned: Debug + 'static;
    /// The crate's borrowing type (`()` where borrowing is unsupported).
    type Borrowed<'a>: Debug;
    /// The crate's encode error.
    type EncodeError: Debug;
    /// The crate's decode error.
    type DecodeError: Debug;

    /// The crate's value for `m`.
    fn owned(m: &M) -> Self::Owned;
    /// Our value for the crate's.
    fn model(o: &Self::Owned) -> M;
    /// Appends the encoding of `o` to `buf`.
    fn encode(o: &Self::Owned, buf: &mut Vec<u8>) -> Result<(), Self::EncodeError>;
    /// Decodes a value that takes all of `input`, copying strings and bytes.
    fn decode(input: &[u8]) -> Result<Self::Owned, Self::DecodeError>;
    /// Decodes a value that takes all of `input`, borrowing from it.
    ///
    /// # Panics
    ///
    /// Where [`PeerInfo::BORROWING`] is unsupported.
    fn decode_borrowed(input: &[u8]) -> Result<Self::Borrowed<'_>, Self::DecodeError> {
        let _ = input;
        unreachable!(
            "{} cannot decode borrowing: only called where BORROWING is true",
            Self::NAME
        )
    }
    /// Our value for the crate's borrowing one.
    ///
    /// # Panics
    ///
    /// Where [`PeerInfo::BORROWING`] is unsupported.
    fn borrowed_model(b: &Self::Borrowed<'_>) -> M {
        let _ = b;
        unreachable!(
            "{} cannot decode borrowing: only called where BORROWING is true",
            Self::NAME
        )
    }
    /// Where the value's big field (the store request's data) lives: the
    /// source of an encode's big copy and the destination of a decode's,
    /// for the benchmark's placement; `None` for messages without one.
    fn data_ptr(o: &Self::Owned) -> Option<*const u8> {
        let _ = o;
        None
    }
}

/// A decode error, or bytes left over after a whole value (for crates
/// whose decode does not check that itself).
#[derive(Debug)]
pub enum Whole<E> {
    /// The crate's error.
    Crate(E),
    /// `count` bytes were left after the value.
    Trailing {
        /// How many.
        count: usize,
    },
}

impl<E> From<E> for Whole<E> {
    #[cold]
    fn from(e: E) -> Self {
        Whole::Crate(e)
    }
}

/// Checks that `consumed` is all of an input of `len` bytes.
#[inline(always)]
fn whole<E>(consumed: usize, len: usize) -> Result<(), Whole<E>> {
    if consumed == len {
        Ok(())
    } else {
        Err(Whole::Trailing {
            count: len.wrapping_sub(consumed),
        })
    }
}

/// A length that does not fit its prefix, found by a wrapper before a crate
/// that would truncate it silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong {
    /// The field.
    pub field: &'static str,
    /// Its length.
    pub len: usize,
}

/// The contenders' names, in table order.
pub const NAMES: [&str; 9] = [
    Derive::NAME,
    Hand::NAME,
    speedy::Speedy::NAME,
    binrw::Binrw::NAME,
    deku::Deku::NAME,
    bin_proto::BinProto::NAME,
    scroll::Scroll::NAME,
    bincode::Bincode::NAME,
    postcard::Postcard::NAME,
];

/// One line per contender: name, wire compatibility, borrowing, notes.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// [`PeerInfo::NAME`].
    pub name: &'static str,
    /// [`PeerInfo::WIRE_COMPATIBLE`].
    pub wire_compatible: bool,
    /// [`PeerInfo::BORROWING`].
    pub borrowing: Borrowing,
    /// [`PeerInfo::NOTES`].
    pub notes: &'static str,
}

fn summary<P: PeerInfo>() -> Summary {
    Summary {
        name: P::NAME,
        wire_compatible: P::WIRE_COMPATIBLE,
        borrowing: P::BORROWING,
        notes: P::NOTES,
    }
}

/// Every contender's [`Summary`], in table order.
pub fn summaries() -> [Summary; 9] {
    [
        summary::<Derive>(),
        summary::<Hand>(),
        summary::<speedy::Speedy>(),
        summary::<binrw::Binrw>(),
        summary::<deku::Deku>(),
        summary::<bin_proto::BinProto>(),
        summary::<scroll::Scroll>(),
        summary::<bincode::Bincode>(),
        summary::<postcard::Postcard>(),
    ]
}

/// `#[derive(Encode, Decode)]`: the contender under test.
#[derive(Debug, Clone, Copy)]
pub struct Derive;

impl PeerInfo for Derive {
    const NAME: &'static str = "derive";
    const WIRE_COMPATIBLE: bool = true;
    const BORROWING: Borrowing = Borrowing::Supported;
    const NOTES: &'static str = "this crate";
}

impl Peer<StoreRequest> for Derive {
    type Owned = StoreRequest;
    type Borrowed<'a> = StoreRequestRef<'a>;
    type EncodeError = codec::EncodeError;
    type DecodeError = codec::DecodeError;

    fn owned(m: &StoreRequest) -> StoreRequest {
        m.clone()
    }
    fn model(o: &StoreRequest) -> StoreRequest {
        o.clone()
    }
    #[inline(always)]
    fn encode(o: &StoreRequest, buf: &mut Vec<u8>) -> Result<(), codec::EncodeError> {
        o.encode(buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<StoreRequest, codec::DecodeError> {
        StoreRequest::from_bytes(input)
    }
    #[inline(always)]
    fn decode_borrowed(input: &[u8]) -> Result<StoreRequestRef<'_>, codec::DecodeError> {
        StoreRequestRef::from_bytes(input)
    }
    fn borrowed_model(b: &StoreRequestRef<'_>) -> StoreRequest {
        StoreRequest {
            trans: b.trans,
            name: b.name.to_owned(),
            data: b.data.to_vec(),
        }
    }
    fn data_ptr(o: &StoreRequest) -> Option<*const u8> {
        Some(o.data.as_ptr())
    }
}

impl Peer<Mixed> for Derive {
    type Owned = Mixed;
    type Borrowed<'a> = MixedRef<'a>;
    type EncodeError = codec::EncodeError;
    type DecodeError = codec::DecodeError;

    fn owned(m: &Mixed) -> Mixed {
        m.clone()
    }
    fn model(o: &Mixed) -> Mixed {
        o.clone()
    }
    #[inline(always)]
    fn encode(o: &Mixed, buf: &mut Vec<u8>) -> Result<(), codec::EncodeError> {
        o.encode(buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<Mixed, codec::DecodeError> {
        Mixed::from_bytes(input)
    }
    #[inline(always)]
    fn decode_borrowed(input: &[u8]) -> Result<MixedRef<'_>, codec::DecodeError> {
        MixedRef::from_bytes(input)
    }
    fn borrowed_model(b: &MixedRef<'_>) -> Mixed {
        mixed_from_ref(b)
    }
}

/// The hand-written `byteorder` codecs of [`crate::hand`]: the baseline.
#[derive(Debug, Clone, Copy)]
pub struct Hand;

impl PeerInfo for Hand {
    const NAME: &'static str = "hand";
    const WIRE_COMPATIBLE: bool = true;
    const BORROWING: Borrowing = Borrowing::Supported;
    const NOTES: &'static str = "the baseline: byteorder, written by hand";
}

impl Peer<StoreRequest> for Hand {
    type Owned = StoreRequest;
    type Borrowed<'a> = StoreRequestRef<'a>;
    type EncodeError = HandError;
    type DecodeError = HandError;

    fn owned(m: &StoreRequest) -> StoreRequest {
        m.clone()
    }
    fn model(o: &StoreRequest) -> StoreRequest {
        o.clone()
    }
    #[inline(always)]
    fn encode(o: &StoreRequest, buf: &mut Vec<u8>) -> Result<(), HandError> {
        hand::encode_store_owned(o, buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<StoreRequest, HandError> {
        hand::decode_store(input)
    }
    #[inline(always)]
    fn decode_borrowed(input: &[u8]) -> Result<StoreRequestRef<'_>, HandError> {
        hand::decode_store_ref(input)
    }
    fn borrowed_model(b: &StoreRequestRef<'_>) -> StoreRequest {
        <Derive as Peer<StoreRequest>>::borrowed_model(b)
    }
    fn data_ptr(o: &StoreRequest) -> Option<*const u8> {
        Some(o.data.as_ptr())
    }
}

impl Peer<Mixed> for Hand {
    type Owned = Mixed;
    type Borrowed<'a> = MixedRef<'a>;
    type EncodeError = HandError;
    type DecodeError = HandError;

    fn owned(m: &Mixed) -> Mixed {
        m.clone()
    }
    fn model(o: &Mixed) -> Mixed {
        o.clone()
    }
    #[inline(always)]
    fn encode(o: &Mixed, buf: &mut Vec<u8>) -> Result<(), HandError> {
        hand::encode_mixed_owned(o, buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<Mixed, HandError> {
        hand::decode_mixed(input)
    }
    #[inline(always)]
    fn decode_borrowed(input: &[u8]) -> Result<MixedRef<'_>, HandError> {
        hand::decode_mixed_ref(input)
    }
    fn borrowed_model(b: &MixedRef<'_>) -> Mixed {
        mixed_from_ref(b)
    }
}

/// An owned [`Mixed`] from a view.
pub fn mixed_from_ref(b: &MixedRef<'_>) -> Mixed {
    Mixed {
        id: b.id,
        seq: b.seq,
        kind: b.kind,
        flags: b.flags,
        temp: b.temp,
        delta: b.delta,
        offset: b.offset,
        ratio: b.ratio,
        value: b.value,
        small: b.small,
        active: b.active,
        urgent: b.urgent,
        label: b.label.to_owned(),
        note: b.note.to_owned(),
    }
}

/// Checks one contender on one message: its encoding round-trips through
/// its decoders (owned and, where supported, borrowed) back to `m`, and a
/// wire-compatible contender writes exactly the derive's bytes and reads
/// them. Returns the contender's encoding.
///
/// # Panics
///
/// If any of that fails.
pub fn check<P, M>(m: &M) -> Vec<u8>
where
    P: Peer<M>,
    M: Encode + PartialEq + Debug,
{
    let owned = P::owned(m);
    assert_eq!(&P::model(&owned), m, "{}: conversion", P::NAME);
    let mut bytes = vec![0xEE; 3];
    P::encode(&owned, &mut bytes).unwrap_or_else(|e| panic!("{}: encode: {e:?}", P::NAME));
    assert_eq!(bytes[..3], [0xEE; 3], "{}: encode appends", P::NAME);
    let bytes = bytes.split_off(3);
    if P::WIRE_COMPATIBLE {
        let ours = m.to_bytes().expect("the derive encodes");
        assert_eq!(bytes, ours, "{}: not byte-equal to the derive", P::NAME);
    }
    let back = P::decode(&bytes).unwrap_or_else(|e| panic!("{}: decode: {e:?}", P::NAME));
    assert_eq!(&P::model(&back), m, "{}: owned round trip", P::NAME);
    if P::BORROWING == Borrowing::Supported {
        let view = P::decode_borrowed(&bytes)
            .unwrap_or_else(|e| panic!("{}: borrowed decode: {e:?}", P::NAME));
        assert_eq!(
            &P::borrowed_model(&view),
            m,
            "{}: borrowed round trip",
            P::NAME
        );
    }
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(
        P::decode(&trailing).is_err(),
        "{}: accepts trailing bytes",
        P::NAME
    );
    // Every strict prefix of a short encoding; of a long one, the first and
    // last 64 and every 509th (all of them would be quadratic).
    let len = bytes.len();
    let prefixes = (0..len).filter(|&n| n < 64 || len - n <= 64 || n % 509 == 0);
    for n in prefixes {
        assert!(
            P::decode(&bytes[..n]).is_err(),
            "{}: accepts a {n}-byte prefix",
            P::NAME
        );
    }
    bytes
}

/// [`check`] for every contender on a store request.
///
/// # Panics
///
/// If any contender fails.
pub fn check_store(m: &StoreRequest) {
    check::<Derive, _>(m);
    check::<Hand, _>(m);
    check::<speedy::Speedy, _>(m);
    check::<binrw::Binrw, _>(m);
    check::<deku::Deku, _>(m);
    check::<bin_proto::BinProto, _>(m);
    check::<scroll::Scroll, _>(m);
    check::<bincode::Bincode, _>(m);
    check::<postcard::Postcard, _>(m);
}

/// [`check`] for every contender on a [`Mixed`] message.
///
/// # Panics
///
/// If any contender fails.
pub fn check_mixed(m: &Mixed) {
    check::<Derive, _>(m);
    check::<Hand, _>(m);
    check::<speedy::Speedy, _>(m);
    check::<binrw::Binrw, _>(m);
    check::<deku::Deku, _>(m);
    check::<bin_proto::BinProto, _>(m);
    check::<scroll::Scroll, _>(m);
    check::<bincode::Bincode, _>(m);
    check::<postcard::Postcard, _>(m);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{mixed, store_large, store_request, store_small};

    #[test]
    fn every_peer_agrees_on_the_benchmark_messages() {
        check_store(&store_small());
        check_store(&store_large());
        check_store(&store_request(0, 0));
        check_store(&store_request(255, 65535));
        check_mixed(&mixed());
    }

    /// The wire-compatible contenders accept exactly the derive's golden
    /// bytes from the README.
    #[test]
    fn golden_store_request() {
        let golden = b"\x07\x03key\x00\x05hello";
        let m = StoreRequest::from_bytes(golden).unwrap();
        assert_eq!(check::<speedy::Speedy, _>(&m), golden);
        assert_eq!(check::<binrw::Binrw, _>(&m), golden);
        assert_eq!(check::<deku::Deku, _>(&m), golden);
        assert_eq!(check::<bin_proto::BinProto, _>(&m), golden);
        assert_eq!(check::<scroll::Scroll, _>(&m), golden);
    }

    fn refuses_oversize<P: Peer<StoreRequest>>() {
        for m in [store_request(256, 1), store_request(1, 65536)] {
            let mut buf = Vec::new();
            assert!(
                P::encode(&P::owned(&m), &mut buf).is_err(),
                "{} encodes a length its prefix cannot hold",
                P::NAME
            );
        }
    }

    /// Every wire-compatible contender refuses a name over 255 bytes and a
    /// value over 65535 (the crate, or its wrapper, checks).
    #[test]
    fn wire_compatible_peers_refuse_oversize_lengths() {
        refuses_oversize::<Derive>();
        refuses_oversize::<Hand>();
        refuses_oversize::<speedy::Speedy>();
        refuses_oversize::<binrw::Binrw>();
        refuses_oversize::<deku::Deku>();
        refuses_oversize::<bin_proto::BinProto>();
        refuses_oversize::<scroll::Scroll>();
    }

    fn rejects_bad_utf8<P: Peer<StoreRequest>>() {
        let mut bytes = b"\x07\x03k\xffy\x00\x01!".to_vec();
        assert!(P::decode(&bytes).is_err(), "{} accepts bad UTF-8", P::NAME);
        bytes[3] = b'e';
        assert!(P::decode(&bytes).is_ok(), "{}", P::NAME);
    }

    #[test]
    fn wire_compatible_peers_check_utf8() {
        rejects_bad_utf8::<Derive>();
        rejects_bad_utf8::<Hand>();
        rejects_bad_utf8::<speedy::Speedy>();
        rejects_bad_utf8::<binrw::Binrw>();
        rejects_bad_utf8::<deku::Deku>();
        rejects_bad_utf8::<bin_proto::BinProto>();
        rejects_bad_utf8::<scroll::Scroll>();
    }

    /// Which contenders reject a bool byte of 2: recorded in their notes.
    fn bool_two<P: Peer<Mixed>>() -> bool {
        let mut bytes = mixed().to_bytes().unwrap();
        bytes[42] = 2; // `active`
        P::decode(&bytes).is_err()
    }

    #[test]
    fn bool_validation_is_as_documented() {
        assert!(bool_two::<Derive>());
        assert!(bool_two::<Hand>());
        assert!(bool_two::<binrw::Binrw>());
        assert!(bool_two::<deku::Deku>());
        assert!(bool_two::<scroll::Scroll>());
        // No check in these crates: any non-zero byte is `true`.
        assert!(!bool_two::<speedy::Speedy>());
        assert!(!bool_two::<bin_proto::BinProto>());
    }

    #[test]
    fn names_are_unique() {
        let mut names = NAMES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), NAMES.len());
        assert_eq!(summaries().map(|s| s.name), NAMES);
    }
}
