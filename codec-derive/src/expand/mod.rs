//! Code generation. Everything here reads the validated model only.

mod decode;
mod encode;
mod message;
mod protocol;

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use syn::visit::Visit;
use syn::{DeriveInput, Expr, Type};

use crate::ast::{option_inner, Field, Input};
use crate::attr::{Endian, IntEncoding, LenKind, Unit};
use crate::ctxt::Ctxt;
use crate::valid;

/// Which trait a derive implements.
#[derive(Clone, Copy)]
pub enum Derive {
    Encode,
    Decode,
    Message,
    Protocol,
}

/// Parse, validate, expand. On invalid input the errors come with a
/// placeholder impl, so users see their mistake and not a cascade of
/// "trait not implemented" errors.
pub fn derive(input: &DeriveInput, which: Derive) -> TokenStream {
    let cx = Ctxt::new();
    let parsed = Input::from_syn(&cx, input).map(|i| {
        let ids = match which {
            Derive::Protocol => {
                valid::check_protocol(&cx, &i);
                Vec::new()
            }
            Derive::Message => {
                valid::check_message(&cx, &i);
                valid::check(&cx, &i)
            }
            Derive::Encode | Derive::Decode => valid::check(&cx, &i),
        };
        (i, ids)
    });
    match (cx.check(), parsed) {
        (Ok(()), Some((input, ids))) => match which {
            Derive::Encode => encode::expand(&input, &ids),
            Derive::Decode => decode::expand(&input, &ids),
            Derive::Message => message::expand(&input),
            Derive::Protocol => protocol::expand(&input),
        },
        (Err(err), _) => {
            let mut out = err.into_compile_error();
            out.extend(placeholder(input, which));
            out
        }
        (Ok(()), None) => unreachable!("a failed parse always records an error"),
    }
}

/// An impl with `unreachable!()` bodies for input that failed to validate.
fn placeholder(input: &DeriveInput, which: Derive) -> TokenStream {
    let ident = &input.ident;
    let krate = quote!(::codec);
    match which {
        // The other traits have no required items users could call into.
        Derive::Message | Derive::Protocol => quote!(),
        Derive::Encode => {
            let (impl_g, ty_g, where_c) = input.generics.split_for_impl();
            quote! {
                impl #impl_g #krate::Encode for #ident #ty_g #where_c {
                    fn encoded_len(&self) -> _codec::__private::usize { ::core::unreachable!() }
                    fn encode_with(&self, _: &mut #krate::__private::Vec<#krate::__private::u8>, _: #krate::wire::Endian)
                        -> #krate::__private::Result<(), #krate::EncodeError> { ::core::unreachable!() }
                }
            }
        }
        Derive::Decode => {
            let generics = decode_generics(input);
            let (impl_g, _, where_c) = generics.split_for_impl();
            let (_, ty_g, _) = input.generics.split_for_impl();
            quote! {
                impl #impl_g #krate::Decode<'de> for #ident #ty_g #where_c {
                    fn decode_with(_: &mut #krate::Reader<'de>, _: #krate::wire::Endian)
                        -> #krate::__private::Result<Self, #krate::DecodeError> { ::core::unreachable!() }
                }
            }
        }
    }
}

/// The input's generics plus `'de`, outliving every lifetime of the type.
pub fn decode_generics(input: &DeriveInput) -> syn::Generics {
    let mut generics = input.generics.clone();
    let bounds: Vec<syn::Lifetime> = generics.lifetimes().map(|l| l.lifetime.clone()).collect();
    let de: syn::LifetimeParam = syn::parse_quote!('de: #(#bounds)+*);
    let de = if bounds.is_empty() {
        syn::parse_quote!('de)
    } else {
        de
    };
    generics.params.insert(0, syn::GenericParam::Lifetime(de));
    generics
}

/// Wraps generated items so they name the runtime as `_codec`, whatever the
/// user calls it, and leak nothing into the user's namespace.
pub fn wrap(input: &Input, items: TokenStream) -> TokenStream {
    let use_crate = match input.attrs.crate_path.get() {
        Some(path) => quote!(use #path as _codec;),
        None => quote!(
            use ::codec as _codec;
        ),
    };
    quote! {
        const _: () = {
            #use_crate
            #items
        };
    }
}

/// How a field's value is laid out, resolved from its attributes.
pub enum Wire<'a> {
    Skip,
    /// The type's own `Encode`/`Decode`.
    Plain,
    Base128 {
        vlq: bool,
    },
    /// An inline length prefix, then the body.
    Prefixed(LenKind, Unit),
    /// The body; its length lives in the earlier integer field `holder`.
    LenFrom {
        holder: &'a Field<'a>,
        unit: Unit,
    },
    /// The body; its length is whatever is left of the frame.
    Rest,
}

/// Whether a value is there.
pub enum Presence<'a> {
    /// Always (the field's type is the value's type).
    Always,
    /// An `Option<T>` present when the expression over earlier fields holds.
    When(&'a Expr),
    /// An `Option<T>` with a presence byte (0 or 1), inner `T` laid out by
    /// the field's attributes.
    Byte,
}

pub struct FieldPlan<'a> {
    pub field: &'a Field<'a>,
    /// The value's type: `T` for a field of type `Option<T>` unless the
    /// presence is `Always`.
    pub ty: &'a Type,
    pub wire: Wire<'a>,
    pub presence: Presence<'a>,
    pub order: TokenStream,
    /// Set when this integer field holds the length of a later field.
    pub holds_len_of: Option<(&'a Field<'a>, Unit)>,
}

pub fn plan<'a>(fields: &'a [Field<'a>], container: Option<Endian>) -> Vec<FieldPlan<'a>> {
    fields
        .iter()
        .map(|f| {
            let a = &f.attrs;
            let unit = a.unit.get().copied().unwrap_or(Unit::Elements);
            let wire = if a.skip.is_set() {
                Wire::Skip
            } else if let Some(k) = a.len.get() {
                Wire::Prefixed(*k, unit)
            } else if let Some(h) = a.len_from.get() {
                let holder = fields.iter().find(|g| *h == g.name).expect("validated");
                Wire::LenFrom { holder, unit }
            } else if a.rest.is_set() {
                Wire::Rest
            } else if let Some(i) = a.int.get() {
                Wire::Base128 {
                    vlq: *i == IntEncoding::Vlq,
                }
            } else {
                Wire::Plain
            };
            let presence = match (a.when.get(), option_inner(f.ty), &wire) {
                (Some(e), _, _) => Presence::When(e),
                (
                    None,
                    Some(_),
                    Wire::Prefixed(..) | Wire::LenFrom { .. } | Wire::Base128 { .. },
                ) => Presence::Byte,
                _ => Presence::Always,
            };
            let ty = match presence {
                Presence::Always => f.ty,
                _ => option_inner(f.ty).expect("validated"),
            };
            let order = match a.endian.get().or(container.as_ref()) {
                Some(Endian::Little) => quote!(_codec::wire::Endian::Little),
                _ => quote!(_codec::wire::Endian::Big),
            };
            let holds_len_of = fields.iter().find_map(|g| {
                let target = g.attrs.len_from.get()?;
                (target == &f.name)
                    .then(|| (g, g.attrs.unit.get().copied().unwrap_or(Unit::Elements)))
            });
            FieldPlan {
                field: f,
                ty,
                wire,
                presence,
                order,
                holds_len_of,
            }
        })
        .collect()
}

/// `_codec::wire::LenPrefix::U8` etc.
pub fn len_prefix(k: LenKind) -> TokenStream {
    match k {
        LenKind::U8 => quote!(_codec::wire::LenPrefix::U8),
        LenKind::U16 => quote!(_codec::wire::LenPrefix::U16),
        LenKind::U32 => quote!(_codec::wire::LenPrefix::U32),
        LenKind::U64 => quote!(_codec::wire::LenPrefix::U64),
        LenKind::Varint => quote!(_codec::wire::LenPrefix::Varint),
        LenKind::Vlq => quote!(_codec::wire::LenPrefix::Vlq),
    }
}

pub fn unit(u: Unit) -> TokenStream {
    match u {
        Unit::Bytes => quote!(_codec::wire::Unit::Bytes),
        Unit::Elements => quote!(_codec::wire::Unit::Elements),
    }
}

/// The integer type carrying an enum's discriminant.
pub fn repr_type(k: LenKind) -> TokenStream {
    match k {
        LenKind::U8 => quote!(_codec::__private::u8),
        LenKind::U16 => quote!(_codec::__private::u16),
        LenKind::U32 => quote!(_codec::__private::u32),
        LenKind::U64 | LenKind::Varint | LenKind::Vlq => quote!(_codec::__private::u64),
    }
}

/// The local holding the computed length a `len_from` field writes.
pub fn len_local(holder: &Field) -> Ident {
    format_ident!("__len_{}", holder.name)
}

/// Names of the earlier fields an expression refers to, in field order.
pub fn referenced_fields<'a>(expr: &Expr, fields: &'a [Field<'a>]) -> Vec<&'a Field<'a>> {
    struct Idents(Vec<String>);
    impl<'ast> Visit<'ast> for Idents {
        fn visit_path(&mut self, p: &'ast syn::Path) {
            if let Some(id) = p.get_ident() {
                self.0.push(id.to_string());
            }
            syn::visit::visit_path(self, p);
        }
    }
    let mut found = Idents(Vec::new());
    found.visit_expr(expr);
    fields
        .iter()
        .filter(|f| found.0.contains(&f.local.to_string()))
        .collect()
}

/// The type name used in error paths: `Type`, or `Type::Variant`.
pub fn path_name(input: &Input, variant: Option<&Ident>) -> String {
    match variant {
        Some(v) => format!("{}::{}", input.ident(), v),
        None => input.ident().to_string(),
    }
}

pub fn container_endian(input: &Input) -> Option<Endian> {
    input.attrs.endian.get().copied()
}
