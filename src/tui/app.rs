//! The runner: owns the terminal and the event loop. Key presses come from
//! a reader thread, scan events from the [`super::sink::TuiSink`] channel,
//! and a tick samples the scan's counters; each event goes through
//! [`update`], each [`Action`] to the caller's [`Hooks`], and a frame is
//! drawn when something changed (at most ~30 per second, rows rebuilt at
//! most once per frame).
//!
//! The terminal is restored on every way out: normal return, error,
//! `Ctrl-C` (a key in raw mode), `SIGTERM` (the caller's flag) and panic
//! ([`restore`], which the binary's panic hook calls).

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crossbeam_channel::{Receiver, select, tick, unbounded};
use crossterm::event::{self as ct, Event as CtEvent, KeyEventKind};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use super::draw::draw;
use super::state::AppState;
use super::update::{Action, Event, update};
use crate::check::Counters;

/// What the runner cannot do itself: the caller's side effects.
pub trait Hooks {
    /// Record the decisions of these findings (set or undone); returns a
    /// line for the status bar.
    fn decided(&mut self, state: &AppState, items: &[u32]) -> Result<String, String>;
    /// Export into `dir`; returns a line for the status bar.
    fn export(&mut self, state: &AppState, dir: &str) -> Result<String, String>;
}

/// Leave raw mode and the alternate screen, show the cursor (safe to call
/// more than once, and from a panic hook).
pub fn restore() {
    let _ = terminal::disable_raw_mode();
    let mut out = io::stdout();
    let _ = crossterm::execute!(out, LeaveAlternateScreen, crossterm::cursor::Show);
    let _ = out.flush();
}

/// Run the TUI on the terminal until the user quits. `scan_events` is the
/// scan's channel (or a closed one for a saved report); `counters` and
/// `started` sample a live scan; `term` is set by the caller's signal
/// handler to leave. Returns the final state.
pub fn run(
    mut state: AppState,
    scan_events: Receiver<Event>,
    counters: Option<Arc<Counters>>,
    term: &AtomicBool,
    hooks: &mut dyn Hooks,
) -> io::Result<AppState> {
    terminal::enable_raw_mode()?;
    let mut out = io::stdout();
    if let Err(e) = crossterm::execute!(out, EnterAlternateScreen, crossterm::cursor::Hide) {
        restore();
        return Err(e);
    }
    let result = event_loop(&mut state, scan_events, counters, term, hooks);
    restore();
    result.map(|()| state)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn event_loop(
    state: &mut AppState,
    scan_events: Receiver<Event>,
    counters: Option<Arc<Counters>>,
    term: &AtomicBool,
    hooks: &mut dyn Hooks,
) -> io::Result<()> {
    let backend = CrosstermBackend::new(io::stdout());
    let mut terminal = Terminal::new(backend)?;
    let size = terminal.size()?;
    state.size = (size.width, size.height);
    // Keys: a reader thread, so the loop can select on keys and scan
    // events together.
    let (key_tx, keys) = unbounded();
    let done = Arc::new(AtomicBool::new(false));
    let reader_done = done.clone();
    std::thread::Builder::new()
        .name("rootaudit-keys".into())
        .spawn(move || {
            while !reader_done.load(Ordering::Relaxed) {
                match ct::poll(Duration::from_millis(100)) {
                    Ok(true) => match ct::read() {
                        Ok(CtEvent::Key(k)) if k.kind != KeyEventKind::Release => {
                            if key_tx.send(Event::Key(k)).is_err() {
                                break;
                            }
                        }
                        Ok(CtEvent::Resize(w, h)) => {
                            let _ = key_tx.send(Event::Resize(w, h));
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    },
                    Ok(false) => {}
                    Err(_) => break,
                }
            }
        })?;
    let started = Instant::now();
    let ticks = tick(Duration::from_millis(500));
    let mut scan_events = Some(scan_events);
    let mut dirty = true;
    let mut last_draw = Instant::now() - Duration::from_secs(1);
    let result = loop {
        if term.load(Ordering::Relaxed) {
            break Ok(());
        }
        if dirty && last_draw.elapsed() >= Duration::from_millis(33) {
            if state.stale {
                state.rebuild();
            }
            terminal.draw(|f| draw(state, f))?;
            last_draw = Instant::now();
            dirty = false;
        }
        let event = {
            let never = crossbeam_channel::never();
            let scan = scan_events.as_ref().unwrap_or(&never);
            select! {
                recv(keys) -> k => k.ok(),
                recv(scan) -> e => match e {
                    Ok(e) => Some(e),
                    Err(_) => {
                        // The scan thread is gone; if it never said it
                        // finished, it failed (the error is printed when
                        // the TUI closes).
                        scan_events = None;
                        state.scanning().then_some(Event::Finished { complete: false })
                    }
                },
                recv(ticks) -> _ => Some(Event::Tick {
                    now: now(),
                    progress: counters
                        .as_ref()
                        .filter(|_| state.scanning())
                        .map(|c| (c.snapshot(), started.elapsed())),
                }),
            }
        };
        let Some(event) = event else { continue };
        // A tick redraws only while something moves.
        let is_tick = matches!(event, Event::Tick { .. });
        if !is_tick || state.scanning() || state.stale {
            dirty = true;
        }
        match update(state, event) {
            Action::None => {}
            Action::Quit => {
                if state.scanning()
                    && let Some(c) = &counters
                {
                    c.cancel();
                }
                break Ok(());
            }
            Action::StopScan => {
                if let Some(c) = &counters {
                    c.cancel();
                }
            }
            Action::Decided(items) => {
                state.notice = Some(match hooks.decided(state, &items) {
                    Ok(s) => s,
                    Err(e) => format!("not saved: {e}"),
                });
            }
            Action::Export(dir) => {
                state.notice = Some(match hooks.export(state, &dir) {
                    Ok(s) => s,
                    Err(e) => format!("export failed: {e}"),
                });
            }
        }
    };
    done.store(true, Ordering::Relaxed);
    result
}
