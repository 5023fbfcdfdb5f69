//! The model: raw facts every other stage speaks in, depending on nothing
//! above it.
//!
//! * [`Finding`] — one thing to look at: a [`FindingKind`], a [`Severity`],
//!   the raw path inside the target ([`Bytes`]), the [`PackageRef`], the
//!   header verdict, and typed [`Evidence`]. Its [`FindingId`] is computed
//!   once, in [`Finding::new`], from raw bytes, and is stable.
//! * [`FileRecord`] — what a package recorded about a file; [`FileAttrs`]
//!   and [`Verify`] — what a comparison found.
//! * [`PackageScripts`] — a package's install scripts ([`Script`], raw
//!   bodies), for the triage of a package whose files changed.
//!
//! Nothing here is escaped or formatted for a terminal: the sentence for
//! people is rendered from the evidence ([`Finding::message`]) as raw bytes,
//! and only the writer that reaches a terminal escapes (`output::escape`).
//!
//! ```
//! use rootaudit::model::{About, Evidence, Finding, FindingKind, Severity};
//! let f = Finding::new(
//!     FindingKind::FileMissing,
//!     Severity::Medium,
//!     About::path(&b"/usr/bin/\x1b[2Jx"[..]),
//!     Evidence::Missing { flags: Default::default() },
//! );
//! assert_eq!(f.path_bytes(), b"/usr/bin/\x1b[2Jx");
//! assert_eq!(f.message(), b"registered file is missing");
//! ```

mod bytes;
mod decision;
pub mod evidence;
mod file;
pub(crate) mod finding;
mod kind;
mod package;
mod script;
pub mod time;

pub use bytes::Bytes;
pub use decision::{Decision, Verdict};
pub use evidence::{
    BytecodeEvidence, DatabaseProblem, Evidence, FileEvidence, HeaderEvidence, HookEvidence,
    Incomplete, OsError, Problem, Rollup, Stage, StatTimes, TargetKeyEvidence, UnownedEvidence,
    UnownedWhat, Unread, Unsettled,
};
pub use file::{
    Account, Digest, DigestAlgo, FileAttrs, FileFlags, FileRecord, FileState, Verify, VerifyAttrs,
    attr_names,
};
pub use finding::{About, Finding, FindingId};
pub use kind::{FindingKind, Severity};
pub use package::{HeaderVerdict, PackageRef, nevra, package_key};
pub use script::{MAX_BODY, MAX_SCRIPTS, PackageScripts, Script, ScriptPhase};
