//! The Gentoo portage reader through the real binary: the real vdb of a
//! Gentoo arm64 stage image from `../shared/realdata/otherdb` (skipped with
//! a message when absent; copied into a temporary root, never into the
//! repository), and hand-built vdbs damaged one way at a time.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use rootaudit::pkgdb::portage;
use rootaudit::rootfs::{Root, S_IFDIR, S_IFLNK};

use crate::util::*;

const GENTOO: &str = "otherdb/gentoo/arm64-stage-2021";

/// Copy the tree `from` into `to`, writable.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for ent in std::fs::read_dir(from).unwrap() {
        let ent = ent.unwrap();
        let (src, dst) = (ent.path(), to.join(ent.file_name()));
        let ft = ent.file_type().unwrap();
        if ft.is_dir() {
            copy_tree(&src, &dst);
        } else if ft.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src).unwrap(), &dst).unwrap();
        } else {
            std::fs::write(&dst, std::fs::read(&src).unwrap()).unwrap();
        }
    }
}

fn set_mtime(p: &Path, secs: u64) {
    std::fs::File::options()
        .write(true)
        .open(p)
        .unwrap()
        .set_modified(UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(data))
}

fn verify_of<'a>(a: &'a Audit, path: &str) -> Vec<&'a str> {
    a.findings_for(path)
        .iter()
        .map(|f| f["verify"].as_str().unwrap_or(f["kind"].as_str().unwrap()))
        .collect()
}

/// Every count NEW-DATA.md gives for the real vdb, and the one real
/// modified file found, and nothing else among the files present.
#[test]
fn real_gentoo_stage_vdb() {
    let Some(src) = realdata(GENTOO) else { return };
    let t = tempfile::tempdir().unwrap();
    copy_tree(&src, t.path());

    // What the reader makes of it.
    let root = Root::open(t.path()).unwrap();
    let db = portage::read(&root, Path::new("var/db/pkg")).unwrap();
    assert_eq!(db.packages.len(), 260);
    assert!(db.notes.is_empty(), "{:?}", db.notes);
    let categories: std::collections::BTreeSet<&str> = db
        .packages
        .iter()
        .map(|p| p.name.split('/').next().unwrap())
        .collect();
    assert_eq!(categories.len(), 31);
    let (mut obj, mut sym, mut dir, mut spaces) = (0, 0, 0, 0);
    for p in &db.packages {
        let id = portage::identity_of(p).unwrap();
        assert_eq!(id.repository, "gentoo", "{}", p.nevra());
        assert_eq!(format!("{}/{}", id.category, id.pf), p.nevra());
        for f in &p.files {
            match f.mode {
                0 => {
                    obj += 1;
                    spaces += usize::from(f.path_bytes().contains(&b' '));
                }
                m if m == S_IFLNK | 0o777 => sym += 1,
                S_IFDIR => dir += 1,
                m => panic!("{m:o}"),
            }
        }
    }
    assert_eq!((obj, sym, dir), (42782, 10135, 4289));
    assert_eq!(spaces, 24);
    let empty: Vec<&str> = db
        .packages
        .iter()
        .filter(|p| p.files.is_empty())
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(empty.len(), 22);
    assert!(empty.iter().all(|n| n.starts_with("virtual/")), "{empty:?}");
    let count = |nevra: &str, mode: u32| {
        db.packages
            .iter()
            .find(|p| p.nevra() == nevra)
            .unwrap()
            .files
            .iter()
            .filter(|f| f.mode == mode)
            .count()
    };
    assert_eq!(count("dev-lang/python-3.8.7-r1", 0), 6546);
    let portage_pkg = "sys-apps/portage-3.0.13";
    assert_eq!(
        (
            count(portage_pkg, 0),
            count(portage_pkg, S_IFLNK | 0o777),
            count(portage_pkg, S_IFDIR)
        ),
        (2651, 13, 209)
    );

    // git keeps no mtimes: give the files that are present the recorded
    // ones back, so only what git did keep (content) is compared.
    let mut present = Vec::new();
    for p in &db.packages {
        for f in p.files.iter().filter(|f| f.mode == 0) {
            let host = t.path().join(f.path.strip_prefix("/").unwrap());
            if host.is_file() {
                set_mtime(&host, u64::from(f.mtime));
                present.push(f.path.to_str().unwrap().to_owned());
            }
        }
    }
    assert_eq!(present.len(), 72);

    // The binary, with no flag.
    let a = rootaudit_json_at(t.path(), &["--checks", "files"]);
    assert_eq!(a.json["database"]["format"], "portage");
    assert_eq!(a.json["database"]["path"], "/var/db/pkg");
    assert_eq!(a.json["database"]["packages"], 260);
    assert_eq!(
        a.json["database"]["checks"],
        serde_json::json!(["digest", "link", "mtime"])
    );
    let changed: Vec<(&str, &str)> = a
        .findings()
        .iter()
        .filter(|f| f["kind"] == "file-changed")
        .map(|f| (f["path"].as_str().unwrap(), f["verify"].as_str().unwrap()))
        .collect();
    assert_eq!(changed, vec![("/etc/locale.gen", "..5......")]);
    let locale = a.findings_for("/etc/locale.gen");
    assert_eq!(locale[0]["severity"], "low", "CONFIG_PROTECT: /etc");
    assert_eq!(locale[0]["package"]["name"], "sys-libs/glibc");
    for p in &present {
        if p != "/etc/locale.gen" {
            assert!(a.findings_for(p).is_empty(), "{p}: {:?}", a.findings_for(p));
        }
    }
    // Everything else that is listed but absent is missing, nothing else.
    for f in a.findings() {
        let kind = f["kind"].as_str().unwrap();
        assert!(
            matches!(kind, "file-missing" | "file-changed" | "check-incomplete"),
            "{f}"
        );
    }
}

/// A hand-built Gentoo root: `(root, recorded mtime)`.
fn built_root() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    let files: &[(&[u8], &[u8])] = &[
        (b"/usr/bin/tool", b"#!/bin/sh\necho tool\n"),
        (b"/etc/tool.conf", b"verbose=1\n"),
        (b"/usr/share/doc/tool/read me.txt", b"spaces\n"),
        (b"/usr/share/doc/tool/gone", b"gone\n"),
        (b"/usr/share/doc/tool/\x1b[31mred\x07", b"escape\n"),
    ];
    let mut contents = b"dir /usr\ndir /usr/bin\n".to_vec();
    for (path, data) in files {
        let host = r.join(std::ffi::OsStr::from_bytes(&path[1..]));
        std::fs::create_dir_all(host.parent().unwrap()).unwrap();
        std::fs::write(&host, data).unwrap();
        set_mtime(&host, 1_600_000_000);
        contents.extend_from_slice(b"obj ");
        contents.extend_from_slice(path);
        contents.extend_from_slice(format!(" {} 1600000000\n", md5_hex(data)).as_bytes());
    }
    std::os::unix::fs::symlink("libtool.so.1", r.join("usr/bin/libtool.so")).unwrap();
    contents.extend_from_slice(b"sym /usr/bin/libtool.so -> libtool.so.1 1600000000\n");
    std::os::unix::fs::symlink("tool", r.join("usr/bin/tool-alias")).unwrap();
    contents.extend_from_slice(b"sym /usr/bin/tool-alias -> tool 1600000000\n");
    let pkg = r.join("var/db/pkg/app-misc/tool-1.2.3-r1");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("CONTENTS"), contents).unwrap();
    std::fs::write(pkg.join("SLOT"), "0\n").unwrap();
    std::fs::write(pkg.join("repository"), "gentoo\n").unwrap();
    t
}

#[test]
fn untouched_root_is_clean() {
    let t = built_root();
    let a = rootaudit_json_at(t.path(), &["--checks", "files"]);
    assert_eq!(a.json["database"]["format"], "portage");
    assert!(a.findings().is_empty(), "{:?}", a.findings());
    assert_eq!(a.status, Some(0));
}

#[test]
fn each_verify_column_and_missing() {
    let t = built_root();
    let r = t.path();
    // Same size, one byte changed; mtime kept.
    std::fs::write(r.join("usr/bin/tool"), b"#!/bin/sh\necho toot\n").unwrap();
    set_mtime(&r.join("usr/bin/tool"), 1_600_000_000);
    // Only the mtime.
    set_mtime(&r.join("usr/share/doc/tool/read me.txt"), 1_700_000_000);
    // Retargeted link.
    std::fs::remove_file(r.join("usr/bin/libtool.so")).unwrap();
    std::os::unix::fs::symlink("/tmp/evil.so", r.join("usr/bin/libtool.so")).unwrap();
    // A link replaced by a file.
    std::fs::remove_file(r.join("usr/bin/tool-alias")).unwrap();
    std::fs::write(r.join("usr/bin/tool-alias"), b"trojan").unwrap();
    std::fs::remove_file(r.join("usr/share/doc/tool/gone")).unwrap();
    // A config file edited.
    std::fs::write(r.join("etc/tool.conf"), b"verbose=2\n").unwrap();

    let a = rootaudit_json_at(r, &["--checks", "files"]);
    assert_eq!(verify_of(&a, "/usr/bin/tool"), vec!["..5......"]);
    assert_eq!(
        verify_of(&a, "/usr/share/doc/tool/read me.txt"),
        vec![".......T."]
    );
    assert_eq!(verify_of(&a, "/usr/bin/libtool.so"), vec!["....L...."]);
    assert_eq!(verify_of(&a, "/usr/bin/tool-alias"), vec![".M......."]);
    assert_eq!(
        verify_of(&a, "/usr/share/doc/tool/gone"),
        vec!["file-missing"]
    );
    let conf = a.findings_for("/etc/tool.conf");
    assert_eq!(conf[0]["verify"], "..5....T.");
    assert_eq!(conf[0]["severity"], "low");
    assert_eq!(a.findings_for("/usr/bin/tool")[0]["severity"], "high");
    assert_eq!(
        a.findings_for("/usr/bin/tool")[0]["package"]["name"],
        "app-misc/tool"
    );
    assert_eq!(a.findings().len(), 6, "{:?}", a.findings());
}

#[test]
fn hostile_name_is_exact_in_json() {
    let t = built_root();
    let host = t.path().join("usr/share/doc/tool/\x1b[31mred\x07");
    std::fs::write(&host, b"ESCAPE\n").unwrap();
    set_mtime(&host, 1_600_000_000);
    let a = rootaudit_json_at(t.path(), &["--checks", "files"]);
    let f = a.findings_for("/usr/share/doc/tool/\u{1b}[31mred\u{7}");
    assert_eq!(f.len(), 1, "{:?}", a.findings());
    assert_eq!(f[0]["verify"], "..5......");
}

#[test]
fn unowned_setuid_file_is_found() {
    let t = built_root();
    let host = t.path().join("usr/bin/planted");
    std::fs::write(&host, b"\x7fELF").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&host, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let a = rootaudit_json_at(t.path(), &["--checks", "unowned"]);
    let f = a.findings_for("/usr/bin/planted");
    assert_eq!(f.len(), 1, "{:?}", a.findings());
    assert_eq!(f[0]["kind"], "unowned-setuid");
    // What the package registered is owned.
    assert!(a.findings_for("/usr/bin/tool").is_empty());
    assert!(a.findings_for("/usr/bin/libtool.so").is_empty());
}

#[test]
fn corrupt_contents_is_a_finding_not_a_crash() {
    let t = built_root();
    let contents = t.path().join("var/db/pkg/app-misc/tool-1.2.3-r1/CONTENTS");
    let mut data = std::fs::read(&contents).unwrap();
    data.extend_from_slice(b"obj /usr/bin/x NOTHEX 1\nobj /usr/bin/y\nsym /z ->\n");
    data.extend_from_slice(&vec![b'a'; 1 << 20]);
    data.extend_from_slice(b"\nobj /trunc");
    std::fs::write(&contents, data).unwrap();
    // A second package whose CONTENTS is a directory.
    std::fs::create_dir_all(t.path().join("var/db/pkg/app-misc/odd-1/CONTENTS")).unwrap();
    let a = rootaudit_json_at(t.path(), &["--checks", "files"]);
    let notes: Vec<&serde_json::Value> = a
        .findings()
        .iter()
        .filter(|f| f["kind"] == "check-incomplete")
        .collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    let bad = a.findings_for("/var/db/pkg/app-misc/tool-1.2.3-r1/CONTENTS");
    assert_eq!(bad[0]["count"], 5, "{bad:?}");
    assert_eq!(a.json["database"]["packages"], 2);
}
