use codec::Encode;

#[derive(Encode)]
struct Words {
    #[codec(unit = bytes)]
    words: Vec<u16>,
}

fn main() {}
