//! What a derive emits on invalid input: its errors, plus an impl with
//! `unreachable!()` bodies, so users see their mistake and not a cascade
//! of "trait not implemented" errors where the type is used.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use crate::ast::de_generics;
use crate::attr::CtxParam;
use crate::model::Derive;
use crate::paths::{
    in_runtime_scope, DECODE, DECODE_ERROR, DECODE_WITH, ENCODE, ENCODE_ERROR, ENCODE_WITH, ENDIAN,
    EXPLAINER, READER, RESULT, SINK, SIZED, UNREACHABLE, USIZE,
};

/// The errors, then the placeholder impl, inside the same runtime scope a
/// valid expansion uses (so `#[codec(crate = "..")]` is honoured).
pub fn expand(
    input: &DeriveInput,
    crate_path: Option<&syn::Path>,
    which: Derive,
    errors: syn::Error,
    ctx: Option<&[CtxParam]>,
) -> TokenStream {
    let mut out = errors.into_compile_error();
    let ident = &input.ident;
    // A type declaring a context gets the context traits, so a parent
    // passing it one reports nothing more.
    if let (Some(params), Derive::Encode | Derive::Decode) = (ctx, which) {
        out.extend(in_runtime_scope(
            crate_path,
            ctx_placeholder(input, which, params),
        ));
        return out;
    }
    let placeholder = match which {
        // The other traits have no required items users could call into.
        Derive::Message | Derive::Protocol => return out,
        // `Header`'s items need the struct's `Encode`/`Decode`, which
        // report their own errors.
        Derive::Header => return out,
        Derive::Encode => {
            let (impl_g, ty_g, where_c) = input.generics.split_for_impl();
            quote! {
                impl #impl_g #ENCODE for #ident #ty_g #where_c {
                    fn encoded_len(&self) -> #USIZE { #UNREACHABLE!() }
                    fn encode_with<__S: #SINK + ?#SIZED>(&self, _: &mut __S, _: #ENDIAN)
                        -> #RESULT<(), #ENCODE_ERROR> { #UNREACHABLE!() }
                }
            }
        }
        Derive::Decode => {
            let generics = de_generics(&input.generics);
            let (impl_g, _, where_c) = generics.split_for_impl();
            let (_, ty_g, _) = input.generics.split_for_impl();
            quote! {
                impl #impl_g #DECODE<'de> for #ident #ty_g #where_c {
                    fn decode_with(_: &mut #READER<'de>, _: #ENDIAN)
                        -> #RESULT<Self, #DECODE_ERROR> { #UNREACHABLE!() }
                }
            }
        }
    };
    out.extend(in_runtime_scope(crate_path, placeholder));
    out
}

/// `EncodeWith` or `DecodeWith` with `unreachable!()` bodies, and the
/// context struct they take.
fn ctx_placeholder(input: &DeriveInput, which: Derive, params: &[CtxParam]) -> TokenStream {
    let ident = &input.ident;
    let ctx_ty = quote::format_ident!("{}Ctx", ident);
    let names = params.iter().map(|p| &p.name);
    let tys = params.iter().map(|p| &p.ty);
    let def = quote! {
        #[allow(missing_docs, non_camel_case_types)] // a placeholder beside the errors
        pub struct #ctx_ty { #(pub #names: #tys,)* }
    };
    let imp = if let Derive::Encode = which {
        let (impl_g, ty_g, where_c) = input.generics.split_for_impl();
        quote! {
            impl #impl_g #ENCODE_WITH for #ident #ty_g #where_c {
                type Ctx = #ctx_ty;
                fn encoded_len_in(&self, _: #ctx_ty) -> #USIZE { #UNREACHABLE!() }
                fn encode_in<__S: #SINK + ?#SIZED>(&self, _: &mut __S, _: #ctx_ty)
                    -> #RESULT<(), #ENCODE_ERROR> { #UNREACHABLE!() }
            }
        }
    } else {
        let generics = de_generics(&input.generics);
        let (impl_g, _, where_c) = generics.split_for_impl();
        let (_, ty_g, _) = input.generics.split_for_impl();
        quote! {
            impl #impl_g #DECODE_WITH<'de> for #ident #ty_g #where_c {
                type Ctx = #ctx_ty;
                fn decode_in(_: &mut #READER<'de>, _: #ctx_ty)
                    -> #RESULT<Self, #DECODE_ERROR> { #UNREACHABLE!() }
                fn explain_in(_: &mut #READER<'de>, _: #ctx_ty, _: &mut #EXPLAINER)
                    -> #RESULT<Self, #DECODE_ERROR> { #UNREACHABLE!() }
            }
        }
    };
    quote!(#def #imp)
}
