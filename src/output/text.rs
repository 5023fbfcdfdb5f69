//! The text sink: one line per finding in `rpm -V`'s layout, then a
//! summary, every line through [`Terminal`] (the one escaper).
//!
//! ```text
//! S.5....T.    /usr/bin/su  [util-linux-2.37.4-9.el9.x86_64]  high
//! missing     c /etc/foo.conf  [foo-1.0-1.noarch]  low  [accepted: local config]
//! ```
//!
//! A finding a waiver decided about ends in `[accepted: reason]` or
//! `[flagged: reason]`; a `waivers:` line says which file and key, and the
//! summary line how many findings were accepted and flagged.
//!
//! Header trust findings come first. An empty or partial trust store is
//! one fact, not a flood: `header-signer-untrusted` findings are grouped by
//! signing key (and `header-unsigned` ones into one line), with a plain
//! sentence when no keys were given. Key files that gave no usable key come
//! before them (`trust store: …`). Findings are collected and sorted, and
//! unowned files and unregistered pycs summarised per tree (unless
//! `verbose`), when the scan finishes.

use std::io::{self, Write};

use super::Terminal;
use super::rollup::Gathered;
use crate::check::CheckKind;
use crate::model::{Evidence, Finding, FindingKind, HeaderVerdict, Severity, Verdict};
use crate::scan::{ReportSink, ScanEnd, ScanInfo};

/// Writes a report as text when the scan finishes.
pub struct TextSink<W: Write> {
    out: Terminal<W>,
    gathered: Gathered,
    quiet: Option<Severity>,
}

impl<W: Write> TextSink<W> {
    /// Write to `out`; `verbose` lists summarisable findings one by one.
    pub fn new(out: W, verbose: bool) -> TextSink<W> {
        TextSink {
            out: Terminal::new(out),
            gathered: Gathered::new(verbose),
            quiet: None,
        }
    }

    /// Cron's manners: write nothing at all unless a finding that counts
    /// reaches `fail_on` ([`ScanEnd::worst`]), and then only the findings
    /// and the summary line.
    pub fn quiet(mut self, fail_on: Severity) -> TextSink<W> {
        self.quiet = Some(fail_on);
        self
    }
}

impl<W: Write> ReportSink for TextSink<W> {
    fn begin(&mut self, info: &ScanInfo) -> io::Result<()> {
        self.gathered.begin(info);
        Ok(())
    }

    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        self.gathered.finding(f);
        Ok(())
    }

    fn finish(&mut self, end: &ScanEnd) -> io::Result<()> {
        let Some((info, findings)) = self.gathered.finish() else {
            return Ok(());
        };
        if let Some(fail_on) = self.quiet
            && end.worst.is_none_or(|w| w < fail_on)
        {
            return self.out.flush();
        }
        for l in header_lines(info, &findings) {
            self.out.line(&l)?;
        }
        for f in findings.iter().filter(|f| !is_header_kind(f.kind)) {
            self.out.line(&line(f))?;
        }
        if self.quiet.is_none() {
            if let Some(l) = headers_summary(info, end) {
                self.out.line(&l)?;
            }
            if let Some(l) = waivers_line(info, end) {
                self.out.line(&l)?;
            }
        }
        self.out.line(&summary(end, &findings))?;
        self.out.flush()
    }
}

/// Kinds about package headers and keys (check `headers`), printed first.
pub fn is_header_kind(kind: FindingKind) -> bool {
    matches!(
        kind,
        FindingKind::HeaderMalformed
            | FindingKind::HeaderDigestBad
            | FindingKind::HeaderSignatureBad
            | FindingKind::HeaderSignerUntrusted
            | FindingKind::HeaderSignerRevoked
            | FindingKind::HeaderUnsigned
            | FindingKind::HeaderRegionOverride
            | FindingKind::TargetKeyUntrusted
    )
}

/// The key id a header or key finding names, if any.
fn key_id(f: &Finding) -> Option<String> {
    match &f.evidence {
        Evidence::Header(h) => h.key_id().map(str::to_owned),
        Evidence::TargetKey(k) => Some(k.key_id().to_owned()),
        _ => None,
    }
}

/// The header findings as lines: one per finding, except that untrusted
/// signers are grouped by key and unsigned headers into one line.
pub fn header_lines(info: &ScanInfo, findings: &[Finding]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if let Some(s) = info.sandbox.as_ref().filter(|s| !s.active) {
        out.push(format!("sandbox: not fully active: {}", s.description).into_bytes());
    }
    for p in &info.trust.problems {
        let mut l = b"trust store: ".to_vec();
        l.extend_from_slice(p.path.as_bytes());
        l.extend_from_slice(b": ");
        l.extend_from_slice(p.reason.as_bytes());
        out.push(l);
    }
    let header: Vec<&Finding> = findings.iter().filter(|f| is_header_kind(f.kind)).collect();
    let untrusted: Vec<&Finding> = header
        .iter()
        .copied()
        .filter(|f| f.kind == FindingKind::HeaderSignerUntrusted)
        .collect();
    if info.trust.keys == 0 && info.checks.contains(CheckKind::Headers) && !untrusted.is_empty() {
        // Say which: no folder at all, or folders without a usable key.
        let why = match info.trust.dirs.len() {
            0 => "no trusted keys given (--keys)".to_string(),
            n => format!(
                "no usable key in the {n} trust store folder{} (see `rootaudit keys list`)",
                if n == 1 { "" } else { "s" }
            ),
        };
        out.push(
            format!(
                "{why}: {} package header{} could not be checked against a trusted signer",
                untrusted.len(),
                if untrusted.len() == 1 { "" } else { "s" }
            )
            .into_bytes(),
        );
    }
    let mut order: Vec<&Finding> = header
        .iter()
        .copied()
        .filter(|f| {
            !matches!(
                f.kind,
                FindingKind::HeaderSignerUntrusted | FindingKind::HeaderUnsigned
            )
        })
        .collect();
    order.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.kind.cmp(&b.kind)));
    out.extend(order.iter().map(|f| line(f)));

    // Untrusted signers, one line per key, most packages first.
    let mut by_key: Vec<(String, Vec<&Finding>)> = Vec::new();
    for f in &untrusted {
        let key = key_id(f).unwrap_or_else(|| "(unknown)".into());
        match by_key.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(f),
            None => by_key.push((key, vec![f])),
        }
    }
    by_key.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    for (key, fs) in by_key {
        out.push(group_line(
            FindingKind::HeaderSignerUntrusted,
            &format!("key {key}"),
            &fs,
            "signed by a key not in the trust store",
        ));
    }
    let unsigned: Vec<&Finding> = header
        .iter()
        .copied()
        .filter(|f| f.kind == FindingKind::HeaderUnsigned)
        .collect();
    if !unsigned.is_empty() {
        out.push(group_line(
            FindingKind::HeaderUnsigned,
            "no signature",
            &unsigned,
            "nothing vouches for these headers",
        ));
    }
    out
}

/// `kind  what: N packages (a, b, c, …)  severity: note`.
fn group_line(kind: FindingKind, what: &str, fs: &[&Finding], note: &str) -> Vec<u8> {
    let names: Vec<String> = fs.iter().filter_map(|f| f.nevra()).take(3).collect();
    let more = if fs.len() > names.len() { ", …" } else { "" };
    let severity = fs
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Info);
    format!(
        "{}  {what}: {} package{} ({}{more})  {severity}: {note}",
        kind.as_str(),
        fs.len(),
        if fs.len() == 1 { "" } else { "s" },
        names.join(", ")
    )
    .into_bytes()
}

/// One line of header verdict counts, when the `headers` check ran.
pub fn headers_summary(info: &ScanInfo, end: &ScanEnd) -> Option<Vec<u8>> {
    if end.packages.is_empty() {
        return None;
    }
    let mut counts: Vec<(HeaderVerdict, usize)> = Vec::new();
    for p in &end.packages {
        match counts.iter_mut().find(|(v, _)| *v == p.verdict) {
            Some((_, n)) => *n += 1,
            None => counts.push((p.verdict, 1)),
        }
    }
    counts.sort();
    let parts: Vec<String> = counts.iter().map(|(v, n)| format!("{n} {v}")).collect();
    let keys = info.trust.keys;
    Some(
        format!(
            "headers: {} ({} trusted key{}{})",
            parts.join(", "),
            keys,
            if keys == 1 { "" } else { "s" },
            if end.target_keys > 0 {
                format!(", {} in the target's own keyring", end.target_keys)
            } else {
                String::new()
            }
        )
        .into_bytes(),
    )
}

/// One line about the waiver file, when the scan applied one: which file,
/// which key vouched for it, and what its waivers did.
pub fn waivers_line(info: &ScanInfo, end: &ScanEnd) -> Option<Vec<u8>> {
    let w = info.waivers.as_ref()?;
    let mut l = b"waivers: ".to_vec();
    match &w.file {
        Some(file) => l.extend_from_slice(file.as_bytes()),
        None => l.extend_from_slice(b"(in memory)"),
    }
    if let Some(key) = &w.key_id {
        l.extend_from_slice(format!(" (key {key})").as_bytes());
    }
    let c = end.waivers.unwrap_or_default();
    l.extend_from_slice(
        format!(
            ": {} waiver{}, {} applied ({} accepted, {} flagged)",
            w.count,
            if w.count == 1 { "" } else { "s" },
            c.applied,
            c.accepted,
            c.flagged
        )
        .as_bytes(),
    );
    if c.changed > 0 {
        l.extend_from_slice(
            format!(
                ", {} not applied: the file changed again since the decision",
                c.changed
            )
            .as_bytes(),
        );
    }
    if c.expired > 0 {
        l.extend_from_slice(format!(", {} expired", c.expired).as_bytes());
    }
    Some(l)
}

/// One finding as a line (raw bytes; [`Terminal`] escapes it).
pub fn line(f: &Finding) -> Vec<u8> {
    let mut pkg = Vec::new();
    if let Some(n) = f.nevra() {
        pkg.extend_from_slice(b"  [");
        pkg.extend_from_slice(n.as_bytes());
        pkg.push(b']');
    }
    let path = f.path_bytes();
    let mut s = Vec::new();
    match f.kind {
        FindingKind::FileMissing => {
            s.extend_from_slice(format!("missing   {} ", f.mark()).as_bytes());
            s.extend_from_slice(path);
            s.extend_from_slice(&pkg);
            s.extend_from_slice(format!("  {}", f.severity).as_bytes());
        }
        FindingKind::FileChanged | FindingKind::FileUnreadable => {
            let verify = f
                .evidence
                .verify()
                .map(|v| v.to_string())
                .unwrap_or_else(|| "?????????".into());
            s.extend_from_slice(format!("{verify}  {} ", f.mark()).as_bytes());
            s.extend_from_slice(path);
            s.extend_from_slice(&pkg);
            s.extend_from_slice(format!("  {}", f.severity).as_bytes());
            if f.kind == FindingKind::FileUnreadable {
                s.extend_from_slice(b" (");
                s.extend_from_slice(&f.message());
                s.push(b')');
            }
        }
        _ => {
            s.extend_from_slice(format!("{:<11}", f.kind.as_str()).as_bytes());
            if !path.is_empty() {
                s.push(b' ');
                s.extend_from_slice(path);
            }
            s.extend_from_slice(&pkg);
            s.extend_from_slice(format!("  {}: ", f.severity).as_bytes());
            s.extend_from_slice(&f.message());
            // Triage detail of startup hooks and bytecode.
            match &f.evidence {
                Evidence::Hook(h) => {
                    s.extend_from_slice(b"  line: ");
                    s.extend_from_slice(h.line.as_bytes());
                }
                Evidence::Bytecode(b) if !b.imports.is_empty() => {
                    s.extend_from_slice(b"  imports: ");
                    for (i, m) in b.imports.iter().enumerate() {
                        if i > 0 {
                            s.extend_from_slice(b", ");
                        }
                        s.extend_from_slice(m.as_bytes());
                    }
                }
                _ => {}
            }
        }
    }
    // A person's decision, from a verified waiver file.
    if let Some(d) = &f.decision {
        s.extend_from_slice(b"  [");
        s.extend_from_slice(d.verdict.as_str().as_bytes());
        if !d.reason.is_empty() {
            s.extend_from_slice(b": ");
            s.extend_from_slice(d.reason.as_bytes());
        }
        s.push(b']');
    }
    s
}

/// The closing summary line, counting the findings as printed.
pub fn summary(end: &ScanEnd, findings: &[Finding]) -> Vec<u8> {
    let s = &end.summary;
    let mut by_sev = Vec::new();
    for sev in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        let n = findings.iter().filter(|f| f.severity == sev).count();
        if n > 0 {
            by_sev.push(format!("{n} {sev}"));
        }
    }
    let decided = |v: Verdict| {
        findings
            .iter()
            .filter(|f| f.decision.as_ref().is_some_and(|d| d.verdict == v))
            .count()
    };
    let mut decisions = Vec::new();
    for v in [Verdict::Accepted, Verdict::Flagged] {
        let n = decided(v);
        if n > 0 {
            decisions.push(format!("{n} {}", v.as_str()));
        }
    }
    let detail = match (by_sev.is_empty(), decisions.is_empty()) {
        (true, _) => String::new(),
        (false, true) => format!(" ({})", by_sev.join(", ")),
        (false, false) => format!(" ({}; {})", by_sev.join(", "), decisions.join(", ")),
    };
    let n = findings.len();
    format!(
        "rootaudit: {} packages, {} files checked, {} hashed in {:.1}s: {} finding{}{}{}",
        s.packages,
        s.files_checked,
        human_bytes(s.bytes_hashed),
        s.elapsed_ms as f64 / 1000.0,
        n,
        if n == 1 { "" } else { "s" },
        detail,
        if end.complete {
            ""
        } else {
            " (partial: the scan was stopped)"
        }
    )
    .into_bytes()
}

/// `1.5 GiB`-style sizes.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
