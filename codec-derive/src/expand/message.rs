//! `#[derive(Message)]`: the message id, name and static layout, plus the
//! correlation tag and typed response used by request/response connections.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};

use super::wrap;
use crate::ast::{bare_scalar_width, Field};
use crate::attr::Endian;
use crate::model::{FieldPlan, Message, Presence, Wire};
use crate::paths::{BOOL, FIELD_LAYOUT, MESSAGE, NONE, OPTION, REQUEST, SOME, STR, TAG_INT, U64};

pub fn expand(message: &Message) -> TokenStream {
    let input = message.input;
    let ident = input.ident();
    let name = ident.to_string();
    let (impl_g, ty_g, where_c) = input.original.generics.split_for_impl();
    let id = message.id;
    let fields = match &message.fields {
        Some(plans) => layouts(plans),
        None => quote! {
            #FIELD_LAYOUT { name: "id", offset: #SOME(0), width: #NONE, encoding: "discriminant" }
        },
    };
    let tag = message.tag.map(tag_items);
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
fn layouts(plans: &[FieldPlan]) -> TokenStream {
    let mut offset = Some(0usize);
    let entries = plans
        .iter()
        .filter(|p| !matches!(p.wire, Wire::Skip))
        .map(|p| {
            let name = &p.field.name;
            let width = fixed_width(p);
            let encoding = describe(p);
            let off = option(offset);
            let w = option(width);
            offset = offset.zip(width).map(|(o, w)| o + w);
            quote! {
                #FIELD_LAYOUT { name: #name, offset: #off, width: #w, encoding: #encoding }
            }
        });
    quote!(#(#entries),*)
}

fn option(v: Option<usize>) -> TokenStream {
    match v {
        Some(v) => quote!(#SOME(#v)),
        None => quote!(#NONE),
    }
}

/// Bytes a field always takes, when its type says so.
fn fixed_width(p: &FieldPlan) -> Option<usize> {
    if !matches!(p.presence, Presence::Always) || !matches!(p.wire, Wire::Plain) {
        return None;
    }
    bare_scalar_width(p.ty)
}

/// A short description of a field's encoding: `u16`, `u32 le`,
/// `len = u8, String`, `vlq u64`, `when flags & 1 != 0: vlq u64`.
fn describe(p: &FieldPlan) -> String {
    let ty = p.ty.to_token_stream().to_string().replace(' ', "");
    let little = p.order == Endian::Little;
    let value = match &p.wire {
        Wire::Skip => String::new(),
        Wire::Plain => match bare_scalar_width(p.ty) {
            Some(w) if w > 1 && little => format!("{ty} le"),
            Some(_) => ty,
            None => format!("nested {ty}"),
        },
        Wire::Base128 { vlq } => format!("{} {ty}", if *vlq { "vlq" } else { "varint" }),
        Wire::Prefixed(k, _) => format!("len = {}, {ty}", k.name()),
        Wire::LenFrom { holder, .. } => format!("len_from = {}, {ty}", holder.name),
        Wire::Rest => format!("rest, {ty}"),
    };
    let value = match &p.holds_len_of {
        Some(len_of) => format!("{value} (length of {})", len_of.seq.name),
        None => value,
    };
    match &p.presence {
        Presence::Always => value,
        Presence::When { expr: e, .. } => format!("when {}: {value}", e.to_token_stream()),
        Presence::Byte => format!("presence byte, {value}"),
    }
}
