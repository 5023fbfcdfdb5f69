//! What the file-based rpm backends ([`super::bdb`], [`super::ndb`]) share,
//! in the `pkgdb` stage: random access to the database file
//! ([`ReadAt`], opened confined by [`open_db_file`]), the record-level
//! damage they can find ([`StorageFault`], [`Damage`]), and the step that
//! turns extracted header blobs into a [`Database`] ([`into_database`]).
//!
//! A backend's parser never sees a path: it reads bytes through [`ReadAt`],
//! which a `&[u8]` also implements, so the tests can feed it truncated and
//! mutated images from memory. It returns an [`Extracted`]: every record it
//! found (each with its blob, or the [`StorageFault`] that kept the blob
//! from being read) and every piece of damage that cannot be pinned on one
//! record (a broken page chain, an unreadable slot). Nothing it cannot read
//! is dropped: a damaged record becomes a [`MalformedRecord`] and other
//! damage a `header-malformed` note in [`Database::notes`].
//!
//! ```
//! use rootaudit::pkgdb::rpm::storage::ReadAt;
//! let image: &[u8] = b"RpmP";
//! let mut magic = [0u8; 4];
//! image.read_exact_at(&mut magic, 0)?;
//! assert_eq!(image.size(), 4);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::header::{Header, HeaderError, MAX_DATA, MAX_ENTRIES};
use crate::error::{DatabaseError, Error};
use crate::model::evidence::HeaderEvidence;
use crate::model::evidence::header::DamageSite;
use crate::model::{About, Evidence, Finding, FindingKind, Severity, VerifyAttrs};
use crate::pkgdb::{Database, DbFormat, PassOutcome};
use crate::rootfs::Root;

/// Largest database file rootaudit reads (8 GiB). Real rpm databases are a
/// few hundred MiB at most; anything larger is refused with
/// [`DatabaseError::TooLarge`] rather than walked page by page.
pub const MAX_DB_FILE: u64 = 8 << 30;

/// Largest header blob an rpm database can hold: the 8-byte `il`/`dl`
/// preamble, [`MAX_ENTRIES`] index entries and [`MAX_DATA`] data bytes.
/// A record claiming more is damaged ([`StorageFault::TooLarge`]) and is
/// not allocated.
pub const MAX_RECORD: u64 = 8 + 16 * MAX_ENTRIES as u64 + MAX_DATA as u64;

/// Random access to the bytes of a database file (or of an image of one in
/// memory).
pub trait ReadAt {
    /// The file's size in bytes, as examined when it was opened.
    fn size(&self) -> u64;
    /// Fill `buf` from `offset`; an error when the bytes are not all there.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
}

impl ReadAt for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| eof())?;
        let end = start.checked_add(buf.len()).ok_or_else(eof)?;
        let src = self.get(start..end).ok_or_else(eof)?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

fn eof() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "read past the end of the file",
    )
}

/// A database file opened for reading, with the size it had when examined.
#[derive(Debug)]
pub struct DbFile {
    file: File,
    size: u64,
}

impl ReadAt for DbFile {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        if offset
            .checked_add(buf.len() as u64)
            .is_none_or(|end| end > self.size)
        {
            return Err(eof());
        }
        // A file that shrank under us fails here with UnexpectedEof.
        FileExt::read_exact_at(&self.file, buf, offset)
    }
}

/// The absolute in-target path of `rel`, as reported in [`Database::path`].
pub fn target_path(rel: &Path) -> PathBuf {
    Path::new("/").join(rel.strip_prefix("/").unwrap_or(rel))
}

/// Open the database file `rel` inside ROOT for reading: resolved confined
/// to ROOT (a final symlink is followed, inside ROOT), a regular file only,
/// at most [`MAX_DB_FILE`] bytes. Nothing is written and no lock is taken.
pub fn open_db_file(root: &Root, rel: &Path) -> Result<DbFile, Error> {
    let fail = |reason: DatabaseError| Error::Database {
        path: target_path(rel),
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
    let file = root.open_regular(&entry, rel).map_err(|e| fail(e.into()))?;
    Ok(DbFile {
        file,
        size: entry.stat.size,
    })
}

/// Why one stored record (or one part of the file's structure) could not be
/// read intact. Carried by [`HeaderError::Storage`] for a record and by
/// [`Damage`] otherwise.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StorageFault {
    /// A page number points past the end of the file.
    #[error("page {page} lies beyond the end of the file ({pages} pages)")]
    PageOutOfRange {
        /// The page referred to.
        page: u64,
        /// Whole pages in the file.
        pages: u64,
    },
    /// A page's own page-number field disagrees with where it was read.
    #[error("page {page} claims to be page {found}")]
    PageNumberMismatch {
        /// Where the page was read.
        page: u64,
        /// The number it carries.
        found: u64,
    },
    /// A page has the wrong type for where it was reached.
    #[error("page {page} has page type {found}, expected {expected}")]
    PageType {
        /// The page.
        page: u64,
        /// Its type byte.
        found: u8,
        /// The type that belongs there.
        expected: u8,
    },
    /// A page carries page number 0, which BerkeleyDB reads as an empty
    /// page, yet holds data (whatever it holds is invisible to rpm too).
    #[error("page {page} carries page number 0 (read as empty by BerkeleyDB) but is not blank")]
    BlankPageNotEmpty {
        /// The page.
        page: u64,
    },
    /// A page was reached a second time (a cycle in a page chain, or a page
    /// claimed by two chains).
    #[error("page {page} is reached twice (a cycle or a shared page)")]
    PageRevisited {
        /// The page.
        page: u64,
    },
    /// A page's item count or free-space pointer does not fit the page.
    #[error("page {page}: {entries} items do not fit the page")]
    PageEntries {
        /// The page.
        page: u64,
        /// Its item count.
        entries: u64,
    },
    /// An item's offset or length leaves the page.
    #[error("page {page}: item {index} lies outside the page")]
    ItemOutOfBounds {
        /// The page.
        page: u64,
        /// The item's position in the page index.
        index: u64,
    },
    /// An item has a type this format does not define.
    #[error("page {page}: item {index} has unknown item type {kind}")]
    ItemType {
        /// The page.
        page: u64,
        /// The item's position in the page index.
        index: u64,
        /// Its type byte.
        kind: u8,
    },
    /// A record's data is an off-page duplicate tree, which rpm never
    /// writes and rootaudit does not read.
    #[error("page {page}: item {index} is an off-page duplicate set (never written by rpm)")]
    OffPageDuplicates {
        /// The page.
        page: u64,
        /// The item's position in the page index.
        index: u64,
    },
    /// An on-page duplicate set is not a sequence of length-framed values.
    #[error("page {page}: item {index} is a malformed duplicate set")]
    DuplicateSet {
        /// The page.
        page: u64,
        /// The item's position in the page index.
        index: u64,
    },
    /// A page holds an odd number of items: the last key has no data.
    #[error("page {page}: {entries} items, so the last key has no data")]
    UnpairedItem {
        /// The page.
        page: u64,
        /// Its item count.
        entries: u64,
    },
    /// A record key is not the 4-byte header instance number.
    #[error("page {page}: item {index} is a {len}-byte key, expected a 4-byte header number")]
    KeyLength {
        /// The page.
        page: u64,
        /// The key's position in the page index.
        index: u64,
        /// Its length.
        len: u64,
    },
    /// An overflow chain ends before (or holds more than) the length its
    /// item announces.
    #[error("overflow chain from page {page} holds {found} bytes, its item announces {expected}")]
    OverflowLength {
        /// First page of the chain.
        page: u64,
        /// The announced length.
        expected: u64,
        /// The bytes found before the chain ended.
        found: u64,
    },
    /// A record claims more bytes than any rpm header can have.
    #[error("record of {len} bytes is larger than any rpm header ({max} bytes)")]
    TooLarge {
        /// The claimed length.
        len: u64,
        /// [`MAX_RECORD`].
        max: u64,
    },
    /// A second record with a header number already read (rpm never
    /// stores two).
    #[error("header number {record} is stored more than once")]
    DuplicateRecord {
        /// The repeated number.
        record: u64,
    },
    /// NDB slots that do not start with the `Slot` magic: `count`
    /// consecutive ones from `slot` (a zeroed or garbage region is one
    /// fault, however many slots it spans).
    #[error(
        "{}: bad slot magic {found:#010x}{}",
        if *count == 1 { format!("slot {slot}") } else { format!("slots {slot}-{}", slot + count - 1) },
        if *count == 1 { "" } else { " (the first)" }
    )]
    SlotMagic {
        /// The first slot's number (0 and 1 hold the file header).
        slot: u64,
        /// The value the first one holds.
        found: u32,
        /// How many consecutive slots have a bad magic.
        count: u64,
    },
    /// An NDB slot in use names package index 0.
    #[error("slot {slot}: in use but names header number 0")]
    SlotIndexZero {
        /// The slot's number.
        slot: u64,
    },
    /// An NDB slot's blocks lie outside the blob area of the file.
    #[error(
        "slot {slot}: blocks {blkoff}..+{blkcnt} lie outside the blob area \
         (blocks {first}..{end})"
    )]
    SlotRange {
        /// The slot's number.
        slot: u64,
        /// First 16-byte block of its blob.
        blkoff: u64,
        /// Number of blocks.
        blkcnt: u64,
        /// First block after the slot pages.
        first: u64,
        /// Blocks in the file.
        end: u64,
    },
    /// An NDB slot's blocks overlap the blob of another slot.
    #[error("slot {slot}: its blob overlaps the blob of slot {other}")]
    SlotOverlap {
        /// The slot's number.
        slot: u64,
        /// The slot whose blob it overlaps.
        other: u64,
    },
    /// An NDB blob does not start with the `BlbS` magic.
    #[error("blob at block {blkoff}: bad head magic {found:#010x}")]
    BlobHeadMagic {
        /// The blob's first block.
        blkoff: u64,
        /// The value found.
        found: u32,
    },
    /// An NDB blob names another header number than its slot.
    #[error("blob at block {blkoff}: belongs to header number {found}")]
    BlobIndex {
        /// The blob's first block.
        blkoff: u64,
        /// The header number in the blob.
        found: u32,
    },
    /// An NDB blob's length does not match its slot's block count.
    #[error("blob at block {blkoff}: {len} bytes do not fill its {blkcnt} blocks")]
    BlobLength {
        /// The blob's first block.
        blkoff: u64,
        /// Its announced length.
        len: u64,
        /// Its slot's block count.
        blkcnt: u64,
    },
    /// An NDB blob's trailer does not repeat its length or lacks the `BlbE`
    /// magic.
    #[error("blob at block {blkoff}: bad trailer (length {len}, magic {magic:#010x})")]
    BlobTrailer {
        /// The blob's first block.
        blkoff: u64,
        /// The length in the trailer.
        len: u32,
        /// The magic in the trailer.
        magic: u32,
    },
    /// An NDB blob's Adler-32 checksum does not match its bytes.
    #[error("blob at block {blkoff}: checksum {stored:#010x} stored, {computed:#010x} computed")]
    Checksum {
        /// The blob's first block.
        blkoff: u64,
        /// The checksum in the trailer.
        stored: u32,
        /// The checksum of the bytes.
        computed: u32,
    },
}

/// Where in the file a piece of [`Damage`] was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Site {
    /// A BerkeleyDB hash bucket (records stored there were lost).
    Bucket {
        /// The bucket.
        bucket: u64,
    },
    /// An NDB slot.
    Slot {
        /// The slot's number.
        slot: u64,
    },
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Site::Bucket { bucket } => write!(f, "hash bucket {bucket}"),
            Site::Slot { slot } => write!(f, "slot {slot}"),
        }
    }
}

/// Damage that cannot be pinned on one record: whatever was stored at
/// [`Damage::site`] could not be read (how many records, and which, is not
/// knowable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// Where.
    pub site: Site,
    /// What.
    pub fault: StorageFault,
}

/// One record a backend found: its key and its blob, or why the blob could
/// not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawRecord {
    /// The header instance number (the record key).
    pub record: u64,
    /// The header blob as stored.
    pub blob: Result<Vec<u8>, StorageFault>,
}

/// Everything a backend read from its file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extracted {
    /// Records in database order.
    pub records: Vec<RawRecord>,
    /// Damage not attributable to one record.
    pub damage: Vec<Damage>,
}

/// An extractor: a backend's whole-file walk, handing over each record as
/// it is read and returning the damage met ([`super::bdb::extract_each`],
/// [`super::ndb::extract_each`]).
pub type Extractor = fn(&DbFile, &mut dyn FnMut(RawRecord)) -> Result<Vec<Damage>, DatabaseError>;

/// A BerkeleyDB or NDB file opened for reading (see
/// [`crate::pkgdb::Source`]). Every pass walks the file again; a record's
/// blob is held only until its batch is parsed.
pub struct Stored {
    format: DbFormat,
    path: PathBuf,
    file: DbFile,
    extract: Extractor,
}

impl fmt::Debug for Stored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stored")
            .field("format", &self.format)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Stored {
    /// Open `rel` (inside ROOT): confined, a regular file, at most
    /// [`MAX_DB_FILE`] bytes. A file `extract` cannot read is an error of
    /// the first pass.
    pub fn open(
        root: &Root,
        rel: &Path,
        format: DbFormat,
        extract: Extractor,
    ) -> Result<Stored, Error> {
        let path = target_path(rel);
        let file = open_db_file(root, rel)?;
        Ok(Stored {
            format,
            path,
            file,
            extract,
        })
    }

    /// The format.
    pub fn format(&self) -> DbFormat {
        self.format
    }

    /// The path inside the target.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One pass over every record (see [`crate::pkgdb::Source::read`]).
    pub fn read(
        &self,
        each: &mut (dyn FnMut(&[crate::pkgdb::Package]) + Send),
    ) -> Result<PassOutcome, Error> {
        let mut asm = Assembler::new(self.format, each);
        let damage = (self.extract)(&self.file, &mut |r| asm.record(r)).map_err(|reason| {
            Error::Database {
                path: self.path.clone(),
                reason,
            }
        })?;
        Ok(asm.finish(&self.path, &damage))
    }
}

/// Read everything `extract` finds in the database file `rel` (inside ROOT)
/// into memory.
pub fn read_with(
    root: &Root,
    rel: &Path,
    format: DbFormat,
    extract: Extractor,
) -> Result<Database, Error> {
    crate::pkgdb::Source::stored(Stored::open(root, rel, format, extract)?).load(root)
}

/// Turn extracted records into a [`Database`]: each blob parsed with
/// [`super::read_record`]; a blob that could not be read, or a second
/// record with a number already seen, becomes a [`MalformedRecord`]; other
/// damage becomes a `header-malformed` note.
pub fn into_database(format: DbFormat, path: PathBuf, extracted: Extracted) -> Database {
    let mut packages = Vec::new();
    let outcome = stream(format, &path, extracted, &mut |b| {
        packages.extend_from_slice(b)
    });
    Database {
        format,
        path,
        packages,
        malformed: outcome.malformed,
        read_wal: false,
        attributes: VerifyAttrs::all(),
        also_found: Vec::new(),
        notes: outcome.notes,
    }
}

/// [`into_database`] a batch at a time: packages go to `each`.
fn stream(
    format: DbFormat,
    path: &Path,
    extracted: Extracted,
    each: &mut (dyn FnMut(&[crate::pkgdb::Package]) + Send),
) -> PassOutcome {
    let mut asm = Assembler::new(format, each);
    for r in extracted.records {
        asm.record(r);
    }
    asm.finish(path, &extracted.damage)
}

/// Turns raw records, as an extractor reads them, into batches of
/// packages (parsed in parallel on the current rayon pool) and malformed
/// records: a blob that could not be read, or a second record with a number
/// already seen, is malformed.
struct Assembler<'e> {
    format: DbFormat,
    each: &'e mut (dyn FnMut(&[crate::pkgdb::Package]) + Send),
    seen: HashSet<u64>,
    batch: Vec<(u64, Vec<u8>)>,
    batch_bytes: usize,
    outcome: PassOutcome,
}

impl<'e> Assembler<'e> {
    fn new(
        format: DbFormat,
        each: &'e mut (dyn FnMut(&[crate::pkgdb::Package]) + Send),
    ) -> Assembler<'e> {
        Assembler {
            format,
            each,
            seen: HashSet::new(),
            batch: Vec::with_capacity(crate::pkgdb::BATCH),
            batch_bytes: 0,
            outcome: PassOutcome::default(),
        }
    }

    fn record(&mut self, RawRecord { record, blob }: RawRecord) {
        let first = self.seen.insert(record);
        let blob = match blob {
            Ok(b) => b,
            Err(fault) => {
                self.outcome.malformed.push(super::malformed(
                    record,
                    HeaderError::Storage(fault),
                    None,
                ));
                return;
            }
        };
        if !first {
            self.outcome.malformed.push(super::malformed(
                record,
                HeaderError::Storage(StorageFault::DuplicateRecord { record }),
                Header::parse(&blob).ok(),
            ));
            return;
        }
        self.batch_bytes += blob.len();
        self.batch.push((record, blob));
        if self.batch.len() == crate::pkgdb::BATCH || self.batch_bytes >= crate::pkgdb::BATCH_BYTES
        {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.batch.is_empty() {
            let packages = super::read_records(&mut self.batch, &mut self.outcome.malformed);
            (self.each)(&packages);
        }
        self.batch_bytes = 0;
    }

    /// The last batch, and a `header-malformed` note for each piece of
    /// `damage` to the file at `path`.
    fn finish(mut self, path: &Path, damage: &[Damage]) -> PassOutcome {
        self.flush();
        let format = self.format;
        self.outcome.notes = damage
            .iter()
            .map(|d| {
                Finding::new(
                    FindingKind::HeaderMalformed,
                    Severity::High,
                    About::path(path).scope(format!("{}-{}", format.as_str(), d.site)),
                    Evidence::Header(HeaderEvidence::DatabaseDamaged {
                        format: format.as_str().to_string(),
                        site: match d.site {
                            Site::Bucket { bucket } => DamageSite::Bucket { bucket },
                            Site::Slot { slot } => DamageSite::Slot { slot },
                        },
                        error: d.fault.to_string(),
                    }),
                )
            })
            .collect();
        self.outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_reads_are_bounded() {
        let data: &[u8] = &[1, 2, 3, 4];
        let mut buf = [0u8; 2];
        data.read_exact_at(&mut buf, 2).unwrap();
        assert_eq!(buf, [3, 4]);
        assert!(data.read_exact_at(&mut buf, 3).is_err());
        assert!(data.read_exact_at(&mut buf, u64::MAX).is_err());
    }

    #[test]
    fn damaged_and_duplicate_records_are_malformed_and_damage_is_noted() {
        let ex = Extracted {
            records: vec![
                RawRecord {
                    record: 7,
                    blob: Err(StorageFault::PageRevisited { page: 3 }),
                },
                RawRecord {
                    record: 8,
                    blob: Ok(vec![0, 0]),
                },
            ],
            damage: vec![Damage {
                site: Site::Bucket { bucket: 2 },
                fault: StorageFault::PageOutOfRange { page: 9, pages: 4 },
            }],
        };
        let db = into_database(
            DbFormat::RPM_BDB,
            PathBuf::from("/var/lib/rpm/Packages"),
            ex,
        );
        assert!(db.packages.is_empty());
        assert_eq!(db.malformed.len(), 2);
        assert_eq!(
            db.malformed[0].error.downcast_ref::<HeaderError>(),
            Some(&HeaderError::Storage(StorageFault::PageRevisited {
                page: 3
            }))
        );
        assert!(matches!(
            db.malformed[1].error.downcast_ref::<HeaderError>(),
            Some(HeaderError::Truncated { .. })
        ));
        assert_eq!(db.notes.len(), 1);
        assert_eq!(db.notes[0].kind, FindingKind::HeaderMalformed);
        let message = String::from_utf8_lossy(&db.notes[0].message()).into_owned();
        assert!(
            message.starts_with("rpm-bdb database damaged at hash bucket 2: ")
                && message.ends_with("; whatever records were stored there could not be read"),
            "{message}"
        );
        assert_eq!(
            db.notes[0].path.as_ref().map(|p| p.as_bytes()),
            Some(&b"/var/lib/rpm/Packages"[..])
        );
        assert_eq!(
            db.notes[0].id,
            crate::model::FindingId::derive(
                FindingKind::HeaderMalformed,
                b"rpm-bdb-hash bucket 2",
                b"/var/lib/rpm/Packages"
            )
        );
        let json = serde_json::to_value(&db.notes[0]).unwrap();
        assert_eq!(json["problem"], "database-damaged");
        assert_eq!(json["site"]["bucket"], 2);
    }
}
