//! pacman's per-package `mtree` (package database stage): the gzip'd
//! BSD mtree file `var/lib/pacman/local/NAME-VERSION/mtree`, which makepkg
//! writes with `bsdtar --format=mtree` and pacman copies from the
//! package's `.MTREE` at install. Its grammar is mtree(5) as libarchive
//! reads it (`archive_read_support_format_mtree.c`).
//!
//! Main entry points: [`read`] (gzip or plain bytes, decompressed with a
//! bound, then [`parse`]d) giving an [`Mtree`] of [`Entry`]s. What is
//! understood:
//!
//! * `#` comments and blank lines; a `\` before the newline continues a
//!   line;
//! * `/set` and `/unset` (defaults for the entries that follow);
//! * entries `PATH keyword=value …`: a path with a `/` is full (from the
//!   archive's top, `./usr/bin/x`); one without is relative to the current
//!   directory, which a relative `type=dir` entry enters and `..` leaves;
//! * the keywords `type`, `uid`, `gid`, `uname`, `gname`, `mode` (octal),
//!   `size`, `time` (`SECONDS[.NANOSECONDS]`), `link`, and the digests
//!   `md5digest`/`md5`, `sha1digest`/`sha1`, `sha256digest`/`sha256`,
//!   `sha512digest`/`sha512` (hex). Others are ignored.
//!
//! Paths and link targets are decoded from mtree's escapes (`\040`, `\s`,
//! `\\`, …) to raw bytes. A line that does not parse is counted in
//! [`Mtree::bad_lines`], never a panic; a damaged gzip stream ends the
//! entries read so far with an [`MtreeError`].
//!
//! ```
//! use rootaudit::pkgdb::pacman::mtree::{parse, Kind};
//! let m = parse(&b"#mtree\n/set type=file uid=0 gid=0 mode=644\n\
//!     ./usr/bin/a\\040b time=1.0 size=3 mode=755\n"[..]);
//! assert_eq!(m.entries[0].path, b"/usr/bin/a b");
//! assert_eq!(m.entries[0].kind, Kind::File);
//! assert_eq!(m.entries[0].mode, Some(0o755));
//! ```

use std::io::{self, BufRead, Read};

use crate::model::DigestAlgo;

/// Largest decompressed mtree read: the biggest real ones (tens of
/// thousands of files) are a few MiB; a gzip bomb stops here.
pub const MAX_DECOMPRESSED: u64 = 64 << 20;

/// Longest mtree line (after joining continuations): a path of 4096 bytes
/// fully escaped, a link target as long, and the digests fit many times.
pub const MAX_LINE: usize = 64 << 10;

/// The type of an mtree entry (`type=`); `file` when not given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `file`
    File,
    /// `dir`
    Dir,
    /// `link`
    Link,
    /// `block`
    Block,
    /// `char`
    Char,
    /// `fifo`
    Fifo,
    /// `socket`
    Socket,
}

impl Kind {
    fn parse(v: &[u8]) -> Option<Kind> {
        Some(match v {
            b"file" => Kind::File,
            b"dir" => Kind::Dir,
            b"link" => Kind::Link,
            b"block" => Kind::Block,
            b"char" => Kind::Char,
            b"fifo" => Kind::Fifo,
            b"socket" => Kind::Socket,
            _ => return None,
        })
    }
}

/// The keywords of one entry (its own over the `/set` defaults).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Keywords {
    kind: Option<Kind>,
    uid: Option<u32>,
    gid: Option<u32>,
    uname: Option<Vec<u8>>,
    gname: Option<Vec<u8>>,
    mode: Option<u32>,
    size: Option<u64>,
    time: Option<i64>,
    link: Option<Vec<u8>>,
    md5: Option<Vec<u8>>,
    sha1: Option<Vec<u8>>,
    sha256: Option<Vec<u8>>,
    sha512: Option<Vec<u8>>,
}

/// One file the mtree describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Absolute path, raw bytes, without `.` components or a trailing `/`
    /// (`/` for the archive's top).
    pub path: Vec<u8>,
    /// Its type.
    pub kind: Kind,
    /// `uid=`.
    pub uid: Option<u32>,
    /// `gid=`.
    pub gid: Option<u32>,
    /// `uname=`, raw.
    pub uname: Option<Vec<u8>>,
    /// `gname=`, raw.
    pub gname: Option<Vec<u8>>,
    /// Permission bits (`mode=`, at most `07777`).
    pub mode: Option<u32>,
    /// `size=`.
    pub size: Option<u64>,
    /// Whole seconds of `time=`.
    pub time: Option<i64>,
    /// `link=`, raw.
    pub link: Option<Vec<u8>>,
    /// The strongest digest given, if any.
    pub digest: Option<(DigestAlgo, Vec<u8>)>,
}

/// A parsed mtree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mtree {
    /// Entries in file order.
    pub entries: Vec<Entry>,
    /// Lines that did not parse (1-based numbers of their first physical
    /// line), over-long lines included.
    pub bad_lines: Vec<u64>,
}

/// Why an mtree could not be read to its end.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MtreeError {
    /// The gzip stream is damaged or truncated.
    #[error("gzip stream damaged: {0}")]
    Gzip(#[source] io::Error),
    /// It is neither gzip'd nor plain mtree text (`#mtree`).
    #[error("neither gzip'd nor mtree text")]
    NotMtree,
    /// It decompresses to more than [`MAX_DECOMPRESSED`] bytes.
    #[error("decompresses to more than {max} bytes")]
    TooLarge {
        /// The limit.
        max: u64,
    },
}

/// Decompress (when gzip'd) and parse an mtree file's bytes (gzip'd, or
/// plain text starting `#mtree`, as libarchive recognises it). What was read
/// before a damaged stream ended is returned beside the error.
pub fn read(data: &[u8]) -> (Mtree, Option<MtreeError>) {
    read_bounded(data, MAX_DECOMPRESSED)
}

/// [`read`], decompressing at most `max` bytes.
fn read_bounded(data: &[u8], max: u64) -> (Mtree, Option<MtreeError>) {
    if data.starts_with(&[0x1f, 0x8b]) {
        let gz = flate2::read::MultiGzDecoder::new(data);
        let mut r = io::BufReader::new(gz.take(max + 1));
        let mut m = Mtree::default();
        let res = parse_into(&mut r, &mut m);
        let err = match res {
            Err(e) => Some(MtreeError::Gzip(e)),
            Ok(n) if n > max => Some(MtreeError::TooLarge { max }),
            Ok(_) => None,
        };
        (m, err)
    } else if data.starts_with(b"#mtree") {
        (parse(data), None)
    } else {
        (Mtree::default(), Some(MtreeError::NotMtree))
    }
}

/// Parse plain mtree text.
pub fn parse(mut r: impl BufRead) -> Mtree {
    let mut m = Mtree::default();
    // Reading a slice or any other infallible source cannot fail.
    let _ = parse_into(&mut r, &mut m);
    m
}

/// Parse everything `r` gives into `m`; the bytes read.
fn parse_into(r: &mut impl BufRead, m: &mut Mtree) -> io::Result<u64> {
    let mut defaults = Keywords::default();
    let mut cwd: Vec<Vec<u8>> = Vec::new();
    let mut line = Vec::new();
    let mut phys = Vec::new();
    let mut lineno = 0u64;
    let mut total = 0u64;
    loop {
        // One logical line: physical lines joined at a trailing `\`.
        line.clear();
        let first = lineno + 1;
        let mut overlong = false;
        let mut eof = false;
        loop {
            phys.clear();
            let (n, fit) = crate::pkgdb::read_bounded_line(r, &mut phys, MAX_LINE)?;
            total += n;
            if n == 0 {
                eof = true;
                break;
            }
            lineno += 1;
            if phys.last() == Some(&b'\n') {
                phys.pop();
            }
            overlong |= !fit || line.len() + phys.len() > MAX_LINE;
            let cont = phys.last() == Some(&b'\\') && !ends_escaped_backslash(&phys);
            if !overlong {
                line.extend_from_slice(if cont { &phys[..phys.len() - 1] } else { &phys });
                if cont {
                    line.push(b' ');
                }
            }
            if !cont {
                break;
            }
        }
        if eof && line.is_empty() && !overlong {
            return Ok(total);
        }
        if overlong || !parse_line(&line, &mut defaults, &mut cwd, &mut m.entries) {
            m.bad_lines.push(first);
        }
        if eof {
            return Ok(total);
        }
    }
}

/// True when `s` ends in an escaped backslash (`\\`), not a continuation.
fn ends_escaped_backslash(s: &[u8]) -> bool {
    let n = s.iter().rev().take_while(|&&b| b == b'\\').count();
    n % 2 == 0
}

/// Parse one logical line; false when it is garbled.
fn parse_line(
    line: &[u8],
    defaults: &mut Keywords,
    cwd: &mut Vec<Vec<u8>>,
    out: &mut Vec<Entry>,
) -> bool {
    let mut words = line
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty());
    let Some(first) = words.next() else {
        return true;
    };
    if first.starts_with(b"#") {
        return true;
    }
    match first {
        b"/set" => {
            let mut next = defaults.clone();
            for w in words {
                if !set_keyword(&mut next, w) {
                    return false;
                }
            }
            *defaults = next;
            return true;
        }
        b"/unset" => {
            for w in words {
                if w == b"all" {
                    *defaults = Keywords::default();
                } else {
                    unset_keyword(defaults, w);
                }
            }
            return true;
        }
        _ if first.starts_with(b"/") => {
            // Another special command: unknown, ignored as libarchive does.
            return true;
        }
        _ => {}
    }
    let Some(name) = unescape(first) else {
        return false;
    };
    let mut kw = defaults.clone();
    for w in words {
        if !set_keyword(&mut kw, w) {
            return false;
        }
    }
    let kind = kw.kind.unwrap_or(Kind::File);
    let full = name.contains(&b'/');
    let path = if full {
        crate::pkgdb::normalize_path(&[name.as_slice()])
    } else if name == b".." {
        // Leaves the current directory; describes nothing.
        cwd.pop();
        return true;
    } else {
        let mut parts: Vec<&[u8]> = cwd.iter().map(Vec::as_slice).collect();
        parts.push(&name);
        let p = crate::pkgdb::normalize_path(&parts);
        if kind == Kind::Dir && name != b"." {
            cwd.push(name.clone());
        }
        p
    };
    let digest = kw
        .sha512
        .map(|d| (DigestAlgo::Sha512, d))
        .or(kw.sha256.map(|d| (DigestAlgo::Sha256, d)))
        .or(kw.sha1.map(|d| (DigestAlgo::Sha1, d)))
        .or(kw.md5.map(|d| (DigestAlgo::Md5, d)));
    out.push(Entry {
        path,
        kind,
        uid: kw.uid,
        gid: kw.gid,
        uname: kw.uname,
        gname: kw.gname,
        mode: kw.mode,
        size: kw.size,
        time: kw.time,
        link: kw.link,
        digest,
    });
    true
}

/// Apply one `keyword=value` word; false when its value is garbled.
/// Unknown keywords and value-less words (`optional`, `nochange`) are
/// accepted and ignored.
fn set_keyword(kw: &mut Keywords, word: &[u8]) -> bool {
    let Some(eq) = word.iter().position(|&b| b == b'=') else {
        return true;
    };
    let (key, value) = (&word[..eq], &word[eq + 1..]);
    match key {
        b"type" => kw.kind = Kind::parse(value),
        b"uid" => kw.uid = number(value),
        b"gid" => kw.gid = number(value),
        b"uname" => kw.uname = unescape(value),
        b"gname" => kw.gname = unescape(value),
        b"mode" => {
            kw.mode = std::str::from_utf8(value)
                .ok()
                .and_then(|s| u32::from_str_radix(s, 8).ok())
                .filter(|m| *m <= 0o7777)
        }
        b"size" => kw.size = number(value),
        b"time" => {
            let secs = value.split(|&b| b == b'.').next().unwrap_or(value);
            kw.time = number(secs);
        }
        b"link" => kw.link = unescape(value),
        b"md5digest" | b"md5" => kw.md5 = hex_digest(value, 16),
        b"sha1digest" | b"sha1" => kw.sha1 = hex_digest(value, 20),
        b"sha256digest" | b"sha256" => kw.sha256 = hex_digest(value, 32),
        b"sha512digest" | b"sha512" => kw.sha512 = hex_digest(value, 64),
        _ => return true,
    }
    // A known keyword whose value did not parse leaves its field empty.
    match key {
        b"type" => kw.kind.is_some(),
        b"uid" => kw.uid.is_some(),
        b"gid" => kw.gid.is_some(),
        b"uname" => kw.uname.is_some(),
        b"gname" => kw.gname.is_some(),
        b"mode" => kw.mode.is_some(),
        b"size" => kw.size.is_some(),
        b"time" => kw.time.is_some(),
        b"link" => kw.link.is_some(),
        b"md5digest" | b"md5" => kw.md5.is_some(),
        b"sha1digest" | b"sha1" => kw.sha1.is_some(),
        b"sha256digest" | b"sha256" => kw.sha256.is_some(),
        _ => kw.sha512.is_some(),
    }
}

/// Remove one keyword from the defaults (`/unset`).
fn unset_keyword(kw: &mut Keywords, key: &[u8]) {
    match key {
        b"type" => kw.kind = None,
        b"uid" => kw.uid = None,
        b"gid" => kw.gid = None,
        b"uname" => kw.uname = None,
        b"gname" => kw.gname = None,
        b"mode" => kw.mode = None,
        b"size" => kw.size = None,
        b"time" => kw.time = None,
        b"link" => kw.link = None,
        b"md5digest" | b"md5" => kw.md5 = None,
        b"sha1digest" | b"sha1" => kw.sha1 = None,
        b"sha256digest" | b"sha256" => kw.sha256 = None,
        b"sha512digest" | b"sha512" => kw.sha512 = None,
        _ => {}
    }
}

/// A decimal number of type `T`.
fn number<T: std::str::FromStr>(v: &[u8]) -> Option<T> {
    if v.is_empty() || !v.iter().all(|b| b.is_ascii_digit() || *b == b'-') {
        return None;
    }
    std::str::from_utf8(v).ok()?.parse().ok()
}

/// `len` bytes written as hex.
fn hex_digest(v: &[u8], len: usize) -> Option<Vec<u8>> {
    let d = hex::decode(v).ok()?;
    (d.len() == len).then_some(d)
}

/// Decode mtree's escapes: `\` and three octal digits is that byte; `\a
/// \b \f \n \r \s \t \v \\` are the usual characters (`\s` a space);
/// any other escaped byte stands for itself. `None` for a value ending in
/// a lone `\`.
pub fn unescape(v: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        let b = v[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let rest = &v[i + 1..];
        let &c = rest.first()?;
        if rest.len() >= 3 && rest[..3].iter().all(|d| (b'0'..=b'7').contains(d)) {
            let n = rest[..3]
                .iter()
                .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
            // `\777` and friends are out of a byte's range: taken whole.
            out.push((n & 0xff) as u8);
            i += 4;
            continue;
        }
        out.push(match c {
            b'a' => 0x07,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b's' => b' ',
            b't' => b'\t',
            b'v' => 0x0b,
            other => other,
        });
        i += 2;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    const SAMPLE: &[u8] = b"#mtree\n\
/set type=file uid=0 gid=0 mode=644\n\
./.PKGINFO time=1551404516.0 size=731 md5digest=22e6ede9ba8211d2d6b34f47172bf672\n\
./etc time=1551404516.0 mode=755 type=dir\n\
./etc/a\\040b\\\\c time=1551404516.5 size=3 md5digest=900150983cd24fb0d6963f7d28e17f72 \
sha256digest=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n\
/set mode=777\n\
./usr/bin/l time=1 type=link link=../x\\sy\n\
./usr/bin/o uid=1234 gid=5 size=0\n";

    #[test]
    fn entries_and_defaults() {
        let m = parse(SAMPLE);
        assert!(m.bad_lines.is_empty(), "{:?}", m.bad_lines);
        assert_eq!(m.entries.len(), 5);
        let e = &m.entries[2];
        assert_eq!(e.path, b"/etc/a b\\c");
        assert_eq!(e.kind, Kind::File);
        assert_eq!(e.mode, Some(0o644));
        assert_eq!(e.time, Some(1_551_404_516));
        assert_eq!(e.size, Some(3));
        assert_eq!(e.digest.as_ref().unwrap().0, DigestAlgo::Sha256);
        let l = &m.entries[3];
        assert_eq!((l.kind, l.mode), (Kind::Link, Some(0o777)));
        assert_eq!(l.link.as_deref(), Some(&b"../x y"[..]));
        let o = &m.entries[4];
        assert_eq!((o.uid, o.gid), (Some(1234), Some(5)));
        assert_eq!(m.entries[1].kind, Kind::Dir);
    }

    #[test]
    fn gzip_round_trip_and_plain() {
        let (m, err) = read(&gzip(SAMPLE));
        assert!(err.is_none());
        assert_eq!(m, parse(SAMPLE));
        let (p, err) = read(SAMPLE);
        assert!(err.is_none());
        assert_eq!(p, m);
        let (p, err) = read(b"./etc type=dir\n");
        assert!(matches!(err, Some(MtreeError::NotMtree)));
        assert!(p.entries.is_empty());
    }

    #[test]
    fn truncated_gzip_keeps_what_was_read() {
        let gz = gzip(SAMPLE);
        for cut in [3, 10, gz.len() / 2, gz.len() - 5] {
            let (m, err) = read(&gz[..cut]);
            assert!(matches!(err, Some(MtreeError::Gzip(_))), "cut {cut}");
            assert!(m.entries.len() <= 5);
        }
    }

    #[test]
    fn gzip_bomb_is_bounded() {
        // 8 MiB of newlines compresses to a few KiB; the bound is scaled
        // down so the test stays fast in debug builds.
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let lines = vec![b'\n'; 1 << 20];
        for _ in 0..8 {
            e.write_all(&lines).unwrap();
        }
        let gz = e.finish().unwrap();
        assert!(gz.len() < 1 << 18, "{}", gz.len());
        let (m, err) = read_bounded(&gz, 1 << 20);
        assert!(matches!(err, Some(MtreeError::TooLarge { .. })), "{err:?}");
        assert!(m.entries.is_empty());
        let (_, err) = read_bounded(&gz, 8 << 20);
        assert!(err.is_none());
    }

    #[test]
    fn huge_line_is_one_bad_line() {
        let mut data = b"./a size=1\n./".to_vec();
        data.extend(std::iter::repeat_n(b'x', MAX_LINE * 3));
        data.extend_from_slice(b" size=2\n./b size=3\n");
        let m = parse(&data[..]);
        assert_eq!(m.bad_lines, vec![2]);
        let paths: Vec<_> = m.entries.iter().map(|e| e.path.clone()).collect();
        assert_eq!(paths, vec![b"/a".to_vec(), b"/b".to_vec()]);
    }

    #[test]
    fn garbled_values_and_continuations() {
        let m = parse(
            &b"./a mode=9\n./b size=x\n./c sha256digest=zz\n./d \\\n size=4\n./e\\ \n./f link=x\\\n"[..],
        );
        assert_eq!(m.bad_lines, vec![1, 2, 3, 6]);
        assert_eq!(m.entries.len(), 2);
        assert_eq!(m.entries[0].path, b"/d");
        assert_eq!(m.entries[0].size, Some(4));
        // A continuation at the end of the file ends the line.
        assert_eq!(m.entries[1].link.as_deref(), Some(&b"x"[..]));
    }

    #[test]
    fn relative_entries_walk_directories() {
        let m = parse(&b"/set type=file\nusr type=dir\nbin type=dir\nx\n..\n..\ny\n./z/w\n"[..]);
        let paths: Vec<_> = m.entries.iter().map(|e| e.path.clone()).collect();
        assert_eq!(
            paths,
            vec![
                b"/usr".to_vec(),
                b"/usr/bin".to_vec(),
                b"/usr/bin/x".to_vec(),
                b"/y".to_vec(),
                b"/z/w".to_vec()
            ]
        );
    }

    #[test]
    fn unescape_edges() {
        assert_eq!(unescape(b"a\\040b").unwrap(), b"a b");
        assert_eq!(unescape(b"\\001\\377").unwrap(), vec![1, 255]);
        assert_eq!(unescape(b"\\n\\t\\q").unwrap(), b"\n\tq");
        assert_eq!(unescape(b"x\\"), None);
    }

    const ALPHABET: &[u8] = b"./ =\\\n#0a7type=dirlink/setunset";

    #[test]
    fn garbage_never_panics() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for len in 0..300 {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    ALPHABET[(x % ALPHABET.len() as u64) as usize]
                })
                .collect();
            let _ = parse(&data[..]);
            let _ = read(&data);
            if len % 10 != 0 {
                continue;
            }
            let mut gz = gzip(&data);
            if let Some(b) = gz.get_mut(len / 2 + 10) {
                *b ^= 0x55;
            }
            let _ = read(&gz);
        }
    }
}
