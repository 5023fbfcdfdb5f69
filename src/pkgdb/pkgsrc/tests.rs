//! Tests of the pkgsrc reader on hand-built databases.

use std::path::Path;

use super::*;
use crate::model::evidence::DatabaseProblem;
use crate::model::{Evidence, Problem};

const MD5_EMPTY: &str = "d41d8cd98f00b204e9800998ecf8427e";

fn write(root: &Path, rel: &str, data: impl AsRef<[u8]>) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

fn pkgdb(root: &Path, dir: &str) {
    write(
        root,
        &format!("{dir}/openssh-5.8.2nb5/+CONTENTS"),
        format!(
            "@cwd /usr/pkg\n@name openssh-5.8.2nb5\n@pkgdep openssl>=0.9.8knb1\n\
             bin/ssh\n@comment MD5:{MD5_EMPTY}\nbin/slogin\n@comment Symlink:./ssh\n\
             @bogus line\n@cwd .\n@ignore\n+BUILD_INFO\n"
        ),
    );
    write(root, &format!("{dir}/openssh-5.8.2nb5/+COMMENT"), "ssh\n");
    // No @name: the directory names it.
    write(
        root,
        &format!("{dir}/old-1.0/+CONTENTS"),
        "@cwd /usr/pkg\nshare/doc/old\n@pkgdir var/old\n",
    );
    write(root, &format!("{dir}/pkgdb.byfile.db"), b"\0\0");
    // A directory that is not a package.
    std::fs::create_dir_all(root.join(dir).join("stray")).unwrap();
}

#[test]
fn reads_a_pkgdb() {
    let t = tempfile::tempdir().unwrap();
    pkgdb(t.path(), "usr/pkg/pkgdb");
    let root = Root::open(t.path()).unwrap();
    let db = read(&root, Path::new("usr/pkg/pkgdb")).unwrap();
    assert_eq!(db.format, DbFormat::PKGSRC);
    assert_eq!(db.attributes, ATTRIBUTES);
    let names: Vec<String> = db.packages.iter().map(Package::nevra).collect();
    assert_eq!(names, vec!["old-1.0", "openssh-5.8.2nb5"]);
    let ssh = &db.packages[1];
    assert_eq!(
        (ssh.name.as_str(), ssh.version.as_str()),
        ("openssh", "5.8.2nb5")
    );
    assert_eq!(ssh.files.len(), 2);
    assert_eq!(ssh.files[0].path, Path::new("/usr/pkg/bin/ssh"));
    assert_eq!(ssh.files[0].verify, VerifyAttrs::DIGEST);
    assert_eq!(hex::encode(&ssh.files[0].digest), MD5_EMPTY);
    assert_eq!(ssh.files[1].link_to, b"./ssh");
    assert_eq!(ssh.files[1].verify, VerifyAttrs::LINKTO | VerifyAttrs::MODE);
    assert!(!ssh.lacks_digests);
    let old = &db.packages[0];
    assert!(old.lacks_digests);
    assert_eq!(old.files[1].flags, FileFlags::MISSINGOK);
    assert_eq!(db.notes.len(), 1);
    let Evidence::Incomplete(i) = &db.notes[0].evidence else {
        panic!()
    };
    assert!(matches!(
        &i.problem,
        Problem::Database(DatabaseProblem::BadLines { lines, .. }) if lines == &[8]
    ));
}

#[test]
fn located_by_default_and_by_settings() {
    for dir in DEFAULT_DIRS {
        let t = tempfile::tempdir().unwrap();
        pkgdb(t.path(), dir);
        let root = Root::open(t.path()).unwrap();
        let src = crate::pkgdb::open(&root, None, None).unwrap();
        assert_eq!(src.format, DbFormat::PKGSRC, "{dir}");
        assert_eq!(src.path, Path::new("/").join(dir));
    }
    // PKG_DBDIR set in pkg_install.conf wins over a default directory.
    let t = tempfile::tempdir().unwrap();
    pkgdb(t.path(), "srv/pkgdb");
    write(t.path(), "usr/pkg/pkgdb/pkgdb.byfile.db", "");
    write(
        t.path(),
        "usr/pkg/etc/pkg_install.conf",
        "# x\nPKG_DBDIR=/srv/pkgdb\n",
    );
    let root = Root::open(t.path()).unwrap();
    let src = crate::pkgdb::open(&root, None, None).unwrap();
    assert_eq!(src.path, Path::new("/srv/pkgdb"));
    assert!(src.also_found.is_empty(), "{:?}", src.also_found);
    // An mk.conf without PKG_DBDIR leaves the defaults.
    let t = tempfile::tempdir().unwrap();
    pkgdb(t.path(), "var/db/pkg");
    write(t.path(), "etc/mk.conf", "WRKOBJDIR=/tmp\n");
    let root = Root::open(t.path()).unwrap();
    let src = crate::pkgdb::open(&root, None, None).unwrap();
    assert_eq!(src.path, Path::new("/var/db/pkg"));
    // Only an mk.conf: no database.
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "etc/mk.conf", "WRKOBJDIR=/tmp\n");
    let root = Root::open(t.path()).unwrap();
    assert!(crate::pkgdb::open(&root, None, None).is_err());
}

#[test]
fn settings_lines() {
    assert_eq!(
        pkg_dbdir(b"PKG_DBDIR=/var/db/pkg\n"),
        Some(PathBuf::from("var/db/pkg"))
    );
    assert_eq!(
        pkg_dbdir(b"PKG_DBDIR?=\t/usr/pkg/pkgdb # c\nPKG_DBDIR:= /a//b/\n"),
        Some(PathBuf::from("a/b"))
    );
    assert_eq!(pkg_dbdir(b"PKG_DBDIR=${LOCALBASE}/pkgdb\n"), None);
    assert_eq!(pkg_dbdir(b"PKG_DBDIRX=/x\nPKG_DBDIR=relative\n"), None);
    assert_eq!(pkg_dbdir(b"PKG_DBDIR=/\n"), Some(PathBuf::new()));
    assert_eq!(pkg_dbdir(b""), None);
}

#[test]
fn not_a_pkgdb() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "vdb/sys-libs/glibc-2.32-r5/CONTENTS", "");
    std::fs::create_dir_all(t.path().join("empty")).unwrap();
    let root = Root::open(t.path()).unwrap();
    for rel in ["vdb", "empty"] {
        assert!(matches!(
            open(&root, Path::new(rel)),
            Err(Error::Database {
                reason: DatabaseError::UnknownFormat,
                ..
            })
        ));
    }
}
