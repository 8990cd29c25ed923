//! ZIP local file headers (PKWARE APPNOTE.TXT 6.3.10, §4.3.7), little-endian,
//! with the signature `PK\x03\x04` as the type's magic, the name, extra
//! field and data lengths held by earlier fields, and the CRC-32 of the
//! (stored) data computed by the derive on encode and asserted on decode.
//! Bytes come from Python's stdlib `zipfile`.
//!
//! ```text
//! signature   | version | flags | method | time  | date  | crc-32      | compressed size
//! 50 4B 03 04 | 14 00   | 00 00 | 00 00  | 83 18 | 22 58 | 1B 38 72 CB | 0B 00 00 00
//! uncompressed size | name length | extra length | name      | extra | data
//! 0B 00 00 00       | 09 00       | 00 00        | hello.txt | -     | hello, zip\n
//! ```

use codec::{Decode, Encode, Endian, Reader};
use codec_tests::assert_truncations;

use crate::support::python_hex;

/// A local file header and its data (method 0, stored: the data is the
/// file, so its CRC-32 is computed from it).
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[codec(
    magic = b"PK\x03\x04",
    endian = "little",
    assert(crc32 == crc32fast::hash(&data), "crc-32 does not match the data")
)]
struct LocalFile {
    version_needed: u16,
    flags: u16,
    method: u16,
    mod_time: u16,
    mod_date: u16,
    #[codec(calc = crc32fast::hash(&data))]
    crc32: u32,
    compressed_size: u32,
    uncompressed_size: u32,
    name_len: u16,
    extra_len: u16,
    #[codec(len_from = name_len, unit = bytes)]
    name: String,
    #[codec(len_from = extra_len, unit = bytes)]
    extra: Vec<u8>,
    #[codec(len_from = compressed_size, unit = bytes)]
    data: Vec<u8>,
}

/// Python's `zipfile` writes an archive of two stored files (the second
/// with an extra field) at fixed times.
fn python_zip() -> Vec<u8> {
    const SCRIPT: &str = r#"
import io, sys, zipfile
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
    z.writestr(zipfile.ZipInfo("hello.txt", date_time=(2024, 1, 2, 3, 4, 6)), b"hello, zip\n")
    info = zipfile.ZipInfo("dir/second.bin", date_time=(2023, 12, 31, 23, 59, 58))
    info.extra = b"\xca\xfe\x02\x00hi"
    z.writestr(info, bytes(range(5)))
sys.stdout.write(buf.getvalue().hex())
"#;
    python_hex("zipfile", SCRIPT)
}

/// The first entry as the layout above shows it.
const HELLO: &[u8] = &[
    0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x83, 0x18, 0x22, 0x58, 0x1B, 0x38,
    0x72, 0xCB, 0x0B, 0x00, 0x00, 0x00, 0x0B, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, b'h', b'e',
    b'l', b'l', b'o', b'.', b't', b'x', b't', b'h', b'e', b'l', b'l', b'o', b',', b' ', b'z', b'i',
    b'p', b'\n',
];

fn hello() -> LocalFile {
    LocalFile {
        version_needed: 20,
        flags: 0,
        method: 0,
        mod_time: 0x1883, // 03:04:06
        mod_date: 0x5822, // 2024-01-02
        crc32: 0xCB72_381B,
        compressed_size: 11,
        uncompressed_size: 11,
        name_len: 9,
        extra_len: 0,
        name: "hello.txt".into(),
        extra: Vec::new(),
        data: b"hello, zip\n".to_vec(),
    }
}

#[test]
fn local_file_header_golden() {
    assert_eq!(LocalFile::from_bytes(HELLO).unwrap(), hello());
    // Encode computes the lengths and the CRC-32, whatever the fields hold.
    let stale = LocalFile {
        crc32: 0,
        compressed_size: 0,
        name_len: 0,
        ..hello()
    };
    assert_eq!(stale.to_bytes().unwrap(), HELLO);
    assert_truncations::<LocalFile>(HELLO, HELLO.len());
}

/// Python's archive starts with exactly these entries: each decodes in
/// turn, and re-encodes to Python's bytes; the central directory follows.
#[test]
fn python_zip_entries_round_trip() {
    let bytes = python_zip();
    assert_eq!(&bytes[..HELLO.len()], HELLO);
    let mut r = Reader::new(&bytes);
    let first = LocalFile::decode_with(&mut r, Endian::Little).unwrap();
    assert_eq!(first, hello());
    let at = r.offset();
    let second = LocalFile::decode_with(&mut r, Endian::Little).unwrap();
    assert_eq!(second.name, "dir/second.bin");
    assert_eq!(second.extra, b"\xca\xfe\x02\x00hi");
    assert_eq!(second.data, [0, 1, 2, 3, 4]);
    assert_eq!(second.crc32, crc32fast::hash(&[0, 1, 2, 3, 4]));
    assert_eq!(second.to_bytes().unwrap(), &bytes[at..r.offset()]);
    assert_eq!(
        &r.peek()[..4],
        b"PK\x01\x02",
        "the central directory follows"
    );
    // The central directory is no local file: its signature is refused.
    let e = LocalFile::decode_with(&mut r, Endian::Little).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("bad magic (expected 50 4b 03 04, found 50 4b 01 02)"),
        "{e}"
    );
}

/// A corrupted data byte: the CRC-32 read no longer matches the data.
#[test]
fn corrupted_data_fails_the_crc_assert() {
    let mut bytes = HELLO.to_vec();
    *bytes.last_mut().unwrap() = b'!';
    let e = LocalFile::from_bytes(&bytes).unwrap_err();
    // A type's `assert` is reported where its fields start, after its magic.
    assert_eq!(
        e.to_string(),
        "assertion failed: crc-32 does not match the data at byte 4 in LocalFile"
    );
}
