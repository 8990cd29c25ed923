use codec::{Decode, Encode};

#[derive(Debug, PartialEq, Encode, Decode)]
struct StoreRequest {
    #[codec(tag)]
    trans: u8,
    #[codec(len = u8)]
    name: String,
    #[codec(len = u16)]
    data: Vec<u8>,
}

#[derive(Debug, PartialEq, Encode, Decode)]
struct Packet<'a> {
    #[codec(vlq)]
    tag: u64,
    #[codec(vlq)]
    flags: u64,
    #[codec(when = flags & 1 != 0, vlq)]
    channel: Option<u64>,
    #[codec(when = flags & 2 != 0)]
    #[codec(vlq)]
    rq_type: Option<u64>,
    #[codec(rest)]
    payload: &'a [u8],
}

#[derive(Debug, PartialEq, Encode, Decode)]
#[codec(endian = "little")]
struct Le {
    a: u32,
    nlen: u8,
    #[codec(len_from = nlen)]
    name: String,
    #[codec(skip)]
    cache: u32,
}

#[derive(Debug, PartialEq, Encode, Decode)]
#[codec(repr = u16)]
enum Shape {
    #[codec(id = 1)]
    Circle {
        r: f32,
    },
    #[codec(id = 2)]
    Rect(u8, u8),
    Empty,
    #[codec(other)]
    Unknown(u16, #[codec(rest)] Vec<u8>),
}

#[test]
fn smoke() {
    let req = StoreRequest {
        trans: 7,
        name: "key".into(),
        data: b"hello".to_vec(),
    };
    let b = req.to_bytes().unwrap();
    assert_eq!(
        b,
        [0x07, 0x03, 0x6B, 0x65, 0x79, 0x00, 0x05, 0x68, 0x65, 0x6C, 0x6C, 0x6F]
    );
    assert_eq!(StoreRequest::from_bytes(&b).unwrap(), req);
    let p = Packet {
        tag: 2,
        flags: 2,
        channel: None,
        rq_type: Some(1),
        payload: b"hello",
    };
    let b = p.to_bytes().unwrap();
    assert_eq!(b, [0x02, 0x02, 0x01, b'h', b'e', b'l', b'l', b'o']);
    assert_eq!(Packet::from_bytes(&b).unwrap(), p);
    let le = Le {
        a: 1,
        nlen: 0,
        name: "ab".into(),
        cache: 9,
    };
    let b = le.to_bytes().unwrap();
    assert_eq!(b, [1, 0, 0, 0, 2, b'a', b'b']);
    assert_eq!(
        Le::from_bytes(&b).unwrap(),
        Le {
            a: 1,
            nlen: 2,
            name: "ab".into(),
            cache: 0
        }
    );
    for s in [
        Shape::Circle { r: 1.5 },
        Shape::Rect(1, 2),
        Shape::Empty,
        Shape::Unknown(77, vec![1, 2]),
    ] {
        let b = s.to_bytes().unwrap();
        assert_eq!(Shape::from_bytes(&b).unwrap(), s, "{b:?}");
    }
    let e = StoreRequest::from_bytes(&[7, 5, b'k']).unwrap_err();
    assert_eq!(
        e.to_string(),
        "unexpected end of input (need 5 bytes, have 1) at byte 2 in StoreRequest.name"
    );
}
