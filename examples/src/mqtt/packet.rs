//! Every MQTT control packet of 3.1.1 and 5.0, described with the derive.
//!
//! ```text
//! fixed header (§2.2 / §2.1.1), 2 to 5 bytes:
//! +--------------------+--------------------------------------------+
//! | type (4) flags (4) | remaining length: LEB128 varint, 1..=4 B   |
//! +--------------------+--------------------------------------------+
//! flags: PUBLISH DUP | QoS (2) | RETAIN; PUBREL, SUBSCRIBE, UNSUBSCRIBE 0010; others 0000
//!
//!  1 CONNECT     "MQTT" (u16 len), level (4 | 5), flags (user | password |
//!                will retain | will QoS (2) | will | clean | reserved 0),
//!                keep alive u16, [5: properties], client id, [will: [5: will
//!                properties], topic, payload (u16 len)], [user], [password]
//!  2 CONNACK     flags (7 reserved bits, session present), code, [5: properties]
//!  3 PUBLISH     topic, [QoS > 0: packet id], [5: properties], payload (the rest)
//!  4..7 PUBACK PUBREC PUBREL PUBCOMP
//!                packet id, [5 and remaining > 2: reason, [remaining > 3: properties]]
//!  8 SUBSCRIBE   packet id, [5: properties], (filter, options)+
//!                options: reserved (2) | retain handling (2) | RAP | NL | QoS (2)
//!  9 SUBACK      packet id, [5: properties], one code per filter
//! 10 UNSUBSCRIBE packet id, [5: properties], filter+
//! 11 UNSUBACK    packet id, [5: properties, one code per filter]
//! 12 PINGREQ, 13 PINGRESP: empty
//! 14 DISCONNECT  [5 and remaining > 0: reason, [remaining > 1: properties]]
//! 15 AUTH        (5 only) as DISCONNECT
//! properties: a varint byte count, then (id, value)* (see `props`)
//! ```
//!
//! The protocol level, read from CONNECT, is the context of every later
//! packet: [`Packet`] decodes 5.0 packets and [`Packet311`] 3.1.1 ones;
//! both carry the same message types and convert into each other
//! (5.0-only fields must be `None` to encode as 3.1.1:
//! [`Packet::downgrade`] strips them).

use codec::frame::{encode_frame, FrameDecoder, FrameError};
use codec::{Decode, Encode, EncodeError, Message, Protocol};

use super::props::Property;
use super::topic::{valid_filter, valid_topic_name, valid_utf8};

/// The fixed header (3.1.1 §2.2, 5.0 §2.1.1).
#[derive(Debug, Default, Clone, PartialEq, Encode, Decode, codec::Header)]
pub struct FixedHeader {
    /// The control packet type (1 ..= 15; 0 is reserved).
    #[codec(id, bits = 4)]
    pub kind: u8,
    /// Flags specific to each packet type.
    #[codec(bits = 4)]
    pub flags: u8,
    /// Bytes after the fixed header; a fifth length byte is an error.
    #[codec(payload_len, varint, max_bytes = 4)]
    pub remaining: u32,
}

/// How much of a 5.0 acknowledgement's optional tail a packet whose fixed
/// part is `fixed` bytes and whose remaining length is `len` carries:
/// 0 nothing, 1 a reason code, 2 a reason code and properties.
pub fn tail(v5: bool, len: u32, fixed: u32) -> u8 {
    if v5 {
        len.saturating_sub(fixed).min(2) as u8
    } else {
        0
    }
}

/// The `tail` a reason code and properties need when written: the short
/// forms the specification allows when the reason is 0 and there are no
/// properties.
pub fn tail_for(reason: u8, properties: &[Property]) -> u8 {
    match (reason, properties.is_empty()) {
        (0, true) => 0,
        (_, true) => 1,
        _ => 2,
    }
}

/// CONNECT (3.1.1 §3.1, 5.0 §3.1): the first packet a client sends.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 1)]
pub struct Connect {
    /// "MQTT".
    #[codec(len = u16, assert(protocol == "MQTT", "protocol name is not MQTT"))]
    pub protocol: String,
    /// 4 (3.1.1) or 5 (5.0); others get a refusal in CONNACK.
    pub level: u8,
    /// A user name follows.
    #[codec(bits = 1)]
    pub username_flag: bool,
    /// A password follows (3.1.1: only with a user name).
    #[codec(bits = 1)]
    #[codec(assert(level == 5 || username_flag || !password_flag, "password without a user name"))]
    pub password_flag: bool,
    /// The will is retained.
    #[codec(bits = 1)]
    pub will_retain: bool,
    /// The will's QoS.
    #[codec(bits = 2, assert(will_qos < 3, "will QoS 3 is reserved"))]
    pub will_qos: u8,
    /// A will follows.
    #[codec(bits = 1)]
    #[codec(assert(will_flag || (will_qos == 0 && !will_retain), "will QoS or retain without a will"))]
    pub will_flag: bool,
    /// Clean session (3.1.1) / clean start (5.0).
    #[codec(bits = 1)]
    pub clean_start: bool,
    /// Must be 0 (§3.1.2.3).
    #[codec(bits = 1, assert(!reserved, "reserved CONNECT flag set"))]
    pub reserved: bool,
    /// Seconds; 0 turns keepalive off.
    pub keep_alive: u16,
    /// 5.0: the CONNECT properties.
    #[codec(when = level == 5, len = varint, unit = bytes)]
    pub properties: Option<Vec<Property>>,
    /// The client identifier (may be empty).
    #[codec(len = u16, assert(valid_utf8(&client_id), "U+0000 in the client id"))]
    pub client_id: String,
    /// 5.0: the will's properties.
    #[codec(when = will_flag && level == 5, len = varint, unit = bytes)]
    pub will_properties: Option<Vec<Property>>,
    /// The will's topic.
    #[codec(when = will_flag, len = u16)]
    #[codec(assert(will_topic.as_deref().is_none_or(valid_topic_name), "invalid will topic"))]
    pub will_topic: Option<String>,
    /// The will's payload.
    #[codec(when = will_flag, len = u16)]
    pub will_payload: Option<Vec<u8>>,
    /// The user name.
    #[codec(when = username_flag, len = u16)]
    #[codec(assert(username.as_deref().is_none_or(valid_utf8), "U+0000 in the user name"))]
    pub username: Option<String>,
    /// The password (binary data).
    #[codec(when = password_flag, len = u16)]
    pub password: Option<Vec<u8>>,
}

impl Connect {
    /// A CONNECT of protocol `level` with the flags matching its options.
    pub fn new(level: u8, client_id: &str, keep_alive: u16, clean_start: bool) -> Connect {
        Connect {
            protocol: "MQTT".into(),
            level,
            username_flag: false,
            password_flag: false,
            will_retain: false,
            will_qos: 0,
            will_flag: false,
            clean_start,
            reserved: false,
            keep_alive,
            properties: (level == 5).then(Vec::new),
            client_id: client_id.into(),
            will_properties: None,
            will_topic: None,
            will_payload: None,
            username: None,
            password: None,
        }
    }
}

/// CONNACK (3.1.1 §3.2, 5.0 §3.2).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 2, ctx(v5: bool))]
pub struct ConnAck {
    /// Must be 0.
    #[codec(bits = 7, assert(reserved == 0, "reserved CONNACK flags set"))]
    pub reserved: u8,
    /// The server had a session for this client.
    #[codec(bits = 1)]
    pub session_present: bool,
    /// 3.1.1 return code / 5.0 reason code.
    pub code: u8,
    /// 5.0: the CONNACK properties.
    #[codec(when = v5, len = varint, unit = bytes)]
    pub properties: Option<Vec<Property>>,
}

/// PUBLISH (3.1.1 §3.3, 5.0 §3.3): DUP, QoS and RETAIN travel in the
/// fixed header's flags, handed in as `flags`.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 3, ctx(flags: u8, v5: bool))]
#[codec(assert(qos < 3, "QoS 3 is reserved"))]
pub struct Publish {
    /// A redelivery.
    #[codec(skip = flags & 8 != 0)]
    pub dup: bool,
    /// 0, 1 or 2.
    #[codec(skip = flags >> 1 & 3)]
    pub qos: u8,
    /// Retain (or, from the server, a retained message).
    #[codec(skip = flags & 1 != 0)]
    pub retain: bool,
    /// The topic name: no wildcards (empty only with a 5.0 topic alias).
    #[codec(len = u16)]
    #[codec(assert(valid_topic_name(&topic) && (qos > 0 || !dup), "invalid topic name, or DUP at QoS 0"))]
    pub topic: String,
    /// Present at QoS 1 and 2, never 0.
    #[codec(when = qos > 0, assert(packet_id != Some(0), "packet identifier 0"))]
    pub packet_id: Option<u16>,
    /// 5.0: the PUBLISH properties.
    #[codec(when = v5, len = varint, unit = bytes)]
    pub properties: Option<Vec<Property>>,
    /// The application message.
    #[codec(rest)]
    pub payload: bytes::Bytes,
}

impl Publish {
    /// A first delivery (DUP clear) of `payload` to `topic`; `properties`
    /// only at level 5 (`None` for 3.1.1).
    pub fn new(
        topic: &str,
        payload: &[u8],
        qos: u8,
        retain: bool,
        packet_id: Option<u16>,
        properties: Option<Vec<Property>>,
    ) -> Publish {
        Publish {
            dup: false,
            qos,
            retain,
            topic: topic.into(),
            packet_id,
            properties,
            payload: bytes::Bytes::copy_from_slice(payload),
        }
    }
}

/// The four acknowledgements of a publication share one layout.
macro_rules! ack {
    ($(#[$doc:meta])* $name:ident = $id:literal) => {
        $(#[$doc])*
        ///
        /// `tail` says how much of the 5.0 tail is on the wire (see
        /// [`tail`] and [`tail_for`]); 3.1.1 packets have none.
        #[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
        #[codec(id = $id, ctx(v5: bool, len: u32))]
        pub struct $name {
            /// The publication's packet identifier, never 0.
            #[codec(assert(packet_id != 0, "packet identifier 0"))]
            pub packet_id: u16,
            /// 0: no reason code; 1: a reason code; 2: both.
            #[codec(skip = tail(v5, len, 2))]
            pub tail: u8,
            /// 5.0: the reason code (0 when absent).
            #[codec(when = tail > 0)]
            pub reason: Option<u8>,
            /// 5.0: the properties.
            #[codec(when = tail > 1, len = varint, unit = bytes)]
            pub properties: Option<Vec<Property>>,
        }

        impl $name {
            /// An acknowledgement with the shortest form for its reason
            /// (5.0) or none (3.1.1: `v5` false).
            pub fn new(packet_id: u16, v5: bool, reason: u8, properties: Vec<Property>) -> Self {
                let tail = if v5 { tail_for(reason, &properties) } else { 0 };
                $name {
                    packet_id,
                    tail,
                    reason: (tail > 0).then_some(reason),
                    properties: (tail > 1).then_some(properties),
                }
            }

            /// The reason code, 0 (success) when absent.
            pub fn code(&self) -> u8 {
                self.reason.unwrap_or(0)
            }
        }
    };
}

ack!(
    /// PUBACK (§3.4): the answer to a QoS 1 PUBLISH.
    PubAck = 4
);
ack!(
    /// PUBREC (§3.5): the first answer to a QoS 2 PUBLISH.
    PubRec = 5
);
ack!(
    /// PUBREL (§3.6): the answer to PUBREC; fixed header flags 0010.
    PubRel = 6
);
ack!(
    /// PUBCOMP (§3.7): the answer to PUBREL.
    PubComp = 7
);

/// One topic filter of a SUBSCRIBE with its options byte.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Subscription {
    /// The filter (a 5.0 shared one is `$share/GROUP/FILTER`).
    #[codec(len = u16, assert(valid_filter(&filter), "invalid topic filter"))]
    pub filter: String,
    /// Must be 0.
    #[codec(bits = 2, assert(reserved == 0, "reserved subscription option bits set"))]
    pub reserved: u8,
    /// 5.0: 0 send retained messages, 1 only for a new subscription, 2 never.
    #[codec(bits = 2, assert(retain_handling < 3, "retain handling 3 is reserved"))]
    pub retain_handling: u8,
    /// 5.0: keep the RETAIN flag as published.
    #[codec(bits = 1)]
    pub retain_as_published: bool,
    /// 5.0: do not send the client its own publications.
    #[codec(bits = 1)]
    pub no_local: bool,
    /// The maximum QoS.
    #[codec(bits = 2, assert(qos < 3, "QoS 3 is reserved"))]
    pub qos: u8,
}

impl Subscription {
    /// A subscription with the default 5.0 options.
    pub fn new(filter: &str, qos: u8) -> Self {
        Subscription {
            filter: filter.into(),
            reserved: 0,
            retain_handling: 0,
            retain_as_published: false,
            no_local: false,
            qos,
        }
    }

    /// Only the QoS bits are set, as 3.1.1 requires.
    fn plain(&self) -> bool {
        self.retain_handling == 0 && !self.retain_as_published && !self.no_local
    }
}

/// SUBSCRIBE (§3.8): fixed header flags 0010.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 8, ctx(v5: bool))]
#[codec(assert(v5 || subscriptions.iter().all(Subscription::plain), "reserved subscription option bits set"))]
pub struct Subscribe {
    /// Never 0.
    #[codec(assert(packet_id != 0, "packet identifier 0"))]
    pub packet_id: u16,
    /// 5.0: the SUBSCRIBE properties.
    #[codec(when = v5, len = varint, unit = bytes)]
    pub properties: Option<Vec<Property>>,
    /// At least one.
    #[codec(rest, assert(!subscriptions.is_empty(), "SUBSCRIBE without a topic filter"))]
    pub subscriptions: Vec<Subscription>,
}

/// SUBACK (§3.9): one return / reason code per filter subscribed.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 9, ctx(v5: bool))]
pub struct SubAck {
    /// The SUBSCRIBE's packet identifier.
    pub packet_id: u16,
    /// 5.0: the SUBACK properties.
    #[codec(when = v5, len = varint, unit = bytes)]
    pub properties: Option<Vec<Property>>,
    /// The granted QoS, or a failure code (0x80 and up).
    #[codec(rest)]
    pub codes: Vec<u8>,
}

/// A topic filter in UNSUBSCRIBE.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct TopicFilter {
    /// The filter.
    #[codec(len = u16, assert(valid_filter(&filter), "invalid topic filter"))]
    pub filter: String,
}

/// UNSUBSCRIBE (§3.10): fixed header flags 0010.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 10, ctx(v5: bool))]
pub struct Unsubscribe {
    /// Never 0.
    #[codec(assert(packet_id != 0, "packet identifier 0"))]
    pub packet_id: u16,
    /// 5.0: the UNSUBSCRIBE properties.
    #[codec(when = v5, len = varint, unit = bytes)]
    pub properties: Option<Vec<Property>>,
    /// At least one.
    #[codec(rest, assert(!filters.is_empty(), "UNSUBSCRIBE without a topic filter"))]
    pub filters: Vec<TopicFilter>,
}

/// UNSUBACK (§3.11); 5.0 adds one reason code per filter.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 11, ctx(v5: bool))]
#[codec(assert(v5 || codes.is_empty(), "reason codes in a 3.1.1 UNSUBACK"))]
pub struct UnsubAck {
    /// The UNSUBSCRIBE's packet identifier.
    pub packet_id: u16,
    /// 5.0: the UNSUBACK properties.
    #[codec(when = v5, len = varint, unit = bytes)]
    pub properties: Option<Vec<Property>>,
    /// 5.0: one reason code per filter.
    #[codec(rest)]
    pub codes: Vec<u8>,
}

/// PINGREQ (§3.12).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 12)]
pub struct PingReq;

/// PINGRESP (§3.13).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 13)]
pub struct PingResp;

/// DISCONNECT (§3.14); 5.0 adds an optional reason code and properties,
/// sent by either side.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 14, ctx(v5: bool, len: u32))]
pub struct Disconnect {
    /// 0: no reason code; 1: a reason code; 2: both.
    #[codec(skip = tail(v5, len, 0))]
    pub tail: u8,
    /// The reason code (0, normal disconnection, when absent).
    #[codec(when = tail > 0)]
    pub reason: Option<u8>,
    /// The properties.
    #[codec(when = tail > 1, len = varint, unit = bytes)]
    pub properties: Option<Vec<Property>>,
}

impl Disconnect {
    /// A DISCONNECT with the shortest form for its reason.
    pub fn new(v5: bool, reason: u8, properties: Vec<Property>) -> Self {
        let tail = if v5 { tail_for(reason, &properties) } else { 0 };
        Disconnect {
            tail,
            reason: (tail > 0).then_some(reason),
            properties: (tail > 1).then_some(properties),
        }
    }

    /// The reason code, 0 when absent.
    pub fn code(&self) -> u8 {
        self.reason.unwrap_or(0)
    }
}

/// AUTH (5.0 §3.15): extended authentication, which the broker does not
/// offer (it answers with DISCONNECT 0x8C, bad authentication method).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 15, ctx(len: u32))]
pub struct Auth {
    /// 0: no reason code; 1: a reason code; 2: both.
    #[codec(skip = tail(true, len, 0))]
    pub tail: u8,
    /// The reason code (0 when absent).
    #[codec(when = tail > 0)]
    pub reason: Option<u8>,
    /// The properties.
    #[codec(when = tail > 1, len = varint, unit = bytes)]
    pub properties: Option<Vec<Property>>,
}

/// The flags of a PUBLISH's fixed header.
fn publish_flags(p: &Publish) -> u8 {
    u8::from(p.dup) << 3 | p.qos << 1 | u8::from(p.retain)
}

/// The protocol enum of one protocol level: the same messages, decoded
/// with `v5` as their context.
macro_rules! protocol {
    ($(#[$doc:meta])* $name:ident, $v5:tt $(, $auth:ident)?) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Protocol)]
        #[codec(header = FixedHeader)]
        #[codec(correlate = super::correlate::Rules)]
        pub enum $name {
            /// CONNECT.
            #[codec(header(flags = 0))]
            Connect(Connect),
            /// CONNACK.
            #[codec(header(flags = 0), ctx(v5 = $v5))]
            ConnAck(ConnAck),
            /// PUBLISH.
            #[codec(header(flags = publish_flags(msg)), ctx(flags = header.flags, v5 = $v5))]
            Publish(Publish),
            /// PUBACK.
            #[codec(header(flags = 0), ctx(v5 = $v5, len = header.remaining))]
            PubAck(PubAck),
            /// PUBREC.
            #[codec(header(flags = 0), ctx(v5 = $v5, len = header.remaining))]
            PubRec(PubRec),
            /// PUBREL.
            #[codec(header(flags = 2), ctx(v5 = $v5, len = header.remaining))]
            PubRel(PubRel),
            /// PUBCOMP.
            #[codec(header(flags = 0), ctx(v5 = $v5, len = header.remaining))]
            PubComp(PubComp),
            /// SUBSCRIBE.
            #[codec(header(flags = 2), ctx(v5 = $v5))]
            Subscribe(Subscribe),
            /// SUBACK.
            #[codec(header(flags = 0), ctx(v5 = $v5))]
            SubAck(SubAck),
            /// UNSUBSCRIBE.
            #[codec(header(flags = 2), ctx(v5 = $v5))]
            Unsubscribe(Unsubscribe),
            /// UNSUBACK.
            #[codec(header(flags = 0), ctx(v5 = $v5))]
            UnsubAck(UnsubAck),
            /// PINGREQ.
            #[codec(header(flags = 0))]
            PingReq(PingReq),
            /// PINGRESP.
            #[codec(header(flags = 0))]
            PingResp(PingResp),
            /// DISCONNECT.
            #[codec(header(flags = 0), ctx(v5 = $v5, len = header.remaining))]
            Disconnect(Disconnect),
            $(
                /// AUTH.
                #[codec(header(flags = 0), ctx(len = header.remaining))]
                $auth($auth),
            )?
        }
    };
}

protocol!(
    /// MQTT 5.0 control packets (protocol level 5).
    Packet,
    true,
    Auth
);

protocol!(
    /// MQTT 3.1.1 control packets (protocol level 4): no properties, no
    /// reason codes beyond CONNACK's and SUBACK's, no AUTH.
    Packet311,
    false
);

/// The same variant in the other protocol enum.
macro_rules! convert {
    ($($v:ident),*) => {
        impl From<Packet311> for Packet {
            fn from(p: Packet311) -> Packet {
                match p {
                    $(Packet311::$v(m) => Packet::$v(m),)*
                }
            }
        }

        impl Packet {
            /// The 3.1.1 form of this packet, with the 5.0-only fields
            /// removed; `None` for AUTH, which 3.1.1 lacks.
            pub fn downgrade(self) -> Option<Packet311> {
                Some(match self {
                    $(Packet::$v(mut m) => {
                        Strip::strip(&mut m);
                        Packet311::$v(m)
                    })*
                    Packet::Auth(_) => return None,
                })
            }
        }
    };
}

convert!(
    Connect,
    ConnAck,
    Publish,
    PubAck,
    PubRec,
    PubRel,
    PubComp,
    Subscribe,
    SubAck,
    Unsubscribe,
    UnsubAck,
    PingReq,
    PingResp,
    Disconnect
);

/// Removes what 3.1.1 cannot carry.
trait Strip {
    fn strip(&mut self);
}

macro_rules! strip {
    ($($t:ty => |$m:ident| $body:expr;)*) => {
        $(impl Strip for $t {
            fn strip(&mut self) {
                let $m = self;
                $body
            }
        })*
    };
}

strip! {
    Connect => |m| {
        m.level = 4;
        m.properties = None;
        m.will_properties = None;
    };
    ConnAck => |m| m.properties = None;
    Publish => |m| m.properties = None;
    PubAck => |m| (m.tail, m.reason, m.properties) = (0, None, None);
    PubRec => |m| (m.tail, m.reason, m.properties) = (0, None, None);
    PubRel => |m| (m.tail, m.reason, m.properties) = (0, None, None);
    PubComp => |m| (m.tail, m.reason, m.properties) = (0, None, None);
    Subscribe => |m| m.properties = None;
    SubAck => |m| m.properties = None;
    Unsubscribe => |m| m.properties = None;
    UnsubAck => |m| (m.properties, m.codes) = (None, Vec::new());
    PingReq => |_m| ();
    PingResp => |_m| ();
    Disconnect => |m| (m.tail, m.reason, m.properties) = (0, None, None);
}

/// The next whole packet buffered in `frames`, decoded as protocol level
/// 5 (`v5`) or 4.
///
/// # Errors
///
/// As [`FrameDecoder::next_message`]: a bad header, a frame over the
/// limit, a packet that does not decode.
pub fn next_packet(
    frames: &mut FrameDecoder<FixedHeader>,
    v5: bool,
) -> Result<Option<Packet>, FrameError> {
    if v5 {
        frames.next_message::<Packet>()
    } else {
        Ok(frames.next_message::<Packet311>()?.map(Packet::from))
    }
}

/// Appends `p` as a frame of protocol level 5 (`v5`) or 4; a 5.0-only
/// packet (AUTH) writes nothing at level 4.
///
/// # Errors
///
/// A packet its layout cannot describe (an invalid topic, a QoS over 2).
pub fn encode_packet(p: Packet, v5: bool, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
    if v5 {
        encode_frame(&p, buf)
    } else {
        match p.downgrade() {
            Some(p) => encode_frame(&p, buf),
            None => Ok(()),
        }
    }
}
