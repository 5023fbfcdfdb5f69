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
