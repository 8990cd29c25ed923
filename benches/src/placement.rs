//! Deliberate buffer placement against glibc's 4K-aliasing `memcpy` trap.
//!
//! On this kind of machine, glibc copies of 2 KiB or more (which it does
//! with `rep movsb`) run about 27x slower when the destination sits 1 to 15
//! bytes past the source modulo 4096. Where a 4 KiB copy lands is up to the
//! allocator, so a benchmark copying the large store request's value could
//! swing by buffer placement alone, and differently for the two sides of a
//! comparison.
//!
//! The benchmark therefore places every buffer it controls so that the big
//! copy's destination is [`TARGET_DISTANCE`] bytes past its source modulo
//! 4096, far from the trap:
//!
//! - encode: the output `Vec` is reused and keeps a prefix of `pad` bytes
//!   (encode appends after it); `pad` is chosen from the source and
//!   destination addresses ([`encode_pad`]);
//! - decode: the input is copied into an over-sized backing buffer at an
//!   offset chosen from where the decoder's output allocation lands, which
//!   is probed first (glibc hands the same chunk back on every iteration
//!   because each result is freed before the next decode); see [`Placed`].
//!
//! The benchmark prints each distance it set up, and checks it again after
//! measuring.

/// The distance, modulo 4096, from a big copy's source to its destination.
pub const TARGET_DISTANCE: usize = 2048;

/// A page, for the purpose of the aliasing rule.
pub const PAGE: usize = 4096;

/// `(dst - src) mod 4096`: how far past the source the destination sits.
pub fn distance(src: *const u8, dst: *const u8) -> usize {
    (dst as usize).wrapping_sub(src as usize) % PAGE
}

/// The prefix length that puts `at` bytes into an output buffer starting at
/// `buf` [`TARGET_DISTANCE`] past `src` (modulo 4096).
pub fn encode_pad(buf: *const u8, at: usize, src: *const u8) -> usize {
    (src as usize + TARGET_DISTANCE)
        .wrapping_sub(buf as usize + at)
        .rem_euclid(PAGE)
}

/// Input bytes at a chosen address modulo 4096.
pub struct Placed {
    backing: Vec<u8>,
    start: usize,
    len: usize,
}

impl Placed {
    /// `bytes`, placed anywhere for now.
    pub fn new(bytes: &[u8]) -> Self {
        let mut backing = vec![0; bytes.len() + PAGE];
        backing[..bytes.len()].copy_from_slice(bytes);
        Placed {
            backing,
            start: 0,
            len: bytes.len(),
        }
    }

    /// The placed bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.backing[self.start..self.start + self.len]
    }

    /// Moves the bytes so that byte `at` of them sits [`TARGET_DISTANCE`]
    /// before `dst` (modulo 4096): a copy from there to `dst` is far from the
    /// aliasing trap.
    pub fn place_before(&mut self, at: usize, dst: *const u8) {
        let base = self.backing.as_ptr() as usize;
        let want = (dst as usize).wrapping_sub(TARGET_DISTANCE + at);
        let start = want.wrapping_sub(base).rem_euclid(PAGE);
        self.backing
            .copy_within(self.start..self.start + self.len, start);
        self.start = start;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pad_reaches_the_target() {
        let src = vec![0u8; 4096];
        let buf = vec![0u8; 8192];
        let pad = encode_pad(buf.as_ptr(), 36, src.as_ptr());
        assert!(pad < PAGE);
        let dst = buf.as_ptr().wrapping_add(pad + 36);
        assert_eq!(distance(src.as_ptr(), dst), TARGET_DISTANCE);
    }

    #[test]
    fn placed_reaches_the_target() {
        let dst = vec![0u8; 4096];
        let mut p = Placed::new(b"0123456789");
        p.place_before(3, dst.as_ptr());
        assert_eq!(p.bytes(), b"0123456789");
        let src = p.bytes()[3..].as_ptr();
        assert_eq!(distance(src, dst.as_ptr()), TARGET_DISTANCE);
    }
}
