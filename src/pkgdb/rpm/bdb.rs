//! RPM's BerkeleyDB hash backend (`Packages`), read-only without libdb.
//! (Being written; until then this format is reported as unsupported.)

use std::path::Path;

use crate::error::{DatabaseError, Error};
use crate::pkgdb::Database;
use crate::target::Root;

/// Read every header of the BerkeleyDB `Packages` file at `rel`.
pub fn read(_root: &Root, rel: &Path) -> Result<Database, Error> {
    Err(Error::Database {
        path: Path::new("/").join(rel),
        reason: DatabaseError::UnknownFormat,
    })
}
