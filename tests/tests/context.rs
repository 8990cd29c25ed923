//! Context passed from a parent into a nested type (`ctx(..)`), enum
//! variants chosen by a context value (`id_from`), and variant ids given
//! as patterns: golden bytes, every strict prefix, hostile input, encode
//! refusals, proptest round trips, `explain` and `FIELDS`.

use codec::{Decode, DecodeErrorKind, DecodeWith, Encode, EncodeWith, Message};
use codec_tests::strategies::{opcode, publish_packet, record, tagged, version_gated};
use codec_tests::types::{
    BorrowedBody, Borrowing, CtxProto, Opcode, Payload, Publish, PublishPacket, Rdata, Record,
    Tagged, VersionGated, VersionedBody,
};
use codec_tests::{assert_error, assert_truncations, golden};
use proptest::prelude::*;

fn publish(packet_id: Option<u16>) -> Publish {
    Publish {
        topic: "a/b".into(),
        packet_id,
        payload: b"hi".to_vec(),
    }
}

// ## Golden bytes

#[test]
fn qos_from_the_flags_decides_the_packet_identifier() {
    // flags 0x32: QoS (bits 1-2) = 1, so the packet identifier follows.
    //   32            flags
    //   00 03 61 2F 62  topic "a/b"
    //   00 0A         packet identifier 10
    //   00 02 68 69   payload "hi"
    golden(
        &PublishPacket {
            flags: 0x32,
            publish: publish(Some(10)),
        },
        &[
            0x32, 0x00, 0x03, 0x61, 0x2F, 0x62, 0x00, 0x0A, 0x00, 0x02, 0x68, 0x69,
        ],
    );
    // flags 0x30: QoS 0, no packet identifier.
    golden(
        &PublishPacket {
            flags: 0x30,
            publish: publish(None),
        },
        &[0x30, 0x00, 0x03, 0x61, 0x2F, 0x62, 0x00, 0x02, 0x68, 0x69],
    );
}

fn body(version: u16) -> VersionGated {
    VersionGated {
        version,
        body: VersionedBody {
            name: "ab".into(),
            extra: (version >= 3).then_some(0x0102_0304),
            flags: 5,
            publish: Publish {
                topic: "t".into(),
                packet_id: (version & 3 > 0).then_some(7),
                payload: Vec::new(),
            },
        },
    }
}

#[test]
fn a_version_gates_fields_and_is_passed_on() {
    // Version 3: `extra` is there; QoS 3 & 3 = 3 passed to the PUBLISH.
    //   00 03         version
    //   03 61 62      name: compact length 2 + 1, "ab"
    //   01 02 03 04   extra (version >= 3)
    //   05            flags
    //   00 01 74      topic "t"
    //   00 07         packet identifier (QoS 3)
    //   00 00         payload ""
    golden(
        &body(3),
        &[
            0x00, 0x03, 0x03, 0x61, 0x62, 0x01, 0x02, 0x03, 0x04, 0x05, 0x00, 0x01, 0x74, 0x00,
            0x07, 0x00, 0x00,
        ],
    );
    // Version 4: QoS 0, no packet identifier; `extra` still there.
    golden(
        &body(4),
        &[
            0x00, 0x04, 0x03, 0x61, 0x62, 0x01, 0x02, 0x03, 0x04, 0x05, 0x00, 0x01, 0x74, 0x00,
            0x00,
        ],
    );
    // Version 2: no `extra`.
    golden(
        &body(2),
        &[
            0x00, 0x02, 0x03, 0x61, 0x62, 0x05, 0x00, 0x01, 0x74, 0x00, 0x07, 0x00, 0x00,
        ],
    );
}

#[test]
fn rdata_is_chosen_by_the_records_type() {
    // TYPE 1 (A), RDLENGTH 4, 192.0.2.1
    golden(
        &Record {
            rtype: 1,
            rdlength: 4,
            rdata: Rdata::A([192, 0, 2, 1]),
        },
        &[0x00, 0x01, 0x00, 0x04, 0xC0, 0x00, 0x02, 0x01],
    );
    // TYPE 15 (MX), RDLENGTH 7, preference 10, exchange "mail"
    golden(
        &Record {
            rtype: 15,
            rdlength: 7,
            rdata: Rdata::Mx {
                preference: 10,
                exchange: "mail".into(),
            },
        },
        &[
            0x00, 0x0F, 0x00, 0x07, 0x00, 0x0A, 0x04, 0x6D, 0x61, 0x69, 0x6C,
        ],
    );
    // TYPE 0xff01 (the private range 0xff00..=0xfffe), RDLENGTH 2, raw bytes
    golden(
        &Record {
            rtype: 0xFF01,
            rdlength: 2,
            rdata: Rdata::Private(vec![0xAB, 0xCD]),
        },
        &[0xFF, 0x01, 0x00, 0x02, 0xAB, 0xCD],
    );
    // TYPE 99 (unknown): `other` keeps the type and RDLENGTH raw bytes.
    golden(
        &Record {
            rtype: 99,
            rdlength: 3,
            rdata: Rdata::Other {
                kind: 99,
                data: vec![1, 2, 3],
            },
        },
        &[0x00, 0x63, 0x00, 0x03, 0x01, 0x02, 0x03],
    );
}

#[test]
fn id_patterns_on_a_leading_discriminant() {
    golden(&Opcode::Nop, &[0x00]);
    // `id = 1 | 3`: the first field holds the id read.
    golden(&Opcode::Odd(3, 0x0102), &[0x03, 0x01, 0x02]);
    golden(&Opcode::Odd(1, 0x0102), &[0x01, 0x01, 0x02]);
    // `id = 0x80..=0xff`
    golden(&Opcode::Vendor(0x81, vec![9]), &[0x81, 0x01, 0x09]);
    golden(&Opcode::Vendor(0xFF, vec![]), &[0xFF, 0x00]);
    // Neither: `other`.
    golden(&Opcode::Unknown(2), &[0x02]);
    golden(&Opcode::Unknown(0x7F), &[0x7F]);
}

#[test]
fn a_type_with_a_context_is_used_alone_through_its_traits() {
    type Enc = <Publish as EncodeWith>::Ctx;
    type Dec = <Publish as DecodeWith<'static>>::Ctx;
    let p = publish(Some(10));
    let bytes = p.to_bytes_in(Enc { qos: 2 }).unwrap();
    assert_eq!(bytes.len(), p.encoded_len_in(Enc { qos: 2 }));
    assert_eq!(Publish::from_bytes_in(&bytes, Dec { qos: 2 }).unwrap(), p);
    // Read with QoS 0, the identifier 10 is taken for the payload's
    // length, and 10 bytes are not there.
    let e = Publish::from_bytes_in(&bytes, Dec { qos: 0 }).unwrap_err();
    assert_error(
        &e,
        DecodeErrorKind::UnexpectedEnd {
            needed: 10,
            available: 4,
        },
        7,
        "Publish.payload",
        "unexpected end of input (need 10 bytes, have 4) at byte 7 in Publish.payload",
    );
    // MIN_LEN counts what every value has: two u16 lengths.
    assert_eq!(<Publish as DecodeWith>::MIN_LEN, 4);
}

#[test]
fn a_borrowing_type_takes_a_context_in_a_borrowing_parent() {
    let v = Borrowing {
        wide: true,
        body: BorrowedBody {
            extra: Some(2),
            data: b"ab",
        },
    };
    let bytes = v.to_bytes().unwrap();
    assert_eq!(bytes, [1, 0, 0, 0, 2, b'a', b'b']);
    assert_eq!(Borrowing::from_bytes(&bytes).unwrap(), v);
    let narrow = Borrowing::from_bytes(&[0, b'a']).unwrap();
    assert_eq!((narrow.body.extra, narrow.body.data), (None, &b"a"[..]));
}

// ## Hostile input

#[test]
fn an_unknown_id_from_the_context_names_the_field_and_offset() {
    // kind 7 selects no variant of `Payload` (1, or 2..=4).
    let e = Tagged::from_bytes(&[0x07, 0x00, 0x00]).unwrap_err();
    assert_error(
        &e,
        DecodeErrorKind::InvalidDiscriminant(7),
        1,
        "Tagged.payload",
        "invalid discriminant 7 at byte 1 in Tagged.payload",
    );
    // kind 0 too (below the range).
    let e = Tagged::from_bytes(&[0x00]).unwrap_err();
    assert_eq!(
        (e.kind(), e.offset()),
        (&DecodeErrorKind::InvalidDiscriminant(0), 1)
    );
}

#[test]
fn every_strict_prefix_needs_exactly_what_is_missing() {
    for r in [
        Tagged {
            kind: 1,
            payload: Payload::Num(5),
        },
        Tagged {
            kind: 3,
            payload: Payload::Text("xyz".into()),
        },
    ] {
        let bytes = r.to_bytes().unwrap();
        assert_truncations::<Tagged>(&bytes, bytes.len());
    }
}

#[test]
fn a_length_from_the_context_bounds_the_body() {
    // RDLENGTH 5 for raw bytes, but only 3 follow.
    let e = Record::from_bytes(&[0x00, 0x63, 0x00, 0x05, 0x01, 0x02, 0x03]).unwrap_err();
    assert_eq!((e.offset(), e.bytes_needed()), (4, Some(2)), "{e}");
    assert_eq!(e.path().to_string(), "Record.rdata.data");
    // RDLENGTH 0xFFFF in a short input allocates nothing large and asks
    // for what is missing.
    let e = Record::from_bytes(&[0xFF, 0x00, 0xFF, 0xFF]).unwrap_err();
    assert_eq!(e.bytes_needed(), Some(0xFFFF), "{e}");
}

// ## Encode refusals

#[test]
fn encode_refuses_a_variant_the_context_does_not_select() {
    // TYPE says A, the value is MX: a reader would take it for an A.
    let r = Record {
        rtype: 1,
        rdlength: 7,
        rdata: Rdata::Mx {
            preference: 10,
            exchange: "mail".into(),
        },
    };
    let e = r.to_bytes().unwrap_err();
    assert_eq!(
        e.to_string(),
        "the context's `rtype` does not select variant `Mx` in Record.rdata"
    );
    // An `other` holding a type it does not travel with.
    let r = Record {
        rtype: 99,
        rdlength: 0,
        rdata: Rdata::Other {
            kind: 98,
            data: vec![],
        },
    };
    assert!(r.to_bytes().is_err());
    // An `other` holding a type another variant claims.
    let r = Record {
        rtype: 15,
        rdlength: 0,
        rdata: Rdata::Other {
            kind: 15,
            data: vec![],
        },
    };
    assert!(r.to_bytes().is_err());
}

#[test]
fn encode_refuses_a_length_the_context_contradicts() {
    let r = Record {
        rtype: 0xFF01,
        rdlength: 3,
        rdata: Rdata::Private(vec![0xAB, 0xCD]),
    };
    let e = r.to_bytes().unwrap_err();
    assert_eq!(
        e.to_string(),
        "the length differs from the one the context's `rdlength` gives in Record.rdata.0"
    );
}

#[test]
fn encode_refuses_an_id_outside_its_pattern() {
    let e = Opcode::Odd(2, 0).to_bytes().unwrap_err();
    assert_eq!(
        e.to_string(),
        "the id `Odd` holds is not one of its `id` pattern in Opcode::Odd"
    );
    assert!(Opcode::Vendor(0x7F, vec![]).to_bytes().is_err());
    // `other` may not hold an id a pattern claims.
    assert!(Opcode::Unknown(3).to_bytes().is_err());
    assert!(Opcode::Unknown(0x90).to_bytes().is_err());
}

#[test]
fn encode_checks_conditions_on_context_values() {
    // QoS 1 in the flags, no packet identifier.
    let p = PublishPacket {
        flags: 0x02,
        publish: publish(None),
    };
    let e = p.to_bytes().unwrap_err();
    assert_eq!(
        e.to_string(),
        "value is absent but its `when` condition says present in PublishPacket.publish.packet_id"
    );
    // An assertion reading the context.
    let mut v = body(8);
    v.body.flags = 1;
    let e = v.to_bytes().unwrap_err();
    assert!(
        e.to_string().contains("flags must be 0 from version 8"),
        "{e}"
    );
    let bytes = [
        0x00, 0x08, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    ];
    let e = VersionGated::from_bytes(&bytes).unwrap_err();
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::Assertion {
            message: "flags must be 0 from version 8"
        }
    );
    assert_eq!(e.path().to_string(), "VersionGated.body.flags");
}

// ## explain and FIELDS

#[test]
fn explain_reads_nested_types_with_their_context() {
    let frame = CtxProto::from(PublishPacket {
        flags: 0x32,
        publish: publish(Some(10)),
    })
    .to_bytes()
    .unwrap();
    let dump = codec::explain::<CtxProto>(&frame);
    for line in [
        "PublishPacket.flags = 50",
        "PublishPacket.publish.topic = \"a/b\"",
        "PublishPacket.publish.packet_id = 10",
        "PublishPacket.publish.payload = 2 bytes",
    ] {
        assert!(dump.contains(line), "{line} in\n{dump}");
    }
    let frame = CtxProto::from(Record {
        rtype: 15,
        rdlength: 7,
        rdata: Rdata::Mx {
            preference: 10,
            exchange: "mail".into(),
        },
    })
    .to_bytes()
    .unwrap();
    let dump = codec::explain::<CtxProto>(&frame);
    assert!(dump.contains("Record.rdata.Mx.preference = 10"), "{dump}");
}

#[test]
fn fields_show_the_context_a_field_passes() {
    let f = PublishPacket::FIELDS
        .iter()
        .find(|f| f.name == "publish")
        .unwrap();
    assert_eq!(f.encoding, "nested Publish, ctx(qos = flags >> 1 & 3)");
    let f = Record::FIELDS.iter().find(|f| f.name == "rdata").unwrap();
    assert_eq!(
        f.encoding,
        "nested Rdata, ctx(rtype = rtype, rdlength = rdlength)"
    );
}

// ## Round trips

proptest! {
    #[test]
    fn publish_packets_round_trip(v in publish_packet()) {
        let bytes = v.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), v.encoded_len());
        prop_assert_eq!(PublishPacket::from_bytes(&bytes).unwrap(), v);
    }

    #[test]
    fn versioned_round_trips(v in version_gated()) {
        let bytes = v.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), v.encoded_len());
        prop_assert_eq!(VersionGated::from_bytes(&bytes).unwrap(), v);
    }

    #[test]
    fn records_round_trip(v in record()) {
        let bytes = v.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), v.encoded_len());
        prop_assert_eq!(Record::from_bytes(&bytes).unwrap(), v);
    }

    #[test]
    fn opcodes_round_trip(v in opcode()) {
        let bytes = v.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), v.encoded_len());
        prop_assert_eq!(Opcode::from_bytes(&bytes).unwrap(), v);
    }

    #[test]
    fn tagged_round_trips(v in tagged()) {
        let bytes = v.to_bytes().unwrap();
        prop_assert_eq!(Tagged::from_bytes(&bytes).unwrap(), v);
    }

    /// Any bytes: an error or a value that encodes back to them.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..40)) {
        if let Ok(v) = Record::from_bytes(&bytes) {
            prop_assert_eq!(v.to_bytes().unwrap(), bytes.clone());
        }
        let _ = VersionGated::from_bytes(&bytes);
        if let Ok(v) = Opcode::from_bytes(&bytes) {
            prop_assert_eq!(v.to_bytes().unwrap(), bytes.clone());
        }
        let _ = PublishPacket::from_bytes(&bytes);
        let _ = Tagged::from_bytes(&bytes);
    }
}
