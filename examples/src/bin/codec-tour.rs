//! A tour of the wire codec: encodes, decodes and prints a few messages.
//!
//! ```text
//! cargo run -p codec-examples --bin codec-tour
//! ```
//!
//! Each step prints the bytes on the wire and what came back, and the last
//! one shows what a decode error says about malformed input.
#![warn(missing_docs)]

use codec::{Decode, Encode};

/// The striptease tutorial's store request (message 0x01).
#[derive(Debug, PartialEq, Encode, Decode)]
struct StoreRequest {
    trans: u8,
    /// A u8 byte count, then UTF-8 bytes.
    #[codec(len = u8)]
    name: String,
    /// A u16 big-endian byte count, then the bytes.
    #[codec(len = u16)]
    data: Vec<u8>,
}

/// The same layout, borrowing its strings from the input: no copies.
#[derive(Debug, PartialEq, Encode, Decode)]
struct StoreRequestView<'a> {
    trans: u8,
    #[codec(len = u8)]
    name: &'a str,
    #[codec(len = u16)]
    data: &'a [u8],
}

/// A data enum chosen by a leading u8 discriminant, with a catch-all.
#[derive(Debug, PartialEq, Encode, Decode)]
#[codec(repr = u8)]
enum Shape {
    #[codec(id = 1)]
    Circle { radius: f32 },
    #[codec(id = 2)]
    Rect { w: u16, h: u16 },
    /// Any other discriminant: the value read and the remaining bytes.
    #[codec(other)]
    Unknown(u8, #[codec(rest)] Vec<u8>),
}

/// A nested, little-endian type with varints, a `len_from` length, an
/// optional field and a default-prefixed vector.
#[derive(Debug, PartialEq, Encode, Decode)]
#[codec(endian = "little")]
struct Drawing {
    #[codec(varint)]
    id: u64,
    title_len: u8,
    #[codec(len_from = title_len)]
    title: String,
    flags: u8,
    /// On the wire only when bit 0 of `flags` is set.
    #[codec(when = flags & 1 != 0)]
    note: Option<u16>,
    /// No length attribute: a LEB128 element count, then the shapes.
    shapes: Vec<Shape>,
}

/// Bytes as spaced hex.
fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("1. encode and decode a StoreRequest");
    let req = StoreRequest {
        trans: 7,
        name: "key".into(),
        data: b"hello".to_vec(),
    };
    let bytes = req.to_bytes()?;
    assert_eq!(bytes.len(), req.encoded_len());
    println!("   value:   {req:?}");
    println!("   layout:  trans | name.len | name | data.len (u16 BE) | data");
    println!("   bytes:   {}", hex(&bytes));
    let back = StoreRequest::from_bytes(&bytes)?;
    assert_eq!(back, req);
    println!("   decoded: {back:?}");

    println!("\n2. the same bytes as a borrowed view (no copies)");
    let view = StoreRequestView::from_bytes(&bytes)?;
    println!("   decoded: {view:?}");
    println!(
        "   name points into the input: {}",
        std::ptr::eq(view.name.as_ptr(), bytes[2..].as_ptr())
    );

    println!("\n3. a nested, little-endian type holding an enum");
    let drawing = Drawing {
        id: 300,
        title_len: 0, // encode writes the real length here
        title: "box".into(),
        flags: 1,
        note: Some(0xBEEF),
        shapes: vec![Shape::Circle { radius: 1.5 }, Shape::Rect { w: 3, h: 4 }],
    };
    let bytes = drawing.to_bytes()?;
    println!("   value:   {drawing:?}");
    println!("   bytes:   {}", hex(&bytes));
    let back = Drawing::from_bytes(&bytes)?;
    println!("   decoded: {back:?}");
    assert_eq!(back.title_len, 3);
    assert_eq!(back.shapes, drawing.shapes);
    let unknown = Shape::from_bytes(&[0x09, 0xAA, 0xBB])?;
    println!("   an unknown shape id: 09 aa bb -> {unknown:?}");

    println!("\n4. decode errors name the field and the byte offset");
    let truncated = [0x07, 0x05, b'k', b'e'];
    let err = StoreRequest::from_bytes(&truncated).unwrap_err();
    println!("   input:   {}", hex(&truncated));
    println!("   error:   {err}");
    println!(
        "   field {} at byte {}, {} more bytes needed",
        err.path(),
        err.offset(),
        err.bytes_needed().unwrap_or(0)
    );
    let bad_utf8 = [0x07, 0x02, 0xC3, 0x28, 0x00, 0x00];
    let err = StoreRequest::from_bytes(&bad_utf8).unwrap_err();
    println!("   input:   {}", hex(&bad_utf8));
    println!("   error:   {err}");
    let err = StoreRequest {
        trans: 1,
        name: "x".repeat(256),
        data: Vec::new(),
    }
    .to_bytes()
    .unwrap_err();
    println!("   a 256-byte name under `len = u8`: {err}");
    Ok(())
}
