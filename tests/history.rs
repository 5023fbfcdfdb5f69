//! The scan history through the binary: two scans of a fixture root with a
//! change between them (`--new-only` reports only the new finding, `diff`
//! shows what appeared and what was resolved, `history` lists both); the
//! lock (a second scan exits 2, `--wait` waits); `kill -9` mid-scan (the
//! file opens, earlier scans are intact, the killed one is `interrupted`
//! and has no findings); a failed scan; `history --check-age`; `--prune`;
//! `--state` inside a root; and the schema-1 fixture, migrated on open.
//!
//! The roots are hand-made dpkg databases (no tools needed): package `app`
//! owns `/usr/share/app/{a,b}.txt` with the md5 of `a\n` and `b\n`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::*;

const A: &str = "/usr/share/app/a.txt";
const B: &str = "/usr/share/app/b.txt";
const BIG: &str = "/usr/share/app/big.img";

fn md5_hex(data: &[u8]) -> String {
    use md5::Digest as _;
    hex::encode(md5::Md5::digest(data))
}

/// A dpkg root in which `app` owns [`A`] and [`B`] (and [`BIG`] when
/// `big`), with [`A`] and [`B`] as packaged.
fn fixture(big: bool) -> TestRoot {
    let root = TestRoot::bare();
    write_db(&root, big);
    root.mkdir("/usr/share/app");
    root.write(A, "a\n");
    root.write(B, "b\n");
    root
}

/// The dpkg database of [`fixture`]. With `big`, [`BIG`] is registered
/// too, and made a 64 GiB sparse file: hashing it takes minutes, so a
/// scan is reliably still running when the test kills it.
fn write_db(root: &TestRoot, big: bool) {
    root.mkdir("/var/lib/dpkg/info");
    root.write(
        "/var/lib/dpkg/status",
        "Package: app\nStatus: install ok installed\nVersion: 1.0\nArchitecture: all\n\
         Maintainer: nobody\nDescription: fixture\n\n",
    );
    let mut list = format!("/.\n/usr\n/usr/share\n/usr/share/app\n{A}\n{B}\n");
    let mut sums = format!(
        "{}  {}\n{}  {}\n",
        md5_hex(b"a\n"),
        &A[1..],
        md5_hex(b"b\n"),
        &B[1..]
    );
    if big {
        list.push_str(&format!("{BIG}\n"));
        sums.push_str(&format!("{}  {}\n", md5_hex(b""), &BIG[1..]));
        let f = std::fs::File::create(root.join(BIG)).unwrap();
        f.set_len(64 << 30).unwrap();
    } else if root.join(BIG).exists() {
        root.remove(BIG);
    }
    root.write("/var/lib/dpkg/info/app.list", list);
    root.write("/var/lib/dpkg/info/app.md5sums", sums);
}

/// A state file in a fresh folder outside any root.
struct State {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl State {
    fn new() -> State {
        let dir = tempfile::Builder::new()
            .prefix("rootaudit-state-")
            .tempdir()
            .unwrap();
        let path = dir.path().join("state.sqlite");
        State { _dir: dir, path }
    }

    fn arg(&self) -> &str {
        self.path.to_str().unwrap()
    }

    fn lock_path(&self) -> PathBuf {
        PathBuf::from(format!("{}.lock", self.path.display()))
    }

    /// A read-only look at the file with SQLite itself.
    fn sql<T: rusqlite::types::FromSql>(&self, query: &str) -> T {
        let c = rusqlite::Connection::open_with_flags(
            &self.path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        c.query_row(query, [], |r| r.get(0)).unwrap()
    }
}

/// `rootaudit scan ROOT --checks files --state STATE --format json ARGS…`.
fn scan(root: &Path, state: &State, args: &[&str]) -> Run {
    let mut c = rootaudit_cmd(root);
    c.args([
        "--checks",
        "files",
        "--format",
        "json",
        "--state",
        state.arg(),
    ])
    .args(args);
    run_with_timeout(&mut c, COMMAND_TIMEOUT)
}

/// `rootaudit SUBCOMMAND --state STATE ARGS…`.
fn tool(sub: &str, state: &State, args: &[&str]) -> Run {
    run_with_timeout(
        Command::new(ROOTAUDIT)
            .arg(sub)
            .args(["--state", state.arg()])
            .args(args),
        COMMAND_TIMEOUT,
    )
}

fn json(r: &Run) -> Value {
    serde_json::from_slice(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout_str(), r.stderr))
}

/// `(id, path)` of a report's findings.
fn found(report: &Value) -> Vec<(String, String)> {
    let mut v: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn scans(state: &State) -> Vec<Value> {
    let r = tool("history", state, &["--format", "json"]);
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    json(&r)["scans"].as_array().unwrap().clone()
}

#[test]
fn two_scans_new_only_diff_and_history() {
    let root = fixture(false);
    let state = State::new();
    root.write_keep_mtime(B, "B\n");

    let first = scan(root.path(), &state, &[]);
    assert_eq!(first.status, Some(1), "{}", first.stderr);
    let first = json(&first);
    let b_found = found(&first);
    assert_eq!(b_found.len(), 1);
    assert_eq!(b_found[0].1, B);

    // Between the nights: a.txt is tampered with, b.txt put back.
    root.write_keep_mtime(A, "A\n");
    root.write_keep_mtime(B, "b\n");
    let second = scan(root.path(), &state, &["--new-only"]);
    assert_eq!(second.status, Some(1), "{}", second.stderr);
    let second = json(&second);
    let a_found = found(&second);
    assert_eq!(a_found.len(), 1, "only the new finding: {a_found:?}");
    assert_eq!(a_found[0].1, A);

    // --new-only again: the a.txt finding is known now.
    let third = scan(root.path(), &state, &["--new-only"]);
    assert_eq!(third.status, Some(0), "{}", third.stderr);
    assert!(found(&json(&third)).is_empty());

    // history lists all three, each complete, with its counts.
    let list = scans(&state);
    assert_eq!(list.len(), 3);
    let canonical = std::fs::canonicalize(root.path()).unwrap();
    for (i, s) in list.iter().enumerate() {
        assert_eq!(s["number"], i as i64 + 1);
        assert_eq!(s["outcome"], "complete");
        assert_eq!(s["root"], canonical.to_str().unwrap());
        assert_eq!(s["severities"]["high"], 1);
        assert_eq!(s["summary"]["findings"], 1);
        assert_eq!(s["db_format"], "dpkg");
        assert_eq!(s["db_path"], "/var/lib/dpkg/status");
        assert_eq!(s["complete"], true);
        assert_eq!(s["tool_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(s["options"]["checks"], serde_json::json!(["files"]));
    }
    assert_eq!(list[1]["options"]["new_only"], true);
    assert_eq!(list[0]["options"]["new_only"], false);
    for s in &list {
        let id = s["scan_id"].as_str().unwrap();
        assert!(
            id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
    }
    assert_ne!(list[0]["scan_id"], list[1]["scan_id"]);
    let text = tool("history", &state, &[]);
    assert_eq!(text.status, Some(0));
    let lines: Vec<String> = text.stdout_str().lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 4, "a header and one line per scan: {lines:?}");
    assert!(lines[0].contains("outcome"));
    for (i, l) in lines[1..].iter().enumerate() {
        let cols: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(cols[0], (i + 1).to_string(), "{l}");
        assert_eq!(cols[4], "complete", "{l}");
        assert_eq!(&cols[5..10], ["0", "1", "0", "0", "0"], "{l}");
        assert_eq!(cols[10], canonical.to_str().unwrap(), "{l}");
    }

    // diff (the last two complete scans: 2 and 3): nothing changed.
    let same = tool("diff", &state, &[]);
    assert_eq!(same.status, Some(0), "{}", same.stderr);
    assert!(same.stdout.is_empty());
    // diff 1 2: a.txt appeared, b.txt was resolved.
    let d = tool("diff", &state, &["1", "2"]);
    assert_eq!(d.status, Some(1), "{}", d.stderr);
    let out = d.stdout_str();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0].starts_with("--- #1 "), "{out}");
    assert!(lines[1].starts_with("+++ #2 "), "{out}");
    assert_eq!(
        lines[2],
        format!("+ high     file-changed {A} [app-1.0.all]: content differs")
    );
    assert_eq!(
        lines[3],
        format!("- high     file-changed {B} [app-1.0.all]: content differs")
    );
    let dj = json(&tool("diff", &state, &["1", "2", "--format", "json"]));
    assert_eq!(dj["from"]["number"], 1);
    assert_eq!(dj["to"]["number"], 2);
    assert_eq!(dj["appeared"][0]["id"], a_found[0].0.as_str());
    assert_eq!(dj["resolved"][0]["id"], b_found[0].0.as_str());
    assert_eq!(dj["changed"], serde_json::json!([]));
    // What is stored is the report's finding, whole.
    let reported = &second["findings"][0];
    for key in [
        "id", "kind", "severity", "path", "package", "verify", "expected", "actual",
    ] {
        assert_eq!(dj["appeared"][0][key], reported[key], "{key}");
    }

    // a.txt changed *again*: same finding id, other content. That is news
    // to --new-only (an intruder editing an already reported file must not
    // hide behind the first report), and `diff` calls it changed.
    root.write_keep_mtime(A, "Z\n");
    let fourth = scan(root.path(), &state, &["--new-only"]);
    assert_eq!(fourth.status, Some(1), "{}", fourth.stderr);
    let again = found(&json(&fourth));
    assert_eq!(
        again, a_found,
        "the same finding, found again with other content"
    );
    let d = tool("diff", &state, &["3", "4", "--format", "json"]);
    assert_eq!(d.status, Some(1), "{}", d.stderr);
    let dj = json(&d);
    assert_eq!(dj["changed"].as_array().map(Vec::len), Some(1), "{dj}");
    assert_eq!(dj["appeared"], serde_json::json!([]));
}

/// Hold the lock the way a scan does (flock on STATE.lock).
fn hold_lock(state: &State) -> std::fs::File {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(state.lock_path())
        .unwrap();
    rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive).unwrap();
    f
}

#[test]
fn a_second_scan_exits_2_while_the_lock_is_held_and_wait_waits() {
    let root = fixture(false);
    let state = State::new();
    let lock = hold_lock(&state);

    let t = Instant::now();
    let r = scan(root.path(), &state, &[]);
    assert_eq!(r.status, Some(2), "{}", r.stderr);
    assert_eq!(
        r.stderr.trim_end(),
        format!(
            "rootaudit: error: another rootaudit scan is running (lock {} held)",
            state.lock_path().display()
        )
    );
    assert!(r.stdout.is_empty());
    assert!(t.elapsed() < Duration::from_secs(30));

    // --wait: blocks while the lock is held, runs once it is let go.
    let mut waiter = KillOnDrop(
        rootaudit_cmd(root.path())
            .args(["--checks", "files", "--format", "json", "--wait"])
            .args(["--state", state.arg()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        waiter.0.try_wait().unwrap().is_none(),
        "--wait did not wait for the lock"
    );
    drop(lock);
    let status = wait_for(&mut waiter.0, COMMAND_TIMEOUT);
    assert_eq!(status.code(), Some(0));
    // Only the scan that got the lock was recorded.
    let list = scans(&state);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["outcome"], "complete");
    assert_eq!(list[0]["options"]["checks"], serde_json::json!(["files"]));
}

/// A child process killed when the test ends, whatever happens.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let t = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(t.elapsed() < timeout, "the process did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigkill_mid_scan_keeps_earlier_scans_and_the_killed_one_is_interrupted() {
    let root = fixture(false);
    let state = State::new();
    root.write_keep_mtime(A, "A\n");
    let first = scan(root.path(), &state, &[]);
    assert_eq!(first.status, Some(1), "{}", first.stderr);
    let first_findings = found(&json(&first));

    // The second scan: b.txt changed too (a finding made early, pending in
    // the scan's transaction) and a 64 GiB file to hash (verified last).
    root.write_keep_mtime(B, "B\n");
    write_db(&root, true);
    // Its private temporary folder, which a killed scan cannot remove,
    // goes where the test cleans up.
    let tmp = tempfile::tempdir().unwrap();
    let mut slow = KillOnDrop(
        rootaudit_cmd(root.path())
            .args(["--checks", "files", "--format", "json"])
            .args(["--state", state.arg()])
            .env("TMPDIR", tmp.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Its heartbeat: the row is committed before the scan begins.
    let t = Instant::now();
    while state.sql::<i64>("SELECT count(*) FROM scans") < 2 {
        assert!(t.elapsed() < Duration::from_secs(60), "no heartbeat");
        std::thread::sleep(Duration::from_millis(20));
    }
    // While it runs: readers are not blocked and see it running …
    let t = Instant::now();
    let list = scans(&state);
    assert!(t.elapsed() < Duration::from_secs(10), "the reader waited");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["outcome"], "complete");
    assert_eq!(list[1]["outcome"], "running");
    // … and another scan is refused.
    let other = scan(root.path(), &state, &[]);
    assert_eq!(other.status, Some(2), "{}", other.stderr);
    assert!(
        other.stderr.contains("another rootaudit scan is running"),
        "{}",
        other.stderr
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        slow.0.try_wait().unwrap().is_none(),
        "the slow scan ended before it was killed"
    );
    slow.0.kill().unwrap(); // SIGKILL
    let status = wait_for(&mut slow.0, COMMAND_TIMEOUT);
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9)
    );

    // The file opens and is sound; the first scan is intact; the killed
    // one kept no findings and shows as interrupted.
    assert_eq!(state.sql::<String>("PRAGMA integrity_check"), "ok");
    assert_eq!(
        state.sql::<i64>("SELECT count(*) FROM findings WHERE scan = 2"),
        0
    );
    assert_eq!(
        state.sql::<String>("SELECT outcome FROM scans WHERE number = 2"),
        "running"
    );
    let list = scans(&state);
    assert_eq!(list.len(), 2, "the refused scan left no row");
    assert_eq!(list[0]["outcome"], "complete");
    assert_eq!(list[0]["summary"]["findings"], 1);
    assert_eq!(list[1]["outcome"], "interrupted");
    assert_eq!(list[1]["summary"], Value::Null);
    let text = tool("history", &state, &[]).stdout_str();
    let killed = text.lines().nth(2).unwrap();
    assert!(killed.contains(" interrupted "), "{text}");

    // The next scan marks it interrupted for good, and compares with the
    // first (the last complete one).
    write_db(&root, false);
    root.write_keep_mtime(B, "b\n");
    let third = scan(root.path(), &state, &["--new-only"]);
    assert_eq!(third.status, Some(0), "{}", third.stderr);
    assert!(found(&json(&third)).is_empty(), "a.txt was known from #1");
    assert_eq!(
        state.sql::<String>("SELECT outcome FROM scans WHERE number = 2"),
        "interrupted"
    );
    let d = tool("diff", &state, &[]);
    assert_eq!(d.status, Some(0), "#1 and #3 agree: {}", d.stdout_str());
    let stored: i64 = state.sql("SELECT count(*) FROM findings WHERE scan = 1");
    assert_eq!(stored as usize, first_findings.len());
}

#[test]
fn a_scan_whose_database_cannot_be_read_is_recorded_failed() {
    let root = TestRoot::bare();
    root.mkdir("/var/lib/rpm");
    root.write("/var/lib/rpm/rpmdb.sqlite", vec![0x42u8; 4096]);
    let state = State::new();
    let r = scan(
        root.path(),
        &state,
        &[
            "--db",
            "rpm-sqlite",
            "--dbpath",
            "/var/lib/rpm/rpmdb.sqlite",
        ],
    );
    assert_eq!(r.status, Some(2), "{}", r.stderr);
    let list = scans(&state);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["outcome"], "failed");
    let error = list[0]["error"].as_str().unwrap();
    assert!(error.contains("rpmdb.sqlite"), "{error}");
    assert!(list[0]["ended"].as_u64().is_some());
    let text = tool("history", &state, &[]).stdout_str();
    assert!(text.lines().nth(1).unwrap().contains(" failed "), "{text}");
    assert!(text.contains("error: "), "{text}");
    // A failed scan is no heartbeat of a complete one.
    let age = tool("history", &state, &["--check-age", "1h"]);
    assert_eq!(age.status, Some(1), "{}", age.stdout_str());
}

#[test]
fn check_age_says_whether_the_last_complete_scan_is_recent() {
    let root = fixture(false);
    let state = State::new();
    // No history at all: scans never ran.
    let none = tool("history", &state, &["--check-age", "2d"]);
    assert_eq!(none.status, Some(1));
    assert_eq!(
        none.stdout_str(),
        format!("STALE: no complete scan recorded in {}\n", state.arg())
    );
    assert_eq!(scan(root.path(), &state, &[]).status, Some(0));
    let ok = tool("history", &state, &["--check-age", "1h"]);
    assert_eq!(ok.status, Some(0), "{}", ok.stderr);
    assert_eq!(ok.stdout_str().lines().count(), 1);
    assert!(
        ok.stdout_str()
            .starts_with("ok: last complete scan #1 ended "),
        "{}",
        ok.stdout_str()
    );
    // Three days pass.
    let c = rusqlite::Connection::open(&state.path).unwrap();
    c.execute_batch("UPDATE scans SET started = started - 259200, ended = ended - 259200")
        .unwrap();
    drop(c);
    let stale = tool("history", &state, &["--check-age", "2d"]);
    assert_eq!(stale.status, Some(1));
    assert_eq!(stale.stdout_str().lines().count(), 1);
    assert!(
        stale
            .stdout_str()
            .starts_with("STALE: last complete scan #1 ended 3d00h ago"),
        "{}",
        stale.stdout_str()
    );
    assert_eq!(
        tool("history", &state, &["--check-age", "4d"]).status,
        Some(0)
    );
    assert_eq!(
        tool("history", &state, &["--check-age", "1w"]).status,
        Some(0)
    );
    let j = json(&tool(
        "history",
        &state,
        &["--check-age", "2d", "--format", "json"],
    ));
    assert_eq!(j["ok"], false);
    assert_eq!(j["max_age"], 172_800);
    assert_eq!(j["last_complete"]["number"], 1);
    // A nonsense age is a usage error.
    let bad = tool("history", &state, &["--check-age", "2"]);
    assert_eq!(bad.status, Some(2));
    assert!(bad.stderr.contains("no unit"), "{}", bad.stderr);
}

#[test]
fn prune_keeps_the_newest_scans() {
    let root = fixture(false);
    let state = State::new();
    root.write_keep_mtime(A, "A\n");
    for _ in 0..4 {
        assert_eq!(scan(root.path(), &state, &[]).status, Some(1));
    }
    let lock = hold_lock(&state);
    let busy = tool("history", &state, &["--prune", "1"]);
    assert_eq!(busy.status, Some(2));
    assert!(busy.stderr.contains("another rootaudit scan is running"));
    drop(lock);
    let r = tool("history", &state, &["--prune", "2"]);
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    assert_eq!(
        r.stdout_str(),
        format!("pruned 2 scan(s), kept 2 in {}\n", state.arg())
    );
    let numbers: Vec<i64> = scans(&state)
        .iter()
        .map(|s| s["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [3, 4]);
    assert_eq!(state.sql::<i64>("SELECT count(*) FROM findings"), 2);
    assert_eq!(state.sql::<i64>("SELECT min(scan) FROM findings"), 3);
    // The next scan gets a new number, and diff still works.
    assert_eq!(scan(root.path(), &state, &[]).status, Some(1));
    assert_eq!(scans(&state).last().unwrap()["number"], 5);
    assert_eq!(tool("diff", &state, &[]).status, Some(0));
}

#[test]
fn state_inside_a_root_is_written_only_when_named() {
    let root = fixture(false);
    let before = root.snapshot();
    // ROOT is not `/`: no default history, nothing written anywhere in it.
    let r = run_with_timeout(
        rootaudit_cmd(root.path()).args(["--checks", "files"]),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    assert_eq!(root.snapshot(), before);
    // --new-only needs a history: without one for this root, an error.
    let r = run_with_timeout(
        rootaudit_cmd(root.path()).args(["--checks", "files", "--new-only"]),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("--state"), "{}", r.stderr);
    assert_eq!(root.snapshot(), before);
    // Named explicitly, it is used even inside ROOT (folder made, 0700).
    let inside = root.join("/var/lib/rootaudit/state.sqlite");
    let r = run_with_timeout(
        rootaudit_cmd(root.path())
            .args(["--checks", "files", "--state"])
            .arg(&inside),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    assert!(inside.is_file());
    let mode = std::fs::metadata(inside.parent().unwrap())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
    assert_eq!(
        std::fs::metadata(&inside).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let r = run_with_timeout(
        Command::new(ROOTAUDIT)
            .arg("history")
            .arg("--state")
            .arg(&inside),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(0));
    assert_eq!(r.stdout_str().lines().count(), 2);
}

#[test]
fn the_schema_1_fixture_opens_lists_and_diffs() {
    let state = State::new();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/history/state-v1.sqlite");
    std::fs::copy(&fixture, &state.path).unwrap();
    assert_eq!(state.sql::<i64>("PRAGMA user_version"), 1);

    let list = tool("history", &state, &[]);
    assert_eq!(list.status, Some(0), "{}", list.stderr);
    assert_eq!(
        list.stdout_str(),
        "    #  started (UTC)           took  outcome       crit  high   med   low  info  root\n\
         \x20   1  2023-11-14 22:13:20    1m01s  complete         0     0     2     1     0  /\n\
         \x20   2  2023-11-15 22:13:20    1m01s  complete         0     1     1     1     0  /  (1 accepted)\n"
    );
    // Migrated on open: version 2, the decision column backfilled.
    assert_eq!(state.sql::<i64>("PRAGMA user_version"), 2);
    assert_eq!(
        state.sql::<String>("SELECT decision FROM findings WHERE decision IS NOT NULL"),
        "accepted"
    );
    let d = tool("diff", &state, &[]);
    assert_eq!(d.status, Some(1), "{}", d.stderr);
    assert_eq!(
        d.stdout_str(),
        "--- #1 2023-11-14 22:13:20 UTC complete /\n\
         +++ #2 2023-11-15 22:13:20 UTC complete /\n\
         ~ low      package-no-digests [c-1.0-1.noarch]: the package records no content digests \
         (no md5sums): its 4 file(s) are only checked for existence (was low: the package \
         records no content digests (no md5sums): its 3 file(s) are only checked for existence)\n\
         + high     file-unreadable /etc/b.conf [b-1.0-1.noarch] [accepted]: could not examine: \
         Permission denied (os error 13)\n\
         - medium   file-missing /usr/share/doc/a/README [a-1.0-1.noarch]: registered file is \
         missing\n"
    );
    // A path that is not UTF-8 (and holds a newline) is kept exactly in the
    // JSON and escaped on the terminal.
    let j = json(&tool("diff", &state, &["1", "2", "--format", "json"]));
    assert_eq!(j["appeared"][0]["id"], "ac669a80b4214baf");
    let all = json(&tool("history", &state, &["--format", "json"]));
    assert_eq!(all["scans"][0]["options"]["fail_on"], "low");
    let d = tool("diff", &state, &["1", "1"]);
    assert_eq!(d.status, Some(0));
    // Scan 2 emptied: everything of scan 1 was resolved, the odd path too.
    let c = rusqlite::Connection::open(&state.path).unwrap();
    c.execute_batch("DELETE FROM findings WHERE scan = 2")
        .unwrap();
    drop(c);
    let d = tool("diff", &state, &[]);
    assert_eq!(d.status, Some(1));
    let out = d.stdout_str();
    assert!(
        out.contains("- medium   file-missing /usr/lib/\\xffodd\\x0aname [b-1.0-1.noarch]"),
        "{out}"
    );
}

/// `scan /` by a user who cannot write `/var/lib/rootaudit` still scans,
/// and says on standard error that it keeps no history; `--new-only`
/// (which needs the history) stays an error.
#[test]
fn an_unprivileged_scan_of_slash_keeps_no_history_and_says_so() {
    // SAFETY: plain getter.
    let root_user = unsafe { libc::geteuid() } == 0;
    if !root_user || !missing_tools(&["runuser"]).is_empty() || Path::new(DEFAULT).exists() {
        eprintln!("SKIPPING: needs root and runuser, and no {DEFAULT} on this machine");
        return;
    }
    // A copy of the binary any user can run.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.path().join("rootaudit");
    std::fs::copy(ROOTAUDIT, &bin).unwrap();
    let as_nobody = |extra: &[&str]| {
        run_with_timeout(
            Command::new("runuser")
                .args(["-u", "nobody", "--"])
                .arg(&bin)
                .args(["scan", "/", "--checks", "none", "--format", "json"])
                .args(extra)
                .current_dir(dir.path()),
            COMMAND_TIMEOUT,
        )
    };
    let r = as_nobody(&[]);
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    assert!(
        r.stderr.starts_with("rootaudit: no history kept: ")
            && r.stderr.contains("Permission denied")
            && r.stderr.lines().count() == 1,
        "{}",
        r.stderr
    );
    assert!(!Path::new(DEFAULT).exists(), "nothing was created");
    let r = as_nobody(&["--new-only"]);
    assert_eq!(r.status, Some(2), "{}", r.stderr);
}

/// The default state file of ROOT `/`.
const DEFAULT: &str = "/var/lib/rootaudit/state.sqlite";
