//! The [`Explainer`]: the annotated lines of a hex dump, labelled with a
//! path of field names, and their rendering. Decoders fill it in (through
//! [`Decode::explain_with`](crate::Decode::explain_with) and the derive's
//! tracer); [`explain`](crate::explain()) drives it over a whole frame.
//!
//! A leaf: it knows the [`Reader`] it records from, nothing of decoding.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Display, Write as _};

use crate::error::DecodeError;
use crate::reader::Reader;

/// One step of an [`Explainer`] path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg {
    Name(&'static str),
    Index(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    offset: usize,
    bytes: Vec<u8>,
    label: String,
    value: String,
}

/// Collects the annotated lines of a hex dump and renders them.
///
/// Decoders keep a path of field names with [`Explainer::push`] and
/// [`Explainer::pop`] and record each field's bytes with
/// [`Explainer::line`], which labels them with the current path (derived
/// decoders do so through their tracer). Code that returns early on an
/// error need not pop: [`explain`](crate::explain()) starts its own notes
/// from an empty path.
///
/// ```
/// use codec::Explainer;
///
/// let frame = [0x07, 0x03, b'k', b'e', b'y'];
/// let mut ex = Explainer::new();
/// ex.push("StoreRequest");
/// ex.push("trans");
/// ex.line(0, &frame[..1], 7);
/// ex.pop();
/// ex.push("name");
/// ex.push("len");
/// ex.line(1, &frame[1..2], 3);
/// ex.pop();
/// ex.line(2, &frame[2..], "\"key\"");
/// ex.pop();
/// ex.pop();
/// assert_eq!(
///     ex.render(),
///     "0000  07           StoreRequest.trans = 7\n\
///      0001  03           StoreRequest.name.len = 3\n\
///      0002  6b 65 79     StoreRequest.name = \"key\"\n"
/// );
/// ```
#[derive(Debug, Clone, Default)]
pub struct Explainer {
    path: Vec<Seg>,
    lines: Vec<Line>,
}

impl Explainer {
    /// Bytes shown in hex on one row.
    pub const BYTES_PER_ROW: usize = 4;
    /// Rows one line may take; a longer run shows its first
    /// `MAX_ROWS - 1` rows, then a `…` row saying how many bytes were left out.
    pub const MAX_ROWS: usize = 4;
    /// Characters of a value shown before it is cut short with `…`.
    pub const MAX_VALUE_CHARS: usize = 64;

    /// An empty dump.
    pub fn new() -> Self {
        Self::default()
    }

    /// Enters a field (or a type name, at the top): later lines are labelled
    /// `outer.seg`.
    pub fn push(&mut self, seg: &'static str) {
        self.path.push(Seg::Name(seg));
    }

    /// Enters element `index` of a sequence: later lines are labelled
    /// `outer[index]`.
    pub fn push_index(&mut self, index: usize) {
        self.path.push(Seg::Index(index));
    }

    /// Leaves the innermost field or index; does nothing at the top.
    pub fn pop(&mut self) {
        self.path.pop();
    }

    /// Leaves every field: later lines are labelled from the top. Code
    /// that returned early on an error may have left fields entered.
    pub(crate) fn clear_path(&mut self) {
        self.path.clear();
    }

    /// Reads with `f` and records one line for the bytes it took, showing
    /// the value.
    ///
    /// # Errors
    ///
    /// Whatever `f` returns; nothing is recorded then.
    #[inline]
    pub(crate) fn leaf<'de, T: Display>(
        &mut self,
        r: &mut Reader<'de>,
        f: impl FnOnce(&mut Reader<'de>) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        self.recorded(r, f, |value, out| value.fmt(out))
    }

    /// Reads with `f` and records one line for the bytes it took, showing
    /// the type's name (for values with no natural one-line form).
    ///
    /// # Errors
    ///
    /// Whatever `f` returns; nothing is recorded then.
    pub(crate) fn opaque<'de, T>(
        &mut self,
        r: &mut Reader<'de>,
        f: impl FnOnce(&mut Reader<'de>) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        self.recorded(r, f, |_, out| {
            write!(out, "<")?;
            short_type_name(core::any::type_name::<T>(), out)?;
            write!(out, ">")
        })
    }

    /// Reads with `f` and records one line for the bytes it took, showing
    /// the value as `show` has it.
    ///
    /// # Errors
    ///
    /// Whatever `f` returns; nothing is recorded then.
    #[inline]
    pub(crate) fn recorded<'de, T>(
        &mut self,
        r: &mut Reader<'de>,
        f: impl FnOnce(&mut Reader<'de>) -> Result<T, DecodeError>,
        show: fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result,
    ) -> Result<T, DecodeError> {
        /// A value as `show` has it.
        struct Shown<'a, T>(&'a T, fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result);
        impl<T> Display for Shown<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                (self.1)(self.0, f)
            }
        }
        let (start, all) = (r.offset(), r.peek());
        let value = f(r)?;
        self.line(start, &all[..r.offset() - start], Shown(&value, show));
        Ok(value)
    }

    /// Reads `count` raw bytes and records them as `5 bytes "hello"`, or
    /// just the count when the bytes are not text.
    ///
    /// # Errors
    ///
    /// Fewer than `count` bytes left.
    pub(crate) fn bytes<'de>(
        &mut self,
        r: &mut Reader<'de>,
        count: usize,
    ) -> Result<&'de [u8], DecodeError> {
        let start = r.offset();
        let bytes = r.take(count)?;
        self.line(start, bytes, BytesValue(bytes));
        Ok(bytes)
    }

    /// Records that `bytes`, starting at frame offset `start`, hold `value`,
    /// labelled with the current path. `bytes` may be empty (a zero-length
    /// field).
    pub fn line(&mut self, start: usize, bytes: &[u8], value: impl Display) {
        let label = self.label();
        self.lines.push(Line {
            offset: start,
            bytes: bytes.to_vec(),
            label,
            value: short_value(value),
        });
    }

    /// Records the bit field `name`: the bytes of `run` (read at offset
    /// `at`) that hold its `width` bits from bit `first`, showing its value
    /// and where its bits are: `3 (bits 0011....)`.
    #[allow(clippy::too_many_arguments)] // the tracer's `bits`, passed on
    pub(crate) fn bit_field(
        &mut self,
        name: &'static str,
        at: usize,
        run: &[u8],
        first: u32,
        width: u32,
        lsb: bool,
        raw: u64,
    ) {
        let (lo, hi) = (first / 8, (first + width).div_ceil(8));
        let (lo, hi) = (lo as usize, (hi as usize).min(run.len()));
        let mut picture = String::new();
        for byte in lo..hi {
            if byte > lo {
                picture.push(' ');
            }
            for shown in 0..8u32 {
                // The stream position of the bit drawn at `shown` (drawn
                // most significant first, as binary is written).
                let pos = byte as u32 * 8 + if lsb { 7 - shown } else { shown };
                picture.push(match pos.checked_sub(first) {
                    Some(j) if j < width => {
                        let bit = if lsb { j } else { width - 1 - j };
                        if (raw >> bit) & 1 == 1 {
                            '1'
                        } else {
                            '0'
                        }
                    }
                    _ => '.',
                });
            }
        }
        self.push(name);
        self.line(
            at + lo,
            run.get(lo..hi).unwrap_or(&[]),
            format!("{raw} (bits {picture})"),
        );
        self.pop();
    }

    /// The dump, one line per [`Explainer::line`] in the order recorded,
    /// each ending in `\n`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            // Writing to a String cannot fail.
            let _ = render_line(&mut out, line);
        }
        out
    }

    fn label(&self) -> String {
        let mut label = String::new();
        for seg in &self.path {
            match seg {
                Seg::Name(name) if label.is_empty() => label.push_str(name),
                Seg::Name(name) => {
                    label.push('.');
                    label.push_str(name);
                }
                Seg::Index(i) => {
                    let _ = write!(label, "[{i}]");
                }
            }
        }
        label
    }
}

/// The value's text, cut after [`Explainer::MAX_VALUE_CHARS`] characters.
fn short_value(value: impl Display) -> String {
    let mut text = format!("{value}");
    if let Some((cut, _)) = text.char_indices().nth(Explainer::MAX_VALUE_CHARS) {
        text.truncate(cut);
        text.push('…');
    }
    text
}

const HEX_WIDTH: usize = Explainer::BYTES_PER_ROW * 3 - 1;

fn render_line(out: &mut String, line: &Line) -> fmt::Result {
    let rows = line.bytes.chunks(Explainer::BYTES_PER_ROW).count().max(1);
    let shown = if rows > Explainer::MAX_ROWS {
        Explainer::MAX_ROWS - 1
    } else {
        rows
    };
    for row in 0..shown {
        let start = row * Explainer::BYTES_PER_ROW;
        let end = (start + Explainer::BYTES_PER_ROW).min(line.bytes.len());
        let mut hex = String::with_capacity(HEX_WIDTH);
        for (i, b) in line.bytes[start..end].iter().enumerate() {
            if i > 0 {
                hex.push(' ');
            }
            write!(hex, "{b:02x}")?;
        }
        write!(out, "{:04x}  ", line.offset + start)?;
        if row == 0 {
            writeln!(out, "{hex:<HEX_WIDTH$}  {} = {}", line.label, line.value)?;
        } else {
            writeln!(out, "{}", hex)?;
        }
    }
    if shown < rows {
        let at = shown * Explainer::BYTES_PER_ROW;
        writeln!(
            out,
            "{:04x}  {:<HEX_WIDTH$}  ({} more bytes)",
            line.offset + at,
            "…",
            line.bytes.len() - at
        )?;
    }
    Ok(())
}

/// How an explained run of bytes reads: `5 bytes "hello"`, or just the
/// count when the bytes are not text.
struct BytesValue<'a>(&'a [u8]);

impl Display for BytesValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(f, "{n} byte{}", if n == 1 { "" } else { "s" })?;
        match core::str::from_utf8(self.0) {
            Ok(text) if !text.is_empty() && !text.chars().any(char::is_control) => {
                write!(f, " {text:?}")
            }
            _ => Ok(()),
        }
    }
}

/// Writes a type name without its module paths:
/// `alloc::vec::Vec<my_crate::pg::Column>` as `Vec<Column>`.
fn short_type_name(name: &str, out: &mut dyn core::fmt::Write) -> core::fmt::Result {
    let mut rest = name;
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let (path, tail) = rest.split_at(end);
        out.write_str(path.rsplit("::").next().unwrap_or(path))?;
        let delim = tail.chars().next().map_or(0, char::len_utf8);
        out.write_str(&tail[..delim])?;
        rest = &tail[delim..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    #[test]
    fn bit_fields_show_their_bits() {
        let mut ex = Explainer::new();
        ex.push("H");
        // 0x81 0x80: a 1-bit field, a 4-bit field, then a 12-bit one across bytes.
        ex.bit_field("qr", 2, &[0x81, 0x80], 0, 1, false, 1);
        ex.bit_field("op", 2, &[0x81, 0x80], 1, 4, false, 0);
        ex.bit_field("rest", 2, &[0x81, 0x80], 4, 12, false, 0x180);
        ex.bit_field("low", 2, &[0x81, 0x80], 0, 3, true, 1);
        assert_eq!(
            ex.render(),
            "0002  81           H.qr = 1 (bits 1.......)\n\
             0002  81           H.op = 0 (bits .0000...)\n\
             0002  81 80        H.rest = 384 (bits ....0001 10000000)\n\
             0002  81           H.low = 1 (bits .....001)\n"
        );
    }

    #[test]
    fn rows_wrap_and_elide() {
        let mut ex = Explainer::new();
        ex.push("M");
        ex.push("data");
        ex.line(0x10, b"hello", "\"hello\"");
        ex.line(0, &[], "empty");
        ex.line(0x20, &[0xAA; 40], "40 bytes");
        assert_eq!(
            ex.render(),
            "0010  68 65 6c 6c  M.data = \"hello\"\n\
             0014  6f\n\
             0000               M.data = empty\n\
             0020  aa aa aa aa  M.data = 40 bytes\n\
             0024  aa aa aa aa\n\
             0028  aa aa aa aa\n\
             002c  …            (28 more bytes)\n"
        );
    }

    #[test]
    fn exactly_max_rows_is_not_elided() {
        let mut ex = Explainer::new();
        ex.push("x");
        ex.line(0, &[1; 16], 0);
        let out = ex.render();
        assert_eq!(out.lines().count(), 4);
        assert!(!out.contains('…'));
    }

    #[test]
    fn paths_with_indices_and_pop_at_top() {
        let mut ex = Explainer::new();
        ex.pop(); // harmless
        ex.push("Dir");
        ex.push("entries");
        ex.push_index(3);
        ex.push("name");
        ex.line(0x1_0000, &[1], 1);
        ex.pop();
        ex.pop();
        ex.line(2, &[2], 2);
        assert_eq!(
            ex.render(),
            "10000  01           Dir.entries[3].name = 1\n\
             0002  02           Dir.entries = 2\n"
        );
    }

    #[test]
    fn long_values_are_cut() {
        let mut ex = Explainer::new();
        ex.push("v");
        ex.line(0, &[0], "é".repeat(100));
        let out = ex.render();
        let value = out.trim_end().split(" = ").nth(1).unwrap();
        assert_eq!(value.chars().count(), Explainer::MAX_VALUE_CHARS + 1);
        assert!(value.ends_with('…'));
        assert_eq!(short_value("short"), "short");
        assert_eq!(short_value(12.to_string()), "12");
        let _ = vec![0u8];
    }

    #[test]
    fn type_names_lose_their_module_paths() {
        let short = |name: &str| {
            let mut out = String::new();
            super::short_type_name(name, &mut out).unwrap();
            out
        };
        assert_eq!(
            short("alloc::vec::Vec<my_crate::pg::Column>"),
            "Vec<Column>"
        );
        assert_eq!(
            short("(u8, core::option::Option<&str>)"),
            "(u8, Option<&str>)"
        );
        assert_eq!(short("[a::B; 4]"), "[B; 4]");
    }
}
