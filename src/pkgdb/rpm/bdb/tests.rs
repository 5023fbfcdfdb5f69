//! Tests of the BerkeleyDB reader: synthetic hash files built page by
//! page (both byte orders, page checksums, every kind of damage), the real
//! SLES 12 `Packages`, and truncated or mutated images of both.

use std::path::PathBuf;

use super::*;
use crate::pkgdb::rpm::storage::into_database;

const PS: usize = 512;

/// One item of a synthetic hash page.
enum It<'a> {
    /// `H_KEYDATA`.
    Data(&'a [u8]),
    /// `H_OFFPAGE` to page, length.
    Off(u32, u32),
    /// `H_DUPLICATE` set.
    Dup(&'a [&'a [u8]]),
    /// Raw item bytes (type byte included).
    Raw(&'a [u8]),
}

/// A synthetic BerkeleyDB hash file, page by page.
struct Img {
    order: Order,
    overhead: usize,
    pages: Vec<Vec<u8>>,
}

impl Img {
    fn new(order: Order, chksum: bool, max_bucket: u32, spares: &[u32]) -> Img {
        let mut img = Img {
            order,
            overhead: if chksum { 32 } else { 26 },
            pages: vec![vec![0u8; PS]],
        };
        img.put32(0, 12, HASH_MAGIC);
        img.put32(0, 16, 9);
        img.put32(0, 20, PS as u32);
        img.pages[0][25] = P_HASHMETA;
        img.pages[0][26] = if chksum { DBMETA_CHKSUM } else { 0 };
        img.put32(0, 72, max_bucket);
        for (i, s) in spares.iter().enumerate() {
            img.put32(0, 96 + 4 * i, *s);
        }
        img
    }

    fn page(&mut self, no: usize) -> &mut Vec<u8> {
        while self.pages.len() <= no {
            self.pages.push(vec![0u8; PS]);
        }
        &mut self.pages[no]
    }

    fn put16(&mut self, no: usize, at: usize, v: u16) {
        let b = match self.order {
            Order::Little => v.to_le_bytes(),
            Order::Big => v.to_be_bytes(),
        };
        self.page(no)[at..at + 2].copy_from_slice(&b);
    }

    fn put32(&mut self, no: usize, at: usize, v: u32) {
        let b = match self.order {
            Order::Little => v.to_le_bytes(),
            Order::Big => v.to_be_bytes(),
        };
        self.page(no)[at..at + 4].copy_from_slice(&b);
    }

    fn header(&mut self, no: usize, next: u32, entries: u16, ty: u8) {
        self.put32(no, 8, no as u32);
        self.put32(no, 16, next);
        self.put16(no, 20, entries);
        self.page(no)[25] = ty;
    }

    /// A hash page holding `items` (keys and data alternating).
    fn hash(&mut self, no: usize, next: u32, items: &[It]) {
        self.header(no, next, items.len() as u16, P_HASH);
        let mut end = PS;
        for (i, it) in items.iter().enumerate() {
            let mut bytes = Vec::new();
            match it {
                It::Data(d) => {
                    bytes.push(H_KEYDATA);
                    bytes.extend_from_slice(d);
                }
                It::Off(pg, len) => {
                    bytes.extend_from_slice(&[H_OFFPAGE, 0, 0, 0]);
                    bytes.extend_from_slice(&self.word(*pg));
                    bytes.extend_from_slice(&self.word(*len));
                }
                It::Dup(vals) => {
                    bytes.push(H_DUPLICATE);
                    for v in *vals {
                        let l = self.half(v.len() as u16);
                        bytes.extend_from_slice(&l);
                        bytes.extend_from_slice(v);
                        bytes.extend_from_slice(&l);
                    }
                }
                It::Raw(r) => bytes.extend_from_slice(r),
            }
            let start = end - bytes.len();
            self.page(no)[start..end].copy_from_slice(&bytes);
            let at = self.overhead + 2 * i;
            self.put16(no, at, start as u16);
            end = start;
        }
    }

    /// An overflow page holding `data`.
    fn overflow(&mut self, no: usize, next: u32, data: &[u8]) {
        self.header(no, next, 1, P_OVERFLOW);
        self.put16(no, 22, data.len() as u16);
        let o = self.overhead;
        self.page(no)[o..o + data.len()].copy_from_slice(data);
    }

    fn word(&self, v: u32) -> [u8; 4] {
        match self.order {
            Order::Little => v.to_le_bytes(),
            Order::Big => v.to_be_bytes(),
        }
    }

    fn half(&self, v: u16) -> [u8; 2] {
        match self.order {
            Order::Little => v.to_le_bytes(),
            Order::Big => v.to_be_bytes(),
        }
    }

    fn key(&self, n: u32) -> Vec<u8> {
        self.word(n).to_vec()
    }

    fn bytes(&self) -> Vec<u8> {
        self.pages.concat()
    }
}

fn blob(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| seed.wrapping_add((i % 251) as u8))
        .collect()
}

/// Two buckets: bucket 0 (page 1) chains to page 2; bucket 1 is page 3.
/// Records 1 (small), 2 (overflow over pages 4, 5, 6), 3 (in the chained
/// page), 4 (bucket 1), and key 0 (the counter).
fn sample(order: Order, chksum: bool) -> (Img, Vec<(u64, Vec<u8>)>) {
    // bucket b -> page b + spares[log2(b+1)]: bucket 0 -> 1, bucket 1 -> 3.
    let mut img = Img::new(order, chksum, 1, &[1, 2]);
    let big = blob(7, 1200);
    let cap = PS - img.overhead;
    let (k0, k1, k2, k3, k4) = (img.key(0), img.key(1), img.key(2), img.key(3), img.key(4));
    let counter = img.word(5);
    let small1 = blob(1, 40);
    let small3 = blob(3, 60);
    let small4 = blob(4, 30);
    img.hash(
        1,
        2,
        &[
            It::Data(&k0),
            It::Data(&counter),
            It::Data(&k1),
            It::Data(&small1),
            It::Data(&k2),
            It::Off(4, big.len() as u32),
        ],
    );
    img.hash(2, 0, &[It::Data(&k3), It::Data(&small3)]);
    img.hash(3, 0, &[It::Data(&k4), It::Data(&small4)]);
    img.overflow(4, 5, &big[..cap]);
    img.overflow(5, 6, &big[cap..2 * cap]);
    img.overflow(6, 0, &big[2 * cap..]);
    let want = vec![(1, small1), (2, big), (3, small3), (4, small4)];
    (img, want)
}

fn records(ex: &Extracted) -> Vec<(u64, Vec<u8>)> {
    ex.records
        .iter()
        .map(|r| (r.record, r.blob.clone().expect("blob")))
        .collect()
}

#[test]
fn reads_both_byte_orders_and_checksum_layout() {
    for order in [Order::Little, Order::Big] {
        for chksum in [false, true] {
            let (img, want) = sample(order, chksum);
            let ex = extract(&img.bytes()[..]).unwrap();
            assert_eq!(ex.damage, vec![], "{order:?} {chksum}");
            assert_eq!(records(&ex), want, "{order:?} {chksum}");
        }
    }
}

#[test]
fn meta_errors_are_typed() {
    let (img, _) = sample(Order::Little, false);
    let good = img.bytes();
    let err = |b: &[u8]| match extract(b).map_err(DatabaseError::into_backend_error::<BdbError>) {
        Err(Ok(e)) => e,
        other => panic!("expected a BdbError, got {other:?}"),
    };
    assert!(matches!(
        err(&good[..100]),
        BdbError::TooShort { size: 100 }
    ));
    let mut b = good.clone();
    b[12..16].copy_from_slice(&0x0005_3162u32.to_le_bytes());
    assert!(matches!(err(&b), BdbError::NotHash { method: "btree" }));
    b[12..16].copy_from_slice(b"RpmP");
    assert!(matches!(err(&b), BdbError::NotBerkeleyDb { .. }));
    let mut b = good.clone();
    b[20..24].copy_from_slice(&1000u32.to_le_bytes());
    assert!(matches!(err(&b), BdbError::PageSize { size: 1000 }));
    let mut b = good.clone();
    b[16..20].copy_from_slice(&7u32.to_le_bytes());
    assert!(matches!(err(&b), BdbError::Version { version: 7 }));
    let mut b = good.clone();
    b[24] = 1;
    assert!(matches!(err(&b), BdbError::Encrypted { alg: 1 }));
    let mut b = good.clone();
    b[25] = 9;
    assert!(matches!(err(&b), BdbError::MetaType { found: 9 }));
    let mut b = good.clone();
    b[72..76].copy_from_slice(&1000u32.to_le_bytes());
    assert!(matches!(err(&b), BdbError::Buckets { buckets: 1001, .. }));
}

#[test]
fn bucket_chain_cycle_is_damage_and_terminates() {
    let (mut img, _) = sample(Order::Little, false);
    img.put32(2, 16, 1); // page 2 -> page 1 -> page 2 ...
    let ex = extract(&img.bytes()[..]).unwrap();
    assert_eq!(
        ex.damage,
        vec![Damage {
            site: Site::Bucket { bucket: 0 },
            fault: StorageFault::PageRevisited { page: 1 },
        }]
    );
    assert_eq!(
        ex.records.iter().map(|r| r.record).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
}

#[test]
fn overflow_cycle_and_shared_pages_are_malformed_records() {
    let (mut img, _) = sample(Order::Little, false);
    img.put32(5, 16, 4); // 4 -> 5 -> 4
    let ex = extract(&img.bytes()[..]).unwrap();
    let r2 = ex.records.iter().find(|r| r.record == 2).unwrap();
    assert_eq!(r2.blob, Err(StorageFault::PageRevisited { page: 4 }));

    // Record 3's data points into record 2's chain.
    let (mut img, _) = sample(Order::Little, false);
    let k3 = img.key(3);
    img.hash(2, 0, &[It::Data(&k3), It::Off(5, 100)]);
    let ex = extract(&img.bytes()[..]).unwrap();
    let r3 = ex.records.iter().find(|r| r.record == 3).unwrap();
    assert_eq!(r3.blob, Err(StorageFault::PageRevisited { page: 5 }));
}

#[test]
fn overflow_length_mismatches_are_malformed_records() {
    for (claim, fault) in [
        (
            5000,
            StorageFault::OverflowLength {
                page: 4,
                expected: 5000,
                found: 1200,
            },
        ),
        (
            1000,
            StorageFault::OverflowLength {
                page: 4,
                expected: 1000,
                found: 1200,
            },
        ),
        (
            u32::MAX,
            StorageFault::TooLarge {
                len: u64::from(u32::MAX),
                max: MAX_RECORD,
            },
        ),
    ] {
        let (mut img, _) = sample(Order::Little, false);
        let (k0, k1, k2) = (img.key(0), img.key(1), img.key(2));
        let (c, s1) = (img.word(5), blob(1, 40));
        img.hash(
            1,
            2,
            &[
                It::Data(&k0),
                It::Data(&c),
                It::Data(&k1),
                It::Data(&s1),
                It::Data(&k2),
                It::Off(4, claim),
            ],
        );
        let ex = extract(&img.bytes()[..]).unwrap();
        let r2 = ex.records.iter().find(|r| r.record == 2).unwrap();
        assert_eq!(r2.blob, Err(fault));
    }
    // Chain pointing at a hash page.
    let (mut img, _) = sample(Order::Little, false);
    img.put32(4, 16, 3);
    let ex = extract(&img.bytes()[..]).unwrap();
    let r2 = ex.records.iter().find(|r| r.record == 2).unwrap();
    assert_eq!(
        r2.blob,
        Err(StorageFault::PageType {
            page: 3,
            found: P_HASH,
            expected: P_OVERFLOW
        })
    );
    // ... so bucket 1's page has been visited: damage there, not a hang.
    assert_eq!(
        ex.damage,
        vec![Damage {
            site: Site::Bucket { bucket: 1 },
            fault: StorageFault::PageRevisited { page: 3 }
        }]
    );
}

#[test]
fn page_faults_are_reported_per_bucket() {
    // A page number mismatch and a chain beyond the end of the file.
    let (mut img, _) = sample(Order::Little, false);
    img.put32(2, 8, 77);
    img.put32(3, 16, 1000);
    let ex = extract(&img.bytes()[..]).unwrap();
    assert_eq!(
        ex.damage,
        vec![
            Damage {
                site: Site::Bucket { bucket: 0 },
                fault: StorageFault::PageNumberMismatch { page: 2, found: 77 }
            },
            Damage {
                site: Site::Bucket { bucket: 1 },
                fault: StorageFault::PageOutOfRange {
                    page: 1000,
                    pages: 7
                }
            },
        ]
    );
    assert_eq!(
        ex.records.iter().map(|r| r.record).collect::<Vec<_>>(),
        vec![1, 2, 4]
    );
}

#[test]
fn blank_pages_are_empty_but_hidden_data_is_damage() {
    let (mut img, _) = sample(Order::Little, false);
    img.pages[3] = vec![0u8; PS];
    let ex = extract(&img.bytes()[..]).unwrap();
    assert_eq!(ex.damage, vec![]);
    assert_eq!(ex.records.len(), 3);
    img.pages[3][300] = 1;
    let ex = extract(&img.bytes()[..]).unwrap();
    assert_eq!(
        ex.damage,
        vec![Damage {
            site: Site::Bucket { bucket: 1 },
            fault: StorageFault::BlankPageNotEmpty { page: 3 }
        }]
    );
}

#[test]
fn item_faults() {
    let mut img = Img::new(Order::Little, false, 0, &[1]);
    let (k1, k2, k3, k4, k5, k6) = (
        img.key(1),
        img.key(2),
        img.key(3),
        img.key(4),
        img.key(5),
        img.key(6),
    );
    let (a, b) = (blob(1, 10), blob(2, 20));
    img.hash(
        1,
        0,
        &[
            It::Data(&k1),
            It::Dup(&[&a, &b]),
            It::Data(&k2),
            It::Raw(&[H_OFFDUP, 0, 0, 0, 9, 0, 0, 0]),
            It::Data(&k3),
            It::Raw(&[9, 1, 2]),
            It::Data(&k4),
            It::Raw(&[H_DUPLICATE, 5, 0, 1]),
            It::Data(&[1, 2]),
            It::Data(&a),
            It::Data(&k5),
            It::Raw(&[H_OFFPAGE, 0, 0]),
            It::Data(&k6),
        ],
    );
    let ex = extract(&img.bytes()[..]).unwrap();
    let got: Vec<(u64, Result<Vec<u8>, StorageFault>)> =
        ex.records.into_iter().map(|r| (r.record, r.blob)).collect();
    assert_eq!(
        got,
        vec![
            (1, Ok(a.clone())),
            (1, Ok(b.clone())),
            (
                2,
                Err(StorageFault::OffPageDuplicates { page: 1, index: 3 })
            ),
            (
                3,
                Err(StorageFault::ItemType {
                    page: 1,
                    index: 5,
                    kind: 9
                })
            ),
            (4, Err(StorageFault::DuplicateSet { page: 1, index: 7 })),
            (5, Err(StorageFault::ItemOutOfBounds { page: 1, index: 11 })),
        ]
    );
    assert_eq!(
        ex.damage,
        vec![
            Damage {
                site: Site::Bucket { bucket: 0 },
                fault: StorageFault::UnpairedItem {
                    page: 1,
                    entries: 13
                }
            },
            Damage {
                site: Site::Bucket { bucket: 0 },
                fault: StorageFault::KeyLength {
                    page: 1,
                    index: 8,
                    len: 2
                }
            },
        ]
    );
    // The duplicate pair of record 1 is reported as such.
    let db = into_database(
        DbFormat::RPM_BDB,
        PathBuf::from("/P"),
        extract(&img.bytes()[..]).unwrap(),
    );
    assert_eq!(db.malformed.len(), 6);
}

#[test]
fn bad_item_offsets_are_faults_not_panics() {
    let (mut img, _) = sample(Order::Little, false);
    img.put16(1, 26 + 2, 3); // offset into the index area
    img.put16(3, 20, 400); // more items than fit
    let ex = extract(&img.bytes()[..]).unwrap();
    // Item 1 (the counter's value) is never read; item 2's span ends
    // where item 1 starts, so the key of record 1 is lost.
    assert_eq!(
        ex.damage,
        vec![
            Damage {
                site: Site::Bucket { bucket: 0 },
                fault: StorageFault::ItemOutOfBounds { page: 1, index: 2 },
            },
            Damage {
                site: Site::Bucket { bucket: 1 },
                fault: StorageFault::PageEntries {
                    page: 3,
                    entries: 400
                },
            },
        ]
    );
    assert_eq!(
        ex.records.iter().map(|r| r.record).collect::<Vec<_>>(),
        vec![2, 3]
    );
}

use crate::testutil::XorShift;

/// Truncations at every page boundary (and inside pages) and random
/// byte flips end in an error or a result, never a panic or a hang.
/// Headers are parsed after every `parse_every`th cut (parsing is what
/// costs time in a debug build).
fn fuzz(image: &[u8], page: usize, flips: usize, seed: u64, parse_every: usize) {
    let mut cut = 0;
    while cut <= image.len() {
        let inside = if (cut / page).is_multiple_of(8) { 3 } else { 1 };
        for c in [cut, cut + 1, cut + page / 2].into_iter().take(inside) {
            if let Ok(ex) = extract(&image[..c.min(image.len())])
                && (cut / page).is_multiple_of(parse_every)
            {
                into_database(DbFormat::RPM_BDB, PathBuf::from("/P"), ex);
            }
        }
        cut += page;
    }
    let mut rng = XorShift(seed);
    for _ in 0..flips {
        let mut m = image.to_vec();
        for _ in 0..1 + rng.next() % 8 {
            let at = (rng.next() % m.len() as u64) as usize;
            m[at] ^= 1 << (rng.next() % 8);
        }
        if let Ok(ex) = extract(&m[..]) {
            into_database(DbFormat::RPM_BDB, PathBuf::from("/P"), ex);
        }
    }
}

#[test]
fn fuzz_synthetic() {
    for (order, chksum) in [(Order::Little, false), (Order::Big, true)] {
        let (img, _) = sample(order, chksum);
        fuzz(&img.bytes(), PS, 3000, 0x9e37_79b9_7f4a_7c15, 1);
    }
}

use crate::testutil::realdata_at as realdata;

const SLES: &str = "rpmdb/fossa/sles12sp4/Packages";

#[test]
fn sles12_packages_yields_108_headers() {
    let Some(p) = realdata(SLES) else { return };
    let image = std::fs::read(p).unwrap();
    let ex = extract(&image[..]).unwrap();
    assert_eq!(ex.damage, vec![]);
    assert_eq!(ex.records.len(), 108);
    let db = into_database(
        DbFormat::RPM_BDB,
        PathBuf::from("/var/lib/rpm/Packages"),
        ex,
    );
    assert!(db.malformed.is_empty(), "{:?}", db.malformed);
    assert_eq!(db.packages.len(), 108);
    assert_eq!(db.packages.iter().filter(|p| p.is_pubkey()).count(), 2);
    assert!(db.notes.is_empty());
}

#[test]
fn sles12_fuzz() {
    let Some(p) = realdata(SLES) else { return };
    let image = std::fs::read(p).unwrap();
    fuzz(&image, 4096, 30, 42, 64);
}
