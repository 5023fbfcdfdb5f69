//! RPM's NDB backend (`Packages.db`: SLES 15, openSUSE before the move to
//! sqlite), read in the `pkgdb` stage straight from the file, read-only.
//!
//! The format (rpm's `lib/backend/ndb/rpmpkg.c`; every integer little
//! endian):
//!
//! * The file starts with a 32-byte header: magic `RpmP`, version 0,
//!   generation, the number of 4096-byte slot pages, the next free package
//!   index.
//! * The slot pages follow the header (it occupies the first two 16-byte
//!   slots of page 0). A slot is magic `Slot`, package index (the header
//!   instance number), first block and block count of its blob, in 16-byte
//!   blocks; a slot with block offset 0 is free.
//! * After the slot pages come the blobs: magic `BlbS`, package index,
//!   generation, length, the header blob, zero padding to the block size,
//!   then a trailer of Adler-32 checksum (over the blob head, blob and
//!   padding), length again and magic `BlbE`.
//!
//! Everything is checked, the checksum included (rpm itself only checks it
//! when verifying the database): a blob that fails any check is a
//! [`MalformedRecord`](crate::pkgdb::MalformedRecord) for its package
//! index, never skipped. A slot too damaged to name a package (bad magic,
//! index 0) is [`Damage`], reported as a `header-malformed` note. A file
//! that is not NDB, or whose slot pages are cut off, is an [`NdbError`].
//! Records come out ordered by blob position, as rpm lists them.
//!
//! The file is read with `pread` through [`Root`]; only the slot pages and
//! each blob's own blocks are read, each bounded by the file size, so a
//! hostile slot cannot make the reader allocate or loop beyond the file.
//!
//! ```no_run
//! use rootaudit::pkgdb::rpm::ndb;
//! let image = std::fs::read("Packages.db")?;
//! let extracted = ndb::extract(&image[..])?;
//! println!("{} records", extracted.records.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::Path;

use super::storage::{self, Damage, Extracted, MAX_RECORD, RawRecord, ReadAt, Site, StorageFault};
use crate::error::{DatabaseError, Error};
use crate::pkgdb::{Database, DbFormat};
use crate::rootfs::Root;

const PKGDB_MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
const SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const BLOBHEAD_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");
const BLOBTAIL_MAGIC: u32 = u32::from_le_bytes(*b"BlbE");

const PKGDB_VERSION: u32 = 0;
const HEADER_SIZE: usize = 32;
const PAGE_SIZE: u64 = 4096;
const SLOT_SIZE: usize = 16;
const BLK_SIZE: u64 = 16;
const BLOBHEAD_SIZE: u64 = 16;
const BLOBTAIL_SIZE: u64 = 12;

/// Why a `Packages.db` file cannot be read as NDB at all (exit status 2).
/// Damage to one slot or blob is a [`StorageFault`] instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NdbError {
    /// The file is shorter than its header.
    #[error("{size} bytes is too short for the file header")]
    TooShort {
        /// The file's size.
        size: u64,
    },
    /// The file does not start with `RpmP`.
    #[error("not an NDB package database (magic {magic:#010x})")]
    Magic {
        /// The first word.
        magic: u32,
    },
    /// A format version other than 0.
    #[error("unsupported NDB version {version}")]
    Version {
        /// The version found.
        version: u32,
    },
    /// The slot pages extend past the end of the file (or there are none).
    #[error("{slot_pages} slot pages announced, the {size}-byte file holds {fit}")]
    SlotPages {
        /// Slot pages the header announces.
        slot_pages: u32,
        /// The file's size.
        size: u64,
        /// Whole pages in the file.
        fit: u64,
    },
}

/// An [`NdbError`] makes the whole database unusable: it becomes the source
/// of a [`DatabaseError::Format`] named `ndb`.
impl From<NdbError> for DatabaseError {
    fn from(e: NdbError) -> DatabaseError {
        DatabaseError::format("ndb", e)
    }
}

/// Read every header of the NDB `Packages.db` file at `rel` (inside ROOT).
pub fn read(root: &Root, rel: &Path) -> Result<Database, Error> {
    storage::read_with(root, rel, DbFormat::RPM_NDB, extract_each)
}

/// Open the file at `rel` (inside ROOT) for streaming
/// ([`crate::pkgdb::Source`]).
pub fn open(root: &Root, rel: &Path) -> Result<storage::Stored, Error> {
    storage::Stored::open(root, rel, DbFormat::RPM_NDB, extract_each)
}

/// One slot in use.
struct Slot {
    no: u64,
    pkgidx: u32,
    blkoff: u64,
    blkcnt: u64,
}

/// Read the slots of the NDB file in `src` and every blob they point to.
/// Errors are [`DatabaseError::Format`] carrying an [`NdbError`] for a file
/// that is not readable NDB and [`DatabaseError::Io`] for a failed read.
pub fn extract<R: ReadAt + ?Sized>(src: &R) -> Result<Extracted, DatabaseError> {
    let mut records = Vec::new();
    let damage = extract_each(src, &mut |r| records.push(r))?;
    Ok(Extracted { records, damage })
}

/// [`extract`], handing each record to `each` as soon as its blob is read
/// (in the same order) instead of collecting them: a pass then holds one
/// blob, not the file's. Returns the damage met.
pub fn extract_each<R: ReadAt + ?Sized>(
    src: &R,
    each: &mut dyn FnMut(RawRecord),
) -> Result<Vec<Damage>, DatabaseError> {
    let size = src.size();
    if size < HEADER_SIZE as u64 {
        return Err(NdbError::TooShort { size }.into());
    }
    let mut head = [0u8; HEADER_SIZE];
    src.read_exact_at(&mut head, 0)?;
    let magic = le32(&head, 0);
    if magic != PKGDB_MAGIC {
        return Err(NdbError::Magic { magic }.into());
    }
    let version = le32(&head, 4);
    if version != PKGDB_VERSION {
        return Err(NdbError::Version { version }.into());
    }
    let slot_pages = le32(&head, 12);
    let fit = size / PAGE_SIZE;
    if slot_pages == 0 || u64::from(slot_pages) > fit {
        return Err(NdbError::SlotPages {
            slot_pages,
            size,
            fit,
        }
        .into());
    }
    // The slot table is read a page at a time: memory does not grow with
    // the page count the header claims (it fits the file, but a sparse
    // file costs its writer nothing).
    let first_blk = u64::from(slot_pages) * PAGE_SIZE / BLK_SIZE;
    let file_blks = size / BLK_SIZE;
    let mut damage: Vec<Damage> = Vec::new();
    let mut slots = Vec::new();
    let mut page = [0u8; PAGE_SIZE as usize];
    let slots_per_page = PAGE_SIZE / SLOT_SIZE as u64;
    for p in 0..u64::from(slot_pages) {
        src.read_exact_at(&mut page, p * PAGE_SIZE)?;
        for (i, raw) in page.chunks_exact(SLOT_SIZE).enumerate() {
            let no = p * slots_per_page + i as u64;
            if no < (HEADER_SIZE / SLOT_SIZE) as u64 {
                continue; // the file header
            }
            let site = Site::Slot { slot: no };
            let found = le32(raw, 0);
            if found != SLOT_MAGIC {
                // Consecutive bad slots are one fault.
                match damage.last_mut() {
                    Some(Damage {
                        fault: StorageFault::SlotMagic { slot, count, .. },
                        ..
                    }) if *slot + *count == no => *count += 1,
                    _ => damage.push(Damage {
                        site,
                        fault: StorageFault::SlotMagic {
                            slot: no,
                            found,
                            count: 1,
                        },
                    }),
                }
                continue;
            }
            let (pkgidx, blkoff, blkcnt) = (
                le32(raw, 4),
                u64::from(le32(raw, 8)),
                u64::from(le32(raw, 12)),
            );
            if blkoff == 0 {
                continue; // free
            }
            if pkgidx == 0 {
                damage.push(Damage {
                    site,
                    fault: StorageFault::SlotIndexZero { slot: no },
                });
                continue;
            }
            slots.push(Slot {
                no,
                pkgidx,
                blkoff,
                blkcnt,
            });
        }
    }
    // rpm lists packages in blob order.
    slots.sort_by_key(|s| (s.blkoff, s.no));
    // End of the last blob read, and its slot: blobs may not overlap, so
    // the reader never reads (or holds) any byte of the file twice.
    let mut last: Option<(u64, u64)> = None;
    for s in slots {
        let blob = if s.blkcnt == 0 || s.blkoff < first_blk || s.blkoff + s.blkcnt > file_blks {
            Err(StorageFault::SlotRange {
                slot: s.no,
                blkoff: s.blkoff,
                blkcnt: s.blkcnt,
                first: first_blk,
                end: file_blks,
            })
        } else if let Some((_, other)) = last.filter(|(end, _)| s.blkoff < *end) {
            Err(StorageFault::SlotOverlap { slot: s.no, other })
        } else {
            last = Some((s.blkoff + s.blkcnt, s.no));
            read_blob(src, &s)?
        };
        each(RawRecord {
            record: u64::from(s.pkgidx),
            blob,
        });
    }
    Ok(damage)
}

/// Read and check the blob of slot `s` (whose blocks lie inside the file).
fn read_blob<R: ReadAt + ?Sized>(
    src: &R,
    s: &Slot,
) -> Result<Result<Vec<u8>, StorageFault>, DatabaseError> {
    let blkoff = s.blkoff;
    let total = s.blkcnt * BLK_SIZE;
    if total < BLOBHEAD_SIZE + BLOBTAIL_SIZE {
        return Ok(Err(StorageFault::BlobLength {
            blkoff,
            len: 0,
            blkcnt: s.blkcnt,
        }));
    }
    let start = blkoff * BLK_SIZE;
    let mut head = [0u8; BLOBHEAD_SIZE as usize];
    src.read_exact_at(&mut head, start)?;
    let found = le32(&head, 0);
    if found != BLOBHEAD_MAGIC {
        return Ok(Err(StorageFault::BlobHeadMagic { blkoff, found }));
    }
    let owner = le32(&head, 4);
    if owner != s.pkgidx {
        return Ok(Err(StorageFault::BlobIndex {
            blkoff,
            found: owner,
        }));
    }
    let len = u64::from(le32(&head, 12));
    if len > MAX_RECORD {
        return Ok(Err(StorageFault::TooLarge {
            len,
            max: MAX_RECORD,
        }));
    }
    if (BLOBHEAD_SIZE + len + BLOBTAIL_SIZE).div_ceil(BLK_SIZE) != s.blkcnt {
        return Ok(Err(StorageFault::BlobLength {
            blkoff,
            len,
            blkcnt: s.blkcnt,
        }));
    }
    // Blob, padding and trailer: bounded by the slot's blocks, which lie in
    // the file, and by MAX_RECORD through the length check above.
    let mut rest = vec![0u8; (total - BLOBHEAD_SIZE) as usize];
    src.read_exact_at(&mut rest, start + BLOBHEAD_SIZE)?;
    let tail_at = rest.len() - BLOBTAIL_SIZE as usize;
    let (body, tail) = rest.split_at(tail_at);
    let stored = le32(tail, 0);
    let tail_len = le32(tail, 4);
    let tail_magic = le32(tail, 8);
    if u64::from(tail_len) != len || tail_magic != BLOBTAIL_MAGIC {
        return Ok(Err(StorageFault::BlobTrailer {
            blkoff,
            len: tail_len,
            magic: tail_magic,
        }));
    }
    let computed = adler32(adler32(1, &head), body);
    if computed != stored {
        return Ok(Err(StorageFault::Checksum {
            blkoff,
            stored,
            computed,
        }));
    }
    rest.truncate(len as usize);
    Ok(Ok(rest))
}

fn le32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

/// Adler-32 (RFC 1950), continuing from `adler` (1 to start).
fn adler32(adler: u32, data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    // The largest n such that 255 n (n + 1) / 2 + (n + 1) (MOD - 1) fits in
    // 32 bits: sums can be reduced once per chunk.
    const NMAX: usize = 5552;
    let (mut a, mut b) = (adler & 0xffff, adler >> 16);
    for chunk in data.chunks(NMAX) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests;
