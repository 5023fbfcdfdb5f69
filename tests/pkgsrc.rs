//! The pkgsrc reader through the real binary: the real pkgdb of a MINIX
//! 3.2.1 system from `../shared/realdata/otherdb` (skipped with a message
//! when absent; copied into a temporary root), and a hand-built
//! `usr/pkg/pkgdb` damaged one way at a time.

use std::path::Path;

use rootaudit::pkgdb::pkgsrc;
use rootaudit::rootfs::{Root, S_IFLNK};

use crate::portage::copy_tree;
use crate::util::*;

const MINIX: &str = "otherdb/pkgsrc/minix-3.2.1";

fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(data))
}

/// The counts NEW-DATA.md gives, found with no flag (MINIX keeps its
/// pkgdb in `/usr/var/db/pkg`), and the 41 files present all match.
#[test]
fn real_minix_pkgdb() {
    let Some(src) = realdata(MINIX) else { return };
    let t = tempfile::tempdir().unwrap();
    copy_tree(&src, t.path());
    let root = Root::open(t.path()).unwrap();
    let db = pkgsrc::read(&root, Path::new("usr/var/db/pkg")).unwrap();
    let names: Vec<String> = db.packages.iter().map(|p| p.nevra()).collect();
    assert_eq!(
        names,
        vec![
            "binutils-2.17nb3",
            "bmake-20110606",
            "bootstrap-mk-files-20090807nb3",
            "clang-3.1nb3",
            "compiler-rt-3.1nb14774700",
            "openssh-5.8.2nb5",
            "openssl-0.9.8qnb3",
            "pkg_install-20110805nb2",
            "pkg_install-info-4.5nb3",
            "pkgin-0.4.3nb2",
            "pth-2.0.7nb2",
            "readline-6.2",
            "sqlite3-3.7.8",
        ]
    );
    assert!(db.notes.is_empty(), "{:?}", db.notes);
    let files: Vec<_> = db.packages.iter().flat_map(|p| &p.files).collect();
    let md5 = files.iter().filter(|f| !f.digest.is_empty()).count();
    let links = files.iter().filter(|f| f.mode == S_IFLNK | 0o777).count();
    assert_eq!((files.len(), md5, links), (2606, 1806, 800));
    let count = |n: &str| {
        db.packages
            .iter()
            .find(|p| p.name == n)
            .unwrap()
            .files
            .len()
    };
    assert_eq!((count("clang"), count("openssl")), (1188, 1158));
    let present: Vec<&str> = files
        .iter()
        .filter(|f| t.path().join(f.path.strip_prefix("/").unwrap()).is_file())
        .map(|f| f.path.to_str().unwrap())
        .collect();
    assert_eq!(present.len(), 41);

    let a = rootaudit_json_at(t.path(), &["--checks", "files"]);
    assert_eq!(a.json["database"]["format"], "pkgsrc");
    assert_eq!(a.json["database"]["path"], "/usr/var/db/pkg");
    assert_eq!(a.json["database"]["packages"], 13);
    assert_eq!(
        a.json["database"]["checks"],
        serde_json::json!(["digest", "link"])
    );
    for p in &present {
        assert!(a.findings_for(p).is_empty(), "{p}: {:?}", a.findings_for(p));
    }
    for f in a.findings() {
        assert_eq!(f["kind"], "file-missing", "{f}");
    }
    assert_eq!(a.findings().len(), 2606 - 41);
}

/// A hand-built pkgsrc root with `usr/pkg/pkgdb`.
fn built_root() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    let files: &[(&str, &[u8])] = &[
        ("bin/tool", b"#!/bin/sh\necho tool\n"),
        ("share/doc/tool/read me", b"spaces\n"),
        ("share/doc/tool/gone", b"gone\n"),
        ("share/doc/tool/\u{1b}[31mred\u{7}", b"escape\n"),
    ];
    let mut plist = String::from("@comment $NetBSD$\n@cwd /usr/pkg\n@name tool-1.2nb1\n");
    for (path, data) in files {
        let host = r.join("usr/pkg").join(path);
        std::fs::create_dir_all(host.parent().unwrap()).unwrap();
        std::fs::write(&host, data).unwrap();
        plist.push_str(&format!("{path}\n@comment MD5:{}\n", md5_hex(data)));
    }
    std::os::unix::fs::symlink("tool", r.join("usr/pkg/bin/tool-alias")).unwrap();
    plist.push_str("bin/tool-alias\n@comment Symlink:tool\n");
    plist.push_str("@exec touch /tmp/never-run\n@cwd .\n@ignore\n+BUILD_INFO\n");
    let pkg = r.join("usr/pkg/pkgdb/tool-1.2nb1");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("+CONTENTS"), plist).unwrap();
    std::fs::write(pkg.join("+BUILD_INFO"), "MACHINE_ARCH=x86_64\n").unwrap();
    t
}

#[test]
fn untouched_root_is_clean() {
    let t = built_root();
    let a = rootaudit_json_at(t.path(), &["--checks", "files"]);
    assert_eq!(a.json["database"]["format"], "pkgsrc");
    assert_eq!(a.json["database"]["path"], "/usr/pkg/pkgdb");
    assert!(a.findings().is_empty(), "{:?}", a.findings());
}

#[test]
fn tampering_is_found() {
    let t = built_root();
    let r = t.path().join("usr/pkg");
    std::fs::write(r.join("bin/tool"), b"#!/bin/sh\necho toot\n").unwrap();
    std::fs::remove_file(r.join("bin/tool-alias")).unwrap();
    std::os::unix::fs::symlink("/tmp/evil", r.join("bin/tool-alias")).unwrap();
    std::fs::remove_file(r.join("share/doc/tool/gone")).unwrap();
    std::fs::write(r.join("share/doc/tool/\u{1b}[31mred\u{7}"), b"ESCAPE\n").unwrap();
    let a = rootaudit_json_at(t.path(), &["--checks", "files"]);
    let v = |p: &str| -> Vec<String> {
        a.findings_for(p)
            .iter()
            .map(|f| {
                f["verify"]
                    .as_str()
                    .unwrap_or(f["kind"].as_str().unwrap())
                    .to_owned()
            })
            .collect()
    };
    assert_eq!(v("/usr/pkg/bin/tool"), vec!["..5......"]);
    assert_eq!(v("/usr/pkg/bin/tool-alias"), vec!["....L...."]);
    assert_eq!(v("/usr/pkg/share/doc/tool/gone"), vec!["file-missing"]);
    assert_eq!(
        v("/usr/pkg/share/doc/tool/\u{1b}[31mred\u{7}"),
        vec!["..5......"]
    );
    assert_eq!(
        a.findings_for("/usr/pkg/bin/tool")[0]["package"]["name"],
        "tool"
    );
    assert_eq!(a.findings().len(), 4, "{:?}", a.findings());
    assert!(!Path::new("/tmp/never-run").exists());
}

#[test]
fn unowned_setuid_file_is_found() {
    let t = built_root();
    let host = t.path().join("usr/bin/planted");
    std::fs::create_dir_all(host.parent().unwrap()).unwrap();
    std::fs::write(&host, b"\x7fELF").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&host, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let a = rootaudit_json_at(t.path(), &["--checks", "unowned"]);
    let f = a.findings_for("/usr/bin/planted");
    assert_eq!(f.len(), 1, "{:?}", a.findings());
    assert_eq!(f[0]["kind"], "unowned-setuid");
}

#[test]
fn corrupt_plist_is_a_finding_not_a_crash() {
    let t = built_root();
    let plist = t.path().join("usr/pkg/pkgdb/tool-1.2nb1/+CONTENTS");
    let mut data = std::fs::read(&plist).unwrap();
    data.extend_from_slice(b"@cwd /usr/pkg\nbin/x\n@comment MD5:nothex\n@frobnicate\n");
    data.extend_from_slice(&vec![b'a'; 1 << 20]);
    data.extend_from_slice(b"\n@cwd");
    std::fs::write(&plist, data).unwrap();
    let a = rootaudit_json_at(t.path(), &["--checks", "files"]);
    let bad = a.findings_for("/usr/pkg/pkgdb/tool-1.2nb1/+CONTENTS");
    assert_eq!(bad.len(), 1, "{:?}", a.findings());
    assert_eq!(bad[0]["kind"], "check-incomplete");
    assert_eq!(bad[0]["count"], 4, "{bad:?}");
}
