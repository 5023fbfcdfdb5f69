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
