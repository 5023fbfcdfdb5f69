//! rootaudit — an offline integrity auditor for Linux roots.
//!
//! The crate is laid out as the pipeline it runs, each stage a module whose
//! dependencies point one way:
//!
//! ```text
//! target  →  pkgdb  →  (trust)  →  check  →  finding  →  output
//! confined   package    header      files      one        text, json
//! access     databases  verdicts    verify     Finding    (tui, history)
//! ```
//!
//! * [`target`] opens paths strictly inside ROOT (openat2 `RESOLVE_IN_ROOT`)
//!   and reads the target's own account databases.
//! * [`pkgdb`] detects and reads the target's package database into
//!   [`pkgdb::Package`]s with [`pkgdb::FileRecord`]s.
//! * [`trust`] judges every package header with OpenPGP keys from outside
//!   the target ([`trust::TrustStore`], [`trust::HeaderVerdict`]).
//! * [`check`] verifies records against the files on disk, in parallel.
//! * [`finding`] is the one [`finding::Finding`] type every output consumes.
//! * [`scan`] wires the stages and publishes [`scan::Progress`] events.
//! * [`output`] renders a [`scan::Report`] as text or JSON.
//!
//! Example:
//!
//! ```no_run
//! use rootaudit::scan::{ScanBuilder, CheckSet};
//! let report = ScanBuilder::new("/mnt/sysimage").checks(CheckSet::all()).run()?;
//! println!("{} findings", report.findings.len());
//! # Ok::<(), rootaudit::Error>(())
//! ```
#![deny(missing_docs)]

pub mod check;
pub mod error;
pub mod model;
pub mod output;
pub mod pkgdb;
pub mod progress;
pub mod rootfs;
pub mod scan;
#[cfg(test)]
mod testutil;
pub mod trust;

pub use error::Error;
