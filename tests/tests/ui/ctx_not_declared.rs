// A parent passes a context value its child does not declare, and a
// context to a type that takes none.
use codec::{Decode, Encode};

#[derive(Encode, Decode)]
#[codec(ctx(qos: u8))]
struct Publish {
    #[codec(when = qos > 0)]
    packet_id: Option<u16>,
}

#[derive(Encode, Decode)]
struct Plain {
    a: u8,
}

#[derive(Encode, Decode)]
struct Packet {
    flags: u8,
    #[codec(ctx(qos = flags & 3, retain = flags & 1))]
    publish: Publish,
    #[codec(ctx(qos = 1))]
    plain: Plain,
}

fn main() {}
