// A protocol's ids must fit its derived header's id field: a u8 caps at 255.
use codec::{Decode, Encode, Header, Message, Protocol};

#[derive(Default, Encode, Decode, Header)]
struct Small {
    #[codec(id)]
    id: u8,
    #[codec(payload_len, varint, max_bytes = 2)]
    len: u16,
}

#[derive(Encode, Decode, Message)]
#[codec(id = 0x100)]
struct Big {
    x: u8,
}

#[derive(Protocol)]
#[codec(header = Small)]
enum P {
    Big(Big),
}

fn main() {}
