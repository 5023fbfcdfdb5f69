//! The findings list: only the rows on screen are drawn (a virtual list),
//! so the cost of a frame does not grow with the number of findings.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, thousands};
use crate::model::Verdict;
use crate::tui::state::{AppState, Grouping, Level, Row};

pub(super) fn draw(state: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let t = Theme::of(state.look);
    let (by, accepted) = state.counts();
    let total: u64 = by.iter().sum();
    let shown = state.groups.first().map_or(0, |_| {
        state
            .rows
            .iter()
            .filter_map(|r| match r {
                Row::Group { depth: 0, group } => Some(state.groups[*group as usize].members.len()),
                _ => None,
            })
            .sum::<usize>()
            + state
                .rows
                .iter()
                .filter(|r| matches!(r, Row::Item { depth: 0, .. }))
                .count()
    });
    let mut title = format!(" Findings {} ", thousands(total));
    if shown as u64 != total {
        title.push_str(&format!("({} shown) ", thousands(shown as u64)));
    }
    title.push_str(match state.grouping {
        Grouping::Severity => "· by severity ",
        Grouping::Directory => "· by directory ",
    });
    if let Some(p) = &state.package {
        title.push_str(&format!("· package {} ", t.text(p.as_bytes())));
    }
    if !state.filter.is_empty() {
        title.push_str(&format!(
            "· filter \"{}\" ",
            t.text(state.filter.as_bytes())
        ));
    }
    if !state.marks.is_empty() {
        title.push_str(&format!("· {} marked ", state.marks.len()));
    }
    if accepted > 0 {
        title.push_str(&format!("· {accepted} accepted "));
    }
    let block = t.block(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = inner.height as usize;
    let width = inner.width as usize;
    if state.rows.is_empty() {
        let msg = if state.scanning() {
            "no findings yet"
        } else if total == 0 {
            "no findings"
        } else {
            "nothing matches the filter (Esc clears it)"
        };
        frame.render_widget(Paragraph::new(msg), inner);
        return;
    }
    let lines: Vec<Line> = state
        .rows
        .iter()
        .enumerate()
        .skip(state.offset)
        .take(height)
        .map(|(i, row)| {
            let line = row_line(state, &t, *row, width);
            if i == state.cursor {
                line.patch_style(t.selected())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn row_line<'a>(state: &AppState, t: &Theme, row: Row, width: usize) -> Line<'a> {
    match row {
        Row::Group { depth, group } => {
            let g = &state.groups[group as usize];
            let indent = "  ".repeat(depth as usize);
            let label = match g.level {
                Level::Severity => g.worst.as_str().to_uppercase(),
                _ => t.text(&g.label),
            };
            let count = format!(" ({})", thousands(g.members.len() as u64));
            let room = width.saturating_sub(indent.len() + 2 + count.len());
            let marked = g.members.iter().filter(|m| state.marks.contains(m)).count();
            let mut spans = vec![
                Span::raw(format!("{indent}{} ", t.open(g.open))),
                Span::styled(t.tail(&label, room), t.severity(g.worst).patch(t.bold())),
                Span::styled(count, t.dim()),
            ];
            if marked > 0 {
                spans.push(Span::raw(format!(" [{marked} marked]")));
            }
            Line::from(spans)
        }
        Row::Item { depth, item } => {
            let it = &state.items[item as usize];
            let indent = "  ".repeat(depth as usize);
            let mark = if state.marks.contains(&item) {
                "*"
            } else {
                " "
            };
            let decision = match it.decision.as_ref().map(|d| d.verdict) {
                Some(Verdict::Accepted) => "A",
                Some(Verdict::Flagged) => "F",
                None => " ",
            };
            let what = match state.grouping {
                Grouping::Severity if !it.verify.is_empty() => format!("{:<9}", it.verify),
                Grouping::Severity => String::new(),
                Grouping::Directory => format!("{:<8} {}", it.severity.as_str(), it.kind.as_str()),
            };
            let subject = if it.path.is_empty() {
                t.text(&it.message)
            } else if state.grouping == Grouping::Directory {
                let name = it.path.rsplit(|&b| b == b'/').next().unwrap_or(&it.path);
                t.text(name)
            } else {
                t.text(&it.path)
            };
            let prefix = format!("{indent}{mark}{decision} ");
            let used = prefix.chars().count() + what.chars().count() + 1;
            let room = width.saturating_sub(used);
            let mut spans = vec![
                Span::raw(prefix),
                Span::styled(what, t.severity(it.severity)),
                Span::raw(" "),
                Span::raw(t.tail(&subject, room)),
            ];
            // The package after the path when there is room (severity
            // grouping shows it as the group already).
            if state.grouping == Grouping::Directory
                && let Some(n) = &it.nevra
            {
                let left = room.saturating_sub(subject.chars().count() + 2);
                if left > 8 {
                    spans.push(Span::styled(
                        format!("  {}", t.tail(&t.text(n.as_bytes()), left)),
                        t.dim(),
                    ));
                }
            }
            if it.waived() {
                for s in spans.iter_mut().skip(1) {
                    s.style = s.style.patch(t.dim());
                }
            }
            Line::from(spans)
        }
    }
}
