//! The pacman backend: real Arch local databases from `../shared/realdata`
//! (read in temporary copies), and packages built by makepkg and installed
//! by pacman into throw-away roots, tampered with, and verified by both
//! `pacman -Qkk` (the oracle) and rootaudit.
//!
//! Tests needing realdata skip with a message when it is absent; those
//! needing pacman, makepkg, bsdtar, fakeroot and setpriv (and root) skip
//! without them, but fail in CI.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use rootaudit::pkgdb::{DbFormat, FileFlags};
use rootaudit::rootfs::{Root, S_IFDIR, S_IFMT};

use crate::util::*;

/// True when `tools` are installed and this runs as root; otherwise skip
/// (developer) or fail (CI).
fn have(tools: &[&str]) -> bool {
    let mut missing = missing_tools(tools);
    if !is_root() {
        missing.push("root privileges".into());
    }
    if missing.is_empty() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{} missing in CI; run scripts/test-deps first",
            missing.join(", ")
        );
    }
    eprintln!(
        "SKIPPING: missing {} (scripts/test-deps installs it)",
        missing.join(", ")
    );
    false
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2))
        .is_some_and(|euid| euid == "0")
}

/// The 2019 local db of `archlinux/alpm.rs`: 132 packages, ALPM_DB_VERSION
/// 9, every mtree gzip'd; `%FILES%` has 39,088 non-directory and 6,363
/// directory entries and there are 108 `%BACKUP%` lines (NEW-DATA.md).
#[test]
fn real_2019_database_parses_whole() {
    let Some((_t, root)) = realdata_copy("otherdb/pacman/alpm.rs-2019") else {
        return;
    };
    let r = Root::open(&root).unwrap();
    let db = rootaudit::pkgdb::pacman::read(&r, Path::new("var/lib/pacman/local")).unwrap();
    assert_eq!(db.packages.len(), 132);
    assert!(db.malformed.is_empty());
    assert!(db.notes.is_empty(), "{:?}", db.notes);
    let files = db.packages.iter().flat_map(|p| &p.files);
    let dirs = files.clone().filter(|f| f.mode & S_IFMT == S_IFDIR).count();
    let others = files.clone().count() - dirs;
    assert_eq!((others, dirs), (39_088, 6_363));
    let config = files
        .clone()
        .filter(|f| f.flags.contains(FileFlags::CONFIG))
        .count();
    // 108 `%BACKUP%` lines; pam's `etc/default/passwd` is not among its
    // files (a real leftover), so 107 records are configuration.
    assert_eq!(config, 107);
    // Every package has its mtree: every file has a digest.
    assert!(db.packages.iter().all(|p| !p.lacks_digests));
    let zlib = db.packages.iter().find(|p| p.name == "zlib").unwrap();
    assert_eq!(
        (zlib.epoch, zlib.version.as_str(), zlib.release.as_str()),
        (Some(1), "1.2.11", "3")
    );

    // The binary finds it with no flag; no file is there to verify.
    let audit = rootaudit_json_at(&root, &["--checks", "files"]);
    assert_eq!(audit.json["database"]["format"], "pacman");
    assert_eq!(audit.json["database"]["packages"], 132);
    assert_eq!(
        audit.json["database"]["checks"],
        serde_json::json!(["size", "mode", "digest", "link", "user", "group", "mtime"])
    );
    let missing = audit
        .findings()
        .iter()
        .filter(|f| f["kind"] == "file-missing")
        .count();
    // Only the directories holding the database itself exist.
    let present: BTreeSet<&str> = audit
        .findings()
        .iter()
        .filter(|f| f["kind"] == "file-changed")
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        present.iter().all(|p| "/var/lib/pacman".starts_with(p)),
        "{present:?}"
    );
    assert_eq!(
        missing
            + audit
                .findings()
                .iter()
                .filter(|f| f["kind"] == "file-changed")
                .count(),
        39_088 + 6_363
    );
}

/// The 2026 set: the 6 `pambase` files match their mtree sha256; the
/// edited `etc/pacman.d/mirrorlist` (a `%BACKUP%` file) does not. The copy
/// keeps content only (NEW-DATA.md: no modes, owners or times), so only
/// the digest column is compared.
#[test]
fn real_2026_edited_backup_file_is_the_one_digest_mismatch() {
    let Some((_t, root)) = realdata_copy("otherdb/pacman/arch-base-2026-verify") else {
        return;
    };
    let audit = rootaudit_json_at(&root, &["--checks", "files"]);
    assert_eq!(audit.json["database"]["format"], "pacman");
    assert_eq!(audit.json["database"]["packages"], 2);
    let digest: Vec<&serde_json::Value> = audit
        .findings()
        .iter()
        .filter(|f| f["verify"].as_str().is_some_and(|v| v.contains('5')))
        .collect();
    assert_eq!(digest.len(), 1, "{digest:?}");
    assert_eq!(digest[0]["path"], "/etc/pacman.d/mirrorlist");
    assert_eq!(digest[0]["config"], true);
    assert_eq!(digest[0]["severity"], "low");
    assert!(
        audit.findings().iter().all(|f| f["kind"] != "file-missing"),
        "{:?}",
        audit.findings()
    );
}

/// The syft `gmp` entry (an mtree and `%FILES%`, no installed files).
#[test]
fn real_syft_entry_parses() {
    let Some((_t, root)) = realdata_copy("otherdb/pacman/syft-gmp") else {
        return;
    };
    let r = Root::open(&root).unwrap();
    let db = rootaudit::pkgdb::pacman::read(&r, Path::new("var/lib/pacman/local")).unwrap();
    assert_eq!(db.packages.len(), 1);
    assert!(db.notes.is_empty() && db.malformed.is_empty());
}

// ---------------------------------------------------------------------------
// makepkg + pacman oracle
// ---------------------------------------------------------------------------

const PACMAN_TOOLS: &[&str] = &["pacman", "makepkg", "bsdtar", "fakeroot", "setpriv"];

/// The package the oracle tests build: files of every type pacman packs,
/// a backup file, a setuid file, a non-root owner, and hostile names.
const PKGBUILD: &str = r#"pkgname=ratest
pkgver=1.0
pkgrel=1
arch=(any)
backup=(etc/ratest.conf)
options=(!strip !zipman !purge !debug !emptydirs)
package() {
  install -d "$pkgdir/usr/share/ratest/sub dir" "$pkgdir/etc" "$pkgdir/usr/bin"
  printf 'hello\n' > "$pkgdir/usr/share/ratest/a file"
  printf 'conf=1\n' > "$pkgdir/etc/ratest.conf"
  ln -s "a file" "$pkgdir/usr/share/ratest/link"
  printf 'x' > "$pkgdir/usr/share/ratest/owned"
  chown 1234:1234 "$pkgdir/usr/share/ratest/owned"
  printf '#!/bin/sh\n' > "$pkgdir/usr/bin/suid"
  chmod 4755 "$pkgdir/usr/bin/suid"
  printf 'esc' > "$pkgdir/usr/share/ratest/sub dir/tab	x"
  printf 'del' > "$pkgdir/usr/share/ratest/gone"
  printf 'mod' > "$pkgdir/usr/share/ratest/same-size"
  printf 'time' > "$pkgdir/usr/share/ratest/touched"
}
"#;

/// A root with `ratest` built by makepkg (as `nobody`: makepkg refuses
/// root) and installed by pacman; the pacman.conf used.
fn pacman_root() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let base = t.path();
    let build = base.join("build");
    std::fs::create_dir_all(&build).unwrap();
    std::fs::write(build.join("PKGBUILD"), PKGBUILD).unwrap();
    run_ok(Command::new("chmod").args(["-R", "a+rwX"]).arg(base));
    run_ok(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg("env")
            .arg(format!("HOME={}", build.display()))
            .arg(format!("PKGDEST={}", build.display()))
            .arg(format!("SRCDEST={}", build.display()))
            .arg(format!("BUILDDIR={}", build.join("b").display()))
            .args(["PKGEXT=.pkg.tar.gz", "makepkg", "--nodeps", "--noconfirm"])
            .current_dir(&build),
    );
    let pkg = build.join("ratest-1.0-1-any.pkg.tar.gz");
    assert!(pkg.exists(), "makepkg made no {}", pkg.display());
    let root = base.join("root");
    std::fs::create_dir_all(root.join("var/lib/pacman")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/passwd"),
        "root:x:0:0::/root:/bin/sh\naudit1:x:1234:1234::/:/bin/sh\n",
    )
    .unwrap();
    std::fs::write(root.join("etc/group"), "root:x:0:\naudit1:x:1234:\n").unwrap();
    let conf = base.join("pacman.conf");
    std::fs::write(
        &conf,
        "[options]\nArchitecture = auto\nSigLevel = Never\nLocalFileSigLevel = Never\n",
    )
    .unwrap();
    run_ok(
        pacman(&root, &conf)
            .args(["-U", "--noscriptlet", "--noconfirm"])
            .arg("--cachedir")
            .arg(base.join("cache"))
            .arg("--logfile")
            .arg(base.join("pacman.log"))
            .arg("--gpgdir")
            .arg(base.join("gpg"))
            .arg(&pkg),
    );
    (t, root, conf)
}

fn pacman(root: &Path, conf: &Path) -> Command {
    let mut c = Command::new("pacman");
    c.arg("--root")
        .arg(root)
        .arg("--dbpath")
        .arg(root.join("var/lib/pacman"))
        .arg("--config")
        .arg(conf);
    c
}

/// `pacman -Qkk`'s complaints as `(path, column)`: `S M U G T L` as rpm
/// names them, `missing`; backup files' informational lines included.
fn pacman_qkk(root: &Path, conf: &Path) -> BTreeSet<(String, String)> {
    let r = run_with_timeout(pacman(root, conf).arg("-Qkk"), COMMAND_TIMEOUT);
    let text = format!("{}\n{}", r.stdout_str(), r.stderr);
    let prefix = format!("{}/", root.display());
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let Some(at) = line.find(&prefix) else {
            continue;
        };
        let rest = &line[at + prefix.len() - 1..];
        let Some(open) = rest.rfind(" (") else {
            continue;
        };
        let path = rest[..open].to_string();
        let why = &rest[open + 2..rest.len() - 1];
        let col = match why {
            "Permissions mismatch" | "File type mismatch" => "M",
            "UID mismatch" => "U",
            "GID mismatch" => "G",
            "Modification time mismatch" => "T",
            "Size mismatch" => "S",
            "MD5 checksum mismatch" | "SHA256 checksum mismatch" => "5",
            "Symlink path mismatch" => "L",
            w if w.contains("No such file") => "missing",
            w => panic!("unknown pacman -Qkk complaint {w:?} in {line:?}"),
        };
        out.insert((path, col.to_string()));
    }
    out
}

/// rootaudit's findings in the same shape.
fn rootaudit_cols(root: &Path) -> BTreeSet<(String, String)> {
    let audit = rootaudit_json_at(root, &["--checks", "files"]);
    assert_eq!(audit.json["database"]["format"], "pacman");
    let mut cols = BTreeSet::new();
    for f in audit.findings() {
        let Some(path) = f["path"].as_str() else {
            continue;
        };
        match f["kind"].as_str() {
            Some("file-missing") => {
                cols.insert((path.to_string(), "missing".to_string()));
            }
            Some("file-changed") => {
                for c in f["verify"].as_str().unwrap().chars().filter(|&c| c != '.') {
                    cols.insert((path.to_string(), c.to_string()));
                }
            }
            _ => {}
        }
    }
    cols
}

fn set_mtime(p: &Path, secs: i64) {
    run_ok(
        Command::new("touch")
            .args(["-h", "-d"])
            .arg(format!("@{secs}"))
            .arg(p),
    );
}

fn mtime(p: &Path) -> i64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(p).unwrap().mtime()
}

/// A fresh install is clean for both; every tampering gives the same
/// columns in both (pacman 6 compares the mtree's digests too; a backup
/// file's differences are informational to pacman and `config` findings
/// of low severity to rootaudit).
#[test]
fn parity_with_pacman_qkk() {
    if !have(PACMAN_TOOLS) {
        return;
    }
    let (_t, root, conf) = pacman_root();
    assert_eq!(pacman_qkk(&root, &conf), BTreeSet::new());
    assert_eq!(rootaudit_cols(&root), BTreeSet::new());

    let d = root.join("usr/share/ratest");
    // Content: same size, mtime put back (only the digest shows it).
    let t0 = mtime(&d.join("same-size"));
    std::fs::write(d.join("same-size"), "MOD").unwrap();
    set_mtime(&d.join("same-size"), t0);
    // Content and size (and so mtime).
    std::fs::write(d.join("a file"), "hello, world\n").unwrap();
    // Mode, owner, group.
    run_ok(
        Command::new("chmod")
            .arg("0755")
            .arg(root.join("usr/bin/suid")),
    );
    run_ok(Command::new("chown").arg("0").arg(d.join("owned")));
    run_ok(
        Command::new("chgrp")
            .arg("1234")
            .arg(d.join("sub dir/tab\tx")),
    );
    // Mtime only.
    set_mtime(&d.join("touched"), 1_000_000_000);
    // A symlink pointing elsewhere, its mtime put back.
    let tl = mtime(&d.join("link"));
    std::fs::remove_file(d.join("link")).unwrap();
    std::os::unix::fs::symlink("/etc/shadow", d.join("link")).unwrap();
    set_mtime(&d.join("link"), tl);
    // Deleted.
    std::fs::remove_file(d.join("gone")).unwrap();
    // The backup file edited.
    std::fs::write(root.join("etc/ratest.conf"), "conf=2, edited\n").unwrap();

    let oracle = pacman_qkk(&root, &conf);
    let cols = rootaudit_cols(&root);
    assert_eq!(cols, oracle, "rootaudit vs pacman -Qkk");
    let expected: BTreeSet<(String, String)> = [
        ("usr/share/ratest/same-size", "5"),
        ("usr/share/ratest/a file", "5"),
        ("usr/share/ratest/a file", "S"),
        ("usr/share/ratest/a file", "T"),
        ("usr/bin/suid", "M"),
        ("usr/share/ratest/owned", "U"),
        ("usr/share/ratest/sub dir/tab\tx", "G"),
        ("usr/share/ratest/touched", "T"),
        ("usr/share/ratest/link", "L"),
        ("usr/share/ratest/gone", "missing"),
        ("etc/ratest.conf", "5"),
        ("etc/ratest.conf", "S"),
        ("etc/ratest.conf", "T"),
    ]
    .iter()
    .map(|(a, b)| (format!("/{a}"), b.to_string()))
    .collect();
    assert_eq!(cols, expected);

    // The backup file is reported as configuration, at low severity.
    let audit = rootaudit_json_at(&root, &["--checks", "files"]);
    let conf_finding = &audit.findings_for("/etc/ratest.conf")[0];
    assert_eq!(conf_finding["config"], true);
    assert_eq!(conf_finding["severity"], "low");
}

/// A symlink planted to escape ROOT, a replaced directory and a corrupt
/// mtree: findings, never a read outside ROOT or a crash.
#[test]
fn hostile_changes_and_corrupt_mtree() {
    if !have(PACMAN_TOOLS) {
        return;
    }
    let (_t, root, _conf) = pacman_root();
    let d = root.join("usr/share/ratest");
    // `a file` becomes a symlink to the host's /etc/passwd: a link where
    // none was recorded (`L`), and nothing outside ROOT is read.
    std::fs::remove_file(d.join("a file")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", d.join("a file")).unwrap();
    let audit = rootaudit_json_at(&root, &["--checks", "files"]);
    let f = &audit.findings_for("/usr/share/ratest/a file");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["kind"], "file-changed");
    assert!(f[0]["verify"].as_str().unwrap().contains('L'), "{f:?}");

    // A truncated mtree: a note, and the files are still checked for
    // existence from %FILES%.
    let entry = root.join("var/lib/pacman/local/ratest-1.0-1/mtree");
    let gz = std::fs::read(&entry).unwrap();
    std::fs::write(&entry, &gz[..gz.len() / 2]).unwrap();
    std::fs::remove_file(d.join("gone")).unwrap();
    let audit = rootaudit_json_at(&root, &["--checks", "files"]);
    assert!(
        audit
            .findings()
            .iter()
            .any(|f| f["kind"] == "check-incomplete"
                && f["path"] == "/var/lib/pacman/local/ratest-1.0-1/mtree"),
        "{:?}",
        audit.findings()
    );
    assert_eq!(
        audit.findings_for("/usr/share/ratest/gone")[0]["kind"],
        "file-missing"
    );
    let _ = DbFormat::PACMAN;
}
