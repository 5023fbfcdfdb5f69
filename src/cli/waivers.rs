//! `--waivers FILE --waiver-key PUB` at the binary's edge: the waiver
//! file read and verified before the scan confines itself, shared by
//! `scan` and `tui`.

use anyhow::bail;
use rootaudit::sign::{PublicKey, SignError};
use rootaudit::waiver::WaiverFile;

use super::args::ScanArgs;
use super::guard::RootGuard;

/// The waiver file of `--waivers`, verified against `--waiver-key` (clap
/// makes each need the other). The key must come from outside the target:
/// one the target supplied would let it waive its own findings. The file
/// itself may be anywhere: its signature is what counts. Any failure
/// (unreadable, unsigned, bad signature, another purpose) ends the scan.
pub fn load(args: &ScanArgs, guard: Option<&RootGuard>) -> anyhow::Result<Option<WaiverFile>> {
    let (Some(file), Some(key)) = (&args.waivers, &args.waiver_key) else {
        return Ok(None);
    };
    if let Some(g) = guard
        && g.contains(key)
    {
        bail!(
            "refusing to take the waiver key from inside the audited root ({}): the target \
             cannot vouch for itself; use a key from the rescue medium",
            key.display()
        );
    }
    // One line each: these errors already name their file and cause.
    let key = PublicKey::load(key).map_err(|e| match e {
        SignError::Io { .. } => anyhow::anyhow!("cannot read the waiver key {e}"),
        e => anyhow::anyhow!("waiver key {}: {e}", key.display()),
    })?;
    let (waivers, _) = WaiverFile::load_verified(file, &key).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Some(waivers))
}
