//! [`Item`]: one finding as the TUI keeps it, built from its JSON form
//! (schema 2, `docs/report-format.md`).
//!
//! Both ways into the TUI speak that form: a live scan serialises each
//! [`Finding`] once as it arrives, a saved report already holds it. So the
//! browser shows a saved report exactly as it shows a live scan, and the
//! detail pane renders "everything known" from the one documented form.
//! An item keeps the finding's JSON text (parsed again only for the detail
//! pane) and the few raw facts the browser sorts, groups and filters by:
//! 100,000 items stay a few tens of MiB.

use serde_json::Value;

use crate::model::{Decision, Finding, FindingKind, HeaderVerdict, PackageRef, Severity};

/// One finding in the TUI.
#[derive(Clone, Debug)]
pub struct Item {
    /// The finding's stable id (16 hex digits).
    pub id: String,
    /// Its kind.
    pub kind: FindingKind,
    /// Its severity.
    pub severity: Severity,
    /// Raw path inside the target (empty when none).
    pub path: Vec<u8>,
    /// The package, if any.
    pub package: Option<PackageRef>,
    /// `name-[epoch:]version-release.arch` of the package (raw).
    pub nevra: Option<String>,
    /// The header verdict when it is not `trusted`.
    pub header: Option<HeaderVerdict>,
    /// The decision (from a waiver file, or made in this session).
    pub decision: Option<Decision>,
    /// The sentence for people (raw).
    pub message: Vec<u8>,
    /// rpm's verify string for file findings (`S.5....T.`), else empty.
    pub verify: String,
    /// Lower-cased text the filter searches (path, package, kind, message).
    pub haystack: String,
    /// The finding's JSON text (schema 2).
    pub json: Box<str>,
}

/// Why a JSON value is not a finding.
#[derive(Debug, thiserror::Error)]
#[error("not a rootaudit finding: {0}")]
pub struct ItemError(pub String);

impl Item {
    /// The item of a finding made by a live scan.
    pub fn from_finding(f: &Finding) -> Item {
        // Serialising our own finding cannot fail (no maps with non-string
        // keys, no failing serialisers).
        let json = serde_json::to_string(f).unwrap_or_default();
        Item::from_json(&json).unwrap_or_else(|_| Item::fallback(f))
    }

    fn fallback(f: &Finding) -> Item {
        Item::assemble(
            f.id.to_string(),
            f.kind,
            f.severity,
            f.path_bytes().to_vec(),
            f.package.clone(),
            f.header,
            f.decision.clone(),
            f.message(),
            String::new(),
            String::new(),
        )
    }

    /// The item of one finding object of a JSON report (schema 2).
    pub fn from_json(text: &str) -> Result<Item, ItemError> {
        let v: Value = serde_json::from_str(text).map_err(|e| ItemError(e.to_string()))?;
        Item::from_value(&v, text.to_string())
    }

    /// The item of a parsed finding object; `text` is its JSON.
    pub fn from_value(v: &Value, text: String) -> Result<Item, ItemError> {
        let field = |k: &str| v.get(k).ok_or_else(|| ItemError(format!("no `{k}`")));
        let id = field("id")?
            .as_str()
            .ok_or_else(|| ItemError("`id` is not text".into()))?
            .to_string();
        let kind: FindingKind =
            serde_json::from_value(field("kind")?.clone()).map_err(|e| ItemError(e.to_string()))?;
        let severity: Severity = serde_json::from_value(field("severity")?.clone())
            .map_err(|e| ItemError(e.to_string()))?;
        let path = v.get("path").map(raw_bytes).unwrap_or_default();
        let package: Option<PackageRef> = v
            .get("package")
            .and_then(|p| serde_json::from_value(p.clone()).ok());
        let header = v
            .get("header")
            .and_then(|h| serde_json::from_value(h.clone()).ok());
        let decision = v
            .get("decision")
            .and_then(|d| serde_json::from_value(d.clone()).ok());
        let message = v.get("message").map(raw_bytes).unwrap_or_default();
        let verify = v
            .get("verify")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        Ok(Item::assemble(
            id, kind, severity, path, package, header, decision, message, verify, text,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        id: String,
        kind: FindingKind,
        severity: Severity,
        path: Vec<u8>,
        package: Option<PackageRef>,
        header: Option<HeaderVerdict>,
        decision: Option<Decision>,
        message: Vec<u8>,
        verify: String,
        json: String,
    ) -> Item {
        let nevra = package.as_ref().map(PackageRef::nevra);
        let mut haystack = String::from_utf8_lossy(&path).to_lowercase();
        for part in [
            nevra.as_deref().unwrap_or(""),
            kind.as_str(),
            &String::from_utf8_lossy(&message),
            &id,
        ] {
            haystack.push('\u{1f}');
            haystack.push_str(&part.to_lowercase());
        }
        Item {
            id,
            kind,
            severity,
            path,
            package,
            nevra,
            header,
            decision,
            message,
            verify,
            haystack,
            json: json.into(),
        }
    }

    /// The finding's JSON, parsed (for the detail pane).
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.json).unwrap_or(Value::Null)
    }

    /// True when the decision takes the finding out of the exit status.
    pub fn waived(&self) -> bool {
        self.decision.as_ref().is_some_and(Decision::waives)
    }

    /// The package's `name.arch` (what a package view selects by).
    pub fn package_key(&self) -> Option<String> {
        self.package.as_ref().map(PackageRef::key)
    }
}

/// The raw bytes of a JSON value written as the report writes bytes: a
/// string, or `{"bytes": base64}`.
pub fn raw_bytes(v: &Value) -> Vec<u8> {
    use base64::Engine as _;
    match v {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Object(o) => o
            .get("bytes")
            .and_then(Value::as_str)
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{About, Evidence};

    #[test]
    fn a_live_finding_and_its_json_make_the_same_item() {
        let f = Finding::new(
            FindingKind::FileMissing,
            Severity::Medium,
            About::path(&b"/usr/bin/\x1b[2J\xff"[..]),
            Evidence::Missing {
                flags: Default::default(),
            },
        );
        let a = Item::from_finding(&f);
        let b = Item::from_json(&serde_json::to_string(&f).unwrap()).unwrap();
        assert_eq!(a.path, b"/usr/bin/\x1b[2J\xff");
        assert_eq!(a.path, b.path);
        assert_eq!(a.id, f.id.to_string());
        assert_eq!(a.message, b"registered file is missing");
        assert!(a.haystack.contains("file-missing"));
    }

    #[test]
    fn not_a_finding_is_an_error() {
        assert!(Item::from_json("{}").is_err());
        assert!(Item::from_json("[1]").is_err());
        assert!(Item::from_json(r#"{"id":"x","kind":"no-such","severity":"high"}"#).is_err());
    }
}
