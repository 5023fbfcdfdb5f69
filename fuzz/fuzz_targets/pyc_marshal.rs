//! Fuzz target: `rootaudit::fuzz::pyc_marshal`.
#![no_main]

libfuzzer_sys::fuzz_target!(init: rootaudit_fuzz::init(), |data: &[u8]| {
    rootaudit::fuzz::pyc_marshal(data);
});
