//! Waivers: triage decisions kept in a signed file, matched to findings by
//! id and content. Sits between the checks and the scan, which attaches a
//! matching decision to each finding.
