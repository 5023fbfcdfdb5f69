//! Reading and bounding the history (history stage): the scans
//! ([`ScanRecord`]), a scan's findings ([`StoredFinding`]), the ids
//! `--new-only` compares with, the pair of scans `diff` compares, and
//! [`History::prune`].

use std::collections::HashMap;

use rusqlite::{Row, params};
use serde::Serialize;

use super::{History, HistoryError, Outcome, StateLock};
use crate::model::{Bytes, FindingKind, Severity, Verdict};

/// A scan's totals, from its end (absent when it never ended).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StoredSummary {
    /// Packages read.
    pub packages: u64,
    /// Files verified.
    pub files_checked: u64,
    /// Bytes hashed.
    pub bytes_hashed: u64,
    /// Findings the scan made.
    pub findings: u64,
}

/// How many findings a scan stored at each severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SeverityCounts {
    /// `critical`.
    pub critical: u64,
    /// `high`.
    pub high: u64,
    /// `medium`.
    pub medium: u64,
    /// `low`.
    pub low: u64,
    /// `info`.
    pub info: u64,
}

impl SeverityCounts {
    /// The count at `s`.
    pub fn get(&self, s: Severity) -> u64 {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    /// All findings.
    pub fn total(&self) -> u64 {
        self.critical + self.high + self.medium + self.low + self.info
    }
}

/// One scan of the history.
#[derive(Clone, Debug, Serialize)]
pub struct ScanRecord {
    /// Its number (what `history` shows and `diff` takes); never reused.
    pub number: i64,
    /// The scan's id, as in its report.
    pub scan_id: String,
    /// When it started (seconds since the Unix epoch).
    pub started: u64,
    /// When it ended (absent while `running`, or when killed).
    pub ended: Option<u64>,
    /// As stored (a `running` scan may have been killed: see
    /// [`StateLock::is_held`]).
    pub outcome: Outcome,
    /// Why it failed.
    pub error: Option<String>,
    /// The host.
    pub host: String,
    /// ROOT (raw).
    pub root: Bytes,
    /// rootaudit's version.
    pub tool_version: String,
    /// The options, a JSON object (text).
    pub options: String,
    /// The database format (absent when the scan never opened one). A
    /// name, not [`crate::pkgdb::DbFormat`]: formats are an open set.
    pub db_format: Option<String>,
    /// The database path inside the target.
    pub db_path: Option<Bytes>,
    /// Totals (absent when the scan never ended).
    pub summary: Option<StoredSummary>,
    /// Findings stored per severity (absent until it ended).
    pub severities: Option<SeverityCounts>,
    /// The most severe finding that counted.
    pub worst: Option<Severity>,
    /// The scan's own word on whether it finished.
    pub complete: Option<bool>,
    /// Findings stored with an `accepted` waiver.
    pub accepted: u64,
}

/// One stored finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFinding {
    /// The scan's number.
    pub scan: i64,
    /// Its place in the scan's order.
    pub seq: i64,
    /// The finding's id (16 hex digits).
    pub id: String,
    /// Its kind.
    pub kind: FindingKind,
    /// Its severity.
    pub severity: Severity,
    /// Its path inside the target (raw).
    pub path: Option<Bytes>,
    /// The package's name.
    pub package: Option<String>,
    /// A waiver's verdict.
    pub decision: Option<Verdict>,
    /// The finding's JSON, as the scan serialised it.
    pub json: String,
}

impl StoredFinding {
    /// The path's bytes (empty when none).
    pub fn path_bytes(&self) -> &[u8] {
        self.path.as_ref().map(Bytes::as_bytes).unwrap_or(b"")
    }

    /// The finding's JSON, parsed (`None` if it does not parse).
    pub fn value(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.json).ok()
    }
}

/// What a prune did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PruneOutcome {
    /// Scans deleted (with their findings).
    pub removed: u64,
    /// Scans left.
    pub kept: u64,
}

const SCAN_COLUMNS: &str = "number, scan_id, started, ended, outcome, error, host, root, \
    tool_version, options, db_format, db_path, packages, files_checked, bytes_hashed, findings, \
    critical, high, medium, low, info, worst, complete, \
    (SELECT count(*) FROM findings f WHERE f.scan = s.number AND f.decision = 'accepted')";

/// Raw values of a row, converted with [`HistoryError::Corrupt`] on
/// nonsense (SQLite's own type errors stay [`HistoryError::Sqlite`]).
struct Raw<'a> {
    history: &'a History,
    scan: i64,
}

impl Raw<'_> {
    fn corrupt(&self, column: &'static str, value: impl ToString) -> HistoryError {
        HistoryError::Corrupt {
            path: self.history.path.clone(),
            scan: self.scan,
            column,
            value: value.to_string(),
        }
    }

    fn count(&self, column: &'static str, v: Option<i64>) -> Result<Option<u64>, HistoryError> {
        v.map(|n| u64::try_from(n).map_err(|_| self.corrupt(column, n)))
            .transpose()
    }

    fn severity(&self, column: &'static str, v: &str) -> Result<Severity, HistoryError> {
        Severity::parse(v).ok_or_else(|| self.corrupt(column, v))
    }
}

/// A raw-bytes column (a path, ROOT): BLOB as written, or TEXT as a hand
/// edit with `sqlite3` would leave it.
fn bytes(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<Vec<u8>>> {
    use rusqlite::types::{FromSqlError, ValueRef};
    match r.get_ref(i)? {
        ValueRef::Null => Ok(None),
        ValueRef::Blob(b) | ValueRef::Text(b) => Ok(Some(b.to_vec())),
        other => Err(rusqlite::Error::FromSqlConversionFailure(
            i,
            other.data_type(),
            Box::new(FromSqlError::InvalidType),
        )),
    }
}

/// The columns of [`SCAN_COLUMNS`], unconverted.
struct ScanRow {
    number: i64,
    scan_id: String,
    started: i64,
    ended: Option<i64>,
    outcome: String,
    error: Option<String>,
    host: String,
    root: Option<Vec<u8>>,
    tool_version: String,
    options: String,
    db_format: Option<String>,
    db_path: Option<Vec<u8>>,
    /// packages, files_checked, bytes_hashed, findings, critical, high,
    /// medium, low, info.
    counts: [Option<i64>; 9],
    worst: Option<String>,
    complete: Option<bool>,
    accepted: i64,
}

const COUNT_NAMES: [&str; 9] = [
    "packages",
    "files_checked",
    "bytes_hashed",
    "findings",
    "critical",
    "high",
    "medium",
    "low",
    "info",
];

fn scan_row(r: &Row<'_>) -> rusqlite::Result<ScanRow> {
    let mut counts = [None; 9];
    for (i, slot) in counts.iter_mut().enumerate() {
        *slot = r.get(12 + i)?;
    }
    Ok(ScanRow {
        number: r.get(0)?,
        scan_id: r.get(1)?,
        started: r.get(2)?,
        ended: r.get(3)?,
        outcome: r.get(4)?,
        error: r.get(5)?,
        host: r.get(6)?,
        root: bytes(r, 7)?,
        tool_version: r.get(8)?,
        options: r.get(9)?,
        db_format: r.get(10)?,
        db_path: bytes(r, 11)?,
        counts,
        worst: r.get(21)?,
        complete: r.get(22)?,
        accepted: r.get(23)?,
    })
}

/// The columns of [`FINDING_COLUMNS`], unconverted.
struct FindingRaw {
    scan: i64,
    seq: i64,
    id: String,
    kind: String,
    severity: String,
    path: Option<Vec<u8>>,
    package: Option<String>,
    decision: Option<String>,
    json: String,
}

const FINDING_COLUMNS: &str = "scan, seq, id, kind, severity, path, package, decision, json";

fn finding_row(r: &Row<'_>) -> rusqlite::Result<FindingRaw> {
    Ok(FindingRaw {
        scan: r.get(0)?,
        seq: r.get(1)?,
        id: r.get(2)?,
        kind: r.get(3)?,
        severity: r.get(4)?,
        path: bytes(r, 5)?,
        package: r.get(6)?,
        decision: r.get(7)?,
        json: r.get(8)?,
    })
}

impl History {
    fn scan_record(&self, row: ScanRow) -> Result<ScanRecord, HistoryError> {
        let raw = Raw {
            history: self,
            scan: row.number,
        };
        let mut n = [None; 9];
        for (i, slot) in n.iter_mut().enumerate() {
            *slot = raw.count(COUNT_NAMES[i], row.counts[i])?;
        }
        let summary = match (n[0], n[1]) {
            (Some(packages), Some(files_checked)) => Some(StoredSummary {
                packages,
                files_checked,
                bytes_hashed: n[2].unwrap_or(0),
                findings: n[3].unwrap_or(0),
            }),
            _ => None,
        };
        let severities = n[4].map(|critical| SeverityCounts {
            critical,
            high: n[5].unwrap_or(0),
            medium: n[6].unwrap_or(0),
            low: n[7].unwrap_or(0),
            info: n[8].unwrap_or(0),
        });
        Ok(ScanRecord {
            number: row.number,
            started: raw.count("started", Some(row.started))?.unwrap_or(0),
            ended: raw.count("ended", row.ended)?,
            outcome: Outcome::parse(&row.outcome)
                .ok_or_else(|| raw.corrupt("outcome", &row.outcome))?,
            worst: row.worst.map(|w| raw.severity("worst", &w)).transpose()?,
            accepted: raw.count("accepted", Some(row.accepted))?.unwrap_or(0),
            scan_id: row.scan_id,
            error: row.error,
            host: row.host,
            root: Bytes(row.root.unwrap_or_default()),
            tool_version: row.tool_version,
            options: row.options,
            db_format: row.db_format,
            db_path: row.db_path.map(Bytes),
            summary,
            severities,
            complete: row.complete,
        })
    }

    fn scans_where(
        &self,
        clause: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<ScanRecord>, HistoryError> {
        let sql = format!("SELECT {SCAN_COLUMNS} FROM scans s {clause}");
        let rows: Vec<ScanRow> = self
            .conn
            .prepare(&sql)
            .and_then(|mut st| st.query_map(params, scan_row)?.collect())
            .map_err(self.err())?;
        rows.into_iter().map(|r| self.scan_record(r)).collect()
    }

    /// Every scan, oldest first.
    pub fn scans(&self) -> Result<Vec<ScanRecord>, HistoryError> {
        self.scans_where("ORDER BY number", [])
    }

    /// Scan number `number`.
    pub fn scan(&self, number: i64) -> Result<ScanRecord, HistoryError> {
        self.scans_where("WHERE number = ?1", [number])?
            .pop()
            .ok_or_else(|| HistoryError::NoSuchScan {
                path: self.path.clone(),
                number,
            })
    }

    /// The newest complete scan (of `root` when given, numbered below
    /// `before` when given).
    pub fn last_complete(
        &self,
        root: Option<&[u8]>,
        before: Option<i64>,
    ) -> Result<Option<ScanRecord>, HistoryError> {
        Ok(self
            .scans_where(
                "WHERE outcome = 'complete' AND (?1 IS NULL OR root = ?1) AND number < ?2 \
                 ORDER BY number DESC LIMIT 1",
                params![root, before.unwrap_or(i64::MAX)],
            )?
            .pop())
    }

    /// How many complete scans of `root` there are.
    pub fn complete_count(&self, root: &[u8]) -> Result<u64, HistoryError> {
        let n: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM scans WHERE outcome = 'complete' AND root = ?1",
                [root],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        Ok(n.max(0) as u64)
    }

    /// The findings of the newest complete scan of `root` numbered below
    /// `before`, by id, each as its JSON without the waiver `decision`
    /// ([`crate::scan::comparable`]): what `--new-only` leaves out when it is found
    /// again unchanged. `None` when there is no such scan.
    pub fn known_findings(
        &self,
        root: &[u8],
        before: i64,
    ) -> Result<Option<HashMap<String, serde_json::Value>>, HistoryError> {
        let Some(previous) = self.last_complete(Some(root), Some(before))? else {
            return Ok(None);
        };
        let rows: Vec<(String, String)> = self
            .conn
            .prepare("SELECT id, json FROM findings WHERE scan = ?1")
            .and_then(|mut st| {
                st.query_map([previous.number], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect()
            })
            .map_err(self.err())?;
        let mut known = HashMap::with_capacity(rows.len());
        for (id, json) in rows {
            let value = serde_json::from_str(&json).map_err(|_| HistoryError::Corrupt {
                path: self.path.clone(),
                scan: previous.number,
                column: "json",
                value: id.clone(),
            })?;
            known.insert(id, crate::scan::comparable(value));
        }
        Ok(Some(known))
    }

    /// The findings of scan `number`, in the order the scan made them.
    pub fn findings(&self, number: i64) -> Result<Vec<StoredFinding>, HistoryError> {
        let sql = format!("SELECT {FINDING_COLUMNS} FROM findings WHERE scan = ?1 ORDER BY seq");
        let rows: Vec<FindingRaw> = self
            .conn
            .prepare(&sql)
            .and_then(|mut st| st.query_map([number], finding_row)?.collect())
            .map_err(self.err())?;
        let raw = Raw {
            history: self,
            scan: number,
        };
        rows.into_iter()
            .map(|f| {
                Ok(StoredFinding {
                    scan: f.scan,
                    seq: f.seq,
                    kind: FindingKind::ALL
                        .iter()
                        .copied()
                        .find(|k| k.as_str() == f.kind)
                        .ok_or_else(|| raw.corrupt("findings.kind", &f.kind))?,
                    severity: raw.severity("findings.severity", &f.severity)?,
                    id: f.id,
                    path: f.path.map(Bytes),
                    package: f.package,
                    decision: match f.decision.as_deref() {
                        None => None,
                        Some("accepted") => Some(Verdict::Accepted),
                        Some("flagged") => Some(Verdict::Flagged),
                        Some(other) => return Err(raw.corrupt("findings.decision", other)),
                    },
                    json: f.json,
                })
            })
            .collect()
    }

    /// The two scans `diff` compares: `a` and `b` as given; `a` alone
    /// against the newest complete scan of its root; neither: the newest
    /// complete scan and the complete scan of the same root before it.
    pub fn pair(
        &self,
        a: Option<i64>,
        b: Option<i64>,
    ) -> Result<(ScanRecord, ScanRecord), HistoryError> {
        match (a, b) {
            (Some(a), Some(b)) => Ok((self.scan(a)?, self.scan(b)?)),
            (Some(a), None) | (None, Some(a)) => {
                let old = self.scan(a)?;
                match self.last_complete(Some(old.root.as_bytes()), None)? {
                    Some(new) => Ok((old, new)),
                    None => Err(HistoryError::NotEnoughScans {
                        path: self.path.clone(),
                        found: 0,
                    }),
                }
            }
            (None, None) => {
                let Some(new) = self.last_complete(None, None)? else {
                    return Err(HistoryError::NotEnoughScans {
                        path: self.path.clone(),
                        found: 0,
                    });
                };
                match self.last_complete(Some(new.root.as_bytes()), Some(new.number))? {
                    Some(old) => Ok((old, new)),
                    None => Err(HistoryError::NotEnoughScans {
                        path: self.path.clone(),
                        found: self.complete_count(new.root.as_bytes())?,
                    }),
                }
            }
        }
    }

    /// Keep the newest `keep` scans; delete the others and their findings,
    /// and give the space back (incremental vacuum, WAL truncated). Holds
    /// the lock: no scan is writing meanwhile.
    pub fn prune(&self, keep: u64, lock: &StateLock) -> Result<PruneOutcome, HistoryError> {
        self.mark_interrupted(lock)?;
        let err = self.err();
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        let tx = self.conn.unchecked_transaction().map_err(&err)?;
        let doomed = "SELECT number FROM scans ORDER BY number DESC LIMIT -1 OFFSET ?1";
        tx.execute(
            &format!("DELETE FROM findings WHERE scan IN ({doomed})"),
            [keep],
        )
        .map_err(&err)?;
        let removed = tx
            .execute(
                &format!("DELETE FROM scans WHERE number IN ({doomed})"),
                [keep],
            )
            .map_err(&err)?;
        let kept: i64 = tx
            .query_row("SELECT count(*) FROM scans", [], |r| r.get(0))
            .map_err(&err)?;
        tx.commit().map_err(&err)?;
        // Each step frees pages: run them all.
        for pragma in [
            "PRAGMA incremental_vacuum",
            "PRAGMA wal_checkpoint(TRUNCATE)",
        ] {
            self.conn
                .prepare(pragma)
                .and_then(|mut st| {
                    let mut rows = st.query([])?;
                    while rows.next()?.is_some() {}
                    Ok(())
                })
                .map_err(&err)?;
        }
        Ok(PruneOutcome {
            removed: removed as u64,
            kept: kept.max(0) as u64,
        })
    }
}
