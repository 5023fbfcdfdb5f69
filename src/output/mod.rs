//! Report sinks for people and programs: [`text::TextSink`] (`rpm -V`
//! layout), [`json::JsonSink`] (one document, schema 2) and
//! [`jsonl::JsonLinesSink`] (one object per line, streamed). All implement
//! [`crate::scan::ReportSink`].
//!
//! Escaping happens here and only here: [`escape::Terminal`] is the one
//! writer that reaches a terminal, and every byte the text sink (and the
//! `keys list` listing) prints goes through it. JSON carries raw bytes
//! exactly (UTF-8 as strings, anything else as `{"bytes": base64}`).
//! Per-tree summaries are presentation too ([`rollup`]). The remediation
//! plan ([`plan::write_plan`], a reviewable bash script rootaudit never
//! runs) quotes every name as one shell word ([`plan::shell_word`]).

pub mod escape;
pub mod json;
pub mod jsonl;
pub mod keys;
pub mod plan;
pub mod rollup;
pub mod text;

pub use escape::{Terminal, escape_ascii, escape_bytes};

use crate::model::Finding;

/// The order reports list findings in: by path, then kind, then package.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.path_bytes(), a.kind, &a.package).cmp(&(b.path_bytes(), b.kind, &b.package))
    });
}
