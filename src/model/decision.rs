//! [`Decision`]: what a person decided about a finding during triage
//! (accepted with a reason, or flagged for follow-up), as raw facts.
//!
//! Decisions are made in the TUI and kept in a signed waiver file
//! (`crate::waiver`); the scan attaches the matching one to a finding
//! before any sink sees it. An accepted finding is still reported (shown
//! as accepted) but does not count toward the exit status.

use serde::{Deserialize, Serialize};

/// The two decisions triage can make.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Looked at and explained: no longer counts toward the exit status.
    Accepted,
    /// Needs follow-up: still counts.
    Flagged,
}

impl Verdict {
    /// The word used in reports (`accepted`, `flagged`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Accepted => "accepted",
            Verdict::Flagged => "flagged",
        }
    }
}

/// A person's decision about one finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Accepted or flagged.
    pub verdict: Verdict,
    /// Why, in the person's words (raw; escaped only on a terminal).
    pub reason: String,
    /// When it was decided (seconds since the Unix epoch).
    pub at: u64,
    /// When it stops applying (seconds since the Unix epoch), if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<u64>,
}

impl Decision {
    /// True when the finding no longer counts toward the exit status.
    pub fn waives(&self) -> bool {
        self.verdict == Verdict::Accepted
    }
}
