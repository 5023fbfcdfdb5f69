//! Fuzz target: `rootaudit::fuzz::rpm_ndb`.
#![no_main]

libfuzzer_sys::fuzz_target!(init: rootaudit_fuzz::init(), |data: &[u8]| {
    rootaudit::fuzz::rpm_ndb(data);
});
