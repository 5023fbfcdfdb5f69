//! update-alternatives state (package database stage):
//! `var/lib/dpkg/alternatives/NAME`, one file per link group.
//!
//! A group's links are made by maintainer scripts, so no `.list` names
//! them: `/usr/bin/editor` → `/etc/alternatives/editor` →
//! `/usr/bin/vim.basic`. rootaudit registers them as symlink records of the
//! package that provides the selected choice, so they are owned (not
//! "unowned files") and their link targets are verified: the public link
//! must point at `/etc/alternatives/NAME`, and that link at one of the
//! group's registered choices (the administrator's manual choice is as
//! valid as the automatic one; a target that is no registered choice is a
//! finding).
//!
//! File format: the mode (`auto`/`manual`), the master link, pairs of
//! slave name and slave link, an empty line; then per choice its path, its
//! priority and one line per slave (empty when the choice has no such
//! slave); an empty line ends the file.
//!
//! ```
//! use rootaudit::pkgdb::dpkg::alternatives::Group;
//! let g = Group::parse("editor", b"auto\n/usr/bin/editor\n\n/bin/nano\n40\n\n").unwrap();
//! assert_eq!(g.link, b"/usr/bin/editor");
//! assert_eq!(g.choices[0].path, b"/bin/nano");
//! ```

/// Where update-alternatives keeps its symlinks (`--altdir`).
pub const ALTDIR: &str = "/etc/alternatives";

/// One choice of a link group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The file the master link resolves to when this choice is selected.
    pub path: Vec<u8>,
    /// Its priority.
    pub priority: i64,
    /// One target per slave of the group (`None` where it has none).
    pub slaves: Vec<Option<Vec<u8>>>,
}

/// A slave link of a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slave {
    /// Its name (the file name under [`ALTDIR`]).
    pub name: Vec<u8>,
    /// The public link path.
    pub link: Vec<u8>,
}

/// One link group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The group's name (the master's file name under [`ALTDIR`]).
    pub name: Vec<u8>,
    /// `manual` (an administrator chose) rather than `auto`.
    pub manual: bool,
    /// The public master link path.
    pub link: Vec<u8>,
    /// The slaves.
    pub slaves: Vec<Slave>,
    /// The registered choices.
    pub choices: Vec<Choice>,
}

/// Why an alternatives file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GroupError {
    /// The file ends early.
    #[error("truncated")]
    Truncated,
    /// The first line is neither `auto` nor `manual`.
    #[error("unknown mode")]
    BadMode,
    /// A link or choice path is not absolute.
    #[error("path is not absolute (line {0})")]
    RelativePath(usize),
    /// A priority is not a number.
    #[error("bad priority (line {0})")]
    BadPriority(usize),
}

impl Group {
    /// Parse the file for group `name`.
    pub fn parse(name: &str, data: &[u8]) -> Result<Group, GroupError> {
        let mut lines = data.split(|&b| b == b'\n').enumerate();
        let mut next = || lines.next().ok_or(GroupError::Truncated);
        let manual = match next()?.1 {
            b"auto" => false,
            b"manual" => true,
            _ => return Err(GroupError::BadMode),
        };
        let (n, link) = next()?;
        let link = absolute(link, n)?;
        let mut slaves = Vec::new();
        loop {
            let (_, sname) = next()?;
            if sname.is_empty() {
                break;
            }
            let (n, slink) = next()?;
            slaves.push(Slave {
                name: sname.to_vec(),
                link: absolute(slink, n)?,
            });
        }
        let mut choices = Vec::new();
        loop {
            let (n, path) = next()?;
            if path.is_empty() {
                break;
            }
            let path = absolute(path, n)?;
            let (n, prio) = next()?;
            let priority = std::str::from_utf8(prio)
                .ok()
                .and_then(|p| p.trim().parse::<i64>().ok())
                .ok_or(GroupError::BadPriority(n + 1))?;
            let mut targets = Vec::with_capacity(slaves.len());
            for _ in &slaves {
                let (_, t) = next()?;
                targets.push((!t.is_empty()).then(|| t.to_vec()));
            }
            choices.push(Choice {
                path,
                priority,
                slaves: targets,
            });
        }
        Ok(Group {
            name: name.as_bytes().to_vec(),
            manual,
            link,
            slaves,
            choices,
        })
    }

    /// The path of the group's link under [`ALTDIR`].
    pub fn alt_path(&self) -> Vec<u8> {
        alt_path(&self.name)
    }

    /// The choice `current` names, if it is registered.
    pub fn choice(&self, current: &[u8]) -> Option<&Choice> {
        self.choices.iter().find(|c| c.path == current)
    }

    /// The choice `auto` mode selects: the highest priority, the first
    /// listed on a tie.
    pub fn best(&self) -> Option<&Choice> {
        let mut best: Option<&Choice> = None;
        for c in &self.choices {
            if best.is_none_or(|b| c.priority > b.priority) {
                best = Some(c);
            }
        }
        best
    }
}

/// `ALTDIR/NAME`.
pub fn alt_path(name: &[u8]) -> Vec<u8> {
    let mut p = ALTDIR.as_bytes().to_vec();
    p.push(b'/');
    p.extend_from_slice(name);
    p
}

fn absolute(line: &[u8], n: usize) -> Result<Vec<u8>, GroupError> {
    if line.first() == Some(&b'/') {
        Ok(line.to_vec())
    } else {
        Err(GroupError::RelativePath(n + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EDITOR: &[u8] = b"auto\n/usr/bin/editor\neditor.1.gz\n/usr/share/man/man1/editor.1.gz\n\
editor.fr.1.gz\n/usr/share/man/fr/man1/editor.1.gz\n\n\
/bin/ed\n-100\n/usr/share/man/man1/ed.1.gz\n\n\
/usr/bin/vim.basic\n30\n/usr/share/man/man1/vim.1.gz\n/usr/share/man/fr/man1/vim.1.gz\n\n";

    #[test]
    fn parses_a_real_layout() {
        let g = Group::parse("editor", EDITOR).unwrap();
        assert!(!g.manual);
        assert_eq!(g.slaves.len(), 2);
        assert_eq!(g.choices.len(), 2);
        assert_eq!(g.choices[0].slaves[1], None);
        assert_eq!(g.best().unwrap().path, b"/usr/bin/vim.basic");
        assert!(g.choice(b"/bin/ed").is_some());
        assert!(g.choice(b"/tmp/evil").is_none());
        assert_eq!(g.alt_path(), b"/etc/alternatives/editor");
    }

    #[test]
    fn ties_pick_the_first() {
        let g = Group::parse("x", b"auto\n/usr/bin/x\n\n/a\n5\n/b\n5\n\n").unwrap();
        assert_eq!(g.best().unwrap().path, b"/a");
    }

    #[test]
    fn truncations_are_errors() {
        for n in 0..EDITOR.len() - 1 {
            // Every strict prefix either fails or (cut right after a
            // complete choice's final empty line) parses; never panics.
            let _ = Group::parse("editor", &EDITOR[..n]);
        }
        assert_eq!(Group::parse("e", b"auto"), Err(GroupError::Truncated));
        assert!(Group::parse("e", b"auto\n").is_err());
        assert_eq!(Group::parse("e", b"sometimes\n"), Err(GroupError::BadMode));
        assert_eq!(
            Group::parse("e", b"auto\n/l\n\n/a\nhigh\n\n"),
            Err(GroupError::BadPriority(5))
        );
        assert_eq!(
            Group::parse("e", b"auto\nrel\n\n"),
            Err(GroupError::RelativePath(2))
        );
    }
}
