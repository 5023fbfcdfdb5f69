//! Recording one scan (history stage): [`Recorder`] on the thread that
//! owns the state file, [`HistorySink`] on the scan's thread, an
//! [`Event`] channel between them.
//!
//! The scan's thread is confined (Landlock forbids opening files for
//! writing), so the sink does no I/O: it makes owned copies (a finding's
//! columns and its JSON) and sends them over a bounded channel. A send
//! that fails (the recorder is gone) is ignored: the history is never a
//! reason to abort an audit; [`Recorder::record`] reports its own errors.

use std::collections::HashMap;
use std::io;

use crossbeam_channel::{Receiver, Sender};
use rusqlite::params;

use super::{History, HistoryError, Outcome, StateLock, sqlite, unix_now};
use crate::model::{Bytes, Finding, FindingKind, Severity, Verdict};
use crate::scan::{ReportSink, ScanEnd, ScanInfo};

/// How many events may wait for the recorder before the scan waits.
const CHANNEL: usize = 1024;

/// What a scan's row says before the scan starts.
#[derive(Clone, Debug)]
pub struct ScanStart {
    /// The scan's id (16 hex digits, as in the report).
    pub scan_id: String,
    /// When it started (seconds since the Unix epoch).
    pub started: u64,
    /// The host it runs on.
    pub host: String,
    /// ROOT (raw; the front end decides whether canonical).
    pub root: Bytes,
    /// rootaudit's version.
    pub tool_version: String,
    /// The options that shape the result, as a JSON object (text).
    pub options: String,
}

impl ScanStart {
    /// A start now, with this crate's version.
    pub fn now(
        scan_id: &str,
        host: &str,
        root: impl Into<Bytes>,
        options: impl Into<String>,
    ) -> ScanStart {
        ScanStart {
            scan_id: scan_id.to_string(),
            started: unix_now(),
            host: host.to_string(),
            root: root.into(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            options: options.into(),
        }
    }
}

/// A finding as stored: its columns and its whole JSON.
#[derive(Clone, Debug)]
pub struct FindingRow {
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
    /// A waiver's verdict on it.
    pub decision: Option<Verdict>,
    /// `serde_json::to_string(&finding)`: every fact, raw bytes included.
    pub json: String,
}

impl FindingRow {
    /// The row of `finding`.
    pub fn of(finding: &Finding) -> Result<FindingRow, HistoryError> {
        let json = serde_json::to_string(finding).map_err(|source| HistoryError::Serialize {
            id: finding.id.to_string(),
            source,
        })?;
        Ok(FindingRow {
            id: finding.id.to_string(),
            kind: finding.kind,
            severity: finding.severity,
            path: finding.path.clone(),
            package: finding.package.as_ref().map(|p| p.name.clone()),
            decision: finding.decision.as_ref().map(|d| d.verdict),
            json,
        })
    }
}

/// What the sink sends the recorder.
#[derive(Debug)]
pub enum Event {
    /// The scan began: the database it reads.
    Begin {
        /// Its format's name.
        db_format: String,
        /// Its path inside the target.
        db_path: Bytes,
    },
    /// One finding.
    Finding(Box<FindingRow>),
    /// A finding that could not be made into a row.
    Unstorable(HistoryError),
    /// The scan's end: totals.
    End {
        /// Packages read.
        packages: u64,
        /// Files verified.
        files_checked: u64,
        /// Bytes hashed.
        bytes_hashed: u64,
        /// Findings made.
        findings: u64,
        /// The most severe finding that counts.
        worst: Option<Severity>,
        /// Whether the scan finished.
        complete: bool,
    },
}

/// The sink a recorded scan reports to: sends owned copies to the
/// [`Recorder`], does no I/O, never fails.
#[derive(Debug)]
pub struct HistorySink {
    tx: Sender<Event>,
}

impl HistorySink {
    fn send(&self, event: Event) {
        // The recorder gone is the recorder's error to report.
        let _ = self.tx.send(event);
    }
}

impl ReportSink for HistorySink {
    fn begin(&mut self, info: &ScanInfo) -> io::Result<()> {
        self.send(Event::Begin {
            db_format: info.database.format.as_str().to_string(),
            db_path: info.database.path.clone(),
        });
        Ok(())
    }

    fn finding(&mut self, finding: &Finding) -> io::Result<()> {
        self.send(match FindingRow::of(finding) {
            Ok(row) => Event::Finding(Box::new(row)),
            Err(e) => Event::Unstorable(e),
        });
        Ok(())
    }

    fn finish(&mut self, end: &ScanEnd) -> io::Result<()> {
        self.send(Event::End {
            packages: end.summary.packages,
            files_checked: end.summary.files_checked,
            bytes_hashed: end.summary.bytes_hashed,
            findings: end.summary.findings,
            worst: end.worst,
            complete: end.complete,
        });
        Ok(())
    }
}

/// One scan being recorded. Holds the lock until it is finished or
/// dropped.
///
/// Order of calls: [`Recorder::start`] (commits the `running` row),
/// [`Recorder::known_ids`] if wanted, [`Recorder::sink`] (hand it to the
/// scan), [`Recorder::record`] on this thread while the scan runs (it must
/// run: the channel is bounded), [`Recorder::finish`].
pub struct Recorder {
    history: History,
    _lock: StateLock,
    number: i64,
    tx: Option<Sender<Event>>,
    rx: Receiver<Event>,
    /// A write transaction is open (findings pending until `finish`).
    open: bool,
    next_seq: i64,
    severities: [u64; 5],
    root: Bytes,
    /// Why recording failed (for `finish`), once it has.
    failed: Option<String>,
    finished: bool,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("history", &self.history)
            .field("number", &self.number)
            .finish()
    }
}

impl Recorder {
    /// Begin recording a scan: with the lock held, mark scans left
    /// `running` by killed runs `interrupted`, then commit this scan's row
    /// as `running` (the heartbeat: it is there even if the scan then
    /// fails or is killed).
    pub fn start(
        history: History,
        lock: StateLock,
        start: &ScanStart,
    ) -> Result<Recorder, HistoryError> {
        history.mark_interrupted(&lock)?;
        let started = i64::try_from(start.started).unwrap_or(i64::MAX);
        history
            .conn
            .execute(
                "INSERT INTO scans (scan_id, started, outcome, host, root, tool_version, options)
                 VALUES (?1, ?2, 'running', ?3, ?4, ?5, ?6)",
                params![
                    start.scan_id,
                    started,
                    start.host,
                    start.root.as_bytes(),
                    start.tool_version,
                    start.options
                ],
            )
            .map_err(history.err())?;
        let number = history.conn.last_insert_rowid();
        let (tx, rx) = crossbeam_channel::bounded(CHANNEL);
        Ok(Recorder {
            history,
            _lock: lock,
            number,
            tx: Some(tx),
            rx,
            open: false,
            next_seq: 0,
            severities: [0; 5],
            root: start.root.clone(),
            failed: None,
            finished: false,
        })
    }

    /// This scan's number in the history.
    pub fn number(&self) -> i64 {
        self.number
    }

    /// The findings of the previous complete scan of the same root (see
    /// [`History::known_findings`]), or `None` when there is none.
    pub fn known_findings(
        &self,
    ) -> Result<Option<HashMap<String, serde_json::Value>>, HistoryError> {
        self.history
            .known_findings(self.root.as_bytes(), self.number)
    }

    /// The sink to hand the scan. Call it once: a second sink is not
    /// connected (what it gets is dropped).
    pub fn sink(&mut self) -> HistorySink {
        let tx = self
            .tx
            .take()
            .unwrap_or_else(|| crossbeam_channel::bounded(0).0);
        HistorySink { tx }
    }

    /// Store what the sink sends until the scan drops it, in one write
    /// transaction that [`Recorder::finish`] commits. On a write error it
    /// keeps draining the channel (the scan must not block on it), drops
    /// what it had, and returns the error (also recorded by `finish`).
    pub fn record(&mut self) -> Result<(), HistoryError> {
        // Without a sink handed out, nothing will come.
        self.tx = None;
        let mut error = None;
        while let Ok(event) = self.rx.recv() {
            if self.failed.is_some() {
                continue;
            }
            if let Err(e) = self.apply(event) {
                self.rollback();
                self.failed = Some(e.to_string());
                error = Some(e);
            }
        }
        error.map_or(Ok(()), Err)
    }

    fn begin_write(&mut self) -> Result<(), HistoryError> {
        if !self.open {
            self.history
                .conn
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(self.history.err())?;
            self.open = true;
        }
        Ok(())
    }

    fn rollback(&mut self) {
        if self.open {
            let _ = self.history.conn.execute_batch("ROLLBACK");
            self.open = false;
        }
    }

    fn apply(&mut self, event: Event) -> Result<(), HistoryError> {
        self.begin_write()?;
        let conn = &self.history.conn;
        let err = sqlite(&self.history.path);
        match event {
            Event::Begin { db_format, db_path } => {
                conn.execute(
                    "UPDATE scans SET db_format = ?1, db_path = ?2 WHERE number = ?3",
                    params![db_format, db_path.as_bytes(), self.number],
                )
                .map_err(err)?;
            }
            Event::Finding(row) => {
                conn.prepare_cached(
                    "INSERT INTO findings
                         (scan, seq, id, kind, severity, path, package, json, decision)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        self.number,
                        self.next_seq,
                        row.id,
                        row.kind.as_str(),
                        row.severity.as_str(),
                        row.path.as_ref().map(Bytes::as_bytes),
                        row.package,
                        row.json,
                        row.decision.map(Verdict::as_str),
                    ])
                })
                .map_err(err)?;
                self.next_seq += 1;
                self.severities[slot(row.severity)] += 1;
            }
            Event::Unstorable(e) => return Err(e),
            Event::End {
                packages,
                files_checked,
                bytes_hashed,
                findings,
                worst,
                complete,
            } => {
                conn.execute(
                    "UPDATE scans SET packages = ?1, files_checked = ?2, bytes_hashed = ?3,
                         findings = ?4, worst = ?5, complete = ?6
                     WHERE number = ?7",
                    params![
                        sql_int(packages),
                        sql_int(files_checked),
                        sql_int(bytes_hashed),
                        sql_int(findings),
                        worst.map(Severity::as_str),
                        complete,
                        self.number
                    ],
                )
                .map_err(err)?;
            }
        }
        Ok(())
    }

    /// Close the scan's row: its end time, `outcome` and (for `failed`)
    /// `error`, and the counts per severity of the findings stored; commit
    /// with the findings. If recording failed, the findings are dropped
    /// and the scan is `failed` with that error.
    pub fn finish(mut self, outcome: Outcome, error: Option<&str>) -> Result<(), HistoryError> {
        self.finished = true;
        let (outcome, error) = match &self.failed {
            None => (outcome, error.map(str::to_string)),
            Some(e) => {
                let mine = format!("recording the history: {e}");
                let text = match error {
                    Some(scan) => format!("{scan}; {mine}"),
                    None => mine,
                };
                (Outcome::Failed, Some(text))
            }
        };
        if self.failed.is_some() {
            self.severities = [0; 5];
        }
        self.close(outcome, error.as_deref())
    }

    fn close(&mut self, outcome: Outcome, error: Option<&str>) -> Result<(), HistoryError> {
        let result = self.begin_write().and_then(|()| {
            let s = self.severities.map(sql_int);
            self.history
                .conn
                .execute(
                    "UPDATE scans SET ended = ?1, outcome = ?2, error = ?3,
                         info = ?4, low = ?5, medium = ?6, high = ?7, critical = ?8
                     WHERE number = ?9",
                    params![
                        sql_int(unix_now()),
                        outcome.as_str(),
                        error,
                        s[0],
                        s[1],
                        s[2],
                        s[3],
                        s[4],
                        self.number
                    ],
                )
                .map_err(self.history.err())?;
            self.history
                .conn
                .execute_batch("COMMIT")
                .map_err(self.history.err())?;
            self.open = false;
            Ok(())
        });
        if result.is_err() {
            self.rollback();
        }
        result
    }
}

impl Drop for Recorder {
    /// Never finished (the front end stopped on an error of its own): the
    /// scan did not complete; say so rather than leave it `running`.
    fn drop(&mut self) {
        if !self.finished {
            self.rollback();
            self.severities = [0; 5];
            let _ = self.close(
                Outcome::Failed,
                Some("rootaudit stopped before the scan's outcome was known"),
            );
        }
    }
}

/// The place of a severity in [`Recorder`]'s counts: info … critical.
fn slot(s: Severity) -> usize {
    match s {
        Severity::Info => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

/// An integer for SQLite (which stores signed 64-bit integers).
fn sql_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
