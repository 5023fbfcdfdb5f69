//! Header trust (`--checks headers`, `--keys`): real packages signed with
//! keys made in the test (`gpg --quick-gen-key`, RSA and Ed25519) by
//! `rpmsign`, installed with rpm, and then the installed headers tampered
//! with in `rpmdb.sqlite` the way an attacker who owns the system would:
//! a flipped byte in the signed region, stripped signatures, a signature by
//! the attacker's own key (imported into the target's keyring), and
//! "dribble" entries after the region that override the file digests —
//! which `rpm -Va` believes and rootaudit does not.
//!
//! Plus the real databases of `../shared/realdata` (skipped when absent)
//! checked without their files.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

use crate::util::*;

// ---------------------------------------------------------------------------
// Keys and signing
// ---------------------------------------------------------------------------

/// True when gpg and rpmsign are here too (same policy as the oracle tools:
/// a CI run fails instead of skipping).
fn signing_tools() -> bool {
    if !tools_available() {
        return false;
    }
    let missing = missing_tools(&["gpg", "gpg-agent", "gpgconf", "rpmsign"]);
    if missing.is_empty() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("signing tools missing in CI: {}", missing.join(", "));
    }
    eprintln!("SKIPPING trust test: missing {}", missing.join(", "));
    false
}

macro_rules! require_signing {
    () => {
        if !signing_tools() {
            return;
        }
    };
}

/// An OpenPGP key made for the test, in its own GNUPGHOME, with its public
/// half exported into its own keys folder.
struct TestKey {
    home: TempDir,
    keys_dir: TempDir,
    uid: String,
    /// 16 lower-case hex digits.
    key_id: String,
}

impl TestKey {
    /// `algo`: `rsa3072` or `ed25519`.
    fn new(algo: &str, name: &str) -> TestKey {
        let home = tempfile::Builder::new()
            .prefix("rootaudit-gpg-")
            .tempdir()
            .unwrap();
        let uid = format!("rootaudit test {name} <{name}@rootaudit.test>");
        run_ok(
            Command::new("gpg")
                .env("GNUPGHOME", home.path())
                .args(["--batch", "--passphrase", "", "--quick-gen-key"])
                .args([uid.as_str(), algo, "sign", "never"]),
        );
        let keys_dir = tempfile::Builder::new()
            .prefix("rootaudit-keys-")
            .tempdir()
            .unwrap();
        let armored = run_ok(Command::new("gpg").env("GNUPGHOME", home.path()).args([
            "--batch",
            "--armor",
            "--export",
            uid.as_str(),
        ]))
        .stdout;
        assert!(armored.starts_with(b"-----BEGIN PGP PUBLIC KEY BLOCK-----"));
        std::fs::write(
            keys_dir.path().join(format!("RPM-GPG-KEY-{name}")),
            &armored,
        )
        .unwrap();
        let listing = run_ok(Command::new("gpg").env("GNUPGHOME", home.path()).args([
            "--batch",
            "--with-colons",
            "--list-keys",
            uid.as_str(),
        ]))
        .stdout_str();
        let key_id = listing
            .lines()
            .find(|l| l.starts_with("pub:"))
            .and_then(|l| l.split(':').nth(4))
            .expect("key id in gpg listing")
            .to_ascii_lowercase();
        TestKey {
            home,
            keys_dir,
            uid,
            key_id,
        }
    }

    fn keys_dir(&self) -> &Path {
        self.keys_dir.path()
    }

    fn public_key_file(&self) -> PathBuf {
        std::fs::read_dir(self.keys_dir())
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path()
    }

    /// `rpmsign --addsign` the package in place.
    fn sign(&self, rpm: &Path) {
        run_ok(
            Command::new("rpmsign")
                .env("GNUPGHOME", self.home.path())
                .args(["--define", "__gpg /usr/bin/gpg"])
                .args(["--define", &format!("_gpg_name {}", self.uid)])
                .args([
                    "--define",
                    "_gpg_sign_cmd_extra_args --batch --pinentry-mode loopback --passphrase \"\"",
                ])
                .arg("--addsign")
                .arg(rpm),
        );
    }
}

impl Drop for TestKey {
    fn drop(&mut self) {
        // The agent gpg started for this GNUPGHOME.
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.home.path())
            .args(["--kill", "all"])
            .status();
    }
}

fn demo_pkg(name: &str) -> PkgSpec {
    PkgSpec::new(name)
        .entry(FileEntry::file(
            &format!("/usr/bin/{name}"),
            format!("#!/bin/sh\necho {name}\n"),
        ))
        .entry(FileEntry::file(&format!("/usr/share/{name}/data"), "data\n").mode(0o644))
}

fn keys_arg(dir: &Path) -> String {
    dir.to_str().unwrap().to_string()
}

fn package_entry<'a>(audit: &'a Audit, nevra: &str) -> &'a Value {
    audit.json["packages"]
        .as_array()
        .expect("packages array")
        .iter()
        .find(|p| p["nevra"] == nevra)
        .unwrap_or_else(|| panic!("no packages entry for {nevra}: {}", audit.raw))
}

fn header_findings<'a>(audit: &'a Audit, kind: &str) -> Vec<&'a Value> {
    audit
        .findings()
        .iter()
        .filter(|f| f["kind"] == kind)
        .collect()
}

// ---------------------------------------------------------------------------
// Editing an installed header in rpmdb.sqlite (the attacker's moves)
// ---------------------------------------------------------------------------

/// One index entry of a stored header, with its data.
#[derive(Clone, Debug)]
struct RawEntry {
    tag: u32,
    ty: u32,
    count: u32,
    data: Vec<u8>,
}

/// A stored header split into its region (kept byte for byte) and the
/// entries after it (re-laid out on [`RawHeader::to_blob`]).
#[derive(Clone, Debug)]
struct RawHeader {
    region_index: Vec<u8>,
    region_data: Vec<u8>,
    ril: usize,
    outside: Vec<RawEntry>,
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

fn type_align(ty: u32) -> usize {
    match ty {
        3 => 2,
        4 => 4,
        5 => 8,
        _ => 1,
    }
}

fn entry_len(ty: u32, count: u32, data: &[u8], off: usize) -> usize {
    match ty {
        1 | 2 | 7 => count as usize,
        3 => 2 * count as usize,
        4 => 4 * count as usize,
        5 => 8 * count as usize,
        _ => {
            let mut len = 0;
            for _ in 0..count {
                len += data[off + len..].iter().position(|&b| b == 0).unwrap() + 1;
            }
            len
        }
    }
}

impl RawHeader {
    fn parse(blob: &[u8]) -> RawHeader {
        let il = be32(blob, 0) as usize;
        let dl = be32(blob, 4) as usize;
        let data = &blob[8 + 16 * il..];
        assert_eq!(data.len(), dl);
        assert_eq!(be32(blob, 8), 63, "entry 0 is HEADERIMMUTABLE");
        let trailer = be32(blob, 8 + 8) as usize;
        let ril = ((be32(data, trailer + 8) as i32).unsigned_abs() / 16) as usize;
        let rdl = trailer + 16;
        let outside = (ril..il)
            .map(|i| {
                let at = 8 + 16 * i;
                let (tag, ty, off, count) = (
                    be32(blob, at),
                    be32(blob, at + 4),
                    be32(blob, at + 8) as usize,
                    be32(blob, at + 12),
                );
                let len = entry_len(ty, count, data, off);
                RawEntry {
                    tag,
                    ty,
                    count,
                    data: data[off..off + len].to_vec(),
                }
            })
            .collect();
        RawHeader {
            region_index: blob[8..8 + 16 * ril].to_vec(),
            region_data: data[..rdl].to_vec(),
            ril,
            outside,
        }
    }

    fn to_blob(&self) -> Vec<u8> {
        let mut data = self.region_data.clone();
        let mut index = self.region_index.clone();
        for e in &self.outside {
            while !data.len().is_multiple_of(type_align(e.ty)) {
                data.push(0);
            }
            for v in [e.tag, e.ty, data.len() as u32, e.count] {
                index.extend_from_slice(&v.to_be_bytes());
            }
            data.extend_from_slice(&e.data);
        }
        let mut blob = Vec::new();
        blob.extend_from_slice(&((self.ril + self.outside.len()) as u32).to_be_bytes());
        blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
        blob.extend_from_slice(&index);
        blob.extend_from_slice(&data);
        blob
    }

    /// The region entry for `tag`: (type, offset, count).
    fn region_entry(&self, tag: u32) -> Option<(u32, usize, u32)> {
        (0..self.ril).find_map(|i| {
            let at = 16 * i;
            (be32(&self.region_index, at) == tag).then(|| {
                (
                    be32(&self.region_index, at + 4),
                    be32(&self.region_index, at + 8) as usize,
                    be32(&self.region_index, at + 12),
                )
            })
        })
    }

    /// A copy of the region's entry for `tag`, as an entry to append.
    fn region_copy(&self, tag: u32) -> RawEntry {
        let (ty, off, count) = self.region_entry(tag).expect("tag in region");
        let len = entry_len(ty, count, &self.region_data, off);
        RawEntry {
            tag,
            ty,
            count,
            data: self.region_data[off..off + len].to_vec(),
        }
    }

    fn outside_entry(&self, tag: u32) -> Option<&RawEntry> {
        self.outside.iter().find(|e| e.tag == tag)
    }
}

/// Split a STRING_ARRAY's data into its strings.
fn strings(data: &[u8]) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = data.split(|&b| b == 0).map(<[u8]>::to_vec).collect();
    v.pop(); // after the last NUL
    v
}

fn join_strings(v: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for s in v {
        out.extend_from_slice(s);
        out.push(0);
    }
    out
}

fn db_file(root: &TestRoot) -> PathBuf {
    root.join("/var/lib/rpm/rpmdb.sqlite")
}

/// The installed header of package `name`: (hnum, blob).
fn installed_blob(root: &TestRoot, name: &str) -> (i64, Vec<u8>) {
    let c = rusqlite::Connection::open(db_file(root)).unwrap();
    let mut st = c.prepare("SELECT hnum, blob FROM Packages").unwrap();
    let rows: Vec<(i64, Vec<u8>)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    rows.into_iter()
        .find(|(_, b)| {
            let h = rootaudit::pkgdb::rpm::header::Header::parse(b).unwrap();
            h.get(rootaudit::pkgdb::rpm::tags::NAME)
                .and_then(|e| e.str().ok().map(str::to_owned))
                .as_deref()
                == Some(name)
        })
        .unwrap_or_else(|| panic!("{name} is not installed"))
}

/// Replace package `name`'s header in the target's rpmdb.sqlite.
fn store_blob(root: &TestRoot, hnum: i64, blob: &[u8]) {
    rootaudit::pkgdb::rpm::header::Header::parse(blob).expect("edited header still parses");
    let c = rusqlite::Connection::open(db_file(root)).unwrap();
    let n = c
        .execute(
            "UPDATE Packages SET blob = ?1 WHERE hnum = ?2",
            rusqlite::params![blob, hnum],
        )
        .unwrap();
    assert_eq!(n, 1);
    // Fold the WAL back so that every reader sees the same database.
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
}

fn edit_header(root: &TestRoot, name: &str, edit: impl FnOnce(&mut RawHeader)) {
    let (hnum, blob) = installed_blob(root, name);
    let mut h = RawHeader::parse(&blob);
    assert_eq!(
        h.to_blob(),
        blob,
        "re-layout of an untouched header is exact"
    );
    edit(&mut h);
    store_blob(root, hnum, &h.to_blob());
}

const RSAHEADER: u32 = 268;
const DSAHEADER: u32 = 267;
const FILESIZES: u32 = 1028;
const FILEMTIMES: u32 = 1034;
const FILEDIGESTS: u32 = 1035;
const BASENAMES: u32 = 1117;
const SUMMARY: u32 = 1004;

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

/// RSA- and EdDSA-signed packages installed with rpm: trusted with their
/// key in `--keys`, `header-signer-untrusted` (grouped by key in the text
/// output) without it.
#[test]
fn signed_packages_trusted_only_with_their_key() {
    require_tools!();
    require_signing!();
    let rsa = TestKey::new("rsa3072", "rsa");
    let ed = TestKey::new("ed25519", "ed");
    let a = demo_pkg("trust-rsa").build();
    let b = demo_pkg("trust-ed").build();
    let c = demo_pkg("trust-none").build();
    rsa.sign(&a.path);
    ed.sign(&b.path);
    let root = TestRoot::new();
    root.install(&[&a, &b, &c]);

    let both = rootaudit_json(
        &root,
        &[
            "--keys",
            &keys_arg(rsa.keys_dir()),
            "--keys",
            &keys_arg(ed.keys_dir()),
        ],
    );
    assert_eq!(
        package_entry(&both, &a.nevra)["verdict"],
        "trusted",
        "{}",
        both.raw
    );
    assert_eq!(
        package_entry(&both, &a.nevra)["signer"],
        rsa.key_id.as_str()
    );
    assert_eq!(
        package_entry(&both, &b.nevra)["verdict"],
        "trusted",
        "{}",
        both.raw
    );
    assert_eq!(package_entry(&both, &b.nevra)["signer"], ed.key_id.as_str());
    assert_eq!(package_entry(&both, &c.nevra)["verdict"], "unsigned");
    let unsigned = header_findings(&both, "header-unsigned");
    assert_eq!(unsigned.len(), 1);
    assert_eq!(unsigned[0]["severity"], "medium");
    assert_eq!(unsigned[0]["package"]["nevra"], c.nevra.as_str());
    assert_eq!(both.json["trust"]["keys"], 2);
    let strict = rootaudit_json(
        &root,
        &[
            "--keys",
            &keys_arg(rsa.keys_dir()),
            "--keys",
            &keys_arg(ed.keys_dir()),
            "--require-signatures",
        ],
    );
    assert_eq!(
        header_findings(&strict, "header-unsigned")[0]["severity"],
        "high"
    );

    let only_rsa = rootaudit_json(&root, &["--keys", &keys_arg(rsa.keys_dir())]);
    assert_eq!(package_entry(&only_rsa, &a.nevra)["verdict"], "trusted");
    assert_eq!(
        package_entry(&only_rsa, &b.nevra)["verdict"],
        "untrusted-signer"
    );
    let untrusted = header_findings(&only_rsa, "header-signer-untrusted");
    assert_eq!(untrusted.len(), 1, "{}", only_rsa.raw);
    assert_eq!(untrusted[0]["severity"], "high");
    assert_eq!(untrusted[0]["key_id"], ed.key_id.as_str());
    assert_eq!(untrusted[0]["package"]["nevra"], b.nevra.as_str());

    // A keys folder without a usable key: one sentence saying so (not "no
    // keys given": they were) and one line per signing key.
    let empty = tempfile::tempdir().unwrap();
    let none = rootaudit_json(&root, &["--keys", &keys_arg(empty.path())]);
    assert_eq!(header_findings(&none, "header-signer-untrusted").len(), 2);
    let text = rootaudit_cmd(root.path())
        .args(["--keys", &keys_arg(empty.path())])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.lines().next().unwrap_or("").starts_with(
            "no usable key in the 1 trust store folder (see `rootaudit keys list`): 2 \
                 package headers could not be checked"
        ),
        "{text}"
    );
    for k in [&rsa.key_id, &ed.key_id] {
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("header-signer-untrusted") && l.contains(k.as_str()))
            .collect();
        assert_eq!(lines.len(), 1, "one line for key {k}:\n{text}");
        assert!(lines[0].contains(": 1 package ("), "{text}");
    }

    // rootaudit keys list shows both keys.
    let list = run_ok(
        Command::new(ROOTAUDIT)
            .args(["keys", "list", "--keys", &keys_arg(rsa.keys_dir())])
            .args(["--keys", &keys_arg(ed.keys_dir())]),
    )
    .stdout_str();
    assert!(list.contains("RSA 3072  ok"), "{list}");
    assert!(list.contains("EdDSA Ed25519  ok"), "{list}");
    assert!(
        list.contains("rootaudit test ed <ed@rootaudit.test>"),
        "{list}"
    );
    assert!(list.contains("2 keys, 0 unusable files"), "{list}");
}

/// A byte flipped inside the signed region: digest and signature bad, the
/// files still verified, each file finding saying its header is forged.
/// rpm skips such a header entirely (its files go unchecked).
#[test]
fn flipped_region_byte_is_bad_signature_and_files_still_checked() {
    require_tools!();
    require_signing!();
    let key = TestKey::new("rsa3072", "flip");
    let a = demo_pkg("trust-flip").build();
    key.sign(&a.path);
    let root = TestRoot::new();
    root.install(&[&a]);
    root.write_keep_mtime("/usr/bin/trust-flip", "#!/bin/sh\necho pwned\n");
    edit_header(&root, "trust-flip", |h| {
        let (_, off, _) = h.region_entry(SUMMARY).expect("SUMMARY");
        h.region_data[off] ^= 0x20; // "rootaudit" → "Rootaudit"
    });

    let audit = rootaudit_json(&root, &["--keys", &keys_arg(key.keys_dir())]);
    let e = package_entry(&audit, &a.nevra);
    assert_eq!(e["verdict"], "bad-signature", "{}", audit.raw);
    assert_eq!(e["signer"], key.key_id.as_str());
    for kind in ["header-digest-bad", "header-signature-bad"] {
        let f = header_findings(&audit, kind);
        assert_eq!(f.len(), 1, "{kind}: {}", audit.raw);
        assert_eq!(f[0]["severity"], "critical");
        assert_eq!(f[0]["package"]["nevra"], a.nevra.as_str());
    }
    let file = audit.findings_for("/usr/bin/trust-flip");
    assert_eq!(file.len(), 1, "{}", audit.raw);
    assert_eq!(file[0]["kind"], "file-changed");
    assert_eq!(file[0]["header"], "bad-signature");

    // rpm -Va skips the BAD header: the changed file goes unreported.
    let rpm = rpm_va(&root);
    assert!(
        !rpm.map.contains_key("/usr/bin/trust-flip"),
        "rpm -Va reported a file of a header it should skip:\n{}",
        rpm.raw
    );
}

/// Signature entries deleted from the installed header: `unsigned`.
#[test]
fn stripped_signature_is_unsigned() {
    require_tools!();
    require_signing!();
    let key = TestKey::new("ed25519", "strip");
    let a = demo_pkg("trust-strip").build();
    key.sign(&a.path);
    let root = TestRoot::new();
    root.install(&[&a]);
    let before = rootaudit_json(&root, &["--keys", &keys_arg(key.keys_dir())]);
    assert_eq!(package_entry(&before, &a.nevra)["verdict"], "trusted");
    edit_header(&root, "trust-strip", |h| {
        let n = h.outside.len();
        h.outside
            .retain(|e| !matches!(e.tag, RSAHEADER | DSAHEADER | 278));
        assert!(h.outside.len() < n, "the installed header had a signature");
    });
    let audit = rootaudit_json(&root, &["--keys", &keys_arg(key.keys_dir())]);
    assert_eq!(
        package_entry(&audit, &a.nevra)["verdict"],
        "unsigned",
        "{}",
        audit.raw
    );
    let f = header_findings(&audit, "header-unsigned");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["severity"], "medium");
    assert!(header_findings(&audit, "header-digest-bad").is_empty());
}

/// The signature replaced by one made by the attacker's key, which is also
/// imported into the target's rpm keyring: rpm is satisfied; rootaudit
/// reports an untrusted signer and the target's untrusted key (high,
/// because it signed a header).
#[test]
fn attacker_signature_and_key_are_untrusted() {
    require_tools!();
    require_signing!();
    let vendor = TestKey::new("rsa3072", "vendor");
    let attacker = TestKey::new("rsa3072", "attacker");
    let a = demo_pkg("trust-swap").build();
    vendor.sign(&a.path);
    let root = TestRoot::new();
    root.install(&[&a]);

    // The same package signed by the attacker: its RSAHEADER.
    let copy = tempfile::tempdir().unwrap();
    let forged = copy.path().join("forged.rpm");
    std::fs::copy(&a.path, &forged).unwrap();
    run_ok(Command::new("rpmsign").arg("--delsign").arg(&forged));
    attacker.sign(&forged);
    let pkg = rootaudit::pkgdb::rpm::file::PackageFile::parse(&std::fs::read(&forged).unwrap())
        .expect("signed package parses");
    let forged_sig = pkg
        .signature
        .get_any(RSAHEADER)
        .expect("RSAHEADER")
        .bin()
        .unwrap()
        .to_vec();
    edit_header(&root, "trust-swap", |h| {
        let e = h
            .outside
            .iter_mut()
            .find(|e| e.tag == RSAHEADER)
            .expect("installed RSAHEADER");
        e.count = forged_sig.len() as u32;
        e.data = forged_sig.clone();
    });
    run_ok(root.rpm().arg("--import").arg(attacker.public_key_file()));

    let audit = rootaudit_json(&root, &["--keys", &keys_arg(vendor.keys_dir())]);
    let e = package_entry(&audit, &a.nevra);
    assert_eq!(e["verdict"], "untrusted-signer", "{}", audit.raw);
    assert_eq!(e["signer"], attacker.key_id.as_str());
    let f = header_findings(&audit, "header-signer-untrusted");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["key_id"], attacker.key_id.as_str());
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap()
            .contains("target's own rpm keyring"),
        "{}",
        f[0]
    );
    let t = header_findings(&audit, "target-key-untrusted");
    assert_eq!(t.len(), 1, "{}", audit.raw);
    assert_eq!(t[0]["severity"], "high");
    assert_eq!(t[0]["key_id"], attacker.key_id.as_str());

    // rpm checks the header against the target's own keyring and is happy.
    let out = run_ok(root.rpm().args([
        "-q",
        "--qf",
        "%{SIGPGP:pgpsig}|%{RSAHEADER:pgpsig}\n",
        "trust-swap",
    ]))
    .stdout_str();
    assert!(
        out.to_ascii_lowercase().contains(&attacker.key_id[8..]),
        "{out}"
    );

    // A target key that signed nothing is only worth knowing.
    let other = TestKey::new("ed25519", "bystander");
    run_ok(root.rpm().arg("--import").arg(other.public_key_file()));
    let audit = rootaudit_json(&root, &["--keys", &keys_arg(vendor.keys_dir())]);
    let t = header_findings(&audit, "target-key-untrusted");
    let bystander = t
        .iter()
        .find(|f| f["key_id"] == other.key_id.as_str())
        .expect("bystander key reported");
    assert_eq!(bystander["severity"], "info");
}

/// "Dribble" entries after the region that override FILEDIGESTS,
/// FILESIZES and FILEMTIMES for a replaced file: rpm -Va reads the
/// overrides and reports nothing; rootaudit reports the override
/// (critical) and the file as changed against the signed digest.
#[test]
fn region_override_is_caught_where_rpm_is_blind() {
    require_tools!();
    require_signing!();
    let key = TestKey::new("rsa3072", "dribble");
    let a = demo_pkg("trust-dribble").build();
    key.sign(&a.path);
    let root = TestRoot::new();
    root.install(&[&a]);

    let evil = b"#!/bin/sh\necho owned; exec /bin/sh\n";
    let evil_mtime: u32 = 1_650_000_000;
    root.write("/usr/bin/trust-dribble", evil);
    root.set_mtime("/usr/bin/trust-dribble", i64::from(evil_mtime));
    // Without the override rpm sees the replaced file...
    let rpm = rpm_va(&root);
    assert_eq!(
        rpm.map.get("/usr/bin/trust-dribble"),
        Some(&vec![FileState::Changed("S.5....T.".into())]),
        "{}",
        rpm.raw
    );
    edit_header(&root, "trust-dribble", |h| {
        let names = strings(&h.region_copy(BASENAMES).data);
        let i = names
            .iter()
            .position(|n| n == b"trust-dribble")
            .expect("file in BASENAMES");
        let mut digests = h.region_copy(FILEDIGESTS);
        let mut list = strings(&digests.data);
        list[i] = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(evil)).into_bytes();
        digests.data = join_strings(&list);
        let mut sizes = h.region_copy(FILESIZES);
        sizes.data[4 * i..4 * i + 4].copy_from_slice(&(evil.len() as u32).to_be_bytes());
        let mut mtimes = h.region_copy(FILEMTIMES);
        mtimes.data[4 * i..4 * i + 4].copy_from_slice(&evil_mtime.to_be_bytes());
        assert!(h.outside_entry(FILEDIGESTS).is_none());
        h.outside.extend([digests, sizes, mtimes]);
    });

    // ...with it, rpm believes the dribble and reports nothing.
    let rpm = rpm_va(&root);
    assert!(
        !rpm.map.contains_key("/usr/bin/trust-dribble"),
        "expected rpm -Va to miss the replaced file:\n{}",
        rpm.raw
    );

    let audit = rootaudit_json(&root, &["--keys", &keys_arg(key.keys_dir())]);
    let e = package_entry(&audit, &a.nevra);
    assert_eq!(e["verdict"], "region-override", "{}", audit.raw);
    let o = header_findings(&audit, "header-region-override");
    assert_eq!(o.len(), 1);
    assert_eq!(o[0]["severity"], "critical");
    let msg = o[0]["message"].as_str().unwrap();
    for tag in ["FILEDIGESTS", "FILESIZES", "FILEMTIMES"] {
        assert!(msg.contains(tag), "{msg}");
    }
    assert!(header_findings(&audit, "header-signature-bad").is_empty());
    let file = audit.findings_for("/usr/bin/trust-dribble");
    assert_eq!(file.len(), 1, "{}", audit.raw);
    assert_eq!(file[0]["kind"], "file-changed");
    assert_eq!(file[0]["verify"], "S.5....T.");
    assert_eq!(file[0]["header"], "region-override");
}

/// `--checks headers` needs no files: the real Amazon Linux 2023 database
/// alone in an empty root.
#[test]
fn headers_check_runs_on_a_database_without_files() {
    let realdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realdata");
    if !realdata.is_dir() {
        eprintln!("SKIPPING: {} is absent", realdata.display());
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let db = root.path().join("var/lib/rpm");
    std::fs::create_dir_all(&db).unwrap();
    std::fs::copy(
        realdata.join("rpmdb/amazonlinux2023-plain/rpmdb.sqlite"),
        db.join("rpmdb.sqlite"),
    )
    .unwrap();
    let keys = realdata.join("keys/amazon-linux");
    let audit = rootaudit_json_at(
        root.path(),
        &["--checks", "headers", "--keys", keys.to_str().unwrap()],
    );
    assert_eq!(audit.status, Some(0), "{}", audit.raw);
    let packages = audit.json["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 102);
    assert!(
        packages
            .iter()
            .all(|p| p["verdict"] == "trusted" && p["signer"] == "e951904ad832c631")
    );
    assert_eq!(audit.json["checks"], serde_json::json!(["headers"]));
    assert_eq!(audit.json["summary"]["files_checked"], 0);
}

/// A `--keys` folder that cannot be read, or one inside the audited root,
/// stops the audit (exit 2) instead of checking against nothing.
#[test]
fn unusable_keys_folder_is_an_error() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("var/lib/rpm")).unwrap();
    let r = run_with_timeout(
        rootaudit_cmd(root.path()).args(["--keys", "/nonexistent/rootaudit-keys"]),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("keys folder"), "{}", r.stderr);
    let inside = root.path().join("etc/keys");
    std::fs::create_dir_all(&inside).unwrap();
    let r = run_with_timeout(
        rootaudit_cmd(root.path()).args(["--keys", inside.to_str().unwrap()]),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("inside the audited root"), "{}", r.stderr);
    let r = run_with_timeout(
        Command::new(ROOTAUDIT).args(["keys", "list", "--keys", "/nonexistent/rootaudit-keys"]),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(2), "{}", r.stderr);
}

/// `rootaudit keys list` over the distributions' real keys: every key is
/// read, nothing is unusable.
#[test]
fn keys_list_real_distribution_keys() {
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realdata/keys");
    if !keys.is_dir() {
        eprintln!("SKIPPING: {} is absent", keys.display());
        return;
    }
    let out =
        run_ok(Command::new(ROOTAUDIT).args(["keys", "list", "--keys", keys.to_str().unwrap()]))
            .stdout_str();
    assert!(
        out.contains("B21C50FA44A99720EAA72F7FE951904AD832C631  RSA 4096  ok"),
        "{out}"
    );
    assert!(out.contains("DSA 1024"), "{out}");
    assert!(
        out.lines().last().unwrap().ends_with(", 0 unusable files"),
        "{out}"
    );
}
