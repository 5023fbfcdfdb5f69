//! The scan: wires target → package database → checks → findings, runs the
//! per-file work on a rayon pool and publishes [`Progress`] events.
//!
//! The database is never held whole. It is read twice:
//!
//! 1. the first pass builds a [`Catalogue`]: what the checks need to know
//!    about all packages at once, in compact form (which paths are
//!    registered, as keyed hashes; the target's keys; the records of large
//!    files);
//! 2. the second pass judges each batch of package headers and verifies the
//!    batch's files but the large ones, then lets the batch go;
//! 3. files of at least [`LARGE_FILE`] bytes are verified, biggest first, in
//!    a phase of their own so that no huge file starts last in a batch;
//! 4. `bytecode` and `unowned` walk the target and ask the catalogue.
//!
//! A record that differs between the two reads (a package manager ran
//! meanwhile) is verified as the second read has it and reported in a
//! `check-incomplete` finding. Memory is the catalogue plus one batch: see
//! `docs/performance.md`.
//!
//! Results go to a [`ReportSink`] as they are made: each finding once, in
//! final form (a file finding carries its package's header verdict, known
//! because a batch's headers are judged before its files are verified).
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

mod sink;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::check::CheckKind;
use crate::check::files::{FileTotals, Job, LARGE_FILE};
pub use crate::check::{Counters, Phase, Snapshot};
use crate::check::{ScanContext, files};
use crate::error::Error;
use crate::model::evidence::HeaderEvidence;
use crate::model::{
    About, Bytes, Evidence, Finding, FindingKind, HeaderVerdict, Incomplete, OsError, PackageRef,
    Problem, Severity, Stage, Unread,
};
use crate::pkgdb::{self, DbFormat};
use crate::rootfs::Root;
use crate::rootfs::accounts::Accounts;
use crate::trust::TrustStore;
use crate::trust::headers::{HeadersOptions, Judge};
pub use catalogue::Catalogue;
use catalogue::identity;
pub use sink::{
    AlsoFound, Collect, DatabaseInfo, Report, ReportSink, ScanEnd, ScanInfo, Summary, Tee,
    TrustInfo, TrustProblem,
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
            trust: TrustStore::empty(),
            require_signatures: false,
            verbose: false,
            unowned_trees: crate::check::unowned::UnownedTrees::default(),
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

    /// Run the scan and collect everything into a [`Report`].
    pub fn run(self) -> Result<Report, Error> {
        let root = self.root.clone();
        let mut sink = Collect::new();
        self.run_with(&mut sink)?;
        sink.into_report(root).ok_or(Error::Io {
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
        // Freeing a 150,000-file database takes tens of milliseconds that
        // nobody waits for: do it off the caller's path.
        let _ = std::thread::Builder::new()
            .name("rootaudit-free".into())
            .spawn(move || drop((db, cat, pool)));
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

    /// The trust store, as the report describes it.
    fn trust_info(&self) -> TrustInfo {
        let problems = self.trust.problems().iter().map(|p| TrustProblem {
            path: Bytes::from(p.source.as_path()),
            reason: p.reason.to_string(),
        });
        let unsupported = self
            .trust
            .keys()
            .iter()
            .filter(|k| k.status == crate::trust::KeyStatus::Unsupported)
            .map(|k| TrustProblem {
                path: Bytes::from(k.source.as_path()),
                reason: format!(
                    "key {} ({}) cannot be verified by this build",
                    k.fingerprint, k.algorithm
                ),
            });
        TrustInfo {
            keys: self.trust.keys().len() as u64,
            dirs: self
                .trust
                .dirs()
                .iter()
                .map(|d| Bytes::from(d.as_path()))
                .collect(),
            problems: problems.chain(unsupported).collect(),
        }
    }

    /// Steps 2 and 3 (see the module doc): the second read of the
    /// database, judging each batch's headers and verifying all but its
    /// large files, then the large files. Returns the judge (to finish)
    /// and the file totals.
    fn second_pass<'t>(
        &'t self,
        ctx: &ScanContext<'_>,
        cat: &Catalogue,
        pubkeys: Vec<pkgdb::Package>,
        emit: &mut Emit<'_>,
    ) -> Result<(Option<Judge<'t>>, FileTotals), Error> {
        let want_files = self.checks.contains(CheckKind::Files);
        let mut judge = self.checks.contains(CheckKind::Headers).then(|| {
            ctx.progress.set_phase(Phase::Check(CheckKind::Headers));
            let opts = HeadersOptions {
                require_signatures: self.require_signatures,
            };
            Judge::new(&self.trust, pubkeys, opts)
        });
        let mut totals = FileTotals::default();
        if want_files {
            ctx.progress.set_phase(Phase::Check(CheckKind::Files));
        }
        let mut seen: HashSet<u64> = HashSet::with_capacity(cat.identities.len());
        let mut changed: Vec<u64> = Vec::new();
        ctx.db.read(ctx.root, &mut |batch| {
            // A package that is not the one the first pass read has
            // none of its files verified yet (large ones included).
            let known: Vec<bool> = batch
                .iter()
                .map(|p| {
                    seen.insert(p.record);
                    let same = cat.identities.get(&p.record) == Some(&identity(p));
                    if !same {
                        changed.push(p.record);
                    }
                    same
                })
                .collect();
            if let Some(j) = judge.as_mut() {
                j.packages(batch);
                emit.all(j.take_findings());
            }
            if want_files {
                let owners: Vec<PackageRef> = batch.iter().map(pkgdb::Package::reference).collect();
                let mut jobs = Vec::new();
                for ((p, owner), known) in batch.iter().zip(&owners).zip(&known) {
                    jobs.extend(
                        p.files
                            .iter()
                            .filter(|r| !known || r.size < LARGE_FILE)
                            .map(|record| Job { record, owner }),
                    );
                }
                let (found, t) = files::verify_all(ctx, &jobs);
                totals.add(t);
                emit.all(with_verdicts(found, judge.as_ref()));
            }
        })?;
        changed.extend(cat.identities.keys().filter(|r| !seen.contains(r)));
        if want_files {
            // The large files of the packages both reads agree on, biggest
            // first (a changed package's were verified with the rest of
            // its files above; a vanished one's are not verified).
            let changed: HashSet<u64> = changed.iter().copied().collect();
            let unchanged = |record: u64| seen.contains(&record) && !changed.contains(&record);
            let jobs: Vec<Job<'_>> = cat
                .large
                .iter()
                .map(|(record, o)| Job {
                    record,
                    owner: &cat.owners[*o as usize],
                })
                .filter(|j| unchanged(j.owner.record))
                .collect();
            let (found, t) = files::verify_all(ctx, &jobs);
            totals.add(t);
            emit.all(with_verdicts(found, judge.as_ref()));
        }
        if !changed.is_empty() {
            emit.one(changed_between_reads(ctx.db, changed));
        }
        if let Some(j) = judge.as_mut() {
            j.malformed(&cat.malformed);
            emit.all(j.take_findings());
        }
        Ok((judge, totals))
    }

    /// The scan proper, over an opened database, on a worker of the scan's
    /// pool (its parallel steps run on that pool). Returns the end of the
    /// scan, and the database and catalogue for the caller to free.
    fn scan(
        self,
        started: Instant,
        root: &Root,
        db: pkgdb::Source,
        sink: &mut (dyn ReportSink + Send),
    ) -> Result<(ScanEnd, pkgdb::Source, Catalogue), Error> {
        let counters = self.counters.clone();
        counters.set_phase(Phase::ReadingDatabase);
        let (accounts, account_notes) = load_accounts(root);
        let want_files = self.checks.contains(CheckKind::Files);
        let want_headers = self.checks.contains(CheckKind::Headers);

        // First pass: what the checks need to know about all packages.
        let mut cat = Catalogue::read(&db, root, want_files)?;
        let real_packages = cat.packages;
        counters.database_read(real_packages, cat.files, cat.bytes);

        let info = ScanInfo {
            root: Bytes::from(self.root.as_path()),
            checks: self.checks.clone(),
            database: DatabaseInfo {
                format: db.format,
                path: Bytes::from(db.path.as_path()),
                packages: real_packages,
                wal: db.read_wal,
                checks: crate::model::attr_names(db.attributes),
                also_found: db
                    .also_found
                    .iter()
                    .map(|(f, p)| AlsoFound {
                        format: *f,
                        path: Bytes::from(p.as_path()),
                    })
                    .collect(),
            },
            trust: self.trust_info(),
        };
        sink.begin(&info).map_err(sink_error)?;
        let mut emit = Emit {
            sink,
            counters: &counters,
            count: 0,
            worst: None,
            error: None,
        };

        // Only a database that records owners needs the target's accounts.
        let records_owners = db
            .attributes
            .intersects(crate::model::VerifyAttrs::USER | crate::model::VerifyAttrs::GROUP);
        if want_files && records_owners {
            emit.all(account_notes);
        }
        emit.all(cat.malformed.iter().map(|m| {
            Finding::new(
                FindingKind::HeaderMalformed,
                Severity::High,
                About::nothing().scope(format!("record-{}", m.record)),
                Evidence::Header(HeaderEvidence::MalformedRecord {
                    record: m.record,
                    error: m.error.to_string(),
                }),
            )
        }));
        emit.all(std::mem::take(&mut cat.notes));
        emit.all(std::mem::take(&mut cat.no_digests));

        let pubkeys = std::mem::take(&mut cat.pubkeys);
        let ctx = ScanContext {
            root,
            db: &db,
            accounts: &accounts,
            index: &cat.index,
            code: &cat.code,
            progress: &counters,
        };
        let mut summary = Summary {
            packages: real_packages,
            ..Summary::default()
        };
        let mut end = ScanEnd {
            complete: true,
            ..ScanEnd::default()
        };

        if want_headers || want_files {
            let (judge, totals) = self.second_pass(&ctx, &cat, pubkeys, &mut emit)?;
            summary.files_checked = totals.checked;
            summary.bytes_hashed = totals.bytes_hashed;
            if let Some(j) = judge {
                let outcome = j.finish(ctx.db.format);
                emit.all(outcome.findings);
                end.packages = outcome.packages;
                end.target_keys = outcome.target_keys as u64;
            }
        }
        for check in self.checks.iter() {
            match check {
                // Run in the second pass above.
                CheckKind::Headers | CheckKind::Files => {}
                CheckKind::Bytecode => {
                    counters.set_phase(Phase::Check(check));
                    let opts = crate::check::bytecode::BytecodeOptions {
                        verbose: self.verbose,
                    };
                    emit.all(crate::check::bytecode::run(&ctx, &opts));
                }
                CheckKind::Unowned => {
                    counters.set_phase(Phase::Check(check));
                    let opts = crate::check::unowned::UnownedOptions {
                        trees: self.unowned_trees.clone(),
                    };
                    emit.all(crate::check::unowned::run(&ctx, &opts));
                }
            }
        }
        summary.findings = emit.count;
        summary.elapsed_ms = started.elapsed().as_millis() as u64;
        end.summary = summary;
        end.worst = emit.worst;
        counters.set_phase(Phase::Finished);
        if let Some(e) = emit.error.take() {
            return Err(sink_error(e));
        }
        emit.sink.finish(&end).map_err(sink_error)?;
        Ok((end, db, cat))
    }
}

fn sink_error(source: std::io::Error) -> Error {
    Error::Io {
        what: "writing the report".into(),
        source,
    }
}

/// Hands findings to the sink, counting them. A sink that fails (a closed
/// pipe) is not called again; the scan reports its error at the end.
struct Emit<'s> {
    sink: &'s mut (dyn ReportSink + Send),
    counters: &'s Counters,
    count: u64,
    worst: Option<Severity>,
    error: Option<std::io::Error>,
}

impl Emit<'_> {
    fn one(&mut self, f: Finding) {
        self.counters.finding(f.severity);
        self.count += 1;
        self.worst = self.worst.max(Some(f.severity));
        if self.error.is_none()
            && let Err(e) = self.sink.finding(&f)
        {
            self.error = Some(e);
        }
    }

    fn all(&mut self, fs: impl IntoIterator<Item = Finding>) {
        for f in fs {
            self.one(f);
        }
    }
}

/// A file finding of a package whose own header is not trusted says so:
/// the record it was compared with may itself be forged. Joined by the
/// package's database record, not by any name.
fn with_verdicts(mut found: Vec<Finding>, judge: Option<&Judge<'_>>) -> Vec<Finding> {
    if let Some(j) = judge {
        for f in &mut found {
            if let Some(v) = f.package.as_ref().and_then(|p| j.verdict(p.record))
                && v != HeaderVerdict::Trusted
            {
                f.header = Some(v);
            }
        }
    }
    found
}

/// The `check-incomplete` finding for records that differ between the two
/// reads of the database (a package manager ran during the scan).
fn changed_between_reads(db: &pkgdb::Source, mut changed: Vec<u64>) -> Finding {
    changed.sort_unstable();
    changed.dedup();
    Finding::new(
        FindingKind::CheckIncomplete,
        Severity::Medium,
        About::path(db.path.as_path()).scope("database-changed"),
        Evidence::Incomplete(Incomplete {
            check: Stage::Database,
            problem: Problem::DatabaseChanged { records: changed },
        }),
    )
}

/// The target's own users and groups. A file that cannot be read leaves
/// only `root` resolvable; that is said in a `check-incomplete` finding
/// rather than silently producing `U`/`G` flags nobody can explain.
fn load_accounts(root: &Root) -> (Accounts, Vec<Finding>) {
    let mut notes = Vec::new();
    let mut read = |p: &str| match root.read_small(Path::new(p), ACCOUNTS_LIMIT) {
        Ok(data) => data,
        Err(e) => {
            notes.push(Finding::new(
                FindingKind::CheckIncomplete,
                Severity::Info,
                About::path(p).scope("accounts"),
                Evidence::Incomplete(Incomplete {
                    check: Stage::Accounts,
                    problem: Problem::Unreadable {
                        what: Unread::Accounts,
                        error: OsError::from(&e),
                    },
                }),
            ));
            Vec::new()
        }
    };
    let passwd = read("/etc/passwd");
    let group = read("/etc/group");
    (Accounts::parse(&passwd, &group), notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{file_record, package};

    /// An empty target with the accounts every scan reads.
    fn target() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("etc")).unwrap();
        std::fs::write(t.path().join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").unwrap();
        std::fs::write(t.path().join("etc/group"), "root:x:0:\n").unwrap();
        t
    }

    /// A database that changes between the scan's two reads: packages that
    /// changed, appeared or vanished are reported, and every file of a
    /// changed or new package is verified in the second pass (large ones
    /// too), while an unchanged package's large file is verified once.
    #[test]
    fn database_changed_between_reads() {
        let t = target();
        std::fs::create_dir_all(t.path().join("usr/bin")).unwrap();
        std::fs::write(t.path().join("usr/bin/a"), b"a").unwrap();
        let big = |p: &str| {
            let mut r = file_record(p);
            r.size = 2 * files::LARGE_FILE;
            r
        };
        let a1 = package(1, "a", vec![file_record("/usr/bin/a")]);
        let mut a2 = a1.clone();
        a2.files.push(big("/opt/big-a"));
        let b = package(2, "b", vec![big("/opt/big-b")]);
        // Rewritten in place between the reads: its large file is verified
        // once, as the second read has it.
        let mut b2 = b.clone();
        b2.version = "2".into();
        let c = package(3, "c", vec![file_record("/usr/bin/c")]);
        let d = package(4, "d", vec![file_record("/usr/bin/d")]);
        let source = pkgdb::Source::scripted(vec![vec![a1, b, d], vec![a2, b2, c]]);
        let builder = ScanBuilder::new(t.path())
            .jobs(2)
            .checks(CheckSet::only([CheckKind::Files]));
        let (root, pool) = builder.start().unwrap();
        let mut sink = Collect::new();
        builder
            .run_on(Instant::now(), root, pool, &mut sink, |_| Ok(source))
            .unwrap();
        let report = sink.into_report(PathBuf::from("/")).unwrap();

        let missing: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::FileMissing)
            .filter_map(|f| std::str::from_utf8(f.path_bytes()).ok())
            .collect();
        // d vanished before the second read: its file was never verified.
        assert_eq!(missing, ["/opt/big-a", "/opt/big-b", "/usr/bin/c"]);
        let big_b = report
            .findings
            .iter()
            .find(|f| f.path_bytes() == b"/opt/big-b")
            .unwrap();
        assert_eq!(big_b.nevra().as_deref(), Some("b-2-1.x86_64"));
        let changed: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::CheckIncomplete)
            .collect();
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert_eq!(
            changed[0].evidence,
            Evidence::Incomplete(Incomplete {
                check: Stage::Database,
                problem: Problem::DatabaseChanged {
                    records: vec![1, 2, 3, 4]
                }
            })
        );
        let message = String::from_utf8(changed[0].message()).unwrap();
        assert!(message.contains("4 record(s) differ"), "{message}");
        assert!(message.contains("(1, 2, 3, 4)"), "{message}");
        assert_eq!(changed[0].severity, Severity::Medium);
        assert_eq!(report.end.summary.files_checked, 4);
    }

    /// An unchanged database gives no such finding, and each file is
    /// verified exactly once whichever phase takes it.
    #[test]
    fn unchanged_database_verifies_each_file_once() {
        let t = target();
        let big = |p: &str| {
            let mut r = file_record(p);
            r.size = files::LARGE_FILE;
            r
        };
        let pkgs = vec![
            package(1, "a", vec![file_record("/a/small"), big("/a/large")]),
            package(2, "b", vec![big("/b/large"), file_record("/b/small")]),
        ];
        let source = pkgdb::Source::scripted(vec![pkgs.clone(), pkgs]);
        let builder = ScanBuilder::new(t.path()).checks(CheckSet::only([CheckKind::Files]));
        let (root, pool) = builder.start().unwrap();
        let mut sink = Collect::new();
        builder
            .run_on(Instant::now(), root, pool, &mut sink, |_| Ok(source))
            .unwrap();
        let report = sink.into_report(PathBuf::from("/")).unwrap();
        let mut missing: Vec<(String, String)> = report
            .findings
            .iter()
            .map(|f| {
                assert_eq!(f.kind, FindingKind::FileMissing, "{f:?}");
                (
                    String::from_utf8(f.path_bytes().to_vec()).unwrap(),
                    f.nevra().unwrap(),
                )
            })
            .collect();
        missing.sort();
        let want: Vec<(String, String)> = [
            ("/a/large", "a-1-1.x86_64"),
            ("/a/small", "a-1-1.x86_64"),
            ("/b/large", "b-1-1.x86_64"),
            ("/b/small", "b-1-1.x86_64"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(missing, want);
        assert_eq!(report.end.summary.files_checked, 4);
    }
}
