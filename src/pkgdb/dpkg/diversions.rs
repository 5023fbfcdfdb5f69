//! dpkg diversions (package database stage): `var/lib/dpkg/diversions`,
//! triples of lines `FROM`, `TO`, `PACKAGE` (`:` for a local diversion made
//! by the administrator).
//!
//! A diversion moves every *other* package's file away from `FROM` to `TO`;
//! the diverting package's own file stays at `FROM`. So a file a package
//! registered at `FROM` is verified at `TO` unless that package made the
//! diversion itself, exactly as `debsums` does.
//!
//! ```
//! use rootaudit::pkgdb::dpkg::diversions::Diversions;
//! let d = Diversions::parse(b"/bin/sh\n/bin/sh.distrib\ndash\n");
//! assert_eq!(d.apply(b"/bin/sh", "bash"), b"/bin/sh.distrib");
//! assert_eq!(d.apply(b"/bin/sh", "dash"), b"/bin/sh");
//! ```

use std::collections::HashMap;

/// One diversion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diversion {
    /// Where other packages' file is diverted to.
    pub to: Vec<u8>,
    /// The diverting package, `None` for a local diversion.
    pub by: Option<String>,
}

/// Every diversion, by the diverted path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diversions {
    by_from: HashMap<Vec<u8>, Diversion>,
    /// Trailing lines that do not make a whole triple, or triples whose
    /// paths are not absolute (count of lines ignored).
    pub bad_lines: u64,
}

impl Diversions {
    /// Parse the diversions file.
    pub fn parse(data: &[u8]) -> Diversions {
        let data = data.strip_suffix(b"\n").unwrap_or(data);
        let lines: Vec<&[u8]> = if data.is_empty() {
            Vec::new()
        } else {
            data.split(|&b| b == b'\n').collect()
        };
        let mut out = Diversions::default();
        let mut chunks = lines.chunks_exact(3);
        for t in &mut chunks {
            let (from, to, by) = (t[0], t[1], t[2]);
            if from.first() != Some(&b'/') || to.first() != Some(&b'/') || by.is_empty() {
                out.bad_lines += 3;
                continue;
            }
            let by = if by == b":" {
                None
            } else {
                Some(String::from_utf8_lossy(by).into_owned())
            };
            out.by_from.insert(
                from.to_vec(),
                Diversion {
                    to: to.to_vec(),
                    by,
                },
            );
        }
        out.bad_lines += chunks.remainder().len() as u64;
        out
    }

    /// Number of diversions.
    pub fn len(&self) -> usize {
        self.by_from.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.by_from.is_empty()
    }

    /// The diversion of `path`, if any.
    pub fn get(&self, path: &[u8]) -> Option<&Diversion> {
        self.by_from.get(path)
    }

    /// Where `package`'s file registered at `path` actually is.
    pub fn apply<'a>(&'a self, path: &'a [u8], package: &str) -> &'a [u8] {
        match self.by_from.get(path) {
            Some(d) if d.by.as_deref() != Some(package) => &d.to,
            _ => path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_and_package_diversions() {
        let d = Diversions::parse(b"/usr/bin/a\n/usr/bin/a.real\n:\n/b\n/b.x\npkg\n/trailing\n");
        assert_eq!(d.len(), 2);
        assert_eq!(d.apply(b"/usr/bin/a", "anything"), b"/usr/bin/a.real");
        assert_eq!(d.apply(b"/b", "pkg"), b"/b");
        assert_eq!(d.apply(b"/b", "other"), b"/b.x");
        assert_eq!(d.apply(b"/c", "other"), b"/c");
        assert_eq!(d.bad_lines, 1);
        assert!(Diversions::parse(b"").is_empty());
        assert_eq!(Diversions::parse(b"x\n/y\np\n").bad_lines, 3);
    }
}
