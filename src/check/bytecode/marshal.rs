//! A bounded reader for the `marshal` stream inside a pyc (check stage,
//! `bytecode`): just enough of CPython's code object to tell a triager what
//! a flagged file would do — the modules it imports and the string
//! constants it holds.
//!
//! The format is CPython's `Python/marshal.c`: one type byte per object
//! (bit 7, `FLAG_REF`, appends the object to a reference list that a later
//! `r` + u32 index names again), little-endian lengths, and a code object
//! whose field order depends on the version (see [`CodeLayout`]).
//!
//! **Imports** are the operands of the `IMPORT_NAME` instructions in every
//! code object (module level and nested functions/classes), looked up in
//! that code object's `co_names`: exactly the dotted names the `import`
//! statements name (`os.path`, `urllib.request`; a relative `from . import
//! x` has an empty name and is left out). The instruction encoding is
//! known for CPython 2.7 and 3.0–3.14 (variable-length before 3.6, 2-byte
//! wordcode after; `IMPORT_NAME`/`EXTENDED_ARG` are 108/145 in 2.x, 108/144
//! in 3.0–3.12, 75/71 in 3.13 and 73/69 in 3.14; 3.11+ inline caches are
//! zero words and decode as harmless `CACHE`). For other magics no imports
//! are listed. **Strings** are the `str` and `bytes` constants reachable
//! from `co_consts` (including tuples, frozensets and nested code objects),
//! in breadth-first order, so module-level constants come first.
//!
//! Hostile input cannot make it panic, allocate without bound or recurse
//! without bound: objects live in a flat arena (no recursive drop), every
//! length is checked against the bytes that remain, nesting stops at
//! [`MAX_DEPTH`], the object count at [`MAX_NODES`], and the summary walk is
//! iterative with a visited set (references can form a DAG).
//!
//! ```
//! use rootaudit::check::bytecode::marshal::{summarize, MarshalError};
//! assert!(matches!(summarize(b"N", None), Err(MarshalError::NotCode)));
//! ```

use std::collections::{HashSet, VecDeque};

use super::pyc::PyVersion;
use crate::model::Bytes;

/// Deepest nesting of objects accepted (CPython allows 2000; real code
/// objects nest a few dozen levels at most).
pub const MAX_DEPTH: usize = 200;
/// Most objects decoded from one file.
pub const MAX_NODES: usize = 1 << 20;
/// Most import names listed.
pub const MAX_IMPORTS: usize = 64;
/// Most string constants listed.
pub const MAX_STRINGS: usize = 64;
/// Longest string constant listed, in bytes (longer ones are cut, with `…`).
pub const MAX_STRING_BYTES: usize = 200;

/// Why a marshal stream could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MarshalError {
    /// The data ends inside an object.
    #[error("truncated at byte {offset}")]
    Truncated {
        /// Offset into the marshal data.
        offset: usize,
    },
    /// A type byte no CPython writes.
    #[error("unknown type code {code:#04x} at byte {offset}")]
    UnknownType {
        /// The type byte (without `FLAG_REF`).
        code: u8,
        /// Offset into the marshal data.
        offset: usize,
    },
    /// Objects nest deeper than [`MAX_DEPTH`].
    #[error("objects nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// More than [`MAX_NODES`] objects.
    #[error("more than {MAX_NODES} objects")]
    TooMany,
    /// A negative or impossible length.
    #[error("bad length {len} at byte {offset}")]
    BadLength {
        /// The length as read.
        len: i64,
        /// Offset into the marshal data.
        offset: usize,
    },
    /// A reference to an object that does not exist (yet).
    #[error("invalid reference {index} at byte {offset}")]
    BadRef {
        /// The index as read.
        index: u32,
        /// Offset into the marshal data.
        offset: usize,
    },
    /// The stream holds something other than a code object.
    #[error("the marshalled object is not a code object")]
    NotCode,
}

/// Field order of a marshalled code object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeLayout {
    /// 2.x: 4 ints (argcount, nlocals, stacksize, flags), code, consts,
    /// names, varnames, freevars, cellvars, filename, name, firstlineno,
    /// lnotab; `s` strings are text and `t`/`R` intern them.
    Py2,
    /// 3.0–3.7: 5 ints (adds kwonlyargcount), then as 2.x.
    Py30,
    /// 3.8–3.10: 6 ints (adds posonlyargcount), then as 2.x.
    Py38,
    /// 3.11 and later: 5 ints (argcount, posonlyargcount, kwonlyargcount,
    /// stacksize, flags), code, consts, names, localsplusnames,
    /// localspluskinds, filename, name, qualname, firstlineno, linetable,
    /// exceptiontable.
    Py311,
}

impl CodeLayout {
    /// The layout CPython `v` writes.
    pub fn for_version(v: PyVersion) -> CodeLayout {
        match (v.major, v.minor) {
            (0..=2, _) => CodeLayout::Py2,
            (3, 0..=7) => CodeLayout::Py30,
            (3, 8..=10) => CodeLayout::Py38,
            _ => CodeLayout::Py311,
        }
    }

    fn leading_ints(self) -> usize {
        match self {
            CodeLayout::Py2 => 4,
            CodeLayout::Py30 | CodeLayout::Py311 => 5,
            CodeLayout::Py38 => 6,
        }
    }
}

/// How `IMPORT_NAME` is encoded.
#[derive(Clone, Copy, Debug)]
enum Opcodes {
    /// 1 byte, or 3 when `op >= have_arg` (before 3.6).
    Variable {
        have_arg: u8,
        import_name: u8,
        extended_arg: u8,
    },
    /// 2 bytes per instruction (3.6 and later).
    Word { import_name: u8, extended_arg: u8 },
}

fn opcodes(v: PyVersion) -> Option<Opcodes> {
    Some(match (v.major, v.minor) {
        (2, 0..=7) => Opcodes::Variable {
            have_arg: 90,
            import_name: 108,
            extended_arg: 145,
        },
        (3, 0..=5) => Opcodes::Variable {
            have_arg: 90,
            import_name: 108,
            extended_arg: 144,
        },
        (3, 6..=12) => Opcodes::Word {
            import_name: 108,
            extended_arg: 144,
        },
        (3, 13) => Opcodes::Word {
            import_name: 75,
            extended_arg: 71,
        },
        (3, 14) => Opcodes::Word {
            import_name: 73,
            extended_arg: 69,
        },
        _ => return None,
    })
}

/// What a code object tells a triager.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CodeSummary {
    /// Dotted module names of its `import` statements, in order, deduplicated,
    /// raw, at most [`MAX_IMPORTS`].
    pub imports: Vec<Bytes>,
    /// String and bytes constants, raw, at most [`MAX_STRINGS`], each cut
    /// at [`MAX_STRING_BYTES`].
    pub strings: Vec<Bytes>,
    /// `co_filename` of the module code object: where it was compiled
    /// from (raw).
    pub filename: Option<Bytes>,
    /// More imports or strings existed than are listed.
    pub truncated: bool,
    /// False when the version's instruction encoding is unknown, so
    /// `imports` could not be listed.
    pub imports_known: bool,
}

/// Decode the marshalled module code object `data` (the bytes after the
/// pyc header) written by CPython `version`, and summarise it. With no
/// version (an unknown magic) each layout is tried, newest first, and no
/// imports are listed.
pub fn summarize(data: &[u8], version: Option<PyVersion>) -> Result<CodeSummary, MarshalError> {
    match version {
        Some(v) => {
            let layout = CodeLayout::for_version(v);
            let arena = Arena::parse(data, layout)?;
            Ok(arena.summary(opcodes(v)))
        }
        None => {
            let mut first_err = None;
            for layout in [
                CodeLayout::Py311,
                CodeLayout::Py38,
                CodeLayout::Py30,
                CodeLayout::Py2,
            ] {
                match Arena::parse(data, layout) {
                    Ok(a) => return Ok(a.summary(None)),
                    Err(e) => {
                        first_err.get_or_insert(e);
                    }
                }
            }
            Err(first_err.unwrap_or(MarshalError::NotCode))
        }
    }
}

/// Node id of every object without content the summary needs.
const ATOM: u32 = 0;
/// A reference slot reserved for an object still being read.
const PENDING: u32 = u32::MAX;

#[derive(Debug)]
enum Node {
    /// None, numbers, booleans, anything without strings inside.
    Atom,
    /// Text (`str`), as a range of the input.
    Str { start: u32, len: u32 },
    /// `bytes`, as a range of the input.
    Bytes { start: u32, len: u32 },
    /// Tuple, list, set, frozenset, dict, slice: the members.
    Seq(Vec<u32>),
    /// A code object's fields of interest.
    Code(CodeNode),
}

#[derive(Debug)]
struct CodeNode {
    code: u32,
    consts: u32,
    names: u32,
    filename: u32,
}

struct Arena<'a> {
    data: &'a [u8],
    pos: usize,
    nodes: Vec<Node>,
    refs: Vec<u32>,
    /// 2.x interned strings (`t` appends, `R` refers).
    interned: Vec<u32>,
    layout: CodeLayout,
    depth: usize,
    root: u32,
}

impl<'a> Arena<'a> {
    fn parse(data: &'a [u8], layout: CodeLayout) -> Result<Arena<'a>, MarshalError> {
        let mut a = Arena {
            data,
            pos: 0,
            nodes: vec![Node::Atom],
            refs: Vec::new(),
            interned: Vec::new(),
            layout,
            depth: 0,
            root: ATOM,
        };
        let root = a.object()?;
        if !matches!(a.nodes.get(root as usize), Some(Node::Code(_))) {
            return Err(MarshalError::NotCode);
        }
        a.root = root;
        Ok(a)
    }

    fn truncated(&self) -> MarshalError {
        MarshalError::Truncated { offset: self.pos }
    }

    fn take(&mut self, n: usize) -> Result<(usize, usize), MarshalError> {
        let start = self.pos;
        let end = start.checked_add(n).ok_or_else(|| self.truncated())?;
        if end > self.data.len() {
            return Err(self.truncated());
        }
        self.pos = end;
        Ok((start, n))
    }

    fn byte(&mut self) -> Result<u8, MarshalError> {
        let (s, _) = self.take(1)?;
        Ok(self.data[s])
    }

    fn u32(&mut self) -> Result<u32, MarshalError> {
        let (s, _) = self.take(4)?;
        let d = &self.data[s..s + 4];
        Ok(u32::from_le_bytes([d[0], d[1], d[2], d[3]]))
    }

    /// A 32-bit signed size that must be non-negative and fit in what is
    /// left when each unit takes `unit` bytes.
    fn size(&mut self, unit: usize) -> Result<usize, MarshalError> {
        let offset = self.pos;
        let n = self.u32()? as i32;
        let left = self.data.len() - self.pos;
        if n < 0 || (n as usize).saturating_mul(unit) > left {
            return Err(MarshalError::BadLength {
                len: n as i64,
                offset,
            });
        }
        Ok(n as usize)
    }

    fn push(&mut self, node: Node) -> Result<u32, MarshalError> {
        if self.nodes.len() >= MAX_NODES {
            return Err(MarshalError::TooMany);
        }
        self.nodes.push(node);
        Ok((self.nodes.len() - 1) as u32)
    }

    fn range(&mut self, n: usize) -> Result<(u32, u32), MarshalError> {
        let (s, n) = self.take(n)?;
        Ok((s as u32, n as u32))
    }

    fn object(&mut self) -> Result<u32, MarshalError> {
        if self.depth >= MAX_DEPTH {
            return Err(MarshalError::TooDeep);
        }
        self.depth += 1;
        let r = self.object_inner();
        self.depth -= 1;
        r
    }

    fn object_inner(&mut self) -> Result<u32, MarshalError> {
        let offset = self.pos;
        let b = self.byte()?;
        let flag = b & 0x80 != 0;
        let t = b & 0x7f;
        // Singletons and references never take a slot (as in CPython).
        match t {
            b'0' | b'N' | b'F' | b'T' | b'S' | b'.' => return Ok(ATOM),
            b'r' => {
                let index = self.u32()?;
                return match self.refs.get(index as usize) {
                    Some(&id) if id != PENDING => Ok(id),
                    _ => Err(MarshalError::BadRef { index, offset }),
                };
            }
            b'R' if self.layout == CodeLayout::Py2 => {
                let index = self.u32()?;
                return match self.interned.get(index as usize) {
                    Some(&id) => Ok(id),
                    None => Err(MarshalError::BadRef { index, offset }),
                };
            }
            _ => {}
        }
        // A slot is reserved in the reference list before the members are
        // read (CPython's r_ref_reserve / R_REF order); tuples, lists, sets
        // and dicts fill it at once, so they may contain themselves, while
        // code objects, frozensets and slices fill it when complete.
        let slot = if flag {
            self.refs.push(PENDING);
            Some(self.refs.len() - 1)
        } else {
            None
        };
        let py2 = self.layout == CodeLayout::Py2;
        let id = match t {
            b'i' => {
                self.take(4)?;
                ATOM
            }
            b'I' | b'g' => {
                self.take(8)?;
                ATOM
            }
            b'y' => {
                self.take(16)?;
                ATOM
            }
            b'f' => {
                let n = self.byte()? as usize;
                self.take(n)?;
                ATOM
            }
            b'x' => {
                for _ in 0..2 {
                    let n = self.byte()? as usize;
                    self.take(n)?;
                }
                ATOM
            }
            b'l' => {
                let at = self.pos;
                let n = self.u32()? as i32;
                let digits = n.unsigned_abs() as usize;
                if n == i32::MIN || digits.saturating_mul(2) > self.data.len() - self.pos {
                    return Err(MarshalError::BadLength {
                        len: n as i64,
                        offset: at,
                    });
                }
                self.take(digits * 2)?;
                ATOM
            }
            b's' => {
                let n = self.size(1)?;
                let (start, len) = self.range(n)?;
                self.push(if py2 {
                    Node::Str { start, len }
                } else {
                    Node::Bytes { start, len }
                })?
            }
            b't' | b'u' | b'a' | b'A' => {
                let n = self.size(1)?;
                let (start, len) = self.range(n)?;
                let id = self.push(Node::Str { start, len })?;
                if py2 && t == b't' {
                    self.interned.push(id);
                }
                id
            }
            b'z' | b'Z' => {
                let n = self.byte()? as usize;
                let (start, len) = self.range(n)?;
                self.push(Node::Str { start, len })?
            }
            b'(' | b'[' | b'<' => {
                let n = self.size(1)?;
                self.seq(n, slot)?
            }
            b'>' => {
                // A frozenset is entered only once complete.
                let n = self.size(1)?;
                self.seq(n, None)?
            }
            b')' => {
                let n = self.byte()? as usize;
                self.seq(n, slot)?
            }
            b'{' => {
                let id = self.push(Node::Seq(Vec::new()))?;
                self.fill_slot(slot, id);
                let mut members = Vec::new();
                loop {
                    // A dict ends with a NULL key.
                    if self.data.get(self.pos).map(|b| b & 0x7f) == Some(b'0') {
                        self.pos += 1;
                        break;
                    }
                    members.push(self.object()?);
                    members.push(self.object()?);
                }
                self.nodes[id as usize] = Node::Seq(members);
                id
            }
            b':' => {
                let id = self.push(Node::Seq(Vec::new()))?;
                let members = vec![self.object()?, self.object()?, self.object()?];
                self.nodes[id as usize] = Node::Seq(members);
                id
            }
            b'c' => {
                // Entered only once complete: a code object cannot
                // contain itself.
                let id = self.push(Node::Atom)?;
                let code = self.code()?;
                self.nodes[id as usize] = Node::Code(code);
                id
            }
            _ => return Err(MarshalError::UnknownType { code: t, offset }),
        };
        self.fill_slot(slot, id);
        Ok(id)
    }

    fn fill_slot(&mut self, slot: Option<usize>, id: u32) {
        if let Some(s) = slot {
            self.refs[s] = id;
        }
    }

    fn seq(&mut self, n: usize, slot: Option<usize>) -> Result<u32, MarshalError> {
        let id = self.push(Node::Seq(Vec::new()))?;
        self.fill_slot(slot, id);
        // n was checked against the bytes left (each member takes one).
        let mut members = Vec::with_capacity(n.min(self.data.len() - self.pos));
        for _ in 0..n {
            members.push(self.object()?);
        }
        self.nodes[id as usize] = Node::Seq(members);
        Ok(id)
    }

    fn code(&mut self) -> Result<CodeNode, MarshalError> {
        for _ in 0..self.layout.leading_ints() {
            self.u32()?;
        }
        let code = self.object()?;
        let consts = self.object()?;
        let names = self.object()?;
        let filename;
        if self.layout == CodeLayout::Py311 {
            self.object()?; // localsplusnames
            self.object()?; // localspluskinds
            filename = self.object()?;
            self.object()?; // name
            self.object()?; // qualname
            self.u32()?; // firstlineno
            self.object()?; // linetable
            self.object()?; // exceptiontable
        } else {
            self.object()?; // varnames
            self.object()?; // freevars
            self.object()?; // cellvars
            filename = self.object()?;
            self.object()?; // name
            self.u32()?; // firstlineno
            self.object()?; // lnotab / linetable
        }
        Ok(CodeNode {
            code,
            consts,
            names,
            filename,
        })
    }

    fn bytes_of(&self, id: u32) -> Option<&'a [u8]> {
        match self.nodes.get(id as usize)? {
            Node::Str { start, len } | Node::Bytes { start, len } => {
                let s = *start as usize;
                self.data.get(s..s + *len as usize)
            }
            _ => None,
        }
    }

    fn summary(&self, ops: Option<Opcodes>) -> CodeSummary {
        let mut out = CodeSummary {
            imports_known: ops.is_some(),
            ..CodeSummary::default()
        };
        let mut seen_imports = HashSet::new();
        let mut seen_strings = HashSet::new();
        let mut visited = vec![false; self.nodes.len()];
        let mut queue = VecDeque::from([self.root]);
        if let Some(Node::Code(c)) = self.nodes.get(self.root as usize) {
            out.filename = self.bytes_of(c.filename).map(Bytes::from);
        }
        while let Some(id) = queue.pop_front() {
            let Some(v) = visited.get_mut(id as usize) else {
                continue;
            };
            if *v || id == ATOM {
                continue;
            }
            *v = true;
            match &self.nodes[id as usize] {
                Node::Atom => {}
                Node::Code(c) => {
                    if let Some(ops) = ops {
                        for name in self.import_names(c, ops) {
                            if name.is_empty() {
                                continue;
                            }
                            let s = Bytes::from(name);
                            if seen_imports.contains(&s) {
                                continue;
                            }
                            if out.imports.len() >= MAX_IMPORTS {
                                out.truncated = true;
                                continue;
                            }
                            seen_imports.insert(s.clone());
                            out.imports.push(s);
                        }
                    }
                    queue.push_back(c.consts);
                }
                Node::Seq(members) => queue.extend(members.iter().copied()),
                Node::Str { .. } | Node::Bytes { .. } => {
                    let Some(b) = self.bytes_of(id) else { continue };
                    if b.is_empty() {
                        continue;
                    }
                    let s = clip(b);
                    if seen_strings.contains(&s) {
                        continue;
                    }
                    if out.strings.len() >= MAX_STRINGS {
                        out.truncated = true;
                        continue;
                    }
                    seen_strings.insert(s.clone());
                    out.strings.push(s);
                }
            }
        }
        out
    }

    /// The `co_names` entries `IMPORT_NAME` instructions of `c` name.
    fn import_names(&self, c: &CodeNode, ops: Opcodes) -> Vec<&'a [u8]> {
        let Some(code) = self.bytes_of(c.code) else {
            return Vec::new();
        };
        let names: &[u32] = match self.nodes.get(c.names as usize) {
            Some(Node::Seq(m)) => m,
            _ => return Vec::new(),
        };
        let mut args = Vec::new();
        match ops {
            Opcodes::Word {
                import_name,
                extended_arg,
            } => {
                let mut ext: u32 = 0;
                for w in code.chunks_exact(2) {
                    let arg = ext | w[1] as u32;
                    if w[0] == extended_arg {
                        ext = arg.checked_shl(8).unwrap_or(0);
                        continue;
                    }
                    ext = 0;
                    if w[0] == import_name {
                        args.push(arg);
                    }
                }
            }
            Opcodes::Variable {
                have_arg,
                import_name,
                extended_arg,
            } => {
                let mut i = 0;
                let mut ext: u32 = 0;
                while i < code.len() {
                    let op = code[i];
                    if op < have_arg {
                        i += 1;
                        ext = 0;
                        continue;
                    }
                    let (Some(&lo), Some(&hi)) = (code.get(i + 1), code.get(i + 2)) else {
                        break;
                    };
                    let arg = ext | (lo as u32) | ((hi as u32) << 8);
                    i += 3;
                    if op == extended_arg {
                        ext = arg.checked_shl(16).unwrap_or(0);
                        continue;
                    }
                    ext = 0;
                    if op == import_name {
                        args.push(arg);
                    }
                }
            }
        }
        args.into_iter()
            .filter_map(|a| names.get(a as usize))
            .filter_map(|&id| match self.nodes.get(id as usize) {
                Some(Node::Str { .. }) => self.bytes_of(id),
                _ => None,
            })
            .collect()
    }
}

/// A constant as listed: raw, cut at [`MAX_STRING_BYTES`] (on a UTF-8
/// boundary when it is text) and then marked with `…`.
fn clip(b: &[u8]) -> Bytes {
    if b.len() <= MAX_STRING_BYTES {
        return Bytes::from(b);
    }
    let mut end = MAX_STRING_BYTES;
    while end > 0 && (b[end] & 0xc0) == 0x80 {
        end -= 1;
    }
    let mut s = b[..end].to_vec();
    s.extend_from_slice("…".as_bytes());
    Bytes(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::bytecode::pyc::parse_header;
    use std::path::Path;

    fn fixture_pycs() -> Vec<(String, Vec<u8>)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pyc");
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pyc"))
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        v.sort();
        assert!(!v.is_empty(), "no fixtures in {}", dir.display());
        v
    }

    /// Every fixture (CPython 2.7, 3.6–3.13) lists the sample's imports,
    /// from module level and from nested functions and methods, and its
    /// string constants.
    #[test]
    fn real_code_objects() {
        for (name, data) in fixture_pycs() {
            let h = parse_header(&data).unwrap();
            let s = summarize(&data[h.len..], h.version).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(s.imports_known, "{name}");
            assert_eq!(
                s.imports,
                [
                    "os",
                    "os.path",
                    "socket",
                    "subprocess",
                    "urllib.request",
                    "base64",
                    "json"
                ],
                "{name}"
            );
            for want in [
                "https://example.invalid/payload",
                "203.0.113.7",
                "/bin/sh",
                "aGVsbG8=",
                "Implant",
            ] {
                assert!(
                    s.strings.iter().any(|x| x == want),
                    "{name}: {want} missing from {:?}",
                    s.strings
                );
            }
            assert_eq!(s.filename, Some(Bytes::from("sample.py")), "{name}");
            // Without a version the layouts are guessed; strings still come out.
            let guessed = summarize(&data[h.len..], None).unwrap();
            assert!(guessed.strings.contains(&Bytes::from("/bin/sh")), "{name}");
            assert!(guessed.imports.is_empty());
        }
    }

    use crate::testutil::XorShift;

    /// Truncated and mutated real streams never panic, and errors or
    /// summaries stay within their caps.
    #[test]
    fn hostile_streams_never_panic() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        for (_, data) in fixture_pycs() {
            let h = parse_header(&data).unwrap();
            let body = &data[h.len..];
            for n in 0..body.len() {
                let _ = summarize(&body[..n], h.version);
            }
            for _ in 0..400 {
                let mut m = body.to_vec();
                for _ in 0..(1 + rng.next() % 8) {
                    let i = (rng.next() as usize) % m.len();
                    m[i] = match rng.next() % 4 {
                        0 => 0xff,
                        1 => b'r' | 0x80,
                        2 => rng.next() as u8,
                        _ => m[i] ^ (1 << (rng.next() % 8)),
                    };
                }
                for v in [h.version, None] {
                    if let Ok(s) = summarize(&m, v) {
                        assert!(s.imports.len() <= MAX_IMPORTS);
                        assert!(s.strings.len() <= MAX_STRINGS);
                    }
                }
            }
        }
    }

    #[test]
    fn crafted_streams() {
        let v311 = Some(PyVersion::new(3, 11));
        // Deep nesting stops at the cap instead of the stack.
        let deep = vec![b'('; 100_000];
        let mut d = Vec::new();
        for _ in 0..10_000 {
            d.extend_from_slice(b"(\x01\0\0\0");
        }
        assert!(matches!(
            summarize(&deep, v311),
            Err(MarshalError::BadLength { .. })
        ));
        assert_eq!(summarize(&d, v311), Err(MarshalError::TooDeep));
        // A huge declared length is refused before allocating.
        assert!(matches!(
            summarize(b"(\xff\xff\xff\x7f", v311),
            Err(MarshalError::BadLength { .. })
        ));
        assert!(matches!(
            summarize(b"l\0\0\0\x80", v311),
            Err(MarshalError::BadLength { .. })
        ));
        // References: forward, self and out of range are errors.
        assert!(matches!(
            summarize(b"r\0\0\0\0", v311),
            Err(MarshalError::BadRef { .. })
        ));
        // A tuple may contain itself (as in CPython); a code object may not.
        assert_eq!(
            summarize(b"\xa8\x01\0\0\0r\0\0\0\0", v311),
            Err(MarshalError::NotCode)
        );
        let mut code = b"\xe3".to_vec();
        code.extend_from_slice(&[0u8; 20]);
        code.extend_from_slice(b"r\0\0\0\0");
        assert!(matches!(
            summarize(&code, v311),
            Err(MarshalError::BadRef { .. })
        ));
        assert!(matches!(
            summarize(b"?", v311),
            Err(MarshalError::UnknownType { .. })
        ));
        assert_eq!(summarize(b"N", v311), Err(MarshalError::NotCode));
        assert_eq!(
            summarize(b"", v311),
            Err(MarshalError::Truncated { offset: 0 })
        );
    }

    /// A chain of references forms a DAG whose unfolded size is
    /// exponential; the summary visits each object once.
    #[test]
    fn reference_dag_is_linear() {
        // Module code object whose consts hold "x" and 60 pairs, each
        // referring to the previous one twice: 2^60 paths, 62 objects.
        let mut consts = b"(\x3d\0\0\0".to_vec(); // a tuple of 61 members:
        consts.extend_from_slice(b"\xfa\x01x"); // z"x" with FLAG_REF -> ref 0
        for i in 0..60u32 {
            consts.extend_from_slice(b"\xa9\x02r"); // small tuple, FLAG_REF
            consts.extend_from_slice(&i.to_le_bytes());
            consts.push(b'r');
            consts.extend_from_slice(&i.to_le_bytes());
        }
        let mut code = Vec::new();
        code.push(b'c');
        code.extend_from_slice(&[0u8; 20]);
        code.extend_from_slice(b"s\x02\0\0\0\x97\0"); // co_code: RESUME
        code.extend_from_slice(&consts);
        code.extend_from_slice(b")\0"); // names
        code.extend_from_slice(b")\0)\0"); // localsplusnames, kinds
        code.extend_from_slice(b"z\x01f"); // filename
        code.extend_from_slice(b"z\x01m"); // name
        code.extend_from_slice(b"z\x01m"); // qualname
        code.extend_from_slice(&[1, 0, 0, 0]);
        code.extend_from_slice(b"s\0\0\0\0s\0\0\0\0");
        let s = summarize(&code, Some(PyVersion::new(3, 11))).unwrap();
        assert_eq!(s.strings, ["x"]);
        assert_eq!(s.filename, Some(Bytes::from("f")));
    }

    #[test]
    fn long_strings_are_clipped_on_char_boundaries() {
        let long = "é".repeat(150);
        let c = clip(long.as_bytes());
        let text = std::str::from_utf8(c.as_bytes()).expect("cut inside a character");
        assert!(text.ends_with('…'));
        assert!(c.as_bytes().len() <= MAX_STRING_BYTES + '…'.len_utf8());
        assert!(text.trim_end_matches('…').chars().all(|ch| ch == 'é'));
        // Raw bytes stay raw: nothing is escaped.
        let hostile = b"\x1b[2J\xff";
        assert_eq!(clip(hostile).as_bytes(), hostile);
        let mut long = vec![0xffu8; MAX_STRING_BYTES + 10];
        long[0] = 0x1b;
        let c = clip(&long);
        assert_eq!(&c.as_bytes()[..MAX_STRING_BYTES], &long[..MAX_STRING_BYTES]);
        assert!(c.as_bytes().ends_with("…".as_bytes()));
    }
}
