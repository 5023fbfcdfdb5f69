//! `rootaudit tui [ROOT]` and `rootaudit tui --report FILE`: the triage TUI
//! at the binary's edge. Loads the signing key (asking for its passphrase
//! before the screen switches), the waiver file, and either starts the scan
//! with the TUI attached as a report sink or loads a saved report; then
//! runs `rootaudit::tui::app` and maps the outcome to the exit status.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use clap::Args;
use rootaudit::model::Severity;
use rootaudit::output::json::JsonSink;
use rootaudit::output::jsonl::JsonLinesSink;
use rootaudit::output::text::TextSink;
use rootaudit::scan::ReportSink;
use rootaudit::sign::SecretKey;
use rootaudit::tui::app::{self, Hooks};
use rootaudit::tui::sink::TuiSink;
use rootaudit::tui::state::{AppState, Info, Look, Status};
use rootaudit::tui::update::update;
use rootaudit::waiver::{Subject, WaiverFile};

use super::args::{Format, ScanArgs};
use super::guard::RootGuard;

/// `rootaudit tui`: every `scan` option, and the TUI's own.
#[derive(Args, Debug)]
pub struct TuiArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Triage this saved JSON report (schema 2) instead of scanning.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Plain ASCII: borders, markers and escapes (automatic under
    /// TERM=linux, the Linux console).
    #[arg(long)]
    pub ascii: bool,
}

/// Set by SIGTERM/SIGHUP: the TUI leaves, restoring the terminal.
static TERM: AtomicBool = AtomicBool::new(false);
/// True while the TUI owns the terminal (the panic hook restores it).
pub static ACTIVE: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    TERM.store(true, Ordering::Relaxed);
}

fn catch_signals() {
    for sig in [libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only stores to an atomic (async-signal-safe).
        unsafe {
            libc::signal(sig, on_signal as *const () as libc::sighandler_t);
        }
    }
}

/// Restore the terminal if the TUI holds it (for the panic hook).
pub fn restore_if_active() {
    if ACTIVE.swap(false, Ordering::Relaxed) {
        app::restore();
    }
}

/// What the session writes: decisions into the waiver file, exports.
struct Session {
    waivers: Option<(PathBuf, WaiverFile)>,
    key: Option<SecretKey>,
    guard: Option<RootGuard>,
    /// The report as JSON: a saved report's document, or a live scan's
    /// JSON sink's output.
    document: Arc<Mutex<Vec<u8>>>,
}

impl Hooks for Session {
    fn decided(&mut self, state: &AppState, items: &[u32]) -> Result<String, String> {
        let Some((path, file)) = &mut self.waivers else {
            return Err("kept for this session only (no --waivers FILE --sign-key KEY)".into());
        };
        for &i in items {
            let it = &state.items[i as usize];
            let Some(subject) = Subject::from_json(&it.value()) else {
                continue;
            };
            match &it.decision {
                Some(d) => {
                    file.decide(
                        subject,
                        it.kind,
                        (!it.path.is_empty()).then(|| it.path.clone().into()),
                        it.nevra.clone(),
                        d.clone(),
                    );
                }
                None => {
                    file.undo(subject.id);
                }
            }
        }
        let Some(key) = &self.key else {
            return Err("no --sign-key: decisions are not saved".into());
        };
        file.write_signed(path, key).map_err(|e| e.to_string())?;
        Ok(format!(
            "{} decision(s) signed into {}",
            file.len(),
            path.display()
        ))
    }

    fn export(&mut self, state: &AppState, dir: &str) -> Result<String, String> {
        let dir = PathBuf::from(dir);
        if let Some(g) = &self.guard
            && g.contains(&dir)
        {
            return Err(format!(
                "{} is inside the audited root: choose a folder outside it",
                dir.display()
            ));
        }
        let doc = {
            let buf = self.document.lock().map_err(|_| "report buffer poisoned")?;
            serde_json::from_slice::<serde_json::Value>(&buf).ok()
        };
        let date = rootaudit::trust::headers::date(rootaudit::waiver::unix_now());
        let done = rootaudit::tui::export::export(state, doc.as_ref(), &dir, &date)
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(format!(
            "wrote report.json, report.txt and plan.sh ({} finding(s) planned) into {}",
            done.planned,
            done.dir.display()
        ))
    }
}

/// A writer into a shared buffer (the live scan's JSON report).
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Waits for the scan thread; true when the scan completed.
pub type WaitScan = Box<dyn FnOnce() -> anyhow::Result<bool>>;

/// `rootaudit tui`.
pub fn run(
    args: TuiArgs,
    prepare: impl FnOnce(
        &ScanArgs,
    ) -> anyhow::Result<(
        rootaudit::scan::ScanBuilder,
        Arc<rootaudit::scan::Counters>,
    )>,
    spawn: impl FnOnce(
        rootaudit::scan::ScanBuilder,
        &ScanArgs,
        Vec<Box<dyn ReportSink + Send>>,
    ) -> anyhow::Result<WaitScan>,
) -> anyhow::Result<ExitCode> {
    // The history belongs to scheduled scans: say so rather than ignore it.
    if args.scan.state.is_some() || args.scan.new_only || args.scan.wait {
        bail!(
            "--state, --new-only and --wait are for scheduled scans (`rootaudit scan`); the TUI \
             keeps no history (triage last night's report with `rootaudit tui --report FILE`)"
        );
    }
    let guard = RootGuard::new(&args.scan.root);
    // Decisions are written to the waiver file: never into the audited root.
    if let (Some(g), Some(path)) = (&guard, &args.scan.waivers)
        && g.contains(path)
    {
        bail!(
            "refusing to write the waiver file into the audited root ({}): choose a path \
             outside {}",
            path.display(),
            g.root().display()
        );
    }
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        bail!("the TUI needs a terminal; for a report use `rootaudit scan` (--format json|text)");
    }
    let term_linux = std::env::var_os("TERM").is_some_and(|t| t == "linux");
    let look = Look {
        ascii: args.ascii || term_linux,
        color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    if args.scan.sign_key.is_some() && args.scan.waivers.is_none() {
        bail!("--sign-key in the TUI signs decisions: give the --waivers file to write them to");
    }
    // The key first: its passphrase is asked on the plain terminal.
    let key = match &args.scan.sign_key {
        Some(p) => Some(super::password::load_secret_key(
            p,
            args.scan.password_file.as_deref(),
        )?),
        None => None,
    };
    // An existing waiver file is verified as `scan` verifies it; a new
    // one starts empty, for this root.
    let waivers = match &args.scan.waivers {
        None => None,
        Some(path) => {
            let loaded = if path.exists() {
                super::waivers::load(&args.scan, guard.as_ref())?
            } else {
                None
            };
            let file = loaded.unwrap_or_else(|| {
                WaiverFile::new(
                    super::host::name(),
                    args.scan.root.as_os_str().as_encoded_bytes().to_vec(),
                )
            });
            Some((path.clone(), file))
        }
    };
    let document = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = crossbeam_channel::unbounded();
    let (state, counters, wait): (AppState, _, Option<WaitScan>) = match &args.report {
        Some(file) => {
            let bytes =
                std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            let saved = rootaudit::tui::report::load(&bytes, file.as_os_str().as_encoded_bytes())
                .with_context(|| format!("{}", file.display()))?;
            *document.lock().map_err(|_| anyhow::anyhow!("poisoned"))? = bytes;
            let mut state = AppState::new(
                saved.info,
                Status::Saved {
                    complete: saved.complete,
                },
                look,
                (80, 24),
            );
            for e in saved.events {
                update(&mut state, e);
            }
            // Decisions of the waiver file apply to a saved report too.
            if let Some((_, w)) = &waivers {
                let now = rootaudit::waiver::unix_now();
                for it in &mut state.items {
                    if let Some(s) = Subject::from_json(&it.value())
                        && let Some(d) = w.lookup(&s, now)
                    {
                        it.decision = Some(d.clone());
                    }
                }
            }
            drop(tx);
            (state, None, None)
        }
        None => {
            // The waiver file is verified above already: the scan gets it
            // as loaded, not by path again.
            let mut scan_args = args.scan.clone();
            scan_args.waivers = None;
            scan_args.waiver_key = None;
            let (mut builder, counters) = prepare(&scan_args)?;
            if let Some((_, file)) = &waivers
                && file.origin().is_some()
            {
                builder = builder.waivers(file.clone());
            }
            let mut sinks: Vec<Box<dyn ReportSink + Send>> = vec![
                Box::new(TuiSink::new(tx)),
                Box::new(JsonSink::new(Shared(document.clone()), true)),
            ];
            // `--output FILE` also writes the report there, as `scan` would
            // (checked against ROOT by `prepare`).
            if let Some(p) = &scan_args.output {
                let out = io::BufWriter::new(
                    std::fs::File::create(p)
                        .with_context(|| format!("cannot write {}", p.display()))?,
                );
                let sink: Box<dyn ReportSink + Send> = match scan_args.format {
                    Format::Text => Box::new(TextSink::new(out, scan_args.verbose)),
                    Format::Json => Box::new(JsonSink::new(out, scan_args.verbose)),
                    Format::Jsonl => Box::new(JsonLinesSink::new(out)),
                };
                sinks.push(sink);
            }
            let wait = spawn(builder, &scan_args, sinks)?;
            let info = Info {
                root: args.scan.root.as_os_str().as_encoded_bytes().to_vec(),
                ..Info::default()
            };
            let state = AppState::new(info, Status::Scanning, look, (80, 24));
            (state, Some(counters), Some(wait))
        }
    };
    let mut session = Session {
        waivers,
        key,
        guard,
        document,
    };
    catch_signals();
    ACTIVE.store(true, Ordering::Relaxed);
    let result = app::run(state, rx, counters.clone(), &TERM, &mut session);
    ACTIVE.store(false, Ordering::Relaxed);
    let state = result.context("running the TUI")?;
    if let Some(c) = &counters {
        c.cancel();
    }
    let complete = match wait {
        Some(w) => {
            eprintln!("rootaudit: waiting for the scan to stop…");
            w()?
        }
        None => matches!(state.status, Status::Saved { complete: true }),
    };
    // One summary line on the plain terminal.
    let (by, accepted) = state.counts();
    let total: u64 = by.iter().sum();
    let worst = state
        .items
        .iter()
        .filter(|i| !i.waived())
        .map(|i| i.severity)
        .max();
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "rootaudit: {total} finding(s), {accepted} accepted{}{}",
        if complete {
            ""
        } else {
            "; the scan was not complete"
        },
        session
            .waivers
            .as_ref()
            .filter(|_| session.key.is_some())
            .map(|(p, _)| format!("; decisions in {}", p.display()))
            .unwrap_or_default()
    )?;
    Ok(exit_code(worst, args.scan.fail_on, complete))
}

/// 1 when a finding not accepted reaches `--fail-on`; else 2 when the scan
/// did not complete (it could not audit everything); else 0.
fn exit_code(worst: Option<Severity>, fail_on: Severity, complete: bool) -> ExitCode {
    if worst.is_some_and(|w| w >= fail_on) {
        ExitCode::from(1)
    } else if !complete {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
