//! The `headers` check, for the `trust` stage: a [`HeaderVerdict`] for
//! every header of a [`Database`] — parsed packages and records whose
//! package data failed but whose header parsed — and the findings they
//! give, plus the target's own `gpg-pubkey` entries compared with the trust
//! store.
//!
//! Findings: `header-region-override`, `header-digest-bad`,
//! `header-signature-bad` (critical), `header-signer-revoked`,
//! `header-signer-untrusted` (high), `header-unsigned` (medium; high with
//! `--require-signatures`) and `target-key-untrusted` (info; high when that
//! key signed an installed header). One finding per header and kind; the
//! text output groups the untrusted-signer ones by key.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use base64::Engine as _;
use rayon::prelude::*;
use serde::Serialize;

use super::keyring::TrustStore;
use super::verify::{
    self, DigestStatus, HeaderCheck, HeaderVerdict, SignatureCheck, SignatureStatus,
};
use crate::model::{Finding, FindingKind, Severity};
use crate::pkgdb::rpm::header::Header;
use crate::pkgdb::rpm::tags;
use crate::pkgdb::{Database, MalformedRecord, Package};

/// `RPMTAG_DESCRIPTION`: a `gpg-pubkey` entry's armored key.
const DESCRIPTION: u32 = 1005;

/// Options of the `headers` check.
#[derive(Clone, Copy, Debug, Default)]
pub struct HeadersOptions {
    /// An unsigned header is `high` instead of `medium`.
    pub require_signatures: bool,
}

/// One installed package's header verdict, as the JSON `packages` section
/// lists it.
#[derive(Clone, Debug, Serialize)]
pub struct PackageTrust {
    /// NEVRA (escaped), when the record parsed as a package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nevra: Option<String>,
    /// Record key in the database (rpm: header instance).
    pub record: u64,
    /// Key id (16 hex digits) of the signer the verdict is about.
    pub signer: Option<String>,
    /// The verdict.
    pub verdict: HeaderVerdict,
}

/// What the `headers` check found.
#[derive(Clone, Debug, Default)]
pub struct HeadersOutcome {
    /// Findings, one per header and kind, and one per untrusted target key.
    pub findings: Vec<Finding>,
    /// One entry per package record (not `gpg-pubkey`), in database order.
    pub packages: Vec<PackageTrust>,
    /// Keys found in the target's own rpm keyring.
    pub target_keys: usize,
}

impl HeadersOutcome {
    /// Verdict by NEVRA, for marking file findings.
    pub fn verdicts_by_nevra(&self) -> HashMap<&str, HeaderVerdict> {
        self.packages
            .iter()
            .filter_map(|p| p.nevra.as_deref().map(|n| (n, p.verdict)))
            .collect()
    }
}

/// Run the `headers` check over a database held in memory.
pub fn run(db: &Database, store: &TrustStore, opts: HeadersOptions) -> HeadersOutcome {
    let pubkeys: Vec<Package> = db
        .packages
        .iter()
        .filter(|p| p.is_pubkey())
        .cloned()
        .collect();
    let mut judge = Judge::new(store, pubkeys, opts);
    judge.packages(&db.packages);
    judge.malformed(&db.malformed);
    judge.finish(db.format)
}

/// The `headers` check for a database that streams past: built from the
/// target's `gpg-pubkey` entries (which a scan collects on its first pass),
/// fed every batch of packages and the malformed records, and finished once
/// everything was seen. Per-header work runs on the current rayon pool.
pub struct Judge<'a> {
    store: &'a TrustStore,
    target: TrustStore,
    pubkeys: Vec<(Package, usize)>,
    opts: HeadersOptions,
    out: HeadersOutcome,
    /// Which target keys signed a header (by fingerprint), and how often.
    signed_by_target: BTreeMap<String, usize>,
    /// Packages (not `gpg-pubkey`) without a header.
    headerless: usize,
}

impl<'a> Judge<'a> {
    /// A judge with the trust store and the target's `gpg-pubkey` entries.
    pub fn new(store: &'a TrustStore, pubkeys: Vec<Package>, opts: HeadersOptions) -> Judge<'a> {
        let (target, counts) = target_keyring(&pubkeys);
        let pubkeys = pubkeys.into_iter().zip(counts).collect();
        Judge {
            out: HeadersOutcome {
                target_keys: target.keys().len(),
                ..HeadersOutcome::default()
            },
            store,
            target,
            pubkeys,
            opts,
            signed_by_target: BTreeMap::new(),
            headerless: 0,
        }
    }

    /// Judge the headers of a batch of packages (`gpg-pubkey` entries
    /// included: their headers are checked too, but they get no
    /// [`PackageTrust`]).
    pub fn packages(&mut self, packages: &[Package]) {
        self.headerless += packages
            .iter()
            .filter(|p| p.header.is_none() && !p.is_pubkey())
            .count();
        let work: Vec<(u64, Option<String>, String, bool, &Header)> = packages
            .iter()
            .filter_map(|p| {
                let h = p.header.as_ref()?;
                Some((p.record, Some(p.nevra()), p.key(), p.is_pubkey(), h))
            })
            .collect();
        self.judge(&work);
    }

    /// Judge the headers of records whose package data did not parse (those
    /// without even a header are `malformed`).
    pub fn malformed(&mut self, records: &[MalformedRecord]) {
        let work: Vec<(u64, Option<String>, String, bool, &Header)> = records
            .iter()
            .filter_map(|m| {
                let h = m.header.as_ref()?;
                Some((m.record, None, format!("record-{}", m.record), false, h))
            })
            .collect();
        self.judge(&work);
        for m in records.iter().filter(|m| m.header.is_none()) {
            self.out.packages.push(PackageTrust {
                nevra: None,
                record: m.record,
                signer: None,
                verdict: HeaderVerdict::Malformed,
            });
        }
    }

    fn judge(&mut self, work: &[(u64, Option<String>, String, bool, &Header)]) {
        let (store, target) = (self.store, &self.target);
        let checks: Vec<HeaderCheck> = work
            .par_iter()
            .map(|(_, _, _, _, h)| verify::verify_installed(h, store, target))
            .collect();
        for ((record, nevra, pkg_key, pubkey, _), check) in work.iter().zip(&checks) {
            for s in &check.signatures {
                if let SignatureStatus::TargetKey { fingerprint, .. } = &s.status {
                    *self
                        .signed_by_target
                        .entry(fingerprint.clone())
                        .or_default() += 1;
                }
            }
            self.out.findings.extend(findings_for(
                check,
                *record,
                nevra.as_deref(),
                pkg_key,
                *pubkey,
                self.opts,
            ));
            if !pubkey {
                self.out.packages.push(PackageTrust {
                    nevra: nevra
                        .as_deref()
                        .map(|n| crate::output::escape_bytes(n.as_bytes())),
                    record: *record,
                    signer: check.signer.clone(),
                    verdict: check.verdict,
                });
            }
        }
    }

    /// Everything seen: the findings about the target's own keys, and one
    /// `check-incomplete` when packages had no header to judge (`format`
    /// names the database in it).
    pub fn finish(mut self, format: crate::pkgdb::DbFormat) -> HeadersOutcome {
        self.out.packages.sort_by_key(|p| p.record);
        // A database without package headers (dpkg) has nothing to verify:
        // say so once instead of passing silently.
        let headerless = self.headerless;
        if headerless > 0 {
            let mut f = Finding::new(
                FindingKind::CheckIncomplete,
                Severity::Info,
                format!(
                    "{headerless} package{} in this {} database {} no signed package header: \
                     {} records cannot be checked against a signer",
                    if headerless == 1 { "" } else { "s" },
                    format.as_str(),
                    if headerless == 1 { "has" } else { "have" },
                    if headerless == 1 { "its" } else { "their" },
                ),
            );
            f.count = Some(headerless as u64);
            f.compute_id("headers");
            self.out.findings.push(f);
        }
        for (p, n_keys) in &self.pubkeys {
            self.out.findings.extend(target_key_findings(
                p,
                *n_keys,
                &self.target,
                self.store,
                &self.signed_by_target,
            ));
        }
        self.out
    }
}

/// The target's `gpg-pubkey` entries as a keyring (each entry's key is in
/// `PUBKEYS`, base64, or `DESCRIPTION`, armored), and each entry with how
/// many keys it gave.
fn target_keyring(packages: &[Package]) -> (TrustStore, Vec<usize>) {
    let mut target = TrustStore::empty();
    let mut entries = Vec::new();
    for p in packages.iter().filter(|p| p.is_pubkey()) {
        let label = Path::new("rpmdb").join(p.nevra());
        let mut n = 0;
        if let Some(h) = &p.header {
            if let Some(list) = h
                .get(tags::PUBKEYS)
                .and_then(|e| e.string_array_bytes().ok())
            {
                for b64 in list {
                    let clean: Vec<u8> = b64
                        .iter()
                        .copied()
                        .filter(|c| !c.is_ascii_whitespace())
                        .collect();
                    if let Ok(bin) = base64::engine::general_purpose::STANDARD.decode(&clean) {
                        n += target.add_bytes(&label, &bin);
                    }
                }
            }
            if n == 0
                && let Some(text) = h.get(DESCRIPTION).and_then(|e| e.str_bytes().ok())
            {
                n += target.add_bytes(&label, text);
            }
        }
        entries.push(n);
    }
    (target, entries)
}

fn target_key_findings(
    p: &Package,
    n_keys: usize,
    target: &TrustStore,
    store: &TrustStore,
    signed_by_target: &BTreeMap<String, usize>,
) -> Vec<Finding> {
    let label = Path::new("rpmdb").join(p.nevra());
    let keys: Vec<_> = target.keys().iter().filter(|k| k.source == label).collect();
    let mut out = Vec::new();
    if n_keys == 0 || keys.is_empty() {
        let mut f = Finding::new(
            FindingKind::TargetKeyUntrusted,
            Severity::Info,
            format!(
                "the target's rpm database holds key entry {} whose key cannot be read; \
                 it is not in the trust store",
                crate::output::escape_bytes(p.nevra().as_bytes())
            ),
        );
        f.package = Some(crate::output::escape_bytes(p.nevra().as_bytes()));
        f.key_id = Some(p.version.to_ascii_lowercase());
        f.compute_id(&format!("gpg-pubkey-{}", p.version));
        out.push(f);
        return out;
    }
    for k in keys {
        if store.by_fingerprint(&k.fingerprint).is_some() {
            continue;
        }
        let signed = signed_by_target.get(&k.fingerprint).copied().unwrap_or(0);
        let uid = k
            .user_id
            .as_deref()
            .map(|u| format!(" \"{}\"", crate::output::escape_bytes(u)))
            .unwrap_or_default();
        let (severity, tail) = if signed > 0 {
            (
                Severity::High,
                format!(
                    "; it signed {signed} installed package header{}",
                    if signed == 1 { "" } else { "s" }
                ),
            )
        } else {
            (Severity::Info, String::new())
        };
        let mut f = Finding::new(
            FindingKind::TargetKeyUntrusted,
            severity,
            format!(
                "the target's rpm database holds key {} ({} {}{uid}) that the trust store \
                 lacks{tail}",
                k.key_id, k.algorithm, k.fingerprint
            ),
        );
        f.package = Some(crate::output::escape_bytes(p.nevra().as_bytes()));
        f.key_id = Some(k.key_id.clone());
        f.count = (signed > 0).then_some(signed as u64);
        f.compute_id(&format!("gpg-pubkey-{}", k.fingerprint));
        out.push(f);
    }
    out
}

/// Names of the tags an override most often targets.
fn tag_name(tag: u32) -> String {
    let name = match tag {
        tags::NAME => "NAME",
        tags::VERSION => "VERSION",
        tags::RELEASE => "RELEASE",
        tags::EPOCH => "EPOCH",
        tags::ARCH => "ARCH",
        tags::FILESIZES => "FILESIZES",
        tags::FILEMODES => "FILEMODES",
        tags::FILERDEVS => "FILERDEVS",
        tags::FILEMTIMES => "FILEMTIMES",
        tags::FILEDIGESTS => "FILEDIGESTS",
        tags::FILELINKTOS => "FILELINKTOS",
        tags::FILEFLAGS => "FILEFLAGS",
        tags::FILEUSERNAME => "FILEUSERNAME",
        tags::FILEGROUPNAME => "FILEGROUPNAME",
        tags::FILEVERIFYFLAGS => "FILEVERIFYFLAGS",
        tags::DIRINDEXES => "DIRINDEXES",
        tags::BASENAMES => "BASENAMES",
        tags::DIRNAMES => "DIRNAMES",
        tags::LONGFILESIZES => "LONGFILESIZES",
        tags::FILECAPS => "FILECAPS",
        tags::FILEDIGESTALGO => "FILEDIGESTALGO",
        _ => return format!("tag {tag}"),
    };
    format!("{name} ({tag})")
}

fn findings_for(
    check: &HeaderCheck,
    record: u64,
    nevra: Option<&str>,
    pkg_key: &str,
    pubkey: bool,
    opts: HeadersOptions,
) -> Vec<Finding> {
    let who = match nevra {
        Some(n) => format!("{}'s header", crate::output::escape_bytes(n.as_bytes())),
        None => format!("the header of database record {record}"),
    };
    let mut out = Vec::new();
    let mut push =
        |kind: FindingKind, severity: Severity, message: String, key_id: Option<String>| {
            let mut f = Finding::new(kind, severity, message);
            f.package = nevra.map(|n| crate::output::escape_bytes(n.as_bytes()));
            f.key_id = key_id;
            if nevra.is_none() {
                f.header = Some(check.verdict.as_str().to_string());
            }
            f.compute_id(pkg_key);
            out.push(f);
        };

    if !check.overrides.is_empty() {
        let names: Vec<String> = check.overrides.iter().map(|&t| tag_name(t)).collect();
        push(
            FindingKind::HeaderRegionOverride,
            Severity::Critical,
            format!(
                "{who} has entries after its signed region that repeat {}: rpm would read \
                 those unsigned values; rootaudit verifies against the signed ones",
                names.join(", ")
            ),
            None,
        );
    }
    let bad_digests: Vec<String> = check
        .digests
        .iter()
        .filter_map(|d| match &d.status {
            DigestStatus::Match => None,
            DigestStatus::Mismatch { expected, actual } => Some(format!(
                "{} records {expected}, the region hashes to {actual}",
                d.kind.tag_name()
            )),
            DigestStatus::Unreadable(why) => Some(format!("{}: {why}", d.kind.tag_name())),
        })
        .collect();
    if !bad_digests.is_empty() {
        push(
            FindingKind::HeaderDigestBad,
            Severity::Critical,
            format!(
                "{who} does not match its digest ({}): it was changed after it was built",
                bad_digests.join("; ")
            ),
            None,
        );
    }
    let bad: Vec<&SignatureCheck> = check.bad_signatures().collect();
    if !bad.is_empty() {
        let key_id = bad.iter().find_map(|s| match &s.status {
            SignatureStatus::Bad { key_id, .. } => key_id.clone(),
            _ => None,
        });
        let parts: Vec<String> = bad
            .iter()
            .map(|s| match &s.status {
                SignatureStatus::Bad { key_id, reason } => format!(
                    "{}{}: {}",
                    s.source,
                    key_id
                        .as_deref()
                        .map(|k| format!(" by key {k}"))
                        .unwrap_or_default(),
                    crate::output::escape_bytes(reason.as_bytes())
                ),
                _ => String::new(),
            })
            .collect();
        push(
            FindingKind::HeaderSignatureBad,
            Severity::Critical,
            format!("{who} signature does not verify ({})", parts.join("; ")),
            key_id,
        );
    }
    if pubkey {
        // A gpg-pubkey entry is a key, not a package: its digests and
        // region are checked, its (normal) lack of a signature is not news.
        return out;
    }
    match check.verdict {
        HeaderVerdict::RevokedSigner => {
            let (key_id, fp, why) = check
                .signatures
                .iter()
                .find_map(|s| match &s.status {
                    SignatureStatus::Revoked {
                        key_id,
                        fingerprint,
                        why,
                    } => Some((key_id.clone(), fingerprint.clone(), why.clone())),
                    _ => None,
                })
                .unwrap_or_default();
            push(
                FindingKind::HeaderSignerRevoked,
                Severity::High,
                format!("{who} is signed by key {key_id} (certificate {fp}), which was {why}"),
                Some(key_id),
            );
        }
        HeaderVerdict::UntrustedSigner => {
            let (key_id, detail) = untrusted_detail(check);
            push(
                FindingKind::HeaderSignerUntrusted,
                Severity::High,
                format!("{who} {detail}"),
                key_id,
            );
        }
        HeaderVerdict::Unsigned => {
            let severity = if opts.require_signatures {
                Severity::High
            } else {
                Severity::Medium
            };
            let why = if check.no_region {
                "has no signed region and no signature: nothing vouches for its contents"
            } else {
                "carries no OpenPGP signature: nothing vouches for its contents"
            };
            push(
                FindingKind::HeaderUnsigned,
                severity,
                format!("{who} {why}"),
                None,
            );
        }
        _ => {}
    }
    out
}

/// Key id and sentence for an untrusted-signer verdict.
fn untrusted_detail(check: &HeaderCheck) -> (Option<String>, String) {
    for s in &check.signatures {
        match &s.status {
            SignatureStatus::TargetKey {
                key_id,
                fingerprint,
            } => {
                return (
                    Some(key_id.clone()),
                    format!(
                        "is validly signed by key {key_id} (certificate {fingerprint}), which \
                         only the target's own rpm keyring holds, not the trust store"
                    ),
                );
            }
            SignatureStatus::Unbound { key_id, why } => {
                return (
                    Some(key_id.clone()),
                    format!(
                        "is signed by key {key_id}, which the trust store does not vouch for: {}",
                        crate::output::escape_bytes(why.as_bytes())
                    ),
                );
            }
            _ => {}
        }
    }
    for s in &check.signatures {
        if let SignatureStatus::UnknownKey { key_id } = &s.status {
            let id = (!key_id.is_empty()).then(|| key_id.clone());
            return (
                id,
                format!(
                    "is signed by key {}, which is not in the trust store",
                    if key_id.is_empty() {
                        "(unnamed)"
                    } else {
                        key_id
                    }
                ),
            );
        }
    }
    for s in &check.signatures {
        if let SignatureStatus::Unsupported { key_id, algorithm } = &s.status {
            return (
                key_id.clone(),
                format!(
                    "is signed ({}) with {algorithm}, which this build cannot verify",
                    s.source
                ),
            );
        }
    }
    (check.signer.clone(), "has no trusted signature".into())
}

/// `YYYY-MM-DD` (UTC) of a time in seconds since the epoch.
pub fn date(secs: u32) -> String {
    let days = i64::from(secs) / 86_400;
    // Civil-from-days (proleptic Gregorian), era-based.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::pkgdb::DbFormat;

    use crate::testutil::realdata;

    /// A database of the given header blobs, as the sqlite reader would
    /// build it.
    fn database(blobs: Vec<Vec<u8>>) -> Database {
        let mut packages = Vec::new();
        let mut malformed = Vec::new();
        for (i, b) in blobs.into_iter().enumerate() {
            let record = i as u64 + 1;
            match crate::pkgdb::rpm::read_record(&b, record) {
                Ok(p) => packages.push(p),
                Err(m) => malformed.push(*m),
            }
        }
        Database {
            format: DbFormat::RpmSqlite,
            path: PathBuf::from("/var/lib/rpm/rpmdb.sqlite"),
            packages,
            malformed,
            read_wal: false,
            attributes: crate::model::VerifyAttrs::all(),
            also_found: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn count(out: &HeadersOutcome, kind: FindingKind) -> usize {
        out.findings.iter().filter(|f| f.kind == kind).count()
    }

    #[test]
    fn centos7_database_with_and_without_keys() {
        let Some(d) = realdata() else { return };
        let dir = d.join("rpmdb/header-blobs/centos7-plain");
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("blobs")
            .map(|e| e.expect("entry").path())
            .collect();
        names.sort();
        let mut blobs: Vec<Vec<u8>> = names
            .iter()
            .take(30)
            .map(|p| std::fs::read(p).expect("blob"))
            .collect();
        blobs.push(std::fs::read(d.join("rpmdb/blob.bin")).expect("blob.bin"));
        blobs.push(b"garbage".to_vec());
        let db = database(blobs);

        let none = run(&db, &TrustStore::empty(), HeadersOptions::default());
        assert_eq!(none.packages.len(), 32);
        assert_eq!(count(&none, FindingKind::HeaderSignerUntrusted), 30);
        assert!(
            none.findings
                .iter()
                .filter(|f| f.kind == FindingKind::HeaderSignerUntrusted)
                .all(|f| f.key_id.as_deref() == Some("24c6a8a7f4a80eb5")
                    && f.severity == Severity::High)
        );
        // blob.bin: its digests are bad whatever the keys.
        assert_eq!(count(&none, FindingKind::HeaderDigestBad), 1);

        let keys = TrustStore::load(&[d.join("keys/centos"), d.join("keys/fedora")]).expect("keys");
        let out = run(&db, &keys, HeadersOptions::default());
        let trusted = out
            .packages
            .iter()
            .filter(|p| p.verdict == HeaderVerdict::Trusted)
            .count();
        assert_eq!(trusted, 30);
        assert_eq!(count(&out, FindingKind::HeaderSignerUntrusted), 0);
        assert_eq!(count(&out, FindingKind::HeaderDigestBad), 1);
        assert_eq!(count(&out, FindingKind::HeaderSignatureBad), 1);
        let bad = out
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::HeaderSignatureBad)
            .expect("signature finding");
        assert_eq!(bad.severity, Severity::Critical);
        let verdicts: Vec<HeaderVerdict> = out.packages.iter().map(|p| p.verdict).collect();
        assert!(verdicts.contains(&HeaderVerdict::BadSignature));
        assert!(verdicts.contains(&HeaderVerdict::Malformed));
        let ids: std::collections::HashSet<&str> =
            out.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids.len(), out.findings.len(), "finding ids are distinct");
    }

    #[test]
    fn dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(date(1_700_000_000), "2023-11-14");
        assert_eq!(date(u32::MAX), "2106-02-07");
    }
}
