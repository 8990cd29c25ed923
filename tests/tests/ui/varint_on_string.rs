use codec::Encode;

#[derive(Encode)]
struct Name {
    #[codec(varint)]
    name: String,
}

fn main() {}
