//! Code generation, one file per generated trait. Everything here reads
//! the validated model only, and names the runtime through `crate::paths`.

mod bits;
mod ctx;
mod decode;
mod encode;
mod header;
mod message;
mod protocol;
mod run;
pub(crate) mod service;
mod shape;

use proc_macro2::{Ident, TokenStream};
use quote::format_ident;

use crate::ast::{Field, Input};
use crate::model::Validated;
use crate::paths::in_runtime_scope;

/// The impls for a validated input.
pub fn expand(model: &Validated) -> TokenStream {
    match model {
        Validated::Encode(layout) => encode::expand(layout),
        Validated::Decode(layout) => decode::expand(layout),
        Validated::Message(message) => message::expand(message),
        Validated::Protocol(protocol) => protocol::expand(protocol),
        Validated::Header(header) => header::expand(header),
    }
}

/// Wraps generated items in the scope that names the runtime `_codec`.
fn wrap(input: &Input, items: TokenStream) -> TokenStream {
    in_runtime_scope(input.attrs.crate_path.get(), items)
}

/// The local holding the computed length a `len_from` field writes.
fn len_local(holder: &Field) -> Ident {
    format_ident!("__len_{}", holder.name)
}

/// The type name used in error paths: `Type`, or `Type::Variant`.
fn path_name(input: &Input, variant: Option<&Ident>) -> String {
    match variant {
        Some(v) => format!("{}::{}", input.ident(), v),
        None => input.ident().to_string(),
    }
}
