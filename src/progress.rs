//! Progress events: what the workers publish while a scan runs. The text
//! front end draws a progress line from them; the TUI attaches to the same
//! stream. Sending never blocks a worker (unbounded channel, and no sender
//! at all when nobody listens).

use crossbeam_channel::Sender;

use crate::model::Finding;

/// A progress event published while a scan runs.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Progress {
    /// The database was read: the totals that follow are known.
    DatabaseRead {
        /// Packages read (without `gpg-pubkey` entries).
        packages: u64,
        /// Files that will be checked.
        files: u64,
        /// Bytes those files should hold (recorded sizes).
        bytes: u64,
    },
    /// A check started.
    CheckStarted(crate::check::CheckKind),
    /// One file was checked.
    FileChecked {
        /// Bytes read to hash it.
        bytes: u64,
    },
    /// A finding was made (workers publish them as they go).
    Finding(Box<Finding>),
    /// The scan finished.
    Finished,
}

/// Where progress goes: a channel, or nowhere.
#[derive(Clone, Debug, Default)]
pub struct ProgressSink(Option<Sender<Progress>>);

impl ProgressSink {
    /// Publish to `tx`.
    pub fn new(tx: Sender<Progress>) -> ProgressSink {
        ProgressSink(Some(tx))
    }

    /// Publish nothing.
    pub fn none() -> ProgressSink {
        ProgressSink(None)
    }

    /// True when somebody listens.
    pub fn is_active(&self) -> bool {
        self.0.is_some()
    }

    /// Send one event (dropped when nobody listens or the reader is gone).
    pub fn send(&self, ev: Progress) {
        if let Some(tx) = &self.0 {
            let _ = tx.send(ev);
        }
    }
}
