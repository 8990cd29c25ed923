//! DNS (RFC 1035 §4.1): the header with its flags as bit fields, and the
//! question section (a name as a list of length-prefixed labels ended by
//! the empty label's zero byte), checked against messages dnspython
//! builds (pinned in examples/peers/requirements.txt).
//!
//! ```text
//!                                 1  1  1  1  1  1
//!   0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! |                      ID                       |
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! |QR|   Opcode  |AA|TC|RD|RA|   Z    |   RCODE   |
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! |            QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT |
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! ```

use codec::{Decode, Encode, FieldLayout, Message, Protocol};

use codec_tests::assert_truncations;

use crate::support::python_hex_lines;

/// RFC 1035's OPCODE (and RFC 1996's NOTIFY, RFC 2136's UPDATE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum Opcode {
    Query = 0,
    IQuery = 1,
    Status = 2,
    Notify = 4,
    Update = 5,
}

/// RFC 1035's RCODE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum Rcode {
    NoError = 0,
    FormErr = 1,
    ServFail = 2,
    NxDomain = 3,
    NotImp = 4,
    Refused = 5,
}

/// The 12-byte header: 16 bits of flags between whole-byte fields.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x35)]
pub struct Header {
    pub id: u16,
    #[codec(bits = 1)]
    pub qr: bool,
    #[codec(bits = 4)]
    pub opcode: Opcode,
    #[codec(bits = 1)]
    pub aa: bool,
    #[codec(bits = 1)]
    pub tc: bool,
    #[codec(bits = 1)]
    pub rd: bool,
    #[codec(bits = 1)]
    pub ra: bool,
    #[codec(bits = 3)]
    pub z: u8,
    #[codec(bits = 4)]
    pub rcode: Rcode,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
}

/// One label of a name: a length byte, then the bytes.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Label {
    #[codec(len = u8)]
    pub bytes: Vec<u8>,
}

/// A question: the name's labels ended by the root's zero byte, QTYPE,
/// QCLASS.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Question {
    #[codec(term)]
    pub name: Vec<Label>,
    pub qtype: u16,
    pub qclass: u16,
}

/// A message with one question and no records (what dnspython's
/// `make_query` and `make_response` give for a name with no answer).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x36)]
pub struct Query {
    pub header: Header,
    pub question: Question,
}

#[derive(Debug, PartialEq, Protocol)]
enum Dns {
    Header(Header),
    Query(Query),
}

fn example_com() -> Vec<Label> {
    ["example", "com"]
        .map(|l| Label {
            bytes: l.as_bytes().to_vec(),
        })
        .to_vec()
}

fn query() -> Query {
    Query {
        header: Header {
            id: 0xBEEF,
            qr: false,
            opcode: Opcode::Query,
            aa: false,
            tc: false,
            rd: true,
            ra: false,
            z: 0,
            rcode: Rcode::NoError,
            qdcount: 1,
            ancount: 0,
            nscount: 0,
            arcount: 0,
        },
        question: Question {
            name: example_com(),
            qtype: 1,  // A
            qclass: 1, // IN
        },
    }
}

/// The response: QR, AA, RD copied, RA, NXDOMAIN.
fn response() -> Query {
    let mut r = query();
    r.header.qr = true;
    r.header.aa = true;
    r.header.ra = true;
    r.header.rcode = Rcode::NxDomain;
    r
}

/// dnspython's query for `example.com A` and its NXDOMAIN response with
/// AA and RA, each whole message on a line.
const DNSPYTHON: &str = r#"
import dns.flags, dns.message, dns.rcode
q = dns.message.make_query("example.com", "A", id=0xBEEF)
print(q.to_wire().hex())
r = dns.message.make_response(q)
r.flags |= dns.flags.AA | dns.flags.RA
r.set_rcode(dns.rcode.NXDOMAIN)
print(r.to_wire().hex())
print(dns.message.make_query("example.com", "A", id=1).to_wire()[:12].hex())
"#;

#[test]
fn query_and_response_match_dnspython() {
    let wires = python_hex_lines("dnspython", DNSPYTHON);
    let [q, r, h] = &wires[..] else {
        panic!("three messages expected: {wires:02x?}");
    };
    // The header's flags: 01 00 is RD; 85 83 is QR AA RD | RA NXDOMAIN.
    assert_eq!(q[..12], [0xBE, 0xEF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    assert_eq!(r[2..4], [0x85, 0x83]);
    for (value, wire) in [(query(), q), (response(), r)] {
        assert_eq!(&value.to_bytes().unwrap(), wire);
        assert_eq!(value.encoded_len(), wire.len());
        assert_eq!(Query::from_bytes(wire).unwrap(), value);
        assert_truncations::<Query>(wire, wire.len());
        // The header alone.
        assert_eq!(Header::from_bytes(&wire[..12]).unwrap(), value.header);
    }
    let mut one = query().header;
    one.id = 1;
    assert_eq!(Header::from_bytes(h).unwrap(), one);
}

/// An OPCODE or RCODE with no variant is an error naming the field; a
/// flag value that does not fit is an encode error naming it.
#[test]
fn hostile_header() {
    let mut wire = query().header.to_bytes().unwrap();
    wire[2] = 0x18; // OPCODE 3: unassigned
    let e = Header::from_bytes(&wire).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid discriminant 3 at byte 2 in Header.opcode"
    );
    wire[2] = 0x00;
    wire[3] = 0x0F; // RCODE 15
    let e = Header::from_bytes(&wire).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid discriminant 15 at byte 3 in Header.rcode"
    );
    let mut h = query().header;
    h.z = 8;
    assert_eq!(
        h.to_bytes().unwrap_err().to_string(),
        "value 8 out of range for 3 bits in Header.z"
    );
}

/// `explain` shows each flag with its bits; `FIELDS` places them.
#[test]
fn explain_and_fields() {
    let frame = Dns::from(response().header).to_bytes().unwrap();
    let dump = codec::explain::<Dns>(&frame);
    for line in [
        "0005  85           Header.qr = 1 (bits 1.......)",
        "0005  85           Header.opcode = 0 (bits .0000...)",
        "0005  85           Header.aa = 1 (bits .....1..)",
        "0006  83           Header.ra = 1 (bits 1.......)",
        "0006  83           Header.rcode = 3 (bits ....0011)",
        "0007  00 01        Header.qdcount = 1",
    ] {
        assert!(dump.contains(line), "{line:?} not in\n{dump}");
    }
    assert_eq!(
        Header::FIELDS[8],
        FieldLayout {
            name: "rcode",
            offset: Some(3),
            width: Some(1),
            encoding: "bits = 4 from bit 4 (msb first), Rcode",
        }
    );
    assert_eq!(Header::FIELDS[9].offset, Some(4));
    assert_eq!(Header::FIELDS[12].offset, Some(10));
}
