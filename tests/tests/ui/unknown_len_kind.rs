use codec::Encode;

#[derive(Encode)]
struct StoreRequest {
    #[codec(len = u24)]
    name: String,
}

fn main() {}
