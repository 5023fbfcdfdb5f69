//! Parity with the oracle: real packages built with rpmbuild, installed
//! with rpm into a fresh root, tampered with, then verified by both
//! `rpm -Va` and `rootaudit scan`. The two must report the same paths with
//! the same verify strings and the same missing files.
//!
//! Each [`Group`] carries the exact `rpm -Va` lines rpm 4.18 prints for its
//! tampering (checked first, so a fixture mistake is not mistaken for a
//! rootaudit bug); those lines are the reference the lead implements
//! against.

use std::collections::BTreeSet;
use std::process::Command;

use crate::util::*;

/// A self-contained scenario: packages, how to damage the installed root,
/// and what rpm -Va then prints (exact lines, any order).
struct Group {
    packages: Vec<PkgSpec>,
    tamper: fn(&TestRoot),
    rpm_lines: &'static str,
}

impl Group {
    fn expected_lines(&self) -> Vec<VerifyLine> {
        let lines: Vec<VerifyLine> = self
            .rpm_lines
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| parse_verify_line(l).unwrap_or_else(|| panic!("bad expectation {l:?}")))
            .collect();
        lines
    }
}

fn sorted_lines(lines: &[VerifyLine]) -> Vec<(String, FileState, char, Option<String>)> {
    let mut v: Vec<_> = lines
        .iter()
        .map(|l| (l.path.clone(), l.state.clone(), l.mark, l.note.clone()))
        .collect();
    v.sort();
    v
}

// ---------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------

const UNKNOWN: Option<u32> = Some(UNKNOWN_ID);
const AUDIT: Option<u32> = Some(AUDIT_ID);
const OLD_MTIME: i64 = 978_307_200; // 2001-01-01

/// Content, size, mode, owner, group, mtime, deletion; config, doc,
/// missingok and `%verify(not …)` files; directories.
/// 3 MiB of content unique to `tag`: above the size rootaudit verifies
/// first (before the database streams), so that phase meets rpm too.
fn large_content(tag: u8) -> Vec<u8> {
    (0..3u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 ^ tag)
        .collect()
}

fn content_group() -> Group {
    let bin = |p: &str| FileEntry::file(p, format!("content of {p}\n")).mode(0o755);
    Group {
        packages: vec![
            PkgSpec::new("ra-content").entries([
                bin("/usr/bin/c-same"),
                bin("/usr/bin/c-same-t"),
                bin("/usr/bin/c-size"),
                bin("/usr/bin/c-size-keep"),
                bin("/usr/bin/c-mode"),
                bin("/usr/bin/c-setuid"),
                bin("/usr/bin/c-owner"),
                bin("/usr/bin/c-owner2").user(AUDIT_USER).group(AUDIT_USER),
                bin("/usr/bin/c-group"),
                bin("/usr/bin/c-unknown-id"),
                bin("/usr/bin/c-mtime"),
                bin("/usr/bin/c-deleted"),
                bin("/usr/bin/c-untouched"),
                FileEntry::file("/etc/c.conf", "a=1\n").config(),
                FileEntry::file("/etc/c-nr.conf", "b=2\n").config_noreplace(),
                FileEntry::file("/etc/c-gone.conf", "c=3\n").config(),
                FileEntry::file("/usr/share/doc/c/README", "read me\n").doc(),
                FileEntry::file("/usr/share/c/optional", "opt\n").missingok(),
                FileEntry::file("/usr/share/c/optional2", "opt2\n").missingok(),
                FileEntry::file("/usr/share/c/verifynot", "vn\n")
                    .verify_not(&["md5", "size", "mtime"]),
                FileEntry::file("/usr/share/c/verifynot2", "vn2\n")
                    .verify_not(&["md5", "size", "mtime"]),
                FileEntry::dir("/usr/lib/c").mode(0o755),
                FileEntry::dir("/usr/lib/c/owned-dir").mode(0o755),
                FileEntry::file("/usr/lib/c/owned-dir/data", "data\n"),
                FileEntry::file("/usr/lib/c/large-same", large_content(1)),
                FileEntry::file("/usr/lib/c/large-flip", large_content(2)),
                FileEntry::file("/usr/lib/c/large-gone", large_content(3)),
            ]),
        ],
        tamper: |r| {
            let mut flipped = large_content(2);
            flipped[(3 << 20) - 7] ^= 0x40;
            r.write_keep_mtime("/usr/lib/c/large-flip", flipped);
            r.remove("/usr/lib/c/large-gone");
            r.write_keep_mtime("/usr/bin/c-same", "CONTENT OF /USR/BIN/C-SAME\n");
            r.write("/usr/bin/c-same-t", "CONTENT OF /USR/BIN/C-SAME-T\n");
            r.write("/usr/bin/c-size", "longer content of /usr/bin/c-size\n");
            r.write_keep_mtime("/usr/bin/c-size-keep", "short\n");
            r.chmod("/usr/bin/c-mode", 0o700);
            r.chmod("/usr/bin/c-setuid", 0o4755);
            r.chown("/usr/bin/c-owner", AUDIT, None);
            r.chown("/usr/bin/c-owner2", Some(0), Some(0));
            r.chown("/usr/bin/c-group", None, AUDIT);
            r.chown("/usr/bin/c-unknown-id", UNKNOWN, UNKNOWN);
            r.set_mtime("/usr/bin/c-mtime", OLD_MTIME);
            r.remove("/usr/bin/c-deleted");
            r.write("/etc/c.conf", "a=1\nedited=1\n");
            r.write("/etc/c-nr.conf", "b=2\nedited=1\n");
            r.remove("/etc/c-gone.conf");
            r.write("/usr/share/doc/c/README", "rewritten\n");
            r.remove("/usr/share/c/optional");
            r.write("/usr/share/c/optional2", "changed optional\n");
            r.write("/usr/share/c/verifynot", "changed, longer\n");
            r.chmod("/usr/share/c/verifynot", 0o600);
            r.write("/usr/share/c/verifynot2", "changed too, longer\n");
            r.chmod("/usr/lib/c", 0o700);
            r.chown("/usr/lib/c/owned-dir", AUDIT, None);
        },
        rpm_lines: "
..5......    /usr/bin/c-same
..5....T.    /usr/bin/c-same-t
S.5....T.    /usr/bin/c-size
S.5......    /usr/bin/c-size-keep
.M.......    /usr/bin/c-mode
.M.......    /usr/bin/c-setuid
.....U...    /usr/bin/c-owner
.....UG..    /usr/bin/c-owner2
......G..    /usr/bin/c-group
.....UG..    /usr/bin/c-unknown-id
.......T.    /usr/bin/c-mtime
missing     /usr/bin/c-deleted
S.5....T.  c /etc/c.conf
S.5....T.  c /etc/c-nr.conf
missing   c /etc/c-gone.conf
S.5....T.  d /usr/share/doc/c/README
S.5....T.  m /usr/share/c/optional2
.M.......    /usr/share/c/verifynot
.M.......    /usr/lib/c
.....U...    /usr/lib/c/owned-dir
..5......    /usr/lib/c/large-flip
missing     /usr/lib/c/large-gone
",
    }
}

/// A path whose file type changed: regular file → directory, FIFO,
/// symlink; symlink → other target, regular file, directory; directory →
/// regular file (its children then fail with ENOTDIR); device nodes.
fn types_group() -> Group {
    let f = |p: &str| FileEntry::file(p, format!("content of {p}\n"));
    Group {
        packages: vec![PkgSpec::new("ra-types").entries([
            f("/usr/bin/t-target"),
            f("/usr/bin/t-dir"),
            f("/usr/bin/t-fifo"),
            f("/usr/bin/t-to-rel-link"),
            f("/usr/bin/t-to-abs-link"),
            FileEntry::dir("/usr/lib/t").mode(0o755),
            FileEntry::symlink("/usr/lib/t/link", "../../bin/t-target"),
            // target text is 9 bytes: a 9-byte file keeps the size equal
            FileEntry::symlink("/usr/lib/t/link-to-file", "abcdefghi"),
            FileEntry::symlink("/usr/lib/t/link-to-bigfile", "abcdefghi"),
            FileEntry::symlink("/usr/lib/t/link-to-dir", "../../bin"),
            FileEntry::symlink("/usr/lib/t/link-untouched", "../../bin/t-target"),
            FileEntry::dir("/usr/lib/t/sub").mode(0o755),
            f("/usr/lib/t/sub/child"),
            FileEntry::device("/dev/t-null", 'c', 1, 3),
            FileEntry::device("/dev/t-zero", 'c', 1, 5),
            FileEntry::device("/dev/t-full", 'c', 1, 7),
            FileEntry::device("/dev/t-random", 'c', 1, 8),
        ])],
        tamper: |r| {
            r.remove("/usr/bin/t-dir");
            r.mkdir("/usr/bin/t-dir");
            r.chmod("/usr/bin/t-dir", 0o644);
            r.remove("/usr/bin/t-fifo");
            r.mkfifo("/usr/bin/t-fifo", 0o644);
            r.replace_with_symlink("/usr/bin/t-to-rel-link", "t-target");
            r.replace_with_symlink("/usr/bin/t-to-abs-link", "/etc/passwd");
            r.replace_with_symlink("/usr/lib/t/link", "/elsewhere");
            r.remove("/usr/lib/t/link-to-file");
            r.write("/usr/lib/t/link-to-file", "ABCDEFGHI");
            r.remove("/usr/lib/t/link-to-bigfile");
            r.write("/usr/lib/t/link-to-bigfile", "a longer file\n");
            r.remove("/usr/lib/t/link-to-dir");
            r.mkdir("/usr/lib/t/link-to-dir");
            r.remove("/usr/lib/t/sub");
            r.write("/usr/lib/t/sub", "not a directory\n");
            r.remove("/dev/t-null");
            r.mknod("/dev/t-null", 'c', 1, 5, 0o666);
            r.remove("/dev/t-zero");
            r.mknod("/dev/t-zero", 'b', 1, 5, 0o666);
            r.remove("/dev/t-full");
            r.write("/dev/t-full", "x");
            r.chmod("/dev/t-full", 0o666);
            // %dev entries record the build time as mtime: move the file's
            // mtime well away from it, or T depends on the clock.
            r.set_mtime("/dev/t-full", OLD_MTIME);
        },
        rpm_lines: "
.M.......    /usr/bin/t-dir
.M.......    /usr/bin/t-fifo
....L....    /usr/bin/t-to-rel-link
....L....    /usr/bin/t-to-abs-link
....L....    /usr/lib/t/link
.M5....T.    /usr/lib/t/link-to-file
SM5....T.    /usr/lib/t/link-to-bigfile
.M.......    /usr/lib/t/link-to-dir
SM5....T.    /usr/lib/t/sub
missing     /usr/lib/t/sub/child (Not a directory)
...D.....    /dev/t-null
.M.D.....    /dev/t-zero
SM5D...T.    /dev/t-full
",
    }
}

/// File capabilities (`P`): changed, removed, added, set again unchanged,
/// and a content write (which drops the capability xattr).
fn caps_group() -> Group {
    let f = |p: &str| FileEntry::file(p, format!("content of {p}\n")).mode(0o755);
    Group {
        packages: vec![PkgSpec::new("ra-caps").entries([
            f("/usr/bin/p-changed").caps("cap_net_raw=ep"),
            f("/usr/bin/p-removed").caps("cap_net_raw,cap_net_admin=ep"),
            f("/usr/bin/p-added"),
            f("/usr/bin/p-same").caps("cap_net_raw=ep"),
            f("/usr/bin/p-eip").caps("cap_net_raw=ep"),
            f("/usr/bin/p-written").caps("cap_net_raw=ep"),
            f("/usr/bin/p-untouched").caps("cap_net_bind_service=ep"),
        ])],
        tamper: |r| {
            r.setcap("/usr/bin/p-changed", "cap_sys_admin=ep");
            r.clear_caps("/usr/bin/p-removed");
            r.setcap("/usr/bin/p-added", "cap_net_raw=ep");
            r.setcap("/usr/bin/p-same", "cap_net_raw=ep");
            r.setcap("/usr/bin/p-eip", "cap_net_raw=eip");
            r.write("/usr/bin/p-written", "new content, capability dropped\n");
        },
        rpm_lines: "
........P    /usr/bin/p-changed
........P    /usr/bin/p-removed
........P    /usr/bin/p-added
........P    /usr/bin/p-eip
S.5....TP    /usr/bin/p-written
",
    }
}

/// `%ghost` files: only permissions (not type), owner and group count; a
/// missing ghost is not a failure.
fn ghost_group() -> Group {
    Group {
        packages: vec![
            PkgSpec::new("ra-ghost").entries([
                FileEntry::dir("/var/log/g").mode(0o755),
                FileEntry::ghost("/var/log/g/absent.log")
                    .mode(0o644)
                    .user("root")
                    .group("root"),
                FileEntry::ghost_with("/var/log/g/present.log", "original\n"),
                FileEntry::ghost("/var/log/g/mode.log")
                    .mode(0o600)
                    .user("root")
                    .group("root"),
                FileEntry::ghost("/var/log/g/owner.log")
                    .mode(0o644)
                    .user("root")
                    .group("root"),
                FileEntry::ghost("/var/log/g/type.log")
                    .mode(0o755)
                    .user("root")
                    .group("root"),
                // no %attr and nothing in the build root: rpm records mode 0100000
                FileEntry::ghost("/var/log/g/noattr.log"),
            ]),
        ],
        tamper: |r| {
            r.write(
                "/var/log/g/present.log",
                "other content, other size and mtime\n",
            );
            r.write("/var/log/g/mode.log", "");
            r.chmod("/var/log/g/mode.log", 0o644);
            r.write("/var/log/g/owner.log", "");
            r.chmod("/var/log/g/owner.log", 0o644);
            r.chown("/var/log/g/owner.log", AUDIT, None);
            r.mkdir("/var/log/g/type.log");
            r.chmod("/var/log/g/type.log", 0o755);
            r.write("/var/log/g/noattr.log", "x\n");
            r.chmod("/var/log/g/noattr.log", 0o644);
        },
        rpm_lines: "
.M.......  g /var/log/g/mode.log
.....U...  g /var/log/g/owner.log
.M.......  g /var/log/g/noattr.log
",
    }
}

/// A path owned by two packages whose headers record different mtimes:
/// rpm drops `T` for it, whoever's copy is on disk; other differences are
/// reported once per owning package.
fn shared_group() -> Group {
    let a = PkgSpec::new("ra-shared-a").entries([
        FileEntry::file("/usr/share/s/common", "shared\n").mtime(1_577_836_800),
        FileEntry::file("/usr/share/s/common2", "shared 2\n").mtime(1_577_836_800),
        FileEntry::file("/usr/share/s/only-a", "a\n"),
    ]);
    let b = PkgSpec::new("ra-shared-b")
        .version("2.0")
        .release("3")
        .entries([
            FileEntry::file("/usr/share/s/common", "shared\n").mtime(1_622_505_600),
            FileEntry::file("/usr/share/s/common2", "shared 2\n").mtime(1_622_505_600),
            FileEntry::file("/usr/share/s/only-b", "b\n"),
        ]);
    Group {
        packages: vec![a, b],
        tamper: |r| {
            r.write("/usr/share/s/common2", "changed shared content\n");
            r.set_mtime("/usr/share/s/only-b", OLD_MTIME);
        },
        rpm_lines: "
S.5......    /usr/share/s/common2
S.5......    /usr/share/s/common2
.......T.    /usr/share/s/only-b
",
    }
}

fn all_groups() -> Vec<Group> {
    vec![
        content_group(),
        types_group(),
        caps_group(),
        ghost_group(),
        shared_group(),
    ]
}

// ---------------------------------------------------------------------------
// Running a group
// ---------------------------------------------------------------------------

struct Outcome {
    rpm: RpmVa,
    audit: Audit,
    nevras: BTreeSet<String>,
}

/// Build and install every package of `groups` into one fresh root, apply
/// every tamper, check rpm says what the groups expect, then check
/// rootaudit agrees.
fn run_groups(groups: &[Group], root: &TestRoot) -> Outcome {
    let built: Vec<BuiltPkg> = groups
        .iter()
        .flat_map(|g| g.packages.iter())
        .map(|p| p.build())
        .collect();
    root.install(&built.iter().collect::<Vec<_>>());
    for g in groups {
        (g.tamper)(root);
    }
    let rpm = rpm_va(root);
    let expected: Vec<VerifyLine> = groups.iter().flat_map(|g| g.expected_lines()).collect();
    assert_eq!(
        sorted_lines(&rpm.lines),
        sorted_lines(&expected),
        "rpm -Va did not print what this test expects (fixture or oracle changed)\n--- rpm -Va:\n{}",
        rpm.raw
    );
    assert_oracle(&rpm, &lines_to_map(&expected));
    let audit = rootaudit_json(root, &[]);
    Outcome {
        rpm,
        audit,
        nevras: built.iter().map(|b| b.nevra.clone()).collect(),
    }
}

/// rootaudit agrees with rpm: same map, config flags, known packages.
fn check_parity(out: &Outcome) {
    assert_parity(&out.rpm, &out.audit);
    check_config_flags(&out.rpm, &out.audit);
    check_packages(&out.audit, &out.nevras);
}

/// rpm's `c` mark ⇔ the finding's `config` flag.
fn check_config_flags(rpm: &RpmVa, audit: &Audit) {
    for l in &rpm.lines {
        for f in audit.findings_for(&l.path) {
            assert_eq!(
                f["config"].as_bool(),
                Some(l.mark == 'c'),
                "config flag of {} (rpm mark {:?}): {f}",
                l.path,
                l.mark
            );
        }
    }
}

/// Every file finding names one of the installed packages.
fn check_packages(audit: &Audit, nevras: &BTreeSet<String>) {
    for f in audit.findings() {
        let pkg = f["package"]["nevra"].as_str().unwrap_or("<none>");
        assert!(
            nevras.contains(pkg),
            "finding names unknown package {pkg}: {f}"
        );
    }
}

fn run_group(g: Group) {
    let root = TestRoot::new();
    let out = run_groups(std::slice::from_ref(&g), &root);
    check_parity(&out);
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[test]
fn parity_content_owner_mode_mtime() {
    require_tools!();
    run_group(content_group());
}

#[test]
fn parity_file_type_changes() {
    require_tools!();
    run_group(types_group());
}

#[test]
fn parity_capabilities() {
    require_tools!();
    run_group(caps_group());
}

#[test]
fn parity_ghost_files() {
    require_tools!();
    run_group(ghost_group());
}

#[test]
fn parity_shared_file_mtime() {
    require_tools!();
    run_group(shared_group());
}

/// Everything at once in one root: parity, every verify letter and
/// `missing` exercised (so the suite cannot silently become vacuous),
/// marks and packages in the text output, and `--jobs` not changing the
/// result.
#[test]
fn parity_all_tampers_cover_every_letter() {
    require_tools!();
    let root = TestRoot::new();
    let out = run_groups(&all_groups(), &root);

    let letters = letters_of(&out.rpm.map);
    let want: BTreeSet<String> = "SM5DLUGTP"
        .chars()
        .map(String::from)
        .chain(["missing".to_string()])
        .collect();
    let uncovered: Vec<_> = want.difference(&letters).collect();
    assert!(
        uncovered.is_empty(),
        "rpm -Va never reported {uncovered:?}; parity is vacuous for them"
    );

    // Text output says what the JSON says (checked before parity, so it
    // is reported even while parity fails): one line per finding, formatted
    // like rpm -V, followed by the package in brackets.
    let text = rootaudit_text(&root, &[]);
    assert_eq!(text.status, out.audit.status, "text and JSON exit status");
    assert_eq!(
        lines_to_map(&text.lines),
        out.audit.map,
        "text output and JSON disagree\n--- text:\n{}",
        String::from_utf8_lossy(&text.stdout)
    );
    for p in &text.packages {
        assert!(out.nevras.contains(p), "text line names package {p:?}");
    }

    check_parity(&out);

    assert_eq!(
        out.rpm.status,
        Some(1),
        "rpm -Va exits 1 when something failed"
    );
    assert_eq!(out.audit.status, Some(1), "rootaudit exits 1 on findings");

    for jobs in ["1", "3"] {
        let again = rootaudit_json(&root, &["--jobs", jobs]);
        assert_parity(&out.rpm, &again);
    }

    // The attribute marks (c, d, g, m…) are rpm's.
    let marks = |ls: &[VerifyLine]| {
        let mut v: Vec<_> = ls
            .iter()
            .map(|l| (l.path.clone(), l.state.clone(), l.mark))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        marks(&text.lines),
        marks(&out.rpm.lines),
        "text output lines differ from rpm -Va\n--- rootaudit text:\n{}\n--- rpm -Va:\n{}",
        String::from_utf8_lossy(&text.stdout),
        out.rpm.raw
    );
}

/// A clean install: nothing from either verifier, exit status 0 from both
/// (shared files with different recorded mtimes, absent ghosts and
/// device nodes included).
#[test]
fn clean_install_is_clean() {
    require_tools!();
    let root = TestRoot::new();
    let built: Vec<BuiltPkg> = all_groups()
        .iter()
        .flat_map(|g| g.packages.iter())
        .map(|p| p.build())
        .collect();
    root.install(&built.iter().collect::<Vec<_>>());
    let rpm = rpm_va(&root);
    assert_oracle(&rpm, &VerifyMap::new());
    assert_eq!(rpm.status, Some(0));
    // `--checks files`: the test packages are unsigned, which the default
    // `headers` check reports (see tests/trust.rs).
    let audit = rootaudit_json(&root, &["--checks", "files"]);
    assert_parity(&rpm, &audit);
    assert_eq!(
        audit.status,
        Some(0),
        "clean root must exit 0\n{}",
        audit.raw
    );
    assert_eq!(audit.json["summary"]["findings"], 0);
    assert_eq!(
        audit.json["database"]["packages"].as_u64(),
        Some(built.len() as u64)
    );
    let text = rootaudit_text(&root, &["--checks", "files"]);
    assert_eq!(text.status, Some(0));
    assert!(
        text.lines.is_empty(),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
}

fn single_change_root() -> (TestRoot, BuiltPkg) {
    let pkg = PkgSpec::new("ra-single")
        .entry(FileEntry::file("/usr/share/single/data.txt", "some data\n"))
        .entry(FileEntry::file("/usr/share/single/other.txt", "other\n"))
        .build();
    let root = TestRoot::new();
    root.install(&[&pkg]);
    root.write_keep_mtime("/usr/share/single/data.txt", "SOME DATA\n");
    (root, pkg)
}

/// Exit status: 1 for a finding at or above the default threshold, 0 when
/// `--fail-on critical` puts a plain content change below it.
#[test]
fn exit_status_follows_fail_on() {
    require_tools!();
    let (root, pkg) = single_change_root();
    let rpm = rpm_va(&root);
    assert_oracle(
        &rpm,
        &verify_map(&[("/usr/share/single/data.txt", "..5......")]),
    );
    let audit = rootaudit_json(&root, &[]);
    assert_parity(&rpm, &audit);
    assert_eq!(audit.status, Some(1));
    let f = &audit.findings()[0];
    assert_eq!(f["package"]["nevra"], pkg.nevra.as_str());
    assert_ne!(
        f["severity"], "critical",
        "a data file edit is not critical: {f}"
    );

    let files_only = rootaudit_json(&root, &["--checks", "files"]);
    assert_eq!(files_only.map, audit.map, "--checks files");
    assert_eq!(files_only.status, Some(1));

    let lenient = rootaudit_json(&root, &["--fail-on", "critical"]);
    assert_eq!(lenient.status, Some(0), "{}", lenient.stderr);
    assert_eq!(
        lenient.map, audit.map,
        "--fail-on must not filter the report"
    );

    let text = rootaudit_text(&root, &["--fail-on", "critical"]);
    assert_eq!(text.status, Some(0));
}

/// The JSON report's documented shape.
#[test]
fn json_report_shape() {
    require_tools!();
    let (root, pkg) = single_change_root();
    root.remove("/usr/share/single/other.txt");
    // The unsigned test package's header finding is checked in tests/trust.rs.
    let audit = rootaudit_json(&root, &["--checks", "files"]);
    let j = &audit.json;
    assert_eq!(j["schema"], 2);
    assert_eq!(j["tool"]["name"], "rootaudit");
    assert!(j["tool"]["version"].is_string());
    assert_eq!(j["root"].as_str(), root.path().to_str());
    assert_eq!(j["database"]["format"], "rpm-sqlite");
    assert_eq!(j["database"]["path"], "/var/lib/rpm/rpmdb.sqlite");
    assert_eq!(j["database"]["packages"], 1);
    let s = &j["summary"];
    assert_eq!(s["packages"], 1);
    assert_eq!(s["findings"], 2);
    assert!(s["files_checked"].as_u64().unwrap() >= 1, "{s}");
    assert!(
        s["bytes_hashed"].as_u64().unwrap() >= "SOME DATA\n".len() as u64,
        "{s}"
    );
    assert!(s["elapsed_ms"].is_u64(), "{s}");
    let findings = audit.findings();
    assert_eq!(findings.len(), 2);
    let root_str = root.path().to_str().unwrap();
    for f in findings {
        let id = f["id"].as_str().unwrap();
        assert!(
            id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "id {id:?}"
        );
        let path = f["path"].as_str().unwrap();
        assert!(
            path.starts_with('/') && !path.starts_with(root_str),
            "{path}"
        );
        assert_eq!(f["package"]["nevra"], pkg.nevra.as_str());
        assert!(
            ["info", "low", "medium", "high", "critical"]
                .contains(&f["severity"].as_str().unwrap()),
            "{f}"
        );
        assert!(f["config"].is_boolean(), "{f}");
        assert!(!f["message"].as_str().unwrap().is_empty(), "{f}");
        match f["kind"].as_str().unwrap() {
            "file-changed" => {
                assert_eq!(path, "/usr/share/single/data.txt");
                assert_eq!(f["verify"], "..5......");
                assert!(f["expected"]["digest"].is_string(), "{f}");
                assert!(f["actual"]["digest"].is_string(), "{f}");
                assert_ne!(f["expected"]["digest"], f["actual"]["digest"]);
            }
            "file-missing" => {
                assert_eq!(path, "/usr/share/single/other.txt");
                assert!(f.get("verify").is_none(), "missing has no verify: {f}");
            }
            k => panic!("unexpected kind {k}: {f}"),
        }
    }
    // ids are stable across runs
    let again = rootaudit_json(&root, &["--checks", "files"]);
    let ids = |a: &Audit| {
        let mut v: Vec<String> = a.findings().iter().map(|f| f["id"].to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(ids(&audit), ids(&again));
}

/// `--output FILE` writes the same report to the file.
#[test]
fn output_file_holds_the_report() {
    require_tools!();
    let (root, _pkg) = single_change_root();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let r = run_with_timeout(
        rootaudit_cmd(root.path())
            .args(["--format", "json", "--output"])
            .arg(&out),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(1), "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let direct = rootaudit_json(&root, &[]);
    assert_eq!(json_to_map(&json), direct.map);
    assert!(
        !r.stdout_str().contains("\"findings\""),
        "report went to stdout too: {}",
        r.stdout_str()
    );
}

/// A file rpm cannot read (mode 000, verifier without CAP_DAC_OVERRIDE):
/// rpm prints `?` in the digest column. rootaudit, run the same way, must
/// agree.
#[test]
fn parity_unreadable_file_without_dac_override() {
    require_tools!();
    if !missing_tools(&["setpriv"]).is_empty() {
        eprintln!("SKIPPING: setpriv (util-linux) missing");
        return;
    }
    let pkg = PkgSpec::new("ra-unreadable")
        .entry(FileEntry::file("/usr/share/u/secret", "secret\n").mode(0o644))
        .entry(FileEntry::file("/usr/share/u/plain", "plain\n").mode(0o644))
        .build();
    let root = TestRoot::new();
    root.install(&[&pkg]);
    root.chmod("/usr/share/u/secret", 0o000);
    let drop = [
        "setpriv",
        "--bounding-set",
        "-dac_override,-dac_read_search",
        "--inh-caps",
        "-all",
        "--",
    ];
    let rpm = rpm_va_with(&root, &drop, &[]);
    assert_oracle(&rpm, &verify_map(&[("/usr/share/u/secret", ".M?......")]));
    let mut c = Command::new(drop[0]);
    c.args(&drop[1..])
        .arg(ROOTAUDIT)
        .arg("scan")
        .arg(root.path())
        .args(["--format", "json"]);
    let audit = audit_from_run(run_with_timeout(&mut c, COMMAND_TIMEOUT));
    assert_parity(&rpm, &audit);
}

/// A packaged file whose name holds an ANSI escape (`ESC[31m`): rpm prints
/// it raw; rootaudit's text output must not.
#[test]
fn text_output_escapes_hostile_names() {
    require_tools!();
    // rpmbuild refuses control bytes in file names: build with a
    // placeholder of the same length and patch the .rpm.
    let pkg = PkgSpec::new("ra-hostile")
        .entry(FileEntry::dir("/usr/share/h").mode(0o755))
        .entry(FileEntry::file("/usr/share/h/evilQZ31mred", "x\n"))
        .entry(FileEntry::file("/usr/share/h/plain", "y\n"))
        .build();
    patch_rpm_bytes(&pkg.path, b"QZ31m", b"\x1b[31m");
    let root = TestRoot::new();
    root.install_nodigest(&[&pkg.path]);
    let evil = "/usr/share/h/evil\x1b[31mred";
    assert!(root.join(evil).is_file(), "patched name installed");
    root.write(evil, "changed\n");
    root.write("/usr/share/h/plain", "changed\n");

    let rpm = rpm_va(&root);
    assert!(
        rpm.raw.contains('\x1b'),
        "rpm prints the name raw:\n{}",
        rpm.raw
    );
    assert_oracle(
        &rpm,
        &verify_map(&[(evil, "S.5....T."), ("/usr/share/h/plain", "S.5....T.")]),
    );

    let text = rootaudit_text(&root, &[]);
    assert_eq!(text.status, Some(1), "{}", text.stderr);
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(
        !text.stdout.contains(&0x1b),
        "raw ESC byte in text output:\n{out:?}"
    );
    assert!(
        !text.stderr.contains('\x1b'),
        "raw ESC on stderr: {:?}",
        text.stderr
    );
    assert!(
        out.contains("/usr/share/h/evil\\x1b[31mred"),
        "the hostile file is reported, escaped:\n{out}"
    );
    assert!(out.contains("/usr/share/h/plain"), "{out}");

    // JSON: the name is carried exactly (JSON escapes the control
    // character inside the string; no raw byte reaches the document).
    let audit = rootaudit_json(&root, &[]);
    assert!(!audit.raw.contains('\x1b'), "{}", audit.raw);
    assert!(
        audit
            .findings()
            .iter()
            .any(|f| f["path"].as_str() == Some(evil)),
        "{}",
        audit.raw
    );
}
