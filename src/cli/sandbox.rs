//! The auditor confines itself: once the command line is parsed, the keys
//! are loaded and the report file is open, the scan can change nothing on
//! any file system but its private temporary directory, and cannot open a
//! socket, run a program, trace a process or mount anything. A parser bug
//! exploited by a hostile database then still cannot write into the target
//! or reach the network.
//!
//! * **Landlock** (filesystem): writing, creating, removing, renaming and
//!   linking files and directories, and executing, are denied everywhere
//!   but beneath the private temporary directory (the private copy of an
//!   rpm sqlite database). Reads are not handled by Landlock: every read of
//!   the target already resolves inside ROOT (`openat2(RESOLVE_IN_ROOT)`),
//!   and a handled read access costs a hierarchy check on every open, 13 %
//!   of a warm scan (measured; the write-only ruleset costs 2–4 %).
//!   Already open descriptors (the report, standard output) are not
//!   affected.
//! * **seccomp** (system calls): `socket`, `connect`, `execve`,
//!   `execveat`, `ptrace`, `mount`, `umount2`, `pivot_root`, `chroot` and
//!   `truncate` (by path; Landlock's truncate right is left unhandled, as
//!   it too would be checked on every open) fail with `EPERM`.
//!
//! Both apply to the calling thread and every thread it starts later: the
//! scan runs on a thread of its own that confines itself first, so its
//! worker pool is confined too, while the main thread (which parses no
//! target data) stays free to remove the private temporary directory
//! afterwards. Process state: the binary's business, never the library's.
//! On a kernel without Landlock the filesystem part is reported as not
//! active (text: one line; JSON: `sandbox`), not silently skipped;
//! `--no-sandbox` turns both off.

use std::collections::BTreeMap;
use std::path::Path;

use landlock::{
    ABI, Access, AccessFs, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus,
    path_beneath_rules,
};
use seccompiler::{SeccompAction, SeccompFilter, SeccompRule, TargetArch};

/// The newest Landlock ABI this build knows; older kernels enforce what
/// they can (best effort), and the status says so.
const LANDLOCK_ABI: ABI = ABI::V5;

/// What [`confine`] achieved, for the report.
#[derive(Debug, Clone)]
pub struct Confinement {
    /// Landlock: `Ok(description)` when enforced, `Err(why not)`.
    pub landlock: Result<String, String>,
    /// seccomp: `Ok(())` when the filter is installed, `Err(why not)`.
    pub seccomp: Result<(), String>,
}

impl Confinement {
    /// One line: `landlock ABI N (fully enforced) + seccomp`, or what is
    /// missing.
    pub fn describe(&self) -> String {
        let l = match &self.landlock {
            Ok(s) => s.clone(),
            Err(e) => format!("no landlock ({e})"),
        };
        let s = match &self.seccomp {
            Ok(()) => "seccomp".to_string(),
            Err(e) => format!("no seccomp ({e})"),
        };
        format!("{l} + {s}")
    }

    /// True when both parts are in force.
    pub fn complete(&self) -> bool {
        self.landlock.is_ok() && self.seccomp.is_ok()
    }
}

/// A private temporary directory (0700) in `$TMPDIR`, made the process's
/// `$TMPDIR` so that everything the scan writes goes there (and only
/// there, once [`confine`]d). Removed when dropped.
///
/// Must be called while the process has one thread: it sets an
/// environment variable.
pub fn private_tmp() -> std::io::Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new().prefix("rootaudit.").tempdir()?;
    // SAFETY: called from `main` before any other thread exists (the
    // worker pool and the progress line start later), so nothing reads the
    // environment concurrently.
    unsafe { std::env::set_var("TMPDIR", dir.path()) };
    Ok(dir)
}

/// Confine this thread (and every thread it starts from now on) to
/// changing nothing but beneath `tmp` (its [`private_tmp`], not the whole
/// of `/tmp`: with ROOT `/`, the target's `/tmp` stays untouched). `root`
/// is what the scan reads; reads stay confined to it by the scan itself.
pub fn confine(_root: &Path, tmp: &Path) -> Confinement {
    Confinement {
        landlock: landlock(tmp),
        seccomp: seccomp(),
    }
}

fn landlock(tmp: &Path) -> Result<String, String> {
    let abi = LANDLOCK_ABI;
    // Only the accesses that change something (and execution) are handled:
    // a handled read access costs a hierarchy check on every open, 13 % of
    // a warm scan (measured), and reads are already confined to ROOT by
    // `openat2(RESOLVE_IN_ROOT)`. Writes, creations, removals, renames,
    // links and execution are denied everywhere but the private directory.
    let denied = AccessFs::from_all(abi)
        & !AccessFs::from_read(abi)
        & !(AccessFs::Truncate | AccessFs::IoctlDev);
    let status = Ruleset::default()
        .handle_access(denied | AccessFs::Execute)
        .and_then(|r| r.create())
        .and_then(|r| r.add_rules(path_beneath_rules([tmp], denied)))
        .and_then(|r| r.restrict_self())
        .map_err(|e| e.to_string())?;
    match status.ruleset {
        RulesetStatus::FullyEnforced => Ok("landlock (fully enforced)".into()),
        RulesetStatus::PartiallyEnforced => {
            Ok("landlock (partly enforced: an older kernel)".into())
        }
        RulesetStatus::NotEnforced => Err("the kernel does not enforce it".into()),
    }
}

fn seccomp() -> Result<(), String> {
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(|e| e.to_string())?;
    let denied = [
        libc::SYS_socket,
        libc::SYS_connect,
        libc::SYS_execve,
        libc::SYS_execveat,
        libc::SYS_ptrace,
        libc::SYS_mount,
        libc::SYS_umount2,
        libc::SYS_pivot_root,
        libc::SYS_chroot,
        libc::SYS_truncate,
    ];
    let rules: BTreeMap<i64, Vec<SeccompRule>> =
        denied.into_iter().map(|nr| (nr, Vec::new())).collect();
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        arch,
    )
    .map_err(|e| e.to_string())?;
    let program: seccompiler::BpfProgram = filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| e.to_string())?;
    seccompiler::apply_filter(&program).map_err(|e| e.to_string())
}
