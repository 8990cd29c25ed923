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
            "unknown codec attribute `bogus` on a field (expected one of: len, len_from, len_adds, null, unit, varint, vlq, bytes, endian, when, rest, skip, tag, magic, term, size, pad, assert, map, try_map, pad_before, pad_after, align, pad_check, calc, checksum, from, wire, value, unchecked, bits, ctx, id, payload_len, max_bytes)",
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
    check_pretty(name, &file);
}

/// `file` pretty-printed, compared with (or written to) `snapshots/<name>`.
fn check_pretty(name: &str, file: &syn::File) {
    let pretty = prettyplease::unparse(file);
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

/// A protocol tied to its header: `write_header`, `decode_framed` and
/// `explain_framed` for the tied variants, the rest as in any protocol.
#[test]
fn snapshot_protocol_tied_to_header() {
    let input = quote! {
        #[codec(header = Fixed)]
        enum Mqtt {
            #[codec(ctx(flags = header.flags), header(flags = msg.qos << 1))]
            Publish(Publish),
            #[codec(header(flags = 0))]
            PubAck(PubAck),
            PingReq(PingReq),
        }
    };
    check_snapshot("mqtt.protocol.rs", Derive::Protocol, input);
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
            "`pad` needs `size`, `pad_before`, `pad_after` or `align` on the same field (it is the byte their padding is made of)",
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
        ["unknown codec attribute `assert` on an enum (expected one of: endian, crate, repr, header, id, response, magic, service, bit_order, ctx, id_from, correlate)"]
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

/// `#[codec(correlate = Rules)]`: a protocol's key, given once, naming a
/// type; it overrides `correlation` and `FIRST_TAG` from `Rules`.
#[test]
fn correlate_rules() {
    let protocol = |input| errors_of(Derive::Protocol, input);
    assert!(protocol(quote! {
        #[codec(correlate = Rules)]
        enum Chat { Ask(Ask), Answer(Answer) }
    })
    .is_empty());
    assert_eq!(
        protocol(quote! {
            #[codec(correlate = Rules, correlate = Other)]
            enum Chat { Ask(Ask) }
        }),
        ["duplicate `correlate` attribute"]
    );
    assert_eq!(
        errors(quote! {
            #[codec(repr = u8, correlate = Rules)]
            enum Kind { #[codec(id = 1)] A }
        }),
        ["`correlate` declares a protocol's requests and responses: it needs `#[derive(Protocol)]`"]
    );
    assert_eq!(
        errors(quote! {
            #[codec(correlate = Rules)]
            struct S { a: u8 }
        }),
        ["unknown codec attribute `correlate` on a struct (expected one of: endian, crate, id, response, magic, assert, size, pad, pad_check, bit_order, ctx)"]
    );
    let input: syn::DeriveInput = syn::parse2(quote! {
        #[codec(correlate = crate::Rules)]
        enum Chat { Ask(Ask) }
    })
    .unwrap();
    let out = derive(&input, Derive::Protocol)
        .to_string()
        .replace(' ', "");
    for want in [
        "constFIRST_TAG:_codec::__private::u64=<crate::Rulesas_codec::Correlate<Self>>::FIRST_TAG;",
        "fncorrelation(&self)->_codec::Correlation{<crate::Rulesas_codec::Correlate<Self>>::correlation(self)}",
    ] {
        assert!(out.contains(want), "{want} not in {out}");
    }
}

/// `#[codec(service = Name)]` and `#[codec(request)]`: the service trait's
/// rules, one error per misuse.
#[test]
fn service_rules() {
    let protocol = |input| errors_of(Derive::Protocol, input);
    assert!(protocol(quote! {
        #[codec(service = KvService)]
        enum Kv { #[codec(request)] Get(Get), Value(Value), #[codec(other)] Unknown(RawFrame) }
    })
    .is_empty());
    assert_eq!(
        protocol(quote! {
            enum Kv { #[codec(request)] Get(Get), Value(Value) }
        }),
        ["`request` marks a method of the service trait: add `#[codec(service = Name)]` to the enum"]
    );
    assert_eq!(
        protocol(quote! {
            #[codec(service = KvService)]
            enum Kv { Get(Get), #[codec(other, request)] Unknown(RawFrame) }
        }),
        ["an `other` variant holds frames no message claims: it cannot be a `request`"]
    );
    assert_eq!(
        protocol(quote! {
            #[codec(service = KvService)]
            enum Kv<'a> { #[codec(request)] Get(Get<'a>) }
        }),
        ["`service` needs a protocol without generic parameters: the trait names each variant's message type"]
    );
    assert_eq!(
        protocol(quote! {
            #[codec(service = KvService, service = Other)]
            enum Kv { Replied(Done), PutBegin(A), Put_Begin(B) }
        }),
        [
            "duplicate `service` attribute",
            "variant `Replied` would name its method `replied`, which every service trait (`KvService`) already has: rename the variant",
            "variants `PutBegin` and `Put_Begin` would both name the service method `put_begin`: rename one",
        ]
    );
    assert_eq!(
        protocol(quote! {
            #[codec(service = KvService)]
            enum Kv { Crate(Get) }
        }),
        ["variant `Crate` cannot name a service method: rename it"]
    );
    assert_eq!(
        protocol(quote! {
            enum Kv { #[codec(request, request)] Get(Get) }
        }),
        [
            "duplicate `request` attribute",
            "`request` marks a method of the service trait: add `#[codec(service = Name)]` to the enum",
        ]
    );
    // On the other derives the keys would do nothing: refused.
    assert_eq!(
        errors(quote! {
            #[codec(service = S)]
            enum E { #[codec(request)] A }
        }),
        [
            "`service` generates a protocol's service trait: it needs `#[derive(Protocol)]`",
            "`request` marks a variant of a `#[derive(Protocol)]` enum",
        ]
    );
    assert_eq!(
        errors(quote! {
            #[codec(service = S)]
            struct S { a: u8 }
        }),
        ["unknown codec attribute `service` on a struct (expected one of: endian, crate, id, response, magic, assert, size, pad, pad_check, bit_order, ctx)"]
    );
}

/// Service methods are the variants in snake case; keywords become raw.
#[test]
fn service_method_names() {
    let input: syn::DeriveInput = syn::parse2(quote! {
        #[codec(service = S)]
        enum P {
            #[codec(request)] PutBegin(A), HTTPRequest(B), Type(C), Get2Chunk(D), Ping(E),
        }
    })
    .unwrap();
    let out = derive(&input, Derive::Protocol).to_string();
    for method in [
        "fn put_begin (",
        "fn http_request (",
        "fn r#type (",
        "fn get2_chunk (",
        "fn ping (",
    ] {
        assert!(out.contains(method), "{method} missing from {out}");
    }
    // The request's method is required: no body after its signature.
    assert!(out.contains("fn put_begin (& self , request : A , ctx : & __Ctx ,) -> impl :: codec :: __private :: Future < Output = < A as :: codec :: Request > :: Response > + :: codec :: __private :: Send ;"), "{out}");
}

/// What `service` adds to a protocol's expansion (the rest is
/// `storage.protocol.rs`): the service trait beside the enum (full runtime
/// paths, as users name it), then `Dispatch`, `VariantOf` and the
/// `request` mark checks.
#[test]
fn snapshot_protocol_service() {
    let input: syn::DeriveInput = syn::parse2(quote! {
        #[codec(service = StorageService)]
        enum Storage {
            #[codec(request)]
            StoreRequest(StoreRequest),
            StoreResponse(StoreResponse),
            #[codec(other)]
            Unknown(codec::RawFrame),
        }
    })
    .unwrap();
    let cx = crate::ctxt::Ctxt::new();
    let parsed = crate::ast::Input::from_syn(&cx, &input).unwrap();
    let model = crate::valid::check(&cx, &parsed, Derive::Protocol);
    cx.check().unwrap();
    let Some(crate::model::Validated::Protocol(protocol)) = model else {
        panic!("a protocol")
    };
    let (service, impls) = crate::expand::service::expand(&protocol).unwrap();
    let file: syn::File = syn::parse2(quote!(#service const _: () = { #impls };)).unwrap();
    check_pretty("storage.service.rs", &file);
}

// Padding, alignment, fixed-size types, computed and wire-only fields.

#[test]
fn padding_rules() {
    let errs = errors(quote! {
        #[codec(size = 8, pad = 0x20, pad_check)]
        struct S {
            #[codec(pad_before = 1, pad_after = 2, pad = 0xff, pad_check)] a: u8,
            #[codec(align = 4)] b: u16,
            #[codec(term, pad_after = 1, pad = b' ')] c: String,
        }
    });
    assert!(errs.is_empty(), "{errs:?}");
    let errs = errors(quote! {
        struct S {
            #[codec(pad_before = 0)] a: u8,
            #[codec(align = 3)] b: u8,
            #[codec(align = 1)] c: u8,
            #[codec(pad_check)] d: u8,
            #[codec(pad = 0)] e: u8,
            #[codec(skip, align = 4)] f: u8,
        }
    });
    assert_eq!(
        errs,
        [
            "`pad_before` must be a byte count of at least 1",
            "`align` must be a power of two of at least 2, such as `align = 4`",
            "`align` must be a power of two of at least 2, such as `align = 4`",
            "`pad_check` needs `pad_before`, `pad_after` or `align` on the same field (it checks their padding)",
            "`pad` needs `size`, `pad_before`, `pad_after` or `align` on the same field (it is the byte their padding is made of)",
            "`align` has no effect on a `skip` field, which is not on the wire",
        ]
    );
    let errs = errors(quote! {
        enum E { A { #[codec(align = 4)] a: u8 } }
    });
    assert_eq!(
        errs,
        ["`align` is supported on struct fields, not in enum variants: use `pad_before` with the padding the variant needs"]
    );
}

#[test]
fn type_size_rules() {
    let errs = errors(quote! {
        #[codec(magic = b"AB", size = 6)]
        struct S { a: u32, #[codec(pad_after = 1)] b: u8 }
    });
    assert_eq!(
        errs,
        ["`size = 6` is smaller than the 8 bytes the fields always take: raise `size` to at least 8"]
    );
    let errs = errors(quote! {
        #[codec(pad = 1, pad_check)]
        struct S { a: u8 }
    });
    assert_eq!(
        errs,
        [
            "`pad` on a type needs `size = N` on the type (the padding it fills)",
            "`pad_check` on a type needs `size = N` on the type (the padding it fills)",
        ]
    );
    let errs = errors(quote! {
        #[codec(size = 0)]
        struct S { a: u8 }
    });
    assert_eq!(errs, ["`size` must be a byte count of at least 1"]);
    let errs = errors(quote! {
        #[codec(size = 16)]
        struct S { a: u8, #[codec(rest)] b: Vec<u8> }
    });
    assert_eq!(
        errs,
        ["`rest` conflicts with the type's `size`: it would take the padding; give the field a length"]
    );
    let errs = errors(quote! {
        #[codec(size = 4)]
        enum E { A }
    });
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].starts_with("unknown codec attribute `size` on an enum"),
        "{errs:?}"
    );
}

#[test]
fn calc_rules() {
    let errs = errors(quote! {
        struct S {
            #[codec(calc = u8::from(b.is_some()))] a: u8,
            #[codec(when = a & 1 != 0)] b: Option<u16>,
        }
    });
    assert!(errs.is_empty(), "{errs:?}");
    let errs = errors(quote! {
        struct S {
            #[codec(calc = 1, skip)] a: u8,
            #[codec(calc = 2, when = true)] b: Option<u8>,
            #[codec(calc = a)] c: u8,
            #[codec(calc = 3)] n: u8,
            #[codec(len_from = n)] d: Vec<u8>,
        }
    });
    assert_eq!(
        errs,
        [
            "`calc` conflicts with `skip`: a `skip` field is not written; remove `skip` to write the computed value, or `calc`",
            "`when` conflicts with `calc`: remove one of them",
            "`calc` of `c` cannot use `calc` field `a`: compute from stored fields",
            "`calc` conflicts with `len_from`: `n` already holds a length the derive computes",
        ]
    );
}

#[test]
fn checksum_rules() {
    let errs = errors(quote! {
        struct S { a: u8, b: u16, #[codec(checksum = crc::sum, from = a)] c: u32 }
    });
    assert!(errs.is_empty(), "{errs:?}");
    let errs = errors(quote! {
        struct S {
            a: u8,
            #[codec(checksum = f)] b: u32,
            #[codec(checksum = f, from = d)] c: u32,
            #[codec(checksum = f, from = x)] d: u32,
            #[codec(checksum = f, from = a)] e: i32,
            #[codec(from = a)] g: u32,
            #[codec(checksum = f, from = a, calc = 1)] h: u32,
            #[codec(checksum = f, from = a, varint)] i: u32,
        }
    });
    assert_eq!(
        errs,
        [
            "`checksum` needs `from = field`: the earlier field where the bytes it covers start",
            "`from` must name an earlier field; `d` does not come before `c`",
            "`from` names no field `x`",
            "`checksum` needs an unsigned integer field up to u64, not `i32`",
            "`from` needs `checksum = f` on the same field (it says where the checksum starts)",
            "`calc` conflicts with `checksum`: remove one of them",
            "`varint`/`vlq` conflicts with `checksum`: a checksum has a fixed width; use `bytes = N` or the integer's own width",
        ]
    );
}

#[test]
fn wire_only_rules() {
    let errs = errors(quote! {
        struct S {
            #[codec(wire = u8, value = 1)] a: (),
            #[codec(wire = u32, bytes = 3, value = 0, unchecked)] b: PhantomData<u8>,
        }
    });
    assert!(errs.is_empty(), "{errs:?}");
    let errs = errors(quote! {
        struct S {
            #[codec(wire = u8)] a: (),
            #[codec(wire = u8, value = 1)] b: u8,
            #[codec(wire = String, value = 1)] c: (),
            #[codec(value = 1)] d: u8,
            #[codec(unchecked)] e: u8,
            #[codec(wire = u8, value = 1, len = u8)] f: (),
        }
    });
    assert_eq!(
        errs,
        [
            "`wire` needs `value = ..`: what encode writes and decode checks",
            "a wire-only field holds nothing: give it type `()` (or `PhantomData`), not `u8`",
            "`wire` must be an integer type up to 64 bits, not `String`",
            "`value` needs `wire = T` on the same field (a wire-only field)",
            "`unchecked` needs `wire = T` on the same field (a wire-only field)",
            "`len` needs a type with a length (String, Vec<T>, &str, &[u8], ...), not `u8`",
            "`len` conflicts with `wire`: remove one of them",
        ]
    );
}

/// Bit fields (issue 12 item 1): the runs they form, the types that can
/// be a few bits, and the keys that make no sense with `bits`.
#[test]
fn bits_are_valid_in_whole_byte_runs() {
    let errs = errors(quote! {
        #[codec(bit_order = "lsb")]
        struct S {
            #[codec(bits = 4)] kind: Kind,
            #[codec(bits = 1)] dup: bool,
            #[codec(bits = 2)] qos: u8,
            #[codec(bits = 1)] retain: bool,
            id: u16,
            #[codec(bits = 40)] a: u64,
            #[codec(bits = 24, tag)] b: u32,
            #[codec(when = qos > 0)] c: Option<u16>,
        }
    });
    assert!(errs.is_empty(), "{errs:?}");
}

#[test]
fn bit_runs_must_fill_whole_bytes() {
    let errs = errors(quote! {
        struct S {
            #[codec(bits = 4)] kind: u8,
            #[codec(bits = 1)] dup: bool,
            id: u16,
            #[codec(bits = 7)] lone: u8,
        }
    });
    assert_eq!(
        errs,
        [
            "`kind` (4 bits) + `dup` (1 bit) = 5 bits: a run of bit fields must fill whole \
             bytes; add 3 bits, e.g. a `#[codec(bits = 3)] reserved: u8`",
            "`lone` (7 bits) is 7 bits: a run of bit fields must fill whole bytes; add 1 bit, \
             e.g. a `#[codec(bits = 1)] reserved: u8`",
        ]
    );
    let errs = errors(quote! {
        enum E {
            A { #[codec(bits = 64)] a: u64, #[codec(bits = 8)] b: u8 },
        }
    });
    assert_eq!(
        errs,
        [
            "`a` (64 bits) + `b` (8 bits) = 72 bits: a run of bit fields may be at most 64 bits; \
          put a field of whole bytes between two runs"
        ]
    );
}

#[test]
fn bits_take_unsigned_integers_bools_and_enums() {
    let errs = errors(quote! {
        struct S {
            #[codec(bits = 9)] a: u8,
            #[codec(bits = 2)] b: bool,
            #[codec(bits = 8)] c: i8,
            #[codec(bits = 8)] d: String,
            #[codec(bits = 8)] e: f32,
            #[codec(bits = 8)] f: Option<u8>,
            #[codec(bits = 0)] g: u8,
            #[codec(bits = 65)] h: u64,
            #[codec(bits = 8)] i: [u8; 1],
        }
    });
    let not = |t: &str| {
        format!(
            "`bits` applies to u8, u16, u32, u64, bool and fieldless enums, not `{t}`; drop \
             `bits` to write it in whole bytes"
        )
    };
    assert_eq!(
        errs,
        [
            "`bits = 9` is wider than `u8` (8 bits): use a wider integer type".to_string(),
            "`bits = 2` on a `bool`: a bool is `bits = 1`".to_string(),
            not("i8"),
            not("String"),
            not("f32"),
            not("Option<u8>"),
            "`bits` must be from 1 to 64".to_string(),
            "`bits` must be from 1 to 64".to_string(),
            not("[u8;1]"),
        ]
    );
}

#[test]
fn bits_conflict_with_byte_keys() {
    let errs = errors(quote! {
        struct S {
            #[codec(bits = 8, varint)] a: u8,
            #[codec(bits = 8, endian = "little", bytes = 1)] b: u8,
            #[codec(bits = 8, map = (u8, f, g))] c: T,
            #[codec(bits = 8, skip)] d: u8,
        }
    });
    let conflict = |k: &str| {
        format!(
            "`{k}` conflicts with `bits`: a bit field takes its place in its run (put `{k}` on \
             a field of whole bytes, or drop `bits`)"
        )
    };
    assert_eq!(
        errs,
        [
            conflict("varint`/`vlq"),
            conflict("bytes"),
            conflict("endian"),
            conflict("map`/`try_map"),
            conflict("skip"),
        ]
    );
    let errs = errors(quote! {
        enum E {
            #[codec(other)]
            Other(#[codec(bits = 8)] u8),
        }
    });
    assert_eq!(
        errs,
        [
            "the first field of an `other` variant holds the discriminant as is: it cannot be a \
          bit field"
        ]
    );
    let errs = errors(quote! {
        #[codec(bit_order = "middle")]
        struct S { a: u8 }
    });
    assert_eq!(errs, ["`bit_order` must be \"msb\" or \"lsb\""]);
}

/// A fieldless enum gets `EncodeBits` and `DecodeBits` from its derives;
/// an enum with data or chosen by magic does not.
#[test]
fn fieldless_enums_get_bits_impls() {
    let enc = |input: proc_macro2::TokenStream| {
        let input: syn::DeriveInput = syn::parse2(input).unwrap();
        derive(&input, Derive::Encode).to_string()
    };
    let dec = |input: proc_macro2::TokenStream| {
        let input: syn::DeriveInput = syn::parse2(input).unwrap();
        derive(&input, Derive::Decode).to_string()
    };
    let fieldless = quote!(
        enum K {
            A = 1,
            B = 7,
        }
    );
    assert!(enc(fieldless.clone()).contains("EncodeBits for K"));
    assert!(dec(fieldless).contains("DecodeBits for K"));
    let data = quote!(
        enum K {
            A(u8),
            B,
        }
    );
    assert!(!enc(data.clone()).contains("EncodeBits"));
    assert!(!dec(data).contains("DecodeBits"));
}

#[test]
fn ctx_declaration_rules() {
    let errs = errors(quote! {
        #[codec(ctx(qos: u8, qos: u16, flags: u8))]
        struct S { flags: u8 }
    });
    assert_eq!(
        errs,
        [
            "`ctx` declares `qos` twice",
            "`ctx` parameter `flags` has the name of a field: rename one of them",
        ]
    );
    let errs = errors(quote! {
        #[codec(ctx())]
        struct S { a: u8 }
    });
    assert_eq!(
        errs,
        ["`ctx` on a type declares its context: `ctx(name: Type, ..)`"]
    );
    let errs = errors(quote! {
        #[codec(ctx(qos = 1))]
        struct S { a: u8 }
    });
    assert_eq!(
        errs,
        ["`ctx` on a type declares its context: `ctx(name: Type, ..)`"]
    );
}

#[test]
fn ctx_passing_rules() {
    let errs = errors(quote! {
        struct S {
            #[codec(ctx(qos = later, qos = 2))] a: Inner,
            later: u8,
            #[codec(ctx(qos = 1), len = u8)] b: Inner,
            #[codec(ctx(qos: u8))] c: Inner,
        }
    });
    assert_eq!(
        errs,
        [
            "`ctx` on a field passes its type's context: `ctx(name = expr, ..)`",
            "`ctx` of `a` may only use earlier fields; `later` is not decoded yet",
            "`ctx` passes `qos` twice",
            "`len` conflicts with `ctx`: a field with a context is its type's own encoding; put the layout keys on that type's fields",
        ]
    );
}

#[test]
fn len_from_may_name_a_ctx_value() {
    assert!(errors(quote! {
        #[codec(ctx(n: u16))]
        struct S { #[codec(len_from = n, unit = bytes)] data: Vec<u8> }
    })
    .is_empty());
    assert_eq!(
        errors(quote! {
            struct S { #[codec(len_from = n)] data: Vec<u8> }
        }),
        ["`len_from` names no field `n`"]
    );
}

#[test]
fn id_from_rules() {
    let errs = errors(quote! {
        #[codec(ctx(kind: u8), id_from = rtype)]
        enum E { #[codec(id = 1)] A(u8) }
    });
    assert_eq!(
        errs,
        ["`id_from = rtype` names no `ctx` parameter: declare it on the enum, `#[codec(ctx(rtype: u16), id_from = rtype)]`"]
    );
    let errs = errors(quote! {
        #[codec(ctx(kind: u8), id_from = kind, repr = u16)]
        enum E { #[codec(id = 1)] A(u8), #[codec(id = 300)] B }
    });
    assert_eq!(
        errs,
        [
            "`repr` conflicts with `id_from`: the enum has no discriminant on the wire",
            "`id` 300 of `B` does not fit the `u8` discriminant",
        ]
    );
    let errs = errors(quote! {
        #[codec(ctx(kind: u8), id_from = kind)]
        enum E { #[codec(magic = b"x")] A(u8), #[codec(magic = b"y")] B }
    });
    assert_eq!(
        errs[0],
        "`magic` conflicts with `id_from`: a variant is chosen by one of them"
    );
    let errs = errors(quote! {
        struct S { #[codec(id_from = kind)] a: u8 }
    });
    assert!(
        errs[0].starts_with("unknown codec attribute `id_from` on a field"),
        "{errs:?}"
    );
}

#[test]
fn id_pattern_rules() {
    // A pattern variant on a leading discriminant holds the id read.
    let errs = errors(quote! {
        enum E { #[codec(id = 1 | 3)] A, #[codec(id = 4..=5)] B { #[codec(skip)] x: u8 } }
    });
    assert_eq!(
        errs,
        [
            "variant `A` has an `id` pattern, so it needs a first field to hold the discriminant it was read with (as an `other` variant does)",
            "the first field of a variant with an `id` pattern holds the discriminant as is",
        ]
    );
    // Chosen by a context value, it needs none.
    assert!(errors(quote! {
        #[codec(ctx(kind: u8), id_from = kind)]
        enum E { #[codec(id = 1 | 3)] A, #[codec(id = 4..=5)] B }
    })
    .is_empty());
    let errs = errors(quote! {
        enum E {
            #[codec(id = 1)] A,
            #[codec(id = 0..=2)] B(u8),
            #[codec(id = 2 | 9)] C(u8),
            #[codec(id = x)] D(u8),
            #[codec(id = 0x100..=0x1ff)] F(u8),
        }
    });
    assert_eq!(
        errs,
        [
            "an `id` pattern is integers and ranges joined by `|`, such as `id = 1 | 3` or `id = 0x80..=0xff`",
            "`id` of `F` does not fit the `u8` discriminant",
            "the ids of `A` and `B` overlap (both take 1): make the patterns disjoint",
            "the ids of `B` and `C` overlap (both take 2): make the patterns disjoint",
        ]
    );
    let errs = errors(quote! {
        enum E { #[codec(id = 1, id = 2..=3)] A(u8) }
    });
    assert_eq!(errs, ["duplicate `id` attribute"]);
    let errs = errors(quote! {
        enum E { #[codec(id = 1)] A, #[codec(other, id = 2..=3)] B(u8) }
    });
    assert_eq!(
        errs,
        ["an `other` variant has no `id`: it takes every unknown one"]
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

/// A message id or a variant id may be a byte literal: its integer.
#[test]
fn byte_literal_ids() {
    let message = |input| errors_of(Derive::Message, input);
    assert!(message(quote! {
        #[codec(id = b'Q')]
        struct Query { #[codec(term)] query: String }
    })
    .is_empty());
    let input: syn::DeriveInput = syn::parse2(quote! {
        #[codec(id = b'Q')]
        struct Query { #[codec(term)] query: String }
    })
    .unwrap();
    let out = derive(&input, Derive::Message).to_string();
    assert!(
        out.contains("const ID : _codec :: __private :: u64 = 81"),
        "{out}"
    );
    let decode = |input| errors_of(Derive::Decode, input);
    assert!(decode(quote! {
        enum Kind { #[codec(id = b'a')] A, #[codec(id = b'b')] B }
    })
    .is_empty());
}

#[test]
fn header_ctx_keys_belong_to_protocol_variants() {
    // On another derive's variant they would be ignored.
    let errs = errors(quote! {
        enum E {
            #[codec(id = 1, ctx(qos = header.flags))] A(u8),
            #[codec(id = 2, header(flags = 0))] B(u8),
        }
    });
    assert_eq!(
        errs,
        [
            "`ctx` on a variant ties a `#[derive(Protocol)]` enum's frame header to the variant's message; declare an enum's context on the enum, `#[codec(ctx(name: Type))]`",
            "`header` on a variant ties a `#[derive(Protocol)]` enum's frame header to the variant's message; declare an enum's context on the enum, `#[codec(ctx(name: Type))]`",
        ]
    );
    // An `other` variant has no message to tie.
    let errs = errors_of(
        Derive::Protocol,
        quote! {
            #[codec(header = Fixed)]
            enum P {
                A(A),
                #[codec(other, ctx(qos = 1), header(flags = 0))] Unknown(codec::RawFrame),
            }
        },
    );
    assert_eq!(
        errs,
        [
            "an `other` variant holds raw frames, with no message to tie to the header: remove `ctx`",
            "an `other` variant holds raw frames, with no message to tie to the header: remove `header`",
        ]
    );
}

#[test]
fn header_ctx_syntax() {
    let errs = errors_of(
        Derive::Protocol,
        quote! {
            enum P {
                #[codec(ctx(qos))] A(A),
                #[codec(header(flags: u8))] B(B),
                #[codec(ctx(a = 1), ctx(b = 2))] C(C),
            }
        },
    );
    assert_eq!(
        errs,
        [
            "`ctx` on a protocol variant builds its message's context from the frame header: `ctx(name = expr, ..)`, reading the header as `header`",
            "`header` on a protocol variant sets frame header fields from the message: `header(field = expr, ..)`, reading the message as `msg`",
            "duplicate `ctx` attribute",
        ]
    );
    // Valid: both keys on a message variant, and `skip = expr` on a field.
    assert!(errors_of(
        Derive::Protocol,
        quote! {
            #[codec(header = Fixed)]
            enum P {
                #[codec(ctx(flags = header.flags), header(flags = msg.qos << 1))] A(A),
                #[codec(header(flags = 0))] B(B),
            }
        },
    )
    .is_empty());
    assert!(errors(quote! {
        #[codec(ctx(flags: u8))]
        struct S { #[codec(skip = flags >> 1 & 3)] qos: u8, a: u8 }
    })
    .is_empty());
    assert_eq!(
        errors(quote! {
            struct S { #[codec(skip = 1, len = u8)] a: String }
        }),
        ["`len` has no effect on a `skip` field, which is not on the wire"]
    );
}
