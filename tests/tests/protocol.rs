//! `#[derive(Message, Protocol)]` beyond the bytes: ids, names and tags,
//! the described field layout, and the `explain` view of a frame. (The
//! frames' golden bytes are in golden.rs, hostile frames in hostile.rs.)

use codec::{Encode, Message, Protocol};
use codec_tests::tutorial::{sample_request, Changed, Storage, StoreRequest};

#[test]
fn ids_names_tags() {
    let mut msg = Storage::from(sample_request());
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
    let frame = Storage::from(sample_request()).to_bytes().unwrap();
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
