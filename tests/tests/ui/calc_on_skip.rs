use codec::{Decode, Encode};

// A `skip` field is not on the wire: there is nothing to compute.
#[derive(Encode, Decode)]
struct Connect {
    #[codec(skip, calc = u8::from(user.is_some()) << 7)]
    flags: u8,
    #[codec(len = u16)]
    user: Option<String>,
}

fn main() {}
