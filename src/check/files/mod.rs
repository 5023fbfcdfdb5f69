//! The `files` check: verify one registered file against the file on disk
//! with `rpm -V` semantics (rpm 4.18 `rpmfilesVerify`), confined to ROOT.
//!
//! The rules, and where rootaudit deliberately differs, are in
//! `docs/verify.md`. In short: which attributes are compared depends on the
//! *recorded* file type, `%ghost`, the file state and the package's
//! `%verify` flags; a digest is only computed by reading a regular file
//! (never a FIFO or device); a digest rootaudit cannot compute is `?`, not
//! a guess; owner and group names resolve through the target's own
//! `etc/passwd` and `etc/group`.

pub mod rules;

use std::fs::File;
use std::io;
use std::path::Path;

use rayon::prelude::*;

use super::ScanContext;
use crate::model::{
    About, Account, Bytes, Digest, Evidence, FileAttrs, FileEvidence, Finding, FindingKind,
    OsError, PackageRef, Severity, Verify, VerifyAttrs,
};
use crate::pkgdb::{FileFlags, FileRecord, FileState};
use crate::rootfs::accounts::Accounts;
use crate::rootfs::caps;
use crate::rootfs::{self, FileStat, Root, S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT};
use rules::{rpm_caps_match, rpm_expected_mode, rpm_group_matches, rpm_user_matches};

/// Everything a file verification needs besides the record.
pub struct FileCheck<'a> {
    /// The confined target.
    pub root: &'a Root,
    /// The target's users and groups.
    pub accounts: &'a Accounts,
    /// The rate ceiling reads keep (`--max-rate`), if any.
    pub throttle: Option<&'a super::throttle::Throttle>,
}

/// A typed verdict about one file that is not as recorded: its kind,
/// severity and evidence (a [`Finding`] once its package is attached,
/// [`FileVerdict::into_finding`]).
#[derive(Clone, Debug)]
pub struct FileVerdict {
    /// `file-changed`, `file-missing` or `file-unreadable`.
    pub kind: FindingKind,
    /// How urgent.
    pub severity: Severity,
    /// The facts.
    pub evidence: Evidence,
}

impl FileVerdict {
    /// The finding about `rec` of package `owner`.
    pub fn into_finding(self, rec: &FileRecord, owner: &PackageRef) -> Finding {
        Finding::new(
            self.kind,
            self.severity,
            About::package(owner.clone()).at(rec.path_bytes()),
            self.evidence,
        )
    }
}

/// The result of verifying one record.
#[derive(Debug, Default)]
pub struct FileOutcome {
    /// A verdict, when the file is not as recorded.
    pub finding: Option<FileVerdict>,
    /// Bytes read to compute the digest.
    pub bytes_hashed: u64,
    /// False when the record was skipped by rule (not installed, netshared).
    pub checked: bool,
}

/// Totals of the `files` check.
#[derive(Debug, Default, Clone, Copy)]
pub struct FileTotals {
    /// Records verified (not skipped by rule).
    pub checked: u64,
    /// Bytes read for digests.
    pub bytes_hashed: u64,
}

/// Files at least this big (recorded size) are verified in a phase of their
/// own, biggest first, so that a huge file does not start last in a batch
/// and serialise its tail; the rest are verified a batch of packages at a
/// time as the database streams past.
pub const LARGE_FILE: u64 = 1 << 20;

/// One registered file to verify.
#[derive(Clone, Copy, Debug)]
pub struct Job<'a> {
    /// What the package recorded.
    pub record: &'a FileRecord,
    /// Whose it is.
    pub owner: &'a PackageRef,
}

/// Verify `jobs` in parallel (in the current rayon pool), in the order
/// given as far as the pool allows. Findings carry their package; a file
/// registered by more than one package (`ctx.index`) gets rpm's
/// shared-file mtime rule.
pub fn verify_all(ctx: &ScanContext<'_>, jobs: &[Job<'_>]) -> (Vec<Finding>, FileTotals) {
    let check = FileCheck {
        root: ctx.root,
        accounts: ctx.accounts,
        throttle: ctx.progress.throttle(),
    };
    // Each worker folds into its own findings and totals (no per-file
    // result is kept: memory stays proportional to the findings).
    jobs.par_iter()
        .with_max_len(64)
        .fold(
            || (Vec::new(), FileTotals::default()),
            |(mut findings, mut totals), job| {
                if ctx.progress.is_cancelled() {
                    return (findings, totals);
                }
                let rec = job.record;
                let out = check.verify_with(rec, || ctx.index.owner_count(&rec.path) > 1);
                if ctx.progress.is_cancelled() {
                    // Stopped while this file was read: its outcome is not
                    // a fact about the file.
                    return (findings, totals);
                }
                if out.checked {
                    ctx.progress.file_checked(out.bytes_hashed);
                }
                totals.add(FileTotals {
                    checked: u64::from(out.checked),
                    bytes_hashed: out.bytes_hashed,
                });
                findings.extend(out.finding.map(|v| v.into_finding(rec, job.owner)));
                (findings, totals)
            },
        )
        .reduce(
            || (Vec::new(), FileTotals::default()),
            |(mut a, mut ta), (b, tb)| {
                a.extend(b);
                ta.add(tb);
                (a, ta)
            },
        )
}

impl FileTotals {
    /// Add `other` to these totals.
    pub fn add(&mut self, other: FileTotals) {
        self.checked += other.checked;
        self.bytes_hashed += other.bytes_hashed;
    }
}

const POSIX_ACL_ACCESS: &str = "system.posix_acl_access";
const SECURITY_CAPABILITY: &str = "security.capability";

impl FileCheck<'_> {
    /// Verify `rec`. `shared` is true when more than one installed package
    /// registers the path (mtime differences are then not reported).
    pub fn verify(&self, rec: &FileRecord, shared: bool) -> FileOutcome {
        self.verify_with(rec, || shared)
    }

    /// [`FileCheck::verify`], asking `shared` only when the answer matters
    /// (the mtime differs): the ownership lookup is then skipped for almost
    /// every file.
    pub fn verify_with(&self, rec: &FileRecord, shared: impl Fn() -> bool) -> FileOutcome {
        let mut flags = rec.verify;
        // FILESTATES is not signed: a state that would excuse a file is
        // only believed where it can be true (rpm believes it always).
        let mut overruled = None;
        match rec.state {
            FileState::NotInstalled | FileState::NetShared => {
                if shared() || self.root.lookup(&rec.path).is_err() {
                    return FileOutcome::default();
                }
                overruled = Some(rec.state);
            }
            FileState::Replaced if !shared() => overruled = Some(rec.state),
            FileState::Replaced => flags = VerifyAttrs::empty(),
            FileState::WrongColor => {
                flags -=
                    VerifyAttrs::DIGEST | VerifyAttrs::SIZE | VerifyAttrs::MTIME | VerifyAttrs::RDEV
            }
            FileState::Normal | FileState::Missing => {}
        }
        let mut out = FileOutcome {
            checked: true,
            ..FileOutcome::default()
        };
        let path = rec.path.as_path();
        // dpkg records no file types (`mode` 0, "type unknown"): a digest
        // there is of a regular file, so like debsums the file is read
        // through a final symlink (resolved inside ROOT), and anything else
        // at the end is a digest that cannot be computed (`?`).
        let type_unknown = rec.mode & S_IFMT == 0 && flags.contains(VerifyAttrs::DIGEST);
        let found = if type_unknown {
            self.root.lookup_follow(path)
        } else {
            self.root.lookup(path)
        };
        let entry = match found {
            Ok(e) => e,
            Err(err) => {
                out.finding = self.lookup_failed(rec, &err);
                return out;
            }
        };
        let mut st = entry.stat;
        let rec_type = rec.mode & S_IFMT;

        // rpm: a directory replaced by a symlink to a directory owned by
        // root or the recorded owner is verified as that directory.
        let mut followed = None;
        if rec_type == S_IFDIR
            && st.is_symlink()
            && let Ok(target) = self.root.lookup_follow(path)
            && target.stat.is_dir()
            && (st.uid == 0 || self.accounts.user_id(&rec.user) == Some(st.uid))
        {
            st = target.stat;
            followed = Some(target);
        }
        let entry = followed.unwrap_or(entry);

        // What can be compared depends on the type found on disk (rpm 4.18
        // `rpmfilesVerify`): content only for regular files, the link target
        // only for symlinks, permissions for everything but symlinks.
        match st.file_type() {
            _ if type_unknown => {}
            S_IFDIR | rootfs::S_IFIFO | S_IFCHR | S_IFBLK => {
                flags -= VerifyAttrs::DIGEST
                    | VerifyAttrs::SIZE
                    | VerifyAttrs::MTIME
                    | VerifyAttrs::LINKTO
                    | VerifyAttrs::CAPS
            }
            S_IFLNK => {
                flags -= VerifyAttrs::DIGEST
                    | VerifyAttrs::SIZE
                    | VerifyAttrs::MTIME
                    | VerifyAttrs::MODE
                    | VerifyAttrs::CAPS
            }
            _ => flags -= VerifyAttrs::LINKTO,
        }
        let ghost = rec.flags.contains(FileFlags::GHOST);
        if ghost {
            flags -=
                VerifyAttrs::DIGEST | VerifyAttrs::SIZE | VerifyAttrs::MTIME | VerifyAttrs::LINKTO;
        }

        let mut v = Verify::default();
        let mut expected = FileAttrs::default();
        let mut actual = FileAttrs::default();
        let mut size = st.size;
        let mut read_error: Option<io::Error> = None;
        // The regular file, once opened for its digest, also answers the
        // xattr questions below (ACL, capabilities).
        let mut opened: Option<File> = None;

        if flags.contains(VerifyAttrs::DIGEST) {
            let sizes = flags.contains(VerifyAttrs::SIZE);
            match self.digest(&entry, path, rec, sizes, &mut opened) {
                DigestResult::Match(n) => {
                    size = n;
                    out.bytes_hashed = n;
                }
                DigestResult::Differs(d, n) => {
                    size = n;
                    out.bytes_hashed = n;
                    v.failed |= VerifyAttrs::DIGEST;
                    expected.digest = Some(Digest {
                        algo: rec.digest_algo,
                        value: rec.digest.clone(),
                    });
                    actual.digest = Some(Digest {
                        algo: rec.digest_algo,
                        value: d.as_bytes().to_vec(),
                    });
                }
                DigestResult::SizeDiffers => {
                    v.failed |= VerifyAttrs::DIGEST;
                    expected.digest = Some(Digest {
                        algo: rec.digest_algo,
                        value: rec.digest.clone(),
                    });
                }
                DigestResult::NoRecordedDigest => {
                    v.failed |= VerifyAttrs::DIGEST;
                    expected.digest = Some(Digest {
                        algo: rec.digest_algo,
                        value: Vec::new(),
                    });
                }
                DigestResult::Unknown(why) => {
                    v.failed |= VerifyAttrs::DIGEST;
                    v.unknown |= VerifyAttrs::DIGEST;
                    if let Unknowable::Io(e) = why {
                        read_error = Some(e);
                    } else if let Unknowable::Algorithm = why {
                        expected.digest = Some(Digest {
                            algo: rec.digest_algo,
                            value: rec.digest.clone(),
                        });
                    }
                }
            }
        }
        // A file written to while it was read has no one content to judge
        // (a package manager, a log, or someone covering tracks): said as
        // such, not as a verdict on bytes that never existed together.
        if let Some(file) = opened.as_ref()
            && out.bytes_hashed > 0
            && let Ok(after) = rootfs::FileStat::of(file)
            && after.times() != entry.stat.times()
        {
            out.finding = Some(FileVerdict {
                kind: FindingKind::FileChangedDuringScan,
                severity: Severity::Medium,
                evidence: Evidence::Unsettled(Box::new(crate::model::Unsettled {
                    flags: rec.flags,
                    before: entry.stat.times(),
                    after: after.times(),
                })),
            });
            return out;
        }
        let mut xattrs = rootfs::Xattrs::new(&entry, opened.as_ref());

        if flags.contains(VerifyAttrs::LINKTO) {
            match entry.read_link() {
                Ok(l) if l == rec.link_to => {}
                Ok(l) => {
                    v.failed |= VerifyAttrs::LINKTO;
                    expected.link = Some(Bytes::from(rec.link_to.as_slice()));
                    actual.link = Some(Bytes::from(l));
                }
                Err(_) => {
                    v.failed |= VerifyAttrs::LINKTO;
                    v.unknown |= VerifyAttrs::LINKTO;
                    expected.link = Some(Bytes::from(rec.link_to.as_slice()));
                }
            }
        }

        if flags.contains(VerifyAttrs::SIZE) && size != rec.size {
            v.failed |= VerifyAttrs::SIZE;
            expected.size = Some(rec.size);
            actual.size = Some(size);
        }

        if flags.contains(VerifyAttrs::MODE) {
            let expected_mode = rpm_expected_mode(self.accounts, &rec.user, &rec.group, rec.mode);
            let (mut want, mut got) = (expected_mode & 0xffff, st.mode & 0xffff);
            if ghost {
                want &= !S_IFMT;
                got &= !S_IFMT;
            }
            let acl = self.has_extended_acl(&entry, &mut xattrs);
            if want != got || acl {
                v.failed |= VerifyAttrs::MODE;
                expected.mode = Some(expected_mode & 0xffff);
                actual.mode = Some(st.mode & 0xffff);
                actual.acl = acl;
            }
        }

        if flags.contains(VerifyAttrs::RDEV) {
            let (rt, at) = (rec_type, st.file_type());
            let is_dev = |t| t == S_IFCHR || t == S_IFBLK;
            let differs = (rt == S_IFCHR) != (at == S_IFCHR)
                || (rt == S_IFBLK) != (at == S_IFBLK)
                || (is_dev(rt) && is_dev(at) && (st.rdev & 0xffff) as u32 != (rec.rdev & 0xffff));
            if differs {
                v.failed |= VerifyAttrs::RDEV;
                expected.rdev = Some(u64::from(rec.rdev));
                actual.rdev = Some(st.rdev);
            }
        }

        if flags.contains(VerifyAttrs::CAPS) {
            match self.caps_differ(&mut xattrs, rec) {
                Ok(None) => {}
                Ok(Some(found)) => {
                    v.failed |= VerifyAttrs::CAPS;
                    expected.caps = Some(rec.caps.clone());
                    actual.caps = Some(found);
                }
                Err(()) => {
                    v.failed |= VerifyAttrs::CAPS;
                    v.unknown |= VerifyAttrs::CAPS;
                    expected.caps = Some(rec.caps.clone());
                }
            }
        }

        if flags.contains(VerifyAttrs::MTIME) && st.mtime != i64::from(rec.mtime) && !shared() {
            v.failed |= VerifyAttrs::MTIME;
            expected.mtime = Some(i64::from(rec.mtime));
            actual.mtime = Some(st.mtime);
        }

        if flags.contains(VerifyAttrs::USER) && !rpm_user_matches(self.accounts, &rec.user, st.uid)
        {
            v.failed |= VerifyAttrs::USER;
            expected.user = Some(Account::Name(Bytes::from(rec.user.as_str())));
            actual.user = Some(
                self.accounts
                    .user_name(st.uid)
                    .map_or(Account::Id(st.uid), |n| Account::Name(Bytes::from(n))),
            );
        }
        if flags.contains(VerifyAttrs::GROUP)
            && !rpm_group_matches(self.accounts, &rec.group, st.gid)
        {
            v.failed |= VerifyAttrs::GROUP;
            expected.group = Some(Account::Name(Bytes::from(rec.group.as_str())));
            actual.group = Some(
                self.accounts
                    .group_name(st.gid)
                    .map_or(Account::Id(st.gid), |n| Account::Name(Bytes::from(n))),
            );
        }

        if v.is_clean() {
            return out;
        }
        let kind = if read_error.is_some() {
            FindingKind::FileUnreadable
        } else {
            FindingKind::FileChanged
        };
        let severity = if kind == FindingKind::FileUnreadable {
            Severity::Medium
        } else {
            changed_severity(rec, &v, &st)
        };
        out.finding = Some(FileVerdict {
            kind,
            severity,
            evidence: Evidence::File(Box::new(FileEvidence {
                verify: v,
                flags: rec.flags,
                recorded_mode: rec.mode,
                found_mode: st.mode,
                expected,
                actual,
                error: read_error.as_ref().map(OsError::from),
                overruled,
            })),
        });
        out
    }

    fn lookup_failed(&self, rec: &FileRecord, err: &io::Error) -> Option<FileVerdict> {
        let missing = matches!(
            err.kind(),
            io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
        );
        let excused = matches!(rec.state, FileState::NotInstalled | FileState::NetShared);
        if missing
            && (excused
                || rec
                    .flags
                    .intersects(FileFlags::MISSINGOK | FileFlags::GHOST))
        {
            return None;
        }
        Some(if missing {
            let severity = if rec.flags.contains(FileFlags::CONFIG) {
                Severity::Low
            } else {
                Severity::Medium
            };
            FileVerdict {
                kind: FindingKind::FileMissing,
                severity,
                evidence: Evidence::Missing { flags: rec.flags },
            }
        } else {
            // rpm prints these as "missing (strerror)"; rootaudit says it could
            // not look, which is what happened.
            FileVerdict {
                kind: FindingKind::FileUnreadable,
                severity: Severity::Medium,
                evidence: Evidence::Unexaminable {
                    flags: rec.flags,
                    error: OsError::from(err),
                },
            }
        })
    }

    /// Hash the file; the opened file is left in `opened` for later checks.
    fn digest(
        &self,
        entry: &rootfs::Entry,
        path: &Path,
        rec: &FileRecord,
        sizes_compared: bool,
        opened: &mut Option<File>,
    ) -> DigestResult {
        if rec.digest.is_empty() {
            return DigestResult::NoRecordedDigest;
        }
        if !entry.stat.is_regular() {
            // Only a socket gets here (other types mask the digest). rpm
            // tries to read it and fails; rootaudit never opens anything but
            // a regular file, and says it could not check.
            return DigestResult::Unknown(Unknowable::NotRegular);
        }
        let file = match self.root.open_regular(entry, path) {
            Ok(f) => opened.insert(f),
            Err(e) => return DigestResult::Unknown(Unknowable::Io(e)),
        };
        // `/proc/self/pagemap` never ends and `/proc/self/environ` is the
        // auditor's own: a file of a kernel pseudo-filesystem (ROOT `/`, or
        // a rescue chroot with `/proc` bound) is the kernel's, not a
        // package's, and is not read.
        // Kernel pseudo-filesystems all sit on anonymous devices (major 0):
        // files on a disk need no `fstatfs` on the hashing path.
        if rustix::fs::major(entry.stat.dev) == 0
            && let Some(fs) = crate::rootfs::pseudo_fs(std::os::fd::AsFd::as_fd(file))
        {
            return DigestResult::Unknown(Unknowable::Io(io::Error::other(format!(
                "on a {fs} file system, whose files are the running kernel's: not read"
            ))));
        }
        // A file of another size than recorded cannot have the recorded
        // content: saying so needs no read, and a huge (or sparse) file
        // planted over a small one cannot stall the audit.
        let computable = !matches!(rec.digest_algo, crate::model::DigestAlgo::Unknown(_));
        if sizes_compared && computable && entry.stat.size != rec.size {
            return DigestResult::SizeDiffers;
        }
        match super::hash::digest_file(file, rec.digest_algo, Some(entry.stat.size), self.throttle)
        {
            Ok(Some((d, n))) if d.as_bytes() == rec.digest => DigestResult::Match(n),
            Ok(Some((d, n))) => DigestResult::Differs(d, n),
            Ok(None) => DigestResult::Unknown(Unknowable::Algorithm),
            Err(e) => DigestResult::Unknown(Unknowable::Io(e)),
        }
    }

    /// `Ok(None)` equal, `Ok(Some(text))` differ (with the on-disk set as
    /// text), `Err` could not read the attribute. Equality is rpm 4.18's
    /// ([`rpm_caps_match`]): a missing side counts as a difference.
    fn caps_differ(
        &self,
        xattrs: &mut rootfs::Xattrs<'_>,
        rec: &FileRecord,
    ) -> Result<Option<String>, ()> {
        let xattr = xattrs.get(SECURITY_CAPABILITY).map_err(|_| ())?;
        if rpm_caps_match(&rec.caps, xattr.as_deref()) {
            return Ok(None);
        }
        Ok(Some(match xattr.as_deref().map(caps::parse_xattr) {
            None => String::new(),
            Some(Ok(set)) => caps::to_text(&set),
            Some(Err(e)) => format!("unreadable ({e})"),
        }))
    }

    /// A POSIX ACL with named users/groups or a mask (libacl's
    /// `acl_equiv_mode() == 1`), which rpm reports as a mode change.
    fn has_extended_acl(&self, entry: &rootfs::Entry, xattrs: &mut rootfs::Xattrs<'_>) -> bool {
        if entry.stat.is_symlink() {
            return false;
        }
        match xattrs.get(POSIX_ACL_ACCESS) {
            Ok(Some(x)) => acl_is_extended(&x),
            _ => false,
        }
    }
}

enum DigestResult {
    Match(u64),
    Differs(super::hash::FileDigest, u64),
    /// Not read: the file's size is not the recorded one, so neither is
    /// its content.
    SizeDiffers,
    NoRecordedDigest,
    Unknown(Unknowable),
}

enum Unknowable {
    NotRegular,
    Algorithm,
    Io(io::Error),
}

/// Parse a `system.posix_acl_access` value: version 2 header, then 8-byte
/// entries `{tag u16, perm u16, id u32}` little-endian.
fn acl_is_extended(x: &[u8]) -> bool {
    const ACL_USER: u16 = 0x02;
    const ACL_GROUP: u16 = 0x08;
    const ACL_MASK: u16 = 0x10;
    if x.len() < 4 {
        return false;
    }
    x[4..].chunks_exact(8).any(|e| {
        matches!(
            u16::from_le_bytes([e[0], e[1]]),
            ACL_USER | ACL_GROUP | ACL_MASK
        )
    })
}

/// Severity of a `file-changed` finding (documented in
/// `docs/report-format.md`).
fn changed_severity(rec: &FileRecord, v: &Verify, st: &FileStat) -> Severity {
    // A record without a type (dpkg) has no recorded permissions either.
    let known = rec.mode & S_IFMT != 0;
    let gained_special = known && (st.mode & !rec.mode & 0o6000) != 0 && st.is_regular();
    if gained_special {
        return Severity::Critical;
    }
    if rec.flags.contains(FileFlags::CONFIG) || rec.flags.contains(FileFlags::GHOST) {
        return Severity::Low;
    }
    let f = v.failed;
    let type_changed = known && (st.mode & S_IFMT) != (rec.mode & S_IFMT);
    if f.intersects(
        VerifyAttrs::DIGEST
            | VerifyAttrs::SIZE
            | VerifyAttrs::LINKTO
            | VerifyAttrs::CAPS
            | VerifyAttrs::RDEV,
    ) || type_changed
    {
        return Severity::High;
    }
    let world_writable_gained = known && (st.mode & !rec.mode & 0o002) != 0;
    if world_writable_gained {
        return Severity::High;
    }
    if f.intersects(VerifyAttrs::MODE | VerifyAttrs::USER | VerifyAttrs::GROUP) {
        return Severity::Medium;
    }
    Severity::Low
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acl_parsing() {
        // version 2, USER_OBJ rw, GROUP_OBJ r, OTHER r
        let mut basic = vec![2, 0, 0, 0];
        for (tag, perm) in [(1u16, 6u16), (4, 4), (0x20, 4)] {
            basic.extend(tag.to_le_bytes());
            basic.extend(perm.to_le_bytes());
            basic.extend(u32::MAX.to_le_bytes());
        }
        assert!(!acl_is_extended(&basic));
        let mut ext = basic.clone();
        ext.extend(0x02u16.to_le_bytes());
        ext.extend(6u16.to_le_bytes());
        ext.extend(1000u32.to_le_bytes());
        assert!(acl_is_extended(&ext));
        assert!(!acl_is_extended(&[1, 2]));
    }

    /// A file of another size than recorded is not read: its content
    /// differs by construction, and a huge sparse file planted over a
    /// small one costs nothing to audit (rootaudit 9, defect 9).
    #[test]
    fn size_mismatch_is_a_content_change_without_reading() {
        use sha2::Digest as _;
        let t = tempfile::tempdir().unwrap();
        let planted = std::fs::File::create(t.path().join("bash")).unwrap();
        planted.set_len(1 << 40).unwrap(); // 1 TiB, sparse
        std::fs::write(t.path().join("small"), b"abcd").unwrap();
        let root = Root::open(t.path()).unwrap();
        let accounts = Accounts::default();
        let check = FileCheck {
            root: &root,
            accounts: &accounts,
            throttle: None,
        };
        let record = |path: &str| {
            let mut r = crate::testutil::file_record(path);
            r.size = 3;
            r.digest_algo = crate::model::DigestAlgo::Sha256;
            r.digest = sha2::Sha256::digest(b"abc").to_vec();
            r.verify = VerifyAttrs::DIGEST | VerifyAttrs::SIZE;
            r
        };
        for path in ["/bash", "/small"] {
            let out = check.verify(&record(path), false);
            assert_eq!(out.bytes_hashed, 0, "{path} was read");
            let v = out.finding.expect("a finding");
            assert_eq!(v.kind, FindingKind::FileChanged);
            assert_eq!(v.severity, Severity::High);
            let Evidence::File(e) = v.evidence else {
                panic!("{:?}", v.evidence)
            };
            assert_eq!(e.verify.to_string(), "S.5......", "{path}");
            assert!(e.actual.digest.is_none());
            assert_eq!(e.expected.digest.unwrap().value, record(path).digest);
        }
        // The same size is hashed as before.
        std::fs::write(t.path().join("same"), b"abd").unwrap();
        let out = check.verify(&record("/same"), false);
        assert_eq!(out.bytes_hashed, 3);
        let Evidence::File(e) = out.finding.unwrap().evidence else {
            panic!()
        };
        assert_eq!(e.verify.to_string(), "..5......");
        assert!(e.actual.digest.is_some());
    }

    /// A file written to while it is hashed is `file-changed-during-scan`,
    /// not a verdict on its content (rootaudit 9, TOCTTOU). The read is
    /// slowed by a throttle so that the write lands in the middle of it.
    #[test]
    fn a_file_written_while_it_is_read_is_not_judged() {
        use sha2::Digest as _;
        const LEN: usize = 1 << 20;
        let t = tempfile::tempdir().unwrap();
        let content = vec![b'x'; LEN];
        std::fs::write(t.path().join("log"), &content).unwrap();
        let root = Root::open(t.path()).unwrap();
        let accounts = Accounts::default();
        // 1 MiB at 2 MiB/s: half a second of reading.
        let throttle = crate::check::throttle::Throttle::new(2.0 * LEN as f64);
        let check = FileCheck {
            root: &root,
            accounts: &accounts,
            throttle: Some(&throttle),
        };
        let mut rec = crate::testutil::file_record("/log");
        rec.size = LEN as u64;
        rec.digest_algo = crate::model::DigestAlgo::Sha256;
        rec.digest = sha2::Sha256::digest(&content).to_vec();
        rec.verify = VerifyAttrs::DIGEST | VerifyAttrs::SIZE;
        let path = t.path().join("log");
        let writer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            // Same size, other bytes: only the times tell.
            let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
            std::os::unix::fs::FileExt::write_all_at(&f, b"y", 0).unwrap();
        });
        let out = check.verify(&rec, false);
        writer.join().unwrap();
        let v = out.finding.expect("a finding");
        assert_eq!(v.kind, FindingKind::FileChangedDuringScan);
        let Evidence::Unsettled(u) = &v.evidence else {
            panic!("{:?}", v.evidence)
        };
        assert_eq!((u.before.size, u.after.size), (LEN as u64, LEN as u64));
        assert!(u.after.mtime_ns > u.before.mtime_ns, "{u:?}");
        // Left alone, the same file is judged (here: its first byte changed).
        let out = check.verify(&rec, false);
        assert_eq!(out.finding.unwrap().kind, FindingKind::FileChanged);
    }

    /// Registered files on a kernel pseudo-filesystem (ROOT `/`, or a
    /// rescue chroot with `/proc` bound) are not read: `pagemap` never
    /// ends, `environ` is the auditor's own (rootaudit 9, defect 6).
    #[test]
    fn pseudo_filesystem_files_are_not_read() {
        let root = Root::open(Path::new("/")).unwrap();
        if root
            .lookup(Path::new("/proc/self/environ"))
            .map(|e| crate::rootfs::pseudo_fs(e.fd()) != Some("proc"))
            .unwrap_or(true)
        {
            return; // no procfs here
        }
        let accounts = Accounts::default();
        let check = FileCheck {
            root: &root,
            accounts: &accounts,
            throttle: None,
        };
        for path in ["/proc/self/environ", "/proc/self/pagemap"] {
            let mut rec = crate::testutil::file_record(path);
            rec.digest_algo = crate::model::DigestAlgo::Sha256;
            rec.digest = vec![0; 32];
            rec.verify = VerifyAttrs::DIGEST;
            let out = check.verify(&rec, false);
            assert_eq!(out.bytes_hashed, 0, "{path} was read");
            let v = out.finding.expect("a finding");
            assert_eq!(v.kind, FindingKind::FileUnreadable, "{path}");
            let Evidence::File(e) = v.evidence else {
                panic!("{:?}", v.evidence)
            };
            assert_eq!(e.verify.to_string(), "..?......");
            let text = e.error.unwrap().text;
            assert!(text.contains("on a proc file system"), "{text}");
        }
    }

    /// FILESTATES lies outside the signed region: "not installed" or
    /// "netshared" on a file that is there, or "replaced" on a file no
    /// other package registers, does not excuse it (rootaudit 9, defect 4).
    #[test]
    fn unsigned_file_states_do_not_hide_a_changed_file() {
        use sha2::Digest as _;
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("bash"), b"trojan").unwrap();
        let root = Root::open(t.path()).unwrap();
        let accounts = Accounts::default();
        let check = FileCheck {
            root: &root,
            accounts: &accounts,
            throttle: None,
        };
        let record = |path: &str, state: FileState| {
            let mut r = crate::testutil::file_record(path);
            r.size = 5;
            r.digest_algo = crate::model::DigestAlgo::Sha256;
            r.digest = sha2::Sha256::digest(b"bash\n").to_vec();
            r.verify = VerifyAttrs::DIGEST | VerifyAttrs::SIZE;
            r.state = state;
            r
        };
        for state in [
            FileState::NotInstalled,
            FileState::NetShared,
            FileState::Replaced,
        ] {
            let out = check.verify(&record("/bash", state), false);
            let v = out
                .finding
                .unwrap_or_else(|| panic!("{state:?} hid the file"));
            assert_eq!(
                (v.kind, v.severity),
                (FindingKind::FileChanged, Severity::High)
            );
            let Evidence::File(e) = &v.evidence else {
                panic!("{:?}", v.evidence)
            };
            assert_eq!(e.overruled, Some(state));
            let f = v.into_finding(
                &record("/bash", state),
                &crate::testutil::package(1, "bash", vec![]).reference(),
            );
            let msg = String::from_utf8(f.message()).unwrap();
            assert!(msg.contains("that state is not signed"), "{msg}");
            let json = serde_json::to_value(&f).unwrap();
            assert!(json["state"].is_string(), "{json}");
        }
        // What rpm's rules are for still holds: an absent "not installed"
        // file is no finding, a shared path's state is believed, and a
        // "replaced" file another package registers is only checked for
        // existence.
        assert!(
            check
                .verify(&record("/gone", FileState::NotInstalled), false)
                .finding
                .is_none()
        );
        assert!(
            check
                .verify(&record("/bash", FileState::NotInstalled), true)
                .finding
                .is_none()
        );
        assert!(
            check
                .verify(&record("/bash", FileState::Replaced), true)
                .finding
                .is_none()
        );
    }
}
