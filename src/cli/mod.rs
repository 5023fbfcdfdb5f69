//! The binary's own modules (not part of the library): argument parsing
//! and the progress line.

pub mod args;
pub mod progress;
