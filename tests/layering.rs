//! The source tree shows the pipeline: model ← rootfs ← pkgdb ← trust ←
//! check ← scan ← output. A stage's code (tests aside) names only stages
//! at or below it, so there is no cycle and no lower stage reaches a sink.

use std::path::{Path, PathBuf};

/// The stages, lowest first; `error` sits with the model (it names no
/// stage above it).
const STAGES: &[&str] = &[
    "model", "error", "sign", "rootfs", "pkgdb", "trust", "check", "fuzz", "waiver", "scan",
    "history", "output", "tui",
];

fn rank(stage: &str) -> Option<usize> {
    STAGES.iter().position(|s| *s == stage)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `crate::STAGE` references in a file's non-test, non-comment code.
fn references(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in src.lines() {
        let code = line.trim_start();
        if code.starts_with("#[cfg(test)]") {
            break; // unit tests may reach up (they drive whole scans)
        }
        if code.starts_with("//") {
            continue;
        }
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

#[test]
fn no_stage_names_a_stage_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    for stage in STAGES {
        let mut files = Vec::new();
        let dir = src.join(stage);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        }
        let file = src.join(format!("{stage}.rs"));
        if file.is_file() {
            files.push(file);
        }
        assert!(!files.is_empty(), "no source for stage {stage}");
        for f in files {
            if f.file_name().is_some_and(|n| n == "tests.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&f).unwrap();
            for r in references(&text) {
                if let (Some(to), Some(from)) = (rank(&r), rank(stage))
                    && to > from
                {
                    violations.push(format!("{} ({stage}) uses crate::{r}", f.display()));
                }
            }
        }
    }
    assert!(violations.is_empty(), "{violations:#?}");
}

/// The checker sees what it must: an upward reference is found, a
/// comment or test code is not.
#[test]
fn references_skip_comments_and_tests() {
    let src = "use crate::model::X;\n// crate::output\nfn f() { crate::scan::run(); }\n\
               #[cfg(test)]\nmod tests { use crate::output; }\n";
    assert_eq!(references(src), ["model", "scan"]);
}
