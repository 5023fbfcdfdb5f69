//! Evidence about parts of a package database that could not be used
//! ([`DatabaseProblem`], inside a `check-incomplete` of stage `database`).
//!
//! The file concerned, when there is one, is the finding's path; package
//! names are raw as the database holds them.

use serde::Serialize;

use super::OsError;
use crate::model::finding::put;
use crate::model::{Finding, ScriptPhase};

/// A part of the package database that could not be used.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "database_problem", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum DatabaseProblem {
    /// dpkg: packages whose install or removal was interrupted; their
    /// files are not verified.
    HalfInstalled {
        /// How many.
        count: u64,
        /// Their names.
        packages: Vec<String>,
    },
    /// dpkg: packages removed but not purged (`config-files`); their
    /// leftover conffiles are not verified.
    ConfigFiles {
        /// How many.
        count: u64,
    },
    /// dpkg: a package has no file list (the path is where it was looked
    /// for): only its md5sums and conffiles are checked.
    NoFileList {
        /// The package's name.
        package: String,
    },
    /// dpkg: lines of a package's `Conffiles:` field that cannot be parsed.
    ConffilesUnparseable {
        /// The package's name.
        package: String,
        /// How many lines.
        count: u64,
    },
    /// dpkg: a package not configured yet, whose new conffiles have no
    /// recorded digest.
    NotConfigured {
        /// The package's name.
        package: String,
        /// How many conffiles.
        count: u64,
    },
    /// Lines of the file at the finding's path (a `.list`, an `md5sums`)
    /// that cannot be parsed.
    BadLines {
        /// How many.
        count: u64,
        /// The first ten of their line numbers (from 1).
        lines: Vec<u64>,
    },
    /// A package registers more files than a package can plausibly have
    /// ([`crate::pkgdb::MAX_FILES_PER_PACKAGE`]): only the first ones are
    /// verified, so one hostile list cannot take the audit's memory.
    TooManyFiles {
        /// The package's name.
        package: String,
        /// How many paths it lists.
        count: u64,
        /// How many were kept and verified.
        kept: u64,
    },
    /// dpkg: lines of the `diversions` file that do not form diversions.
    BadDiversions {
        /// How many.
        count: u64,
    },
    /// The file or directory at the finding's path cannot be read.
    Unreadable {
        /// Why.
        error: OsError,
    },
    /// dpkg: an entry of `status.d` that is not a regular file.
    NotRegular,
    /// dpkg: an alternatives file whose name is not UTF-8.
    AlternativesNameNotUtf8,
    /// dpkg: an alternatives file that cannot be parsed.
    AlternativesUnparseable {
        /// The parser's error (raw text).
        error: String,
    },
    /// dpkg: an alternative none of whose choices an installed package
    /// provides.
    AlternativesUnprovided,
    /// An install script of a package whose files changed could not be
    /// read, so the report's `scripts` lack it: dpkg, the maintainer
    /// script at the finding's path (unreadable, not a regular file); rpm,
    /// a scriptlet tag of the header's signed region that is malformed
    /// (wrong type, trigger arrays that disagree).
    ScriptUnreadable {
        /// The package's name.
        package: String,
        /// Which script; absent when it is a whole family (rpm's trigger
        /// arrays).
        #[serde(skip_serializing_if = "Option::is_none")]
        phase: Option<ScriptPhase>,
        /// Why (dpkg: the OS error; rpm: the header reader's).
        error: OsError,
    },
}

impl DatabaseProblem {
    /// [`DatabaseProblem::BadLines`] of the garbled `lines` (their count,
    /// and the first ten numbers).
    pub fn bad_lines(lines: &[u64]) -> DatabaseProblem {
        DatabaseProblem::BadLines {
            count: lines.len() as u64,
            lines: lines.iter().take(10).copied().collect(),
        }
    }

    pub(super) fn describe(&self, f: &Finding, out: &mut Vec<u8>) {
        let path = f.path_bytes();
        let at = |out: &mut Vec<u8>| {
            out.extend_from_slice(path);
            out.extend_from_slice(b": ");
        };
        match self {
            DatabaseProblem::HalfInstalled { count, packages } => put(
                out,
                format_args!(
                    "{count} package(s) are half-installed (an install or removal was \
                     interrupted), so their files are not verified: {}",
                    packages.join(", ")
                ),
            ),
            DatabaseProblem::ConfigFiles { count } => put(
                out,
                format_args!(
                    "{count} package(s) are removed but not purged (config-files): their \
                     leftover conffiles are not verified"
                ),
            ),
            DatabaseProblem::NoFileList { package } => {
                let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
                put(
                    out,
                    format_args!("package {package} has no file list (info/"),
                );
                out.extend_from_slice(name);
                out.extend_from_slice(
                    b"): which paths it owns is unknown; only its md5sums and conffiles are \
                      checked",
                );
            }
            DatabaseProblem::ConffilesUnparseable { package, count } => put(
                out,
                format_args!(
                    "{count} Conffiles line(s) of package {package} cannot be parsed; those \
                     conffiles are not verified"
                ),
            ),
            DatabaseProblem::NotConfigured { package, count } => put(
                out,
                format_args!(
                    "package {package} is not configured yet: {count} new conffile(s) have no \
                     recorded digest and are not verified"
                ),
            ),
            DatabaseProblem::BadLines { count, lines } => {
                at(out);
                let shown: Vec<String> = lines.iter().take(10).map(u64::to_string).collect();
                put(
                    out,
                    format_args!(
                        "{count} line(s) cannot be parsed and were not checked (line {}{})",
                        shown.join(", "),
                        if *count > shown.len() as u64 {
                            ", …"
                        } else {
                            ""
                        }
                    ),
                );
            }
            DatabaseProblem::TooManyFiles {
                package,
                count,
                kept,
            } => {
                at(out);
                put(
                    out,
                    format_args!(
                        "package {package} lists {count} files, more than any package \
                         plausibly has: only the first {kept} are verified (a bound on the \
                         audit's memory; the rest are neither checked nor registered)"
                    ),
                );
            }
            DatabaseProblem::BadDiversions { count } => {
                at(out);
                put(
                    out,
                    format_args!(
                        "{count} line(s) do not form valid diversions and were ignored, so a \
                         diverted file may be looked for in the wrong place"
                    ),
                );
            }
            DatabaseProblem::Unreadable { error } => {
                at(out);
                put(
                    out,
                    format_args!("cannot be read ({error}); what it records is not checked"),
                );
            }
            DatabaseProblem::NotRegular => {
                at(out);
                out.extend_from_slice(
                    b"is not a regular file; it was not read as a package stanza",
                );
            }
            DatabaseProblem::AlternativesNameNotUtf8 => {
                at(out);
                out.extend_from_slice(
                    b"alternatives file name is not UTF-8; its links are not verified",
                );
            }
            DatabaseProblem::AlternativesUnparseable { error } => {
                at(out);
                put(
                    out,
                    format_args!("cannot be parsed ({error}); the group's links are not verified"),
                );
            }
            DatabaseProblem::AlternativesUnprovided => {
                at(out);
                out.extend_from_slice(
                    b"no installed package provides any choice of this alternative; its links \
                      are not verified",
                );
            }
            DatabaseProblem::ScriptUnreadable {
                package,
                phase,
                error,
            } => {
                if !path.is_empty() {
                    at(out);
                }
                let (what, s) = match phase {
                    Some(p) => (p.as_str(), ""),
                    None => ("trigger", "s"),
                };
                put(
                    out,
                    format_args!(
                        "the {what} script{s} of package {package} cannot be read ({error}) and \
                         {} not in the report's scripts",
                        if s.is_empty() { "is" } else { "are" }
                    ),
                );
            }
        }
    }

    /// The count a `check-incomplete` about the database reports, when it
    /// has one.
    pub fn count(&self) -> Option<u64> {
        match self {
            DatabaseProblem::HalfInstalled { count, .. }
            | DatabaseProblem::ConfigFiles { count }
            | DatabaseProblem::ConffilesUnparseable { count, .. }
            | DatabaseProblem::NotConfigured { count, .. }
            | DatabaseProblem::BadLines { count, .. }
            | DatabaseProblem::BadDiversions { count } => Some(*count),
            _ => None,
        }
    }
}
