//! What changed between two scans (history stage): [`diff`] pairs the
//! findings of an older and a newer scan by id.
//!
//! A finding whose id only the newer scan has *appeared*; one only the
//! older has was *resolved*; one both have with different JSON (another
//! verify string, severity, digest, waiver decision, …) *changed*. JSON is
//! compared as values, so key order does not matter. Ids are unique within
//! a scan in practice; when one repeats, identical findings are paired
//! first, then the rest in order, and the surplus appears or resolves.

use std::collections::BTreeMap;

use super::StoredFinding;

/// A finding present in both scans, with different content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// As the older scan stored it.
    pub before: StoredFinding,
    /// As the newer scan stored it.
    pub after: StoredFinding,
}

/// The difference between two scans' findings, each list in report order
/// (path, kind, id).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diff {
    /// Only in the newer scan.
    pub appeared: Vec<StoredFinding>,
    /// Only in the older scan.
    pub resolved: Vec<StoredFinding>,
    /// In both, different.
    pub changed: Vec<Change>,
}

impl Diff {
    /// True when the two scans found the same.
    pub fn is_empty(&self) -> bool {
        self.appeared.is_empty() && self.resolved.is_empty() && self.changed.is_empty()
    }
}

/// Two stored findings say the same (as JSON values; as text if either
/// does not parse).
fn same(a: &StoredFinding, b: &StoredFinding) -> bool {
    match (a.value(), b.value()) {
        (Some(x), Some(y)) => x == y,
        _ => a.json == b.json,
    }
}

/// The report order.
fn order(f: &StoredFinding) -> (&[u8], &str, &str) {
    (f.path_bytes(), f.kind.as_str(), f.id.as_str())
}

/// Compare the findings of an `older` and a `newer` scan.
pub fn diff(older: &[StoredFinding], newer: &[StoredFinding]) -> Diff {
    let mut by_id: BTreeMap<&str, (Vec<&StoredFinding>, Vec<&StoredFinding>)> = BTreeMap::new();
    for f in older {
        by_id.entry(&f.id).or_default().0.push(f);
    }
    for f in newer {
        by_id.entry(&f.id).or_default().1.push(f);
    }
    let mut d = Diff::default();
    for (_, (mut old, mut new)) in by_id {
        // Identical pairs first.
        old.retain(|o| match new.iter().position(|n| same(o, n)) {
            Some(i) => {
                new.remove(i);
                false
            }
            None => true,
        });
        let paired = old.len().min(new.len());
        for (o, n) in old.iter().zip(&new) {
            d.changed.push(Change {
                before: (*o).clone(),
                after: (*n).clone(),
            });
        }
        d.resolved
            .extend(old[paired..].iter().map(|f| (*f).clone()));
        d.appeared
            .extend(new[paired..].iter().map(|f| (*f).clone()));
    }
    d.appeared.sort_by(|a, b| order(a).cmp(&order(b)));
    d.resolved.sort_by(|a, b| order(a).cmp(&order(b)));
    d.changed
        .sort_by(|a, b| order(&a.after).cmp(&order(&b.after)));
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Bytes, FindingKind, Severity};

    fn f(scan: i64, id: &str, path: &str, json: &str) -> StoredFinding {
        StoredFinding {
            scan,
            seq: 0,
            id: id.into(),
            kind: FindingKind::FileChanged,
            severity: Severity::High,
            path: Some(Bytes::from(path)),
            package: None,
            decision: None,
            json: json.into(),
        }
    }

    #[test]
    fn appeared_resolved_changed_and_unchanged() {
        let older = vec![
            f(1, "aa", "/b", r#"{"id":"aa","verify":"S.5......"}"#),
            f(1, "bb", "/a", r#"{"id":"bb"}"#),
            f(1, "cc", "/c", r#"{"id":"cc","x":1,"y":2}"#),
        ];
        let newer = vec![
            f(2, "aa", "/b", r#"{"id":"aa","verify":"S.5....T."}"#),
            f(2, "cc", "/c", r#"{"y":2,"x":1,"id":"cc"}"#),
            f(2, "dd", "/d", r#"{"id":"dd"}"#),
        ];
        let d = diff(&older, &newer);
        assert_eq!(
            d.appeared.iter().map(|f| &f.id[..]).collect::<Vec<_>>(),
            ["dd"]
        );
        assert_eq!(
            d.resolved.iter().map(|f| &f.id[..]).collect::<Vec<_>>(),
            ["bb"]
        );
        assert_eq!(d.changed.len(), 1, "key order is not a change");
        assert_eq!(d.changed[0].before.scan, 1);
        assert_eq!(d.changed[0].after.scan, 2);
        assert_eq!(d.changed[0].after.id, "aa");
        assert!(!d.is_empty());
        assert!(diff(&newer, &newer).is_empty());
    }

    #[test]
    fn repeated_ids_pair_identical_findings_first() {
        let older = vec![f(1, "aa", "/x", "1"), f(1, "aa", "/x", "2")];
        let newer = vec![
            f(2, "aa", "/x", "2"),
            f(2, "aa", "/x", "3"),
            f(2, "aa", "/x", "4"),
        ];
        let d = diff(&older, &newer);
        assert_eq!(d.changed.len(), 1);
        assert_eq!(
            (&d.changed[0].before.json[..], &d.changed[0].after.json[..]),
            ("1", "3")
        );
        assert_eq!(d.appeared.len(), 1);
        assert_eq!(d.appeared[0].json, "4");
        assert!(d.resolved.is_empty());
    }

    #[test]
    fn report_order_is_by_path_then_kind() {
        let newer = vec![
            f(2, "03", "/z", "{}"),
            f(2, "01", "/a", "{}"),
            f(2, "02", "/m", "{}"),
        ];
        let d = diff(&[], &newer);
        let paths: Vec<_> = d.appeared.iter().map(|f| f.path_bytes().to_vec()).collect();
        assert_eq!(paths, [b"/a".to_vec(), b"/m".to_vec(), b"/z".to_vec()]);
    }
}
