//! One scenario suite run against our `mqtt-broker` and a real mosquitto
//! 2: each scenario prints what a client observes, and both brokers must
//! give the same lines, which are also the specification's answer.
//! Covers wildcards and `$` topics, QoS downgrade, persistent sessions
//! and queued messages, redelivery with DUP, session expiry, clean start,
//! wills (and 5.0 will delay), unsubscribe, no-local,
//! retain-as-published, retain handling, topic aliases, message expiry,
//! shared subscriptions, receive maximum, the client's maximum packet
//! size, subscription identifiers, keepalive.

mod support {
    pub mod apt;
    pub mod capture;
    pub mod interop;
    pub mod mqtt;
    pub mod mqtt_raw;
    pub mod storage;
}

use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use codec_examples::mqtt::packet::*;
use codec_examples::mqtt::props::Property;
use codec_examples::mqtt::Packet;
use support::mqtt::{Broker, Kind};
use support::mqtt_raw::{line, Got, Raw};

const SHORT: Duration = Duration::from_millis(400);

type Scenario = fn(SocketAddr, &str) -> Vec<String>;

fn lines(ps: &[Publish]) -> Vec<String> {
    ps.iter().map(line).collect()
}

/// `#` and `+` match, but not a topic starting with `$`.
fn wildcards(addr: SocketAddr, k: &str) -> Vec<String> {
    let mut s = Raw::client(addr, false, &format!("{k}-w-sub"), true);
    s.subscribe(&format!("{k}w/#"), 0);
    s.subscribe(&format!("{k}w/+/x"), 0);
    let mut d = Raw::client(addr, false, &format!("{k}-w-dsub"), true);
    d.subscribe("+/dollar", 0);
    let mut p = Raw::client(addr, false, &format!("{k}-w-pub"), true);
    p.publish(&format!("{k}w/a/x"), b"1", 0, false);
    p.publish(&format!("{k}w"), b"2", 0, false);
    p.publish("$x/dollar", b"3", 0, false);
    p.publish("y/dollar", b"4", 0, false);
    let mut out = lines(&s.drain(SHORT));
    out.extend(lines(&d.drain(SHORT)));
    out.iter().map(|l| l.replace(k, "K")).collect()
}

/// The QoS delivered is the lower of the publication's and the subscription's.
fn qos_downgrade(addr: SocketAddr, k: &str) -> Vec<String> {
    let mut s = Raw::client(addr, true, &format!("{k}-q-sub"), true);
    s.subscribe(&format!("{k}q/one"), 1);
    s.subscribe(&format!("{k}q/zero"), 0);
    let mut p = Raw::client(addr, true, &format!("{k}-q-pub"), true);
    for q in 0..3 {
        p.publish(&format!("{k}q/one"), b"m", q, false);
        p.publish(&format!("{k}q/zero"), b"m", q, false);
    }
    lines(&s.drain(SHORT))
        .iter()
        .map(|l| l.replace(k, "K"))
        .collect()
}

/// 3.1.1 persistent session: QoS 1 and 2 queued while away (QoS 0 not),
/// session present on return; PUBLISHes left unacknowledged when the line
/// dropped come back with DUP and their packet ids.
fn persistent_session(addr: SocketAddr, k: &str) -> Vec<String> {
    let id = format!("{k}-ps");
    let s = Raw::client(addr, false, &id, true);
    s.disconnect();
    let mut s = Raw::client(addr, false, &id, false);
    s.subscribe(&format!("{k}ps"), 2);
    s.disconnect();
    let mut p = Raw::client(addr, false, &format!("{k}-ps-pub"), true);
    for (q, m) in [(1, "a"), (0, "b"), (2, "c"), (1, "d")] {
        p.publish(&format!("{k}ps"), m.as_bytes(), q, false);
    }
    let (mut s, ack) = Raw::connect(addr, Connect::new(4, &id, 60, false));
    let mut out = vec![format!("present {}", ack.session_present)];
    // Take the three PUBLISHes without acknowledging them, then drop the line.
    let mut first = Vec::new();
    while first.len() < 3 {
        match s.expect() {
            Packet::Publish(p) => first.push(p),
            other => panic!("{other:?}"),
        }
    }
    out.extend(first.iter().map(|p| format!("{} dup {}", line(p), p.dup)));
    drop(s);
    thread::sleep(Duration::from_millis(200));
    let (mut s, ack) = Raw::connect(addr, Connect::new(4, &id, 60, false));
    out.push(format!("present {}", ack.session_present));
    let again = s.drain(SHORT);
    for (p, was) in again.iter().zip(&first) {
        out.push(format!(
            "{} dup {} same id {}",
            line(p),
            p.dup,
            p.packet_id == was.packet_id
        ));
    }
    s.disconnect();
    // Clean session: nothing left.
    let (s, ack) = Raw::connect(addr, Connect::new(4, &id, 60, true));
    out.push(format!("present {}", ack.session_present));
    s.disconnect();
    out
}

/// 5.0 session expiry: a session of 1 s is gone after 2 s; one of 60 s stays.
fn session_expiry(addr: SocketAddr, k: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (expiry, wait) in [(1, 2200), (60, 200)] {
        let id = format!("{k}-se{expiry}");
        let mut c = Connect::new(5, &id, 60, true);
        c.properties = Some(vec![Property::SessionExpiry(expiry)]);
        let (r, _) = Raw::connect(addr, c);
        r.disconnect();
        thread::sleep(Duration::from_millis(wait));
        let mut c = Connect::new(5, &id, 60, false);
        c.properties = Some(vec![Property::SessionExpiry(0)]);
        let (r, ack) = Raw::connect(addr, c);
        out.push(format!("expiry {expiry}: present {}", ack.session_present));
        r.disconnect();
    }
    out
}

fn with_will(mut c: Connect, topic: &str, delay: Option<u32>) -> Connect {
    c.will_flag = true;
    c.will_qos = 1;
    c.will_topic = Some(topic.into());
    c.will_payload = Some(b"gone".to_vec());
    if c.level == 5 {
        c.will_properties = Some(delay.map(Property::WillDelay).into_iter().collect());
    }
    c
}

/// Wills: published when the line drops, not after DISCONNECT; 5.0
/// DISCONNECT 0x04 publishes it; a delayed will is cancelled by a return
/// and otherwise comes after its delay.
fn wills(addr: SocketAddr, k: &str) -> Vec<String> {
    let topic = format!("{k}will");
    let mut s = Raw::client(addr, true, &format!("{k}-will-sub"), true);
    s.subscribe(&format!("{topic}/#"), 1);
    let mut out = Vec::new();
    let (r, _) = Raw::connect(
        addr,
        with_will(
            Connect::new(4, &format!("{k}-w1"), 60, true),
            &format!("{topic}/drop"),
            None,
        ),
    );
    drop(r);
    let (r, _) = Raw::connect(
        addr,
        with_will(
            Connect::new(4, &format!("{k}-w2"), 60, true),
            &format!("{topic}/clean"),
            None,
        ),
    );
    r.disconnect();
    let (mut r, _) = Raw::connect(
        addr,
        with_will(
            Connect::new(5, &format!("{k}-w3"), 60, true),
            &format!("{topic}/04"),
            None,
        ),
    );
    r.send(Packet::Disconnect(Disconnect::new(true, 0x04, vec![])));
    out.extend(lines(&s.drain(Duration::from_millis(600))));
    // Delay 2 s with a 10 s session: back after 0.3 s, so no will.
    let delayed = |id: &str| {
        let mut c = with_will(
            Connect::new(5, id, 60, true),
            &format!("{topic}/delayed"),
            Some(2),
        );
        c.properties = Some(vec![Property::SessionExpiry(10)]);
        c
    };
    let (r, _) = Raw::connect(addr, delayed(&format!("{k}-w4")));
    drop(r);
    thread::sleep(Duration::from_millis(300));
    let mut back = Connect::new(5, &format!("{k}-w4"), 60, false);
    back.properties = Some(vec![Property::SessionExpiry(0)]);
    let (r, _) = Raw::connect(addr, back);
    r.disconnect();
    out.push(format!(
        "after return: {}",
        s.drain(Duration::from_millis(2500)).len()
    ));
    // Not back: the will comes after about 2 s.
    let (r, _) = Raw::connect(addr, delayed(&format!("{k}-w5")));
    let start = Instant::now();
    drop(r);
    let got = s.drain(Duration::from_millis(3500));
    out.push(format!(
        "delayed: {} after >= 1.5 s: {}",
        lines(&got).join(","),
        start.elapsed() >= Duration::from_millis(1500)
    ));
    out.iter().map(|l| l.replace(k, "K")).collect()
}

/// UNSUBSCRIBE stops delivery; 5.0 reason codes 0x00 and 0x11.
fn unsubscribe(addr: SocketAddr, k: &str) -> Vec<String> {
    let mut s = Raw::client(addr, true, &format!("{k}-u"), true);
    s.subscribe(&format!("{k}u"), 0);
    let id = s.fresh_id();
    s.send(Packet::Unsubscribe(Unsubscribe {
        packet_id: id,
        properties: Some(vec![]),
        filters: vec![
            TopicFilter {
                filter: format!("{k}u"),
            },
            TopicFilter {
                filter: format!("{k}none"),
            },
        ],
    }));
    let mut out = match s.expect() {
        Packet::UnsubAck(a) => vec![format!("codes {:?}", a.codes)],
        other => panic!("{other:?}"),
    };
    let mut p = Raw::client(addr, true, &format!("{k}-u-pub"), true);
    out.push(format!(
        "puback {:#x}",
        p.publish(&format!("{k}u"), b"x", 1, false)
    ));
    out.push(format!("received {}", s.drain(SHORT).len()));
    out
}

/// No-local, retain-as-published, retain handling 0/1/2, subscription
/// identifiers.
fn subscription_options(addr: SocketAddr, k: &str) -> Vec<String> {
    let t = format!("{k}so");
    let mut p = Raw::client(addr, true, &format!("{k}-so-pub"), true);
    p.publish(&t, b"kept", 0, true);
    p.ping();
    let mut out = Vec::new();
    let sub = |nl: bool, rap: bool, rh: u8| {
        let mut s = Subscription::new(&t, 1);
        (s.no_local, s.retain_as_published, s.retain_handling) = (nl, rap, rh);
        s
    };
    // Retain handling: 0 and 1 send the retained message, 2 does not; 1
    // not again on a repeat.
    for rh in 0..3 {
        let mut c = Raw::client(addr, true, &format!("{k}-so-rh{rh}"), true);
        c.subscribe_with(
            vec![sub(false, false, rh)],
            vec![Property::SubscriptionId(5 + u32::from(rh))],
        );
        let first: Vec<String> = c
            .drain(SHORT)
            .iter()
            .map(|p| format!("{} ids {:?}", line(p), ids(p)))
            .collect();
        c.subscribe_with(vec![sub(false, false, rh)], vec![]);
        out.push(format!("rh {rh}: {first:?} then {}", c.drain(SHORT).len()));
        c.disconnect();
    }
    // No-local: the subscriber's own publication does not come back; RAP
    // keeps the RETAIN flag of a live publication.
    let mut me = Raw::client(addr, true, &format!("{k}-so-me"), true);
    me.subscribe_with(vec![sub(true, true, 2)], vec![]);
    let mut other = Raw::client(addr, true, &format!("{k}-so-other"), true);
    other.subscribe_with(vec![sub(false, false, 2)], vec![]);
    me.publish(&t, b"mine", 1, true);
    p.publish(&t, b"theirs", 1, true);
    out.push(format!("no-local+rap: {:?}", lines(&me.drain(SHORT))));
    out.push(format!("plain: {:?}", lines(&other.drain(SHORT))));
    p.publish(&t, b"", 0, true);
    out.iter().map(|l| l.replace(k, "K")).collect()
}

fn ids(p: &Publish) -> Vec<u32> {
    p.properties
        .iter()
        .flatten()
        .filter_map(|p| match p {
            Property::SubscriptionId(i) => Some(*i),
            _ => None,
        })
        .collect()
}

/// Topic aliases from the client, message expiry, PUBACK 0x10 with no
/// subscriber, user properties and content type passed through.
fn v5_publish_features(addr: SocketAddr, k: &str) -> Vec<String> {
    let t = format!("{k}pf");
    let mut s = Raw::client(addr, true, &format!("{k}-pf-sub"), true);
    s.subscribe(&t, 1);
    let mut p = Raw::client(addr, true, &format!("{k}-pf-pub"), true);
    let mut out = vec![format!(
        "no subscriber: {:#x}",
        p.publish(&format!("{k}nobody"), b"x", 1, false)
    )];
    p.publish_with(&t, b"aliased", 1, false, vec![Property::TopicAlias(1)]);
    p.publish_with("", b"by alias", 1, false, vec![Property::TopicAlias(1)]);
    p.publish_with(
        &t,
        b"props",
        1,
        false,
        vec![
            Property::User("k".into(), "v".into()),
            Property::ContentType("c/t".into()),
        ],
    );
    for m in s.drain(SHORT) {
        let kept: Vec<String> = m
            .properties
            .iter()
            .flatten()
            .filter(|p| matches!(p, Property::User(..) | Property::ContentType(_)))
            .map(|p| format!("{p:?}"))
            .collect();
        out.push(format!("{} {kept:?}", line(&m)));
    }
    // A retained message expiring after 1 s is not given to a subscriber
    // arriving after 2 s; one of 60 s is, with less time left.
    p.publish_with(
        &format!("{t}/short"),
        b"x",
        0,
        true,
        vec![Property::MessageExpiry(1)],
    );
    p.publish_with(
        &format!("{t}/long"),
        b"y",
        0,
        true,
        vec![Property::MessageExpiry(60)],
    );
    thread::sleep(Duration::from_millis(2200));
    let mut late = Raw::client(addr, true, &format!("{k}-pf-late"), true);
    late.subscribe(&format!("{t}/+"), 0);
    for m in late.drain(SHORT) {
        let left = m.properties.iter().flatten().find_map(|p| match p {
            Property::MessageExpiry(s) => Some(*s),
            _ => None,
        });
        out.push(format!(
            "{} expiry below 60: {}",
            line(&m),
            left.is_some_and(|s| s < 60)
        ));
    }
    p.publish(&format!("{t}/long"), b"", 0, true);
    out.iter().map(|l| l.replace(k, "K")).collect()
}

/// Shared subscriptions: each message to one member of the group.
fn shared(addr: SocketAddr, k: &str) -> Vec<String> {
    let filter = format!("$share/g/{k}sh/#");
    let mut a = Raw::client(addr, true, &format!("{k}-sh-a"), true);
    let mut b = Raw::client(addr, true, &format!("{k}-sh-b"), true);
    a.subscribe(&filter, 1);
    b.subscribe(&filter, 1);
    let mut p = Raw::client(addr, true, &format!("{k}-sh-pub"), true);
    for i in 0..10 {
        p.publish(&format!("{k}sh/{i}"), b"m", 1, false);
    }
    let (ga, gb) = (a.drain(SHORT).len(), b.drain(SHORT).len());
    vec![format!("total {} both used {}", ga + gb, ga > 0 && gb > 0)]
}

/// The client's receive maximum holds QoS 1 deliveries back until a
/// PUBACK; its maximum packet size drops what is larger.
fn client_limits(addr: SocketAddr, k: &str) -> Vec<String> {
    let t = format!("{k}lim");
    let mut c = Connect::new(5, &format!("{k}-lim"), 60, true);
    c.properties = Some(vec![
        Property::ReceiveMaximum(2),
        Property::MaximumPacketSize(200),
    ]);
    let (mut s, _) = Raw::connect(addr, c);
    s.subscribe(&t, 1);
    let mut p = Raw::client(addr, true, &format!("{k}-lim-pub"), true);
    for i in 0..4 {
        p.publish(&t, format!("m{i}").as_bytes(), 1, false);
    }
    let mut held = Vec::new();
    while let Got::Packet(Packet::Publish(m)) = s.recv(SHORT) {
        held.push(m);
    }
    let mut out = vec![format!("before acks: {:?}", lines(&held))];
    for m in &held {
        s.ack(m);
    }
    out.push(format!("after acks: {:?}", lines(&s.drain(SHORT))));
    p.publish(&t, &[b'x'; 300], 0, false);
    p.publish(&t, b"small", 0, false);
    out.push(format!("sized: {:?}", lines(&s.drain(SHORT))));
    out
}

/// Keepalive: a client silent for 1.5 × its keepalive is disconnected
/// (mosquitto 2.0 checks every few seconds, so only "closed, not before
/// 1.5 s" is common to both; mqtt-broker's own bound is checked in
/// interop_mqtt_hostile.rs).
fn keepalive(addr: SocketAddr, k: &str) -> Vec<String> {
    let (mut r, _) = Raw::connect(addr, Connect::new(4, &format!("{k}-ka"), 1, true));
    let start = Instant::now();
    let got = r.recv(Duration::from_secs(10));
    vec![format!(
        "{:?}, not before 1.4 s: {}",
        got,
        start.elapsed() >= Duration::from_millis(1400)
    )]
}

/// Session takeover: a second connection with the same client id ends
/// the first and keeps its session. (5.0 §3.1.4 also asks for DISCONNECT
/// 0x8E first, which mosquitto 2.0.11 does not send: only the close is
/// common; interop_mqtt_hostile.rs checks ours sends it.)
fn takeover(addr: SocketAddr, k: &str) -> Vec<String> {
    let id = format!("{k}-to");
    let mut c = Connect::new(5, &id, 60, true);
    c.properties = Some(vec![Property::SessionExpiry(60)]);
    let (mut first, _) = Raw::connect(addr, c);
    first.subscribe(&format!("{k}to"), 1);
    let mut c = Connect::new(5, &id, 60, false);
    c.properties = Some(vec![Property::SessionExpiry(0)]);
    let (mut second, ack) = Raw::connect(addr, c);
    let mut out = vec![format!("present {}", ack.session_present)];
    let closed = loop {
        match first.recv(Duration::from_secs(5)) {
            Got::Packet(Packet::Disconnect(d)) if d.code() == 0x8E => {}
            Got::Closed => break true,
            other => panic!("{other:?}"),
        }
    };
    out.push(format!("first closed {closed}"));
    let mut p = Raw::client(addr, true, &format!("{k}-to-pub"), true);
    p.publish(&format!("{k}to"), b"kept", 1, false);
    out.extend(lines(&second.drain(SHORT)));
    second.disconnect();
    out
}

const SCENARIOS: &[(&str, Scenario, &[&str])] = &[
    ("wildcards", wildcards, &["Kw/a/x 1 q0", "Kw 2 q0", "y/dollar 4 q0"]),
    (
        "qos_downgrade",
        qos_downgrade,
        &["Kq/one m q0", "Kq/zero m q0", "Kq/one m q1", "Kq/zero m q0", "Kq/one m q1", "Kq/zero m q0"],
    ),
    (
        "persistent_session",
        persistent_session,
        &[
            "present true",
            "Kps a q1 dup false",
            "Kps c q2 dup false",
            "Kps d q1 dup false",
            "present true",
            "Kps a q1 dup true same id true",
            "Kps c q2 dup true same id true",
            "Kps d q1 dup true same id true",
            "present false",
        ],
    ),
    ("session_expiry", session_expiry, &["expiry 1: present false", "expiry 60: present true"]),
    (
        "wills",
        wills,
        &["Kwill/drop gone q1", "Kwill/04 gone q1", "after return: 0", "delayed: Kwill/delayed gone q1 after >= 1.5 s: true"],
    ),
    ("unsubscribe", unsubscribe, &["codes [0, 17]", "puback 0x10", "received 0"]),
    (
        "subscription_options",
        subscription_options,
        &[
            "rh 0: [\"Kso kept q0 r ids [5]\"] then 1",
            "rh 1: [\"Kso kept q0 r ids [6]\"] then 0",
            "rh 2: [] then 0",
            "no-local+rap: [\"Kso theirs q1 r\"]",
            "plain: [\"Kso mine q1\", \"Kso theirs q1\"]",
        ],
    ),
    (
        "v5_publish_features",
        v5_publish_features,
        &[
            "no subscriber: 0x10",
            "Kpf aliased q1 []",
            "Kpf by alias q1 []",
            "Kpf props q1 [\"User(Utf8 { text: \\\"k\\\" }, Utf8 { text: \\\"v\\\" })\", \"ContentType(Utf8 { text: \\\"c/t\\\" })\"]",
            "Kpf/long y q0 r expiry below 60: true",
        ],
    ),
    ("shared", shared, &["total 10 both used true"]),
    (
        "client_limits",
        client_limits,
        &[
            "before acks: [\"Klim m0 q1\", \"Klim m1 q1\"]",
            "after acks: [\"Klim m2 q1\", \"Klim m3 q1\"]",
            "sized: [\"Klim small q0\"]",
        ],
    ),
    (
        "takeover",
        takeover,
        &[
            "present true",
            "first closed true",
            "Kto kept q1",
        ],
    ),
    ("keepalive", keepalive, &["Closed, not before 1.4 s: true"]),
];

/// Every scenario on both brokers, in parallel per broker.
#[test]
fn same_results_on_both_brokers() {
    let ours = Broker::start(Kind::Ours);
    let mosquitto = Broker::start(Kind::Mosquitto);
    let run = |addr: SocketAddr, tag: &'static str| {
        thread::spawn(move || {
            SCENARIOS
                .iter()
                .map(|(name, f, _)| {
                    let k = format!("{tag}{name}");
                    (
                        *name,
                        f(addr, &k)
                            .iter()
                            .map(|l| l.replace(&k, "K"))
                            .collect::<Vec<_>>(),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    let a = run(ours.addr, "o");
    let b = run(mosquitto.addr, "m");
    let (a, b) = (a.join(), b.join());
    let theirs_err = mosquitto.stop();
    let ours_err = ours.stop();
    let a = a.unwrap_or_else(|_| panic!("a scenario failed on our broker; its log:\n{ours_err}"));
    let b = b.unwrap_or_else(|_| panic!("a scenario failed on mosquitto; its log:\n{theirs_err}"));
    let mut failures = Vec::new();
    for (((name, ours), (_, theirs)), (_, _, want)) in a.iter().zip(&b).zip(SCENARIOS) {
        if ours != want || theirs != want {
            failures.push(format!(
                "{name}:\n  ours      {ours:?}\n  mosquitto {theirs:?}\n  expected  {want:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
