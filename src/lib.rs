//! rootaudit — an offline integrity auditor for Linux roots.
//!
//! The crate is laid out as the pipeline it runs, each stage a module whose
//! dependencies point one way (down this list, never up):
//!
//! ```text
//! model ← rootfs ← pkgdb ← trust ← check ← scan → sinks (output; tui, history)
//! raw     confined  package  header  files,   runs    text, json, jsonl:
//! facts   access    dbs      trust   bytecode stages  escaping only here
//! ```
//!
//! * [`model`] — the raw facts every stage speaks: [`model::Finding`]
//!   (kind, severity, raw path, [`model::PackageRef`], typed
//!   [`model::Evidence`], a stable id), file records and attributes.
//! * [`rootfs`] opens paths strictly inside ROOT (openat2
//!   `RESOLVE_IN_ROOT`) and reads the target's own account databases.
//! * [`pkgdb`] detects ([`pkgdb::FORMATS`]) and streams the target's
//!   package database through one [`pkgdb::Backend`] trait.
//! * [`trust`] judges every package header with OpenPGP keys from outside
//!   the target ([`trust::TrustStore`], [`trust::HeaderVerdict`]).
//! * [`check`] verifies records against the files on disk, in parallel,
//!   and looks for what no package accounts for.
//! * [`scan`] runs the stages and hands each finding, once and in final
//!   form, to a [`scan::ReportSink`]; progress is sampled from
//!   [`scan::Counters`].
//! * [`output`] holds the sinks for people and programs (text, JSON, JSON
//!   Lines) and the one escaper.
//! * [`history`] records every scan in an SQLite state file (a sink too):
//!   findings losslessly, outcomes, `--new-only`'s previous ids, `diff`.
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
#[doc(hidden)]
pub mod fuzz;
pub mod history;
pub mod model;
pub mod output;
pub mod pkgdb;
pub mod rootfs;
pub mod scan;
pub mod sign;
#[cfg(test)]
mod testutil;
pub mod trust;
pub mod tui;
pub mod waiver;

pub use error::Error;
