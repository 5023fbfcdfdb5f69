//! A waiver file on disk with its signature: [`WaiverFile::load_verified`]
//! (read, verify, check the trusted comment, then parse) and
//! [`WaiverFile::write_signed`] (both files replaced atomically).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::{Origin, TrustedComment, WaiverError, WaiverFile};
use crate::sign::{PublicKey, SecretKey, Verified, verify};

/// Where the signature of the waiver file `path` is: `path` with
/// `.minisig` appended (`waivers.json.minisig`), as minisign expects.
pub fn signature_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".minisig");
    PathBuf::from(s)
}

impl WaiverFile {
    /// Read the waiver file `path` and its signature `path.minisig`,
    /// verify the signature with `key`, check that the trusted comment is a
    /// waiver file's ([`super::PURPOSE`]) and describes this very file
    /// (host, root, written, SHA-256), and only then parse it. Any failure
    /// is an error: nothing is ever silently ignored.
    pub fn load_verified(
        path: &Path,
        key: &PublicKey,
    ) -> Result<(WaiverFile, Verified), WaiverError> {
        let data = std::fs::read(path).map_err(|source| WaiverError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let sig_path = signature_path(path);
        let sig = match std::fs::read(&sig_path) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(WaiverError::SignatureMissing {
                    file: path.to_path_buf(),
                    signature: sig_path,
                });
            }
            Err(source) => {
                return Err(WaiverError::Read {
                    path: sig_path,
                    source,
                });
            }
        };
        // A signature file that is not text is as malformed as one that is
        // text in the wrong shape: the verifier says so.
        let sig = String::from_utf8_lossy(&sig);
        let verified = verify(key, &data, &sig).map_err(|source| WaiverError::Signature {
            file: path.to_path_buf(),
            key_id: key.key_id(),
            source,
        })?;
        let comment = TrustedComment::parse(path, &verified.trusted_comment)?;
        let mut file = WaiverFile::from_bytes(&data).map_err(|source| WaiverError::Format {
            path: path.to_path_buf(),
            source,
        })?;
        comment.check(
            path,
            file.host.as_bytes(),
            file.root.as_bytes(),
            file.written,
            &data,
        )?;
        file.origin = Some(Origin {
            file: path.to_path_buf(),
            key_id: verified.key_id.clone(),
            trusted_comment: verified.trusted_comment.clone(),
        });
        Ok((file, verified))
    }

    /// Write the file to `path` and its signature by `key` to
    /// `path.minisig` (trusted comment: [`TrustedComment`]). Each is
    /// written to a temporary file in the same folder and renamed over
    /// the old one, the file first: a reader sees the old pair, the new
    /// pair, or for a moment a new file with the old signature (which does
    /// not verify) — never a torn file.
    pub fn write_signed(&self, path: &Path, key: &SecretKey) -> Result<(), WaiverError> {
        let data = self.to_bytes();
        let comment = TrustedComment::new(
            self.host.as_bytes(),
            self.root.as_bytes(),
            self.written,
            &data,
        )
        .render();
        let untrusted = format!(
            "signature from rootaudit secret key {}",
            key.public_key().key_id()
        );
        let sig = key
            .sign(&data, &untrusted, &comment)
            .map_err(|source| WaiverError::Sign {
                path: path.to_path_buf(),
                source,
            })?;
        let sig_path = signature_path(path);
        let data_tmp = staged(path, &data)?;
        let sig_tmp = staged(&sig_path, sig.as_bytes())?;
        persist(data_tmp, path)?;
        persist(sig_tmp, &sig_path)?;
        if let Ok(dir) = std::fs::File::open(folder(path)) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

/// The folder `path` is in (`.` for a bare name).
fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// `data` in a synced temporary file beside `path`, readable by all (a
/// waiver file is no secret), ready to be renamed over it.
fn staged(path: &Path, data: &[u8]) -> Result<tempfile::NamedTempFile, WaiverError> {
    use std::os::unix::fs::PermissionsExt;
    let err = |source| WaiverError::Write {
        path: path.to_path_buf(),
        source,
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(folder(path))
        .map_err(err)?;
    tmp.write_all(data).map_err(err)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    Ok(tmp)
}

/// Rename a staged file over `path`.
fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> Result<(), WaiverError> {
    tmp.persist(path).map(drop).map_err(|e| WaiverError::Write {
        path: path.to_path_buf(),
        source: e.error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Decision, Verdict};
    use crate::waiver::tests::changed;
    use crate::waiver::{Subject, signature_path};

    fn signed_file() -> (tempfile::TempDir, PathBuf, SecretKey, WaiverFile) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("waivers.json");
        let sk = SecretKey::generate().unwrap();
        let mut w = WaiverFile::new("host a", "/mnt/sys");
        w.decide_finding(
            &changed("/etc/x", b"1", b"2"),
            Decision {
                verdict: Verdict::Accepted,
                reason: "ok".into(),
                at: 1,
                expires: None,
            },
        );
        w.write_signed(&path, &sk).unwrap();
        (dir, path, sk, w)
    }

    #[test]
    fn written_files_load_back_verified() {
        let (dir, path, sk, w) = signed_file();
        let (back, v) = WaiverFile::load_verified(&path, &sk.public_key()).unwrap();
        assert_eq!(
            back.waivers().collect::<Vec<_>>(),
            w.waivers().collect::<Vec<_>>()
        );
        assert_eq!(v.key_id, sk.public_key().key_id());
        let o = back.origin().unwrap();
        assert_eq!(o.file, path);
        assert_eq!(o.trusted_comment, v.trusted_comment);
        assert!(
            v.trusted_comment
                .starts_with("rootaudit-waivers host=host%20a root=/mnt/sys written="),
            "{}",
            v.trusted_comment
        );
        let f = changed("/etc/x", b"1", b"2");
        assert!(back.lookup(&Subject::of(&f), 2).is_some());
        // Only the two files are left: no temporary file behind.
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["waivers.json", "waivers.json.minisig"]);
    }

    #[test]
    fn tampering_a_missing_signature_and_another_key_are_errors() {
        let (_dir, path, sk, _) = signed_file();
        let pk = sk.public_key();

        let other = SecretKey::generate().unwrap().public_key();
        assert!(matches!(
            WaiverFile::load_verified(&path, &other),
            Err(WaiverError::Signature { .. })
        ));

        let mut data = std::fs::read(&path).unwrap();
        let at = data.iter().position(|&b| b == b'o').unwrap();
        data[at] = b'0';
        let good = std::fs::read(&path).unwrap();
        std::fs::write(&path, &data).unwrap();
        assert!(matches!(
            WaiverFile::load_verified(&path, &pk),
            Err(WaiverError::Signature { .. })
        ));
        std::fs::write(&path, good).unwrap();
        WaiverFile::load_verified(&path, &pk).unwrap();

        std::fs::remove_file(signature_path(&path)).unwrap();
        let e = WaiverFile::load_verified(&path, &pk).unwrap_err();
        assert!(matches!(e, WaiverError::SignatureMissing { .. }), "{e}");
        assert!(e.to_string().contains("waivers.json.minisig"), "{e}");
    }

    #[test]
    fn another_purpose_is_refused_even_when_signed() {
        let (_dir, path, sk, _) = signed_file();
        let data = std::fs::read(&path).unwrap();
        let sig = sk
            .sign(&data, "x", "rootaudit-report host=a root=/")
            .unwrap();
        std::fs::write(signature_path(&path), sig).unwrap();
        let e = WaiverFile::load_verified(&path, &sk.public_key()).unwrap_err();
        assert!(matches!(e, WaiverError::Purpose { .. }), "{e}");
    }

    #[test]
    fn a_comment_of_another_file_is_refused() {
        let (_dir, path, sk, w) = signed_file();
        let data = std::fs::read(&path).unwrap();
        let comment = TrustedComment::new(b"host a", b"/other", w.written(), &data).render();
        let sig = sk.sign(&data, "x", &comment).unwrap();
        std::fs::write(signature_path(&path), sig).unwrap();
        let e = WaiverFile::load_verified(&path, &sk.public_key()).unwrap_err();
        assert!(
            matches!(e, WaiverError::CommentMismatch { field: "root", .. }),
            "{e}"
        );
    }
}
