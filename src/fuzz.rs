//! Fuzz entry points: one function per reader of target-controlled bytes,
//! for the cargo-fuzz targets in `fuzz/` and the stable smoke test
//! (`tests/fuzz_smoke.rs`). Not part of the API (hidden from the docs).
//!
//! Each function feeds `data` to a reader at the lowest level that takes
//! bytes (no temp files, no [`crate::rootfs::Root`]) and throws the result
//! away: the only property checked is that the reader returns — no panic,
//! no hang, no allocation sized by what the input claims. It sits above
//! `check` in the pipeline because it calls readers of `pkgdb`, `trust`
//! and `check`.
//!
//! ```
//! rootaudit::fuzz::rpm_header(b"\x8e\xad\xe8\x01\0\0\0\0\0\0\0\x01");
//! rootaudit::fuzz::dpkg_status(b"Package: a\nStatus: install ok installed\n");
//! ```

use std::path::Path;

use crate::check::bytecode::{marshal, pyc};
use crate::pkgdb::dpkg::{info, status};
use crate::pkgdb::rpm::{self, bdb, header::Header, ndb, package, scripts};
use crate::pkgdb::{DbFormat, Package};
use crate::trust::TrustStore;
use crate::trust::headers::{HeadersOptions, Judge};

/// A fuzz target: takes any bytes, returns nothing, must not panic.
pub type Target = fn(&[u8]);

/// Every target, by name (the names of `fuzz/fuzz_targets/*.rs`).
pub const TARGETS: &[(&str, Target)] = &[
    ("rpm_header", rpm_header),
    ("rpm_bdb", rpm_bdb),
    ("rpm_ndb", rpm_ndb),
    ("rpm_sqlite_blob", rpm_sqlite_blob),
    ("dpkg_status", dpkg_status),
    ("dpkg_list", dpkg_list),
    ("dpkg_md5sums", dpkg_md5sums),
    ("pyc_marshal", pyc_marshal),
    ("openpgp_keyring", openpgp_keyring),
    ("pacman_mtree", pacman_mtree),
    ("pacman_desc", pacman_desc),
    ("apk_installed", apk_installed),
    ("portage_contents", portage_contents),
    ("pkgsrc_plist", pkgsrc_plist),
];

/// A pacman `mtree` file, gzip'd or plain (the decompressed size is
/// bounded by the reader).
pub fn pacman_mtree(data: &[u8]) {
    let _ = crate::pkgdb::pacman::mtree::read(data);
}

/// A pacman `desc` (or `files`) file.
pub fn pacman_desc(data: &[u8]) {
    let mut d = crate::pkgdb::pacman::desc::Desc::default();
    crate::pkgdb::pacman::desc::parse(data, &mut d);
}

/// apk's `lib/apk/db/installed`: every stanza read.
pub fn apk_installed(data: &[u8]) {
    for s in crate::pkgdb::apk::installed::Stanzas::new(data) {
        if s.is_err() {
            break;
        }
    }
}

/// A portage `CONTENTS` file.
pub fn portage_contents(data: &[u8]) {
    let _ = crate::pkgdb::portage::contents::parse(data);
}

/// A pkgsrc `+CONTENTS` packing list.
pub fn pkgsrc_plist(data: &[u8]) {
    let _ = crate::pkgdb::pkgsrc::plist::parse(data, b"/var/db/pkg/x-1.0");
}

/// A bare rpm header blob: parsed, every entry read through every typed
/// accessor, the signed region rebuilt, the package and its scriptlets
/// taken from it.
pub fn rpm_header(data: &[u8]) {
    let Ok(h) = Header::parse(data) else {
        return;
    };
    for e in h.entries() {
        let _ = e.u16_array();
        let _ = e.u32_array();
        let _ = e.u64_array();
        let _ = e.i8_array();
        let _ = e.u32();
        let _ = e.bin();
        let _ = e.str();
        let _ = e.string_array_bytes();
        let _ = h.get_any(e.tag());
    }
    let _ = h.region_overrides();
    let _ = h.signed_region_bytes();
    if let Ok(p) = package::package_of(&h, 1) {
        let _ = scripts::scripts_of(&h, &p.reference());
    }
}

/// A BerkeleyDB hash `Packages` file image: every record walked
/// ([`bdb::extract_each`]), blobs dropped as they come.
pub fn rpm_bdb(data: &[u8]) {
    let _ = bdb::extract_each(data, &mut |_| {});
}

/// An NDB `Packages.db` image: every slot and blob walked
/// ([`ndb::extract_each`]), blobs dropped as they come.
pub fn rpm_ndb(data: &[u8]) {
    let _ = ndb::extract_each(data, &mut |_| {});
}

/// A header blob as `rpmdb.sqlite` stores it in `Packages.blob`, down the
/// path the sqlite backend and the `headers` check take: the record read
/// into a package (or a malformed record), then judged (digests, signature
/// packets; a `gpg-pubkey` entry's key parsed as the target's keyring).
pub fn rpm_sqlite_blob(data: &[u8]) {
    let store = TrustStore::empty();
    let opts = HeadersOptions::default();
    match rpm::read_record(data, 1) {
        Ok(p) => {
            let pubkeys: Vec<Package> = if p.is_pubkey() {
                vec![p.clone()]
            } else {
                Vec::new()
            };
            let mut judge = Judge::new(&store, pubkeys, opts);
            judge.packages(std::slice::from_ref(&p));
            let _ = judge.finish(DbFormat::RPM_SQLITE);
        }
        Err(m) => {
            let mut judge = Judge::new(&store, Vec::new(), opts);
            judge.malformed(std::slice::from_ref(&*m));
            let _ = judge.finish(DbFormat::RPM_SQLITE);
        }
    }
}

/// A dpkg `status` file (or a `status.d` stanza file).
pub fn dpkg_status(data: &[u8]) {
    let _ = status::names_packages(data);
    let _ = status::parse(data, 0);
}

/// A dpkg `info/*.list` file.
pub fn dpkg_list(data: &[u8]) {
    let _ = info::parse_list(data);
}

/// A dpkg `info/*.md5sums` file.
pub fn dpkg_md5sums(data: &[u8]) {
    let _ = info::parse_md5sums(data);
}

/// A whole `.pyc` file: its header, then the marshalled code object after
/// it, read for the magic's version as the bytecode check does.
pub fn pyc_marshal(data: &[u8]) {
    let Ok(h) = pyc::parse_header(data) else {
        return;
    };
    if let Some(body) = data.get(h.len..) {
        let _ = marshal::summarize(body, h.version);
    }
}

/// A key file as found in a `--keys` folder (ASCII-armored blocks or
/// binary packets): certificates parsed and evaluated.
pub fn openpgp_keyring(data: &[u8]) {
    let mut store = TrustStore::empty();
    let _ = store.add_bytes(Path::new("fuzz.asc"), data);
}
