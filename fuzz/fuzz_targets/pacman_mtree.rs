//! Fuzz target: `rootaudit::fuzz::pacman_mtree`.
#![no_main]

libfuzzer_sys::fuzz_target!(init: rootaudit_fuzz::init(), |data: &[u8]| {
    rootaudit::fuzz::pacman_mtree(data);
});
