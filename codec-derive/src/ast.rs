//! The input model: a struct or enum with typed attributes on every node.

use quote::format_ident;
use syn::visit::Visit;
use syn::{Data, DeriveInput, Expr, Fields, Ident, Member, Type};

use crate::attr::{ContainerAttrs, FieldAttrs, VariantAttrs};
use crate::ctxt::Ctxt;

pub struct Input<'a> {
    pub original: &'a DeriveInput,
    pub attrs: ContainerAttrs,
    pub body: Body<'a>,
}

pub enum Body<'a> {
    Struct(Vec<Field<'a>>),
    Enum(Vec<Variant<'a>>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Named,
    Tuple,
    Unit,
}

pub struct Variant<'a> {
    pub original: &'a syn::Variant,
    pub ident: &'a Ident,
    pub attrs: VariantAttrs,
    pub shape: Shape,
    pub fields: Vec<Field<'a>>,
}

pub struct Field<'a> {
    /// Position in its struct or variant (`__b<index>` when matched).
    pub index: usize,
    /// `self.<member>` in a struct.
    pub member: Member,
    /// The local that holds the field while decoding (the field's own name,
    /// so `when` and `len_from` expressions can refer to earlier fields).
    pub local: Ident,
    /// The name used in paths and layouts: `name`, or `0` in a tuple struct.
    pub name: String,
    pub ty: &'a Type,
    pub attrs: FieldAttrs,
}

impl<'a> Input<'a> {
    pub fn from_syn(cx: &Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let is_enum = matches!(input.data, Data::Enum(_));
        let attrs = ContainerAttrs::parse(cx, &input.attrs, is_enum);
        let body = match &input.data {
            Data::Struct(s) => {
                let (_, fields) = fields_from_syn(cx, &s.fields);
                Body::Struct(fields)
            }
            Data::Enum(e) => Body::Enum(
                e.variants
                    .iter()
                    .map(|v| {
                        let (shape, fields) = fields_from_syn(cx, &v.fields);
                        Variant {
                            original: v,
                            ident: &v.ident,
                            attrs: VariantAttrs::parse(cx, &v.attrs),
                            shape,
                            fields,
                        }
                    })
                    .collect(),
            ),
            Data::Union(u) => {
                cx.error_spanned_by(u.union_token, "codec cannot derive for unions");
                return None;
            }
        };
        Some(Input {
            original: input,
            attrs,
            body,
        })
    }

    pub fn ident(&self) -> &'a Ident {
        &self.original.ident
    }
}

fn fields_from_syn<'a>(cx: &Ctxt, fields: &'a Fields) -> (Shape, Vec<Field<'a>>) {
    let shape = match fields {
        Fields::Named(_) => Shape::Named,
        Fields::Unnamed(_) => Shape::Tuple,
        Fields::Unit => Shape::Unit,
    };
    let fields = fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (member, local, name) = match &f.ident {
                Some(id) => (Member::Named(id.clone()), id.clone(), unraw(id)),
                None => (
                    Member::Unnamed(i.into()),
                    format_ident!("__f{}", i),
                    i.to_string(),
                ),
            };
            Field {
                index: i,
                member,
                local,
                name,
                ty: &f.ty,
                attrs: FieldAttrs::parse(cx, &f.attrs),
            }
        })
        .collect();
    (shape, fields)
}

fn unraw(id: &Ident) -> String {
    let s = id.to_string();
    s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
}

/// The last path segment's name and generic arguments of a type, looking
/// through references and parentheses.
pub fn type_head(ty: &Type) -> Option<(String, Vec<&Type>)> {
    match ty {
        Type::Paren(p) => type_head(&p.elem),
        Type::Group(g) => type_head(&g.elem),
        Type::Path(p) if p.qself.is_none() => {
            let seg = p.path.segments.last()?;
            let args = match &seg.arguments {
                syn::PathArguments::AngleBracketed(a) => a
                    .args
                    .iter()
                    .filter_map(|a| match a {
                        syn::GenericArgument::Type(t) => Some(t),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            Some((seg.ident.to_string(), args))
        }
        _ => None,
    }
}

/// `T` when `ty` is written `Option<T>`.
pub fn option_inner(ty: &Type) -> Option<&Type> {
    match type_head(ty) {
        Some((name, args)) if name == "Option" && args.len() == 1 => Some(args[0]),
        _ => None,
    }
}

/// Every primitive scalar the derive knows, with its width on the wire
/// (`usize` and `isize` travel as 8 bytes, range-checked) and whether it
/// is an integer.
const SCALARS: &[(&str, usize, bool)] = &[
    ("u8", 1, true),
    ("i8", 1, true),
    ("bool", 1, false),
    ("u16", 2, true),
    ("i16", 2, true),
    ("u32", 4, true),
    ("i32", 4, true),
    ("f32", 4, false),
    ("char", 4, false),
    ("u64", 8, true),
    ("i64", 8, true),
    ("f64", 8, false),
    ("usize", 8, true),
    ("isize", 8, true),
    ("u128", 16, true),
    ("i128", 16, true),
];

/// The scalar `ty` is written as (looking through references' paths and
/// parentheses): its name, width and whether it is an integer.
fn scalar(ty: &Type) -> Option<(&'static str, usize, bool)> {
    match type_head(ty) {
        Some((name, args)) if args.is_empty() => {
            SCALARS.iter().copied().find(|(n, _, _)| *n == name)
        }
        _ => None,
    }
}

/// True when `ty` is written as a primitive integer.
pub fn is_integer(ty: &Type) -> bool {
    matches!(scalar(ty), Some((_, _, true)))
}

/// True when `ty` is written as a type that certainly has no length:
/// a scalar primitive or an array.
pub fn is_scalar(ty: &Type) -> bool {
    match ty {
        Type::Array(_) => true,
        Type::Paren(p) => is_scalar(&p.elem),
        _ => scalar(ty).is_some(),
    }
}

/// True when `ty` is written as a scalar of fixed width whatever its value
/// (not `usize`/`isize`, which are range-checked): the derive packs runs
/// of these into one copy.
pub fn is_fixed_width(ty: &Type) -> bool {
    matches!(scalar(ty), Some((name, _, _)) if !matches!(name, "usize" | "isize"))
}

/// The fixed-width std types (`codec::std_types`), with their width on the
/// wire: known to `Message::FIELDS` by their bare name, never packed (their
/// decoders check the value).
const STD_FIXED: &[(&str, usize)] = &[
    ("NonZeroU8", 1),
    ("NonZeroI8", 1),
    ("NonZeroU16", 2),
    ("NonZeroI16", 2),
    ("NonZeroU32", 4),
    ("NonZeroI32", 4),
    ("NonZeroU64", 8),
    ("NonZeroI64", 8),
    ("NonZeroU128", 16),
    ("NonZeroI128", 16),
    ("NonZeroUsize", 8),
    ("NonZeroIsize", 8),
    ("Ipv4Addr", 4),
    ("Ipv6Addr", 16),
    ("SocketAddrV4", 6),
    ("SocketAddrV6", 26),
];

/// The wire width of `ty` when it is written as a bare primitive or
/// fixed-width std type name (`u16`, `Ipv4Addr`, not
/// `core::primitive::u16`): what `Message::FIELDS` reports.
pub fn bare_scalar_width(ty: &Type) -> Option<usize> {
    match ty {
        Type::Path(p)
            if p.qself.is_none()
                && p.path.leading_colon.is_none()
                && p.path.segments.len() == 1
                && p.path.segments[0].arguments.is_none() =>
        {
            let name = &p.path.segments[0].ident;
            scalar(ty).map(|(_, width, _)| width).or_else(|| {
                STD_FIXED
                    .iter()
                    .find(|(n, _)| name == n)
                    .map(|&(_, width)| width)
            })
        }
        Type::Group(g) => bare_scalar_width(&g.elem),
        _ => None,
    }
}

/// The fields among `fields` that an expression names, in field order.
pub fn referenced_fields<'a, 'b>(expr: &Expr, fields: &'b [Field<'a>]) -> Vec<&'b Field<'a>> {
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

/// `generics` plus a leading `'de` that outlives every lifetime of the
/// type: the generics of a `Decode<'de>` impl.
pub fn de_generics(generics: &syn::Generics) -> syn::Generics {
    let mut generics = generics.clone();
    let bounds: Vec<syn::Lifetime> = generics.lifetimes().map(|l| l.lifetime.clone()).collect();
    let de: syn::LifetimeParam = if bounds.is_empty() {
        syn::parse_quote!('de)
    } else {
        syn::parse_quote!('de: #(#bounds)+*)
    };
    generics.params.insert(0, syn::GenericParam::Lifetime(de));
    generics
}

/// Bytes and signedness of `ty` when it is written as a primitive integer:
/// the widest a `#[codec(bytes = N)]` field of it may be.
pub fn integer_width(ty: &Type) -> Option<(usize, bool)> {
    match scalar(ty) {
        Some((name, width, true)) => Some((width, name.starts_with('i'))),
        _ => None,
    }
}
