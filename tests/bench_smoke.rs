//! The benchmark (`scripts/bench`, generator `benches/genroot.py`) at its
//! tiny scale, as a smoke test: the generator builds a root with real
//! rpmbuild and `rpm -i`, the runner measures rpm -Va, rootaudit and the
//! hardware limit on it and prints the table. Nothing here is timed: the
//! numbers of a debug build on a busy CI machine mean nothing; the test only
//! proves that the one command still produces the table
//! (`docs/performance.md`).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::util::{missing_tools, run_with_timeout};

#[test]
fn bench_produces_the_table_at_tiny_scale() {
    require_tools!();
    let missing = missing_tools(&["openssl", "xargs", "cat"]);
    if !missing.is_empty() {
        assert!(
            std::env::var_os("CI").is_none(),
            "benchmark tools missing in CI: {missing:?}"
        );
        eprintln!("SKIPPING bench smoke test: missing {missing:?}");
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/bench");
    let run = run_with_timeout(
        Command::new(&script)
            .args(["--scale", "tiny", "--runs", "1", "--cold", "no"])
            .args(["--speed-seconds", "1", "--rootaudit"])
            .arg(env!("CARGO_BIN_EXE_rootaudit"))
            .arg("--cache")
            .arg(cache.path()),
        Duration::from_secs(120),
    );
    let out = run.stdout_str();
    assert_eq!(
        run.status,
        Some(0),
        "scripts/bench failed\nstdout:\n{out}\nstderr:\n{}",
        run.stderr
    );
    for row in [
        "| rpm -Va |",
        "| rootaudit -j1 |",
        "| openssl dgst x1 |",
        "| database alone -j1 (`--checks none`",
        "speed-up over rpm -Va",
        "bytes/s vs parallel openssl dgst",
        "| scaling 1 →",
        ", per 1,000 headers |",
        "Rerun: `scripts/bench --scale tiny`",
    ] {
        assert!(
            out.contains(row),
            "table lacks {row:?}:\n{out}\nstderr:\n{}",
            run.stderr
        );
    }
    // Peak RSS comes from GNU time, when the machine has it.
    if Path::new("/usr/bin/time").exists() {
        assert!(out.contains("peak RSS at 400 files"), "{out}");
    }
    // The tree is what the generator promises: 8 packages, 400 files.
    assert!(out.contains("8 packages, 400 regular files"), "{out}");
    // The raw numbers are kept beside the cached root.
    let results = std::fs::read_dir(cache.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path().join("results.json"))
        .find(|p| p.exists());
    assert!(results.is_some(), "no results.json under the cache");
}
