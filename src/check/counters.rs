//! [`Counters`]: what a scan has done so far, as atomics the workers bump
//! and a front end samples (a progress line, the TUI) whenever it likes.
//! Nothing is sent per file and nobody waits: a slow front end cannot slow
//! the scan. A front end stops a scan the same way: [`Counters::cancel`];
//! the workers skip what is left and the report says it is partial.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering::Relaxed};

use super::CheckKind;
use crate::model::Severity;

/// What the scan is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Opening and reading the package database (first read).
    ReadingDatabase,
    /// A check is running.
    Check(CheckKind),
    /// Done.
    Finished,
}

/// Live counters of one scan (shared by reference; all relaxed atomics).
#[derive(Debug, Default)]
pub struct Counters {
    phase: AtomicU8,
    packages: AtomicU64,
    files_total: AtomicU64,
    bytes_total: AtomicU64,
    files_checked: AtomicU64,
    bytes_hashed: AtomicU64,
    findings: [AtomicU64; 5],
    accepted: AtomicU64,
    cancelled: AtomicBool,
    throttle: std::sync::OnceLock<super::throttle::Throttle>,
}

/// A sample of [`Counters`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// What the scan is doing.
    pub phase: Phase,
    /// Packages read (without `gpg-pubkey` entries).
    pub packages: u64,
    /// Files the `files` check will verify (known after the first read).
    pub files_total: u64,
    /// Bytes those files should hold (recorded sizes).
    pub bytes_total: u64,
    /// Files verified so far.
    pub files_checked: u64,
    /// Bytes hashed so far.
    pub bytes_hashed: u64,
    /// Findings so far that count toward the exit status, indexed by
    /// severity (`Info` = 0 … `Critical` = 4).
    pub findings: [u64; 5],
    /// Findings so far that a waiver accepted (reported, not counted in
    /// `findings`).
    pub accepted: u64,
}

impl Snapshot {
    /// Findings so far at `severity`.
    pub fn findings_at(&self, severity: Severity) -> u64 {
        self.findings[severity as usize]
    }
}

impl Counters {
    /// Fresh counters.
    pub fn new() -> Counters {
        Counters::default()
    }

    /// Record the phase.
    pub fn set_phase(&self, phase: Phase) {
        let v = match phase {
            Phase::ReadingDatabase => 0,
            Phase::Check(c) => 1 + CheckKind::ALL.iter().position(|k| *k == c).unwrap_or(0) as u8,
            Phase::Finished => u8::MAX,
        };
        self.phase.store(v, Relaxed);
    }

    /// Record what the first read of the database found.
    pub fn database_read(&self, packages: u64, files: u64, bytes: u64) {
        self.packages.store(packages, Relaxed);
        self.files_total.store(files, Relaxed);
        self.bytes_total.store(bytes, Relaxed);
    }

    /// One file verified, `bytes` read to hash it.
    pub fn file_checked(&self, bytes: u64) {
        self.files_checked.fetch_add(1, Relaxed);
        if bytes > 0 {
            self.bytes_hashed.fetch_add(bytes, Relaxed);
        }
    }

    /// One finding reported.
    pub fn finding(&self, severity: Severity) {
        self.findings[severity as usize].fetch_add(1, Relaxed);
    }

    /// One finding reported that a waiver accepted (counted apart from
    /// [`Counters::finding`]'s: it does not count toward the exit status).
    pub fn accepted(&self) {
        self.accepted.fetch_add(1, Relaxed);
    }

    /// Ask the scan to stop: files not yet verified are skipped, the
    /// remaining checks do not start, and the scan ends as incomplete.
    pub fn cancel(&self) {
        self.cancelled.store(true, Relaxed);
        if let Some(t) = self.throttle.get() {
            t.cancel();
        }
    }

    /// True once [`Counters::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Relaxed)
    }

    /// Hash at most `bytes_per_sec` from now on, all workers together
    /// (`scan --max-rate`). Set once; a second call is ignored.
    pub fn limit_rate(&self, bytes_per_sec: f64) {
        let _ = self
            .throttle
            .set(super::throttle::Throttle::new(bytes_per_sec));
    }

    /// The rate ceiling hashing must keep, if one was set.
    pub fn throttle(&self) -> Option<&super::throttle::Throttle> {
        self.throttle.get()
    }

    /// Sample the counters.
    pub fn snapshot(&self) -> Snapshot {
        let phase = match self.phase.load(Relaxed) {
            0 => Phase::ReadingDatabase,
            u8::MAX => Phase::Finished,
            n => Phase::Check(CheckKind::ALL[(n as usize - 1).min(CheckKind::ALL.len() - 1)]),
        };
        Snapshot {
            phase,
            packages: self.packages.load(Relaxed),
            files_total: self.files_total.load(Relaxed),
            bytes_total: self.bytes_total.load(Relaxed),
            files_checked: self.files_checked.load(Relaxed),
            bytes_hashed: self.bytes_hashed.load(Relaxed),
            findings: std::array::from_fn(|i| self.findings[i].load(Relaxed)),
            accepted: self.accepted.load(Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_reads_back_what_was_counted() {
        let c = Counters::new();
        assert_eq!(c.snapshot().phase, Phase::ReadingDatabase);
        c.database_read(3, 10, 1000);
        c.set_phase(Phase::Check(CheckKind::Files));
        c.file_checked(100);
        c.file_checked(0);
        c.finding(Severity::High);
        let s = c.snapshot();
        assert_eq!(s.phase, Phase::Check(CheckKind::Files));
        assert_eq!((s.packages, s.files_total, s.bytes_total), (3, 10, 1000));
        assert_eq!((s.files_checked, s.bytes_hashed), (2, 100));
        assert_eq!(s.findings_at(Severity::High), 1);
        c.accepted();
        let s = c.snapshot();
        assert_eq!((s.findings_at(Severity::High), s.accepted), (1, 1));
        c.set_phase(Phase::Check(CheckKind::Unowned));
        assert_eq!(c.snapshot().phase, Phase::Check(CheckKind::Unowned));
        c.set_phase(Phase::Finished);
        assert_eq!(c.snapshot().phase, Phase::Finished);
    }
}
