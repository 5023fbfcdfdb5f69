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

use super::store::TrustStore;
use super::verify::{
    self, DigestStatus, HeaderCheck, HeaderVerdict, SignatureCheck, SignatureStatus,
};
use crate::model::evidence::header::{BadSignature, DigestFault, UntrustedSigner};
pub use crate::model::evidence::header::{date, tag_name};
use crate::model::evidence::{HeaderEvidence, TargetKeyEvidence};
use crate::model::{
    About, Bytes, Evidence, Finding, FindingKind, Incomplete, PackageRef, Problem, Severity, Stage,
};
use crate::pkgdb::rpm::header::Header;
use crate::pkgdb::rpm::header_of;
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
/// lists it: `nevra` (the raw NEVRA, when the record parsed as a package),
/// `record`, `signer` and `verdict`.
#[derive(Clone, Debug, Serialize)]
pub struct PackageTrust {
    /// The package, when the record parsed as one (serialised as its raw
    /// `nevra`).
    #[serde(
        rename = "nevra",
        serialize_with = "nevra_of",
        skip_serializing_if = "Option::is_none"
    )]
    pub package: Option<PackageRef>,
    /// Record key in the database (rpm: header instance).
    pub record: u64,
    /// Key id (16 hex digits) of the signer the verdict is about.
    pub signer: Option<String>,
    /// The verdict.
    pub verdict: HeaderVerdict,
}

impl PackageTrust {
    /// The package's NEVRA (raw), when the record parsed as a package.
    pub fn nevra(&self) -> Option<String> {
        self.package.as_ref().map(PackageRef::nevra)
    }
}

fn nevra_of<S: serde::Serializer>(p: &Option<PackageRef>, s: S) -> Result<S::Ok, S::Error> {
    match p {
        Some(p) => s.serialize_str(&p.nevra()),
        None => s.serialize_none(),
    }
}

/// What the `headers` check found.
#[derive(Clone, Debug, Default)]
pub struct HeadersOutcome {
    /// Findings, one per header and kind, and one per untrusted target key
    /// (those [`Judge::take_findings`] did not already hand over).
    pub findings: Vec<Finding>,
    /// One entry per package record (not `gpg-pubkey`), in record order.
    pub packages: Vec<PackageTrust>,
    /// Keys found in the target's own rpm keyring.
    pub target_keys: usize,
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

/// One header to judge: its record, the package it belongs to (none for a
/// record whose package data did not parse), whether it is a `gpg-pubkey`
/// entry, and the header.
struct Work<'h> {
    record: u64,
    package: Option<PackageRef>,
    pubkey: bool,
    header: &'h Header,
}

/// The `headers` check for a database that streams past: built from the
/// target's `gpg-pubkey` entries (which a scan collects on its first pass),
/// fed every batch of packages and the malformed records, and finished once
/// everything was seen. Per-header work runs on the current rayon pool.
///
/// The findings made so far can be taken at any time
/// ([`Judge::take_findings`]), and the verdict of every record judged so
/// far looked up ([`Judge::verdict`]), so a scan can attach it to the file
/// findings of a package as the batch streams.
pub struct Judge<'a> {
    store: &'a TrustStore,
    target: TrustStore,
    pubkeys: Vec<(Package, usize)>,
    opts: HeadersOptions,
    out: HeadersOutcome,
    /// The verdict of every record judged (not `gpg-pubkey`).
    verdicts: HashMap<u64, HeaderVerdict>,
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
            verdicts: HashMap::new(),
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
            .filter(|p| header_of(p.native.as_ref()).is_none() && !p.is_pubkey())
            .count();
        let work: Vec<Work> = packages
            .iter()
            .filter_map(|p| {
                Some(Work {
                    record: p.record,
                    package: Some(p.reference()),
                    pubkey: p.is_pubkey(),
                    header: header_of(p.native.as_ref())?,
                })
            })
            .collect();
        self.judge(&work);
    }

    /// Judge the headers of records whose package data did not parse (those
    /// without even a header are `malformed`).
    pub fn malformed(&mut self, records: &[MalformedRecord]) {
        let work: Vec<Work> = records
            .iter()
            .filter_map(|m| {
                Some(Work {
                    record: m.record,
                    package: None,
                    pubkey: false,
                    header: header_of(m.native.as_ref())?,
                })
            })
            .collect();
        self.judge(&work);
        for m in records
            .iter()
            .filter(|m| header_of(m.native.as_ref()).is_none())
        {
            self.verdicts.insert(m.record, HeaderVerdict::Malformed);
            self.out.packages.push(PackageTrust {
                package: None,
                record: m.record,
                signer: None,
                verdict: HeaderVerdict::Malformed,
            });
        }
    }

    /// The verdict of `record`'s header, once [`Judge::packages`] or
    /// [`Judge::malformed`] judged it (`trusted` included); `None` for a
    /// record not judged (yet), a package without a header, or a
    /// `gpg-pubkey` entry.
    pub fn verdict(&self, record: u64) -> Option<HeaderVerdict> {
        self.verdicts.get(&record).copied()
    }

    /// The findings made so far, handed over once: later calls, and
    /// [`Judge::finish`], give only what was found since.
    pub fn take_findings(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.out.findings)
    }

    fn judge(&mut self, work: &[Work]) {
        let (store, target) = (self.store, &self.target);
        let checks: Vec<HeaderCheck> = work
            .par_iter()
            .map(|w| verify::verify_installed(w.header, store, target))
            .collect();
        for (w, check) in work.iter().zip(&checks) {
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
                w.record,
                w.package.as_ref(),
                w.pubkey,
                self.opts,
            ));
            if !w.pubkey {
                self.verdicts.insert(w.record, check.verdict);
                self.out.packages.push(PackageTrust {
                    package: w.package.clone(),
                    record: w.record,
                    signer: check.signer.clone(),
                    verdict: check.verdict,
                });
            }
        }
    }

    /// Everything seen: the findings about the target's own keys, and one
    /// `check-incomplete` when packages had no header to judge (`format`
    /// names the database in it), with the findings not taken yet.
    pub fn finish(mut self, format: crate::pkgdb::DbFormat) -> HeadersOutcome {
        self.out.packages.sort_by_key(|p| p.record);
        // A database without package headers (dpkg) has nothing to verify:
        // say so once instead of passing silently.
        let headerless = self.headerless;
        if headerless > 0 {
            self.out.findings.push(Finding::new(
                FindingKind::CheckIncomplete,
                Severity::Info,
                About::nothing().scope("headers"),
                Evidence::Incomplete(Incomplete {
                    check: Stage::Headers,
                    problem: Problem::Headerless {
                        count: headerless as u64,
                        format: format.as_str().to_string(),
                    },
                }),
            ));
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
        if let Some(h) = header_of(p.native.as_ref()) {
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
        out.push(Finding::new(
            FindingKind::TargetKeyUntrusted,
            Severity::Info,
            About::package(p.reference()).scope(format!("gpg-pubkey-{}", p.version)),
            Evidence::TargetKey(TargetKeyEvidence::Unreadable {
                key_id: p.version.to_ascii_lowercase(),
            }),
        ));
        return out;
    }
    for k in keys {
        if store.by_fingerprint(&k.fingerprint).is_some() {
            continue;
        }
        let signed = signed_by_target.get(&k.fingerprint).copied().unwrap_or(0);
        let severity = if signed > 0 {
            Severity::High
        } else {
            Severity::Info
        };
        out.push(Finding::new(
            FindingKind::TargetKeyUntrusted,
            severity,
            About::package(p.reference()).scope(format!("gpg-pubkey-{}", k.fingerprint)),
            Evidence::TargetKey(TargetKeyEvidence::Untrusted {
                key_id: k.key_id.clone(),
                fingerprint: k.fingerprint.clone(),
                algorithm: k.algorithm.to_string(),
                user_id: k.user_id.clone().map(Bytes::from),
                signed: (signed > 0).then_some(signed as u64),
            }),
        ));
    }
    out
}

fn findings_for(
    check: &HeaderCheck,
    record: u64,
    package: Option<&PackageRef>,
    pubkey: bool,
    opts: HeadersOptions,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |kind: FindingKind, severity: Severity, evidence: HeaderEvidence| {
        let about = match package {
            Some(p) => About::package(p.clone()),
            None => About::nothing().scope(format!("record-{record}")),
        };
        let mut f = Finding::new(kind, severity, about, Evidence::Header(evidence));
        if package.is_none() {
            f.header = Some(check.verdict);
        }
        out.push(f);
    };

    if !check.overrides.is_empty() {
        push(
            FindingKind::HeaderRegionOverride,
            Severity::Critical,
            HeaderEvidence::RegionOverride {
                record,
                tags: check.overrides.clone(),
            },
        );
    }
    let bad_digests: Vec<DigestFault> = check
        .digests
        .iter()
        .filter_map(|d| {
            let tag = d.kind.tag_name().to_string();
            match &d.status {
                DigestStatus::Match => None,
                DigestStatus::Mismatch { expected, actual } => Some(DigestFault {
                    tag,
                    expected: Some(expected.clone()),
                    actual: Some(actual.clone()),
                    error: None,
                }),
                DigestStatus::Unreadable(why) => Some(DigestFault {
                    tag,
                    expected: None,
                    actual: None,
                    error: Some(why.to_string()),
                }),
            }
        })
        .collect();
    if !bad_digests.is_empty() {
        push(
            FindingKind::HeaderDigestBad,
            Severity::Critical,
            HeaderEvidence::DigestBad {
                record,
                digests: bad_digests,
            },
        );
    }
    let bad: Vec<&SignatureCheck> = check.bad_signatures().collect();
    if !bad.is_empty() {
        let signatures: Vec<BadSignature> = bad
            .iter()
            .filter_map(|s| match &s.status {
                SignatureStatus::Bad { key_id, error } => Some(BadSignature {
                    source: s.source.to_string(),
                    key_id: key_id.clone(),
                    reason: error.to_string(),
                }),
                _ => None,
            })
            .collect();
        let key_id = signatures.iter().find_map(|s| s.key_id.clone());
        push(
            FindingKind::HeaderSignatureBad,
            Severity::Critical,
            HeaderEvidence::SignatureBad {
                record,
                key_id,
                signatures,
            },
        );
    }
    if pubkey {
        // A gpg-pubkey entry is a key, not a package: its digests and
        // region are checked, its (normal) lack of a signature is not news.
        return out;
    }
    match check.verdict {
        HeaderVerdict::RevokedSigner => {
            if let Some((key_id, fingerprint, why)) =
                check.signatures.iter().find_map(|s| match &s.status {
                    SignatureStatus::Revoked {
                        key_id,
                        fingerprint,
                        why,
                    } => Some((key_id.clone(), fingerprint.clone(), why.clone())),
                    _ => None,
                })
            {
                push(
                    FindingKind::HeaderSignerRevoked,
                    Severity::High,
                    HeaderEvidence::SignerRevoked {
                        record,
                        key_id,
                        fingerprint,
                        why,
                    },
                );
            }
        }
        HeaderVerdict::UntrustedSigner => {
            let (key_id, signer) = untrusted_signer(check);
            push(
                FindingKind::HeaderSignerUntrusted,
                Severity::High,
                HeaderEvidence::SignerUntrusted {
                    record,
                    key_id,
                    signer,
                },
            );
        }
        HeaderVerdict::Unsigned => {
            let severity = if opts.require_signatures {
                Severity::High
            } else {
                Severity::Medium
            };
            push(
                FindingKind::HeaderUnsigned,
                severity,
                HeaderEvidence::Unsigned {
                    record,
                    no_region: check.no_region,
                },
            );
        }
        _ => {}
    }
    out
}

/// Key id and what is known of the signer, for an untrusted-signer
/// verdict.
fn untrusted_signer(check: &HeaderCheck) -> (Option<String>, UntrustedSigner) {
    for s in &check.signatures {
        match &s.status {
            SignatureStatus::TargetKey {
                key_id,
                fingerprint,
            } => {
                return (
                    Some(key_id.clone()),
                    UntrustedSigner::TargetKey {
                        fingerprint: fingerprint.clone(),
                    },
                );
            }
            SignatureStatus::Unbound { key_id, why } => {
                return (
                    Some(key_id.clone()),
                    UntrustedSigner::Unbound {
                        why: why.to_string(),
                    },
                );
            }
            _ => {}
        }
    }
    for s in &check.signatures {
        if let SignatureStatus::UnknownKey { key_id } = &s.status {
            let id = (!key_id.is_empty()).then(|| key_id.clone());
            return (id, UntrustedSigner::UnknownKey);
        }
    }
    for s in &check.signatures {
        if let SignatureStatus::Unsupported { key_id, algorithm } = &s.status {
            return (
                key_id.clone(),
                UntrustedSigner::Unsupported {
                    source: s.source.to_string(),
                    algorithm: algorithm.clone(),
                },
            );
        }
    }
    (check.signer.clone(), UntrustedSigner::NoTrustedSignature)
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
            format: DbFormat::RPM_SQLITE,
            path: PathBuf::from("/var/lib/rpm/rpmdb.sqlite"),
            packages,
            malformed,
            read_wal: false,
            attributes: crate::model::VerifyAttrs::all(),
            also_found: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn key_id(f: &Finding) -> Option<&str> {
        match &f.evidence {
            Evidence::Header(h) => h.key_id(),
            Evidence::TargetKey(t) => Some(t.key_id()),
            _ => None,
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
                .all(|f| key_id(f) == Some("24c6a8a7f4a80eb5") && f.severity == Severity::High)
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
        let ids: std::collections::HashSet<crate::model::FindingId> =
            out.findings.iter().map(|f| f.id).collect();
        assert_eq!(ids.len(), out.findings.len(), "finding ids are distinct");
    }

    /// The names the model renders for override tags are rpm's.
    #[test]
    fn tag_names_agree_with_the_tag_table() {
        for (tag, name) in [
            (tags::NAME, "NAME"),
            (tags::VERSION, "VERSION"),
            (tags::RELEASE, "RELEASE"),
            (tags::EPOCH, "EPOCH"),
            (tags::ARCH, "ARCH"),
            (tags::FILESIZES, "FILESIZES"),
            (tags::FILEMODES, "FILEMODES"),
            (tags::FILERDEVS, "FILERDEVS"),
            (tags::FILEMTIMES, "FILEMTIMES"),
            (tags::FILEDIGESTS, "FILEDIGESTS"),
            (tags::FILELINKTOS, "FILELINKTOS"),
            (tags::FILEFLAGS, "FILEFLAGS"),
            (tags::FILEUSERNAME, "FILEUSERNAME"),
            (tags::FILEGROUPNAME, "FILEGROUPNAME"),
            (tags::FILEVERIFYFLAGS, "FILEVERIFYFLAGS"),
            (tags::DIRINDEXES, "DIRINDEXES"),
            (tags::BASENAMES, "BASENAMES"),
            (tags::DIRNAMES, "DIRNAMES"),
            (tags::LONGFILESIZES, "LONGFILESIZES"),
            (tags::FILECAPS, "FILECAPS"),
            (tags::FILEDIGESTALGO, "FILEDIGESTALGO"),
        ] {
            assert_eq!(tag_name(tag), format!("{name} ({tag})"));
        }
        assert_eq!(tag_name(99_999), "tag 99999");
    }

    fn check(verdict: HeaderVerdict) -> HeaderCheck {
        HeaderCheck {
            verdict,
            signer: None,
            digests: Vec::new(),
            signatures: Vec::new(),
            overrides: Vec::new(),
            no_region: false,
        }
    }

    fn hostile() -> PackageRef {
        PackageRef {
            record: 9,
            name: "evil\x1b[2J".into(),
            epoch: None,
            version: "1".into(),
            release: "1".into(),
            arch: Some("x86_64".into()),
        }
    }

    fn text(f: &Finding) -> String {
        String::from_utf8_lossy(&f.message()).into_owned()
    }

    /// The sentences, rendered from raw evidence: names are not escaped
    /// (only the terminal writer escapes), a record without a package is
    /// named by its number and carries its verdict.
    #[test]
    fn sentences_and_json_of_header_findings() {
        let mut c = check(HeaderVerdict::RegionOverride);
        c.overrides = vec![tags::FILEDIGESTS, 4242];
        c.digests = vec![
            verify::DigestCheck {
                kind: verify::DigestKind::Sha256,
                status: DigestStatus::Mismatch {
                    expected: "ab\x07".into(),
                    actual: "cd".into(),
                },
            },
            verify::DigestCheck {
                kind: verify::DigestKind::Sha1,
                status: DigestStatus::Unreadable(verify::DigestError::NoRegion),
            },
        ];
        c.signatures = vec![SignatureCheck {
            source: verify::SigSource::Rsa,
            status: SignatureStatus::Bad {
                key_id: Some("0123456789abcdef".into()),
                error: verify::SignatureError::Invalid {
                    detail: "bad \x1b".into(),
                },
            },
        }];
        let p = hostile();
        let fs = findings_for(&c, 9, Some(&p), false, HeadersOptions::default());
        let kinds: Vec<FindingKind> = fs.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [
                FindingKind::HeaderRegionOverride,
                FindingKind::HeaderDigestBad,
                FindingKind::HeaderSignatureBad
            ]
        );
        assert_eq!(
            text(&fs[0]),
            "evil\x1b[2J-1-1.x86_64's header has entries after its signed region that repeat \
             FILEDIGESTS (1035), tag 4242: rpm would read those unsigned values; rootaudit \
             verifies against the signed ones"
        );
        assert_eq!(
            text(&fs[1]),
            "evil\x1b[2J-1-1.x86_64's header does not match its digest (SHA256HEADER records \
             ab\x07, the region hashes to cd; SHA1HEADER: the header has no signed region): it \
             was changed after it was built"
        );
        assert_eq!(
            text(&fs[2]),
            "evil\x1b[2J-1-1.x86_64's header signature does not verify (RSAHEADER by key \
             0123456789abcdef: bad \x1b)"
        );
        // Ids are those of the package's key.
        assert_eq!(
            fs[0].id,
            crate::model::FindingId::derive(
                FindingKind::HeaderRegionOverride,
                p.key().as_bytes(),
                b""
            )
        );
        assert!(fs.iter().all(|f| f.header.is_none()));
        let json = serde_json::to_value(&fs[2]).unwrap();
        assert_eq!(json["key_id"], "0123456789abcdef");
        assert_eq!(json["package"]["name"], p.name.as_str());

        // A record whose package did not parse.
        let mut u = check(HeaderVerdict::Unsigned);
        u.no_region = true;
        let fs = findings_for(
            &u,
            12,
            None,
            false,
            HeadersOptions {
                require_signatures: true,
            },
        );
        assert_eq!(fs.len(), 1);
        assert_eq!(fs[0].severity, Severity::High);
        assert_eq!(fs[0].header, Some(HeaderVerdict::Unsigned));
        assert_eq!(
            text(&fs[0]),
            "the header of database record 12 has no signed region and no signature: nothing \
             vouches for its contents"
        );
        assert_eq!(
            fs[0].id,
            crate::model::FindingId::derive(FindingKind::HeaderUnsigned, b"record-12", b"")
        );
        // A gpg-pubkey entry's lack of signature is not news.
        assert!(findings_for(&u, 12, Some(&p), true, HeadersOptions::default()).is_empty());

        let mut r = check(HeaderVerdict::RevokedSigner);
        r.signatures = vec![SignatureCheck {
            source: verify::SigSource::OpenPgp(0),
            status: SignatureStatus::Revoked {
                key_id: "k1".into(),
                fingerprint: "F1".into(),
                why: verify::Unusable::Revoked {
                    revoked: 1_700_000_000,
                    reason: Some("key compromised".into()),
                },
            },
        }];
        let fs = findings_for(&r, 9, Some(&p), false, HeadersOptions::default());
        assert!(
            text(&fs[0]).ends_with(
                "'s header is signed by key k1 (certificate F1), which was revoked 2023-11-14 \
                 (key compromised)"
            ),
            "{}",
            text(&fs[0])
        );
        assert_eq!(key_id(&fs[0]), Some("k1"));
        r.signatures[0].status = SignatureStatus::Revoked {
            key_id: "k1".into(),
            fingerprint: "F1".into(),
            why: verify::Unusable::Expired {
                expired: 0,
                signed: 1_700_000_000,
            },
        };
        let fs = findings_for(&r, 9, Some(&p), false, HeadersOptions::default());
        assert!(
            text(&fs[0]).ends_with("which was expired 1970-01-01 before it signed on 2023-11-14"),
            "{}",
            text(&fs[0])
        );

        let mut t = check(HeaderVerdict::UntrustedSigner);
        for (status, want, id) in [
            (
                SignatureStatus::TargetKey {
                    key_id: "k2".into(),
                    fingerprint: "F2".into(),
                },
                "is validly signed by key k2 (certificate F2), which only the target's own rpm \
                 keyring holds, not the trust store",
                Some("k2"),
            ),
            (
                SignatureStatus::Unbound {
                    key_id: "k3".into(),
                    why: crate::trust::Unbound::NoSuchSubkey,
                },
                "is signed by key k3, which the trust store does not vouch for: no such subkey",
                Some("k3"),
            ),
            (
                SignatureStatus::UnknownKey {
                    key_id: String::new(),
                },
                "is signed by key (unnamed), which is not in the trust store",
                None,
            ),
            (
                SignatureStatus::Unsupported {
                    key_id: Some("k4".into()),
                    algorithm: "ElGamal".into(),
                },
                "is signed (DSAHEADER) with ElGamal, which this build cannot verify",
                Some("k4"),
            ),
        ] {
            t.signatures = vec![SignatureCheck {
                source: verify::SigSource::Dsa,
                status,
            }];
            let fs = findings_for(&t, 9, Some(&p), false, HeadersOptions::default());
            assert_eq!(fs.len(), 1);
            assert!(text(&fs[0]).ends_with(want), "{}", text(&fs[0]));
            assert_eq!(key_id(&fs[0]), id);
            let json = serde_json::to_value(&fs[0]).unwrap();
            assert_eq!(json["key_id"].as_str(), id, "{json}");
        }
    }

    /// A streaming judge: verdicts by record as they are judged, findings
    /// handed over once, the rest at the end; the JSON entry of a package
    /// has its raw NEVRA.
    #[test]
    fn judge_streams_verdicts_and_findings() {
        let store = TrustStore::empty();
        let mut judge = Judge::new(&store, Vec::new(), HeadersOptions::default());
        let db = database(vec![b"garbage".to_vec()]);
        assert_eq!(judge.verdict(1), None);
        judge.malformed(&db.malformed);
        assert_eq!(judge.verdict(1), Some(HeaderVerdict::Malformed));
        assert!(judge.take_findings().is_empty());
        let mut headerless = crate::testutil::package(5, "plain", Vec::new());
        headerless.native = None;
        judge.packages(std::slice::from_ref(&headerless));
        assert_eq!(judge.verdict(5), None);
        let out = judge.finish(DbFormat::DPKG);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(
            text(&out.findings[0]),
            "1 package in this dpkg database has no signed package header: its records cannot \
             be checked against a signer"
        );
        assert_eq!(
            out.findings[0].id,
            crate::model::FindingId::derive(FindingKind::CheckIncomplete, b"headers", b"")
        );

        let entry = PackageTrust {
            package: Some(hostile()),
            record: 9,
            signer: Some("k".into()),
            verdict: HeaderVerdict::BadDigest,
        };
        let json = serde_json::to_value(&entry).unwrap();
        assert_eq!(json["nevra"], hostile().nevra().as_str());
        assert_eq!(json["record"], 9);
        assert_eq!(json["signer"], "k");
        assert_eq!(json["verdict"], "bad-digest");
        let json = serde_json::to_value(&out.packages[0]).unwrap();
        assert!(json.get("nevra").is_none(), "{json}");
        assert_eq!(json["verdict"], "malformed");
    }

    /// The target's key entries: an unreadable one and its id scope.
    #[test]
    fn target_key_entries() {
        let mut p = crate::testutil::package(3, "gpg-pubkey", Vec::new());
        p.version = "F4A80EB5".into();
        p.release = "53a7ff4b".into();
        p.arch = None;
        p.native = None;
        let fs = target_key_findings(
            &p,
            0,
            &TrustStore::empty(),
            &TrustStore::empty(),
            &BTreeMap::new(),
        );
        assert_eq!(fs.len(), 1);
        assert_eq!(
            text(&fs[0]),
            "the target's rpm database holds key entry gpg-pubkey-F4A80EB5-53a7ff4b whose key \
             cannot be read; it is not in the trust store"
        );
        assert_eq!(key_id(&fs[0]), Some("f4a80eb5"));
        assert_eq!(
            fs[0].id,
            crate::model::FindingId::derive(
                FindingKind::TargetKeyUntrusted,
                b"gpg-pubkey-F4A80EB5",
                b""
            )
        );
        let json = serde_json::to_value(&fs[0]).unwrap();
        assert_eq!(json["key_id"], "f4a80eb5");

        let f = Finding::new(
            FindingKind::TargetKeyUntrusted,
            Severity::High,
            About::package(p.reference()).scope("gpg-pubkey-FP"),
            Evidence::TargetKey(TargetKeyEvidence::Untrusted {
                key_id: "k".into(),
                fingerprint: "FP".into(),
                algorithm: "RSA".into(),
                user_id: Some(Bytes(b"A \x1b<a@b>".to_vec())),
                signed: Some(2),
            }),
        );
        assert_eq!(
            f.message(),
            b"the target's rpm database holds key k (RSA FP \"A \x1b<a@b>\") that the trust \
              store lacks; it signed 2 installed package headers"
        );
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["key_id"], "k");
        assert_eq!(json["count"], 2);
    }

    #[test]
    fn dates() {
        assert_eq!(date(0u32), "1970-01-01");
        assert_eq!(date(951_782_400u32), "2000-02-29");
        assert_eq!(date(1_700_000_000u32), "2023-11-14");
        assert_eq!(date(4_102_444_800u64), "2100-01-01");
        assert_eq!(date(u32::MAX), "2106-02-07");
    }
}
