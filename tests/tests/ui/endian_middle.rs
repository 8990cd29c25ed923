use codec::Encode;

#[derive(Encode)]
#[codec(endian = "middle")]
struct Word {
    value: u32,
}

fn main() {}
