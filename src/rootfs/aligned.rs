//! [`AlignedBuf`]: a read buffer that starts on a page boundary.
//!
//! The kernel copies file data into the buffer a `read` names
//! (`copy_to_iter`, `rep movsb` on x86); on AMD Zen that copy runs at
//! 14 GB/s into a 64-byte-aligned destination and at 2.7 GB/s when the
//! destination is 16 bytes off (measured for issue "rootaudit 11": a
//! `vec![0u8; 256 KiB]` is served by glibc's `mmap` path at page + 16).
//! Aligning the start of every bulk read buffer to the page makes a warm
//! `--checks files -j1` scan 1.35 s → 0.95 s on the rpm bench tree.
//!
//! The alignment is made without `unsafe`: the buffer over-allocates one
//! page and hands out the aligned window inside it.

/// The alignment of every [`AlignedBuf`].
pub const ALIGN: usize = 4096;

/// A zeroed, page-aligned byte buffer of a fixed length.
pub struct AlignedBuf {
    raw: Vec<u8>,
    start: usize,
    len: usize,
}

impl AlignedBuf {
    /// `len` zeroed bytes starting at a multiple of [`ALIGN`].
    pub fn new(len: usize) -> AlignedBuf {
        let raw = vec![0u8; len + ALIGN];
        // `align_offset` may decline (usize::MAX) only where alignment
        // cannot be known, never for a heap pointer at run time; fall back
        // to the start rather than fail.
        let start = match raw.as_ptr().align_offset(ALIGN) {
            off if off < ALIGN => off,
            _ => 0,
        };
        AlignedBuf { raw, start, len }
    }

    /// The buffer.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.raw[self.start..self.start + self.len]
    }

    /// Its length.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when it holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl std::fmt::Debug for AlignedBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlignedBuf")
            .field("len", &self.len)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_starts_on_a_page_and_has_the_length_asked() {
        for len in [1, 4096, 64 * 1024, 256 * 1024, 256 * 1024 + 3] {
            let mut b = AlignedBuf::new(len);
            let s = b.as_mut_slice();
            assert_eq!(s.as_ptr() as usize % ALIGN, 0, "{len}");
            assert_eq!(s.len(), len);
            assert!(s.iter().all(|&x| x == 0));
        }
    }
}
