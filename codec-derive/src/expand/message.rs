//! `#[derive(Message)]`: the message id, name and static layout, plus the
//! correlation tag and typed response used by request/response connections.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};

use super::wrap;
use crate::ast::{bare_scalar_width, Field};
use crate::attr::Endian;
use syn::LitByteStr;

use super::encode::int_n_name;
use crate::model::{Computed, FieldPlan, Message, Presence, TypeSize, Wire};
use crate::paths::{BOOL, FIELD_LAYOUT, MESSAGE, NONE, OPTION, REQUEST, SOME, STR, TAG_INT, U64};

pub fn expand(message: &Message) -> TokenStream {
    let input = message.input;
    let ident = input.ident();
    let name = ident.to_string();
    let (impl_g, ty_g, where_c) = input.original.generics.split_for_impl();
    let id = message.id;
    let fields = match &message.fields {
        Some(plans) => layouts(message.layout_magic, plans, message.size),
        None => quote! {
            #FIELD_LAYOUT { name: "id", offset: #SOME(0), width: #NONE, encoding: "discriminant" }
        },
    };
    let tag = message.tag.map(tag_items);
    // Lets a protocol's service trait check its `request` marks.
    let is_request = message
        .response
        .map(|_| quote!(const IS_REQUEST: #BOOL = true;));
    let request = message.response.map(|resp| {
        quote! {
            #[automatically_derived]
            impl #impl_g #REQUEST for #ident #ty_g #where_c {
                type Response = #resp;
            }
        }
    });
    wrap(
        input,
        quote! {
            #[automatically_derived]
            impl #impl_g #MESSAGE for #ident #ty_g #where_c {
                const ID: #U64 = #id;
                const NAME: &'static #STR = #name;
                const FIELDS: &'static [#FIELD_LAYOUT] = &[#fields];
                #is_request
                #tag
            }

            #request
        },
    )
}

/// `TAG_MAX`, `tag` and `set_tag` for a struct with a `#[codec(tag)]` field.
fn tag_items(f: &Field) -> TokenStream {
    let (m, ty) = (&f.member, f.ty);
    quote! {
        const TAG_MAX: #U64 = <#ty as #TAG_INT>::TAG_MAX;

        #[inline]
        fn tag(&self) -> #OPTION<#U64> {
            #SOME(#TAG_INT::to_tag(self.#m))
        }

        #[inline]
        fn set_tag(&mut self, tag: #U64) -> #BOOL {
            match <#ty as #TAG_INT>::from_tag(tag) {
                #SOME(t) => {
                    self.#m = t;
                    true
                }
                #NONE => false,
            }
        }
    }
}

/// One `FieldLayout` per wire field, with offsets while every earlier field
/// has a fixed width.
/// Magic bytes (the type's, then each field's) have an entry of their
/// own, named `magic`, before what they precede.
fn layouts(magic: Option<&LitByteStr>, plans: &[FieldPlan], size: Option<TypeSize>) -> TokenStream {
    let entries = layout_entries(magic, plans, size)
        .into_iter()
        .map(|(e, _)| e);
    quote!(#(#entries),*)
}

/// What one `FieldLayout` entry describes: magic bytes, padding (its width
/// when known) or a field.
pub(super) enum Entry<'p, 'a> {
    Magic(&'a LitByteStr),
    Pad(Option<usize>),
    Field(&'p FieldPlan<'a>),
}

/// The `FieldLayout` expressions of [`layouts`], each with what it
/// describes (for `Encode::SHAPE`, which pairs them with wire metadata).
pub(super) fn layout_entries<'p, 'a>(
    magic: Option<&'a LitByteStr>,
    plans: &'p [FieldPlan<'a>],
    size: Option<TypeSize>,
) -> Vec<(TokenStream, Entry<'p, 'a>)> {
    // A cell, so padding can read the offset `push` advances.
    let offset = std::cell::Cell::new(Some(0usize));
    let mut entries = Vec::new();
    let mut push = |name: &str, width: Option<usize>, encoding: String, what: Entry<'p, 'a>| {
        let off = option(offset.get());
        let w = option(width);
        offset.set(offset.get().zip(width).map(|(o, w)| o + w));
        entries.push((
            quote! {
                #FIELD_LAYOUT { name: #name, offset: #off, width: #w, encoding: #encoding }
            },
            what,
        ));
    };
    let magic_entry = |m: &LitByteStr| {
        let v = m.value();
        (Some(v.len()), format!("magic b\"{}\"", v.escape_ascii()))
    };
    if let Some(m) = magic {
        let (w, e) = magic_entry(m);
        push("magic", w, e, Entry::Magic(m));
    }
    let mut run_start = None;
    for p in plans.iter().filter(|p| !matches!(p.wire, Wire::Skip)) {
        // A bit field is placed in its run: at the byte holding its first
        // bit, as wide as the bytes its bits touch; the offset moves past
        // the run at its last field.
        if let Wire::Bits(b) = &p.wire {
            if b.leads() {
                run_start = offset.get();
            }
            let (lo, hi) = (
                b.first as usize / 8,
                (b.first + b.width).div_ceil(8) as usize,
            );
            offset.set(run_start.map(|o| o + lo));
            push(&p.field.name, Some(hi - lo), describe(p), Entry::Field(p));
            if b.ends() {
                offset.set(run_start.map(|o| o + b.run_bytes()));
            }
            continue;
        }
        // Padding has entries of its own, named `pad`, where it is.
        let pad = p.padding;
        if pad.before > 0 {
            let before = Some(pad.before);
            push(
                "pad",
                before,
                format!("pad_before = {}", pad.before),
                Entry::Pad(before),
            );
        }
        if let Some(n) = pad.align {
            let width = offset.get().map(|o| o.wrapping_neg() & (n - 1));
            push("pad", width, format!("align = {n}"), Entry::Pad(width));
        }
        if let Some(m) = p.magic {
            let (w, e) = magic_entry(m);
            push("magic", w, e, Entry::Magic(m));
        }
        push(&p.field.name, fixed_width(p), describe(p), Entry::Field(p));
        if pad.after > 0 {
            let after = Some(pad.after);
            push(
                "pad",
                after,
                format!("pad_after = {}", pad.after),
                Entry::Pad(after),
            );
        }
    }
    if let Some(ts) = size {
        let width = offset.get().map(|o| ts.size.saturating_sub(o));
        push(
            "pad",
            width,
            format!("size = {}", ts.size),
            Entry::Pad(width),
        );
    }
    entries
}

fn option(v: Option<usize>) -> TokenStream {
    match v {
        Some(v) => quote!(#SOME(#v)),
        None => quote!(#NONE),
    }
}

/// Bytes a field always takes, when its type says so.
fn fixed_width(p: &FieldPlan) -> Option<usize> {
    match (&p.presence, &p.wire) {
        (Presence::Always, Wire::Plain) => bare_scalar_width(p.ty),
        (Presence::Always, Wire::IntN { bytes, .. }) => Some(*bytes),
        (Presence::Always, Wire::Padded { size, .. }) => Some(*size),
        _ => None,
    }
}

/// A short description of a field's encoding: `u16`, `u32 le`,
/// `len = u8, String`, `vlq u64`, `when flags & 1 != 0: vlq u64`.
fn describe(p: &FieldPlan) -> String {
    let ty = p.ty.to_token_stream().to_string().replace(' ', "");
    let little = p.order == Endian::Little;
    let value = match &p.wire {
        Wire::Skip => String::new(),
        // A nested type given a context: `nested Publish, ctx(qos = ..)`.
        Wire::Plain if p.ctx.is_some() => {
            let args = p.ctx.iter().flat_map(|c| c.args).map(|a| {
                let e = a.expr.to_token_stream().to_string();
                format!("{} = {e}", a.name)
            });
            format!("nested {ty}, ctx({})", args.collect::<Vec<_>>().join(", "))
        }
        Wire::Plain => match bare_scalar_width(p.ty) {
            Some(w) if w > 1 && little => format!("{ty} le"),
            Some(_) => ty,
            None => format!("nested {ty}"),
        },
        Wire::Base128 { vlq, max_bytes } => {
            let flavour = if *vlq { "vlq" } else { "varint" };
            match max_bytes {
                Some(n) => format!("{flavour} {ty}, max_bytes = {n}"),
                None => format!("{flavour} {ty}"),
            }
        }
        Wire::IntN { bytes, signed } => {
            let wire = int_n_name(*bytes, *signed);
            let le = if little && *bytes > 1 { " le" } else { "" };
            format!("{wire}{le} {ty}")
        }
        Wire::Prefixed(k, _) => {
            let adds = match k.adds {
                0 => String::new(),
                n => format!(", len_adds = {n}"),
            };
            let null = k.null.map_or(String::new(), |n| format!(", null = {n}"));
            format!("len = {}{adds}{null}, {ty}", k.kind.name())
        }
        Wire::LenFrom { holder, adds, .. } => match adds {
            0 => format!("len_from = {}, {ty}", holder.name),
            n => format!("len_from = {}, len_adds = {n}, {ty}", holder.name),
        },
        Wire::LenCtx { name, adds, .. } => match adds {
            0 => format!("len_from = ctx {name}, {ty}"),
            n => format!("len_from = ctx {name}, len_adds = {n}, {ty}"),
        },
        Wire::Rest => format!("rest, {ty}"),
        Wire::Term { byte } => format!("term = {byte:#04x}, {ty}"),
        Wire::Padded { size, pad } => format!("size = {size}, pad = {pad:#04x}, {ty}"),
        Wire::Bits(b) => format!(
            "bits = {} from bit {} ({} first), {ty}",
            b.width,
            b.first % 8,
            if b.lsb { "lsb" } else { "msb" }
        ),
    };
    let value = match &p.holds_len_of {
        Some(len_of) => format!("{value} (length of {})", len_of.seq.name),
        None => value,
    };
    let value = match &p.computed {
        Some(Computed::Calc(c)) => format!("calc {}: {value}", c.expr.to_token_stream()),
        Some(Computed::Checksum { func, from }) => {
            format!(
                "checksum {} from {}: {value}",
                func.to_token_stream(),
                from.name
            )
        }
        Some(Computed::WireOnly { value: v, .. }) => {
            format!("wire-only {value} = {}", v.to_token_stream())
        }
        None => value,
    };
    match &p.presence {
        Presence::Always => value,
        Presence::When { expr: e, .. } => format!("when {}: {value}", e.to_token_stream()),
        Presence::Byte => format!("presence byte, {value}"),
        Presence::Null => format!("nullable {value}"),
    }
}
