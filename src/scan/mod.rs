//! The scan: wires rootfs → package database → trust → checks → sinks, runs the
//! per-file work on a rayon pool and hands findings to a [`ReportSink`].
//!
//! The database is never held whole. It is read twice:
//!
//! 1. the first pass builds a [`Catalogue`]: what the checks need to know
//!    about all packages at once, in compact form (which paths are
//!    registered, as keyed hashes; the target's keys; the records of large
//!    files);
//! 2. the second pass judges each batch of package headers and verifies the
//!    batch's files but the large ones, then lets the batch go;
//! 3. files of at least [`LARGE_FILE`](crate::check::files::LARGE_FILE) bytes are verified, biggest first, in
//!    a phase of their own so that no huge file starts last in a batch;
//! 4. `bytecode` and `unowned` walk the target and ask the catalogue.
//!
//! A record that differs between the two reads (a package manager ran
//! meanwhile) is verified as the second read has it and reported in a
//! `check-incomplete` finding. Memory is the catalogue plus one batch: see
//! `docs/performance.md`.
//!
//! A package that gets a file finding (changed, missing, unreadable) has
//! its install scripts read while a pass holds it
//! ([`pkgdb::Source::scripts`]) and handed to the sink
//! ([`ReportSink::scripts`]); for packages whose only such files are large
//! (verified after the second read), the database is read a third time,
//! only then.
//!
//! Results go to a [`ReportSink`] as they are made: each finding once, in
//! final form (a file finding carries its package's header verdict, known
//! because a batch's headers are judged before its files are verified, and
//! every finding the decision of a waiver that matches it, see
//! [`crate::waiver`]).
//! Progress is not pushed anywhere: workers bump [`Counters`] that a front
//! end samples when it likes, so a slow terminal never slows the scan.
//!
//! ```no_run
//! use std::sync::Arc;
//! use rootaudit::scan::{CheckSet, Collect, Counters, ScanBuilder};
//! let counters = Arc::new(Counters::new());
//! let mut sink = Collect::new();
//! let end = ScanBuilder::new("/").jobs(4).counters(counters.clone())
//!     .checks(CheckSet::all()).run_with(&mut sink)?;
//! println!("{:?} {}", end.worst, counters.snapshot().files_checked);
//! # Ok::<(), rootaudit::Error>(())
//! ```

mod catalogue;
mod run;
mod sink;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::check::CheckKind;
pub use crate::check::{Counters, Phase, Snapshot};
use crate::error::Error;
use crate::pkgdb::{self, DbFormat};
use crate::rootfs::Root;
use crate::trust::TrustStore;
use crate::waiver::WaiverFile;
pub use catalogue::Catalogue;
pub use sink::{
    AlsoFound, Collect, DatabaseInfo, NewOnly, Report, ReportSink, SandboxInfo, ScanEnd, ScanInfo,
    Summary, Tee, TrustInfo, TrustProblem, WaiverCounts, WaiverInfo, comparable,
};

/// Largest account file read from the target (a hostile one could be huge).
const ACCOUNTS_LIMIT: u64 = 64 << 20;

/// Which checks to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckSet(Vec<CheckKind>);

impl CheckSet {
    /// Every check this build provides.
    pub fn all() -> CheckSet {
        CheckSet(CheckKind::ALL.to_vec())
    }

    /// Exactly these checks.
    pub fn only(checks: impl IntoIterator<Item = CheckKind>) -> CheckSet {
        let mut v: Vec<CheckKind> = Vec::new();
        for c in checks {
            if !v.contains(&c) {
                v.push(c);
            }
        }
        CheckSet(v)
    }

    /// True when `check` is selected.
    pub fn contains(&self, check: CheckKind) -> bool {
        self.0.contains(&check)
    }

    /// The selected checks.
    pub fn iter(&self) -> impl Iterator<Item = CheckKind> + '_ {
        self.0.iter().copied()
    }
}

/// Configures and runs a scan.
#[derive(Debug)]
pub struct ScanBuilder {
    root: PathBuf,
    dbpath: Option<PathBuf>,
    db_format: Option<DbFormat>,
    formats: Vec<pkgdb::FormatSpec>,
    jobs: Option<usize>,
    checks: CheckSet,
    counters: Arc<Counters>,
    trust: TrustStore,
    require_signatures: bool,
    verbose: bool,
    unowned_trees: crate::check::unowned::UnownedTrees,
    sandbox: Option<SandboxInfo>,
    waivers: Option<WaiverFile>,
    scan_id: Option<String>,
    host: Option<String>,
}

impl ScanBuilder {
    /// Scan the system mounted at `root` (`/` for the running system).
    pub fn new(root: impl Into<PathBuf>) -> ScanBuilder {
        ScanBuilder {
            root: root.into(),
            dbpath: None,
            db_format: None,
            formats: pkgdb::FORMATS.to_vec(),
            jobs: None,
            checks: CheckSet::all(),
            counters: Arc::new(Counters::new()),
            sandbox: None,
            trust: TrustStore::empty(),
            require_signatures: false,
            verbose: false,
            unowned_trees: crate::check::unowned::UnownedTrees::default(),
            waivers: None,
            scan_id: None,
            host: None,
        }
    }

    /// Use this database path (inside ROOT) instead of auto-detection.
    pub fn dbpath(mut self, p: impl Into<PathBuf>) -> ScanBuilder {
        self.dbpath = Some(p.into());
        self
    }

    /// Read this database format (default: auto-detect).
    pub fn db_format(mut self, f: DbFormat) -> ScanBuilder {
        self.db_format = Some(f);
        self
    }

    /// Detect and read the database with this table instead of
    /// [`pkgdb::FORMATS`] (e.g. the built-in rows plus a format of one's
    /// own, a [`pkgdb::Backend`] outside this crate).
    pub fn formats(mut self, formats: impl IntoIterator<Item = pkgdb::FormatSpec>) -> ScanBuilder {
        self.formats = formats.into_iter().collect();
        self
    }

    /// Worker threads (default: all cores).
    pub fn jobs(mut self, n: usize) -> ScanBuilder {
        self.jobs = Some(n.max(1));
        self
    }

    /// Select checks.
    pub fn checks(mut self, c: CheckSet) -> ScanBuilder {
        self.checks = c;
        self
    }

    /// Judge headers with these keys (default: none, so every signed
    /// header is `untrusted-signer`).
    pub fn trust_store(mut self, store: TrustStore) -> ScanBuilder {
        self.trust = store;
        self
    }

    /// Rank unsigned headers `high` instead of `medium`.
    pub fn require_signatures(mut self, yes: bool) -> ScanBuilder {
        self.require_signatures = yes;
        self
    }

    /// List every unregistered pyc and unowned file individually instead of
    /// one `info` summary per directory tree.
    pub fn verbose(mut self, yes: bool) -> ScanBuilder {
        self.verbose = yes;
        self
    }

    /// The trees the `unowned` check walks (default
    /// [`crate::check::unowned::DEFAULT_TREES`] minus
    /// [`crate::check::unowned::DEFAULT_EXCLUDES`]).
    pub fn unowned_trees(mut self, trees: crate::check::unowned::UnownedTrees) -> ScanBuilder {
        self.unowned_trees = trees;
        self
    }

    /// Count progress here (a front end samples them; default: private
    /// counters nobody reads).
    pub fn counters(mut self, counters: Arc<Counters>) -> ScanBuilder {
        self.counters = counters;
        self
    }

    /// Record how the caller confined the process (reported as is).
    pub fn sandbox(mut self, sandbox: SandboxInfo) -> ScanBuilder {
        self.sandbox = Some(sandbox);
        self
    }

    /// Attach the decisions of these waivers to the findings they match
    /// (same id, same content digests, not expired) before any sink sees
    /// them; accepted findings then do not count toward
    /// [`ScanEnd::worst`]. Take the file from
    /// [`WaiverFile::load_verified`]: the scan trusts what it is given.
    pub fn waivers(mut self, waivers: WaiverFile) -> ScanBuilder {
        self.waivers = Some(waivers);
        self
    }

    /// Name the scan (reported in [`ScanInfo::scan_id`]).
    pub fn scan_id(mut self, id: impl Into<String>) -> ScanBuilder {
        self.scan_id = Some(id.into());
        self
    }

    /// The host the scan runs on (reported in [`ScanInfo::host`]).
    pub fn host(mut self, host: impl Into<String>) -> ScanBuilder {
        self.host = Some(host.into());
        self
    }

    /// Run the scan and collect everything into a [`Report`].
    pub fn run(self) -> Result<Report, Error> {
        let mut sink = Collect::new();
        self.run_with(&mut sink)?;
        sink.into_report().ok_or(Error::Io {
            what: "collecting the report".into(),
            source: std::io::Error::other("the scan never began"),
        })
    }

    /// Run the scan, handing results to `sink` as they are made.
    pub fn run_with(self, sink: &mut (dyn ReportSink + Send)) -> Result<ScanEnd, Error> {
        let started = Instant::now();
        let (root, pool) = self.start()?;
        let (dbpath, format) = (self.dbpath.clone(), self.db_format);
        let formats = self.formats.clone();
        self.run_on(started, root, pool, sink, move |root| {
            pkgdb::open_with(root, dbpath.as_deref(), format, &formats)
        })
    }

    /// Open the database with `open` and scan it, on one of the pool's
    /// workers from start to end: every serial step (opening and reading
    /// the database, twice) then runs on that one thread, so the
    /// allocator's high-water mark is reached in one per-thread arena
    /// rather than in one arena per step (measured on a dpkg host: 110 →
    /// 60 MiB peak RSS with two workers).
    fn run_on(
        self,
        started: Instant,
        root: Root,
        pool: rayon::ThreadPool,
        sink: &mut (dyn ReportSink + Send),
        open: impl FnOnce(&Root) -> Result<pkgdb::Source, Error> + Send,
    ) -> Result<ScanEnd, Error> {
        let (end, db, cat) = pool.install(|| {
            let db = open(&root)?;
            self.scan(started, &root, db, sink)
        })?;
        // The database goes now: a reader's private copy (an rpm sqlite
        // WAL) is removed before the caller returns, even if the process
        // exits right after. Freeing the catalogue of a 150,000-file
        // database takes tens of milliseconds that nobody waits for: that
        // happens off the caller's path.
        drop(db);
        let _ = std::thread::Builder::new()
            .name("rootaudit-free".into())
            .spawn(move || drop((cat, pool)));
        Ok(end)
    }

    /// Open ROOT and start the worker pool. The pool exists before the
    /// database is read: headers are parsed on it too (and `--jobs 1`
    /// stays one worker throughout).
    fn start(&self) -> Result<(Root, rayon::ThreadPool), Error> {
        let root = Root::open(&self.root).map_err(|source| Error::Root {
            path: self.root.clone(),
            source,
        })?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.jobs.unwrap_or(0))
            .thread_name(|i| format!("rootaudit-{i}"))
            .build()
            .map_err(|e| Error::Io {
                what: "starting worker threads".into(),
                source: std::io::Error::other(e),
            })?;
        Ok((root, pool))
    }
}
