//! Fuzz target: `rootaudit::fuzz::pacman_desc`.
#![no_main]

libfuzzer_sys::fuzz_target!(init: rootaudit_fuzz::init(), |data: &[u8]| {
    rootaudit::fuzz::pacman_desc(data);
});
