use codec::Encode;

#[derive(Encode)]
struct Header {
    #[codec(len = u8)]
    size: u32,
}

fn main() {}
