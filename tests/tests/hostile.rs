//! Hostile and broken input: truncation answered exactly, random bytes
//! that never panic, and every decode and encode error with its exact kind,
//! offset, field path and `Display`.
//!
//! Every strict prefix of every golden encoding is also checked, by
//! `codec_tests::golden` in golden.rs (see `assert_truncations`); here the
//! same check runs over random valid encodings, plus exact values.

use codec::error::Found;
use codec::{
    Decode, DecodeError, DecodeErrorKind, Encode, EncodeErrorKind, Endian, Message, Protocol,
    RawFrame,
};
use codec_tests::strategies::*;
use codec_tests::tutorial::{sample_request, Open, Storage};
use codec_tests::types::*;
use codec_tests::{assert_error, assert_truncations, Hex};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// Decodes `input` as `T`, expecting an error.
fn decode_err<'a, T: Decode<'a> + std::fmt::Debug>(input: &'a [u8]) -> DecodeError {
    match T::from_bytes(input) {
        Ok(v) => panic!("{:?} decoded as {v:?}", Hex(input)),
        Err(e) => e,
    }
}

fn end(needed: u64, available: usize) -> DecodeErrorKind {
    DecodeErrorKind::UnexpectedEnd { needed, available }
}

// ## Truncation: exactly how many more bytes

const STORE_REQUEST: &[u8] = &[
    0x07, 0x03, 0x6B, 0x65, 0x79, 0x00, 0x05, 0x68, 0x65, 0x6C, 0x6C, 0x6F,
];

/// ```text
/// trans | name.len | name     | data.len | data
/// 07    | 03       | 6B 65 79 | 00 05    | 68 65 6C 6C 6F
/// ```
#[test]
fn store_request_truncations_are_exact() {
    let at = |k: usize| decode_err::<StoreRequest>(&STORE_REQUEST[..k]);

    // Nothing at all: the trans byte.
    assert_error(
        &at(0),
        end(1, 0),
        0,
        "StoreRequest.trans",
        "unexpected end of input (need 1 byte, have 0) at byte 0 in StoreRequest.trans",
    );
    assert_eq!(at(0).bytes_needed(), Some(1));
    // The name's length byte.
    assert_error(
        &at(1),
        end(1, 0),
        1,
        "StoreRequest.name",
        "unexpected end of input (need 1 byte, have 0) at byte 1 in StoreRequest.name",
    );
    // One byte of a three-byte name: two more.
    assert_error(
        &at(3),
        end(3, 1),
        2,
        "StoreRequest.name",
        "unexpected end of input (need 3 bytes, have 1) at byte 2 in StoreRequest.name",
    );
    assert_eq!(at(3).bytes_needed(), Some(2));
    // Half of the u16 length.
    assert_eq!(at(6).bytes_needed(), Some(1));
    assert_eq!(
        (at(6).offset(), at(6).path().to_string()),
        (5, "StoreRequest.data".into())
    );
    // One byte of a five-byte body: four more.
    assert_error(
        &at(8),
        end(5, 1),
        7,
        "StoreRequest.data",
        "unexpected end of input (need 5 bytes, have 1) at byte 7 in StoreRequest.data",
    );
    assert_eq!(at(8).bytes_needed(), Some(4));
    assert_eq!(at(11).bytes_needed(), Some(1));

    // Appending exactly the bytes asked for gets past the read that failed.
    let mut k = 0;
    let mut steps = Vec::new();
    loop {
        match StoreRequest::from_bytes(&STORE_REQUEST[..k]) {
            Ok(_) => break,
            Err(e) => {
                steps.push((k, e.offset(), e.bytes_needed().unwrap()));
                k += e.bytes_needed().unwrap() as usize;
            }
        }
    }
    // (prefix length, failing read's offset, bytes needed): one step per
    // read, each landing exactly on the next read.
    assert_eq!(
        steps,
        [(0, 0, 1), (1, 1, 1), (2, 2, 3), (5, 5, 2), (7, 7, 5)]
    );
    assert_eq!(k, STORE_REQUEST.len());
}

/// Base-128 integers are read a byte at a time: each missing byte is one
/// more needed.
#[test]
fn base128_truncations() {
    // vlq 16384 = 81 80 00
    let e = decode_err::<Vlq>(&[0x81, 0x80]);
    assert_error(
        &e,
        end(1, 0),
        2,
        "Vlq.0",
        "unexpected end of input (need 1 byte, have 0) at byte 2 in Vlq.0",
    );
    // A varint length prefix (Prefixes.e) cut after its first byte.
    let mut input = vec![0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
    input.extend_from_slice(&[0; 8]);
    input.push(0xAC);
    let e = decode_err::<Prefixes>(&input);
    assert_eq!((e.offset(), e.bytes_needed()), (16, Some(1)));
    assert_eq!(e.path().to_string(), "Prefixes.e");
}

/// Truncation deep inside nested types names the whole path.
#[test]
fn nested_truncation_path() {
    let v = Nested {
        id: 1,
        point: Point { x: 2, y: 3 },
        points: vec![],
        boxed: Box::new(Point { x: 6, y: 7 }),
        maybe: None,
        nick: None,
        entries: vec![
            StoreRequest {
                trans: 1,
                name: "a".into(),
                data: vec![],
            },
            StoreRequest {
                trans: 2,
                name: "bcd".into(),
                data: vec![],
            },
        ],
    };
    let bytes = v.to_bytes().unwrap();
    // id 2 | point 4 | points 1 | boxed 4 | maybe 1 | nick 1 | count 1 |
    // entries[0] 5 (offsets 14..19) | entries[1]: trans 19, name.len 20, name 21..24
    let e = decode_err::<Nested>(&bytes[..22]);
    assert_error(
        &e,
        end(3, 1),
        21,
        "Nested.entries[1].name",
        "unexpected end of input (need 3 bytes, have 1) at byte 21 in Nested.entries[1].name",
    );
    let e = decode_err::<Nested>(&bytes[..3]);
    assert_error(
        &e,
        end(2, 1),
        2,
        "Nested.point.x",
        "unexpected end of input (need 2 bytes, have 1) at byte 2 in Nested.point.x",
    );
}

/// A declared length longer than the input asks for exactly the rest of
/// the body, without allocating it (see alloc_bound.rs).
#[test]
fn long_declared_length() {
    // name.len = 5 with 1 byte of name.
    let e = StoreRequest::from_bytes(&[7, 5, b'k']).unwrap_err();
    assert_eq!(
        e.to_string(),
        "unexpected end of input (need 5 bytes, have 1) at byte 2 in StoreRequest.name"
    );
    // data.len = FFFF with 2 bytes of body.
    let e = decode_err::<StoreRequest>(&[0x07, 0x00, 0xFF, 0xFF, 0x61, 0x62]);
    assert_error(
        &e,
        end(0xFFFF, 2),
        4,
        "StoreRequest.data",
        "unexpected end of input (need 65535 bytes, have 2) at byte 4 in StoreRequest.data",
    );
    assert_eq!(e.bytes_needed(), Some(0xFFFF - 2));
    // len_from: the holder says 200, two bytes follow.
    let e = decode_err::<LenFrom>(&[200, 0x00, 0x00, 0x09, 0x61, 0x62]);
    assert_error(
        &e,
        end(200, 2),
        4,
        "LenFrom.name",
        "unexpected end of input (need 200 bytes, have 2) at byte 4 in LenFrom.name",
    );
}

// Every strict prefix of random valid encodings is an exact "need n more".
proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn prefixes_store_request(v in store_request()) {
        let bytes = v.to_bytes().unwrap();
        assert_truncations::<StoreRequest>(&bytes, bytes.len());
    }

    #[test]
    fn prefixes_nested(v in nested()) {
        let bytes = v.to_bytes().unwrap();
        assert_truncations::<Nested>(&bytes, bytes.len());
    }

    #[test]
    fn prefixes_prefixes(v in prefixes()) {
        let bytes = v.to_bytes().unwrap();
        assert_truncations::<Prefixes>(&bytes, bytes.len());
    }

    #[test]
    fn prefixes_units(v in units()) {
        let bytes = v.to_bytes().unwrap();
        assert_truncations::<Units>(&bytes, bytes.len());
    }

    #[test]
    fn prefixes_len_from(v in len_from()) {
        let bytes = v.to_bytes().unwrap();
        assert_truncations::<LenFrom>(&bytes, bytes.len());
    }

    #[test]
    fn prefixes_varints(v in varints()) {
        let bytes = v.to_bytes().unwrap();
        assert_truncations::<Varints>(&bytes, bytes.len());
    }

    #[test]
    fn prefixes_little(v in little()) {
        let bytes = v.to_bytes().unwrap();
        assert_truncations::<Little>(&bytes, bytes.len());
    }

    #[test]
    fn prefixes_kinds(v in kinds()) {
        let bytes = v.to_bytes().unwrap();
        assert_truncations::<Kinds>(&bytes, bytes.len());
    }

    #[test]
    fn prefixes_strings(v in strings()) {
        let bytes = v.to_bytes().unwrap();
        assert_truncations::<Strings>(&bytes, bytes.len());
    }

    #[test]
    fn prefixes_command(v in command()) {
        let bytes = v.to_bytes().unwrap();
        let complete_from = match v {
            Command::Unknown(..) => 1,
            _ => bytes.len(),
        };
        assert_truncations::<Command>(&bytes, complete_from);
    }

    #[test]
    fn prefixes_packet((tag, flags, channel, note, payload) in packet_parts()) {
        let v = Packet { tag, flags, channel, note, payload: &payload };
        let bytes = v.to_bytes().unwrap();
        assert_truncations::<Packet>(&bytes, bytes.len() - payload.len());
    }
}

// ## Random bytes never panic

/// Decodes random bytes as each type; whatever decodes must re-encode to
/// exactly `encoded_len` bytes, and those bytes must decode and re-encode
/// to themselves (a fixed point; floats compare bit for bit this way).
macro_rules! random_bytes {
    ($($name:ident: $ty:ty;)*) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(10_000))]
            $(
                #[test]
                fn $name(input in prop::collection::vec(any::<u8>(), 0..96)) {
                    if let Ok(v) = <$ty>::from_bytes(&input) {
                        let once = v.to_bytes().map_err(|e| TestCaseError::fail(format!("{v:?}: {e}")))?;
                        prop_assert_eq!(v.encoded_len(), once.len());
                        let again = <$ty>::from_bytes(&once)
                            .map_err(|e| TestCaseError::fail(format!("{:?}: {e}", Hex(&once))))?
                            .to_bytes()
                            .unwrap();
                        prop_assert_eq!(Hex(&again), Hex(&once));
                    }
                }
            )*
        }
    };
}

random_bytes! {
    random_store_request: StoreRequest;
    random_store_response: StoreResponse;
    random_ints: Ints;
    random_scalars: Scalars;
    random_arrays: Arrays;
    random_defaults: Defaults;
    random_borrowed: Borrowed<'_>;
    random_prefixes: Prefixes;
    random_units: Units;
    random_len_from: LenFrom;
    random_varints: Varints;
    random_little: Little;
    random_field_endian: FieldEndian;
    random_packet: Packet<'_>;
    random_nested: Nested;
    random_skipped: Skipped;
    random_command: Command;
    random_shape: Shape;
    random_kinds: Kinds;
    random_via_path: ViaPath;
    random_with_bytes: WithBytes;
    random_pair: Pair;
    random_wrapper: Wrapper<Point>;
    random_strings: Strings;
    random_vlq_zigzag: VlqZigZag;
}

// ## The fast paths agree with the field-by-field path

/// `from_bytes` as `explain_with` reads it: one field at a time, with no
/// packed runs of fixed-width fields and no derived `from_bytes`.
fn field_by_field<'a, T: Decode<'a>>(input: &'a [u8]) -> Result<T, DecodeError> {
    let mut r = codec::Reader::new(input);
    let v = T::explain_with(
        &mut r,
        codec::wire::Endian::Big,
        &mut codec::Explainer::new(),
    )?;
    r.finish()?;
    Ok(v)
}

/// The derive reads runs of consecutive fixed-width fields (and the fixed
/// length prefix ending one) after a single bounds check, and a struct's
/// `from_bytes` checks for trailing bytes before building the value; the
/// explain path reads every field on its own. On random bytes, and on every
/// prefix and every one-byte edit of a valid encoding, both give the same
/// value or the same error (kind, offset, field path).
macro_rules! same_as_field_by_field {
    ($($name:ident: $ty:ty = $strategy:expr;)*) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]
            $(
                #[test]
                fn $name(
                    v in $strategy,
                    noise in prop::collection::vec(any::<u8>(), 0..64),
                    edit in (any::<prop::sample::Index>(), any::<u8>()),
                ) {
                    let bytes = v.to_bytes().unwrap();
                    let mut edited = bytes.clone();
                    if !edited.is_empty() {
                        let at = edit.0.index(edited.len());
                        edited[at] = edit.1;
                    }
                    let mut inputs = vec![noise, edited, [bytes.as_slice(), &[0]].concat()];
                    // Bytes no value of the type has, e.g. a bool byte of 2.
                    inputs.extend((0..bytes.len()).map(|i| {
                        let mut b = bytes.clone();
                        b[i] = 0xFF;
                        b
                    }));
                    inputs.extend((0..=bytes.len()).map(|n| bytes[..n].to_vec()));
                    for input in &inputs {
                        // Compared by re-encoding: floats may be NaN.
                        let fast = <$ty>::from_bytes(input).map(|v| v.to_bytes().unwrap()).map_err(|e| (e.kind().clone(), e.offset(), e.path().to_string()));
                        let slow = field_by_field::<$ty>(input).map(|v| v.to_bytes().unwrap()).map_err(|e| (e.kind().clone(), e.offset(), e.path().to_string()));
                        prop_assert_eq!(fast, slow, "input {:?}", Hex(input));
                    }
                }
            )*
        }
    };
}

same_as_field_by_field! {
    runs_store_request: StoreRequest = store_request();
    runs_ints: Ints = ints();
    runs_scalars: Scalars = any::<(bool, bool, f32, f64, char)>().prop_map(
        |(yes, no, single, double, letter)| Scalars { yes, no, single, double, letter },
    );
    runs_prefixes: Prefixes = prefixes();
    runs_little: Little = little();
    runs_field_endian: FieldEndian = field_endian();
    runs_nested: Nested = nested();
    runs_command: Command = command();
}

// Random edits of valid encodings reach deeper than random bytes do.
proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn mutated_nested(v in nested(), edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut bytes = v.to_bytes().unwrap();
        for (i, b) in edits {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        if let Ok(v) = Nested::from_bytes(&bytes) {
            prop_assert_eq!(v.encoded_len(), v.to_bytes().unwrap().len());
        }
    }

    #[test]
    fn mutated_packet((tag, flags, channel, note, payload) in packet_parts(), edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let v = Packet { tag, flags, channel, note, payload: &payload };
        let mut bytes = v.to_bytes().unwrap();
        for (i, b) in edits {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        if let Ok(v) = Packet::from_bytes(&bytes) {
            prop_assert_eq!(v.encoded_len(), v.to_bytes().unwrap().len());
        }
    }

    #[test]
    fn mutated_command(v in command(), edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut bytes = v.to_bytes().unwrap();
        for (i, b) in edits {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        if let Ok(v) = Command::from_bytes(&bytes) {
            prop_assert_eq!(v.encoded_len(), v.to_bytes().unwrap().len());
        }
    }
}

// ## Invalid values: kind, offset, path, Display

#[test]
fn trailing_bytes() {
    let mut input = STORE_REQUEST.to_vec();
    input.extend_from_slice(&[0xAA, 0xBB]);
    let e = decode_err::<StoreRequest>(&input);
    assert_error(
        &e,
        DecodeErrorKind::TrailingBytes { count: 2 },
        12,
        "",
        "2 trailing bytes at byte 12",
    );
    assert_eq!(e.bytes_needed(), None);
    assert!(!e.is_incomplete());
    // The value itself is fine: `decode` on a reader stops where it ends.
    let mut r = codec::Reader::new(&input);
    StoreRequest::decode(&mut r).unwrap();
    assert_eq!(r.offset(), 12);
}

#[test]
fn invalid_bool() {
    // yes = 01, no = FF
    let mut input = vec![0x01, 0xFF];
    input.extend_from_slice(&[0; 16]);
    let e = decode_err::<Scalars>(&input);
    assert_error(
        &e,
        DecodeErrorKind::InvalidBool(0xFF),
        1,
        "Scalars.no",
        "invalid bool 0xff (expected 0 or 1) at byte 1 in Scalars.no",
    );
    assert_eq!(e.bytes_needed(), None);
    let e = decode_err::<Scalars>(&[0x02]);
    assert_error(
        &e,
        DecodeErrorKind::InvalidBool(2),
        0,
        "Scalars.yes",
        "invalid bool 0x02 (expected 0 or 1) at byte 0 in Scalars.yes",
    );
}

#[test]
fn invalid_presence() {
    // Defaults: name "" | data [] | words [] | maybe: presence 02
    let e = decode_err::<Defaults>(&[0x00, 0x00, 0x00, 0x02, 0x00, 0x05]);
    assert_error(
        &e,
        DecodeErrorKind::InvalidPresence(2),
        3,
        "Defaults.maybe",
        "invalid presence byte 0x02 (expected 0 or 1) at byte 3 in Defaults.maybe",
    );
    // Nested: id 2 | point 4 | points 1 | boxed 4 | maybe 00 | nick: presence 07
    let mut input = vec![0; 2 + 4 + 1 + 4 + 1];
    input.push(0x07);
    let e = decode_err::<Nested>(&input);
    assert_error(
        &e,
        DecodeErrorKind::InvalidPresence(7),
        12,
        "Nested.nick",
        "invalid presence byte 0x07 (expected 0 or 1) at byte 12 in Nested.nick",
    );
}

#[test]
fn invalid_utf8() {
    // name = 6B FF 79: valid up to byte 1 of the string, which starts at 2
    let e = decode_err::<StoreRequest>(&[0x07, 0x03, 0x6B, 0xFF, 0x79, 0x00, 0x00]);
    assert_error(
        &e,
        DecodeErrorKind::InvalidUtf8 { valid_up_to: 1 },
        2,
        "StoreRequest.name",
        "invalid utf-8 (valid up to byte 1 of the string) at byte 2 in StoreRequest.name",
    );
    // In a vector element, and in a borrowed &str.
    let e = decode_err::<Strings>(&[0x02, 0x01, 0x61, 0x02, 0xC3, 0x28, 0x00]);
    assert_error(
        &e,
        DecodeErrorKind::InvalidUtf8 { valid_up_to: 0 },
        4,
        "Strings.names[1]",
        "invalid utf-8 (valid up to byte 0 of the string) at byte 4 in Strings.names[1]",
    );
    let e = decode_err::<Borrowed>(&[0x00, 0x00, 0x00, 0x01, 0x80]);
    assert_error(
        &e,
        DecodeErrorKind::InvalidUtf8 { valid_up_to: 0 },
        4,
        "Borrowed.label",
        "invalid utf-8 (valid up to byte 0 of the string) at byte 4 in Borrowed.label",
    );
    // In an enum variant's field.
    let e = decode_err::<Command>(&[0x11, 0x01, 0xFF]);
    assert_error(
        &e,
        DecodeErrorKind::InvalidUtf8 { valid_up_to: 0 },
        2,
        "Command::Get.0",
        "invalid utf-8 (valid up to byte 0 of the string) at byte 2 in Command::Get.0",
    );
}

#[test]
fn invalid_char() {
    let mut input = vec![0x01, 0x00];
    input.extend_from_slice(&[0; 12]);
    input.extend_from_slice(&[0x00, 0x00, 0xD8, 0x00]);
    let e = decode_err::<Scalars>(&input);
    assert_error(
        &e,
        DecodeErrorKind::InvalidChar(0xD800),
        14,
        "Scalars.letter",
        "invalid char 0xd800 at byte 14 in Scalars.letter",
    );
}

#[test]
fn invalid_discriminant() {
    let e = decode_err::<Status>(&[0x05]);
    assert_error(
        &e,
        DecodeErrorKind::InvalidDiscriminant(5),
        0,
        "Status",
        "invalid discriminant 5 at byte 0 in Status",
    );
    // Nested, the type's name is replaced by the field's path.
    let e = decode_err::<StoreResponse>(&[0x07, 0x03]);
    assert_error(
        &e,
        DecodeErrorKind::InvalidDiscriminant(3),
        1,
        "StoreResponse.status",
        "invalid discriminant 3 at byte 1 in StoreResponse.status",
    );
    // A little-endian u16 id.
    let e = decode_err::<Shape>(&[0x09, 0x01]);
    assert_error(
        &e,
        DecodeErrorKind::InvalidDiscriminant(0x0109),
        0,
        "Shape",
        "invalid discriminant 265 at byte 0 in Shape",
    );
    // A vlq id, after a varint one.
    let e = decode_err::<Kinds>(&[0x01, 0x82, 0x2D]);
    assert_error(
        &e,
        DecodeErrorKind::InvalidDiscriminant(301),
        1,
        "Kinds.vlq",
        "invalid discriminant 301 at byte 1 in Kinds.vlq",
    );
}

#[test]
fn base128_out_of_range() {
    // Varints.e is a u16: 70000 = F0 A2 04 does not fit.
    let mut input = vec![0x00, 0x00, 0x00, 0x00];
    input.extend_from_slice(&[0xF0, 0xA2, 0x04]);
    let e = decode_err::<Varints>(&input);
    assert_error(
        &e,
        DecodeErrorKind::IntegerOutOfRange {
            value: 70000,
            target: "u16",
        },
        4,
        "Varints.e",
        "integer 70000 out of range for u16 at byte 4 in Varints.e",
    );
    // Eleven LEB128 bytes are more than any u64 takes.
    let e = decode_err::<Varint>(&[0x80; 11]);
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::VarintTooLong { target: "u64" },
        "{e}"
    );
    assert_eq!((e.offset(), e.path().to_string()), (0, "Varint.0".into()));
    // A vlq over 64 bits: 82 followed by 9 x 80 then 00 is 2^64.
    let mut input = vec![0x82];
    input.extend_from_slice(&[0x80; 8]);
    input.push(0x00);
    let e = decode_err::<Vlq>(&input);
    assert!(
        matches!(
            e.kind(),
            DecodeErrorKind::IntegerOutOfRange { target: "u64", .. }
        ),
        "{e}"
    );
    assert_eq!(e.offset(), 0);
}

/// A byte length that ends inside an element is malformed input, and
/// more input cannot fix it: it must not be reported as "need more bytes".
#[test]
fn byte_length_ending_inside_an_element() {
    // by_bytes: len 3 = 00 01 | 00 <- the second u16 is cut by the length
    // by_elements: 0 | by_default: 0
    let input = [0x03, 0x00, 0x01, 0x00, 0x00, 0x00];
    let e = decode_err::<Units>(&input);
    assert_error(
        &e,
        DecodeErrorKind::Invalid("byte length ends inside an element"),
        3,
        "Units.by_bytes[1]",
        "byte length ends inside an element at byte 3 in Units.by_bytes[1]",
    );
    assert_eq!(
        e.bytes_needed(),
        None,
        "more input cannot fix a fixed window"
    );
    // Appending bytes does not help: the same error stays.
    let mut longer = input.to_vec();
    longer.extend_from_slice(&[0; 8]);
    assert_eq!(decode_err::<Units>(&longer), e);
}

// ## Encode errors

#[test]
fn name_too_long_for_u8_prefix() {
    let req = StoreRequest {
        trans: 1,
        name: "x".repeat(256),
        data: b"d".to_vec(),
    };
    let e = req.to_bytes().unwrap_err();
    assert_eq!(
        e.kind(),
        &EncodeErrorKind::LengthOverflow {
            len: 256,
            prefix: "u8",
            max: 255
        }
    );
    assert_eq!(e.path().to_string(), "StoreRequest.name");
    assert_eq!(
        e.to_string(),
        "length 256 does not fit a u8 length prefix (max 255) in StoreRequest.name"
    );

    // `encode` leaves the caller's buffer as it was (trans was written
    // before the name failed, and must be gone).
    let mut buf = vec![0xAB, 0xCD];
    let before = buf.clone();
    assert_eq!(req.encode(&mut buf).unwrap_err(), e);
    assert_eq!(buf, before);

    // 255 is fine.
    let ok = StoreRequest {
        name: "x".repeat(255),
        ..req
    };
    assert_eq!(ok.to_bytes().unwrap().len(), 1 + 1 + 255 + 2 + 1);
}

#[test]
fn data_too_long_for_u16_prefix() {
    let req = StoreRequest {
        trans: 1,
        name: "k".into(),
        data: vec![0; 65536],
    };
    let e = req.to_bytes().unwrap_err();
    assert_eq!(
        e.to_string(),
        "length 65536 does not fit a u16 length prefix (max 65535) in StoreRequest.data"
    );
}

#[test]
fn too_long_deep_inside() {
    let mut v = Nested {
        id: 0,
        point: Point { x: 0, y: 0 },
        points: vec![],
        boxed: Box::new(Point { x: 0, y: 0 }),
        maybe: None,
        nick: Some("n".repeat(300)),
        entries: vec![],
    };
    let e = v.to_bytes().unwrap_err();
    assert_eq!(
        e.to_string(),
        "length 300 does not fit a u8 length prefix (max 255) in Nested.nick"
    );
    v.nick = None;
    let long = StoreRequest {
        trans: 0,
        name: "n".repeat(256),
        data: vec![],
    };
    let short = StoreRequest {
        name: String::new(),
        ..long.clone()
    };
    v.entries = vec![short.clone(), short, long];
    let e = v.to_bytes().unwrap_err();
    assert_eq!(e.path().to_string(), "Nested.entries[2].name");
    // Too many elements for the count prefix.
    let w = Wrapper {
        items: vec![0u8; 256],
    };
    assert_eq!(
        w.to_bytes().unwrap_err().to_string(),
        "length 256 does not fit a u8 length prefix (max 255) in Wrapper.items"
    );
}

#[test]
fn len_from_holder_too_small() {
    let v = LenFrom {
        nlen: 0,
        wlen: 0,
        tag: 0,
        name: "n".repeat(256),
        words: vec![],
    };
    let e = v.to_bytes().unwrap_err();
    assert_eq!(e.path().to_string(), "LenFrom.name");
    assert!(
        matches!(
            e.kind(),
            EncodeErrorKind::LengthOverflow {
                len: 256,
                max: 255,
                ..
            }
        ),
        "{e}"
    );
    let mut buf = vec![1, 2, 3];
    v.encode(&mut buf).unwrap_err();
    assert_eq!(buf, [1, 2, 3]);
}

#[test]
fn when_mismatch() {
    // flags & 1 == 0 but the channel is present.
    let v = Packet {
        tag: 1,
        flags: 0,
        channel: Some(5),
        note: None,
        payload: b"",
    };
    let e = v.to_bytes().unwrap_err();
    assert_eq!(
        e.kind(),
        &EncodeErrorKind::WhenMismatch {
            expected: "absent",
            actual: "present"
        }
    );
    assert_eq!(
        e.to_string(),
        "value is present but its `when` condition says absent in Packet.channel"
    );
    // flags & 2 != 0 but the note is missing.
    let v = Packet {
        tag: 1,
        flags: 2,
        channel: None,
        note: None,
        payload: b"",
    };
    let e = v.to_bytes().unwrap_err();
    assert_eq!(
        e.to_string(),
        "value is absent but its `when` condition says present in Packet.note"
    );
    let mut buf = vec![9];
    v.encode(&mut buf).unwrap_err();
    assert_eq!(buf, [9]);
}

/// The `other` variant holds ids no other variant claims. Encoding it with
/// a claimed id would produce bytes that decode as a different variant,
/// breaking the round trip, so it must be an encode error.
#[test]
fn other_variant_with_a_claimed_id() {
    let v = Command::Unknown(0x12, vec![]);
    let e = match v.to_bytes() {
        Err(e) => e,
        Ok(bytes) => panic!(
            "{v:?} encoded as {:?}, which decodes as {:?}",
            Hex(&bytes),
            Command::from_bytes(&bytes)
        ),
    };
    assert_eq!(
        e.to_string(),
        "an `other` variant cannot hold an id another variant claims in Command::Unknown.0"
    );
    for id in [0x10, 0x11] {
        assert!(Command::Unknown(id, vec![1]).to_bytes().is_err());
    }
    assert!(Command::Unknown(0x13, vec![1]).to_bytes().is_ok());
}

// ## Frames: `#[derive(Message, Protocol)]`

/// An unknown id, a header length one byte short or long, and every strict
/// prefix of a frame.
#[test]
fn hostile_frames() {
    let unknown = Storage::from_bytes(&[0x09, 0x00, 0x00]).unwrap_err();
    assert_eq!(unknown.kind(), &DecodeErrorKind::UnknownId(9));
    // One byte too few and one too many in the header's length.
    let mut short = Storage::from(sample_request()).to_bytes().unwrap();
    short[2] = 0x0B;
    short.pop();
    assert!(matches!(
        Storage::from_bytes(&short).unwrap_err().kind(),
        DecodeErrorKind::LengthMismatch { .. }
    ));
    let mut long = Storage::from(sample_request()).to_bytes().unwrap();
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
        let frame = Storage::from(sample_request()).to_bytes().unwrap();
        let err = Storage::from_bytes(&frame[..cut]).unwrap_err();
        assert!(err.bytes_needed().is_some(), "prefix of {cut} bytes: {err}");
    }
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

// ## Integer widths, magic, length arithmetic, nullable lengths

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn prefixes_widths(v in widths()) {
        let bytes = v.to_bytes().unwrap();
        assert_truncations::<Widths>(&bytes, bytes.len());
    }

    #[test]
    fn prefixes_png(v in png_header()) {
        let bytes = v.to_bytes().unwrap();
        assert_truncations::<PngHeader>(&bytes, bytes.len());
    }

    #[test]
    fn prefixes_pg_data_row(v in pg_data_row()) {
        let bytes = v.to_bytes().unwrap();
        assert_truncations::<PgDataRow>(&bytes, bytes.len());
    }

    #[test]
    fn prefixes_kafka(v in kafka_forms()) {
        let bytes = v.to_bytes().unwrap();
        assert_truncations::<KafkaForms>(&bytes, bytes.len());
    }

    #[test]
    fn random_bytes_new_forms(input in prop::collection::vec(any::<u8>(), 0..96)) {
        let _ = Widths::from_bytes(&input);
        let _ = PngHeader::from_bytes(&input);
        let _ = Chunk::from_bytes(&input);
        let _ = PgDataRow::from_bytes(&input);
        let _ = KafkaForms::from_bytes(&input);
        let _ = TlsHandshake::from_bytes(&input);
    }
}

#[test]
fn bad_magic_names_expected_found_offset() {
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDX".to_vec();
    png.extend_from_slice(&[0; 17]);
    let e = decode_err::<PngHeader>(&png);
    assert_error(
        &e,
        DecodeErrorKind::BadMagic {
            expected: b"IHDR",
            found: Found::new(b"IHDX"),
        },
        12,
        "PngHeader.width",
        "bad magic (expected 49 48 44 52, found 49 48 44 58) at byte 12 in PngHeader.width",
    );
    let e = decode_err::<PngHeader>(b"GIF89a");
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::BadMagic {
            expected: b"\x89PNG\r\n\x1a\n",
            found: Found::new(b"GIF89a"),
        }
    );
    assert_eq!(e.offset(), 0);
    // No variant's magic: the first variant's is named.
    let e = decode_err::<Chunk>(b"IDAT");
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::BadMagic {
            expected: b"IEND",
            found: Found::new(b"IDAT"),
        }
    );
}

#[test]
fn sentinel_misuse_and_offset_underflow() {
    // A PostgreSQL column length of -2: negative but not the null value.
    let e = decode_err::<PgColumn>(&[0xFF, 0xFF, 0xFF, 0xFE]);
    assert_error(
        &e,
        DecodeErrorKind::LengthBelowMin { value: -2, min: 0 },
        0,
        "PgColumn.value",
        "length value -2 is below the minimum 0 at byte 0 in PgColumn.value",
    );
    // Kafka: a compact array (N+1) of wire value 0 has no null.
    let e = decode_err::<KafkaForms>(&[0xFF, 0xFF, 0x00, 0x00]);
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::LengthBelowMin { value: 0, min: 1 }
    );
    assert_eq!(
        (e.offset(), e.path().to_string()),
        (3, "KafkaForms.array".into())
    );
    // An Int32 counting itself that says 3.
    let e = decode_err::<KafkaForms>(&[0xFF, 0xFF, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03]);
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::LengthBelowMin { value: 3, min: 4 }
    );
    assert_eq!(e.offset(), 4);
    // DataRow: a length smaller than its own 4 bytes and the count.
    let e = decode_err::<PgDataRow>(b"D\x00\x00\x00\x05\x00\x00");
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::LengthBelowMin { value: 5, min: 6 }
    );
    assert_eq!(e.path().to_string(), "PgDataRow.columns");
}

#[test]
fn values_too_wide_for_their_bytes() {
    let w = Widths {
        msg_type: 0,
        length: 0,
        body: vec![],
        signed: 1 << 23,
        five: 0,
        seven: 0,
    };
    let e = w.to_bytes().unwrap_err();
    assert_eq!(
        e.kind(),
        &EncodeErrorKind::ValueOutOfRange {
            value: 1 << 23,
            target: "i24"
        }
    );
    assert_eq!(e.path().to_string(), "Widths.signed");
    let w = Widths {
        five: 1 << 40,
        signed: 0,
        ..w
    };
    assert_eq!(w.to_bytes().unwrap_err().path().to_string(), "Widths.five");
    // A u24 prefix holds at most 2^24 - 1.
    let h = TlsHandshake {
        msg_type: 1,
        body: vec![0; 1 << 24],
    };
    let e = h.to_bytes().unwrap_err();
    assert_eq!(
        e.kind(),
        &EncodeErrorKind::LengthOverflow {
            len: 1 << 24,
            prefix: "u24",
            max: (1 << 24) - 1
        }
    );
    assert_eq!(e.path().to_string(), "TlsHandshake.body");
}

// ## Terminated and fixed-size data

/// A terminated list answers the exact need at each point: 1 byte where
/// the terminator or an element may start, the element's need inside one.
#[test]
fn term_list_truncations() {
    let e = decode_err::<U16List>(&[]);
    assert_error(
        &e,
        end(1, 0),
        0,
        "U16List.list",
        "unexpected end of input (need 1 byte, have 0) at byte 0 in U16List.list",
    );
    let e = decode_err::<U16List>(&[0x00]);
    assert_error(
        &e,
        end(2, 1),
        0,
        "U16List.list[0]",
        "unexpected end of input (need 2 bytes, have 1) at byte 0 in U16List.list[0]",
    );
    let e = decode_err::<U16List>(&[0x00, 0x01]);
    assert_eq!((e.offset(), e.bytes_needed()), (2, Some(1)));
    assert_eq!(e.path().to_string(), "U16List.list");
    let e = decode_err::<U16List>(&[0x00, 0x01, 0xFF]);
    assert_eq!((e.offset(), e.bytes_needed()), (3, Some(1)));
    assert_eq!(e.path().to_string(), "U16List.after");
    let v = U16List::from_bytes(&[0x00, 0x01, 0xFF, 0x07]).unwrap();
    assert_eq!((v.list, v.after), (vec![1], 7));
}

/// A string with no terminator before the input ends asks for one more
/// byte at the end of the input.
#[test]
fn term_string_missing_terminator() {
    let mut bytes = vec![0x00, 0x00, 0x00, 0x17, 0x00, 0x03, 0x00, 0x00];
    bytes.extend_from_slice(b"user\0postgr");
    let e = decode_err::<PgStartup>(&bytes);
    assert_error(
        &e,
        end(1, 0),
        19,
        "PgStartup.params[0].value",
        "unexpected end of input (need 1 byte, have 0) at byte 19 in PgStartup.params[0].value",
    );
    // Invalid UTF-8 before the terminator is an error at the string.
    let e = decode_err::<PgQuery>(b"Q\x00\x00\x00\x06\xff\x00");
    assert_error(
        &e,
        DecodeErrorKind::InvalidUtf8 { valid_up_to: 0 },
        5,
        "PgQuery.query",
        "invalid utf-8 (valid up to byte 0 of the string) at byte 5 in PgQuery.query",
    );
}

#[derive(Debug, PartialEq, Protocol)]
enum PgFrames {
    Startup(PgStartup),
}

/// Inside a whole frame, a missing terminator is an error, not a request
/// for more bytes: the frame's length says the input is all there.
#[test]
fn term_missing_at_end_of_frame() {
    let mut payload = vec![0x00, 0x00, 0x00, 0x17, 0x00, 0x03, 0x00, 0x00];
    payload.extend_from_slice(b"user\0postgres\0");
    // The list's final NUL is missing.
    let mut frame = vec![0x30, 0x00, payload.len() as u8];
    frame.extend_from_slice(&payload);
    let e = PgFrames::from_bytes(&frame).unwrap_err();
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::LengthMismatch {
            declared: 22,
            actual: 23
        },
        "{e:?}"
    );
    assert_eq!(e.path().to_string(), "PgStartup.params", "{e:?}");
    assert_eq!(e.offset(), 3 + payload.len(), "{e:?}");
}

/// A terminator inside a value cannot be written: the value would end
/// early on decode. So is a list element starting with the terminator.
#[test]
fn term_inside_value_on_encode() {
    let msg = PgStartup {
        length: 0,
        protocol: 196608,
        params: vec![PgParam {
            name: "us\0er".into(),
            value: "x".into(),
        }],
    };
    let e = msg.to_bytes().unwrap_err();
    assert_eq!(
        e.kind(),
        &EncodeErrorKind::Invalid("value contains its terminator byte")
    );
    assert_eq!(
        e.to_string(),
        "value contains its terminator byte in PgStartup.params[0].name"
    );
    // An empty name would start with the list's terminator.
    let msg = PgStartup {
        length: 0,
        protocol: 196608,
        params: vec![PgParam {
            name: String::new(),
            value: "x".into(),
        }],
    };
    let e = msg.to_bytes().unwrap_err();
    assert_eq!(
        e.to_string(),
        "list element is empty or starts with the list's terminator byte in PgStartup.params[0]"
    );
    let l = U16List {
        list: vec![1, 0xFF00],
        after: 0,
    };
    let mut buf = vec![9];
    assert!(l.encode(&mut buf).is_err());
    assert_eq!(buf, [9], "nothing written on error");
}

/// A value longer than its fixed size, or ending with its pad byte (which
/// decoding strips), is an encode error.
#[test]
fn fixed_size_oversize_and_trailing_pad() {
    let t = TarName {
        name: "n".repeat(101),
        mode: b"0".to_vec(),
    };
    let e = t.to_bytes().unwrap_err();
    assert_eq!(
        e.to_string(),
        "value longer than its fixed `size` in TarName.name"
    );
    let t = TarName {
        name: "n".into(),
        mode: b"0644 ".to_vec(),
    };
    let e = t.to_bytes().unwrap_err();
    assert_eq!(
        e.to_string(),
        "value ends with its `pad` byte, which decoding strips in TarName.mode"
    );
    // On decode, a field of padding only is the empty value; pad bytes
    // inside a value are kept.
    let mut bytes = b"a\0b".to_vec();
    bytes.resize(100, 0);
    bytes.extend_from_slice(b"        ");
    let t = TarName::from_bytes(&bytes).unwrap();
    assert_eq!((t.name.as_str(), t.mode.as_slice()), ("a\0b", &b""[..]));
    let e = decode_err::<TarName>(&bytes[..50]);
    assert_error(
        &e,
        end(100, 50),
        0,
        "TarName.name",
        "unexpected end of input (need 100 bytes, have 50) at byte 0 in TarName.name",
    );
}

proptest! {
    /// Every strict prefix of random terminated and fixed-size encodings
    /// is an exact "need n more bytes".
    #[test]
    fn term_truncations(v in pg_startup(), t in tar_name()) {
        let bytes = v.to_bytes().unwrap();
        assert_truncations::<PgStartup>(&bytes, bytes.len());
        let bytes = t.to_bytes().unwrap();
        assert_truncations::<TarName>(&bytes, bytes.len());
    }
}

// ## Assertions and conversions

/// ```text
/// version | lo    | hi    | name.len | name
/// 01      | 00 01 | 00 09 | 05       | 68 65 6C 6C 6F
/// ```
const RANGE_LONG_NAME: &[u8] = &[
    0x01, 0x00, 0x01, 0x00, 0x09, 0x05, 0x68, 0x65, 0x6C, 0x6C, 0x6F,
];

#[test]
fn failing_assertions_on_decode() {
    let assertion = |message| DecodeErrorKind::Assertion { message };
    // A field's own condition: at the field, with its path.
    let e = decode_err::<Range>(&[0x00, 0x00, 0x01, 0x00, 0x09, 0x00]);
    assert_error(
        &e,
        assertion("unsupported version"),
        0,
        "Range.version",
        "assertion failed: unsupported version at byte 0 in Range.version",
    );
    // A condition over an earlier field: at the field it is on (the name
    // starts after its length prefix).
    let e = decode_err::<Range>(RANGE_LONG_NAME);
    assert_error(
        &e,
        assertion("name too long for the version"),
        5,
        "Range.name",
        "assertion failed: name too long for the version at byte 5 in Range.name",
    );
    // The type's condition, after every field: at the type's start.
    let e = decode_err::<Range>(&[0x01, 0x00, 0x09, 0x00, 0x01, 0x00]);
    assert_error(
        &e,
        assertion("lo above hi"),
        0,
        "Range",
        "assertion failed: lo above hi at byte 0 in Range",
    );
    // Partial input is still "need N more bytes", never an assertion.
    assert_truncations::<Range>(&[0x02, 0x00, 0x01, 0x00, 0x09, 0x03, 0x61, 0x62, 0x63], 9);
}

#[test]
fn failing_assertions_on_encode_write_nothing() {
    let cases = [
        (
            Range {
                version: 4,
                lo: 1,
                hi: 2,
                name: String::new(),
            },
            "unsupported version",
            "Range.version",
        ),
        (
            Range {
                version: 1,
                lo: 1,
                hi: 2,
                name: "hello".into(),
            },
            "name too long for the version",
            "Range.name",
        ),
        (
            Range {
                version: 1,
                lo: 3,
                hi: 2,
                name: String::new(),
            },
            "lo above hi",
            "Range",
        ),
    ];
    for (v, message, path) in cases {
        // `encode_with` itself checks before writing: the buffer keeps
        // exactly what it had.
        let mut buf = vec![0xEE];
        let e = v.encode_with(&mut buf, Endian::Big).unwrap_err();
        assert_eq!(e.kind(), &EncodeErrorKind::Assertion { message }, "{v:?}");
        assert_eq!(e.path().to_string(), path, "{v:?}");
        assert_eq!(buf, [0xEE], "{v:?}");
        assert!(v.to_bytes().is_err());
    }
}

/// ```text
/// at (u64 secs)           | price    | kind | small
/// 00 00 00 00 65 53 F1 00 | 00 04 D2 | 05   | 01
/// ```
#[test]
fn failing_try_map() {
    let mut bytes = [
        0x00, 0x00, 0x00, 0x00, 0x65, 0x53, 0xF1, 0x00, 0x00, 0x04, 0xD2, 0x05, 0x01,
    ];
    // A reserved kind: the function's message, at the kind's offset.
    let e = decode_err::<Reading>(&bytes);
    assert_error(
        &e,
        DecodeErrorKind::Invalid("reserved kind"),
        11,
        "Reading.kind",
        "reserved kind at byte 11 in Reading.kind",
    );
    // A timestamp past `SystemTime`'s range: an error, not a panic.
    bytes[..8].fill(0xFF);
    let e = decode_err::<Reading>(&bytes);
    assert_error(
        &e,
        DecodeErrorKind::Invalid("timestamp out of range"),
        0,
        "Reading.at",
        "timestamp out of range at byte 0 in Reading.at",
    );
    // Encode refuses a value the wire type cannot hold, writing nothing.
    let v = Reading {
        at: std::time::UNIX_EPOCH,
        price: 0.0,
        kind: Kind::Vendor(5),
        small: 0,
    };
    let mut buf = vec![0xEE];
    let e = v.encode_with(&mut buf, Endian::Big).unwrap_err();
    assert_eq!(
        e.kind(),
        &EncodeErrorKind::Invalid("vendor kind below 0x80")
    );
    assert_eq!(e.path().to_string(), "Reading.kind");
    assert_eq!(buf, [0xEE]);
    let before = Reading {
        at: std::time::UNIX_EPOCH - std::time::Duration::from_secs(1),
        kind: Kind::Data,
        ..v
    };
    let e = before.to_bytes().unwrap_err();
    assert_eq!(e.kind(), &EncodeErrorKind::Invalid("timestamp before 1970"));
    assert_eq!(e.path().to_string(), "Reading.at");
    // Every prefix of a valid value is "need more bytes".
    bytes[..8].fill(0);
    bytes[11] = 0x90;
    assert_truncations::<Reading>(&bytes, bytes.len());
}

proptest! {
    /// Any input decodes or fails with an error; never a panic.
    #[test]
    fn checked_types_never_panic(input in prop::collection::vec(any::<u8>(), 0..32)) {
        let _ = Range::from_bytes(&input);
        let _ = Reading::from_bytes(&input);
    }
}

/// A terminated or fixed-size field with an `assert`: checked right after
/// the value is read (at the field's offset), and before anything is
/// written on encode.
#[derive(Debug, PartialEq, codec::Encode, codec::Decode)]
struct TermChecked {
    #[codec(term, assert(!name.is_empty(), "empty name"))]
    name: String,
    #[codec(size = 4, pad = 0x20, assert(code.len() >= 2, "short code"))]
    code: Vec<u8>,
}

#[test]
fn term_and_size_with_assert() {
    let v = TermChecked {
        name: "ab".into(),
        code: b"xy".to_vec(),
    };
    assert_eq!(v.to_bytes().unwrap(), b"ab\0xy  ");
    assert_eq!(TermChecked::from_bytes(b"ab\0xy  ").unwrap(), v);
    let assertion = |message| DecodeErrorKind::Assertion { message };
    let e = decode_err::<TermChecked>(b"\0xy  ");
    assert_error(
        &e,
        assertion("empty name"),
        0,
        "TermChecked.name",
        "assertion failed: empty name at byte 0 in TermChecked.name",
    );
    let e = decode_err::<TermChecked>(b"a\0x   ");
    assert_error(
        &e,
        assertion("short code"),
        2,
        "TermChecked.code",
        "assertion failed: short code at byte 2 in TermChecked.code",
    );
    // Partial input is still "need N more bytes".
    assert_truncations::<TermChecked>(b"ab\0xy  ", 7);
    let mut buf = vec![0xEE];
    let e = TermChecked {
        name: String::new(),
        code: b"xy".to_vec(),
    }
    .encode_with(&mut buf, Endian::Big)
    .unwrap_err();
    assert_eq!(
        e.kind(),
        &EncodeErrorKind::Assertion {
            message: "empty name"
        }
    );
    assert_eq!(e.path().to_string(), "TermChecked.name");
    assert_eq!(buf, [0xEE]);
}

// Issue 13: a protocol enum's `from_bytes` checks the header's length
// against the input once (`decode_frame_exact`), and the derive checks the
// payload is used exactly inside each variant's arm
// (`decode_framed_exact`). Both must answer exactly as the general path
// does: `decode_frame` then a check for trailing bytes, and
// `decode_payload_exact` around `decode_framed`. (Variants tied to the
// header take the default path in the derive's `decode_framed_exact`.)

/// The general path: `decode_frame`, then the check for trailing bytes.
fn frame_then_finish<'a, P: codec::DecodeProtocol<'a>>(input: &'a [u8]) -> Result<P, DecodeError> {
    let mut r = codec::Reader::new(input);
    let v = codec::frame::decode_frame(&mut r)?;
    r.finish()?;
    Ok(v)
}

/// The derive's `decode_framed_exact` and the trait's default on the same
/// payload window, if `input` has a whole header.
fn framed_exact_agrees<'a, P>(input: &'a [u8]) -> Result<(), TestCaseError>
where
    P: codec::DecodeProtocol<'a> + std::fmt::Debug + PartialEq,
{
    use codec::header::{Header, Parsed};
    let Ok(Parsed::Complete(head)) = <P::Header as Header>::parse(input) else {
        return Ok(());
    };
    let (header, rest) = input.split_at(head.header_len);
    let len = usize::try_from(head.payload_len)
        .unwrap_or(usize::MAX)
        .min(rest.len());
    let window = || codec::Reader::with_offset(&rest[..len], head.header_len);
    let (mut a, mut b) = (window(), window());
    let fast = P::decode_framed_exact(header, head.id, &mut a);
    let slow = codec::frame::decode_payload_exact(&mut b, |r| P::decode_framed(header, head.id, r));
    prop_assert_eq!(fast, slow, "input {:?}", Hex(input));
    prop_assert_eq!(a.offset(), b.offset());
    Ok(())
}

/// Every prefix, a byte of trailing noise, a header length one off either
/// way (`len_low`: the index of the length's low byte), every byte set to
/// 0xFF, and one random edit, of a valid frame.
fn hostile_frames_of(
    bytes: &[u8],
    len_low: usize,
    edit: (prop::sample::Index, u8),
) -> Vec<Vec<u8>> {
    let mut inputs: Vec<Vec<u8>> = (0..=bytes.len()).map(|n| bytes[..n].to_vec()).collect();
    inputs.push([bytes, &[0]].concat());
    for delta in [-1i32, 1] {
        let mut b = bytes.to_vec();
        b[len_low] = b[len_low].wrapping_add(delta as u8);
        inputs.push(b);
    }
    inputs.extend((0..bytes.len()).map(|i| {
        let mut b = bytes.to_vec();
        b[i] = 0xFF;
        b
    }));
    let mut edited = bytes.to_vec();
    let at = edit.0.index(edited.len());
    edited[at] = edit.1;
    inputs.push(edited);
    inputs
}

fn storage() -> impl Strategy<Value = Storage> {
    prop_oneof![
        store_request().prop_map(Storage::StoreRequest),
        text(60).prop_map(|name| Storage::Changed(codec_tests::tutorial::Changed { name })),
    ]
}

fn open() -> impl Strategy<Value = Open> {
    prop_oneof![
        store_request().prop_map(Open::StoreRequest),
        (2u64..0xFFFF, bytes(40)).prop_map(|(id, p)| Open::Unknown(RawFrame::new(id, p))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn protocol_from_bytes_is_the_general_path(
        s in storage(),
        o in open(),
        edit in (any::<prop::sample::Index>(), any::<u8>()),
    ) {
        // The length's low byte: StdHeader's is byte 2, WideHeader's 5.
        for input in hostile_frames_of(&s.to_bytes().unwrap(), 2, edit) {
            prop_assert_eq!(Storage::from_bytes(&input), frame_then_finish::<Storage>(&input), "input {:?}", Hex(&input));
            framed_exact_agrees::<Storage>(&input)?;
        }
        for input in hostile_frames_of(&o.to_bytes().unwrap(), 5, edit) {
            prop_assert_eq!(Open::from_bytes(&input), frame_then_finish::<Open>(&input), "input {:?}", Hex(&input));
            framed_exact_agrees::<Open>(&input)?;
        }
    }
}
