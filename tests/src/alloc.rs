//! The counting allocator the allocation-bound tests install: a
//! `#[global_allocator]` that forwards every call to [`System`] and records
//! what was requested (granted or not), so a test can prove that a hostile
//! length made the decoder allocate nothing near the size it claims.
//!
//! A global allocator is per binary, so each test file that measures
//! allocations installs it itself:
//!
//! ```
//! use codec_tests::alloc::{requested_by, Counting};
//!
//! #[global_allocator]
//! static ALLOCATOR: Counting = Counting;
//!
//! let (v, bytes) = requested_by(|| vec![0u8; 100]);
//! assert!(bytes >= 100);
//! # drop(v);
//! ```
//!
//! Three measures, so that tests running in parallel can choose how much
//! they see:
//! - [`requested_by`]: the bytes the current thread requested while `f` ran
//!   (a realloc counts its new size);
//! - [`largest_during`]: the largest single request on the current thread
//!   while `f` ran;
//! - [`peak`]: the largest single request on any thread since the binary
//!   started (for servers whose work runs on other threads).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Forwards to [`System`], recording the size of every request.
pub struct Counting;

thread_local! {
    static REQUESTED: Cell<usize> = const { Cell::new(0) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

static PEAK: AtomicUsize = AtomicUsize::new(0);

fn note(size: usize) {
    // `try_with`: the allocator may run while thread-locals are torn down.
    // The slots are const-initialised `Cell`s with no destructor, so
    // touching them never allocates.
    let _ = REQUESTED.try_with(|n| n.set(n.get().saturating_add(size)));
    let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
    PEAK.fetch_max(size, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// bookkeeping in `note` neither allocates nor touches the memory.
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

/// Runs `f` and returns what it returned and the bytes this thread
/// requested meanwhile (0 unless [`Counting`] is the global allocator).
pub fn requested_by<R>(f: impl FnOnce() -> R) -> (R, usize) {
    REQUESTED.with(|n| n.set(0));
    let r = f();
    (r, REQUESTED.with(Cell::get))
}

/// Runs `f` and returns what it returned and the largest single allocation
/// requested on this thread meanwhile (0 unless [`Counting`] is the global
/// allocator).
pub fn largest_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    LARGEST.with(|l| l.set(0));
    let r = f();
    (r, LARGEST.with(Cell::get))
}

/// The largest single allocation requested on any thread of this binary so
/// far (0 unless [`Counting`] is the global allocator).
pub fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}
