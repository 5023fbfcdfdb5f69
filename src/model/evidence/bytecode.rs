//! Evidence of the `bytecode` check: Python bytecode no package accounts
//! for ([`BytecodeEvidence`]) and startup hooks ([`HookEvidence`]).

use serde::Serialize;

use crate::model::{Bytes, Finding};

/// What a flagged `.pyc` is.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BytecodeEvidence {
    /// The tree of the walk it was found in (what a summary names).
    pub tree: Option<Bytes>,
}

impl BytecodeEvidence {
    pub(super) fn describe(&self, _f: &Finding, _out: &mut Vec<u8>) {}

    /// The tree a summary of `bytecode-unregistered` findings names.
    pub fn tree(&self) -> Option<&Bytes> {
        self.tree.as_ref()
    }
}

/// Code run at every interpreter or program start.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HookEvidence {
    /// The offending line (raw, cut at 1000 bytes).
    pub line: Bytes,
}

impl HookEvidence {
    pub(super) fn describe(&self, _f: &Finding, _out: &mut Vec<u8>) {}
}
