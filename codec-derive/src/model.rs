//! The validated model: what `valid::check` hands to the expansions. Every
//! choice the attributes leave open is resolved here (defaults applied,
//! field references looked up, variant ids assigned), so expansion reads
//! it and decides nothing.

use syn::{Expr, Ident, LitByteStr, Path, Type};

use crate::ast::{Field, Input, Variant};
use crate::attr::{Assert, Conv, Endian, LenKind, Unit};

/// Which trait a derive implements.
#[derive(Clone, Copy)]
pub enum Derive {
    Encode,
    Decode,
    Message,
    Protocol,
    Header,
}

/// A valid input for one derive.
pub enum Validated<'a> {
    Encode(Layout<'a>),
    Decode(Layout<'a>),
    Message(Message<'a>),
    Protocol(Protocol<'a>),
    Header(FrameHeader<'a>),
}

/// A type's wire layout: what `Encode` and `Decode` read.
pub struct Layout<'a> {
    pub input: &'a Input<'a>,
    /// The type's `magic`: constant bytes before everything else.
    pub magic: Option<&'a LitByteStr>,
    pub body: LayoutBody<'a>,
    /// A struct's `assert`, over all its fields, checked after them.
    pub assert: Option<Check<'a>>,
}

/// An `assert`: its condition, message and the fields it reads.
pub struct Check<'a> {
    pub assert: &'a Assert,
    /// The fields (this one and earlier ones) the condition names.
    pub uses: Vec<Use<'a>>,
}

pub enum LayoutBody<'a> {
    Struct(Vec<FieldPlan<'a>>),
    Enum {
        /// How the discriminant is written (`u8` unless `repr` says).
        repr: LenKind,
        /// The discriminant's byte order (the type's `endian`, else big).
        order: Endian,
        /// Every variant has a `magic` that chooses it; no discriminant.
        by_magic: bool,
        variants: Vec<VariantPlan<'a>>,
    },
}

pub struct VariantPlan<'a> {
    pub variant: &'a Variant<'a>,
    /// The wire id (for an `other` variant: the id it would have had).
    pub id: u64,
    /// An `other` variant: its first field holds the unknown discriminant.
    pub other: bool,
    /// The variant's `magic`, after the discriminant if there is one.
    pub magic: Option<&'a LitByteStr>,
    pub fields: Vec<FieldPlan<'a>>,
}

/// An inline length prefix: its integer, what its value counts beyond the
/// body (`len_adds`), and the value meaning `None` (`null`).
#[derive(Clone, Copy)]
pub struct Prefix {
    pub kind: LenKind,
    pub adds: u64,
    pub null: Option<i64>,
}

impl Prefix {
    /// A prefix the runtime's `LenPrefix` writes as is (the code every
    /// existing layout has, packed into runs where it can be).
    pub fn is_plain(&self) -> bool {
        self.kind.is_plain() && self.adds == 0 && self.null.is_none()
    }
}

/// How a field's value is laid out, resolved from its attributes.
pub enum Wire<'a> {
    Skip,
    /// The type's own `Encode`/`Decode`.
    Plain,
    Base128 {
        vlq: bool,
        /// `max_bytes = N`: at most N bytes on the wire.
        max_bytes: Option<usize>,
    },
    /// An integer in `bytes` bytes (`#[codec(bytes = N)]`).
    IntN {
        bytes: usize,
        signed: bool,
    },
    /// An inline length prefix, then the body.
    Prefixed(Prefix, Unit),
    /// The body; its length lives in the earlier integer field `holder`,
    /// which counts `adds` more.
    LenFrom {
        holder: &'a Field<'a>,
        unit: Unit,
        adds: u64,
    },
    /// The body; its length is whatever is left of the frame.
    Rest,
    /// The body, then the terminator `byte` (`#[codec(term)]`): a string
    /// or byte string without it, or a list whose elements do not start
    /// with it.
    Term {
        byte: u8,
    },
    /// Exactly `size` bytes: the value, then `pad` bytes
    /// (`#[codec(size = N, pad = B)]`).
    Padded {
        size: usize,
        pad: u8,
    },
}

/// Whether a value is there.
pub enum Presence<'a> {
    /// Always (the field's type is the value's type).
    Always,
    /// An `Option<T>` present when the expression over earlier fields holds.
    When {
        expr: &'a Expr,
        /// The earlier fields `expr` names.
        uses: Vec<Use<'a>>,
    },
    /// An `Option<T>` with a presence byte (0 or 1), inner `T` laid out by
    /// the field's attributes.
    Byte,
    /// An `Option<T>` whose `None` is the length prefix's `null` value.
    Null,
}

/// An earlier field a `when` expression reads.
pub struct Use<'a> {
    pub field: &'a Field<'a>,
    /// It holds another field's length, so encode reads the computed one.
    pub holds_len: bool,
}

/// A piece of a run of fixed-width values that generated code reads or
/// writes with one bounds check.
#[derive(Clone, Copy)]
pub enum Packed {
    /// A fixed-width scalar.
    Scalar,
    /// A fixed-width length prefix (`u8`..`u64`); the body follows the run.
    Prefix(LenKind),
}

/// The later field whose length an integer field holds (`len_from`).
pub struct LenOf<'a> {
    pub seq: &'a Field<'a>,
    /// The sequence type (`T` of an `Option<T>` sequence).
    pub seq_ty: &'a Type,
    /// The sequence is an `Option` (absent counts as 0).
    pub optional: bool,
    pub unit: Unit,
    /// What the holder counts beyond the sequence (`len_adds`).
    pub adds: u64,
}

pub struct FieldPlan<'a> {
    pub field: &'a Field<'a>,
    /// The value's type: `T` for a field of type `Option<T>` unless the
    /// presence is `Always`.
    pub ty: &'a Type,
    pub wire: Wire<'a>,
    pub presence: Presence<'a>,
    /// The field's `endian`, else the type's, else big.
    pub order: Endian,
    /// Set when the value joins a run of fixed-width pieces.
    pub packed: Option<Packed>,
    /// Set when this integer field holds the length of a later field.
    pub holds_len_of: Option<LenOf<'a>>,
    /// The field's `magic`: constant bytes right before it.
    pub magic: Option<&'a LitByteStr>,
    /// The field's `map`/`try_map`: `ty` is then the wire type.
    pub conv: Option<&'a Conv>,
    /// The field's `assert`, checked after it is read and before encode
    /// writes anything.
    pub assert: Option<Check<'a>>,
    /// A header's `payload_len` with `len_adds = N`: decoding a value below
    /// N is a `LengthBelowMin` error at the field.
    pub at_least: Option<u64>,
}

/// What `#[derive(Message)]` reads.
pub struct Message<'a> {
    pub input: &'a Input<'a>,
    pub id: &'a Expr,
    pub response: Option<&'a Type>,
    /// The `#[codec(tag)]` field of a struct.
    pub tag: Option<&'a Field<'a>>,
    /// The type's `magic`, laid out before its fields.
    pub layout_magic: Option<&'a LitByteStr>,
    /// A struct's fields; `None` for an enum (laid out by its discriminant).
    pub fields: Option<Vec<FieldPlan<'a>>>,
}

/// What `#[derive(Protocol)]` reads.
pub struct Protocol<'a> {
    pub input: &'a Input<'a>,
    /// The frame header; `None` for the runtime's `StdHeader`.
    pub header: Option<&'a Path>,
    pub arms: Vec<Arm<'a>>,
}

/// A protocol variant and the message type it holds.
pub struct Arm<'a> {
    pub variant: &'a Ident,
    pub ty: &'a Type,
    /// The catch-all holding a `RawFrame`.
    pub other: bool,
}

/// What `#[derive(Header)]` reads: the struct's fields (laid out by its own
/// `Encode`/`Decode`) and the two roles.
pub struct FrameHeader<'a> {
    pub input: &'a Input<'a>,
    /// Every field, as `Decode` plans them (for the bytes still needed after
    /// each one on partial input).
    pub fields: Vec<FieldPlan<'a>>,
    /// The `#[codec(id)]` field; a header without one carries no id (0).
    pub id: Option<Role<'a>>,
    /// The `#[codec(payload_len)]` field.
    pub len: Role<'a>,
    /// What the length's wire value counts beyond the payload (`len_adds`).
    pub adds: u64,
}

/// A field with a role in a header: the id or the payload length.
pub struct Role<'a> {
    pub field: &'a Field<'a>,
    /// The largest value its wire form carries (the type's, or less with
    /// `bytes = N` or `max_bytes = N`).
    pub max: u64,
    /// Its wire form in errors: `u8`, `u24`, `varint`.
    pub wire: String,
}
