//! Evidence of the `headers` check: a package header's digests, signatures
//! and signed region ([`HeaderEvidence`]), and the target's own keys
//! ([`TargetKeyEvidence`]).
//!
//! Every value is raw: key ids and fingerprints as the keyring gives them,
//! tag numbers, times in seconds since the epoch, parser error texts as
//! they were made. The sentences are rendered here.

use serde::Serialize;

use crate::model::finding::put;
use crate::model::{Bytes, Finding};

/// What is wrong with a package header (kinds `header-*`), or with the
/// database record it should have been read from (`header-malformed`).
///
/// Every variant about one header carries the `record` it was read from:
/// a header whose package data did not parse has no package to name.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum HeaderEvidence {
    /// `header-malformed`: a database record could not be parsed as a
    /// package header.
    MalformedRecord {
        /// The record's key.
        record: u64,
        /// The parser's error (raw text).
        error: String,
    },
    /// `header-malformed`: part of a BerkeleyDB or NDB file could not be
    /// read; whatever records were stored there are lost.
    DatabaseDamaged {
        /// The database format's name (`rpm-bdb`, `rpm-ndb`).
        format: String,
        /// Where the damage is.
        site: DamageSite,
        /// What is wrong there (raw text).
        error: String,
    },
    /// `header-malformed`: a dpkg status stanza could not be parsed (the
    /// finding's path is the file it is in).
    StanzaUnparseable {
        /// The stanza's number in the database (from 0).
        record: u64,
        /// The parser's error (raw text).
        error: String,
    },
    /// `header-region-override`: entries after the signed region repeat
    /// tags inside it.
    RegionOverride {
        /// The header's record.
        record: u64,
        /// The repeated tags' numbers.
        tags: Vec<u32>,
    },
    /// `header-digest-bad`: a header digest does not match the signed
    /// region, or cannot be read.
    DigestBad {
        /// The header's record.
        record: u64,
        /// The digests that failed.
        digests: Vec<DigestFault>,
    },
    /// `header-signature-bad`: signatures that do not verify.
    SignatureBad {
        /// The record.
        record: u64,
        /// The first key id a bad signature names.
        #[serde(skip_serializing_if = "Option::is_none")]
        key_id: Option<String>,
        /// Every bad signature.
        signatures: Vec<BadSignature>,
    },
    /// `header-signer-revoked`: signed by a trusted key that was revoked,
    /// or not valid when it signed.
    SignerRevoked {
        /// The record.
        record: u64,
        /// The signing key's id.
        key_id: String,
        /// The certificate's primary fingerprint.
        fingerprint: String,
        /// Why the key was not usable.
        #[serde(flatten)]
        why: Unusable,
    },
    /// `header-signer-untrusted`: signed, but not by a key the trust store
    /// vouches for.
    SignerUntrusted {
        /// The record.
        record: u64,
        /// The signer's key id, when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        key_id: Option<String>,
        /// What is known of the signer.
        #[serde(flatten)]
        signer: UntrustedSigner,
    },
    /// `header-unsigned`: no OpenPGP signature.
    Unsigned {
        /// The record.
        record: u64,
        /// The header has no signed region either.
        no_region: bool,
    },
}

/// Where a BerkeleyDB or NDB file is damaged. Serialised as
/// `{"bucket": N}` or `{"slot": N}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum DamageSite {
    /// A BerkeleyDB hash bucket.
    Bucket {
        /// The bucket.
        bucket: u64,
    },
    /// An NDB slot.
    Slot {
        /// The slot's number.
        slot: u64,
    },
}

impl std::fmt::Display for DamageSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DamageSite::Bucket { bucket } => write!(f, "hash bucket {bucket}"),
            DamageSite::Slot { slot } => write!(f, "slot {slot}"),
        }
    }
}

/// One header digest that failed: it does not match (`expected` and
/// `actual`), or cannot be checked (`error`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DigestFault {
    /// The digest tag's name (`SHA256HEADER`, `SHA1HEADER`).
    pub tag: String,
    /// The digest the header records (raw, as stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// The digest of the signed region (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// Why it could not be checked (raw text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One signature that does not verify.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BadSignature {
    /// Where it was found (`RSAHEADER`, `DSAHEADER`, `OPENPGP[n]`).
    pub source: String,
    /// The issuer's key id, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Why it does not verify (raw text).
    pub reason: String,
}

/// Why a trusted key could not vouch for a signature it made. Times are
/// seconds since the epoch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "unusable", rename_all = "kebab-case")]
pub enum Unusable {
    /// The key was revoked.
    Revoked {
        /// When the revocation was made.
        revoked: u32,
        /// The revocation reason's name, when one is given.
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The key had expired when it signed.
    Expired {
        /// When it expired.
        expired: u32,
        /// When the signature was made.
        signed: u32,
    },
    /// The signature is older than the key.
    Predates {
        /// When the signature was made.
        signed: u32,
    },
}

/// What is known about a signer the trust store does not vouch for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "untrusted", rename_all = "kebab-case")]
pub enum UntrustedSigner {
    /// The signature verifies with a key only the target's own rpm
    /// keyring holds.
    TargetKey {
        /// That key's certificate fingerprint.
        fingerprint: String,
    },
    /// The signature verifies with a store key the store does not vouch
    /// for (a subkey not bound, a key not marked for signing).
    Unbound {
        /// Why (raw text).
        why: String,
    },
    /// No key with the issuer's id, in the store or in the target.
    UnknownKey,
    /// Of an algorithm this build cannot verify.
    Unsupported {
        /// Where the signature was found.
        source: String,
        /// The algorithm's name.
        algorithm: String,
    },
    /// No signature verifies with a trusted key, for no more specific
    /// reason.
    NoTrustedSignature,
}

/// `{nevra}'s header`, or `the header of database record {record}` when the
/// finding names no package.
fn who(f: &Finding, record: u64, out: &mut Vec<u8>) {
    match &f.package {
        Some(p) => {
            out.extend_from_slice(p.nevra().as_bytes());
            out.extend_from_slice(b"'s header");
        }
        None => put(out, format_args!("the header of database record {record}")),
    }
}

impl HeaderEvidence {
    pub(super) fn describe(&self, f: &Finding, out: &mut Vec<u8>) {
        match self {
            HeaderEvidence::MalformedRecord { record, error } => put(
                out,
                format_args!("database record {record} cannot be parsed: {error}"),
            ),
            HeaderEvidence::DatabaseDamaged {
                format,
                site,
                error,
            } => put(
                out,
                format_args!(
                    "{format} database damaged at {site}: {error}; whatever records were \
                     stored there could not be read"
                ),
            ),
            HeaderEvidence::StanzaUnparseable { record, error } => put(
                out,
                format_args!(
                    "dpkg status stanza {record} cannot be parsed ({error}); the files of the \
                     package it describes are not listed"
                ),
            ),
            HeaderEvidence::RegionOverride { record, tags } => {
                who(f, *record, out);
                let names: Vec<String> = tags.iter().map(|&t| tag_name(t)).collect();
                put(
                    out,
                    format_args!(
                        " has entries after its signed region that repeat {}: rpm would read \
                         those unsigned values; rootaudit verifies against the signed ones",
                        names.join(", ")
                    ),
                );
            }
            HeaderEvidence::DigestBad { record, digests } => {
                who(f, *record, out);
                out.extend_from_slice(b" does not match its digest (");
                for (i, d) in digests.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(b"; ");
                    }
                    match (&d.expected, &d.actual) {
                        (Some(expected), Some(actual)) => put(
                            out,
                            format_args!(
                                "{} records {expected}, the region hashes to {actual}",
                                d.tag
                            ),
                        ),
                        _ => put(
                            out,
                            format_args!("{}: {}", d.tag, d.error.as_deref().unwrap_or("")),
                        ),
                    }
                }
                out.extend_from_slice(b"): it was changed after it was built");
            }
            HeaderEvidence::SignatureBad {
                record, signatures, ..
            } => {
                who(f, *record, out);
                out.extend_from_slice(b" signature does not verify (");
                for (i, s) in signatures.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(b"; ");
                    }
                    out.extend_from_slice(s.source.as_bytes());
                    if let Some(k) = &s.key_id {
                        put(out, format_args!(" by key {k}"));
                    }
                    put(out, format_args!(": {}", s.reason));
                }
                out.extend_from_slice(b")");
            }
            HeaderEvidence::SignerRevoked {
                record,
                key_id,
                fingerprint,
                why,
            } => {
                who(f, *record, out);
                put(
                    out,
                    format_args!(
                        " is signed by key {key_id} (certificate {fingerprint}), which was "
                    ),
                );
                match why {
                    Unusable::Revoked { revoked, reason } => {
                        put(out, format_args!("revoked {}", date(*revoked)));
                        if let Some(r) = reason {
                            put(out, format_args!(" ({r})"));
                        }
                    }
                    Unusable::Expired { expired, signed } => put(
                        out,
                        format_args!(
                            "expired {} before it signed on {}",
                            date(*expired),
                            date(*signed)
                        ),
                    ),
                    Unusable::Predates { signed } => put(
                        out,
                        format_args!("the signature ({}) predates the key", date(*signed)),
                    ),
                }
            }
            HeaderEvidence::SignerUntrusted {
                record,
                key_id,
                signer,
            } => {
                who(f, *record, out);
                let key = key_id.as_deref().unwrap_or("(unnamed)");
                match signer {
                    UntrustedSigner::TargetKey { fingerprint } => put(
                        out,
                        format_args!(
                            " is validly signed by key {key} (certificate {fingerprint}), which \
                             only the target's own rpm keyring holds, not the trust store"
                        ),
                    ),
                    UntrustedSigner::Unbound { why } => put(
                        out,
                        format_args!(
                            " is signed by key {key}, which the trust store does not vouch \
                             for: {why}"
                        ),
                    ),
                    UntrustedSigner::UnknownKey => put(
                        out,
                        format_args!(" is signed by key {key}, which is not in the trust store"),
                    ),
                    UntrustedSigner::Unsupported { source, algorithm } => put(
                        out,
                        format_args!(
                            " is signed ({source}) with {algorithm}, which this build cannot \
                             verify"
                        ),
                    ),
                    UntrustedSigner::NoTrustedSignature => {
                        out.extend_from_slice(b" has no trusted signature")
                    }
                }
            }
            HeaderEvidence::Unsigned { record, no_region } => {
                who(f, *record, out);
                out.extend_from_slice(if *no_region {
                    b" has no signed region and no signature: nothing vouches for its contents"
                        .as_slice()
                } else {
                    b" carries no OpenPGP signature: nothing vouches for its contents".as_slice()
                });
            }
        }
    }

    /// The key id a finding names (the signer, or a bad signature's
    /// issuer), when it names one.
    pub fn key_id(&self) -> Option<&str> {
        match self {
            HeaderEvidence::SignatureBad { key_id, .. }
            | HeaderEvidence::SignerUntrusted { key_id, .. } => key_id.as_deref(),
            HeaderEvidence::SignerRevoked { key_id, .. } => Some(key_id),
            _ => None,
        }
    }

    /// The database record the finding is about, when it is about one.
    pub fn record(&self) -> Option<u64> {
        match self {
            HeaderEvidence::MalformedRecord { record, .. }
            | HeaderEvidence::StanzaUnparseable { record, .. }
            | HeaderEvidence::RegionOverride { record, .. }
            | HeaderEvidence::DigestBad { record, .. }
            | HeaderEvidence::SignatureBad { record, .. }
            | HeaderEvidence::SignerRevoked { record, .. }
            | HeaderEvidence::SignerUntrusted { record, .. }
            | HeaderEvidence::Unsigned { record, .. } => Some(*record),
            HeaderEvidence::DatabaseDamaged { .. } => None,
        }
    }
}

/// A key in the target's own rpm database that the trust store lacks
/// (`target-key-untrusted`); the finding's package is the `gpg-pubkey`
/// entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "target_key", rename_all = "kebab-case")]
pub enum TargetKeyEvidence {
    /// The entry holds no key that can be read.
    Unreadable {
        /// The key id the entry's version names (lower-case).
        key_id: String,
    },
    /// A readable key the trust store lacks.
    Untrusted {
        /// The key id (16 lower-case hex digits).
        key_id: String,
        /// The certificate's primary fingerprint.
        fingerprint: String,
        /// The primary key's algorithm.
        algorithm: String,
        /// The first user id (raw).
        #[serde(skip_serializing_if = "Option::is_none")]
        user_id: Option<Bytes>,
        /// How many installed package headers it signed (absent: none).
        #[serde(rename = "count", skip_serializing_if = "Option::is_none")]
        signed: Option<u64>,
    },
}

impl TargetKeyEvidence {
    pub(super) fn describe(&self, f: &Finding, out: &mut Vec<u8>) {
        match self {
            TargetKeyEvidence::Unreadable { key_id } => {
                out.extend_from_slice(b"the target's rpm database holds key entry ");
                match &f.package {
                    Some(p) => out.extend_from_slice(p.nevra().as_bytes()),
                    None => put(out, format_args!("gpg-pubkey-{key_id}")),
                }
                out.extend_from_slice(b" whose key cannot be read; it is not in the trust store");
            }
            TargetKeyEvidence::Untrusted {
                key_id,
                fingerprint,
                algorithm,
                user_id,
                signed,
            } => {
                put(
                    out,
                    format_args!(
                        "the target's rpm database holds key {key_id} ({algorithm} {fingerprint}"
                    ),
                );
                if let Some(u) = user_id {
                    out.extend_from_slice(b" \"");
                    out.extend_from_slice(u.as_bytes());
                    out.extend_from_slice(b"\"");
                }
                out.extend_from_slice(b") that the trust store lacks");
                if let Some(n) = signed.filter(|&n| n > 0) {
                    put(
                        out,
                        format_args!(
                            "; it signed {n} installed package header{}",
                            if n == 1 { "" } else { "s" }
                        ),
                    );
                }
            }
        }
    }

    /// The key id.
    pub fn key_id(&self) -> &str {
        match self {
            TargetKeyEvidence::Unreadable { key_id }
            | TargetKeyEvidence::Untrusted { key_id, .. } => key_id,
        }
    }
}

/// The name of a header tag an override most often targets, with its
/// number (`FILEDIGESTS (1035)`), or `tag N` for any other.
pub fn tag_name(tag: u32) -> String {
    match TAG_NAMES.iter().find(|(t, _)| *t == tag) {
        Some((_, name)) => format!("{name} ({tag})"),
        None => format!("tag {tag}"),
    }
}

/// rpm's numbers of the tags [`tag_name`] names (`RPMTAG_*`).
pub const TAG_NAMES: &[(u32, &str)] = &[
    (1000, "NAME"),
    (1001, "VERSION"),
    (1002, "RELEASE"),
    (1003, "EPOCH"),
    (1022, "ARCH"),
    (1028, "FILESIZES"),
    (1030, "FILEMODES"),
    (1033, "FILERDEVS"),
    (1034, "FILEMTIMES"),
    (1035, "FILEDIGESTS"),
    (1036, "FILELINKTOS"),
    (1037, "FILEFLAGS"),
    (1039, "FILEUSERNAME"),
    (1040, "FILEGROUPNAME"),
    (1045, "FILEVERIFYFLAGS"),
    (1116, "DIRINDEXES"),
    (1117, "BASENAMES"),
    (1118, "DIRNAMES"),
    (5008, "LONGFILESIZES"),
    (5010, "FILECAPS"),
    (5011, "FILEDIGESTALGO"),
];

pub use crate::model::time::date;
