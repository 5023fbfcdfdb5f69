//! `rootaudit keys list`: the trust store as lines for a person, through
//! the one escaper ([`super::Terminal`]).

use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;

use super::Terminal;
use crate::trust::{KeyDefect, KeyStatus, TrustStore};

/// Write every key of `store` (fingerprint, algorithm, status, expiry, user
/// id, file), its subkeys, the unusable files and a count.
pub fn write_list(store: &TrustStore, out: impl Write) -> io::Result<()> {
    let mut t = Terminal::new(out);
    if store.dirs().is_empty() {
        t.line(b"no keys folder given (--keys) and none of the default folders exists")?;
    }
    for d in store.dirs() {
        let mut l = b"# ".to_vec();
        l.extend_from_slice(d.as_os_str().as_bytes());
        t.line(&l)?;
    }
    for k in store.keys() {
        let mut l = format!(
            "{}  {}  {}  {}  ",
            k.fingerprint,
            algorithm_text(&k.algorithm, k.bits),
            status_text(k.status, k.defect.as_ref()),
            expiry_text(k.expires),
        )
        .into_bytes();
        match k.user_id.as_deref() {
            Some(u) => l.extend_from_slice(u),
            None => l.extend_from_slice(b"(no user id)"),
        }
        l.extend_from_slice(b"  ");
        l.extend_from_slice(k.source.as_os_str().as_bytes());
        t.line(&l)?;
        for sub in &k.subkeys {
            t.line(
                format!(
                    "  sub {}  {}  {}  {}{}",
                    sub.fingerprint,
                    algorithm_text(&sub.algorithm, sub.bits),
                    status_text(sub.status, sub.defect.as_ref()),
                    expiry_text(sub.expires),
                    if sub.signing { "  signing" } else { "" }
                )
                .as_bytes(),
            )?;
        }
    }
    for p in store.problems() {
        let mut l = b"unusable  ".to_vec();
        l.extend_from_slice(p.source.as_os_str().as_bytes());
        l.extend_from_slice(format!(": {}", p.reason).as_bytes());
        t.line(&l)?;
    }
    let (n, u) = (store.keys().len(), store.problems().len());
    t.line(
        format!(
            "{n} key{}, {u} unusable file{}",
            if n == 1 { "" } else { "s" },
            if u == 1 { "" } else { "s" }
        )
        .as_bytes(),
    )?;
    t.flush()
}

fn algorithm_text(alg: &str, bits: Option<u32>) -> String {
    match bits {
        Some(b) => format!("{alg} {b}"),
        None => alg.to_string(),
    }
}

fn status_text(status: KeyStatus, defect: Option<&KeyDefect>) -> String {
    match defect {
        Some(d) => format!("{} ({d})", status.as_str()),
        None => status.as_str().to_string(),
    }
}

fn expiry_text(expires: Option<u32>) -> String {
    match expires {
        Some(t) => format!("expires {}", crate::trust::headers::date(t)),
        None => "no expiry".into(),
    }
}
