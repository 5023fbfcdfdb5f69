//! Signed reports: `scan --sign-key KEY --output REPORT` writes
//! `REPORT.minisig` beside the report ([`Signer`]), in minisign's format
//! (stock `minisign -Vm REPORT -p PUB` checks it), and `rootaudit
//! verify-report REPORT --key PUB` checks one ([`verify_report`]).
//!
//! The signature covers the exact bytes of the report file, read back
//! after it was written (hashed as a stream: BLAKE2b-512, minisign's `ED`
//! algorithm, so a large report is never held in memory). Its trusted
//! comment ([`ReportComment`]) binds the purpose, host, root, scan id and
//! time: `rootaudit-report host=H root=R scan=ID time=T`, values
//! percent-encoded so that no byte of a hostile name can forge a field.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufReader, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use clap::Args;
use rootaudit::model::time::rfc3339_ms;
use rootaudit::output::Terminal;
use rootaudit::sign::{PublicKey, ReportComment, SecretKey, SignError, verify_reader};

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
    key: SecretKey,
}

impl Signer {
    /// The key `--sign-key` names (asking its passphrase, or reading
    /// `--password-file`), before the scan starts; `None` without
    /// `--sign-key`. An error when there is no `--output` to sign.
    pub fn load(args: &ScanArgs) -> anyhow::Result<Option<Signer>> {
        let Some(path) = &args.sign_key else {
            return Ok(None);
        };
        if args.output.is_none() {
            bail!(
                "--sign-key signs the report file: give --output REPORT (the signature is \
                 written beside it, as REPORT.minisig)"
            );
        }
        let key = super::password::load_secret_key(path, args.password_file.as_deref())?;
        Ok(Some(Signer { key }))
    }

    /// Sign the finished report file: writes `REPORT.minisig` beside it
    /// (to a temporary file in the same folder, renamed into place).
    pub fn sign(&self, report: &Path, meta: &ReportMeta<'_>) -> anyhow::Result<()> {
        let comment = ReportComment {
            host: meta.host.as_bytes().to_vec(),
            root: meta.root.to_vec(),
            scan: meta.scan_id.as_bytes().to_vec(),
            time: meta.time,
        }
        .render();
        let untrusted = format!("signature from rootaudit secret key {}", self.key.key_id());
        let file = File::open(report)
            .with_context(|| format!("reading the report {} to sign it", report.display()))?;
        let sig = self
            .key
            .sign_reader(BufReader::new(file), &untrusted, &comment)
            .with_context(|| format!("signing the report {}", report.display()))?;
        let sig_path = signature_path(report);
        write_beside(&sig_path, sig.as_bytes())
            .with_context(|| format!("writing the signature {}", sig_path.display()))
    }
}

/// `REPORT.minisig`: where minisign looks for the signature of `REPORT`.
pub fn signature_path(report: &Path) -> PathBuf {
    let mut s = OsString::from(report.as_os_str());
    s.push(".minisig");
    PathBuf::from(s)
}

/// Write `data` to `path` through a synced temporary file in the same
/// folder (readable by all: a signature is no secret), renamed over it.
fn write_beside(path: &Path, data: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".rootaudit-sig-")
        .permissions(std::fs::Permissions::from_mode(0o644))
        .tempfile_in(dir)?;
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Options of `rootaudit verify-report`.
#[derive(Args, Debug)]
pub struct VerifyReportArgs {
    /// The report file (as `scan --output` wrote it).
    #[arg(value_name = "REPORT")]
    pub report: PathBuf,
    /// The minisign public key the report must be signed with (a `.pub`
    /// file from `rootaudit keygen` or `minisign -G`).
    #[arg(long, value_name = "PUB")]
    pub key: PathBuf,
    /// The signature file. Default: REPORT.minisig.
    #[arg(long, value_name = "FILE")]
    pub sig: Option<PathBuf>,
}

/// `rootaudit verify-report`: exit 0 when the signature verifies and its
/// trusted comment is a report's (printed, raw and parsed); 1 when it does
/// not verify, names another key, or is not a report's; 2 (an error) when
/// a file cannot be read or is not in minisign's format.
pub fn verify_report(args: VerifyReportArgs) -> anyhow::Result<ExitCode> {
    let key_text = std::fs::read_to_string(&args.key)
        .with_context(|| format!("cannot read the public key {}", args.key.display()))?;
    let key = PublicKey::parse(&key_text)
        .with_context(|| format!("public key {}", args.key.display()))?;
    let sig_path = args
        .sig
        .clone()
        .unwrap_or_else(|| signature_path(&args.report));
    let sig = std::fs::read(&sig_path).map_err(|e| {
        let what = if e.kind() == io::ErrorKind::NotFound {
            "no signature"
        } else {
            "cannot read the signature"
        };
        anyhow!(e).context(format!(
            "{what} {} for {}",
            sig_path.display(),
            args.report.display()
        ))
    })?;
    // Not text is as malformed as text in the wrong shape: the verifier
    // says so.
    let sig = String::from_utf8_lossy(&sig);
    let report = File::open(&args.report)
        .with_context(|| format!("cannot read the report {}", args.report.display()))?;
    let report_name = args.report.as_os_str().as_bytes();
    let mut err = Terminal::new(io::stderr());
    let verified = match verify_reader(&key, BufReader::new(report), &sig) {
        Ok(v) => v,
        Err(
            e @ (SignError::BadSignature
            | SignError::BadGlobalSignature
            | SignError::WrongKey { .. }),
        ) => {
            err.line(
                &[
                    b"rootaudit: ",
                    report_name,
                    b": the signature does NOT verify (",
                    sig_path.as_os_str().as_bytes(),
                    b", key ",
                    key.key_id().as_bytes(),
                    b"): ",
                    e.to_string().as_bytes(),
                    b"; the report or its signature was changed, or another key signed it",
                ]
                .concat(),
            )?;
            return Ok(ExitCode::from(1));
        }
        Err(SignError::Read(e)) => {
            return Err(
                anyhow!(e).context(format!("cannot read the report {}", args.report.display()))
            );
        }
        Err(e) => {
            return Err(anyhow!(e).context(format!("signature {}", sig_path.display())));
        }
    };
    let mut out = Terminal::new(io::stdout().lock());
    out.line(
        &[
            b"verified: ",
            report_name,
            b" (signature ",
            sig_path.as_os_str().as_bytes(),
            b", key ",
            verified.key_id.as_bytes(),
            b")",
        ]
        .concat(),
    )?;
    out.line(&[b"trusted comment: ", verified.trusted_comment.as_bytes()].concat())?;
    let comment = match ReportComment::parse(&verified.trusted_comment) {
        Ok(c) => c,
        Err(e) => {
            out.flush()?;
            err.line(
                &[
                    b"rootaudit: ",
                    report_name,
                    b": the signature verifies, but it does not vouch for a rootaudit report: ",
                    e.to_string().as_bytes(),
                ]
                .concat(),
            )?;
            return Ok(ExitCode::from(1));
        }
    };
    out.line(&[b"host: ", comment.host.as_slice()].concat())?;
    out.line(&[b"root: ", comment.root.as_slice()].concat())?;
    out.line(&[b"scan: ", comment.scan.as_slice()].concat())?;
    // Whole seconds: no milliseconds to show.
    let time = comment.time.checked_mul(1000).map_or_else(
        || comment.time.to_string(),
        |ms| rfc3339_ms(ms).replacen(".000Z", "Z", 1),
    );
    out.line(format!("time: {time} ({})", comment.time).as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_goes_beside_the_report() {
        assert_eq!(
            signature_path(Path::new("/srv/r/web1.json")),
            Path::new("/srv/r/web1.json.minisig")
        );
        assert_eq!(signature_path(Path::new("r")), Path::new("r.minisig"));
    }

    #[test]
    fn a_signed_report_verifies_and_a_changed_byte_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report.json");
        std::fs::write(&report, b"{\"findings\": []}\n").unwrap();
        let signer = Signer {
            key: SecretKey::generate().unwrap(),
        };
        signer
            .sign(
                &report,
                &ReportMeta {
                    host: "web 1",
                    root: b"/mnt/\xff x",
                    scan_id: "0123456789abcdef",
                    time: 1_700_000_000,
                },
            )
            .unwrap();
        let sig = std::fs::read_to_string(signature_path(&report)).unwrap();
        let pk = signer.key.public_key();
        let data = std::fs::read(&report).unwrap();
        let v = rootaudit::sign::verify(&pk, &data, &sig).unwrap();
        assert_eq!(
            v.trusted_comment,
            "rootaudit-report host=web%201 root=/mnt/%FF%20x scan=0123456789abcdef \
             time=1700000000"
        );
        let mut changed = data.clone();
        changed[3] ^= 1;
        assert!(rootaudit::sign::verify(&pk, &changed, &sig).is_err());
        // Only the report and its signature: no temporary file left.
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["report.json", "report.json.minisig"]);
    }
}
