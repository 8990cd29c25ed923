//! Frame headers declared with `#[derive(Header)]` on arbitrary bytes:
//! `StdHeader`'s and `WideHeader`'s layouts derived (must parse exactly as
//! the hand-written headers do), the MQTT 3.1.1 fixed header (a varint
//! remaining length of at most 4 bytes), a PostgreSQL header (a length
//! that counts itself), a header with magic, flags and a 3-byte id, and
//! one whose variable field comes first. For each: `codec_fuzz::stream::
//! check_header` (strict prefixes incomplete, limits, re-write parses the
//! same); for the flagged one, `HeaderValue::value` agrees with `parse` and
//! re-writes the header byte for byte; whole frames of the tutorial
//! protocol under the MQTT and PostgreSQL headers (`from_bytes`,
//! `explain`, a run of frames); and an MQTT protocol whose PUBLISH takes
//! the header's flags nibble as context and gives it back on encode
//! (`ctx(..)`/`header(..)` on protocol variants, `skip = expr` fields).
#![no_main]

use codec::header::{Header, HeaderValue, Parsed};
use codec::{Decode, Encode, Protocol, StdHeader, WideHeader};
use codec_fuzz::stream::check_header;
use codec_fuzz::*;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Default, Encode, Decode, codec::Header)]
struct DerivedStd {
    #[codec(id)]
    id: u8,
    #[codec(payload_len)]
    len: u16,
}

#[derive(Debug, Default, Encode, Decode, codec::Header)]
struct DerivedWide {
    #[codec(id)]
    id: u16,
    #[codec(payload_len)]
    len: u32,
}

#[derive(Debug, Default, Encode, Decode, codec::Header)]
struct Mqtt {
    #[codec(id)]
    packet: u8,
    #[codec(payload_len, varint, max_bytes = 4)]
    remaining_length: u32,
}

#[derive(Debug, Default, Encode, Decode, codec::Header)]
struct Pg {
    #[codec(id)]
    kind: u8,
    #[codec(payload_len, len_adds = 4)]
    len: u32,
}

#[derive(Debug, Default, Encode, Decode, codec::Header)]
struct Flagged {
    #[codec(magic = b"CX")]
    version: u8,
    flags: u8,
    #[codec(id, bytes = 3)]
    kind: u32,
    #[codec(payload_len, endian = "little")]
    len: u32,
}

#[derive(Debug, Default, Encode, Decode, codec::Header)]
struct VarFirst {
    #[codec(id, varint)]
    id: u16,
    #[codec(payload_len)]
    len: u16,
}

/// The tutorial's messages under the MQTT fixed header.
#[derive(Debug, Clone, PartialEq, Eq, Protocol)]
#[codec(header = Mqtt)]
enum MqttStorage {
    StoreRequest(StoreRequest),
    StoreResponse(StoreResponse),
    FetchRequest(FetchRequest),
    FetchResponse(FetchResponse),
}

/// The tutorial's messages under the PostgreSQL header.
#[derive(Debug, Clone, PartialEq, Eq, Protocol)]
#[codec(header = Pg)]
enum PgStorage {
    StoreRequest(StoreRequest),
    StoreResponse(StoreResponse),
    FetchRequest(FetchRequest),
    FetchResponse(FetchResponse),
}

/// MQTT's fixed header with its type and flags as bit fields.
#[derive(Debug, Default, Clone, PartialEq, Encode, Decode, codec::Header)]
struct Fixed {
    #[codec(id, bits = 4)]
    kind: u8,
    #[codec(bits = 4)]
    flags: u8,
    #[codec(payload_len, varint, max_bytes = 4)]
    remaining: u32,
}

/// PUBLISH: DUP, QoS and RETAIN come from the header's flags; the packet
/// identifier is present when QoS > 0.
#[derive(Debug, Clone, PartialEq, Encode, Decode, codec::Message)]
#[codec(id = 3, ctx(flags: u8))]
#[codec(assert(qos < 3, "QoS 3 is reserved"))]
struct Publish {
    #[codec(skip = flags & 8 != 0)]
    dup: bool,
    #[codec(skip = flags >> 1 & 3)]
    qos: u8,
    #[codec(skip = flags & 1 != 0)]
    retain: bool,
    #[codec(len = u16)]
    topic: String,
    #[codec(when = qos > 0)]
    packet_id: Option<u16>,
    #[codec(rest)]
    payload: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Encode, Decode, codec::Message)]
#[codec(id = 4)]
struct PubAck {
    packet_id: u16,
}

#[derive(Debug, Clone, PartialEq, Encode, Decode, codec::Message)]
#[codec(id = 12)]
struct PingReq;

/// The header tied to its messages both ways.
#[derive(Debug, Clone, PartialEq, Protocol)]
#[codec(header = Fixed)]
enum Tied {
    #[codec(
        ctx(flags = header.flags),
        header(flags = u8::from(msg.dup) << 3 | msg.qos << 1 | u8::from(msg.retain))
    )]
    Publish(Publish),
    #[codec(header(flags = 0))]
    PubAck(PubAck),
    #[codec(header(flags = 0))]
    PingReq(PingReq),
}

fuzz_target!(|data: &[u8]| {
    check_header::<DerivedStd>(data);
    check_header::<DerivedWide>(data);
    check_header::<Mqtt>(data);
    check_header::<Pg>(data);
    check_header::<Flagged>(data);
    check_header::<VarFirst>(data);
    assert_eq!(DerivedStd::parse(data).ok(), StdHeader::parse(data).ok());
    assert_eq!(DerivedWide::parse(data).ok(), WideHeader::parse(data).ok());
    if let Ok(Parsed::Complete(head)) = Flagged::parse(data) {
        let value = Flagged::value(data).expect("a parsed header has a value");
        assert_eq!(u64::from(value.kind), head.id);
        let mut out = Vec::new();
        let len = usize::try_from(head.payload_len).expect("a u32 length");
        value
            .write_value(head.id, len, &mut out)
            .expect("a parsed header writes");
        assert_eq!(out, &data[..head.header_len]);
    }
    check_one_frame::<MqttStorage>(data, Canon::Shortest);
    check_one_frame::<PgStorage>(data, Canon::Exact);
    check_header::<Fixed>(data);
    check_one_frame::<Tied>(data, Canon::Shortest);
});
