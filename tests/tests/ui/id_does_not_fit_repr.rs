use codec::Encode;

#[derive(Encode)]
#[codec(repr = u8)]
enum Command {
    #[codec(id = 256)]
    Put(u8),
}

fn main() {}
