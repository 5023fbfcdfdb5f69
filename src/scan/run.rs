//! The passes of a scan (see the module doc of [`super`]): the first read
//! into a [`Catalogue`], the second read judging headers and verifying
//! files a batch at a time, the large files, then the walking checks; and
//! [`Emit`], which attaches a matching waiver's decision to each finding,
//! hands it to the sink once and counts it.

use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

use super::catalogue::identity;
use super::{
    ACCOUNTS_LIMIT, AlsoFound, Catalogue, DatabaseInfo, ReportSink, ScanBuilder, ScanEnd, ScanInfo,
    Summary, TrustInfo, TrustProblem, WaiverCounts, WaiverInfo,
};
use crate::check::files::{FileTotals, Job, LARGE_FILE};
use crate::check::{CheckKind, Counters, Phase, ScanContext, files};
use crate::error::Error;
use crate::model::evidence::HeaderEvidence;
use crate::model::{
    About, Bytes, Evidence, Finding, FindingKind, HeaderVerdict, Incomplete, OsError, PackageRef,
    Problem, Severity, Stage, Unread, Verdict,
};
use crate::pkgdb;
use crate::rootfs::Root;
use crate::rootfs::accounts::Accounts;
use crate::trust::headers::{HeadersOptions, Judge};
use crate::waiver::{Match, WaiverFile};

impl ScanBuilder {
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

    /// The waiver file, as the report describes it.
    fn waiver_info(&self) -> Option<WaiverInfo> {
        let w = self.waivers.as_ref()?;
        let origin = w.origin();
        Some(WaiverInfo {
            file: origin.map(|o| Bytes::from(o.file.as_path())),
            key_id: origin.map(|o| o.key_id.clone()),
            trusted_comment: origin.map(|o| o.trusted_comment.clone()),
            host: w.host().to_owned(),
            root: w.root().clone(),
            written: w.written(),
            count: w.len() as u64,
        })
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
        let mut scripts = ScriptGatherer::new();
        ctx.db.read(ctx.root, &mut |batch| {
            if ctx.progress.is_cancelled() {
                return;
            }
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
                let touched = touched_packages(&found);
                emit.all(with_verdicts(found, judge.as_ref()));
                scripts.gather(ctx, batch, &touched, emit);
            }
        })?;
        // A record the second read never reached vanished, unless the scan
        // was stopped before it got there.
        if !ctx.progress.is_cancelled() {
            changed.extend(cat.identities.keys().filter(|r| !seen.contains(r)));
        }
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
            let touched = touched_packages(&found);
            emit.all(with_verdicts(found, judge.as_ref()));
            scripts.gather_again(ctx, cat, touched, emit)?;
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
    pub(super) fn scan(
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
            scan_id: self.scan_id.clone(),
            host: self.host.clone(),
            started: std::time::SystemTime::now()
                .checked_sub(started.elapsed())
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs()),
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
            sandbox: self.sandbox.clone(),
            waivers: self.waiver_info(),
        };
        sink.begin(&info).map_err(sink_error)?;
        let mut emit = Emit {
            sink,
            counters: &counters,
            count: 0,
            worst: None,
            error: None,
            waivers: self.waivers.as_ref(),
            now: crate::waiver::unix_now(),
            waived: WaiverCounts::default(),
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
            if counters.is_cancelled() {
                break;
            }
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
        end.complete = !counters.is_cancelled();
        summary.findings = emit.count;
        summary.elapsed_ms = started.elapsed().as_millis() as u64;
        end.summary = summary;
        end.worst = emit.worst;
        end.waivers = emit.waivers.is_some().then_some(emit.waived);
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

/// Hands findings to the sink, with a matching waiver's decision attached,
/// counting them. An accepted finding is reported but counts neither
/// toward `worst` nor in the counters' per-severity totals (so the exit
/// status sampled from them stays true); the counters count it apart. A
/// sink that fails (a closed pipe) is not called again; the scan reports
/// its error at the end.
struct Emit<'s> {
    sink: &'s mut (dyn ReportSink + Send),
    counters: &'s Counters,
    count: u64,
    worst: Option<Severity>,
    error: Option<std::io::Error>,
    waivers: Option<&'s WaiverFile>,
    /// The time waivers' expiry is judged at (the scan's start).
    now: u64,
    waived: WaiverCounts,
}

impl Emit<'_> {
    fn one(&mut self, mut f: Finding) {
        if let Some(w) = self.waivers {
            match w.check_finding(&f, self.now) {
                Match::None => {}
                Match::Changed(_) => self.waived.changed += 1,
                Match::Expired(_) => self.waived.expired += 1,
                Match::Applies(d) => {
                    self.waived.applied += 1;
                    match d.verdict {
                        Verdict::Accepted => self.waived.accepted += 1,
                        Verdict::Flagged => self.waived.flagged += 1,
                    }
                    f.decision = Some(d.clone());
                }
            }
        }
        self.count += 1;
        if f.decision.as_ref().is_some_and(|d| d.waives()) {
            self.counters.accepted();
        } else {
            self.counters.finding(f.severity);
            self.worst = self.worst.max(Some(f.severity));
        }
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

/// Most bytes of script bodies a scan hands to its sinks (which may keep
/// them all, as [`super::Collect`] and the JSON writer do): past it, bodies
/// are cut (`truncated`), so a hostile database whose every package has
/// [`crate::model::MAX_SCRIPTS`] scripts of [`crate::model::MAX_BODY`]
/// bytes cannot exhaust memory.
const SCRIPTS_BUDGET: usize = 64 << 20;

/// Gathers the install scripts of the packages that got a `file-changed`,
/// `file-missing` or `file-unreadable` finding, while a pass of the
/// database holds them (nobody keeps every package's scripts), each package
/// once, and hands them to the sink.
struct ScriptGatherer {
    /// Records whose scripts were handed over.
    done: HashSet<u64>,
    /// Body bytes left ([`SCRIPTS_BUDGET`]).
    budget: usize,
}

impl ScriptGatherer {
    fn new() -> ScriptGatherer {
        ScriptGatherer {
            done: HashSet::new(),
            budget: SCRIPTS_BUDGET,
        }
    }

    /// The scripts of the packages of `batch` whose records are in
    /// `touched`. A script that cannot be read is a finding.
    fn gather(
        &mut self,
        ctx: &ScanContext<'_>,
        batch: &[pkgdb::Package],
        touched: &HashSet<u64>,
        emit: &mut Emit<'_>,
    ) {
        for p in batch {
            if !touched.contains(&p.record) || !self.done.insert(p.record) {
                continue;
            }
            let read = ctx.db.scripts(ctx.root, p);
            emit.all(read.notes);
            let mut scripts = crate::model::PackageScripts {
                package: p.reference(),
                scripts: read.scripts,
                omitted: read.omitted,
            };
            spend(&mut scripts.scripts, &mut self.budget);
            emit.scripts(&scripts);
        }
    }

    /// The scripts of the packages in `touched` not gathered yet: those
    /// whose only changed files are large ones, verified after the second
    /// read let them go. The database is read once more for them (only
    /// then); a record that is no longer what the first read saw is left
    /// out (the scan says the database changed).
    fn gather_again(
        &mut self,
        ctx: &ScanContext<'_>,
        cat: &Catalogue,
        mut touched: HashSet<u64>,
        emit: &mut Emit<'_>,
    ) -> Result<(), Error> {
        touched.retain(|r| !self.done.contains(r));
        if touched.is_empty() || ctx.progress.is_cancelled() {
            return Ok(());
        }
        ctx.db.read(ctx.root, &mut |batch| {
            let same: HashSet<u64> = batch
                .iter()
                .filter(|p| touched.contains(&p.record))
                .filter(|p| cat.identities.get(&p.record) == Some(&identity(p)))
                .map(|p| p.record)
                .collect();
            if !same.is_empty() {
                self.gather(ctx, batch, &same, emit);
            }
        })?;
        Ok(())
    }
}

/// Cut the bodies of `scripts` to what is left of `budget`, and spend it.
fn spend(scripts: &mut [crate::model::Script], budget: &mut usize) {
    for s in scripts {
        s.truncate(*budget);
        *budget -= s.body.as_bytes().len();
    }
}

/// The records of the packages with a file changed, missing or unreadable
/// among `found`.
fn touched_packages(found: &[Finding]) -> HashSet<u64> {
    found
        .iter()
        .filter(|f| {
            matches!(
                f.kind,
                FindingKind::FileChanged | FindingKind::FileMissing | FindingKind::FileUnreadable
            )
        })
        .filter_map(|f| f.package.as_ref().map(|p| p.record))
        .collect()
}

impl Emit<'_> {
    /// Hand a package's install scripts to the sink (not after the sink
    /// failed).
    fn scripts(&mut self, scripts: &crate::model::PackageScripts) {
        if self.error.is_none()
            && let Err(e) = self.sink.scripts(scripts)
        {
            self.error = Some(e);
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
                        object: None,
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
    use crate::scan::{CheckSet, Collect};
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
        let report = sink.into_report().unwrap();

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
        let report = sink.into_report().unwrap();
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

    /// The scripts of each package with a changed, missing or unreadable
    /// file reach the sink once, after its findings; those of a package
    /// whose only missing file is large are gathered by one more read; a
    /// package whose files are intact gets none.
    #[test]
    fn scripts_of_changed_packages_only() {
        let t = target();
        std::fs::create_dir_all(t.path().join("usr/bin")).unwrap();
        std::fs::write(t.path().join("usr/bin/c"), b"c").unwrap();
        let mut big = file_record("/opt/big-b");
        big.size = files::LARGE_FILE;
        let pkgs = vec![
            package(1, "a", vec![file_record("/usr/bin/a")]),
            package(2, "b", vec![big, file_record("/usr/bin/c")]),
            package(3, "c", vec![file_record("/usr/bin/c")]),
        ];
        let source = pkgdb::Source::scripted(vec![pkgs.clone(), pkgs.clone(), pkgs]);
        let builder = ScanBuilder::new(t.path()).checks(CheckSet::only([CheckKind::Files]));
        let (root, pool) = builder.start().unwrap();
        let mut sink = Collect::new();
        builder
            .run_on(Instant::now(), root, pool, &mut sink, |_| Ok(source))
            .unwrap();
        let report = sink.into_report().unwrap();
        let got: Vec<(&str, Vec<&[u8]>)> = report
            .scripts
            .iter()
            .map(|s| {
                let bodies = s.scripts.iter().map(|s| s.body.as_bytes()).collect();
                (s.package.name.as_str(), bodies)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("a", vec![&b"a-1-1.x86_64"[..]]),
                ("b", vec![&b"b-1-1.x86_64"[..]])
            ]
        );
    }

    #[test]
    fn script_bodies_share_a_budget() {
        use crate::model::{Script, ScriptPhase};
        let mut scripts = vec![
            Script::new(ScriptPhase::Pre, b"0123456789"),
            Script::new(ScriptPhase::Post, b"abcdef"),
            Script::new(ScriptPhase::Preun, b"xyz"),
        ];
        let mut budget = 12;
        spend(&mut scripts, &mut budget);
        assert_eq!(budget, 0);
        let bodies: Vec<(&[u8], bool)> = scripts
            .iter()
            .map(|s| (s.body.as_bytes(), s.truncated))
            .collect();
        assert_eq!(
            bodies,
            vec![
                (&b"0123456789"[..], false),
                (&b"ab"[..], true),
                (&b""[..], true)
            ]
        );
        assert_eq!(scripts[2].size, 3);
    }

    /// A cancelled scan stops verifying, starts no further check, and says
    /// it is partial.
    #[test]
    fn cancelled_scan_is_partial() {
        let t = target();
        let pkgs = vec![package(1, "a", vec![file_record("/a/gone")])];
        let source = pkgdb::Source::scripted(vec![pkgs.clone(), pkgs]);
        let counters = std::sync::Arc::new(Counters::new());
        counters.cancel();
        let builder = ScanBuilder::new(t.path())
            .counters(counters.clone())
            .checks(CheckSet::all());
        let (root, pool) = builder.start().unwrap();
        let mut sink = Collect::new();
        let end = builder
            .run_on(Instant::now(), root, pool, &mut sink, |_| Ok(source))
            .unwrap();
        assert!(!end.complete);
        assert_eq!(end.summary.files_checked, 0);
        let report = sink.into_report().unwrap();
        assert!(!report.end.complete);
        // Nothing the stop did is reported as a fact about the target: no
        // file missing, and no record "vanished" from the database because
        // the second read stopped before it.
        assert!(
            report
                .findings
                .iter()
                .all(|f| f.kind != FindingKind::FileMissing
                    && !matches!(
                        f.evidence,
                        Evidence::Incomplete(Incomplete {
                            problem: Problem::DatabaseChanged { .. },
                            ..
                        })
                    )),
            "{:?}",
            report.findings
        );
        assert_eq!(counters.snapshot().phase, Phase::Finished);
    }

    /// Waivers: the matching decision reaches the sink on the finding; an
    /// accepted finding counts neither toward `worst` nor in the
    /// counters' severities, a flagged one does.
    #[test]
    fn waivers_attach_decisions_and_accepted_findings_do_not_count() {
        use crate::model::{Decision, Verdict};
        use crate::waiver::WaiverFile;
        let t = target();
        let pkgs = vec![package(
            1,
            "a",
            vec![file_record("/a/gone"), file_record("/a/also-gone")],
        )];
        let run = |waivers: Option<WaiverFile>| {
            let counters = std::sync::Arc::new(Counters::new());
            let mut builder = ScanBuilder::new(t.path())
                .counters(counters.clone())
                .checks(CheckSet::only([CheckKind::Files]));
            if let Some(w) = waivers {
                builder = builder.waivers(w);
            }
            let source = pkgdb::Source::scripted(vec![pkgs.clone(), pkgs.clone()]);
            let (root, pool) = builder.start().unwrap();
            let mut sink = Collect::new();
            let end = builder
                .run_on(Instant::now(), root, pool, &mut sink, |_| Ok(source))
                .unwrap();
            (end, sink.into_report().unwrap(), counters.snapshot())
        };
        let (end, report, _) = run(None);
        assert_eq!(end.worst, Some(Severity::Medium));
        assert!(end.waivers.is_none() && report.info.waivers.is_none());
        let decision = |verdict| Decision {
            verdict,
            reason: "known".into(),
            at: 1,
            expires: None,
        };

        let mut w = WaiverFile::new("h", t.path());
        for f in &report.findings {
            w.decide_finding(f, decision(Verdict::Accepted));
        }
        let (end, report, snap) = run(Some(w.clone()));
        assert_eq!(end.worst, None);
        assert_eq!(report.worst(), None);
        assert_eq!(report.findings.len(), 2, "accepted findings are reported");
        assert!(report.findings.iter().all(|f| f.decision.is_some()));
        let counts = end.waivers.unwrap();
        assert_eq!((counts.applied, counts.accepted, counts.flagged), (2, 2, 0));
        assert_eq!((snap.findings_at(Severity::Medium), snap.accepted), (0, 2));
        assert_eq!(report.info.waivers.as_ref().unwrap().count, 2);

        let first = report.findings[0].clone();
        w.decide_finding(&first, decision(Verdict::Flagged));
        let (end, report, snap) = run(Some(w));
        assert_eq!(end.worst, Some(Severity::Medium));
        assert_eq!(report.worst(), Some(Severity::Medium));
        let counts = end.waivers.unwrap();
        assert_eq!((counts.accepted, counts.flagged), (1, 1));
        assert_eq!((snap.findings_at(Severity::Medium), snap.accepted), (1, 1));
    }
}
