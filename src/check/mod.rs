//! Checks: compare what the package database recorded with what is on disk.
//!
//! * [`files`] — per-file verification with `rpm -V` semantics.
//!
//! Checks are pure functions of the target, the records and the target's
//! accounts; they return [`crate::finding::Finding`]s and never print.

pub mod files;
pub mod hash;

use std::fmt;

/// A check that `--checks` can select.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CheckKind {
    /// Verify every registered file (`rpm -V`).
    Files,
}

impl CheckKind {
    /// Every check this build provides, in run order.
    pub const ALL: &'static [CheckKind] = &[CheckKind::Files];

    /// The name used by `--checks`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Files => "files",
        }
    }

    /// Parse a `--checks` name.
    pub fn parse(s: &str) -> Option<CheckKind> {
        CheckKind::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for CheckKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
