//! The JSON sink: one document (schema 2, documented in
//! `docs/report-format.md`), written when the scan finishes. Every value
//! is exact: paths and names that are valid UTF-8 are strings, anything
//! else `{"bytes": "<base64>"}`.

use std::io::{self, Write};

use serde::Serialize;

use super::rollup::Gathered;
use crate::check::CheckKind;
use crate::model::{Bytes, Finding, PackageScripts};
use crate::scan::{
    DatabaseInfo, ReportSink, SandboxInfo, ScanEnd, ScanInfo, Summary, TrustInfo, WaiverCounts,
    WaiverInfo,
};
use crate::trust::headers::PackageTrust;

/// The schema version written in every report.
pub const SCHEMA: u32 = 2;

/// The tool that wrote a report.
#[derive(Serialize)]
pub(crate) struct Tool {
    name: &'static str,
    version: &'static str,
}

pub(crate) const TOOL: Tool = Tool {
    name: "rootaudit",
    version: env!("CARGO_PKG_VERSION"),
};

/// The `trust` object: what the trust store held, and how many keys the
/// target's own database trusts.
#[derive(Serialize)]
pub(crate) struct Trust<'a> {
    #[serde(flatten)]
    pub(crate) info: &'a TrustInfo,
    pub(crate) target_keys: u64,
}

/// The top-level `waivers` object: the file as verified, and what its
/// waivers did.
#[derive(Serialize)]
struct Waivers<'a> {
    #[serde(flatten)]
    info: &'a WaiverInfo,
    #[serde(flatten)]
    counts: WaiverCounts,
}

impl<'a> Waivers<'a> {
    /// The object for a scan that applied a waiver file.
    fn new(info: &'a ScanInfo, end: &ScanEnd) -> Option<Waivers<'a>> {
        Some(Waivers {
            info: info.waivers.as_ref()?,
            counts: end.waivers.unwrap_or_default(),
        })
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    schema: u32,
    tool: Tool,
    #[serde(skip_serializing_if = "Option::is_none")]
    scan_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    started: u64,
    root: &'a Bytes,
    checks: Vec<&'static str>,
    complete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    sandbox: Option<&'a SandboxInfo>,
    database: &'a DatabaseInfo,
    summary: &'a Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    trust: Option<Trust<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    waivers: Option<Waivers<'a>>,
    findings: &'a [Finding],
    #[serde(skip_serializing_if = "<[PackageScripts]>::is_empty")]
    scripts: &'a [PackageScripts],
    #[serde(skip_serializing_if = "<[PackageTrust]>::is_empty")]
    packages: &'a [PackageTrust],
}

/// Writes the report as one pretty-printed JSON document.
pub struct JsonSink<W: Write> {
    out: W,
    gathered: Gathered,
    /// The install scripts of the packages whose files changed.
    scripts: Vec<PackageScripts>,
}

impl<W: Write> JsonSink<W> {
    /// Write to `out`; `verbose` lists summarisable findings one by one.
    pub fn new(out: W, verbose: bool) -> JsonSink<W> {
        JsonSink {
            out,
            gathered: Gathered::new(verbose),
            scripts: Vec::new(),
        }
    }
}

impl<W: Write> ReportSink for JsonSink<W> {
    fn begin(&mut self, info: &ScanInfo) -> io::Result<()> {
        self.gathered.begin(info);
        Ok(())
    }

    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        self.gathered.finding(f);
        Ok(())
    }

    fn scripts(&mut self, scripts: &PackageScripts) -> io::Result<()> {
        self.scripts.push(scripts.clone());
        Ok(())
    }

    fn finish(&mut self, end: &ScanEnd) -> io::Result<()> {
        let Some((info, findings)) = self.gathered.finish() else {
            return Ok(());
        };
        let summary = Summary {
            findings: findings.len() as u64,
            ..end.summary.clone()
        };
        let doc = JsonReport {
            schema: SCHEMA,
            tool: TOOL,
            scan_id: info.scan_id.as_deref(),
            host: info.host.as_deref(),
            started: info.started,
            root: &info.root,
            checks: info.checks.iter().map(|c| c.as_str()).collect(),
            complete: end.complete,
            sandbox: info.sandbox.as_ref(),
            database: &info.database,
            summary: &summary,
            trust: info.checks.contains(CheckKind::Headers).then_some(Trust {
                info: &info.trust,
                target_keys: end.target_keys,
            }),
            waivers: Waivers::new(info, end),
            findings: &findings,
            scripts: &self.scripts,
            packages: &end.packages,
        };
        serde_json::to_writer_pretty(&mut self.out, &doc)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}
