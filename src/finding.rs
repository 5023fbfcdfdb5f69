//! Findings: the one result type every check produces and every output
//! (text, JSON, later the TUI and the history database) consumes.
//!
//! A [`Finding`] has a closed [`FindingKind`] (serialised kebab-case), a
//! [`Severity`], the path *inside the target* and the package it concerns,
//! and typed evidence. Its [`Finding::id`] is a stable identity derived from
//! what the finding is about (kind, package name and arch, path), not from
//! when it was found, so history and triage state can follow it across scans.

use std::fmt;

use serde::Serialize;

use crate::pkgdb::{FileFlags, FileRecord};

/// What a finding is about. A closed vocabulary; see `docs/report-format.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FindingKind {
    // -- package database and header trust (check `headers`) --
    /// A database record could not be parsed as a package header; its files
    /// could not be listed.
    HeaderMalformed,
    /// The header's SHA256HEADER/SHA1HEADER digest does not match its signed
    /// region.
    HeaderDigestBad,
    /// An OpenPGP signature over the header does not verify.
    HeaderSignatureBad,
    /// The header is validly signed by a key that is not in the trust store.
    HeaderSignerUntrusted,
    /// The header is signed by a revoked or expired key or subkey.
    HeaderSignerRevoked,
    /// The header carries no signature at all.
    HeaderUnsigned,
    /// An entry outside the signed region repeats a tag inside it.
    HeaderRegionOverride,
    /// The target's database holds a `gpg-pubkey` the trust store lacks.
    TargetKeyUntrusted,
    /// A package in a database without per-file digests (dpkg) ships no
    /// digest list, so its files' content cannot be checked.
    PackageNoDigests,
    // -- registered files (check `files`) --
    /// A registered file differs from its record (see the `verify` string).
    FileChanged,
    /// A registered file does not exist.
    FileMissing,
    /// A registered file exists but could not be read or examined.
    FileUnreadable,
    // -- Python bytecode and startup hooks (check `bytecode`) --
    /// A legacy-location `.pyc` with no source beside it (importable).
    BytecodeSourceless,
    /// A hash-based `.pyc` with `check_source = 0`, owned by no package.
    BytecodeUncheckedHash,
    /// A `.pyc` whose header disagrees with its source.
    BytecodeStale,
    /// A `__pycache__` entry whose source is gone.
    BytecodeOrphaned,
    /// A `.pyc` with the magic number of a Python the target lacks.
    BytecodeForeignMagic,
    /// A `.pyc` consistent with its source but owned by no package.
    BytecodeUnregistered,
    /// Code that runs at interpreter or program start (`.pth` import line,
    /// `sitecustomize`, `ld.so.preload`) that no package owns.
    StartupHook,
    // -- files no package accounts for (check `unowned`) --
    /// A setuid/setgid file no package owns.
    UnownedSetuid,
    /// An executable no package owns in a package-managed tree.
    UnownedExecutable,
    /// A file no package owns in a package-managed tree.
    UnownedFile,
    // -- the audit itself --
    /// A check could not run completely; says what was not checked.
    CheckIncomplete,
}

impl FindingKind {
    /// The kebab-case name used in JSON and text output.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::HeaderMalformed => "header-malformed",
            FindingKind::HeaderDigestBad => "header-digest-bad",
            FindingKind::HeaderSignatureBad => "header-signature-bad",
            FindingKind::HeaderSignerUntrusted => "header-signer-untrusted",
            FindingKind::HeaderSignerRevoked => "header-signer-revoked",
            FindingKind::HeaderUnsigned => "header-unsigned",
            FindingKind::HeaderRegionOverride => "header-region-override",
            FindingKind::TargetKeyUntrusted => "target-key-untrusted",
            FindingKind::PackageNoDigests => "package-no-digests",
            FindingKind::FileChanged => "file-changed",
            FindingKind::FileMissing => "file-missing",
            FindingKind::FileUnreadable => "file-unreadable",
            FindingKind::BytecodeSourceless => "bytecode-sourceless",
            FindingKind::BytecodeUncheckedHash => "bytecode-unchecked-hash",
            FindingKind::BytecodeStale => "bytecode-stale",
            FindingKind::BytecodeOrphaned => "bytecode-orphaned",
            FindingKind::BytecodeForeignMagic => "bytecode-foreign-magic",
            FindingKind::BytecodeUnregistered => "bytecode-unregistered",
            FindingKind::StartupHook => "startup-hook",
            FindingKind::UnownedSetuid => "unowned-setuid",
            FindingKind::UnownedExecutable => "unowned-executable",
            FindingKind::UnownedFile => "unowned-file",
            FindingKind::CheckIncomplete => "check-incomplete",
        }
    }

    /// Every kind, in documentation order.
    pub const ALL: &'static [FindingKind] = &[
        FindingKind::HeaderMalformed,
        FindingKind::HeaderDigestBad,
        FindingKind::HeaderSignatureBad,
        FindingKind::HeaderSignerUntrusted,
        FindingKind::HeaderSignerRevoked,
        FindingKind::HeaderUnsigned,
        FindingKind::HeaderRegionOverride,
        FindingKind::TargetKeyUntrusted,
        FindingKind::PackageNoDigests,
        FindingKind::FileChanged,
        FindingKind::FileMissing,
        FindingKind::FileUnreadable,
        FindingKind::BytecodeSourceless,
        FindingKind::BytecodeUncheckedHash,
        FindingKind::BytecodeStale,
        FindingKind::BytecodeOrphaned,
        FindingKind::BytecodeForeignMagic,
        FindingKind::BytecodeUnregistered,
        FindingKind::StartupHook,
        FindingKind::UnownedSetuid,
        FindingKind::UnownedExecutable,
        FindingKind::UnownedFile,
        FindingKind::CheckIncomplete,
    ];
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How urgent a finding is. Ordered: `Info < Low < … < Critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth knowing; no action implied.
    Info,
    /// Expected drift (configuration, timestamps).
    Low,
    /// Needs a look.
    Medium,
    /// Likely tampering or damage.
    High,
    /// Privilege-relevant change or forged package data.
    Critical,
}

impl Severity {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parse a lower-case severity name.
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

bitflags::bitflags! {
    /// The attributes of rpm's verify string, in rpm's bit values
    /// (`RPMVERIFY_*`), so a header's FILEVERIFYFLAGS can be applied as is.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct VerifyAttrs: u32 {
        /// `5`: content digest.
        const DIGEST = 1 << 0;
        /// `S`: size.
        const SIZE = 1 << 1;
        /// `L`: symlink target.
        const LINKTO = 1 << 2;
        /// `U`: owner.
        const USER = 1 << 3;
        /// `G`: group.
        const GROUP = 1 << 4;
        /// `T`: modification time.
        const MTIME = 1 << 5;
        /// `M`: file type and permissions.
        const MODE = 1 << 6;
        /// `D`: device major/minor.
        const RDEV = 1 << 7;
        /// `P`: file capabilities.
        const CAPS = 1 << 8;
    }
}

/// Names of the attributes in `attrs`, in rpm's column order (`size`,
/// `mode`, `digest`, `rdev`, `link`, `user`, `group`, `mtime`, `caps`).
pub fn attr_names(attrs: VerifyAttrs) -> Vec<&'static str> {
    [
        (VerifyAttrs::SIZE, "size"),
        (VerifyAttrs::MODE, "mode"),
        (VerifyAttrs::DIGEST, "digest"),
        (VerifyAttrs::RDEV, "rdev"),
        (VerifyAttrs::LINKTO, "link"),
        (VerifyAttrs::USER, "user"),
        (VerifyAttrs::GROUP, "group"),
        (VerifyAttrs::MTIME, "mtime"),
        (VerifyAttrs::CAPS, "caps"),
    ]
    .into_iter()
    .filter(|(a, _)| attrs.contains(*a))
    .map(|(_, n)| n)
    .collect()
}

/// The outcome of comparing one file with its record, as rpm's 9-column
/// `SM5DLUGTP` string: `failed` attributes print their letter, `unknown`
/// ones (could not be checked) print `?`, the rest `.`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Verify {
    /// Attributes that differ.
    pub failed: VerifyAttrs,
    /// Attributes that could not be checked.
    pub unknown: VerifyAttrs,
}

impl Verify {
    const COLUMNS: [(VerifyAttrs, char); 9] = [
        (VerifyAttrs::SIZE, 'S'),
        (VerifyAttrs::MODE, 'M'),
        (VerifyAttrs::DIGEST, '5'),
        (VerifyAttrs::RDEV, 'D'),
        (VerifyAttrs::LINKTO, 'L'),
        (VerifyAttrs::USER, 'U'),
        (VerifyAttrs::GROUP, 'G'),
        (VerifyAttrs::MTIME, 'T'),
        (VerifyAttrs::CAPS, 'P'),
    ];

    /// True when nothing failed and nothing was unknown.
    pub fn is_clean(&self) -> bool {
        self.failed.is_empty() && self.unknown.is_empty()
    }
}

impl fmt::Display for Verify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (attr, letter) in Self::COLUMNS {
            let c = if self.unknown.contains(attr) {
                '?'
            } else if self.failed.contains(attr) {
                letter
            } else {
                '.'
            };
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl Serialize for Verify {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// File attributes as recorded or as found, for the `expected`/`actual`
/// evidence of a file finding. Only the attributes that differ (or could
/// not be checked) are filled in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FileAttrs {
    /// Size in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Mode as octal text including the type bits, e.g. `100755`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Content digest, `algo:hex`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Device number (`major,minor`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rdev: Option<String>,
    /// Symlink target (escaped like paths).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Owner name (or numeric id when the target has no name for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Group name (or numeric id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Modification time, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtime: Option<i64>,
    /// File capabilities in `cap_from_text` form; empty for none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caps: Option<String>,
}

impl FileAttrs {
    /// True when no attribute is set.
    pub fn is_empty(&self) -> bool {
        *self == FileAttrs::default()
    }
}

/// One thing rootaudit wants a human to look at.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// Stable identity: 16 hex digits derived from kind, package name/arch
    /// and path (see [`Finding::compute_id`]).
    pub id: String,
    /// What kind of finding this is.
    pub kind: FindingKind,
    /// How urgent it is.
    pub severity: Severity,
    /// Absolute path inside the target (never prefixed with ROOT), escaped
    /// for display (see [`crate::output::escape_bytes`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The package the finding concerns, as NEVRA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// rpm's verify string, for file findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify: Option<Verify>,
    /// The file is marked `%config`.
    pub config: bool,
    /// rpm's one-letter file attribute mark (`c`, `d`, `g`, `l`, `r`, `m`) or
    /// a space.
    #[serde(skip)]
    pub mark: char,
    /// A sentence for humans (already escaped).
    pub message: String,
    /// What the package database records, where relevant.
    #[serde(skip_serializing_if = "FileAttrs::is_empty")]
    pub expected: FileAttrs,
    /// What was found on disk, where relevant.
    #[serde(skip_serializing_if = "FileAttrs::is_empty")]
    pub actual: FileAttrs,
    /// For findings about a package's files: the trust verdict of that
    /// package's header, when it is not `trusted` (e.g. `bad-signature`:
    /// the record the file was compared with was itself forged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// The OpenPGP key id involved (header and key findings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Module names a flagged bytecode file imports (capped).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<String>,
    /// String constants a flagged bytecode file holds (capped, escaped).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub strings: Vec<String>,
    /// The offending line of a startup hook (escaped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// For summary findings standing for many files: how many.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

impl Finding {
    /// A finding with no path or package evidence yet.
    pub fn new(kind: FindingKind, severity: Severity, message: String) -> Finding {
        Finding {
            id: String::new(),
            kind,
            severity,
            path: None,
            package: None,
            verify: None,
            config: false,
            mark: ' ',
            message,
            expected: FileAttrs::default(),
            actual: FileAttrs::default(),
            header: None,
            key_id: None,
            imports: Vec::new(),
            strings: Vec::new(),
            line: None,
            count: None,
        }
    }

    /// Attach the file record this finding is about.
    pub fn for_file(mut self, record: &FileRecord) -> Finding {
        self.path = Some(crate::output::escape_bytes(record.path_bytes()));
        self.config = record.flags.contains(FileFlags::CONFIG);
        self.mark = record.flags.mark();
        self
    }

    /// Attach a path inside the target that no record describes.
    pub fn for_path(mut self, path: &std::path::Path) -> Finding {
        self.path = Some(crate::output::escape_path(path));
        self
    }

    /// Fill [`Finding::id`] from the finding's identity. `package_key` is the
    /// package's name and architecture (not its version, so a finding keeps
    /// its identity across an update of the package).
    pub fn compute_id(&mut self, package_key: &str) {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(self.kind.as_str().as_bytes());
        h.update([0]);
        h.update(package_key.as_bytes());
        h.update([0]);
        h.update(self.path.as_deref().unwrap_or("").as_bytes());
        let d = h.finalize();
        self.id = hex::encode(&d[..8]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_string_columns() {
        let v = Verify {
            failed: VerifyAttrs::SIZE | VerifyAttrs::DIGEST | VerifyAttrs::MTIME,
            unknown: VerifyAttrs::empty(),
        };
        assert_eq!(v.to_string(), "S.5....T.");
        let v = Verify {
            failed: VerifyAttrs::DIGEST | VerifyAttrs::CAPS,
            unknown: VerifyAttrs::DIGEST,
        };
        assert_eq!(v.to_string(), "..?.....P");
        assert!(Verify::default().is_clean());
    }

    #[test]
    fn id_is_stable_and_distinct() {
        let mut a = Finding::new(FindingKind::FileChanged, Severity::High, String::new());
        a.path = Some("/usr/bin/su".into());
        let mut b = a.clone();
        a.compute_id("util-linux.x86_64");
        b.compute_id("util-linux.x86_64");
        assert_eq!(a.id, b.id);
        assert_eq!(a.id.len(), 16);
        b.kind = FindingKind::FileMissing;
        b.compute_id("util-linux.x86_64");
        assert_ne!(a.id, b.id);
    }
}
