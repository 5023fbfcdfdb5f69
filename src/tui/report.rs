//! A saved JSON report (schema 2) as the TUI's starting state:
//! `rootaudit tui --report FILE` triages last night's scan without
//! scanning.

use serde_json::Value;

use super::item::{Item, ItemError, raw_bytes};
use super::state::Info;
use super::update::Event;
use crate::model::PackageRef;

/// Why a file is not a report the TUI can show.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// Not JSON.
    #[error("not a JSON document: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON, but not a rootaudit report.
    #[error("not a rootaudit report (no `schema` 2 and `findings`)")]
    NotAReport,
    /// A written by a rootaudit this one does not read.
    #[error("report schema {0} is not supported (this rootaudit reads schema 2)")]
    Schema(u64),
    /// A finding that is not one.
    #[error("finding {index}: {error}")]
    Finding {
        /// Its position.
        index: usize,
        /// What is wrong.
        error: ItemError,
    },
}

/// A loaded report.
#[derive(Debug)]
pub struct Saved {
    /// The header.
    pub info: Info,
    /// The report's `complete`.
    pub complete: bool,
    /// Findings, header verdicts and scripts, as events for the state.
    pub events: Vec<Event>,
    /// The whole document (exports rewrite its findings).
    pub document: Value,
}

/// Read a report from its bytes; `name` is the file it came from.
pub fn load(bytes: &[u8], name: &[u8]) -> Result<Saved, ReportError> {
    let doc: Value = serde_json::from_slice(bytes)?;
    let schema = doc
        .get("schema")
        .and_then(Value::as_u64)
        .ok_or(ReportError::NotAReport)?;
    if schema != 2 {
        return Err(ReportError::Schema(schema));
    }
    let findings = doc
        .get("findings")
        .and_then(Value::as_array)
        .ok_or(ReportError::NotAReport)?;
    let mut items = Vec::with_capacity(findings.len());
    for (index, f) in findings.iter().enumerate() {
        let item = Item::from_value(f, f.to_string())
            .map_err(|error| ReportError::Finding { index, error })?;
        items.push(item);
    }
    let db = doc.get("database");
    let info = Info {
        root: doc.get("root").map(raw_bytes).unwrap_or_default(),
        database: db
            .and_then(|d| d.get("format"))
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string(),
        database_path: db
            .and_then(|d| d.get("path"))
            .map(raw_bytes)
            .unwrap_or_default(),
        packages: db
            .and_then(|d| d.get("packages"))
            .and_then(Value::as_u64)
            .unwrap_or(0),
        sandbox: doc
            .get("sandbox")
            .and_then(|s| s.get("description"))
            .and_then(Value::as_str)
            .map(str::to_string),
        report_file: Some(name.to_vec()),
    };
    let complete = doc
        .get("complete")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut events = vec![Event::Findings(items)];
    if let Some(p) = doc.get("packages").and_then(Value::as_array) {
        events.push(Event::Packages(
            p.iter()
                .filter_map(|p| {
                    Some((
                        p.get("record")?.as_u64()?,
                        p.get("verdict")?.as_str()?.to_string(),
                        p.get("signer").and_then(Value::as_str).map(str::to_string),
                    ))
                })
                .collect(),
        ));
    }
    if let Some(s) = doc.get("scripts").and_then(Value::as_array) {
        for p in s {
            if let Some(key) = package_key(p.get("package")) {
                events.push(Event::Scripts(key, p.clone()));
            }
        }
    }
    Ok(Saved {
        info,
        complete,
        events,
        document: doc,
    })
}

/// `name.arch` of a package object.
fn package_key(p: Option<&Value>) -> Option<String> {
    serde_json::from_value::<PackageRef>(p?.clone())
        .ok()
        .map(|p| p.key())
}
