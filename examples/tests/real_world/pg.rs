//! PostgreSQL frontend/backend protocol 3.0 (PostgreSQL documentation,
//! "Frontend/Backend Protocol", §"Message Formats"), with the derive
//! alone: the typed messages framed by a derived header (the type byte is
//! the id, the Int32 length counts itself), Query's NUL-terminated string,
//! RowDescription's field list, DataRow's columns whose NULL is length -1,
//! and the StartupMessage and SSLRequest, which have no type byte: their
//! header is the length and the protocol version (or request code), the
//! latter as the id. Bytes assembled from the documentation's layouts for
//! `SELECT 1 AS a, NULL::text AS b` (what a server answers with int4 and
//! text columns). Checked once by hand against pg8000 1.31.6 over a socket
//! pair (it is not in the pinned venv): it writes these SSLRequest,
//! StartupMessage and Query bytes, and reads this RowDescription and
//! DataRow as `[[1, None]]`. The message types are the library's
//! (`codec_examples::pg::wire`); the two enums here hold only the ones
//! this test frames.
//!
//! ```text
//! typed message:  Byte1 type | Int32 length (counts itself, not the type) | body
//! Query 'Q':        String query (NUL-terminated)
//! RowDescription 'T': Int16 count, then per field: String name, Int32 table OID,
//!                   Int16 column number, Int32 type OID, Int16 type size,
//!                   Int32 type modifier, Int16 format code
//! DataRow 'D':      Int16 count, then per column: Int32 length (-1 = NULL), bytes
//!
//! untyped message: Int32 length (counts itself) | Int32 version or request code | body
//! StartupMessage:   196608 (3.0), then name/value String pairs ended by a NUL
//! SSLRequest:       80877103 (1234 << 16 | 5679), no body
//! ```

use codec::frame::FrameDecoder;
use codec::header::{FrameHead, Header as _, Parsed};
use codec::{Decode, DecodeError, Encode, FieldLayout, Message, Protocol};
use codec_examples::pg::wire::{
    Column, DataRow, FieldDescription, Param, PgHeader, Query, RowDescription, SslRequest,
    StartupHeader, StartupMessage,
};

/// The typed messages of this test, both directions.
#[derive(Debug, Clone, PartialEq, Protocol)]
#[codec(header = PgHeader)]
enum Pg {
    Query(Query),
    RowDescription(RowDescription),
    DataRow(DataRow),
}

/// The first message a client sends.
#[derive(Debug, Clone, PartialEq, Protocol)]
#[codec(header = StartupHeader)]
enum Startup {
    StartupMessage(StartupMessage),
    SslRequest(SslRequest),
}

const QUERY_TEXT: &str = "SELECT 1 AS a, NULL::text AS b";

/// 'Q' | length 35 = 4 + 30 + 1 | the query | NUL.
fn query_frame() -> Vec<u8> {
    [b"Q\x00\x00\x00\x23", QUERY_TEXT.as_bytes(), b"\x00"].concat()
}

/// 'T' | length 46 = 4 + 2 + 2 * 20 | 2 fields:
/// "a": table 0, column 0, int4 (OID 23), size 4, modifier -1, text;
/// "b": table 0, column 0, text (OID 25), size -1, modifier -1, text.
const ROW_DESCRIPTION: &[u8] = &[
    b'T', 0x00, 0x00, 0x00, 0x2E, 0x00, 0x02, //
    b'a', 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x17, 0x00, 0x04, 0xFF, 0xFF,
    0xFF, 0xFF, 0x00, 0x00, //
    b'b', 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x19, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0x00, 0x00,
];

/// 'D' | length 15 = 4 + 2 + (4 + 1) + 4 | 2 columns: "1", then NULL
/// (length -1, no bytes).
const DATA_ROW: &[u8] = &[
    b'D', 0x00, 0x00, 0x00, 0x0F, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, b'1', 0xFF, 0xFF, 0xFF, 0xFF,
];

/// Length 41 = 4 + 4 + 33 | 00 03 00 00 (3.0) | "user" "postgres"
/// "database" "postgres", each NUL-terminated | NUL.
fn startup_frame() -> Vec<u8> {
    [
        &b"\x00\x00\x00\x29\x00\x03\x00\x00"[..],
        b"user\x00postgres\x00database\x00postgres\x00",
        b"\x00",
    ]
    .concat()
}

/// Length 8 | 04 D2 16 2F (80877103).
const SSL_REQUEST: &[u8] = &[0x00, 0x00, 0x00, 0x08, 0x04, 0xD2, 0x16, 0x2F];

fn query() -> Query {
    Query {
        query: QUERY_TEXT.into(),
    }
}

fn field(name: &str, type_oid: u32, type_size: i16) -> FieldDescription {
    FieldDescription {
        name: name.into(),
        table_oid: 0,
        column: 0,
        type_oid,
        type_size,
        type_modifier: -1,
        format: 0,
    }
}

fn row_description() -> RowDescription {
    RowDescription {
        fields: vec![field("a", 23, 4), field("b", 25, -1)],
    }
}

fn data_row() -> DataRow {
    DataRow {
        columns: vec![
            Column {
                value: Some(b"1".to_vec()),
            },
            Column { value: None },
        ],
    }
}

fn startup() -> StartupMessage {
    StartupMessage {
        params: [("user", "postgres"), ("database", "postgres")]
            .map(|(name, value)| Param {
                name: name.into(),
                value: value.into(),
            })
            .to_vec(),
    }
}

/// Every strict prefix of a frame asks for exactly the bytes still
/// missing: the rest of the header while it is incomplete, then the rest
/// of the frame its length declares.
fn assert_prefixes_need_exactly<P>(full: &[u8], header_len: usize)
where
    P: for<'a> Decode<'a> + std::fmt::Debug,
{
    for k in 0..full.len() {
        let e = P::from_bytes(&full[..k]).expect_err("a strict prefix decodes");
        let want = if k < header_len {
            header_len - k
        } else {
            full.len() - k
        };
        assert_eq!(e.bytes_needed(), Some(want as u64), "prefix {k}: {e}");
    }
}

#[test]
fn typed_messages_match_the_documented_layouts() {
    for (value, wire) in [
        (Pg::from(query()), query_frame()),
        (Pg::from(row_description()), ROW_DESCRIPTION.to_vec()),
        (Pg::from(data_row()), DATA_ROW.to_vec()),
    ] {
        assert_eq!(value.to_bytes().unwrap(), wire, "{value:?}");
        assert_eq!(codec::frame::frame_bytes(&value).unwrap(), wire);
        assert_eq!(codec::frame::frame_len(&value), wire.len());
        assert_eq!(Pg::from_bytes(&wire).unwrap(), value);
        assert_prefixes_need_exactly::<Pg>(&wire, 5);
    }
    // The header alone, as its derive parses it.
    assert_eq!(
        PgHeader::parse(DATA_ROW).unwrap(),
        Parsed::Complete(FrameHead {
            id: u64::from(b'D'),
            header_len: 5,
            payload_len: 11,
        })
    );
    assert_eq!(
        PgHeader::parse(&DATA_ROW[..1]).unwrap(),
        Parsed::Incomplete { needed: 4 }
    );
}

/// A backend's answer to the query arrives as one stream, in chunks that
/// split its messages anywhere.
#[test]
fn a_stream_of_backend_messages_splits_into_frames() {
    let stream = [ROW_DESCRIPTION, DATA_ROW, DATA_ROW].concat();
    for chunk in [1, 3, 7, stream.len()] {
        let mut frames = FrameDecoder::<PgHeader>::new();
        let mut got = Vec::new();
        for piece in stream.chunks(chunk) {
            frames.push(piece);
            while let Some(m) = frames.next_message::<Pg>().unwrap() {
                got.push(m);
            }
        }
        frames.finish().unwrap();
        assert_eq!(
            got,
            [
                Pg::from(row_description()),
                Pg::from(data_row()),
                Pg::from(data_row())
            ],
            "chunks of {chunk}"
        );
    }
}

#[test]
fn a_null_column_round_trips_as_none() {
    let Pg::DataRow(row) = Pg::from_bytes(DATA_ROW).unwrap() else {
        panic!("not a DataRow");
    };
    assert_eq!(row.columns[1].value, None);
    assert_eq!(row.columns[0].value.as_deref(), Some(&b"1"[..]));
    // An empty value is not NULL: length 0, no bytes.
    let empty = DataRow {
        columns: vec![Column {
            value: Some(vec![]),
        }],
    };
    let bytes = Pg::from(empty.clone()).to_bytes().unwrap();
    assert_eq!(bytes, [b'D', 0, 0, 0, 10, 0, 1, 0, 0, 0, 0]);
    assert_eq!(Pg::from_bytes(&bytes).unwrap(), Pg::from(empty));
}

/// `frame` with `patch` written at byte `at`, decoded: the error, which
/// for a whole frame is never a wait for more bytes.
fn patched_error(frame: &[u8], at: usize, patch: &[u8]) -> DecodeError {
    let mut wire = frame.to_vec();
    wire[at..at + patch.len()].copy_from_slice(patch);
    let e = Pg::from_bytes(&wire).unwrap_err();
    assert_eq!(e.bytes_needed(), None, "{e}");
    e
}

/// The error's offset, path and text.
fn assert_error(e: &DecodeError, offset: usize, path: &str, text: &str) {
    assert_eq!(e.offset(), offset, "{e}");
    assert_eq!(e.path().to_string(), path, "{e}");
    assert_eq!(e.to_string(), text);
}

/// A negative length other than -1, a negative count, lengths beyond the
/// frame, a header length below its own four bytes, an unknown type byte:
/// errors with the path and the offset in the frame.
#[test]
fn hostile_frames() {
    assert_error(
        &patched_error(DATA_ROW, 12, &(-2i32).to_be_bytes()),
        12,
        "DataRow.columns[1].value",
        "length value -2 is below the minimum 0 at byte 12 in DataRow.columns[1].value",
    );
    assert_error(
        &patched_error(ROW_DESCRIPTION, 5, &(-1i16).to_be_bytes()),
        5,
        "RowDescription.fields",
        "length value -1 is below the minimum 0 at byte 5 in RowDescription.fields",
    );
    // A column length far beyond the frame, a count of 32767 columns in
    // an 11-byte body: errors at the field, nothing allocated for them.
    assert_error(
        &patched_error(DATA_ROW, 7, &i32::MAX.to_be_bytes()),
        11,
        "DataRow.columns[0].value",
        "header declares 11 payload bytes, message used 2147483653 at byte 11 in DataRow.columns[0].value",
    );
    assert_error(
        &patched_error(DATA_ROW, 5, &i16::MAX.to_be_bytes()),
        16,
        "DataRow.columns[2].value",
        "header declares 11 payload bytes, message used 15 at byte 16 in DataRow.columns[2].value",
    );
    // The length counts itself: 3 can never be.
    assert_error(
        &PgHeader::parse(&[b'D', 0, 0, 0, 3]).unwrap_err(),
        1,
        "PgHeader.len",
        "length value 3 is below the minimum 4 at byte 1 in PgHeader.len",
    );
    // 'X' (Terminate) is not in this protocol enum.
    assert_error(
        &patched_error(&query_frame(), 0, b"X"),
        0,
        "PgHeader.id",
        "unknown message id 0x58 at byte 0 in PgHeader.id",
    );

    // A query without its NUL, the frame ending there: an error, not a
    // wait for more bytes.
    let mut wire = query_frame();
    wire.pop();
    wire[4] -= 1;
    let e = Pg::from_bytes(&wire).unwrap_err();
    assert_eq!(e.bytes_needed(), None, "{e}");
    assert_error(
        &e,
        35,
        "Query.query",
        "header declares 30 payload bytes, message used 31 at byte 35 in Query.query",
    );

    // A query holding a NUL cannot be written.
    let e = Pg::from(Query {
        query: "a\0b".into(),
    })
    .to_bytes()
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "value contains its terminator byte in Query.query"
    );
}

#[test]
fn startup_and_ssl_request_match_the_documented_layouts() {
    for (value, wire) in [
        (Startup::from(startup()), startup_frame()),
        (Startup::from(SslRequest {}), SSL_REQUEST.to_vec()),
    ] {
        assert_eq!(value.to_bytes().unwrap(), wire, "{value:?}");
        assert_eq!(Startup::from_bytes(&wire).unwrap(), value);
        assert_prefixes_need_exactly::<Startup>(&wire, 8);
    }
    assert_eq!(StartupMessage::ID, 3 << 16);
    assert_eq!(SslRequest::ID, 1234 << 16 | 5679);
    // The parameter list alone: the terminators are the documentation's.
    assert_eq!(
        startup().to_bytes().unwrap(),
        &startup_frame()[8..],
        "the payload is the parameters"
    );

    // Protocol 2.0 is no message of this enum; an empty parameter name
    // would read as the list's end, so it cannot be written.
    let mut wire = startup_frame();
    wire[5] = 0x02;
    assert!(Startup::from_bytes(&wire).is_err());
    let mut bad = startup();
    bad.params[1].name.clear();
    assert!(Startup::from(bad).to_bytes().is_err());
}

/// `explain` shows every header field and every message field with its
/// offset and value; `FIELDS` lists each message's fields.
#[test]
fn explain_and_fields() {
    // A list of derived elements: its Int16 count, then each element's
    // fields under `[i]` (a NULL column is its -1 length alone).
    let cases: [(String, &[&str]); 5] = [
        (
            codec::explain::<Pg>(&query_frame()),
            &[
                "0000  51           header.kind = 0x51 (Query)",
                "0001  00 00 00 23  header.len = 35",
                "0005  53 45 4c 45  Query.query = \"SELECT 1 AS a, NULL::text AS b\"",
            ],
        ),
        (
            codec::explain::<Pg>(DATA_ROW),
            &[
                "0000  44           header.kind = 0x44 (DataRow)",
                "0001  00 00 00 0f  header.len = 15",
                "0005  00 02        DataRow.columns.len = 2",
                "0007  00 00 00 01  DataRow.columns[0].value.len = 1",
                "000b  31           DataRow.columns[0].value = 1 byte \"1\"",
                "000c  ff ff ff ff  DataRow.columns[1].value.len = null",
            ],
        ),
        (
            codec::explain::<Pg>(ROW_DESCRIPTION),
            &[
                "0000  54           header.kind = 0x54 (RowDescription)",
                "0001  00 00 00 2e  header.len = 46",
                "0005  00 02        RowDescription.fields.len = 2",
                "0007  61 00        RowDescription.fields[0].name = \"a\"",
                "000f  00 00 00 17  RowDescription.fields[0].type_oid = 23",
                "0015  ff ff ff ff  RowDescription.fields[0].type_modifier = -1",
                "001b  62 00        RowDescription.fields[1].name = \"b\"",
                "0023  00 00 00 19  RowDescription.fields[1].type_oid = 25",
            ],
        ),
        (
            codec::explain::<Startup>(&startup_frame()),
            &[
                "0000  00 00 00 29  header.len = 41",
                "0004  00 03 00 00  header.version = 0x30000 (StartupMessage)",
                "0008  75 73 65 72  StartupMessage.params = 2 elements",
            ],
        ),
        (
            codec::explain::<Startup>(SSL_REQUEST),
            &[
                "0000  00 00 00 08  header.len = 8",
                "0004  04 d2 16 2f  header.version = 0x4d2162f (SslRequest)",
            ],
        ),
    ];
    for (dump, lines) in cases {
        for line in lines {
            assert!(dump.contains(line), "{line:?} not in\n{dump}");
        }
    }

    let only = |name, encoding| {
        [FieldLayout {
            name,
            offset: Some(0),
            width: None,
            encoding,
        }]
    };
    assert_eq!(Query::FIELDS, only("query", "term = 0x00, String"));
    assert_eq!(
        RowDescription::FIELDS,
        only("fields", "len = i16, Vec<FieldDescription>")
    );
    assert_eq!(DataRow::FIELDS, only("columns", "len = i16, Vec<Column>"));
    assert_eq!(
        StartupMessage::FIELDS,
        only("params", "term = 0x00, Vec<Param>")
    );
    assert_eq!(SslRequest::FIELDS, []);
}
