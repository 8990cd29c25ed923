//! A blocking MQTT connection over `std::net` that sends and receives
//! our derived packets one by one, for tests that need control over
//! every acknowledgement (or want to misbehave).

#![allow(
    dead_code,
    reason = "each interop_mqtt* test binary uses a part of this"
)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use codec::frame::FrameDecoder;
use codec_examples::mqtt::packet::*;
use codec_examples::mqtt::props::Property;
use codec_examples::mqtt::{FixedHeader, Packet};

/// One connection.
pub struct Raw {
    pub stream: TcpStream,
    frames: FrameDecoder<FixedHeader>,
    pub v5: bool,
    next_id: u16,
}

/// What `recv` saw.
#[derive(Debug, Clone, PartialEq)]
pub enum Got {
    Packet(Packet),
    /// Nothing within the wait.
    Quiet,
    /// The server closed the connection.
    Closed,
    /// Bytes that did not decode.
    Bad(String),
}

impl Raw {
    /// Opens a TCP connection without sending anything.
    pub fn open(addr: SocketAddr, v5: bool) -> Raw {
        Raw::over(TcpStream::connect(addr).expect("connect"), v5)
    }

    /// Wraps a connection opened elsewhere (with socket options of the
    /// test's choosing) without sending anything.
    pub fn over(stream: TcpStream, v5: bool) -> Raw {
        stream.set_nodelay(true).expect("nodelay");
        Raw {
            stream,
            frames: FrameDecoder::new(),
            v5,
            next_id: 0,
        }
    }

    /// Connects with `connect` and returns the CONNACK.
    pub fn connect(addr: SocketAddr, connect: Connect) -> (Raw, ConnAck) {
        let mut r = Raw::open(addr, connect.level == 5);
        r.send(Packet::Connect(connect));
        match r.recv(Duration::from_secs(10)) {
            Got::Packet(Packet::ConnAck(a)) => (r, a),
            other => panic!("expected CONNACK, got {other:?}"),
        }
    }

    /// Connects a client with default options; panics unless accepted.
    pub fn client(addr: SocketAddr, v5: bool, id: &str, clean: bool) -> Raw {
        let c = Connect::new(if v5 { 5 } else { 4 }, id, 60, clean);
        let (r, a) = Raw::connect(addr, c);
        assert_eq!(a.code, 0, "{id} refused");
        r
    }

    pub fn fresh_id(&mut self) -> u16 {
        self.next_id = self.next_id.wrapping_add(1).max(1);
        self.next_id
    }

    pub fn send(&mut self, p: Packet) {
        let mut buf = Vec::new();
        encode_packet(p, self.v5, &mut buf).expect("encode");
        self.send_bytes(&buf);
    }

    pub fn send_bytes(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes);
    }

    /// The next packet within `wait`.
    pub fn recv(&mut self, wait: Duration) -> Got {
        let deadline = Instant::now() + wait;
        let mut buf = [0u8; 65536];
        loop {
            match next_packet(&mut self.frames, self.v5) {
                Ok(Some(p)) => return Got::Packet(p),
                Ok(None) => {}
                Err(e) => return Got::Bad(e.to_string()),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Got::Quiet;
            }
            self.stream.set_read_timeout(Some(left)).expect("timeout");
            match self.stream.read(&mut buf) {
                Ok(0) => return Got::Closed,
                Ok(n) => self.frames.push(&buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Got::Quiet
                }
                Err(_) => return Got::Closed,
            }
        }
    }

    /// The next packet, which must come within 10 s.
    pub fn expect(&mut self) -> Packet {
        match self.recv(Duration::from_secs(10)) {
            Got::Packet(p) => p,
            other => panic!("expected a packet, got {other:?}"),
        }
    }

    /// A PINGREQ answered: every packet sent before it has been handled
    /// (a broker answers a connection's packets in order), so a QoS 0
    /// publication is in place before another client looks for it.
    pub fn ping(&mut self) {
        self.send(Packet::PingReq(PingReq));
        match self.expect() {
            Packet::PingResp(_) => {}
            other => panic!("expected PINGRESP, got {other:?}"),
        }
    }

    /// Subscribes with full options; the SUBACK codes.
    pub fn subscribe_with(&mut self, subs: Vec<Subscription>, props: Vec<Property>) -> Vec<u8> {
        let id = self.fresh_id();
        self.send(Packet::Subscribe(Subscribe {
            packet_id: id,
            properties: self.v5.then_some(props),
            subscriptions: subs,
        }));
        loop {
            match self.expect() {
                Packet::SubAck(a) if a.packet_id == id => return a.codes,
                Packet::Publish(_) => {}
                other => panic!("expected SUBACK, got {other:?}"),
            }
        }
    }

    pub fn subscribe(&mut self, filter: &str, qos: u8) -> Vec<u8> {
        self.subscribe_with(vec![Subscription::new(filter, qos)], vec![])
    }

    /// Publishes and completes the QoS exchange; the ack's reason code.
    pub fn publish_with(
        &mut self,
        topic: &str,
        payload: &[u8],
        qos: u8,
        retain: bool,
        props: Vec<Property>,
    ) -> u8 {
        let packet_id = (qos > 0).then(|| self.fresh_id());
        let properties = self.v5.then_some(props);
        self.send(Packet::Publish(Publish::new(
            topic, payload, qos, retain, packet_id, properties,
        )));
        let Some(id) = packet_id else { return 0 };
        loop {
            match self.expect() {
                Packet::PubAck(a) if a.packet_id == id => return a.code(),
                Packet::PubRec(r) if r.packet_id == id => {
                    let v5 = self.v5;
                    self.send(Packet::PubRel(PubRel::new(id, v5, 0, vec![])));
                }
                Packet::PubComp(c) if c.packet_id == id => return c.code(),
                other => panic!("publish {topic}: unexpected {other:?}"),
            }
        }
    }

    pub fn publish(&mut self, topic: &str, payload: &[u8], qos: u8, retain: bool) -> u8 {
        self.publish_with(topic, payload, qos, retain, vec![])
    }

    /// Receives PUBLISHes for `wait` (acknowledging them), as
    /// `topic payload qos retain` lines.
    pub fn drain(&mut self, wait: Duration) -> Vec<Publish> {
        let mut got = Vec::new();
        while let Got::Packet(p) = self.recv(wait) {
            match p {
                Packet::Publish(p) => {
                    self.ack(&p);
                    got.push(p);
                }
                Packet::PubRel(r) => {
                    let v5 = self.v5;
                    self.send(Packet::PubComp(PubComp::new(r.packet_id, v5, 0, vec![])));
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        got
    }

    /// Acknowledges a PUBLISH (PUBACK, or PUBREC for QoS 2).
    pub fn ack(&mut self, p: &Publish) {
        let v5 = self.v5;
        match (p.qos, p.packet_id) {
            (1, Some(id)) => self.send(Packet::PubAck(PubAck::new(id, v5, 0, vec![]))),
            (2, Some(id)) => self.send(Packet::PubRec(PubRec::new(id, v5, 0, vec![]))),
            _ => {}
        }
    }

    pub fn disconnect(mut self) {
        let v5 = self.v5;
        self.send(Packet::Disconnect(Disconnect::new(v5, 0, vec![])));
        let _ = self.stream.shutdown(std::net::Shutdown::Write);
        // Wait for the server to close, so its state is settled.
        let _ = self.recv(Duration::from_secs(5));
    }
}

/// `topic payload qos retain` of a PUBLISH.
pub fn line(p: &Publish) -> String {
    format!(
        "{} {} q{}{}",
        p.topic,
        String::from_utf8_lossy(&p.payload),
        p.qos,
        if p.retain { " r" } else { "" }
    )
}
