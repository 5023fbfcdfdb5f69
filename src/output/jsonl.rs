//! The JSON Lines sink: one object per line, written as the scan makes
//! them, for log pipelines and for following a scan live. Lines are
//! `{"type":"begin",…}` (root, checks, database, trust, waivers), one
//! `{"type":"finding",…}` per finding (every finding, never summarised),
//! one `{"type":"scripts",…}` per package whose files changed (its install
//! scripts),
//! and `{"type":"end",…}` (summary, complete, waiver counts, header
//! verdicts). Values
//! are exact, as in the JSON document (schema 2).

use std::io::{self, Write};

use serde::Serialize;

use crate::model::{Finding, PackageScripts};
use crate::scan::{ReportSink, ScanEnd, ScanInfo, Summary, WaiverCounts};
use crate::trust::headers::PackageTrust;

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
enum Line<'a> {
    Begin {
        schema: u32,
        tool: super::json::Tool,
        #[serde(flatten)]
        info: &'a ScanInfo,
    },
    Finding(&'a Finding),
    Scripts(&'a PackageScripts),
    End {
        complete: bool,
        summary: &'a Summary,
        target_keys: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        waivers: Option<WaiverCounts>,
        #[serde(skip_serializing_if = "<[PackageTrust]>::is_empty")]
        packages: &'a [PackageTrust],
    },
}

/// Streams a report as JSON Lines.
pub struct JsonLinesSink<W: Write> {
    out: W,
}

impl<W: Write> JsonLinesSink<W> {
    /// Write to `out`.
    pub fn new(out: W) -> JsonLinesSink<W> {
        JsonLinesSink { out }
    }

    fn put(&mut self, line: &Line<'_>) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, line)?;
        self.out.write_all(b"\n")
    }
}

impl<W: Write> ReportSink for JsonLinesSink<W> {
    fn begin(&mut self, info: &ScanInfo) -> io::Result<()> {
        self.put(&Line::Begin {
            schema: super::json::SCHEMA,
            tool: super::json::TOOL,
            info,
        })
    }

    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        self.put(&Line::Finding(f))
    }

    fn scripts(&mut self, scripts: &PackageScripts) -> io::Result<()> {
        self.put(&Line::Scripts(scripts))
    }

    fn finish(&mut self, end: &ScanEnd) -> io::Result<()> {
        self.put(&Line::End {
            complete: end.complete,
            summary: &end.summary,
            target_keys: end.target_keys,
            waivers: end.waivers,
            packages: &end.packages,
        })?;
        self.out.flush()
    }
}
