use codec::Encode;

#[derive(Encode)]
struct Packet {
    tag: u8,
    #[codec(rest)]
    payload: Vec<u8>,
    checksum: u16,
}

fn main() {}
