//! Kafka ApiVersions request v3 (kafka.apache.org/protocol, "ApiVersions
//! API (Key: 18)"), with the derive alone: request header v2 (a nullable
//! `client_id` whose NULL is length -1, tagged fields), and a body whose
//! fields exist only from version 3, gated by the header's `api_version`
//! passed in as context. Bytes from kafka-python's encoder (pinned in
//! examples/peers/requirements.txt).
//!
//! ```text
//! RequestHeader v2 => request_api_key request_api_version correlation_id client_id TAG_BUFFER
//!   request_api_key      INT16
//!   request_api_version  INT16
//!   correlation_id       INT32
//!   client_id            NULLABLE_STRING  (INT16 length, -1 = null)
//! ApiVersions Request (Version: 3) => client_software_name client_software_version TAG_BUFFER
//!   client_software_name     COMPACT_STRING  (UNSIGNED_VARINT length + 1)
//!   client_software_version  COMPACT_STRING
//! TAG_BUFFER: UNSIGNED_VARINT count, then per field UNSIGNED_VARINT tag,
//!   UNSIGNED_VARINT size, size bytes
//! ```

use codec::{Decode, DecodeWith, Encode};
use codec_tests::assert_truncations;

use crate::support::python_hex;

/// One tagged field: its tag and raw value.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct TaggedField {
    #[codec(varint)]
    pub tag: u32,
    #[codec(len = varint)]
    pub data: Vec<u8>,
}

/// Request header v2.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct RequestHeaderV2 {
    pub api_key: i16,
    pub api_version: i16,
    pub correlation_id: i32,
    #[codec(len = i16, null = -1)]
    pub client_id: Option<String>,
    #[codec(len = varint)]
    pub tags: Vec<TaggedField>,
}

/// The ApiVersions request body: empty before version 3; from version 3
/// the client's software name and version, as compact strings, and
/// tagged fields.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[codec(ctx(version: i16))]
pub struct ApiVersionsRequest {
    #[codec(when = version >= 3, len = varint, len_adds = 1)]
    pub client_software_name: Option<String>,
    #[codec(when = version >= 3, len = varint, len_adds = 1)]
    pub client_software_version: Option<String>,
    #[codec(when = version >= 3, len = varint)]
    pub tags: Option<Vec<TaggedField>>,
}

/// A whole request: the header, then the body its version selects.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct ApiVersions {
    pub header: RequestHeaderV2,
    #[codec(ctx(version = header.api_version))]
    pub body: ApiVersionsRequest,
}

/// kafka-python's encoding of header v2 + ApiVersions v3 (hex).
fn kafka_python(
    correlation_id: i32,
    client_id: Option<&str>,
    name: &str,
    version: &str,
) -> Vec<u8> {
    let client_id = client_id.map_or("None".to_string(), |c| format!("{c:?}"));
    let script = format!(
        "from kafka.protocol.api_versions import ApiVersionsRequest\n\
         from kafka.protocol.api import RequestHeaderV2\n\
         r = ApiVersionsRequest[3](client_software_name={name:?}, \
         client_software_version={version:?}, _tagged_fields={{}})\n\
         h = RequestHeaderV2(r, correlation_id={correlation_id}, client_id={client_id})\n\
         print((h.encode() + r.encode()).hex())\n"
    );
    python_hex("kafka-python", &script)
}

fn request(client_id: Option<&str>) -> ApiVersions {
    ApiVersions {
        header: RequestHeaderV2 {
            api_key: 18,
            api_version: 3,
            correlation_id: 7,
            client_id: client_id.map(str::to_owned),
            tags: vec![],
        },
        body: ApiVersionsRequest {
            client_software_name: Some("kafka-python".into()),
            client_software_version: Some("2.2.15".into()),
            tags: Some(vec![]),
        },
    }
}

#[test]
fn api_versions_v3_matches_kafka_python() {
    let value = request(Some("kafka-python"));
    // 00 12 | 00 03 | 00 00 00 07 | 00 0C "kafka-python" | 00
    // 0D "kafka-python" (12 + 1) | 07 "2.2.15" (6 + 1) | 00
    let expected = [
        &[0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x07, 0x00, 0x0C][..],
        b"kafka-python",
        &[0x00, 0x0D],
        b"kafka-python",
        &[0x07],
        b"2.2.15",
        &[0x00],
    ]
    .concat();
    assert_eq!(value.to_bytes().unwrap(), expected);
    assert_eq!(value.encoded_len(), expected.len());
    assert_eq!(ApiVersions::from_bytes(&expected).unwrap(), value);
    assert_eq!(
        kafka_python(7, Some("kafka-python"), "kafka-python", "2.2.15"),
        expected
    );
    // Every strict prefix asks for more.
    assert_truncations::<ApiVersions>(&expected, expected.len());
}

#[test]
fn a_null_client_id_is_length_minus_one() {
    let value = request(None);
    let bytes = value.to_bytes().unwrap();
    assert_eq!(&bytes[8..10], [0xFF, 0xFF]);
    assert_eq!(bytes, kafka_python(7, None, "kafka-python", "2.2.15"));
    assert_eq!(ApiVersions::from_bytes(&bytes).unwrap(), value);
}

#[test]
fn the_version_gates_the_body() {
    // Before version 3 the body is empty: the same bytes read as v2 are
    // the header alone, and the v3 fields are trailing bytes.
    type Dec = <ApiVersionsRequest as DecodeWith<'static>>::Ctx;
    let empty = ApiVersionsRequest::from_bytes_in(&[], Dec { version: 2 }).unwrap();
    assert_eq!(
        empty,
        ApiVersionsRequest {
            client_software_name: None,
            client_software_version: None,
            tags: None
        }
    );
    let mut v2 = request(Some("kafka-python"));
    v2.header.api_version = 2;
    let bytes = v2.to_bytes().unwrap_err();
    // The v3 fields are present on a v2 request: refused, naming the field.
    assert_eq!(
        bytes.to_string(),
        "value is present but its `when` condition says absent in ApiVersions.body.client_software_name"
    );
    v2.body = empty;
    assert_eq!(v2.to_bytes().unwrap().len(), 23);
    // A compact length of 0 (null) where a string must be: an error with
    // the path and offset of the length.
    let mut bad = request(Some("kafka-python")).to_bytes().unwrap();
    bad[23] = 0x00;
    let e = ApiVersions::from_bytes(&bad).unwrap_err();
    assert_eq!(e.offset(), 23, "{e}");
    assert_eq!(
        e.path().to_string(),
        "ApiVersions.body.client_software_name"
    );
}
