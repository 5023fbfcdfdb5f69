//! Signed reports: `scan --sign-key KEY --output REPORT` writes
//! `REPORT.minisig` (minisign's format), and `rootaudit verify-report`.
//!
//! STUB: the interface `main.rs` calls; the bodies are being written.

use std::path::Path;

use super::args::ScanArgs;

/// What the report's trusted comment binds.
pub struct ReportMeta<'a> {
    /// The host the scan ran on.
    pub host: &'a str,
    /// ROOT, raw.
    pub root: &'a [u8],
    /// The scan's id.
    pub scan_id: &'a str,
    /// When the scan started (seconds since the Unix epoch).
    pub time: u64,
}

/// A loaded secret key, ready to sign the report once it is written.
pub struct Signer {
    _private: (),
}

impl Signer {
    /// The key `--sign-key` names (asking its passphrase, or reading
    /// `--password-file`), before the scan starts; `None` without
    /// `--sign-key`. An error when there is no `--output` to sign.
    pub fn load(args: &ScanArgs) -> anyhow::Result<Option<Signer>> {
        let _ = args;
        Ok(None)
    }

    /// Sign the finished report file: writes `REPORT.minisig` beside it.
    pub fn sign(&self, report: &Path, meta: &ReportMeta<'_>) -> anyhow::Result<()> {
        let _ = (report, meta);
        Ok(())
    }
}
