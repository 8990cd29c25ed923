//! Frame headers declared with `#[derive(Header)]`: goldens (the MQTT
//! 3.1.1 fixed header's remaining length from §2.2.3, a PostgreSQL header
//! whose length counts itself), the derived `StdHeader`/`WideHeader`
//! layouts against the hand-written ones (bytes, every prefix, errors,
//! `explain`), every strict prefix, hostile input, and round trips.

use codec::header::{FrameHead, Header, HeaderValue, Parsed};
use codec::{Decode, DecodeErrorKind, Encode, StdHeader, WideHeader};
use codec_tests::tutorial::{sample_request, Storage};
use codec_tests::types::headers::{
    DerivedStd, DerivedWide, Flagged, MqttFixedHeader, PgHeader, StorageDerived, StorageMqtt,
    VarFirst, VlqLen,
};
use codec_tests::Hex;
use proptest::prelude::*;

fn written<H: Header>(id: u64, len: usize) -> Vec<u8> {
    let mut buf = Vec::new();
    H::write(id, len, &mut buf).unwrap();
    assert_eq!(
        buf.len(),
        H::encoded_len(id, len),
        "encoded_len of {id}, {len}"
    );
    buf
}

fn complete(id: u64, header_len: usize, payload_len: u64) -> Parsed {
    Parsed::Complete(FrameHead {
        id,
        header_len,
        payload_len,
    })
}

/// Every strict prefix of a whole header is incomplete, needing at least
/// one byte and never more than the header still lacks; `exact` (fixed
/// layouts) says the count is exactly what it lacks.
fn assert_prefixes<H: Header>(header: &[u8], exact: bool) {
    for cut in 0..header.len() {
        match H::parse(&header[..cut]).unwrap() {
            Parsed::Incomplete { needed } => {
                assert!(
                    needed >= 1 && cut + needed <= header.len(),
                    "cut {cut}: {needed}"
                );
                if exact {
                    assert_eq!(needed, header.len() - cut, "cut {cut} of {:?}", Hex(header));
                }
            }
            other => panic!("cut {cut} of {:?}: {other:?}", Hex(header)),
        }
    }
}

#[test]
fn mqtt_remaining_length_goldens() {
    // MQTT 3.1.1 §2.2.3, table 2.4: the remaining length's varint bytes
    // at each boundary. Header = packet byte | remaining length.
    for (len, varint) in [
        (0usize, &[0x00][..]),
        (127, &[0x7F]),
        (128, &[0x80, 0x01]),
        (16_383, &[0xFF, 0x7F]),
        (16_384, &[0x80, 0x80, 0x01]),
        (2_097_151, &[0xFF, 0xFF, 0x7F]),
        (2_097_152, &[0x80, 0x80, 0x80, 0x01]),
        (268_435_455, &[0xFF, 0xFF, 0xFF, 0x7F]),
    ] {
        // PUBLISH, QoS 1: 0x32.
        let mut expected = vec![0x32];
        expected.extend_from_slice(varint);
        let bytes = written::<MqttFixedHeader>(0x32, len);
        assert_eq!(Hex(&bytes), Hex(&expected), "remaining length {len}");
        let mut with_payload = bytes.clone();
        with_payload.extend_from_slice(&[0xAA; 3]);
        assert_eq!(
            MqttFixedHeader::parse(&with_payload).unwrap(),
            complete(0x32, bytes.len(), len as u64)
        );
        assert_eq!(
            MqttFixedHeader::value(&bytes).unwrap(),
            MqttFixedHeader {
                packet: 0x32,
                remaining_length: len as u32
            }
        );
        assert_prefixes::<MqttFixedHeader>(&bytes, false);
        // The least a header can still be: the packet byte and one length
        // byte, then one more byte while the varint continues.
        for cut in 0..bytes.len() {
            let needed = if cut == 0 { 2 } else { 1 };
            assert_eq!(
                MqttFixedHeader::parse(&bytes[..cut]).unwrap(),
                Parsed::Incomplete { needed }
            );
        }
    }
    assert_eq!(MqttFixedHeader::MAX_LEN, 268_435_455);
    assert_eq!(MqttFixedHeader::MAX_ID, 0xFF);
}

#[test]
fn mqtt_five_byte_remaining_length_is_rejected() {
    // A 4th byte with its continuation bit set: no 5th byte can make it
    // valid, so it is an error at once, not "need more".
    for bytes in [
        &[0x30, 0xFF, 0xFF, 0xFF, 0xFF][..],
        &[0x30, 0x80, 0x80, 0x80, 0x80, 0x01],
    ] {
        let err = MqttFixedHeader::parse(bytes).unwrap_err();
        assert_eq!(
            err.to_string(),
            "varint too long for u32 of at most 4 bytes at byte 1 in MqttFixedHeader.remaining_length"
        );
        assert!(matches!(err.kind(), DecodeErrorKind::VarintTooLong { .. }));
        // The header's own decode says the same.
        assert!(MqttFixedHeader::from_bytes(bytes).is_err());
    }
    // Three continuation bytes still wait for a fourth.
    assert_eq!(
        MqttFixedHeader::parse(&[0x30, 0xFF, 0xFF, 0xFF]).unwrap(),
        Parsed::Incomplete { needed: 1 }
    );
    // Too large a length is an encode error naming the field; nothing is
    // written.
    let mut buf = vec![0xEE];
    let err = MqttFixedHeader::write(0x30, 268_435_456, &mut buf).unwrap_err();
    assert_eq!(
        err.to_string(),
        "length 268435456 does not fit a varint length prefix (max 268435455) in \
         MqttFixedHeader.remaining_length"
    );
    let err = MqttFixedHeader {
        packet: 0x30,
        remaining_length: 1 << 28,
    }
    .to_bytes()
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "value 268435456 out of range for varint of at most 4 bytes in \
         MqttFixedHeader.remaining_length"
    );
    assert_eq!(buf, [0xEE]);
}

#[test]
fn postgres_length_counts_itself() {
    // Query "SELECT 1;": 'Q' | Int32 length 14 (4 + 10) | "SELECT 1;\0".
    let payload = b"SELECT 1;\0";
    let bytes = written::<PgHeader>(u64::from(b'Q'), payload.len());
    assert_eq!(Hex(&bytes), Hex(&[0x51, 0x00, 0x00, 0x00, 0x0E]));
    assert_eq!(PgHeader::parse(&bytes).unwrap(), complete(0x51, 5, 10));
    assert_prefixes::<PgHeader>(&bytes, true);
    // An empty payload: the length is 4.
    assert_eq!(
        Hex(&written::<PgHeader>(u64::from(b'S'), 0)),
        Hex(&[b'S', 0, 0, 0, 4])
    );
    // A length below 4 cannot count itself.
    let err = PgHeader::parse(&[b'Q', 0, 0, 0, 3]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "length value 3 is below the minimum 4 at byte 1 in PgHeader.len"
    );
    assert!(PgHeader::from_bytes(&[b'Q', 0, 0, 0, 3]).is_err());
    // The largest payload leaves room for the 4 the length counts.
    assert_eq!(PgHeader::MAX_LEN, u64::from(u32::MAX) - 4);
    #[cfg(target_pointer_width = "64")]
    {
        let err = PgHeader::write(0x51, u32::MAX as usize - 3, &mut Vec::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "length 4294967292 does not fit a u32 length prefix (max 4294967291) in PgHeader.len"
        );
        assert_eq!(
            Hex(&written::<PgHeader>(0x51, u32::MAX as usize - 4)),
            Hex(&[0x51, 0xFF, 0xFF, 0xFF, 0xFF])
        );
    }
}

/// The derived `StdHeader`/`WideHeader` layouts behave as the hand-written
/// headers do: bytes, parse on every prefix, limits and their errors.
fn same_as<D: Header, H: Header>(ids: &[u64], lens: &[usize]) {
    assert_eq!((D::MAX_ID, D::MAX_LEN), (H::MAX_ID, H::MAX_LEN));
    for &id in ids {
        for &len in lens {
            let (mut d, mut h) = (vec![9], vec![9]);
            let (rd, rh) = (D::write(id, len, &mut d), H::write(id, len, &mut h));
            assert_eq!(d, h, "id {id} len {len}");
            assert_eq!(
                rd.map_err(|e| e.to_string().replace(D::NAME, "H")),
                rh.map_err(|e| e.to_string().replace(H::NAME, "H"))
            );
            assert_eq!(D::encoded_len(id, len), H::encoded_len(id, len));
            for cut in 0..=d.len() {
                assert_eq!(
                    D::parse(&d[1..cut.max(1)]).ok(),
                    H::parse(&h[1..cut.max(1)]).ok()
                );
            }
        }
    }
}

#[test]
fn derived_std_and_wide_match_the_hand_written() {
    let ids = [0, 1, 0x7F, 0xFF, 0x100, 0xFFFF, 0x1_0000, u64::MAX];
    let lens = [0, 1, 12, 0xFFFF, 0x1_0000, 70_000, u32::MAX as usize];
    same_as::<DerivedStd, StdHeader>(&ids, &lens);
    same_as::<DerivedWide, WideHeader>(&ids, &lens);
    // Extra bytes after the header are the payload's.
    assert_eq!(
        DerivedStd::parse(&[0x02, 0xAB, 0xCD, 0xFF]).unwrap(),
        complete(2, 3, 0xABCD)
    );
    let err = DerivedStd::write(0x100, 1, &mut Vec::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "value 256 out of range for u8 message id in DerivedStd.id"
    );
}

#[test]
fn derived_std_frames_and_explain_match_std_header() {
    let msg = sample_request();
    let frame = Storage::from(msg.clone()).to_bytes().unwrap();
    assert_eq!(
        Hex(&StorageDerived::from(msg.clone()).to_bytes().unwrap()),
        Hex(&frame)
    );
    assert_eq!(
        StorageDerived::from_bytes(&frame).unwrap(),
        StorageDerived::from(msg)
    );
    assert_eq!(
        codec::explain::<StorageDerived>(&frame),
        codec::explain::<Storage>(&frame)
    );
    assert!(codec::explain::<StorageDerived>(&frame).starts_with(
        "0000  01           header.id = 0x01 (StoreRequest)\n\
         0001  00 0c        header.len = 12\n"
    ));
    // An unknown id: the same error, named by the header.
    let unknown = [0x42, 0x00, 0x00];
    assert_eq!(
        StorageDerived::from_bytes(&unknown)
            .unwrap_err()
            .to_string(),
        "unknown message id 0x42 at byte 0 in DerivedStd.id"
    );
}

#[test]
fn mqtt_framed_protocol_and_explain() {
    let frame = StorageMqtt::from(sample_request()).to_bytes().unwrap();
    // 0x01 | remaining length 12 | the request.
    assert_eq!(Hex(&frame[..2]), Hex(&[0x01, 0x0C]));
    assert_eq!(
        StorageMqtt::from_bytes(&frame).unwrap(),
        StorageMqtt::from(sample_request())
    );
    let out = codec::explain::<StorageMqtt>(&frame);
    assert!(
        out.starts_with(
            "0000  01           header.packet = 0x01 (StoreRequest)\n\
             0001  0c           header.remaining_length = 12\n"
        ),
        "{out}"
    );
}

#[test]
fn flags_default_value_and_write_value() {
    // "CX" | version 1 | flags 0 | kind u24 | len u32 little-endian.
    let bytes = written::<Flagged>(0x01_0203, 5);
    assert_eq!(
        Hex(&bytes),
        Hex(&[b'C', b'X', 1, 0, 0x01, 0x02, 0x03, 5, 0, 0, 0])
    );
    assert_eq!(Flagged::parse(&bytes).unwrap(), complete(0x01_0203, 11, 5));
    assert_prefixes::<Flagged>(&bytes, true);
    assert_eq!(Flagged::MAX_ID, 0xFF_FFFF);
    // Other flags: written from the value, read back after parse.
    let mut buf = Vec::new();
    let value = Flagged {
        version: 2,
        flags: 0x80,
        ..Flagged::default()
    };
    value.write_value(7, 1, &mut buf).unwrap();
    assert_eq!(
        Flagged::value(&buf).unwrap(),
        Flagged {
            version: 2,
            flags: 0x80,
            kind: 7,
            len: 1
        }
    );
    // A 4-byte id does not fit the 3-byte field.
    let err = Flagged::write(1 << 24, 0, &mut Vec::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "value 16777216 out of range for u24 message id in Flagged.kind"
    );
    // Bad magic is an error, not "need more".
    let err = Flagged::parse(b"CY\x01\x00\x00\x00\x00\x00\x00\x00\x00").unwrap_err();
    assert!(
        matches!(err.kind(), DecodeErrorKind::BadMagic { .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string().split(" at ").nth(1),
        Some("byte 0 in Flagged.version")
    );
    // explain: magic, every field, the id named.
    let mut ex = codec::Explainer::new();
    let head = FrameHead {
        id: 0x01_0203,
        header_len: 11,
        payload_len: 5,
    };
    Flagged::explain(&bytes, &head, Some("Thing"), &mut ex);
    assert_eq!(
        ex.render(),
        "0000  43 58        header.version.magic = magic b\"CX\"\n\
         0002  01           header.version = 1\n\
         0003  00           header.flags = 0\n\
         0004  01 02 03     header.kind = 0x10203 (Thing)\n\
         0007  05 00 00 00  header.len = 5\n"
    );
}

#[test]
fn no_id_header() {
    // cs.packetstream's frame: the length as a BSUInt, no id.
    assert_eq!(Hex(&written::<VlqLen>(0, 300)), Hex(&[0x82, 0x2C]));
    assert_eq!(VlqLen::parse(&[0x82, 0x2C]).unwrap(), complete(0, 2, 300));
    assert_eq!(VlqLen::MAX_ID, 0);
    assert_prefixes::<VlqLen>(&[0x82, 0x2C], false);
    for cut in 0..2 {
        assert_eq!(
            VlqLen::parse(&[0x82, 0x2C][..cut]).unwrap(),
            Parsed::Incomplete { needed: 1 }
        );
    }
    let err = VlqLen::write(1, 0, &mut Vec::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "value 1 out of range for no message id in VlqLen.id"
    );
    // Eleven continuation bytes can never be a u64.
    assert!(VlqLen::parse(&[0xFF; 11]).is_err());
}

#[test]
fn need_counts_the_fields_after_a_variable_one() {
    // id varint 300 (AC 02) | len u16.
    let bytes = written::<VarFirst>(300, 7);
    assert_eq!(Hex(&bytes), Hex(&[0xAC, 0x02, 0x00, 0x07]));
    // Nothing yet: at least a 1-byte id and the length. After AC the
    // varint needs one more byte, and the length two.
    for (cut, needed) in [(0, 3), (1, 3), (2, 2), (3, 1)] {
        assert_eq!(
            VarFirst::parse(&bytes[..cut]).unwrap(),
            Parsed::Incomplete { needed },
            "cut {cut}"
        );
    }
    assert_prefixes::<VarFirst>(&bytes, false);
}

proptest! {
    #[test]
    fn round_trips(id in any::<u8>(), len in 0usize..=268_435_455, tail in any::<Vec<u8>>()) {
        for (bytes, parsed) in [
            (written::<MqttFixedHeader>(u64::from(id), len), MqttFixedHeader::parse as fn(&[u8]) -> _),
            (written::<PgHeader>(u64::from(id), len), PgHeader::parse),
            (written::<VarFirst>(u64::from(id) * 257, len & 0xFFFF), VarFirst::parse),
        ] {
            let mut frame = bytes.clone();
            frame.extend_from_slice(&tail);
            match parsed(&frame).unwrap() {
                Parsed::Complete(head) => prop_assert_eq!(head.header_len, bytes.len()),
                other => prop_assert!(false, "{:?}", other),
            }
        }
        let mut buf = Vec::new();
        let value = Flagged { version: id, flags: !id, kind: 0, len: 0 };
        value.clone().write_value(u64::from(id) << 8, len, &mut buf).unwrap();
        prop_assert_eq!(
            Flagged::value(&buf).unwrap(),
            Flagged { kind: u32::from(id) << 8, len: len as u32, ..value }
        );
    }

    #[test]
    fn hostile_bytes_never_panic(bytes in any::<Vec<u8>>()) {
        fn check<H: Header>(bytes: &[u8]) {
            match H::parse(bytes) {
                Ok(Parsed::Complete(head)) => {
                    assert!(head.header_len <= bytes.len());
                    assert!(head.id <= H::MAX_ID && head.payload_len <= H::MAX_LEN);
                    assert_prefixes::<H>(&bytes[..head.header_len], false);
                }
                Ok(Parsed::Incomplete { needed }) => assert!(needed >= 1),
                Err(e) => assert!(!e.is_incomplete(), "{e}"),
            }
        }
        check::<MqttFixedHeader>(&bytes);
        check::<PgHeader>(&bytes);
        check::<Flagged>(&bytes);
        check::<VlqLen>(&bytes);
        check::<VarFirst>(&bytes);
        prop_assert_eq!(DerivedStd::parse(&bytes).ok(), StdHeader::parse(&bytes).ok());
        prop_assert_eq!(DerivedWide::parse(&bytes).ok(), WideHeader::parse(&bytes).ok());
    }
}

/// `max_bytes` on any varint field: in `Message::FIELDS`, in `explain`, and
/// its errors name the field.
#[test]
fn max_bytes_on_a_message_field() {
    #[derive(Debug, PartialEq, Encode, Decode, codec::Message)]
    #[codec(id = 9)]
    struct Props {
        #[codec(varint, max_bytes = 2)]
        len: u32,
        #[codec(vlq, max_bytes = 1)]
        small: u8,
    }
    use codec::Message;
    assert_eq!(Props::FIELDS[0].encoding, "varint u32, max_bytes = 2");
    assert_eq!(Props::FIELDS[1].encoding, "vlq u8, max_bytes = 1");
    let v = Props {
        len: 16_383,
        small: 127,
    };
    let bytes = v.to_bytes().unwrap();
    assert_eq!(Hex(&bytes), Hex(&[0xFF, 0x7F, 0x7F]));
    assert_eq!(Props::from_bytes(&bytes).unwrap(), v);
    let err = Props {
        len: 16_384,
        small: 0,
    }
    .to_bytes()
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "value 16384 out of range for varint of at most 2 bytes in Props.len"
    );
    let err = Props { len: 0, small: 128 }.to_bytes().unwrap_err();
    assert_eq!(
        err.to_string(),
        "value 128 out of range for vlq of at most 1 byte in Props.small"
    );
    let err = Props::from_bytes(&[0x00, 0x81, 0x00]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "varint too long for u8 of at most 1 byte at byte 1 in Props.small"
    );
    // Exact need on every strict prefix of a value.
    for cut in 0..bytes.len() {
        let err = Props::from_bytes(&bytes[..cut]).unwrap_err();
        assert_eq!(err.bytes_needed(), Some(1), "cut {cut}");
    }
    let mut ex = codec::Explainer::new();
    Props::explain_with(&mut codec::Reader::new(&bytes), codec::Endian::Big, &mut ex).unwrap();
    assert_eq!(
        ex.render(),
        "0000  ff 7f        len = 16383\n\
         0002  7f           small = 127\n"
    );
}
