//! RPM's BerkeleyDB backend (`Packages`: RHEL/CentOS 7–8, SLES 12), read
//! in the `pkgdb` stage straight from the file's pages, without libdb.
//!
//! Why not libdb: it is under the Sleepycat/AGPL licences, it would be a C
//! dependency in a binary that must link statically, and it is a writer at
//! heart — opening an environment creates region files, runs recovery and
//! may rewrite pages. rootaudit must not write a byte into the target, so
//! it reads the file through [`Root`] with `pread` and never takes a lock.
//!
//! The format (BerkeleyDB's hash access method, as rpm uses it):
//!
//! * Page 0 is the hash meta page: the magic `0x061561` (read in both byte
//!   orders; the one that matches is the writer's, and every integer in
//!   the file is in it), version 8–10, page size, `max_bucket` and the
//!   `spares` table that maps bucket *b* to page `b + spares[⌈log2(b+1)⌉]`.
//! * Each bucket is a chain of hash pages (`P_HASH`, `P_HASH_UNSORTED`)
//!   linked by `next_pgno`. A page holds key/data item pairs, found through
//!   an offset index after the 26-byte page header (32 bytes when the file
//!   has page checksums). An item is `H_KEYDATA` (the bytes on the page),
//!   `H_OFFPAGE` (a chain of `P_OVERFLOW` pages holding a large value: most
//!   rpm headers), or a duplicate set (`H_DUPLICATE`; rpm never writes
//!   those, they are read anyway, and a repeated header number is
//!   malformed). Deleted items do not exist on disk: BerkeleyDB compacts a
//!   hash page when it removes a pair.
//! * Keys are the 4-byte header instance number in the writer's byte
//!   order; key 0 holds rpm's instance counter, not a header, and is
//!   skipped (as rpm does). Values are header blobs.
//!
//! Walk order is rpm's `bdb_ro` order: buckets `0..=max_bucket`, each chain
//! in order, so packages come out in the order `rpm -qa` lists them. A page
//! whose page-number field is 0 is read as an empty page, as libdb does
//! (that is how it sees pages it allocated but never wrote); one that is 0
//! but not blank is damage.
//!
//! Hostile files: every page read is bounded by the file size, and every
//! page may be visited once in the whole walk (a second visit — a cycle
//! in a chain, or two chains sharing a page — is
//! [`StorageFault::PageRevisited`]), so the walk ends after at most as
//! many page reads as the file has pages. A broken overflow chain makes
//! its record a [`MalformedRecord`](crate::pkgdb::MalformedRecord); a
//! broken bucket chain or an unreadable key is [`Damage`] (a
//! `header-malformed` note); a file that is not a BerkeleyDB hash database
//! at all is a [`BdbError`]. Page checksums (`DB_CHKSUM`) are skipped over
//! but not verified; encrypted files are refused.
//!
//! ```no_run
//! use rootaudit::pkgdb::rpm::{bdb, storage::ReadAt};
//! let image = std::fs::read("Packages")?;
//! let extracted = bdb::extract(&image[..])?;
//! println!("{} records", extracted.records.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io;
use std::path::Path;

use super::storage::{self, Damage, Extracted, MAX_RECORD, RawRecord, ReadAt, Site, StorageFault};
use crate::error::{DatabaseError, Error};
use crate::pkgdb::{Database, DbFormat};
use crate::rootfs::Root;

/// Hash database magic.
const HASH_MAGIC: u32 = 0x0006_1561;
/// Other BerkeleyDB magics, to say what a non-hash file is.
const OTHER_MAGICS: &[(u32, &str)] = &[
    (0x0005_3162, "btree"),
    (0x0004_2253, "queue"),
    (0x0007_4582, "heap"),
];

/// Bytes of the meta page that are read (the smallest page size).
const META_LEN: usize = 512;
/// Generic page header (`PAGE`): lsn, pgno, prev, next, entries, hf_offset,
/// level, type.
const PAGE_HEADER: usize = 26;
/// Page header plus the checksum area when the file has `DB_CHKSUM`.
const PAGE_HEADER_CHKSUM: usize = 32;
/// `DBMETA_CHKSUM` in the meta page's `metaflags`.
const DBMETA_CHKSUM: u8 = 0x01;

/// Page types.
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;

/// Hash item types.
const H_KEYDATA: u8 = 1;
const H_DUPLICATE: u8 = 2;
const H_OFFPAGE: u8 = 3;
const H_OFFDUP: u8 = 4;
/// Size of an `H_OFFPAGE` item: type, 3 unused bytes, pgno, tlen.
const HOFFPAGE_LEN: usize = 12;

/// Why a `Packages` file cannot be read as a BerkeleyDB hash database at
/// all (exit status 2). Damage inside an otherwise readable file is a
/// [`StorageFault`] instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BdbError {
    /// The file is shorter than a meta page.
    #[error("{size} bytes is too short for a meta page")]
    TooShort {
        /// The file's size.
        size: u64,
    },
    /// No BerkeleyDB magic in either byte order.
    #[error("not a BerkeleyDB file (magic {magic:#010x})")]
    NotBerkeleyDb {
        /// The word where the magic belongs.
        magic: u32,
    },
    /// A BerkeleyDB file of another access method.
    #[error("a BerkeleyDB {method} database, not a hash database")]
    NotHash {
        /// The access method its magic names.
        method: &'static str,
    },
    /// A hash version rootaudit does not know.
    #[error("unsupported hash version {version} (8 to 10 are read)")]
    Version {
        /// The version found.
        version: u32,
    },
    /// The page size is not a power of two from 512 to 65536.
    #[error("invalid page size {size}")]
    PageSize {
        /// The size found.
        size: u32,
    },
    /// The meta page is not a hash meta page.
    #[error("page 0 has page type {found}, not hash meta")]
    MetaType {
        /// Its type byte.
        found: u8,
    },
    /// The file is encrypted (rpm never does that).
    #[error("the database is encrypted (algorithm {alg})")]
    Encrypted {
        /// The encryption algorithm byte.
        alg: u8,
    },
    /// The meta page claims more buckets than the file has pages.
    #[error("{buckets} buckets claimed but the file has {pages} pages (truncated or corrupt)")]
    Buckets {
        /// `max_bucket + 1`.
        buckets: u64,
        /// Whole pages in the file.
        pages: u64,
    },
}

/// A [`BdbError`] makes the whole database unusable: it becomes the source
/// of a [`DatabaseError::Format`] named `berkeleydb`.
impl From<BdbError> for DatabaseError {
    fn from(e: BdbError) -> DatabaseError {
        DatabaseError::format("berkeleydb", e)
    }
}

/// Read every header of the BerkeleyDB `Packages` file at `rel` (inside
/// ROOT).
pub fn read(root: &Root, rel: &Path) -> Result<Database, Error> {
    storage::read_with(root, rel, DbFormat::RPM_BDB, extract_each)
}

/// Open the file at `rel` (inside ROOT) for streaming
/// ([`crate::pkgdb::Source`]).
pub fn open(root: &Root, rel: &Path) -> Result<storage::Stored, Error> {
    storage::Stored::open(root, rel, DbFormat::RPM_BDB, extract_each)
}

/// Walk the hash database in `src` and return every record in it (key 0,
/// rpm's counter, left out) and the damage met on the way. Errors are
/// [`DatabaseError::Format`] carrying a [`BdbError`] for a file that is not
/// a readable hash database and [`DatabaseError::Io`] for a failed read.
pub fn extract<R: ReadAt + ?Sized>(src: &R) -> Result<Extracted, DatabaseError> {
    let mut records = Vec::new();
    let damage = extract_each(src, &mut |r| records.push(r))?;
    Ok(Extracted { records, damage })
}

/// [`extract`], handing each record to `each` as soon as it is read (in the
/// same order) instead of collecting them: a pass then holds one record's
/// blob, not the file's. Returns the damage met.
pub fn extract_each<R: ReadAt + ?Sized>(
    src: &R,
    each: &mut dyn FnMut(RawRecord),
) -> Result<Vec<Damage>, DatabaseError> {
    let meta = Meta::read(src)?;
    let mut walk = Walk {
        src,
        order: meta.order,
        page_size: meta.page_size,
        overhead: meta.overhead,
        pages: meta.pages,
        visited: vec![0u64; meta.pages.div_ceil(64) as usize],
        each,
        damage: Vec::new(),
    };
    // Page 0 is the meta page; nothing may lead back to it.
    walk.mark(0);
    for bucket in 0..=u64::from(meta.max_bucket) {
        // max_bucket < pages keeps this below 32 for any real file.
        let bits = (64 - bucket.leading_zeros()) as usize;
        let first = bucket + u64::from(meta.spares.get(bits).copied().unwrap_or(0));
        walk.bucket(bucket, first).map_err(DatabaseError::Io)?;
    }
    Ok(walk.damage)
}

/// Byte order of the writer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    Little,
    Big,
}

impl Order {
    fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(match self {
            Order::Little => u16::from_le_bytes(s),
            Order::Big => u16::from_be_bytes(s),
        })
    }

    fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(match self {
            Order::Little => u32::from_le_bytes(s),
            Order::Big => u32::from_be_bytes(s),
        })
    }
}

/// What the walk needs from the meta page.
struct Meta {
    order: Order,
    page_size: usize,
    overhead: usize,
    pages: u64,
    max_bucket: u32,
    spares: [u32; 32],
}

impl Meta {
    fn read<R: ReadAt + ?Sized>(src: &R) -> Result<Meta, DatabaseError> {
        let size = src.size();
        if size < META_LEN as u64 {
            return Err(BdbError::TooShort { size }.into());
        }
        let mut m = [0u8; META_LEN];
        src.read_exact_at(&mut m, 0)?;
        let word = |order: Order, at: usize| order.u32(&m, at).unwrap_or(0);
        let order = if word(Order::Little, 12) == HASH_MAGIC {
            Order::Little
        } else if word(Order::Big, 12) == HASH_MAGIC {
            Order::Big
        } else {
            let le = word(Order::Little, 12);
            let be = word(Order::Big, 12);
            return Err(
                match OTHER_MAGICS.iter().find(|(x, _)| *x == le || *x == be) {
                    Some((_, method)) => BdbError::NotHash { method },
                    None => BdbError::NotBerkeleyDb { magic: le },
                }
                .into(),
            );
        };
        let version = word(order, 16);
        if !(8..=10).contains(&version) {
            return Err(BdbError::Version { version }.into());
        }
        let ps = word(order, 20);
        if !(512..=65536).contains(&ps) || !ps.is_power_of_two() {
            return Err(BdbError::PageSize { size: ps }.into());
        }
        if m[24] != 0 {
            return Err(BdbError::Encrypted { alg: m[24] }.into());
        }
        if m[25] != P_HASHMETA {
            return Err(BdbError::MetaType { found: m[25] }.into());
        }
        let overhead = if m[26] & DBMETA_CHKSUM != 0 {
            PAGE_HEADER_CHKSUM
        } else {
            PAGE_HEADER
        };
        let page_size = ps as usize;
        let pages = size / u64::from(ps);
        let max_bucket = word(order, 72);
        if u64::from(max_bucket) >= pages {
            return Err(BdbError::Buckets {
                buckets: u64::from(max_bucket) + 1,
                pages,
            }
            .into());
        }
        let mut spares = [0u32; 32];
        for (i, s) in spares.iter_mut().enumerate() {
            *s = word(order, 96 + 4 * i);
        }
        Ok(Meta {
            order,
            page_size,
            overhead,
            pages,
            max_bucket,
            spares,
        })
    }
}

/// A failed step: the file could not be read (fatal), or its structure is
/// damaged here (recorded, and the walk goes on).
enum Fail {
    Io(io::Error),
    Fault(StorageFault),
}

impl From<io::Error> for Fail {
    fn from(e: io::Error) -> Fail {
        Fail::Io(e)
    }
}

impl From<StorageFault> for Fail {
    fn from(f: StorageFault) -> Fail {
        Fail::Fault(f)
    }
}

/// A hash page as read.
struct Page {
    no: u64,
    bytes: Vec<u8>,
}

/// The state of one walk over the file.
struct Walk<'a, R: ?Sized> {
    src: &'a R,
    order: Order,
    page_size: usize,
    overhead: usize,
    pages: u64,
    /// One bit per page: already read.
    visited: Vec<u64>,
    /// Where records go.
    each: &'a mut dyn FnMut(RawRecord),
    /// Damage met so far.
    damage: Vec<Damage>,
}

impl<R: ReadAt + ?Sized> Walk<'_, R> {
    /// Mark `page` visited; false when it already was.
    fn mark(&mut self, page: u64) -> bool {
        let (w, b) = ((page / 64) as usize, page % 64);
        match self.visited.get_mut(w) {
            Some(word) if *word & (1 << b) == 0 => {
                *word |= 1 << b;
                true
            }
            _ => false,
        }
    }

    /// Read page `no` once, checking its page number. `None` for a page
    /// whose page number is 0 and which is blank (libdb's empty page).
    fn fetch(&mut self, no: u64, expected: &[u8]) -> Result<Option<Page>, Fail> {
        if no >= self.pages {
            return Err(StorageFault::PageOutOfRange {
                page: no,
                pages: self.pages,
            }
            .into());
        }
        if !self.mark(no) {
            return Err(StorageFault::PageRevisited { page: no }.into());
        }
        let mut bytes = vec![0u8; self.page_size];
        self.src
            .read_exact_at(&mut bytes, no * self.page_size as u64)?;
        let found = u64::from(self.order.u32(&bytes, 8).unwrap_or(0));
        if found == 0 {
            if bytes.iter().all(|&b| b == 0) {
                return Ok(None);
            }
            return Err(StorageFault::BlankPageNotEmpty { page: no }.into());
        }
        if found != no {
            return Err(StorageFault::PageNumberMismatch { page: no, found }.into());
        }
        let ty = bytes[25];
        if !expected.contains(&ty) {
            return Err(StorageFault::PageType {
                page: no,
                found: ty,
                expected: expected[0],
            }
            .into());
        }
        Ok(Some(Page { no, bytes }))
    }

    /// Walk one bucket's chain from page `first`.
    fn bucket(&mut self, bucket: u64, first: u64) -> io::Result<()> {
        let site = Site::Bucket { bucket };
        let mut no = first;
        loop {
            let page = match self.fetch(no, &[P_HASH, P_HASH_UNSORTED]) {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(()),
                Err(Fail::Io(e)) => return Err(e),
                Err(Fail::Fault(fault)) => {
                    self.damage.push(Damage { site, fault });
                    return Ok(());
                }
            };
            self.items(site, &page)?;
            no = u64::from(self.order.u32(&page.bytes, 16).unwrap_or(0));
            if no == 0 {
                return Ok(());
            }
        }
    }

    /// Read the key/data pairs of one hash page.
    fn items(&mut self, site: Site, page: &Page) -> io::Result<()> {
        let b = &page.bytes;
        let entries = usize::from(self.order.u16(b, 20).unwrap_or(0));
        let index_end = self.overhead + 2 * entries;
        if index_end > self.page_size {
            self.damage.push(Damage {
                site,
                fault: StorageFault::PageEntries {
                    page: page.no,
                    entries: entries as u64,
                },
            });
            return Ok(());
        }
        if entries % 2 == 1 {
            self.damage.push(Damage {
                site,
                fault: StorageFault::UnpairedItem {
                    page: page.no,
                    entries: entries as u64,
                },
            });
        }
        let (order, overhead, page_size) = (self.order, self.overhead, self.page_size);
        let offset = |i: usize| usize::from(order.u16(b, overhead + 2 * i).unwrap_or(0));
        // Item i spans [offset(i), end(i)): items are packed downwards from
        // the end of the page in index order.
        let span = |i: usize| -> Option<(usize, usize)> {
            let start = offset(i);
            let end = if i == 0 { page_size } else { offset(i - 1) };
            (start >= index_end && start < end && end <= page_size).then_some((start, end))
        };
        for pair in 0..entries / 2 {
            let (k, d) = (2 * pair, 2 * pair + 1);
            let bad = |index: usize| StorageFault::ItemOutOfBounds {
                page: page.no,
                index: index as u64,
            };
            let key = match span(k) {
                Some((s, e)) => self.item(page, k, s, e),
                None => Err(Fail::Fault(bad(k))),
            };
            let key = match key {
                Ok(mut values) if values.len() == 1 && values[0].len() == 4 => values.remove(0),
                Ok(values) => {
                    let len = values.first().map_or(0, Vec::len) as u64;
                    self.damage.push(Damage {
                        site,
                        fault: StorageFault::KeyLength {
                            page: page.no,
                            index: k as u64,
                            len,
                        },
                    });
                    continue;
                }
                Err(Fail::Io(e)) => return Err(e),
                Err(Fail::Fault(fault)) => {
                    self.damage.push(Damage { site, fault });
                    continue;
                }
            };
            let record = u64::from(self.order.u32(&key, 0).unwrap_or(0));
            if record == 0 {
                // rpm's header instance counter, not a header.
                continue;
            }
            let data = match span(d) {
                Some((s, e)) => self.item(page, d, s, e),
                None => Err(Fail::Fault(bad(d))),
            };
            match data {
                Ok(values) => {
                    for v in values {
                        (self.each)(RawRecord {
                            record,
                            blob: Ok(v),
                        });
                    }
                }
                Err(Fail::Io(e)) => return Err(e),
                Err(Fail::Fault(fault)) => (self.each)(RawRecord {
                    record,
                    blob: Err(fault),
                }),
            }
        }
        Ok(())
    }

    /// The value(s) of item `index` at `page[start..end]` (several for a
    /// duplicate set).
    fn item(
        &mut self,
        page: &Page,
        index: usize,
        start: usize,
        end: usize,
    ) -> Result<Vec<Vec<u8>>, Fail> {
        let b = &page.bytes[start..end];
        let (pno, idx) = (page.no, index as u64);
        match b[0] {
            H_KEYDATA => Ok(vec![b[1..].to_vec()]),
            H_OFFPAGE => {
                if b.len() != HOFFPAGE_LEN {
                    return Err(StorageFault::ItemOutOfBounds {
                        page: pno,
                        index: idx,
                    }
                    .into());
                }
                let first = u64::from(self.order.u32(b, 4).unwrap_or(0));
                let len = u64::from(self.order.u32(b, 8).unwrap_or(0));
                Ok(vec![self.overflow(first, len)?])
            }
            H_DUPLICATE => self.duplicates(&b[1..]).ok_or_else(|| {
                StorageFault::DuplicateSet {
                    page: pno,
                    index: idx,
                }
                .into()
            }),
            H_OFFDUP => Err(StorageFault::OffPageDuplicates {
                page: pno,
                index: idx,
            }
            .into()),
            kind => Err(StorageFault::ItemType {
                page: pno,
                index: idx,
                kind,
            }
            .into()),
        }
    }

    /// An on-page duplicate set: values framed as `len, bytes, len`.
    fn duplicates(&self, mut b: &[u8]) -> Option<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        while !b.is_empty() {
            let len = usize::from(self.order.u16(b, 0)?);
            let value = b.get(2..2 + len)?;
            if self.order.u16(b, 2 + len)? != len as u16 {
                return None;
            }
            out.push(value.to_vec());
            b = &b[4 + len..];
        }
        (!out.is_empty()).then_some(out)
    }

    /// Collect `len` bytes from the overflow chain starting at `first`.
    fn overflow(&mut self, first: u64, len: u64) -> Result<Vec<u8>, Fail> {
        if len > MAX_RECORD {
            return Err(StorageFault::TooLarge {
                len,
                max: MAX_RECORD,
            }
            .into());
        }
        // Never allocate more than the file could hold.
        let cap = len.min(self.pages.saturating_mul(self.page_size as u64));
        let mut out = Vec::with_capacity(cap as usize);
        let short = |found: usize| StorageFault::OverflowLength {
            page: first,
            expected: len,
            found: found as u64,
        };
        let mut no = first;
        while (out.len() as u64) < len {
            if no == 0 {
                return Err(short(out.len()).into());
            }
            let Some(page) = self.fetch(no, &[P_OVERFLOW])? else {
                return Err(short(out.len()).into());
            };
            let on_page = usize::from(self.order.u16(&page.bytes, 22).unwrap_or(0));
            let remaining = len - out.len() as u64;
            if on_page == 0
                || self.overhead + on_page > self.page_size
                || on_page as u64 > remaining
            {
                return Err(short(out.len() + on_page).into());
            }
            out.extend_from_slice(&page.bytes[self.overhead..self.overhead + on_page]);
            no = u64::from(self.order.u32(&page.bytes, 16).unwrap_or(0));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
