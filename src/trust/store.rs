//! The trust store, for the `trust` stage: the OpenPGP public keys rootaudit
//! believes, loaded from folders **outside** the target (`--keys DIR`, the
//! `keys/` folder installed beside the binary, `/etc/rootaudit/keys`), never
//! from the target's own rpm keyring.
//!
//! A [`TrustStore`] holds one [`TrustedKey`] per certificate (judged in
//! [`super::cert`]); keys whose algorithm rootaudit cannot verify stay in
//! the store with [`KeyStatus::Unsupported`], and files that hold no usable
//! key are kept as [`KeyProblem`]s, so nothing is dropped silently. It finds
//! keys by fingerprint or issuer key id and checks data signatures with
//! them ([`TrustStore::verify`], giving a [`KeyMatch`]).
//!
//! The same type holds the *target's* keys (the `gpg-pubkey` entries of its
//! rpm database), built with [`TrustStore::add_bytes`]: a signature they
//! verify is reported, never trusted.
//!
//! ```no_run
//! use rootaudit::trust::TrustStore;
//! let store = TrustStore::load(&["/media/rescue/keys".into()])?;
//! for key in store.keys() {
//!     println!("{} {} {:?}", key.fingerprint, key.algorithm, key.status);
//! }
//! # Ok::<(), rootaudit::trust::TrustError>(())
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pgp::packet::Signature;

use super::TrustError;
use super::cert::{self, CertError, Component, KeyStatus, TrustedKey, Usability};

/// Largest key file read (an ML-DSA key is ~40 KiB; a keyring of many
/// distribution keys a few hundred KiB).
const KEY_FILE_LIMIT: u64 = 16 << 20;

/// How deep `--keys` folders are walked (`keys/<distro>/<file>` needs 2).
const MAX_DEPTH: usize = 8;

/// A key file that gave no usable key.
#[derive(Clone, Debug)]
pub struct KeyProblem {
    /// The file.
    pub source: PathBuf,
    /// What was wrong with it.
    pub reason: KeyProblemKind,
}

/// Why a key file gave no usable key.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyProblemKind {
    /// The file could not be read.
    #[error("cannot read: {error}")]
    Unreadable {
        /// The I/O error.
        error: Arc<std::io::Error>,
    },
    /// The file is larger than rootaudit reads.
    #[error("larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// The data is not an OpenPGP public key (or one rpgp cannot parse,
    /// e.g. of an algorithm it does not know).
    #[error("not a usable OpenPGP public key: {error}")]
    NotAKey {
        /// Why it did not parse.
        error: CertError,
    },
    /// The file parsed but held no public key.
    #[error("no public key in it")]
    Empty,
}

impl KeyProblemKind {
    fn unreadable(e: std::io::Error) -> KeyProblemKind {
        KeyProblemKind::Unreadable { error: Arc::new(e) }
    }
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
        /// The `pgp` crate's error text (the innermost cause).
        detail: String,
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
    /// files, `README*`, `*.md` and `FINGERPRINTS` are not key files). A folder that cannot
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
            // FINGERPRINTS: the key list a rescue kit's keys/ holds.
            if name.starts_with('.')
                || name.starts_with("README")
                || name.ends_with(".md")
                || name == "FINGERPRINTS"
            {
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
                            reason: KeyProblemKind::unreadable(e),
                        }),
                    }
                }
                Ok(_) => {}
                Err(e) => self.problems.push(KeyProblem {
                    source: path,
                    reason: KeyProblemKind::unreadable(e),
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
        for block in cert::split_armor(bytes) {
            match cert::parse_certs(&block) {
                Ok(certs) => {
                    for c in certs {
                        self.keys.push(cert::evaluate(source, c, now));
                        added += 1;
                    }
                }
                Err(e) => {
                    error.get_or_insert(e);
                }
            }
        }
        if let Some(error) = error {
            self.problems.push(KeyProblem {
                source: source.to_path_buf(),
                reason: KeyProblemKind::NotAKey { error },
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
                match key.verify_data(component, sig, data) {
                    Ok(()) => {
                        return KeyMatch::Valid {
                            key,
                            component,
                            usable: key.usability(component, signed),
                        };
                    }
                    // A key the signature names that does not verify it
                    // makes it bad; trying every key on a signature that
                    // names none proves nothing when they all fail.
                    Err(e) if names_issuer => {
                        first_failure.get_or_insert(KeyMatch::Invalid {
                            key_id: key_id.clone(),
                            detail: super::pgp_text(&e),
                        });
                    }
                    Err(_) => {}
                }
            }
        }
        first_failure.unwrap_or(KeyMatch::NoKey)
    }
}

/// Seconds since the epoch now.
fn now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs().min(u64::from(u32::MAX)) as u32)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testutil::realdata;

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
                k.defect,
                String::from_utf8_lossy(k.user_id.as_deref().unwrap_or_default())
            );
            for s in &k.subkeys {
                eprintln!(
                    "   sub {} {} {} {:?}",
                    s.key_id,
                    s.algorithm,
                    s.status.as_str(),
                    s.defect
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
                k.defect
            );
            for s in &k.subkeys {
                eprintln!(
                    "   sub {} {} {} sign={} {:?} {:?}",
                    s.key_id,
                    s.algorithm,
                    s.status.as_str(),
                    s.signing,
                    s.defect,
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
