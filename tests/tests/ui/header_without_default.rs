// `Header::write` writes `Self::default()` with the id and length filled in.
use codec::{Decode, Encode, Header};

#[derive(Encode, Decode, Header)]
struct NoDefault {
    #[codec(id)]
    id: u8,
    #[codec(payload_len)]
    len: u16,
}

fn main() {}
