//! rpm package files (`.rpm`), for the `pkgdb` stage: just enough to get
//! their two headers, so that the trust checks can judge a package before
//! (or without) installing it, and tests can use real signed packages.
//!
//! Layout: a 96-byte lead (magic `ed ab ee db`), the signature header
//! (8-byte header magic, `il`, `dl`, index, data), padding to a multiple of
//! 8 bytes, the main header (8-byte magic, `il`, `dl`, index, data), then
//! the payload, which is not read. Unlike a header stored in an rpmdb, each
//! header here is preceded by [`HEADER_MAGIC`].
//!
//! ```no_run
//! use rootaudit::pkgdb::rpm::file::PackageFile;
//! let bytes = std::fs::read("hello-2.0-1.x86_64.rpm")?;
//! let pkg = PackageFile::parse(&bytes)?;
//! assert!(pkg.main.region().is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::header::{HEADER_MAGIC, Header, HeaderError, MAX_DATA, MAX_ENTRIES};

/// The lead's magic.
pub const LEAD_MAGIC: [u8; 4] = [0xed, 0xab, 0xee, 0xdb];

/// Size of the lead.
pub const LEAD_SIZE: usize = 96;

/// Why a package file could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PackageFileError {
    /// The file does not start with an rpm lead.
    #[error("not an rpm package (no lead magic)")]
    NoLead,
    /// A header does not start with the header magic.
    #[error("{which} header: no header magic at offset {offset}")]
    NoMagic {
        /// Which header.
        which: Which,
        /// Where it was expected.
        offset: usize,
    },
    /// A header is malformed.
    #[error("{which} header: {error}")]
    Header {
        /// Which header.
        which: Which,
        /// What is wrong.
        error: HeaderError,
    },
}

/// One of the two headers of a package file (see [`PackageFileError`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Which {
    /// The signature header.
    Signature,
    /// The main header.
    Main,
}

impl std::fmt::Display for Which {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Which::Signature => "signature",
            Which::Main => "main",
        })
    }
}

/// The two headers of a package file.
#[derive(Clone, Debug)]
pub struct PackageFile {
    /// The signature header (digests and signatures of the main header).
    pub signature: Header,
    /// The main header.
    pub main: Header,
}

impl PackageFile {
    /// Read the lead and both headers of a package file's bytes.
    pub fn parse(bytes: &[u8]) -> Result<PackageFile, PackageFileError> {
        if bytes.get(..4) != Some(&LEAD_MAGIC[..]) || bytes.len() < LEAD_SIZE {
            return Err(PackageFileError::NoLead);
        }
        let (signature, sig_len) = parse_with_magic(&bytes[LEAD_SIZE..])
            .map_err(|e| e.which(Which::Signature, LEAD_SIZE))?;
        let main_at = LEAD_SIZE + sig_len.div_ceil(8) * 8;
        let rest = bytes.get(main_at..).unwrap_or_default();
        let (main, _) = parse_with_magic(rest).map_err(|e| e.which(Which::Main, main_at))?;
        Ok(PackageFile { signature, main })
    }
}

/// A failure of [`parse_with_magic`], before it is told which header it was.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MagicError {
    /// No header magic.
    #[error("no header magic")]
    NoMagic,
    /// The header itself is malformed.
    #[error(transparent)]
    Header(HeaderError),
}

impl MagicError {
    fn which(self, which: Which, offset: usize) -> PackageFileError {
        match self {
            MagicError::NoMagic => PackageFileError::NoMagic { which, offset },
            MagicError::Header(error) => PackageFileError::Header { which, error },
        }
    }
}

/// Parse a header that starts with [`HEADER_MAGIC`] at the start of
/// `bytes` (anything may follow it). Returns the header and how many bytes
/// it took, magic included.
pub fn parse_with_magic(bytes: &[u8]) -> Result<(Header, usize), MagicError> {
    // Only the first three bytes and the version are fixed; rpm ignores the
    // four reserved bytes.
    if bytes.get(..4) != Some(&HEADER_MAGIC[..4]) {
        return Err(MagicError::NoMagic);
    }
    let be32 = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    };
    let (Some(il), Some(dl)) = (be32(8), be32(12)) else {
        return Err(MagicError::Header(HeaderError::Truncated {
            needed: 16,
            len: bytes.len(),
        }));
    };
    if il > MAX_ENTRIES {
        return Err(MagicError::Header(HeaderError::TooManyEntries {
            il,
            max: MAX_ENTRIES,
        }));
    }
    if dl > MAX_DATA {
        return Err(MagicError::Header(HeaderError::DataTooLarge {
            dl,
            max: MAX_DATA,
        }));
    }
    let len = 16 + il as usize * 16 + dl as usize;
    let Some(blob) = bytes.get(8..len) else {
        return Err(MagicError::Header(HeaderError::Truncated {
            needed: len as u64,
            len: bytes.len(),
        }));
    };
    let h = Header::parse(blob).map_err(MagicError::Header)?;
    Ok((h, len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pkgdb::rpm::tags;

    #[test]
    fn rejects_garbage_without_panicking() {
        assert_eq!(
            PackageFile::parse(b"").unwrap_err(),
            PackageFileError::NoLead
        );
        let mut b = vec![0u8; 200];
        b[..4].copy_from_slice(&LEAD_MAGIC);
        assert!(matches!(
            PackageFile::parse(&b),
            Err(PackageFileError::NoMagic { .. })
        ));
        b[96..100].copy_from_slice(&HEADER_MAGIC[..4]);
        b[104..108].copy_from_slice(&0xffff_ffffu32.to_be_bytes());
        assert!(PackageFile::parse(&b).is_err());
    }

    #[test]
    fn reads_real_packages() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/realdata/rpms/rpm-org/RPMS");
        let Ok(list) = std::fs::read_dir(&dir) else {
            eprintln!("SKIPPING: {} is absent", dir.display());
            return;
        };
        let mut n = 0;
        for e in list {
            let p = e.unwrap().path();
            let bytes = std::fs::read(&p).unwrap();
            let pkg = PackageFile::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            assert_eq!(
                pkg.signature.region().map(|r| r.tag),
                Some(tags::HEADERSIGNATURES)
            );
            assert!(pkg.main.get(tags::NAME).is_some());
            // Truncations never panic.
            for cut in [0, 50, 96, 100, 200, bytes.len() / 2] {
                let _ = PackageFile::parse(&bytes[..cut.min(bytes.len())]);
            }
            n += 1;
        }
        assert!(n >= 10);
    }
}
