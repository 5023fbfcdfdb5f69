//! Streaming file digests in every algorithm rpm records, with bounded
//! memory (one reusable buffer per worker thread).

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read};

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use crate::pkgdb::DigestAlgo;

/// Read size: large enough to amortise syscalls, small enough to stay in L2.
const CHUNK: usize = 256 * 1024;

thread_local! {
    // Page-aligned: the kernel's copy into it is several times faster
    // than into glibc's page + 16 (see `rootfs::aligned`).
    static BUF: RefCell<crate::rootfs::AlignedBuf> = RefCell::new(crate::rootfs::AlignedBuf::new(CHUNK));
}

enum Hasher {
    Md5(Md5),
    Sha1(Sha1),
    Sha224(Sha224),
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
}

impl Hasher {
    fn new(algo: DigestAlgo) -> Option<Hasher> {
        Some(match algo {
            DigestAlgo::Md5 => Hasher::Md5(Md5::new()),
            DigestAlgo::Sha1 => Hasher::Sha1(Sha1::new()),
            DigestAlgo::Sha224 => Hasher::Sha224(Sha224::new()),
            DigestAlgo::Sha256 => Hasher::Sha256(Sha256::new()),
            DigestAlgo::Sha384 => Hasher::Sha384(Sha384::new()),
            DigestAlgo::Sha512 => Hasher::Sha512(Sha512::new()),
            DigestAlgo::Unknown(_) => return None,
        })
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Md5(h) => h.update(data),
            Hasher::Sha1(h) => h.update(data),
            Hasher::Sha224(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha384(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    fn finish(self) -> FileDigest {
        match self {
            Hasher::Md5(h) => FileDigest::new(&h.finalize()),
            Hasher::Sha1(h) => FileDigest::new(&h.finalize()),
            Hasher::Sha224(h) => FileDigest::new(&h.finalize()),
            Hasher::Sha256(h) => FileDigest::new(&h.finalize()),
            Hasher::Sha384(h) => FileDigest::new(&h.finalize()),
            Hasher::Sha512(h) => FileDigest::new(&h.finalize()),
        }
    }
}

/// A computed digest, kept inline (at most 64 bytes, SHA-512): verifying a
/// file allocates nothing for it.
#[derive(Clone, Copy)]
pub struct FileDigest {
    bytes: [u8; 64],
    len: u8,
}

impl FileDigest {
    fn new(d: &[u8]) -> FileDigest {
        let mut bytes = [0u8; 64];
        bytes[..d.len()].copy_from_slice(d);
        FileDigest {
            bytes,
            len: d.len() as u8,
        }
    }

    /// The digest bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl std::fmt::Debug for FileDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.as_bytes()))
    }
}

/// Digest `file` from its current offset to the end. Returns the digest and
/// the number of bytes read, or `None` for an algorithm rootaudit cannot
/// compute.
///
/// `size_hint` is the size `fstat` reported: a file that fits in one read
/// costs one `read` (a short read that reaches the expected size is the end
/// of a regular file), and only files bigger than one read get
/// `posix_fadvise(SEQUENTIAL)`. Without a hint, or when the file turns out
/// longer, it is read until `read` returns 0.
///
/// With a `throttle`, every read is paced by it (`--max-rate`).
pub fn digest_file(
    file: &mut File,
    algo: DigestAlgo,
    size_hint: Option<u64>,
    throttle: Option<&super::throttle::Throttle>,
) -> io::Result<Option<(FileDigest, u64)>> {
    let Some(mut hasher) = Hasher::new(algo) else {
        return Ok(None);
    };
    if size_hint.is_none_or(|s| s > CHUNK as u64) {
        let _ = rustix::fs::fadvise(&*file, 0, None, rustix::fs::Advice::Sequential);
    }
    let mut total = 0u64;
    BUF.with(|buf| -> io::Result<()> {
        let mut buf = buf.borrow_mut();
        let buf = buf.as_mut_slice();
        loop {
            let n = match file.read(&mut buf[..]) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            hasher.update(&buf[..n]);
            total += n as u64;
            if let Some(t) = throttle {
                t.pace(n as u64).map_err(io::Error::other)?;
            }
            if n < buf.len() && size_hint == Some(total) {
                return Ok(());
            }
        }
    })?;
    Ok(Some((hasher.finish(), total)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every worker's hashing buffer starts on a page (issue "rootaudit
    /// 11": the kernel's copy into a misaligned one is several times
    /// slower).
    #[test]
    fn the_read_buffer_is_page_aligned() {
        let here = BUF.with(|b| b.borrow_mut().as_mut_slice().as_ptr() as usize);
        assert_eq!(here % crate::rootfs::aligned::ALIGN, 0);
        let there =
            std::thread::spawn(|| BUF.with(|b| b.borrow_mut().as_mut_slice().as_ptr() as usize))
                .join()
                .unwrap();
        assert_eq!(there % crate::rootfs::aligned::ALIGN, 0);
    }
    use std::io::Write;

    #[test]
    fn known_digests() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"abc").unwrap();
        let cases = [
            (DigestAlgo::Md5, "900150983cd24fb0d6963f7d28e17f72"),
            (DigestAlgo::Sha1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
            (
                DigestAlgo::Sha256,
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
        ];
        for (algo, want) in cases {
            use std::io::Seek;
            for hint in [None, Some(3), Some(2), Some(4)] {
                f.rewind().unwrap();
                let (d, n) = digest_file(&mut f, algo, hint, None).unwrap().unwrap();
                assert_eq!(hex::encode(d.as_bytes()), want);
                assert_eq!(n, 3);
            }
        }
        assert!(
            digest_file(&mut f, DigestAlgo::Unknown(99), None, None)
                .unwrap()
                .is_none()
        );
    }

    /// Files around the read size: the size hint only saves the final
    /// `read`, it never changes what is hashed.
    #[test]
    fn size_hint_never_changes_the_digest() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 17] {
            let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let mut f = tempfile::tempfile().unwrap();
            f.write_all(&data).unwrap();
            let want = hex::encode(Sha256::digest(&data));
            for hint in [
                None,
                Some(len as u64),
                Some(len as u64 / 2),
                Some(len as u64 + 9),
            ] {
                use std::io::Seek;
                f.rewind().unwrap();
                let (d, n) = digest_file(&mut f, DigestAlgo::Sha256, hint, None)
                    .unwrap()
                    .unwrap();
                assert_eq!(hex::encode(d.as_bytes()), want, "len {len} hint {hint:?}");
                assert_eq!(n, len as u64);
            }
        }
    }
}
