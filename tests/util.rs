//! Helpers shared by the integration tests: build real rpm packages with
//! `rpmbuild` ([`PkgSpec`]), install them into a throw-away target root
//! ([`TestRoot`]), then run the oracle (`rpm -Va`, [`rpm_va`]) and rootaudit
//! ([`rootaudit_json`], [`rootaudit_text`]) and compare what they report in
//! one shape, a [`VerifyMap`].
//!
//! Example:
//!
//! ```ignore
//! require_tools!();
//! let pkg = PkgSpec::new("demo")
//!     .entry(FileEntry::file("/usr/bin/demo", "hello\n").mode(0o755))
//!     .build();
//! let root = TestRoot::new();
//! root.install(&[&pkg]);
//! root.write_keep_mtime("/usr/bin/demo", "HELLO\n");
//! assert_eq!(rpm_va(&root).map, rootaudit_json(&root, &[]).map);
//! ```

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// The binary under test.
pub const ROOTAUDIT: &str = env!("CARGO_BIN_EXE_rootaudit");

/// Where the tests put the target's rpm database (Debian's rpm defaults to
/// `~/.rpmdb`, so it is always passed explicitly).
pub const DBPATH: &str = "/var/lib/rpm";

/// The second account every [`TestRoot`] knows (user and group).
pub const AUDIT_USER: &str = "audit1";
/// Its uid and gid.
pub const AUDIT_ID: u32 = 1234;
/// An id no account in a [`TestRoot`] has.
pub const UNKNOWN_ID: u32 = 4321;

/// The mtime packaged files get unless a test sets one: well in the past,
/// so that any later write is a `T` even within the second of the build.
pub const DEFAULT_MTIME: i64 = 1_600_000_000;

/// How long any one external command may run before the test fails.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------
// Tool guard
// ---------------------------------------------------------------------------

/// The external tools the oracle tests need.
const TOOLS: &[&str] = &[
    "rpm", "rpmbuild", "setcap", "getcap", "mknod", "mkfifo", "python3", "sqlite3",
];

fn tool_path(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

/// Missing tools among `tools`, if any.
pub fn missing_tools(tools: &[&str]) -> Vec<String> {
    tools
        .iter()
        .filter(|t| tool_path(t).is_none())
        .map(|t| t.to_string())
        .collect()
}

/// True when the oracle tests can run. When they cannot, a developer run
/// skips with a message; a CI run (`CI` set) fails instead, so the suite can
/// never pass there without exercising rpm.
pub fn tools_available() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        let mut missing = missing_tools(TOOLS);
        if !running_as_root() {
            missing.push("root privileges (chown, mknod, setcap)".into());
        }
        if missing.is_empty() {
            return true;
        }
        if std::env::var_os("CI").is_some() {
            panic!(
                "oracle tools missing in CI: {}; run scripts/test-deps first",
                missing.join(", ")
            );
        }
        eprintln!(
            "SKIPPING oracle test: missing {} (install with scripts/test-deps)",
            missing.join(", ")
        );
        false
    })
}

/// Return early from a test when [`tools_available`] says no.
#[macro_export]
macro_rules! require_tools {
    () => {
        if !$crate::util::tools_available() {
            return;
        }
    };
}

fn running_as_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2))
        .is_some_and(|euid| euid == "0")
}

// ---------------------------------------------------------------------------
// Running commands
// ---------------------------------------------------------------------------

/// What a finished command produced.
#[derive(Debug)]
pub struct Run {
    /// Exit status (`None`: killed by a signal).
    pub status: Option<i32>,
    /// Raw standard output.
    pub stdout: Vec<u8>,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl Run {
    /// Standard output, lossily decoded.
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Run `cmd` with no standard input, capturing both outputs, and fail the
/// test if it runs longer than `timeout` (a hang, e.g. on a FIFO, must not
/// hang the suite).
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Run {
    run_with_input(cmd, None, timeout)
}

/// [`run_with_timeout`], with `stdin` (when given) fed to the command.
pub fn run_with_input(cmd: &mut Command, stdin: Option<&[u8]>, timeout: Duration) -> Run {
    let desc = format!("{cmd:?}");
    let mut child = cmd
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {desc}: {e}"));
    let in_t = child.stdin.take().map(|mut input| {
        let data = stdin.unwrap_or_default().to_vec();
        std::thread::spawn(move || {
            use std::io::Write;
            let _ = input.write_all(&data);
        })
    });
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{desc} did not finish within {timeout:?} (killed)");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    if let Some(t) = in_t {
        let _ = t.join();
    }
    Run {
        status: status.code(),
        stdout: out_t.join().unwrap(),
        stderr: String::from_utf8_lossy(&err_t.join().unwrap()).into_owned(),
    }
}

/// Run `cmd` and fail the test unless it exits 0.
pub fn run_ok(cmd: &mut Command) -> Run {
    let desc = format!("{cmd:?}");
    let r = run_with_timeout(cmd, COMMAND_TIMEOUT);
    assert_eq!(
        r.status,
        Some(0),
        "{desc} failed\nstdout:\n{}\nstderr:\n{}",
        r.stdout_str(),
        r.stderr
    );
    r
}

// ---------------------------------------------------------------------------
// Packages
// ---------------------------------------------------------------------------

/// What a packaged path is.
#[derive(Clone, Debug)]
pub enum EntryKind {
    /// A regular file with this content.
    File(Vec<u8>),
    /// A directory (`%dir`).
    Dir,
    /// A symlink to this target.
    Symlink(String),
    /// A `%ghost` file: `Some(content)` puts a file in the build root (its
    /// size and mode are recorded), `None` records only what `%attr` says.
    Ghost(Option<Vec<u8>>),
    /// A device node (`%dev`): `c` or `b`, major, minor. Needs a mode.
    Device(char, u32, u32),
}

/// `%config` flavours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Config {
    /// Not a config file.
    No,
    /// `%config`.
    Plain,
    /// `%config(noreplace)`.
    NoReplace,
}

/// One path in a [`PkgSpec`], with its `%files` attributes.
#[derive(Clone, Debug)]
pub struct FileEntry {
    path: String,
    kind: EntryKind,
    mode: Option<u32>,
    user: Option<String>,
    group: Option<String>,
    config: Config,
    doc: bool,
    missingok: bool,
    caps: Option<String>,
    verify_not: Vec<String>,
    mtime: Option<i64>,
}

impl FileEntry {
    fn new(path: &str, kind: EntryKind) -> FileEntry {
        assert!(path.starts_with('/'), "packaged paths are absolute: {path}");
        assert!(
            !path
                .bytes()
                .any(|b| b < 0x20 || b == 0x7f || b"'\"*?[]{}%\\".contains(&b)),
            "keep spec paths simple (patch the .rpm for hostile names): {path:?}"
        );
        FileEntry {
            path: path.to_string(),
            kind,
            mode: None,
            user: None,
            group: None,
            config: Config::No,
            doc: false,
            missingok: false,
            caps: None,
            verify_not: Vec::new(),
            mtime: None,
        }
    }

    /// A regular file.
    pub fn file(path: &str, content: impl AsRef<[u8]>) -> FileEntry {
        FileEntry::new(path, EntryKind::File(content.as_ref().to_vec()))
    }

    /// A directory (`%dir`).
    pub fn dir(path: &str) -> FileEntry {
        FileEntry::new(path, EntryKind::Dir)
    }

    /// A symlink.
    pub fn symlink(path: &str, target: &str) -> FileEntry {
        FileEntry::new(path, EntryKind::Symlink(target.to_string()))
    }

    /// A `%ghost` file, absent from the build root.
    pub fn ghost(path: &str) -> FileEntry {
        FileEntry::new(path, EntryKind::Ghost(None))
    }

    /// A `%ghost` file present in the build root with `content`.
    pub fn ghost_with(path: &str, content: impl AsRef<[u8]>) -> FileEntry {
        FileEntry::new(path, EntryKind::Ghost(Some(content.as_ref().to_vec())))
    }

    /// A device node (`%dev(kind,major,minor)`), kind `'c'` or `'b'`.
    pub fn device(path: &str, kind: char, major: u32, minor: u32) -> FileEntry {
        assert!(kind == 'c' || kind == 'b');
        FileEntry::new(path, EntryKind::Device(kind, major, minor)).mode(0o666)
    }

    /// Permission bits via `%attr`.
    pub fn mode(mut self, mode: u32) -> FileEntry {
        self.mode = Some(mode);
        self
    }

    /// Owner via `%attr`.
    pub fn user(mut self, user: &str) -> FileEntry {
        self.user = Some(user.to_string());
        self
    }

    /// Group via `%attr`.
    pub fn group(mut self, group: &str) -> FileEntry {
        self.group = Some(group.to_string());
        self
    }

    /// `%config`.
    pub fn config(mut self) -> FileEntry {
        self.config = Config::Plain;
        self
    }

    /// `%config(noreplace)`.
    pub fn config_noreplace(mut self) -> FileEntry {
        self.config = Config::NoReplace;
        self
    }

    /// `%doc`.
    pub fn doc(mut self) -> FileEntry {
        self.doc = true;
        self
    }

    /// `%missingok`.
    pub fn missingok(mut self) -> FileEntry {
        self.missingok = true;
        self
    }

    /// `%caps(text)`, e.g. `cap_net_raw=ep`.
    pub fn caps(mut self, text: &str) -> FileEntry {
        self.caps = Some(text.to_string());
        self
    }

    /// `%verify(not …)` with rpm's attribute names (`md5`, `size`, `mtime`,
    /// `mode`, `user`, `group`, `link`, `rdev`, `caps`).
    pub fn verify_not(mut self, attrs: &[&str]) -> FileEntry {
        self.verify_not = attrs.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Recorded mtime (seconds since the epoch) instead of [`DEFAULT_MTIME`].
    pub fn mtime(mut self, secs: i64) -> FileEntry {
        self.mtime = Some(secs);
        self
    }

    fn files_line(&self) -> String {
        let mut l = String::new();
        match &self.kind {
            EntryKind::Dir => l.push_str("%dir "),
            EntryKind::Ghost(_) => l.push_str("%ghost "),
            EntryKind::Device(k, maj, min) => {
                let _ = write!(l, "%dev({k},{maj},{min}) ");
            }
            _ => {}
        }
        if self.doc {
            l.push_str("%doc ");
        }
        match self.config {
            Config::No => {}
            Config::Plain => l.push_str("%config "),
            Config::NoReplace => l.push_str("%config(noreplace) "),
        }
        if self.missingok {
            l.push_str("%missingok ");
        }
        if self.mode.is_some() || self.user.is_some() || self.group.is_some() {
            let mode = self.mode.map_or("-".to_string(), |m| format!("{m:04o}"));
            let _ = write!(
                l,
                "%attr({mode},{},{}) ",
                self.user.as_deref().unwrap_or("-"),
                self.group.as_deref().unwrap_or("-")
            );
        }
        if let Some(c) = &self.caps {
            let _ = write!(l, "%caps({c}) ");
        }
        if !self.verify_not.is_empty() {
            let _ = write!(l, "%verify(not {}) ", self.verify_not.join(" "));
        }
        let _ = write!(l, "\"{}\"", self.path);
        l
    }
}

/// A package to build: name, version, release and its [`FileEntry`]s.
#[derive(Clone, Debug)]
pub struct PkgSpec {
    name: String,
    version: String,
    release: String,
    entries: Vec<FileEntry>,
    /// Scriptlet sections: the section line (`%post -p <lua>`) and body.
    scriptlets: Vec<(String, String)>,
}

/// A built package.
#[derive(Debug)]
pub struct BuiltPkg {
    /// Keeps the build tree (and so the .rpm) alive.
    _topdir: TempDir,
    /// The .rpm file.
    pub path: PathBuf,
    /// `name-version-release.noarch`, as rpm and rootaudit name it.
    pub nevra: String,
}

impl PkgSpec {
    /// A package `name-1.0-1.noarch` with no files yet.
    pub fn new(name: &str) -> PkgSpec {
        PkgSpec {
            name: name.to_string(),
            version: "1.0".into(),
            release: "1".into(),
            entries: Vec::new(),
            scriptlets: Vec::new(),
        }
    }

    /// Version.
    pub fn version(mut self, v: &str) -> PkgSpec {
        self.version = v.into();
        self
    }

    /// Release.
    pub fn release(mut self, r: &str) -> PkgSpec {
        self.release = r.into();
        self
    }

    /// Add a path.
    pub fn entry(mut self, e: FileEntry) -> PkgSpec {
        self.entries.push(e);
        self
    }

    /// Add several paths.
    pub fn entries(mut self, es: impl IntoIterator<Item = FileEntry>) -> PkgSpec {
        self.entries.extend(es);
        self
    }

    /// Add a scriptlet: its spec section line (`%pre`, `%post -p <lua>`,
    /// `%triggerin -- glibc`) and body (installs with `--noscripts` never
    /// run it).
    pub fn scriptlet(mut self, section: &str, body: &str) -> PkgSpec {
        self.scriptlets.push((section.into(), body.into()));
        self
    }

    /// `name-version-release.noarch`.
    pub fn nevra(&self) -> String {
        format!("{}-{}-{}.noarch", self.name, self.version, self.release)
    }

    /// The spec file text; file contents are read from `content_dir/N`.
    fn spec_text(&self, content_dir: &Path) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            "Name: {}\nVersion: {}\nRelease: {}\nSummary: rootaudit test package\n\
             License: MIT\nBuildArch: noarch\nAutoReqProv: no\n\n\
             %description\nrootaudit integration test package.\n\n%install\n",
            self.name, self.version, self.release
        );
        for (i, e) in self.entries.iter().enumerate() {
            let dst = format!("'%{{buildroot}}{}'", e.path);
            let parent = Path::new(&e.path).parent().unwrap().to_str().unwrap();
            let _ = writeln!(s, "mkdir -p '%{{buildroot}}{parent}'");
            match &e.kind {
                EntryKind::File(_) | EntryKind::Ghost(Some(_)) => {
                    let _ = writeln!(s, "cp '{}/{i}' {dst}", content_dir.display());
                }
                EntryKind::Dir => {
                    let _ = writeln!(s, "mkdir -p {dst}");
                }
                EntryKind::Symlink(t) => {
                    assert!(!t.contains('\''));
                    let _ = writeln!(s, "ln -s '{t}' {dst}");
                }
                EntryKind::Ghost(None) | EntryKind::Device(..) => {}
            }
        }
        // Timestamps last, so creating a child does not bump its directory.
        for e in &self.entries {
            if !matches!(e.kind, EntryKind::Ghost(None) | EntryKind::Device(..)) {
                let t = e.mtime.unwrap_or(DEFAULT_MTIME);
                let _ = writeln!(s, "touch -h -d @{t} '%{{buildroot}}{}'", e.path);
            }
        }
        for (section, body) in &self.scriptlets {
            let _ = write!(s, "\n{section}\n{body}\n");
        }
        s.push_str("\n%files\n");
        for e in &self.entries {
            s.push_str(&e.files_line());
            s.push('\n');
        }
        s
    }

    /// Build the package with `rpmbuild -bb` in a private `_topdir`.
    pub fn build(&self) -> BuiltPkg {
        let top = tempfile::Builder::new()
            .prefix("rootaudit-rpmbuild-")
            .tempdir()
            .unwrap();
        let content = top.path().join("content");
        std::fs::create_dir_all(&content).unwrap();
        for (i, e) in self.entries.iter().enumerate() {
            if let EntryKind::File(c) | EntryKind::Ghost(Some(c)) = &e.kind {
                std::fs::write(content.join(i.to_string()), c).unwrap();
            }
        }
        let spec = top.path().join(format!("{}.spec", self.name));
        std::fs::write(&spec, self.spec_text(&content)).unwrap();
        let topdef = format!("_topdir {}", top.path().display());
        run_ok(
            Command::new("rpmbuild")
                .arg("-bb")
                .args(["--define", &topdef])
                .args(["--define", "__os_install_post %{nil}"])
                .args(["--define", "_build_id_links none"])
                .args(["--define", "_binary_payload w0.ufdio"])
                .arg(&spec),
        );
        let nevra = self.nevra();
        let path = top.path().join(format!("RPMS/noarch/{nevra}.rpm"));
        assert!(path.is_file(), "rpmbuild made no {}", path.display());
        BuiltPkg {
            _topdir: top,
            path,
            nevra,
        }
    }
}

/// Replace every occurrence of `from` in the .rpm at `pkg` by `to` (same
/// length: header and uncompressed cpio payload keep their layout) and fix
/// the header's SHA1/SHA256 digests in the signature header, so the
/// installed header verifies. The payload digest is left stale: install
/// the result with [`TestRoot::install_nodigest`].
///
/// This is how a test gets a file name rpmbuild refuses (control bytes).
pub fn patch_rpm_bytes(pkg: &Path, from: &[u8], to: &[u8]) {
    use sha1::Digest as _;
    assert_eq!(from.len(), to.len(), "same-length patches only");
    let mut data = std::fs::read(pkg).unwrap();
    let header_len = |data: &[u8], off: usize| -> usize {
        assert_eq!(&data[off..off + 3], &[0x8e, 0xad, 0xe8], "header magic");
        let n = u32::from_be_bytes(data[off + 8..off + 12].try_into().unwrap()) as usize;
        let hs = u32::from_be_bytes(data[off + 12..off + 16].try_into().unwrap()) as usize;
        16 + 16 * n + hs
    };
    let sig = 96; // after the lead
    let main = sig + header_len(&data, sig).div_ceil(8) * 8;
    let main_end = main + header_len(&data, main);
    let digests = |d: &[u8]| {
        (
            hex::encode(sha1::Sha1::digest(&d[main..main_end])),
            hex::encode(sha2::Sha256::digest(&d[main..main_end])),
        )
    };
    let (old1, old256) = digests(&data);
    let hits = replace_all(&mut data, from, to);
    assert!(hits > 0, "patch target not found in {}", pkg.display());
    let (new1, new256) = digests(&data);
    assert_eq!(replace_all(&mut data, old1.as_bytes(), new1.as_bytes()), 1);
    assert_eq!(
        replace_all(&mut data, old256.as_bytes(), new256.as_bytes()),
        1
    );
    std::fs::write(pkg, data).unwrap();
}

fn replace_all(data: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i + from.len() <= data.len() {
        if &data[i..i + from.len()] == from {
            data[i..i + from.len()].copy_from_slice(to);
            n += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    n
}

// ---------------------------------------------------------------------------
// Target roots
// ---------------------------------------------------------------------------

/// A throw-away target root: `etc/passwd` and `etc/group` with `root`,
/// `bin` and `audit1` (uid/gid 1234), an initialised rpm database at
/// `/var/lib/rpm`, mode 0755 like a real `/`.
pub struct TestRoot {
    dir: TempDir,
}

impl Default for TestRoot {
    fn default() -> Self {
        TestRoot::new()
    }
}

impl TestRoot {
    /// A root with accounts and an empty rpm database.
    pub fn new() -> TestRoot {
        let root = TestRoot::bare();
        root.rpm_ok(&["--initdb"]);
        root
    }

    /// A root with accounts only (no package database).
    pub fn bare() -> TestRoot {
        let dir = tempfile::Builder::new()
            .prefix("rootaudit-root-")
            .tempdir()
            .unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let etc = dir.path().join("etc");
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(
            etc.join("passwd"),
            format!(
                "root:x:0:0:root:/root:/bin/sh\n\
                 bin:x:1:1:bin:/bin:/sbin/nologin\n\
                 {AUDIT_USER}:x:{AUDIT_ID}:{AUDIT_ID}:audit:/home/{AUDIT_USER}:/sbin/nologin\n"
            ),
        )
        .unwrap();
        std::fs::write(
            etc.join("group"),
            format!("root:x:0:\nbin:x:1:\n{AUDIT_USER}:x:{AUDIT_ID}:\n"),
        )
        .unwrap();
        TestRoot { dir }
    }

    /// The root directory on the host.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Host path of `p`, a path inside the target (leading `/` optional).
    pub fn join(&self, p: &str) -> PathBuf {
        self.dir.path().join(p.trim_start_matches('/'))
    }

    /// Host path of the rpm database directory.
    pub fn db_dir(&self) -> PathBuf {
        self.join(DBPATH)
    }

    /// `rpm --root R --dbpath /var/lib/rpm ARGS…`.
    pub fn rpm(&self) -> Command {
        let mut c = Command::new("rpm");
        c.arg("--root").arg(self.path()).args(["--dbpath", DBPATH]);
        c
    }

    fn rpm_ok(&self, args: &[&str]) -> Run {
        run_ok(self.rpm().args(args))
    }

    /// `rpm -i --nodeps --noscripts` the packages in one transaction.
    pub fn install(&self, pkgs: &[&BuiltPkg]) {
        let mut c = self.rpm();
        c.args(["-i", "--nodeps", "--noscripts"]);
        c.args(pkgs.iter().map(|p| &p.path));
        run_ok(&mut c);
    }

    /// Install .rpm files whose payload digest is stale on purpose (see
    /// [`patch_rpm_bytes`]).
    pub fn install_nodigest(&self, rpms: &[&Path]) {
        let mut c = self.rpm();
        c.args([
            "-i",
            "--nodeps",
            "--noscripts",
            "--nodigest",
            "--nosignature",
        ]);
        c.args(rpms);
        run_ok(&mut c);
    }

    // -- tampering -------------------------------------------------------

    /// Overwrite a file's content (mtime becomes now).
    pub fn write(&self, p: &str, content: impl AsRef<[u8]>) {
        std::fs::write(self.join(p), content).unwrap();
    }

    /// Overwrite a file's content and put its old mtime back.
    pub fn write_keep_mtime(&self, p: &str, content: impl AsRef<[u8]>) {
        let host = self.join(p);
        let old = std::fs::metadata(&host).unwrap().modified().unwrap();
        std::fs::write(&host, content).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&host)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }

    /// Set permission bits.
    pub fn chmod(&self, p: &str, mode: u32) {
        std::fs::set_permissions(self.join(p), std::fs::Permissions::from_mode(mode)).unwrap();
    }

    /// `lchown` (numeric ids: the host may not know the target's names).
    pub fn chown(&self, p: &str, uid: Option<u32>, gid: Option<u32>) {
        std::os::unix::fs::lchown(self.join(p), uid, gid).unwrap();
    }

    /// Set the mtime (of the link itself for symlinks).
    pub fn set_mtime(&self, p: &str, secs: i64) {
        run_ok(
            Command::new("touch")
                .arg("-h")
                .arg("-d")
                .arg(format!("@{secs}"))
                .arg(self.join(p)),
        );
    }

    /// Remove a file, symlink or directory tree.
    pub fn remove(&self, p: &str) {
        let host = self.join(p);
        let md = std::fs::symlink_metadata(&host).unwrap();
        if md.is_dir() {
            std::fs::remove_dir_all(&host).unwrap();
        } else {
            std::fs::remove_file(&host).unwrap();
        }
    }

    /// Create a directory (and parents).
    pub fn mkdir(&self, p: &str) {
        std::fs::create_dir_all(self.join(p)).unwrap();
    }

    /// Create a symlink at `p` pointing at `target` (verbatim).
    pub fn symlink(&self, target: &str, p: &str) {
        std::os::unix::fs::symlink(target, self.join(p)).unwrap();
    }

    /// Replace whatever is at `p` by a symlink to `target`.
    pub fn replace_with_symlink(&self, p: &str, target: &str) {
        self.remove(p);
        self.symlink(target, p);
    }

    /// Create a FIFO with `mode`.
    pub fn mkfifo(&self, p: &str, mode: u32) {
        run_ok(
            Command::new("mkfifo")
                .arg("-m")
                .arg(format!("{mode:o}"))
                .arg(self.join(p)),
        );
    }

    /// Create a device node (`kind` `'c'` or `'b'`).
    pub fn mknod(&self, p: &str, kind: char, major: u32, minor: u32, mode: u32) {
        run_ok(
            Command::new("mknod")
                .arg("-m")
                .arg(format!("{mode:o}"))
                .arg(self.join(p))
                .arg(kind.to_string())
                .arg(major.to_string())
                .arg(minor.to_string()),
        );
    }

    /// `setcap TEXT` on a file.
    pub fn setcap(&self, p: &str, text: &str) {
        run_ok(Command::new("setcap").arg(text).arg(self.join(p)));
    }

    /// `setcap -r` (remove all capabilities).
    pub fn clear_caps(&self, p: &str) {
        run_ok(Command::new("setcap").arg("-r").arg(self.join(p)));
    }

    /// Every entry under the root with its type, mode, owner, size, mtime
    /// (ns) and content digest, to prove a scan changed nothing.
    pub fn snapshot(&self) -> BTreeMap<String, String> {
        snapshot_tree(self.path())
    }
}

/// See [`TestRoot::snapshot`].
pub fn snapshot_tree(top: &Path) -> BTreeMap<String, String> {
    use sha2::Digest as _;
    use std::os::unix::fs::MetadataExt;
    let mut out = BTreeMap::new();
    let mut stack = vec![top.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        for p in names {
            let md = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(top).unwrap().display().to_string();
            let what = if md.file_type().is_file() {
                let data = std::fs::read(&p).unwrap();
                format!("file sha256={}", hex::encode(sha2::Sha256::digest(&data)))
            } else if md.file_type().is_symlink() {
                format!("link -> {}", std::fs::read_link(&p).unwrap().display())
            } else if md.is_dir() {
                stack.push(p.clone());
                "dir".into()
            } else {
                format!("special rdev={}", md.rdev())
            };
            out.insert(
                rel,
                format!(
                    "{what} mode={:o} uid={} gid={} size={} mtime={}.{:09}",
                    md.mode(),
                    md.uid(),
                    md.gid(),
                    md.size(),
                    md.mtime(),
                    md.mtime_nsec()
                ),
            );
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Verify results in one shape
// ---------------------------------------------------------------------------

/// What a verifier says about one (package, path).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileState {
    /// rpm's `missing`; rootaudit's `file-missing`.
    Missing,
    /// A 9-column `SM5DLUGTP` verify string.
    Changed(String),
    /// A rootaudit finding with neither (kind given).
    Other(String),
}

impl FileState {
    /// The failed letters of a verify string (`?` included), none otherwise.
    pub fn letters(&self) -> Vec<char> {
        match self {
            FileState::Changed(v) => v.chars().filter(|&c| c != '.').collect(),
            _ => Vec::new(),
        }
    }
}

/// Path → what was reported for it, one state per owning package that
/// reported it (rpm verifies a shared path once per package), sorted.
pub type VerifyMap = BTreeMap<String, Vec<FileState>>;

/// Build a [`VerifyMap`] from `(path, state)` literals, for expectations.
pub fn verify_map(entries: &[(&str, &str)]) -> VerifyMap {
    let mut m = VerifyMap::new();
    for (path, state) in entries {
        let st = if *state == "missing" {
            FileState::Missing
        } else {
            assert_eq!(state.len(), 9, "verify string {state:?}");
            FileState::Changed(state.to_string())
        };
        m.entry(path.to_string()).or_default().push(st);
    }
    for v in m.values_mut() {
        v.sort();
    }
    m
}

/// One parsed `rpm -V`-style line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyLine {
    /// The path.
    pub path: String,
    /// Missing or a verify string.
    pub state: FileState,
    /// The attribute mark (`c`, `d`, `g`, `l`, `r`, `m`…) or `' '`.
    pub mark: char,
    /// Text rpm appended in parentheses (`Not a directory`), if any.
    pub note: Option<String>,
}

/// Parse one line of `rpm -V` output:
/// `SM5DLUGTP  c /path` or `missing   c /path [(strerror)]`.
/// Anything else (warnings, dependency reports) gives `None`.
pub fn parse_verify_line(line: &str) -> Option<VerifyLine> {
    let (state, rest) = if let Some(rest) = line.strip_prefix("missing   ") {
        (FileState::Missing, rest)
    } else {
        let cols = line.get(..9)?;
        if !cols
            .chars()
            .zip("SM5DLUGTP".chars())
            .all(|(c, l)| c == l || c == '.' || c == '?')
        {
            return None;
        }
        (
            FileState::Changed(cols.to_string()),
            line.get(9..)?.strip_prefix("  ")?,
        )
    };
    let mut chars = rest.chars();
    let mark = chars.next()?;
    let mut path = chars.as_str().strip_prefix(' ')?.to_string();
    if !path.starts_with('/') {
        return None;
    }
    let mut note = None;
    if path.ends_with(')')
        && let Some(i) = path.rfind(" (")
        && !path[i..].contains('/')
    {
        note = Some(path[i + 2..path.len() - 1].to_string());
        path.truncate(i);
    }
    Some(VerifyLine {
        path,
        state,
        mark,
        note,
    })
}

/// Lines → map (ignoring lines that are not verify lines).
pub fn lines_to_map(lines: &[VerifyLine]) -> VerifyMap {
    let mut m = VerifyMap::new();
    for l in lines {
        m.entry(l.path.clone()).or_default().push(l.state.clone());
    }
    for v in m.values_mut() {
        v.sort();
    }
    m
}

/// The union of failed letters over a map, plus `"missing"` when any path
/// is missing.
pub fn letters_of(map: &VerifyMap) -> std::collections::BTreeSet<String> {
    let mut s = std::collections::BTreeSet::new();
    for st in map.values().flatten() {
        match st {
            FileState::Missing => {
                s.insert("missing".to_string());
            }
            other => {
                for c in other.letters() {
                    s.insert(c.to_string());
                }
            }
        }
    }
    s
}

/// What `rpm -Va` said about a root.
#[derive(Debug)]
pub struct RpmVa {
    /// Exit status (1 when anything failed).
    pub status: Option<i32>,
    /// Parsed lines.
    pub lines: Vec<VerifyLine>,
    /// Path → states.
    pub map: VerifyMap,
    /// Raw stdout, for failure messages.
    pub raw: String,
}

impl RpmVa {
    /// The attribute mark rpm printed for `path`.
    pub fn mark(&self, path: &str) -> Option<char> {
        self.lines.iter().find(|l| l.path == path).map(|l| l.mark)
    }
}

/// Run the oracle: `rpm -Va --nodeps --noscripts --root R --dbpath
/// /var/lib/rpm`. Its stderr chatter ("RPM should not be used directly")
/// is ignored; stdout holds the verify lines.
pub fn rpm_va(root: &TestRoot) -> RpmVa {
    rpm_va_with(root, &[], &[])
}

/// [`rpm_va`] with a command prefix (e.g. `setpriv …`) and extra rpm
/// arguments.
pub fn rpm_va_with(root: &TestRoot, prefix: &[&str], extra: &[&str]) -> RpmVa {
    let mut c = match prefix.split_first() {
        Some((p0, rest)) => {
            let mut c = Command::new(p0);
            c.args(rest).arg("rpm");
            c
        }
        None => Command::new("rpm"),
    };
    c.arg("-Va")
        .args(["--nodeps", "--noscripts"])
        .args(extra)
        .arg("--root")
        .arg(root.path())
        .args(["--dbpath", DBPATH]);
    let r = run_with_timeout(&mut c, COMMAND_TIMEOUT);
    assert!(
        matches!(r.status, Some(0) | Some(1)),
        "rpm -Va failed: {:?}\n{}",
        r.status,
        r.stderr
    );
    let raw = r.stdout_str();
    let lines: Vec<VerifyLine> = raw.lines().filter_map(parse_verify_line).collect();
    let map = lines_to_map(&lines);
    RpmVa {
        status: r.status,
        lines,
        map,
        raw,
    }
}

/// What rootaudit said about a root, as JSON.
#[derive(Debug)]
pub struct Audit {
    /// Exit status.
    pub status: Option<i32>,
    /// The parsed report.
    pub json: Value,
    /// Path → states, from the file findings.
    pub map: VerifyMap,
    /// Raw stdout.
    pub raw: String,
    /// Stderr.
    pub stderr: String,
}

impl Audit {
    /// The findings array.
    pub fn findings(&self) -> &Vec<Value> {
        self.json["findings"]
            .as_array()
            .expect("report has a findings array")
    }

    /// The findings about `path`.
    pub fn findings_for(&self, path: &str) -> Vec<&Value> {
        self.findings()
            .iter()
            .filter(|f| f["path"].as_str() == Some(path))
            .collect()
    }
}

/// A `rootaudit scan ROOT …` command (no output format chosen yet).
pub fn rootaudit_cmd(root: &Path) -> Command {
    let mut c = Command::new(ROOTAUDIT);
    c.arg("scan").arg(root);
    c
}

/// Run `rootaudit scan ROOT --format json ARGS…` and parse its report into
/// the same shape as [`rpm_va`]: a finding with a `verify` string becomes
/// [`FileState::Changed`], `file-missing` becomes [`FileState::Missing`],
/// anything else with a path [`FileState::Other`].
pub fn rootaudit_json(root: &TestRoot, args: &[&str]) -> Audit {
    rootaudit_json_at(root.path(), args)
}

/// [`rootaudit_json`] for any directory.
pub fn rootaudit_json_at(root: &Path, args: &[&str]) -> Audit {
    let mut c = rootaudit_cmd(root);
    c.args(["--format", "json"]).args(args);
    audit_from_run(run_with_timeout(&mut c, COMMAND_TIMEOUT))
}

/// Parse a finished `--format json` run.
pub fn audit_from_run(r: Run) -> Audit {
    let raw = r.stdout_str();
    assert!(
        matches!(r.status, Some(0) | Some(1)),
        "rootaudit could not audit (status {:?})\nstderr: {}\nstdout: {}",
        r.status,
        r.stderr,
        raw
    );
    let json: Value = serde_json::from_str(&raw)
        .unwrap_or_else(|e| panic!("rootaudit JSON does not parse: {e}\n{raw}"));
    let map = json_to_map(&json);
    Audit {
        status: r.status,
        json,
        map,
        raw,
        stderr: r.stderr,
    }
}

/// See [`rootaudit_json`].
pub fn json_to_map(json: &Value) -> VerifyMap {
    let mut m = VerifyMap::new();
    for f in json["findings"].as_array().into_iter().flatten() {
        let Some(path) = f["path"].as_str() else {
            continue;
        };
        let st = if let Some(v) = f["verify"].as_str() {
            FileState::Changed(v.to_string())
        } else if f["kind"] == "file-missing" {
            FileState::Missing
        } else {
            FileState::Other(f["kind"].as_str().unwrap_or("?").to_string())
        };
        m.entry(path.to_string()).or_default().push(st);
    }
    for v in m.values_mut() {
        v.sort();
    }
    m
}

/// What rootaudit's text output said.
#[derive(Debug)]
pub struct AuditText {
    /// Exit status.
    pub status: Option<i32>,
    /// Raw stdout bytes.
    pub stdout: Vec<u8>,
    /// Finding lines parsed like rpm's (with the `  [pkg]` suffix removed).
    pub lines: Vec<VerifyLine>,
    /// The package each line named.
    pub packages: Vec<String>,
    /// Stderr.
    pub stderr: String,
}

/// Run `rootaudit scan ROOT --format text ARGS…`.
pub fn rootaudit_text(root: &TestRoot, args: &[&str]) -> AuditText {
    let mut c = rootaudit_cmd(root.path());
    c.args(["--format", "text"]).args(args);
    let r = run_with_timeout(&mut c, COMMAND_TIMEOUT);
    let text = r.stdout_str();
    let mut lines = Vec::new();
    let mut packages = Vec::new();
    for line in text.lines() {
        // `<rpm -V line>  [name-version-release.arch]` and maybe more after.
        let (body, pkg) = match line.rfind("  [") {
            Some(i) => {
                let rest = &line[i + 3..];
                let pkg = rest.split(']').next().unwrap_or("").to_string();
                (&line[..i], pkg)
            }
            None => (line, String::new()),
        };
        if let Some(l) = parse_verify_line(body) {
            lines.push(l);
            packages.push(pkg);
        }
    }
    AuditText {
        status: r.status,
        stdout: r.stdout,
        lines,
        packages,
        stderr: r.stderr,
    }
}

/// Assert the two maps are equal, printing both raw outputs on failure with
/// a per-path diff.
pub fn assert_parity(rpm: &RpmVa, audit: &Audit) {
    if rpm.map == audit.map {
        return;
    }
    let mut diff = String::new();
    let keys: std::collections::BTreeSet<_> = rpm.map.keys().chain(audit.map.keys()).collect();
    for k in keys {
        let a = rpm.map.get(k);
        let b = audit.map.get(k);
        if a != b {
            let _ = writeln!(diff, "  {k}: rpm {a:?}  rootaudit {b:?}");
            for f in audit.findings_for(k) {
                let _ = writeln!(diff, "      {f}");
            }
        }
    }
    panic!(
        "rootaudit disagrees with rpm -Va:\n{diff}\n--- rpm -Va stdout:\n{}",
        rpm.raw,
    );
}

/// Assert rpm's map is exactly `expected` (pins down the oracle's
/// behaviour, so a fixture mistake shows up as such and not as a rootaudit
/// bug).
pub fn assert_oracle(rpm: &RpmVa, expected: &VerifyMap) {
    assert_eq!(
        &rpm.map, expected,
        "rpm -Va did not say what this test expects (fixture or oracle changed)\n--- rpm -Va stdout:\n{}",
        rpm.raw
    );
}

// ---------------------------------------------------------------------------
// Misc
// ---------------------------------------------------------------------------

/// Hex SHA-256 and MD5 of a host file, if it can be read.
pub fn host_digests(p: &Path) -> Option<(String, String, u64)> {
    use sha2::Digest as _;
    let data = std::fs::read(p).ok()?;
    Some((
        hex::encode(sha2::Sha256::digest(&data)),
        hex::encode(md5::Md5::digest(&data)),
        data.len() as u64,
    ))
}

/// `../shared/realdata/REL` (see its README), or `None`, with a message,
/// when that folder is absent: tests on real data skip cleanly without it.
pub fn realdata(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/realdata")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIPPING: {} absent", p.display());
        None
    }
}

/// A writable copy of `../shared/realdata/REL` at `dir/root` in a temporary
/// directory, or `None` (with a message) when it is absent.
pub fn realdata_copy(rel: &str) -> Option<(TempDir, PathBuf)> {
    let src = realdata(rel)?;
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    run_ok(Command::new("cp").arg("-r").arg(&src).arg(&root));
    Some((t, root))
}
