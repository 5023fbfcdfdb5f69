//! Evidence of the `bytecode` check: Python bytecode no package accounts
//! for ([`BytecodeEvidence`]) and startup hooks ([`HookEvidence`]).
//!
//! The pyc header's facts ([`PycHeaderFacts`], [`PyVersion`],
//! [`Invalidation`], [`PycError`]) live here so the evidence can hold them;
//! the parser (`check::bytecode::pyc`) re-exports them.

use std::fmt;

use serde::Serialize;

use crate::model::finding::put;
use crate::model::{Bytes, Finding};

/// A CPython `major.minor` version (serialised as `"3.11"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PyVersion {
    /// Major version (2 or 3).
    pub major: u8,
    /// Minor version.
    pub minor: u8,
}

impl PyVersion {
    /// `major.minor`.
    pub const fn new(major: u8, minor: u8) -> PyVersion {
        PyVersion { major, minor }
    }

    /// Parse `3.11`.
    pub fn parse(s: &str) -> Option<PyVersion> {
        let (a, b) = s.split_once('.')?;
        let major = a.parse().ok()?;
        let minor = b.parse().ok()?;
        Some(PyVersion { major, minor })
    }
}

impl fmt::Display for PyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl Serialize for PyVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

fn no_bytes(b: &Bytes) -> bool {
    b.as_bytes().is_empty()
}

fn hex8<S: serde::Serializer>(h: &[u8; 8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(h))
}

/// How a pyc says it is tied to its source. Serialised flat, with
/// `invalidation` naming the variant (`timestamp`, `hash`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "invalidation", rename_all = "kebab-case")]
pub enum Invalidation {
    /// The source's mtime (and, from 3.3, size) modulo 2³².
    Timestamp {
        /// Source mtime, seconds, low 32 bits.
        mtime: u32,
        /// Source size, low 32 bits (absent before 3.3).
        #[serde(skip_serializing_if = "Option::is_none")]
        size: Option<u32>,
    },
    /// PEP 552 hash-based pyc.
    Hash {
        /// When false (an *unchecked* pyc), CPython never compares it with
        /// its source.
        check_source: bool,
        /// The source hash (`check::bytecode::pyc::source_hash`; hex in
        /// JSON).
        #[serde(serialize_with = "hex8")]
        hash: [u8; 8],
    },
}

/// What a pyc's header says (JSON: the object `pyc`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PycHeaderFacts {
    /// The 16-bit magic number.
    pub magic: u16,
    /// The CPython version that number belongs to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<PyVersion>,
    /// The number is the magic of a CPython release (not a development
    /// snapshot).
    pub release: bool,
    /// The flags word (0 before 3.7).
    pub flags: u32,
    /// How the pyc is tied to its source.
    #[serde(flatten)]
    pub invalidation: Invalidation,
}

/// `CPython 3.11, unchecked hash-based`.
impl fmt::Display for PycHeaderFacts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.version {
            Some(v) if self.release => write!(f, "CPython {v}")?,
            Some(v) => write!(f, "CPython {v} development magic {}", self.magic)?,
            None => write!(f, "unknown magic {}", self.magic)?,
        }
        f.write_str(match self.invalidation {
            Invalidation::Timestamp { .. } => ", timestamp-based",
            Invalidation::Hash {
                check_source: true, ..
            } => ", checked hash-based",
            Invalidation::Hash {
                check_source: false,
                ..
            } => ", unchecked hash-based",
        })
    }
}

/// Why bytes are not a pyc header CPython would accept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "problem", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PycError {
    /// Shorter than the header its magic calls for.
    #[error("truncated header ({len} bytes, {need} needed)")]
    Truncated {
        /// Bytes present.
        len: usize,
        /// Bytes the layout needs.
        need: usize,
    },
    /// The magic does not end in `\r\n`: not a pyc at all.
    #[error("not a pyc (magic bytes {magic:02x?})")]
    BadMagic {
        /// The first (up to) four bytes.
        magic: Vec<u8>,
    },
    /// PEP 552 flags with bits CPython rejects.
    #[error("invalid flags {flags:#x} (CPython refuses the file)")]
    InvalidFlags {
        /// The flags word.
        flags: u32,
    },
}

/// How a pyc's header disagrees with its source (JSON: the object
/// `mismatch`, with `field` naming what differs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "field", rename_all = "kebab-case")]
pub enum HeaderMismatch {
    /// The recorded source mtime (low 32 bits) differs.
    Mtime {
        /// In the header.
        recorded: u32,
        /// The source's.
        actual: u32,
    },
    /// The recorded source size (low 32 bits) differs.
    Size {
        /// In the header.
        recorded: u32,
        /// The source's.
        actual: u32,
    },
    /// The recorded source hash differs (hex in JSON).
    Hash {
        /// In the header.
        #[serde(serialize_with = "hex8")]
        recorded: [u8; 8],
        /// The source's.
        #[serde(serialize_with = "hex8")]
        actual: [u8; 8],
    },
}

impl HeaderMismatch {
    fn describe(&self, out: &mut Vec<u8>) {
        match self {
            HeaderMismatch::Mtime { recorded, actual } => put(
                out,
                format_args!("the header records source mtime {recorded}, the source has {actual}"),
            ),
            HeaderMismatch::Size { recorded, actual } => put(
                out,
                format_args!("the header records source size {recorded}, the source has {actual}"),
            ),
            HeaderMismatch::Hash { recorded, actual } => put(
                out,
                format_args!(
                    "the header's source hash {} differs from the source's {}",
                    hex::encode(recorded),
                    hex::encode(actual)
                ),
            ),
        }
    }
}

/// Why a pyc was flagged: one variant per situation of the check's table
/// (serialised flat, `reason` naming the variant).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum BytecodeReason {
    /// `bytecode-sourceless` of a pyc a package ships (its content is the
    /// `files` check's): Python imports it as there is no source.
    SourcelessPackaged,
    /// `bytecode-foreign-magic`: no installed CPython accepts its magic.
    ForeignMagic {
        /// It is also sourceless (would be imported if it loaded).
        sourceless: bool,
        /// The CPython versions the target has (sorted).
        installed: Vec<PyVersion>,
    },
    /// `bytecode-foreign-magic`: the header is not one CPython accepts.
    Rejected {
        /// It is also sourceless.
        sourceless: bool,
        /// What is wrong with the header.
        error: PycError,
    },
    /// `bytecode-sourceless`: importable without a source.
    Sourceless {
        /// The dotted module name under which the default `sys.path`
        /// imports it, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        module: Option<String>,
        /// A `.pyo` (imported under `-O` by Python 2 and 3.0–3.4).
        pyo: bool,
    },
    /// `bytecode-orphaned`: a `__pycache__` entry whose source is gone.
    Orphaned,
    /// `bytecode-stale`: the cache tag names another version than the
    /// header's magic.
    TagMismatch {
        /// The cache tag's version.
        tag: PyVersion,
    },
    /// `bytecode-unchecked-hash`: hash-based with `check_source = 0`.
    UncheckedHash {
        /// How the header disagrees with the source, if it does.
        #[serde(skip_serializing_if = "Option::is_none")]
        mismatch: Option<HeaderMismatch>,
        /// Modules it imports that the source never names.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        foreign_imports: Vec<Bytes>,
    },
    /// `bytecode-stale`: the header disagrees with the source.
    Stale {
        /// How.
        mismatch: HeaderMismatch,
    },
    /// `bytecode-stale`: the header agrees, but the code imports modules
    /// the source never names.
    ForeignImports {
        /// Those modules.
        foreign_imports: Vec<Bytes>,
    },
    /// `bytecode-stale`: the header agrees, but the code object cannot be
    /// decoded (the error is in the evidence's `code`).
    Undecodable,
    /// `bytecode-unregistered`: consistent with its source, nobody's.
    Consistent,
}

/// What became of the code object after the header (serialised flat,
/// `code` naming the variant).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum CodeState {
    /// Not read, or not kept (a packaged pyc, a header CPython refuses, an
    /// unregistered pyc outside `--verbose`).
    Unexamined,
    /// Decoded: `imports`, `strings` and `compiled_from` are what it holds.
    Decoded,
    /// Larger than the read cap: not decoded.
    TooLarge {
        /// The cap, in bytes.
        max_bytes: u64,
    },
    /// The marshal stream could not be decoded.
    Undecodable {
        /// Why (the decoder's text).
        decode_error: String,
    },
}

/// What a flagged `.pyc` is.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BytecodeEvidence {
    /// Why it was flagged.
    #[serde(flatten)]
    pub reason: BytecodeReason,
    /// Where its source is (or would be), raw.
    pub source: Bytes,
    /// Its header, when it could be parsed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pyc: Option<PycHeaderFacts>,
    /// What became of its code object.
    #[serde(flatten)]
    pub code: CodeState,
    /// `co_filename` of the module code object: where it was compiled
    /// from (raw).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compiled_from: Option<Bytes>,
    /// Modules its `import` statements name (raw, at most 64).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<Bytes>,
    /// Its string and bytes constants (raw, at most 64, each cut at 200
    /// bytes with `…`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub strings: Vec<Bytes>,
    /// The tree of the walk it was found in (what a summary of
    /// `bytecode-unregistered` findings names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree: Option<Bytes>,
}

impl BytecodeEvidence {
    /// Evidence for `reason` about the pyc whose source is `source`, with
    /// nothing else known yet.
    pub fn new(reason: BytecodeReason, source: impl Into<Bytes>) -> BytecodeEvidence {
        BytecodeEvidence {
            reason,
            source: source.into(),
            pyc: None,
            code: CodeState::Unexamined,
            compiled_from: None,
            imports: Vec::new(),
            strings: Vec::new(),
            tree: None,
        }
    }

    /// The file name of the source (`foo.py`).
    fn source_name(&self) -> &[u8] {
        let s = self.source.as_bytes();
        s.rsplit(|&b| b == b'/').next().unwrap_or(s)
    }

    pub(super) fn describe(&self, _f: &Finding, out: &mut Vec<u8>) {
        let src = self.source_name();
        let desc = || {
            self.pyc
                .as_ref()
                .map(|h| h.to_string())
                .unwrap_or_else(|| "no header".into())
        };
        let imports_note = |out: &mut Vec<u8>, foreign: &[Bytes]| {
            if foreign.is_empty() {
                return;
            }
            out.extend_from_slice(b"; it imports ");
            for (i, m) in foreign.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                out.extend_from_slice(m.as_bytes());
            }
            out.extend_from_slice(b" which ");
            out.extend_from_slice(src);
            out.extend_from_slice(b" never names, so it was not compiled from it");
        };
        match &self.reason {
            BytecodeReason::SourcelessPackaged => {
                out.extend_from_slice(
                    b"sourceless bytecode: Python imports this file itself, as there is no ",
                );
                out.extend_from_slice(src);
                out.extend_from_slice(
                    b" beside it (a package ships it; its content is verified by the files check)",
                );
                return;
            }
            BytecodeReason::ForeignMagic {
                sourceless,
                installed,
            } => {
                let what = if *sourceless {
                    "sourceless bytecode no installed Python can load"
                } else {
                    "bytecode no installed Python can load"
                };
                put(out, format_args!("{what} ({}); ", desc()));
                if installed.is_empty() {
                    out.extend_from_slice(b"no CPython was found in the target");
                } else {
                    let v: Vec<String> = installed.iter().map(|v| v.to_string()).collect();
                    put(out, format_args!("the target has CPython {}", v.join(", ")));
                }
                out.extend_from_slice(b"; no package owns it");
            }
            BytecodeReason::Rejected { error, .. } => {
                put(
                    out,
                    format_args!("{error}: no CPython loads this file; no package owns it"),
                );
                return;
            }
            BytecodeReason::Sourceless { module, pyo } => {
                put(out, format_args!("sourceless bytecode ({}): ", desc()));
                match module {
                    Some(m) => put(
                        out,
                        format_args!("`import {m}` on the default sys.path runs this file"),
                    ),
                    None if *pyo => {
                        put(out, format_args!("Python 2 and 3.0–3.4 import it under -O"))
                    }
                    None => {
                        out.extend_from_slice(b"Python imports it from any directory on its path")
                    }
                }
                out.extend_from_slice(b", as there is no ");
                out.extend_from_slice(src);
                out.extend_from_slice(b" beside it; no package owns it");
            }
            BytecodeReason::Orphaned => {
                put(
                    out,
                    format_args!("cached bytecode ({}) whose source ", desc()),
                );
                out.extend_from_slice(self.source.as_bytes());
                out.extend_from_slice(
                    b" is gone: Python no longer loads it, but it records code that was on this \
                      system; no package owns it",
                );
            }
            BytecodeReason::TagMismatch { tag } => {
                put(
                    out,
                    format_args!(
                        "cache tag says CPython {tag} but the header is {}: CPython {tag} \
                         rejects it and recompiles ",
                        desc()
                    ),
                );
                out.extend_from_slice(src);
                out.extend_from_slice(b"; no package owns it");
            }
            BytecodeReason::UncheckedHash {
                mismatch,
                foreign_imports,
            } => {
                put(
                    out,
                    format_args!(
                        "unchecked hash-based bytecode ({}): Python loads it without comparing \
                         it with ",
                        desc()
                    ),
                );
                out.extend_from_slice(src);
                if let Some(m) = mismatch {
                    out.extend_from_slice(b"; ");
                    m.describe(out);
                    out.extend_from_slice(b": Python runs this code, not the source");
                }
                imports_note(out, foreign_imports);
                out.extend_from_slice(b"; no package owns it");
            }
            BytecodeReason::Stale { mismatch } => {
                put(out, format_args!("stale bytecode ({}): ", desc()));
                mismatch.describe(out);
                out.extend_from_slice(
                    b", so Python ignores it and recompiles the source; no package owns it",
                );
            }
            BytecodeReason::ForeignImports { foreign_imports } => {
                put(
                    out,
                    format_args!("bytecode ({}) whose header matches ", desc()),
                );
                out.extend_from_slice(src);
                out.extend_from_slice(b", so Python runs it instead of the source");
                imports_note(out, foreign_imports);
                out.extend_from_slice(b"; no package owns it");
            }
            BytecodeReason::Undecodable => {
                put(
                    out,
                    format_args!("bytecode ({}) whose header matches ", desc()),
                );
                out.extend_from_slice(src);
                out.extend_from_slice(b" but whose code object cannot be decoded (");
                if let CodeState::Undecodable { decode_error } = &self.code {
                    out.extend_from_slice(decode_error.as_bytes());
                }
                out.extend_from_slice(b"): importing it fails; no package owns it");
                return;
            }
            BytecodeReason::Consistent => {
                put(out, format_args!("bytecode ({}) consistent with ", desc()));
                out.extend_from_slice(src);
                out.extend_from_slice(b"; no package owns it");
            }
        }
        // What the code object told (or why it told nothing).
        match &self.code {
            CodeState::Unexamined => {}
            CodeState::Decoded => {
                if let Some(file) = &self.compiled_from {
                    out.extend_from_slice(b" [compiled from ");
                    out.extend_from_slice(file.as_bytes());
                    out.extend_from_slice(b"]");
                }
            }
            CodeState::TooLarge { max_bytes } => put(
                out,
                format_args!(" [larger than {max_bytes} bytes: code not decoded]"),
            ),
            CodeState::Undecodable { decode_error } => put(
                out,
                format_args!(" [code object not decoded: {decode_error}]"),
            ),
        }
    }

    /// The tree a summary of `bytecode-unregistered` findings names.
    pub fn tree(&self) -> Option<&Bytes> {
        self.tree.as_ref()
    }
}

/// What kind of startup hook (serialised flat, `hook` naming the variant).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "hook", rename_all = "kebab-case")]
pub enum Hook {
    /// A `.pth` file in a site directory with lines `site.py` executes.
    Pth {
        /// How many lines begin with `import` (in what was read).
        lines: u64,
        /// Set when the file is longer than this many bytes, all that was
        /// read.
        #[serde(skip_serializing_if = "Option::is_none")]
        read_limit: Option<u64>,
    },
    /// `sitecustomize.py`.
    Sitecustomize,
    /// `usercustomize.py`.
    Usercustomize,
    /// `/etc/ld.so.preload` (`libraries` 0: it names none).
    LdSoPreload {
        /// How many libraries it names.
        libraries: u64,
    },
}

/// Code run at every interpreter or program start.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HookEvidence {
    /// Which hook.
    #[serde(flatten)]
    pub hook: Hook,
    /// The offending line (raw, cut at 1000 bytes with `…`; absent when
    /// there is none).
    #[serde(skip_serializing_if = "no_bytes")]
    pub line: Bytes,
}

impl HookEvidence {
    pub(super) fn describe(&self, _f: &Finding, out: &mut Vec<u8>) {
        match self.hook {
            Hook::Pth { lines, read_limit } => {
                put(
                    out,
                    format_args!(
                        "Python executes {lines} line{} of this .pth file at every interpreter \
                         start (site.py runs lines beginning with `import`); no package owns it",
                        if lines == 1 { "" } else { "s" }
                    ),
                );
                if let Some(n) = read_limit {
                    put(out, format_args!(" (only the first {n} bytes were read)"));
                }
            }
            Hook::Sitecustomize | Hook::Usercustomize => {
                let name = if self.hook == Hook::Sitecustomize {
                    "sitecustomize"
                } else {
                    "usercustomize"
                };
                put(
                    out,
                    format_args!(
                        "site.py imports {name} at every interpreter start whose path includes \
                         this directory; no package owns it"
                    ),
                );
            }
            Hook::LdSoPreload { libraries: 0 } => {
                out.extend_from_slice(b"exists but names no library; no package owns it")
            }
            Hook::LdSoPreload { libraries } => put(
                out,
                format_args!(
                    "the dynamic loader maps the {libraries} librar{} named here into every \
                     dynamically linked program; no package owns this file",
                    if libraries == 1 { "y" } else { "ies" }
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{About, Evidence, FindingKind, Severity};

    fn facts(check_source: Option<bool>) -> PycHeaderFacts {
        PycHeaderFacts {
            magic: 3495,
            version: Some(PyVersion::new(3, 11)),
            release: true,
            flags: check_source.map_or(0, |c| if c { 3 } else { 1 }),
            invalidation: match check_source {
                None => Invalidation::Timestamp {
                    mtime: 1,
                    size: Some(2),
                },
                Some(check_source) => Invalidation::Hash {
                    check_source,
                    hash: [0xab; 8],
                },
            },
        }
    }

    fn render(e: BytecodeEvidence) -> String {
        let f = Finding::new(
            FindingKind::BytecodeStale,
            Severity::Low,
            About::path(&b"/x/__pycache__/m.cpython-311.pyc"[..]),
            Evidence::Bytecode(Box::new(e)),
        );
        String::from_utf8(f.message()).unwrap()
    }

    fn ev(reason: BytecodeReason, pyc: Option<PycHeaderFacts>) -> BytecodeEvidence {
        let mut e = BytecodeEvidence::new(reason, &b"/x/m.py"[..]);
        e.pyc = pyc;
        e
    }

    #[test]
    fn header_descriptions() {
        assert_eq!(facts(None).to_string(), "CPython 3.11, timestamp-based");
        assert_eq!(
            facts(Some(true)).to_string(),
            "CPython 3.11, checked hash-based"
        );
        let mut f = facts(Some(false));
        assert_eq!(f.to_string(), "CPython 3.11, unchecked hash-based");
        f.release = false;
        f.magic = 3490;
        assert_eq!(
            f.to_string(),
            "CPython 3.11 development magic 3490, unchecked hash-based"
        );
        f.version = None;
        f.magic = 12;
        assert_eq!(f.to_string(), "unknown magic 12, unchecked hash-based");
    }

    /// Every sentence, as the check wrote it before findings became facts.
    #[test]
    fn sentences() {
        let hash = HeaderMismatch::Hash {
            recorded: [0xab; 8],
            actual: [0x01; 8],
        };
        let mut e = ev(
            BytecodeReason::UncheckedHash {
                mismatch: Some(hash),
                foreign_imports: vec!["socket".into(), "os.path".into()],
            },
            Some(facts(Some(false))),
        );
        e.code = CodeState::TooLarge {
            max_bytes: 16 << 20,
        };
        assert_eq!(
            render(e),
            "unchecked hash-based bytecode (CPython 3.11, unchecked hash-based): Python loads it \
             without comparing it with m.py; the header's source hash abababababababab differs \
             from the source's 0101010101010101: Python runs this code, not the source; it \
             imports socket, os.path which m.py never names, so it was not compiled from it; no \
             package owns it [larger than 16777216 bytes: code not decoded]"
        );
        let e = ev(
            BytecodeReason::UncheckedHash {
                mismatch: None,
                foreign_imports: vec![],
            },
            Some(facts(Some(false))),
        );
        assert_eq!(
            render(e),
            "unchecked hash-based bytecode (CPython 3.11, unchecked hash-based): Python loads it \
             without comparing it with m.py; no package owns it"
        );
        let mut e = ev(
            BytecodeReason::ForeignImports {
                foreign_imports: vec!["socket".into()],
            },
            Some(facts(None)),
        );
        e.code = CodeState::Decoded;
        e.compiled_from = Some(Bytes(b"/tmp/\x1b[2J.py".to_vec()));
        assert_eq!(
            render(e),
            "bytecode (CPython 3.11, timestamp-based) whose header matches m.py, so Python runs \
             it instead of the source; it imports socket which m.py never names, so it was not \
             compiled from it; no package owns it [compiled from /tmp/\x1b[2J.py]"
        );
        let e = ev(
            BytecodeReason::Stale {
                mismatch: HeaderMismatch::Size {
                    recorded: 5,
                    actual: 6,
                },
            },
            Some(facts(None)),
        );
        assert_eq!(
            render(e),
            "stale bytecode (CPython 3.11, timestamp-based): the header records source size 5, \
             the source has 6, so Python ignores it and recompiles the source; no package owns it"
        );
        let mut e = ev(
            BytecodeReason::TagMismatch {
                tag: PyVersion::new(3, 12),
            },
            Some(facts(None)),
        );
        e.code = CodeState::Undecodable {
            decode_error: "truncated at byte 3".into(),
        };
        assert_eq!(
            render(e),
            "cache tag says CPython 3.12 but the header is CPython 3.11, timestamp-based: \
             CPython 3.12 rejects it and recompiles m.py; no package owns it [code object not \
             decoded: truncated at byte 3]"
        );
        let mut e = ev(BytecodeReason::Undecodable, Some(facts(None)));
        e.code = CodeState::Undecodable {
            decode_error: "truncated at byte 3".into(),
        };
        assert_eq!(
            render(e),
            "bytecode (CPython 3.11, timestamp-based) whose header matches m.py but whose code \
             object cannot be decoded (truncated at byte 3): importing it fails; no package owns \
             it"
        );
        let e = ev(
            BytecodeReason::Sourceless {
                module: None,
                pyo: true,
            },
            Some(facts(None)),
        );
        assert_eq!(
            render(e),
            "sourceless bytecode (CPython 3.11, timestamp-based): Python 2 and 3.0–3.4 import it \
             under -O, as there is no m.py beside it; no package owns it"
        );
        let e = ev(
            BytecodeReason::Sourceless {
                module: None,
                pyo: false,
            },
            Some(facts(None)),
        );
        assert_eq!(
            render(e),
            "sourceless bytecode (CPython 3.11, timestamp-based): Python imports it from any \
             directory on its path, as there is no m.py beside it; no package owns it"
        );
        let e = ev(
            BytecodeReason::ForeignMagic {
                sourceless: true,
                installed: vec![],
            },
            Some(facts(None)),
        );
        assert_eq!(
            render(e),
            "sourceless bytecode no installed Python can load (CPython 3.11, timestamp-based); \
             no CPython was found in the target; no package owns it"
        );
        let e = ev(
            BytecodeReason::ForeignMagic {
                sourceless: false,
                installed: vec![PyVersion::new(3, 9), PyVersion::new(3, 12)],
            },
            Some(facts(None)),
        );
        assert_eq!(
            render(e),
            "bytecode no installed Python can load (CPython 3.11, timestamp-based); the target \
             has CPython 3.9, 3.12; no package owns it"
        );
        let e = ev(
            BytecodeReason::Rejected {
                sourceless: false,
                error: PycError::Truncated { len: 8, need: 16 },
            },
            None,
        );
        assert_eq!(
            render(e),
            "truncated header (8 bytes, 16 needed): no CPython loads this file; no package owns it"
        );
        let mut e = ev(BytecodeReason::SourcelessPackaged, None);
        e.source = Bytes(b"/x/\xffm.py".to_vec());
        let f = Finding::new(
            FindingKind::BytecodeSourceless,
            Severity::High,
            About::path(&b"/x/\xffm.pyc"[..]),
            Evidence::Bytecode(Box::new(e)),
        );
        assert_eq!(
            f.message(),
            b"sourceless bytecode: Python imports this file itself, as there is no \xffm.py \
              beside it (a package ships it; its content is verified by the files check)"
        );
    }

    #[test]
    fn json_fields() {
        let mut e = ev(
            BytecodeReason::Stale {
                mismatch: HeaderMismatch::Hash {
                    recorded: [0xab; 8],
                    actual: [1; 8],
                },
            },
            Some(facts(Some(true))),
        );
        e.code = CodeState::Decoded;
        e.imports = vec!["os".into()];
        e.strings = vec![Bytes(b"\xff".to_vec())];
        let f = Finding::new(
            FindingKind::BytecodeStale,
            Severity::Low,
            About::path("/x/__pycache__/m.cpython-311.pyc"),
            Evidence::Bytecode(Box::new(e)),
        );
        let j = serde_json::to_value(&f).unwrap();
        assert_eq!(j["evidence"], "bytecode", "{j}");
        assert_eq!(j["reason"], "stale", "{j}");
        assert_eq!(j["mismatch"]["field"], "hash", "{j}");
        assert_eq!(j["mismatch"]["recorded"], "abababababababab", "{j}");
        assert_eq!(j["source"], "/x/m.py", "{j}");
        assert_eq!(j["pyc"]["magic"], 3495, "{j}");
        assert_eq!(j["pyc"]["invalidation"], "hash", "{j}");
        assert_eq!(j["pyc"]["check_source"], true, "{j}");
        assert_eq!(j["code"], "decoded", "{j}");
        assert_eq!(j["imports"], serde_json::json!(["os"]), "{j}");
        assert!(j["strings"][0]["bytes"].is_string(), "{j}");
        assert!(j.get("tree").is_none() && j.get("count").is_none(), "{j}");

        let h = HookEvidence {
            hook: Hook::Pth {
                lines: 2,
                read_limit: None,
            },
            line: "import os".into(),
        };
        let f = Finding::new(
            FindingKind::StartupHook,
            Severity::High,
            About::path("/a.pth"),
            Evidence::Hook(h),
        );
        let j = serde_json::to_value(&f).unwrap();
        assert_eq!(j["line"], "import os", "{j}");
        assert_eq!(j["hook"], "pth", "{j}");
        assert_eq!(j["lines"], 2, "{j}");
    }
}
