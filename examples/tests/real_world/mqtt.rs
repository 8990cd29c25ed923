//! MQTT 3.1.1 (OASIS standard, §2.2 fixed header, §3.1 CONNECT, §3.3
//! PUBLISH): the fixed header's type nibble and DUP/QoS/RETAIN bits and
//! CONNECT's flags byte as bit fields, the remaining length as a varint
//! (MQTT's variable byte integer is LEB128), PUBLISH's packet identifier
//! present only at QoS > 0 (`when`). Checked against the bytes paho-mqtt's
//! client writes to a socket (pinned in examples/peers/requirements.txt).
//!
//! ```text
//! byte 1:  type (4) | DUP | QoS (2) | RETAIN      (CONNECT: 1 | 0000)
//! byte 2…: remaining length, 7 bits a byte, low bits first
//! CONNECT: "MQTT" (u16 length), level 4,
//!          flags: user | password | will retain | will QoS (2) | will | clean | 0,
//!          keep alive (u16), client id, [will topic, will message], [user], [password]
//! PUBLISH: topic (u16 length), [packet id when QoS > 0], payload (the rest)
//! ```
//!
//! The remaining length is a plain varint field here, kept honest by an
//! `assert` that it counts the bytes after it (a length over several
//! fields is not a derive key yet).

use codec::{Decode, Encode, FieldLayout, Message, Protocol};

use crate::dns::{assert_prefixes_need_more, python_hex};

/// §2.2.1: the control packet type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum PacketType {
    Connect = 1,
    ConnAck = 2,
    Publish = 3,
    PubAck = 4,
    PubRec = 5,
    PubRel = 6,
    PubComp = 7,
    Subscribe = 8,
    SubAck = 9,
    Unsubscribe = 10,
    UnsubAck = 11,
    PingReq = 12,
    PingResp = 13,
    Disconnect = 14,
}

/// Bytes a `u16`-prefixed field takes when present.
fn prefixed<T: AsRef<[u8]>>(v: &Option<T>) -> usize {
    v.as_ref().map_or(0, |v| 2 + v.as_ref().len())
}

/// §3.1: CONNECT with its flags byte as bit fields; the will, user name
/// and password are present as the flags say.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(
    id = 0x10,
    assert(
        remaining as usize
            == 10 + 2 + client_id.len() + prefixed(&will_topic) + prefixed(&will_message)
                + prefixed(&username) + prefixed(&password),
        "the remaining length must count the bytes after it"
    )
)]
pub struct Connect {
    #[codec(bits = 4, assert(kind == PacketType::Connect, "not a CONNECT"))]
    pub kind: PacketType,
    #[codec(bits = 4)]
    pub header_flags: u8,
    #[codec(varint)]
    pub remaining: u32,
    #[codec(len = u16)]
    pub protocol: String,
    pub level: u8,
    #[codec(bits = 1)]
    pub username_flag: bool,
    #[codec(bits = 1)]
    pub password_flag: bool,
    #[codec(bits = 1)]
    pub will_retain: bool,
    #[codec(bits = 2)]
    pub will_qos: u8,
    #[codec(bits = 1)]
    pub will_flag: bool,
    #[codec(bits = 1)]
    pub clean_session: bool,
    #[codec(bits = 1)]
    pub reserved: bool,
    pub keep_alive: u16,
    #[codec(len = u16)]
    pub client_id: String,
    #[codec(when = will_flag, len = u16)]
    pub will_topic: Option<String>,
    #[codec(when = will_flag, len = u16)]
    pub will_message: Option<Vec<u8>>,
    #[codec(when = username_flag, len = u16)]
    pub username: Option<String>,
    #[codec(when = password_flag, len = u16)]
    pub password: Option<Vec<u8>>,
}

/// §3.3: PUBLISH; the packet identifier is there only at QoS 1 and 2.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(
    id = 0x30,
    assert(
        remaining as usize == 2 + topic.len() + 2 * usize::from(packet_id.is_some()) + payload.len(),
        "the remaining length must count the bytes after it"
    )
)]
pub struct Publish {
    #[codec(bits = 4, assert(kind == PacketType::Publish, "not a PUBLISH"))]
    pub kind: PacketType,
    #[codec(bits = 1)]
    pub dup: bool,
    #[codec(bits = 2)]
    pub qos: u8,
    #[codec(bits = 1)]
    pub retain: bool,
    #[codec(varint)]
    pub remaining: u32,
    #[codec(len = u16)]
    pub topic: String,
    #[codec(when = qos > 0)]
    pub packet_id: Option<u16>,
    #[codec(rest)]
    pub payload: Vec<u8>,
}

#[derive(Debug, PartialEq, Protocol)]
enum Mqtt {
    Connect(Connect),
    Publish(Publish),
}

/// paho-mqtt's client writing a CONNECT (user name, password, a will at
/// QoS 1 with RETAIN) and three PUBLISHes (QoS 0; QoS 1 with RETAIN; QoS 1
/// with DUP) into one end of a socket pair, read back from the other: one
/// packet a line.
const PAHO: &str = r#"
import socket
import paho.mqtt.client as mqtt
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="codec", protocol=mqtt.MQTTv311)
c.username_pw_set("user", "pass")
c.will_set("will/topic", b"bye", qos=1, retain=True)
a, b = socket.socketpair()
c._sock = a
c._send_connect(60)
print(b.recv(4096).hex())
for mid, qos, retain, dup, payload in [(0, 0, False, False, b"hello"), (10, 1, True, False, b"hello"), (11, 1, False, True, b"x")]:
    c._send_publish(mid, b"a/b", payload, qos=qos, retain=retain, dup=dup, info=mqtt.MQTTMessageInfo(mid))
    print(b.recv(4096).hex())
"#;

fn connect() -> Connect {
    Connect {
        kind: PacketType::Connect,
        header_flags: 0,
        remaining: 46,
        protocol: "MQTT".into(),
        level: 4,
        username_flag: true,
        password_flag: true,
        will_retain: true,
        will_qos: 1,
        will_flag: true,
        clean_session: true,
        reserved: false,
        keep_alive: 60,
        client_id: "codec".into(),
        will_topic: Some("will/topic".into()),
        will_message: Some(b"bye".to_vec()),
        username: Some("user".into()),
        password: Some(b"pass".to_vec()),
    }
}

fn publish(qos: u8, retain: bool, dup: bool, packet_id: Option<u16>, payload: &[u8]) -> Publish {
    Publish {
        kind: PacketType::Publish,
        dup,
        qos,
        retain,
        remaining: (5 + 2 * usize::from(packet_id.is_some()) + payload.len()) as u32,
        topic: "a/b".into(),
        packet_id,
        payload: payload.to_vec(),
    }
}

#[test]
fn connect_and_publish_match_paho() {
    let wires = python_hex(PAHO);
    let [c, p0, p1, pdup] = &wires[..] else {
        panic!("four packets expected: {wires:02x?}");
    };
    // The fixed header bytes and CONNECT's flags byte, as §2.2 and §3.1.2.3
    // lay them out.
    assert_eq!((c[0], c[1], c[9]), (0x10, 46, 0xEE));
    assert_eq!([p0[0], p1[0], pdup[0]], [0x30, 0x33, 0x3A]);

    assert_eq!(&connect().to_bytes().unwrap(), c);
    assert_eq!(Connect::from_bytes(c).unwrap(), connect());
    assert_prefixes_need_more::<Connect>(c);

    for (value, wire) in [
        (publish(0, false, false, None, b"hello"), p0),
        (publish(1, true, false, Some(10), b"hello"), p1),
        (publish(1, false, true, Some(11), b"x"), pdup),
    ] {
        assert_eq!(&value.to_bytes().unwrap(), wire);
        assert_eq!(Publish::from_bytes(wire).unwrap(), value);
        // The payload is `rest`: prefixes that reach it decode (with less
        // payload, and a remaining length that no longer matches).
        let rest_at = wire.len() - value.payload.len();
        assert_prefixes_need_more::<Publish>(&wire[..rest_at]);
        assert!(Publish::from_bytes(&wire[..wire.len() - 1]).is_err());
    }
}

/// Flags that disagree with the fields, values too wide for their bits,
/// a packet of another type: errors naming the field.
#[test]
fn hostile_packets() {
    let mut c = connect();
    c.will_qos = 4;
    assert_eq!(
        c.to_bytes().unwrap_err().to_string(),
        "value 4 out of range for 2 bits in Connect.will_qos"
    );
    let mut c = connect();
    c.username = None;
    assert!(c.to_bytes().is_err(), "username flag without a user name");

    let mut wire = publish(1, false, false, Some(1), b"x").to_bytes().unwrap();
    wire[0] = 0xF2; // type 15: reserved
    assert_eq!(
        Publish::from_bytes(&wire).unwrap_err().to_string(),
        "invalid discriminant 15 at byte 0 in Publish.kind"
    );
    wire[0] = 0x12; // CONNECT's type
    let e = Publish::from_bytes(&wire).unwrap_err();
    assert!(e.to_string().contains("not a PUBLISH"), "{e}");
    // QoS 0 with a packet id, QoS 1 without: `when` refuses both.
    assert!(publish(0, false, false, Some(1), b"").to_bytes().is_err());
    assert!(publish(1, false, false, None, b"").to_bytes().is_err());
}

/// `explain` shows the fixed header's bits; `FIELDS` places them.
#[test]
fn explain_and_fields() {
    let frame = Mqtt::from(publish(1, true, false, Some(10), b"hello"))
        .to_bytes()
        .unwrap();
    let dump = codec::explain::<Mqtt>(&frame);
    for line in [
        "0003  33           Publish.kind = 3 (bits 0011....)",
        "0003  33           Publish.dup = 0 (bits ....0...)",
        "0003  33           Publish.qos = 1 (bits .....01.)",
        "0003  33           Publish.retain = 1 (bits .......1)",
        "0004  0c           Publish.remaining = 12",
    ] {
        assert!(dump.contains(line), "{line:?} not in\n{dump}");
    }
    assert_eq!(
        Connect::FIELDS[8],
        FieldLayout {
            name: "will_qos",
            offset: None,
            width: Some(1),
            encoding: "bits = 2 from bit 3 (msb first), u8",
        }
    );
    assert_eq!(Publish::FIELDS[2].offset, Some(0));
}
