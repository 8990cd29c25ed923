use codec::Encode;

#[derive(Encode)]
struct Cached {
    id: u8,
    #[codec(skip, len = u8)]
    cache: Vec<u8>,
}

fn main() {}
