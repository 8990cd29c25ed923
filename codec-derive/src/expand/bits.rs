//! Bit fields (`#[codec(bits = N)]`): a run of them is one integer of
//! whole bytes, loaded once and split with shifts and masks on decode,
//! assembled from the values and stored once on encode. Encode and decode
//! call in here for the run's pieces; fieldless enums get their
//! `EncodeBits`/`DecodeBits` here too.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::{Field, Shape};
use crate::model::{BitField, FieldPlan, Layout, LayoutBody, Wire};
use crate::paths::{
    ASSERT_FAILED, BITS_TOO_WIDE, BITS_VALUE, DECODE_BITS, DECODE_CTX, DECODE_ERROR, ENCODE,
    ENCODE_BITS, ENCODE_ERROR, ENDIAN, ERR, FROM, GET_BITS, NONE, OPTION, PUT_BITS, READ_BITS,
    RESULT, SINK, SIZED, SOME, TRACE, U16, U32, U64, U8, USIZE, WRITE_BITS,
};

/// The fields of the run `leader` starts, with their places.
pub fn run_of<'p, 'a>(
    plans: &'p [FieldPlan<'a>],
    leader: &Field,
) -> Vec<(&'p FieldPlan<'a>, BitField<'a>)> {
    plans
        .iter()
        .filter_map(|p| match p.wire {
            Wire::Bits(b) if std::ptr::eq(b.leader, leader) => Some((p, b)),
            _ => None,
        })
        .collect()
}

fn mask(width: u32) -> Literal {
    Literal::u64_suffixed(if width >= 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    })
}

/// The run's integer type on encode: as narrow as the run (`u8` to
/// `u64`), so the assembled value is stored without widening.
fn acc_type(run_bytes: usize) -> TokenStream {
    match run_bytes {
        1 => quote!(#U8),
        2 => quote!(#U16),
        3 | 4 => quote!(#U32),
        _ => quote!(#U64),
    }
}

/// Encode: checks that each value of the run fits its bits, as one `||`
/// of comparisons against each field's largest value (each a fused
/// compare-and-branch, merged by LLVM where widths agree; an `|` of
/// shifted values tested against zero took more micro-ops on the DNS
/// header for the same instruction count); the error path, out of line,
/// finds the first that does not fit. Runs with the other checks, before
/// anything is written. `value` gives a reference to a field's value.
/// Empty when no value can be too wide.
pub fn encode_check(
    run: &[(&FieldPlan, BitField)],
    ty_name: &str,
    value: &dyn Fn(&FieldPlan) -> TokenStream,
) -> TokenStream {
    let mut stmts = TokenStream::new();
    let (mut wide, mut checked, mut widths) = (Vec::new(), Vec::new(), Vec::new());
    for (i, (p, b)) in run.iter().enumerate() {
        if !(b.check && b.width < 64) {
            continue;
        }
        let ty = p.ty;
        let v = value(p);
        let local = format_ident!("__v{}", i);
        let to_bits = ENCODE_BITS.at(ty.span());
        stmts.extend(quote_spanned! {ty.span()=>
            let #local: #U64 = <#ty as #to_bits>::to_bits(#v);
        });
        let width = Literal::u32_unsuffixed(b.width);
        let name = &p.field.name;
        let max = mask(b.width);
        wide.push(quote!((#local > #max)));
        checked.push(quote!(#local));
        widths.push(quote!((#width, #name)));
    }
    if wide.is_empty() {
        return TokenStream::new();
    }
    quote! {{
        #stmts
        if #(#wide)||* {
            return #BITS_TOO_WIDE(&[#(#checked),*], &[#(#widths),*], #ty_name);
        }
    }}
}

/// Encode: the run's bytes as a piece of a byte run: (its store into the
/// run's array, its write on its own, and its integer read into a local
/// with the store of that local). The run's integer is assembled
/// from the (checked) values right where it is stored, in an integer as
/// wide as the run: values taken before the output's capacity check would
/// live across it (in a loop, on the stack).
pub fn encode_piece(
    run: &[(&FieldPlan, BitField)],
    value: &dyn Fn(&FieldPlan) -> TokenStream,
) -> (TokenStream, TokenStream, (TokenStream, TokenStream)) {
    let Some((_, lead)) = run.first() else {
        return Default::default();
    };
    let (n, lsb) = (lead.run_bytes(), lead.lsb);
    let acc_ty = acc_type(n);
    let parts = run.iter().map(|(p, b)| {
        let ty = p.ty;
        let v = value(p);
        let to_bits = ENCODE_BITS.at(ty.span());
        let shift = Literal::u32_unsuffixed(b.shift());
        // Checked to fit (or as wide as the run): the cast keeps every bit.
        quote_spanned!(ty.span()=> ((<#ty as #to_bits>::to_bits(#v) as #acc_ty) << #shift))
    });
    let acc = quote!(<#U64 as #FROM<#acc_ty>>::from(0 #(| #parts)*));
    let local = format_ident!("__bits_{}", lead.leader.name);
    (
        quote!(#PUT_BITS::<#n>(#acc, __run, &mut __at, #lsb);),
        quote!(#WRITE_BITS::<#n, _>(#acc, __buf, #lsb);),
        (
            quote!(let #local: #U64 = #acc;),
            quote!(#PUT_BITS::<#n>(#local, __run, &mut __at, #lsb);),
        ),
    )
}

/// Decode: the statements taking each field of the run from `__acc` (the
/// run's integer, read at input offset `__bits_at`) into its local; with
/// `trace`, each also gets its line (from the run's bytes `__bits_bytes`).
fn extract(run: &[(&FieldPlan, BitField)], ty_name: &str, trace: bool) -> TokenStream {
    let mut out = TokenStream::new();
    for (p, b) in run {
        let (ty, local, name) = (p.ty, &p.field.local, &p.field.name);
        let raw = format_ident!("__raw_{}", p.field.name);
        let (shift, mask) = (Literal::u32_unsuffixed(b.shift()), mask(b.width));
        let byte = b.first as usize / 8;
        let value = BITS_VALUE.at(ty.span());
        let read = quote_spanned!(ty.span()=> #value::<#ty>(#raw, __bits_at + #byte));
        out.extend(quote! {
            let #raw: #U64 = (__acc >> #shift) & #mask;
            let #local: #ty = #DECODE_CTX(#read, #ty_name, #name)?;
        });
        // Its `assert`, right after it, at the byte holding its first bit.
        if let Some(c) = &p.assert {
            let (expr, msg) = (&c.assert.expr, &c.assert.message);
            out.extend(quote! {
                if !(#expr) {
                    return #ERR(#ASSERT_FAILED(#msg, __bits_at + #byte).in_field(#ty_name, #name));
                }
            });
        }
        if trace {
            let (first, width, lsb) = (b.first, b.width, b.lsb);
            out.extend(quote! {
                #TRACE::bits(__t, #name, __bits_at, __bits_bytes, #first, #width, #lsb, #raw);
            });
        }
    }
    out
}

/// Decode: the run as a piece of a byte run: (the pattern binding its
/// fields, its read from the run's slice, its read on its own as a
/// `Result` expression).
pub fn decode_piece(
    run: &[(&FieldPlan, BitField)],
    ty_name: &str,
) -> (TokenStream, TokenStream, TokenStream) {
    let Some((lead_plan, lead)) = run.first() else {
        return (
            quote!(()),
            TokenStream::new(),
            quote!(#RESULT::<(), #DECODE_ERROR>::Ok(())),
        );
    };
    let (n, lsb) = (lead.run_bytes(), lead.lsb);
    let locals: Vec<_> = run.iter().map(|(p, _)| &p.field.local).collect();
    let pattern = quote!((#(#locals,)*));
    let fast_take = extract(run, ty_name, false);
    let fast = quote! {
        let #pattern = {
            let __bits_at: #USIZE = __base + __at;
            let __acc: #U64 = #GET_BITS::<#n>(__run, &mut __at, #lsb);
            #fast_take
            #pattern
        };
    };
    let slow_take = extract(run, ty_name, true);
    let lead_name = &lead_plan.field.name;
    let slow = quote! {{
        let __bits_at: #USIZE = __r.offset();
        let __bits_bytes = #DECODE_CTX(#READ_BITS::<#n>(__r), #ty_name, #lead_name)?;
        let __acc: #U64 = #GET_BITS::<#n>(__bits_bytes, &mut 0, #lsb);
        #slow_take
        #RESULT::<_, #DECODE_ERROR>::Ok(#pattern)
    }};
    (pattern, fast, slow)
}

/// The ids of a fieldless enum chosen by discriminant (the ones a bit
/// field can hold), as (variant, id); `None` for other types.
fn fieldless<'a>(layout: &Layout<'a>) -> Option<Vec<(&'a syn::Ident, u64)>> {
    match &layout.body {
        LayoutBody::Enum {
            by_magic: false,
            variants,
            ..
        } if !variants.is_empty()
            && variants
                .iter()
                .all(|v| v.variant.shape == Shape::Unit && !v.other) =>
        {
            Some(variants.iter().map(|v| (v.variant.ident, v.id)).collect())
        }
        _ => None,
    }
}

/// `impl EncodeBits` for a fieldless enum: its id is its bits.
pub fn encode_bits_impl(layout: &Layout) -> TokenStream {
    let Some(ids) = fieldless(layout) else {
        return TokenStream::new();
    };
    let ident = layout.input.ident();
    let (impl_g, ty_g, where_c) = layout.input.original.generics.split_for_impl();
    let arms = ids.iter().map(|(v, id)| {
        let id = Literal::u64_suffixed(*id);
        quote!(Self::#v => #id,)
    });
    quote! {
        #[automatically_derived]
        impl #impl_g #ENCODE_BITS for #ident #ty_g #where_c {
            #[inline]
            fn to_bits(&self) -> #U64 {
                match self { #(#arms)* }
            }
        }
    }
}

/// `impl DecodeBits` for a fieldless enum: an unknown id is `None`.
pub fn decode_bits_impl(layout: &Layout) -> TokenStream {
    let Some(ids) = fieldless(layout) else {
        return TokenStream::new();
    };
    let ident = layout.input.ident();
    let (impl_g, ty_g, where_c) = layout.input.original.generics.split_for_impl();
    let arms = ids.iter().map(|(v, id)| {
        let id = Literal::u64_unsuffixed(*id);
        quote!(#id => #SOME(Self::#v),)
    });
    quote! {
        #[automatically_derived]
        impl #impl_g #DECODE_BITS for #ident #ty_g #where_c {
            #[inline]
            fn from_bits(__bits: #U64) -> #OPTION<Self> {
                match __bits {
                    #(#arms)*
                    _ => #NONE,
                }
            }
        }
    }
}

/// A header (a struct of fixed-width fields with at least one bit run:
/// a handful of loads, shifts and one store) is encoded inline in its
/// caller: out of line, the call and its register saves cost as much as
/// the header itself. Returns the `encode_with` inline attribute and an
/// `Encode::encode` to emit; other types keep `#[inline]` and the default.
pub fn encode_inline(layout: &Layout) -> (TokenStream, TokenStream) {
    let plain = (quote!(#[inline]), TokenStream::new());
    let LayoutBody::Struct(plans) = &layout.body else {
        return plain;
    };
    let has_bits = plans.iter().any(|p| matches!(p.wire, Wire::Bits(_)));
    let all_fixed = plans.iter().all(|p| {
        matches!(
            (&p.wire, p.packed),
            (Wire::Bits(_) | Wire::Skip, _) | (_, Some(crate::model::Packed::Scalar))
        ) && p.assert.is_none()
    });
    if !(has_bits && all_fixed) || layout.magic.is_some() || layout.assert.is_some() {
        return plain;
    }
    let encode = quote! {
        #[inline(always)]
        fn encode<__S: #SINK + ?#SIZED>(&self, __buf: &mut __S) -> #RESULT<(), #ENCODE_ERROR> {
            // Nothing is written before the checks pass: no truncation.
            <Self as #ENCODE>::encode_with(self, __buf, #ENDIAN::Big)
        }
    };
    (quote!(#[inline(always)]), encode)
}
