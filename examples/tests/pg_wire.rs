//! Golden bytes of every PostgreSQL protocol 3.0 message in
//! `codec_examples::pg::wire`, laid out by hand from the "Message Formats"
//! section of the PostgreSQL 15 documentation (chapter 55), one frame per
//! message: encode gives the bytes, decode gives the value back, every
//! strict prefix asks for exactly the bytes still missing, and `explain`
//! names the message.
//!
//! ```text
//! typed:   Byte1 type | Int32 length (counts itself) | body
//! untyped: Int32 length (counts itself) | Int32 code  | body
//! ```
//! The bytes of a real psql session are checked in `pg_client.rs`, which
//! decodes a recorded psql session with these types.

use codec::{Decode, Encode, Protocol};
use codec_examples::pg::wire::*;

/// A typed frame: type byte, Int32 length counting itself, body.
fn typed(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![kind];
    v.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
    v.extend_from_slice(body);
    v
}

/// Encodes, decodes back, checks every strict prefix and that the
/// explain dump names the message.
fn check<P>(value: P, wire: &[u8])
where
    P: Protocol
        + for<'a> Decode<'a>
        + for<'a> codec::DecodeProtocol<'a>
        + Encode
        + PartialEq
        + std::fmt::Debug,
{
    assert_eq!(value.to_bytes().unwrap(), wire, "{value:?}");
    assert_eq!(P::from_bytes(wire).unwrap(), value);
    // Every strict prefix needs exactly the bytes that complete the read
    // that failed: the header's, then the whole frame's.
    codec_tests::assert_truncations::<P>(wire, wire.len());
    let dump = codec::explain::<P>(wire);
    assert!(dump.contains(&format!("({})", value.name())), "{dump}");
}

fn s(x: &str) -> String {
    x.to_string()
}

#[test]
fn frontend_messages_match_the_documented_layouts() {
    let cases: Vec<(Frontend, Vec<u8>)> =
        vec![
        // Bind: portal "" | statement "s1" | 1 format: binary | 2 params:
        // "42", NULL | 1 result format: text.
        (
            Bind {
                portal: s(""),
                statement: s("s1"),
                param_formats: vec![1],
                params: vec![Column { value: Some(b"42".to_vec()) }, Column { value: None }],
                result_formats: vec![0],
            }
            .into(),
            typed(
                b'B',
                b"\0s1\0\x00\x01\x00\x01\x00\x02\x00\x00\x00\x0242\xff\xff\xff\xff\x00\x01\x00\x00",
            ),
        ),
        // Close: 'S' | name "s1".
        (Close { kind: b'S', name: s("s1") }.into(), typed(b'C', b"Ss1\0")),
        (CopyData { data: b"1\tx\n".to_vec() }.into(), typed(b'd', b"1\tx\n")),
        (CopyDone {}.into(), typed(b'c', b"")),
        (CopyFail { message: s("no") }.into(), typed(b'f', b"no\0")),
        // Describe: 'P' | the unnamed portal.
        (Describe { kind: b'P', name: s("") }.into(), typed(b'D', b"P\0")),
        // Execute: portal "" | max rows 0 (no limit).
        (Execute { portal: s(""), max_rows: 0 }.into(), typed(b'E', b"\0\0\0\0\0")),
        (Flush {}.into(), typed(b'H', b"")),
        // FunctionCall: OID 1598 | no formats | 1 argument "7" | result text.
        (
            FunctionCall {
                function: 1598,
                arg_formats: vec![],
                args: vec![Column { value: Some(b"7".to_vec()) }],
                result_format: 0,
            }
            .into(),
            typed(b'F', b"\x00\x00\x06\x3e\x00\x00\x00\x01\x00\x00\x00\x017\x00\x00"),
        ),
        (
            AuthResponse { body: PasswordBody { password: s("pw") }.to_bytes().unwrap() }.into(),
            typed(b'p', b"pw\0"),
        ),
        // SASLInitialResponse: mechanism | Int32 length | client-first-message.
        (
            AuthResponse {
                body: SaslInitialResponse {
                    mechanism: s("SCRAM-SHA-256"),
                    data: Some(b"n,,n=,r=abc".to_vec()),
                }
                .to_bytes()
                .unwrap(),
            }
            .into(),
            typed(b'p', b"SCRAM-SHA-256\0\x00\x00\x00\x0bn,,n=,r=abc"),
        ),
        // Parse: name "" | query | 1 parameter type: int4 (23).
        (
            Parse { name: s(""), query: s("SELECT $1"), param_types: vec![23] }.into(),
            typed(b'P', b"\0SELECT $1\0\x00\x01\x00\x00\x00\x17"),
        ),
        (Query { query: s("SELECT 1") }.into(), typed(b'Q', b"SELECT 1\0")),
        (Sync {}.into(), typed(b'S', b"")),
        (Terminate {}.into(), typed(b'X', b"")),
    ];
    for (value, wire) in cases {
        check(value, &wire);
    }
}

#[test]
fn untyped_frontend_messages_match_the_documented_layouts() {
    // CancelRequest: length 16 | 80877102 | process ID | secret key.
    check(
        Startup::from(CancelRequest {
            process_id: 4242,
            secret_key: -7,
        }),
        b"\x00\x00\x00\x10\x04\xd2\x16\x2e\x00\x00\x10\x92\xff\xff\xff\xf9",
    );
    // GSSENCRequest: length 8 | 80877104.
    check(
        Startup::from(GssEncRequest {}),
        b"\x00\x00\x00\x08\x04\xd2\x16\x30",
    );
    assert_eq!(<CancelRequest as codec::Message>::ID, 1234 << 16 | 5678);
    assert_eq!(<GssEncRequest as codec::Message>::ID, 1234 << 16 | 5680);
}

#[test]
fn backend_messages_match_the_documented_layouts() {
    let auth = |auth| Backend::from(AuthenticationRequest { auth });
    let format = |format, columns| CopyFormat { format, columns };
    let cases: Vec<(Backend, Vec<u8>)> = vec![
        (auth(Authentication::Ok), typed(b'R', b"\0\0\0\0")),
        (auth(Authentication::KerberosV5), typed(b'R', b"\0\0\0\x02")),
        (
            auth(Authentication::CleartextPassword),
            typed(b'R', b"\0\0\0\x03"),
        ),
        (
            auth(Authentication::Md5Password {
                salt: *b"\x01\x02\x03\x04",
            }),
            typed(b'R', b"\0\0\0\x05\x01\x02\x03\x04"),
        ),
        (auth(Authentication::Gss), typed(b'R', b"\0\0\0\x07")),
        (
            auth(Authentication::GssContinue {
                data: b"tok".to_vec(),
            }),
            typed(b'R', b"\0\0\0\x08tok"),
        ),
        (auth(Authentication::Sspi), typed(b'R', b"\0\0\0\x09")),
        // AuthenticationSASL: 10 | mechanism names, each NUL-terminated | NUL.
        (
            auth(Authentication::Sasl {
                mechanisms: vec![
                    SaslMechanism {
                        name: s("SCRAM-SHA-256-PLUS"),
                    },
                    SaslMechanism {
                        name: s("SCRAM-SHA-256"),
                    },
                ],
            }),
            typed(b'R', b"\0\0\0\x0aSCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0"),
        ),
        (
            auth(Authentication::SaslContinue {
                data: b"r=x".to_vec(),
            }),
            typed(b'R', b"\0\0\0\x0br=x"),
        ),
        (
            auth(Authentication::SaslFinal {
                data: b"v=y".to_vec(),
            }),
            typed(b'R', b"\0\0\0\x0cv=y"),
        ),
        (
            BackendKeyData {
                process_id: 77,
                secret_key: 0x0102_0304,
            }
            .into(),
            typed(b'K', b"\0\0\0\x4d\x01\x02\x03\x04"),
        ),
        (BindComplete {}.into(), typed(b'2', b"")),
        (CloseComplete {}.into(), typed(b'3', b"")),
        (
            CommandComplete { tag: s("SELECT 1") }.into(),
            typed(b'C', b"SELECT 1\0"),
        ),
        (
            CopyData {
                data: b"a,b\n".to_vec(),
            }
            .into(),
            typed(b'd', b"a,b\n"),
        ),
        (CopyDone {}.into(), typed(b'c', b"")),
        // Copy*Response: Int8 overall format | Int16 count | Int16 each.
        (
            CopyInResponse {
                format: format(0, vec![0, 0]),
            }
            .into(),
            typed(b'G', b"\x00\x00\x02\x00\x00\x00\x00"),
        ),
        (
            CopyOutResponse {
                format: format(1, vec![1]),
            }
            .into(),
            typed(b'H', b"\x01\x00\x01\x00\x01"),
        ),
        (
            CopyBothResponse {
                format: format(0, vec![]),
            }
            .into(),
            typed(b'W', b"\x00\x00\x00"),
        ),
        (
            DataRow {
                columns: vec![
                    Column { value: None },
                    Column {
                        value: Some(b"x".to_vec()),
                    },
                ],
            }
            .into(),
            typed(b'D', b"\x00\x02\xff\xff\xff\xff\x00\x00\x00\x01x"),
        ),
        (EmptyQueryResponse {}.into(), typed(b'I', b"")),
        // ErrorResponse: (code byte, String)... | NUL.
        (
            ErrorResponse {
                fields: vec![
                    NoticeField {
                        code: b'S',
                        value: s("ERROR"),
                    },
                    NoticeField {
                        code: b'C',
                        value: s("42P01"),
                    },
                    NoticeField {
                        code: b'M',
                        value: s("no t"),
                    },
                ],
            }
            .into(),
            typed(b'E', b"SERROR\0C42P01\0Mno t\0\0"),
        ),
        (
            NoticeResponse {
                fields: vec![NoticeField {
                    code: b'M',
                    value: s("hi"),
                }],
            }
            .into(),
            typed(b'N', b"Mhi\0\0"),
        ),
        (
            FunctionCallResponse {
                result: Column {
                    value: Some(b"8".to_vec()),
                },
            }
            .into(),
            typed(b'V', b"\0\0\0\x018"),
        ),
        // NegotiateProtocolVersion: newest minor | Int32 count | names.
        (
            NegotiateProtocolVersion {
                newest_minor: 0,
                options: vec![OptionName { name: s("_pq_.x") }],
            }
            .into(),
            typed(b'v', b"\0\0\0\0\0\0\0\x01_pq_.x\0"),
        ),
        (NoData {}.into(), typed(b'n', b"")),
        (
            NotificationResponse {
                process_id: 9,
                channel: s("ch"),
                payload: s("p"),
            }
            .into(),
            typed(b'A', b"\0\0\0\x09ch\0p\0"),
        ),
        (
            ParameterDescription {
                types: vec![23, 25],
            }
            .into(),
            typed(b't', b"\x00\x02\x00\x00\x00\x17\x00\x00\x00\x19"),
        ),
        (
            ParameterStatus {
                name: s("client_encoding"),
                value: s("UTF8"),
            }
            .into(),
            typed(b'S', b"client_encoding\0UTF8\0"),
        ),
        (ParseComplete {}.into(), typed(b'1', b"")),
        (PortalSuspended {}.into(), typed(b's', b"")),
        (ReadyForQuery { status: b'I' }.into(), typed(b'Z', b"I")),
        (
            RowDescription {
                fields: vec![FieldDescription {
                    name: s("n"),
                    table_oid: 0,
                    column: 0,
                    type_oid: 23,
                    type_size: 4,
                    type_modifier: -1,
                    format: 0,
                }],
            }
            .into(),
            typed(
                b'T',
                b"\x00\x01n\0\0\0\0\0\0\0\0\0\0\x17\x00\x04\xff\xff\xff\xff\x00\x00",
            ),
        ),
    ];
    for (value, wire) in cases {
        check(value, &wire);
    }
}

/// Hostile bodies: an unknown authentication code, an error field list
/// without its final NUL, a length below its own four bytes, a
/// mechanism list that never ends, an unknown type byte.
#[test]
fn hostile_backend_messages() {
    let e = Backend::from_bytes(&typed(b'R', b"\0\0\0\x06")).unwrap_err();
    assert_eq!(e.offset(), 5, "{e}");
    assert!(e.to_string().contains("AuthenticationRequest.auth"), "{e}");

    let e = Backend::from_bytes(&typed(b'E', b"SERROR\0")).unwrap_err();
    assert_eq!(e.bytes_needed(), None, "{e}");
    assert!(e.to_string().contains("ErrorResponse.fields"), "{e}");

    let e = Backend::from_bytes(&typed(b'R', b"\0\0\0\x0aSCRAM")).unwrap_err();
    assert_eq!(e.bytes_needed(), None, "{e}");

    let e = Backend::from_bytes(b"Z\0\0\0\x02I").unwrap_err();
    assert_eq!(
        e.to_string(),
        "length value 2 is below the minimum 4 at byte 1 in PgHeader.len"
    );

    let e = Backend::from_bytes(&typed(b'@', b"")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown message id 0x40 at byte 0 in PgHeader.id"
    );

    // A NUL code byte would end the list: it cannot be written.
    let bad = ErrorResponse {
        fields: vec![NoticeField {
            code: 0,
            value: s("x"),
        }],
    };
    assert!(Backend::from(bad).to_bytes().is_err());
}
