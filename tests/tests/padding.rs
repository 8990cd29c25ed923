//! Padding and alignment (`pad_before`, `pad_after`, `align`, `pad`,
//! `pad_check`) and types padded to a fixed `size`: goldens with every
//! strict prefix, hostile padding, `Message::FIELDS`, `explain`, and
//! round trips.

use codec::{Decode, DecodeErrorKind, Encode, EncodeErrorKind, Message, Protocol};
use codec_tests::strategies::*;
use codec_tests::types::*;
use codec_tests::{assert_error, golden, Hex};
use proptest::prelude::*;

fn sample(name: &str) -> Aligned {
    Aligned {
        kind: 0x01,
        value: 0x0A0B_0C0D,
        flags: 0x1234,
        name: name.into(),
        tail: 0x1122_3344_5566_7788,
    }
}

/// `tail` starts on a multiple of 8 already: no padding before it.
///
/// ```text
/// kind | align 4  | value       | pad_before 2 | flags | name.len | name  | pad_after
/// 01   | 00 00 00 | 0A 0B 0C 0D | FF FF        | 12 34 | 02       | 68 69 | 00
/// align 8 | tail
/// (none)  | 11 22 33 44 55 66 77 88
/// ```
#[test]
fn aligned_golden() {
    golden(
        &sample("hi"),
        &[
            0x01, 0x00, 0x00, 0x00, 0x0A, 0x0B, 0x0C, 0x0D, 0xFF, 0xFF, 0x12, 0x34, 0x02, 0x68,
            0x69, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
        ],
    );
}

/// One more name byte: `tail` is at 17, padded with seven `0x20` to 24.
///
/// ```text
/// .. | name.len | name     | pad_after | align 8              | tail
/// .. | 03       | 68 65 79 | 00        | 20 20 20 20 20 20 20 | 11 .. 88
/// ```
#[test]
fn aligned_golden_with_padding_before_tail() {
    golden(
        &sample("hey"),
        &[
            0x01, 0x00, 0x00, 0x00, 0x0A, 0x0B, 0x0C, 0x0D, 0xFF, 0xFF, 0x12, 0x34, 0x03, 0x68,
            0x65, 0x79, 0x00, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x11, 0x22, 0x33, 0x44,
            0x55, 0x66, 0x77, 0x88,
        ],
    );
}

/// Unchecked padding may hold anything; it is written back as the pad byte.
#[test]
fn unchecked_padding_is_ignored() {
    let mut bytes = sample("hi").to_bytes().unwrap();
    bytes[1..4].copy_from_slice(&[0x55, 0x66, 0x77]); // align 4 of `value`
    bytes[15] = 0x99; // pad_after of `name`
    assert_eq!(Aligned::from_bytes(&bytes).unwrap(), sample("hi"));
}

/// Checked padding names the field, the byte's offset, the pad byte and
/// the byte found.
#[test]
fn checked_padding_is_checked() {
    let mut bytes = sample("hi").to_bytes().unwrap();
    bytes[9] = 0xFE;
    assert_error(
        &Aligned::from_bytes(&bytes).unwrap_err(),
        DecodeErrorKind::BadPadding {
            expected: 0xFF,
            found: 0xFE,
        },
        9,
        "Aligned.flags",
        "bad padding byte (expected 0xff, found 0xfe) at byte 9 in Aligned.flags",
    );
    let mut bytes = sample("hey").to_bytes().unwrap();
    bytes[20] = 0x00;
    assert_error(
        &Aligned::from_bytes(&bytes).unwrap_err(),
        DecodeErrorKind::BadPadding {
            expected: 0x20,
            found: 0x00,
        },
        20,
        "Aligned.tail",
        "bad padding byte (expected 0x20, found 0x00) at byte 20 in Aligned.tail",
    );
}

/// A strict prefix ending inside alignment padding needs exactly the rest
/// of it (the golden tests check every prefix; this names one).
#[test]
fn alignment_truncation_is_exact() {
    let bytes = sample("hey").to_bytes().unwrap();
    let e = Aligned::from_bytes(&bytes[..19]).unwrap_err();
    assert_eq!(e.bytes_needed(), Some(5));
    assert_eq!(e.offset(), 17);
    assert_eq!(e.path().to_string(), "Aligned.tail");
}

/// Padding has `FIELDS` entries of its own, named `pad`, with its width
/// where the offset is known.
#[test]
fn aligned_fields() {
    let fields: Vec<_> = Aligned::FIELDS
        .iter()
        .map(|f| (f.name, f.offset, f.width, f.encoding))
        .collect();
    assert_eq!(
        fields,
        [
            ("kind", Some(0), Some(1), "u8"),
            ("pad", Some(1), Some(3), "align = 4"),
            ("value", Some(4), Some(4), "u32"),
            ("pad", Some(8), Some(2), "pad_before = 2"),
            ("flags", Some(10), Some(2), "u16"),
            ("name", Some(12), None, "len = u8, String"),
            ("pad", None, Some(1), "pad_after = 1"),
            ("pad", None, None, "align = 8"),
            ("tail", None, Some(8), "u64"),
        ]
    );
    assert_eq!(
        FixedRecord::FIELDS
            .last()
            .map(|f| (f.name, f.offset, f.width)),
        Some(("pad", None, None))
    );
}

#[derive(Debug, PartialEq, Protocol)]
enum PadProto {
    Aligned(Aligned),
    Fixed(FixedRecord),
}

/// `explain` shows each piece of padding on a `field.pad` line (the type's
/// own on a `pad` line).
#[test]
fn explain_shows_padding() {
    let frame = PadProto::from(sample("hey")).to_bytes().unwrap();
    let dump = codec::explain::<PadProto>(&frame);
    assert!(
        dump.contains("Aligned.value.pad = 3 pad bytes 00 00 00"),
        "{dump}"
    );
    assert!(
        dump.contains("Aligned.flags.pad = 2 pad bytes ff ff"),
        "{dump}"
    );
    assert!(dump.contains("Aligned.name.pad = 1 pad byte 00"), "{dump}");
    assert!(
        dump.contains("Aligned.tail.pad = 7 pad bytes 20 20 20 20 20 20 20"),
        "{dump}"
    );
    let frame = PadProto::from(record("ab")).to_bytes().unwrap();
    let dump = codec::explain::<PadProto>(&frame);
    assert!(
        dump.contains("FixedRecord.pad = 10 pad bytes 2e 2e 2e 2e 2e 2e 2e 2e 2e 2e"),
        "{dump}"
    );
}

fn record(name: &str) -> FixedRecord {
    FixedRecord {
        id: 0x0102,
        name: name.into(),
    }
}

/// A type padded to 16 bytes after its magic and fields.
///
/// ```text
/// magic | id    | name.len | name  | pad to 16
/// 52    | 01 02 | 02       | 61 62 | 2E x 10
/// ```
#[test]
fn fixed_size_golden() {
    let mut expected = vec![0x52, 0x01, 0x02, 0x02, 0x61, 0x62];
    expected.resize(16, 0x2E);
    golden(&record("ab"), &expected);
    assert_eq!(FixedRecord::MIN_LEN, 16);
    // Fields that fill the size exactly: no padding.
    let full = record("abcdefghijkl");
    assert_eq!(full.to_bytes().unwrap().len(), 16);
    assert_eq!(full.encoded_len(), 16);
}

/// Fields longer than the size are an encode error naming the type, and a
/// decode error at the type's start.
#[test]
fn fixed_size_overflow() {
    let long = record("abcdefghijklmn");
    let e = long.to_bytes().unwrap_err();
    assert_eq!(e.kind(), &EncodeErrorKind::OverSize { used: 18, size: 16 });
    assert_eq!(
        e.to_string(),
        "fields take 18 bytes, more than the type's size of 16 in FixedRecord"
    );
    let mut buf = vec![0xEE];
    assert!(long.encode(&mut buf).is_err());
    assert_eq!(buf, [0xEE], "a failed encode leaves the buffer as it was");

    let bytes = [
        0x52, 0x01, 0x02, 0x0E, b'a', b'b', b'c', b'd', b'e', b'f', b'g', b'h', b'i', b'j', b'k',
        b'l', b'm', b'n',
    ];
    assert_error(
        &FixedRecord::from_bytes(&bytes).unwrap_err(),
        DecodeErrorKind::OverSize { used: 18, size: 16 },
        0,
        "FixedRecord",
        "fields take 18 bytes, more than the type's size of 16 at byte 0 in FixedRecord",
    );
}

/// The type's padding is checked (`pad_check` on the type).
#[test]
fn fixed_size_padding_checked() {
    let mut bytes = record("ab").to_bytes().unwrap();
    bytes[15] = 0x00;
    assert_error(
        &FixedRecord::from_bytes(&bytes).unwrap_err(),
        DecodeErrorKind::BadPadding {
            expected: 0x2E,
            found: 0x00,
        },
        15,
        "FixedRecord",
        "bad padding byte (expected 0x2e, found 0x00) at byte 15 in FixedRecord",
    );
}

/// Padding inside an enum variant.
///
/// ```text
/// id | pad_before | value | pad_after
/// 02 | 00         | BE EF | 00 00
/// ```
#[test]
fn padded_variant() {
    golden(
        &PaddedSlot::Full { value: 0xBEEF },
        &[0x02, 0x00, 0xBE, 0xEF, 0x00, 0x00],
    );
    golden(&PaddedSlot::Empty, &[0x01]);
}

proptest! {
    #[test]
    fn aligned_round_trips(v in aligned()) {
        let bytes = v.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), v.encoded_len());
        // `tail` always starts on a multiple of 8.
        prop_assert_eq!((bytes.len() - 8) % 8, 0, "{:?}", Hex(&bytes));
        prop_assert_eq!(Aligned::from_bytes(&bytes).unwrap(), v);
    }

    #[test]
    fn fixed_record_round_trips(v in fixed_record()) {
        let bytes = v.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), 16);
        prop_assert_eq!(FixedRecord::from_bytes(&bytes).unwrap(), v);
    }

    #[test]
    fn padded_slot_round_trips(v in padded_slot()) {
        let bytes = v.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), v.encoded_len());
        prop_assert_eq!(PaddedSlot::from_bytes(&bytes).unwrap(), v);
    }

    /// Arbitrary bytes never panic.
    #[test]
    fn hostile_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = Aligned::from_bytes(&bytes);
        let _ = FixedRecord::from_bytes(&bytes);
        let _ = PaddedSlot::from_bytes(&bytes);
    }
}
