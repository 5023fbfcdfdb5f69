//! The closed vocabularies of the model: [`FindingKind`] and [`Severity`].

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a finding is about. A closed vocabulary; see `docs/report-format.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
    /// A registered file changed (size, mtime or ctime) while it was read:
    /// its content was not judged.
    FileChangedDuringScan,
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
            FindingKind::FileChangedDuringScan => "file-changed-during-scan",
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
        FindingKind::FileChangedDuringScan,
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
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
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
