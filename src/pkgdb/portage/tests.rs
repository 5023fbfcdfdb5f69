//! Tests of the portage reader on hand-built vdbs.

use std::path::Path;

use super::*;
use crate::model::{Evidence, FindingKind, Problem};

const MD5_EMPTY: &str = "d41d8cd98f00b204e9800998ecf8427e";

fn write(root: &Path, rel: &str, data: impl AsRef<[u8]>) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

/// A vdb of three packages, one of them damaged, one still merging.
fn vdb() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    write(
        r,
        "var/db/pkg/sys-libs/glibc-2.32-r5/CONTENTS",
        format!(
            "dir /etc\nobj /etc/locale.gen {MD5_EMPTY} 1612616647\n\
             obj /etc/env.d/00glibc {MD5_EMPTY} 1\n\
             sym /lib64/libdl.so.2 -> libdl-2.32.so 1612616640\n\
             obj /usr/share/a b {MD5_EMPTY} 2\nobj /usr/share/a b {MD5_EMPTY} 2\n\
             garbage\n"
        ),
    );
    write(r, "var/db/pkg/sys-libs/glibc-2.32-r5/SLOT", "2.2\n");
    write(
        r,
        "var/db/pkg/sys-libs/glibc-2.32-r5/repository",
        "gentoo\n",
    );
    write(r, "var/db/pkg/virtual/libc-1-r1/CONTENTS", "");
    // No CONTENTS at all.
    write(r, "var/db/pkg/app-misc/broken-1.0/SLOT", "0\n");
    write(r, "var/db/pkg/app-misc/-MERGING-new-2.0/CONTENTS", "");
    write(r, "var/db/pkg/.keep", "");
    t
}

#[test]
fn reads_a_vdb() {
    let t = vdb();
    let root = Root::open(t.path()).unwrap();
    let db = read(&root, Path::new("var/db/pkg")).unwrap();
    assert_eq!(db.format, DbFormat::PORTAGE);
    assert_eq!(db.path, Path::new("/var/db/pkg"));
    assert_eq!(db.attributes, ATTRIBUTES);
    let names: Vec<String> = db.packages.iter().map(Package::nevra).collect();
    assert_eq!(
        names,
        vec![
            "app-misc/broken-1.0",
            "sys-libs/glibc-2.32-r5",
            "virtual/libc-1-r1"
        ]
    );
    let glibc = &db.packages[1];
    let id = identity_of(glibc).unwrap();
    assert_eq!(
        (id.category.as_str(), id.pf.as_str(), id.slot.as_str()),
        ("sys-libs", "glibc-2.32-r5", "2.2")
    );
    assert_eq!(id.repository, "gentoo");
    // The duplicate line is one record.
    assert_eq!(glibc.files.len(), 5);
    let f = |p: &str| glibc.files.iter().find(|f| f.path == Path::new(p)).unwrap();
    let locale = f("/etc/locale.gen");
    assert_eq!(locale.flags, FileFlags::CONFIG);
    assert_eq!(locale.verify, VerifyAttrs::DIGEST | VerifyAttrs::MTIME);
    assert_eq!(locale.mtime, 1612616647);
    assert_eq!(locale.mode, 0);
    assert_eq!(hex::encode(&locale.digest), MD5_EMPTY);
    // Masked by default.
    assert_eq!(f("/etc/env.d/00glibc").flags, FileFlags::empty());
    let link = f("/lib64/libdl.so.2");
    assert_eq!(link.link_to, b"libdl-2.32.so");
    assert_eq!(link.mode, S_IFLNK | 0o777);
    assert_eq!(f("/etc").verify, VerifyAttrs::empty());
    assert!(
        glibc
            .files
            .iter()
            .any(|f| f.path == Path::new("/usr/share/a b"))
    );
    assert!(db.packages[0].files.is_empty());
    assert!(db.packages[2].files.is_empty());

    // The notes: the merging package, the missing CONTENTS, the bad line.
    let problems: Vec<(&str, String)> = db
        .notes
        .iter()
        .map(|n| {
            assert_eq!(n.kind, FindingKind::CheckIncomplete);
            let Evidence::Incomplete(i) = &n.evidence else {
                panic!("{:?}", n.evidence)
            };
            let Problem::Database(p) = &i.problem else {
                panic!("{:?}", i.problem)
            };
            (
                match p {
                    DatabaseProblem::HalfInstalled { .. } => "merging",
                    DatabaseProblem::Unreadable { .. } => "unreadable",
                    DatabaseProblem::BadLines { .. } => "bad-lines",
                    _ => "other",
                },
                String::from_utf8_lossy(n.path_bytes()).into_owned(),
            )
        })
        .collect();
    assert_eq!(
        problems,
        vec![
            ("merging", String::new()),
            (
                "unreadable",
                "/var/db/pkg/app-misc/broken-1.0/CONTENTS".to_string()
            ),
            (
                "bad-lines",
                "/var/db/pkg/sys-libs/glibc-2.32-r5/CONTENTS".to_string()
            ),
        ]
    );
}

#[test]
fn config_protect_comes_from_the_target() {
    let t = vdb();
    write(
        t.path(),
        "etc/portage/make.conf",
        "CONFIG_PROTECT_MASK=\"/etc/locale.gen\"\n",
    );
    let root = Root::open(t.path()).unwrap();
    let db = read(&root, Path::new("var/db/pkg")).unwrap();
    let glibc = &db.packages[1];
    let locale = glibc
        .files
        .iter()
        .find(|f| f.path == Path::new("/etc/locale.gen"))
        .unwrap();
    assert_eq!(locale.flags, FileFlags::empty());
}

#[test]
fn not_a_vdb() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    let root = Root::open(r).unwrap();
    let unknown = |rel: &str| {
        matches!(
            open(&root, Path::new(rel)),
            Err(Error::Database {
                reason: DatabaseError::UnknownFormat,
                ..
            })
        )
    };
    std::fs::create_dir_all(r.join("empty")).unwrap();
    assert!(unknown("empty"));
    write(r, "pkgsrc/openssh-5.8.2nb5/+CONTENTS", "@cwd /usr/pkg\n");
    assert!(unknown("pkgsrc"));
    write(r, "freebsd/local.sqlite", "SQLite format 3\0");
    assert!(unknown("freebsd"));
    assert!(unknown("freebsd/local.sqlite"));
    assert!(open(&root, Path::new("absent")).is_err());
}

#[test]
fn detected_and_told_apart_from_pkgsrc() {
    // Gentoo: var/db/pkg is portage's.
    let t = vdb();
    let root = Root::open(t.path()).unwrap();
    let src = crate::pkgdb::open(&root, None, None).unwrap();
    assert_eq!(src.format, DbFormat::PORTAGE);
    assert!(src.also_found.is_empty(), "{:?}", src.also_found);
    // --dbpath to the directory.
    let src = crate::pkgdb::open(&root, Some(Path::new("/var/db/pkg")), None).unwrap();
    assert_eq!(src.format, DbFormat::PORTAGE);
    assert_eq!(src.path, Path::new("/var/db/pkg"));

    // NetBSD: var/db/pkg is pkgsrc's.
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "var/db/pkg/bmake-20110606/+CONTENTS",
        "@cwd /usr/pkg\n@name bmake-20110606\nbin/bmake\n",
    );
    let root = Root::open(t.path()).unwrap();
    let src = crate::pkgdb::open(&root, None, None).unwrap();
    assert_eq!(src.format, DbFormat::PKGSRC);
    assert_eq!(src.path, Path::new("/var/db/pkg"));
    assert!(src.also_found.is_empty(), "{:?}", src.also_found);
    // Asked for portage: not one.
    assert!(crate::pkgdb::open(&root, None, Some(DbFormat::PORTAGE)).is_err());
}

#[test]
fn pf_splits_as_pms_says() {
    assert_eq!(split_pf("glibc-2.32-r5"), ("glibc", "2.32", "r5"));
    assert_eq!(split_pf("readline-8.0_p4"), ("readline", "8.0_p4", ""));
    assert_eq!(
        split_pf("font-adobe-100dpi-1.0.3"),
        ("font-adobe-100dpi", "1.0.3", "")
    );
    assert_eq!(split_pf("gtk+-3.24.24"), ("gtk+", "3.24.24", ""));
    assert_eq!(split_pf("openssl-1.1.1i"), ("openssl", "1.1.1i", ""));
    assert_eq!(split_pf("foo-1.0_rc2_p3-r10"), ("foo", "1.0_rc2_p3", "r10"));
    assert_eq!(split_pf("noversion"), ("noversion", "", ""));
    assert_eq!(split_pf("x-r1"), ("x-r1", "", ""));
    assert_eq!(split_pf("-1"), ("-1", "", ""));
    assert_eq!(split_pf(""), ("", "", ""));
}
