//! [`WaiverError`]: why a waiver file could not be read, trusted or
//! written. Every variant is fatal to a scan given `--waivers` (exit 2):
//! a waiver file that cannot be trusted is never silently ignored.

use std::path::PathBuf;

use crate::sign::SignError;

/// Why a waiver file could not be read, trusted or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaiverError {
    /// The waiver file or its signature could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// There is no `FILE.minisig` beside the waiver file.
    #[error("waiver file {} is not signed: {} is missing", file.display(), signature.display())]
    SignatureMissing {
        /// The waiver file.
        file: PathBuf,
        /// Where its signature should be.
        signature: PathBuf,
    },
    /// The signature does not verify with the given key (another key,
    /// changed data, a changed trusted comment, a malformed `.minisig`).
    #[error("waiver file {} does not verify against key {key_id}: {source}", file.display())]
    Signature {
        /// The waiver file.
        file: PathBuf,
        /// The id of the public key it was checked with.
        key_id: String,
        /// What the check found.
        source: SignError,
    },
    /// The signature verifies, but its trusted comment says it is not a
    /// waiver file (a signed report, say).
    #[error(
        "waiver file {} is signed for another purpose: its trusted comment begins {found:?}, \
         not {expected:?}",
        file.display()
    )]
    Purpose {
        /// The waiver file.
        file: PathBuf,
        /// What the trusted comment must begin with.
        expected: &'static str,
        /// The first word of the trusted comment.
        found: String,
    },
    /// The trusted comment lacks a field or gives a malformed one.
    #[error("waiver file {}: the trusted comment lacks a valid {field}= field", file.display())]
    CommentField {
        /// The waiver file.
        file: PathBuf,
        /// The field's name.
        field: &'static str,
    },
    /// The trusted comment and the file disagree (host, root, written,
    /// sha256).
    #[error(
        "waiver file {}: the trusted comment says {field}={comment}, the file has {file_value}",
        file.display()
    )]
    CommentMismatch {
        /// The waiver file.
        file: PathBuf,
        /// The field's name.
        field: &'static str,
        /// Its value in the trusted comment (as encoded there).
        comment: String,
        /// Its value in the file (encoded the same way).
        file_value: String,
    },
    /// The signed file is not a waiver file this version reads (not JSON,
    /// another `format`, an unknown `version`, unknown fields, a bad id).
    #[error("waiver file {}: {source}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What the parser found.
        source: serde_json::Error,
    },
    /// Signing failed (a comment the format refuses, a random number
    /// generator failure).
    #[error("cannot sign {}: {source}", path.display())]
    Sign {
        /// The file being signed.
        path: PathBuf,
        /// Why.
        source: SignError,
    },
    /// The waiver file or its signature could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}
