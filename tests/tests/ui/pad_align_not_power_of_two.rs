use codec::{Decode, Encode};

// `align` pads to a multiple of a power of two.
#[derive(Encode, Decode)]
struct Record {
    kind: u8,
    #[codec(align = 3)]
    value: u32,
}

fn main() {}
