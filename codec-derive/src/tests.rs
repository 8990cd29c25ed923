//! Derive unit tests: input tokens in, error text out, plus expansion
//! snapshots.
//!
//! These own every error text the derive writes itself: one test per rule
//! of the attribute language. The trybuild cases (tests/tests/ui) keep only
//! what needs rustc: where errors point (spans), a missing trait impl on a
//! field, the compile-time protocol checks, and one several-errors case.

use quote::quote;

use crate::derive;
use crate::model::Derive;

/// The compile errors `#[derive(Encode)]` emits for `input`, in order.
fn errors(input: proc_macro2::TokenStream) -> Vec<String> {
    errors_of(Derive::Encode, input)
}

/// The compile errors a derive emits for `input`, in order.
fn errors_of(which: Derive, input: proc_macro2::TokenStream) -> Vec<String> {
    let input: syn::DeriveInput = syn::parse2(input).expect("test input parses");
    let out = derive(&input, which).to_string();
    out.match_indices("compile_error ! {")
        .map(|(i, _)| {
            let rest = &out[i..];
            let start = rest.find('"').expect("message") + 1;
            let end = start + rest[start..].find("\" }").expect("end of message");
            rest[start..end].replace("\\\"", "\"")
        })
        .collect()
}

#[test]
fn valid_input_has_no_errors() {
    assert!(errors(quote! {
        struct S { a: u8, #[codec(len = u8)] b: String, #[codec(rest)] c: Vec<u8> }
    })
    .is_empty());
}

#[test]
fn all_errors_are_reported_at_once() {
    let errs = errors(quote! {
        struct S {
            #[codec(bogus)] a: u8,
            #[codec(len = u8, len = u16)] b: String,
            #[codec(when = true)] c: u32,
        }
    });
    assert_eq!(
        errs,
        [
            "unknown codec attribute `bogus` on a field (expected one of: len, len_from, len_adds, null, unit, varint, vlq, bytes, endian, when, rest, skip, tag, magic, term, size, pad, assert, map, try_map, id, payload_len, max_bytes)",
            "duplicate `len` attribute",
            "`when` needs an `Option<T>` field",
        ]
    );
}

#[test]
fn len_from_rules() {
    let errs = errors(quote! {
        struct S {
            #[codec(len_from = later)] a: String,
            later: u8,
            #[codec(len_from = nope)] b: String,
            text: String,
            #[codec(len_from = text)] c: String,
        }
    });
    assert_eq!(
        errs,
        [
            "`len_from` must name an earlier field; `later` comes after `a`",
            "`len_from` names no field `nope`",
            "`len_from` field `text` must be an integer on the wire",
        ]
    );
}

#[test]
fn length_attributes_need_lengths() {
    let errs = errors(quote! {
        struct S { #[codec(len = u8)] a: u32, #[codec(len = u8, rest)] b: Vec<u8>, #[codec(unit = bytes)] c: Vec<u16> }
    });
    assert_eq!(
        errs,
        [
            "`len` needs a type with a length (String, Vec<T>, &str, &[u8], ...), not `u32`",
            "`rest` conflicts with `len`: a field's length comes from one place",
            "`rest` must be on the last field",
            "`unit` needs `len` or `len_from` on the same field",
        ]
    );
}

#[test]
fn rest_must_be_last() {
    let errs =
        errors(quote! { struct S { #[codec(rest)] a: Vec<u8>, b: u8, #[codec(skip)] c: u8 } });
    assert_eq!(errs, ["`rest` must be on the last field"]);
}

#[test]
fn enum_ids_are_checked() {
    let errs = errors(quote! {
        #[codec(repr = u8)]
        enum E { #[codec(id = 1)] A, #[codec(id = 1)] B, #[codec(id = 256)] C, D = 7, #[codec(other)] X }
    });
    assert_eq!(
        errs,
        [
            "an `other` variant needs a first field to hold the unknown discriminant",
            "duplicate id 1: variants `A` and `B`",
            "`id` 256 of `C` does not fit the `u8` discriminant",
        ]
    );
}

#[test]
fn a_key_given_twice_over_two_attributes() {
    let errs = errors(quote! {
        struct S { trans: u8, #[codec(len = u8)] #[codec(len = u16)] name: String }
    });
    assert_eq!(errs, ["duplicate `len` attribute"]);
}

#[test]
fn attribute_values_are_checked() {
    let errs = errors(quote! {
        #[codec(endian = "middle")]
        struct S { #[codec(len = u12)] name: String }
    });
    assert_eq!(
        errs,
        [
            "`endian` must be \"big\" or \"little\"",
            "`len` must be one of u8, u16, u24, u32, u40, u48, u56, u64, i8, i16, i32, i64, varint, vlq",
        ]
    );
}

#[test]
fn skip_takes_no_wire_attribute() {
    let errs = errors(quote! { struct S { id: u8, #[codec(skip, len = u8)] cache: Vec<u8> } });
    assert_eq!(
        errs,
        ["`len` has no effect on a `skip` field, which is not on the wire"]
    );
}

#[test]
fn base128_rules() {
    let errs = errors(quote! {
        struct S { #[codec(varint, vlq)] n: u64, #[codec(varint)] name: String }
    });
    assert_eq!(
        errs,
        [
            "`vlq` conflicts with `varint`: an integer has one encoding",
            "`varint` and `vlq` apply to integer fields",
        ]
    );
}

#[test]
fn when_uses_earlier_fields_only() {
    let errs = errors_of(
        Derive::Decode,
        quote! {
            struct S { #[codec(when = flags & 1 != 0)] channel: Option<u64>, flags: u8 }
        },
    );
    assert_eq!(
        errs,
        ["`when` may only use earlier fields; `flags` comes after `channel`"]
    );
}

#[test]
fn message_needs_an_id() {
    let errs = errors_of(Derive::Message, quote! { struct Anonymous { n: u8 } });
    assert_eq!(
        errs,
        ["`#[derive(Message)]` needs `#[codec(id = N)]` on the type"]
    );
}

#[test]
fn invalid_input_still_gets_a_placeholder_impl() {
    let input: syn::DeriveInput =
        syn::parse2(quote! { struct S { #[codec(len = u9)] a: String } }).unwrap();
    let out = derive(&input, Derive::Decode).to_string();
    assert!(out.contains("compile_error"));
    assert!(out.contains("use :: codec as _codec ;"), "{out}");
    assert!(
        out.contains("impl < 'de > _codec :: Decode < 'de > for S"),
        "{out}"
    );
    assert!(out.contains("unreachable"));
}

#[test]
fn the_placeholder_impl_honours_crate() {
    let input: syn::DeriveInput = syn::parse2(quote! {
        #[codec(crate = "::renamed")]
        struct S { #[codec(len = u9)] a: String }
    })
    .unwrap();
    let out = derive(&input, Derive::Encode).to_string();
    assert!(out.contains("use :: renamed as _codec ;"), "{out}");
    assert!(out.contains("impl _codec :: Encode for S"), "{out}");
    assert!(!out.contains(":: codec ::"), "{out}");
}

/// Pretty-printed expansions, compared with the committed snapshots in
/// `snapshots/`. Regenerate with `UPDATE_SNAPSHOTS=1 cargo test -p
/// codec-derive` and review the diff.
fn check_snapshot(name: &str, which: Derive, input: proc_macro2::TokenStream) {
    let input: syn::DeriveInput = syn::parse2(input).expect("test input parses");
    let file: syn::File = syn::parse2(derive(&input, which)).expect("expansion parses as items");
    let pretty = prettyplease::unparse(&file);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &pretty).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_SNAPSHOTS=1)", path.display()));
    assert_eq!(pretty, expected, "expansion of {name} changed");
}

fn store_request() -> proc_macro2::TokenStream {
    quote! {
        #[codec(id = 0x01, response = StoreResponse)]
        struct StoreRequest {
            #[codec(tag)]
            trans: u8,
            #[codec(len = u8)]
            name: String,
            #[codec(len = u16)]
            data: Vec<u8>,
        }
    }
}

#[test]
fn snapshot_encode_store_request() {
    check_snapshot("store_request.encode.rs", Derive::Encode, store_request());
}

#[test]
fn snapshot_decode_store_request() {
    check_snapshot("store_request.decode.rs", Derive::Decode, store_request());
}

#[test]
fn snapshot_message_store_request() {
    check_snapshot("store_request.message.rs", Derive::Message, store_request());
}

#[test]
fn snapshot_packet_with_when_and_rest() {
    let input = quote! {
        struct Packet<'a> {
            #[codec(vlq)] tag: u64,
            #[codec(vlq)] flags: u64,
            #[codec(when = flags & 1 != 0, vlq)] channel: Option<u64>,
            #[codec(rest)] payload: &'a [u8],
        }
    };
    check_snapshot("packet.encode.rs", Derive::Encode, input.clone());
    check_snapshot("packet.decode.rs", Derive::Decode, input);
}

#[test]
fn snapshot_protocol() {
    let input = quote! {
        enum Storage {
            StoreRequest(StoreRequest),
            StoreResponse(StoreResponse),
            #[codec(other)]
            Unknown(codec::RawFrame),
        }
    };
    check_snapshot("storage.protocol.rs", Derive::Protocol, input);
}

/// `Message::FIELDS` knows the widths of the fixed-width std types by their
/// bare names, so offsets after them stay known; they are never packed
/// with the primitives (their decoders check the value).
#[test]
fn fixed_width_std_types_have_widths() {
    use crate::ast::{bare_scalar_width, is_fixed_width};
    let width = |ty: &str| bare_scalar_width(&syn::parse_str(ty).expect("a type"));
    for (ty, w) in [
        ("NonZeroU8", 1),
        ("NonZeroI16", 2),
        ("NonZeroU32", 4),
        ("NonZeroI64", 8),
        ("NonZeroU128", 16),
        ("NonZeroUsize", 8),
        ("NonZeroIsize", 8),
        ("Ipv4Addr", 4),
        ("Ipv6Addr", 16),
        ("SocketAddrV4", 6),
        ("SocketAddrV6", 26),
        ("u16", 2),
    ] {
        assert_eq!(width(ty), Some(w), "{ty}");
    }
    // Variable width, or not a bare name: unknown.
    for ty in ["IpAddr", "SocketAddr", "NonZero<u8>", "std::net::Ipv4Addr"] {
        assert_eq!(width(ty), None, "{ty}");
    }
    assert!(!is_fixed_width(&syn::parse_quote!(NonZeroU8)));
    assert!(!is_fixed_width(&syn::parse_quote!(Ipv4Addr)));
}

#[test]
fn new_layout_keys_are_valid_together() {
    assert!(errors(quote! {
        #[codec(magic = b"\x89PNG")]
        struct S {
            #[codec(bytes = 3)] a: u32,
            #[codec(bytes = 3)] b: i32,
            #[codec(len = u24, magic = b"X")] c: Vec<u8>,
            #[codec(len = i32, null = -1)] d: Option<String>,
            #[codec(len = varint, len_adds = 1, null = 0)] e: Option<Vec<u16>>,
            #[codec(len_from = a, len_adds = 4)] f: Vec<u8>,
        }
    })
    .is_empty());
}

#[test]
fn bytes_rules() {
    let errs = errors(quote! {
        struct S {
            #[codec(bytes = 3)] a: u16,
            #[codec(bytes = 9)] b: u64,
            #[codec(bytes = 2)] c: String,
            #[codec(bytes = 2, varint)] d: u32,
        }
    });
    assert_eq!(
        errs,
        [
            "`bytes = 3` is wider than `u16` (2 bytes): use a wider integer type",
            "`bytes` must be from 1 to 8",
            "`bytes` applies to integer fields, not `String`",
            "`bytes` conflicts with `varint`/`vlq`: an integer has one encoding",
        ]
    );
}

#[test]
fn len_adds_and_null_rules() {
    let errs = errors(quote! {
        struct S {
            #[codec(len_adds = 1)] a: Vec<u8>,
            #[codec(len = u32, null = -1)] b: Option<Vec<u8>>,
            #[codec(len = i16, null = 5)] c: Option<String>,
            #[codec(len = i16, null = -1)] d: Vec<u8>,
            #[codec(null = -1)] e: Option<String>,
            #[codec(len = i8, null = -200)] f: Option<String>,
        }
    });
    assert_eq!(
        errs,
        [
            "`len_adds` needs `len`, `len_from` or `payload_len` on the same field",
            "`null = -1` does not fit `len = u32`",
            "`null = 5` is a length a value can have: use a negative one with a signed `len` (`len = i32, null = -1`) or one below `len_adds` (`len_adds = 1, null = 0`)",
            "`null` needs an `Option<T>` field without `when`: `None` is the null length",
            "`null` needs `len = ..` on the same field (the length prefix holds it)",
            "`null = -200` does not fit `len = i8`",
        ]
    );
}

#[test]
fn variant_magics_must_not_begin_each_other() {
    let errs = errors(quote! {
        enum E {
            #[codec(magic = b"tEXt")] Text(u8),
            #[codec(magic = b"tE")] Short(u8),
            #[codec(magic = b"tIME")] Time(u8),
        }
    });
    assert_eq!(
        errs,
        ["the magic of `Short` begins the magic of `Text`: the input cannot tell them apart; make neither a prefix of the other"]
    );
}

#[test]
fn magic_rules() {
    let errs = errors(quote! {
        #[codec(repr = u8)]
        enum E {
            #[codec(magic = b"A")] A,
            B,
            #[codec(magic = b"C", id = 3)] C,
            #[codec(magic = b"")] D,
        }
    });
    assert_eq!(
        errs,
        [
            "variant `B` needs a `magic`: an enum chosen by magic has one on every variant",
            "`id` conflicts with `magic`: a variant is chosen by one of them",
            "`magic` needs at least one byte",
            "`repr` conflicts with variant `magic`: the enum has no discriminant",
        ]
    );
    let errs = errors(quote! {
        struct S { #[codec(skip, magic = b"M", bytes = 2)] a: u16 }
    });
    assert_eq!(
        errs,
        [
            "`bytes` has no effect on a `skip` field, which is not on the wire",
            "`magic` has no effect on a `skip` field, which is not on the wire",
        ]
    );
    let errs = errors(quote! {
        struct S { #[codec(len = u8)] a: String }
    });
    assert!(errs.is_empty());
    let errs = errors(quote! {
        #[codec(repr = u24)]
        enum E { A }
    });
    assert_eq!(
        errs,
        ["`repr` must be one of u8, u16, u32, u64, varint, vlq"]
    );
}

#[test]
fn term_rules() {
    let errs = errors(quote! {
        struct S<'a> {
            #[codec(term)] a: String,
            #[codec(term = 0x0a)] b: &'a str,
            #[codec(term)] c: &'a [u8],
            #[codec(term)] d: Vec<Pair>,
            #[codec(term)] e: Option<String>,
        }
    });
    assert!(errs.is_empty(), "{errs:?}");
    let errs = errors(quote! {
        struct S {
            #[codec(term)] a: u32,
            #[codec(term = 256)] b: String,
            #[codec(term, len = u8)] c: String,
            #[codec(len_from = n, term)] d: String,
            #[codec(term, size = 4)] f: String,
            #[codec(rest, term)] e: Vec<u8>,
        }
    });
    assert_eq!(
        errs,
        [
            "`term` applies to String, &str, &[u8] and Vec<T>, not `u32`: use a string, a byte string or a list",
            "`term` must be a byte from 0 to 255, such as `term = 0x0a`",
            "`len` conflicts with `term`: a terminated value ends at its terminator; remove `len` or `term`",
            "`len_from` names no field `n`",
            "`len_from` conflicts with `term`: a terminated value ends at its terminator; remove `len_from` or `term`",
            "`size` conflicts with `term`: a terminated value ends at its terminator; remove `size` or `term`",
            "`rest` conflicts with `term`: a terminated value ends at its terminator; remove `rest` or `term`",
        ]
    );
}

#[test]
fn size_and_pad_rules() {
    let errs = errors(quote! {
        struct S<'a> {
            #[codec(size = 100)] a: String,
            #[codec(size = 8, pad = 0x20)] b: Vec<u8>,
            #[codec(size = 2, pad = b' ')] c: &'a [u8],
        }
    });
    assert!(errs.is_empty(), "{errs:?}");
    let errs = errors(quote! {
        struct S { #[codec(size = 2, pad = "x")] a: String }
    });
    assert_eq!(
        errs,
        ["expected a byte: an integer such as `0x0a` or a byte literal such as `b' '`"]
    );
    let errs = errors(quote! {
        struct S {
            #[codec(size = 0)] a: String,
            #[codec(size = 4)] b: Vec<u16>,
            #[codec(pad = 0)] c: String,
            #[codec(size = 4, pad = 300)] d: String,
            #[codec(size = 4, len = u8)] e: String,
            #[codec(skip, size = 4)] f: String,
        }
    });
    assert_eq!(
        errs,
        [
            "`size` must be a byte count of at least 1",
            "`size` applies to String, &str, Vec<u8> and &[u8], not `Vec < u16 >`",
            "`pad` needs `size = N` on the same field (it fills the rest of the N bytes)",
            "`pad` must be a byte from 0 to 255, such as `pad = 0x0a`",
            "`len` conflicts with `size`: a fixed-size value is always `size` bytes; remove `len` or `size`",
            "`size` has no effect on a `skip` field, which is not on the wire",
        ]
    );
}

#[test]
fn assert_rules() {
    // A field's `assert` runs right after the field: it may not use later
    // ones (the type's `assert` may).
    let errs = errors(quote! {
        #[codec(assert(a < b, "a below b"))]
        struct S { #[codec(assert(a < b, "a below b"))] a: u8, b: u8 }
    });
    assert_eq!(
        errs,
        [
            "`assert` of `a` may only use it and earlier fields; `b` comes after it \
          (put the `assert` on the type to check all fields)"
        ]
    );
    let errs = errors(quote! {
        struct S { #[codec(assert(a > 0))] a: u8, #[codec(assert(b > 0, "b", "c"))] b: u8 }
    });
    assert_eq!(
        errs,
        [
            "`assert` takes a condition and a message: `assert(expr, \"message\")`",
            "`assert` takes a condition and a message: `assert(expr, \"message\")`",
        ]
    );
    let errs = errors(quote! {
        struct S { #[codec(assert(a > 0, "x"), assert(a < 9, "y"), skip)] a: u8 }
    });
    assert_eq!(
        errs,
        [
            "duplicate `assert` attribute",
            "`assert` has no effect on a `skip` field, which is not on the wire",
        ]
    );
    let errs = errors(quote! {
        #[codec(assert(true, "x"))]
        enum E { A }
    });
    assert_eq!(
        errs,
        ["unknown codec attribute `assert` on an enum (expected one of: endian, crate, repr, header, id, response, magic)"]
    );
}

#[test]
fn conversion_rules() {
    let errs = errors(quote! {
        struct S {
            #[codec(map = (u64, f))] a: T,
            #[codec(map = (u64, f, g), try_map = (u64, f, g))] b: T,
            #[codec(try_map = (u64, f, g), len = u8, when = true)] c: Option<T>,
            #[codec(map = (f32, f, g), varint)] d: T,
            #[codec(map = (u32, f, g), bytes = 3)] e: T,
            #[codec(map = (u8, f, g))] n: T,
            #[codec(len_from = n)] body: Vec<u8>,
        }
    });
    assert_eq!(
        errs,
        [
            "`map` takes a wire type and two functions: `map = (u64, to_wire, from_wire)`",
            "`map` conflicts with `try_map`: a field has one conversion",
            "`len` conflicts with `try_map`: the wire type's own encoding is used; convert to a \
             type that has the length or presence you need",
            "`when` conflicts with `try_map`: the wire type's own encoding is used; convert to a \
             type that has the length or presence you need",
            "`varint` and `vlq` apply to integer fields",
            "`len_from` field `n` must be an integer on the wire",
        ]
    );
}

/// The two sides of issue 12 together: a terminated or fixed-size field
/// may carry an `assert`, but not a conversion (the wire type's own
/// encoding is used).
#[test]
fn term_with_assert_and_conversion() {
    let errs = errors(quote! {
        struct S {
            #[codec(term, assert(!a.is_empty(), "empty"))] a: String,
            #[codec(size = 4, pad = 0x20, assert(b.len() < 4, "long"))] b: Vec<u8>,
        }
    });
    assert!(errs.is_empty(), "{errs:?}");
    let errs = errors(quote! {
        struct S {
            #[codec(term, map = (String, f, g))] a: T,
            #[codec(try_map = (Vec<u8>, f, g), size = 4, pad = 0x20)] b: T,
        }
    });
    assert_eq!(
        errs,
        [
            "`term` conflicts with `map`: the wire type's own encoding is used; convert to a \
             type that has the length or presence you need",
            "`size` conflicts with `try_map`: the wire type's own encoding is used; convert to a \
             type that has the length or presence you need",
            "`pad` conflicts with `try_map`: the wire type's own encoding is used; convert to a \
             type that has the length or presence you need",
        ]
    );
}

/// The compile errors `#[derive(Header)]` emits for `input`.
fn header_errors(input: proc_macro2::TokenStream) -> Vec<String> {
    errors_of(Derive::Header, input)
}

#[test]
fn header_rules() {
    assert!(header_errors(quote! {
        struct H { #[codec(id)] id: u8, flags: u8, #[codec(payload_len, varint, max_bytes = 4)] len: u32 }
    })
    .is_empty());
    // No id is a header without one (cs.packetstream's): only ids 0.
    assert!(header_errors(quote! {
        struct H { #[codec(payload_len, vlq)] len: u64 }
    })
    .is_empty());
    assert_eq!(
        header_errors(quote! { struct H { #[codec(id)] id: u8, len: u16 } }),
        [
            "`#[derive(Header)]` needs a `#[codec(payload_len)]` field: mark the field that holds \
          the payload length (and `#[codec(id)]` the one holding the message id, if any)"
        ]
    );
    assert_eq!(
        header_errors(quote! {
            struct H { #[codec(payload_len)] a: u16, #[codec(payload_len)] b: u16 }
        }),
        ["only one field can be the `payload_len`; `a` already is"]
    );
    assert_eq!(
        header_errors(quote! {
            struct H { #[codec(id)] a: u8, #[codec(id)] b: u8, #[codec(payload_len)] len: u16 }
        }),
        ["only one field can be the `id`; `a` already is"]
    );
    assert_eq!(
        header_errors(quote! {
            struct H { #[codec(id)] id: i8, #[codec(payload_len, len = u8)] len: String }
        }),
        [
            "`id` must be on an unsigned integer field (u8, u16, u32 or u64), not `i8`",
            "`payload_len` must be on an unsigned integer field (u8, u16, u32 or u64), not `String`",
        ]
    );
    assert_eq!(
        header_errors(quote! {
            struct H { #[codec(id, skip)] id: u8, #[codec(payload_len)] len: u16 }
        }),
        ["`skip` conflicts with `id`: the header writes the id into this field and reads it back"]
    );
    assert_eq!(
        header_errors(
            quote! { struct H { #[codec(id = 1)] id: u8, #[codec(payload_len)] len: u16 } }
        ),
        ["`id` on a field takes no value: it marks the field holding the header's message id"]
    );
    assert_eq!(
        header_errors(quote! {
            struct H { #[codec(payload_len, len_adds = 300)] len: u8 }
        }),
        ["`len_adds = 300` is more than the `payload_len` field can hold (255)"]
    );
    assert_eq!(
        header_errors(quote! { enum H { A } }),
        ["`#[derive(Header)]` needs a struct: its fields are the header's, in wire order"]
    );
    assert_eq!(
        header_errors(quote! { struct H<'a> { #[codec(payload_len)] len: u16, x: &'a [u8] } }),
        [
            "`#[derive(Header)]` takes no generics: a header is one fixed layout, named by \
          `#[codec(header = Type)]`"
        ]
    );
}

#[test]
fn max_bytes_rules() {
    assert_eq!(
        errors(quote! { struct S { #[codec(max_bytes = 4)] a: u32 } }),
        ["`max_bytes` caps a `varint` or `vlq` integer: add `varint` or `vlq` to the field"]
    );
    assert_eq!(
        errors(quote! { struct S { #[codec(varint, max_bytes = 6)] a: u32 } }),
        ["`max_bytes` must be from 1 to 5 (the most a base-128 `u32` takes)"]
    );
    assert_eq!(
        errors(quote! { struct S { #[codec(vlq, max_bytes = 0)] a: u64 } }),
        ["`max_bytes` must be from 1 to 10 (the most a base-128 `u64` takes)"]
    );
    assert!(errors(quote! { struct S { #[codec(varint, max_bytes = 10)] a: u64 } }).is_empty());
    // `len_adds` now also counts a header's length.
    assert_eq!(
        errors(quote! { struct S { #[codec(len_adds = 1)] a: u32 } }),
        ["`len_adds` needs `len`, `len_from` or `payload_len` on the same field"]
    );
}
