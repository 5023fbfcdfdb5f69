//! pkgsrc packing lists (package database stage): a package's `+CONTENTS`,
//! as pkg_install's `lib/plist.c` reads it and `admin/check.c`
//! (`pkg_admin check`) verifies it; the commands are those of
//! pkg_create(1), "PACKING LIST DETAILS".
//!
//! A line is a file (relative to the current `@cwd`) or a command:
//!
//! * `@cwd DIR` (`@cd`) — the prefix of the files that follow (`.` is the
//!   package's own database directory);
//! * `@comment MD5:HEX` / `@comment Symlink:TARGET` right after a file —
//!   its content digest or link target (any other `@comment` is a remark);
//! * `@ignore` — the next entry is not an installed file (the `+*`
//!   metadata files);
//! * `@name PKGNAME`; `@pkgdir DIR` and `@dirrm DIR` — directories the
//!   package owns;
//! * `@mode`, `@owner`, `@group`, `@exec`, `@unexec` (never run), `@src`,
//!   `@display`, `@option`, `@pkgdep`, `@blddep`, `@pkgcfl` — read and not
//!   used: `pkg_admin check` verifies none of them.
//!
//! A line that does not parse (an unknown command, a file before any
//! `@cwd`, a digest that is not 32 hex digits, a line longer than
//! [`MAX_LINE`]) is counted, never a panic. Paths come back absolute, as
//! raw bytes.
//!
//! ```
//! use rootaudit::pkgdb::pkgsrc::plist::{parse, Kind};
//! let p = parse(b"@cwd /usr/pkg\n@name x-1.0\nbin/x\n@comment MD5:d41d8cd98f00b204e9800998ecf8427e\n", b"/usr/pkg/pkgdb/x-1.0");
//! assert_eq!(p.name.as_deref(), Some("x-1.0"));
//! assert_eq!(p.files[0].path, b"/usr/pkg/bin/x");
//! assert!(matches!(p.files[0].kind, Kind::File { md5: Some(_) }));
//! ```

/// Longest line parsed (pkg_install reads lines of `FILENAME_MAX`, 1024
/// bytes on NetBSD; a few times that is garbage or a planted giant).
pub const MAX_LINE: usize = 8192;

/// What a packing-list entry is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A file, with its MD5 when the list records one.
    File {
        /// `@comment MD5:`.
        md5: Option<[u8; 16]>,
    },
    /// A symbolic link (`@comment Symlink:`) and its target.
    Symlink {
        /// The recorded target.
        target: Vec<u8>,
    },
    /// A directory (`@pkgdir`, `@dirrm`).
    Dir,
}

/// One installed path of the packing list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlistEntry {
    /// Absolute path.
    pub path: Vec<u8>,
    /// What it is.
    pub kind: Kind,
}

/// A parsed `+CONTENTS`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plist {
    /// `@name`, when given (and UTF-8).
    pub name: Option<String>,
    /// The installed paths, in list order.
    pub files: Vec<PlistEntry>,
    /// Lines that do not parse (1-based line numbers).
    pub bad_lines: Vec<u64>,
}

/// Parse a `+CONTENTS`; `dbdir` is the package's database directory
/// (absolute), what `@cwd .` means.
pub fn parse(data: &[u8], dbdir: &[u8]) -> Plist {
    let mut out = Plist::default();
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    if data.is_empty() {
        return out;
    }
    let mut cwd: Option<Vec<u8>> = None;
    let mut ignore_next = false;
    // The file the previous line named (its index in `out.files`).
    let mut last_file: Option<usize> = None;
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        let n = i as u64 + 1;
        let previous = last_file.take();
        if line.is_empty() {
            continue;
        }
        if line.len() > MAX_LINE {
            out.bad_lines.push(n);
            continue;
        }
        let Some(cmd) = line.strip_prefix(b"@") else {
            // A file.
            if std::mem::take(&mut ignore_next) {
                continue;
            }
            let Some(dir) = &cwd else {
                out.bad_lines.push(n);
                continue;
            };
            out.files.push(PlistEntry {
                path: join(dir, line),
                kind: Kind::File { md5: None },
            });
            last_file = Some(out.files.len() - 1);
            continue;
        };
        let (word, arg) = match cmd.iter().position(u8::is_ascii_whitespace) {
            Some(cut) => (&cmd[..cut], cmd[cut..].trim_ascii()),
            None => (cmd, &b""[..]),
        };
        match word {
            b"cwd" | b"cd" => {
                if arg.is_empty() {
                    out.bad_lines.push(n);
                } else if arg == b"." {
                    cwd = Some(dbdir.to_vec());
                } else {
                    cwd = Some(arg.to_vec());
                }
            }
            b"comment" => {
                if let Some(hex) = arg.strip_prefix(b"MD5:") {
                    match (previous, crate::pkgdb::dpkg::status::parse_md5(hex)) {
                        (Some(f), Some(md5)) => out.files[f].kind = Kind::File { md5: Some(md5) },
                        (Some(_), None) => out.bad_lines.push(n),
                        // After something else: a remark, as pkg_install
                        // takes it.
                        (None, _) => {}
                    }
                } else if let Some(target) = arg.strip_prefix(b"Symlink:")
                    && let Some(f) = previous
                {
                    out.files[f].kind = Kind::Symlink {
                        target: target.to_vec(),
                    };
                }
            }
            b"ignore" => ignore_next = true,
            b"name" => {
                if out.name.is_none() {
                    out.name = std::str::from_utf8(arg).ok().map(str::to_owned);
                }
            }
            b"pkgdir" | b"dirrm" => {
                if std::mem::take(&mut ignore_next) {
                    continue;
                }
                match (&cwd, arg.is_empty()) {
                    (Some(dir), false) => out.files.push(PlistEntry {
                        path: join(dir, arg),
                        kind: Kind::Dir,
                    }),
                    _ => out.bad_lines.push(n),
                }
            }
            b"mode" | b"owner" | b"group" | b"exec" | b"unexec" | b"src" | b"display"
            | b"option" | b"pkgdep" | b"blddep" | b"pkgcfl" => {}
            _ => out.bad_lines.push(n),
        }
    }
    out
}

/// `dir/name`, absolute and normal.
fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    crate::pkgdb::normalize_path(&[dir, name])
}

#[cfg(test)]
mod tests {
    use super::*;

    const MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";

    #[test]
    fn a_real_shaped_list() {
        let data = format!(
            "@comment $NetBSD: PLIST,v 1.13 2009/06/14 18:13:34 joerg Exp $\n\
             @cwd /usr/pkg\n\
             @pkgcfl ssh-[0-9]*\n\
             @name openssh-5.8.2nb5\n\
             @pkgdep openssl>=0.9.8knb1\n\
             @blddep perl-5.14.2\n\
             bin/scp\n\
             @comment MD5:{MD5}\n\
             bin/slogin\n\
             @comment Symlink:./ssh\n\
             @comment share/locale/x/gprof.mo\n\
             share/doc/a file\n\
             @mode 0755\n\
             @owner root\n\
             @exec rm -rf /\n\
             @pkgdir var/run/sshd\n\
             @cwd .\n\
             @ignore\n\
             +BUILD_INFO\n\
             @display MESSAGE\n"
        );
        let p = parse(data.as_bytes(), b"/usr/pkg/pkgdb/openssh-5.8.2nb5");
        assert!(p.bad_lines.is_empty(), "{:?}", p.bad_lines);
        assert_eq!(p.name.as_deref(), Some("openssh-5.8.2nb5"));
        let paths: Vec<&[u8]> = p.files.iter().map(|f| f.path.as_slice()).collect();
        assert_eq!(
            paths,
            vec![
                &b"/usr/pkg/bin/scp"[..],
                b"/usr/pkg/bin/slogin",
                b"/usr/pkg/share/doc/a file",
                b"/usr/pkg/var/run/sshd",
            ]
        );
        assert!(matches!(p.files[0].kind, Kind::File { md5: Some(_) }));
        assert_eq!(
            p.files[1].kind,
            Kind::Symlink {
                target: b"./ssh".to_vec()
            }
        );
        assert_eq!(p.files[2].kind, Kind::File { md5: None });
        assert_eq!(p.files[3].kind, Kind::Dir);
    }

    #[test]
    fn damaged_lines_are_counted() {
        let long = format!("{}\n", "a".repeat(MAX_LINE + 1));
        let data = format!(
            "early/file\n\
             @cwd\n\
             @cwd /p\n\
             x\n\
             @comment MD5:{}\n\
             @bogus\n\
             @pkgdir\n\
             {long}\
             y\n\
             @comment MD5:{MD5}\n\
             @comment MD5:zz\n",
            &MD5[1..]
        );
        let p = parse(data.as_bytes(), b"/db/x");
        assert_eq!(p.bad_lines, vec![1, 2, 5, 6, 7, 8]);
        // The MD5 after a remark is one too.
        assert_eq!(p.files.len(), 2);
        assert_eq!(p.files[0].kind, Kind::File { md5: None });
        assert!(matches!(p.files[1].kind, Kind::File { md5: Some(_) }));
        assert_eq!(parse(b"", b"/"), Plist::default());
    }

    #[test]
    fn hostile_names_are_exact() {
        let mut data = b"@cwd /usr/pkg\nshare/\x1b]0;pwn\x07\xff\r\n@comment MD5:".to_vec();
        data.extend_from_slice(MD5.as_bytes());
        let p = parse(&data, b"/db");
        assert_eq!(p.files[0].path, b"/usr/pkg/share/\x1b]0;pwn\x07\xff\r");
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
                    let a = b"@cwd /ignore\ncomment MD5:0aSymlink:.";
                    a[(x % a.len() as u64) as usize]
                })
                .collect();
            let _ = parse(&data, b"/db");
        }
    }
}
