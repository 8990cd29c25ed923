use codec::{Decode, Encode};

// Every input error is reported, each once (rustc merges the identical
// errors of the two derives), and nothing else: no cascade of trait errors
// from the placeholder impls.
#[derive(Encode, Decode)]
struct StoreRequest {
    #[codec(len = u8)]
    trans: u8,
    #[codec(rest)]
    name: String,
    #[codec(when = true)]
    data: Vec<u8>,
}

fn main() {}
