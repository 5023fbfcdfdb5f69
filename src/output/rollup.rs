//! Per-tree summaries, as presentation: the checks report every unowned
//! file and every unregistered-but-consistent pyc; a report for people
//! (text, the JSON document) shows one `info` finding per kind and tree
//! instead, with a count and the first few paths, unless asked to list
//! them (`--verbose`). The TUI groups them itself.

use std::collections::BTreeMap;

use crate::model::{About, Bytes, Evidence, Finding, FindingKind, Rollup, Severity};
use crate::scan::ScanInfo;

/// How many example paths a summary names.
pub const EXAMPLES: usize = 3;

/// Collects summarisable findings; passes the rest through.
#[derive(Debug, Default)]
pub struct Rollups {
    groups: BTreeMap<(FindingKind, Bytes), Group>,
}

#[derive(Debug)]
struct Group {
    count: u64,
    severity: Severity,
    examples: Vec<Bytes>,
}

/// True for the kinds reports summarise per tree.
pub fn summarised(kind: FindingKind) -> bool {
    matches!(
        kind,
        FindingKind::UnownedFile | FindingKind::BytecodeUnregistered
    )
}

impl Rollups {
    /// Count `f` into its summary when it is of a summarised kind (returns
    /// true); otherwise leave it to the caller (false). Nothing of `f` is
    /// copied but its tree, once per summary, and a path that is among the
    /// first few.
    pub fn offer(&mut self, f: &Finding) -> bool {
        let tree = match (summarised(f.kind), f.evidence.tree()) {
            (true, Some(t)) => t,
            _ => return false,
        };
        let key = (f.kind, tree.clone());
        let g = self.groups.entry(key).or_insert(Group {
            count: 0,
            severity: f.severity,
            examples: Vec::new(),
        });
        g.count += 1;
        g.severity = g.severity.max(f.severity);
        // Keep the first paths in sorted order, whatever order they came in.
        let path = f.path_bytes();
        let at = g.examples.partition_point(|e| e.as_bytes() < path);
        if at < EXAMPLES {
            g.examples.insert(at, Bytes::from(path));
            g.examples.truncate(EXAMPLES);
        }
        true
    }

    /// The summaries: one finding per kind and tree.
    pub fn finish(self) -> Vec<Finding> {
        self.groups
            .into_iter()
            .map(|((kind, tree), g)| {
                Finding::new(
                    kind,
                    g.severity,
                    About::path(tree),
                    Evidence::Rollup(Rollup {
                        count: g.count,
                        examples: g.examples,
                    }),
                )
            })
            .collect()
    }
}

/// What a report for people (text, the JSON document) keeps while the
/// scan runs: the scan's description and its findings, summarised per tree
/// unless `verbose`; sorted when the scan is over.
#[derive(Debug, Default)]
pub struct Gathered {
    verbose: bool,
    info: Option<ScanInfo>,
    findings: Vec<Finding>,
    rollups: Rollups,
}

impl Gathered {
    /// Gather; `verbose` lists summarisable findings one by one.
    pub fn new(verbose: bool) -> Gathered {
        Gathered {
            verbose,
            ..Gathered::default()
        }
    }

    /// The scan began.
    pub fn begin(&mut self, info: &ScanInfo) {
        self.info = Some(info.clone());
    }

    /// One more finding (one that carries a person's decision is listed
    /// on its own, so the decision shows).
    pub fn finding(&mut self, f: &Finding) {
        if self.verbose || f.decision.is_some() || !self.rollups.offer(f) {
            self.findings.push(f.clone());
        }
    }

    /// The scan's description (`None` if it never began) and every
    /// finding, summaries included, in report order.
    pub fn finish(&mut self) -> Option<(&ScanInfo, Vec<Finding>)> {
        let mut findings = std::mem::take(&mut self.findings);
        findings.extend(std::mem::take(&mut self.rollups).finish());
        super::sort_findings(&mut findings);
        Some((self.info.as_ref()?, findings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{UnownedEvidence, UnownedWhat};

    fn unowned(path: &str, tree: &str) -> Finding {
        Finding::new(
            FindingKind::UnownedFile,
            Severity::Info,
            About::path(path),
            Evidence::Unowned(Box::new(UnownedEvidence {
                what: UnownedWhat::File,
                tree: Bytes::from(tree),
                actual: Default::default(),
            })),
        )
    }

    #[test]
    fn one_summary_per_tree_with_sorted_examples() {
        let mut r = Rollups::default();
        for p in [
            "/usr/share/d",
            "/usr/share/a",
            "/usr/share/c",
            "/usr/share/b",
        ] {
            assert!(r.offer(&unowned(p, "/usr/share")));
        }
        assert!(r.offer(&unowned("/boot/x", "/boot")));
        let setuid = Finding::new(
            FindingKind::UnownedSetuid,
            Severity::Critical,
            About::path("/usr/bin/x"),
            Evidence::Missing {
                flags: Default::default(),
            },
        );
        assert!(!r.offer(&setuid), "other kinds pass through");
        let out = r.finish();
        assert_eq!(out.len(), 2);
        let share = out
            .iter()
            .find(|f| f.path_bytes() == b"/usr/share")
            .unwrap();
        let Evidence::Rollup(roll) = &share.evidence else {
            panic!("{share:?}")
        };
        assert_eq!(roll.count, 4);
        assert_eq!(
            roll.examples,
            ["/usr/share/a", "/usr/share/b", "/usr/share/c"]
        );
        let msg = String::from_utf8(share.message()).unwrap();
        assert!(
            msg.starts_with("4 files under /usr/share that no package owns (e.g. /usr/share/a"),
            "{msg}"
        );
        // The id is the schema-1 summary's: kind, empty scope, the tree.
        assert_eq!(
            share.id,
            crate::model::FindingId::derive(FindingKind::UnownedFile, b"", b"/usr/share")
        );
    }
}
