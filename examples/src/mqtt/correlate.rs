//! MQTT's correlation: which control packets are requests, responses,
//! one-way, keepalive or the end, for [`codec::rpc`]'s symmetric
//! connections (either side may start a QoS 1 or 2 exchange).
//!
//! | packet | correlation |
//! |---|---|
//! | PUBLISH at QoS 1 or 2, SUBSCRIBE, UNSUBSCRIBE, PUBREL | `Request(packet id)`, in its sender's id space |
//! | PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK | `Response(packet id)`: to the receiver's request |
//! | PUBLISH at QoS 0 | `OneWay` |
//! | CONNECT, CONNACK | `OneWay`: the handshake exchanges them before the connection carries anything else; a later one is the handler's to refuse |
//! | PINGREQ, PINGRESP | `OneWay`: the layer's untagged ping sends PINGREQ and takes PINGRESP ([`ClientConfig::with_untagged_ping`](codec::rpc::ClientConfig::with_untagged_ping)) |
//! | AUTH (5.0) | `OneWay` |
//! | DISCONNECT | `End`: the sender's last packet |
//!
//! QoS 2 sends two requests under one packet identifier (PUBLISH answered
//! by PUBREC, then PUBREL answered by PUBCOMP): the sender holds the id
//! across both ([`HeldTag`](codec::rpc::HeldTag)). Packet identifier 0 is
//! not allowed, so ids start at 1 ([`Correlate::FIRST_TAG`]); the ids are
//! `u16`, which the derive cannot see (PUBLISH's is optional), so a
//! connection sets its tag space with `with_tag_max(`[`TAG_MAX`]`)`.

use codec::protocol::{Correlate, Correlation};

use super::packet::{Packet, Packet311};

/// The largest packet identifier.
pub const TAG_MAX: u64 = u16::MAX as u64;

/// MQTT's rules, for both protocol levels (`#[codec(correlate = Rules)]`
/// on [`Packet`] and [`Packet311`]).
#[derive(Debug, Clone, Copy)]
pub struct Rules;

macro_rules! rules {
    ($p:ident $(, $auth:ident)?) => {
        impl Correlate<$p> for Rules {
            const FIRST_TAG: u64 = 1;

            fn correlation(msg: &$p) -> Correlation {
                match msg {
                    $p::Publish(p) => match p.packet_id {
                        Some(id) if p.qos > 0 => Correlation::Request(id.into()),
                        _ => Correlation::OneWay,
                    },
                    $p::Subscribe(m) => Correlation::Request(m.packet_id.into()),
                    $p::Unsubscribe(m) => Correlation::Request(m.packet_id.into()),
                    $p::PubRel(m) => Correlation::Request(m.packet_id.into()),
                    $p::PubAck(m) => Correlation::Response(m.packet_id.into()),
                    $p::PubRec(m) => Correlation::Response(m.packet_id.into()),
                    $p::PubComp(m) => Correlation::Response(m.packet_id.into()),
                    $p::SubAck(m) => Correlation::Response(m.packet_id.into()),
                    $p::UnsubAck(m) => Correlation::Response(m.packet_id.into()),
                    $p::Disconnect(_) => Correlation::End,
                    $p::Connect(_)
                    | $p::ConnAck(_)
                    | $p::PingReq(_)
                    | $p::PingResp(_)
                    $(| $p::$auth(_))? => Correlation::OneWay,
                }
            }
        }
    };
}

rules!(Packet, Auth);
rules!(Packet311);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqtt::packet::*;
    use codec::Protocol;

    #[test]
    fn every_packet_has_its_correlation() {
        let publish = |qos, id| Packet::Publish(Publish::new("a", b"x", qos, false, id, None));
        let cases = [
            (publish(0, None), Correlation::OneWay),
            (publish(1, Some(7)), Correlation::Request(7)),
            (publish(2, Some(8)), Correlation::Request(8)),
            (
                Packet::PubAck(PubAck::new(7, true, 0, vec![])),
                Correlation::Response(7),
            ),
            (
                Packet::PubRec(PubRec::new(8, true, 0, vec![])),
                Correlation::Response(8),
            ),
            (
                Packet::PubRel(PubRel::new(8, true, 0, vec![])),
                Correlation::Request(8),
            ),
            (
                Packet::PubComp(PubComp::new(8, true, 0, vec![])),
                Correlation::Response(8),
            ),
            (Packet::PingReq(PingReq), Correlation::OneWay),
            (Packet::PingResp(PingResp), Correlation::OneWay),
            (
                Packet::Disconnect(Disconnect::new(true, 0, vec![])),
                Correlation::End,
            ),
        ];
        for (p, want) in cases {
            assert_eq!(p.correlation(), want, "{p:?}");
            let p311 = p.clone().downgrade().unwrap();
            assert_eq!(p311.correlation(), want, "{p311:?}");
        }
        let sub = Packet::Subscribe(Subscribe {
            packet_id: 300,
            properties: None,
            subscriptions: vec![Subscription::new("a/#", 1)],
        });
        assert_eq!(sub.correlation(), Correlation::Request(300));
        assert_eq!(<Packet as Protocol>::FIRST_TAG, 1);
        assert_eq!(<Packet311 as Protocol>::FIRST_TAG, 1);
    }
}
