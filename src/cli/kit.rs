//! `rootaudit kit`: rescue kits, the folder `scripts/kit` lays out for
//! rescue media (`rootaudit`, `keys/`, `README-RESCUE.txt`, `SHA256SUMS`,
//! `SHA256SUMS.minisig`; see `docs/rescue.md`). The binary's side of it:
//!
//! * `kit seal DIR [--sign-key KEY]` (hidden: `scripts/kit` runs it with
//!   the kit's own binary) writes `keys/FINGERPRINTS` (every key file and
//!   its fingerprints, as the trust store reads them), `SHA256SUMS` over
//!   every file ([`sums`], `sha256sum`'s format) and, with a key,
//!   `SHA256SUMS.minisig` (minisign's format, [`rootaudit::sign`]; stock
//!   `minisign -Vm SHA256SUMS -p PUB` checks it). Its trusted comment
//!   starts with [`KIT_PURPOSE`].
//! * `kit verify [DIR] --key PUB` ([`verify`]) checks the signature, then
//!   every listed file, then the running binary itself (`/proc/self/exe`)
//!   when it runs from DIR, and names each file that does not match. A
//!   file in `keys/` that `SHA256SUMS` does not list fails the kit too:
//!   `scan` would trust it.
//! * [`notice_if_kit`]: one line for `scan`/`tui` to print when they run
//!   from a kit folder holding a signed `SHA256SUMS`.
//!
//! What a check proves, plainly: a signature that verifies with a public
//! key the responder brought *from elsewhere* (a password manager, paper,
//! a second medium) shows the kit's files are the ones sealed by the
//! holder of the secret key. A public key taken from the kit itself only
//! shows the kit is consistent. And a binary cannot vouch for itself: a
//! replaced `rootaudit` could print "verified" for anything, so the
//! independent check is the rescue system's own `sha256sum -c SHA256SUMS`
//! and `minisign -Vm SHA256SUMS -p PUB`, or `kit verify DIR` run by a
//! rootaudit from another medium.
//!
//! Example (at the rescue console, from the kit folder):
//!
//! ```text
//! ./rootaudit kit verify --key /media/other/kit.pub
//! ./rootaudit kit verify --key RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3
//! ```

pub mod sums;

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use rootaudit::output::{Terminal, escape_ascii};
use rootaudit::sign::comment::{encode, split};
use rootaudit::sign::{PublicKey, SignError};
use rootaudit::trust::{KeyStatus, TrustStore};

use self::sums::{Kind, Line};

/// The sums file of a kit.
pub const SUMS: &str = "SHA256SUMS";
/// Its signature (minisign's name for it).
pub const SUMS_SIG: &str = "SHA256SUMS.minisig";
/// The kit's binary.
pub const BINARY: &str = "rootaudit";
/// The kit's trusted keys (the trust store's default `keys/` beside the
/// binary).
pub const KEYS: &str = "keys";
/// The list of keys and fingerprints in [`KEYS`].
pub const FINGERPRINTS: &str = "FINGERPRINTS";
/// The first word of a kit signature's trusted comment.
pub const KIT_PURPOSE: &str = "rootaudit-kit";

/// The largest signature file read.
const MAX_SIG_BYTES: u64 = 64 * 1024;

/// `rootaudit kit …`.
#[derive(Subcommand, Debug)]
pub enum KitCommand {
    /// Check a rescue kit made by scripts/kit: the signature of its
    /// SHA256SUMS with PUB, then every file it lists, including the
    /// running binary; says which file does not match. Exit 0 verified,
    /// 1 a file or the signature does not match, 2 on errors.
    Verify(VerifyArgs),
    /// Write DIR/keys/FINGERPRINTS, DIR/SHA256SUMS over every file and,
    /// with --sign-key, DIR/SHA256SUMS.minisig (scripts/kit runs this).
    #[command(hide = true)]
    Seal(SealArgs),
}

/// Options of `rootaudit kit verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The kit folder. Default: the folder of the running binary.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The minisign public key the kit was signed with: a .pub file, or
    /// its base64 line (as `minisign -P` takes it). Bring it from
    /// somewhere other than the kit: a key found in the kit proves nothing.
    #[arg(long, value_name = "PUB")]
    pub key: OsString,
}

/// Options of `rootaudit kit seal`.
#[derive(Args, Debug)]
pub struct SealArgs {
    /// The kit folder: `rootaudit` and `keys/` already in it.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Sign SHA256SUMS with this minisign secret key.
    #[arg(long, value_name = "KEY")]
    pub sign_key: Option<PathBuf>,
    /// Read the secret key's passphrase from the first line of FILE.
    #[arg(long, value_name = "FILE", requires = "sign_key")]
    pub password_file: Option<PathBuf>,
}

/// Run a `kit` subcommand.
pub fn run(cmd: KitCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        KitCommand::Verify(args) => verify(args),
        KitCommand::Seal(args) => seal(args),
    }
}

/// The folder the running binary is in.
fn exe_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot tell where the running binary is")?;
    exe.parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| anyhow!("the running binary {} has no folder", exe.display()))
}

/// True when the running binary is `DIR/rootaudit` (same folder, after
/// resolving links).
fn runs_from(dir: &Path) -> bool {
    let (Ok(exe), Ok(dir)) = (std::env::current_exe(), dir.canonicalize()) else {
        return false;
    };
    exe.file_name() == Some(OsStr::new(BINARY))
        && exe
            .parent()
            .and_then(|p| p.canonicalize().ok())
            .is_some_and(|p| p == dir)
}

/// SHA-256 of the executable this process runs.
fn running_sha256() -> io::Result<[u8; 32]> {
    sums::sha256_reader(File::open("/proc/self/exe")?)
}

/// Read at most `limit` bytes of the regular file `path` (not a link):
/// `Ok(None)` when it is larger.
fn read_bounded(path: &Path, limit: u64) -> io::Result<Option<Vec<u8>>> {
    let file = sums::open_regular(path)?;
    let mut data = Vec::new();
    file.take(limit + 1).read_to_end(&mut data)?;
    Ok((data.len() as u64 <= limit).then_some(data))
}

// ---------------------------------------------------------------------------
// The notice
// ---------------------------------------------------------------------------

/// When the running binary sits in a kit folder holding a signed
/// `SHA256SUMS`: one line saying so, whether this binary matches its
/// entry there, and how to check the whole kit (no signature can be
/// checked without the responder's public key). `None` otherwise. Reads
/// the sums file (bounded) and hashes the binary once (under 10 ms for the
/// 12 MB release binary); never fails.
// Called by `scan` and `tui` in main.rs: until that call lands, unused.
pub fn notice_if_kit() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    kit_notice(&exe, running_sha256)
}

/// [`notice_if_kit`] for the binary at `exe` whose content hashes to
/// what `running` gives.
fn kit_notice(exe: &Path, running: impl FnOnce() -> io::Result<[u8; 32]>) -> Option<String> {
    if exe.file_name() != Some(OsStr::new(BINARY)) {
        return None;
    }
    let dir = exe.parent()?;
    let regular = |name: &str| {
        dir.join(name)
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_file())
    };
    if !regular(SUMS) || !regular(SUMS_SIG) {
        return None;
    }
    let listed = read_bounded(&dir.join(SUMS), sums::MAX_SUMS_BYTES)
        .ok()
        .flatten()
        .and_then(|text| {
            sums::parse(&text).into_iter().find_map(|l| match l {
                Line::Entry { name, sha256 } if name == BINARY.as_bytes() => Some(sha256),
                _ => None,
            })
        });
    let shown = dir.display();
    let check = "rootaudit kit verify --key PUB";
    Some(match (listed, running().ok()) {
        (Some(want), Some(have)) if want == have => format!(
            "rootaudit: running from a rescue kit ({shown}, SHA256SUMS signed); this binary \
             matches its entry. Check the kit with your own public key: {check}"
        ),
        (Some(_), Some(_)) => format!(
            "rootaudit: WARNING: this binary does not match the SHA256SUMS of the rescue kit \
             it runs from ({shown}): it is not the binary the kit was made with. Check the \
             kit: {check}"
        ),
        _ => format!(
            "rootaudit: running from a rescue kit ({shown}, SHA256SUMS signed), but this \
             binary could not be compared with its entry. Check the kit: {check}"
        ),
    })
}

// ---------------------------------------------------------------------------
// kit seal
// ---------------------------------------------------------------------------

/// `rootaudit kit seal`.
fn seal(args: SealArgs) -> anyhow::Result<ExitCode> {
    let dir = &args.dir;
    // The secret key first: a wrong passphrase leaves the folder as it was.
    let key = match &args.sign_key {
        Some(path) => Some(super::password::load_secret_key(
            path,
            args.password_file.as_deref(),
        )?),
        None => None,
    };
    let keys_dir = dir.join(KEYS);
    let meta = keys_dir
        .symlink_metadata()
        .with_context(|| format!("a kit needs a keys folder: {}", keys_dir.display()))?;
    if !meta.is_dir() {
        bail!(
            "{} is not a folder (nor may it be a link)",
            keys_dir.display()
        );
    }
    if !dir.join(BINARY).symlink_metadata()?.is_file() {
        bail!("{} is not a regular file", dir.join(BINARY).display());
    }
    let store = TrustStore::load(std::slice::from_ref(&keys_dir))?;
    if let Some(p) = store.problems().first() {
        bail!(
            "{}: {} (a kit holds only usable OpenPGP public keys; {} such file(s))",
            p.source.display(),
            p.reason,
            store.problems().len()
        );
    }
    if store.keys().is_empty() {
        bail!(
            "no OpenPGP public key in {}: a kit without keys cannot judge package headers",
            keys_dir.display()
        );
    }
    let mut err = Terminal::new(io::stderr());
    for k in store.keys().iter().filter(|k| k.status != KeyStatus::Ok) {
        err.line(
            &[
                b"rootaudit: warning: key ",
                k.fingerprint.as_bytes(),
                b" (",
                k.source.as_os_str().as_bytes(),
                b") is ",
                k.status.as_str().as_bytes(),
            ]
            .concat(),
        )?;
    }
    std::fs::write(
        keys_dir.join(FINGERPRINTS),
        fingerprints_text(&store, &keys_dir),
    )
    .with_context(|| format!("writing {}", keys_dir.join(FINGERPRINTS).display()))?;
    // A signature of an earlier SHA256SUMS would not match the new one.
    match std::fs::remove_file(dir.join(SUMS_SIG)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            return Err(anyhow!(e).context(format!("removing the old {SUMS_SIG}")));
        }
        _ => {}
    }

    let tree = sums::walk(dir).with_context(|| format!("listing {}", dir.display()))?;
    if tree.truncated {
        bail!(
            "{} holds more than {} entries: not a kit",
            dir.display(),
            sums::MAX_ENTRIES
        );
    }
    let mut text = Vec::new();
    let mut files = 0;
    for (name, kind) in &tree.entries {
        if name == SUMS.as_bytes() || name == SUMS_SIG.as_bytes() {
            continue;
        }
        let shown = String::from_utf8_lossy(name);
        match kind {
            Kind::File => {
                let sum = sums::sha256_file(&sums::path_of(dir, name))
                    .with_context(|| format!("hashing {shown}"))?;
                text.extend_from_slice(&sums::format_line(name, &sum));
                files += 1;
            }
            Kind::Symlink => bail!(
                "{shown}: a symbolic link; a kit holds regular files only (copy what it points to)"
            ),
            Kind::Other => bail!("{shown}: not a regular file (or nested too deep)"),
            Kind::Unreadable(e) => bail!("{shown}: cannot be read: {e}"),
        }
    }
    std::fs::write(dir.join(SUMS), &text)
        .with_context(|| format!("writing {}", dir.join(SUMS).display()))?;

    let mut out = Terminal::new(io::stdout().lock());
    out.line(
        &[
            b"sealed: ",
            dir.as_os_str().as_bytes(),
            format!(" ({files} files in {SUMS}, {} keys)", store.keys().len()).as_bytes(),
        ]
        .concat(),
    )?;
    if let Some(key) = key {
        let comment = kit_comment(files);
        let untrusted = format!("signature from rootaudit secret key {}", key.key_id());
        let sig = key
            .sign(&text, &untrusted, &comment)
            .context("signing SHA256SUMS")?;
        std::fs::write(dir.join(SUMS_SIG), sig)
            .with_context(|| format!("writing {}", dir.join(SUMS_SIG).display()))?;
        let pk = key.public_key();
        out.line(format!("signed: {SUMS_SIG}, key {}", pk.key_id()).as_bytes())?;
        out.line(format!("trusted comment: {comment}").as_bytes())?;
        out.line(format!("public key: {}", pk.to_base64()).as_bytes())?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The trusted comment of a kit signature:
/// `rootaudit-kit version=V commit=C target=T static=yes|no files=N time=T`.
fn kit_comment(files: usize) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        "{KIT_PURPOSE} version={} commit={} target={} static={} files={files} time={now}",
        encode(env!("CARGO_PKG_VERSION").as_bytes()),
        encode(env!("ROOTAUDIT_COMMIT").as_bytes()),
        encode(env!("ROOTAUDIT_TARGET").as_bytes()),
        encode(env!("ROOTAUDIT_STATIC").as_bytes()),
    )
}

/// `keys/FINGERPRINTS`: each key file, then its keys' fingerprints,
/// algorithms, status and user id. Plain ASCII (names escaped).
fn fingerprints_text(store: &TrustStore, keys_dir: &Path) -> Vec<u8> {
    let mut t = String::from(
        "# The OpenPGP keys of this rescue kit, as rootaudit reads them\n\
         # (./rootaudit keys list shows the same). Before trusting the kit,\n\
         # compare each fingerprint with the one its distribution publishes.\n\
         #\n\
         # FILE\n\
         #   FINGERPRINT  ALGORITHM  STATUS  USER ID\n\
         #   sub FINGERPRINT  ALGORITHM  STATUS\n",
    );
    let mut last: Option<&Path> = None;
    for k in store.keys() {
        let file = k.source.strip_prefix(keys_dir).unwrap_or(&k.source);
        if last != Some(file) {
            t.push('\n');
            t.push_str(&escape_ascii(file.as_os_str().as_bytes()));
            t.push('\n');
            last = Some(file);
        }
        let alg = match k.bits {
            Some(b) => format!("{} {b}", k.algorithm),
            None => k.algorithm.clone(),
        };
        let uid = k
            .user_id
            .as_deref()
            .map_or_else(|| "(no user id)".to_owned(), escape_ascii);
        t.push_str(&format!(
            "  {}  {alg}  {}  {uid}\n",
            k.fingerprint,
            k.status.as_str()
        ));
        for s in &k.subkeys {
            let alg = match s.bits {
                Some(b) => format!("{} {b}", s.algorithm),
                None => s.algorithm.clone(),
            };
            t.push_str(&format!(
                "  sub {}  {alg}  {}\n",
                s.fingerprint,
                s.status.as_str()
            ));
        }
    }
    t.into_bytes()
}

// ---------------------------------------------------------------------------
// kit verify
// ---------------------------------------------------------------------------

/// How the signature of `SHA256SUMS` fared.
#[derive(Debug)]
enum Signature {
    /// It verifies with the key, and its trusted comment is a kit's.
    Verified { key_id: String, comment: String },
    /// There is no `SHA256SUMS.minisig`.
    Missing,
    /// It could not be read (or is not a regular file).
    Unreadable(io::Error),
    /// It is larger than any signature.
    TooLarge,
    /// It does not verify (or is not in minisign's format).
    Bad(SignError),
    /// It verifies, but vouches for something else than a kit.
    NotAKit { comment: String },
}

/// How one file `SHA256SUMS` lists fared.
#[derive(Debug)]
enum FileCheck {
    Ok,
    Changed {
        expected: [u8; 32],
        actual: [u8; 32],
    },
    Missing,
    Symlink,
    NotRegular,
    Unreadable(io::Error),
    /// Absolute, or with `..`: never opened.
    UnsafeName,
    /// Listed twice.
    Duplicate,
}

/// A name in the folder `SHA256SUMS` does not list.
#[derive(Debug)]
struct Unlisted {
    name: Vec<u8>,
    /// In `keys/`, or the binary: rootaudit would use it, so the kit fails.
    used: bool,
    symlink: bool,
}

/// The running binary against the `rootaudit` entry.
#[derive(Debug)]
enum Running {
    /// It is not DIR/rootaudit: DIR/rootaudit was checked as a file.
    NotFromKit(Option<PathBuf>),
    Ok,
    Changed {
        expected: [u8; 32],
        actual: [u8; 32],
    },
    NotListed,
    Unreadable(io::Error),
}

/// Everything `kit verify` found.
#[derive(Debug)]
struct KitReport {
    signature: Signature,
    /// `SHA256SUMS` is too large or not a regular file: nothing listed in
    /// it was checked.
    sums_unusable: Option<String>,
    files: Vec<(Vec<u8>, FileCheck)>,
    malformed: Vec<usize>,
    unlisted: Vec<Unlisted>,
    truncated: bool,
    running: Running,
    /// Default key folders outside the kit that `scan` also reads.
    other_key_dirs: Vec<PathBuf>,
}

impl KitReport {
    /// Short names of what fails the kit, in order.
    fn failures(&self) -> Vec<String> {
        let mut f = Vec::new();
        match &self.signature {
            Signature::Verified { .. } => {}
            Signature::Missing => f.push(format!("{SUMS} is not signed")),
            Signature::NotAKit { .. } => f.push(format!("{SUMS_SIG} is not a kit's")),
            _ => f.push(format!("{SUMS_SIG} does not verify")),
        }
        if let Some(why) = &self.sums_unusable {
            f.push(format!("{SUMS} {why}"));
        }
        if !self.malformed.is_empty() {
            f.push(format!("{SUMS} has malformed lines"));
        }
        for (name, c) in &self.files {
            let what = match c {
                FileCheck::Ok | FileCheck::Unreadable(_) => continue,
                FileCheck::Changed { .. } => "changed",
                FileCheck::Missing => "missing",
                FileCheck::Symlink => "is a symbolic link",
                FileCheck::NotRegular => "is not a regular file",
                FileCheck::UnsafeName => "names a path outside the kit",
                FileCheck::Duplicate => "listed twice",
            };
            f.push(format!("{} {what}", String::from_utf8_lossy(name)));
        }
        for u in self.unlisted.iter().filter(|u| u.used) {
            f.push(format!(
                "{} not in {SUMS}",
                String::from_utf8_lossy(&u.name)
            ));
        }
        if self.truncated {
            f.push(format!("too many files (over {})", sums::MAX_ENTRIES));
        }
        match self.running {
            Running::Changed { .. } => f.push("the running binary changed".into()),
            Running::NotListed => f.push(format!("{SUMS} does not list {BINARY}")),
            _ => {}
        }
        f
    }

    /// True when something could not be read (and so not checked).
    fn errors(&self) -> bool {
        self.files
            .iter()
            .any(|(_, c)| matches!(c, FileCheck::Unreadable(_)))
            || matches!(self.running, Running::Unreadable(_))
    }
}

/// The public key `--key` gives: a file, or failing that the base64 line.
fn load_public_key(arg: &OsStr) -> anyhow::Result<PublicKey> {
    let path = Path::new(arg);
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            PublicKey::parse(&text).with_context(|| format!("public key {}", path.display()))
        }
        Err(e) => match arg.to_str().map(|s| PublicKey::parse(s.trim())) {
            Some(Ok(key)) => Ok(key),
            _ => Err(anyhow!(e).context(format!(
                "cannot read the public key {} (a .pub file, or its base64 line)",
                path.display()
            ))),
        },
    }
}

/// `rootaudit kit verify`.
fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let key = load_public_key(&args.key)?;
    let dir = match args.dir {
        Some(d) => d,
        None => exe_dir()?,
    };
    let from_kit = runs_from(&dir);
    let report = check_kit(&dir, &key, from_kit)?;
    print_report(&dir, &report)
}

/// Check the kit in `dir` with `key`; `from_kit`: the running binary is
/// `dir/rootaudit`. An error only when `dir` is not a kit at all.
fn check_kit(dir: &Path, key: &PublicKey, from_kit: bool) -> anyhow::Result<KitReport> {
    let sums_path = dir.join(SUMS);
    let meta = sums_path.symlink_metadata().map_err(|e| {
        anyhow!(e).context(format!(
            "{} is not a rescue kit: no {SUMS} (scripts/kit makes one)",
            dir.display()
        ))
    })?;
    let mut report = KitReport {
        signature: Signature::Missing,
        sums_unusable: None,
        files: Vec::new(),
        malformed: Vec::new(),
        unlisted: Vec::new(),
        truncated: false,
        running: Running::NotFromKit(std::env::current_exe().ok()),
        other_key_dirs: Vec::new(),
    };
    let text = if !meta.file_type().is_file() {
        report.sums_unusable = Some("is not a regular file".into());
        None
    } else {
        match read_bounded(&sums_path, sums::MAX_SUMS_BYTES)
            .with_context(|| format!("cannot read {}", sums_path.display()))?
        {
            Some(t) => Some(t),
            None => {
                report.sums_unusable =
                    Some(format!("is larger than {} bytes", sums::MAX_SUMS_BYTES));
                None
            }
        }
    };
    report.signature = check_signature(dir, key, text.as_deref());
    let Some(text) = text else {
        return Ok(report);
    };

    let tree = sums::walk(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    report.truncated = tree.truncated;
    let mut listed = std::collections::BTreeSet::new();
    let mut binary_sum = None;
    for line in sums::parse(&text) {
        let (name, expected) = match line {
            Line::Entry { name, sha256 } => (name, sha256),
            Line::Malformed { line } => {
                report.malformed.push(line);
                continue;
            }
        };
        let check = if !sums::is_safe_name(&name) {
            FileCheck::UnsafeName
        } else if !listed.insert(name.clone()) {
            FileCheck::Duplicate
        } else {
            if name == BINARY.as_bytes() {
                binary_sum = Some(expected);
            }
            match tree.entries.get(&name) {
                None => FileCheck::Missing,
                Some(Kind::Symlink) => FileCheck::Symlink,
                Some(Kind::Other) => FileCheck::NotRegular,
                Some(Kind::Unreadable(e)) => {
                    FileCheck::Unreadable(io::Error::new(e.kind(), e.to_string()))
                }
                Some(Kind::File) => match sums::sha256_file(&sums::path_of(dir, &name)) {
                    Ok(actual) if actual == expected => FileCheck::Ok,
                    Ok(actual) => FileCheck::Changed { expected, actual },
                    Err(e) => FileCheck::Unreadable(e),
                },
            }
        };
        report.files.push((name, check));
    }
    for (name, kind) in &tree.entries {
        if name == SUMS.as_bytes() || name == SUMS_SIG.as_bytes() || listed.contains(name) {
            continue;
        }
        let used = name == BINARY.as_bytes() || name.starts_with(format!("{KEYS}/").as_bytes());
        report.unlisted.push(Unlisted {
            name: name.clone(),
            used,
            symlink: matches!(kind, Kind::Symlink),
        });
    }
    if from_kit {
        report.running = match (binary_sum, running_sha256()) {
            (None, _) => Running::NotListed,
            (Some(_), Err(e)) => Running::Unreadable(e),
            (Some(expected), Ok(actual)) if actual == expected => Running::Ok,
            (Some(expected), Ok(actual)) => Running::Changed { expected, actual },
        };
        let kit_keys = dir.join(KEYS).canonicalize().ok();
        report.other_key_dirs = TrustStore::default_dirs()
            .into_iter()
            .filter(|d| d.canonicalize().ok() != kit_keys)
            .collect();
    }
    Ok(report)
}

/// Check `SHA256SUMS.minisig` against `sums` (the file's bytes; `None`
/// when unusable) with `key`.
fn check_signature(dir: &Path, key: &PublicKey, sums: Option<&[u8]>) -> Signature {
    let sig = match read_bounded(&dir.join(SUMS_SIG), MAX_SIG_BYTES) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Signature::Missing,
        Err(e) => return Signature::Unreadable(e),
        Ok(None) => return Signature::TooLarge,
        Ok(Some(s)) => s,
    };
    let Some(sums) = sums else {
        return Signature::Bad(SignError::BadSignature);
    };
    match rootaudit::sign::verify(key, sums, &String::from_utf8_lossy(&sig)) {
        Err(e) => Signature::Bad(e),
        Ok(v) => {
            if split(&v.trusted_comment).0 == KIT_PURPOSE {
                Signature::Verified {
                    key_id: v.key_id,
                    comment: v.trusted_comment,
                }
            } else {
                Signature::NotAKit {
                    comment: v.trusted_comment,
                }
            }
        }
    }
}

/// Print the report (stdout: one line per file; stderr: the verdict when
/// the kit does not verify) and give the exit status.
fn print_report(dir: &Path, r: &KitReport) -> anyhow::Result<ExitCode> {
    let mut out = Terminal::new(io::stdout().lock());
    let status = |word: &str, name: &[u8], rest: &str| -> Vec<u8> {
        [format!("{word:<10}").as_bytes(), name, rest.as_bytes()].concat()
    };
    out.line(&[b"kit: ", dir.as_os_str().as_bytes()].concat())?;
    match &r.signature {
        Signature::Verified { key_id, comment } => {
            out.line(format!("signature: ok, key {key_id} ({SUMS_SIG})").as_bytes())?;
            out.line(format!("trusted comment: {comment}").as_bytes())?;
        }
        Signature::Missing => out.line(
            format!("signature: MISSING: no {SUMS_SIG}; nothing vouches for this kit").as_bytes(),
        )?,
        Signature::Unreadable(e) => {
            out.line(format!("signature: UNREADABLE: {SUMS_SIG}: {e}").as_bytes())?
        }
        Signature::TooLarge => out.line(
            format!("signature: BAD: {SUMS_SIG} is larger than {MAX_SIG_BYTES} bytes").as_bytes(),
        )?,
        Signature::Bad(e) => out.line(
            format!(
                "signature: BAD: {SUMS_SIG}: {e}; {SUMS} or its signature was changed, or \
                 another key signed it"
            )
            .as_bytes(),
        )?,
        Signature::NotAKit { comment } => out.line(
            format!(
                "signature: NOT A KIT'S: it verifies, but its trusted comment is not a \
                 {KIT_PURPOSE} one: {comment}"
            )
            .as_bytes(),
        )?,
    }
    if let Some(why) = &r.sums_unusable {
        out.line(format!("BAD       {SUMS}: {why}; no file was checked").as_bytes())?;
    }
    for line in &r.malformed {
        out.line(format!("BAD       {SUMS} line {line}: not `SHA256  NAME`").as_bytes())?;
    }
    for (name, c) in &r.files {
        let line = match c {
            FileCheck::Ok => status("ok", name, ""),
            FileCheck::Changed { expected, actual } => status(
                "CHANGED",
                name,
                &format!(
                    ": its SHA-256 is {}, {SUMS} says {}",
                    hex::encode(actual),
                    hex::encode(expected)
                ),
            ),
            FileCheck::Missing => status("MISSING", name, ""),
            FileCheck::Symlink => status(
                "SYMLINK",
                name,
                ": a symbolic link (a kit holds none; not followed)",
            ),
            FileCheck::NotRegular => status("NOT FILE", name, ": not a regular file"),
            FileCheck::Unreadable(e) => status("ERROR", name, &format!(": cannot read: {e}")),
            FileCheck::UnsafeName => status(
                "BAD NAME",
                name,
                ": outside the kit folder (absolute or ..); not opened",
            ),
            FileCheck::Duplicate => status("TWICE", name, &format!(": listed twice in {SUMS}")),
        };
        out.line(&line)?;
    }
    for u in &r.unlisted {
        let kind = if u.symlink { "a symbolic link " } else { "" };
        let line = if u.used {
            status(
                "EXTRA",
                &u.name,
                &format!(": {kind}not in {SUMS}, yet rootaudit would use it"),
            )
        } else {
            status(
                "note",
                &u.name,
                &format!(": {kind}not in {SUMS} (not part of the kit)"),
            )
        };
        out.line(&line)?;
    }
    if r.truncated {
        out.line(
            format!(
                "BAD       the folder holds more than {} entries; stopped listing",
                sums::MAX_ENTRIES
            )
            .as_bytes(),
        )?;
    }
    let running = "the running binary (/proc/self/exe)";
    match &r.running {
        Running::NotFromKit(exe) => {
            let exe = exe.as_deref().unwrap_or(Path::new("?"));
            out.line(
                &[
                    b"note      the running rootaudit (",
                    exe.as_os_str().as_bytes(),
                    format!(") is not this kit's: {BINARY} was checked as a file").as_bytes(),
                ]
                .concat(),
            )?
        }
        Running::Ok => out.line(format!("ok        {running}").as_bytes())?,
        Running::Changed { expected, actual } => out.line(
            format!(
                "CHANGED   {running}: its SHA-256 is {}, {SUMS} says {} for {BINARY}",
                hex::encode(actual),
                hex::encode(expected)
            )
            .as_bytes(),
        )?,
        Running::NotListed => {
            out.line(format!("MISSING   {running}: {SUMS} lists no {BINARY}").as_bytes())?
        }
        Running::Unreadable(e) => {
            out.line(format!("ERROR     {running}: cannot read: {e}").as_bytes())?
        }
    }
    for d in &r.other_key_dirs {
        out.line(
            &[
                b"warning   scan also trusts the keys in ",
                d.as_os_str().as_bytes(),
                b" (not part of this kit; --keys DIR/keys trusts the kit's alone)",
            ]
            .concat(),
        )?;
    }

    let failures = r.failures();
    if failures.is_empty() && !r.errors() {
        let n = r.files.len();
        if let Signature::Verified { key_id, .. } = &r.signature {
            out.line(
                format!("kit verified: {n} files match {SUMS}, signed by key {key_id}").as_bytes(),
            )?;
            out.line(b"(that shows the kit is yours only if you brought that key, not the kit)")?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    out.flush()?;
    let mut err = Terminal::new(io::stderr());
    if failures.is_empty() {
        err.line(
            &[
                b"rootaudit: the kit ",
                dir.as_os_str().as_bytes(),
                b" could not be checked: files could not be read (see above)",
            ]
            .concat(),
        )?;
        return Ok(ExitCode::from(2));
    }
    const SHOWN: usize = 8;
    let mut list = failures[..failures.len().min(SHOWN)].join("; ");
    if failures.len() > SHOWN {
        list.push_str(&format!("; and {} more", failures.len() - SHOWN));
    }
    err.line(
        &[
            b"rootaudit: the kit ",
            dir.as_os_str().as_bytes(),
            b" does NOT verify: ",
            list.as_bytes(),
        ]
        .concat(),
    )?;
    Ok(ExitCode::from(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rootaudit::sign::SecretKey;

    /// A sealed kit in a temporary folder, signed with a fresh key.
    fn kit() -> (tempfile::TempDir, SecretKey) {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join(KEYS)).unwrap();
        std::fs::write(d.path().join(BINARY), b"\x7fELF binary").unwrap();
        std::fs::write(d.path().join("keys/k.asc"), b"key").unwrap();
        std::fs::write(d.path().join("README-RESCUE.txt"), b"read me\n").unwrap();
        let mut text = Vec::new();
        for name in ["README-RESCUE.txt", "keys/k.asc", "rootaudit"] {
            let sum = sums::sha256_file(&d.path().join(name)).unwrap();
            text.extend(sums::format_line(name.as_bytes(), &sum));
        }
        std::fs::write(d.path().join(SUMS), &text).unwrap();
        let sk = SecretKey::generate().unwrap();
        let sig = sk.sign(&text, "untrusted", &kit_comment(3)).unwrap();
        std::fs::write(d.path().join(SUMS_SIG), sig).unwrap();
        (d, sk)
    }

    fn failures(dir: &Path, sk: &SecretKey) -> Vec<String> {
        check_kit(dir, &sk.public_key(), false).unwrap().failures()
    }

    #[test]
    fn a_sealed_kit_verifies() {
        let (d, sk) = kit();
        let r = check_kit(d.path(), &sk.public_key(), false).unwrap();
        assert!(matches!(r.signature, Signature::Verified { .. }), "{r:?}");
        assert_eq!(r.files.len(), 3);
        assert!(r.failures().is_empty() && !r.errors(), "{r:?}");
        // Another key: the signature fails, the files still match.
        let other = SecretKey::generate().unwrap();
        assert_eq!(
            failures(d.path(), &other),
            [format!("{SUMS_SIG} does not verify")]
        );
    }

    #[test]
    fn each_change_is_named() {
        let (d, sk) = kit();
        std::fs::write(d.path().join("keys/k.asc"), b"kez").unwrap();
        std::fs::write(d.path().join("keys/extra.asc"), b"x").unwrap();
        std::fs::write(d.path().join("report.json"), b"{}").unwrap();
        std::fs::remove_file(d.path().join("README-RESCUE.txt")).unwrap();
        assert_eq!(
            failures(d.path(), &sk),
            [
                "README-RESCUE.txt missing",
                "keys/k.asc changed",
                "keys/extra.asc not in SHA256SUMS"
            ]
        );
    }

    #[test]
    fn a_changed_sums_file_fails_the_signature() {
        let (d, sk) = kit();
        let mut text = std::fs::read(d.path().join(SUMS)).unwrap();
        text[0] = if text[0] == b'0' { b'1' } else { b'0' };
        std::fs::write(d.path().join(SUMS), &text).unwrap();
        let f = failures(d.path(), &sk);
        assert_eq!(f[0], format!("{SUMS_SIG} does not verify"), "{f:?}");
        assert!(f.iter().any(|x| x.ends_with(" changed")), "{f:?}");
    }

    #[test]
    fn hostile_names_and_links_are_refused_not_followed() {
        let (d, sk) = kit();
        std::os::unix::fs::symlink("/etc/passwd", d.path().join("keys/link")).unwrap();
        let mut text = std::fs::read(d.path().join(SUMS)).unwrap();
        for name in [
            &b"../../etc/passwd"[..],
            b"/etc/passwd",
            b"keys/link",
            b"rootaudit",
        ] {
            text.extend(sums::format_line(name, &[0; 32]));
        }
        text.extend_from_slice(b"garbage\n");
        std::fs::write(d.path().join(SUMS), &text).unwrap();
        let sig = sk.sign(&text, "u", &kit_comment(7)).unwrap();
        std::fs::write(d.path().join(SUMS_SIG), sig).unwrap();
        assert_eq!(
            failures(d.path(), &sk),
            [
                "SHA256SUMS has malformed lines",
                "../../etc/passwd names a path outside the kit",
                "/etc/passwd names a path outside the kit",
                "keys/link is a symbolic link",
                "rootaudit listed twice",
            ]
        );
    }

    #[test]
    fn a_huge_sums_file_is_not_read() {
        let (d, sk) = kit();
        let f = File::create(d.path().join(SUMS)).unwrap();
        f.set_len(sums::MAX_SUMS_BYTES + 1).unwrap();
        let r = check_kit(d.path(), &sk.public_key(), false).unwrap();
        assert!(r.sums_unusable.is_some());
        assert!(r.files.is_empty());
        assert_eq!(r.failures().len(), 2, "{:?}", r.failures());
    }

    #[test]
    fn a_signature_for_something_else_is_not_a_kits() {
        let (d, sk) = kit();
        let text = std::fs::read(d.path().join(SUMS)).unwrap();
        let sig = sk.sign(&text, "u", "rootaudit-report host=x").unwrap();
        std::fs::write(d.path().join(SUMS_SIG), sig).unwrap();
        assert_eq!(
            failures(d.path(), &sk),
            [format!("{SUMS_SIG} is not a kit's")]
        );
    }

    #[test]
    fn no_sums_file_is_an_error_not_a_verdict() {
        let d = tempfile::tempdir().unwrap();
        let sk = SecretKey::generate().unwrap();
        assert!(check_kit(d.path(), &sk.public_key(), false).is_err());
    }

    #[test]
    fn the_notice_says_whether_this_binary_matches() {
        let (d, _) = kit();
        let exe = d.path().join(BINARY);
        let good = || sums::sha256_file(&d.path().join(BINARY));
        let n = kit_notice(&exe, good).unwrap();
        assert!(n.contains("running from a rescue kit"), "{n}");
        assert!(
            n.contains("matches its entry") && n.contains("kit verify --key"),
            "{n}"
        );
        let n = kit_notice(&exe, || Ok([7; 32])).unwrap();
        assert!(n.contains("WARNING: this binary does not match"), "{n}");
        let n = kit_notice(&exe, || Err(io::ErrorKind::NotFound.into())).unwrap();
        assert!(n.contains("could not be compared"), "{n}");
        // Not named rootaudit, or no signature: no notice.
        assert_eq!(kit_notice(&d.path().join("other"), good), None);
        std::fs::remove_file(d.path().join(SUMS_SIG)).unwrap();
        assert_eq!(kit_notice(&exe, good), None);
    }

    #[test]
    fn the_public_key_may_be_its_base64_line() {
        let sk = SecretKey::generate().unwrap();
        let line = sk.public_key().to_base64();
        let key = load_public_key(OsStr::new(&line)).unwrap();
        assert_eq!(key.key_id(), sk.key_id());
        assert!(load_public_key(OsStr::new("/no/such/key.pub")).is_err());
    }
}
