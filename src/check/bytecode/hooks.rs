//! Startup hooks (check stage, `bytecode`): code that runs whenever an
//! interpreter or a program starts, without anyone importing or calling it.
//!
//! * A `.pth` file in a site directory (`site-packages`, `dist-packages`):
//!   `site.py` executes every line that starts with `import` followed by a
//!   space or a tab, at every interpreter start (other lines add paths).
//! * `sitecustomize.py` / `usercustomize.py`: imported by `site.py` at every
//!   start (usercustomize when the user site is enabled).
//! * `/etc/ld.so.preload`: the dynamic loader maps every library it names
//!   into every dynamically linked program.
//!
//! Each is a `startup-hook` finding (high) when no package owns the file;
//! a package-owned one is verified by the `files` check. The finding's
//! evidence ([`HookEvidence`]) holds the offending line, raw.

use std::io::{self, Read};
use std::path::Path;

use crate::check::walk::{Ownership, is_absent};
use crate::model::evidence::bytecode::{Hook, HookEvidence};
use crate::model::{
    About, Bytes, Evidence, Finding, FindingKind, Incomplete, OsError, Problem, Severity, Stage,
    Unread,
};
use crate::rootfs::Root;

/// Largest hook file read (a `.pth` or preload file is a few lines).
pub const MAX_HOOK_BYTES: u64 = 1 << 20;

/// Longest offending line kept (bytes; longer ones are cut, with `…`).
pub const MAX_LINE_BYTES: usize = 1000;

/// The dynamic loader's preload list.
pub const LD_SO_PRELOAD: &str = "/etc/ld.so.preload";

/// Read at most [`MAX_HOOK_BYTES`] of a regular file (following a final
/// symlink inside ROOT). Also says whether the file was longer.
fn read_hook(root: &Root, path: &Path) -> io::Result<(Vec<u8>, bool)> {
    let e = root.lookup_follow(path)?;
    let f = root.open_regular(&e, path)?;
    let mut buf = Vec::new();
    f.take(MAX_HOOK_BYTES).read_to_end(&mut buf)?;
    Ok((buf, e.stat.size > MAX_HOOK_BYTES))
}

/// Lines as Python's universal newlines split them (`\n`, `\r\n`, `\r`).
fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split(|&b| b == b'\n' || b == b'\r')
}

/// A `check-incomplete` about `path` (the pyc, or the hook file), when
/// `object` (it, or the source a pyc names) could not be read. Shared by
/// the hook and the pyc rules.
pub(super) fn unreadable_at(path: &Path, object: &Path, what: Unread, e: &io::Error) -> Finding {
    Finding::new(
        FindingKind::CheckIncomplete,
        Severity::Low,
        About::path(path).scope(Stage::Bytecode.as_str()),
        Evidence::Incomplete(Incomplete {
            check: Stage::Bytecode,
            problem: Problem::Unreadable {
                what,
                object: (object != path).then(|| Bytes::from(object)),
                error: OsError::from(e),
            },
        }),
    )
}

fn unreadable(path: &Path, what: Unread, e: &io::Error) -> Finding {
    unreadable_at(path, path, what, e)
}

/// `line` as kept: raw, cut at [`MAX_LINE_BYTES`] with `…`.
fn kept_line(line: &[u8]) -> Bytes {
    let mut kept = line[..line.len().min(MAX_LINE_BYTES)].to_vec();
    if line.len() > MAX_LINE_BYTES {
        kept.extend_from_slice("…".as_bytes());
    }
    Bytes(kept)
}

fn hook(path: &Path, severity: Severity, hook: Hook, line: &[u8]) -> Finding {
    Finding::new(
        FindingKind::StartupHook,
        severity,
        About::path(path),
        Evidence::Hook(HookEvidence {
            hook,
            line: kept_line(line),
        }),
    )
}

/// A `.pth` file in a site directory: a finding when no package owns it and
/// it has a line `site.py` would execute.
pub fn check_pth(root: &Root, own: &Ownership<'_>, path: &Path) -> Option<Finding> {
    if own.is_owned(path) {
        return None;
    }
    let (data, longer) = match read_hook(root, path) {
        Ok(d) => d,
        Err(e) if is_absent(&e) => return None,
        Err(e) => return Some(unreadable(path, Unread::PthFile, &e)),
    };
    let exec: Vec<&[u8]> = lines(&data)
        .filter(|l| l.starts_with(b"import ") || l.starts_with(b"import\t"))
        .collect();
    let first = exec.first()?;
    Some(hook(
        path,
        Severity::High,
        Hook::Pth {
            lines: exec.len() as u64,
            read_limit: longer.then_some(MAX_HOOK_BYTES),
        },
        first,
    ))
}

/// A `sitecustomize.py` or `usercustomize.py` no package owns.
pub fn check_customize(root: &Root, own: &Ownership<'_>, path: &Path) -> Option<Finding> {
    if own.is_owned(path) {
        return None;
    }
    let (data, _) = match read_hook(root, path) {
        Ok(d) => d,
        Err(e) if is_absent(&e) => return None,
        Err(e) => return Some(unreadable(path, Unread::StartupModule, &e)),
    };
    // Show the first line that imports something, else the first code line.
    let code = |l: &&[u8]| {
        let t = l.trim_ascii();
        !t.is_empty() && !t.starts_with(b"#")
    };
    let line = lines(&data)
        .filter(code)
        .find(|l| {
            let t = l.trim_ascii_start();
            t.starts_with(b"import ") || t.starts_with(b"from ")
        })
        .or_else(|| lines(&data).find(code))
        .unwrap_or(b"");
    let which = if path.file_name().is_some_and(|n| n == "usercustomize.py") {
        Hook::Usercustomize
    } else {
        Hook::Sitecustomize
    };
    Some(hook(path, Severity::High, which, line))
}

/// `/etc/ld.so.preload`, when it exists and no package owns it.
pub fn check_ld_preload(root: &Root, own: &Ownership<'_>) -> Option<Finding> {
    let path = Path::new(LD_SO_PRELOAD);
    match root.lstat(path) {
        Ok(_) => {}
        Err(e) if is_absent(&e) => return None,
        Err(e) => return Some(unreadable(path, Unread::PreloadList, &e)),
    }
    if own.is_owned(path) {
        return None;
    }
    let (data, _) = match read_hook(root, path) {
        Ok(d) => d,
        Err(e) if is_absent(&e) => (Vec::new(), false),
        Err(e) => return Some(unreadable(path, Unread::PreloadList, &e)),
    };
    let named: Vec<&[u8]> = lines(&data)
        .map(|l| l.trim_ascii())
        .filter(|l| !l.is_empty() && !l.starts_with(b"#"))
        .collect();
    let libraries = named.len() as u64;
    Some(match named.first() {
        Some(first) => hook(path, Severity::High, Hook::LdSoPreload { libraries }, first),
        None => hook(path, Severity::Low, Hook::LdSoPreload { libraries }, b""),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pkgdb::OwnershipIndex;

    fn line(f: &Finding) -> &[u8] {
        match &f.evidence {
            Evidence::Hook(h) => h.line.as_bytes(),
            other => panic!("not a hook: {other:?}"),
        }
    }

    fn message(f: &Finding) -> String {
        String::from_utf8(f.message()).unwrap()
    }

    #[test]
    fn hooks_in_a_plain_root() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        let site = r.join("usr/lib/python3.11/site-packages");
        std::fs::create_dir_all(&site).unwrap();
        std::fs::create_dir_all(r.join("etc")).unwrap();
        std::fs::write(site.join("paths.pth"), b"# comment\n/opt/lib\n  import x\n").unwrap();
        std::fs::write(
            site.join("evil.pth"),
            b"/opt/lib\r\nimport os;os.system('id')\nimport\tsys\n",
        )
        .unwrap();
        std::fs::write(
            site.join("sitecustomize.py"),
            b"#!/usr/bin/python3\n\"\"\"doc\"\"\"\nimport socket\n",
        )
        .unwrap();
        std::fs::write(r.join("etc/ld.so.preload"), b"\n/lib/libevil.so \n").unwrap();
        let root = Root::open(r).unwrap();
        let index = OwnershipIndex::default();
        let own = Ownership::plain(&index);
        let p = |s: &str| Path::new(s).to_path_buf();
        assert!(
            check_pth(
                &root,
                &own,
                &p("/usr/lib/python3.11/site-packages/paths.pth")
            )
            .is_none()
        );
        let f = check_pth(
            &root,
            &own,
            &p("/usr/lib/python3.11/site-packages/evil.pth"),
        )
        .unwrap();
        assert_eq!(f.kind, FindingKind::StartupHook);
        assert_eq!(f.severity, Severity::High);
        assert_eq!(
            f.id,
            crate::model::FindingId::derive(
                FindingKind::StartupHook,
                b"",
                b"/usr/lib/python3.11/site-packages/evil.pth"
            )
        );
        assert_eq!(line(&f), b"import os;os.system('id')");
        assert_eq!(
            message(&f),
            "Python executes 2 lines of this .pth file at every interpreter start (site.py runs \
             lines beginning with `import`); no package owns it"
        );
        let f = check_customize(
            &root,
            &own,
            &p("/usr/lib/python3.11/site-packages/sitecustomize.py"),
        )
        .unwrap();
        assert_eq!(line(&f), b"import socket");
        assert_eq!(
            message(&f),
            "site.py imports sitecustomize at every interpreter start whose path includes this \
             directory; no package owns it"
        );
        let f = check_ld_preload(&root, &own).unwrap();
        assert_eq!(line(&f), b"/lib/libevil.so");
        assert_eq!(f.severity, Severity::High);
        assert_eq!(
            message(&f),
            "the dynamic loader maps the 1 library named here into every dynamically linked \
             program; no package owns this file"
        );
        std::fs::write(r.join("etc/ld.so.preload"), b"  \n").unwrap();
        let f = check_ld_preload(&root, &own).unwrap();
        assert_eq!(f.severity, Severity::Low);
        assert_eq!(line(&f), b"");
        assert_eq!(
            message(&f),
            "exists but names no library; no package owns it"
        );
        let json = serde_json::to_value(&f).unwrap();
        assert!(json.get("line").is_none(), "{json}");
        std::fs::remove_file(r.join("etc/ld.so.preload")).unwrap();
        assert!(check_ld_preload(&root, &own).is_none());
    }

    /// The line is kept raw (a terminal escape stays what it is), cut at
    /// [`MAX_LINE_BYTES`] with `…`; a file longer than what is read says so.
    #[test]
    fn lines_are_raw_and_cut() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        let site = r.join("usr/lib/python3.11/site-packages");
        std::fs::create_dir_all(&site).unwrap();
        let mut evil = b"import os\x1b[2J\xff".to_vec();
        evil.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES));
        evil.push(b'\n');
        std::fs::write(site.join("raw.pth"), &evil).unwrap();
        let mut big = b"import a\n".to_vec();
        big.resize(MAX_HOOK_BYTES as usize + 10, b'#');
        std::fs::write(site.join("big.pth"), &big).unwrap();
        std::fs::write(site.join("usercustomize.py"), b"x = 1\n").unwrap();
        let root = Root::open(r).unwrap();
        let index = OwnershipIndex::default();
        let own = Ownership::plain(&index);
        let dir = Path::new("/usr/lib/python3.11/site-packages");

        let f = check_pth(&root, &own, &dir.join("raw.pth")).unwrap();
        let l = line(&f);
        assert_eq!(&l[..MAX_LINE_BYTES], &evil[..MAX_LINE_BYTES]);
        assert_eq!(&l[MAX_LINE_BYTES..], "…".as_bytes());
        assert!(message(&f).starts_with("Python executes 1 line of this .pth file"));

        let f = check_pth(&root, &own, &dir.join("big.pth")).unwrap();
        assert!(
            message(&f).ends_with(&format!(
                "no package owns it (only the first {MAX_HOOK_BYTES} bytes were read)"
            )),
            "{}",
            message(&f)
        );

        let f = check_customize(&root, &own, &dir.join("usercustomize.py")).unwrap();
        assert_eq!(line(&f), b"x = 1");
        assert!(message(&f).starts_with("site.py imports usercustomize at every"));
    }

    /// A hook that cannot be read is a `check-incomplete` saying which.
    #[test]
    fn unreadable_hooks_are_incomplete() {
        let e = io::Error::from_raw_os_error(13);
        let f = unreadable(Path::new("/etc/ld.so.preload"), Unread::PreloadList, &e);
        assert_eq!(f.kind, FindingKind::CheckIncomplete);
        assert_eq!(f.severity, Severity::Low);
        assert_eq!(
            message(&f),
            format!("bytecode: cannot read the loader's preload list /etc/ld.so.preload ({e})")
        );
        assert_eq!(
            f.id,
            crate::model::FindingId::derive(
                FindingKind::CheckIncomplete,
                b"bytecode",
                b"/etc/ld.so.preload"
            )
        );
        let f = unreadable(Path::new("/x/a.pth"), Unread::PthFile, &e);
        assert_eq!(
            message(&f),
            format!("bytecode: cannot read .pth file /x/a.pth ({e})")
        );
        let f = unreadable(Path::new("/x/sitecustomize.py"), Unread::StartupModule, &e);
        assert_eq!(
            message(&f),
            format!("bytecode: cannot read startup module /x/sitecustomize.py ({e})")
        );
    }
}
