//! Evidence about parts of a package database that could not be used
//! ([`DatabaseProblem`], inside a `check-incomplete`).

use serde::Serialize;

use crate::model::Finding;

/// A part of the package database that could not be used.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "database-problem", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum DatabaseProblem {}

impl DatabaseProblem {
    pub(super) fn describe(&self, _f: &Finding, _out: &mut Vec<u8>) {
        match *self {}
    }
}
