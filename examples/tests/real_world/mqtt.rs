//! MQTT 3.1.1 (OASIS standard, §2.2 fixed header, §3.1 CONNECT, §3.3
//! PUBLISH) through a protocol enum: the fixed header is derived (type
//! nibble as the id, flags nibble, remaining length as a varint of at most
//! 4 bytes, MQTT's variable byte integer being LEB128), CONNECT's flags
//! byte is bit fields, and PUBLISH takes the header's flags as context
//! (its packet identifier is there only at QoS > 0) and writes
//! DUP/QoS/RETAIN back into them. Checked against the bytes paho-mqtt's
//! client writes to a socket (pinned in examples/peers/requirements.txt).
//!
//! ```text
//! byte 1:  type (4) | flags (4): PUBLISH DUP | QoS (2) | RETAIN, others 0000
//! byte 2…: remaining length, 7 bits a byte, low bits first (at most 4)
//! CONNECT: "MQTT" (u16 length), level 4,
//!          flags: user | password | will retain | will QoS (2) | will | clean | 0,
//!          keep alive (u16), client id, [will topic, will message], [user], [password]
//! PUBLISH: topic (u16 length), [packet id when QoS > 0], payload (the rest)
//! ```

use codec::{Decode, DecodeErrorKind, Encode, FieldLayout, Message, Protocol};

use crate::support::python_hex_lines;
use codec_tests::assert_truncations;

/// §2.2: the fixed header.
#[derive(Debug, Default, Clone, PartialEq, Encode, Decode, codec::Header)]
pub struct Fixed {
    /// §2.2.1: the control packet type.
    #[codec(id, bits = 4)]
    pub kind: u8,
    /// §2.2.2: flags specific to each packet type.
    #[codec(bits = 4)]
    pub flags: u8,
    /// §2.2.3: the bytes after the fixed header.
    #[codec(payload_len, varint, max_bytes = 4)]
    pub remaining: u32,
}

/// §3.1: CONNECT with its flags byte as bit fields; the will, user name
/// and password are present as the flags say.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 1)]
pub struct Connect {
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

/// §3.3: PUBLISH. DUP, QoS and RETAIN travel in the fixed header's flags
/// (the protocol passes them in as `flags`); the packet identifier is
/// there only at QoS 1 and 2.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 3, ctx(flags: u8), assert(qos < 3, "QoS 3 is reserved"))]
pub struct Publish {
    #[codec(skip = flags & 8 != 0)]
    pub dup: bool,
    #[codec(skip = flags >> 1 & 3)]
    pub qos: u8,
    #[codec(skip = flags & 1 != 0)]
    pub retain: bool,
    #[codec(len = u16)]
    pub topic: String,
    #[codec(when = qos > 0)]
    pub packet_id: Option<u16>,
    #[codec(rest)]
    pub payload: Vec<u8>,
}

/// MQTT control packets framed by the fixed header.
#[derive(Debug, PartialEq, Protocol)]
#[codec(header = Fixed)]
enum Mqtt {
    #[codec(header(flags = 0))]
    Connect(Connect),
    #[codec(
        ctx(flags = header.flags),
        header(flags = u8::from(msg.dup) << 3 | msg.qos << 1 | u8::from(msg.retain))
    )]
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
        dup,
        qos,
        retain,
        topic: "a/b".into(),
        packet_id,
        payload: payload.to_vec(),
    }
}

#[test]
fn connect_and_publish_match_paho() {
    let wires = python_hex_lines("paho-mqtt", PAHO);
    let [c, p0, p1, pdup] = &wires[..] else {
        panic!("four packets expected: {wires:02x?}");
    };
    // The fixed header bytes and CONNECT's flags byte, as §2.2 and §3.1.2.3
    // lay them out.
    assert_eq!((c[0], c[1], c[9]), (0x10, 46, 0xEE));
    assert_eq!([p0[0], p1[0], pdup[0]], [0x30, 0x33, 0x3A]);

    let connect = Mqtt::from(connect());
    assert_eq!(&connect.to_bytes().unwrap(), c);
    assert_eq!(Mqtt::from_bytes(c).unwrap(), connect);
    assert_truncations::<Mqtt>(c, c.len());

    for (value, wire) in [
        (publish(0, false, false, None, b"hello"), p0),
        (publish(1, true, false, Some(10), b"hello"), p1),
        (publish(1, false, true, Some(11), b"x"), pdup),
    ] {
        let frame = Mqtt::from(value);
        assert_eq!(&frame.to_bytes().unwrap(), wire);
        assert_eq!(frame.encoded_len(), wire.len());
        assert_eq!(Mqtt::from_bytes(wire).unwrap(), frame);
        // The remaining length bounds the payload: every strict prefix
        // is "need more bytes".
        assert_truncations::<Mqtt>(wire, wire.len());
    }
}

/// Flags that disagree with the packet, values too wide for their bits,
/// a reserved packet type: errors naming the field.
#[test]
fn hostile_packets() {
    let mut c = connect();
    c.will_qos = 4;
    assert_eq!(
        Mqtt::from(c).to_bytes().unwrap_err().to_string(),
        "value 4 out of range for 2 bits in Connect.will_qos"
    );
    let mut c = connect();
    c.username = None;
    assert!(
        Mqtt::from(c).to_bytes().is_err(),
        "username flag without a user name"
    );

    let mut wire = Mqtt::from(publish(1, false, false, Some(1), b"x"))
        .to_bytes()
        .unwrap();
    wire[0] = 0xF2; // type 15: reserved
    assert_eq!(
        Mqtt::from_bytes(&wire).unwrap_err().kind(),
        &DecodeErrorKind::UnknownId(15)
    );
    wire[0] = 0x36; // QoS 3: reserved (§3.3.1.2)
    let e = Mqtt::from_bytes(&wire).unwrap_err();
    assert!(e.to_string().contains("QoS 3 is reserved"), "{e}");
    let mut wire = Mqtt::from(connect()).to_bytes().unwrap();
    wire[0] = 0x12; // CONNECT with flags 0010: §2.2.2 says 0000
    assert_eq!(
        Mqtt::from_bytes(&wire).unwrap_err().to_string(),
        "header field `flags` disagrees with the Connect message at byte 0 in Fixed.flags"
    );
    // QoS 0 with a packet id, QoS 1 without: `when` refuses both.
    assert!(Mqtt::from(publish(0, false, false, Some(1), b""))
        .to_bytes()
        .is_err());
    assert!(Mqtt::from(publish(1, false, false, None, b""))
        .to_bytes()
        .is_err());
}

/// `explain` shows the fixed header's bits, then the packet; `FIELDS`
/// places CONNECT's flag bits.
#[test]
fn explain_and_fields() {
    let frame = Mqtt::from(publish(1, true, false, Some(10), b"hello"))
        .to_bytes()
        .unwrap();
    assert_eq!(
        codec::explain::<Mqtt>(&frame),
        "0000  33           header.kind = 3 (bits 0011....)\n\
         0000  33           header.flags = 3 (bits ....0011)\n\
         0001  0c           header.remaining = 12\n\
         0002  00 03        Publish.topic.len = 3\n\
         0004  61 2f 62     Publish.topic = \"a/b\"\n\
         0007  00 0a        Publish.packet_id = 10\n\
         0009  68 65 6c 6c  Publish.payload = <Vec<u8>>\n\
         000d  6f\n"
    );
    assert_eq!(
        Connect::FIELDS[5],
        FieldLayout {
            name: "will_qos",
            offset: None,
            width: Some(1),
            encoding: "bits = 2 from bit 3 (msb first), u8",
        }
    );
}
