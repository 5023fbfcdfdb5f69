//! Signatures in minisign's format (Ed25519): key pairs, signing and
//! verifying waiver files and reports. Sits beside the model: it depends on
//! no other stage.
//!
//! The technique is minisign's: Ed25519 signatures over the BLAKE2b-512
//! hash of a file (algorithm `ED`; the legacy `Ed` signs the file itself),
//! plus a second, *global* signature over the first signature and a
//! one-line trusted comment, so the comment cannot be changed either. The
//! source of truth for every byte is minisign's own format description and
//! implementation (`src/minisign.h`, `src/minisign.c` in
//! `jedisct1/minisign`), and libsodium's
//! `crypto_pwhash_scryptsalsa208sha256` for how a password protects the
//! secret key. Files made here verify with stock `minisign -V`, and keys
//! made by stock `minisign -G` load here (the test suite checks both ways).
//!
//! * [`PublicKey`]: `untrusted comment: …` then base64 of `Ed`, the 8-byte
//!   key id and the 32-byte Ed25519 key (or that base64 line alone, as
//!   `minisign -P` takes it).
//! * [`SecretKey`]: base64 of the algorithms (`Ed`, `Sc` or none, `B2`), a
//!   scrypt salt and limits, and key id ‖ 64-byte secret key ‖ BLAKE2b-256
//!   checksum, the last three XORed with the scrypt output when a password
//!   protects the key (the stored limits map to scrypt's N, r, p
//!   as libsodium does).
//! * A signature file (`.minisig`): the untrusted comment, base64 of the
//!   algorithm, key id and signature, `trusted comment: TEXT`, and base64
//!   of the global signature. [`SecretKey::sign`] writes one, [`verify`]
//!   checks one and only then hands back the trusted comment
//!   ([`Verified`]); [`SecretKey::sign_reader`] and [`verify_reader`] do
//!   the same for data read as a stream (a large report), hashing it in
//!   one fixed buffer.
//! * [`comment`]: what rootaudit writes in a trusted comment: a purpose,
//!   then `key=value` fields whose values are percent-encoded so that no
//!   byte of a host or root name can forge a field
//!   ([`comment::encode`]); [`ReportComment`] is a signed report's.
//!
//! Example:
//!
//! ```
//! use rootaudit::sign::{SecretKey, verify};
//! let sk = SecretKey::generate()?;
//! let pk = sk.public_key();
//! let sig = sk.sign(b"report", "signature from rootaudit", "scan of /mnt")?;
//! let ok = verify(&pk, b"report", &sig)?;
//! assert_eq!(ok.trusted_comment, "scan of /mnt");
//! assert_eq!(ok.key_id, pk.key_id());
//! # Ok::<(), rootaudit::sign::SignError>(())
//! ```

use std::fmt;
use std::path::PathBuf;

pub mod comment;
mod kdf;
mod key;
mod signature;
mod text;

pub use comment::{REPORT_PURPOSE, ReportComment};
pub use key::{PublicKey, SecretKey};
pub use signature::{Verified, verify, verify_reader};

/// The longest untrusted comment, in bytes, that stock minisign reads back
/// (its line buffer is 1024 bytes, prefix and newline included).
pub const MAX_UNTRUSTED_COMMENT: usize = 1003;

/// The longest trusted comment, in bytes, that stock minisign signs and
/// reads back.
pub const MAX_TRUSTED_COMMENT: usize = 8173;

/// A part of a key or signature file, as named in [`SignError`]s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Element {
    /// The `untrusted comment: ` line (missing, or without its prefix).
    UntrustedComment,
    /// The public key's base64 line (not base64, or not 42 bytes).
    PublicKey,
    /// The secret key's base64 line (not base64, or not 158 bytes).
    SecretKey,
    /// An unencrypted secret key whose checksum does not match, or whose
    /// Ed25519 halves do not belong together.
    SecretKeyContent,
    /// The signature's base64 line (not base64, or not 74 bytes).
    Signature,
    /// The `trusted comment: ` line (missing, without its prefix, or with
    /// characters minisign refuses).
    TrustedComment,
    /// The global signature's base64 line (not base64, or not 64 bytes).
    GlobalSignature,
    /// More lines after the last one the format has.
    TrailingData,
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Element::UntrustedComment => "untrusted comment line",
            Element::PublicKey => "public key",
            Element::SecretKey => "secret key",
            Element::SecretKeyContent => "secret key content (checksum or key pair mismatch)",
            Element::Signature => "signature line",
            Element::TrustedComment => "trusted comment line",
            Element::GlobalSignature => "global signature line",
            Element::TrailingData => "file: unexpected lines after the end",
        })
    }
}

/// Which algorithm field of a key or signature holds an unknown value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AlgorithmField {
    /// The signature algorithm (`Ed` in keys; `ED` or `Ed` in signatures).
    Signature,
    /// The secret key's key derivation (`Sc`, or two zero bytes).
    KeyDerivation,
    /// The secret key's checksum (`B2`).
    Checksum,
}

impl fmt::Display for AlgorithmField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AlgorithmField::Signature => "signature",
            AlgorithmField::KeyDerivation => "key derivation",
            AlgorithmField::Checksum => "checksum",
        })
    }
}

/// Which comment [`SignError::Comment`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommentKind {
    /// The `untrusted comment: ` line.
    Untrusted,
    /// The signed `trusted comment: ` line.
    Trusted,
}

impl fmt::Display for CommentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CommentKind::Untrusted => "untrusted",
            CommentKind::Trusted => "trusted",
        })
    }
}

/// Why a comment cannot be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommentProblem {
    /// It holds a line feed or carriage return (comments are one line).
    LineBreak,
    /// It holds another control character, which minisign refuses.
    ControlCharacter,
    /// It is longer than minisign reads back.
    TooLong {
        /// The limit in bytes.
        max: usize,
    },
}

impl fmt::Display for CommentProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommentProblem::LineBreak => f.write_str("it must be a single line"),
            CommentProblem::ControlCharacter => f.write_str("it holds a control character"),
            CommentProblem::TooLong { max } => write!(f, "it is longer than {max} bytes"),
        }
    }
}

/// Why a key or signature could not be read, made or checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// A file is not in minisign's format.
    #[error("malformed {what}")]
    Malformed {
        /// The part that is wrong.
        what: Element,
    },
    /// The signature was made by another key than the one given.
    #[error("signature made by key {found}, but the public key is {expected}")]
    WrongKey {
        /// The public key's id (16 upper-case hex digits).
        expected: String,
        /// The id the signature names.
        found: String,
    },
    /// The signature does not match the data (changed data or signature).
    #[error("signature verification failed")]
    BadSignature,
    /// The global signature does not cover the signature and trusted
    /// comment (a changed trusted comment).
    #[error("trusted comment signature verification failed")]
    BadGlobalSignature,
    /// The secret key is encrypted and no password was given.
    #[error("the secret key is encrypted: a password is needed")]
    PasswordNeeded,
    /// The decrypted secret key's checksum does not match.
    #[error("wrong password for that secret key")]
    WrongPassword,
    /// An algorithm field holds a value this reader does not know.
    #[error("unsupported {field} algorithm {found:02x?}")]
    UnsupportedAlgorithm {
        /// The field.
        field: AlgorithmField,
        /// Its two bytes.
        found: [u8; 2],
    },
    /// The stored scrypt limits ask for more work or memory than any key
    /// minisign makes (refused rather than run).
    #[error("unreasonable scrypt limits in secret key (opslimit {opslimit}, memlimit {memlimit})")]
    KdfLimits {
        /// The stored operations limit.
        opslimit: u64,
        /// The stored memory limit, in bytes.
        memlimit: u64,
    },
    /// A comment to be written breaks the format.
    #[error("{which} comment refused: {problem}")]
    Comment {
        /// Which comment.
        which: CommentKind,
        /// What is wrong with it.
        problem: CommentProblem,
    },
    /// A key file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The system's random number generator failed.
    #[error("random number generator: {0}")]
    Random(getrandom::Error),
    /// The data to sign or verify could not be read
    /// ([`SecretKey::sign_reader`], [`verify_reader`]).
    #[error("reading the signed data: {0}")]
    Read(#[source] std::io::Error),
    /// A verified trusted comment is not of the purpose expected (a waiver
    /// file's signature offered for a report, a plain minisign comment).
    #[error("the trusted comment is not a {expected} comment (it begins {found:?})")]
    Purpose {
        /// The purpose expected.
        expected: &'static str,
        /// The first word found (at most 64 characters).
        found: String,
    },
    /// A field of a trusted comment is missing, repeated or malformed.
    #[error("trusted comment: field {field} is missing, repeated or malformed")]
    CommentField {
        /// The field's name.
        field: &'static str,
    },
}
