//! Computed and wire-only fields: `calc` (a value computed on encode from
//! other fields), `checksum` (from the bytes written so far, checked on
//! decode) and `wire`/`value` (on the wire only): goldens with every
//! strict prefix, hostile input, `Message::FIELDS`, `explain`, round trips.

use codec::{Decode, DecodeErrorKind, Encode, Message, Protocol};
use codec_tests::strategies::*;
use codec_tests::types::*;
use codec_tests::{assert_error, golden, Hex};
use proptest::prelude::*;

/// Flags computed from which options are present (and `keep`'s low bit).
///
/// ```text
/// flags (calc) | keep | user.len | user
/// 81           | 03   | 00 01    | 75
/// ```
#[test]
fn calc_golden() {
    let login = Login {
        flags: 0x81,
        keep: 3,
        user: Some("u".into()),
        pass: None,
    };
    golden(&login, &[0x81, 0x03, 0x00, 0x01, 0x75]);
    // Both options: bits 7 and 6.
    let both = Login {
        flags: 0xC0,
        keep: 0,
        user: Some(String::new()),
        pass: Some(vec![0xAA]),
    };
    golden(&both, &[0xC0, 0x00, 0x00, 0x00, 0x00, 0x01, 0xAA]);
}

/// Encode writes the computed value whatever the field holds; `when`
/// reads the computed flags too, so stale flags are no error.
#[test]
fn calc_ignores_the_stored_value() {
    let stale = Login {
        flags: 0x00,
        keep: 2,
        user: None,
        pass: Some(b"pw".to_vec()),
    };
    let bytes = stale.to_bytes().unwrap();
    assert_eq!(Hex(&bytes), Hex(&[0x40, 0x02, 0x00, 0x02, 0x70, 0x77]));
    assert_eq!(stale.encoded_len(), bytes.len());
    // Decode keeps what was on the wire.
    let back = Login::from_bytes(&bytes).unwrap();
    assert_eq!(back.flags, 0x40);
    assert_eq!(back.pass.as_deref(), Some(&b"pw"[..]));
}

/// The IHDR chunk of a 1x1 RGBA PNG, its CRC-32 over type and data
/// computed by the derive; then a one-byte sum over the CRC.
///
/// ```text
/// length      | type        | data (13 bytes)                          | crc         | sum
/// 00 00 00 0D | 49 48 44 52 | 00 00 00 01 00 00 00 01 08 06 00 00 00 | 1F 15 C4 89 | 81
/// ```
fn ihdr() -> CrcChunk {
    CrcChunk {
        length: 13,
        kind: *b"IHDR",
        data: vec![0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0],
        crc: 0x1F15_C489,
        sum: 0x81,
    }
}

const IHDR: &[u8] = &[
    0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
    0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x81,
];

#[test]
fn checksum_golden() {
    golden(&ihdr(), IHDR);
}

/// Encode computes the checksums, whatever the fields hold.
#[test]
fn checksum_is_computed_on_encode() {
    let stale = CrcChunk {
        crc: 0,
        sum: 0,
        ..ihdr()
    };
    assert_eq!(Hex(&stale.to_bytes().unwrap()), Hex(IHDR));
}

/// A corrupted byte under the CRC: the error names the field, its offset,
/// the checksum computed and the one found.
#[test]
fn checksum_mismatch() {
    let mut bytes = IHDR.to_vec();
    bytes[16] = 0x10; // bit depth 16
    let computed = crc32(&bytes[4..21]);
    assert_error(
        &CrcChunk::from_bytes(&bytes).unwrap_err(),
        DecodeErrorKind::ChecksumMismatch {
            expected: u64::from(computed),
            found: 0x1F15_C489,
        },
        21,
        "CrcChunk.crc",
        &format!(
            "checksum mismatch (computed {computed:#x}, found 0x1f15c489) at byte 21 in CrcChunk.crc"
        ),
    );
    // The sum byte corrupted: the second checksum, over the CRC's bytes.
    let mut bytes = IHDR.to_vec();
    bytes[25] = 0x80;
    assert_error(
        &CrcChunk::from_bytes(&bytes).unwrap_err(),
        DecodeErrorKind::ChecksumMismatch {
            expected: 0x81,
            found: 0x80,
        },
        25,
        "CrcChunk.sum",
        "checksum mismatch (computed 0x81, found 0x80) at byte 25 in CrcChunk.sum",
    );
}

fn versioned() -> Versioned {
    Versioned {
        version: (),
        body: 0x1234,
        reserved: (),
        tag: core::marker::PhantomData,
    }
}

/// Wire-only fields hold nothing in the struct.
///
/// ```text
/// version | body  | reserved | tag (u24)
/// 02      | 12 34 | 00 00    | AB CD EF
/// ```
#[test]
fn wire_only_golden() {
    golden(
        &versioned(),
        &[0x02, 0x12, 0x34, 0x00, 0x00, 0xAB, 0xCD, 0xEF],
    );
}

/// A checked wire-only value is an error when it differs; an `unchecked`
/// one is read and dropped.
#[test]
fn wire_only_values() {
    assert_error(
        &Versioned::from_bytes(&[0x03, 0x12, 0x34, 0x00, 0x00, 0xAB, 0xCD, 0xEF]).unwrap_err(),
        DecodeErrorKind::UnexpectedValue {
            expected: 2,
            found: 3,
        },
        0,
        "Versioned.version",
        "unexpected value 3 (expected 2) at byte 0 in Versioned.version",
    );
    assert_error(
        &Versioned::from_bytes(&[0x02, 0x12, 0x34, 0x00, 0x00, 0xAB, 0xCD, 0xEE]).unwrap_err(),
        DecodeErrorKind::UnexpectedValue {
            expected: 0xAB_CDEF,
            found: 0xAB_CDEE,
        },
        5,
        "Versioned.tag",
        "unexpected value 11259374 (expected 11259375) at byte 5 in Versioned.tag",
    );
    let v = Versioned::from_bytes(&[0x02, 0x12, 0x34, 0xFF, 0xFF, 0xAB, 0xCD, 0xEF]).unwrap();
    assert_eq!(v, versioned());
}

/// `FIELDS` says how each value is made.
#[test]
fn fields_describe_computed_values() {
    let enc = |fields: &[codec::FieldLayout]| -> Vec<String> {
        fields.iter().map(|f| f.encoding.to_string()).collect()
    };
    let login = enc(Login::FIELDS);
    assert!(
        login[0].starts_with("calc ") && login[0].ends_with(": u8"),
        "{login:?}"
    );
    assert_eq!(
        enc(CrcChunk::FIELDS)[3..],
        [
            "checksum crc32 from kind: u32",
            "checksum sum8 from crc: u8"
        ]
    );
    assert_eq!(
        enc(Versioned::FIELDS),
        [
            "wire-only u8 = 2",
            "u16",
            "wire-only u16 = 0",
            "wire-only u24 u32 = 0x00ab_cdef"
        ]
    );
    let widths: Vec<_> = Versioned::FIELDS.iter().map(|f| f.width).collect();
    assert_eq!(widths, [Some(1), Some(2), Some(2), Some(3)]);
}

#[derive(Debug, PartialEq, Protocol)]
enum ComputedProto {
    Login(Login),
    Chunk(CrcChunk),
    Versioned(Versioned),
}

/// `explain` shows computed and wire-only values as read.
#[test]
fn explain_shows_computed_values() {
    let dump = codec::explain::<ComputedProto>(&ComputedProto::from(ihdr()).to_bytes().unwrap());
    assert!(dump.contains("CrcChunk.crc = 521520265"), "{dump}");
    assert!(dump.contains("CrcChunk.sum = 129"), "{dump}");
    let dump =
        codec::explain::<ComputedProto>(&ComputedProto::from(versioned()).to_bytes().unwrap());
    assert!(dump.contains("Versioned.version = 2"), "{dump}");
    assert!(dump.contains("Versioned.reserved = 0"), "{dump}");
    assert!(dump.contains("Versioned.tag = 11259375"), "{dump}");
}

proptest! {
    #[test]
    fn login_round_trips(v in login()) {
        let bytes = v.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), v.encoded_len());
        prop_assert_eq!(Login::from_bytes(&bytes).unwrap(), v);
    }

    #[test]
    fn crc_chunk_round_trips(v in crc_chunk()) {
        let bytes = v.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), v.encoded_len());
        prop_assert_eq!(CrcChunk::from_bytes(&bytes).unwrap(), v);
    }

    /// Any single corrupted byte under the CRC is caught.
    #[test]
    fn crc_catches_a_flipped_byte(v in crc_chunk(), at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let mut bytes = v.to_bytes().unwrap();
        let i = 4 + at.index(bytes.len() - 9); // type and data
        bytes[i] ^= 1 << bit;
        let e = CrcChunk::from_bytes(&bytes).unwrap_err();
        prop_assert!(
            matches!(e.kind(), DecodeErrorKind::ChecksumMismatch { .. }),
            "{:?}", e
        );
    }

    #[test]
    fn versioned_round_trips(v in versioned_strategy()) {
        let bytes = v.to_bytes().unwrap();
        prop_assert_eq!(Versioned::from_bytes(&bytes).unwrap(), v);
    }

    /// Arbitrary bytes never panic.
    #[test]
    fn hostile_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
        let _ = Login::from_bytes(&bytes);
        let _ = CrcChunk::from_bytes(&bytes);
        let _ = Versioned::from_bytes(&bytes);
    }
}

fn versioned_strategy() -> impl Strategy<Value = Versioned> {
    codec_tests::strategies::versioned()
}
