//! Signed reports ("rootaudit 8"): `scan --output R --sign-key K` writes
//! `R.minisig`, which stock `minisign -Vm R -p PUB` (the oracle) and
//! `rootaudit verify-report` both accept, with the trusted comment
//! rootaudit wrote (`rootaudit-report host=… root=… scan=… time=…`); one
//! changed byte of the report (or of the trusted comment) fails both;
//! keys from `rootaudit keygen` (plain or encrypted, with
//! `--password-file`) and from stock `minisign -G -W` sign alike;
//! `--sign-key` without `--output` is refused (exit 2).

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use rootaudit::sign::{ReportComment, SecretKey};
use serde_json::Value;

use crate::ecs::{check_ecs, dpkg_fixture};
use crate::util::*;

/// Held while an encrypted key's 1 GiB scrypt runs (at most one here).
static HEAVY: Mutex<()> = Mutex::new(());

/// True when stock `minisign` is installed. Without it a developer run
/// skips with a note; a CI run (`CI` set) fails.
fn minisign_available() -> bool {
    if missing_tools(&["minisign"]).is_empty() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("minisign missing in CI: run scripts/test-deps first");
    }
    eprintln!("SKIPPING: minisign is not installed (scripts/test-deps)");
    false
}

/// Keys and reports, outside the target.
struct Desk {
    dir: tempfile::TempDir,
}

impl Desk {
    fn new() -> Desk {
        Desk {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn at(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `rootaudit keygen --no-password`: (public, secret).
    fn keygen(&self) -> (PathBuf, PathBuf) {
        let (p, s) = (self.at("k.pub"), self.at("k.key"));
        run_ok(
            Command::new(ROOTAUDIT)
                .args(["keygen", "--no-password", "-p"])
                .arg(&p)
                .arg("-s")
                .arg(&s),
        );
        (p, s)
    }
}

fn sig_of(report: &Path) -> PathBuf {
    let mut s = report.as_os_str().to_owned();
    s.push(".minisig");
    PathBuf::from(s)
}

/// `rootaudit scan ROOT --format FORMAT --output REPORT --sign-key KEY
/// EXTRA…`, which must exit 0 or 1 (findings).
fn signed_scan(root: &Path, format: &str, report: &Path, key: &Path, extra: &[&str]) -> Run {
    let r = run_with_timeout(
        rootaudit_cmd(root)
            .args(["--format", format, "--output"])
            .arg(report)
            .arg("--sign-key")
            .arg(key)
            .args(extra),
        COMMAND_TIMEOUT,
    );
    assert!(
        matches!(r.status, Some(0 | 1)),
        "scan failed ({:?}): {}",
        r.status,
        r.stderr
    );
    r
}

/// `minisign -Vm REPORT -p PUB`.
fn minisign_verify(report: &Path, public: &Path) -> Run {
    run_with_timeout(
        Command::new("minisign")
            .arg("-Vm")
            .arg(report)
            .arg("-p")
            .arg(public),
        COMMAND_TIMEOUT,
    )
}

/// `rootaudit verify-report REPORT --key PUB EXTRA…`.
fn verify_report(report: &Path, public: &Path, extra: &[&str]) -> Run {
    run_with_timeout(
        Command::new(ROOTAUDIT)
            .arg("verify-report")
            .arg(report)
            .arg("--key")
            .arg(public)
            .args(extra),
        COMMAND_TIMEOUT,
    )
}

/// The value of the `PREFIX` line of an output.
fn line_after(out: &str, prefix: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} line in {out:?}"))
        .to_string()
}

/// Both verifiers accept `report`; returns the trusted comment, checked to
/// be the same in both and to describe a report of `root`.
fn verifies_with_both(report: &Path, public: &Path, root: &Path) -> ReportComment {
    let m = minisign_verify(report, public);
    assert_eq!(
        m.status,
        Some(0),
        "minisign: {}{}",
        m.stdout_str(),
        m.stderr
    );
    let from_minisign = line_after(&m.stdout_str(), "Trusted comment: ");
    let r = verify_report(report, public, &[]);
    assert_eq!(r.status, Some(0), "verify-report: {}", r.stderr);
    let out = r.stdout_str();
    assert!(out.starts_with("verified: "), "{out}");
    // Printed as rootaudit wrote it (nothing to escape in this comment).
    assert_eq!(line_after(&out, "trusted comment: "), from_minisign);
    let c = ReportComment::parse(&from_minisign).unwrap();
    assert_eq!(c.root, root.as_os_str().as_bytes(), "{from_minisign}");
    assert!(
        c.scan.len() == 16 && c.scan.iter().all(u8::is_ascii_hexdigit),
        "{from_minisign}"
    );
    assert!(!c.host.is_empty(), "{from_minisign}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(c.time <= now && now - c.time < 600, "{from_minisign}");
    // The parsed lines.
    assert_eq!(
        line_after(&out, "scan: ").as_bytes(),
        c.scan.as_slice(),
        "{out}"
    );
    assert_eq!(
        line_after(&out, "host: ").as_bytes(),
        c.host.as_slice(),
        "{out}"
    );
    let time = line_after(&out, "time: ");
    assert!(
        time.ends_with(&format!("Z ({})", c.time)) && time.as_bytes()[10] == b'T',
        "{time}"
    );
    c
}

/// Flip one bit of the byte at `at` (negative: from the end).
fn flip(file: &Path, at: isize) {
    let mut data = std::fs::read(file).unwrap();
    let i = if at < 0 {
        data.len() - at.unsigned_abs()
    } else {
        at as usize
    };
    data[i] ^= 0x01;
    std::fs::write(file, data).unwrap();
}

#[test]
fn a_signed_report_verifies_with_minisign_and_verify_report() {
    if !minisign_available() {
        return;
    }
    let root = dpkg_fixture();
    let desk = Desk::new();
    let (public, secret) = desk.keygen();
    let report = desk.at("report.json");
    let r = signed_scan(root.path(), "json", &report, &secret, &[]);
    assert_eq!(r.status, Some(1), "findings: {}", r.stderr);
    assert!(sig_of(&report).is_file());
    let json: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(json["schema"], 2);
    let c = verifies_with_both(&report, &public, root.path());
    let sig = std::fs::read_to_string(sig_of(&report)).unwrap();
    assert!(
        sig.starts_with("untrusted comment: signature from rootaudit secret key "),
        "{sig}"
    );
    assert_eq!(
        sig.lines().nth(2).unwrap(),
        format!("trusted comment: {}", c.render())
    );

    // JSON Lines (and any other format) are signed the same way.
    let lines = desk.at("findings.jsonl");
    signed_scan(root.path(), "jsonl", &lines, &secret, &[]);
    verifies_with_both(&lines, &public, root.path());
    let parsed: Vec<Value> = std::fs::read_to_string(&lines)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (_, scan) = check_ecs(&parsed);
    let c = ReportComment::parse(&line_after(
        &verify_report(&lines, &public, &[]).stdout_str(),
        "trusted comment: ",
    ))
    .unwrap();
    // The report's own scan id is the one the signature binds.
    assert_eq!(
        scan["rootaudit"]["scan_id"].as_str().unwrap().as_bytes(),
        c.scan.as_slice()
    );
}

#[test]
fn one_changed_byte_fails_both() {
    if !minisign_available() {
        return;
    }
    let root = dpkg_fixture();
    let desk = Desk::new();
    let (public, secret) = desk.keygen();
    let report = desk.at("report.json");
    signed_scan(root.path(), "json", &report, &secret, &[]);
    let good = std::fs::read(&report).unwrap();
    let good_sig = std::fs::read(sig_of(&report)).unwrap();

    for at in [0, good.len() as isize / 2, -1] {
        flip(&report, at);
        let m = minisign_verify(&report, &public);
        assert_eq!(
            m.status,
            Some(1),
            "minisign accepted a changed byte at {at}"
        );
        let r = verify_report(&report, &public, &[]);
        assert_eq!(r.status, Some(1), "{}", r.stderr);
        assert!(
            r.stdout.is_empty(),
            "nothing vouched for: {}",
            r.stdout_str()
        );
        assert!(r.stderr.contains("report.json"), "{}", r.stderr);
        assert!(r.stderr.contains("does NOT verify"), "{}", r.stderr);
        std::fs::write(&report, &good).unwrap();
    }

    // A changed trusted comment fails the global signature.
    let sig = String::from_utf8(good_sig.clone()).unwrap();
    let forged = sig.replace(" time=", " time=1");
    assert_ne!(forged, sig);
    std::fs::write(sig_of(&report), forged).unwrap();
    assert_eq!(minisign_verify(&report, &public).status, Some(1));
    assert_eq!(verify_report(&report, &public, &[]).status, Some(1));
    std::fs::write(sig_of(&report), &good_sig).unwrap();
    verifies_with_both(&report, &public, root.path());

    // Another key: 1. No signature, unreadable key or report: 2.
    let other = Desk::new();
    let (other_public, _) = other.keygen();
    let r = verify_report(&report, &other_public, &[]);
    assert_eq!(r.status, Some(1), "{}", r.stderr);
    let r = verify_report(&report, &public, &["--sig", "/nonexistent.minisig"]);
    assert_eq!(r.status, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("no signature"), "{}", r.stderr);
    let r = verify_report(&desk.at("absent.json"), &public, &[]);
    assert_eq!(r.status, Some(2), "{}", r.stderr);
    let r = verify_report(&report, &desk.at("absent.pub"), &[]);
    assert_eq!(r.status, Some(2), "{}", r.stderr);
    // --sig names the signature elsewhere.
    let moved = desk.at("elsewhere.sig");
    std::fs::rename(sig_of(&report), &moved).unwrap();
    let r = verify_report(&report, &public, &["--sig", moved.to_str().unwrap()]);
    assert_eq!(r.status, Some(0), "{}", r.stderr);
}

#[test]
fn a_signature_of_another_purpose_is_not_a_report() {
    let desk = Desk::new();
    let sk = SecretKey::generate().unwrap();
    let public = desk.at("k.pub");
    std::fs::write(&public, sk.public_key().to_file_text("test key")).unwrap();
    let report = desk.at("report.json");
    std::fs::write(&report, b"{}\n").unwrap();
    // A waiver file's signature (same key) offered as a report's.
    let sig = sk
        .sign(
            b"{}\n",
            "x",
            "rootaudit-waivers host=h root=/ written=1 sha256=00",
        )
        .unwrap();
    std::fs::write(sig_of(&report), sig).unwrap();
    let r = verify_report(&report, &public, &[]);
    assert_eq!(r.status, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("rootaudit-report"), "{}", r.stderr);
    // A comment that would reorder the terminal's text (minisign refuses
    // control characters, not bidirectional overrides) is printed escaped.
    let sig = sk
        .sign(
            b"{}\n",
            "x",
            "rootaudit-report host=a\u{202e}gnp.exe root=/ scan=1 time=1",
        )
        .unwrap();
    std::fs::write(sig_of(&report), sig).unwrap();
    let r = verify_report(&report, &public, &[]);
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    let out = r.stdout_str();
    assert!(out.contains("host=a\\u{202e}gnp.exe"), "{out}");
    assert!(out.contains("\nhost: a\\u{202e}gnp.exe\n"), "{out}");
    assert!(!out.contains('\u{202e}'), "{out}");
}

#[test]
fn a_key_made_by_stock_minisign_signs_reports() {
    if !minisign_available() {
        return;
    }
    let root = dpkg_fixture();
    let desk = Desk::new();
    let (public, secret) = (desk.at("m.pub"), desk.at("m.key"));
    let r = run_with_input(
        Command::new("minisign")
            .args(["-G", "-W", "-p"])
            .arg(&public)
            .arg("-s")
            .arg(&secret)
            .env("HOME", desk.dir.path()),
        Some(b""),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(0), "minisign -G -W: {}", r.stderr);
    let report = desk.at("report.txt");
    signed_scan(root.path(), "text", &report, &secret, &[]);
    verifies_with_both(&report, &public, root.path());
}

#[test]
fn an_encrypted_key_signs_with_its_password_file() {
    let _heavy = HEAVY.lock().unwrap_or_else(|e| e.into_inner());
    let root = dpkg_fixture();
    let desk = Desk::new();
    let (public, secret, password) = (desk.at("e.pub"), desk.at("e.key"), desk.at("pw"));
    std::fs::write(&password, "correct horse battery staple\n").unwrap();
    run_ok(
        Command::new(ROOTAUDIT)
            .args(["keygen", "-p"])
            .arg(&public)
            .arg("-s")
            .arg(&secret)
            .arg("--password-file")
            .arg(&password),
    );
    let report = desk.at("report.json");
    let pw = password.to_str().unwrap();
    signed_scan(
        root.path(),
        "json",
        &report,
        &secret,
        &["--password-file", pw],
    );
    let r = verify_report(&report, &public, &[]);
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    if minisign_available() {
        assert_eq!(minisign_verify(&report, &public).status, Some(0));
    }

    // A wrong passphrase: exit 2 before any scan, no signature written.
    let wrong = desk.at("wrong");
    std::fs::write(&wrong, "incorrect horse\n").unwrap();
    let other = desk.at("other.json");
    let r = run_with_timeout(
        rootaudit_cmd(root.path())
            .args(["--format", "json", "--output"])
            .arg(&other)
            .arg("--sign-key")
            .arg(&secret)
            .arg("--password-file")
            .arg(&wrong),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("wrong password"), "{}", r.stderr);
    assert!(!sig_of(&other).exists());
}

#[test]
fn sign_key_without_output_is_refused() {
    let root = dpkg_fixture();
    let desk = Desk::new();
    let (_, secret) = desk.keygen();
    let r = run_with_timeout(
        rootaudit_cmd(root.path()).arg("--sign-key").arg(&secret),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("--output"), "{}", r.stderr);
    assert!(r.stdout.is_empty(), "no report: {}", r.stdout_str());
}
