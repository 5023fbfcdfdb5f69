//! Cron manners of `scan` (docs/cron.md): `--quiet` prints nothing on a
//! clean night and only findings and one summary line otherwise;
//! `--max-rate` holds the hashing rate; `--nice` lowers CPU and I/O
//! priority of every thread; SIGTERM stops the workers, the report says it
//! is partial and the exit status is 2.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::*;

/// The checks of a "clean night" here: the test packages are unsigned
/// (header trust has its own tests), everything else must be quiet.
const CLEAN_CHECKS: &str = "files,bytecode,unowned";

#[test]
fn quiet_prints_nothing_on_a_clean_root_and_only_findings_otherwise() {
    require_tools!();
    let pkg = PkgSpec::new("cronpkg")
        .entry(FileEntry::file("/usr/bin/cronpkg", "#!/bin/sh\necho ok\n").mode(0o755))
        .entry(FileEntry::file("/usr/share/cronpkg/data", "data\n"))
        .build();
    let root = TestRoot::new();
    root.install(&[&pkg]);

    let quiet = |root: &Path| {
        run_with_timeout(
            rootaudit_cmd(root).args(["--quiet", "--checks", CLEAN_CHECKS]),
            COMMAND_TIMEOUT,
        )
    };
    let r = quiet(root.path());
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    assert_eq!(r.stdout, b"", "a clean night prints nothing");
    assert_eq!(r.stderr, "", "not even on standard error");
    // Without --quiet the same scan says what it did.
    let loud = run_with_timeout(
        rootaudit_cmd(root.path()).args(["--checks", CLEAN_CHECKS]),
        COMMAND_TIMEOUT,
    );
    assert_eq!(loud.status, Some(0), "{}", loud.stderr);
    assert!(!loud.stdout.is_empty());

    root.write_keep_mtime("/usr/bin/cronpkg", "#!/bin/sh\necho pwned\n");
    let r = quiet(root.path());
    assert_eq!(r.status, Some(1), "{}", r.stderr);
    let out = r.stdout_str();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "one finding and one summary line:\n{out}");
    assert!(lines[0].contains("/usr/bin/cronpkg"), "{out}");
    assert!(lines[0].starts_with("S.5"), "{out}");
    assert!(lines[1].contains("1 finding"), "{out}");
    assert_eq!(r.stderr, "");
}

/// A package of `n` files of `mib` MiB each (zeros: the rate, not the
/// content, is under test).
fn big_package(n: usize, mib: usize) -> BuiltPkg {
    let content = vec![0u8; mib << 20];
    let mut spec = PkgSpec::new("bigdata");
    for i in 0..n {
        spec = spec.entry(FileEntry::file(
            &format!("/srv/bigdata/part{i:02}"),
            &content,
        ));
    }
    spec.build()
}

fn thread_nices(pid: u32) -> Vec<i64> {
    let mut out = Vec::new();
    for t in std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
    {
        let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
        // Fields after the `(comm)`: state is field 3, nice field 19.
        let after = stat.rsplit_once(')').map_or("", |(_, a)| a);
        if let Some(n) = after.split_whitespace().nth(16) {
            out.push(n.parse().unwrap());
        }
    }
    out
}

#[test]
fn max_rate_holds_and_nice_and_sigterm_behave() {
    require_tools!();
    // 500 MiB at --max-rate 50: ten seconds.
    let pkg = big_package(10, 50);
    let root = TestRoot::new();
    root.install(&[&pkg]);

    let started = Instant::now();
    let r = run_with_timeout(
        rootaudit_cmd(root.path()).args([
            "--checks",
            "files",
            "--max-rate",
            "50",
            "--format",
            "json",
        ]),
        COMMAND_TIMEOUT,
    );
    let took = started.elapsed();
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    let report: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(report["summary"]["bytes_hashed"], 500u64 << 20);
    assert!(
        took >= Duration::from_secs(9) && took <= Duration::from_secs(11),
        "500 MiB at 50 MiB/s took {took:?} (10 s ± 10 %)"
    );

    // A slow scan (5 MiB/s: 100 s) with --nice: every thread runs at nice
    // 19 and best-effort I/O priority 7; SIGTERM stops it within a second
    // or two, the report says it is partial, the exit status is 2.
    let out = tempfile::tempdir().unwrap();
    let report_path = out.path().join("partial.json");
    let mut child = rootaudit_cmd(root.path())
        .args([
            "--checks",
            "files",
            "--max-rate",
            "5",
            "--nice",
            "--format",
            "json",
            "-o",
        ])
        .arg(&report_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    std::thread::sleep(Duration::from_millis(1500));
    let nices = thread_nices(pid);
    assert!(nices.len() > 1, "{nices:?}");
    assert!(
        nices.iter().all(|n| *n == 19),
        "thread nice values {nices:?}"
    );
    if let Some(ionice) = tool_path_of("ionice") {
        let o = Command::new(ionice)
            .arg("-p")
            .arg(pid.to_string())
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&o.stdout).trim(),
            "best-effort: prio 7"
        );
    }
    let signalled = Instant::now();
    // SAFETY: kill(2) on our own child.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGTERM) }, 0);
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert!(
        signalled.elapsed() < Duration::from_secs(5),
        "SIGTERM took {:?} to stop the scan",
        signalled.elapsed()
    );
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("stopped by a signal"), "{stderr}");
    let partial: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    assert_eq!(partial["complete"], false, "{partial}");
    let hashed = partial["summary"]["bytes_hashed"].as_u64().unwrap();
    assert!(hashed < 100 << 20, "stopped early: {hashed} bytes hashed");
}

/// `tool` on PATH or in the sbin folders, if installed.
fn tool_path_of(tool: &str) -> Option<std::path::PathBuf> {
    missing_tools(&[tool])
        .is_empty()
        .then(|| {
            ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]
                .iter()
                .map(|d| Path::new(d).join(tool))
                .find(|p| p.is_file())
        })
        .flatten()
}
