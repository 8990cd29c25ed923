use codec::Encode;

struct Opaque;

#[derive(Encode)]
struct Holder {
    id: u8,
    inner: Opaque,
}

fn main() {}
