//! The state file's schema (history stage): its versions, each as the SQL
//! that makes it from the one before, and [`prepare`], which brings any
//! older file up to [`VERSION`] on open.
//!
//! The version is SQLite's `PRAGMA user_version`; `PRAGMA application_id`
//! ([`APPLICATION_ID`]) marks the file as a rootaudit history, so that a
//! `--state` naming some other SQLite file (an rpm database!) is refused
//! instead of written to. A migration runs in one `BEGIN IMMEDIATE`
//! transaction that re-reads the version first: two processes opening an
//! old file at once migrate it once.
//!
//! * **Version 1**: `scans` (one row per scan: times, outcome, host, raw
//!   root, tool version, options as JSON, database, totals, counts per
//!   severity, worst, complete flag) and `findings` (per scan and
//!   sequence: id, kind, severity, raw path, package name, the finding's
//!   JSON). See [`V1`].
//! * **Version 2**: `findings.decision`, the verdict of a waiver attached to
//!   the finding (`accepted`, `flagged`, or NULL), backfilled from the
//!   stored JSON, so that `history` can count accepted findings without
//!   parsing every finding. See [`V2`].
//!
//! `docs/history.md` describes every column.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::HistoryError;

/// The schema version this code writes and reads.
pub const VERSION: i64 = 2;

/// `PRAGMA application_id` of a rootaudit history: `"RAhs"`.
pub const APPLICATION_ID: i32 = 0x5241_6873;

/// Version 1: scans and their findings.
pub const V1: &str = "
CREATE TABLE scans (
    number        INTEGER PRIMARY KEY AUTOINCREMENT,
    scan_id       TEXT NOT NULL UNIQUE,
    started       INTEGER NOT NULL,
    ended         INTEGER,
    outcome       TEXT NOT NULL DEFAULT 'running'
                  CHECK (outcome IN ('running', 'complete', 'interrupted', 'failed')),
    error         TEXT,
    host          TEXT NOT NULL,
    root          BLOB NOT NULL,
    tool_version  TEXT NOT NULL,
    options       TEXT NOT NULL,
    db_format     TEXT,
    db_path       BLOB,
    packages      INTEGER,
    files_checked INTEGER,
    bytes_hashed  INTEGER,
    findings      INTEGER,
    critical      INTEGER,
    high          INTEGER,
    medium        INTEGER,
    low           INTEGER,
    info          INTEGER,
    worst         TEXT,
    complete      INTEGER
);
CREATE INDEX scans_by_root ON scans (root, outcome, number);
CREATE TABLE findings (
    scan          INTEGER NOT NULL REFERENCES scans (number) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    id            TEXT NOT NULL,
    kind          TEXT NOT NULL,
    severity      TEXT NOT NULL,
    path          BLOB,
    package       TEXT,
    json          TEXT NOT NULL,
    PRIMARY KEY (scan, seq)
);
";

/// Version 2: the waiver verdict of each finding, as a column.
pub const V2: &str = "
ALTER TABLE findings ADD COLUMN decision TEXT
    CHECK (decision IS NULL OR decision IN ('accepted', 'flagged'));
UPDATE findings
    SET decision = CASE WHEN json_valid(json) THEN json_extract(json, '$.decision.verdict') END
    WHERE CASE WHEN json_valid(json) THEN json_extract(json, '$.decision.verdict') END
          IN ('accepted', 'flagged');
";

/// The steps: `STEPS[n]` makes version `n + 1` from version `n`.
const STEPS: &[&str] = &[V1, V2];

/// What a file holds, as [`check`] finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// An empty database (a new file).
    Fresh,
    /// A history of this older version: to be migrated.
    Old(i64),
    /// A history of [`VERSION`].
    Current,
}

/// `PRAGMA user_version`.
pub fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// What `conn` holds; refuses other programs' files and newer versions.
pub fn check(conn: &Connection, path: &Path) -> Result<State, HistoryError> {
    let err = super::sqlite(path);
    let version = user_version(conn).map_err(&err)?;
    let app: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(&err)?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(&err)?;
    if version == 0 && app == 0 && tables == 0 {
        return Ok(State::Fresh);
    }
    if app != APPLICATION_ID || version == 0 {
        return Err(HistoryError::NotHistory {
            path: path.to_path_buf(),
        });
    }
    if version > VERSION {
        return Err(HistoryError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported: VERSION,
        });
    }
    Ok(if version == VERSION {
        State::Current
    } else {
        State::Old(version)
    })
}

/// Bring a writable file to [`VERSION`]: a new file gets incremental
/// auto-vacuum (so that a prune can give space back) and WAL; an old one
/// is migrated step by step in one transaction.
pub fn prepare(conn: &mut Connection, path: &Path) -> Result<(), HistoryError> {
    migrate_to(conn, path, VERSION)
}

/// [`prepare`], stopping at version `target` (the tests make old files
/// with it).
pub fn migrate_to(conn: &mut Connection, path: &Path, target: i64) -> Result<(), HistoryError> {
    let err = super::sqlite(path);
    let state = check(conn, path)?;
    if state == State::Fresh {
        // Only possible before the first table exists.
        conn.execute_batch("PRAGMA auto_vacuum = INCREMENTAL")
            .map_err(&err)?;
    }
    // WAL is a property of the file: readers then never block the writer.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(&err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(HistoryError::Sqlite {
            path: path.to_path_buf(),
            source: rusqlite::Error::InvalidParameterName(format!(
                "journal_mode stays {mode} (WAL refused)"
            )),
        });
    }
    if state == State::Current {
        return Ok(());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(&err)?;
    // Another process may have migrated it while this one waited.
    let mut version = match check(&tx, path)? {
        State::Fresh => 0,
        State::Old(v) => v,
        State::Current => return Ok(()),
    };
    while version < target {
        tx.execute_batch(STEPS[version as usize]).map_err(&err)?;
        version += 1;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)
        .map_err(&err)?;
    tx.pragma_update(None, "user_version", version)
        .map_err(&err)?;
    tx.commit().map_err(&err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh(dir: &tempfile::TempDir) -> (Connection, std::path::PathBuf) {
        let path = dir.path().join("state.sqlite");
        (Connection::open(&path).unwrap(), path)
    }

    #[test]
    fn a_new_file_gets_every_version_wal_and_incremental_vacuum() {
        let dir = tempfile::tempdir().unwrap();
        let (mut c, path) = fresh(&dir);
        prepare(&mut c, &path).unwrap();
        assert_eq!(user_version(&c).unwrap(), VERSION);
        let app: i32 = c
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .unwrap();
        assert_eq!(app, APPLICATION_ID);
        let mode: String = c
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let vacuum: i64 = c.query_row("PRAGMA auto_vacuum", [], |r| r.get(0)).unwrap();
        assert_eq!(vacuum, 2, "incremental");
        // Idempotent.
        prepare(&mut c, &path).unwrap();
        assert_eq!(user_version(&c).unwrap(), VERSION);
    }

    /// A version-1 file with a finding accepted by a waiver migrates to
    /// version 2: its rows stay, and `decision` is backfilled from JSON.
    #[test]
    fn version_1_migrates_to_2_and_backfills_decisions() {
        let dir = tempfile::tempdir().unwrap();
        let (mut c, path) = fresh(&dir);
        migrate_to(&mut c, &path, 1).unwrap();
        assert_eq!(user_version(&c).unwrap(), 1);
        c.execute_batch(
            "INSERT INTO scans (scan_id, started, outcome, host, root, tool_version, options)
                 VALUES ('00000000000000aa', 1, 'complete', 'h', x'2f', '0.1.0', '{}');
             INSERT INTO findings VALUES (1, 0, '0011223344556677', 'file-changed', 'high',
                 x'2f61', 'a', '{\"id\":\"0011223344556677\",\"decision\":{\"verdict\":\"accepted\",\"reason\":\"r\",\"at\":1}}');
             INSERT INTO findings VALUES (1, 1, '8899aabbccddeeff', 'file-missing', 'medium',
                 x'2f62', 'b', '{\"id\":\"8899aabbccddeeff\"}');
             INSERT INTO findings VALUES (1, 2, '8899aabbccddeef0', 'file-missing', 'medium',
                 x'2f63', 'b', 'not json');",
        )
        .unwrap();
        drop(c);
        let mut c = Connection::open(&path).unwrap();
        assert_eq!(check(&c, &path).unwrap(), State::Old(1));
        prepare(&mut c, &path).unwrap();
        assert_eq!(user_version(&c).unwrap(), 2);
        let rows: Vec<(String, Option<String>)> = c
            .prepare("SELECT id, decision FROM findings ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            vec![
                ("0011223344556677".into(), Some("accepted".into())),
                ("8899aabbccddeeff".into(), None),
                ("8899aabbccddeef0".into(), None),
            ]
        );
    }

    #[test]
    fn another_programs_database_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let (mut c, path) = fresh(&dir);
        c.execute_batch("CREATE TABLE Packages (hnum INTEGER, blob BLOB)")
            .unwrap();
        let e = prepare(&mut c, &path).unwrap_err();
        assert!(matches!(e, HistoryError::NotHistory { .. }), "{e}");
        let n: i64 = c
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1, "nothing was added");
        assert_eq!(user_version(&c).unwrap(), 0);
    }

    #[test]
    fn a_newer_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (mut c, path) = fresh(&dir);
        prepare(&mut c, &path).unwrap();
        c.pragma_update(None, "user_version", VERSION + 1).unwrap();
        let e = prepare(&mut c, &path).unwrap_err();
        assert!(
            matches!(e, HistoryError::NewerSchema { found, supported, .. }
                if found == VERSION + 1 && supported == VERSION),
            "{e}"
        );
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        std::fs::write(&path, vec![0x5a; 8192]).unwrap();
        let mut c = Connection::open(&path).unwrap();
        let e = prepare(&mut c, &path).unwrap_err();
        assert!(matches!(e, HistoryError::Sqlite { .. }), "{e}");
        assert!(e.to_string().contains("state file"), "{e}");
    }
}
