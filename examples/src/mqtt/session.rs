//! The per-session state machine, without sockets: packet identifiers,
//! the outgoing in-flight window (QoS 1: PUBLISH → PUBACK; QoS 2:
//! PUBLISH → PUBREC → PUBREL → PUBCOMP), the incoming QoS 2 states, the
//! messages queued while the window is full or the client is away, and
//! redelivery on reconnect.
//!
//! The broker's connection loop feeds it what arrives and writes what it
//! returns; nothing here knows about tokio, so the machine can move onto a
//! symmetric request/response layer later (the packet identifier being
//! the correlation id).
//!
//! ```text
//! deliver(msg)  → queue ──pump──→ in flight (≤ window) ──PUBACK/PUBCOMP──→ done
//!                                    │ QoS 2: PUBREC → Released ─┘
//! reconnect: resume() resends in-flight PUBLISHes with DUP, PUBRELs as they were
//! ```

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use super::packet::{Packet, PubComp, PubRec, PubRel, Publish};
use super::props::Property;
use super::reason;

/// An application message as the broker keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The topic name.
    pub topic: String,
    /// The payload.
    pub payload: bytes::Bytes,
    /// The QoS it was published with.
    pub qos: u8,
    /// The RETAIN flag it was published with.
    pub retain: bool,
    /// 5.0 properties forwarded unaltered (payload format, content type,
    /// response topic, correlation data, user properties).
    pub properties: Vec<Property>,
    /// When it expires (5.0 message expiry).
    pub expires: Option<Instant>,
    /// The publisher's client identifier (for no-local).
    pub from: Arc<str>,
}

impl Message {
    /// True once the message's expiry interval has passed.
    pub fn expired(&self, now: Instant) -> bool {
        self.expires.is_some_and(|e| e <= now)
    }
}

/// A message on its way to one subscriber, with that subscription's
/// options applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The message.
    pub msg: Arc<Message>,
    /// The QoS granted: the lower of the message's and the subscription's.
    pub qos: u8,
    /// The RETAIN flag to send.
    pub retain: bool,
    /// The subscription identifiers of the matching subscriptions.
    pub sub_ids: Vec<u32>,
}

/// An outgoing QoS 1 or 2 publication not yet complete.
#[derive(Debug, Clone, PartialEq)]
enum Outgoing {
    /// PUBLISH sent, waiting for PUBACK (QoS 1) or PUBREC (QoS 2).
    Sent(Delivery),
    /// PUBREL sent, waiting for PUBCOMP.
    Released,
}

/// What a session refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// More QoS 2 publications unreleased than our receive maximum.
    ReceiveMaximum,
}

/// One client's session state.
#[derive(Debug)]
pub struct Session {
    /// Speaks 5.0.
    pub v5: bool,
    next_id: u16,
    outgoing: BTreeMap<u16, Outgoing>,
    queue: VecDeque<Delivery>,
    incoming: HashSet<u16>,
    /// The client's receive maximum: our in-flight window toward it.
    pub window: u16,
    /// The client's maximum packet size.
    pub max_packet: u32,
    /// Our receive maximum (QoS 2 publications the client may leave unreleased).
    pub receive_max: u16,
    /// Messages queued beyond this are dropped (QoS 0 first).
    pub max_queued: usize,
    /// Messages dropped: expired, too large for the client, queue full.
    pub dropped: u64,
    /// The client's topic alias maximum (5.0 CONNECT; 0: it takes none).
    pub alias_max: u16,
    /// The topic aliases this connection has told the client (5.0
    /// §3.3.2.3.4: they last as long as the network connection).
    aliases: HashMap<String, u16>,
}

impl Session {
    /// A new, empty session.
    pub fn new(v5: bool, window: u16, receive_max: u16) -> Session {
        Session {
            v5,
            next_id: 0,
            outgoing: BTreeMap::new(),
            queue: VecDeque::new(),
            incoming: HashSet::new(),
            window: window.max(1),
            max_packet: u32::MAX,
            receive_max,
            max_queued: 10_000,
            dropped: 0,
            alias_max: 0,
            aliases: HashMap::new(),
        }
    }

    /// Messages in flight toward the client.
    pub fn in_flight(&self) -> usize {
        self.outgoing.len()
    }

    /// Messages waiting for the window or the client.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Queues a message for the client; QoS 0 messages to an offline
    /// client are not kept (`online` false).
    pub fn deliver(&mut self, d: Delivery, online: bool) {
        if d.qos == 0 && !online {
            return;
        }
        if self.queue.len() >= self.max_queued {
            self.dropped += 1;
            return;
        }
        self.queue.push_back(d);
    }

    /// Moves queued messages out as far as the window allows; the packets
    /// to send are appended to `out`.
    pub fn pump(&mut self, now: Instant, out: &mut Vec<Packet>) {
        while let Some(d) = self.queue.front() {
            if d.qos > 0 && self.outgoing.len() >= usize::from(self.window) {
                break;
            }
            let Some(d) = self.queue.pop_front() else {
                break;
            };
            if d.msg.expired(now) {
                self.dropped += 1;
                continue;
            }
            let packet_id = if d.qos > 0 {
                Some(self.fresh_id())
            } else {
                None
            };
            let alias = self.alias_for(&d.msg.topic);
            let publish = self.publish(&d, packet_id, false, now, alias);
            if self.too_large(&publish) {
                // 5.0 §3.1.2.11.4: discarded as if sent (and the client
                // has not learnt an alias from it).
                self.dropped += 1;
                continue;
            }
            if let Some((a, false)) = alias {
                self.aliases.insert(d.msg.topic.clone(), a);
            }
            if let Some(id) = packet_id {
                self.outgoing.insert(id, Outgoing::Sent(d));
            }
            out.push(Packet::Publish(publish));
        }
    }

    /// After a reconnect: every unacknowledged PUBLISH again with DUP set,
    /// every PUBREL again, in the order first sent (§4.4), then the queue.
    /// The new connection starts without topic aliases.
    pub fn resume(&mut self, now: Instant, out: &mut Vec<Packet>) {
        self.aliases.clear();
        let ids: Vec<u16> = self.outgoing.keys().copied().collect();
        for id in ids {
            match &self.outgoing[&id] {
                Outgoing::Sent(d) => {
                    let p = self.publish(d, Some(id), true, now, None);
                    out.push(Packet::Publish(p));
                }
                Outgoing::Released => {
                    out.push(Packet::PubRel(PubRel::new(id, self.v5, 0, vec![])));
                }
            }
        }
        self.pump(now, out);
    }

    /// PUBACK from the client; false if no QoS 1 publication had that id.
    pub fn on_puback(&mut self, id: u16) -> bool {
        match self.outgoing.get(&id) {
            Some(Outgoing::Sent(d)) if d.qos == 1 => {
                self.outgoing.remove(&id);
                true
            }
            _ => false,
        }
    }

    /// PUBREC from the client: the PUBREL to send (with reason 0x92 if the
    /// id was unknown). A failure code from the client ends the exchange.
    pub fn on_pubrec(&mut self, id: u16, code: u8) -> Option<PubRel> {
        match self.outgoing.get(&id) {
            Some(Outgoing::Sent(d)) if d.qos == 2 => {
                if code >= 0x80 {
                    self.outgoing.remove(&id);
                    return None;
                }
                self.outgoing.insert(id, Outgoing::Released);
                Some(PubRel::new(id, self.v5, 0, vec![]))
            }
            Some(Outgoing::Released) => Some(PubRel::new(id, self.v5, 0, vec![])),
            _ => Some(PubRel::new(
                id,
                self.v5,
                reason::PACKET_ID_NOT_FOUND,
                vec![],
            )),
        }
    }

    /// PUBCOMP from the client.
    pub fn on_pubcomp(&mut self, id: u16) -> bool {
        matches!(self.outgoing.remove(&id), Some(Outgoing::Released))
    }

    /// A QoS 2 PUBLISH from the client: `Ok(true)` when it is new (the
    /// broker routes it now: method A of §4.3.3), `Ok(false)` for a
    /// duplicate of one not yet released (not routed again).
    ///
    /// # Errors
    ///
    /// [`Violation::ReceiveMaximum`] when the client has more unreleased
    /// than our receive maximum.
    pub fn on_publish_qos2(&mut self, id: u16) -> Result<bool, Violation> {
        if self.incoming.contains(&id) {
            return Ok(false);
        }
        if self.incoming.len() >= usize::from(self.receive_max) {
            return Err(Violation::ReceiveMaximum);
        }
        self.incoming.insert(id);
        Ok(true)
    }

    /// The PUBREC for a QoS 2 PUBLISH.
    pub fn pubrec(&self, id: u16, code: u8) -> PubRec {
        PubRec::new(id, self.v5, code, vec![])
    }

    /// PUBREL from the client: the PUBCOMP (0x92 if the id was unknown).
    pub fn on_pubrel(&mut self, id: u16) -> PubComp {
        let code = if self.incoming.remove(&id) {
            0
        } else {
            reason::PACKET_ID_NOT_FOUND
        };
        PubComp::new(id, self.v5, code, vec![])
    }

    /// Switches the protocol level (a client reconnecting with another).
    pub fn set_version(&mut self, v5: bool) {
        self.v5 = v5;
    }

    /// The next free packet identifier (1..=65535, skipping ones in flight).
    fn fresh_id(&mut self) -> u16 {
        loop {
            self.next_id = self.next_id.wrapping_add(1).max(1);
            if !self.outgoing.contains_key(&self.next_id) {
                return self.next_id;
            }
        }
    }

    /// The topic alias to send `topic` with, if the client takes them:
    /// `(alias, true)` when the client already knows it, `(alias, false)`
    /// for a new one while aliases are left; none once all are given
    /// (the topic then goes in full).
    fn alias_for(&self, topic: &str) -> Option<(u16, bool)> {
        if !self.v5 || self.alias_max == 0 {
            return None;
        }
        match self.aliases.get(topic) {
            Some(&a) => Some((a, true)),
            None if self.aliases.len() < usize::from(self.alias_max) => {
                Some((self.aliases.len() as u16 + 1, false))
            }
            None => None,
        }
    }

    /// The PUBLISH carrying a delivery; with `alias`, its Topic Alias
    /// property, and an empty topic name when the client knows the alias.
    fn publish(
        &self,
        d: &Delivery,
        packet_id: Option<u16>,
        dup: bool,
        now: Instant,
        alias: Option<(u16, bool)>,
    ) -> Publish {
        let properties = self.v5.then(|| {
            let mut p = d.msg.properties.clone();
            if let Some(e) = d.msg.expires {
                let left = e.saturating_duration_since(now).as_secs().max(1);
                p.push(Property::MessageExpiry(
                    u32::try_from(left).unwrap_or(u32::MAX),
                ));
            }
            p.extend(d.sub_ids.iter().map(|&i| Property::SubscriptionId(i)));
            p.extend(alias.map(|(a, _)| Property::TopicAlias(a)));
            p
        });
        let topic = match alias {
            Some((_, true)) => String::new(),
            _ => d.msg.topic.clone(),
        };
        Publish {
            dup,
            qos: d.qos,
            retain: d.retain,
            topic,
            packet_id,
            properties,
            payload: d.msg.payload.clone(),
        }
    }

    /// Over the client's maximum packet size.
    fn too_large(&self, p: &Publish) -> bool {
        if self.max_packet == u32::MAX {
            return false;
        }
        let len = codec::frame::frame_len(&Packet::Publish(p.clone()));
        len > self.max_packet as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(qos: u8) -> Delivery {
        Delivery {
            msg: Arc::new(Message {
                topic: "t".into(),
                payload: bytes::Bytes::from_static(b"x"),
                qos,
                retain: false,
                properties: vec![],
                expires: None,
                from: "p".into(),
            }),
            qos,
            retain: false,
            sub_ids: vec![],
        }
    }

    fn ids(out: &[Packet]) -> Vec<(Option<u16>, bool)> {
        out.iter()
            .map(|p| match p {
                Packet::Publish(p) => (p.packet_id, p.dup),
                other => panic!("not a PUBLISH: {other:?}"),
            })
            .collect()
    }

    /// The window holds back the third QoS 1 message until a PUBACK; QoS 0
    /// passes; a reconnect resends what is in flight with DUP.
    #[test]
    fn window_and_redelivery() {
        let now = Instant::now();
        let mut s = Session::new(false, 2, 10);
        for _ in 0..3 {
            s.deliver(delivery(1), true);
        }
        let mut out = Vec::new();
        s.pump(now, &mut out);
        assert_eq!(ids(&out), [(Some(1), false), (Some(2), false)]);
        assert_eq!((s.in_flight(), s.queued()), (2, 1));
        assert!(s.on_puback(1));
        assert!(!s.on_puback(1), "a second PUBACK is unknown");
        out.clear();
        s.pump(now, &mut out);
        assert_eq!(ids(&out), [(Some(3), false)]);
        out.clear();
        s.resume(now, &mut out);
        assert_eq!(ids(&out), [(Some(2), true), (Some(3), true)]);
        // QoS 0 offline is not kept; QoS 1 offline is.
        s.deliver(delivery(0), false);
        s.deliver(delivery(1), false);
        assert_eq!(s.queued(), 1);
    }

    /// Outgoing topic aliases toward a 5.0 client that takes two: the
    /// first PUBLISH of a topic names it with a new alias, the next ones
    /// send the alias with an empty topic; a third topic goes in full; a
    /// reconnect starts over; a 3.1.1 session never aliases.
    #[test]
    fn outgoing_topic_aliases() {
        let now = Instant::now();
        let on = |topic: &str| {
            let mut d = delivery(0);
            Arc::make_mut(&mut d.msg).topic = topic.into();
            d
        };
        let sent = |out: &[Packet]| -> Vec<(String, Vec<Property>)> {
            out.iter()
                .map(|p| match p {
                    Packet::Publish(p) => {
                        (p.topic.clone(), p.properties.clone().unwrap_or_default())
                    }
                    other => panic!("not a PUBLISH: {other:?}"),
                })
                .collect()
        };
        let mut s = Session::new(true, 10, 10);
        s.alias_max = 2;
        for t in ["a", "a", "b", "c", "b"] {
            s.deliver(on(t), true);
        }
        let mut out = Vec::new();
        s.pump(now, &mut out);
        let alias = |a| vec![Property::TopicAlias(a)];
        assert_eq!(
            sent(&out),
            [
                ("a".to_string(), alias(1)),
                (String::new(), alias(1)),
                ("b".to_string(), alias(2)),
                ("c".to_string(), vec![]),
                (String::new(), alias(2)),
            ]
        );
        out.clear();
        s.resume(now, &mut out);
        s.deliver(on("b"), true);
        s.pump(now, &mut out);
        assert_eq!(sent(&out), [("b".to_string(), alias(1))]);

        let mut old = Session::new(false, 10, 10);
        old.alias_max = 2;
        old.deliver(on("a"), true);
        old.deliver(on("a"), true);
        out.clear();
        old.pump(now, &mut out);
        assert!(out
            .iter()
            .all(|p| matches!(p, Packet::Publish(p) if p.topic == "a")));
    }

    /// QoS 2 both ways: PUBREC → PUBREL → PUBCOMP outgoing; incoming
    /// duplicates not routed twice; the receive maximum enforced.
    #[test]
    fn qos2_states() {
        let now = Instant::now();
        let mut s = Session::new(true, 10, 1);
        s.deliver(delivery(2), true);
        let mut out = Vec::new();
        s.pump(now, &mut out);
        assert_eq!(s.on_pubrec(1, 0).map(|r| r.code()), Some(0));
        out.clear();
        s.resume(now, &mut out);
        assert!(matches!(out[..], [Packet::PubRel(ref r)] if r.packet_id == 1));
        assert!(s.on_pubcomp(1));
        assert!(!s.on_pubcomp(1));
        assert_eq!(
            s.on_pubrec(9, 0).map(|r| r.code()),
            Some(reason::PACKET_ID_NOT_FOUND)
        );

        assert_eq!(s.on_publish_qos2(7), Ok(true));
        assert_eq!(s.on_publish_qos2(7), Ok(false));
        assert_eq!(s.on_publish_qos2(8), Err(Violation::ReceiveMaximum));
        assert_eq!(s.on_pubrel(7).code(), 0);
        assert_eq!(s.on_pubrel(7).code(), reason::PACKET_ID_NOT_FOUND);
    }
}
