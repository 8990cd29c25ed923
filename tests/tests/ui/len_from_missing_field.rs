use codec::Encode;

#[derive(Encode)]
struct StoreRequest {
    nlen: u8,
    #[codec(len_from = nlne)]
    name: String,
}

fn main() {}
