//! Decoding a buffer of 10,000 small tutorial frames into the protocol
//! enum: the sans-IO `FrameDecoder` and the tokio `ProtocolCodec`, against
//! `tokio_util`'s `LengthDelimitedCodec` plus a hand-written decode of the
//! same payloads, in the same run.

use bytes::BytesMut;
use codec::frame::FrameDecoder;
use codec::tokio::ProtocolCodec;
use codec::StdHeader;
use codec_benches::peers::streams::length_delimited;
use codec_benches::tutorial::{decode_payload, frames, Tutorial};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use tokio_util::codec::Decoder;

const FRAMES: usize = 10_000;

fn bench(c: &mut Criterion) {
    let (msgs, bytes) = frames(FRAMES);

    // Every decoder sees the same messages before anything is measured.
    let mut sans_io = FrameDecoder::<StdHeader>::new();
    sans_io.push(&bytes);
    let mut decoded = Vec::new();
    while let Some(m) = sans_io.next_message::<Tutorial>().unwrap() {
        decoded.push(m);
    }
    assert_eq!(decoded, msgs);
    let mut buf = BytesMut::from(&bytes[..]);
    let mut ld = length_delimited();
    let mut hand = Vec::new();
    while let Some(f) = ld.decode(&mut buf).unwrap() {
        hand.push(decode_payload(f[0], &f[3..]).unwrap());
    }
    assert_eq!(hand, msgs);

    let mut g = c.benchmark_group("frames");
    g.throughput(Throughput::Elements(FRAMES as u64));
    g.bench_function("frame_decoder", |b| {
        b.iter(|| {
            let mut d = FrameDecoder::<StdHeader>::new();
            d.push(black_box(&bytes));
            let mut n = 0;
            while let Some(m) = d.next_message::<Tutorial>().unwrap() {
                black_box(m);
                n += 1;
            }
            assert_eq!(n, FRAMES);
        })
    });
    g.bench_function("protocol_codec", |b| {
        b.iter(|| {
            let mut buf = BytesMut::from(black_box(&bytes[..]));
            let mut codec = ProtocolCodec::<Tutorial>::new();
            let mut n = 0;
            while let Some(m) = codec.decode(&mut buf).unwrap() {
                black_box(m);
                n += 1;
            }
            assert_eq!(n, FRAMES);
        })
    });
    g.bench_function("length_delimited_hand", |b| {
        b.iter(|| {
            let mut buf = BytesMut::from(black_box(&bytes[..]));
            let mut codec = length_delimited();
            let mut n = 0;
            while let Some(f) = codec.decode(&mut buf).unwrap() {
                black_box(decode_payload(f[0], &f[3..]).unwrap());
                n += 1;
            }
            assert_eq!(n, FRAMES);
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
