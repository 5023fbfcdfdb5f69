//! The rpm BerkeleyDB (`Packages`) and NDB (`Packages.db`) readers, on real
//! databases from `../shared/realdata` and on BerkeleyDB files written by
//! this machine's own libdb (`db5.3_load`, from the rows of the Amazon
//! Linux 2023 sqlite rpmdb): little and big endian, 512-byte pages (so most
//! headers live in overflow chains), page checksums. The oracle for what a
//! `Packages` file holds is rpm's own `bdb_ro` backend.
//!
//! Tests needing realdata skip with a message when it is absent; tests
//! needing `db5.3_load` or `rpm` skip without them, but fail in CI.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use rootaudit::pkgdb::rpm::bdb;
use rootaudit::pkgdb::rpm::storage::{Extracted, into_database};
use rootaudit::pkgdb::{Database, DbFormat};

use crate::util::*;

const SLES12_BDB: &str = "rpmdb/fossa/sles12sp4/Packages";
const SLE15_NDB: &str = "rpmdb/sle15-bci/Packages.db";
const AL2023_SQLITE: &str = "rpmdb/amazonlinux2023-plain/rpmdb.sqlite";

/// True when `tools` are installed; otherwise skip (developer) or fail (CI).
fn have(tools: &[&str]) -> bool {
    let missing = missing_tools(tools);
    if missing.is_empty() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{} missing in CI; run scripts/test-deps first",
            missing.join(", ")
        );
    }
    eprintln!(
        "SKIPPING: missing {} (scripts/test-deps installs it)",
        missing.join(", ")
    );
    false
}

/// A root holding only `db` at `rel`.
fn root_with(db: &Path, rel: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let dest = root.path().join(rel);
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::copy(db, &dest).unwrap();
    root
}

/// `rpm -qa` through rpm's read-only BerkeleyDB backend, on a copy of
/// `packages` (rpm may create index files beside it), in rpm's order.
fn rpm_bdb_ro_qa(packages: &Path) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(packages, dir.path().join("Packages")).unwrap();
    let r = run_ok(
        Command::new("rpm")
            .arg("--dbpath")
            .arg(dir.path())
            .args(["--define", "_db_backend bdb_ro", "-qa", "--qf"])
            .arg("%{NAME}-%|EPOCH?{%{EPOCH}:}|%{VERSION}-%{RELEASE}%|ARCH?{.%{ARCH}}|\\n"),
    );
    r.stdout_str().lines().map(str::to_string).collect()
}

fn nevras(db: &Database) -> Vec<String> {
    db.packages.iter().map(|p| p.nevra()).collect()
}

fn bdb_database(image: &[u8]) -> Database {
    into_database(
        DbFormat::RPM_BDB,
        PathBuf::from("/var/lib/rpm/Packages"),
        bdb::extract(image).expect("readable"),
    )
}

#[test]
fn sles12_bdb_scan_reads_106_packages() {
    let Some(db) = realdata(SLES12_BDB) else {
        return;
    };
    let root = root_with(&db, "var/lib/rpm/Packages");
    let audit = rootaudit_json_at(root.path(), &["--db", "rpm-bdb", "--checks", "files"]);
    let d = &audit.json["database"];
    assert_eq!(d["format"], "rpm-bdb", "{}", audit.raw);
    assert_eq!(d["path"], "/var/lib/rpm/Packages");
    assert_eq!(d["packages"], 106);
    assert!(
        !audit.raw.contains("header-malformed"),
        "no record of the real database is damaged"
    );
    // Auto-detection finds it too.
    let auto = rootaudit_json_at(root.path(), &["--checks", "files"]);
    assert_eq!(auto.json["database"]["format"], "rpm-bdb");
}

#[test]
fn sle15_ndb_scan_reads_35_packages() {
    let Some(db) = realdata(SLE15_NDB) else {
        return;
    };
    let root = root_with(&db, "var/lib/rpm/Packages.db");
    let audit = rootaudit_json_at(root.path(), &["--db", "rpm-ndb", "--checks", "files"]);
    let d = &audit.json["database"];
    assert_eq!(d["format"], "rpm-ndb", "{}", audit.raw);
    assert_eq!(d["packages"], 35);
    assert!(!audit.raw.contains("header-malformed"));
}

/// The headers read from both formats go through the same trust checks as
/// sqlite ones: every SUSE package verifies with SUSE's published key.
#[test]
fn bdb_and_ndb_headers_are_trusted_with_the_suse_key() {
    let (Some(bdb), Some(ndb), Some(keys)) = (
        realdata(SLES12_BDB),
        realdata(SLE15_NDB),
        realdata("keys/suse"),
    ) else {
        return;
    };
    for (db, rel, count) in [
        (bdb, "var/lib/rpm/Packages", 106),
        (ndb, "var/lib/rpm/Packages.db", 35),
    ] {
        let root = root_with(&db, rel);
        let audit = rootaudit_json_at(
            root.path(),
            &["--checks", "headers", "--keys", keys.to_str().unwrap()],
        );
        let packages = audit.json["packages"].as_array().expect("packages");
        assert_eq!(packages.len(), count, "{rel}");
        assert!(
            packages
                .iter()
                .all(|p| p["verdict"] == "trusted" && p["signer"] == "70af9e8139db7c82"),
            "{rel}: {}",
            audit.raw
        );
    }
}

#[test]
fn sles12_bdb_matches_rpm_bdb_ro() {
    let Some(path) = realdata(SLES12_BDB) else {
        return;
    };
    if !have(&["rpm"]) {
        return;
    }
    let db = bdb_database(&std::fs::read(&path).unwrap());
    assert!(db.malformed.is_empty());
    let ours = nevras(&db);
    assert_eq!(ours.len(), 108);
    assert_eq!(ours, rpm_bdb_ro_qa(&path), "same headers, in rpm's order");
}

#[test]
fn ndb_checksum_damage_is_reported_by_the_scan() {
    let Some(path) = realdata(SLE15_NDB) else {
        return;
    };
    let mut image = std::fs::read(&path).unwrap();
    // The blob of the first slot in use: flip one byte of its header data.
    let slot = &image[32..48];
    let blkoff = u32::from_le_bytes(slot[8..12].try_into().unwrap()) as usize;
    let pkgidx = u32::from_le_bytes(slot[4..8].try_into().unwrap());
    image[blkoff * 16 + 16 + 200] ^= 0x01;
    let root = tempfile::tempdir().unwrap();
    let dest = root.path().join("var/lib/rpm/Packages.db");
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::write(&dest, &image).unwrap();
    let audit = rootaudit_json_at(root.path(), &["--checks", "files"]);
    assert_eq!(audit.json["database"]["packages"], 34);
    let bad: Vec<&serde_json::Value> = audit.json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "header-malformed")
        .collect();
    assert_eq!(bad.len(), 1, "{}", audit.raw);
    let msg = bad[0]["message"].as_str().unwrap();
    assert!(
        msg.contains(&format!("record {pkgidx}")) && msg.contains("checksum"),
        "{msg}"
    );
    assert_eq!(audit.status, Some(1));
}

/// The rows of the AL2023 sqlite rpmdb: header number → blob.
fn al2023_rows() -> Option<BTreeMap<u32, Vec<u8>>> {
    let path = realdata(AL2023_SQLITE)?;
    let conn = rusqlite::Connection::open_with_flags(
        format!("file:{}?immutable=1", path.display()),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI,
    )
    .unwrap();
    let mut stmt = conn.prepare("SELECT hnum, blob FROM Packages").unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, Vec<u8>>(1)?)))
        .unwrap()
        .collect::<Result<BTreeMap<_, _>, _>>()
        .unwrap();
    Some(rows)
}

/// Write `rows` into a new BerkeleyDB hash file with `db5.3_load`, keys in
/// the given byte order (as a host of that order writes them), plus rpm's
/// key-0 counter record.
fn db_load(rows: &BTreeMap<u32, Vec<u8>>, big_endian: bool, options: &[&str]) -> Vec<u8> {
    let key = |n: u32| {
        if big_endian {
            hex::encode(n.to_be_bytes())
        } else {
            hex::encode(n.to_le_bytes())
        }
    };
    let mut dump = String::from("VERSION=3\nformat=bytevalue\ntype=hash\nHEADER=END\n");
    let max = rows.keys().max().copied().unwrap_or(0);
    writeln!(dump, " {}\n {}", key(0), key(max + 1)).unwrap();
    for (n, blob) in rows {
        writeln!(dump, " {}\n {}", key(*n), hex::encode(blob)).unwrap();
    }
    dump.push_str("DATA=END\n");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("dump.txt");
    std::fs::write(&input, dump).unwrap();
    let out = dir.path().join("Packages");
    let mut cmd = Command::new("db5.3_load");
    for o in options {
        cmd.args(["-c", o]);
    }
    cmd.arg("-f").arg(&input).arg(&out);
    run_ok(&mut cmd);
    std::fs::read(&out).unwrap()
}

/// Records as a map, checking that none is damaged or repeated.
fn record_map(ex: &Extracted) -> BTreeMap<u32, Vec<u8>> {
    assert_eq!(ex.damage, vec![]);
    let mut m = BTreeMap::new();
    for r in &ex.records {
        let blob = r
            .blob
            .clone()
            .unwrap_or_else(|f| panic!("record {}: {f}", r.record));
        assert!(
            m.insert(r.record as u32, blob).is_none(),
            "record {} twice",
            r.record
        );
    }
    m
}

#[test]
fn db_load_databases_hold_exactly_the_sqlite_rows() {
    let Some(rows) = al2023_rows() else { return };
    if !have(&["db5.3_load", "rpm"]) {
        return;
    }
    assert_eq!(rows.len(), 103);
    let variants: &[(&str, bool, &[&str])] = &[
        ("default page size", false, &[]),
        ("512-byte pages", false, &["db_pagesize=512"]),
        (
            "512-byte pages, big endian",
            true,
            &["db_pagesize=512", "db_lorder=4321"],
        ),
        ("page checksums", false, &["db_pagesize=1024", "chksum=1"]),
        (
            "64 KiB pages, big endian",
            true,
            &["db_pagesize=65536", "db_lorder=4321"],
        ),
    ];
    for (what, big_endian, options) in variants {
        let image = db_load(&rows, *big_endian, options);
        let ex = bdb::extract(&image[..]).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(record_map(&ex), rows, "{what}");
        let db = bdb_database(&image);
        assert!(db.malformed.is_empty(), "{what}");
        assert_eq!(db.packages.len(), 103, "{what}");
        // rpm's bdb_ro reads the same headers in the same order (it handles
        // both byte orders, but not page checksums).
        if !options.contains(&"chksum=1") {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("Packages");
            std::fs::write(&p, &image).unwrap();
            assert_eq!(nevras(&db), rpm_bdb_ro_qa(&p), "{what}");
        }
    }
    // The 512-byte variants hold headers far larger than a page.
    assert!(rows.values().any(|b| b.len() > 100 * 512));
}

#[test]
fn db_load_database_through_the_binary() {
    let Some(rows) = al2023_rows() else { return };
    if !have(&["db5.3_load"]) {
        return;
    }
    let image = db_load(&rows, true, &["db_pagesize=512", "db_lorder=4321"]);
    let root = tempfile::tempdir().unwrap();
    let dest = root.path().join("usr/lib/sysimage/rpm/Packages");
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::write(&dest, &image).unwrap();
    let audit = rootaudit_json_at(root.path(), &["--checks", "files"]);
    assert_eq!(audit.json["database"]["format"], "rpm-bdb");
    assert_eq!(
        audit.json["database"]["path"],
        "/usr/lib/sysimage/rpm/Packages"
    );
    assert_eq!(audit.json["database"]["packages"], 102);
}

/// A small deterministic PRNG.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn damaged_db_load_images_never_crash() {
    let Some(rows) = al2023_rows() else { return };
    if !have(&["db5.3_load"]) {
        return;
    }
    // A few rows, one of them spanning ~80 overflow pages.
    let few: BTreeMap<u32, Vec<u8>> = rows
        .into_iter()
        .filter(|(_, b)| b.len() < 45_000)
        .rev()
        .take(6)
        .collect();
    assert!(few.values().any(|b| b.len() > 20 * 512));
    for (big_endian, options) in [
        (false, &["db_pagesize=512"][..]),
        (true, &["db_pagesize=512", "db_lorder=4321"][..]),
    ] {
        let image = db_load(&few, big_endian, options);
        let full = record_map(&bdb::extract(&image[..]).unwrap());
        assert_eq!(full, few);
        // Truncation at every page boundary: an error, or a result whose
        // intact records are all true ones and whose losses are reported.
        for cut in (0..=image.len()).step_by(512) {
            let Ok(ex) = bdb::extract(&image[..cut]) else {
                continue;
            };
            for r in &ex.records {
                if let Ok(b) = &r.blob {
                    assert_eq!(Some(b), few.get(&(r.record as u32)), "cut {cut}");
                }
            }
            let intact = ex.records.iter().filter(|r| r.blob.is_ok()).count();
            if intact < few.len() {
                assert!(
                    ex.records.len() > intact || !ex.damage.is_empty(),
                    "cut {cut}: records lost silently"
                );
            }
        }
        let mut rng = XorShift(0x1234_5678_9abc_def1);
        for _ in 0..500 {
            let mut m = image.clone();
            for _ in 0..1 + rng.next() % 4 {
                let at = (rng.next() % m.len() as u64) as usize;
                m[at] ^= 1 << (rng.next() % 8);
            }
            if let Ok(ex) = bdb::extract(&m[..]) {
                into_database(DbFormat::RPM_BDB, PathBuf::from("/P"), ex);
            }
        }
    }
}

#[test]
fn damaged_databases_through_the_binary_exit_cleanly() {
    let Some(bdb_path) = realdata(SLES12_BDB) else {
        return;
    };
    let Some(ndb_path) = realdata(SLE15_NDB) else {
        return;
    };
    let mut rng = XorShift(99);
    for (src, rel) in [
        (&bdb_path, "var/lib/rpm/Packages"),
        (&ndb_path, "var/lib/rpm/Packages.db"),
    ] {
        let image = std::fs::read(src).unwrap();
        for round in 0..6 {
            let mut m = image.clone();
            if round % 2 == 0 {
                let cut = (rng.next() % (m.len() as u64 / 4096)) as usize * 4096;
                m.truncate(cut);
            } else {
                for _ in 0..20 {
                    let at = (rng.next() % m.len() as u64) as usize;
                    m[at] ^= 1 << (rng.next() % 8);
                }
            }
            let root = tempfile::tempdir().unwrap();
            let dest = root.path().join(rel);
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::write(&dest, &m).unwrap();
            let r = run_with_timeout(
                rootaudit_cmd(root.path()).args(["--format", "json", "--checks", "files"]),
                COMMAND_TIMEOUT,
            );
            assert!(
                matches!(r.status, Some(0..=2)),
                "{rel} round {round}: status {:?}\n{}",
                r.status,
                r.stderr
            );
            if r.status == Some(2) {
                assert_eq!(r.stderr.lines().count(), 1, "one-line error: {}", r.stderr);
            }
        }
    }
}
