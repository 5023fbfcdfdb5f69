//! pacman's `desc` and `files` (package database stage): the two text
//! files of a local database entry, `var/lib/pacman/local/NAME-VERSION/`,
//! as libalpm's `be_local.c` writes them: sections `%KEY%`, one value per
//! line, ended by an empty line.
//!
//! [`parse`] reads either file into a [`Desc`]; what rootaudit uses is the
//! identity (`%NAME%`, `%VERSION%`, `%ARCH%`, in `desc`), the paths the
//! package owns (`%FILES%`, relative to ROOT; directories end in `/`) and
//! its backup (configuration) files (`%BACKUP%`: `PATH<TAB>MD5`, in
//! `files`). Paths are raw bytes. A value outside any section is counted
//! in [`Desc::bad_lines`], never a panic.
//!
//! ```
//! use rootaudit::pkgdb::pacman::desc::{parse, Desc};
//! let mut d = Desc::default();
//! parse(b"%NAME%\nzlib\n\n%VERSION%\n1:1.2.11-3\n\n%ARCH%\nx86_64\n", &mut d);
//! parse(b"%FILES%\nusr/\nusr/lib/libz.so\n\n%BACKUP%\netc/z.conf\t0123456789abcdef0123456789abcdef\n", &mut d);
//! assert_eq!(d.name.as_deref(), Some("zlib"));
//! assert_eq!(d.files[1], b"usr/lib/libz.so");
//! assert_eq!(d.backup[0].0, b"etc/z.conf");
//! ```

/// What rootaudit reads of a package's `desc` and `files`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Desc {
    /// `%NAME%`.
    pub name: Option<String>,
    /// `%VERSION%`: `[EPOCH:]PKGVER-PKGREL`.
    pub version: Option<String>,
    /// `%ARCH%`.
    pub arch: Option<String>,
    /// `%FILES%`, relative to ROOT, in file order.
    pub files: Vec<Vec<u8>>,
    /// `%BACKUP%`: path (relative) and the MD5 recorded for it, when it
    /// is 32 hex digits.
    pub backup: Vec<(Vec<u8>, Option<[u8; 16]>)>,
    /// Lines that belong to no section, or `%BACKUP%` lines without a
    /// path (1-based numbers, per file).
    pub bad_lines: Vec<u64>,
}

/// Which section a value line belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Name,
    Version,
    Arch,
    Files,
    Backup,
    Other,
}

/// Parse one `desc` or `files` file into `out` (sections already there
/// are added to).
pub fn parse(data: &[u8], out: &mut Desc) {
    let mut section = Section::None;
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            section = Section::None;
            continue;
        }
        if section == Section::None {
            if line.len() >= 2 && line.starts_with(b"%") && line.ends_with(b"%") {
                section = match &line[1..line.len() - 1] {
                    b"NAME" => Section::Name,
                    b"VERSION" => Section::Version,
                    b"ARCH" => Section::Arch,
                    b"FILES" => Section::Files,
                    b"BACKUP" => Section::Backup,
                    _ => Section::Other,
                };
            } else {
                out.bad_lines.push(i as u64 + 1);
            }
            continue;
        }
        let text = || String::from_utf8_lossy(line).into_owned();
        match section {
            Section::Name if out.name.is_none() => out.name = Some(text()),
            Section::Version if out.version.is_none() => out.version = Some(text()),
            Section::Arch if out.arch.is_none() => out.arch = Some(text()),
            Section::Files => out.files.push(line.to_vec()),
            Section::Backup => {
                // `PATH\tMD5`; split at the last tab (a path may hold one).
                let (path, md5) = match line.iter().rposition(|&b| b == b'\t') {
                    Some(t) => (&line[..t], parse_md5(&line[t + 1..])),
                    None => (line, None),
                };
                if path.is_empty() {
                    out.bad_lines.push(i as u64 + 1);
                } else {
                    out.backup.push((path.to_vec(), md5));
                }
            }
            _ => {}
        }
    }
}

/// 32 hex digits.
fn parse_md5(s: &[u8]) -> Option<[u8; 16]> {
    let mut out = [0u8; 16];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

/// A pacman version split as the model keeps it: epoch, `pkgver`,
/// `pkgrel` (`1:1.2.11-3` is `(Some(1), "1.2.11", "3")`). A version
/// without `-` has an empty release; an epoch that is not a number stays
/// part of the version.
pub fn split_version(v: &str) -> (Option<u32>, String, String) {
    let (epoch, rest) = match v.split_once(':') {
        Some((e, rest)) => match e.parse::<u32>() {
            Ok(n) => (Some(n), rest),
            Err(_) => (None, v),
        },
        None => (None, v),
    };
    match rest.rsplit_once('-') {
        Some((ver, rel)) => (epoch, ver.to_owned(), rel.to_owned()),
        None => (epoch, rest.to_owned(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections() {
        let mut d = Desc::default();
        parse(
            b"%NAME%\npacman\n\n%VERSION%\n5.1.3-1\n\n%DEPENDS%\nbash\nglibc\n\n%ARCH%\nx86_64\n",
            &mut d,
        );
        parse(
            b"%FILES%\netc/\netc/pacman.conf\nusr/a b\n\n%BACKUP%\netc/pacman.conf\tdae74459bac48c07ea12fb22da5a83b7\netc/x\tnope\n\tabc\n",
            &mut d,
        );
        assert_eq!(d.name.as_deref(), Some("pacman"));
        assert_eq!(d.version.as_deref(), Some("5.1.3-1"));
        assert_eq!(d.arch.as_deref(), Some("x86_64"));
        assert_eq!(d.files.len(), 3);
        assert_eq!(d.files[2], b"usr/a b");
        assert_eq!(d.backup.len(), 2);
        assert!(d.backup[0].1.is_some());
        assert_eq!(d.backup[1], (b"etc/x".to_vec(), None));
        assert_eq!(d.bad_lines, vec![9]);
    }

    #[test]
    fn stray_lines_are_counted() {
        let mut d = Desc::default();
        parse(b"garbage\n%NAME%\nx\n\nmore\n", &mut d);
        assert_eq!(d.name.as_deref(), Some("x"));
        assert_eq!(d.bad_lines, vec![1, 5]);
    }

    #[test]
    fn versions() {
        assert_eq!(
            split_version("1:1.2.11-3"),
            (Some(1), "1.2.11".into(), "3".into())
        );
        assert_eq!(split_version("5.1.3-1"), (None, "5.1.3".into(), "1".into()));
        assert_eq!(split_version("x:y"), (None, "x:y".into(), String::new()));
    }

    #[test]
    fn garbage_never_panics() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for len in 0..300 {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    b"%\n\tFILESBACKUPNAME0a:-"[(x % 21) as usize]
                })
                .collect();
            let mut d = Desc::default();
            parse(&data, &mut d);
            if let Ok(s) = std::str::from_utf8(&data) {
                let _ = split_version(s);
            }
        }
    }
}
