//! Std types on the wire (`codec::std_types`): golden bytes in derived
//! structs, round trips, hostile input (exact truncation, zero `NonZero*`,
//! duplicate keys, bad address families, missing NUL), allocation bounded
//! by the input for maps and sets, and their `explain` and `FIELDS`.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ffi::CString;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::num::{NonZeroI8, NonZeroU16, NonZeroU32};
use std::rc::Rc;
use std::sync::Arc;

use codec::{Decode, DecodeError, DecodeErrorKind, Encode, Message};
use codec_tests::alloc::{largest_during, Counting};
use codec_tests::strategies::{c_string, hashed, std_types};
use codec_tests::types::{Hashed, StdProto, StdTypes};
use codec_tests::{assert_error, assert_truncations, golden, shapes, Hex};
use proptest::prelude::*;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The golden value: every field of [`StdTypes`] with a small, readable
/// value.
fn sample() -> StdTypes<'static> {
    StdTypes {
        id: NonZeroU32::new(0x0102_0304).unwrap(),
        small: NonZeroI8::new(-1).unwrap(),
        v4: Ipv4Addr::new(192, 168, 0, 1),
        v6: Ipv6Addr::LOCALHOST,
        ip: IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        sock: SocketAddr::from((Ipv4Addr::new(10, 0, 0, 1), 80)),
        sock6: SocketAddrV6::new(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1), 443, 7, 2),
        name: CString::new("hi").unwrap(),
        label: c"",
        text: Cow::Borrowed("key"),
        blob: Cow::Owned(vec![0xAA, 0xBB]),
        shared: Arc::new(0x0506),
        local: Arc::from("é"),
        map: BTreeMap::from([(2, "b".to_string()), (1, "a".to_string())]),
        set: BTreeSet::from([3, 1]),
        tuple: (1, 0x0203, 4, 5, 6),
        le: (0x0102, NonZeroU16::new(0x0304).unwrap(), 7, 8, 9),
        wide: (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11),
    }
}

/// ```text
/// offset field   bytes
///   0    id      01 02 03 04                          NonZeroU32, big-endian
///   4    small   FF                                   NonZeroI8 -1
///   5    v4      C0 A8 00 01                          192.168.0.1
///   9    v6      00 (x15) 01                          ::1
///  25    ip      06 | 20 01 0D B8 00 (x11) 01         family 6, 2001:db8::1
///  42    sock    04 | 0A 00 00 01 | 00 50             family 4, 10.0.0.1, port 80
///  49    sock6   FE 80 00 (x13) 01 | 01 BB | 00 00 00 07 | 00 00 00 02
///                address fe80::1 | port 443 | flow info 7 | scope id 2
///  75    name    68 69 00                             "hi", NUL
///  78    label   00                                   "", NUL
///  79    text    03 | 6B 65 79                        LEB128 length, "key"
///  83    blob    02 | AA BB                           len = u8
///  86    shared  05 06                                Arc<u16>
///  88    local   02 | C3 A9                           Arc<str> "é"
///  91    map     02 | 01 01 61 | 02 01 62             count | key, "a" | key, "b"
///  98    set     00 02 | 00 01 | 00 03                len = u16 | 1 | 3
/// 104    tuple   01 | 02 03 | 04 | 05 | 06
/// 110    le      02 01 | 04 03 | 07 | 08 | 09         endian = "little" reaches the elements
/// 117    wide    00 01 02 03 04 05 06 07 08 09 0A 0B  12 elements
/// 129    end
/// ```
const SAMPLE: &[u8] = &[
    0x01, 0x02, 0x03, 0x04, // id
    0xFF, // small
    0xC0, 0xA8, 0x00, 0x01, // v4
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, // v6
    0x06, 0x20, 0x01, 0x0D, 0xB8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, // ip
    0x04, 0x0A, 0x00, 0x00, 0x01, 0x00, 0x50, // sock
    0xFE, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x01, 0xBB, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x02, // sock6
    0x68, 0x69, 0x00, // name
    0x00, // label
    0x03, 0x6B, 0x65, 0x79, // text
    0x02, 0xAA, 0xBB, // blob
    0x05, 0x06, // shared
    0x02, 0xC3, 0xA9, // local
    0x02, 0x01, 0x01, 0x61, 0x02, 0x01, 0x62, // map
    0x00, 0x02, 0x00, 0x01, 0x00, 0x03, // set
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, // tuple
    0x02, 0x01, 0x04, 0x03, 0x07, 0x08, 0x09, // le
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, // wide
];

#[test]
fn std_types_golden() {
    assert_eq!(SAMPLE.len(), 129);
    // Also every strict prefix: an exact "need n more bytes".
    golden(&sample(), SAMPLE);
}

#[test]
fn cow_decodes_borrowed_from_the_input() {
    let v = StdTypes::from_bytes(SAMPLE).unwrap();
    let (Cow::Borrowed(text), Cow::Borrowed(blob)) = (&v.text, &v.blob) else {
        panic!("decoded owned: {:?} {:?}", v.text, v.blob);
    };
    assert!(SAMPLE.as_ptr_range().contains(&text.as_ptr()));
    assert!(SAMPLE.as_ptr_range().contains(&blob.as_ptr()));
    assert_eq!(v.label.as_ptr().cast::<u8>(), SAMPLE[78..].as_ptr());
}

/// `Hashed` with one element per hash collection, so the bytes are fixed.
///
/// ```text
/// map      01 | 00 07 | 02 68 69          count 1 | key 7 | "hi"
/// set      04 | 00 00 01 00               len = u8, unit = bytes: 4 bytes | 256
/// shared   02 | 00 01 | 00 02             len = u8 (elements) | Rc<[u16]> [1, 2]
/// n        02                             length of keys
/// keys     05 09                          len_from = n
/// tail     01 00 0A | 02 00 0B            rest: key, u16 value, to the end
/// ```
#[test]
fn hashed_golden() {
    let v = Hashed {
        map: HashMap::from([(7, "hi".to_string())]),
        set: HashSet::from([256]),
        shared: Rc::from([1, 2]),
        n: 2,
        keys: BTreeSet::from([9, 5]),
        tail: BTreeMap::from([(2, 11), (1, 10)]),
    };
    let bytes = [
        0x01, 0x00, 0x07, 0x02, 0x68, 0x69, // map
        0x04, 0x00, 0x00, 0x01, 0x00, // set
        0x02, 0x00, 0x01, 0x00, 0x02, // shared
        0x02, // n
        0x05, 0x09, // keys
        0x01, 0x00, 0x0A, 0x02, 0x00, 0x0B, // tail
    ];
    assert_eq!(Hex(&v.to_bytes().unwrap()), Hex(&bytes));
    assert_eq!(v.encoded_len(), bytes.len());
    assert_eq!(Hashed::from_bytes(&bytes).unwrap(), v);
    // Up to the start of `tail`, every prefix is an exact need; from there,
    // a prefix ending between entries decodes a shorter tail, and one
    // ending inside an entry is a malformed body.
    assert_truncations::<Hashed>(&bytes[..19], 19);
    assert_eq!(Hashed::from_bytes(&bytes[..22]).unwrap().tail.len(), 1);
    let e = Hashed::from_bytes(&bytes[..21]).unwrap_err();
    assert_error(
        &e,
        DecodeErrorKind::Invalid("byte length ends inside an element"),
        20,
        "Hashed.tail[0].value",
        "byte length ends inside an element at byte 20 in Hashed.tail[0].value",
    );
}

/// Bare values of each type, outside any struct.
#[test]
fn bare_values_golden() {
    let v4 = SocketAddr::from((Ipv4Addr::new(127, 0, 0, 1), 0x1F90));
    golden(&v4, &[0x04, 0x7F, 0x00, 0x00, 0x01, 0x1F, 0x90]);
    golden(
        &IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4)),
        &[0x04, 0x01, 0x02, 0x03, 0x04],
    );
    golden(&CString::new("abc").unwrap(), b"abc\0");
    golden(&NonZeroU16::new(0x0102).unwrap(), &[0x01, 0x02]);
    golden(&BTreeSet::from(["b", "a"]), &[0x02, 0x01, b'a', 0x01, b'b']);
    golden(&Rc::new(7u8), &[0x07]);
    golden(&Arc::<[u16]>::from([1]), &[0x01, 0x00, 0x01]);
    // Little-endian reaches a NonZero through `encode_with`.
    let mut buf = Vec::new();
    NonZeroU32::new(1)
        .unwrap()
        .encode_with(&mut buf, codec::Endian::Little)
        .unwrap();
    assert_eq!(buf, [1, 0, 0, 0]);
    // Ports stay big-endian in a little-endian field.
    buf.clear();
    v4.encode_with(&mut buf, codec::Endian::Little).unwrap();
    assert_eq!(buf, [0x04, 0x7F, 0x00, 0x00, 0x01, 0x1F, 0x90]);
}

// ## Round trips

proptest! {
    #[test]
    fn std_types_round_trip((v, label) in std_types()) {
        let mut v: StdTypes<'_> = v;
        v.label = &label;
        let bytes = v.to_bytes().unwrap();
        prop_assert_eq!(v.encoded_len(), bytes.len());
        prop_assert_eq!(StdTypes::from_bytes(&bytes).unwrap(), v);
        assert_truncations::<StdTypes>(&bytes, bytes.len());
    }

    #[test]
    fn hashed_round_trip(v in hashed()) {
        let bytes = v.to_bytes().unwrap();
        prop_assert_eq!(v.encoded_len(), bytes.len());
        prop_assert_eq!(Hashed::from_bytes(&bytes).unwrap(), v);
    }

    #[test]
    fn c_string_round_trip(v in c_string(100)) {
        let bytes = v.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), v.as_bytes().len() + 1);
        prop_assert_eq!(CString::from_bytes(&bytes).unwrap(), v);
    }

    /// Random bytes never panic, and an error always has an offset within
    /// the input.
    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        for e in [
            StdTypes::from_bytes(&bytes).err(),
            Hashed::from_bytes(&bytes).err(),
            StdProto::from_bytes(&bytes).err(),
        ]
        .into_iter()
        .flatten()
        {
            prop_assert!(e.offset() <= bytes.len(), "{e}");
        }
        let _ = codec::explain::<StdProto>(&bytes);
    }
}

// ## Hostile input

/// The golden bytes with `bytes[at..]` overwritten by `with`.
fn patched(at: usize, with: &[u8]) -> Vec<u8> {
    let mut b = SAMPLE.to_vec();
    b[at..at + with.len()].copy_from_slice(with);
    b
}

#[track_caller]
fn sample_error(at: usize, with: &[u8]) -> DecodeError {
    let bytes = patched(at, with);
    StdTypes::from_bytes(&bytes).expect_err("patched sample decoded")
}

#[test]
fn zero_non_zero_is_an_error_at_its_offset() {
    assert_error(
        &sample_error(0, &[0, 0, 0, 0]),
        DecodeErrorKind::IntegerOutOfRange {
            value: 0,
            target: "NonZeroU32",
        },
        0,
        "StdTypes.id",
        "integer 0 out of range for NonZeroU32 at byte 0 in StdTypes.id",
    );
    assert_error(
        &sample_error(4, &[0]),
        DecodeErrorKind::IntegerOutOfRange {
            value: 0,
            target: "NonZeroI8",
        },
        4,
        "StdTypes.small",
        "integer 0 out of range for NonZeroI8 at byte 4 in StdTypes.small",
    );
    // Inside a tuple: the element is named.
    assert_error(
        &sample_error(112, &[0, 0]),
        DecodeErrorKind::IntegerOutOfRange {
            value: 0,
            target: "NonZeroU16",
        },
        112,
        "StdTypes.le.1",
        "integer 0 out of range for NonZeroU16 at byte 112 in StdTypes.le.1",
    );
}

#[test]
fn duplicate_keys_are_errors_naming_the_element() {
    // map: 02 | 01 01 61 | 01 01 62: the second entry repeats key 1.
    assert_error(
        &sample_error(95, &[0x01]),
        DecodeErrorKind::Invalid("duplicate map key"),
        95,
        "StdTypes.map[1]",
        "duplicate map key at byte 95 in StdTypes.map[1]",
    );
    // set: 00 02 | 00 01 | 00 01.
    assert_error(
        &sample_error(102, &[0x00, 0x01]),
        DecodeErrorKind::Invalid("duplicate set element"),
        102,
        "StdTypes.set[1]",
        "duplicate set element at byte 102 in StdTypes.set[1]",
    );
    // Hash collections too, at the third element: count 3 | 1 "" | 2 "" | 1 "".
    let bytes = [3, 0, 1, 0, 0, 2, 0, 0, 1, 0, 0, 0, 0, 0];
    assert_error(
        &Hashed::from_bytes(&bytes).unwrap_err(),
        DecodeErrorKind::Invalid("duplicate map key"),
        7,
        "Hashed.map[2]",
        "duplicate map key at byte 7 in Hashed.map[2]",
    );
    // set (4-byte elements, 8 bytes): 7 then 7.
    let bytes = [0, 8, 0, 0, 0, 7, 0, 0, 0, 7, 0, 0];
    assert_error(
        &Hashed::from_bytes(&bytes).unwrap_err(),
        DecodeErrorKind::Invalid("duplicate set element"),
        6,
        "Hashed.set[1]",
        "duplicate set element at byte 6 in Hashed.set[1]",
    );
    // A bare map, decoded on its own.
    let e = HashMap::<u8, u8>::from_bytes(&[2, 5, 1, 5, 2]).unwrap_err();
    assert_eq!((e.offset(), e.path().to_string()), (3, "[1]".to_string()));
}

#[test]
fn element_errors_name_the_element() {
    // The second map value is not UTF-8.
    assert_error(
        &sample_error(97, &[0xFF]),
        DecodeErrorKind::InvalidUtf8 { valid_up_to: 0 },
        97,
        "StdTypes.map[1].value",
        "invalid utf-8 (valid up to byte 0 of the string) at byte 97 in StdTypes.map[1].value",
    );
    // A byte-counted set whose length ends inside its first element.
    let bytes = [0, 3, 0, 0, 0, 0, 0, 0];
    assert_error(
        &Hashed::from_bytes(&bytes).unwrap_err(),
        DecodeErrorKind::Invalid("byte length ends inside an element"),
        2,
        "Hashed.set[0]",
        "byte length ends inside an element at byte 2 in Hashed.set[0]",
    );
    // A truncated 12-tuple names the element it stopped in.
    let e = StdTypes::from_bytes(&SAMPLE[..120]).unwrap_err();
    assert_error(
        &e,
        DecodeErrorKind::UnexpectedEnd {
            needed: 1,
            available: 0,
        },
        120,
        "StdTypes.wide.3",
        "unexpected end of input (need 1 byte, have 0) at byte 120 in StdTypes.wide.3",
    );
}

#[test]
fn unknown_address_family() {
    assert_error(
        &sample_error(25, &[0x05]),
        DecodeErrorKind::InvalidDiscriminant(5),
        25,
        "StdTypes.ip",
        "invalid discriminant 5 at byte 25 in StdTypes.ip",
    );
    assert_error(
        &sample_error(42, &[0x00]),
        DecodeErrorKind::InvalidDiscriminant(0),
        42,
        "StdTypes.sock",
        "invalid discriminant 0 at byte 42 in StdTypes.sock",
    );
}

#[test]
fn missing_nul_needs_one_more_byte_where_it_could_be() {
    // name: 68 69 and no NUL: the NUL could be the next byte.
    assert_error(
        &StdTypes::from_bytes(&SAMPLE[..77]).unwrap_err(),
        DecodeErrorKind::UnexpectedEnd {
            needed: 1,
            available: 0,
        },
        77,
        "StdTypes.name",
        "unexpected end of input (need 1 byte, have 0) at byte 77 in StdTypes.name",
    );
    // Each further non-NUL byte moves the need along.
    let e = CString::from_bytes(b"abc").unwrap_err();
    assert_eq!((e.offset(), e.bytes_needed()), (3, Some(1)));
    // In a complete frame, the frame's end is final: not "need more".
    let mut frame = StdProto::from(sample()).to_bytes().unwrap();
    let payload = 3;
    frame.truncate(payload + 77);
    frame[1..3].copy_from_slice(&77u16.to_be_bytes());
    let e = StdProto::from_bytes(&frame).unwrap_err();
    assert!(!e.is_incomplete(), "{e}");
    assert_eq!(e.path().to_string(), "StdTypes.name", "{e}");
}

// ## Allocation bounded by the input

// Maps and sets whose length claims far more elements than the input has.
shapes! {
    MapU32: BTreeMap<u8, String> => (len = u32);
    HashMapU32: HashMap<u16, Vec<u8>> => (len = u32);
    SetU32: HashSet<u8> => (len = u32);
    SetBytesU32: BTreeSet<u32> => (len = u32, unit = bytes);
    CStringsU32: Vec<CString> => (len = u32);
    CStringMapU32: HashMap<u8, CString> => (len = u32);
}

/// No attribute: the default LEB128 count.
#[derive(Debug, Decode)]
#[allow(dead_code, reason = "only decoded")]
struct MapVarint {
    v: HashMap<u8, u8>,
}

/// A 16-byte input: the claim as a big-endian `u32`, then distinct bytes
/// 1, 2, 3, ... (so sets accept them and strings are empty or short).
fn claim_u32(claim: u32) -> Vec<u8> {
    let mut v = claim.to_be_bytes().to_vec();
    v.extend(1..=12u8);
    v
}

/// Decodes each claim as `T`: an error, and no allocation larger than for a
/// claim of 13 (just over what 12 bytes can hold).
fn check<T: for<'de> Decode<'de> + std::fmt::Debug>(input: impl Fn(u32) -> Vec<u8>) -> usize {
    let name = std::any::type_name::<T>();
    let (small, small_max) = largest_during(|| T::from_bytes(&input(13)));
    assert!(small.is_err(), "{name}: a claim of 13 in 12 bytes decoded");
    for claim in [0xFFFF, 0x00FF_FFFF, 0xFFFF_FFFF] {
        let bytes = input(claim);
        let (result, max) = largest_during(|| T::from_bytes(&bytes));
        let err = result.expect_err("a huge claim decoded");
        assert!(
            max < 1024,
            "{name} claiming {claim}: allocated {max} bytes ({err})"
        );
        assert_eq!(max, small_max, "{name}: claiming {claim} ({err})");
    }
    small_max
}

#[test]
fn huge_counts_allocate_nothing_for_them() {
    let report = [
        check::<MapU32>(claim_u32),
        check::<HashMapU32>(claim_u32),
        check::<SetU32>(claim_u32),
        check::<SetBytesU32>(claim_u32),
        check::<CStringsU32>(claim_u32),
        check::<CStringMapU32>(claim_u32),
    ];
    eprintln!("largest allocation per shape: {report:?}");
    // A LEB128 count of 2^35 in a 5-byte varint, then 3 bytes.
    let bytes = [0x80, 0x80, 0x80, 0x80, 0x01, 1, 2, 3];
    let (result, max) = largest_during(|| MapVarint::from_bytes(&bytes));
    let e = result.unwrap_err();
    assert!(max < 256, "allocated {max} bytes ({e})");
    // One entry (1, 2) was read; the second needs its value.
    assert_eq!((e.offset(), e.bytes_needed()), (8, Some(1)), "{e}");
}

/// The counter works: a real 64-entry hash map reserves room for them.
#[test]
fn counter_sees_real_allocations() {
    let map: HashMap<u32, u32> = (0..64).map(|i| (i, i)).collect();
    let bytes = map.to_bytes().unwrap();
    let (back, max) = largest_during(|| HashMap::<u32, u32>::from_bytes(&bytes).unwrap());
    assert_eq!(back, map);
    assert!(max >= 64 * 8, "{max}");
}

// ## explain and FIELDS

#[test]
fn explain_shows_each_std_type() {
    let frame = StdProto::from(sample()).to_bytes().unwrap();
    let dump = codec::explain::<StdProto>(&frame);
    // One line per value: addresses in their usual notation, C strings
    // quoted, map entries as key and value, tuples element by element.
    let expected = "\
0000  30           header.id = 0x30 (StdTypes)
0001  00 81        header.len = 129
0003  01 02 03 04  StdTypes.id = 16909060
0007  ff           StdTypes.small = -1
0008  c0 a8 00 01  StdTypes.v4 = 192.168.0.1
000c  00 00 00 00  StdTypes.v6 = ::1
0010  00 00 00 00
0014  00 00 00 00
0018  00 00 00 01
001c  06 20 01 0d  StdTypes.ip = 2001:db8::1
0020  b8 00 00 00
0024  00 00 00 00
0028  …            (5 more bytes)
002d  04 0a 00 00  StdTypes.sock = 10.0.0.1:80
0031  01 00 50
0034  fe 80 00 00  StdTypes.sock6 = [fe80::1%2]:443
0038  00 00 00 00
003c  00 00 00 00
0040  …            (14 more bytes)
004e  68 69 00     StdTypes.name = \"hi\"
0051  00           StdTypes.label = \"\"
0052  03           StdTypes.text.len = 3
0053  6b 65 79     StdTypes.text = \"key\"
0056  02           StdTypes.blob.len = 2
0057  aa bb        StdTypes.blob = 2 bytes
0059  05 06        StdTypes.shared = 1286
005b  02           StdTypes.local.len = 2
005c  c3 a9        StdTypes.local = \"é\"
005e  02           StdTypes.map.len = 2
005f  01           StdTypes.map[0].key = 1
0060  01           StdTypes.map[0].value.len = 1
0061  61           StdTypes.map[0].value = \"a\"
0062  02           StdTypes.map[1].key = 2
0063  01           StdTypes.map[1].value.len = 1
0064  62           StdTypes.map[1].value = \"b\"
0065  00 02        StdTypes.set.len = 2
0067  00 01        StdTypes.set[0] = 1
0069  00 03        StdTypes.set[1] = 3
006b  01           StdTypes.tuple.0 = 1
006c  02 03        StdTypes.tuple.1 = 515
006e  04           StdTypes.tuple.2 = 4
006f  05           StdTypes.tuple.3 = 5
0070  06           StdTypes.tuple.4 = 6
0071  02 01        StdTypes.le.0 = 258
0073  04 03        StdTypes.le.1 = 772
0075  07           StdTypes.le.2 = 7
0076  08           StdTypes.le.3 = 8
0077  09           StdTypes.le.4 = 9
0078  00           StdTypes.wide.0 = 0
0079  01           StdTypes.wide.1 = 1
007a  02           StdTypes.wide.2 = 2
007b  03           StdTypes.wide.3 = 3
007c  04           StdTypes.wide.4 = 4
007d  05           StdTypes.wide.5 = 5
007e  06           StdTypes.wide.6 = 6
007f  07           StdTypes.wide.7 = 7
0080  08           StdTypes.wide.8 = 8
0081  09           StdTypes.wide.9 = 9
0082  0a           StdTypes.wide.10 = 10
0083  0b           StdTypes.wide.11 = 11
";
    assert_eq!(dump, expected, "\n{dump}");
}

#[test]
fn fields_list_each_std_type() {
    let fields: Vec<_> = StdTypes::FIELDS
        .iter()
        .map(|f| (f.name, f.offset, f.width, f.encoding))
        .collect();
    // The derive knows the width of primitives and of the fixed-width std
    // types (by their bare names), so offsets run up to the first field of
    // variable width (`ip`); widths stay known after it (`sock6`).
    let expected: Vec<(&str, Option<usize>, Option<usize>, &str)> = vec![
        ("id", Some(0), Some(4), "NonZeroU32"),
        ("small", Some(4), Some(1), "NonZeroI8"),
        ("v4", Some(5), Some(4), "Ipv4Addr"),
        ("v6", Some(9), Some(16), "Ipv6Addr"),
        ("ip", Some(25), None, "nested IpAddr"),
        ("sock", None, None, "nested SocketAddr"),
        ("sock6", None, Some(26), "SocketAddrV6"),
        ("name", None, None, "nested CString"),
        ("label", None, None, "nested &'aCStr"),
        ("text", None, None, "nested Cow<'a,str>"),
        ("blob", None, None, "len = u8, Cow<'a,[u8]>"),
        ("shared", None, None, "nested Arc<u16>"),
        ("local", None, None, "nested Arc<str>"),
        ("map", None, None, "nested BTreeMap<u8,String>"),
        ("set", None, None, "len = u16, BTreeSet<u16>"),
        ("tuple", None, None, "nested (u8,u16,u8,u8,u8)"),
        ("le", None, None, "nested (u16,NonZeroU16,u8,u8,u8)"),
        (
            "wide",
            None,
            None,
            "nested (u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8)",
        ),
    ];
    assert_eq!(fields, expected);
}

/// Fixed-width std types written by their bare names have known widths, so
/// the offsets after them stay known (they would stop at `id` otherwise).
#[test]
fn fields_know_fixed_width_std_types() {
    use std::net::SocketAddrV4;
    use std::num::NonZeroUsize;

    #[derive(Encode, Decode, Message)]
    #[codec(id = 0x41)]
    #[allow(dead_code, reason = "only its FIELDS are read")]
    struct Fixed {
        id: NonZeroU16,
        peer: SocketAddrV4,
        local: SocketAddrV6,
        count: NonZeroUsize,
        v6: Ipv6Addr,
        last: u8,
    }
    let fields: Vec<_> = Fixed::FIELDS
        .iter()
        .map(|f| (f.name, f.offset, f.width))
        .collect();
    assert_eq!(
        fields,
        [
            ("id", Some(0), Some(2)),
            ("peer", Some(2), Some(6)),
            ("local", Some(8), Some(26)),
            ("count", Some(34), Some(8)),
            ("v6", Some(42), Some(16)),
            ("last", Some(58), Some(1)),
        ]
    );
}
