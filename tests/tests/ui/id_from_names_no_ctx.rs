// `id_from` must name one of the enum's own context values. The parent
// passing the context reports nothing more: the one error is the enum's.
use codec::{Decode, Encode};

#[derive(Encode, Decode)]
#[codec(ctx(kind: u8), id_from = rtype)]
enum Rdata {
    #[codec(id = 1)]
    A([u8; 4]),
}

#[derive(Encode, Decode)]
struct Record {
    kind: u8,
    #[codec(ctx(kind = kind))]
    rdata: Rdata,
}

fn main() {}
