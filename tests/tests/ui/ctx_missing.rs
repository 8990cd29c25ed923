// A child that declares a context, given none or only part of it.
use codec::{Decode, Encode};

#[derive(Encode, Decode)]
#[codec(ctx(qos: u8, version: u16))]
struct Publish {
    #[codec(when = qos > 0 && version >= 5)]
    packet_id: Option<u16>,
}

#[derive(Encode, Decode)]
struct NoContext {
    publish: Publish,
}

#[derive(Encode, Decode)]
struct PartContext {
    #[codec(ctx(qos = 1))]
    publish: Publish,
}

fn main() {}
