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

// ## Encoding the same 10,000 frames (issue 13)
//
// `ProtocolCodec` encodes each frame straight into the `BytesMut` it is
// given (`Encode` writes into any `codec::Sink`). The baselines, in the
// same run: what a tokio user writes with `LengthDelimitedCodec` (the
// payload hand-encoded into a `Vec`, then the codec writes the length and
// copies the bytes: `u16` length, then id and payload), and hand-written
// code writing header and payload into the `BytesMut` in place (the lower
// bound). Each iteration encodes every frame into one buffer reserved up
// front, as `Framed` does with its write buffer.

use bytes::{BufMut, Bytes};
use codec::Protocol;
use codec_benches::tutorial::{FetchRequest, FetchResponse, StoreRequest, StoreResponse};
use tokio_util::codec::{Encoder, LengthDelimitedCodec};

/// The tutorial payload of `m`, hand-written, with its id in front.
#[inline]
fn put_payload<B: BufMut>(m: &Tutorial, out: &mut B) {
    match m {
        Tutorial::StoreRequest(StoreRequest { trans, name, data }) => {
            out.put_u8(*trans);
            out.put_u8(name.len() as u8);
            out.put_slice(name.as_bytes());
            out.put_u16(data.len() as u16);
            out.put_slice(data);
        }
        Tutorial::StoreResponse(StoreResponse {
            trans,
            name,
            status,
        }) => {
            out.put_u8(*trans);
            out.put_u8(name.len() as u8);
            out.put_slice(name.as_bytes());
            out.put_u8(*status);
        }
        Tutorial::FetchRequest(FetchRequest { trans, name }) => {
            out.put_u8(*trans);
            out.put_u8(name.len() as u8);
            out.put_slice(name.as_bytes());
        }
        Tutorial::FetchResponse(FetchResponse {
            trans,
            status,
            name,
            data,
        }) => {
            out.put_u8(*trans);
            out.put_u8(*status);
            out.put_u8(name.len() as u8);
            out.put_slice(name.as_bytes());
            out.put_u16(data.len() as u16);
            out.put_slice(data);
        }
    }
}

/// `LengthDelimitedCodec`'s encoder for the tutorial: a `u16` length, then
/// the id and the payload it copies from the `Bytes` it is given.
fn length_delimited_encoder() -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .length_field_length(2)
        .big_endian()
        .new_codec()
}

fn encode_bench(c: &mut Criterion) {
    let (msgs, bytes) = frames(FRAMES);

    // Each way writes what it should before anything is measured.
    let mut ours = BytesMut::new();
    let mut codec = ProtocolCodec::<Tutorial>::new();
    for m in &msgs {
        codec.encode(m, &mut ours).unwrap();
    }
    assert_eq!(&ours[..], &bytes[..]);
    let mut hand = BytesMut::new();
    for m in &msgs {
        hand.put_u8(m.id() as u8);
        hand.put_u16(m.payload_len() as u16);
        put_payload(m, &mut hand);
    }
    assert_eq!(&hand[..], &bytes[..]);
    let mut ld = BytesMut::new();
    let mut ld_codec = length_delimited_encoder();
    for m in &msgs {
        let mut payload = Vec::new();
        payload.put_u8(m.id() as u8);
        put_payload(m, &mut payload);
        ld_codec.encode(Bytes::from(payload), &mut ld).unwrap();
    }
    // Same bytes, but the length comes before the id (and counts it).
    assert_eq!(ld.len(), bytes.len());

    let mut g = c.benchmark_group("frames_encode");
    g.throughput(Throughput::Elements(FRAMES as u64));
    let mut dst = BytesMut::with_capacity(2 * bytes.len());
    g.bench_function("protocol_codec", |b| {
        b.iter(|| {
            dst.clear();
            let mut codec = ProtocolCodec::<Tutorial>::new();
            for m in black_box(&msgs) {
                codec.encode(m, &mut dst).unwrap();
            }
            assert_eq!(dst.len(), bytes.len());
        })
    });
    g.bench_function("length_delimited_hand", |b| {
        b.iter(|| {
            dst.clear();
            let mut codec = length_delimited_encoder();
            for m in black_box(&msgs) {
                let mut payload = Vec::with_capacity(1 + m.payload_len());
                payload.put_u8(m.id() as u8);
                put_payload(m, &mut payload);
                codec.encode(Bytes::from(payload), &mut dst).unwrap();
            }
            assert_eq!(dst.len(), bytes.len());
        })
    });
    g.bench_function("hand_in_place", |b| {
        b.iter(|| {
            dst.clear();
            for m in black_box(&msgs) {
                dst.reserve(3 + m.payload_len());
                dst.put_u8(m.id() as u8);
                dst.put_u16(m.payload_len() as u16);
                put_payload(m, &mut dst);
            }
            assert_eq!(dst.len(), bytes.len());
        })
    });
    g.finish();
}

criterion_group!(encode_benches, encode_bench);
criterion_main!(benches, encode_benches);
