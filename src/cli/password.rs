//! Passphrases for minisign secret keys: from a file (its first line, for
//! automation), or typed on the controlling terminal (`/dev/tty`) with echo
//! off. [`load_secret_key`] asks only when the key is encrypted.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use rootaudit::sign::SecretKey;
use rustix::termios::{self, LocalModes, OptionalActions, SpecialCodeIndex, Termios};
use zeroize::Zeroizing;

/// The longest passphrase read (minisign's limit, less its NUL).
const MAX_PASSWORD: usize = 1023;

/// A passphrase: the first line of `file` (without its line ending), or,
/// without a file, typed after `prompt` on the controlling terminal with
/// echo off. `confirm` asks twice on the terminal and refuses an empty
/// passphrase (for a new key). Without a terminal, fails naming
/// `--password-file`.
pub fn read_password(prompt: &str, file: Option<&Path>, confirm: bool) -> anyhow::Result<Vec<u8>> {
    let mut password = match file {
        Some(path) => from_file(path)?,
        None => from_terminal(prompt, confirm)?,
    };
    if confirm && password.is_empty() {
        bail!("empty passphrase refused");
    }
    Ok(std::mem::take(&mut *password))
}

/// Load a secret key file, asking for its passphrase (from
/// `password_file`, or on the terminal) only when the key is encrypted.
pub fn load_secret_key(path: &Path, password_file: Option<&Path>) -> anyhow::Result<SecretKey> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("reading secret key {}", path.display()))?,
    );
    let what = || format!("secret key {}", path.display());
    let password = if SecretKey::is_encrypted_text(&text).with_context(what)? {
        let prompt = format!("Passphrase for {}: ", path.display());
        Some(Zeroizing::new(read_password(
            &prompt,
            password_file,
            false,
        )?))
    } else {
        None
    };
    SecretKey::parse(&text, password.as_deref().map(Vec::as_slice)).with_context(what)
}

/// The first line of `path`, without `\n` or `\r\n`.
fn from_file(path: &Path) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    let mut all = Zeroizing::new(Vec::new());
    File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut all))
        .with_context(|| format!("reading password file {}", path.display()))?;
    let line = all.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() > MAX_PASSWORD {
        bail!(
            "the passphrase in {} is longer than {MAX_PASSWORD} bytes",
            path.display()
        );
    }
    Ok(Zeroizing::new(line.to_vec()))
}

fn from_terminal(prompt: &str, confirm: bool) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    let mut tty = File::options()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|e| {
            anyhow!(
                "no terminal to ask for the passphrase on (/dev/tty: {e}); give it with \
                 --password-file FILE"
            )
        })?;
    let first = ask(&mut tty, prompt)?;
    if confirm {
        let again = ask(&mut tty, "Passphrase (again): ")?;
        if *first != *again {
            bail!("the two passphrases differ");
        }
    }
    Ok(first)
}

/// Restores the terminal's modes when dropped.
struct EchoOff<'a> {
    tty: &'a File,
    saved: Termios,
}

impl<'a> EchoOff<'a> {
    /// Echo, line editing and signal keys off: the line is edited here, so
    /// that Ctrl-C can restore the terminal before giving up.
    fn new(tty: &'a File) -> anyhow::Result<EchoOff<'a>> {
        let saved = termios::tcgetattr(tty).context("/dev/tty is not a terminal")?;
        let mut raw = saved.clone();
        raw.local_modes
            .remove(LocalModes::ECHO | LocalModes::ICANON | LocalModes::ISIG);
        raw.special_codes[SpecialCodeIndex::VMIN] = 1;
        raw.special_codes[SpecialCodeIndex::VTIME] = 0;
        termios::tcsetattr(tty, OptionalActions::Flush, &raw)
            .context("turning terminal echo off")?;
        Ok(EchoOff { tty, saved })
    }
}

impl Drop for EchoOff<'_> {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(self.tty, OptionalActions::Flush, &self.saved);
    }
}

/// Show `prompt`, read one line with echo off, end the prompt's line.
fn ask(tty: &mut File, prompt: &str) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    tty.write_all(prompt.as_bytes())?;
    tty.flush()?;
    let line = {
        let _echo = EchoOff::new(tty)?;
        read_line(&mut &*tty)
    };
    tty.write_all(b"\n")?;
    line
}

/// Read one line a byte at a time from a terminal in non-canonical mode,
/// handling what the line discipline would: Enter ends it, Backspace and
/// Ctrl-U edit it, Ctrl-C gives up, Ctrl-D on an empty line is the end.
fn read_line(input: &mut impl Read) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    let mut line = Zeroizing::new(Vec::new());
    let mut byte = [0u8; 1];
    loop {
        if input.read(&mut byte).context("reading the passphrase")? == 0 {
            bail!("no passphrase read (end of input)");
        }
        match byte[0] {
            b'\n' | b'\r' => return Ok(line),
            0x03 => bail!("interrupted"),
            0x04 if line.is_empty() => bail!("no passphrase read (end of input)"),
            0x7f | 0x08 => {
                // Remove one character: its UTF-8 continuation bytes too.
                while line.pop().is_some_and(|b| b & 0xc0 == 0x80) {}
            }
            0x15 => line.clear(),
            b => {
                if line.len() >= MAX_PASSWORD {
                    bail!("the passphrase is longer than {MAX_PASSWORD} bytes");
                }
                line.push(b);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_editing_keys_work_like_a_terminal() {
        let read = |input: &[u8]| read_line(&mut &input[..]).map(|l| l.to_vec());
        assert_eq!(read(b"secret\n").unwrap(), b"secret");
        assert_eq!(read(b"secret\r").unwrap(), b"secret");
        assert_eq!(read(b"secrex\x7ft\n").unwrap(), b"secret");
        assert_eq!(read("żx\x7f\x7fa\n".as_bytes()).unwrap(), b"a");
        assert_eq!(read(b"junk\x15ok\n").unwrap(), b"ok");
        assert_eq!(read(b"\n").unwrap(), b"");
        assert!(read(b"abc\x03\n").is_err());
        assert!(read(b"\x04").is_err());
        assert!(read(b"no newline").is_err());
    }

    #[test]
    fn password_file_gives_its_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "correct horse\r\nsecond line\n").unwrap();
        assert_eq!(
            read_password("unused", Some(&path), true).unwrap(),
            b"correct horse"
        );
        std::fs::write(&path, "no newline").unwrap();
        assert_eq!(
            read_password("unused", Some(&path), false).unwrap(),
            b"no newline"
        );
        std::fs::write(&path, "\nsecond").unwrap();
        assert!(read_password("unused", Some(&path), true).is_err());
        assert_eq!(read_password("unused", Some(&path), false).unwrap(), b"");
    }
}
