//! [`TuiSink`]: the scan's report sink that feeds the TUI. Each call turns
//! into an [`Event`] on a channel the TUI's loop selects on; the channel
//! is unbounded, so a busy screen never holds up the scan.

use std::io;

use crossbeam_channel::Sender;

use super::item::Item;
use super::state::Info;
use super::update::Event;
use crate::model::{Bytes, Finding, PackageScripts};
use crate::scan::{ReportSink, ScanEnd, ScanInfo};

/// Sends a scan's results to the TUI.
pub struct TuiSink {
    tx: Sender<Event>,
}

impl TuiSink {
    /// A sink sending to `tx`.
    pub fn new(tx: Sender<Event>) -> TuiSink {
        TuiSink { tx }
    }

    fn send(&self, e: Event) -> io::Result<()> {
        // The TUI may have quit already: the scan then finishes unseen
        // (it was asked to stop).
        let _ = self.tx.send(e);
        Ok(())
    }
}

impl ReportSink for TuiSink {
    fn begin(&mut self, info: &ScanInfo) -> io::Result<()> {
        let path = |b: &Bytes| b.as_bytes().to_vec();
        self.send(Event::Begin(Info {
            root: path(&info.root),
            database: info.database.format.as_str().to_string(),
            database_path: path(&info.database.path),
            packages: info.database.packages,
            sandbox: info.sandbox.as_ref().map(|s| s.description.clone()),
            report_file: None,
        }))
    }

    fn finding(&mut self, finding: &Finding) -> io::Result<()> {
        self.send(Event::Findings(vec![Item::from_finding(finding)]))
    }

    fn scripts(&mut self, scripts: &PackageScripts) -> io::Result<()> {
        let v = serde_json::to_value(scripts).unwrap_or_default();
        self.send(Event::Scripts(scripts.package.key(), v))
    }

    fn finish(&mut self, end: &ScanEnd) -> io::Result<()> {
        let verdicts = end
            .packages
            .iter()
            .map(|p| (p.record, p.verdict.as_str().to_string(), p.signer.clone()))
            .collect();
        self.send(Event::Packages(verdicts))?;
        self.send(Event::Finished {
            complete: end.complete,
        })
    }
}
