//! `#[derive(Encode)]`.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::run::Run;
use super::{len_local, path_name, wrap};
use crate::ast::{Field, Input, Shape, Variant};
use crate::attr::LenKind;
use crate::model::{FieldPlan, Layout, LayoutBody, Packed, Presence, Use, VariantPlan, Wire};
use crate::paths::{
    endian, int_type, len_prefix, len_spec, prefix, unit, ASSERT_FAILED_ENCODE, BASE128_LEN, CLONE,
    ENCODE, ENCODE_CTX, ENCODE_ERROR, ENCODE_ERROR_KIND, ENCODE_SEQ, ENDIAN, ERR, FIXED, FROM,
    I128, LEN_FIELD, LEN_FIELD_ADDS, NONE, OK, PADDED, RESULT, SOME, TERM_ENCODE, TRY_TO_WIRE, U64,
    U8, USIZE, VEC, WHEN_MISMATCH, WRITE_BASE128, WRITE_BASE128_MAX, WRITE_INT_N, WRITE_PADDED,
};

pub fn expand(layout: &Layout) -> TokenStream {
    let input = layout.input;
    let ident = input.ident();
    let mut generics = input.original.generics.clone();
    for p in generics.type_params_mut() {
        p.bounds.push(syn::parse_quote!(#ENCODE));
    }
    let (impl_g, ty_g, where_c) = generics.split_for_impl();
    let (len_body, encode_body) = match &layout.body {
        LayoutBody::Struct(plans) => {
            let access = |f: &Field| {
                let m = &f.member;
                quote!(&self.#m)
            };
            let (lens, checks, writes) = fields_code(input, None, plans, &access);
            // The type's `assert`, after the fields' own checks and before
            // anything is written.
            let check = layout.assert.as_ref().map(|c| {
                let name = input.ident().to_string();
                let bindings = bind_uses(&c.uses, &access);
                let (expr, msg) = (&c.assert.expr, &c.assert.message);
                quote! {
                    if !{ #(#bindings)* #expr } {
                        return #ERR(#ASSERT_FAILED_ENCODE(#msg).in_type(#name));
                    }
                }
            });
            (lens, quote! { #checks #check #writes #OK(()) })
        }
        LayoutBody::Enum {
            repr,
            order,
            by_magic,
            variants,
        } => enum_code(
            input,
            (!*by_magic).then_some(*repr),
            &endian(*order),
            variants,
        ),
    };
    // The type's magic comes first.
    let (len_body, encode_body) = match layout.magic {
        Some(m) => {
            let n = m.value().len();
            (
                quote!(#n + { #len_body }),
                quote! {
                    __buf.extend_from_slice(#m);
                    #encode_body
                },
            )
        }
        None => (len_body, encode_body),
    };
    wrap(
        input,
        quote! {
            #[automatically_derived]
            impl #impl_g #ENCODE for #ident #ty_g #where_c {
                #[inline]
                fn encoded_len(&self) -> #USIZE {
                    #len_body
                }

                #[inline]
                fn encode_with(
                    &self,
                    __buf: &mut #VEC<#U8>,
                    _: #ENDIAN,
                ) -> #RESULT<(), #ENCODE_ERROR> {
                    #encode_body
                }
            }
        },
    )
}

/// `let` statements binding the fields a `when` or `assert` names to their
/// values (a length holder to the length it will write).
fn bind_uses(uses: &[Use], access: &dyn Fn(&Field) -> TokenStream) -> Vec<TokenStream> {
    uses.iter()
        .map(|u| {
            let local = &u.field.local;
            if u.holds_len {
                let len = len_local(u.field);
                quote!(let #local = #len;)
            } else {
                let a = access(u.field);
                quote!(let #local = #CLONE::clone(#a);)
            }
        })
        .collect()
}

/// The local holding a `map`/`try_map` field's wire value.
fn wire_local(f: &Field) -> syn::Ident {
    format_ident!("__wire_{}", f.name)
}

/// The length expression, the checks that run before anything is written
/// (lengths that must fit, conversions that may fail, `assert`s), and the
/// write statements of a field list; `access` gives a reference to each
/// field's value.
fn fields_code(
    input: &Input,
    variant: Option<&syn::Ident>,
    plans: &[FieldPlan],
    access: &dyn Fn(&Field) -> TokenStream,
) -> (TokenStream, TokenStream, TokenStream) {
    let ty_name = path_name(input, variant);

    let mut len_locals = TokenStream::new();
    let mut checked_len_locals = TokenStream::new();
    for p in plans {
        let Some(len_of) = &p.holds_len_of else {
            continue;
        };
        let local = len_local(p.field);
        let holder_ty = p.field.ty;
        let seq_ty = len_of.seq_ty;
        let seq_access = access(len_of.seq);
        let u = unit(len_of.unit);
        let count = if len_of.optional {
            quote! {
                match #seq_access {
                    #SOME(__v) => <#seq_ty as #ENCODE_SEQ>::seq_count(__v, #u),
                    #NONE => 0,
                }
            }
        } else {
            quote!(<#seq_ty as #ENCODE_SEQ>::seq_count(#seq_access, #u))
        };
        // Errors name the holder's type as the prefix: `a u8 length prefix`.
        let holder_name = quote::ToTokens::to_token_stream(holder_ty).to_string();
        let seq_name = &len_of.seq.name;
        let value = match len_of.adds {
            0 => quote!(#LEN_FIELD::<#holder_ty>(#count, #holder_name)),
            adds => quote!(#LEN_FIELD_ADDS::<#holder_ty>(#count, #adds, #holder_name)),
        };
        len_locals.extend(quote! {
            let #local: #holder_ty = #value.unwrap_or_default();
        });
        checked_len_locals.extend(quote! {
            let #local: #holder_ty = #value.map_err(|__e| __e.in_field(#ty_name, #seq_name))?;
        });
    }

    // Converted fields are converted once, before anything is written.
    for p in plans {
        let Some(c) = p.conv else {
            continue;
        };
        let local = wire_local(p.field);
        let (wire, to) = (&c.wire, &c.to_wire);
        let a = access(p.field);
        let name = &p.field.name;
        if c.fallible {
            len_locals.extend(quote! {
                let #local: #wire = (#to)(#a).unwrap_or_default();
            });
            checked_len_locals.extend(quote! {
                let #local: #wire = #ENCODE_CTX(#TRY_TO_WIRE((#to)(#a)), #ty_name, #name)?;
            });
        } else {
            let conv = quote!(let #local: #wire = (#to)(#a););
            len_locals.extend(conv.clone());
            checked_len_locals.extend(conv);
        }
    }
    // Each field's `assert`, on the values about to be written.
    for p in plans {
        let Some(c) = &p.assert else {
            continue;
        };
        let bindings = bind_uses(&c.uses, access);
        let (expr, msg) = (&c.assert.expr, &c.assert.message);
        let name = &p.field.name;
        checked_len_locals.extend(quote! {
            if !{ #(#bindings)* #expr } {
                return #ERR(#ASSERT_FAILED_ENCODE(#msg).in_field(#ty_name, #name));
            }
        });
    }

    let value = |p: &FieldPlan| match (&p.holds_len_of, p.conv) {
        (Some(_), _) => {
            let local = len_local(p.field);
            quote!(&#local)
        }
        (None, Some(_)) => {
            let local = wire_local(p.field);
            quote!(&#local)
        }
        (None, None) => access(p.field),
    };

    let lens = plans
        .iter()
        .filter(|p| !matches!(p.wire, Wire::Skip))
        .map(|p| {
            let v = value(p);
            let inner = |v: TokenStream| value_len(p, v);
            let magic = p.magic.map(|m| {
                let n = m.value().len();
                quote!(#n +)
            });
            let len = match p.presence {
                Presence::Always => inner(v),
                Presence::Null => {
                    let some = inner(quote!(__v));
                    let spec = null_spec(p);
                    quote! {
                        match #v {
                            #SOME(__v) => #some,
                            #NONE => #spec.null_size(),
                        }
                    }
                }
                Presence::When { .. } | Presence::Byte => {
                    let byte = matches!(p.presence, Presence::Byte).then(|| quote!(1 +));
                    let some = inner(quote!(__v));
                    quote! {
                        #byte match #v {
                            #SOME(__v) => #some,
                            #NONE => 0,
                        }
                    }
                }
            };
            match magic {
                Some(m) => quote!((#m #len)),
                None => len,
            }
        });
    let len_body = quote! { #len_locals 0 #(+ #lens)* };

    let mut writes = TokenStream::new();
    let mut run = Run::default();
    for p in plans.iter().filter(|p| !matches!(p.wire, Wire::Skip)) {
        let v = value(p);
        let name = &p.field.name;
        let order = endian(p.order);
        let ty = p.ty;
        match (p.packed, &p.wire) {
            (Some(Packed::Scalar), _) => {
                let alone = value_write(p, v.clone());
                run.push(
                    quote!(<#ty as #FIXED>::SIZE),
                    (
                        quote!(#FIXED::put(#v, &mut __run, &mut __at, #order);),
                        quote!(#ENCODE_CTX(#alone, #ty_name, #name)?;),
                    ),
                );
                continue;
            }
            (Some(Packed::Prefix(k)), Wire::Prefixed(_, u)) => {
                // The prefix joins the run; the body follows it.
                let int_name = k.name();
                let int = int_type(k);
                let prefix = len_prefix(k);
                let u = unit(*u);
                let count = quote!(<#ty as #ENCODE_SEQ>::seq_count(#v, #u));
                run.push(
                    quote!(<#int as #FIXED>::SIZE),
                    (
                        quote! {
                            #FIXED::put(
                                &#ENCODE_CTX(
                                    #LEN_FIELD::<#int>(#count, #int_name),
                                    #ty_name,
                                    #name,
                                )?,
                                &mut __run,
                                &mut __at,
                                #order,
                            );
                        },
                        quote! {
                            #ENCODE_CTX(
                                #prefix.write(#count, __buf, #order),
                                #ty_name,
                                #name,
                            )?;
                        },
                    ),
                );
                writes.extend(flush(&mut run));
                writes.extend(quote! {
                    #ENCODE_CTX(
                        <#ty as #ENCODE_SEQ>::encode_seq(#v, __buf, #order),
                        #ty_name,
                        #name,
                    )?;
                });
                continue;
            }
            _ => {}
        }
        writes.extend(flush(&mut run));
        if let Some(m) = p.magic {
            writes.extend(quote!(__buf.extend_from_slice(#m);));
        }
        let write = match &p.presence {
            Presence::Always => value_write(p, v),
            Presence::Null => {
                let some = value_write(p, quote!(__v));
                let spec = null_spec(p);
                quote! {
                    match #v {
                        #SOME(__v) => #some,
                        #NONE => {
                            #spec.write_null(__buf, #order);
                            #OK(())
                        }
                    }
                }
            }
            Presence::When { expr, uses } => {
                let bindings = bind_uses(uses, access);
                let some = value_write(p, quote!(__v));
                quote! {
                    match ({ #(#bindings)* #expr }, #v) {
                        (true, #SOME(__v)) => #some,
                        (false, #NONE) => #OK(()),
                        (__p, _) => #ERR(#WHEN_MISMATCH(__p)),
                    }
                }
            }
            Presence::Byte => {
                let some = value_write(p, quote!(__v));
                quote! {
                    match #v {
                        #SOME(__v) => {
                            __buf.push(1u8);
                            #some
                        }
                        #NONE => {
                            __buf.push(0u8);
                            #OK(())
                        }
                    }
                }
            }
        };
        writes.extend(quote! {
            #ENCODE_CTX(#write, #ty_name, #name)?;
        });
    }
    writes.extend(flush(&mut run));
    (len_body, checked_len_locals, writes)
}

/// Writes a run: into one stack array appended with one copy (one
/// capacity check instead of one per field); a run of one on its own.
/// Each piece is (its write into the run, its write on its own).
fn flush(run: &mut Run<(TokenStream, TokenStream)>) -> TokenStream {
    let (sizes, pieces) = run.take();
    let (puts, alone): (Vec<_>, Vec<_>) = pieces.into_iter().unzip();
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

/// The `LenSpec` of a field whose `None` is a `null` length.
fn null_spec(p: &FieldPlan) -> TokenStream {
    match &p.wire {
        Wire::Prefixed(pre, _) => len_spec(pre),
        _ => unreachable!("`null` is validated to come with `len`"),
    }
}

/// The wire type's name of an `N`-byte integer, for errors: `u24`, `i40`.
pub(super) fn int_n_name(bytes: usize, signed: bool) -> String {
    format!("{}{}", if signed { 'i' } else { 'u' }, 8 * bytes)
}

/// Bytes one value takes; `v` is a reference to it.
fn value_len(p: &FieldPlan, v: TokenStream) -> TokenStream {
    let ty = p.ty;
    let span = ty.span();
    let (encode, encode_seq) = (ENCODE.at(span), ENCODE_SEQ.at(span));
    match &p.wire {
        Wire::Skip => quote!(0),
        Wire::Plain => quote_spanned!(span=> <#ty as #encode>::encoded_len(#v)),
        Wire::Base128 { .. } => quote!(#BASE128_LEN::<#ty>(#v)),
        Wire::IntN { bytes, .. } => quote!(#bytes),
        Wire::Prefixed(k, u) => {
            let prefix = prefix(k);
            let u = unit(*u);
            quote_spanned! {span=> {
                let __n = <#ty as #encode_seq>::seq_count(#v, #u);
                #prefix.size(__n) + <#ty as #encode_seq>::seq_encoded_len(#v)
            }}
        }
        Wire::LenFrom { .. } | Wire::Rest => {
            quote_spanned!(span=> <#ty as #encode_seq>::seq_encoded_len(#v))
        }
        Wire::Term { .. } => {
            let term = TERM_ENCODE.at(span);
            quote_spanned!(span=> <#ty as #term>::term_len(#v) + 1)
        }
        Wire::Padded { size, .. } => quote!(#size),
    }
}

/// A `Result` expression writing one value; `v` is a reference to it.
fn value_write(p: &FieldPlan, v: TokenStream) -> TokenStream {
    let ty = p.ty;
    let span = ty.span();
    let (encode, encode_seq) = (ENCODE.at(span), ENCODE_SEQ.at(span));
    let order = endian(p.order);
    match &p.wire {
        Wire::Skip => quote!(#OK(())),
        Wire::Plain => {
            quote_spanned!(span=> <#ty as #encode>::encode_with(#v, __buf, #order))
        }
        Wire::Base128 {
            vlq,
            max_bytes: None,
        } => quote! {{
            #WRITE_BASE128::<#ty>(*#v, __buf, #vlq);
            #OK(())
        }},
        Wire::Base128 {
            vlq,
            max_bytes: Some(max),
        } => {
            let flavour = if *vlq { "vlq" } else { "varint" };
            let target = format!("{flavour} of at most {}", super::decode::byte_count(*max));
            quote!(#WRITE_BASE128_MAX::<#ty>(*#v, __buf, #vlq, #max, #target, *#v as #I128))
        }
        Wire::IntN { bytes, signed } => {
            let name = int_n_name(*bytes, *signed);
            quote!(#WRITE_INT_N::<#ty, #bytes>(*#v, __buf, #order, #name))
        }
        Wire::Prefixed(k, u) => {
            let prefix = prefix(k);
            let u = unit(*u);
            quote_spanned! {span=>
                #prefix
                    .write(<#ty as #encode_seq>::seq_count(#v, #u), __buf, #order)
                    .and_then(|()| <#ty as #encode_seq>::encode_seq(#v, __buf, #order))
            }
        }
        Wire::LenFrom { .. } | Wire::Rest => {
            quote_spanned!(span=> <#ty as #encode_seq>::encode_seq(#v, __buf, #order))
        }
        Wire::Term { byte } => {
            let term = TERM_ENCODE.at(span);
            quote_spanned!(span=> <#ty as #term>::encode_term(#v, __buf, #byte, #order))
        }
        Wire::Padded { size, pad } => {
            let padded = PADDED.at(span);
            quote_spanned! {span=>
                #WRITE_PADDED(<#ty as #padded<'_>>::padded_bytes(#v), __buf, #size, #pad)
            }
        }
    }
}

/// Pattern binding every field of a variant as `__b0, __b1, ...`.
fn variant_pattern(v: &Variant) -> TokenStream {
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

/// An enum's size and write: `repr` is how its discriminant is written,
/// `None` for an enum chosen by its variants' magic (which has none).
fn enum_code(
    input: &Input,
    repr: Option<LenKind>,
    order: &TokenStream,
    variants: &[VariantPlan],
) -> (TokenStream, TokenStream) {
    let repr_ty = int_type(repr.unwrap_or(LenKind::U8));
    let base128 = matches!(repr, Some(LenKind::Varint | LenKind::Vlq));
    let vlq = repr == Some(LenKind::Vlq);
    let disc_len = |id: &TokenStream| {
        if repr.is_none() {
            quote!(0)
        } else if base128 {
            quote!(#BASE128_LEN::<#U64>(&#id))
        } else {
            quote!(<#repr_ty as #ENCODE>::encoded_len(&#id))
        }
    };
    let disc_write = |id: &TokenStream| {
        if repr.is_none() {
            TokenStream::new()
        } else if base128 {
            quote!(#WRITE_BASE128::<#U64>(#id, __buf, #vlq);)
        } else {
            quote!(<#repr_ty as #ENCODE>::encode_with(&#id, __buf, #order)?;)
        }
    };
    // An `other` value holding an id another variant claims would decode
    // as that variant: refuse it, so every encoding round-trips.
    let claimed: Vec<_> = variants
        .iter()
        .filter(|w| !w.other)
        .map(|w| Literal::u64_unsuffixed(w.id))
        .collect();
    let mut len_arms = TokenStream::new();
    let mut write_arms = TokenStream::new();
    for vp in variants {
        let v = vp.variant;
        let pat = variant_pattern(v);
        let (fields, id_expr) = if vp.other {
            (&vp.fields[1..], quote!(*__b0))
        } else {
            let lit = Literal::u64_unsuffixed(vp.id);
            (&vp.fields[..], quote!({ let __id: #repr_ty = #lit; __id }))
        };
        let access = |f: &Field| {
            let b = format_ident!("__b{}", f.index);
            quote!(#b)
        };
        let (lens, checks, writes) = fields_code(input, Some(v.ident), fields, &access);
        let writes = quote!(#checks #writes);
        let dl = disc_len(&id_expr);
        let dw = disc_write(&id_expr);
        let check = if vp.other && !claimed.is_empty() {
            let ty_name = path_name(input, Some(v.ident));
            let first = &v.fields[0].name;
            quote! {
                match { let __id: #U64 = #FROM::from(*__b0); __id } {
                    #(#claimed)|* => {
                        return #ERR(
                            #ENCODE_ERROR::new(#ENCODE_ERROR_KIND::Invalid(
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
        // A variant's magic (validation allows it only where it replaces
        // the discriminant).
        let (ml, mw) = match vp.magic {
            Some(m) => {
                let n = m.value().len();
                (quote!(#n +), quote!(__buf.extend_from_slice(#m);))
            }
            None => (TokenStream::new(), TokenStream::new()),
        };
        len_arms.extend(quote!(#pat => #dl + #ml { #lens },));
        write_arms.extend(quote!(#pat => { #check #dw #mw #writes }));
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
            #OK(())
        }
    };
    (len_body, write_body)
}
