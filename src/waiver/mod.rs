//! Waivers: triage decisions kept in a signed file, matched to findings by
//! id and content. Sits between the checks and the scan, which attaches a
//! matching decision to each finding.
//!
//! A [`WaiverFile`] holds one [`Waiver`] per finding id: the finding's
//! [`Subject`] (id, and the expected and actual content digests when it
//! has them), what it was (kind, path, package — for people), and the
//! person's [`Decision`] (accepted with a reason, or flagged; when; until
//! when). It is JSON (see `docs/waivers.md`), signed in minisign's format:
//! `FILE.minisig` beside `FILE`, whose trusted comment
//! ([`TrustedComment`]) names the purpose ([`PURPOSE`]), host, root, time
//! and the file's SHA-256, so stock `minisign -Vm FILE -P KEY` checks it.
//!
//! The writer (triage) builds or loads a file, calls [`WaiverFile::decide`]
//! or [`WaiverFile::undo`], and [`WaiverFile::write_signed`]. The scan only
//! takes a file through [`WaiverFile::load_verified`], which refuses a file
//! whose signature does not verify against a key given from outside the
//! target, or whose trusted comment is not a waiver file's.
//!
//! A waiver applies to a finding ([`WaiverFile::lookup`]) only when the id
//! *and* both digests are the same (a file that changed again is a new
//! finding) and it has not expired.
//!
//! ```
//! use rootaudit::model::{About, Decision, Evidence, Finding, FindingKind, Severity, Verdict};
//! use rootaudit::sign::SecretKey;
//! use rootaudit::waiver::{Subject, WaiverFile};
//! let f = Finding::new(
//!     FindingKind::FileMissing,
//!     Severity::Medium,
//!     About::path("/usr/share/doc/x"),
//!     Evidence::Missing { flags: Default::default() },
//! );
//! let mut w = WaiverFile::new("web1", "/");
//! let accept = Decision { verdict: Verdict::Accepted, reason: "docs stripped".into(), at: 1, expires: None };
//! w.decide_finding(&f, accept);
//! assert!(w.lookup(&Subject::of(&f), 2).is_some_and(|d| d.waives()));
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("waivers.json");
//! let sk = SecretKey::generate()?;
//! w.write_signed(&path, &sk)?;
//! let (back, verified) = WaiverFile::load_verified(&path, &sk.public_key())?;
//! assert_eq!(back.len(), 1);
//! assert!(verified.trusted_comment.starts_with("rootaudit-waivers host=web1 root=/ "));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod comment;
mod error;
mod signed;
mod subject;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::model::{Bytes, Decision, Finding, FindingId, FindingKind, Verdict};
pub use comment::{PURPOSE, TrustedComment};
pub use error::WaiverError;
pub use signed::signature_path;
pub use subject::{Subject, parse_id};

/// The version of the waiver file format this build reads and writes.
pub const VERSION: u32 = 1;

/// One decision about one finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiver {
    /// The finding's id.
    pub id: FindingId,
    /// Its kind (for people; the id already depends on it).
    pub kind: FindingKind,
    /// Its path inside the target, raw (for people).
    pub path: Option<Bytes>,
    /// Its package's NEVRA (for people).
    pub package: Option<String>,
    /// The expected content digest the decision was made with (`algo:hex`).
    pub expected: Option<String>,
    /// The actual content digest the decision was made with (`algo:hex`).
    pub actual: Option<String>,
    /// What was decided.
    pub decision: Decision,
}

/// How a waiver file answers for one subject ([`WaiverFile::check`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match<'a> {
    /// No waiver names the id.
    None,
    /// A waiver names the id, but was made with other content digests:
    /// the finding is new (the file changed again). Not applied.
    Changed(&'a Waiver),
    /// The waiver matches, but expired. Not applied.
    Expired(&'a Waiver),
    /// The waiver applies: this decision.
    Applies(&'a Decision),
}

impl<'a> Match<'a> {
    /// The decision, when the waiver applies.
    pub fn decision(self) -> Option<&'a Decision> {
        match self {
            Match::Applies(d) => Some(d),
            _ => None,
        }
    }
}

impl Waiver {
    /// The subject it was decided for.
    pub fn subject(&self) -> Subject {
        Subject {
            id: self.id,
            expected: self.expected.clone(),
            actual: self.actual.clone(),
        }
    }

    /// True once `now` (seconds since the Unix epoch) is at or past its
    /// expiry.
    pub fn expired(&self, now: u64) -> bool {
        self.decision.expires.is_some_and(|e| now >= e)
    }

    /// How this waiver answers for `subject` at `now`.
    pub fn check(&self, subject: &Subject, now: u64) -> Match<'_> {
        if self.id != subject.id {
            Match::None
        } else if self.expected != subject.expected || self.actual != subject.actual {
            Match::Changed(self)
        } else if self.expired(now) {
            Match::Expired(self)
        } else {
            Match::Applies(&self.decision)
        }
    }
}

/// Where a verified waiver file came from ([`WaiverFile::load_verified`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The waiver file.
    pub file: PathBuf,
    /// The id of the key its signature verified with.
    pub key_id: String,
    /// The signed trusted comment.
    pub trusted_comment: String,
}

/// A set of waivers for one host and root (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaiverFile {
    host: String,
    root: Bytes,
    written: u64,
    waivers: BTreeMap<FindingId, Waiver>,
    origin: Option<Origin>,
}

impl WaiverFile {
    /// An empty waiver file for `host`, root `root` (as the scan that is
    /// triaged named it), written now.
    pub fn new(host: impl Into<String>, root: impl Into<Bytes>) -> WaiverFile {
        WaiverFile {
            host: host.into(),
            root: root.into(),
            written: unix_now(),
            waivers: BTreeMap::new(),
            origin: None,
        }
    }

    /// The host it is for.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The root it is for (raw).
    pub fn root(&self) -> &Bytes {
        &self.root
    }

    /// When it was last changed (seconds since the Unix epoch).
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Where it was loaded from and which key vouched for it (`None` for a
    /// file made in memory).
    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }

    /// The waivers, by id.
    pub fn waivers(&self) -> impl Iterator<Item = &Waiver> {
        self.waivers.values()
    }

    /// The waiver about `id`, if any (whether or not it still applies).
    pub fn get(&self, id: FindingId) -> Option<&Waiver> {
        self.waivers.get(&id)
    }

    /// How many waivers it holds.
    pub fn len(&self) -> usize {
        self.waivers.len()
    }

    /// True when it holds none.
    pub fn is_empty(&self) -> bool {
        self.waivers.is_empty()
    }

    /// Record `decision` about `subject` (a finding of `kind`, at `path`,
    /// of `package`), replacing any earlier decision about the same id.
    /// Returns the replaced waiver.
    pub fn decide(
        &mut self,
        subject: Subject,
        kind: FindingKind,
        path: Option<Bytes>,
        package: Option<String>,
        decision: Decision,
    ) -> Option<Waiver> {
        self.written = unix_now().max(self.written);
        self.waivers.insert(
            subject.id,
            Waiver {
                id: subject.id,
                kind,
                path,
                package,
                expected: subject.expected,
                actual: subject.actual,
                decision,
            },
        )
    }

    /// [`WaiverFile::decide`] about `finding` as the scan reported it.
    pub fn decide_finding(&mut self, finding: &Finding, decision: Decision) -> Option<Waiver> {
        self.decide(
            Subject::of(finding),
            finding.kind,
            finding.path.clone(),
            finding.nevra(),
            decision,
        )
    }

    /// Forget the decision about `id`. Returns it.
    pub fn undo(&mut self, id: FindingId) -> Option<Waiver> {
        let gone = self.waivers.remove(&id);
        if gone.is_some() {
            self.written = unix_now().max(self.written);
        }
        gone
    }

    /// How the file answers for `subject` at `now` (seconds since the Unix
    /// epoch): see [`Match`].
    pub fn check(&self, subject: &Subject, now: u64) -> Match<'_> {
        match self.waivers.get(&subject.id) {
            Some(w) => w.check(subject, now),
            None => Match::None,
        }
    }

    /// [`WaiverFile::check`] for a finding (its [`Subject`] is only built
    /// when a waiver names its id).
    pub fn check_finding(&self, finding: &Finding, now: u64) -> Match<'_> {
        if !self.waivers.contains_key(&finding.id) {
            return Match::None;
        }
        self.check(&Subject::of(finding), now)
    }

    /// The decision that applies to `subject` at `now`: same id, same
    /// digests, not expired.
    pub fn lookup(&self, subject: &Subject, now: u64) -> Option<&Decision> {
        self.check(subject, now).decision()
    }

    /// The file as written and signed: pretty-printed JSON and a newline
    /// (see `docs/waivers.md`), waivers in id order.
    pub fn to_bytes(&self) -> Vec<u8> {
        let doc = FileJson {
            format: PURPOSE.to_owned(),
            version: VERSION,
            host: self.host.clone(),
            root: self.root.clone(),
            written: self.written,
            waivers: self.waivers.values().map(WaiverJson::from).collect(),
        };
        // Strings, numbers and sequences only: serialising cannot fail.
        let mut out = serde_json::to_vec_pretty(&doc).expect("a waiver file serialises");
        out.push(b'\n');
        out
    }

    /// Parse a waiver file's bytes (not verified: only
    /// [`WaiverFile::load_verified`] calls this, after the signature).
    fn from_bytes(data: &[u8]) -> Result<WaiverFile, serde_json::Error> {
        use serde::de::Error as _;
        let doc: FileJson = serde_json::from_slice(data)?;
        if doc.format != PURPOSE {
            return Err(serde_json::Error::custom(format!(
                "format is {:?}, not {PURPOSE:?}",
                doc.format
            )));
        }
        if doc.version != VERSION {
            return Err(serde_json::Error::custom(format!(
                "version {} is not one this build reads ({VERSION})",
                doc.version
            )));
        }
        let mut waivers = BTreeMap::new();
        for w in doc.waivers {
            let w = Waiver::try_from(w)?;
            let id = w.id;
            if waivers.insert(id, w).is_some() {
                return Err(serde_json::Error::custom(format!(
                    "two waivers for finding {id}"
                )));
            }
        }
        Ok(WaiverFile {
            host: doc.host,
            root: doc.root,
            written: doc.written,
            waivers,
            origin: None,
        })
    }
}

/// Seconds since the Unix epoch, now (0 if the clock is before it).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The file on disk.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileJson {
    format: String,
    version: u32,
    host: String,
    root: Bytes,
    written: u64,
    waivers: Vec<WaiverJson>,
}

/// One waiver on disk (flat: the decision's fields beside the subject's).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiverJson {
    id: String,
    kind: FindingKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<Bytes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    package: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    actual: Option<String>,
    verdict: Verdict,
    reason: String,
    at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires: Option<u64>,
}

impl From<&Waiver> for WaiverJson {
    fn from(w: &Waiver) -> WaiverJson {
        WaiverJson {
            id: w.id.to_string(),
            kind: w.kind,
            path: w.path.clone(),
            package: w.package.clone(),
            expected: w.expected.clone(),
            actual: w.actual.clone(),
            verdict: w.decision.verdict,
            reason: w.decision.reason.clone(),
            at: w.decision.at,
            expires: w.decision.expires,
        }
    }
}

impl TryFrom<WaiverJson> for Waiver {
    type Error = serde_json::Error;

    fn try_from(w: WaiverJson) -> Result<Waiver, serde_json::Error> {
        use serde::de::Error as _;
        let id = parse_id(&w.id).ok_or_else(|| {
            serde_json::Error::custom(format!("{:?} is not a finding id (16 hex digits)", w.id))
        })?;
        Ok(Waiver {
            id,
            kind: w.kind,
            path: w.path,
            package: w.package,
            expected: w.expected,
            actual: w.actual,
            decision: Decision {
                verdict: w.verdict,
                reason: w.reason,
                at: w.at,
                expires: w.expires,
            },
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{
        About, Digest, DigestAlgo, Evidence, FileAttrs, FileEvidence, Severity, Verify, VerifyAttrs,
    };

    /// A `file-changed` finding at `path` whose content digest went from
    /// `expected` to `actual`.
    pub(crate) fn changed(path: &str, expected: &[u8], actual: &[u8]) -> Finding {
        let digest = |v: &[u8]| {
            Some(Digest {
                algo: DigestAlgo::Sha256,
                value: v.to_vec(),
            })
        };
        Finding::new(
            FindingKind::FileChanged,
            Severity::High,
            About::path(path),
            Evidence::File(Box::new(FileEvidence {
                verify: Verify {
                    failed: VerifyAttrs::DIGEST,
                    unknown: VerifyAttrs::empty(),
                },
                flags: Default::default(),
                recorded_mode: 0o100644,
                found_mode: 0o100644,
                expected: FileAttrs {
                    digest: digest(expected),
                    ..FileAttrs::default()
                },
                actual: FileAttrs {
                    digest: digest(actual),
                    ..FileAttrs::default()
                },
                error: None,
                overruled: None,
            })),
        )
    }

    fn decision(verdict: Verdict, expires: Option<u64>) -> Decision {
        Decision {
            verdict,
            reason: "local edit".into(),
            at: 100,
            expires,
        }
    }

    #[test]
    fn a_waiver_applies_to_the_same_content_only() {
        let f = changed("/etc/x", b"old", b"new");
        let mut w = WaiverFile::new("h", "/");
        w.decide_finding(&f, decision(Verdict::Accepted, None));
        assert_eq!(
            w.lookup(&Subject::of(&f), 200),
            Some(&decision(Verdict::Accepted, None))
        );
        assert!(matches!(w.check_finding(&f, 200), Match::Applies(_)));

        // The file changed again: same id, another actual digest.
        let again = changed("/etc/x", b"old", b"newer");
        assert_eq!(again.id, f.id);
        assert_eq!(w.lookup(&Subject::of(&again), 200), None);
        assert!(matches!(w.check_finding(&again, 200), Match::Changed(_)));

        // A finding the waiver does not name.
        let other = changed("/etc/y", b"old", b"new");
        assert_eq!(w.check_finding(&other, 200), Match::None);

        // A waiver made without digests does not cover a finding with them.
        let mut bare = WaiverFile::new("h", "/");
        bare.decide(
            Subject {
                id: f.id,
                expected: None,
                actual: None,
            },
            f.kind,
            None,
            None,
            decision(Verdict::Accepted, None),
        );
        assert_eq!(bare.lookup(&Subject::of(&f), 200), None);
    }

    #[test]
    fn expired_waivers_do_not_apply() {
        let f = changed("/etc/x", b"old", b"new");
        let mut w = WaiverFile::new("h", "/");
        w.decide_finding(&f, decision(Verdict::Accepted, Some(300)));
        let s = Subject::of(&f);
        assert!(w.lookup(&s, 299).is_some());
        assert_eq!(w.lookup(&s, 300), None);
        assert!(matches!(w.check(&s, 301), Match::Expired(_)));
    }

    #[test]
    fn decide_replaces_and_undo_forgets() {
        let f = changed("/etc/x", b"old", b"new");
        let mut w = WaiverFile::new("h", "/");
        assert!(
            w.decide_finding(&f, decision(Verdict::Flagged, None))
                .is_none()
        );
        let old = w.decide_finding(&f, decision(Verdict::Accepted, None));
        assert_eq!(old.unwrap().decision.verdict, Verdict::Flagged);
        assert_eq!(w.len(), 1);
        let d = w.lookup(&Subject::of(&f), 0).unwrap();
        assert!(d.waives());
        assert!(w.undo(f.id).is_some());
        assert!(w.is_empty());
        assert!(w.undo(f.id).is_none());
    }

    #[test]
    fn bytes_round_trip_exactly() {
        let mut w = WaiverFile::new("h", &b"/mnt/\xffroot"[..]);
        w.decide_finding(
            &changed("/usr/bin/\x1b[2Jx", b"a", b"b"),
            decision(Verdict::Accepted, Some(9)),
        );
        let missing = Finding::new(
            FindingKind::FileMissing,
            Severity::Medium,
            About::path(&b"/opt/\xfe"[..]),
            Evidence::Missing {
                flags: Default::default(),
            },
        );
        w.decide_finding(&missing, decision(Verdict::Flagged, None));
        let bytes = w.to_bytes();
        let back = WaiverFile::from_bytes(&bytes).unwrap();
        assert_eq!(back, w);
        assert_eq!(back.to_bytes(), bytes);
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(json["format"], "rootaudit-waivers");
        assert_eq!(json["version"], 1);
        assert!(json["root"]["bytes"].is_string(), "{json}");
        let first = &json["waivers"][0];
        assert_eq!(first["id"].as_str().unwrap().len(), 16);
        assert!(first["verdict"].is_string(), "{json}");
    }

    #[test]
    fn malformed_files_are_refused() {
        let ok = WaiverFile::new("h", "/").to_bytes();
        let text = String::from_utf8(ok).unwrap();
        for bad in [
            text.replace("\"rootaudit-waivers\"", "\"rootaudit-report\""),
            text.replace("\"version\": 1", "\"version\": 2"),
            text.replace("\"host\"", "\"extra\": 1, \"host\""),
            text.replace(
                "\"waivers\": []",
                "\"waivers\": [{\"id\": \"xyz\", \"kind\": \"file-missing\", \
                 \"verdict\": \"accepted\", \"reason\": \"\", \"at\": 0}]",
            ),
            "not json".to_string(),
        ] {
            assert!(WaiverFile::from_bytes(bad.as_bytes()).is_err(), "{bad}");
        }
        let dup = text.replace(
            "\"waivers\": []",
            "\"waivers\": [{\"id\": \"0011223344556677\", \"kind\": \"file-missing\", \
             \"verdict\": \"accepted\", \"reason\": \"\", \"at\": 0}, \
             {\"id\": \"0011223344556677\", \"kind\": \"file-missing\", \
             \"verdict\": \"flagged\", \"reason\": \"\", \"at\": 0}]",
        );
        let e = WaiverFile::from_bytes(dup.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("two waivers"), "{e}");
    }
}
