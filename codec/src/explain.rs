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

use alloc::string::String;
use core::fmt::Display;

use crate::error::DecodeError;
#[doc(no_inline)]
pub use crate::explainer::Explainer;
use crate::frame::read_head;
use crate::header::Header;
use crate::protocol::DecodeProtocol;
use crate::reader::Reader;

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
///     fn encode_payload<S: codec::Sink + ?Sized>(&self, buf: &mut S) -> Result<(), EncodeError> {
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
    let result = P::explain_framed(header, head.id, &mut r, ex);
    // An early return may have left fields pushed; notes go at the top.
    ex.clear_path();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::whole_frame_tests::{STORE_REQUEST, STORE_RESPONSE};
    use crate::sink::Sink;
    use crate::test_protocol::Storage;

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
            fn write<S: Sink + ?Sized>(_: u64, _: usize, _: &mut S) -> Result<(), EncodeError> {
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
            fn encode_payload<S: Sink + ?Sized>(&self, _: &mut S) -> Result<(), EncodeError> {
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
