//! `#[derive(Protocol)]`: an enum of messages that encodes and decodes
//! whole frames, choosing the variant by the id in the header.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::visit_mut::VisitMut;
use syn::Type;

use super::wrap;
use crate::ast::{de_generics, Input};
use crate::model::{Arm, Protocol};
use crate::paths::{
    BOOL, DECODE, DECODE_ERROR, DECODE_FRAME, DECODE_PROTOCOL, ENCODE, ENCODE_ERROR,
    ENCODE_ERROR_KIND, ENCODE_FRAME, ENDIAN, ERR, EXPLAINER, FRAME_LEN, FROM, HEADER, ID_FITS,
    MESSAGE, MESSAGE_SHAPE, NONE, OK, OPTION, PANIC, PROTOCOL, RAW_FRAME, READER, RESULT, SAME_ID,
    SOME, STD_HEADER, STR, TAG_LIMIT, TRY_FROM, U64, U8, UNKNOWN_ID, USIZE, VEC,
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
    let explain = quote! {
            fn explain_payload(
                __id: #U64,
                __payload: &mut #READER<'de>,
                __ex: &mut #EXPLAINER,
            ) -> #RESULT<(), #DECODE_ERROR> {
                match __id {
                    #(<#m_ty as #message>::ID => {
                        __ex.push(<#m_ty as #message>::NAME);
                        let __r = <#m_ty as #decode<'de>>::explain_with(
                            __payload, #endian::Big, __ex,
                        );
                        __ex.pop();
                        __r.map(|_| ())
                    })*
                    _ => <Self as #DECODE_PROTOCOL<'de>>::decode_payload(__id, __payload).map(|_| ()),
                }
            }
    };
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
    let messages_const = messages_const(&m_ty);
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
                        #(Self::#all_var(__m) => #encode::encoded_len(__m),)*
                    }
                }

                #[inline]
                fn encode_payload(
                    &self,
                    __buf: &mut #VEC<#U8>,
                ) -> #RESULT<(), #ENCODE_ERROR> {
                    match self {
                        #(Self::#m_var(__m) => {
                            #encode::encode_with(__m, __buf, #endian::Big)
                        })*
                        #other_encode
                    }
                }
            }

            #[automatically_derived]
            impl #de_impl_g #DECODE_PROTOCOL<'de> for #ident #ty_g #where_c {
                #[inline]
                fn decode_payload(
                    __id: #U64,
                    __payload: &mut #READER<'de>,
                ) -> #RESULT<Self, #DECODE_ERROR> {
                    match __id {
                        #(<#m_ty as #message>::ID => {
                            <#m_ty as #decode<'de>>::decode(__payload).map(Self::#m_var)
                        })*
                        #unknown
                    }
                }

                #explain
            }

            /// The whole frame: header, then payload.
            #[automatically_derived]
            impl #impl_g #encode for #ident #ty_g #where_c {
                #[inline]
                fn encoded_len(&self) -> #USIZE {
                    #FRAME_LEN(self)
                }

                #[inline]
                fn encode_with(
                    &self,
                    __buf: &mut #VEC<#U8>,
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
            }

            #(#conversions)*

            #dispatch

            #checks
        },
    );
    quote!(#service #impls)
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
/// declaration order (the `other` catch-all has none).
fn messages_const(m_ty: &[&Type]) -> TokenStream {
    // Paths used inside `#(..)*` repetitions must be locals.
    let (shape, message, encode) = (MESSAGE_SHAPE, MESSAGE, ENCODE);
    quote! {
        const MESSAGES: &'static [#MESSAGE_SHAPE] = &[#(#shape {
            id: <#m_ty as #message>::ID,
            name: <#m_ty as #message>::NAME,
            shape: || <#m_ty as #encode>::SHAPE,
        }),*];
    }
}
