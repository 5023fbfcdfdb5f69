//! RPM databases: the header format shared by every rpm backend
//! ([`header`], [`package`]) and the backends themselves ([`sqlite`]).

pub mod bdb;
pub mod header;
pub mod ndb;
pub mod package;
pub mod sqlite;
pub mod tags;
