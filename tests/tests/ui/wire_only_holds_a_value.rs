use codec::{Decode, Encode};

// A wire-only field is on the wire only: its struct field holds nothing.
#[derive(Encode, Decode)]
struct Header {
    #[codec(wire = u8, value = 2)]
    version: u8,
    body: u16,
}

fn main() {}
