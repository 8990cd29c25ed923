//! `#[codec(..)]` attributes parsed into typed values, one slot per key.

use proc_macro2::Span;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Ident, LitInt, LitStr, Path, Type};

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

/// A length prefix or base-128 integer flavour.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum LenKind {
    U8,
    U16,
    U32,
    U64,
    Varint,
    Vlq,
}

impl LenKind {
    pub fn name(self) -> &'static str {
        match self {
            LenKind::U8 => "u8",
            LenKind::U16 => "u16",
            LenKind::U32 => "u32",
            LenKind::U64 => "u64",
            LenKind::Varint => "varint",
            LenKind::Vlq => "vlq",
        }
    }

    /// The integer type of a fixed-width prefix; `None` for base-128 ones.
    pub fn fixed_int(self) -> Option<&'static str> {
        match self {
            LenKind::U8 => Some("u8"),
            LenKind::U16 => Some("u16"),
            LenKind::U32 => Some("u32"),
            LenKind::U64 => Some("u64"),
            LenKind::Varint | LenKind::Vlq => None,
        }
    }

    /// Bytes of the smallest encoding.
    pub fn min_len(self) -> usize {
        match self {
            LenKind::U8 | LenKind::Varint | LenKind::Vlq => 1,
            LenKind::U16 => 2,
            LenKind::U32 => 4,
            LenKind::U64 => 8,
        }
    }

    /// The largest value it can carry.
    pub fn max(self) -> u64 {
        match self {
            LenKind::U8 => u8::MAX as u64,
            LenKind::U16 => u16::MAX as u64,
            LenKind::U32 => u32::MAX as u64,
            _ => u64::MAX,
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

/// Attributes on a struct or enum.
pub struct ContainerAttrs {
    pub endian: Slot<Endian>,
    pub crate_path: Slot<Path>,
    pub id: Slot<Expr>,
    pub repr: Slot<LenKind>,
    pub header: Slot<Path>,
    pub response: Slot<Type>,
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
    pub skip: Slot<()>,
    pub tag: Slot<()>,
}

/// Attributes on an enum variant.
pub struct VariantAttrs {
    pub id: Slot<LitInt>,
    pub other: Slot<()>,
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

fn parse_len_kind(meta: &ParseNestedMeta, what: &str) -> syn::Result<LenKind> {
    let id: Ident = meta.value()?.parse()?;
    Ok(match id.to_string().as_str() {
        "u8" => LenKind::U8,
        "u16" => LenKind::U16,
        "u32" => LenKind::U32,
        "u64" => LenKind::U64,
        "varint" => LenKind::Varint,
        "vlq" => LenKind::Vlq,
        _ => {
            return Err(syn::Error::new(
                id.span(),
                format!("`{what}` must be one of u8, u16, u32, u64, varint, vlq"),
            ))
        }
    })
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
        };
        each_key(cx, attrs, |meta| {
            let span = meta.path.span();
            match key(meta).as_str() {
                "endian" => out.endian.set(cx, span, parse_endian(meta)?),
                "crate" => {
                    let s: LitStr = meta.value()?.parse()?;
                    out.crate_path.set(cx, span, s.parse()?);
                }
                "id" => out.id.set(cx, span, meta.value()?.parse()?),
                "repr" if is_enum => out.repr.set(cx, span, parse_len_kind(meta, "repr")?),
                "header" if is_enum => out.header.set(cx, span, meta.value()?.parse()?),
                "response" => out.response.set(cx, span, meta.value()?.parse()?),
                _ if is_enum => {
                    return Err(unknown(
                        meta,
                        "an enum",
                        "endian, crate, repr, header, id, response",
                    ))
                }
                _ => return Err(unknown(meta, "a struct", "endian, crate, id, response")),
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
        };
        each_key(cx, attrs, |meta| {
            let span = meta.path.span();
            match key(meta).as_str() {
                "len" => out.len.set(cx, span, parse_len_kind(meta, "len")?),
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
                "skip" => out.skip.flag(cx, span),
                "tag" => out.tag.flag(cx, span),
                _ => {
                    return Err(unknown(
                        meta,
                        "a field",
                        "len, len_from, unit, varint, vlq, endian, when, rest, skip, tag",
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
            other: Slot::new("other"),
        };
        each_key(cx, attrs, |meta| {
            let span = meta.path.span();
            match key(meta).as_str() {
                "id" => out.id.set(cx, span, meta.value()?.parse()?),
                "other" => out.other.flag(cx, span),
                _ => return Err(unknown(meta, "a variant", "id, other")),
            }
            Ok(())
        });
        out
    }
}
