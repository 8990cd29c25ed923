//! `#[derive(Protocol)]`: an enum of messages that encodes and decodes
//! whole frames, choosing the variant by the id in the header.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::Type;

use super::{ctx, wrap};
use crate::ast::{de_generics, Input};
use crate::model::{Arm, CtxPass, Protocol};
use crate::paths::{
    BOOL, DECODE, DECODE_ERROR, DECODE_FRAME, DECODE_PROTOCOL, ENCODE, ENCODE_ERROR,
    ENCODE_ERROR_KIND, ENCODE_FRAME, ENDIAN, ERR, EXPLAINER, FRAME_LEN, FROM, HEADER, ID_FITS,
    MESSAGE, MESSAGE_SHAPE, NONE, OK, OPTION, PANIC, PROTOCOL, RAW_FRAME, READER, RESULT, SAME_ID,
    SINK, SIZED, SOME, STD_HEADER, STR, TAG_LIMIT, TRY_FROM, U64, U8, UNKNOWN_ID, USIZE,
};
use crate::paths::{
    CORRELATE, CORRELATION, DECODE_FRAME_EXACT, DECODE_PAYLOAD_EXACT, DECODE_VARIANT_EXACT,
    DECODE_WITH, DEFAULT, ENCODE_WITH, HEADER_DISAGREES, HEADER_VALUE, NEEDS_HEADER, SHAPE,
};

pub fn expand(protocol: &Protocol) -> TokenStream {
    // Paths used inside `#(..)*` repetitions must be locals.
    let (message, decode, encode, endian, some) = (MESSAGE, DECODE, ENCODE, ENDIAN, SOME);
    let input = protocol.input;
    let arms = &protocol.arms;
    let ident = input.ident();
    let header = match protocol.header {
        Some(path) => quote!(#path),
        None => quote!(#STD_HEADER),
    };
    let (impl_g, ty_g, where_c) = input.original.generics.split_for_impl();
    let de_generics = de_generics(&input.original.generics);
    let (de_impl_g, _, _) = de_generics.split_for_impl();

    let messages: Vec<&Arm> = arms.iter().filter(|a| !a.other).collect();
    let other = arms.iter().find(|a| a.other);
    let m_var: Vec<_> = messages.iter().map(|a| a.variant).collect();
    let m_ty: Vec<_> = messages.iter().map(|a| a.ty).collect();

    let other_id = other.map(|a| {
        let v = a.variant;
        quote!(Self::#v(__m) => __m.id,)
    });
    // The `other` variant holds the runtime's `RawFrame` (a different
    // type fails to compile here, at the variant's type).
    let other_name = other.map(|a| {
        let v = a.variant;
        quote!(Self::#v(_) => #RAW_FRAME::NAME,)
    });
    // An `other` frame must not carry an id a message claims: it would
    // decode as that message, not come back as it was.
    let other_encode = other.map(|a| {
        let v = a.variant;
        quote! {
            Self::#v(__m) => match <Self as #PROTOCOL>::name_of(__m.id) {
                #some(_) => #ERR(#ENCODE_ERROR::new(
                    #ENCODE_ERROR_KIND::Invalid("an `other` frame cannot carry an id a message claims"),
                )),
                #NONE => #encode::encode_with(__m, __buf, #endian::Big),
            },
        }
    });
    let all_var: Vec<_> = arms.iter().map(|a| a.variant).collect();
    let tag_max = m_ty.iter().fold(
        quote!(0),
        |acc, ty| quote!(#TAG_LIMIT(#acc, <#ty as #message>::TAG_MAX)),
    );
    let other_none = other.map(|a| {
        let v = a.variant;
        quote!(Self::#v(_) => #NONE,)
    });
    let other_false = other.map(|a| {
        let v = a.variant;
        quote!(Self::#v(_) => false,)
    });
    let unknown = match other {
        Some(a) => {
            let v = a.variant;
            quote!(_ => #OK(Self::#v(#RAW_FRAME::read(__id, __payload))))
        }
        None => quote!(_ => #ERR(#UNKNOWN_ID(__id, __payload))),
    };
    // A message taking its context from the header is explained with it,
    // by `explain_framed`; here it falls to `decode_payload`'s refusal.
    let x_ty: Vec<_> = messages
        .iter()
        .filter(|a| a.ctx.is_none())
        .map(|a| a.ty)
        .collect();
    let explain = quote! {
            fn explain_payload(
                __id: #U64,
                __payload: &mut #READER<'de>,
                __ex: &mut #EXPLAINER,
            ) -> #RESULT<(), #DECODE_ERROR> {
                match __id {
                    #(<#x_ty as #message>::ID => {
                        __ex.push(<#x_ty as #message>::NAME);
                        let __r = <#x_ty as #decode<'de>>::explain_with(
                            __payload, #endian::Big, __ex,
                        );
                        __ex.pop();
                        __r.map(|_| ())
                    })*
                    _ => <Self as #DECODE_PROTOCOL<'de>>::decode_payload(__id, __payload).map(|_| ()),
                }
            }
    };
    let tied = Tied::new(protocol, &header);
    let (len_arms, encode_arms, decode_arms) = tied.arms(&messages, &all_var, arms);
    let (write_header, framed) = tied.methods();
    let framed_exact = framed_exact(&messages);
    let conversions = arms.iter().map(|a| {
        let (v, ty) = (a.variant, a.ty);
        quote! {
            #[automatically_derived]
            impl #impl_g #FROM<#ty> for #ident #ty_g #where_c {
                #[inline]
                fn from(m: #ty) -> Self {
                    Self::#v(m)
                }
            }

            #[automatically_derived]
            impl #impl_g #TRY_FROM<#ident #ty_g> for #ty #where_c {
                type Error = #ident #ty_g;
                #[inline]
                fn try_from(p: #ident #ty_g) -> #RESULT<Self, #ident #ty_g> {
                    match p {
                        #ident::#v(m) => #OK(m),
                        other => #ERR(other),
                    }
                }
            }
        }
    });
    let messages_const = messages_const(&messages);
    // `correlate = Rules`: the protocol's own request/response rules.
    let correlate = protocol.correlate.map(|rules| {
        quote! {
            const FIRST_TAG: #U64 = <#rules as #CORRELATE<Self>>::FIRST_TAG;

            #[inline]
            fn correlation(&self) -> #CORRELATION {
                <#rules as #CORRELATE<Self>>::correlation(self)
            }
        }
    });
    let checks = compile_checks(input, &messages, &header);
    let (service, dispatch) = super::service::expand(protocol).unzip();

    let impls = wrap(
        input,
        quote! {
            #[automatically_derived]
            impl #impl_g #PROTOCOL for #ident #ty_g #where_c {
                type Header = #header;

                const TAG_MAX: #U64 = #tag_max;

                #messages_const

                #correlate

                #[inline]
                fn tag(&self) -> #OPTION<#U64> {
                    match self {
                        #(Self::#m_var(__m) => #message::tag(__m),)*
                        #other_none
                    }
                }

                #[inline]
                fn set_tag(&mut self, __tag: #U64) -> #BOOL {
                    match self {
                        #(Self::#m_var(__m) => #message::set_tag(__m, __tag),)*
                        #other_false
                    }
                }

                #[inline]
                fn id(&self) -> #U64 {
                    match self {
                        #(Self::#m_var(_) => <#m_ty as #message>::ID,)*
                        #other_id
                    }
                }

                fn name(&self) -> &'static #STR {
                    match self {
                        #(Self::#m_var(_) => <#m_ty as #message>::NAME,)*
                        #other_name
                    }
                }

                fn name_of(__id: #U64) -> #OPTION<&'static #STR> {
                    match __id {
                        #(<#m_ty as #message>::ID => {
                            #some(<#m_ty as #message>::NAME)
                        })*
                        _ => #NONE,
                    }
                }

                #[inline]
                fn payload_len(&self) -> #USIZE {
                    match self {
                        #(#len_arms)*
                    }
                }

                #[inline]
                fn encode_payload<__S: #SINK + ?#SIZED>(
                    &self,
                    __buf: &mut __S,
                ) -> #RESULT<(), #ENCODE_ERROR> {
                    match self {
                        #(#encode_arms)*
                        #other_encode
                    }
                }

                #write_header
            }

            #[automatically_derived]
            impl #de_impl_g #DECODE_PROTOCOL<'de> for #ident #ty_g #where_c {
                #[inline]
                fn decode_payload(
                    __id: #U64,
                    __payload: &mut #READER<'de>,
                ) -> #RESULT<Self, #DECODE_ERROR> {
                    match __id {
                        #(#decode_arms)*
                        #unknown
                    }
                }

                #explain

                #framed

                #framed_exact
            }

            /// The whole frame: header, then payload.
            #[automatically_derived]
            impl #impl_g #encode for #ident #ty_g #where_c {
                #[inline]
                fn encoded_len(&self) -> #USIZE {
                    #FRAME_LEN(self)
                }

                #[inline]
                fn encode_with<__S: #SINK + ?#SIZED>(
                    &self,
                    __buf: &mut __S,
                    _: #endian,
                ) -> #RESULT<(), #ENCODE_ERROR> {
                    #ENCODE_FRAME(self, __buf)
                }
            }

            /// The whole frame: header, then payload.
            #[automatically_derived]
            impl #de_impl_g #decode<'de> for #ident #ty_g #where_c {
                #[inline]
                fn decode_with(
                    __r: &mut #READER<'de>,
                    _: #endian,
                ) -> #RESULT<Self, #DECODE_ERROR> {
                    #DECODE_FRAME(__r)
                }

                #[inline]
                fn from_bytes(__bytes: &'de [#U8]) -> #RESULT<Self, #DECODE_ERROR> {
                    #DECODE_FRAME_EXACT(__bytes)
                }
            }

            #(#conversions)*

            #dispatch

            #checks
        },
    );
    quote!(#service #impls)
}

/// `decode_framed_exact`: each message's arm checks that the payload is
/// used exactly before the message becomes the variant (so the variants do
/// not meet in one temporary that is then copied); messages tied to the
/// header, the `other` variant and unknown ids take the default path
/// through `decode_framed`, which the arms here agree with.
fn framed_exact(messages: &[&Arm]) -> TokenStream {
    let untied: Vec<&&Arm> = messages.iter().filter(|a| !a.ties_header()).collect();
    let (ty, var): (Vec<_>, Vec<_>) = untied.iter().map(|a| (a.ty, a.variant)).unzip();
    // Paths used inside `#(..)*` repetitions must be locals.
    let (message, exact) = (MESSAGE, DECODE_VARIANT_EXACT);
    quote! {
        #[inline]
        fn decode_framed_exact(
            __header: &'de [#U8],
            __id: #U64,
            __payload: &mut #READER<'de>,
        ) -> #RESULT<Self, #DECODE_ERROR> {
            match __id {
                #(<#ty as #message>::ID => #exact::<#ty, Self>(__payload, Self::#var),)*
                _ => #DECODE_PAYLOAD_EXACT(__payload, |__r| {
                    <Self as #DECODE_PROTOCOL<'de>>::decode_framed(__header, __id, __r)
                }),
            }
        }
    }
}

/// Constant assertions, evaluated when the crate compiles: every id fits
/// the header, and no two variants share an id (ids are associated consts
/// of the message types, invisible to the macro itself). Skipped for enums
/// with type parameters, whose ids are unknown until instantiated.
fn compile_checks(input: &Input, messages: &[&Arm], header: &TokenStream) -> TokenStream {
    if input.original.generics.type_params().next().is_some() {
        return quote!();
    }
    let tys: Vec<Type> = messages.iter().map(|a| static_lifetimes(a.ty)).collect();
    // Each check is its own constant, spanned at the variant it is about,
    // so the compiler points there.
    let mut checks = Vec::new();
    for (a, ty) in messages.iter().zip(&tys) {
        let msg = format!(
            "the id of variant `{}` does not fit the header's id field",
            a.variant
        );
        let span = a.variant.span();
        let (id_fits, message, header_trait, panic) = (
            ID_FITS.at(span),
            MESSAGE.at(span),
            HEADER.at(span),
            PANIC.at(span),
        );
        checks.push(quote_spanned! {span=>
            const _: () = if !#id_fits(<#ty as #message>::ID, <#header as #header_trait>::MAX_ID) {
                #panic!(#msg)
            };
        });
    }
    for i in 0..messages.len() {
        for j in i + 1..messages.len() {
            let (a, b) = (&tys[i], &tys[j]);
            let msg = format!(
                "variants `{}` and `{}` have the same id",
                messages[i].variant, messages[j].variant
            );
            let span = messages[j].variant.span();
            let (same_id, message, panic) = (SAME_ID.at(span), MESSAGE.at(span), PANIC.at(span));
            checks.push(quote_spanned! {span=>
                const _: () = if #same_id(<#a as #message>::ID, <#b as #message>::ID) {
                    #panic!(#msg)
                };
            });
        }
    }
    quote!(#(#checks)*)
}

/// The type with every lifetime replaced by `'static`, for use in a
/// constant outside the impls.
fn static_lifetimes(ty: &Type) -> Type {
    struct Static;
    impl VisitMut for Static {
        fn visit_lifetime_mut(&mut self, l: &mut syn::Lifetime) {
            *l = syn::parse_quote!('static);
        }
    }
    let mut ty = ty.clone();
    Static.visit_type_mut(&mut ty);
    ty
}

/// `Protocol::MESSAGES`: each message's id, name and payload shape, in
/// declaration order (the `other` catch-all has none; a message taking a
/// context has no `Encode::SHAPE`, so is opaque).
fn messages_const(messages: &[&Arm]) -> TokenStream {
    // Paths used inside `#(..)*` repetitions must be locals.
    let (shape, message, encode) = (MESSAGE_SHAPE, MESSAGE, ENCODE);
    let m_ty = messages.iter().map(|a| a.ty);
    let shapes = messages.iter().map(|a| {
        let ty = a.ty;
        match a.ctx {
            Some(_) => quote!(#SHAPE::Opaque),
            None => quote!(<#ty as #encode>::SHAPE),
        }
    });
    quote! {
        const MESSAGES: &'static [#MESSAGE_SHAPE] = &[#(#shape {
            id: <#m_ty as #message>::ID,
            name: <#m_ty as #message>::NAME,
            shape: || #shapes,
        }),*];
    }
}

/// Variants tied to the frame header (`ctx(..)` and `header(..)`): their
/// messages get a context built from the header's value, and set header
/// fields from themselves. A protocol without any keeps the code it had.
struct Tied<'a> {
    protocol: &'a Protocol<'a>,
    header: &'a TokenStream,
}

impl<'a> Tied<'a> {
    fn new(protocol: &'a Protocol<'a>, header: &'a TokenStream) -> Self {
        Tied { protocol, header }
    }

    /// The `payload_len`, `encode_payload` and `decode_payload` match arms
    /// of every variant: as before for untied ones.
    fn arms(
        &self,
        messages: &[&Arm],
        all_var: &[&syn::Ident],
        arms: &[Arm],
    ) -> (Vec<TokenStream>, Vec<TokenStream>, Vec<TokenStream>) {
        let (encode, decode, endian, message) = (ENCODE, DECODE, ENDIAN, MESSAGE);
        let len = all_var.iter().zip(arms).map(|(v, a)| match a.ctx {
            None => quote!(Self::#v(__m) => #encode::encoded_len(__m),),
            Some(_) => {
                let (ty, value, cx) = (a.ty, self.value(a), self.ctx(a, false));
                quote!(Self::#v(__m) => {
                    #value
                    <#ty as #ENCODE_WITH>::encoded_len_in(__m, #cx)
                })
            }
        });
        let enc = messages.iter().map(|a| {
            let (v, ty) = (a.variant, a.ty);
            match a.ctx {
                None => quote!(Self::#v(__m) => {
                    #encode::encode_with(__m, __buf, #endian::Big)
                }),
                Some(_) => {
                    let (value, cx) = (self.value(a), self.ctx(a, false));
                    // At the message type, as its length's call is: a type
                    // without a context gets one error, there. The locals
                    // are interpolated, so they keep the derive's hygiene
                    // (spanned at a type from a user's `macro_rules!`, they
                    // would not resolve).
                    let encode_with = ENCODE_WITH.at(ty.span());
                    let (m, buf) = (
                        Ident::new("__m", Span::call_site()),
                        Ident::new("__buf", Span::call_site()),
                    );
                    let call = quote_spanned! {ty.span()=>
                        <#ty as #encode_with>::encode_in(#m, #buf, #cx)
                    };
                    quote!(Self::#v(__m) => {
                        #value
                        #call
                    })
                }
            }
        });
        let dec = messages.iter().map(|a| {
            let (v, ty) = (a.variant, a.ty);
            match a.ctx {
                None => quote!(<#ty as #message>::ID => {
                    <#ty as #decode<'de>>::decode(__payload).map(Self::#v)
                }),
                Some(_) => quote!(<#ty as #message>::ID => {
                    #ERR(#NEEDS_HEADER(__payload, <#ty as #message>::NAME))
                }),
            }
        });
        (len.collect(), enc.collect(), dec.collect())
    }

    fn tied(&self) -> impl Iterator<Item = &Arm<'a>> {
        self.protocol.arms.iter().filter(|a| a.ties_header())
    }

    /// `let header = ..;`: the header value a variant's message gives
    /// (`__m`, read as `msg`): its `header(..)` fields, the rest default.
    fn value(&self, a: &Arm) -> TokenStream {
        let header = self.header;
        let (names, exprs) = split(a.header_fields.unwrap_or_default());
        quote! {
            #[allow(unused_variables)] // not every expression reads the message
            let msg = __m;
            #[allow(unused_variables)] // not every variant's context reads the header
            let header: #header = #header { #(#names: #exprs,)* ..#DEFAULT::default() };
        }
    }

    /// The context value of a variant's message, from `header`.
    fn ctx(&self, a: &Arm, de: bool) -> TokenStream {
        let pass = CtxPass {
            args: a.ctx.unwrap_or_default(),
            uses: Vec::new(),
        };
        let trait_ = if de {
            quote!(#DECODE_WITH<'__ctx_de>)
        } else {
            quote!(#ENCODE_WITH)
        };
        ctx::value(self.protocol.input, a.ty, &pass, trait_, de)
    }

    /// Checks on decode that the header fields a variant sets from its
    /// message are what the decoded message (`__msg`) gives.
    fn checks(&self, a: &Arm) -> TokenStream {
        let header = self.header;
        let (names, exprs) = split(a.header_fields.unwrap_or_default());
        let checks = names.iter().zip(exprs).map(|(name, expr)| {
            let field = name.to_string();
            let msg = format!(
                "header field `{field}` disagrees with the {} message",
                a.variant
            );
            quote! {
                if header.#name != {
                    #[allow(unused_variables)] // not every expression reads the message
                    let msg = &__msg;
                    #expr
                } {
                    return #ERR(#HEADER_DISAGREES(
                        __start, __header.len(), <#header as #HEADER>::NAME, #field, #msg,
                    ));
                }
            }
        });
        quote!(#(#checks)*)
    }

    /// `write_header` (header fields from the message) and
    /// `decode_framed`/`explain_framed` (the message's context from the
    /// header); nothing for a protocol without tied variants.
    fn methods(&self) -> (TokenStream, TokenStream) {
        if self.tied().next().is_none() {
            return (quote!(), quote!());
        }
        let (header, message, decode, endian) = (self.header, MESSAGE, DECODE, ENDIAN);
        let writes = self.tied().filter(|a| a.header_fields.is_some()).map(|a| {
            let (v, ty, value) = (a.variant, a.ty, self.value(a));
            quote!(Self::#v(__m) => {
                #value
                #HEADER_VALUE::write_value(header, <#ty as #message>::ID, __len, __buf)
            })
        });
        let write_header = quote! {
            #[inline]
            fn write_header<__S: #SINK + ?#SIZED>(
                &self,
                __len: #USIZE,
                __buf: &mut __S,
            ) -> #RESULT<(), #ENCODE_ERROR> {
                #[allow(unreachable_patterns)] // every variant may set header fields
                match self {
                    #(#writes)*
                    _ => <#header as #HEADER>::write(<Self as #PROTOCOL>::id(self), __len, __buf),
                }
            }
        };
        let (mut decodes, mut explains) = (Vec::new(), Vec::new());
        for a in self.tied() {
            let (v, ty, checks) = (a.variant, a.ty, self.checks(a));
            let (read, explain) = match a.ctx {
                Some(_) => {
                    let (dcx, xcx) = (self.ctx(a, true), self.ctx(a, true));
                    (
                        quote!(<#ty as #DECODE_WITH<'de>>::decode_in(__payload, #dcx)),
                        quote!(<#ty as #DECODE_WITH<'de>>::explain_in(__payload, #xcx, __ex)),
                    )
                }
                None => (
                    quote!(<#ty as #decode<'de>>::decode(__payload)),
                    quote!(<#ty as #decode<'de>>::explain_with(__payload, #endian::Big, __ex)),
                ),
            };
            // Where the payload starts, for a disagreeing header's error.
            let at = a
                .header_fields
                .is_some()
                .then(|| quote!(let __start = __payload.offset();));
            let start = quote! {
                #at
                #[allow(unused_variables)] // not every variant's context reads the header
                let header: #header = <#header as #HEADER_VALUE>::value(__header)?;
            };
            decodes.push(quote!(<#ty as #message>::ID => {
                #start
                let __msg = #read?;
                #checks
                #OK(Self::#v(__msg))
            }));
            explains.push(quote!(<#ty as #message>::ID => {
                #start
                __ex.push(<#ty as #message>::NAME);
                let __r = #explain;
                __ex.pop();
                let __msg = __r?;
                #checks
                #OK(())
            }));
        }
        let framed = quote! {
            #[inline]
            fn decode_framed(
                __header: &'de [#U8],
                __id: #U64,
                __payload: &mut #READER<'de>,
            ) -> #RESULT<Self, #DECODE_ERROR> {
                match __id {
                    #(#decodes)*
                    _ => <Self as #DECODE_PROTOCOL<'de>>::decode_payload(__id, __payload),
                }
            }

            fn explain_framed(
                __header: &'de [#U8],
                __id: #U64,
                __payload: &mut #READER<'de>,
                __ex: &mut #EXPLAINER,
            ) -> #RESULT<(), #DECODE_ERROR> {
                match __id {
                    #(#explains)*
                    _ => <Self as #DECODE_PROTOCOL<'de>>::explain_payload(__id, __payload, __ex),
                }
            }
        };
        (write_header, framed)
    }
}

/// The names and expressions of `name = expr` pairs.
fn split(args: &[crate::attr::CtxArg]) -> (Vec<&syn::Ident>, Vec<&syn::Expr>) {
    args.iter().map(|a| (&a.name, &a.expr)).unzip()
}
