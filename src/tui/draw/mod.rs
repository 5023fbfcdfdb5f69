//! Draw functions: read the [`AppState`], never change it.
//!
//! Layout, top to bottom: one title line (root, database, status), the
//! progress block while a scan runs, the findings list (with the detail
//! pane beside it on screens at least 140 columns wide), and one status
//! line (news, the prompt being typed, or the main keys). Everything that
//! came from the target goes through the one escaper (`output::escape`),
//! in its ASCII form under `--ascii`/`TERM=linux`.

mod detail;
mod help;
mod list;
mod progress;

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::state::{AppState, Look, Purpose, Screen, Status};
use crate::model::Severity;
use crate::output::{escape_ascii, escape_bytes};

/// Lines of the progress block (four inside its border).
pub const PROGRESS_HEIGHT: u16 = 6;

/// Draw the whole screen.
pub fn draw(state: &AppState, frame: &mut Frame<'_>) {
    let area = frame.area();
    let progress_h = if state.scanning() { PROGRESS_HEIGHT } else { 0 };
    let chunks = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Length(progress_h),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .split(area);
    title(state, frame, chunks[0]);
    if progress_h > 0 {
        progress::draw(state, frame, chunks[1]);
    }
    let main = chunks[2];
    match &state.screen {
        Screen::Help => help::draw(state, frame, main),
        Screen::Detail => detail::draw(state, frame, main),
        _ if state.split() => {
            let cols = Layout::default()
                .direction(Direction::Horizontal)
                .constraints([Constraint::Percentage(55), Constraint::Percentage(45)])
                .split(main);
            list::draw(state, frame, cols[0]);
            detail::draw(state, frame, cols[1]);
        }
        _ => list::draw(state, frame, main),
    }
    status_line(state, frame, chunks[3]);
}

/// Glyphs and styles for a [`Look`].
pub(crate) struct Theme {
    pub ascii: bool,
    pub color: bool,
}

impl Theme {
    pub fn of(look: Look) -> Theme {
        Theme {
            ascii: look.ascii,
            color: look.color,
        }
    }

    /// Show raw bytes from the target.
    pub fn text(&self, raw: &[u8]) -> String {
        if self.ascii {
            escape_ascii(raw)
        } else {
            escape_bytes(raw)
        }
    }

    /// Show our own text (ASCII-folded in ASCII mode).
    pub fn own(&self, s: &str) -> String {
        if self.ascii && !s.is_ascii() {
            s.chars()
                .map(|c| match c {
                    '…' => "...".to_string(),
                    '—' | '–' => "-".to_string(),
                    '·' => "|".to_string(),
                    '→' => "->".to_string(),
                    c if c.is_ascii() => c.to_string(),
                    _ => "?".to_string(),
                })
                .collect()
        } else {
            s.to_string()
        }
    }

    pub fn block<'a>(&self, title: String) -> Block<'a> {
        let set = if self.ascii {
            border::Set {
                top_left: "+",
                top_right: "+",
                bottom_left: "+",
                bottom_right: "+",
                vertical_left: "|",
                vertical_right: "|",
                horizontal_top: "-",
                horizontal_bottom: "-",
            }
        } else {
            border::PLAIN
        };
        Block::default()
            .borders(Borders::ALL)
            .border_set(set)
            .title(Span::styled(self.own(&title), self.bold()))
    }

    pub fn bold(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default()
        }
    }

    /// The selected line: reverse video, never colour alone.
    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    pub fn severity(&self, s: Severity) -> Style {
        if !self.color {
            return match s {
                Severity::Critical | Severity::High => self.bold(),
                _ => Style::default(),
            };
        }
        match s {
            Severity::Critical => Style::default()
                .fg(Color::LightRed)
                .add_modifier(Modifier::BOLD),
            Severity::High => Style::default().fg(Color::Red),
            Severity::Medium => Style::default().fg(Color::Yellow),
            Severity::Low => Style::default().fg(Color::Cyan),
            Severity::Info => self.dim(),
        }
    }

    pub fn open(&self, open: bool) -> &'static str {
        match (open, self.ascii) {
            (true, false) => "▾",
            (false, false) => "▸",
            (true, true) => "v",
            (false, true) => ">",
        }
    }

    pub fn ellipsis(&self) -> &'static str {
        if self.ascii { "..." } else { "…" }
    }

    /// Keep the end of `s` within `width` columns (paths end in what
    /// matters).
    pub fn tail(&self, s: &str, width: usize) -> String {
        let n = s.chars().count();
        if n <= width {
            return s.to_string();
        }
        let e = self.ellipsis();
        let keep = width.saturating_sub(e.chars().count());
        let skip = n - keep;
        format!("{e}{}", s.chars().skip(skip).collect::<String>())
    }
}

/// `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1.2 GiB`.
pub(crate) fn bytes(n: u64) -> String {
    const U: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < U.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", U[u])
    }
}

fn title(state: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let t = Theme::of(state.look);
    let status = match state.status {
        Status::Scanning => "scanning".to_string(),
        Status::Stopping => "stopping".to_string(),
        Status::Finished { complete: true } => "scan complete".to_string(),
        Status::Finished { complete: false } => "PARTIAL: scan stopped".to_string(),
        Status::Saved { complete } => {
            let file = state
                .info
                .report_file
                .as_deref()
                .map(|f| t.text(f))
                .unwrap_or_default();
            if complete {
                format!("report {file}")
            } else {
                format!("PARTIAL report {file}")
            }
        }
    };
    let partial = matches!(
        state.status,
        Status::Finished { complete: false } | Status::Saved { complete: false }
    );
    let mut spans = vec![
        Span::styled("rootaudit ", t.bold()),
        Span::raw(t.text(&state.info.root)),
        Span::raw(t.own(" · ")),
        Span::raw(format!(
            "{} ({} packages)",
            t.text(state.info.database.as_bytes()),
            thousands(state.info.packages)
        )),
        Span::raw(t.own(" · ")),
        Span::styled(
            status,
            if partial {
                t.severity(Severity::High).add_modifier(Modifier::BOLD)
            } else {
                t.bold()
            },
        ),
    ];
    if let Some(s) = &state.info.sandbox {
        spans.push(Span::styled(t.own(&format!(" · sandbox {s}")), t.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn status_line(state: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let t = Theme::of(state.look);
    let line = match &state.screen {
        Screen::Prompt(p) => {
            let label = match &p.purpose {
                Purpose::Filter => "filter: ".to_string(),
                Purpose::Accept(v) => format!("accept {} finding(s), reason [+30d]: ", v.len()),
                Purpose::Flag(v) => format!("flag {} finding(s), reason [+30d]: ", v.len()),
                Purpose::Export => "export into folder: ".to_string(),
            };
            let cursor = if t.ascii { "_" } else { "▏" };
            Line::from(vec![
                Span::styled(label, t.bold()),
                Span::raw(t.text(p.text.as_bytes())),
                Span::raw(cursor),
                Span::styled("  (Enter: ok, Esc: cancel)", t.dim()),
            ])
        }
        Screen::ConfirmStop => Line::from(vec![Span::styled(
            "Stop the scan? The findings so far stay browsable, marked partial. (y/n)",
            t.selected(),
        )]),
        _ => {
            let keys = match state.screen {
                Screen::Detail => {
                    "Esc back  j/k scroll  n/N next/prev  a accept  f flag  u undo  p package  ? keys"
                }
                Screen::Help => "any key: back",
                _ => {
                    "q quit  / filter  Tab group  Enter open  Space mark  a accept  f flag  e export  ? keys"
                }
            };
            match &state.notice {
                Some(n) => Line::from(vec![
                    Span::styled(t.text(n.as_bytes()), t.bold()),
                    Span::styled(t.own("  ·  "), t.dim()),
                    Span::styled(keys, t.dim()),
                ]),
                None => Line::from(Span::styled(keys, t.dim())),
            }
        }
    };
    frame.render_widget(Paragraph::new(line), area);
}
