//! [`Subject`]: what a waiver is about — a finding's id and, when the
//! finding has them, the content digests it was made with — built from a
//! [`Finding`] or from a finding of a saved JSON report.

use crate::model::{Evidence, FileAttrs, Finding, FindingId};

/// What a waiver matches: a finding's [`FindingId`] plus the expected and
/// actual content digests when the finding has them, as the JSON report
/// prints them (`algo:hex`; the empty string for a digest the package did
/// not record). A file that changes again gets a new actual digest, so it
/// is a new subject: the old waiver no longer applies to it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Subject {
    /// The finding's id.
    pub id: FindingId,
    /// The digest the package records (`expected.digest`), if the finding
    /// has one.
    pub expected: Option<String>,
    /// The digest found on disk (`actual.digest`), if the finding has one.
    pub actual: Option<String>,
}

impl Subject {
    /// The subject of `finding`: its id, and the `expected`/`actual`
    /// digests of its evidence (file findings; others have none).
    pub fn of(finding: &Finding) -> Subject {
        let (expected, actual) = attrs(&finding.evidence);
        let digest =
            |a: Option<&FileAttrs>| a.and_then(|a| a.digest.as_ref()).map(|d| d.to_string());
        Subject {
            id: finding.id,
            expected: digest(expected),
            actual: digest(actual),
        }
    }

    /// The subject of a finding of a saved JSON report (its `id`, and its
    /// `expected.digest` and `actual.digest` when present); `None` when it
    /// has no valid `id`.
    pub fn from_json(finding: &serde_json::Value) -> Option<Subject> {
        let id = parse_id(finding.get("id")?.as_str()?)?;
        let digest = |side: &str| {
            finding
                .get(side)
                .and_then(|s| s.get("digest"))
                .and_then(|d| d.as_str())
                .map(str::to_owned)
        };
        Some(Subject {
            id,
            expected: digest("expected"),
            actual: digest("actual"),
        })
    }
}

/// The attributes behind the `expected` and `actual` fields of a
/// finding's JSON, where its evidence has them.
fn attrs(e: &Evidence) -> (Option<&FileAttrs>, Option<&FileAttrs>) {
    match e {
        Evidence::File(f) => (Some(&f.expected), Some(&f.actual)),
        Evidence::Unowned(u) => (None, Some(&u.actual)),
        _ => (None, None),
    }
}

/// A finding id from its 16 hex digits (as reports and waiver files write
/// it).
pub fn parse_id(text: &str) -> Option<FindingId> {
    if text.len() != 16 {
        return None;
    }
    let mut id = [0u8; 8];
    hex::decode_to_slice(text, &mut id).ok()?;
    Some(FindingId(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{About, FindingKind, Severity};
    use crate::waiver::tests::changed;

    #[test]
    fn subject_of_a_finding_and_of_its_json_agree() {
        let f = changed("/usr/bin/x", &[0xab; 4], &[0xcd; 4]);
        let s = Subject::of(&f);
        assert_eq!(s.expected.as_deref(), Some("sha256:abababab"));
        assert_eq!(s.actual.as_deref(), Some("sha256:cdcdcdcd"));
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(Subject::from_json(&json), Some(s));

        let missing = Finding::new(
            FindingKind::FileMissing,
            Severity::Medium,
            About::path("/usr/bin/y"),
            Evidence::Missing {
                flags: Default::default(),
            },
        );
        let s = Subject::of(&missing);
        assert_eq!((s.expected.as_deref(), s.actual.as_deref()), (None, None));
        let json = serde_json::to_value(&missing).unwrap();
        assert_eq!(Subject::from_json(&json), Some(s));
    }

    #[test]
    fn ids_parse_from_hex() {
        let id = FindingId([0x62, 0xa7, 0x84, 0x3a, 0x5a, 0x1a, 0x9e, 0x34]);
        assert_eq!(parse_id("62a7843a5a1a9e34"), Some(id));
        assert_eq!(parse_id(&id.to_string()), Some(id));
        assert_eq!(parse_id("62a7843a5a1a9e3"), None);
        assert_eq!(parse_id("62a7843a5a1a9e3g"), None);
    }
}
