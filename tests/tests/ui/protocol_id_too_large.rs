use codec::{Decode, Encode, Message, Protocol};

#[derive(Encode, Decode, Message)]
#[codec(id = 0x100)]
struct Wide {
    n: u8,
}

// StdHeader carries a u8 id: 0x100 does not fit.
#[derive(Protocol)]
enum Narrow {
    Wide(Wide),
}

fn main() {}
