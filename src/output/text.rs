//! Text output: one line per finding in `rpm -V`'s layout, then a summary.
//!
//! ```text
//! S.5....T.    /usr/bin/su  [util-linux-2.37.4-9.el9.x86_64]  high
//! missing     c /etc/foo.conf  [foo-1.0-1.noarch]  low
//! ```

use std::io::{self, Write};

use crate::finding::{Finding, FindingKind, Severity};
use crate::scan::Report;

/// Write `report` as text.
pub fn write(report: &Report, mut out: impl Write) -> io::Result<()> {
    for f in &report.findings {
        writeln!(out, "{}", line(f))?;
    }
    writeln!(out, "{}", summary(report))
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
