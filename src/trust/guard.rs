//! Guarded calls into the OpenPGP library, for the `trust` stage: hostile
//! key files and signatures can make the parser panic, and a panic there
//! must become a typed error (e.g. [`super::verify::SignatureError::ParserPanicked`]),
//! never a crash or a "thread … panicked at …" line on stderr.
//!
//! [`guarded`] runs a closure under [`std::panic::catch_unwind`] and marks
//! the current thread as inside a guarded call while it runs;
//! [`in_guarded_call`] reports that mark. The library never installs a
//! panic hook (that is global state); the binary's hook asks
//! [`in_guarded_call`] and stays silent for panics that will be caught.
//!
//! ```
//! use rootaudit::trust::guard::{guarded, in_guarded_call};
//! assert!(!in_guarded_call());
//! assert_eq!(guarded(|| in_guarded_call()).ok(), Some(true));
//! assert!(guarded(|| -> u8 { panic!("hostile input") }).is_err());
//! assert!(!in_guarded_call());
//! ```

use std::cell::Cell;
use std::panic::UnwindSafe;

thread_local! {
    /// How many [`guarded`] calls the current thread is inside.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Leaves one level of [`DEPTH`] when dropped.
struct Level;

impl Level {
    fn enter() -> Level {
        DEPTH.with(|d| d.set(d.get() + 1));
        Level
    }
}

impl Drop for Level {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Run `f`, catching a panic in it; while it runs, [`in_guarded_call`] is
/// true on this thread.
pub fn guarded<T>(f: impl FnOnce() -> T + UnwindSafe) -> std::thread::Result<T> {
    let _level = Level::enter();
    std::panic::catch_unwind(f)
}

/// True while the current thread is inside [`guarded`]: a panic now will be
/// caught and reported as a typed error.
pub fn in_guarded_call() -> bool {
    DEPTH.with(|d| d.get() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_the_thread_only_inside_the_call() {
        assert!(!in_guarded_call());
        assert_eq!(guarded(in_guarded_call).ok(), Some(true));
        assert!(!in_guarded_call());
        // Nested calls, and a panic inside the inner one.
        let r = guarded(|| {
            let inner = guarded(|| -> u8 { panic!("assertion failed: left == right") });
            (inner.is_err(), in_guarded_call())
        });
        assert_eq!(r.ok(), Some((true, true)));
        assert!(!in_guarded_call());
    }

    #[test]
    fn other_threads_are_not_marked() {
        let seen = guarded(|| std::thread::spawn(in_guarded_call).join().ok());
        assert_eq!(seen.ok(), Some(Some(false)));
    }
}
