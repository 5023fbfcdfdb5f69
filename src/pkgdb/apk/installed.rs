//! apk's `installed` file (package database stage): Alpine's
//! `lib/apk/db/installed`, the text database apk-tools writes (apk-tools 2
//! `src/database.c` `apk_db_write_fdb`/`apk_db_fdb_read`; apk-tools 3
//! still writes the same format), parsed one package at a time.
//!
//! A package is a stanza of `X:value` lines ended by an empty line:
//! `P:` name, `V:` version, `A:` arch; then its directories and files in
//! order: `F:` a directory (relative to ROOT), `M:` that directory's
//! `uid:gid:mode`, `R:` a file in the last directory, `a:` that file's
//! `uid:gid:mode` and `Z:` its digest (`Q1` + base64 SHA-1; `Q2` + base64
//! SHA-256; or hex). Without `M:`/`a:` a directory is `0:0:755` and a file
//! `0:0:644`. Other fields are skipped.
//!
//! Main entry point: [`Stanzas`], an iterator over a reader giving one
//! [`Stanza`] at a time with lines capped at [`MAX_LINE`]; a line that
//! does not parse is counted in [`Stanza::bad_lines`], never a panic.
//!
//! ```
//! use rootaudit::pkgdb::apk::installed::Stanzas;
//! let db = b"P:musl\nV:1.2.5-r0\nA:x86_64\nF:lib\nR:libc.so\na:0:0:777\n\
//!            Z:Q1SLkS9hBidUbPwwrw+XR0Whv3ww8=\n\n";
//! let s = Stanzas::new(&db[..]).next().unwrap().unwrap();
//! assert_eq!(s.name.as_deref(), Some("musl"));
//! assert_eq!(s.dirs[0].files[0].acl.unwrap().mode, 0o777);
//! ```

use std::io::{self, BufRead};

use base64::Engine as _;

use crate::model::DigestAlgo;

/// Longest line read; longer ones are bad lines (a path is at most 4096
/// bytes; descriptions are short).
pub const MAX_LINE: usize = 64 << 10;

/// Owner and permissions (`uid:gid:mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acl {
    /// Owner id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Permission bits (at most `07777`).
    pub mode: u32,
}

/// A file of a package (`R:`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct File {
    /// Its name in the directory, raw.
    pub name: Vec<u8>,
    /// `a:`, when given.
    pub acl: Option<Acl>,
    /// `Z:`, when given and understood.
    pub digest: Option<(DigestAlgo, Vec<u8>)>,
}

/// A directory of a package (`F:`) and the files it has there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dir {
    /// Path relative to ROOT, raw (empty: ROOT itself).
    pub path: Vec<u8>,
    /// `M:`, when given.
    pub acl: Option<Acl>,
    /// Its files.
    pub files: Vec<File>,
}

/// One package's stanza.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stanza {
    /// 1-based number of its first line.
    pub line: u64,
    /// `P:`.
    pub name: Option<String>,
    /// `V:`.
    pub version: Option<String>,
    /// `A:`.
    pub arch: Option<String>,
    /// Directories in order (files before any `F:` are in a first one
    /// with an empty path).
    pub dirs: Vec<Dir>,
    /// Lines that did not parse (1-based), over-long ones included.
    pub bad_lines: Vec<u64>,
}

/// The stanzas of an `installed` file, one at a time.
pub struct Stanzas<R> {
    r: R,
    line: u64,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> Stanzas<R> {
    /// Stanzas read from `r`.
    pub fn new(r: R) -> Stanzas<R> {
        Stanzas {
            r,
            line: 0,
            buf: Vec::new(),
            done: false,
        }
    }

    fn next_stanza(&mut self) -> io::Result<Option<Stanza>> {
        let mut s: Option<Stanza> = None;
        // Whether the last `R:` can still take `a:`/`Z:` lines.
        let mut in_file = false;
        loop {
            self.buf.clear();
            let (n, fit) = crate::pkgdb::read_bounded_line(&mut self.r, &mut self.buf, MAX_LINE)?;
            if n == 0 {
                self.done = true;
                return Ok(s);
            }
            self.line += 1;
            let mut line = self.buf.as_slice();
            line = line.strip_suffix(b"\n").unwrap_or(line);
            line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() && fit {
                if s.is_some() {
                    return Ok(s);
                }
                continue;
            }
            let st = s.get_or_insert_with(|| Stanza {
                line: self.line,
                ..Stanza::default()
            });
            if !fit || line.len() < 2 || line[1] != b':' {
                st.bad_lines.push(self.line);
                continue;
            }
            let value = &line[2..];
            let text = || Some(String::from_utf8_lossy(value).into_owned());
            let ok = match line[0] {
                b'P' => {
                    st.name = text();
                    true
                }
                b'V' => {
                    st.version = text();
                    true
                }
                b'A' => {
                    st.arch = text();
                    true
                }
                b'F' => {
                    in_file = false;
                    st.dirs.push(Dir {
                        path: value.to_vec(),
                        ..Dir::default()
                    });
                    true
                }
                b'M' => match (st.dirs.last_mut(), parse_acl(value)) {
                    (Some(d), Some(acl)) => {
                        d.acl = Some(acl);
                        true
                    }
                    _ => false,
                },
                b'R' => {
                    if st.dirs.is_empty() {
                        st.dirs.push(Dir::default());
                    }
                    in_file = !value.is_empty() && !value.contains(&b'/');
                    if let (true, Some(d)) = (in_file, st.dirs.last_mut()) {
                        d.files.push(File {
                            name: value.to_vec(),
                            ..File::default()
                        });
                    }
                    in_file
                }
                b'a' => match (in_file, parse_acl(value)) {
                    (true, Some(acl)) => {
                        if let Some(f) = st.dirs.last_mut().and_then(|d| d.files.last_mut()) {
                            f.acl = Some(acl);
                        }
                        true
                    }
                    _ => false,
                },
                b'Z' => match (in_file, parse_digest(value)) {
                    (true, Some(d)) => {
                        if let Some(f) = st.dirs.last_mut().and_then(|d| d.files.last_mut()) {
                            f.digest = Some(d);
                        }
                        true
                    }
                    // A digest after `F:` (apk-tools 3 may hash a
                    // directory's contents): not a file's; skipped.
                    (false, Some(_)) => true,
                    _ => false,
                },
                _ => true,
            };
            if !ok {
                st.bad_lines.push(self.line);
            }
        }
    }
}

impl<R: BufRead> Iterator for Stanzas<R> {
    type Item = io::Result<Stanza>;

    fn next(&mut self) -> Option<io::Result<Stanza>> {
        if self.done {
            return None;
        }
        match self.next_stanza() {
            Ok(Some(s)) => Some(Ok(s)),
            Ok(None) => None,
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// `uid:gid:mode[:xattr digest]`, mode in octal.
pub fn parse_acl(v: &[u8]) -> Option<Acl> {
    let s = std::str::from_utf8(v).ok()?;
    let mut it = s.split(':');
    let uid = it.next()?.parse().ok()?;
    let gid = it.next()?.parse().ok()?;
    let mode = u32::from_str_radix(it.next()?, 8).ok()?;
    (mode <= 0o7777).then_some(Acl { uid, gid, mode })
}

/// `Q1` + base64 of a SHA-1, `Q2` + base64 of a SHA-256, or a hex MD5,
/// SHA-1 or SHA-256 (by length).
pub fn parse_digest(v: &[u8]) -> Option<(DigestAlgo, Vec<u8>)> {
    let b64 = base64::engine::general_purpose::STANDARD;
    match v {
        [b'Q', b'1', rest @ ..] => {
            let d = b64.decode(rest).ok()?;
            (d.len() == 20).then_some((DigestAlgo::Sha1, d))
        }
        [b'Q', b'2', rest @ ..] => {
            let d = b64.decode(rest).ok()?;
            (d.len() == 32).then_some((DigestAlgo::Sha256, d))
        }
        _ => {
            let d = hex::decode(v).ok()?;
            let algo = match d.len() {
                16 => DigestAlgo::Md5,
                20 => DigestAlgo::Sha1,
                32 => DigestAlgo::Sha256,
                _ => return None,
            };
            Some((algo, d))
        }
    }
}

/// An apk version split as the model keeps it: `3.6.5-r0` is
/// `("3.6.5", "r0")`; without a `-rN` suffix the release is empty.
pub fn split_version(v: &str) -> (String, String) {
    match v.rsplit_once("-r") {
        Some((ver, rel)) if !rel.is_empty() && rel.bytes().all(|b| b.is_ascii_digit()) => {
            (ver.to_owned(), format!("r{rel}"))
        }
        _ => (v.to_owned(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(data: &[u8]) -> Vec<Stanza> {
        Stanzas::new(data).map(Result::unwrap).collect()
    }

    #[test]
    fn stanzas_dirs_files() {
        let db = b"C:Q1qKcZ+j23xssAXmgQhkOO8dHnbWw=\nP:alpine-baselayout\nV:3.6.5-r0\nA:x86_64\n\
F:etc\nR:motd\nZ:Q1SLkS9hBidUbPwwrw+XR0Whv3ww8=\nF:etc/crontabs\nR:root\na:0:0:600\n\
Z:Q1vfk1apUWI4yLJGhhNRd0kJixfvY=\nF:tmp\nM:0:0:1777\n\n\nP:b\nV:1\nR:top\n\n";
        let s = all(db);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name.as_deref(), Some("alpine-baselayout"));
        assert_eq!(s[0].dirs.len(), 3);
        assert_eq!(s[0].dirs[1].files[0].acl.unwrap().mode, 0o600);
        assert_eq!(s[0].dirs[2].acl.unwrap().mode, 0o1777);
        let (algo, d) = s[0].dirs[0].files[0].digest.clone().unwrap();
        assert_eq!((algo, d.len()), (DigestAlgo::Sha1, 20));
        assert!(s[0].bad_lines.is_empty());
        assert_eq!(s[1].line, 16);
        assert_eq!(s[1].dirs[0].path, b"");
        assert_eq!(s[1].dirs[0].files[0].name, b"top");
    }

    #[test]
    fn bad_lines_and_digests() {
        let db = b"P:x\nnonsense\nF:d\nM:0:0:999\nR:f\nZ:Q1notbase64!!\na:1:2\nR:a/b\nZ:Q2\
ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=\n";
        let s = all(db);
        assert_eq!(s[0].bad_lines, vec![2, 4, 6, 7, 8]);
        assert_eq!(s[0].dirs[0].files.len(), 1);
        assert_eq!(
            parse_digest(b"Q2ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")
                .unwrap()
                .0,
            DigestAlgo::Sha256
        );
        assert_eq!(
            parse_digest(b"900150983cd24fb0d6963f7d28e17f72").unwrap().0,
            DigestAlgo::Md5
        );
        assert_eq!(parse_digest(b"Q1AAAA"), None);
        assert_eq!(parse_acl(b"0:42:640:Q1abc").unwrap().gid, 42);
    }

    #[test]
    fn huge_line_is_one_bad_line() {
        let mut db = b"P:x\nT:".to_vec();
        db.extend(std::iter::repeat_n(b'y', MAX_LINE * 2));
        db.extend_from_slice(b"\nR:f\n");
        let s = all(&db);
        assert_eq!(s[0].bad_lines, vec![2]);
        assert_eq!(s[0].dirs[0].files[0].name, b"f");
    }

    #[test]
    fn versions() {
        assert_eq!(split_version("3.6.5-r0"), ("3.6.5".into(), "r0".into()));
        assert_eq!(split_version("1.0"), ("1.0".into(), String::new()));
        assert_eq!(split_version("1-rc"), ("1-rc".into(), String::new()));
    }

    const ALPHABET: &[u8] = b"PVAFMRaZQ12:\n\n0/=+x";

    #[test]
    fn garbage_never_panics() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for len in 0..400 {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    ALPHABET[(x % ALPHABET.len() as u64) as usize]
                })
                .collect();
            for s in Stanzas::new(&data[..]) {
                let _ = s.unwrap();
            }
        }
    }
}
