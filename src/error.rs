//! The library's one error type: everything that makes an audit impossible
//! (exit status 2). Anything that only affects one package or file is a
//! [`crate::model::Finding`] instead.
//!
//! [`DatabaseError`] is backend-neutral on purpose. Package database
//! formats are pluggable (one [`crate::pkgdb::Backend`] plus one row of
//! [`crate::pkgdb::FORMATS`], possibly outside this crate), so this type
//! names only what every format can meet (I/O, not a regular file, unknown
//! format, too large). A backend's own failures stay in its own typed,
//! `#[non_exhaustive]` error enum (e.g.
//! [`crate::pkgdb::rpm::bdb::BdbError`]) and reach this type as the
//! [`source`](std::error::Error::source) of [`DatabaseError::Format`],
//! through [`DatabaseError::format`] or a `From` impl in the backend's
//! module. Adding a format therefore never edits this file, and callers can
//! still get the typed error back with [`DatabaseError::backend_error`].

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
    /// The backend reading the file found it unusable as a whole (SQLite
    /// refused it, a `Packages` file is not a BerkeleyDB hash database,
    /// …). `source` is the backend's own typed error.
    #[error("{format}: {source}")]
    Format {
        /// How messages name the backend (`sqlite`, `berkeleydb`, `ndb`).
        format: &'static str,
        /// The backend's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

impl DatabaseError {
    /// A backend's error `source`, for a backend that names itself
    /// `format` in messages (`package database PATH: FORMAT: SOURCE`).
    pub fn format<E>(format: &'static str, source: E) -> DatabaseError
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        DatabaseError::Format {
            format,
            source: Box::new(source),
        }
    }

    /// The backend's typed error, when this is a [`DatabaseError::Format`]
    /// carrying an `E`.
    pub fn backend_error<E: std::error::Error + 'static>(&self) -> Option<&E> {
        match self {
            DatabaseError::Format { source, .. } => source.downcast_ref::<E>(),
            _ => None,
        }
    }

    /// [`DatabaseError::backend_error`] by value: the backend's typed error,
    /// or `self` unchanged when this is not one carrying an `E`.
    pub fn into_backend_error<E: std::error::Error + 'static>(self) -> Result<E, DatabaseError> {
        match self {
            DatabaseError::Format { format, source } => match source.downcast::<E>() {
                Ok(e) => Ok(*e),
                Err(source) => Err(DatabaseError::Format { format, source }),
            },
            other => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;
    use std::path::PathBuf;

    use super::{DatabaseError, Error};
    use crate::pkgdb::rpm::{bdb::BdbError, ndb::NdbError};

    fn message(path: &str, reason: DatabaseError) -> String {
        Error::Database {
            path: PathBuf::from(path),
            reason,
        }
        .to_string()
    }

    #[test]
    fn backend_errors_keep_their_messages() {
        assert_eq!(
            message(
                "/var/lib/rpm/Packages",
                BdbError::Version { version: 7 }.into()
            ),
            "package database /var/lib/rpm/Packages: berkeleydb: unsupported hash version 7 \
             (8 to 10 are read)"
        );
        assert_eq!(
            message(
                "/var/lib/rpm/Packages.db",
                NdbError::Version { version: 1 }.into()
            ),
            "package database /var/lib/rpm/Packages.db: ndb: unsupported NDB version 1"
        );
        let sqlite = rusqlite::Error::InvalidQuery;
        let want = format!("package database /var/lib/rpm/rpmdb.sqlite: sqlite: {sqlite}");
        assert_eq!(message("/var/lib/rpm/rpmdb.sqlite", sqlite.into()), want);
    }

    #[test]
    fn backend_errors_stay_typed() {
        let e: DatabaseError = BdbError::Encrypted { alg: 1 }.into();
        assert!(
            e.source()
                .and_then(|s| s.downcast_ref::<BdbError>())
                .is_some()
        );
        assert!(matches!(
            e.backend_error::<BdbError>(),
            Some(BdbError::Encrypted { alg: 1 })
        ));
        assert!(e.backend_error::<NdbError>().is_none());
        let e = e.into_backend_error::<NdbError>().unwrap_err();
        assert!(matches!(
            e.into_backend_error::<BdbError>(),
            Ok(BdbError::Encrypted { alg: 1 })
        ));
        assert!(
            DatabaseError::NotRegular
                .backend_error::<BdbError>()
                .is_none()
        );
    }
}
