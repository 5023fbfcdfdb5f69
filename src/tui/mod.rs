//! The interactive triage TUI (ratatui + crossterm), a report sink like
//! the text and JSON writers: it shows a scan as it runs and a browser to
//! work through its findings, or a saved JSON report without scanning.
//!
//! Shaped as state, update and draw (dua-cli, gitui):
//! * [`state::AppState`] — plain data: the findings ([`item::Item`]), the
//!   tree of groups flattened into rows, the cursor, filter, marks, screen;
//! * [`update::update`] — applies one [`update::Event`] (key, scan event,
//!   tick) and returns an [`update::Action`] for the runner; no terminal,
//!   no clock, no files, so tests drive it with scripted keys;
//! * [`draw::draw`] — reads the state and paints a frame; only the rows on
//!   screen are drawn.
//!
//! [`sink::TuiSink`] turns a scan's findings into events; [`app::run`]
//! owns the terminal (raw mode, alternate screen, restored on every way
//! out) and the event loop; [`export`] writes the report and the
//! remediation plan.
//!
//! ```no_run
//! use rootaudit::tui::{state::{AppState, Info, Look, Status}, update::{update, Event}};
//! let look = Look { ascii: true, color: false };
//! let mut state = AppState::new(Info::default(), Status::Saved { complete: true }, look, (80, 24));
//! update(&mut state, Event::Findings(Vec::new()));
//! ```

pub mod app;
pub mod draw;
pub mod export;
pub mod item;
pub mod report;
pub mod sink;
pub mod state;
pub mod update;

pub use item::Item;
#[cfg(test)]
mod tests;
