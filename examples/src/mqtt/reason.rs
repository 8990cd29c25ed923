//! Return codes (3.1.1) and reason codes (5.0, §2.4) the broker and
//! client use.

/// Success / normal disconnection / granted QoS 0.
pub const SUCCESS: u8 = 0x00;
/// 5.0 DISCONNECT: disconnect with will message.
pub const DISCONNECT_WITH_WILL: u8 = 0x04;
/// 5.0: no matching subscribers (PUBACK, PUBREC).
pub const NO_MATCHING_SUBSCRIBERS: u8 = 0x10;
/// 5.0 UNSUBACK: no subscription existed.
pub const NO_SUBSCRIPTION_EXISTED: u8 = 0x11;
/// 5.0: unspecified error.
pub const UNSPECIFIED: u8 = 0x80;
/// 5.0: malformed packet.
pub const MALFORMED: u8 = 0x81;
/// 5.0: protocol error.
pub const PROTOCOL_ERROR: u8 = 0x82;
/// 5.0 CONNACK: unsupported protocol version.
pub const UNSUPPORTED_VERSION: u8 = 0x84;
/// 5.0 CONNACK: client identifier not valid.
pub const CLIENT_ID_INVALID: u8 = 0x85;
/// 5.0 DISCONNECT: session taken over.
pub const SESSION_TAKEN_OVER: u8 = 0x8E;
/// 5.0 DISCONNECT: keep alive timeout.
pub const KEEP_ALIVE_TIMEOUT: u8 = 0x8D;
/// 5.0 DISCONNECT / AUTH: bad authentication method.
pub const BAD_AUTH_METHOD: u8 = 0x8C;
/// 5.0: topic filter invalid.
pub const TOPIC_FILTER_INVALID: u8 = 0x8F;
/// 5.0: topic name invalid.
pub const TOPIC_NAME_INVALID: u8 = 0x90;
/// 5.0: packet identifier not found.
pub const PACKET_ID_NOT_FOUND: u8 = 0x92;
/// 5.0: receive maximum exceeded.
pub const RECEIVE_MAXIMUM_EXCEEDED: u8 = 0x93;
/// 5.0: topic alias invalid.
pub const TOPIC_ALIAS_INVALID: u8 = 0x94;
/// 5.0: packet too large.
pub const PACKET_TOO_LARGE: u8 = 0x95;
/// 5.0 SUBACK: shared subscriptions not supported with no-local.
pub const SHARED_NOT_SUPPORTED: u8 = 0x9E;
/// 3.1.1 CONNACK: unacceptable protocol version.
pub const V3_BAD_VERSION: u8 = 0x01;
/// 3.1.1 CONNACK: identifier rejected.
pub const V3_ID_REJECTED: u8 = 0x02;
/// 3.1.1 SUBACK failure.
pub const V3_SUB_FAILURE: u8 = 0x80;
