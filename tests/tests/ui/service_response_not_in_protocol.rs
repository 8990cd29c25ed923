// A request whose `response` is not one of the protocol's messages.
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
    #[codec(request)]
    Put(Put),
}

fn main() {}
