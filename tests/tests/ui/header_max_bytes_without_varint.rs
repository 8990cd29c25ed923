// `max_bytes` caps a base-128 integer; a fixed-width one has no cap to set.
use codec::{Decode, Encode, Header};

#[derive(Default, Encode, Decode, Header)]
struct Capped {
    #[codec(id)]
    id: u8,
    #[codec(payload_len, max_bytes = 4)]
    len: u32,
}

fn main() {}
