// A request's method must answer the message's declared `response`.
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

#[derive(Encode, Decode, Message)]
#[codec(id = 3)]
struct Refused {
    reason: u8,
}

#[derive(Protocol)]
#[codec(service = KvService)]
enum Kv {
    #[codec(request)]
    Put(Put),
    Stored(Stored),
    Refused(Refused),
}

struct Store;

impl KvService<()> for Store {
    async fn put(&self, _: Put, _: &()) -> Refused {
        Refused { reason: 1 }
    }
}

fn main() {}
