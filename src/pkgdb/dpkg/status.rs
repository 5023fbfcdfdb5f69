//! dpkg status stanzas (package database stage): `var/lib/dpkg/status` and
//! distroless `status.d/*` files, parsed with the `deb822-fast` crate into
//! [`StatusEntry`]s.
//!
//! The file is split into stanzas at empty lines first, and each stanza is
//! parsed on its own, so one garbled stanza is one [`StanzaError`] and not
//! the loss of the whole database. dpkg's files are bytes, not necessarily
//! UTF-8 (old packages have Latin-1 descriptions, and a path may be any
//! bytes), so each stanza is handed to the parser with every byte mapped to
//! the `char` of the same value and mapped back afterwards: deb822 syntax
//! is all ASCII, so the parser splits exactly where it would on the bytes,
//! and paths come back byte for byte.
//!
//! ```
//! use rootaudit::pkgdb::dpkg::status::{parse, PackageState};
//! let text = b"Package: dash\nStatus: install ok installed\nVersion: 0.5.12-2\n\
//!              Architecture: amd64\nConffiles:\n /etc/dash.conf 0123456789abcdef0123456789abcdef\n";
//! let stanzas = parse(text, 0);
//! let dash = stanzas[0].as_ref().unwrap();
//! assert_eq!(dash.name, "dash");
//! assert_eq!(dash.state, Some(PackageState::Installed));
//! assert_eq!(dash.conffiles[0].path, b"/etc/dash.conf");
//! ```

use std::fmt;

/// The install state of a package: the third word of its `Status:` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PackageState {
    /// `not-installed`: no files.
    NotInstalled,
    /// `config-files`: removed; only its conffiles remain.
    ConfigFiles,
    /// `half-installed`: an unpack or removal was interrupted; some files
    /// may be missing or old.
    HalfInstalled,
    /// `unpacked`: all files are in place, not yet configured.
    Unpacked,
    /// `half-configured`: all files are in place, configuration failed.
    HalfConfigured,
    /// `triggers-awaited`: installed, waiting for another package's trigger.
    TriggersAwaited,
    /// `triggers-pending`: installed, a trigger is pending.
    TriggersPending,
    /// `installed`.
    Installed,
}

impl PackageState {
    /// Parse dpkg's spelling.
    pub fn parse(s: &str) -> Option<PackageState> {
        Some(match s {
            "not-installed" => PackageState::NotInstalled,
            "config-files" => PackageState::ConfigFiles,
            "half-installed" => PackageState::HalfInstalled,
            "unpacked" => PackageState::Unpacked,
            "half-configured" => PackageState::HalfConfigured,
            "triggers-awaited" => PackageState::TriggersAwaited,
            "triggers-pending" => PackageState::TriggersPending,
            "installed" => PackageState::Installed,
            _ => return None,
        })
    }

    /// dpkg's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PackageState::NotInstalled => "not-installed",
            PackageState::ConfigFiles => "config-files",
            PackageState::HalfInstalled => "half-installed",
            PackageState::Unpacked => "unpacked",
            PackageState::HalfConfigured => "half-configured",
            PackageState::TriggersAwaited => "triggers-awaited",
            PackageState::TriggersPending => "triggers-pending",
            PackageState::Installed => "installed",
        }
    }

    /// True when dpkg guarantees that every file of the package has been
    /// unpacked: `unpacked` and every later state. These packages are
    /// verified. (`debsums` checks only `installed` and `half-configured`;
    /// rootaudit also checks `unpacked` and the trigger states, whose files
    /// are just as complete.)
    pub fn files_unpacked(self) -> bool {
        matches!(
            self,
            PackageState::Unpacked
                | PackageState::HalfConfigured
                | PackageState::TriggersAwaited
                | PackageState::TriggersPending
                | PackageState::Installed
        )
    }
}

impl fmt::Display for PackageState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The recorded digest of a conffile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConffileDigest {
    /// An MD5 digest.
    Md5([u8; 16]),
    /// dpkg's `newconffile` placeholder: the package is unpacked but not
    /// configured, and the new conffile still waits at `PATH.dpkg-new`.
    NotYetInstalled,
    /// Anything else (not 32 hex digits).
    Invalid,
}

/// One line of a `Conffiles:` field: `PATH HASH [obsolete] [remove-on-upgrade]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conffile {
    /// Absolute path, raw bytes.
    pub path: Vec<u8>,
    /// The digest dpkg recorded when it installed the file.
    pub digest: ConffileDigest,
    /// The current version of the package no longer ships this conffile;
    /// dpkg leaves it in place.
    pub obsolete: bool,
    /// dpkg removes the file on the next upgrade (dpkg ≥ 1.20.6).
    pub remove_on_upgrade: bool,
}

/// A Debian version `[epoch:]upstream[-revision]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebVersion {
    /// Epoch, when given.
    pub epoch: Option<u32>,
    /// Upstream version.
    pub upstream: String,
    /// Debian revision; empty for native packages.
    pub revision: String,
}

impl DebVersion {
    /// Split a version string. `None` when it is empty, its epoch is not a
    /// number, or it holds a character Debian versions cannot (only
    /// alphanumerics and `. + ~ - :` are allowed, which also keeps it safe
    /// to print).
    pub fn parse(s: &str) -> Option<DebVersion> {
        let s = s.trim();
        if !s
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b".+~-:".contains(&c))
        {
            return None;
        }
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) => (Some(e.parse::<u32>().ok()?), rest),
            None => (None, s),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((u, r)) => (u, r),
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return None;
        }
        Some(DebVersion {
            epoch,
            upstream: upstream.to_owned(),
            revision: revision.to_owned(),
        })
    }
}

/// One package stanza.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusEntry {
    /// Position of the stanza among all stanzas read (the record key).
    pub record: u64,
    /// `Package:`.
    pub name: String,
    /// `Version:`; `None` for a package that is not installed and records
    /// none.
    pub version: Option<DebVersion>,
    /// `Architecture:`.
    pub arch: Option<String>,
    /// `Multi-Arch: same`: dpkg names its info files `NAME:ARCH.*`.
    pub multi_arch_same: bool,
    /// The state word of `Status:`; `None` when the stanza has no `Status:`
    /// field (distroless `status.d` stanzas, which are all installed).
    pub state: Option<PackageState>,
    /// `Conffiles:` entries.
    pub conffiles: Vec<Conffile>,
    /// `Conffiles:` lines that could not be parsed (raw bytes).
    pub bad_conffiles: Vec<Vec<u8>>,
}

impl StatusEntry {
    /// True when the package's files are on disk and are to be verified.
    /// A stanza without `Status:` (distroless) counts as installed.
    pub fn is_installed(&self) -> bool {
        self.state.is_none_or(PackageState::files_unpacked)
    }
}

/// Why a stanza could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StanzaError {
    /// The deb822 parser refused the stanza (a line that is neither a
    /// field nor a continuation).
    #[error("not a deb822 stanza: {0}")]
    Syntax(String),
    /// A required field is absent.
    #[error("no {0} field")]
    MissingField(&'static str),
    /// `Package:` is not a valid dpkg package name.
    #[error("invalid package name {0:?}")]
    BadName(String),
    /// `Architecture:` is not a valid architecture name.
    #[error("invalid architecture {0:?}")]
    BadArch(String),
    /// `Status:` is not `WANT FLAG STATE` with a known state.
    #[error("invalid Status {0:?}")]
    BadStatus(String),
    /// `Version:` cannot be split into epoch, upstream and revision.
    #[error("invalid Version {0:?}")]
    BadVersion(String),
}

/// Parse a status file (or a `status.d` file): one result per stanza, in
/// file order, numbered from `first_record`.
pub fn parse(data: &[u8], first_record: u64) -> Vec<Result<StatusEntry, (u64, StanzaError)>> {
    split_stanzas(data)
        .into_iter()
        .enumerate()
        .map(|(i, stanza)| {
            let record = first_record + i as u64;
            parse_stanza(stanza, record).map_err(|e| (record, e))
        })
        .collect()
}

/// True when `data` has a `Package:` field line: it is meant as a status
/// file, however damaged its stanzas are.
pub fn names_packages(data: &[u8]) -> bool {
    data.split(|&b| b == b'\n')
        .any(|l| l.starts_with(b"Package:"))
}

/// Split at empty lines; a stanza that holds only comment lines is dropped
/// (dpkg's parser does not accept comments in its database; deb822's do).
fn split_stanzas(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    while pos < data.len() {
        let end = data[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |n| pos + n);
        let line = &data[pos..end];
        if line.is_empty() || line == b"\r" {
            if pos > start {
                out.push(&data[start..pos]);
            }
            start = end + 1;
        }
        pos = end + 1;
    }
    if start < data.len() {
        out.push(&data[start..]);
    }
    out.retain(|s| {
        s.split(|&b| b == b'\n')
            .any(|l| !l.is_empty() && l[0] != b'#')
    });
    out
}

/// Bytes to a string of the chars with the same values (Latin-1), so any
/// byte sequence can go through a `&str` parser and come back unchanged.
fn bytes_to_chars(b: &[u8]) -> String {
    b.iter().map(|&c| char::from(c)).collect()
}

/// The inverse of [`bytes_to_chars`].
fn chars_to_bytes(s: &str) -> Vec<u8> {
    s.chars().map(|c| u32::from(c) as u8).collect()
}

/// A text field as UTF-8 (lossy: names, versions, architectures).
fn text(s: &str) -> String {
    String::from_utf8_lossy(&chars_to_bytes(s)).into_owned()
}

fn parse_stanza(stanza: &[u8], record: u64) -> Result<StatusEntry, StanzaError> {
    let doc: deb822_fast::Deb822 = bytes_to_chars(stanza)
        .parse()
        .map_err(|e: deb822_fast::Error| StanzaError::Syntax(text(&e.to_string())))?;
    let Some(para) = doc.iter().next() else {
        return Err(StanzaError::MissingField("Package"));
    };
    let name = para
        .get("Package")
        .map(|v| text(v.trim()))
        .ok_or(StanzaError::MissingField("Package"))?;
    if !valid_name(&name) {
        return Err(StanzaError::BadName(name));
    }
    let state = match para.get("Status") {
        None => None,
        Some(v) => {
            let v = text(v);
            let words: Vec<&str> = v.split_whitespace().collect();
            match words.as_slice() {
                [_want, _flag, state] => Some(
                    PackageState::parse(state).ok_or_else(|| StanzaError::BadStatus(v.clone()))?,
                ),
                _ => return Err(StanzaError::BadStatus(v)),
            }
        }
    };
    let arch = match para.get("Architecture").map(|v| text(v.trim())) {
        Some(a) if !valid_arch(&a) => return Err(StanzaError::BadArch(a)),
        a => a,
    };
    let version = match para.get("Version").map(text) {
        Some(v) => Some(DebVersion::parse(&v).ok_or(StanzaError::BadVersion(v))?),
        None => None,
    };
    let entry_installed = state.is_none_or(PackageState::files_unpacked);
    if entry_installed && version.is_none() {
        return Err(StanzaError::MissingField("Version"));
    }
    let multi_arch_same = para
        .get("Multi-Arch")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("same"));
    let mut conffiles = Vec::new();
    let mut bad_conffiles = Vec::new();
    if let Some(v) = para.get("Conffiles") {
        for line in v.split('\n') {
            let raw = chars_to_bytes(line);
            if raw.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match parse_conffile(&raw) {
                Some(c) => conffiles.push(c),
                None => bad_conffiles.push(raw),
            }
        }
    }
    Ok(StatusEntry {
        record,
        name,
        version,
        arch,
        multi_arch_same,
        state,
        conffiles,
        bad_conffiles,
    })
}

/// dpkg's package name syntax: lower-case alphanumerics and `+ - .`,
/// starting with an alphanumeric, at least two characters. (This also keeps
/// the name safe to build `info/NAME.list` from.)
fn valid_name(n: &str) -> bool {
    let b = n.as_bytes();
    b.len() >= 2
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"+-.".contains(&c))
}

/// Architecture names: lower-case alphanumerics and `-`.
fn valid_arch(a: &str) -> bool {
    !a.is_empty()
        && a.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
}

/// One `Conffiles:` line. The flags and the hash are the last words, so a
/// path may contain spaces (as dpkg allows).
fn parse_conffile(line: &[u8]) -> Option<Conffile> {
    let mut rest = line.trim_ascii();
    let (mut obsolete, mut remove_on_upgrade) = (false, false);
    let hash = loop {
        let (head, last) = split_last_word(rest)?;
        rest = head;
        match last {
            b"obsolete" if !obsolete => obsolete = true,
            b"remove-on-upgrade" if !remove_on_upgrade => remove_on_upgrade = true,
            _ => break last,
        }
    };
    if rest.first() != Some(&b'/') {
        return None;
    }
    let digest = if hash == b"newconffile" {
        ConffileDigest::NotYetInstalled
    } else {
        match parse_md5(hash) {
            Some(d) => ConffileDigest::Md5(d),
            None => ConffileDigest::Invalid,
        }
    };
    Some(Conffile {
        path: rest.to_vec(),
        digest,
        obsolete,
        remove_on_upgrade,
    })
}

/// `(everything before the last word, trimmed; the last word)`.
fn split_last_word(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let s = s.trim_ascii();
    if s.is_empty() {
        return None;
    }
    let cut = s
        .iter()
        .rposition(|b| b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    Some((s[..cut].trim_ascii(), &s[cut..]))
}

/// 32 hex digits to 16 bytes.
pub fn parse_md5(hex_digits: &[u8]) -> Option<[u8; 16]> {
    if hex_digits.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    hex::decode_to_slice(hex_digits, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stanzas_and_fields() {
        let data = b"Package: a1\nStatus: install ok installed\nVersion: 1:2.0-3\n\
Architecture: amd64\nMulti-Arch: same\nDescription: x\n more\n .\n\n\n\
Package: b2\nStatus: deinstall ok config-files\nConffiles:\n /etc/b c0ffee00c0ffee00c0ffee00c0ffee00 obsolete\n\n";
        let v = parse(data, 10);
        assert_eq!(v.len(), 2);
        let a = v[0].as_ref().unwrap();
        assert_eq!(a.record, 10);
        assert_eq!(
            a.version,
            Some(DebVersion {
                epoch: Some(1),
                upstream: "2.0".into(),
                revision: "3".into()
            })
        );
        assert!(a.multi_arch_same && a.is_installed());
        let b = v[1].as_ref().unwrap();
        assert_eq!(b.record, 11);
        assert!(!b.is_installed());
        assert_eq!(b.conffiles.len(), 1);
        assert!(b.conffiles[0].obsolete);
        assert_eq!(b.conffiles[0].path, b"/etc/b");
    }

    #[test]
    fn conffile_lines() {
        let c = parse_conffile(
            b" /etc/with space/x.conf 0123456789abcdef0123456789abcdef remove-on-upgrade",
        )
        .unwrap();
        assert_eq!(c.path, b"/etc/with space/x.conf");
        assert!(c.remove_on_upgrade && !c.obsolete);
        assert!(matches!(c.digest, ConffileDigest::Md5(_)));
        let c = parse_conffile(b"/etc/n newconffile").unwrap();
        assert_eq!(c.digest, ConffileDigest::NotYetInstalled);
        let c = parse_conffile(b"/etc/n zz").unwrap();
        assert_eq!(c.digest, ConffileDigest::Invalid);
        assert!(parse_conffile(b"etc/relative 0123456789abcdef0123456789abcdef").is_none());
        assert!(parse_conffile(b"obsolete").is_none());
        assert!(parse_conffile(b"   ").is_none());
    }

    #[test]
    fn non_utf8_bytes_survive() {
        let data = b"Package: ab\nVersion: 1\nDescription: caf\xe9\nConffiles:\n /etc/\xff\xfe 0123456789abcdef0123456789abcdef\n";
        let v = parse(data, 0);
        let e = v[0].as_ref().unwrap();
        assert_eq!(e.conffiles[0].path, b"/etc/\xff\xfe");
        assert_eq!(e.state, None);
    }

    #[test]
    fn bad_stanzas_are_errors_not_panics() {
        let data =
            b"Package: ../../x\nVersion: 1\n\nno colon here\n\nPackage: ok\nStatus: bogus\n\n\
Package: ok\nStatus: install ok installed\n\nPackage: ok\nVersion: x:1\n\n#only a comment\n";
        let v = parse(data, 0);
        assert_eq!(v.len(), 5);
        assert!(matches!(v[0], Err((0, StanzaError::BadName(_)))));
        assert!(matches!(v[1], Err((1, StanzaError::Syntax(_)))));
        assert!(matches!(v[2], Err((2, StanzaError::BadStatus(_)))));
        assert!(matches!(
            v[3],
            Err((3, StanzaError::MissingField("Version")))
        ));
        assert!(matches!(v[4], Err((4, StanzaError::BadVersion(_)))));
    }

    #[test]
    fn versions() {
        let v = DebVersion::parse("2.30-1ubuntu1-2").unwrap();
        assert_eq!(
            (v.upstream.as_str(), v.revision.as_str()),
            ("2.30-1ubuntu1", "2")
        );
        let v = DebVersion::parse("1.0").unwrap();
        assert_eq!(v.revision, "");
        assert!(DebVersion::parse("").is_none());
        assert!(DebVersion::parse(":1").is_none());
        assert!(DebVersion::parse("1.0\u{202e}").is_none());
    }

    /// Truncated and mutated stanzas never panic.
    #[test]
    fn fuzzed_input_never_panics() {
        let seed = b"Package: dash\nStatus: install ok installed\nVersion: 0.5-2\n\
Architecture: amd64\nConffiles:\n /etc/x 0123456789abcdef0123456789abcdef obsolete\n\
Description: d\n e\n\nPackage: b2\nVersion: 1\n";
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for n in 0..=seed.len() {
            let _ = parse(&seed[..n], 0);
        }
        for _ in 0..5000 {
            let mut d = seed.to_vec();
            for _ in 0..(next() % 8 + 1) {
                let i = (next() % d.len() as u64) as usize;
                d[i] = match next() % 4 {
                    0 => b'\n',
                    1 => b' ',
                    2 => b':',
                    _ => next() as u8,
                };
            }
            let _ = parse(&d, 0);
        }
    }
}
