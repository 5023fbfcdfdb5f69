//! The command line's surface: value sets that help and completions list,
//! the completion scripts and the man page.

use std::process::Command;

use crate::util::*;

fn run(args: &[&str]) -> Run {
    run_with_timeout(Command::new(ROOTAUDIT).args(args), COMMAND_TIMEOUT)
}

#[test]
fn help_lists_the_value_sets() {
    let r = run(&["scan", "--help"]);
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    let help = r.stdout_str();
    for value in [
        "headers",
        "files",
        "bytecode",
        "unowned",
        "none", // --checks
        "rpm-sqlite",
        "rpm-bdb",
        "rpm-ndb",
        "dpkg", // --db
        "critical",
        "high",
        "medium",
        "low",
        "info", // --fail-on
        "text",
        "json",
        "jsonl", // --format
    ] {
        assert!(help.contains(value), "{value} missing from:\n{help}");
    }
}

#[test]
fn bad_values_are_usage_errors() {
    for args in [
        &["scan", "/", "--checks", "files,bogus"][..],
        &["scan", "/", "--db", "rpm-bogus"],
        &["scan", "/", "--fail-on", "severe"],
        &["scan", "/", "--format", "xml"],
    ] {
        let r = run(args);
        assert_eq!(r.status, Some(2), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("invalid value"), "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty());
    }
}

#[test]
fn completions_know_subcommands_and_values() {
    let r = run(&["completions", "bash"]);
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    let script = r.stdout_str();
    assert!(script.contains("complete -F"), "{script}");
    for word in ["scan", "keys", "--fail-on", "critical", "rpm-ndb", "jsonl"] {
        assert!(
            script.contains(word),
            "{word} missing from the bash completion"
        );
    }
    for shell in ["zsh", "fish"] {
        let r = run(&["completions", shell]);
        assert_eq!(r.status, Some(0), "{shell}: {}", r.stderr);
        assert!(r.stdout_str().contains("require-signatures"), "{shell}");
    }
}

#[test]
fn man_page_is_roff() {
    let r = run(&["man"]);
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    let page = r.stdout_str();
    assert!(
        page.starts_with(".ie") || page.contains(".TH rootaudit"),
        "{page}"
    );
    assert!(page.contains(".TH rootaudit"), "{page}");
    assert!(page.contains("scan"), "{page}");
}

/// `rootaudit scan R | head -1`: the reader goes away before the report is
/// written; the exit status still says findings were made.
#[test]
fn a_closed_pipe_keeps_the_exit_status() {
    require_tools!();
    let pkg = PkgSpec::new("ra-pipe")
        .entry(FileEntry::file("/usr/share/ra-pipe/a", "a\n"))
        .build();
    let root = TestRoot::new();
    root.install(&[&pkg]);
    root.remove("/usr/share/ra-pipe/a");
    for format in ["text", "json", "jsonl"] {
        let mut child = rootaudit_cmd(root.path())
            .args(["--format", format])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader is gone before any output
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{format}: a closed pipe is not an error to print"
        );
    }
}

/// The scan's sandbox, probed from inside: ROOT readable but not writable,
/// no connect, no exec; the private temporary directory writable, and gone
/// afterwards (rootaudit 9).
#[test]
fn the_sandbox_confines_the_scan() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    let tmp = t.path().join("tmp");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/keep"), "keep me\n").unwrap();
    std::fs::create_dir_all(&tmp).unwrap();
    let r = run_with_timeout(
        Command::new(ROOTAUDIT)
            .arg("sandbox-check")
            .arg(&root)
            .env("TMPDIR", &tmp),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    let out = r.stdout_str();
    let get = |k: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{k} ")))
            .unwrap_or_else(|| panic!("no {k} line:\n{out}"))
            .to_string()
    };
    assert!(get("connect").starts_with("denied"), "{out}");
    assert!(get("exec").starts_with("denied"), "{out}");
    assert_eq!(get("read-root"), "allowed", "{out}");
    assert_eq!(get("write-tmp"), "allowed", "{out}");
    if get("sandbox").starts_with("no landlock") {
        eprintln!("this kernel has no Landlock; the report says so: {out}");
    } else {
        assert!(get("write-root").starts_with("denied"), "{out}");
        assert!(get("write-host").starts_with("denied"), "{out}");
        assert!(get("truncate-root").starts_with("denied"), "{out}");
        assert!(!root.join("rootaudit-sandbox-probe").exists());
        assert_eq!(std::fs::read(root.join("etc/keep")).unwrap(), b"keep me\n");
    }
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

/// The report says how the scan was confined: JSON always, text only when
/// the sandbox is not fully active.
#[test]
fn the_report_says_whether_the_sandbox_was_active() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    std::fs::create_dir_all(r.join("var/lib/dpkg/info")).unwrap();
    std::fs::create_dir_all(r.join("etc")).unwrap();
    std::fs::write(r.join("var/lib/dpkg/status"), "").unwrap();
    let json = run_with_timeout(rootaudit_cmd(r).args(["--format", "json"]), COMMAND_TIMEOUT);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(doc["sandbox"]["active"].is_boolean(), "{doc}");
    assert!(
        doc["sandbox"]["description"]
            .as_str()
            .unwrap()
            .contains("seccomp")
    );
    let off = run_with_timeout(rootaudit_cmd(r).arg("--no-sandbox"), COMMAND_TIMEOUT);
    assert!(
        off.stdout_str()
            .lines()
            .any(|l| l == "sandbox: not fully active: off (--no-sandbox)"),
        "{}",
        off.stdout_str()
    );
}
