//! The striptease tutorial's storage messages, derived: the one definition
//! of `StoreRequest` and its protocol that the integration tests share.
//!
//! ```text
//! header (StdHeader) | id u8 | len u16 BE | payload
//! StoreRequest  0x01 | trans u8 (tag) | name.len u8 | name | data.len u16 | data
//! StoreResponse 0x02 | trans u8 (tag) | name.len u8 | name | status u8
//! Changed       0x20 | name.len u8 | name   (a notification: no tag)
//! ```
//!
//! The same bytes as the storage service's protocol
//! (`examples/src/storage/protocol.rs`) and as the hand-written reference
//! protocol in `codec/tests/support/storage.rs`.

use codec::{Decode, Encode, Message, Protocol, RawFrame};

/// Store `data` under `name` (message 0x01).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x01, response = StoreResponse)]
pub struct StoreRequest {
    /// Transaction number, echoed in the response.
    #[codec(tag)]
    pub trans: u8,
    /// Key.
    #[codec(len = u8)]
    pub name: String,
    /// Value.
    #[codec(len = u16)]
    pub data: Vec<u8>,
}

/// The tutorial's status codes: a plain `repr` enum with explicit values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
#[codec(repr = u8)]
pub enum Status {
    /// Done.
    Success = 0,
    /// I/O error.
    Eio = 1,
    /// No such key.
    Ekey = 2,
    /// Any other failure.
    Fail = 0xFF,
}

/// The answer to a [`StoreRequest`] (message 0x02).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x02)]
pub struct StoreResponse {
    /// The request's transaction number.
    #[codec(tag)]
    pub trans: u8,
    /// The request's key.
    #[codec(len = u8)]
    pub name: String,
    /// What happened.
    pub status: Status,
}

/// A notification that `name` changed (message 0x20): no tag.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x20)]
pub struct Changed {
    /// The key that changed.
    #[codec(len = u8)]
    pub name: String,
}

/// The tutorial protocol under `StdHeader`: unknown ids are errors.
#[derive(Debug, Clone, PartialEq, Protocol)]
pub enum Storage {
    /// 0x01.
    StoreRequest(StoreRequest),
    /// 0x02.
    StoreResponse(StoreResponse),
    /// 0x20.
    Changed(Changed),
}

/// An open protocol under `WideHeader`: frames with an id no message
/// claims are kept whole in `Unknown`.
#[derive(Debug, Clone, PartialEq, Protocol)]
#[codec(header = codec::WideHeader)]
pub enum Open {
    /// 0x01.
    StoreRequest(StoreRequest),
    /// Any other id, with its payload.
    #[codec(other)]
    Unknown(RawFrame),
}

/// `StoreRequest { trans: 7, name: "key", data: "hello" }`: the tutorial's
/// example request.
pub fn sample_request() -> StoreRequest {
    StoreRequest {
        trans: 7,
        name: "key".into(),
        data: b"hello".to_vec(),
    }
}
