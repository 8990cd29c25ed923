//! Bad input to `mqtt-broker`, answered as the specifications prescribe
//! (5.0: DISCONNECT with the reason code, then close; 3.1.1: close),
//! without disturbing a client connected alongside; its own limits
//! (maximum packet size advertised and enforced, topic alias maximum,
//! keepalive within 1.5 ×); its counters under `$SYS/broker/`.

mod support {
    pub mod apt;
    pub mod capture;
    pub mod interop;
    pub mod mqtt;
    pub mod mqtt_raw;
    pub mod storage;
}

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use codec::Encode;
use codec_examples::mqtt::packet::*;
use codec_examples::mqtt::props::Property;
use codec_examples::mqtt::Packet;
use support::mqtt::Broker;
use support::mqtt_raw::{line, Got, Raw};

const WAIT: Duration = Duration::from_secs(5);

/// The DISCONNECT reason code sent (5.0), and whether the connection
/// then closed.
type Answer = (Option<u8>, bool);

/// What the broker does after `bytes` on a fresh connection (`v5`: a 5.0
/// CONNECT first; `None`: no CONNECT at all): the DISCONNECT reason code
/// it sends, if any, and whether it then closes.
fn answer(addr: SocketAddr, v5: Option<bool>, bytes: &[u8]) -> Answer {
    let mut r = match v5 {
        Some(v5) => Raw::client(addr, v5, "", true),
        None => Raw::open(addr, true),
    };
    r.send_bytes(bytes);
    let mut code = None;
    loop {
        match r.recv(WAIT) {
            Got::Packet(Packet::Disconnect(d)) => code = Some(d.code()),
            Got::Packet(other) => panic!("unexpected {other:?} after {bytes:02x?}"),
            Got::Closed => return (code, true),
            Got::Quiet => return (code, false),
            Got::Bad(e) => panic!("the broker sent bytes that do not decode: {e}"),
        }
    }
}

/// A client connected before and after the hostile ones still gets its
/// messages.
fn bystander_ok(addr: SocketAddr, by: &mut Raw, n: u32) {
    let mut p = Raw::client(addr, true, "hostile-pub", true);
    p.publish("bystander", format!("{n}").as_bytes(), 1, false);
    let got = by.drain(Duration::from_millis(300));
    assert_eq!(
        got.iter().map(line).collect::<Vec<_>>(),
        [format!("bystander {n} q1")]
    );
}

#[test]
fn bad_input_gets_what_the_spec_prescribes() {
    let broker = Broker::ours(&["--max-packet-size", "1024"]);
    let addr = broker.addr;
    let mut by = Raw::client(addr, true, "bystander", true);
    by.subscribe("bystander", 1);

    let publish = |qos: u8, topic: &str| {
        let mut p = Publish {
            dup: false,
            qos,
            retain: false,
            topic: topic.into(),
            packet_id: (qos > 0).then_some(1),
            properties: Some(vec![]),
            payload: b"x".to_vec().into(),
        };
        p.topic = topic.into();
        Packet::Publish(p).to_bytes().unwrap()
    };
    let cases: Vec<(&str, Option<bool>, Vec<u8>, Answer)> = vec![
        // A remaining length with a fifth byte.
        (
            "5-byte length v5",
            Some(true),
            vec![0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
            (Some(0x81), true),
        ),
        (
            "5-byte length 3.1.1",
            Some(false),
            vec![0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
            (None, true),
        ),
        // Reserved flag bits: PUBREL with 0000, PINGREQ with 0001.
        (
            "PUBREL flags v5",
            Some(true),
            vec![0x60, 2, 0, 1],
            (Some(0x81), true),
        ),
        (
            "PINGREQ flags 3.1.1",
            Some(false),
            vec![0xC1, 0],
            (None, true),
        ),
        // Invalid UTF-8 and U+0000 in a topic name.
        (
            "invalid UTF-8",
            Some(true),
            vec![0x30, 5, 0, 1, 0xFF, 0, b'x'],
            (Some(0x81), true),
        ),
        (
            "U+0000",
            Some(true),
            vec![0x30, 5, 0, 1, 0x00, 0, b'x'],
            (Some(0x81), true),
        ),
        (
            "wildcard in topic",
            Some(false),
            {
                let mut b = publish(0, "a/b");
                b[5] = b'+';
                b.remove(7);
                b[1] -= 1;
                b
            },
            (None, true),
        ),
        // Over the maximum packet size (1024).
        (
            "too large",
            Some(true),
            {
                let mut b = vec![0x30, 0x80, 0x10, 0, 1, b'a', 0];
                b.resize(3 + 2048, b'x');
                b
            },
            (Some(0x95), true),
        ),
        // The first packet is not CONNECT.
        ("no CONNECT", None, publish(0, "a"), (None, true)),
        // A second CONNECT.
        (
            "second CONNECT v5",
            Some(true),
            Packet::Connect(Connect::new(5, "x", 60, true))
                .to_bytes()
                .unwrap(),
            (Some(0x82), true),
        ),
        (
            "second CONNECT 3.1.1",
            Some(false),
            Packet::Connect(Connect::new(5, "y", 60, true))
                .downgrade()
                .unwrap()
                .to_bytes()
                .unwrap(),
            (None, true),
        ),
        // A topic alias over the maximum the broker advertised (16).
        (
            "topic alias",
            Some(true),
            {
                Packet::Publish(Publish {
                    dup: false,
                    qos: 0,
                    retain: false,
                    topic: "a".into(),
                    packet_id: None,
                    properties: Some(vec![Property::TopicAlias(17)]),
                    payload: Default::default(),
                })
                .to_bytes()
                .unwrap()
            },
            (Some(0x94), true),
        ),
        // A packet only a server sends.
        (
            "SUBACK from a client",
            Some(true),
            vec![0x90, 4, 0, 1, 0, 0],
            (Some(0x82), true),
        ),
    ];
    for (i, (name, v5, bytes, want)) in cases.iter().enumerate() {
        assert_eq!(&answer(addr, *v5, bytes), want, "{name}");
        bystander_ok(addr, &mut by, i as u32);
    }

    // An unsupported protocol level: CONNACK 0x01 (the 3.1.1 form), close.
    let mut r = Raw::open(addr, false);
    let mut c = Packet::Connect(Connect::new(4, "old", 60, true))
        .to_bytes()
        .unwrap();
    c[8] = 3;
    r.send_bytes(&c);
    match r.recv(WAIT) {
        Got::Packet(Packet::ConnAck(a)) => assert_eq!(a.code, 1),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.recv(WAIT), Got::Closed);

    // CONNACK advertises the limits; an empty client id gets one assigned.
    let (_r, ack) = Raw::connect(addr, Connect::new(5, "", 60, true));
    let props = ack.properties.unwrap_or_default();
    assert!(
        props.contains(&Property::MaximumPacketSize(1024)),
        "{props:?}"
    );
    assert!(
        props.contains(&Property::TopicAliasMaximum(16)),
        "{props:?}"
    );
    assert!(
        props
            .iter()
            .any(|p| matches!(p, Property::AssignedClientId(_))),
        "{props:?}"
    );
    // 3.1.1 with an empty client id and a persistent session: 0x02.
    let (_, ack) = Raw::connect(addr, Connect::new(4, "", 60, false));
    assert_eq!(ack.code, 2);
    bystander_ok(addr, &mut by, 99);
}

/// Our keepalive bound: DISCONNECT 0x8D (5.0) within 1.5 × keepalive
/// plus scheduling slack, not before.
#[test]
fn keepalive_within_one_and_a_half() {
    let broker = Broker::ours(&[]);
    let (mut r, _) = Raw::connect(broker.addr, Connect::new(5, "ka", 2, true));
    let start = Instant::now();
    assert!(matches!(r.recv(WAIT), Got::Packet(Packet::Disconnect(ref d)) if d.code() == 0x8D));
    let t = start.elapsed();
    assert!(
        t >= Duration::from_millis(2900) && t < Duration::from_millis(3600),
        "{t:?}"
    );
    assert_eq!(r.recv(WAIT), Got::Closed);
}

/// The counters as retained `$SYS/broker/NAME` messages.
#[test]
fn counters_under_sys() {
    let broker = Broker::ours(&["--sys-interval", "1"]);
    let mut bad = Raw::client(broker.addr, false, "bad", true);
    bad.send_bytes(&[0xC1, 0]);
    assert_eq!(bad.recv(WAIT), Got::Closed);
    std::thread::sleep(Duration::from_millis(1500));
    let mut s = Raw::client(broker.addr, false, "sys", true);
    s.subscribe("$SYS/broker/+", 0);
    let got: Vec<String> = s
        .drain(Duration::from_millis(500))
        .iter()
        .map(line)
        .collect();
    for want in [
        "$SYS/broker/malformed 1 q0 r",
        "$SYS/broker/clients_connected 0 q0 r",
    ] {
        assert!(got.iter().any(|l| l == want), "{want} not in {got:?}");
    }
    assert!(
        got.iter()
            .any(|l| l.starts_with("$SYS/broker/connections ")),
        "{got:?}"
    );
}

/// Session takeover: the first connection gets DISCONNECT 0x8E (5.0
/// §3.1.4), then the close.
#[test]
fn takeover_sends_session_taken_over() {
    let broker = Broker::ours(&[]);
    let (mut first, _) = Raw::connect(broker.addr, Connect::new(5, "same", 60, true));
    let _second = Raw::client(broker.addr, true, "same", true);
    assert!(matches!(first.recv(WAIT), Got::Packet(Packet::Disconnect(ref d)) if d.code() == 0x8E));
    assert_eq!(first.recv(WAIT), Got::Closed);
}
