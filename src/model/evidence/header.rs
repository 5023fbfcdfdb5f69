//! Evidence of the `headers` check: a package header's digests, signatures
//! and signed region ([`HeaderEvidence`]), and the target's own keys
//! ([`TargetKeyEvidence`]).

use serde::Serialize;

use crate::model::Finding;
use crate::model::finding::put;

/// What is wrong with a package header (kinds `header-*`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum HeaderEvidence {
    /// A database record could not be parsed as a package header.
    MalformedRecord {
        /// The record's key.
        record: u64,
        /// The parser's error (raw text).
        error: String,
    },
}

impl HeaderEvidence {
    pub(super) fn describe(&self, _f: &Finding, out: &mut Vec<u8>) {
        match self {
            HeaderEvidence::MalformedRecord { record, error } => put(
                out,
                format_args!("database record {record} cannot be parsed: {error}"),
            ),
        }
    }
}

/// A key in the target's own rpm database that the trust store lacks.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetKeyEvidence {
    /// The key id (16 lower-case hex digits).
    pub key_id: String,
}

impl TargetKeyEvidence {
    pub(super) fn describe(&self, _f: &Finding, out: &mut Vec<u8>) {
        put(out, format_args!("key {}", self.key_id));
    }
}
