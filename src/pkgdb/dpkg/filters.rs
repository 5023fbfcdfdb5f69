//! dpkg path filters (package database stage): the `path-exclude` and
//! `path-include` options in the target's `etc/dpkg/dpkg.cfg.d/*` and
//! `etc/dpkg/dpkg.cfg`.
//!
//! Minimal images (Docker's Debian and Ubuntu, Ubuntu cloud-minimal)
//! exclude documentation, manual pages and translations this way. dpkg
//! still lists the excluded files in `.list` and `md5sums` but never
//! unpacks them, so such a file is allowed to be missing (if it is there,
//! it is verified), exactly as `debsums` treats it.
//!
//! Like dpkg, the last matching option wins, and patterns are `fnmatch(3)`
//! globs without flags: `*` and `?` match `/` too.
//!
//! ```
//! use rootaudit::pkgdb::dpkg::filters::PathFilters;
//! let mut f = PathFilters::default();
//! f.parse_config(b"path-exclude=/usr/share/doc/*\npath-include /usr/share/doc/*/copyright\n");
//! assert!(f.excludes(b"/usr/share/doc/dash/changelog.gz"));
//! assert!(!f.excludes(b"/usr/share/doc/dash/copyright"));
//! assert!(!f.excludes(b"/usr/bin/dash"));
//! ```

/// The filter options, in the order dpkg reads them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathFilters {
    /// `(include, pattern)`.
    rules: Vec<(bool, Vec<u8>)>,
}

impl PathFilters {
    /// Add the filter options of one configuration file (other options are
    /// ignored).
    pub fn parse_config(&mut self, data: &[u8]) {
        for line in data.split(|&b| b == b'\n') {
            let line = line.trim_ascii();
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            let line = line.strip_prefix(b"--").unwrap_or(line);
            let cut = line
                .iter()
                .position(|&b| b == b'=' || b.is_ascii_whitespace())
                .unwrap_or(line.len());
            let (name, value) = line.split_at(cut);
            let value = value.strip_prefix(b"=").unwrap_or(value).trim_ascii();
            let value = strip_quotes(value);
            let include = match name {
                b"path-include" => true,
                b"path-exclude" => false,
                _ => continue,
            };
            if !value.is_empty() {
                self.rules.push((include, value.to_vec()));
            }
        }
    }

    /// True when there are no filters.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// True when dpkg would not have unpacked `path`.
    pub fn excludes(&self, path: &[u8]) -> bool {
        self.rules
            .iter()
            .rev()
            .find(|(_, pat)| fnmatch(pat, path))
            .is_some_and(|(include, _)| !include)
    }
}

fn strip_quotes(v: &[u8]) -> &[u8] {
    for q in [b'"', b'\''] {
        if v.len() >= 2 && v[0] == q && v[v.len() - 1] == q {
            return &v[1..v.len() - 1];
        }
    }
    v
}

/// `fnmatch(pattern, s, 0)`: `*`, `?`, bracket expressions (`!` or `^`
/// negates, ranges), backslash escapes. Linear backtracking over the last
/// `*`, so hostile patterns cannot take exponential time.
pub fn fnmatch(pattern: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    star = Some((p + 1, i));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    i += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, next)) = bracket(pattern, p, s[i]) {
                        if matched {
                            p = next;
                            i += 1;
                            continue;
                        }
                    } else if s[i] == b'[' {
                        // An unterminated `[` is an ordinary character.
                        p += 1;
                        i += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pattern.len() => {
                    if pattern[p + 1] == s[i] {
                        p += 2;
                        i += 1;
                        continue;
                    }
                }
                c => {
                    if c == s[i] {
                        p += 1;
                        i += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, si)) => {
                p = sp;
                i = si + 1;
                star = Some((sp, si + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Match `c` against the bracket expression at `pattern[start]` (`[`):
/// `Some((matched, index after the expression))`, `None` when unterminated.
fn bracket(pattern: &[u8], start: usize, c: u8) -> Option<(bool, usize)> {
    let mut j = start + 1;
    let negate = matches!(pattern.get(j), Some(b'!') | Some(b'^'));
    if negate {
        j += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let &b = pattern.get(j)?;
        if b == b']' && !first {
            return Some((matched != negate, j + 1));
        }
        first = false;
        let lo = if b == b'\\' {
            j += 1;
            *pattern.get(j)?
        } else {
            b
        };
        if pattern.get(j + 1) == Some(&b'-') && pattern.get(j + 2).is_some_and(|&h| h != b']') {
            let hi = pattern[j + 2];
            matched |= lo <= c && c <= hi;
            j += 3;
        } else {
            matched |= lo == c;
            j += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(fnmatch(b"/usr/share/doc/*", b"/usr/share/doc/a/b/c"));
        assert!(!fnmatch(b"/usr/share/doc/*", b"/usr/share/doc"));
        assert!(fnmatch(
            b"/usr/share/man/??/*",
            b"/usr/share/man/de/man1/x.1.gz"
        ));
        assert!(fnmatch(
            b"/usr/share/locale/[a-c]*",
            b"/usr/share/locale/bg/x"
        ));
        assert!(!fnmatch(
            b"/usr/share/locale/[!a-c]*",
            b"/usr/share/locale/bg/x"
        ));
        assert!(fnmatch(b"/a\\*b", b"/a*b"));
        assert!(!fnmatch(b"/a\\*b", b"/axb"));
        assert!(fnmatch(b"/x[", b"/x["));
        assert!(fnmatch(b"*", b""));
        assert!(fnmatch(b"*a*a*a*a*a*b", b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"));
        assert!(!fnmatch(b"*a*a*a*a*a*b", &[b'a'; 4000]));
    }

    #[test]
    fn last_match_wins() {
        let mut f = PathFilters::default();
        f.parse_config(
            b"# Docker's excludes\npath-exclude /usr/share/doc/*\n\
              path-include=\"/usr/share/doc/*/copyright\"\nforce-unsafe-io\n\
              path-exclude=/usr/share/man/*\n",
        );
        assert!(f.excludes(b"/usr/share/doc/x/README"));
        assert!(!f.excludes(b"/usr/share/doc/x/copyright"));
        assert!(f.excludes(b"/usr/share/man/man1/ls.1.gz"));
        assert!(!f.excludes(b"/usr/bin/ls"));
        assert!(PathFilters::default().is_empty());
    }

    #[test]
    fn hostile_patterns_never_panic() {
        for p in [
            &b"["[..],
            b"[!",
            b"[a-",
            b"\\",
            b"[\\",
            b"[]",
            b"[]]",
            b"[!]a]",
        ] {
            for s in [&b""[..], b"a", b"]", b"[", b"\\"] {
                let _ = fnmatch(p, s);
            }
        }
    }
}
