//! dpkg's per-package info files (package database stage):
//! `info/NAME[:ARCH].list`, the paths the package owns, and
//! `info/NAME[:ARCH].md5sums` (or distroless `status.d/NAME.md5sums`), the
//! MD5 of each regular file it shipped except conffiles.
//!
//! Both are line formats; a line that does not parse is counted, never a
//! panic. Paths come back absolute and as raw bytes.
//!
//! ```
//! use rootaudit::pkgdb::dpkg::info::{parse_list, parse_md5sums};
//! let list = parse_list(b"/.\n/bin\n/bin/dash\n");
//! assert_eq!(list.paths, vec![b"/bin".to_vec(), b"/bin/dash".to_vec()]);
//! let sums = parse_md5sums(b"623e332d8ae2db8a2d050dcce9510b47  bin/dash\n");
//! assert_eq!(sums.entries[0].0, b"/bin/dash");
//! ```

use super::status::parse_md5;
use crate::pkgdb::normalize_path;

/// A parsed `.list` file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FileList {
    /// Absolute paths in file order, without dpkg's root entry `/.`.
    pub paths: Vec<Vec<u8>>,
    /// Lines that are not absolute paths (1-based line numbers).
    pub bad_lines: Vec<u64>,
}

/// Parse a `.list` file: one absolute path per line.
pub fn parse_list(data: &[u8]) -> FileList {
    let mut out = FileList::default();
    for (i, line) in lines(data).enumerate() {
        if line.is_empty() {
            continue;
        }
        if line.first() != Some(&b'/') {
            out.bad_lines.push(i as u64 + 1);
            continue;
        }
        let path = normalize_path(&[line]);
        if path == b"/" {
            continue;
        }
        out.paths.push(path);
    }
    out
}

/// A parsed `md5sums` file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Md5Sums {
    /// `(absolute path, md5)` in file order.
    pub entries: Vec<(Vec<u8>, [u8; 16])>,
    /// Lines that are not `MD5  PATH` (1-based line numbers).
    pub bad_lines: Vec<u64>,
}

/// Parse an `md5sums` file: `32 hex digits, white space, path relative to
/// the root` per line (a leading `./` or `/` is accepted too), the way
/// `debsums` reads it.
pub fn parse_md5sums(data: &[u8]) -> Md5Sums {
    let mut out = Md5Sums::default();
    for (i, line) in lines(data).enumerate() {
        if line.is_empty() {
            continue;
        }
        let line = line.trim_ascii_start();
        let parsed = line
            .iter()
            .position(u8::is_ascii_whitespace)
            .and_then(|cut| {
                let md5 = parse_md5(&line[..cut])?;
                let path = line[cut..].trim_ascii_start();
                let path = path.strip_prefix(b"./").unwrap_or(path);
                let path = path.strip_prefix(b"/").unwrap_or(path);
                if path.is_empty() {
                    return None;
                }
                let mut abs = Vec::with_capacity(path.len() + 1);
                abs.push(b'/');
                abs.extend_from_slice(path);
                Some((normalize_path(&[&abs]), md5))
            });
        match parsed {
            Some(e) => out.entries.push(e),
            None => out.bad_lines.push(i as u64 + 1),
        }
    }
    out
}

/// Lines without their `\n` (a final line without one counts too).
fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    data.split(|&b| b == b'\n')
        .filter(move |_| !data.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_lines() {
        let l = parse_list(b"/.\n/usr\n/usr//bin/\nrelative\n\n/usr/bin/x y\n/./etc");
        assert_eq!(
            l.paths,
            vec![
                b"/usr".to_vec(),
                b"/usr/bin".to_vec(),
                b"/usr/bin/x y".to_vec(),
                b"/etc".to_vec()
            ]
        );
        assert_eq!(l.bad_lines, vec![4]);
        assert!(parse_list(b"").paths.is_empty());
    }

    #[test]
    fn md5sums_lines() {
        let s = parse_md5sums(
            b"e11d70c96979a1328ae4e7e50542782b  usr/lib/a b\n\
              zz  usr/x\n\
              be64db3e095486e5e105652c51199358 ./usr/c\n\
              be64db3e095486e5e105652c51199358\n\
              be64db3e095486e5e105652c51199358  /usr/d",
        );
        assert_eq!(s.entries.len(), 3);
        assert_eq!(s.entries[0].0, b"/usr/lib/a b");
        assert_eq!(s.entries[1].0, b"/usr/c");
        assert_eq!(s.entries[2].0, b"/usr/d");
        assert_eq!(s.bad_lines, vec![2, 4]);
    }

    #[test]
    fn garbage_never_panics() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for len in 0..200 {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    b"0a/ .\n\tz"[(x % 8) as usize]
                })
                .collect();
            let _ = parse_list(&data);
            let _ = parse_md5sums(&data);
        }
    }
}
