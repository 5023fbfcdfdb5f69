//! [`Throttle`]: a ceiling on the rate all hashing workers read at
//! together (`scan --max-rate`), for a scan of a busy server.
//!
//! The pacing is the simplest that holds an average: the workers add what
//! they read to one shared total, and a worker that finds the total ahead
//! of `rate × elapsed` sleeps until the schedule catches up. Reads stay
//! the size they were (one buffer), so the rate is held to within a
//! buffer per worker over any second; no worker ever waits for another.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// The largest single sleep: a worker re-checks cancellation this often.
const MAX_SLEEP: Duration = Duration::from_millis(250);

/// A shared byte-rate ceiling.
#[derive(Debug)]
pub struct Throttle {
    bytes_per_sec: f64,
    start: Instant,
    total: AtomicU64,
    cancelled: AtomicBool,
}

/// The scan was cancelled while a read waited for the schedule.
#[derive(Debug, thiserror::Error)]
#[error("the scan was stopped")]
pub struct Cancelled;

impl Throttle {
    /// At most `bytes_per_sec` (all callers together), from now on.
    pub fn new(bytes_per_sec: f64) -> Throttle {
        Throttle {
            bytes_per_sec: bytes_per_sec.max(1.0),
            start: Instant::now(),
            total: AtomicU64::new(0),
            cancelled: AtomicBool::new(false),
        }
    }

    /// The rate it holds, bytes per second.
    pub fn rate(&self) -> f64 {
        self.bytes_per_sec
    }

    /// `bytes` were just read: wait until the schedule allows them.
    /// Fails at once when the scan is cancelled (a throttled read of a
    /// large file must not hold a stop back for minutes).
    pub fn pace(&self, bytes: u64) -> Result<(), Cancelled> {
        let total = self.total.fetch_add(bytes, Relaxed) + bytes;
        loop {
            if self.cancelled.load(Relaxed) {
                return Err(Cancelled);
            }
            let due = Duration::from_secs_f64(total as f64 / self.bytes_per_sec);
            let Some(ahead) = due.checked_sub(self.start.elapsed()) else {
                return Ok(());
            };
            if ahead.is_zero() {
                return Ok(());
            }
            std::thread::sleep(ahead.min(MAX_SLEEP));
        }
    }

    /// Stop every wait ([`Throttle::pace`] fails from now on).
    pub fn cancel(&self) {
        self.cancelled.store(true, Relaxed);
    }

    /// How long pacing `bytes` more would make a caller wait now (zero
    /// when behind schedule), without counting them.
    pub fn delay_for(&self, bytes: u64) -> Duration {
        let total = self.total.load(Relaxed) + bytes;
        Duration::from_secs_f64(total as f64 / self.bytes_per_sec)
            .saturating_sub(self.start.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_follows_the_bytes_counted() {
        let t = Throttle::new(1000.0);
        // Nothing counted yet: 500 bytes are due at 0.5 s, minus the
        // moment that has passed since `new`.
        let d = t.delay_for(500);
        assert!(
            d <= Duration::from_millis(500) && d > Duration::from_millis(400),
            "{d:?}"
        );
        // A caller behind schedule never waits.
        assert_eq!(Throttle::new(1e12).delay_for(1), Duration::ZERO);
    }

    #[test]
    fn pace_counts_every_caller() {
        let t = Throttle::new(1e12);
        t.pace(10).unwrap();
        t.pace(20).unwrap();
        assert_eq!(t.total.load(Relaxed), 30);
        t.cancel();
        assert!(t.pace(1).is_err());
    }
}
