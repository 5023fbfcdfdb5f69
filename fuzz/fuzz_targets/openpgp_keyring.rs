//! Fuzz target: `rootaudit::fuzz::openpgp_keyring`.
#![no_main]

libfuzzer_sys::fuzz_target!(init: rootaudit_fuzz::init(), |data: &[u8]| {
    rootaudit::fuzz::openpgp_keyring(data);
});
