//! Text output: one line per finding in `rpm -V`'s layout, then a summary.
//!
//! ```text
//! S.5....T.    /usr/bin/su  [util-linux-2.37.4-9.el9.x86_64]  high
//! missing     c /etc/foo.conf  [foo-1.0-1.noarch]  low
//! ```
//!
//! Header trust findings come first. An empty or partial trust store is
//! one fact, not a flood: `header-signer-untrusted` findings are grouped by
//! signing key (and `header-unsigned` ones into one line), with a plain
//! sentence when no keys were given. Key files that gave no usable key come
//! before them (`trust store: …`).

use std::io::{self, Write};

use crate::model::{Finding, FindingKind, Severity};
use crate::scan::Report;

/// Write `report` as text.
pub fn write(report: &Report, mut out: impl Write) -> io::Result<()> {
    let mut put = |l: &str| writeln!(out, "{}", super::sanitize_line(l));
    for l in header_lines(report) {
        put(&l)?;
    }
    for f in report.findings.iter().filter(|f| !is_header_kind(f.kind)) {
        put(&line(f))?;
    }
    if let Some(l) = headers_summary(report) {
        put(&l)?;
    }
    put(&summary(report))
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

/// The header findings as lines: one per finding, except that untrusted
/// signers are grouped by key and unsigned headers into one line.
pub fn header_lines(r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    for p in &r.trust.problems {
        out.push(format!("trust store: {p}"));
    }
    let header: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| is_header_kind(f.kind))
        .collect();
    let untrusted: Vec<&Finding> = header
        .iter()
        .copied()
        .filter(|f| f.kind == FindingKind::HeaderSignerUntrusted)
        .collect();
    if r.trust.keys == 0
        && r.checks.contains(crate::check::CheckKind::Headers)
        && !untrusted.is_empty()
    {
        out.push(format!(
            "no trusted keys given (--keys): {} package header{} could not be checked against a \
             trusted signer",
            untrusted.len(),
            if untrusted.len() == 1 { "" } else { "s" }
        ));
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
        let key = f.key_id.clone().unwrap_or_else(|| "(unknown)".into());
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
fn group_line(kind: FindingKind, what: &str, fs: &[&Finding], note: &str) -> String {
    let names: Vec<&str> = fs
        .iter()
        .filter_map(|f| f.package.as_deref())
        .take(3)
        .collect();
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
}

/// One line of header verdict counts, when the `headers` check ran.
pub fn headers_summary(r: &Report) -> Option<String> {
    if r.packages.is_empty() {
        return None;
    }
    let mut counts: Vec<(crate::trust::HeaderVerdict, usize)> = Vec::new();
    for p in &r.packages {
        match counts.iter_mut().find(|(v, _)| *v == p.verdict) {
            Some((_, n)) => *n += 1,
            None => counts.push((p.verdict, 1)),
        }
    }
    counts.sort();
    let parts: Vec<String> = counts.iter().map(|(v, n)| format!("{n} {v}")).collect();
    Some(format!(
        "headers: {} ({} trusted key{}{})",
        parts.join(", "),
        r.trust.keys,
        if r.trust.keys == 1 { "" } else { "s" },
        if r.trust.target_keys > 0 {
            format!(", {} in the target's own keyring", r.trust.target_keys)
        } else {
            String::new()
        }
    ))
}

/// One finding as a line.
pub fn line(f: &Finding) -> String {
    let pkg = f
        .package
        .as_deref()
        .map(|p| format!("  [{p}]"))
        .unwrap_or_default();
    let path = f.path.as_deref().unwrap_or("");
    match f.kind {
        FindingKind::FileMissing => format!("missing   {} {path}{pkg}  {}", f.mark, f.severity),
        FindingKind::FileChanged | FindingKind::FileUnreadable => {
            let verify = f
                .verify
                .map(|v| v.to_string())
                .unwrap_or_else(|| "?????????".into());
            let note = if f.kind == FindingKind::FileUnreadable {
                format!(" ({})", f.message)
            } else {
                String::new()
            };
            format!("{verify}  {} {path}{pkg}  {}{note}", f.mark, f.severity)
        }
        _ => {
            let mut s = format!("{:<11}", f.kind.as_str());
            if !path.is_empty() {
                s.push(' ');
                s.push_str(path);
            }
            s.push_str(&pkg);
            s.push_str(&format!("  {}: {}", f.severity, f.message));
            // Triage detail of startup hooks and bytecode (already escaped).
            if let Some(l) = &f.line {
                s.push_str(&format!("  line: {l}"));
            }
            if !f.imports.is_empty() {
                s.push_str(&format!("  imports: {}", f.imports.join(", ")));
            }
            s
        }
    }
}

/// The closing summary line.
pub fn summary(r: &Report) -> String {
    let s = &r.summary;
    let mut by_sev = Vec::new();
    for sev in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        let n = r.findings.iter().filter(|f| f.severity == sev).count();
        if n > 0 {
            by_sev.push(format!("{n} {sev}"));
        }
    }
    let detail = if by_sev.is_empty() {
        String::new()
    } else {
        format!(" ({})", by_sev.join(", "))
    };
    format!(
        "rootaudit: {} packages, {} files checked, {} hashed in {:.1}s: {} finding{}{}",
        s.packages,
        s.files_checked,
        human_bytes(s.bytes_hashed),
        s.elapsed_ms as f64 / 1000.0,
        s.findings,
        if s.findings == 1 { "" } else { "s" },
        detail
    )
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
