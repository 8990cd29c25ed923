use codec::Encode;

#[derive(Encode)]
struct Packet {
    flags: u8,
    #[codec(when = flags & 1 != 0)]
    channel: u64,
}

fn main() {}
