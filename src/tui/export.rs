//! `e`: write what triage produced into a folder: `report.json` (the
//! report, schema 2, with this session's decisions), `report.txt` (one
//! escaped line per finding) and `plan.sh` (the remediation plan of
//! `output::plan`, a reviewable script rootaudit never runs).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::state::AppState;
use crate::model::PackageRef;
use crate::output::Terminal;
use crate::output::plan::{PlanContext, PlanEntry, PlanPackage, write_plan};

/// What was written.
#[derive(Debug)]
pub struct Exported {
    /// The folder.
    pub dir: PathBuf,
    /// Findings the plan answers (accepted ones are left out).
    pub planned: usize,
}

/// Write the three files into `dir` (created if needed). `document` is the
/// report as JSON without regard to its findings (they are rewritten from
/// the state); `date` is today's, for the plan's header.
pub fn export(
    state: &AppState,
    document: Option<&Value>,
    dir: &Path,
    date: &str,
) -> io::Result<Exported> {
    std::fs::create_dir_all(dir)?;
    let mut doc = document.cloned().unwrap_or_else(|| {
        serde_json::json!({
            "schema": 2,
            "root": String::from_utf8_lossy(&state.info.root),
            "complete": false,
        })
    });
    let findings: Vec<Value> = state
        .items
        .iter()
        .map(|i| {
            let mut v = i.value();
            if let Some(o) = v.as_object_mut() {
                match &i.decision {
                    Some(d) => {
                        o.insert(
                            "decision".into(),
                            serde_json::to_value(d).unwrap_or(Value::Null),
                        );
                    }
                    None => {
                        o.remove("decision");
                    }
                }
            }
            v
        })
        .collect();
    if let Some(o) = doc.as_object_mut() {
        o.insert("findings".into(), Value::Array(findings));
    }
    write_file(&dir.join("report.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, &doc).map_err(io::Error::other)?;
        w.write_all(b"\n")
    })?;
    write_file(&dir.join("report.txt"), |w| {
        let mut t = Terminal::new(w);
        for i in &state.items {
            let mut line =
                format!("{:<8} {:<24} ", i.severity.as_str(), i.kind.as_str()).into_bytes();
            if !i.verify.is_empty() {
                line.extend_from_slice(i.verify.as_bytes());
                line.push(b' ');
            }
            line.extend_from_slice(&i.path);
            if let Some(n) = &i.nevra {
                line.extend_from_slice(b" (");
                line.extend_from_slice(n.as_bytes());
                line.push(b')');
            }
            line.extend_from_slice(b": ");
            line.extend_from_slice(&i.message);
            if let Some(d) = &i.decision {
                line.extend_from_slice(format!(" [{}: ", d.verdict.as_str()).as_bytes());
                line.extend_from_slice(d.reason.as_bytes());
                line.push(b']');
            }
            t.line(&line)?;
        }
        t.flush()
    })?;
    let entries: Vec<PlanEntry> = state
        .items
        .iter()
        .filter(|i| !i.waived())
        .map(|i| PlanEntry {
            id: i.id.clone(),
            kind: i.kind,
            path: (!i.path.is_empty()).then(|| i.path.clone()),
            package: i.package.as_ref().map(plan_package),
        })
        .collect();
    let ctx = PlanContext {
        root: state.info.root.clone(),
        db_format: state.info.database.clone(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        date: date.to_string(),
    };
    write_file(&dir.join("plan.sh"), |w| write_plan(&ctx, &entries, w))?;
    Ok(Exported {
        dir: dir.to_path_buf(),
        planned: entries.len(),
    })
}

fn plan_package(p: &PackageRef) -> PlanPackage {
    PlanPackage {
        name: p.name.clone(),
        nevra: p.nevra(),
        epoch: p.epoch,
        version: p.version.clone(),
        release: p.release.clone(),
        arch: p.arch.clone(),
    }
}

/// Write through a temporary file renamed into place: a half-written
/// export never looks finished.
fn write_file(path: &Path, body: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    {
        let mut w = io::BufWriter::new(tmp.as_file_mut());
        body(&mut w)?;
        w.flush()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
