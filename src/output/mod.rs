//! Outputs: render a [`crate::scan::Report`] for people ([`text`]) and
//! programs ([`json`]).
//!
//! Every string that comes from the target (file names, link targets, user
//! names) passes through [`escape_bytes`] before it reaches any output, so a
//! hostile file name can never put raw control bytes on a terminal.

pub mod json;
pub mod text;

use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Escape bytes for display: valid UTF-8 passes through, except control
/// characters (C0, DEL, C1), Unicode bidirectional controls and `\`, which
/// become `\xNN` / `\u{NNNN}` / `\\`; invalid UTF-8 bytes become `\xNN`.
/// The result is unambiguous: distinct inputs give distinct outputs.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                '\u{80}'..='\u{9f}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}' => {
                    let _ = write!(out, "\\u{{{:04x}}}", c as u32);
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// The last line of defence before a terminal: escape any control or
/// bidirectional character still in a line that was built from already
/// escaped parts (a message quoting a parser's error text, say). Unlike
/// [`escape_bytes`] it leaves `\\` alone, so escaped text passes unchanged.
pub fn sanitize_line(line: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !line.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 8);
    for c in line.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// [`escape_bytes`] for a path.
pub fn escape_path(p: &Path) -> String {
    escape_bytes(p.as_os_str().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_hostile_names() {
        assert_eq!(escape_bytes(b"/usr/bin/ls"), "/usr/bin/ls");
        assert_eq!(
            escape_bytes(b"/tmp/\x1b[31mred\n"),
            "/tmp/\\x1b[31mred\\x0a"
        );
        assert_eq!(escape_bytes(b"a\\x41"), "a\\\\x41");
        assert_eq!(escape_bytes(b"bad\xff\xfe"), "bad\\xff\\xfe");
        assert_eq!(escape_bytes("caf\u{e9}".as_bytes()), "caf\u{e9}");
        assert_eq!(escape_bytes("x\u{202e}y".as_bytes()), "x\\u{202e}y");
        assert_eq!(escape_bytes("\u{9b}".as_bytes()), "\\u{009b}");
    }

    #[test]
    fn sanitize_line_only_touches_unsafe_characters() {
        assert_eq!(sanitize_line("a\\x1b b"), "a\\x1b b");
        assert_eq!(sanitize_line("bad \u{1b}[2J name"), "bad \\u{001b}[2J name");
        assert_eq!(sanitize_line("x\u{202e}y\u{9b}"), "x\\u{202e}y\\u{009b}");
    }

    #[test]
    fn escaped_output_has_no_control_bytes() {
        let all: Vec<u8> = (0u8..=255).collect();
        let s = escape_bytes(&all);
        assert!(s.chars().all(|c| !c.is_control()));
    }
}
