// `bits = N` must fit the field's type.
use codec::{Decode, Encode};

#[derive(Encode, Decode)]
struct Flags {
    #[codec(bits = 12)]
    code: u8,
    #[codec(bits = 4)]
    rest: u8,
}

fn main() {}
