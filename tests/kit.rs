//! The rescue kit: `scripts/kit` lays out a folder from a key folder (a
//! throw-away gpg key) with the binary under test (`--binary`, no release
//! build), signed with a `rootaudit keygen` key. The kit verifies with
//! `rootaudit kit verify`, with stock `minisign -Vm` and with
//! `sha256sum -c`; one changed byte in the binary, a key or `SHA256SUMS`
//! fails it with a message naming the file; a `scan` run from the kit
//! trusts the kit's `keys/` without `--keys`. And the build picks the
//! host's triple: `scripts/lib/build.sh` against a fake `rustc -vV`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::util::*;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// gpg (to make a key folder) and minisign (the signature oracle), or a
/// skip (a CI run fails instead).
fn kit_tools() -> bool {
    let missing = missing_tools(&["gpg", "gpgconf", "minisign", "sha256sum"]);
    if missing.is_empty() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("kit test tools missing in CI: {}", missing.join(", "));
    }
    eprintln!(
        "SKIPPING kit test: missing {} (scripts/test-deps installs them)",
        missing.join(", ")
    );
    false
}

macro_rules! require_kit_tools {
    () => {
        if !kit_tools() {
            return;
        }
    };
}

/// A throw-away OpenPGP key in its own GNUPGHOME, its public half
/// exported into a key folder.
struct GpgKey {
    home: TempDir,
    keys: TempDir,
    uid: String,
    fingerprint: String,
}

impl GpgKey {
    fn new(name: &str) -> GpgKey {
        let home = tempfile::Builder::new()
            .prefix("rootaudit-kit-gpg-")
            .tempdir()
            .unwrap();
        let uid = format!("rootaudit kit test {name} <{name}@rootaudit.test>");
        let gpg = || {
            let mut c = Command::new("gpg");
            c.env("GNUPGHOME", home.path()).arg("--batch");
            c
        };
        run_ok(gpg().args(["--passphrase", "", "--quick-gen-key"]).args([
            uid.as_str(),
            "ed25519",
            "sign",
            "never",
        ]));
        let keys = tempfile::Builder::new()
            .prefix("rootaudit-kit-keys-")
            .tempdir()
            .unwrap();
        let armored = run_ok(gpg().args(["--armor", "--export", uid.as_str()])).stdout;
        std::fs::write(keys.path().join(format!("RPM-GPG-KEY-{name}")), armored).unwrap();
        let listing =
            run_ok(gpg().args(["--with-colons", "--list-keys", uid.as_str()])).stdout_str();
        let fingerprint = listing
            .lines()
            .find(|l| l.starts_with("fpr:"))
            .and_then(|l| l.split(':').nth(9))
            .expect("fingerprint in gpg listing")
            .to_owned();
        GpgKey {
            home,
            keys,
            uid,
            fingerprint,
        }
    }

    /// `rpmsign --addsign` the package in place.
    fn sign_rpm(&self, rpm: &Path) {
        run_ok(
            Command::new("rpmsign")
                .env("GNUPGHOME", self.home.path())
                .args(["--define", "__gpg /usr/bin/gpg"])
                .args(["--define", &format!("_gpg_name {}", self.uid)])
                .args([
                    "--define",
                    "_gpg_sign_cmd_extra_args --batch --pinentry-mode loopback --passphrase \"\"",
                ])
                .arg("--addsign")
                .arg(rpm),
        );
    }
}

impl Drop for GpgKey {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.home.path())
            .args(["--kill", "all"])
            .status();
    }
}

/// A kit made by `scripts/kit` in a temporary folder, and the minisign
/// key pair it is signed with (kept apart from it).
struct Kit {
    _work: TempDir,
    dir: PathBuf,
    public: PathBuf,
    /// What scripts/kit printed.
    made: Run,
}

fn make_kit(key: &GpgKey) -> Kit {
    let work = tempfile::Builder::new()
        .prefix("rootaudit-kit-")
        .tempdir()
        .unwrap();
    let public = work.path().join("kit.pub");
    let secret = work.path().join("kit.key");
    run_ok(
        Command::new(ROOTAUDIT)
            .args(["keygen", "--no-password", "-p"])
            .arg(&public)
            .arg("-s")
            .arg(&secret),
    );
    let dir = work.path().join("kit");
    let made = run_ok(
        Command::new(Path::new(REPO).join("scripts/kit"))
            .arg(&dir)
            .arg("--keys")
            .arg(key.keys.path())
            .arg("--sign-key")
            .arg(&secret)
            .arg("--binary")
            .arg(ROOTAUDIT),
    );
    Kit {
        _work: work,
        dir,
        public,
        made,
    }
}

/// `rootaudit kit verify DIR --key PUB` with `bin`.
fn verify_with(bin: &Path, dir: &Path, public: &Path) -> Run {
    run_with_timeout(
        Command::new(bin)
            .args(["kit", "verify"])
            .arg(dir)
            .arg("--key")
            .arg(public),
        COMMAND_TIMEOUT,
    )
}

/// A copy of the kit in `dst`; the binary hard-linked unless it is to be
/// changed (it is large).
fn copy_kit(src: &Path, dst: &Path, copy_binary: bool) {
    for entry in walk(src) {
        let rel = entry.strip_prefix(src).unwrap();
        let to = dst.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        if rel == Path::new("rootaudit") && !copy_binary {
            std::fs::hard_link(&entry, &to).unwrap();
        } else {
            std::fs::copy(&entry, &to).unwrap();
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn flip_last_byte(path: &Path) {
    let mut b = std::fs::read(path).unwrap();
    *b.last_mut().unwrap() ^= 0x01;
    std::fs::write(path, b).unwrap();
}

#[test]
fn a_kit_from_a_key_folder_verifies_three_ways() {
    require_kit_tools!();
    let key = GpgKey::new("kitkey");
    let kit = make_kit(&key);
    let d = &kit.dir;
    let mut names: Vec<String> = walk(d)
        .iter()
        .map(|p| p.strip_prefix(d).unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "README-RESCUE.txt",
            "SHA256SUMS",
            "SHA256SUMS.minisig",
            "keys/FINGERPRINTS",
            "keys/RPM-GPG-KEY-kitkey",
            "rootaudit"
        ]
    );
    assert_eq!(
        std::fs::read(d.join("rootaudit")).unwrap(),
        std::fs::read(ROOTAUDIT).unwrap()
    );
    let mode = std::fs::metadata(d.join("rootaudit"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755);
    // The key and its fingerprint are listed.
    let fingerprints = std::fs::read_to_string(d.join("keys/FINGERPRINTS")).unwrap();
    assert!(
        fingerprints.contains("RPM-GPG-KEY-kitkey\n")
            && fingerprints.contains(&format!("  {}  ", key.fingerprint)),
        "{fingerprints}"
    );
    // The console instructions: plain ASCII, 80 columns, the three commands.
    let readme = std::fs::read_to_string(d.join("README-RESCUE.txt")).unwrap();
    for line in readme.lines() {
        assert!(line.is_ascii() && line.len() <= 80, "{line:?}");
    }
    for command in [
        "./rootaudit kit verify --key ",
        "./rootaudit tui /mnt/sysimage",
        "./rootaudit scan /mnt/sysimage --format json --output ",
    ] {
        assert!(readme.contains(command), "{command} not in\n{readme}");
    }
    // scripts/kit printed the public key line to keep.
    let public_line = std::fs::read_to_string(&kit.public)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_owned();
    assert!(
        kit.made.stdout_str().contains(&public_line),
        "{}",
        kit.made.stdout_str()
    );

    // 1. rootaudit itself, from outside the kit and from inside it.
    let r = verify_with(Path::new(ROOTAUDIT), d, &kit.public);
    assert_eq!(r.status, Some(0), "{}\n{}", r.stdout_str(), r.stderr);
    let out = r.stdout_str();
    assert!(out.contains("signature: ok, key "), "{out}");
    assert!(
        out.contains("trusted comment: rootaudit-kit version="),
        "{out}"
    );
    assert!(out.contains("ok        keys/RPM-GPG-KEY-kitkey\n"), "{out}");
    assert!(out.contains("is not this kit's"), "{out}");
    assert!(
        out.contains("kit verified: 4 files match SHA256SUMS"),
        "{out}"
    );
    let r = run_with_timeout(
        Command::new(d.join("rootaudit"))
            .args(["kit", "verify", "--key"])
            .arg(&public_line),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(0), "{}\n{}", r.stdout_str(), r.stderr);
    assert!(
        r.stdout_str()
            .contains("ok        the running binary (/proc/self/exe)"),
        "{}",
        r.stdout_str()
    );

    // 2. Stock minisign checks the signature.
    let r = run_with_timeout(
        Command::new("minisign")
            .arg("-Vm")
            .arg(d.join("SHA256SUMS"))
            .arg("-p")
            .arg(&kit.public),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(0), "{}\n{}", r.stdout_str(), r.stderr);
    assert!(
        r.stdout_str()
            .contains("Trusted comment: rootaudit-kit version="),
        "{}",
        r.stdout_str()
    );

    // 3. Stock sha256sum checks every sum.
    let r = run_with_timeout(
        Command::new("sha256sum")
            .args(["--strict", "-c", "SHA256SUMS"])
            .current_dir(d),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(0), "{}\n{}", r.stdout_str(), r.stderr);
    assert_eq!(r.stdout_str().matches(": OK\n").count(), 4);

    // A report saved into the kit is noted, not a failure; a key added to
    // keys/ fails the kit (scan would trust it).
    std::fs::write(d.join("report.json"), "{}").unwrap();
    let r = verify_with(Path::new(ROOTAUDIT), d, &kit.public);
    assert_eq!(r.status, Some(0), "{}\n{}", r.stdout_str(), r.stderr);
    assert!(
        r.stdout_str()
            .contains("note      report.json: not in SHA256SUMS")
    );
    std::fs::copy(
        d.join("keys/RPM-GPG-KEY-kitkey"),
        d.join("keys/RPM-GPG-KEY-planted"),
    )
    .unwrap();
    let r = verify_with(Path::new(ROOTAUDIT), d, &kit.public);
    assert_eq!(r.status, Some(1), "{}\n{}", r.stdout_str(), r.stderr);
    assert!(
        r.stderr
            .contains("does NOT verify: keys/RPM-GPG-KEY-planted not in SHA256SUMS"),
        "{}",
        r.stderr
    );
}

#[test]
fn one_changed_byte_fails_the_kit_naming_the_file() {
    require_kit_tools!();
    let key = GpgKey::new("kitbyte");
    let kit = make_kit(&key);
    for (file, named) in [
        ("rootaudit", "rootaudit changed"),
        (
            "keys/RPM-GPG-KEY-kitbyte",
            "keys/RPM-GPG-KEY-kitbyte changed",
        ),
        ("SHA256SUMS", "SHA256SUMS.minisig does not verify"),
    ] {
        let work = tempfile::tempdir().unwrap();
        let copy = work.path().join("kit");
        copy_kit(&kit.dir, &copy, file == "rootaudit");
        flip_last_byte(&copy.join(file));
        let r = verify_with(Path::new(ROOTAUDIT), &copy, &kit.public);
        assert_eq!(
            r.status,
            Some(1),
            "{file}: {}\n{}",
            r.stdout_str(),
            r.stderr
        );
        assert!(
            r.stderr.contains("does NOT verify: ") && r.stderr.contains(named),
            "{file}: {}",
            r.stderr
        );
        if file == "SHA256SUMS" {
            // The last byte is the newline of the last line: it becomes a
            // line of its own kind, and the signature says so.
            assert!(
                r.stdout_str().contains("signature: BAD"),
                "{}",
                r.stdout_str()
            );
        } else {
            assert!(
                r.stdout_str()
                    .contains(&format!("CHANGED   {file}: its SHA-256 is ")),
                "{}",
                r.stdout_str()
            );
        }
        if file == "rootaudit" {
            // The changed binary, run from the kit, checks itself too (the
            // byte is in its section headers, which exec does not read).
            let r = run_with_timeout(
                Command::new(copy.join("rootaudit"))
                    .args(["kit", "verify", "--key"])
                    .arg(&kit.public),
                COMMAND_TIMEOUT,
            );
            assert_eq!(r.status, Some(1), "{}\n{}", r.stdout_str(), r.stderr);
            assert!(
                r.stdout_str()
                    .contains("CHANGED   the running binary (/proc/self/exe)"),
                "{}",
                r.stdout_str()
            );
            assert!(
                r.stderr.contains("the running binary changed"),
                "{}",
                r.stderr
            );
        }
    }
    // Another public key: the signature fails, the files match.
    let other = tempfile::tempdir().unwrap();
    run_ok(
        Command::new(ROOTAUDIT)
            .args(["keygen", "--no-password", "-p"])
            .arg(other.path().join("o.pub"))
            .arg("-s")
            .arg(other.path().join("o.key")),
    );
    let r = verify_with(Path::new(ROOTAUDIT), &kit.dir, &other.path().join("o.pub"));
    assert_eq!(r.status, Some(1));
    assert!(
        r.stdout_str().contains("signature: BAD"),
        "{}",
        r.stdout_str()
    );
    // No such key file: an error, not a verdict.
    let r = verify_with(Path::new(ROOTAUDIT), &kit.dir, Path::new("/no/such.pub"));
    assert_eq!(r.status, Some(2), "{}", r.stderr);
}

/// `scan` run from the kit folder judges headers with the kit's keys/
/// (the trust store's default `keys/` beside the binary), no `--keys`.
#[test]
fn scan_from_a_kit_trusts_the_kit_keys() {
    require_tools!();
    require_kit_tools!();
    if !missing_tools(&["rpmsign", "gpg-agent"]).is_empty() {
        assert!(std::env::var_os("CI").is_none(), "rpmsign missing in CI");
        eprintln!("SKIPPING: rpmsign missing");
        return;
    }
    let key = GpgKey::new("kitscan");
    let kit = make_kit(&key);
    let signed = PkgSpec::new("kit-signed")
        .entry(FileEntry::file("/usr/bin/kit-signed", "#!/bin/sh\n").mode(0o755))
        .build();
    key.sign_rpm(&signed.path);
    let root = TestRoot::new();
    root.install(&[&signed]);
    let run = |bin: &Path| {
        audit_from_run(run_with_timeout(
            Command::new(bin)
                .arg("scan")
                .arg(root.path())
                .args(["--format", "json", "--checks", "headers"]),
            COMMAND_TIMEOUT,
        ))
    };
    let a = run(&kit.dir.join("rootaudit"));
    let entry = a.json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["nevra"] == signed.nevra.as_str())
        .unwrap_or_else(|| panic!("{}", a.raw));
    assert_eq!(entry["verdict"], "trusted", "{}", a.raw);
    assert_eq!(a.json["trust"]["keys"], 1, "{}", a.raw);
    let dirs = a.json["trust"]["dirs"].to_string();
    assert!(
        dirs.contains(&format!("{}/keys", kit.dir.display())),
        "{dirs}"
    );
    // FINGERPRINTS beside the keys is not taken for a key file.
    assert!(
        !a.json["trust"].to_string().contains("FINGERPRINTS"),
        "{}",
        a.json["trust"]
    );
    // The same binary outside the kit does not know the key.
    let outside = run(Path::new(ROOTAUDIT));
    let entry = outside.json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["nevra"] == signed.nevra.as_str())
        .unwrap();
    assert_ne!(entry["verdict"], "trusted", "{}", outside.raw);
}

#[test]
fn scripts_kit_refuses_what_it_cannot_make_a_kit_of() {
    let work = tempfile::tempdir().unwrap();
    let kit = Path::new(REPO).join("scripts/kit");
    let keys = work.path().join("keys");
    std::fs::create_dir(&keys).unwrap();
    let full = work.path().join("full");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("x"), "x").unwrap();
    for (args, says) in [
        (vec![], "usage: scripts/kit DIR"),
        (vec!["new"], "--keys SRC is required"),
        (vec!["full", "--keys", "keys"], "is not empty"),
        (
            vec!["new", "--keys", "keys", "--binary", "/bin/ls"],
            "is not statically linked",
        ),
        // An empty key folder: a kit without keys cannot judge headers.
        (
            vec!["new", "--keys", "keys", "--binary", ROOTAUDIT],
            "no OpenPGP public key in",
        ),
    ] {
        let r = run_with_timeout(
            Command::new(&kit).args(&args).current_dir(work.path()),
            COMMAND_TIMEOUT,
        );
        assert_eq!(r.status, Some(2), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
        // A failed run leaves no half-made kit.
        assert!(!work.path().join("new").exists(), "{args:?}");
    }
    assert!(full.join("x").exists());
}

/// `rootaudit --version`: version, commit, target triple (the host's, as
/// `rustc -vV` says and as the binary's path shows) and static linkage.
#[test]
fn version_names_commit_target_and_linkage() {
    let r = run_ok(Command::new(ROOTAUDIT).arg("--version"));
    let out = r.stdout_str();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert_eq!(lines[0], format!("rootaudit {}", env!("CARGO_PKG_VERSION")));
    let commit = lines[1].strip_prefix("commit: ").expect(&out);
    assert!(
        commit == "unknown"
            || (commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{out}"
    );
    let target = lines[2].strip_prefix("target: ").expect(&out);
    assert_eq!(lines[3], "static: yes", "{out}");
    let rustc = run_ok(Command::new("rustc").arg("-vV")).stdout_str();
    let host = rustc
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .unwrap();
    assert_eq!(target, host);
    assert!(
        ROOTAUDIT.contains(&format!("/{host}/")),
        "{ROOTAUDIT} is not under target/{host}/"
    );
    // The scripts' selection agrees with cargo's.
    let script = run_ok(&mut Command::new(
        Path::new(REPO).join("scripts/lib/build.sh"),
    ));
    assert_eq!(script.stdout_str().trim(), host);
}

/// A folder with a fake `rustc` (and `cargo`) answering `-vV` as
/// `host`/`release` would.
fn fake_toolchain(host: &str, release: &str, with_cargo: bool) -> TempDir {
    let bin = tempfile::tempdir().unwrap();
    let rustc = format!(
        "#!/bin/sh\n\
         [ \"$1\" = -vV ] || exit 1\n\
         printf '%s\\n' 'rustc {release} (0123456789 2026-01-01)' 'binary: rustc' \
         'commit-hash: 0123456789abcdef0123456789abcdef01234567' 'commit-date: 2026-01-01' \
         'host: {host}' 'release: {release}' 'LLVM version: 21.1.0'\n"
    );
    let write = |name: &str, text: &str| {
        let p = bin.path().join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    write("rustc", &rustc);
    if with_cargo {
        write("cargo", "#!/bin/sh\nexit 0\n");
    }
    bin
}

/// Run `bash -c SCRIPT` with scripts/lib/build.sh sourced and only `bin`
/// on PATH (the library needs nothing else).
fn with_build_lib(bin: &Path, home: &Path, script: &str) -> Run {
    run_with_timeout(
        Command::new("/bin/bash")
            .arg("-c")
            .arg(format!(". scripts/lib/build.sh && {script}"))
            .current_dir(REPO)
            .env_clear()
            .env("PATH", bin)
            .env("HOME", home),
        COMMAND_TIMEOUT,
    )
}

#[test]
fn the_build_picks_the_host_triple_from_rustc() {
    let home = tempfile::tempdir().unwrap();
    let arm = fake_toolchain("aarch64-unknown-linux-gnu", "1.95.0", true);
    let r = with_build_lib(arm.path(), home.path(), "host_triple && release_binary");
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    assert_eq!(
        r.stdout_str(),
        format!(
            "aarch64-unknown-linux-gnu\n{REPO}/target/aarch64-unknown-linux-gnu/release/rootaudit\n"
        )
    );
    // Run as a program, it prints the triple (scripts/bench uses that).
    let r = run_with_timeout(
        Command::new("/bin/bash")
            .arg(Path::new(REPO).join("scripts/lib/build.sh"))
            .env_clear()
            .env("PATH", arm.path()),
        COMMAND_TIMEOUT,
    );
    assert_eq!(
        r.stdout_str(),
        "aarch64-unknown-linux-gnu\n",
        "{}",
        r.stderr
    );
    let r = with_build_lib(arm.path(), home.path(), "require_rust");
    assert_eq!(r.status, Some(0), "{}", r.stderr);

    // Too old a rustc, or none at all: says what is missing.
    let cargo_toml = std::fs::read_to_string(Path::new(REPO).join("Cargo.toml")).unwrap();
    let want = cargo_toml
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("rust-version in Cargo.toml");
    let old = fake_toolchain("aarch64-unknown-linux-gnu", "1.70.0", true);
    let r = with_build_lib(old.path(), home.path(), "require_rust");
    assert_eq!(r.status, Some(1));
    assert!(
        r.stderr
            .contains(&format!("rustc 1.70.0 is older than {want}"))
            && r.stderr.contains("rustup"),
        "{}",
        r.stderr
    );
    let no_cargo = fake_toolchain("x86_64-unknown-linux-gnu", "1.95.0", false);
    let r = with_build_lib(no_cargo.path(), home.path(), "require_rust");
    assert_eq!(r.status, Some(1));
    assert!(
        r.stderr.contains("`cargo` is not on PATH")
            && r.stderr.contains(&format!("Rust {want} or newer"))
            && r.stderr.contains("https://rustup.rs"),
        "{}",
        r.stderr
    );
    // rustup installed, but its folder not on PATH.
    std::fs::create_dir_all(home.path().join(".cargo/bin")).unwrap();
    std::fs::copy(
        arm.path().join("cargo"),
        home.path().join(".cargo/bin/cargo"),
    )
    .unwrap();
    let r = with_build_lib(no_cargo.path(), home.path(), "require_rust");
    assert!(
        r.stderr
            .contains(".cargo/bin but that folder is not on PATH"),
        "{}",
        r.stderr
    );
}

#[test]
fn kit_scripts_are_shellcheck_clean() {
    if !missing_tools(&["shellcheck"]).is_empty() {
        assert!(std::env::var_os("CI").is_none(), "shellcheck missing in CI");
        eprintln!("SKIPPING: shellcheck missing");
        return;
    }
    let r = run_with_timeout(
        Command::new("shellcheck")
            .args(["-x", "scripts/kit", "scripts/lib/build.sh", "scripts/run"])
            .current_dir(REPO),
        COMMAND_TIMEOUT,
    );
    assert_eq!(r.status, Some(0), "{}", r.stdout_str());
}
