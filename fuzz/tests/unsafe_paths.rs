//! The only `unsafe` in the codec runtime is the `[T; N]` decoder
//! (`codec/src/decode.rs`): elements are written into a
//! `[MaybeUninit<T>; N]`, a guard drops the ones written so far if a later
//! element fails, and the whole array is moved out with `ptr::read`.
//!
//! The codec's own tests only decode arrays of `Copy` integers (through the
//! `codec-tests` package), whose drops are no-ops. These tests drive every
//! path with element types that own heap memory, so that under Miri
//! (`scripts/miri.sh`) a double drop, a use of uninitialised memory, or a
//! leak of the elements already decoded is an error.

use codec::{Decode, DecodeErrorKind, Encode, Reader};

/// `[String; 3]` (each a LEB128 length then UTF-8) from `bytes`.
fn strings(bytes: &[u8]) -> Result<[String; 3], codec::DecodeError> {
    <[String; 3]>::from_bytes(bytes)
}

#[test]
fn owned_elements_decode_and_drop_once() {
    let v: [String; 3] = ["a".into(), "bc".into(), String::new()];
    let bytes = v.to_bytes().unwrap();
    assert_eq!(bytes, b"\x01a\x02bc\x00");
    assert_eq!(strings(&bytes).unwrap(), v);
}

#[test]
fn failure_after_some_elements_drops_exactly_those() {
    // Two good strings, then a third that is not UTF-8: the guard must drop
    // the first two (Miri reports a leak otherwise) and nothing else.
    let err = strings(b"\x01a\x02bc\x01\xff").unwrap_err();
    assert!(
        matches!(err.kind(), DecodeErrorKind::InvalidUtf8 { .. }),
        "{err}"
    );
    // Every truncation: 0, 1 or 2 elements written before the error.
    let good = b"\x01a\x02bc\x03def";
    for cut in 0..good.len() {
        assert!(
            strings(&good[..cut]).unwrap_err().is_incomplete(),
            "cut {cut}"
        );
    }
    // Failure at the first element: nothing to drop.
    assert!(strings(b"\x05").is_err());
}

#[test]
fn nested_and_boxed_arrays() {
    let v: [[Vec<u16>; 2]; 2] = [[vec![1], vec![]], [vec![2, 3], vec![4]]];
    let bytes = v.to_bytes().unwrap();
    assert_eq!(<[[Vec<u16>; 2]; 2]>::from_bytes(&bytes).unwrap(), v);
    // Fail inside the second inner array: the first inner array is whole
    // and dropped by the outer guard, the second's first element by the
    // inner guard.
    let mut cut = bytes.clone();
    cut.truncate(bytes.len() - 1);
    assert!(<[[Vec<u16>; 2]; 2]>::from_bytes(&cut).is_err());

    let b: [Box<String>; 2] = [Box::new("x".into()), Box::new("yz".into())];
    let bytes = b.to_bytes().unwrap();
    assert_eq!(<[Box<String>; 2]>::from_bytes(&bytes).unwrap(), b);
    assert!(<[Box<String>; 2]>::from_bytes(&bytes[..bytes.len() - 1]).is_err());
}

#[test]
fn zero_length_and_borrowed_arrays() {
    assert_eq!(
        <[String; 0]>::from_bytes(&[]).unwrap(),
        <[String; 0]>::default()
    );
    let input = b"\x02hi\x01!";
    let mut r = Reader::new(input);
    let v = <[&str; 2]>::decode(&mut r).unwrap();
    assert_eq!(v, ["hi", "!"]);
    assert!(
        core::ptr::eq(v[0].as_ptr(), input[1..].as_ptr()),
        "borrowed, not copied"
    );
}

/// A derived struct holding arrays of owned values, failing in its last
/// field after both arrays are complete.
#[derive(Debug, PartialEq, Encode, Decode)]
struct Holder {
    names: [String; 2],
    #[codec(len = u8)]
    lists: Vec<[Vec<u8>; 2]>,
    last: bool,
}

#[test]
fn derived_struct_with_arrays() {
    let h = Holder {
        names: ["n".into(), "m".into()],
        lists: vec![[vec![1], vec![2, 3]], [vec![], vec![4]]],
        last: true,
    };
    let mut bytes = h.to_bytes().unwrap();
    assert_eq!(Holder::from_bytes(&bytes).unwrap(), h);
    *bytes.last_mut().unwrap() = 2; // not a bool
    assert!(Holder::from_bytes(&bytes).is_err());
}
