//! Golden bytes: each test draws a wire layout, then pins the literal bytes
//! a value encodes to. `golden` also checks `encoded_len`, that `encode`
//! appends, the round trip, and that every strict prefix of the bytes is an
//! exact "need n more bytes" error (see `codec_tests::assert_truncations`).

use bytes::Bytes;
use codec::{Decode, Encode, Protocol, RawFrame};
use codec_tests::tutorial::{self, sample_request, Open, Storage};
use codec_tests::types::*;
use codec_tests::{golden, golden_rest, Hex};

// ## The striptease tutorial

/// ```text
/// trans | name.len (u8) | name     | data.len (u16) | data
/// 07    | 03            | 6B 65 79 | 00 05          | 68 65 6C 6C 6F
/// ```
#[test]
fn store_request() {
    let req = StoreRequest {
        trans: 7,
        name: "key".into(),
        data: b"hello".to_vec(),
    };
    golden(
        &req,
        &[
            0x07, 0x03, 0x6B, 0x65, 0x79, 0x00, 0x05, 0x68, 0x65, 0x6C, 0x6C, 0x6F,
        ],
    );
}

/// ```text
/// trans | name.len | data.len
/// 00    | 00       | 00 00
/// ```
#[test]
fn store_request_empty() {
    let req = StoreRequest {
        trans: 0,
        name: String::new(),
        data: Vec::new(),
    };
    golden(&req, &[0x00, 0x00, 0x00, 0x00]);
}

/// A plain `repr = u8` enum with explicit values, nested in a struct.
///
/// ```text
/// trans | status
/// 07    | 02 (Ekey)
/// ```
#[test]
fn store_response_and_status() {
    let resp = StoreResponse {
        trans: 7,
        status: Status::Ekey,
    };
    golden(&resp, &[0x07, 0x02]);
    // status: SUCCESS 0, EIO 1, EKEY 2, FAIL 0xFF
    golden(&Status::Success, &[0x00]);
    golden(&Status::Eio, &[0x01]);
    golden(&Status::Ekey, &[0x02]);
    golden(&Status::Fail, &[0xFF]);
}

// ## Scalars

/// Every integer, big-endian; `usize`/`isize` travel as 64 bits.
///
/// ```text
/// a u8    | 01
/// b u16   | 02 03
/// c u32   | 04 05 06 07
/// d u64   | 08 09 0A 0B 0C 0D 0E 0F
/// e u128  | 10 11 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F
/// f i8    | FE                          (-2)
/// g i16   | FF FD                       (-3)
/// h i32   | FF FF FF FC                 (-4)
/// i i64   | FF FF FF FF FF FF FF FB     (-5)
/// j i128  | FF x15 FA                   (-6)
/// k usize | 20 21 22 23 24 25 26 27
/// l isize | FF FF FF FF FF FF FF F9     (-7)
/// ```
#[test]
fn integers_big_endian() {
    let v = Ints {
        a: 0x01,
        b: 0x0203,
        c: 0x0405_0607,
        d: 0x0809_0A0B_0C0D_0E0F,
        e: 0x1011_1213_1415_1617_1819_1A1B_1C1D_1E1F,
        f: -2,
        g: -3,
        h: -4,
        i: -5,
        j: -6,
        k: 0x2021_2223_2425_2627,
        l: -7,
    };
    golden(
        &v,
        &[
            0x01, // a
            0x02, 0x03, // b
            0x04, 0x05, 0x06, 0x07, // c
            0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, // d
            0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, // e
            0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, // e
            0xFE, // f
            0xFF, 0xFD, // g
            0xFF, 0xFF, 0xFF, 0xFC, // h
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFB, // i
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // j
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFA, // j
            0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, // k
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xF9, // l
        ],
    );
}

/// ```text
/// yes  | no | single f32 (1.5) | double f64 (-2.0)       | letter char ('é')
/// 01   | 00 | 3F C0 00 00      | C0 00 00 00 00 00 00 00 | 00 00 00 E9
/// ```
#[test]
fn bool_float_char() {
    let v = Scalars {
        yes: true,
        no: false,
        single: 1.5,
        double: -2.0,
        letter: 'é',
    };
    golden(
        &v,
        &[
            0x01, 0x00, // yes, no
            0x3F, 0xC0, 0x00, 0x00, // single
            0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // double
            0x00, 0x00, 0x00, 0xE9, // letter
        ],
    );
}

/// Arrays have no length on the wire.
///
/// ```text
/// bytes [u8; 3] | words [u16; 2] | grid [[u8; 2]; 2]
/// 01 02 03      | 04 05 06 07    | 08 09 0A 0B
/// ```
#[test]
fn arrays() {
    let v = Arrays {
        bytes: [1, 2, 3],
        words: [0x0405, 0x0607],
        grid: [[8, 9], [10, 11]],
    };
    golden(
        &v,
        &[
            0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B,
        ],
    );
}

// ## Strings, bytes, containers

/// Without a length attribute, strings and vectors take a LEB128 count,
/// an `Option` a presence byte; `Box` adds nothing.
///
/// ```text
/// name     | data  | words          | maybe: Some(5) | boxed
/// 02 68 69 | 01 AA | 02 00 01 02 03 | 01 00 05       | 01 02 03 04
/// ```
#[test]
fn default_prefixes_option_box() {
    let mut v = Defaults {
        name: "hi".into(),
        data: vec![0xAA],
        words: vec![1, 0x0203],
        maybe: Some(5),
        boxed: Box::new(0x0102_0304),
    };
    golden(
        &v,
        &[
            0x02, 0x68, 0x69, // name
            0x01, 0xAA, // data
            0x02, 0x00, 0x01, 0x02, 0x03, // words
            0x01, 0x00, 0x05, // maybe
            0x01, 0x02, 0x03, 0x04, // boxed
        ],
    );
    // maybe: None is a single 00.
    v.maybe = None;
    golden(
        &v,
        &[
            0x02, 0x68, 0x69, 0x01, 0xAA, 0x02, 0x00, 0x01, 0x02, 0x03, //
            0x00, // maybe
            0x01, 0x02, 0x03, 0x04,
        ],
    );
    // A 200-byte name: the default count is a LEB128 varint, C8 01.
    v.name = "x".repeat(200);
    let mut expected = vec![0xC8, 0x01];
    expected.extend_from_slice(&[b'x'; 200]);
    expected.extend_from_slice(&[0x01, 0xAA, 0x02, 0x00, 0x01, 0x02, 0x03, 0x00]);
    expected.extend_from_slice(&[0x01, 0x02, 0x03, 0x04]);
    golden(&v, &expected);
}

/// `&str` and `&[u8]` decode without copying: the decoded slices point
/// into the input buffer.
///
/// ```text
/// offset 0        1          4               6      8               9      11
///        name.len | name     | data.len (u16) | data | label.len (LEB) | label | tail (rest)
///        03       | 6B 65 79 | 00 02          | 01 02 | 02             | 61 62 | 7A 7A
/// ```
#[test]
fn borrowed_zero_copy() {
    let input: &[u8] = &[
        0x03, 0x6B, 0x65, 0x79, 0x00, 0x02, 0x01, 0x02, 0x02, 0x61, 0x62, 0x7A, 0x7A,
    ];
    let v = Borrowed {
        name: "key",
        data: &[1, 2],
        label: "ab",
        tail: b"zz",
    };
    golden_rest(&v, input, 11);

    let back = Borrowed::from_bytes(input).unwrap();
    let at = |p: *const u8| p as usize - input.as_ptr() as usize;
    assert_eq!(at(back.name.as_ptr()), 1, "name borrows input[1..4]");
    assert_eq!(at(back.data.as_ptr()), 6, "data borrows input[6..8]");
    assert_eq!(at(back.label.as_ptr()), 9, "label borrows input[9..11]");
    assert_eq!(at(back.tail.as_ptr()), 11, "tail borrows input[11..]");
}

/// Every inline length prefix, each in front of a one-byte body.
///
/// ```text
/// a: len u8     | b: len u16 | c: len u32       | d: len u64                  | e: len varint | f: len vlq
/// 01 41         | 00 01 42   | 00 00 00 01 0C   | 00 00 00 00 00 00 00 01 0D  | 01 45         | 01 0F
/// ```
#[test]
fn len_prefixes() {
    let v = Prefixes {
        a: "A".into(),
        b: "B".into(),
        c: vec![0x0C],
        d: vec![0x0D],
        e: "E".into(),
        f: vec![0x0F],
    };
    golden(
        &v,
        &[
            0x01, 0x41, // a
            0x00, 0x01, 0x42, // b
            0x00, 0x00, 0x00, 0x01, 0x0C, // c
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x0D, // d
            0x01, 0x45, // e
            0x01, 0x0F, // f
        ],
    );
}

/// Lengths of 300 under each prefix that can hold them: 300 is
/// `01 2C` (u16), `AC 02` (varint, LEB128) and `82 2C` (vlq, cs.binary).
///
/// ```text
/// a: 00 | b: 01 2C "y"x300 | c: 00 00 00 00 | d: 00 x8 | e: AC 02 "e"x300 | f: 82 2C "f"x300
/// ```
#[test]
fn len_prefixes_300() {
    let v = Prefixes {
        a: String::new(),
        b: "y".repeat(300),
        c: Vec::new(),
        d: Vec::new(),
        e: "e".repeat(300),
        f: vec![b'f'; 300],
    };
    let mut expected = vec![0x00, 0x01, 0x2C];
    expected.extend_from_slice(&[b'y'; 300]);
    expected.extend_from_slice(&[0x00; 4 + 8]);
    expected.extend_from_slice(&[0xAC, 0x02]);
    expected.extend_from_slice(&[b'e'; 300]);
    expected.extend_from_slice(&[0x82, 0x2C]);
    expected.extend_from_slice(&[b'f'; 300]);
    golden(&v, &expected);
}

/// `unit = bytes` counts encoded bytes, `unit = elements` (the default for
/// `Vec<T>`) counts elements.
///
/// ```text
/// by_bytes: len=4 bytes | 2 x u16     | by_elements: len=1 | u16   | by_default: len=2 | 2 x u16
/// 04                    | 00 01 00 02 | 01                 | 00 03 | 02                | 00 04 00 05
/// ```
#[test]
fn units() {
    let v = Units {
        by_bytes: vec![1, 2],
        by_elements: vec![3],
        by_default: vec![4, 5],
    };
    golden(
        &v,
        &[
            0x04, 0x00, 0x01, 0x00, 0x02, // by_bytes
            0x01, 0x00, 0x03, // by_elements
            0x02, 0x00, 0x04, 0x00, 0x05, // by_default
        ],
    );
}

/// `len_from`: the lengths live in earlier fields; encode writes the real
/// lengths there, whatever the value held.
///
/// ```text
/// nlen | wlen (bytes) | tag | name     | words
/// 03   | 00 04        | 09  | 6B 65 79 | 00 01 00 02
/// ```
#[test]
fn len_from() {
    let expected: &[u8] = &[
        0x03, 0x00, 0x04, 0x09, 0x6B, 0x65, 0x79, 0x00, 0x01, 0x00, 0x02,
    ];
    let v = LenFrom {
        nlen: 3,
        wlen: 4,
        tag: 9,
        name: "key".into(),
        words: vec![1, 2],
    };
    golden(&v, expected);
    // Stale lengths are overwritten on encode.
    let stale = LenFrom {
        nlen: 0,
        wlen: 999,
        ..v.clone()
    };
    assert_eq!(Hex(&stale.to_bytes().unwrap()), Hex(expected));
    assert_eq!(stale.encoded_len(), expected.len());
}

// ## Base-128 integers

/// cs.binary BSUInt (`vlq`): big-endian 7-bit groups, 0x80 on all but the
/// last byte.
///
/// ```text
/// 0      -> 00
/// 127    -> 7F
/// 128    -> 81 00
/// 300    -> 82 2C
/// 16384  -> 81 80 00
/// u64::MAX -> 81 FF FF FF FF FF FF FF FF 7F   (1 + 9 x 7 bits)
/// ```
#[test]
fn vlq() {
    golden(&Vlq(0), &[0x00]);
    golden(&Vlq(127), &[0x7F]);
    golden(&Vlq(128), &[0x81, 0x00]);
    golden(&Vlq(300), &[0x82, 0x2C]);
    golden(&Vlq(16384), &[0x81, 0x80, 0x00]);
    golden(
        &Vlq(u64::MAX),
        &[0x81, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F],
    );
}

/// LEB128 (`varint`): little-endian 7-bit groups, 0x80 on all but the last.
///
/// ```text
/// 0      -> 00
/// 127    -> 7F
/// 128    -> 80 01
/// 300    -> AC 02
/// 16384  -> 80 80 01
/// u64::MAX -> FF FF FF FF FF FF FF FF FF 01
/// ```
#[test]
fn varint() {
    golden(&Varint(0), &[0x00]);
    golden(&Varint(127), &[0x7F]);
    golden(&Varint(128), &[0x80, 0x01]);
    golden(&Varint(300), &[0xAC, 0x02]);
    golden(&Varint(16384), &[0x80, 0x80, 0x01]);
    golden(
        &Varint(u64::MAX),
        &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
    );
}

/// Signed base-128 integers are zigzag-mapped first: 0 -> 0, -1 -> 1,
/// 1 -> 2, -64 -> 127, 64 -> 128.
///
/// ```text
/// varint i64:  0 -> 00 | -1 -> 01 | 1 -> 02 | -64 -> 7F | 64 -> 80 01
///              i64::MIN -> FF x9 01 | i64::MAX -> FE FF x8 01
/// vlq i32:     -1 -> 01 | -65 -> 81 01 | 300 -> 84 58 | i32::MIN -> 8F FF FF FF 7F
/// ```
#[test]
fn zigzag() {
    golden(&ZigZag(0), &[0x00]);
    golden(&ZigZag(-1), &[0x01]);
    golden(&ZigZag(1), &[0x02]);
    golden(&ZigZag(-64), &[0x7F]);
    golden(&ZigZag(64), &[0x80, 0x01]);
    golden(
        &ZigZag(i64::MIN),
        &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
    );
    golden(
        &ZigZag(i64::MAX),
        &[0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
    );
    golden(&VlqZigZag(-1), &[0x01]);
    golden(&VlqZigZag(-65), &[0x81, 0x01]);
    // 300 -> 600 = 0b100_1011000 -> 84 58
    golden(&VlqZigZag(300), &[0x84, 0x58]);
    // i32::MIN -> 2^32 - 1 = 0b1111 + 4 x 7 ones -> 8F FF FF FF 7F
    golden(&VlqZigZag(i32::MIN), &[0x8F, 0xFF, 0xFF, 0xFF, 0x7F]);
}

/// Mixed base-128 fields in one struct.
///
/// ```text
/// a varint 300 | b vlq 300 | c varint i32 -1 | d vlq i64 -65 | e varint u16 128
/// AC 02        | 82 2C     | 01              | 81 01         | 80 01
/// ```
#[test]
fn varint_fields() {
    let v = Varints {
        a: 300,
        b: 300,
        c: -1,
        d: -65,
        e: 128,
    };
    golden(&v, &[0xAC, 0x02, 0x82, 0x2C, 0x01, 0x81, 0x01, 0x80, 0x01]);
}

// ## Byte order

/// `endian = "little"` on the type applies to its integers, floats, length
/// prefixes and arrays/vectors of integers; a field's `endian` overrides it;
/// the nested `Point` keeps its own (big-endian) order.
///
/// ```text
/// a u32 LE    | b u16 BE | name.len LE | name  | words LE    | list.len LE | list  | point (BE)  | f f32 LE (1.5)
/// 04 03 02 01 | 05 06    | 02 00       | 68 69 | 08 07 0A 09 | 01 00       | 0C 0B | 0D 0E 0F 10 | 00 00 C0 3F
/// ```
#[test]
fn endian_on_type_and_field() {
    let v = Little {
        a: 0x0102_0304,
        b: 0x0506,
        name: "hi".into(),
        words: [0x0708, 0x090A],
        list: vec![0x0B0C],
        point: Point {
            x: 0x0D0E,
            y: 0x0F10,
        },
        f: 1.5,
    };
    golden(
        &v,
        &[
            0x04, 0x03, 0x02, 0x01, // a
            0x05, 0x06, // b
            0x02, 0x00, 0x68, 0x69, // name
            0x08, 0x07, 0x0A, 0x09, // words
            0x01, 0x00, 0x0C, 0x0B, // list
            0x0D, 0x0E, 0x0F, 0x10, // point
            0x00, 0x00, 0xC0, 0x3F, // f
        ],
    );
}

/// `endian = "little"` on fields of a big-endian type, including the
/// field's length prefix.
///
/// ```text
/// a u16 BE | b u32 LE    | c.len u16 LE | c
/// 01 02    | 06 05 04 03 | 01 00        | 07
/// ```
#[test]
fn endian_on_field() {
    let v = FieldEndian {
        a: 0x0102,
        b: 0x0304_0506,
        c: vec![7],
    };
    golden(&v, &[0x01, 0x02, 0x06, 0x05, 0x04, 0x03, 0x01, 0x00, 0x07]);
}

// ## `when` and `rest`

/// cs.packetstream's packet: optional fields present when flag bits say so,
/// then the payload takes every remaining byte.
///
/// ```text
/// tag | flags = 3 | channel (flags & 1) vlq 300 | note (flags & 2) len u8 | payload (rest)
/// 02  | 03        | 82 2C                       | 02 68 69                | 78 79
/// ```
#[test]
fn when_and_rest() {
    let v = Packet {
        tag: 2,
        flags: 3,
        channel: Some(300),
        note: Some("hi".into()),
        payload: b"xy",
    };
    golden_rest(
        &v,
        &[0x02, 0x03, 0x82, 0x2C, 0x02, 0x68, 0x69, 0x78, 0x79],
        7,
    );
}

/// With the flag bits clear, the optional fields take no bytes at all (no
/// presence byte); an empty rest takes none either.
///
/// ```text
/// tag | flags = 0 | payload
/// 01  | 00        | (empty)
///
/// tag | flags = 2 | note: len 0 | payload
/// 05  | 02        | 00          | 01
/// ```
#[test]
fn when_absent() {
    let v = Packet {
        tag: 1,
        flags: 0,
        channel: None,
        note: None,
        payload: b"",
    };
    golden_rest(&v, &[0x01, 0x00], 2);
    let v = Packet {
        tag: 5,
        flags: 2,
        channel: None,
        note: Some(String::new()),
        payload: &[1],
    };
    golden_rest(&v, &[0x05, 0x02, 0x00, 0x01], 3);
}

/// `skip`: not on the wire, `Default` on decode.
///
/// ```text
/// a  | b
/// 01 | 02
/// ```
#[test]
fn skip() {
    let expected: &[u8] = &[0x01, 0x02];
    let v = Skipped {
        a: 1,
        cache: Vec::new(),
        b: 2,
    };
    golden(&v, expected);
    let cached = Skipped {
        cache: vec![9, 9, 9],
        ..v.clone()
    };
    assert_eq!(Hex(&cached.to_bytes().unwrap()), Hex(expected));
    assert_eq!(cached.encoded_len(), 2);
    assert_eq!(Skipped::from_bytes(expected).unwrap(), v);
}

/// `when` on a `vlq` field, second flag bit only (from the first derive
/// smoke test).
///
/// ```text
/// tag | flags = 2 | rq_type (flags & 2) vlq | payload (rest)
/// 02  | 02        | 01                      | 68 65 6C 6C 6F
/// ```
#[test]
fn when_vlq_second_flag() {
    #[derive(Debug, PartialEq, Encode, Decode)]
    struct RqPacket<'a> {
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
    let p = RqPacket {
        tag: 2,
        flags: 2,
        channel: None,
        rq_type: Some(1),
        payload: b"hello",
    };
    let b = p.to_bytes().unwrap();
    assert_eq!(b, [0x02, 0x02, 0x01, b'h', b'e', b'l', b'l', b'o']);
    assert_eq!(RqPacket::from_bytes(&b).unwrap(), p);
}

/// Little-endian, `len_from` and `skip` together (from the first derive
/// smoke test): encode writes the real length into `nlen`, decode leaves the
/// skipped field at its default.
///
/// ```text
/// a u32 LE    | nlen | name
/// 01 00 00 00 | 02   | 61 62
/// ```
#[test]
fn little_endian_len_from_skip() {
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
}

// ## Nesting

/// Derived types inside fields, vectors, boxes and options.
///
/// ```text
/// id    | point       | points: 1 | Point       | boxed       | maybe: Some | Point
/// 00 01 | 00 02 00 03 | 01        | 00 04 00 05 | 00 06 00 07 | 01          | 00 08 00 09
///
/// nick: Some | len u8 | "n" | entries: 1 | StoreRequest { 1, "k", [2] }
/// 01         | 01     | 6E  | 01         | 01 01 6B 00 01 02
/// ```
#[test]
fn nested() {
    let mut v = Nested {
        id: 1,
        point: Point { x: 2, y: 3 },
        points: vec![Point { x: 4, y: 5 }],
        boxed: Box::new(Point { x: 6, y: 7 }),
        maybe: Some(Point { x: 8, y: 9 }),
        nick: Some("n".into()),
        entries: vec![StoreRequest {
            trans: 1,
            name: "k".into(),
            data: vec![2],
        }],
    };
    golden(
        &v,
        &[
            0x00, 0x01, // id
            0x00, 0x02, 0x00, 0x03, // point
            0x01, 0x00, 0x04, 0x00, 0x05, // points
            0x00, 0x06, 0x00, 0x07, // boxed
            0x01, 0x00, 0x08, 0x00, 0x09, // maybe
            0x01, 0x01, 0x6E, // nick
            0x01, 0x01, 0x01, 0x6B, 0x00, 0x01, 0x02, // entries
        ],
    );
    // maybe: None and nick: None are single 00 presence bytes; no entries.
    v.maybe = None;
    v.nick = None;
    v.entries.clear();
    golden(
        &v,
        &[
            0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0x01, 0x00, 0x04, 0x00, 0x05, 0x00, 0x06, 0x00,
            0x07, //
            0x00, // maybe
            0x00, // nick
            0x00, // entries
        ],
    );
}

/// A tuple struct, a unit struct and a generic struct.
///
/// ```text
/// Pair(5, "ok")        -> 05 | 02 6F 6B
/// Nothing              -> (no bytes)
/// Wrapper<Point>       -> 01 | 00 01 00 02
/// Wrapper<u8>          -> 02 | 01 02
/// ```
#[test]
fn tuple_unit_generic() {
    golden(&Pair(5, "ok".into()), &[0x05, 0x02, 0x6F, 0x6B]);
    golden(&Nothing, &[]);
    golden(
        &Wrapper {
            items: vec![Point { x: 1, y: 2 }],
        },
        &[0x01, 0x00, 0x01, 0x00, 0x02],
    );
    golden(
        &Wrapper {
            items: vec![1u8, 2],
        },
        &[0x02, 0x01, 0x02],
    );
}

/// Vectors of strings.
///
/// ```text
/// names: 2 (u8) | "a"   | "bc"     | more: 1 (LEB) | "d"
/// 02            | 01 61 | 02 62 63 | 01            | 01 64
/// ```
#[test]
fn vec_of_strings() {
    let v = Strings {
        names: vec!["a".into(), "bc".into()],
        more: vec!["d".into()],
    };
    golden(&v, &[0x02, 0x01, 0x61, 0x02, 0x62, 0x63, 0x01, 0x01, 0x64]);
}

// ## Enums

/// A data enum with `repr = u8`: the id, then the variant's fields; the
/// `other` variant keeps an unknown id and (with `rest`) its bytes.
///
/// ```text
/// Put { key: "k", value: [1, 2] } -> 10 | 01 6B | 00 02 01 02
/// Get("key")                      -> 11 | 03 6B 65 79
/// Ping                            -> 12
/// Unknown(0x99, [1, 2, 3])        -> 99 | 01 02 03
/// ```
#[test]
fn data_enum() {
    golden(
        &Command::Put {
            key: "k".into(),
            value: vec![1, 2],
        },
        &[0x10, 0x01, 0x6B, 0x00, 0x02, 0x01, 0x02],
    );
    golden(&Command::Get("key".into()), &[0x11, 0x03, 0x6B, 0x65, 0x79]);
    golden(&Command::Ping, &[0x12]);
    golden_rest(
        &Command::Unknown(0x99, vec![1, 2, 3]),
        &[0x99, 0x01, 0x02, 0x03],
        1,
    );
    // Any id without a variant goes to `other`.
    assert_eq!(
        Command::from_bytes(&[0x00]).unwrap(),
        Command::Unknown(0, vec![])
    );
}

/// `repr = u16` on a little-endian enum: the id and the fields are
/// little-endian; an id without `#[codec(id)]` follows the previous one.
///
/// ```text
/// Square(0x0A0B)     -> 02 01 | 0B 0A
/// Rect { w: 1, h: 2} -> 07 00 | 01 00 02 00
/// Empty (id 8)       -> 08 00
/// ```
#[test]
fn data_enum_u16_little() {
    golden(&Shape::Square(0x0A0B), &[0x02, 0x01, 0x0B, 0x0A]);
    golden(
        &Shape::Rect { w: 1, h: 2 },
        &[0x07, 0x00, 0x01, 0x00, 0x02, 0x00],
    );
    golden(&Shape::Empty, &[0x08, 0x00]);
}

/// Plain enums with base-128 discriminants, nested.
///
/// ```text
/// var (varint) | vlq   | status | shape
/// AC 02 (300)  | 82 2C | FF     | 08 00
/// 01           | 01    | 00     | 08 00
/// ```
#[test]
fn base128_enums() {
    golden(&VarKind::Large, &[0xAC, 0x02]);
    golden(&VlqKind::Large, &[0x82, 0x2C]);
    golden(
        &Kinds {
            var: VarKind::Large,
            vlq: VlqKind::Large,
            status: Status::Fail,
            shape: Shape::Empty,
        },
        &[0xAC, 0x02, 0x82, 0x2C, 0xFF, 0x08, 0x00],
    );
    golden(
        &Kinds {
            var: VarKind::Small,
            vlq: VlqKind::Small,
            status: Status::Success,
            shape: Shape::Empty,
        },
        &[0x01, 0x01, 0x00, 0x08, 0x00],
    );
}

// ## `crate = "path"` and `bytes::Bytes`

/// The runtime named through `#[codec(crate = "crate::types::rt")]`.
///
/// ```text
/// name.len | name | n: vlq 200
/// 01       | 70   | 81 48
/// ```
#[test]
fn crate_path() {
    golden(
        &ViaPath {
            name: "p".into(),
            n: 200,
        },
        &[0x01, 0x70, 0x81, 0x48],
    );
}

/// `bytes::Bytes` (feature `bytes`): like `Vec<u8>`.
///
/// ```text
/// a.len u16 | a     | b.len (LEB) | b
/// 00 02     | 61 62 | 01          | 63
/// ```
#[test]
fn bytes_bytes() {
    golden(
        &WithBytes {
            a: Bytes::from_static(b"ab"),
            b: Bytes::from_static(b"c"),
        },
        &[0x00, 0x02, 0x61, 0x62, 0x01, 0x63],
    );
}

// ## Primitives without a derive

/// The runtime's own impls, as used through the traits directly.
///
/// ```text
/// 0x0102u16          -> 01 02
/// true               -> 01
/// "hi" (String/&str) -> 02 68 69      (LEB128 byte count)
/// [1u16, 2] (Vec)    -> 02 00 01 00 02 (LEB128 element count)
/// Some(7u8)          -> 01 07
/// None::<u8>         -> 00
/// (1u8, 2u16)        -> 01 00 02
/// ```
#[test]
fn primitives() {
    golden(&0x0102u16, &[0x01, 0x02]);
    golden(&true, &[0x01]);
    golden(&String::from("hi"), &[0x02, 0x68, 0x69]);
    golden(&"hi", &[0x02, 0x68, 0x69]);
    golden(&b"hi".as_slice(), &[0x02, 0x68, 0x69]);
    golden(&vec![1u16, 2], &[0x02, 0x00, 0x01, 0x00, 0x02]);
    golden(&Some(7u8), &[0x01, 0x07]);
    golden(&None::<u8>, &[0x00]);
    golden(&(1u8, 2u16), &[0x01, 0x00, 0x02]);
    golden(&Box::new(3u8), &[0x03]);
}

// ## Frames: `#[derive(Message, Protocol)]`

/// The tutorial protocol under `StdHeader` (u8 id, u16 BE payload length).
///
/// ```text
/// id | len   | trans | name.len | name     | data.len | data
/// 01 | 00 0C | 07    | 03       | 6B 65 79 | 00 05    | 68 65 6C 6C 6F
///
/// id | len   | trans | name.len | name     | status
/// 02 | 00 06 | 07    | 03       | 6B 65 79 | 00
/// ```
#[test]
fn tutorial_frames() {
    let frame = Storage::from(sample_request()).to_bytes().unwrap();
    assert_eq!(
        frame,
        [
            0x01, 0x00, 0x0C, 0x07, 0x03, 0x6B, 0x65, 0x79, 0x00, 0x05, 0x68, 0x65, 0x6C, 0x6C,
            0x6F
        ]
    );
    assert_eq!(
        Storage::from_bytes(&frame).unwrap(),
        Storage::StoreRequest(sample_request())
    );
    let resp = tutorial::StoreResponse {
        trans: 7,
        name: "key".into(),
        status: Status::Success,
    };
    let frame = Storage::from(resp.clone()).to_bytes().unwrap();
    assert_eq!(
        frame,
        [0x02, 0x00, 0x06, 0x07, 0x03, 0x6B, 0x65, 0x79, 0x00]
    );
    assert_eq!(
        tutorial::StoreResponse::try_from(Storage::from_bytes(&frame).unwrap()),
        Ok(resp)
    );
}

/// An `other` variant keeps a frame with an unknown id, and writes it back
/// unchanged (`WideHeader`: u16 id, u32 length).
///
/// ```text
/// id    | len         | payload
/// 00 7F | 00 00 00 02 | AA BB
/// ```
#[test]
fn other_variant_keeps_unknown_frames() {
    let frame = [0x00, 0x7F, 0x00, 0x00, 0x00, 0x02, 0xAA, 0xBB];
    let msg = Open::from_bytes(&frame).unwrap();
    assert_eq!(msg, Open::Unknown(RawFrame::new(0x7F, vec![0xAA, 0xBB])));
    assert_eq!(msg.id(), 0x7F);
    assert_eq!(msg.to_bytes().unwrap(), frame);
}

// ## Integer widths, magic, length arithmetic, nullable lengths

/// TLS 1.3 (RFC 8446 §4): `HandshakeType msg_type; uint24 length;` then
/// the body. A ClientHello (type 1) with a 3-byte body:
///
/// ```text
/// msg_type | length (u24) | body
/// 01       | 00 00 03     | AA BB CC
/// ```
#[test]
fn tls_u24_length() {
    let h = TlsHandshake {
        msg_type: 1,
        body: vec![0xAA, 0xBB, 0xCC],
    };
    golden(&h, &[0x01, 0x00, 0x00, 0x03, 0xAA, 0xBB, 0xCC]);
}

/// ```text
/// msg_type | length (bytes = 3) | body | signed (i24) | five (u40 le)  | seven (i56)
/// 02       | 00 00 02           | 68 69 | FF FF FE     | 05 04 03 02 01 | FF FF FF FF FF FF FF
/// ```
#[test]
fn integer_widths() {
    let w = Widths {
        msg_type: 2,
        length: 2,
        body: b"hi".to_vec(),
        signed: -2,
        five: 0x01_0203_0405,
        seven: -1,
    };
    golden(
        &w,
        &[
            0x02, 0x00, 0x00, 0x02, b'h', b'i', 0xFF, 0xFF, 0xFE, 0x05, 0x04, 0x03, 0x02, 0x01,
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ],
    );
    use codec::Message;
    let widths: Vec<_> = Widths::FIELDS.iter().map(|f| f.width).collect();
    assert_eq!(widths, [Some(1), Some(3), None, Some(3), Some(5), Some(7)]);
    assert_eq!(Widths::FIELDS[1].encoding, "u24 u32 (length of body)");
    assert_eq!(Widths::FIELDS[4].encoding, "u40 le u64");
}

/// The IHDR chunk of a 1×1 RGBA image.
fn png_1x1_rgba() -> PngHeader {
    PngHeader {
        length: 13,
        width: 1,
        height: 1,
        bit_depth: 8,
        color_type: 6,
        compression: 0,
        filter: 0,
        interlace: 0,
        crc: 0x1F15_C489,
    }
}

/// The 8-byte PNG signature and the IHDR chunk of a 1×1 RGBA image (PNG
/// spec §5.2, §11.2.2), CRC as every encoder writes it:
///
/// ```text
/// signature               | length      | type        | width       | height
/// 89 50 4E 47 0D 0A 1A 0A | 00 00 00 0D | 49 48 44 52 | 00 00 00 01 | 00 00 00 01
/// depth | color | compression | filter | interlace | crc
/// 08    | 06    | 00          | 00     | 00        | 1F 15 C4 89
/// ```
#[test]
fn png_signature_magic() {
    let png = png_1x1_rgba();
    golden(
        &png,
        &[
            0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48,
            0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
            0x00, 0x1F, 0x15, 0xC4, 0x89,
        ],
    );
    use codec::Message;
    let names: Vec<_> = PngHeader::FIELDS
        .iter()
        .map(|f| (f.name, f.offset))
        .collect();
    assert_eq!(
        names[..4],
        [
            ("magic", Some(0)),
            ("length", Some(8)),
            ("magic", Some(12)),
            ("width", Some(16))
        ]
    );
    assert_eq!(
        PngHeader::FIELDS[0].encoding,
        "magic b\"\\x89PNG\\r\\n\\x1a\\n\""
    );
}

/// Variants chosen by magic, tried in declaration order (`tEXt` and
/// `tIME` share their first byte).
#[test]
fn enum_chosen_by_magic() {
    golden(&Chunk::End, b"IEND");
    golden(&Chunk::Text("ab".into()), b"tEXt\x02ab");
    golden(&Chunk::Short(7), b"tIME\x07");
}

/// PostgreSQL DataRow for `SELECT 'a', NULL` ("Message Formats"): the
/// Int32 length counts itself and the Int16 count; a NULL column is
/// length −1 with no bytes.
///
/// ```text
/// 'D' | length      | ncols | col 1 len   | 'a' | col 2 len (NULL)
/// 44  | 00 00 00 0F | 00 02 | 00 00 00 01 | 61  | FF FF FF FF
/// ```
#[test]
fn postgres_data_row_null() {
    let row = PgDataRow {
        length: 15,
        ncols: 2,
        columns: vec![
            PgColumn {
                value: Some(b"a".to_vec()),
            },
            PgColumn { value: None },
        ],
    };
    golden(
        &row,
        &[
            0x44, 0x00, 0x00, 0x00, 0x0F, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x61, 0xFF, 0xFF,
            0xFF, 0xFF,
        ],
    );
}

/// Kafka's forms (protocol guide, "Protocol Primitive Types"):
///
/// ```text
/// client_id (NULLABLE_STRING null) | compact ("ab": N+1) | array ([7]: N+1) | counted (Int32 + 4) | bytes (null)
/// FF FF                            | 03 61 62            | 02 00 07         | 00 00 00 05 EE      | FF FF FF FF
/// ```
#[test]
fn kafka_nullable_and_compact() {
    let k = KafkaForms {
        client_id: None,
        compact: Some("ab".into()),
        array: vec![7],
        counted: vec![0xEE],
        bytes: None,
    };
    golden(
        &k,
        &[
            0xFF, 0xFF, 0x03, b'a', b'b', 0x02, 0x00, 0x07, 0x00, 0x00, 0x00, 0x05, 0xEE, 0xFF,
            0xFF, 0xFF, 0xFF,
        ],
    );
    let k = KafkaForms {
        client_id: Some("c".into()),
        compact: None,
        array: vec![],
        counted: vec![],
        bytes: Some(vec![]),
    };
    golden(
        &k,
        &[
            0x00, 0x01, b'c', 0x00, 0x01, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
        ],
    );
}

#[derive(Debug, PartialEq, Protocol)]
enum LayoutProto {
    Widths(Widths),
    Png(PngHeader),
}

/// `explain` shows magic bytes on lines of their own and `bytes = N`
/// integers with their value.
#[test]
fn explain_new_forms() {
    let png = png_1x1_rgba();
    let frame = LayoutProto::from(png).to_bytes().unwrap();
    let dump = codec::explain::<LayoutProto>(&frame);
    assert!(
        dump.contains("magic = magic b\"\\x89PNG\\r\\n\\x1a\\n\""),
        "{dump}"
    );
    assert!(
        dump.contains("PngHeader.width.magic = magic b\"IHDR\""),
        "{dump}"
    );
    let w = Widths {
        msg_type: 2,
        length: 2,
        body: b"hi".to_vec(),
        signed: -2,
        five: 5,
        seven: -1,
    };
    let frame = LayoutProto::from(w).to_bytes().unwrap();
    let dump = codec::explain::<LayoutProto>(&frame);
    assert!(
        dump.contains("0009  ff ff fe     Widths.signed = -2"),
        "{dump}"
    );
    assert!(
        dump.contains("0004  00 00 02     Widths.length = 2"),
        "{dump}"
    );
}

/// A type's magic comes before an enum's discriminant.
///
/// ```text
/// magic       | id (u16 le) | version (u16 le)
/// 50 4B 03 04 | 14 00       | 2D 00
/// ```
#[test]
fn enum_with_type_magic() {
    golden(
        &ZipRecord::Version(45),
        &[0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x2D, 0x00],
    );
    golden(&ZipRecord::Deflate, &[0x50, 0x4B, 0x03, 0x04, 0x08, 0x00]);
}

/// Nullable lengths over borrowed slices and strings, decoded without a
/// copy.
///
/// ```text
/// value len   | value    | name len (NULL)
/// 00 00 00 02 | 01 02    | FF FF
/// ```
#[test]
fn nullable_borrowed() {
    let bytes = [0x00, 0x00, 0x00, 0x02, 0x01, 0x02, 0xFF, 0xFF];
    let col = PgColumnRef {
        value: Some(&[1, 2]),
        name: None,
    };
    golden(&col, &bytes);
    let back = PgColumnRef::from_bytes(&bytes).unwrap();
    assert_eq!(back.value.unwrap().as_ptr(), bytes[4..].as_ptr());
    golden(
        &PgColumnRef {
            value: None,
            name: Some("n"),
        },
        &[0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x01, b'n'],
    );
}

// ## Terminated and fixed-size data

/// PostgreSQL StartupMessage ("Message Formats"): Int32 length counting
/// itself, Int32 protocol 196608 (3.0), NUL-terminated name/value pairs,
/// and a NUL where the next name would start.
///
/// ```text
/// length      | protocol    | "user" 00   | "postgres" 00 | "database" 00 | "mydb" 00 | 00
/// 00 00 00 25 | 00 03 00 00 | 75 73 65 72 | 70 6F 73 ..   | 64 61 74 ..   | 6D 79 ..  | 00
/// ```
#[test]
fn postgres_startup_message() {
    let msg = PgStartup {
        length: 37,
        protocol: 196608,
        params: vec![
            PgParam {
                name: "user".into(),
                value: "postgres".into(),
            },
            PgParam {
                name: "database".into(),
                value: "mydb".into(),
            },
        ],
    };
    let mut bytes = vec![0x00, 0x00, 0x00, 0x25, 0x00, 0x03, 0x00, 0x00];
    bytes.extend_from_slice(b"user\0postgres\0database\0mydb\0\0");
    assert_eq!(bytes.len(), 37);
    golden(&msg, &bytes);
    assert_eq!(
        <PgStartup as codec::Message>::FIELDS[2].encoding,
        "term = 0x00, Vec<PgParam>"
    );
}

/// PostgreSQL Query ("Message Formats"): `Q`, Int32 length counting itself
/// and the string with its NUL, the query string; decoded without a copy.
///
/// ```text
/// 'Q' | length      | "SELECT 1"                | 00
/// 51  | 00 00 00 0D | 53 45 4C 45 43 54 20 31   | 00
/// ```
#[test]
fn postgres_query() {
    let bytes = b"Q\x00\x00\x00\x0dSELECT 1\x00";
    let q = PgQuery {
        length: 13,
        query: "SELECT 1",
    };
    golden(&q, bytes);
    let back = PgQuery::from_bytes(bytes).unwrap();
    assert_eq!(back.query.as_ptr(), bytes[5..].as_ptr());
}

/// A tar header's name (100 bytes, NUL-padded) and mode (8 bytes, padded
/// with spaces); decoding strips the padding.
///
/// ```text
/// name                          | mode
/// 68 65 6C 6C 6F 2E 74 78 74 00.. (100) | 30 30 30 30 36 34 34 20
/// ```
#[test]
fn tar_fixed_size_name() {
    let t = TarName {
        name: "hello.txt".into(),
        mode: b"0000644".to_vec(),
    };
    let mut bytes = b"hello.txt".to_vec();
    bytes.resize(100, 0);
    bytes.extend_from_slice(b"0000644 ");
    golden(&t, &bytes);
    assert_eq!(
        (
            <TarName as codec::Message>::FIELDS[0].width,
            <TarName as codec::Message>::FIELDS[1].offset
        ),
        (Some(100), Some(100))
    );
    assert_eq!(
        <TarName as codec::Message>::FIELDS[1].encoding,
        "size = 8, pad = 0x20, Vec<u8>"
    );
    // A name of exactly 100 bytes has no padding at all.
    let full = TarName {
        name: "n".repeat(100),
        mode: b"01234567".to_vec(),
    };
    let mut bytes = vec![b'n'; 100];
    bytes.extend_from_slice(b"01234567");
    golden(&full, &bytes);
}

/// Every terminated form, with its own terminator byte.
///
/// ```text
/// line "hi" 0A | raw 01 00 | bytes 02 FF | list [0, 1] 00 01 FF | maybe 01 "m" 00 | fixed "ab  " | tag "xy" 00
/// ```
#[test]
fn terminated_forms() {
    let t = Terminated {
        line: "hi".into(),
        raw: &[1],
        bytes: vec![2],
        list: vec![0, 1],
        maybe: Some("m".into()),
        fixed: b"ab",
        tag: "xy",
    };
    golden(&t, b"hi\n\x01\x00\x02\xff\x00\x01\xff\x01m\x00ab  xy\x00");
    let empty = Terminated {
        line: String::new(),
        raw: &[],
        bytes: vec![],
        list: vec![],
        maybe: None,
        fixed: b"",
        tag: "",
    };
    golden(&empty, b"\n\x00\xff\xff\x00    \x00\x00\x00");
}

#[derive(Debug, PartialEq, Protocol)]
enum TermProto {
    Startup(PgStartup),
    Tar(TarName),
}

/// `explain` shows a terminated list and a fixed-size field on a line each.
#[test]
fn explain_terminated() {
    let msg = PgStartup {
        length: 23,
        protocol: 196608,
        params: vec![PgParam {
            name: "user".into(),
            value: "postgres".into(),
        }],
    };
    let dump = codec::explain::<TermProto>(&TermProto::from(msg).to_bytes().unwrap());
    assert!(dump.contains("PgStartup.params = 1 elements"), "{dump}");
    let t = TarName {
        name: "a".into(),
        mode: b"0000644".to_vec(),
    };
    let dump = codec::explain::<TermProto>(&TermProto::from(t).to_bytes().unwrap());
    assert!(dump.contains("TarName.name = \"a\""), "{dump}");
    assert!(dump.contains("TarName.mode = \"0000644\""), "{dump}");
}

fn reading() -> Reading {
    Reading {
        at: std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
        price: 12.34,
        kind: Kind::Vendor(0x90),
        small: 300,
    }
}

/// Per-field conversions: a timestamp as u64 seconds since 1970, a
/// fixed-point price as i32 hundredths in 3 bytes, a kind byte with a
/// reserved range, a `u32` carried as a varint `u16`.
///
/// ```text
/// at (u64 secs)           | price (i24, 1234) | kind | small (varint 300)
/// 00 00 00 00 65 53 F1 00 | 00 04 D2          | 90   | AC 02
/// ```
#[test]
fn conversions() {
    golden(
        &reading(),
        &[
            0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xF1, 0x00, 0x00, 0x04, 0xD2, 0x90, 0xAC, 0x02,
        ],
    );
    // A negative fixed-point number: -0.05 is -5 hundredths.
    let v = Reading {
        price: -0.05,
        kind: Kind::Ack,
        small: 1,
        ..reading()
    };
    golden(
        &v,
        &[
            0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xF1, 0x00, 0xFF, 0xFF, 0xFB, 0x01, 0x01,
        ],
    );
    // FIELDS and `explain` show the wire types.
    let enc: Vec<_> = <Reading as codec::Message>::FIELDS
        .iter()
        .map(|f| f.encoding)
        .collect();
    assert_eq!(enc, ["u64", "i24 i32", "u8", "varint u16"]);
    let frame = CheckProto::from(reading()).to_bytes().unwrap();
    let dump = codec::explain::<CheckProto>(&frame);
    assert!(dump.contains("Reading.at = 1700000000"), "{dump}");
    assert!(dump.contains("Reading.price = 1234"), "{dump}");
}

/// Assertions hold for valid values, which encode as usual.
///
/// ```text
/// version | lo    | hi    | name.len | name
/// 02      | 00 01 | 00 09 | 03       | 61 62 63
/// ```
#[test]
fn assertions_pass() {
    let v = Range {
        version: 2,
        lo: 1,
        hi: 9,
        name: "abc".into(),
    };
    golden(&v, &[0x02, 0x00, 0x01, 0x00, 0x09, 0x03, 0x61, 0x62, 0x63]);
}

#[derive(Debug, PartialEq, Protocol)]
enum CheckProto {
    Reading(Reading),
    Range(Range),
}

/// `explain` of a value failing its `assert` shows the fields read and
/// the error with its message.
#[test]
fn explain_assertion() {
    // Encode refuses an invalid value: frame a valid one, then patch its
    // version (after the 3-byte header) from 2 to 1, which allows only 4
    // bytes of name.
    let mut frame = CheckProto::from(Range {
        version: 2,
        lo: 1,
        hi: 9,
        name: "abcdefgh".into(),
    })
    .to_bytes()
    .unwrap();
    frame[3] = 1;
    let dump = codec::explain::<CheckProto>(&frame);
    assert!(dump.contains("Range.version = 1"), "{dump}");
    assert!(
        dump.contains("assertion failed: name too long for the version"),
        "{dump}"
    );
}
