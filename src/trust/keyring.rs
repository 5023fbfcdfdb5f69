//! The trust store, for the `trust` stage: the OpenPGP public keys rootaudit
//! believes, loaded from folders **outside** the target (`--keys DIR`, the
//! `keys/` folder installed beside the binary, `/etc/rootaudit/keys`), never
//! from the target's own rpm keyring.
//!
//! Every key is parsed with the `pgp` crate (rpgp) and then judged here:
//! the primary key needs a valid self-signature (user id certification or
//! direct-key signature), a subkey needs a valid binding signature by the
//! primary (and, when it can sign, a valid back-signature by itself), and
//! revocations and expiry are read from *verified* signatures only. The
//! result is one [`TrustedKey`] per certificate, with a [`KeyStatus`] and
//! its [`Subkey`]s; keys whose algorithm rootaudit cannot verify stay in the
//! store with [`KeyStatus::Unsupported`], and files that hold no usable key
//! are kept as [`KeyProblem`]s, so nothing is dropped silently.
//!
//! The same type holds the *target's* keys (the `gpg-pubkey` entries of its
//! rpm database), built with [`TrustStore::add_bytes`]: a signature they
//! verify is reported, never trusted.
//!
//! ```no_run
//! use rootaudit::trust::keyring::TrustStore;
//! let store = TrustStore::load(&["/media/rescue/keys".into()])?;
//! for key in store.keys() {
//!     println!("{} {} {:?}", key.fingerprint, key.algorithm, key.status);
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

use super::TrustError;

/// Largest key file read (an ML-DSA key is ~40 KiB; a keyring of many
/// distribution keys a few hundred KiB).
const KEY_FILE_LIMIT: u64 = 16 << 20;

/// How deep `--keys` folders are walked (`keys/<distro>/<file>` needs 2).
const MAX_DEPTH: usize = 8;

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
    pub note: Option<String>,
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
    pub note: Option<String>,
    /// Its subkeys.
    pub subkeys: Vec<Subkey>,
    cert: SignedPublicKey,
}

/// A key file that gave no usable key.
#[derive(Clone, Debug)]
pub struct KeyProblem {
    /// The file.
    pub source: PathBuf,
    /// What was wrong with it.
    pub reason: KeyProblemKind,
}

/// Why a key file gave no usable key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyProblemKind {
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Unreadable(String),
    /// The file is larger than rootaudit reads.
    #[error("larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// The data is not an OpenPGP public key (or one rpgp cannot parse,
    /// e.g. of an algorithm it does not know).
    #[error("not a usable OpenPGP public key: {0}")]
    NotAKey(String),
    /// The file parsed but held no public key.
    #[error("no public key in it")]
    Empty,
}

/// Which key of a certificate made a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component {
    /// The primary key.
    Primary,
    /// Subkey number `n` of [`TrustedKey::subkeys`].
    Subkey(usize),
}

/// The outcome of checking one data signature against a [`TrustStore`].
#[derive(Clone, Debug)]
pub enum KeyMatch<'a> {
    /// The signature verifies with this key.
    Valid {
        /// The certificate.
        key: &'a TrustedKey,
        /// Which key of it.
        component: Component,
        /// Whether that key was usable when the signature was made.
        usable: Usability,
    },
    /// A key with the signature's issuer id is held, but the signature
    /// does not verify with it.
    Invalid {
        /// The issuer key id (16 hex digits).
        key_id: String,
        /// The verifier's reason.
        reason: String,
    },
    /// The issuer is held, but with an algorithm this build cannot verify.
    Unsupported {
        /// The issuer key id.
        key_id: String,
        /// The algorithm.
        algorithm: String,
    },
    /// No key with the issuer's id is held.
    NoKey,
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
    Unbound(String),
}

/// A set of OpenPGP certificates: the trust store, or the target's keys.
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    keys: Vec<TrustedKey>,
    problems: Vec<KeyProblem>,
    dirs: Vec<PathBuf>,
}

impl TrustStore {
    /// A store with no keys.
    pub fn empty() -> TrustStore {
        TrustStore::default()
    }

    /// Load every key file under each of `dirs` (walked recursively; dot
    /// files, `README*` and `*.md` are not key files). A folder that cannot
    /// be read is an error; a file that holds no usable key is a
    /// [`KeyProblem`].
    pub fn load(dirs: &[PathBuf]) -> Result<TrustStore, TrustError> {
        let mut store = TrustStore::empty();
        for d in dirs {
            store.add_dir(d)?;
        }
        Ok(store)
    }

    /// The default key folders, in order, that exist: `keys/` beside the
    /// binary, `../share/rootaudit/keys` beside it, `/etc/rootaudit/keys`.
    pub fn default_dirs() -> Vec<PathBuf> {
        let mut v = Vec::new();
        if let Some(dir) = std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(Path::to_path_buf))
        {
            v.push(dir.join("keys"));
            v.push(dir.join("../share/rootaudit/keys"));
        }
        v.push(PathBuf::from("/etc/rootaudit/keys"));
        v.into_iter().filter(|p| p.is_dir()).collect()
    }

    /// Add every key file under `dir`.
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), TrustError> {
        let meta = std::fs::metadata(dir).map_err(|source| TrustError::KeysDir {
            path: dir.to_path_buf(),
            source,
        })?;
        if !meta.is_dir() {
            return Err(TrustError::KeysDir {
                path: dir.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
            });
        }
        self.dirs.push(dir.to_path_buf());
        self.walk(dir, 0)
    }

    fn walk(&mut self, dir: &Path, depth: usize) -> Result<(), TrustError> {
        let fail = |source| TrustError::KeysDir {
            path: dir.to_path_buf(),
            source,
        };
        let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(fail)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(fail)?;
        names.sort();
        for path in names {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with('.') || name.starts_with("README") || name.ends_with(".md") {
                continue;
            }
            match std::fs::metadata(&path) {
                Ok(m) if m.is_dir() => {
                    if depth + 1 < MAX_DEPTH {
                        self.walk(&path, depth + 1)?;
                    }
                }
                Ok(m) if m.is_file() => {
                    if m.len() > KEY_FILE_LIMIT {
                        self.problems.push(KeyProblem {
                            source: path,
                            reason: KeyProblemKind::TooLarge {
                                limit: KEY_FILE_LIMIT,
                            },
                        });
                        continue;
                    }
                    match std::fs::read(&path) {
                        Ok(bytes) => {
                            self.add_bytes(&path, &bytes);
                        }
                        Err(e) => self.problems.push(KeyProblem {
                            source: path,
                            reason: KeyProblemKind::Unreadable(e.to_string()),
                        }),
                    }
                }
                Ok(_) => {}
                Err(e) => self.problems.push(KeyProblem {
                    source: path,
                    reason: KeyProblemKind::Unreadable(e.to_string()),
                }),
            }
        }
        Ok(())
    }

    /// Add the keys in `bytes` (ASCII-armored, possibly several blocks, or
    /// binary), naming them by `source`. Returns how many keys were added;
    /// a failure is recorded as a [`KeyProblem`].
    pub fn add_bytes(&mut self, source: &Path, bytes: &[u8]) -> usize {
        let now = now();
        let mut added = 0;
        let mut error = None;
        for block in split_armor(bytes) {
            match parse_certs(&block) {
                Ok(certs) => {
                    for cert in certs {
                        self.keys.push(evaluate(source, cert, now));
                        added += 1;
                    }
                }
                Err(e) => {
                    error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = error {
            self.problems.push(KeyProblem {
                source: source.to_path_buf(),
                reason: KeyProblemKind::NotAKey(e),
            });
        } else if added == 0 {
            self.problems.push(KeyProblem {
                source: source.to_path_buf(),
                reason: KeyProblemKind::Empty,
            });
        }
        added
    }

    /// Every certificate, in load order.
    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }

    /// Files that gave no usable key.
    pub fn problems(&self) -> &[KeyProblem] {
        &self.problems
    }

    /// The folders keys were loaded from.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// True when no certificate at all is held.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The certificate whose primary fingerprint is `fingerprint`
    /// (upper-case hex).
    pub fn by_fingerprint(&self, fingerprint: &str) -> Option<&TrustedKey> {
        self.keys
            .iter()
            .find(|k| k.fingerprint.eq_ignore_ascii_case(fingerprint))
    }

    /// Check a data signature over `data` with the keys held.
    ///
    /// Candidates are the primary keys and subkeys whose key id or
    /// fingerprint the signature names as issuer (every key when it names
    /// none). The first that verifies wins; with several candidates that
    /// share a key id (a deliberate collision), all are tried.
    pub fn verify(&self, sig: &Signature, data: &[u8]) -> KeyMatch<'_> {
        let ids: Vec<String> = sig.issuer_key_id().iter().map(|k| k.to_string()).collect();
        let fps: Vec<String> = sig
            .issuer_fingerprint()
            .iter()
            .map(|f| format!("{f:X}"))
            .collect();
        let names_issuer = !ids.is_empty() || !fps.is_empty();
        let matches = |key_id: &str, fp: &str| {
            !names_issuer
                || ids.iter().any(|i| i == key_id)
                || fps.iter().any(|f| f.eq_ignore_ascii_case(fp))
        };
        let signed = sig.created().map(|t| t.as_secs()).unwrap_or(0);

        let mut first_failure: Option<KeyMatch<'_>> = None;
        for key in &self.keys {
            let mut candidates = Vec::new();
            if matches(&key.key_id, &key.fingerprint) {
                candidates.push(Component::Primary);
            }
            for (i, s) in key.subkeys.iter().enumerate() {
                if matches(&s.key_id, &s.fingerprint) {
                    candidates.push(Component::Subkey(i));
                }
            }
            for component in candidates {
                let (algorithm, key_id, status) = match component {
                    Component::Primary => (&key.algorithm, &key.key_id, key.status),
                    Component::Subkey(i) => {
                        let s = &key.subkeys[i];
                        (&s.algorithm, &s.key_id, s.status)
                    }
                };
                if status == KeyStatus::Unsupported {
                    first_failure.get_or_insert(KeyMatch::Unsupported {
                        key_id: key_id.clone(),
                        algorithm: algorithm.clone(),
                    });
                    continue;
                }
                let checked = match component {
                    Component::Primary => sig.verify(&key.cert.primary_key, Cursor::new(data)),
                    Component::Subkey(i) => sig.verify(&key.subkeys[i].key, Cursor::new(data)),
                };
                match checked {
                    Ok(()) => {
                        return KeyMatch::Valid {
                            key,
                            component,
                            usable: usability(key, component, signed),
                        };
                    }
                    // A key the signature names that does not verify it
                    // makes it bad; trying every key on a signature that
                    // names none proves nothing when they all fail.
                    Err(e) if names_issuer => {
                        first_failure.get_or_insert(KeyMatch::Invalid {
                            key_id: key_id.clone(),
                            reason: e.to_string(),
                        });
                    }
                    Err(_) => {}
                }
            }
        }
        first_failure.unwrap_or(KeyMatch::NoKey)
    }
}

impl TrustedKey {
    /// The key id of `component`.
    pub fn component_key_id(&self, component: Component) -> &str {
        match component {
            Component::Primary => &self.key_id,
            Component::Subkey(i) => self.subkeys.get(i).map_or(&self.key_id, |s| &s.key_id),
        }
    }
}

/// Whether `component` of `key` may be believed for a signature made at
/// `signed`.
fn usability(key: &TrustedKey, component: Component, signed: u32) -> Usability {
    let revoked =
        |r: &Option<Revocation>| r.as_ref().filter(|r| !r.soft || r.time <= signed).cloned();
    if key.status == KeyStatus::Invalid {
        return Usability::Unbound(key.note.clone().unwrap_or_else(|| "invalid key".into()));
    }
    if let Some(r) = revoked(&key.revocation) {
        return Usability::Revoked(r);
    }
    if signed < key.created || key.expires.is_some_and(|e| signed >= e) {
        return Usability::NotValidAt {
            signed,
            expired: key.expires,
        };
    }
    match component {
        Component::Primary => {
            if key.signing {
                Usability::Usable
            } else {
                Usability::Unbound("the primary key is not marked for signing".into())
            }
        }
        Component::Subkey(i) => {
            let Some(s) = key.subkeys.get(i) else {
                return Usability::Unbound("no such subkey".into());
            };
            if s.status == KeyStatus::Invalid {
                return Usability::Unbound(
                    s.note
                        .clone()
                        .unwrap_or_else(|| "subkey binding invalid".into()),
                );
            }
            if !s.signing {
                return Usability::Unbound("the subkey is not marked for signing".into());
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
}

/// Seconds since the epoch now.
fn now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs().min(u64::from(u32::MAX)) as u32)
        .unwrap_or(0)
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
fn split_armor(bytes: &[u8]) -> Vec<Vec<u8>> {
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
/// caught and reported like any parse error).
fn parse_certs(bytes: &[u8]) -> Result<Vec<SignedPublicKey>, String> {
    let parsed = std::panic::catch_unwind(|| -> Result<Vec<SignedPublicKey>, String> {
        let (iter, _) = SignedPublicKey::from_reader_many(BufReader::new(Cursor::new(bytes)))
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        let mut first_err = None;
        for item in iter.take(10_000) {
            match item {
                Ok(k) => out.push(k),
                Err(e) => {
                    first_err.get_or_insert(e.to_string());
                }
            }
        }
        if out.is_empty()
            && let Some(e) = first_err
        {
            return Err(e);
        }
        Ok(out)
    });
    parsed.unwrap_or_else(|_| Err("the OpenPGP parser failed on this data".into()))
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

/// Judge one certificate: which of its self-signatures verify, and what
/// they say.
fn evaluate(source: &Path, cert: SignedPublicKey, now: u32) -> TrustedKey {
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

    let (status, note) = if capability == Capability::Unsupported {
        (
            KeyStatus::Unsupported,
            Some(format!("{algorithm} signatures cannot be verified")),
        )
    } else if latest.is_none() && version != 3 {
        (
            KeyStatus::Invalid,
            Some("no valid self-signature binds a user id or the key".into()),
        )
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
        note,
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
    let mut note = None;
    for sig in &sub.signatures {
        match sig.typ() {
            Some(SignatureType::SubkeyBinding) => {
                if let Err(e) = sig.verify_subkey_binding(primary, &sub.key) {
                    note.get_or_insert(format!("binding signature does not verify: {e}"));
                    continue;
                }
                if sig.key_flags().sign() {
                    let back = sig
                        .embedded_signature()
                        .map(|b| b.verify_primary_key_binding(&sub.key, primary));
                    match back {
                        Some(Ok(())) => {}
                        Some(Err(e)) => {
                            note.get_or_insert(format!("back-signature does not verify: {e}"));
                            continue;
                        }
                        None => {
                            note.get_or_insert(
                                "signing subkey has no back-signature (primary key binding)".into(),
                            );
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
    let (status, note) = if capability == Capability::Unsupported {
        (
            KeyStatus::Unsupported,
            Some(format!("{algorithm} signatures cannot be verified")),
        )
    } else if latest.is_none() {
        (
            KeyStatus::Invalid,
            Some(note.unwrap_or_else(|| "no valid binding signature".into())),
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
        note,
        key: sub.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) use crate::testutil::realdata;

    #[test]
    fn loads_every_distribution_key() {
        let Some(d) = realdata() else { return };
        let store = TrustStore::load(&[d.join("keys")]).expect("load");
        for p in store.problems() {
            eprintln!("problem: {} {}", p.source.display(), p.reason);
        }
        for k in store.keys() {
            eprintln!(
                "{} {} {:?} {} {:?} {}",
                k.fingerprint,
                k.algorithm,
                k.bits,
                k.status.as_str(),
                k.note,
                String::from_utf8_lossy(k.user_id.as_deref().unwrap_or_default())
            );
            for s in &k.subkeys {
                eprintln!(
                    "   sub {} {} {} {:?}",
                    s.key_id,
                    s.algorithm,
                    s.status.as_str(),
                    s.note
                );
            }
        }
        assert!(store.problems().is_empty());
        assert!(store.keys().len() >= 40, "{}", store.keys().len());
        let al = store
            .keys()
            .iter()
            .find(|k| k.key_id.ends_with("d832c631"))
            .expect("AL2023 key");
        assert_eq!(al.algorithm, "RSA");
    }

    #[test]
    fn rpm_org_test_keys() {
        let Some(d) = realdata() else { return };
        let store = TrustStore::load(&[d.join("rpms/rpm-org/keys")]).expect("load");
        for p in store.problems() {
            eprintln!("problem: {} {}", p.source.display(), p.reason);
        }
        for k in store.keys() {
            eprintln!(
                "{} {} {} {:?} {} {:?}",
                k.source.display(),
                k.fingerprint,
                k.algorithm,
                k.bits,
                k.status.as_str(),
                k.note
            );
            for s in &k.subkeys {
                eprintln!(
                    "   sub {} {} {} sign={} {:?} {:?}",
                    s.key_id,
                    s.algorithm,
                    s.status.as_str(),
                    s.signing,
                    s.note,
                    s.revocation
                );
            }
        }
    }

    #[test]
    fn garbage_is_a_problem_not_a_panic() {
        let mut store = TrustStore::empty();
        assert_eq!(store.add_bytes(Path::new("x"), b"hello"), 0);
        assert_eq!(store.add_bytes(Path::new("y"), &[0x99, 0xff, 0x00]), 0);
        assert_eq!(store.problems().len(), 2);
        assert!(store.is_empty());
    }
}
