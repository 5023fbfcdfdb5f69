//! From rpm header to [`Package`], for the `pkgdb` stage: the one place
//! that knows which tags make up a package and its file list.
//!
//! Every package value (identity and per-file arrays) is read from inside
//! the header's immutable region with [`Header::get`]; only the install-time
//! `FILESTATES` is read with [`Header::get_any`], because rpm appends it
//! after the region. Every per-file array must have one element per file.
//!
//! ```
//! use rootaudit::pkgdb::rpm::{header::Header, package::package_from_header};
//! # fn demo(blob: &[u8]) -> Result<(), rootaudit::pkgdb::rpm::header::HeaderError> {
//! let pkg = package_from_header(Header::parse(blob)?, 42)?;
//! println!("{} has {} files", pkg.nevra(), pkg.files.len());
//! # Ok(()) }
//! ```

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use super::header::{DataFault, Entry, Header, HeaderError};
use super::tags;
use crate::model::VerifyAttrs;
use crate::pkgdb::{DigestAlgo, FileFlags, FileRecord, FileState, Package};

/// Build a [`Package`] (header `record` of its database) from a parsed
/// header, which it keeps ([`super::header_of`] gives it back).
pub fn package_from_header(header: Header, record: u64) -> Result<Package, HeaderError> {
    let mut p = package_of(&header, record)?;
    p.native = Some(crate::pkgdb::Native::new(header));
    Ok(p)
}

/// [`package_from_header`] without keeping the header.
pub(crate) fn package_of(header: &Header, record: u64) -> Result<Package, HeaderError> {
    let name = required_str(header, tags::NAME)?;
    let version = required_str(header, tags::VERSION)?;
    let release = required_str(header, tags::RELEASE)?;
    let epoch = header.get(tags::EPOCH).map(|e| e.u32()).transpose()?;
    let arch = header
        .get(tags::ARCH)
        .map(|e| e.str().map(str::to_owned))
        .transpose()?;
    let files = files(header)?;
    Ok(Package {
        record,
        name,
        epoch,
        version,
        release,
        arch,
        files,
        native: None,
        lacks_digests: false,
    })
}

fn required(h: &Header, tag: u32) -> Result<Entry<'_>, HeaderError> {
    h.get(tag).ok_or(HeaderError::MissingTag { tag })
}

fn required_str(h: &Header, tag: u32) -> Result<String, HeaderError> {
    Ok(required(h, tag)?.str()?.to_owned())
}

/// Read an optional per-file array and check it has `n` elements.
fn per_file<'h, T>(
    entry: Option<Entry<'h>>,
    n: usize,
    read: impl Fn(&Entry<'h>) -> Result<Vec<T>, HeaderError>,
) -> Result<Option<Vec<T>>, HeaderError> {
    let Some(e) = entry else { return Ok(None) };
    let v = read(&e)?;
    if v.len() != n {
        return Err(HeaderError::ArrayLength {
            tag: e.tag(),
            expected: n,
            got: v.len(),
        });
    }
    Ok(Some(v))
}

/// Read a per-file array from the region that must be present when the
/// package has files.
fn required_per_file<'h, T>(
    h: &'h Header,
    tag: u32,
    n: usize,
    read: impl Fn(&Entry<'h>) -> Result<Vec<T>, HeaderError>,
) -> Result<Vec<T>, HeaderError> {
    match per_file(h.get(tag), n, read)? {
        Some(v) => Ok(v),
        None if n == 0 => Ok(Vec::new()),
        None => Err(HeaderError::MissingTag { tag }),
    }
}

/// The file paths: BASENAMES + DIRNAMES + DIRINDEXES, or OLDFILENAMES.
fn paths(h: &Header) -> Result<Vec<Vec<u8>>, HeaderError> {
    if let Some(base) = h.get(tags::BASENAMES) {
        let base = base.string_array_bytes()?;
        let n = base.len();
        let dirs = required(h, tags::DIRNAMES)?.string_array_bytes()?;
        let index = required_per_file(h, tags::DIRINDEXES, n, |e| e.u32_array())?;
        return base
            .iter()
            .zip(&index)
            .enumerate()
            .map(|(file, (b, &dir_index))| {
                let d = dirs
                    .get(dir_index as usize)
                    .ok_or(HeaderError::DirIndexOutOfRange {
                        file,
                        dir_index,
                        dirs: dirs.len(),
                    })?;
                let mut p = Vec::with_capacity(d.len() + b.len());
                p.extend_from_slice(d);
                p.extend_from_slice(b);
                Ok(p)
            })
            .collect();
    }
    match h.get(tags::OLDFILENAMES) {
        Some(e) => Ok(e
            .string_array_bytes()?
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect()),
        None => Ok(Vec::new()),
    }
}

/// Digest length in bytes of a known algorithm.
fn digest_len(algo: DigestAlgo) -> Option<usize> {
    match algo {
        DigestAlgo::Md5 => Some(16),
        DigestAlgo::Sha1 => Some(20),
        DigestAlgo::Sha224 => Some(28),
        DigestAlgo::Sha256 => Some(32),
        DigestAlgo::Sha384 => Some(48),
        DigestAlgo::Sha512 => Some(64),
        DigestAlgo::Unknown(_) => None,
    }
}

/// Hex to bytes (either case), `None` for an odd length or a non-hex digit.
/// A table and a plain loop: `hex::decode`'s iterator chain was a sixth of
/// the time to read a 150,000-file database.
fn decode_hex(s: &[u8]) -> Option<Vec<u8>> {
    const INVALID: u8 = 0xff;
    const TABLE: [u8; 256] = {
        let mut t = [INVALID; 256];
        let mut i = 0;
        while i < 10 {
            t[b'0' as usize + i] = i as u8;
            i += 1;
        }
        let mut i = 0;
        while i < 6 {
            t[b'a' as usize + i] = 10 + i as u8;
            t[b'A' as usize + i] = 10 + i as u8;
            i += 1;
        }
        t
    };
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let mut out = vec![0u8; s.len() / 2];
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        let (hi, lo) = (TABLE[usize::from(pair[0])], TABLE[usize::from(pair[1])]);
        bad |= hi | lo;
        *o = hi << 4 | lo;
    }
    (bad & 0xf0 == 0).then_some(out)
}

/// Decode the hex digests; an empty string is "no digest".
fn digests(hexes: &[&[u8]], algo: DigestAlgo) -> Result<Vec<Vec<u8>>, HeaderError> {
    let invalid = |fault| HeaderError::InvalidData {
        tag: tags::FILEDIGESTS,
        fault,
    };
    hexes
        .iter()
        .enumerate()
        .map(|(index, s)| {
            if s.is_empty() {
                return Ok(Vec::new());
            }
            let d = decode_hex(s).ok_or_else(|| invalid(DataFault::BadHex { index }))?;
            match digest_len(algo) {
                Some(expected) if expected != d.len() => Err(invalid(DataFault::DigestLength {
                    index,
                    len: d.len(),
                    expected,
                })),
                _ => Ok(d),
            }
        })
        .collect()
}

fn lossy(v: Vec<&[u8]>) -> Vec<String> {
    v.into_iter()
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

/// The file list. User, group and capability names that are not UTF-8 are
/// converted lossily.
fn files(h: &Header) -> Result<Vec<FileRecord>, HeaderError> {
    let paths = paths(h)?;
    let n = paths.len();

    let sizes: Vec<u64> = match per_file(h.get(tags::LONGFILESIZES), n, |e| e.u64_array())? {
        Some(v) => v,
        None => required_per_file(h, tags::FILESIZES, n, |e| e.u32_array())?
            .into_iter()
            .map(u64::from)
            .collect(),
    };
    let modes = required_per_file(h, tags::FILEMODES, n, |e| e.u16_array())?;
    let rdevs = required_per_file(h, tags::FILERDEVS, n, |e| e.u16_array())?;
    let mtimes = required_per_file(h, tags::FILEMTIMES, n, |e| e.u32_array())?;
    let algo = match h.get(tags::FILEDIGESTALGO) {
        Some(e) => DigestAlgo::from_rpm(e.u32()?),
        None => DigestAlgo::Md5,
    };
    let digests = digests(
        &required_per_file(h, tags::FILEDIGESTS, n, |e| e.string_array_bytes())?,
        algo,
    )?;
    let links = required_per_file(h, tags::FILELINKTOS, n, |e| e.string_array_bytes())?;
    let flags = required_per_file(h, tags::FILEFLAGS, n, |e| e.u32_array())?;
    let users = lossy(required_per_file(h, tags::FILEUSERNAME, n, |e| {
        e.string_array_bytes()
    })?);
    let groups = lossy(required_per_file(h, tags::FILEGROUPNAME, n, |e| {
        e.string_array_bytes()
    })?);
    let verify = per_file(h.get(tags::FILEVERIFYFLAGS), n, |e| e.u32_array())?;
    let caps = per_file(h.get(tags::FILECAPS), n, |e| e.string_array_bytes())?.map(lossy);
    // Install-time data: rpm appends it after the region.
    let states = per_file(h.get_any(tags::FILESTATES), n, |e| e.i8_array())?;

    let mut out = Vec::with_capacity(n);
    let columns = paths
        .into_iter()
        .zip(sizes)
        .zip(modes)
        .zip(rdevs)
        .zip(mtimes)
        .zip(digests)
        .zip(links)
        .zip(flags)
        .zip(users)
        .zip(groups)
        .enumerate();
    for (i, (((((((((path, size), mode), rdev), mtime), digest), link), fl), user), group)) in
        columns
    {
        out.push(FileRecord {
            path: PathBuf::from(OsString::from_vec(path)),
            size,
            mode: u32::from(mode),
            rdev: u32::from(rdev),
            mtime,
            digest_algo: algo,
            digest,
            link_to: link.to_vec(),
            flags: FileFlags::from_bits_retain(fl),
            verify: verify
                .as_ref()
                .and_then(|v| v.get(i))
                .map_or(VerifyAttrs::all(), |&v| VerifyAttrs::from_bits_truncate(v)),
            user,
            group,
            caps: caps
                .as_ref()
                .and_then(|c| c.get(i))
                .cloned()
                .unwrap_or_default(),
            state: states
                .as_ref()
                .and_then(|s| s.get(i))
                .map_or(FileState::Normal, |&s| FileState::from_rpm(s)),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pkgdb::rpm::header::tests::{
        Spec, blobs, build, chars, int16, int32, int64, realdata, sqlite_blobs, string, strings,
    };
    use std::collections::HashMap;
    use std::path::Path;

    #[test]
    fn decode_hex_agrees_with_the_hex_crate() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let alphabet = b"0123456789abcdefABCDEFgG x\x00\xff";
        for len in 0..70 {
            for _ in 0..50 {
                let s: Vec<u8> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        // Mostly valid digits, sometimes not.
                        let i = (state % 100) as usize;
                        alphabet[if i < 90 { i % 22 } else { 22 + i % 6 }]
                    })
                    .collect();
                assert_eq!(decode_hex(&s), hex::decode(&s).ok(), "{s:?}");
            }
        }
    }

    const MD5_A: &str = "d41d8cd98f00b204e9800998ecf8427e";
    const MD5_B: &str = "0123456789abcdef0123456789abcdef";

    /// A two-file package, with `replace` swapping in entries by tag.
    fn demo(replace: Vec<Spec>) -> Vec<Spec> {
        let mut v = vec![
            string(tags::NAME, "demo"),
            string(tags::VERSION, "1.0"),
            string(tags::RELEASE, "3.el9"),
            int32(tags::EPOCH, &[2]),
            string(tags::ARCH, "x86_64"),
            int32(tags::FILESIZES, &[10, 0]),
            int16(tags::FILEMODES, &[0o100755, 0o120777]),
            int16(tags::FILERDEVS, &[0, 0]),
            int32(tags::FILEMTIMES, &[1_700_000_000, 1_700_000_001]),
            strings(tags::FILEDIGESTS, &[MD5_A, ""]),
            strings(tags::FILELINKTOS, &["", "demo"]),
            int32(tags::FILEFLAGS, &[0, 1]),
            strings(tags::FILEUSERNAME, &["root", "root"]),
            strings(tags::FILEGROUPNAME, &["root", "wheel"]),
            int32(tags::FILEVERIFYFLAGS, &[u32::MAX, 0x1]),
            int32(tags::DIRINDEXES, &[0, 1]),
            strings(tags::BASENAMES, &["demo", "demo-link"]),
            strings(tags::DIRNAMES, &["/usr/bin/", "/usr/sbin/"]),
        ];
        for r in replace {
            v.retain(|s| s.tag != r.tag);
            v.push(r);
        }
        v.sort_by_key(|s| s.tag);
        v
    }

    fn pkg(inside: Vec<Spec>, outside: &[Spec]) -> Result<Package, HeaderError> {
        let blob = build(Some(tags::HEADERIMMUTABLE), &inside, outside);
        package_from_header(Header::parse(&blob)?, 7)
    }

    #[test]
    fn builds_package_and_files() {
        let p = pkg(demo(vec![]), &[chars(tags::FILESTATES, &[0, 1])]).expect("package");
        assert_eq!(p.record, 7);
        assert_eq!(p.nevra(), "demo-2:1.0-3.el9.x86_64");
        assert!(crate::pkgdb::rpm::header_of(p.native.as_ref()).is_some());
        assert_eq!(p.files.len(), 2);
        let (a, b) = (&p.files[0], &p.files[1]);
        assert_eq!(a.path, Path::new("/usr/bin/demo"));
        assert_eq!(b.path, Path::new("/usr/sbin/demo-link"));
        assert_eq!(a.size, 10);
        assert_eq!(a.mode, 0o100755);
        assert_eq!(a.mtime, 1_700_000_000);
        assert_eq!(a.digest_algo, DigestAlgo::Md5);
        assert_eq!(hex::encode(&a.digest), MD5_A);
        assert!(b.digest.is_empty());
        assert_eq!(b.link_to, b"demo");
        assert!(b.flags.contains(FileFlags::CONFIG));
        assert_eq!(a.verify, VerifyAttrs::all());
        assert_eq!(b.verify, VerifyAttrs::DIGEST);
        assert_eq!(b.group, "wheel");
        assert_eq!(a.caps, "");
        assert_eq!(a.state, FileState::Normal);
        assert_eq!(b.state, FileState::Replaced);
    }

    #[test]
    fn outside_values_never_reach_the_package() {
        let p = pkg(
            demo(vec![]),
            &[
                strings(tags::FILEDIGESTS, &[MD5_B, MD5_B]),
                string(tags::NAME, "evil"),
            ],
        )
        .expect("package");
        assert_eq!(p.name, "demo");
        assert_eq!(hex::encode(&p.files[0].digest), MD5_A);
        assert!(p.files[1].digest.is_empty());
        let h = crate::pkgdb::rpm::header_of(p.native.as_ref()).unwrap();
        assert_eq!(h.region_overrides(), vec![tags::NAME, tags::FILEDIGESTS]);
        // A package value that only exists outside the region is missing.
        let mut inside = demo(vec![]);
        inside.retain(|s| s.tag != tags::RELEASE);
        let err = pkg(inside, &[string(tags::RELEASE, "1")]).unwrap_err();
        assert_eq!(err, HeaderError::MissingTag { tag: tags::RELEASE });
    }

    #[test]
    fn pubkey_without_files_or_arch() {
        let p = pkg(
            vec![
                string(tags::NAME, "gpg-pubkey"),
                string(tags::VERSION, "8483c65d"),
                string(tags::RELEASE, "5ccc5b19"),
            ],
            &[],
        )
        .expect("package");
        assert!(p.is_pubkey());
        assert!(p.files.is_empty());
        assert_eq!(p.arch, None);
        assert_eq!(p.epoch, None);
    }

    #[test]
    fn optional_arrays_and_long_sizes() {
        let mut inside = demo(vec![
            int64(tags::LONGFILESIZES, &[5 << 32, 1]),
            int32(tags::FILEDIGESTALGO, &[8]),
            strings(tags::FILEDIGESTS, &[&"ab".repeat(32), ""]),
            strings(tags::FILECAPS, &["cap_net_raw=ep", ""]),
        ]);
        inside.retain(|s| s.tag != tags::FILEVERIFYFLAGS);
        let p = pkg(inside, &[]).expect("package");
        let a = &p.files[0];
        assert_eq!(a.size, 5 << 32);
        assert_eq!(a.digest_algo, DigestAlgo::Sha256);
        assert_eq!(a.digest, vec![0xab; 32]);
        assert_eq!(a.caps, "cap_net_raw=ep");
        assert_eq!(a.verify, VerifyAttrs::all());
    }

    #[test]
    fn old_file_names() {
        let mut inside = demo(vec![strings(tags::OLDFILENAMES, &["/a", "/b/c"])]);
        inside.retain(|s| ![tags::BASENAMES, tags::DIRNAMES, tags::DIRINDEXES].contains(&s.tag));
        let p = pkg(inside, &[]).expect("package");
        assert_eq!(p.files[1].path, Path::new("/b/c"));
    }

    #[test]
    fn rejects_inconsistent_files() {
        let err = pkg(demo(vec![int32(tags::FILEMTIMES, &[1])]), &[]).unwrap_err();
        assert_eq!(
            err,
            HeaderError::ArrayLength {
                tag: tags::FILEMTIMES,
                expected: 2,
                got: 1
            }
        );
        let err = pkg(demo(vec![]), &[chars(tags::FILESTATES, &[0])]).unwrap_err();
        assert!(matches!(
            err,
            HeaderError::ArrayLength {
                tag: tags::FILESTATES,
                ..
            }
        ));
        let err = pkg(demo(vec![int32(tags::DIRINDEXES, &[0, 2])]), &[]).unwrap_err();
        assert_eq!(
            err,
            HeaderError::DirIndexOutOfRange {
                file: 1,
                dir_index: 2,
                dirs: 2
            }
        );
        let err = pkg(demo(vec![strings(tags::FILEDIGESTS, &["zz", ""])]), &[]).unwrap_err();
        assert!(matches!(
            err,
            HeaderError::InvalidData {
                fault: DataFault::BadHex { index: 0 },
                ..
            }
        ));
        let err = pkg(demo(vec![strings(tags::FILEDIGESTS, &["abcd", ""])]), &[]).unwrap_err();
        assert!(matches!(
            err,
            HeaderError::InvalidData {
                fault: DataFault::DigestLength { .. },
                ..
            }
        ));
        let err = pkg(demo(vec![strings(tags::FILEMODES, &["a", "b"])]), &[]).unwrap_err();
        assert!(matches!(
            err,
            HeaderError::WrongType {
                tag: tags::FILEMODES,
                ..
            }
        ));
        let mut inside = demo(vec![]);
        inside.retain(|s| s.tag != tags::FILEUSERNAME);
        assert_eq!(
            pkg(inside, &[]).unwrap_err(),
            HeaderError::MissingTag {
                tag: tags::FILEUSERNAME
            }
        );
        let mut inside = demo(vec![]);
        inside.retain(|s| s.tag != tags::NAME);
        assert_eq!(
            pkg(inside, &[]).unwrap_err(),
            HeaderError::MissingTag { tag: tags::NAME }
        );
    }

    fn manifest_nevras(dir: &Path) -> HashMap<String, String> {
        let text =
            std::fs::read_to_string(dir.join("rpmdb/header-blobs/MANIFEST.tsv")).expect("MANIFEST");
        text.lines()
            .skip(1)
            .filter_map(|l| {
                let cols: Vec<&str> = l.split('\t').collect();
                let file = Path::new(cols.first()?).file_name()?.to_str()?.to_owned();
                Some((file, (*cols.get(6)?).to_owned()))
            })
            .collect()
    }

    /// Sanity of a real package's file list.
    fn check_files(what: &str, p: &Package) {
        for f in &p.files {
            assert!(f.path_bytes().starts_with(b"/"), "{what}: {:?}", f.path);
            if let Some(len) = digest_len(f.digest_algo) {
                assert!(f.digest.is_empty() || f.digest.len() == len, "{what}");
            }
            let is_reg = f.mode & 0o170000 == 0o100000;
            let is_link = f.mode & 0o170000 == 0o120000;
            assert_eq!(is_link, !f.link_to.is_empty(), "{what}: {:?}", f.path);
            if is_reg && f.size > 0 && !f.flags.contains(FileFlags::GHOST) {
                assert!(!f.digest.is_empty(), "{what}: {:?}", f.path);
            }
            assert!(!f.user.is_empty() && !f.group.is_empty(), "{what}");
        }
    }

    #[test]
    fn real_blobs_match_manifest() {
        let Some(dir) = realdata() else { return };
        let manifest = manifest_nevras(&dir);
        let (mut packages, mut files, mut pubkeys) = (0, 0, 0);
        for set in ["centos7-plain", "centos8-modularitylabel"] {
            for (i, (name, blob)) in blobs(&dir, set).into_iter().enumerate() {
                let h = Header::parse(&blob).unwrap_or_else(|e| panic!("{name}: {e}"));
                let p = package_from_header(h, i as u64).unwrap_or_else(|e| panic!("{name}: {e}"));
                let want = manifest
                    .get(&name)
                    .unwrap_or_else(|| panic!("{name} not in MANIFEST"));
                let got = match p.arch {
                    Some(_) => p.nevra(),
                    None => format!("{}.None", p.nevra()),
                };
                assert_eq!(&got, want, "{name}");
                check_files(&name, &p);
                if p.is_pubkey() {
                    pubkeys += 1;
                    assert!(p.files.is_empty());
                }
                packages += 1;
                files += p.files.len();
            }
        }
        assert!(packages >= 661, "{packages}");
        assert!(pubkeys >= 1, "{pubkeys}");
        assert!(files > 10_000, "{files} files");
    }

    #[test]
    fn real_sqlite_matches_rpm_qa() {
        let Some(dir) = realdata() else { return };
        let csv = std::fs::read_to_string(dir.join("rpmdb/amazonlinux2023-plain/packages.csv"))
            .expect("packages.csv");
        // epoch¶name¶version¶release¶arch¶…, as `rpm -qa` printed them.
        let mut want: Vec<String> = csv
            .lines()
            .map(|l| l.split('¶').take(5).collect::<Vec<_>>().join("|"))
            .collect();
        let mut got = Vec::new();
        let mut with_states = 0;
        for (hnum, blob) in sqlite_blobs(&dir) {
            let h = Header::parse(&blob).unwrap_or_else(|e| panic!("hnum {hnum}: {e}"));
            if h.get_any(tags::FILESTATES).is_some() {
                with_states += 1;
            }
            let p = package_from_header(h, hnum).unwrap_or_else(|e| panic!("hnum {hnum}: {e}"));
            check_files(&p.nevra(), &p);
            got.push(
                [
                    p.epoch.map(|e| e.to_string()).unwrap_or_default(),
                    p.name.clone(),
                    p.version.clone(),
                    p.release.clone(),
                    p.arch.clone().unwrap_or_default(),
                ]
                .join("|"),
            );
        }
        want.sort();
        got.sort();
        assert_eq!(got.len(), 103);
        assert_eq!(got, want);
        assert!(with_states >= 90, "{with_states}");
    }

    /// go-rpmdb corrupted this blob by pointing the last file's directory
    /// index past DIRNAMES (which also breaks its header digests): the
    /// header parses, the package is a clean error.
    #[test]
    fn corrupted_blob_is_a_clean_error() {
        let Some(dir) = realdata() else { return };
        let blob = std::fs::read(dir.join("rpmdb/blob.bin")).expect("blob.bin");
        let h = Header::parse(&blob).expect("header parses");
        assert_eq!(
            package_from_header(h, 1).unwrap_err(),
            HeaderError::DirIndexOutOfRange {
                file: 3,
                dir_index: 4,
                dirs: 4
            }
        );
    }
}
