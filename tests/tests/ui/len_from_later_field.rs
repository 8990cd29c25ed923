use codec::Encode;

#[derive(Encode)]
struct StoreRequest {
    #[codec(len_from = nlen)]
    name: String,
    nlen: u8,
}

fn main() {}
