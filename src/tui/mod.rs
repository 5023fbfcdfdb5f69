//! The interactive triage TUI (ratatui + crossterm): a report sink that
//! shows a scan as it runs and a browser to work through its findings.
