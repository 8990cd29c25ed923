//! `#[derive(Protocol)]`: an enum of messages that encodes and decodes
//! whole frames, choosing the variant by the id in the header.

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};
use syn::visit_mut::VisitMut;
use syn::Type;

use super::{decode_generics, wrap};
use crate::ast::{Body, Input, Variant};

/// A variant and the message type it holds.
struct Arm<'a> {
    variant: &'a Ident,
    ty: &'a Type,
    other: bool,
}

pub fn expand(input: &Input) -> TokenStream {
    let Body::Enum(variants) = &input.body else {
        unreachable!("validated: Protocol is an enum")
    };
    let arms: Vec<Arm> = variants.iter().map(arm).collect();
    let ident = input.ident();
    let header = match input.attrs.header.get() {
        Some(path) => quote!(#path),
        None => quote!(_codec::StdHeader),
    };
    let (impl_g, ty_g, where_c) = input.original.generics.split_for_impl();
    let de_generics = decode_generics(input.original);
    let (de_impl_g, _, _) = de_generics.split_for_impl();

    let messages: Vec<&Arm> = arms.iter().filter(|a| !a.other).collect();
    let other = arms.iter().find(|a| a.other);
    let m_var: Vec<_> = messages.iter().map(|a| a.variant).collect();
    let m_ty: Vec<_> = messages.iter().map(|a| a.ty).collect();

    let other_id = other.map(|a| {
        let v = a.variant;
        quote!(Self::#v(__m) => __m.id,)
    });
    let other_name = other.map(|a| {
        let (v, ty) = (a.variant, a.ty);
        quote!(Self::#v(_) => <#ty>::NAME,)
    });
    // An `other` frame must not carry an id a message claims: it would
    // decode as that message, not come back as it was.
    let other_encode = other.map(|a| {
        let v = a.variant;
        quote! {
            Self::#v(__m) => match <Self as _codec::Protocol>::name_of(__m.id) {
                _codec::__private::Some(_) => _codec::__private::Err(_codec::EncodeError::new(
                    _codec::EncodeErrorKind::Invalid("an `other` frame cannot carry an id a message claims"),
                )),
                _codec::__private::None => _codec::Encode::encode_with(__m, __buf, _codec::wire::Endian::Big),
            },
        }
    });
    let all_var: Vec<_> = arms.iter().map(|a| a.variant).collect();
    let tag_max = m_ty.iter().fold(
        quote!(0),
        |acc, ty| quote!(_codec::message::tag_limit(#acc, <#ty as _codec::Message>::TAG_MAX)),
    );
    let other_none = other.map(|a| {
        let v = a.variant;
        quote!(Self::#v(_) => _codec::__private::None,)
    });
    let other_false = other.map(|a| {
        let v = a.variant;
        quote!(Self::#v(_) => false,)
    });
    let unknown = match other {
        Some(a) => {
            let (v, ty) = (a.variant, a.ty);
            quote!(_ => _codec::__private::Ok(Self::#v(<#ty>::read(__id, __payload))))
        }
        None => quote!(_ => _codec::__private::Err(_codec::message::unknown_id(__id, __payload))),
    };
    let explain = quote! {
            fn explain_payload(
                __id: _codec::__private::u64,
                __payload: &mut _codec::Reader<'de>,
                __ex: &mut _codec::Explainer,
            ) -> _codec::__private::Result<(), _codec::DecodeError> {
                match __id {
                    #(<#m_ty as _codec::Message>::ID => {
                        __ex.push(<#m_ty as _codec::Message>::NAME);
                        let __r = <#m_ty as _codec::Decode<'de>>::explain_with(
                            __payload, _codec::wire::Endian::Big, __ex,
                        );
                        __ex.pop();
                        __r.map(|_| ())
                    })*
                    _ => <Self as _codec::DecodeProtocol<'de>>::decode_payload(__id, __payload).map(|_| ()),
                }
            }
    };
    let conversions = arms.iter().map(|a| {
        let (v, ty) = (a.variant, a.ty);
        quote! {
            #[automatically_derived]
            impl #impl_g _codec::__private::From<#ty> for #ident #ty_g #where_c {
                #[inline]
                fn from(m: #ty) -> Self {
                    Self::#v(m)
                }
            }

            #[automatically_derived]
            impl #impl_g _codec::__private::TryFrom<#ident #ty_g> for #ty #where_c {
                type Error = #ident #ty_g;
                #[inline]
                fn try_from(p: #ident #ty_g) -> _codec::__private::Result<Self, #ident #ty_g> {
                    match p {
                        #ident::#v(m) => _codec::__private::Ok(m),
                        other => _codec::__private::Err(other),
                    }
                }
            }
        }
    });
    let checks = compile_checks(input, &messages, &header);
    let dispatch = dispatch(input, &arms);

    wrap(
        input,
        quote! {
            #[automatically_derived]
            impl #impl_g _codec::Protocol for #ident #ty_g #where_c {
                type Header = #header;

                const TAG_MAX: _codec::__private::u64 = #tag_max;

                #[inline]
                fn tag(&self) -> _codec::__private::Option<_codec::__private::u64> {
                    match self {
                        #(Self::#m_var(__m) => _codec::Message::tag(__m),)*
                        #other_none
                    }
                }

                #[inline]
                fn set_tag(&mut self, __tag: _codec::__private::u64) -> _codec::__private::bool {
                    match self {
                        #(Self::#m_var(__m) => _codec::Message::set_tag(__m, __tag),)*
                        #other_false
                    }
                }

                #[inline]
                fn id(&self) -> _codec::__private::u64 {
                    match self {
                        #(Self::#m_var(_) => <#m_ty as _codec::Message>::ID,)*
                        #other_id
                    }
                }

                fn name(&self) -> &'static _codec::__private::str {
                    match self {
                        #(Self::#m_var(_) => <#m_ty as _codec::Message>::NAME,)*
                        #other_name
                    }
                }

                fn name_of(__id: _codec::__private::u64) -> _codec::__private::Option<&'static _codec::__private::str> {
                    match __id {
                        #(<#m_ty as _codec::Message>::ID => {
                            _codec::__private::Some(<#m_ty as _codec::Message>::NAME)
                        })*
                        _ => _codec::__private::None,
                    }
                }

                #[inline]
                fn payload_len(&self) -> _codec::__private::usize {
                    match self {
                        #(Self::#all_var(__m) => _codec::Encode::encoded_len(__m),)*
                    }
                }

                #[inline]
                fn encode_payload(
                    &self,
                    __buf: &mut _codec::__private::Vec<_codec::__private::u8>,
                ) -> _codec::__private::Result<(), _codec::EncodeError> {
                    match self {
                        #(Self::#m_var(__m) => {
                            _codec::Encode::encode_with(__m, __buf, _codec::wire::Endian::Big)
                        })*
                        #other_encode
                    }
                }
            }

            #[automatically_derived]
            impl #de_impl_g _codec::DecodeProtocol<'de> for #ident #ty_g #where_c {
                #[inline]
                fn decode_payload(
                    __id: _codec::__private::u64,
                    __payload: &mut _codec::Reader<'de>,
                ) -> _codec::__private::Result<Self, _codec::DecodeError> {
                    match __id {
                        #(<#m_ty as _codec::Message>::ID => {
                            <#m_ty as _codec::Decode<'de>>::decode(__payload).map(Self::#m_var)
                        })*
                        #unknown
                    }
                }

                #explain
            }

            /// The whole frame: header, then payload.
            #[automatically_derived]
            impl #impl_g _codec::Encode for #ident #ty_g #where_c {
                #[inline]
                fn encoded_len(&self) -> _codec::__private::usize {
                    _codec::message::frame_len(self)
                }

                #[inline]
                fn encode_with(
                    &self,
                    __buf: &mut _codec::__private::Vec<_codec::__private::u8>,
                    _: _codec::wire::Endian,
                ) -> _codec::__private::Result<(), _codec::EncodeError> {
                    _codec::message::encode_frame(self, __buf)
                }
            }

            /// The whole frame: header, then payload.
            #[automatically_derived]
            impl #de_impl_g _codec::Decode<'de> for #ident #ty_g #where_c {
                #[inline]
                fn decode_with(
                    __r: &mut _codec::Reader<'de>,
                    _: _codec::wire::Endian,
                ) -> _codec::__private::Result<Self, _codec::DecodeError> {
                    _codec::message::decode_frame(__r)
                }
            }

            #(#conversions)*

            #dispatch

            #checks
        },
    )
}

/// `Dispatch` and `DispatchAsync`: forward each variant to its message's
/// handler, for any context every message has a handler for.
fn dispatch(input: &Input, arms: &[Arm]) -> TokenStream {
    let ident = input.ident();
    let (_, ty_g, where_c) = input.original.generics.split_for_impl();
    let mut generics = input.original.generics.clone();
    generics
        .params
        .push(syn::parse_quote!(__Ctx: ?_codec::__private::Sized));
    generics.params.push(syn::parse_quote!(__R));
    let (impl_g, _, _) = generics.split_for_impl();
    let mut async_generics = input.original.generics.clone();
    async_generics
        .params
        .push(syn::parse_quote!(__Ctx: ?_codec::__private::Sized + _codec::__private::Sync));
    async_generics.params.push(syn::parse_quote!(__R));
    let (async_impl_g, _, _) = async_generics.split_for_impl();
    let preds = where_c.map(|w| {
        let p = &w.predicates;
        quote!(#p,)
    });
    let vars: Vec<_> = arms.iter().map(|a| a.variant).collect();
    let tys: Vec<_> = arms.iter().map(|a| a.ty).collect();
    quote! {
        #[automatically_derived]
        impl #impl_g _codec::dispatch::Dispatch<__Ctx> for #ident #ty_g
        where
            #preds
            #(#tys: _codec::dispatch::Handle<__Ctx, Reply = __R>,)*
        {
            type Reply = __R;

            #[inline]
            fn dispatch(self, __ctx: &mut __Ctx) -> __R {
                match self {
                    #(Self::#vars(__m) => _codec::dispatch::Handle::handle(__m, __ctx),)*
                }
            }
        }

        #[automatically_derived]
        impl #async_impl_g _codec::dispatch::DispatchAsync<__Ctx> for #ident #ty_g
        where
            #preds
            Self: _codec::__private::Send,
            #(#tys: _codec::dispatch::HandleAsync<__Ctx, Reply = __R>,)*
        {
            type Reply = __R;

            fn dispatch(
                self,
                __ctx: &__Ctx,
            ) -> impl _codec::__private::Future<Output = __R> + _codec::__private::Send {
                async move {
                    match self {
                        #(Self::#vars(__m) => _codec::dispatch::HandleAsync::handle(__m, __ctx).await,)*
                    }
                }
            }
        }
    }
}

fn arm<'a>(v: &'a Variant<'a>) -> Arm<'a> {
    Arm {
        variant: v.ident,
        ty: v.fields[0].ty,
        other: v.attrs.other.is_set(),
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
        checks.push(quote_spanned! {a.variant.span()=>
            const _: () = if !_codec::__private::id_fits(<#ty as _codec::Message>::ID, <#header as _codec::Header>::MAX_ID) {
                _codec::__private::panic!(#msg)
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
            checks.push(quote_spanned! {messages[j].variant.span()=>
                const _: () = if _codec::__private::same_id(<#a as _codec::Message>::ID, <#b as _codec::Message>::ID) {
                    _codec::__private::panic!(#msg)
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
