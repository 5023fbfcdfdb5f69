//! Integration tests for the `rootaudit` binary, in one test target (see
//! `Cargo.toml`): real rpm packages are built and installed into throw-away
//! roots, damaged, and verified by both `rpm -Va` (the oracle) and
//! rootaudit.
//!
//! The oracle tests need rpm, rpmbuild, setcap and root; `scripts/test-deps`
//! installs the tools. Without them a developer run skips those tests with
//! a message and a CI run (`CI` set) fails.

#[macro_use]
mod util;

mod apk;
mod bench_smoke;
mod bytecode;
mod cli;
mod confinement;
mod cron;
mod dist;
mod dpkg;
mod ecs;
mod fuzz_smoke;
mod history;
mod kit;
mod layering;
mod minisign;
mod otherdb;
mod pacman;
mod parity;
mod pkgsrc;
mod plan;
mod portage;
mod report;
mod report_sign;
mod scripts;
mod sqlite_db;
mod static_binary;
mod trust;
mod tui;
mod waivers;
