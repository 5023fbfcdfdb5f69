//! Header verdicts, for the `trust` stage: is this rpm header the one its
//! signer signed?
//!
//! The signed bytes are rebuilt from the header itself
//! ([`Header::signed_region_bytes`]: magic ‖ ril ‖ rdl ‖ the region's index
//! entries ‖ the region's data). Against them rootaudit checks
//!
//! * `SHA256HEADER` (273) and `SHA1HEADER` (269): hex digests;
//! * the OpenPGP signatures in `RSAHEADER` (268), `DSAHEADER` (267: DSA,
//!   ECDSA, EdDSA) and `OPENPGP` (278, rpm 6: an array of base64
//!   signatures), each with the [`TrustStore`]; a signature whose issuer
//!   only the target's own keyring holds is checked with that key too, so
//!   "validly signed by a key the attacker imported" is told apart from
//!   "garbage";
//! * entries after the region that repeat a tag inside it
//!   ([`Header::region_overrides`]).
//!
//! In an installed header the signature and digest tags live after the
//! region (rpm copies them from the package's signature header), so they
//! are read with [`Header::get_any`]; in a package file they are in the
//! separate signature header ([`verify_header`] takes both).
//!
//! The outcome is a [`HeaderCheck`] with one [`HeaderVerdict`], the closed
//! set documented in `docs/trust.md`.

use std::fmt;
use std::io::{BufReader, Cursor};

use base64::Engine as _;
use pgp::packet::{Packet, PacketParser, PacketTrait as _, Signature, SignatureType};
use pgp::types::Tag;
use serde::Serialize;
use sha1::Digest as _;

use super::cert::{self, Unbound, Usability};
use super::guard::guarded;
use super::store::{KeyMatch, TrustStore};
use crate::pkgdb::rpm::header::{Header, HeaderError};
use crate::pkgdb::rpm::tags;

pub use crate::model::HeaderVerdict;
pub use crate::model::evidence::header::Unusable;

/// A header digest algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DigestKind {
    /// `SHA1HEADER` (269).
    Sha1,
    /// `SHA256HEADER` (273).
    Sha256,
}

impl DigestKind {
    /// `SHA1HEADER` / `SHA256HEADER`.
    pub fn tag_name(self) -> &'static str {
        match self {
            DigestKind::Sha1 => "SHA1HEADER",
            DigestKind::Sha256 => "SHA256HEADER",
        }
    }
}

/// The outcome of one header digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DigestStatus {
    /// The recorded digest matches.
    Match,
    /// It does not.
    Mismatch {
        /// Recorded (hex, as stored: raw, from the target).
        expected: String,
        /// Computed (hex).
        actual: String,
    },
    /// The tag is not a readable hex string, or there is no region to
    /// digest.
    Unreadable(DigestError),
}

/// Why a header digest could not be checked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    /// The header has no immutable region to digest.
    #[error("the header has no signed region")]
    NoRegion,
    /// The digest tag is not a readable string.
    #[error(transparent)]
    Tag(#[from] HeaderError),
}

/// Why a header signature is bad: it cannot be read, is not a binary
/// document signature, or does not verify with the key it names.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signature tag cannot be read (wrong type, bad count).
    #[error(transparent)]
    Tag(#[from] HeaderError),
    /// An `OPENPGP` element is not base64.
    #[error("not base64: {detail}")]
    NotBase64 {
        /// The decoder's error.
        detail: base64::DecodeError,
    },
    /// The header has no immutable region the signature could cover.
    #[error("the header has no signed region to verify")]
    NoRegion,
    /// The tag holds no OpenPGP packet at all.
    #[error("empty")]
    Empty,
    /// The first packet is not a signature.
    #[error("a {tag:?} packet, not a signature")]
    NotASignature {
        /// The packet's tag.
        tag: Tag,
    },
    /// The data is not an OpenPGP packet the parser accepts.
    #[error("not an OpenPGP packet: {detail}")]
    Unparseable {
        /// The `pgp` crate's error text (the innermost cause).
        detail: String,
    },
    /// The OpenPGP parser panicked on the data (caught).
    #[error("the OpenPGP parser failed on this data")]
    ParserPanicked,
    /// Not a binary-document signature, the kind rpm makes.
    #[error("signature type {typ:?}, rpm signs headers as binary documents")]
    WrongType {
        /// The signature's type.
        typ: SignatureType,
    },
    /// The signature does not verify with the key it names.
    #[error("{detail}")]
    Invalid {
        /// The `pgp` crate's error text (the innermost cause).
        detail: String,
    },
    /// The OpenPGP verifier panicked on the signature (caught).
    #[error("the OpenPGP verifier failed on this signature")]
    VerifierPanicked,
}

/// One header digest check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestCheck {
    /// Which digest.
    pub kind: DigestKind,
    /// Its outcome.
    pub status: DigestStatus,
}

/// Where a signature was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigSource {
    /// `RSAHEADER` (268).
    Rsa,
    /// `DSAHEADER` (267).
    Dsa,
    /// Element `n` of `OPENPGP` (278).
    OpenPgp(usize),
}

impl fmt::Display for SigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SigSource::Rsa => f.write_str("RSAHEADER"),
            SigSource::Dsa => f.write_str("DSAHEADER"),
            SigSource::OpenPgp(n) => write!(f, "OPENPGP[{n}]"),
        }
    }
}

/// The outcome of one header signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureStatus {
    /// Verifies with a trusted, usable key.
    Trusted {
        /// The signing key's id (a subkey's, when a subkey signed).
        key_id: String,
        /// The certificate's primary fingerprint.
        fingerprint: String,
    },
    /// Verifies with a trusted key that was revoked, expired or not yet
    /// valid when it signed.
    Revoked {
        /// The signing key's id.
        key_id: String,
        /// The certificate's primary fingerprint.
        fingerprint: String,
        /// Why the key was not usable.
        why: Unusable,
    },
    /// Verifies with a store key the store does not vouch for (a subkey
    /// whose binding does not verify, a key not marked for signing).
    Unbound {
        /// The signing key's id.
        key_id: String,
        /// Why.
        why: Unbound,
    },
    /// Verifies with a key only the target's own rpm keyring holds.
    TargetKey {
        /// The signing key's id.
        key_id: String,
        /// The certificate's primary fingerprint.
        fingerprint: String,
    },
    /// No key with the issuer's id, in the store or in the target.
    UnknownKey {
        /// The issuer's key id (empty when the signature names none).
        key_id: String,
    },
    /// The signature does not verify with the key it names, or is not a
    /// well-formed binary-document signature.
    Bad {
        /// The issuer's key id, when known.
        key_id: Option<String>,
        /// Why.
        error: SignatureError,
    },
    /// Of an algorithm (or signature version) this build cannot verify.
    Unsupported {
        /// The issuer's key id, when known.
        key_id: Option<String>,
        /// The algorithm.
        algorithm: String,
    },
}

/// One header signature check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureCheck {
    /// Where the signature was found.
    pub source: SigSource,
    /// Its outcome.
    pub status: SignatureStatus,
}

/// Everything found about one header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderCheck {
    /// The verdict: the worst that applies.
    pub verdict: HeaderVerdict,
    /// Key id (16 hex digits) of the signer the verdict is about.
    pub signer: Option<String>,
    /// The digest checks.
    pub digests: Vec<DigestCheck>,
    /// The signature checks.
    pub signatures: Vec<SignatureCheck>,
    /// Tags after the region that repeat a tag inside it.
    pub overrides: Vec<u32>,
    /// The header has no immutable region: nothing in it is signed.
    pub no_region: bool,
}

impl HeaderCheck {
    /// True when some digest does not match (or cannot be read).
    pub fn digest_bad(&self) -> bool {
        self.digests.iter().any(|d| d.status != DigestStatus::Match)
    }

    /// The signatures that are bad.
    pub fn bad_signatures(&self) -> impl Iterator<Item = &SignatureCheck> {
        self.signatures
            .iter()
            .filter(|s| matches!(s.status, SignatureStatus::Bad { .. }))
    }
}

/// Check an installed header (signature tags copied after its region).
pub fn verify_installed(header: &Header, store: &TrustStore, target: &TrustStore) -> HeaderCheck {
    verify_header(header, header, store, target)
}

/// Check `main`'s signed region against the digests and signatures in
/// `sigs` (the same header for an installed one, the signature header for
/// a package file). `target` holds the keys of the target's own keyring:
/// signatures they verify are reported as such, never trusted.
pub fn verify_header(
    main: &Header,
    sigs: &Header,
    store: &TrustStore,
    target: &TrustStore,
) -> HeaderCheck {
    let overrides = main.region_overrides();
    let region = main.signed_region_bytes();
    let no_region = region.is_none();

    let mut digests = Vec::new();
    for (kind, tag) in [
        (DigestKind::Sha256, tags::SHA256HEADER),
        (DigestKind::Sha1, tags::SHA1HEADER),
    ] {
        let Some(entry) = sigs.get_any(tag) else {
            continue;
        };
        let status = match (&region, entry.str()) {
            (None, _) => DigestStatus::Unreadable(DigestError::NoRegion),
            (_, Err(e)) => DigestStatus::Unreadable(e.into()),
            (Some(bytes), Ok(want)) => {
                let actual = match kind {
                    DigestKind::Sha1 => hex::encode(sha1::Sha1::digest(bytes)),
                    DigestKind::Sha256 => hex::encode(sha2::Sha256::digest(bytes)),
                };
                if want.trim().eq_ignore_ascii_case(&actual) {
                    DigestStatus::Match
                } else {
                    DigestStatus::Mismatch {
                        expected: want.to_string(),
                        actual,
                    }
                }
            }
        };
        digests.push(DigestCheck { kind, status });
    }

    let mut raw: Vec<(SigSource, Result<Vec<u8>, SignatureError>)> = Vec::new();
    if let Some(e) = sigs.get_any(tags::RSAHEADER) {
        raw.push((
            SigSource::Rsa,
            e.bin().map(<[u8]>::to_vec).map_err(Into::into),
        ));
    }
    if let Some(e) = sigs.get_any(tags::DSAHEADER) {
        raw.push((
            SigSource::Dsa,
            e.bin().map(<[u8]>::to_vec).map_err(Into::into),
        ));
    }
    if let Some(e) = sigs.get_any(tags::OPENPGP) {
        match e.string_array_bytes() {
            Ok(list) => {
                for (i, b64) in list.into_iter().enumerate() {
                    let clean: Vec<u8> = b64
                        .iter()
                        .copied()
                        .filter(|c| !c.is_ascii_whitespace())
                        .collect();
                    let decoded = base64::engine::general_purpose::STANDARD
                        .decode(&clean)
                        .map_err(|detail| SignatureError::NotBase64 { detail });
                    raw.push((SigSource::OpenPgp(i), decoded));
                }
            }
            Err(e) => raw.push((SigSource::OpenPgp(0), Err(e.into()))),
        }
    }

    let signatures: Vec<SignatureCheck> = raw
        .into_iter()
        .map(|(source, bytes)| {
            let status = match (bytes, &region) {
                (Err(error), _) => SignatureStatus::Bad {
                    key_id: None,
                    error,
                },
                (Ok(_), None) => SignatureStatus::Bad {
                    key_id: None,
                    error: SignatureError::NoRegion,
                },
                (Ok(b), Some(data)) => check_signature(&b, data, store, target),
            };
            SignatureCheck { source, status }
        })
        .collect();

    let (verdict, signer) = decide(&overrides, &digests, &signatures);
    HeaderCheck {
        verdict,
        signer,
        digests,
        signatures,
        overrides,
        no_region,
    }
}

fn decide(
    overrides: &[u32],
    digests: &[DigestCheck],
    signatures: &[SignatureCheck],
) -> (HeaderVerdict, Option<String>) {
    let find = |pred: fn(&SignatureStatus) -> Option<&String>| {
        signatures.iter().find_map(|s| pred(&s.status).cloned())
    };
    let trusted = find(|s| match s {
        SignatureStatus::Trusted { key_id, .. } => Some(key_id),
        _ => None,
    });
    let revoked = find(|s| match s {
        SignatureStatus::Revoked { key_id, .. } => Some(key_id),
        _ => None,
    });
    let bad = signatures
        .iter()
        .find(|s| matches!(s.status, SignatureStatus::Bad { .. }));
    let untrusted = find(|s| match s {
        SignatureStatus::Unbound { key_id, .. }
        | SignatureStatus::TargetKey { key_id, .. }
        | SignatureStatus::UnknownKey { key_id } => Some(key_id),
        SignatureStatus::Unsupported {
            key_id: Some(key_id),
            ..
        } => Some(key_id),
        _ => None,
    });
    let any_unsupported = signatures
        .iter()
        .any(|s| matches!(s.status, SignatureStatus::Unsupported { .. }));
    let signer = trusted
        .clone()
        .or_else(|| revoked.clone())
        .or_else(|| untrusted.clone())
        .or_else(|| {
            bad.and_then(|b| match &b.status {
                SignatureStatus::Bad { key_id, .. } => key_id.clone(),
                _ => None,
            })
        })
        .filter(|k| !k.is_empty());
    let digest_bad = digests.iter().any(|d| d.status != DigestStatus::Match);
    let verdict = if !overrides.is_empty() {
        HeaderVerdict::RegionOverride
    } else if bad.is_some() {
        HeaderVerdict::BadSignature
    } else if digest_bad {
        HeaderVerdict::BadDigest
    } else if trusted.is_some() {
        HeaderVerdict::Trusted
    } else if revoked.is_some() {
        HeaderVerdict::RevokedSigner
    } else if untrusted.is_some() || any_unsupported {
        HeaderVerdict::UntrustedSigner
    } else {
        HeaderVerdict::Unsigned
    };
    (verdict, signer)
}

/// Parse one OpenPGP signature packet from rpm's tag data (a parser panic
/// on hostile data is caught and reported as
/// [`SignatureError::ParserPanicked`]).
pub fn parse_signature(bytes: &[u8]) -> Result<Signature, SignatureError> {
    parse_guarded(|| {
        let mut parser = PacketParser::new(BufReader::new(Cursor::new(bytes)));
        match parser.next() {
            Some(Ok(Packet::Signature(sig))) => Ok(sig),
            Some(Ok(p)) => Err(SignatureError::NotASignature { tag: p.tag() }),
            Some(Err(e)) => Err(SignatureError::Unparseable {
                detail: super::pgp_text(&e),
            }),
            None => Err(SignatureError::Empty),
        }
    })
}

/// Run a signature parser, a panic in it becoming
/// [`SignatureError::ParserPanicked`].
fn parse_guarded<T>(
    parse: impl FnOnce() -> Result<T, SignatureError> + std::panic::UnwindSafe,
) -> Result<T, SignatureError> {
    guarded(parse).unwrap_or(Err(SignatureError::ParserPanicked))
}

fn check_signature(
    bytes: &[u8],
    data: &[u8],
    store: &TrustStore,
    target: &TrustStore,
) -> SignatureStatus {
    let sig = match parse_signature(bytes) {
        Ok(s) => s,
        Err(error) => {
            return SignatureStatus::Bad {
                key_id: None,
                error,
            };
        }
    };
    let issuer = sig
        .issuer_key_id()
        .first()
        .map(|k| k.to_string())
        .or_else(|| {
            sig.issuer_fingerprint()
                .first()
                .map(|f| cert::key_id_from_fingerprint(&format!("{f:X}")))
        });
    let Some(config) = sig.config() else {
        return SignatureStatus::Unsupported {
            key_id: issuer,
            algorithm: format!("signature version {:?}", sig.version()),
        };
    };
    if !supported_signature_algorithm(config.pub_alg) {
        return SignatureStatus::Unsupported {
            key_id: issuer,
            algorithm: cert::algorithm_name(config.pub_alg),
        };
    }
    if config.typ != SignatureType::Binary {
        return SignatureStatus::Bad {
            key_id: issuer,
            error: SignatureError::WrongType { typ: config.typ },
        };
    }
    let checked = guarded(std::panic::AssertUnwindSafe(|| {
        match store.verify(&sig, data) {
            KeyMatch::Valid {
                key,
                component,
                usable,
            } => {
                let key_id = key.component_key_id(component).to_string();
                let fingerprint = key.fingerprint.clone();
                match usable {
                    Usability::Usable => SignatureStatus::Trusted {
                        key_id,
                        fingerprint,
                    },
                    Usability::Revoked(r) => SignatureStatus::Revoked {
                        key_id,
                        fingerprint,
                        why: Unusable::Revoked {
                            revoked: r.time,
                            reason: r.reason.map(str::to_owned),
                        },
                    },
                    Usability::NotValidAt { signed, expired } => SignatureStatus::Revoked {
                        key_id,
                        fingerprint,
                        why: match expired {
                            Some(e) if signed >= e => Unusable::Expired { expired: e, signed },
                            _ => Unusable::Predates { signed },
                        },
                    },
                    Usability::Unbound(why) => SignatureStatus::Unbound { key_id, why },
                }
            }
            KeyMatch::Invalid { key_id, detail } => SignatureStatus::Bad {
                key_id: Some(key_id),
                error: SignatureError::Invalid { detail },
            },
            KeyMatch::Unsupported { key_id, algorithm } => SignatureStatus::Unsupported {
                key_id: Some(key_id),
                algorithm,
            },
            KeyMatch::NoKey => match target.verify(&sig, data) {
                KeyMatch::Valid { key, component, .. } => SignatureStatus::TargetKey {
                    key_id: key.component_key_id(component).to_string(),
                    fingerprint: key.fingerprint.clone(),
                },
                KeyMatch::Invalid { key_id, detail } => SignatureStatus::Bad {
                    key_id: Some(key_id),
                    error: SignatureError::Invalid { detail },
                },
                KeyMatch::Unsupported { key_id, algorithm } => SignatureStatus::Unsupported {
                    key_id: Some(key_id),
                    algorithm,
                },
                KeyMatch::NoKey => SignatureStatus::UnknownKey {
                    key_id: issuer.clone().unwrap_or_default(),
                },
            },
        }
    }));
    checked.unwrap_or(SignatureStatus::Bad {
        key_id: issuer,
        error: SignatureError::VerifierPanicked,
    })
}

/// Signature algorithms this build verifies.
fn supported_signature_algorithm(alg: pgp::crypto::public_key::PublicKeyAlgorithm) -> bool {
    matches!(u8::from(alg), 1 | 3 | 17 | 19 | 22 | 27 | 28)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::pkgdb::rpm::file::PackageFile;

    use crate::testutil::realdata;

    fn store(dirs: &[PathBuf]) -> TrustStore {
        let s = TrustStore::load(dirs).expect("keys load");
        assert!(!s.is_empty());
        s
    }

    fn blobs(dir: &Path, set: &str) -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<(String, Vec<u8>)> =
            std::fs::read_dir(dir.join("rpmdb/header-blobs").join(set))
                .expect("blob dir")
                .map(|e| e.expect("entry").path())
                .filter(|p| p.extension().is_some_and(|x| x == "bin"))
                .map(|p| {
                    let name = p.file_name().unwrap().to_string_lossy().into_owned();
                    (name, std::fs::read(&p).expect("read blob"))
                })
                .collect();
        v.sort();
        v
    }

    fn sqlite_blobs(dir: &Path) -> Vec<(i64, Vec<u8>)> {
        let path = dir.join("rpmdb/amazonlinux2023-plain/rpmdb.sqlite");
        let uri = format!("file:{}?mode=ro&immutable=1", path.display());
        let c = rusqlite::Connection::open_with_flags(
            uri,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI,
        )
        .expect("open");
        let mut st = c
            .prepare("SELECT hnum, blob FROM Packages")
            .expect("prepare");
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .map(|r| r.expect("row"))
            .collect()
    }

    fn is_pubkey(h: &Header) -> bool {
        h.get(tags::NAME).and_then(|e| e.str().ok()) == Some("gpg-pubkey")
    }

    #[test]
    fn amazon_linux_2023_headers_are_trusted() {
        let Some(d) = realdata() else { return };
        let keys = store(&[d.join("keys/amazon-linux")]);
        let none = TrustStore::empty();
        let mut n = 0;
        for (hnum, blob) in sqlite_blobs(&d) {
            let h = Header::parse(&blob).expect("parse");
            if is_pubkey(&h) {
                continue;
            }
            let c = verify_installed(&h, &keys, &none);
            assert_eq!(c.verdict, HeaderVerdict::Trusted, "hnum {hnum}: {c:?}");
            assert_eq!(c.signer.as_deref(), Some("e951904ad832c631"), "hnum {hnum}");
            assert_eq!(c.digests.len(), 2);
            let c = verify_installed(&h, &none, &none);
            assert_eq!(c.verdict, HeaderVerdict::UntrustedSigner, "hnum {hnum}");
            n += 1;
        }
        assert_eq!(n, 102);
    }

    #[test]
    fn centos_header_blobs_are_trusted() {
        let Some(d) = realdata() else { return };
        let keys = store(&[d.join("keys/centos")]);
        let none = TrustStore::empty();
        let mut counts = Vec::new();
        for (set, signer) in [
            ("centos7-plain", "24c6a8a7f4a80eb5"),
            ("centos8-modularitylabel", "05b555b38483c65d"),
        ] {
            let mut n = 0;
            for (name, blob) in blobs(&d, set) {
                let h = Header::parse(&blob).expect("parse");
                if is_pubkey(&h) {
                    continue;
                }
                let c = verify_installed(&h, &keys, &none);
                assert_eq!(c.verdict, HeaderVerdict::Trusted, "{name}: {c:?}");
                assert_eq!(c.signer.as_deref(), Some(signer), "{name}");
                let c = verify_installed(&h, &none, &none);
                assert_eq!(c.verdict, HeaderVerdict::UntrustedSigner, "{name}");
                assert_eq!(c.signer.as_deref(), Some(signer), "{name}");
                n += 1;
            }
            counts.push(n);
        }
        assert_eq!(counts, vec![144, 517]);
    }

    #[test]
    fn corrupted_blob_is_bad_digest_and_bad_signature() {
        let Some(d) = realdata() else { return };
        let keys = store(&[d.join("keys")]);
        let blob = std::fs::read(d.join("rpmdb/blob.bin")).expect("blob.bin");
        let h = Header::parse(&blob).expect("blob.bin parses");
        let c = verify_installed(&h, &keys, &TrustStore::empty());
        assert!(c.digest_bad(), "{c:?}");
        assert_eq!(c.bad_signatures().count(), 1, "{c:?}");
        assert_eq!(c.verdict, HeaderVerdict::BadSignature);
        // Without the key the signature cannot be judged; the digests can.
        let c = verify_installed(&h, &TrustStore::empty(), &TrustStore::empty());
        assert!(c.digest_bad());
        assert_eq!(c.verdict, HeaderVerdict::BadDigest);
    }

    fn package(d: &Path, name: &str) -> PackageFile {
        let bytes = std::fs::read(d.join("rpms/rpm-org/RPMS").join(name)).expect("rpm");
        PackageFile::parse(&bytes).expect("package parses")
    }

    fn key(d: &Path, names: &[&str]) -> TrustStore {
        let mut s = TrustStore::empty();
        for n in names {
            let p = d.join("rpms/rpm-org/keys").join(n);
            let bytes = std::fs::read(&p).expect("key");
            assert!(s.add_bytes(&p, &bytes) > 0, "{n}: {:?}", s.problems());
        }
        s
    }

    #[test]
    fn rpm_org_packages() {
        let Some(d) = realdata() else { return };
        let none = TrustStore::empty();
        let rsa = key(&d, &["rpm.org-rsa-2048-test.pub"]);
        let check = |name: &str, store: &TrustStore| {
            let p = package(&d, name);
            verify_header(&p.main, &p.signature, store, &none)
        };
        for name in [
            "hello-2.0-1.x86_64-signed.rpm",
            "hello-2.0-1.x86_64-v3-signed.rpm",
            "hlinktest-1.0-1.noarch-v3sig.rpm",
            "hello-2.0-1.x86_64-badima.rpm",
            "hello-2.0-1.x86_64-corrupted.rpm",
        ] {
            let c = check(name, &rsa);
            assert_eq!(c.verdict, HeaderVerdict::Trusted, "{name}: {c:?}");
            assert_eq!(c.signer.as_deref(), Some("4344591e1964c5fc"), "{name}");
            let c = check(name, &none);
            assert_eq!(c.verdict, HeaderVerdict::UntrustedSigner, "{name}");
        }

        // RSA in RSAHEADER plus an OPENPGP array with an ML-DSA-87 signature
        // (reported as unsupported) and an RSA one.
        let c = check("hello-2.0-1.x86_64-signed-mldsa87.rpm", &rsa);
        assert_eq!(c.verdict, HeaderVerdict::Trusted, "{c:?}");
        assert!(
            c.signatures.iter().any(|s| matches!(
                &s.status,
                SignatureStatus::Unsupported { algorithm, .. } if algorithm.contains("ML-DSA")
            )),
            "{c:?}"
        );
        let c = check("hello-2.0-1.x86_64-signed-mldsa87.rpm", &none);
        assert_eq!(c.verdict, HeaderVerdict::UntrustedSigner);

        // Subkeys: RSA subkey of alice, EdDSA subkey added to the RSA key.
        let c = check(
            "hello-2.0-1.x86_64-signed-with-subkey.rpm",
            &key(&d, &["alice.asc"]),
        );
        assert_eq!(c.verdict, HeaderVerdict::Trusted, "{c:?}");
        assert_eq!(c.signer.as_deref(), Some("1f71177215217ee0"));
        let c = check(
            "hello-2.0-1.x86_64-signed-with-new-subkey.rpm",
            &key(&d, &["rpm.org-rsa-2048-add-subkey.asc"]),
        );
        assert_eq!(c.verdict, HeaderVerdict::Trusted, "{c:?}");
        assert_eq!(c.signer.as_deref(), Some("6323c42711450b6c"));

        // A signature by a revoked subkey.
        let c = check(
            "hello-2.0-1.x86_64-signed-revoked.rpm",
            &key(&d, &["rpm.org-ed25519-subkey-test.pub"]),
        );
        assert_eq!(c.verdict, HeaderVerdict::RevokedSigner, "{c:?}");
        assert_eq!(c.signer.as_deref(), Some("dbf8808f7bab107a"));

        // A key nobody has.
        let all = TrustStore::load(&[d.join("rpms/rpm-org/keys"), d.join("keys")]).expect("all");
        let c = check("mwe-rpm-lua-problem-1.0.0-1.noarch.rpm", &all);
        assert_eq!(c.verdict, HeaderVerdict::UntrustedSigner, "{c:?}");
        assert_eq!(c.signer.as_deref(), Some("c0ac2c8f21b6383f"));

        // Unsigned packages.
        for name in ["hello-2.0-1.x86_64.rpm", "imatest-1.0-1.fc34.noarch.rpm"] {
            let c = check(name, &all);
            assert_eq!(c.verdict, HeaderVerdict::Unsigned, "{name}: {c:?}");
            assert!(!c.digest_bad());
        }
    }

    use crate::testutil::XorShift;

    /// Any change to the signed region of a trusted header that still
    /// parses must lose the `trusted` verdict; nothing panics.
    #[test]
    fn mutated_headers_never_stay_trusted() {
        let Some(d) = realdata() else { return };
        let keys = store(&[d.join("keys/centos"), d.join("keys/amazon-linux")]);
        let none = TrustStore::empty();
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        let mut inputs: Vec<Vec<u8>> = blobs(&d, "centos7-plain")
            .into_iter()
            .step_by(20)
            .map(|(_, b)| b)
            .collect();
        inputs.extend(sqlite_blobs(&d).into_iter().step_by(25).map(|(_, b)| b));
        let mut parsed_changed = 0;
        for blob in &inputs {
            let h = Header::parse(blob).expect("parse");
            let region = h.signed_region_bytes().expect("region");
            for _ in 0..200 {
                let mut b = blob.clone();
                for _ in 0..1 + rng.below(3) {
                    let at = rng.below(b.len());
                    b[at] ^= 1 << rng.below(8);
                }
                let Ok(m) = Header::parse(&b) else { continue };
                let c = verify_installed(&m, &keys, &none);
                if m.signed_region_bytes().as_deref() != Some(&region[..]) {
                    parsed_changed += 1;
                    assert_ne!(c.verdict, HeaderVerdict::Trusted, "{c:?}");
                }
            }
            // Truncations and garbage signatures.
            for cut in [0, 8, 16, blob.len() / 3, blob.len() - 1] {
                if let Ok(m) = Header::parse(&blob[..cut]) {
                    let _ = verify_installed(&m, &keys, &none);
                }
            }
        }
        assert!(parsed_changed > 50, "{parsed_changed}");
        for junk in [
            &b""[..],
            b"\x88",
            b"\x89\x01\x00\x00\x00",
            &[0xc2, 0xff, 0xff, 0xff, 0xff],
        ] {
            let e = parse_signature(junk).expect_err("junk");
            assert!(
                matches!(
                    e,
                    SignatureError::Empty
                        | SignatureError::Unparseable { .. }
                        | SignatureError::NotASignature { .. }
                ),
                "{e:?}"
            );
        }
    }

    #[test]
    fn a_parser_panic_is_a_typed_error() {
        let r: Result<(), SignatureError> =
            parse_guarded(|| panic!("assertion failed: left == right"));
        assert_eq!(r, Err(SignatureError::ParserPanicked));
        assert_eq!(
            SignatureError::ParserPanicked.to_string(),
            "the OpenPGP parser failed on this data"
        );
    }

    /// The sentences findings carry are the errors' `Display` text, byte
    /// for byte as before they were typed.
    #[test]
    fn error_texts() {
        for (e, want) in [
            (SignatureError::Empty, "empty"),
            (
                SignatureError::NotASignature { tag: Tag::UserId },
                "a UserId packet, not a signature",
            ),
            (
                SignatureError::Unparseable { detail: "x".into() },
                "not an OpenPGP packet: x",
            ),
            (
                SignatureError::WrongType {
                    typ: SignatureType::Text,
                },
                "signature type Text, rpm signs headers as binary documents",
            ),
            (SignatureError::Invalid { detail: "y".into() }, "y"),
            (
                SignatureError::NoRegion,
                "the header has no signed region to verify",
            ),
            (
                SignatureError::VerifierPanicked,
                "the OpenPGP verifier failed on this signature",
            ),
        ] {
            assert_eq!(e.to_string(), want);
        }
        assert_eq!(
            DigestError::NoRegion.to_string(),
            "the header has no signed region"
        );
    }
}
