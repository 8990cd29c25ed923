// `#[codec(request)]` on a variant whose message declares no `response`.
use codec::{Decode, Encode, Message, Protocol};

#[derive(Encode, Decode, Message)]
#[codec(id = 1)]
struct Changed {
    version: u32,
}

#[derive(Protocol)]
#[codec(service = WatchService)]
enum Watch {
    #[codec(request)]
    Changed(Changed),
}

fn main() {}
