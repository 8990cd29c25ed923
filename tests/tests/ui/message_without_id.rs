use codec::{Encode, Message};

#[derive(Encode, Message)]
struct Anonymous {
    n: u8,
}

fn main() {}
