//! Waivers through the binary: a signed waiver file accepts a known
//! `file-changed` finding (exit 1 → 0, the decision in the report); the
//! file is checkable with stock minisign and a file signed by stock
//! minisign is accepted; a changed byte, another key, a missing signature
//! or another purpose is exit 2 with one clear line; a waiver stops
//! applying when the file changes again or the waiver expires; a flagged
//! finding still fails the scan.

use std::path::{Path, PathBuf};
use std::process::Command;

use rootaudit::model::{Bytes, Decision, FindingKind, Verdict};
use rootaudit::sign::SecretKey;
use rootaudit::waiver::{Subject, TrustedComment, WaiverFile, signature_path};
use serde_json::Value;

use crate::util::*;

/// The packaged file the fixture changes.
const DATA: &str = "/usr/share/app/data.txt";

/// A root with a dpkg database in which package `app` owns [`DATA`] with
/// an md5sum of `packaged\n`, and [`DATA`] holding `edited\n`: one known
/// `file-changed` finding (high).
fn fixture() -> TestRoot {
    let root = TestRoot::bare();
    let put = |p: &str, content: &str| {
        let host = root.join(p);
        std::fs::create_dir_all(host.parent().unwrap()).unwrap();
        std::fs::write(host, content).unwrap();
    };
    put(
        "/var/lib/dpkg/status",
        "Package: app\nStatus: install ok installed\nVersion: 1.0\nArchitecture: all\n\
         Maintainer: nobody\nDescription: fixture\n\n",
    );
    put(
        "/var/lib/dpkg/info/app.list",
        &format!("/.\n/usr\n/usr/share\n/usr/share/app\n{DATA}\n"),
    );
    let md5 = {
        use md5::Digest as _;
        hex::encode(md5::Md5::digest(b"packaged\n"))
    };
    put(
        "/var/lib/dpkg/info/app.md5sums",
        &format!("{md5}  {}\n", DATA.trim_start_matches('/')),
    );
    put(DATA, "edited\n");
    root
}

/// Keys and waiver files, outside the target.
struct Keys {
    dir: tempfile::TempDir,
    sk: SecretKey,
}

impl Keys {
    fn new() -> Keys {
        Keys {
            dir: tempfile::tempdir().unwrap(),
            sk: SecretKey::generate().unwrap(),
        }
    }

    /// The public key as a minisign `.pub` file.
    fn public_file(&self) -> PathBuf {
        let p = self.dir.path().join("waivers.pub");
        let text = format!(
            "untrusted comment: rootaudit test key\n{}\n",
            self.sk.public_key().to_base64()
        );
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Where the waiver file goes.
    fn waivers(&self) -> PathBuf {
        self.dir.path().join("waivers.json")
    }
}

fn scan_args(waivers: &Path, key: &Path) -> Vec<String> {
    vec![
        "--checks".into(),
        "files".into(),
        "--waivers".into(),
        waivers.display().to_string(),
        "--waiver-key".into(),
        key.display().to_string(),
    ]
}

/// `scan ROOT --format json ARGS…` (any exit status).
fn scan(root: &TestRoot, args: &[String]) -> Run {
    run_with_timeout(
        rootaudit_cmd(root.path())
            .args(["--format", "json"])
            .args(args),
        COMMAND_TIMEOUT,
    )
}

/// The one `file-changed` finding of a report.
fn the_finding(audit: &Audit) -> Value {
    let fs = audit.findings_for(DATA);
    assert_eq!(fs.len(), 1, "{}", audit.raw);
    assert_eq!(fs[0]["kind"], "file-changed", "{}", fs[0]);
    fs[0].clone()
}

/// Decide about the fixture's finding as triage would: from the saved
/// JSON report.
fn decide(w: &mut WaiverFile, finding: &Value, verdict: Verdict, expires: Option<u64>) {
    let subject = Subject::from_json(finding).expect("the finding has an id");
    assert!(subject.expected.as_deref().unwrap().starts_with("md5:"));
    assert!(subject.actual.is_some());
    w.decide(
        subject,
        FindingKind::FileChanged,
        Some(Bytes::from(DATA)),
        finding["package"]["nevra"].as_str().map(str::to_owned),
        Decision {
            verdict,
            reason: "local \x1b[31medit".into(),
            at: 1_700_000_000,
            expires,
        },
    );
}

/// A signed waiver file with one decision about the fixture's finding.
fn signed(root: &TestRoot, keys: &Keys, verdict: Verdict, expires: Option<u64>) -> Value {
    let before = rootaudit_json(root, &["--checks", "files"]);
    assert_eq!(before.status, Some(1), "{}", before.raw);
    let finding = the_finding(&before);
    let mut w = WaiverFile::new("testhost", root.path());
    decide(&mut w, &finding, verdict, expires);
    w.write_signed(&keys.waivers(), &keys.sk).unwrap();
    finding
}

/// One line of standard error, naming the problem.
fn assert_one_line_error(r: &Run, needle: &str) {
    assert_eq!(
        r.status,
        Some(2),
        "stdout {}\nstderr {}",
        r.stdout_str(),
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout_str());
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.starts_with("rootaudit: error: "), "{}", r.stderr);
    assert!(
        r.stderr.contains(needle),
        "wanted {needle:?} in {}",
        r.stderr
    );
}

fn minisign() -> Option<&'static str> {
    if missing_tools(&["minisign"]).is_empty() {
        Some("minisign")
    } else {
        eprintln!("SKIPPING the stock minisign part: minisign is not installed");
        None
    }
}

#[test]
fn an_accepted_finding_no_longer_fails_the_scan() {
    let root = fixture();
    let keys = Keys::new();
    let finding = signed(&root, &keys, Verdict::Accepted, None);
    let args = scan_args(&keys.waivers(), &keys.public_file());

    let r = scan(&root, &args);
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    let audit = audit_from_run(r);
    let f = the_finding(&audit);
    assert_eq!(f["id"], finding["id"]);
    assert_eq!(f["severity"], "high", "the finding is still reported as is");
    assert_eq!(f["decision"]["verdict"], "accepted", "{f}");
    assert_eq!(f["decision"]["reason"], "local \x1b[31medit");
    assert_eq!(f["decision"]["at"], 1_700_000_000);
    let w = &audit.json["waivers"];
    assert_eq!(w["file"], keys.waivers().to_str().unwrap());
    assert_eq!(w["key_id"], keys.sk.public_key().key_id().as_str());
    assert!(
        w["trusted_comment"]
            .as_str()
            .unwrap()
            .starts_with("rootaudit-waivers host=testhost root="),
        "{w}"
    );
    assert_eq!(w["host"], "testhost");
    assert_eq!(
        (w["count"].as_u64(), w["applied"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (w["accepted"].as_u64(), w["flagged"].as_u64()),
        (Some(1), Some(0))
    );

    // The text report marks it, escaped, and counts it.
    let r = run_with_timeout(
        rootaudit_cmd(root.path())
            .args(["--format", "text"])
            .args(&args),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    let text = r.stdout_str();
    let line = text.lines().find(|l| l.contains(DATA)).unwrap();
    assert!(
        line.ends_with("  high  [accepted: local \\x1b[31medit]"),
        "{text}"
    );
    assert!(text.contains("(1 high; 1 accepted)"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("waivers: ") && l.contains("1 applied (1 accepted, 0 flagged)")),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "{text}");

    // JSON Lines: the decision on the finding, the counts at the end.
    let r = run_with_timeout(
        rootaudit_cmd(root.path())
            .args(["--format", "jsonl"])
            .args(&args),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    let lines: Vec<Value> = r
        .stdout_str()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let f = lines
        .iter()
        .find(|l| l["event"]["kind"] == "alert")
        .unwrap();
    assert_eq!(f["rootaudit"]["waiver"], "accepted", "{f}");
    assert_eq!(f["rootaudit"]["finding"]["decision"]["verdict"], "accepted");
    let end = lines.last().unwrap();
    assert_eq!(end["event"]["kind"], "event", "{end}");
    let waivers = &end["rootaudit"]["scan"]["waivers"];
    assert_eq!(waivers["count"], 1, "{end}");
    assert_eq!(waivers["accepted"], 1, "{end}");

    // Stock minisign checks the same pair.
    if let Some(minisign) = minisign() {
        let out = run_ok(
            Command::new(minisign)
                .arg("-Vm")
                .arg(keys.waivers())
                .arg("-P")
                .arg(keys.sk.public_key().to_base64()),
        );
        let said = out.stdout_str();
        assert!(
            said.contains("Trusted comment: rootaudit-waivers host=testhost"),
            "{said}"
        );
    }
}

#[test]
fn a_file_signed_by_stock_minisign_is_accepted() {
    let Some(minisign) = minisign() else {
        return;
    };
    let root = fixture();
    let keys = Keys::new();
    let before = rootaudit_json(&root, &["--checks", "files"]);
    let finding = the_finding(&before);
    let mut w = WaiverFile::new("stockhost", root.path());
    decide(&mut w, &finding, Verdict::Accepted, None);
    let file = keys.waivers();
    let data = w.to_bytes();
    std::fs::write(&file, &data).unwrap();

    let (public, secret) = (
        keys.dir.path().join("stock.pub"),
        keys.dir.path().join("stock.key"),
    );
    run_ok(
        Command::new(minisign)
            .args(["-G", "-W", "-p"])
            .arg(&public)
            .arg("-s")
            .arg(&secret),
    );
    let comment = TrustedComment::new(
        b"stockhost",
        root.path().to_str().unwrap().as_bytes(),
        w.written(),
        &data,
    )
    .render();
    run_ok(
        Command::new(minisign)
            .arg("-S")
            .arg("-s")
            .arg(&secret)
            .arg("-m")
            .arg(&file)
            .arg("-t")
            .arg(&comment),
    );
    assert!(signature_path(&file).is_file());
    let r = scan(&root, &scan_args(&file, &public));
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    let audit = audit_from_run(r);
    assert_eq!(the_finding(&audit)["decision"]["verdict"], "accepted");

    // Signed by stock minisign for another purpose: refused.
    run_ok(
        Command::new(minisign)
            .arg("-S")
            .arg("-s")
            .arg(&secret)
            .arg("-m")
            .arg(&file)
            .arg("-t")
            .arg("timestamp:1 file:waivers.json"),
    );
    let r = scan(&root, &scan_args(&file, &public));
    assert_one_line_error(&r, "signed for another purpose");
}

#[test]
fn a_waiver_file_that_does_not_verify_is_an_error() {
    let root = fixture();
    let keys = Keys::new();
    signed(&root, &keys, Verdict::Accepted, None);
    let file = keys.waivers();
    let key = keys.public_file();

    // One byte changed.
    let good = std::fs::read(&file).unwrap();
    let mut bad = good.clone();
    let at = bad.windows(8).position(|w| w == b"testhost").unwrap();
    bad[at] = b'b';
    std::fs::write(&file, &bad).unwrap();
    let r = scan(&root, &scan_args(&file, &key));
    assert_one_line_error(&r, "does not verify against key");
    std::fs::write(&file, &good).unwrap();
    assert_eq!(scan(&root, &scan_args(&file, &key)).status, Some(0));

    // Another key.
    let other = Keys::new();
    let r = scan(&root, &scan_args(&file, &other.public_file()));
    assert_one_line_error(&r, "does not verify against key");

    // No signature.
    let sig = signature_path(&file);
    let sig_text = std::fs::read(&sig).unwrap();
    std::fs::remove_file(&sig).unwrap();
    let r = scan(&root, &scan_args(&file, &key));
    assert_one_line_error(&r, "is not signed");
    std::fs::write(&sig, sig_text).unwrap();

    // A signature over the same bytes for another purpose.
    let sig_other = keys
        .sk
        .sign(&good, "x", "rootaudit-report host=testhost")
        .unwrap();
    std::fs::write(&sig, sig_other).unwrap();
    let r = scan(&root, &scan_args(&file, &key));
    assert_one_line_error(&r, "signed for another purpose");

    // A waiver file without a key (and a key without a file): a usage
    // error.
    let r = run_with_timeout(
        rootaudit_cmd(root.path()).arg("--waivers").arg(&file),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("--waiver-key"), "{}", r.stderr);
    let r = run_with_timeout(
        rootaudit_cmd(root.path()).arg("--waiver-key").arg(&key),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("--waivers"), "{}", r.stderr);

    // A key from inside the target.
    std::fs::copy(&key, root.join("/etc/waivers.pub")).unwrap();
    let r = scan(&root, &scan_args(&file, &root.join("/etc/waivers.pub")));
    assert_one_line_error(&r, "refusing to take the waiver key from inside");
}

#[test]
fn a_file_that_changed_again_is_a_new_finding() {
    let root = fixture();
    let keys = Keys::new();
    let finding = signed(&root, &keys, Verdict::Accepted, None);
    root.write(DATA, "edited once more\n");
    let audit = audit_from_run(scan(
        &root,
        &scan_args(&keys.waivers(), &keys.public_file()),
    ));
    assert_eq!(audit.status, Some(1), "{}", audit.stderr);
    let f = the_finding(&audit);
    assert_eq!(f["id"], finding["id"], "same id");
    assert_ne!(f["actual"]["digest"], finding["actual"]["digest"]);
    assert!(f.get("decision").is_none(), "{f}");
    let w = &audit.json["waivers"];
    assert_eq!(
        (w["applied"].as_u64(), w["changed"].as_u64()),
        (Some(0), Some(1)),
        "{w}"
    );
}

#[test]
fn an_expired_waiver_does_not_apply() {
    let root = fixture();
    let keys = Keys::new();
    signed(&root, &keys, Verdict::Accepted, Some(1_700_000_001));
    let audit = audit_from_run(scan(
        &root,
        &scan_args(&keys.waivers(), &keys.public_file()),
    ));
    assert_eq!(audit.status, Some(1), "{}", audit.stderr);
    assert!(the_finding(&audit).get("decision").is_none());
    let w = &audit.json["waivers"];
    assert_eq!(
        (w["applied"].as_u64(), w["expired"].as_u64()),
        (Some(0), Some(1)),
        "{w}"
    );

    // One that expires in the future applies.
    let keys = Keys::new();
    signed(
        &root,
        &keys,
        Verdict::Accepted,
        Some(u64::from(u32::MAX) * 2),
    );
    let audit = audit_from_run(scan(
        &root,
        &scan_args(&keys.waivers(), &keys.public_file()),
    ));
    assert_eq!(audit.status, Some(0), "{}", audit.stderr);
    assert_eq!(
        the_finding(&audit)["decision"]["expires"],
        u64::from(u32::MAX) * 2
    );
}

#[test]
fn a_flagged_finding_still_fails() {
    let root = fixture();
    let keys = Keys::new();
    signed(&root, &keys, Verdict::Flagged, None);
    let args = scan_args(&keys.waivers(), &keys.public_file());
    let audit = audit_from_run(scan(&root, &args));
    assert_eq!(audit.status, Some(1), "{}", audit.stderr);
    assert_eq!(the_finding(&audit)["decision"]["verdict"], "flagged");
    let w = &audit.json["waivers"];
    assert_eq!(
        (w["applied"].as_u64(), w["flagged"].as_u64()),
        (Some(1), Some(1)),
        "{w}"
    );
    let r = run_with_timeout(
        rootaudit_cmd(root.path())
            .args(["--format", "text"])
            .args(&args),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(1));
    assert!(
        r.stdout_str().contains("[flagged: local"),
        "{}",
        r.stdout_str()
    );
}
