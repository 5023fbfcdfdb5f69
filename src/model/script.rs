//! [`PackageScripts`]: a package's install scripts (rpm scriptlets, dpkg
//! maintainer scripts), as raw facts for the triage of a package whose
//! files changed. They ran as root when the package was installed, updated
//! or removed, and are where an intruder who rebuilt or edited a package
//! hides.
//!
//! Every value is kept exactly as the database holds it ([`Bytes`]: the
//! body, the interpreter, an rpm trigger's condition); nothing here is
//! escaped. What a hostile database could make huge is capped: a body at
//! [`MAX_BODY`] bytes ([`Script::truncated`]), a package at [`MAX_SCRIPTS`]
//! scripts ([`PackageScripts::omitted`]).
//!
//! ```
//! use rootaudit::model::{Script, ScriptPhase};
//! let s = Script::new(ScriptPhase::Postinst, b"#!/bin/sh -e\nldconfig\n");
//! assert_eq!(s.body.as_bytes(), b"#!/bin/sh -e\nldconfig\n");
//! assert!(!s.truncated);
//! assert_eq!(ScriptPhase::Triggerpostun.as_str(), "triggerpostun");
//! ```

use serde::Serialize;

use super::finding::PackageJson;
use super::{Bytes, PackageRef};

/// Most bytes of a script body kept (the rest is dropped and the script
/// marked [`Script::truncated`]). Real scriptlets are a few KiB; the
/// largest in a Fedora or Debian install are tens of KiB.
pub const MAX_BODY: usize = 256 << 10;

/// Most scripts kept per package (the rest are counted in
/// [`PackageScripts::omitted`]). rpm's fixed scriptlets are nine; the rest
/// are triggers, of which real packages have a few dozen at most.
pub const MAX_SCRIPTS: usize = 64;

/// When a script runs, named as the package format names it: rpm's spec
/// sections (`%pre`, `%triggerin`, `%filetriggerun`, …) and dpkg's
/// maintainer script files (`preinst`, …). Serialised as those names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScriptPhase {
    // -- rpm, in the order `rpm -q --scripts` lists them --
    /// rpm `%pretrans`: before a transaction that installs the package.
    Pretrans,
    /// rpm `%pre`: before the package is installed.
    Pre,
    /// rpm `%post`: after the package is installed.
    Post,
    /// rpm `%preun`: before the package is removed.
    Preun,
    /// rpm `%postun`: after the package is removed.
    Postun,
    /// rpm `%posttrans`: after a transaction that installed the package.
    Posttrans,
    /// rpm `%preuntrans` (rpm ≥ 4.20): before a transaction that removes
    /// the package.
    Preuntrans,
    /// rpm `%postuntrans` (rpm ≥ 4.20): after a transaction that removed
    /// the package.
    Postuntrans,
    /// rpm `%verifyscript`: run by `rpm -V`.
    Verify,
    // -- rpm triggers: the condition is in `Script::trigger` --
    /// rpm `%triggerprein`: before another package is installed.
    Triggerprein,
    /// rpm `%triggerin`: after another package is installed.
    Triggerin,
    /// rpm `%triggerun`: before another package is removed.
    Triggerun,
    /// rpm `%triggerpostun`: after another package is removed.
    Triggerpostun,
    /// rpm `%filetriggerin`: after files under a path are installed.
    Filetriggerin,
    /// rpm `%filetriggerun`: before files under a path are removed.
    Filetriggerun,
    /// rpm `%filetriggerpostun`: after files under a path are removed.
    Filetriggerpostun,
    /// rpm `%transfiletriggerin`: once after a transaction that installed
    /// files under a path.
    Transfiletriggerin,
    /// rpm `%transfiletriggerun`: once before a transaction that removes
    /// files under a path.
    Transfiletriggerun,
    /// rpm `%transfiletriggerpostun`: once after a transaction that removed
    /// files under a path.
    Transfiletriggerpostun,
    // -- dpkg maintainer scripts (`var/lib/dpkg/info/PKG.*`) --
    /// dpkg `preinst`.
    Preinst,
    /// dpkg `postinst` (also run for dpkg triggers the package is
    /// interested in).
    Postinst,
    /// dpkg `prerm`.
    Prerm,
    /// dpkg `postrm`.
    Postrm,
    /// debconf's `config` script, kept beside them and run as root by
    /// `dpkg-preconfigure` and by the `postinst`.
    Config,
}

impl ScriptPhase {
    /// The name, as serialised: the format's own (`pre`, `triggerin`,
    /// `postinst`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ScriptPhase::Pretrans => "pretrans",
            ScriptPhase::Pre => "pre",
            ScriptPhase::Post => "post",
            ScriptPhase::Preun => "preun",
            ScriptPhase::Postun => "postun",
            ScriptPhase::Posttrans => "posttrans",
            ScriptPhase::Preuntrans => "preuntrans",
            ScriptPhase::Postuntrans => "postuntrans",
            ScriptPhase::Verify => "verify",
            ScriptPhase::Triggerprein => "triggerprein",
            ScriptPhase::Triggerin => "triggerin",
            ScriptPhase::Triggerun => "triggerun",
            ScriptPhase::Triggerpostun => "triggerpostun",
            ScriptPhase::Filetriggerin => "filetriggerin",
            ScriptPhase::Filetriggerun => "filetriggerun",
            ScriptPhase::Filetriggerpostun => "filetriggerpostun",
            ScriptPhase::Transfiletriggerin => "transfiletriggerin",
            ScriptPhase::Transfiletriggerun => "transfiletriggerun",
            ScriptPhase::Transfiletriggerpostun => "transfiletriggerpostun",
            ScriptPhase::Preinst => "preinst",
            ScriptPhase::Postinst => "postinst",
            ScriptPhase::Prerm => "prerm",
            ScriptPhase::Postrm => "postrm",
            ScriptPhase::Config => "config",
        }
    }
}

impl std::fmt::Display for ScriptPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One install script, raw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Script {
    /// When it runs.
    pub phase: ScriptPhase,
    /// The program that runs the body: rpm's `*PROG` tag (`/bin/sh`,
    /// `<lua>` for rpm's built-in Lua, `/sbin/ldconfig`), dpkg's `#!`
    /// line. Absent when the database names none (an rpm scriptlet
    /// without its `*PROG` tag runs with `/bin/sh`; a dpkg script without
    /// `#!` is executed as it is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<Bytes>,
    /// Arguments given to the interpreter before the body (rpm: the rest
    /// of a `*PROG` array; dpkg: the one argument of the `#!` line).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<Bytes>,
    /// rpm triggers: the condition that fires it, as `rpm -q --triggers`
    /// prints it (`glibc >= 2.3`, several joined with `, `; a path prefix
    /// for file triggers). Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger: Option<Bytes>,
    /// The script, at most [`MAX_BODY`] bytes of it. Empty for an rpm
    /// scriptlet that is only a program (`%post -p /sbin/ldconfig`).
    pub body: Bytes,
    /// The body's full length in bytes (more than `body` holds when
    /// truncated).
    pub size: u64,
    /// True when `body` holds only the first part of the script (it was
    /// longer than [`MAX_BODY`], or the scan's budget for bodies ran out).
    pub truncated: bool,
}

impl Script {
    /// A script of `phase` whose whole body is `body` (capped at
    /// [`MAX_BODY`]), with no interpreter or trigger yet.
    pub fn new(phase: ScriptPhase, body: &[u8]) -> Script {
        let kept = &body[..body.len().min(MAX_BODY)];
        Script {
            phase,
            interpreter: None,
            args: Vec::new(),
            trigger: None,
            body: Bytes::from(kept),
            size: body.len() as u64,
            truncated: kept.len() < body.len(),
        }
    }

    /// Keep at most `max` bytes of the body (marking it truncated when
    /// that drops any).
    pub fn truncate(&mut self, max: usize) {
        if self.body.0.len() > max {
            self.body.0.truncate(max);
            self.truncated = true;
        }
    }
}

/// The install scripts of one package, for the report's `scripts` (see
/// `docs/report-format.md`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageScripts {
    /// The package, as findings name it.
    pub package: PackageRef,
    /// Its scripts, in the order the format lists them (rpm: as
    /// `rpm -q --scripts`, then triggers, file triggers and transaction
    /// file triggers; dpkg: preinst, postinst, prerm, postrm, config).
    pub scripts: Vec<Script>,
    /// Scripts beyond [`MAX_SCRIPTS`], not kept.
    pub omitted: u64,
}

#[derive(Serialize)]
struct PackageScriptsJson<'a> {
    package: PackageJson<'a>,
    scripts: &'a [Script],
    #[serde(skip_serializing_if = "is_zero")]
    omitted: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Serialize for PackageScripts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        PackageScriptsJson {
            package: PackageJson::new(&self.package),
            scripts: &self.scripts,
            omitted: self.omitted,
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_capped() {
        let big = vec![b'x'; MAX_BODY + 10];
        let s = Script::new(ScriptPhase::Post, &big);
        assert_eq!(s.body.as_bytes().len(), MAX_BODY);
        assert_eq!(s.size, (MAX_BODY + 10) as u64);
        assert!(s.truncated);
        let mut s = Script::new(ScriptPhase::Pre, b"echo hi\n");
        assert!(!s.truncated);
        s.truncate(100);
        assert!(!s.truncated);
        s.truncate(4);
        assert_eq!(s.body.as_bytes(), b"echo");
        assert_eq!(s.size, 8);
        assert!(s.truncated);
    }

    #[test]
    fn serialises_raw_with_the_package_as_findings_show_it() {
        let mut s = Script::new(ScriptPhase::Triggerin, b"echo \x1b[2J\n");
        s.interpreter = Some(Bytes::from("/bin/sh"));
        s.trigger = Some(Bytes::from("glibc >= 2.3"));
        let mut odd = Script::new(ScriptPhase::Postinst, b"\x7fELF\xff");
        odd.args = vec![Bytes::from("-e")];
        let p = PackageScripts {
            package: PackageRef {
                record: 3,
                name: "demo".into(),
                epoch: None,
                version: "1".into(),
                release: "2".into(),
                arch: Some("noarch".into()),
            },
            scripts: vec![s, odd],
            omitted: 0,
        };
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "package": {"nevra": "demo-1-2.noarch", "record": 3, "name": "demo",
                            "version": "1", "release": "2", "arch": "noarch"},
                "scripts": [
                    {"phase": "triggerin", "interpreter": "/bin/sh",
                     "trigger": "glibc >= 2.3", "body": "echo \u{1b}[2J\n", "size": 10,
                     "truncated": false},
                    {"phase": "postinst", "args": ["-e"], "body": {"bytes": "f0VMRv8="},
                     "size": 5, "truncated": false}
                ]
            })
        );
    }

    #[test]
    fn phase_names() {
        for (p, name) in [
            (ScriptPhase::Pretrans, "pretrans"),
            (ScriptPhase::Preun, "preun"),
            (
                ScriptPhase::Transfiletriggerpostun,
                "transfiletriggerpostun",
            ),
            (ScriptPhase::Prerm, "prerm"),
        ] {
            assert_eq!(p.as_str(), name);
            assert_eq!(serde_json::to_value(p).unwrap(), name);
        }
    }
}
