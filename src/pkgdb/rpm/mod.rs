//! RPM databases: the header format shared by every rpm backend
//! ([`header`], [`package`], the scriptlets in [`scripts`]) and the
//! backends themselves ([`sqlite`], [`bdb`], [`ndb`]; the file-based two
//! share [`storage`]).

pub mod bdb;
pub mod file;
pub mod header;
pub mod ndb;
pub mod package;
pub mod scripts;
pub mod sqlite;
pub mod storage;
pub mod tags;

use crate::pkgdb::{MalformedRecord, Native, Package};

/// Turn one stored header blob into a [`Package`], or into a
/// [`MalformedRecord`] that keeps the header when only the package in it is
/// bad (its digests and signatures are still checked). Every rpm backend
/// reads its records through this.
pub fn read_record(blob: &[u8], record: u64) -> Result<Package, Box<MalformedRecord>> {
    match header::Header::parse(blob) {
        Ok(h) => match package::package_of(&h, record) {
            Ok(mut p) => {
                p.native = Some(Native::new(h));
                Ok(p)
            }
            Err(error) => Err(Box::new(malformed(record, error, Some(h)))),
        },
        Err(error) => Err(Box::new(malformed(record, error, None))),
    }
}

/// The rpm header a record was read from, if it is an rpm record.
pub fn header_of(native: Option<&Native>) -> Option<&header::Header> {
    native?.get::<header::Header>()
}

/// A [`MalformedRecord`] for an rpm record.
pub fn malformed(
    record: u64,
    error: header::HeaderError,
    header: Option<header::Header>,
) -> MalformedRecord {
    MalformedRecord {
        record,
        error: std::sync::Arc::new(error),
        native: header.map(Native::new),
    }
}

/// [`read_record`] for a batch of `(record, blob)` pairs, in parallel on
/// the current rayon pool: the packages in the batch's order, malformed
/// records appended to `malformed`. The batch is left empty for reuse.
pub fn read_records(
    batch: &mut Vec<(u64, Vec<u8>)>,
    malformed: &mut Vec<MalformedRecord>,
) -> Vec<Package> {
    use rayon::prelude::*;
    let parsed: Vec<Result<Package, Box<MalformedRecord>>> = batch
        .par_iter()
        .with_max_len(1)
        .map(|(record, blob)| read_record(blob, *record))
        .collect();
    batch.clear();
    let mut packages = Vec::with_capacity(parsed.len());
    for p in parsed {
        match p {
            Ok(p) => packages.push(p),
            Err(m) => malformed.push(*m),
        }
    }
    packages
}
