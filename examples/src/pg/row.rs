//! The fetch path without a copy per value: a DataRow is checked in the
//! read buffer with the derive's borrowed decoding (`DataRowSpans`:
//! [`DataRowRef`](super::wire::DataRowRef)'s layout, each
//! [`ColumnRef`] decoded by its derived code, the columns collected as
//! spans), then its bytes are split off that buffer as a [`Bytes`] (a
//! reference count, no copy) and kept in a [`Row`] with the span of each
//! column, as tokio-postgres keeps a `Bytes` body and column ranges. Rows
//! of up to six columns keep their spans in the [`Row`] itself, so such a
//! row costs no allocation (tokio-postgres allocates its ranges for every
//! row); wider rows keep them in one `Vec`.
//!
//! `BackendCodec` is the reader's decoder: DataRow frames become
//! `Received::Row`, CopyData frames `Received::CopyData` (their body
//! is the rest of the message, any bytes: splitting the frame off is the
//! whole decoding), every other message is decoded by
//! [`ProtocolCodec`]`<`[`Backend`]`>` as before. The frame's header is
//! parsed once, by the derived [`PgHeader`]. A DataRow that does not
//! decode is left to that codec too, so its error (field path, byte
//! offset) is exactly the derived [`DataRow`]'s.

use std::fmt;

use bytes::{Buf as _, Bytes, BytesMut};
use codec::decode::bounded_capacity;
use codec::frame::{decode_payload_exact, FrameError};
use codec::tokio::ProtocolCodec;
use codec::wire::Unit;
use codec::{Decode, DecodeError, DecodeSeq, Endian, Header as _, Parsed, Reader};
use tokio_util::codec::Decoder;

use super::wire::{Backend, Column, ColumnRef, CopyData, DataRow, PgHeader};

/// One row of a result, holding the DataRow message's bytes: reading a
/// value borrows from them, nothing is copied per column.
#[derive(Clone)]
pub struct Row {
    /// The DataRow's payload (after the type byte and length).
    body: Bytes,
    /// Each column's bytes in `body`.
    spans: Spans,
}

/// A column's bytes in a [`Row`]'s body, `start..end`, or NULL
/// ([`Span::NULL`]). A payload is at most `u32::MAX - 4` bytes (its Int32
/// length counts itself), so `u32` offsets always fit, and no value
/// starts at `u32::MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    const NULL: Span = Span {
        start: u32::MAX,
        end: u32::MAX,
    };
}

/// Spans kept in the [`Row`] itself: up to this many columns a row needs
/// no allocation of its own (48 bytes, as big as the `Vec` variant's
/// pointer, capacity and length plus 24).
const INLINE: usize = 6;

/// A row's column spans: in place for rows of up to [`INLINE`] columns,
/// on the heap for wider ones.
#[derive(Debug, Clone)]
enum Spans {
    Inline { len: u8, spans: [Span; INLINE] },
    Heap(Vec<Span>),
}

impl Spans {
    fn as_slice(&self) -> &[Span] {
        match self {
            Spans::Inline { len, spans } => &spans[..usize::from(*len)],
            Spans::Heap(v) => v,
        }
    }
}

/// The columns of a DataRow as [`Spans`], for the derive: each element
/// is read by [`ColumnRef`]'s derived decoding, and only where its value
/// lies is kept. Offsets are the reader's, which the fetch path starts at
/// the payload.
impl<'de> DecodeSeq<'de> for Spans {
    fn decode_seq(
        r: &mut Reader<'de>,
        count: usize,
        unit: Unit,
        order: Endian,
    ) -> Result<Spans, DecodeError> {
        debug_assert_eq!(unit, Unit::Elements, "a count of columns");
        let mut inline = [Span::NULL; INLINE];
        let mut heap = Vec::new();
        if count > INLINE {
            // Each column takes at least its 4-byte length: room for no
            // more than the payload can hold.
            heap.reserve_exact(bounded_capacity::<ColumnRef<'de>>(r, count)?);
        }
        for i in 0..count {
            let column = ColumnRef::decode_with(r, order).map_err(|e| e.in_index(i))?;
            let span = match column.value {
                None => Span::NULL,
                Some(v) => {
                    // Within a payload of less than 4 GiB (see `Span`).
                    let end = r.offset() as u32;
                    Span {
                        start: end - v.len() as u32,
                        end,
                    }
                }
            };
            match inline.get_mut(i) {
                Some(slot) if count <= INLINE => *slot = span,
                _ => heap.push(span),
            }
        }
        Ok(if count <= INLINE {
            Spans::Inline {
                // At most INLINE.
                len: count as u8,
                spans: inline,
            }
        } else {
            Spans::Heap(heap)
        })
    }
}

/// DataRow ('D') as the fetch path reads it: [`DataRow`]'s layout (an
/// Int16 count of columns, each an Int32 length, -1 for NULL, then the
/// bytes), the columns kept as spans.
#[derive(Decode)]
struct DataRowSpans {
    #[codec(len = i16)]
    columns: Spans,
}

impl PartialEq for Row {
    fn eq(&self, other: &Row) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Row {}

impl Row {
    /// The number of columns.
    pub fn len(&self) -> usize {
        self.spans.as_slice().len()
    }

    /// True for a row of no columns.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Column `i`'s value, `None` for NULL.
    ///
    /// # Panics
    ///
    /// When `i >= self.len()`, as slice indexing does; [`Row::try_get`]
    /// does not.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        self.span(self.spans.as_slice()[i])
    }

    /// Column `i`'s value (`Some(None)` for NULL), or `None` when the row
    /// has no column `i`.
    pub fn try_get(&self, i: usize) -> Option<Option<&[u8]>> {
        self.spans.as_slice().get(i).map(|&s| self.span(s))
    }

    /// Every column's value in order, `None` for NULL.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Option<&[u8]>> + '_ {
        self.spans.as_slice().iter().map(|&s| self.span(s))
    }

    /// The owned message: every value copied into its own `Vec`.
    pub fn to_data_row(&self) -> DataRow {
        data_row(self.iter())
    }

    fn span(&self, s: Span) -> Option<&[u8]> {
        (s != Span::NULL).then(|| &self.body[s.start as usize..s.end as usize])
    }

    /// Splits the DataRow frame `src[..total]` (its header
    /// `header_len` bytes) off the front of `src` if its payload decodes;
    /// `None` leaves `src` as it was.
    fn split_from(src: &mut BytesMut, header_len: usize, total: usize) -> Option<Row> {
        let spans = {
            let mut payload = Reader::new(&src[header_len..total]);
            decode_payload_exact(&mut payload, DataRowSpans::decode)
                .ok()?
                .columns
        };
        Some(Row {
            body: split_body(src, header_len, total),
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

/// The type byte, header length and frame length of the frame at the
/// front of `src`, if it is all there and its payload is at most `max`
/// bytes (anything else is left to [`ProtocolCodec`], which waits for
/// the rest or reports the error).
#[inline]
fn whole_frame(src: &[u8], max: usize) -> Option<(u8, usize, usize)> {
    let Ok(Parsed::Complete(head)) = PgHeader::parse(src) else {
        return None;
    };
    if head.payload_len > max as u64 {
        return None;
    }
    // At most `max`, a `usize`.
    let total = head.header_len + head.payload_len as usize;
    // The id is the type byte.
    (src.len() >= total).then_some((head.id as u8, head.header_len, total))
}

/// Splits the body of the frame `src[..total]` (its header `header_len`
/// bytes) off the front of `src`.
/// (`Bytes::advance` only moves a pointer; `BytesMut`'s also keeps its
/// buffer's bookkeeping, which the frame no longer needs.)
#[inline]
fn split_body(src: &mut BytesMut, header_len: usize, total: usize) -> Bytes {
    let mut frame = src.split_to(total).freeze();
    frame.advance(header_len);
    frame
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

impl BackendCodec {
    /// The CopyData at the front of `src`, whole, split off as its body;
    /// `None` (leaving `src` as it was) for anything else. What COPY OUT
    /// tries before [`Decoder::decode`]: no `Received` around the chunk.
    #[inline]
    pub(crate) fn copy_data(&self, src: &mut BytesMut) -> Option<Bytes> {
        match whole_frame(src, self.inner.max_frame_len()) {
            Some((b'd', header_len, total)) => Some(split_body(src, header_len, total)),
            _ => None,
        }
    }

    /// The DataRow at the front of `src`, whole and valid, split off as a
    /// [`Row`]; `None` (leaving `src` as it was) for anything else,
    /// including a DataRow that does not decode ([`Decoder::decode`]
    /// reports its error). What the fetch loops try first.
    #[inline]
    pub(crate) fn row(&self, src: &mut BytesMut) -> Option<Row> {
        match whole_frame(src, self.inner.max_frame_len()) {
            Some((b'D', header_len, total)) => Row::split_from(src, header_len, total),
            _ => None,
        }
    }
}

impl Decoder for BackendCodec {
    type Item = Received;
    type Error = FrameError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Received>, FrameError> {
        if let Some((kind, header_len, total)) = whole_frame(src, self.inner.max_frame_len()) {
            match kind {
                b'D' => {
                    if let Some(row) = Row::split_from(src, header_len, total) {
                        return Ok(Some(Received::Row(row)));
                    }
                }
                b'd' => return Ok(Some(Received::CopyData(split_body(src, header_len, total)))),
                _ => {}
            }
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

    /// Rows on both sides of the in-place limit (0, 6, 7 and 40
    /// columns), with NULLs and empty values anywhere, through the fast
    /// path and through `decode`: the same values, equal rows.
    #[test]
    fn narrow_and_wide_rows() {
        for n in [0, 1, INLINE, INLINE + 1, 40] {
            let values: Vec<Option<Vec<u8>>> = (0..n)
                .map(|i| match i % 3 {
                    0 => None,
                    1 => Some(Vec::new()),
                    _ => Some(vec![i as u8; i]),
                })
                .collect();
            let want = DataRow {
                columns: values.iter().map(|v| Column { value: v.clone() }).collect(),
            };
            let bytes = frame(Backend::DataRow(want.clone()));
            let codec = BackendCodec::new(1 << 20);
            let fast = codec
                .row(&mut BytesMut::from(&bytes[..]))
                .expect("a whole row");
            let Some(Received::Row(slow)) = BackendCodec::new(1 << 20)
                .decode(&mut BytesMut::from(&bytes[..]))
                .unwrap()
            else {
                panic!("no row");
            };
            assert_eq!(fast, slow);
            assert_eq!(fast.to_data_row(), want, "{n} columns");
            assert_eq!(fast.len(), n);
            assert_eq!(fast.is_empty(), n == 0);
            for (i, v) in values.iter().enumerate() {
                assert_eq!(fast.get(i), v.as_deref(), "column {i} of {n}");
            }
            assert_eq!(fast.try_get(n), None);
        }
    }

    /// The fast paths take only their own whole frame and leave anything
    /// else (another message, a partial frame, a row that does not
    /// decode) in the buffer for `decode`.
    #[test]
    fn fast_paths_leave_other_frames() {
        let codec = BackendCodec::new(1 << 20);
        let copy = frame(Backend::CopyData(CopyData {
            data: b"x\n".to_vec(),
        }));
        let row_bytes = frame(Backend::DataRow(row(&[Some(b"1")])));
        let mut buf = BytesMut::from(&copy[..]);
        assert!(codec.row(&mut buf).is_none());
        assert_eq!(buf.len(), copy.len());
        assert_eq!(&codec.copy_data(&mut buf).unwrap()[..], b"x\n");
        assert!(buf.is_empty());

        let mut buf = BytesMut::from(&row_bytes[..row_bytes.len() - 1]);
        assert!(codec.row(&mut buf).is_none());
        assert!(codec.copy_data(&mut buf).is_none());
        assert_eq!(buf.len(), row_bytes.len() - 1);

        let bad = [b'D', 0, 0, 0, 10, 0, 1, 0, 0, 0x03, 0xE8];
        let mut buf = BytesMut::from(&bad[..]);
        assert!(codec.row(&mut buf).is_none());
        assert_eq!(buf.len(), bad.len());
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
