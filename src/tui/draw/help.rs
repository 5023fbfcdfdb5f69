//! `?`: every key, in one table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::tui::state::AppState;

/// Every key and what it does (also printed by the README and docs/tui.md).
pub const KEYS: &[(&str, &str)] = &[
    ("Up/Down j/k", "move"),
    ("PgUp/PgDn ^U/^D", "move a page / half a page"),
    ("g/G Home/End", "first / last line"),
    ("Enter", "open a group, or a finding's details"),
    (
        "Right/l Left/h",
        "open / close a group (Left: up to its group)",
    ),
    ("Esc", "back; clear package view, filter, marks"),
    ("Tab", "group by severity > kind > package, or by directory"),
    ("/", "filter: path, package, kind, message, id"),
    ("n/N", "next / previous finding"),
    ("s", "sort by path, severity or package"),
    ("p", "package view: every finding of this package"),
    ("Space", "mark a finding, or a whole group"),
    ("a", "accept the marked/selected findings, with a reason"),
    ("f", "flag them for follow-up, with a reason"),
    ("u", "undo their decision"),
    ("e", "export report (JSON, text) and remediation plan"),
    ("?", "this list"),
    ("q", "quit (while scanning: asks, then stops the scan)"),
    ("Ctrl-C", "quit now"),
];

pub(super) fn draw(state: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let t = Theme::of(state.look);
    let block = t.block(" Keys ".to_string());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = KEYS.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k:<w$}  "), t.bold()),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " Accepted findings stay listed (A) and leave the exit status; flagged (F) ones count.",
        t.dim(),
    )));
    frame.render_widget(Paragraph::new(lines), inner);
}
