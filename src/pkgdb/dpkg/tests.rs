//! Tests of the dpkg reader: hand-made admin directories in temporary
//! roots, and the real status files under `../shared/realdata` (skipped
//! with a message when absent).

use std::path::{Path, PathBuf};

use super::*;
use crate::check::CheckKind;
use crate::model::{FindingKind, Severity, VerifyAttrs};
use crate::pkgdb::{DbFormat, DigestAlgo, FileFlags, FileRecord};
use crate::scan::{CheckSet, ScanBuilder};

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel.trim_start_matches('/'))
    }

    fn write(&self, rel: &str, data: impl AsRef<[u8]>) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }

    fn symlink(&self, rel: &str, target: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let _ = std::fs::remove_file(&p);
        std::os::unix::fs::symlink(target, p).unwrap();
    }

    fn root(&self) -> Root {
        Root::open(self.dir.path()).unwrap()
    }

    fn read(&self) -> Database {
        read(&self.root(), Path::new("var/lib/dpkg/status")).unwrap()
    }

    /// `(kind, path)` of every finding of a files-only scan.
    fn scan(&self) -> Vec<(String, String, String)> {
        let report = ScanBuilder::new(self.dir.path())
            .checks(CheckSet::only([CheckKind::Files]))
            .jobs(2)
            .run()
            .unwrap();
        assert_eq!(report.info.database.format, DbFormat::DPKG);
        report
            .findings
            .iter()
            .filter(|f| f.kind != FindingKind::CheckIncomplete)
            .map(|f| {
                (
                    f.kind.as_str().to_owned(),
                    String::from_utf8_lossy(f.path_bytes()).into_owned(),
                    f.evidence
                        .verify()
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                )
            })
            .collect()
    }
}

/// The sentences of the database's notes.
fn messages(db: &Database) -> Vec<String> {
    db.notes
        .iter()
        .map(|f| String::from_utf8_lossy(&f.message()).into_owned())
        .collect()
}

fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(data))
}

fn paths(p: &Package) -> Vec<String> {
    p.files
        .iter()
        .map(|f| String::from_utf8_lossy(f.path_bytes()).into_owned())
        .collect()
}

fn file<'a>(p: &'a Package, path: &str) -> &'a FileRecord {
    p.files
        .iter()
        .find(|f| f.path_bytes() == path.as_bytes())
        .unwrap_or_else(|| panic!("{path} not in {:?}", paths(p)))
}

/// A small admin directory exercising every rule of the reader.
fn sample() -> Fixture {
    let fx = Fixture::new();
    let conf = md5_hex(b"conf\n");
    fx.write(
        "var/lib/dpkg/status",
        format!(
            "Package: hello\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\n\
Conffiles:\n /etc/hello.conf {conf}\n /etc/old.conf {conf} obsolete\n \
/etc/gone.conf {conf} remove-on-upgrade\nDescription: x\n y\n\n\
Package: libx\nStatus: install ok installed\nMulti-Arch: same\nVersion: 2\nArchitecture: amd64\n\n\
Package: removed\nStatus: deinstall ok config-files\nVersion: 1\nArchitecture: all\n\n\
Package: broken\nStatus: install reinstreq half-installed\nVersion: 1\nArchitecture: all\n\n\
Package: nolist\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\n\
garbage line\n"
        ),
    );
    fx.write(
        "var/lib/dpkg/info/hello.list",
        "/.\n/usr\n/usr/bin\n/usr/bin/hello\n/usr/bin/linked\n/usr/share/doc/hello\n\
/etc/hello.conf\n/etc/old.conf\n/usr/bin/diverted\n",
    );
    fx.write(
        "var/lib/dpkg/info/hello.md5sums",
        format!(
            "{}  usr/bin/hello\n{}  usr/bin/diverted\n{}  usr/bin/takenover\n{}  usr/bin/linked\n",
            md5_hex(b"hello\n"),
            md5_hex(b"original\n"),
            md5_hex(b"old\n"),
            md5_hex(b"linked\n"),
        ),
    );
    fx.write(
        "var/lib/dpkg/info/libx:amd64.list",
        "/.\n/usr\n/usr/lib\n/usr/lib/libx.so\n/usr/bin/takenover\n",
    );
    fx.write(
        "var/lib/dpkg/diversions",
        "/usr/bin/diverted\n/usr/bin/diverted.real\nother\n",
    );
    fx.write(
        "var/lib/dpkg/alternatives/hi",
        "auto\n/usr/bin/hi\nhi.1.gz\n/usr/share/man/man1/hi.1.gz\n\n\
/usr/bin/hello\n50\n/usr/share/doc/hello\n\n",
    );
    // The files as installed.
    fx.write("usr/bin/hello", "hello\n");
    fx.write("usr/bin/diverted.real", "original\n");
    fx.write("usr/bin/diverted", "the diverting package's own file\n");
    fx.write("usr/bin/takenover", "new owner's content\n");
    fx.write("usr/bin/linked", "linked\n");
    fx.write("usr/share/doc/hello/README", "doc\n");
    fx.write("usr/lib/libx.so", "lib\n");
    fx.write("etc/hello.conf", "conf\n");
    fx.write("etc/old.conf", "conf\n");
    fx.symlink("usr/bin/hi", "/etc/alternatives/hi");
    fx.symlink("etc/alternatives/hi", "/usr/bin/hello");
    fx.symlink("usr/share/man/man1/hi.1.gz", "/etc/alternatives/hi.1.gz");
    fx.symlink("etc/alternatives/hi.1.gz", "/usr/share/doc/hello");
    fx
}

#[test]
fn reads_packages_records_and_notes() {
    let fx = sample();
    let db = fx.read();
    let names: Vec<&str> = db.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["hello", "libx", "nolist"]);
    assert_eq!(db.attributes, VerifyAttrs::DIGEST | VerifyAttrs::LINKTO);

    let hello = &db.packages[0];
    assert_eq!(hello.nevra(), "hello-1.0-1.amd64");
    assert!(!hello.lacks_digests);
    assert_eq!(
        paths(hello),
        [
            "/usr",
            "/usr/bin",
            "/usr/bin/hello",
            "/usr/bin/linked",
            "/usr/share/doc/hello",
            "/etc/hello.conf",
            "/etc/old.conf",
            "/usr/bin/diverted.real",
            "/etc/gone.conf",
            "/usr/bin/hi",
            "/etc/alternatives/hi",
            "/usr/share/man/man1/hi.1.gz",
            "/etc/alternatives/hi.1.gz",
        ]
    );
    let bin = file(hello, "/usr/bin/hello");
    assert_eq!(bin.verify, VerifyAttrs::DIGEST);
    assert_eq!(bin.digest_algo, DigestAlgo::Md5);
    assert_eq!(hex::encode(&bin.digest), md5_hex(b"hello\n"));
    assert_eq!(bin.mode, 0);
    let dir = file(hello, "/usr/share/doc/hello");
    assert_eq!(dir.verify, VerifyAttrs::empty());
    let conf = file(hello, "/etc/hello.conf");
    assert_eq!(conf.flags, FileFlags::CONFIG);
    assert_eq!(conf.verify, VerifyAttrs::DIGEST);
    let gone = file(hello, "/etc/gone.conf");
    assert!(gone.flags.contains(FileFlags::MISSINGOK));
    assert_eq!(gone.verify, VerifyAttrs::empty());
    let alt = file(hello, "/etc/alternatives/hi");
    assert_eq!(alt.link_to, b"/usr/bin/hello");
    assert_eq!(file(hello, "/usr/bin/hi").link_to, b"/etc/alternatives/hi");

    let libx = &db.packages[1];
    assert_eq!(libx.nevra(), "libx-2.amd64");
    assert!(libx.lacks_digests);
    assert!(paths(libx).contains(&"/usr/bin/takenover".to_owned()));

    let nolist = &db.packages[2];
    assert!(nolist.files.is_empty());

    let kinds: Vec<(&str, Severity)> = db
        .notes
        .iter()
        .map(|f| (f.kind.as_str(), f.severity))
        .collect();
    assert!(
        kinds.contains(&("header-malformed", Severity::High)),
        "{kinds:?}"
    );
    let messages = messages(&db);
    assert!(
        messages
            .iter()
            .any(|m| m.contains("half-installed") && m.contains("broken"))
    );
    assert!(messages.iter().any(|m| m.contains("config-files")));
    assert!(
        messages
            .iter()
            .any(|m| m.contains("package nolist has no file list"))
    );
    assert_eq!(db.notes.len(), 4, "{messages:?}");
}

/// The notes are raw facts: the exact sentences rendered from them, the
/// same ids as before (scopes `record-N`, `dpkg-…`, `name.arch`), the
/// path of the file concerned, and counts in the JSON.
#[test]
fn notes_are_raw_facts_with_stable_ids() {
    use crate::model::FindingId;
    let fx = sample();
    let db = fx.read();
    let find = |kind: FindingKind, needle: &str| {
        db.notes
            .iter()
            .find(|f| f.kind == kind && String::from_utf8_lossy(&f.message()).contains(needle))
            .unwrap_or_else(|| panic!("{needle}: {:?}", messages(&db)))
    };
    let text = |f: &Finding| String::from_utf8_lossy(&f.message()).into_owned();

    let stanza = find(FindingKind::HeaderMalformed, "dpkg status stanza");
    assert!(
        text(stanza).starts_with("dpkg status stanza 5 cannot be parsed (")
            && text(stanza).ends_with("); the files of the package it describes are not listed"),
        "{}",
        text(stanza)
    );
    assert_eq!(stanza.path_bytes(), b"/var/lib/dpkg/status");
    assert_eq!(
        stanza.id,
        FindingId::derive(
            FindingKind::HeaderMalformed,
            b"record-5",
            b"/var/lib/dpkg/status"
        )
    );
    assert!(stanza.package.is_none());

    let half = find(FindingKind::CheckIncomplete, "half-installed");
    assert_eq!(
        text(half),
        "1 package(s) are half-installed (an install or removal was interrupted), so their \
         files are not verified: broken"
    );
    assert_eq!(half.severity, Severity::Low);
    assert_eq!(
        half.id,
        FindingId::derive(FindingKind::CheckIncomplete, b"dpkg-half-installed", b"")
    );
    let json = serde_json::to_value(half).unwrap();
    assert_eq!(json["check"], "database");
    assert_eq!(json["database_problem"], "half-installed");
    assert_eq!(json["count"], 1);
    assert_eq!(json["packages"][0], "broken");

    let removed = find(FindingKind::CheckIncomplete, "config-files");
    assert_eq!(
        text(removed),
        "1 package(s) are removed but not purged (config-files): their leftover conffiles are \
         not verified"
    );
    assert_eq!(serde_json::to_value(removed).unwrap()["count"], 1);

    let nolist = find(FindingKind::CheckIncomplete, "no file list");
    assert_eq!(
        text(nolist),
        "package nolist has no file list (info/nolist.list): which paths it owns is unknown; \
         only its md5sums and conffiles are checked"
    );
    assert_eq!(nolist.path_bytes(), b"/var/lib/dpkg/info/nolist.list");
    assert_eq!(
        nolist.id,
        FindingId::derive(
            FindingKind::CheckIncomplete,
            b"nolist.all",
            b"/var/lib/dpkg/info/nolist.list"
        )
    );
}

/// Garbled files: the sentences name the file raw (control characters
/// included: only the terminal writer escapes) and the lines.
#[test]
fn garbled_notes_name_the_file_raw() {
    use crate::model::FindingId;
    let fx = Fixture::new();
    fx.write(
        "var/lib/dpkg/status",
        "Package: a1\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\
Conffiles:\n broken\n",
    );
    let mut lines = String::from("/ok\n");
    for _ in 0..12 {
        lines.push_str("relative\n");
    }
    fx.write("var/lib/dpkg/info/a1.list", lines);
    fx.write("var/lib/dpkg/diversions", "/x\n/y\n");
    fx.write("var/lib/dpkg/alternatives/bad\x1b[2J", "garbage");
    let db = fx.read();
    let msgs = messages(&db);
    assert!(
        msgs.contains(
            &"/var/lib/dpkg/info/a1.list: 12 line(s) cannot be parsed and were not checked \
              (line 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, …)"
                .to_string()
        ),
        "{msgs:?}"
    );
    assert!(
        msgs.contains(
            &"1 Conffiles line(s) of package a1 cannot be parsed; those conffiles are not verified"
                .to_string()
        ),
        "{msgs:?}"
    );
    assert!(
        msgs.contains(
            &"/var/lib/dpkg/diversions: 2 line(s) do not form valid diversions and were \
              ignored, so a diverted file may be looked for in the wrong place"
                .to_string()
        ),
        "{msgs:?}"
    );
    let alt = db
        .notes
        .iter()
        .find(|f| f.path_bytes().starts_with(b"/var/lib/dpkg/alternatives/"))
        .expect("alternatives note");
    assert_eq!(alt.path_bytes(), b"/var/lib/dpkg/alternatives/bad\x1b[2J");
    assert!(
        alt.message()
            .starts_with(b"/var/lib/dpkg/alternatives/bad\x1b[2J: cannot be parsed ("),
        "{:?}",
        String::from_utf8_lossy(&alt.message())
    );
    assert_eq!(
        alt.id,
        FindingId::derive(
            FindingKind::CheckIncomplete,
            b"dpkg",
            b"/var/lib/dpkg/alternatives/bad\x1b[2J"
        )
    );
    let list = db
        .notes
        .iter()
        .find(|f| f.path_bytes() == b"/var/lib/dpkg/info/a1.list")
        .unwrap();
    assert_eq!(
        list.id,
        FindingId::derive(
            FindingKind::CheckIncomplete,
            b"a1.all",
            b"/var/lib/dpkg/info/a1.list"
        )
    );
    let json = serde_json::to_value(list).unwrap();
    assert_eq!(json["database_problem"], "bad-lines");
    assert_eq!(json["count"], 12);
    assert_eq!(json["lines"].as_array().unwrap().len(), 10);
}

#[test]
fn an_untouched_root_is_clean_and_tampering_is_found() {
    let fx = sample();
    let findings = fx.scan();
    let no_digests: Vec<_> = findings
        .iter()
        .filter(|f| f.0 == "package-no-digests")
        .collect();
    assert_eq!(no_digests.len(), 1, "{findings:?}");
    let files: Vec<_> = findings
        .iter()
        .filter(|f| f.0.starts_with("file-"))
        .collect();
    assert!(files.is_empty(), "{files:?}");

    // Content change, missing file, conffile edit, missing obsolete
    // conffile, a file replaced by a symlink to the same and to other
    // content, a hijacked alternative, a setuid bit on a changed file.
    fx.write("usr/bin/hello", "HELLO\n");
    std::fs::remove_file(fx.path("usr/bin/diverted.real")).unwrap();
    fx.write("usr/bin/diverted", "still not checked for hello\n");
    fx.write("etc/hello.conf", "edited\n");
    std::fs::remove_file(fx.path("etc/old.conf")).unwrap();
    fx.write("elsewhere/linked", "linked\n");
    fx.symlink("usr/bin/linked", "/elsewhere/linked");
    fx.symlink("etc/alternatives/hi", "/tmp/evil");
    let mut got = fx.scan();
    got.retain(|f| f.0.starts_with("file-"));
    got.sort();
    let want = vec![
        (
            "file-changed".into(),
            "/etc/alternatives/hi".into(),
            "....L....".into(),
        ),
        (
            "file-changed".into(),
            "/etc/hello.conf".into(),
            "..5......".into(),
        ),
        (
            "file-changed".into(),
            "/usr/bin/hello".into(),
            "..5......".into(),
        ),
        ("file-missing".into(), "/etc/old.conf".into(), String::new()),
        (
            "file-missing".into(),
            "/usr/bin/diverted.real".into(),
            String::new(),
        ),
    ];
    assert_eq!(got, want);

    fx.write("elsewhere/linked", "other\n");
    std::fs::remove_dir_all(fx.path("usr/share/doc/hello")).unwrap();
    fx.write("usr/share/doc/hello", "now a file\n");
    let got = fx.scan();
    assert!(got.contains(&(
        "file-changed".into(),
        "/usr/bin/linked".into(),
        "..5......".into()
    )));
    // An existence-only record is satisfied by any type.
    assert!(!got.iter().any(|f| f.1 == "/usr/share/doc/hello"));
}

#[test]
fn a_setuid_bit_on_a_dpkg_file_is_not_a_type_change() {
    use std::os::unix::fs::PermissionsExt;
    let fx = sample();
    fx.write("usr/bin/hello", "HELLO\n");
    std::fs::set_permissions(
        fx.path("usr/bin/hello"),
        std::fs::Permissions::from_mode(0o4755),
    )
    .unwrap();
    let report = ScanBuilder::new(fx.dir.path())
        .checks(CheckSet::only([CheckKind::Files]))
        .run()
        .unwrap();
    let f = report
        .findings
        .iter()
        .find(|f| f.path_bytes() == b"/usr/bin/hello")
        .unwrap();
    assert_eq!(f.severity, Severity::High);
    assert_eq!(String::from_utf8_lossy(&f.message()), "content differs");
}

#[test]
fn a_digest_behind_a_directory_is_unknown_not_clean() {
    let fx = sample();
    std::fs::remove_file(fx.path("usr/bin/hello")).unwrap();
    std::fs::create_dir(fx.path("usr/bin/hello")).unwrap();
    let got = fx.scan();
    assert!(
        got.contains(&(
            "file-changed".into(),
            "/usr/bin/hello".into(),
            "..?......".into()
        )),
        "{got:?}"
    );
}

#[test]
fn multi_arch_same_uses_qualified_names_and_status_d_is_read() {
    let fx = Fixture::new();
    fx.write(
        "var/lib/dpkg/status",
        "Package: libc6\nStatus: install ok installed\nMulti-Arch: same\nVersion: 2.36-9\n\
Architecture: amd64\n\nPackage: libc6\nStatus: install ok installed\nMulti-Arch: same\n\
Version: 2.36-9\nArchitecture: i386\n",
    );
    fx.write("var/lib/dpkg/info/libc6:amd64.list", "/lib/amd64.so\n");
    fx.write("var/lib/dpkg/info/libc6:i386.list", "/lib/i386.so\n");
    fx.write(
        "var/lib/dpkg/info/libc6:i386.md5sums",
        format!("{}  lib/i386.so\n", md5_hex(b"x")),
    );
    fx.write(
        "var/lib/dpkg/status.d/extra",
        "Package: extra\nVersion: 1\nArchitecture: all\n",
    );
    fx.write(
        "var/lib/dpkg/status.d/extra.md5sums",
        format!("{}  usr/share/extra", md5_hex(b"e")),
    );
    let db = fx.read();
    assert_eq!(db.packages.len(), 3);
    assert_eq!(paths(&db.packages[0]), ["/lib/amd64.so"]);
    assert!(db.packages[0].lacks_digests);
    assert_eq!(paths(&db.packages[1]), ["/lib/i386.so"]);
    assert!(!db.packages[1].lacks_digests);
    assert_eq!(db.packages[2].name, "extra");
    assert_eq!(paths(&db.packages[2]), ["/usr/share/extra"]);
    assert!(db.notes.is_empty(), "{:?}", db.notes);
    // status.d beside status is part of the same database.
    let db = crate::pkgdb::open(&fx.root(), None, None).unwrap();
    assert!(db.also_found.is_empty());
}

#[test]
fn garbled_info_files_are_notes() {
    let fx = Fixture::new();
    fx.write(
        "var/lib/dpkg/status",
        "Package: a1\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\
Conffiles:\n /etc/a not-a-hash\n broken\n",
    );
    fx.write("var/lib/dpkg/info/a1.list", "/ok\nrelative\n");
    fx.write(
        "var/lib/dpkg/info/a1.md5sums",
        format!("{}  ok\nnonsense\n", md5_hex(b"ok")),
    );
    fx.write("var/lib/dpkg/diversions", "/x\n/y\n");
    let db = fx.read();
    let msgs = messages(&db);
    assert_eq!(db.notes.len(), 4, "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("a1.list: 1 line(s)")));
    assert!(msgs.iter().any(|m| m.contains("a1.md5sums: 1 line(s)")));
    assert!(msgs.iter().any(|m| m.contains("1 Conffiles line(s)")));
    assert!(msgs.iter().any(|m| m.contains("diversions")));
    let p = &db.packages[0];
    assert_eq!(paths(p), ["/ok", "/etc/a"]);
    assert_eq!(file(p, "/etc/a").verify, VerifyAttrs::empty());
}

#[test]
fn not_a_status_file_is_an_error() {
    let fx = Fixture::new();
    fx.write("var/lib/dpkg/status", "\u{1}\u{2} binary junk\n");
    assert!(matches!(
        read(&fx.root(), Path::new("var/lib/dpkg/status")),
        Err(Error::Database {
            reason: DatabaseError::UnknownFormat,
            ..
        })
    ));
    // An empty status file is an empty database (a fresh debootstrap).
    fx.write("var/lib/dpkg/status", "");
    assert!(fx.read().packages.is_empty());
    // A status file whose only stanza is damaged is a damaged database: a
    // finding, not "unknown database format" (rootaudit 9, defect 12).
    fx.write(
        "var/lib/dpkg/status",
        "Package: bb\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\
         broken line without colon\n",
    );
    let db = fx.read();
    assert!(db.packages.is_empty());
    assert_eq!(db.notes.len(), 1, "{:?}", db.notes);
    assert_eq!(db.notes[0].kind, crate::model::FindingKind::HeaderMalformed);
    let msg = String::from_utf8(db.notes[0].message()).unwrap();
    assert!(
        msg.starts_with("dpkg status stanza 0 cannot be parsed"),
        "{msg}"
    );
}

/// Mutated admin files never panic the reader.
#[test]
fn fuzzed_admin_files_never_panic() {
    let fx = sample();
    let originals: Vec<(&str, Vec<u8>)> = [
        "var/lib/dpkg/status",
        "var/lib/dpkg/info/hello.list",
        "var/lib/dpkg/info/hello.md5sums",
        "var/lib/dpkg/diversions",
        "var/lib/dpkg/alternatives/hi",
    ]
    .into_iter()
    .map(|p| (p, std::fs::read(fx.path(p)).unwrap()))
    .collect();
    let mut x = 0x1234_5678_9abc_def1u64;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let root = fx.root();
    for round in 0..300 {
        let (p, orig) = &originals[round % originals.len()];
        let mut d = orig.clone();
        if rnd() % 3 == 0 {
            d.truncate((rnd() % (d.len() as u64 + 1)) as usize);
        } else {
            for _ in 0..(rnd() % 6 + 1) {
                if d.is_empty() {
                    break;
                }
                let i = (rnd() % d.len() as u64) as usize;
                d[i] = b"\n /:\0\xffa."[(rnd() % 8) as usize];
            }
        }
        fx.write(p, &d);
        let _ = read(&root, Path::new("var/lib/dpkg/status"));
        fx.write(p, orig);
    }
}

// ---------------------------------------------------------------------------
// Real databases
// ---------------------------------------------------------------------------

fn realdata() -> Option<PathBuf> {
    crate::testutil::realdata_at("otherdb/dpkg")
}

/// The independent oracle: stanzas whose Status is `install ok installed`,
/// counted line by line.
fn count_installed(status: &[u8]) -> usize {
    status
        .split(|&b| b == b'\n')
        .filter(|l| l.trim_ascii_end() == b"Status: install ok installed")
        .count()
}

/// The files of a txtar archive (`-- NAME --` lines start each file).
fn txtar(data: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for line in data.split_inclusive(|&b| b == b'\n') {
        let t = line.trim_ascii_end();
        if t.starts_with(b"-- ") && t.ends_with(b" --") && t.len() > 6 {
            let name = String::from_utf8_lossy(&t[3..t.len() - 3]).into_owned();
            out.push((name, Vec::new()));
        } else if let Some(last) = out.last_mut() {
            last.1.extend_from_slice(line);
        }
    }
    out
}

#[test]
fn real_status_files_have_the_right_package_counts() {
    let Some(base) = realdata() else { return };
    let cases: &[(&str, &str, usize)] = &[
        ("claircore-debian-postgresql", "status", 3),
        ("claircore-ubuntu-bionic-texlive", "status", 357),
        ("snyk-ubuntu-10.04", "status", 140),
        ("fossa-debian-11", "var/lib/dpkg/status", 96),
    ];
    for (dir, rel, expected) in cases {
        let data = std::fs::read(base.join(dir).join(rel)).unwrap();
        assert_eq!(count_installed(&data), *expected, "{dir}: oracle");
        let root = Root::open(&base.join(dir)).unwrap();
        let db = read(&root, Path::new(rel)).unwrap();
        assert_eq!(db.packages.len(), *expected, "{dir}");
        assert!(
            db.notes
                .iter()
                .all(|n| n.kind == FindingKind::CheckIncomplete),
            "{dir}: {:?}",
            db.notes
        );
        assert!(db.packages.iter().all(|p| !p.version.is_empty()));
    }

    // A txtar-wrapped bionic status: 90 installed + 1 config-files.
    let files = txtar(&std::fs::read(base.join("trivy-ubuntu-bionic/valid.txtar")).unwrap());
    let fx = Fixture::new();
    for (name, data) in &files {
        fx.write(name, data);
    }
    let status = &files
        .iter()
        .find(|(n, _)| n == "var/lib/dpkg/status")
        .unwrap()
        .1;
    assert_eq!(count_installed(status), 90);
    let db = fx.read();
    assert_eq!(db.packages.len(), 90);
    assert!(
        db.notes
            .iter()
            .any(|n| String::from_utf8_lossy(&n.message()).contains("1 package(s) are removed"))
    );
}

#[test]
fn real_md5sums_attach_to_their_package() {
    let Some(base) = realdata() else { return };
    let files = txtar(&std::fs::read(base.join("trivy-md5sums/md5sums.txtar")).unwrap());
    let fx = Fixture::new();
    for (name, data) in &files {
        fx.write(name, data);
    }
    let db = fx.read();
    assert_eq!(db.packages.len(), 1);
    let tar = &db.packages[0];
    assert_eq!(tar.nevra(), "tar-1.29b-2.amd64");
    assert_eq!(tar.files.len(), 13);
    assert!(tar.files.iter().all(|f| f.verify == VerifyAttrs::DIGEST));
    assert!(!tar.lacks_digests);
    assert_eq!(
        hex::encode(&file(tar, "/usr/bin/tar").digest),
        "25de5fcdc3c8ebd9c9f599fb7a899b40"
    );
}

#[test]
fn distroless_status_d_verifies_its_real_file() {
    let Some(base) = realdata() else { return };
    let src = base.join("syft-distroless-libsqlite3");
    let fx = Fixture::new();
    for rel in [
        "var/lib/dpkg/status.d/libsqlite3-0",
        "var/lib/dpkg/status.d/libsqlite3-0.md5sums",
        "usr/share/doc/libsqlite3-0/copyright",
    ] {
        fx.write(rel, std::fs::read(src.join(rel)).unwrap());
    }
    // Auto-detection finds status.d when there is no status file.
    let root = fx.root();
    let db = crate::pkgdb::open(&root, None, None)
        .unwrap()
        .load(&root)
        .unwrap();
    assert_eq!(db.format, DbFormat::DPKG);
    assert_eq!(db.path, Path::new("/var/lib/dpkg/status.d"));
    assert_eq!(db.packages.len(), 1);
    let p = &db.packages[0];
    assert_eq!(p.nevra(), "libsqlite3-0-3.34.1-3.arm64");
    assert_eq!(p.files.len(), 6);
    assert!(db.notes.is_empty(), "{:?}", db.notes);

    let got = fx.scan();
    // The one real file verifies; the five others are not in the fixture.
    assert!(!got.iter().any(|f| f.1.ends_with("/copyright")), "{got:?}");
    assert_eq!(got.len(), 5, "{got:?}");
    assert!(got.iter().all(|f| f.0 == "file-missing"));

    fx.write("usr/share/doc/libsqlite3-0/copyright", "tampered\n");
    let got = fx.scan();
    assert!(got.contains(&(
        "file-changed".into(),
        "/usr/share/doc/libsqlite3-0/copyright".into(),
        "..5......".into()
    )));
}

#[test]
fn path_excluded_files_may_be_missing() {
    let fx = sample();
    fx.write(
        "etc/dpkg/dpkg.cfg.d/excludes",
        "path-exclude=/usr/share/doc/*\npath-include=/usr/share/doc/*/copyright\n",
    );
    fx.write(
        "etc/dpkg/dpkg.cfg.d/ignored.conf",
        "path-exclude=/usr/bin/*\n",
    );
    let db = fx.read();
    let hello = &db.packages[0];
    assert!(
        file(hello, "/usr/share/doc/hello")
            .flags
            .contains(FileFlags::MISSINGOK)
    );
    assert!(
        !file(hello, "/usr/bin/hello")
            .flags
            .contains(FileFlags::MISSINGOK)
    );
    std::fs::remove_dir_all(fx.path("usr/share/doc/hello")).unwrap();
    assert!(!fx.scan().iter().any(|f| f.1 == "/usr/share/doc/hello"));
}
