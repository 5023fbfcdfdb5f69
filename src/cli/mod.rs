//! The binary's own modules (not part of the library): argument parsing,
//! the progress line, the panic hook.

pub mod args;
pub mod panic;
pub mod progress;
