use codec::{Decode, Encode};

// The fields always take 4 + 2 bytes: a type `size` of 4 cannot hold them.
#[derive(Encode, Decode)]
#[codec(size = 4)]
struct Record {
    value: u32,
    #[codec(pad_after = 2)]
    flags: u8,
}

fn main() {}
