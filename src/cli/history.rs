//! The history of scheduled scans, at the command line: recording a scan
//! (`scan --state`, `--new-only`, the lock) and the `history` and `diff`
//! subcommands. The database itself is [`rootaudit::history`]; this module
//! picks the state file, describes the options, and prints (every line
//! through [`Terminal`], the one escaper).
//!
//! The state file: `--state FILE`, or `/var/lib/rootaudit/state.sqlite`
//! when ROOT is `/` (canonically) and `--no-state` is not given; a rescue
//! target (ROOT other than `/`) is never written unless named.

use std::collections::HashMap;
use std::io::{self, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
use rootaudit::history::{
    self, History, HistoryError, Outcome, Recorder, ScanRecord, ScanStart, StateLock, StoredFinding,
};
use rootaudit::model::{Bytes, Severity};
use rootaudit::output::Terminal;
use rootaudit::scan::{ReportSink, ScanEnd};
use serde_json::{Value, json};

use super::args::ScanArgs;

/// The state file of scans of `/` unless `--state` says otherwise.
pub const DEFAULT_STATE: &str = "/var/lib/rootaudit/state.sqlite";

/// The state file a scan records into, if any (see the module doc).
pub fn state_path(args: &ScanArgs) -> Option<PathBuf> {
    if args.no_state {
        return None;
    }
    if let Some(p) = &args.state {
        return Some(p.clone());
    }
    let root = std::fs::canonicalize(&args.root).ok()?;
    (root == Path::new("/")).then(|| PathBuf::from(DEFAULT_STATE))
}

/// True when `e` comes down to a permission or a read-only file system.
fn cannot_write(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
            )
        })
    })
}

/// One scan being recorded in the history: the open state database, its
/// lock (held until this is dropped) and the scan's row.
pub struct Recording {
    recorder: Recorder,
}

impl Recording {
    /// Open (creating) the history `args` names, or the default one for
    /// ROOT `/`; take its lock (waiting with `--wait`, else failing at
    /// once, naming the holder); mark scans left `running` by a killed run
    /// `interrupted`; commit this scan's row (`running`, a heartbeat even
    /// if the scan then fails). `None`: no history for this scan.
    pub fn start(args: &ScanArgs, scan_id: &str) -> anyhow::Result<Option<Recording>> {
        let Some(path) = state_path(args) else {
            return Ok(None);
        };
        match Recording::open(args, scan_id, &path) {
            // The default history of ROOT `/` where this user (or a
            // read-only system) cannot write: the scan still runs, and says
            // it keeps no history. A named --state, --new-only (which needs
            // the history) and a held lock stay errors.
            Err(e) if args.state.is_none() && !args.new_only && cannot_write(&e) => {
                let notice = format!(
                    "rootaudit: no history kept: {e:#} (--state FILE to keep one elsewhere, \
                     --no-state to say none)"
                );
                let _ = rootaudit::output::Terminal::new(std::io::stderr())
                    .line(notice.replace('\n', " ").as_bytes());
                Ok(None)
            }
            r => r.map(Some),
        }
    }

    fn open(args: &ScanArgs, scan_id: &str, path: &Path) -> anyhow::Result<Recording> {
        let path = path.to_path_buf();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.exists()
        {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let lock = StateLock::acquire(&path, args.wait)?;
        let history = History::open(&path)?;
        // The same root is the same bytes however it was spelled.
        let root = std::fs::canonicalize(&args.root).unwrap_or_else(|_| args.root.clone());
        let start = ScanStart::now(
            scan_id,
            &super::host::name(),
            root.as_path(),
            options(args).to_string(),
        );
        let recorder = Recorder::start(history, lock, &start)?;
        Ok(Recording { recorder })
    }

    /// Ids of the findings of the previous complete scan of the same root,
    /// or `None` when there is none (`--new-only` then reports all).
    pub fn known_findings(&self) -> anyhow::Result<Option<HashMap<String, serde_json::Value>>> {
        Ok(self.recorder.known_findings()?)
    }

    /// The sink to hand the scan (it runs on the scan's thread and sends
    /// what it gets to [`Recording::record`]).
    pub fn sink(&mut self) -> Box<dyn ReportSink + Send> {
        Box::new(self.recorder.sink())
    }

    /// Store what the sink sends, on the calling thread, until the scan
    /// drops the sink: every finding in one transaction.
    pub fn record(&mut self) -> anyhow::Result<()> {
        Ok(self.recorder.record()?)
    }

    /// Close the scan's row: `complete` or `interrupted` (from the end the
    /// scan reported), or `failed` with the error.
    pub fn finish(self, outcome: Result<&ScanEnd, &anyhow::Error>) -> anyhow::Result<()> {
        match outcome {
            Ok(end) if end.complete => self.recorder.finish(Outcome::Complete, None)?,
            Ok(_) => self.recorder.finish(Outcome::Interrupted, None)?,
            Err(e) => {
                let text = format!("{e:#}");
                self.recorder.finish(Outcome::Failed, Some(&text))?
            }
        }
        Ok(())
    }
}

/// The options that shape a scan's result, as stored with it.
fn options(args: &ScanArgs) -> Value {
    let name = |v: &dyn Fn() -> Option<clap::builder::PossibleValue>| {
        v().map(|p| p.get_name().to_string())
    };
    let path = |p: &Path| Bytes::from(p);
    json!({
        "checks": args.checks.as_ref().map(|list| {
            list.iter().filter_map(|c| name(&|| c.to_possible_value())).collect::<Vec<_>>()
        }),
        "fail_on": args.fail_on.as_str(),
        "db": args.db,
        "dbpath": args.dbpath.as_deref().map(path),
        "jobs": args.jobs,
        "verbose": args.verbose,
        "new_only": args.new_only,
        "max_rate": args.max_rate,
        "nice": args.nice,
        "quiet": args.quiet,
        "format": name(&|| args.format.to_possible_value()),
        "require_signatures": args.require_signatures,
        "no_sandbox": args.no_sandbox,
        "unowned_trees": args.unowned_trees,
        "keys": args.trust.keys.iter().map(|k| path(k)).collect::<Vec<_>>(),
        "waivers": args.waivers.as_deref().map(path),
    })
}

/// Output format of `history` and `diff`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Lines for people, escaped for the terminal.
    #[default]
    Text,
    /// One JSON document (raw bytes kept: see `docs/history.md`).
    Json,
}

/// Options of `rootaudit history`.
#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// The history database.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_STATE)]
    pub state: PathBuf,
    /// Keep only the newest KEEP scans: delete the others and their
    /// findings and give the space back. Takes the scans' lock (exit 2
    /// while a scan runs).
    #[arg(long, value_name = "KEEP", conflicts_with = "check_age")]
    pub prune: Option<u64>,
    /// For a monitoring probe: exit 1 with one line when the last complete
    /// scan ended longer ago than AGE (e.g. 36h, 2d, 1w; units s, m, h, d,
    /// w), or there is none; else exit 0 with one line.
    #[arg(long, value_name = "AGE", value_parser = parse_age_arg)]
    pub check_age: Option<Duration>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ListFormat,
}

fn parse_age_arg(s: &str) -> Result<Duration, String> {
    history::parse_age(s).map_err(|e| e.to_string())
}

/// Options of `rootaudit diff`.
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The older scan's number, as `rootaudit history` shows it. Default:
    /// the complete scan of the same root before B.
    #[arg(value_name = "A")]
    pub a: Option<i64>,
    /// The newer scan's number. Default: the last complete scan (of A's
    /// root when A is given).
    #[arg(value_name = "B")]
    pub b: Option<i64>,
    /// The history database.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_STATE)]
    pub state: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ListFormat,
}

/// `rootaudit history`.
pub fn run_history(args: HistoryArgs) -> anyhow::Result<ExitCode> {
    if let Some(max) = args.check_age {
        return check_age(&args.state, max, args.format);
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    if let Some(keep) = args.prune {
        let lock = StateLock::acquire(&args.state, false)?;
        let history = History::open_existing(&args.state)?;
        let done = history.prune(keep, &lock)?;
        match args.format {
            ListFormat::Json => writeln!(out, "{}", serde_json::to_string(&done)?)?,
            ListFormat::Text => Terminal::new(&mut out).line(
                format!(
                    "pruned {} scan(s), kept {} in {}",
                    done.removed,
                    done.kept,
                    args.state.display()
                )
                .as_bytes(),
            )?,
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let history = History::open_reader(&args.state)?;
    let scans = history.scans()?;
    let held = StateLock::is_held(&args.state);
    match args.format {
        ListFormat::Json => {
            let list: Vec<Value> = scans.iter().map(|s| scan_json(s, held)).collect();
            serde_json::to_writer(&mut out, &json!({ "scans": list }))?;
            writeln!(out)?;
        }
        ListFormat::Text => {
            let mut t = Terminal::new(&mut out);
            if scans.is_empty() {
                t.line(format!("no scans recorded in {}", args.state.display()).as_bytes())?;
            } else {
                t.line(
                    format!(
                        "{:>5}  {:<19}  {:>7}  {:<11}  {:>5} {:>5} {:>5} {:>5} {:>5}  root",
                        "#",
                        "started (UTC)",
                        "took",
                        "outcome",
                        "crit",
                        "high",
                        "med",
                        "low",
                        "info"
                    )
                    .as_bytes(),
                )?;
            }
            for s in &scans {
                t.line(&scan_line(s, held))?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// A `running` row is a scan in progress only while someone holds the
/// lock; otherwise its process is gone (killed): shown `interrupted`.
fn shown_outcome(s: &ScanRecord, held: Option<bool>) -> Outcome {
    match (s.outcome, held) {
        (Outcome::Running, Some(false)) => Outcome::Interrupted,
        (o, _) => o,
    }
}

/// One line of `history` (raw bytes: the root may be any bytes).
fn scan_line(s: &ScanRecord, held: Option<bool>) -> Vec<u8> {
    let took = s
        .ended
        .map_or("-".to_string(), |e| span(e.saturating_sub(s.started)));
    let counts: Vec<String> = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ]
    .iter()
    .map(|sev| {
        s.severities
            .map_or("-".to_string(), |c| c.get(*sev).to_string())
    })
    .collect();
    let mut line = format!(
        "{:>5}  {:<19}  {:>7}  {:<11}  {:>5} {:>5} {:>5} {:>5} {:>5}  ",
        s.number,
        utc(s.started),
        took,
        shown_outcome(s, held).as_str(),
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        counts[4],
    )
    .into_bytes();
    line.extend_from_slice(s.root.as_bytes());
    if s.accepted > 0 {
        line.extend_from_slice(format!("  ({} accepted)", s.accepted).as_bytes());
    }
    if let Some(e) = &s.error {
        line.extend_from_slice(b"  error: ");
        line.extend_from_slice(e.as_bytes());
    }
    line
}

/// A scan in JSON: every stored fact, `options` as the object it is.
fn scan_json(s: &ScanRecord, held: Option<bool>) -> Value {
    let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        if let Ok(opts) = serde_json::from_str::<Value>(&s.options) {
            o.insert("options".into(), opts);
        }
        o.insert(
            "outcome".into(),
            Value::from(shown_outcome(s, held).as_str()),
        );
        o.insert("started_utc".into(), Value::from(utc(s.started)));
    }
    v
}

/// `history --check-age AGE`: one line, exit 0 (recent enough) or 1.
fn check_age(state: &Path, max: Duration, format: ListFormat) -> anyhow::Result<ExitCode> {
    let last = match History::open_reader(state) {
        Ok(h) => h.last_complete(None, None)?,
        // No history at all: scans never ran, which is what the probe is for.
        Err(HistoryError::Missing { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let now = history::unix_now();
    let age = last
        .as_ref()
        .map(|s| now.saturating_sub(s.ended.unwrap_or(s.started)));
    let ok = age.is_some_and(|a| a <= max.as_secs());
    let mut out = io::stdout().lock();
    match format {
        ListFormat::Json => {
            let doc = json!({
                "ok": ok,
                "max_age": max.as_secs(),
                "age": age,
                "last_complete": last.as_ref().map(|s| scan_json(s, None)),
            });
            writeln!(out, "{doc}")?;
        }
        ListFormat::Text => {
            let limit = span(max.as_secs());
            let line = match (&last, age) {
                (Some(s), Some(a)) => format!(
                    "{}: last complete scan #{} ended {} ago ({} UTC){}",
                    if ok { "ok" } else { "STALE" },
                    s.number,
                    span(a),
                    utc(s.ended.unwrap_or(s.started)),
                    if ok {
                        format!(", within {limit}")
                    } else {
                        format!(", longer than {limit}")
                    }
                ),
                _ => format!("STALE: no complete scan recorded in {}", state.display()),
            };
            Terminal::new(&mut out).line(line.as_bytes())?;
        }
    }
    out.flush()?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `rootaudit diff`: exit 0 when the two scans found the same, 1 when not.
pub fn run_diff(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let history = History::open_reader(&args.state)?;
    let (a, b) = history.pair(args.a, args.b)?;
    let d = history::diff(&history.findings(a.number)?, &history.findings(b.number)?);
    let held = StateLock::is_held(&args.state);
    let mut out = io::BufWriter::new(io::stdout().lock());
    match args.format {
        ListFormat::Json => {
            let f = |x: &StoredFinding| x.value().unwrap_or_else(|| Value::from(x.json.clone()));
            let doc = json!({
                "from": scan_json(&a, held),
                "to": scan_json(&b, held),
                "appeared": d.appeared.iter().map(f).collect::<Vec<_>>(),
                "resolved": d.resolved.iter().map(f).collect::<Vec<_>>(),
                "changed": d.changed.iter().map(|c| json!({
                    "before": f(&c.before),
                    "after": f(&c.after),
                })).collect::<Vec<_>>(),
            });
            serde_json::to_writer(&mut out, &doc)?;
            writeln!(out)?;
        }
        ListFormat::Text if !d.is_empty() => {
            let mut t = Terminal::new(&mut out);
            t.line(&diff_header("---", &a, held))?;
            t.line(&diff_header("+++", &b, held))?;
            // One list in report order, as diff(1) interleaves.
            let mut lines: Vec<(&StoredFinding, Vec<u8>)> = Vec::new();
            lines.extend(d.appeared.iter().map(|f| (f, finding_line('+', f, None))));
            lines.extend(d.resolved.iter().map(|f| (f, finding_line('-', f, None))));
            lines.extend(
                d.changed
                    .iter()
                    .map(|c| (&c.after, finding_line('~', &c.after, Some(&c.before)))),
            );
            lines.sort_by(|x, y| {
                (x.0.path_bytes(), x.0.kind.as_str(), &x.0.id, &x.1).cmp(&(
                    y.0.path_bytes(),
                    y.0.kind.as_str(),
                    &y.0.id,
                    &y.1,
                ))
            });
            for (_, l) in lines {
                t.line(&l)?;
            }
        }
        ListFormat::Text => {}
    }
    out.flush()?;
    Ok(if d.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `--- #3 2025-01-02 03:04:05 UTC complete /` (raw bytes).
fn diff_header(mark: &str, s: &ScanRecord, held: Option<bool>) -> Vec<u8> {
    let mut l = format!(
        "{mark} #{} {} UTC {} ",
        s.number,
        utc(s.started),
        shown_outcome(s, held)
    )
    .into_bytes();
    l.extend_from_slice(s.root.as_bytes());
    l
}

/// `+ high file-changed /usr/bin/su [util-linux-2.37.4-9.el9.x86_64]:
/// MESSAGE` (raw bytes); a changed finding ends in what it was.
fn finding_line(mark: char, f: &StoredFinding, before: Option<&StoredFinding>) -> Vec<u8> {
    let value = f.value().unwrap_or(Value::Null);
    let mut l = format!("{mark} {:<8} {}", f.severity.as_str(), f.kind.as_str()).into_bytes();
    if let Some(p) = &f.path {
        l.push(b' ');
        l.extend_from_slice(p.as_bytes());
    }
    if let Some(nevra) = value["package"]["nevra"].as_str() {
        l.extend_from_slice(format!(" [{nevra}]").as_bytes());
    } else if let Some(name) = &f.package {
        l.extend_from_slice(format!(" [{name}]").as_bytes());
    }
    if let Some(v) = f.decision {
        l.extend_from_slice(format!(" [{}]", v.as_str()).as_bytes());
    }
    let message = message(&value);
    if !message.is_empty() {
        l.extend_from_slice(b": ");
        l.extend_from_slice(&message);
    }
    if let Some(b) = before {
        let old = message_of(b);
        if b.severity != f.severity || old != message {
            l.extend_from_slice(format!(" (was {}: ", b.severity.as_str()).as_bytes());
            l.extend_from_slice(&old);
            l.push(b')');
        } else {
            l.extend_from_slice(b" (details changed)");
        }
    }
    l
}

/// The finding's rendered sentence, raw (from its stored JSON).
fn message(value: &Value) -> Vec<u8> {
    serde_json::from_value::<Bytes>(value["message"].clone()).map_or(Vec::new(), |b| b.0)
}

fn message_of(f: &StoredFinding) -> Vec<u8> {
    message(&f.value().unwrap_or(Value::Null))
}

/// `2025-01-02 03:04:05` (UTC) from seconds since the Unix epoch.
fn utc(secs: u64) -> String {
    rootaudit::model::time::date_time(secs)
}

/// A duration for people: `42s`, `3m04s`, `2h05m`, `3d04h`.
fn span(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3_600 => format!("{}m{:02}s", s / 60, s % 60),
        s if s < 86_400 => format!("{}h{:02}m", s / 3_600, s % 3_600 / 60),
        s => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3_600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20");
        assert_eq!(utc(4_102_444_799), "2099-12-31 23:59:59");
    }

    #[test]
    fn spans() {
        assert_eq!(span(0), "0s");
        assert_eq!(span(59), "59s");
        assert_eq!(span(61), "1m01s");
        assert_eq!(span(3_600 * 2 + 300), "2h05m");
        assert_eq!(span(86_400 * 3 + 3_600 * 4 + 5), "3d04h");
    }

    #[test]
    fn the_state_file_defaults_only_for_root_slash() {
        use clap::Parser;
        let parse = |a: &[&str]| match super::super::args::Cli::parse_from(a).command {
            super::super::args::Command::Scan(s) => s,
            _ => unreachable!(),
        };
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        assert_eq!(
            state_path(&parse(&["rootaudit", "scan", "/"])),
            Some(PathBuf::from(DEFAULT_STATE))
        );
        assert_eq!(
            state_path(&parse(&["rootaudit", "scan", "/", "--no-state"])),
            None
        );
        assert_eq!(state_path(&parse(&["rootaudit", "scan", d])), None);
        let named = format!("{d}/s.sqlite");
        assert_eq!(
            state_path(&parse(&["rootaudit", "scan", d, "--state", &named])),
            Some(PathBuf::from(&named))
        );
        // `/` spelled otherwise is still `/`.
        assert_eq!(
            state_path(&parse(&["rootaudit", "scan", "/tmp/.."])),
            Some(PathBuf::from(DEFAULT_STATE))
        );
    }
}
