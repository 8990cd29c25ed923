// The id and the length are unsigned integers the header writes from u64.
use codec::{Decode, Encode, Header};

#[derive(Default, Encode, Decode, Header)]
struct Signed {
    #[codec(id)]
    id: i16,
    #[codec(payload_len)]
    len: u16,
}

fn main() {}
