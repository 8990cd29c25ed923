//! cs.packetstream (`codec_examples::packetstream`): its `PacketHeader`
//! (a BSUInt length, no id) on arbitrary bytes, whole `PacketStream` frames
//! and bare `Packet` bodies from arbitrary bytes, and a stream of frames fed
//! to the frame decoder whole and in splits and to the tokio codec (all
//! must agree).
//!
//! Input: see `codec_fuzz::stream::Plan`; mode bits 0-1 pick what the
//! stream is also decoded as (whole frame, body, header, all three).
//! Re-encodings may be shorter than the input, never longer: BSUInts
//! accept leading zero groups.
#![no_main]

use codec::Encode;
use codec_examples::packetstream::{Packet, PacketHeader, PacketStream};
use codec_fuzz::stream::{check_frames, check_header, check_messages, Plan};
use codec_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some(plan) = Plan::parse(input) else {
        return;
    };
    let data = plan.stream;
    let mode = plan.mode & 3;
    if mode == 0 || mode == 3 {
        if let Some(PacketStream::Packet(p)) =
            check_one_frame::<PacketStream>(data, Canon::Shortest)
        {
            let body = p.to_bytes().expect("a decoded packet encodes");
            check_redecode(&p, &body);
        }
    }
    if mode == 1 || mode == 3 {
        if let Some(p) = check_decode::<Packet>(data, Canon::Shortest) {
            check_redecode(&p, &p.to_bytes().unwrap());
        }
    }
    if mode == 2 || mode == 3 {
        check_header::<PacketHeader>(data);
    }
    check_frames::<PacketHeader>(&plan);
    check_messages::<PacketStream>(&plan);
});
