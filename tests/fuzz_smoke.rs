//! Fuzz smoke test: every target of `rootaudit::fuzz` (the cargo-fuzz
//! targets in `fuzz/`) fed its seeds and a few thousand deterministic
//! mutations of them on stable Rust, so CI runs the fuzz entry points on
//! every change. Long runs use cargo-fuzz (`docs/security.md`).
//!
//! Seeds are built here (a small rpm header, NDB and BerkeleyDB images of
//! it, dpkg files, a bare OpenPGP key) plus the pyc fixtures and, when
//! `../shared/realdata` exists, a few real files (skipped with a message
//! when it is absent). Mutations are bit flips, truncations, splices,
//! inserted and removed bytes and length fields set to boundary values,
//! from a fixed-seed xorshift. Each target gets a time budget; a panic
//! fails the test with the input (hex) that caused it.
//!
//! With `ROOTAUDIT_FUZZ_SEEDS_OUT=DIR` set, the generated seeds are also
//! written to `DIR/NAME/` (`fuzz/seed.sh` uses this).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rootaudit::pkgdb::rpm::header::Header;
use sha2::Digest;

use crate::util::realdata;

/// Time budget per target (debug build).
const BUDGET: Duration = Duration::from_millis(2500);
/// Mutations per target at most.
const MUTATIONS: usize = 20_000;
/// Largest seed mutated (longer real files are cut to this prefix).
const MAX_SEED: usize = 64 << 10;

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Boundary values written over length and offset fields.
const BOUNDARIES: &[u32] = &[
    0,
    1,
    0x7f,
    0xff,
    0x100,
    0xffff,
    0x1_0000,
    0x0fff_ffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fff0,
    0xffff_ffff,
];

/// One mutant of `seeds[i]`: one to four stacked edits.
fn mutate(rng: &mut XorShift, seeds: &[Vec<u8>], i: usize) -> Vec<u8> {
    let mut m = seeds[i].clone();
    for _ in 0..1 + rng.below(4) {
        let len = m.len();
        match rng.below(8) {
            // Bit flips.
            0 if len > 0 => {
                for _ in 0..1 + rng.below(8) {
                    let at = rng.below(len);
                    m[at] ^= 1 << rng.below(8);
                }
            }
            // Truncation.
            1 => m.truncate(rng.below(len + 1)),
            // Splice: a prefix of this, the rest of another seed.
            2 => {
                let other = &seeds[rng.below(seeds.len())];
                let cut = rng.below(len + 1);
                let from = rng.below(other.len() + 1);
                m.truncate(cut);
                m.extend_from_slice(&other[from..]);
            }
            // A length or offset field set to a boundary value (both byte
            // orders; aligned as most formats align them).
            3 | 4 if len >= 4 => {
                let at = rng.below(len / 4) * 4;
                let v = BOUNDARIES[rng.below(BOUNDARIES.len())];
                let v = if rng.next() & 1 == 0 {
                    v.to_be_bytes()
                } else {
                    v.to_le_bytes()
                };
                m[at..at + 4].copy_from_slice(&v);
            }
            // A small field bumped by ±1..16 (a count one too many).
            5 if len >= 4 => {
                let at = rng.below(len - 3);
                let mut w = [0u8; 4];
                w.copy_from_slice(&m[at..at + 4]);
                let d = 1 + rng.below(16) as u32;
                let v = if rng.next() & 1 == 0 {
                    u32::from_be_bytes(w).wrapping_add(d).to_be_bytes()
                } else {
                    u32::from_le_bytes(w).wrapping_sub(d).to_le_bytes()
                };
                m[at..at + 4].copy_from_slice(&v);
            }
            // A chunk removed, or duplicated in place.
            6 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(64)).min(len);
                if rng.next() & 1 == 0 {
                    m.drain(a..b);
                } else {
                    let chunk = m[a..b].to_vec();
                    m.splice(a..a, chunk);
                }
            }
            // Interesting bytes inserted.
            _ => {
                let at = rng.below(len + 1);
                let b = [0u8, 0xff, b'\n', b':', b' ', b'/', 0x80, b'r' | 0x80];
                m.insert(at, b[rng.below(b.len())]);
            }
        }
    }
    m
}

/// Run `target` over the seeds and their mutants; panics with the input
/// that made the target panic.
fn smoke(name: &str, target: rootaudit::fuzz::Target, seeds: Vec<Vec<u8>>) {
    assert!(!seeds.is_empty(), "{name}: no seeds");
    if let Some(out) = std::env::var_os("ROOTAUDIT_FUZZ_SEEDS_OUT") {
        let dir = Path::new(&out).join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for (i, s) in seeds.iter().enumerate() {
            std::fs::write(dir.join(format!("smoke-{i:03}")), s).unwrap();
        }
    }
    let run = |input: &[u8]| {
        if catch_unwind(AssertUnwindSafe(|| target(input))).is_err() {
            panic!(
                "fuzz target {name} panicked on {} bytes: {}",
                input.len(),
                hex::encode(input)
            );
        }
    };
    for s in &seeds {
        run(s);
    }
    let seed = name.bytes().fold(0x9e37_79b9_7f4a_7c15u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut rng = XorShift(seed | 1);
    let start = Instant::now();
    let mut done = 0;
    while done < MUTATIONS && start.elapsed() < BUDGET {
        let i = rng.below(seeds.len());
        let m = mutate(&mut rng, &seeds, i);
        run(&m);
        done += 1;
    }
    eprintln!(
        "fuzz smoke {name}: {} seeds, {done} mutants in {:.1?}",
        seeds.len(),
        start.elapsed()
    );
}

// ---- seeds -------------------------------------------------------------

/// The first [`MAX_SEED`] bytes of a real file.
fn real_prefix(rel: &str) -> Vec<Vec<u8>> {
    realdata(rel)
        .map(|p| {
            let mut b = std::fs::read(p).unwrap();
            b.truncate(MAX_SEED);
            vec![b]
        })
        .unwrap_or_default()
}

/// Up to `n` files of a real folder, sorted by name.
fn real_files(rel: &str, n: usize) -> Vec<Vec<u8>> {
    let Some(dir) = realdata(rel) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths
        .iter()
        .take(n)
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

/// The first `n` blobs of the real sqlite rpmdb, and its `gpg-pubkey` row.
fn real_sqlite_blobs(n: usize) -> Vec<Vec<u8>> {
    let Some(p) = realdata("rpmdb/amazonlinux2023-plain/rpmdb.sqlite") else {
        return Vec::new();
    };
    let db = rusqlite::Connection::open_with_flags(
        format!("file:{}?mode=ro&immutable=1", p.display()),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI,
    )
    .unwrap();
    let mut st = db
        .prepare("SELECT blob FROM Packages ORDER BY hnum")
        .unwrap();
    let blobs: Vec<Vec<u8>> = st
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out: Vec<Vec<u8>> = blobs.iter().take(n).cloned().collect();
    out.extend(
        blobs
            .into_iter()
            .filter(|b| Header::parse(b).is_ok_and(|h| name_of(&h) == Some("gpg-pubkey")))
            .take(1),
    );
    out
}

fn name_of(h: &Header) -> Option<&str> {
    h.get(1000).and_then(|e| e.str().ok())
}

/// rpm tag types.
const CHAR: u32 = 1;
const INT16: u32 = 3;
const INT32: u32 = 4;
const STRING: u32 = 6;
const BIN: u32 = 7;
const STRING_ARRAY: u32 = 8;

/// One header entry to lay out: tag, type, count, data.
type Spec = (u32, u32, u32, Vec<u8>);

fn s(tag: u32, v: &str) -> Spec {
    let mut d = v.as_bytes().to_vec();
    d.push(0);
    (tag, STRING, 1, d)
}

fn sa(tag: u32, v: &[&str]) -> Spec {
    let mut d = Vec::new();
    for x in v {
        d.extend_from_slice(x.as_bytes());
        d.push(0);
    }
    (tag, STRING_ARRAY, v.len() as u32, d)
}

fn i32s(tag: u32, v: &[u32]) -> Spec {
    (
        tag,
        INT32,
        v.len() as u32,
        v.iter().flat_map(|x| x.to_be_bytes()).collect(),
    )
}

fn i16s(tag: u32, v: &[u16]) -> Spec {
    (
        tag,
        INT16,
        v.len() as u32,
        v.iter().flat_map(|x| x.to_be_bytes()).collect(),
    )
}

/// A stored rpm header: a region (`HEADERIMMUTABLE`, tag 63) holding
/// `inside`, then `outside` after it.
fn header_blob(inside: &[Spec], outside: &[Spec]) -> Vec<u8> {
    let mut index: Vec<[u32; 4]> = Vec::new();
    let mut data: Vec<u8> = Vec::new();
    let put = |(tag, ty, count, bytes): &Spec, data: &mut Vec<u8>| {
        let align = match *ty {
            INT16 => 2,
            INT32 => 4,
            _ => 1,
        };
        while !data.len().is_multiple_of(align) {
            data.push(0);
        }
        let off = data.len() as u32;
        data.extend_from_slice(bytes);
        [*tag, *ty, off, *count]
    };
    for sp in inside {
        index.push(put(sp, &mut data));
    }
    let ril = inside.len() as u32 + 1;
    let trailer = data.len() as u32;
    for v in [63, BIN, (-(ril as i32 * 16)) as u32, 16] {
        data.extend_from_slice(&v.to_be_bytes());
    }
    index.insert(0, [63, BIN, trailer, 16]);
    for sp in outside {
        index.push(put(sp, &mut data));
    }
    let mut blob = Vec::new();
    blob.extend_from_slice(&(index.len() as u32).to_be_bytes());
    blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
    for e in &index {
        for v in e {
            blob.extend_from_slice(&v.to_be_bytes());
        }
    }
    blob.extend_from_slice(&data);
    blob
}

/// A minimal v4 EdDSA public key (no self-signature: it parses, and is
/// unusable), binary, then with a user id and a truncated signature.
fn bare_keys() -> Vec<Vec<u8>> {
    let mut body = vec![4, 0x65, 0x00, 0x00, 0x00, 22];
    // EdDSA legacy: OID of Ed25519, then the 263-bit MPI 0x40 || point.
    body.extend_from_slice(&[9, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01]);
    body.extend_from_slice(&[0x01, 0x07, 0x40]);
    // The Ed25519 base point (a valid point, so the key parses).
    body.push(0x58);
    body.extend_from_slice(&[0x66; 31]);
    let mut key = vec![0x98, body.len() as u8];
    key.extend_from_slice(&body);
    let mut with_uid = key.clone();
    let uid = b"fuzz <fuzz@example.invalid>";
    with_uid.extend_from_slice(&[0xb4, uid.len() as u8]);
    with_uid.extend_from_slice(uid);
    with_uid.extend_from_slice(&[0x88, 0x08, 4, 0x13, 22, 8, 0, 0, 0, 0]);
    let armored = format!(
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n{}\n-----END PGP PUBLIC KEY BLOCK-----\n",
        base64_encode(&key)
    );
    vec![key, with_uid, armored.into_bytes()]
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// Two synthetic headers: a package with files, a scriptlet and a valid
/// SHA256HEADER, and a `gpg-pubkey` entry carrying an armored key.
fn synthetic_headers() -> Vec<Vec<u8>> {
    let inside = vec![
        s(1000, "demo"),
        s(1001, "1.0"),
        s(1002, "1.el9"),
        s(1022, "x86_64"),
        s(1023, "echo pre"),
        s(1085, "/bin/sh"),
        i32s(1028, &[5, 0]),
        i16s(1030, &[0o100644, 0o040755]),
        i16s(1033, &[0, 0]),
        i32s(1034, &[1_700_000_000, 1_700_000_000]),
        sa(
            1035,
            &[
                "1f2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d",
                "",
            ],
        ),
        sa(1036, &["", ""]),
        i32s(1037, &[1, 0]),
        i32s(1045, &[u32::MAX, u32::MAX]),
        sa(1039, &["root", "root"]),
        sa(1040, &["root", "root"]),
        i32s(1116, &[0, 0]),
        sa(1117, &["demo.conf", "demo.d"]),
        sa(1118, &["/etc/"]),
        i32s(5011, &[8]),
    ];
    let plain = header_blob(&inside, &[]);
    let region = Header::parse(&plain)
        .unwrap()
        .signed_region_bytes()
        .unwrap();
    let digest = hex::encode(sha2::Sha256::digest(&region));
    let signed = header_blob(
        &inside,
        &[
            s(273, &digest),
            (268, BIN, 8, vec![0x89, 0x01, 0x0c, 0x04, 0, 1, 8, 0]),
            (1029, CHAR, 2, vec![0, 1]),
        ],
    );
    let armored = String::from_utf8(bare_keys().pop().unwrap()).unwrap();
    let pubkey = header_blob(
        &[
            s(1000, "gpg-pubkey"),
            s(1001, "0f0e0d0c"),
            s(1002, "65000000"),
            s(1005, &armored),
        ],
        &[],
    );
    vec![plain, signed, pubkey]
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// An NDB `Packages.db`: one slot page, then each blob (with its package
/// index) in 16-byte blocks.
fn ndb_image(blobs: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut f = vec![0u8; 4096];
    f[0..4].copy_from_slice(b"RpmP");
    f[12..16].copy_from_slice(&1u32.to_le_bytes());
    f[16..20].copy_from_slice(&(blobs.len() as u32 + 1).to_le_bytes());
    for at in (32..4096).step_by(16) {
        f[at..at + 4].copy_from_slice(b"Slot");
    }
    for (i, (idx, data)) in blobs.iter().enumerate() {
        let blkoff = f.len() as u32 / 16;
        let mut b = Vec::new();
        b.extend_from_slice(b"BlbS");
        b.extend_from_slice(&idx.to_le_bytes());
        b.extend_from_slice(&7u32.to_le_bytes());
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(data);
        while !(b.len() + 12).is_multiple_of(16) {
            b.push(0);
        }
        let sum = adler32(&b);
        b.extend_from_slice(&sum.to_le_bytes());
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(b"BlbE");
        let blkcnt = b.len() as u32 / 16;
        f.extend_from_slice(&b);
        let at = 32 + 16 * i;
        f[at + 4..at + 8].copy_from_slice(&idx.to_le_bytes());
        f[at + 8..at + 12].copy_from_slice(&blkoff.to_le_bytes());
        f[at + 12..at + 16].copy_from_slice(&blkcnt.to_le_bytes());
    }
    f
}

/// A little-endian BerkeleyDB hash file with 512-byte pages: the meta page,
/// one bucket page holding rpm's counter (key 0), record 1 inline and
/// record 2 on a chain of overflow pages.
fn bdb_image(inline: &[u8], big: &[u8]) -> Vec<u8> {
    const PS: usize = 512;
    let put32 =
        |p: &mut Vec<u8>, at: usize, v: u32| p[at..at + 4].copy_from_slice(&v.to_le_bytes());
    let put16 =
        |p: &mut Vec<u8>, at: usize, v: u16| p[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let mut meta = vec![0u8; PS];
    put32(&mut meta, 12, 0x0006_1561);
    put32(&mut meta, 16, 9);
    put32(&mut meta, 20, PS as u32);
    meta[25] = 8; // P_HASHMETA
    put32(&mut meta, 72, 0); // max_bucket
    put32(&mut meta, 96, 1); // spares[0]: bucket 0 is page 1
    // Overflow pages 2.. hold `big`, 512 - 26 bytes each.
    let chunk = PS - 26;
    let chunks: Vec<&[u8]> = big.chunks(chunk).collect();
    let mut pages = vec![meta, vec![0u8; PS]];
    for (i, c) in chunks.iter().enumerate() {
        let no = pages.len();
        let mut p = vec![0u8; PS];
        put32(&mut p, 8, no as u32);
        let next = if i + 1 < chunks.len() {
            no as u32 + 1
        } else {
            0
        };
        put32(&mut p, 16, next);
        put16(&mut p, 20, 1);
        put16(&mut p, 22, c.len() as u16);
        p[25] = 7; // P_OVERFLOW
        p[26..26 + c.len()].copy_from_slice(c);
        pages.push(p);
    }
    let mut items: Vec<Vec<u8>> = Vec::new();
    for (key, value) in [(0u32, 3u32.to_le_bytes().to_vec()), (1, inline.to_vec())] {
        items.push([&[1u8][..], &key.to_le_bytes()].concat());
        items.push([&[1u8][..], &value].concat());
    }
    items.push([&[1u8][..], &2u32.to_le_bytes()].concat());
    let mut off = vec![3u8, 0, 0, 0];
    off.extend_from_slice(&2u32.to_le_bytes());
    off.extend_from_slice(&(big.len() as u32).to_le_bytes());
    items.push(off);
    let p = &mut pages[1];
    put32(p, 8, 1);
    put16(p, 20, items.len() as u16);
    p[25] = 13; // P_HASH
    let mut end = PS;
    for (i, it) in items.iter().enumerate() {
        let start = end - it.len();
        p[start..end].copy_from_slice(it);
        put16(p, 26 + 2 * i, start as u16);
        end = start;
    }
    pages.concat()
}

const STATUS: &str = "Package: demo\nStatus: install ok installed\nPriority: optional\n\
Architecture: amd64\nMulti-Arch: same\nVersion: 1:2.30-1ubuntu1\nConffiles:\n \
/etc/demo.conf 0123456789abcdef0123456789abcdef\n /etc/old.conf newconffile\n \
/etc/gone.conf 0123456789abcdef0123456789abcdef obsolete\nDescription: demo\n more\n\n\
Package: half\nStatus: install reinstreq half-installed\nArchitecture: all\nVersion: 0.1\n\n\
Package: gone\nStatus: deinstall ok config-files\nVersion: 3-1\n";

const LIST: &str = "/.\n/etc\n/etc/demo.conf\n/usr/bin/demo\n/usr/share/doc/demo/\n\
/usr/lib/x86_64-linux-gnu//libdemo.so.1\nrelative/path\n/with space\n";

const MD5SUMS: &str = "0123456789abcdef0123456789abcdef  usr/bin/demo\n\
fedcba9876543210fedcba9876543210  ./usr/share/doc/demo/copyright\n\
0123456789ABCDEF0123456789ABCDEF /usr/lib/libdemo.so.1\nnot-a-digest  usr/x\n";

fn text_seeds(literal: &str, real: &[&str]) -> Vec<Vec<u8>> {
    let mut v = vec![literal.as_bytes().to_vec()];
    for r in real {
        v.extend(real_prefix(r));
    }
    v
}

// ---- one test per target -------------------------------------------------

fn target(name: &str) -> rootaudit::fuzz::Target {
    rootaudit::fuzz::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .unwrap()
}

/// Every target in `rootaudit::fuzz` has a cargo-fuzz target and a smoke
/// test here.
#[test]
fn every_target_is_wired() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
    let here = include_str!("fuzz_smoke.rs");
    for (name, _) in rootaudit::fuzz::TARGETS {
        let file = dir.join(format!("{name}.rs"));
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            text.contains(&format!("rootaudit::fuzz::{name}(")),
            "{} does not call rootaudit::fuzz::{name}",
            file.display()
        );
        assert!(
            here.contains(&format!("fn {name}()")),
            "no smoke test {name}"
        );
    }
}

/// The generated seeds are what they claim to be: the headers read as
/// packages, the images give their records without damage, the key and
/// the stanzas parse. (A seed the reader rejects outright would leave its
/// deeper code unfuzzed.)
#[test]
fn seeds_are_valid() {
    use rootaudit::pkgdb::rpm::{bdb, ndb};
    let h = synthetic_headers();
    for (i, blob) in h.iter().enumerate() {
        let r = rootaudit::pkgdb::rpm::read_record(blob, 1);
        assert!(r.is_ok(), "header {i}: {:?}", r.err().map(|m| m.error));
    }
    let ndb = ndb::extract(&ndb_image(&[(1, h[0].clone()), (2, h[1].clone())])[..]).unwrap();
    assert!(ndb.damage.is_empty(), "{:?}", ndb.damage);
    assert_eq!(ndb.records.len(), 2);
    assert_eq!(ndb.records[1].blob.as_ref().ok(), Some(&h[1]));
    let bdb = bdb::extract(&bdb_image(b"tiny", &h[1])[..]).unwrap();
    assert!(bdb.damage.is_empty(), "{:?}", bdb.damage);
    assert_eq!(bdb.records.len(), 2);
    assert_eq!(bdb.records[1].blob.as_ref().ok(), Some(&h[1]));
    let mut store = rootaudit::trust::TrustStore::empty();
    for k in bare_keys() {
        assert_eq!(
            store.add_bytes(Path::new("k"), &k),
            1,
            "{:?}",
            store.problems()
        );
    }
    let stanzas = rootaudit::pkgdb::dpkg::status::parse(STATUS.as_bytes(), 0);
    assert_eq!(stanzas.len(), 3);
    assert!(stanzas.iter().all(Result::is_ok), "{stanzas:?}");
}

#[test]
fn rpm_header() {
    let mut seeds = synthetic_headers();
    seeds.extend(real_files("rpmdb/header-blobs/centos7-plain", 3));
    seeds.extend(real_prefix("rpmdb/blob.bin"));
    smoke("rpm_header", target("rpm_header"), seeds);
}

#[test]
fn rpm_sqlite_blob() {
    let mut seeds = synthetic_headers();
    seeds.extend(real_sqlite_blobs(3));
    smoke("rpm_sqlite_blob", target("rpm_sqlite_blob"), seeds);
}

#[test]
fn rpm_ndb() {
    let h = synthetic_headers();
    let mut seeds = vec![
        ndb_image(&[(1, h[0].clone()), (2, h[1].clone())]),
        ndb_image(&[(3, h[2].clone())]),
    ];
    seeds.extend(real_prefix("rpmdb/sle15-bci/Packages.db"));
    smoke("rpm_ndb", target("rpm_ndb"), seeds);
}

#[test]
fn rpm_bdb() {
    let h = synthetic_headers();
    let mut seeds = vec![bdb_image(b"tiny", &h[1]), bdb_image(&h[0][..64], &h[2])];
    seeds.extend(real_prefix("rpmdb/fossa/sles12sp4/Packages"));
    smoke("rpm_bdb", target("rpm_bdb"), seeds);
}

#[test]
fn dpkg_status() {
    let seeds = text_seeds(
        STATUS,
        &[
            "otherdb/dpkg/claircore-debian-postgresql/status",
            "otherdb/dpkg/fossa-debian-11/var/lib/dpkg/status",
            "otherdb/dpkg/syft-distroless-libsqlite3/var/lib/dpkg/status.d/libsqlite3-0",
        ],
    );
    smoke("dpkg_status", target("dpkg_status"), seeds);
}

#[test]
fn dpkg_list() {
    smoke("dpkg_list", target("dpkg_list"), text_seeds(LIST, &[]));
}

#[test]
fn dpkg_md5sums() {
    let seeds = text_seeds(
        MD5SUMS,
        &["otherdb/dpkg/syft-distroless-libsqlite3/var/lib/dpkg/status.d/libsqlite3-0.md5sums"],
    );
    smoke("dpkg_md5sums", target("dpkg_md5sums"), seeds);
}

#[test]
fn pyc_marshal() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pyc");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pyc"))
        .collect();
    paths.sort();
    let seeds = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    smoke("pyc_marshal", target("pyc_marshal"), seeds);
}

#[test]
fn openpgp_keyring() {
    let mut seeds = bare_keys();
    for k in [
        "keys/centos/RPM-GPG-KEY-CentOS-7",
        "keys/fedora/RPM-GPG-KEY-fedora-38-primary",
        "keys/amazon-linux/RPM-GPG-KEY-amazon-linux-2023",
    ] {
        seeds.extend(real_prefix(k));
    }
    smoke("openpgp_keyring", target("openpgp_keyring"), seeds);
}

#[test]
fn pacman_mtree() {
    let mut seeds = vec![
        b"#mtree\n/set type=file uid=0 gid=0 mode=644\n./.PKGINFO time=1.0 size=3 \
          md5digest=d41d8cd98f00b204e9800998ecf8427e\n./usr/bin/a\\040b time=1.5 mode=755 \
          size=3 sha256digest=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
          ./usr/lib/l type=link link=a\n/unset mode\n./etc type=dir\n"
            .to_vec(),
    ];
    seeds.extend(real_prefix(
        "otherdb/pacman/alpm.rs-2019/var/lib/pacman/local/acl-2.2.53-1/mtree",
    ));
    smoke("pacman_mtree", target("pacman_mtree"), seeds);
}

#[test]
fn pacman_desc() {
    let seeds = text_seeds(
        "%NAME%\nacl\n\n%VERSION%\n1:2.2.53-1\n\n%ARCH%\nx86_64\n\n%FILES%\nusr/\nusr/bin/\n\
         usr/bin/chacl\n\n%BACKUP%\netc/a.conf\td41d8cd98f00b204e9800998ecf8427e\n",
        &["otherdb/pacman/alpm.rs-2019/var/lib/pacman/local/acl-2.2.53-1/desc"],
    );
    smoke("pacman_desc", target("pacman_desc"), seeds);
}

#[test]
fn apk_installed() {
    let seeds = text_seeds(
        "C:Q1abc=\nP:musl\nV:1.2.3-r0\nA:x86_64\nF:lib\nM:0:0:755\nR:ld-musl.so.1\n\
         a:0:0:755\nZ:Q1lJh+XWL6rDMOvqtfXyS7bSLA3eQ=\n\n",
        &["otherdb/apk/syft-alpine-3.16/lib/apk/db/installed"],
    );
    smoke("apk_installed", target("apk_installed"), seeds);
}

#[test]
fn portage_contents() {
    let seeds = text_seeds(
        "dir /usr\nobj /usr/bin/a b d41d8cd98f00b204e9800998ecf8427e 1600000000\n\
         sym /usr/bin/c -> a b 1600000000\nfif /run/x\n",
        &["otherdb/gentoo/arm64-stage-2021/var/db/pkg/dev-util/cmake-3.17.4-r1/CONTENTS"],
    );
    smoke("portage_contents", target("portage_contents"), seeds);
}

#[test]
fn pkgsrc_plist() {
    let seeds = text_seeds(
        "@name x-1.0\n@cwd /usr/pkg\nbin/x\n@comment MD5:d41d8cd98f00b204e9800998ecf8427e\n\
         bin/y\n@comment Symlink:x\n@ignore\n+BUILD_INFO\n@pkgdir share/x\n@exec echo hi\n",
        &["otherdb/pkgsrc/minix-3.2.1/usr/var/db/pkg/bmake-20110606/+CONTENTS"],
    );
    smoke("pkgsrc_plist", target("pkgsrc_plist"), seeds);
}
