//! The `rootaudit` command line: parses arguments ([`cli::args`]), wires
//! the library's stages to a report sink, draws progress from the scan's
//! counters, and maps outcomes to exit status (0 clean, 1 findings at or
//! above `--fail-on`, 2 could not audit).

mod cli;

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{CommandFactory, Parser};
use cli::args::{Cli, Command, Format, KeysCommand, ScanArgs, TrustArgs};
use cli::guard::RootGuard;
use rootaudit::model::Severity;
use rootaudit::output::json::JsonSink;
use rootaudit::output::jsonl::JsonLinesSink;
use rootaudit::output::text::TextSink;
use rootaudit::scan::{CheckSet, Counters, NewOnly, ReportSink, SandboxInfo, ScanBuilder, Tee};
use rootaudit::trust::TrustStore;

fn main() -> ExitCode {
    cli::panic::install();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => scan(*args),
        Command::Keys(KeysCommand::List(args)) => keys_list(args),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "rootaudit", &mut io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => man(),
        Command::Tui(args) => cli::tui::run(*args, prepare_scan, |builder, args, sinks| {
            let thread = spawn_scan(builder, args, sinks)?;
            Ok(Box::new(move || Ok(thread.join()??.complete)))
        }),
        Command::Keygen(args) => cli::keygen::run(args),
        Command::History(args) => cli::history::run_history(args),
        Command::Diff(args) => cli::history::run_diff(args),
        Command::VerifyReport(args) => cli::report_sign::verify_report(args),
        Command::Kit(cmd) => cli::kit::run(cmd),
        Command::SandboxCheck { root } => sandbox_check(&root),
    };
    result.unwrap_or_else(fail)
}

fn fail(e: anyhow::Error) -> ExitCode {
    if is_broken_pipe(&e) {
        return ExitCode::SUCCESS;
    }
    // One line, through the terminal writer (error texts can quote the
    // target's bytes).
    let msg = format!("rootaudit: error: {e:#}").replace('\n', " ");
    let _ = rootaudit::output::Terminal::new(io::stderr()).line(msg.as_bytes());
    ExitCode::from(2)
}

/// `rootaudit man`.
fn man() -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The trust store from `--keys` folders, or the default folders.
fn load_trust(args: &TrustArgs) -> anyhow::Result<TrustStore> {
    let dirs = if args.keys.is_empty() {
        TrustStore::default_dirs()
    } else {
        args.keys.clone()
    };
    Ok(TrustStore::load(&dirs)?)
}

/// `rootaudit keys list`.
fn keys_list(args: TrustArgs) -> anyhow::Result<ExitCode> {
    let store = load_trust(&args)?;
    rootaudit::output::keys::write_list(&store, io::BufWriter::new(io::stdout().lock()))?;
    Ok(ExitCode::SUCCESS)
}

fn scan(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let (builder, counters) = prepare_scan(&args)?;
    let scan_id = new_scan_id()?;
    let builder = builder.scan_id(scan_id.clone());
    // The key before the scan: a wrong passphrase costs no scan.
    let signer = cli::report_sign::Signer::load(&args)?;
    let mut recording = cli::history::Recording::start(&args, &scan_id)?;
    let known = match (&recording, args.new_only) {
        (_, false) => None,
        (Some(r), true) => r.known_findings()?,
        (None, true) => bail!(
            "--new-only compares with the previous scan in the history: give --state FILE \
             (ROOT / has a default)"
        ),
    };
    let out: Box<dyn Write + Send> = match &args.output {
        Some(p) => Box::new(io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )),
        None => Box::new(io::BufWriter::new(io::stdout())),
    };
    let mut sink: Box<dyn ReportSink + Send> = match args.format {
        Format::Text if args.quiet => {
            Box::new(TextSink::new(out, args.verbose).quiet(args.fail_on))
        }
        Format::Text => Box::new(TextSink::new(out, args.verbose)),
        Format::Json => Box::new(JsonSink::new(out, args.verbose)),
        Format::Jsonl => Box::new(JsonLinesSink::new(out)),
    };
    let mut new_end = None;
    if let Some(known) = known {
        let filter = NewOnly::new(sink, known);
        new_end = Some(filter.end_handle());
        sink = Box::new(filter);
    }
    let mut sinks = vec![sink];
    if let Some(r) = &mut recording {
        sinks.push(r.sink());
    }
    cli::cron::stop_on_signals(counters.clone())?;
    let progress = (!args.quiet && io::stderr().is_terminal())
        .then(|| cli::progress::ProgressLine::start(counters.clone()));
    let thread = spawn_scan(builder, &args, sinks)?;
    // The history is written here, on this unconfined thread, while the
    // scan runs; it returns once the scan let go of its sink.
    let recorded = match &mut recording {
        Some(r) => r.record(),
        None => Ok(()),
    };
    let result = thread.join();
    if let Some(p) = progress {
        p.stop();
    }
    let result = result.and_then(|r| r.map_err(anyhow::Error::new));
    let result = match result {
        Err(e) if is_broken_pipe(&e) => {
            // The reader went away (`| head`): the report is cut short, but
            // the exit status still tells the truth about what was found.
            if let Some(r) = recording {
                r.finish(Err(&e))?;
            }
            let seen = counters_worst(&counters);
            if seen.is_some_and(|w| w >= args.fail_on) {
                return Ok(ExitCode::from(1));
            }
            return Ok(ExitCode::SUCCESS);
        }
        r => r,
    };
    if let Some(r) = recording {
        r.finish(result.as_ref())
            .context("recording the scan in the history")?;
    }
    recorded.context("recording the scan in the history")?;
    let end = result?;
    if let (Some(signer), Some(report)) = (&signer, &args.output) {
        signer.sign(
            report,
            &cli::report_sign::ReportMeta {
                host: &cli::host::name(),
                root: args.root.as_os_str().as_encoded_bytes(),
                scan_id: &scan_id,
                time: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs()),
            },
        )?;
    }
    if !end.complete {
        bail!(
            "the scan was stopped{} before it finished: the report is partial",
            if cli::cron::stopped() {
                " by a signal"
            } else {
                ""
            }
        );
    }
    let worst = match new_end.and_then(|h| h.lock().ok().and_then(|e| e.clone())) {
        Some(filtered) => filtered.worst,
        None => end.worst,
    };
    let failing = worst.is_some_and(|w| w >= args.fail_on);
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Everything a scan needs before it starts, shared by `scan` and `tui`:
/// the refusals (report, keys and waiver key inside ROOT), the trust store,
/// the verified waivers and the builder with every option.
fn prepare_scan(args: &ScanArgs) -> anyhow::Result<(ScanBuilder, Arc<Counters>)> {
    // Before the scan's threads start: they inherit the priority.
    if args.nice {
        cli::cron::lower_priority()?;
    }
    // Run from a rescue kit: say so, and how to check it (never under
    // --quiet: cron stays silent).
    if !args.quiet
        && let Some(notice) = cli::kit::notice_if_kit()
    {
        let _ = rootaudit::output::Terminal::new(io::stderr()).line(notice.as_bytes());
    }
    let checks = match &args.checks {
        None => CheckSet::all(),
        Some(list) => CheckSet::only(list.iter().filter_map(|c| c.check())),
    };
    let guard = cli::guard::RootGuard::new(&args.root);
    if let Some(out) = &args.output {
        refuse_output_inside_root(guard.as_ref(), out)?;
    }
    for dir in &args.trust.keys {
        refuse_keys_inside_root(guard.as_ref(), dir)?;
    }
    let store = load_trust(&args.trust)?;
    // A key file may be a symlink: judge each where it leads.
    for key in store.keys() {
        refuse_keys_inside_root(guard.as_ref(), &key.source)?;
    }
    // Read and verified now, before the scan confines itself.
    let waivers = cli::waivers::load(args, guard.as_ref())?;
    let counters = Arc::new(Counters::new());
    if let Some(rate) = args.max_rate {
        counters.limit_rate(rate * 1024.0 * 1024.0);
    }
    let mut builder = ScanBuilder::new(&args.root)
        .checks(checks)
        .trust_store(store)
        .require_signatures(args.require_signatures)
        .verbose(args.verbose)
        .counters(counters.clone())
        .scan_id(new_scan_id()?)
        .host(cli::host::name());
    if let Some(w) = waivers {
        builder = builder.waivers(w);
    }
    if let Some(trees) = &args.unowned_trees {
        builder = builder.unowned_trees(rootaudit::check::unowned::UnownedTrees::parse(trees)?);
    }
    if let Some(j) = args.jobs {
        builder = builder.jobs(j);
    }
    if let Some(db) = &args.dbpath {
        builder = builder.dbpath(db);
    }
    if let Some(name) = &args.db {
        let format = rootaudit::pkgdb::DbFormat::parse(name)
            .with_context(|| format!("unknown database format {name:?}"))?;
        builder = builder.db_format(format);
    }
    // The scan runs on a thread of its own that confines itself first; its
    // worker pool inherits the confinement. This thread stays free to
    // remove the private temporary directory afterwards (which takes write
    // access to its parent). The thread count is settled here: the default
    // reads cgroup files outside ROOT.
    if args.jobs.is_none() {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get());
        builder = builder.jobs(n);
    }
    Ok((builder, counters))
}

/// A fresh scan id: 8 random bytes as 16 hex digits.
fn new_scan_id() -> anyhow::Result<String> {
    let mut raw = [0u8; 8];
    getrandom::fill(&mut raw).map_err(|e| anyhow::anyhow!("no randomness for a scan id: {e}"))?;
    Ok(hex::encode(raw))
}

/// A scan running on its own thread.
struct ScanThread {
    handle: std::thread::JoinHandle<Result<rootaudit::scan::ScanEnd, rootaudit::Error>>,
    private_tmp: Option<tempfile::TempDir>,
}

impl ScanThread {
    /// Wait for the scan; then remove the private temporary directory.
    fn join(self) -> anyhow::Result<Result<rootaudit::scan::ScanEnd, rootaudit::Error>> {
        let result = self
            .handle
            .join()
            .map_err(|_| anyhow::anyhow!("the scan stopped on an internal error (a panic)"));
        drop(self.private_tmp);
        result
    }
}

/// Start the scan on a thread of its own, reporting to every sink of
/// `sinks` in order.
fn spawn_scan(
    builder: ScanBuilder,
    args: &ScanArgs,
    mut sinks: Vec<Box<dyn ReportSink + Send>>,
) -> anyhow::Result<ScanThread> {
    let private_tmp = if args.no_sandbox {
        None
    } else {
        Some(cli::sandbox::private_tmp().context("creating a private temporary directory")?)
    };
    let tmp_path = private_tmp.as_ref().map(|t| t.path().to_path_buf());
    let root = args.root.clone();
    let handle = std::thread::Builder::new()
        .name("rootaudit-scan".into())
        .spawn(move || {
            let sandbox = match &tmp_path {
                None => SandboxInfo {
                    active: false,
                    description: "off (--no-sandbox)".into(),
                },
                Some(tmp) => {
                    let c = cli::sandbox::confine(&root, tmp);
                    SandboxInfo {
                        active: c.complete(),
                        description: c.describe(),
                    }
                }
            };
            let mut tee = Tee(sinks
                .iter_mut()
                .map(|s| &mut **s as &mut (dyn ReportSink + Send))
                .collect());
            builder.sandbox(sandbox).run_with(&mut tee)
        })
        .context("starting the scan thread")?;
    Ok(ScanThread {
        handle,
        private_tmp,
    })
}

/// The audit never writes into the target: refuse a report path that
/// leads into a mounted ROOT (auditing `/` itself has nowhere else to
/// write).
fn refuse_output_inside_root(guard: Option<&RootGuard>, out: &Path) -> anyhow::Result<()> {
    if let Some(g) = guard
        && g.contains(out)
    {
        bail!(
            "refusing to write the report into the audited root ({}): choose a path outside {}",
            out.display(),
            g.root().display()
        );
    }
    Ok(())
}

/// Trust flows from outside in: refuse a `--keys` folder, or a key file in
/// one, that leads into a mounted ROOT (the target would vouch for itself).
fn refuse_keys_inside_root(guard: Option<&RootGuard>, keys: &Path) -> anyhow::Result<()> {
    if let Some(g) = guard
        && g.contains(keys)
    {
        bail!(
            "refusing to take trusted keys from inside the audited root ({}): the target cannot \
             vouch for itself; use keys from the rescue medium",
            keys.display()
        );
    }
    Ok(())
}

/// `rootaudit sandbox-check ROOT` (hidden): confine as a scan would, try
/// what the sandbox must allow and what it must deny, print one line each.
fn sandbox_check(root: &Path) -> anyhow::Result<ExitCode> {
    let private = cli::sandbox::private_tmp()?;
    let tmp = private.path().to_path_buf();
    let root = root.to_path_buf();
    let lines = std::thread::spawn(move || {
        let c = cli::sandbox::confine(&root, &tmp);
        let outcome = |r: io::Result<()>| match r {
            Ok(()) => "allowed".to_string(),
            Err(e) => format!("denied ({e})"),
        };
        let probe = root.join("rootaudit-sandbox-probe");
        // A probe that would change something runs only when the layer that
        // must stop it is in force: never write into a target for real.
        let guarded = |active: bool, attempt: &dyn Fn() -> io::Result<()>| {
            if active {
                outcome(attempt())
            } else {
                "skipped (not confined)".to_string()
            }
        };
        let landlock = c.landlock.is_ok();
        vec![
            format!("sandbox {}", c.describe()),
            format!("read-root {}", outcome(std::fs::read_dir(&root).map(drop))),
            format!(
                "write-root {}",
                guarded(landlock, &|| std::fs::write(&probe, b"x"))
            ),
            format!(
                "write-tmp {}",
                outcome(std::fs::write(tmp.join("probe"), b"x"))
            ),
            format!(
                "write-host {}",
                guarded(landlock, &|| std::fs::write(
                    std::env::temp_dir()
                        .parent()
                        .unwrap_or(Path::new("/"))
                        .join("rootaudit-sandbox-probe"),
                    b"x"
                ))
            ),
            format!(
                "truncate-root {}",
                guarded(c.seccomp.is_ok(), &|| truncate_path(&root.join("etc/keep")))
            ),
            format!(
                "connect {}",
                outcome(std::net::TcpStream::connect("127.0.0.1:9").map(drop))
            ),
            format!(
                "exec {}",
                outcome(std::process::Command::new("/bin/true").status().map(drop))
            ),
        ]
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the probe panicked"))?;
    drop(private);
    let mut out = io::stdout().lock();
    for l in lines {
        writeln!(out, "{l}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `truncate(2)` by path (what the sandbox must deny on the target).
fn truncate_path(path: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(io::Error::other)?;
    // SAFETY: `c` is a valid NUL-terminated path for the call's duration.
    match unsafe { libc::truncate(c.as_ptr(), 0) } {
        0 => Ok(()),
        _ => Err(io::Error::last_os_error()),
    }
}

/// The most severe finding the scan counted.
fn counters_worst(counters: &Counters) -> Option<Severity> {
    let seen = counters.snapshot();
    [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ]
    .into_iter()
    .find(|s| seen.findings_at(*s) > 0)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
