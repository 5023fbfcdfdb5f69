//! Checks: compare what the package database recorded with what is on disk,
//! and look for what no package accounts for.
//!
//! * [`files`] — per-file verification with `rpm -V` semantics.
//! * `headers` — header trust verdicts; it lives in [`crate::trust::headers`]
//!   because it needs the trust store rather than the files.
//! * [`bytecode`] — Python bytecode no package accounts for, and startup
//!   hooks (`.pth`, `sitecustomize`, `ld.so.preload`).
//! * [`unowned`] — files in package-managed trees that no package owns.
//! * [`walk`] — the bounded, confined walker and alias-aware ownership test
//!   those two share.
//!
//! Each check is a function of a [`ScanContext`] that returns
//! [`crate::model::Finding`]s; checks never print, and bump the scan's
//! [`Counters`] (atomics a front end samples) rather than send a message
//! per file. A new check is a new submodule, a [`CheckKind`] variant, and
//! one call in `crate::scan`.

pub mod bytecode;
mod counters;
pub mod files;
pub mod hash;
pub mod throttle;
pub mod unowned;
pub mod walk;

use std::fmt;

use crate::pkgdb::{OwnershipIndex, Source};
use crate::rootfs::Root;
use crate::rootfs::accounts::Accounts;
pub use counters::{Counters, Phase, Snapshot};

/// A check that `--checks` can select.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CheckKind {
    /// Judge every package header's digests and signatures with keys from
    /// outside the target ([`crate::trust::headers`]); runs first.
    Headers,
    /// Verify every registered file (`rpm -V`).
    Files,
    /// Python bytecode and startup hooks no package accounts for
    /// ([`bytecode`]).
    Bytecode,
    /// Files in package-managed trees that no package owns ([`unowned`]).
    Unowned,
}

impl CheckKind {
    /// Every check this build provides, in run order.
    pub const ALL: &'static [CheckKind] = &[
        CheckKind::Headers,
        CheckKind::Files,
        CheckKind::Bytecode,
        CheckKind::Unowned,
    ];

    /// The name used by `--checks`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Headers => "headers",
            CheckKind::Files => "files",
            CheckKind::Bytecode => "bytecode",
            CheckKind::Unowned => "unowned",
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

/// Everything a check may look at. Built once per scan by
/// [`crate::scan::ScanBuilder::run`]; checks run inside the scan's rayon pool.
pub struct ScanContext<'a> {
    /// The confined target.
    pub root: &'a Root,
    /// The target's package database (its description; the scan streams
    /// the records).
    pub db: &'a Source,
    /// The target's users and groups.
    pub accounts: &'a Accounts,
    /// Which paths packages register (O(1) lookups).
    pub index: &'a OwnershipIndex,
    /// The Python code packages register ([`bytecode`]).
    pub code: &'a bytecode::PackagedCode,
    /// The scan's progress counters.
    pub progress: &'a Counters,
}
