//! `#[derive(Decode)]`: `decode_with`, and `explain_with` which reads the
//! same layout while recording one annotated line per field.

use proc_macro2::{Literal, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::{
    container_endian, decode_generics, len_prefix, path_name, plan, repr_type, unit, wrap,
    FieldPlan, Presence, Wire,
};
use crate::ast::{is_fixed_width, Body, Field, Input, Variant};
use crate::attr::LenKind;

/// Which method is being generated: both read the same layout.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Decode,
    Explain,
}

pub fn expand(input: &Input, ids: &[u64]) -> TokenStream {
    let ident = input.ident();
    let mut generics = decode_generics(input.original);
    for p in generics.type_params_mut() {
        p.bounds.push(syn::parse_quote!(_codec::Decode<'de>));
    }
    let (impl_g, _, where_c) = generics.split_for_impl();
    let (_, ty_g, _) = input.original.generics.split_for_impl();
    let body = |mode| match &input.body {
        Body::Struct(fields) => {
            let (min, reads, construct) = fields_code(input, None, fields, None, mode);
            let end = (mode == Mode::Decode).then(|| {
                quote!(if __whole {
                    __r.finish()?;
                })
            });
            (
                min,
                quote! { #reads #end _codec::__private::Ok(Self #construct) },
            )
        }
        Body::Enum(variants) => enum_code(input, variants, ids, mode),
    };
    let (min_len, decode_body) = body(Mode::Decode);
    // A struct's `from_bytes` checks for trailing bytes before the value
    // is built, so it is built in the caller's return slot rather than
    // copied there; `decode_with` shares the body.
    let (helper, decode_body, from_bytes) = match &input.body {
        Body::Struct(_) => (
            quote! {
                #[automatically_derived]
                impl #impl_g #ident #ty_g #where_c {
                    #[inline(always)]
                    fn __codec_decode(
                        __r: &mut _codec::Reader<'de>,
                        __whole: _codec::__private::bool,
                    ) -> _codec::__private::Result<Self, _codec::DecodeError> {
                        #decode_body
                    }
                }
            },
            quote!(Self::__codec_decode(__r, false)),
            quote! {
                #[inline]
                fn from_bytes(
                    __bytes: &'de [_codec::__private::u8],
                ) -> _codec::__private::Result<Self, _codec::DecodeError> {
                    Self::__codec_decode(&mut _codec::Reader::new(__bytes), true)
                }
            },
        ),
        Body::Enum(_) => (TokenStream::new(), decode_body, TokenStream::new()),
    };
    let (_, explain_body) = body(Mode::Explain);
    let explain_method = quote! {
        fn explain_with(
            __r: &mut _codec::Reader<'de>,
            _: _codec::wire::Endian,
            __out: &mut _codec::Explainer,
        ) -> _codec::__private::Result<Self, _codec::DecodeError> {
            #explain_body
        }
    };
    wrap(
        input,
        quote! {
            #helper

            #[automatically_derived]
            impl #impl_g _codec::Decode<'de> for #ident #ty_g #where_c {
                const MIN_LEN: _codec::__private::usize = #min_len;

                #[inline]
                fn decode_with(
                    __r: &mut _codec::Reader<'de>,
                    _: _codec::wire::Endian,
                ) -> _codec::__private::Result<Self, _codec::DecodeError> {
                    #decode_body
                }

                #from_bytes

                #explain_method
            }
        },
    )
}

/// The minimum length, the `let` statements reading each field into a
/// local, and the braced constructor `{ member: local, .. }`. `first` is
/// the local an `other` variant's first field takes.
fn fields_code(
    input: &Input,
    variant: Option<&syn::Ident>,
    fields: &[Field],
    first: Option<TokenStream>,
    mode: Mode,
) -> (TokenStream, TokenStream, TokenStream) {
    let ty_name = path_name(input, variant);
    let plans = plan(fields, container_endian(input));
    let skip = usize::from(first.is_some());
    let mut mins = Vec::new();
    let mut reads = TokenStream::new();
    let mut run = Run::default();
    for p in plans.iter().skip(skip) {
        let local = &p.field.local;
        let field_ty = p.field.ty;
        if let Wire::Skip = p.wire {
            reads.extend(quote! { let #local: #field_ty = _codec::__private::Default::default(); });
            continue;
        }
        mins.push(min_len(p));
        let name = &p.field.name;
        let order = &p.order;
        let ty = p.ty;
        if mode == Mode::Decode {
            match (&p.presence, &p.wire) {
                (Presence::Always, Wire::Plain) if is_fixed_width(ty) => {
                    let slow = value_read(p, mode);
                    run.push(
                        quote!(#local),
                        quote!(<#ty as _codec::__private::Fixed>::SIZE),
                        quote! {
                            let #local: #field_ty = _codec::__private::decode_ctx(
                                <#ty as _codec::__private::Fixed>::get(__run, &mut __at, #order, __base),
                                #ty_name,
                                #name,
                            )?;
                        },
                        quote!(_codec::__private::decode_ctx(#slow, #ty_name, #name)),
                    );
                    continue;
                }
                (Presence::Always, Wire::Prefixed(k, u)) if k.fixed_int().is_some() => {
                    // The prefix joins the run; the body follows it.
                    let int = repr_type(*k);
                    let prefix = len_prefix(*k);
                    let n = quote::format_ident!("__n_{}", p.field.name);
                    run.push(
                        quote!(#n),
                        quote!(<#int as _codec::__private::Fixed>::SIZE),
                        quote! {
                            let #n: _codec::__private::usize = _codec::__private::decode_ctx(
                                _codec::__private::get_len::<#int>(__run, &mut __at, #order, __base),
                                #ty_name,
                                #name,
                            )?;
                        },
                        quote! {
                            _codec::__private::decode_ctx(
                                _codec::__private::read_len(__r, #prefix, #order),
                                #ty_name,
                                #name,
                            )
                        },
                    );
                    reads.extend(run.flush());
                    let u = unit(*u);
                    reads.extend(quote_spanned! {ty.span()=>
                        let #local: #field_ty = _codec::__private::decode_ctx(
                            <#ty as _codec::DecodeSeq<'de>>::decode_seq(__r, #n, #u, #order),
                            #ty_name,
                            #name,
                        )?;
                    });
                    continue;
                }
                _ => reads.extend(run.flush()),
            }
        }
        let read = value_read(p, mode);
        let read = match p.presence {
            Presence::Always => read,
            Presence::When(expr) => quote! {
                if #expr {
                    (#read).map(_codec::__private::Some)
                } else {
                    _codec::__private::Ok(_codec::__private::None)
                }
            },
            Presence::Byte => {
                let presence = labelled(
                    mode,
                    "present",
                    quote!(_codec::__private::read_presence(__r)),
                );
                quote! {
                    (#presence).and_then(|__p| {
                        if __p {
                            (#read).map(_codec::__private::Some)
                        } else {
                            _codec::__private::Ok(_codec::__private::None)
                        }
                    })
                }
            }
        };
        let read = quote! {
            let #local: #field_ty = _codec::__private::decode_ctx(#read, #ty_name, #name)?;
        };
        reads.extend(match mode {
            Mode::Decode => read,
            Mode::Explain => quote! { __out.push(#name); #read __out.pop(); },
        });
    }
    reads.extend(run.flush());
    let members = fields.iter().map(|f| &f.member);
    let locals = fields.iter().enumerate().map(|(i, f)| match (&first, i) {
        (Some(first), 0) => first.clone(),
        _ => {
            let l = &f.local;
            quote!(#l)
        }
    });
    let construct = quote!({ #(#members: #locals),* });
    (quote!(0 #(+ #mins)*), reads, construct)
}

/// Consecutive fixed-width pieces (scalars, then at most one fixed length
/// prefix) read from one slice after one bounds check. Input too short for
/// the whole run takes the field-by-field path, which reports exactly
/// which field ran out and how many bytes it needed.
#[derive(Default)]
struct Run {
    locals: Vec<TokenStream>,
    sizes: Vec<TokenStream>,
    fast: Vec<TokenStream>,
    slow: Vec<TokenStream>,
}

impl Run {
    fn push(
        &mut self,
        local: TokenStream,
        size: TokenStream,
        fast: TokenStream,
        slow: TokenStream,
    ) {
        self.locals.push(local);
        self.sizes.push(size);
        self.fast.push(fast);
        self.slow.push(slow);
    }

    fn flush(&mut self) -> TokenStream {
        let Run {
            locals,
            sizes,
            fast,
            slow,
        } = std::mem::take(self);
        match (&locals[..], &slow[..]) {
            ([], []) => return TokenStream::new(),
            ([local], [read]) => return quote!(let #local = #read?;),
            _ => {}
        }
        quote! {
            let (#(#locals,)*) = {
                let __base = __r.offset();
                match _codec::__private::take_run::<{ 0 #(+ #sizes)* }>(__r) {
                    _codec::__private::Some(__run) => {
                        let __run: &[_codec::__private::u8] = __run;
                        let mut __at = 0usize;
                        #(#fast)*
                        (#(#locals,)*)
                    }
                    _codec::__private::None => {
                        #(let #locals = #slow?;)*
                        (#(#locals,)*)
                    }
                }
            };
        }
    }
}

/// In explain mode, a `Result` expression reading a displayable value
/// with `read` and recording it under the extra path segment `label`.
fn labelled(mode: Mode, label: &str, read: TokenStream) -> TokenStream {
    match mode {
        Mode::Decode => read,
        Mode::Explain => quote! {{
            __out.push(#label);
            let __v = _codec::decode::explain_leaf(__r, __out, |__r| #read);
            __out.pop();
            __v
        }},
    }
}

fn min_len(p: &FieldPlan) -> TokenStream {
    let ty = p.ty;
    match (&p.presence, &p.wire) {
        (Presence::When(_), _) | (_, Wire::Skip | Wire::LenFrom { .. } | Wire::Rest) => quote!(0),
        (Presence::Byte, _) => quote!(1),
        (Presence::Always, Wire::Plain) => {
            quote_spanned!(ty.span()=> <#ty as _codec::Decode<'de>>::MIN_LEN)
        }
        (Presence::Always, Wire::Base128 { .. }) => quote!(1),
        (Presence::Always, Wire::Prefixed(k, _)) => {
            let n = k.min_len();
            quote!(#n)
        }
    }
}

/// A `Result` expression reading one value.
fn value_read(p: &FieldPlan, mode: Mode) -> TokenStream {
    let ty = p.ty;
    let order = &p.order;
    let explain = mode == Mode::Explain;
    let body = |n: TokenStream, u: TokenStream| {
        if explain {
            quote_spanned! {ty.span()=>
                <#ty as _codec::DecodeSeq<'de>>::explain_seq(__r, #n, #u, #order, __out)
            }
        } else {
            quote_spanned! {ty.span()=>
                <#ty as _codec::DecodeSeq<'de>>::decode_seq(__r, #n, #u, #order)
            }
        }
    };
    match &p.wire {
        Wire::Skip => quote!(_codec::__private::Ok(_codec::__private::Default::default())),
        Wire::Plain if explain => quote_spanned! {ty.span()=>
            <#ty as _codec::Decode<'de>>::explain_with(__r, #order, __out)
        },
        Wire::Plain => {
            quote_spanned!(ty.span()=> <#ty as _codec::Decode<'de>>::decode_with(__r, #order))
        }
        Wire::Base128 { vlq } if explain => quote! {
            _codec::decode::explain_leaf(__r, __out, |__r| {
                _codec::__private::read_base128::<#ty>(__r, #vlq)
            })
        },
        Wire::Base128 { vlq } => quote!(_codec::__private::read_base128::<#ty>(__r, #vlq)),
        Wire::Prefixed(k, u) => {
            let prefix = len_prefix(*k);
            let len = labelled(
                mode,
                "len",
                quote!(_codec::__private::read_len(__r, #prefix, #order)),
            );
            let body = body(quote!(__n), unit(*u));
            quote!((#len).and_then(|__n| #body))
        }
        Wire::LenFrom { holder, unit: u } => {
            let holder = &holder.local;
            let body = body(quote!(__n), unit(*u));
            quote!(_codec::__private::len_value(#holder, __r.offset()).and_then(|__n| #body))
        }
        Wire::Rest if explain => {
            let body = body(quote!(__n), quote!(_codec::wire::Unit::Bytes));
            quote!({ let __n = __r.remaining(); #body })
        }
        Wire::Rest => {
            quote_spanned!(ty.span()=> <#ty as _codec::DecodeSeq<'de>>::decode_rest(__r, #order))
        }
    }
}

fn enum_code(
    input: &Input,
    variants: &[Variant],
    ids: &[u64],
    mode: Mode,
) -> (TokenStream, TokenStream) {
    let name = input.ident().to_string();
    let repr = input.attrs.repr.get().copied().unwrap_or(LenKind::U8);
    let repr_ty = repr_type(repr);
    let order = match container_endian(input) {
        Some(crate::attr::Endian::Little) => quote!(_codec::wire::Endian::Little),
        _ => quote!(_codec::wire::Endian::Big),
    };
    let read_raw = match repr {
        LenKind::Varint => quote!(_codec::__private::read_base128::<_codec::__private::u64>(
            __r, false
        )),
        LenKind::Vlq => quote!(_codec::__private::read_base128::<_codec::__private::u64>(
            __r, true
        )),
        _ => quote!(<#repr_ty as _codec::Decode<'de>>::decode_with(__r, #order)),
    };
    let read_raw = labelled(mode, "id", read_raw);
    let mut arms = TokenStream::new();
    let mut fallback = quote! {
        _ => _codec::__private::Err(
            _codec::__private::invalid_discriminant(__id, __start).in_type(#name)
        ),
    };
    for (v, id) in variants.iter().zip(ids) {
        let ident = v.ident;
        let variant = ident.to_string();
        let other = v.attrs.other.is_set();
        let (_, reads, construct) = fields_code(
            input,
            Some(ident),
            &v.fields,
            other.then(|| quote!(__raw)),
            mode,
        );
        let (enter, leave) = match mode {
            Mode::Decode => (quote!(), quote!()),
            Mode::Explain => (quote!(__out.push(#variant);), quote!(__out.pop();)),
        };
        let arm = quote!({ #enter #reads #leave _codec::__private::Ok(Self::#ident #construct) });
        if other {
            fallback = quote!(_ => #arm);
        } else {
            let lit = Literal::u64_unsuffixed(*id);
            arms.extend(quote!(#lit => #arm,));
        }
    }
    let min = repr.min_len();
    let body = quote! {
        let __start = __r.offset();
        let __raw: #repr_ty = (#read_raw).map_err(|__e| __e.in_type(#name))?;
        let __id: _codec::__private::u64 = _codec::__private::From::from(__raw);
        match __id {
            #arms
            #fallback
        }
    };
    (quote!(#min), body)
}
