//! The text layer of minisign's files: lines, the two comment prefixes,
//! base64, and which comments stock minisign accepts.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::SignError;
use super::{CommentKind, CommentProblem, Element, MAX_TRUSTED_COMMENT, MAX_UNTRUSTED_COMMENT};

/// What starts the first line of every file.
pub(super) const UNTRUSTED_PREFIX: &str = "untrusted comment: ";
/// What starts a signature's third line.
pub(super) const TRUSTED_PREFIX: &str = "trusted comment: ";

/// The lines of `text`, each without its line feed and one carriage
/// return before it (minisign's `trim`); empty lines at the end dropped.
pub(super) fn lines(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    out
}

/// Check a line is an untrusted comment line.
pub(super) fn untrusted_comment(line: &str) -> Result<&str, SignError> {
    line.strip_prefix(UNTRUSTED_PREFIX)
        .ok_or(SignError::Malformed {
            what: Element::UntrustedComment,
        })
}

/// Decode one base64 line into exactly `N` bytes.
pub(super) fn decode<const N: usize>(line: &str, what: Element) -> Result<[u8; N], SignError> {
    let bad = || SignError::Malformed { what };
    let bytes = zeroize::Zeroizing::new(STANDARD.decode(line.trim()).map_err(|_| bad())?);
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| bad())
}

/// Encode bytes as one base64 line (no line feed).
pub(super) fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Whether minisign would print `s` as a trusted comment: no control
/// characters (C0, DEL or C1) except tab.
pub(super) fn printable(s: &str) -> bool {
    s.chars().all(|c| c == '\t' || !c.is_control())
}

/// Refuse a comment minisign could not read back as the same one line.
pub(super) fn check_comment(which: CommentKind, comment: &str) -> Result<(), SignError> {
    let max = match which {
        CommentKind::Untrusted => MAX_UNTRUSTED_COMMENT,
        CommentKind::Trusted => MAX_TRUSTED_COMMENT,
    };
    let problem = if comment.contains(['\n', '\r']) {
        Some(CommentProblem::LineBreak)
    } else if !printable(comment) {
        Some(CommentProblem::ControlCharacter)
    } else if comment.len() > max {
        Some(CommentProblem::TooLong { max })
    } else {
        None
    };
    match problem {
        Some(problem) => Err(SignError::Comment { which, problem }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_strip_crlf_and_trailing_blank_lines() {
        assert_eq!(lines("a\r\nb\n\n  \n"), vec!["a", "b"]);
        assert_eq!(lines("a\nb"), vec!["a", "b"]);
        assert!(lines("").is_empty());
    }

    #[test]
    fn comments_minisign_refuses_are_refused() {
        assert!(check_comment(CommentKind::Trusted, "timestamp:1\tfile:x").is_ok());
        assert!(check_comment(CommentKind::Trusted, "żółw ✓").is_ok());
        for (bad, problem) in [
            ("a\nb", CommentProblem::LineBreak),
            ("a\rb", CommentProblem::LineBreak),
            ("a\u{1b}[31m", CommentProblem::ControlCharacter),
            ("a\u{85}", CommentProblem::ControlCharacter),
            ("a\u{7f}", CommentProblem::ControlCharacter),
        ] {
            match check_comment(CommentKind::Trusted, bad) {
                Err(SignError::Comment { problem: p, .. }) => assert_eq!(p, problem, "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        let long = "x".repeat(MAX_UNTRUSTED_COMMENT + 1);
        assert!(check_comment(CommentKind::Untrusted, &long).is_err());
        assert!(check_comment(CommentKind::Trusted, &long).is_ok());
    }
}
