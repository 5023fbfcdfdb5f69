//! Confinement: symlinks planted in the target must resolve inside ROOT,
//! never on the host running the audit. rpm gets this by chrooting before
//! it verifies; rootaudit must get the same answers without chroot.

use std::path::Path;

use crate::util::*;

fn app_package() -> PkgSpec {
    PkgSpec::new("ra-confine").entries([
        FileEntry::file("/etc/app.conf", "setting=1\n").config_noreplace(),
        FileEntry::dir("/usr/lib/foo").mode(0o755),
        FileEntry::dir("/usr/lib/foo/etc").mode(0o755),
        FileEntry::file("/usr/lib/foo/etc/os-release", "ID=test\n"),
        FileEntry::file("/usr/lib/foo/etc/hostname", "testhost\n"),
        FileEntry::file("/usr/lib/foo/etc/passwd", "not the passwd\n"),
    ])
}

/// A host file to point at: `/etc/shadow` where it exists, else
/// `/etc/passwd`.
fn host_secret() -> &'static str {
    if std::path::Path::new("/etc/shadow").is_file() {
        "/etc/shadow"
    } else {
        "/etc/passwd"
    }
}

/// `/etc/app.conf` (a regular `%config` file) replaced by an absolute
/// symlink to the host's `/etc/shadow`. rpm (lstat, after chroot) reports
/// only the link: `....L....  c /etc/app.conf`. rootaudit must agree and
/// must not read the host file through the link.
#[test]
fn planted_absolute_symlink_is_not_followed_to_host() {
    require_tools!();
    let secret = host_secret();
    let pkg = app_package().build();
    let root = TestRoot::new();
    root.install(&[&pkg]);
    root.replace_with_symlink("/etc/app.conf", secret);

    let rpm = rpm_va(&root);
    assert_oracle(&rpm, &verify_map(&[("/etc/app.conf", "....L....")]));
    assert_eq!(rpm.mark("/etc/app.conf"), Some('c'));

    let audit = rootaudit_json(&root, &[]);
    // The security property first, then parity.
    let (sha256, md5, size) = host_digests(std::path::Path::new(secret))
        .expect("host secret readable by the test (root)");
    for needle in [&sha256, &md5] {
        assert!(
            !audit.raw.contains(needle.as_str()),
            "report contains the digest of host {secret}:\n{}",
            audit.raw
        );
    }
    for f in audit.findings_for("/etc/app.conf") {
        assert_ne!(
            f["actual"]["size"].as_u64(),
            Some(size),
            "size of host {secret} reported: {f}"
        );
        assert!(
            f["actual"].get("digest").is_none(),
            "a symlink has no digest: {f}"
        );
    }
    assert_parity(&rpm, &audit);
    // L's evidence is the planted target.
    for f in audit.findings_for("/etc/app.conf") {
        assert_eq!(f["actual"]["link"], secret, "{f}");
    }
}

/// The packaged directory `/usr/lib/foo` replaced by a root-owned symlink
/// to `/`. rpm follows a symlink standing in for a directory (when root or
/// the directory's owner owns the link), inside the chroot: the directory
/// itself verifies clean (ROOT is 0755 root:root) and the files below it
/// resolve to ROOT/etc/…, which do not exist, even though the host has
/// `/etc/os-release` and `/etc/hostname`.
#[test]
fn directory_symlinked_to_slash_resolves_inside_root() {
    require_tools!();
    let pkg = app_package().build();
    let root = TestRoot::new();
    root.install(&[&pkg]);
    root.replace_with_symlink("/usr/lib/foo", "/");

    let rpm = rpm_va(&root);
    assert_oracle(
        &rpm,
        &verify_map(&[
            ("/usr/lib/foo/etc/os-release", "missing"),
            ("/usr/lib/foo/etc/hostname", "missing"),
            // ROOT/etc/passwd exists (the test root's own): a changed file,
            // not the host's /etc/passwd.
            ("/usr/lib/foo/etc/passwd", "S.5....T."),
        ]),
    );
    let audit = rootaudit_json(&root, &[]);
    assert_parity(&rpm, &audit);

    // Belt and braces: the size rootaudit saw is the target's passwd, not
    // the host's.
    let target_size = std::fs::metadata(root.join("/etc/passwd")).unwrap().len();
    for f in audit.findings_for("/usr/lib/foo/etc/passwd") {
        assert_eq!(f["actual"]["size"].as_u64(), Some(target_size), "{f}");
    }
}

/// Same trick with a symlink to `/etc`: `/usr/lib/foo/etc` becomes
/// ROOT/etc/etc (missing), never the host's /etc.
#[test]
fn directory_symlinked_to_etc_resolves_inside_root() {
    require_tools!();
    let pkg = app_package().build();
    let root = TestRoot::new();
    root.install(&[&pkg]);
    root.replace_with_symlink("/usr/lib/foo", "/etc");

    let rpm = rpm_va(&root);
    assert_oracle(
        &rpm,
        &verify_map(&[
            ("/usr/lib/foo/etc", "missing"),
            ("/usr/lib/foo/etc/os-release", "missing"),
            ("/usr/lib/foo/etc/hostname", "missing"),
            ("/usr/lib/foo/etc/passwd", "missing"),
        ]),
    );
    let audit = rootaudit_json(&root, &[]);
    assert_parity(&rpm, &audit);
}

/// A symlink standing in for a directory but owned by someone else than
/// root or the pointed-to directory's owner is not followed by rpm: the
/// directory is then reported as a link (`L`, plus `U` for the owner).
#[test]
fn directory_symlink_owned_by_user_is_not_followed() {
    require_tools!();
    let pkg = app_package().build();
    let root = TestRoot::new();
    root.install(&[&pkg]);
    root.replace_with_symlink("/usr/lib/foo", "/etc");
    root.chown("/usr/lib/foo", Some(AUDIT_ID), None);

    let rpm = rpm_va(&root);
    assert_oracle(
        &rpm,
        &verify_map(&[
            ("/usr/lib/foo", "....LU..."),
            ("/usr/lib/foo/etc", "missing"),
            ("/usr/lib/foo/etc/os-release", "missing"),
            ("/usr/lib/foo/etc/hostname", "missing"),
            ("/usr/lib/foo/etc/passwd", "missing"),
        ]),
    );
    let audit = rootaudit_json(&root, &[]);
    assert_parity(&rpm, &audit);
}

/// An intermediate path component turned into a relative symlink that
/// climbs out with `..` past ROOT: resolution must clamp at ROOT (like
/// `/..` is `/`).
#[test]
fn dotdot_symlink_cannot_escape_root() {
    require_tools!();
    let pkg = app_package().build();
    let root = TestRoot::new();
    root.install(&[&pkg]);
    // /usr/lib/foo -> ../../../../../../.. (far above ROOT) ≡ /
    root.replace_with_symlink("/usr/lib/foo", "../../../../../../../..");

    let rpm = rpm_va(&root);
    assert_oracle(
        &rpm,
        &verify_map(&[
            ("/usr/lib/foo/etc/os-release", "missing"),
            ("/usr/lib/foo/etc/hostname", "missing"),
            ("/usr/lib/foo/etc/passwd", "S.5....T."),
        ]),
    );
    let audit = rootaudit_json(&root, &[]);
    assert_parity(&rpm, &audit);
}

/// `--output` and key files are judged where they lead: a symlink (even a
/// dangling one) into ROOT is refused before anything is written, and a
/// key file symlinked from the target is not trusted (rootaudit 9,
/// defect 11).
#[test]
fn output_and_keys_through_symlinks_into_root_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    let outside = t.path().join("outside");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(root.join("etc/existing"), "target data\n").unwrap();
    let links = [
        ("to-existing", root.join("etc/existing")),
        ("dangling", root.join("etc/created-by-scan")),
        ("dir", root.join("etc")),
    ];
    for (name, target) in &links {
        std::os::unix::fs::symlink(target, outside.join(name)).unwrap();
    }
    for out in [
        outside.join("to-existing"),
        outside.join("dangling"),
        outside.join("dir/report.json"),
    ] {
        let r = run_with_timeout(
            rootaudit_cmd(&root).arg("--output").arg(&out),
            COMMAND_TIMEOUT,
        );
        assert_eq!(r.status, Some(2), "{}: {}", out.display(), r.stderr);
        assert!(
            r.stderr.contains("refusing to write the report"),
            "{}",
            r.stderr
        );
    }
    assert_eq!(
        std::fs::read_to_string(root.join("etc/existing")).unwrap(),
        "target data\n"
    );
    assert!(!root.join("etc/created-by-scan").exists());
    assert!(!root.join("etc/report.json").exists());

    // A keys folder outside ROOT holding a symlink to a real key file
    // inside it (a real key: one that would otherwise be trusted).
    let real_key = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/realdata/keys/fedora/RPM-GPG-KEY-fedora-36-primary");
    if real_key.is_file() {
        let keys = t.path().join("keys");
        std::fs::create_dir_all(&keys).unwrap();
        std::fs::copy(&real_key, root.join("etc/RPM-GPG-KEY-planted")).unwrap();
        std::os::unix::fs::symlink(root.join("etc/RPM-GPG-KEY-planted"), keys.join("k.asc"))
            .unwrap();
        let r = run_with_timeout(
            rootaudit_cmd(&root).arg("--keys").arg(&keys),
            COMMAND_TIMEOUT,
        );
        assert_eq!(r.status, Some(2), "{}", r.stderr);
        assert!(
            r.stderr.contains("refusing to take trusted keys"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("k.asc"), "{}", r.stderr);
    } else {
        eprintln!("skipping the symlinked key file: ../shared/realdata is absent");
    }
    let r = run_with_timeout(
        rootaudit_cmd(&root).arg("--keys").arg(root.join("etc")),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(2), "{}", r.stderr);
    assert!(
        r.stderr.contains("refusing to take trusted keys"),
        "{}",
        r.stderr
    );
    std::os::unix::fs::symlink(root.join("etc"), t.path().join("keys-link")).unwrap();
    let r = run_with_timeout(
        rootaudit_cmd(&root)
            .arg("--keys")
            .arg(t.path().join("keys-link")),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(2), "{}", r.stderr);
    assert!(
        r.stderr.contains("refusing to take trusted keys"),
        "{}",
        r.stderr
    );
}
