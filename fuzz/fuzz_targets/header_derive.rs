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
//! `explain`, a run of frames).
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
});
