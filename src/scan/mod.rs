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
//! Progress is a stream of events on a channel, not a callback into the
//! printer: the text front end draws a progress line from it today, and
//! the TUI attaches to the same stream. Workers only send; they never wait
//! for a reader.
//!
//! ```no_run
//! use rootaudit::scan::{CheckSet, ScanBuilder};
//! let (tx, rx) = crossbeam_channel::unbounded();
//! std::thread::spawn(move || for ev in rx { let _ = ev; });
//! let report = ScanBuilder::new("/").jobs(4).progress(tx).checks(CheckSet::all()).run()?;
//! # Ok::<(), rootaudit::Error>(())
//! ```

mod catalogue;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crossbeam_channel::Sender;
use serde::Serialize;

use crate::check::CheckKind;
use crate::check::files::{FileTotals, Job, LARGE_FILE, Owner};
use crate::check::{ScanContext, files};
use crate::error::Error;
use crate::model::{Finding, FindingKind, Severity};
use crate::pkgdb::{self, DbFormat};
pub use crate::progress::Progress;
use crate::progress::ProgressSink;
use crate::rootfs::Root;
use crate::rootfs::accounts::Accounts;
use crate::trust::TrustStore;
use crate::trust::headers::{HeadersOptions, Judge, PackageTrust};
pub use catalogue::Catalogue;
use catalogue::identity;

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
    jobs: Option<usize>,
    checks: CheckSet,
    progress: Option<Sender<Progress>>,
    trust: TrustStore,
    require_signatures: bool,
    verbose: bool,
    unowned_trees: crate::check::unowned::UnownedTrees,
}

/// What the database was.
#[derive(Clone, Debug, Serialize)]
pub struct DatabaseInfo {
    /// Format.
    pub format: DbFormat,
    /// Path inside the target.
    pub path: String,
    /// Packages read (without `gpg-pubkey` entries).
    pub packages: u64,
    /// True when a WAL was read through a private copy.
    pub wal: bool,
    /// The verify attributes this format records (others cannot be
    /// checked), by rpm column name.
    pub checks: Vec<&'static str>,
    /// Other package databases present in the target but not used.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_found: Vec<String>,
}

/// Totals of a scan.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Packages read.
    pub packages: u64,
    /// Files verified.
    pub files_checked: u64,
    /// Bytes read to compute digests.
    pub bytes_hashed: u64,
    /// Number of findings.
    pub findings: u64,
    /// Wall time.
    pub elapsed_ms: u64,
}

/// The result of a scan: what every output renders.
#[derive(Debug)]
pub struct Report {
    /// ROOT as given.
    pub root: PathBuf,
    /// The database used.
    pub database: DatabaseInfo,
    /// The checks that ran.
    pub checks: CheckSet,
    /// Totals.
    pub summary: Summary,
    /// Findings, ordered by path, then kind.
    pub findings: Vec<Finding>,
    /// Header trust verdict of every package record (check `headers`;
    /// empty when it did not run).
    pub packages: Vec<PackageTrust>,
    /// What the trust store held.
    pub trust: TrustInfo,
}

/// What the trust store held, for the report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TrustInfo {
    /// Certificates in the trust store.
    pub keys: u64,
    /// Folders they were loaded from.
    pub dirs: Vec<String>,
    /// Key files that gave no usable key, and certificates whose algorithm
    /// cannot be verified (`path: reason`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
    /// `gpg-pubkey` keys in the target's own rpm database.
    pub target_keys: u64,
}

impl Report {
    /// The most severe finding, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

impl ScanBuilder {
    /// Scan the system mounted at `root` (`/` for the running system).
    pub fn new(root: impl Into<PathBuf>) -> ScanBuilder {
        ScanBuilder {
            root: root.into(),
            dbpath: None,
            db_format: None,
            jobs: None,
            checks: CheckSet::all(),
            progress: None,
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

    /// Publish progress events here.
    pub fn progress(mut self, tx: Sender<Progress>) -> ScanBuilder {
        self.progress = Some(tx);
        self
    }

    /// Run the scan.
    pub fn run(self) -> Result<Report, Error> {
        let started = Instant::now();
        let (root, pool) = self.start()?;
        let (dbpath, format) = (self.dbpath.clone(), self.db_format);
        self.run_on(started, root, pool, move |root| {
            pkgdb::open(root, dbpath.as_deref(), format)
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
        open: impl FnOnce(&Root) -> Result<pkgdb::Source, Error> + Send,
    ) -> Result<Report, Error> {
        let (report, db, cat) = pool.install(|| {
            let db = open(&root)?;
            self.scan(started, &root, db)
        })?;
        // Freeing a 150,000-file database takes tens of milliseconds that
        // nobody waits for: do it off the caller's path.
        let _ = std::thread::Builder::new()
            .name("rootaudit-free".into())
            .spawn(move || drop((db, cat, pool)));
        Ok(report)
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
        let problems = self
            .trust
            .problems()
            .iter()
            .map(|p| format!("{}: {}", crate::output::escape_path(&p.source), p.reason));
        let unsupported = self
            .trust
            .keys()
            .iter()
            .filter(|k| k.status == crate::trust::KeyStatus::Unsupported)
            .map(|k| {
                format!(
                    "{}: key {} ({}) cannot be verified by this build",
                    crate::output::escape_path(&k.source),
                    k.fingerprint,
                    k.algorithm
                )
            });
        TrustInfo {
            keys: self.trust.keys().len() as u64,
            dirs: self
                .trust
                .dirs()
                .iter()
                .map(|d| crate::output::escape_path(d))
                .collect(),
            problems: problems.chain(unsupported).collect(),
            target_keys: 0,
        }
    }

    /// Steps 2 and 3 (see the module doc): the second read of the
    /// database, judging each batch's headers and verifying all but its
    /// large files, then the large files.
    fn second_pass(
        &self,
        ctx: &ScanContext<'_>,
        cat: &Catalogue,
        pubkeys: Vec<pkgdb::Package>,
    ) -> Result<SecondPass, Error> {
        let want_files = self.checks.contains(CheckKind::Files);
        let mut judge = self.checks.contains(CheckKind::Headers).then(|| {
            ctx.progress
                .send(Progress::CheckStarted(CheckKind::Headers));
            let opts = HeadersOptions {
                require_signatures: self.require_signatures,
            };
            Judge::new(&self.trust, pubkeys, opts)
        });
        let mut out = SecondPass::default();
        if want_files {
            ctx.progress.send(Progress::CheckStarted(CheckKind::Files));
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
            }
            if want_files {
                let owners: Vec<Owner> = batch.iter().map(Owner::of).collect();
                let mut jobs = Vec::new();
                for ((p, owner), known) in batch.iter().zip(&owners).zip(&known) {
                    jobs.extend(
                        p.files
                            .iter()
                            .filter(|r| !known || r.size < LARGE_FILE)
                            .map(|record| Job { record, owner }),
                    );
                }
                let (f, t) = files::verify_all(ctx, &jobs);
                out.findings.extend(f);
                out.totals.add(t);
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
            let (f, t) = files::verify_all(ctx, &jobs);
            out.findings.extend(f);
            out.totals.add(t);
        }
        if !changed.is_empty() {
            out.findings
                .push(changed_between_reads(ctx.db, &mut changed));
        }
        out.headers = judge.map(|mut j| {
            j.malformed(&cat.malformed);
            j.finish(ctx.db.format)
        });
        Ok(out)
    }

    /// The scan proper, over an opened database, on a worker of the scan's
    /// pool (its parallel steps run on that pool). Returns the
    /// report, and the database and catalogue for the caller to free.
    fn scan(
        self,
        started: Instant,
        root: &Root,
        db: pkgdb::Source,
    ) -> Result<(Report, pkgdb::Source, Catalogue), Error> {
        let (accounts, account_notes) = load_accounts(root);
        let sink = self
            .progress
            .clone()
            .map(ProgressSink::new)
            .unwrap_or_default();
        let want_files = self.checks.contains(CheckKind::Files);
        let want_headers = self.checks.contains(CheckKind::Headers);

        // First pass: what the checks need to know about all packages.
        let mut cat = Catalogue::read(&db, root, want_files)?;

        let mut findings: Vec<Finding> = Vec::new();
        // Only a database that records owners needs the target's accounts.
        let records_owners = db
            .attributes
            .intersects(crate::model::VerifyAttrs::USER | crate::model::VerifyAttrs::GROUP);
        if want_files && records_owners {
            findings.extend(account_notes);
        }
        for m in &cat.malformed {
            let mut f = Finding::new(
                FindingKind::HeaderMalformed,
                Severity::High,
                format!("database record {} cannot be parsed: {}", m.record, m.error),
            );
            f.compute_id(&format!("record-{}", m.record));
            findings.push(f);
        }
        findings.append(&mut cat.notes);
        findings.append(&mut cat.no_digests);

        let real_packages = cat.packages;
        sink.send(Progress::DatabaseRead {
            packages: real_packages,
            files: cat.files,
            bytes: cat.bytes,
        });

        let pubkeys = std::mem::take(&mut cat.pubkeys);
        let ctx = ScanContext {
            root,
            db: &db,
            accounts: &accounts,
            index: &cat.index,
            code: &cat.code,
            progress: &sink,
        };
        let mut summary = Summary {
            packages: real_packages,
            ..Summary::default()
        };
        let mut packages: Vec<PackageTrust> = Vec::new();
        let mut trust = self.trust_info();

        if want_headers || want_files {
            let second = self.second_pass(&ctx, &cat, pubkeys)?;
            findings.extend(second.findings);
            summary.files_checked = second.totals.checked;
            summary.bytes_hashed = second.totals.bytes_hashed;
            if let Some(outcome) = second.headers {
                findings.extend(outcome.findings);
                packages = outcome.packages;
                trust.target_keys = outcome.target_keys as u64;
            }
        }
        for check in self.checks.iter() {
            if !matches!(check, CheckKind::Headers | CheckKind::Files) {
                sink.send(Progress::CheckStarted(check));
            }
            match check {
                // Run in the second pass above.
                CheckKind::Headers | CheckKind::Files => {}
                CheckKind::Bytecode => {
                    let opts = crate::check::bytecode::BytecodeOptions {
                        verbose: self.verbose,
                    };
                    findings.extend(crate::check::bytecode::run(&ctx, &opts));
                }
                CheckKind::Unowned => {
                    let opts = crate::check::unowned::UnownedOptions {
                        trees: self.unowned_trees.clone(),
                        verbose: self.verbose,
                    };
                    findings.extend(crate::check::unowned::run(&ctx, &opts));
                }
            }
        }
        // A file finding of a package whose own header is not trusted says
        // so: the record it was compared with may itself be forged.
        let verdicts: std::collections::HashMap<&str, crate::trust::HeaderVerdict> = packages
            .iter()
            .filter_map(|p| p.nevra.as_deref().map(|n| (n, p.verdict)))
            .collect();
        for f in findings.iter_mut().filter(|f| {
            matches!(
                f.kind,
                FindingKind::FileChanged | FindingKind::FileMissing | FindingKind::FileUnreadable
            )
        }) {
            // Both sides hold the escaped NEVRA.
            if let Some(v) = f.package.as_deref().and_then(|p| verdicts.get(p).copied())
                && v != crate::trust::HeaderVerdict::Trusted
            {
                f.header = Some(v.as_str().to_string());
            }
        }
        findings.sort_by(|a, b| (&a.path, a.kind, &a.package).cmp(&(&b.path, b.kind, &b.package)));
        summary.findings = findings.len() as u64;
        summary.elapsed_ms = started.elapsed().as_millis() as u64;
        sink.send(Progress::Finished);

        let report = Report {
            root: self.root.clone(),
            database: DatabaseInfo {
                format: db.format,
                path: crate::output::escape_path(&db.path),
                packages: real_packages,
                wal: db.read_wal,
                checks: crate::model::attr_names(db.attributes),
                also_found: db
                    .also_found
                    .iter()
                    .map(|(f, p)| format!("{} {}", f.as_str(), crate::output::escape_path(p)))
                    .collect(),
            },
            checks: self.checks.clone(),
            summary,
            findings,
            packages,
            trust,
        };
        Ok((report, db, cat))
    }
}

/// What the second pass found.
#[derive(Default)]
struct SecondPass {
    findings: Vec<Finding>,
    totals: FileTotals,
    /// The `headers` check's outcome, when it ran.
    headers: Option<crate::trust::headers::HeadersOutcome>,
}

/// The `check-incomplete` finding for records that differ between the two
/// reads of the database (a package manager ran during the scan).
fn changed_between_reads(db: &pkgdb::Source, changed: &mut Vec<u64>) -> Finding {
    changed.sort_unstable();
    changed.dedup();
    let shown: Vec<String> = changed.iter().take(10).map(u64::to_string).collect();
    let mut f = Finding::new(
        FindingKind::CheckIncomplete,
        Severity::Medium,
        format!(
            "the package database changed while it was read (a package manager ran during \
             the scan): {} record(s) differ between its two reads ({}{}); their files were \
             verified as the second read recorded them, but which paths are shared or owned \
             comes from the first; scan again when no package manager runs",
            changed.len(),
            shown.join(", "),
            if changed.len() > shown.len() {
                ", …"
            } else {
                ""
            }
        ),
    )
    .for_path(&db.path);
    f.count = Some(changed.len() as u64);
    f.compute_id("database-changed");
    f
}

/// The target's own users and groups. A file that cannot be read leaves
/// only `root` resolvable; that is said in a `check-incomplete` finding
/// rather than silently producing `U`/`G` flags nobody can explain.
fn load_accounts(root: &Root) -> (Accounts, Vec<Finding>) {
    let mut notes = Vec::new();
    let mut read = |p: &str| match root.read_small(Path::new(p), ACCOUNTS_LIMIT) {
        Ok(data) => data,
        Err(e) => {
            let mut f = Finding::new(
                FindingKind::CheckIncomplete,
                Severity::Info,
                format!(
                    "cannot read the target's {p} ({e}): owner and group names other than root \
                     cannot be resolved, so U/G flags for other accounts may be spurious"
                ),
            )
            .for_path(Path::new(p));
            f.compute_id("accounts");
            notes.push(f);
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
        let report = builder
            .run_on(Instant::now(), root, pool, |_| Ok(source))
            .unwrap();

        let missing: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::FileMissing)
            .filter_map(|f| f.path.as_deref())
            .collect();
        // d vanished before the second read: its file was never verified.
        assert_eq!(missing, ["/opt/big-a", "/opt/big-b", "/usr/bin/c"]);
        let big_b = report
            .findings
            .iter()
            .find(|f| f.path.as_deref() == Some("/opt/big-b"))
            .unwrap();
        assert_eq!(big_b.package.as_deref(), Some("b-2-1.x86_64"));
        let changed: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::CheckIncomplete)
            .collect();
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert_eq!(changed[0].count, Some(4), "records 1 to 4");
        assert!(
            changed[0].message.contains("(1, 2, 3, 4)"),
            "{}",
            changed[0].message
        );
        assert_eq!(changed[0].severity, Severity::Medium);
        assert_eq!(report.summary.files_checked, 4);
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
        let report = builder
            .run_on(Instant::now(), root, pool, |_| Ok(source))
            .unwrap();
        let mut missing: Vec<(&str, &str)> = report
            .findings
            .iter()
            .map(|f| {
                assert_eq!(f.kind, FindingKind::FileMissing, "{f:?}");
                (f.path.as_deref().unwrap(), f.package.as_deref().unwrap())
            })
            .collect();
        missing.sort();
        assert_eq!(
            missing,
            [
                ("/a/large", "a-1-1.x86_64"),
                ("/a/small", "a-1-1.x86_64"),
                ("/b/large", "b-1-1.x86_64"),
                ("/b/small", "b-1-1.x86_64")
            ]
        );
        assert_eq!(report.summary.files_checked, 4);
    }
}
