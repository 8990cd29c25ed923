//! `#[derive(Decode)]`: one decode body per type, generic over a tracer
//! (`__private::Trace`). `decode_with` and `from_bytes` run it with
//! `NoTrace`, which records nothing and compiles away; `explain_with` runs
//! it with the `Explainer`, which records one annotated line per field.
//!
//! Every read is wrapped in the tracer's `enter(name)`/`leave()` (field
//! names, and the `len`, `present` and `id` labels), and lengths, presence
//! bytes and ids go through its `leaf`. Packed runs (one bounds check for
//! several fixed-width fields) are taken only when the tracer records
//! nothing, so an explained value is always read field by field.

use proc_macro2::{Literal, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::bits;
use super::run::Run;
use super::{ctx, path_name, wrap};
use crate::ast::{de_generics, Input};
use crate::attr::{CtxParam, LenKind};
use crate::model::{
    Computed, CtxPass, FieldPlan, Layout, LayoutBody, Packed, Padding, Presence, VariantPlan, Wire,
};
use crate::paths::{
    endian, int_type, len_prefix, len_spec, prefix, unit, ASSERT_FAILED, BOOL, DECODE, DECODE_CTX,
    DECODE_ERROR, DECODE_WITH, DEFAULT, ENDIAN, ERR, EXPLAINER, EXPLAIN_EACH, FIXED, FROM, GET_LEN,
    INVALID_DISCRIMINANT, LEN_AT_LEAST, LEN_VALUE, LEN_VALUE_ADDS, MATCH_MAGIC, NONE, NO_TRACE, OK,
    READER, READ_BASE128, READ_BASE128_MAX, READ_INT_N, READ_LEN, READ_LEN_SPEC, READ_MAGIC,
    READ_NULLABLE_LEN, READ_PADDED, READ_PRESENCE, READ_TERM, RESULT, SOME, TAKE_RUN, TRACE,
    TRY_FROM_WIRE, U64, U8, USIZE, VEC,
};
use crate::paths::{ALIGN_PAD, CHECK_SUM, CHECK_VALUE, MARK, READ_PAD, READ_TO_SIZE};

pub fn expand(layout: &Layout) -> TokenStream {
    let input = layout.input;
    let ident = input.ident();
    let mut generics = de_generics(&input.original.generics);
    for p in generics.type_params_mut() {
        p.bounds.push(syn::parse_quote!(#DECODE<'de>));
    }
    let (impl_g, _, where_c) = generics.split_for_impl();
    let (_, ty_g, _) = input.original.generics.split_for_impl();
    // A struct's `from_bytes` checks for trailing bytes before the value
    // is built, so it is built in the caller's return slot rather than
    // copied there; `decode_with` shares the body. Enums keep the default
    // `from_bytes`.
    let (min_len, body, whole, call, from_bytes) = match &layout.body {
        LayoutBody::Struct(plans) => {
            let (min, reads, construct) = fields_code(input, None, plans, None);
            // The type's `assert` runs after every field, at its start.
            let (at, check) = match &layout.assert {
                Some(c) => {
                    let (expr, msg) = (&c.assert.expr, &c.assert.message);
                    let name = input.ident().to_string();
                    (
                        quote!(let __type_at = __r.offset();),
                        quote! {
                            if !(#expr) {
                                return #ERR(#ASSERT_FAILED(#msg, __type_at).in_type(#name));
                            }
                        },
                    )
                }
                None => (TokenStream::new(), TokenStream::new()),
            };
            // A type of fixed `size`: its padding after the fields.
            let (min, to_size) = match layout.size {
                Some(ts) => {
                    let (size, pad, check) = (ts.size, ts.pad, ts.check);
                    let name = input.ident().to_string();
                    let read = labelled(
                        "pad",
                        quote!(#READ_TO_SIZE(__r, __start, #size, #pad, #check)),
                    );
                    (
                        quote!(#size),
                        quote!((#read).map_err(|__e| __e.in_type(#name))?;),
                    )
                }
                None => (min, TokenStream::new()),
            };
            (
                min,
                quote! {
                    #at
                    #reads
                    #check
                    #to_size
                    if __whole {
                        __r.finish()?;
                    }
                    #OK(Self #construct)
                },
                quote!(__whole: #BOOL,),
                quote!(false,),
                quote! {
                    #[inline]
                    fn from_bytes(
                        __bytes: &'de [#U8],
                    ) -> #RESULT<Self, #DECODE_ERROR> {
                        Self::__codec_decode(&mut #READER::new(__bytes), true, &mut #NO_TRACE)
                    }
                },
            )
        }
        LayoutBody::Enum {
            repr,
            order,
            by_magic,
            id_from,
            variants,
        } => {
            let (min, body) = if *by_magic {
                magic_enum_code(input, variants)
            } else {
                enum_code(input, *repr, &endian(*order), *id_from, variants)
            };
            (min, body, quote!(), quote!(), TokenStream::new())
        }
    };
    // The type's magic comes first, on a line of its own.
    let (min_len, body) = match layout.magic {
        Some(m) => {
            // A fixed `size` counts the magic.
            let n = if layout.size.is_some() {
                0
            } else {
                m.value().len()
            };
            let name = input.ident().to_string();
            let read = labelled("magic", quote!(#READ_MAGIC(__r, #m)));
            (
                quote!(#n + #min_len),
                quote! {
                    (#read).map_err(|__e| __e.in_type(#name))?;
                    #body
                },
            )
        }
        None => (min_len, body),
    };
    // Alignment and a fixed size count from where the type starts.
    let body = if super::encode::needs_start(layout) {
        quote! {
            let __start = __r.offset();
            #body
        }
    } else {
        body
    };
    let bits_impl = bits::decode_bits_impl(layout);
    // A type with a context reads it into locals first, and implements
    // `DecodeWith` (taking it) instead of `Decode`.
    let c = ctx::parts(input, layout.ctx);
    let (ctx_def, ctx_ty, bind, param, arg) = (&c.def, &c.ty, &c.bind, &c.param, &c.arg);
    let trait_impl = if layout.ctx.is_some() {
        quote! {
            #[automatically_derived]
            impl #impl_g #DECODE_WITH<'de> for #ident #ty_g #where_c {
                type Ctx = #ctx_ty;

                const MIN_LEN: #USIZE = #min_len;

                #[inline]
                fn decode_in(
                    __r: &mut #READER<'de>,
                    __ctx: #ctx_ty,
                ) -> #RESULT<Self, #DECODE_ERROR> {
                    Self::__codec_decode(__r, #call &mut #NO_TRACE #arg)
                }

                fn explain_in(
                    __r: &mut #READER<'de>,
                    __ctx: #ctx_ty,
                    __out: &mut #EXPLAINER,
                ) -> #RESULT<Self, #DECODE_ERROR> {
                    Self::__codec_decode(__r, #call __out #arg)
                }
            }
        }
    } else {
        quote! {
            #[automatically_derived]
            impl #impl_g #DECODE<'de> for #ident #ty_g #where_c {
                const MIN_LEN: #USIZE = #min_len;

                #[inline]
                fn decode_with(
                    __r: &mut #READER<'de>,
                    _: #ENDIAN,
                ) -> #RESULT<Self, #DECODE_ERROR> {
                    Self::__codec_decode(__r, #call &mut #NO_TRACE)
                }

                #from_bytes

                fn explain_with(
                    __r: &mut #READER<'de>,
                    _: #ENDIAN,
                    __out: &mut #EXPLAINER,
                ) -> #RESULT<Self, #DECODE_ERROR> {
                    Self::__codec_decode(__r, #call __out)
                }

                fn explain_vec(
                    __r: &mut #READER<'de>,
                    __count: #USIZE,
                    __order: #ENDIAN,
                    __out: &mut #EXPLAINER,
                ) -> #RESULT<#VEC<Self>, #DECODE_ERROR> {
                    #EXPLAIN_EACH(__r, __count, __order, __out)
                }
            }
        }
    };
    wrap(
        input,
        quote! {
            #ctx_def

            #bits_impl

            #[automatically_derived]
            impl #impl_g #ident #ty_g #where_c {
                #[inline(always)]
                fn __codec_decode<__T: #TRACE>(
                    __r: &mut #READER<'de>,
                    #whole
                    __t: &mut __T,
                    #param
                ) -> #RESULT<Self, #DECODE_ERROR> {
                    #bind
                    #body
                }
            }

            #trait_impl
        },
    )
}

/// A block evaluating `read` inside the tracer's `enter(name)`/`leave()`.
fn traced(name: &str, read: TokenStream) -> TokenStream {
    quote! {{
        #TRACE::enter(__t, #name);
        let __v = #read;
        #TRACE::leave(__t);
        __v
    }}
}

/// A `Result` expression reading a displayable value (a length, a presence
/// byte, an id) with `read`, traced as a leaf under the label `label`.
fn labelled(label: &str, read: TokenStream) -> TokenStream {
    traced(label, quote!(#TRACE::leaf(__t, __r, |__r| #read)))
}

/// The minimum length, the `let` statements reading each field into a
/// local, and the braced constructor `{ member: local, .. }`. `first` is
/// the local an `other` variant's first field takes.
fn fields_code(
    input: &Input,
    variant: Option<&syn::Ident>,
    plans: &[FieldPlan],
    first: Option<TokenStream>,
) -> (TokenStream, TokenStream, TokenStream) {
    let ty_name = path_name(input, variant);
    let skip = usize::from(first.is_some());
    let mut mins = Vec::new();
    let mut reads = TokenStream::new();
    let mut run = Run::default();
    for p in plans.iter().skip(skip) {
        let local = &p.field.local;
        let field_ty = p.field.ty;
        if let Wire::Skip = p.wire {
            // `skip = expr`: a value from the context (a header flag).
            let value = match p.skip_value {
                Some(expr) => quote!(#expr),
                None => quote!(#DEFAULT::default()),
            };
            reads.extend(quote! { let #local: #field_ty = #value; });
            continue;
        }
        mins.push(min_len(p));
        let name = &p.field.name;
        let order = endian(p.order);
        let ty = p.ty;
        // Errors of this field's reads carry its name in their path.
        let ctx = |read: TokenStream| quote!(#DECODE_CTX(#read, #ty_name, #name));
        // A run of bit fields is one piece, at its first field.
        if let Wire::Bits(b) = &p.wire {
            if b.leads() {
                let (local, fast, slow) =
                    bits::decode_piece(&bits::run_of(plans, b.leader), &ty_name);
                let n = b.run_bytes();
                run.push(quote!(#n), Piece { local, fast, slow });
            }
            continue;
        }
        match (p.packed, &p.wire) {
            (Some(Packed::Scalar), _) => {
                let fast = ctx(quote!(<#ty as #FIXED>::get(__run, &mut __at, #order, __base)));
                run.push(
                    quote!(<#ty as #FIXED>::SIZE),
                    Piece {
                        local: quote!(#local),
                        fast: quote!(let #local: #field_ty = #fast?;),
                        slow: ctx(traced(name, value_read(p))),
                    },
                );
                continue;
            }
            (Some(Packed::Prefix(k)), Wire::Prefixed(_, u)) => {
                // The prefix joins the run; the body follows it. Traced,
                // the prefix is `name.len` and the body `name`.
                let int = int_type(k);
                let prefix = len_prefix(k);
                let n = quote::format_ident!("__n_{}", p.field.name);
                let fast = ctx(quote!(#GET_LEN::<#int>(__run, &mut __at, #order, __base)));
                let len = labelled("len", quote!(#READ_LEN(__r, #prefix, #order)));
                run.push(
                    quote!(<#int as #FIXED>::SIZE),
                    Piece {
                        local: quote!(#n),
                        fast: quote!(let #n: #USIZE = #fast?;),
                        slow: ctx(traced(name, len)),
                    },
                );
                reads.extend(flush(&mut run));
                let body = ctx(traced(name, seq_read(p, quote!(#n), unit(*u))));
                reads.extend(quote!(let #local: #field_ty = #body?;));
                continue;
            }
            _ => reads.extend(flush(&mut run)),
        }
        reads.extend(pad_before_read(&p.padding, &ctx, name));
        if p.starts_checksum {
            let mark = super::encode::mark_local(p.field);
            reads.extend(quote!(let #mark = #MARK(__r);));
        }
        if let Some(m) = p.magic {
            // Its own line, `name.magic`, before the field's.
            let read = ctx(traced(
                name,
                labelled("magic", quote!(#READ_MAGIC(__r, #m))),
            ));
            reads.extend(quote!(#read?;));
        }
        // Where the value starts, for a `try_map` refusal, an `assert`, a
        // computed value or a header length below its `len_adds`.
        if p.assert.is_some()
            || p.conv.is_some_and(|c| c.fallible)
            || p.computed.is_some()
            || p.at_least.is_some()
        {
            reads.extend(quote!(let __field_at = __r.offset();));
        }
        if let Some(Computed::Checksum { func, from }) = &p.computed {
            // Computed over the bytes read from `from` to this field, before
            // the field's local exists (it may share the function's name).
            let mark = super::encode::mark_local(from);
            reads.extend(quote!(let __sum = (#func)(#mark.upto(__field_at));));
        }
        let read = match &p.ctx {
            Some(pass) => ctx_read(input, p, pass),
            None => value_read(p),
        };
        // A converted field reads its wire type, then converts.
        let read = match p.conv {
            Some(c) if c.fallible => {
                let from = &c.from_wire;
                quote!(#TRY_FROM_WIRE(#read, __field_at, #from))
            }
            Some(c) => {
                let from = &c.from_wire;
                quote!((#read).map(#from))
            }
            None => read,
        };
        let read = match p.presence {
            Presence::Always => read,
            Presence::Null => {
                let Wire::Prefixed(pre, u) = &p.wire else {
                    unreachable!("`null` is validated to come with `len`")
                };
                let spec = len_spec(pre);
                let len = labelled("len", quote!(#READ_NULLABLE_LEN(__r, #spec, #order)));
                let body = seq_read(p, quote!(__n), unit(*u));
                quote! {
                    (#len).and_then(|__n| match __n.0 {
                        #SOME(__n) => (#body).map(#SOME),
                        #NONE => #OK(#NONE),
                    })
                }
            }
            Presence::When { expr, .. } => quote! {
                if #expr {
                    (#read).map(#SOME)
                } else {
                    #OK(#NONE)
                }
            },
            Presence::Byte => {
                let presence = labelled("present", quote!(#READ_PRESENCE(__r)));
                quote! {
                    (#presence).and_then(|__p| {
                        if __p {
                            (#read).map(#SOME)
                        } else {
                            #OK(#NONE)
                        }
                    })
                }
            }
        };
        let read = ctx(traced(name, read));
        match &p.computed {
            // A wire-only value: read, checked against `value`, not kept.
            Some(Computed::WireOnly { value, check }) => {
                let checked = check.then(|| {
                    let check = ctx(quote!(#CHECK_VALUE(__wv, #value, __field_at)));
                    quote!(#check?;)
                });
                reads.extend(quote! {
                    let __wv: #ty = #read?;
                    #checked
                    let #local: #field_ty = #DEFAULT::default();
                });
            }
            _ => reads.extend(quote!(let #local: #field_ty = #read?;)),
        }
        if let Some(Computed::Checksum { .. }) = &p.computed {
            let check = ctx(quote!(#CHECK_SUM(#local, __sum, __field_at)));
            reads.extend(quote!(#check?;));
        }
        if p.padding.after > 0 {
            let (n, byte, check) = (p.padding.after, p.padding.byte, p.padding.check);
            let read = ctx(traced(
                name,
                labelled("pad", quote!(#READ_PAD(__r, #n, #byte, #check))),
            ));
            reads.extend(quote!(#read?;));
        }
        if let Some(c) = &p.assert {
            let (expr, msg) = (&c.assert.expr, &c.assert.message);
            reads.extend(quote! {
                if !(#expr) {
                    return #ERR(#ASSERT_FAILED(#msg, __field_at).in_field(#ty_name, #name));
                }
            });
        }
        if let Some(min) = p.at_least {
            // A header's length counting `len_adds` more than the payload.
            reads.extend(quote! {
                #LEN_AT_LEAST(&#local, #min, __field_at).map_err(|__e| __e.in_field(#ty_name, #name))?;
            });
        }
    }
    reads.extend(flush(&mut run));
    let members = plans.iter().map(|p| &p.field.member);
    let locals = plans.iter().enumerate().map(|(i, p)| match (&first, i) {
        (Some(first), 0) => first.clone(),
        _ => {
            let l = &p.field.local;
            quote!(#l)
        }
    });
    let construct = quote!({ #(#members: #locals),* });
    (quote!(0 #(+ #mins)*), reads, construct)
}

/// One value of a run: the local it lands in, its read from the run, and
/// its read on its own (a traced `Result` expression).
struct Piece {
    local: TokenStream,
    fast: TokenStream,
    slow: TokenStream,
}

/// Reads a run from one slice after one bounds check. Input too short for
/// the whole run, or a tracer that records, takes the field-by-field path,
/// which reports exactly which field ran out and how many bytes it needed.
fn flush(run: &mut Run<Piece>) -> TokenStream {
    let (sizes, pieces) = run.take();
    let (locals, fast, slow): (Vec<_>, Vec<_>, Vec<_>) =
        pieces.into_iter().map(|p| (p.local, p.fast, p.slow)).fold(
            (Vec::new(), Vec::new(), Vec::new()),
            |mut acc, (l, f, s)| {
                acc.0.push(l);
                acc.1.push(f);
                acc.2.push(s);
                acc
            },
        );
    match (&locals[..], &slow[..]) {
        ([], []) => return TokenStream::new(),
        ([local], [read]) => return quote!(let #local = #read?;),
        _ => {}
    }
    quote! {
        let (#(#locals,)*) = {
            let __base = __r.offset();
            match #TAKE_RUN::<__T, { 0 #(+ #sizes)* }>(__r) {
                #SOME(__run) => {
                    let __run: &[#U8] = __run;
                    let mut __at = 0usize;
                    #(#fast)*
                    (#(#locals,)*)
                }
                #NONE => {
                    #(let #locals = #slow?;)*
                    (#(#locals,)*)
                }
            }
        };
    }
}

/// Statements reading the padding before a field (`pad_before`, then
/// `align`), each on a `name.pad` line.
fn pad_before_read(
    pad: &Padding,
    ctx: &dyn Fn(TokenStream) -> TokenStream,
    name: &str,
) -> TokenStream {
    let (byte, check) = (pad.byte, pad.check);
    let mut out = TokenStream::new();
    let mut read = |n: TokenStream| {
        let read = ctx(traced(
            name,
            labelled("pad", quote!(#READ_PAD(__r, #n, #byte, #check))),
        ));
        out.extend(quote!(#read?;));
    };
    if pad.before > 0 {
        let n = pad.before;
        read(quote!(#n));
    }
    if let Some(n) = pad.align {
        read(quote!(#ALIGN_PAD(__r.offset() - __start, #n)));
    }
    out
}

pub(super) fn min_len(p: &FieldPlan) -> TokenStream {
    let field = field_min_len(p);
    let field = match p.padding.before + p.padding.after {
        0 => field,
        n => quote!((#n + #field)),
    };
    match p.magic {
        Some(m) => {
            let n = m.value().len();
            quote!((#n + #field))
        }
        None => field,
    }
}

fn field_min_len(p: &FieldPlan) -> TokenStream {
    let ty = p.ty;
    let decode = DECODE.at(ty.span());
    match (&p.presence, &p.wire) {
        (Presence::When { .. }, _)
        | (_, Wire::Skip | Wire::LenFrom { .. } | Wire::LenCtx { .. } | Wire::Rest) => quote!(0),
        (Presence::Always, Wire::Plain) if p.ctx.is_some() => {
            let decode_with = DECODE_WITH.at(ty.span());
            quote_spanned!(ty.span()=> <#ty as #decode_with<'de>>::MIN_LEN)
        }
        (Presence::Byte, _) => quote!(1),
        (Presence::Null, Wire::Prefixed(k, _)) | (Presence::Always, Wire::Prefixed(k, _)) => {
            let n = k.kind.min_len();
            quote!(#n)
        }
        (Presence::Null, _) => quote!(0),
        (Presence::Always, Wire::IntN { bytes, .. }) => quote!(#bytes),
        (Presence::Always, Wire::Plain) => {
            quote_spanned!(ty.span()=> <#ty as #decode<'de>>::MIN_LEN)
        }
        (Presence::Always, Wire::Base128 { .. } | Wire::Term { .. }) => quote!(1),
        (Presence::Always, Wire::Padded { size, .. }) => quote!(#size),
        (Presence::Always, Wire::Bits(b)) if b.leads() => {
            let n = b.run_bytes();
            quote!(#n)
        }
        (Presence::Always, Wire::Bits(_)) => quote!(0),
    }
}

/// A `Result` expression reading a sequence body of `n` (elements or bytes).
fn seq_read(p: &FieldPlan, n: TokenStream, u: TokenStream) -> TokenStream {
    let ty = p.ty;
    let span = ty.span();
    let trace = TRACE.at(span);
    let order = endian(p.order);
    quote_spanned! {span=>
        #trace::seq::<#ty>(__t, __r, #n, #u, #order)
    }
}

/// A `Result` expression reading one value.
fn value_read(p: &FieldPlan) -> TokenStream {
    let ty = p.ty;
    let span = ty.span();
    let trace = TRACE.at(span);
    let order = endian(p.order);
    match &p.wire {
        Wire::Skip => quote!(#OK(#DEFAULT::default())),
        Wire::Plain => quote_spanned! {span=>
            #trace::field::<#ty>(__t, __r, #order)
        },
        Wire::Base128 {
            vlq,
            max_bytes: None,
        } => quote! {
            #TRACE::leaf(__t, __r, |__r| #READ_BASE128::<#ty>(__r, #vlq))
        },
        Wire::Base128 {
            vlq,
            max_bytes: Some(max),
        } => {
            let target = capped_target(ty, *max);
            quote! {
                #TRACE::leaf(__t, __r, |__r| #READ_BASE128_MAX::<#ty>(__r, #vlq, #max, #target))
            }
        }
        Wire::IntN { bytes, .. } => quote! {
            #TRACE::leaf(__t, __r, |__r| #READ_INT_N::<#ty, #bytes>(__r, #order))
        },
        Wire::Prefixed(k, u) => {
            let read = if k.is_plain() {
                READ_LEN
            } else {
                READ_LEN_SPEC
            };
            let prefix = prefix(k);
            let len = labelled("len", quote!(#read(__r, #prefix, #order)));
            let body = seq_read(p, quote!(__n), unit(*u));
            quote!((#len).and_then(|__n| #body))
        }
        Wire::LenFrom {
            holder,
            unit: u,
            adds,
        } => {
            let holder = &holder.local;
            let body = seq_read(p, quote!(__n), unit(*u));
            let n = match adds {
                0 => quote!(#LEN_VALUE(#holder, __r.offset())),
                adds => quote!(#LEN_VALUE_ADDS(#holder, #adds, __r.offset())),
            };
            quote!(#n.and_then(|__n| #body))
        }
        Wire::LenCtx {
            name,
            unit: u,
            adds,
        } => {
            let body = seq_read(p, quote!(__n), unit(*u));
            let n = match adds {
                0 => quote!(#LEN_VALUE(#name, __r.offset())),
                adds => quote!(#LEN_VALUE_ADDS(#name, #adds, __r.offset())),
            };
            quote!(#n.and_then(|__n| #body))
        }
        Wire::Term { byte } => quote_spanned! {span=>
            #trace::leaf(__t, __r, |__r| #READ_TERM::<#ty>(__r, #byte, #order)).map(|__v| __v.0)
        },
        Wire::Padded { size, pad } => quote_spanned! {span=>
            #trace::leaf(__t, __r, |__r| #READ_PADDED::<#ty>(__r, #size, #pad)).map(|__v| __v.0)
        },
        Wire::Rest => quote_spanned! {span=>
            #trace::rest::<#ty>(__t, __r, #order)
        },
        Wire::Bits(_) => unreachable!("bit fields are read by their run"),
    }
}

/// A `Result` expression reading a value whose type takes a context,
/// built from the field's `ctx(..)`.
fn ctx_read(input: &Input, p: &FieldPlan, pass: &CtxPass) -> TokenStream {
    let ty = p.ty;
    let span = ty.span();
    let trace = TRACE.at(span);
    let decode_with = DECODE_WITH.at(span);
    let value = ctx::value(input, ty, pass, quote!(#decode_with<'__ctx_de>), true);
    quote_spanned! {span=>
        #trace::field_in::<#ty>(__t, __r, #value)
    }
}

/// The type a capped base-128 integer is, for its too-long error:
/// `u32 of at most 4 bytes`.
pub(super) fn capped_target(ty: &syn::Type, max: usize) -> String {
    let ty = quote::ToTokens::to_token_stream(ty)
        .to_string()
        .replace(' ', "");
    format!("{ty} of at most {}", byte_count(max))
}

/// `1 byte`, `4 bytes`.
pub(super) fn byte_count(n: usize) -> String {
    format!("{n} byte{}", if n == 1 { "" } else { "s" })
}

fn enum_code(
    input: &Input,
    repr: LenKind,
    order: &TokenStream,
    id_from: Option<&CtxParam>,
    variants: &[VariantPlan],
) -> (TokenStream, TokenStream) {
    let name = input.ident().to_string();
    let repr_ty = int_type(repr);
    let read_raw = match repr {
        LenKind::Varint => quote!(#READ_BASE128::<#U64>(__r, false)),
        LenKind::Vlq => quote!(#READ_BASE128::<#U64>(__r, true)),
        _ => quote!(<#repr_ty as #DECODE<'de>>::decode_with(__r, #order)),
    };
    let read_raw = labelled("id", read_raw);
    let mut arms = TokenStream::new();
    let mut fallback = quote! {
        _ => #ERR(
            #INVALID_DISCRIMINANT(__id, __start).in_type(#name)
        ),
    };
    for vp in variants {
        let ident = vp.variant.ident;
        let variant = ident.to_string();
        let (_, reads, construct) = fields_code(
            input,
            Some(ident),
            &vp.fields,
            vp.holds_id.then(|| quote!(__raw)),
        );
        let magic = vp.magic.map(|m| {
            let read = labelled("magic", quote!(#READ_MAGIC(__r, #m)));
            quote!((#read).map_err(|__e| __e.in_type(#name))?;)
        });
        let arm = quote!({
            #TRACE::enter(__t, #variant);
            #magic
            #reads
            #TRACE::leave(__t);
            #OK(Self::#ident #construct)
        });
        if vp.other {
            fallback = quote!(_ => #arm);
        } else if let Some(pat) = vp.pat {
            arms.extend(quote!(#pat => #arm,));
        } else {
            let lit = Literal::u64_unsuffixed(vp.id);
            arms.extend(quote!(#lit => #arm,));
        }
    }
    // Chosen by a context value: nothing is read, errors point at where
    // the enum's bytes start.
    if let Some(p) = id_from {
        let value = &p.name;
        let body = quote! {
            let __start = __r.offset();
            let __raw = #value;
            let __id: #U64 = #FROM::from(__raw);
            match __id {
                #arms
                #fallback
            }
        };
        return (quote!(0), body);
    }
    let min = repr.min_len();
    let body = quote! {
        let __start = __r.offset();
        let __raw: #repr_ty = (#read_raw).map_err(|__e| __e.in_type(#name))?;
        let __id: #U64 = #FROM::from(__raw);
        match __id {
            #arms
            #fallback
        }
    };
    (quote!(#min), body)
}

/// An enum chosen by its variants' magic, tried in declaration order: the
/// least input is the shortest magic.
fn magic_enum_code(input: &Input, variants: &[VariantPlan]) -> (TokenStream, TokenStream) {
    let name = input.ident().to_string();
    let magics = variants
        .iter()
        .filter_map(|vp| vp.magic)
        .map(|m| quote!({ let __m: &'static [#U8] = #m; __m }));
    let min = variants
        .iter()
        .filter_map(|vp| vp.magic.map(|m| m.value().len()))
        .min()
        .unwrap_or(0);
    let which = labelled("magic", quote!(#MATCH_MAGIC(__r, &[#(#magics),*])));
    let mut arms = TokenStream::new();
    for (i, vp) in variants.iter().enumerate() {
        let ident = vp.variant.ident;
        let variant = ident.to_string();
        let (_, reads, construct) = fields_code(input, Some(ident), &vp.fields, None);
        // The last arm takes every index `match_magic` cannot return.
        let pat = if i + 1 == variants.len() {
            quote!(_)
        } else {
            quote!(#i)
        };
        arms.extend(quote!(#pat => {
            #TRACE::enter(__t, #variant);
            #reads
            #TRACE::leave(__t);
            #OK(Self::#ident #construct)
        }));
    }
    let body = quote! {
        let __which = (#which).map_err(|__e| __e.in_type(#name))?;
        match __which.index {
            #arms
        }
    };
    (quote!(#min), body)
}
