//! The sans-IO `FrameDecoder` fed one stream in arbitrary splits must give
//! exactly what it gives when fed the stream whole: the same frames, the
//! same errors in the same places, the same `finish` verdict; and the tokio
//! `ProtocolCodec` fed the same splits must agree with it.
//!
//! Input: see `codec_fuzz::stream::Plan`. Mode bits 0-1 pick what is
//! taken: `StdHeader` frames, `Storage` messages, `WideHeader` frames, or
//! `Mixed` messages (borrowed from the decoder's buffer; `ProtocolCodec`
//! needs owned messages, so only the frame decoder is checked for these).
#![no_main]

use codec::frame::FrameDecoder;
use codec::{StdHeader, WideHeader};
use codec_fuzz::stream::{check_frames, check_messages, feed, Event, Plan};
use codec_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some(plan) = Plan::parse(input) else {
        return;
    };
    match plan.mode & 3 {
        0 => check_frames::<StdHeader>(&plan),
        1 => check_messages::<Storage>(&plan),
        2 => check_frames::<WideHeader>(&plan),
        _ => {
            let take = |d: &mut FrameDecoder<WideHeader>| {
                d.next_message::<Mixed<'_>>()
                    .map(|m| m.map(|m| Event::Message(format!("{m:?}"))))
            };
            let whole = feed::<WideHeader, _>(&plan, false, take);
            let split = feed::<WideHeader, _>(&plan, true, take);
            assert_eq!(
                split, whole,
                "messages differ between split and whole feeding"
            );
        }
    }
});
