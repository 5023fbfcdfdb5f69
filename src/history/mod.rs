//! The scan history (a sink stage, beside `output`): every scan of a
//! scheduled run recorded in one SQLite state file, so that the next run
//! can tell what is *new*, a person can see what changed between two
//! nights, and a monitoring probe can notice that scans stopped.
//!
//! * [`History`] is the open state file: schema-versioned and migrated on
//!   open ([`schema`], `PRAGMA user_version`), WAL, so that a reader sees a
//!   consistent state while a scan writes and never waits for it.
//! * [`StateLock`] is the `flock` on `STATE.lock` beside it: one scan (or
//!   one prune) at a time.
//! * [`Recorder`] records one scan: its row is committed as `running` before
//!   the scan starts (a heartbeat), the [`HistorySink`] it hands out runs on
//!   the scan's thread and only sends owned copies over a channel (that
//!   thread is confined and opens nothing for writing), and
//!   [`Recorder::record`] writes every finding in one transaction, which
//!   [`Recorder::finish`] commits together with the scan's outcome. A scan
//!   killed meanwhile leaves no findings and a `running` row that the next
//!   writer marks `interrupted`.
//! * Readers: [`History::scans`], [`History::findings`],
//!   [`History::known_findings`], [`History::prune`], and [`diff()`] between two
//!   scans' findings.
//!
//! Findings are stored losslessly: their columns (id, kind, severity, raw
//! path, package) for queries, and the finding's whole JSON (the model's
//! serialisation, raw bytes included) as the evidence. Nothing here
//! formats for a terminal.
//!
//! ```no_run
//! use rootaudit::history::{History, Outcome, Recorder, ScanStart, StateLock};
//! use rootaudit::scan::{CheckSet, ScanBuilder};
//! let state = std::path::Path::new("/var/lib/rootaudit/state.sqlite");
//! let lock = StateLock::acquire(state, false)?;
//! let history = History::open(state)?;
//! let start = ScanStart::now("0123456789abcdef", "web1", "/", "{}");
//! let mut recorder = Recorder::start(history, lock, &start)?;
//! let mut sink = recorder.sink();
//! let scan = std::thread::spawn(move || {
//!     ScanBuilder::new("/").checks(CheckSet::all()).run_with(&mut sink)
//! });
//! recorder.record()?;
//! let outcome = match scan.join().expect("scan thread") {
//!     Ok(end) if end.complete => Outcome::Complete,
//!     Ok(_) => Outcome::Interrupted,
//!     Err(_) => Outcome::Failed,
//! };
//! recorder.finish(outcome, None)?;
//! # Ok::<(), rootaudit::history::HistoryError>(())
//! ```

mod age;
mod diff;
mod lock;
mod query;
mod record;
pub mod schema;

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use age::{AgeError, parse_age};
pub use diff::{Change, Diff, diff};
pub use lock::StateLock;
pub use query::{PruneOutcome, ScanRecord, SeverityCounts, StoredFinding, StoredSummary};
pub use record::{Event, FindingRow, HistorySink, Recorder, ScanStart};

/// How long a connection waits for another writer (a migration, a prune)
/// before giving up. Scans never wait on each other here: the
/// [`StateLock`] decides first.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the history could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// SQLite refused an operation on the state file (unreadable, not a
    /// database, damaged, disk full, …).
    #[error("state file {path}: {source}")]
    Sqlite {
        /// The state file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A file beside the state (the state itself, its folder, its lock)
    /// could not be created or opened.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// There is no state file (readers never create one).
    #[error("no history at {path}")]
    Missing {
        /// The state file looked for.
        path: PathBuf,
    },
    /// Another scan (or prune) holds the lock.
    #[error("another rootaudit scan is running (lock {lock} held)")]
    Locked {
        /// The lock file.
        lock: PathBuf,
    },
    /// The file is an SQLite database, but not a rootaudit history (another
    /// program's application id, or tables of its own): never written to.
    #[error("{path} is not a rootaudit history (an SQLite file of another program)")]
    NotHistory {
        /// The file.
        path: PathBuf,
    },
    /// The file was written by a newer rootaudit.
    #[error(
        "state file {path} has schema version {found}; this rootaudit knows up to {supported} \
         (written by a newer rootaudit?)"
    )]
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// Its `user_version`.
        found: i64,
        /// The newest version this code knows ([`schema::VERSION`]).
        supported: i64,
    },
    /// A stored value is not one this code can read (the file was damaged
    /// or edited by hand).
    #[error("state file {path}: scan #{scan} has {column} {value:?}, which is not valid")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The scan number of the row.
        scan: i64,
        /// The column.
        column: &'static str,
        /// The value found (as text).
        value: String,
    },
    /// No scan has this number.
    #[error("no scan #{number} in {path}")]
    NoSuchScan {
        /// The file.
        path: PathBuf,
        /// The number asked for.
        number: i64,
    },
    /// A comparison needs two complete scans of the same root.
    #[error("{path} holds {found} complete scan(s) of that root; a comparison needs two")]
    NotEnoughScans {
        /// The file.
        path: PathBuf,
        /// How many complete scans there are.
        found: u64,
    },
    /// A finding could not be serialised for storage.
    #[error("finding {id}: cannot store its JSON: {source}")]
    Serialize {
        /// The finding's id.
        id: String,
        /// serde_json's error.
        source: serde_json::Error,
    },
}

/// What became of a recorded scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Started and not (yet) ended: a scan in progress, or one that was
    /// killed (see [`StateLock::is_held`]).
    Running,
    /// Finished and checked everything it set out to.
    Complete,
    /// Stopped before it finished (a signal, or killed and found later).
    Interrupted,
    /// Could not audit (the error is stored).
    Failed,
}

impl Outcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Running => "running",
            Outcome::Complete => "complete",
            Outcome::Interrupted => "interrupted",
            Outcome::Failed => "failed",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<Outcome> {
        Some(match s {
            "running" => Outcome::Running,
            "complete" => Outcome::Complete,
            "interrupted" => Outcome::Interrupted,
            "failed" => Outcome::Failed,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An open state file.
pub struct History {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History").field("path", &self.path).finish()
    }
}

impl History {
    /// Open the state file for writing, creating it (mode 0600) when
    /// missing, and migrate it to the current schema. Its folder must
    /// exist. Writers should hold the [`StateLock`] first.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(source) => {
                return Err(HistoryError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
        History::open_rw(path)
    }

    /// Open an existing state file for writing (and migrate it); never
    /// creates one.
    pub fn open_existing(path: &Path) -> Result<History, HistoryError> {
        exists(path)?;
        History::open_rw(path)
    }

    fn open_rw(path: &Path) -> Result<History, HistoryError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(sqlite(path))?;
        let mut h = History {
            conn,
            path: path.to_path_buf(),
        };
        h.conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite(path))?;
        schema::prepare(&mut h.conn, path)?;
        h.conn
            .execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")
            .map_err(sqlite(path))?;
        Ok(h)
    }

    /// Open an existing state file to read it, read-only: a reader neither
    /// waits for a scan that is writing nor makes it wait (WAL). A file of
    /// an older schema is migrated first (that needs write access once).
    pub fn open_reader(path: &Path) -> Result<History, HistoryError> {
        exists(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(sqlite(path))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite(path))?;
        match schema::check(&conn, path)? {
            schema::State::Current => Ok(History {
                conn,
                path: path.to_path_buf(),
            }),
            schema::State::Fresh | schema::State::Old(_) => {
                drop(conn);
                History::open_existing(path)
            }
        }
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's schema version (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<i64, HistoryError> {
        schema::user_version(&self.conn).map_err(sqlite(&self.path))
    }

    /// Mark every scan still `running` as `interrupted`: with the lock
    /// held, none is running any more (its process was killed). Returns
    /// how many.
    pub fn mark_interrupted(&self, lock: &StateLock) -> Result<u64, HistoryError> {
        let _ = lock;
        let n = self
            .conn
            .execute(
                "UPDATE scans SET outcome = 'interrupted' WHERE outcome = 'running'",
                [],
            )
            .map_err(sqlite(&self.path))?;
        Ok(n as u64)
    }

    /// The SQLite error mapper for this file.
    fn err(&self) -> impl Fn(rusqlite::Error) -> HistoryError + '_ {
        sqlite(&self.path)
    }
}

/// `Missing` unless `path` exists.
fn exists(path: &Path) -> Result<(), HistoryError> {
    match std::fs::metadata(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(HistoryError::Missing {
            path: path.to_path_buf(),
        }),
        Err(source) => Err(HistoryError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Map a SQLite error to [`HistoryError::Sqlite`] for `path`.
fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> HistoryError + '_ {
    move |source| HistoryError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests;
