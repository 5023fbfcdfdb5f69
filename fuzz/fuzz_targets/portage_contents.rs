//! Fuzz target: `rootaudit::fuzz::portage_contents`.
#![no_main]

libfuzzer_sys::fuzz_target!(init: rootaudit_fuzz::init(), |data: &[u8]| {
    rootaudit::fuzz::portage_contents(data);
});
