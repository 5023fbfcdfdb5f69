//! Unit tests of the history as a whole: recording (synthetic findings and
//! a real scan of a small dpkg root), `--new-only`'s ids, prune, readers
//! beside a writer, damaged files, and the version-1 fixture
//! (`tests/fixtures/history/state-v1.sqlite`, made by
//! [`make_v1_fixture`]).

use std::path::{Path, PathBuf};

use super::*;
use crate::model::{
    About, Bytes, Decision, Evidence, Finding, FindingKind, OsError, PackageRef, Severity, Verdict,
};
use crate::pkgdb::DbFormat;
use crate::scan::{CheckSet, DatabaseInfo, ReportSink, ScanEnd, ScanInfo, Summary, TrustInfo};

fn pkg(name: &str) -> PackageRef {
    PackageRef {
        record: 1,
        name: name.into(),
        epoch: None,
        version: "1.0".into(),
        release: "1".into(),
        arch: Some("noarch".into()),
    }
}

fn missing(path: &[u8], package: &str) -> Finding {
    Finding::new(
        FindingKind::FileMissing,
        Severity::Medium,
        About::package(pkg(package)).at(path),
        Evidence::Missing {
            flags: Default::default(),
        },
    )
}

fn no_digests(package: &str, count: u64) -> Finding {
    Finding::new(
        FindingKind::PackageNoDigests,
        Severity::Low,
        About::package(pkg(package)),
        Evidence::NoDigests { count },
    )
}

fn unreadable(path: &str, package: &str) -> Finding {
    Finding::new(
        FindingKind::FileUnreadable,
        Severity::High,
        About::package(pkg(package)).at(path),
        Evidence::Unexaminable {
            flags: Default::default(),
            error: OsError {
                errno: Some(13),
                text: "Permission denied (os error 13)".into(),
            },
        },
    )
}

fn accepted(mut f: Finding) -> Finding {
    f.decision = Some(Decision {
        verdict: Verdict::Accepted,
        reason: "known local change".into(),
        at: 1_700_000_000,
        expires: None,
    });
    f
}

fn info(root: &str) -> ScanInfo {
    ScanInfo {
        scan_id: None,
        host: None,
        started: 0,
        root: Bytes::from(root),
        checks: CheckSet::all(),
        database: DatabaseInfo {
            format: DbFormat::DPKG,
            path: Bytes::from("/var/lib/dpkg/status"),
            packages: 3,
            wal: false,
            checks: vec![],
            also_found: vec![],
        },
        trust: TrustInfo::default(),
        sandbox: None,
        waivers: None,
    }
}

fn end(findings: u64, complete: bool) -> ScanEnd {
    ScanEnd {
        summary: Summary {
            packages: 3,
            files_checked: 10,
            bytes_hashed: 1234,
            findings,
            elapsed_ms: 5,
        },
        complete,
        worst: Some(Severity::High),
        ..ScanEnd::default()
    }
}

struct State {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn state() -> State {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite");
    State { _dir: dir, path }
}

/// Record one scan of `root` with `findings` (on a thread, as the scan
/// runs), ending as `outcome`. Returns its number.
fn record(path: &Path, id: &str, root: &str, findings: Vec<Finding>, outcome: Outcome) -> i64 {
    let lock = StateLock::acquire(path, false).unwrap();
    let history = History::open(path).unwrap();
    let start = ScanStart::now(id, "host1", root, r#"{"checks":null}"#);
    let mut rec = Recorder::start(history, lock, &start).unwrap();
    let mut sink = rec.sink();
    let root = root.to_string();
    let complete = outcome == Outcome::Complete;
    let scan = std::thread::spawn(move || {
        sink.begin(&info(&root)).unwrap();
        let n = findings.len() as u64;
        for f in &findings {
            sink.finding(f).unwrap();
        }
        sink.finish(&end(n, complete)).unwrap();
    });
    rec.record().unwrap();
    scan.join().unwrap();
    let number = rec.number();
    let error = (outcome == Outcome::Failed).then_some("package database: broken");
    rec.finish(outcome, error).unwrap();
    number
}

#[test]
fn a_recorded_scan_reads_back_exactly() {
    let s = state();
    let odd = b"/usr/bin/\x1b]0;x\x07\xff";
    let findings = vec![
        missing(odd, "a"),
        accepted(unreadable("/etc/b.conf", "b")),
        no_digests("c", 3),
    ];
    let json: Vec<String> = findings
        .iter()
        .map(|f| serde_json::to_string(f).unwrap())
        .collect();
    let n = record(
        &s.path,
        "00000000000000a1",
        "/",
        findings,
        Outcome::Complete,
    );
    assert_eq!(n, 1);

    let h = History::open_reader(&s.path).unwrap();
    assert_eq!(h.schema_version().unwrap(), schema::VERSION);
    let scans = h.scans().unwrap();
    assert_eq!(scans.len(), 1);
    let r = &scans[0];
    assert_eq!(r.number, 1);
    assert_eq!(r.scan_id, "00000000000000a1");
    assert_eq!(r.outcome, Outcome::Complete);
    assert_eq!(r.host, "host1");
    assert_eq!(r.root, Bytes::from("/"));
    assert_eq!(r.tool_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(r.options, r#"{"checks":null}"#);
    assert_eq!(r.db_format.as_deref(), Some("dpkg"));
    assert_eq!(r.db_path, Some(Bytes::from("/var/lib/dpkg/status")));
    assert_eq!(
        r.summary,
        Some(StoredSummary {
            packages: 3,
            files_checked: 10,
            bytes_hashed: 1234,
            findings: 3
        })
    );
    assert_eq!(
        r.severities,
        Some(SeverityCounts {
            critical: 0,
            high: 1,
            medium: 1,
            low: 1,
            info: 0
        })
    );
    assert_eq!(r.worst, Some(Severity::High));
    assert_eq!(r.complete, Some(true));
    assert_eq!(r.accepted, 1);
    assert!(r.ended.is_some_and(|e| e >= r.started));
    assert_eq!(r.error, None);

    let stored = h.findings(1).unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[0].path.as_ref().unwrap().as_bytes(), odd);
    assert_eq!(stored[0].kind, FindingKind::FileMissing);
    assert_eq!(stored[0].package.as_deref(), Some("a"));
    assert_eq!(stored[1].decision, Some(Verdict::Accepted));
    assert_eq!(stored[1].severity, Severity::High);
    assert_eq!(stored[2].path, None);
    for (s, j) in stored.iter().zip(&json) {
        assert_eq!(
            &s.json, j,
            "stored JSON is the finding's JSON, byte for byte"
        );
    }
}

#[test]
fn outcomes_interrupted_and_failed_are_kept_with_the_error() {
    let s = state();
    record(
        &s.path,
        "0000000000000001",
        "/",
        vec![],
        Outcome::Interrupted,
    );
    record(&s.path, "0000000000000002", "/", vec![], Outcome::Failed);
    let h = History::open_reader(&s.path).unwrap();
    let scans = h.scans().unwrap();
    assert_eq!(scans[0].outcome, Outcome::Interrupted);
    assert_eq!(scans[0].complete, Some(false));
    assert_eq!(scans[1].outcome, Outcome::Failed);
    assert_eq!(scans[1].error.as_deref(), Some("package database: broken"));
}

#[test]
fn known_findings_come_from_the_previous_complete_scan_of_the_same_root() {
    let s = state();
    let a = missing(b"/a", "a");
    let b = missing(b"/b", "b");
    let c = missing(b"/c", "c");
    record(
        &s.path,
        "0000000000000001",
        "/",
        vec![a.clone()],
        Outcome::Complete,
    );
    record(
        &s.path,
        "0000000000000002",
        "/mnt",
        vec![c.clone()],
        Outcome::Complete,
    );
    record(
        &s.path,
        "0000000000000003",
        "/",
        vec![b.clone()],
        Outcome::Interrupted,
    );
    record(&s.path, "0000000000000004", "/", vec![c], Outcome::Failed);

    let lock = StateLock::acquire(&s.path, false).unwrap();
    let h = History::open(&s.path).unwrap();
    let rec =
        Recorder::start(h, lock, &ScanStart::now("0000000000000005", "h", "/", "{}")).unwrap();
    let known = rec.known_findings().unwrap().unwrap();
    assert_eq!(known.len(), 1);
    assert_eq!(
        known[&a.id.to_string()],
        serde_json::to_value(&a).unwrap(),
        "the finding as stored, to compare with"
    );
    rec.finish(Outcome::Complete, None).unwrap();

    let lock = StateLock::acquire(&s.path, false).unwrap();
    let h = History::open(&s.path).unwrap();
    let rec = Recorder::start(
        h,
        lock,
        &ScanStart::now("0000000000000006", "h", "/srv", "{}"),
    )
    .unwrap();
    assert_eq!(
        rec.known_findings().unwrap(),
        None,
        "no complete scan of /srv"
    );
}

#[test]
fn a_killed_scans_running_row_is_marked_interrupted_by_the_next_writer() {
    let s = state();
    record(
        &s.path,
        "0000000000000001",
        "/",
        vec![missing(b"/a", "a")],
        Outcome::Complete,
    );
    // What a kill leaves: a committed `running` row and no findings.
    {
        let c = rusqlite::Connection::open(&s.path).unwrap();
        c.execute(
            "INSERT INTO scans (scan_id, started, host, root, tool_version, options)
             VALUES ('0000000000000002', 5, 'h', x'2f', '0', '{}')",
            [],
        )
        .unwrap();
    }
    let h = History::open_reader(&s.path).unwrap();
    assert_eq!(h.scan(2).unwrap().outcome, Outcome::Running);
    drop(h);
    let lock = StateLock::acquire(&s.path, false).unwrap();
    let h = History::open(&s.path).unwrap();
    assert_eq!(h.mark_interrupted(&lock).unwrap(), 1);
    assert_eq!(h.scan(2).unwrap().outcome, Outcome::Interrupted);
    assert_eq!(h.scan(1).unwrap().outcome, Outcome::Complete);
    assert_eq!(h.findings(1).unwrap().len(), 1);
}

#[test]
fn a_reader_sees_the_running_row_and_not_the_uncommitted_findings() {
    let s = state();
    record(
        &s.path,
        "0000000000000001",
        "/",
        vec![missing(b"/a", "a")],
        Outcome::Complete,
    );
    let lock = StateLock::acquire(&s.path, false).unwrap();
    let h = History::open(&s.path).unwrap();
    let mut rec =
        Recorder::start(h, lock, &ScanStart::now("0000000000000002", "h", "/", "{}")).unwrap();
    let mut sink = rec.sink();
    let (go, wait) = crossbeam_channel::bounded::<()>(0);
    let scan = std::thread::spawn(move || {
        sink.begin(&info("/")).unwrap();
        for i in 0..3000u32 {
            sink.finding(&missing(format!("/f{i}").as_bytes(), "x"))
                .unwrap();
        }
        // Hold the scan open until the reader has looked.
        let _ = wait.recv();
        sink.finish(&end(3000, true)).unwrap();
    });
    let reader = std::thread::spawn({
        let path = s.path.clone();
        move || {
            // Give the recorder time to write (inside its transaction).
            std::thread::sleep(std::time::Duration::from_millis(300));
            let t = std::time::Instant::now();
            let h = History::open_reader(&path).unwrap();
            let scans = h.scans().unwrap();
            let findings = h.findings(2).unwrap().len();
            go.send(()).unwrap();
            (scans, findings, t.elapsed())
        }
    });
    rec.record().unwrap();
    scan.join().unwrap();
    let (scans, findings, took) = reader.join().unwrap();
    assert_eq!(scans.len(), 2);
    assert_eq!(scans[1].outcome, Outcome::Running);
    assert_eq!(findings, 0, "findings appear only when the scan commits");
    assert!(
        took < std::time::Duration::from_secs(2),
        "the reader waited: {took:?}"
    );
    rec.finish(Outcome::Complete, None).unwrap();
    let h = History::open_reader(&s.path).unwrap();
    assert_eq!(h.findings(2).unwrap().len(), 3000);
    assert_eq!(h.scan(2).unwrap().outcome, Outcome::Complete);
}

#[test]
fn a_write_error_drains_the_scan_and_records_failed() {
    let s = state();
    let lock = StateLock::acquire(&s.path, false).unwrap();
    let h = History::open(&s.path).unwrap();
    let mut rec =
        Recorder::start(h, lock, &ScanStart::now("0000000000000001", "h", "/", "{}")).unwrap();
    // Break the table behind the recorder's back.
    rusqlite::Connection::open(&s.path)
        .unwrap()
        .execute_batch("ALTER TABLE findings RENAME TO gone")
        .unwrap();
    let mut sink = rec.sink();
    let scan = std::thread::spawn(move || {
        // Far more than the channel holds: the scan must not block.
        for i in 0..5000u32 {
            sink.finding(&missing(format!("/f{i}").as_bytes(), "x"))
                .unwrap();
        }
        sink.finish(&end(5000, true)).unwrap();
    });
    let e = rec.record().unwrap_err();
    assert!(matches!(e, HistoryError::Sqlite { .. }), "{e}");
    scan.join().unwrap();
    rec.finish(Outcome::Complete, None).unwrap();
    let c = rusqlite::Connection::open(&s.path).unwrap();
    let (outcome, error): (String, String) = c
        .query_row(
            "SELECT outcome, error FROM scans WHERE number = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(outcome, "failed");
    assert!(error.starts_with("recording the history: "), "{error}");
}

#[test]
fn a_recorder_dropped_unfinished_leaves_a_failed_scan() {
    let s = state();
    let lock = StateLock::acquire(&s.path, false).unwrap();
    let h = History::open(&s.path).unwrap();
    let mut rec =
        Recorder::start(h, lock, &ScanStart::now("0000000000000001", "h", "/", "{}")).unwrap();
    let mut sink = rec.sink();
    sink.finding(&missing(b"/a", "a")).unwrap();
    drop(sink);
    rec.record().unwrap();
    drop(rec);
    let h = History::open_reader(&s.path).unwrap();
    let r = h.scan(1).unwrap();
    assert_eq!(r.outcome, Outcome::Failed);
    assert_eq!(h.findings(1).unwrap().len(), 0);
    // and the lock went with it
    assert_eq!(StateLock::is_held(&s.path), Some(false));
}

#[test]
fn prune_keeps_the_newest_and_numbers_are_never_reused() {
    let s = state();
    for i in 1..=5 {
        let f = (0..50)
            .map(|j| missing(format!("/scan{i}/file{j}").as_bytes(), "p"))
            .collect();
        record(&s.path, &format!("{i:016x}"), "/", f, Outcome::Complete);
    }
    let lock = StateLock::acquire(&s.path, false).unwrap();
    let h = History::open(&s.path).unwrap();
    let out = h.prune(2, &lock).unwrap();
    assert_eq!(
        out,
        PruneOutcome {
            removed: 3,
            kept: 2
        }
    );
    let numbers: Vec<i64> = h.scans().unwrap().iter().map(|r| r.number).collect();
    assert_eq!(numbers, [4, 5]);
    for gone in 1..=3 {
        assert!(h.findings(gone).unwrap().is_empty());
        assert!(
            matches!(h.scan(gone), Err(HistoryError::NoSuchScan { number, .. }) if number == gone)
        );
    }
    assert_eq!(h.findings(5).unwrap().len(), 50);
    let out = h.prune(0, &lock).unwrap();
    assert_eq!(
        out,
        PruneOutcome {
            removed: 2,
            kept: 0
        }
    );
    drop(h);
    drop(lock);
    let n = record(&s.path, "0000000000000006", "/", vec![], Outcome::Complete);
    assert_eq!(n, 6, "a pruned number is not given again");
}

#[test]
fn prune_gives_space_back() {
    let s = state();
    let big = "x".repeat(2000);
    for i in 1..=3 {
        let f = (0..500)
            .map(|j| missing(format!("/{big}/{i}/{j}").as_bytes(), "p"))
            .collect();
        record(&s.path, &format!("{i:016x}"), "/", f, Outcome::Complete);
    }
    let size = |p: &Path| {
        let wal = PathBuf::from(format!("{}-wal", p.display()));
        std::fs::metadata(p).unwrap().len() + std::fs::metadata(wal).map_or(0, |m| m.len())
    };
    let before = size(&s.path);
    let lock = StateLock::acquire(&s.path, false).unwrap();
    let h = History::open(&s.path).unwrap();
    h.prune(1, &lock).unwrap();
    drop(h);
    let after = size(&s.path);
    assert!(after * 2 < before, "{before} -> {after}");
}

#[test]
fn pair_defaults_to_the_last_two_complete_scans_of_a_root() {
    let s = state();
    record(&s.path, "0000000000000001", "/", vec![], Outcome::Complete);
    let h = || History::open_reader(&s.path).unwrap();
    assert!(matches!(
        h().pair(None, None),
        Err(HistoryError::NotEnoughScans { found: 1, .. })
    ));
    record(
        &s.path,
        "0000000000000002",
        "/mnt",
        vec![],
        Outcome::Complete,
    );
    record(
        &s.path,
        "0000000000000003",
        "/",
        vec![],
        Outcome::Interrupted,
    );
    record(&s.path, "0000000000000004", "/", vec![], Outcome::Complete);
    let (a, b) = h().pair(None, None).unwrap();
    assert_eq!((a.number, b.number), (1, 4));
    let (a, b) = h().pair(Some(3), None).unwrap();
    assert_eq!((a.number, b.number), (3, 4));
    let (a, b) = h().pair(Some(2), Some(1)).unwrap();
    assert_eq!((a.number, b.number), (2, 1));
    assert!(matches!(
        h().pair(Some(9), None),
        Err(HistoryError::NoSuchScan { number: 9, .. })
    ));
}

#[test]
fn damaged_values_are_errors_not_panics() {
    let s = state();
    record(
        &s.path,
        "0000000000000001",
        "/",
        vec![missing(b"/a", "a")],
        Outcome::Complete,
    );
    let c = rusqlite::Connection::open(&s.path).unwrap();
    c.execute_batch("UPDATE findings SET severity = 'urgent'")
        .unwrap();
    let h = History::open_reader(&s.path).unwrap();
    let e = h.findings(1).unwrap_err();
    assert!(
        matches!(&e, HistoryError::Corrupt { column: "findings.severity", value, scan: 1, .. } if value == "urgent"),
        "{e}"
    );
    c.execute_batch("UPDATE scans SET files_checked = -4")
        .unwrap();
    let e = h.scans().unwrap_err();
    assert!(
        matches!(
            &e,
            HistoryError::Corrupt {
                column: "files_checked",
                ..
            }
        ),
        "{e}"
    );
    c.execute_batch("UPDATE scans SET files_checked = 'many'")
        .unwrap();
    let e = h.scans().unwrap_err();
    assert!(matches!(&e, HistoryError::Sqlite { .. }), "{e}");
}

#[test]
fn readers_never_create_a_history() {
    let s = state();
    let e = History::open_reader(&s.path).unwrap_err();
    assert!(matches!(e, HistoryError::Missing { .. }), "{e}");
    assert!(!s.path.exists());
}

#[test]
fn a_new_state_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let s = state();
    record(&s.path, "0000000000000001", "/", vec![], Outcome::Complete);
    let mode = std::fs::metadata(&s.path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let lock = std::fs::metadata(StateLock::path_for(&s.path)).unwrap();
    assert_eq!(lock.permissions().mode() & 0o777, 0o600);
}

/// A real scan of a small dpkg root, recorded through the sink on the
/// scan's thread: the finding the scan made is the finding stored.
#[test]
fn a_real_scan_is_recorded() {
    use crate::scan::{Collect, ScanBuilder, Tee};
    let root = tempfile::tempdir().unwrap();
    let put = |p: &str, c: &str| {
        let host = root.path().join(p);
        std::fs::create_dir_all(host.parent().unwrap()).unwrap();
        std::fs::write(host, c).unwrap();
    };
    put(
        "var/lib/dpkg/status",
        "Package: app\nStatus: install ok installed\nVersion: 1.0\nArchitecture: all\n\n",
    );
    put(
        "var/lib/dpkg/info/app.list",
        "/usr\n/usr/share\n/usr/share/app.txt\n",
    );
    let md5 = {
        use md5::Digest as _;
        hex::encode(md5::Md5::digest(b"packaged\n"))
    };
    put(
        "var/lib/dpkg/info/app.md5sums",
        &format!("{md5}  usr/share/app.txt\n"),
    );
    put("usr/share/app.txt", "edited\n");

    let s = state();
    let lock = StateLock::acquire(&s.path, false).unwrap();
    let h = History::open(&s.path).unwrap();
    let start = ScanStart::now("00000000000000ff", "h", root.path(), "{}");
    let mut rec = Recorder::start(h, lock, &start).unwrap();
    let mut sink = rec.sink();
    let builder = ScanBuilder::new(root.path())
        .checks(CheckSet::only([crate::check::CheckKind::Files]))
        .jobs(2);
    let scan = std::thread::spawn(move || {
        let mut collect = Collect::new();
        let end = builder.run_with(&mut Tee(vec![&mut sink, &mut collect]));
        (end, collect.into_report())
    });
    rec.record().unwrap();
    let (end, report) = scan.join().unwrap();
    let end = end.unwrap();
    rec.finish(Outcome::Complete, None).unwrap();
    let report = report.unwrap();
    assert!(!report.findings.is_empty());

    let h = History::open_reader(&s.path).unwrap();
    let r = h.scan(1).unwrap();
    assert_eq!(r.db_format.as_deref(), Some("dpkg"));
    assert_eq!(r.summary.unwrap().findings, end.summary.findings);
    assert_eq!(r.summary.unwrap().packages, 1);
    let stored = h.findings(1).unwrap();
    assert_eq!(stored.len(), report.findings.len());
    for (s, f) in stored.iter().zip(&report.findings) {
        assert_eq!(s.id, f.id.to_string());
        assert_eq!(s.json, serde_json::to_string(f).unwrap());
    }
    assert!(
        stored
            .iter()
            .any(|f| f.kind == FindingKind::FileChanged && f.path_bytes() == b"/usr/share/app.txt")
    );
}

/// The checked-in version-1 state file.
fn v1_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/history/state-v1.sqlite")
}

/// The version-1 fixture opens (migrated, on a copy) and reads back: two
/// complete scans, their findings, and what changed between them.
#[test]
fn the_version_1_fixture_migrates_and_diffs() {
    let s = state();
    std::fs::copy(v1_fixture(), &s.path).unwrap();
    let c = rusqlite::Connection::open(&s.path).unwrap();
    assert_eq!(
        schema::user_version(&c).unwrap(),
        1,
        "the fixture is version 1"
    );
    drop(c);
    let h = History::open_reader(&s.path).unwrap();
    assert_eq!(h.schema_version().unwrap(), schema::VERSION);
    let scans = h.scans().unwrap();
    assert_eq!(scans.len(), 2);
    assert!(scans.iter().all(|r| r.outcome == Outcome::Complete));
    assert_eq!(scans[1].accepted, 1, "decision backfilled from the JSON");
    let (a, b) = h.pair(None, None).unwrap();
    assert_eq!((a.number, b.number), (1, 2));
    let d = diff(&h.findings(1).unwrap(), &h.findings(2).unwrap());
    let ids = |v: &[StoredFinding]| v.iter().map(|f| f.kind).collect::<Vec<_>>();
    assert_eq!(ids(&d.appeared), [FindingKind::FileUnreadable]);
    assert_eq!(ids(&d.resolved), [FindingKind::FileMissing]);
    assert_eq!(d.changed.len(), 1);
    assert_eq!(d.changed[0].after.kind, FindingKind::PackageNoDigests);
}

/// Writes the version-1 fixture with the version-1 schema and the finding
/// JSON of this code: run by `tests/fixtures/history/make-state-v1.sh`
/// (`ROOTAUDIT_FIXTURE_OUT=FILE cargo test --lib make_v1_fixture --
/// --ignored`).
#[test]
#[ignore = "writes the fixture; run by tests/fixtures/history/make-state-v1.sh"]
fn make_v1_fixture() {
    let out = std::env::var_os("ROOTAUDIT_FIXTURE_OUT").expect("set ROOTAUDIT_FIXTURE_OUT");
    let out = PathBuf::from(out);
    let _ = std::fs::remove_file(&out);
    let mut c = rusqlite::Connection::open(&out).unwrap();
    schema::migrate_to(&mut c, &out, 1).unwrap();
    let odd = b"/usr/lib/\xffodd\nname";
    let scans: [(&str, i64, Vec<Finding>); 2] = [
        (
            "1111111111111111",
            1_700_000_000,
            vec![
                missing(b"/usr/share/doc/a/README", "a"),
                no_digests("c", 3),
                missing(odd, "b"),
            ],
        ),
        (
            "2222222222222222",
            1_700_086_400,
            vec![
                missing(odd, "b"),
                no_digests("c", 4),
                accepted(unreadable("/etc/b.conf", "b")),
            ],
        ),
    ];
    for (number, (id, started, findings)) in scans.iter().enumerate() {
        let number = number as i64 + 1;
        let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count() as i64;
        c.execute(
            "INSERT INTO scans (number, scan_id, started, ended, outcome, host, root,
                 tool_version, options, db_format, db_path, packages, files_checked,
                 bytes_hashed, findings, critical, high, medium, low, info, worst, complete)
             VALUES (?1, ?2, ?3, ?4, 'complete', 'fixture', x'2f', '0.1.0',
                 '{\"checks\":null,\"fail_on\":\"low\"}', 'dpkg', CAST('/var/lib/dpkg/status' AS BLOB),
                 3, 42, 4096, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1)",
            rusqlite::params![
                number,
                id,
                started,
                started + 61,
                findings.len() as i64,
                count(Severity::Critical),
                count(Severity::High),
                count(Severity::Medium),
                count(Severity::Low),
                count(Severity::Info),
                findings
                    .iter()
                    .map(|f| f.severity)
                    .max()
                    .map(Severity::as_str),
            ],
        )
        .unwrap();
        for (seq, f) in findings.iter().enumerate() {
            c.execute(
                "INSERT INTO findings (scan, seq, id, kind, severity, path, package, json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                rusqlite::params![
                    number,
                    seq as i64,
                    f.id.to_string(),
                    f.kind.as_str(),
                    f.severity.as_str(),
                    f.path.as_ref().map(Bytes::as_bytes),
                    f.package.as_ref().map(|p| p.name.clone()),
                    serde_json::to_string(f).unwrap(),
                ],
            )
            .unwrap();
        }
    }
    c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE; VACUUM;")
        .unwrap();
}
