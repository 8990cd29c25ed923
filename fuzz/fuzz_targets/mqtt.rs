//! MQTT (`codec_examples::mqtt`), the codec the broker and client run:
//! its `FixedHeader` (type and flag nibbles, a remaining length of at most
//! four varint bytes) on arbitrary bytes, whole frames decoded as
//! `Packet` (5.0) or `Packet311` (3.1.1), and a stream of frames fed to
//! the frame decoder whole and in splits and to the tokio codec (all must
//! agree). Every packet the stream yields through `next_packet` (what the
//! broker and client read with) is written back with `encode_packet` (what
//! they write with) and must decode to the same packet, at the same level
//! (a CONNECT at the level it names).
//!
//! Input: see `codec_fuzz::stream::Plan`; mode bit 0 picks the protocol
//! level (set: 5.0, clear: 3.1.1), mode bit 1 also checks the stream's
//! first bytes as a lone fixed header. Re-encoded frames may be shorter
//! than the input, never longer: the remaining length accepts overlong
//! varints (`80 00` for 0).
#![no_main]

use codec::frame::FrameDecoder;
use codec::Encode;
use codec_examples::mqtt::packet::{encode_packet, next_packet};
use codec_examples::mqtt::{FixedHeader, Packet, Packet311};
use codec_fuzz::stream::{check_frames, check_header, check_messages, Plan};
use codec_fuzz::*;
use libfuzzer_sys::fuzz_target;

/// `p`, read at protocol level 5 (`v5`) or 4, written back with
/// `encode_packet` at the same level: one frame that reads back as `p`.
fn check_packet(p: &Packet, v5: bool) {
    let mut out = Vec::new();
    encode_packet(p.clone(), v5, &mut out)
        .unwrap_or_else(|e| panic!("a decoded packet does not encode: {e}\n{p:?}"));
    assert!(!out.is_empty(), "a decoded packet wrote nothing: {p:?}");
    let mut again = FrameDecoder::<FixedHeader>::new();
    again.push(&out);
    let back = next_packet(&mut again, v5)
        .unwrap_or_else(|e| panic!("a re-encoded packet does not decode: {e}\n{p:?}\n{out:02x?}"))
        .unwrap_or_else(|| panic!("a re-encoded packet is incomplete: {p:?}\n{out:02x?}"));
    assert_eq!(&back, p, "round trip through encode_packet");
    assert_eq!(
        again.buffered(),
        0,
        "bytes left after the re-encoded packet"
    );
    again
        .finish()
        .expect("nothing pending after one whole frame");
}

fuzz_target!(|input: &[u8]| {
    let Some(plan) = Plan::parse(input) else {
        return;
    };
    let data = plan.stream;
    let v5 = plan.mode & 1 != 0;
    // One whole frame: decode, explain, re-encode (shorter or equal),
    // decode the re-encoding back to the same value.
    if v5 {
        if let Some(p) = check_one_frame::<Packet>(data, Canon::Shortest) {
            check_redecode(&p, &p.to_bytes().unwrap());
        }
    } else if let Some(p) = check_one_frame::<Packet311>(data, Canon::Shortest) {
        check_redecode(&p, &p.to_bytes().unwrap());
    }
    if plan.mode & 2 != 0 {
        check_header::<FixedHeader>(data);
    }
    check_frames::<FixedHeader>(&plan);
    if v5 {
        check_messages::<Packet>(&plan);
    } else {
        check_messages::<Packet311>(&plan);
    }
    // The stream as the broker reads it: every packet round-trips through
    // `encode_packet`; the first error ends the stream.
    let mut frames = plan.decoder::<FixedHeader>();
    frames.push(data);
    while let Ok(Some(p)) = next_packet(&mut frames, v5) {
        // A CONNECT carries its own level (the broker picks the stream's
        // from it): one of level 5, or of a level the broker refuses,
        // read from a 3.1.1 stream is written as it is, not downgraded
        // (`encode_packet` at level 4 would rewrite it as level 4).
        let own = matches!(&p, Packet::Connect(c) if c.level != 4);
        check_packet(&p, v5 || own);
    }
});
