//! dpkg parity: real `.deb`s built with `dpkg-deb` are installed by dpkg
//! itself into a throw-away root (`dpkg --root`, no maintainer scripts),
//! with a diversion, a Multi-Arch: same package and an update-alternatives
//! link; files are then damaged and rootaudit must report exactly what
//! Debian's own verifier, `debsums --root R -a -s`, reports — plus the
//! cases debsums is documented to be blind to (see `docs/databases.md`).
//! And `rootaudit scan /` works on the Debian machine running the tests.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::util::*;

/// The tools these tests drive.
const DPKG_TOOLS: &[&str] = &[
    "dpkg",
    "dpkg-deb",
    "dpkg-divert",
    "update-alternatives",
    "debsums",
];

/// True when the tools are here; a CI run fails without them.
fn dpkg_tools_available() -> bool {
    let missing = missing_tools(DPKG_TOOLS);
    if missing.is_empty() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "dpkg oracle tools missing in CI: {}; run scripts/test-deps first",
            missing.join(", ")
        );
    }
    eprintln!(
        "SKIPPING dpkg test: missing {} (install with scripts/test-deps)",
        missing.join(", ")
    );
    false
}

/// One file of a test package.
enum Entry<'a> {
    File(&'a str, &'a str),
    Conffile(&'a str, &'a str),
    Symlink(&'a str, &'a str),
}

/// Build `NAME.deb` in `dir` with dpkg-deb, with an md5sums over its
/// regular non-conffiles (as dh_md5sums makes it).
fn build_deb(dir: &Path, name: &str, control: &str, entries: &[Entry<'_>]) -> std::path::PathBuf {
    let tree = dir.join(format!("{name}-tree"));
    let debian = tree.join("DEBIAN");
    std::fs::create_dir_all(&debian).unwrap();
    let mut md5sums = String::new();
    let mut conffiles = String::new();
    for e in entries {
        let (path, content, conf) = match e {
            Entry::File(p, c) => (*p, Some(*c), false),
            Entry::Conffile(p, c) => (*p, Some(*c), true),
            Entry::Symlink(p, target) => {
                let at = tree.join(p.trim_start_matches('/'));
                std::fs::create_dir_all(at.parent().unwrap()).unwrap();
                std::os::unix::fs::symlink(target, at).unwrap();
                (*p, None, false)
            }
        };
        let Some(content) = content else { continue };
        let at = tree.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::fs::write(&at, content).unwrap();
        if conf {
            conffiles.push_str(&format!("{path}\n"));
        } else {
            md5sums.push_str(&format!(
                "{}  {}\n",
                md5_hex(content.as_bytes()),
                path.trim_start_matches('/')
            ));
        }
    }
    std::fs::write(debian.join("control"), control).unwrap();
    std::fs::write(debian.join("md5sums"), md5sums).unwrap();
    if !conffiles.is_empty() {
        std::fs::write(debian.join("conffiles"), conffiles).unwrap();
    }
    let deb = dir.join(format!("{name}.deb"));
    run_ok(
        Command::new("dpkg-deb")
            .args(["--root-owner-group", "-Zgzip", "--build"])
            .arg(&tree)
            .arg(&deb),
    );
    deb
}

fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(data))
}

fn host_arch() -> String {
    run_ok(Command::new("dpkg").arg("--print-architecture"))
        .stdout_str()
        .trim()
        .to_owned()
}

/// Install debs into `root` with dpkg (no maintainer scripts are shipped).
fn dpkg_install(root: &Path, extra: &[&str], debs: &[&Path]) {
    run_ok(
        Command::new("dpkg")
            .arg(format!("--root={}", root.display()))
            .args([
                "--force-not-root",
                "--force-script-chrootless",
                "--force-depends",
                "--force-architecture",
            ])
            .args(extra)
            .arg("-i")
            .args(debs),
    );
}

/// A fresh dpkg admin directory inside `root`.
fn init_root(root: &Path) {
    for d in ["var/lib/dpkg/info", "var/lib/dpkg/updates", "etc"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::write(root.join("var/lib/dpkg/status"), "").unwrap();
    std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").unwrap();
    std::fs::write(root.join("etc/group"), "root:x:0:\n").unwrap();
}

/// What debsums reports for `root`: `(changed, missing)` paths inside it.
fn debsums(root: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let r = run_with_timeout(
        Command::new("debsums")
            .arg(format!("--root={}", root.display()))
            .args(["-a", "-s"]),
        COMMAND_TIMEOUT,
    );
    assert!(
        matches!(r.status, Some(0) | Some(2)),
        "debsums failed: {:?}\n{}",
        r.status,
        r.stderr
    );
    let prefix = root.display().to_string();
    let (mut changed, mut missing) = (BTreeSet::new(), BTreeSet::new());
    for line in r.stderr.lines() {
        let parse = |rest: &str| {
            let path = rest.rsplit_once(" (from ").map_or(rest, |(p, _)| p);
            path.strip_prefix(&prefix).unwrap_or(path).to_owned()
        };
        if let Some(rest) = line.strip_prefix("debsums: changed file ") {
            changed.insert(parse(rest));
        } else if let Some(rest) = line.strip_prefix("debsums: missing file ") {
            missing.insert(parse(rest));
        } else {
            panic!("unexpected debsums message: {line}");
        }
    }
    (changed, missing)
}

/// What rootaudit reports: `(digest changed, missing, all file findings)`.
fn audit(root: &Path) -> (BTreeSet<String>, BTreeSet<String>, Audit) {
    let a = rootaudit_json_at(root, &["--db", "dpkg", "--checks", "files", "--quiet"]);
    assert_eq!(a.json["database"]["format"], "dpkg");
    let (mut changed, mut missing) = (BTreeSet::new(), BTreeSet::new());
    for f in a.findings() {
        let path = f["path"].as_str().unwrap_or("").to_owned();
        match f["kind"].as_str() {
            Some("file-changed") if f["verify"].as_str().is_some_and(|v| v.contains('5')) => {
                changed.insert(path);
            }
            Some("file-missing") => {
                missing.insert(path);
            }
            _ => {}
        }
    }
    (changed, missing, a)
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn dpkg_installed_root_agrees_with_debsums() {
    if !dpkg_tools_available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let debs = work.path().join("debs");
    let root = work.path().join("root");
    std::fs::create_dir_all(&debs).unwrap();
    init_root(&root);
    let arch = host_arch();

    let tools = build_deb(
        &debs,
        "demo-tools",
        "Package: demo-tools\nVersion: 1:1.0-1\nArchitecture: all\n\
Maintainer: T <t@example.org>\nDescription: demo\n",
        &[
            Entry::File("/usr/bin/demo-hello", "hello\n"),
            Entry::File("/usr/bin/demo-cat", "cat\n"),
            Entry::File("/usr/bin/demo-ls", "ls\n"),
            Entry::Symlink("/usr/bin/demo-link", "demo-hello"),
            Entry::Conffile("/etc/demo/demo.conf", "setting = 1\n"),
            Entry::Conffile("/etc/demo/other.conf", "other = 1\n"),
            Entry::File("/usr/share/doc/demo-tools/README", "readme\n"),
            Entry::File("/usr/share/doc/demo-tools/NEWS", "news\n"),
        ],
    );
    let lib = build_deb(
        &debs,
        "demo-lib",
        &format!(
            "Package: demo-lib\nVersion: 2.0\nArchitecture: {arch}\nMulti-Arch: same\n\
Maintainer: T <t@example.org>\nDescription: lib\n"
        ),
        &[
            Entry::File("/usr/lib/demo/libdemo.so.2", "\x7fELF not really\n"),
            Entry::File("/usr/share/doc/demo-lib/copyright", "free\n"),
        ],
    );
    let divert = build_deb(
        &debs,
        "demo-divert",
        "Package: demo-divert\nVersion: 3-1\nArchitecture: all\n\
Maintainer: T <t@example.org>\nDescription: wrapper\n",
        &[Entry::File("/usr/bin/demo-cat", "wrapper\n")],
    );
    // A minimal image's documentation filter: dpkg (which reads its own
    // configuration, not the root's) is given it on the command line, and
    // the root's configuration says so for the verifiers.
    let exclude = "/usr/share/doc/demo-lib/*";
    std::fs::create_dir_all(root.join("etc/dpkg/dpkg.cfg.d")).unwrap();
    std::fs::write(
        root.join("etc/dpkg/dpkg.cfg.d/excludes"),
        format!("# minimal image\npath-exclude={exclude}\n"),
    )
    .unwrap();
    dpkg_install(&root, &[], &[&tools]);
    dpkg_install(&root, &[&format!("--path-exclude={exclude}")], &[&lib]);
    assert!(!root.join("usr/share/doc/demo-lib/copyright").exists());
    run_ok(
        Command::new("dpkg-divert")
            .arg(format!("--root={}", root.display()))
            .args([
                "--package",
                "demo-divert",
                "--rename",
                "--divert",
                "/usr/bin/demo-cat.distrib",
                "--add",
                "/usr/bin/demo-cat",
            ]),
    );
    dpkg_install(&root, &[], &[&divert]);
    run_ok(
        Command::new("update-alternatives")
            .arg("--root")
            .arg(&root)
            .args([
                "--install",
                "/usr/bin/demo",
                "demo",
                "/usr/bin/demo-hello",
                "50",
            ]),
    );
    assert!(
        std::fs::read_to_string(root.join(format!("var/lib/dpkg/info/demo-lib:{arch}.list")))
            .is_ok(),
        "dpkg names a Multi-Arch: same package's list NAME:ARCH.list"
    );

    // Untouched: both are silent.
    let (dc, dm) = debsums(&root);
    assert!(dc.is_empty() && dm.is_empty(), "{dc:?} {dm:?}");
    let (rc, rm, a) = audit(&root);
    assert!(rc.is_empty() && rm.is_empty(), "{}", a.raw);
    assert_eq!(a.status, Some(0), "{}", a.raw);
    assert_eq!(a.json["database"]["packages"], 3);

    // Damage.
    std::fs::write(root.join("usr/bin/demo-hello"), "HELLO\n").unwrap();
    std::fs::remove_file(root.join("usr/bin/demo-ls")).unwrap();
    std::fs::write(root.join("etc/demo/demo.conf"), "setting = 2\n").unwrap();
    std::fs::remove_file(root.join("etc/demo/other.conf")).unwrap();
    std::fs::write(root.join("usr/lib/demo/libdemo.so.2"), "trojan\n").unwrap();
    std::fs::remove_file(root.join("usr/share/doc/demo-tools/NEWS")).unwrap();
    std::fs::write(
        root.join("usr/share/doc/demo-tools/README.real"),
        "readme\n",
    )
    .unwrap();
    std::fs::remove_file(root.join("usr/share/doc/demo-tools/README")).unwrap();
    std::os::unix::fs::symlink("README.real", root.join("usr/share/doc/demo-tools/README"))
        .unwrap();

    let (dc, dm) = debsums(&root);
    assert_eq!(
        dc,
        set(&[
            "/etc/demo/demo.conf",
            "/usr/bin/demo-hello",
            "/usr/lib/demo/libdemo.so.2"
        ])
    );
    assert_eq!(
        dm,
        set(&[
            "/etc/demo/other.conf",
            "/usr/bin/demo-ls",
            "/usr/share/doc/demo-tools/NEWS"
        ])
    );
    let (rc, rm, a) = audit(&root);
    assert_eq!(rc, dc, "changed files differ from debsums\n{}", a.raw);
    assert_eq!(rm, dm, "missing files differ from debsums\n{}", a.raw);
    assert_eq!(a.status, Some(1));
    // Severities: content of a program high, a conffile low.
    for f in a.findings() {
        let want = match (f["kind"].as_str(), f["path"].as_str()) {
            (Some("file-changed"), Some("/etc/demo/demo.conf")) => "low",
            (Some("file-missing"), Some("/etc/demo/other.conf")) => "low",
            (Some("file-changed"), _) => "high",
            (Some("file-missing"), _) => "medium",
            _ => continue,
        };
        assert_eq!(f["severity"], want, "{f}");
    }
    let hello = a.findings_for("/usr/bin/demo-hello");
    assert_eq!(hello[0]["package"]["nevra"], "demo-tools-1:1.0-1.all");
    assert_eq!(hello[0]["verify"], "..5......");
    let lib_f = a.findings_for("/usr/lib/demo/libdemo.so.2");
    assert_eq!(lib_f[0]["package"]["nevra"], format!("demo-lib-2.0.{arch}"));

    // Where rootaudit sees more than debsums: debsums skips any changed
    // file whose `dpkg -S` names a diversion or several packages, so it is
    // blind to both sides of a diversion; rootaudit verifies each package's
    // file where it is. Link targets of alternatives are not in md5sums.
    std::fs::write(root.join("usr/bin/demo-cat.distrib"), "changed\n").unwrap();
    std::fs::write(root.join("usr/bin/demo-cat"), "changed too\n").unwrap();
    std::fs::remove_file(root.join("etc/alternatives/demo")).unwrap();
    std::os::unix::fs::symlink("/tmp/evil", root.join("etc/alternatives/demo")).unwrap();
    let (dc2, dm2) = debsums(&root);
    assert_eq!((&dc2, &dm2), (&dc, &dm), "debsums is blind to these");
    let (rc2, rm2, a) = audit(&root);
    let mut want = dc.clone();
    want.extend(set(&["/usr/bin/demo-cat", "/usr/bin/demo-cat.distrib"]));
    assert_eq!(rc2, want, "{}", a.raw);
    assert_eq!(rm2, dm);
    let cat = a.findings_for("/usr/bin/demo-cat");
    assert_eq!(cat[0]["package"]["nevra"], "demo-divert-3-1.all");
    let distrib = a.findings_for("/usr/bin/demo-cat.distrib");
    assert_eq!(distrib[0]["package"]["nevra"], "demo-tools-1:1.0-1.all");
    let alt = a.findings_for("/etc/alternatives/demo");
    assert_eq!(alt.len(), 1, "{}", a.raw);
    assert_eq!(alt[0]["verify"], "....L....");
    assert_eq!(alt[0]["expected"]["link"], "/usr/bin/demo-hello");
    assert_eq!(alt[0]["actual"]["link"], "/tmp/evil");
}

#[test]
fn scan_of_this_debian_host_works() {
    if !Path::new("/var/lib/dpkg/status").is_file() {
        eprintln!("SKIPPING: /var/lib/dpkg/status is absent (not a Debian host)");
        return;
    }
    let mut c = rootaudit_cmd(Path::new("/"));
    // --no-state: a test keeps no history on the machine running it.
    c.args([
        "--format",
        "json",
        "--checks",
        "files",
        "--quiet",
        "--no-state",
    ]);
    // A whole system in a debug build: allow minutes, not hang forever.
    let r = run_with_timeout(&mut c, Duration::from_secs(1800));
    let a = audit_from_run(r);
    assert_eq!(a.json["database"]["format"], "dpkg");
    assert_eq!(a.json["database"]["path"], "/var/lib/dpkg/status");
    let installed = std::fs::read_to_string("/var/lib/dpkg/status")
        .unwrap()
        .lines()
        .filter(|l| {
            l.starts_with("Status: ")
                && [
                    "installed",
                    "half-configured",
                    "unpacked",
                    "triggers-pending",
                    "triggers-awaited",
                ]
                .iter()
                .any(|s| l.ends_with(&format!(" {s}")))
        })
        .count();
    assert_eq!(a.json["database"]["packages"], installed as u64);
    assert!(a.json["summary"]["files_checked"].as_u64().unwrap() > 0);
}

/// A package whose `.list` names a million paths (rootaudit 9, defect 2):
/// only the first `MAX_FILES_PER_PACKAGE` are kept, a `check-incomplete`
/// finding says so, and reading the database stays well under 256 MiB
/// (peak RSS of the child, from GNU time's rusage; not a timing).
#[test]
fn a_package_listing_a_million_files_is_capped() {
    if !missing_tools(&["/usr/bin/time"]).is_empty() && !Path::new("/usr/bin/time").is_file() {
        assert!(std::env::var_os("CI").is_none(), "GNU time missing in CI");
        eprintln!("SKIPPING: GNU time (/usr/bin/time) missing");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    init_root(root);
    std::fs::write(
        root.join("var/lib/dpkg/status"),
        "Package: huge\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\
         Maintainer: x\nDescription: x\n\n",
    )
    .unwrap();
    let mut list = String::with_capacity(30 << 20);
    for i in 0..1_000_000u32 {
        list.push_str(&format!("/usr/share/huge/f{i:07}\n"));
    }
    std::fs::write(root.join("var/lib/dpkg/info/huge.list"), list).unwrap();
    let rss = t.path().join("rss");
    let r = run_with_timeout(
        Command::new("/usr/bin/time")
            .arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&rss)
            .arg(ROOTAUDIT)
            .args(["scan"])
            .arg(root)
            .args(["--checks", "none", "--format", "json", "--no-state"]),
        COMMAND_TIMEOUT,
    );
    let a = audit_from_run(r);
    let capped: Vec<_> = a
        .findings()
        .iter()
        .filter(|f| f["database_problem"] == "too-many-files")
        .cloned()
        .collect();
    assert_eq!(capped.len(), 1, "{}", a.raw);
    assert_eq!(capped[0]["count"], 1_000_000);
    assert_eq!(
        capped[0]["kept"],
        rootaudit::pkgdb::MAX_FILES_PER_PACKAGE as u64
    );
    assert_eq!(capped[0]["path"], "/var/lib/dpkg/info/huge.list");
    let kib: u64 = std::fs::read_to_string(&rss)
        .unwrap()
        .trim()
        .lines()
        .last()
        .unwrap()
        .parse()
        .unwrap();
    assert!(kib < 256 * 1024, "peak RSS {kib} KiB");
}
