//! Bytecode rules (check stage, `bytecode`): what one pyc found by
//! [`super::discover`] is, and how bad that is.
//!
//! Main type: [`Classifier`], whose `pyc` method applies the rules of the
//! table in [`super`] in order, the first that applies winning: a header no
//! installed CPython accepts (or none at all: `rejected`), a legacy pyc
//! without source (critical when the default `sys.path` imports it, see
//! [`default_path_module`]), a cache entry whose source is gone, a cache
//! tag of another version, an unchecked hash, a header that disagrees
//! with the source ([`HeaderMismatch`]), and code importing modules the
//! source never names ([`imports_missing_from`]).

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::discover::{Candidate, PackagedCode};
use super::pyc::{self, Invalidation, PyVersion, PycError, PycHeader};
use super::{MAX_PYC_BYTES, MAX_SOURCE_BYTES, marshal};
use crate::check::walk::{Ownership, is_absent};
use crate::model::evidence::bytecode::{
    BytecodeEvidence, BytecodeReason, CodeState, HeaderMismatch,
};
use crate::model::{About, Bytes, Evidence, Finding, FindingKind, Severity, Unread};
use crate::pkgdb::OwnershipIndex;
use crate::rootfs::{FileStat, Root};

/// A Python identifier (ASCII rules, plus any non-ASCII letter).
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

fn is_pythonxy(s: &str) -> bool {
    s.strip_prefix("python")
        .and_then(PyVersion::parse)
        .is_some()
}

/// Whether `dir` (components after `/`) is a directory the default
/// `sys.path` of some CPython contains: `/usr/lib*/pythonX.Y` (with
/// `lib-dynload`, `site-packages`, `dist-packages`),
/// `/usr/lib*/python3/dist-packages`, `/usr/local/lib*/pythonX.Y/{site,dist}-packages`,
/// and the user sites under `/root` and `/home/*`.
fn is_default_path_dir(c: &[&str]) -> bool {
    let lib = |s: &str| s.starts_with("lib");
    let site = |s: &str| s == "site-packages" || s == "dist-packages";
    match c {
        ["usr", l, py] => lib(l) && is_pythonxy(py),
        ["usr", l, py, sub] => {
            lib(l)
                && ((is_pythonxy(py) && (site(sub) || *sub == "lib-dynload"))
                    || ((*py == "python3" || *py == "python2") && *sub == "dist-packages"))
        }
        ["usr", "local", l, py, sub] => lib(l) && is_pythonxy(py) && site(sub),
        ["root", ".local", "lib", py, "site-packages"] => is_pythonxy(py),
        ["home", _, ".local", "lib", py, "site-packages"] => is_pythonxy(py),
        _ => false,
    }
}

/// The dotted module name under which the default `sys.path` imports the
/// legacy pyc at `path`, if any.
fn default_path_module(path: &Path) -> Option<String> {
    let comps: Vec<&str> = path
        .components()
        .skip(1)
        .map(|c| c.as_os_str().to_str())
        .collect::<Option<_>>()?;
    let (file, dirs) = comps.split_last()?;
    let stem = file.strip_suffix(".pyc")?;
    for cut in 0..=dirs.len() {
        let (base, pkg) = dirs.split_at(cut);
        if !is_default_path_dir(base) || !pkg.iter().all(|d| is_identifier(d)) {
            continue;
        }
        if stem == "__init__" {
            if pkg.is_empty() {
                continue;
            }
            return Some(pkg.join("."));
        }
        if !is_identifier(stem) {
            return None;
        }
        let mut parts: Vec<&str> = pkg.to_vec();
        parts.push(stem);
        return Some(parts.join("."));
    }
    None
}

/// Import names of a pyc that its source never mentions (each dotted
/// component must appear in the source text; names with characters no
/// identifier has are not judged).
fn imports_missing_from(imports: &[Bytes], source: &[u8]) -> Vec<Bytes> {
    let contains = |needle: &[u8]| source.windows(needle.len()).any(|w| w == needle);
    imports
        .iter()
        .filter(|imp| {
            imp.as_bytes()
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        })
        .filter(|imp| {
            imp.as_bytes()
                .split(|&b| b == b'.')
                .filter(|c| !c.is_empty())
                .any(|c| !contains(c))
        })
        .cloned()
        .collect()
}

/// Decides what each pyc the walk found is (see the table in
/// [`super`]), one finding or none.
pub(super) struct Classifier<'a> {
    pub(super) root: &'a Root,
    pub(super) own: &'a Ownership<'a>,
    pub(super) code: &'a PackagedCode,
    pub(super) index: &'a OwnershipIndex,
    /// CPython versions installed in the target.
    pub(super) pythons: BTreeSet<PyVersion>,
    /// Keep the imports and strings of unregistered pycs.
    pub(super) verbose: bool,
}

/// Where a pyc's source is and what its name says.
struct Location {
    /// In a `__pycache__` directory (PEP 3147) rather than beside the source.
    cached: bool,
    /// `.pyo`.
    pyo: bool,
    source: PathBuf,
    /// The cache tag's version (`cpython-311` → 3.11).
    tag: Option<PyVersion>,
}

fn locate(path: &Path) -> Option<Location> {
    let raw = path.file_name()?.as_bytes();
    let parent = path.parent()?;
    let pyo = raw.ends_with(b".pyo");
    let cached = parent.file_name() == Some(OsStr::new("__pycache__"));
    if cached {
        // `stem.TAG[.opt-N].pyc`, as importlib's cache_from_source names it
        // (the stem of `a.b.py` keeps its dot).
        let mut parts: Vec<&[u8]> = raw.split(|&b| b == b'.').collect();
        parts.pop(); // pyc / pyo
        if parts.len() > 2 && parts.last().is_some_and(|p| p.starts_with(b"opt-")) {
            parts.pop();
        }
        let tag = if parts.len() > 1 {
            parts
                .pop()
                .and_then(|t| std::str::from_utf8(t).ok())
                .and_then(pyc::cache_tag_version)
        } else {
            None
        };
        let mut src = parts.join(&b'.');
        src.extend_from_slice(b".py");
        Some(Location {
            cached,
            pyo,
            source: parent.parent()?.join(OsStr::from_bytes(&src)),
            tag,
        })
    } else {
        // foo.pyc / foo.pyo → foo.py
        let src = &raw[..raw.len().saturating_sub(1)];
        Some(Location {
            cached,
            pyo,
            source: parent.join(OsStr::from_bytes(src)),
            tag: None,
        })
    }
}

impl Classifier<'_> {
    /// A finding about the pyc at `path`, for its package if one registered
    /// it.
    fn finding(
        &self,
        path: &Path,
        kind: FindingKind,
        sev: Severity,
        evidence: BytecodeEvidence,
    ) -> Finding {
        let owner = self.code.owner(self.index, path).cloned();
        Finding::new(
            kind,
            sev,
            About::path(path).of(owner),
            Evidence::Bytecode(Box::new(evidence)),
        )
    }

    /// What the pyc candidate `c` is: a finding, or none when the
    /// `files` check verifies it.
    pub(super) fn pyc(&self, c: &Candidate) -> Option<Finding> {
        let path = &c.path;
        let loc = locate(path)?;
        let owned = self.own.is_owned(path);
        if owned && loc.cached {
            return None; // the files check verifies it
        }
        let source = match self.root.lookup_follow(&loc.source) {
            Ok(e) if e.stat.is_regular() => Some(e.stat),
            Ok(_) => None,
            Err(e) if is_absent(&e) => None,
            Err(e) => {
                return Some(super::hooks::unreadable_at(
                    path,
                    &loc.source,
                    Unread::SourceEntry,
                    &e,
                ));
            }
        };
        let sourceless = !loc.cached && source.is_none();
        let evidence = |reason| BytecodeEvidence::new(reason, loc.source.as_path());

        if owned {
            // The files check verifies its content; only say it has no source.
            return sourceless.then(|| {
                self.finding(
                    path,
                    FindingKind::BytecodeSourceless,
                    Severity::High,
                    evidence(BytecodeReason::SourcelessPackaged),
                )
            });
        }

        let data = match read_capped(self.root, path, MAX_PYC_BYTES) {
            Ok(d) => d,
            Err(e) if is_absent(&e) => return None,
            Err(e) => return Some(super::hooks::unreadable_at(path, path, Unread::File, &e)),
        };
        let header = match pyc::parse_header(&data) {
            Ok(h) => h,
            Err(e) => return Some(self.rejected(path, &loc.source, e, sourceless)),
        };
        // A file cut at the read cap is not decoded (that would fail).
        let whole = (data.len() as u64) < MAX_PYC_BYTES;
        let code = if whole {
            marshal::summarize(&data[header.len..], header.version).map(Some)
        } else {
            Ok(None)
        };
        let facts = header.facts();
        // The header's facts and what the code object holds.
        let decorate = |reason| {
            let mut e = evidence(reason);
            e.pyc = Some(facts);
            match &code {
                Ok(Some(s)) => {
                    e.code = CodeState::Decoded;
                    e.imports = s.imports.clone();
                    e.strings = s.strings.clone();
                    e.compiled_from = s.filename.clone();
                }
                Ok(None) => {
                    e.code = CodeState::TooLarge {
                        max_bytes: MAX_PYC_BYTES,
                    }
                }
                Err(err) => {
                    e.code = CodeState::Undecodable {
                        decode_error: err.to_string(),
                    }
                }
            }
            e
        };

        // 1. Magic no installed interpreter accepts.
        let native = header
            .version
            .is_some_and(|v| self.pythons.contains(&v) && header.is_release_magic());
        if !native {
            let sev = if sourceless {
                Severity::Medium
            } else {
                Severity::Low
            };
            return Some(self.finding(
                path,
                FindingKind::BytecodeForeignMagic,
                sev,
                decorate(BytecodeReason::ForeignMagic {
                    sourceless,
                    installed: self.pythons.iter().copied().collect(),
                }),
            ));
        }

        // 2. Importable without a source.
        if sourceless {
            let module = (!loc.pyo).then(|| default_path_module(path)).flatten();
            let sev = if module.is_some() {
                Severity::Critical
            } else {
                Severity::High
            };
            return Some(self.finding(
                path,
                FindingKind::BytecodeSourceless,
                sev,
                decorate(BytecodeReason::Sourceless {
                    module,
                    pyo: loc.pyo,
                }),
            ));
        }
        let Some(src) = source else {
            // 3. A cache entry whose source is gone.
            return Some(self.finding(
                path,
                FindingKind::BytecodeOrphaned,
                Severity::Medium,
                decorate(BytecodeReason::Orphaned),
            ));
        };

        // 4. The cache file name names another version.
        if let (true, Some(tag), Some(v)) = (loc.cached, loc.tag, header.version)
            && tag != v
        {
            return Some(self.finding(
                path,
                FindingKind::BytecodeStale,
                Severity::Low,
                decorate(BytecodeReason::TagMismatch { tag }),
            ));
        }

        // 5. Header against source.
        let mismatch = match self.header_mismatch(&header, &loc.source, &src) {
            Ok(m) => m,
            Err(e) => {
                return Some(super::hooks::unreadable_at(
                    path,
                    &loc.source,
                    Unread::Source,
                    &e,
                ));
            }
        };
        let unchecked = matches!(
            header.invalidation,
            Invalidation::Hash {
                check_source: false,
                ..
            }
        );
        // 6. Code against source: a copied header does not make the code match.
        let foreign_imports = match &code {
            Ok(Some(s)) if s.imports_known => {
                match self.root.read_small(&loc.source, MAX_SOURCE_BYTES) {
                    Ok(text) => imports_missing_from(&s.imports, &text),
                    Err(_) => Vec::new(),
                }
            }
            _ => Vec::new(),
        };

        if unchecked {
            let sev = if mismatch.is_some() || !foreign_imports.is_empty() {
                Severity::Critical
            } else {
                Severity::High
            };
            return Some(self.finding(
                path,
                FindingKind::BytecodeUncheckedHash,
                sev,
                decorate(BytecodeReason::UncheckedHash {
                    mismatch,
                    foreign_imports,
                }),
            ));
        }
        if let Some(mismatch) = mismatch {
            return Some(self.finding(
                path,
                FindingKind::BytecodeStale,
                Severity::Low,
                decorate(BytecodeReason::Stale { mismatch }),
            ));
        }
        if !foreign_imports.is_empty() {
            return Some(self.finding(
                path,
                FindingKind::BytecodeStale,
                Severity::High,
                decorate(BytecodeReason::ForeignImports { foreign_imports }),
            ));
        }
        if code.is_err() && header.version.is_some() {
            // The decode error is the sentence; nothing else is decorated.
            return Some(self.finding(
                path,
                FindingKind::BytecodeStale,
                Severity::Low,
                decorate(BytecodeReason::Undecodable),
            ));
        }

        // 7. Consistent, and nobody's: one finding per file, with its tree
        // for the output's summary. Its imports and strings are kept only
        // with --verbose (a Debian system has tens of thousands).
        let mut e = if self.verbose {
            decorate(BytecodeReason::Consistent)
        } else {
            let mut e = evidence(BytecodeReason::Consistent);
            e.pyc = Some(facts);
            e
        };
        e.tree = Some(Bytes::from(c.tree.as_path()));
        Some(self.finding(path, FindingKind::BytecodeUnregistered, Severity::Info, e))
    }

    /// A file CPython refuses outright.
    fn rejected(&self, path: &Path, source: &Path, e: PycError, sourceless: bool) -> Finding {
        let sev = if sourceless {
            Severity::Medium
        } else {
            Severity::Low
        };
        self.finding(
            path,
            FindingKind::BytecodeForeignMagic,
            sev,
            BytecodeEvidence::new(
                BytecodeReason::Rejected {
                    sourceless,
                    error: e,
                },
                source,
            ),
        )
    }

    /// How the header disagrees with the source, if it does.
    fn header_mismatch(
        &self,
        h: &PycHeader,
        source: &Path,
        st: &FileStat,
    ) -> io::Result<Option<HeaderMismatch>> {
        Ok(match h.invalidation {
            Invalidation::Timestamp { mtime, size } => {
                let src_mtime = (st.mtime as u64 & 0xffff_ffff) as u32;
                let src_size = (st.size & 0xffff_ffff) as u32;
                if mtime != src_mtime {
                    Some(HeaderMismatch::Mtime {
                        recorded: mtime,
                        actual: src_mtime,
                    })
                } else {
                    size.filter(|&s| s != src_size)
                        .map(|recorded| HeaderMismatch::Size {
                            recorded,
                            actual: src_size,
                        })
                }
            }
            Invalidation::Hash { hash, .. } => {
                let e = self.root.lookup_follow(source)?;
                let f = self.root.open_regular(&e, source)?;
                let ours = pyc::source_hash(h.magic, f)?;
                (ours != hash).then_some(HeaderMismatch::Hash {
                    recorded: hash,
                    actual: ours,
                })
            }
        })
    }
}

/// Read at most `cap` bytes of the regular file at `path` (a final symlink
/// is followed inside ROOT).
fn read_capped(root: &Root, path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let e = root.lookup_follow(path)?;
    let f = root.open_regular(&e, path)?;
    let mut buf = Vec::with_capacity(e.stat.size.min(cap) as usize);
    f.take(cap).read_to_end(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::bytecode::discover::{CandKind, Candidate, tree_key};

    #[test]
    fn default_path_modules() {
        let m = |p: &str| default_path_module(Path::new(p));
        assert_eq!(
            m("/usr/lib/python3.11/site-packages/evil.pyc").as_deref(),
            Some("evil")
        );
        assert_eq!(
            m("/usr/lib/python3/dist-packages/requests/api.pyc").as_deref(),
            Some("requests.api")
        );
        assert_eq!(
            m("/usr/lib64/python3.12/json/__init__.pyc").as_deref(),
            Some("json")
        );
        assert_eq!(m("/usr/lib/python3.11/os.pyc").as_deref(), Some("os"));
        assert_eq!(
            m("/usr/local/lib/python3.11/dist-packages/x.pyc").as_deref(),
            Some("x")
        );
        assert_eq!(
            m("/home/al/.local/lib/python3.11/site-packages/x.pyc").as_deref(),
            Some("x")
        );
        assert_eq!(m("/opt/app/x.pyc"), None);
        assert_eq!(m("/usr/lib/python3.11/site-packages/not-a-pkg/x.pyc"), None);
        assert_eq!(m("/usr/lib/python3.11/site-packages/x.y.pyc"), None);
        assert_eq!(m("/usr/lib/python3/x.pyc"), None);
    }

    #[test]
    fn locations() {
        let l = locate(Path::new("/a/__pycache__/mod.cpython-311.opt-1.pyc")).unwrap();
        assert!(l.cached && !l.pyo);
        assert_eq!(l.source, Path::new("/a/mod.py"));
        assert_eq!(l.tag, Some(PyVersion::new(3, 11)));
        let l = locate(Path::new("/a/mod.pyo")).unwrap();
        assert!(!l.cached && l.pyo);
        assert_eq!(l.source, Path::new("/a/mod.py"));
        let l = locate(Path::new("/a/__pycache__/x.pyc")).unwrap();
        assert_eq!(l.source, Path::new("/a/x.py"));
        assert_eq!(l.tag, None);
        let l = locate(Path::new("/a/__pycache__/pylint.config.cpython-312.pyc")).unwrap();
        assert_eq!(l.source, Path::new("/a/pylint.config.py"));
        assert_eq!(l.tag, Some(PyVersion::new(3, 12)));
    }

    #[test]
    fn import_names_against_source() {
        let imports: Vec<Bytes> = vec!["os.path".into(), "socket".into(), b"weird\x00"[..].into()];
        assert_eq!(
            imports_missing_from(&imports, b"import os.path\n"),
            ["socket"]
        );
        // Names no identifier has are not judged, even absent from the source.
        assert!(imports_missing_from(&imports[2..], b"").is_empty());
        assert!(imports_missing_from(&imports, b"import os . path, socket").is_empty());
    }

    /// The classification of real pycs on a small tree: the sentence, the
    /// evidence, and what `--verbose` keeps of an unregistered pyc.
    #[test]
    fn classify_real_pycs() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pyc");
        let source = std::fs::read(fixtures.join("sample.py")).unwrap();
        let pyc311 = std::fs::read(fixtures.join("sample.cpython-311.pyc")).unwrap();
        let t = tempfile::tempdir().unwrap();
        let site = t.path().join("usr/lib/python3.11/site-packages");
        std::fs::create_dir_all(site.join("__pycache__")).unwrap();
        let put = |name: &str, data: &[u8], mtime: u64| {
            let p = site.join(name);
            std::fs::write(&p, data).unwrap();
            let f = std::fs::File::options().write(true).open(&p).unwrap();
            f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime))
                .unwrap();
        };
        put("sample.py", &source, 1_600_000_000);
        put("__pycache__/sample.cpython-311.pyc", &pyc311, 0);
        put("moved.py", &source, 1_700_000_000);
        put("__pycache__/moved.cpython-311.pyc", &pyc311, 0);
        put("__pycache__/gone.cpython-311.pyc", &pyc311, 0);
        put("evil.pyc", &pyc311, 0);
        put("notes.pyc", b"hello\n", 0);

        let root = Root::open(t.path()).unwrap();
        let index = OwnershipIndex::default();
        let own = Ownership::plain(&index);
        let code = PackagedCode::default();
        let mut cl = Classifier {
            root: &root,
            own: &own,
            code: &code,
            index: &index,
            pythons: [PyVersion::new(3, 11), PyVersion::new(3, 12)].into(),
            verbose: false,
        };
        let dir = "/usr/lib/python3.11/site-packages";
        let classify = |cl: &Classifier<'_>, name: &str| {
            let path = Path::new(dir).join(name);
            let c = Candidate {
                tree: tree_key(Path::new("/usr/lib/python3.11"), &path),
                path,
                kind: CandKind::Pyc,
            };
            let f = cl.pyc(&c).expect(name);
            let Evidence::Bytecode(e) = f.evidence.clone() else {
                panic!("{name}: {f:?}");
            };
            (f, e)
        };
        let msg = |f: &Finding| String::from_utf8(f.message()).unwrap();
        let imports: Vec<Bytes> = [
            "os",
            "os.path",
            "socket",
            "subprocess",
            "urllib.request",
            "base64",
            "json",
        ]
        .map(Bytes::from)
        .to_vec();

        // Consistent: one finding per file, with its tree; nothing decoded
        // is kept without --verbose.
        let (f, e) = classify(&cl, "__pycache__/sample.cpython-311.pyc");
        assert_eq!(
            (f.kind, f.severity),
            (FindingKind::BytecodeUnregistered, Severity::Info)
        );
        assert_eq!(
            f.id,
            crate::model::FindingId::derive(
                FindingKind::BytecodeUnregistered,
                b"",
                format!("{dir}/__pycache__/sample.cpython-311.pyc").as_bytes()
            )
        );
        assert_eq!(e.tree, Some(Bytes::from("/usr/lib/python3.11")));
        assert_eq!(e.reason, BytecodeReason::Consistent);
        assert_eq!(e.code, CodeState::Unexamined);
        assert!(e.imports.is_empty() && e.strings.is_empty() && e.compiled_from.is_none());
        assert_eq!(
            msg(&f),
            "bytecode (CPython 3.11, timestamp-based) consistent with sample.py; no package owns it"
        );
        cl.verbose = true;
        let (f, e) = classify(&cl, "__pycache__/sample.cpython-311.pyc");
        assert_eq!(e.tree, Some(Bytes::from("/usr/lib/python3.11")));
        assert_eq!(e.imports, imports);
        assert!(e.strings.contains(&Bytes::from("/bin/sh")));
        assert_eq!(
            msg(&f),
            "bytecode (CPython 3.11, timestamp-based) consistent with sample.py; no package owns \
             it [compiled from sample.py]"
        );
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["imports"][0], "os", "{json}");
        assert_eq!(
            json["strings"].as_array().map(Vec::len),
            Some(e.strings.len())
        );
        assert_eq!(json["reason"], "consistent", "{json}");
        assert_eq!(json["pyc"]["version"], "3.11", "{json}");
        assert_eq!(json["pyc"]["mtime"], 1_600_000_000u64, "{json}");
        assert!(json.get("count").is_none(), "{json}");
        cl.verbose = false;

        // Stale: the source moved on.
        let (f, e) = classify(&cl, "__pycache__/moved.cpython-311.pyc");
        assert_eq!(
            (f.kind, f.severity),
            (FindingKind::BytecodeStale, Severity::Low)
        );
        assert_eq!(e.tree, None);
        assert_eq!(
            e.imports, imports,
            "flagged pycs always carry their imports"
        );
        assert_eq!(
            msg(&f),
            "stale bytecode (CPython 3.11, timestamp-based): the header records source mtime \
             1600000000, the source has 1700000000, so Python ignores it and recompiles the \
             source; no package owns it [compiled from sample.py]"
        );

        // Orphaned: the sentence names the source's whole path.
        let (f, _) = classify(&cl, "__pycache__/gone.cpython-311.pyc");
        assert_eq!(
            (f.kind, f.severity),
            (FindingKind::BytecodeOrphaned, Severity::Medium)
        );
        assert_eq!(
            msg(&f),
            format!(
                "cached bytecode (CPython 3.11, timestamp-based) whose source {dir}/gone.py is \
                 gone: Python no longer loads it, but it records code that was on this system; \
                 no package owns it [compiled from sample.py]"
            )
        );

        // Sourceless on the default sys.path.
        let (f, e) = classify(&cl, "evil.pyc");
        assert_eq!(
            (f.kind, f.severity),
            (FindingKind::BytecodeSourceless, Severity::Critical)
        );
        assert_eq!(e.imports, imports);
        assert_eq!(
            msg(&f),
            "sourceless bytecode (CPython 3.11, timestamp-based): `import evil` on the default \
             sys.path runs this file, as there is no evil.py beside it; no package owns it \
             [compiled from sample.py]"
        );

        // Not a pyc at all.
        let (f, _) = classify(&cl, "notes.pyc");
        assert_eq!(
            (f.kind, f.severity),
            (FindingKind::BytecodeForeignMagic, Severity::Medium)
        );
        assert_eq!(
            msg(&f),
            "not a pyc (magic bytes [68, 65, 6c, 6c]): no CPython loads this file; no package \
             owns it"
        );

        // A magic the target has no interpreter for.
        cl.pythons = [PyVersion::new(3, 12)].into();
        let (f, _) = classify(&cl, "__pycache__/sample.cpython-311.pyc");
        assert_eq!(
            (f.kind, f.severity),
            (FindingKind::BytecodeForeignMagic, Severity::Low)
        );
        assert_eq!(
            msg(&f),
            "bytecode no installed Python can load (CPython 3.11, timestamp-based); the target \
             has CPython 3.12; no package owns it [compiled from sample.py]"
        );
    }
}
