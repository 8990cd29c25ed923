//! Property tests: for every supported type and for the derived test types,
//! `from_bytes(to_bytes(x)) == x` and `encoded_len(x) == to_bytes(x).len()`.
//! Floats compare by bits (NaN payloads included).

use std::fmt::Debug;

use bytes::Bytes;
use codec::{Decode, Encode};
use codec_tests::strategies::*;
use codec_tests::types::*;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// Encodes `v` and checks that `encoded_len` is exact.
fn encode_checked<T: Encode + Debug>(v: &T) -> Result<Vec<u8>, TestCaseError> {
    let bytes = v
        .to_bytes()
        .map_err(|e| TestCaseError::fail(format!("{v:?} failed to encode: {e}")))?;
    prop_assert_eq!(v.encoded_len(), bytes.len(), "encoded_len of {:?}", v);
    Ok(bytes)
}

/// Decodes all of `bytes`.
fn decode_checked<'a, T: Decode<'a>>(bytes: &'a [u8]) -> Result<T, TestCaseError> {
    T::from_bytes(bytes).map_err(|e| TestCaseError::fail(format!("{bytes:02X?}: {e}")))
}

/// The round trip for owned types.
fn check<T>(v: &T) -> Result<(), TestCaseError>
where
    T: Encode + for<'de> Decode<'de> + PartialEq + Debug,
{
    let bytes = encode_checked(v)?;
    let back: T = decode_checked(&bytes)?;
    prop_assert_eq!(&back, v);
    Ok(())
}

// ## Every supported type, through the runtime's own impls

macro_rules! owned_round_trips {
    ($($name:ident: $ty:ty = $strategy:expr;)*) => {
        proptest! {
            $(
                #[test]
                fn $name(v in $strategy) {
                    let v: $ty = v;
                    check(&v)?;
                }
            )*
        }
    };
}

owned_round_trips! {
    prim_u8: u8 = any::<u8>();
    prim_u16: u16 = any::<u16>();
    prim_u32: u32 = any::<u32>();
    prim_u64: u64 = any::<u64>();
    prim_u128: u128 = any::<u128>();
    prim_usize: usize = any::<usize>();
    prim_i8: i8 = any::<i8>();
    prim_i16: i16 = any::<i16>();
    prim_i32: i32 = any::<i32>();
    prim_i64: i64 = any::<i64>();
    prim_i128: i128 = any::<i128>();
    prim_isize: isize = any::<isize>();
    prim_bool: bool = any::<bool>();
    prim_char: char = any::<char>();
    prim_unit: () = Just(());
    prim_array_u8: [u8; 5] = any::<[u8; 5]>();
    prim_array_u32: [u32; 3] = any::<[u32; 3]>();
    prim_array_nested: [[i16; 2]; 3] = any::<[[i16; 2]; 3]>();
    prim_string: String = text(100);
    prim_vec_u8: Vec<u8> = bytes(300);
    prim_vec_u32: Vec<u32> = prop::collection::vec(any::<u32>(), 0..50);
    prim_vec_string: Vec<String> = prop::collection::vec(text(10), 0..10);
    prim_vec_vec: Vec<Vec<u8>> = prop::collection::vec(bytes(10), 0..10);
    prim_option_u32: Option<u32> = any::<Option<u32>>();
    prim_option_string: Option<String> = prop::option::of(text(10));
    prim_option_option: Option<Option<u8>> = any::<Option<Option<u8>>>();
    prim_box_u64: Box<u64> = any::<u64>().prop_map(Box::new);
    prim_box_str: Box<str> = text(20).prop_map(String::into_boxed_str);
    prim_box_slice: Box<[u16]> = prop::collection::vec(any::<u16>(), 0..20).prop_map(Vec::into_boxed_slice);
    prim_bytes: Bytes = bytes(300).prop_map(Bytes::from);
    prim_tuple: (u8, i32, String, bool) = (any::<u8>(), any::<i32>(), text(10), any::<bool>());
}

proptest! {
    #[test]
    fn prim_f32(v in any::<f32>()) {
        let bytes = encode_checked(&v)?;
        prop_assert_eq!(decode_checked::<f32>(&bytes)?.to_bits(), v.to_bits());
    }

    #[test]
    fn prim_f64(v in any::<f64>()) {
        let bytes = encode_checked(&v)?;
        prop_assert_eq!(decode_checked::<f64>(&bytes)?.to_bits(), v.to_bits());
    }

    #[test]
    fn prim_str(v in text(100)) {
        let bytes = encode_checked(&v.as_str())?;
        let back: &str = decode_checked(&bytes)?;
        prop_assert_eq!(back, v.as_str());
        prop_assert_eq!(back.as_ptr(), bytes[bytes.len() - v.len()..].as_ptr(), "borrowed");
    }

    #[test]
    fn prim_slice(v in bytes(300)) {
        let bytes = encode_checked(&v.as_slice())?;
        let back: &[u8] = decode_checked(&bytes)?;
        prop_assert_eq!(back, v.as_slice());
        prop_assert_eq!(back.as_ptr(), bytes[bytes.len() - v.len()..].as_ptr(), "borrowed");
    }
}

proptest! {
    #[test]
    fn store_request_rt(v in store_request()) { check(&v)?; }

    #[test]
    fn store_response_rt(trans in any::<u8>(), status in status()) {
        check(&StoreResponse { trans, status })?;
    }

    #[test]
    fn ints_rt(v in ints()) { check(&v)?; }

    #[test]
    fn scalars_rt(yes in any::<bool>(), no in any::<bool>(), single in any::<f32>(), double in any::<f64>(), letter in any::<char>()) {
        let v = Scalars { yes, no, single, double, letter };
        let bytes = encode_checked(&v)?;
        let back: Scalars = decode_checked(&bytes)?;
        prop_assert_eq!(
            (back.yes, back.no, back.single.to_bits(), back.double.to_bits(), back.letter),
            (yes, no, single.to_bits(), double.to_bits(), letter)
        );
    }

    #[test]
    fn arrays_rt(bytes in any::<[u8; 3]>(), words in any::<[u16; 2]>(), grid in any::<[[u8; 2]; 2]>()) {
        check(&Arrays { bytes, words, grid })?;
    }

    #[test]
    fn defaults_rt(
        name in text(100), data in bytes(300), words in prop::collection::vec(any::<u16>(), 0..100),
        maybe in any::<Option<u16>>(), boxed in any::<u32>(),
    ) {
        check(&Defaults { name, data, words, maybe, boxed: Box::new(boxed) })?;
    }

    #[test]
    fn borrowed_rt(name in text(60), data in bytes(300), label in text(100), tail in bytes(100)) {
        let v = Borrowed { name: &name, data: &data, label: &label, tail: &tail };
        let bytes = encode_checked(&v)?;
        let back: Borrowed = decode_checked(&bytes)?;
        prop_assert_eq!(&back, &v);
        let range = bytes.as_ptr_range();
        prop_assert!(range.contains(&back.name.as_ptr()) || name.is_empty());
        prop_assert!(range.contains(&back.data.as_ptr()) || data.is_empty());
        prop_assert!(range.contains(&back.tail.as_ptr()) || tail.is_empty());
    }

    #[test]
    fn prefixes_rt(v in prefixes()) { check(&v)?; }

    #[test]
    fn units_rt(v in units()) { check(&v)?; }

    #[test]
    fn len_from_rt(v in len_from()) { check(&v)?; }

    /// With arbitrary (stale) length fields, decode gives back the value
    /// with the lengths encode wrote.
    #[test]
    fn len_from_normalises(v in len_from(), nlen in any::<u8>(), wlen in any::<u16>()) {
        let stale = LenFrom { nlen, wlen, ..v.clone() };
        let bytes = encode_checked(&stale)?;
        prop_assert_eq!(decode_checked::<LenFrom>(&bytes)?, v);
    }

    #[test]
    fn varints_rt(v in varints()) { check(&v)?; }

    #[test]
    fn base128_singles_rt(a in any::<u64>(), b in any::<i64>(), c in any::<i32>()) {
        check(&Vlq(a))?;
        check(&Varint(a))?;
        check(&ZigZag(b))?;
        check(&VlqZigZag(c))?;
    }

    #[test]
    fn little_rt(v in little()) {
        let bytes = encode_checked(&v)?;
        let back: Little = decode_checked(&bytes)?;
        prop_assert_eq!(back.f.to_bits(), v.f.to_bits());
        prop_assert_eq!(Little { f: 0.0, ..back }, Little { f: 0.0, ..v });
    }

    #[test]
    fn field_endian_rt(v in field_endian()) { check(&v)?; }

    #[test]
    fn packet_rt((tag, flags, channel, note, payload) in packet_parts()) {
        let v = Packet { tag, flags, channel, note, payload: &payload };
        let bytes = encode_checked(&v)?;
        prop_assert_eq!(decode_checked::<Packet>(&bytes)?, v);
    }

    #[test]
    fn nested_rt(v in nested()) { check(&v)?; }

    /// `skip` fields come back as `Default`.
    #[test]
    fn skipped_rt(a in any::<u8>(), b in any::<u8>(), cache in prop::collection::vec(any::<u32>(), 0..5)) {
        let bytes = encode_checked(&Skipped { a, cache, b })?;
        prop_assert_eq!(decode_checked::<Skipped>(&bytes)?, Skipped { a, cache: Vec::new(), b });
    }

    #[test]
    fn command_rt(v in command()) { check(&v)?; }

    #[test]
    fn shape_rt(v in shape()) { check(&v)?; }

    #[test]
    fn kinds_rt(v in kinds()) { check(&v)?; }

    #[test]
    fn via_path_rt(name in text(60), n in any::<u32>()) { check(&ViaPath { name, n })?; }

    #[test]
    fn with_bytes_rt(a in bytes(1000), b in bytes(300)) {
        check(&WithBytes { a: a.into(), b: b.into() })?;
    }

    #[test]
    fn pair_rt(a in any::<u8>(), b in text(60)) { check(&Pair(a, b))?; }

    #[test]
    fn wrapper_rt(points in prop::collection::vec(point(), 0..=255), items in bytes(255)) {
        check(&Wrapper { items: points })?;
        check(&Wrapper { items })?;
    }

    #[test]
    fn strings_rt(v in strings()) { check(&v)?; }
}

#[test]
fn unit_struct_rt() {
    assert_eq!(Nothing.to_bytes().unwrap(), Vec::<u8>::new());
    assert_eq!(Nothing::from_bytes(&[]).unwrap(), Nothing);
}

/// A `repr = u16` data enum with struct, tuple, unit and `other` variants
/// (from the first derive smoke test).
#[test]
fn wide_enum_with_other_rt() {
    #[derive(Debug, PartialEq, Encode, Decode)]
    #[codec(repr = u16)]
    enum WideShape {
        #[codec(id = 1)]
        Circle {
            r: f32,
        },
        #[codec(id = 2)]
        Rect(u8, u8),
        Empty,
        #[codec(other)]
        Unknown(u16, #[codec(rest)] Vec<u8>),
    }
    for s in [
        WideShape::Circle { r: 1.5 },
        WideShape::Rect(1, 2),
        WideShape::Empty,
        WideShape::Unknown(77, vec![1, 2]),
    ] {
        let b = s.to_bytes().unwrap();
        assert_eq!(WideShape::from_bytes(&b).unwrap(), s, "{b:?}");
    }
}

proptest! {
    #[test]
    fn widths_rt(v in widths()) { check(&v)?; }

    #[test]
    fn tls_handshake_rt(v in tls_handshake()) { check(&v)?; }

    #[test]
    fn png_header_rt(v in png_header()) { check(&v)?; }

    #[test]
    fn chunk_rt(v in chunk()) { check(&v)?; }

    #[test]
    fn pg_data_row_rt(v in pg_data_row()) { check(&v)?; }

    #[test]
    fn kafka_forms_rt(v in kafka_forms()) { check(&v)?; }

    #[test]
    fn pg_startup_rt(v in pg_startup()) { check(&v)?; }

    #[test]
    fn tar_name_rt(v in tar_name()) { check(&v)?; }

    #[test]
    fn u16_list_rt(v in u16_list()) { check(&v)?; }

    /// Every terminated and fixed-size form, borrowed ones included; the
    /// strategies leave each terminator out of its value.
    #[test]
    fn terminated_rt(
        line in text_without('\n', 20),
        raw in bytes_without(0, 20),
        bytes in bytes_without(0xFF, 20),
        list in bytes_without(0xFF, 20),
        maybe in prop::option::of(text_without('\0', 20)),
        fixed in bytes(4),
        tag in "[a-z]{0,3}",
    ) {
        let list: Vec<i8> = list.into_iter().map(|b| b as i8).collect();
        let mut fixed = fixed;
        while fixed.last() == Some(&b' ') {
            fixed.pop();
        }
        let v = Terminated { line, raw: &raw, bytes, list, maybe, fixed: &fixed, tag: &tag };
        let encoded = v.to_bytes().unwrap();
        prop_assert_eq!(encoded.len(), v.encoded_len());
        prop_assert_eq!(Terminated::from_bytes(&encoded).unwrap(), v);
    }
}

proptest! {
    #[test]
    fn reading_rt(v in reading()) { check(&v)?; }

    #[test]
    fn range_rt(v in range()) { check(&v)?; }

    /// Whatever decodes passed the assertions, so it encodes back to the
    /// same bytes (the encode side checks the same conditions).
    #[test]
    fn range_decoded_reencodes(v in range(), flip in any::<(usize, u8)>()) {
        let mut bytes = v.to_bytes().unwrap();
        let i = flip.0 % bytes.len();
        bytes[i] ^= flip.1;
        if let Ok(back) = Range::from_bytes(&bytes) {
            prop_assert_eq!(back.to_bytes().unwrap(), bytes);
        }
    }
}
