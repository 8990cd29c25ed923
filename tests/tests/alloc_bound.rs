//! Hostile lengths cannot make the decoder allocate.
//!
//! What this proves: a counting `#[global_allocator]` records the size of
//! the largest single allocation *requested* (granted or not) on the
//! current thread. For each shape below (a `String`, `Vec<u8>`, `Vec<u32>`,
//! `Vec<String>`, ... behind a `u32`, `u64`, `varint`, `len_from` or
//! default length), an 8-byte input whose length claims up to 4 GiB and
//! more:
//! - is an error, and
//! - the largest allocation requested while decoding it is no larger than
//!   for a claim of 9 (just more than an 8-byte input can hold), and
//!   exactly the same for fixed-width prefixes: it does not depend on the
//!   claimed length at all, only on the bytes really there, and
//! - it is under 256 bytes: the boxed error value plus, for vectors, a
//!   capacity bounded by the few bytes the input really has.
//!
//! So the decoder checks a length against the remaining input before it
//! allocates for it; a decoder that trusted the prefix would request
//! gigabytes here (and abort the process, or pass unnoticed under
//! overcommit; this test catches both since it records the request).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::Bytes;
use codec::{Decode, DecodeError};

struct Counting;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    // `try_with`: during thread teardown the slot may be gone. The slot is
    // a const-initialised `Cell` with no destructor, so touching it never
    // allocates.
    let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
}

// SAFETY: forwards every call to `System`, only recording sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: forwarded unchanged to the system allocator, under the
        // caller's own guarantees for this call.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: forwarded unchanged to the system allocator, under the
        // caller's own guarantees for this call.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: forwarded unchanged to the system allocator, under the
        // caller's own guarantees for this call.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator, under the
        // caller's own guarantees for this call.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `f`, returning its result and the largest allocation requested on
/// this thread meanwhile.
fn largest_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    LARGEST.with(|l| l.set(0));
    let r = f();
    (r, LARGEST.with(Cell::get))
}

/// How the length is written in front of the body.
#[derive(Clone, Copy, Debug)]
enum Prefix {
    U32,
    U64,
    Varint,
}

/// An 8-byte input: the claimed length under `prefix`, then `a`s up to 8.
fn input(prefix: Prefix, claim: u64) -> Vec<u8> {
    let mut out = match prefix {
        Prefix::U32 => u32::try_from(claim).unwrap().to_be_bytes().to_vec(),
        Prefix::U64 => claim.to_be_bytes().to_vec(),
        Prefix::Varint => {
            let mut v = Vec::new();
            codec::wire::write_varint(claim, &mut v);
            v
        }
    };
    assert!(out.len() <= 8);
    out.resize(8, b'a');
    out
}

macro_rules! shapes {
    ($($name:ident: $ty:ty => $attr:tt;)*) => {$(
        #[derive(Debug, Decode)]
        #[allow(dead_code, reason = "only decoded")]
        struct $name {
            #[codec $attr]
            v: $ty,
        }
    )*};
}

shapes! {
    StrU32: String => (len = u32);
    StrU64: String => (len = u64);
    StrVarint: String => (len = varint);
    BytesU32: Vec<u8> => (len = u32);
    BytesU64: Vec<u8> => (len = u64);
    BytesVarint: Vec<u8> => (len = varint);
    WordsU32: Vec<u32> => (len = u32);
    WordsU64: Vec<u32> => (len = u64);
    WordsVarint: Vec<u32> => (len = varint);
    WordsBytesU32: Vec<u32> => (len = u32, unit = bytes);
    StringsU32: Vec<String> => (len = u32);
    StringsU64: Vec<String> => (len = u64);
    StringsVarint: Vec<String> => (len = varint);
    NestedU32: Vec<Vec<u8>> => (len = u32);
    BufU32: Bytes => (len = u32);
}

/// `len_from` a `u32` holder.
#[derive(Debug, Decode)]
#[allow(dead_code, reason = "only decoded")]
struct WordsFrom {
    n: u32,
    #[codec(len_from = n)]
    v: Vec<u32>,
}

/// Default (LEB128) lengths, no attribute.
#[derive(Debug, Decode)]
#[allow(dead_code, reason = "only decoded")]
struct Defaults {
    v: Vec<String>,
}

const GIB4: u64 = 1 << 32;

/// Decodes each claim as `T` and checks the bound; returns the largest
/// allocation for a claim of 9.
fn check<T: for<'de> Decode<'de> + std::fmt::Debug>(prefix: Prefix, claims: &[u64]) -> usize {
    let name = std::any::type_name::<T>();
    let (small, small_max) = largest_during(|| T::from_bytes(&input(prefix, 9)));
    assert!(small.is_err(), "{name}: a claim of 9 in 8 bytes decoded");
    for &claim in claims {
        let bytes = input(prefix, claim);
        let (result, max): (Result<T, DecodeError>, usize) =
            largest_during(|| T::from_bytes(&bytes));
        let err = result.expect_err("a huge claim decoded");
        assert!(
            max < 256,
            "{name} claiming {claim} in {bytes:02X?}: allocated {max} bytes ({err})"
        );
        assert!(
            max <= small_max,
            "{name}: claiming {claim} allocated {max} bytes, claiming 9 allocated {small_max} ({err})"
        );
        // With a fixed-width prefix the input left after it is the same for
        // every claim, and so is every allocation. (A longer varint leaves
        // fewer bytes, so it may allocate less.)
        if !matches!(prefix, Prefix::Varint) {
            assert_eq!(max, small_max, "{name}: claiming {claim} ({err})");
        }
    }
    small_max
}

#[test]
fn huge_lengths_allocate_nothing_for_them() {
    let u32_claims = [0xFFFF, 0xFFFF_FFFF];
    let wide_claims = [0xFFFF, GIB4, 1 << 40];
    let u64_claims = [0xFFFF, GIB4, 1 << 40, u64::MAX >> 1, u64::MAX];

    let mut report = Vec::new();
    macro_rules! run {
        ($($ty:ty, $prefix:expr, $claims:expr;)*) => {$(
            report.push((stringify!($ty), check::<$ty>($prefix, &$claims)));
        )*};
    }
    run! {
        StrU32, Prefix::U32, u32_claims;
        StrU64, Prefix::U64, u64_claims;
        StrVarint, Prefix::Varint, wide_claims;
        BytesU32, Prefix::U32, u32_claims;
        BytesU64, Prefix::U64, u64_claims;
        BytesVarint, Prefix::Varint, wide_claims;
        WordsU32, Prefix::U32, u32_claims;
        WordsU64, Prefix::U64, u64_claims;
        WordsVarint, Prefix::Varint, wide_claims;
        WordsBytesU32, Prefix::U32, u32_claims;
        StringsU32, Prefix::U32, u32_claims;
        StringsU64, Prefix::U64, u64_claims;
        StringsVarint, Prefix::Varint, wide_claims;
        NestedU32, Prefix::U32, u32_claims;
        BufU32, Prefix::U32, u32_claims;
        WordsFrom, Prefix::U32, u32_claims;
        Defaults, Prefix::Varint, wide_claims;
    }
    eprintln!("largest allocation per shape: {report:?}");
}

/// The error for a 4 GiB string is the plain truncation error: exactly how
/// many bytes the claim would need.
#[test]
fn huge_length_error_is_exact() {
    let bytes = input(Prefix::U32, 0xFFFF_FFFF);
    let e = StrU32::from_bytes(&bytes).unwrap_err();
    assert_eq!(e.bytes_needed(), Some(0xFFFF_FFFF - 4));
    assert_eq!(
        e.to_string(),
        "unexpected end of input (need 4294967295 bytes, have 4) at byte 4 in StrU32.v"
    );
}

/// The counter works: a real 1000-byte body is one allocation of at least
/// 1000 bytes.
#[test]
fn counter_sees_real_allocations() {
    let mut bytes = 1000u32.to_be_bytes().to_vec();
    bytes.extend_from_slice(&[7; 1000]);
    let (v, max) = largest_during(|| BytesU32::from_bytes(&bytes).unwrap());
    assert_eq!(v.v.len(), 1000);
    assert!(max >= 1000, "{max}");
}
