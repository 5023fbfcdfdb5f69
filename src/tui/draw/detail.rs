//! The detail pane: everything known about the selected finding, from its
//! JSON form (schema 2): identity, package and header verdict with its
//! signer, the decision, the verify string explained column by column,
//! expected against actual per attribute, every other evidence field
//! (a bytecode finding's pyc header, imports and strings; a hook's line),
//! and, for a package whose files changed, its install scripts.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use serde_json::Value;

use super::Theme;
use crate::model::evidence::header::date;
use crate::tui::item::{Item, raw_bytes};
use crate::tui::state::{AppState, Row, Screen};

/// Evidence fields shown in their own sections (or in the heading).
const SHOWN: &[&str] = &[
    "id", "kind", "severity", "path", "package", "header", "decision", "message", "verify",
    "expected", "actual", "evidence",
];

pub(super) fn draw(state: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let t = Theme::of(state.look);
    let block = t.block(" Details ".to_string());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines = match state.selected() {
        Some(Row::Item { item, .. }) => lines(state, &t, &state.items[item as usize]),
        Some(Row::Group { group, .. }) => {
            let g = &state.groups[group as usize];
            vec![
                Line::from(Span::styled(t.text(&g.label), t.bold())),
                Line::from(format!(
                    "{} finding(s); worst: {}",
                    g.members.len(),
                    g.worst.as_str()
                )),
                Line::from(Span::styled(
                    "Enter opens the group, Space marks all of it, a/f decide for all of it.",
                    t.dim(),
                )),
            ]
        }
        None => vec![Line::from("nothing selected")],
    };
    let scroll = if state.screen == Screen::Detail {
        state.detail_scroll
    } else {
        0
    };
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), inner);
}

/// The detail lines of one finding (also what tests read).
pub(crate) fn lines<'a>(state: &AppState, t: &Theme, it: &Item) -> Vec<Line<'a>> {
    let v = it.value();
    let mut out = vec![Line::from(vec![
        Span::styled(it.kind.as_str().to_string(), t.bold()),
        Span::raw("  "),
        Span::styled(it.severity.as_str().to_uppercase(), t.severity(it.severity)),
        Span::styled(format!("  id {}", it.id), t.dim()),
    ])];
    let field = |out: &mut Vec<Line<'a>>, name: &str, value: String| {
        out.push(Line::from(vec![
            Span::styled(format!("{name:<9}"), t.bold()),
            Span::raw(value),
        ]));
    };
    if !it.path.is_empty() {
        field(&mut out, "path", t.text(&it.path));
    }
    if let Some(n) = &it.nevra {
        field(&mut out, "package", t.text(n.as_bytes()));
        let record = it.package.as_ref().map(|p| p.record);
        let verdict = match (it.header, record.and_then(|r| state.packages.get(&r))) {
            (_, Some((verdict, Some(signer)))) => format!("{verdict}, signed by key {signer}"),
            (_, Some((verdict, None))) => verdict.clone(),
            (Some(h), None) => h.as_str().to_string(),
            (None, None) if !state.info.database.starts_with("rpm") => {
                format!(
                    "none: {} records no signed package header",
                    state.info.database
                )
            }
            (None, None) => "not judged (check `headers` did not run)".to_string(),
        };
        field(&mut out, "header", t.text(verdict.as_bytes()));
    }
    if let Some(d) = &it.decision {
        let until = d
            .expires
            .map(|e| format!(", until {}", date(e)))
            .unwrap_or_default();
        field(
            &mut out,
            "decision",
            format!(
                "{} on {}{until}: {}",
                d.verdict.as_str(),
                date(d.at),
                t.text(d.reason.as_bytes())
            ),
        );
    }
    field(&mut out, "message", t.text(&it.message));
    if !it.verify.is_empty() {
        out.push(Line::from(""));
        field(&mut out, "verify", it.verify.clone());
        for (i, c) in it.verify.chars().enumerate() {
            if c == '.' {
                continue;
            }
            let what = COLUMNS.get(i).map_or("?", |(_, w)| *w);
            let how = if c == '?' {
                "could not be checked"
            } else {
                "differs"
            };
            out.push(Line::from(format!("  {c}  {what} {how}")));
        }
    }
    let (exp, act) = (v.get("expected"), v.get("actual"));
    if exp.is_some() || act.is_some() {
        out.push(Line::from(""));
        out.push(Line::from(Span::styled(
            format!(
                "{:<9}{:<34} {}",
                "", "expected (record)", "actual (on disk)"
            ),
            t.bold(),
        )));
        let mut keys: Vec<&String> = Vec::new();
        for side in [exp, act].into_iter().flatten() {
            if let Some(o) = side.as_object() {
                for k in o.keys() {
                    if !keys.contains(&k) {
                        keys.push(k);
                    }
                }
            }
        }
        for k in keys {
            let get = |s: Option<&Value>| s.and_then(|s| s.get(k)).map(|x| scalar(t, x));
            let e = get(exp).unwrap_or_else(|| "-".into());
            let a = get(act).unwrap_or_else(|| "(not read)".into());
            if e.chars().count() + a.chars().count() > 70 {
                out.push(Line::from(format!("{k:<9}{e}")));
                out.push(Line::from(format!("{:<9}{a}", "")));
            } else {
                out.push(Line::from(format!("{k:<9}{e:<34} {a}")));
            }
        }
    }
    if let Some(o) = v.as_object() {
        let mut first = true;
        for (k, x) in o {
            if SHOWN.contains(&k.as_str()) {
                continue;
            }
            if first {
                out.push(Line::from(""));
                first = false;
            }
            value_lines(t, k, x, 0, &mut out);
        }
    }
    if let Some(key) = it.package_key()
        && let Some(scripts) = state.scripts.get(&key)
    {
        out.push(Line::from(""));
        out.push(Line::from(Span::styled(
            "install scripts (they ran as root):",
            t.bold(),
        )));
        scripts_lines(t, scripts, &mut out);
    }
    out
}

/// rpm's verify columns, in order.
const COLUMNS: [(char, &str); 9] = [
    ('S', "size"),
    ('M', "mode (permissions or file type)"),
    ('5', "content digest"),
    ('D', "device number"),
    ('L', "symlink target"),
    ('U', "owner"),
    ('G', "group"),
    ('T', "modification time"),
    ('P', "capabilities"),
];

fn scalar(t: &Theme, v: &Value) -> String {
    match v {
        Value::String(s) => t.text(s.as_bytes()),
        Value::Object(o) if o.len() == 1 && o.contains_key("bytes") => t.text(&raw_bytes(v)),
        Value::Null => "-".into(),
        Value::Array(a) => a
            .iter()
            .map(|x| scalar(t, x))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(o) => o
            .iter()
            .map(|(k, x)| format!("{k}={}", scalar(t, x)))
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    }
}

fn value_lines<'a>(t: &Theme, key: &str, v: &Value, depth: usize, out: &mut Vec<Line<'a>>) {
    let pad = "  ".repeat(depth);
    match v {
        Value::Object(o) if !(o.len() == 1 && o.contains_key("bytes")) => {
            out.push(Line::from(Span::styled(format!("{pad}{key}:"), t.bold())));
            for (k, x) in o {
                value_lines(t, k, x, depth + 1, out);
            }
        }
        Value::Array(a) if a.iter().any(|x| x.is_object() || x.is_string()) && a.len() > 1 => {
            out.push(Line::from(Span::styled(
                format!("{pad}{key}: ({})", a.len()),
                t.bold(),
            )));
            for x in a {
                match x {
                    Value::Object(o) if !(o.len() == 1 && o.contains_key("bytes")) => {
                        out.push(Line::from(format!("{pad}  -")));
                        for (k, y) in o {
                            value_lines(t, k, y, depth + 2, out);
                        }
                    }
                    _ => out.push(Line::from(format!("{pad}  {}", scalar(t, x)))),
                }
            }
        }
        _ => out.push(Line::from(vec![
            Span::styled(format!("{pad}{key}: "), t.bold()),
            Span::raw(scalar(t, v)),
        ])),
    }
}

/// A package's scripts (the JSON of `model::PackageScripts`): a heading
/// per script, then its body line by line, escaped.
fn scripts_lines<'a>(t: &Theme, v: &Value, out: &mut Vec<Line<'a>>) {
    let list = v
        .get("scripts")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if list.is_empty() {
        out.push(Line::from("  (none recorded)"));
    }
    for s in list {
        let phase = s.get("phase").map(|p| scalar(t, p)).unwrap_or_default();
        let mut head = format!("  %{phase}");
        if let Some(i) = s.get("interpreter").filter(|i| !i.is_null()) {
            head.push_str(&format!(" ({})", scalar(t, i)));
        }
        if let Some(c) = s.get("trigger").filter(|i| !i.is_null()) {
            head.push_str(&format!(" on {}", scalar(t, c)));
        }
        if s.get("truncated").and_then(Value::as_bool) == Some(true) {
            head.push_str(" [cut short]");
        }
        out.push(Line::from(Span::styled(head, t.bold())));
        let body = s.get("body").map(raw_bytes).unwrap_or_default();
        for l in body.split(|&b| b == b'\n') {
            out.push(Line::from(format!("    {}", t.text(l))));
        }
    }
}
