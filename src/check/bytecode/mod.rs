//! The `bytecode` check (check stage): Python bytecode and startup hooks
//! that no package accounts for, ranked by how likely they are to run.
//!
//! Package verification only sees registered files. On Debian and Ubuntu
//! every `.pyc` is generated at install time and registered nowhere, and
//! anyone who can write a cache directory can plant code there. This check
//! walks every plausible Python directory of the target (see
//! [`python_roots`]) plus the directories where packages registered `.py`
//! files, parses each `.pyc`/`.pyo` header ([`pyc`]), compares it with its
//! source, and classifies it (the first rule that applies wins):
//!
//! | situation (file owned by no package) | kind | severity |
//! |---|---|---|
//! | no installed CPython accepts its magic (or the header is not a pyc) | `bytecode-foreign-magic` | medium where it would be sourceless, else low |
//! | legacy location (`foo.pyc` beside where `foo.py` would be), no source | `bytecode-sourceless` | critical when importable from the default `sys.path`, else high |
//! | `__pycache__` entry whose source is gone | `bytecode-orphaned` | medium |
//! | cache tag (`cpython-311`) of another version than its magic | `bytecode-stale` | low |
//! | hash-based with `check_source = 0` | `bytecode-unchecked-hash` | high; critical when the hash or the imports disagree with the source |
//! | header (mtime + size, or checked hash) disagrees with the source | `bytecode-stale` | low |
//! | header agrees, but the code imports a module the source never names | `bytecode-stale` | high |
//! | consistent with its source | `bytecode-unregistered` | info (one per file, with its tree; the output rolls them up per tree unless verbose) |
//!
//! A package-owned pyc is verified like any registered file by the `files`
//! check (its digest is in the package header); this check only reports it
//! when it is sourceless. Startup hooks are in [`hooks`]. Findings about a
//! pyc carry the modules it imports and its string constants, from the
//! bounded [`marshal`] reader. Nothing here runs Python.

mod discover;
pub mod hooks;
pub mod marshal;
pub mod pyc;
mod rules;

use std::path::PathBuf;

use rayon::prelude::*;

use self::discover::{CandKind, Candidate, package_code_dirs, visit};
pub use self::discover::{PackagedCode, installed_pythons, python_roots};
use self::rules::Classifier;
use super::ScanContext;
use super::walk::{Ownership, WalkProblem, Walker};
use crate::model::{Finding, Stage};

/// Most bytes of one pyc read (header and code object); the code object of
/// a larger one is not decoded (no imports or strings are listed for it).
pub const MAX_PYC_BYTES: u64 = 16 << 20;
/// Largest source read to compare its imports with its pyc's.
pub const MAX_SOURCE_BYTES: u64 = 4 << 20;

/// Options of the `bytecode` check.
#[derive(Clone, Debug, Default)]
pub struct BytecodeOptions {
    /// Keep the imports and strings of unregistered pycs too (the output
    /// then lists them instead of one summary per tree).
    pub verbose: bool,
}

/// Run the check over the target (inside the current rayon pool).
pub fn run(ctx: &ScanContext<'_>, opts: &BytecodeOptions) -> Vec<Finding> {
    let root = ctx.root;
    let own = Ownership::new(root, ctx.index);
    let walker = Walker::new(root);
    let roots = python_roots(root);

    let mut cands: Vec<Candidate> = Vec::new();
    let mut problems: Vec<WalkProblem> = Vec::new();
    for r in &roots {
        let (found, p) = walker.walk(r, &|path, st| visit(path, st, r));
        cands.extend(found);
        problems.extend(p);
    }
    for dir in package_code_dirs(ctx.code, &own, &roots) {
        // Summarised per application (`/usr/lib/google-cloud-sdk`), not
        // per directory.
        let tree: PathBuf = dir.components().take(4).collect();
        for d in [dir.clone(), dir.join("__pycache__")] {
            let (found, p) = walker.list(&d, &|path, st| visit(path, st, &tree));
            cands.extend(found);
            problems.extend(p);
        }
    }
    cands.sort_by(|a, b| a.path.cmp(&b.path));
    cands.dedup_by(|a, b| a.path == b.path);

    let mut pythons = installed_pythons(root);
    pythons.extend(cands.iter().filter_map(|c| match c.kind {
        CandKind::Stdlib(v) => Some(v),
        _ => None,
    }));
    let cl = Classifier {
        root,
        own: &own,
        code: ctx.code,
        index: ctx.index,
        pythons,
        verbose: opts.verbose,
    };

    let found: Vec<Finding> = cands
        .par_iter()
        .filter_map(|c| match c.kind {
            CandKind::Pyc => cl.pyc(c),
            CandKind::Pth => hooks::check_pth(root, &own, &c.path),
            CandKind::Customize => hooks::check_customize(root, &own, &c.path),
            CandKind::Stdlib(_) => None,
        })
        .collect();

    let mut findings: Vec<Finding> = problems
        .iter()
        .map(|p| p.finding(Stage::Bytecode))
        .collect();
    findings.extend(hooks::check_ld_preload(root, &own));
    findings.extend(found);
    findings
}
