//! The progress block while a scan runs: what it is doing, files and
//! bytes done of the total, throughput and ETA, findings by severity.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, bytes, thousands};
use crate::check::{CheckKind, Phase};
use crate::model::Severity;
use crate::tui::state::AppState;

pub(super) fn draw(state: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let t = Theme::of(state.look);
    let block = t.block(" Scan ".to_string());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some((s, elapsed)) = state.progress else {
        frame.render_widget(Paragraph::new("starting…".to_string()), inner);
        return;
    };
    let phase = match s.phase {
        Phase::ReadingDatabase => "reading the package database".to_string(),
        Phase::Check(CheckKind::Files) => "verifying registered files".to_string(),
        Phase::Check(c) => format!("check {}", c.as_str()),
        Phase::Finished => "finishing".to_string(),
    };
    let secs = elapsed.as_secs_f64().max(0.001);
    let rate = s.bytes_hashed as f64 / secs;
    let left = s.bytes_total.saturating_sub(s.bytes_hashed) as f64;
    let eta = if rate > 0.0 && s.bytes_total > 0 && s.phase == Phase::Check(CheckKind::Files) {
        let e = (left / rate) as u64;
        format!("ETA {}:{:02}", e / 60, e % 60)
    } else {
        String::new()
    };
    let frac = if s.files_total > 0 {
        (s.files_checked as f64 / s.files_total as f64).min(1.0)
    } else {
        0.0
    };
    let width = (inner.width as usize).saturating_sub(40).clamp(10, 60);
    let full = (frac * width as f64) as usize;
    let (on, off) = if t.ascii { ("#", "-") } else { ("█", "░") };
    let bar = format!(
        "[{}{}] {:>3.0}%",
        on.repeat(full),
        off.repeat(width - full),
        frac * 100.0
    );
    let mut sev = vec![Span::raw("findings so far: ")];
    for v in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        sev.push(Span::styled(
            format!("{} {}  ", v.as_str(), thousands(s.findings_at(v))),
            t.severity(v),
        ));
    }
    let lines = vec![
        Line::from(vec![
            Span::styled(t.own(&phase), t.bold()),
            Span::raw(format!(
                "  {} packages  {}:{:02} elapsed",
                thousands(s.packages),
                elapsed.as_secs() / 60,
                elapsed.as_secs() % 60
            )),
        ]),
        Line::from(format!(
            "{bar}  {} / {} files",
            thousands(s.files_checked),
            thousands(s.files_total)
        )),
        Line::from(format!(
            "hashed {} of {} at {}/s  {eta}",
            bytes(s.bytes_hashed),
            bytes(s.bytes_total),
            bytes(rate as u64)
        )),
        Line::from(sev),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}
