//! Manners for a scheduled scan on a live server: lower priority
//! (`--nice`) and a clean stop on `SIGTERM`/`SIGINT` (systemd stopping the
//! unit, an operator's Ctrl-C): the workers stop, the report and the
//! history say the scan was interrupted, and the exit status is 2.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use anyhow::Context;
use rootaudit::scan::Counters;

/// The counters a stop signal cancels.
static STOP: OnceLock<Arc<Counters>> = OnceLock::new();
/// Set by the first stop signal.
static STOPPED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop(_: libc::c_int) {
    // Async-signal-safe: atomic loads and stores, and `_exit`.
    if STOPPED.swap(true, Ordering::SeqCst) {
        // A second signal: the operator means now.
        // SAFETY: `_exit` is async-signal-safe and never returns.
        unsafe { libc::_exit(2) };
    }
    if let Some(c) = STOP.get() {
        c.cancel();
    }
}

/// On `SIGTERM` or `SIGINT`, cancel the scan counting in `counters` (a
/// second signal exits at once, status 2).
pub fn stop_on_signals(counters: Arc<Counters>) -> anyhow::Result<()> {
    let _ = STOP.set(counters);
    for sig in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: a plain handler that only touches atomics; `sa` is zeroed
        // then filled as sigaction(2) requires.
        let ok = unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_stop as *const () as usize;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut()) == 0
        };
        if !ok {
            return Err(std::io::Error::last_os_error()).context("installing a signal handler");
        }
    }
    Ok(())
}

/// True once a stop signal arrived.
pub fn stopped() -> bool {
    STOPPED.load(Ordering::SeqCst)
}

/// `--nice`: CPU nice 19 and best-effort I/O priority 7 for this thread
/// and every thread started after (call before any thread starts).
pub fn lower_priority() -> anyhow::Result<()> {
    // SAFETY: plain system calls on the calling thread.
    if unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 19) } != 0 {
        return Err(std::io::Error::last_os_error()).context("setpriority(19)");
    }
    const IOPRIO_WHO_PROCESS: libc::c_long = 1;
    const IOPRIO_CLASS_BE: libc::c_long = 2;
    const IOPRIO_CLASS_SHIFT: u32 = 13;
    let prio = (IOPRIO_CLASS_BE << IOPRIO_CLASS_SHIFT) | 7;
    // SAFETY: ioprio_set(2) with plain integer arguments.
    if unsafe { libc::syscall(libc::SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, prio) } != 0 {
        return Err(std::io::Error::last_os_error()).context("ioprio_set(best-effort, 7)");
    }
    Ok(())
}
