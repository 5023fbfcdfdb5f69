//! [`AppState`]: everything the TUI shows, as plain data. Changed only by
//! `super::update`; read by `super::draw`.
//!
//! The browser is a tree of groups (severity → kind → package, or the
//! directory tree) over the findings that pass the filter, flattened into
//! [`Row`]s: the list draws only the rows on screen, so 100,000 findings
//! cost no more per frame than 20. The rows are rebuilt when the findings,
//! the filter, the grouping or an expansion change, never per frame.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde_json::Value;

use super::item::Item;
use crate::check::Snapshot;
use crate::model::Severity;

/// A group opens by default when it holds at most this many rows (child
/// groups and findings): one npm self-upgrade's 1,287 changed files stay
/// one line until opened.
pub const AUTO_OPEN: usize = 50;

/// How the browser groups findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grouping {
    /// Severity → kind → package.
    Severity,
    /// The directory tree of the paths.
    Directory,
}

/// How findings are ordered inside a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    /// By path.
    Path,
    /// By severity (worst first), then path.
    Severity,
    /// By package, then path.
    Package,
}

impl SortKey {
    /// The next order (`s` cycles).
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Path => SortKey::Severity,
            SortKey::Severity => SortKey::Package,
            SortKey::Package => SortKey::Path,
        }
    }

    /// Its name on screen.
    pub fn name(self) -> &'static str {
        match self {
            SortKey::Path => "path",
            SortKey::Severity => "severity",
            SortKey::Package => "package",
        }
    }
}

/// What fills the screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Screen {
    /// The findings list (with a detail pane beside it when wide enough).
    Browser,
    /// One finding's details, full screen.
    Detail,
    /// The key list.
    Help,
    /// A line of input at the bottom.
    Prompt(Prompt),
    /// "Stop the scan?" while scanning.
    ConfirmStop,
}

/// A line being typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    /// What the line is for.
    pub purpose: Purpose,
    /// The text so far.
    pub text: String,
}

/// What a prompt's line is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The filter (applied as it is typed).
    Filter,
    /// The reason for accepting these findings (item indices).
    Accept(Vec<u32>),
    /// The reason for flagging these findings.
    Flag(Vec<u32>),
    /// The folder to export the report and the plan into.
    Export,
}

/// Where the findings come from and how far the scan got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// A live scan is running.
    Scanning,
    /// The user asked the scan to stop; it is winding down.
    Stopping,
    /// The scan ended (`complete: false` when it was stopped or cut short).
    Finished {
        /// True when every check ran to its end.
        complete: bool,
    },
    /// A saved report is shown.
    Saved {
        /// The report's own `complete`.
        complete: bool,
    },
}

/// What the scan is about (the report's header).
#[derive(Clone, Debug, Default)]
pub struct Info {
    /// ROOT (raw).
    pub root: Vec<u8>,
    /// Database format name.
    pub database: String,
    /// Database path inside ROOT (raw).
    pub database_path: Vec<u8>,
    /// Packages read.
    pub packages: u64,
    /// How the auditor was confined, if said.
    pub sandbox: Option<String>,
    /// The saved report's file, when triaging one.
    pub report_file: Option<Vec<u8>>,
}

/// One line of the browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    /// A group: its index in [`AppState::groups`].
    Group {
        /// Nesting depth (0 = top).
        depth: u8,
        /// Index into `groups`.
        group: u32,
    },
    /// A finding: its index in [`AppState::items`].
    Item {
        /// Nesting depth.
        depth: u8,
        /// Index into `items`.
        item: u32,
    },
}

/// A group of the browser's tree.
#[derive(Clone, Debug)]
pub struct Group {
    /// Its label (raw: a path component may hold any byte).
    pub label: Vec<u8>,
    /// What kind of label it is (how to show it).
    pub level: Level,
    /// Stable key for remembering whether it is open.
    pub key: String,
    /// The findings inside it, at any depth.
    pub members: Vec<u32>,
    /// The worst severity inside it.
    pub worst: Severity,
    /// Open or closed.
    pub open: bool,
}

/// What a group stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    /// A severity.
    Severity,
    /// A finding kind.
    Kind,
    /// A package (or "no package").
    Package,
    /// A directory.
    Directory,
}

/// How the screen looks: chosen at start, not by the findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Look {
    /// Plain ASCII only (borders, markers, escapes): `--ascii`, `TERM=linux`.
    pub ascii: bool,
    /// Colours allowed (`NO_COLOR` unset). Selection is reverse video
    /// either way.
    pub color: bool,
}

/// Everything the TUI shows.
#[derive(Debug)]
pub struct AppState {
    /// The report's header.
    pub info: Info,
    /// Findings, in arrival order (indices are stable).
    pub items: Vec<Item>,
    /// Install scripts of packages with changed files, by `name.arch`
    /// (their JSON form).
    pub scripts: HashMap<String, Value>,
    /// Header verdicts by record: the verdict's name and the signer's key
    /// id (the report's `packages`).
    pub packages: HashMap<u64, (String, Option<String>)>,
    /// Scan or report status.
    pub status: Status,
    /// The last sample of the scan's counters and the time since it began.
    pub progress: Option<(Snapshot, Duration)>,
    /// Current screen.
    pub screen: Screen,
    /// Grouping of the browser.
    pub grouping: Grouping,
    /// Order inside groups.
    pub sort: SortKey,
    /// The filter (case-insensitive substring of path, package, kind,
    /// message or id).
    pub filter: String,
    /// Package view: only this package's findings (`name.arch`).
    pub package: Option<String>,
    /// Groups opened or closed by hand (by key), overriding the default.
    pub opened: HashMap<String, bool>,
    /// The tree's groups (rebuilt with the rows).
    pub groups: Vec<Group>,
    /// The browser's lines.
    pub rows: Vec<Row>,
    /// True when `rows` must be rebuilt before the next draw.
    pub stale: bool,
    /// Selected row.
    pub cursor: usize,
    /// First row on screen.
    pub offset: usize,
    /// Marked findings (item indices).
    pub marks: HashSet<u32>,
    /// Scroll position of the detail view.
    pub detail_scroll: u16,
    /// One line of news for the status bar (raw).
    pub notice: Option<String>,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// Screen style.
    pub look: Look,
    /// Seconds since the epoch, from the last tick (decisions are dated).
    pub now: u64,
}

impl AppState {
    /// An empty state.
    pub fn new(info: Info, status: Status, look: Look, size: (u16, u16)) -> AppState {
        AppState {
            info,
            items: Vec::new(),
            scripts: HashMap::new(),
            packages: HashMap::new(),
            status,
            progress: None,
            screen: Screen::Browser,
            grouping: Grouping::Severity,
            sort: SortKey::Path,
            filter: String::new(),
            package: None,
            opened: HashMap::new(),
            groups: Vec::new(),
            rows: Vec::new(),
            stale: true,
            cursor: 0,
            offset: 0,
            marks: HashSet::new(),
            detail_scroll: 0,
            notice: None,
            size,
            look,
            now: 0,
        }
    }

    /// True while a live scan runs.
    pub fn scanning(&self) -> bool {
        matches!(self.status, Status::Scanning | Status::Stopping)
    }

    /// True when the detail pane sits beside the list.
    pub fn split(&self) -> bool {
        self.size.0 >= 140
    }

    /// Lines the list has on screen (the layout of `draw`, in numbers).
    pub fn list_height(&self) -> usize {
        let top = 1 + if self.scanning() {
            super::draw::PROGRESS_HEIGHT as usize
        } else {
            0
        };
        let bottom = 1;
        // The list's block has a border above and below.
        (self.size.1 as usize)
            .saturating_sub(top + bottom + 2)
            .max(1)
    }

    /// The selected row.
    pub fn selected(&self) -> Option<Row> {
        self.rows.get(self.cursor).copied()
    }

    /// The selected finding, if the cursor is on one.
    pub fn selected_item(&self) -> Option<u32> {
        match self.selected()? {
            Row::Item { item, .. } => Some(item),
            Row::Group { .. } => None,
        }
    }

    /// The findings an action applies to: the marked ones, else the
    /// selected finding, else every finding of the selected group.
    pub fn targets(&self) -> Vec<u32> {
        if !self.marks.is_empty() {
            let mut m: Vec<u32> = self.marks.iter().copied().collect();
            m.sort_unstable();
            return m;
        }
        match self.selected() {
            Some(Row::Item { item, .. }) => vec![item],
            Some(Row::Group { group, .. }) => self.groups[group as usize].members.clone(),
            None => Vec::new(),
        }
    }

    /// Findings counted per severity (Info = 0 … Critical = 4), and how
    /// many of them are accepted.
    pub fn counts(&self) -> ([u64; 5], u64) {
        let mut by = [0u64; 5];
        let mut accepted = 0;
        for i in &self.items {
            by[i.severity as usize] += 1;
            accepted += u64::from(i.waived());
        }
        (by, accepted)
    }

    /// Does finding `i` pass the filter and the package view?
    fn shown(&self, i: &Item, needle: &str) -> bool {
        if let Some(p) = &self.package
            && i.package_key().as_deref() != Some(p.as_str())
        {
            return false;
        }
        needle.is_empty() || i.haystack.contains(needle)
    }

    /// Rebuild groups and rows from the findings, keeping the cursor on
    /// what it was on.
    pub fn rebuild(&mut self) {
        let keep = self.selected().map(|r| match r {
            Row::Group { group, .. } => Sel::Group(self.groups[group as usize].key.clone()),
            Row::Item { item, .. } => Sel::Item(item),
        });
        let needle = self.filter.to_lowercase();
        let mut shown: Vec<u32> = (0..self.items.len() as u32)
            .filter(|&i| self.shown(&self.items[i as usize], &needle))
            .collect();
        self.sort_items(&mut shown);
        let mut tree = Tree::new();
        for &i in &shown {
            let item = &self.items[i as usize];
            let path = self.group_path(item);
            tree.insert(&path, i, item.severity);
        }
        if self.grouping == Grouping::Directory {
            tree.compress(0);
        }
        self.groups.clear();
        self.rows.clear();
        let open_all = !needle.is_empty() || self.package.is_some();
        let order = self.grouping;
        let mut top = tree.nodes[0].children.clone();
        tree.order(&mut top, order);
        for c in top {
            self.flatten(&mut tree, c, 0, open_all, "");
        }
        for &i in &tree.nodes[0].items {
            self.rows.push(Row::Item { depth: 0, item: i });
        }
        self.stale = false;
        self.cursor = keep
            .and_then(|k| {
                self.rows.iter().position(|r| match (r, &k) {
                    (Row::Group { group, .. }, Sel::Group(key)) => {
                        self.groups[*group as usize].key == *key
                    }
                    (Row::Item { item, .. }, Sel::Item(i)) => item == i,
                    _ => false,
                })
            })
            .unwrap_or(self.cursor)
            .min(self.rows.len().saturating_sub(1));
        self.scroll_to_cursor();
    }

    fn flatten(&mut self, tree: &mut Tree, node: usize, depth: u8, open_all: bool, parent: &str) {
        let mut children = std::mem::take(&mut tree.nodes[node].children);
        tree.order(&mut children, self.grouping);
        let n = &tree.nodes[node];
        let key = format!("{parent}\u{1f}{}", String::from_utf8_lossy(&n.label));
        let rows_inside = children.len() + n.items.len();
        let open = open_all || *self.opened.get(&key).unwrap_or(&(rows_inside <= AUTO_OPEN));
        let mut members = Vec::new();
        tree.members(node, &children, &mut members);
        let gi = self.groups.len() as u32;
        self.groups.push(Group {
            label: n.label.clone(),
            level: n.level,
            key: key.clone(),
            members,
            worst: n.worst,
            open,
        });
        self.rows.push(Row::Group { depth, group: gi });
        if !open {
            return;
        }
        for c in children {
            self.flatten(tree, c, depth.saturating_add(1), open_all, &key);
        }
        let items = std::mem::take(&mut tree.nodes[node].items);
        for i in items {
            self.rows.push(Row::Item {
                depth: depth.saturating_add(1),
                item: i,
            });
        }
    }

    /// Where a finding sits in the tree (labels from the top).
    fn group_path<'a>(&self, item: &'a Item) -> Vec<(Level, &'a [u8])> {
        match self.grouping {
            Grouping::Severity => {
                let mut p = vec![
                    (Level::Severity, item.severity.as_str().as_bytes()),
                    (Level::Kind, item.kind.as_str().as_bytes()),
                ];
                if let Some(n) = &item.nevra {
                    p.push((Level::Package, n.as_bytes()));
                }
                p
            }
            Grouping::Directory => {
                if item.path.is_empty() {
                    return vec![(Level::Directory, &b"(no path)"[..])];
                }
                let dir = match item.path.iter().rposition(|&b| b == b'/') {
                    Some(0) | None => &b"/"[..],
                    Some(i) => &item.path[..i],
                };
                let mut p = vec![(Level::Directory, &b"/"[..])];
                p.extend(
                    dir.split(|&b| b == b'/')
                        .filter(|c| !c.is_empty())
                        .map(|c| (Level::Directory, c)),
                );
                p
            }
        }
    }

    fn sort_items(&self, v: &mut [u32]) {
        let items = &self.items;
        match self.sort {
            SortKey::Path => v.sort_by(|&a, &b| {
                let (a, b) = (&items[a as usize], &items[b as usize]);
                (&a.path, a.kind).cmp(&(&b.path, b.kind))
            }),
            SortKey::Severity => v.sort_by(|&a, &b| {
                let (a, b) = (&items[a as usize], &items[b as usize]);
                (std::cmp::Reverse(a.severity), &a.path)
                    .cmp(&(std::cmp::Reverse(b.severity), &b.path))
            }),
            SortKey::Package => v.sort_by(|&a, &b| {
                let (a, b) = (&items[a as usize], &items[b as usize]);
                (&a.nevra, &a.path).cmp(&(&b.nevra, &b.path))
            }),
        }
    }

    /// Move the window so the cursor is on screen.
    pub fn scroll_to_cursor(&mut self) {
        let h = self.list_height();
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + h {
            self.offset = self.cursor + 1 - h;
        }
        let max = self.rows.len().saturating_sub(h);
        self.offset = self.offset.min(max);
    }
}

enum Sel {
    Group(String),
    Item(u32),
}

/// The tree under construction: an arena of nodes, node 0 the root.
struct Tree {
    nodes: Vec<Node>,
}

struct Node {
    label: Vec<u8>,
    level: Level,
    children: Vec<usize>,
    /// Children by label (a node's children are all of one level), looked
    /// up with a borrowed label: no allocation per finding.
    index: HashMap<Vec<u8>, usize>,
    items: Vec<u32>,
    worst: Severity,
}

impl Tree {
    fn new() -> Tree {
        let mut t = Tree { nodes: Vec::new() };
        t.node(Vec::new(), Level::Directory);
        t
    }

    fn node(&mut self, label: Vec<u8>, level: Level) -> usize {
        self.nodes.push(Node {
            label,
            level,
            children: Vec::new(),
            index: HashMap::new(),
            items: Vec::new(),
            worst: Severity::Info,
        });
        self.nodes.len() - 1
    }

    fn insert(&mut self, path: &[(Level, &[u8])], item: u32, sev: Severity) {
        let mut at = 0;
        self.nodes[0].worst = self.nodes[0].worst.max(sev);
        for &(level, label) in path {
            let next = match self.nodes[at].index.get(label) {
                Some(&n) => n,
                None => {
                    let n = self.node(label.to_vec(), level);
                    self.nodes[at].children.push(n);
                    self.nodes[at].index.insert(label.to_vec(), n);
                    n
                }
            };
            debug_assert_eq!(self.nodes[next].level, level);
            at = next;
            self.nodes[at].worst = self.nodes[at].worst.max(sev);
        }
        self.nodes[at].items.push(item);
    }

    /// Merge directory chains with one child and no findings of their own
    /// (`/` → `usr` → `lib` becomes `/usr/lib`).
    fn compress(&mut self, node: usize) {
        for c in self.nodes[node].children.clone() {
            loop {
                let n = &self.nodes[c];
                if n.children.len() != 1 || !n.items.is_empty() {
                    break;
                }
                let child = n.children[0];
                let mut label = std::mem::take(&mut self.nodes[c].label);
                if label != b"/" {
                    label.push(b'/');
                }
                label.extend_from_slice(&self.nodes[child].label);
                let grandchildren = std::mem::take(&mut self.nodes[child].children);
                let items = std::mem::take(&mut self.nodes[child].items);
                let n = &mut self.nodes[c];
                n.label = label;
                n.children = grandchildren;
                n.items = items;
            }
            self.compress(c);
        }
    }

    fn order(&self, v: &mut [usize], grouping: Grouping) {
        v.sort_by(|&a, &b| {
            let (a, b) = (&self.nodes[a], &self.nodes[b]);
            match (grouping, a.level) {
                (Grouping::Severity, Level::Severity) => b.worst.cmp(&a.worst),
                (Grouping::Severity, Level::Kind) => {
                    b.worst.cmp(&a.worst).then(a.label.cmp(&b.label))
                }
                _ => a.label.cmp(&b.label),
            }
        });
    }

    fn members(&self, node: usize, children: &[usize], out: &mut Vec<u32>) {
        out.extend_from_slice(&self.nodes[node].items);
        for &c in children {
            self.members(c, &self.nodes[c].children, out);
        }
    }
}
