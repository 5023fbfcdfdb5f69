//! Which package a finding concerns ([`PackageRef`]) and what the `headers`
//! check concluded about that package's header ([`HeaderVerdict`]).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A package, as findings name it: its record in the database and its
/// name, epoch, version, release and architecture, raw as the database
/// holds them (they come from the target and may hold any character;
/// only the terminal writer escapes).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PackageRef {
    /// The record's key in its database (rpm: header instance).
    pub record: u64,
    /// Name.
    pub name: String,
    /// Epoch, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub epoch: Option<u32>,
    /// Version.
    pub version: String,
    /// Release (empty for a native Debian package).
    pub release: String,
    /// Architecture (absent for `gpg-pubkey`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub arch: Option<String>,
}

/// `name-[epoch:]version-release.arch`, as `rpm -qa` prints it (without
/// the epoch when there is none, like rpm's default `%{nevra}`; without the
/// release when there is none, as for a native Debian package).
pub fn nevra(
    name: &str,
    epoch: Option<u32>,
    version: &str,
    release: &str,
    arch: Option<&str>,
) -> String {
    let mut s = format!("{name}-");
    if let Some(e) = epoch {
        s.push_str(&format!("{e}:"));
    }
    s.push_str(version);
    if !release.is_empty() {
        s.push('-');
        s.push_str(release);
    }
    if let Some(a) = arch {
        s.push('.');
        s.push_str(a);
    }
    s
}

/// `name.arch` (or `name`): a package's identity across updates.
pub fn package_key(name: &str, arch: Option<&str>) -> String {
    match arch {
        Some(a) => format!("{name}.{a}"),
        None => name.to_string(),
    }
}

impl PackageRef {
    /// `name-[epoch:]version-release.arch`, as `rpm -qa` prints it.
    pub fn nevra(&self) -> String {
        nevra(
            &self.name,
            self.epoch,
            &self.version,
            &self.release,
            self.arch.as_deref(),
        )
    }

    /// `name.arch`: the identity that survives an update (what finding ids
    /// are derived from).
    pub fn key(&self) -> String {
        package_key(&self.name, self.arch.as_deref())
    }
}

/// The trust verdict of one header. Closed set, serialised kebab-case;
/// ordered from best to worst (a header gets the worst that applies).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeaderVerdict {
    /// Digests match and a signature verifies with a key of the trust
    /// store that was valid when it signed.
    Trusted,
    /// Signed, but not by a key the trust store holds (or vouches for):
    /// the signer is unknown, only in the target's own keyring, a subkey not
    /// bound to a trusted certificate, or of an algorithm this build cannot
    /// verify.
    UntrustedSigner,
    /// No OpenPGP signature at all (digests, if any, may match).
    Unsigned,
    /// Signed by a trusted key that is revoked, or was expired (or not yet
    /// created) when it signed.
    RevokedSigner,
    /// A header digest does not match the signed region: the header was
    /// changed after it was digested.
    BadDigest,
    /// A signature does not verify with the key it names: the header was
    /// changed after it was signed, or the signature is forged.
    BadSignature,
    /// Entries after the signed region repeat tags inside it: an attempt to
    /// override signed values (rpm 4.18 would read the unsigned ones).
    RegionOverride,
    /// The record could not be parsed as a header at all.
    Malformed,
}

impl HeaderVerdict {
    /// Every verdict, in documentation order.
    pub const ALL: &'static [HeaderVerdict] = &[
        HeaderVerdict::Trusted,
        HeaderVerdict::UntrustedSigner,
        HeaderVerdict::Unsigned,
        HeaderVerdict::RevokedSigner,
        HeaderVerdict::BadDigest,
        HeaderVerdict::BadSignature,
        HeaderVerdict::RegionOverride,
        HeaderVerdict::Malformed,
    ];

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            HeaderVerdict::Trusted => "trusted",
            HeaderVerdict::UntrustedSigner => "untrusted-signer",
            HeaderVerdict::Unsigned => "unsigned",
            HeaderVerdict::RevokedSigner => "revoked-signer",
            HeaderVerdict::BadDigest => "bad-digest",
            HeaderVerdict::BadSignature => "bad-signature",
            HeaderVerdict::RegionOverride => "region-override",
            HeaderVerdict::Malformed => "malformed",
        }
    }
}

impl fmt::Display for HeaderVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
