//! MQTT interop on loopback: mosquitto_pub/mosquitto_sub and paho-mqtt
//! (3.1.1 and 5.0, pinned in examples/peers/requirements.txt) against our
//! `mqtt-broker`; our `mqtt-peer` against a real mosquitto; Wireshark's
//! own MQTT dissector over a capture of a run. The Debian packages
//! (mosquitto, mosquitto-clients, tshark) are installed when missing.

mod support {
    pub mod apt;
    pub mod capture;
    pub mod interop;
    pub mod mqtt;
    pub mod storage;
}

use std::process::Command;
use std::time::Duration;

use support::capture::{require, Capture};
use support::interop::{python, run_bounded, Proc};
use support::mqtt::{Broker, Kind};

const LIMIT: Duration = Duration::from_secs(30);

fn tool(name: &str) -> Command {
    require(name, "mosquitto-clients");
    Command::new(name)
}

fn peer() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mqtt-peer"))
}

fn peer_pub() -> Command {
    let mut c = peer();
    c.arg("pub");
    c
}

fn peer_sub() -> Command {
    let mut c = peer();
    c.arg("sub");
    c
}

fn out(cmd: &mut Command) -> (i32, String, String) {
    let o = run_bounded(cmd, LIMIT);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Publishes with `pub_tool` to `broker`, subscribed to by `sub_tool`:
/// QoS 0, 1 and 2 in both protocol versions, a retained message, `+` and
/// `#`; the subscriber prints `TOPIC PAYLOAD` lines and exits after
/// `-C`.
fn pub_sub(broker: &Broker, pub_tool: fn() -> Command, sub_tool: fn() -> Command) {
    let port = broker.port().to_string();
    for version in ["311", "5"] {
        let root = format!("t{version}-{:?}", broker.kind);
        // A retained message first: the subscriber receives it on subscribing.
        let (code, _, err) = out(pub_tool()
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-V",
                version,
                "-r",
                "-q",
                "1",
            ])
            .args(["-t", &format!("{root}/kept"), "-m", "retained"]));
        assert_eq!(code, 0, "{err}");
        let mut sub = sub_tool();
        sub.args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-V",
            version,
            "-q",
            "2",
            "-v",
            "-C",
            "4",
            "-W",
            "20",
        ])
        .args(["-t", &format!("{root}/+"), "-t", &format!("{root}/deep/#")]);
        let mut s = Proc::spawn("sub", &mut sub);
        // The retained message arrives once the subscription is in place.
        assert_eq!(s.expect_line("", LIMIT), format!("{root}/kept retained"));
        for (qos, topic, msg) in [
            ("0", "a", "zero"),
            ("1", "deep/x/y", "one"),
            ("2", "b", "two"),
        ] {
            let (code, _, err) = out(pub_tool()
                .args(["-h", "127.0.0.1", "-p", &port, "-V", version, "-q", qos])
                .args(["-t", &format!("{root}/{topic}"), "-m", msg]));
            assert_eq!(code, 0, "{err}");
        }
        let done = s.finish(LIMIT);
        assert!(done.status.success(), "{done:?}");
        assert_eq!(
            done.stdout,
            [
                format!("{root}/kept retained"),
                format!("{root}/a zero"),
                format!("{root}/deep/x/y one"),
                format!("{root}/b two"),
            ]
        );
        // Clear the retained message.
        let (code, _, err) = out(pub_tool()
            .args(["-h", "127.0.0.1", "-p", &port, "-V", version, "-r", "-n"])
            .args(["-t", &format!("{root}/kept")]));
        assert_eq!(code, 0, "{err}");
    }
}

#[test]
fn mosquitto_clients_against_our_broker() {
    let broker = Broker::start(Kind::Ours);
    pub_sub(&broker, || tool("mosquitto_pub"), || tool("mosquitto_sub"));
    // mosquitto_sub's timeout status against our broker.
    let (code, _, err) = out(tool("mosquitto_sub").args([
        "-p",
        &broker.port().to_string(),
        "-t",
        "none",
        "-W",
        "1",
    ]));
    assert_eq!((code, err.trim()), (27, "Timed out"));
}

#[test]
fn mqtt_peer_against_mosquitto() {
    let broker = Broker::start(Kind::Mosquitto);
    pub_sub(&broker, peer_pub, peer_sub);
}

/// mqtt-peer prints what mosquitto_sub prints and exits as it does, on
/// both brokers: a timeout (27), a refused connection (1), a bad filter (1).
#[test]
fn mqtt_peer_statuses_match_mosquitto_tools() {
    for kind in [Kind::Ours, Kind::Mosquitto] {
        let broker = Broker::start(kind);
        let port = broker.port().to_string();
        let dead = support::mqtt::free_port().to_string();
        for args in [
            vec!["-p", &port, "-t", "quiet", "-W", "1"],
            vec!["-p", &dead, "-t", "x"],
            vec!["-p", &port, "-t", "a/#/b"],
        ] {
            let theirs = out(tool("mosquitto_sub").args(&args));
            let ours = out(peer().arg("sub").args(&args));
            assert_eq!(ours.0, theirs.0, "{args:?}: {ours:?} vs {theirs:?}");
            assert_eq!(ours.2.lines().next(), theirs.2.lines().next(), "{args:?}");
        }
    }
}

/// paho-mqtt, 3.1.1 and 5.0, against our broker: subscribe, publish at
/// QoS 0/1/2, receive with properties (5.0: user property, content type,
/// subscription identifier), a will on a dropped connection.
const PAHO: &str = r#"
import sys, time, threading
import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes

port = int(sys.argv[1]); proto = mqtt.MQTTv5 if sys.argv[2] == "5" else mqtt.MQTTv311
got = []; cond = threading.Condition()
def on_message(c, u, m):
    with cond:
        props = {}
        if proto == mqtt.MQTTv5 and m.properties is not None:
            props = dict(sorted((k, v) for k, v in vars(m.properties).items() if k in ("UserProperty", "ContentType", "SubscriptionIdentifier")))
        got.append((m.topic, m.payload.decode(), m.qos, m.retain, props)); cond.notify_all()
def client(name):
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=name, protocol=proto)
    c.on_message = on_message
    return c
sub = client("paho-sub-" + sys.argv[2])
if proto == mqtt.MQTTv5:
    sub.connect("127.0.0.1", port, 30, clean_start=True)
else:
    sub.connect("127.0.0.1", port, 30)
sub.loop_start()
time.sleep(0.2)
if proto == mqtt.MQTTv5:
    sp = Properties(PacketTypes.SUBSCRIBE); sp.SubscriptionIdentifier = 7
    r = sub.subscribe([("p/#", 2), ("will/#", 1)], properties=sp)
else:
    r = sub.subscribe([("p/#", 2), ("will/#", 1)])
time.sleep(0.3)
pub = client("paho-pub-" + sys.argv[2])
pub.connect("127.0.0.1", port, 30)
pub.loop_start()
for q in (0, 1, 2):
    if proto == mqtt.MQTTv5:
        pp = Properties(PacketTypes.PUBLISH); pp.UserProperty = ("k", "v"); pp.ContentType = "text/plain"
        info = pub.publish("p/q%d" % q, "m%d" % q, qos=q, properties=pp)
    else:
        info = pub.publish("p/q%d" % q, "m%d" % q, qos=q)
    info.wait_for_publish(10)
# A client with a will whose socket just closes.
w = client("paho-will-" + sys.argv[2])
w.will_set("will/" + sys.argv[2], "gone", qos=1)
w.connect("127.0.0.1", port, 30)
w.loop(0.2); w.loop(0.2)
w.socket().close()
with cond:
    cond.wait_for(lambda: len(got) >= 4, timeout=10)
for g in sorted(got, key=lambda g: g[0]):
    print(repr(g))
pub.disconnect(); sub.disconnect()
"#;

#[test]
fn paho_against_our_broker() {
    let broker = Broker::start(Kind::Ours);
    for version in ["311", "5"] {
        let (code, stdout, stderr) = out(Command::new(python())
            .arg("-c")
            .arg(PAHO)
            .arg(broker.port().to_string())
            .arg(version));
        assert_eq!(code, 0, "{stderr}");
        let props = |s: &str| {
            if version == "5" {
                s.to_string()
            } else {
                "{}".to_string()
            }
        };
        let want = [
            format!("('p/q0', 'm0', 0, False, {})", props("{'ContentType': 'text/plain', 'SubscriptionIdentifier': [7], 'UserProperty': [('k', 'v')]}")),
            format!("('p/q1', 'm1', 1, False, {})", props("{'ContentType': 'text/plain', 'SubscriptionIdentifier': [7], 'UserProperty': [('k', 'v')]}")),
            format!("('p/q2', 'm2', 2, False, {})", props("{'ContentType': 'text/plain', 'SubscriptionIdentifier': [7], 'UserProperty': [('k', 'v')]}")),
            format!("('will/{version}', 'gone', 1, False, {})", props("{'SubscriptionIdentifier': [7]}")),
        ];
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines, want, "stderr: {stderr}");
    }
}

/// A run of mosquitto's tools and mqtt-peer through our broker, captured
/// on lo: Wireshark's MQTT dissector finds no malformed packet and no
/// error-level expert info, in either protocol version.
#[test]
fn tshark_finds_no_malformed_packet() {
    require("tshark", "tshark");
    let broker = Broker::start(Kind::Ours);
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("mqtt.pcap");
    let capture = Capture::start(broker.port(), &pcap);
    pub_sub(&broker, || tool("mosquitto_pub"), || tool("mosquitto_sub"));
    pub_sub(&broker, peer_pub, peer_sub);
    capture.stop();
    let port = broker.port();
    let fields = |filter: &str| {
        let o = run_bounded(
            Command::new("tshark")
                .arg("-r")
                .arg(&pcap)
                .args(["-d", &format!("tcp.port=={port},mqtt"), "-Y", filter])
                .args([
                    "-T",
                    "fields",
                    "-e",
                    "frame.number",
                    "-e",
                    "mqtt.msgtype",
                    "-e",
                    "_ws.expert.message",
                ]),
            LIMIT,
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let all = fields("mqtt");
    let types: std::collections::BTreeSet<&str> = all
        .lines()
        .flat_map(|l| l.split('\t').nth(1).unwrap_or("").split(','))
        .collect();
    // CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP,
    // SUBSCRIBE, SUBACK, DISCONNECT were all dissected.
    for t in ["1", "2", "3", "4", "5", "6", "7", "8", "9", "14"] {
        assert!(
            types.contains(t),
            "no MQTT message type {t} in the capture: {types:?}"
        );
    }
    let bad = fields("_ws.malformed || _ws.expert.severity >= \"error\"");
    assert!(
        bad.trim().is_empty(),
        "malformed or erroneous packets:\n{bad}"
    );
}
