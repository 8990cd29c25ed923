//! `#[codec(..)]` attributes parsed into typed values, one slot per key.

use proc_macro2::Span;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Ident, LitByteStr, LitInt, LitStr, Path, Type};

use crate::ctxt::Ctxt;

/// A key's value with the span of the key, set at most once.
pub struct Slot<T> {
    name: &'static str,
    value: Option<(T, Span)>,
}

impl<T> Slot<T> {
    fn new(name: &'static str) -> Self {
        Slot { name, value: None }
    }

    /// Sets the value, reporting a duplicate at its second use.
    fn set(&mut self, cx: &Ctxt, span: Span, value: T) {
        if self.value.is_some() {
            cx.syn_error(syn::Error::new(
                span,
                format!("duplicate `{}` attribute", self.name),
            ));
        } else {
            self.value = Some((value, span));
        }
    }

    pub fn get(&self) -> Option<&T> {
        self.value.as_ref().map(|(v, _)| v)
    }

    pub fn span(&self) -> Option<Span> {
        self.value.as_ref().map(|(_, s)| *s)
    }

    pub fn is_set(&self) -> bool {
        self.value.is_some()
    }
}

impl Slot<()> {
    fn flag(&mut self, cx: &Ctxt, span: Span) {
        self.set(cx, span, ());
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    Big,
    Little,
}

/// A length prefix or base-128 integer flavour. `U24`..`U56` and the
/// signed ones are for `len` only (not an enum's `repr`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum LenKind {
    U8,
    U16,
    U24,
    U32,
    U40,
    U48,
    U56,
    U64,
    I8,
    I16,
    I32,
    I64,
    Varint,
    Vlq,
}

/// Every `len` kind by name, and whether `repr` takes it too.
const LEN_KINDS: &[(&str, LenKind, bool)] = &[
    ("u8", LenKind::U8, true),
    ("u16", LenKind::U16, true),
    ("u24", LenKind::U24, false),
    ("u32", LenKind::U32, true),
    ("u40", LenKind::U40, false),
    ("u48", LenKind::U48, false),
    ("u56", LenKind::U56, false),
    ("u64", LenKind::U64, true),
    ("i8", LenKind::I8, false),
    ("i16", LenKind::I16, false),
    ("i32", LenKind::I32, false),
    ("i64", LenKind::I64, false),
    ("varint", LenKind::Varint, true),
    ("vlq", LenKind::Vlq, true),
];

impl LenKind {
    pub fn name(self) -> &'static str {
        LEN_KINDS
            .iter()
            .find(|(_, k, _)| *k == self)
            .map_or("?", |(n, _, _)| n)
    }

    /// The runtime's `LenPrefix` has it (u8, u16, u32, u64, varint, vlq):
    /// such a prefix without arithmetic keeps the plain, packed code.
    pub fn is_plain(self) -> bool {
        LEN_KINDS.iter().any(|(_, k, plain)| *k == self && *plain)
    }

    /// Bytes and signedness of a fixed-width prefix; `None` for base-128.
    pub fn width(self) -> Option<(u8, bool)> {
        Some(match self {
            LenKind::U8 => (1, false),
            LenKind::U16 => (2, false),
            LenKind::U24 => (3, false),
            LenKind::U32 => (4, false),
            LenKind::U40 => (5, false),
            LenKind::U48 => (6, false),
            LenKind::U56 => (7, false),
            LenKind::U64 => (8, false),
            LenKind::I8 => (1, true),
            LenKind::I16 => (2, true),
            LenKind::I32 => (4, true),
            LenKind::I64 => (8, true),
            LenKind::Varint | LenKind::Vlq => return None,
        })
    }

    /// The integer type of a plain fixed-width prefix (the ones a packed
    /// run reads); `None` for the others.
    pub fn fixed_int(self) -> Option<&'static str> {
        match self {
            LenKind::U8 | LenKind::U16 | LenKind::U32 | LenKind::U64 => Some(self.name()),
            _ => None,
        }
    }

    /// Bytes of the smallest encoding.
    pub fn min_len(self) -> usize {
        self.width().map_or(1, |(b, _)| b as usize)
    }

    /// The largest value it can carry.
    pub fn max(self) -> u64 {
        match self.width() {
            Some((8, false)) | None => u64::MAX,
            Some((b, true)) => (1u64 << (8 * b - 1)) - 1,
            Some((b, false)) => (1u64 << (8 * b)) - 1,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Elements,
}

/// `#[codec(varint)]` or `#[codec(vlq)]` on an integer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum IntEncoding {
    Varint,
    Vlq,
}

/// `assert(expr, "message")`: a condition over decoded values, checked on
/// decode (a `DecodeError`) and on encode (an `EncodeError`).
pub struct Assert {
    pub expr: Expr,
    pub message: LitStr,
}

/// `map = (Wire, to_wire, from_wire)` or `try_map = (..)`: the value
/// travels as `Wire`; `fallible` when the functions return
/// `Result<_, &'static str>` (`try_map`).
pub struct Conv {
    pub wire: Type,
    pub to_wire: Expr,
    pub from_wire: Expr,
    pub fallible: bool,
}

/// The order bits of a run fill their bytes in (`bit_order`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum BitOrder {
    /// Most significant bit first (network order; the default).
    Msb,
    /// Least significant bit first.
    Lsb,
}

fn parse_bit_order(meta: &ParseNestedMeta) -> syn::Result<BitOrder> {
    let s: LitStr = meta.value()?.parse()?;
    match s.value().as_str() {
        "msb" => Ok(BitOrder::Msb),
        "lsb" => Ok(BitOrder::Lsb),
        _ => Err(syn::Error::new(
            s.span(),
            "`bit_order` must be \"msb\" or \"lsb\"",
        )),
    }
}

/// `name: Type` in a type's `ctx(..)`: a value its parent passes in.
pub struct CtxParam {
    pub name: Ident,
    pub ty: Type,
}

/// `name = expr` in a field's `ctx(..)`: the value passed to the field's
/// type for its `ctx` parameter `name`.
pub struct CtxArg {
    pub name: Ident,
    pub expr: Expr,
}

/// `ctx(qos: u8, version: u16)` on a type.
fn parse_ctx_params(meta: &ParseNestedMeta) -> syn::Result<Vec<CtxParam>> {
    let usage = "`ctx` on a type declares its context: `ctx(name: Type, ..)`";
    let content;
    syn::parenthesized!(content in meta.input);
    let params = content
        .parse_terminated(
            |input| {
                let name: Ident = input.parse()?;
                let _: syn::Token![:] = input.parse()?;
                let ty: Type = input.parse()?;
                Ok(CtxParam { name, ty })
            },
            syn::Token![,],
        )
        .map_err(|e| syn::Error::new(e.span(), usage))?;
    if params.is_empty() {
        return Err(meta.error(usage));
    }
    Ok(params.into_iter().collect())
}

/// `ctx(qos = flags >> 1 & 3, version = 2)` on a field.
fn parse_ctx_args(meta: &ParseNestedMeta) -> syn::Result<Vec<CtxArg>> {
    parse_assignments(
        meta,
        "`ctx` on a field passes its type's context: `ctx(name = expr, ..)`",
    )
}

/// How `ctx(..)` on a protocol variant is written.
const VARIANT_CTX_USAGE: &str = "`ctx` on a protocol variant builds its message's context from \
     the frame header: `ctx(name = expr, ..)`, reading the header as `header`";

/// How `header(..)` on a protocol variant is written.
const VARIANT_HEADER_USAGE: &str = "`header` on a protocol variant sets frame header fields from \
     the message: `header(field = expr, ..)`, reading the message as `msg`";

/// `(name = expr, ..)`: a field's or a variant's `ctx`, a variant's
/// `header`; a malformed list is `usage`.
fn parse_assignments(meta: &ParseNestedMeta, usage: &str) -> syn::Result<Vec<CtxArg>> {
    let content;
    syn::parenthesized!(content in meta.input);
    let args = content
        .parse_terminated(
            |input| {
                let name: Ident = input.parse()?;
                let _: syn::Token![=] = input.parse()?;
                let expr: Expr = input.parse()?;
                Ok(CtxArg { name, expr })
            },
            syn::Token![,],
        )
        .map_err(|e| syn::Error::new(e.span(), usage))?;
    Ok(args.into_iter().collect())
}

/// A variant's `id`: an integer (`id = 5`), or a pattern of integers and
/// ranges (`id = 0x80..=0xff`, `id = 1 | 3`).
fn parse_variant_id(meta: &ParseNestedMeta) -> syn::Result<Result<LitInt, syn::Pat>> {
    let value = meta.value()?;
    let pat = syn::Pat::parse_multi(value)?;
    match pat {
        syn::Pat::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => Ok(Ok(i)),
        syn::Pat::Lit(syn::ExprLit {
            lit: syn::Lit::Byte(b),
            ..
        }) => Ok(Ok(byte_as_int(&b))),
        pat => Ok(Err(pat)),
    }
}

/// A byte literal as the integer it is: `id = b'Q'` reads like the
/// protocol documents that name message types by their letter.
fn byte_as_int(b: &syn::LitByte) -> LitInt {
    LitInt::new(&b.value().to_string(), b.span())
}

/// A message id: any constant expression, a byte literal as its integer.
fn parse_message_id(meta: &ParseNestedMeta) -> syn::Result<Expr> {
    Ok(match meta.value()?.parse()? {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Byte(b),
            attrs,
        }) => Expr::Lit(syn::ExprLit {
            attrs,
            lit: syn::Lit::Int(byte_as_int(&b)),
        }),
        expr => expr,
    })
}

/// Attributes on a struct or enum.
pub struct ContainerAttrs {
    pub endian: Slot<Endian>,
    pub crate_path: Slot<Path>,
    pub id: Slot<Expr>,
    pub repr: Slot<LenKind>,
    pub header: Slot<Path>,
    pub response: Slot<Type>,
    pub magic: Slot<LitByteStr>,
    /// `assert(expr, "message")` on a struct, over all its fields.
    pub assert: Slot<Assert>,
    /// `service = Name` on a protocol: the service trait to generate.
    pub service: Slot<Ident>,
    /// `size = N` on a struct: its encoding padded to exactly N bytes.
    pub size: Slot<LitInt>,
    /// `pad = B`: the byte the type's `size` pads with (NUL if none).
    pub pad: Slot<LitInt>,
    /// `pad_check`: decode checks the padding is all `pad` bytes.
    pub pad_check: Slot<()>,
    /// `bit_order = "msb" | "lsb"`: how runs of bit fields fill their
    /// bytes (`Lsb` when least significant bit first).
    pub bit_order: Slot<BitOrder>,
    /// `ctx(name: Type, ..)`: values the parent passes in.
    pub ctx: Slot<Vec<CtxParam>>,
    /// `id_from = name` (enums): the variant is chosen by the context
    /// value `name`; no discriminant is on the wire.
    pub id_from: Slot<Ident>,
    /// `correlate = Rules` on a protocol: the type implementing
    /// `Correlate<Self>` (which messages are requests, responses, one-way).
    pub correlate: Slot<Path>,
}

/// Attributes on a field.
pub struct FieldAttrs {
    pub len: Slot<LenKind>,
    pub len_from: Slot<Ident>,
    pub unit: Slot<Unit>,
    pub int: Slot<IntEncoding>,
    pub endian: Slot<Endian>,
    pub when: Slot<Expr>,
    pub rest: Slot<()>,
    /// `skip` / `skip = expr`: not on the wire; decode stores `Default`,
    /// or `expr` over earlier fields and the context (a header flag).
    pub skip: Slot<Option<Expr>>,
    pub tag: Slot<()>,
    /// `bytes = N`: an integer written in N bytes.
    pub bytes: Slot<LitInt>,
    /// `len_adds = N`: the length counts N more than the body.
    pub len_adds: Slot<LitInt>,
    /// `null = V`: the length value meaning `None`.
    pub null: Slot<(i64, Span)>,
    /// `magic = b".."`: constant bytes before the field.
    pub magic: Slot<LitByteStr>,
    /// `term` / `term = B`: the value ends with the byte B (NUL if none).
    pub term: Slot<Option<LitInt>>,
    /// `size = N`: the value fills exactly N bytes, padded.
    pub size: Slot<LitInt>,
    /// `pad = B`: the byte a `size` field is padded with (NUL if none).
    pub pad: Slot<LitInt>,
    /// `assert(expr, "message")`: a condition on this and earlier fields.
    pub assert: Slot<Assert>,
    /// `map = (..)` or `try_map = (..)`: the field travels as another type.
    pub conv: Slot<Conv>,
    /// `pad_before = N`: N padding bytes before the field.
    pub pad_before: Slot<LitInt>,
    /// `pad_after = N`: N padding bytes after the field.
    pub pad_after: Slot<LitInt>,
    /// `align = N`: padding so the field starts at a multiple of N bytes
    /// from the start of the type.
    pub align: Slot<LitInt>,
    /// `pad_check`: decode checks the padding is all `pad` bytes.
    pub pad_check: Slot<()>,
    /// `calc = expr`: encode writes `expr` (over the fields), not the value.
    pub calc: Slot<Expr>,
    /// `checksum = f`: encode writes `f(bytes)` over the bytes from the
    /// field `from` to here; decode checks it.
    pub checksum: Slot<Expr>,
    /// `from = field`: where a `checksum` starts.
    pub from: Slot<Ident>,
    /// `wire = T`: a wire-only field, travelling as `T`.
    pub wire: Slot<Type>,
    /// `value = expr`: the value a wire-only field holds on the wire.
    pub value: Slot<Expr>,
    /// `unchecked`: decode accepts any value of a wire-only field.
    pub unchecked: Slot<()>,
    /// `bits = N`: the value is N bits of a run of bit fields.
    pub bits: Slot<LitInt>,
    /// `ctx(name = expr, ..)`: the context passed to the field's type.
    pub ctx: Slot<Vec<CtxArg>>,
    /// `id`: in a `#[derive(Header)]` struct, the field holding the message id.
    pub id: Slot<()>,
    /// `payload_len`: in a `#[derive(Header)]` struct, the field holding
    /// the payload length (plus `len_adds`).
    pub payload_len: Slot<()>,
    /// `max_bytes = N`: a `varint`/`vlq` integer takes at most N bytes.
    pub max_bytes: Slot<LitInt>,
}

/// Attributes on an enum variant.
pub struct VariantAttrs {
    pub id: Slot<LitInt>,
    /// `id = <pattern>`: a range or `|` of ids (`id = 0x80..=0xff`).
    pub id_pat: Slot<syn::Pat>,
    pub other: Slot<()>,
    pub magic: Slot<LitByteStr>,
    /// `request` on a protocol variant: its method answers the message's
    /// `response`.
    pub request: Slot<()>,
    /// `ctx(name = expr, ..)` on a protocol variant: the message's context,
    /// from the frame header's value (named `header`).
    pub ctx: Slot<Vec<CtxArg>>,
    /// `header(field = expr, ..)` on a protocol variant: header fields
    /// written from the message (named `msg`).
    pub header: Slot<Vec<CtxArg>>,
}

fn codec_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("codec"))
}

fn key(meta: &ParseNestedMeta) -> String {
    meta.path.to_token_stream().to_string().replace(' ', "")
}

fn unknown(meta: &ParseNestedMeta, place: &str, known: &str) -> syn::Error {
    meta.error(format!(
        "unknown codec attribute `{}` on {place} (expected one of: {known})",
        key(meta)
    ))
}

fn parse_endian(meta: &ParseNestedMeta) -> syn::Result<Endian> {
    let s: LitStr = meta.value()?.parse()?;
    match s.value().as_str() {
        "big" => Ok(Endian::Big),
        "little" => Ok(Endian::Little),
        _ => Err(syn::Error::new(
            s.span(),
            "`endian` must be \"big\" or \"little\"",
        )),
    }
}

/// A `len` kind (`all`), or a `repr` (the plain ones only).
fn parse_len_kind(meta: &ParseNestedMeta, what: &str, all: bool) -> syn::Result<LenKind> {
    let id: Ident = meta.value()?.parse()?;
    let name = id.to_string();
    let allowed = LEN_KINDS.iter().filter(|(_, _, plain)| all || *plain);
    match allowed.clone().find(|(n, _, _)| *n == name) {
        Some((_, k, _)) => Ok(*k),
        None => {
            let names: Vec<_> = allowed.map(|(n, _, _)| *n).collect();
            Err(syn::Error::new(
                id.span(),
                format!("`{what}` must be one of {}", names.join(", ")),
            ))
        }
    }
}

/// `null = -1`: an integer literal, maybe negated.
fn parse_null(meta: &ParseNestedMeta) -> syn::Result<(i64, Span)> {
    let e: Expr = meta.value()?.parse()?;
    let bad = || syn::Error::new_spanned(&e, "`null` must be an integer literal such as -1 or 0");
    let (neg, lit) = match &e {
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => (true, &*u.expr),
        _ => (false, &e),
    };
    let Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Int(i),
        ..
    }) = lit
    else {
        return Err(bad());
    };
    let v: i64 = i.base10_parse()?;
    Ok((if neg { -v } else { v }, e.span()))
}

/// A byte: an integer literal (`0x0a`) or a byte literal (`b'\n'`), kept
/// as an integer literal (validation checks it fits a `u8`).
fn parse_byte(meta: &ParseNestedMeta) -> syn::Result<LitInt> {
    match meta.value()?.parse()? {
        syn::Lit::Int(i) => Ok(i),
        syn::Lit::Byte(b) => Ok(byte_as_int(&b)),
        other => Err(syn::Error::new(
            other.span(),
            "expected a byte: an integer such as `0x0a` or a byte literal such as `b' '`",
        )),
    }
}

/// `assert(expr, "message")`.
fn parse_assert(meta: &ParseNestedMeta) -> syn::Result<Assert> {
    let content;
    syn::parenthesized!(content in meta.input);
    let expr: Expr = content.parse()?;
    let _: syn::Token![,] = content.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            "`assert` takes a condition and a message: `assert(expr, \"message\")`",
        )
    })?;
    let message: LitStr = content.parse()?;
    if !content.is_empty() {
        return Err(
            content.error("`assert` takes a condition and a message: `assert(expr, \"message\")`")
        );
    }
    Ok(Assert { expr, message })
}

/// `map = (Wire, to_wire, from_wire)`, and the same for `try_map`.
fn parse_conv(meta: &ParseNestedMeta, fallible: bool) -> syn::Result<Conv> {
    let name = if fallible { "try_map" } else { "map" };
    let usage = format!(
        "`{name}` takes a wire type and two functions: `{name} = (u64, to_wire, from_wire)`"
    );
    let value = meta.value()?;
    let content;
    syn::parenthesized!(content in value);
    let parse = || -> syn::Result<Conv> {
        let wire: Type = content.parse()?;
        let _: syn::Token![,] = content.parse()?;
        let to_wire: Expr = content.parse()?;
        let _: syn::Token![,] = content.parse()?;
        let from_wire: Expr = content.parse()?;
        let _: Option<syn::Token![,]> = content.parse()?;
        if !content.is_empty() {
            return Err(content.error("unexpected tokens"));
        }
        Ok(Conv {
            wire,
            to_wire,
            from_wire,
            fallible,
        })
    };
    parse().map_err(|e| syn::Error::new(e.span(), &usage))
}

/// Parses every `#[codec(..)]` on `attrs` with `f` per key, recording errors.
fn each_key(
    cx: &Ctxt,
    attrs: &[Attribute],
    mut f: impl FnMut(&ParseNestedMeta) -> syn::Result<()>,
) {
    for attr in codec_attrs(attrs) {
        if let Err(e) = attr.parse_nested_meta(|meta| f(&meta)) {
            cx.syn_error(e);
        }
    }
}

impl ContainerAttrs {
    pub fn parse(cx: &Ctxt, attrs: &[Attribute], is_enum: bool) -> Self {
        let mut out = ContainerAttrs {
            endian: Slot::new("endian"),
            crate_path: Slot::new("crate"),
            id: Slot::new("id"),
            repr: Slot::new("repr"),
            header: Slot::new("header"),
            response: Slot::new("response"),
            magic: Slot::new("magic"),
            assert: Slot::new("assert"),
            service: Slot::new("service"),
            size: Slot::new("size"),
            pad: Slot::new("pad"),
            pad_check: Slot::new("pad_check"),
            bit_order: Slot::new("bit_order"),
            ctx: Slot::new("ctx"),
            id_from: Slot::new("id_from"),
            correlate: Slot::new("correlate"),
        };
        each_key(cx, attrs, |meta| {
            let span = meta.path.span();
            match key(meta).as_str() {
                "service" if is_enum => out.service.set(cx, span, meta.value()?.parse()?),
                "correlate" if is_enum => out.correlate.set(cx, span, meta.value()?.parse()?),
                "bit_order" => out.bit_order.set(cx, span, parse_bit_order(meta)?),
                "ctx" => out.ctx.set(cx, span, parse_ctx_params(meta)?),
                "id_from" if is_enum => out.id_from.set(cx, span, meta.value()?.parse()?),
                "endian" => out.endian.set(cx, span, parse_endian(meta)?),
                "assert" if !is_enum => out.assert.set(cx, span, parse_assert(meta)?),
                "crate" => {
                    let s: LitStr = meta.value()?.parse()?;
                    out.crate_path.set(cx, span, s.parse()?);
                }
                "id" => out.id.set(cx, span, parse_message_id(meta)?),
                "repr" if is_enum => out.repr.set(cx, span, parse_len_kind(meta, "repr", false)?),
                "magic" => out.magic.set(cx, span, meta.value()?.parse()?),
                "header" if is_enum => out.header.set(cx, span, meta.value()?.parse()?),
                "response" => out.response.set(cx, span, meta.value()?.parse()?),
                "size" if !is_enum => out.size.set(cx, span, meta.value()?.parse()?),
                "pad" if !is_enum => out.pad.set(cx, span, parse_byte(meta)?),
                "pad_check" if !is_enum => out.pad_check.flag(cx, span),
                _ if is_enum => {
                    return Err(unknown(
                        meta,
                        "an enum",
                        "endian, crate, repr, header, id, response, magic, service, bit_order, ctx, id_from, correlate",
                    ))
                }
                _ => return Err(unknown(
                    meta,
                    "a struct",
                    "endian, crate, id, response, magic, assert, size, pad, pad_check, bit_order, ctx",
                )),
            }
            Ok(())
        });
        out
    }
}

impl FieldAttrs {
    pub fn parse(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = FieldAttrs {
            len: Slot::new("len"),
            len_from: Slot::new("len_from"),
            unit: Slot::new("unit"),
            int: Slot::new("varint`/`vlq"),
            endian: Slot::new("endian"),
            when: Slot::new("when"),
            rest: Slot::new("rest"),
            skip: Slot::new("skip"),
            tag: Slot::new("tag"),
            bytes: Slot::new("bytes"),
            len_adds: Slot::new("len_adds"),
            null: Slot::new("null"),
            magic: Slot::new("magic"),
            term: Slot::new("term"),
            size: Slot::new("size"),
            pad: Slot::new("pad"),
            assert: Slot::new("assert"),
            conv: Slot::new("map`/`try_map"),
            pad_before: Slot::new("pad_before"),
            pad_after: Slot::new("pad_after"),
            align: Slot::new("align"),
            pad_check: Slot::new("pad_check"),
            calc: Slot::new("calc"),
            checksum: Slot::new("checksum"),
            from: Slot::new("from"),
            wire: Slot::new("wire"),
            value: Slot::new("value"),
            unchecked: Slot::new("unchecked"),
            bits: Slot::new("bits"),
            ctx: Slot::new("ctx"),
            id: Slot::new("id"),
            payload_len: Slot::new("payload_len"),
            max_bytes: Slot::new("max_bytes"),
        };
        each_key(cx, attrs, |meta| {
            let span = meta.path.span();
            match key(meta).as_str() {
                "ctx" => out.ctx.set(cx, span, parse_ctx_args(meta)?),
                "term" => {
                    let byte = if meta.input.peek(syn::Token![=]) {
                        Some(parse_byte(meta)?)
                    } else {
                        None
                    };
                    out.term.set(cx, span, byte);
                }
                "bits" => out.bits.set(cx, span, meta.value()?.parse()?),
                "size" => out.size.set(cx, span, meta.value()?.parse()?),
                "pad" => out.pad.set(cx, span, parse_byte(meta)?),
                "assert" => out.assert.set(cx, span, parse_assert(meta)?),
                "map" | "try_map" => {
                    let conv = parse_conv(meta, key(meta) == "try_map")?;
                    match out.conv.get() {
                        Some(prev) if prev.fallible != conv.fallible => {
                            cx.syn_error(meta.error(
                                "`map` conflicts with `try_map`: a field has one conversion",
                            ));
                        }
                        _ => out.conv.set(cx, span, conv),
                    }
                }
                "len" => out.len.set(cx, span, parse_len_kind(meta, "len", true)?),
                "bytes" => out.bytes.set(cx, span, meta.value()?.parse()?),
                "len_adds" => out.len_adds.set(cx, span, meta.value()?.parse()?),
                "null" => out.null.set(cx, span, parse_null(meta)?),
                "magic" => out.magic.set(cx, span, meta.value()?.parse()?),
                "len_from" => out.len_from.set(cx, span, meta.value()?.parse()?),
                "unit" => {
                    let id: Ident = meta.value()?.parse()?;
                    let unit = match id.to_string().as_str() {
                        "bytes" => Unit::Bytes,
                        "elements" => Unit::Elements,
                        _ => {
                            return Err(syn::Error::new(
                                id.span(),
                                "`unit` must be `bytes` or `elements`",
                            ))
                        }
                    };
                    out.unit.set(cx, span, unit);
                }
                "varint" | "vlq" => {
                    let enc = if key(meta) == "vlq" {
                        IntEncoding::Vlq
                    } else {
                        IntEncoding::Varint
                    };
                    match out.int.get() {
                        Some(prev) if *prev != enc => {
                            let (new, old) = if enc == IntEncoding::Vlq {
                                ("vlq", "varint")
                            } else {
                                ("varint", "vlq")
                            };
                            cx.syn_error(meta.error(format!(
                                "`{new}` conflicts with `{old}`: an integer has one encoding"
                            )));
                        }
                        _ => out.int.set(cx, span, enc),
                    }
                }
                "endian" => out.endian.set(cx, span, parse_endian(meta)?),
                "when" => out.when.set(cx, span, meta.value()?.parse()?),
                "rest" => out.rest.flag(cx, span),
                "skip" => {
                    let value = if meta.input.peek(syn::Token![=]) {
                        Some(meta.value()?.parse()?)
                    } else {
                        None
                    };
                    out.skip.set(cx, span, value);
                }
                "tag" => out.tag.flag(cx, span),
                "pad_before" => out.pad_before.set(cx, span, meta.value()?.parse()?),
                "pad_after" => out.pad_after.set(cx, span, meta.value()?.parse()?),
                "align" => out.align.set(cx, span, meta.value()?.parse()?),
                "pad_check" => out.pad_check.flag(cx, span),
                "calc" => out.calc.set(cx, span, meta.value()?.parse()?),
                "checksum" => out.checksum.set(cx, span, meta.value()?.parse()?),
                "from" => out.from.set(cx, span, meta.value()?.parse()?),
                "wire" => out.wire.set(cx, span, meta.value()?.parse()?),
                "value" => out.value.set(cx, span, meta.value()?.parse()?),
                "unchecked" => out.unchecked.flag(cx, span),
                "id" | "payload_len" => {
                    let role = key(meta);
                    if meta.input.peek(syn::Token![=]) {
                        return Err(meta.error(format!(
                            "`{role}` on a field takes no value: it marks the field holding the \
                             header's {}",
                            if role == "id" {
                                "message id"
                            } else {
                                "payload length"
                            }
                        )));
                    }
                    let slot = if role == "id" {
                        &mut out.id
                    } else {
                        &mut out.payload_len
                    };
                    slot.flag(cx, span);
                }
                "max_bytes" => out.max_bytes.set(cx, span, meta.value()?.parse()?),
                _ => {
                    return Err(unknown(
                        meta,
                        "a field",
                        "len, len_from, len_adds, null, unit, varint, vlq, bytes, endian, \
                         when, rest, skip, tag, magic, term, size, pad, assert, map, try_map, \
                         pad_before, pad_after, align, pad_check, calc, checksum, from, wire, \
                         value, unchecked, bits, ctx, id, payload_len, max_bytes",
                    ))
                }
            }
            Ok(())
        });
        out
    }
}

impl VariantAttrs {
    pub fn parse(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = VariantAttrs {
            id: Slot::new("id"),
            id_pat: Slot::new("id"),
            other: Slot::new("other"),
            magic: Slot::new("magic"),
            request: Slot::new("request"),
            ctx: Slot::new("ctx"),
            header: Slot::new("header"),
        };
        each_key(cx, attrs, |meta| {
            let span = meta.path.span();
            match key(meta).as_str() {
                // One `id` per variant, an integer or a pattern.
                "id" => match parse_variant_id(meta)? {
                    Ok(lit) if !out.id_pat.is_set() => out.id.set(cx, span, lit),
                    Err(pat) if !out.id.is_set() => out.id_pat.set(cx, span, pat),
                    _ => cx.syn_error(syn::Error::new(span, "duplicate `id` attribute")),
                },
                "other" => out.other.flag(cx, span),
                "magic" => out.magic.set(cx, span, meta.value()?.parse()?),
                "request" => out.request.flag(cx, span),
                "ctx" => out
                    .ctx
                    .set(cx, span, parse_assignments(meta, VARIANT_CTX_USAGE)?),
                "header" => {
                    out.header
                        .set(cx, span, parse_assignments(meta, VARIANT_HEADER_USAGE)?)
                }
                _ => {
                    return Err(unknown(
                        meta,
                        "a variant",
                        "id, other, magic, request, ctx, header",
                    ))
                }
            }
            Ok(())
        });
        out
    }
}
