use codec::Decode;

#[derive(Decode)]
struct Packet {
    #[codec(when = flags & 1 != 0)]
    channel: Option<u64>,
    flags: u8,
}

fn main() {}
