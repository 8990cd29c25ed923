//! Differential checks of the stream decoders: the sans-IO
//! [`FrameDecoder`] fed a stream whole and in arbitrary splits, and the
//! tokio [`ProtocolCodec`] fed the same splits, must report the same
//! frames, the same errors in the same places, and the same verdict at the
//! end of the stream.
//!
//! A fuzz input is read as a [`Plan`]:
//!
//! ```text
//! mode | limit | nsplits | split sizes (nsplits % 16 bytes) | stream
//! mode bit 2: limit payloads to `limit * 4` bytes (else the default)
//! mode bit 3: take frames only after every other push
//! other mode bits: the target's own choices
//! ```
//!
//! Split sizes are used in turn, cyclically; a size of 0 is an empty push.
//! No sizes, or only zeros, means byte by byte.

use std::fmt::Debug;

use bytes::BytesMut;
use codec::frame::{FrameDecoder, FrameError};
use codec::header::{Header, Parsed};
use codec::tokio::ProtocolCodec;
use codec::{DecodeProtocol, Protocol};
use tokio_util::codec::Decoder;

/// One observable outcome of taking from a decoder.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A raw frame: its id and all its bytes.
    Frame { id: u64, bytes: Vec<u8> },
    /// A decoded message, by `Debug`.
    Message(String),
    /// An error, by `Display`.
    Error(String),
}

/// How to feed a stream.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    /// The target's own mode bits.
    pub mode: u8,
    /// A payload limit, if any.
    pub limit: Option<usize>,
    /// Take frames only after every other push.
    pub lazy: bool,
    /// Chunk sizes, used cyclically.
    pub splits: &'a [u8],
    /// The stream.
    pub stream: &'a [u8],
}

impl<'a> Plan<'a> {
    /// Reads a plan from a fuzz input.
    pub fn parse(input: &'a [u8]) -> Option<Self> {
        let [mode, limit, nsplits, rest @ ..] = input else {
            return None;
        };
        let nsplits = (*nsplits as usize % 16).min(rest.len());
        let (splits, stream) = rest.split_at(nsplits);
        Some(Plan {
            mode: *mode,
            limit: (mode & 4 != 0).then_some(*limit as usize * 4),
            lazy: mode & 8 != 0,
            splits,
            stream,
        })
    }

    /// The chunks the stream is pushed in (some may be empty).
    pub fn chunks(&self) -> Vec<&'a [u8]> {
        let stuck = self.splits.iter().all(|&s| s == 0);
        let mut out = Vec::new();
        let mut at = 0;
        let mut n = 0;
        while at < self.stream.len() {
            let size = if stuck {
                1
            } else {
                self.splits[n % self.splits.len()] as usize
            };
            let size = size.min(self.stream.len() - at);
            out.push(&self.stream[at..at + size]);
            at += size;
            n += 1;
        }
        out
    }

    /// Whether to take frames after push number `n` (0-based) of `total`.
    fn take_after(&self, n: usize, total: usize) -> bool {
        !self.lazy || n % 2 == 1 || n + 1 == total
    }

    /// A frame decoder with the plan's payload limit, if any.
    pub fn decoder<H: Header>(&self) -> FrameDecoder<H> {
        match self.limit {
            Some(max) => FrameDecoder::new().with_max_frame_len(max),
            None => FrameDecoder::new(),
        }
    }
}

/// Takes everything `d` has now with `take`. Returns false once it hit an
/// error that sticks (nothing was consumed): the stream is dead.
fn drain<H, F>(d: &mut FrameDecoder<H>, take: &mut F, out: &mut Vec<Event>) -> bool
where
    H: Header,
    F: FnMut(&mut FrameDecoder<H>) -> Result<Option<Event>, FrameError>,
{
    loop {
        let before = d.buffered();
        match take(d) {
            Ok(Some(ev)) => {
                assert!(d.buffered() < before, "a frame consumed nothing");
                out.push(ev);
            }
            Ok(None) => {
                assert!(d.needed() > 0, "no frame, yet nothing needed");
                return true;
            }
            Err(e) => {
                out.push(Event::Error(e.to_string()));
                if d.buffered() == before {
                    // Nothing consumed: a header error, which sticks.
                    assert_eq!(d.needed(), 0, "a dead stream still needs bytes");
                    let again = d.next_frame().map(|f| f.is_some());
                    assert!(again.is_err(), "a header error did not stick");
                    return false;
                }
            }
        }
    }
}

/// What a `FrameDecoder` reports for `plan`, fed whole (`split = false`)
/// or in the plan's chunks: the events, then the `finish` verdict.
pub fn feed<H, F>(plan: &Plan<'_>, split: bool, mut take: F) -> (Vec<Event>, String)
where
    H: Header,
    F: FnMut(&mut FrameDecoder<H>) -> Result<Option<Event>, FrameError>,
{
    let mut d = plan.decoder::<H>();
    let mut events = Vec::new();
    let chunks = if split {
        plan.chunks()
    } else {
        vec![plan.stream]
    };
    let mut alive = true;
    for (n, chunk) in chunks.iter().enumerate() {
        d.push(chunk);
        if plan.take_after(n, chunks.len()) {
            alive = drain(&mut d, &mut take, &mut events);
            if !alive {
                break;
            }
        }
    }
    if alive {
        drain(&mut d, &mut take, &mut events);
    }
    let end = format!("{:?}", d.finish().map_err(|e| e.to_string()));
    (events, end)
}

/// The raw frames of `plan`'s stream: split feeding must match whole.
pub fn check_frames<H: Header>(plan: &Plan<'_>) {
    let take = |d: &mut FrameDecoder<H>| {
        d.next_frame().map(|f| {
            f.map(|f| {
                assert_eq!(f.bytes().len(), f.header().len() + f.payload().len());
                assert_eq!(f.header().len(), f.head().header_len);
                Event::Frame {
                    id: f.id(),
                    bytes: f.bytes().to_vec(),
                }
            })
        })
    };
    let whole = feed::<H, _>(plan, false, take);
    let split = feed::<H, _>(plan, true, take);
    assert_eq!(
        split, whole,
        "frames differ between split and whole feeding"
    );
}

/// What `ProtocolCodec<P>` reports for `plan`'s chunks: the events, then
/// the `decode_eof` verdict.
pub fn feed_codec<P>(plan: &Plan<'_>) -> (Vec<Event>, String)
where
    P: Protocol + for<'a> DecodeProtocol<'a> + Debug,
{
    let mut codec = match plan.limit {
        Some(max) => ProtocolCodec::<P>::new().with_max_frame_len(max),
        None => ProtocolCodec::<P>::new(),
    };
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    let chunks = plan.chunks();
    let mut dead = false;
    'feed: for (n, chunk) in chunks.iter().enumerate() {
        buf.extend_from_slice(chunk);
        if !plan.take_after(n, chunks.len()) {
            continue;
        }
        loop {
            let before = buf.len();
            match codec.decode(&mut buf) {
                Ok(Some(m)) => events.push(Event::Message(format!("{m:?}"))),
                Ok(None) => break,
                Err(e) => {
                    events.push(Event::Error(e.to_string()));
                    if buf.len() == before {
                        dead = true;
                        break 'feed;
                    }
                }
            }
        }
    }
    let end = loop {
        let before = buf.len();
        match codec.decode_eof(&mut buf) {
            Ok(Some(m)) => {
                assert!(!dead);
                events.push(Event::Message(format!("{m:?}")));
            }
            Ok(None) => break "Ok(())".to_owned(),
            Err(e) => {
                // A payload error consumes its frame; carry on after it.
                if !dead && !matches!(e, FrameError::Truncated { .. }) && buf.len() < before {
                    events.push(Event::Error(e.to_string()));
                    continue;
                }
                break format!("Err({:?})", e.to_string());
            }
        }
    };
    (events, end)
}

/// Decoded messages of `P` from `plan`'s stream: the frame decoder fed
/// whole, fed in splits, and the tokio codec fed in splits all agree.
pub fn check_messages<P>(plan: &Plan<'_>)
where
    P: Protocol + for<'a> DecodeProtocol<'a> + Debug,
{
    let take = |d: &mut FrameDecoder<P::Header>| {
        d.next_message::<P>()
            .map(|m| m.map(|m| Event::Message(format!("{m:?}"))))
    };
    let whole = feed::<P::Header, _>(plan, false, take);
    let split = feed::<P::Header, _>(plan, true, take);
    assert_eq!(
        split, whole,
        "messages differ between split and whole feeding"
    );
    let codec = feed_codec::<P>(plan);
    assert_eq!(codec, split, "ProtocolCodec and FrameDecoder disagree");
}

/// A header's `parse` on arbitrary bytes: a complete header takes at least
/// one byte and no more than given, and every strict prefix of it is
/// incomplete; writing the parsed id and length gives a header (no longer
/// than the one read) that parses the same.
pub fn check_header<H: Header>(bytes: &[u8]) {
    match H::parse(bytes) {
        Ok(Parsed::Incomplete { needed }) => assert!(needed > 0, "needs 0 more bytes"),
        Ok(Parsed::Complete(head)) => {
            assert!(head.header_len > 0 && head.header_len <= bytes.len());
            for cut in 0..head.header_len {
                assert!(
                    matches!(H::parse(&bytes[..cut]), Ok(Parsed::Incomplete { .. })),
                    "a strict prefix of {} header bytes is not incomplete",
                    head.header_len
                );
            }
            assert!(head.id <= H::MAX_ID);
            assert!(head.payload_len <= H::MAX_LEN);
            if let Ok(len) = usize::try_from(head.payload_len) {
                let mut out = Vec::new();
                H::write(head.id, len, &mut out).expect("a parsed header writes");
                assert_eq!(out.len(), H::encoded_len(head.id, len));
                assert!(out.len() <= head.header_len, "re-written header longer");
                assert_eq!(
                    H::parse(&out).ok(),
                    Some(Parsed::Complete(codec::FrameHead {
                        header_len: out.len(),
                        ..head
                    }))
                );
            }
        }
        Err(e) => crate::check_error(&e, bytes),
    }
}
