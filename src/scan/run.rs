//! The passes of a scan (see the module doc of [`super`]): the first read
//! into a [`Catalogue`], the second read judging headers and verifying
//! files a batch at a time, the large files, then the walking checks; and
//! [`Emit`], which hands each finding to the sink once and counts it.

use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

use super::catalogue::identity;
use super::{
    ACCOUNTS_LIMIT, AlsoFound, Catalogue, DatabaseInfo, ReportSink, ScanBuilder, ScanEnd, ScanInfo,
    Summary, TrustInfo, TrustProblem,
};
use crate::check::files::{FileTotals, Job, LARGE_FILE};
use crate::check::{CheckKind, Counters, Phase, ScanContext, files};
use crate::error::Error;
use crate::model::evidence::HeaderEvidence;
use crate::model::{
    About, Bytes, Evidence, Finding, FindingKind, HeaderVerdict, Incomplete, OsError, PackageRef,
    Problem, Severity, Stage, Unread,
};
use crate::pkgdb;
use crate::rootfs::Root;
use crate::rootfs::accounts::Accounts;
use crate::trust::headers::{HeadersOptions, Judge};

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
        assert!(
            report
                .findings
                .iter()
                .all(|f| f.kind != FindingKind::FileMissing),
            "{:?}",
            report.findings
        );
        assert_eq!(counters.snapshot().phase, Phase::Finished);
    }
}
