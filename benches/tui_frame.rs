//! Time per TUI frame with 100,000 findings (issue "rootaudit 7": under
//! 10 ms on the reference machine). Run: `cargo bench --bench tui_frame`.
//!
//! Builds 100,000 findings (schema-2 JSON, spread over 40 packages, three
//! kinds and a few hundred directories), then measures, on ratatui's
//! `TestBackend` at 160×48 and 80×24: rebuilding the rows (what a filter
//! keystroke or a group toggle costs) and drawing one frame with every
//! group open (the worst case for the list: 100,000 rows), cursor moving.
//! Prints min / median / max in milliseconds.

use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rootaudit::tui::draw::draw;
use rootaudit::tui::item::Item;
use rootaudit::tui::state::{AppState, Info, Look, Status};
use rootaudit::tui::update::{Event, update};

const N: usize = 100_000;

fn items() -> Vec<Item> {
    (0..N)
        .map(|i| {
            let kind = ["file-changed", "unowned-file", "bytecode-unregistered"][i % 3];
            let sev = ["high", "info", "info"][i % 3];
            let v = serde_json::json!({
                "id": format!("{i:016x}"), "kind": kind, "severity": sev,
                "path": format!("/usr/lib/pkg{}/dir{}/file{i}.so", i % 40, i % 300),
                "package": {"nevra": format!("pkg{}-1.0-1.x86_64", i % 40), "record": i % 40,
                            "name": format!("pkg{}", i % 40), "version": "1.0", "release": "1", "arch": "x86_64"},
                "message": "size, digest, mtime differ", "evidence": "file", "verify": "S.5....T.",
                "expected": {"size": 1, "digest": "sha256:00", "mtime": 1}, "actual": {"size": 2, "mtime": 2}
            });
            Item::from_value(&v, v.to_string()).expect("item")
        })
        .collect()
}

fn stats(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{name:<44} min {:7.2} ms  median {:7.2} ms  max {:7.2} ms  ({} runs)",
        ms(v[0]),
        ms(v[v.len() / 2]),
        ms(v[v.len() - 1]),
        v.len()
    );
}

fn main() {
    let items = items();
    for size in [(160u16, 48u16), (80, 24)] {
        let look = Look {
            ascii: false,
            color: true,
        };
        let mut state = AppState::new(
            Info::default(),
            Status::Finished { complete: true },
            look,
            size,
        );
        update(&mut state, Event::Findings(items.clone()));
        let mut rebuilds = Vec::new();
        for _ in 0..5 {
            state.stale = true;
            let t = Instant::now();
            state.rebuild();
            rebuilds.push(t.elapsed());
        }
        stats(&format!("rebuild rows, {N} findings, grouped"), rebuilds);
        // Open every group: 100,000 rows in the list.
        for g in state.groups.clone() {
            state.opened.insert(g.key.clone(), true);
        }
        // Twice: opening parents reveals children, which open next time.
        for _ in 0..3 {
            state.rebuild();
            for g in state.groups.clone() {
                state.opened.insert(g.key.clone(), true);
            }
        }
        state.rebuild();
        assert!(state.rows.len() > N, "{} rows", state.rows.len());
        let mut term = Terminal::new(TestBackend::new(size.0, size.1)).expect("terminal");
        let mut frames = Vec::new();
        for step in 0..300 {
            state.cursor = (step * 331) % state.rows.len();
            state.scroll_to_cursor();
            let t = Instant::now();
            term.draw(|f| draw(&state, f)).expect("draw");
            frames.push(t.elapsed());
        }
        stats(
            &format!(
                "frame {}x{}, {} rows open",
                size.0,
                size.1,
                state.rows.len()
            ),
            frames,
        );
    }
}
