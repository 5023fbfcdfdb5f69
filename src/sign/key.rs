//! minisign key files: [`PublicKey`] (`Ed` ‖ key id ‖ Ed25519 public key)
//! and [`SecretKey`] (algorithms, scrypt salt and limits, then key id ‖
//! Ed25519 secret key ‖ BLAKE2b-256 checksum, encrypted or not).

use std::fmt;
use std::path::Path;

use blake2::Digest as _;
use ed25519_dalek::{SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use super::kdf::{self, Limits};
use super::text::{self, UNTRUSTED_PREFIX};
use super::{AlgorithmField, CommentKind, Element, MAX_UNTRUSTED_COMMENT, SignError};

/// The signature algorithm every minisign key names.
pub(super) const SIG_ALG: [u8; 2] = *b"Ed";
/// Key derivation: scrypt (an encrypted secret key).
const KDF_SCRYPT: [u8; 2] = *b"Sc";
/// Key derivation: none (an unencrypted secret key, `minisign -W`).
const KDF_NONE: [u8; 2] = [0, 0];
/// Checksum: BLAKE2b-256.
const CHK_BLAKE2B: [u8; 2] = *b"B2";

/// Length of a key id.
pub(super) const KEYNUM_LEN: usize = 8;
/// `Ed` ‖ key id ‖ public key.
const PUBLIC_LEN: usize = 2 + KEYNUM_LEN + 32;

// The secret key structure, field by field.
const SK_KDF_ALG: std::ops::Range<usize> = 2..4;
const SK_CHK_ALG: std::ops::Range<usize> = 4..6;
const SK_SALT: std::ops::Range<usize> = 6..38;
const SK_OPSLIMIT: std::ops::Range<usize> = 38..46;
const SK_MEMLIMIT: std::ops::Range<usize> = 46..54;
/// Key id ‖ secret key ‖ checksum: what the password encrypts.
const SK_KEYNUM_SK: std::ops::Range<usize> = 54..158;
const SK_KEYNUM: std::ops::Range<usize> = 54..62;
const SK_SECRET: std::ops::Range<usize> = 62..126;
const SK_CHK: std::ops::Range<usize> = 126..158;
const SECRET_LEN: usize = 158;

/// The hex form minisign prints a key id in: the 8 bytes read as a
/// little-endian number in upper-case hex without zero padding (minisign's
/// `%PRIX64`), so an id compares equal to the one minisign's files show.
pub(super) fn key_id_text(keynum: &[u8; KEYNUM_LEN]) -> String {
    format!("{:X}", u64::from_le_bytes(*keynum))
}

/// A minisign public key: its key id and Ed25519 key.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub(super) keynum: [u8; KEYNUM_LEN],
    pub(super) key: VerifyingKey,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("key_id", &self.key_id())
            .field("base64", &self.to_base64())
            .finish()
    }
}

impl PublicKey {
    /// Read a public key: a `.pub` file's content (`untrusted comment:`
    /// line, then the base64 line), or the base64 line alone (the form
    /// `minisign -P` takes).
    pub fn parse(text: &str) -> Result<PublicKey, SignError> {
        let b64 = match text::lines(text).as_slice() {
            [] => {
                return Err(SignError::Malformed {
                    what: Element::PublicKey,
                });
            }
            [line] => *line,
            [comment, line] => {
                text::untrusted_comment(comment)?;
                *line
            }
            _ => {
                return Err(SignError::Malformed {
                    what: Element::TrailingData,
                });
            }
        };
        let raw: [u8; PUBLIC_LEN] = text::decode(b64, Element::PublicKey)?;
        let (alg, rest) = raw.split_at(2);
        if alg != SIG_ALG {
            return Err(SignError::UnsupportedAlgorithm {
                field: AlgorithmField::Signature,
                found: [alg[0], alg[1]],
            });
        }
        let (keynum, key) = rest.split_at(KEYNUM_LEN);
        let malformed = || SignError::Malformed {
            what: Element::PublicKey,
        };
        Ok(PublicKey {
            keynum: keynum.try_into().map_err(|_| malformed())?,
            key: key
                .try_into()
                .ok()
                .and_then(|k| VerifyingKey::from_bytes(k).ok())
                .ok_or_else(malformed)?,
        })
    }

    /// Read a public key file (see [`PublicKey::parse`]).
    pub fn load(path: &Path) -> Result<PublicKey, SignError> {
        PublicKey::parse(&read_text(path)?)
    }

    /// The key id as minisign prints it: 16 upper-case hex digits.
    pub fn key_id(&self) -> String {
        key_id_text(&self.keynum)
    }

    /// The base64 line alone (what `minisign -P` takes).
    pub fn to_base64(&self) -> String {
        let mut raw = Vec::with_capacity(PUBLIC_LEN);
        raw.extend_from_slice(&SIG_ALG);
        raw.extend_from_slice(&self.keynum);
        raw.extend_from_slice(self.key.as_bytes());
        text::encode(&raw)
    }

    /// The `.pub` file's content. The comment is made safe to write:
    /// control characters (line breaks included) become spaces, and it is
    /// cut to what minisign reads back.
    pub fn to_file_text(&self, untrusted_comment: &str) -> String {
        format!(
            "{UNTRUSTED_PREFIX}{}\n{}\n",
            one_line(untrusted_comment),
            self.to_base64()
        )
    }
}

/// `comment` with control characters as spaces, cut (at a character
/// boundary) to [`MAX_UNTRUSTED_COMMENT`] bytes.
fn one_line(comment: &str) -> String {
    let mut out = String::with_capacity(comment.len().min(MAX_UNTRUSTED_COMMENT));
    for c in comment.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if out.len() + c.len_utf8() > MAX_UNTRUSTED_COMMENT {
            break;
        }
        out.push(c);
    }
    out
}

/// A minisign secret key: its key id and Ed25519 signing key (wiped from
/// memory when dropped). `Debug` shows only the key id.
pub struct SecretKey {
    pub(super) keynum: [u8; KEYNUM_LEN],
    pub(super) key: SigningKey,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKey")
            .field("key_id", &key_id_text(&self.keynum))
            .finish_non_exhaustive()
    }
}

impl SecretKey {
    /// Read a secret key file's content. An encrypted key needs
    /// `password` ([`SignError::PasswordNeeded`] without one,
    /// [`SignError::WrongPassword`] when its checksum does not match after
    /// decryption); an unencrypted one ignores it.
    pub fn parse(text: &str, password: Option<&[u8]>) -> Result<SecretKey, SignError> {
        let mut raw = secret_struct(text)?;
        let encrypted = raw[SK_KDF_ALG] == KDF_SCRYPT;
        if encrypted {
            let password = password.ok_or(SignError::PasswordNeeded)?;
            let limits = Limits::from_le(
                array(&raw[SK_OPSLIMIT]).ok_or_else(malformed_secret)?,
                array(&raw[SK_MEMLIMIT]).ok_or_else(malformed_secret)?,
            );
            let mut stream = Zeroizing::new([0u8; SK_KEYNUM_SK.end - SK_KEYNUM_SK.start]);
            kdf::derive(password, &raw[SK_SALT], limits, stream.as_mut_slice())?;
            xor(&mut raw[SK_KEYNUM_SK], stream.as_slice());
        }
        let keynum: [u8; KEYNUM_LEN] = array(&raw[SK_KEYNUM]).ok_or_else(malformed_secret)?;
        let secret: Zeroizing<[u8; 64]> =
            Zeroizing::new(array(&raw[SK_SECRET]).ok_or_else(malformed_secret)?);
        let chk = checksum(&keynum, &secret);
        // `minisign -G -W` leaves an unencrypted key's checksum all zero
        // (it computes one only when encrypting); the key pair check below
        // still catches a damaged key then.
        let unchecked = !encrypted && raw[SK_CHK].iter().all(|b| *b == 0);
        if !unchecked && !same(&chk, &raw[SK_CHK]) {
            return Err(if encrypted {
                SignError::WrongPassword
            } else {
                SignError::Malformed {
                    what: Element::SecretKeyContent,
                }
            });
        }
        let key = SigningKey::from_keypair_bytes(&secret).map_err(|_| SignError::Malformed {
            what: Element::SecretKeyContent,
        })?;
        Ok(SecretKey { keynum, key })
    }

    /// Whether a secret key file's content is encrypted with a password
    /// (checks the whole structure, not only the flag).
    pub fn is_encrypted_text(text: &str) -> Result<bool, SignError> {
        Ok(secret_struct(text)?[SK_KDF_ALG] == KDF_SCRYPT)
    }

    /// Read a secret key file (see [`SecretKey::parse`]).
    pub fn load(path: &Path, password: Option<&[u8]>) -> Result<SecretKey, SignError> {
        let text = Zeroizing::new(read_text(path)?);
        SecretKey::parse(&text, password)
    }

    /// A new key pair with a random key id, from the system's random
    /// number generator.
    pub fn generate() -> Result<SecretKey, SignError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut_slice()).map_err(SignError::Random)?;
        let mut keynum = [0u8; KEYNUM_LEN];
        getrandom::fill(&mut keynum).map_err(SignError::Random)?;
        Ok(SecretKey {
            keynum,
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            keynum: self.keynum,
            key: self.key.verifying_key(),
        }
    }

    /// The key id as minisign prints it: 16 upper-case hex digits.
    pub fn key_id(&self) -> String {
        key_id_text(&self.keynum)
    }

    /// The secret key file's content: encrypted with `password` under
    /// minisign's default scrypt limits (1 GiB, a few seconds), or
    /// unencrypted with `None`, as `minisign -G -W` writes it (but with
    /// the checksum filled in, which minisign leaves zero there).
    pub fn to_file_text(
        &self,
        password: Option<&[u8]>,
        untrusted_comment: &str,
    ) -> Result<String, SignError> {
        self.to_file_text_with(password, untrusted_comment, Limits::SENSITIVE)
    }

    /// [`SecretKey::to_file_text`] with chosen scrypt limits.
    pub(super) fn to_file_text_with(
        &self,
        password: Option<&[u8]>,
        untrusted_comment: &str,
        limits: Limits,
    ) -> Result<String, SignError> {
        text::check_comment(CommentKind::Untrusted, untrusted_comment)?;
        let mut raw = Zeroizing::new([0u8; SECRET_LEN]);
        raw[..2].copy_from_slice(&SIG_ALG);
        raw[SK_CHK_ALG].copy_from_slice(&CHK_BLAKE2B);
        raw[SK_KEYNUM].copy_from_slice(&self.keynum);
        let secret = Zeroizing::new(self.key.to_keypair_bytes());
        raw[SK_SECRET].copy_from_slice(secret.as_slice());
        raw[SK_CHK].copy_from_slice(&checksum(&self.keynum, &secret));
        match password {
            None => raw[SK_KDF_ALG].copy_from_slice(&KDF_NONE),
            Some(password) => {
                raw[SK_KDF_ALG].copy_from_slice(&KDF_SCRYPT);
                getrandom::fill(&mut raw[SK_SALT]).map_err(SignError::Random)?;
                raw[SK_OPSLIMIT].copy_from_slice(&limits.opslimit.to_le_bytes());
                raw[SK_MEMLIMIT].copy_from_slice(&limits.memlimit.to_le_bytes());
                let mut stream = Zeroizing::new([0u8; SK_KEYNUM_SK.end - SK_KEYNUM_SK.start]);
                kdf::derive(password, &raw[SK_SALT], limits, stream.as_mut_slice())?;
                xor(&mut raw[SK_KEYNUM_SK], stream.as_slice());
            }
        }
        Ok(format!(
            "{UNTRUSTED_PREFIX}{untrusted_comment}\n{}\n",
            text::encode(raw.as_slice())
        ))
    }
}

/// The decoded secret key structure, its algorithm fields checked.
fn secret_struct(text: &str) -> Result<Zeroizing<[u8; SECRET_LEN]>, SignError> {
    let b64 = match text::lines(text).as_slice() {
        [] => {
            return Err(SignError::Malformed {
                what: Element::UntrustedComment,
            });
        }
        [_] => return Err(malformed_secret()),
        [comment, line] => {
            text::untrusted_comment(comment)?;
            *line
        }
        _ => {
            return Err(SignError::Malformed {
                what: Element::TrailingData,
            });
        }
    };
    let raw = Zeroizing::new(text::decode::<SECRET_LEN>(b64, Element::SecretKey)?);
    let field = |range: std::ops::Range<usize>| [raw[range.start], raw[range.start + 1]];
    let unsupported = |field, found| SignError::UnsupportedAlgorithm { field, found };
    if field(0..2) != SIG_ALG {
        return Err(unsupported(AlgorithmField::Signature, field(0..2)));
    }
    if field(SK_CHK_ALG) != CHK_BLAKE2B {
        return Err(unsupported(AlgorithmField::Checksum, field(SK_CHK_ALG)));
    }
    let kdf = field(SK_KDF_ALG);
    if kdf != KDF_SCRYPT && kdf != KDF_NONE {
        return Err(unsupported(AlgorithmField::KeyDerivation, kdf));
    }
    Ok(raw)
}

fn malformed_secret() -> SignError {
    SignError::Malformed {
        what: Element::SecretKey,
    }
}

/// BLAKE2b-256 of the signature algorithm, key id and secret key: what a
/// secret key file stores to tell a right password from a wrong one.
fn checksum(keynum: &[u8; KEYNUM_LEN], secret: &[u8; 64]) -> [u8; 32] {
    let mut h = blake2::Blake2b256::new();
    h.update(SIG_ALG);
    h.update(keynum);
    h.update(secret);
    h.finalize().into()
}

/// A slice as an array of known length (`None` if it is not).
fn array<const N: usize>(s: &[u8]) -> Option<[u8; N]> {
    s.try_into().ok()
}

fn xor(data: &mut [u8], stream: &[u8]) {
    for (d, s) in data.iter_mut().zip(stream) {
        *d ^= s;
    }
}

/// Equality without an early exit.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn read_text(path: &Path) -> Result<String, SignError> {
    std::fs::read_to_string(path).map_err(|source| SignError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast_encrypted(sk: &SecretKey, password: &[u8]) -> String {
        sk.to_file_text_with(Some(password), "test key", Limits::MIN)
            .unwrap()
    }

    #[test]
    fn public_key_round_trips_in_both_forms() {
        let sk = SecretKey::generate().unwrap();
        let pk = sk.public_key();
        let file = pk.to_file_text("minisign public key");
        assert!(file.starts_with("untrusted comment: minisign public key\n"));
        assert_eq!(PublicKey::parse(&file).unwrap(), pk);
        assert_eq!(PublicKey::parse(&pk.to_base64()).unwrap(), pk);
        assert_eq!(PublicKey::parse(&file.replace('\n', "\r\n")).unwrap(), pk);
        // Up to 16 digits: minisign does not print leading zeros (one key
        // in 16 has fewer).
        let id = pk.key_id();
        assert!(
            (1..=16).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
        assert_eq!(id, sk.key_id());
    }

    #[test]
    fn key_id_is_the_little_endian_number() {
        // `Ed`, key id 01..08, then a valid key (the base point's encoding).
        let mut raw = b"Ed".to_vec();
        raw.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        raw.extend_from_slice(SecretKey::generate().unwrap().public_key().key.as_bytes());
        let pk = PublicKey::parse(&text::encode(&raw)).unwrap();
        // minisign prints `%PRIX64`: the leading zero is not written.
        assert_eq!(pk.key_id(), "807060504030201");
    }

    #[test]
    fn key_id_with_a_high_nibble_has_sixteen_digits() {
        let mut raw = b"Ed".to_vec();
        raw.extend_from_slice(&0xF123_4567_89AB_CDE0u64.to_le_bytes());
        raw.extend_from_slice(SecretKey::generate().unwrap().public_key().key.as_bytes());
        let pk = PublicKey::parse(&text::encode(&raw)).unwrap();
        assert_eq!(pk.key_id(), "F123456789ABCDE0");
    }

    #[test]
    fn public_key_comment_is_forced_onto_one_line() {
        let pk = SecretKey::generate().unwrap().public_key();
        let file = pk.to_file_text("two\nlines\r");
        assert_eq!(file.lines().count(), 2);
        assert_eq!(PublicKey::parse(&file).unwrap(), pk);
    }

    #[test]
    fn malformed_public_keys_are_typed() {
        let pk = SecretKey::generate().unwrap().public_key();
        let b64 = pk.to_base64();
        let cases = [
            ("".to_string(), Element::PublicKey),
            (format!("comment\n{b64}\n"), Element::UntrustedComment),
            (
                format!("untrusted comment: x\n{b64}\nmore\n"),
                Element::TrailingData,
            ),
            (
                "untrusted comment: x\n!!!\n".to_string(),
                Element::PublicKey,
            ),
            (b64[..40].to_string(), Element::PublicKey),
        ];
        for (text, what) in cases {
            match PublicKey::parse(&text) {
                Err(SignError::Malformed { what: w }) => assert_eq!(w, what, "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
        let mut raw = b"Xy".to_vec();
        raw.extend_from_slice(&[0; 40]);
        assert!(matches!(
            PublicKey::parse(&text::encode(&raw)),
            Err(SignError::UnsupportedAlgorithm {
                field: AlgorithmField::Signature,
                found: [b'X', b'y'],
            })
        ));
    }

    #[test]
    fn unencrypted_secret_key_round_trips() {
        let sk = SecretKey::generate().unwrap();
        let file = sk.to_file_text(None, "unencrypted").unwrap();
        assert!(!SecretKey::is_encrypted_text(&file).unwrap());
        let back = SecretKey::parse(&file, None).unwrap();
        assert_eq!(back.public_key(), sk.public_key());
        // A password given for an unencrypted key is not needed.
        let back = SecretKey::parse(&file, Some(b"ignored")).unwrap();
        assert_eq!(back.key.to_bytes(), sk.key.to_bytes());
        // The layout `minisign -G -W` writes: no kdf, zero salt and limits.
        let raw: [u8; SECRET_LEN] =
            text::decode(file.lines().nth(1).unwrap(), Element::SecretKey).unwrap();
        assert_eq!(&raw[..6], b"Ed\0\0B2");
        assert!(raw[SK_SALT.start..SK_MEMLIMIT.end].iter().all(|b| *b == 0));
    }

    #[test]
    fn encrypted_secret_key_round_trips_with_its_password() {
        let sk = SecretKey::generate().unwrap();
        let file = fast_encrypted(&sk, b"correct horse");
        assert!(SecretKey::is_encrypted_text(&file).unwrap());
        let back = SecretKey::parse(&file, Some(b"correct horse")).unwrap();
        assert_eq!(back.key.to_bytes(), sk.key.to_bytes());
        assert_eq!(back.key_id(), sk.key_id());
    }

    #[test]
    fn encrypted_secret_key_needs_the_right_password() {
        let sk = SecretKey::generate().unwrap();
        let file = fast_encrypted(&sk, b"correct horse");
        assert!(matches!(
            SecretKey::parse(&file, None),
            Err(SignError::PasswordNeeded)
        ));
        assert!(matches!(
            SecretKey::parse(&file, Some(b"wrong horse")),
            Err(SignError::WrongPassword)
        ));
        assert!(matches!(
            SecretKey::parse(&file, Some(b"")),
            Err(SignError::WrongPassword)
        ));
    }

    #[test]
    fn changed_unencrypted_secret_key_fails_its_checksum() {
        let sk = SecretKey::generate().unwrap();
        let file = sk.to_file_text(None, "c").unwrap();
        let mut raw: [u8; SECRET_LEN] =
            text::decode(file.lines().nth(1).unwrap(), Element::SecretKey).unwrap();
        raw[SK_SECRET.start] ^= 1;
        let changed = format!("untrusted comment: c\n{}\n", text::encode(&raw));
        assert!(matches!(
            SecretKey::parse(&changed, None),
            Err(SignError::Malformed {
                what: Element::SecretKeyContent
            })
        ));
        // Without a checksum (as `minisign -G -W` writes it), the key pair
        // must still hold together.
        raw[SK_CHK].fill(0);
        let changed = format!("untrusted comment: c\n{}\n", text::encode(&raw));
        assert!(matches!(
            SecretKey::parse(&changed, None),
            Err(SignError::Malformed {
                what: Element::SecretKeyContent
            })
        ));
        raw[SK_SECRET.start] ^= 1;
        let unchecked = format!("untrusted comment: c\n{}\n", text::encode(&raw));
        let back = SecretKey::parse(&unchecked, None).unwrap();
        assert_eq!(back.public_key(), sk.public_key());
        // An unknown key derivation is refused, not guessed at.
        raw[SK_KDF_ALG].copy_from_slice(b"Ar");
        let changed = format!("untrusted comment: c\n{}\n", text::encode(&raw));
        assert!(matches!(
            SecretKey::is_encrypted_text(&changed),
            Err(SignError::UnsupportedAlgorithm {
                field: AlgorithmField::KeyDerivation,
                ..
            })
        ));
    }

    #[test]
    fn secret_key_debug_shows_only_the_key_id() {
        let sk = SecretKey::generate().unwrap();
        let shown = format!("{sk:?}");
        assert!(shown.contains(&sk.key_id()));
        assert!(!shown.contains(&hex::encode(sk.key.to_bytes())));
        assert!(!shown.contains(&format!("{:?}", sk.key.to_bytes())));
    }

    #[test]
    fn secret_key_comment_must_be_one_line() {
        let sk = SecretKey::generate().unwrap();
        assert!(matches!(
            sk.to_file_text(None, "a\nb"),
            Err(SignError::Comment {
                which: CommentKind::Untrusted,
                ..
            })
        ));
    }
}
