//! The binary's own modules (not part of the library): argument parsing,
//! the progress line, the panic hook, and the guard that keeps the
//! report and the trusted keys out of the audited root.

pub mod args;
pub mod guard;
pub mod panic;
pub mod progress;
pub mod sandbox;
