//! The trusted comment of a waiver file's signature: one line, signed with
//! the signature (minisign's global signature), that says what the file is
//! for and binds it to its host and root:
//!
//! ```text
//! rootaudit-waivers host=HOST root=ROOT written=UNIXTIME sha256=HEX
//! ```
//!
//! The first word is the purpose ([`PURPOSE`]); then `key=value` fields
//! separated by single spaces, in any order (fields this version does not
//! know are ignored). Values are percent-encoded: every byte outside
//! `!`…`~` (space, control bytes, non-ASCII) and `%` itself become `%XX`
//! (upper-case hex), so a root with spaces or any bytes stays one line and
//! decodes exactly. `sha256` is the lower-case hex SHA-256 of the waiver
//! file as signed. Stock `minisign -V` prints this line after verifying,
//! so a person checking the file by hand sees what it is for.

use std::path::Path;

use super::WaiverError;

/// The purpose a waiver file's trusted comment begins with (and the value
/// of the file's `format` field).
pub const PURPOSE: &str = "rootaudit-waivers";

/// The fields of a waiver file's trusted comment, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedComment {
    /// The host the waivers were written for.
    pub host: Vec<u8>,
    /// The root as the scan that was triaged named it.
    pub root: Vec<u8>,
    /// When the file was written (seconds since the Unix epoch).
    pub written: u64,
    /// Lower-case hex SHA-256 of the signed file.
    pub sha256: String,
}

impl TrustedComment {
    /// The comment for `data`, a waiver file of `host` and `root` written
    /// at `written`.
    pub fn new(host: &[u8], root: &[u8], written: u64, data: &[u8]) -> TrustedComment {
        TrustedComment {
            host: host.to_vec(),
            root: root.to_vec(),
            written,
            sha256: sha256_hex(data),
        }
    }

    /// The one-line text (see the module doc).
    pub fn render(&self) -> String {
        format!(
            "{PURPOSE} host={} root={} written={} sha256={}",
            encode(&self.host),
            encode(&self.root),
            self.written,
            self.sha256
        )
    }

    /// Parse `text`, the trusted comment of the signature of `file` (named
    /// in errors): the purpose must be [`PURPOSE`] and every field present
    /// and well-formed.
    pub fn parse(file: &Path, text: &str) -> Result<TrustedComment, WaiverError> {
        let mut words = text.split(' ');
        let purpose = words.next().unwrap_or("");
        if purpose != PURPOSE {
            return Err(WaiverError::Purpose {
                file: file.to_path_buf(),
                expected: PURPOSE,
                found: purpose.chars().take(64).collect(),
            });
        }
        let (mut host, mut root, mut written, mut sha256) = (None, None, None, None);
        for w in words {
            let Some((k, v)) = w.split_once('=') else {
                continue;
            };
            match k {
                "host" => host = decode(v),
                "root" => root = decode(v),
                "written" => written = v.parse::<u64>().ok(),
                "sha256" => {
                    sha256 = (v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
                        .then(|| v.to_ascii_lowercase())
                }
                _ => {}
            }
        }
        let missing = |field| WaiverError::CommentField {
            file: file.to_path_buf(),
            field,
        };
        Ok(TrustedComment {
            host: host.ok_or_else(|| missing("host"))?,
            root: root.ok_or_else(|| missing("root"))?,
            written: written.ok_or_else(|| missing("written"))?,
            sha256: sha256.ok_or_else(|| missing("sha256"))?,
        })
    }

    /// Check that this comment describes `data`, a waiver file of `host`
    /// and `root` written at `written`.
    pub fn check(
        &self,
        file: &Path,
        host: &[u8],
        root: &[u8],
        written: u64,
        data: &[u8],
    ) -> Result<(), WaiverError> {
        let mismatch = |field, comment: String, file_value: String| WaiverError::CommentMismatch {
            file: file.to_path_buf(),
            field,
            comment,
            file_value,
        };
        if self.host != host {
            return Err(mismatch("host", encode(&self.host), encode(host)));
        }
        if self.root != root {
            return Err(mismatch("root", encode(&self.root), encode(root)));
        }
        if self.written != written {
            return Err(mismatch(
                "written",
                self.written.to_string(),
                written.to_string(),
            ));
        }
        let digest = sha256_hex(data);
        if self.sha256 != digest {
            return Err(mismatch("sha256", self.sha256.clone(), digest));
        }
        Ok(())
    }
}

/// Lower-case hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(data))
}

// The value encoding is shared with signed reports.
pub use crate::sign::comment::{decode, encode};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_one_line_and_parses_back() {
        let c = TrustedComment::new(b"web 1", b"/mnt/sys image\n\xff%", 1_700_000_000, b"{}");
        let text = c.render();
        assert!(!text.contains('\n'), "{text}");
        assert!(
            text.starts_with(
                "rootaudit-waivers host=web%201 root=/mnt/sys%20image%0A%FF%25 \
                 written=1700000000 sha256="
            ),
            "{text}"
        );
        let back = TrustedComment::parse(Path::new("w.json"), &text).unwrap();
        assert_eq!(back, c);
        back.check(
            Path::new("w.json"),
            b"web 1",
            b"/mnt/sys image\n\xff%",
            1_700_000_000,
            b"{}",
        )
        .unwrap();
    }

    #[test]
    fn wrong_purpose_and_missing_fields_are_errors() {
        let p = Path::new("w.json");
        assert!(matches!(
            TrustedComment::parse(p, "timestamp:1 file:w.json"),
            Err(WaiverError::Purpose { found, .. }) if found == "timestamp:1"
        ));
        assert!(matches!(
            TrustedComment::parse(p, "rootaudit-report host=a root=/ written=1 sha256=00"),
            Err(WaiverError::Purpose { .. })
        ));
        assert!(matches!(
            TrustedComment::parse(p, "rootaudit-waivers host=a root=/ written=1"),
            Err(WaiverError::CommentField {
                field: "sha256",
                ..
            })
        ));
        assert!(matches!(
            TrustedComment::parse(p, "rootaudit-waivers host=a root=%zz written=1"),
            Err(WaiverError::CommentField { field: "root", .. })
        ));
    }

    #[test]
    fn a_comment_of_another_file_does_not_check() {
        let p = Path::new("w.json");
        let c = TrustedComment::new(b"h", b"/", 5, b"one");
        assert!(matches!(
            c.check(p, b"h", b"/", 5, b"two"),
            Err(WaiverError::CommentMismatch {
                field: "sha256",
                ..
            })
        ));
        assert!(matches!(
            c.check(p, b"other", b"/", 5, b"one"),
            Err(WaiverError::CommentMismatch { field: "host", .. })
        ));
        assert!(matches!(
            c.check(p, b"h", b"/mnt", 5, b"one"),
            Err(WaiverError::CommentMismatch { field: "root", .. })
        ));
        assert!(matches!(
            c.check(p, b"h", b"/", 6, b"one"),
            Err(WaiverError::CommentMismatch {
                field: "written",
                ..
            })
        ));
    }
}
