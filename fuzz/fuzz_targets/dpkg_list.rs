//! Fuzz target: `rootaudit::fuzz::dpkg_list`.
#![no_main]

libfuzzer_sys::fuzz_target!(init: rootaudit_fuzz::init(), |data: &[u8]| {
    rootaudit::fuzz::dpkg_list(data);
});
