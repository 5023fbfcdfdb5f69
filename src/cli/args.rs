//! The command line's shape (clap): subcommands, options and their value
//! sets. Help, completions and the man page are generated from it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use rootaudit::check::CheckKind;
use rootaudit::model::Severity;

/// `rootaudit --version`: the version, then the commit, target triple and
/// linkage `build.rs` recorded (`-V` prints the first line only).
const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\ncommit: ",
    env!("ROOTAUDIT_COMMIT"),
    "\ntarget: ",
    env!("ROOTAUDIT_TARGET"),
    "\nstatic: ",
    env!("ROOTAUDIT_STATIC"),
);

/// Offline integrity auditor: verifies a Linux root against its own package
/// database, with trust anchored outside the target.
#[derive(Parser, Debug)]
#[command(name = "rootaudit", version, long_version = LONG_VERSION, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Audit the system mounted at ROOT (default `/`).
    Scan(Box<ScanArgs>),
    /// Inspect the trust store (the OpenPGP keys headers are checked with).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Make a minisign key pair for signing waivers and reports (the
    /// secret key is encrypted with a passphrase unless --no-password).
    Keygen(crate::cli::keygen::KeygenArgs),
    /// Check a report's signature (REPORT.minisig, from `scan --sign-key`)
    /// and print its trusted comment: host, root, scan id and time. Exit 0
    /// verified, 1 not verified, 2 on errors.
    VerifyReport(crate::cli::report_sign::VerifyReportArgs),
    /// Triage interactively: scan ROOT with the TUI attached (every `scan`
    /// option applies), or browse a saved report (--report FILE).
    Tui(Box<crate::cli::tui::TuiArgs>),
    /// List the scans recorded in the history, one line each; or bound it
    /// (--prune KEEP); or check that scans still run (--check-age AGE, for
    /// a monitoring probe: exit 1 when the last complete scan is too old).
    History(crate::cli::history::HistoryArgs),
    /// Show the findings that appeared (+), were resolved (-) or changed
    /// (~) between two scans of the history (default: the last two complete
    /// scans of a root); exit 0 when none, 1 when any, 2 on error.
    Diff(crate::cli::history::DiffArgs),
    /// Rescue kits (scripts/kit): check a kit folder's signed SHA256SUMS,
    /// its files and the running binary.
    #[command(subcommand)]
    Kit(crate::cli::kit::KitCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) of rootaudit to standard output.
    Man,
    /// Apply the scan's sandbox for ROOT, try what it must allow and deny,
    /// and print the outcome (a self-test, for the test suite).
    #[command(hide = true)]
    SandboxCheck {
        /// The root to confine to.
        root: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// List every key of the trust store: fingerprint, algorithm, user id,
    /// expiry and status (ok, expired, revoked, unsupported, invalid).
    List(TrustArgs),
}

/// Where trusted keys come from: shared by every command that judges
/// headers or lists keys.
#[derive(Args, Debug, Clone)]
pub struct TrustArgs {
    /// Folder of trusted OpenPGP public keys, from outside the target
    /// (repeatable). Default: `keys/` beside the binary,
    /// `../share/rootaudit/keys`, `/etc/rootaudit/keys`.
    #[arg(long, value_name = "DIR")]
    pub keys: Vec<PathBuf>,
}

/// A check `--checks` can select, or `none`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckArg {
    /// Judge every package header's digests and signatures.
    Headers,
    /// Verify every registered file (`rpm -V`).
    Files,
    /// Python bytecode and startup hooks no package accounts for.
    Bytecode,
    /// Files in package-managed trees that no package owns.
    Unowned,
    /// No check: only read the package database.
    None,
}

impl CheckArg {
    /// The check, or `None` for `none`.
    pub fn check(self) -> Option<CheckKind> {
        match self {
            CheckArg::Headers => Some(CheckKind::Headers),
            CheckArg::Files => Some(CheckKind::Files),
            CheckArg::Bytecode => Some(CheckKind::Bytecode),
            CheckArg::Unowned => Some(CheckKind::Unowned),
            CheckArg::None => None,
        }
    }
}

/// Report format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `rpm -V` layout and a summary, escaped for the terminal.
    Text,
    /// One JSON document (schema 2).
    Json,
    /// JSON Lines shaped as Elastic Common Schema, streamed as the scan
    /// goes: one alert per finding, then one event for the scan.
    Jsonl,
}

#[derive(Args, Debug, Clone)]
pub struct ScanArgs {
    /// Root of the system to audit (e.g. /mnt/sysimage).
    #[arg(default_value = "/")]
    pub root: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report here instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Comma-separated checks to run. Default: all. `none` only reads the
    /// package database (timing, database checks).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    pub checks: Option<Vec<CheckArg>>,
    /// Package database path inside ROOT (a file, or the directory holding
    /// it); default: auto-detect.
    #[arg(long, value_name = "PATH")]
    pub dbpath: Option<PathBuf>,
    /// Package database format; default: auto-detect.
    #[arg(long, value_name = "FORMAT", value_parser = db_names())]
    pub db: Option<String>,
    /// Exit 1 when a finding at or above this severity exists.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = Severity::Low)]
    pub fail_on: Severity,
    /// Print nothing when no finding reaches --fail-on (for cron, which
    /// mails whatever a job prints); otherwise only the findings and one
    /// summary line. Never a progress line.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Rank unsigned package headers high instead of medium.
    #[arg(long)]
    pub require_signatures: bool,
    /// Do not confine the auditor (Landlock: read only beneath ROOT, write
    /// only to its temporary directory; seccomp: no sockets, no exec).
    #[arg(long)]
    pub no_sandbox: bool,
    /// List every unregistered pyc and unowned file instead of one info
    /// summary per directory tree.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Comma-separated trees (inside ROOT) the `unowned` check walks,
    /// replacing the defaults; `!/PATH` excludes a subtree, a trailing `*`
    /// matches directory names (`/lib*`). Default: /usr, /bin, /sbin,
    /// /lib*, /boot, selected /etc subtrees, minus /usr/local.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub unowned_trees: Option<Vec<String>>,
    /// Apply the triage decisions of this waiver file (JSON, signed in
    /// minisign's format: FILE.minisig beside it). Accepted findings are
    /// reported as such and do not count toward the exit status. Needs
    /// --waiver-key; a file that does not verify is an error.
    #[arg(long, value_name = "FILE", requires = "waiver_key")]
    pub waivers: Option<PathBuf>,
    /// The minisign public key (from outside the target) the waiver file
    /// must be signed with.
    #[arg(long, value_name = "PUB", requires = "waivers")]
    pub waiver_key: Option<PathBuf>,
    /// Sign with this minisign secret key (from `rootaudit keygen` or
    /// `minisign -G`): the report (--output REPORT gets REPORT.minisig
    /// beside it) and, in the TUI, decisions in the --waivers file.
    #[arg(long, value_name = "KEY")]
    pub sign_key: Option<PathBuf>,
    /// Read the secret key's passphrase from the first line of this file
    /// instead of the terminal.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Record the scan in this history database (SQLite). Default when
    /// ROOT is `/`: /var/lib/rootaudit/state.sqlite; otherwise none (a
    /// rescue target is never written unless named here).
    #[arg(long, value_name = "FILE", conflicts_with = "no_state")]
    pub state: Option<PathBuf>,
    /// Keep no history, not even the default one for ROOT `/`.
    #[arg(long)]
    pub no_state: bool,
    /// Report only findings that are new since the previous complete scan
    /// of the same root in the history: absent from it, or with other
    /// content (all of them when there is none); the exit status counts
    /// only those.
    #[arg(long)]
    pub new_only: bool,
    /// When another scan holds the history's lock, wait for it instead of
    /// exiting with status 2.
    #[arg(long)]
    pub wait: bool,
    /// Be gentle on a busy server: lowest CPU priority (nice 19) and
    /// best-effort I/O priority 7.
    #[arg(long)]
    pub nice: bool,
    /// Hash at most this many MiB per second (all workers together).
    #[arg(long, value_name = "MIB_PER_S", value_parser = parse_rate)]
    pub max_rate: Option<f64>,
}

/// `--max-rate`: a positive number of MiB per second.
fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!("{s:?} is not a positive number of MiB per second")),
    }
}

/// `--db` accepts the names of the detection table's formats.
fn db_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        rootaudit::pkgdb::FORMATS.iter().map(|f| f.format.as_str()),
    )
}
