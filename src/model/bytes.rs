//! [`Bytes`]: a raw byte string from the target (a path, a link target, a
//! name), kept exactly as read.
//!
//! Serialised the way ripgrep's JSON printer carries data: valid UTF-8 as a
//! JSON string, anything else as `{"bytes": "<base64>"}`, so a reader gets
//! every byte back. Never escaped here: only the terminal writer escapes.

use std::borrow::Cow;
use std::fmt;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// Raw bytes from the target.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes as a path.
    pub fn as_path(&self) -> &Path {
        Path::new(std::ffi::OsStr::from_bytes(&self.0))
    }

    /// Lossy text, for places that only compare or sort (never for output).
    pub fn to_str_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_str_lossy())
    }
}

impl From<&[u8]> for Bytes {
    fn from(b: &[u8]) -> Bytes {
        Bytes(b.to_vec())
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(b: Vec<u8>) -> Bytes {
        Bytes(b)
    }
}

impl From<&str> for Bytes {
    fn from(s: &str) -> Bytes {
        Bytes(s.as_bytes().to_vec())
    }
}

impl From<String> for Bytes {
    fn from(s: String) -> Bytes {
        Bytes(s.into_bytes())
    }
}

impl From<&Path> for Bytes {
    fn from(p: &Path) -> Bytes {
        Bytes(p.as_os_str().as_bytes().to_vec())
    }
}

impl From<PathBuf> for Bytes {
    fn from(p: PathBuf) -> Bytes {
        Bytes(p.into_os_string().into_vec())
    }
}

impl PartialEq<str> for Bytes {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

#[derive(Serialize, Deserialize)]
struct Encoded {
    bytes: String,
}

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(text) => s.serialize_str(text),
            Err(_) => Encoded {
                bytes: base64::engine::general_purpose::STANDARD.encode(&self.0),
            }
            .serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Text(String),
            Encoded(Encoded),
        }
        match Either::deserialize(d)? {
            Either::Text(t) => Ok(Bytes(t.into_bytes())),
            Either::Encoded(e) => base64::engine::general_purpose::STANDARD
                .decode(e.bytes)
                .map(Bytes)
                .map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_a_string_and_anything_else_base64() {
        let t = Bytes::from("/usr/bin/ls");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"/usr/bin/ls\"");
        let hostile = Bytes(b"/tmp/\x1b]0;x\x07\n\xff".to_vec());
        let json = serde_json::to_string(&hostile).unwrap();
        assert!(json.starts_with("{\"bytes\":"), "{json}");
        let back: Bytes = serde_json::from_str(&json).unwrap();
        assert_eq!(back, hostile);
        // Valid UTF-8 with control characters stays a (JSON-escaped) string.
        let ctl = Bytes(b"a\x1bb".to_vec());
        let back: Bytes = serde_json::from_str(&serde_json::to_string(&ctl).unwrap()).unwrap();
        assert_eq!(back, ctl);
    }
}
