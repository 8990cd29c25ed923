use codec::{Decode, Encode, Message, Protocol};

#[derive(Encode, Decode, Message)]
#[codec(id = 1)]
struct Ping {
    n: u8,
}

#[derive(Encode, Decode, Message)]
#[codec(id = 1)]
struct Pong {
    n: u8,
}

#[derive(Protocol)]
enum Game {
    Ping(Ping),
    Pong(Pong),
}

fn main() {}
