//! What rootaudit writes in a signature's trusted comment: one line, a
//! purpose word, then `key=value` fields separated by single spaces.
//! Stock `minisign -V` prints that line after verifying, so a person
//! checking a file by hand sees what it is for; the global signature
//! makes it as tamper-proof as the file.
//!
//! Values are percent-encoded ([`encode`]): every byte outside `!`…`~`
//! (space, control bytes, non-ASCII) and `%` itself become `%XX`
//! (upper-case hex). A host or root name holding spaces, `=`, newlines or
//! escape sequences therefore stays inside its one field, and decodes
//! ([`decode`]) to exactly the bytes it was. Waiver files
//! (`crate::waiver::TrustedComment`) and reports ([`ReportComment`]) use
//! this encoding.
//!
//! A signed report's comment:
//!
//! ```text
//! rootaudit-report host=HOST root=ROOT scan=SCANID time=UNIXTIME
//! ```
//!
//! Example:
//!
//! ```
//! use rootaudit::sign::ReportComment;
//! let c = ReportComment {
//!     host: b"web 1".to_vec(),
//!     root: b"/".to_vec(),
//!     scan: b"0123456789abcdef".to_vec(),
//!     time: 1_700_000_000,
//! };
//! let text = c.render();
//! assert_eq!(
//!     text,
//!     "rootaudit-report host=web%201 root=/ scan=0123456789abcdef time=1700000000"
//! );
//! assert_eq!(ReportComment::parse(&text)?, c);
//! # Ok::<(), rootaudit::sign::SignError>(())
//! ```

use super::SignError;

/// The purpose a signed report's trusted comment begins with.
pub const REPORT_PURPOSE: &str = "rootaudit-report";

/// Percent-encode every byte outside `!`…`~`, and `%`.
pub fn encode(value: &[u8]) -> String {
    let mut out = String::with_capacity(value.len());
    for &b in value {
        if (0x21..=0x7e).contains(&b) && b != b'%' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Undo [`encode`] (`None` for a `%` not followed by two hex digits).
pub fn decode(value: &str) -> Option<Vec<u8>> {
    let b = value.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The purpose word of a comment, and its `key=value` fields (words
/// without `=` are skipped).
pub fn split(text: &str) -> (&str, impl Iterator<Item = (&str, &str)>) {
    let mut words = text.split(' ');
    let purpose = words.next().unwrap_or("");
    (purpose, words.filter_map(|w| w.split_once('=')))
}

/// The fields of a signed report's trusted comment (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportComment {
    /// The host the scan ran on.
    pub host: Vec<u8>,
    /// ROOT as the scan was given it.
    pub root: Vec<u8>,
    /// The scan's id.
    pub scan: Vec<u8>,
    /// When the scan started (seconds since the Unix epoch).
    pub time: u64,
}

impl ReportComment {
    /// The one-line text: `rootaudit-report host=… root=… scan=… time=…`.
    pub fn render(&self) -> String {
        format!(
            "{REPORT_PURPOSE} host={} root={} scan={} time={}",
            encode(&self.host),
            encode(&self.root),
            encode(&self.scan),
            self.time
        )
    }

    /// Parse a verified trusted comment: the purpose must be
    /// [`REPORT_PURPOSE`] ([`SignError::Purpose`]) and each field present
    /// once and well-formed ([`SignError::CommentField`]); fields this
    /// version does not know are ignored.
    pub fn parse(text: &str) -> Result<ReportComment, SignError> {
        let (purpose, fields) = split(text);
        if purpose != REPORT_PURPOSE {
            return Err(SignError::Purpose {
                expected: REPORT_PURPOSE,
                found: purpose.chars().take(64).collect(),
            });
        }
        let (mut host, mut root, mut scan, mut time) = (None, None, None, None);
        for (k, v) in fields {
            let (slot, field, value) = match k {
                "host" => (&mut host, "host", decode(v)),
                "root" => (&mut root, "root", decode(v)),
                "scan" => (&mut scan, "scan", decode(v)),
                "time" => {
                    let t = v
                        .bytes()
                        .all(|b| b.is_ascii_digit())
                        .then(|| v.parse::<u64>().ok())
                        .flatten()
                        .ok_or(SignError::CommentField { field: "time" })?;
                    if time.replace(t).is_some() {
                        return Err(SignError::CommentField { field: "time" });
                    }
                    continue;
                }
                _ => continue,
            };
            let value = value.ok_or(SignError::CommentField { field })?;
            if slot.replace(value).is_some() {
                return Err(SignError::CommentField { field });
            }
        }
        let missing = |field| SignError::CommentField { field };
        Ok(ReportComment {
            host: host.ok_or_else(|| missing("host"))?,
            root: root.ok_or_else(|| missing("root"))?,
            scan: scan.ok_or_else(|| missing("scan"))?,
            time: time.ok_or_else(|| missing("time"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        let text = encode(&all);
        assert!(text.bytes().all(|b| (0x21..=0x7e).contains(&b)), "{text}");
        assert_eq!(decode(&text).unwrap(), all);
        assert_eq!(encode(b"a b%c=d"), "a%20b%25c=d");
        assert_eq!(decode("%zz"), None);
        assert_eq!(decode("%4"), None);
        assert_eq!(decode("%+1"), None);
        assert_eq!(decode("%e2%82%ac").unwrap(), "€".as_bytes());
    }

    #[test]
    fn hostile_names_cannot_forge_fields() {
        let c = ReportComment {
            host: b"evil root=/ time=1".to_vec(),
            root: b"/mnt/x\n\x1b]0;t\x07 scan=00\xff%".to_vec(),
            scan: b"s c".to_vec(),
            time: 1_700_000_000,
        };
        let text = c.render();
        assert!(!text.contains(['\n', '\x1b', '\x07']), "{text}");
        assert_eq!(text.matches(" root=").count(), 1, "{text}");
        assert_eq!(text.matches(" time=").count(), 1, "{text}");
        assert_eq!(ReportComment::parse(&text).unwrap(), c);
    }

    #[test]
    fn other_purposes_and_broken_fields_are_refused() {
        let ok = "rootaudit-report host=h root=/ scan=ab time=5";
        assert_eq!(
            ReportComment::parse(ok).unwrap(),
            ReportComment {
                host: b"h".to_vec(),
                root: b"/".to_vec(),
                scan: b"ab".to_vec(),
                time: 5,
            }
        );
        // Fields in any order; unknown ones ignored.
        assert!(ReportComment::parse("rootaudit-report time=5 x=1 scan=ab root=/ host=h").is_ok());
        for (text, field) in [
            ("rootaudit-report root=/ scan=ab time=5", "host"),
            ("rootaudit-report host=h root=%zz scan=ab time=5", "root"),
            ("rootaudit-report host=h root=/ scan=ab time=-5", "time"),
            ("rootaudit-report host=h root=/ scan=ab time=+5", "time"),
            (
                "rootaudit-report host=h root=/ scan=ab time=5 time=6",
                "time",
            ),
            (
                "rootaudit-report host=h root=/ root=/x scan=ab time=5",
                "root",
            ),
            ("rootaudit-report host=h root=/ time=5", "scan"),
        ] {
            match ReportComment::parse(text) {
                Err(SignError::CommentField { field: f }) => assert_eq!(f, field, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        for text in [
            "rootaudit-waivers host=h root=/ written=1 sha256=00",
            "timestamp:1700000000\tfile:report.json\thashed",
            "",
        ] {
            assert!(
                matches!(ReportComment::parse(text), Err(SignError::Purpose { .. })),
                "{text}"
            );
        }
    }
}
