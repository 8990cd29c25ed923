//! Bit fields (`#[codec(bits = N)]`, `#[codec(bit_order = "lsb")]`):
//! golden layouts in both bit orders, every strict prefix, unknown enum
//! values and values too wide for their bits, `explain`, `Message::FIELDS`
//! and round trips.

use codec::{Decode, DecodeErrorKind, Encode, EncodeErrorKind, FieldLayout, Message, Protocol};
use codec_tests::strategies::*;
use codec_tests::types::*;
use codec_tests::{assert_truncations, golden};
use proptest::prelude::*;

#[derive(Debug, PartialEq, Protocol)]
enum BitsProto {
    Header(BitHeader),
    Dns(DnsFlags),
    Lsb(LsbBits),
}

fn header() -> BitHeader {
    BitHeader {
        kind: PacketKind::Publish,
        dup: false,
        qos: 1,
        retain: true,
        id: 0x1234,
    }
}

/// ```text
/// kind (4) | dup | qos (2) | retain | id
/// 0011       0     01        1        12 34
/// ```
#[test]
fn golden_msb_first() {
    golden(&header(), &[0x33, 0x12, 0x34]);
    let h = BitHeader {
        kind: PacketKind::PubAck,
        dup: true,
        qos: 3,
        retain: false,
        id: 0,
    };
    golden(&h, &[0x4E, 0x00, 0x00]);
}

fn dns() -> DnsFlags {
    DnsFlags {
        id: 0xABCD,
        qr: true,
        opcode: 2,
        aa: true,
        tc: false,
        rd: true,
        ra: true,
        z: 0,
        rcode: 3,
        qdcount: 1,
    }
}

/// ```text
/// id    | qr opcode aa tc rd | ra z   rcode | qdcount
/// ab cd | 1  0010   1  0  1  | 1  000 0011  | 00 01
/// ```
#[test]
fn golden_sixteen_bit_run_between_whole_bytes() {
    golden(&dns(), &[0xAB, 0xCD, 0x95, 0x83, 0x00, 0x01]);
}

/// Least significant bit first: `low` takes bits 0..3 of the first byte,
/// `wide` the next 12 bits (across two bytes), `flag` the top bit of the
/// second byte, `byte` the third byte; the run is the little-endian
/// integer `byte << 16 | flag << 15 | wide << 3 | low` = 0x7ED5E5.
#[test]
fn golden_lsb_first() {
    let v = LsbBits {
        low: 5,
        wide: 0xABC,
        flag: true,
        byte: 0x7E,
        name: "hi".into(),
    };
    golden(&v, &[0xE5, 0xD5, 0x7E, 0x02, b'h', b'i']);
}

/// A 64-bit run, and a run inside an enum variant after its id.
#[test]
fn golden_widest_run_and_variants() {
    let wide = BitVariants::Wide {
        big: 0x01_2345_6789,
        small: 0xAB_CDEF,
    };
    golden(
        &wide,
        &[0x01, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF],
    );
    // 10 | 0010 | 01
    golden(
        &BitVariants::Flags(2, PacketKind::ConnAck, 1),
        &[0x02, 0x89],
    );
}

/// A run is read whole: any prefix that cuts it needs the rest of it.
#[test]
fn strict_prefixes_need_the_whole_run() {
    let e = DnsFlags::from_bytes(&[0xAB, 0xCD, 0x95]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "unexpected end of input (need 2 bytes, have 1) at byte 2 in DnsFlags.qr"
    );
    assert_eq!(e.bytes_needed(), Some(1));
    let e = BitHeader::from_bytes(&[]).unwrap_err();
    assert_eq!(e.bytes_needed(), Some(1));
    assert_eq!(e.offset(), 0);
    assert_truncations::<DnsFlags>(&[0xAB, 0xCD, 0x95, 0x83, 0x00, 0x01], 6);
}

/// Bits that name no variant are an error at the byte holding them,
/// naming the field, in either position of the run.
#[test]
fn unknown_enum_bits_name_the_field() {
    let e = BitHeader::from_bytes(&[0x03, 0x00, 0x00]).unwrap_err();
    assert_eq!(*e.kind(), DecodeErrorKind::InvalidDiscriminant(0));
    assert_eq!(e.offset(), 0);
    assert_eq!(
        e.to_string(),
        "invalid discriminant 0 at byte 0 in BitHeader.kind"
    );
    let e = BitHeader::from_bytes(&[0xF0, 0x00, 0x00]).unwrap_err();
    assert_eq!(*e.kind(), DecodeErrorKind::InvalidDiscriminant(15));
    // In a variant, after its one-byte id: 10 | 1111 | 01.
    let e = BitVariants::from_bytes(&[0x02, 0xBD]).unwrap_err();
    assert_eq!(*e.kind(), DecodeErrorKind::InvalidDiscriminant(15));
    assert_eq!(e.offset(), 1);
    assert_eq!(
        e.to_string(),
        "invalid discriminant 15 at byte 1 in BitVariants::Flags.1"
    );
}

/// A value wider than its bits is an `EncodeError` naming the field, and
/// nothing is written.
#[test]
fn values_too_wide_are_encode_errors() {
    let mut h = header();
    h.qos = 4;
    let mut buf = vec![0xEE];
    let e = h.encode(&mut buf).unwrap_err();
    assert_eq!(buf, [0xEE]);
    assert_eq!(
        *e.kind(),
        EncodeErrorKind::ValueOutOfRange {
            value: 4,
            target: "2 bits"
        }
    );
    assert_eq!(
        e.to_string(),
        "value 4 out of range for 2 bits in BitHeader.qos"
    );
    let mut d = dns();
    d.rcode = 16;
    assert_eq!(
        d.to_bytes().unwrap_err().to_string(),
        "value 16 out of range for 4 bits in DnsFlags.rcode"
    );
    let wide = BitVariants::Wide {
        big: 1 << 40,
        small: 0,
    };
    assert_eq!(
        wide.to_bytes().unwrap_err().to_string(),
        "value 1099511627776 out of range for 40 bits in BitVariants::Wide.big"
    );
    let mut v = LsbBits {
        low: 8,
        wide: 0,
        flag: false,
        byte: 0,
        name: String::new(),
    };
    assert_eq!(
        v.to_bytes().unwrap_err().to_string(),
        "value 8 out of range for 3 bits in LsbBits.low"
    );
    v.low = 0;
    v.wide = 4096;
    assert!(v.to_bytes().is_err());
}

/// `explain` has a line per bit field, with the bytes its bits touch and
/// where they are.
#[test]
fn explain_shows_each_fields_bits() {
    let frame = BitsProto::from(dns()).to_bytes().unwrap();
    let dump = codec::explain::<BitsProto>(&frame);
    for line in [
        "0003  ab cd        DnsFlags.id = 43981",
        "0005  95           DnsFlags.qr = 1 (bits 1.......)",
        "0005  95           DnsFlags.opcode = 2 (bits .0010...)",
        "0005  95           DnsFlags.rd = 1 (bits .......1)",
        "0006  83           DnsFlags.z = 0 (bits .000....)",
        "0006  83           DnsFlags.rcode = 3 (bits ....0011)",
        "0007  00 01        DnsFlags.qdcount = 1",
    ] {
        assert!(dump.contains(line), "{line:?} not in\n{dump}");
    }
    let frame = BitsProto::from(header()).to_bytes().unwrap();
    let dump = codec::explain::<BitsProto>(&frame);
    assert!(
        dump.contains("0003  33           BitHeader.kind = 3 (bits 0011....)"),
        "{dump}"
    );
    let v = LsbBits {
        low: 5,
        wide: 0xABC,
        flag: true,
        byte: 0x7E,
        name: "hi".into(),
    };
    let frame = BitsProto::from(v).to_bytes().unwrap();
    let dump = codec::explain::<BitsProto>(&frame);
    assert!(
        dump.contains("0003  e5 d5        LsbBits.wide = 2748 (bits 11100... .1010101)"),
        "{dump}"
    );
}

/// `FIELDS` places each bit field at the byte holding its first bit, as
/// wide as the bytes its bits touch; later fields follow the whole run.
#[test]
fn fields_place_each_bit_field() {
    let f = |name, offset, width, encoding| FieldLayout {
        name,
        offset: Some(offset),
        width: Some(width),
        encoding,
    };
    assert_eq!(
        DnsFlags::FIELDS,
        [
            f("id", 0, 2, "u16"),
            f("qr", 2, 1, "bits = 1 from bit 0 (msb first), bool"),
            f("opcode", 2, 1, "bits = 4 from bit 1 (msb first), u8"),
            f("aa", 2, 1, "bits = 1 from bit 5 (msb first), bool"),
            f("tc", 2, 1, "bits = 1 from bit 6 (msb first), bool"),
            f("rd", 2, 1, "bits = 1 from bit 7 (msb first), bool"),
            f("ra", 3, 1, "bits = 1 from bit 0 (msb first), bool"),
            f("z", 3, 1, "bits = 3 from bit 1 (msb first), u8"),
            f("rcode", 3, 1, "bits = 4 from bit 4 (msb first), u8"),
            f("qdcount", 4, 2, "u16"),
        ]
    );
    assert_eq!(
        LsbBits::FIELDS[1],
        f("wide", 0, 2, "bits = 12 from bit 3 (lsb first), u16")
    );
    assert_eq!(
        LsbBits::FIELDS[3],
        f("byte", 2, 1, "bits = 8 from bit 0 (lsb first), u8")
    );
    assert_eq!(LsbBits::FIELDS[4].offset, Some(3));
    assert_eq!(DnsFlags::MIN_LEN, 6);
    assert_eq!(BitHeader::MIN_LEN, 3);
}

proptest! {
    #[test]
    fn round_trips(h in bit_header(), d in dns_flags(), l in lsb_bits(), v in bit_variants()) {
        prop_assert_eq!(BitHeader::from_bytes(&h.to_bytes().unwrap()).unwrap(), h);
        prop_assert_eq!(DnsFlags::from_bytes(&d.to_bytes().unwrap()).unwrap(), d);
        let bytes = l.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), l.encoded_len());
        prop_assert_eq!(LsbBits::from_bytes(&bytes).unwrap(), l);
        prop_assert_eq!(BitVariants::from_bytes(&v.to_bytes().unwrap()).unwrap(), v);
    }

    /// Any byte decodes or fails cleanly; what decodes re-encodes to the
    /// same bytes (every bit is some field's).
    #[test]
    fn any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..12)) {
        if let Ok(v) = DnsFlags::from_bytes(&bytes) {
            prop_assert_eq!(v.to_bytes().unwrap(), bytes.clone());
        }
        if let Ok(v) = BitHeader::from_bytes(&bytes) {
            prop_assert_eq!(v.to_bytes().unwrap(), bytes.clone());
        }
        if let Ok(v) = BitVariants::from_bytes(&bytes) {
            prop_assert_eq!(v.to_bytes().unwrap(), bytes);
        }
    }
}

/// Reserved bits checked with `assert`: right after the field is taken
/// from its run, at the byte holding its first bit; on encode before
/// anything is written.
#[test]
fn asserts_on_bit_fields() {
    #[derive(Debug, PartialEq, Encode, Decode)]
    struct Reserved {
        tag: u8,
        #[codec(bits = 4)]
        kind: u8,
        #[codec(bits = 3, assert(reserved == 0, "reserved bits must be zero"))]
        reserved: u8,
        #[codec(bits = 9, assert(kind != 0 || len == 0, "len needs a kind"))]
        len: u16,
    }
    let v = Reserved {
        tag: 1,
        kind: 2,
        reserved: 0,
        len: 0x101,
    };
    // 0010 | 000 | 1 0000 0001
    golden(&v, &[0x01, 0x21, 0x01]);
    let e = Reserved::from_bytes(&[0x01, 0x22, 0x01]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "assertion failed: reserved bits must be zero at byte 1 in Reserved.reserved"
    );
    let e = Reserved::from_bytes(&[0x01, 0x01, 0x01]).unwrap_err();
    assert_eq!(e.offset(), 1);
    assert!(e.to_string().ends_with("in Reserved.len"), "{e}");
    let mut buf = Vec::new();
    let bad = Reserved { reserved: 1, ..v };
    assert!(bad.encode(&mut buf).is_err());
    assert!(buf.is_empty());
}
