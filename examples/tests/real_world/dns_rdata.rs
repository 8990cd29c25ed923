//! DNS resource records (RFC 1035 §3.2.1, §3.3; RFC 3596 for AAAA) whose
//! RDATA is chosen by TYPE, with the derive alone: the record passes TYPE
//! and RDLENGTH to the RDATA enum as context (`id_from = rtype`), which
//! has no discriminant of its own; TXT and unknown types take RDLENGTH
//! bytes. Bytes produced by dnspython (pinned in
//! examples/peers/requirements.txt), uncompressed.
//!
//! ```text
//! NAME      labels: u8 length + bytes, ended by the zero-length root label
//! TYPE      u16
//! CLASS     u16
//! TTL       u32
//! RDLENGTH  u16
//! RDATA     RDLENGTH bytes, laid out by TYPE:
//!           A (1): 4-byte address; AAAA (28): 16-byte address;
//!           MX (15): u16 preference, NAME exchange;
//!           TXT (16): one or more character-strings (u8 length + bytes)
//! ```
//!
//! Encode refuses RDATA its TYPE does not select, and TXT or unknown
//! RDATA whose size is not RDLENGTH; for A, AAAA and MX, RDLENGTH is the
//! value's to get right (it is read and written as is).

use codec::{Decode, DecodeErrorKind, Encode};
use codec_tests::assert_truncations;

use crate::support::python_hex;

/// One label of a name.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Label {
    #[codec(len = u8)]
    pub text: String,
}

/// A domain name, uncompressed: labels up to the root's zero length.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Name {
    #[codec(term)]
    pub labels: Vec<Label>,
}

/// A TXT character-string.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct CharString {
    #[codec(len = u8)]
    pub bytes: Vec<u8>,
}

/// RDATA, chosen by the record's TYPE.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[codec(ctx(rtype: u16, rdlength: u16), id_from = rtype)]
pub enum Rdata {
    #[codec(id = 1)]
    A([u8; 4]),
    #[codec(id = 28)]
    Aaaa([u8; 16]),
    #[codec(id = 15)]
    Mx { preference: u16, exchange: Name },
    #[codec(id = 16)]
    Txt(#[codec(len_from = rdlength, unit = bytes)] Vec<CharString>),
    /// Any other TYPE: kept with its raw RDATA.
    #[codec(other)]
    Unknown {
        kind: u16,
        #[codec(len_from = rdlength, unit = bytes)]
        data: Vec<u8>,
    },
}

/// A resource record.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct ResourceRecord {
    pub name: Name,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    pub rdlength: u16,
    #[codec(ctx(rtype = rtype, rdlength = rdlength))]
    pub rdata: Rdata,
}

fn name(text: &str) -> Name {
    Name {
        labels: text
            .split('.')
            .filter(|l| !l.is_empty())
            .map(|l| Label { text: l.into() })
            .collect(),
    }
}

fn record(rtype: u16, rdlength: u16, rdata: Rdata) -> ResourceRecord {
    ResourceRecord {
        name: name("ex.com."),
        rtype,
        class: 1,
        ttl: 3600,
        rdlength,
        rdata,
    }
}

/// dnspython's wire form of one record `ex.com. 3600 IN <rtype> <text>`.
fn dnspython(rtype: &str, text: &str) -> Vec<u8> {
    let script = format!(
        "import io, dns.rrset\n\
         r = dns.rrset.from_text('ex.com.', 3600, 'IN', {rtype:?}, {text:?})\n\
         f = io.BytesIO()\n\
         r.to_wire(f)\n\
         print(f.getvalue().hex())\n"
    );
    python_hex("dnspython", &script)
}

/// Encodes to `expected`, decodes back, and every strict prefix asks for
/// more.
fn golden(value: &ResourceRecord, expected: &[u8]) {
    assert_eq!(value.to_bytes().unwrap(), expected, "{value:?}");
    assert_eq!(value.encoded_len(), expected.len());
    assert_eq!(&ResourceRecord::from_bytes(expected).unwrap(), value);
    assert_truncations::<ResourceRecord>(expected, expected.len());
}

/// `ex.com.`, TYPE, CLASS IN, TTL 3600: the bytes before RDLENGTH.
fn owner(rtype: u16) -> Vec<u8> {
    let [hi, lo] = rtype.to_be_bytes();
    vec![
        0x02, b'e', b'x', 0x03, b'c', b'o', b'm', 0x00, hi, lo, 0x00, 0x01, 0x00, 0x00, 0x0E, 0x10,
    ]
}

#[test]
fn a_and_aaaa_match_dnspython() {
    let a = record(1, 4, Rdata::A([192, 0, 2, 1]));
    let expected = [owner(1), vec![0x00, 0x04, 0xC0, 0x00, 0x02, 0x01]].concat();
    golden(&a, &expected);
    assert_eq!(dnspython("A", "192.0.2.1"), expected);

    let mut v6 = [0u8; 16];
    v6[..4].copy_from_slice(&[0x20, 0x01, 0x0D, 0xB8]);
    v6[15] = 1;
    let aaaa = record(28, 16, Rdata::Aaaa(v6));
    let expected = [owner(28), vec![0x00, 0x10], v6.to_vec()].concat();
    golden(&aaaa, &expected);
    assert_eq!(dnspython("AAAA", "2001:db8::1"), expected);
}

#[test]
fn mx_matches_dnspython() {
    let mx = record(
        15,
        20,
        Rdata::Mx {
            preference: 10,
            exchange: name("mail.example.com."),
        },
    );
    let bytes = mx.to_bytes().unwrap();
    // RDLENGTH 20: preference (2) + 4 mail 7 example 3 com 0 (18).
    assert_eq!(&bytes[16..20], [0x00, 0x14, 0x00, 0x0A]);
    golden(&mx, &dnspython("MX", "10 mail.example.com."));
}

#[test]
fn txt_takes_rdlength_bytes_of_strings() {
    let txt = record(
        16,
        12,
        Rdata::Txt(vec![
            CharString {
                bytes: b"hello".to_vec(),
            },
            CharString {
                bytes: b"world".to_vec(),
            },
        ]),
    );
    golden(&txt, &dnspython("TXT", "\"hello\" \"world\""));
    // RDLENGTH that is not the strings' size: refused on encode.
    let mut wrong = txt.clone();
    wrong.rdlength = 11;
    let e = wrong.to_bytes().unwrap_err();
    assert_eq!(
        e.to_string(),
        "the length differs from the one the context's `rdlength` gives in ResourceRecord.rdata.0"
    );
}

#[test]
fn an_unknown_type_keeps_its_raw_rdata() {
    let unknown = record(
        999,
        3,
        Rdata::Unknown {
            kind: 999,
            data: vec![1, 2, 3],
        },
    );
    golden(&unknown, &dnspython("TYPE999", "\\# 3 010203"));
}

#[test]
fn rdata_the_type_does_not_select_is_refused() {
    let e = record(1, 16, Rdata::Aaaa([0; 16])).to_bytes().unwrap_err();
    assert_eq!(
        e.to_string(),
        "the context's `rtype` does not select variant `Aaaa` in ResourceRecord.rdata"
    );
    // An unknown record claiming a known type.
    let e = record(
        16,
        0,
        Rdata::Unknown {
            kind: 16,
            data: vec![],
        },
    )
    .to_bytes()
    .unwrap_err();
    assert!(e.to_string().contains("claims"), "{e}");
}

#[test]
fn hostile_rdata_is_an_error_with_path_and_offset() {
    // RDLENGTH 0x0100 for TXT, 2 bytes present: need exactly the rest.
    let bytes = [owner(16), vec![0x01, 0x00, 0x01, b'a']].concat();
    let e = ResourceRecord::from_bytes(&bytes).unwrap_err();
    assert_eq!(e.path().to_string(), "ResourceRecord.rdata.0");
    assert_eq!((e.offset(), e.bytes_needed()), (18, Some(0xFE)), "{e}");
    // A character-string running past RDLENGTH.
    let bytes = [owner(16), vec![0x00, 0x02, 0x05, b'a']].concat();
    let e = ResourceRecord::from_bytes(&bytes).unwrap_err();
    assert_ne!(e.kind(), &DecodeErrorKind::TrailingBytes { count: 0 });
    assert!(
        e.path().to_string().starts_with("ResourceRecord.rdata.0"),
        "{e}"
    );
}
