//! Golden bytes from the specifications' examples, round trips, every
//! strict prefix, and hostile packets.

use codec::header::{Header, Parsed};
use codec::{Decode, DecodeErrorKind, Encode};
use codec_tests::assert_truncations;

use super::packet::*;
use super::props::{self, Property, Utf8};

/// Encodes, checks the bytes, decodes back, and checks every strict prefix.
fn golden5(p: Packet, wire: &[u8]) {
    assert_eq!(p.to_bytes().unwrap(), wire, "{p:?}");
    assert_eq!(p.encoded_len(), wire.len());
    assert_eq!(Packet::from_bytes(wire).unwrap(), p);
    assert_truncations::<Packet>(wire, wire.len());
}

fn golden311(p: Packet311, wire: &[u8]) {
    assert_eq!(p.to_bytes().unwrap(), wire, "{p:?}");
    assert_eq!(Packet311::from_bytes(wire).unwrap(), p);
    assert_truncations::<Packet311>(wire, wire.len());
}

/// 3.1.1 §2.2.3 / 5.0 §1.5.5: the remaining length table's edges.
#[test]
fn remaining_length_table() {
    for (len, bytes) in [
        (0u32, &[0x00][..]),
        (127, &[0x7F]),
        (128, &[0x80, 0x01]),
        (16_383, &[0xFF, 0x7F]),
        (16_384, &[0x80, 0x80, 0x01]),
        (2_097_151, &[0xFF, 0xFF, 0x7F]),
        (2_097_152, &[0x80, 0x80, 0x80, 0x01]),
        (268_435_455, &[0xFF, 0xFF, 0xFF, 0x7F]),
    ] {
        let mut buf = Vec::new();
        FixedHeader::write(12, len as usize, &mut buf).unwrap();
        assert_eq!(&buf[1..], bytes, "{len}");
        let Parsed::Complete(head) = FixedHeader::parse(&buf).unwrap() else {
            panic!("incomplete {buf:02x?}");
        };
        assert_eq!((head.id, head.payload_len), (12, u64::from(len)));
        // Each strict prefix needs exactly one more byte (two when empty:
        // a header is at least two bytes).
        for k in 0..buf.len() {
            assert_eq!(
                FixedHeader::parse(&buf[..k]).unwrap(),
                Parsed::Incomplete {
                    needed: if k == 0 { 2 } else { 1 }
                }
            );
        }
    }
    // A fifth byte: an error at once, with the field named.
    let e = FixedHeader::parse(&[0x30, 0xFF, 0xFF, 0xFF, 0x80]).unwrap_err();
    assert!(e.to_string().contains("FixedHeader.remaining"), "{e}");
    assert!(FixedHeader::write(3, 268_435_456, &mut Vec::new()).is_err());
}

/// 3.1.1 §1.5.3 / 5.0 §1.5.4 Figure 1.1: "A𪛔" is 00 05 41 F0 AA 9B 94.
#[test]
fn utf8_string_example() {
    let s = Utf8::from("A\u{2A6D4}");
    assert_eq!(
        s.to_bytes().unwrap(),
        [0x00, 0x05, 0x41, 0xF0, 0xAA, 0x9B, 0x94]
    );
    let e = Utf8::from_bytes(&[0x00, 0x03, 0x61, 0x00, 0x62]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "assertion failed: U+0000 in a UTF-8 string at byte 0 in Utf8.text"
    );
    // Invalid UTF-8 (a lone continuation byte) is refused too.
    assert!(Utf8::from_bytes(&[0x00, 0x01, 0x80]).is_err());
    assert!(Utf8 { text: "a\0".into() }.to_bytes().is_err());
}

fn connect311() -> Connect {
    Connect {
        username_flag: true,
        password_flag: true,
        will_qos: 1,
        will_flag: true,
        will_topic: Some("w".into()),
        will_payload: Some(b"x".to_vec()),
        username: Some("u".into()),
        password: Some(b"p".to_vec()),
        ..Connect::new(4, "c", 10, true)
    }
}

/// 3.1.1 §3.1.2.10 Figure 3.6: the variable header 00 04 'MQTT' 04 CE 00 0A
/// (user name, password, will QoS 1, will, clean session; keep alive 10).
#[test]
fn connect_311_example() {
    #[rustfmt::skip]
    let wire = [
        0x10, 25,                                  // CONNECT, remaining 25
        0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04,  // "MQTT", level 4
        0xCE, 0x00, 0x0A,                          // flags, keep alive 10
        0x00, 0x01, b'c',                          // client id
        0x00, 0x01, b'w', 0x00, 0x01, b'x',        // will topic, will message
        0x00, 0x01, b'u', 0x00, 0x01, b'p',        // user name, password
    ];
    golden311(Packet311::Connect(connect311()), &wire);
    // The same CONNECT decodes under the 5.0 enum: its level says 4.
    assert_eq!(
        Packet::from_bytes(&wire).unwrap(),
        Packet::Connect(connect311())
    );
}

/// 5.0 §3.1.2.11 Figure 3-6: 00 04 'MQTT' 05 C2 00 0A, properties 05,
/// Session Expiry Interval (0x11) of 10.
#[test]
fn connect_5_example() {
    let c = Connect {
        username_flag: true,
        password_flag: true,
        properties: Some(vec![Property::SessionExpiry(10)]),
        username: Some("u".into()),
        password: Some(b"p".to_vec()),
        ..Connect::new(5, "", 10, true)
    };
    #[rustfmt::skip]
    let wire = [
        0x10, 24,
        0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0xC2, 0x00, 0x0A,
        0x05, 0x11, 0x00, 0x00, 0x00, 0x0A,       // properties
        0x00, 0x00,                               // empty client id
        0x00, 0x01, b'u', 0x00, 0x01, b'p',
    ];
    golden5(Packet::Connect(c.clone()), &wire);
    // Downgraded: level 4, no properties.
    let Some(Packet311::Connect(d)) = Packet::Connect(c).downgrade() else {
        panic!("CONNECT downgrades to CONNECT");
    };
    assert_eq!((d.level, d.properties), (4, None));
}

/// 3.1.1 §3.3.2.3 Figure 3.11 (topic "a/b", packet id 10) and 5.0
/// §3.3.2.3 Figure 3-9 (the same, then property length 0).
#[test]
fn publish_examples() {
    let p = |props: Option<Vec<Property>>| Publish {
        dup: false,
        qos: 1,
        retain: false,
        topic: "a/b".into(),
        packet_id: Some(10),
        properties: props,
        payload: bytes::Bytes::from_static(b"hi"),
    };
    golden311(
        Packet311::Publish(p(None)),
        &[
            0x32, 9, 0x00, 0x03, 0x61, 0x2F, 0x62, 0x00, 0x0A, b'h', b'i',
        ],
    );
    golden5(
        Packet::Publish(p(Some(vec![]))),
        &[
            0x32, 10, 0x00, 0x03, 0x61, 0x2F, 0x62, 0x00, 0x0A, 0x00, b'h', b'i',
        ],
    );
    // Properties by identifier: message expiry, content type, a user pair.
    let props = vec![
        Property::MessageExpiry(60),
        Property::ContentType("t".into()),
        Property::User("k".into(), "v".into()),
    ];
    #[rustfmt::skip]
    golden5(
        Packet::Publish(p(Some(props))),
        &[0x32, 26, 0x00, 0x03, 0x61, 0x2F, 0x62, 0x00, 0x0A,
          16, 0x02, 0, 0, 0, 60, 0x03, 0x00, 0x01, b't',
          0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v', b'h', b'i'],
    );
}

/// 3.1.1 §3.8.3 Figures 3.21/3.22, §3.9.3 Figure 3.26, §3.10.3 Figure 3.30:
/// SUBSCRIBE "a/b" QoS 1 and "c/d" QoS 2 with packet id 10, the SUBACK
/// granting 0, 2 and a failure, the UNSUBSCRIBE of both.
#[test]
fn subscribe_examples() {
    let s = Subscribe {
        packet_id: 10,
        properties: None,
        subscriptions: vec![Subscription::new("a/b", 1), Subscription::new("c/d", 2)],
    };
    golden311(
        Packet311::Subscribe(s),
        &[
            0x82, 14, 0x00, 0x0A, 0x00, 0x03, 0x61, 0x2F, 0x62, 0x01, 0x00, 0x03, 0x63, 0x2F, 0x64,
            0x02,
        ],
    );
    let a = SubAck {
        packet_id: 10,
        properties: None,
        codes: vec![0x00, 0x02, 0x80],
    };
    golden311(
        Packet311::SubAck(a),
        &[0x90, 5, 0x00, 0x0A, 0x00, 0x02, 0x80],
    );
    let u = Unsubscribe {
        packet_id: 10,
        properties: None,
        filters: vec![
            TopicFilter {
                filter: "a/b".into(),
            },
            TopicFilter {
                filter: "c/d".into(),
            },
        ],
    };
    golden311(
        Packet311::Unsubscribe(u),
        &[
            0xA2, 12, 0x00, 0x0A, 0x00, 0x03, 0x61, 0x2F, 0x62, 0x00, 0x03, 0x63, 0x2F, 0x64,
        ],
    );
    golden311(
        Packet311::UnsubAck(UnsubAck {
            packet_id: 10,
            properties: None,
            codes: vec![],
        }),
        &[0xB0, 2, 0x00, 0x0A],
    );
    // 5.0 options byte: retain handling 2, RAP, NL, QoS 1 = 0b0010_1101.
    let mut sub = Subscription::new("a", 1);
    (sub.retain_handling, sub.retain_as_published, sub.no_local) = (2, true, true);
    golden5(
        Packet::Subscribe(Subscribe {
            packet_id: 1,
            properties: Some(vec![Property::SubscriptionId(300)]),
            subscriptions: vec![sub],
        }),
        &[
            0x82, 10, 0x00, 0x01, 3, 0x0B, 0xAC, 0x02, 0x00, 0x01, b'a', 0x2D,
        ],
    );
}

/// The acknowledgements' short forms (5.0 §3.4.2.1: reason and
/// properties omitted when 0 and empty) and long ones; the empty packets.
#[test]
fn acks_and_empty_packets() {
    golden5(
        Packet::PubAck(PubAck::new(10, true, 0, vec![])),
        &[0x40, 2, 0, 10],
    );
    golden5(
        Packet::PubRec(PubRec::new(10, true, 0x10, vec![])),
        &[0x50, 3, 0, 10, 0x10],
    );
    golden5(
        Packet::PubRel(PubRel::new(
            10,
            true,
            0x92,
            vec![Property::ReasonString("r".into())],
        )),
        &[0x62, 8, 0, 10, 0x92, 4, 0x1F, 0, 1, b'r'],
    );
    golden311(
        Packet311::PubComp(PubComp::new(10, false, 0, vec![])),
        &[0x70, 2, 0, 10],
    );
    // A 3.1.1 PUBACK with a reason byte is malformed.
    assert!(Packet311::from_bytes(&[0x40, 3, 0, 10, 0]).is_err());
    // A 5.0 reason code 0x00 with empty properties written in full decodes.
    let long = Packet::from_bytes(&[0x40, 4, 0, 10, 0, 0]).unwrap();
    assert!(matches!(long, Packet::PubAck(ref a) if a.code() == 0 && a.tail == 2));
    golden311(Packet311::PingReq(PingReq), &[0xC0, 0]);
    golden311(Packet311::PingResp(PingResp), &[0xD0, 0]);
    golden311(
        Packet311::Disconnect(Disconnect::new(false, 0, vec![])),
        &[0xE0, 0],
    );
    golden5(
        Packet::Disconnect(Disconnect::new(true, 0x8E, vec![])),
        &[0xE0, 1, 0x8E],
    );
    golden5(
        Packet::ConnAck(ConnAck {
            reserved: 0,
            session_present: true,
            code: 0,
            properties: Some(vec![Property::ReceiveMaximum(20)]),
        }),
        &[0x20, 6, 0x01, 0x00, 3, 0x21, 0x00, 20],
    );
    golden5(
        Packet::Auth(Auth {
            tail: 1,
            reason: Some(0x18),
            properties: None,
        }),
        &[0xF0, 1, 0x18],
    );
}

/// Reserved flag bits, reserved values, invalid strings and topics,
/// unknown identifiers: errors naming the field.
#[test]
fn hostile_packets() {
    let msg = |b: &[u8]| Packet::from_bytes(b).unwrap_err().to_string();
    // PUBREL, SUBSCRIBE, UNSUBSCRIBE need flags 0010; the others 0000.
    assert!(msg(&[0x60, 2, 0, 1]).contains("header field `flags` disagrees with the PubRel"));
    assert!(msg(&[0x80, 7, 0, 1, 0, 0, 1, b'a', 0]).contains("disagrees with the Subscribe"));
    assert!(msg(&[0xC1, 0]).contains("disagrees with the PingReq"));
    // Type 0 is reserved; AUTH does not exist in 3.1.1.
    assert_eq!(
        Packet::from_bytes(&[0x00, 0]).unwrap_err().kind(),
        &DecodeErrorKind::UnknownId(0)
    );
    assert_eq!(
        Packet311::from_bytes(&[0xF0, 0]).unwrap_err().kind(),
        &DecodeErrorKind::UnknownId(15)
    );
    // QoS 3, DUP at QoS 0, a wildcard or U+0000 in a topic name, packet id 0.
    assert!(msg(&[0x36, 6, 0, 1, b'a', 0, 1, 0]).contains("QoS 3 is reserved"));
    assert!(msg(&[0x38, 4, 0, 1, b'a', 0]).contains("DUP at QoS 0"));
    assert!(msg(&[0x30, 4, 0, 1, b'+', 0]).contains("invalid topic name"));
    assert!(msg(&[0x30, 4, 0, 1, 0, 0]).contains("invalid topic name"));
    assert!(msg(&[0x32, 6, 0, 1, b'a', 0, 0, 0]).contains("packet identifier 0"));
    // Invalid UTF-8 in a topic.
    assert!(Packet::from_bytes(&[0x30, 4, 0, 1, 0xFF, 0]).is_err());
    // Filters: `#` not last, `+` inside a level, reserved option bits,
    // 3.1.1 options that are 5.0's, no filter at all.
    assert!(msg(&[0x82, 8, 0, 1, 0, 0, 3, b'#', b'/', b'a', 0]).contains("invalid topic filter"));
    assert!(msg(&[0x82, 7, 0, 1, 0, 0, 2, b'a', b'+', 0]).contains("invalid topic filter"));
    assert!(msg(&[0x82, 7, 0, 1, 0, 0, 1, b'a', 0xC0]).contains("reserved subscription option"));
    assert!(Packet311::from_bytes(&[0x82, 6, 0, 1, 0, 1, b'a', 0x04])
        .unwrap_err()
        .to_string()
        .contains("reserved subscription option"));
    assert!(msg(&[0x82, 3, 0, 1, 0]).contains("SUBSCRIBE without a topic filter"));
    // CONNECT: reserved flag, wrong protocol name, will QoS without a will.
    let mut c = Packet311::Connect(connect311()).to_bytes().unwrap();
    c[9] |= 1;
    assert!(Packet311::from_bytes(&c)
        .unwrap_err()
        .to_string()
        .contains("reserved CONNECT flag"));
    c[9] = 0x08; // will QoS 1, no will
    assert!(Packet311::from_bytes(&c)
        .unwrap_err()
        .to_string()
        .contains("without a will"));
    c[4] = b'X';
    assert!(Packet311::from_bytes(&c)
        .unwrap_err()
        .to_string()
        .contains("not MQTT"));
    // CONNACK's reserved flags.
    assert!(msg(&[0x20, 3, 0x02, 0, 0]).contains("reserved CONNACK flags"));
    // An unknown property identifier (0x7F), a truncated property list.
    assert_eq!(
        Packet::from_bytes(&[0x30, 5, 0, 1, b'a', 1, 0x7F])
            .unwrap_err()
            .kind(),
        &DecodeErrorKind::InvalidDiscriminant(0x7F)
    );
    assert!(Packet::from_bytes(&[0x30, 5, 0, 1, b'a', 2, 0x01]).is_err());
    // Trailing bytes after DISCONNECT's properties.
    assert!(Packet::from_bytes(&[0xE0, 3, 0, 0, 9]).is_err());
    // Encoding refuses what it could not decode.
    let mut bad = Subscription::new("a/#/b", 0);
    assert!(Packet::Subscribe(Subscribe {
        packet_id: 1,
        properties: Some(vec![]),
        subscriptions: vec![bad.clone()]
    })
    .to_bytes()
    .is_err());
    bad.filter = "a".into();
    bad.qos = 3;
    assert!(bad.to_bytes().is_err());
}

/// §2.2.2.2: duplicates and zero values in property lists.
#[test]
fn property_rules() {
    use Property::*;
    assert!(props::check(
        &[User("a".into(), "b".into()), User("a".into(), "b".into())],
        false
    )
    .is_ok());
    assert!(props::check(&[SubscriptionId(1), SubscriptionId(2)], true).is_ok());
    assert!(props::check(&[SubscriptionId(1), SubscriptionId(2)], false).is_err());
    assert!(props::check(&[MessageExpiry(1), MessageExpiry(1)], true).is_err());
    assert!(props::check(&[ReceiveMaximum(0)], false).is_err());
    assert!(props::check(&[MaximumPacketSize(0)], false).is_err());
}

/// `explain` shows the fixed header's bits, then the packet's fields.
#[test]
fn explain_publish() {
    let wire = [0x33, 8, 0x00, 0x01, b'a', 0x00, 0x05, 0x00, b'h', b'i'];
    let text = codec::explain::<Packet>(&wire[..]);
    assert!(
        text.starts_with("0000  33           header.kind = 3 (bits 0011....)\n"),
        "{text}"
    );
    assert!(text.contains("Publish.packet_id = 5"), "{text}");
    assert!(text.contains("Publish.properties"), "{text}");
}
