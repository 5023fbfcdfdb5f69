//! The JSON Lines sink ([`JsonLinesSink`]), shaped as Elastic Common
//! Schema (ECS) so that a log shipper (Filebeat, Elastic Agent, Vector,
//! Fluent Bit) ingests it as-is: one line per finding as the scan makes it
//! (`event.kind: alert`), then exactly one line for the scan
//! (`event.kind: event`, `event.action: scan`) when it ends. Documented in
//! `docs/report-format.md` (JSON Lines) and `docs/fleet.md`.
//!
//! A finding's line carries the ECS fields a SIEM rule or dashboard
//! queries (`@timestamp` = the scan's start, `event.*`, `file.*` with the
//! values found on disk when the evidence has them, `package.*`,
//! `host.name`, `rule.id` = the finding kind, `message`), and under
//! `rootaudit.finding` the finding exactly as the JSON report has it
//! (schema 2: every byte kept, non-UTF-8 as `{"bytes": base64}`). ECS
//! text fields (`file.path`, `message`) are the raw text when it is
//! UTF-8, else escaped as the text output escapes (`\xNN`): readable, and
//! never the exact bytes, which are under `rootaudit.finding`.
//!
//! The install scripts of changed packages ([`ReportSink::scripts`]) are
//! not written: they are in the JSON document (`--format json`); lines
//! here stay short for shippers' line limits.
//!
//! Example:
//!
//! ```no_run
//! use rootaudit::output::jsonl::JsonLinesSink;
//! use rootaudit::scan::ScanBuilder;
//! let mut sink = JsonLinesSink::new(std::io::stdout());
//! ScanBuilder::new("/").host("web1").run_with(&mut sink)?;
//! # Ok::<(), rootaudit::Error>(())
//! ```

use super::json::Trust;
use crate::model::time::rfc3339_ms;
use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::escape_bytes;
use crate::check::CheckKind;
use crate::model::{
    Account, Bytes, DigestAlgo, Evidence, FileAttrs, Finding, FindingKind, PackageRef, Severity,
    Stage,
};
use crate::scan::{
    DatabaseInfo, ReportSink, SandboxInfo, ScanEnd, ScanInfo, Summary, WaiverCounts, WaiverInfo,
};

/// The ECS version the lines follow (`ecs.version`).
pub const ECS_VERSION: &str = "8.11.0";

/// `event.module`.
const MODULE: &str = "rootaudit";

/// `event.severity` of a severity: Elastic Security's risk scores for
/// low (21), medium (47), high (73) and critical (99); info is 1.
pub fn ecs_severity(s: Severity) -> u8 {
    match s {
        Severity::Info => 1,
        Severity::Low => 21,
        Severity::Medium => 47,
        Severity::High => 73,
        Severity::Critical => 99,
    }
}

/// `event.category` and `event.type` of a finding (ECS allowed values).
pub fn ecs_categories(f: &Finding) -> (&'static [&'static str], &'static [&'static str]) {
    use FindingKind as K;
    const FILE: &[&str] = &["file"];
    const PACKAGE: &[&str] = &["package"];
    const CONFIGURATION: &[&str] = &["configuration"];
    const FILE_CONFIGURATION: &[&str] = &["file", "configuration"];
    const CHANGE: &[&str] = &["change"];
    const CREATION: &[&str] = &["creation"];
    const DELETION: &[&str] = &["deletion"];
    const INFO: &[&str] = &["info"];
    match f.kind {
        K::HeaderDigestBad | K::HeaderSignatureBad | K::HeaderRegionOverride => (PACKAGE, CHANGE),
        K::HeaderMalformed
        | K::HeaderSignerUntrusted
        | K::HeaderSignerRevoked
        | K::HeaderUnsigned
        | K::PackageNoDigests => (PACKAGE, INFO),
        K::TargetKeyUntrusted => (CONFIGURATION, INFO),
        K::FileChanged | K::FileChangedDuringScan | K::BytecodeStale => (FILE, CHANGE),
        K::FileMissing => (FILE, DELETION),
        K::FileUnreadable | K::BytecodeOrphaned | K::BytecodeForeignMagic => (FILE, INFO),
        K::BytecodeSourceless
        | K::BytecodeUncheckedHash
        | K::BytecodeUnregistered
        | K::UnownedSetuid
        | K::UnownedExecutable
        | K::UnownedFile => (FILE, CREATION),
        K::StartupHook => (FILE_CONFIGURATION, CREATION),
        K::CheckIncomplete => match &f.evidence {
            Evidence::Incomplete(i) if matches!(i.check, Stage::Database | Stage::Headers) => {
                (PACKAGE, INFO)
            }
            _ => (FILE, INFO),
        },
    }
}

/// Text for an ECS string field: the bytes when they are UTF-8, else
/// escaped as the text output escapes them.
fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => escape_bytes(bytes),
    }
}

#[derive(Serialize)]
struct Ecs {
    version: &'static str,
}

const ECS: Ecs = Ecs {
    version: ECS_VERSION,
};

#[derive(Serialize)]
struct Host<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct FindingEvent {
    kind: &'static str,
    category: &'static [&'static str],
    #[serde(rename = "type")]
    types: &'static [&'static str],
    action: &'static str,
    module: &'static str,
    dataset: &'static str,
    severity: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
}

#[derive(Serialize, Default)]
struct Hash {
    #[serde(skip_serializing_if = "Option::is_none")]
    md5: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha384: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha512: Option<String>,
}

/// ECS `file.*`: the path, and what the evidence says was found.
#[derive(Serialize, Default)]
struct EcsFile {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    directory: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    file_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mtime: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<Hash>,
}

/// `ls`-style type of a mode's type bits, as ECS `file.type` names them.
fn file_type(mode: u32) -> Option<&'static str> {
    Some(match mode & 0o170000 {
        0o100000 => "file",
        0o040000 => "dir",
        0o120000 => "symlink",
        0o020000 => "char_device",
        0o060000 => "block_device",
        0o010000 => "fifo",
        0o140000 => "socket",
        _ => return None,
    })
}

impl EcsFile {
    /// The `file` object of a finding with a path.
    fn of(f: &Finding) -> Option<EcsFile> {
        let path = f.path.as_ref()?.as_bytes();
        let mut file = EcsFile {
            path: text(path),
            ..EcsFile::default()
        };
        if let Some(cut) = path.iter().rposition(|&b| b == b'/') {
            let (dir, name) = (&path[..cut], &path[cut + 1..]);
            file.directory = Some(if dir.is_empty() {
                "/".into()
            } else {
                text(dir)
            });
            file.name = (!name.is_empty()).then(|| text(name));
        }
        let (mode, found) = match &f.evidence {
            Evidence::File(e) => (Some(e.found_mode).filter(|m| *m != 0), Some(&e.actual)),
            Evidence::Unowned(u) => (u.actual.mode, Some(&u.actual)),
            _ => (None, None),
        };
        if let Some(m) = mode {
            file.mode = Some(format!("{:04o}", m & 0o7777));
            file.file_type = file_type(m);
        }
        if let Some(a) = found {
            file.found(a);
        }
        Some(file)
    }

    /// Fill in what was found on disk.
    fn found(&mut self, a: &FileAttrs) {
        self.size = a.size;
        match &a.user {
            Some(Account::Name(n)) => self.owner = Some(text(n.as_bytes())),
            Some(Account::Id(id)) => self.uid = Some(id.to_string()),
            None => {}
        }
        match &a.group {
            Some(Account::Name(n)) => self.group = Some(text(n.as_bytes())),
            Some(Account::Id(id)) => self.gid = Some(id.to_string()),
            None => {}
        }
        self.mtime = a
            .mtime
            .and_then(|t| u64::try_from(t).ok())
            .and_then(|t| t.checked_mul(1000))
            .map(rfc3339_ms);
        self.target_path = a.link.as_ref().map(|l| text(l.as_bytes()));
        if let Some(d) = a.digest.as_ref().filter(|d| !d.value.is_empty()) {
            let mut h = Hash::default();
            let value = Some(hex::encode(&d.value));
            match d.algo {
                DigestAlgo::Md5 => h.md5 = value,
                DigestAlgo::Sha1 => h.sha1 = value,
                DigestAlgo::Sha256 => h.sha256 = value,
                DigestAlgo::Sha384 => h.sha384 = value,
                DigestAlgo::Sha512 => h.sha512 = value,
                // No ECS field: the digest is under `rootaudit.finding`.
                DigestAlgo::Sha224 | DigestAlgo::Unknown(_) => return,
            }
            self.hash = Some(h);
        }
    }
}

/// ECS `package.*`.
#[derive(Serialize)]
struct EcsPackage<'a> {
    name: &'a str,
    /// `[epoch:]version[-release]`: the version as rpm and dpkg show it.
    version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    architecture: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    package_type: Option<&'static str>,
}

impl EcsPackage<'_> {
    fn of<'a>(p: &'a PackageRef, package_type: Option<&'static str>) -> EcsPackage<'a> {
        let mut version = String::new();
        if let Some(e) = p.epoch {
            version.push_str(&format!("{e}:"));
        }
        version.push_str(&p.version);
        if !p.release.is_empty() {
            version.push('-');
            version.push_str(&p.release);
        }
        EcsPackage {
            name: &p.name,
            version,
            architecture: p.arch.as_deref(),
            package_type,
        }
    }
}

/// `package.type` of a database format.
fn package_type(db: &DatabaseInfo) -> &'static str {
    match db.format.as_str() {
        "dpkg" => "deb",
        f if f.starts_with("rpm") => "rpm",
        f => f,
    }
}

#[derive(Serialize)]
struct Rule {
    id: &'static str,
    name: &'static str,
    ruleset: &'static str,
}

#[derive(Serialize)]
struct FindingExt<'a> {
    finding_id: String,
    severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    verify: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    waiver: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scan_id: Option<&'a str>,
    finding: &'a Finding,
}

/// One finding's line.
#[derive(Serialize)]
struct FindingLine<'a> {
    #[serde(rename = "@timestamp")]
    timestamp: &'a str,
    ecs: Ecs,
    event: FindingEvent,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<EcsFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package: Option<EcsPackage<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<Host<'a>>,
    rule: Rule,
    message: String,
    rootaudit: FindingExt<'a>,
}

#[derive(Serialize)]
struct ScanEvent {
    kind: &'static str,
    category: &'static [&'static str],
    #[serde(rename = "type")]
    types: &'static [&'static str],
    action: &'static str,
    module: &'static str,
    dataset: &'static str,
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<String>,
    duration: u64,
}

/// Findings written, by severity.
#[derive(Clone, Copy, Default, Serialize)]
struct Counts {
    critical: u64,
    high: u64,
    medium: u64,
    low: u64,
    info: u64,
}

impl Counts {
    fn add(&mut self, s: Severity) {
        *match s {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        } += 1;
    }

    fn total(&self) -> u64 {
        self.critical + self.high + self.medium + self.low + self.info
    }

    /// `(1 high, 2 low)`, or nothing.
    fn breakdown(&self) -> String {
        let parts: Vec<String> = [
            (self.critical, "critical"),
            (self.high, "high"),
            (self.medium, "medium"),
            (self.low, "low"),
            (self.info, "info"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, s)| format!("{n} {s}"))
        .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    }
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

/// What the scan was about (absent if it never began).
#[derive(Serialize)]
struct About<'a> {
    root: &'a Bytes,
    checks: Vec<&'static str>,
    database: &'a DatabaseInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    sandbox: Option<&'a SandboxInfo>,
}

#[derive(Serialize)]
struct Waivers<'a> {
    #[serde(flatten)]
    info: Option<&'a WaiverInfo>,
    #[serde(flatten)]
    counts: WaiverCounts,
}

#[derive(Serialize)]
struct ScanFacts<'a> {
    complete: bool,
    tool: Tool,
    #[serde(flatten)]
    about: Option<About<'a>>,
    summary: Summary,
    counts: Counts,
    #[serde(skip_serializing_if = "Option::is_none")]
    worst: Option<Severity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trust: Option<Trust<'a>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<&'static str, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    waivers: Option<Waivers<'a>>,
}

#[derive(Serialize)]
struct ScanExt<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    scan_id: Option<&'a str>,
    scan: ScanFacts<'a>,
}

/// The scan's line.
#[derive(Serialize)]
struct ScanLine<'a> {
    #[serde(rename = "@timestamp")]
    timestamp: String,
    ecs: Ecs,
    event: ScanEvent,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<Host<'a>>,
    message: String,
    rootaudit: ScanExt<'a>,
}

/// Streams a report as ECS-shaped JSON Lines (see the module doc).
pub struct JsonLinesSink<W: Write> {
    out: W,
    info: Option<ScanInfo>,
    /// `@timestamp` of every line: the scan's start.
    timestamp: String,
    counts: Counts,
}

impl<W: Write> JsonLinesSink<W> {
    /// Write to `out`.
    pub fn new(out: W) -> JsonLinesSink<W> {
        JsonLinesSink {
            out,
            info: None,
            timestamp: String::new(),
            counts: Counts::default(),
        }
    }
}

/// `host` of the lines: the scan's host, when known and not empty.
fn host(info: Option<&ScanInfo>) -> Option<Host<'_>> {
    let name = info?.host.as_deref()?;
    (!name.is_empty()).then_some(Host { name })
}

/// The scan's id, when known.
fn scan_id(info: Option<&ScanInfo>) -> Option<&str> {
    info?.scan_id.as_deref()
}

impl<W: Write> ReportSink for JsonLinesSink<W> {
    fn begin(&mut self, info: &ScanInfo) -> io::Result<()> {
        self.timestamp = rfc3339_ms(info.started.saturating_mul(1000));
        self.info = Some(info.clone());
        Ok(())
    }

    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        self.counts.add(f.severity);
        if self.info.is_none() && self.timestamp.is_empty() {
            self.timestamp = rfc3339_ms(now_ms());
        }
        let info = self.info.as_ref();
        let (category, types) = ecs_categories(f);
        let scan_id = scan_id(info);
        let kind = f.kind.as_str();
        let pkg_type = info.map(|i| package_type(&i.database));
        let line = FindingLine {
            timestamp: &self.timestamp,
            ecs: ECS,
            event: FindingEvent {
                kind: "alert",
                category,
                types,
                action: kind,
                module: MODULE,
                dataset: "rootaudit.finding",
                severity: ecs_severity(f.severity),
                id: scan_id.map(|s| format!("{s}-{}", f.id)),
            },
            file: EcsFile::of(f),
            package: f.package.as_ref().map(|p| EcsPackage::of(p, pkg_type)),
            host: host(info),
            rule: Rule {
                id: kind,
                name: kind,
                ruleset: MODULE,
            },
            message: text(&f.message()),
            rootaudit: FindingExt {
                finding_id: f.id.to_string(),
                severity: f.severity,
                verify: f.evidence.verify().map(|v| v.to_string()),
                waiver: f.decision.as_ref().map(|d| d.verdict.as_str()),
                scan_id,
                finding: f,
            },
        };
        serde_json::to_writer(&mut self.out, &line)?;
        self.out.write_all(b"\n")
    }

    fn finish(&mut self, end: &ScanEnd) -> io::Result<()> {
        let info = self.info.as_ref();
        let start_ms = info.map(|i| i.started.saturating_mul(1000));
        let end_ms = start_ms.map(|s| s.saturating_add(end.summary.elapsed_ms));
        let mut headers = BTreeMap::new();
        for p in &end.packages {
            *headers.entry(p.verdict.as_str()).or_insert(0) += 1;
        }
        let summary = Summary {
            findings: self.counts.total(),
            ..end.summary.clone()
        };
        let root = info.map_or_else(String::new, |i| text(i.root.as_bytes()));
        let message = format!(
            "rootaudit scan of {root} {}: {} package{}, {} file{} checked, {} finding{}{}",
            if end.complete {
                "complete"
            } else {
                "stopped before it finished (partial)"
            },
            summary.packages,
            if summary.packages == 1 { "" } else { "s" },
            summary.files_checked,
            if summary.files_checked == 1 { "" } else { "s" },
            summary.findings,
            if summary.findings == 1 { "" } else { "s" },
            self.counts.breakdown()
        );
        let waivers = match (info.and_then(|i| i.waivers.as_ref()), end.waivers) {
            (None, None) => None,
            (info, counts) => Some(Waivers {
                info,
                counts: counts.unwrap_or_default(),
            }),
        };
        let scan_id = scan_id(info);
        let line = ScanLine {
            timestamp: if self.timestamp.is_empty() {
                rfc3339_ms(now_ms())
            } else {
                self.timestamp.clone()
            },
            ecs: ECS,
            event: ScanEvent {
                kind: "event",
                category: &["host"],
                types: &["info"],
                action: "scan",
                module: MODULE,
                dataset: "rootaudit.scan",
                outcome: if end.complete { "success" } else { "failure" },
                id: scan_id.map(str::to_string),
                start: start_ms.map(rfc3339_ms),
                end: end_ms.map(rfc3339_ms),
                duration: end.summary.elapsed_ms.saturating_mul(1_000_000),
            },
            host: host(info),
            message,
            rootaudit: ScanExt {
                scan_id,
                scan: ScanFacts {
                    complete: end.complete,
                    tool: Tool {
                        name: "rootaudit",
                        version: env!("CARGO_PKG_VERSION"),
                    },
                    about: info.map(|i| About {
                        root: &i.root,
                        checks: i.checks.iter().map(|c| c.as_str()).collect(),
                        database: &i.database,
                        sandbox: i.sandbox.as_ref(),
                    }),
                    summary,
                    counts: self.counts,
                    worst: end.worst,
                    trust: info
                        .filter(|i| i.checks.contains(CheckKind::Headers))
                        .map(|i| Trust {
                            info: &i.trust,
                            target_keys: end.target_keys,
                        }),
                    headers,
                    waivers,
                },
            },
        };
        serde_json::to_writer(&mut self.out, &line)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}

/// Now, in milliseconds since the Unix epoch (for a scan that never
/// began).
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::model::{
        About as FindingAbout, Decision, Digest, FileEvidence, FileFlags, UnownedEvidence,
        UnownedWhat, Verdict, Verify, VerifyAttrs,
    };
    use crate::pkgdb::DbFormat;
    use crate::scan::CheckSet;

    fn info() -> ScanInfo {
        ScanInfo {
            scan_id: Some("0123456789abcdef".into()),
            host: Some("web1".into()),
            started: 1_700_000_000,
            root: Bytes::from("/"),
            checks: CheckSet::all(),
            database: DatabaseInfo {
                format: DbFormat::RPM_SQLITE,
                path: Bytes::from("/var/lib/rpm/rpmdb.sqlite"),
                packages: 2,
                wal: false,
                checks: vec!["size", "digest"],
                also_found: Vec::new(),
            },
            trust: crate::scan::TrustInfo::default(),
            sandbox: None,
            waivers: None,
        }
    }

    fn pkg() -> PackageRef {
        PackageRef {
            record: 3,
            name: "util-linux".into(),
            epoch: Some(2),
            version: "2.37.4".into(),
            release: "9.el9".into(),
            arch: Some("x86_64".into()),
        }
    }

    fn changed() -> Finding {
        let mut f = Finding::new(
            FindingKind::FileChanged,
            Severity::High,
            FindingAbout::package(pkg()).at("/usr/bin/su"),
            Evidence::File(Box::new(FileEvidence {
                verify: Verify {
                    failed: VerifyAttrs::DIGEST | VerifyAttrs::MODE | VerifyAttrs::USER,
                    unknown: VerifyAttrs::empty(),
                },
                flags: FileFlags::empty(),
                recorded_mode: 0o100755,
                found_mode: 0o104755,
                expected: FileAttrs::default(),
                actual: FileAttrs {
                    mode: Some(0o104755),
                    digest: Some(Digest {
                        algo: DigestAlgo::Sha256,
                        value: vec![0xab; 32],
                    }),
                    user: Some(Account::Id(4321)),
                    mtime: Some(1_710_000_000),
                    ..FileAttrs::default()
                },
                error: None,
                overruled: None,
            })),
        );
        f.decision = Some(Decision {
            verdict: Verdict::Flagged,
            reason: "look".into(),
            at: 1,
            expires: None,
        });
        f
    }

    fn hostile() -> (Finding, Vec<u8>) {
        let path = b"/usr/bin/\x1b]0;x\x07\n\xff".to_vec();
        let f = Finding::new(
            FindingKind::UnownedSetuid,
            Severity::Critical,
            FindingAbout::path(path.clone()),
            Evidence::Unowned(Box::new(UnownedEvidence {
                what: UnownedWhat::Setuid,
                tree: Bytes::from("/usr"),
                actual: FileAttrs {
                    size: Some(18_832),
                    mode: Some(0o104755),
                    user: Some(Account::Name(Bytes::from("root"))),
                    group: Some(Account::Name(Bytes::from("root"))),
                    ..FileAttrs::default()
                },
            })),
        );
        (f, path)
    }

    fn lines(findings: &[Finding], end: &ScanEnd) -> Vec<Value> {
        let mut out = Vec::new();
        let mut sink = JsonLinesSink::new(&mut out);
        sink.begin(&info()).unwrap();
        for f in findings {
            sink.finding(f).unwrap();
        }
        sink.finish(end).unwrap();
        let text = String::from_utf8(out).unwrap();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn base64(v: &Value) -> Vec<u8> {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(v["bytes"].as_str().unwrap())
            .unwrap()
    }

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(1_700_000_000_000), "2023-11-14T22:13:20.000Z");
        assert_eq!(rfc3339_ms(1_709_164_800_123), "2024-02-29T00:00:00.123Z");
        assert_eq!(rfc3339_ms(951_868_799_999), "2000-02-29T23:59:59.999Z");
        assert_eq!(rfc3339_ms(4_102_444_800_000), "2100-01-01T00:00:00.000Z");
    }

    #[test]
    fn a_file_finding_is_an_ecs_alert() {
        let end = ScanEnd {
            complete: true,
            worst: Some(Severity::High),
            ..ScanEnd::default()
        };
        let l = lines(&[changed()], &end);
        assert_eq!(l.len(), 2);
        let f = &l[0];
        assert_eq!(f["@timestamp"], "2023-11-14T22:13:20.000Z");
        assert_eq!(f["ecs"]["version"], ECS_VERSION);
        assert_eq!(f["event"]["kind"], "alert");
        assert_eq!(f["event"]["category"], serde_json::json!(["file"]));
        assert_eq!(f["event"]["type"], serde_json::json!(["change"]));
        assert_eq!(f["event"]["action"], "file-changed");
        assert_eq!(f["event"]["module"], "rootaudit");
        assert_eq!(f["event"]["dataset"], "rootaudit.finding");
        assert_eq!(f["event"]["severity"], 73);
        let id = changed().id.to_string();
        assert_eq!(f["event"]["id"], format!("0123456789abcdef-{id}"));
        assert_eq!(f["file"]["path"], "/usr/bin/su");
        assert_eq!(f["file"]["name"], "su");
        assert_eq!(f["file"]["directory"], "/usr/bin");
        assert_eq!(f["file"]["type"], "file");
        assert_eq!(f["file"]["mode"], "4755");
        assert_eq!(f["file"]["uid"], "4321");
        assert_eq!(f["file"]["mtime"], "2024-03-09T16:00:00.000Z");
        assert_eq!(f["file"]["hash"]["sha256"], "ab".repeat(32));
        assert_eq!(f["package"]["name"], "util-linux");
        assert_eq!(f["package"]["version"], "2:2.37.4-9.el9");
        assert_eq!(f["package"]["architecture"], "x86_64");
        assert_eq!(f["package"]["type"], "rpm");
        assert_eq!(f["host"]["name"], "web1");
        assert_eq!(f["rule"]["id"], "file-changed");
        assert_eq!(
            f["message"],
            "content differs, mode differs, owner differs; setuid bit gained"
        );
        let r = &f["rootaudit"];
        assert_eq!(r["finding_id"], id);
        assert_eq!(r["severity"], "high");
        assert_eq!(r["verify"], ".M5..U...");
        assert_eq!(r["waiver"], "flagged");
        assert_eq!(r["scan_id"], "0123456789abcdef");
        // The finding exactly as the JSON report has it.
        assert_eq!(r["finding"], serde_json::to_value(changed()).unwrap());
    }

    #[test]
    fn hostile_names_are_exact_under_rootaudit_finding() {
        let (f, path) = hostile();
        let l = lines(&[f], &ScanEnd::default());
        let f = &l[0];
        assert_eq!(base64(&f["rootaudit"]["finding"]["path"]), path);
        let shown = f["file"]["path"].as_str().unwrap();
        assert_eq!(shown, "/usr/bin/\\x1b]0;x\\x07\\x0a\\xff");
        assert!(!f["message"].as_str().unwrap().contains(['\x1b', '\n']));
        assert_eq!(f["file"]["owner"], "root");
        assert_eq!(f["file"]["size"], 18_832);
        assert_eq!(f["event"]["type"], serde_json::json!(["creation"]));
        assert_eq!(f["event"]["severity"], 99);
        assert!(f.get("package").is_none());
        assert!(f["rootaudit"].get("verify").is_none());
        assert!(f["rootaudit"].get("waiver").is_none());
    }

    #[test]
    fn the_last_line_is_the_scan_event() {
        let end = ScanEnd {
            summary: Summary {
                packages: 2,
                files_checked: 10,
                bytes_hashed: 100,
                findings: 99,
                elapsed_ms: 1500,
            },
            complete: false,
            worst: Some(Severity::Critical),
            waivers: Some(WaiverCounts {
                applied: 1,
                flagged: 1,
                ..WaiverCounts::default()
            }),
            ..ScanEnd::default()
        };
        let l = lines(&[changed(), hostile().0], &end);
        assert_eq!(l.len(), 3);
        let s = &l[2];
        assert_eq!(s["@timestamp"], "2023-11-14T22:13:20.000Z");
        assert_eq!(s["event"]["kind"], "event");
        assert_eq!(s["event"]["action"], "scan");
        assert_eq!(s["event"]["dataset"], "rootaudit.scan");
        assert_eq!(s["event"]["outcome"], "failure");
        assert_eq!(s["event"]["id"], "0123456789abcdef");
        assert_eq!(s["event"]["start"], "2023-11-14T22:13:20.000Z");
        assert_eq!(s["event"]["end"], "2023-11-14T22:13:21.500Z");
        assert_eq!(s["event"]["duration"], 1_500_000_000u64);
        assert_eq!(s["host"]["name"], "web1");
        let scan = &s["rootaudit"]["scan"];
        assert_eq!(scan["complete"], false);
        assert_eq!(scan["root"], "/");
        assert_eq!(scan["database"]["format"], "rpm-sqlite");
        assert_eq!(scan["checks"][0], "headers");
        // The findings written, whatever the scan counted.
        assert_eq!(scan["summary"]["findings"], 2);
        assert_eq!(scan["counts"]["critical"], 1);
        assert_eq!(scan["counts"]["high"], 1);
        assert_eq!(scan["counts"]["low"], 0);
        assert_eq!(scan["worst"], "critical");
        assert_eq!(scan["waivers"]["flagged"], 1);
        assert_eq!(scan["trust"]["keys"], 0);
        assert_eq!(
            s["message"],
            "rootaudit scan of / stopped before it finished (partial): 2 packages, 10 files \
             checked, 2 findings (1 critical, 1 high)"
        );
        assert_eq!(s["rootaudit"]["scan_id"], "0123456789abcdef");
    }

    #[test]
    fn every_kind_has_allowed_ecs_categories() {
        const CATEGORIES: &[&str] = &["configuration", "file", "package"];
        const TYPES: &[&str] = &["change", "creation", "deletion", "info"];
        for &kind in FindingKind::ALL {
            let f = Finding::new(
                kind,
                Severity::Low,
                FindingAbout::path("/x"),
                Evidence::NoDigests { count: 1 },
            );
            let (c, t) = ecs_categories(&f);
            assert!(c.iter().all(|c| CATEGORIES.contains(c)), "{kind}");
            assert!(
                !t.is_empty() && t.iter().all(|t| TYPES.contains(t)),
                "{kind}"
            );
        }
    }
}
