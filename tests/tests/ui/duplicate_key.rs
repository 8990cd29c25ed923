use codec::Encode;

#[derive(Encode)]
struct StoreRequest {
    trans: u8,
    #[codec(len = u8)]
    #[codec(len = u16)]
    name: String,
}

fn main() {}
