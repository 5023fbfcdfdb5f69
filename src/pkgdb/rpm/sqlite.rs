//! RPM's SQLite backend (`rpmdb.sqlite`, table `Packages(hnum, blob)`), read
//! without writing a byte into the target.
//!
//! SQLite writes even when asked to read (a WAL-mode database gets a
//! `-shm` file created beside it, and a hot journal is rolled back), and it
//! opens files by *path*: given `/proc/self/fd/N` it resolves the link into
//! the host's path of the file and opens that, so a target that swaps a
//! directory for a symlink at the right moment would have it read a host
//! database. So SQLite never opens anything in the target:
//!
//! * the database file is examined inside ROOT (through [`Root`], a
//!   regular file, at most [`MAX_DB_FILE`] bytes) and copied from that very
//!   descriptor, holes kept, into a private `0700` directory of the host's
//!   `$TMPDIR`;
//! * without a non-empty `rpmdb.sqlite-wal`, the copy is opened read-only
//!   with `immutable=1`;
//! * with one, the WAL is copied beside it the same way and the copy opened
//!   read-write, so transactions still in the WAL (rpm died before a
//!   checkpoint) are seen.
//!
//! The private directory goes with the [`Reader`].

use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::error::{DatabaseError, Error};
use crate::pkgdb::rpm::storage::MAX_DB_FILE;
use crate::pkgdb::{Database, PassOutcome};
use crate::rootfs::Root;

/// SQLite refusing the file (not a database, corrupt, no `Packages`
/// table) makes the whole database unusable: rusqlite's error becomes the
/// source of a [`DatabaseError::Format`] named `sqlite`.
impl From<rusqlite::Error> for DatabaseError {
    fn from(e: rusqlite::Error) -> DatabaseError {
        DatabaseError::format("sqlite", e)
    }
}

/// Read every header of the sqlite rpmdb at `rel` (inside ROOT) into
/// memory.
pub fn read(root: &Root, rel: &Path) -> Result<Database, Error> {
    crate::pkgdb::Source::sqlite(Reader::open(root, rel)?).load(root)
}

/// An rpm sqlite database opened for reading (see [`crate::pkgdb::Source`]).
pub struct Reader {
    path: PathBuf,
    /// SQLite connections are not `Sync`; a pass holds the lock.
    conn: std::sync::Mutex<Connection>,
    /// The private copy's directory, removed when the reader is dropped
    /// (after `conn`, which is declared first).
    _tmp: tempfile::TempDir,
    read_wal: bool,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("path", &self.path)
            .field("read_wal", &self.read_wal)
            .finish_non_exhaustive()
    }
}

impl Reader {
    /// Open the sqlite rpmdb at `rel` (inside ROOT).
    pub fn open(root: &Root, rel: &Path) -> Result<Reader, Error> {
        let abs = Path::new("/").join(rel.strip_prefix("/").unwrap_or(rel));
        let fail = |reason: DatabaseError| Error::Database {
            path: abs.clone(),
            reason,
        };
        let entry = root.lookup_follow(rel).map_err(|e| fail(e.into()))?;
        if !entry.stat.is_regular() {
            return Err(fail(DatabaseError::NotRegular));
        }
        if entry.stat.size > MAX_DB_FILE {
            return Err(fail(DatabaseError::TooLarge {
                size: entry.stat.size,
                max: MAX_DB_FILE,
            }));
        }
        let wal_rel = sibling(rel, "-wal");
        let wal = root
            .lookup_follow(&wal_rel)
            .ok()
            .filter(|w| w.stat.is_regular() && w.stat.size > 0);

        let tmp = private_tempdir().map_err(|e| fail(e.into()))?;
        let db_copy = tmp.path().join("rpmdb.sqlite");
        copy_entry(root, &entry, rel, &db_copy).map_err(|e| fail(e.into()))?;
        let read_wal = wal.is_some();
        let conn = match wal {
            Some(w) => {
                if w.stat.size > MAX_DB_FILE {
                    return Err(fail(DatabaseError::TooLarge {
                        size: w.stat.size,
                        max: MAX_DB_FILE,
                    }));
                }
                let wal_copy = tmp.path().join("rpmdb.sqlite-wal");
                copy_entry(root, &w, &wal_rel, &wal_copy).map_err(|e| fail(e.into()))?;
                Connection::open_with_flags(
                    &db_copy,
                    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
            }
            None => {
                // A URI keeps `immutable=1` (no locks, no journal); the
                // private path is ours, but escape what a URI treats
                // specially all the same.
                let path = db_copy
                    .to_string_lossy()
                    .replace('%', "%25")
                    .replace('?', "%3f");
                Connection::open_with_flags(
                    format!("file:{path}?mode=ro&immutable=1"),
                    OpenFlags::SQLITE_OPEN_READ_ONLY
                        | OpenFlags::SQLITE_OPEN_URI
                        | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
            }
        }
        .map_err(|e| fail(e.into()))?;
        Ok(Reader {
            path: abs,
            conn: std::sync::Mutex::new(conn),
            _tmp: tmp,
            read_wal,
        })
    }

    /// The database's path inside the target.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the WAL is read through a private copy.
    pub fn read_wal(&self) -> bool {
        self.read_wal
    }

    /// One pass over every record, in header-number order (see
    /// [`crate::pkgdb::Source::read`]).
    pub fn read(
        &self,
        each: &mut (dyn FnMut(&[crate::pkgdb::Package]) + Send),
    ) -> Result<PassOutcome, Error> {
        let fail = |reason: DatabaseError| Error::Database {
            path: self.path.clone(),
            reason,
        };
        let conn = self
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut outcome = PassOutcome::default();
        let mut stmt = conn
            .prepare_cached("SELECT hnum, blob FROM Packages ORDER BY hnum")
            .map_err(|e| fail(e.into()))?;
        let mut rows = stmt.query([]).map_err(|e| fail(e.into()))?;
        // SQLite is read in order on this thread; headers are parsed a
        // batch at a time on the worker pool.
        let mut batch = Vec::with_capacity(crate::pkgdb::BATCH);
        let mut batch_bytes = 0;
        while let Some(row) = rows.next().map_err(|e| fail(e.into()))? {
            let hnum: i64 = row.get(0).map_err(|e| fail(e.into()))?;
            let blob = row.get_ref(1).map_err(|e| fail(e.into()))?;
            let record = hnum as u64;
            let bytes = match blob {
                rusqlite::types::ValueRef::Blob(b) => b,
                _ => &[][..],
            };
            batch_bytes += bytes.len();
            batch.push((record, bytes.to_vec()));
            if batch.len() == crate::pkgdb::BATCH || batch_bytes >= crate::pkgdb::BATCH_BYTES {
                each(&super::read_records(&mut batch, &mut outcome.malformed));
                batch_bytes = 0;
            }
        }
        if !batch.is_empty() {
            each(&super::read_records(&mut batch, &mut outcome.malformed));
        }
        Ok(outcome)
    }
}

fn sibling(rel: &Path, suffix: &str) -> PathBuf {
    let mut s = rel.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn private_tempdir() -> io::Result<tempfile::TempDir> {
    // tempfile creates directories 0700.
    tempfile::Builder::new().prefix("rootaudit-db.").tempdir()
}

/// Copy the file examined at `entry` (the target's `rel`) from its own
/// descriptor to the private `dest` (mode 0600), keeping its holes: only
/// the extents that hold data are read and written, so a sparse
/// multi-gigabyte `-wal` planted in the target costs what it really holds,
/// not what its size claims.
fn copy_entry(
    root: &Root,
    entry: &crate::rootfs::Entry,
    rel: &Path,
    dest: &Path,
) -> io::Result<()> {
    let mut src = root.open_regular(entry, rel)?;
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dest)?;
    copy_sparse(&mut src, &mut out)?;
    out.flush()
}

/// Copy `src` to `out` extent by extent (`SEEK_DATA`/`SEEK_HOLE`), then give
/// `out` the length of `src`; holes stay holes. A file system without
/// `SEEK_DATA` reports the whole file as one extent.
fn copy_sparse(src: &mut std::fs::File, out: &mut std::fs::File) -> io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let len = src.metadata()?.len();
    let mut pos = 0u64;
    while pos < len {
        let data = match rustix::fs::seek(&*src, rustix::fs::SeekFrom::Data(pos)) {
            Ok(d) => d,
            Err(rustix::io::Errno::NXIO) => break, // only a hole is left
            Err(e) => return Err(e.into()),
        };
        let hole = rustix::fs::seek(&*src, rustix::fs::SeekFrom::Hole(data))?.min(len);
        src.seek(SeekFrom::Start(data))?;
        out.seek(SeekFrom::Start(data))?;
        let copied = io::copy(&mut (&mut *src).take(hole - data), out)?;
        if copied < hole - data {
            break; // the file shrank while it was copied
        }
        pos = hole;
    }
    out.set_len(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sparse file is copied as what it holds: 4 GiB claimed, two short
    /// extents read and written (rootaudit 9, defect 5).
    #[test]
    fn sparse_copy_keeps_holes() {
        use std::io::{Seek, SeekFrom};
        use std::os::unix::fs::MetadataExt;
        let t = tempfile::tempdir().unwrap();
        let mut src = std::fs::File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(t.path().join("src"))
            .unwrap();
        src.write_all(b"head").unwrap();
        src.set_len(4 << 30).unwrap();
        src.seek(SeekFrom::Start(3 << 30)).unwrap();
        src.write_all(b"tail").unwrap();
        src.seek(SeekFrom::Start(0)).unwrap();
        let mut out = std::fs::File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(t.path().join("out"))
            .unwrap();
        copy_sparse(&mut src, &mut out).unwrap();
        let meta = out.metadata().unwrap();
        assert_eq!(meta.len(), 4 << 30);
        assert!(
            meta.blocks() * 512 < 4 << 20,
            "{} bytes allocated",
            meta.blocks() * 512
        );
        let mut buf = [0u8; 4];
        out.seek(SeekFrom::Start(0)).unwrap();
        out.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"head");
        out.seek(SeekFrom::Start(3 << 30)).unwrap();
        out.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"tail");
        out.seek(SeekFrom::Start(2 << 30)).unwrap();
        out.read_exact(&mut buf).unwrap();
        assert_eq!(buf, [0; 4]);
    }
}
