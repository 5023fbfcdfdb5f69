//! Portage's `CONTENTS` (package database stage): the files one installed
//! package merged, one line each, as `dblink.getcontents` in portage's
//! `portage/dbapi/vartree.py` reads them.
//!
//! * `obj PATH MD5 MTIME` — a regular file: its MD5 and mtime as merged;
//! * `sym PATH -> TARGET MTIME` — a symbolic link and its target;
//! * `dir PATH`, `fif PATH`, `dev PATH` — a directory, a FIFO, a device.
//!
//! Paths may hold spaces, so the last fields are taken from the right (and
//! a `sym` line is cut at its first ` -> `, as portage does). A line that
//! does not parse, or is longer than [`MAX_LINE`], is counted, never a
//! panic. Paths come back absolute, as raw bytes, without `//` or `.`.
//!
//! ```
//! use rootaudit::pkgdb::portage::contents::{parse, Entry};
//! let c = parse(b"dir /etc\nobj /etc/a b d41d8cd98f00b204e9800998ecf8427e 1612616647\n");
//! assert_eq!(c.entries.len(), 2);
//! assert!(matches!(&c.entries[1], Entry::Obj { path, .. } if path == b"/etc/a b"));
//! ```

/// Longest line parsed: three paths' worth of `PATH_MAX` and the fields.
/// A longer line is garbage (or a planted giant) and is counted as bad.
pub const MAX_LINE: usize = 3 * 4096 + 64;

/// One line of `CONTENTS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// `obj`: a regular file with its MD5 and mtime.
    Obj {
        /// Absolute path.
        path: Vec<u8>,
        /// MD5 of its content.
        md5: [u8; 16],
        /// Modification time, seconds.
        mtime: u32,
    },
    /// `sym`: a symbolic link.
    Sym {
        /// Absolute path.
        path: Vec<u8>,
        /// Its target, as recorded.
        target: Vec<u8>,
        /// Modification time of the link, seconds.
        mtime: u32,
    },
    /// `dir`: a directory.
    Dir {
        /// Absolute path.
        path: Vec<u8>,
    },
    /// `fif`: a named pipe.
    Fifo {
        /// Absolute path.
        path: Vec<u8>,
    },
    /// `dev`: a device node.
    Device {
        /// Absolute path.
        path: Vec<u8>,
    },
}

impl Entry {
    /// The entry's path.
    pub fn path(&self) -> &[u8] {
        match self {
            Entry::Obj { path, .. }
            | Entry::Sym { path, .. }
            | Entry::Dir { path }
            | Entry::Fifo { path }
            | Entry::Device { path } => path,
        }
    }
}

/// A parsed `CONTENTS` file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contents {
    /// The entries in file order.
    pub entries: Vec<Entry>,
    /// Lines that do not parse (1-based line numbers).
    pub bad_lines: Vec<u64>,
}

/// Parse a `CONTENTS` file.
pub fn parse(data: &[u8]) -> Contents {
    let mut out = Contents::default();
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    if data.is_empty() {
        return out;
    }
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        match parse_line(line) {
            Some(e) => out.entries.push(e),
            None => out.bad_lines.push(i as u64 + 1),
        }
    }
    out
}

/// One line, or `None` when it does not parse.
pub fn parse_line(line: &[u8]) -> Option<Entry> {
    if line.len() > MAX_LINE {
        return None;
    }
    let (kind, rest) = split_once(line, b' ')?;
    match kind {
        b"obj" => {
            let (rest, mtime) = rsplit_once(rest, b' ')?;
            let (path, md5) = rsplit_once(rest, b' ')?;
            Some(Entry::Obj {
                path: absolute(path)?,
                md5: crate::pkgdb::dpkg::status::parse_md5(md5)?,
                mtime: parse_mtime(mtime)?,
            })
        }
        b"sym" => {
            let (rest, mtime) = rsplit_once(rest, b' ')?;
            let cut = find(rest, b" -> ")?;
            let target = &rest[cut + 4..];
            if target.is_empty() {
                return None;
            }
            Some(Entry::Sym {
                path: absolute(&rest[..cut])?,
                target: target.to_vec(),
                mtime: parse_mtime(mtime)?,
            })
        }
        b"dir" => Some(Entry::Dir {
            path: absolute(rest)?,
        }),
        b"fif" => Some(Entry::Fifo {
            path: absolute(rest)?,
        }),
        b"dev" => Some(Entry::Device {
            path: absolute(rest)?,
        }),
        _ => None,
    }
}

/// Decimal seconds. Portage writes an integer; Python's float mtimes of
/// old versions (`1612616647.0`) are accepted without their fraction.
fn parse_mtime(s: &[u8]) -> Option<u32> {
    let whole = match s.iter().position(|&b| b == b'.') {
        Some(dot) if s[dot + 1..].iter().all(u8::is_ascii_digit) => &s[..dot],
        Some(_) => return None,
        None => s,
    };
    if whole.is_empty() || whole.len() > 10 || !whole.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(whole).ok()?.parse().ok()
}

/// `path` made absolute-normal, or `None` when it is not absolute.
fn absolute(path: &[u8]) -> Option<Vec<u8>> {
    if path.first() != Some(&b'/') {
        return None;
    }
    let p = crate::pkgdb::normalize_path(&[path]);
    (p != b"/").then_some(p)
}

fn split_once(s: &[u8], sep: u8) -> Option<(&[u8], &[u8])> {
    let i = s.iter().position(|&b| b == sep)?;
    Some((&s[..i], &s[i + 1..]))
}

fn rsplit_once(s: &[u8], sep: u8) -> Option<(&[u8], &[u8])> {
    let i = s.iter().rposition(|&b| b == sep)?;
    Some((&s[..i], &s[i + 1..]))
}

fn find(s: &[u8], needle: &[u8]) -> Option<usize> {
    s.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";

    #[test]
    fn every_kind() {
        let data = format!(
            "dir /usr/share\n\
             obj /usr/share/cmake/Help/generator/Unix Makefiles.rst {MD5} 1596119407\n\
             sym /lib64/libdl.so.2 -> libdl-2.32.so 1612616640\n\
             sym /a b -> c -> d 1\n\
             fif /run/x\n\
             dev /dev/null\n\
             obj /x  y {MD5} 1.0\n"
        );
        let c = parse(data.as_bytes());
        assert!(c.bad_lines.is_empty(), "{:?}", c.bad_lines);
        assert_eq!(c.entries.len(), 7);
        assert_eq!(
            c.entries[1],
            Entry::Obj {
                path: b"/usr/share/cmake/Help/generator/Unix Makefiles.rst".to_vec(),
                md5: [
                    0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04, 0xe9, 0x80, 0x09, 0x98, 0xec,
                    0xf8, 0x42, 0x7e
                ],
                mtime: 1596119407,
            }
        );
        assert_eq!(
            c.entries[2],
            Entry::Sym {
                path: b"/lib64/libdl.so.2".to_vec(),
                target: b"libdl-2.32.so".to_vec(),
                mtime: 1612616640,
            }
        );
        // Cut at the first arrow, as portage does.
        assert_eq!(
            c.entries[3],
            Entry::Sym {
                path: b"/a b".to_vec(),
                target: b"c -> d".to_vec(),
                mtime: 1,
            }
        );
        assert!(matches!(c.entries[4], Entry::Fifo { .. }));
        assert!(matches!(c.entries[5], Entry::Device { .. }));
        // Two spaces are kept; a float mtime loses its fraction.
        assert_eq!(c.entries[6].path(), b"/x  y");
    }

    #[test]
    fn damaged_lines_are_counted() {
        let long = format!("obj /{} {MD5} 1", "a".repeat(MAX_LINE));
        let data = format!(
            "obj /a {MD5}\n\
             obj /a zz{} 1\n\
             obj /a {MD5} 12x\n\
             obj relative {MD5} 1\n\
             sym /a -> 1\n\
             sym /a b 1\n\
             what /a\n\
             dir\n\
             obj /a {MD5} 99999999999\n\
             {long}\n\
             \n\
             dir /\n\
             obj",
            &MD5[2..]
        );
        let c = parse(data.as_bytes());
        assert!(c.entries.is_empty(), "{:?}", c.entries);
        assert_eq!(c.bad_lines, vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13]);
        assert_eq!(parse(b""), Contents::default());
        assert_eq!(parse(b"\n"), Contents::default());
    }

    #[test]
    fn hostile_names_are_exact() {
        let mut line = b"obj /tmp/\x1b[31mred\r\xff ".to_vec();
        line.extend_from_slice(MD5.as_bytes());
        line.extend_from_slice(b" 5");
        let c = parse(&line);
        assert_eq!(c.entries[0].path(), b"/tmp/\x1b[31mred\r\xff");
    }

    #[test]
    fn garbage_never_panics() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for len in 0..400 {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    b"objsymdir /->0a1 .\n\t"[(x % 20) as usize]
                })
                .collect();
            let _ = parse(&data);
        }
    }
}
