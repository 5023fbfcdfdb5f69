//! minisign signature files: making one ([`SecretKey::sign`], or
//! [`SecretKey::sign_reader`] for data read as a stream) and checking one
//! ([`verify`], [`verify_reader`]): key id, the signature over the data (or
//! its BLAKE2b-512 hash), then the global signature over signature ‖
//! trusted comment.

use std::io::Read;

use blake2::Digest as _;
use ed25519_dalek::{Signature, Signer as _};

use super::key::{KEYNUM_LEN, PublicKey, SecretKey, key_id_text};
use super::text::{self, TRUSTED_PREFIX, UNTRUSTED_PREFIX};
use super::{AlgorithmField, CommentKind, Element, MAX_TRUSTED_COMMENT, SignError};

/// Signature algorithm: Ed25519 over the BLAKE2b-512 hash of the data
/// (what minisign makes by default).
const ALG_HASHED: [u8; 2] = *b"ED";
/// Signature algorithm: Ed25519 over the data itself (minisign `-l`,
/// still accepted).
const ALG_LEGACY: [u8; 2] = *b"Ed";
/// Algorithm ‖ key id ‖ signature.
const SIG_LEN: usize = 2 + KEYNUM_LEN + 64;

/// What a signature signs: the data's hash, or the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Hashed,
    Legacy,
}

/// What a good signature vouches for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The id of the key that made it (16 upper-case hex digits).
    pub key_id: String,
    /// The trusted comment, now known to come from the key's holder.
    /// Raw: not escaped for a terminal (it has no control characters
    /// other than tab, but can hold any other Unicode).
    pub trusted_comment: String,
}

/// A parsed signature file, nothing checked but its shape.
struct SignatureFile<'a> {
    mode: Mode,
    keynum: [u8; KEYNUM_LEN],
    signature: Signature,
    trusted_comment: &'a str,
    global: Signature,
}

impl<'a> SignatureFile<'a> {
    fn parse(text: &'a str) -> Result<SignatureFile<'a>, SignError> {
        let lines = text::lines(text);
        let line =
            |i: usize, what: Element| lines.get(i).copied().ok_or(SignError::Malformed { what });
        if lines.len() > 4 {
            return Err(SignError::Malformed {
                what: Element::TrailingData,
            });
        }
        text::untrusted_comment(line(0, Element::UntrustedComment)?)?;
        let raw: [u8; SIG_LEN] = text::decode(line(1, Element::Signature)?, Element::Signature)?;
        let (alg, rest) = raw.split_at(2);
        let mode = match [alg[0], alg[1]] {
            ALG_HASHED => Mode::Hashed,
            ALG_LEGACY => Mode::Legacy,
            found => {
                return Err(SignError::UnsupportedAlgorithm {
                    field: AlgorithmField::Signature,
                    found,
                });
            }
        };
        let (keynum, sig) = rest.split_at(KEYNUM_LEN);
        let malformed = || SignError::Malformed {
            what: Element::Signature,
        };
        let trusted_comment = line(2, Element::TrustedComment)?
            .strip_prefix(TRUSTED_PREFIX)
            .filter(|c| text::printable(c) && c.len() <= MAX_TRUSTED_COMMENT)
            .ok_or(SignError::Malformed {
                what: Element::TrustedComment,
            })?;
        let global: [u8; 64] =
            text::decode(line(3, Element::GlobalSignature)?, Element::GlobalSignature)?;
        Ok(SignatureFile {
            mode,
            keynum: keynum.try_into().map_err(|_| malformed())?,
            signature: Signature::from_slice(sig).map_err(|_| malformed())?,
            trusted_comment,
            global: Signature::from_bytes(&global),
        })
    }
}

/// BLAKE2b-512 of `data`: what an `ED` signature signs.
fn prehash(data: &[u8]) -> [u8; 64] {
    blake2::Blake2b512::digest(data).into()
}

/// BLAKE2b-512 of everything `data` reads, through one fixed buffer.
fn prehash_reader(mut data: impl Read) -> Result<[u8; 64], SignError> {
    let mut h = blake2::Blake2b512::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match data.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(SignError::Read(e)),
        }
    }
    Ok(h.finalize().into())
}

/// Check `signature_text` (a `.minisig` file's content) for `data` with
/// `key`: the key id must be the key's, the signature must match the data
/// (prehashed `ED`, or legacy `Ed`), and the global signature must cover
/// the signature and the trusted comment. Only then is the trusted comment
/// handed back.
pub fn verify(key: &PublicKey, data: &[u8], signature_text: &str) -> Result<Verified, SignError> {
    let file = SignatureFile::parse(signature_text)?;
    check_key(key, &file)?;
    match file.mode {
        Mode::Hashed => check(key, &file, &prehash(data)),
        Mode::Legacy => check(key, &file, data),
    }
}

/// [`verify`] for data read from `data` (a large report): a prehashed
/// (`ED`) signature hashes it as it is read, in one fixed buffer; only a
/// legacy (`Ed`) signature, which signs the data itself, needs it whole in
/// memory. The signature file is parsed and its key id checked before any
/// data is read. A read error is [`SignError::Read`].
pub fn verify_reader(
    key: &PublicKey,
    mut data: impl Read,
    signature_text: &str,
) -> Result<Verified, SignError> {
    let file = SignatureFile::parse(signature_text)?;
    check_key(key, &file)?;
    match file.mode {
        Mode::Hashed => check(key, &file, &prehash_reader(data)?),
        Mode::Legacy => {
            let mut all = Vec::new();
            data.read_to_end(&mut all).map_err(SignError::Read)?;
            check(key, &file, &all)
        }
    }
}

/// The signature must name `key`'s id.
fn check_key(key: &PublicKey, file: &SignatureFile<'_>) -> Result<(), SignError> {
    if file.keynum != key.keynum {
        return Err(SignError::WrongKey {
            expected: key.key_id(),
            found: key_id_text(&file.keynum),
        });
    }
    Ok(())
}

/// Check the signature over `signed` (the hash or the data, as the file's
/// algorithm says), then the global signature.
fn check(key: &PublicKey, file: &SignatureFile<'_>, signed: &[u8]) -> Result<Verified, SignError> {
    key.key
        .verify_strict(signed, &file.signature)
        .map_err(|_| SignError::BadSignature)?;
    let mut global_message = file.signature.to_bytes().to_vec();
    global_message.extend_from_slice(file.trusted_comment.as_bytes());
    key.key
        .verify_strict(&global_message, &file.global)
        .map_err(|_| SignError::BadGlobalSignature)?;
    Ok(Verified {
        key_id: key.key_id(),
        trusted_comment: file.trusted_comment.to_string(),
    })
}

impl SecretKey {
    /// Sign `data`: the `.minisig` file's content, in minisign's default
    /// (prehashed, `ED`) form. Both comments must be one line of printable
    /// text that minisign reads back whole ([`SignError::Comment`]).
    pub fn sign(
        &self,
        data: &[u8],
        untrusted_comment: &str,
        trusted_comment: &str,
    ) -> Result<String, SignError> {
        self.sign_as(Mode::Hashed, data, untrusted_comment, trusted_comment)
    }

    /// [`SecretKey::sign`] for data read from `data` (a large report),
    /// hashed as it is read in one fixed buffer: the same signature as
    /// `sign` over the same bytes. The comments are checked before any
    /// data is read; a read error is [`SignError::Read`].
    pub fn sign_reader(
        &self,
        data: impl Read,
        untrusted_comment: &str,
        trusted_comment: &str,
    ) -> Result<String, SignError> {
        text::check_comment(CommentKind::Untrusted, untrusted_comment)?;
        text::check_comment(CommentKind::Trusted, trusted_comment)?;
        let signature = self.key.sign(&prehash_reader(data)?);
        Ok(self.signature_file(ALG_HASHED, signature, untrusted_comment, trusted_comment))
    }

    fn sign_as(
        &self,
        mode: Mode,
        data: &[u8],
        untrusted_comment: &str,
        trusted_comment: &str,
    ) -> Result<String, SignError> {
        text::check_comment(CommentKind::Untrusted, untrusted_comment)?;
        text::check_comment(CommentKind::Trusted, trusted_comment)?;
        let (alg, signature) = match mode {
            Mode::Hashed => (ALG_HASHED, self.key.sign(&prehash(data))),
            Mode::Legacy => (ALG_LEGACY, self.key.sign(data)),
        };
        Ok(self.signature_file(alg, signature, untrusted_comment, trusted_comment))
    }

    /// The file's text: the signature line, then the global signature over
    /// the signature and the (already checked) trusted comment.
    fn signature_file(
        &self,
        alg: [u8; 2],
        signature: Signature,
        untrusted_comment: &str,
        trusted_comment: &str,
    ) -> String {
        let mut sig_line = Vec::with_capacity(SIG_LEN);
        sig_line.extend_from_slice(&alg);
        sig_line.extend_from_slice(&self.keynum);
        sig_line.extend_from_slice(&signature.to_bytes());
        let mut global_message = signature.to_bytes().to_vec();
        global_message.extend_from_slice(trusted_comment.as_bytes());
        let global = self.key.sign(&global_message);
        format!(
            "{UNTRUSTED_PREFIX}{untrusted_comment}\n{}\n{TRUSTED_PREFIX}{trusted_comment}\n{}\n",
            text::encode(&sig_line),
            text::encode(&global.to_bytes())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATA: &[u8] = b"waiver: /etc/motd changed on purpose\n";

    fn signed() -> (SecretKey, String) {
        let sk = SecretKey::generate().unwrap();
        let sig = sk
            .sign(
                DATA,
                "signature from rootaudit",
                "timestamp:1700000000\tfile:w",
            )
            .unwrap();
        (sk, sig)
    }

    /// The signature file with its line `n` (0-based) decoded, changed by
    /// `f`, and encoded again.
    fn with_line_bytes(sig: &str, n: usize, f: impl FnOnce(&mut Vec<u8>)) -> String {
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::STANDARD;
        let mut lines: Vec<String> = sig.lines().map(str::to_string).collect();
        let mut bytes = engine.decode(&lines[n]).unwrap();
        f(&mut bytes);
        lines[n] = engine.encode(&bytes);
        lines.join("\n") + "\n"
    }

    #[test]
    fn sign_then_verify_round_trips() {
        let (sk, sig) = signed();
        let lines: Vec<&str> = sig.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], "untrusted comment: signature from rootaudit");
        assert_eq!(lines[2], "trusted comment: timestamp:1700000000\tfile:w");
        let v = verify(&sk.public_key(), DATA, &sig).unwrap();
        assert_eq!(
            v,
            Verified {
                key_id: sk.key_id(),
                trusted_comment: "timestamp:1700000000\tfile:w".into(),
            }
        );
        // The default algorithm is the prehashed one.
        with_line_bytes(&sig, 1, |b| assert_eq!(&b[..2], b"ED"));
        // CRLF line ends and a missing final newline are read like minisign.
        let crlf = sig.replace('\n', "\r\n");
        assert!(verify(&sk.public_key(), DATA, &crlf).is_ok());
        assert!(verify(&sk.public_key(), DATA, sig.trim_end()).is_ok());
    }

    #[test]
    fn empty_data_and_empty_trusted_comment_round_trip() {
        let sk = SecretKey::generate().unwrap();
        let sig = sk.sign(b"", "", "").unwrap();
        assert_eq!(
            verify(&sk.public_key(), b"", &sig).unwrap().trusted_comment,
            ""
        );
    }

    #[test]
    fn a_changed_byte_of_data_fails() {
        let (sk, sig) = signed();
        for i in [0, DATA.len() / 2, DATA.len() - 1] {
            let mut data = DATA.to_vec();
            data[i] ^= 0x01;
            assert!(matches!(
                verify(&sk.public_key(), &data, &sig),
                Err(SignError::BadSignature)
            ));
        }
        assert!(matches!(
            verify(&sk.public_key(), &DATA[1..], &sig),
            Err(SignError::BadSignature)
        ));
    }

    #[test]
    fn a_changed_signature_byte_fails() {
        let (sk, sig) = signed();
        let changed = with_line_bytes(&sig, 1, |b| b[20] ^= 0x01);
        assert!(matches!(
            verify(&sk.public_key(), DATA, &changed),
            Err(SignError::BadSignature)
        ));
    }

    #[test]
    fn a_changed_trusted_comment_fails_the_global_signature() {
        let (sk, sig) = signed();
        let changed = sig.replace("timestamp:1700000000", "timestamp:1800000000");
        assert!(matches!(
            verify(&sk.public_key(), DATA, &changed),
            Err(SignError::BadGlobalSignature)
        ));
        let changed = with_line_bytes(&sig, 3, |b| b[0] ^= 0x80);
        assert!(matches!(
            verify(&sk.public_key(), DATA, &changed),
            Err(SignError::BadGlobalSignature)
        ));
    }

    #[test]
    fn the_untrusted_comment_is_not_covered() {
        let (sk, sig) = signed();
        let changed = sig.replace("signature from rootaudit", "anything at all");
        assert!(verify(&sk.public_key(), DATA, &changed).is_ok());
    }

    #[test]
    fn another_key_is_named_by_id() {
        let (sk, sig) = signed();
        let other = SecretKey::generate().unwrap().public_key();
        match verify(&other, DATA, &sig) {
            Err(SignError::WrongKey { expected, found }) => {
                assert_eq!(expected, other.key_id());
                assert_eq!(found, sk.key_id());
            }
            r => panic!("{r:?}"),
        }
        // Another key that claims this key's id still fails.
        let impostor = PublicKey {
            keynum: sk.keynum,
            key: other.key,
        };
        assert!(matches!(
            verify(&impostor, DATA, &sig),
            Err(SignError::BadSignature)
        ));
    }

    #[test]
    fn legacy_signatures_are_accepted() {
        let sk = SecretKey::generate().unwrap();
        let sig = sk
            .sign_as(Mode::Legacy, DATA, "legacy", "legacy comment")
            .unwrap();
        with_line_bytes(&sig, 1, |b| assert_eq!(&b[..2], b"Ed"));
        let v = verify(&sk.public_key(), DATA, &sig).unwrap();
        assert_eq!(v.trusted_comment, "legacy comment");
        assert!(matches!(
            verify(&sk.public_key(), b"other", &sig),
            Err(SignError::BadSignature)
        ));
        // The algorithm byte is bound to what was signed.
        let relabelled = with_line_bytes(&sig, 1, |b| b[..2].copy_from_slice(b"ED"));
        assert!(matches!(
            verify(&sk.public_key(), DATA, &relabelled),
            Err(SignError::BadSignature)
        ));
    }

    #[test]
    fn unknown_algorithms_and_broken_files_are_typed() {
        let (sk, sig) = signed();
        let pk = sk.public_key();
        let unknown = with_line_bytes(&sig, 1, |b| b[..2].copy_from_slice(b"XX"));
        assert!(matches!(
            verify(&pk, DATA, &unknown),
            Err(SignError::UnsupportedAlgorithm {
                field: AlgorithmField::Signature,
                found: [b'X', b'X'],
            })
        ));
        let lines: Vec<&str> = sig.lines().collect();
        let cases = [
            (String::new(), Element::UntrustedComment),
            (lines[..1].join("\n"), Element::Signature),
            (lines[..2].join("\n"), Element::TrustedComment),
            (lines[..3].join("\n"), Element::GlobalSignature),
            (
                sig.replacen("untrusted comment: ", "comment: ", 1),
                Element::UntrustedComment,
            ),
            (
                sig.replacen("trusted comment: t", "trusted: t", 1),
                Element::TrustedComment,
            ),
            (sig.replace("\tfile", "\u{1b}file"), Element::TrustedComment),
            (format!("{sig}extra\n"), Element::TrailingData),
            (sig.replace(lines[3], "@@@@"), Element::GlobalSignature),
            (sig.replace(lines[1], &lines[1][4..]), Element::Signature),
        ];
        for (text, what) in cases {
            match verify(&pk, DATA, &text) {
                Err(SignError::Malformed { what: w }) => assert_eq!(w, what, "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn comments_that_break_the_format_are_refused() {
        let sk = SecretKey::generate().unwrap();
        for (u, t, which) in [
            ("ok", "two\nlines", CommentKind::Trusted),
            ("ok", "carriage\rreturn", CommentKind::Trusted),
            ("ok", "escape\u{1b}[2J", CommentKind::Trusted),
            ("two\nlines", "ok", CommentKind::Untrusted),
        ] {
            match sk.sign(DATA, u, t) {
                Err(SignError::Comment { which: w, .. }) => assert_eq!(w, which),
                other => panic!("{u:?} {t:?}: {other:?}"),
            }
        }
        let long = "x".repeat(MAX_TRUSTED_COMMENT + 1);
        assert!(sk.sign(DATA, "ok", &long).is_err());
        let longest = "x".repeat(MAX_TRUSTED_COMMENT);
        let sig = sk.sign(DATA, "ok", &longest).unwrap();
        assert!(verify(&sk.public_key(), DATA, &sig).is_ok());
    }

    /// Hands out at most 7 bytes a read, and is interrupted once.
    struct Trickle<'a> {
        data: &'a [u8],
        interrupted: bool,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if !self.interrupted {
                self.interrupted = true;
                return Err(std::io::ErrorKind::Interrupted.into());
            }
            let n = buf.len().min(7).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn trickle(data: &[u8]) -> Trickle<'_> {
        Trickle {
            data,
            interrupted: false,
        }
    }

    /// Fails every read.
    struct Broken;

    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk on fire"))
        }
    }

    #[test]
    fn streamed_signing_and_verifying_match_the_buffered_ones() {
        let sk = SecretKey::generate().unwrap();
        let pk = sk.public_key();
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let sig = sk.sign_reader(trickle(&big), "u", "t").unwrap();
        // Ed25519 is deterministic: the same bytes give the same file.
        assert_eq!(sig, sk.sign(&big, "u", "t").unwrap());
        assert_eq!(verify(&pk, &big, &sig).unwrap().trusted_comment, "t");
        assert_eq!(
            verify_reader(&pk, trickle(&big), &sig)
                .unwrap()
                .trusted_comment,
            "t"
        );
        let mut changed = big.clone();
        changed[123_456] ^= 1;
        assert!(matches!(
            verify_reader(&pk, trickle(&changed), &sig),
            Err(SignError::BadSignature)
        ));
        // A legacy signature is checked over the data itself.
        let legacy = sk.sign_as(Mode::Legacy, &big, "u", "legacy").unwrap();
        assert!(verify_reader(&pk, trickle(&big), &legacy).is_ok());
        assert!(matches!(
            verify_reader(&pk, trickle(&changed), &legacy),
            Err(SignError::BadSignature)
        ));
    }

    #[test]
    fn streamed_read_errors_and_bad_comments_are_typed() {
        let sk = SecretKey::generate().unwrap();
        assert!(matches!(
            sk.sign_reader(Broken, "u", "t"),
            Err(SignError::Read(_))
        ));
        let (sk2, sig) = signed();
        assert!(matches!(
            verify_reader(&sk2.public_key(), Broken, &sig),
            Err(SignError::Read(_))
        ));
        // The comment is refused before the data is read.
        assert!(matches!(
            sk.sign_reader(Broken, "u", "two\nlines"),
            Err(SignError::Comment { .. })
        ));
        // So is another key's signature.
        assert!(matches!(
            verify_reader(&sk.public_key(), Broken, &sig),
            Err(SignError::WrongKey { .. })
        ));
    }

    #[test]
    fn a_signature_made_from_a_reloaded_key_verifies() {
        let sk = SecretKey::generate().unwrap();
        let reloaded = SecretKey::parse(&sk.to_file_text(None, "k").unwrap(), None).unwrap();
        let pk = PublicKey::parse(&sk.public_key().to_file_text("p")).unwrap();
        let sig = reloaded.sign(DATA, "u", "t").unwrap();
        assert!(verify(&pk, DATA, &sig).is_ok());
    }
}
