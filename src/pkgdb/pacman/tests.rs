//! Unit tests of the pacman reader on local databases written per
//! libalpm's format (`desc`, `files`, gzip'd `mtree`).

use std::io::Write;
use std::path::Path;

use super::*;
use crate::model::evidence::DatabaseProblem;
use crate::model::{Evidence, Problem};

const LOCAL: &str = "var/lib/pacman/local";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn write(root: &Path, rel: &str, data: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

const MTREE: &[u8] = b"#mtree\n\
/set type=file uid=0 gid=0 mode=644\n\
./.BUILDINFO time=1700000000.0 size=5 sha256digest=2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\n\
./.INSTALL time=1700000000.0 size=5\n\
./etc time=1700000000.0 mode=755 type=dir\n\
./etc/z.conf time=1700000000.0 size=5 md5digest=5d41402abc4b2a76b9719d911017c592 sha256digest=2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\n\
./usr time=1700000000.0 mode=755 type=dir\n\
./usr/bin time=1700000000.0 mode=755 type=dir\n\
./usr/bin/a\\040b time=1700000000.0 mode=4755 uid=1234 gid=99 size=0 md5digest=d41d8cd98f00b204e9800998ecf8427e\n\
./usr/bin/l time=1700000000.0 mode=777 type=link link=a\\040b\n";

fn zlib_root(mtree: Option<&[u8]>) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    write(
        p,
        "etc/passwd",
        b"root:x:0:0::/root:/bin/sh\naudit:x:1234:1234::/:/bin/sh\n",
    );
    write(p, "etc/group", b"root:x:0:\n");
    write(p, &format!("{LOCAL}/ALPM_DB_VERSION"), b"9\n");
    let e = format!("{LOCAL}/zlib-1:1.2.11-3");
    write(
        p,
        &format!("{e}/desc"),
        b"%NAME%\nzlib\n\n%VERSION%\n1:1.2.11-3\n\n%ARCH%\nx86_64\n\n%VALIDATION%\npgp\n",
    );
    write(
        p,
        &format!("{e}/files"),
        b"%FILES%\netc/\netc/z.conf\nusr/\nusr/bin/\nusr/bin/a b\nusr/bin/l\nusr/bin/extra\n\n\
          %BACKUP%\netc/z.conf\t5d41402abc4b2a76b9719d911017c592\n",
    );
    if let Some(m) = mtree {
        write(p, &format!("{e}/mtree"), m);
    }
    t
}

fn load(t: &tempfile::TempDir) -> Database {
    let root = Root::open(t.path()).unwrap();
    read(&root, Path::new(LOCAL)).unwrap()
}

fn rec<'a>(db: &'a Database, path: &str) -> &'a FileRecord {
    db.packages[0]
        .files
        .iter()
        .find(|f| f.path == Path::new(path))
        .unwrap_or_else(|| panic!("no record of {path}"))
}

#[test]
fn records_from_the_mtree() {
    let t = zlib_root(Some(&gzip(MTREE)));
    let db = load(&t);
    assert_eq!(db.format, DbFormat::PACMAN);
    assert_eq!(db.packages.len(), 1);
    let p = &db.packages[0];
    assert_eq!(
        (
            p.name.as_str(),
            p.epoch,
            p.version.as_str(),
            p.release.as_str()
        ),
        ("zlib", Some(1), "1.2.11", "3")
    );
    assert_eq!(p.arch.as_deref(), Some("x86_64"));
    // The archive's members are skipped; `extra` is only in %FILES%.
    let paths: Vec<_> = p.files.iter().map(|f| f.path.clone()).collect();
    assert_eq!(paths.len(), 7, "{paths:?}");
    assert!(p.lacks_digests);
    assert!(db.notes.is_empty(), "{:?}", db.notes);

    let conf = rec(&db, "/etc/z.conf");
    assert!(conf.flags.contains(FileFlags::CONFIG));
    assert_eq!(conf.digest_algo, DigestAlgo::Sha256);
    assert_eq!(
        (conf.mode, conf.size, conf.mtime),
        (S_IFREG | 0o644, 5, 1_700_000_000)
    );
    assert_eq!(conf.verify, ATTRIBUTES);

    let ab = rec(&db, "/usr/bin/a b");
    assert_eq!(ab.mode, S_IFREG | 0o4755);
    assert_eq!((ab.user.as_str(), ab.group.as_str()), ("audit", "root"));
    // gid 99 has no name in the target: not compared.
    assert!(ab.verify.contains(VerifyAttrs::USER));
    assert!(!ab.verify.contains(VerifyAttrs::GROUP));
    assert_eq!(ab.digest_algo, DigestAlgo::Md5);

    let l = rec(&db, "/usr/bin/l");
    assert_eq!(
        (l.mode, l.link_to.as_slice()),
        (S_IFLNK | 0o777, &b"a b"[..])
    );
    assert!(l.verify.contains(VerifyAttrs::LINKTO));

    let d = rec(&db, "/usr/bin");
    assert_eq!(d.mode, S_IFDIR | 0o755);
    assert!(!d.verify.contains(VerifyAttrs::MTIME));

    let extra = rec(&db, "/usr/bin/extra");
    assert_eq!((extra.mode, extra.verify), (0, VerifyAttrs::empty()));
}

#[test]
fn without_mtree_files_are_checked_for_existence() {
    let t = zlib_root(None);
    let db = load(&t);
    let p = &db.packages[0];
    assert_eq!(p.files.len(), 7);
    assert!(p.lacks_digests);
    assert!(db.notes.is_empty());
    // The backup file keeps its %BACKUP% MD5; directories their type.
    let conf = rec(&db, "/etc/z.conf");
    assert_eq!(
        (conf.digest_algo, conf.verify),
        (DigestAlgo::Md5, VerifyAttrs::DIGEST)
    );
    assert_eq!(rec(&db, "/usr/bin").mode, S_IFDIR);
}

#[test]
fn damaged_mtree_is_a_note_and_never_a_panic() {
    let gz = gzip(MTREE);
    for cut in [1, 10, gz.len() / 2, gz.len() - 4] {
        let t = zlib_root(Some(&gz[..cut]));
        let db = load(&t);
        assert_eq!(db.packages.len(), 1, "cut {cut}");
        assert_eq!(db.packages[0].files.len(), 7, "cut {cut}");
        let unreadable = db.notes.iter().any(|n| {
            matches!(
                &n.evidence,
                Evidence::Incomplete(i) if matches!(i.problem, Problem::Database(DatabaseProblem::Unreadable { .. }))
            )
        });
        assert!(unreadable, "cut {cut}: {:?}", db.notes);
    }
    // Garbled lines are counted.
    let t = zlib_root(Some(&gzip(
        b"#mtree\n./etc mode=99 type=dir\n./usr type=nope\n",
    )));
    let db = load(&t);
    assert!(
        db.notes.iter().any(|n| matches!(
            &n.evidence,
            Evidence::Incomplete(i) if matches!(&i.problem, Problem::Database(DatabaseProblem::BadLines { count: 2, .. }))
        )),
        "{:?}",
        db.notes
    );
}

#[test]
fn entries_without_a_readable_desc_are_malformed() {
    let t = zlib_root(Some(&gzip(MTREE)));
    write(t.path(), &format!("{LOCAL}/broken-1-1/files"), b"%FILES%\n");
    write(
        t.path(),
        &format!("{LOCAL}/noname-1-1/desc"),
        b"%VERSION%\n1-1\n",
    );
    std::fs::write(t.path().join(LOCAL).join("stray-file"), b"x").unwrap();
    let db = load(&t);
    assert_eq!(db.packages.len(), 1);
    assert_eq!(db.malformed.len(), 2);
    let msgs: Vec<String> = db.malformed.iter().map(|m| m.error.to_string()).collect();
    assert!(
        msgs[0].starts_with("broken-1-1: desc unreadable"),
        "{msgs:?}"
    );
    assert_eq!(msgs[1], "noname-1-1: desc has no %NAME%");
}

#[test]
fn detected_and_not_a_directory() {
    let t = zlib_root(Some(&gzip(MTREE)));
    let root = Root::open(t.path()).unwrap();
    let src = crate::pkgdb::open(&root, None, None).unwrap();
    assert_eq!(src.format, DbFormat::PACMAN);
    assert_eq!(src.path, Path::new("/var/lib/pacman/local"));
    let src = crate::pkgdb::open(&root, Some(Path::new("/var/lib/pacman")), None).unwrap();
    assert_eq!(src.format, DbFormat::PACMAN);

    let t = tempfile::tempdir().unwrap();
    write(t.path(), LOCAL, b"not a directory");
    let root = Root::open(t.path()).unwrap();
    let err = open(&root, Path::new(LOCAL)).unwrap_err();
    assert!(err.to_string().contains("unknown database format"), "{err}");
}

#[test]
fn archive_members_and_paths() {
    assert!(is_archive_member(b"/.PKGINFO"));
    assert!(!is_archive_member(b"/etc/.keep"));
    assert_eq!(
        crate::pkgdb::normalize_path(&[b"usr/./bin//x/"]),
        b"/usr/bin/x"
    );
    assert_eq!(crate::pkgdb::normalize_path(&[b""]), b"/");
}
