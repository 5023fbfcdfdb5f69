//! RPM header wire constants for the `pkgdb` stage: the tag numbers rootaudit
//! reads from a header and the entry type codes of the header index.
//!
//! Tags are plain `u32` constants named after rpm's `RPMTAG_*` (without the
//! prefix), so they can be passed straight to
//! [`Header::get`](super::header::Header::get). Entry types are the typed
//! [`EntryType`].
//!
//! ```
//! use rootaudit::pkgdb::rpm::tags::{self, EntryType};
//! assert_eq!(tags::NAME, 1000);
//! assert_eq!(EntryType::from_code(8), Some(EntryType::StringArray));
//! ```

// Region tags (entry 0 of a header, and the trailer it points at).

/// Legacy region tag of very old packages (`RPMTAG_HEADERIMAGE`).
pub const HEADERIMAGE: u32 = 61;
/// Region tag of a signature header (`RPMTAG_HEADERSIGNATURES`).
pub const HEADERSIGNATURES: u32 = 62;
/// Region tag of the immutable (signed) part of a main header
/// (`RPMTAG_HEADERIMMUTABLE`).
pub const HEADERIMMUTABLE: u32 = 63;
/// Tag of the old region list (`RPMTAG_HEADERREGIONS`); never a region tag
/// itself.
pub const HEADERREGIONS: u32 = 64;
/// The i18n locale table (`RPMTAG_HEADERI18NTABLE`), the lowest ordinary tag
/// number.
pub const HEADERI18NTABLE: u32 = 100;

// Signature tags as they appear in a main (installed) header, copied from
// the package's signature header at install time, outside the region.

/// Size of header + payload (`RPMTAG_SIGSIZE`).
pub const SIGSIZE: u32 = 257;
/// RSA (OpenPGP v3) signature of header + payload (`RPMTAG_SIGPGP`).
pub const SIGPGP: u32 = 259;
/// MD5 digest of header + payload (`RPMTAG_SIGMD5`).
pub const SIGMD5: u32 = 261;
/// DSA signature of header + payload (`RPMTAG_SIGGPG`).
pub const SIGGPG: u32 = 262;
/// Armored public key of a `gpg-pubkey` header (`RPMTAG_PUBKEYS`).
pub const PUBKEYS: u32 = 266;
/// DSA/EdDSA signature of the header region (`RPMTAG_DSAHEADER`).
pub const DSAHEADER: u32 = 267;
/// RSA signature of the header region (`RPMTAG_RSAHEADER`).
pub const RSAHEADER: u32 = 268;
/// Hex SHA-1 of the header region (`RPMTAG_SHA1HEADER`).
pub const SHA1HEADER: u32 = 269;
/// 64-bit size of header + payload (`RPMTAG_LONGSIGSIZE`).
pub const LONGSIGSIZE: u32 = 270;
/// Hex SHA-256 of the header region (`RPMTAG_SHA256HEADER`).
pub const SHA256HEADER: u32 = 273;
/// Additional OpenPGP signatures of the header region, base64 strings
/// (`RPMTAG_OPENPGP`, rpm 6).
pub const OPENPGP: u32 = 278;

// Package identity.

/// Package name (`RPMTAG_NAME`).
pub const NAME: u32 = 1000;
/// Version (`RPMTAG_VERSION`).
pub const VERSION: u32 = 1001;
/// Release (`RPMTAG_RELEASE`).
pub const RELEASE: u32 = 1002;
/// Epoch, INT32 (`RPMTAG_EPOCH`).
pub const EPOCH: u32 = 1003;
/// Install time, added outside the region (`RPMTAG_INSTALLTIME`).
pub const INSTALLTIME: u32 = 1008;
/// Architecture (`RPMTAG_ARCH`).
pub const ARCH: u32 = 1022;
/// Source package file name (`RPMTAG_SOURCERPM`).
pub const SOURCERPM: u32 = 1044;
/// Size of the cpio payload, copied from the signature header
/// (`RPMTAG_ARCHIVESIZE`).
pub const ARCHIVESIZE: u32 = 1046;
/// Relocated prefixes, added outside the region (`RPMTAG_INSTPREFIXES`).
pub const INSTPREFIXES: u32 = 1099;
/// Install colour, added outside the region (`RPMTAG_INSTALLCOLOR`).
pub const INSTALLCOLOR: u32 = 1127;
/// Transaction id, added outside the region (`RPMTAG_INSTALLTID`).
pub const INSTALLTID: u32 = 1128;

// File lists.

/// Full paths of ancient (pre-rpm 4) headers (`RPMTAG_OLDFILENAMES`).
pub const OLDFILENAMES: u32 = 1027;
/// File sizes, INT32 (`RPMTAG_FILESIZES`).
pub const FILESIZES: u32 = 1028;
/// Install states, CHAR, added outside the region (`RPMTAG_FILESTATES`).
pub const FILESTATES: u32 = 1029;
/// File modes including type bits, INT16 (`RPMTAG_FILEMODES`).
pub const FILEMODES: u32 = 1030;
/// Device numbers, INT16 (`RPMTAG_FILERDEVS`).
pub const FILERDEVS: u32 = 1033;
/// Modification times, INT32 (`RPMTAG_FILEMTIMES`).
pub const FILEMTIMES: u32 = 1034;
/// Hex content digests (`RPMTAG_FILEDIGESTS`).
pub const FILEDIGESTS: u32 = 1035;
/// The historical name of [`FILEDIGESTS`] (`RPMTAG_FILEMD5S`).
pub const FILEMD5S: u32 = FILEDIGESTS;
/// Symlink targets (`RPMTAG_FILELINKTOS`).
pub const FILELINKTOS: u32 = 1036;
/// `RPMFILE_*` flags, INT32 (`RPMTAG_FILEFLAGS`).
pub const FILEFLAGS: u32 = 1037;
/// Owner names (`RPMTAG_FILEUSERNAME`).
pub const FILEUSERNAME: u32 = 1039;
/// Group names (`RPMTAG_FILEGROUPNAME`).
pub const FILEGROUPNAME: u32 = 1040;
/// `RPMVERIFY_*` flags, INT32 (`RPMTAG_FILEVERIFYFLAGS`).
pub const FILEVERIFYFLAGS: u32 = 1045;
/// Directory index of each file, INT32 (`RPMTAG_DIRINDEXES`).
pub const DIRINDEXES: u32 = 1116;
/// File base names (`RPMTAG_BASENAMES`).
pub const BASENAMES: u32 = 1117;
/// Directory names, each ending in `/` (`RPMTAG_DIRNAMES`).
pub const DIRNAMES: u32 = 1118;
/// Multilib colours, INT32 (`RPMTAG_FILECOLORS`).
pub const FILECOLORS: u32 = 1140;
/// File sizes of packages with files ≥ 4 GiB, INT64
/// (`RPMTAG_LONGFILESIZES`).
pub const LONGFILESIZES: u32 = 5008;
/// File capabilities in `cap_from_text` form (`RPMTAG_FILECAPS`).
pub const FILECAPS: u32 = 5010;
/// `PGPHASHALGO_*` of [`FILEDIGESTS`], INT32; MD5 when absent
/// (`RPMTAG_FILEDIGESTALGO`).
pub const FILEDIGESTALGO: u32 = 5011;
/// Hex digest of the payload (`RPMTAG_PAYLOADDIGEST`).
pub const PAYLOADDIGEST: u32 = 5092;
/// `PGPHASHALGO_*` of [`PAYLOADDIGEST`] (`RPMTAG_PAYLOADDIGESTALGO`).
pub const PAYLOADDIGESTALGO: u32 = 5093;

// Install scripts (scriptlets). A body is a STRING; its `*PROG` the
// interpreter, a STRING or a STRING_ARRAY (program and arguments).

/// `%pre` body (`RPMTAG_PREIN`).
pub const PREIN: u32 = 1023;
/// `%post` body (`RPMTAG_POSTIN`).
pub const POSTIN: u32 = 1024;
/// `%preun` body (`RPMTAG_PREUN`).
pub const PREUN: u32 = 1025;
/// `%postun` body (`RPMTAG_POSTUN`).
pub const POSTUN: u32 = 1026;
/// `%verifyscript` body (`RPMTAG_VERIFYSCRIPT`).
pub const VERIFYSCRIPT: u32 = 1079;
/// `%pre` interpreter (`RPMTAG_PREINPROG`).
pub const PREINPROG: u32 = 1085;
/// `%post` interpreter (`RPMTAG_POSTINPROG`).
pub const POSTINPROG: u32 = 1086;
/// `%preun` interpreter (`RPMTAG_PREUNPROG`).
pub const PREUNPROG: u32 = 1087;
/// `%postun` interpreter (`RPMTAG_POSTUNPROG`).
pub const POSTUNPROG: u32 = 1088;
/// `%verifyscript` interpreter (`RPMTAG_VERIFYSCRIPTPROG`).
pub const VERIFYSCRIPTPROG: u32 = 1091;
/// `%pretrans` body (`RPMTAG_PRETRANS`).
pub const PRETRANS: u32 = 1151;
/// `%posttrans` body (`RPMTAG_POSTTRANS`).
pub const POSTTRANS: u32 = 1152;
/// `%pretrans` interpreter (`RPMTAG_PRETRANSPROG`).
pub const PRETRANSPROG: u32 = 1153;
/// `%posttrans` interpreter (`RPMTAG_POSTTRANSPROG`).
pub const POSTTRANSPROG: u32 = 1154;
/// `%preuntrans` body, rpm ≥ 4.20 (`RPMTAG_PREUNTRANS`).
pub const PREUNTRANS: u32 = 5103;
/// `%postuntrans` body, rpm ≥ 4.20 (`RPMTAG_POSTUNTRANS`).
pub const POSTUNTRANS: u32 = 5104;
/// `%preuntrans` interpreter (`RPMTAG_PREUNTRANSPROG`).
pub const PREUNTRANSPROG: u32 = 5105;
/// `%postuntrans` interpreter (`RPMTAG_POSTUNTRANSPROG`).
pub const POSTUNTRANSPROG: u32 = 5106;

// Triggers: one body per script (`*SCRIPTS`, `*SCRIPTPROG`), and one
// condition per entry of NAME/VERSION/FLAGS/INDEX, INDEX naming its script.

/// Trigger bodies, STRING_ARRAY (`RPMTAG_TRIGGERSCRIPTS`).
pub const TRIGGERSCRIPTS: u32 = 1065;
/// Trigger condition names (`RPMTAG_TRIGGERNAME`).
pub const TRIGGERNAME: u32 = 1066;
/// Trigger condition versions (`RPMTAG_TRIGGERVERSION`).
pub const TRIGGERVERSION: u32 = 1067;
/// Trigger condition flags, INT32: `RPMSENSE_*` (`RPMTAG_TRIGGERFLAGS`).
pub const TRIGGERFLAGS: u32 = 1068;
/// Script index of each trigger condition, INT32 (`RPMTAG_TRIGGERINDEX`).
pub const TRIGGERINDEX: u32 = 1069;
/// Trigger interpreters, one per script (`RPMTAG_TRIGGERSCRIPTPROG`).
pub const TRIGGERSCRIPTPROG: u32 = 1092;
/// File trigger bodies (`RPMTAG_FILETRIGGERSCRIPTS`).
pub const FILETRIGGERSCRIPTS: u32 = 5066;
/// File trigger interpreters (`RPMTAG_FILETRIGGERSCRIPTPROG`).
pub const FILETRIGGERSCRIPTPROG: u32 = 5067;
/// File trigger path prefixes (`RPMTAG_FILETRIGGERNAME`).
pub const FILETRIGGERNAME: u32 = 5069;
/// Script index of each file trigger condition (`RPMTAG_FILETRIGGERINDEX`).
pub const FILETRIGGERINDEX: u32 = 5070;
/// File trigger condition versions (`RPMTAG_FILETRIGGERVERSION`).
pub const FILETRIGGERVERSION: u32 = 5071;
/// File trigger condition flags (`RPMTAG_FILETRIGGERFLAGS`).
pub const FILETRIGGERFLAGS: u32 = 5072;
/// Transaction file trigger bodies (`RPMTAG_TRANSFILETRIGGERSCRIPTS`).
pub const TRANSFILETRIGGERSCRIPTS: u32 = 5076;
/// Transaction file trigger interpreters
/// (`RPMTAG_TRANSFILETRIGGERSCRIPTPROG`).
pub const TRANSFILETRIGGERSCRIPTPROG: u32 = 5077;
/// Transaction file trigger path prefixes (`RPMTAG_TRANSFILETRIGGERNAME`).
pub const TRANSFILETRIGGERNAME: u32 = 5079;
/// Script index of each transaction file trigger condition
/// (`RPMTAG_TRANSFILETRIGGERINDEX`).
pub const TRANSFILETRIGGERINDEX: u32 = 5080;
/// Transaction file trigger condition versions
/// (`RPMTAG_TRANSFILETRIGGERVERSION`).
pub const TRANSFILETRIGGERVERSION: u32 = 5081;
/// Transaction file trigger condition flags
/// (`RPMTAG_TRANSFILETRIGGERFLAGS`).
pub const TRANSFILETRIGGERFLAGS: u32 = 5082;

/// True for the tags that may mark a header region in index entry 0.
pub fn is_region_tag(tag: u32) -> bool {
    matches!(tag, HEADERIMAGE | HEADERSIGNATURES | HEADERIMMUTABLE)
}

/// The type of a header index entry (rpm's `rpmTagType`, `RPM_*_TYPE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum EntryType {
    /// 0: no data (never valid in a stored header).
    Null = 0,
    /// 1: single bytes.
    Char = 1,
    /// 2: signed bytes.
    Int8 = 2,
    /// 3: big-endian 16-bit integers.
    Int16 = 3,
    /// 4: big-endian 32-bit integers.
    Int32 = 4,
    /// 5: big-endian 64-bit integers.
    Int64 = 5,
    /// 6: one NUL-terminated string (count is always 1).
    String = 6,
    /// 7: opaque bytes.
    Bin = 7,
    /// 8: `count` NUL-terminated strings.
    StringArray = 8,
    /// 9: `count` NUL-terminated strings, one per locale; the first is the
    /// untranslated one.
    I18nString = 9,
}

impl EntryType {
    /// The type for a wire code, or `None` for codes above 9.
    pub fn from_code(code: u32) -> Option<EntryType> {
        Some(match code {
            0 => EntryType::Null,
            1 => EntryType::Char,
            2 => EntryType::Int8,
            3 => EntryType::Int16,
            4 => EntryType::Int32,
            5 => EntryType::Int64,
            6 => EntryType::String,
            7 => EntryType::Bin,
            8 => EntryType::StringArray,
            9 => EntryType::I18nString,
            _ => return None,
        })
    }

    /// The wire code.
    pub fn code(self) -> u32 {
        self as u32
    }

    /// Size of one element for fixed-size types; `None` for the string
    /// types and [`EntryType::Null`].
    pub fn element_size(self) -> Option<usize> {
        match self {
            EntryType::Char | EntryType::Int8 | EntryType::Bin => Some(1),
            EntryType::Int16 => Some(2),
            EntryType::Int32 => Some(4),
            EntryType::Int64 => Some(8),
            EntryType::Null
            | EntryType::String
            | EntryType::StringArray
            | EntryType::I18nString => None,
        }
    }

    /// The alignment rpm requires of the entry's data offset.
    pub fn alignment(self) -> usize {
        match self {
            EntryType::Int16 => 2,
            EntryType::Int32 => 4,
            EntryType::Int64 => 8,
            _ => 1,
        }
    }

    /// True for the three string types.
    pub fn is_string(self) -> bool {
        matches!(
            self,
            EntryType::String | EntryType::StringArray | EntryType::I18nString
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_codes_round_trip() {
        for code in 0..=9 {
            let t = EntryType::from_code(code).expect("known code");
            assert_eq!(t.code(), code);
        }
        assert_eq!(EntryType::from_code(10), None);
        assert_eq!(EntryType::from_code(u32::MAX), None);
    }

    #[test]
    fn region_tags() {
        assert!(is_region_tag(HEADERIMMUTABLE));
        assert!(is_region_tag(HEADERSIGNATURES));
        assert!(is_region_tag(HEADERIMAGE));
        assert!(!is_region_tag(HEADERREGIONS));
        assert!(!is_region_tag(NAME));
    }
}
