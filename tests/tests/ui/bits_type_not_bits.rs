// A type in a bit field needs `EncodeBits`/`DecodeBits` (fieldless enums
// get them from their derives; a struct does not).
use codec::{Decode, Encode};

#[derive(Encode, Decode)]
struct Inner {
    a: u8,
}

#[derive(Encode, Decode)]
struct Flags {
    #[codec(bits = 8)]
    inner: Inner,
}

fn main() {}
