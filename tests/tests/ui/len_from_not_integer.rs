use codec::Encode;

#[derive(Encode)]
struct StoreRequest {
    nlen: String,
    #[codec(len_from = nlen)]
    name: String,
}

fn main() {}
