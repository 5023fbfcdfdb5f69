//! The binary's panic hook: silent for panics the library catches.
//!
//! The OpenPGP parser can panic on hostile key files and signatures; the
//! `trust` stage runs it under [`rootaudit::trust::guarded`], which turns
//! such a panic into a typed error. The default hook would still print
//! "thread … panicked at …" to stderr first, so [`install`] puts a hook in
//! front of it that returns silently while
//! [`rootaudit::trust::in_guarded_call`] is true and hands every other panic
//! (a real bug) to the previous hook. The hook is global state, so it lives
//! here in the binary, never in the library.
//!
//! ```ignore
//! fn main() {
//!     cli::panic::install();
//!     // …
//! }
//! ```

/// Install the hook, in front of whatever hook is set now (the default).
pub fn install() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if rootaudit::trust::in_guarded_call() {
            return;
        }
        // A real bug: give the terminal back before the message.
        crate::cli::tui::restore_if_active();
        previous(info);
    }));
}
