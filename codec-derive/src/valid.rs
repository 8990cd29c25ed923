//! Rules that span several attributes or fields, and the validated model
//! built from the parsed input. Each rule records its errors in the
//! `Ctxt`, so one run reports every problem.

use std::collections::BTreeMap;

use proc_macro2::Span;

use syn::{Expr, Lit};

use crate::ast::{
    integer_width, is_fixed_width, is_integer, is_scalar, option_inner, referenced_fields,
    type_head, Body, Field, Input, Shape, Variant,
};
use crate::attr::{Endian, IntEncoding, LenKind, Unit};
use crate::ctxt::Ctxt;
use crate::model::{
    Arm, Check, Derive, FieldPlan, FrameHeader, Layout, LayoutBody, LenOf, Message, Packed, Prefix,
    Presence, Protocol, Role, Use, Validated, VariantPlan, Wire,
};

/// Checks the input for one derive; returns its model, or `None` when the
/// input is invalid (the errors are in `cx`).
pub fn check<'a>(cx: &Ctxt, input: &'a Input<'a>, which: Derive) -> Option<Validated<'a>> {
    match which {
        Derive::Encode => layout(cx, input).map(Validated::Encode),
        Derive::Decode => layout(cx, input).map(Validated::Decode),
        Derive::Message => message(cx, input).map(Validated::Message),
        Derive::Protocol => protocol(cx, input).map(Validated::Protocol),
        Derive::Header => header(cx, input).map(Validated::Header),
    }
}

/// The wire layout, for `Encode` and `Decode`.
fn layout<'a>(cx: &Ctxt, input: &'a Input<'a>) -> Option<Layout<'a>> {
    // Big-endian unless the type says otherwise; fields may override.
    let order = input.attrs.endian.get().copied().unwrap_or(Endian::Big);
    let body = match &input.body {
        Body::Struct(fields) => {
            check_fields(cx, fields);
            LayoutBody::Struct(plan(fields, order)?)
        }
        Body::Enum(variants) => {
            for v in variants {
                check_fields(cx, &v.fields);
                check_other_variant(cx, v);
            }
            check_single_other(cx, variants);
            let by_magic = check_variant_magic(cx, input, variants);
            let repr = input.attrs.repr.get().copied().unwrap_or(LenKind::U8);
            let ids = resolve_ids(cx, variants, repr);
            let variants = variants
                .iter()
                .zip(ids)
                .map(|(variant, id)| {
                    Some(VariantPlan {
                        variant,
                        id,
                        other: variant.attrs.other.is_set(),
                        magic: variant.attrs.magic.get(),
                        fields: plan(&variant.fields, order)?,
                    })
                })
                .collect::<Option<_>>()?;
            LayoutBody::Enum {
                repr,
                order,
                by_magic,
                variants,
            }
        }
    };
    if let Some(m) = input.attrs.magic.get() {
        check_magic_nonempty(cx, m);
    }
    // A struct's `assert` reads any of its fields, after all of them.
    let assert = match &input.body {
        Body::Struct(fields) => input.attrs.assert.get().map(|assert| Check {
            assert,
            uses: uses_of(&assert.expr, fields),
        }),
        Body::Enum(_) => None,
    };
    Some(Layout {
        input,
        magic: input.attrs.magic.get(),
        body,
        assert,
    })
}

/// Each field's layout, with every attribute resolved. `None` only where
/// a rule has recorded an error (a missing `len_from` field, `when` on a
/// non-`Option`).
fn plan<'a>(fields: &'a [Field<'a>], container: Endian) -> Option<Vec<FieldPlan<'a>>> {
    let mut plans = fields
        .iter()
        .map(|f| {
            let a = &f.attrs;
            let unit = unit_of(f);
            let adds = adds_of(f);
            let wire = if a.skip.is_set() {
                Wire::Skip
            } else if let Some(k) = a.len.get() {
                let prefix = Prefix {
                    kind: *k,
                    adds,
                    null: a.null.get().map(|(v, _)| *v),
                };
                Wire::Prefixed(prefix, unit)
            } else if let Some(h) = a.len_from.get() {
                let holder = fields.iter().find(|g| *h == g.name)?;
                Wire::LenFrom { holder, unit, adds }
            } else if let Some(n) = a.bytes.get() {
                Wire::IntN {
                    bytes: n.base10_parse().ok()?,
                    signed: integer_width(value_type(f))?.1,
                }
            } else if let Some(byte) = a.term.get() {
                Wire::Term {
                    byte: byte_of(byte.as_ref())?,
                }
            } else if let Some(size) = a.size.get() {
                Wire::Padded {
                    size: size.base10_parse().ok()?,
                    pad: byte_of(a.pad.get())?,
                }
            } else if a.rest.is_set() {
                Wire::Rest
            } else if let Some(i) = a.int.get() {
                Wire::Base128 {
                    vlq: *i == IntEncoding::Vlq,
                    max_bytes: a.max_bytes.get().and_then(|n| n.base10_parse().ok()),
                }
            } else {
                Wire::Plain
            };
            let presence = match (a.when.get(), option_inner(f.ty), &wire) {
                // A converted field's whole value travels as the wire type.
                _ if a.conv.is_set() => Presence::Always,
                (Some(expr), _, _) => Presence::When {
                    expr,
                    uses: uses_of(expr, fields),
                },
                (None, Some(_), Wire::Prefixed(prefix, _)) if prefix.null.is_some() => {
                    Presence::Null
                }
                (
                    None,
                    Some(_),
                    Wire::Prefixed(..)
                    | Wire::LenFrom { .. }
                    | Wire::Base128 { .. }
                    | Wire::IntN { .. }
                    | Wire::Term { .. }
                    | Wire::Padded { .. },
                ) => Presence::Byte,
                _ => Presence::Always,
            };
            let ty = match (presence_is_always(&presence), a.conv.get()) {
                (_, Some(conv)) => &conv.wire,
                (true, None) => f.ty,
                (false, None) => option_inner(f.ty)?,
            };
            // Runs hold plain scalars and plain prefixes: `bytes = N`
            // integers, arithmetic prefixes and magic bytes are written on
            // their own, and so are converted or asserted values (checked
            // right after their own read).
            // A header length with `len_adds` is checked after its read too.
            let alone = a.magic.is_set()
                || a.conv.is_set()
                || a.assert.is_set()
                || (a.payload_len.is_set() && adds > 0);
            let packed = match (&presence, &wire, alone) {
                (Presence::Always, Wire::Plain, false) if is_fixed_width(ty) => {
                    Some(Packed::Scalar)
                }
                (Presence::Always, Wire::Prefixed(prefix, _), false)
                    if prefix.is_plain() && prefix.kind.fixed_int().is_some() =>
                {
                    Some(Packed::Prefix(prefix.kind))
                }
                _ => None,
            };
            Some(FieldPlan {
                field: f,
                ty,
                wire,
                presence,
                order: a.endian.get().copied().unwrap_or(container),
                packed,
                holds_len_of: None,
                magic: a.magic.get(),
                conv: a.conv.get(),
                assert: a.assert.get().map(|assert| Check {
                    assert,
                    uses: uses_of(&assert.expr, fields),
                }),
                at_least: (a.payload_len.is_set() && adds > 0).then_some(adds),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    // Each length holder learns the sequence it measures, as planned.
    for i in 0..plans.len() {
        let Some(seq) = holds_len_of(fields, &fields[i]) else {
            continue;
        };
        let seq = &plans[seq.index];
        let len_of = LenOf {
            seq: seq.field,
            seq_ty: seq.ty,
            optional: !matches!(seq.presence, Presence::Always),
            unit: unit_of(seq.field),
            adds: adds_of(seq.field),
        };
        plans[i].holds_len_of = Some(len_of);
    }
    Some(plans)
}

/// A `term` or `pad` byte: the literal, else NUL. `None` only where
/// `check_byte_lit` has recorded an error.
fn byte_of(lit: Option<&syn::LitInt>) -> Option<u8> {
    lit.map_or(Some(0), |l| l.base10_parse().ok())
}

fn presence_is_always(p: &Presence) -> bool {
    matches!(p, Presence::Always)
}

/// The fields `expr` names (a `when` or an `assert`), each with whether
/// it holds another field's length (encode then reads the computed one).
fn uses_of<'a>(expr: &Expr, fields: &'a [Field<'a>]) -> Vec<Use<'a>> {
    referenced_fields(expr, fields)
        .into_iter()
        .map(|field| Use {
            field,
            holds_len: holds_len_of(fields, field).is_some(),
        })
        .collect()
}

/// What a field's length counts: `unit`, else elements.
fn unit_of(f: &Field) -> Unit {
    f.attrs.unit.get().copied().unwrap_or(Unit::Elements)
}

/// What a field's length counts beyond its body: `len_adds`, else 0.
fn adds_of(f: &Field) -> u64 {
    f.attrs
        .len_adds
        .get()
        .and_then(|n| n.base10_parse().ok())
        .unwrap_or(0)
}

/// The later field whose `len_from` names `f`.
fn holds_len_of<'a>(fields: &'a [Field<'a>], f: &Field) -> Option<&'a Field<'a>> {
    fields.iter().find(|g| {
        g.attrs
            .len_from
            .get()
            .is_some_and(|target| *target == f.name)
    })
}

/// `#[derive(Message)]`: the layout rules, and the id its frames carry.
fn message<'a>(cx: &Ctxt, input: &'a Input<'a>) -> Option<Message<'a>> {
    check_message(cx, input);
    let layout = layout(cx, input);
    let fields = match layout?.body {
        LayoutBody::Struct(plans) => Some(plans),
        LayoutBody::Enum { .. } => None,
    };
    let tag = match &input.body {
        Body::Struct(fields) => fields.iter().find(|f| f.attrs.tag.is_set()),
        Body::Enum(_) => None,
    };
    Some(Message {
        input,
        id: input.attrs.id.get()?,
        response: input.attrs.response.get(),
        tag,
        layout_magic: input.attrs.magic.get(),
        fields,
    })
}

/// `#[derive(Protocol)]`: an enum of messages.
fn protocol<'a>(cx: &Ctxt, input: &'a Input<'a>) -> Option<Protocol<'a>> {
    check_protocol(cx, input);
    let Body::Enum(variants) = &input.body else {
        return None;
    };
    let arms = variants
        .iter()
        .map(|v| {
            Some(Arm {
                variant: v.ident,
                ty: v.fields.first()?.ty,
                other: v.attrs.other.is_set(),
            })
        })
        .collect::<Option<_>>()?;
    Some(Protocol {
        input,
        header: input.attrs.header.get(),
        arms,
    })
}

fn check_fields(cx: &Ctxt, fields: &[Field]) {
    let mut holders: BTreeMap<String, &Field> = BTreeMap::new();
    let mut tag: Option<&Field> = None;
    for (i, f) in fields.iter().enumerate() {
        check_skip_alone(cx, f);
        check_one_length_source(cx, f);
        check_when_on_option(cx, f);
        let value_ty = value_type(f);
        check_len_has_length(cx, f, value_ty);
        check_int_encoding(cx, f, value_ty);
        check_unit_needs_length(cx, f);
        check_rest_last(cx, fields, i);
        check_len_from(cx, fields, i, &mut holders);
        check_tag(cx, f, &mut tag);
        check_when_uses_earlier(cx, fields, i);
        check_bytes(cx, f, value_ty);
        check_len_adds(cx, f);
        check_null(cx, f);
        check_term(cx, f, value_ty);
        check_size(cx, f, value_ty);
        if let Some(m) = f.attrs.magic.get() {
            check_magic_nonempty(cx, m);
        }
        check_assert_uses_earlier(cx, fields, i);
        check_conv_alone(cx, f);
        check_max_bytes(cx, f, value_ty);
    }
}

/// `max_bytes = N` caps a base-128 integer (MQTT's remaining length takes
/// at most 4 bytes): there must be one, and N must be a length it can
/// take (1 up to what its type ever needs), or the cap would be a typo.
fn check_max_bytes(cx: &Ctxt, f: &Field, value_ty: &syn::Type) {
    let a = &f.attrs;
    let Some(lit) = a.max_bytes.get() else {
        return;
    };
    if !a.int.is_set() {
        err(
            cx,
            a.max_bytes.span(),
            "`max_bytes` caps a `varint` or `vlq` integer: add `varint` or `vlq` to the field",
        );
        return;
    }
    // Base-128 takes 7 bits a byte; signed types are zigzag-mapped to as
    // many bits.
    let most = integer_width(value_ty).map_or(10, |(w, _)| (8 * w).div_ceil(7));
    match lit.base10_parse::<usize>() {
        Ok(n) if (1..=most).contains(&n) => {}
        _ => cx.error_spanned_by(
            lit,
            format!(
                "`max_bytes` must be from 1 to {most} (the most a base-128 `{}` takes)",
                quote::quote!(#value_ty)
            ),
        ),
    }
}

/// A field's `assert` runs right after the field is decoded, when only it
/// and earlier fields exist; encode checks the same condition.
fn check_assert_uses_earlier(cx: &Ctxt, fields: &[Field], i: usize) {
    let Some(assert) = fields[i].attrs.assert.get() else {
        return;
    };
    for later in referenced_fields(&assert.expr, &fields[i + 1..]) {
        cx.error_spanned_by(
            &assert.expr,
            format!(
                "`assert` of `{}` may only use it and earlier fields; `{}` comes after it \
                 (put the `assert` on the type to check all fields)",
                fields[i].name, later.name
            ),
        );
    }
}

/// `map`/`try_map` hand the whole field to the user's functions, which
/// decide its wire type: attributes that shape a length, presence,
/// terminator or fixed size would apply to a value the derive never sees (the wire type's own
/// `bytes`, `varint`/`vlq` and `endian` still apply).
fn check_conv_alone(cx: &Ctxt, f: &Field) {
    let a = &f.attrs;
    let Some(conv) = a.conv.get() else {
        return;
    };
    let name = if conv.fallible { "try_map" } else { "map" };
    let others = [
        ("len", a.len.span()),
        ("len_from", a.len_from.span()),
        ("rest", a.rest.span()),
        ("when", a.when.span()),
        ("null", a.null.span()),
        ("len_adds", a.len_adds.span()),
        ("unit", a.unit.span()),
        ("term", a.term.span()),
        ("size", a.size.span()),
        ("pad", a.pad.span()),
    ];
    for (other, span) in others {
        if span.is_some() {
            err(
                cx,
                span,
                format!(
                    "`{other}` conflicts with `{name}`: the wire type's own encoding is used; \
                     convert to a type that has the length or presence you need"
                ),
            );
        }
    }
}

/// `bytes = N` writes an integer in N bytes: an integer type at least N
/// bytes wide (so every value read fits it), N from 1 to 8, and one
/// encoding per integer.
fn check_bytes(cx: &Ctxt, f: &Field, value_ty: &syn::Type) {
    let a = &f.attrs;
    let Some(lit) = a.bytes.get() else {
        return;
    };
    let Some((width, _)) = integer_width(value_ty) else {
        err(
            cx,
            a.bytes.span(),
            format!(
                "`bytes` applies to integer fields, not `{}`",
                quote::quote!(#value_ty)
            ),
        );
        return;
    };
    match lit.base10_parse::<usize>() {
        Ok(n @ 1..=8) if n <= width => {}
        Ok(n @ 1..=8) => cx.error_spanned_by(
            lit,
            format!(
                "`bytes = {n}` is wider than `{}` ({width} bytes): use a wider integer type",
                quote::quote!(#value_ty)
            ),
        ),
        _ => cx.error_spanned_by(lit, "`bytes` must be from 1 to 8"),
    }
    if a.int.is_set() {
        err(
            cx,
            a.bytes.span(),
            "`bytes` conflicts with `varint`/`vlq`: an integer has one encoding",
        );
    }
}

/// `len_adds` changes what a length counts, so there must be a length.
fn check_len_adds(cx: &Ctxt, f: &Field) {
    let a = &f.attrs;
    let Some(lit) = a.len_adds.get() else {
        return;
    };
    if let Err(e) = lit.base10_parse::<u64>() {
        cx.syn_error(e);
    }
    // A header's `payload_len` is a length too: its value counts the payload.
    if !(a.len.is_set() || a.len_from.is_set() || a.payload_len.is_set()) {
        err(
            cx,
            a.len_adds.span(),
            "`len_adds` needs `len`, `len_from` or `payload_len` on the same field",
        );
    }
}

/// `null` is a value of the inline prefix that no length can take
/// (negative in a signed prefix, or below `len_adds`), on an `Option<T>`
/// whose `None` it stands for.
fn check_null(cx: &Ctxt, f: &Field) {
    let a = &f.attrs;
    let Some((null, null_span)) = a.null.get() else {
        return;
    };
    let Some(kind) = a.len.get() else {
        err(
            cx,
            a.null.span(),
            "`null` needs `len = ..` on the same field (the length prefix holds it)",
        );
        return;
    };
    if option_inner(f.ty).is_none() || a.when.is_set() {
        err(
            cx,
            a.null.span(),
            "`null` needs an `Option<T>` field without `when`: `None` is the null length",
        );
    }
    let adds = adds_of(f);
    let fits = match kind.width() {
        Some((b, true)) => {
            let half = 1i128 << (8 * b - 1);
            (-half..half).contains(&i128::from(*null))
        }
        _ => *null >= 0 && (*null as u64) <= kind.max(),
    };
    if !fits {
        cx.syn_error(syn::Error::new(
            *null_span,
            format!("`null = {null}` does not fit `len = {}`", kind.name()),
        ));
    } else if *null >= 0 && (*null as u64) >= adds {
        cx.syn_error(syn::Error::new(
            *null_span,
            format!(
                "`null = {null}` is a length a value can have: use a negative one with a signed \
                 `len` (`len = i32, null = -1`) or one below `len_adds` (`len_adds = 1, null = 0`)"
            ),
        ));
    }
}

/// What a terminator may end: `Some(true)` for a list (`Vec<T>`),
/// `Some(false)` for a string or byte string (`String`, `&str`, `&[u8]`).
fn term_target(ty: &syn::Type) -> Option<bool> {
    match ty {
        syn::Type::Reference(r) => match &*r.elem {
            syn::Type::Path(p) if p.path.is_ident("str") => Some(false),
            syn::Type::Slice(sl) if is_u8(&sl.elem) => Some(false),
            _ => None,
        },
        _ => match type_head(ty) {
            Some((name, args)) if name == "String" && args.is_empty() => Some(false),
            Some((name, args)) if name == "Vec" && args.len() == 1 => Some(!is_u8(args[0])),
            _ => None,
        },
    }
}

fn is_u8(ty: &syn::Type) -> bool {
    matches!(type_head(ty), Some((name, args)) if name == "u8" && args.is_empty())
}

/// A `term` or `pad` value is one byte.
fn check_byte_lit(cx: &Ctxt, key: &str, lit: &syn::LitInt) {
    if lit.base10_parse::<u8>().is_err() {
        cx.error_spanned_by(
            lit,
            format!("`{key}` must be a byte from 0 to 255, such as `{key} = 0x0a`"),
        );
    }
}

/// The keys that say where a value ends other than `term` and `size`:
/// each conflicts with them (a value ends in one way).
fn end_keys(a: &crate::attr::FieldAttrs) -> [(&'static str, Option<Span>); 8] {
    [
        ("len", a.len.span()),
        ("len_from", a.len_from.span()),
        ("rest", a.rest.span()),
        ("unit", a.unit.span()),
        ("len_adds", a.len_adds.span()),
        ("null", a.null.span()),
        ("bytes", a.bytes.span()),
        ("varint`/`vlq", a.int.span()),
    ]
}

/// `term` ends a string, byte string or list with a byte that cannot occur
/// inside it; a length, `rest` or a fixed `size` would say the same thing
/// twice, and could disagree.
fn check_term(cx: &Ctxt, f: &Field, value_ty: &syn::Type) {
    // An `Option<T>` without `when` has a presence byte, then `T`.
    let value_ty = option_inner(value_ty).unwrap_or(value_ty);
    let a = &f.attrs;
    let Some(byte) = a.term.get() else {
        return;
    };
    if let Some(lit) = byte {
        check_byte_lit(cx, "term", lit);
    }
    if term_target(value_ty).is_none() {
        err(
            cx,
            a.term.span(),
            format!(
                "`term` applies to String, &str, &[u8] and Vec<T>, not `{}`: use a string, \
                 a byte string or a list",
                quote::quote!(#value_ty)
            ),
        );
    }
    for (name, span) in end_keys(a)
        .into_iter()
        .chain([("size", a.size.span()), ("pad", a.pad.span())])
    {
        if span.is_some() {
            err(
                cx,
                span,
                format!(
                    "`{name}` conflicts with `term`: a terminated value ends at its terminator; \
                     remove `{name}` or `term`"
                ),
            );
        }
    }
}

/// `size = N` fills exactly N bytes with a string or byte string and its
/// padding (`pad`, NUL by default); its length is N, so no other length
/// may be given. `pad` means nothing without `size`.
fn check_size(cx: &Ctxt, f: &Field, value_ty: &syn::Type) {
    // An `Option<T>` without `when` has a presence byte, then `T`.
    let value_ty = option_inner(value_ty).unwrap_or(value_ty);
    let a = &f.attrs;
    if let Some(pad) = a.pad.get() {
        check_byte_lit(cx, "pad", pad);
        if !a.size.is_set() {
            err(
                cx,
                a.pad.span(),
                "`pad` needs `size = N` on the same field (it fills the rest of the N bytes)",
            );
        }
    }
    let Some(size) = a.size.get() else {
        return;
    };
    match size.base10_parse::<usize>() {
        Ok(n) if n >= 1 => {}
        _ => cx.error_spanned_by(size, "`size` must be a byte count of at least 1"),
    }
    if term_target(value_ty) != Some(false) && !is_u8_vec(value_ty) {
        err(
            cx,
            a.size.span(),
            format!(
                "`size` applies to String, &str, Vec<u8> and &[u8], not `{}`",
                quote::quote!(#value_ty)
            ),
        );
    }
    if a.term.is_set() {
        return; // `check_term` reports the conflict.
    }
    for (name, span) in end_keys(a) {
        if span.is_some() {
            err(
                cx,
                span,
                format!(
                    "`{name}` conflicts with `size`: a fixed-size value is always `size` bytes; \
                     remove `{name}` or `size`"
                ),
            );
        }
    }
}

fn is_u8_vec(ty: &syn::Type) -> bool {
    matches!(type_head(ty), Some((name, args)) if name == "Vec" && args.len() == 1 && is_u8(args[0]))
}

/// Magic bytes are there to be checked: an empty one checks nothing.
fn check_magic_nonempty(cx: &Ctxt, m: &syn::LitByteStr) {
    if m.value().is_empty() {
        cx.error_spanned_by(m, "`magic` needs at least one byte");
    }
}

/// An enum is chosen by discriminant or by magic, not both: variant
/// magics on every variant (and no `id`, `other` or `repr`) choose it by
/// magic, tried in declaration order. Returns whether it is.
fn check_variant_magic(cx: &Ctxt, input: &Input, variants: &[Variant]) -> bool {
    let with: Vec<_> = variants.iter().filter(|v| v.attrs.magic.is_set()).collect();
    if with.is_empty() {
        return false;
    }
    for v in variants {
        if let Some(m) = v.attrs.magic.get() {
            check_magic_nonempty(cx, m);
        } else {
            cx.error_spanned_by(
                v.ident,
                format!(
                    "variant `{}` needs a `magic`: an enum chosen by magic has one on every variant",
                    v.ident
                ),
            );
        }
        for (name, span) in [("id", v.attrs.id.span()), ("other", v.attrs.other.span())] {
            if span.is_some() {
                err(
                    cx,
                    span,
                    format!("`{name}` conflicts with `magic`: a variant is chosen by one of them"),
                );
            }
        }
        if !v.attrs.id.is_set() && v.original.discriminant.is_some() {
            cx.error_spanned_by(
                v.ident,
                "a discriminant conflicts with `magic`: a variant is chosen by one of them",
            );
        }
    }
    if input.attrs.repr.is_set() {
        err(
            cx,
            input.attrs.repr.span(),
            "`repr` conflicts with variant `magic`: the enum has no discriminant",
        );
    }
    check_magics_prefix_free(cx, variants);
    true
}

/// No variant's magic may begin another's: after the shorter one the
/// input would choose either variant (`b"tE"` then a byte `X` reads as the
/// first bytes of `b"tEXt"`), so one of them could not round-trip or could
/// never be chosen.
fn check_magics_prefix_free(cx: &Ctxt, variants: &[Variant]) {
    let magics: Vec<_> = variants
        .iter()
        .filter_map(|v| v.attrs.magic.get().map(|m| (v, m.value())))
        .filter(|(_, m)| !m.is_empty()) // reported by `check_magic_nonempty`
        .collect();
    for (i, (a, ma)) in magics.iter().enumerate() {
        for (b, mb) in &magics[i + 1..] {
            let (short, long) = if ma.len() <= mb.len() {
                ((a, ma), (b, mb))
            } else {
                ((b, mb), (a, ma))
            };
            if long.1.starts_with(short.1) {
                cx.error_spanned_by(
                    b.ident,
                    format!(
                        "the magic of `{}` begins the magic of `{}`: the input cannot tell them apart; make neither a prefix of the other",
                        short.0.ident, long.0.ident
                    ),
                );
            }
        }
    }
}

/// `when` is evaluated while decoding, when only earlier fields exist; an
/// encoder that accepted a later one would write bytes nobody can read.
fn check_when_uses_earlier(cx: &Ctxt, fields: &[Field], i: usize) {
    let Some(expr) = fields[i].attrs.when.get() else {
        return;
    };
    for later in referenced_fields(expr, &fields[i..]) {
        let name = &later.name;
        let what = if later.name == fields[i].name {
            format!("`when` of `{name}` cannot use `{name}` itself")
        } else {
            format!(
                "`when` may only use earlier fields; `{name}` comes after `{}`",
                fields[i].name
            )
        };
        cx.error_spanned_by(expr, what);
    }
}

/// The type the value attributes apply to: the wire type of a `map` or
/// `try_map`, `T` for an `Option<T>` field with `when`, the field's type
/// otherwise.
fn value_type<'a>(f: &'a Field<'a>) -> &'a syn::Type {
    if let Some(conv) = f.attrs.conv.get() {
        &conv.wire
    } else if f.attrs.when.is_set() {
        option_inner(f.ty).unwrap_or(f.ty)
    } else {
        f.ty
    }
}

/// `skip` fields are not on the wire, so no wire attribute can apply.
fn check_skip_alone(cx: &Ctxt, f: &Field) {
    let a = &f.attrs;
    if !a.skip.is_set() {
        return;
    }
    let others = [
        ("len", a.len.span()),
        ("len_from", a.len_from.span()),
        ("unit", a.unit.span()),
        ("varint`/`vlq", a.int.span()),
        ("bytes", a.bytes.span()),
        ("len_adds", a.len_adds.span()),
        ("null", a.null.span()),
        ("magic", a.magic.span()),
        ("term", a.term.span()),
        ("size", a.size.span()),
        ("pad", a.pad.span()),
        ("endian", a.endian.span()),
        ("when", a.when.span()),
        ("rest", a.rest.span()),
        ("tag", a.tag.span()),
        ("assert", a.assert.span()),
        ("map`/`try_map", a.conv.span()),
    ];
    for (name, span) in others {
        if span.is_some() {
            err(
                cx,
                span,
                format!("`{name}` has no effect on a `skip` field, which is not on the wire"),
            );
        }
    }
}

/// A body's length comes from exactly one place.
fn check_one_length_source(cx: &Ctxt, f: &Field) {
    let a = &f.attrs;
    let sources = [
        ("len", a.len.span()),
        ("len_from", a.len_from.span()),
        ("rest", a.rest.span()),
    ];
    let set: Vec<_> = sources.iter().filter(|(_, s)| s.is_some()).collect();
    if set.len() > 1 {
        err(
            cx,
            set[1].1,
            format!(
                "`{}` conflicts with `{}`: a field's length comes from one place",
                set[1].0, set[0].0
            ),
        );
    }
}

/// `when` decides presence, so the field must be able to be absent.
fn check_when_on_option(cx: &Ctxt, f: &Field) {
    if f.attrs.when.is_set() && option_inner(f.ty).is_none() {
        err(cx, f.attrs.when.span(), "`when` needs an `Option<T>` field");
    }
}

/// A length prefix needs something with a length (String, Vec, slices).
/// (With `map`/`try_map`, the conflict is the one error reported.)
fn check_len_has_length(cx: &Ctxt, f: &Field, value_ty: &syn::Type) {
    if f.attrs.conv.is_set() {
        return;
    }
    for (name, span) in [
        ("len", f.attrs.len.span()),
        ("len_from", f.attrs.len_from.span()),
        ("rest", f.attrs.rest.span()),
    ] {
        if span.is_some() && is_scalar(value_ty) {
            err(
                cx,
                span,
                format!(
                    "`{name}` needs a type with a length (String, Vec<T>, &str, &[u8], ...), not `{}`",
                    quote::quote!(#value_ty)
                ),
            );
        }
    }
}

/// Base-128 encodings are for integers.
fn check_int_encoding(cx: &Ctxt, f: &Field, value_ty: &syn::Type) {
    if f.attrs.int.is_set() && !is_integer(value_ty) {
        err(
            cx,
            f.attrs.int.span(),
            "`varint` and `vlq` apply to integer fields",
        );
    }
}

/// `unit` says what a length counts, so there must be a length.
fn check_unit_needs_length(cx: &Ctxt, f: &Field) {
    let a = &f.attrs;
    if a.unit.is_set() && !(a.len.is_set() || a.len_from.is_set()) {
        err(
            cx,
            a.unit.span(),
            "`unit` needs `len` or `len_from` on the same field",
        );
    }
}

/// `rest` takes the remaining bytes, so nothing may follow it on the wire.
fn check_rest_last(cx: &Ctxt, fields: &[Field], i: usize) {
    let f = &fields[i];
    if f.attrs.rest.is_set() && fields[i + 1..].iter().any(|g| !g.attrs.skip.is_set()) {
        err(cx, f.attrs.rest.span(), "`rest` must be on the last field");
    }
}

/// `len_from` reads a length decoded earlier from an integer field that
/// holds no other length (encode writes the real length into it).
fn check_len_from<'a>(
    cx: &Ctxt,
    fields: &'a [Field<'a>],
    i: usize,
    holders: &mut BTreeMap<String, &'a Field<'a>>,
) {
    let f = &fields[i];
    let Some(target) = f.attrs.len_from.get() else {
        return;
    };
    let name = target.to_string();
    let Some(j) = fields.iter().position(|g| g.name == name) else {
        cx.error_spanned_by(target, format!("`len_from` names no field `{name}`"));
        return;
    };
    let holder = &fields[j];
    if j >= i {
        cx.error_spanned_by(
            target,
            format!(
                "`len_from` must name an earlier field; `{name}` comes after `{}`",
                f.name
            ),
        );
    } else if !is_integer(holder.ty)
        || holder.attrs.skip.is_set()
        || holder.attrs.when.is_set()
        || holder.attrs.conv.is_set()
    {
        cx.error_spanned_by(
            target,
            format!("`len_from` field `{name}` must be an integer on the wire"),
        );
    } else if let Some(prev) = holders.insert(name.clone(), f) {
        cx.error_spanned_by(
            target,
            format!("`{name}` already holds the length of `{}`", prev.name),
        );
    }
}

/// One correlation tag per message, and it is an integer.
fn check_tag<'a>(cx: &Ctxt, f: &'a Field<'a>, tag: &mut Option<&'a Field<'a>>) {
    if !f.attrs.tag.is_set() {
        return;
    }
    if !is_integer(f.ty) {
        err(cx, f.attrs.tag.span(), "`tag` must be on an integer field");
    }
    if let Some(prev) = tag.replace(f) {
        err(
            cx,
            f.attrs.tag.span(),
            format!(
                "only one field can be the `tag`; `{}` already is",
                prev.name
            ),
        );
    }
}

/// An `other` variant keeps the unknown discriminant in its first field.
fn check_other_variant(cx: &Ctxt, v: &Variant) {
    if !v.attrs.other.is_set() {
        return;
    }
    if v.attrs.id.is_set() {
        err(
            cx,
            v.attrs.id.span(),
            "an `other` variant has no `id`: it takes every unknown one",
        );
    }
    if v.shape == Shape::Unit || v.fields.is_empty() {
        err(
            cx,
            v.attrs.other.span(),
            "an `other` variant needs a first field to hold the unknown discriminant",
        );
    } else if v.fields[0].attrs.skip.is_set() || v.fields[0].attrs.len.is_set() {
        err(
            cx,
            v.attrs.other.span(),
            "the first field of an `other` variant holds the discriminant as is",
        );
    }
}

fn check_single_other(cx: &Ctxt, variants: &[Variant]) {
    let others: Vec<_> = variants.iter().filter(|v| v.attrs.other.is_set()).collect();
    if others.len() > 1 {
        err(
            cx,
            others[1].attrs.other.span(),
            "only one variant can be `other`",
        );
    }
}

/// Each variant's id: `#[codec(id = N)]`, else its Rust discriminant, else
/// one more than the previous (Rust's rule). Ids must be distinct and fit
/// the discriminant's encoding.
fn resolve_ids(cx: &Ctxt, variants: &[Variant], repr: LenKind) -> Vec<u64> {
    let mut ids = Vec::with_capacity(variants.len());
    let mut seen: BTreeMap<u64, &Variant> = BTreeMap::new();
    let mut next: u64 = 0;
    for v in variants {
        // Errors about the id point at the id itself when it is written.
        let id_span: proc_macro2::TokenStream = match (v.attrs.id.get(), &v.original.discriminant) {
            (Some(lit), _) => quote::quote!(#lit),
            (None, Some((_, expr))) => quote::quote!(#expr),
            (None, None) => {
                let ident = v.ident;
                quote::quote!(#ident)
            }
        };
        let id = if let Some(lit) = v.attrs.id.get() {
            lit.base10_parse::<u64>().map_err(|e| cx.syn_error(e)).ok()
        } else if let Some((_, expr)) = &v.original.discriminant {
            literal_u64(expr).or_else(|| {
                cx.error_spanned_by(
                    expr,
                    "codec needs a literal integer discriminant (or `#[codec(id = N)]`)",
                );
                None
            })
        } else {
            Some(next)
        };
        let id = id.unwrap_or(next);
        next = id.wrapping_add(1);
        ids.push(id);
        if v.attrs.other.is_set() {
            continue;
        }
        if id > repr.max() {
            cx.error_spanned_by(
                &id_span,
                format!(
                    "`id` {id} of `{}` does not fit the `{}` discriminant",
                    v.ident,
                    repr.name()
                ),
            );
        }
        if let Some(prev) = seen.insert(id, v) {
            cx.error_spanned_by(
                &id_span,
                format!(
                    "duplicate id {id}: variants `{}` and `{}`",
                    prev.ident, v.ident
                ),
            );
        }
    }
    ids
}

fn literal_u64(expr: &Expr) -> Option<u64> {
    match expr {
        Expr::Lit(l) => match &l.lit {
            Lit::Int(i) => i.base10_parse().ok(),
            _ => None,
        },
        Expr::Group(g) => literal_u64(&g.expr),
        Expr::Paren(p) => literal_u64(&p.expr),
        _ => None,
    }
}

fn err(cx: &Ctxt, span: Option<Span>, msg: impl std::fmt::Display) {
    cx.syn_error(syn::Error::new(span.unwrap_or_else(Span::call_site), msg));
}

/// `#[derive(Message)]` needs the id its frames carry.
fn check_message(cx: &Ctxt, input: &Input) {
    if !input.attrs.id.is_set() {
        cx.error_spanned_by(
            input.ident(),
            "`#[derive(Message)]` needs `#[codec(id = N)]` on the type",
        );
    }
}

/// A protocol is an enum whose variants each hold one message, distinct
/// types (each gets `From`), at most one of them the `other` catch-all.
fn check_protocol(cx: &Ctxt, input: &Input) {
    let Body::Enum(variants) = &input.body else {
        cx.error_spanned_by(
            input.ident(),
            "`#[derive(Protocol)]` needs an enum of messages",
        );
        return;
    };
    let mut seen: BTreeMap<String, &Variant> = BTreeMap::new();
    for v in variants {
        if v.shape != Shape::Tuple || v.fields.len() != 1 {
            cx.error_spanned_by(
                v.ident,
                format!(
                    "variant `{}` must hold exactly one message, as `{}(Message)`",
                    v.ident, v.ident
                ),
            );
            continue;
        }
        if v.attrs.id.is_set() {
            err(
                cx,
                v.attrs.id.span(),
                "a protocol variant takes its id from its message's `#[codec(id = N)]`",
            );
        }
        let ty = v.fields[0].ty;
        if let Some(prev) = seen.insert(quote::quote!(#ty).to_string(), v) {
            cx.error_spanned_by(
                v.ident,
                format!(
                    "variants `{}` and `{}` hold the same message type",
                    prev.ident, v.ident
                ),
            );
        }
    }
    check_single_other(cx, variants);
}

/// `#[derive(Header)]`: a struct laid out by its own `Encode`/`Decode`,
/// with one `payload_len` field and at most one `id` field.
fn header<'a>(cx: &Ctxt, input: &'a Input<'a>) -> Option<FrameHeader<'a>> {
    let Body::Struct(fields) = &input.body else {
        cx.error_spanned_by(
            input.ident(),
            "`#[derive(Header)]` needs a struct: its fields are the header's, in wire order",
        );
        return None;
    };
    check_header_generics(cx, input);
    check_fields(cx, fields);
    let mut id = None;
    let mut len = None;
    for f in fields {
        if f.attrs.id.is_set() {
            check_one_role(cx, f, "id", &mut id);
        }
        if f.attrs.payload_len.is_set() {
            check_one_role(cx, f, "payload_len", &mut len);
        }
    }
    let Some(len_field) = len else {
        cx.error_spanned_by(
            input.ident(),
            "`#[derive(Header)]` needs a `#[codec(payload_len)]` field: mark the field that \
             holds the payload length (and `#[codec(id)]` the one holding the message id, if any)",
        );
        return None;
    };
    let plans = plan(
        fields,
        input.attrs.endian.get().copied().unwrap_or(Endian::Big),
    )?;
    let role = |f: &'a Field<'a>, name: &str| {
        let p = plans.iter().find(|p| p.field.index == f.index)?;
        role_of(cx, p, name)
    };
    // Both roles are checked before either error returns.
    let id_role = id.map(|f| role(f, "id"));
    let len = role(len_field, "payload_len");
    let id = match id_role {
        Some(r) => Some(r?),
        None => None,
    };
    let len = len?;
    let adds = adds_of(len_field);
    if adds > len.max {
        err(
            cx,
            len_field.attrs.len_adds.span(),
            format!(
                "`len_adds = {adds}` is more than the `payload_len` field can hold ({})",
                len.max
            ),
        );
    }
    Some(FrameHeader {
        input,
        fields: plans,
        id,
        len,
        adds,
    })
}

/// A header is parsed from bytes of any lifetime and named by its type
/// alone (`#[codec(header = H)]`): no lifetimes or type parameters.
fn check_header_generics(cx: &Ctxt, input: &Input) {
    let g = &input.original.generics;
    if !g.params.is_empty() {
        cx.error_spanned_by(
            g,
            "`#[derive(Header)]` takes no generics: a header is one fixed layout, named by \
             `#[codec(header = Type)]`",
        );
    }
}

/// One field per role: the frame has one id and one length.
fn check_one_role<'a>(cx: &Ctxt, f: &'a Field<'a>, role: &str, seen: &mut Option<&'a Field<'a>>) {
    let span = if role == "id" {
        f.attrs.id.span()
    } else {
        f.attrs.payload_len.span()
    };
    if let Some(prev) = seen {
        err(
            cx,
            span,
            format!(
                "only one field can be the `{role}`; `{}` already is",
                prev.name
            ),
        );
    } else {
        *seen = Some(f);
    }
}

/// A role holds an unsigned integer the header writes from a `u64` and
/// reads back exactly: no `skip`, `when` or conversion, which would write
/// something else. Returns the largest value its wire form carries.
fn role_of<'a>(cx: &Ctxt, p: &FieldPlan<'a>, role: &str) -> Option<Role<'a>> {
    let f = p.field;
    let a = &f.attrs;
    let span = if role == "id" {
        a.id.span()
    } else {
        a.payload_len.span()
    };
    let ty = f.ty;
    let type_max = match integer_width(ty) {
        Some((w, false)) if w <= 8 => u64::MAX >> (64 - 8 * w),
        _ => {
            err(
                cx,
                span,
                format!(
                    "`{role}` must be on an unsigned integer field (u8, u16, u32 or u64), not `{}`",
                    quote::quote!(#ty)
                ),
            );
            return None;
        }
    };
    for (other, other_span) in [
        ("skip", a.skip.span()),
        ("when", a.when.span()),
        ("map`/`try_map", a.conv.span()),
    ] {
        if other_span.is_some() {
            err(
                cx,
                other_span,
                format!(
                    "`{other}` conflicts with `{role}`: the header writes the {role} into this \
                     field and reads it back"
                ),
            );
            return None;
        }
    }
    let name = ty_name(ty);
    let (max, wire) = match &p.wire {
        Wire::Plain => (type_max, name),
        Wire::IntN { bytes, .. } => (
            type_max.min(u64::MAX >> (64 - 8 * bytes)),
            format!("u{}", 8 * bytes),
        ),
        Wire::Base128 { vlq, max_bytes } => {
            let flavour = if *vlq { "vlq" } else { "varint" };
            match max_bytes {
                Some(n) if 7 * n < 64 => (type_max.min((1u64 << (7 * n)) - 1), flavour.into()),
                _ => (type_max, flavour.into()),
            }
        }
        // Any other wire form of an integer (a bit field): the type's range;
        // the field's own encoder refuses a value its wire form cannot
        // carry, naming the field. A form with a smaller range gets its
        // arm above, so `MAX_ID`/`MAX_LEN` (and the protocol derive's
        // compile-time id check) are exact.
        _ => (type_max, name),
    };
    Some(Role {
        field: f,
        max,
        wire,
    })
}

fn ty_name(ty: &syn::Type) -> String {
    quote::quote!(#ty).to_string().replace(' ', "")
}
