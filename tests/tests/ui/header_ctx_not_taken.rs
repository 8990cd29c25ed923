// A protocol variant passes header values to a message that takes no
// context, and sets a header field the header does not have.
use codec::{Decode, Encode, Message, Protocol};

#[derive(Debug, Default, Encode, Decode, codec::Header)]
struct Fixed {
    #[codec(id, bits = 4)]
    kind: u8,
    #[codec(bits = 4)]
    flags: u8,
    #[codec(payload_len, varint, max_bytes = 4)]
    remaining: u32,
}

#[derive(Encode, Decode, Message)]
#[codec(id = 4)]
struct PubAck {
    packet_id: u16,
}

#[derive(Encode, Decode, Message)]
#[codec(id = 12)]
struct PingReq;

#[derive(Protocol)]
#[codec(header = Fixed)]
enum Mqtt {
    #[codec(ctx(qos = header.flags >> 1 & 3))]
    PubAck(PubAck),
    #[codec(header(qos = 0))]
    PingReq(PingReq),
}

fn main() {}
