//! The TUI end to end, in a real terminal (tmux `send-keys` and
//! `capture-pane`): on a fixture root with known findings the finished
//! list appears, a filter finds the changed file, its details show what
//! differs and the package's postinst, a reason accepts it, and the signed
//! waiver file then makes `scan` treat it as accepted (exit 1 → 0); a
//! tampered waiver file is refused. Under `TERM=linux` no byte outside
//! ASCII reaches the screen. A saved report opens with `--report`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::*;

/// A dpkg root: package `app` owns two files; one is edited (a known
/// `file-changed`, high), and the package has a postinst.
fn fixture() -> TestRoot {
    let root = TestRoot::bare();
    let put = |p: &str, content: &[u8]| {
        let host = root.join(p);
        std::fs::create_dir_all(host.parent().unwrap()).unwrap();
        std::fs::write(host, content).unwrap();
    };
    put(
        "/var/lib/dpkg/status",
        b"Package: app\nStatus: install ok installed\nVersion: 1.0\nArchitecture: all\n\
          Maintainer: nobody\nDescription: fixture\n\n",
    );
    put(
        "/var/lib/dpkg/info/app.list",
        b"/.\n/usr\n/usr/share\n/usr/share/app\n/usr/share/app/data.txt\n/usr/share/app/keep.txt\n",
    );
    put(
        "/var/lib/dpkg/info/app.postinst",
        b"#!/bin/sh\nset -e\necho configured-app-marker\n",
    );
    put("/usr/share/app/data.txt", b"edited\n");
    put("/usr/share/app/keep.txt", b"keep\n");
    let md5 = |data: &[u8]| {
        use md5::Digest;
        hex::encode(md5::Md5::digest(data))
    };
    put(
        "/var/lib/dpkg/info/app.md5sums",
        format!(
            "{}  usr/share/app/data.txt\n{}  usr/share/app/keep.txt\n",
            md5(b"packaged\n"),
            md5(b"keep\n")
        )
        .as_bytes(),
    );
    root
}

struct Tmux {
    name: String,
}

impl Tmux {
    fn start(name: &str, cmd: &str, cols: u16, rows: u16) -> Tmux {
        // A server of its own per test: tests run in parallel.
        let _ = Command::new("tmux")
            .args(["-L", name, "kill-server"])
            .status();
        let ok = Command::new("tmux")
            .args([
                "-L",
                name,
                "new-session",
                "-d",
                "-s",
                name,
                "-x",
                &cols.to_string(),
                "-y",
                &rows.to_string(),
            ])
            .arg(format!("{cmd}; echo EXIT=$?; sleep 600"))
            .status()
            .unwrap();
        assert!(ok.success(), "tmux new-session");
        Tmux { name: name.into() }
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            let ok = Command::new("tmux")
                .args(["-L", &self.name, "send-keys", "-t", &self.name, k])
                .status()
                .unwrap();
            assert!(ok.success());
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn text(&self, text: &str) {
        let ok = Command::new("tmux")
            .args(["-L", &self.name, "send-keys", "-t", &self.name, "-l", text])
            .status()
            .unwrap();
        assert!(ok.success());
        std::thread::sleep(Duration::from_millis(150));
    }

    fn screen(&self) -> Vec<u8> {
        Command::new("tmux")
            .args(["-L", &self.name, "capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap()
            .stdout
    }

    /// Wait until the screen shows `what` (or fail, showing the screen).
    fn wait_for(&self, what: &str) -> String {
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            let s = String::from_utf8_lossy(&self.screen()).into_owned();
            if s.contains(what) {
                return s;
            }
            if Instant::now() > until {
                panic!("timed out waiting for {what:?}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.name, "kill-server"])
            .status();
    }
}

fn keygen(dir: &Path) {
    let out = Command::new(ROOTAUDIT)
        .args(["keygen", "--no-password", "-p"])
        .arg(dir.join("w.pub"))
        .arg("-s")
        .arg(dir.join("w.key"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn shell_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

#[test]
fn triage_accept_then_scan_honours_the_signed_waiver() {
    if !missing_tools(&["tmux"]).is_empty() {
        eprintln!("SKIPPING: tmux absent");
        return;
    }
    let root = fixture();
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path());
    let waivers = dir.path().join("waivers.json");
    let (pubkey, seckey) = (dir.path().join("w.pub"), dir.path().join("w.key"));
    // Before: the edited file fails the scan.
    let before = Command::new(ROOTAUDIT)
        .arg("scan")
        .arg(root.path())
        .output()
        .unwrap();
    assert_eq!(
        before.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&before.stdout)
    );

    let cmd = format!(
        "{} tui {} --waivers {} --waiver-key {} --sign-key {}",
        shell_quote(Path::new(ROOTAUDIT)),
        shell_quote(root.path()),
        shell_quote(&waivers),
        shell_quote(&pubkey),
        shell_quote(&seckey)
    );
    let t = Tmux::start("rootaudit-e2e", &cmd, 100, 30);
    t.wait_for("scan complete");
    t.wait_for("data.txt");
    t.keys(&["/"]);
    t.text("data.txt");
    t.keys(&["Enter", "Enter"]);
    let detail = t.wait_for("content digest differs");
    assert!(
        detail.contains("configured-app-marker"),
        "postinst shown:\n{detail}"
    );
    t.keys(&["a"]);
    t.text("edited by the admin, ticket 7");
    t.keys(&["Enter"]);
    t.wait_for("signed into");
    t.keys(&["Escape", "q"]);
    let end = t.wait_for("EXIT=");
    assert!(end.contains("1 accepted"), "{end}");
    assert!(end.contains("EXIT=0"), "{end}");
    drop(t);

    // A second session starts from the signed file: the finding shows
    // accepted at once.
    let t = Tmux::start("rootaudit-e2e-again", &cmd, 100, 30);
    t.wait_for("scan complete");
    let s = t.wait_for("1 accepted");
    assert!(s.contains("data.txt"), "{s}");
    t.keys(&["q"]);
    let end = t.wait_for("EXIT=");
    assert!(end.contains("EXIT=0"), "{end}");
    drop(t);

    // The scan applies the signed decision.
    let after = Command::new(ROOTAUDIT)
        .arg("scan")
        .arg(root.path())
        .args(["--format", "json", "--waivers"])
        .arg(&waivers)
        .arg("--waiver-key")
        .arg(&pubkey)
        .output()
        .unwrap();
    assert_eq!(
        after.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&after.stderr)
    );
    let report: Value = serde_json::from_slice(&after.stdout).unwrap();
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "/usr/share/app/data.txt")
        .expect("the finding is still reported");
    assert_eq!(f["decision"]["verdict"], "accepted");
    assert_eq!(f["decision"]["reason"], "edited by the admin, ticket 7");

    // The stock tool checks the waiver file too.
    if missing_tools(&["minisign"]).is_empty() {
        let ok = Command::new("minisign")
            .arg("-Vm")
            .arg(&waivers)
            .arg("-p")
            .arg(&pubkey)
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
    }

    // One changed byte: refused, clearly.
    let mut bytes = std::fs::read(&waivers).unwrap();
    let at = bytes.windows(6).position(|w| w == b"ticket").unwrap();
    bytes[at] = b'T';
    std::fs::write(&waivers, &bytes).unwrap();
    let tampered = Command::new(ROOTAUDIT)
        .arg("scan")
        .arg(root.path())
        .arg("--waivers")
        .arg(&waivers)
        .arg("--waiver-key")
        .arg(&pubkey)
        .output()
        .unwrap();
    assert_eq!(tampered.status.code(), Some(2));
    let err = String::from_utf8_lossy(&tampered.stderr);
    assert!(err.contains("signature"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn linux_console_gets_ascii_only_and_a_saved_report_opens() {
    if !missing_tools(&["tmux"]).is_empty() {
        eprintln!("SKIPPING: tmux absent");
        return;
    }
    let root = fixture();
    // A hostile name and a non-ASCII one, for the screen to escape.
    std::fs::write(
        root.join("/usr/share/app/\x1b]0;pwn\x07\u{e9}t\u{e9}"),
        b"x",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let out = Command::new(ROOTAUDIT)
        .arg("scan")
        .arg(root.path())
        .args(["--format", "json", "--verbose", "-o"])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cmd = format!(
        "env TERM=linux {} tui --report {}",
        shell_quote(Path::new(ROOTAUDIT)),
        shell_quote(&report)
    );
    let t = Tmux::start("rootaudit-e2e-ascii", &cmd, 80, 24);
    let s = t.wait_for("report");
    t.wait_for("data.txt");
    t.keys(&["Tab"]);
    std::thread::sleep(Duration::from_millis(300));
    for screen in [s.into_bytes(), t.screen()] {
        assert!(
            screen.iter().all(|b| b.is_ascii()),
            "non-ASCII on a Linux console:\n{}",
            String::from_utf8_lossy(&screen)
        );
        assert!(!screen.contains(&0x1b));
    }
    let s = String::from_utf8_lossy(&t.screen()).into_owned();
    assert!(s.contains("\\x1b]0;pwn\\x07"), "{s}");
    t.keys(&["q"]);
    let end = t.wait_for("EXIT=");
    assert!(end.contains("EXIT=1"), "{end}");
}

/// The waiver file is written by the TUI: it is refused inside the audited
/// root (before any terminal is needed), and nothing is created there.
#[test]
fn waiver_file_inside_root_is_refused() {
    let root = fixture();
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path());
    let inside = root.join("/etc/waivers.json");
    let out = Command::new(ROOTAUDIT)
        .arg("tui")
        .arg(root.path())
        .arg("--waivers")
        .arg(&inside)
        .arg("--waiver-key")
        .arg(dir.path().join("w.pub"))
        .arg("--sign-key")
        .arg(dir.path().join("w.key"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to write the waiver file into the audited root"),
        "{err}"
    );
    assert!(!inside.exists());
}

/// The history options belong to `scan`: the TUI refuses them rather than
/// ignore them (and writes no state file).
#[test]
fn history_options_are_refused_not_ignored() {
    let root = fixture();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.sqlite");
    for extra in [
        vec!["--state".to_string(), state.display().to_string()],
        vec!["--new-only".to_string()],
        vec!["--wait".to_string()],
    ] {
        let out = Command::new(ROOTAUDIT)
            .arg("tui")
            .arg(root.path())
            .args(&extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("are for scheduled scans"), "{extra:?}: {err}");
    }
    assert!(!state.exists());
}
