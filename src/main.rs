//! The `rootaudit` command line: parses arguments, wires the library's
//! stages together, draws progress, and maps outcomes to exit status
//! (0 clean, 1 findings at or above `--fail-on`, 2 could not audit).

use std::fmt::Write as FmtWrite;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use rootaudit::check::CheckKind;
use rootaudit::model::Severity;
use rootaudit::output;
use rootaudit::pkgdb::DbFormat;
use rootaudit::scan::{CheckSet, Progress, Report, ScanBuilder};
use rootaudit::trust::{KeyStatus, TrustStore};

/// Offline integrity auditor: verifies a Linux root against its own package
/// database, with trust anchored outside the target.
#[derive(Parser, Debug)]
#[command(name = "rootaudit", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Audit the system mounted at ROOT (default `/`).
    Scan(ScanArgs),
    /// Inspect the trust store (the OpenPGP keys headers are checked with).
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// List every key of the trust store: fingerprint, algorithm, user id,
    /// expiry and status (ok, expired, revoked, unsupported, invalid).
    List(KeysArgs),
}

#[derive(clap::Args, Debug)]
struct KeysArgs {
    /// Folder of trusted OpenPGP public keys (repeatable). Default: `keys/`
    /// beside the binary, `../share/rootaudit/keys`, `/etc/rootaudit/keys`.
    #[arg(long, value_name = "DIR")]
    keys: Vec<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct ScanArgs {
    /// Root of the system to audit (e.g. /mnt/sysimage).
    #[arg(default_value = "/")]
    root: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report here instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// Comma-separated checks to run (available: headers, files, bytecode, unowned). Default: all.
    /// `none` only reads the package database (timing, database checks).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    checks: Option<Vec<String>>,
    /// Package database path inside ROOT (a file, or the directory holding
    /// rpmdb.sqlite); default: auto-detect.
    #[arg(long, value_name = "PATH")]
    dbpath: Option<PathBuf>,
    /// Package database format (rpm-sqlite, rpm-bdb, rpm-ndb, dpkg);
    /// default: auto-detect.
    #[arg(long, value_name = "FORMAT", value_parser = parse_db)]
    db: Option<DbFormat>,
    /// Exit 1 when a finding at or above this severity exists.
    #[arg(long, value_name = "SEVERITY", default_value = "low", value_parser = parse_severity)]
    fail_on: Severity,
    /// No progress line.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Folder of trusted OpenPGP public keys, from outside the target
    /// (repeatable). Default: `keys/` beside the binary,
    /// `../share/rootaudit/keys`, `/etc/rootaudit/keys`.
    #[arg(long, value_name = "DIR")]
    keys: Vec<PathBuf>,
    /// Rank unsigned package headers high instead of medium.
    #[arg(long)]
    require_signatures: bool,
    /// List every unregistered pyc and unowned file instead of one info
    /// summary per directory tree.
    #[arg(long, short = 'v')]
    verbose: bool,
    /// Comma-separated trees (inside ROOT) the `unowned` check walks,
    /// replacing the defaults; `!/PATH` excludes a subtree, a trailing `*`
    /// matches directory names (`/lib*`). Default: /usr, /bin, /sbin,
    /// /lib*, /boot, selected /etc subtrees, minus /usr/local.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    unowned_trees: Option<Vec<String>>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn parse_db(s: &str) -> Result<DbFormat, String> {
    DbFormat::parse(s).ok_or_else(|| "expected one of rpm-sqlite, rpm-bdb, rpm-ndb, dpkg".into())
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| "expected one of critical, high, medium, low, info".into())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => match scan(args) {
            Ok(code) => code,
            Err(e) => fail(e),
        },
        Command::Keys(KeysCommand::List(args)) => match keys_list(args) {
            Ok(code) => code,
            Err(e) => fail(e),
        },
    }
}

fn fail(e: anyhow::Error) -> ExitCode {
    if is_broken_pipe(&e) {
        return ExitCode::SUCCESS;
    }
    let _ = writeln!(io::stderr(), "rootaudit: error: {}", one_line(&e));
    ExitCode::from(2)
}

/// The trust store from `--keys` folders, or the default folders.
fn load_trust(dirs: &[PathBuf]) -> anyhow::Result<TrustStore> {
    let dirs = if dirs.is_empty() {
        TrustStore::default_dirs()
    } else {
        dirs.to_vec()
    };
    Ok(TrustStore::load(&dirs)?)
}

/// `rootaudit keys list`.
fn keys_list(args: KeysArgs) -> anyhow::Result<ExitCode> {
    let store = load_trust(&args.keys)?;
    // Built as text first, then written line by line through the same
    // sanitiser as the scan report (notes quote parser errors).
    let mut out = String::new();
    if store.dirs().is_empty() {
        writeln!(
            out,
            "no keys folder given (--keys) and none of the default folders exists"
        )?;
    }
    for d in store.dirs() {
        writeln!(out, "# {}", output::escape_path(d))?;
    }
    for k in store.keys() {
        writeln!(
            out,
            "{}  {}  {}  {}  {}  {}",
            k.fingerprint,
            algorithm_text(&k.algorithm, k.bits),
            status_text(k.status, k.note.as_deref()),
            expiry_text(k.expires),
            k.user_id
                .as_deref()
                .map(output::escape_bytes)
                .unwrap_or_else(|| "(no user id)".into()),
            output::escape_path(&k.source)
        )?;
        for sub in &k.subkeys {
            writeln!(
                out,
                "  sub {}  {}  {}  {}{}",
                sub.fingerprint,
                algorithm_text(&sub.algorithm, sub.bits),
                status_text(sub.status, sub.note.as_deref()),
                expiry_text(sub.expires),
                if sub.signing { "  signing" } else { "" }
            )?;
        }
    }
    for p in store.problems() {
        writeln!(
            out,
            "unusable  {}: {}",
            output::escape_path(&p.source),
            output::escape_bytes(p.reason.to_string().as_bytes())
        )?;
    }
    writeln!(
        out,
        "{} key{}, {} unusable file{}",
        store.keys().len(),
        if store.keys().len() == 1 { "" } else { "s" },
        store.problems().len(),
        if store.problems().len() == 1 { "" } else { "s" }
    )?;
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    for line in out.lines() {
        writeln!(stdout, "{}", output::sanitize_line(line))?;
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn algorithm_text(alg: &str, bits: Option<u32>) -> String {
    match bits {
        Some(b) => format!("{alg} {b}"),
        None => alg.to_string(),
    }
}

fn status_text(status: KeyStatus, note: Option<&str>) -> String {
    match note {
        Some(n) => format!(
            "{} ({})",
            status.as_str(),
            output::escape_bytes(n.replace('\n', " ").as_bytes())
        ),
        None => status.as_str().to_string(),
    }
}

fn expiry_text(expires: Option<u32>) -> String {
    match expires {
        Some(t) => format!("expires {}", rootaudit::trust::headers::date(t)),
        None => "no expiry".into(),
    }
}

fn scan(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let checks = match &args.checks {
        None => CheckSet::all(),
        Some(names) => {
            let mut v = Vec::new();
            for n in names {
                if n.trim() == "none" {
                    continue;
                }
                match CheckKind::parse(n.trim()) {
                    Some(c) => v.push(c),
                    None => bail!(
                        "unknown check {:?} (available: {})",
                        n,
                        CheckKind::ALL
                            .iter()
                            .map(|c| c.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
            }
            CheckSet::only(v)
        }
    };
    if let Some(out) = &args.output {
        refuse_output_inside_root(&args.root, out)?;
    }
    for dir in &args.keys {
        refuse_keys_inside_root(&args.root, dir)?;
    }
    let store = load_trust(&args.keys)?;
    let mut builder = ScanBuilder::new(&args.root)
        .checks(checks)
        .trust_store(store)
        .require_signatures(args.require_signatures)
        .verbose(args.verbose);
    if let Some(trees) = &args.unowned_trees {
        builder = builder.unowned_trees(rootaudit::check::unowned::UnownedTrees::parse(trees)?);
    }
    if let Some(j) = args.jobs {
        builder = builder.jobs(j);
    }
    if let Some(db) = &args.dbpath {
        builder = builder.dbpath(db);
    }
    if let Some(f) = args.db {
        builder = builder.db_format(f);
    }
    let progress = (!args.quiet && io::stderr().is_terminal()).then(|| {
        let (tx, rx) = crossbeam_channel::unbounded();
        (tx, std::thread::spawn(move || draw_progress(rx)))
    });
    let result = match &progress {
        Some((tx, _)) => builder.progress(tx.clone()).run(),
        None => builder.run(),
    };
    if let Some((tx, handle)) = progress {
        drop(tx);
        let _ = handle.join();
    }
    let report = result.map_err(anyhow::Error::new)?;
    write_report(&report, args.format, args.output.as_deref())?;
    let failing = report.findings.iter().any(|f| f.severity >= args.fail_on);
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn write_report(report: &Report, format: Format, output: Option<&Path>) -> anyhow::Result<()> {
    let mut sink: Box<dyn Write> = match output {
        Some(p) => Box::new(io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )),
        None => Box::new(io::BufWriter::new(io::stdout().lock())),
    };
    match format {
        Format::Text => output::text::write(report, &mut sink)?,
        Format::Json => output::json::write(report, &mut sink)?,
    }
    sink.flush()?;
    Ok(())
}

/// The audit never writes into the target: refuse a report path inside a
/// mounted ROOT (auditing `/` itself has nowhere else to write).
fn refuse_output_inside_root(root: &Path, out: &Path) -> anyhow::Result<()> {
    let Ok(root) = root.canonicalize() else {
        return Ok(()); // the scan reports a missing root itself
    };
    if root == Path::new("/") {
        return Ok(());
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Ok(dir) = parent.canonicalize()
        && dir.starts_with(&root)
    {
        bail!(
            "refusing to write the report into the audited root ({}): choose a path outside {}",
            out.display(),
            root.display()
        );
    }
    Ok(())
}

/// Trust flows from outside in: refuse a `--keys` folder inside a mounted
/// ROOT (the target would vouch for itself).
fn refuse_keys_inside_root(root: &Path, keys: &Path) -> anyhow::Result<()> {
    let (Ok(root), Ok(dir)) = (root.canonicalize(), keys.canonicalize()) else {
        return Ok(()); // a missing root or folder is reported by the scan
    };
    if root != Path::new("/") && dir.starts_with(&root) {
        bail!(
            "refusing to take trusted keys from inside the audited root ({}): the target cannot \
             vouch for itself; use keys from the rescue medium",
            keys.display()
        );
    }
    Ok(())
}

fn draw_progress(rx: crossbeam_channel::Receiver<Progress>) {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(8));
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} {bytes}/{total_bytes} ({binary_bytes_per_sec}, ETA {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message("reading package database");
    let (mut files, mut total_files, mut packages) = (0u64, 0u64, 0u64);
    for ev in rx {
        match ev {
            Progress::DatabaseRead {
                packages: p,
                files: f,
                bytes,
            } => {
                packages = p;
                total_files = f;
                bar.set_length(bytes);
                bar.set_message(format!("{packages} packages, 0/{total_files} files"));
            }
            Progress::FileChecked { bytes } => {
                files += 1;
                bar.inc(bytes);
                if files < 256 || files % 64 == 0 || files == total_files {
                    bar.set_message(format!("{packages} packages, {files}/{total_files} files"));
                }
            }
            Progress::Finished => break,
            _ => {}
        }
    }
    bar.finish_and_clear();
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

fn one_line(e: &anyhow::Error) -> String {
    let s = format!("{e:#}");
    rootaudit::output::escape_bytes(s.replace('\n', " ").as_bytes())
}
