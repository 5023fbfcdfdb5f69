//! What a package recorded about a file, and what a comparison found: the
//! raw attribute types of the model ([`FileRecord`], [`FileAttrs`],
//! [`Verify`]).
//!
//! Everything here is a raw value (bytes, numbers, bit sets); nothing is
//! escaped or formatted for a terminal.

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Bytes;

bitflags::bitflags! {
    /// The attributes of rpm's verify string, in rpm's bit values
    /// (`RPMVERIFY_*`), so a header's FILEVERIFYFLAGS can be applied as is.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct VerifyAttrs: u32 {
        /// `5`: content digest.
        const DIGEST = 1 << 0;
        /// `S`: size.
        const SIZE = 1 << 1;
        /// `L`: symlink target.
        const LINKTO = 1 << 2;
        /// `U`: owner.
        const USER = 1 << 3;
        /// `G`: group.
        const GROUP = 1 << 4;
        /// `T`: modification time.
        const MTIME = 1 << 5;
        /// `M`: file type and permissions.
        const MODE = 1 << 6;
        /// `D`: device major/minor.
        const RDEV = 1 << 7;
        /// `P`: file capabilities.
        const CAPS = 1 << 8;
    }
}

/// Names of the attributes in `attrs`, in rpm's column order (`size`,
/// `mode`, `digest`, `rdev`, `link`, `user`, `group`, `mtime`, `caps`).
pub fn attr_names(attrs: VerifyAttrs) -> Vec<&'static str> {
    [
        (VerifyAttrs::SIZE, "size"),
        (VerifyAttrs::MODE, "mode"),
        (VerifyAttrs::DIGEST, "digest"),
        (VerifyAttrs::RDEV, "rdev"),
        (VerifyAttrs::LINKTO, "link"),
        (VerifyAttrs::USER, "user"),
        (VerifyAttrs::GROUP, "group"),
        (VerifyAttrs::MTIME, "mtime"),
        (VerifyAttrs::CAPS, "caps"),
    ]
    .into_iter()
    .filter(|(a, _)| attrs.contains(*a))
    .map(|(_, n)| n)
    .collect()
}

/// The outcome of comparing one file with its record, as rpm's 9-column
/// `SM5DLUGTP` string: `failed` attributes print their letter, `unknown`
/// ones (could not be checked) print `?`, the rest `.`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Verify {
    /// Attributes that differ.
    pub failed: VerifyAttrs,
    /// Attributes that could not be checked.
    pub unknown: VerifyAttrs,
}

impl Verify {
    const COLUMNS: [(VerifyAttrs, char); 9] = [
        (VerifyAttrs::SIZE, 'S'),
        (VerifyAttrs::MODE, 'M'),
        (VerifyAttrs::DIGEST, '5'),
        (VerifyAttrs::RDEV, 'D'),
        (VerifyAttrs::LINKTO, 'L'),
        (VerifyAttrs::USER, 'U'),
        (VerifyAttrs::GROUP, 'G'),
        (VerifyAttrs::MTIME, 'T'),
        (VerifyAttrs::CAPS, 'P'),
    ];

    /// True when nothing failed and nothing was unknown.
    pub fn is_clean(&self) -> bool {
        self.failed.is_empty() && self.unknown.is_empty()
    }
}

impl fmt::Display for Verify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (attr, letter) in Self::COLUMNS {
            let c = if self.unknown.contains(attr) {
                '?'
            } else if self.failed.contains(attr) {
                letter
            } else {
                '.'
            };
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl Serialize for Verify {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

bitflags::bitflags! {
    /// Per-file flags (rpm's `RPMFILE_*` bit values).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct FileFlags: u32 {
        /// `%config`
        const CONFIG = 1 << 0;
        /// `%doc`
        const DOC = 1 << 1;
        /// `%missingok`
        const MISSINGOK = 1 << 3;
        /// The spec file of a source package.
        const SPECFILE = 1 << 5;
        /// `%config(noreplace)`
        const NOREPLACE = 1 << 4;
        /// `%ghost`
        const GHOST = 1 << 6;
        /// `%license`
        const LICENSE = 1 << 7;
        /// `%readme`
        const README = 1 << 8;
        /// `%artifact`
        const ARTIFACT = 1 << 12;
        /// Any bit rpm may add later.
        const _ = !0;
    }
}

impl FileFlags {
    /// rpm's one-letter attribute mark as `rpm -V` prints it (first of
    /// `c d g l r`... in rpm's `rpmFFlagsString` order), or a space.
    pub fn mark(self) -> char {
        // rpmFFlagsString order: d c s m n g l r a; rpm -V prints the first.
        if self.contains(FileFlags::DOC) {
            'd'
        } else if self.contains(FileFlags::CONFIG) {
            'c'
        } else if self.contains(FileFlags::SPECFILE) {
            's'
        } else if self.contains(FileFlags::MISSINGOK) {
            'm'
        } else if self.contains(FileFlags::NOREPLACE) {
            'n'
        } else if self.contains(FileFlags::GHOST) {
            'g'
        } else if self.contains(FileFlags::LICENSE) {
            'l'
        } else if self.contains(FileFlags::README) {
            'r'
        } else if self.contains(FileFlags::ARTIFACT) {
            'a'
        } else {
            ' '
        }
    }
}

/// Install state of one file (rpm's FILESTATES). rpm writes it at install,
/// outside the header's signed region: it is not vouched for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileState {
    /// Installed normally (or no state recorded).
    #[default]
    Normal,
    /// Replaced by another package's file: only existence is checked.
    Replaced,
    /// Not installed (`--excludedocs`, `%_install_langs`): skipped.
    NotInstalled,
    /// On a network-shared path: skipped.
    NetShared,
    /// Multilib file of the other colour: digest, size, mtime, rdev skipped.
    WrongColor,
    /// Missing at install time.
    Missing,
}

impl FileState {
    /// From rpm's `RPMFILE_STATE_*` value.
    pub fn from_rpm(v: i8) -> FileState {
        match v {
            1 => FileState::Replaced,
            2 => FileState::NotInstalled,
            3 => FileState::NetShared,
            4 => FileState::WrongColor,
            5 => FileState::Missing,
            _ => FileState::Normal,
        }
    }
}

/// A file digest algorithm (rpm's PGPHASHALGO values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DigestAlgo {
    /// 1 (and the default when FILEDIGESTALGO is absent).
    Md5,
    /// 2
    Sha1,
    /// 8
    Sha256,
    /// 9
    Sha384,
    /// 10
    Sha512,
    /// 11
    Sha224,
    /// Anything else: the digest cannot be checked (`?`).
    Unknown(u32),
}

impl DigestAlgo {
    /// From rpm's FILEDIGESTALGO value.
    pub fn from_rpm(v: u32) -> DigestAlgo {
        match v {
            1 => DigestAlgo::Md5,
            2 => DigestAlgo::Sha1,
            8 => DigestAlgo::Sha256,
            9 => DigestAlgo::Sha384,
            10 => DigestAlgo::Sha512,
            11 => DigestAlgo::Sha224,
            n => DigestAlgo::Unknown(n),
        }
    }

    /// Lower-case name.
    pub fn name(self) -> String {
        match self {
            DigestAlgo::Md5 => "md5".into(),
            DigestAlgo::Sha1 => "sha1".into(),
            DigestAlgo::Sha256 => "sha256".into(),
            DigestAlgo::Sha384 => "sha384".into(),
            DigestAlgo::Sha512 => "sha512".into(),
            DigestAlgo::Sha224 => "sha224".into(),
            DigestAlgo::Unknown(n) => format!("unknown-{n}"),
        }
    }
}

/// What a package recorded about one file.
#[derive(Clone, Debug)]
pub struct FileRecord {
    /// Absolute path inside the target.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Mode including file type bits.
    pub mode: u32,
    /// Device number (rpm keeps 16 bits).
    pub rdev: u32,
    /// Modification time, seconds.
    pub mtime: u32,
    /// Algorithm of [`FileRecord::digest`].
    pub digest_algo: DigestAlgo,
    /// Content digest; empty when the package recorded none.
    pub digest: Vec<u8>,
    /// Symlink target; empty for non-links.
    pub link_to: Vec<u8>,
    /// `%config`, `%ghost`, ….
    pub flags: FileFlags,
    /// Which attributes the package wants verified (`%verify(...)`),
    /// rpm's FILEVERIFYFLAGS; all by default.
    pub verify: VerifyAttrs,
    /// Owner name.
    pub user: String,
    /// Group name.
    pub group: String,
    /// Capabilities in `cap_from_text` form; empty for none.
    pub caps: String,
    /// Install state.
    pub state: FileState,
}

impl FileRecord {
    /// The path as bytes.
    pub fn path_bytes(&self) -> &[u8] {
        self.path.as_os_str().as_bytes()
    }

    /// The record's link target as a path.
    pub fn link_path(&self) -> &Path {
        Path::new(OsStr::from_bytes(&self.link_to))
    }
}

/// A content digest: the algorithm and the raw digest bytes (empty when
/// the package recorded none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest {
    /// The algorithm.
    pub algo: DigestAlgo,
    /// The digest bytes.
    pub value: Vec<u8>,
}

impl fmt::Display for Digest {
    /// `algo:hex`, or nothing when no digest was recorded.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value.is_empty() {
            return Ok(());
        }
        write!(f, "{}:{}", self.algo.name(), hex::encode(&self.value))
    }
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An owner or group as recorded (a name) or as found (a name the target's
/// account files give the id, else the bare id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Account {
    /// A name (raw bytes from the database or the target's account files).
    Name(Bytes),
    /// A numeric id the target has no name for.
    Id(u32),
}

impl Serialize for Account {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Account::Name(n) => n.serialize(s),
            Account::Id(id) => s.serialize_u32(*id),
        }
    }
}

/// File attributes as recorded or as found, for the `expected`/`actual`
/// evidence of a file finding. Only the attributes that differ (or could
/// not be checked) are filled in; every value is raw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileAttrs {
    /// Size in bytes.
    pub size: Option<u64>,
    /// Mode including the type bits.
    pub mode: Option<u32>,
    /// A POSIX ACL extends the mode (found side only).
    pub acl: bool,
    /// Content digest (with an empty value when the package recorded none).
    pub digest: Option<Digest>,
    /// Device number.
    pub rdev: Option<u64>,
    /// Symlink target.
    pub link: Option<Bytes>,
    /// Owner.
    pub user: Option<Account>,
    /// Group.
    pub group: Option<Account>,
    /// Modification time, seconds since the epoch.
    pub mtime: Option<i64>,
    /// File capabilities in `cap_from_text` form; empty for none.
    pub caps: Option<String>,
}

/// JSON form (schema 2): `mode` as octal text with `+acl`, `digest` as
/// `algo:hex`, `rdev` as `0x…` text, names as [`Bytes`], ids as numbers.
impl Serialize for FileAttrs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        if let Some(v) = self.size {
            m.serialize_entry("size", &v)?;
        }
        if let Some(v) = self.mode_text() {
            m.serialize_entry("mode", &v)?;
        }
        if let Some(v) = &self.digest {
            m.serialize_entry("digest", v)?;
        }
        if let Some(v) = self.rdev {
            m.serialize_entry("rdev", &format!("{v:#x}"))?;
        }
        if let Some(v) = &self.link {
            m.serialize_entry("link", v)?;
        }
        if let Some(v) = &self.user {
            m.serialize_entry("user", v)?;
        }
        if let Some(v) = &self.group {
            m.serialize_entry("group", v)?;
        }
        if let Some(v) = self.mtime {
            m.serialize_entry("mtime", &v)?;
        }
        if let Some(v) = &self.caps {
            m.serialize_entry("caps", v)?;
        }
        m.end()
    }
}

impl FileAttrs {
    /// True when no attribute is set.
    pub fn is_empty(&self) -> bool {
        *self == FileAttrs::default()
    }

    /// The mode as `ls -l`-independent octal text, `+acl` when extended.
    pub fn mode_text(&self) -> Option<String> {
        self.mode
            .map(|m| format!("{m:o}{}", if self.acl { "+acl" } else { "" }))
    }
}
