//! `#[derive(Encode)]`.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::bits;
use super::run::Run;
use super::{ctx, len_local, path_name, wrap};
use crate::ast::{Field, Input, Shape, Variant};
use crate::attr::{CtxParam, LenKind};
use crate::model::{
    Computed, FieldPlan, Layout, LayoutBody, Packed, Padding, Presence, Use, VariantPlan, Wire,
};
use crate::paths::{
    endian, int_type, len_prefix, len_spec, prefix, unit, ASSERT_FAILED_ENCODE, BASE128_LEN, CLONE,
    ENCODE, ENCODE_CTX, ENCODE_ERROR, ENCODE_ERROR_KIND, ENCODE_SEQ, ENCODE_WITH, ENDIAN, ERR,
    FIXED, FROM, I128, LEN_FIELD, LEN_FIELD_ADDS, NONE, OK, PADDED, RESULT, SINK, SIZED, SOME,
    TERM_ENCODE, TRY_TO_WIRE, U64, U8, USIZE, WHEN_MISMATCH, WRITE_BASE128, WRITE_BASE128_MAX,
    WRITE_INT_N, WRITE_PADDED,
};
use crate::paths::{ALIGN_PAD, RUN_SLOT, WRITE_PAD, WRITE_TO_SIZE};

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
            // A type of fixed `size` is padded to it after its fields.
            let (lens, to_size) = match layout.size {
                Some(ts) => {
                    let (size, pad) = (ts.size, ts.pad);
                    let name = input.ident().to_string();
                    (
                        quote!(#size),
                        quote! {
                            #WRITE_TO_SIZE(__buf, __start, #size, #pad)
                                .map_err(|__e| __e.in_type(#name))?;
                        },
                    )
                }
                None => (lens, TokenStream::new()),
            };
            (lens, quote! { #checks #check #writes #to_size #OK(()) })
        }
        LayoutBody::Enum {
            repr,
            order,
            by_magic,
            id_from,
            variants,
        } => enum_code(
            input,
            (!*by_magic && id_from.is_none()).then_some(*repr),
            &endian(*order),
            *id_from,
            variants,
        ),
    };
    // The type's magic comes first (a fixed `size` counts it).
    let (len_body, encode_body) = match layout.magic {
        Some(m) => {
            let n = m.value().len();
            let n = if layout.size.is_some() { 0 } else { n };
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
    let shape = super::shape::shape_const(layout);
    // Alignment and a fixed size count from where the type starts.
    let encode_body = if needs_start(layout) {
        quote! {
            let __start = __buf.len();
            #encode_body
        }
    } else {
        encode_body
    };
    let bits_impl = bits::encode_bits_impl(layout);
    let (encode_with_inline, bits_encode) = bits::encode_inline(layout);
    // A type with a context reads it into locals first, and implements
    // `EncodeWith` (taking it) instead of `Encode`.
    if layout.ctx.is_some() {
        let c = ctx::parts(input, layout.ctx);
        let (ctx_def, ctx_ty, bind) = (&c.def, &c.ty, &c.bind);
        return wrap(
            input,
            quote! {
                #ctx_def

                #[automatically_derived]
                impl #impl_g #ENCODE_WITH for #ident #ty_g #where_c {
                    type Ctx = #ctx_ty;

                    #[inline]
                    fn encoded_len_in(&self, __ctx: #ctx_ty) -> #USIZE {
                        #bind
                        #len_body
                    }

                    #[inline]
                    fn encode_in<__S: #SINK + ?#SIZED>(
                        &self,
                        __buf: &mut __S,
                        __ctx: #ctx_ty,
                    ) -> #RESULT<(), #ENCODE_ERROR> {
                        #bind
                        #encode_body
                    }
                }
            },
        );
    }
    wrap(
        input,
        quote! {
            #bits_impl

            #[automatically_derived]
            impl #impl_g #ENCODE for #ident #ty_g #where_c {
                #shape

                #[inline]
                fn encoded_len(&self) -> #USIZE {
                    #len_body
                }

                #encode_with_inline
                fn encode_with<__S: #SINK + ?#SIZED>(
                    &self,
                    __buf: &mut __S,
                    _: #ENDIAN,
                ) -> #RESULT<(), #ENCODE_ERROR> {
                    #encode_body
                }

                #bits_encode
            }
        },
    )
}

/// The type's encode needs to know where it started: a field is aligned,
/// or the type has a fixed size.
pub(super) fn needs_start(layout: &Layout) -> bool {
    let aligned = match &layout.body {
        LayoutBody::Struct(plans) => plans.iter().any(|p| p.padding.align.is_some()),
        LayoutBody::Enum { .. } => false,
    };
    aligned || layout.size.is_some()
}

/// The local holding a `calc` field's computed value.
fn calc_local(f: &Field) -> syn::Ident {
    format_ident!("__calc_{}", f.name)
}

/// The local marking where a checksum that starts at `f` starts.
pub(super) fn mark_local(f: &Field) -> syn::Ident {
    format_ident!("__mark_{}", f.name)
}

/// Statements writing the padding before a field (`pad_before`, then
/// `align`).
fn pad_before_write(pad: &Padding) -> TokenStream {
    let byte = pad.byte;
    let before = (pad.before > 0).then(|| {
        let n = pad.before;
        quote!(#WRITE_PAD(__buf, #n, #byte);)
    });
    let align = pad
        .align
        .map(|n| quote!(#WRITE_PAD(__buf, #ALIGN_PAD(__buf.len() - __start, #n), #byte);));
    quote!(#before #align)
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
            } else if u.calc {
                let calc = calc_local(u.field);
                quote!(let #local = #CLONE::clone(&#calc);)
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
    // Computed and wire-only values, once, before anything is written.
    for p in plans {
        let (local, value) = match &p.computed {
            Some(Computed::Calc(c)) => {
                let bindings = bind_uses(&c.uses, access);
                let expr = c.expr;
                (calc_local(p.field), quote!({ #(#bindings)* #expr }))
            }
            Some(Computed::WireOnly { value, .. }) => (wire_local(p.field), quote!(#value)),
            _ => continue,
        };
        let ty = p.ty;
        let stmt = quote!(let #local: #ty = #value;);
        len_locals.extend(stmt.clone());
        checked_len_locals.extend(stmt);
    }
    // Each field passing a context builds it in a closure (bound to the
    // values the expressions read), called by its length and its write.
    for p in plans {
        let Some(pass) = &p.ctx else {
            continue;
        };
        let local = ctx_local(p.field);
        let bindings = bind_uses(&pass.uses, access);
        let encode_with = ENCODE_WITH.at(p.ty.span());
        let value = ctx::value(input, p.ty, pass, quote!(#encode_with), false);
        let def = quote! {
            let #local = || { #(#bindings)* #value };
        };
        len_locals.extend(def.clone());
        checked_len_locals.extend(def);
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
        _ if matches!(p.computed, Some(Computed::Calc(_))) => {
            let local = calc_local(p.field);
            quote!(&#local)
        }
        _ if matches!(p.computed, Some(Computed::WireOnly { .. })) => {
            let local = wire_local(p.field);
            quote!(&#local)
        }
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
    // Each run of bit fields, assembled (and its values checked) before
    // anything is written.
    for p in plans {
        if let Wire::Bits(b) = &p.wire {
            if b.leads() {
                let run = bits::run_of(plans, b.leader);
                checked_len_locals.extend(bits::encode_check(&run, &ty_name, &value));
            }
        }
    }

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
            let len = match magic {
                Some(m) => quote!((#m #len)),
                None => len,
            };
            (p.padding, len)
        });
    let len_body = padded_lens(input, variant, lens.collect());
    let len_body = quote! { #len_locals #len_body };

    let mut writes = TokenStream::new();
    let mut run = Run::default();
    for p in plans.iter().filter(|p| !matches!(p.wire, Wire::Skip)) {
        let v = value(p);
        let name = &p.field.name;
        let order = endian(p.order);
        let ty = p.ty;
        // A run of bit fields is one piece, at its first field.
        if let Wire::Bits(b) = &p.wire {
            if b.leads() {
                let (put, alone, split) =
                    bits::encode_piece(&bits::run_of(plans, b.leader), &value);
                let n = b.run_bytes();
                run.push(
                    quote!(#n),
                    Piece {
                        put,
                        alone,
                        bits: true,
                        split: Some(split),
                    },
                );
            }
            continue;
        }
        match (p.packed, &p.wire) {
            (Some(Packed::Scalar), _) => {
                let alone = value_write(p, v.clone());
                let local = format_ident!("__l_{}", p.field.name);
                run.push(
                    quote!(<#ty as #FIXED>::SIZE),
                    Piece {
                        put: quote!(#FIXED::put(#v, __run, &mut __at, #order);),
                        alone: quote!(#ENCODE_CTX(#alone, #ty_name, #name)?;),
                        bits: false,
                        split: Some((
                            quote!(let #local: #ty = #CLONE::clone(#v);),
                            quote!(#FIXED::put(&#local, __run, &mut __at, #order);),
                        )),
                    },
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
                    Piece {
                        put: quote! {
                            #FIXED::put(
                                &#ENCODE_CTX(
                                    #LEN_FIELD::<#int>(#count, #int_name),
                                    #ty_name,
                                    #name,
                                )?,
                                __run,
                                &mut __at,
                                #order,
                            );
                        },
                        alone: quote! {
                            #ENCODE_CTX(
                                #prefix.write(#count, __buf, #order),
                                #ty_name,
                                #name,
                            )?;
                        },
                        bits: false,
                        split: None,
                    },
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
        writes.extend(pad_before_write(&p.padding));
        if p.starts_checksum {
            let mark = mark_local(p.field);
            writes.extend(quote!(let #mark = __buf.len();));
        }
        if let Some(m) = p.magic {
            writes.extend(quote!(__buf.extend_from_slice(#m);));
        }
        let write = match &p.presence {
            // A checksum over the bytes written from `from` to here.
            Presence::Always if matches!(p.computed, Some(Computed::Checksum { .. })) => {
                let Some(Computed::Checksum { func, from }) = &p.computed else {
                    unreachable!()
                };
                let mark = mark_local(from);
                let write = value_write(p, quote!(&__v));
                quote! {{
                    let __v: #ty = (#func)(&#SINK::as_slice(__buf)[#mark..]);
                    #write
                }}
            }
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
        if p.padding.after > 0 {
            let (n, byte) = (p.padding.after, p.padding.byte);
            writes.extend(quote!(#WRITE_PAD(__buf, #n, #byte);));
        }
    }
    writes.extend(flush(&mut run));
    (len_body, checked_len_locals, writes)
}

/// The length of a field list, each field's with its padding: a sum, or,
/// when a field is aligned, a running offset from the type's start (after
/// the type's magic).
fn padded_lens(
    input: &Input,
    variant: Option<&syn::Ident>,
    lens: Vec<(Padding, TokenStream)>,
) -> TokenStream {
    if !lens.iter().any(|(pad, _)| pad.align.is_some()) {
        let lens = lens
            .into_iter()
            .map(|(pad, len)| match pad.before + pad.after {
                0 => len,
                n => quote!((#n + #len)),
            });
        return quote!(0 #(+ #lens)*);
    }
    let base = match variant {
        None => input.attrs.magic.get().map_or(0, |m| m.value().len()),
        Some(_) => 0,
    };
    let steps = lens.into_iter().map(|(pad, len)| {
        let before = pad.before;
        let align = pad.align.map(|n| quote!(__o += #ALIGN_PAD(__o, #n);));
        let after = pad.after;
        quote! {
            __o += #before;
            #align
            __o += #len + #after;
        }
    });
    quote! {{
        let mut __o: #USIZE = #base;
        #(#steps)*
        __o - #base
    }}
}

/// The closure building the context a field passes to its type.
fn ctx_local(f: &Field) -> syn::Ident {
    format_ident!("__ctx_{}", f.name)
}

/// A piece of a run.
struct Piece {
    /// Its write into the run.
    put: TokenStream,
    /// Its write on its own (a run of one).
    alone: TokenStream,
    /// A run of bit fields.
    bits: bool,
    /// For a run written in place: its value read into a local, and the
    /// write of that local (`None`: `put` as it is).
    split: Option<(TokenStream, TokenStream)>,
}

/// Writes a run with one capacity check instead of one per field; a run
/// of one on its own.
///
/// A run holding bit fields is written in place, into bytes appended
/// first ([`RUN_SLOT`]): the fields are read after the capacity check, so
/// none of the values the bit run assembles lives across it (in a loop,
/// LLVM kept them on the stack), and all are read before any is stored
/// (stores into the output may alias the value, so reads after them could
/// not be merged or reordered). Other runs fill a stack array appended
/// with one copy, which compiles to fewer instructions for them.
fn flush(run: &mut Run<Piece>) -> TokenStream {
    let (sizes, pieces) = run.take();
    if pieces.len() < 2 {
        let alone = pieces.into_iter().map(|p| p.alone);
        return quote!(#(#alone)*);
    }
    if pieces.iter().any(|p| p.bits) {
        let (mut loads, mut puts) = (Vec::new(), Vec::new());
        for p in pieces {
            match p.split {
                Some((load, put)) => {
                    loads.push(load);
                    puts.push(put);
                }
                None => puts.push(p.put),
            }
        }
        return quote! {{
            let __run: &mut [#U8; 0 #(+ #sizes)*] =
                #RUN_SLOT::<{ 0 #(+ #sizes)* }, _>(__buf);
            #(#loads)*
            let mut __at = 0usize;
            #(#puts)*
        }};
    }
    let puts = pieces.into_iter().map(|p| p.put);
    quote! {{
        let mut __run = [0u8; 0 #(+ #sizes)*];
        let __run = &mut __run;
        let mut __at = 0usize;
        #(#puts)*
        __buf.extend_from_slice(__run);
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
        Wire::Plain if p.ctx.is_some() => {
            let (encode_with, local) = (ENCODE_WITH.at(span), ctx_local(p.field));
            quote_spanned!(span=> <#ty as #encode_with>::encoded_len_in(#v, #local()))
        }
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
        Wire::LenFrom { .. } | Wire::LenCtx { .. } | Wire::Rest => {
            quote_spanned!(span=> <#ty as #encode_seq>::seq_encoded_len(#v))
        }
        Wire::Term { .. } => {
            let term = TERM_ENCODE.at(span);
            quote_spanned!(span=> <#ty as #term>::term_len(#v) + 1)
        }
        Wire::Padded { size, .. } => quote!(#size),
        // A run's bytes count at its first field.
        Wire::Bits(b) if b.leads() => {
            let n = b.run_bytes();
            quote!(#n)
        }
        Wire::Bits(_) => quote!(0),
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
        Wire::Plain if p.ctx.is_some() => {
            let (encode_with, local) = (ENCODE_WITH.at(span), ctx_local(p.field));
            quote_spanned!(span=> <#ty as #encode_with>::encode_in(#v, __buf, #local()))
        }
        // The parent wrote the length; the body must have it.
        Wire::LenCtx {
            name,
            unit: u,
            adds,
        } => {
            let u = unit(*u);
            let msg = format!("the length differs from the one the context's `{name}` gives");
            quote_spanned! {span=> {
                let __n = <#ty as #encode_seq>::seq_count(#v, #u) as #U64;
                if { let __c: #U64 = #FROM::from(#name); __c } == __n.wrapping_add(#adds) {
                    <#ty as #encode_seq>::encode_seq(#v, __buf, #order)
                } else {
                    #ERR(#ENCODE_ERROR::new(#ENCODE_ERROR_KIND::Invalid(#msg)))
                }
            }}
        }
        Wire::Plain => {
            quote_spanned!(span=> <#ty as #encode>::encode_with(#v, __buf, #order))
        }
        Wire::Base128 {
            vlq,
            max_bytes: None,
        } => quote! {{
            #WRITE_BASE128::<#ty, _>(*#v, __buf, #vlq);
            #OK(())
        }},
        Wire::Base128 {
            vlq,
            max_bytes: Some(max),
        } => {
            let flavour = if *vlq { "vlq" } else { "varint" };
            let target = format!("{flavour} of at most {}", super::decode::byte_count(*max));
            quote!(#WRITE_BASE128_MAX::<#ty, _>(*#v, __buf, #vlq, #max, #target, *#v as #I128))
        }
        Wire::IntN { bytes, signed } => {
            let name = int_n_name(*bytes, *signed);
            quote!(#WRITE_INT_N::<#ty, #bytes, _>(*#v, __buf, #order, #name))
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
        Wire::Bits(_) => unreachable!("bit fields are written by their run"),
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
    id_from: Option<&CtxParam>,
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
            quote!(#WRITE_BASE128::<#U64, _>(#id, __buf, #vlq);)
        } else {
            quote!(<#repr_ty as #ENCODE>::encode_with(&#id, __buf, #order)?;)
        }
    };
    // An `other` value holding an id another variant claims would decode
    // as that variant: refuse it, so every encoding round-trips.
    let claimed: Vec<_> = variants
        .iter()
        .filter(|w| !w.other)
        .map(|w| match w.pat {
            Some(pat) => quote!(#pat),
            None => {
                let lit = Literal::u64_unsuffixed(w.id);
                quote!(#lit)
            }
        })
        .collect();
    let mut len_arms = TokenStream::new();
    let mut write_arms = TokenStream::new();
    for vp in variants {
        let v = vp.variant;
        let pat = variant_pattern(v);
        let (fields, id_expr) = if vp.holds_id {
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
        let id_check = id_check(input, vp, id_from);
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
        write_arms.extend(quote!(#pat => { #id_check #check #dw #mw #writes }));
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

/// The check that a variant may be written: with `id_from`, that the
/// context value selects it (nothing else could tell the reader which
/// variant follows); a pattern variant's held id must match its pattern.
/// `None` where only the `other` rule applies.
fn id_check(input: &Input, vp: &VariantPlan, id_from: Option<&CtxParam>) -> Option<TokenStream> {
    let v = vp.variant;
    let ty_name = path_name(input, Some(v.ident));
    let refuse = |msg: String| {
        quote! {
            return #ERR(
                #ENCODE_ERROR::new(#ENCODE_ERROR_KIND::Invalid(#msg)).in_type(#ty_name),
            );
        }
    };
    let (value, pat) = match (id_from, vp.pat, vp.other) {
        (Some(p), _, true) => {
            // The held id is the one the context gives.
            let name = &p.name;
            let no = refuse(format!(
                "the id `{}` holds differs from the context's `{name}`",
                v.ident
            ));
            return Some(quote! {
                if { let __id: #U64 = #FROM::from(*__b0); __id } != #FROM::from(#name) {
                    #no
                }
            });
        }
        (Some(p), Some(pat), false) => (&p.name, quote!(#pat)),
        (Some(p), None, false) => {
            let lit = Literal::u64_unsuffixed(vp.id);
            (&p.name, quote!(#lit))
        }
        (None, Some(pat), false) => {
            let no = refuse(format!(
                "the id `{}` holds is not one of its `id` pattern",
                v.ident
            ));
            return Some(quote! {
                match { let __id: #U64 = #FROM::from(*__b0); __id } {
                    #pat => {}
                    _ => { #no }
                }
            });
        }
        (None, _, _) => return None,
    };
    let no = refuse(format!(
        "the context's `{value}` does not select variant `{}`",
        v.ident
    ));
    Some(quote! {
        match { let __id: #U64 = #FROM::from(#value); __id } {
            #pat => {}
            _ => { #no }
        }
    })
}
