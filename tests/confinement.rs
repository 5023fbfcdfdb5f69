//! Confinement: symlinks planted in the target must resolve inside ROOT,
//! never on the host running the audit. rpm gets this by chrooting before
//! it verifies; rootaudit must get the same answers without chroot.

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
