//! dpkg notes (package database stage): the findings the dpkg reader makes
//! about the database itself rather than about any file it lists.
//!
//! Nearly all are `check-incomplete` findings built by [`incomplete`] (a
//! missing or unreadable list, garbled lines, a package left half
//! installed); an unparseable status stanza is `header-malformed`
//! ([`stanza_unparseable`]). The [`Reader`] collects them as it reads, in
//! the order it reads; they become [`crate::pkgdb::Database::notes`].

use crate::pkgdb::incomplete;
use std::io;
use std::path::{Path, PathBuf};

use super::reader::Reader;
use super::status::{StanzaError, StatusEntry};
use crate::model::evidence::{DatabaseProblem, HeaderEvidence};
use crate::model::{About, Evidence, Finding, FindingKind, Severity};

/// Stanza `record` of `file` (absolute) cannot be parsed.
pub(super) fn stanza_unparseable(file: PathBuf, record: u64, error: &StanzaError) -> Finding {
    Finding::new(
        FindingKind::HeaderMalformed,
        Severity::High,
        About::path(file).scope(format!("record-{record}")),
        Evidence::Header(HeaderEvidence::StanzaUnparseable {
            record,
            error: error.to_string(),
        }),
    )
}

/// The package has no `.list` at `list` (absolute), its most likely name.
pub(super) fn no_file_list(list: PathBuf, e: &StatusEntry) -> Finding {
    incomplete(
        Severity::Medium,
        About::path(list).scope(package_key(e)),
        DatabaseProblem::NoFileList {
            package: e.name.clone(),
        },
    )
}

/// The package's `list` names `count` paths, more than
/// [`crate::pkgdb::MAX_FILES_PER_PACKAGE`].
pub(super) fn too_many_files(list: PathBuf, e: &StatusEntry, count: u64) -> Finding {
    incomplete(
        Severity::Medium,
        About::path(list).scope(package_key(e)),
        DatabaseProblem::TooManyFiles {
            package: e.name.clone(),
            count,
            kept: crate::pkgdb::MAX_FILES_PER_PACKAGE as u64,
        },
    )
}

/// `count` of the package's conffiles were never configured
/// (`newconffile`).
pub(super) fn not_configured(e: &StatusEntry, count: u64) -> Finding {
    incomplete(
        Severity::Low,
        About::nothing().scope(package_key(e)),
        DatabaseProblem::NotConfigured {
            package: e.name.clone(),
            count,
        },
    )
}

/// Lines of the package's `Conffiles:` field cannot be parsed.
pub(super) fn conffiles_unparseable(e: &StatusEntry) -> Finding {
    incomplete(
        Severity::Medium,
        About::nothing().scope(package_key(e)),
        DatabaseProblem::ConffilesUnparseable {
            package: e.name.clone(),
            count: e.bad_conffiles.len() as u64,
        },
    )
}

/// These packages are half installed: their files are not checked.
pub(super) fn half_installed(packages: Vec<String>) -> Finding {
    incomplete(
        Severity::Low,
        About::nothing().scope("dpkg-half-installed"),
        DatabaseProblem::HalfInstalled {
            count: packages.len() as u64,
            packages,
        },
    )
}

/// `count` packages were removed but left their configuration files.
pub(super) fn config_files(count: u64) -> Finding {
    incomplete(
        Severity::Info,
        About::nothing().scope("dpkg-config-files"),
        DatabaseProblem::ConfigFiles { count },
    )
}

/// `name.arch`, the identity of a package across versions.
fn package_key(e: &StatusEntry) -> String {
    match &e.arch {
        Some(a) => format!("{}.{a}", e.name),
        None => e.name.clone(),
    }
}

impl Reader<'_> {
    /// A note about the database file or directory at `rel`.
    pub(super) fn note(&mut self, rel: &Path, severity: Severity, problem: DatabaseProblem) {
        let abs = Path::new("/").join(rel);
        self.notes.push(incomplete(
            severity,
            About::path(abs).scope("dpkg"),
            problem,
        ));
    }

    /// The database file or directory at `rel` cannot be read.
    pub(super) fn note_unreadable(&mut self, rel: &Path, e: &io::Error) {
        self.note(
            rel,
            Severity::Medium,
            DatabaseProblem::Unreadable { error: e.into() },
        );
    }

    /// `lines` (numbers) of the package's info file at `rel` are garbled.
    pub(super) fn note_bad_lines(&mut self, rel: &Path, lines: &[u64], e: &StatusEntry) {
        let abs = Path::new("/").join(rel);
        self.notes.push(incomplete(
            Severity::Medium,
            About::path(abs).scope(package_key(e)),
            DatabaseProblem::bad_lines(lines),
        ));
    }
}
