//! The history of scheduled scans, at the command line: recording a scan
//! (`scan --state`, `--new-only`, the lock) and the `history` and `diff`
//! subcommands. The database itself is `rootaudit::history`.
//!
//! STUB: the interface `main.rs` calls; the bodies are being written.

use std::collections::HashSet;

use rootaudit::scan::{ReportSink, ScanEnd};

use super::args::ScanArgs;

/// One scan being recorded in the history: the open state database, its
/// lock (held until this is dropped) and the scan's row.
pub struct Recording {
    _private: (),
}

impl Recording {
    /// Open (creating) the history `args` names, or the default one for
    /// ROOT `/`; take its lock (waiting with `--wait`, else failing at
    /// once, naming the holder); mark scans left `running` by a killed run
    /// `interrupted`; commit this scan's row (`running`, a heartbeat even
    /// if the scan then fails). `None`: no history for this scan.
    pub fn start(args: &ScanArgs, scan_id: &str) -> anyhow::Result<Option<Recording>> {
        let _ = (args, scan_id);
        Ok(None)
    }

    /// Ids of the findings of the previous complete scan of the same root,
    /// or `None` when there is none (`--new-only` then reports all).
    pub fn known_ids(&self) -> anyhow::Result<Option<HashSet<String>>> {
        Ok(None)
    }

    /// The sink to hand the scan (it runs on the scan's thread and sends
    /// what it gets to [`Recording::record`]).
    pub fn sink(&mut self) -> Box<dyn ReportSink + Send> {
        unimplemented!()
    }

    /// Store what the sink sends, on the calling thread, until the scan
    /// drops the sink: every finding in one transaction.
    pub fn record(&mut self) -> anyhow::Result<()> {
        Ok(())
    }

    /// Close the scan's row: `complete` or `interrupted` (from the end the
    /// scan reported), or `failed` with the error.
    pub fn finish(self, outcome: Result<&ScanEnd, &anyhow::Error>) -> anyhow::Result<()> {
        let _ = outcome;
        Ok(())
    }
}
