//! `#[derive(Header)]`: `codec::Header` and `codec::HeaderValue` for a
//! struct whose fields are the header's, laid out by the struct's own
//! `Encode`/`Decode` (derived beside it), so every field key applies.
//!
//! `write` fills the `id` and `payload_len` fields of `Self::default()`
//! (adding `len_adds`) and encodes it; `parse` checks the least length
//! (`Decode::MIN_LEN`) and decodes it, which for a fixed layout is the one
//! bounds check and loads of the struct's packed run; `explain` runs the
//! struct's decode body (`__codec_decode`, which the `Decode` derive emits
//! in the same module) with a tracer that names the message on the id line.

use proc_macro2::TokenStream;
use quote::quote;

use super::decode::min_len;
use super::wrap;
use crate::ast::is_fixed_width;
use crate::model::{FrameHeader, Presence, Wire};
use crate::paths::{
    DECODE, DECODE_ERROR, DEFAULT, ENCODE, ENCODE_ERROR, ENDIAN, ERR, EXPLAINER, EXPLAIN_HEADER,
    FRAME_HEAD, HEADER, HEADER_BAD_ID, HEADER_INCOMPLETE, HEADER_TOO_LARGE, HEADER_VALUE, ID_FITS,
    NONE, OK, OPTION, PARSED, READER, RESULT, SINK, SIZED, SOME, STR, U64, U8, USIZE,
};

pub fn expand(h: &FrameHeader) -> TokenStream {
    let input = h.input;
    let ident = input.ident();
    let name = ident.to_string();
    let adds = h.adds;

    let len_member = &h.len.field.member;
    let len_ty = h.len.field.ty;
    let len_name = &h.len.field.name;
    let len_wire = &h.len.wire;
    let max_len = h.len.max - adds;

    // Without an `id` field the header carries none: only id 0 is written,
    // and every frame parses as id 0.
    let (max_id, id_name, id_wire, set_id, get_id, id_field) = match &h.id {
        Some(role) => {
            let (m, ty) = (&role.field.member, role.field.ty);
            let field = &role.field.name;
            (
                role.max,
                field.clone(),
                format!("{} message id", role.wire),
                quote!(self.#m = __id as #ty;),
                quote!(__h.#m as #U64),
                quote!(#SOME(#field)),
            )
        }
        None => (
            0,
            "id".to_owned(),
            "no message id".to_owned(),
            TokenStream::new(),
            quote!(0),
            quote!(#NONE),
        ),
    };

    // The least bytes the fields after each one take, for an exact count
    // when a variable-width field runs out.
    let wire_fields: Vec<_> = h
        .fields
        .iter()
        .filter(|p| !matches!(p.wire, Wire::Skip))
        .collect();
    let after = wire_fields.iter().enumerate().map(|(i, p)| {
        let field = &p.field.name;
        let mins = wire_fields[i + 1..].iter().map(|q| min_len(q));
        quote!((#field, 0 #(+ #mins)*))
    });
    let n_after = wire_fields.len();
    // Every field of a fixed width: the least length is the length.
    let fixed = wire_fields.iter().all(|p| {
        matches!(p.presence, Presence::Always)
            && match p.wire {
                Wire::IntN { .. } => true,
                Wire::Plain => is_fixed_width(p.ty),
                _ => false,
            }
    });
    // A fixed layout needs exactly its length, known without decoding; a
    // variable one may need more than its least, which decoding finds out.
    let short = fixed.then(|| {
        quote! {
            if __bytes.len() < __min {
                return #OK(#PARSED::Incomplete {
                    needed: __min - __bytes.len(),
                });
            }
        }
    });

    wrap(
        input,
        quote! {
            #[automatically_derived]
            impl #ident {
                /// `self` with the id and the payload length in their fields.
                #[inline(always)]
                fn __codec_fill(mut self, __id: #U64, __len: #USIZE) -> Self {
                    #set_id
                    self.#len_member = (__len as #U64 + #adds) as #len_ty;
                    self
                }

                /// Each field's name and the least bytes the fields after it take.
                #[cold]
                fn __codec_after<'de>() -> [(&'static #STR, #USIZE); #n_after] {
                    [#(#after),*]
                }
            }

            #[automatically_derived]
            impl #HEADER for #ident {
                const NAME: &'static #STR = #name;
                const MAX_ID: #U64 = #max_id;
                const MAX_LEN: #U64 = #max_len;

                #[inline]
                fn encoded_len(__id: #U64, __len: #USIZE) -> #USIZE {
                    let __h: Self = #DEFAULT::default();
                    #ENCODE::encoded_len(&__h.__codec_fill(__id, __len))
                }

                #[inline]
                fn write<__S: #SINK + ?#SIZED>(
                    __id: #U64,
                    __len: #USIZE,
                    __buf: &mut __S,
                ) -> #RESULT<(), #ENCODE_ERROR> {
                    let __h: Self = #DEFAULT::default();
                    #HEADER_VALUE::write_value(__h, __id, __len, __buf)
                }

                #[inline]
                fn parse(__bytes: &[#U8]) -> #RESULT<#PARSED, #DECODE_ERROR> {
                    let __min = <Self as #DECODE<'_>>::MIN_LEN;
                    #short
                    let mut __r = #READER::new(__bytes);
                    match <Self as #DECODE<'_>>::decode_with(&mut __r, #ENDIAN::Big) {
                        #OK(__h) => #OK(#PARSED::Complete(#FRAME_HEAD {
                            id: #get_id,
                            header_len: __r.offset(),
                            // Decoding refused a value below `len_adds`.
                            payload_len: __h.#len_member as #U64 - #adds,
                        })),
                        #ERR(__e) => #HEADER_INCOMPLETE(
                            __e,
                            &Self::__codec_after(),
                            __min.saturating_sub(__bytes.len()),
                        ),
                    }
                }

                fn explain(
                    __bytes: &[#U8],
                    __head: &#FRAME_HEAD,
                    __name: #OPTION<&#STR>,
                    __ex: &mut #EXPLAINER,
                ) {
                    #EXPLAIN_HEADER(__ex, #id_field, __head.id, __name, |__t| {
                        // `parse` accepted these bytes; a failure still
                        // leaves the lines read so far.
                        let _ = Self::__codec_decode(&mut #READER::new(__bytes), false, __t);
                    });
                }
            }

            #[automatically_derived]
            impl #HEADER_VALUE for #ident {
                #[inline]
                fn value(__bytes: &[#U8]) -> #RESULT<Self, #DECODE_ERROR> {
                    <Self as #DECODE<'_>>::decode_with(&mut #READER::new(__bytes), #ENDIAN::Big)
                }

                #[inline]
                fn write_value<__S: #SINK + ?#SIZED>(
                    self,
                    __id: #U64,
                    __len: #USIZE,
                    __buf: &mut __S,
                ) -> #RESULT<(), #ENCODE_ERROR> {
                    // Checked before anything is written.
                    if !#ID_FITS(__id, #max_id) {
                        return #ERR(#HEADER_BAD_ID(__id, #id_wire, #name, #id_name));
                    }
                    if !#ID_FITS(__len as #U64, #max_len) {
                        return #ERR(#HEADER_TOO_LARGE(__len, #len_wire, #max_len, #name, #len_name));
                    }
                    #ENCODE::encode(&self.__codec_fill(__id, __len), __buf)
                }
            }
        },
    )
}
