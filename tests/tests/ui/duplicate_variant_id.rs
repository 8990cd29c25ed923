use codec::Encode;

#[derive(Encode)]
#[codec(repr = u8)]
enum Command {
    #[codec(id = 1)]
    Put(u8),
    #[codec(id = 1)]
    Get(u8),
}

fn main() {}
