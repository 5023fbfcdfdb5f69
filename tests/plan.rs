//! The remediation plan run for real: files with hostile names in a
//! throw-away root are quarantined by the generated script, byte for byte,
//! and nothing else happens (`src/output/plan.rs`).

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rootaudit::model::{About, Evidence, Finding, FindingKind, Severity};
use rootaudit::output::plan::{GUARD, PlanContext, PlanEntry, write_plan};

/// Names that would run a command if a plan ever left them unquoted: each
/// tries to delete the canary or to create `pwned`.
const HOSTILE: &[&[u8]] = &[
    b"'; rm -f canary #",
    b"'$(rm -f canary)'",
    b"$(rm -f canary)",
    b"`rm -f canary`",
    b"x\nrm -f canary\n",
    b"\" ; touch pwned ; \"",
    b"\x1b]0;owned\x07\x1b[2J",
    b"bad\xff\xfe\x80utf8",
    b"-rf *",
    b"glob*?[a]",
    b"back\\slash\\x41",
    b"it's",
    b"  spaced  ",
    b"\r\t\x7f\x01",
    "rtl\u{202e}txt.exe".as_bytes(),
    b"%q%s%n",
];

const FOLDER: &str = "usr/lib/h";

fn name_path(dir: &Path, name: &[u8]) -> PathBuf {
    dir.join(OsStr::from_bytes(name))
}

fn finding(kind: FindingKind, path: &[u8]) -> PlanEntry {
    PlanEntry::from(&Finding::new(
        kind,
        Severity::High,
        About::path(path),
        Evidence::Missing {
            flags: Default::default(),
        },
    ))
}

fn plan(root: &Path, entries: &[PlanEntry]) -> String {
    let ctx = PlanContext {
        root: root.as_os_str().as_bytes().to_vec(),
        db_format: "rpm-sqlite".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        date: "2025-01-02".into(),
    };
    let mut out = Vec::new();
    write_plan(&ctx, entries, &mut out).unwrap();
    let text = String::from_utf8(out).expect("a plan is ASCII");
    assert!(
        text.bytes()
            .all(|b| b == b'\n' || (0x20..0x7f).contains(&b))
    );
    text
}

/// Every path under `dir`, relative, with its content for files.
fn tree(dir: &Path) -> BTreeSet<(Vec<u8>, Option<Vec<u8>>)> {
    let mut out = BTreeSet::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(dir).unwrap().as_os_str().as_bytes().to_vec();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                todo.push(p);
                out.insert((rel, None));
            } else {
                out.insert((rel, Some(std::fs::read(&p).unwrap_or_default())));
            }
        }
    }
    out
}

fn run(dir: &Path, script: &str) -> Output {
    let file = dir.join("plan.sh");
    std::fs::write(&file, script).unwrap();
    Command::new("bash")
        .arg("plan.sh")
        .current_dir(dir)
        .env("QUARANTINE", "q")
        .output()
        .unwrap()
}

fn bash_available() -> bool {
    Command::new("bash").arg("-c").arg("true").status().is_ok()
}

#[test]
fn plan_quarantines_hostile_names_exactly_and_runs_nothing_else() {
    if !bash_available() {
        eprintln!("skipped: no bash");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let root = dir.join("root");
    let folder = root.join(FOLDER);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(dir.join("canary"), b"alive").unwrap();
    let mut entries = Vec::new();
    for name in HOSTILE {
        std::fs::write(name_path(&folder, name), name).unwrap();
        let mut inside = format!("/{FOLDER}/").into_bytes();
        inside.extend_from_slice(name);
        entries.push(finding(FindingKind::UnownedFile, &inside));
    }
    let script = plan(&root, &entries);
    assert!(
        !script.contains("rpm --root"),
        "no reinstall part: {script}"
    );
    let before = tree(dir);

    // With its guard, the plan does nothing at all.
    let out = run(dir, &script);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    std::fs::remove_file(dir.join("plan.sh")).unwrap();
    assert_eq!(tree(dir), before);

    // Reviewed (guard deleted), it moves each file and does nothing else.
    let guard = format!("{GUARD}\n");
    assert_eq!(script.matches(&guard).count(), 1);
    let reviewed = script.replace(&guard, "");
    let out = run(dir, &reviewed);
    assert!(
        out.status.success(),
        "plan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_file(dir.join("plan.sh")).unwrap();

    let mut want: BTreeSet<(Vec<u8>, Option<Vec<u8>>)> = BTreeSet::new();
    want.insert((b"canary".to_vec(), Some(b"alive".to_vec())));
    for d in ["root", "root/usr", "root/usr/lib", "root/usr/lib/h"] {
        want.insert((d.as_bytes().to_vec(), None));
    }
    for d in ["q", "q/usr", "q/usr/lib", "q/usr/lib/h"] {
        want.insert((d.as_bytes().to_vec(), None));
    }
    for name in HOSTILE {
        let mut rel = b"q/usr/lib/h/".to_vec();
        rel.extend_from_slice(name);
        want.insert((rel, Some(name.to_vec())));
    }
    assert_eq!(tree(dir), want);
    // Each file printed once as moved, in bash's own quoting.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("quarantined ").count(), HOSTILE.len());

    // Run again: every file is already gone; nothing changes.
    let out = run(dir, &reviewed);
    assert!(out.status.success());
    std::fs::remove_file(dir.join("plan.sh")).unwrap();
    assert_eq!(tree(dir), want);
}

/// A symbolic link among the folders inside ROOT would lead the move out
/// of ROOT: the plan stops there and moves nothing.
#[test]
fn plan_stops_at_a_symlinked_folder_inside_root() {
    if !bash_available() {
        eprintln!("skipped: no bash");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let root = dir.join("root");
    std::fs::create_dir_all(root.join("usr/lib")).unwrap();
    std::fs::create_dir_all(dir.join("host/etc")).unwrap();
    std::fs::write(dir.join("host/etc/shadow"), b"host secret").unwrap();
    // Absolute, as an attacker would plant it: `/usr/lib/up` -> host.
    symlink(dir.join("host"), root.join("usr/lib/up")).unwrap();
    let script = plan(
        &root,
        &[finding(FindingKind::UnownedFile, b"/usr/lib/up/etc/shadow")],
    );
    let before = tree(dir);
    let out = run(dir, &script.replace(&format!("{GUARD}\n"), ""));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a plain folder"));
    std::fs::remove_file(dir.join("plan.sh")).unwrap();
    let mut after = tree(dir);
    // Only the (empty) quarantine folder itself was made.
    assert!(after.remove(&(b"q".to_vec(), None)));
    assert_eq!(after, before);
}

/// `bash -n` (and shellcheck, when installed) accept a plan with every
/// part in it.
#[test]
fn full_plan_parses() {
    if !bash_available() {
        eprintln!("skipped: no bash");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut entries: Vec<PlanEntry> = HOSTILE
        .iter()
        .map(|n| {
            let mut p = b"/usr/lib/".to_vec();
            p.extend_from_slice(n);
            finding(FindingKind::StartupHook, &p)
        })
        .collect();
    entries.push(finding(FindingKind::CheckIncomplete, b"/etc/passwd"));
    for format in ["rpm-sqlite", "dpkg"] {
        let mut ctx_entries = entries.clone();
        let pkg = rootaudit::model::PackageRef {
            record: 1,
            name: "bash".into(),
            epoch: Some(1),
            version: "5.2.15".into(),
            release: "2".into(),
            arch: Some("x86_64".into()),
        };
        let f = Finding::new(
            FindingKind::FileChanged,
            Severity::High,
            About::package(pkg).at("/usr/bin/bash"),
            Evidence::Missing {
                flags: Default::default(),
            },
        );
        ctx_entries.push(PlanEntry::from(&f));
        let ctx = PlanContext {
            root: b"/mnt/sysimage".to_vec(),
            db_format: format.into(),
            tool_version: "0".into(),
            date: "d".into(),
        };
        let mut out = Vec::new();
        write_plan(&ctx, &ctx_entries, &mut out).unwrap();
        let file = tmp.path().join(format!("{format}.sh"));
        std::fs::write(&file, &out).unwrap();
        let n = Command::new("bash").arg("-n").arg(&file).output().unwrap();
        assert!(n.status.success(), "{}", String::from_utf8_lossy(&n.stderr));
        if let Ok(sc) = Command::new("shellcheck").arg(&file).output() {
            assert!(
                sc.status.success(),
                "{}",
                String::from_utf8_lossy(&sc.stdout)
            );
        }
    }
}
