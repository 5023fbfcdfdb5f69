//! Certificate evaluation, for the `trust` stage: what makes an OpenPGP
//! key usable.
//!
//! Every key is parsed with the `pgp` crate (rpgp) ([`parse_certs`], under
//! [`super::guard::guarded`]) and then judged here: the primary key needs a
//! valid self-signature (user id certification or direct-key signature), a
//! subkey needs a valid binding signature by the primary (and, when it can
//! sign, a valid back-signature by itself), and revocations and expiry are
//! read from *verified* signatures only. The result is one [`TrustedKey`]
//! per certificate, with a [`KeyStatus`], a [`KeyDefect`] when it is
//! invalid or unsupported, and its [`Subkey`]s. For a signature a key made,
//! [`TrustedKey::usability`] says whether the key could vouch for it then
//! ([`Usability`]).
//!
//! The store that holds these keys is [`super::store::TrustStore`].
//!
//! ```no_run
//! use rootaudit::trust::{Component, TrustStore, Usability};
//! let store = TrustStore::load(&["/media/rescue/keys".into()])?;
//! for key in store.keys() {
//!     // Could the primary key vouch for a signature made now-ish?
//!     let usable = key.usability(Component::Primary, 1_700_000_000);
//!     println!("{} {:?} {}", key.fingerprint, key.status, usable == Usability::Usable);
//! }
//! # Ok::<(), rootaudit::trust::TrustError>(())
//! ```

use std::io::{BufReader, Cursor};
use std::path::{Path, PathBuf};

use pgp::composed::{Deserializable, SignedPublicKey, SignedPublicSubKey};
use pgp::crypto::public_key::PublicKeyAlgorithm;
use pgp::packet::{self, RevocationCode, Signature, SignatureType, SubpacketData};
use pgp::ser::Serialize as _;
use pgp::types::{KeyDetails, PublicParams, Tag};
use serde::Serialize;

use super::guard::guarded;

/// What a key (or subkey) can be used for, as `rootaudit keys list` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyStatus {
    /// Valid: signatures it makes are accepted.
    Ok,
    /// Past its expiry time now. Signatures made before it expired are
    /// still accepted.
    Expired,
    /// Revoked by a verified revocation signature.
    Revoked,
    /// Its public-key algorithm (or curve) cannot be verified by this build
    /// (e.g. ML-DSA); kept so that it is reported, never used.
    Unsupported,
    /// Its self-signature or binding signature does not verify (or is
    /// missing): the key material is not bound to the certificate.
    Invalid,
}

impl KeyStatus {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Ok => "ok",
            KeyStatus::Expired => "expired",
            KeyStatus::Revoked => "revoked",
            KeyStatus::Unsupported => "unsupported",
            KeyStatus::Invalid => "invalid",
        }
    }
}

/// Why a key or subkey is [`KeyStatus::Invalid`] or
/// [`KeyStatus::Unsupported`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyDefect {
    /// Its algorithm (or curve) cannot be verified by this build.
    #[error("{algorithm} signatures cannot be verified")]
    UnsupportedAlgorithm {
        /// The algorithm's name.
        algorithm: String,
    },
    /// No self-signature by the primary key verifies.
    #[error("no valid self-signature binds a user id or the key")]
    NoSelfSignature,
    /// A subkey binding signature does not verify.
    #[error("binding signature does not verify: {detail}")]
    BadBinding {
        /// The `pgp` crate's error text.
        detail: String,
    },
    /// A signing subkey's back-signature does not verify.
    #[error("back-signature does not verify: {detail}")]
    BadBackSignature {
        /// The `pgp` crate's error text.
        detail: String,
    },
    /// A signing subkey has no back-signature.
    #[error("signing subkey has no back-signature (primary key binding)")]
    NoBackSignature,
    /// A subkey has no binding signature at all.
    #[error("no valid binding signature")]
    NoBinding,
}

/// Why a key file's bytes gave no certificate.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// The OpenPGP parser rejected the data.
    #[error("{detail}")]
    Unparseable {
        /// The `pgp` crate's error text.
        detail: String,
    },
    /// The OpenPGP parser panicked on the data (caught).
    #[error("the OpenPGP parser failed on this data")]
    ParserPanicked,
}

/// A verified revocation of a key or subkey.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Revocation {
    /// When the revocation signature was made (seconds since the epoch).
    pub time: u32,
    /// A *soft* revocation (reason "superseded" or "retired") only
    /// invalidates signatures made after [`Revocation::time`]; any other
    /// reason (compromised, none given) invalidates every signature.
    pub soft: bool,
    /// The reason code's name, when one is given.
    pub reason: Option<&'static str>,
}

/// One subkey of a [`TrustedKey`].
#[derive(Clone, Debug)]
pub struct Subkey {
    /// Upper-case hex fingerprint.
    pub fingerprint: String,
    /// 16 lower-case hex digits.
    pub key_id: String,
    /// Algorithm name (`RSA`, `EdDSA Ed25519`, `ECDSA P-256`, …).
    pub algorithm: String,
    /// Key size in bits, where meaningful.
    pub bits: Option<u32>,
    /// Creation time.
    pub created: u32,
    /// Expiry time, if any.
    pub expires: Option<u32>,
    /// The subkey's state now.
    pub status: KeyStatus,
    /// Its binding says it may sign data (key flag `S`).
    pub signing: bool,
    /// Its revocation, if verified.
    pub revocation: Option<Revocation>,
    /// Why it is [`KeyStatus::Invalid`] or [`KeyStatus::Unsupported`].
    pub defect: Option<KeyDefect>,
    key: SignedPublicSubKey,
}

/// One OpenPGP certificate (primary key and subkeys) of the store.
#[derive(Clone, Debug)]
pub struct TrustedKey {
    /// The file it was read from (for the target's keys: a label such as
    /// `rpmdb gpg-pubkey-d832c631-63ff90a4`).
    pub source: PathBuf,
    /// Key version (4 or 6; 3 for ancient keys).
    pub version: u8,
    /// Upper-case hex fingerprint of the primary key.
    pub fingerprint: String,
    /// 16 lower-case hex digits.
    pub key_id: String,
    /// Algorithm name.
    pub algorithm: String,
    /// Key size in bits, where meaningful.
    pub bits: Option<u32>,
    /// The first user id, as raw bytes (escape before display).
    pub user_id: Option<Vec<u8>>,
    /// Creation time.
    pub created: u32,
    /// Expiry time, if any.
    pub expires: Option<u32>,
    /// The key's state now.
    pub status: KeyStatus,
    /// The primary key may sign data (no key-flags subpacket, or flag `S`).
    pub signing: bool,
    /// Its revocation, if verified.
    pub revocation: Option<Revocation>,
    /// Why it is [`KeyStatus::Invalid`] or [`KeyStatus::Unsupported`].
    pub defect: Option<KeyDefect>,
    /// Its subkeys.
    pub subkeys: Vec<Subkey>,
    cert: SignedPublicKey,
}

/// Which key of a certificate made a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component {
    /// The primary key.
    Primary,
    /// Subkey number `n` of [`TrustedKey::subkeys`].
    Subkey(usize),
}

/// Whether the key that made a valid signature may be believed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Usability {
    /// Valid, bound, not revoked, not expired at signing time.
    Usable,
    /// Revoked (hard, or soft before the signature was made).
    Revoked(Revocation),
    /// Expired when the signature was made, or the signature predates
    /// the key.
    NotValidAt {
        /// The signature's creation time.
        signed: u32,
        /// The key's expiry, if that is the reason.
        expired: Option<u32>,
    },
    /// A subkey whose binding to the certificate does not verify, or a key
    /// not marked for signing: the certificate does not vouch for it.
    Unbound(Unbound),
}

/// Why a certificate does not vouch for a key of it that made a valid
/// signature.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unbound {
    /// The certificate itself is invalid.
    #[error("{defect}")]
    InvalidKey {
        /// What is wrong with it.
        defect: KeyDefect,
    },
    /// The primary key is not marked for signing.
    #[error("the primary key is not marked for signing")]
    PrimaryNotSigning,
    /// The certificate has no subkey with that index.
    #[error("no such subkey")]
    NoSuchSubkey,
    /// The subkey is not bound to the certificate.
    #[error("{defect}")]
    InvalidSubkey {
        /// What is wrong with its binding.
        defect: KeyDefect,
    },
    /// The subkey is not marked for signing.
    #[error("the subkey is not marked for signing")]
    SubkeyNotSigning,
}

impl TrustedKey {
    /// The key id of `component`.
    pub fn component_key_id(&self, component: Component) -> &str {
        match component {
            Component::Primary => &self.key_id,
            Component::Subkey(i) => self.subkeys.get(i).map_or(&self.key_id, |s| &s.key_id),
        }
    }

    /// Check a data signature over `data` with `component`'s key material
    /// (nothing about whether that key is usable: see
    /// [`TrustedKey::usability`]). The error is the `pgp` crate's.
    pub(super) fn verify_data(
        &self,
        component: Component,
        sig: &Signature,
        data: &[u8],
    ) -> pgp::errors::Result<()> {
        match component.subkey().and_then(|i| self.subkeys.get(i)) {
            Some(s) => sig.verify(&s.key, Cursor::new(data)),
            None => sig.verify(&self.cert.primary_key, Cursor::new(data)),
        }
    }

    /// Whether `component` may be believed for a signature made at
    /// `signed`.
    pub fn usability(&self, component: Component, signed: u32) -> Usability {
        let revoked =
            |r: &Option<Revocation>| r.as_ref().filter(|r| !r.soft || r.time <= signed).cloned();
        if self.status == KeyStatus::Invalid {
            return Usability::Unbound(Unbound::InvalidKey {
                defect: self.defect.clone().unwrap_or(KeyDefect::NoSelfSignature),
            });
        }
        if let Some(r) = revoked(&self.revocation) {
            return Usability::Revoked(r);
        }
        if signed < self.created || self.expires.is_some_and(|e| signed >= e) {
            return Usability::NotValidAt {
                signed,
                expired: self.expires,
            };
        }
        let Some(i) = component.subkey() else {
            return if self.signing {
                Usability::Usable
            } else {
                Usability::Unbound(Unbound::PrimaryNotSigning)
            };
        };
        let Some(s) = self.subkeys.get(i) else {
            return Usability::Unbound(Unbound::NoSuchSubkey);
        };
        if s.status == KeyStatus::Invalid {
            return Usability::Unbound(Unbound::InvalidSubkey {
                defect: s.defect.clone().unwrap_or(KeyDefect::NoBinding),
            });
        }
        if !s.signing {
            return Usability::Unbound(Unbound::SubkeyNotSigning);
        }
        if let Some(r) = revoked(&s.revocation) {
            return Usability::Revoked(r);
        }
        if signed < s.created || s.expires.is_some_and(|e| signed >= e) {
            return Usability::NotValidAt {
                signed,
                expired: s.expires,
            };
        }
        Usability::Usable
    }
}

impl Component {
    fn subkey(self) -> Option<usize> {
        match self {
            Component::Primary => None,
            Component::Subkey(i) => Some(i),
        }
    }
}

/// The 16-hex-digit key id a v4 fingerprint implies (its last 8 bytes);
/// for a v6 fingerprint (64 hex digits) its first 8 bytes.
pub fn key_id_from_fingerprint(fp: &str) -> String {
    let fp = fp.to_ascii_lowercase();
    if fp.len() == 64 {
        fp[..16].to_string()
    } else if fp.len() >= 16 {
        fp[fp.len() - 16..].to_string()
    } else {
        fp
    }
}

/// Split text holding several armored blocks into one chunk per block;
/// anything else (binary data, a single block) is one chunk.
pub(super) fn split_armor(bytes: &[u8]) -> Vec<Vec<u8>> {
    const BEGIN: &[u8] = b"-----BEGIN PGP ";
    let starts: Vec<usize> = (0..bytes.len())
        .filter(|&i| bytes[i..].starts_with(BEGIN))
        .collect();
    if starts.len() <= 1 {
        return vec![bytes.to_vec()];
    }
    let mut out = Vec::new();
    for (n, &s) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(bytes.len());
        out.push(bytes[s..end].to_vec());
    }
    out
}

/// Parse the certificates in one chunk (a parser panic on hostile data is
/// caught and reported as [`CertError::ParserPanicked`]).
pub fn parse_certs(bytes: &[u8]) -> Result<Vec<SignedPublicKey>, CertError> {
    parse_guarded(|| {
        let unparseable = |e: pgp::errors::Error| CertError::Unparseable {
            detail: super::pgp_text(&e),
        };
        let (iter, _) = SignedPublicKey::from_reader_many(BufReader::new(Cursor::new(bytes)))
            .map_err(unparseable)?;
        let mut out = Vec::new();
        let mut first_err = None;
        for item in iter.take(10_000) {
            match item {
                Ok(k) => out.push(k),
                Err(e) => {
                    first_err.get_or_insert_with(|| unparseable(e));
                }
            }
        }
        if out.is_empty()
            && let Some(e) = first_err
        {
            return Err(e);
        }
        Ok(out)
    })
}

/// Run a certificate parser, a panic in it becoming
/// [`CertError::ParserPanicked`].
fn parse_guarded<T>(
    parse: impl FnOnce() -> Result<T, CertError> + std::panic::UnwindSafe,
) -> Result<T, CertError> {
    guarded(parse).unwrap_or(Err(CertError::ParserPanicked))
}

/// What this build can do with a key's algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Capability {
    /// Signatures by it can be verified.
    Verify,
    /// An encryption-only algorithm: it never signs, nothing to verify.
    EncryptOnly,
    /// A signing algorithm (or curve) this build cannot verify.
    Unsupported,
}

/// Name, size and capability of a key with `params`.
fn describe(alg: PublicKeyAlgorithm, params: &PublicParams) -> (String, Option<u32>, Capability) {
    let bits = || {
        params.to_bytes().ok().and_then(|b| {
            b.get(..2)
                .map(|s| u32::from(u16::from_be_bytes([s[0], s[1]])))
        })
    };
    let verify = |ok: bool| {
        if ok {
            Capability::Verify
        } else {
            Capability::Unsupported
        }
    };
    match params {
        PublicParams::RSA(_) => ("RSA".into(), bits(), Capability::Verify),
        PublicParams::DSA(_) => ("DSA".into(), bits(), Capability::Verify),
        PublicParams::ECDSA(p) => (
            format!("ECDSA {}", p.curve()),
            None,
            verify(p.is_supported()),
        ),
        PublicParams::EdDSALegacy(p) => match p {
            pgp::types::EddsaLegacyPublicParams::Ed25519 { .. } => {
                ("EdDSA Ed25519".into(), None, Capability::Verify)
            }
            _ => (
                format!("EdDSA {}", p.curve()),
                None,
                Capability::Unsupported,
            ),
        },
        PublicParams::Ed25519(_) => ("Ed25519".into(), None, Capability::Verify),
        PublicParams::Ed448(_) => ("Ed448".into(), None, Capability::Verify),
        PublicParams::ECDH(p) => (format!("ECDH {}", p.curve()), None, Capability::EncryptOnly),
        PublicParams::X25519(_) => ("X25519".into(), None, Capability::EncryptOnly),
        PublicParams::X448(_) => ("X448".into(), None, Capability::EncryptOnly),
        PublicParams::Elgamal(_) => ("Elgamal".into(), bits(), Capability::EncryptOnly),
        _ => (algorithm_name(alg), None, Capability::Unsupported),
    }
}

/// A readable name for a public-key algorithm id.
pub fn algorithm_name(alg: PublicKeyAlgorithm) -> String {
    match u8::from(alg) {
        1 | 3 => "RSA".into(),
        17 => "DSA".into(),
        19 => "ECDSA".into(),
        22 => "EdDSA".into(),
        27 => "Ed25519".into(),
        28 => "Ed448".into(),
        30 => "ML-DSA-65+Ed25519".into(),
        31 => "ML-DSA-87+Ed448".into(),
        32 => "SLH-DSA-SHAKE-128s".into(),
        33 => "SLH-DSA-SHAKE-128f".into(),
        34 => "SLH-DSA-SHAKE-256s".into(),
        n => format!("algorithm {n}"),
    }
}

fn has_key_flags(sig: &Signature) -> bool {
    sig.config().is_some_and(|c| {
        c.hashed_subpackets()
            .any(|p| matches!(p.data, SubpacketData::KeyFlags(_)))
    })
}

fn created(sig: &Signature) -> u32 {
    sig.created().map(|t| t.as_secs()).unwrap_or(0)
}

fn revocation_of(sig: &Signature) -> Revocation {
    let code = sig.revocation_reason_code().copied();
    let soft = matches!(
        code,
        Some(RevocationCode::KeySuperseded) | Some(RevocationCode::KeyRetired)
    );
    let reason = code.map(|c| match c {
        RevocationCode::NoReason => "no reason",
        RevocationCode::KeySuperseded => "superseded",
        RevocationCode::KeyCompromised => "compromised",
        RevocationCode::KeyRetired => "retired",
        RevocationCode::CertUserIdInvalid => "user id invalid",
        _ => "other",
    });
    Revocation {
        time: created(sig),
        soft,
        reason,
    }
}

fn add_secs(base: u32, d: pgp::types::Duration) -> Option<u32> {
    match d.as_secs() {
        0 => None,
        n => Some(base.saturating_add(n)),
    }
}

/// Judge one certificate read from `source`: which of its self-signatures
/// verify, and what they say, `now` being the current time.
pub(super) fn evaluate(source: &Path, cert: SignedPublicKey, now: u32) -> TrustedKey {
    let primary = &cert.primary_key;
    let alg = primary.algorithm();
    let (algorithm, bits, capability) = describe(alg, primary.public_params());
    let key_created = primary.created_at().as_secs();
    let fingerprint = format!("{:X}", primary.fingerprint());
    let key_id = primary.legacy_key_id().to_string();
    let version = u8::from(primary.version());

    // Valid self-signatures over user ids and direct-key signatures.
    let mut self_sigs: Vec<&Signature> = Vec::new();
    let mut user_id = None;
    for user in &cert.details.users {
        for sig in &user.signatures {
            if is_self_issued(sig, &key_id, &fingerprint)
                && sig.typ() != Some(SignatureType::CertRevocation)
                && sig
                    .verify_certification(primary, Tag::UserId, &user.id)
                    .is_ok()
            {
                self_sigs.push(sig);
                user_id.get_or_insert_with(|| user.id.id().to_vec());
            }
        }
    }
    for sig in &cert.details.direct_signatures {
        if sig.verify_key(primary).is_ok() {
            self_sigs.push(sig);
        }
    }
    let user_id = user_id.or_else(|| cert.details.users.first().map(|u| u.id.id().to_vec()));
    let latest = self_sigs.iter().max_by_key(|s| created(s)).copied();
    let revocation = cert
        .details
        .revocation_signatures
        .iter()
        .filter(|s| s.verify_key(primary).is_ok())
        .map(revocation_of)
        .min_by_key(|r| (r.soft, r.time));
    let expires = match latest {
        Some(s) => s
            .key_expiration_time()
            .and_then(|d| add_secs(key_created, d)),
        None => primary
            .legacy_v3_expiration_days()
            .filter(|&d| d > 0)
            .map(|d| key_created.saturating_add(u32::from(d) * 86_400)),
    };
    let signing = capability == Capability::Verify
        && latest.is_none_or(|s| !has_key_flags(s) || s.key_flags().sign());

    let (status, defect) = if capability == Capability::Unsupported {
        (
            KeyStatus::Unsupported,
            Some(KeyDefect::UnsupportedAlgorithm {
                algorithm: algorithm.clone(),
            }),
        )
    } else if latest.is_none() && version != 3 {
        (KeyStatus::Invalid, Some(KeyDefect::NoSelfSignature))
    } else if revocation.is_some() {
        (KeyStatus::Revoked, None)
    } else if expires.is_some_and(|e| now >= e) {
        (KeyStatus::Expired, None)
    } else {
        (KeyStatus::Ok, None)
    };

    let subkeys = cert
        .public_subkeys
        .iter()
        .map(|s| evaluate_subkey(primary, s, now))
        .collect();

    TrustedKey {
        source: source.to_path_buf(),
        version,
        fingerprint,
        key_id,
        algorithm,
        bits,
        user_id,
        created: key_created,
        expires,
        status,
        signing,
        revocation,
        defect,
        subkeys,
        cert,
    }
}

fn is_self_issued(sig: &Signature, key_id: &str, fingerprint: &str) -> bool {
    let ids = sig.issuer_key_id();
    let fps = sig.issuer_fingerprint();
    (ids.is_empty() && fps.is_empty())
        || ids.iter().any(|k| k.to_string() == key_id)
        || fps
            .iter()
            .any(|f| format!("{f:X}").eq_ignore_ascii_case(fingerprint))
}

fn evaluate_subkey(primary: &packet::PublicKey, sub: &SignedPublicSubKey, now: u32) -> Subkey {
    let (algorithm, bits, capability) = describe(sub.key.algorithm(), sub.key.public_params());
    let sub_created = sub.key.created_at().as_secs();
    let mut bindings: Vec<&Signature> = Vec::new();
    let mut revocation: Option<Revocation> = None;
    let mut failure = None;
    for sig in &sub.signatures {
        match sig.typ() {
            Some(SignatureType::SubkeyBinding) => {
                if let Err(e) = sig.verify_subkey_binding(primary, &sub.key) {
                    failure.get_or_insert(KeyDefect::BadBinding {
                        detail: super::pgp_text(&e),
                    });
                    continue;
                }
                if sig.key_flags().sign() {
                    let back = sig
                        .embedded_signature()
                        .map(|b| b.verify_primary_key_binding(&sub.key, primary));
                    match back {
                        Some(Ok(())) => {}
                        Some(Err(e)) => {
                            failure.get_or_insert(KeyDefect::BadBackSignature {
                                detail: super::pgp_text(&e),
                            });
                            continue;
                        }
                        None => {
                            failure.get_or_insert(KeyDefect::NoBackSignature);
                            continue;
                        }
                    }
                }
                bindings.push(sig);
            }
            Some(SignatureType::SubkeyRevocation)
                if sig.verify_subkey_binding(primary, &sub.key).is_ok() =>
            {
                // A hard revocation, or else the earliest soft one, wins.
                let r = revocation_of(sig);
                if revocation
                    .as_ref()
                    .is_none_or(|old| (r.soft, r.time) < (old.soft, old.time))
                {
                    revocation = Some(r);
                }
            }
            _ => {}
        }
    }
    let latest = bindings.iter().max_by_key(|s| created(s)).copied();
    let expires = latest.and_then(|s| {
        s.key_expiration_time()
            .and_then(|d| add_secs(sub_created, d))
    });
    let signing = capability == Capability::Verify && latest.is_some_and(|s| s.key_flags().sign());
    let (status, defect) = if capability == Capability::Unsupported {
        (
            KeyStatus::Unsupported,
            Some(KeyDefect::UnsupportedAlgorithm {
                algorithm: algorithm.clone(),
            }),
        )
    } else if latest.is_none() {
        (
            KeyStatus::Invalid,
            Some(failure.unwrap_or(KeyDefect::NoBinding)),
        )
    } else if revocation.is_some() {
        (KeyStatus::Revoked, None)
    } else if expires.is_some_and(|e| now >= e) {
        (KeyStatus::Expired, None)
    } else {
        (KeyStatus::Ok, None)
    };
    Subkey {
        fingerprint: format!("{:X}", sub.key.fingerprint()),
        key_id: sub.key.legacy_key_id().to_string(),
        algorithm,
        bits,
        created: sub_created,
        expires,
        status,
        signing,
        revocation,
        defect,
        key: sub.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parser_panic_is_a_typed_error() {
        let r: Result<(), CertError> = parse_guarded(|| panic!("assertion failed: left == right"));
        assert_eq!(r, Err(CertError::ParserPanicked));
        assert_eq!(
            CertError::ParserPanicked.to_string(),
            "the OpenPGP parser failed on this data"
        );
    }

    #[test]
    fn garbage_is_unparseable() {
        for junk in [&b"hello"[..], &[0x99, 0xff, 0x00]] {
            assert!(
                matches!(parse_certs(junk), Err(CertError::Unparseable { .. })),
                "{junk:?}"
            );
        }
    }

    #[test]
    fn key_ids_from_fingerprints() {
        let v4 = "0123456789ABCDEF0123456789ABCDEF01234567";
        assert_eq!(key_id_from_fingerprint(v4), "89abcdef01234567");
        let v6 = "AB".repeat(32);
        assert_eq!(key_id_from_fingerprint(&v6), "abababababababab");
    }

    #[test]
    fn armored_blocks_are_split() {
        let two = b"-----BEGIN PGP A\n-----BEGIN PGP B\n";
        assert_eq!(split_armor(two).len(), 2);
        assert_eq!(split_armor(b"\x99binary").len(), 1);
    }
}
