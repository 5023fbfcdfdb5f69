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
use crate::target::Root;

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

/// Read every header of the NDB `Packages.db` file at `rel` (inside ROOT).
pub fn read(root: &Root, rel: &Path) -> Result<Database, Error> {
    let path = storage::target_path(rel);
    let file = storage::open_db_file(root, rel)?;
    let extracted = extract(&file).map_err(|reason| Error::Database {
        path: path.clone(),
        reason,
    })?;
    Ok(storage::into_database(DbFormat::RpmNdb, path, extracted))
}

/// One slot in use.
struct Slot {
    no: u64,
    pkgidx: u32,
    blkoff: u64,
    blkcnt: u64,
}

/// Read the slots of the NDB file in `src` and every blob they point to.
/// Errors are [`DatabaseError::Ndb`] for a file that is not readable NDB and
/// [`DatabaseError::Io`] for a failed read.
pub fn extract<R: ReadAt + ?Sized>(src: &R) -> Result<Extracted, DatabaseError> {
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
    // Bounded by the file size just checked.
    let mut table = vec![0u8; (u64::from(slot_pages) * PAGE_SIZE) as usize];
    src.read_exact_at(&mut table, 0)?;

    let first_blk = u64::from(slot_pages) * PAGE_SIZE / BLK_SIZE;
    let file_blks = size / BLK_SIZE;
    let mut out = Extracted::default();
    let mut slots = Vec::new();
    for (no, raw) in table
        .chunks_exact(SLOT_SIZE)
        .enumerate()
        .skip(HEADER_SIZE / SLOT_SIZE)
    {
        let no = no as u64;
        let site = Site::Slot { slot: no };
        let found = le32(raw, 0);
        if found != SLOT_MAGIC {
            out.damage.push(Damage {
                site,
                fault: StorageFault::SlotMagic { slot: no, found },
            });
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
            out.damage.push(Damage {
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
        out.records.push(RawRecord {
            record: u64::from(s.pkgidx),
            blob,
        });
    }
    Ok(out)
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
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::pkgdb::rpm::storage::into_database;

    /// A synthetic NDB file: one slot page, then the blobs of `blobs`
    /// (package index, bytes) in order.
    fn image(blobs: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let mut f = vec![0u8; PAGE_SIZE as usize];
        f[0..4].copy_from_slice(b"RpmP");
        f[12..16].copy_from_slice(&1u32.to_le_bytes());
        f[16..20].copy_from_slice(&(blobs.len() as u32 + 1).to_le_bytes());
        for s in (HEADER_SIZE..PAGE_SIZE as usize).step_by(SLOT_SIZE) {
            f[s..s + 4].copy_from_slice(b"Slot");
        }
        for (i, (idx, data)) in blobs.iter().enumerate() {
            let blkoff = f.len() as u64 / BLK_SIZE;
            let mut b = Vec::new();
            b.extend_from_slice(b"BlbS");
            b.extend_from_slice(&idx.to_le_bytes());
            b.extend_from_slice(&7u32.to_le_bytes());
            b.extend_from_slice(&(data.len() as u32).to_le_bytes());
            b.extend_from_slice(data);
            while !(b.len() + BLOBTAIL_SIZE as usize).is_multiple_of(BLK_SIZE as usize) {
                b.push(0);
            }
            let sum = adler32(1, &b);
            b.extend_from_slice(&sum.to_le_bytes());
            b.extend_from_slice(&(data.len() as u32).to_le_bytes());
            b.extend_from_slice(b"BlbE");
            let blkcnt = b.len() as u64 / BLK_SIZE;
            f.extend_from_slice(&b);
            let s = HEADER_SIZE + SLOT_SIZE * i;
            f[s + 4..s + 8].copy_from_slice(&idx.to_le_bytes());
            f[s + 8..s + 12].copy_from_slice(&(blkoff as u32).to_le_bytes());
            f[s + 12..s + 16].copy_from_slice(&(blkcnt as u32).to_le_bytes());
        }
        f
    }

    fn sample() -> (Vec<u8>, Vec<(u32, Vec<u8>)>) {
        let blobs: Vec<(u32, Vec<u8>)> = (1..=4u32)
            .map(|i| {
                (
                    i * 3,
                    (0..(i as usize * 37))
                        .map(|b| (b as u8) ^ (i as u8))
                        .collect(),
                )
            })
            .collect();
        (image(&blobs), blobs)
    }

    fn slot_at(n: usize) -> usize {
        HEADER_SIZE + SLOT_SIZE * n
    }

    fn blob_of(ex: &Extracted, record: u64) -> Result<Vec<u8>, StorageFault> {
        ex.records
            .iter()
            .find(|r| r.record == record)
            .expect("record")
            .blob
            .clone()
    }

    #[test]
    fn adler32_known_values() {
        assert_eq!(adler32(1, b""), 1);
        assert_eq!(adler32(1, b"Wikipedia"), 0x11e6_0398);
        let big = vec![0xffu8; 100_000];
        assert_eq!(adler32(adler32(1, &big[..3]), &big[3..]), adler32(1, &big));
    }

    #[test]
    fn reads_slots_and_blobs() {
        let (img, blobs) = sample();
        let ex = extract(&img[..]).unwrap();
        assert_eq!(ex.damage, vec![]);
        let got: Vec<(u32, Vec<u8>)> = ex
            .records
            .into_iter()
            .map(|r| (r.record as u32, r.blob.unwrap()))
            .collect();
        assert_eq!(got, blobs);
    }

    #[test]
    fn records_come_in_blob_order() {
        let (mut img, _) = sample();
        // Swap slots 0 and 2: the listing still follows the blobs.
        let (a, b) = (slot_at(0), slot_at(2));
        let s0: Vec<u8> = img[a..a + 16].to_vec();
        let s2: Vec<u8> = img[b..b + 16].to_vec();
        img[a..a + 16].copy_from_slice(&s2);
        img[b..b + 16].copy_from_slice(&s0);
        let ex = extract(&img[..]).unwrap();
        assert_eq!(
            ex.records.iter().map(|r| r.record).collect::<Vec<_>>(),
            vec![3, 6, 9, 12]
        );
    }

    #[test]
    fn checksum_mismatch_is_a_malformed_record() {
        let (mut img, _) = sample();
        let blkoff = le32(&img, slot_at(1) + 8) as usize;
        img[blkoff * 16 + 20] ^= 0x40;
        let ex = extract(&img[..]).unwrap();
        assert!(
            matches!(blob_of(&ex, 6), Err(StorageFault::Checksum { blkoff: b, .. }) if b == blkoff as u64)
        );
        assert!(blob_of(&ex, 3).is_ok() && blob_of(&ex, 9).is_ok());
        let db = into_database(DbFormat::RpmNdb, PathBuf::from("/P"), ex);
        assert_eq!(db.malformed.len(), 4); // the three others are not headers
        assert!(db.malformed.iter().any(|m| m.record == 6
            && matches!(
                m.error,
                crate::pkgdb::rpm::header::HeaderError::Storage(StorageFault::Checksum { .. })
            )));
    }

    #[test]
    fn blob_faults() {
        let blk = |img: &[u8], slot: usize| le32(img, slot_at(slot) + 8) as usize * 16;
        type Case<'a> = (Box<dyn Fn(&mut Vec<u8>) + 'a>, fn(&StorageFault) -> bool);
        let cases: Vec<Case> = vec![
            (
                Box::new(|i: &mut Vec<u8>| {
                    let o = blk(i, 0);
                    i[o] = b'X';
                }),
                |f| matches!(f, StorageFault::BlobHeadMagic { .. }),
            ),
            (
                Box::new(|i: &mut Vec<u8>| {
                    let o = blk(i, 0);
                    i[o + 4] = 99;
                }),
                |f| matches!(f, StorageFault::BlobIndex { found: 99, .. }),
            ),
            (
                Box::new(|i: &mut Vec<u8>| {
                    let o = blk(i, 0);
                    i[o + 12] = 200;
                }),
                |f| matches!(f, StorageFault::BlobLength { len: 200, .. }),
            ),
            (
                Box::new(|i: &mut Vec<u8>| {
                    let o = blk(i, 0);
                    i[o + 15] = 0x7f;
                }),
                |f| matches!(f, StorageFault::TooLarge { .. }),
            ),
            (
                Box::new(|i: &mut Vec<u8>| {
                    let o = blk(i, 1);
                    i[o - 1] = b'x';
                }),
                |f| matches!(f, StorageFault::BlobTrailer { .. }),
            ),
            (
                Box::new(|i: &mut Vec<u8>| {
                    let s = slot_at(0) + 12;
                    i[s] = 0;
                }),
                |f| matches!(f, StorageFault::SlotRange { blkcnt: 0, .. }),
            ),
            (
                Box::new(|i: &mut Vec<u8>| {
                    let s = slot_at(0) + 8;
                    i[s..s + 4].copy_from_slice(&3u32.to_le_bytes());
                }),
                |f| matches!(f, StorageFault::SlotRange { blkoff: 3, .. }),
            ),
            (
                Box::new(|i: &mut Vec<u8>| {
                    let s = slot_at(0) + 12;
                    i[s + 3] = 0xff;
                }),
                |f| matches!(f, StorageFault::SlotRange { .. }),
            ),
        ];
        for (n, (damage, is)) in cases.into_iter().enumerate() {
            let (mut img, _) = sample();
            damage(&mut img);
            let ex = extract(&img[..]).unwrap();
            let b = blob_of(&ex, 3);
            assert!(matches!(&b, Err(f) if is(f)), "case {n}: {b:?}");
            assert!(blob_of(&ex, 12).is_ok(), "case {n}");
        }
    }

    #[test]
    fn overlapping_slots_are_not_read_twice() {
        let (mut img, _) = sample();
        // Slots 1 and 2 (numbers 3, 4) claim slot 0's blob, under their own
        // package index and under its index.
        let s0: Vec<u8> = img[slot_at(0)..slot_at(0) + 16].to_vec();
        img[slot_at(1) + 8..slot_at(1) + 16].copy_from_slice(&s0[8..16]);
        img[slot_at(2)..slot_at(2) + 16].copy_from_slice(&s0);
        let ex = extract(&img[..]).unwrap();
        let got: Vec<(u64, Result<usize, StorageFault>)> = ex
            .records
            .iter()
            .map(|r| {
                (
                    r.record,
                    r.blob.as_ref().map(Vec::len).map_err(Clone::clone),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (3, Ok(37)),
                (6, Err(StorageFault::SlotOverlap { slot: 3, other: 2 })),
                (3, Err(StorageFault::SlotOverlap { slot: 4, other: 2 })),
                (12, Ok(148)),
            ]
        );
    }

    #[test]
    fn damaged_slots_are_damage() {
        let (mut img, _) = sample();
        img[slot_at(1)] = b'x';
        img[slot_at(2) + 4..slot_at(2) + 8].copy_from_slice(&0u32.to_le_bytes());
        let ex = extract(&img[..]).unwrap();
        assert_eq!(
            ex.damage,
            vec![
                Damage {
                    site: Site::Slot { slot: 3 },
                    fault: StorageFault::SlotMagic {
                        slot: 3,
                        found: u32::from_le_bytes(*b"xlot")
                    }
                },
                Damage {
                    site: Site::Slot { slot: 4 },
                    fault: StorageFault::SlotIndexZero { slot: 4 }
                },
            ]
        );
        assert_eq!(
            ex.records.iter().map(|r| r.record).collect::<Vec<_>>(),
            vec![3, 12]
        );
    }

    #[test]
    fn header_errors_are_typed() {
        let (img, _) = sample();
        let err = |b: &[u8]| match extract(b) {
            Err(DatabaseError::Ndb(e)) => e,
            other => panic!("expected an NdbError, got {other:?}"),
        };
        assert!(matches!(err(&img[..31]), NdbError::TooShort { size: 31 }));
        assert!(matches!(
            err(&img[..4095]),
            NdbError::SlotPages {
                slot_pages: 1,
                fit: 0,
                ..
            }
        ));
        let mut b = img.clone();
        b[0] = b'X';
        assert!(matches!(err(&b), NdbError::Magic { .. }));
        let mut b = img.clone();
        b[4] = 1;
        assert!(matches!(err(&b), NdbError::Version { version: 1 }));
        let mut b = img.clone();
        b[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(err(&b), NdbError::SlotPages { .. }));
        b[12..16].copy_from_slice(&0u32.to_le_bytes());
        assert!(matches!(err(&b), NdbError::SlotPages { slot_pages: 0, .. }));
    }

    /// Truncation at every block boundary, random byte flips: an error or a
    /// result, never a panic or a hang.
    fn fuzz(image: &[u8], step: usize, flips: usize, seed: u64, parse_every: usize) {
        for (n, cut) in (0..=image.len()).step_by(step).enumerate() {
            if let Ok(ex) = extract(&image[..cut])
                && n.is_multiple_of(parse_every)
            {
                into_database(DbFormat::RpmNdb, PathBuf::from("/P"), ex);
            }
        }
        let mut rng = seed;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for _ in 0..flips {
            let mut m = image.to_vec();
            for _ in 0..1 + next() % 8 {
                // Mostly the slot page, where a flip changes structure.
                let span = if next() % 2 == 0 {
                    PAGE_SIZE
                } else {
                    m.len() as u64
                };
                let at = (next() % span) as usize;
                m[at] ^= 1 << (next() % 8);
            }
            if let Ok(ex) = extract(&m[..]) {
                into_database(DbFormat::RpmNdb, PathBuf::from("/P"), ex);
            }
        }
    }

    #[test]
    fn fuzz_synthetic() {
        let (img, _) = sample();
        fuzz(&img, 1, 3000, 0x2545_f491_4f6c_dd1d, 1);
    }

    fn realdata(rel: &str) -> Option<PathBuf> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/realdata")
            .join(rel);
        if p.exists() {
            Some(p)
        } else {
            eprintln!("SKIPPING: {} absent", p.display());
            None
        }
    }

    const SLE15: &str = "rpmdb/sle15-bci/Packages.db";

    #[test]
    fn sle15_packages_db_yields_35_packages() {
        let Some(p) = realdata(SLE15) else { return };
        let image = std::fs::read(p).unwrap();
        let ex = extract(&image[..]).unwrap();
        assert_eq!(ex.damage, vec![]);
        assert_eq!(ex.records.len(), 35);
        let db = into_database(
            DbFormat::RpmNdb,
            PathBuf::from("/var/lib/rpm/Packages.db"),
            ex,
        );
        assert!(db.malformed.is_empty(), "{:?}", db.malformed);
        assert_eq!(db.packages.len(), 35);
        assert_eq!(db.packages.iter().filter(|p| p.is_pubkey()).count(), 0);
        assert!(
            db.packages
                .iter()
                .all(|p| p.header.is_some() && !p.files.is_empty() || p.name.starts_with("gpg"))
        );
    }

    #[test]
    fn sle15_fuzz() {
        let Some(p) = realdata(SLE15) else { return };
        let image = std::fs::read(p).unwrap();
        fuzz(&image, 4096, 30, 7, 32);
        // Every blob boundary too: each cut loses exactly the blobs past it.
        let mut starts: Vec<u64> = image[HEADER_SIZE..PAGE_SIZE as usize]
            .chunks_exact(SLOT_SIZE)
            .map(|s| u64::from(le32(s, 8)) * BLK_SIZE)
            .filter(|&o| o != 0)
            .collect();
        starts.sort();
        for (i, &cut) in starts.iter().enumerate() {
            let ex = extract(&image[..cut as usize]).unwrap();
            assert_eq!(ex.records.iter().filter(|r| r.blob.is_ok()).count(), i);
            assert_eq!(ex.records.len(), 35);
        }
    }
}
