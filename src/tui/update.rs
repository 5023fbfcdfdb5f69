//! The update function: [`update`] applies one [`Event`] (a key, a scan
//! event, a tick) to the [`AppState`] and says what the runner must do
//! outside the state ([`Action`]: stop the scan, write the waivers,
//! export, quit). No terminal access, no clock, no files: tests drive it
//! with scripted keys.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::Value;

use super::item::Item;
use super::state::{AppState, Grouping, Info, Prompt, Purpose, Row, Screen, Status};
use crate::check::Snapshot;
use crate::model::{Decision, Verdict};

/// Something that happened.
#[derive(Debug)]
pub enum Event {
    /// A key was pressed.
    Key(KeyEvent),
    /// The terminal changed size (columns, rows).
    Resize(u16, u16),
    /// Time passed: the clock (seconds since the epoch) and, while a scan
    /// runs, a sample of its counters and the time since it began.
    Tick {
        /// Seconds since the epoch.
        now: u64,
        /// The scan's counters and elapsed time.
        progress: Option<(Snapshot, Duration)>,
    },
    /// The scan opened the database.
    Begin(Info),
    /// Findings arrived.
    Findings(Vec<Item>),
    /// A package's install scripts (`name.arch`, JSON form).
    Scripts(String, Value),
    /// Header verdicts: record, verdict name, signer key id.
    Packages(Vec<(u64, String, Option<String>)>),
    /// The scan ended.
    Finished {
        /// True when every check ran to its end.
        complete: bool,
    },
}

/// What the runner must do after an update.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing.
    None,
    /// Ask the scan to stop (it winds down and reports itself partial).
    StopScan,
    /// Record these findings' decisions (set or undone) in the waivers.
    Decided(Vec<u32>),
    /// Write the report, a text copy and the remediation plan here.
    Export(String),
    /// Leave.
    Quit,
}

/// Apply `event` to `state`. Findings arriving from a scan only mark the
/// rows stale (the runner rebuilds them at most once per frame); a key
/// sees them current.
pub fn update(state: &mut AppState, event: Event) -> Action {
    match event {
        Event::Key(k) => {
            if state.stale {
                state.rebuild();
            }
            let a = key(state, k);
            if state.stale {
                state.rebuild();
            }
            a
        }
        Event::Resize(w, h) => {
            state.size = (w, h);
            state.scroll_to_cursor();
            Action::None
        }
        Event::Tick { now, progress } => {
            state.now = now;
            if progress.is_some() {
                state.progress = progress;
            }
            Action::None
        }
        Event::Begin(info) => {
            state.info = info;
            Action::None
        }
        Event::Findings(items) => {
            state.items.extend(items);
            state.stale = true;
            Action::None
        }
        Event::Scripts(package, scripts) => {
            state.scripts.insert(package, scripts);
            Action::None
        }
        Event::Packages(list) => {
            for (record, verdict, signer) in list {
                state.packages.insert(record, (verdict, signer));
            }
            Action::None
        }
        Event::Finished { complete } => {
            let asked = state.status == Status::Stopping;
            state.status = Status::Finished { complete };
            if state.screen == Screen::ConfirmStop {
                state.screen = Screen::Browser;
            }
            state.notice = Some(match (complete, asked) {
                (true, _) => "scan complete".into(),
                (false, true) => "scan stopped: the report is partial".into(),
                (false, false) => "scan ended early: the report is partial".into(),
            });
            Action::None
        }
    }
}

fn key(state: &mut AppState, k: KeyEvent) -> Action {
    if k.modifiers.contains(KeyModifiers::CONTROL) && matches!(k.code, KeyCode::Char('c')) {
        return Action::Quit;
    }
    match state.screen.clone() {
        Screen::Prompt(p) => prompt_key(state, p, k),
        Screen::ConfirmStop => {
            state.screen = Screen::Browser;
            match k.code {
                KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => {
                    state.status = Status::Stopping;
                    state.notice = Some("stopping the scan…".into());
                    Action::StopScan
                }
                _ => {
                    state.notice = Some("the scan goes on".into());
                    Action::None
                }
            }
        }
        Screen::Help => {
            if matches!(k.code, KeyCode::Char('q')) && !state.scanning() {
                return Action::Quit;
            }
            state.screen = Screen::Browser;
            Action::None
        }
        Screen::Detail => detail_key(state, k),
        Screen::Browser => browser_key(state, k),
    }
}

fn browser_key(state: &mut AppState, k: KeyEvent) -> Action {
    let page = state.list_height().saturating_sub(1).max(1);
    match k.code {
        KeyCode::Char('q') => return quit(state),
        KeyCode::Down | KeyCode::Char('j') => move_to(state, state.cursor.saturating_add(1)),
        KeyCode::Up | KeyCode::Char('k') => move_to(state, state.cursor.saturating_sub(1)),
        KeyCode::PageDown => move_to(state, state.cursor.saturating_add(page)),
        KeyCode::PageUp => move_to(state, state.cursor.saturating_sub(page)),
        KeyCode::Char('d') if k.modifiers.contains(KeyModifiers::CONTROL) => {
            move_to(state, state.cursor.saturating_add(page / 2))
        }
        KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => {
            move_to(state, state.cursor.saturating_sub(page / 2))
        }
        KeyCode::Home | KeyCode::Char('g') => move_to(state, 0),
        KeyCode::End | KeyCode::Char('G') => move_to(state, usize::MAX),
        KeyCode::Enter => match state.selected() {
            Some(Row::Group { group, .. }) => toggle(state, group, None),
            Some(Row::Item { .. }) => {
                state.screen = Screen::Detail;
                state.detail_scroll = 0;
            }
            None => {}
        },
        KeyCode::Right | KeyCode::Char('l') => match state.selected() {
            Some(Row::Group { group, .. }) => toggle(state, group, Some(true)),
            Some(Row::Item { .. }) => {
                state.screen = Screen::Detail;
                state.detail_scroll = 0;
            }
            None => {}
        },
        KeyCode::Left | KeyCode::Char('h') => collapse_or_parent(state),
        KeyCode::Esc => {
            if state.package.take().is_some() {
                state.notice = Some("all packages".into());
            } else if !state.filter.is_empty() {
                state.filter.clear();
                state.notice = Some("filter cleared".into());
            } else if !state.marks.is_empty() {
                state.marks.clear();
                state.notice = Some("marks cleared".into());
            }
            state.stale = true;
        }
        KeyCode::Tab => {
            state.grouping = match state.grouping {
                Grouping::Severity => Grouping::Directory,
                Grouping::Directory => Grouping::Severity,
            };
            state.stale = true;
        }
        KeyCode::Char('/') => {
            state.screen = Screen::Prompt(Prompt {
                purpose: Purpose::Filter,
                text: state.filter.clone(),
            })
        }
        KeyCode::Char('n') => next_item(state, true),
        KeyCode::Char('N') => next_item(state, false),
        KeyCode::Char('s') => {
            state.sort = state.sort.next();
            state.notice = Some(format!("sorted by {}", state.sort.name()));
            state.stale = true;
        }
        KeyCode::Char(' ') => {
            mark(state);
            move_to(state, state.cursor.saturating_add(1));
        }
        KeyCode::Char('p') => package_view(state),
        _ => return common_key(state, k),
    }
    Action::None
}

fn detail_key(state: &mut AppState, k: KeyEvent) -> Action {
    match k.code {
        KeyCode::Esc | KeyCode::Left | KeyCode::Char('h') => state.screen = Screen::Browser,
        KeyCode::Char('q') => {
            state.screen = Screen::Browser;
        }
        KeyCode::Down | KeyCode::Char('j') => {
            state.detail_scroll = state.detail_scroll.saturating_add(1)
        }
        KeyCode::Up | KeyCode::Char('k') => {
            state.detail_scroll = state.detail_scroll.saturating_sub(1)
        }
        KeyCode::PageDown | KeyCode::Char(' ') => {
            state.detail_scroll = state.detail_scroll.saturating_add(state.size.1 / 2)
        }
        KeyCode::PageUp => {
            state.detail_scroll = state.detail_scroll.saturating_sub(state.size.1 / 2)
        }
        KeyCode::Home | KeyCode::Char('g') => state.detail_scroll = 0,
        KeyCode::Char('n') => {
            next_item(state, true);
            state.detail_scroll = 0;
        }
        KeyCode::Char('N') => {
            next_item(state, false);
            state.detail_scroll = 0;
        }
        KeyCode::Char('p') => {
            package_view(state);
            state.screen = Screen::Browser;
        }
        _ => return common_key(state, k),
    }
    Action::None
}

/// Keys that work in the browser and the detail view alike.
fn common_key(state: &mut AppState, k: KeyEvent) -> Action {
    match k.code {
        KeyCode::Char('?') | KeyCode::F(1) => state.screen = Screen::Help,
        KeyCode::Char('a') => ask_reason(state, true),
        KeyCode::Char('f') => ask_reason(state, false),
        KeyCode::Char('u') => {
            let targets: Vec<u32> = state
                .targets()
                .into_iter()
                .filter(|&i| state.items[i as usize].decision.is_some())
                .collect();
            if targets.is_empty() {
                state.notice = Some("nothing to undo here".into());
                return Action::None;
            }
            for &i in &targets {
                state.items[i as usize].decision = None;
            }
            state.notice = Some(format!("{} decision(s) undone", targets.len()));
            state.marks.clear();
            return Action::Decided(targets);
        }
        KeyCode::Char('e') => {
            state.screen = Screen::Prompt(Prompt {
                purpose: Purpose::Export,
                text: "rootaudit-export".into(),
            })
        }
        _ => {}
    }
    Action::None
}

fn quit(state: &mut AppState) -> Action {
    if state.status == Status::Scanning {
        state.screen = Screen::ConfirmStop;
        Action::None
    } else {
        Action::Quit
    }
}

fn ask_reason(state: &mut AppState, accept: bool) {
    let targets = state.targets();
    if targets.is_empty() {
        state.notice = Some("no finding selected".into());
        return;
    }
    state.screen = Screen::Prompt(Prompt {
        purpose: if accept {
            Purpose::Accept(targets)
        } else {
            Purpose::Flag(targets)
        },
        text: String::new(),
    });
}

fn prompt_key(state: &mut AppState, mut p: Prompt, k: KeyEvent) -> Action {
    match k.code {
        KeyCode::Esc => {
            if p.purpose == Purpose::Filter {
                state.filter.clear();
                state.stale = true;
            }
            state.screen = Screen::Browser;
            return Action::None;
        }
        KeyCode::Enter => {
            state.screen = Screen::Browser;
            return finish_prompt(state, p);
        }
        KeyCode::Backspace => {
            p.text.pop();
        }
        KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => p.text.clear(),
        KeyCode::Char(c) if !c.is_control() && p.text.chars().count() < 200 => p.text.push(c),
        _ => {}
    }
    if p.purpose == Purpose::Filter {
        state.filter = p.text.clone();
        state.stale = true;
    }
    state.screen = Screen::Prompt(p);
    Action::None
}

fn finish_prompt(state: &mut AppState, p: Prompt) -> Action {
    match p.purpose {
        Purpose::Filter => {
            state.filter = p.text;
            state.stale = true;
            // Land on the first match.
            if !state.filter.is_empty() {
                state.rebuild();
                state.cursor = 0;
                next_item_from(state, 0, true);
            }
            Action::None
        }
        Purpose::Accept(targets) | Purpose::Flag(targets) if p.text.trim().is_empty() => {
            let _ = targets;
            state.notice = Some("a decision needs a reason: nothing changed".into());
            Action::None
        }
        Purpose::Accept(targets) => decide_with(state, targets, Verdict::Accepted, &p.text),
        Purpose::Flag(targets) => decide_with(state, targets, Verdict::Flagged, &p.text),
        Purpose::Export => {
            let dir = p.text.trim().to_string();
            if dir.is_empty() {
                state.notice = Some("no folder given: nothing exported".into());
                return Action::None;
            }
            Action::Export(dir)
        }
    }
}

/// Decide with the prompt's text: a reason, and an optional expiry.
fn decide_with(state: &mut AppState, targets: Vec<u32>, verdict: Verdict, text: &str) -> Action {
    match split_expiry(text, state.now) {
        Ok((reason, _)) if reason.is_empty() => {
            state.notice = Some("a decision needs a reason: nothing changed".into());
            Action::None
        }
        Ok((reason, expires)) => decide(state, targets, verdict, reason, expires),
        Err(e) => {
            state.notice = Some(e);
            Action::None
        }
    }
}

/// A reason may end with `+AGE` (`+30d`, `+12h`, `+2w`, as `history
/// --check-age` reads ages): the decision expires that long from now.
fn split_expiry(text: &str, now: u64) -> Result<(String, Option<u64>), String> {
    let text = text.trim();
    let (rest, last) = text.rsplit_once(char::is_whitespace).unwrap_or(("", text));
    let Some(age) = last.strip_prefix('+') else {
        return Ok((text.to_string(), None));
    };
    match crate::history::parse_age(age) {
        Ok(d) => Ok((
            rest.trim().to_string(),
            Some(now.saturating_add(d.as_secs())),
        )),
        Err(e) => Err(format!(
            "{last:?} is not an expiry ({e}; e.g. +30d, +12h, +2w): nothing changed"
        )),
    }
}

fn decide(
    state: &mut AppState,
    targets: Vec<u32>,
    verdict: Verdict,
    reason: String,
    expires: Option<u64>,
) -> Action {
    let d = Decision {
        verdict,
        reason,
        at: state.now,
        expires,
    };
    for &i in &targets {
        state.items[i as usize].decision = Some(d.clone());
    }
    state.notice = Some(format!("{} finding(s) {}", targets.len(), verdict.as_str()));
    state.marks.clear();
    Action::Decided(targets)
}

fn move_to(state: &mut AppState, row: usize) {
    state.cursor = row.min(state.rows.len().saturating_sub(1));
    state.scroll_to_cursor();
}

fn toggle(state: &mut AppState, group: u32, to: Option<bool>) {
    let g = &state.groups[group as usize];
    let open = to.unwrap_or(!g.open);
    if open == g.open {
        return;
    }
    state.opened.insert(g.key.clone(), open);
    state.stale = true;
}

fn collapse_or_parent(state: &mut AppState) {
    let Some(row) = state.selected() else { return };
    if let Row::Group { group, .. } = row
        && state.groups[group as usize].open
    {
        toggle(state, group, Some(false));
        return;
    }
    let depth = match row {
        Row::Group { depth, .. } | Row::Item { depth, .. } => depth,
    };
    if depth == 0 {
        return;
    }
    // The parent is the nearest group above with a smaller depth.
    let parent = state.rows[..state.cursor]
        .iter()
        .rposition(|r| matches!(r, Row::Group { depth: d, .. } if *d < depth));
    if let Some(p) = parent {
        move_to(state, p);
    }
}

fn mark(state: &mut AppState) {
    match state.selected() {
        Some(Row::Item { item, .. }) if !state.marks.remove(&item) => {
            state.marks.insert(item);
        }
        Some(Row::Item { .. }) => {}
        Some(Row::Group { group, .. }) => {
            let members = &state.groups[group as usize].members;
            if members.iter().all(|m| state.marks.contains(m)) {
                for m in members {
                    state.marks.remove(m);
                }
            } else {
                state.marks.extend(members.iter().copied());
            }
        }
        None => {}
    }
    state.notice = Some(format!("{} marked", state.marks.len()));
}

fn next_item(state: &mut AppState, forward: bool) {
    let from = if forward {
        state.cursor + 1
    } else {
        state.cursor.wrapping_sub(1)
    };
    if !next_item_from(state, from, forward) {
        state.notice = Some(if forward {
            "no more findings below".into()
        } else {
            "no more findings above".into()
        });
    }
}

/// Move to the first finding row at or after (before) `from`.
fn next_item_from(state: &mut AppState, from: usize, forward: bool) -> bool {
    let is_item = |r: &Row| matches!(r, Row::Item { .. });
    let found = if forward {
        state
            .rows
            .iter()
            .skip(from)
            .position(is_item)
            .map(|p| p + from)
    } else if from == usize::MAX {
        None
    } else {
        state.rows[..=from.min(state.rows.len().saturating_sub(1))]
            .iter()
            .rposition(is_item)
    };
    match found {
        Some(r) => {
            move_to(state, r);
            true
        }
        None => false,
    }
}

fn package_view(state: &mut AppState) {
    let Some(i) = state.selected_item() else {
        state.notice = Some("select a finding of a package first".into());
        return;
    };
    match state.items[i as usize].package_key() {
        Some(p) => {
            state.package = Some(p);
            state.stale = true;
            state.rebuild();
            state.cursor = 0;
            next_item_from(state, 0, true);
        }
        None => state.notice = Some("this finding concerns no package".into()),
    }
}
