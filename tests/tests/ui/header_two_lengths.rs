// One frame, one length: two `payload_len` fields are an error at the second.
use codec::{Decode, Encode, Header};

#[derive(Default, Encode, Decode, Header)]
struct TwoLens {
    #[codec(payload_len)]
    a: u16,
    #[codec(payload_len)]
    b: u16,
}

fn main() {}
