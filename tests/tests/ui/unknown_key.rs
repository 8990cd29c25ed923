use codec::Encode;

#[derive(Encode)]
struct StoreRequest {
    trans: u8,
    #[codec(lenght = u8)]
    name: String,
}

fn main() {}
