//! The `.pyc` header (check stage, `bytecode`): magic number → CPython
//! version, invalidation mode, and the source hash CPython stores in
//! hash-based pycs.
//!
//! Layouts, by the magic's version:
//!
//! | version      | header | after the 4-byte magic                         |
//! |--------------|--------|------------------------------------------------|
//! | 2.x, 3.0–3.2 | 8      | source mtime (u32 LE)                          |
//! | 3.3–3.6      | 12     | source mtime, source size (u32 LE each)        |
//! | 3.7 and up   | 16     | flags (u32 LE), then mtime + size, or an 8-byte source hash |
//!
//! A magic is a 16-bit number stored little-endian followed by `\r\n`.
//! Flags (PEP 552): bit 0 set means hash-based, bit 1 means "check the
//! source" (`check_source`); any other bit makes CPython refuse the file.
//!
//! ```
//! use rootaudit::check::bytecode::pyc::{parse_header, Invalidation};
//! let mut data = vec![0xa7, 0x0d, 0x0d, 0x0a, 3, 0, 0, 0];
//! data.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
//! let h = parse_header(&data).unwrap();
//! assert_eq!(h.version.unwrap().to_string(), "3.11");
//! assert!(matches!(h.invalidation, Invalidation::Hash { check_source: true, .. }));
//! ```

use std::hash::Hasher;
use std::io::{self, Read};

pub use crate::model::evidence::bytecode::{Invalidation, PyVersion, PycError, PycHeaderFacts};

impl PyVersion {
    /// The magic numbers a released interpreter of this version accepts
    /// (empty for versions not released when this table was written).
    pub fn release_magics(self) -> &'static [u16] {
        RELEASE_MAGICS
            .iter()
            .find(|(v, _)| *v == self)
            .map(|(_, m)| *m)
            .unwrap_or(&[])
    }

    /// True for a version this table knows released magics for.
    pub fn is_released(self) -> bool {
        !self.release_magics().is_empty()
    }
}

/// Magic numbers of CPython releases (the last magic of each version's
/// development; 3.5.3 changed it within a release series).
const RELEASE_MAGICS: &[(PyVersion, &[u16])] = &[
    (PyVersion::new(2, 0), &[50823]),
    (PyVersion::new(2, 1), &[60202]),
    (PyVersion::new(2, 2), &[60717]),
    (PyVersion::new(2, 3), &[62011, 62021]),
    (PyVersion::new(2, 4), &[62061]),
    (PyVersion::new(2, 5), &[62131]),
    (PyVersion::new(2, 6), &[62161]),
    (PyVersion::new(2, 7), &[62211]),
    (PyVersion::new(3, 0), &[3131]),
    (PyVersion::new(3, 1), &[3151]),
    (PyVersion::new(3, 2), &[3180]),
    (PyVersion::new(3, 3), &[3230]),
    (PyVersion::new(3, 4), &[3310]),
    (PyVersion::new(3, 5), &[3350, 3351]),
    (PyVersion::new(3, 6), &[3379]),
    (PyVersion::new(3, 7), &[3394]),
    (PyVersion::new(3, 8), &[3413]),
    (PyVersion::new(3, 9), &[3425]),
    (PyVersion::new(3, 10), &[3439]),
    (PyVersion::new(3, 11), &[3495]),
    (PyVersion::new(3, 12), &[3531]),
    (PyVersion::new(3, 13), &[3571]),
    (PyVersion::new(3, 14), &[3627]),
];

/// The CPython version whose development range a magic number falls in
/// (CPython's own list in `_bootstrap_external.py` /
/// `pycore_magic_number.h`; from 3.11 on, 3.n owns 2900 + 50·n up to the
/// next version's start). `None` for numbers no CPython used.
pub fn magic_version(number: u16) -> Option<PyVersion> {
    let v = |minor| Some(PyVersion::new(3, minor));
    match number {
        20121 => Some(PyVersion::new(1, 5)),
        50428 => Some(PyVersion::new(1, 6)),
        50823 => Some(PyVersion::new(2, 0)),
        60202 => Some(PyVersion::new(2, 1)),
        60717 => Some(PyVersion::new(2, 2)),
        62011 | 62021 => Some(PyVersion::new(2, 3)),
        62041..=62061 => Some(PyVersion::new(2, 4)),
        62071..=62131 => Some(PyVersion::new(2, 5)),
        62151..=62161 => Some(PyVersion::new(2, 6)),
        62171..=62211 => Some(PyVersion::new(2, 7)),
        3000..=3139 => v(0),
        3140..=3159 => v(1),
        3160..=3189 => v(2),
        3190..=3249 => v(3),
        3250..=3319 => v(4),
        3320..=3359 => v(5),
        3360..=3389 => v(6),
        3390..=3399 => v(7),
        3400..=3419 => v(8),
        3420..=3429 => v(9),
        3430..=3449 => v(10),
        3450..=3999 => v(((number - 2900) / 50) as u8),
        _ => None,
    }
}

/// A parsed pyc header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PycHeader {
    /// The four magic bytes as stored.
    pub magic: [u8; 4],
    /// The 16-bit magic number.
    pub number: u16,
    /// The CPython version that number belongs to, if any.
    pub version: Option<PyVersion>,
    /// The flags word (0 before 3.7).
    pub flags: u32,
    /// How the pyc is tied to its source.
    pub invalidation: Invalidation,
    /// Header length: the marshalled code object starts here.
    pub len: usize,
}

impl PycHeader {
    /// True when the number is the magic of a CPython release (not a
    /// development snapshot, which released interpreters reject).
    pub fn is_release_magic(&self) -> bool {
        self.version
            .is_some_and(|v| v.release_magics().contains(&self.number))
    }

    /// The header's facts, as findings carry them.
    pub fn facts(&self) -> PycHeaderFacts {
        PycHeaderFacts {
            magic: self.number,
            version: self.version,
            release: self.is_release_magic(),
            flags: self.flags,
            invalidation: self.invalidation,
        }
    }

    /// A short description: `CPython 3.11, unchecked hash-based`.
    pub fn describe(&self) -> String {
        self.facts().to_string()
    }
}

/// Header length for a magic number: known versions by their layout,
/// unknown numbers by where they sit between the known ranges.
fn header_len(number: u16, version: Option<PyVersion>) -> usize {
    match version {
        Some(v) if v.major < 3 => 8,
        Some(v) if v.minor <= 2 => 8,
        Some(v) if v.minor <= 6 => 12,
        Some(_) => 16,
        None if !(3210..10000).contains(&number) => 8,
        None if number < 3392 => 12,
        None => 16,
    }
}

/// Parse the header at the start of `data`.
pub fn parse_header(data: &[u8]) -> Result<PycHeader, PycError> {
    if data.len() < 4 || data[2..4] != *b"\r\n" {
        return Err(PycError::BadMagic {
            magic: data[..data.len().min(4)].to_vec(),
        });
    }
    let magic = [data[0], data[1], data[2], data[3]];
    let number = u16::from_le_bytes([data[0], data[1]]);
    let version = magic_version(number);
    let len = header_len(number, version);
    if data.len() < len {
        return Err(PycError::Truncated {
            len: data.len(),
            need: len,
        });
    }
    let u32_at = |o: usize| u32::from_le_bytes([data[o], data[o + 1], data[o + 2], data[o + 3]]);
    let (flags, invalidation) = match len {
        8 => (
            0,
            Invalidation::Timestamp {
                mtime: u32_at(4),
                size: None,
            },
        ),
        12 => (
            0,
            Invalidation::Timestamp {
                mtime: u32_at(4),
                size: Some(u32_at(8)),
            },
        ),
        _ => {
            let flags = u32_at(4);
            if flags & !0b11 != 0 {
                return Err(PycError::InvalidFlags { flags });
            }
            let inv = if flags & 1 != 0 {
                let mut hash = [0u8; 8];
                hash.copy_from_slice(&data[8..16]);
                Invalidation::Hash {
                    check_source: flags & 2 != 0,
                    hash,
                }
            } else {
                Invalidation::Timestamp {
                    mtime: u32_at(8),
                    size: Some(u32_at(12)),
                }
            };
            (flags, inv)
        }
    };
    Ok(PycHeader {
        magic,
        number,
        version,
        flags,
        invalidation,
        len,
    })
}

/// The source hash CPython stores in a hash-based pyc
/// (`importlib.util.source_hash`): SipHash keyed with k0 = the four magic
/// bytes read as a little-endian integer and k1 = 0, over the source
/// bytes; SipHash-1-3 from CPython 3.11 on, SipHash-2-4 in 3.7–3.10. The
/// 64-bit result is stored little-endian.
///
/// Reads `source` to its end (in chunks; any size).
pub fn source_hash(magic: [u8; 4], source: impl Read) -> io::Result<[u8; 8]> {
    let number = u16::from_le_bytes([magic[0], magic[1]]);
    let k0 = u32::from_le_bytes(magic) as u64;
    let sip13 = magic_version(number).is_none_or(|v| v >= PyVersion::new(3, 11));
    let mut h: Box<dyn Hasher> = if sip13 {
        Box::new(siphasher::sip::SipHasher13::new_with_keys(k0, 0))
    } else {
        Box::new(siphasher::sip::SipHasher24::new_with_keys(k0, 0))
    };
    let mut src = source;
    let mut aligned = crate::rootfs::AlignedBuf::new(64 * 1024);
    let buf = aligned.as_mut_slice();
    loop {
        let n = match src.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        h.write(&buf[..n]);
    }
    Ok(h.finish().to_le_bytes())
}

/// The cache tag in a `__pycache__` file name (`cpython-311` in
/// `mod.cpython-311.pyc`), as a version when it is a CPython tag.
pub fn cache_tag_version(tag: &str) -> Option<PyVersion> {
    let digits = tag.strip_prefix("cpython-")?;
    if digits.len() < 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let major = digits[..1].parse().ok()?;
    let minor = digits[1..].parse().ok()?;
    Some(PyVersion { major, minor })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pyc")
    }

    #[test]
    fn magic_table() {
        assert_eq!(magic_version(62211), Some(PyVersion::new(2, 7)));
        assert_eq!(magic_version(3131), Some(PyVersion::new(3, 0)));
        assert_eq!(magic_version(3379), Some(PyVersion::new(3, 6)));
        assert_eq!(magic_version(3439), Some(PyVersion::new(3, 10)));
        assert_eq!(magic_version(3495), Some(PyVersion::new(3, 11)));
        assert_eq!(magic_version(3450), Some(PyVersion::new(3, 11)));
        assert_eq!(magic_version(3531), Some(PyVersion::new(3, 12)));
        assert_eq!(magic_version(3571), Some(PyVersion::new(3, 13)));
        assert_eq!(magic_version(3627), Some(PyVersion::new(3, 14)));
        assert_eq!(magic_version(3650), Some(PyVersion::new(3, 15)));
        assert_eq!(magic_version(12), None);
        // Every release magic maps back to its own version.
        for (v, ms) in RELEASE_MAGICS {
            for m in *ms {
                assert_eq!(magic_version(*m), Some(*v), "{m}");
            }
        }
        assert_eq!(
            cache_tag_version("cpython-311"),
            Some(PyVersion::new(3, 11))
        );
        assert_eq!(cache_tag_version("cpython-27"), Some(PyVersion::new(2, 7)));
        assert_eq!(cache_tag_version("pypy39"), None);
    }

    #[test]
    fn bad_headers() {
        assert!(matches!(parse_header(b""), Err(PycError::BadMagic { .. })));
        assert!(matches!(
            parse_header(b"\x7fELF\x02\x01"),
            Err(PycError::BadMagic { .. })
        ));
        assert_eq!(
            parse_header(b"\xa7\r\r\n\0\0\0\0"),
            Err(PycError::Truncated { len: 8, need: 16 })
        );
        assert_eq!(
            parse_header(b"\xa7\r\r\n\x04\0\0\0\0\0\0\0\0\0\0\0"),
            Err(PycError::InvalidFlags { flags: 4 })
        );
        // Every prefix of a real header either parses or errors; no panic.
        let h = b"\xa7\r\r\n\x03\0\0\0abcdefgh";
        for n in 0..h.len() {
            assert!(parse_header(&h[..n]).is_err());
        }
        assert!(parse_header(h).is_ok());
    }

    /// Real pycs from every CPython that made the fixtures: the header
    /// layout and, for hash-based ones, the source hash.
    #[test]
    fn real_pyc_headers_and_source_hash() {
        let dir = fixtures();
        let source = std::fs::read(dir.join("sample.py")).unwrap();
        let mut seen = 0;
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            if !name.ends_with(".pyc") {
                continue;
            }
            seen += 1;
            let data = std::fs::read(&p).unwrap();
            let h = parse_header(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
            let tag = name.split('.').nth(1).unwrap();
            let v = cache_tag_version(tag).unwrap();
            assert_eq!(h.version, Some(v), "{name}");
            assert!(h.is_release_magic(), "{name}");
            match h.invalidation {
                Invalidation::Timestamp { mtime, size } => {
                    assert!(!name.contains("checked"), "{name}");
                    assert_eq!(mtime, 1_600_000_000, "{name}");
                    if v >= PyVersion::new(3, 3) {
                        assert_eq!(size, Some(source.len() as u32), "{name}");
                    } else {
                        assert_eq!(size, None);
                    }
                }
                Invalidation::Hash { check_source, hash } => {
                    assert_eq!(check_source, !name.contains("unchecked"), "{name}");
                    let ours = source_hash(h.magic, &source[..]).unwrap();
                    assert_eq!(ours, hash, "{name}: source hash differs");
                }
            }
        }
        assert!(seen >= 3, "fixtures missing in {}", dir.display());
    }

    /// `importlib.util.source_hash(b"hello")` as printed by CPython 3.7–3.13.
    #[test]
    fn source_hash_matches_cpython() {
        for (magic, expect) in [
            (3394u16, "39ae048169105238"),
            (3413, "608550514225d8bf"),
            (3425, "b70feb3c359861fa"),
            (3439, "3c80f1191ea979cb"),
            (3495, "7c360be58bb7a2aa"),
            (3531, "9bca4702dbaedbed"),
            (3571, "aa4d9968b297cf0d"),
        ] {
            let m = magic.to_le_bytes();
            let h = source_hash([m[0], m[1], b'\r', b'\n'], &b"hello"[..]).unwrap();
            assert_eq!(hex::encode(h), expect, "magic {magic}");
        }
    }
}
