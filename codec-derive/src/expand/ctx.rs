//! Context (`#[codec(ctx(..))]`): the struct a type's context travels in,
//! the locals its expressions read, and the value a parent field passes.
//! Encode and decode each generate their own struct (in their own scope)
//! with the same public fields, named `<Type>Ctx` in error messages.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::Input;
use crate::attr::CtxParam;
use crate::model::CtxPass;
use crate::paths::{CLONE, COPY};

/// What a type's expansion adds for its context; all empty without one.
pub struct Parts {
    /// The context struct's name.
    pub ty: TokenStream,
    /// The struct and its `Clone`/`Copy` impls.
    pub def: TokenStream,
    /// The locals its expressions read (see [`bindings`]).
    pub bind: TokenStream,
    /// The parameter of the inner decode function, `__ctx: <Type>Ctx,`.
    pub param: TokenStream,
    /// The argument passing it on, `, __ctx`.
    pub arg: TokenStream,
}

/// The [`Parts`] of a type declaring `params` (empty for `None`).
pub fn parts(input: &Input, params: Option<&[CtxParam]>) -> Parts {
    let Some(params) = params else {
        return Parts {
            ty: TokenStream::new(),
            def: TokenStream::new(),
            bind: TokenStream::new(),
            param: TokenStream::new(),
            arg: TokenStream::new(),
        };
    };
    let ty = struct_name(input);
    Parts {
        def: struct_def(input, params),
        bind: bindings(params),
        param: quote!(__ctx: #ty,),
        arg: quote!(, __ctx),
        ty: quote!(#ty),
    }
}

/// The context struct's name: `<Type>Ctx`.
fn struct_name(input: &Input) -> syn::Ident {
    format_ident!("{}Ctx", input.ident())
}

/// The context struct: one public field per parameter, `Copy` (each
/// parameter's type must be, so expressions can read it more than once).
fn struct_def(input: &Input, params: &[CtxParam]) -> TokenStream {
    let name = struct_name(input);
    let doc = format!(
        "The context of `{}`: what its parent passes in.",
        input.ident()
    );
    let names: Vec<_> = params.iter().map(|p| &p.name).collect();
    let tys: Vec<_> = params.iter().map(|p| &p.ty).collect();
    let copies = params.iter().map(|p| {
        let ty = &p.ty;
        let copy = COPY.at(ty.span());
        quote_spanned!(ty.span()=> { fn __is_copy<__C: #copy>() {} __is_copy::<#ty>(); })
    });
    quote! {
        #[doc = #doc]
        #[allow(missing_docs, non_camel_case_types)] // named after the type; fields are the declared names
        pub struct #name {
            #(pub #names: #tys,)*
        }

        #[automatically_derived]
        impl #CLONE for #name {
            #[inline]
            fn clone(&self) -> Self {
                #(#copies)*
                *self
            }
        }

        #[automatically_derived]
        impl #COPY for #name {}
    }
}

/// `let name = __ctx.name;` for every parameter, so expressions read them
/// like fields.
fn bindings(params: &[CtxParam]) -> TokenStream {
    let names = params.iter().map(|p| &p.name);
    quote! {
        #(
            #[allow(unused_variables)] // not every expression reads every value
            let #names = __ctx.#names;
        )*
    }
}

/// The context value a field passes to its type `ty`: a literal of the
/// type's context struct, reached through `<ty as trait_>::Ctx` (`trait_`
/// names `'__ctx_de` where it takes a lifetime, `de`). `ty` may use the
/// lifetimes of `input`, the parent.
pub fn value(
    input: &Input,
    ty: &syn::Type,
    pass: &CtxPass,
    trait_: TokenStream,
    de: bool,
) -> TokenStream {
    let lifetimes = input.original.generics.lifetimes().map(|l| &l.lifetime);
    let names = pass.args.iter().map(|a| &a.name);
    let exprs = pass.args.iter().map(|a| &a.expr);
    // Each value in a local first (in the order written), so the literal
    // never reads `name: name`.
    let locals: Vec<_> = (0..pass.args.len())
        .map(|i| format_ident!("__ctx_v{}", i))
        .collect();
    let de = de.then(|| quote!('__ctx_de,));
    quote_spanned! {ty.span()=> {
        #(let #locals = #exprs;)*
        type __Ctx<#de #(#lifetimes),*> = <#ty as #trait_>::Ctx;
        __Ctx { #(#names: #locals),* }
    }}
}
