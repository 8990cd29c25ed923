// Two variants claiming the same id: decode could only choose one.
use codec::{Decode, Encode};

#[derive(Encode, Decode)]
enum Opcode {
    #[codec(id = 1)]
    One,
    #[codec(id = 0..=3)]
    Low(u8),
    #[codec(id = 3 | 7)]
    Odd(u8),
}

fn main() {}
