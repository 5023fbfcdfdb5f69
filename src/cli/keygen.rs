//! `rootaudit keygen`: make a minisign key pair ([`rootaudit::sign`]) for
//! signing waivers and reports. The secret key is encrypted with a
//! passphrase (minisign's scrypt defaults) unless `--no-password`, and is
//! created with mode 0600; existing files are kept unless `--force`. Like
//! `minisign -G`, it prints the public key line and the key id.

use std::fs::{File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use rootaudit::output::Terminal;
use rootaudit::sign::SecretKey;
use zeroize::Zeroizing;

use super::password::read_password;

/// Options of `rootaudit keygen`.
#[derive(Args, Debug)]
pub struct KeygenArgs {
    /// Where to write the public key.
    #[arg(
        short = 'p',
        long = "public",
        value_name = "FILE",
        default_value = "rootaudit.pub"
    )]
    pub public: PathBuf,
    /// Where to write the secret key (mode 0600).
    #[arg(
        short = 's',
        long = "secret",
        value_name = "FILE",
        default_value = "rootaudit.key"
    )]
    pub secret: PathBuf,
    /// Leave the secret key unencrypted (as `minisign -G -W`).
    #[arg(long, conflicts_with = "password_file")]
    pub no_password: bool,
    /// Read the passphrase from the first line of FILE instead of asking on
    /// the terminal (for automation).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Overwrite existing key files.
    #[arg(short = 'f', long)]
    pub force: bool,
}

/// Make the key pair, write both files, print the public key.
pub fn run(args: KeygenArgs) -> anyhow::Result<ExitCode> {
    if !args.force {
        for path in [&args.secret, &args.public] {
            if path.symlink_metadata().is_ok() {
                bail!(
                    "{} already exists: keygen does not overwrite a key (use --force)",
                    path.display()
                );
            }
        }
    }
    let password = if args.no_password {
        None
    } else {
        let password = read_password(
            "Passphrase for the new secret key: ",
            args.password_file.as_deref(),
            true,
        )
        .context("no passphrase for the new secret key (--no-password leaves it unencrypted)")?;
        Some(Zeroizing::new(password))
    };
    let sk = SecretKey::generate()?;
    let pk = sk.public_key();
    let secret_comment = if password.is_some() {
        "rootaudit encrypted secret key"
    } else {
        "rootaudit secret key (unencrypted)"
    };
    let secret_text =
        Zeroizing::new(sk.to_file_text(password.as_deref().map(Vec::as_slice), secret_comment)?);
    write_key_file(&args.secret, secret_text.as_bytes(), 0o600, args.force)
        .with_context(|| format!("writing secret key {}", args.secret.display()))?;
    let public_text = pk.to_file_text(&format!("rootaudit public key {}", pk.key_id()));
    write_key_file(&args.public, public_text.as_bytes(), 0o644, args.force)
        .with_context(|| format!("writing public key {}", args.public.display()))?;

    let mut out = Terminal::new(io::stdout().lock());
    let mut line = |parts: &[&[u8]]| out.line(&parts.concat());
    let sealed: &[u8] = if password.is_some() {
        b" (encrypted with the passphrase)"
    } else {
        b" (not encrypted)"
    };
    line(&[
        b"The secret key was saved as ",
        args.secret.as_os_str().as_bytes(),
        sealed,
        b" - keep it secret!",
    ])?;
    line(&[
        b"The public key was saved as ",
        args.public.as_os_str().as_bytes(),
        b" - that one can be public.",
    ])?;
    line(&[b"Key id: ", pk.key_id().as_bytes()])?;
    line(&[])?;
    line(&[b"Files signed with this key pair can be verified with:"])?;
    line(&[b"minisign -Vm <file> -P ", pk.to_base64().as_bytes()])?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Write a key file with `mode`: created exclusively, or with `force`
/// written beside it and renamed over it (so the old file's mode and any
/// link there do not carry over).
fn write_key_file(path: &Path, content: &[u8], mode: u32, force: bool) -> anyhow::Result<()> {
    if force {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut tmp = tempfile::Builder::new()
            .prefix(".rootaudit-keygen-")
            .permissions(Permissions::from_mode(mode))
            .tempfile_in(dir)?;
        tmp.write_all(content)?;
        tmp.as_file().sync_all()?;
        tmp.persist(path)?;
        return Ok(());
    }
    let mut file: File = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    file.write_all(content)?;
    file.sync_all()?;
    Ok(())
}
