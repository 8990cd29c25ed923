// A field passing a context is its type's own encoding: layout keys
// conflict with it.
use codec::{Decode, Encode};

#[derive(Encode, Decode)]
#[codec(ctx(qos: u8))]
struct Publish {
    #[codec(when = qos > 0)]
    packet_id: Option<u16>,
}

#[derive(Encode, Decode)]
struct Packet {
    flags: u8,
    #[codec(ctx(qos = flags & 3), len = u8)]
    publish: Publish,
}

fn main() {}
