//! Every runtime path the generated code names, in one place.
//!
//! Generated items live in `const _: () = { use <runtime> as _codec; .. };`
//! ([`in_runtime_scope`]) and name the runtime only as `_codec`: through
//! the crate root's public re-exports (`_codec::Encode`, `_codec::Reader`,
//! ...) or through `_codec::__private`, which re-exports everything else
//! generated code needs (std items, helpers, items of inner modules), so the
//! runtime can move its modules without touching the derive. Nothing here
//! names the crate bare (`codec::..`) or relies on the user's prelude.

use proc_macro2::{Ident, Punct, Spacing, Span, TokenStream};
use quote::{quote, ToTokens, TokenStreamExt};

use crate::attr::{Endian, LenKind, Unit};
use crate::model::Prefix;

/// A path below the runtime alias: `_codec::seg::..`.
#[derive(Clone, Copy)]
pub struct RtPath(&'static [&'static str]);

impl RtPath {
    /// The path with every token at `span`, for `quote_spanned!` sites (so
    /// a compile error about it points where the site does).
    pub fn at(self, span: Span) -> TokenStream {
        let mut out = TokenStream::new();
        out.append(Ident::new(RUNTIME, span));
        for seg in self.0 {
            let mut colon = Punct::new(':', Spacing::Joint);
            colon.set_span(span);
            out.append(colon);
            let mut colon = Punct::new(':', Spacing::Alone);
            colon.set_span(span);
            out.append(colon);
            out.append(Ident::new(seg, span));
        }
        out
    }
}

impl RtPath {
    /// The path below `root` (the runtime's path, see [`runtime_root`]),
    /// for items emitted outside [`in_runtime_scope`]: a generated trait
    /// that users name and implement.
    pub fn under(self, root: &TokenStream) -> TokenStream {
        let segs = self.0.iter().map(|s| Ident::new(s, Span::call_site()));
        quote!(#root #(:: #segs)*)
    }
}

/// The runtime's own path: `#[codec(crate = "..")]`, else `::codec`.
pub fn runtime_root(crate_path: Option<&syn::Path>) -> TokenStream {
    match crate_path {
        Some(path) => quote!(#path),
        None => quote!(::codec),
    }
}

impl ToTokens for RtPath {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(self.at(Span::call_site()));
    }
}

/// The alias generated code knows the runtime by.
const RUNTIME: &str = "_codec";

/// Wraps generated items so they name the runtime as `_codec`, wherever
/// `#[codec(crate = "..")]` says it is (`::codec` by default), and leak
/// nothing into the user's namespace.
pub fn in_runtime_scope(crate_path: Option<&syn::Path>, items: TokenStream) -> TokenStream {
    let runtime = Ident::new(RUNTIME, Span::call_site());
    let use_crate = match crate_path {
        Some(path) => quote!(use #path as #runtime;),
        None => quote!(use ::codec as #runtime;),
    };
    quote! {
        const _: () = {
            #use_crate
            #items
        };
    }
}

macro_rules! paths {
    ($($(#[$doc:meta])* $name:ident = $($seg:ident)::+;)*) => {$(
        $(#[$doc])*
        pub const $name: RtPath = RtPath(&[$(stringify!($seg)),+]);
    )*};
}

paths! {
    // The crate root's public items.
    DECODE = Decode;
    DECODE_ERROR = DecodeError;
    DECODE_PROTOCOL = DecodeProtocol;
    DISPATCH = Dispatch;
    ENCODE = Encode;
    ENCODE_WITH = EncodeWith;
    DECODE_WITH = DecodeWith;
    ENCODE_ERROR = EncodeError;
    ENCODE_ERROR_KIND = EncodeErrorKind;
    ENCODE_SEQ = EncodeSeq;
    SINK = Sink;
    ENDIAN = Endian;
    EXPLAINER = Explainer;
    EXPLAIN_EACH = __private::explain_each;
    FIELD_LAYOUT = FieldLayout;
    HEADER = Header;
    MESSAGE = Message;
    PROTOCOL = Protocol;
    CORRELATE = Correlate;
    CORRELATION = Correlation;
    RAW_FRAME = RawFrame;
    READER = Reader;
    REQUEST = Request;
    STD_HEADER = StdHeader;

    // The wire metadata behind `Encode::SHAPE` and `Protocol::MESSAGES`.
    SHAPE = __private::Shape;
    FIELD_SHAPE = __private::FieldShape;
    VARIANT_SHAPE = __private::VariantShape;
    FIELD_WIRE = __private::FieldWire;
    FIELD_PRESENCE = __private::FieldPresence;
    LEN_WIRE = __private::LenWire;
    MESSAGE_SHAPE = __private::MessageShape;

    // std, so nothing relies on the user's prelude.
    CLONE = __private::Clone;
    COPY = __private::Copy;
    DEFAULT = __private::Default;
    ERR = __private::Err;
    FROM = __private::From;
    FUTURE = __private::Future;
    NONE = __private::None;
    OK = __private::Ok;
    OPTION = __private::Option;
    PANIC = __private::panic;
    READY = __private::ready;
    RESULT = __private::Result;
    SEND = __private::Send;
    SIZED = __private::Sized;
    SOME = __private::Some;
    SYNC = __private::Sync;
    TRY_FROM = __private::TryFrom;
    UNREACHABLE = __private::unreachable;
    VEC = __private::Vec;

    // Primitive types, so a user's type named `u8` changes nothing.
    BOOL = __private::bool;
    STR = __private::str;
    U8 = __private::u8;
    U16 = __private::u16;
    U32 = __private::u32;
    U64 = __private::u64;
    USIZE = __private::usize;

    // Helpers for generated code.
    VARIANT_OF = __private::VariantOf;
    ASSERT_FAILED = __private::assert_failed;
    ASSERT_FAILED_ENCODE = __private::assert_failed_encode;
    TRY_FROM_WIRE = __private::try_from_wire;
    TRY_TO_WIRE = __private::try_to_wire;
    BASE128_LEN = __private::base128_len;
    DECODE_CTX = __private::decode_ctx;
    DECODE_FRAME = __private::decode_frame;
    ENCODE_CTX = __private::encode_ctx;
    ENCODE_FRAME = __private::encode_frame;
    FIXED = __private::Fixed;
    FRAME_LEN = __private::frame_len;
    GET_LEN = __private::get_len;
    ID_FITS = __private::id_fits;
    INVALID_DISCRIMINANT = __private::invalid_discriminant;
    LEN_FIELD = __private::len_field;
    LEN_FIELD_ADDS = __private::len_field_adds;
    LEN_SPEC = __private::LenSpec;
    LEN_VALUE_ADDS = __private::len_value_adds;
    MATCH_MAGIC = __private::match_magic;
    READ_INT_N = __private::read_int_n;
    READ_MAGIC = __private::read_magic;
    READ_PADDED = __private::read_padded;
    READ_TERM = __private::read_term;
    TERM_ENCODE = __private::TermEncode;
    WRITE_PADDED = __private::write_padded;
    PADDED = __private::Padded;
    READ_NULLABLE_LEN = __private::read_nullable_len;
    WRITE_INT_N = __private::write_int_n;
    LEN_PREFIX = __private::LenPrefix;
    LEN_VALUE = __private::len_value;
    NO_TRACE = __private::NoTrace;
    READ_BASE128 = __private::read_base128;
    READ_LEN = __private::read_len;
    READ_LEN_SPEC = __private::read_len_spec;
    READ_PRESENCE = __private::read_presence;
    SAME_ID = __private::same_id;
    TAG_INT = __private::TagInt;
    TAG_LIMIT = __private::tag_limit;
    TAKE_RUN = __private::take_run;
    TRACE = __private::Trace;
    UNIT = __private::Unit;
    UNKNOWN_ID = __private::unknown_id;
    WHEN_MISMATCH = __private::when_mismatch;
    WRITE_BASE128 = __private::write_base128;

    // Padding, fixed-size types, checksums and wire-only values.
    ALIGN_PAD = __private::align_pad;
    CHECK_SUM = __private::check_sum;
    CHECK_VALUE = __private::check_value;
    MARK = __private::mark;
    READ_PAD = __private::read_pad;
    READ_TO_SIZE = __private::read_to_size;
    WRITE_PAD = __private::write_pad;
    WRITE_TO_SIZE = __private::write_to_size;
    // Bit fields (`bits = N`).
    ENCODE_BITS = EncodeBits;
    DECODE_BITS = DecodeBits;
    BITS_TOO_WIDE = __private::bits_too_wide;
    BITS_VALUE = __private::bits_value;
    GET_BITS = __private::get_bits;
    PUT_BITS = __private::put_bits;
    RUN_SLOT = __private::run_slot;
    READ_BITS = __private::read_bits;
    WRITE_BITS = __private::write_bits;
    // `#[derive(Header)]` and `max_bytes`.
    I128 = __private::i128;
    EXPLAIN_HEADER = __private::explain_header;
    FRAME_HEAD = __private::FrameHead;
    HEADER_BAD_ID = __private::header_bad_id;
    HEADER_INCOMPLETE = __private::header_incomplete;
    HEADER_TOO_LARGE = __private::header_too_large;
    HEADER_VALUE = __private::HeaderValue;
    // A protocol variant tied to its frame header (`ctx`/`header`).
    HEADER_DISAGREES = __private::header_disagrees;
    NEEDS_HEADER = __private::needs_header;
    // A protocol enum's `from_bytes`: the whole input is one frame.
    DECODE_FRAME_EXACT = __private::decode_frame_exact;
    DECODE_PAYLOAD_EXACT = __private::decode_payload_exact;
    DECODE_VARIANT_EXACT = __private::decode_variant_exact;
    LEN_AT_LEAST = __private::len_at_least;
    PARSED = __private::Parsed;
    READ_BASE128_MAX = __private::read_base128_max;
    WRITE_BASE128_MAX = __private::write_base128_max;
}

/// `_codec::Endian::Big` or `::Little`.
pub fn endian(e: Endian) -> TokenStream {
    match e {
        Endian::Big => quote!(#ENDIAN::Big),
        Endian::Little => quote!(#ENDIAN::Little),
    }
}

/// `_codec::__private::LenPrefix::U8` etc.
pub fn len_prefix(k: LenKind) -> TokenStream {
    match k {
        LenKind::U8 => quote!(#LEN_PREFIX::U8),
        LenKind::U16 => quote!(#LEN_PREFIX::U16),
        LenKind::U32 => quote!(#LEN_PREFIX::U32),
        LenKind::U64 => quote!(#LEN_PREFIX::U64),
        LenKind::Varint => quote!(#LEN_PREFIX::Varint),
        LenKind::Vlq => quote!(#LEN_PREFIX::Vlq),
        _ => len_spec(&Prefix {
            kind: k,
            adds: 0,
            null: None,
        }),
    }
}

/// The value generated code writes and reads an inline prefix with:
/// `LenPrefix::U8` etc. for a plain one (the code every existing layout
/// keeps), a constant `LenSpec` for any width, arithmetic or `null`. Both
/// have `size`, `write` and `read`.
pub fn prefix(p: &Prefix) -> TokenStream {
    if p.is_plain() {
        len_prefix(p.kind)
    } else {
        len_spec(p)
    }
}

/// `_codec::__private::LenSpec { .. }` for `p`.
pub fn len_spec(p: &Prefix) -> TokenStream {
    let (bytes, signed) = p.kind.width().unwrap_or((0, false));
    let vlq = p.kind == LenKind::Vlq;
    let adds = p.adds;
    let null = match p.null {
        Some(v) => quote!(#SOME(#v)),
        None => quote!(#NONE),
    };
    let name = p.kind.name();
    quote! {
        #LEN_SPEC {
            bytes: #bytes,
            signed: #signed,
            vlq: #vlq,
            adds: #adds,
            null: #null,
            name: #name,
        }
    }
}

/// `_codec::__private::Unit::Bytes` or `::Elements`.
pub fn unit(u: Unit) -> TokenStream {
    match u {
        Unit::Bytes => quote!(#UNIT::Bytes),
        Unit::Elements => quote!(#UNIT::Elements),
    }
}

/// The integer type carrying a length prefix or an enum's discriminant
/// (`u64` for the base-128 ones).
pub fn int_type(k: LenKind) -> RtPath {
    match k {
        LenKind::U8 => U8,
        LenKind::U16 => U16,
        LenKind::U32 => U32,
        _ => U64,
    }
}
