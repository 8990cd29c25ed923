use codec::{Encode, Message};

// Where each kind of error points (the texts themselves are pinned by the
// unit tests in codec-derive/src/tests.rs): a key given twice at its second
// use, an unknown key at the key, a bad value at the value, a `len_from`
// at the field it names, a `when` at its expression, an id at the id, and
// a missing message id at the type's name.

#[derive(Encode)]
#[codec(endian = "middle")]
struct Keys {
    #[codec(len = u8)]
    #[codec(len = u16)]
    a: String,
    #[codec(lenght = u8)]
    b: String,
    #[codec(len = u12)]
    c: String,
    #[codec(len_from = nlne)]
    d: String,
    #[codec(when = later & 1 != 0)]
    e: Option<u8>,
    later: u8,
}

#[derive(Encode)]
#[codec(repr = u8)]
enum Ids {
    #[codec(id = 1)]
    A(u8),
    #[codec(id = 1)]
    B(u8),
    #[codec(id = 256)]
    C(u8),
}

#[derive(Encode, Message)]
struct Anonymous {
    n: u8,
}

fn main() {}
