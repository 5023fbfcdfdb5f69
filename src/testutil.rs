//! Helpers shared by the unit tests of several stages.

/// A small deterministic PRNG (xorshift64) for the fuzz-style tests that
/// truncate and mutate hostile inputs: reproducible, no dependency.
pub(crate) struct XorShift(pub(crate) u64);

impl XorShift {
    /// The next 64 random bits.
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// `../shared/realdata` beside the checkout, or `None` (saying so on
/// stderr) when it is absent: a user's fresh clone has no `../shared`, CI
/// has it, and tests using it must skip cleanly without it.
pub(crate) fn realdata() -> Option<std::path::PathBuf> {
    realdata_at("")
}

/// A file or folder inside `../shared/realdata` (see [`realdata`]).
pub(crate) fn realdata_at(rel: &str) -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/realdata")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIPPING: {} is absent", p.display());
        None
    }
}

/// A regular file's record with nothing to compare but existence (no
/// digest, `%verify` of nothing), owned by root.
pub(crate) fn file_record(path: &str) -> crate::pkgdb::FileRecord {
    crate::pkgdb::FileRecord {
        path: std::path::PathBuf::from(path),
        size: 0,
        mode: 0o100644,
        rdev: 0,
        mtime: 0,
        digest_algo: crate::pkgdb::DigestAlgo::Md5,
        digest: Vec::new(),
        link_to: Vec::new(),
        flags: Default::default(),
        verify: Default::default(),
        user: "root".into(),
        group: "root".into(),
        caps: String::new(),
        state: Default::default(),
    }
}

/// Package `name-1-1.x86_64` stored at `record`, without a header.
pub(crate) fn package(
    record: u64,
    name: &str,
    files: Vec<crate::pkgdb::FileRecord>,
) -> crate::pkgdb::Package {
    crate::pkgdb::Package {
        record,
        name: name.into(),
        epoch: None,
        version: "1".into(),
        release: "1".into(),
        arch: Some("x86_64".into()),
        files,
        native: None,
        lacks_digests: false,
    }
}
