//! The binary's own modules (not part of the library): argument parsing,
//! the progress line, the panic hook, and the guard that keeps the
//! report and the trusted keys out of the audited root; `keygen` and the
//! passphrase prompt for minisign signing keys.

pub mod args;
pub mod cron;
pub mod guard;
pub mod history;
pub mod host;
pub mod keygen;
pub mod kit;
pub mod panic;
pub mod password;
pub mod progress;
pub mod report_sign;
pub mod sandbox;
pub mod tui;
pub mod waivers;
