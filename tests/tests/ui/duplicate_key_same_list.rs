use codec::Encode;

#[derive(Encode)]
struct StoreRequest {
    #[codec(len = u8, len = u16)]
    name: String,
}

fn main() {}
