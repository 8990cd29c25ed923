// A header without a `payload_len` field cannot say how long a frame is.
use codec::{Decode, Encode, Header};

#[derive(Default, Encode, Decode, Header)]
struct NoLen {
    #[codec(id)]
    id: u8,
    len: u16,
}

fn main() {}
