// A run of bit fields must end on a byte boundary.
use codec::{Decode, Encode};

#[derive(Encode, Decode)]
struct FixedHeader {
    #[codec(bits = 4)]
    kind: u8,
    #[codec(bits = 1)]
    dup: bool,
    length: u8,
}

fn main() {}
