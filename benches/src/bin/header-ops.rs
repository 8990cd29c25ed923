//! Frame headers, hand-written against `#[derive(Header)]`: instruction
//! counts under callgrind (independent of machine load) for `parse` and
//! `write` of `StdHeader`, `WideHeader` and cs.packetstream's
//! `PacketHeader` layouts, each hand-written and derived.
//!
//! ```text
//! cargo build --profile bench -p codec-benches --bin header-ops
//! target/release/header-ops callgrind [N]        # one CSV row per cell
//! target/release/header-ops count ROUTINE HEADER N  # what callgrind runs
//! ```
//!
//! Instructions per call = (count at 100 + N - count at 100) / N.
#![warn(missing_docs)]

use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;

use codec::header::{Header, Parsed};
use codec::{Decode, Encode, StdHeader, WideHeader};

const USAGE: &str = "usage: header-ops callgrind [N]\n       \
                     header-ops count parse|write std|std_derive|wide|wide_derive|vlq|vlq_derive N";

const HEADERS: [&str; 6] = [
    "std",
    "std_derive",
    "wide",
    "wide_derive",
    "vlq",
    "vlq_derive",
];

/// `StdHeader`'s layout, derived.
#[derive(Default, Encode, Decode, codec::Header)]
struct StdDerived {
    #[codec(id)]
    id: u8,
    #[codec(payload_len)]
    len: u16,
}

/// `WideHeader`'s layout, derived.
#[derive(Default, Encode, Decode, codec::Header)]
struct WideDerived {
    #[codec(id)]
    id: u16,
    #[codec(payload_len)]
    len: u32,
}

/// cs.packetstream's frame header as it was hand-written before it was
/// derived (`examples/src/packetstream/wire.rs`): a vlq length, no id.
struct VlqHand;

impl Header for VlqHand {
    const NAME: &'static str = "VlqHand";
    const MAX_ID: u64 = 0;
    const MAX_LEN: u64 = u64::MAX;

    fn encoded_len(_: u64, payload_len: usize) -> usize {
        codec::wire::base128_len(payload_len as u64)
    }

    fn write<S: codec::Sink + ?Sized>(
        id: u64,
        payload_len: usize,
        buf: &mut S,
    ) -> Result<(), codec::EncodeError> {
        if id != 0 {
            return Err(codec::EncodeError::new(
                codec::EncodeErrorKind::ValueOutOfRange {
                    value: id as i128,
                    target: "no message id",
                },
            ));
        }
        codec::wire::write_vlq(payload_len as u64, buf);
        Ok(())
    }

    fn parse(bytes: &[u8]) -> Result<Parsed, codec::DecodeError> {
        let mut r = codec::Reader::new(bytes);
        match codec::wire::read_vlq(&mut r, 64, "u64 body length") {
            Ok(payload_len) => Ok(Parsed::Complete(codec::FrameHead {
                id: 0,
                header_len: r.offset(),
                payload_len,
            })),
            Err(e) if e.is_incomplete() => Ok(Parsed::Incomplete { needed: 1 }),
            Err(e) => Err(e),
        }
    }
}

/// The same, derived.
#[derive(Default, Encode, Decode, codec::Header)]
struct VlqDerived {
    #[codec(payload_len, vlq)]
    len: u64,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args[..] {
        ["callgrind"] => callgrind(1000),
        ["callgrind", n] => n.parse().map_err(|_| USAGE.to_owned()).and_then(callgrind),
        ["count", routine, header, n] => n
            .parse()
            .map_err(|_| USAGE.to_owned())
            .and_then(|n| count(routine, header, n)),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// `n` parses of a frame's header (the payload follows it), or `n` writes
/// into a reused buffer.
fn run<H: Header>(routine: &str, id: u64, len: usize, n: u64) -> Result<(), String> {
    let mut frame = Vec::new();
    H::write(id, len, &mut frame).map_err(|e| e.to_string())?;
    frame.extend_from_slice(&[0xAB; 16]);
    let mut buf = Vec::with_capacity(64);
    match routine {
        "parse" => {
            for _ in 0..n {
                black_box(H::parse(black_box(&frame)).is_ok());
            }
        }
        "write" => {
            for _ in 0..n {
                buf.clear();
                black_box(H::write(black_box(id), black_box(len), &mut buf).is_ok());
            }
        }
        _ => return Err(USAGE.to_owned()),
    }
    Ok(())
}

/// Runs one batch of `n`, for callgrind.
fn count(routine: &str, header: &str, n: u64) -> Result<(), String> {
    match header {
        "std" => run::<StdHeader>(routine, 1, 12, n),
        "std_derive" => run::<StdDerived>(routine, 1, 12, n),
        "wide" => run::<WideHeader>(routine, 0x0102, 70_000, n),
        "wide_derive" => run::<WideDerived>(routine, 0x0102, 70_000, n),
        "vlq" => run::<VlqHand>(routine, 0, 300, n),
        "vlq_derive" => run::<VlqDerived>(routine, 0, 300, n),
        _ => Err(USAGE.to_owned()),
    }
}

/// Instructions per call of every cell.
fn callgrind(n: u64) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let base = 100;
    for routine in ["parse", "write"] {
        for header in HEADERS {
            let at = |k: u64| instructions(&exe, routine, header, k);
            let per_call = (at(base + n)? as f64 - at(base)? as f64) / n as f64;
            println!("callgrind,{routine},{header},{per_call:.1}");
        }
    }
    Ok(())
}

/// Total instructions of `header-ops count .. k` under callgrind.
fn instructions(exe: &Path, routine: &str, header: &str, k: u64) -> Result<u64, String> {
    let k = k.to_string();
    codec_benches::callgrind::instructions(exe, &["count", routine, header, &k])
}
