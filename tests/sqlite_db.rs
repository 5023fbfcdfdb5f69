//! The rpm SQLite database: transactions still only in the write-ahead log
//! must be seen, and the target must be left exactly as found (no `-shm`,
//! `-wal` or journal created, nothing checkpointed, no mtime touched).
//! Also the "could not audit" cases (exit 2, one line on stderr).

use std::path::Path;
use std::process::Command;

use crate::util::*;

/// Copies the rows of every package in SRC (opened immutable) that DST
/// lacks into DST, in one committed WAL transaction, then dies without
/// closing: the commit stays in `DST-wal` only (no checkpoint), with a
/// `DST-shm` beside it, as after a crashed or killed rpm.
const INJECT_INTO_WAL: &str = r#"
import os, sqlite3, sys
dst, src = sys.argv[1], sys.argv[2]
con = sqlite3.connect("file:" + dst, uri=True, isolation_level=None)
mode = con.execute("PRAGMA journal_mode").fetchone()[0]
assert mode == "wal", mode
con.execute("PRAGMA wal_autocheckpoint=0")
con.execute("ATTACH DATABASE ? AS src", ("file:" + src + "?immutable=1",))
con.execute("BEGIN")
new = [r[0] for r in con.execute(
    "SELECT hnum FROM src.Packages WHERE hnum NOT IN (SELECT hnum FROM main.Packages)")]
assert new, "nothing to copy"
q = ",".join("?" * len(new))
con.execute(f"INSERT INTO main.Packages SELECT * FROM src.Packages WHERE hnum IN ({q})", new)
for (t,) in con.execute(
        "SELECT name FROM src.sqlite_master WHERE type='table' "
        "AND name NOT IN ('Packages','sqlite_sequence','sqlite_stat1')").fetchall():
    con.execute(f'INSERT INTO main."{t}" SELECT * FROM src."{t}" WHERE hnum IN ({q})', new)
con.execute("COMMIT")
print(len(new), flush=True)
os._exit(0)
"#;

const DB: &str = "/var/lib/rpm/rpmdb.sqlite";

fn pkg_a() -> PkgSpec {
    PkgSpec::new("ra-wal-a").entries([
        FileEntry::file("/usr/share/wal/a1", "a1\n"),
        FileEntry::file("/usr/share/wal/a2", "a2\n"),
    ])
}

fn pkg_b() -> PkgSpec {
    PkgSpec::new("ra-wal-b")
        .version("2.0")
        .release("7")
        .entries([
            FileEntry::file("/usr/share/wal/b1", "b1\n"),
            FileEntry::file("/usr/share/wal/b2", "b2\n"),
        ])
}

/// Packages in the main database file only (what `immutable=1` sees).
fn main_file_packages(db: &Path) -> Vec<String> {
    // Work on a copy: even a read-only sqlite3 open can create or delete
    // -wal/-shm files beside the database.
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("copy.sqlite");
    std::fs::copy(db, &copy).unwrap();
    let r = run_ok(
        Command::new("sqlite3")
            .arg(format!("file:{}?immutable=1", copy.display()))
            .arg("SELECT hnum FROM Packages ORDER BY hnum"),
    );
    r.stdout_str().lines().map(str::to_string).collect()
}

/// A root with A and B installed on disk, whose database has A in the main
/// file and B only in the WAL.
fn root_with_b_only_in_wal() -> (TestRoot, BuiltPkg, BuiltPkg) {
    let a = pkg_a().build();
    let b = pkg_b().build();
    let root = TestRoot::new();
    root.install(&[&a]);
    // rpm leaves a 0-byte -wal: A is checkpointed into the main file.
    let saved = tempfile::tempdir().unwrap();
    let saved_db = saved.path().join("rpm");
    copy_dir(&root.db_dir(), &saved_db);
    root.install(&[&b]);
    // Keep the A+B database as the donor, put the A-only database back.
    let donor = tempfile::tempdir().unwrap();
    let donor_db = donor.path().join("rpmdb.sqlite");
    std::fs::copy(root.join(DB), &donor_db).unwrap();
    std::fs::remove_dir_all(root.db_dir()).unwrap();
    copy_dir(&saved_db, &root.db_dir());

    let r = run_ok(
        Command::new("python3")
            .arg("-c")
            .arg(INJECT_INTO_WAL)
            .arg(root.join(DB))
            .arg(&donor_db),
    );
    assert_eq!(r.stdout_str().trim(), "1", "one package injected");
    let wal = root.join(&format!("{DB}-wal"));
    assert!(
        std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > 0,
        "the WAL holds the transaction"
    );
    assert_eq!(
        main_file_packages(&root.join(DB)).len(),
        1,
        "B is not in the main file"
    );
    (root, a, b)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn package_names(rpm_qa: &str) -> Vec<String> {
    let mut v: Vec<String> = rpm_qa.lines().map(str::to_string).collect();
    v.sort();
    v
}

/// A package committed only to `rpmdb.sqlite-wal` is seen, and the target
/// (database, -wal, -shm and everything else) is left byte-for-byte,
/// mtime-for-mtime as it was.
#[test]
fn wal_only_package_is_seen_and_target_untouched() {
    require_tools!();
    let (root, a, b) = root_with_b_only_in_wal();
    root.write_keep_mtime("/usr/share/wal/b2", "B2\n");
    root.remove("/usr/share/wal/a2");

    let before = root.snapshot();
    // The private copy of database and WAL goes to TMPDIR, and is gone when
    // rootaudit exits (rootaudit 9, defect 5).
    let tmp = tempfile::tempdir().unwrap();
    let run = run_with_timeout(
        rootaudit_cmd(root.path())
            .args(["--format", "json"])
            .env("TMPDIR", tmp.path()),
        COMMAND_TIMEOUT,
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "private copy left behind: {left:?}");
    let audit = audit_from_run(run);
    let after = root.snapshot();
    assert_eq!(before, after, "the scan changed the target");

    assert_eq!(audit.json["database"]["packages"], 2, "{}", audit.raw);
    assert_eq!(
        audit.map,
        verify_map(&[
            ("/usr/share/wal/a2", "missing"),
            ("/usr/share/wal/b2", "..5......"),
        ]),
        "{}",
        audit.raw
    );
    let b2 = audit.findings_for("/usr/share/wal/b2");
    assert_eq!(b2[0]["package"]["nevra"], b.nevra.as_str());
    let a2 = audit.findings_for("/usr/share/wal/a2");
    assert_eq!(a2[0]["package"]["nevra"], a.nevra.as_str());

    // The oracle agrees (rpm recovers the WAL too; it rewrites -shm, so it
    // runs after the snapshot comparison).
    let qa = run_ok(root.rpm().arg("-qa"));
    assert_eq!(
        package_names(&qa.stdout_str()),
        vec![a.nevra.clone(), b.nevra.clone()]
    );
    let rpm = rpm_va(&root);
    assert_parity(&rpm, &audit);
}

/// A WAL without its `-shm` (e.g. copied off a crashed system): still read,
/// and no `-shm` appears.
#[test]
fn wal_without_shm_is_read_without_creating_shm() {
    require_tools!();
    let (root, _a, b) = root_with_b_only_in_wal();
    std::fs::remove_file(root.join(&format!("{DB}-shm"))).unwrap();
    root.write_keep_mtime("/usr/share/wal/b1", "B1\n");

    let before = root.snapshot();
    let audit = rootaudit_json(&root, &[]);
    let after = root.snapshot();
    assert_eq!(before, after, "the scan changed the target");
    assert!(!root.join(&format!("{DB}-shm")).exists(), "-shm created");
    assert_eq!(audit.json["database"]["packages"], 2, "{}", audit.raw);
    let b1 = audit.findings_for("/usr/share/wal/b1");
    assert_eq!(b1.len(), 1, "{}", audit.raw);
    assert_eq!(b1[0]["package"]["nevra"], b.nevra.as_str());
}

/// No WAL at all (`-wal`/`-shm` removed after a clean checkpoint): the
/// database is read in place without creating any file beside it.
#[test]
fn no_wal_creates_no_files() {
    require_tools!();
    let a = pkg_a().build();
    let b = pkg_b().build();
    let root = TestRoot::new();
    root.install(&[&a, &b]);
    for suffix in ["-wal", "-shm"] {
        let p = root.join(&format!("{DB}{suffix}"));
        if p.exists() {
            assert!(
                suffix != "-wal" || std::fs::metadata(&p).unwrap().len() == 0,
                "rpm left a non-empty WAL"
            );
            std::fs::remove_file(p).unwrap();
        }
    }
    root.write("/usr/share/wal/a1", "changed\n");

    let before = root.snapshot();
    let audit = rootaudit_json(&root, &[]);
    let after = root.snapshot();
    assert_eq!(before, after, "the scan changed the target");
    let names: Vec<_> = std::fs::read_dir(root.db_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| n == "rpmdb.sqlite" || n == ".rpm.lock"),
        "files beside the database: {names:?}"
    );
    assert_eq!(audit.json["database"]["packages"], 2);
    assert_eq!(
        audit.map,
        verify_map(&[("/usr/share/wal/a1", "S.5....T.")]),
        "{}",
        audit.raw
    );
}

/// The database directory read-only to everyone: still audited.
#[test]
fn read_only_database_directory() {
    require_tools!();
    let a = pkg_a().build();
    let root = TestRoot::new();
    root.install(&[&a]);
    // as root, only the immutable flag or a read-only mount truly stops
    // writes; a 0555 directory at least catches code that expects 0755.
    root.chmod(DBPATH, 0o555);
    let before = root.snapshot();
    // `--checks files`: the unsigned test package's header finding would
    // make the exit status 1.
    let audit = rootaudit_json(&root, &["--checks", "files"]);
    assert_eq!(before, root.snapshot());
    assert_eq!(audit.status, Some(0), "{}", audit.raw);
    root.chmod(DBPATH, 0o755);
}

/// Auto-detection also finds `/usr/lib/sysimage/rpm` (Fedora ≥ 36 layout),
/// and `--dbpath` reaches a database anywhere else in the target.
#[test]
fn database_location_detection_and_dbpath() {
    require_tools!();
    let a = pkg_a().build();
    let root = TestRoot::new();
    root.install(&[&a]);
    root.write("/usr/share/wal/a1", "changed\n");
    let want = verify_map(&[("/usr/share/wal/a1", "S.5....T.")]);

    root.mkdir("/usr/lib/sysimage");
    std::fs::rename(root.db_dir(), root.join("/usr/lib/sysimage/rpm")).unwrap();
    let audit = rootaudit_json(&root, &[]);
    assert_eq!(
        audit.json["database"]["path"],
        "/usr/lib/sysimage/rpm/rpmdb.sqlite"
    );
    assert_eq!(audit.map, want);

    root.mkdir("/srv");
    std::fs::rename(root.join("/usr/lib/sysimage/rpm"), root.join("/srv/rpmdb")).unwrap();
    assert_cannot_audit(root.path(), "database in a place not auto-detected");
    for dbpath in ["/srv/rpmdb", "/srv/rpmdb/rpmdb.sqlite"] {
        let audit = rootaudit_json(&root, &["--dbpath", dbpath]);
        assert_eq!(
            audit.json["database"]["path"], "/srv/rpmdb/rpmdb.sqlite",
            "{dbpath}"
        );
        assert_eq!(audit.map, want, "{dbpath}");
    }
}

// ---------------------------------------------------------------------------
// Could not audit: exit 2, one line on stderr
// ---------------------------------------------------------------------------

fn assert_cannot_audit(root: &Path, what: &str) {
    for format in ["json", "text"] {
        let r = run_with_timeout(
            rootaudit_cmd(root).args(["--format", format]),
            COMMAND_TIMEOUT,
        );
        assert_eq!(
            r.status,
            Some(2),
            "{what} ({format}): want exit 2\nstdout: {}\nstderr: {}",
            r.stdout_str(),
            r.stderr
        );
        let lines: Vec<&str> = r.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "{what} ({format}): want exactly one stderr line, got {:?}",
            r.stderr
        );
        assert!(!lines[0].trim().is_empty(), "{what}: empty error line");
        assert!(
            !r.stdout_str().contains("\"findings\""),
            "{what}: a report was printed: {}",
            r.stdout_str()
        );
    }
}

#[test]
fn missing_root_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    assert_cannot_audit(&dir.path().join("does-not-exist"), "missing root");
}

#[test]
fn root_that_is_a_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("file");
    std::fs::write(&f, "x").unwrap();
    assert_cannot_audit(&f, "root is a regular file");
}

#[test]
fn root_without_database_exits_2() {
    let root = TestRoot::bare();
    assert_cannot_audit(root.path(), "no package database");
}

#[test]
fn garbage_database_exits_2() {
    let root = TestRoot::bare();
    root.mkdir(DBPATH);
    root.write(
        DB,
        b"this is not an SQLite database, just text\n".repeat(200),
    );
    let before = root.snapshot();
    assert_cannot_audit(root.path(), "garbage database");
    assert_eq!(
        before,
        root.snapshot(),
        "the failed scan changed the target"
    );
}

#[test]
fn empty_database_file_exits_2() {
    let root = TestRoot::bare();
    root.mkdir(DBPATH);
    root.write(DB, b"");
    let before = root.snapshot();
    assert_cannot_audit(root.path(), "empty database file");
    assert_eq!(
        before,
        root.snapshot(),
        "the failed scan changed the target"
    );
}

#[test]
fn sqlite_without_packages_table_exits_2() {
    require_tools!();
    let root = TestRoot::bare();
    root.mkdir(DBPATH);
    let tmp = tempfile::tempdir().unwrap();
    let made = tmp.path().join("x.sqlite");
    run_ok(
        Command::new("sqlite3")
            .arg(&made)
            .arg("CREATE TABLE Other (k TEXT); INSERT INTO Other VALUES ('x');"),
    );
    std::fs::copy(&made, root.join(DB)).unwrap();
    assert_cannot_audit(root.path(), "sqlite file without a Packages table");
}

#[test]
fn bad_arguments_exit_2() {
    let root = TestRoot::bare();
    for args in [
        vec!["--format", "xml"],
        vec!["--fail-on", "apocalyptic"],
        vec!["--jobs", "many"],
        vec!["--no-such-flag"],
    ] {
        let r = run_with_timeout(rootaudit_cmd(root.path()).args(&args), COMMAND_TIMEOUT);
        assert_eq!(r.status, Some(2), "{args:?}: {}", r.stderr);
        assert!(!r.stderr.trim().is_empty(), "{args:?}: no message");
    }
}

/// SQLite never opens a path in the target: the database is copied from
/// the descriptor rootaudit examined inside ROOT, so what happens to the
/// target's file afterwards (a swap, a symlink to a host database) cannot
/// change what is read (rootaudit 9, defect 3).
#[test]
fn sqlite_reads_the_examined_file_not_a_path() {
    require_tools!();
    let root = TestRoot::new();
    root.install(&[&pkg_a().build()]);
    let confined = rootaudit::rootfs::Root::open(root.path()).unwrap();
    let source = rootaudit::pkgdb::open(&confined, None, None).unwrap();
    // Swap the target's database for a symlink to the host's (absent or
    // not, it must not be what the passes read).
    let db = root.join(DB);
    std::fs::remove_file(&db).unwrap();
    std::os::unix::fs::symlink("/var/lib/rpm/rpmdb.sqlite", &db).unwrap();
    for _ in 0..2 {
        let mut names = Vec::new();
        source
            .read(&confined, &mut |batch| {
                names.extend(batch.iter().map(|p| p.nevra()));
            })
            .unwrap();
        assert_eq!(names, [pkg_a().nevra()]);
    }
}
