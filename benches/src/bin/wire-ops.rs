//! The `wire` benchmark's routines, outside criterion, for two checks that
//! hold up on a busy shared machine:
//!
//! ```text
//! # Interleaved timing: derive and hand-written alternate in short batches,
//! # so load from other processes hits both sides alike. Prints a markdown
//! # table of medians over the rounds and the derive/hand ratio.
//! cargo run --profile bench -p codec-benches --bin wire-ops -- ab [ROUNDS]
//!
//! # Instruction counts: run one routine N times under callgrind; the count
//! # does not depend on what else the machine is doing.
//! # Instructions per call = (count at N - count at 0) / N.
//! valgrind --tool=callgrind target/release/wire-ops count decode_owned store_small derive 20000
//! ```
//!
//! Buffers are placed as in the benchmark (see `codec_benches::placement`).
#![warn(missing_docs)]

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use codec::{Decode, Encode};
use codec_benches::placement::{self, Placed};
use codec_benches::{
    hand, mixed, store_large, store_small, Mixed, MixedRef, StoreRequest, StoreRequestRef,
};

const USAGE: &str = "usage: wire-ops ab [ROUNDS]\n       \
                     wire-ops count encode|decode_owned|decode_borrowed \
                     store_small|store_large|mixed derive|hand N";

const ROUTINES: [&str; 3] = ["encode", "decode_owned", "decode_borrowed"];
const MESSAGES: [&str; 3] = ["store_small", "store_large", "mixed"];

/// A routine run `n` times in a tight loop.
type Batch<'a> = Box<dyn FnMut(u64) + 'a>;

/// The test message: a store request or the mixed one.
enum Msg {
    Store(StoreRequest),
    Mixed(Mixed),
}

impl Msg {
    fn new(name: &str) -> Option<Msg> {
        Some(match name {
            "store_small" => Msg::Store(store_small()),
            "store_large" => Msg::Store(store_large()),
            "mixed" => Msg::Mixed(mixed()),
            _ => return None,
        })
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            Msg::Store(s) => s.to_bytes(),
            Msg::Mixed(m) => m.to_bytes(),
        }
        .expect("benchmark messages encode")
    }

    /// Where the big copy starts in the encoding, and its source.
    fn big_copy(&self) -> (usize, *const u8) {
        match self {
            Msg::Store(s) => (1 + 1 + s.name.len() + 2, s.data.as_ptr()),
            Msg::Mixed(m) => (44 + 1, m.label.as_ptr()),
        }
    }
}

/// A reused output buffer with a prefix placing the big copy.
fn out_buf(msg: &Msg, len: usize) -> (Vec<u8>, usize) {
    let mut buf = Vec::with_capacity(placement::PAGE + len);
    let (at, src) = msg.big_copy();
    let pad = placement::encode_pad(buf.as_ptr(), at, src);
    buf.resize(pad, 0);
    (buf, pad)
}

/// The derive's and the hand-written batch for one routine on one message.
fn batches<'a>(
    routine: &str,
    msg: &'a Msg,
    input: &'a [u8],
    derive_buf: &'a mut (Vec<u8>, usize),
    hand_buf: &'a mut (Vec<u8>, usize),
) -> Option<(Batch<'a>, Batch<'a>)> {
    macro_rules! batch {
        ($body:expr) => {
            Box::new(move |n: u64| {
                for _ in 0..n {
                    $body;
                }
            }) as Batch<'a>
        };
    }
    Some(match (routine, msg) {
        ("encode", Msg::Store(s)) => (
            batch!({
                derive_buf.0.truncate(derive_buf.1);
                black_box(black_box(s).encode(&mut derive_buf.0).is_ok());
            }),
            batch!({
                hand_buf.0.truncate(hand_buf.1);
                black_box(hand::encode_store_owned(black_box(s), &mut hand_buf.0).is_ok());
            }),
        ),
        ("encode", Msg::Mixed(m)) => (
            batch!({
                derive_buf.0.truncate(derive_buf.1);
                black_box(black_box(m).encode(&mut derive_buf.0).is_ok());
            }),
            batch!({
                hand_buf.0.truncate(hand_buf.1);
                black_box(hand::encode_mixed_owned(black_box(m), &mut hand_buf.0).is_ok());
            }),
        ),
        ("decode_owned", Msg::Store(_)) => (
            batch!(drop(black_box(StoreRequest::from_bytes(black_box(input))))),
            batch!(drop(black_box(hand::decode_store(black_box(input))))),
        ),
        ("decode_owned", Msg::Mixed(_)) => (
            batch!(drop(black_box(Mixed::from_bytes(black_box(input))))),
            batch!(drop(black_box(hand::decode_mixed(black_box(input))))),
        ),
        ("decode_borrowed", Msg::Store(_)) => (
            batch!(black_box(StoreRequestRef::from_bytes(black_box(input))).ok()),
            batch!(black_box(hand::decode_store_ref(black_box(input))).ok()),
        ),
        ("decode_borrowed", Msg::Mixed(_)) => (
            batch!(black_box(MixedRef::from_bytes(black_box(input))).ok()),
            batch!(black_box(hand::decode_mixed_ref(black_box(input))).ok()),
        ),
        _ => return None,
    })
}

/// The input, placed so that an owned decode's big copy is far from the
/// aliasing trap (both sides allocate the same chunk: checked).
fn placed_input(msg: &Msg, bytes: &[u8]) -> Placed {
    let mut input = Placed::new(bytes);
    if let Msg::Store(_) = msg {
        let probe = |b: &[u8]| StoreRequest::from_bytes(b).unwrap().data.as_ptr();
        let dst = probe(input.bytes());
        let hand_dst = hand::decode_store(input.bytes()).unwrap().data.as_ptr();
        if dst != hand_dst {
            eprintln!("note: derive and hand-written decodes allocate different chunks");
        }
        input.place_before(msg.big_copy().0, dst);
    }
    input
}

/// Median nanoseconds per call of each side, alternating batches of about
/// 2 ms for `rounds` rounds.
fn ab(derive: &mut Batch<'_>, hand: &mut Batch<'_>, rounds: usize) -> (f64, f64) {
    // Calibrate a batch size on the hand-written side.
    let mut n = 1u64;
    loop {
        let t = Instant::now();
        hand(n);
        if t.elapsed().as_micros() > 2_000 || n > 1 << 30 {
            break;
        }
        n *= 2;
    }
    let mut d = Vec::with_capacity(rounds);
    let mut h = Vec::with_capacity(rounds);
    for round in 0..rounds {
        // Alternate which side goes first, so neither always follows the other.
        let order: [bool; 2] = if round % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for is_derive in order {
            let t = Instant::now();
            if is_derive {
                derive(n);
            } else {
                hand(n);
            }
            let ns = t.elapsed().as_nanos() as f64 / n as f64;
            if is_derive { &mut d } else { &mut h }.push(ns);
        }
    }
    (median(&mut d), median(&mut h))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn run_ab(rounds: usize) {
    println!("| benchmark | derive (median) | hand-written (median) | derive/hand |");
    println!("| --- | ---: | ---: | ---: |");
    for message in MESSAGES {
        let msg = Msg::new(message).expect("known message");
        let bytes = msg.bytes();
        let input = placed_input(&msg, &bytes);
        for routine in ROUTINES {
            let mut db = out_buf(&msg, bytes.len());
            let mut hb = out_buf(&msg, bytes.len());
            let (mut d, mut h) =
                batches(routine, &msg, input.bytes(), &mut db, &mut hb).expect("known routine");
            let (dn, hn) = ab(&mut d, &mut h, rounds);
            println!(
                "| {routine}/{message} | {dn:.1} ns | {hn:.1} ns | {:.3} |",
                dn / hn
            );
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args[..] {
        ["ab"] => run_ab(201),
        ["ab", rounds] => match rounds.parse() {
            Ok(r) if r > 0 => run_ab(r),
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::FAILURE;
            }
        },
        ["count", routine, message, side, n] => {
            let (Some(msg), Ok(n), true) = (
                Msg::new(message),
                n.parse::<u64>(),
                side == "derive" || side == "hand",
            ) else {
                eprintln!("{USAGE}");
                return ExitCode::FAILURE;
            };
            let bytes = msg.bytes();
            let input = placed_input(&msg, &bytes);
            let mut db = out_buf(&msg, bytes.len());
            let mut hb = out_buf(&msg, bytes.len());
            let Some((mut d, mut h)) = batches(routine, &msg, input.bytes(), &mut db, &mut hb)
            else {
                eprintln!("{USAGE}");
                return ExitCode::FAILURE;
            };
            if side == "derive" {
                d(n);
            } else {
                h(n);
            }
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
