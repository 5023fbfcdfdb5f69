//! The files in `dist/` are checked as their consumers read them:
//! `systemd-analyze verify` finds no error or warning in the unit files,
//! and the scan command of the service and of the cron line, pointed at a
//! test root instead of `/`, runs: a clean root prints nothing and exits 0.

use std::path::Path;
use std::process::Command;

use crate::util::*;

const SERVICE: &str = include_str!("../dist/systemd/rootaudit-scan.service");
const TIMER: &str = include_str!("../dist/systemd/rootaudit-scan.timer");
const CRON: &str = include_str!("../dist/systemd/rootaudit.cron");
/// Where the units expect the binary.
const INSTALLED: &str = "/usr/local/bin/rootaudit";

/// The value of `key=` in a unit file, continuation lines joined.
fn unit_value(unit: &str, key: &str) -> Option<String> {
    let joined = unit.replace("\\\n", " ");
    joined
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .map(str::to_owned)
}

#[test]
fn units_verify_with_systemd_analyze() {
    if !missing_tools(&["systemd-analyze"]).is_empty() {
        assert!(
            std::env::var_os("CI").is_none(),
            "systemd-analyze missing in CI: run scripts/test-deps"
        );
        eprintln!("SKIPPING: systemd-analyze missing (scripts/test-deps installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The unit names the installed binary; verify checks it is executable.
    std::fs::write(
        dir.path().join("rootaudit-scan.service"),
        SERVICE.replace(INSTALLED, ROOTAUDIT),
    )
    .unwrap();
    std::fs::write(dir.path().join("rootaudit-scan.timer"), TIMER).unwrap();
    let r = run_with_timeout(
        Command::new("systemd-analyze")
            .arg("verify")
            .arg(dir.path().join("rootaudit-scan.service"))
            .arg(dir.path().join("rootaudit-scan.timer")),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    // Unknown keys are only warnings: none may be printed.
    let unit_lines: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("rootaudit-scan"))
        .collect();
    assert!(unit_lines.is_empty(), "{}", r.stderr);
    // What the issue asks of the units.
    for (key, want) in [
        ("Type", "oneshot"),
        ("Nice", "19"),
        ("IOSchedulingClass", "best-effort"),
        ("IOSchedulingPriority", "7"),
        ("ProtectSystem", "strict"),
        ("StateDirectory", "rootaudit"),
        ("PrivateNetwork", "yes"),
        ("NoNewPrivileges", "yes"),
    ] {
        assert_eq!(unit_value(SERVICE, key).as_deref(), Some(want), "{key}");
    }
    for hides in ["ProtectHome", "PrivateDevices"] {
        assert_eq!(unit_value(SERVICE, hides), None, "{hides} would hide files");
    }
    assert_eq!(unit_value(TIMER, "Persistent").as_deref(), Some("true"));
    assert!(unit_value(TIMER, "RandomizedDelaySec").is_some());
}

/// Run a dist scan command line against `root`: the binary under test,
/// ROOT `/` replaced, the state and keys folders moved into `scratch`.
fn run_dist_command(line: &str, root: &Path, scratch: &Path) -> Run {
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|w| *w == INSTALLED).expect(line);
    assert_eq!(
        words.get(at + 1..at + 3),
        Some(&["scan", "/"][..]),
        "{line}"
    );
    let keys = scratch.join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let mut cmd = Command::new(ROOTAUDIT);
    cmd.arg("scan").arg(root);
    let mut rest = words[at + 3..].iter();
    while let Some(w) = rest.next() {
        match *w {
            "--state" => {
                rest.next();
                cmd.arg("--state").arg(scratch.join("state.sqlite"));
            }
            "--keys" => {
                rest.next();
                cmd.arg("--keys").arg(&keys);
            }
            w => {
                cmd.arg(w);
            }
        }
    }
    // The test packages are unsigned (header trust has its own tests).
    cmd.args(["--checks", "files,bytecode,unowned"]);
    run_with_timeout(&mut cmd, COMMAND_TIMEOUT)
}

#[test]
fn service_and_cron_commands_run_quietly_on_a_clean_root() {
    require_tools!();
    let pkg = PkgSpec::new("distpkg")
        .entry(FileEntry::file("/usr/bin/distpkg", "#!/bin/sh\n").mode(0o755))
        .build();
    let root = TestRoot::new();
    root.install(&[&pkg]);
    let service = unit_value(SERVICE, "ExecStart").unwrap();
    let cron = CRON
        .lines()
        .find(|l| l.contains(INSTALLED) && !l.starts_with('#'))
        .unwrap();
    for line in [service.as_str(), cron] {
        let scratch = tempfile::tempdir().unwrap();
        let r = run_dist_command(line, root.path(), scratch.path());
        assert_eq!(r.status, Some(0), "{line}: {}", r.stderr);
        assert_eq!(r.stdout, b"", "{line}: a clean night prints nothing");
        assert_eq!(r.stderr, "", "{line}");
        root.write_keep_mtime("/usr/bin/distpkg", "#!/bin/sh\nid\n");
        let r = run_dist_command(line, root.path(), scratch.path());
        assert_eq!(r.status, Some(1), "{line}: {}", r.stderr);
        assert!(r.stdout_str().contains("/usr/bin/distpkg"), "{line}");
        root.write_keep_mtime("/usr/bin/distpkg", "#!/bin/sh\n");
    }
}
