//! `#[derive(Message)]`: the message id, name and static layout, plus the
//! correlation tag and typed response used by request/response connections.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};

use super::{container_endian, plan, wrap, FieldPlan, Presence, Wire};
use crate::ast::{Body, Input};

pub fn expand(input: &Input) -> TokenStream {
    let ident = input.ident();
    let name = ident.to_string();
    let (impl_g, ty_g, where_c) = input.original.generics.split_for_impl();
    let id = input
        .attrs
        .id
        .get()
        .expect("validated: Message needs an id");
    let fields = match &input.body {
        Body::Struct(fields) => layouts(&plan(fields, container_endian(input))),
        Body::Enum(_) => quote! {
            _codec::message::FieldLayout { name: "id", offset: Some(0), width: None, encoding: "discriminant" }
        },
    };
    let tag = tag_items(input);
    let request = input.attrs.response.get().map(|resp| {
        quote! {
            #[automatically_derived]
            impl #impl_g _codec::message::Request for #ident #ty_g #where_c {
                type Response = #resp;
            }
        }
    });
    wrap(
        input,
        quote! {
            #[automatically_derived]
            impl #impl_g _codec::Message for #ident #ty_g #where_c {
                const ID: _codec::__private::u64 = #id;
                const NAME: &'static _codec::__private::str = #name;
                const FIELDS: &'static [_codec::message::FieldLayout] = &[#fields];
                #tag
            }

            #request
        },
    )
}

/// `TAG_MAX`, `tag` and `set_tag` for a struct with a `#[codec(tag)]` field.
fn tag_items(input: &Input) -> TokenStream {
    let Body::Struct(fields) = &input.body else {
        return quote!();
    };
    let Some(f) = fields.iter().find(|f| f.attrs.tag.is_set()) else {
        return quote!();
    };
    let (m, ty) = (&f.member, f.ty);
    quote! {
        const TAG_MAX: _codec::__private::u64 = <#ty as _codec::__private::TagInt>::TAG_MAX;

        #[inline]
        fn tag(&self) -> _codec::__private::Option<_codec::__private::u64> {
            _codec::__private::Some(_codec::__private::TagInt::to_tag(self.#m))
        }

        #[inline]
        fn set_tag(&mut self, tag: _codec::__private::u64) -> _codec::__private::bool {
            match <#ty as _codec::__private::TagInt>::from_tag(tag) {
                _codec::__private::Some(t) => {
                    self.#m = t;
                    true
                }
                _codec::__private::None => false,
            }
        }
    }
}

/// One `FieldLayout` per wire field, with offsets while every earlier field
/// has a fixed width.
fn layouts(plans: &[FieldPlan]) -> TokenStream {
    let mut offset = Some(0usize);
    let entries = plans.iter().filter(|p| !matches!(p.wire, Wire::Skip)).map(|p| {
        let name = &p.field.name;
        let width = fixed_width(p);
        let encoding = describe(p);
        let off = option(offset);
        let w = option(width);
        offset = offset.zip(width).map(|(o, w)| o + w);
        quote! {
            _codec::message::FieldLayout { name: #name, offset: #off, width: #w, encoding: #encoding }
        }
    });
    quote!(#(#entries),*)
}

fn option(v: Option<usize>) -> TokenStream {
    match v {
        Some(v) => quote!(_codec::__private::Some(#v)),
        None => quote!(_codec::__private::None),
    }
}

/// Bytes a field always takes, when its type says so.
fn fixed_width(p: &FieldPlan) -> Option<usize> {
    if !matches!(p.presence, Presence::Always) || !matches!(p.wire, Wire::Plain) {
        return None;
    }
    primitive_width(&p.ty.to_token_stream().to_string())
}

fn primitive_width(ty: &str) -> Option<usize> {
    Some(match ty {
        "u8" | "i8" | "bool" => 1,
        "u16" | "i16" => 2,
        "u32" | "i32" | "f32" | "char" => 4,
        "u64" | "i64" | "f64" | "usize" | "isize" => 8,
        "u128" | "i128" => 16,
        _ => return None,
    })
}

/// A short description of a field's encoding: `u16`, `u32 le`,
/// `len = u8, String`, `vlq u64`, `when flags & 1 != 0: vlq u64`.
fn describe(p: &FieldPlan) -> String {
    let ty = p.ty.to_token_stream().to_string().replace(' ', "");
    let little = p.order.to_string().contains("Little");
    let value = match &p.wire {
        Wire::Skip => String::new(),
        Wire::Plain => match primitive_width(&ty) {
            Some(w) if w > 1 && little => format!("{ty} le"),
            Some(_) => ty,
            None => format!("nested {ty}"),
        },
        Wire::Base128 { vlq } => format!("{} {ty}", if *vlq { "vlq" } else { "varint" }),
        Wire::Prefixed(k, _) => format!("len = {}, {ty}", k.name()),
        Wire::LenFrom { holder, .. } => format!("len_from = {}, {ty}", holder.name),
        Wire::Rest => format!("rest, {ty}"),
    };
    let value = match p.holds_len_of {
        Some((seq, _)) => format!("{value} (length of {})", seq.name),
        None => value,
    };
    match p.presence {
        Presence::Always => value,
        Presence::When(e) => format!("when {}: {value}", e.to_token_stream()),
        Presence::Byte => format!("presence byte, {value}"),
    }
}
