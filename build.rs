//! Build facts for `rootaudit --version`, passed to the compiler as
//! environment variables (read with `env!` in `src/cli/args.rs`):
//!
//! * `ROOTAUDIT_COMMIT`: the commit built (`git rev-parse HEAD`), or the
//!   `ROOTAUDIT_COMMIT` environment variable when set (a build from a
//!   tarball), or `unknown`;
//! * `ROOTAUDIT_TARGET`: the target triple (Cargo's `TARGET`);
//! * `ROOTAUDIT_STATIC`: `yes` when the C runtime is linked statically
//!   (`crt-static` among the target features), else `no`.
//!
//! The script reruns only when it changes, when `ROOTAUDIT_COMMIT` changes,
//! or when git's `HEAD` (or the branch it names) moves.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=ROOTAUDIT_COMMIT");
    let commit = match std::env::var("ROOTAUDIT_COMMIT") {
        Ok(c) if !c.trim().is_empty() => c.trim().to_owned(),
        _ => git_commit().unwrap_or_else(|| "unknown".to_owned()),
    };
    println!("cargo:rustc-env=ROOTAUDIT_COMMIT={commit}");
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo:rustc-env=ROOTAUDIT_TARGET={target}");
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let linked_static = features.split(',').any(|f| f == "crt-static");
    println!(
        "cargo:rustc-env=ROOTAUDIT_STATIC={}",
        if linked_static { "yes" } else { "no" }
    );
}

/// Run git in the package's folder; its standard output, trimmed, when it
/// succeeds.
fn git(args: &[&str]) -> Option<String> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8(out.stdout)
        .ok()
        .map(|s| s.trim().to_owned())
}

/// The commit `HEAD` names (40 hex digits), and a rerun when it moves.
fn git_commit() -> Option<String> {
    // One call: where HEAD and packed-refs live (worktrees included), the
    // commit, and the branch HEAD names ("HEAD" when detached).
    let out = git(&[
        "rev-parse",
        "--git-path",
        "HEAD",
        "--git-path",
        "packed-refs",
        "HEAD",
        "--symbolic-full-name",
        "HEAD",
    ])?;
    let lines: Vec<&str> = out.lines().collect();
    let [head_file, packed_refs, commit, branch] = lines[..] else {
        return None;
    };
    if commit.len() != 40 || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut watch = vec![head_file.to_owned(), packed_refs.to_owned()];
    if branch.starts_with("refs/")
        && let Some(ref_file) = git(&["rev-parse", "--git-path", branch])
    {
        watch.push(ref_file);
    }
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    for w in watch {
        // Relative paths are relative to the folder git ran in.
        let path = Path::new(&dir).join(w);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    Some(commit.to_owned())
}
