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
use crate::attr::{BitOrder, CtxParam, Endian, IntEncoding, LenKind, Unit};
use crate::ctxt::Ctxt;
use crate::model::{
    Arm, BitField, CalcExpr, Check, Computed, CtxPass, Derive, FieldPlan, FrameHeader, Layout,
    LayoutBody, LenOf, Message, Packed, Padding, Prefix, Presence, Protocol, Role, TypeSize, Use,
    Validated, VariantPlan, Wire,
};

/// Checks the input for one derive; returns its model, or `None` when the
/// input is invalid (the errors are in `cx`).
pub fn check<'a>(cx: &Ctxt, input: &'a Input<'a>, which: Derive) -> Option<Validated<'a>> {
    if !matches!(which, Derive::Protocol) {
        check_service_keys_on_protocol(cx, input);
        check_header_keys_on_protocol(cx, input);
    }
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
    let lsb = input.attrs.bit_order.get() == Some(&BitOrder::Lsb);
    let ctx = input.attrs.ctx.get().map(Vec::as_slice).unwrap_or_default();
    check_ctx_params(cx, input, ctx);
    let body = match &input.body {
        Body::Struct(fields) => {
            check_fields(cx, fields, ctx);
            LayoutBody::Struct(bit_runs(plan(fields, order, ctx)?, lsb))
        }
        Body::Enum(variants) => {
            let id_from = check_id_from(cx, input, ctx);
            for v in variants {
                check_fields(cx, &v.fields, ctx);
                check_other_variant(cx, v);
                check_no_align_in_variant(cx, v);
                check_other_not_bits(cx, v);
                check_pattern_variant(cx, v, id_from.is_some());
            }
            check_single_other(cx, variants);
            let by_magic = check_variant_magic(cx, input, variants);
            let repr = input.attrs.repr.get().copied().unwrap_or(LenKind::U8);
            // Ids chosen by a context value must fit its type.
            let id_kind = id_from.map_or(repr, |p| ctx_id_kind(&p.ty));
            let ids = resolve_ids(cx, variants, id_kind);
            check_id_overlaps(cx, variants, &ids, id_kind);
            let variants = variants
                .iter()
                .zip(ids)
                .map(|(variant, id)| {
                    let pat = variant.attrs.id_pat.get();
                    Some(VariantPlan {
                        variant,
                        id,
                        other: variant.attrs.other.is_set(),
                        pat,
                        holds_id: variant.attrs.other.is_set()
                            || (pat.is_some() && id_from.is_none()),
                        magic: variant.attrs.magic.get(),
                        fields: bit_runs(plan(&variant.fields, order, ctx)?, lsb),
                    })
                })
                .collect::<Option<_>>()?;
            LayoutBody::Enum {
                repr,
                order,
                by_magic,
                id_from,
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
    let size = check_type_size(cx, input, &body);
    Some(Layout {
        input,
        magic: input.attrs.magic.get(),
        body,
        assert,
        size,
        ctx: input.attrs.ctx.get().map(Vec::as_slice),
    })
}

/// Each field's layout, with every attribute resolved. `None` only where
/// a rule has recorded an error (a missing `len_from` field, `when` on a
/// non-`Option`).
fn plan<'a>(
    fields: &'a [Field<'a>],
    container: Endian,
    ctx: &'a [CtxParam],
) -> Option<Vec<FieldPlan<'a>>> {
    let mut plans = fields
        .iter()
        .map(|f| {
            let a = &f.attrs;
            let unit = unit_of(f);
            let adds = adds_of(f);
            let wire = if a.skip.is_set() {
                Wire::Skip
            } else if let Some(n) = a.bits.get() {
                let width = n.base10_parse().ok()?;
                Wire::Bits(BitField {
                    width,
                    first: 0,
                    run_bits: 0,
                    lsb: false,
                    leader: f,
                    check: bits_need_check(f.ty, width),
                })
            } else if let Some(k) = a.len.get() {
                let prefix = Prefix {
                    kind: *k,
                    adds,
                    null: a.null.get().map(|(v, _)| *v),
                };
                Wire::Prefixed(prefix, unit)
            } else if let Some(h) = a.len_from.get() {
                match fields.iter().find(|g| *h == g.name) {
                    Some(holder) => Wire::LenFrom { holder, unit, adds },
                    // A `ctx` parameter holds the length.
                    None => Wire::LenCtx {
                        name: &ctx.iter().find(|p| p.name == *h)?.name,
                        unit,
                        adds,
                    },
                }
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
                    | Wire::LenCtx { .. }
                    | Wire::Base128 { .. }
                    | Wire::IntN { .. }
                    | Wire::Term { .. }
                    | Wire::Padded { .. },
                ) => Presence::Byte,
                _ => Presence::Always,
            };
            let ty = match (presence_is_always(&presence), a.conv.get()) {
                _ if a.wire.is_set() => value_type(f),
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
                || a.ctx.is_set()
                || (a.payload_len.is_set() && adds > 0);
            // Padded, computed and wire-only fields, and where a checksum
            // starts, are written on their own too.
            let padding = padding_of(f);
            let computed = computed_of(f, fields)?;
            let starts_checksum = fields.iter().any(|g| {
                g.attrs.checksum.is_set() && g.attrs.from.get().is_some_and(|h| *h == f.name)
            });
            let alone = alone || !padding.is_none() || computed.is_some() || starts_checksum;
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
                padding,
                computed,
                starts_checksum,
                ctx: a.ctx.get().map(|args| CtxPass {
                    args,
                    uses: args
                        .iter()
                        .flat_map(|arg| uses_of(&arg.expr, fields))
                        .collect(),
                }),
                at_least: (a.payload_len.is_set() && adds > 0).then_some(adds),
                skip_value: a.skip.get().and_then(Option::as_ref),
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

/// Places each bit field in its run (consecutive bit fields), in the
/// type's bit order.
fn bit_runs<'a>(mut plans: Vec<FieldPlan<'a>>, lsb: bool) -> Vec<FieldPlan<'a>> {
    let mut i = 0;
    while i < plans.len() {
        let Wire::Bits(lead) = plans[i].wire else {
            i += 1;
            continue;
        };
        let end = (i..plans.len())
            .find(|&j| !matches!(plans[j].wire, Wire::Bits(_)))
            .unwrap_or(plans.len());
        let run_bits = plans[i..end]
            .iter()
            .map(|p| match p.wire {
                Wire::Bits(b) => b.width,
                _ => 0,
            })
            .sum();
        let mut first = 0;
        for p in &mut plans[i..end] {
            if let Wire::Bits(b) = &mut p.wire {
                b.first = first;
                b.run_bits = run_bits;
                b.lsb = lsb;
                b.leader = lead.leader;
                first += b.width;
            }
        }
        i = end;
    }
    plans
}

/// Whether encode must check a value fits its bits: an integer narrower
/// than its type, or an enum (whose ids the derive does not see here).
fn bits_need_check(ty: &syn::Type, width: u32) -> bool {
    match integer_width(ty) {
        Some((bytes, _)) => (width as usize) < 8 * bytes,
        None => type_head(ty).is_none_or(|(name, _)| name != "bool"),
    }
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
            calc: field.attrs.calc.is_set(),
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
    let layout = layout(cx, input)?;
    let size = layout.size;
    let fields = match layout.body {
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
        size,
        fields,
    })
}

/// `#[derive(Protocol)]`: an enum of messages.
fn protocol<'a>(cx: &Ctxt, input: &'a Input<'a>) -> Option<Protocol<'a>> {
    check_protocol(cx, input);
    let Body::Enum(variants) = &input.body else {
        return None;
    };
    check_service(cx, input, variants);
    let arms = variants
        .iter()
        .map(|v| {
            Some(Arm {
                variant: v.ident,
                ty: v.fields.first()?.ty,
                other: v.attrs.other.is_set(),
                request: v.attrs.request.is_set(),
                // Checked by `check_service` when a trait is generated.
                method: service_method(v.ident).unwrap_or_else(|| v.ident.clone()),
                ctx: v.attrs.ctx.get().map(Vec::as_slice),
                header_fields: v.attrs.header.get().map(Vec::as_slice),
            })
        })
        .collect::<Option<_>>()?;
    Some(Protocol {
        input,
        header: input.attrs.header.get(),
        arms,
        service: input.attrs.service.get(),
        correlate: input.attrs.correlate.get(),
    })
}

/// Methods every generated service trait has besides the variants' own.
const SERVICE_PROVIDED: [&str; 2] = ["unexpected", "replied"];

/// A variant's method in the service trait: its name in snake case
/// (`PutBegin` → `put_begin`, `HTTPRequest` → `http_request`), a raw
/// identifier for a keyword (`Type` → `r#type`); `None` for the three
/// keywords that cannot be raw.
fn service_method(variant: &syn::Ident) -> Option<syn::Ident> {
    let name = variant.to_string();
    let name = name.trim_start_matches("r#");
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let word_start = prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
                || (prev.is_some_and(char::is_uppercase) && next.is_some_and(|n| n.is_lowercase()));
            if word_start && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    match syn::parse_str::<syn::Ident>(&out) {
        Ok(_) => Some(syn::Ident::new(&out, variant.span())),
        Err(_) if ["crate", "self", "super", "_"].contains(&out.as_str()) => None,
        Err(_) => Some(syn::Ident::new_raw(&out, variant.span())),
    }
}

/// `service` and `request` shape the service trait of a protocol; on any
/// other derive they would be silently ignored.
fn check_service_keys_on_protocol(cx: &Ctxt, input: &Input) {
    // `correlate` classifies a protocol's messages for connections; on
    // another derive it would be silently ignored.
    if let Some(span) = input.attrs.correlate.span() {
        err(
            cx,
            Some(span),
            "`correlate` declares a protocol's requests and responses: it needs `#[derive(Protocol)]`",
        );
    }
    if let Some(span) = input.attrs.service.span() {
        err(
            cx,
            Some(span),
            "`service` generates a protocol's service trait: it needs `#[derive(Protocol)]`",
        );
    }
    if let Body::Enum(variants) = &input.body {
        for v in variants {
            if let Some(span) = v.attrs.request.span() {
                err(
                    cx,
                    Some(span),
                    "`request` marks a variant of a `#[derive(Protocol)]` enum",
                );
            }
        }
    }
}

/// `ctx` and `header` on a variant tie a protocol's frame header to the
/// variant's message; on any other derive's variants they would be
/// silently ignored (an enum's own context is `ctx(name: Type)` on the
/// enum).
fn check_header_keys_on_protocol(cx: &Ctxt, input: &Input) {
    let Body::Enum(variants) = &input.body else {
        return;
    };
    for v in variants {
        for (key, span) in tie_keys(v) {
            err(
                cx,
                Some(span),
                format!(
                    "`{key}` on a variant ties a `#[derive(Protocol)]` enum's frame header to \
                     the variant's message; declare an enum's context on the enum, \
                     `#[codec(ctx(name: Type))]`"
                ),
            );
        }
    }
}

/// The keys tying a protocol variant to the frame header, where given.
fn tie_keys(v: &Variant) -> impl Iterator<Item = (&'static str, Span)> {
    [
        ("ctx", v.attrs.ctx.span()),
        ("header", v.attrs.header.span()),
    ]
    .into_iter()
    .filter_map(|(key, span)| Some((key, span?)))
}

/// An `other` variant holds raw frames: there is no message to give a
/// context to or to take header fields from.
fn check_header_keys_not_on_other(cx: &Ctxt, variants: &[Variant]) {
    for v in variants.iter().filter(|v| v.attrs.other.is_set()) {
        for (key, span) in tie_keys(v) {
            err(
                cx,
                Some(span),
                format!(
                    "an `other` variant holds raw frames, with no message to tie to the \
                     header: remove `{key}`"
                ),
            );
        }
    }
}

/// The service trait's rules: `request` only with `service` (it marks a
/// method of that trait) and never on the `other` catch-all (raw frames
/// declare no response); no generic parameters (the trait names the
/// variants' concrete types); one method per name.
fn check_service(cx: &Ctxt, input: &Input, variants: &[Variant]) {
    let service = input.attrs.service.get();
    for v in variants {
        let Some(span) = v.attrs.request.span() else {
            continue;
        };
        if service.is_none() {
            err(
                cx,
                Some(span),
                "`request` marks a method of the service trait: add `#[codec(service = Name)]` to the enum",
            );
        } else if v.attrs.other.is_set() {
            err(
                cx,
                Some(span),
                "an `other` variant holds frames no message claims: it cannot be a `request`",
            );
        }
    }
    let Some(service) = service else { return };
    if !input.original.generics.params.is_empty() {
        err(
            cx,
            input.attrs.service.span(),
            "`service` needs a protocol without generic parameters: the trait names each variant's message type",
        );
    }
    let mut seen: BTreeMap<String, &Variant> = BTreeMap::new();
    for v in variants {
        let Some(method) = service_method(v.ident) else {
            cx.error_spanned_by(
                v.ident,
                format!(
                    "variant `{}` cannot name a service method: rename it",
                    v.ident
                ),
            );
            continue;
        };
        let name = method.to_string();
        if SERVICE_PROVIDED.contains(&name.as_str()) {
            cx.error_spanned_by(
                v.ident,
                format!(
                    "variant `{}` would name its method `{name}`, which every service trait (`{service}`) already has: rename the variant",
                    v.ident
                ),
            );
        } else if let Some(prev) = seen.insert(name.clone(), v) {
            cx.error_spanned_by(
                v.ident,
                format!(
                    "variants `{}` and `{}` would both name the service method `{name}`: rename one",
                    prev.ident, v.ident
                ),
            );
        }
    }
}

fn check_fields(cx: &Ctxt, fields: &[Field], ctx: &[CtxParam]) {
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
        check_len_from(cx, fields, i, &mut holders, ctx);
        check_field_ctx(cx, fields, i);
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
        check_padding(cx, f);
        check_calc(cx, fields, i);
        check_checksum(cx, fields, i);
        check_wire_only(cx, f);
        check_bits(cx, f);
        check_bits_alone(cx, f);
        check_max_bytes(cx, f, value_ty);
    }
    check_bit_runs(cx, fields);
}

/// `bits = N` packs a value into N bits: unsigned integers up to their
/// width, `bool` in one bit, and fieldless enums (through `EncodeBits` /
/// `DecodeBits`, which their derives implement). Signed integers, floats
/// and values with a length have no meaning as a few bits.
fn check_bits(cx: &Ctxt, f: &Field) {
    let Some(lit) = f.attrs.bits.get() else {
        return;
    };
    let ty = f.ty;
    let shown = quote::quote!(#ty).to_string().replace(' ', "");
    let n = match lit.base10_parse::<u32>() {
        Ok(n @ 1..=64) => n,
        _ => {
            cx.error_spanned_by(lit, "`bits` must be from 1 to 64");
            return;
        }
    };
    let not_bits = || {
        err(
            cx,
            f.attrs.bits.span(),
            format!(
                "`bits` applies to u8, u16, u32, u64, bool and fieldless enums, not `{shown}`; \
                 drop `bits` to write it in whole bytes"
            ),
        );
    };
    match (integer_width(ty), type_head(ty)) {
        (Some((bytes, false)), Some((name, _))) if name != "usize" && name != "u128" => {
            if n as usize > 8 * bytes {
                cx.error_spanned_by(
                    lit,
                    format!(
                        "`bits = {n}` is wider than `{shown}` ({} bits): use a wider integer type",
                        8 * bytes
                    ),
                );
            }
        }
        (Some(_), _) => not_bits(),
        (None, Some((name, _))) if name == "bool" => {
            if n != 1 {
                cx.error_spanned_by(
                    lit,
                    format!("`bits = {n}` on a `bool`: a bool is `bits = 1`"),
                );
            }
        }
        (None, Some((name, args)))
            if args.is_empty()
                && !is_scalar(ty)
                && !matches!(name.as_str(), "String" | "str" | "Bytes" | "CString") => {}
        _ => not_bits(),
    }
}

/// A bit field is laid out by its run alone: keys that give it a length,
/// a presence, a byte encoding or a conversion describe whole bytes (an
/// `assert` applies: it is checked right after the field is taken from
/// its run).
fn check_bits_alone(cx: &Ctxt, f: &Field) {
    let a = &f.attrs;
    if !a.bits.is_set() {
        return;
    }
    let others = byte_keys(a).into_iter().chain([
        ("skip", a.skip.span()),
        ("map`/`try_map", a.conv.span()),
        ("calc", a.calc.span()),
        ("checksum", a.checksum.span()),
        ("wire", a.wire.span()),
    ]);
    refuse(cx, others, |name| {
        format!(
            "`{name}` conflicts with `bits`: a bit field takes its place in its run \
             (put `{name}` on a field of whole bytes, or drop `bits`)"
        )
    });
}

/// Reports every key of `keys` that is set, each with `message(name)`.
fn refuse(
    cx: &Ctxt,
    keys: impl IntoIterator<Item = (&'static str, Option<Span>)>,
    message: impl Fn(&str) -> String,
) {
    for (name, span) in keys {
        if span.is_some() {
            err(cx, span, message(name));
        }
    }
}

/// The keys that shape a value's bytes (its length, presence, encoding,
/// terminator, size, byte order), with where each is set: none applies to
/// a field that is not on the wire (`skip`) or is a few bits (`bits`).
fn byte_keys(a: &crate::attr::FieldAttrs) -> [(&'static str, Option<Span>); 18] {
    [
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
        ("pad_before", a.pad_before.span()),
        ("pad_after", a.pad_after.span()),
        ("align", a.align.span()),
        ("pad_check", a.pad_check.span()),
    ]
}

/// Consecutive bit fields are read and written as one integer of whole
/// bytes: a run that ended mid-byte would leave the next field's start
/// undefined, and one over 64 bits would not fit the integer.
fn check_bit_runs(cx: &Ctxt, fields: &[Field]) {
    let width = |f: &Field| {
        f.attrs
            .bits
            .get()
            .and_then(|n| n.base10_parse::<u32>().ok())
    };
    let mut i = 0;
    while i < fields.len() {
        if width(&fields[i]).is_none() {
            i += 1;
            continue;
        }
        let end = (i..fields.len())
            .find(|&j| width(&fields[j]).is_none())
            .unwrap_or(fields.len());
        let run = &fields[i..end];
        i = end;
        // A width out of range is reported by `check_bits` alone.
        if run.iter().filter_map(width).any(|n| !(1..=64).contains(&n)) {
            continue;
        }
        let total: u32 = run.iter().filter_map(width).sum();
        let terms: Vec<String> = run
            .iter()
            .map(|f| {
                let n = width(f).unwrap_or(0);
                format!("`{}` ({n} bit{})", f.name, if n == 1 { "" } else { "s" })
            })
            .collect();
        let sum = if run.len() == 1 {
            format!("{} is {total} bits", terms[0])
        } else {
            format!("{} = {total} bits", terms.join(" + "))
        };
        let span = run[0].attrs.bits.span();
        if !total.is_multiple_of(8) {
            let add = 8 - total % 8;
            err(
                cx,
                span,
                format!(
                    "{sum}: a run of bit fields must fill whole bytes; add {add} bit{}, \
                     e.g. a `#[codec(bits = {add})] reserved: u8`",
                    if add == 1 { "" } else { "s" }
                ),
            );
        } else if total > 64 {
            err(
                cx,
                span,
                format!(
                    "{sum}: a run of bit fields may be at most 64 bits; \
                     put a field of whole bytes between two runs"
                ),
            );
        }
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
        ("pad", a.pad.span().filter(|_| !has_field_padding(a))),
    ];
    refuse(cx, others, |other| {
        format!(
            "`{other}` conflicts with `{name}`: the wire type's own encoding is used; \
             convert to a type that has the length or presence you need"
        )
    });
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
    let pad = a.pad.span().filter(|_| !has_field_padding(a));
    refuse(
        cx,
        end_keys(a)
            .into_iter()
            .chain([("size", a.size.span()), ("pad", pad)]),
        |name| {
            format!(
                "`{name}` conflicts with `term`: a terminated value ends at its terminator; \
                 remove `{name}` or `term`"
            )
        },
    );
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
        if !a.size.is_set() && !has_field_padding(a) {
            err(
                cx,
                a.pad.span(),
                "`pad` needs `size`, `pad_before`, `pad_after` or `align` on the same field \
                 (it is the byte their padding is made of)",
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
    refuse(cx, end_keys(a), |name| {
        format!(
            "`{name}` conflicts with `size`: a fixed-size value is always `size` bytes; \
             remove `{name}` or `size`"
        )
    });
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
        refuse(
            cx,
            [("id", v.attrs.id.span()), ("other", v.attrs.other.span())],
            |name| format!("`{name}` conflicts with `magic`: a variant is chosen by one of them"),
        );
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
    if let Some(wire) = f.attrs.wire.get() {
        wire
    } else if let Some(conv) = f.attrs.conv.get() {
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
    let others = byte_keys(a).into_iter().chain([
        ("tag", a.tag.span()),
        ("assert", a.assert.span()),
        ("map`/`try_map", a.conv.span()),
        ("checksum", a.checksum.span()),
        ("from", a.from.span()),
        ("wire", a.wire.span()),
        ("value", a.value.span()),
        ("unchecked", a.unchecked.span()),
    ]);
    refuse(cx, others, |name| {
        format!("`{name}` has no effect on a `skip` field, which is not on the wire")
    });
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
    ctx: &[CtxParam],
) {
    let f = &fields[i];
    let Some(target) = f.attrs.len_from.get() else {
        return;
    };
    let name = target.to_string();
    let Some(j) = fields.iter().position(|g| g.name == name) else {
        // A context value may hold the length too.
        if !ctx.iter().any(|p| p.name == name) {
            cx.error_spanned_by(target, format!("`len_from` names no field `{name}`"));
        }
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

/// An `other` variant's first field holds the unknown discriminant as
/// read, so it cannot be a few bits of a run.
fn check_other_not_bits(cx: &Ctxt, v: &Variant) {
    if let (true, Some(first)) = (v.attrs.other.is_set(), v.fields.first()) {
        if first.attrs.bits.is_set() {
            err(
                cx,
                first.attrs.bits.span(),
                "the first field of an `other` variant holds the discriminant as is: it cannot \
                 be a bit field",
            );
        }
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
        // Pattern ids are checked by `check_id_overlaps`.
        if v.attrs.other.is_set() || v.attrs.id_pat.is_set() {
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
    check_header_keys_not_on_other(cx, variants);
}

// Padding, alignment, fixed-size types, computed and wire-only fields.

/// The field has padding of its own (`pad_before`, `pad_after`, `align`),
/// which its `pad` byte fills.
fn has_field_padding(a: &crate::attr::FieldAttrs) -> bool {
    a.pad_before.is_set() || a.pad_after.is_set() || a.align.is_set()
}

/// A literal count from a slot that validation has checked.
fn count_of(lit: Option<&syn::LitInt>) -> usize {
    lit.and_then(|l| l.base10_parse().ok()).unwrap_or(0)
}

/// A field's padding, as its attributes give it.
fn padding_of(f: &Field) -> Padding {
    let a = &f.attrs;
    Padding {
        before: count_of(a.pad_before.get()),
        align: a
            .align
            .get()
            .and_then(|l| l.base10_parse().ok())
            .filter(|n: &usize| n.is_power_of_two()),
        after: count_of(a.pad_after.get()),
        byte: byte_of(a.pad.get()).unwrap_or(0),
        check: a.pad_check.is_set(),
    }
}

/// Where a field's written value comes from. `None` only where a rule has
/// recorded an error (a `from` naming no field).
fn computed_of<'a>(f: &'a Field<'a>, fields: &'a [Field<'a>]) -> Option<Option<Computed<'a>>> {
    let a = &f.attrs;
    Some(if let Some(expr) = a.calc.get() {
        Some(Computed::Calc(CalcExpr {
            expr,
            uses: uses_of(expr, fields),
        }))
    } else if let Some(func) = a.checksum.get() {
        let from = a.from.get()?;
        Some(Computed::Checksum {
            func,
            from: fields.iter().find(|g| *from == g.name)?,
        })
    } else if a.wire.is_set() {
        Some(Computed::WireOnly {
            value: a.value.get()?,
            check: !a.unchecked.is_set(),
        })
    } else {
        None
    })
}

/// Padding counts are byte counts; `align` is a power of two (so the
/// padding is a mask away) and counts from the type's start, which only a
/// struct's encode and decode know; `pad_check` checks padding, so there
/// must be some.
fn check_padding(cx: &Ctxt, f: &Field) {
    let a = &f.attrs;
    for (name, slot) in [("pad_before", &a.pad_before), ("pad_after", &a.pad_after)] {
        if let Some(lit) = slot.get() {
            if !matches!(lit.base10_parse::<usize>(), Ok(1..)) {
                cx.error_spanned_by(lit, format!("`{name}` must be a byte count of at least 1"));
            }
        }
    }
    if let Some(lit) = a.align.get() {
        if !matches!(lit.base10_parse::<usize>(), Ok(n) if n.is_power_of_two() && n > 1) {
            cx.error_spanned_by(
                lit,
                "`align` must be a power of two of at least 2, such as `align = 4`",
            );
        }
    }
    // A `size` field's padding is stripped from its value, not checked.
    if a.pad_check.is_set() && !has_field_padding(a) {
        err(
            cx,
            a.pad_check.span(),
            "`pad_check` needs `pad_before`, `pad_after` or `align` on the same field \
             (it checks their padding)",
        );
    }
}

/// `align` counts from the start of the type, which an enum variant's
/// fields do not see (the discriminant precedes them).
fn check_no_align_in_variant(cx: &Ctxt, v: &Variant) {
    for f in &v.fields {
        if f.attrs.align.is_set() {
            err(
                cx,
                f.attrs.align.span(),
                "`align` is supported on struct fields, not in enum variants: use `pad_before` \
                 with the padding the variant needs",
            );
        }
    }
}

/// The keys a computed or wire-only field cannot have with `what`: they
/// decide presence, a length or a conversion of a value the field does not
/// hold as such.
fn computed_conflicts(cx: &Ctxt, f: &Field, what: &str) {
    let a = &f.attrs;
    let others = [
        ("when", a.when.span()),
        ("map`/`try_map", a.conv.span()),
        ("len", a.len.span()),
        ("len_from", a.len_from.span()),
        ("rest", a.rest.span()),
        ("term", a.term.span()),
        ("size", a.size.span()),
        ("tag", a.tag.span()),
        // Each pair of these is reported once, by the later one's rule.
        ("calc", a.calc.span().filter(|_| what != "calc")),
        ("checksum", a.checksum.span().filter(|_| what == "wire")),
    ];
    refuse(cx, others, |name| {
        format!("`{name}` conflicts with `{what}`: remove one of them")
    });
}

/// `calc` replaces the value encode writes with an expression over the
/// fields (any of them: encode has them all); the field is read as usual.
/// A length holder already has its value computed.
fn check_calc(cx: &Ctxt, fields: &[Field], i: usize) {
    let f = &fields[i];
    if !f.attrs.calc.is_set() {
        return;
    }
    if f.attrs.skip.is_set() {
        err(
            cx,
            f.attrs.calc.span(),
            "`calc` conflicts with `skip`: a `skip` field is not written; remove `skip` to \
             write the computed value, or `calc`",
        );
        return;
    }
    computed_conflicts(cx, f, "calc");
    if let Some(expr) = f.attrs.calc.get() {
        for other in referenced_fields(expr, fields) {
            if other.attrs.calc.is_set() {
                cx.error_spanned_by(
                    expr,
                    format!(
                        "`calc` of `{}` cannot use `calc` field `{}`: compute from stored fields",
                        f.name, other.name
                    ),
                );
            }
        }
    }
    if holds_len_of(fields, f).is_some() {
        err(
            cx,
            f.attrs.calc.span(),
            format!(
                "`calc` conflicts with `len_from`: `{}` already holds a length the derive computes",
                f.name
            ),
        );
    }
}

/// `checksum = f, from = field` covers the bytes from an earlier field (or
/// this one's predecessor) to here, and is an unsigned integer (shown and
/// compared as `u64`).
fn check_checksum(cx: &Ctxt, fields: &[Field], i: usize) {
    let f = &fields[i];
    let a = &f.attrs;
    if a.skip.is_set() {
        return;
    }
    if a.from.is_set() && !a.checksum.is_set() {
        err(
            cx,
            a.from.span(),
            "`from` needs `checksum = f` on the same field (it says where the checksum starts)",
        );
    }
    if !a.checksum.is_set() {
        return;
    }
    computed_conflicts(cx, f, "checksum");
    // Its width must not depend on its value: `encoded_len` is known
    // before the bytes it covers are written.
    if a.int.is_set() {
        err(
            cx,
            a.int.span(),
            "`varint`/`vlq` conflicts with `checksum`: a checksum has a fixed width; \
             use `bytes = N` or the integer's own width",
        );
    }
    let unsigned = matches!(integer_width(value_type(f)), Some((w, false)) if w <= 8);
    if !unsigned {
        let ty = value_type(f);
        err(
            cx,
            a.checksum.span(),
            format!(
                "`checksum` needs an unsigned integer field up to u64, not `{}`",
                quote::quote!(#ty)
            ),
        );
    }
    let Some(from) = a.from.get() else {
        err(
            cx,
            a.checksum.span(),
            "`checksum` needs `from = field`: the earlier field where the bytes it covers start",
        );
        return;
    };
    match fields.iter().position(|g| *from == g.name) {
        None => cx.error_spanned_by(from, format!("`from` names no field `{from}`")),
        Some(j) if j >= i => cx.error_spanned_by(
            from,
            format!(
                "`from` must name an earlier field; `{from}` does not come before `{}`",
                f.name
            ),
        ),
        Some(j) if fields[j].attrs.skip.is_set() => cx.error_spanned_by(
            from,
            format!("`from` field `{from}` is `skip`, not on the wire"),
        ),
        Some(_) => {}
    }
}

/// A wire-only field holds nothing (`()` or `PhantomData`): `wire = T`
/// says what travels, `value` what it always is (checked on decode unless
/// `unchecked`). `T` is an integer shown as one in errors.
fn check_wire_only(cx: &Ctxt, f: &Field) {
    let a = &f.attrs;
    for (name, slot) in [("value", a.value.span()), ("unchecked", a.unchecked.span())] {
        if slot.is_some() && !a.wire.is_set() {
            err(
                cx,
                slot,
                format!("`{name}` needs `wire = T` on the same field (a wire-only field)"),
            );
        }
    }
    let Some(wire) = a.wire.get() else {
        return;
    };
    if a.skip.is_set() {
        return;
    }
    computed_conflicts(cx, f, "wire");
    if !a.value.is_set() {
        err(
            cx,
            a.wire.span(),
            "`wire` needs `value = ..`: what encode writes and decode checks",
        );
    }
    if !matches!(integer_width(wire), Some((w, _)) if w <= 8) {
        cx.error_spanned_by(
            wire,
            format!(
                "`wire` must be an integer type up to 64 bits, not `{}`",
                quote::quote!(#wire)
            ),
        );
    }
    let holds_nothing = match f.ty {
        syn::Type::Tuple(t) => t.elems.is_empty(),
        ty => matches!(type_head(ty), Some((name, _)) if name == "PhantomData"),
    };
    if !holds_nothing {
        let ty = f.ty;
        err(
            cx,
            a.wire.span(),
            format!(
                "a wire-only field holds nothing: give it type `()` (or `PhantomData`), not `{}`",
                quote::quote!(#ty)
            ),
        );
    }
    if a.assert.is_set() {
        err(
            cx,
            a.assert.span(),
            "`assert` conflicts with `wire`: a wire-only value is checked against `value`",
        );
    }
}

/// A struct's `size = N` pads its encoding to N bytes: N is at least the
/// bytes its fields always take, and nothing may read to the end (`rest`),
/// which would take the padding.
fn check_type_size(cx: &Ctxt, input: &Input, body: &LayoutBody) -> Option<TypeSize> {
    let a = &input.attrs;
    for (name, span) in [("pad", a.pad.span()), ("pad_check", a.pad_check.span())] {
        if span.is_some() && !a.size.is_set() {
            err(
                cx,
                span,
                format!("`{name}` on a type needs `size = N` on the type (the padding it fills)"),
            );
        }
    }
    if let Some(pad) = a.pad.get() {
        check_byte_lit(cx, "pad", pad);
    }
    let lit = a.size.get()?;
    let Ok(size @ 1..) = lit.base10_parse::<usize>() else {
        cx.error_spanned_by(lit, "`size` must be a byte count of at least 1");
        return None;
    };
    let LayoutBody::Struct(plans) = body else {
        return None;
    };
    if let Some(p) = plans.iter().find(|p| matches!(p.wire, Wire::Rest)) {
        err(
            cx,
            p.field.attrs.rest.span(),
            "`rest` conflicts with the type's `size`: it would take the padding; \
             give the field a length",
        );
    }
    let magic = a.magic.get().map_or(0, |m| m.value().len());
    let fixed = magic + plans.iter().map(fixed_part).sum::<usize>();
    if fixed > size {
        cx.error_spanned_by(
            lit,
            format!(
                "`size = {size}` is smaller than the {fixed} bytes the fields always take: \
                 raise `size` to at least {fixed}"
            ),
        );
    }
    Some(TypeSize {
        size,
        pad: byte_of(a.pad.get()).unwrap_or(0),
        check: a.pad_check.is_set(),
    })
}

/// Bytes a field always takes at least, as far as the derive can tell.
fn fixed_part(p: &FieldPlan) -> usize {
    let value = match (&p.presence, &p.wire) {
        (Presence::Always, Wire::Plain) => crate::ast::bare_scalar_width(p.ty).unwrap_or(0),
        (Presence::Always, Wire::IntN { bytes, .. }) => *bytes,
        (Presence::Always, Wire::Padded { size, .. }) => *size,
        (Presence::Byte, _) => 1,
        _ => 0,
    };
    let magic = p.magic.map_or(0, |m| m.value().len());
    value + magic + p.padding.before + p.padding.after
}

/// A type's `ctx(..)` names values its fields' expressions read like
/// earlier fields, so a name is declared once and is not also a field's.
fn check_ctx_params(cx: &Ctxt, input: &Input, ctx: &[CtxParam]) {
    let mut seen: Vec<String> = Vec::new();
    for p in ctx {
        let name = p.name.to_string();
        if seen.contains(&name) {
            cx.error_spanned_by(&p.name, format!("`ctx` declares `{name}` twice"));
        }
        seen.push(name);
    }
    let fields: Vec<&Field> = match &input.body {
        Body::Struct(fields) => fields.iter().collect(),
        Body::Enum(variants) => variants.iter().flat_map(|v| &v.fields).collect(),
    };
    for f in fields {
        if let Some(p) = ctx.iter().find(|p| f.local == p.name) {
            cx.error_spanned_by(
                &p.name,
                format!(
                    "`ctx` parameter `{}` has the name of a field: rename one of them",
                    p.name
                ),
            );
        }
    }
}

/// A field's `ctx(..)` builds its type's context from earlier fields (and
/// the parent's own context), for a type written as is: every key that
/// changes how the value is laid out would apply to a type the derive does
/// not see through.
fn check_field_ctx(cx: &Ctxt, fields: &[Field], i: usize) {
    let f = &fields[i];
    let a = &f.attrs;
    let Some(args) = a.ctx.get() else {
        return;
    };
    let mut seen: Vec<String> = Vec::new();
    for arg in args {
        let name = arg.name.to_string();
        if seen.contains(&name) {
            cx.error_spanned_by(&arg.name, format!("`ctx` passes `{name}` twice"));
        }
        seen.push(name);
        for later in referenced_fields(&arg.expr, &fields[i..]) {
            cx.error_spanned_by(
                &arg.expr,
                format!(
                    "`ctx` of `{}` may only use earlier fields; `{}` is not decoded yet",
                    f.name, later.name
                ),
            );
        }
    }
    let others = end_keys(a).into_iter().chain([
        ("term", a.term.span()),
        ("size", a.size.span()),
        ("pad", a.pad.span()),
        ("skip", a.skip.span()),
        ("map`/`try_map", a.conv.span()),
    ]);
    refuse(cx, others, |other| {
        format!(
            "`{other}` conflicts with `ctx`: a field with a context is its type's own \
             encoding; put the layout keys on that type's fields"
        )
    });
}

/// `id_from = name` chooses an enum's variant by one of its context
/// values: it must be declared in `ctx(..)`, and the enum then has no
/// discriminant of its own to `repr`, and is not chosen by magic.
fn check_id_from<'a>(cx: &Ctxt, input: &'a Input, ctx: &'a [CtxParam]) -> Option<&'a CtxParam> {
    let name = input.attrs.id_from.get()?;
    if input.attrs.repr.is_set() {
        err(
            cx,
            input.attrs.repr.span(),
            "`repr` conflicts with `id_from`: the enum has no discriminant on the wire",
        );
    }
    let found = ctx.iter().find(|p| p.name == *name);
    if found.is_none() {
        cx.error_spanned_by(
            name,
            format!(
                "`id_from = {name}` names no `ctx` parameter: declare it on the enum, \
                 `#[codec(ctx({name}: u16), id_from = {name})]`"
            ),
        );
    }
    if let Body::Enum(variants) = &input.body {
        if let Some(v) = variants.iter().find(|v| v.attrs.magic.is_set()) {
            err(
                cx,
                v.attrs.magic.span(),
                "`magic` conflicts with `id_from`: a variant is chosen by one of them",
            );
        }
    }
    found
}

/// The id range of a context value choosing a variant: its integer type's,
/// `u64` for any other type (which must convert to `u64`).
fn ctx_id_kind(ty: &syn::Type) -> LenKind {
    match type_head(ty) {
        Some((name, args)) if args.is_empty() => match name.as_str() {
            "u8" => LenKind::U8,
            "u16" => LenKind::U16,
            "u32" => LenKind::U32,
            _ => LenKind::U64,
        },
        _ => LenKind::U64,
    }
}

/// A variant with an id pattern (`id = 0x80..=0xff`) stands for several
/// ids, so where a discriminant is written, encode needs to know which:
/// the first field holds it, as an `other` variant's does. Where the
/// context chooses the variant, nothing is written and no field is needed.
fn check_pattern_variant(cx: &Ctxt, v: &Variant, id_from: bool) {
    if !v.attrs.id_pat.is_set() {
        return;
    }
    if v.attrs.other.is_set() {
        err(
            cx,
            v.attrs.id_pat.span(),
            "an `other` variant has no `id`: it takes every unknown one",
        );
        return;
    }
    if id_from {
        return;
    }
    if v.shape == Shape::Unit || v.fields.is_empty() {
        err(
            cx,
            v.attrs.id_pat.span(),
            format!(
                "variant `{}` has an `id` pattern, so it needs a first field to hold the \
                 discriminant it was read with (as an `other` variant does)",
                v.ident
            ),
        );
    } else if v.fields[0].attrs.skip.is_set() || v.fields[0].attrs.len.is_set() {
        err(
            cx,
            v.attrs.id_pat.span(),
            "the first field of a variant with an `id` pattern holds the discriminant as is",
        );
    }
}

/// Inclusive ranges of ids.
type IdRanges = Vec<(u64, u64)>;

/// The ids an `id` pattern matches, as inclusive ranges: integer literals,
/// `a..=b`, `a..b` and `|` of them. `None` for anything else.
fn pattern_ranges(pat: &syn::Pat) -> Option<Vec<(u64, u64)>> {
    match pat {
        syn::Pat::Lit(l) => match &l.lit {
            Lit::Int(i) => i.base10_parse().ok().map(|v| vec![(v, v)]),
            _ => None,
        },
        syn::Pat::Range(r) => {
            let lo = literal_u64(r.start.as_deref()?)?;
            let hi = literal_u64(r.end.as_deref()?)?;
            let hi = match r.limits {
                syn::RangeLimits::Closed(_) => hi,
                syn::RangeLimits::HalfOpen(_) => hi.checked_sub(1)?,
            };
            (lo <= hi).then(|| vec![(lo, hi)])
        }
        syn::Pat::Or(o) => {
            let mut out = Vec::new();
            for case in &o.cases {
                out.extend(pattern_ranges(case)?);
            }
            Some(out)
        }
        syn::Pat::Paren(p) => pattern_ranges(&p.pat),
        _ => None,
    }
}

/// Each id pattern is made of integers and ranges that fit the
/// discriminant, and no two variants claim the same id: decode could only
/// ever choose the first, so the other would not round-trip.
fn check_id_overlaps(cx: &Ctxt, variants: &[Variant], ids: &[u64], kind: LenKind) {
    // Each variant's inclusive id ranges, and whether they are a pattern.
    let mut claims: Vec<(&Variant, IdRanges, bool)> = Vec::new();
    for (v, id) in variants.iter().zip(ids) {
        if v.attrs.other.is_set() || v.attrs.magic.is_set() {
            continue;
        }
        let Some(pat) = v.attrs.id_pat.get() else {
            claims.push((v, vec![(*id, *id)], false));
            continue;
        };
        let Some(ranges) = pattern_ranges(pat) else {
            cx.error_spanned_by(
                pat,
                "an `id` pattern is integers and ranges joined by `|`, such as \
                 `id = 1 | 3` or `id = 0x80..=0xff`",
            );
            continue;
        };
        if ranges.iter().any(|(_, hi)| *hi > kind.max()) {
            cx.error_spanned_by(
                pat,
                format!(
                    "`id` of `{}` does not fit the `{}` discriminant",
                    v.ident,
                    kind.name()
                ),
            );
        }
        claims.push((v, ranges, true));
    }
    for (i, (a, ra, pa)) in claims.iter().enumerate() {
        for (b, rb, pb) in &claims[i + 1..] {
            // Two plain ids are `resolve_ids`'s to report.
            if !(*pa || *pb) {
                continue;
            }
            let both = ra
                .iter()
                .flat_map(|x| rb.iter().map(move |y| (x, y)))
                .find(|(x, y)| x.0 <= y.1 && y.0 <= x.1);
            if let Some((x, y)) = both {
                let shared = x.0.max(y.0);
                cx.error_spanned_by(
                    b.ident,
                    format!(
                        "the ids of `{}` and `{}` overlap (both take {shared}): make the \
                         patterns disjoint",
                        a.ident, b.ident
                    ),
                );
            }
        }
    }
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
    check_fields(cx, fields, &[]);
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
    let order = input.attrs.endian.get().copied().unwrap_or(Endian::Big);
    let lsb = input.attrs.bit_order.get() == Some(&BitOrder::Lsb);
    let plans = bit_runs(plan(fields, order, &[])?, lsb);
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
        // A bit field (MQTT's packet type nibble): N bits.
        Wire::Bits(b) => (
            type_max.min(u64::MAX >> (64 - b.width)),
            format!("{} bits", b.width),
        ),
        // Any other wire form of an integer: the type's range; the field's
        // own encoder refuses a value its wire form cannot carry, naming
        // the field. A form with a smaller range gets its arm above, so
        // `MAX_ID`/`MAX_LEN` (and the protocol derive's compile-time id
        // check) are exact.
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
