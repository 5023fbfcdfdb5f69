//! RPM databases: the header format shared by every rpm backend
//! ([`header`], [`package`]) and the backends themselves ([`sqlite`],
//! [`bdb`], [`ndb`]; the file-based two share [`storage`]).

pub mod bdb;
pub mod file;
pub mod header;
pub mod ndb;
pub mod package;
pub mod sqlite;
pub mod storage;
pub mod tags;

use crate::pkgdb::{MalformedRecord, Package};

/// Turn one stored header blob into a [`Package`], or into a
/// [`MalformedRecord`] that keeps the header when only the package in it is
/// bad (its digests and signatures are still checked). Every rpm backend
/// reads its records through this.
pub fn read_record(blob: &[u8], record: u64) -> Result<Package, Box<MalformedRecord>> {
    match header::Header::parse(blob) {
        Ok(h) => package::package_from_header(h.clone(), record).map_err(|error| {
            Box::new(MalformedRecord {
                record,
                error,
                header: Some(h),
            })
        }),
        Err(error) => Err(Box::new(MalformedRecord {
            record,
            error,
            header: None,
        })),
    }
}
