//! The fetch path without a copy per value: a DataRow is checked in the
//! read buffer with the derive's borrowed decoding ([`DataRowRef`]), then
//! its bytes are split off that buffer as a [`Bytes`] (a reference count,
//! no copy) and kept in a [`Row`] with the span of each column, as
//! tokio-postgres keeps a `Bytes` body and column ranges.
//!
//! `BackendCodec` is the reader's decoder: DataRow frames become
//! `Received::Row`, CopyData frames `Received::CopyData` (their body
//! is the rest of the message, any bytes: splitting the frame off is the
//! whole decoding), every other message is decoded by
//! [`ProtocolCodec`]`<`[`Backend`]`>` as before. A DataRow that does not
//! decode is left to that codec too, so its error (field path, byte
//! offset) is exactly the derived [`DataRow`]'s.

use std::fmt;

use bytes::{Buf as _, Bytes, BytesMut};
use codec::frame::{decode_payload_exact, split_frame, FrameError};
use codec::tokio::ProtocolCodec;
use codec::{Decode as _, Reader};
use tokio_util::codec::Decoder;

use super::wire::{Backend, Column, CopyData, DataRow, DataRowRef, PgHeader};

/// One row of a result, holding the DataRow message's bytes: reading a
/// value borrows from them, nothing is copied per column.
#[derive(Clone, PartialEq, Eq)]
pub struct Row {
    /// The DataRow's payload (after the type byte and length).
    body: Bytes,
    /// Each column's bytes in `body`, `None` for NULL.
    spans: Vec<Option<Span>>,
}

/// A column's bytes in a [`Row`]'s body, `start..end`. A payload is at
/// most `u32::MAX - 4` bytes (its Int32 length counts itself), so `u32`
/// offsets always fit. Aligned to 8 so that `Option<Span>` has
/// [`ColumnRef`](super::wire::ColumnRef)'s size and alignment: the spans
/// are then collected into the decoded row's own `Vec` (the standard
/// library's in-place `collect`), one allocation per row, not two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(align(8))]
struct Span {
    start: u32,
    end: u32,
}

impl Row {
    /// The number of columns.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True for a row of no columns.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Column `i`'s value, `None` for NULL.
    ///
    /// # Panics
    ///
    /// When `i >= self.len()`, as slice indexing does; [`Row::try_get`]
    /// does not.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        self.span(self.spans[i])
    }

    /// Column `i`'s value (`Some(None)` for NULL), or `None` when the row
    /// has no column `i`.
    pub fn try_get(&self, i: usize) -> Option<Option<&[u8]>> {
        self.spans.get(i).map(|&s| self.span(s))
    }

    /// Every column's value in order, `None` for NULL.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Option<&[u8]>> + '_ {
        self.spans.iter().map(|&s| self.span(s))
    }

    /// The owned message: every value copied into its own `Vec`.
    pub fn to_data_row(&self) -> DataRow {
        data_row(self.iter())
    }

    fn span(&self, s: Option<Span>) -> Option<&[u8]> {
        s.map(|r| &self.body[r.start as usize..r.end as usize])
    }

    /// Splits one whole, valid DataRow frame of at most `max` payload
    /// bytes off the front of `src`; `None` (leaving `src` as it was) when
    /// the frame is not all there yet, is over `max`, or does not decode.
    fn split_from(src: &mut BytesMut, max: usize) -> Option<Row> {
        let (header_len, total, spans) = {
            let mut r = Reader::new(src);
            let (head, mut payload) = split_frame::<PgHeader>(&mut r).ok()?;
            if head.payload_len > max as u64 {
                return None;
            }
            let base = payload.peek().as_ptr() as usize;
            let row = decode_payload_exact(&mut payload, DataRowRef::decode).ok()?;
            let spans = row
                .columns
                .into_iter()
                .map(|c| {
                    c.value.map(|v| {
                        // Offsets within a payload of less than 4 GiB.
                        let start = (v.as_ptr() as usize - base) as u32;
                        Span {
                            start,
                            end: start + v.len() as u32,
                        }
                    })
                })
                .collect();
            (head.header_len, r.offset(), spans)
        };
        let mut frame = src.split_to(total);
        frame.advance(header_len);
        Some(Row {
            body: frame.freeze(),
            spans,
        })
    }
}

/// The owned DataRow of these values.
fn data_row<'a>(values: impl Iterator<Item = Option<&'a [u8]>>) -> DataRow {
    DataRow {
        columns: values
            .map(|v| Column {
                value: v.map(<[u8]>::to_vec),
            })
            .collect(),
    }
}

/// Splits the body of the whole frame at the front of `src`, if it is all
/// there and at most `max` bytes; `None` leaves `src` as it was.
fn split_body(src: &mut BytesMut, max: usize) -> Option<Bytes> {
    let (header_len, total) = {
        let mut r = Reader::new(src);
        let (head, _) = split_frame::<PgHeader>(&mut r).ok()?;
        if head.payload_len > max as u64 {
            return None;
        }
        (head.header_len, r.offset())
    };
    let mut frame = src.split_to(total);
    frame.advance(header_len);
    Some(frame.freeze())
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|v| v.map(String::from_utf8_lossy)))
            .finish()
    }
}

/// What the client's reader yields.
#[derive(Debug)]
pub(crate) enum Received {
    /// A DataRow, kept as its bytes.
    Row(Row),
    /// A CopyData's body, split off the read buffer.
    CopyData(Bytes),
    /// Any other message (or a DataRow that did not decode: never, since
    /// that is an error).
    Msg(Backend),
}

impl Received {
    /// The message as the derived [`Backend`] (a row copied into a
    /// [`DataRow`]): for the places that do not expect rows.
    pub(crate) fn into_backend(self) -> Backend {
        match self {
            Received::Row(r) => Backend::DataRow(r.to_data_row()),
            Received::CopyData(data) => Backend::CopyData(CopyData {
                data: data.to_vec(),
            }),
            Received::Msg(m) => m,
        }
    }
}

/// The client's decoder: DataRow frames straight from the read buffer
/// into [`Row`]s, everything else through [`ProtocolCodec`]`<Backend>`
/// (with its frame limit, read-ahead bound and errors).
#[derive(Debug)]
pub(crate) struct BackendCodec {
    inner: ProtocolCodec<Backend>,
}

impl BackendCodec {
    /// A decoder accepting messages of at most `max` bytes.
    pub(crate) fn new(max: usize) -> BackendCodec {
        BackendCodec {
            inner: ProtocolCodec::new().with_max_frame_len(max),
        }
    }
}

impl Decoder for BackendCodec {
    type Item = Received;
    type Error = FrameError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Received>, FrameError> {
        let max = self.inner.max_frame_len();
        match src.first() {
            Some(b'D') => {
                if let Some(row) = Row::split_from(src, max) {
                    return Ok(Some(Received::Row(row)));
                }
            }
            Some(b'd') => {
                if let Some(data) = split_body(src, max) {
                    return Ok(Some(Received::CopyData(data)));
                }
            }
            _ => {}
        }
        Ok(self.inner.decode(src)?.map(Received::Msg))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Received>, FrameError> {
        if let Some(msg) = self.decode(src)? {
            return Ok(Some(msg));
        }
        Ok(self.inner.decode_eof(src)?.map(Received::Msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codec::frame::encode_frame;

    fn frame(msg: Backend) -> Vec<u8> {
        let mut out = Vec::new();
        encode_frame(&msg, &mut out).unwrap();
        out
    }

    fn row(values: &[Option<&[u8]>]) -> DataRow {
        data_row(values.iter().copied())
    }

    /// Rows, with CopyData between them, in every split of the input:
    /// each row's values and each chunk as sent.
    #[test]
    fn rows_in_any_split() {
        let rows = [
            row(&[Some(b"1"), None, Some(b"")]),
            row(&[]),
            row(&[Some(&[0xFF; 300][..])]),
        ];
        let mut bytes = Vec::new();
        for r in &rows {
            bytes.extend(frame(Backend::DataRow(r.clone())));
            bytes.extend(frame(Backend::CopyData(CopyData {
                data: b"a\tb\n".to_vec(),
            })));
        }
        for chunk in [1, 2, 7, 4096] {
            let mut codec = BackendCodec::new(1 << 20);
            let mut buf = BytesMut::new();
            let mut got = Vec::new();
            for piece in bytes.chunks(chunk) {
                buf.extend_from_slice(piece);
                while let Some(m) = codec.decode(&mut buf).unwrap() {
                    got.push(m);
                }
            }
            assert!(codec.decode_eof(&mut buf).unwrap().is_none());
            assert_eq!(got.len(), 6, "chunk {chunk}");
            for (i, r) in rows.iter().enumerate() {
                let Received::Row(g) = &got[2 * i] else {
                    panic!("not a row: {:?}", got[2 * i]);
                };
                assert_eq!(&g.to_data_row(), r);
                assert_eq!(g.len(), r.columns.len());
                assert!(g.iter().eq(r.columns.iter().map(|c| c.value.as_deref())));
                let Received::CopyData(d) = &got[2 * i + 1] else {
                    panic!("not CopyData: {:?}", got[2 * i + 1]);
                };
                assert_eq!(&d[..], b"a\tb\n");
            }
        }
    }

    #[test]
    fn get_and_try_get() {
        let mut buf = BytesMut::from(&frame(Backend::DataRow(row(&[Some(b"ab"), None])))[..]);
        let Some(Received::Row(r)) = BackendCodec::new(100).decode(&mut buf).unwrap() else {
            panic!("no row");
        };
        assert!(buf.is_empty());
        assert_eq!((r.get(0), r.get(1)), (Some(&b"ab"[..]), None));
        assert_eq!((r.try_get(1), r.try_get(2)), (Some(None), None));
        assert_eq!(format!("{r:?}"), r#"[Some("ab"), None]"#);
    }

    /// A DataRow that does not decode gets the derived `DataRow`'s error,
    /// path and offset included; one over the limit is refused before it
    /// is read.
    #[test]
    fn bad_rows_fail_as_the_derived_message() {
        // One column claiming 1000 bytes in a 6-byte payload.
        let bad = [b'D', 0, 0, 0, 10, 0, 1, 0, 0, 0x03, 0xE8];
        let mut buf = BytesMut::from(&bad[..]);
        let e = BackendCodec::new(100).decode(&mut buf).unwrap_err();
        let mut codec = ProtocolCodec::<Backend>::new().with_max_frame_len(100);
        let want = codec.decode(&mut BytesMut::from(&bad[..])).unwrap_err();
        assert_eq!(e.to_string(), want.to_string());
        assert!(e.to_string().contains("DataRow.columns[0].value"), "{e}");
        assert!(buf.is_empty(), "the bad frame is consumed, as before");

        let big = frame(Backend::DataRow(row(&[Some(&[0; 200][..])])));
        let e = BackendCodec::new(100)
            .decode(&mut BytesMut::from(&big[..]))
            .unwrap_err();
        assert!(matches!(e, FrameError::TooLarge { max: 100, .. }), "{e}");
    }
}
