//! The derive against hand-written `byteorder` code, in the same run.
//!
//! Run with
//!
//! ```text
//! cargo bench -p codec-benches --bench wire -- --warm-up-time 1 --measurement-time 3
//! cargo run -p codec-benches --bin bench-table
//! ```
//!
//! Groups are named `<routine>/<message>`, with one `derive` and one `hand`
//! function each, e.g. `encode/store_small/derive` and
//! `encode/store_small/hand`. Routines:
//!
//! - `encode`: append to a reused `Vec` (cleared back to its placement
//!   prefix before each call, see below), as a server writing replies would;
//! - `decode_owned`: `from_bytes` into `String`/`Vec<u8>` fields;
//! - `decode_borrowed`: `from_bytes` into `&str`/`&[u8]` fields.
//!
//! Criterion measures one side after the other, so on a shared machine a
//! load change between them skews the ratio; `wire-ops ab` (in this crate)
//! interleaves the two sides and `wire-ops count` under callgrind counts
//! instructions, for comparisons that hold up under load.
//!
//! Before measuring anything, `assert_*_agrees` checks that both sides write
//! the same bytes and read back the same values.
//!
//! Buffer placement: glibc's large copies are very slow when the destination
//! sits 1-15 bytes past the source modulo 4096 (see
//! `codec_benches::placement`). Rather than relying on
//! `GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=4294967295` (which
//! would change the `memcpy` being measured), this benchmark places its
//! buffers so that each large copy goes exactly 2048 bytes past its source
//! modulo 4096, for both sides, and prints the distances it set up.

use std::hint::black_box;

use codec::{Decode, Encode};
use codec_benches::placement::{self, Placed, TARGET_DISTANCE};
use codec_benches::{
    assert_mixed_agrees, assert_store_agrees, hand, mixed, store_large, store_small, Mixed,
    MixedRef, StoreRequest, StoreRequestRef,
};
use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};

/// Benchmarks one encode routine on a reused output buffer.
///
/// `at` is where the big copy starts in the encoding and `src` what it
/// copies from; the buffer keeps a prefix that puts that copy
/// [`TARGET_DISTANCE`] past its source.
fn encode_side<M>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    id: &str,
    msg: &M,
    len: usize,
    (at, src): (usize, *const u8),
    run: impl Fn(&M, &mut Vec<u8>) -> bool,
) {
    let mut buf: Vec<u8> = Vec::with_capacity(placement::PAGE + len);
    let pad = placement::encode_pad(buf.as_ptr(), at, src);
    buf.resize(pad, 0);
    let dst = buf.as_ptr().wrapping_add(pad + at);
    assert_eq!(placement::distance(src, dst), TARGET_DISTANCE);
    g.bench_function(id, |b| {
        b.iter(|| {
            buf.truncate(pad);
            let ok = run(black_box(msg), &mut buf);
            black_box(ok);
            black_box(&buf);
        })
    });
    assert_eq!(buf.len(), pad + len, "encode wrote the whole message");
    assert_eq!(
        buf.as_ptr().wrapping_add(pad + at),
        dst,
        "the buffer never moved"
    );
}

/// Where an owned decode's big copy lands, for the input it is given.
type Probe<'a> = &'a dyn Fn(&[u8]) -> *const u8;

/// Benchmarks one decode routine.
///
/// `probe`, for decoders that copy a big field, returns where the copy
/// lands; the input is then placed so that the copy, which starts at byte
/// `at` of the input, goes [`TARGET_DISTANCE`] past its source.
fn decode_side(
    (g, group): (&mut BenchmarkGroup<'_, WallTime>, &str),
    id: &str,
    bytes: &[u8],
    at: usize,
    probe: Option<Probe<'_>>,
    run: impl Fn(&[u8]),
) {
    let mut input = Placed::new(bytes);
    if let Some(probe) = probe {
        let dst = probe(input.bytes());
        assert_eq!(probe(input.bytes()), dst, "the allocator reuses the chunk");
        input.place_before(at, dst);
        let d = placement::distance(input.bytes()[at..].as_ptr(), probe(input.bytes()));
        eprintln!("placement {group}/{id}: copy distance {d} mod 4096");
        assert_eq!(d, TARGET_DISTANCE, "placement held");
    }
    g.bench_function(id, |b| b.iter(|| run(black_box(input.bytes()))));
    if let Some(probe) = probe {
        let d = placement::distance(input.bytes()[at..].as_ptr(), probe(input.bytes()));
        if d != TARGET_DISTANCE {
            eprintln!("warning: {group}/{id}: after measuring, the copy distance is {d} mod 4096");
        }
    }
}

fn store(c: &mut Criterion, label: &str, msg: &StoreRequest) {
    assert_store_agrees(msg);
    let bytes = msg.to_bytes().unwrap();
    let len = bytes.len();
    // The value's bytes are the big copy: they follow trans, the name and
    // both length prefixes.
    let at = 1 + 1 + msg.name.len() + 2;

    let mut g = c.benchmark_group(format!("encode/{label}"));
    g.throughput(Throughput::Bytes(len as u64));
    let src = (at, msg.data.as_ptr());
    encode_side(&mut g, "derive", msg, len, src, |m, buf| {
        m.encode(buf).is_ok()
    });
    encode_side(&mut g, "hand", msg, len, src, |m, buf| {
        hand::encode_store_owned(m, buf).is_ok()
    });
    g.finish();

    let name = format!("decode_owned/{label}");
    let mut g = c.benchmark_group(&name);
    g.throughput(Throughput::Bytes(len as u64));
    decode_side(
        (&mut g, &name),
        "derive",
        &bytes,
        at,
        Some(&|b| StoreRequest::from_bytes(b).unwrap().data.as_ptr()),
        |b| drop(black_box(StoreRequest::from_bytes(b))),
    );
    decode_side(
        (&mut g, &name),
        "hand",
        &bytes,
        at,
        Some(&|b| hand::decode_store(b).unwrap().data.as_ptr()),
        |b| drop(black_box(hand::decode_store(b))),
    );
    g.finish();

    // Borrowed decoding copies nothing: placement does not matter.
    let name = format!("decode_borrowed/{label}");
    let mut g = c.benchmark_group(&name);
    g.throughput(Throughput::Bytes(len as u64));
    decode_side((&mut g, &name), "derive", &bytes, at, None, |b| {
        black_box(StoreRequestRef::from_bytes(b)).ok();
    });
    decode_side((&mut g, &name), "hand", &bytes, at, None, |b| {
        black_box(hand::decode_store_ref(b)).ok();
    });
    g.finish();
}

fn mixed_msg(c: &mut Criterion) {
    let msg = mixed();
    assert_mixed_agrees(&msg);
    let bytes = msg.to_bytes().unwrap();
    let len = bytes.len();
    // Nothing here is near the 2 KiB copy threshold; the placement helpers
    // are used for uniformity only.
    let src = (44 + 1, msg.label.as_ptr());

    let mut g = c.benchmark_group("encode/mixed");
    g.throughput(Throughput::Bytes(len as u64));
    encode_side(&mut g, "derive", &msg, len, src, |m, buf| {
        m.encode(buf).is_ok()
    });
    encode_side(&mut g, "hand", &msg, len, src, |m, buf| {
        hand::encode_mixed_owned(m, buf).is_ok()
    });
    g.finish();

    let name = "decode_owned/mixed";
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(len as u64));
    decode_side((&mut g, name), "derive", &bytes, 0, None, |b| {
        drop(black_box(Mixed::from_bytes(b)))
    });
    decode_side((&mut g, name), "hand", &bytes, 0, None, |b| {
        drop(black_box(hand::decode_mixed(b)))
    });
    g.finish();

    let name = "decode_borrowed/mixed";
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(len as u64));
    decode_side((&mut g, name), "derive", &bytes, 0, None, |b| {
        black_box(MixedRef::from_bytes(b)).ok();
    });
    decode_side((&mut g, name), "hand", &bytes, 0, None, |b| {
        black_box(hand::decode_mixed_ref(b)).ok();
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    store(c, "store_small", &store_small());
    store(c, "store_large", &store_large());
    mixed_msg(c);
}

criterion_group!(wire, benches);
criterion_main!(wire);
