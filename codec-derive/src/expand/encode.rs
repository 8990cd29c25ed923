//! `#[derive(Encode)]`.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::{
    container_endian, len_local, len_prefix, path_name, plan, referenced_fields, repr_type, unit,
    wrap, FieldPlan, Presence, Wire,
};
use crate::ast::{is_fixed_width, Body, Field, Input, Shape, Variant};
use crate::attr::LenKind;

pub fn expand(input: &Input, ids: &[u64]) -> TokenStream {
    let ident = input.ident();
    let mut generics = input.original.generics.clone();
    for p in generics.type_params_mut() {
        p.bounds.push(syn::parse_quote!(_codec::Encode));
    }
    let (impl_g, ty_g, where_c) = generics.split_for_impl();
    let (len_body, encode_body) = match &input.body {
        Body::Struct(fields) => {
            let access = |f: &Field| {
                let m = &f.member;
                quote!(&self.#m)
            };
            let (lens, writes) = fields_code(input, None, fields, &access);
            (lens, quote! { #writes _codec::__private::Ok(()) })
        }
        Body::Enum(variants) => enum_code(input, variants, ids),
    };
    wrap(
        input,
        quote! {
            #[automatically_derived]
            impl #impl_g _codec::Encode for #ident #ty_g #where_c {
                #[inline]
                fn encoded_len(&self) -> _codec::__private::usize {
                    #len_body
                }

                #[inline]
                fn encode_with(
                    &self,
                    __buf: &mut _codec::__private::Vec<_codec::__private::u8>,
                    _: _codec::wire::Endian,
                ) -> _codec::__private::Result<(), _codec::EncodeError> {
                    #encode_body
                }
            }
        },
    )
}

/// The length expression and the write statements of a field list; `access`
/// gives a reference to each field's value.
fn fields_code(
    input: &Input,
    variant: Option<&syn::Ident>,
    fields: &[Field],
    access: &dyn Fn(&Field) -> TokenStream,
) -> (TokenStream, TokenStream) {
    let ty_name = path_name(input, variant);
    let plans = plan(fields, container_endian(input));

    let mut len_locals = TokenStream::new();
    let mut checked_len_locals = TokenStream::new();
    for p in &plans {
        let Some((seq, unit_kind)) = p.holds_len_of else {
            continue;
        };
        let seq_plan = plans
            .iter()
            .find(|q| q.field.name == seq.name)
            .expect("planned");
        let optional = !matches!(seq_plan.presence, Presence::Always);
        let local = len_local(p.field);
        let holder_ty = p.field.ty;
        let seq_ty = seq_plan.ty;
        let seq_access = access(seq);
        let u = unit(unit_kind);
        let count = if optional {
            quote! {
                match #seq_access {
                    _codec::__private::Some(__v) => <#seq_ty as _codec::EncodeSeq>::seq_count(__v, #u),
                    _codec::__private::None => 0,
                }
            }
        } else {
            quote!(<#seq_ty as _codec::EncodeSeq>::seq_count(#seq_access, #u))
        };
        // Errors name the holder's type as the prefix: `a u8 length prefix`.
        let holder_name = quote::ToTokens::to_token_stream(holder_ty).to_string();
        let seq_name = &seq.name;
        len_locals.extend(quote! {
            let #local: #holder_ty =
                _codec::__private::len_field::<#holder_ty>(#count, #holder_name).unwrap_or_default();
        });
        checked_len_locals.extend(quote! {
            let #local: #holder_ty = _codec::__private::len_field::<#holder_ty>(#count, #holder_name)
                .map_err(|__e| __e.in_field(#ty_name, #seq_name))?;
        });
    }

    let value = |p: &FieldPlan| match p.holds_len_of {
        Some(_) => {
            let local = len_local(p.field);
            quote!(&#local)
        }
        None => access(p.field),
    };

    let lens = plans
        .iter()
        .filter(|p| !matches!(p.wire, Wire::Skip))
        .map(|p| {
            let v = value(p);
            let inner = |v: TokenStream| value_len(p, v);
            match p.presence {
                Presence::Always => inner(v),
                Presence::When(_) | Presence::Byte => {
                    let byte = matches!(p.presence, Presence::Byte).then(|| quote!(1 +));
                    let some = inner(quote!(__v));
                    quote! {
                        #byte match #v {
                            _codec::__private::Some(__v) => #some,
                            _codec::__private::None => 0,
                        }
                    }
                }
            }
        });
    let len_body = quote! { #len_locals 0 #(+ #lens)* };

    let mut writes = TokenStream::new();
    let mut run = Run::default();
    for p in plans.iter().filter(|p| !matches!(p.wire, Wire::Skip)) {
        let v = value(p);
        let name = &p.field.name;
        let order = &p.order;
        let ty = p.ty;
        match (&p.presence, &p.wire) {
            (Presence::Always, Wire::Plain) if is_fixed_width(ty) => {
                let alone = value_write(p, v.clone());
                run.push(
                    quote!(<#ty as _codec::__private::Fixed>::SIZE),
                    quote!(_codec::__private::Fixed::put(#v, &mut __run, &mut __at, #order);),
                    quote!(_codec::__private::encode_ctx(#alone, #ty_name, #name)?;),
                );
                continue;
            }
            (Presence::Always, Wire::Prefixed(k, u)) if k.fixed_int().is_some() => {
                // The prefix joins the run; the body follows it.
                let int_name = k.fixed_int().expect("checked");
                let int = repr_type(*k);
                let prefix = len_prefix(*k);
                let u = unit(*u);
                let count = quote!(<#ty as _codec::EncodeSeq>::seq_count(#v, #u));
                run.push(
                    quote!(<#int as _codec::__private::Fixed>::SIZE),
                    quote! {
                        _codec::__private::Fixed::put(
                            &_codec::__private::encode_ctx(
                                _codec::__private::len_field::<#int>(#count, #int_name),
                                #ty_name,
                                #name,
                            )?,
                            &mut __run,
                            &mut __at,
                            #order,
                        );
                    },
                    quote! {
                        _codec::__private::encode_ctx(
                            #prefix.write(#count, __buf, #order),
                            #ty_name,
                            #name,
                        )?;
                    },
                );
                writes.extend(run.flush());
                writes.extend(quote! {
                    _codec::__private::encode_ctx(
                        <#ty as _codec::EncodeSeq>::encode_seq(#v, __buf, #order),
                        #ty_name,
                        #name,
                    )?;
                });
                continue;
            }
            _ => {}
        }
        writes.extend(run.flush());
        let write = match p.presence {
            Presence::Always => value_write(p, v),
            Presence::When(expr) => {
                let bindings = referenced_fields(expr, fields).into_iter().map(|f| {
                    let local = &f.local;
                    match plans
                        .iter()
                        .find(|q| q.field.name == f.name)
                        .and_then(|q| q.holds_len_of)
                    {
                        Some(_) => {
                            let len = len_local(f);
                            quote!(let #local = #len;)
                        }
                        None => {
                            let a = access(f);
                            quote!(let #local = _codec::__private::Clone::clone(#a);)
                        }
                    }
                });
                let some = value_write(p, quote!(__v));
                quote! {
                    match ({ #(#bindings)* #expr }, #v) {
                        (true, _codec::__private::Some(__v)) => #some,
                        (false, _codec::__private::None) => _codec::__private::Ok(()),
                        (__p, _) => _codec::__private::Err(_codec::__private::when_mismatch(__p)),
                    }
                }
            }
            Presence::Byte => {
                let some = value_write(p, quote!(__v));
                quote! {
                    match #v {
                        _codec::__private::Some(__v) => {
                            __buf.push(1u8);
                            #some
                        }
                        _codec::__private::None => {
                            __buf.push(0u8);
                            _codec::__private::Ok(())
                        }
                    }
                }
            }
        };
        writes.extend(quote! {
            _codec::__private::encode_ctx(#write, #ty_name, #name)?;
        });
    }
    writes.extend(run.flush());
    (len_body, quote! { #checked_len_locals #writes })
}

/// Consecutive fixed-width pieces (scalars, then at most one fixed length
/// prefix) written into one stack array and appended with one copy: one
/// capacity check instead of one per field.
#[derive(Default)]
struct Run {
    sizes: Vec<TokenStream>,
    puts: Vec<TokenStream>,
    /// Each piece written on its own, for a run of one.
    alone: Vec<TokenStream>,
}

impl Run {
    fn push(&mut self, size: TokenStream, put: TokenStream, alone: TokenStream) {
        self.sizes.push(size);
        self.puts.push(put);
        self.alone.push(alone);
    }

    fn flush(&mut self) -> TokenStream {
        let Run { sizes, puts, alone } = std::mem::take(self);
        if puts.len() < 2 {
            return quote!(#(#alone)*);
        }
        quote! {{
            let mut __run = [0u8; 0 #(+ #sizes)*];
            let mut __at = 0usize;
            #(#puts)*
            __buf.extend_from_slice(&__run);
        }}
    }
}

/// Bytes one value takes; `v` is a reference to it.
fn value_len(p: &FieldPlan, v: TokenStream) -> TokenStream {
    let ty = p.ty;
    match &p.wire {
        Wire::Skip => quote!(0),
        Wire::Plain => quote_spanned!(ty.span()=> <#ty as _codec::Encode>::encoded_len(#v)),
        Wire::Base128 { .. } => quote!(_codec::__private::base128_len::<#ty>(#v)),
        Wire::Prefixed(k, u) => {
            let prefix = len_prefix(*k);
            let u = unit(*u);
            quote_spanned! {ty.span()=> {
                let __n = <#ty as _codec::EncodeSeq>::seq_count(#v, #u);
                #prefix.size(__n) + <#ty as _codec::EncodeSeq>::seq_encoded_len(#v)
            }}
        }
        Wire::LenFrom { .. } | Wire::Rest => {
            quote_spanned!(ty.span()=> <#ty as _codec::EncodeSeq>::seq_encoded_len(#v))
        }
    }
}

/// A `Result` expression writing one value; `v` is a reference to it.
fn value_write(p: &FieldPlan, v: TokenStream) -> TokenStream {
    let ty = p.ty;
    let order = &p.order;
    match &p.wire {
        Wire::Skip => quote!(_codec::__private::Ok(())),
        Wire::Plain => {
            quote_spanned!(ty.span()=> <#ty as _codec::Encode>::encode_with(#v, __buf, #order))
        }
        Wire::Base128 { vlq } => quote! {{
            _codec::__private::write_base128::<#ty>(*#v, __buf, #vlq);
            _codec::__private::Ok(())
        }},
        Wire::Prefixed(k, u) => {
            let prefix = len_prefix(*k);
            let u = unit(*u);
            quote_spanned! {ty.span()=>
                #prefix
                    .write(<#ty as _codec::EncodeSeq>::seq_count(#v, #u), __buf, #order)
                    .and_then(|()| <#ty as _codec::EncodeSeq>::encode_seq(#v, __buf, #order))
            }
        }
        Wire::LenFrom { .. } | Wire::Rest => {
            quote_spanned!(ty.span()=> <#ty as _codec::EncodeSeq>::encode_seq(#v, __buf, #order))
        }
    }
}

/// Pattern binding every field of a variant as `__b0, __b1, ...`.
pub fn variant_pattern(v: &Variant) -> TokenStream {
    let ident = v.ident;
    let binds = (0..v.fields.len()).map(|i| format_ident!("__b{}", i));
    match v.shape {
        Shape::Unit => quote!(Self::#ident),
        Shape::Tuple => quote!(Self::#ident(#(#binds),*)),
        Shape::Named => {
            let members = v.fields.iter().map(|f| &f.member);
            quote!(Self::#ident { #(#members: #binds),* })
        }
    }
}

fn enum_code(input: &Input, variants: &[Variant], ids: &[u64]) -> (TokenStream, TokenStream) {
    let repr = input.attrs.repr.get().copied().unwrap_or(LenKind::U8);
    let repr_ty = repr_type(repr);
    let order = match container_endian(input) {
        Some(crate::attr::Endian::Little) => quote!(_codec::wire::Endian::Little),
        _ => quote!(_codec::wire::Endian::Big),
    };
    let base128 = matches!(repr, LenKind::Varint | LenKind::Vlq);
    let vlq = repr == LenKind::Vlq;
    let disc_len = |id: &TokenStream| {
        if base128 {
            quote!(_codec::__private::base128_len::<_codec::__private::u64>(&#id))
        } else {
            quote!(<#repr_ty as _codec::Encode>::encoded_len(&#id))
        }
    };
    let disc_write = |id: &TokenStream| {
        if base128 {
            quote!(_codec::__private::write_base128::<_codec::__private::u64>(#id, __buf, #vlq);)
        } else {
            quote!(<#repr_ty as _codec::Encode>::encode_with(&#id, __buf, #order)?;)
        }
    };
    let mut len_arms = TokenStream::new();
    let mut write_arms = TokenStream::new();
    for (v, id) in variants.iter().zip(ids) {
        let pat = variant_pattern(v);
        let (fields, id_expr) = if v.attrs.other.is_set() {
            (&v.fields[1..], quote!(*__b0))
        } else {
            let lit = Literal::u64_unsuffixed(*id);
            (&v.fields[..], quote!({ let __id: #repr_ty = #lit; __id }))
        };
        let access = |f: &Field| {
            let i = v
                .fields
                .iter()
                .position(|g| std::ptr::eq(g, f))
                .unwrap_or(0);
            let b = format_ident!("__b{}", i);
            quote!(#b)
        };
        let (lens, writes) = fields_code(input, Some(v.ident), fields, &access);
        let dl = disc_len(&id_expr);
        let dw = disc_write(&id_expr);
        // An `other` value holding an id another variant claims would
        // decode as that variant: refuse it, so every encoding round-trips.
        let claimed: Vec<_> = variants
            .iter()
            .zip(ids)
            .filter(|(w, _)| !w.attrs.other.is_set())
            .map(|(_, id)| Literal::u64_unsuffixed(*id))
            .collect();
        let check = if v.attrs.other.is_set() && !claimed.is_empty() {
            let ty_name = path_name(input, Some(v.ident));
            let first = &v.fields[0].name;
            quote! {
                match { let __id: _codec::__private::u64 = _codec::__private::From::from(*__b0); __id } {
                    #(#claimed)|* => {
                        return _codec::__private::Err(
                            _codec::EncodeError::new(_codec::EncodeErrorKind::Invalid(
                                "an `other` variant cannot hold an id another variant claims",
                            ))
                            .in_field(#ty_name, #first),
                        );
                    }
                    _ => {}
                }
            }
        } else {
            TokenStream::new()
        };
        len_arms.extend(quote!(#pat => #dl + { #lens },));
        write_arms.extend(quote!(#pat => { #check #dw #writes }));
    }
    let len_body = if variants.is_empty() {
        quote!(match *self {})
    } else {
        quote!(match self { #len_arms })
    };
    let write_body = if variants.is_empty() {
        quote!(match *self {})
    } else {
        quote! {
            match self { #write_arms }
            _codec::__private::Ok(())
        }
    };
    (len_body, write_body)
}
