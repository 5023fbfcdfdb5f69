//! The JSON report (schema 1, documented in `docs/report-format.md`).

use std::io::{self, Write};

use serde::Serialize;

use crate::model::Finding;
use crate::scan::{DatabaseInfo, Report, Summary, TrustInfo};
use crate::trust::headers::PackageTrust;

/// The schema version written in every report.
pub const SCHEMA: u32 = 1;

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    schema: u32,
    tool: Tool,
    root: String,
    checks: Vec<&'static str>,
    database: &'a DatabaseInfo,
    summary: &'a Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    trust: Option<&'a TrustInfo>,
    findings: &'a [Finding],
    #[serde(skip_serializing_if = "<[PackageTrust]>::is_empty")]
    packages: &'a [PackageTrust],
}

/// Write `report` as one pretty-printed JSON document.
pub fn write(report: &Report, mut out: impl Write) -> io::Result<()> {
    let doc = JsonReport {
        schema: SCHEMA,
        tool: Tool {
            name: "rootaudit",
            version: env!("CARGO_PKG_VERSION"),
        },
        root: super::escape_path(&report.root),
        checks: report.checks.iter().map(|c| c.as_str()).collect(),
        database: &report.database,
        summary: &report.summary,
        trust: report
            .checks
            .contains(crate::check::CheckKind::Headers)
            .then_some(&report.trust),
        findings: &report.findings,
        packages: &report.packages,
    };
    serde_json::to_writer_pretty(&mut out, &doc)?;
    out.write_all(b"\n")
}
