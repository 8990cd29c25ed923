// A variant holding a request (`response` declared) must be marked
// `#[codec(request)]` when the protocol has a service trait.
use codec::{Decode, Encode, Message, Protocol};

#[derive(Encode, Decode, Message)]
#[codec(id = 1, response = Stored)]
struct Put {
    value: u32,
}

#[derive(Encode, Decode, Message)]
#[codec(id = 2)]
struct Stored {
    total: u32,
}

#[derive(Protocol)]
#[codec(service = KvService)]
enum Kv {
    Put(Put),
    Stored(Stored),
}

fn main() {}
