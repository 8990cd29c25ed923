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

/// What a type looks like on the wire, in enough detail to walk its bytes
/// without Rust: the metadata behind [`wireshark`](crate::wireshark)'s
/// generated dissectors.
///
/// `#[derive(Encode)]` sets [`Encode::SHAPE`](crate::Encode::SHAPE) to a
/// [`Shape::Struct`] or [`Shape::Enum`]; fields of std types are described
/// by the derive from their type names; anything else is
/// [`Shape::Opaque`] (shown as bytes, never as a guessed value).
///
/// ```
/// use codec::message::Shape;
/// use codec::Encode;
///
/// #[derive(Encode)]
/// struct Point {
///     x: u16,
///     #[codec(len = u8)]
///     label: String,
/// }
///
/// let Shape::Struct(fields) = <Point as Encode>::SHAPE else { unreachable!() };
/// assert_eq!(fields[0].layout.name, "x");
/// assert!(matches!((fields[0].shape)(), Shape::Int { bytes: 2, signed: false }));
/// assert!(matches!((fields[1].shape)(), Shape::Text));
/// ```
///
/// Inner shapes are functions, so a recursive type's shape is no cycle.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Shape {
    /// Unknown to the metadata (a hand-written `Encode`, a type behind a
    /// path the derive cannot read): only its bytes can be shown.
    Opaque,
    /// An integer of `bytes` bytes, in the field's byte order.
    Int {
        /// Width in bytes (1 to 16).
        bytes: u8,
        /// Two's complement.
        signed: bool,
    },
    /// An IEEE 754 float of `bytes` bytes (4 or 8).
    Float {
        /// Width in bytes.
        bytes: u8,
    },
    /// One byte, 0 or 1.
    Bool,
    /// UTF-8 text (`String`, `str`): its length comes from the field's wire.
    Text,
    /// A sequence (`Vec<T>`, `[T]`) of elements of the inner shape; of
    /// `Int { bytes: 1, .. }` it is a byte string.
    Seq(fn() -> Shape),
    /// A fixed-size array `[T; N]`.
    Array(fn() -> Shape, usize),
    /// An `Option<T>` as its own type writes it: a presence byte (0 or 1),
    /// then the value when present.
    Option(fn() -> Shape),
    /// A derived struct: its fields in wire order.
    Struct(&'static [FieldShape]),
    /// A derived enum: a discriminant, then the chosen variant's fields.
    Enum {
        /// How the discriminant is written (`None` when variants are chosen
        /// by magic bytes, which the metadata does not describe).
        repr: Option<LenWire>,
        /// The discriminant is little-endian.
        little: bool,
        /// Every variant.
        variants: &'static [VariantShape],
    },
}

/// One field of a [`Shape::Struct`] or enum variant.
#[derive(Debug, Clone, Copy)]
pub struct FieldShape {
    /// Its name, offset, width and encoding text, as in
    /// [`Message::FIELDS`].
    pub layout: FieldLayout,
    /// The value's type (the `T` of an `Option<T>` with a presence rule).
    pub shape: fn() -> Shape,
    /// How the value is written.
    pub wire: FieldWire,
    /// When the value is there.
    pub presence: FieldPresence,
    /// Integers (and prefixes) are little-endian.
    pub little: bool,
}

/// One variant of a [`Shape::Enum`].
#[derive(Debug, Clone, Copy)]
pub struct VariantShape {
    /// The variant's name.
    pub name: &'static str,
    /// Its discriminant.
    pub id: u64,
    /// The `#[codec(other)]` catch-all: its first field is the discriminant
    /// it was read with, and `id` is only the id it would have had.
    pub other: bool,
    /// Its fields after the discriminant.
    pub fields: &'static [FieldShape],
}

/// How a field's value is written, resolved from its attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldWire {
    /// The type's own encoding (a sequence without a length attribute has a
    /// varint element count).
    Plain,
    /// A base-128 integer: LEB128 (`varint`) or big-endian groups (`vlq`).
    Base128 {
        /// `vlq` rather than `varint`.
        vlq: bool,
    },
    /// An integer in `bytes` bytes (`#[codec(bytes = N)]`).
    IntN {
        /// Width in bytes.
        bytes: u8,
        /// Two's complement.
        signed: bool,
    },
    /// An inline length prefix, then the body.
    Prefixed {
        /// The prefix.
        len: LenWire,
        /// What the prefix counts beyond the body (`len_adds`).
        adds: u64,
        /// The prefix value meaning `None` (`null`).
        null: Option<i64>,
        /// The prefix counts bytes, not elements.
        bytes: bool,
    },
    /// The body; its length is the value of the earlier field `holder`.
    LenFrom {
        /// The field holding the length.
        holder: &'static str,
        /// What the holder counts beyond the body (`len_adds`).
        adds: u64,
        /// The holder counts bytes, not elements.
        bytes: bool,
    },
    /// The body; its length is the context value `name` (`len_from` a
    /// `ctx` parameter), which a tool walking the bytes does not have.
    LenCtx {
        /// The context value holding the length.
        name: &'static str,
        /// What it counts beyond the body (`len_adds`).
        adds: u64,
        /// It counts bytes, not elements.
        bytes: bool,
    },
    /// A value whose type takes a context from its parent (`ctx(..)` on the
    /// field); its layout depends on that context.
    WithCtx,
    /// Whatever is left of the frame.
    Rest,
    /// The body, then this terminator byte.
    Term(u8),
    /// Exactly `size` bytes: the value, then padding.
    Padded {
        /// Bytes in all.
        size: usize,
        /// The padding byte.
        pad: u8,
    },
    /// Constant bytes (an entry of its own, named `magic`).
    Magic(&'static [u8]),
    /// A few bits of a run of bit fields (`#[codec(bits = N)]`).
    Bits {
        /// The field's width in bits.
        width: u8,
        /// Its first bit, counted from the run's start in stream order.
        first: u8,
        /// Bytes of the whole run.
        run_bytes: u8,
        /// Least significant bit first (`bit_order = "lsb"`).
        lsb: bool,
    },
    /// Padding (an entry of its own, named `pad`: `pad_before`,
    /// `pad_after`, `align` or a type's `size`).
    Pad {
        /// How many bytes, when it does not depend on the input (an
        /// `align` or `size` after variable-width fields does).
        bytes: Option<usize>,
    },
}

/// An integer used as a length or discriminant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LenWire {
    /// A fixed-width integer of `bytes` bytes.
    Int {
        /// Width in bytes.
        bytes: u8,
        /// Two's complement.
        signed: bool,
    },
    /// LEB128.
    Varint,
    /// Big-endian base-128 groups.
    Vlq,
}

/// When an optional field's value is on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldPresence {
    /// Always.
    Always,
    /// A presence byte (0 or 1) first.
    Byte,
    /// When the length prefix is not its `null` value.
    Null,
    /// When this Rust expression over earlier fields holds (its source
    /// text, as written in `#[codec(when = ..)]`).
    When(&'static str),
}

/// One message of a [`Protocol`](crate::Protocol), for tools that list a
/// protocol's messages: [`Protocol::MESSAGES`](crate::Protocol::MESSAGES).
#[derive(Debug, Clone, Copy)]
pub struct MessageShape {
    /// The message id.
    pub id: u64,
    /// The message name.
    pub name: &'static str,
    /// The payload's shape (a [`Shape::Struct`] for derived messages).
    pub shape: fn() -> Shape,
}
