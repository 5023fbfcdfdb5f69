//! [`StateLock`]: one scan at a time (history stage). An exclusive
//! `flock(2)` on `STATE.lock`, the file beside the state named after it.
//!
//! The kernel drops the lock when its holder exits, however it exits
//! (`kill -9` included), so a stale lock cannot outlive a killed scan; the
//! killed scan's row, still `running`, is what the next holder cleans up
//! ([`super::History::mark_interrupted`]). Readers never take the lock to
//! read; [`StateLock::is_held`] only peeks (a shared lock taken and
//! dropped at once), and a scan that finds the lock busy retries for a
//! moment before giving up, so such a peek never makes a scan fail.

use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::fs::{FlockOperation, flock};
use rustix::io::Errno;

use super::HistoryError;

/// How long a scan that is not told to wait keeps trying a busy lock
/// (longer than any reader's peek, far shorter than any scan).
const PATIENCE: Duration = Duration::from_millis(500);

/// The lock, held until this is dropped.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
    path: PathBuf,
}

impl StateLock {
    /// The lock file of the state file `state`: `STATE.lock`.
    pub fn path_for(state: &Path) -> PathBuf {
        let mut name = state.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Take the lock of the state file `state` (creating the lock file,
    /// mode 0600): waiting as long as it takes with `wait`, otherwise
    /// failing with [`HistoryError::Locked`] when another scan holds it.
    pub fn acquire(state: &Path, wait: bool) -> Result<StateLock, HistoryError> {
        let path = StateLock::path_for(state);
        let io = |source: std::io::Error| HistoryError::Io {
            path: path.clone(),
            source,
        };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(io)?;
        if wait {
            loop {
                match flock(&file, FlockOperation::LockExclusive) {
                    Ok(()) => break,
                    Err(Errno::INTR) => continue,
                    Err(e) => return Err(io(e.into())),
                }
            }
        } else {
            let start = Instant::now();
            loop {
                match flock(&file, FlockOperation::NonBlockingLockExclusive) {
                    Ok(()) => break,
                    Err(Errno::WOULDBLOCK | Errno::INTR) if start.elapsed() < PATIENCE => {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    Err(Errno::WOULDBLOCK) => return Err(HistoryError::Locked { lock: path }),
                    Err(e) => return Err(io(e.into())),
                }
            }
        }
        Ok(StateLock { _file: file, path })
    }

    /// Whether a scan holds the lock of `state` now: `None` when that
    /// cannot be told (the lock file cannot be opened). A missing lock
    /// file is not held.
    pub fn is_held(state: &Path) -> Option<bool> {
        let path = StateLock::path_for(state);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(false),
            Err(_) => return None,
        };
        match flock(&file, FlockOperation::NonBlockingLockShared) {
            Ok(()) => Some(false), // released when `file` closes
            Err(Errno::WOULDBLOCK) => Some(true),
            Err(_) => None,
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.sqlite");
        assert_eq!(StateLock::is_held(&state), Some(false), "no lock file yet");
        let first = StateLock::acquire(&state, false).unwrap();
        assert_eq!(first.path(), dir.path().join("state.sqlite.lock"));
        assert_eq!(StateLock::is_held(&state), Some(true));
        let e = StateLock::acquire(&state, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "another rootaudit scan is running (lock {} held)",
                dir.path().join("state.sqlite.lock").display()
            )
        );
        drop(first);
        assert_eq!(StateLock::is_held(&state), Some(false));
        let _second = StateLock::acquire(&state, false).unwrap();
    }

    #[test]
    fn wait_blocks_until_the_holder_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.sqlite");
        let first = StateLock::acquire(&state, false).unwrap();
        let s2 = state.clone();
        let waiter = std::thread::spawn(move || {
            StateLock::acquire(&s2, true).map(|lock| (lock, Instant::now()))
        });
        std::thread::sleep(Duration::from_millis(700));
        assert!(!waiter.is_finished(), "the waiter got a held lock");
        let released = Instant::now();
        drop(first);
        let (_lock, acquired) = waiter.join().unwrap().unwrap();
        assert!(acquired >= released);
    }

    #[test]
    fn a_peek_does_not_make_a_scan_fail() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.sqlite");
        drop(StateLock::acquire(&state, false).unwrap());
        // A reader holding the shared lock briefly (as a peek does).
        let reader = File::open(StateLock::path_for(&state)).unwrap();
        flock(&reader, FlockOperation::LockShared).unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            drop(reader);
        });
        StateLock::acquire(&state, false).unwrap();
        release.join().unwrap();
    }
}
