use codec::{Decode, Encode};

fn crc32(_: &[u8]) -> u32 {
    0
}

// A field's value comes from one place: a checksum or a `calc`.
#[derive(Encode, Decode)]
struct Chunk {
    kind: [u8; 4],
    #[codec(checksum = crc32, from = kind, calc = 0)]
    crc: u32,
}

fn main() {}
