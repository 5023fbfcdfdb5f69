//! [`ReportSink`]: where a scan's results go, as they are made.
//!
//! The scan calls [`ReportSink::begin`] once the database is open, then
//! [`ReportSink::finding`] once per finding, in final form (its header
//! verdict and a matching waiver's decision attached), while the scan runs, [`ReportSink::scripts`] once per
//! package whose files changed (its install scripts, after that package's
//! file findings), then [`ReportSink::finish`] with the totals. Sinks decide presentation: the text and JSON writers of
//! `crate::output` sort and summarise (rollups), a JSON Lines writer
//! streams, the TUI shows findings as they arrive. Progress is not pushed
//! through the sink: front ends sample [`crate::check::Counters`].
//!
//! [`Collect`] keeps everything in a [`Report`] (what [`super::ScanBuilder::run`]
//! returns).

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::CheckSet;
use crate::model::{Bytes, Finding, PackageScripts, Severity};
use crate::pkgdb::DbFormat;
use crate::trust::headers::PackageTrust;

/// Receives a scan's results as the scan makes them.
pub trait ReportSink {
    /// The scan has opened the database and is about to check.
    fn begin(&mut self, info: &ScanInfo) -> io::Result<()>;
    /// One finding, in final form. Called exactly once per finding.
    fn finding(&mut self, finding: &Finding) -> io::Result<()>;
    /// The install scripts of a package that got a `file-changed`,
    /// `file-missing` or `file-unreadable` finding, once per such package,
    /// after its file findings and before [`ReportSink::finish`] (a
    /// package without scripts comes with none). The default ignores them.
    fn scripts(&mut self, scripts: &PackageScripts) -> io::Result<()> {
        let _ = scripts;
        Ok(())
    }
    /// The scan is over (completely or not: see [`ScanEnd::complete`]).
    fn finish(&mut self, end: &ScanEnd) -> io::Result<()>;
}

impl<S: ReportSink + ?Sized> ReportSink for Box<S> {
    fn begin(&mut self, info: &ScanInfo) -> io::Result<()> {
        (**self).begin(info)
    }
    fn finding(&mut self, finding: &Finding) -> io::Result<()> {
        (**self).finding(finding)
    }
    fn scripts(&mut self, scripts: &PackageScripts) -> io::Result<()> {
        (**self).scripts(scripts)
    }
    fn finish(&mut self, end: &ScanEnd) -> io::Result<()> {
        (**self).finish(end)
    }
}

/// What a scan is about, known before the first finding.
#[derive(Clone, Debug, Serialize)]
pub struct ScanInfo {
    /// This scan's id (random, 16 hex digits), when the front end gave one:
    /// the history, the report and its signature name the scan by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan_id: Option<String>,
    /// The host the scan ran on, when the front end gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// When the scan started (seconds since the Unix epoch).
    pub started: u64,
    /// ROOT as given.
    pub root: Bytes,
    /// The checks that run.
    #[serde(serialize_with = "checks_names")]
    pub checks: CheckSet,
    /// The database used.
    pub database: DatabaseInfo,
    /// What the trust store holds.
    pub trust: TrustInfo,
    /// How the auditor was confined, as the front end that confined it
    /// describes it (absent: the library was not told).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxInfo>,
    /// The verified waiver file whose decisions the scan attaches (absent:
    /// none was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waivers: Option<WaiverInfo>,
}

/// The waiver file a scan applies, as verified before the scan began.
#[derive(Clone, Debug, Serialize)]
pub struct WaiverInfo {
    /// The waiver file as given; absent for waivers made in memory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Bytes>,
    /// The id of the key its signature verified with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Its signed trusted comment (purpose, host, root, written, sha256).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted_comment: Option<String>,
    /// The host it was written for.
    pub host: String,
    /// The root it was written for (raw).
    pub root: Bytes,
    /// When it was written (seconds since the Unix epoch).
    pub written: u64,
    /// How many waivers it holds.
    pub count: u64,
}

/// What the waivers did to a scan's findings (see `docs/waivers.md`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WaiverCounts {
    /// Findings a waiver applied to (accepted + flagged).
    pub applied: u64,
    /// Findings accepted: reported, but not counted toward
    /// [`ScanEnd::worst`] and the exit status.
    pub accepted: u64,
    /// Findings flagged for follow-up (still counted).
    pub flagged: u64,
    /// Findings whose waiver was made for other content (the file changed
    /// again): not applied.
    pub changed: u64,
    /// Findings whose waiver expired: not applied.
    pub expired: u64,
}

/// How the auditor process was confined while it scanned.
#[derive(Clone, Debug, Serialize)]
pub struct SandboxInfo {
    /// True when every part was in force.
    pub active: bool,
    /// What was in force, or why not (`landlock (fully enforced) +
    /// seccomp`, `off (--no-sandbox)`, …).
    pub description: String,
}

fn checks_names<S: serde::Serializer>(c: &CheckSet, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(c.iter().map(|c| c.as_str()))
}

/// What the database is.
#[derive(Clone, Debug, Serialize)]
pub struct DatabaseInfo {
    /// Format.
    #[serde(serialize_with = "format_name")]
    pub format: DbFormat,
    /// Path inside the target.
    pub path: Bytes,
    /// Packages read (without `gpg-pubkey` entries).
    pub packages: u64,
    /// True when a WAL was read through a private copy.
    pub wal: bool,
    /// The verify attributes this format records (others cannot be
    /// checked), by rpm column name.
    pub checks: Vec<&'static str>,
    /// Other package databases present in the target but not used.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_found: Vec<AlsoFound>,
}

fn format_name<S: serde::Serializer>(f: &DbFormat, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(f.as_str())
}

/// Another database present in the target.
#[derive(Clone, Debug, Serialize)]
pub struct AlsoFound {
    /// Its format.
    #[serde(serialize_with = "format_name")]
    pub format: DbFormat,
    /// Its path inside the target.
    pub path: Bytes,
}

/// What the trust store holds, for the report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TrustInfo {
    /// Certificates in the trust store.
    pub keys: u64,
    /// Folders they were loaded from (outside the target).
    pub dirs: Vec<Bytes>,
    /// Key files that gave no usable key, and certificates whose algorithm
    /// cannot be verified.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<TrustProblem>,
}

/// A key file or key the trust store could not use.
#[derive(Clone, Debug, Serialize)]
pub struct TrustProblem {
    /// The key file.
    pub path: Bytes,
    /// Why (raw text).
    pub reason: String,
}

/// Totals of a scan.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Packages read.
    pub packages: u64,
    /// Files verified.
    pub files_checked: u64,
    /// Bytes read to compute digests.
    pub bytes_hashed: u64,
    /// Number of findings the scan made (a sink that summarises reports
    /// how many it wrote).
    pub findings: u64,
    /// Wall time.
    pub elapsed_ms: u64,
}

/// What the scan knows at its end.
#[derive(Clone, Debug, Default)]
pub struct ScanEnd {
    /// Totals.
    pub summary: Summary,
    /// Header trust verdict of every package record (check `headers`;
    /// empty when it did not run).
    pub packages: Vec<PackageTrust>,
    /// `gpg-pubkey` keys in the target's own rpm database.
    pub target_keys: u64,
    /// False when the scan was stopped before it finished.
    pub complete: bool,
    /// The most severe finding that counts toward the exit status (an
    /// accepted finding does not), if any.
    pub worst: Option<Severity>,
    /// What the waivers did, when the scan was given any.
    pub waivers: Option<WaiverCounts>,
}

/// The result of a scan, whole: what [`Collect`] gathers.
#[derive(Debug)]
pub struct Report {
    /// What the scan was about (ROOT as given included).
    pub info: ScanInfo,
    /// Findings, in the order the scan made them.
    pub findings: Vec<Finding>,
    /// The install scripts of the packages whose files changed, in the
    /// order the scan gathered them.
    pub scripts: Vec<PackageScripts>,
    /// The end.
    pub end: ScanEnd,
}

impl Report {
    /// The most severe finding that counts toward the exit status (an
    /// accepted finding does not), if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings
            .iter()
            .filter(|f| !f.decision.as_ref().is_some_and(|d| d.waives()))
            .map(|f| f.severity)
            .max()
    }
}

/// A sink that keeps everything.
#[derive(Debug, Default)]
pub struct Collect {
    info: Option<ScanInfo>,
    findings: Vec<Finding>,
    scripts: Vec<PackageScripts>,
    end: Option<ScanEnd>,
}

impl Collect {
    /// An empty collector.
    pub fn new() -> Collect {
        Collect::default()
    }

    /// The report, once the scan finished (`None` if it never began).
    pub fn into_report(self) -> Option<Report> {
        Some(Report {
            info: self.info?,
            findings: self.findings,
            scripts: self.scripts,
            end: self.end.unwrap_or_default(),
        })
    }
}

impl ReportSink for Collect {
    fn begin(&mut self, info: &ScanInfo) -> io::Result<()> {
        self.info = Some(info.clone());
        Ok(())
    }

    fn finding(&mut self, finding: &Finding) -> io::Result<()> {
        self.findings.push(finding.clone());
        Ok(())
    }

    fn scripts(&mut self, scripts: &PackageScripts) -> io::Result<()> {
        self.scripts.push(scripts.clone());
        Ok(())
    }

    fn finish(&mut self, end: &ScanEnd) -> io::Result<()> {
        self.end = Some(end.clone());
        Ok(())
    }
}

/// Every sink of a list, in order (e.g. a JSON file and the TUI).
pub struct Tee<'a>(pub Vec<&'a mut (dyn ReportSink + Send)>);

impl ReportSink for Tee<'_> {
    fn begin(&mut self, info: &ScanInfo) -> io::Result<()> {
        self.0.iter_mut().try_for_each(|s| s.begin(info))
    }

    fn finding(&mut self, finding: &Finding) -> io::Result<()> {
        self.0.iter_mut().try_for_each(|s| s.finding(finding))
    }

    fn scripts(&mut self, scripts: &PackageScripts) -> io::Result<()> {
        self.0.iter_mut().try_for_each(|s| s.scripts(scripts))
    }

    fn finish(&mut self, end: &ScanEnd) -> io::Result<()> {
        self.0.iter_mut().try_for_each(|s| s.finish(end))
    }
}

/// Passes on only the findings that are new: whose id is not in a known
/// set, or whose content differs from the known one (`scan --new-only`:
/// the findings of the previous complete scan, as JSON without the waiver
/// `decision`: a file changed again is news, an accepted finding is not);
/// and an end whose [`ScanEnd::worst`] and finding count are about those
/// alone. Scripts and the beginning pass unchanged.
pub struct NewOnly<S> {
    inner: S,
    known: HashMap<String, serde_json::Value>,
    worst: Option<Severity>,
    passed: u64,
    end: Arc<Mutex<Option<ScanEnd>>>,
}

impl<S: ReportSink> NewOnly<S> {
    /// Filter what reaches `inner`.
    pub fn new(inner: S, known: HashMap<String, serde_json::Value>) -> NewOnly<S> {
        NewOnly {
            inner,
            known,
            worst: None,
            passed: 0,
            end: Default::default(),
        }
    }

    /// Where the filtered end is put when the scan finishes (what the
    /// exit status is judged on).
    pub fn end_handle(&self) -> Arc<Mutex<Option<ScanEnd>>> {
        self.end.clone()
    }

    fn is_known(&self, finding: &Finding) -> bool {
        let Some(known) = self.known.get(&finding.id.to_string()) else {
            return false;
        };
        serde_json::to_value(finding).is_ok_and(|v| comparable(v) == *known)
    }
}

/// A finding's JSON as [`NewOnly`] compares it: without the waiver
/// `decision` (accepting a finding does not make it new). The known set
/// is made of these.
pub fn comparable(mut finding: serde_json::Value) -> serde_json::Value {
    if let Some(o) = finding.as_object_mut() {
        o.remove("decision");
    }
    finding
}

impl<S: ReportSink> ReportSink for NewOnly<S> {
    fn begin(&mut self, info: &ScanInfo) -> io::Result<()> {
        self.inner.begin(info)
    }

    fn finding(&mut self, finding: &Finding) -> io::Result<()> {
        if self.is_known(finding) {
            return Ok(());
        }
        self.passed += 1;
        if !finding.decision.as_ref().is_some_and(|d| d.waives()) {
            self.worst = self.worst.max(Some(finding.severity));
        }
        self.inner.finding(finding)
    }

    fn scripts(&mut self, scripts: &PackageScripts) -> io::Result<()> {
        self.inner.scripts(scripts)
    }

    fn finish(&mut self, end: &ScanEnd) -> io::Result<()> {
        let mut end = end.clone();
        end.worst = self.worst;
        end.summary.findings = self.passed;
        let r = self.inner.finish(&end);
        if let Ok(mut slot) = self.end.lock() {
            *slot = Some(end);
        }
        r
    }
}
