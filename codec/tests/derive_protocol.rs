//! The tutorial protocol through `#[derive(Message, Protocol)]`: golden
//! frames, ids, conversions, hostile frames and the `explain` view.

use codec::{Decode, DecodeErrorKind, Encode, Message, Protocol, RawFrame};

#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x01, response = StoreResponse)]
struct StoreRequest {
    #[codec(tag)]
    trans: u8,
    #[codec(len = u8)]
    name: String,
    #[codec(len = u16)]
    data: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x02)]
struct StoreResponse {
    #[codec(tag)]
    trans: u8,
    #[codec(len = u8)]
    name: String,
    status: u8,
}

#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x20)]
struct Changed {
    #[codec(len = u8)]
    name: String,
}

#[derive(Debug, Clone, PartialEq, Protocol)]
enum Storage {
    StoreRequest(StoreRequest),
    StoreResponse(StoreResponse),
    Changed(Changed),
}

#[derive(Debug, Clone, PartialEq, Protocol)]
#[codec(header = codec::WideHeader)]
enum Open {
    StoreRequest(StoreRequest),
    #[codec(other)]
    Unknown(RawFrame),
}

fn req() -> StoreRequest {
    StoreRequest {
        trans: 7,
        name: "key".into(),
        data: b"hello".to_vec(),
    }
}

#[test]
fn golden_frames() {
    // id | len   | trans | name.len | name     | data.len | data
    // 01 | 00 0C | 07    | 03       | 6B 65 79 | 00 05    | 68 65 6C 6C 6F
    let frame = Storage::from(req()).to_bytes().unwrap();
    assert_eq!(
        frame,
        [
            0x01, 0x00, 0x0C, 0x07, 0x03, 0x6B, 0x65, 0x79, 0x00, 0x05, 0x68, 0x65, 0x6C, 0x6C,
            0x6F
        ]
    );
    assert_eq!(
        Storage::from_bytes(&frame).unwrap(),
        Storage::StoreRequest(req())
    );
    // id | len   | trans | name.len | name     | status
    // 02 | 00 06 | 07    | 03       | 6B 65 79 | 00
    let resp = StoreResponse {
        trans: 7,
        name: "key".into(),
        status: 0,
    };
    let frame = Storage::from(resp.clone()).to_bytes().unwrap();
    assert_eq!(
        frame,
        [0x02, 0x00, 0x06, 0x07, 0x03, 0x6B, 0x65, 0x79, 0x00]
    );
    assert_eq!(
        StoreResponse::try_from(Storage::from_bytes(&frame).unwrap()),
        Ok(resp)
    );
}

#[test]
fn ids_names_tags() {
    let mut msg = Storage::from(req());
    assert_eq!((msg.id(), msg.name()), (1, "StoreRequest"));
    assert_eq!(Storage::name_of(0x20), Some("Changed"));
    assert_eq!(Storage::name_of(0x21), None);
    assert_eq!(<Storage as Protocol>::TAG_MAX, 255);
    assert_eq!(msg.tag(), Some(7));
    assert!(msg.set_tag(200));
    assert!(!msg.set_tag(256), "a u8 tag cannot hold 256");
    assert_eq!(msg.tag(), Some(200));
    assert_eq!(Storage::from(Changed { name: "k".into() }).tag(), None);
    assert!(StoreRequest::try_from(Storage::from(Changed { name: "k".into() })).is_err());
}

#[test]
fn hostile_frames() {
    let unknown = Storage::from_bytes(&[0x09, 0x00, 0x00]).unwrap_err();
    assert_eq!(unknown.kind(), &DecodeErrorKind::UnknownId(9));
    // One byte too few and one too many in the header's length.
    let mut short = Storage::from(req()).to_bytes().unwrap();
    short[2] = 0x0B;
    short.pop();
    assert!(matches!(
        Storage::from_bytes(&short).unwrap_err().kind(),
        DecodeErrorKind::LengthMismatch { .. }
    ));
    let mut long = Storage::from(req()).to_bytes().unwrap();
    long[2] = 0x0D;
    long.push(0);
    assert!(matches!(
        Storage::from_bytes(&long).unwrap_err().kind(),
        DecodeErrorKind::LengthMismatch {
            declared: 13,
            actual: 12
        }
    ));
    for cut in 0..15 {
        let frame = Storage::from(req()).to_bytes().unwrap();
        let err = Storage::from_bytes(&frame[..cut]).unwrap_err();
        assert!(err.bytes_needed().is_some(), "prefix of {cut} bytes: {err}");
    }
}

#[test]
fn other_variant_keeps_unknown_frames() {
    // id 00 7F | len 00 00 00 02 | payload AA BB
    let frame = [0x00, 0x7F, 0x00, 0x00, 0x00, 0x02, 0xAA, 0xBB];
    let msg = Open::from_bytes(&frame).unwrap();
    assert_eq!(msg, Open::Unknown(RawFrame::new(0x7F, vec![0xAA, 0xBB])));
    assert_eq!(msg.id(), 0x7F);
    assert_eq!(msg.to_bytes().unwrap(), frame);
}

#[test]
fn layout_is_described() {
    let f = StoreRequest::FIELDS;
    assert_eq!(f.len(), 3);
    assert_eq!(
        (f[0].name, f[0].offset, f[0].width, f[0].encoding),
        ("trans", Some(0), Some(1), "u8")
    );
    assert_eq!(
        (f[1].name, f[1].offset, f[1].width, f[1].encoding),
        ("name", Some(1), None, "len = u8, String")
    );
    assert_eq!((f[2].name, f[2].offset, f[2].width), ("data", None, None));
}

#[test]
fn explain_snapshot() {
    let frame = Storage::from(req()).to_bytes().unwrap();
    let expected = "\
0000  01           header.id = 0x01 (StoreRequest)
0001  00 0c        header.len = 12
0003  07           StoreRequest.trans = 7
0004  03           StoreRequest.name.len = 3
0005  6b 65 79     StoreRequest.name = \"key\"
0008  00 05        StoreRequest.data.len = 5
000a  68 65 6c 6c  StoreRequest.data = 5 bytes \"hello\"
000e  6f
";
    assert_eq!(codec::explain::<Storage>(&frame), expected);
}

/// Found by fuzzing (`protocol_frame`): a length inside the payload that
/// claims nearly 2^64 bytes, in a frame whose header is complete, made the
/// length-mismatch report overflow. It is a clear error now.
#[test]
fn a_huge_inner_length_in_a_complete_frame_is_a_length_mismatch() {
    #[derive(Debug, PartialEq, Encode, Decode, Message)]
    #[codec(id = 0x07)]
    struct Blob {
        #[codec(len = u64)]
        data: Vec<u8>,
    }
    #[derive(Debug, PartialEq, Protocol)]
    enum Blobs {
        Blob(Blob),
    }
    // id 07 | len 00 08 | data.len FF FF FF FF FF FF FF FF
    let frame = [
        0x07, 0x00, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    ];
    let err = Blobs::from_bytes(&frame).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            DecodeErrorKind::LengthMismatch {
                declared: 8,
                actual: u64::MAX
            }
        ),
        "{err}"
    );
}

/// Found by fuzzing (`roundtrip`, F1/F2): an `other` frame carrying an id a
/// message claims would decode as that message, so it does not encode;
/// its name is `RawFrame::NAME`.
#[test]
fn other_frames_cannot_carry_a_claimed_id() {
    let claimed = Open::Unknown(RawFrame::new(0x01, vec![]));
    let err = claimed.to_bytes().unwrap_err();
    assert_eq!(
        err.to_string(),
        "an `other` frame cannot carry an id a message claims"
    );
    let free = Open::Unknown(RawFrame::new(0x7F, vec![1]));
    assert_eq!(free.name(), RawFrame::NAME);
    assert!(free.to_bytes().is_ok());
}
