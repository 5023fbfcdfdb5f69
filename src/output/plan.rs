//! The remediation plan (a sink, like the reports): a reviewable bash
//! script, written by [`write_plan`] from [`PlanEntry`]s, that rootaudit
//! never runs.
//!
//! The plan has four parts, in the order they run:
//!
//! 1. **Quarantine**: files no package accounts for (unowned files, Python
//!    bytecode, startup hooks) are moved with `mv`, never deleted, into
//!    `$QUARANTINE`, a folder outside ROOT, under their path inside ROOT.
//!    One command per path, commented with every finding about it.
//! 2. **Suspect database records**: header findings, as a comment block:
//!    the package database record itself is suspect, and only a reinstall
//!    from trusted media helps.
//! 3. **Reinstall**: one command per package (deduplicated), commented with
//!    the findings it answers (kind, id, path), in the database format's
//!    own terms: `rpm --root ROOT -Uvh --replacepkgs` with the package file
//!    from a trusted mirror, checked first with `rpmkeys --checksig`
//!    against the rescue host's keyring (and `dnf --installroot` as the
//!    commented alternative), or `dpkg --root=ROOT -i` with the `.deb` from
//!    a trusted mirror.
//! 4. **By hand**: findings the plan does not act on, as comments.
//!
//! **Quoting, which is the point.** Paths and package names come from the
//! attacker. Every one is emitted as exactly one shell word
//! ([`shell_word`]): `'…'` (with `'` written `'\''`) when it is printable
//! ASCII, otherwise bash's `$'…'` with `\xHH` escapes, so that no newline,
//! escape or invalid UTF-8 byte ever appears raw: the whole script is
//! printable ASCII and newlines. That quoting needs bash (or zsh/ksh), so
//! the script starts `#!/bin/bash`. Comments show names the same way, so a
//! newline in a path cannot end a comment and start a command. What cannot
//! be quoted or acted on safely (a NUL byte, a relative path or one with a
//! `.`/`..` component, a package name with characters no package manager
//! uses, which could select another file or pass as an option) gets no
//! command and is listed for handling by hand.
//!
//! The script starts with `set -eu` and, right after, the [`GUARD`] line,
//! which stops it until a reviewer deletes that line: a plan run by
//! reflex, unread, does nothing.
//!
//! ```
//! use rootaudit::model::{About, Evidence, Finding, FindingKind, Severity};
//! use rootaudit::output::plan::{PlanContext, PlanEntry, write_plan};
//! let f = Finding::new(
//!     FindingKind::UnownedFile,
//!     Severity::Medium,
//!     About::path(&b"/usr/lib/x'\n$(id)"[..]),
//!     Evidence::Missing { flags: Default::default() },
//! );
//! let ctx = PlanContext {
//!     root: b"/mnt/sysimage".to_vec(),
//!     db_format: "rpm-sqlite".into(),
//!     tool_version: "0.1.0".into(),
//!     date: "2025-01-02".into(),
//! };
//! let mut out = Vec::new();
//! write_plan(&ctx, &[PlanEntry::from(&f)], &mut out)?;
//! let plan = String::from_utf8(out).unwrap();
//! assert!(plan.contains("quarantine $'/usr/lib/x\\'\\x0a$(id)'\n"));
//! # Ok::<(), std::io::Error>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{self, Write};

use crate::model::{Finding, FindingKind, PackageRef, nevra};

/// The line that stops an unreviewed plan (it follows `set -eu`). A
/// reviewer deletes it to run the plan.
pub const GUARD: &str = "echo 'rootaudit plan: review it, then delete this line' >&2; exit 1";

/// One finding the plan answers: the parts of a [`Finding`] it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanEntry {
    /// The finding's id (hex).
    pub id: String,
    /// Its kind, which decides what the plan does about it.
    pub kind: FindingKind,
    /// Its raw path inside the target.
    pub path: Option<Vec<u8>>,
    /// The package it concerns.
    pub package: Option<PlanPackage>,
}

/// A package, as the plan names it (raw, as the database holds it).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlanPackage {
    /// Name.
    pub name: String,
    /// `name-[epoch:]version-release.arch`, for comments.
    pub nevra: String,
    /// Epoch, if any.
    pub epoch: Option<u32>,
    /// Version (Debian: upstream version).
    pub version: String,
    /// Release (Debian: revision; empty for a native package).
    pub release: String,
    /// Architecture.
    pub arch: Option<String>,
}

impl From<&PackageRef> for PlanPackage {
    fn from(p: &PackageRef) -> PlanPackage {
        PlanPackage {
            name: p.name.clone(),
            nevra: p.nevra(),
            epoch: p.epoch,
            version: p.version.clone(),
            release: p.release.clone(),
            arch: p.arch.clone(),
        }
    }
}

impl From<&Finding> for PlanEntry {
    fn from(f: &Finding) -> PlanEntry {
        PlanEntry {
            id: f.id.to_string(),
            kind: f.kind,
            path: f.path.as_ref().map(|p| p.as_bytes().to_vec()),
            package: f.package.as_ref().map(PlanPackage::from),
        }
    }
}

/// What the plan is about.
#[derive(Clone, Debug)]
pub struct PlanContext {
    /// ROOT, as the scan was given it.
    pub root: Vec<u8>,
    /// The database format, as `DbFormat::as_str` gives it (`rpm-sqlite`,
    /// `rpm-bdb`, `rpm-ndb`, `dpkg`).
    pub db_format: String,
    /// rootaudit's version.
    pub tool_version: String,
    /// When the plan was made (also names the default quarantine folder).
    pub date: String,
}

/// `raw` as one bash word: `'…'` when every byte is printable ASCII,
/// else `$'…'` with `\xHH` for every other byte (and `\\`, `\'`); `None`
/// when it holds a NUL byte, which no shell word can carry. The result is
/// printable ASCII.
pub fn shell_word(raw: &[u8]) -> Option<String> {
    if raw.contains(&0) {
        return None;
    }
    let mut s = String::with_capacity(raw.len() + 3);
    if raw.iter().all(|b| (0x20..0x7f).contains(b)) {
        s.push('\'');
        for &b in raw {
            match b {
                b'\'' => s.push_str("'\\''"),
                b => s.push(b as char),
            }
        }
    } else {
        s.push_str("$'");
        for &b in raw {
            match b {
                b'\\' => s.push_str("\\\\"),
                b'\'' => s.push_str("\\'"),
                0x20..=0x7e => s.push(b as char),
                b => {
                    let _ = write!(s, "\\x{b:02x}");
                }
            }
        }
    }
    s.push('\'');
    Some(s)
}

/// Free text for a comment: printable ASCII stays, `\` is doubled, every
/// other byte becomes `\xHH`.
fn comment_text(raw: &[u8]) -> String {
    let mut s = String::with_capacity(raw.len());
    for &b in raw {
        match b {
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            b => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    s
}

/// A path or name for a comment: its shell word, or (NUL inside) its
/// escaped text, marked.
fn shown(raw: &[u8]) -> String {
    shell_word(raw).unwrap_or_else(|| format!("(holds a NUL byte: {})", comment_text(raw)))
}

/// What the plan does about a kind of finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    /// Move the file into the quarantine.
    Quarantine,
    /// Reinstall the package.
    Reinstall,
    /// The database record is suspect: comment, and reinstall.
    Header,
    /// Nothing: list it for handling by hand.
    Manual,
}

fn action(kind: FindingKind) -> Action {
    match kind {
        FindingKind::BytecodeSourceless
        | FindingKind::BytecodeUncheckedHash
        | FindingKind::BytecodeStale
        | FindingKind::BytecodeOrphaned
        | FindingKind::BytecodeForeignMagic
        | FindingKind::BytecodeUnregistered
        | FindingKind::StartupHook
        | FindingKind::UnownedSetuid
        | FindingKind::UnownedExecutable
        | FindingKind::UnownedFile => Action::Quarantine,
        FindingKind::FileChanged | FindingKind::FileMissing => Action::Reinstall,
        FindingKind::HeaderMalformed
        | FindingKind::HeaderDigestBad
        | FindingKind::HeaderSignatureBad
        | FindingKind::HeaderSignerUntrusted
        | FindingKind::HeaderSignerRevoked
        | FindingKind::HeaderUnsigned
        | FindingKind::HeaderRegionOverride => Action::Header,
        FindingKind::TargetKeyUntrusted
        | FindingKind::PackageNoDigests
        | FindingKind::FileUnreadable
        | FindingKind::FileChangedDuringScan
        | FindingKind::CheckIncomplete => Action::Manual,
    }
}

/// Why a finding is left to be handled by hand.
fn manual_note(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::CheckIncomplete => "a check did not run completely; what it missed is unknown",
        FindingKind::FileUnreadable => "could not be read or examined; look at it by hand",
        FindingKind::FileChangedDuringScan => {
            "it changed while it was read: scan again when nothing writes to it"
        }
        FindingKind::PackageNoDigests => {
            "its files' content cannot be checked; reinstall it from trusted media to be sure"
        }
        FindingKind::TargetKeyUntrusted => {
            "ROOT's own rpm database trusts a key the trust store lacks (rpm and dnf with --root accept what it signed)"
        }
        _ => "not acted on",
    }
}

/// The package-manager family of a database format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Rpm,
    Dpkg,
    Other,
}

fn family(db_format: &str) -> Family {
    match db_format {
        "dpkg" => Family::Dpkg,
        f if f.starts_with("rpm-") || f == "rpm" => Family::Rpm,
        _ => Family::Other,
    }
}

/// A path the quarantine can take: absolute, not `/` itself, no NUL, no
/// `.` or `..` component; trailing slashes dropped.
fn plain_path(raw: &[u8]) -> Option<&[u8]> {
    let mut p = raw;
    while p.len() > 1 && p.ends_with(b"/") {
        p = &p[..p.len() - 1];
    }
    let plain = p.len() > 1
        && p.starts_with(b"/")
        && !p.contains(&0)
        && p.split(|&b| b == b'/').all(|c| c != b"." && c != b"..");
    plain.then_some(p)
}

/// A name, version, release or architecture a package manager could have
/// made: non-empty, printable ASCII letters, digits and `._+~^:-`, not
/// starting with punctuation (so it can be neither an option nor a path
/// that climbs out of the package folder).
fn plain_token(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "._+~^:-".contains(c))
}

/// Whether the plan may put the package into a command.
fn plain_package(p: &PlanPackage, family: Family) -> bool {
    let release_ok = match family {
        // A native Debian package has no revision.
        Family::Dpkg => p.release.is_empty() || plain_token(&p.release),
        _ => plain_token(&p.release),
    };
    plain_token(&p.name)
        && plain_token(&p.version)
        && release_ok
        && p.arch.as_deref().is_some_and(plain_token)
}

/// The script, line by line: every line is checked to be printable ASCII.
struct Script<'a> {
    out: &'a mut dyn Write,
}

impl Script<'_> {
    fn line(&mut self, s: &str) -> io::Result<()> {
        if let Some(b) = s.bytes().find(|b| !(0x20..0x7f).contains(b)) {
            // Unreachable by construction (every name goes through
            // `shell_word` or `comment_text`); refuse rather than write it.
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("plan line with unsafe byte {b:#04x}"),
            ));
        }
        self.out.write_all(s.as_bytes())?;
        self.out.write_all(b"\n")
    }

    fn comment(&mut self, s: &str) -> io::Result<()> {
        if s.is_empty() {
            self.line("#")
        } else {
            self.line(&format!("# {s}"))
        }
    }

    fn block(&mut self, text: &str) -> io::Result<()> {
        text.lines().try_for_each(|l| self.line(l))
    }

    fn comments(&mut self, text: &str) -> io::Result<()> {
        text.lines().try_for_each(|l| self.comment(l))
    }

    fn blank(&mut self) -> io::Result<()> {
        self.out.write_all(b"\n")
    }
}

/// `kind id 'path'`, for a comment.
fn about(e: &PlanEntry) -> String {
    let mut s = format!("{} {}", e.kind.as_str(), comment_text(e.id.as_bytes()));
    if let Some(p) = &e.path {
        s.push(' ');
        s.push_str(&shown(p));
    }
    s
}

/// `about(e)` and the package, for a comment.
fn about_with_package(e: &PlanEntry) -> String {
    let mut s = about(e);
    if let Some(p) = &e.package {
        s.push_str(" package ");
        s.push_str(&shown(p.nevra.as_bytes()));
    }
    s
}

/// A date as part of a folder name: letters, digits and `._-`.
fn folder_safe(date: &str) -> String {
    let s: String = date
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() { "undated".into() } else { s }
}

const INTRO: &str = "\
Review before running; rootaudit never runs this. It was written from
findings about files an attacker may have named: every path and name
below is one shell word, in single quotes, or in $'...' with \\xHH
escapes when it holds a byte that is not printable ASCII (a newline, an
escape, invalid UTF-8); that quoting needs bash. Comments show names the
same way. What cannot be handled safely (a path with a NUL byte or a
. or .. component, a package name no package manager would make) gets
no command and is listed under \"by hand\".

Parts, in the order they run: 1. quarantine files no package accounts
for (moved, never deleted, to QUARANTINE outside ROOT); 2. suspect
package database records; 3. reinstall packages from trusted media;
4. findings this plan does not act on.

The line after `set -eu` stops the plan: delete it once you have read
everything below. The shellcheck directive above silences notes about
the literal quoting and about what the guard makes unreachable.";

const QUARANTINE_INTRO: &str = "\
== 1. Quarantine ==
Files no package accounts for (unowned files, Python bytecode, startup
hooks) are moved, with their path inside ROOT kept, into QUARANTINE, a
folder outside ROOT (run with QUARANTINE=/some/folder to choose another).
Nothing is deleted. The plan stops at a path whose folders inside ROOT
are not plain folders: a symbolic link there could lead the move out of
ROOT. A quarantined file that belongs to a package comes back from the
reinstall in part 3.";

const QUARANTINE_FN: &str = r#"case "$QUARANTINE/" in
"$ROOT"/*)
    echo 'rootaudit plan: QUARANTINE must be outside ROOT' >&2
    exit 1
    ;;
esac
mkdir -p -- "$QUARANTINE"

# quarantine PATH: move ROOT/PATH to QUARANTINE/PATH (PATH is absolute).
quarantine() {
    local rel=$1 dir rest walk
    dir=${rel%/*}
    walk=$ROOT
    rest=${dir#/}
    while [ -n "$rest" ]; do
        walk=$walk/${rest%%/*}
        case $rest in
        */*) rest=${rest#*/} ;;
        *) rest= ;;
        esac
        if [ -L "$walk" ] || [ ! -d "$walk" ]; then
            printf 'rootaudit plan: not a plain folder, stopping: %q\n' "$walk" >&2
            return 1
        fi
    done
    if [ ! -e "$ROOT$rel" ] && [ ! -L "$ROOT$rel" ]; then
        printf 'rootaudit plan: already gone, skipped: %q\n' "$rel" >&2
        return 0
    fi
    if [ -e "$QUARANTINE$rel" ] || [ -L "$QUARANTINE$rel" ]; then
        printf 'rootaudit plan: already in the quarantine, stopping: %q\n' "$QUARANTINE$rel" >&2
        return 1
    fi
    mkdir -p -- "$QUARANTINE$dir"
    mv -- "$ROOT$rel" "$QUARANTINE$rel"
    printf 'quarantined %q\n' "$rel"
}"#;

const HEADER_INTRO: &str = "\
== 2. Suspect package database records ==
For these packages the package database record itself is suspect (its
header is forged, altered, unsigned or unreadable): its file list and
digests may be the attacker's, so a file that verifies against it proves
nothing. A reinstall from trusted media is needed: part 3 does it where
the package is known; where no package could be read, restore the
database from a backup or reinstall the system from trusted media.";

const RPM_INTRO: &str = "\
== 3. Reinstall from trusted media ==
Put the exact package files, from a trusted mirror of the same release
(e.g. `dnf download NAME-EPOCH:VERSION-RELEASE.ARCH` on a trusted host),
into RPMS (run with RPMS=/some/folder to choose another). Each is checked
with rpmkeys against this host's keyring before rpm installs it: with
--root, rpm checks signatures against ROOT's own rpm database, whose keys
the attacker may have added. rpmkeys passes an unsigned file with
\"digests OK\" alone: make sure it says \"signatures OK\".
--noscripts --notriggers: with --root, rpm runs scriptlets after a
chroot into ROOT, with ROOT's own shell and libraries, as root (chroot
confines no root process); the scriptlets of this very version already
ran when it was installed.
The commented dnf line is the alternative for a mounted rescue root with
network access (dnf 5; with dnf 4 replace --use-host-config by
--config=/etc/dnf/dnf.conf --setopt=reposdir=/etc/yum.repos.d): without
it dnf reads the repositories from inside ROOT, and it checks signatures
against ROOT's keyring, so remove keys rootaudit reported as
target-key-untrusted first.";

const DPKG_INTRO: &str = "\
== 3. Reinstall from trusted media ==
Put the exact .deb files, from a trusted mirror of the same release, into
DEBS (run with DEBS=/some/folder to choose another), named as the
archive's pool names them: NAME_VERSION_ARCH.deb, VERSION without its
epoch. `apt-get download NAME=VERSION` on a trusted host checks each file
against the archive's signed Release file (it writes the epoch into the
file name as %3a: rename the file). dpkg checks no signature itself.
dpkg --root runs the packages' maintainer scripts after a chroot into
ROOT, with ROOT's own shell and libraries, as root; there is no switch to
skip them. It also follows symbolic links inside ROOT, absolute ones
included, on this host. Run it where nothing else of value is mounted
(a throw-away rescue system), and if the shell, the dynamic loader or
libc are among the findings, reinstall the system from trusted media.";

/// Write the remediation plan for `entries` (accepted findings already
/// left out by the caller) as a bash script: see the module doc.
///
/// Fails only when `out` does, or when `ctx.root` is empty or holds a NUL
/// byte (`InvalidInput`).
pub fn write_plan(ctx: &PlanContext, entries: &[PlanEntry], out: &mut dyn Write) -> io::Result<()> {
    let mut root: &[u8] = &ctx.root;
    while root.len() > 1 && root.ends_with(b"/") {
        root = &root[..root.len() - 1];
    }
    let root_word = match shell_word(root) {
        Some(w) if !root.is_empty() => w,
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "plan: ROOT is empty or holds a NUL byte",
            ));
        }
    };
    let family = family(&ctx.db_format);

    // Sort the entries into the plan's parts.
    let mut quarantine: BTreeMap<&[u8], Vec<&PlanEntry>> = BTreeMap::new();
    let mut reinstall: BTreeMap<&PlanPackage, Vec<&PlanEntry>> = BTreeMap::new();
    let mut headers: Vec<&PlanEntry> = Vec::new();
    let mut manual: Vec<(&PlanEntry, &'static str)> = Vec::new();
    for e in entries {
        match action(e.kind) {
            Action::Quarantine => match e.path.as_deref().map(plain_path) {
                Some(Some(p)) => quarantine.entry(p).or_default().push(e),
                Some(None) => manual.push((
                    e,
                    "the path cannot be moved safely by a script (a NUL byte, relative, or a . or .. component): handle it by hand",
                )),
                None => manual.push((e, "no path was reported: handle it by hand")),
            },
            Action::Reinstall if e.package.is_none() => {
                manual.push((e, "no package was reported: handle it by hand"));
            }
            Action::Reinstall => {}
            Action::Header => headers.push(e),
            Action::Manual => manual.push((e, manual_note(e.kind))),
        }
        // A package with findings against it (its files, or its record)
        // is reinstalled; so is one whose file goes into the quarantine.
        if action(e.kind) != Action::Manual
            && let Some(p) = &e.package
        {
            reinstall.entry(p).or_default().push(e);
        }
    }
    headers.sort_by(|a, b| (&a.package, a.kind, &a.id).cmp(&(&b.package, b.kind, &b.id)));
    manual.sort_by(|a, b| (a.0.kind, &a.0.path, &a.0.id).cmp(&(b.0.kind, &b.0.path, &b.0.id)));

    let uses_root = !quarantine.is_empty()
        || (family != Family::Other && reinstall.keys().any(|p| plain_package(p, family)));

    let mut s = Script { out };
    s.line("#!/bin/bash")?;
    s.comment("rootaudit remediation plan")?;
    // For reviewers who run shellcheck: names are quoted literally on
    // purpose (SC1003, SC2016), and the guard makes all after it
    // unreachable (SC2317).
    s.line("# shellcheck disable=SC1003,SC2016,SC2317")?;
    s.comment("")?;
    s.comment(&format!("root:      {root_word}"))?;
    s.comment(&format!(
        "database:  {}",
        comment_text(ctx.db_format.as_bytes())
    ))?;
    s.comment(&format!("date:      {}", comment_text(ctx.date.as_bytes())))?;
    s.comment(&format!(
        "rootaudit: {}",
        comment_text(ctx.tool_version.as_bytes())
    ))?;
    s.comment(&format!(
        "findings:  to quarantine {}, packages to reinstall {}, suspect records {}, by hand {}",
        quarantine.values().map(Vec::len).sum::<usize>(),
        reinstall.len(),
        headers.len(),
        manual.len()
    ))?;
    s.comment("")?;
    s.comments(INTRO)?;
    s.line("set -eu")?;
    s.line(GUARD)?;
    s.line("umask 077")?;
    if uses_root {
        s.blank()?;
        if !root.starts_with(b"/") {
            s.comment("ROOT is a relative path: run this from the folder rootaudit ran in.")?;
        }
        s.line(&format!("ROOT={root_word}"))?;
    }

    if !quarantine.is_empty() {
        s.blank()?;
        s.comments(QUARANTINE_INTRO)?;
        s.line(&format!(
            "QUARANTINE=\"${{QUARANTINE:-/root/rootaudit-quarantine-{}}}\"",
            folder_safe(&ctx.date)
        ))?;
        s.block(QUARANTINE_FN)?;
        let mut moved: BTreeSet<&[u8]> = BTreeSet::new();
        for (path, es) in &quarantine {
            s.blank()?;
            for e in es {
                s.comment(&about_with_package(e))?;
            }
            // A folder quarantined above takes this path along.
            let parent = (1..path.len())
                .filter(|&i| path[i] == b'/')
                .map(|i| &path[..i])
                .find(|p| moved.contains(p));
            match (parent, shell_word(path)) {
                (Some(p), _) => s.comment(&format!("moves along with {}", shown(p)))?,
                (None, Some(w)) => {
                    s.line(&format!("quarantine {w}"))?;
                    moved.insert(path);
                }
                // `plain_path` refused NUL bytes already.
                (None, None) => s.comment("cannot be quoted: handle it by hand")?,
            }
        }
    }

    if !headers.is_empty() {
        s.blank()?;
        s.comments(HEADER_INTRO)?;
        for e in &headers {
            let mut l = about_with_package(e);
            if e.package.is_none() {
                l.push_str(" (no package could be read from the record)");
            }
            s.comment(&l)?;
        }
    }

    if !reinstall.is_empty() {
        s.blank()?;
        match family {
            Family::Rpm => {
                s.comments(RPM_INTRO)?;
                s.line("RPMS=\"${RPMS:-/root/rootaudit-rpms}\"")?;
            }
            Family::Dpkg => {
                s.comments(DPKG_INTRO)?;
                s.line("DEBS=\"${DEBS:-/root/rootaudit-debs}\"")?;
            }
            Family::Other => {
                s.comment("== 3. Reinstall from trusted media ==")?;
                s.comment(&format!(
                    "rootaudit knows no reinstall command for the database format {}:",
                    comment_text(ctx.db_format.as_bytes())
                ))?;
                s.comment("reinstall these packages from trusted media by hand.")?;
            }
        }
        for (p, es) in &reinstall {
            s.blank()?;
            for e in es {
                let mut l = about(e);
                if action(e.kind) == Action::Header {
                    l.push_str(" (its database record)");
                }
                s.comment(&l)?;
            }
            reinstall_lines(&mut s, p, family)?;
        }
    }

    if !manual.is_empty() {
        s.blank()?;
        s.comment("== 4. By hand ==")?;
        s.comment("Findings this plan does not act on.")?;
        for (e, note) in &manual {
            s.blank()?;
            s.comment(&about_with_package(e))?;
            s.comment(&format!("  {note}"))?;
            if e.kind == FindingKind::TargetKeyUntrusted
                && family == Family::Rpm
                && let Some(p) = &e.package
            {
                let key = nevra(&p.name, None, &p.version, &p.release, None);
                if plain_token(&p.name) && plain_token(&p.version) && plain_token(&p.release) {
                    s.comment("  if it is not a key you trust, remove it:")?;
                    s.comment(&format!(
                        "  rpm --root \"$ROOT\" -e {}",
                        shown(key.as_bytes())
                    ))?;
                }
            }
        }
    }

    if entries.is_empty() {
        s.blank()?;
        s.comment("No findings: nothing to do.")?;
    }
    s.out.flush()
}

/// The command(s) reinstalling one package, or why there are none.
fn reinstall_lines(s: &mut Script<'_>, p: &PlanPackage, family: Family) -> io::Result<()> {
    if family == Family::Other {
        return s.comment(&format!("reinstall {}", shown(p.nevra.as_bytes())));
    }
    if !plain_package(p, family) {
        return s.comment(&format!(
            "no command: the package {} has a name, version or architecture no package manager would make; handle it by hand",
            shown(p.nevra.as_bytes())
        ));
    }
    // `plain_package` checked every part: the words below are plain ASCII.
    let arch = p.arch.as_deref().unwrap_or_default();
    let word = |t: &str| shell_word(t.as_bytes()).unwrap_or_default();
    match family {
        Family::Rpm => {
            let file = word(&format!(
                "{}-{}-{}.{arch}.rpm",
                p.name, p.version, p.release
            ));
            let spec = word(&nevra(&p.name, p.epoch, &p.version, &p.release, Some(arch)));
            s.line(&format!("rpmkeys --checksig \"$RPMS\"/{file}"))?;
            s.line(&format!(
                "rpm --root \"$ROOT\" -Uvh --replacepkgs --noscripts --notriggers \"$RPMS\"/{file}"
            ))?;
            s.comment(&format!(
                "or: dnf --installroot=\"$ROOT\" --use-host-config reinstall {spec}"
            ))
        }
        Family::Dpkg => {
            let mut version = p.version.clone();
            if !p.release.is_empty() {
                version = format!("{version}-{}", p.release);
            }
            let full = match p.epoch {
                Some(e) => format!("{e}:{version}"),
                None => version.clone(),
            };
            s.comment(&format!(
                "apt-get download {}",
                word(&format!("{}={full}", p.name))
            ))?;
            s.line(&format!(
                "dpkg --root=\"$ROOT\" -i \"$DEBS\"/{}",
                word(&format!("{}_{version}_{arch}.deb", p.name))
            ))
        }
        Family::Other => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    fn pkg(
        name: &str,
        epoch: Option<u32>,
        version: &str,
        release: &str,
        arch: &str,
    ) -> PlanPackage {
        PlanPackage {
            name: name.into(),
            nevra: nevra(name, epoch, version, release, Some(arch)),
            epoch,
            version: version.into(),
            release: release.into(),
            arch: Some(arch.into()),
        }
    }

    fn entry(
        kind: FindingKind,
        id: &str,
        path: Option<&[u8]>,
        p: Option<PlanPackage>,
    ) -> PlanEntry {
        PlanEntry {
            id: id.into(),
            kind,
            path: path.map(<[u8]>::to_vec),
            package: p,
        }
    }

    fn ctx(format: &str) -> PlanContext {
        PlanContext {
            root: b"/mnt/sysimage".to_vec(),
            db_format: format.into(),
            tool_version: "0.1.0".into(),
            date: "2025-01-02".into(),
        }
    }

    fn plan(ctx: &PlanContext, entries: &[PlanEntry]) -> String {
        let mut out = Vec::new();
        write_plan(ctx, entries, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Names an attacker would choose.
    fn hostile() -> Vec<Vec<u8>> {
        vec![
            b"'; rm -rf / #".to_vec(),
            b"a\nrm -rf /".to_vec(),
            b"\x1b]0;owned\x07\x1b[2J".to_vec(),
            b"bad\xff\xfe\x80".to_vec(),
            b"$(rm -rf /)".to_vec(),
            b"`rm -rf /`".to_vec(),
            b"\\'\\x41\"$HOME\"".to_vec(),
            b"-rf *".to_vec(),
            "x\u{202e}y\u{2028}".as_bytes().to_vec(),
            (1u8..=255).collect(),
        ]
    }

    fn bash() -> bool {
        Command::new("bash").arg("-c").arg("true").status().is_ok()
    }

    /// bash reads every word back as exactly the bytes it was made from.
    #[test]
    fn shell_words_round_trip_through_bash() {
        let mut words: Vec<Vec<u8>> = hostile();
        words.extend((1u8..=255).map(|b| vec![b]));
        words.extend([b"".to_vec(), b"plain".to_vec(), b"it's".to_vec()]);
        for w in &words {
            let q = shell_word(w).unwrap();
            assert!(q.bytes().all(|b| (0x20..0x7f).contains(&b)), "{q}");
        }
        assert_eq!(shell_word(b"a\0b"), None);
        if !bash() {
            eprintln!("skipped: no bash");
            return;
        }
        let mut script = String::from("printf '%s\\0'");
        for w in &words {
            script.push(' ');
            script.push_str(&shell_word(w).unwrap());
        }
        let out = Command::new("bash")
            .arg("-c")
            .arg(&script)
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        assert!(out.status.success());
        let mut back: Vec<&[u8]> = out.stdout.split(|&b| b == 0).collect();
        assert_eq!(back.pop(), Some(&b""[..]));
        assert_eq!(back, words.iter().map(Vec::as_slice).collect::<Vec<_>>());
    }

    #[test]
    fn shell_words_are_single_quoted_or_ansi_c() {
        assert_eq!(shell_word(b"/usr/bin/su").unwrap(), "'/usr/bin/su'");
        assert_eq!(shell_word(b"it's").unwrap(), "'it'\\''s'");
        assert_eq!(shell_word(b"a\nb").unwrap(), "$'a\\x0ab'");
        assert_eq!(shell_word(b"\\'\xff").unwrap(), "$'\\\\\\'\\xff'");
        assert_eq!(shell_word(b"").unwrap(), "''");
    }

    fn mixed() -> Vec<PlanEntry> {
        let su = pkg("util-linux", None, "2.37.4", "9.el9", "x86_64");
        let bash = pkg("bash", Some(1), "5.1.8", "9.el9", "x86_64");
        vec![
            entry(
                FindingKind::FileChanged,
                "62a7843a5a1a9e34",
                Some(b"/usr/bin/su"),
                Some(su.clone()),
            ),
            entry(
                FindingKind::FileMissing,
                "1111111111111111",
                Some(b"/usr/bin/more"),
                Some(su),
            ),
            entry(
                FindingKind::HeaderSignatureBad,
                "2222222222222222",
                None,
                Some(bash),
            ),
            entry(FindingKind::HeaderMalformed, "3333333333333333", None, None),
            entry(
                FindingKind::UnownedSetuid,
                "4444444444444444",
                Some(b"/usr/bin/evil"),
                None,
            ),
            entry(
                FindingKind::StartupHook,
                "5555555555555555",
                Some(b"/etc/ld.so.preload"),
                None,
            ),
            entry(
                FindingKind::BytecodeSourceless,
                "6666666666666666",
                Some(b"/usr/lib/python3/x.pyc"),
                None,
            ),
            entry(
                FindingKind::CheckIncomplete,
                "7777777777777777",
                Some(b"/etc/passwd"),
                None,
            ),
            entry(
                FindingKind::FileChanged,
                "8888888888888888",
                Some(b"/x"),
                None,
            ),
        ]
    }

    #[test]
    fn rpm_plan_holds_the_expected_commands() {
        let p = plan(&ctx("rpm-sqlite"), &mixed());
        assert!(p.starts_with("#!/bin/bash\n# rootaudit remediation plan\n"));
        assert!(p.contains(&format!("\nset -eu\n{GUARD}\n")));
        assert!(p.contains("\nROOT='/mnt/sysimage'\n"));
        assert!(p.contains("# root:      '/mnt/sysimage'\n"));
        assert!(p.contains("# database:  rpm-sqlite\n"));
        assert!(p.contains("# date:      2025-01-02\n"));
        assert!(p.contains("# rootaudit: 0.1.0\n"));
        assert!(
            p.contains("QUARANTINE=\"${QUARANTINE:-/root/rootaudit-quarantine-2025-01-02}\"\n")
        );
        // Quarantine: one command per path, commented.
        for (id, kind, path) in [
            ("4444444444444444", "unowned-setuid", "/usr/bin/evil"),
            ("5555555555555555", "startup-hook", "/etc/ld.so.preload"),
            (
                "6666666666666666",
                "bytecode-sourceless",
                "/usr/lib/python3/x.pyc",
            ),
        ] {
            assert!(
                p.contains(&format!("# {kind} {id} '{path}'\nquarantine '{path}'\n")),
                "{path}\n{p}"
            );
        }
        // Reinstall: deduplicated per package, commented with each finding.
        let cmd = "rpm --root \"$ROOT\" -Uvh --replacepkgs --noscripts --notriggers \"$RPMS\"/'util-linux-2.37.4-9.el9.x86_64.rpm'";
        assert_eq!(p.matches(cmd).count(), 1, "{p}");
        assert!(p.contains(&format!(
            "# file-changed 62a7843a5a1a9e34 '/usr/bin/su'\n\
             # file-missing 1111111111111111 '/usr/bin/more'\n\
             rpmkeys --checksig \"$RPMS\"/'util-linux-2.37.4-9.el9.x86_64.rpm'\n\
             {cmd}\n\
             # or: dnf --installroot=\"$ROOT\" --use-host-config reinstall 'util-linux-2.37.4-9.el9.x86_64'\n"
        )), "{p}");
        // The header finding: a comment block and a reinstall (epoch in
        // the dnf NEVRA, not in the file name).
        assert!(p.contains(
            "# header-signature-bad 2222222222222222 package 'bash-1:5.1.8-9.el9.x86_64'\n"
        ));
        assert!(p.contains("the package database record itself is suspect"));
        assert!(p.contains(
            "# header-signature-bad 2222222222222222 (its database record)\n\
             rpmkeys --checksig \"$RPMS\"/'bash-5.1.8-9.el9.x86_64.rpm'\n"
        ));
        assert!(p.contains("reinstall 'bash-1:5.1.8-9.el9.x86_64'\n"));
        assert!(p.contains(
            "# header-malformed 3333333333333333 (no package could be read from the record)\n"
        ));
        // By hand.
        assert!(p.contains("# check-incomplete 7777777777777777 '/etc/passwd'\n"));
        assert!(p.contains("# file-changed 8888888888888888 '/x'\n#   no package was reported"));
        // Parts in order.
        let at = |s: &str| p.find(s).unwrap();
        assert!(at(GUARD) < at("quarantine '/"));
        assert!(
            at("quarantine '/") < at("== 2.")
                && at("== 2.") < at("== 3.")
                && at("== 3.") < at("== 4.")
        );
    }

    #[test]
    fn dpkg_plan_uses_dpkg_root_with_pool_file_names() {
        let entries = vec![
            entry(
                FindingKind::FileChanged,
                "aaaaaaaaaaaaaaaa",
                Some(b"/usr/bin/vim.basic"),
                Some(pkg("vim", Some(2), "9.0.1378", "2", "amd64")),
            ),
            entry(
                FindingKind::FileMissing,
                "bbbbbbbbbbbbbbbb",
                Some(b"/usr/share/doc/native/x"),
                Some(pkg("native", None, "1.0", "", "all")),
            ),
        ];
        let p = plan(&ctx("dpkg"), &entries);
        assert!(p.contains("DEBS=\"${DEBS:-/root/rootaudit-debs}\"\n"));
        assert!(p.contains("# apt-get download 'vim=2:9.0.1378-2'\ndpkg --root=\"$ROOT\" -i \"$DEBS\"/'vim_9.0.1378-2_amd64.deb'\n"), "{p}");
        assert!(p.contains("dpkg --root=\"$ROOT\" -i \"$DEBS\"/'native_1.0_all.deb'\n"));
        assert!(!p.contains("rpm "));
        assert!(!p.contains("QUARANTINE="));
    }

    #[test]
    fn unknown_format_lists_packages_without_commands() {
        let p = plan(&ctx("apk"), &mixed()[..1]);
        assert!(p.contains("# reinstall 'util-linux-2.37.4-9.el9.x86_64'\n"));
        assert!(!p.contains("rpm --root"));
        assert!(!p.contains("dpkg --root"));
    }

    /// Every byte an attacker controls, in every place it can go: the
    /// script stays printable ASCII, each hostile path is one quoted word,
    /// and odd packages get no command.
    #[test]
    fn hostile_names_never_appear_raw() {
        let mut entries = Vec::new();
        for (i, h) in hostile().into_iter().enumerate() {
            let mut path = b"/usr/lib/".to_vec();
            path.extend_from_slice(&h);
            let name = String::from_utf8_lossy(&h).into_owned();
            let p = PlanPackage {
                name: name.clone(),
                nevra: name.clone(),
                epoch: None,
                version: name.clone(),
                release: name.clone(),
                arch: Some(name.clone()),
            };
            let id = format!("{i}\n{name}");
            entries.push(entry(FindingKind::UnownedFile, &id, Some(&path), None));
            entries.push(entry(
                FindingKind::FileChanged,
                &id,
                Some(&path),
                Some(p.clone()),
            ));
            entries.push(entry(
                FindingKind::HeaderUnsigned,
                &id,
                None,
                Some(p.clone()),
            ));
            entries.push(entry(FindingKind::TargetKeyUntrusted, &id, None, Some(p)));
        }
        entries.push(entry(FindingKind::UnownedFile, "nul", Some(b"/a\0b"), None));
        entries.push(entry(
            FindingKind::UnownedFile,
            "dotdot",
            Some(b"/usr/../../etc/shadow"),
            None,
        ));
        entries.push(entry(
            FindingKind::UnownedFile,
            "relative",
            Some(b"etc/shadow"),
            None,
        ));
        entries.push(entry(FindingKind::UnownedFile, "root", Some(b"/"), None));
        for format in ["rpm-sqlite", "dpkg", "x\n$(id)"] {
            let mut c = ctx(format);
            c.root = b"/mnt/it's\n$(x)/".to_vec();
            c.date = "2025\n$(id);'".into();
            c.tool_version = "1\nrm -rf /".into();
            let p = plan(&c, &entries);
            assert!(
                p.bytes().all(|b| b == b'\n' || (0x20..0x7f).contains(&b)),
                "unsafe byte in plan"
            );
            // Every line is a comment, blank, or from the fixed template,
            // or a command whose only variable parts are quoted words.
            for l in p.lines() {
                let known = l.is_empty()
                    || l.starts_with('#')
                    || l.starts_with("quarantine $'/usr/lib/")
                    || l.starts_with("quarantine '/usr/lib/")
                    || QUARANTINE_FN.lines().any(|t| t == l)
                    || [
                        "set -eu",
                        GUARD,
                        "umask 077",
                        "ROOT=$'/mnt/it\\'s\\x0a$(x)'",
                        "QUARANTINE=\"${QUARANTINE:-/root/rootaudit-quarantine-2025---id---}\"",
                        "RPMS=\"${RPMS:-/root/rootaudit-rpms}\"",
                        "DEBS=\"${DEBS:-/root/rootaudit-debs}\"",
                    ]
                    .contains(&l);
                assert!(known, "unexpected line: {l}");
            }
            // Hostile packages get no command, only a comment.
            assert!(!p.contains("rpm --root \"$ROOT\" -Uvh"));
            assert!(!p.contains("dpkg --root=\"$ROOT\" -i"));
            assert!(!p.contains("#   rpm --root \"$ROOT\" -e"));
            assert!(!p.contains("quarantine '/usr/../"));
            assert!(!p.contains("quarantine 'etc/shadow'"));
            assert!(!p.contains("quarantine '/'"));
            assert!(p.contains(
                "# unowned-file dotdot '/usr/../../etc/shadow'\n#   the path cannot be moved safely"
            ));
            assert!(p.contains("# unowned-file nul (holds a NUL byte: /a\\x00b)\n"));
            // Ids with newlines cannot end a comment.
            assert!(
                p.contains("# unowned-file 0\\x0a'; rm -rf / # '/usr/lib/'\\''; rm -rf / #'\n"),
                "{p}"
            );
            bash_n(&p);
            shellcheck(&p);
        }
    }

    #[test]
    fn nested_quarantine_paths_move_with_their_folder() {
        let entries = vec![
            entry(FindingKind::UnownedFile, "1", Some(b"/opt/evil/x"), None),
            entry(
                FindingKind::UnownedExecutable,
                "2",
                Some(b"/opt/evil/"),
                None,
            ),
            entry(FindingKind::UnownedFile, "3", Some(b"/opt/evil-2"), None),
            entry(
                FindingKind::BytecodeUnregistered,
                "4",
                Some(b"/opt/evil-2"),
                None,
            ),
        ];
        let p = plan(&ctx("rpm-sqlite"), &entries);
        assert_eq!(p.matches("\nquarantine '").count(), 2, "{p}");
        assert!(p.contains("# unowned-executable 2 '/opt/evil/'\nquarantine '/opt/evil'\n"));
        assert!(p.contains("# unowned-file 3 '/opt/evil-2'\n# bytecode-unregistered 4 '/opt/evil-2'\nquarantine '/opt/evil-2'\n"));
        assert!(p.contains("# unowned-file 1 '/opt/evil/x'\n# moves along with '/opt/evil'\n"));
    }

    #[test]
    fn every_plan_parses_and_has_its_guard() {
        for format in ["rpm-sqlite", "rpm-bdb", "rpm-ndb", "dpkg", "other"] {
            for entries in [vec![], mixed()] {
                let p = plan(&ctx(format), &entries);
                assert_eq!(p.matches(GUARD).count(), 1);
                bash_n(&p);
                shellcheck(&p);
            }
        }
        let mut c = ctx("rpm-sqlite");
        c.root = b"relative/root".to_vec();
        assert!(plan(&c, &mixed()).contains("ROOT is a relative path"));
        assert!(!plan(&c, &[]).contains("ROOT="));
        c.root = Vec::new();
        assert!(write_plan(&c, &[], &mut Vec::new()).is_err());
    }

    /// `bash -n` accepts the plan.
    pub(super) fn bash_n(plan: &str) {
        if !bash() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("plan.sh");
        std::fs::write(&f, plan).unwrap();
        let out = Command::new("bash").arg("-n").arg(&f).output().unwrap();
        assert!(
            out.status.success(),
            "bash -n: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// shellcheck, if installed, finds nothing.
    pub(super) fn shellcheck(plan: &str) {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("plan.sh");
        std::fs::write(&f, plan).unwrap();
        let Ok(out) = Command::new("shellcheck").arg(&f).output() else {
            return;
        };
        assert!(
            out.status.success(),
            "shellcheck:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
