//! Trust: the stage between `pkgdb` and `check` that decides whether each
//! installed package header can be believed, with keys from **outside** the
//! target.
//!
//! * [`cert`] — certificate evaluation: a parsed key's algorithm,
//!   self-signatures, subkey bindings, revocations and expiry, giving a
//!   [`TrustedKey`] with a [`KeyStatus`], and whether it can vouch for a
//!   signature ([`Usability`]).
//! * [`store`] — the [`TrustStore`]: OpenPGP keys loaded from `--keys`
//!   folders (never from the target's rpm keyring), found by fingerprint or
//!   key id, and checked against data signatures.
//! * [`verify`] — per-header verdicts ([`HeaderVerdict`]): rebuild the
//!   signed region, check SHA256HEADER/SHA1HEADER and the OpenPGP
//!   signatures in RSAHEADER, DSAHEADER and OPENPGP, and notice entries that
//!   override the region.
//! * [`headers`] — the `headers` check: a verdict for every package of a
//!   [`crate::pkgdb::Database`], its findings, and the target's own
//!   `gpg-pubkey` entries compared with the store.
//! * [`guard`] — calls into the OpenPGP library with panics caught
//!   ([`guarded`]), and [`in_guarded_call`] for the binary's panic hook.
//!
//! `docs/trust.md` explains the trust model.
//!
//! ```no_run
//! use rootaudit::pkgdb::rpm::header::Header;
//! use rootaudit::trust::{TrustStore, verify::verify_installed};
//! # fn demo(blob: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
//! let store = TrustStore::load(&["/media/rescue/keys".into()])?;
//! let header = Header::parse(blob)?;
//! let check = verify_installed(&header, &store, &TrustStore::empty());
//! println!("{}", check.verdict);
//! # Ok(()) }
//! ```

pub mod cert;
pub mod guard;
pub mod headers;
pub mod store;
pub mod verify;

use std::path::PathBuf;

pub use cert::{CertError, Component, KeyDefect, KeyStatus, TrustedKey, Unbound, Usability};
pub use guard::{guarded, in_guarded_call};
pub use store::{KeyMatch, KeyProblem, KeyProblemKind, TrustStore};
pub use verify::{HeaderCheck, HeaderVerdict, SignatureError};

/// Why the trust store could not be loaded (the audit cannot run).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// A `--keys` folder does not exist or cannot be read.
    #[error("keys folder {path}: {source}")]
    KeysDir {
        /// The folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// The OpenPGP library's text for an error, as evidence: its first line,
/// at most 300 bytes. Some of its errors render a captured backtrace after
/// the message, which differs from build to build and run to run and has
/// no place in a finding.
pub(crate) fn pgp_text(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    let line = text.lines().next().unwrap_or("");
    let line = line.split("Backtrace").next().unwrap_or(line).trim_end();
    let mut end = line.len().min(300);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    line[..end].to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn pgp_text_keeps_the_message_only() {
        let e = "invalid packet content\nBacktrace:\n   0: frame\n";
        assert_eq!(super::pgp_text(&e), "invalid packet content");
        assert_eq!(super::pgp_text(&"short"), "short");
        let long = "é".repeat(400);
        assert!(super::pgp_text(&long).len() <= 300);
    }
}
