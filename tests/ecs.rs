//! `--format jsonl` shaped as Elastic Common Schema ("rootaudit 8"): every
//! line parses as JSON and carries the ECS fields a log pipeline queries
//! (`@timestamp`, `event.*`, `file.*`, `package.*`, `host.name`,
//! `rule.id`, the `rootaudit.*` namespace); one `event.kind: event` line
//! ends a scan with its summary; a hostile file name is exact under
//! `rootaudit.finding` and never raw anywhere else.

use std::os::unix::ffi::OsStrExt;

use base64::Engine as _;
use serde_json::Value;

use crate::util::*;

/// A file name holding an escape sequence that retitles a terminal, a
/// newline and a byte that is not UTF-8.
pub const HOSTILE: &[u8] = b"/usr/bin/\x1b]0;x\x07\n\xff";
/// A packaged name with an escape sequence and a non-UTF-8 byte (a dpkg
/// `.list` holds one name per line: no newline here).
pub const HOSTILE_PACKAGED: &[u8] = b"/usr/share/app/ev\x1b[31mil\xff";

/// A root with a dpkg database: package `app` (version `1:1.0-2`, amd64)
/// owns `/usr/share/app/data.txt` (packaged as `packaged\n`, now
/// `edited\n`: `file-changed`), `/usr/share/app/gone.txt` and
/// [`HOSTILE_PACKAGED`] (both missing: `file-missing`); an executable no
/// package owns is named [`HOSTILE`] (`unowned-executable`).
pub fn dpkg_fixture() -> TestRoot {
    let root = TestRoot::bare();
    let put = |p: &[u8], content: &[u8]| {
        let host = root.path().join(std::ffi::OsStr::from_bytes(&p[1..]));
        std::fs::create_dir_all(host.parent().unwrap()).unwrap();
        std::fs::write(host, content).unwrap();
    };
    put(
        b"/var/lib/dpkg/status",
        b"Package: app\nStatus: install ok installed\nVersion: 1:1.0-2\nArchitecture: amd64\n\
          Maintainer: nobody\nDescription: fixture\n\n",
    );
    let mut list = b"/.\n/usr\n/usr/share\n/usr/share/app\n/usr/share/app/data.txt\n\
                     /usr/share/app/gone.txt\n"
        .to_vec();
    list.extend_from_slice(HOSTILE_PACKAGED);
    list.push(b'\n');
    put(b"/var/lib/dpkg/info/app.list", &list);
    let md5 = |data: &[u8]| {
        use md5::Digest as _;
        hex::encode(md5::Md5::digest(data))
    };
    let mut sums = format!(
        "{}  usr/share/app/data.txt\n{}  usr/share/app/gone.txt\n",
        md5(b"packaged\n"),
        md5(b"gone\n")
    )
    .into_bytes();
    sums.extend_from_slice(format!("{}  ", md5(b"x\n")).as_bytes());
    sums.extend_from_slice(&HOSTILE_PACKAGED[1..]);
    sums.push(b'\n');
    put(b"/var/lib/dpkg/info/app.md5sums", &sums);
    put(b"/usr/share/app/data.txt", b"edited\n");
    put(HOSTILE, b"#!/bin/sh\necho hi\n");
    let exe = root.path().join(std::ffi::OsStr::from_bytes(&HOSTILE[1..]));
    std::fs::set_permissions(&exe, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    root
}

/// Run `rootaudit scan ROOT --format jsonl ARGS…` and parse every line
/// (each must be one JSON object).
pub fn jsonl_lines(root: &std::path::Path, args: &[&str]) -> (Run, Vec<Value>) {
    let run = run_with_timeout(
        rootaudit_cmd(root).args(["--format", "jsonl"]).args(args),
        COMMAND_TIMEOUT,
    );
    assert!(
        matches!(run.status, Some(0 | 1)),
        "status {:?}: {}",
        run.status,
        run.stderr
    );
    assert!(run.stdout.ends_with(b"\n"), "{}", run.stdout_str());
    let lines = run
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let v: Value = serde_json::from_slice(l)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(l)));
            assert!(v.is_object(), "{v}");
            v
        })
        .collect();
    (run, lines)
}

/// A JSON byte value: a string, or `{"bytes": base64}`.
fn json_bytes(v: &Value) -> Vec<u8> {
    match v {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Object(o) => base64::engine::general_purpose::STANDARD
            .decode(o["bytes"].as_str().expect("bytes"))
            .expect("base64"),
        other => panic!("not a byte value: {other}"),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn is_rfc3339_utc(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    let b = s.as_bytes();
    b.len() == 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z'
        && b.iter()
            .enumerate()
            .all(|(i, c)| [4, 7, 10, 13, 16, 19, 23].contains(&i) || c.is_ascii_digit())
}

fn non_empty_strings(v: &Value) -> bool {
    v.as_array().is_some_and(|a| {
        !a.is_empty() && a.iter().all(|s| s.as_str().is_some_and(|s| !s.is_empty()))
    })
}

/// The ECS fields every line of a scan carries, checked; returns the
/// alerts and the one scan event.
pub fn check_ecs(lines: &[Value]) -> (Vec<&Value>, &Value) {
    let (scan, alerts) = lines.split_last().expect("at least the scan line");
    assert_eq!(scan["event"]["kind"], "event", "{scan}");
    let host = scan["host"]["name"].as_str().expect("host.name");
    assert!(!host.is_empty());
    let scan_id = scan["rootaudit"]["scan_id"].as_str().expect("scan id");
    assert_eq!(scan_id.len(), 16, "{scan}");
    for l in lines {
        assert!(is_rfc3339_utc(&l["@timestamp"]), "{l}");
        assert_eq!(l["@timestamp"], scan["@timestamp"], "one scan, one time");
        assert_eq!(l["ecs"]["version"], "8.11.0");
        assert_eq!(l["event"]["module"], "rootaudit");
        assert_eq!(l["host"]["name"], host);
        assert!(l["message"].as_str().is_some_and(|m| !m.is_empty()), "{l}");
        assert!(non_empty_strings(&l["event"]["category"]), "{l}");
        assert!(non_empty_strings(&l["event"]["type"]), "{l}");
        assert_eq!(l["rootaudit"]["scan_id"], scan_id);
    }
    for a in alerts {
        let f = &a["rootaudit"]["finding"];
        assert_eq!(a["event"]["kind"], "alert", "{a}");
        assert_eq!(a["event"]["dataset"], "rootaudit.finding");
        assert_eq!(a["event"]["action"], f["kind"], "{a}");
        assert_eq!(a["rule"]["id"], f["kind"], "{a}");
        assert!(a["event"]["severity"].is_u64(), "{a}");
        assert_eq!(a["rootaudit"]["finding_id"], f["id"]);
        assert_eq!(a["rootaudit"]["severity"], f["severity"]);
        assert_eq!(a["rootaudit"]["verify"], f["verify"]);
        assert_eq!(
            a["event"]["id"],
            format!("{scan_id}-{}", f["id"].as_str().unwrap())
        );
        if !f["path"].is_null() {
            assert!(a["file"]["path"].is_string(), "{a}");
        }
        if !f["package"].is_null() {
            assert_eq!(a["package"]["name"], f["package"]["name"]);
            assert!(a["package"]["version"].is_string());
        }
    }
    assert_eq!(scan["event"]["action"], "scan");
    assert_eq!(scan["event"]["dataset"], "rootaudit.scan");
    assert!(is_rfc3339_utc(&scan["event"]["start"]), "{scan}");
    assert!(is_rfc3339_utc(&scan["event"]["end"]), "{scan}");
    assert!(scan["event"]["duration"].is_u64(), "{scan}");
    let facts = &scan["rootaudit"]["scan"];
    assert_eq!(facts["summary"]["findings"], alerts.len() as u64, "{scan}");
    let counted: u64 = ["critical", "high", "medium", "low", "info"]
        .iter()
        .map(|s| facts["counts"][s].as_u64().unwrap())
        .sum();
    assert_eq!(counted, alerts.len() as u64, "{scan}");
    (alerts.iter().collect(), scan)
}

/// The alert of kind `kind` whose exact path is `path`.
fn alert<'a>(alerts: &[&'a Value], kind: &str, path: &[u8]) -> &'a Value {
    alerts
        .iter()
        .find(|a| {
            a["event"]["action"] == kind && json_bytes(&a["rootaudit"]["finding"]["path"]) == path
        })
        .unwrap_or_else(|| panic!("no {kind} for {}", String::from_utf8_lossy(path)))
}

#[test]
fn every_line_is_ecs_and_the_scan_event_ends_it() {
    let root = dpkg_fixture();
    let (run, lines) = jsonl_lines(root.path(), &[]);
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    // No raw control byte anywhere (JSON escapes them; hostile names are
    // base64 or escaped).
    assert!(
        run.stdout.iter().all(|&b| b >= 0x20 || b == b'\n'),
        "{}",
        run.stdout_str()
    );
    let (alerts, scan) = check_ecs(&lines);
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["event"]["kind"] == "event")
            .count(),
        1
    );

    let changed = alert(&alerts, "file-changed", b"/usr/share/app/data.txt");
    assert_eq!(changed["event"]["category"], serde_json::json!(["file"]));
    assert_eq!(changed["event"]["type"], serde_json::json!(["change"]));
    assert_eq!(changed["file"]["path"], "/usr/share/app/data.txt");
    assert_eq!(changed["file"]["name"], "data.txt");
    assert_eq!(changed["file"]["directory"], "/usr/share/app");
    let edited_md5 = {
        use md5::Digest as _;
        hex::encode(md5::Md5::digest(b"edited\n"))
    };
    assert_eq!(changed["file"]["hash"]["md5"], edited_md5.as_str());
    assert_eq!(changed["file"]["mode"], "0644");
    assert_eq!(changed["package"]["name"], "app");
    assert_eq!(changed["package"]["version"], "1:1.0-2");
    assert_eq!(changed["package"]["architecture"], "amd64");
    assert_eq!(changed["package"]["type"], "deb");
    assert_eq!(changed["rootaudit"]["verify"], "..5......");
    assert_eq!(changed["rootaudit"]["severity"], "high");
    assert_eq!(changed["event"]["severity"], 73);

    let gone = alert(&alerts, "file-missing", b"/usr/share/app/gone.txt");
    assert_eq!(gone["event"]["type"], serde_json::json!(["deletion"]));

    let facts = &scan["rootaudit"]["scan"];
    assert_eq!(scan["event"]["outcome"], "success");
    assert_eq!(facts["complete"], true);
    assert_eq!(facts["database"]["format"], "dpkg");
    assert_eq!(
        json_bytes(&facts["root"]),
        root.path().as_os_str().as_bytes()
    );
    assert_eq!(facts["worst"], "high");
    assert!(scan["message"].as_str().unwrap().contains(" complete: "));
}

#[test]
fn hostile_names_are_exact_under_rootaudit_finding() {
    let root = dpkg_fixture();
    let (_, lines) = jsonl_lines(root.path(), &[]);
    let (alerts, _) = check_ecs(&lines);

    let exe = alert(&alerts, "unowned-executable", HOSTILE);
    // ECS's text is readable and harmless: escaped as the text output does.
    let shown = exe["file"]["path"].as_str().unwrap();
    assert_eq!(shown, "/usr/bin/\\x1b]0;x\\x07\\x0a\\xff");
    assert!(!shown.chars().any(char::is_control), "{shown}");
    assert_eq!(exe["file"]["mode"], "0755");
    assert_eq!(exe["event"]["type"], serde_json::json!(["creation"]));
    assert!(exe["rootaudit"]["finding"]["path"]["bytes"].is_string());

    let missing = alert(&alerts, "file-missing", HOSTILE_PACKAGED);
    assert_eq!(missing["file"]["path"], "/usr/share/app/ev\\x1b[31mil\\xff");
    assert_eq!(missing["package"]["name"], "app");
}

#[test]
fn an_rpm_finding_names_its_sha256_owner_and_package() {
    require_tools!();
    let pkg = PkgSpec::new("ra-ecs")
        .entry(FileEntry::file("/usr/bin/ra-ecs-tool", "#!/bin/sh\necho ok\n").mode(0o755))
        .build();
    let root = TestRoot::new();
    root.install(&[&pkg]);
    // Same size: a file of another size is not hashed (`S.5`, no digest).
    root.write_keep_mtime("/usr/bin/ra-ecs-tool", "#!/bin/sh\necho OK\n");
    root.chown("/usr/bin/ra-ecs-tool", Some(AUDIT_ID), None);
    root.chmod("/usr/bin/ra-ecs-tool", 0o4755);
    let (run, lines) = jsonl_lines(root.path(), &["--checks", "files"]);
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    let (alerts, _) = check_ecs(&lines);
    let a = alert(&alerts, "file-changed", b"/usr/bin/ra-ecs-tool");
    let sha256 = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(b"#!/bin/sh\necho OK\n"))
    };
    assert_eq!(a["file"]["hash"]["sha256"], sha256.as_str(), "{a}");
    assert_eq!(a["file"]["mode"], "4755", "{a}");
    assert_eq!(a["file"]["type"], "file");
    assert_eq!(a["file"]["owner"], AUDIT_USER, "{a}");
    assert_eq!(a["package"]["name"], "ra-ecs");
    assert_eq!(a["package"]["version"], "1.0-1");
    assert_eq!(a["package"]["architecture"], "noarch");
    assert_eq!(a["package"]["type"], "rpm");
    assert_eq!(a["rootaudit"]["verify"], ".M5..U...", "{a}");
    assert_eq!(a["event"]["severity"], 99, "setuid gained: critical");
}
