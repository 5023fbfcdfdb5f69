//! The apk backend: the real Alpine databases of `../shared/realdata`
//! (read in temporary copies; the Alpine 3.10 image extracted from its
//! `docker save` tarball), and roots written by the test per apk-tools'
//! format, tampered with. Debian has no `apk`, so the oracle is the real
//! data's stated facts and digests computed here.
//!
//! Tests needing realdata skip with a message when it is absent.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use rootaudit::model::VerifyAttrs;
use rootaudit::rootfs::{Root, S_IFDIR, S_IFMT};
use sha1::Digest as _;

use crate::util::*;

/// Paths of the findings whose verify string has a `5`.
fn digest_mismatches(audit: &Audit) -> BTreeSet<String> {
    audit
        .findings()
        .iter()
        .filter(|f| f["verify"].as_str().is_some_and(|v| v.contains('5')))
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

/// Each real database parses to the packages, files, `a:` and `M:` lines
/// NEW-DATA.md counts (R and Z lines are equal: every file has a digest).
#[test]
fn real_databases_parse_whole() {
    for (rel, packages, files, acls, dir_acls) in [
        ("apk/syft-alpine-3.16", 14, 105, 54, 5),
        ("apk/osv-scalibr-alpine-3.18", 15, 109, 57, 5),
        ("apk/zerotier-alpine-3.20.3", 16, 110, 56, 5),
        ("apk/snell-alpine-3.23.4-aarch64", 20, 172, 113, 10),
    ] {
        let Some((_t, root)) = realdata_copy(&format!("otherdb/{rel}")) else {
            return;
        };
        let r = Root::open(&root).unwrap();
        let db = rootaudit::pkgdb::apk::read(&r, Path::new("lib/apk/db/installed")).unwrap();
        assert_eq!(db.packages.len(), packages, "{rel}");
        assert!(db.malformed.is_empty() && db.notes.is_empty(), "{rel}");
        let all: Vec<_> = db.packages.iter().flat_map(|p| &p.files).collect();
        let regular: Vec<_> = all.iter().filter(|f| f.mode & S_IFMT != S_IFDIR).collect();
        assert_eq!(regular.len(), files, "{rel}");
        assert!(
            regular
                .iter()
                .all(|f| f.verify.contains(VerifyAttrs::DIGEST)),
            "{rel}"
        );
        // Non-default modes or owners: what `a:` and `M:` recorded.
        let odd_files = regular
            .iter()
            .filter(|f| f.mode & 0o7777 != 0o644 || f.user != "root" || f.group != "root")
            .count();
        assert_eq!(odd_files, acls, "{rel}");
        let odd_dirs = all
            .iter()
            .filter(|f| f.mode & S_IFMT == S_IFDIR)
            .filter(|f| f.mode & 0o7777 != 0o755 || f.user != "root" || f.group != "root")
            .count();
        assert_eq!(odd_dirs, dir_acls, "{rel}");

        let audit = rootaudit_json_at(&root, &["--checks", "files"]);
        assert_eq!(audit.json["database"]["format"], "apk");
        assert_eq!(audit.json["database"]["packages"], packages);
        assert_eq!(
            audit.json["database"]["checks"],
            serde_json::json!(["mode", "digest", "link", "user", "group"])
        );
    }
}

/// Alpine 3.20.3 (zerotier): of the 52 copied files, 49 match their `Z:`
/// SHA-1 and `etc/hostname`, `etc/hosts`, `etc/shadow` do not; all three
/// are configuration (under the protected `/etc`).
#[test]
fn real_zerotier_three_edited_files() {
    let Some((_t, root)) = realdata_copy("otherdb/apk/zerotier-alpine-3.20.3") else {
        return;
    };
    let audit = rootaudit_json_at(&root, &["--checks", "files"]);
    let want: BTreeSet<String> = ["/etc/hostname", "/etc/hosts", "/etc/shadow"]
        .map(String::from)
        .into();
    assert_eq!(digest_mismatches(&audit), want);
    for p in &want {
        assert_eq!(audit.findings_for(p)[0]["config"], true, "{p}");
    }
}

/// The real Alpine 3.10 image: the one file changed after install
/// (`etc/shadow`) is found, and nothing else but what an image tarball
/// lacks: `/dev/pts` and `/dev/shm` (mounted by the container runtime)
/// and `/proc`'s mode (0555 recorded, the layer's mount point 0755).
#[test]
fn real_alpine_310_image() {
    let Some(tarball) = realdata("otherdb/apk/trivy-alpine-3.10-image/alpine-310.tar.gz") else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    run_ok(
        Command::new("tar")
            .arg("xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(t.path()),
    );
    let layer = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().path().join("layer.tar"))
        .find(|p| p.exists())
        .expect("layer.tar in the image");
    let root = t.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    run_ok(
        Command::new("tar")
            .arg("xf")
            .arg(&layer)
            .arg("-C")
            .arg(&root),
    );
    let r = Root::open(&root).unwrap();
    let db = rootaudit::pkgdb::apk::read(&r, Path::new("lib/apk/db/installed")).unwrap();
    assert_eq!(db.packages.len(), 14);
    let digests = db
        .packages
        .iter()
        .flat_map(|p| &p.files)
        .filter(|f| !f.digest.is_empty())
        .count();
    assert_eq!(digests, 78);

    let audit = rootaudit_json_at(&root, &["--checks", "files"]);
    assert_eq!(audit.json["database"]["format"], "apk");
    let about: BTreeSet<(String, String)> = audit
        .findings()
        .iter()
        .filter(|f| f["kind"] != "check-incomplete")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["verify"]
                    .as_str()
                    .unwrap_or(f["kind"].as_str().unwrap())
                    .to_string(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String)> = [
        ("/etc/shadow", "..5......"),
        ("/dev/pts", "file-missing"),
        ("/dev/shm", "file-missing"),
        ("/proc", ".M......."),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(about, want);
}

// ---------------------------------------------------------------------------
// Roots written per the format
// ---------------------------------------------------------------------------

fn q1(data: &[u8]) -> String {
    format!(
        "Q1{}",
        base64::engine::general_purpose::STANDARD.encode(sha1::Sha1::digest(data))
    )
}

/// A root with one package: a config file, a binary, a setuid file owned
/// by a group, a symlink, a name with a space and an escape byte, and the
/// installed db describing them.
fn built_root() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    let put = |rel: &str, data: &[u8], mode: u32| {
        let f = p.join(rel);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(&f, data).unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    put("etc/passwd", b"root:x:0:0::/root:/bin/sh\n", 0o644);
    put("etc/group", b"root:x:0:\nshadow:x:42:\n", 0o644);
    put("etc/app.conf", b"setting=1\n", 0o644);
    put("usr/bin/app", b"\x7fELF app", 0o755);
    put("usr/bin/sux", b"setuid", 0o750);
    // chgrp clears the setuid bit: set it after.
    run_ok(Command::new("chgrp").arg("42").arg(p.join("usr/bin/sux")));
    run_ok(Command::new("chmod").arg("4750").arg(p.join("usr/bin/sux")));
    put("usr/share/app/a b\x1b[1m", b"hostile name", 0o644);
    std::os::unix::fs::symlink("app", p.join("usr/bin/app-link")).unwrap();
    let db = format!(
        "P:app\nV:1.0-r2\nA:x86_64\nF:etc\nR:app.conf\nZ:{}\nF:usr\nF:usr/bin\nR:app\na:0:0:755\n\
Z:{}\nR:sux\na:0:42:4750\nZ:{}\nR:app-link\na:0:0:777\nZ:{}\nF:usr/share\nF:usr/share/app\n\
R:a b\x1b[1m\nZ:{}\n\n",
        q1(b"setting=1\n"),
        q1(b"\x7fELF app"),
        q1(b"setuid"),
        q1(b"app"),
        q1(b"hostile name"),
    );
    put("lib/apk/db/installed", db.as_bytes(), 0o644);
    t
}

/// Each tampering gives its column; a fresh root is clean.
#[test]
fn tampering_gives_each_column() {
    let t = built_root();
    let p = t.path();
    let audit = rootaudit_json_at(p, &["--checks", "files"]);
    let files: Vec<_> = audit
        .findings()
        .iter()
        .filter(|f| f["kind"] != "check-incomplete")
        .collect();
    assert!(files.is_empty(), "{files:?}");

    std::fs::write(p.join("etc/app.conf"), b"setting=2\n").unwrap();
    std::fs::write(p.join("usr/share/app/a b\x1b[1m"), b"HOSTILE NAME").unwrap();
    run_ok(Command::new("chmod").arg("0777").arg(p.join("usr/bin/app")));
    run_ok(Command::new("chown").arg("1000").arg(p.join("usr/bin/sux")));
    run_ok(Command::new("chgrp").arg("0").arg(p.join("usr/bin/sux")));
    std::fs::remove_file(p.join("usr/bin/app-link")).unwrap();
    std::os::unix::fs::symlink("/etc/shadow", p.join("usr/bin/app-link")).unwrap();
    let audit = rootaudit_json_at(p, &["--checks", "files"]);
    let verify = |path: &str| -> String {
        let f = audit.findings_for(path);
        assert_eq!(f.len(), 1, "{path}: {f:?}");
        f[0]["verify"].as_str().unwrap_or("").to_string()
    };
    assert_eq!(verify("/etc/app.conf"), "..5......");
    assert_eq!(audit.findings_for("/etc/app.conf")[0]["config"], true);
    assert_eq!(verify("/usr/share/app/a b\x1b[1m"), "..5......");
    assert_eq!(verify("/usr/bin/app"), ".M.......");
    // chown clears the setuid bit: mode too.
    assert_eq!(verify("/usr/bin/sux"), ".M...UG..");
    assert_eq!(verify("/usr/bin/app-link"), "....L....");
    // The expected target is known only by its digest.
    let link = &audit.findings_for("/usr/bin/app-link")[0];
    assert_eq!(link["actual"]["link"], "/etc/shadow");

    std::fs::remove_file(p.join("usr/bin/app")).unwrap();
    let audit = rootaudit_json_at(p, &["--checks", "files"]);
    assert_eq!(
        audit.findings_for("/usr/bin/app")[0]["kind"],
        "file-missing"
    );
}

/// A file replaced by a symlink out of ROOT: a link where none was
/// recorded (`L`, as rpm reports it), and the host's file is never read.
#[test]
fn symlink_escaping_root() {
    let t = built_root();
    let p = t.path();
    std::fs::remove_file(p.join("usr/bin/app")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", p.join("usr/bin/app")).unwrap();
    let audit = rootaudit_json_at(p, &["--checks", "files"]);
    let f = audit.findings_for("/usr/bin/app");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["kind"], "file-changed");
    assert_eq!(f[0]["verify"], "....L....");
    assert_eq!(f[0]["actual"]["link"], "/etc/passwd");
}

/// A truncated, garbled or huge `installed`: notes or malformed records,
/// a report either way, never a crash.
#[test]
fn corrupt_installed_files() {
    let t = built_root();
    let p = t.path();
    let db_path = p.join("lib/apk/db/installed");
    let db = std::fs::read(&db_path).unwrap();
    for cut in [1, 7, db.len() / 3, db.len() / 2, db.len() - 3] {
        std::fs::write(&db_path, &db[..cut]).unwrap();
        let r = run_with_timeout(
            rootaudit_cmd(p).args(["--format", "json", "--checks", "files"]),
            COMMAND_TIMEOUT,
        );
        assert!(matches!(r.status, Some(0..=1)), "cut {cut}: {}", r.stderr);
    }
    let mut bad = b"P:x\nV:1-r0\nF:etc\nR:app.conf\nZ:Q1%%%%\nM:x\n".to_vec();
    bad.extend(std::iter::repeat_n(b'A', 1 << 20));
    bad.extend_from_slice(b"\n\nV:2\nR:orphan\n\n");
    std::fs::write(&db_path, &bad).unwrap();
    let audit = rootaudit_json_at(p, &["--checks", "files"]);
    assert!(
        audit
            .findings()
            .iter()
            .any(|f| f["kind"] == "check-incomplete" && f["path"] == "/lib/apk/db/installed"),
        "{:?}",
        audit.findings()
    );
    assert!(
        audit
            .findings()
            .iter()
            .any(|f| f["kind"] == "header-malformed"),
        "{:?}",
        audit.findings()
    );
}
