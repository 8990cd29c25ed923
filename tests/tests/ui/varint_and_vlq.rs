use codec::Encode;

#[derive(Encode)]
struct Counter {
    #[codec(varint, vlq)]
    n: u64,
}

fn main() {}
