use codec::{Decode, Encode};

fn crc32(_: &[u8]) -> u32 {
    0
}

// A checksum covers bytes already written: `from` names an earlier field.
#[derive(Encode, Decode)]
struct Chunk {
    #[codec(checksum = crc32, from = data)]
    crc: u32,
    data: [u8; 4],
}

fn main() {}
