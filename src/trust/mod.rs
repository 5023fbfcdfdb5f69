//! Trust: the stage between `pkgdb` and `check` that decides whether each
//! installed package header can be believed, with keys from **outside** the
//! target.
//!
//! * [`keyring`] — the [`TrustStore`]: OpenPGP keys loaded from `--keys`
//!   folders (never from the target's rpm keyring), with their binding
//!   signatures, subkeys, revocations and expiry checked.
//! * [`verify`] — per-header verdicts ([`HeaderVerdict`]): rebuild the
//!   signed region, check SHA256HEADER/SHA1HEADER and the OpenPGP
//!   signatures in RSAHEADER, DSAHEADER and OPENPGP, and notice entries that
//!   override the region.
//! * [`check`] — the `headers` check: a verdict for every package of a
//!   [`crate::pkgdb::Database`], its findings, and the target's own
//!   `gpg-pubkey` entries compared with the store.
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

pub mod headers;
pub mod keyring;
pub mod verify;

use std::path::PathBuf;

pub use keyring::{KeyStatus, TrustStore, TrustedKey};
pub use verify::{HeaderCheck, HeaderVerdict};

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
