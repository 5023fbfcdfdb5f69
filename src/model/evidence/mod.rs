//! [`Evidence`]: the facts behind a finding, one variant per family of
//! kinds, every value raw. Each variant renders the sentence for people
//! ([`Evidence::describe`]); nothing is stored as prose.
//!
//! A new finding kind goes in [`super::FindingKind`]; its facts go in the
//! variant of its family here (or a new variant with its own `describe`).

pub mod bytecode;
pub mod database;
pub mod header;

use serde::Serialize;

use super::finding::put;
use super::{Bytes, FileAttrs, FileFlags, FileState, Finding, Verify, VerifyAttrs};

pub use bytecode::{BytecodeEvidence, HookEvidence};
pub use database::DatabaseProblem;
pub use header::{HeaderEvidence, TargetKeyEvidence};

/// The facts behind a finding. Serialised flat into the finding's JSON
/// object, with `evidence` naming the variant.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "evidence", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Evidence {
    /// `file-changed`, and `file-unreadable` when the file was found but
    /// could not be read: the comparison of a record with the file.
    File(Box<FileEvidence>),
    /// `file-missing`.
    Missing {
        /// The record's flags (`%config`, …).
        #[serde(rename = "config", serialize_with = "flags_config")]
        flags: FileFlags,
    },
    /// `file-changed-during-scan`: the file's status before it was read
    /// and after.
    Unsettled(Box<Unsettled>),
    /// `file-unreadable` when the file could not even be looked up.
    Unexaminable {
        /// The record's flags.
        #[serde(rename = "config", serialize_with = "flags_config")]
        flags: FileFlags,
        /// Why.
        error: OsError,
    },
    /// `header-*` kinds: a package header's digests, signatures, region.
    Header(HeaderEvidence),
    /// `target-key-untrusted`.
    TargetKey(TargetKeyEvidence),
    /// `package-no-digests`: files that can only be checked for existence.
    NoDigests {
        /// How many files the package registers.
        count: u64,
    },
    /// `bytecode-*` kinds.
    Bytecode(Box<BytecodeEvidence>),
    /// `startup-hook`.
    Hook(HookEvidence),
    /// `unowned-*` kinds.
    Unowned(Box<UnownedEvidence>),
    /// Many findings of one kind under one tree, summarised by a sink
    /// ([`Rollup`]); never made by a check.
    Rollup(Rollup),
    /// `check-incomplete`.
    Incomplete(Incomplete),
}

fn flags_config<S: serde::Serializer>(flags: &FileFlags, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bool(flags.contains(FileFlags::CONFIG))
}

impl Evidence {
    /// Render the sentence for people into `out` (raw bytes).
    pub fn describe(&self, f: &Finding, out: &mut Vec<u8>) {
        match self {
            Evidence::File(e) => e.describe(out),
            Evidence::Missing { .. } => out.extend_from_slice(b"registered file is missing"),
            Evidence::Unsettled(e) => e.describe(out),
            Evidence::Unexaminable { error, .. } => {
                put(out, format_args!("could not examine: {}", error.text))
            }
            Evidence::Header(e) => e.describe(f, out),
            Evidence::TargetKey(e) => e.describe(f, out),
            Evidence::NoDigests { count } => put(
                out,
                format_args!(
                    "the package records no content digests (no md5sums): its {count} file(s) \
                     are only checked for existence"
                ),
            ),
            Evidence::Bytecode(e) => e.describe(f, out),
            Evidence::Hook(e) => e.describe(f, out),
            Evidence::Unowned(e) => e.describe(out),
            Evidence::Rollup(e) => e.describe(f, out),
            Evidence::Incomplete(e) => e.describe(f, out),
        }
    }

    /// The record's flags, for file evidence.
    pub fn file_flags(&self) -> Option<FileFlags> {
        match self {
            Evidence::File(e) => Some(e.flags),
            Evidence::Missing { flags } | Evidence::Unexaminable { flags, .. } => Some(*flags),
            Evidence::Unsettled(u) => Some(u.flags),
            _ => None,
        }
    }

    /// The verify string of file evidence.
    pub fn verify(&self) -> Option<Verify> {
        match self {
            Evidence::File(e) => Some(e.verify),
            _ => None,
        }
    }

    /// The tree a rollup-able finding belongs to (`unowned-file`,
    /// `bytecode-unregistered`): the directory a summary names.
    pub fn tree(&self) -> Option<&Bytes> {
        match self {
            Evidence::Unowned(u) => Some(&u.tree),
            Evidence::Bytecode(b) => b.tree(),
            _ => None,
        }
    }
}

/// What `fstat` said of a file before it was read and after
/// (`file-changed-during-scan`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unsettled {
    /// The record's flags.
    #[serde(rename = "config", serialize_with = "flags_config")]
    pub flags: FileFlags,
    /// Before the read.
    pub before: StatTimes,
    /// After the read.
    pub after: StatTimes,
}

/// The parts of a file's status that change when it is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct StatTimes {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i128,
    /// Status change time, nanoseconds since the Unix epoch.
    pub ctime_ns: i128,
}

impl Unsettled {
    fn describe(&self, out: &mut Vec<u8>) {
        let (b, a) = (&self.before, &self.after);
        let mut what = Vec::new();
        if b.size != a.size {
            what.push(format!("size {} -> {}", b.size, a.size));
        }
        if b.mtime_ns != a.mtime_ns {
            what.push("mtime".to_string());
        }
        if b.ctime_ns != a.ctime_ns {
            what.push("ctime".to_string());
        }
        put(
            out,
            format_args!(
                "the file changed while it was read ({}): its content was not judged; \
                 scan again when nothing writes to it",
                what.join(", ")
            ),
        );
    }
}

/// An operating-system error, raw: its errno (when it has one) and the
/// text the OS (or the reader that made it) gave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OsError {
    /// `errno`, when the error came from a system call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errno: Option<i32>,
    /// Its description.
    pub text: String,
}

impl From<&std::io::Error> for OsError {
    fn from(e: &std::io::Error) -> OsError {
        OsError {
            errno: e.raw_os_error(),
            text: e.to_string(),
        }
    }
}

impl From<std::io::Error> for OsError {
    fn from(e: std::io::Error) -> OsError {
        OsError::from(&e)
    }
}

impl std::fmt::Display for OsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// The comparison of one file with its record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileEvidence {
    /// rpm's verify string.
    pub verify: Verify,
    /// The record's flags (serialised as `config`).
    #[serde(rename = "config", serialize_with = "flags_config")]
    pub flags: FileFlags,
    /// The recorded mode with type bits (0: the database records no type).
    #[serde(skip)]
    pub recorded_mode: u32,
    /// The mode found on disk.
    #[serde(skip)]
    pub found_mode: u32,
    /// What the database records, for the attributes that differ.
    #[serde(skip_serializing_if = "FileAttrs::is_empty")]
    pub expected: FileAttrs,
    /// What was found, for the attributes that differ.
    #[serde(skip_serializing_if = "FileAttrs::is_empty")]
    pub actual: FileAttrs,
    /// Set for `file-unreadable`: why the content could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<OsError>,
    /// The record's install state when it would have excused the file from
    /// this comparison but was not trusted (FILESTATES is unsigned): `not-
    /// installed` or `netshared` for a file that is there, `replaced` for
    /// a file no other package registers.
    #[serde(rename = "state", skip_serializing_if = "Option::is_none")]
    pub overruled: Option<FileState>,
}

const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;

impl FileEvidence {
    fn describe(&self, out: &mut Vec<u8>) {
        if let Some(e) = &self.error {
            put(out, format_args!("could not read to verify: {}", e.text));
            return;
        }
        let v = &self.verify;
        let f = v.failed;
        let regular = self.found_mode & S_IFMT == S_IFREG;
        let mut parts: Vec<&str> = Vec::new();
        if v.unknown.contains(VerifyAttrs::DIGEST) {
            parts.push(if regular {
                "digest could not be computed"
            } else {
                "not a regular file, content not read"
            });
        } else if f.contains(VerifyAttrs::DIGEST) {
            parts.push("content differs");
        }
        if f.contains(VerifyAttrs::SIZE) {
            parts.push("size differs");
        }
        if f.contains(VerifyAttrs::MODE) {
            if (self.found_mode & S_IFMT) != (self.recorded_mode & S_IFMT)
                && !self.flags.contains(FileFlags::GHOST)
            {
                parts.push("file type differs");
            } else {
                parts.push("mode differs");
            }
        }
        if f.contains(VerifyAttrs::RDEV) {
            parts.push("device number differs");
        }
        if f.contains(VerifyAttrs::LINKTO) {
            parts.push(if v.unknown.contains(VerifyAttrs::LINKTO) {
                "not a symlink"
            } else {
                "symlink target differs"
            });
        }
        if f.contains(VerifyAttrs::USER) {
            parts.push("owner differs");
        }
        if f.contains(VerifyAttrs::GROUP) {
            parts.push("group differs");
        }
        if f.contains(VerifyAttrs::MTIME) {
            parts.push("mtime differs");
        }
        if f.contains(VerifyAttrs::CAPS) {
            parts.push("capabilities differ");
        }
        out.extend_from_slice(parts.join(", ").as_bytes());
        let gained = self.gained_special();
        if gained & 0o4000 != 0 {
            out.extend_from_slice(b"; setuid bit gained");
        }
        if gained & 0o2000 != 0 {
            out.extend_from_slice(b"; setgid bit gained");
        }
        if let Some(state) = self.overruled {
            let claim = match state {
                FileState::NotInstalled => "not installed, yet the file is here",
                FileState::NetShared => "on a network share, yet the file is here",
                _ => "replaced by another package's file, yet no other package has it",
            };
            put(
                out,
                format_args!(
                    "; the database marks it {claim}: that state is not signed (rpm writes it \
                     at install), so the file was verified against its signed record"
                ),
            );
        }
    }

    /// The setuid/setgid bits a regular file gained over its record (none
    /// when the database records no mode).
    pub fn gained_special(&self) -> u32 {
        let known = self.recorded_mode & S_IFMT != 0;
        let regular = self.found_mode & S_IFMT == S_IFREG;
        if known && regular {
            self.found_mode & !self.recorded_mode & 0o6000
        } else {
            0
        }
    }
}

/// What an unowned file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnownedWhat {
    /// A setuid and/or setgid regular file.
    Setuid,
    /// An ELF executable.
    ElfExecutable,
    /// An ELF shared object or PIE executable.
    ElfSharedObject,
    /// Another ELF file with an execute bit.
    ElfOther,
    /// A `#!` script with an execute bit.
    Script,
    /// A regular file.
    File,
    /// A symlink.
    Symlink,
    /// A device node.
    Device,
    /// A FIFO.
    Fifo,
    /// Anything else (a socket).
    Special,
}

/// A file no package owns.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UnownedEvidence {
    /// What it is.
    pub what: UnownedWhat,
    /// The tree of the walk it was found in (what a summary names).
    pub tree: Bytes,
    /// Its attributes (mode, size, mtime; owner and group where they
    /// matter).
    #[serde(skip_serializing_if = "FileAttrs::is_empty")]
    pub actual: FileAttrs,
}

impl UnownedEvidence {
    fn describe(&self, out: &mut Vec<u8>) {
        let name = |a: &Option<super::Account>, out: &mut Vec<u8>| match a {
            Some(super::Account::Name(n)) => out.extend_from_slice(n.as_bytes()),
            Some(super::Account::Id(id)) => put(out, format_args!("{id}")),
            None => out.extend_from_slice(b"?"),
        };
        match self.what {
            UnownedWhat::Setuid => {
                let mode = self.actual.mode.unwrap_or(0);
                let bits = match (mode & 0o4000 != 0, mode & 0o2000 != 0) {
                    (true, true) => "setuid and setgid",
                    (true, false) => "setuid",
                    _ => "setgid",
                };
                put(out, format_args!("{bits} file no package owns (owner "));
                name(&self.actual.user, out);
                out.extend_from_slice(b", group ");
                name(&self.actual.group, out);
                out.extend_from_slice(b"): whoever runs it gets its owner's privileges");
            }
            UnownedWhat::ElfExecutable
            | UnownedWhat::ElfSharedObject
            | UnownedWhat::ElfOther
            | UnownedWhat::Script => {
                let what = match self.what {
                    UnownedWhat::ElfExecutable => "ELF executable",
                    UnownedWhat::ElfSharedObject => "ELF shared object or PIE executable",
                    UnownedWhat::ElfOther => "ELF file with an execute bit",
                    _ => "script with an execute bit",
                };
                put(
                    out,
                    format_args!(
                        "{what} no package owns, in a directory programs are run or loaded from"
                    ),
                );
            }
            other => {
                let what = match other {
                    UnownedWhat::Symlink => "symlink",
                    UnownedWhat::Device => "device node",
                    UnownedWhat::Fifo => "FIFO",
                    UnownedWhat::File => "file",
                    _ => "special file",
                };
                put(out, format_args!("{what} no package owns"));
            }
        }
    }
}

/// Many findings of one kind under one tree, summarised for people by a
/// sink (text, JSON) unless asked to list them (`--verbose`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rollup {
    /// How many findings it stands for.
    pub count: u64,
    /// The first few paths.
    pub examples: Vec<Bytes>,
}

impl Rollup {
    fn describe(&self, f: &Finding, out: &mut Vec<u8>) {
        let n = self.count;
        let one = n == 1;
        let s = if one { "" } else { "s" };
        let tree = f.path_bytes();
        if f.kind == super::FindingKind::BytecodeUnregistered {
            let (es, their, them) = if one {
                ("es", "its", "it")
            } else {
                ("", "their", "them")
            };
            put(out, format_args!("{n} bytecode file{s} under "));
            out.extend_from_slice(tree);
            put(
                out,
                format_args!(
                    " match{es} {their} source{s} but no package owns {them} (normal where pycs \
                     are compiled at install time, as on Debian and Ubuntu); --verbose lists them"
                ),
            );
            return;
        }
        put(out, format_args!("{n} file{s} under "));
        out.extend_from_slice(tree);
        out.extend_from_slice(b" that no package owns (e.g. ");
        for (i, e) in self.examples.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b", ");
            }
            out.extend_from_slice(e.as_bytes());
        }
        if n as usize > self.examples.len() {
            out.extend_from_slice(", …".as_bytes());
        }
        out.extend_from_slice(b"); --verbose lists them");
    }
}

/// Which part of the audit a `check-incomplete` is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Reading the package database.
    Database,
    /// The target's account files.
    Accounts,
    /// The `headers` check.
    Headers,
    /// The `files` check.
    Files,
    /// The `bytecode` check.
    Bytecode,
    /// The `unowned` check.
    Unowned,
}

impl Stage {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Database => "database",
            Stage::Accounts => "accounts",
            Stage::Headers => "headers",
            Stage::Files => "files",
            Stage::Bytecode => "bytecode",
            Stage::Unowned => "unowned",
        }
    }
}

/// What could not be examined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unread {
    /// A directory could not be listed: nothing below it was examined.
    Directory,
    /// A file could not be read.
    File,
    /// A Python source, to compare bytecode with.
    Source,
    /// A Python source could not even be looked up (the finding's path is
    /// the source).
    SourceEntry,
    /// A `.pth` file in a site directory.
    PthFile,
    /// `sitecustomize.py` / `usercustomize.py`.
    StartupModule,
    /// `/etc/ld.so.preload`.
    PreloadList,
    /// A file, to tell whether it is executable.
    ExecutableCandidate,
    /// An account file (`/etc/passwd`, `/etc/group`).
    Accounts,
}

/// A `check-incomplete`: which stage, and what it could not do.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Incomplete {
    /// The stage concerned.
    pub check: Stage,
    /// What happened.
    #[serde(flatten)]
    pub problem: Problem,
}

/// Why a check could not look at everything.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Problem {
    /// The finding's path could not be read.
    Unreadable {
        /// What it was read as.
        what: Unread,
        /// What could not be read, when it is not the finding's path (the
        /// source a pyc names; the finding stays about the pyc).
        #[serde(skip_serializing_if = "Option::is_none")]
        object: Option<Bytes>,
        /// Why.
        error: OsError,
    },
    /// A walk stopped descending: the path is deeper than this.
    TooDeep {
        /// The depth limit.
        max_depth: u64,
    },
    /// A walk stopped after this many entries.
    EntryLimit {
        /// The limit.
        max_entries: u64,
    },
    /// A pseudo filesystem is mounted at the path; not walked.
    PseudoFs {
        /// Its type.
        fs: String,
    },
    /// The package database changed between the scan's two reads.
    DatabaseChanged {
        /// Records that differ (sorted).
        records: Vec<u64>,
    },
    /// Packages of a database without signed headers (dpkg).
    Headerless {
        /// How many.
        count: u64,
        /// The database format's name.
        format: String,
    },
    /// A part of the package database could not be used.
    Database(DatabaseProblem),
}

impl Incomplete {
    fn describe(&self, f: &Finding, out: &mut Vec<u8>) {
        let path = f.path_bytes();
        let check = self.check.as_str();
        match &self.problem {
            Problem::Unreadable {
                what,
                object,
                error,
            } => {
                let path = object.as_ref().map_or(path, Bytes::as_bytes);
                match what {
                    Unread::Directory => {
                        put(out, format_args!("{check}: cannot list "));
                        out.extend_from_slice(path);
                        put(
                            out,
                            format_args!(" ({error}); nothing below it was examined"),
                        );
                    }
                    Unread::Accounts => {
                        out.extend_from_slice(b"cannot read the target's ");
                        out.extend_from_slice(path);
                        put(
                            out,
                            format_args!(
                                " ({error}): owner and group names other than root cannot be \
                                 resolved, so U/G flags for other accounts may be spurious"
                            ),
                        );
                    }
                    Unread::ExecutableCandidate => {
                        put(out, format_args!("{check}: cannot read "));
                        out.extend_from_slice(path);
                        put(
                            out,
                            format_args!(" to tell whether it is executable ({error})"),
                        );
                    }
                    Unread::Source => {
                        put(out, format_args!("{check}: cannot read the source "));
                        out.extend_from_slice(path);
                        put(out, format_args!(" ({error})"));
                    }
                    Unread::File => {
                        put(out, format_args!("{check}: cannot read "));
                        out.extend_from_slice(path);
                        put(out, format_args!(" ({error})"));
                    }
                    Unread::SourceEntry => {
                        put(out, format_args!("{check}: cannot examine the source "));
                        out.extend_from_slice(path);
                        put(out, format_args!(" ({error})"));
                    }
                    Unread::PthFile | Unread::StartupModule | Unread::PreloadList => {
                        let what = match what {
                            Unread::PthFile => ".pth file",
                            Unread::StartupModule => "startup module",
                            _ => "the loader's preload list",
                        };
                        put(out, format_args!("{check}: cannot read {what} "));
                        out.extend_from_slice(path);
                        put(out, format_args!(" ({error})"));
                    }
                }
            }
            Problem::TooDeep { max_depth } => {
                put(out, format_args!("{check}: "));
                out.extend_from_slice(path);
                put(
                    out,
                    format_args!(
                        " is more than {max_depth} levels deep; nothing below it was examined"
                    ),
                );
            }
            Problem::EntryLimit { max_entries } => {
                put(
                    out,
                    format_args!("{check}: stopped after {max_entries} directory entries; "),
                );
                out.extend_from_slice(path);
                out.extend_from_slice(b" and what follows were not examined");
            }
            Problem::PseudoFs { fs } => {
                put(
                    out,
                    format_args!("{check}: a {fs} filesystem is mounted at "),
                );
                out.extend_from_slice(path);
                out.extend_from_slice(b"; not walked");
            }
            Problem::DatabaseChanged { records } => {
                let shown: Vec<String> = records.iter().take(10).map(u64::to_string).collect();
                put(
                    out,
                    format_args!(
                        "the package database changed while it was read (a package manager ran \
                         during the scan): {} record(s) differ between its two reads ({}{}); \
                         their files were verified as the second read recorded them, but which \
                         paths are shared or owned comes from the first; scan again when no \
                         package manager runs",
                        records.len(),
                        shown.join(", "),
                        if records.len() > shown.len() {
                            ", …"
                        } else {
                            ""
                        }
                    ),
                );
            }
            Problem::Headerless { count, format } => {
                let one = *count == 1;
                put(
                    out,
                    format_args!(
                        "{count} package{} in this {format} database {} no signed package \
                         header: {} records cannot be checked against a signer",
                        if one { "" } else { "s" },
                        if one { "has" } else { "have" },
                        if one { "its" } else { "their" },
                    ),
                );
            }
            Problem::Database(p) => p.describe(f, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Findings are many (every unowned file and unregistered pyc reaches
    /// the sinks): keep the evidence small, boxing the large variants.
    #[test]
    fn evidence_stays_small() {
        let size = std::mem::size_of::<Evidence>();
        assert!(size <= 128, "Evidence is {size} bytes");
    }

    /// A pyc whose source cannot be read: the finding stays about the pyc
    /// (its schema-1 id), the sentence names the source.
    #[test]
    fn unreadable_source_is_about_the_pyc() {
        let pyc = "/usr/lib/python3/x/__pycache__/m.cpython-311.pyc";
        let f = Finding::new(
            crate::model::FindingKind::CheckIncomplete,
            crate::model::Severity::Low,
            crate::model::About::path(pyc).scope("bytecode"),
            Evidence::Incomplete(Incomplete {
                check: Stage::Bytecode,
                problem: Problem::Unreadable {
                    what: Unread::Source,
                    object: Some(Bytes::from("/usr/lib/python3/x/m.py")),
                    error: OsError::from(std::io::Error::from_raw_os_error(5)),
                },
            }),
        );
        assert_eq!(
            String::from_utf8(f.message()).unwrap(),
            "bytecode: cannot read the source /usr/lib/python3/x/m.py (Input/output error (os \
             error 5))"
        );
        assert_eq!(
            f.id,
            crate::model::FindingId::derive(f.kind, b"bytecode", pyc.as_bytes())
        );
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["path"], pyc);
        assert_eq!(json["object"], "/usr/lib/python3/x/m.py");
        assert_eq!(json["problem"], "unreadable");
        assert_eq!(json["what"], "source");
        assert_eq!(json["error"]["errno"], 5);
    }
}
