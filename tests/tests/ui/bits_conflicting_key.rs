// A bit field takes its place in its run: byte-level keys conflict.
use codec::{Decode, Encode};

#[derive(Encode, Decode)]
struct Flags {
    #[codec(bits = 8, endian = "little")]
    code: u8,
}

fn main() {}
