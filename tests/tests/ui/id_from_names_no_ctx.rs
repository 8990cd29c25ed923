// `id_from` must name one of the enum's own context values.
use codec::{Decode, Encode};

#[derive(Encode, Decode)]
#[codec(ctx(kind: u8), id_from = rtype)]
enum Rdata {
    #[codec(id = 1)]
    A([u8; 4]),
}

fn main() {}
