//! The progress line on standard error: a thread that samples the scan's
//! counters a few times a second (the scan never waits for it).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rootaudit::scan::{Counters, Phase};

/// A running progress line; [`ProgressLine::stop`] clears it.
pub struct ProgressLine {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl ProgressLine {
    /// Start drawing from `counters`.
    pub fn start(counters: Arc<Counters>) -> ProgressLine {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || draw(&counters, &flag));
        ProgressLine { stop, thread }
    }

    /// Stop and clear the line.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

fn draw(counters: &Counters, stop: &AtomicBool) {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(8));
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} {bytes}/{total_bytes} ({binary_bytes_per_sec}, ETA {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    while !stop.load(Ordering::Relaxed) {
        let s = counters.snapshot();
        match s.phase {
            Phase::ReadingDatabase => bar.set_message("reading package database"),
            Phase::Finished => break,
            Phase::Check(c) => {
                bar.set_length(s.bytes_total.max(s.bytes_hashed));
                bar.set_position(s.bytes_hashed);
                bar.set_message(format!(
                    "{} packages, {}/{} files ({c})",
                    s.packages, s.files_checked, s.files_total
                ));
            }
        }
        std::thread::sleep(Duration::from_millis(125));
    }
    bar.finish_and_clear();
}
