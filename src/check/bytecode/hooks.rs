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
//! `line` is the offending line, escaped.

use std::io::{self, Read};
use std::path::Path;

use crate::check::walk::{Ownership, is_absent};
use crate::model::{Finding, FindingKind, Severity};
use crate::rootfs::Root;

/// Largest hook file read (a `.pth` or preload file is a few lines).
pub const MAX_HOOK_BYTES: u64 = 1 << 20;

/// Longest offending line shown (bytes before escaping; longer ones are
/// cut, with `…`).
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

fn unreadable(path: &Path, what: &str, e: &io::Error) -> Finding {
    let mut f = Finding::new(
        FindingKind::CheckIncomplete,
        Severity::Low,
        format!(
            "bytecode: cannot read {what} {} ({e})",
            crate::output::escape_path(path)
        ),
    )
    .for_path(path);
    f.compute_id("bytecode");
    f
}

fn hook(path: &Path, line: &[u8], message: String) -> Finding {
    let mut f = Finding::new(FindingKind::StartupHook, Severity::High, message).for_path(path);
    let mut shown = crate::output::escape_bytes(&line[..line.len().min(MAX_LINE_BYTES)]);
    if line.len() > MAX_LINE_BYTES {
        shown.push('…');
    }
    f.line = Some(shown);
    f.compute_id("");
    f
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
        Err(e) => return Some(unreadable(path, ".pth file", &e)),
    };
    let exec: Vec<&[u8]> = lines(&data)
        .filter(|l| l.starts_with(b"import ") || l.starts_with(b"import\t"))
        .collect();
    let first = exec.first()?;
    let more = if longer {
        format!(" (only the first {MAX_HOOK_BYTES} bytes were read)")
    } else {
        String::new()
    };
    Some(hook(
        path,
        first,
        format!(
            "Python executes {} line{} of this .pth file at every interpreter start \
             (site.py runs lines beginning with `import`); no package owns it{more}",
            exec.len(),
            if exec.len() == 1 { "" } else { "s" }
        ),
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
        Err(e) => return Some(unreadable(path, "startup module", &e)),
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
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Some(hook(
        path,
        line,
        format!(
            "site.py imports {name} at every interpreter start whose path includes this \
             directory; no package owns it"
        ),
    ))
}

/// `/etc/ld.so.preload`, when it exists and no package owns it.
pub fn check_ld_preload(root: &Root, own: &Ownership<'_>) -> Option<Finding> {
    let path = Path::new(LD_SO_PRELOAD);
    match root.lstat(path) {
        Ok(_) => {}
        Err(e) if is_absent(&e) => return None,
        Err(e) => return Some(unreadable(path, "the loader's preload list", &e)),
    }
    if own.is_owned(path) {
        return None;
    }
    let (data, _) = match read_hook(root, path) {
        Ok(d) => d,
        Err(e) if is_absent(&e) => (Vec::new(), false),
        Err(e) => return Some(unreadable(path, "the loader's preload list", &e)),
    };
    let named: Vec<&[u8]> = lines(&data)
        .map(|l| l.trim_ascii())
        .filter(|l| !l.is_empty() && !l.starts_with(b"#"))
        .collect();
    match named.first() {
        Some(first) => Some(hook(
            path,
            first,
            format!(
                "the dynamic loader maps the {} librar{} named here into every dynamically \
                 linked program; no package owns this file",
                named.len(),
                if named.len() == 1 { "y" } else { "ies" }
            ),
        )),
        None => {
            let mut f = hook(
                path,
                b"",
                "exists but names no library; no package owns it".into(),
            );
            f.severity = Severity::Low;
            f.line = None;
            Some(f)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pkgdb::OwnershipIndex;

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
        assert_eq!(f.line.as_deref(), Some("import os;os.system('id')"));
        assert!(f.message.contains("2 lines"), "{}", f.message);
        let f = check_customize(
            &root,
            &own,
            &p("/usr/lib/python3.11/site-packages/sitecustomize.py"),
        )
        .unwrap();
        assert_eq!(f.line.as_deref(), Some("import socket"));
        let f = check_ld_preload(&root, &own).unwrap();
        assert_eq!(f.line.as_deref(), Some("/lib/libevil.so"));
        assert_eq!(f.severity, Severity::High);
        std::fs::write(r.join("etc/ld.so.preload"), b"  \n").unwrap();
        assert_eq!(
            check_ld_preload(&root, &own).unwrap().severity,
            Severity::Low
        );
        std::fs::remove_file(r.join("etc/ld.so.preload")).unwrap();
        assert!(check_ld_preload(&root, &own).is_none());
    }
}
