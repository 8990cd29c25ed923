//! Messages: a [`Message`] is a payload type with an id, its name and the
//! [`FieldLayout`] of its payload; a [`Request`] is a message with a typed
//! reply.
//!
//! Messages are grouped into a [`Protocol`](crate::Protocol) (in
//! [`protocol`](crate::protocol)), which is sent as frames (in
//! [`frame`](crate::frame)).

/// A payload type with a message id: one variant of a [`Protocol`](crate::Protocol).
///
/// Derived by `#[derive(Message)]` with `#[codec(id = N)]`.
///
/// ```
/// use codec::message::{FieldLayout, Message};
///
/// struct FetchRequest;
/// impl Message for FetchRequest {
///     const ID: u64 = 0x03;
///     const NAME: &'static str = "FetchRequest";
///     const FIELDS: &'static [FieldLayout] = &[
///         FieldLayout { name: "trans", offset: Some(0), width: Some(1), encoding: "u8" },
///         FieldLayout { name: "name", offset: Some(1), width: None, encoding: "len = u8, utf-8" },
///     ];
/// }
/// assert_eq!(FetchRequest::FIELDS[1].width, None);
/// ```
pub trait Message {
    /// The id written in the frame header.
    const ID: u64;
    /// The type's name, e.g. `"StoreRequest"`.
    const NAME: &'static str;
    /// The payload layout, one entry per wire field in order (a length
    /// prefix written inline is part of its field's entry).
    const FIELDS: &'static [FieldLayout];

    /// The largest tag the `#[codec(tag)]` field holds; 0 when the message
    /// has no tag.
    const TAG_MAX: u64 = 0;

    /// Whether the message is a [`Request`] (declares a `response`). The
    /// derive sets it; a hand-written `Request` impl should too, so that a
    /// protocol's service trait can check that every request variant is
    /// marked `#[codec(request)]`.
    const IS_REQUEST: bool = false;

    /// The correlation tag, for a message with a `#[codec(tag)]` field.
    fn tag(&self) -> Option<u64> {
        None
    }

    /// Sets the correlation tag; `false` when the message has no tag field
    /// or the value does not fit it.
    fn set_tag(&mut self, tag: u64) -> bool {
        let _ = tag;
        false
    }
}

/// A request with a typed reply, declared with
/// `#[codec(response = Type)]`: `client.call(req)` returns a `Type`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a request: its message declares no `response`",
    note = "declare the reply with `#[codec(response = Reply)]` on `{Self}`, or remove `#[codec(request)]` from its protocol variant"
)]
pub trait Request: Message {
    /// The reply's message type.
    type Response: Message;
}

/// The smaller of two tag limits, 0 meaning "no tag" (for the derive).
#[doc(hidden)]
pub const fn tag_limit(a: u64, b: u64) -> u64 {
    match (a, b) {
        (0, x) | (x, 0) => x,
        (a, b) if a < b => a,
        (_, b) => b,
    }
}

/// Where one field sits in a message's payload and how it is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldLayout {
    /// The field's name (`"0"`, `"1"`, ... for tuple structs).
    pub name: &'static str,
    /// Byte offset from the start of the payload, when every earlier field
    /// has a fixed width; `None` when it follows a variable-width field.
    pub offset: Option<usize>,
    /// Bytes the field takes (with any inline length prefix), when fixed;
    /// `None` for variable-width fields.
    pub width: Option<usize>,
    /// A short description of the encoding: `"u8"`, `"u16 le"`,
    /// `"len = u16, bytes"`, `"vlq u64"`, `"nested Inner"`.
    pub encoding: &'static str,
}
