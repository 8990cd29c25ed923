//! Derive macros for the `codec` crate. Use them through `codec`, which
//! re-exports them: `use codec::{Encode, Decode};`.
//!
//! Each derive runs one way: parse (`ast`, `attr`, errors gathered in
//! `ctxt`) → check (`valid`, which returns the `model` every choice is
//! resolved in) → expand (`expand/`, one file per trait, naming the
//! runtime through `paths`). Invalid input gets its errors and the
//! `fallback` impl instead.

mod ast;
mod attr;
mod ctxt;
mod expand;
mod fallback;
mod model;
mod paths;
mod valid;

#[cfg(test)]
mod tests;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

use crate::model::Derive;

/// Parse, check, expand; on invalid input, every error and the fallback
/// impl.
fn derive(input: &DeriveInput, which: Derive) -> proc_macro2::TokenStream {
    let cx = ctxt::Ctxt::new();
    let parsed = ast::Input::from_syn(&cx, input);
    let model = parsed.as_ref().and_then(|i| valid::check(&cx, i, which));
    match (cx.check(), model) {
        (Ok(()), Some(model)) => expand::expand(&model),
        (Err(errors), _) => {
            let crate_path = parsed.as_ref().and_then(|i| i.attrs.crate_path.get());
            let ctx = parsed
                .as_ref()
                .and_then(|i| i.attrs.ctx.get())
                .map(Vec::as_slice);
            fallback::expand(input, crate_path, which, errors, ctx)
        }
        (Ok(()), None) => unreachable!("an invalid input always records an error"),
    }
}

/// Derives `codec::Encode`: an exact `encoded_len` and an `encode` that
/// writes the layout the `#[codec(..)]` attributes describe.
///
/// Fields are written in declaration order, integers big-endian unless told
/// otherwise. `Decode` reads the same attributes; derive both.
///
/// # Type attributes
///
/// | attribute | meaning |
/// | --- | --- |
/// | `endian = "big"` / `"little"` | byte order of this type's fields (default big); nested types keep their own |
/// | `crate = "path"` | where the generated code finds the runtime (default `::codec`) |
/// | `repr = u8 \| u16 \| u32 \| u64 \| varint \| vlq` | (enums) how the leading discriminant is written; default `u8` |
/// | `magic = b".."` | constant bytes before everything else (before an enum's discriminant): written on encode, checked on decode (`BadMagic` names expected, found and offset) |
/// | `bit_order = "msb"` / `"lsb"` | how runs of `bits` fields fill their bytes: most significant bit first (default; network order, the DNS and MQTT headers) or least significant first (the run is then a little-endian integer whose low bits are the first field) |
/// | `assert(expr, "message")` | (structs) a condition over all fields, checked after the last one is decoded (`DecodeErrorKind::Assertion` at the type's start, path `Type`) and before encode writes anything (`EncodeErrorKind::Assertion`) |
/// | `size = N` | (structs) the type's encoding (its magic included) padded to exactly N bytes: fields taking more are `EncodeErrorKind::OverSize` / `DecodeErrorKind::OverSize` at the type's start; N below the bytes the fields always take does not compile; no `rest` field |
/// | `pad = B` | (structs, with `size`) the byte the type is padded with (default NUL) |
/// | `pad_check` | (structs, with `size`) decode checks the padding is all `pad` bytes (`DecodeErrorKind::BadPadding` at the first other byte); without it padding is read and ignored |
/// | `ctx(name: Type, ..)` | values the parent passes in (MQTT's QoS, a Kafka version, a DNS TYPE): the fields' expressions (`when`, `assert`, `ctx`, `len_from`, `id_from`) read them by name like earlier fields. The type then implements `codec::EncodeWith` / `codec::DecodeWith` (taking a generated `<Type>Ctx` struct with one public field per name) instead of `Encode` / `Decode`, so it is never read without its context; `Type` must be `Copy` |
/// | `id_from = name` | (enums, with `ctx`) the variant is chosen by the context value `name` (an unsigned integer): no discriminant on the wire, `MIN_LEN` 0; an unknown value is `InvalidDiscriminant` at the enum's offset (or the `other` variant, whose first field holds it and is not written). Encode refuses, with an `EncodeError`, a variant the value does not select (the parent's field is not rewritten) |
///
/// # Field attributes
///
/// | attribute | meaning |
/// | --- | --- |
/// | `len = u8 \| u16 \| u32 \| u64 \| varint \| vlq` | a length prefix right before the field: bytes for strings and byte vectors, elements for `Vec<T>` |
/// | `len = u24 \| u40 \| u48 \| u56` | a prefix of 3, 5, 6 or 7 bytes (TLS's `uint24`), in the field's byte order |
/// | `len = i8 \| i16 \| i32 \| i64` | a signed prefix (Kafka's INT16, PostgreSQL's Int32); a negative value is a decode error unless it is the `null` value |
/// | `len_adds = N` | the length (inline or `len_from`) counts N more than the body: 1 for Kafka's compact N+1, 4 for an Int32 that counts itself; a smaller value on the wire is a `LengthBelowMin` error at the length |
/// | `null = V` | on an `Option<T>` with `len`: `None` is the length value V (`len = i32, null = -1`; `len = varint, len_adds = 1, null = 0` for Kafka's compact nullable forms); V must be negative or below `len_adds` |
/// | `bytes = N` | this integer travels in N bytes (1 to 8, at most the type's width): `#[codec(bytes = 3)] length: u32` is a u24; a value that does not fit is an `EncodeError` naming the field; signed types are two's complement and sign-extend on decode |
/// | `magic = b".."` | constant bytes right before this field, checked on decode |
/// | `term` / `term = B` | the value, then the terminator byte B (NUL by default; B is an integer such as `0x0a` or a byte literal such as `b'\n'`), instead of a length: on `String`, `&str`, `&[u8]` (a C-style string) and on `Vec<T>`, a list ended by B where the next element would start (PostgreSQL's StartupMessage parameters; `Vec<u8>` is a byte string). A value holding B, or a list element that is empty or starts with B, is an `EncodeError`; a missing terminator is "need 1 more byte" at the end of the input |
/// | `size = N` | exactly N bytes: the value (`String`, `&str`, `Vec<u8>`, `&[u8]`), then padding (tar's 100-byte names). Decoding strips every trailing pad byte, so a value longer than N or ending with the pad byte is an `EncodeError`; pad bytes elsewhere in the value are kept |
/// | `pad = B` | the byte a `size` field is padded with (default NUL): `size = 8, pad = 0x20` pads with spaces; also the byte of this field's `pad_before`, `pad_after` and `align` padding |
/// | `pad_before = N` / `pad_after = N` | N padding bytes right before / after the field (before its `magic`; after its value) |
/// | `align = N` | (struct fields) padding before the field up to a multiple of N bytes (a power of two) from the start of the type, its magic included; after `pad_before` when both are given |
/// | `pad_check` | decode checks this field's padding (`pad_before`, `pad_after`, `align`) is all `pad` bytes: another byte is `DecodeErrorKind::BadPadding { expected, found }` at its offset with the field's path; without it padding is read and ignored. Encode always writes `pad` bytes |
/// | `calc = expr` | encode writes `expr` (over any fields, by name, as values; a `when` or `assert` naming this field sees it too) instead of the field's value: MQTT CONNECT's flag bits from which options are present. Decode reads and keeps the value on the wire. Not with `skip`, `when`, `map`, lengths, or on a `len_from` holder |
/// | `checksum = f, from = field` | an unsigned integer (up to u64) that encode computes as `f(&bytes)` over the bytes written from the start of the earlier `field` (after its padding, its magic included) up to this field; decode recomputes it over the bytes read and a mismatch is `DecodeErrorKind::ChecksumMismatch { expected, found }` at this field's offset with its path. PNG's CRC-32: `checksum = crc32fast::hash, from = kind` |
/// | `wire = T, value = V` | a wire-only field: the struct field is `()` (or `PhantomData`), the wire holds V as integer type `T` (with `T`'s `bytes`, `varint`/`vlq`, `endian`): encode writes V; decode reads it and checks it equals V (`DecodeErrorKind::UnexpectedValue { expected, found }`) |
/// | `unchecked` | with `wire`: decode reads the value and accepts anything (reserved fields) |
/// | `assert(expr, "message")` | a condition over this field and earlier ones (by name, as values, like `when`): false on decode is `DecodeErrorKind::Assertion { message }` at the field's offset with its path; false on encode is `EncodeErrorKind::Assertion` naming the field, before anything is written (encode clones the fields it names) |
/// | `map = (Wire, to_wire, from_wire)` | the field travels as type `Wire`: `to_wire: fn(&T) -> Wire` on encode, `from_wire: fn(Wire) -> T` on decode (paths or closures); `Wire`'s own `bytes`, `varint`/`vlq` and `endian` apply; no `len`, `len_from`, `rest`, `when`, `null`, `term`, `size` or `pad` |
/// | `try_map = (Wire, to_wire, from_wire)` | as `map`, with both functions returning `Result<_, &'static str>`: a refusal on decode is `DecodeErrorKind::Invalid(message)` at the field's offset with its path, on encode `EncodeErrorKind::Invalid(message)` naming the field, before anything is written (`Wire: Default`, for `encoded_len` of a value that fails) |
/// | `bits = N` | this value is N bits (1 to 64) of a run of consecutive `bits` fields packed into whole bytes, in the type's `bit_order`: `u8`..`u64` (N at most the type's width), `bool` (N = 1) and fieldless enums (their `Encode`/`Decode` derives implement `EncodeBits`/`DecodeBits`; the id is the bits). A run must fill whole bytes (at most 8), read with one bounds check and split with shifts and masks; a value wider than N bits is an `EncodeError` (`ValueOutOfRange`, target `"N bits"`) naming the field; bits that name no variant are `InvalidDiscriminant` at the byte holding them. No byte-level key (`len`, `varint`, `bytes`, `endian`, `term`, `when`, `map`, ...) applies |
/// | `len_from = field` | the length is the earlier integer field `field`; encode writes the real length there |
/// | `len_from = name` (a `ctx` value) | the length is the context value `name` (DNS RDATA bounded by RDLENGTH); encode refuses a body of any other length, as it cannot write the parent's field |
/// | `ctx(name = expr, ..)` | the field's type declares `ctx(..)`: pass each of its values, `expr` over earlier fields and this type's own context (`ctx(qos = flags >> 1 & 3)`). A name the type does not declare, one left out, or a missing `ctx(..)` is a compile error; it conflicts with the layout keys (`len`, `term`, `map`, ...), which belong on the type's fields; `when` and `endian` apply |
/// | `unit = bytes \| elements` | what the length counts (`Vec<T>` bounded by a byte length) |
/// | `varint` / `vlq` | this integer is LEB128 / big-endian base-128 (cs.binary BSUInt); signed ones are zigzag-mapped |
/// | `endian = "big" \| "little"` | byte order of this field only |
/// | `when = expr` | an `Option<T>` present only when `expr` over earlier fields holds |
/// | `rest` | the last field takes every remaining byte of its frame |
/// | `skip` | not on the wire; `Default` on decode |
/// | `skip = expr` | not on the wire; decode stores `expr` over earlier fields and the type's context (PUBLISH's `#[codec(skip = flags >> 1 & 3)] qos: u8` from the header's flags); encode writes nothing |
/// | `tag` | the request/response correlation field |
/// | `max_bytes = N` | a `varint`/`vlq` integer takes at most N bytes (MQTT's remaining length: 4): an N-th byte with its continuation bit set is `VarintTooLong` at once (no waiting for more input), a value needing more bytes an `EncodeError` naming the field |
/// | `id` | (in a `#[derive(Header)]` struct) the field holding the message id |
/// | `payload_len` | (in a `#[derive(Header)]` struct) the field holding the payload length; with `len_adds = N` its value counts N more (a length that counts the header too), and decoding a smaller value is `LengthBelowMin` at the field |
///
/// Keys may share one list or be spread over several; a key given twice is
/// an error. Without a length attribute, `String`, `Vec<T>`, `&str` and
/// `&[u8]` carry a LEB128 count prefix, and an `Option<T>` without `when`
/// carries a presence byte (0 or 1).
///
/// # Field types
///
/// A field may be any type that implements `Encode` / `Decode`: the
/// primitives, `String`, `&str`, `&[u8]`, `Vec<T>`, `Option<T>`, arrays,
/// `Box<T>`, other derived types, and these std types (the `codec::std_types`
/// module documents each wire format):
///
/// | type | on the wire |
/// | --- | --- |
/// | `BTreeMap`, `HashMap`, `BTreeSet`, `HashSet` | LEB128 count, then each key and value (or element); `len`, `len_from`, `unit`, `rest` apply as to `Vec<T>`; a duplicate key is a decode error |
/// | `NonZeroU8` ... `NonZeroI128`, `NonZeroUsize`, `NonZeroIsize` | as the integer (usize as u64); zero is a decode error |
/// | `Ipv4Addr`, `Ipv6Addr`, `SocketAddrV4`, `SocketAddrV6` | 4, 16, 6, 26 bytes: octets, then port, flow info and scope id, big-endian |
/// | `IpAddr`, `SocketAddr` | a family byte (4 or 6), then the V4 or V6 form |
/// | `CString`, `&CStr` | the bytes, then NUL |
/// | `Cow<str>`, `Cow<[u8]>` | as `&str` / `&[u8]`, borrowed when decoding |
/// | `Arc<T>`, `Rc<T>` | as `T` (`Arc<str>` as `str`, `Rc<[T]>` as `[T]`) |
/// | tuples of 1 to 12 elements | the elements in order; an error names the element (`Msg.pair.1`) |
///
/// `Message::FIELDS` knows the width of primitives and of the fixed-width
/// std types above (`NonZero*`, `Ipv4Addr`, `Ipv6Addr`, `SocketAddrV4`,
/// `SocketAddrV6`) when written by their bare name.
///
/// # Variant attributes
///
/// | attribute | meaning |
/// | --- | --- |
/// | `id = N` | the discriminant, an integer or a byte literal (`id = b'Q'`) (or write `Variant = N`; otherwise the previous plus one) |
/// | `id = a..=b`, `id = 1 \| 3` | a pattern of integers and ranges: decode takes the variant for any id it matches. With a leading discriminant the variant's first field holds the id read (as `other`'s does) and encode writes it, refusing one outside the pattern; with `id_from` no field is needed. Ids claimed by two variants are a compile error |
/// | `other` | catches unknown discriminants; its first field holds the value read |
/// | `magic = b".."` | the variant's constant bytes, which choose it: given on every variant (with no `id`, discriminant, `other` or `repr`), the enum has no discriminant and decoding tries each variant's magic in declaration order (on partial input, an earlier magic the bytes could still be is waited for) |
///
/// Fields with `bytes`, `magic`, `assert`, `map`/`try_map` or a prefix
/// beyond `u8`..`u64` without arithmetic are read and written on their
/// own, not in the packed runs of fixed-width fields. `explain` shows
/// magic bytes on a line of their own (`field.magic`, or `magic` for the
/// type's) and lengths as read (`null` for a null length); it and
/// `Message::FIELDS` show a converted field as its wire type and value.
/// A `term` or `size` field is one line: its string, its bytes, or its
/// element count. So are padded, computed, wire-only fields and the fields
/// a checksum starts at. Padding has a line of its own (`field.pad`, or
/// `pad` for the type's: its count and bytes) and `Message::FIELDS` entries
/// named `pad` (with their width where it is fixed: an `align` whose offset
/// is known, `pad_before`, `pad_after`); computed and wire-only fields say
/// so in their `FIELDS` encoding (`calc ..`, `checksum f from field: u32`,
/// `wire-only u8 = 2`). A `bits` field is a line with the bytes its bits
/// touch, its value and its bits (`kind = 3 (bits 0011....)`); in
/// `Message::FIELDS` its `offset` is the byte holding its first bit, its
/// `width` the bytes its bits touch, its `encoding`
/// `bits = 4 from bit 0 (msb first), u8` (the bit counted within that byte
/// in the run's order).
/// # Example
///
/// ```
/// use codec::{Decode, Encode};
///
/// // cs.packetstream's packet body: vlq integers, a channel present only
/// // when flag bit 0 is set, and a payload that takes the rest.
/// #[derive(Debug, PartialEq, Encode, Decode)]
/// struct Packet<'a> {
///     #[codec(vlq)]
///     tag: u64,
///     #[codec(vlq)]
///     flags: u64,
///     #[codec(when = flags & 1 != 0, vlq)]
///     channel: Option<u64>,
///     #[codec(rest)]
///     payload: &'a [u8],
/// }
///
/// let p = Packet { tag: 2, flags: 1, channel: Some(300), payload: b"hi" };
/// let bytes = p.to_bytes()?;
/// assert_eq!(bytes, [0x02, 0x01, 0x82, 0x2c, b'h', b'i']);
/// assert_eq!(Packet::from_bytes(&bytes)?, p);
///
/// // striptease's String('name')['nlen']: the length lives in an earlier field.
/// #[derive(Debug, PartialEq, Encode, Decode)]
/// #[codec(endian = "little")]
/// struct Named {
///     id: u16,
///     nlen: u8,
///     #[codec(len_from = nlen)]
///     name: String,
/// }
///
/// let bytes = Named { id: 1, nlen: 0, name: "ab".into() }.to_bytes()?;
/// assert_eq!(bytes, [0x01, 0x00, 0x02, b'a', b'b']); // nlen written as 2
///
/// // A data enum chosen by a leading discriminant, with a catch-all.
/// #[derive(Debug, PartialEq, Encode, Decode)]
/// #[codec(repr = u8)]
/// enum Shape {
///     #[codec(id = 1)]
///     Circle { r: u16 },
///     #[codec(id = 2)]
///     Rect(u8, u8),
///     #[codec(other)]
///     Unknown(u8, #[codec(rest)] Vec<u8>),
/// }
///
/// assert_eq!(Shape::Rect(3, 4).to_bytes()?, [2, 3, 4]);
/// assert_eq!(Shape::from_bytes(&[9, 0xaa])?, Shape::Unknown(9, vec![0xaa]));
///
/// // Real-world layouts: PNG's signature as magic, a TLS u24, PostgreSQL's
/// // nullable Int32 length and an Int32 counting itself, Kafka's compact
/// // nullable string (N+1, 0 for null).
/// #[derive(Debug, PartialEq, Encode, Decode)]
/// #[codec(magic = b"\x89PNG\r\n\x1a\n")]
/// struct Layouts {
///     #[codec(bytes = 3)]
///     tls_length: u32,
///     #[codec(len = i32, null = -1)]
///     column: Option<Vec<u8>>,
///     #[codec(len = u32, len_adds = 4)]
///     counted: Vec<u8>,
///     #[codec(len = varint, len_adds = 1, null = 0)]
///     compact: Option<String>,
///     #[codec(magic = b"IEND")]
///     end: u8,
/// }
///
/// let v = Layouts { tls_length: 5, column: None, counted: vec![7], compact: Some("a".into()), end: 0 };
/// let bytes = v.to_bytes()?;
/// assert_eq!(bytes[8..], [0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 5, 7, 2, b'a', b'I', b'E', b'N', b'D', 0]);
/// assert_eq!(Layouts::from_bytes(&bytes)?, v);
///
/// // An enum chosen by magic, tried in declaration order.
/// #[derive(Debug, PartialEq, Encode, Decode)]
/// enum Chunk {
///     #[codec(magic = b"IEND")]
///     End,
///     #[codec(magic = b"tEXt")]
///     Text(#[codec(len = u8)] String),
/// }
///
/// assert_eq!(Chunk::from_bytes(b"tEXt\x01a")?, Chunk::Text("a".into()));
///
/// // Terminated and fixed-size data: PostgreSQL's NUL-terminated strings
/// // and its list of name/value pairs ended by a NUL, tar's NUL-padded name.
/// #[derive(Debug, PartialEq, Encode, Decode)]
/// struct Param {
///     #[codec(term)]
///     name: String,
///     #[codec(term)]
///     value: String,
/// }
///
/// #[derive(Debug, PartialEq, Encode, Decode)]
/// struct Ended {
///     #[codec(term)]
///     params: Vec<Param>,
///     #[codec(term = b'\n')]
///     line: String,
///     #[codec(size = 6, pad = 0x20)]
///     name: String,
/// }
///
/// let v = Ended {
///     params: vec![Param { name: "user".into(), value: "me".into() }],
///     line: "ok".into(),
///     name: "ab".into(),
/// };
/// assert_eq!(v.to_bytes()?, b"user\0me\0\0ok\nab    ");
/// assert_eq!(Ended::from_bytes(b"user\0me\0\0ok\nab    ")?, v);
///
/// // Bit fields: the DNS header's flags (RFC 1035 §4.1.1), most
/// // significant bit first, 16 bits between whole-byte fields.
/// #[derive(Debug, PartialEq, Encode, Decode)]
/// struct DnsHeader {
///     id: u16,
///     #[codec(bits = 1)] qr: bool,
///     #[codec(bits = 4)] opcode: u8,
///     #[codec(bits = 1)] aa: bool,
///     #[codec(bits = 1)] tc: bool,
///     #[codec(bits = 1)] rd: bool,
///     #[codec(bits = 1)] ra: bool,
///     #[codec(bits = 3)] z: u8,
///     #[codec(bits = 4)] rcode: Rcode,
///     qdcount: u16,
/// }
///
/// // A fieldless enum in a bit field: its id is its bits.
/// #[derive(Debug, PartialEq, Encode, Decode)]
/// enum Rcode { NoError = 0, FormErr = 1, NxDomain = 3 }
///
/// let h = DnsHeader {
///     id: 0xbeef, qr: true, opcode: 0, aa: false, tc: false, rd: true, ra: true,
///     z: 0, rcode: Rcode::NxDomain, qdcount: 1,
/// };
/// assert_eq!(h.to_bytes()?, [0xbe, 0xef, 0x81, 0x83, 0x00, 0x01]);
/// assert_eq!(DnsHeader::from_bytes(&[0xbe, 0xef, 0x81, 0x83, 0x00, 0x01])?, h);
/// // Too wide for its bits: an `EncodeError` naming the field.
/// let wide = DnsHeader { opcode: 16, ..h };
/// assert_eq!(
///     wide.to_bytes().unwrap_err().to_string(),
///     "value 16 out of range for 4 bits in DnsHeader.opcode"
/// );
///
/// // Conversions and assertions: a timestamp as u32 seconds, a price as
/// // i32 hundredths, a kind byte whose 2..=0x7f are reserved.
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
///
/// fn secs(t: &SystemTime) -> Result<u32, &'static str> {
///     let d = t.duration_since(UNIX_EPOCH).map_err(|_| "before 1970")?;
///     u32::try_from(d.as_secs()).map_err(|_| "after 2106")
/// }
/// fn time(s: u32) -> Result<SystemTime, &'static str> {
///     Ok(UNIX_EPOCH + Duration::from_secs(s.into()))
/// }
/// fn kind(b: u8) -> Result<u8, &'static str> {
///     if (2..0x80).contains(&b) { Err("reserved kind") } else { Ok(b) }
/// }
///
/// #[derive(Debug, PartialEq, Encode, Decode)]
/// #[codec(assert(lo <= hi, "lo above hi"))]
/// struct Quote {
///     #[codec(try_map = (u32, secs, time))]
///     at: SystemTime,
///     #[codec(map = (i32, |p: &f64| (p * 100.0).round() as i32, |h| f64::from(h) / 100.0))]
///     price: f64,
///     #[codec(try_map = (u8, |k: &u8| kind(*k), kind))]
///     kind: u8,
///     #[codec(assert(lo > 0, "lo is zero"))]
///     lo: u8,
///     hi: u8,
/// }
///
/// let q = Quote { at: UNIX_EPOCH + Duration::from_secs(1), price: 12.34, kind: 0x80, lo: 1, hi: 2 };
/// assert_eq!(q.to_bytes()?, [0, 0, 0, 1, 0, 0, 0x04, 0xD2, 0x80, 1, 2]);
/// let e = Quote::from_bytes(&[0, 0, 0, 1, 0, 0, 0x04, 0xD2, 0x05, 1, 2]).unwrap_err();
/// assert_eq!(e.to_string(), "reserved kind at byte 8 in Quote.kind");
/// let e = Quote::from_bytes(&[0, 0, 0, 1, 0, 0, 0x04, 0xD2, 0x80, 0, 2]).unwrap_err();
/// assert_eq!(e.to_string(), "assertion failed: lo is zero at byte 9 in Quote.lo");
/// assert!(Quote { lo: 3, ..q }.to_bytes().is_err());
///
/// // Padding, alignment and a fixed size; flags computed from the options
/// // present; a checksum over the bytes written; a wire-only version byte.
/// fn sum(bytes: &[u8]) -> u8 {
///     bytes.iter().fold(0u8, |a, b| a.wrapping_add(*b))
/// }
///
/// #[derive(Debug, PartialEq, Encode, Decode)]
/// #[codec(size = 16, pad = 0x2e)]
/// struct Record {
///     #[codec(wire = u8, value = 2)]
///     version: (),
///     #[codec(calc = u8::from(name.is_some()))]
///     flags: u8,
///     #[codec(align = 4, pad_after = 1, pad = 0xff, pad_check)]
///     id: u16,
///     #[codec(when = flags & 1 != 0, len = u8)]
///     name: Option<String>,
///     #[codec(checksum = sum, from = id)]
///     check: u8,
/// }
///
/// let r = Record { version: (), flags: 0, id: 7, name: Some("ab".into()), check: 0 };
/// let bytes = r.to_bytes()?;
/// // version | flags | align 4 | id    | pad_after | name.len | name  | check | pad to 16
/// // 02      | 01    | ff ff   | 00 07 | ff        | 02       | 61 62 | cb    | 2e x 5
/// assert_eq!(bytes, b"\x02\x01\xff\xff\x00\x07\xff\x02ab\xcb.....");
/// assert_eq!(Record::from_bytes(&bytes)?, Record { flags: 1, check: 0xcb, ..r });
/// let e = Record::from_bytes(b"\x03\x01\xff\xff\x00\x07\xff\x02ab\xcb.....").unwrap_err();
/// assert_eq!(e.to_string(), "unexpected value 3 (expected 2) at byte 0 in Record.version");
/// // Context: the fixed header's QoS decides whether PUBLISH has a packet
/// // identifier; a DNS record's TYPE chooses its RDATA (no discriminant of
/// // its own), RDLENGTH bounds the raw form; ids as ranges.
/// #[derive(Debug, PartialEq, Encode, Decode)]
/// #[codec(ctx(qos: u8))]
/// struct Publish {
///     #[codec(len = u16)]
///     topic: String,
///     #[codec(when = qos > 0)]
///     packet_id: Option<u16>,
/// }
///
/// #[derive(Debug, PartialEq, Encode, Decode)]
/// #[codec(ctx(rtype: u16, rdlength: u16), id_from = rtype)]
/// enum Rdata {
///     #[codec(id = 1)]
///     A([u8; 4]),
///     #[codec(id = 0xff00..=0xfffe)]
///     Private(#[codec(len_from = rdlength, unit = bytes)] Vec<u8>),
/// }
///
/// #[derive(Debug, PartialEq, Encode, Decode)]
/// struct Frame {
///     flags: u8,
///     #[codec(ctx(qos = flags >> 1 & 3))]
///     publish: Publish,
///     rtype: u16,
///     rdlength: u16,
///     #[codec(ctx(rtype = rtype, rdlength = rdlength))]
///     rdata: Rdata,
/// }
///
/// let p = Frame {
///     flags: 0x02,
///     publish: Publish { topic: "t".into(), packet_id: Some(9) },
///     rtype: 0xff01,
///     rdlength: 1,
///     rdata: Rdata::Private(vec![7]),
/// };
/// let bytes = p.to_bytes()?;
/// assert_eq!(bytes, [0x02, 0, 1, b't', 0, 9, 0xff, 0x01, 0, 1, 7]);
/// assert_eq!(Frame::from_bytes(&bytes)?, p);
/// let e = Frame::from_bytes(&[0, 0, 1, b't', 0, 5, 0, 0]).unwrap_err();
/// assert_eq!(e.to_string(), "invalid discriminant 5 at byte 8 in Frame.rdata");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[proc_macro_derive(Encode, attributes(codec))]
pub fn derive_encode(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    derive(&input, Derive::Encode).into()
}

/// Derives `codec::Message`: the id (`#[codec(id = N)]`, required: a
/// constant expression, or a byte literal such as `b'Q'` for protocols
/// that name messages by a letter), the name, and the payload layout of a
/// message type.
///
/// On a request, `#[codec(response = Type)]` names the reply type for typed
/// calls; a field marked `#[codec(tag)]` is the correlation tag.
///
/// ```
/// use codec::{Decode, Encode, Message};
///
/// #[derive(Encode, Decode, Message)]
/// #[codec(id = 0x03)]
/// struct FetchRequest {
///     #[codec(tag)]
///     trans: u8,
///     #[codec(len = u8)]
///     name: String,
/// }
///
/// assert_eq!(FetchRequest::ID, 3);
/// assert_eq!(FetchRequest::NAME, "FetchRequest");
/// assert_eq!(FetchRequest::FIELDS[0].width, Some(1));
/// assert_eq!(FetchRequest::FIELDS[1].encoding, "len = u8, String");
/// ```
#[proc_macro_derive(Message, attributes(codec))]
pub fn derive_message(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    derive(&input, Derive::Message).into()
}

/// Derives `codec::Protocol` (and `DecodeProtocol`, `Encode`, `Decode`,
/// `From<M>` and `TryFrom<Self> for M`) on an enum whose variants each hold
/// one message: the enum encodes and decodes whole frames, header then
/// payload, choosing the variant by the id in the header.
///
/// | attribute | meaning |
/// | --- | --- |
/// | `header = Path` | (on the enum) the frame header; default `codec::StdHeader` (u8 id, u16 big-endian length) |
/// | `other` | (on a variant holding `codec::RawFrame`) receives frames with unknown ids intact |
/// | `service = Name` | (on the enum) generates the service trait `Name<Ctx>`, one method per variant named in snake case, and `codec::Dispatch` for its implementors (see `codec::dispatch`) |
/// | `correlate = Rules` | (on the enum) `Rules` implements `codec::Correlate<Self>`: which messages are requests, responses or one-way on a connection where both sides send requests (`codec::rpc`), and the first tag a side draws; without it a tagged message is `Correlation::Tagged` (a request at the side that accepted, a response at the side that dialled) and an untagged one `OneWay` |
/// | `request` | (on a variant, with `service`) the variant's method is required and its future yields the message's `response`; the others default to `unexpected` |
/// | `ctx(name = expr, ..)` | (on a variant whose message declares `ctx(..)`) the message's context, `expr` over the frame header's value named `header` (the header implements `HeaderValue`, as `#[derive(Header)]` does): `ctx(flags = header.flags)`. Decode reads the header with `HeaderValue::value` and calls `DecodeWith::decode_in`; encode builds the same context from the header the message gives (below). An undeclared or missing name is a compile error |
/// | `header(field = expr, ..)` | (on a variant) header fields written from the message, `expr` over the message named `msg` (the other non-role fields as in `Default`), through `HeaderValue::write_value`: MQTT PUBLISH's `header(flags = u8::from(msg.dup) << 3 \| msg.qos << 1 \| u8::from(msg.retain))`, PUBACK's fixed `header(flags = 0)`. Decode checks each field is what the decoded message gives: another value is `DecodeErrorKind::Invalid` at the header, path `Header.field`. The fields must not change the header's length |
///
/// Two variants with the same id, or an id too large for the header, fail
/// to compile. Protocols without `ctx` or `header` on a variant generate
/// the code they always did.
///
/// MQTT 3.1.1's fixed header: the packet type is the id, PUBLISH's flags
/// carry DUP/QoS/RETAIN and decide whether a packet identifier follows.
///
/// ```
/// use codec::{Decode, Encode, Message, Protocol};
///
/// #[derive(Debug, Default, Encode, Decode, codec::Header)]
/// struct Fixed {
///     #[codec(id, bits = 4)]
///     kind: u8,
///     #[codec(bits = 4)]
///     flags: u8,
///     #[codec(payload_len, varint, max_bytes = 4)]
///     remaining: u32,
/// }
///
/// #[derive(Debug, PartialEq, Encode, Decode, Message)]
/// #[codec(id = 3, ctx(flags: u8))]
/// struct Publish {
///     #[codec(skip = flags >> 1 & 3)]
///     qos: u8,
///     #[codec(len = u16)]
///     topic: String,
///     #[codec(when = qos > 0)]
///     packet_id: Option<u16>,
/// }
///
/// #[derive(Debug, PartialEq, Encode, Decode, Message)]
/// #[codec(id = 4)]
/// struct PubAck { packet_id: u16 }
///
/// #[derive(Debug, PartialEq, Protocol)]
/// #[codec(header = Fixed)]
/// enum Mqtt {
///     #[codec(ctx(flags = header.flags), header(flags = msg.qos << 1))]
///     Publish(Publish),
///     #[codec(header(flags = 0))]
///     PubAck(PubAck),
/// }
///
/// let p = Mqtt::from(Publish { qos: 1, topic: "a".into(), packet_id: Some(10) });
/// let frame = p.to_bytes()?;
/// assert_eq!(frame, [0x32, 0x05, 0x00, 0x01, b'a', 0x00, 0x0a]);
/// assert_eq!(Mqtt::from_bytes(&frame)?, p);
/// // At QoS 0 there is no packet identifier.
/// let q0 = Mqtt::from_bytes(&[0x30, 0x03, 0x00, 0x01, b'a'])?;
/// assert_eq!(q0, Mqtt::from(Publish { qos: 0, topic: "a".into(), packet_id: None }));
/// // PUBACK's flags must be 0000.
/// assert!(Mqtt::from_bytes(&[0x42, 0x02, 0x00, 0x0a]).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The storage protocol, with a catch-all for unknown ids:
///
/// ```
/// use codec::{Decode, Encode, Message, Protocol};
///
/// #[derive(Debug, PartialEq, Encode, Decode, Message)]
/// #[codec(id = 0x03)]
/// struct FetchRequest { trans: u8, #[codec(len = u8)] name: String }
///
/// #[derive(Debug, PartialEq, Encode, Decode, Message)]
/// #[codec(id = 0x04)]
/// struct FetchResponse {
///     trans: u8,
///     status: u8,
///     #[codec(len = u8)] name: String,
///     #[codec(len = u16)] data: Vec<u8>,
/// }
///
/// #[derive(Debug, PartialEq, Protocol)]
/// enum Fetch {
///     Request(FetchRequest),
///     Response(FetchResponse),
///     #[codec(other)]
///     Unknown(codec::RawFrame),
/// }
///
/// let frame = Fetch::from(FetchRequest { trans: 1, name: "k".into() }).to_bytes()?;
/// assert_eq!(frame, [0x03, 0x00, 0x03, 0x01, 0x01, b'k']);
/// let msg = Fetch::from_bytes(&frame)?;
/// assert_eq!(msg.name(), "FetchRequest");
/// assert_eq!(Fetch::from_bytes(&[0x7f, 0x00, 0x01, 0xaa])?, Fetch::Unknown(codec::RawFrame::new(0x7f, vec![0xaa])));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[proc_macro_derive(Protocol, attributes(codec))]
pub fn derive_protocol(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    derive(&input, Derive::Protocol).into()
}

/// Derives `codec::Header` (and `codec::HeaderValue`) on a struct whose
/// fields are a frame header: the struct is written and read by its own
/// `Encode` and `Decode` (derive them too), so every field key applies
/// (`varint`, `vlq`, `max_bytes`, `bytes = N`, `magic`, `endian`, ...).
/// Two keys give fields their role:
///
/// | attribute | meaning |
/// | --- | --- |
/// | `id` | the field holding the message id: an unsigned integer; `Header::MAX_ID` is what its wire form carries. Without one the header carries no id (every frame is id 0, as in cs.packetstream) |
/// | `payload_len` | the field holding the payload length (required, one): an unsigned integer; with `len_adds = N` the wire value counts N more than the payload (4 for a PostgreSQL Int32 that counts itself); `Header::MAX_LEN` is what its wire form carries, less N |
///
/// The other fields (flags, a version, reserved bits) are written as they
/// are in `Self::default()` (derive or implement `Default`; write another
/// value with `HeaderValue::write_value`), and read back by
/// `HeaderValue::value` after `Header::parse`. Errors name the header and
/// field: `value 256 out of range for u8 message id in Hdr.kind`,
/// `length 70000 does not fit a u16 length prefix (max 65535) in Hdr.len`.
/// `parse` answers partial input with the exact bytes still needed, and
/// `explain` shows one line per field, the id's with its message name.
///
/// ```
/// use codec::header::{FrameHead, Header, Parsed};
/// use codec::{Decode, Encode};
///
/// // PostgreSQL's message header: a type byte, then an Int32 length that
/// // counts itself but not the type byte.
/// #[derive(Debug, Default, Encode, Decode, codec::Header)]
/// struct PgHeader {
///     #[codec(id)]
///     kind: u8,
///     #[codec(payload_len, len_adds = 4)]
///     len: u32,
/// }
///
/// let mut buf = Vec::new();
/// PgHeader::write(b'Q' as u64, 9, &mut buf)?;
/// assert_eq!(buf, [b'Q', 0, 0, 0, 13]);
/// assert_eq!(PgHeader::parse(&buf[..2])?, Parsed::Incomplete { needed: 3 });
/// assert_eq!(
///     PgHeader::parse(&buf)?,
///     Parsed::Complete(FrameHead { id: b'Q' as u64, header_len: 5, payload_len: 9 })
/// );
///
/// // MQTT 3.1.1's fixed header: the packet type and flags in the first
/// // byte, the remaining length a varint of at most 4 bytes (§2.2.3).
/// #[derive(Debug, Default, Encode, Decode, codec::Header)]
/// struct MqttFixed {
///     #[codec(id)]
///     type_and_flags: u8,
///     #[codec(payload_len, varint, max_bytes = 4)]
///     remaining: u32,
/// }
///
/// assert_eq!(MqttFixed::MAX_LEN, 268_435_455);
/// assert!(MqttFixed::parse(&[0x30, 0xff, 0xff, 0xff, 0xff]).is_err()); // a 5th byte
/// assert_eq!(MqttFixed::parse(&[0x30, 0xff])?, Parsed::Incomplete { needed: 1 });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[proc_macro_derive(Header, attributes(codec))]
pub fn derive_header(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    derive(&input, Derive::Header).into()
}

/// Derives `codec::Decode`, reading the layout that the same `#[codec(..)]`
/// attributes describe (see the `Encode` derive for the full list).
///
/// Types with lifetimes borrow from the input: `&'a str` and `&'a [u8]`
/// fields decode without copying.
///
/// ```
/// use codec::Decode;
///
/// #[derive(Decode)]
/// struct View<'a> {
///     #[codec(len = u8)]
///     name: &'a str,
///     #[codec(rest)]
///     data: &'a [u8],
/// }
///
/// let input = b"\x03keyhello";
/// let view = View::from_bytes(input)?;
/// assert_eq!(view.name, "key");
/// assert_eq!(view.data.as_ptr(), input[4..].as_ptr()); // no copy
/// # Ok::<(), codec::DecodeError>(())
/// ```
#[proc_macro_derive(Decode, attributes(codec))]
pub fn derive_decode(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    derive(&input, Derive::Decode).into()
}
