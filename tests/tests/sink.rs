//! Encoding into any [`Sink`]: a `bytes::BytesMut` receives exactly the
//! bytes a `Vec<u8>` does (appended after what it already holds, and
//! nothing left behind by an encode that fails), and a frame sent through
//! `tokio_util`'s `FramedWrite` with `ProtocolCodec` is encoded straight
//! into the write buffer: no allocation, no scratch vector.

use std::fmt::Debug;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use codec::tokio::ProtocolCodec;
use codec::{Encode, EncodeError, Sink};
use codec_tests::alloc::{requested_by, Counting};
use codec_tests::strategies::*;
use codec_tests::tutorial::{Changed, Storage, StoreRequest};
use futures::task::noop_waker_ref;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use tokio_util::codec::FramedWrite;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What the sink held before the encode: the encoding must be appended.
const BEFORE: &[u8] = b"held";

/// `v` encoded into a `Vec` and into a `BytesMut` (each already holding
/// [`BEFORE`]), through `encode` and through `encode_with`: the same bytes
/// every way, `encoded_len` of them.
fn same_bytes<T: Encode + Debug>(v: &T) -> Result<(), TestCaseError> {
    let vec = v
        .to_bytes()
        .map_err(|e| TestCaseError::fail(format!("{v:?} failed to encode: {e}")))?;
    prop_assert_eq!(vec.len(), v.encoded_len());
    let mut out = BytesMut::from(BEFORE);
    v.encode(&mut out)
        .map_err(|e| TestCaseError::fail(format!("{v:?} into BytesMut: {e}")))?;
    prop_assert_eq!(&out[..BEFORE.len()], BEFORE);
    prop_assert_eq!(&out[BEFORE.len()..], &vec[..], "{:?}", v);
    // Through a `&mut` sink, as nested impls pass it on.
    let mut out = BytesMut::from(BEFORE);
    v.encode_with(&mut &mut out, codec::Endian::Big)
        .map_err(|e| TestCaseError::fail(format!("{v:?} into &mut BytesMut: {e}")))?;
    prop_assert_eq!(&out[BEFORE.len()..], &vec[..], "{:?}", v);
    Ok(())
}

macro_rules! same_in_every_sink {
    ($($name:ident: $strategy:expr;)*) => {
        proptest! {
            $(
                #[test]
                fn $name(v in $strategy) {
                    same_bytes(&v)?;
                }
            )*
        }
    };
}

same_in_every_sink! {
    store_request_in_sinks: store_request();
    ints_in_sinks: ints();
    nested_in_sinks: nested();
    prefixes_in_sinks: prefixes();
    units_in_sinks: units();
    len_from_in_sinks: len_from();
    varints_in_sinks: varints();
    little_in_sinks: little();
    field_endian_in_sinks: field_endian();
    command_in_sinks: command();
    shape_in_sinks: shape();
    kinds_in_sinks: kinds();
    strings_in_sinks: strings();
    std_types_in_sinks: std_types();
    widths_in_sinks: widths();
    tls_handshake_in_sinks: tls_handshake();
    png_header_in_sinks: png_header();
    chunk_in_sinks: chunk();
    pg_data_row_in_sinks: pg_data_row();
    kafka_forms_in_sinks: kafka_forms();
    pg_startup_in_sinks: pg_startup();
    tar_name_in_sinks: tar_name();
    u16_list_in_sinks: u16_list();
    reading_in_sinks: reading();
    range_in_sinks: range();
    aligned_in_sinks: aligned();
    fixed_record_in_sinks: fixed_record();
    padded_slot_in_sinks: padded_slot();
    login_in_sinks: login();
    crc_chunk_in_sinks: crc_chunk();
    bit_header_in_sinks: bit_header();
    dns_flags_in_sinks: dns_flags();
    lsb_bits_in_sinks: lsb_bits();
    bit_variants_in_sinks: bit_variants();
    record_in_sinks: record();
}

proptest! {
    /// Whole frames: `encode_frame` into a `BytesMut` is `frame_bytes`.
    #[test]
    fn frames_in_sinks(v in store_request()) {
        let msg = Storage::from(v);
        let vec = codec::frame::frame_bytes(&msg).unwrap();
        let mut out = BytesMut::from(BEFORE);
        codec::frame::encode_frame(&msg, &mut out).unwrap();
        prop_assert_eq!(&out[BEFORE.len()..], &vec[..]);
    }
}

/// An encode that fails leaves the `BytesMut` as it was, as it does a
/// `Vec` (a 300-byte name under `len = u8`, after a field already written).
#[test]
fn a_failed_encode_leaves_the_sink_as_it_was() {
    let v = StoreRequest {
        trans: 7,
        name: "n".repeat(300),
        data: vec![1, 2, 3],
    };
    let mut out = BytesMut::from(BEFORE);
    let err: EncodeError = v.encode(&mut out).unwrap_err();
    assert_eq!(
        err.to_string(),
        "length 300 does not fit a u8 length prefix (max 255) in StoreRequest.name"
    );
    assert_eq!(&out[..], BEFORE);
    let mut vec = BEFORE.to_vec();
    assert!(v.encode(&mut vec).is_err());
    assert_eq!(vec, BEFORE);
}

/// A frame sent through `FramedWrite` + `ProtocolCodec` is encoded into
/// the write buffer in place: nothing is allocated on this thread while it
/// is encoded (a scratch vector would be; its copy would follow), the
/// buffer does not move, and it then holds exactly the frame.
#[test]
fn a_frame_through_framed_is_written_once() {
    let msgs = [
        Storage::from(StoreRequest {
            trans: 1,
            name: "key".into(),
            data: vec![0xAB; 4096],
        }),
        Storage::from(Changed { name: "k".into() }),
    ];
    for msg in msgs {
        let frame = codec::frame::frame_bytes(&msg).unwrap();
        let mut framed = FramedWrite::new(Vec::new(), ProtocolCodec::<Storage>::new());
        // Room for the frame, so that encoding it needs no growth.
        framed.write_buffer_mut().reserve(frame.len());
        let at = framed.write_buffer().as_ptr();
        let mut cx = Context::from_waker(noop_waker_ref());
        let (sent, requested) = requested_by(|| {
            let mut sink = Pin::new(&mut framed);
            assert!(matches!(
                futures::Sink::<&Storage>::poll_ready(sink.as_mut(), &mut cx),
                Poll::Ready(Ok(()))
            ));
            futures::Sink::<&Storage>::start_send(sink, &msg)
        });
        sent.unwrap();
        assert_eq!(requested, 0, "encoding {msg:?} allocated {requested} bytes");
        assert_eq!(framed.write_buffer().as_ptr(), at, "the buffer moved");
        assert_eq!(&framed.write_buffer()[..], &frame[..]);
    }
}

/// The sink a user writes: every method is a `Vec`'s, and `put_zeroed`
/// (which generated code fills runs through) has a default.
#[derive(Default)]
struct Counted {
    bytes: Vec<u8>,
    appends: usize,
}

impl Sink for Counted {
    fn len(&self) -> usize {
        self.bytes.len()
    }
    fn reserve(&mut self, additional: usize) {
        self.bytes.reserve(additional);
    }
    fn push(&mut self, byte: u8) {
        self.appends += 1;
        self.bytes.push(byte);
    }
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.appends += 1;
        self.bytes.extend_from_slice(bytes);
    }
    fn truncate(&mut self, len: usize) {
        self.bytes.truncate(len);
    }
    fn as_slice(&self) -> &[u8] {
        &self.bytes
    }
    fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.bytes
    }
}

proptest! {
    /// A sink with only the required methods gets the same bytes too
    /// (bit runs go through the default `put_zeroed`, checksums through
    /// `as_slice`).
    #[test]
    fn a_minimal_sink_gets_the_same_bytes(h in dns_flags(), c in crc_chunk(), v in store_request()) {
        for (vec, encode) in [
            (h.to_bytes().unwrap(), Box::new(|s: &mut Counted| h.encode(s)) as Box<dyn Fn(&mut Counted) -> Result<(), EncodeError>>),
            (c.to_bytes().unwrap(), Box::new(|s: &mut Counted| c.encode(s))),
            (v.to_bytes().unwrap(), Box::new(|s: &mut Counted| v.encode(s))),
        ] {
            let mut sink = Counted::default();
            encode(&mut sink).unwrap();
            prop_assert_eq!(&sink.bytes, &vec);
            prop_assert!(sink.appends > 0);
        }
    }
}
