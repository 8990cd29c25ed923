//! Annotated hex dumps of frames: [`explain`] and the [`Explainer`] that
//! generated code fills in, one line per field.
//!
//! ```text
//! 0000  01           header.id = 0x01 (StoreRequest)
//! 0001  00 0c        header.len = 12
//! 0003  07           StoreRequest.trans = 7
//! 0004  03           StoreRequest.name.len = 3
//! 0005  6b 65 79     StoreRequest.name = "key"
//! 0008  00 05        StoreRequest.data.len = 5
//! 000a  68 65 6c 6c  StoreRequest.data = [68 65 6c 6c 6f]
//! 000e  6f
//! ```
//!
//! Each line is the offset of its first byte in the frame (4 hex digits, more
//! when needed), up to [`Explainer::BYTES_PER_ROW`] bytes in hex, the field
//! path, and the value. Longer runs continue on rows of their own, and runs
//! longer than [`Explainer::MAX_ROWS`] rows are cut short with `…`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Display, Write as _};

use crate::error::DecodeError;
use crate::frame::read_head;
use crate::header::Header;
use crate::protocol::{DecodeProtocol, Protocol};
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
/// Generated code keeps a path of field names with [`Explainer::push`] and
/// [`Explainer::pop`] and records each field's bytes with
/// [`Explainer::line`], which labels them with the current path. Code that
/// returns early on an error need not pop: [`explain`] starts its own notes
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

/// An annotated hex dump of one frame of protocol `P`: the header's fields,
/// then each payload field with its path and value, as described by
/// [`DecodeProtocol::explain_payload`].
///
/// `explain` never fails: a frame that does not decode is dumped up to the
/// error, followed by an `error` line and the bytes not explained. Offsets
/// are those of `frame`.
///
/// ```
/// # use codec::{explain, DecodeError, DecodeProtocol, EncodeError, Protocol, Reader, StdHeader};
/// // A protocol whose only message is an opaque blob (id 9).
/// struct Blob(Vec<u8>);
/// impl Protocol for Blob {
///     type Header = StdHeader;
///     fn id(&self) -> u64 { 9 }
///     fn name(&self) -> &'static str { "Blob" }
///     fn name_of(id: u64) -> Option<&'static str> { (id == 9).then_some("Blob") }
///     fn payload_len(&self) -> usize { self.0.len() }
///     fn encode_payload(&self, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
///         buf.extend_from_slice(&self.0);
///         Ok(())
///     }
/// }
/// impl<'de> DecodeProtocol<'de> for Blob {
///     fn decode_payload(_: u64, payload: &mut Reader<'de>) -> Result<Self, DecodeError> {
///         Ok(Blob(payload.take_rest().to_vec()))
///     }
/// }
///
/// assert_eq!(
///     explain::<Blob>(&[0x09, 0x00, 0x02, 0xAB, 0xCD]),
///     "0000  09           header.id = 0x09 (Blob)\n\
///      0001  00 02        header.len = 2\n\
///      0003  ab cd        Blob = 2 bytes\n"
/// );
/// ```
pub fn explain<'de, P: DecodeProtocol<'de>>(frame: &'de [u8]) -> String {
    let mut ex = Explainer::new();
    explain_into::<P>(frame, &mut ex);
    ex.render()
}

fn explain_into<'de, P: DecodeProtocol<'de>>(frame: &'de [u8], ex: &mut Explainer) {
    // The header step of the frame split; the payload is cut here rather
    // than by `split_frame`, so that a short payload is still dumped.
    let mut r = Reader::new(frame);
    let head = match read_head::<P::Header>(&mut r) {
        Ok(head) => head,
        Err(e) => {
            return match e.bytes_needed() {
                Some(needed) => note_rest(
                    ex,
                    frame,
                    0,
                    <P::Header as Header>::NAME,
                    format_args!("incomplete header (need {needed} more bytes)"),
                ),
                None => note_rest(ex, frame, 0, "error", e),
            };
        }
    };
    let (header, rest) = frame.split_at(head.header_len);
    <P::Header as Header>::explain(header, &head, P::name_of(head.id), ex);

    let declared = usize::try_from(head.payload_len).unwrap_or(usize::MAX);
    let (payload, trailing) = rest.split_at(declared.min(rest.len()));
    let mut r = Reader::with_offset(payload, head.header_len);
    let result = P::explain_payload(head.id, &mut r, ex);
    // An early return may have left fields pushed; notes go at the top.
    ex.path.clear();
    match result {
        Err(e) => note_decode_error(ex, &r, e),
        Ok(()) if !r.is_empty() => {
            let used = r.offset() - head.header_len;
            ex.push("error");
            ex.line(
                r.offset(),
                r.peek(),
                format_args!(
                    "header declares {} payload bytes, message used {used}",
                    head.payload_len
                ),
            );
            ex.pop();
        }
        Ok(()) => {}
    }
    if payload.len() < declared {
        ex.push("error");
        ex.line(
            frame.len(),
            &[],
            format_args!(
                "frame truncated: {} of {} payload bytes present",
                payload.len(),
                head.payload_len
            ),
        );
        ex.pop();
    }
    if !trailing.is_empty() {
        ex.push("trailing");
        ex.line(
            head.header_len + payload.len(),
            trailing,
            format_args!("{} bytes after the frame", trailing.len()),
        );
        ex.pop();
    }
}

fn note_decode_error(ex: &mut Explainer, r: &Reader<'_>, e: DecodeError) {
    ex.push("error");
    ex.line(e.offset(), &[], &e);
    ex.pop();
    if !r.is_empty() {
        ex.push("unexplained");
        ex.line(
            r.offset(),
            r.peek(),
            format_args!("{} bytes", r.remaining()),
        );
        ex.pop();
    }
}

fn note_rest(
    ex: &mut Explainer,
    frame: &[u8],
    at: usize,
    label: &'static str,
    value: impl Display,
) {
    let rest = frame.get(at..).unwrap_or(&[]);
    ex.push(label);
    ex.line(at, rest, value);
    ex.pop();
}

/// Used by [`DecodeProtocol::explain_payload`]'s default: decodes the
/// payload and shows it as one run labelled with the message name.
pub(crate) fn explain_whole<'de, P: DecodeProtocol<'de>>(
    id: u64,
    payload: &mut Reader<'de>,
    ex: &mut Explainer,
) -> Result<(), DecodeError> {
    let start = payload.offset();
    let bytes = payload.peek();
    let msg = P::decode_payload(id, payload)?;
    let used = &bytes[..payload.offset() - start];
    ex.push(Protocol::name(&msg));
    ex.line(start, used, format_args!("{} bytes", used.len()));
    ex.pop();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::whole_frame_tests::{STORE_REQUEST, STORE_RESPONSE};
    use crate::test_protocol::Storage;
    use alloc::string::ToString;
    use alloc::vec;

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
    fn explain_snapshot_of_the_tutorial_frame() {
        assert_eq!(
            explain::<Storage>(&STORE_REQUEST),
            "\
0000  01           header.id = 0x01 (StoreRequest)
0001  00 0c        header.len = 12
0003  07           StoreRequest.trans = 7
0004  03           StoreRequest.name.len = 3
0005  6b 65 79     StoreRequest.name = \"key\"
0008  00 05        StoreRequest.data.len = 5
000a  68 65 6c 6c  StoreRequest.data = [68 65 6c 6c 6f]
000e  6f
"
        );
    }

    #[test]
    fn explain_shows_errors_and_leftovers() {
        let mut frame = STORE_REQUEST.to_vec();
        frame[2] = 13;
        frame.extend_from_slice(&[0xEE, 0x01]);
        let out = explain::<Storage>(&frame);
        assert!(
            out.contains(
                "000f  ee           error = header declares 13 payload bytes, message used 12\n"
            ),
            "{out}"
        );
        assert!(
            out.contains("0010  01           trailing = 1 bytes after the frame\n"),
            "{out}"
        );

        let out = explain::<Storage>(&[0x09, 0x00, 0x01, 0x00]);
        assert!(
            out.starts_with("0000  09           header.id = 0x09 (unknown)\n"),
            "{out}"
        );
        assert!(
            out.contains("error = unknown message id 0x9 at byte 3\n"),
            "{out}"
        );
        assert!(
            out.contains("0003  00           unexplained = 1 bytes\n"),
            "{out}"
        );

        let out = explain::<Storage>(&[0x01, 0x00]);
        assert_eq!(
            out,
            "0000  01 00        StdHeader = incomplete header (need 1 more bytes)\n"
        );

        let out = explain::<Storage>(&STORE_REQUEST[..6]);
        assert!(
            out.contains("error = frame truncated: 3 of 12 payload bytes present"),
            "{out}"
        );
    }

    #[test]
    fn explain_default_is_one_run_per_message() {
        // StoreResponse does not override explain: one line for the payload.
        let out = explain::<Storage>(&STORE_RESPONSE);
        assert_eq!(
            out,
            "0000  02           header.id = 0x02 (StoreResponse)\n\
             0001  00 06        header.len = 6\n\
             0003  07 03 6b 65  StoreResponse = 6 bytes\n\
             0007  79 00\n"
        );
    }

    #[test]
    fn a_header_the_frame_split_rejects_is_dumped_as_its_error() {
        use crate::header::{FrameHead, Parsed};
        use crate::{EncodeError, Protocol};

        /// A buggy header: claims `bytes[0]` bytes, whatever it was given.
        struct Claims;
        impl Header for Claims {
            const NAME: &'static str = "Claims";
            const MAX_ID: u64 = 0;
            const MAX_LEN: u64 = 0;
            fn encoded_len(_: u64, _: usize) -> usize {
                1
            }
            fn write(_: u64, _: usize, _: &mut Vec<u8>) -> Result<(), EncodeError> {
                Ok(())
            }
            fn parse(bytes: &[u8]) -> Result<Parsed, DecodeError> {
                Ok(Parsed::Complete(FrameHead {
                    id: 0,
                    header_len: usize::from(bytes[0]),
                    payload_len: 0,
                }))
            }
        }
        struct Empty;
        impl Protocol for Empty {
            type Header = Claims;
            fn id(&self) -> u64 {
                0
            }
            fn name(&self) -> &'static str {
                "Empty"
            }
            fn payload_len(&self) -> usize {
                0
            }
            fn encode_payload(&self, _: &mut Vec<u8>) -> Result<(), EncodeError> {
                Ok(())
            }
        }
        impl DecodeProtocol<'_> for Empty {
            fn decode_payload(_: u64, _: &mut Reader<'_>) -> Result<Self, DecodeError> {
                Ok(Empty)
            }
        }
        // More header than there are bytes: what `split_frame` says, that
        // the header is incomplete.
        assert_eq!(
            explain::<Empty>(&[4, 0]),
            "0000  04 00        Claims = incomplete header (need 2 more bytes)\n"
        );
        // An empty header would never advance: an error.
        assert_eq!(
            explain::<Empty>(&[0, 0]),
            "0000  00 00        error = header parser returned an empty header at byte 0 in Claims\n"
        );
        assert_eq!(
            explain::<Empty>(&[1]),
            "0000  01           header = id 0x00 (unknown) len 0\n\
             0001               Empty = 0 bytes\n"
        );
    }
}
