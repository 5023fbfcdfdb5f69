//! The JSON Lines sink: one object per line, written as the scan makes
//! them, for log pipelines and for following a scan live. Lines are
//! `{"type":"begin",…}` (root, checks, database, trust), one
//! `{"type":"finding",…}` per finding (every finding, never summarised),
//! and `{"type":"end",…}` (summary, complete, header verdicts). Values
//! are exact, as in the JSON document (schema 2).

use std::io::{self, Write};

use serde::Serialize;

use crate::model::Finding;
use crate::scan::{ReportSink, ScanEnd, ScanInfo, Summary};
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
    End {
        complete: bool,
        summary: &'a Summary,
        target_keys: u64,
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

    fn finish(&mut self, end: &ScanEnd) -> io::Result<()> {
        self.put(&Line::End {
            complete: end.complete,
            summary: &end.summary,
            target_keys: end.target_keys,
            packages: &end.packages,
        })?;
        self.out.flush()
    }
}
