// `bits` takes unsigned integers, `bool` and fieldless enums.
use codec::{Decode, Encode};

#[derive(Encode, Decode)]
struct Flags {
    #[codec(bits = 8)]
    name: String,
}

fn main() {}
