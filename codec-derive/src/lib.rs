//! Derive macros for the `codec` crate. Use them through `codec`, which
//! re-exports them and documents the attribute language.

mod ast;
mod attr;
mod ctxt;
mod expand;
mod valid;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

use crate::expand::Derive;

/// Derives `codec::Encode`. See the `codec` crate for the attributes.
#[proc_macro_derive(Encode, attributes(codec))]
pub fn derive_encode(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input, Derive::Encode).into()
}

/// Derives `codec::Decode`. See the `codec` crate for the attributes.
#[proc_macro_derive(Decode, attributes(codec))]
pub fn derive_decode(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input, Derive::Decode).into()
}
