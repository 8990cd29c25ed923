//! Ready-to-run batches of one routine, for one contender on one message:
//! shared by the `peers` criterion benchmark, the round-robin timer and
//! the callgrind counter of the `peers-ops` binary, so that all three
//! measure exactly the same loop.
//!
//! A batch owns everything it touches (the contender's value, its placed
//! input or its reused output buffer) and runs the routine `n` times in a
//! tight, monomorphized loop; only the call into the batch is dynamic.
//!
//! Placement (see [`crate::placement`]): for the store requests, every
//! contender's big copy (the value's bytes) goes exactly
//! [`TARGET_DISTANCE`] past its source modulo 4096, on encode (the output
//! buffer keeps a prefix chosen from the source and destination addresses)
//! and on owned decode (the input is placed before the address the
//! contender's decode is seen to allocate). The mixed message has no copy
//! near glibc's 2 KiB threshold and is not placed.

use std::hint::black_box;

use super::frames::{Frame, Framed, ProtoDerive};
use super::{bin_proto, bincode, binrw, deku, postcard, scroll, speedy};
use super::{streams, Borrowing, Derive, Hand, Peer, NAMES};
use crate::placement::{self, Placed, PAGE, TARGET_DISTANCE};
use crate::rows::{dns_header, pg_strings, DnsHeader, PgStrings};
use crate::{mixed, store_large, store_small, Mixed, StoreRequest};

/// The routines, in table order. The `stream_` routines
/// ([`streams::STREAM_ROUTINES`]) run on
/// the `frame_` messages only, by the derive and hand-written code.
pub const ROUTINES: [&str; 6] = [
    "encode",
    "decode_owned",
    "decode_borrowed",
    "stream_sans_io",
    "stream_tokio",
    "stream_blocking",
];

/// Whether `(routine, message)` is a cell of the tables: the stream
/// routines run on whole frames only.
pub fn is_cell(routine: &str, message: &str) -> bool {
    !routine.starts_with("stream_") || message.starts_with("frame_")
}

/// The messages, in table order. `dns_header` and `pg_strings` (issue
/// 12's real-world rows: a bit-field header, NUL-terminated strings) are
/// run by the derive, hand-written code, deku and binrw only. The `frame_`
/// rows (issue 13) are whole protocol frames ([`super::frames`]): the derive's
/// `#[derive(Protocol)]` enum against the hand-written match around the
/// hand-written (or a peer's) struct code, for the wire-compatible peers.
pub const MESSAGES: [&str; 8] = [
    "store_small",
    "store_large",
    "mixed",
    "dns_header",
    "pg_strings",
    "frame_store_small",
    "frame_store_large",
    "frame_mixed",
];

/// Why the other contenders have no real-world row.
const NO_ROW: &str = "no real-world row: compared with deku and binrw, which have bit fields and NUL-terminated strings";

/// Why the other contenders have no protocol row.
const NO_FRAME: &str = "no protocol row: compared with the wire-compatible derive crates";

/// The routine run `n` times.
pub type Batch = Box<dyn FnMut(u64)>;

/// A prepared batch, or why there is none.
pub enum Prepared {
    /// Ready to run.
    Ready(Batch),
    /// The contender cannot run this routine (e.g. no borrowed decoding).
    Unsupported(&'static str),
}

/// The batch for `routine` on `message` by contender `name` (one of
/// [`NAMES`]); `None` for an unknown name, routine or message.
///
/// # Panics
///
/// If the contender's codec fails on the message, or placement fails.
pub fn prepare(routine: &str, message: &str, name: &str) -> Option<Prepared> {
    if !ROUTINES.contains(&routine) || !NAMES.contains(&name) {
        return None;
    }
    if !is_cell(routine, message) {
        return MESSAGES
            .contains(&message)
            .then_some(Prepared::Unsupported(streams::NO_STREAM));
    }
    let msg = match message {
        "store_small" => Msg::Store(store_small()),
        "store_large" => Msg::Store(store_large()),
        "mixed" => Msg::Mixed(mixed()),
        "dns_header" | "pg_strings" => return Some(real_world(routine, message, name)),
        "frame_store_small" | "frame_store_large" | "frame_mixed" => {
            return Some(protocol(routine, message, name))
        }
        _ => return None,
    };
    Some(match name {
        "derive" => for_peer::<Derive>(routine, msg),
        "hand" => for_peer::<Hand>(routine, msg),
        "speedy" => for_peer::<speedy::Speedy>(routine, msg),
        "binrw" => for_peer::<binrw::Binrw>(routine, msg),
        "deku" => for_peer::<deku::Deku>(routine, msg),
        "bin-proto" => for_peer::<bin_proto::BinProto>(routine, msg),
        "scroll" => for_peer::<scroll::Scroll>(routine, msg),
        "bincode" => for_peer::<bincode::Bincode>(routine, msg),
        "postcard" => for_peer::<postcard::Postcard>(routine, msg),
        _ => return None,
    })
}

enum Msg {
    Store(StoreRequest),
    Mixed(Mixed),
}

/// A real-world row's batch (`message` is `dns_header` or `pg_strings`).
fn real_world(routine: &str, message: &str, name: &str) -> Prepared {
    fn on<P>(routine: &str, message: &str) -> Prepared
    where
        P: Peer<DnsHeader> + Peer<PgStrings> + 'static,
    {
        if message == "dns_header" {
            for_message::<P, DnsHeader>(routine, &dns_header(), None)
        } else {
            for_message::<P, PgStrings>(routine, &pg_strings(), None)
        }
    }
    match name {
        "derive" => on::<Derive>(routine, message),
        "hand" => on::<Hand>(routine, message),
        "binrw" => on::<binrw::Binrw>(routine, message),
        "deku" => on::<deku::Deku>(routine, message),
        _ => Prepared::Unsupported(NO_ROW),
    }
}

/// A protocol row's batch: whole frames of [`Frame`].
fn protocol(routine: &str, message: &str, name: &str) -> Prepared {
    let frame = match message {
        "frame_store_small" => Frame::StoreRequest(store_small()),
        "frame_store_large" => Frame::StoreRequest(store_large()),
        _ => Frame::ManyFields(mixed()),
    };
    let data = match &frame {
        Frame::StoreRequest(s) => Some(s.data.len()),
        Frame::ManyFields(_) => None,
    };
    if routine.starts_with("stream_") {
        return streams::prepare(routine, &frame, name);
    }
    match name {
        "derive" => for_message::<ProtoDerive, Frame>(routine, &frame, data),
        "hand" => for_message::<Framed<Hand>, Frame>(routine, &frame, data),
        "speedy" => for_message::<Framed<speedy::Speedy>, Frame>(routine, &frame, data),
        "binrw" => for_message::<Framed<binrw::Binrw>, Frame>(routine, &frame, data),
        "deku" => for_message::<Framed<deku::Deku>, Frame>(routine, &frame, data),
        "bin-proto" => for_message::<Framed<bin_proto::BinProto>, Frame>(routine, &frame, data),
        _ => Prepared::Unsupported(NO_FRAME),
    }
}

fn for_peer<P>(routine: &str, msg: Msg) -> Prepared
where
    P: Peer<StoreRequest> + Peer<Mixed> + 'static,
{
    match msg {
        Msg::Store(m) => {
            let data = m.data.len();
            for_message::<P, StoreRequest>(routine, &m, Some(data))
        }
        Msg::Mixed(m) => for_message::<P, Mixed>(routine, &m, None),
    }
}

/// `data_len`: the length of the value's big field, which every format
/// writes last (so it starts `data_len` bytes before the end).
fn for_message<P, M>(routine: &str, msg: &M, data_len: Option<usize>) -> Prepared
where
    P: Peer<M> + 'static,
{
    let owned = P::owned(msg);
    let mut bytes = Vec::new();
    P::encode(&owned, &mut bytes).unwrap_or_else(|e| panic!("{}: encode: {e:?}", P::NAME));
    let len = bytes.len();
    match routine {
        "encode" => {
            let mut buf: Vec<u8> = Vec::with_capacity(PAGE + len);
            let pad = match (data_len, P::data_ptr(&owned)) {
                (Some(d), Some(src)) => {
                    let at = len - d;
                    let pad = placement::encode_pad(buf.as_ptr(), at, src);
                    let dst = buf.as_ptr().wrapping_add(pad + at);
                    assert_eq!(placement::distance(src, dst), TARGET_DISTANCE);
                    pad
                }
                _ => 0,
            };
            buf.resize(pad, 0);
            let start = buf.as_ptr();
            Prepared::Ready(Box::new(move |n| {
                for _ in 0..n {
                    buf.truncate(pad);
                    let ok = P::encode(black_box(&owned), &mut buf).is_ok();
                    black_box(ok);
                    black_box(&buf);
                }
                debug_assert_eq!(buf.len(), pad + len);
                debug_assert_eq!(buf.as_ptr(), start, "the buffer never moved");
            }))
        }
        "decode_owned" => {
            let mut input = Placed::new(&bytes);
            if let Some(d) = data_len {
                let probe = |b: &[u8]| {
                    let v = P::decode(b).unwrap_or_else(|e| panic!("{}: decode: {e:?}", P::NAME));
                    P::data_ptr(&v).expect("store requests have data")
                };
                // The first decodes warm the allocator's caches (some
                // decoders take a few dozen calls to settle); from then on
                // each decode gets the chunks the previous one freed.
                for _ in 0..64 {
                    probe(input.bytes());
                }
                let at = len - d;
                // Place, check, and place again if the chunk moved.
                // (Arrays: a heap allocation here would move the chunks.)
                let mut seen = [0usize; 4];
                for _ in 0..4 {
                    input.place_before(at, probe(input.bytes()));
                    let src = input.bytes()[at..].as_ptr();
                    seen = std::array::from_fn(|_| placement::distance(src, probe(input.bytes())));
                    if seen.iter().all(|&d| d == TARGET_DISTANCE) {
                        break;
                    }
                }
                if seen.iter().any(|&d| d != TARGET_DISTANCE) {
                    eprintln!(
                        "warning: {}: decode copy distances {seen:?} mod 4096, not all {TARGET_DISTANCE}",
                        P::NAME
                    );
                }
            }
            Prepared::Ready(Box::new(move |n| {
                for _ in 0..n {
                    drop(black_box(P::decode(black_box(input.bytes()))));
                }
            }))
        }
        "decode_borrowed" => match P::BORROWING {
            Borrowing::Unsupported(why) => Prepared::Unsupported(why),
            Borrowing::Supported => {
                let input = Placed::new(&bytes);
                Prepared::Ready(Box::new(move |n| {
                    for _ in 0..n {
                        black_box(P::decode_borrowed(black_box(input.bytes()))).ok();
                    }
                }))
            }
        },
        _ => unreachable!("checked by prepare"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_batch_runs() {
        for routine in ROUTINES {
            for message in MESSAGES {
                for name in NAMES {
                    match prepare(routine, message, name) {
                        Some(Prepared::Ready(mut batch)) => batch(3),
                        Some(Prepared::Unsupported(why)) => {
                            assert!(
                                routine == "decode_borrowed"
                                    || why == NO_ROW
                                    || why == NO_FRAME
                                    || why == streams::NO_STREAM,
                                "{name}: {why}"
                            );
                        }
                        None => panic!("{routine} {message} {name}"),
                    }
                }
            }
        }
        assert!(prepare("encode", "nope", "derive").is_none());
        assert!(prepare("encode", "mixed", "nope").is_none());
    }
}
