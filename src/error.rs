//! The library's one error type: everything that makes an audit impossible
//! (exit status 2). Anything that only affects one package or file is a
//! [`crate::model::Finding`] instead.

use std::path::PathBuf;

/// Why an audit could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// ROOT does not exist or is not a directory.
    #[error("root {path}: {source}")]
    Root {
        /// The root as given.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// No supported package database was found inside ROOT.
    #[error("no package database found in {root} (looked for {looked})")]
    NoDatabase {
        /// The root searched.
        root: PathBuf,
        /// The candidate paths, comma separated.
        looked: String,
    },
    /// The given or detected database could not be read at all.
    #[error("package database {path}: {reason}")]
    Database {
        /// Path of the database inside the target.
        path: PathBuf,
        /// What went wrong.
        reason: DatabaseError,
    },
    /// I/O outside the target (temporary copies, output file).
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Why a package database is unreadable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatabaseError {
    /// The file could not be opened or read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// SQLite refused it (not a database, corrupt, missing table).
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The path exists but is not a regular file.
    #[error("not a regular file")]
    NotRegular,
    /// The file is not in a format rootaudit knows.
    #[error("unknown database format")]
    UnknownFormat,
    /// The file is larger than any real database (refused unread).
    #[error("{size} bytes is larger than any real package database (limit {max})")]
    TooLarge {
        /// The file's size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The BerkeleyDB `Packages` file is unusable as a whole.
    #[error("berkeleydb: {0}")]
    Bdb(#[from] crate::pkgdb::rpm::bdb::BdbError),
    /// The NDB `Packages.db` file is unusable as a whole.
    #[error("ndb: {0}")]
    Ndb(#[from] crate::pkgdb::rpm::ndb::NdbError),
}
