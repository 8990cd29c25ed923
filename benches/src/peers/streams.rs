//! The protocol rows' stream routines (issue 13): frames taken off a
//! stream and decoded into the protocol enum by the crate's transports,
//! against `tokio_util`'s `LengthDelimitedCodec` plus the hand-written
//! match of [`Framed<Hand>`] on the same frames.
//!
//! | routine | derive | hand |
//! | --- | --- | --- |
//! | `stream_sans_io` | `FrameDecoder::push` + `next_message` | `BytesMut::extend_from_slice` + `LengthDelimitedCodec::decode` + match |
//! | `stream_tokio` | `ProtocolCodec::decode` on a `BytesMut` | the same as `stream_sans_io` |
//! | `stream_blocking` | `BlockingFramed::recv` on an `io::Read` | `Read::read` into an 8 KiB chunk + `BytesMut` + `LengthDelimitedCodec` + match |
//!
//! A batch of `n` decodes `n` frames: the stream is refilled with up to
//! [`FRAMES`] copies of the row's frame at a time (the same bytes for both
//! sides), so the cost of moving bytes into the buffers is in the figures,
//! spread over the frames as a real stream would.

use std::hint::black_box;
use std::io::Read;

use bytes::BytesMut;
use codec::frame::FrameDecoder;
use codec::io::BlockingFramed;
use codec::tokio::ProtocolCodec;
use codec::{Encode, StdHeader};
use tokio_util::codec::{Decoder, LengthDelimitedCodec};

use super::frames::{Frame, Framed};
use super::run::{Batch, Prepared};
use super::{Hand, Peer};

/// The stream routines, in table order.
pub const STREAM_ROUTINES: [&str; 3] = ["stream_sans_io", "stream_tokio", "stream_blocking"];

/// Frames per refill of the stream.
pub const FRAMES: usize = 64;

/// `BlockingFramed`'s read size, used by the hand-written blocking reader.
const READ_CHUNK: usize = 8 * 1024;

/// Why only the derive and hand-written code have stream rows.
pub const NO_STREAM: &str =
    "stream rows: the crate's transports against LengthDelimitedCodec + the hand-written match";

/// `StdHeader` for `LengthDelimitedCodec`: a u8 id, then a u16 big-endian
/// payload length; the frame it yields keeps the header.
pub fn length_delimited() -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .length_field_offset(1)
        .length_field_length(2)
        .length_adjustment(3)
        .num_skip(0)
        .big_endian()
        .new_codec()
}

/// An `io::Read` over up to [`FRAMES`] frames, refilled in place.
struct Source {
    bytes: Vec<u8>,
    pos: usize,
    end: usize,
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.end - self.pos);
        buf[..n].copy_from_slice(&self.bytes[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Runs `refill_and_take(k)` (refill the stream with `k` frames, take
/// them) at most [`FRAMES`] frames at a time until `n` are done.
#[inline(always)]
fn frames_of(n: u64, mut refill_and_take: impl FnMut(usize)) {
    let mut left = n as usize;
    while left > 0 {
        let k = left.min(FRAMES);
        refill_and_take(k);
        left -= k;
    }
}

/// The batch of `routine` (one of [`STREAM_ROUTINES`]) on `frame` for
/// `name` (`derive` or `hand`).
///
/// # Panics
///
/// When a frame fails to decode while the batch runs.
pub fn prepare(routine: &str, frame: &Frame, name: &str) -> Prepared {
    let one = frame.to_bytes().expect("the derive encodes");
    let flen = one.len();
    let bytes = one.repeat(FRAMES);
    let batch: Batch = match (routine, name) {
        ("stream_sans_io", "derive") => {
            let mut d = FrameDecoder::<StdHeader>::new();
            Box::new(move |n| {
                frames_of(n, |k| {
                    d.push(black_box(&bytes[..k * flen]));
                    for _ in 0..k {
                        let m = d.next_message::<Frame>().expect("decodes");
                        black_box(m.expect("a whole frame"));
                    }
                });
            })
        }
        ("stream_tokio", "derive") => {
            let mut buf = BytesMut::new();
            let mut codec = ProtocolCodec::<Frame>::new();
            Box::new(move |n| {
                frames_of(n, |k| {
                    buf.extend_from_slice(black_box(&bytes[..k * flen]));
                    for _ in 0..k {
                        let m = codec.decode(&mut buf).expect("decodes");
                        black_box(m.expect("a whole frame"));
                    }
                });
            })
        }
        ("stream_blocking", "derive") => {
            let source = Source {
                bytes,
                pos: 0,
                end: 0,
            };
            let mut framed = BlockingFramed::<Source, Frame>::new(source);
            Box::new(move |n| {
                frames_of(n, |k| {
                    let s = framed.get_mut();
                    s.pos = 0;
                    s.end = k * flen;
                    for _ in 0..k {
                        let m = framed.recv().expect("decodes");
                        black_box(m.expect("a whole frame"));
                    }
                });
            })
        }
        ("stream_sans_io" | "stream_tokio", "hand") => {
            let mut buf = BytesMut::new();
            let mut ld = length_delimited();
            Box::new(move |n| {
                frames_of(n, |k| {
                    buf.extend_from_slice(black_box(&bytes[..k * flen]));
                    for _ in 0..k {
                        let f = ld
                            .decode(&mut buf)
                            .expect("a frame")
                            .expect("a whole frame");
                        black_box(<Framed<Hand> as Peer<Frame>>::decode(&f).expect("decodes"));
                    }
                });
            })
        }
        ("stream_blocking", "hand") => {
            let mut source = Source {
                bytes,
                pos: 0,
                end: 0,
            };
            let mut buf = BytesMut::new();
            let mut chunk = vec![0u8; READ_CHUNK];
            let mut ld = length_delimited();
            Box::new(move |n| {
                frames_of(n, |k| {
                    source.pos = 0;
                    source.end = k * flen;
                    for _ in 0..k {
                        let f = loop {
                            if let Some(f) = ld.decode(&mut buf).expect("a frame") {
                                break f;
                            }
                            let got = source.read(&mut chunk).expect("reads");
                            assert!(got > 0, "the stream ended inside a frame");
                            buf.extend_from_slice(&chunk[..got]);
                        };
                        black_box(<Framed<Hand> as Peer<Frame>>::decode(&f).expect("decodes"));
                    }
                });
            })
        }
        _ => return Prepared::Unsupported(NO_STREAM),
    };
    Prepared::Ready(batch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{mixed, store_large, store_small};

    /// Every stream batch decodes more frames than one refill holds (the
    /// batches check each frame decodes).
    #[test]
    fn stream_batches_run() {
        for frame in [
            Frame::StoreRequest(store_small()),
            Frame::StoreRequest(store_large()),
            Frame::ManyFields(mixed()),
        ] {
            for routine in STREAM_ROUTINES {
                for name in ["derive", "hand"] {
                    let Prepared::Ready(mut batch) = prepare(routine, &frame, name) else {
                        panic!("{routine} {name}");
                    };
                    batch(FRAMES as u64 * 2 + 3);
                }
                assert!(matches!(
                    prepare(routine, &frame, "speedy"),
                    Prepared::Unsupported(NO_STREAM)
                ));
            }
        }
    }
}
