//! Shared set-up of rootaudit's fuzz targets (`fuzz_targets/*.rs`).

/// Run once before the first input: install the panic hook.
///
/// libFuzzer's hook aborts on every panic. rootaudit catches panics of the
/// OpenPGP library on purpose (`rootaudit::trust::guarded`: a hostile key
/// or signature becomes a typed error), so those are let through quietly;
/// any other panic is a crash. With `ROOTAUDIT_FUZZ_STRICT=1` the caught
/// ones abort too (to find bugs to report to the OpenPGP library).
pub fn init() {
    let strict = std::env::var_os("ROOTAUDIT_FUZZ_STRICT").is_some_and(|v| v == "1");
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !strict && rootaudit::trust::in_guarded_call() {
            return;
        }
        previous(info);
        std::process::abort();
    }));
}
