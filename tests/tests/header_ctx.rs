//! A frame header's value passed into the message: an MQTT 3.1.1-like
//! protocol whose derived fixed header carries the packet type (the id)
//! and a flags nibble, and whose PUBLISH takes the header's QoS as
//! context (its packet identifier is there only when QoS > 0) and writes
//! DUP/QoS/RETAIN back into the header. Goldens from MQTT 3.1.1 §3.3
//! (the bytes paho-mqtt writes, as in `examples/tests/real_world/mqtt.rs`),
//! every strict prefix, hostile frames, `explain`, round trips.

use codec::{explain, Decode, DecodeErrorKind, Encode, Message, Protocol};
use proptest::prelude::*;

/// MQTT's fixed header (§2.2): packet type nibble, flags nibble, remaining
/// length as a variable byte integer of at most 4 bytes.
#[derive(Debug, Default, Clone, PartialEq, Encode, Decode, codec::Header)]
struct Fixed {
    #[codec(id, bits = 4)]
    kind: u8,
    #[codec(bits = 4)]
    flags: u8,
    #[codec(payload_len, varint, max_bytes = 4)]
    remaining: u32,
}

/// PUBLISH (§3.3): DUP/QoS/RETAIN live in the header's flags, handed in
/// as context; the packet identifier follows the topic only at QoS 1 and 2.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 3, ctx(flags: u8))]
#[codec(assert(qos < 3, "QoS 3 is reserved"))]
struct Publish {
    #[codec(skip = flags & 8 != 0)]
    dup: bool,
    #[codec(skip = flags >> 1 & 3)]
    qos: u8,
    #[codec(skip = flags & 1 != 0)]
    retain: bool,
    #[codec(len = u16)]
    topic: String,
    #[codec(when = qos > 0)]
    packet_id: Option<u16>,
    #[codec(rest)]
    payload: Vec<u8>,
}

/// PUBACK (§3.4): flags 0000.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 4)]
struct PubAck {
    packet_id: u16,
}

/// PINGREQ (§3.12): flags 0000, no payload.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 12)]
struct PingReq;

#[derive(Debug, Clone, PartialEq, Protocol)]
#[codec(header = Fixed)]
enum Mqtt {
    #[codec(
        ctx(flags = header.flags),
        header(flags = u8::from(msg.dup) << 3 | msg.qos << 1 | u8::from(msg.retain))
    )]
    Publish(Publish),
    #[codec(header(flags = 0))]
    PubAck(PubAck),
    #[codec(header(flags = 0))]
    PingReq(PingReq),
}

fn publish(qos: u8, retain: bool, packet_id: Option<u16>, payload: &[u8]) -> Publish {
    Publish {
        dup: false,
        qos,
        retain,
        topic: "a/b".into(),
        packet_id,
        payload: payload.to_vec(),
    }
}

/// PUBLISH "hello" to "a/b" at QoS 0, and at QoS 1 with RETAIN and packet
/// identifier 10, as paho-mqtt 2.1.0's `_send_publish` writes them.
const QOS0: [u8; 12] = [
    0x30, 0x0a, // type 3, flags 0000 | remaining length 10
    0x00, 0x03, b'a', b'/', b'b', // topic
    b'h', b'e', b'l', b'l', b'o', // payload
];
const QOS1: [u8; 14] = [
    0x33, 0x0c, // type 3, flags 0011 (QoS 1, RETAIN) | remaining length 12
    0x00, 0x03, b'a', b'/', b'b', // topic
    0x00, 0x0a, // packet identifier
    b'h', b'e', b'l', b'l', b'o', // payload
];

#[test]
fn publish_goldens() {
    for (value, wire) in [
        (publish(0, false, None, b"hello"), &QOS0[..]),
        (publish(1, true, Some(10), b"hello"), &QOS1[..]),
    ] {
        let frame = Mqtt::from(value.clone());
        assert_eq!(frame.to_bytes().unwrap(), wire);
        assert_eq!(frame.encoded_len(), wire.len());
        assert_eq!(Mqtt::from_bytes(wire).unwrap(), frame);
    }
    let dup = Publish {
        dup: true,
        ..publish(2, false, Some(7), b"")
    };
    let wire = Mqtt::from(dup.clone()).to_bytes().unwrap();
    assert_eq!(wire, [0x3c, 0x07, 0, 3, b'a', b'/', b'b', 0, 7]);
    assert_eq!(Mqtt::from_bytes(&wire).unwrap(), Mqtt::Publish(dup));
}

#[test]
fn fixed_flag_packets() {
    let ack = Mqtt::from(PubAck { packet_id: 10 });
    assert_eq!(ack.to_bytes().unwrap(), [0x40, 0x02, 0x00, 0x0a]);
    assert_eq!(Mqtt::from_bytes(&[0x40, 0x02, 0x00, 0x0a]).unwrap(), ack);
    let ping = Mqtt::from(PingReq);
    assert_eq!(ping.to_bytes().unwrap(), [0xc0, 0x00]);
    assert_eq!(Mqtt::from_bytes(&[0xc0, 0x00]).unwrap(), ping);
}

#[test]
fn every_strict_prefix_needs_exactly_what_is_known() {
    for wire in [&QOS0[..], &QOS1[..], &[0x40, 0x02, 0x00, 0x0a][..]] {
        for cut in 1..wire.len() {
            let e = Mqtt::from_bytes(&wire[..cut]).unwrap_err();
            // Inside the 2-byte header the payload length is not known
            // yet: what is missing is the rest of the header.
            let need = if cut < 2 { 2 - cut } else { wire.len() - cut };
            assert_eq!(
                e.bytes_needed(),
                Some(need as u64),
                "cut {cut} of {wire:02x?}: {e}"
            );
        }
    }
}

#[test]
fn hostile_frames() {
    // QoS 3 is reserved (§3.3.1.2).
    let mut wire = QOS1;
    wire[0] = 0x36;
    let e = Mqtt::from_bytes(&wire).unwrap_err();
    assert!(matches!(e.kind(), DecodeErrorKind::Assertion { .. }), "{e}");
    assert!(e.to_string().contains("QoS 3 is reserved"), "{e}");
    // PUBACK's flags must be 0000 (§3.4.1): the error points at the header.
    let e = Mqtt::from_bytes(&[0x42, 0x02, 0x00, 0x0a]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "header field `flags` disagrees with the PubAck message at byte 0 in Fixed.flags"
    );
    // A QoS 0 PUBLISH whose header says QoS 1: the packet identifier is
    // read from the payload, so the frame is one message shorter.
    let mut wire = QOS0;
    wire[0] = 0x32;
    let back = Mqtt::from_bytes(&wire).unwrap();
    assert_eq!(back, Mqtt::from(publish(1, false, Some(0x6865), b"llo")));
    // Unknown packet type, remaining length over 4 bytes.
    assert!(matches!(
        Mqtt::from_bytes(&[0xf0, 0x00]).unwrap_err().kind(),
        DecodeErrorKind::UnknownId(15)
    ));
    assert!(Mqtt::from_bytes(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]).is_err());
    // Without its header, a PUBLISH payload cannot be read.
    let e = <Mqtt as codec::DecodeProtocol>::decode_payload(3, &mut codec::Reader::new(&QOS0[2..]))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "this message takes its context from the frame header: decode the whole frame at byte 0 in Publish"
    );
    // Encoding QoS 3 is refused before anything is written.
    assert!(Mqtt::from(publish(3, false, Some(1), b""))
        .to_bytes()
        .is_err());
}

#[test]
fn explain_shows_header_then_message() {
    assert_eq!(
        explain::<Mqtt>(&QOS1),
        "0000  33           header.kind = 3 (bits 0011....)\n\
         0000  33           header.flags = 3 (bits ....0011)\n\
         0001  0c           header.remaining = 12\n\
         0002  00 03        Publish.topic.len = 3\n\
         0004  61 2f 62     Publish.topic = \"a/b\"\n\
         0007  00 0a        Publish.packet_id = 10\n\
         0009  68 65 6c 6c  Publish.payload = <Vec<u8>>\n\
         000d  6f\n"
    );
    // A QoS 0 PUBLISH has no packet identifier line.
    let text = explain::<Mqtt>(&QOS0);
    assert!(!text.contains("packet_id"), "{text}");
    // Wrong PUBACK flags: the message, then the error at the header.
    let text = explain::<Mqtt>(&[0x42, 0x02, 0x00, 0x0a]);
    assert!(
        text.ends_with(
            "0002  00 0a        PubAck.packet_id = 10\n\
             0000               error = header field `flags` disagrees with the PubAck message at byte 0\u{2026}\n"
        ),
        "{text}"
    );
}

#[test]
fn messages_list_every_packet() {
    let names: Vec<_> = Mqtt::MESSAGES.iter().map(|m| (m.id, m.name)).collect();
    assert_eq!(names, [(3, "Publish"), (4, "PubAck"), (12, "PingReq")]);
    assert_eq!(PubAck::FIELDS.len(), 1);
    // The header's flags are not payload fields.
    let fields: Vec<_> = Publish::FIELDS.iter().map(|f| f.name).collect();
    assert_eq!(fields, ["topic", "packet_id", "payload"]);
}

/// The stream decoder hands each frame's header to the message too.
#[test]
fn frame_decoder_passes_the_header() {
    let mut stream = QOS1.to_vec();
    stream.extend_from_slice(&QOS0);
    stream.extend_from_slice(&[0x40, 0x02, 0x00, 0x0a]);
    let mut d = codec::FrameDecoder::<Fixed>::new();
    let mut got = Vec::new();
    for byte in stream {
        d.push(&[byte]);
        while let Some(m) = d.next_message::<Mqtt>().unwrap() {
            got.push(m);
        }
    }
    assert_eq!(
        got,
        [
            Mqtt::from(publish(1, true, Some(10), b"hello")),
            Mqtt::from(publish(0, false, None, b"hello")),
            Mqtt::from(PubAck { packet_id: 10 }),
        ]
    );
}

proptest! {
    #[test]
    fn publish_round_trips(
        dup: bool,
        qos in 0u8..3,
        retain: bool,
        topic in "[a-z/]{0,20}",
        id: u16,
        payload in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let p = Publish {
            dup,
            qos,
            retain,
            topic,
            packet_id: (qos > 0).then_some(id),
            payload,
        };
        let frame = Mqtt::from(p);
        let wire = frame.to_bytes().unwrap();
        prop_assert_eq!(wire.len(), frame.encoded_len());
        prop_assert_eq!(wire[0] >> 4, 3);
        prop_assert_eq!(wire[0] >> 1 & 3, qos);
        prop_assert_eq!(Mqtt::from_bytes(&wire).unwrap(), frame);
    }
}

/// `ctx` without `header`: decode reads the context from the header;
/// encode builds it from the header's `Default` (flags 0000 here) and
/// writes that header, so only QoS 0 round-trips.
#[derive(Debug, Clone, PartialEq, Protocol)]
#[codec(header = Fixed)]
enum ReadOnly {
    #[codec(ctx(flags = header.flags))]
    Publish(Publish),
}

#[test]
fn ctx_without_header_fields() {
    assert_eq!(
        ReadOnly::from_bytes(&QOS1).unwrap(),
        ReadOnly::Publish(publish(1, true, Some(10), b"hello"))
    );
    let q0 = ReadOnly::from(publish(0, false, None, b"hello"));
    assert_eq!(q0.to_bytes().unwrap(), QOS0);
}
