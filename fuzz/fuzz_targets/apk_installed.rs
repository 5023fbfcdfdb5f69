//! Fuzz target: `rootaudit::fuzz::apk_installed`.
#![no_main]

libfuzzer_sys::fuzz_target!(init: rootaudit_fuzz::init(), |data: &[u8]| {
    rootaudit::fuzz::apk_installed(data);
});
