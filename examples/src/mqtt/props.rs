//! MQTT 5.0 properties (§2.2.2): a variable byte integer counting the
//! bytes that follow, then each property as its identifier (a variable
//! byte integer) and a value of the identifier's type.
//!
//! ```text
//! properties: length (varint) | id (varint) value | id value | ...
//!   byte        0x01 PayloadFormat, 0x17, 0x19, 0x24, 0x25, 0x28..0x2A
//!   u16         0x13 ServerKeepAlive, 0x21 ReceiveMaximum, 0x22, 0x23 TopicAlias
//!   u32         0x02 MessageExpiry, 0x11 SessionExpiry, 0x18 WillDelay, 0x27 MaximumPacketSize
//!   varint      0x0B SubscriptionIdentifier (1 ..= 268,435,455)
//!   UTF-8       0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F (u16 length, then the bytes)
//!   binary      0x09 CorrelationData, 0x16 AuthenticationData (u16 length)
//!   pair        0x26 UserProperty (two UTF-8 strings)
//! ```

use codec::{Decode, Encode};

use super::topic::valid_utf8;

/// One MQTT 5.0 property; an unknown identifier is a malformed packet.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[codec(repr = varint)]
pub enum Property {
    /// 0x01: 0 = unspecified bytes, 1 = UTF-8 payload.
    #[codec(id = 0x01)]
    PayloadFormat(u8),
    /// 0x02: seconds the message lives.
    #[codec(id = 0x02)]
    MessageExpiry(u32),
    /// 0x03: the payload's content type.
    #[codec(id = 0x03)]
    ContentType(Utf8),
    /// 0x08: the topic a reply goes to.
    #[codec(id = 0x08)]
    ResponseTopic(Utf8),
    /// 0x09: correlation data of a request/response.
    #[codec(id = 0x09)]
    CorrelationData(#[codec(len = u16)] Vec<u8>),
    /// 0x0B: the identifier of a subscription (1 ..= 268,435,455).
    #[codec(id = 0x0B)]
    SubscriptionId(#[codec(varint, max_bytes = 4)] u32),
    /// 0x11: seconds a session outlives its connection.
    #[codec(id = 0x11)]
    SessionExpiry(u32),
    /// 0x12: the client identifier the server chose.
    #[codec(id = 0x12)]
    AssignedClientId(Utf8),
    /// 0x13: the keepalive the server imposes.
    #[codec(id = 0x13)]
    ServerKeepAlive(u16),
    /// 0x15: extended authentication method.
    #[codec(id = 0x15)]
    AuthMethod(Utf8),
    /// 0x16: extended authentication data.
    #[codec(id = 0x16)]
    AuthData(#[codec(len = u16)] Vec<u8>),
    /// 0x17: 0 = no reason strings or user properties on errors.
    #[codec(id = 0x17)]
    RequestProblemInfo(u8),
    /// 0x18: seconds before a will is published.
    #[codec(id = 0x18)]
    WillDelay(u32),
    /// 0x19: ask for response information in CONNACK.
    #[codec(id = 0x19)]
    RequestResponseInfo(u8),
    /// 0x1A: the response information.
    #[codec(id = 0x1A)]
    ResponseInfo(Utf8),
    /// 0x1C: another server to use.
    #[codec(id = 0x1C)]
    ServerReference(Utf8),
    /// 0x1F: a human-readable reason.
    #[codec(id = 0x1F)]
    ReasonString(Utf8),
    /// 0x21: QoS 1 and 2 publications the sender accepts at once.
    #[codec(id = 0x21)]
    ReceiveMaximum(u16),
    /// 0x22: the highest topic alias the sender accepts.
    #[codec(id = 0x22)]
    TopicAliasMaximum(u16),
    /// 0x23: a number standing for the topic.
    #[codec(id = 0x23)]
    TopicAlias(u16),
    /// 0x24: the highest QoS the server supports.
    #[codec(id = 0x24)]
    MaximumQos(u8),
    /// 0x25: whether the server keeps retained messages.
    #[codec(id = 0x25)]
    RetainAvailable(u8),
    /// 0x26: a name/value pair (may repeat).
    #[codec(id = 0x26)]
    User(Utf8, Utf8),
    /// 0x27: the largest packet the sender accepts.
    #[codec(id = 0x27)]
    MaximumPacketSize(u32),
    /// 0x28: whether wildcard subscriptions are available.
    #[codec(id = 0x28)]
    WildcardAvailable(u8),
    /// 0x29: whether subscription identifiers are available.
    #[codec(id = 0x29)]
    SubscriptionIdAvailable(u8),
    /// 0x2A: whether shared subscriptions are available.
    #[codec(id = 0x2A)]
    SharedAvailable(u8),
}

/// An MQTT UTF-8 encoded string (§1.5.4): a u16 byte count, then UTF-8
/// without U+0000 (surrogates cannot occur in a Rust `String`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct Utf8 {
    /// The text.
    #[codec(len = u16, assert(valid_utf8(&text), "U+0000 in a UTF-8 string"))]
    pub text: String,
}

impl From<&str> for Utf8 {
    fn from(s: &str) -> Self {
        Utf8 { text: s.into() }
    }
}

impl From<String> for Utf8 {
    fn from(text: String) -> Self {
        Utf8 { text }
    }
}

impl Property {
    /// The property's identifier byte.
    pub fn id(&self) -> u8 {
        match self {
            Property::PayloadFormat(_) => 0x01,
            Property::MessageExpiry(_) => 0x02,
            Property::ContentType(_) => 0x03,
            Property::ResponseTopic(_) => 0x08,
            Property::CorrelationData(_) => 0x09,
            Property::SubscriptionId(_) => 0x0B,
            Property::SessionExpiry(_) => 0x11,
            Property::AssignedClientId(_) => 0x12,
            Property::ServerKeepAlive(_) => 0x13,
            Property::AuthMethod(_) => 0x15,
            Property::AuthData(_) => 0x16,
            Property::RequestProblemInfo(_) => 0x17,
            Property::WillDelay(_) => 0x18,
            Property::RequestResponseInfo(_) => 0x19,
            Property::ResponseInfo(_) => 0x1A,
            Property::ServerReference(_) => 0x1C,
            Property::ReasonString(_) => 0x1F,
            Property::ReceiveMaximum(_) => 0x21,
            Property::TopicAliasMaximum(_) => 0x22,
            Property::TopicAlias(_) => 0x23,
            Property::MaximumQos(_) => 0x24,
            Property::RetainAvailable(_) => 0x25,
            Property::User(..) => 0x26,
            Property::MaximumPacketSize(_) => 0x27,
            Property::WildcardAvailable(_) => 0x28,
            Property::SubscriptionIdAvailable(_) => 0x29,
            Property::SharedAvailable(_) => 0x2A,
        }
    }
}

/// Checks the rules §2.2.2.2 puts on a property list: no identifier twice
/// except User Property (and Subscription Identifier, which only PUBLISH
/// may repeat), and the values' ranges (a receive maximum, a maximum
/// packet size or a subscription identifier of 0 is a protocol error).
///
/// # Errors
///
/// The rule broken, as text for a reason string.
pub fn check(props: &[Property], publish: bool) -> Result<(), &'static str> {
    let mut seen = [false; 0x2B];
    for p in props {
        let id = usize::from(p.id());
        let repeats = matches!(p, Property::User(..))
            || (publish && matches!(p, Property::SubscriptionId(_)));
        if seen[id] && !repeats {
            return Err("a property appears twice");
        }
        seen[id] = true;
        match p {
            Property::ReceiveMaximum(0) => return Err("receive maximum of 0"),
            Property::MaximumPacketSize(0) => return Err("maximum packet size of 0"),
            Property::SubscriptionId(0) => return Err("subscription identifier of 0"),
            Property::RequestProblemInfo(v) | Property::RequestResponseInfo(v) if *v > 1 => {
                return Err("request flag over 1")
            }
            _ => {}
        }
    }
    Ok(())
}

/// Reads from a property list.
pub trait Props {
    /// The first property `f` selects.
    fn find<T>(&self, f: impl FnMut(&Property) -> Option<T>) -> Option<T>;
}

impl Props for [Property] {
    fn find<T>(&self, f: impl FnMut(&Property) -> Option<T>) -> Option<T> {
        self.iter().find_map(f)
    }
}

impl Props for Option<Vec<Property>> {
    fn find<T>(&self, f: impl FnMut(&Property) -> Option<T>) -> Option<T> {
        self.as_deref().and_then(|p| p.iter().find_map(f))
    }
}
