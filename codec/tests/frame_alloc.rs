//! A frame whose header declares more than the limit is rejected from the
//! header alone: a counting global allocator shows that nothing beyond the
//! header's own bytes was allocated. (A `#[global_allocator]` is per binary,
//! hence a test file of its own.)

extern crate alloc;

#[path = "support/storage.rs"]
#[allow(dead_code)]
mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use codec::frame::{FrameDecoder, FrameError};
use codec::{Decode, StdHeader, WideHeader};

/// Counts the bytes each thread asks for (a realloc counts its new size),
/// so that tests running in parallel do not disturb each other.
struct Counting;

thread_local! {
    static REQUESTED: Cell<usize> = const { Cell::new(0) };
}

fn note(bytes: usize) {
    // `try_with`: the allocator may run while thread-locals are torn down.
    let _ = REQUESTED.try_with(|n| n.set(n.get().saturating_add(bytes)));
}

// SAFETY: every call is forwarded unchanged to the system allocator.
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
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns what it returned and the bytes this thread
/// requested meanwhile.
fn requested_by<R>(f: impl FnOnce() -> R) -> (R, usize) {
    REQUESTED.with(|n| n.set(0));
    let r = f();
    (r, REQUESTED.with(Cell::get))
}

/// The smallest allocation a `Vec<u8>` makes when it first grows.
const VEC_MIN: usize = 8;

#[test]
fn oversize_wide_header_allocates_only_the_header() {
    // id 0x0001 | len 0xFFFF_FFFF (4 GiB), over the 16 MiB default limit
    let header = [0x00, 0x01, 0xFF, 0xFF, 0xFF, 0xFF];
    let mut d = FrameDecoder::<WideHeader>::new();
    let (err, bytes) = requested_by(|| {
        d.push(&header);
        d.next_frame().map(|f| f.is_some())
    });
    assert!(matches!(
        err,
        Err(FrameError::TooLarge {
            len: 0xFFFF_FFFF,
            max: 0x0100_0000
        })
    ));
    assert!(
        bytes <= header.len().max(VEC_MIN),
        "allocated {bytes} bytes"
    );
}

#[test]
fn oversize_found_byte_by_byte_allocates_only_the_header() {
    // 16 MiB + 1: one byte over the default limit.
    let header = [0x00, 0x01, 0x01, 0x00, 0x00, 0x01];
    let mut d = FrameDecoder::<WideHeader>::new();
    let (result, bytes) = requested_by(|| {
        for (i, b) in header.iter().enumerate() {
            d.push(&[*b]);
            let next = d.next_frame().map(|f| f.is_some());
            if i + 1 < header.len() {
                assert!(matches!(next, Ok(false)));
            } else {
                return next;
            }
        }
        unreachable!()
    });
    assert!(matches!(result, Err(FrameError::TooLarge { .. })));
    assert!(bytes <= VEC_MIN, "allocated {bytes} bytes");
}

#[test]
fn oversize_std_header_under_a_small_limit() {
    // id 01 | len FFFF, limit 100
    let mut d = FrameDecoder::<StdHeader>::new().with_max_frame_len(100);
    let (result, bytes) = requested_by(|| {
        d.push(&[0x01, 0xFF, 0xFF]);
        d.next_frame().map(|f| f.is_some())
    });
    assert!(matches!(
        result,
        Err(FrameError::TooLarge {
            len: 0xFFFF,
            max: 100
        })
    ));
    assert!(bytes <= VEC_MIN, "allocated {bytes} bytes");
}

#[test]
fn the_counter_sees_a_body_reservation_within_the_limit() {
    // The same decoder reserves the body once the header passes the limit:
    // proof that the counter would have seen a reservation above.
    let mut d = FrameDecoder::<WideHeader>::new();
    let (result, bytes) = requested_by(|| {
        d.push(&[0x00, 0x01, 0x00, 0x10, 0x00, 0x00]); // 1 MiB
        d.next_frame().map(|f| f.is_some())
    });
    assert!(matches!(result, Ok(false)));
    assert!(bytes >= 1 << 20, "allocated {bytes} bytes");
    assert_eq!(d.needed(), 1 << 20);
}

#[test]
fn whole_frame_decode_allocates_nothing_for_a_hostile_length() {
    // StoreRequest header declaring 65,535 payload bytes, then 5 bytes.
    let input = [0x01, 0xFF, 0xFF, 0x07, 0x03, b'k', b'e', b'y'];
    let (result, bytes) = requested_by(|| support::Storage::from_bytes(&input).map(|_| ()));
    let err = result.unwrap_err();
    assert_eq!(err.bytes_needed(), Some(0xFFFF - 5));
    // Only the boxed error itself.
    assert!(bytes < 256, "allocated {bytes} bytes");
}

#[cfg(feature = "tokio")]
#[test]
fn tokio_codec_rejects_oversize_before_reserving() {
    use bytes::BytesMut;
    use codec::tokio::ProtocolCodec;
    use tokio_util::codec::Decoder;

    let mut codec = ProtocolCodec::<support::Storage>::new().with_max_frame_len(16);
    let mut buf = BytesMut::with_capacity(3);
    buf.extend_from_slice(&[0x01, 0xFF, 0xFF]);
    let (result, bytes) = requested_by(|| codec.decode(&mut buf).map(|m| m.is_some()));
    assert!(matches!(
        result,
        Err(FrameError::TooLarge {
            len: 0xFFFF,
            max: 16
        })
    ));
    assert_eq!(bytes, 0, "allocated {bytes} bytes");
}
