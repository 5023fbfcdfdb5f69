//! The report model end to end ("rootaudit 6"): hostile bytes stay exact in
//! JSON and never reach a terminal raw; a report sink sees every finding
//! once, in final form; a database backend plugs in through the public
//! trait alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use rootaudit::model::{Evidence, Finding, FindingKind, HeaderVerdict, VerifyAttrs};
use rootaudit::pkgdb::{
    Backend, DbFormat, DigestAlgo, FORMATS, FileFlags, FileRecord, FileState, FormatSpec, Package,
    PassOutcome, Source,
};
use rootaudit::rootfs::Root;
use rootaudit::scan::{CheckSet, Collect, ReportSink, ScanBuilder, ScanEnd, ScanInfo};
use serde_json::Value;

use crate::util::*;

/// `ESC ] 0 ; x BEL` (retitles a terminal), a newline and a byte that is
/// not UTF-8: what a file name must be able to hold without harm.
const HOSTILE_FILE: &[u8] = b"\x1b]0;x\x07\n\xff";
/// The same in a package NAME (kept valid UTF-8: rpm's NAME is a string).
const HOSTILE_NAME: &[u8] = b"\x1b]0;x\x07\n";

/// Decode a JSON byte value: a string, or `{"bytes": base64}`.
fn json_bytes(v: &Value) -> Vec<u8> {
    match v {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Object(o) => base64::engine::general_purpose::STANDARD
            .decode(o["bytes"].as_str().expect("bytes"))
            .expect("base64"),
        other => panic!("not a byte value: {other}"),
    }
}

/// Bytes below 0x20 other than newline and tab.
fn control_bytes(out: &[u8]) -> Vec<u8> {
    out.iter()
        .copied()
        .filter(|&b| b < 0x20 && b != b'\n' && b != b'\t')
        .collect()
}

#[test]
fn hostile_file_and_package_names_are_exact_in_json_and_escaped_in_text() {
    require_tools!();
    // rpmbuild refuses control bytes in names: build with placeholders of
    // the same length and patch the .rpm (headers digests fixed up).
    let pkg = PkgSpec::new("ra-hostile-NNNNNNN")
        .entry(FileEntry::dir("/usr/share/h").mode(0o755))
        .entry(FileEntry::file("/usr/share/h/evQQQQQQQQil", "x\n"))
        .build();
    patch_rpm_bytes(&pkg.path, b"QQQQQQQQ", HOSTILE_FILE);
    patch_rpm_bytes(&pkg.path, b"NNNNNNN", HOSTILE_NAME);
    let root = TestRoot::new();
    root.install_nodigest(&[&pkg.path]);
    let mut evil = b"/usr/share/h/ev".to_vec();
    evil.extend_from_slice(HOSTILE_FILE);
    evil.extend_from_slice(b"il");
    let on_disk = {
        use std::os::unix::ffi::OsStrExt;
        root.path().join(std::ffi::OsStr::from_bytes(&evil[1..]))
    };
    assert!(on_disk.is_file(), "patched name installed");
    std::fs::write(&on_disk, "changed\n").unwrap();
    let mut name = b"ra-hostile-".to_vec();
    name.extend_from_slice(HOSTILE_NAME);

    // JSON: every byte of the path and of the package name comes back.
    let run = run_with_timeout(
        rootaudit_cmd(root.path()).args(["--format", "json"]),
        COMMAND_TIMEOUT,
    );
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    assert!(
        control_bytes(&run.stdout).is_empty(),
        "raw control bytes in the JSON document"
    );
    let json: Value = serde_json::from_slice(&run.stdout).unwrap();
    let changed: Vec<&Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "file-changed")
        .collect();
    assert_eq!(changed.len(), 1, "{json:#}");
    let f = changed[0];
    assert!(f["path"]["bytes"].is_string(), "not UTF-8: base64 {f}");
    assert_eq!(json_bytes(&f["path"]), evil);
    assert_eq!(json_bytes(&f["package"]["name"]), name);
    assert_eq!(f["verify"], "S.5....T.");

    // Text: no control byte but line ends, and the names are recognisable.
    let run = run_with_timeout(&mut rootaudit_cmd(root.path()), COMMAND_TIMEOUT);
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    assert_eq!(control_bytes(&run.stdout), b"", "{}", run.stdout_str());
    assert_eq!(control_bytes(run.stderr.as_bytes()), b"");
    let text = run.stdout_str();
    assert!(
        text.contains("/usr/share/h/ev\\x1b]0;x\\x07\\x0a\\xffil"),
        "{text}"
    );
    assert!(
        text.contains("[ra-hostile-\\x1b]0;x\\x07\\x0a-1.0-1.noarch]"),
        "{text}"
    );

    // JSON Lines (ECS): the same exact bytes under `rootaudit.finding`,
    // one object per line, the scan's event last.
    let run = run_with_timeout(
        rootaudit_cmd(root.path()).args(["--format", "jsonl"]),
        COMMAND_TIMEOUT,
    );
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    assert!(
        control_bytes(&run.stdout).is_empty(),
        "raw control bytes in the JSON Lines"
    );
    let lines: Vec<Value> = run
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.last().unwrap()["event"]["kind"], "event");
    let f = lines
        .iter()
        .map(|l| &l["rootaudit"]["finding"])
        .find(|f| f["kind"] == "file-changed")
        .unwrap();
    assert_eq!(json_bytes(&f["path"]), evil);
    assert_eq!(json_bytes(&f["package"]["name"]), name);
}

/// A sink that checks the scan's promises as findings arrive.
#[derive(Default)]
struct Strict {
    began: bool,
    ended: bool,
    findings: Vec<Finding>,
}

impl ReportSink for Strict {
    fn begin(&mut self, _info: &ScanInfo) -> std::io::Result<()> {
        assert!(!self.began, "begin twice");
        self.began = true;
        Ok(())
    }

    fn finding(&mut self, f: &Finding) -> std::io::Result<()> {
        assert!(self.began && !self.ended, "finding outside begin..finish");
        self.findings.push(f.clone());
        Ok(())
    }

    fn finish(&mut self, _end: &ScanEnd) -> std::io::Result<()> {
        self.ended = true;
        Ok(())
    }
}

#[test]
fn a_sink_sees_every_finding_once_in_final_form() {
    require_tools!();
    let a = PkgSpec::new("ra-sink-a")
        .entry(FileEntry::dir("/usr/share/sa").mode(0o755))
        .entry(FileEntry::file("/usr/share/sa/one", "1\n"))
        .entry(FileEntry::file("/usr/share/sa/two", "2\n"))
        .build();
    let b = PkgSpec::new("ra-sink-b")
        .entry(FileEntry::file("/usr/bin/ra-sink-b", "#!/bin/sh\n").mode(0o755))
        .build();
    let root = TestRoot::new();
    root.install(&[&a, &b]);
    root.write("/usr/share/sa/one", "changed\n");
    root.remove("/usr/share/sa/two");
    root.chmod("/usr/bin/ra-sink-b", 0o4755);
    root.write("/usr/share/sa/stray", "not packaged\n");
    root.write("/usr/bin/stray-tool", "#!/bin/sh\n");
    root.chmod("/usr/bin/stray-tool", 0o755);

    let mut sink = Strict::default();
    let end = ScanBuilder::new(root.path())
        .checks(CheckSet::all())
        .jobs(2)
        .run_with(&mut sink)
        .unwrap();
    assert!(sink.ended && end.complete);
    assert_eq!(end.summary.findings, sink.findings.len() as u64);

    // Exactly once: ids are unique (they are derived from kind, package
    // and path, which identify a finding).
    let mut ids: BTreeMap<String, &Finding> = BTreeMap::new();
    for f in &sink.findings {
        assert!(ids.insert(f.id.to_string(), f).is_none(), "twice: {f:?}");
    }
    // Final form: each file finding carries its package's header verdict
    // (these test packages are unsigned).
    let files: Vec<&Finding> = sink
        .findings
        .iter()
        .filter(|f| {
            matches!(
                f.kind,
                FindingKind::FileChanged | FindingKind::FileMissing | FindingKind::FileUnreadable
            )
        })
        .collect();
    assert_eq!(files.len(), 3, "{files:#?}");
    for f in &files {
        assert_eq!(f.header, Some(HeaderVerdict::Unsigned), "{f:?}");
    }
    assert!(
        sink.findings
            .iter()
            .any(|f| f.kind == FindingKind::UnownedExecutable
                && f.path_bytes() == b"/usr/bin/stray-tool")
    );

    // The same set as the JSON report lists (unsummarised with --verbose).
    let audit = rootaudit_json(&root, &["--verbose"]);
    let json_ids: std::collections::BTreeSet<String> = audit
        .findings()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    let sink_ids: std::collections::BTreeSet<String> = ids.keys().cloned().collect();
    assert_eq!(json_ids, sink_ids, "{}", audit.raw);
    for f in audit.findings() {
        if f["kind"].as_str().unwrap().starts_with("file-") {
            assert_eq!(f["header"], "unsigned", "{f}");
        }
    }
}

/// A toy package database: one line per file, `NAME PATH SHA256HEX`.
#[derive(Debug)]
struct Toy {
    text: Vec<u8>,
}

fn open_toy(root: &Root, rel: &Path) -> Result<Source, rootaudit::Error> {
    let text = root
        .read_small(rel, 1 << 20)
        .map_err(|source| rootaudit::Error::Io {
            what: "reading the toy database".into(),
            source,
        })?;
    Ok(Source::new(
        TOY.format,
        Path::new("/").join(rel),
        VerifyAttrs::DIGEST,
        Box::new(Toy { text }),
    ))
}

impl Backend for Toy {
    fn read(
        &self,
        _root: &Root,
        each: &mut (dyn FnMut(&[Package]) + Send),
    ) -> Result<PassOutcome, rootaudit::Error> {
        let mut packages: Vec<Package> = Vec::new();
        for line in self.text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let line = String::from_utf8_lossy(line);
            let mut parts = line.split(' ');
            let (name, path, digest) = (
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
            );
            if packages.last().is_none_or(|p| p.name != name) {
                packages.push(Package {
                    record: packages.len() as u64 + 1,
                    name: name.into(),
                    epoch: None,
                    version: "1".into(),
                    release: String::new(),
                    arch: None,
                    files: Vec::new(),
                    native: None,
                    lacks_digests: false,
                });
            }
            packages.last_mut().unwrap().files.push(FileRecord {
                path: PathBuf::from(path),
                size: 0,
                mode: 0,
                rdev: 0,
                mtime: 0,
                digest_algo: DigestAlgo::Sha256,
                digest: hex::decode(digest).unwrap_or_default(),
                link_to: Vec::new(),
                flags: FileFlags::empty(),
                verify: VerifyAttrs::DIGEST,
                user: String::new(),
                group: String::new(),
                caps: String::new(),
                state: FileState::Normal,
            });
        }
        each(&packages);
        Ok(PassOutcome::default())
    }
}

const TOY: FormatSpec = FormatSpec {
    format: DbFormat::new("toy"),
    locations: &["var/lib/toy/db"],
    file_name: "db",
    together: false,
    open: open_toy,
};

/// A new database format is one backend and one table row, given to the
/// scan through the public API alone.
#[test]
fn a_toy_backend_plugs_in_through_the_public_trait() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    for d in ["etc", "usr/bin", "var/lib/toy"] {
        std::fs::create_dir_all(r.join(d)).unwrap();
    }
    std::fs::write(r.join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").unwrap();
    std::fs::write(r.join("etc/group"), "root:x:0:\n").unwrap();
    std::fs::write(r.join("usr/bin/hello"), "tampered\n").unwrap();
    std::fs::write(r.join("usr/bin/same"), "same\n").unwrap();
    let sha = |s: &str| {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(s.as_bytes()))
    };
    std::fs::write(
        r.join("var/lib/toy/db"),
        format!(
            "hello /usr/bin/hello {}\nhello /usr/bin/gone {}\nsame /usr/bin/same {}\n",
            sha("hello\n"),
            sha("gone\n"),
            sha("same\n")
        ),
    )
    .unwrap();

    let mut sink = Collect::new();
    ScanBuilder::new(r)
        .formats(FORMATS.iter().copied().chain([TOY]))
        .checks(CheckSet::all())
        .run_with(&mut sink)
        .unwrap();
    let report = sink.into_report().unwrap();
    assert_eq!(report.info.database.format.as_str(), "toy");
    assert_eq!(report.info.database.path.as_bytes(), b"/var/lib/toy/db");
    let mut got: Vec<(FindingKind, String, String)> = report
        .findings
        .iter()
        .filter(|f| f.package.is_some())
        .map(|f| {
            (
                f.kind,
                String::from_utf8_lossy(f.path_bytes()).into_owned(),
                f.nevra().unwrap(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (
                FindingKind::FileChanged,
                "/usr/bin/hello".into(),
                "hello-1".into()
            ),
            (
                FindingKind::FileMissing,
                "/usr/bin/gone".into(),
                "hello-1".into()
            ),
        ]
    );
    let changed = report
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::FileChanged)
        .unwrap();
    let Evidence::File(e) = &changed.evidence else {
        panic!("{changed:?}")
    };
    assert_eq!(e.verify.to_string(), "..5......");
    assert_eq!(
        e.expected.digest.as_ref().map(|d| d.to_string()),
        Some(format!("sha256:{}", sha("hello\n")))
    );
    // The built-in table does not know the format: without the row, the
    // root has no database.
    let err = ScanBuilder::new(r).run().unwrap_err();
    assert!(matches!(err, rootaudit::Error::NoDatabase { .. }), "{err}");
}
