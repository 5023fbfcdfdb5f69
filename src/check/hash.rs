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
    static BUF: RefCell<Vec<u8>> = RefCell::new(vec![0u8; CHUNK]);
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

    fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Md5(h) => h.finalize().to_vec(),
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Sha224(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha384(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

/// Digest `file` from its current offset to the end. Returns the digest and
/// the number of bytes read, or `None` for an algorithm rootaudit cannot
/// compute.
pub fn digest_file(file: &mut File, algo: DigestAlgo) -> io::Result<Option<(Vec<u8>, u64)>> {
    let Some(mut hasher) = Hasher::new(algo) else {
        return Ok(None);
    };
    let _ = rustix::fs::fadvise(&*file, 0, None, rustix::fs::Advice::Sequential);
    let mut total = 0u64;
    BUF.with(|buf| -> io::Result<()> {
        let mut buf = buf.borrow_mut();
        loop {
            let n = match file.read(&mut buf[..]) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            hasher.update(&buf[..n]);
            total += n as u64;
        }
    })?;
    Ok(Some((hasher.finish(), total)))
}

#[cfg(test)]
mod tests {
    use super::*;
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
            f.rewind().unwrap();
            let (d, n) = digest_file(&mut f, algo).unwrap().unwrap();
            assert_eq!(hex::encode(d), want);
            assert_eq!(n, 3);
        }
        assert!(
            digest_file(&mut f, DigestAlgo::Unknown(99))
                .unwrap()
                .is_none()
        );
    }
}
