//! Fuzz target: `rootaudit::fuzz::pkgsrc_plist`.
#![no_main]

libfuzzer_sys::fuzz_target!(init: rootaudit_fuzz::init(), |data: &[u8]| {
    rootaudit::fuzz::pkgsrc_plist(data);
});
