//! The one escaper: [`escape_bytes`], and [`Terminal`], the writer every
//! line meant for a terminal goes through.
//!
//! Valid UTF-8 passes through, except control characters (C0, DEL, C1),
//! Unicode bidirectional controls and marks, line and paragraph separators,
//! invisible format characters (zero-width spaces, the BOM, …) and `\`,
//! which become `\xNN` / `\u{NNNN}` / `\\`; invalid UTF-8 bytes become `\xNN`. The result is
//! unambiguous (distinct inputs give distinct outputs) and holds no byte
//! below 0x20: a hostile file name can never move the cursor, retitle the
//! window or hide text.

use std::fmt::Write as _;
use std::io::{self, Write};

/// Escape bytes for display (see the module doc).
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c if is_invisible(c) => {
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

/// Escape bytes for a console that shows ASCII only (the Linux VT's font,
/// `--ascii`): as [`escape_bytes`], and every character outside ASCII
/// becomes `\u{NNNN}` as well. The result is printable ASCII.
pub fn escape_ascii(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for c in escape_bytes(bytes).chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        }
    }
    out
}

/// Characters that are not shown as themselves: C1 controls, Unicode
/// bidirectional controls and marks (which reorder what follows), line and
/// paragraph separators (which break lines), and invisible format
/// characters (zero-width spaces and joiners, the BOM, the soft hyphen,
/// interlinear annotations), with which two different names look alike.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{80}'..='\u{9f}'
            | '\u{ad}'
            | '\u{61c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
    )
}

/// A writer of lines for a terminal: each line's bytes are escaped, then
/// ended with a newline. The only way text output reaches a person.
pub struct Terminal<W: Write> {
    out: W,
}

impl<W: Write> Terminal<W> {
    /// Write lines to `out`.
    pub fn new(out: W) -> Terminal<W> {
        Terminal { out }
    }

    /// Write one line (raw bytes; a newline inside is escaped too).
    pub fn line(&mut self, raw: &[u8]) -> io::Result<()> {
        self.out.write_all(escape_bytes(raw).as_bytes())?;
        self.out.write_all(b"\n")
    }

    /// Flush the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
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

    /// Look-alike names: marks, separators and invisible characters are
    /// shown, not obeyed.
    #[test]
    fn escapes_bidi_marks_separators_and_invisibles() {
        for (c, shown) in [
            ('\u{61c}', "\\u{061c}"),
            ('\u{200b}', "\\u{200b}"),
            ('\u{2028}', "\\u{2028}"),
            ('\u{2029}', "\\u{2029}"),
            ('\u{2067}', "\\u{2067}"),
            ('\u{feff}', "\\u{feff}"),
            ('\u{ad}', "\\u{00ad}"),
        ] {
            let name = format!("/usr/bin/s{c}u");
            assert_eq!(escape_bytes(name.as_bytes()), format!("/usr/bin/s{shown}u"));
        }
        // Visible non-ASCII stays itself.
        assert_eq!(
            escape_bytes("/usr/share/ärger/€".as_bytes()),
            "/usr/share/ärger/€"
        );
    }

    #[test]
    fn ascii_escape_leaves_only_printable_ascii() {
        assert_eq!(
            escape_ascii("/usr/share/\u{e4}".as_bytes()),
            "/usr/share/\\u{00e4}"
        );
        let all: Vec<u8> = (0u8..=255).chain("\u{202e}€".bytes()).collect();
        assert!(
            escape_ascii(&all)
                .bytes()
                .all(|b| (0x20..0x7f).contains(&b))
        );
    }

    #[test]
    fn escaped_output_has_no_control_bytes() {
        let all: Vec<u8> = (0u8..=255).collect();
        let s = escape_bytes(&all);
        assert!(s.chars().all(|c| !c.is_control()));
    }

    #[test]
    fn terminal_lines_hold_no_control_byte_but_their_newline() {
        let mut buf = Vec::new();
        let mut t = Terminal::new(&mut buf);
        t.line(b"x \x1b]0;owned\x07 \n y\t\xff").unwrap();
        assert_eq!(
            buf.iter().filter(|&&b| b < 0x20).collect::<Vec<_>>(),
            [&b'\n']
        );
        assert!(buf.ends_with(b"\n"));
    }
}
