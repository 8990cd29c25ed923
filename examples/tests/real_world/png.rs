//! PNG (ISO/IEC 15948, W3C PNG spec §5.2 signature, §5.3 chunk layout,
//! §11.2.2 IHDR): the signature as the type's magic, chunks with their
//! CRC-32 over the chunk type and data computed by the derive on encode and
//! checked on decode. CRC-32 is `crc32fast::hash`, which the examples
//! already use for the storage WAL.
//!
//! ```text
//! signature               | IHDR chunk: length | type | 13 data bytes | crc
//! 89 50 4E 47 0D 0A 1A 0A | 00 00 00 0D        | IHDR | ...           | CRC-32(type + data)
//! then chunks: length | type | data (length bytes) | crc, up to IEND
//! ```

use codec::{Decode, DecodeErrorKind, Encode};
use codec_tests::assert_truncations;

use crate::support::python_hex;

/// The IHDR chunk: its length is always 13 (a wire-only value), its type
/// is magic, and its CRC covers the type and the fields.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
struct Ihdr {
    #[codec(wire = u32, value = 13)]
    length: (),
    #[codec(magic = b"IHDR")]
    width: u32,
    height: u32,
    bit_depth: u8,
    color_type: u8,
    compression: u8,
    filter: u8,
    interlace: u8,
    #[codec(checksum = crc32fast::hash, from = width)]
    crc: u32,
}

/// Any chunk: the length counts the data bytes.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
struct Chunk {
    length: u32,
    kind: [u8; 4],
    #[codec(len_from = length, unit = bytes)]
    data: Vec<u8>,
    #[codec(checksum = crc32fast::hash, from = kind)]
    crc: u32,
}

/// A PNG file: the signature, IHDR, then the other chunks.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[codec(magic = b"\x89PNG\r\n\x1a\n")]
struct Png {
    ihdr: Ihdr,
    #[codec(rest)]
    chunks: Vec<Chunk>,
}

/// The signature and IHDR of a 1x1 RGBA image, as the spec lays them out;
/// the CRC (1F 15 C4 89) is the one every PNG encoder writes for it.
const SIGNATURE_IHDR_1X1_RGBA: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, // signature
    0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, // length 13, "IHDR"
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, // width 1, height 1
    0x08, 0x06, 0x00, 0x00, 0x00, // depth 8, RGBA, deflate, adaptive, no interlace
    0x1F, 0x15, 0xC4, 0x89, // CRC-32 of "IHDR" and the 13 bytes
];

fn ihdr_1x1_rgba(crc: u32) -> Ihdr {
    Ihdr {
        length: (),
        width: 1,
        height: 1,
        bit_depth: 8,
        color_type: 6,
        compression: 0,
        filter: 0,
        interlace: 0,
        crc,
    }
}

/// Python's stdlib (`zlib`, `struct`) writes a whole 1x1 red RGBA PNG.
fn python_png() -> Vec<u8> {
    const SCRIPT: &str = r#"
import struct, sys, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
pixels = b"\x00" + bytes([255, 0, 0, 255])
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(pixels)) + chunk(b"IEND", b"")
sys.stdout.write(png.hex())
"#;
    python_hex("zlib", SCRIPT)
}

/// The signature (the type's magic) and IHDR with the derive's CRC.
#[test]
fn signature_and_ihdr_golden() {
    // The CRC field's value is ignored on encode: the derive computes it.
    let png = Png {
        ihdr: ihdr_1x1_rgba(0),
        chunks: Vec::new(),
    };
    assert_eq!(png.to_bytes().unwrap(), SIGNATURE_IHDR_1X1_RGBA);
    let back = Png::from_bytes(SIGNATURE_IHDR_1X1_RGBA).unwrap();
    assert_eq!(back.ihdr, ihdr_1x1_rgba(0x1F15_C489));
    // Every strict prefix is "need more bytes".
    assert_truncations::<Png>(SIGNATURE_IHDR_1X1_RGBA, SIGNATURE_IHDR_1X1_RGBA.len());
}

/// A whole PNG written by Python decodes chunk by chunk, and encoding it
/// back (CRCs recomputed by the derive) gives Python's bytes.
#[test]
fn python_png_round_trips() {
    let bytes = python_png();
    assert_eq!(
        &bytes[..SIGNATURE_IHDR_1X1_RGBA.len()],
        SIGNATURE_IHDR_1X1_RGBA
    );
    let png = Png::from_bytes(&bytes).unwrap();
    assert_eq!(png.ihdr, ihdr_1x1_rgba(0x1F15_C489));
    let kinds: Vec<_> = png.chunks.iter().map(|c| &c.kind).collect();
    assert_eq!(kinds, [b"IDAT", b"IEND"]);
    assert_eq!(png.chunks[1].crc, 0xAE42_6082, "IEND's well-known CRC");
    let mut stale = png.clone();
    stale.ihdr.crc = 0;
    for c in &mut stale.chunks {
        c.crc = 0;
    }
    assert_eq!(stale.to_bytes().unwrap(), bytes);
}

/// A corrupted pixel: the IDAT CRC no longer matches, reported at the CRC
/// with the computed and the stored value.
#[test]
fn corrupted_chunk_fails_its_crc() {
    let mut bytes = python_png();
    let idat = SIGNATURE_IHDR_1X1_RGBA.len();
    let len = u32::from_be_bytes(bytes[idat..idat + 4].try_into().unwrap()) as usize;
    bytes[idat + 8] ^= 0x01;
    let crc_at = idat + 8 + len;
    let stored = u32::from_be_bytes(bytes[crc_at..crc_at + 4].try_into().unwrap());
    let computed = crc32fast::hash(&bytes[idat + 4..crc_at]);
    let e = Png::from_bytes(&bytes).unwrap_err();
    assert_eq!(
        e.kind(),
        &DecodeErrorKind::ChecksumMismatch {
            expected: u64::from(computed),
            found: u64::from(stored),
        }
    );
    assert_eq!(e.offset(), crc_at);
    assert_eq!(e.path().to_string(), "Png.chunks[0].crc");
}

/// IHDR's length is always 13: another value is an error naming it.
#[test]
fn ihdr_length_is_checked() {
    let mut bytes = SIGNATURE_IHDR_1X1_RGBA.to_vec();
    bytes[11] = 0x0E;
    let e = Png::from_bytes(&bytes).unwrap_err();
    assert_eq!(
        e.to_string(),
        "unexpected value 14 (expected 13) at byte 8 in Png.ihdr.length"
    );
}
