//! The `bytecode` and `unowned` checks against real pycs: the rescue
//! host's `python3` compiles fixture sources (`py_compile` with timestamp,
//! checked-hash and unchecked-hash invalidation) into throw-away target
//! roots, which are then tampered with the way an intruder would. rootaudit
//! itself never runs Python.
//!
//! Plain roots get a tiny dpkg database (a `status` stanza and a `.list`),
//! so they need only `python3`; the rpm-built root needs the oracle tools.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::util::*;

/// The host's CPython, which compiles the fixtures.
struct Py {
    /// `3.11`
    version: String,
    /// `cpython-311`
    tag: String,
}

fn host_python() -> Option<Py> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys; print('%d.%d %s' % (sys.version_info[0], sys.version_info[1], \
             sys.implementation.cache_tag))",
        ])
        .output();
    let out = match out {
        Ok(o) if o.status.success() => o,
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!("python3 is needed to compile the bytecode fixtures");
            }
            eprintln!("SKIPPING bytecode test: no python3 to compile fixtures");
            return None;
        }
    };
    let s = String::from_utf8_lossy(&out.stdout);
    let mut it = s.split_whitespace();
    Some(Py {
        version: it.next()?.to_string(),
        tag: it.next()?.to_string(),
    })
}

macro_rules! require_python {
    () => {
        match host_python() {
            Some(p) => p,
            None => return,
        }
    };
}

/// `py_compile.compile(src, cfile, invalidation_mode=MODE)`.
fn compile(src: &Path, cfile: &Path, mode: &str) {
    std::fs::create_dir_all(cfile.parent().unwrap()).unwrap();
    run_ok(Command::new("python3").args([
        "-c",
        "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], \
         doraise=True, invalidation_mode=getattr(py_compile.PycInvalidationMode, sys.argv[3]))",
        src.to_str().unwrap(),
        cfile.to_str().unwrap(),
        mode,
    ]));
}

fn write(p: &Path, content: impl AsRef<[u8]>) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn set_mtime(p: &Path, secs: u64) {
    let f = std::fs::File::options().write(true).open(p).unwrap();
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// 64 bytes that read as an x86-64 ELF header of type `e_type`.
fn fake_elf(e_type: u8) -> Vec<u8> {
    let mut v = b"\x7fELF\x02\x01\x01".to_vec();
    v.resize(64, 0);
    v[16] = e_type;
    v
}

/// A root with accounts and a dpkg database in which package `pyapp` owns
/// `owned` (plus the directories leading to them).
fn dpkg_root(owned: &[&str]) -> TestRoot {
    let root = TestRoot::bare();
    write(
        &root.join("var/lib/dpkg/status"),
        "Package: pyapp\nStatus: install ok installed\nVersion: 1.0\nArchitecture: all\n\
         Maintainer: nobody\nDescription: fixture\n\n",
    );
    let mut list = String::from("/.\n");
    for p in owned {
        list.push_str(p);
        list.push('\n');
    }
    write(&root.join("var/lib/dpkg/info/pyapp.list"), list);
    root
}

/// Make `usr/lib/pythonX.Y` a standard library of the host's version.
fn add_stdlib(root: &TestRoot, py: &Py) -> PathBuf {
    let lib = root.join(&format!("usr/lib/python{}", py.version));
    write(&lib.join("os.py"), "# stdlib marker\n");
    lib
}

fn scan(root: &Path, extra: &[&str]) -> Audit {
    let mut args = vec!["--checks", "bytecode,unowned"];
    args.extend_from_slice(extra);
    rootaudit_json_at(root, &args)
}

fn one<'a>(audit: &'a Audit, path: &str) -> &'a Value {
    let fs = audit.findings_for(path);
    assert_eq!(
        fs.len(),
        1,
        "expected one finding for {path}:\n{}",
        audit.raw
    );
    fs[0]
}

fn kind_sev(f: &Value) -> (&str, &str) {
    (
        f["kind"].as_str().unwrap_or("?"),
        f["severity"].as_str().unwrap_or("?"),
    )
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(String::from))
        .collect()
}

const EVIL: &str = "import socket, subprocess\n\
                    C2 = 'https://c2.example.invalid/beacon'\n\
                    def run():\n    return subprocess.call(['/bin/sh', '-c', 'id'])\n";

/// Every case of the issue in one plain root: each is found with its
/// kind and severity, with imports and strings for triage.
#[test]
fn planted_bytecode_hooks_and_binaries() {
    let py = require_python!();
    let root = dpkg_root(&[]);
    let r = |p: &str| root.join(p);
    let lib = add_stdlib(&root, &py);
    let site = lib.join("site-packages");
    let site_t = format!("/usr/lib/python{}/site-packages", py.version);
    let work = tempfile::tempdir().unwrap();
    let evil_src = work.path().join("evil.py");
    write(&evil_src, EVIL);

    // Sourceless pyc importable from site-packages: critical.
    compile(&evil_src, &site.join("evil.pyc"), "TIMESTAMP");
    // Sourceless pyc off the default path: high.
    compile(&evil_src, &r("opt/app/lib/helper.pyc"), "TIMESTAMP");
    // A __pycache__ entry whose source is gone: medium.
    let pkg = site.join("pkg");
    let cache = pkg.join("__pycache__");
    let pyc = |m: &str| cache.join(format!("{m}.{}.pyc", py.tag));
    write(&pkg.join("gone.py"), "import json\n");
    compile(&pkg.join("gone.py"), &pyc("gone"), "TIMESTAMP");
    std::fs::remove_file(pkg.join("gone.py")).unwrap();
    // Stale: source changed after compilation.
    write(&pkg.join("stale.py"), "x = 1\n");
    set_mtime(&pkg.join("stale.py"), 1_500_000_000);
    compile(&pkg.join("stale.py"), &pyc("stale"), "TIMESTAMP");
    write(&pkg.join("stale.py"), "x = 22\n");
    set_mtime(&pkg.join("stale.py"), 1_500_000_100);
    // Unchecked hash-based, consistent with its source: high.
    write(&pkg.join("unchecked.py"), "import os\n");
    compile(
        &pkg.join("unchecked.py"),
        &pyc("unchecked"),
        "UNCHECKED_HASH",
    );
    // Unchecked hash-based whose source changed since: critical.
    write(&pkg.join("swapped.py"), "import os\n");
    compile(&pkg.join("swapped.py"), &pyc("swapped"), "UNCHECKED_HASH");
    write(&pkg.join("swapped.py"), "import io\n");
    // Checked hash-based whose source changed: stale, low.
    write(&pkg.join("checked.py"), "A = 1\n");
    compile(&pkg.join("checked.py"), &pyc("checked"), "CHECKED_HASH");
    write(&pkg.join("checked.py"), "A = 2\n");
    // Another version's magic (3.4's release magic 3310): foreign, low.
    write(&pkg.join("foreign.py"), "B = 1\n");
    compile(&pkg.join("foreign.py"), &pyc("foreign"), "TIMESTAMP");
    let mut data = std::fs::read(pyc("foreign")).unwrap();
    data[..2].copy_from_slice(&3310u16.to_le_bytes());
    std::fs::write(pyc("foreign"), data).unwrap();
    // A copied header: mtime and size match the benign source, the code is
    // the implant's. Python runs it; rootaudit sees imports the source lacks.
    let benign = format!("{:<width$}\n", "VALUE = 1", width = EVIL.len() - 1);
    assert_eq!(benign.len(), EVIL.len());
    let forged_src = work.path().join("forged.py");
    write(&forged_src, EVIL);
    set_mtime(&forged_src, 1_600_000_000);
    compile(&forged_src, &pyc("forged"), "TIMESTAMP");
    write(&pkg.join("forged.py"), &benign);
    set_mtime(&pkg.join("forged.py"), 1_600_000_000);
    // Consistent ones: unregistered, summarised.
    write(&pkg.join("__init__.py"), "");
    compile(&pkg.join("__init__.py"), &pyc("__init__"), "TIMESTAMP");
    write(&pkg.join("fine.py"), "import json\n");
    compile(&pkg.join("fine.py"), &pyc("fine"), "CHECKED_HASH");

    // Startup hooks.
    write(
        &site.join("zz-hook.pth"),
        "/opt/extra\nimport os;os.system('id')\n",
    );
    write(&site.join("plain.pth"), "/opt/extra\n");
    write(&site.join("sitecustomize.py"), "import socket\n");
    write(&r("etc/ld.so.preload"), "/usr/lib/libhook.so\n");

    // Binaries nobody owns.
    write(&r("usr/bin/rootsh"), fake_elf(3));
    chmod(&r("usr/bin/rootsh"), 0o4755);
    write(&r("usr/bin/dropper"), fake_elf(2));
    chmod(&r("usr/bin/dropper"), 0o755);
    write(&r("usr/lib/x86_64-linux-gnu/libhook.so"), fake_elf(3));
    chmod(&r("usr/lib/x86_64-linux-gnu/libhook.so"), 0o644);
    write(&r("usr/sbin/helper.sh"), "#!/bin/sh\nid\n");
    chmod(&r("usr/sbin/helper.sh"), 0o755);
    write(&r("usr/share/misc/notes.txt"), "hello\n");
    write(&r("usr/share/misc/more.txt"), "hello\n");

    let a = scan(root.path(), &[]);
    let cache_t = format!("{site_t}/pkg/__pycache__");
    let cached = |m: &str| format!("{cache_t}/{m}.{}.pyc", py.tag);

    let f = one(&a, &format!("{site_t}/evil.pyc"));
    assert_eq!(kind_sev(f), ("bytecode-sourceless", "critical"), "{f}");
    assert!(
        f["message"].as_str().unwrap().contains("import evil"),
        "{f}"
    );
    assert_eq!(strs(&f["imports"]), ["socket", "subprocess"], "{f}");
    assert!(
        strs(&f["strings"]).contains(&"https://c2.example.invalid/beacon".to_string()),
        "{f}"
    );
    let f = one(&a, "/opt/app/lib/helper.pyc");
    assert_eq!(kind_sev(f), ("bytecode-sourceless", "high"), "{f}");
    let f = one(&a, &cached("gone"));
    assert_eq!(kind_sev(f), ("bytecode-orphaned", "medium"), "{f}");
    assert_eq!(strs(&f["imports"]), ["json"]);
    let f = one(&a, &cached("stale"));
    assert_eq!(kind_sev(f), ("bytecode-stale", "low"), "{f}");
    let f = one(&a, &cached("unchecked"));
    assert_eq!(kind_sev(f), ("bytecode-unchecked-hash", "high"), "{f}");
    let f = one(&a, &cached("swapped"));
    assert_eq!(kind_sev(f), ("bytecode-unchecked-hash", "critical"), "{f}");
    let f = one(&a, &cached("checked"));
    assert_eq!(kind_sev(f), ("bytecode-stale", "low"), "{f}");
    let f = one(&a, &cached("foreign"));
    assert_eq!(kind_sev(f), ("bytecode-foreign-magic", "low"), "{f}");
    assert!(
        f["message"].as_str().unwrap().contains("CPython 3.4"),
        "{f}"
    );
    let f = one(&a, &cached("forged"));
    assert_eq!(kind_sev(f), ("bytecode-stale", "high"), "{f}");
    assert!(f["message"].as_str().unwrap().contains("socket"), "{f}");
    assert!(a.findings_for(&cached("fine")).is_empty());
    let lib_t = format!("/usr/lib/python{}", py.version);
    let summary = one(&a, &lib_t);
    assert_eq!(kind_sev(summary), ("bytecode-unregistered", "info"));
    assert_eq!(summary["count"], 2, "{summary}");

    let f = one(&a, &format!("{site_t}/zz-hook.pth"));
    assert_eq!(kind_sev(f), ("startup-hook", "high"));
    assert_eq!(f["line"], "import os;os.system('id')");
    assert!(a.findings_for(&format!("{site_t}/plain.pth")).is_empty());
    let f = one(&a, &format!("{site_t}/sitecustomize.py"));
    assert_eq!(kind_sev(f), ("startup-hook", "high"));
    assert_eq!(f["line"], "import socket");
    let f = one(&a, "/etc/ld.so.preload");
    assert_eq!(kind_sev(f), ("startup-hook", "high"));
    assert_eq!(f["line"], "/usr/lib/libhook.so");

    let f = one(&a, "/usr/bin/rootsh");
    assert_eq!(kind_sev(f), ("unowned-setuid", "critical"), "{f}");
    assert_eq!(f["actual"]["mode"], "104755");
    let f = one(&a, "/usr/bin/dropper");
    assert_eq!(kind_sev(f), ("unowned-executable", "high"), "{f}");
    let f = one(&a, "/usr/lib/x86_64-linux-gnu/libhook.so");
    assert_eq!(kind_sev(f), ("unowned-executable", "high"), "{f}");
    let f = one(&a, "/usr/sbin/helper.sh");
    assert_eq!(kind_sev(f), ("unowned-executable", "high"), "{f}");
    let f = one(&a, "/usr/share");
    assert_eq!(kind_sev(f), ("unowned-file", "info"), "{f}");
    assert_eq!(f["count"], 2, "{f}");
    // pycs are the bytecode check's: not counted as unowned files.
    let usr_lib = one(&a, "/usr/lib");
    assert!(
        !usr_lib["message"].as_str().unwrap().contains(".pyc"),
        "{usr_lib}"
    );
    assert_eq!(a.status, Some(1));

    // The text report shows the offending line and the imports.
    let text = run_with_timeout(
        rootaudit_cmd(root.path()).args(["--checks", "bytecode,unowned"]),
        COMMAND_TIMEOUT,
    )
    .stdout_str();
    assert!(
        text.lines()
            .any(|l| l.starts_with("startup-hook") && l.contains("line: import os;os.system")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("bytecode-sourceless")
                && l.contains("imports: socket, subprocess")),
        "{text}"
    );
}

/// A Debian-like clean tree: sources owned by a package, their pycs
/// compiled at install time and registered nowhere. One info summary per
/// tree, nothing above info; `--verbose` lists every pyc.
#[test]
fn clean_dpkg_tree_is_one_info_summary_per_tree() {
    let py = require_python!();
    let stdlib = format!("/usr/lib/python{}", py.version);
    let mut owned = vec![format!("{stdlib}/os.py")];
    let mut pycs = Vec::new();
    for (dir, n) in [
        (stdlib.clone(), 3),
        ("/usr/lib/python3/dist-packages/app".into(), 4),
    ] {
        for i in 0..n {
            owned.push(format!("{dir}/m{i}.py"));
            pycs.push((
                format!("{dir}/m{i}.py"),
                format!("{dir}/__pycache__/m{i}.{}.pyc", py.tag),
            ));
        }
    }
    let owned_refs: Vec<&str> = owned.iter().map(String::as_str).collect();
    let root = dpkg_root(&owned_refs);
    write(&root.join(&format!("{stdlib}/os.py")), "# stdlib marker\n");
    for (i, (src, pyc)) in pycs.iter().enumerate() {
        write(&root.join(src), format!("import json\nVALUE = {i}\n"));
        let mode = if i % 2 == 0 {
            "TIMESTAMP"
        } else {
            "CHECKED_HASH"
        };
        compile(&root.join(src), &root.join(pyc), mode);
    }

    let a = scan(root.path(), &[]);
    let worst = a
        .findings()
        .iter()
        .map(|f| f["severity"].as_str().unwrap_or("?"))
        .find(|s| *s != "info");
    assert_eq!(
        worst, None,
        "a clean tree has nothing above info:\n{}",
        a.raw
    );
    assert_eq!(a.status, Some(0));
    let unregistered: Vec<&Value> = a
        .findings()
        .iter()
        .filter(|f| f["kind"] == "bytecode-unregistered")
        .collect();
    assert_eq!(unregistered.len(), 2, "{}", a.raw);
    assert_eq!(one(&a, &stdlib)["count"], 3);
    assert_eq!(one(&a, "/usr/lib/python3")["count"], 4);

    let v = scan(root.path(), &["--verbose"]);
    let listed: Vec<&Value> = v
        .findings()
        .iter()
        .filter(|f| f["kind"] == "bytecode-unregistered")
        .collect();
    assert_eq!(listed.len(), pycs.len(), "{}", v.raw);
    assert!(listed.iter().all(|f| f["count"].is_null()));
    assert!(listed.iter().all(|f| strs(&f["imports"]) == ["json"]));
}

/// `--unowned-trees` replaces the default trees; `!` excludes.
#[test]
fn unowned_trees_are_configurable() {
    let root = dpkg_root(&[]);
    write(&root.join("srv/tools/bin/run"), fake_elf(2));
    chmod(&root.join("srv/tools/bin/run"), 0o755);
    write(&root.join("srv/tools/skip/bin/x"), fake_elf(2));
    chmod(&root.join("srv/tools/skip/bin/x"), 0o755);
    write(&root.join("usr/bin/dropper"), fake_elf(2));
    chmod(&root.join("usr/bin/dropper"), 0o755);
    let a = rootaudit_json_at(
        root.path(),
        &[
            "--checks",
            "unowned",
            "--unowned-trees",
            "/srv/tools,!/srv/tools/skip",
        ],
    );
    assert_eq!(
        kind_sev(one(&a, "/srv/tools/bin/run")),
        ("unowned-executable", "high")
    );
    assert!(
        a.findings_for("/srv/tools/skip/bin/x").is_empty(),
        "{}",
        a.raw
    );
    assert!(a.findings_for("/usr/bin/dropper").is_empty(), "{}", a.raw);
    let bad = run_with_timeout(
        rootaudit_cmd(root.path()).args(["--checks", "unowned", "--unowned-trees", "srv"]),
        COMMAND_TIMEOUT,
    );
    assert_eq!(bad.status, Some(2), "{}", bad.stderr);
}

/// An rpm-built root: the package's own pycs are left to the files check
/// (which catches a tampered one), a pyc planted beside them is
/// unregistered, and a sourceless one the package ships is still said.
#[test]
fn rpm_root_owned_pycs_go_to_the_files_check() {
    require_tools!();
    let py = require_python!();
    let site = format!("/usr/lib/python{}/site-packages", py.version);
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("rpmmod.py");
    write(&src, "import json\nNAME = 'rpmmod'\n");
    set_mtime(&src, DEFAULT_MTIME as u64);
    let cfile = work.path().join("rpmmod.pyc");
    compile(&src, &cfile, "TIMESTAMP");
    let pyc_bytes = std::fs::read(&cfile).unwrap();
    let cached = format!("{site}/__pycache__/rpmmod.{}.pyc", py.tag);
    let pkg = PkgSpec::new("pyfix")
        .entry(FileEntry::file(
            &format!("/usr/lib/python{}/os.py", py.version),
            "# stdlib marker\n",
        ))
        .entry(FileEntry::file(
            &format!("{site}/rpmmod.py"),
            std::fs::read(&src).unwrap(),
        ))
        .entry(FileEntry::file(&cached, &pyc_bytes))
        .entry(FileEntry::file(&format!("{site}/shipped.pyc"), &pyc_bytes))
        .build();
    let root = TestRoot::new();
    root.install(&[&pkg]);
    // Planted beside the package's files: an optimised variant.
    let planted = format!("{site}/__pycache__/rpmmod.{}.opt-1.pyc", py.tag);
    std::fs::copy(root.join(&cached), root.join(&planted)).unwrap();

    let a = rootaudit_json_at(root.path(), &["--checks", "files,bytecode,unowned"]);
    assert!(a.findings_for(&cached).is_empty(), "{}", a.raw);
    let f = one(&a, &format!("{site}/shipped.pyc"));
    assert_eq!(kind_sev(f), ("bytecode-sourceless", "high"), "{f}");
    assert_eq!(f["package"]["nevra"], pkg.nevra.as_str());
    assert!(a.findings_for(&planted).is_empty(), "{}", a.raw);
    let summary = one(&a, &format!("/usr/lib/python{}", py.version));
    assert_eq!(kind_sev(summary), ("bytecode-unregistered", "info"));
    assert_eq!(summary["count"], 1);

    // Tamper with the package's pyc (keep size and mtime): the files check
    // reports it; the bytecode check still leaves it alone.
    let mut data = std::fs::read(root.join(&cached)).unwrap();
    let last = data.len() - 1;
    data[last] ^= 0xff;
    root.write_keep_mtime(&cached, &data);
    let a = rootaudit_json_at(root.path(), &["--checks", "files,bytecode"]);
    let f = one(&a, &cached);
    assert_eq!(f["kind"], "file-changed", "{f}");
}

/// Hostile files where pycs are expected: control bytes in names, a
/// truncated header, garbage after a valid header, a symlink loop, a
/// symlink out of the root, a FIFO and a directory named like pycs. The
/// scan finishes, escapes every name and never opens the FIFO.
#[test]
fn hostile_pyc_files_are_reported_not_fatal() {
    let py = require_python!();
    let root = dpkg_root(&[]);
    let lib = add_stdlib(&root, &py);
    let site = lib.join("site-packages");
    let work = tempfile::tempdir().unwrap();
    write(&work.path().join("m.py"), EVIL);
    compile(
        &work.path().join("m.py"),
        &work.path().join("m.pyc"),
        "TIMESTAMP",
    );
    let good = std::fs::read(work.path().join("m.pyc")).unwrap();
    write(&site.join("evil\x1b[31m\n.pyc"), &good);
    write(&site.join("short.pyc"), &good[..10]);
    let mut garbage = good[..16].to_vec();
    garbage.extend((0..4000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    write(&site.join("garbage.pyc"), &garbage);
    write(&site.join("notpyc.pyc"), b"\x7fELF not a pyc at all");
    std::os::unix::fs::symlink("loop.pyc", site.join("loop.pyc")).unwrap();
    std::os::unix::fs::symlink("/../../../../etc/passwd", site.join("escape.pyc")).unwrap();
    run_ok(Command::new("mkfifo").arg(site.join("fifo.pyc")));
    std::fs::create_dir_all(site.join("dir.pyc")).unwrap();

    let a = scan(root.path(), &[]);
    assert!(!a.raw.bytes().any(|b| b < 0x20 && b != b'\n'), "{}", a.raw);
    let site_t = format!("/usr/lib/python{}/site-packages", py.version);
    // JSON carries the name exactly (the document itself holds no raw
    // control byte, checked above).
    let f = one(&a, &format!("{site_t}/evil\x1b[31m\n.pyc"));
    assert_eq!(kind_sev(f), ("bytecode-sourceless", "high"), "{f}");
    for (name, kind) in [
        ("short.pyc", "bytecode-foreign-magic"),
        ("notpyc.pyc", "bytecode-foreign-magic"),
        ("garbage.pyc", "bytecode-sourceless"),
        ("loop.pyc", "check-incomplete"),
        ("escape.pyc", "bytecode-foreign-magic"),
    ] {
        let f = one(&a, &format!("{site_t}/{name}"));
        assert_eq!(f["kind"], kind, "{name}: {f}");
    }
    let f = one(&a, &format!("{site_t}/garbage.pyc"));
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("code object not decoded"),
        "{f}"
    );
    // The passwd file read through the symlink is the target's own.
    let f = one(&a, &format!("{site_t}/escape.pyc"));
    assert!(f["message"].as_str().unwrap().contains("not a pyc"), "{f}");
    assert!(a.findings_for(&format!("{site_t}/fifo.pyc")).is_empty());
    assert!(a.findings_for(&format!("{site_t}/dir.pyc")).is_empty());
}
