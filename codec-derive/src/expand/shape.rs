//! `Encode::SHAPE`: the wire metadata a tool walks bytes with outside Rust
//! (the runtime's Wireshark dissector generator), from the same model as
//! the encoder and `Message::FIELDS`.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{GenericArgument, PathArguments, Type};

use super::message::{layout_entries, Entry};
use crate::attr::{Endian, LenKind, Unit};
use crate::model::{FieldPlan, Layout, LayoutBody, Presence, TypeSize, Wire};
use crate::paths::{
    ENCODE, FIELD_PRESENCE, FIELD_SHAPE, FIELD_WIRE, LEN_WIRE, NONE, SHAPE, SOME, VARIANT_SHAPE,
};

/// `const SHAPE: Shape = ..;` for a derived `Encode` impl.
pub fn shape_const(layout: &Layout) -> TokenStream {
    let shape = match &layout.body {
        LayoutBody::Struct(plans) => {
            let fields = fields(layout.magic, plans, layout.size);
            quote!(#SHAPE::Struct(&[#(#fields),*]))
        }
        // Variants chosen by magic, or a magic before the discriminant, are
        // not described: the bytes are shown rather than a guess.
        LayoutBody::Enum { by_magic: true, .. } => quote!(#SHAPE::Opaque),
        LayoutBody::Enum { .. } if layout.magic.is_some() => quote!(#SHAPE::Opaque),
        LayoutBody::Enum {
            repr,
            order,
            variants,
            ..
        } => {
            let repr = len_wire(*repr);
            let little = *order == Endian::Little;
            let variants = variants.iter().map(|v| {
                let name = v.variant.ident.to_string();
                let (id, other) = (v.id, v.other);
                // An `other` variant's first field is the discriminant itself.
                let plans = v.fields.get(usize::from(other)..).unwrap_or(&[]);
                let fields = fields(v.magic, plans, None);
                quote! {
                    #VARIANT_SHAPE { name: #name, id: #id, other: #other, fields: &[#(#fields),*] }
                }
            });
            quote! {
                #SHAPE::Enum { repr: #SOME(#repr), little: #little, variants: &[#(#variants),*] }
            }
        }
    };
    quote!(const SHAPE: #SHAPE = #shape;)
}

/// One `FieldShape` per `FieldLayout` entry of the fields.
fn fields(
    magic: Option<&syn::LitByteStr>,
    plans: &[FieldPlan],
    size: Option<TypeSize>,
) -> Vec<TokenStream> {
    layout_entries(magic, plans, size)
        .into_iter()
        .map(|(layout, what)| {
            let (shape, wire, presence, little) = match what {
                Entry::Magic(m) => (
                    quote!(|| #SHAPE::Opaque),
                    quote!(#FIELD_WIRE::Magic(#m)),
                    quote!(#FIELD_PRESENCE::Always),
                    false,
                ),
                Entry::Pad(width) => (
                    quote!(|| #SHAPE::Opaque),
                    {
                        let bytes = match width {
                            Some(w) => quote!(#SOME(#w)),
                            None => quote!(#NONE),
                        };
                        quote!(#FIELD_WIRE::Pad { bytes: #bytes })
                    },
                    quote!(#FIELD_PRESENCE::Always),
                    false,
                ),
                // A type taking a context has no `Encode::SHAPE`: its
                // layout depends on values the tool does not have.
                Entry::Field(p) if p.ctx.is_some() => (
                    quote!(|| #SHAPE::Opaque),
                    quote!(#FIELD_WIRE::WithCtx),
                    presence(p),
                    false,
                ),
                Entry::Field(p) => (
                    shape_fn(p.ty),
                    wire(p),
                    presence(p),
                    p.order == Endian::Little,
                ),
            };
            quote! {
                #FIELD_SHAPE {
                    layout: #layout,
                    shape: #shape,
                    wire: #wire,
                    presence: #presence,
                    little: #little,
                }
            }
        })
        .collect()
}

fn wire(p: &FieldPlan) -> TokenStream {
    let bytes_unit = |u: &Unit| matches!(u, Unit::Bytes);
    match &p.wire {
        // Skipped fields have no layout entry.
        Wire::Skip | Wire::Plain => quote!(#FIELD_WIRE::Plain),
        Wire::Base128 { vlq, .. } => quote!(#FIELD_WIRE::Base128 { vlq: #vlq }),
        Wire::IntN { bytes, signed } => {
            let bytes = *bytes as u8;
            quote!(#FIELD_WIRE::IntN { bytes: #bytes, signed: #signed })
        }
        Wire::Prefixed(k, unit) => {
            let len = len_wire(k.kind);
            let adds = k.adds;
            let null = match k.null {
                Some(n) => quote!(#SOME(#n)),
                None => quote!(#NONE),
            };
            let bytes = bytes_unit(unit);
            quote!(#FIELD_WIRE::Prefixed { len: #len, adds: #adds, null: #null, bytes: #bytes })
        }
        Wire::LenFrom { holder, unit, adds } => {
            let holder = &holder.name;
            let bytes = bytes_unit(unit);
            quote!(#FIELD_WIRE::LenFrom { holder: #holder, adds: #adds, bytes: #bytes })
        }
        Wire::Rest => quote!(#FIELD_WIRE::Rest),
        Wire::LenCtx { name, unit, adds } => {
            let name = name.to_string();
            let bytes = bytes_unit(unit);
            quote!(#FIELD_WIRE::LenCtx { name: #name, adds: #adds, bytes: #bytes })
        }
        Wire::Bits(b) => {
            let (width, first, lsb) = (b.width as u8, b.first as u8, b.lsb);
            let run_bytes = b.run_bytes() as u8;
            quote!(#FIELD_WIRE::Bits { width: #width, first: #first, run_bytes: #run_bytes, lsb: #lsb })
        }
        Wire::Term { byte } => quote!(#FIELD_WIRE::Term(#byte)),
        Wire::Padded { size, pad } => quote!(#FIELD_WIRE::Padded { size: #size, pad: #pad }),
    }
}

fn presence(p: &FieldPlan) -> TokenStream {
    match &p.presence {
        Presence::Always => quote!(#FIELD_PRESENCE::Always),
        Presence::Byte => quote!(#FIELD_PRESENCE::Byte),
        Presence::Null => quote!(#FIELD_PRESENCE::Null),
        Presence::When { expr, .. } => {
            let text = expr.to_token_stream().to_string();
            quote!(#FIELD_PRESENCE::When(#text))
        }
    }
}

fn len_wire(k: LenKind) -> TokenStream {
    let int = |bytes: u8, signed: bool| quote!(#LEN_WIRE::Int { bytes: #bytes, signed: #signed });
    match k {
        LenKind::U8 => int(1, false),
        LenKind::U16 => int(2, false),
        LenKind::U24 => int(3, false),
        LenKind::U32 => int(4, false),
        LenKind::U40 => int(5, false),
        LenKind::U48 => int(6, false),
        LenKind::U56 => int(7, false),
        LenKind::U64 => int(8, false),
        LenKind::I8 => int(1, true),
        LenKind::I16 => int(2, true),
        LenKind::I32 => int(4, true),
        LenKind::I64 => int(8, true),
        LenKind::Varint => quote!(#LEN_WIRE::Varint),
        LenKind::Vlq => quote!(#LEN_WIRE::Vlq),
    }
}

/// A `fn() -> Shape` for a field type (a function, so a recursive type's
/// shape is no constant cycle).
fn shape_fn(ty: &Type) -> TokenStream {
    let shape = shape_expr(ty);
    quote!(|| #shape)
}

/// The shape of a type: std types by their bare names (as `FIELDS` reads
/// widths), anything else through its own `Encode::SHAPE`.
fn shape_expr(ty: &Type) -> TokenStream {
    let own = || quote!(<#ty as #ENCODE>::SHAPE);
    match ty {
        Type::Group(g) => shape_expr(&g.elem),
        Type::Paren(p) => shape_expr(&p.elem),
        Type::Reference(r) => shape_expr(&r.elem),
        Type::Slice(s) => {
            let elem = shape_fn(&s.elem);
            quote!(#SHAPE::Seq(#elem))
        }
        Type::Array(a) => {
            let (elem, len) = (shape_fn(&a.elem), &a.len);
            quote!(#SHAPE::Array(#elem, #len))
        }
        Type::Path(p)
            if p.qself.is_none()
                && p.path.leading_colon.is_none()
                && p.path.segments.len() == 1 =>
        {
            let seg = &p.path.segments[0];
            let name = seg.ident.to_string();
            match &seg.arguments {
                PathArguments::None => scalar_shape(&name).unwrap_or_else(own),
                PathArguments::AngleBracketed(args) => {
                    let mut tys = args.args.iter().filter_map(|a| match a {
                        GenericArgument::Type(t) => Some(t),
                        _ => None,
                    });
                    match (tys.next(), tys.next(), name.as_str()) {
                        (Some(elem), None, "Vec" | "VecDeque") => {
                            let elem = shape_fn(elem);
                            quote!(#SHAPE::Seq(#elem))
                        }
                        (Some(inner), None, "Box" | "Rc" | "Arc" | "Cow") => shape_expr(inner),
                        (Some(inner), None, "Option") => {
                            let inner = shape_fn(inner);
                            quote!(#SHAPE::Option(#inner))
                        }
                        _ => own(),
                    }
                }
                PathArguments::Parenthesized(_) => own(),
            }
        }
        _ => own(),
    }
}

/// Primitives and text by their bare names.
fn scalar_shape(name: &str) -> Option<TokenStream> {
    let int =
        |bytes: u8, signed: bool| Some(quote!(#SHAPE::Int { bytes: #bytes, signed: #signed }));
    match name {
        "u8" => int(1, false),
        "u16" => int(2, false),
        "u32" | "char" => int(4, false),
        "u64" | "usize" => int(8, false),
        "u128" => int(16, false),
        "i8" => int(1, true),
        "i16" => int(2, true),
        "i32" => int(4, true),
        "i64" | "isize" => int(8, true),
        "i128" => int(16, true),
        "f32" => Some(quote!(#SHAPE::Float { bytes: 4u8 })),
        "f64" => Some(quote!(#SHAPE::Float { bytes: 8u8 })),
        "bool" => Some(quote!(#SHAPE::Bool)),
        "String" | "str" => Some(quote!(#SHAPE::Text)),
        _ => None,
    }
}
