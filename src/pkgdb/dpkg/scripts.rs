//! dpkg maintainer scripts (package database stage): a package's
//! `preinst`, `postinst`, `prerm`, `postrm` (and debconf's `config`), read
//! for [`crate::pkgdb::Backend::scripts`].
//!
//! They are `info/NAME[:ARCH].PHASE` beside the package's `.list`, named as
//! the reader names that list (`NAME:ARCH` for `Multi-Arch: same`
//! packages); each is read through the confined [`Root`], at most
//! [`MAX_BODY`] bytes of it. The interpreter is the `#!` line's, split as
//! the kernel splits it (program, then the rest as one argument). An
//! absent script is simply not there; one that cannot be read (not a
//! regular file, an I/O error) is a `check-incomplete` note.
//!
//! ```no_run
//! use rootaudit::pkgdb::dpkg;
//! use rootaudit::rootfs::Root;
//! let root = Root::open("/".as_ref())?;
//! let db = dpkg::open(&root, "var/lib/dpkg/status".as_ref())?;
//! # let package: rootaudit::pkgdb::Package = todo!();
//! for s in db.scripts(&root, &package).scripts {
//!     println!("{} {:?}", s.phase, s.interpreter);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, Read};
use std::path::Path;

use super::Dpkg;
use super::package::info_names;
use super::reader::is_absent;
use crate::model::evidence::DatabaseProblem;
use crate::model::{About, Bytes, MAX_BODY, Script, ScriptPhase, Severity};
use crate::pkgdb::incomplete;
use crate::pkgdb::{Package, ScriptsOutcome};
use crate::rootfs::Root;

/// The scripts, in the order dpkg runs them on an install then a removal,
/// and the file name suffix of each.
const PHASES: [(ScriptPhase, &str); 5] = [
    (ScriptPhase::Preinst, "preinst"),
    (ScriptPhase::Postinst, "postinst"),
    (ScriptPhase::Prerm, "prerm"),
    (ScriptPhase::Postrm, "postrm"),
    (ScriptPhase::Config, "config"),
];

impl Dpkg {
    /// The maintainer scripts of `package`, a package a pass of this
    /// database handed over (none for a package it does not know).
    pub fn scripts(&self, root: &Root, package: &Package) -> ScriptsOutcome {
        let mut out = ScriptsOutcome::default();
        let Some(stanza) = self
            .stanzas
            .iter()
            .find(|s| s.entry.record == package.record)
        else {
            return out;
        };
        let info = self.admindir.join("info");
        let names = info_names(&stanza.entry);
        // The name the package's `.list` has, as the reader found it; any
        // candidate when there is none.
        let listed = names
            .iter()
            .find(|n| root.lookup(&info.join(format!("{n}.list"))).is_ok());
        let candidates: Vec<&String> = match listed {
            Some(n) => vec![n],
            None => names.iter().collect(),
        };
        for (phase, ext) in PHASES {
            for n in &candidates {
                let rel = info.join(format!("{n}.{ext}"));
                match read_script(root, &rel) {
                    Ok(Some(s)) => {
                        out.push(script(phase, s));
                        break;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        out.notes.push(unreadable(package, phase, &rel, &e));
                        break;
                    }
                }
            }
        }
        out
    }
}

/// A script file read: its first bytes (up to one more than
/// [`MAX_BODY`]) and its size.
struct ScriptFile {
    head: Vec<u8>,
    size: u64,
}

/// Read the script at `rel` (`None`: there is none).
fn read_script(root: &Root, rel: &Path) -> io::Result<Option<ScriptFile>> {
    let entry = match root.lookup_follow(rel) {
        Ok(e) => e,
        Err(e) if is_absent(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut head = Vec::new();
    root.open_regular(&entry, rel)?
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut head)?;
    Ok(Some(ScriptFile {
        size: entry.stat.size.max(head.len() as u64),
        head,
    }))
}

/// The script of `phase` read as `r`, with the interpreter of its `#!`.
fn script(phase: ScriptPhase, r: ScriptFile) -> Script {
    let mut s = Script::new(phase, &r.head);
    s.size = r.size;
    s.truncated |= r.size > s.body.as_bytes().len() as u64;
    if let Some((program, arg)) = shebang(s.body.as_bytes()) {
        s.interpreter = Some(Bytes::from(program));
        s.args = arg.map(Bytes::from).into_iter().collect();
    }
    s
}

/// The program and optional argument of a `#!` line, split as Linux's
/// `binfmt_script` does: blanks (space, tab) around and between, the
/// program up to the first blank, the rest of the line (trimmed) one
/// argument.
fn shebang(body: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let rest = body.strip_prefix(b"#!")?;
    let line = rest.split(|&b| b == b'\n').next().unwrap_or(rest);
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = line.iter().position(|b| !blank(b))?;
    let end = line.iter().rposition(|b| !blank(b))? + 1;
    let line = &line[start..end];
    match line.iter().position(blank) {
        None => Some((line, None)),
        Some(cut) => {
            let arg = &line[cut..];
            let from = arg.iter().position(|b| !blank(b)).unwrap_or(arg.len());
            Some((&line[..cut], Some(&arg[from..])))
        }
    }
}

/// The `check-incomplete` for a maintainer script that exists but cannot
/// be read.
fn unreadable(p: &Package, phase: ScriptPhase, rel: &Path, e: &io::Error) -> crate::model::Finding {
    incomplete(
        Severity::Medium,
        About::package(p.reference()).at(Path::new("/").join(rel)),
        DatabaseProblem::ScriptUnreadable {
            package: p.name.clone(),
            phase: Some(phase),
            error: e.into(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FindingKind;

    #[test]
    fn shebang_lines() {
        let s = |b: &'static [u8]| shebang(b);
        assert_eq!(s(b"#!/bin/sh\nexit 0\n"), Some((&b"/bin/sh"[..], None)));
        assert_eq!(
            s(b"#! /bin/sh -e  \nset -x"),
            Some((&b"/bin/sh"[..], Some(&b"-e"[..])))
        );
        assert_eq!(
            s(b"#!/usr/bin/env\tpython3 -u\n"),
            Some((&b"/usr/bin/env"[..], Some(&b"python3 -u"[..])))
        );
        assert_eq!(s(b"#!/bin/sh"), Some((&b"/bin/sh"[..], None)));
        assert_eq!(s(b"#!   \n"), None);
        assert_eq!(s(b"set -e\n"), None);
        assert_eq!(s(b"\x7fELF"), None);
    }

    struct Fixture(tempfile::TempDir);

    impl Fixture {
        fn new(status: &str) -> Fixture {
            let f = Fixture(tempfile::tempdir().unwrap());
            f.write("var/lib/dpkg/status", status);
            f
        }

        fn write(&self, rel: &str, data: impl AsRef<[u8]>) {
            let p = self.0.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, data).unwrap();
        }

        fn scripts(&self) -> Vec<(String, ScriptsOutcome)> {
            let root = Root::open(self.0.path()).unwrap();
            let db = super::super::open(&root, Path::new("var/lib/dpkg/status")).unwrap();
            let mut pkgs = Vec::new();
            db.read(&root, &mut |b| pkgs.extend_from_slice(b));
            pkgs.iter()
                .map(|p| (p.nevra(), db.scripts(&root, p)))
                .collect()
        }
    }

    const STATUS: &str = "\
Package: plain
Status: install ok installed
Version: 1.0-1
Architecture: amd64

Package: libsame
Status: install ok installed
Version: 2.0
Architecture: amd64
Multi-Arch: same

Package: noscripts
Status: install ok installed
Version: 3
Architecture: all
";

    #[test]
    fn reads_scripts_by_the_list_name() {
        let f = Fixture::new(STATUS);
        let info = "var/lib/dpkg/info";
        f.write(&format!("{info}/plain.list"), "/usr/bin/plain\n");
        f.write(
            &format!("{info}/plain.postinst"),
            "#!/bin/sh -e\necho plain\n",
        );
        f.write(&format!("{info}/plain.prerm"), "no shebang\n");
        // Not its list's name: never read for `plain`.
        f.write(&format!("{info}/plain:amd64.preinst"), "#!/bin/sh\nevil\n");
        f.write(&format!("{info}/libsame:amd64.list"), "/usr/lib/x\n");
        f.write(&format!("{info}/libsame:amd64.postrm"), "#!/bin/bash\nrm\n");
        f.write(&format!("{info}/libsame.postrm"), "#!/bin/sh\nother arch\n");
        f.write(&format!("{info}/noscripts.list"), "/usr/share/x\n");
        let got = f.scripts();
        let show = |o: &ScriptsOutcome| -> Vec<(String, Option<String>, Vec<String>, String)> {
            o.scripts
                .iter()
                .map(|s| {
                    (
                        s.phase.to_string(),
                        s.interpreter.as_ref().map(|b| b.to_str_lossy().into()),
                        s.args.iter().map(|b| b.to_str_lossy().into()).collect(),
                        s.body.to_str_lossy().into(),
                    )
                })
                .collect()
        };
        assert_eq!(got.len(), 3);
        assert!(got.iter().all(|(_, o)| o.notes.is_empty()));
        assert_eq!(
            show(&got[0].1),
            vec![
                (
                    "postinst".into(),
                    Some("/bin/sh".into()),
                    vec!["-e".into()],
                    "#!/bin/sh -e\necho plain\n".into()
                ),
                ("prerm".into(), None, vec![], "no shebang\n".into()),
            ]
        );
        assert_eq!(
            show(&got[1].1),
            vec![(
                "postrm".into(),
                Some("/bin/bash".into()),
                vec![],
                "#!/bin/bash\nrm\n".into()
            )]
        );
        assert!(got[2].1.scripts.is_empty());
    }

    #[test]
    fn large_and_unreadable_scripts() {
        let f = Fixture::new(STATUS);
        let info = "var/lib/dpkg/info";
        f.write(&format!("{info}/plain.list"), "/usr/bin/plain\n");
        let mut big = b"#!/bin/sh\n".to_vec();
        big.resize(MAX_BODY + 100, b'#');
        f.write(&format!("{info}/plain.postinst"), &big);
        std::fs::create_dir_all(f.0.path().join(info).join("plain.prerm")).unwrap();
        let got = f.scripts();
        let o = &got[0].1;
        assert_eq!(o.scripts.len(), 1);
        let s = &o.scripts[0];
        assert!(s.truncated);
        assert_eq!(s.body.as_bytes(), &big[..MAX_BODY]);
        assert_eq!(s.size, big.len() as u64);
        assert_eq!(s.interpreter, Some(Bytes::from("/bin/sh")));
        assert_eq!(o.notes.len(), 1);
        let n = &o.notes[0];
        assert_eq!(n.kind, FindingKind::CheckIncomplete);
        assert_eq!(n.path_bytes(), b"/var/lib/dpkg/info/plain.prerm");
        assert_eq!(n.package.as_ref().unwrap().name, "plain");
        let m = String::from_utf8(n.message()).unwrap();
        assert!(
            m.starts_with(
                "/var/lib/dpkg/info/plain.prerm: the prerm script of package plain cannot be read"
            ),
            "{m}"
        );
    }
}
