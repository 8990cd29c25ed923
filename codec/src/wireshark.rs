//! Wireshark dissectors generated from a protocol's layouts: one Lua
//! script that shows every frame of a [`Protocol`] in Wireshark and
//! `tshark`, field by field, from the same metadata the derive writes the
//! codec from ([`Protocol::MESSAGES`], [`Encode::SHAPE`](crate::Encode::SHAPE)).
//!
//! ```text
//! Dissector::new("storage", "Storage service").port(7070).lua::<Storage>()
//!   -> storage.lua:  Proto "storage", one ProtoField per message field
//!                    (storage.StoreRequest.name, storage.ListResponse.entries.size, ...),
//!                    TCP reassembly (frames split across segments, several per segment),
//!                    a TCP heuristic and/or port registration
//! tshark -X lua_script:storage.lua -r session.pcap -T json
//! ```
//!
//! What the script decodes: integers of every width and byte order, `varint`
//! and `vlq` (as 64-bit values), `bool`, floats, text and byte strings
//! behind any length prefix (`len`, `len_from`, `len_adds`, `rest`, `term`,
//! `size`/`pad`), options with a presence byte, a `null` length or a `when`
//! condition made of field names, integers and the operators
//! `& | ^ << >> == != < <= > >= && || !`, nested structs, enums with a
//! discriminant, vectors and arrays. What the metadata cannot describe (a
//! hand-written `Encode`, variants chosen by magic bytes, a `when` calling
//! methods, 128-bit integers in varint form) is shown as bytes from there
//! to the end of the frame: never a guessed value.
//!
//! The frame header is described by [`DissectHeader`], implemented for
//! [`StdHeader`] and [`WideHeader`]; a custom header gives its Lua parser.
//!
//! ```
//! use codec::wireshark::Dissector;
//! use codec::{Decode, Encode, Message, Protocol};
//!
//! #[derive(Encode, Decode, Message)]
//! #[codec(id = 1)]
//! struct Ping {
//!     seq: u16,
//!     #[codec(len = u8)]
//!     note: String,
//! }
//!
//! #[derive(Protocol)]
//! enum Chat {
//!     Ping(Ping),
//! }
//!
//! let lua = Dissector::new("chat", "Chat protocol").port(9000).lua::<Chat>();
//! assert!(lua.contains(r#"ProtoField.uint16("chat.Ping.seq", "seq""#));
//! assert!(lua.contains(r#"ProtoField.string("chat.Ping.note", "note""#));
//! assert!(lua.contains("DissectorTable.get(\"tcp.port\"):add(9000"));
//! ```

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write;

use crate::header::{Header, StdHeader, WideHeader};
use crate::message::{FieldPresence, FieldShape, FieldWire, LenWire, Shape};
use crate::protocol::Protocol;

/// How a [`Header`] is parsed in the generated Lua.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderLua {
    /// A big-endian id of `id_bytes` bytes (0: no id, every frame is id 0),
    /// then the payload length in `len_bytes` bytes.
    Fixed {
        /// Bytes of the message id.
        id_bytes: u8,
        /// Bytes of the payload length.
        len_bytes: u8,
        /// The length is little-endian.
        little: bool,
    },
    /// The body of a Lua function `(tvb, off, avail)` returning
    /// `id, header_len, payload_len` for a whole header at `off`, or
    /// `nil, needed` (more bytes needed; `DESEGMENT_ONE_MORE_SEGMENT` when
    /// unknown), or `nil, 0` for bytes that are no header. Lengths are Lua
    /// numbers; the helpers `varint(tvb, off, stop)` and
    /// `vlq(tvb, off, stop)` return `UInt64 value, bytes` or `nil`.
    Function(&'static str),
}

/// A [`Header`] the dissector generator can parse in Lua.
pub trait DissectHeader: Header {
    /// Its Lua form.
    const LUA: HeaderLua;
}

impl DissectHeader for StdHeader {
    const LUA: HeaderLua = HeaderLua::Fixed {
        id_bytes: 1,
        len_bytes: 2,
        little: false,
    };
}

impl DissectHeader for WideHeader {
    const LUA: HeaderLua = HeaderLua::Fixed {
        id_bytes: 2,
        len_bytes: 4,
        little: false,
    };
}

/// Options of a generated dissector: its names and how Wireshark finds it.
///
/// See the [module docs](self) for an example.
#[derive(Debug, Clone)]
pub struct Dissector {
    name: String,
    title: String,
    ports: Vec<u16>,
    heuristic: bool,
}

/// Nested types deeper than this (a recursive type) are shown as bytes.
const MAX_DEPTH: usize = 8;

impl Dissector {
    /// A dissector registered as `name` (the filter name: `storage`, used
    /// as the prefix of every field) with the display title `title`,
    /// found by a TCP heuristic until [`Dissector::heuristic`] turns it off.
    pub fn new(name: &str, title: &str) -> Self {
        Dissector {
            name: name.to_string(),
            title: title.to_string(),
            ports: Vec::new(),
            heuristic: true,
        }
    }

    /// Registers the dissector for TCP port `port` too.
    pub fn port(mut self, port: u16) -> Self {
        self.ports.push(port);
        self
    }

    /// Whether a TCP heuristic claims conversations whose first bytes parse
    /// as a header of a known message id (on by default).
    pub fn heuristic(mut self, on: bool) -> Self {
        self.heuristic = on;
        self
    }

    /// The Lua script for protocol `P`: load it with
    /// `wireshark -X lua_script:FILE` or put it in Wireshark's plugin
    /// folder.
    pub fn lua<P: Protocol>(&self) -> String
    where
        P::Header: DissectHeader,
    {
        let mut g = Gen {
            name: &self.name,
            fields: Vec::new(),
            abbrevs: BTreeSet::new(),
        };
        let mut messages = String::new();
        let mut names = String::new();
        for m in P::MESSAGES {
            let table = g.fields_table(&(m.shape)(), m.name, 0);
            let _ = writeln!(
                messages,
                "M[{}] = {{ name = {}, fields = {} }}",
                m.id,
                lua_str(m.name),
                table
            );
            let _ = write!(names, "[{}] = {}, ", m.id, lua_str(m.name));
        }
        let mut out = String::new();
        let n = lua_str(&self.name);
        let _ = writeln!(
            out,
            "-- {} dissector generated by codec::wireshark from the protocol's layouts.\n\
             -- Load: tshark -X lua_script:{}.lua ...  Do not edit: regenerate.\n",
            self.title, self.name
        );
        let _ = writeln!(out, "local P = Proto({n}, {})", lua_str(&self.title));
        out.push_str(RUNTIME);
        let _ = writeln!(out, "local NAMES = {{ {names}}}");
        let _ = writeln!(
            out,
            "local F_ID = ProtoField.uint32({}, \"Message id\", base.DEC, NAMES)",
            lua_str(&format!("{}.id", self.name))
        );
        let _ = writeln!(
            out,
            "local F_LEN = ProtoField.uint64({}, \"Payload length\", base.DEC)",
            lua_str(&format!("{}.len", self.name))
        );
        let _ = writeln!(
            out,
            "local F_RAW = ProtoField.bytes({}, \"Undescribed bytes\")",
            lua_str(&format!("{}.undescribed", self.name))
        );
        out.push_str("local PF = {}\n");
        for (i, decl) in g.fields.iter().enumerate() {
            let _ = writeln!(out, "PF[{}] = {decl}", i + 1);
        }
        out.push_str("local all = { F_ID, F_LEN, F_RAW }\nfor _, f in ipairs(PF) do all[#all + 1] = f end\nP.fields = all\n");
        out.push_str("local M = {}\n");
        out.push_str(&messages);
        out.push_str(&header_lua(P::Header::LUA));
        out.push_str(FRAMES);
        if self.heuristic {
            out.push_str(HEURISTIC);
        }
        for port in &self.ports {
            let _ = writeln!(out, "DissectorTable.get(\"tcp.port\"):add({port}, P)");
        }
        out
    }
}

/// Builds the field tables and collects the `ProtoField` declarations.
struct Gen<'a> {
    name: &'a str,
    fields: Vec<String>,
    abbrevs: BTreeSet<String>,
}

impl Gen<'_> {
    /// Declares a field at `path` (made unique) and returns its `PF[i]`.
    fn field(&mut self, path: &str, label: &str, ctor: &str, extra: &str) -> String {
        let mut abbrev = format!("{}.{path}", self.name);
        let mut n = 2;
        while self.abbrevs.contains(&abbrev) {
            abbrev = format!("{}.{path}_{n}", self.name);
            n += 1;
        }
        self.abbrevs.insert(abbrev.clone());
        self.fields.push(format!(
            "ProtoField.{ctor}({}, {}{extra})",
            lua_str(&abbrev),
            lua_str(label)
        ));
        format!("PF[{}]", self.fields.len())
    }

    /// `{ field, field, .. }` for a struct's fields, or `nil` when the
    /// shape is not a struct (its bytes are then shown).
    fn fields_table(&mut self, shape: &Shape, path: &str, depth: usize) -> String {
        match shape {
            Shape::Struct(fields) if depth < MAX_DEPTH => {
                let items: Vec<String> = fields
                    .iter()
                    .map(|f| self.field_entry(f, path, depth))
                    .collect();
                format!("{{ {} }}", items.join(", "))
            }
            _ => "nil".to_string(),
        }
    }

    /// One field: `{ n = name, w = wire, p = presence, le = bool, s = shape }`.
    fn field_entry(&mut self, f: &FieldShape, parent: &str, depth: usize) -> String {
        let name = f.layout.name;
        let path = format!("{parent}.{name}");
        let le = f.little;
        // Padding whose width depends on the input is not walked: it and
        // everything after it are shown as bytes.
        let presence = match f.presence {
            // Nor are bit fields (yet) and values depending on a parent's
            // context: they and what follows are bytes.
            _ if f.wire == (FieldWire::Pad { bytes: None })
                || matches!(
                    f.wire,
                    FieldWire::Bits { .. } | FieldWire::LenCtx { .. } | FieldWire::WithCtx
                ) =>
            {
                "\"unknown\"".to_string()
            }
            FieldPresence::Always => "nil".to_string(),
            FieldPresence::Byte => "\"byte\"".to_string(),
            FieldPresence::Null => "\"null\"".to_string(),
            FieldPresence::When(expr) => match when_lua(expr) {
                Some(code) => format!("function(c) return {code} end"),
                // A condition the translator does not know: the field and
                // everything after it are shown as bytes.
                None => "\"unknown\"".to_string(),
            },
        };
        let (wire, shape) = match f.wire {
            FieldWire::Magic(bytes) => {
                let pf = self.field(&path, name, "bytes", "");
                (
                    format!("{{ k = \"magic\", n = {} }}", bytes.len()),
                    format!("{{ k = \"opaque\", f = {pf} }}"),
                )
            }
            // Fixed padding is walked like magic: so many bytes, shown.
            FieldWire::Pad { bytes: Some(n) } => {
                let pf = self.field(&path, name, "bytes", "");
                (
                    format!("{{ k = \"magic\", n = {n} }}"),
                    format!("{{ k = \"opaque\", f = {pf} }}"),
                )
            }
            FieldWire::Base128 { vlq } => {
                let signed = matches!((f.shape)(), Shape::Int { signed: true, .. });
                let shape = if signed {
                    // Zigzag-mapped: shown as the wire value would mislead.
                    let pf = self.field(&path, name, "bytes", "");
                    format!("{{ k = \"opaque\", f = {pf} }}")
                } else {
                    let pf = self.field(&path, name, "uint64", ", base.DEC");
                    format!("{{ k = \"u64\", f = {pf} }}")
                };
                (format!("{{ k = \"b128\", vlq = {vlq} }}"), shape)
            }
            FieldWire::IntN { bytes, signed } => {
                let shape = self.int_shape(&path, name, bytes, signed, None);
                ("{ k = \"plain\" }".to_string(), shape)
            }
            w => {
                let shape = self.shape(&(f.shape)(), &path, name, depth, f.layout.width);
                (wire_lua(w), shape)
            }
        };
        format!(
            "{{ n = {}, w = {wire}, p = {presence}, le = {le}, s = {shape} }}",
            lua_str(name)
        )
    }

    fn int_shape(
        &mut self,
        path: &str,
        label: &str,
        bytes: u8,
        signed: bool,
        names: Option<String>,
    ) -> String {
        let (ctor, lua_kind) = match (bytes, signed) {
            (1, false) => ("uint8", "uint"),
            (2, false) => ("uint16", "uint"),
            (3, false) => ("uint24", "uint"),
            (4, false) => ("uint32", "uint"),
            (5..=8, false) => ("uint64", "uint64"),
            (1, true) => ("int8", "int"),
            (2, true) => ("int16", "int"),
            (3, true) => ("int24", "int"),
            (4, true) => ("int32", "int"),
            (5..=8, true) => ("int64", "int64"),
            _ => {
                let pf = self.field(path, label, "bytes", "");
                return format!("{{ k = \"opaque\", f = {pf}, width = {bytes} }}");
            }
        };
        let extra = match (&names, lua_kind) {
            (Some(names), "uint" | "int") => format!(", base.DEC, {names}"),
            _ => ", base.DEC".to_string(),
        };
        let pf = self.field(path, label, ctor, &extra);
        format!("{{ k = \"{lua_kind}\", b = {bytes}, f = {pf} }}")
    }

    /// The Lua shape table of a value at `path`.
    fn shape(
        &mut self,
        shape: &Shape,
        path: &str,
        label: &str,
        depth: usize,
        width: Option<usize>,
    ) -> String {
        if depth >= MAX_DEPTH {
            let pf = self.field(path, label, "bytes", "");
            return format!("{{ k = \"opaque\", f = {pf} }}");
        }
        match *shape {
            Shape::Int { bytes, signed } => self.int_shape(path, label, bytes, signed, None),
            Shape::Float { bytes } => {
                let ctor = if bytes == 4 { "float" } else { "double" };
                let pf = self.field(path, label, ctor, "");
                format!("{{ k = \"float\", b = {bytes}, f = {pf} }}")
            }
            Shape::Bool => {
                let pf = self.field(
                    path,
                    label,
                    "uint8",
                    ", base.DEC, { [0] = \"false\", [1] = \"true\" }",
                );
                format!("{{ k = \"uint\", b = 1, f = {pf} }}")
            }
            Shape::Text => {
                let pf = self.field(path, label, "string", ", base.UNICODE");
                format!("{{ k = \"text\", f = {pf} }}")
            }
            Shape::Seq(elem) | Shape::Array(elem, _) => {
                let n = match shape {
                    Shape::Array(_, n) => n.to_string(),
                    _ => "nil".to_string(),
                };
                let elem = elem();
                if matches!(elem, Shape::Int { bytes: 1, .. }) {
                    let pf = self.field(path, label, "bytes", "");
                    return format!("{{ k = \"bytes\", f = {pf}, n = {n} }}");
                }
                let pf = self.field(path, label, "none", "");
                // Elements are items of `path.item`; a struct's fields are
                // `path.field`.
                let e = match elem {
                    Shape::Struct(_) if depth + 1 < MAX_DEPTH => {
                        let item = self.field(&format!("{path}.item"), "item", "none", "");
                        let fields = self.fields_table(&elem, path, depth + 2);
                        format!("{{ k = \"struct\", f = {item}, fields = {fields} }}")
                    }
                    _ => self.shape(&elem, &format!("{path}.item"), "item", depth + 1, None),
                };
                format!("{{ k = \"seq\", f = {pf}, e = {e}, n = {n} }}")
            }
            Shape::Option(inner) => {
                let inner = self.shape(&inner(), path, label, depth + 1, None);
                format!("{{ k = \"option\", e = {inner} }}")
            }
            Shape::Struct(_) => {
                let pf = self.field(path, label, "none", "");
                let fields = self.fields_table(shape, path, depth + 1);
                format!("{{ k = \"struct\", f = {pf}, fields = {fields} }}")
            }
            Shape::Enum {
                repr: Some(repr),
                little,
                variants,
            } => {
                let mut names = String::from("{ ");
                let mut vs = String::from("{ ");
                let mut other = "nil".to_string();
                for v in variants {
                    if !v.other {
                        let _ = write!(names, "[{}] = {}, ", v.id, lua_str(v.name));
                    }
                }
                names.push('}');
                let disc = match repr {
                    LenWire::Int { bytes, signed } => {
                        self.int_shape(path, label, bytes, signed, Some(names))
                    }
                    LenWire::Varint | LenWire::Vlq => {
                        let pf = self.field(path, label, "uint64", ", base.DEC");
                        let vlq = matches!(repr, LenWire::Vlq);
                        format!("{{ k = \"u64b128\", vlq = {vlq}, f = {pf} }}")
                    }
                };
                for v in variants {
                    let vpath = format!("{path}.{}", v.name);
                    let fields = if v.fields.is_empty() {
                        "{}".to_string()
                    } else {
                        self.fields_table(&Shape::Struct(v.fields), &vpath, depth + 1)
                    };
                    let entry = format!("{{ name = {}, fields = {fields} }}", lua_str(v.name));
                    if v.other {
                        other = entry;
                    } else {
                        let _ = write!(vs, "[{}] = {entry}, ", v.id);
                    }
                }
                vs.push('}');
                format!("{{ k = \"enum\", d = {disc}, le = {little}, v = {vs}, other = {other} }}")
            }
            _ => {
                let pf = self.field(path, label, "bytes", "");
                let width = width.map_or("nil".to_string(), |w| w.to_string());
                format!("{{ k = \"opaque\", f = {pf}, width = {width} }}")
            }
        }
    }
}

/// The Lua table of a field's wire.
fn wire_lua(w: FieldWire) -> String {
    match w {
        FieldWire::Prefixed {
            len,
            adds,
            null,
            bytes,
        } => {
            let null = null.map_or("nil".to_string(), |n| n.to_string());
            format!(
                "{{ k = \"prefix\", len = {}, adds = {adds}, null = {null}, bytes = {bytes} }}",
                len_lua(len)
            )
        }
        FieldWire::LenFrom {
            holder,
            adds,
            bytes,
        } => {
            format!(
                "{{ k = \"lenfrom\", h = {}, adds = {adds}, bytes = {bytes} }}",
                lua_str(holder)
            )
        }
        FieldWire::Rest => "{ k = \"rest\" }".to_string(),
        FieldWire::Term(b) => format!("{{ k = \"term\", byte = {b} }}"),
        FieldWire::Padded { size, pad } => {
            format!("{{ k = \"padded\", size = {size}, pad = {pad} }}")
        }
        _ => "{ k = \"plain\" }".to_string(),
    }
}

fn len_lua(l: LenWire) -> String {
    match l {
        LenWire::Int { bytes, signed } => {
            format!("{{ k = \"int\", b = {bytes}, signed = {signed} }}")
        }
        LenWire::Varint => "{ k = \"varint\" }".to_string(),
        LenWire::Vlq => "{ k = \"vlq\" }".to_string(),
    }
}

fn header_lua(h: HeaderLua) -> String {
    match h {
        HeaderLua::Fixed {
            id_bytes,
            len_bytes,
            little,
        } => format!(
            "local function header(tvb, off, avail)\n\
             \x20 local n = {id_bytes} + {len_bytes}\n\
             \x20 if avail < n then return nil, n - avail end\n\
             \x20 local id = 0\n\
             \x20 if {id_bytes} > 0 then id = num(tvb, off, {id_bytes}, false, false) end\n\
             \x20 return id, n, num(tvb, off + {id_bytes}, {len_bytes}, {little}, false)\n\
             end\n"
        ),
        HeaderLua::Function(body) => {
            format!("local function header(tvb, off, avail)\n{body}\nend\n")
        }
    }
}

/// A Lua string literal.
fn lua_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\{}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Translates a `when` condition (its Rust source text) to a Lua
/// expression over `c`, the values of the earlier fields; `None` for
/// anything beyond names, integers, comparisons and bit and logic
/// operators.
fn when_lua(expr: &str) -> Option<String> {
    let tokens = tokenize(expr)?;
    let mut p = ExprParser { tokens, pos: 0 };
    let (code, boolean) = p.binary(0)?;
    if p.pos != p.tokens.len() || !boolean {
        return None;
    }
    Some(code)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(u64),
    Name(String),
    Op(&'static str),
}

fn tokenize(s: &str) -> Option<Vec<Tok>> {
    const OPS: &[&str] = &[
        "<<", ">>", "==", "!=", "<=", ">=", "&&", "||", "&", "|", "^", "<", ">", "!", "(", ")",
    ];
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let text: String = s[start..i].chars().filter(|&c| c != '_').collect();
            let (radix, digits) = match text.get(..2) {
                Some("0x") => (16, &text[2..]),
                Some("0b") => (2, &text[2..]),
                Some("0o") => (8, &text[2..]),
                _ => (10, &text[..]),
            };
            // An integer suffix (`1u8`) may follow the digits.
            let end = digits
                .find(|c: char| !c.is_digit(radix))
                .unwrap_or(digits.len());
            if end < digits.len() && !is_int_suffix(&digits[end..]) {
                return None;
            }
            let v = u64::from_str_radix(&digits[..end], radix).ok()?;
            out.push(Tok::Num(v));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Tok::Name(s[start..i].to_string()));
        } else {
            let op = OPS.iter().find(|op| s[i..].starts_with(**op))?;
            out.push(Tok::Op(op));
            i += op.len();
        }
    }
    Some(out)
}

fn is_int_suffix(s: &str) -> bool {
    matches!(
        s,
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize"
    )
}

struct ExprParser {
    tokens: Vec<Tok>,
    pos: usize,
}

/// Binary operators by Rust precedence (higher binds tighter), with their
/// Lua form and whether they give a boolean.
const BINARY: &[(&str, u8, &str, bool)] = &[
    ("||", 1, "or", true),
    ("&&", 2, "and", true),
    ("==", 3, "==", true),
    ("!=", 3, "~=", true),
    ("<", 3, "<", true),
    ("<=", 3, "<=", true),
    (">", 3, ">", true),
    (">=", 3, ">=", true),
    ("|", 4, "bor", false),
    ("^", 5, "bxor", false),
    ("&", 6, "band", false),
    ("<<", 7, "shl", false),
    (">>", 7, "shr", false),
];

impl ExprParser {
    /// Parses operators of precedence at least `min`: (Lua code, is boolean).
    fn binary(&mut self, min: u8) -> Option<(String, bool)> {
        let mut lhs = self.unary()?;
        while let Some(Tok::Op(op)) = self.tokens.get(self.pos) {
            let Some(&(_, prec, lua, boolean)) = BINARY.iter().find(|(o, ..)| o == op) else {
                break;
            };
            if prec < min {
                break;
            }
            self.pos += 1;
            let rhs = self.binary(prec + 1)?;
            let logic = prec <= 2;
            // Logic takes booleans, everything else numbers.
            if logic != lhs.1 || logic != rhs.1 {
                return None;
            }
            lhs = if boolean {
                (format!("({} {lua} {})", lhs.0, rhs.0), true)
            } else {
                (format!("{lua}({}, {})", lhs.0, rhs.0), false)
            };
        }
        Some(lhs)
    }

    fn unary(&mut self) -> Option<(String, bool)> {
        let tok = self.tokens.get(self.pos)?.clone();
        self.pos += 1;
        match tok {
            Tok::Num(v) => Some((v.to_string(), false)),
            Tok::Name(n) if n == "true" || n == "false" => Some((n, true)),
            Tok::Name(n) => Some((format!("c[{}]", lua_str(&n)), false)),
            Tok::Op("!") => {
                let (code, boolean) = self.unary()?;
                boolean.then(|| (format!("(not {code})"), true))
            }
            Tok::Op("(") => {
                let inner = self.binary(0)?;
                (self.tokens.get(self.pos) == Some(&Tok::Op(")"))).then(|| {
                    self.pos += 1;
                    (format!("({})", inner.0), inner.1)
                })
            }
            Tok::Op(_) => None,
        }
    }
}

/// The interpreter every generated script shares: reads values by the
/// tables the generator writes.
const RUNTIME: &str = r#"
local function band(a, b) return UInt64.new(a):band(UInt64.new(b)):tonumber() end
local function bor(a, b) return UInt64.new(a):bor(UInt64.new(b)):tonumber() end
local function bxor(a, b) return UInt64.new(a):bxor(UInt64.new(b)):tonumber() end
local function shl(a, b) return UInt64.new(a):lshift(b):tonumber() end
local function shr(a, b) return UInt64.new(a):rshift(b):tonumber() end

-- An unsigned (or signed) integer of n bytes as a Lua number.
local function num(tvb, off, n, le, signed)
  local r = tvb(off, n)
  if n <= 4 then
    if signed then return le and r:le_int() or r:int() end
    return le and r:le_uint() or r:uint()
  end
  if signed then return (le and r:le_int64() or r:int64()):tonumber() end
  return (le and r:le_uint64() or r:uint64()):tonumber()
end

-- LEB128 at off: UInt64 value and bytes, or nil.
local function varint(tvb, off, stop)
  local v = UInt64.new(0)
  for i = 0, 9 do
    if off + i >= stop then return nil end
    local b = tvb(off + i, 1):uint()
    v = v:bor(UInt64.new(b % 128):lshift(7 * i))
    if b < 128 then return v, i + 1 end
  end
  return nil
end

-- Big-endian base-128 groups at off: UInt64 value and bytes, or nil.
local function vlq(tvb, off, stop)
  local v = UInt64.new(0)
  for i = 0, 9 do
    if off + i >= stop then return nil end
    local b = tvb(off + i, 1):uint()
    v = v:lshift(7):bor(UInt64.new(b % 128))
    if b < 128 then return v, i + 1 end
  end
  return nil
end

-- A length or discriminant: number and bytes, or nil.
local function readlen(tvb, off, stop, l, le)
  if l.k == "varint" or l.k == "vlq" then
    local v, n = (l.k == "varint" and varint or vlq)(tvb, off, stop)
    if v == nil then return nil end
    return v:tonumber(), n
  end
  if off + l.b > stop then return nil end
  return num(tvb, off, l.b, le, l.signed), l.b
end

local value, one

-- The fields of a struct, into tree; the next offset, or nil.
local function fields(tvb, off, stop, tree, list, c)
  for _, f in ipairs(list) do
    off = value(tvb, off, stop, tree, f, c)
    if off == nil then return nil end
  end
  return off
end

-- A value of shape s with a known extent: count elements (or bytes when
-- bytes_unit) from off; the next offset, or nil.
local function body(tvb, off, stop, tree, s, count, bytes_unit, c, name)
  if s.k == "text" or s.k == "bytes" or s.k == "opaque" then
    if off + count > stop then return nil end
    if s.k == "text" then
      tree:add(s.f, tvb(off, count), tvb(off, count):string(ENC_UTF_8))
    elseif count == 0 then
      tree:add(s.f, tvb(off, 0))
    else
      tree:add(s.f, tvb(off, count))
    end
    return off + count
  end
  if s.k == "seq" then
    local start = off
    local t = tree:add(s.f, tvb(off, 0))
    local i = 0
    while (bytes_unit and off < start + count) or (not bytes_unit and i < count) do
      off = one(tvb, off, bytes_unit and start + count or stop, t, s.e, c, name)
      if off == nil then return nil end
      i = i + 1
    end
    t:set_len(off - start)
    t:append_text(" (" .. i .. " items)")
    return off
  end
  -- Anything else inside a byte length: the value within those bytes.
  if off + count > stop then return nil end
  local next_off = one(tvb, off, off + count, tree, s, c, name)
  if next_off == nil then return nil end
  return off + count
end

-- One self-delimited value of shape s; the next offset, or nil.
function one(tvb, off, stop, tree, s, c, name, le)
  local k = s.k
  if k == "uint" or k == "int" or k == "uint64" or k == "int64" then
    if off + s.b > stop then return nil end
    local r = tvb(off, s.b)
    local v
    if s.b <= 4 then
      if k == "int" then v = le and r:le_int() or r:int() else v = le and r:le_uint() or r:uint() end
      c[name] = v
    else
      if k == "int64" then v = le and r:le_int64() or r:int64() else v = le and r:le_uint64() or r:uint64() end
      c[name] = v:tonumber()
    end
    tree:add(s.f, r, v)
    return off + s.b
  elseif k == "float" then
    if off + s.b > stop then return nil end
    if le then tree:add_le(s.f, tvb(off, s.b)) else tree:add(s.f, tvb(off, s.b)) end
    return off + s.b
  elseif k == "u64" or k == "u64b128" then
    return nil
  elseif k == "text" or k == "bytes" or k == "seq" then
    if s.n ~= nil then return body(tvb, off, stop, tree, s, s.n, false, c, name) end
    local v, n = varint(tvb, off, stop)
    if v == nil then return nil end
    return body(tvb, off + n, stop, tree, s, v:tonumber(), false, c, name)
  elseif k == "struct" then
    local t = tree:add(s.f, tvb(off, 0))
    if s.fields == nil then return nil end
    local next_off = fields(tvb, off, stop, t, s.fields, {})
    if next_off == nil then return nil end
    t:set_len(next_off - off)
    return next_off
  elseif k == "enum" then
    local d, n
    local t
    if s.d.k == "u64b128" then
      local v
      v, n = (s.d.vlq and vlq or varint)(tvb, off, stop)
      if v == nil then return nil end
      d = v:tonumber()
      t = tree:add(s.d.f, tvb(off, n), v)
    else
      if off + s.d.b > stop then return nil end
      n = s.d.b
      d = num(tvb, off, n, s.le, s.d.k == "int")
      t = tree:add(s.d.f, tvb(off, n), d)
    end
    c[name] = d
    local v = s.v[d] or s.other
    if v == nil then return nil end
    if s.v[d] == nil then t:append_text(" (" .. v.name .. ")") end
    if v.fields == nil then return nil end
    if #v.fields == 0 then return off + n end
    local next_off = fields(tvb, off + n, stop, t, v.fields, {})
    if next_off ~= nil then t:set_len(next_off - off) end
    return next_off
  elseif k == "option" then
    if off >= stop then return nil end
    local b = tvb(off, 1):uint()
    if b > 1 then return nil end
    if b == 0 then return off + 1 end
    return one(tvb, off + 1, stop, tree, s.e, c, name, le)
  elseif k == "opaque" then
    if s.width == nil or off + s.width > stop then return nil end
    tree:add(s.f, tvb(off, s.width))
    return off + s.width
  end
  return nil
end

-- One field: its presence, then its wire; the next offset, or nil.
function value(tvb, off, stop, tree, f, c)
  local w, s = f.w, f.s
  if f.p == "unknown" then return nil end
  if f.p == "byte" then
    if off >= stop then return nil end
    local b = tvb(off, 1):uint()
    if b > 1 then return nil end
    off = off + 1
    if b == 0 then c[f.n] = nil return off end
  elseif type(f.p) == "function" then
    local ok, present = pcall(f.p, c)
    if not ok then return nil end
    if not present then return off end
  end
  if w.k == "magic" then
    if off + w.n > stop then return nil end
    tree:add(s.f, tvb(off, w.n))
    return off + w.n
  elseif w.k == "b128" then
    local v, n = (w.vlq and vlq or varint)(tvb, off, stop)
    if v == nil then return nil end
    c[f.n] = v:tonumber()
    if s.k == "u64" then tree:add(s.f, tvb(off, n), v) else tree:add(s.f, tvb(off, n)) end
    return off + n
  elseif w.k == "prefix" then
    local l, n = readlen(tvb, off, stop, w.len, f.le)
    if l == nil then return nil end
    off = off + n
    if w.null ~= nil and l == w.null then return off end
    l = l - w.adds
    if l < 0 then return nil end
    return body(tvb, off, stop, tree, s, l, w.bytes or s.k == "text", c, f.n)
  elseif w.k == "lenfrom" then
    local l = c[w.h]
    if l == nil then return nil end
    l = l - w.adds
    if l < 0 then return nil end
    return body(tvb, off, stop, tree, s, l, w.bytes or s.k == "text", c, f.n)
  elseif w.k == "rest" then
    return body(tvb, off, stop, tree, s, stop - off, true, c, f.n)
  elseif w.k == "term" then
    local e = off
    while e < stop and tvb(e, 1):uint() ~= w.byte do e = e + 1 end
    if e >= stop then return nil end
    if body(tvb, off, e, tree, s, e - off, true, c, f.n) == nil then return nil end
    return e + 1
  elseif w.k == "padded" then
    if off + w.size > stop then return nil end
    if s.k == "text" or s.k == "bytes" then
      local e = off + w.size
      while e > off and tvb(e - 1, 1):uint() == w.pad do e = e - 1 end
      body(tvb, off, off + w.size, tree, s, e - off, true, c, f.n)
    elseif one(tvb, off, off + w.size, tree, s, c, f.n, f.le) == nil then
      return nil
    end
    return off + w.size
  end
  return one(tvb, off, stop, tree, s, c, f.n, f.le)
end
"#;

/// Frame splitting with TCP reassembly, and the payload walk.
const FRAMES: &str = r#"
local function frame(tvb, pinfo, tree, off, id, hl, pl)
  local t = tree:add(P, tvb(off, hl + pl))
  local m = M[id]
  local name = m and m.name or ("unknown id " .. id)
  t:append_text(", " .. name)
  t:add(F_ID, tvb(off, hl), id)
  t:add(F_LEN, tvb(off, hl), UInt64.new(pl))
  local start = off + hl
  local stop = start + pl
  local done = nil
  if m ~= nil and m.fields ~= nil then
    local mt = t:add(P, tvb(start, pl), name)
    local ok, r = pcall(fields, tvb, start, stop, mt, m.fields, {})
    if ok then done = r end
    if done ~= nil and done ~= stop then done = nil end
    if done == nil then
      -- Not the layout (or past what the metadata describes): the bytes.
      t:add(F_RAW, tvb(start, pl))
    end
  elseif pl > 0 then
    t:add(F_RAW, tvb(start, pl))
  end
  return name
end

function P.dissector(tvb, pinfo, tree)
  local len = tvb:len()
  local off = 0
  local names = {}
  while off < len do
    -- A custom header's Lua may throw on odd bytes: then it is no header.
    local ok, id, hl, pl = pcall(header, tvb, off, len - off)
    if not ok then return 0 end
    if id == nil then
      if hl == 0 then return 0 end
      pinfo.desegment_offset = off
      pinfo.desegment_len = hl
      break
    end
    if pl > len - off - hl then
      pinfo.desegment_offset = off
      pinfo.desegment_len = hl + pl - (len - off)
      break
    end
    names[#names + 1] = frame(tvb, pinfo, tree, off, id, hl, pl)
    off = off + hl + pl
  end
  if #names > 0 then
    pinfo.cols.protocol = P.name
    pinfo.cols.info = table.concat(names, ", ")
  end
  return len
end
"#;

/// A TCP heuristic: the first bytes are a header of a known message id.
const HEURISTIC: &str = r#"
local function heuristic(tvb, pinfo, tree)
  local ok, id, hl, pl = pcall(header, tvb, 0, tvb:len())
  if not ok or id == nil or M[id] == nil then return false end
  pinfo.conversation = P
  P.dissector(tvb, pinfo, tree)
  return true
end
P:register_heuristic("tcp", heuristic)
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_conditions_translate_or_refuse() {
        assert_eq!(
            when_lua("flags & 1 != 0").as_deref(),
            Some("(band(c[\"flags\"], 1) ~= 0)")
        );
        assert_eq!(
            when_lua("version >= 2 && !(kind == 0x10)").as_deref(),
            Some("((c[\"version\"] >= 2) and (not ((c[\"kind\"] == 16))))")
        );
        assert_eq!(when_lua("x.is_some()"), None);
        assert_eq!(when_lua("flags & 1"), None, "not a condition");
        assert_eq!(when_lua("a && 1"), None, "logic on a number");
    }

    /// A hand-written `Encode`: its shape is unknown.
    struct Opaque;
    impl crate::Encode for Opaque {
        fn encoded_len(&self) -> usize {
            0
        }
        fn encode_with<S: crate::Sink + ?Sized>(
            &self,
            _: &mut S,
            _: crate::Endian,
        ) -> Result<(), crate::EncodeError> {
            Ok(())
        }
    }
    impl crate::Decode<'_> for Opaque {
        fn decode_with(
            _: &mut crate::Reader<'_>,
            _: crate::Endian,
        ) -> Result<Self, crate::DecodeError> {
            Ok(Opaque)
        }
    }

    #[derive(crate::Encode, crate::Decode)]
    struct Item {
        #[codec(term)]
        label: String,
    }

    #[derive(crate::Encode, crate::Decode)]
    #[codec(repr = u16)]
    enum Choice {
        #[codec(id = 7)]
        Plain,
        #[codec(id = 9)]
        With(#[codec(len = u8)] String),
    }

    #[derive(crate::Encode, crate::Decode, crate::Message)]
    #[codec(id = 0x0102)]
    #[allow(dead_code, reason = "only its layout is read")]
    struct Everything {
        #[codec(endian = "little")]
        small: u32,
        #[codec(bytes = 3)]
        three: u32,
        maybe: Option<u8>,
        count: u8,
        #[codec(len_from = count)]
        items: Vec<Item>,
        #[codec(size = 8, pad = 0x20)]
        padded: String,
        choice: Choice,
        opaque: Opaque,
    }

    #[derive(crate::Protocol)]
    #[codec(header = crate::WideHeader)]
    enum Wide {
        Everything(Everything),
    }

    #[test]
    fn every_attribute_reaches_the_lua_tables() {
        let lua = Dissector::new("wide", "Wide")
            .heuristic(false)
            .lua::<Wide>();
        let has = |needle: &str| assert!(lua.contains(needle), "missing {needle:?} in\n{lua}");
        // The header: u16 id, u32 length; the message by its id.
        has("local n = 2 + 4");
        has("M[258] = { name = \"Everything\"");
        has(r#"ProtoField.uint32("wide.Everything.small", "small", base.DEC)"#);
        has(r#"{ n = "small", w = { k = "plain" }, p = nil, le = true"#);
        has(r#"ProtoField.uint24("wide.Everything.three""#);
        has(
            r#"{ n = "maybe", w = { k = "plain" }, p = nil, le = false, s = { k = "option", e = { k = "uint", b = 1"#,
        );
        has(r#"w = { k = "lenfrom", h = "count", adds = 0, bytes = false }"#);
        has(r#"ProtoField.none("wide.Everything.items.item", "item")"#);
        has(r#"ProtoField.string("wide.Everything.items.label", "label", base.UNICODE)"#);
        has(r#"w = { k = "term", byte = 0 }"#);
        has(r#"w = { k = "padded", size = 8, pad = 32 }"#);
        has(
            r#"ProtoField.uint16("wide.Everything.choice", "choice", base.DEC, { [7] = "Plain", [9] = "With", })"#,
        );
        has(r#"ProtoField.string("wide.Everything.choice.With.0""#);
        // Unknown to the metadata: bytes, with no width to go on.
        has(r#"ProtoField.bytes("wide.Everything.opaque", "opaque")"#);
        let opaque = lua.find(r#"{ n = "opaque""#).expect("the opaque field");
        assert!(lua[opaque..].starts_with(r#"{ n = "opaque", w = { k = "plain" }, p = nil, le = false, s = { k = "opaque", f = PF["#));
        assert!(lua[opaque..].contains("], width = nil } }"));
        assert!(!lua.contains("register_heuristic"));
    }

    #[test]
    fn lua_strings_are_escaped() {
        assert_eq!(lua_str("a\"b\\c\n"), "\"a\\\"b\\\\c\\10\"");
    }
}
