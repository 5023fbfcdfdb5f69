//! Unit tests of the apk reader on `installed` files written per
//! apk-tools' format, with symlinks on disk.

use std::path::Path;

use base64::Engine as _;
use sha1::Digest as _;

use super::*;
use crate::model::evidence::DatabaseProblem;
use crate::model::{Evidence, Problem};

const DB: &str = "lib/apk/db/installed";

fn q1(data: &[u8]) -> String {
    let d = sha1::Sha1::digest(data);
    format!("Q1{}", base64::engine::general_purpose::STANDARD.encode(d))
}

fn write(root: &Path, rel: &str, data: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

fn sample() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    write(p, "etc/passwd", b"root:x:0:0::/root:/bin/sh\n");
    write(p, "etc/group", b"root:x:0:\nshadow:x:42:\n");
    std::fs::create_dir_all(p.join("lib")).unwrap();
    std::os::unix::fs::symlink("ld-musl.so.1", p.join("lib/libc.so")).unwrap();
    std::os::unix::fs::symlink("elsewhere", p.join("lib/changed.so")).unwrap();
    write(
        p,
        "etc/apk/protected_paths.d/x.list",
        b"-etc/motd\n+usr/share/conf\n",
    );
    let db = format!(
        "C:Q1qKcZ+j23xssAXmgQhkOO8dHnbWw=\nP:musl\nV:1.2.5-r0\nA:x86_64\nT:the C library\n\
F:lib\nR:libc.so\na:0:0:777\nZ:{}\nR:changed.so\na:0:0:777\nZ:{}\nR:ld-musl.so.1\na:0:0:755\nZ:{}\n\
F:etc\nR:shadow\na:0:42:640\nZ:{}\nR:motd\nZ:{}\nF:usr/share/conf\nM:0:0:700\nR:a b\\x\nZ:{}\n\n\
P:second\nV:2\nR:top\n\nV:orphan\n\n",
        q1(b"ld-musl.so.1"),
        q1(b"original"),
        q1(b"elf"),
        q1(b"shadow"),
        q1(b"motd"),
        q1(b"x"),
    );
    write(p, DB, db.as_bytes());
    t
}

fn load(t: &tempfile::TempDir) -> Database {
    let root = Root::open(t.path()).unwrap();
    read(&root, Path::new(DB)).unwrap()
}

fn rec<'a>(db: &'a Database, path: &str) -> &'a FileRecord {
    db.packages
        .iter()
        .flat_map(|p| &p.files)
        .find(|f| f.path == Path::new(path))
        .unwrap_or_else(|| panic!("no record of {path}"))
}

#[test]
fn records_of_the_installed_file() {
    let t = sample();
    let db = load(&t);
    assert_eq!(db.format, DbFormat::APK);
    assert_eq!(db.packages.len(), 2);
    let p = &db.packages[0];
    assert_eq!(
        (p.name.as_str(), p.version.as_str(), p.release.as_str()),
        ("musl", "1.2.5", "r0")
    );
    assert_eq!(p.arch.as_deref(), Some("x86_64"));
    assert_eq!(p.files.len(), 9);
    // A stanza without `P:` is malformed.
    assert_eq!(db.malformed.len(), 1);
    assert_eq!(db.malformed[0].record, 2);
    assert!(db.notes.is_empty(), "{:?}", db.notes);

    let lib = rec(&db, "/lib");
    assert_eq!(
        (lib.mode, lib.verify),
        (S_IFDIR | 0o755, ATTRIBUTES - VerifyAttrs::DIGEST)
    );

    // A 0777 entry that is a symlink whose target hashes to `Z:`.
    let l = rec(&db, "/lib/libc.so");
    assert_eq!(
        (l.mode, l.link_to.as_slice()),
        (S_IFLNK | 0o777, &b"ld-musl.so.1"[..])
    );
    assert_eq!(
        l.verify,
        VerifyAttrs::LINKTO | VerifyAttrs::USER | VerifyAttrs::GROUP
    );
    // One whose target does not: the expected target is unknown.
    let c = rec(&db, "/lib/changed.so");
    assert_eq!((c.mode, c.link_to.len()), (S_IFLNK | 0o777, 0));

    let so = rec(&db, "/lib/ld-musl.so.1");
    assert_eq!(
        (so.mode, so.digest_algo, so.digest.len()),
        (S_IFREG | 0o755, DigestAlgo::Sha1, 20)
    );

    let shadow = rec(&db, "/etc/shadow");
    assert_eq!(
        (shadow.mode, shadow.group.as_str()),
        (S_IFREG | 0o640, "shadow")
    );
    assert!(shadow.flags.contains(FileFlags::CONFIG));
    // `-etc/motd` unprotects it.
    assert!(!rec(&db, "/etc/motd").flags.contains(FileFlags::CONFIG));
    let odd = rec(&db, "/usr/share/conf/a b\\x");
    assert!(odd.flags.contains(FileFlags::CONFIG));
    assert_eq!(rec(&db, "/usr/share/conf").mode, S_IFDIR | 0o700);

    // A file before any `F:` is at ROOT.
    assert_eq!(db.packages[1].files[0].path, Path::new("/top"));
}

#[test]
fn detected() {
    let t = sample();
    let root = Root::open(t.path()).unwrap();
    let src = crate::pkgdb::open(&root, None, None).unwrap();
    assert_eq!(src.format, DbFormat::APK);
    assert_eq!(src.attributes, ATTRIBUTES);
}

#[test]
fn garbled_lines_are_one_note() {
    let t = tempfile::tempdir().unwrap();
    let mut db = b"P:x\nV:1-r0\nF:d\nM:zz\nR:f\nZ:Q1!!!\nnonsense\n".to_vec();
    db.extend(std::iter::repeat_n(b'x', installed::MAX_LINE + 10));
    db.extend_from_slice(b"\n\n");
    write(t.path(), DB, &db);
    let db = load(&t);
    assert_eq!(db.packages.len(), 1);
    assert_eq!(db.notes.len(), 1);
    match &db.notes[0].evidence {
        Evidence::Incomplete(i) => match &i.problem {
            Problem::Database(DatabaseProblem::BadLines { count, lines }) => {
                assert_eq!((*count, lines.as_slice()), (4, &[4, 6, 7, 8][..]));
            }
            p => panic!("{p:?}"),
        },
        e => panic!("{e:?}"),
    }
    // The file whose digest is garbled is still checked for existence.
    let f = rec(&db, "/d/f");
    assert!(!f.verify.contains(VerifyAttrs::DIGEST));
}

#[test]
fn not_a_regular_file() {
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(t.path().join(DB)).unwrap();
    let root = Root::open(t.path()).unwrap();
    let err = open(&root, Path::new(DB)).unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");
}
