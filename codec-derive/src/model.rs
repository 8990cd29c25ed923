//! The validated model: what `valid::check` hands to the expansions. Every
//! choice the attributes leave open is resolved here (defaults applied,
//! field references looked up, variant ids assigned), so expansion reads
//! it and decides nothing.

use syn::{Expr, Ident, LitByteStr, Path, Type};

use crate::ast::{Field, Input, Variant};
use crate::attr::{Assert, Conv, CtxArg, CtxParam, Endian, LenKind, Unit};

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
    /// A struct's `size`: its encoding padded to a fixed size.
    pub size: Option<TypeSize>,
    /// The type's `ctx(..)`: it implements `EncodeWith`/`DecodeWith`
    /// (taking these values) instead of `Encode`/`Decode`.
    pub ctx: Option<&'a [CtxParam]>,
}

/// A type padded to `size` bytes with `pad` (`#[codec(size = N)]` on a
/// struct); `check` when decode checks the padding.
#[derive(Clone, Copy)]
pub struct TypeSize {
    pub size: usize,
    pub pad: u8,
    pub check: bool,
}

/// Padding around a field (`pad_before`, `align`, `pad_after`), in that
/// order before and after it, made of `byte`; `check` when decode checks
/// it.
#[derive(Clone, Copy, Default)]
pub struct Padding {
    pub before: usize,
    /// Pad to a multiple of this many bytes from the type's start.
    pub align: Option<usize>,
    pub after: usize,
    pub byte: u8,
    pub check: bool,
}

impl Padding {
    pub fn is_none(&self) -> bool {
        self.before == 0 && self.align.is_none() && self.after == 0
    }
}

/// What a field's written value comes from, when not the field itself.
pub enum Computed<'a> {
    /// `calc = expr`: an expression over the fields.
    Calc(CalcExpr<'a>),
    /// `checksum = f, from = field`: `f` over the bytes written from the
    /// start of `from` up to this field.
    Checksum { func: &'a Expr, from: &'a Field<'a> },
    /// `wire = T, value = expr`: a wire-only field (`()`), `T` on the wire,
    /// always `expr`; `check` when decode checks it.
    WireOnly { value: &'a Expr, check: bool },
}

/// An expression over fields and the fields it names (a `calc`).
pub struct CalcExpr<'a> {
    pub expr: &'a Expr,
    pub uses: Vec<Use<'a>>,
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
        /// `id_from = name`: the context value choosing the variant; no
        /// discriminant is on the wire.
        id_from: Option<&'a CtxParam>,
        variants: Vec<VariantPlan<'a>>,
    },
}

pub struct VariantPlan<'a> {
    pub variant: &'a Variant<'a>,
    /// The wire id (for an `other` variant: the id it would have had).
    pub id: u64,
    /// An `other` variant: its first field holds the unknown discriminant.
    pub other: bool,
    /// `id = <pattern>`: the ids this variant takes (its `id` is then the
    /// pattern's least value).
    pub pat: Option<&'a syn::Pat>,
    /// The first field holds the discriminant (an `other` variant, or a
    /// pattern variant of an enum with a leading discriminant): decode
    /// puts the id read there, encode writes it from there.
    pub holds_id: bool,
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
    /// The body; its length is the context value `name` (`len_from` naming
    /// a `ctx` parameter), which counts `adds` more. Encode checks the
    /// length agrees, as it cannot write the parent's field.
    LenCtx {
        name: &'a Ident,
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
    /// `width` bits of a run of bit fields (`#[codec(bits = N)]`).
    Bits(BitField<'a>),
}

/// A bit field's place in its run: consecutive bit fields fill whole
/// bytes, read and written as one integer.
#[derive(Clone, Copy)]
pub struct BitField<'a> {
    pub width: u32,
    /// Its first bit, counted from the run's start in stream order.
    pub first: u32,
    /// Bits of the whole run (a multiple of 8, at most 64).
    pub run_bits: u32,
    /// Least significant bit first (`bit_order = "lsb"`).
    pub lsb: bool,
    /// The run's first field, whose name the run's locals take.
    pub leader: &'a Field<'a>,
    /// Encode checks the value fits (narrower than its type, or an enum).
    pub check: bool,
}

impl BitField<'_> {
    /// Whether this field starts its run.
    pub fn leads(&self) -> bool {
        self.first == 0
    }

    /// Whether this field ends its run.
    pub fn ends(&self) -> bool {
        self.first + self.width == self.run_bits
    }

    /// Bytes of the run.
    pub fn run_bytes(&self) -> usize {
        self.run_bits as usize / 8
    }

    /// How far right the run's integer is shifted to bring this field to
    /// its low bits.
    pub fn shift(&self) -> u32 {
        if self.lsb {
            self.first
        } else {
            self.run_bits - self.first - self.width
        }
    }
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
    /// It is a `calc` field, so encode reads the computed value.
    pub calc: bool,
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
    /// Padding before and after the field.
    pub padding: Padding,
    /// Where its written value comes from, when not the field.
    pub computed: Option<Computed<'a>>,
    /// A later `checksum` starts at this field.
    pub starts_checksum: bool,
    /// The field's `ctx(..)`: its type takes a context, built from these.
    pub ctx: Option<CtxPass<'a>>,
    /// A header's `payload_len` with `len_adds = N`: decoding a value below
    /// N is a `LengthBelowMin` error at the field.
    pub at_least: Option<u64>,
    /// `skip = expr`: what decode stores in this `skip` field instead of
    /// `Default` (a context value, such as a header flag).
    pub skip_value: Option<&'a Expr>,
}

/// The context a field passes to its type: `name = expr` pairs and the
/// earlier fields the expressions read.
pub struct CtxPass<'a> {
    pub args: &'a [CtxArg],
    pub uses: Vec<Use<'a>>,
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
    /// The struct's `size`, padded to after its fields.
    pub size: Option<TypeSize>,
    /// A struct's fields; `None` for an enum (laid out by its discriminant).
    pub fields: Option<Vec<FieldPlan<'a>>>,
}

/// What `#[derive(Protocol)]` reads.
pub struct Protocol<'a> {
    pub input: &'a Input<'a>,
    /// The frame header; `None` for the runtime's `StdHeader`.
    pub header: Option<&'a Path>,
    pub arms: Vec<Arm<'a>>,
    /// `service = Name`: the service trait to generate, if asked.
    pub service: Option<&'a Ident>,
    /// `correlate = Rules`: the type implementing `Correlate<Self>`.
    pub correlate: Option<&'a Path>,
}

/// A protocol variant and the message type it holds.
pub struct Arm<'a> {
    pub variant: &'a Ident,
    pub ty: &'a Type,
    /// The catch-all holding a `RawFrame`.
    pub other: bool,
    /// `#[codec(request)]`: the service method answers the message's
    /// `response` (required); other variants' methods have a default.
    pub request: bool,
    /// The variant's method in the service trait (its name in snake case).
    pub method: Ident,
    /// `ctx(name = expr, ..)`: the message takes a context, built from the
    /// frame header's value (`header`).
    pub ctx: Option<&'a [CtxArg]>,
    /// `header(field = expr, ..)`: header fields written from the message
    /// (`msg`), and checked against it on decode.
    pub header_fields: Option<&'a [CtxArg]>,
}

impl Arm<'_> {
    /// Whether the variant's frame header and message are tied together
    /// (`ctx` or `header`), so its frames need the header's value.
    pub fn ties_header(&self) -> bool {
        self.ctx.is_some() || self.header_fields.is_some()
    }
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
