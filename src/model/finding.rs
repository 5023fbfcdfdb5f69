//! [`Finding`]: one thing rootaudit wants a person to look at, as raw facts.

use std::io::Write as _;

use serde::Serialize;

use super::{Bytes, Decision, Evidence, FindingKind, HeaderVerdict, PackageRef, Severity};

/// A finding's stable identity: the first 8 bytes of
/// `SHA-256(kind NUL scope NUL path)` over raw bytes, where `scope` is the
/// package's `name.arch` (not its version, so a finding keeps its id across
/// an update), or for findings that concern no package a fixed name given
/// by the code that makes them (`record-N`, `accounts`, a check's name), or
/// empty; `path` is the raw path inside the target.
///
/// **Stable**: history databases and waivers hold these ids. The formula is
/// pinned by a golden test (`model::finding::tests::golden_ids`); changing
/// it re-keys every stored finding and needs a schema bump.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FindingId(pub [u8; 8]);

impl FindingId {
    /// Derive the id from a finding's identity (see the type's doc).
    pub fn derive(kind: FindingKind, scope: &[u8], path: &[u8]) -> FindingId {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(kind.as_str().as_bytes());
        h.update([0]);
        h.update(scope);
        h.update([0]);
        h.update(path);
        let d = h.finalize();
        let mut id = [0u8; 8];
        id.copy_from_slice(&d[..8]);
        FindingId(id)
    }
}

impl std::fmt::Display for FindingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl Serialize for FindingId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What a finding is about, for [`Finding::new`]: the path inside the
/// target, the package, and (for findings about no package) the fixed
/// scope name its id is derived from.
#[derive(Clone, Debug, Default)]
pub struct About {
    /// Absolute path inside the target (never prefixed with ROOT).
    pub path: Option<Bytes>,
    /// The package concerned.
    pub package: Option<PackageRef>,
    /// Overrides the package's `name.arch` as the id's scope.
    pub scope: Option<String>,
}

impl About {
    /// About nothing in particular (scope and path empty).
    pub fn nothing() -> About {
        About::default()
    }

    /// About `path`.
    pub fn path(path: impl Into<Bytes>) -> About {
        About {
            path: Some(path.into()),
            ..About::default()
        }
    }

    /// About `package`.
    pub fn package(package: PackageRef) -> About {
        About {
            package: Some(package),
            ..About::default()
        }
    }

    /// Also about `path`.
    pub fn at(mut self, path: impl Into<Bytes>) -> About {
        self.path = Some(path.into());
        self
    }

    /// Also about `package` (optional).
    pub fn of(mut self, package: Option<PackageRef>) -> About {
        self.package = package;
        self
    }

    /// Derive the id from this scope name instead of the package.
    pub fn scope(mut self, scope: impl Into<String>) -> About {
        self.scope = Some(scope.into());
        self
    }
}

/// One thing rootaudit wants a person to look at. Every field is a raw
/// fact (bytes, numbers, enums); the sentence for people is rendered from
/// the evidence by [`Finding::message`], and only the terminal writer
/// escapes.
///
/// In JSON (schema 2) a finding is one object: `id`, `kind`, `severity`,
/// `path`, `package` (an object with `nevra`), `header`, the rendered
/// `message`, and the evidence's fields flattened beside them with
/// `evidence` naming its variant.
#[derive(Clone, Debug)]
pub struct Finding {
    /// Stable identity ([`FindingId`]).
    pub id: FindingId,
    /// What kind of finding this is.
    pub kind: FindingKind,
    /// How urgent it is.
    pub severity: Severity,
    /// Absolute path inside the target (never prefixed with ROOT).
    pub path: Option<Bytes>,
    /// The package the finding concerns.
    pub package: Option<PackageRef>,
    /// The verdict of the package's header when it is not `trusted` (on a
    /// file finding: the record the file was compared with may itself be
    /// forged), attached by the scan before any sink sees the finding.
    pub header: Option<HeaderVerdict>,
    /// A person's decision about it (from a verified waiver file), attached
    /// by the scan before any sink sees the finding.
    pub decision: Option<Decision>,
    /// The facts behind it.
    pub evidence: Evidence,
}

/// A package in JSON: its fields and its NEVRA (findings and the report's
/// `scripts` show packages alike).
#[derive(Serialize)]
pub(crate) struct PackageJson<'a> {
    nevra: String,
    #[serde(flatten)]
    package: &'a PackageRef,
}

impl PackageJson<'_> {
    /// `package` with its NEVRA.
    pub(crate) fn new(package: &PackageRef) -> PackageJson<'_> {
        PackageJson {
            nevra: package.nevra(),
            package,
        }
    }
}

#[derive(Serialize)]
struct FindingJson<'a> {
    id: FindingId,
    kind: FindingKind,
    severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a Bytes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package: Option<PackageJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    header: Option<HeaderVerdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decision: Option<&'a Decision>,
    message: Bytes,
    #[serde(flatten)]
    evidence: &'a Evidence,
}

impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        FindingJson {
            id: self.id,
            kind: self.kind,
            severity: self.severity,
            path: self.path.as_ref(),
            package: self.package.as_ref().map(PackageJson::new),
            header: self.header,
            decision: self.decision.as_ref(),
            message: Bytes(self.message()),
            evidence: &self.evidence,
        }
        .serialize(s)
    }
}

impl Finding {
    /// The one constructor: computes the id from `kind`, the scope and the
    /// raw path of `about` (see [`FindingId`]).
    pub fn new(kind: FindingKind, severity: Severity, about: About, evidence: Evidence) -> Finding {
        let scope = match (&about.scope, &about.package) {
            (Some(s), _) => s.clone().into_bytes(),
            (None, Some(p)) => p.key().into_bytes(),
            (None, None) => Vec::new(),
        };
        let id = FindingId::derive(
            kind,
            &scope,
            about.path.as_ref().map(Bytes::as_bytes).unwrap_or(b""),
        );
        Finding {
            id,
            kind,
            severity,
            path: about.path,
            package: about.package,
            header: None,
            decision: None,
            evidence,
        }
    }

    /// The sentence for people, rendered from the evidence: raw bytes
    /// (paths and names inside it are not escaped; the terminal writer
    /// does that).
    pub fn message(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.evidence.describe(self, &mut out);
        out
    }

    /// The path as bytes (empty when the finding has none).
    pub fn path_bytes(&self) -> &[u8] {
        self.path.as_ref().map(Bytes::as_bytes).unwrap_or(b"")
    }

    /// `rpm -V`'s one-letter attribute mark for a file finding, else a
    /// space.
    pub fn mark(&self) -> char {
        self.evidence.file_flags().map_or(' ', |f| f.mark())
    }

    /// The NEVRA of the package, if any (raw).
    pub fn nevra(&self) -> Option<String> {
        self.package.as_ref().map(PackageRef::nevra)
    }
}

/// `write!` into a byte buffer (infallible).
pub(crate) fn put(out: &mut Vec<u8>, args: std::fmt::Arguments<'_>) {
    let _ = out.write_fmt(args);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Evidence, FindingKind};

    fn pkg(name: &str, arch: &str) -> PackageRef {
        PackageRef {
            record: 7,
            name: name.into(),
            epoch: None,
            version: "1".into(),
            release: "1".into(),
            arch: Some(arch.into()),
        }
    }

    /// Fixed inputs → fixed ids (computed independently with Python's
    /// hashlib: `sha256(kind + b"\0" + scope + b"\0" + path)[:8]`, the
    /// schema-1 formula, so ids of ordinary paths did not change with
    /// schema 2). These values are what history databases
    /// and waivers hold: if this test fails, the id formula changed and
    /// every stored finding would be re-keyed. Do not update the table;
    /// restore the formula.
    #[test]
    fn golden_ids() {
        let missing = Evidence::Missing {
            flags: Default::default(),
        };
        let cases: Vec<(Finding, &str)> = vec![
            (
                Finding::new(
                    FindingKind::FileChanged,
                    Severity::High,
                    About::package(pkg("util-linux", "x86_64")).at("/usr/bin/su"),
                    missing.clone(),
                ),
                "62a7843a5a1a9e34",
            ),
            (
                Finding::new(
                    FindingKind::FileMissing,
                    Severity::Medium,
                    About::package(pkg("bash", "x86_64")).at("/usr/bin/bash"),
                    missing.clone(),
                ),
                "d0f8d96966034589",
            ),
            (
                Finding::new(
                    FindingKind::UnownedSetuid,
                    Severity::Critical,
                    About::path(&b"/usr/bin/\x1b]0;x\x07\n\xff"[..]),
                    missing.clone(),
                ),
                "bc79b09e74722bce",
            ),
            (
                Finding::new(
                    FindingKind::CheckIncomplete,
                    Severity::Info,
                    About::path("/etc/passwd").scope("accounts"),
                    missing.clone(),
                ),
                "509fb91f1cdb26e8",
            ),
            (
                Finding::new(
                    FindingKind::HeaderMalformed,
                    Severity::High,
                    About::nothing().scope("record-12"),
                    missing,
                ),
                "bc01eb0089632227",
            ),
        ];
        for (f, want) in cases {
            assert_eq!(f.id.to_string(), want, "{:?} {:?}", f.kind, f.path);
        }
    }

    /// The version is not part of the identity; kind, package and path are.
    #[test]
    fn id_survives_updates_and_separates_kinds() {
        let a = About::package(pkg("p", "noarch")).at("/x");
        let mut b = a.clone();
        b.package.as_mut().unwrap().version = "2".into();
        let m = || Evidence::Missing {
            flags: Default::default(),
        };
        let fa = Finding::new(FindingKind::FileMissing, Severity::Low, a.clone(), m());
        let fb = Finding::new(FindingKind::FileMissing, Severity::Low, b, m());
        assert_eq!(fa.id, fb.id);
        let fc = Finding::new(FindingKind::FileChanged, Severity::Low, a, m());
        assert_ne!(fa.id, fc.id);
    }
}
