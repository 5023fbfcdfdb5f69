//! The files of a rescue kit folder and its `SHA256SUMS`, in GNU
//! coreutils' format, so that `sha256sum -c SHA256SUMS` run in the folder
//! checks the same list: one line per file, `HEX  NAME`, where a name
//! holding a backslash, a line feed or a carriage return is written with
//! `\\`, `\n`, `\r` and its line starts with one `\` (as `sha256sum` does).
//!
//! [`walk`] lists a folder without following symbolic links and within
//! fixed bounds ([`MAX_ENTRIES`], [`MAX_DEPTH`]); [`parse`] reads a sums
//! file line by line, never failing as a whole ([`Line`]); [`sha256_file`]
//! hashes one regular file, refusing a symbolic link or anything else.
//!
//! ```ignore
//! let tree = sums::walk(Path::new("/media/kit"))?;
//! let text = std::fs::read("/media/kit/SHA256SUMS")?;
//! for line in sums::parse(&text) { /* Line::Entry or Line::Malformed */ }
//! ```

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The most directory entries [`walk`] lists before it stops: a kit holds
/// a binary, a few dozen keys and three text files.
pub const MAX_ENTRIES: usize = 100_000;

/// How deep [`walk`] descends below the kit folder.
pub const MAX_DEPTH: usize = 16;

/// The largest sums file read (a kit's is a few KiB).
pub const MAX_SUMS_BYTES: u64 = 1 << 20;

/// What a name in the kit folder is (symbolic links are not followed).
#[derive(Debug)]
pub enum Kind {
    /// A regular file.
    File,
    /// A symbolic link.
    Symlink,
    /// A device, FIFO, socket, or a folder deeper than [`MAX_DEPTH`].
    Other,
    /// A folder that could not be listed.
    Unreadable(io::Error),
}

/// A kit folder's content: every name below it (folders themselves are
/// not listed, only what they hold), as `/`-separated bytes relative to
/// the folder, in byte order.
#[derive(Debug, Default)]
pub struct Tree {
    /// Relative name → what it is.
    pub entries: BTreeMap<Vec<u8>, Kind>,
    /// [`MAX_ENTRIES`] was reached: the listing is incomplete.
    pub truncated: bool,
}

/// List `dir` (an error only when `dir` itself cannot be listed).
pub fn walk(dir: &Path) -> io::Result<Tree> {
    let mut tree = Tree::default();
    let mut seen = 0;
    let first = std::fs::read_dir(dir)?;
    walk_into(first, dir, &[], 0, &mut tree, &mut seen);
    Ok(tree)
}

fn walk_into(
    listing: std::fs::ReadDir,
    dir: &Path,
    prefix: &[u8],
    depth: usize,
    tree: &mut Tree,
    seen: &mut usize,
) {
    let mut children: Vec<(Vec<u8>, PathBuf, io::Result<std::fs::FileType>)> = Vec::new();
    for entry in listing {
        *seen += 1;
        if *seen > MAX_ENTRIES {
            tree.truncated = true;
            return;
        }
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                tree.entries.insert(join(prefix, b"?"), Kind::Unreadable(e));
                continue;
            }
        };
        let name = join(prefix, entry.file_name().as_bytes());
        children.push((name, dir.join(entry.file_name()), entry.file_type()));
    }
    for (name, path, file_type) in children {
        let kind = match file_type {
            Err(e) => Kind::Unreadable(e),
            Ok(t) if t.is_symlink() => Kind::Symlink,
            Ok(t) if t.is_dir() => {
                if depth + 1 >= MAX_DEPTH {
                    Kind::Other
                } else {
                    match std::fs::read_dir(&path) {
                        Ok(listing) => {
                            walk_into(listing, &path, &name, depth + 1, tree, seen);
                            if tree.truncated {
                                return;
                            }
                            continue;
                        }
                        Err(e) => Kind::Unreadable(e),
                    }
                }
            }
            Ok(t) if t.is_file() => Kind::File,
            Ok(_) => Kind::Other,
        };
        tree.entries.insert(name, kind);
    }
}

fn join(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(prefix.len() + 1 + name.len());
    if !prefix.is_empty() {
        v.extend_from_slice(prefix);
        v.push(b'/');
    }
    v.extend_from_slice(name);
    v
}

/// A name a kit may list: relative, `/`-separated, no empty, `.` or `..`
/// component, no NUL. Anything else could point outside the folder.
pub fn is_safe_name(name: &[u8]) -> bool {
    !name.is_empty()
        && !name.contains(&0)
        && name
            .split(|&b| b == b'/')
            .all(|c| !c.is_empty() && c != b"." && c != b"..")
}

/// The path of kit-relative `name` under `dir` (for a [`is_safe_name`]).
pub fn path_of(dir: &Path, name: &[u8]) -> PathBuf {
    dir.join(Path::new(std::ffi::OsStr::from_bytes(name)))
}

/// SHA-256 of the regular file at `path`, read as a stream. A symbolic
/// link (`O_NOFOLLOW`) or anything but a regular file is an error, and
/// opening never blocks on a FIFO.
pub fn sha256_file(path: &Path) -> io::Result<[u8; 32]> {
    sha256_reader(open_regular(path)?)
}

/// Open the regular file at `path` for reading: a symbolic link
/// (`O_NOFOLLOW`) or anything but a regular file is an error, and opening
/// never blocks on a FIFO.
pub fn open_regular(path: &Path) -> io::Result<std::fs::File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(file)
}

/// SHA-256 of everything `r` reads.
pub fn sha256_reader(mut r: impl Read) -> io::Result<[u8; 32]> {
    let mut h = Sha256::new();
    let mut aligned = rootaudit::rootfs::AlignedBuf::new(256 * 1024);
    let buf = aligned.as_mut_slice();
    loop {
        match r.read(buf) {
            Ok(0) => break,
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(h.finalize().into())
}

/// One line of a sums file, as `sha256sum` writes it (see the module doc).
pub fn format_line(name: &[u8], sum: &[u8; 32]) -> Vec<u8> {
    let escape = name.iter().any(|b| matches!(b, b'\\' | b'\n' | b'\r'));
    let mut line = Vec::with_capacity(name.len() + 68);
    if escape {
        line.push(b'\\');
    }
    line.extend_from_slice(hex::encode(sum).as_bytes());
    line.extend_from_slice(b"  ");
    for &b in name {
        match (escape, b) {
            (true, b'\\') => line.extend_from_slice(b"\\\\"),
            (true, b'\n') => line.extend_from_slice(b"\\n"),
            (true, b'\r') => line.extend_from_slice(b"\\r"),
            _ => line.push(b),
        }
    }
    line.push(b'\n');
    line
}

/// One line of a sums file, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// `HEX  NAME` (or `HEX *NAME`, binary mode).
    Entry {
        /// The name, unescaped.
        name: Vec<u8>,
        /// The SHA-256 it must have.
        sha256: [u8; 32],
    },
    /// A line not in that form (1-based line number).
    Malformed {
        /// Its number.
        line: usize,
    },
}

/// Every non-empty line of `text`, in order.
pub fn parse(text: &[u8]) -> Vec<Line> {
    let mut out = Vec::new();
    for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
        if raw.is_empty() {
            continue;
        }
        out.push(parse_line(raw).unwrap_or(Line::Malformed { line: i + 1 }));
    }
    out
}

fn parse_line(raw: &[u8]) -> Option<Line> {
    let (escaped, rest) = match raw.strip_prefix(b"\\") {
        Some(r) => (true, r),
        None => (false, raw),
    };
    let hex_part = rest.get(..64)?;
    let mut sha256 = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut sha256).ok()?;
    let name = match rest.get(64..66)? {
        b"  " | b" *" => &rest[66..],
        _ => return None,
    };
    if name.is_empty() || name.contains(&b'\r') && !escaped {
        return None;
    }
    let name = if escaped {
        unescape(name)?
    } else {
        name.to_vec()
    };
    Some(Line::Entry { name, sha256 })
}

fn unescape(name: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(name.len());
    let mut it = name.iter();
    while let Some(&b) = it.next() {
        if b == b'\\' {
            match it.next()? {
                b'\\' => out.push(b'\\'),
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                _ => return None,
            }
        } else {
            out.push(b);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_like_sha256sum() {
        let sum = [0xab; 32];
        for name in [
            &b"rootaudit"[..],
            b"keys/RPM-GPG-KEY-fedora-40-primary",
            b"keys/odd name \xff",
            b"keys/back\\slash",
            b"keys/new\nline\r",
        ] {
            let line = format_line(name, &sum);
            assert_eq!(
                parse(&line),
                [Line::Entry {
                    name: name.to_vec(),
                    sha256: sum
                }],
                "{}",
                String::from_utf8_lossy(&line)
            );
        }
        assert_eq!(
            format_line(b"a\\b", &[0; 32]),
            [b"\\", "0".repeat(64).as_bytes(), b"  a\\\\b\n"].concat()
        );
    }

    #[test]
    fn malformed_lines_are_numbered_not_fatal() {
        let good = format_line(b"rootaudit", &[1; 32]);
        let text = [
            &good[..],
            b"\n",
            b"zz  not hex\n",
            b"SHA256 (x) = 00\n",
            &"0".repeat(64).into_bytes(),
            b"\n",
            &"0".repeat(64).into_bytes(),
            b"  \n",
            b"\\",
            &"0".repeat(64).into_bytes(),
            b"  bad\\qescape\n",
        ]
        .concat();
        let lines = parse(&text);
        assert_eq!(lines.len(), 6);
        assert!(matches!(lines[0], Line::Entry { .. }));
        let bad: Vec<usize> = lines
            .iter()
            .filter_map(|l| match l {
                Line::Malformed { line } => Some(*line),
                _ => None,
            })
            .collect();
        assert_eq!(bad, [3, 4, 5, 6, 7]);
    }

    #[test]
    fn binary_mode_marker_is_accepted() {
        let line = format!("{}  *rootaudit\n", "1".repeat(64)).replacen("  *", " *", 1);
        assert_eq!(
            parse(line.as_bytes()),
            [Line::Entry {
                name: b"rootaudit".to_vec(),
                sha256: [0x11; 32]
            }]
        );
    }

    #[test]
    fn only_names_inside_the_folder_are_safe() {
        for ok in [&b"rootaudit"[..], b"keys/a", b"keys/.hidden", b"a..b"] {
            assert!(is_safe_name(ok), "{ok:?}");
        }
        for bad in [
            &b""[..],
            b"/etc/passwd",
            b"../x",
            b"keys/../../x",
            b"keys//a",
            b"./a",
            b"a/",
            b"a\0b",
        ] {
            assert!(!is_safe_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn walk_lists_files_and_does_not_follow_links() {
        use std::os::unix::fs::symlink;
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("keys/sub")).unwrap();
        std::fs::write(d.path().join("rootaudit"), b"bin").unwrap();
        std::fs::write(d.path().join("keys/sub/k"), b"key").unwrap();
        symlink("/etc", d.path().join("keys/etc")).unwrap();
        let t = walk(d.path()).unwrap();
        let names: Vec<&[u8]> = t.entries.keys().map(Vec::as_slice).collect();
        assert_eq!(names, [&b"keys/etc"[..], b"keys/sub/k", b"rootaudit"]);
        assert!(matches!(t.entries[&b"keys/etc"[..]], Kind::Symlink));
        assert!(matches!(t.entries[&b"rootaudit"[..]], Kind::File));
        assert!(!t.truncated);
        // Hashing refuses the link itself.
        assert!(sha256_file(&d.path().join("keys/etc")).is_err());
        assert_eq!(
            sha256_file(&d.path().join("rootaudit")).unwrap(),
            <[u8; 32]>::from(Sha256::digest(b"bin"))
        );
    }

    #[test]
    fn walk_stops_at_its_depth_bound() {
        let d = tempfile::tempdir().unwrap();
        let mut deep = d.path().to_path_buf();
        for _ in 0..MAX_DEPTH + 2 {
            deep.push("d");
        }
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("f"), b"x").unwrap();
        let t = walk(d.path()).unwrap();
        assert_eq!(t.entries.len(), 1);
        let (name, kind) = t.entries.iter().next().unwrap();
        assert!(matches!(kind, Kind::Other), "{kind:?}");
        assert_eq!(name.split(|&b| b == b'/').count(), MAX_DEPTH);
    }
}
