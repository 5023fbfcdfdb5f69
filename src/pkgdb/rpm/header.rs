//! RPM headers as stored in an rpmdb, for the `pkgdb` stage: parsing and
//! validation of an untrusted header blob, and typed, bounds-checked access
//! to its entries.
//!
//! A stored header is `il:u32be, dl:u32be, index[il], data[dl]` (no 8-byte
//! magic). Every index entry is `tag, type, offset, count` (u32 big-endian).
//! [`Header::parse`] checks everything rpm's `hdrblobInit` and
//! `headerVerifyRegion` check (sizes, types, counts, alignment, bounds,
//! overlaps, the region trailer) and a little more, so that no accessor can
//! ever read outside the blob.
//!
//! **The region.** Entry 0 of a modern header is `HEADERIMMUTABLE` and
//! points at a trailer that delimits the immutable, signed part of the
//! header: index entries `[0, ril)` and data bytes `[0, rdl)`. rpm appends
//! install-time entries after it (the "dribble": `FILESTATES`,
//! `INSTALLTIME`, signature tags copied from the signature header, …).
//! Package values are read only from inside the region ([`Header::get`]):
//! an entry outside that repeats a tag inside never overrides it (rpm 4.18
//! lets it); [`Header::region_overrides`] lists such tags for the trust
//! checks. Install-time and signature tags, which legitimately live outside,
//! are read with [`Header::get_any`].
//!
//! ```
//! use rootaudit::pkgdb::rpm::{header::Header, tags};
//! # fn demo(blob: &[u8]) -> Result<(), rootaudit::pkgdb::rpm::header::HeaderError> {
//! let h = Header::parse(blob)?;
//! if let Some(name) = h.get(tags::NAME) {
//!     let _name: &str = name.str()?;
//! }
//! let _signed: Option<Vec<u8>> = h.signed_region_bytes();
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;

use super::tags::{self, EntryType};

/// The 8-byte header magic (`8e ad e8`, version 1, 4 reserved bytes) that
/// precedes a header in a package file and in the bytes its digests and
/// signatures cover.
pub const HEADER_MAGIC: [u8; 8] = [0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];

/// Most index entries a header may have (rpm's `hdrchkTags`).
pub const MAX_ENTRIES: u32 = 0xffff;

/// Most data bytes a header may have (rpm's `HEADER_DATA_MAX`, just under
/// 256 MiB).
pub const MAX_DATA: u32 = 0x0fff_ffff;

/// Size of one index entry, and of the region trailer.
const ENTRY_SIZE: usize = 16;

/// Why a header blob (or a value in it) was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The blob ends before the size its `il` and `dl` fields announce.
    #[error("header truncated: {len} bytes, {needed} needed")]
    Truncated {
        /// Bytes the header needs.
        needed: u64,
        /// Bytes there are.
        len: usize,
    },
    /// The blob is longer than its `il` and `dl` fields announce.
    #[error("header has trailing bytes: {len} bytes, {expected} expected")]
    TrailingBytes {
        /// Bytes the header announces.
        expected: u64,
        /// Bytes there are.
        len: usize,
    },
    /// The header has no index entries at all.
    #[error("header has no index entries")]
    NoEntries,
    /// `il` is above the sanity limit.
    #[error("header claims {il} index entries (at most {max})")]
    TooManyEntries {
        /// The announced entry count.
        il: u32,
        /// The limit.
        max: u32,
    },
    /// `dl` is above the sanity limit.
    #[error("header claims {dl} data bytes (at most {max})")]
    DataTooLarge {
        /// The announced data size.
        dl: u32,
        /// The limit.
        max: u32,
    },
    /// An entry's type code is not a data type.
    #[error("entry {index} (tag {tag}): bad type code {code}")]
    BadType {
        /// Position in the index.
        index: u32,
        /// The entry's tag.
        tag: u32,
        /// The type code found.
        code: u32,
    },
    /// An entry's count is zero, or not 1 for a STRING.
    #[error("entry {index} (tag {tag}): bad count {count}")]
    BadCount {
        /// Position in the index.
        index: u32,
        /// The entry's tag.
        tag: u32,
        /// The count found.
        count: u32,
    },
    /// An entry other than the region entry uses a tag number below 100,
    /// which rpm reserves for regions.
    #[error("entry {index}: reserved tag {tag}")]
    ReservedTag {
        /// Position in the index.
        index: u32,
        /// The tag found.
        tag: u32,
    },
    /// An entry's data does not lie within the data store (including a
    /// string without its terminating NUL).
    #[error(
        "entry {index} (tag {tag}): data at offset {offset} (count {count}) \
         does not fit in the {dl}-byte data store"
    )]
    EntryOutOfBounds {
        /// Position in the index.
        index: u32,
        /// The entry's tag.
        tag: u32,
        /// The data offset.
        offset: u32,
        /// The element count.
        count: u32,
        /// Size of the data store.
        dl: u32,
    },
    /// An entry's data offset is not aligned for its type.
    #[error("entry {index} (tag {tag}): offset {offset} misaligned for {ty:?}")]
    Misaligned {
        /// Position in the index.
        index: u32,
        /// The entry's tag.
        tag: u32,
        /// The data offset.
        offset: u32,
        /// The entry's type.
        ty: EntryType,
    },
    /// An entry's data starts before the previous entry's data ends.
    #[error("entry {index} (tag {tag}): data overlaps the previous entry")]
    Overlap {
        /// Position in the index.
        index: u32,
        /// The entry's tag.
        tag: u32,
    },
    /// A region entry's data reaches the trailer or beyond, or an entry
    /// after the region has data inside it.
    #[error("entry {index} (tag {tag}): data crosses the region boundary")]
    RegionBoundary {
        /// Position in the index.
        index: u32,
        /// The entry's tag.
        tag: u32,
    },
    /// The same tag appears twice inside the region, or twice outside it.
    #[error("tag {tag} appears more than once {}", if *.inside_region { "inside the region" } else { "outside the region" })]
    DuplicateTag {
        /// The repeated tag.
        tag: u32,
        /// Whether the repetition is inside the region (or, without a
        /// region, anywhere).
        inside_region: bool,
    },
    /// Entry 0 announces a region whose tag entry or trailer is malformed.
    #[error("malformed region (tag {tag}): {fault}")]
    BadRegion {
        /// The region tag of entry 0.
        tag: u32,
        /// What is wrong with it.
        fault: RegionFault,
    },
    /// A tag the caller needs is absent.
    #[error("required tag {tag} is missing")]
    MissingTag {
        /// The missing tag.
        tag: u32,
    },
    /// A tag has a type the caller cannot read it as.
    #[error("tag {tag} has type {got:?}, expected {expected:?}")]
    WrongType {
        /// The tag.
        tag: u32,
        /// The type asked for (the first of those accepted).
        expected: EntryType,
        /// The type found.
        got: EntryType,
    },
    /// A per-file array does not have one element per file.
    #[error("tag {tag} has {got} elements, expected {expected}")]
    ArrayLength {
        /// The array's tag.
        tag: u32,
        /// Number of files.
        expected: usize,
        /// Number of elements found.
        got: usize,
    },
    /// A file's directory index points past the directory list.
    #[error("file {file}: directory index {dir_index} out of range ({dirs} directories)")]
    DirIndexOutOfRange {
        /// Position of the file.
        file: usize,
        /// Its directory index.
        dir_index: u32,
        /// Number of directories.
        dirs: usize,
    },
    /// A value is well-formed at the header level but not a valid value.
    #[error("tag {tag}: {fault}")]
    InvalidData {
        /// The tag holding it.
        tag: u32,
        /// What is wrong with it.
        fault: DataFault,
    },
    /// The database file could not deliver the record's blob intact (a
    /// broken BerkeleyDB overflow chain, an NDB blob whose checksum does not
    /// match): there was no header to parse.
    #[error("stored record is damaged: {0}")]
    Storage(super::storage::StorageFault),
}

/// What is wrong with a header region (see [`HeaderError::BadRegion`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegionFault {
    /// The region entry is not a 16-byte BIN.
    #[error("region entry has type {code}, count {count} (expected BIN, 16)")]
    BadEntry {
        /// Type code of entry 0.
        code: u32,
        /// Count of entry 0.
        count: u32,
    },
    /// The trailer does not lie within the data store.
    #[error("trailer at offset {offset} outside the {dl}-byte data store")]
    TrailerOutOfBounds {
        /// Offset of the trailer (entry 0's offset).
        offset: u32,
        /// Size of the data store.
        dl: u32,
    },
    /// The trailer is not an entry `(region tag, BIN, -(ril*16), 16)`.
    #[error("trailer is tag {tag}, type {code}, count {count}")]
    BadTrailer {
        /// Trailer tag.
        tag: u32,
        /// Trailer type code.
        code: u32,
        /// Trailer count.
        count: u32,
    },
    /// The trailer's offset does not give a region of whole entries within
    /// the index.
    #[error("trailer offset {trailer_offset} does not give 1..={il} index entries")]
    BadSize {
        /// The trailer's (negative) offset field.
        trailer_offset: i32,
        /// Number of index entries in the header.
        il: u32,
    },
}

/// What is wrong with a value (see [`HeaderError::InvalidData`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DataFault {
    /// A string that must be UTF-8 is not.
    #[error("string {index} is not UTF-8")]
    NotUtf8 {
        /// Position of the string in its array (0 for a single string).
        index: usize,
    },
    /// The entry's data has the wrong size for its count (never happens for
    /// an entry of a parsed header).
    #[error("data size does not match count")]
    Length,
    /// A file digest is not hex.
    #[error("digest of file {index} is not hex")]
    BadHex {
        /// Position of the file.
        index: usize,
    },
    /// A file digest has the wrong length for the digest algorithm.
    #[error("digest of file {index} is {len} bytes, expected {expected}")]
    DigestLength {
        /// Position of the file.
        index: usize,
        /// Its length in bytes.
        len: usize,
        /// The algorithm's digest length.
        expected: usize,
    },
}

/// The immutable region of a header: index entries `[0, ril)` and data
/// bytes `[0, rdl)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// The region tag: [`tags::HEADERIMMUTABLE`] in main headers,
    /// [`tags::HEADERSIGNATURES`] in signature headers,
    /// [`tags::HEADERIMAGE`] in very old packages.
    pub tag: u32,
    /// Number of index entries in the region, including entry 0.
    pub ril: u32,
    /// Number of data bytes in the region, including the 16-byte trailer.
    pub rdl: u32,
}

/// One validated index entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct IndexEntry {
    tag: u32,
    ty: EntryType,
    offset: u32,
    count: u32,
    /// Length of the data in bytes (strings including their NULs).
    len: u32,
}

/// A parsed, validated rpm header. Cheap to clone: the blob is shared.
#[derive(Clone)]
pub struct Header {
    blob: Arc<[u8]>,
    /// Byte offset of the data store in `blob`.
    data_start: usize,
    entries: Vec<IndexEntry>,
    region: Option<Region>,
    /// `(tag, index)` of the value source (the region; every entry when
    /// there is none), sorted by tag.
    inside: Vec<(u32, u32)>,
    /// `(tag, index)` of the entries after the region, sorted by tag.
    outside: Vec<(u32, u32)>,
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Header")
            .field("len", &self.blob.len())
            .field("entries", &self.entries.len())
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// An index entry (or region trailer) as read, before validation.
#[derive(Clone, Copy)]
struct RawEntry {
    tag: u32,
    code: u32,
    offset: u32,
    count: u32,
}

impl RawEntry {
    /// The 16 bytes at `at`, or zeros if they are not there (callers check
    /// bounds first; this only keeps indexing out).
    fn read(b: &[u8], at: usize) -> RawEntry {
        let field = |k: usize| be32(b, at.saturating_add(4 * k)).unwrap_or(0);
        RawEntry {
            tag: field(0),
            code: field(1),
            offset: field(2),
            count: field(3),
        }
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(s.try_into().ok()?))
}

/// Length in bytes of `count` elements of `ty` starting at `data[offset]`,
/// or `None` when they do not fit.
fn data_length(ty: EntryType, data: &[u8], offset: usize, count: u32) -> Option<usize> {
    let rest = data.get(offset..)?;
    if let Some(size) = ty.element_size() {
        let len = usize::try_from(count).ok()?.checked_mul(size)?;
        return (len <= rest.len()).then_some(len);
    }
    // String types: `count` NUL-terminated strings. Each string takes at
    // least one byte, so the loop runs at most `rest.len()` times.
    if usize::try_from(count).ok()? > rest.len() {
        return None;
    }
    let mut len = 0usize;
    for _ in 0..count {
        let nul = rest.get(len..)?.iter().position(|&b| b == 0)?;
        len = len.checked_add(nul)?.checked_add(1)?;
    }
    Some(len)
}

impl Header {
    /// Parse and validate a header blob as stored in an rpmdb (no magic).
    ///
    /// The blob is copied; nothing in it is trusted.
    pub fn parse(blob: &[u8]) -> Result<Header, HeaderError> {
        let (Some(il), Some(dl)) = (be32(blob, 0), be32(blob, 4)) else {
            return Err(HeaderError::Truncated {
                needed: 8,
                len: blob.len(),
            });
        };
        if il > MAX_ENTRIES {
            return Err(HeaderError::TooManyEntries {
                il,
                max: MAX_ENTRIES,
            });
        }
        if dl > MAX_DATA {
            return Err(HeaderError::DataTooLarge { dl, max: MAX_DATA });
        }
        if il == 0 {
            return Err(HeaderError::NoEntries);
        }
        let needed = 8 + u64::from(il) * ENTRY_SIZE as u64 + u64::from(dl);
        let len = blob.len();
        if (len as u64) < needed {
            return Err(HeaderError::Truncated { needed, len });
        }
        if (len as u64) > needed {
            return Err(HeaderError::TrailingBytes {
                expected: needed,
                len,
            });
        }
        // il ≤ 0xffff, so this cannot overflow.
        let data_start = 8 + il as usize * ENTRY_SIZE;
        let Some(data) = blob.get(data_start..) else {
            return Err(HeaderError::Truncated { needed, len });
        };

        let raw = |i: u32| RawEntry::read(blob, 8 + i as usize * ENTRY_SIZE);

        let entry0 = raw(0);
        let region = if tags::is_region_tag(entry0.tag) {
            Some(Self::parse_region(entry0, data, il)?)
        } else {
            None
        };

        let mut entries = Vec::with_capacity(il as usize);
        let first = if region.is_some() {
            entries.push(IndexEntry {
                tag: entry0.tag,
                ty: EntryType::Bin,
                offset: entry0.offset,
                count: entry0.count,
                len: ENTRY_SIZE as u32,
            });
            1
        } else {
            0
        };
        let mut prev_end = 0usize;
        for index in first..il {
            let RawEntry {
                tag,
                code,
                offset,
                count,
            } = raw(index);
            if tag < tags::HEADERI18NTABLE {
                return Err(HeaderError::ReservedTag { index, tag });
            }
            let ty = match EntryType::from_code(code) {
                Some(EntryType::Null) | None => {
                    return Err(HeaderError::BadType { index, tag, code });
                }
                Some(t) => t,
            };
            if count == 0 || (ty == EntryType::String && count != 1) {
                return Err(HeaderError::BadCount { index, tag, count });
            }
            let out_of_bounds = HeaderError::EntryOutOfBounds {
                index,
                tag,
                offset,
                count,
                dl,
            };
            if offset > dl {
                return Err(out_of_bounds);
            }
            let start = offset as usize;
            if !start.is_multiple_of(ty.alignment()) {
                return Err(HeaderError::Misaligned {
                    index,
                    tag,
                    offset,
                    ty,
                });
            }
            // Checked before measuring the data, so that string scans never
            // cover the same bytes twice (no quadratic work on hostile
            // input).
            if start < prev_end {
                return Err(HeaderError::Overlap { index, tag });
            }
            let Some(len) = data_length(ty, data, start, count) else {
                return Err(out_of_bounds);
            };
            // Both fit in the data store, whose size is below MAX_DATA.
            let end = start + len;
            prev_end = end;
            if let Some(r) = region {
                let trailer = r.rdl as usize - ENTRY_SIZE;
                let crosses = if index < r.ril {
                    end > trailer
                } else {
                    start < r.rdl as usize
                };
                if crosses {
                    return Err(HeaderError::RegionBoundary { index, tag });
                }
            }
            entries.push(IndexEntry {
                tag,
                ty,
                offset,
                count,
                len: len as u32,
            });
        }

        let split = region.map_or(il, |r| r.ril) as usize;
        let mut inside: Vec<(u32, u32)> = entries[..split]
            .iter()
            .zip(0u32..)
            .map(|(e, i)| (e.tag, i))
            .collect();
        let mut outside: Vec<(u32, u32)> = entries[split..]
            .iter()
            .zip(split as u32..)
            .map(|(e, i)| (e.tag, i))
            .collect();
        for (list, inside_region) in [(&mut inside, true), (&mut outside, false)] {
            list.sort_unstable();
            if let Some(w) = list.windows(2).find(|w| w[0].0 == w[1].0) {
                return Err(HeaderError::DuplicateTag {
                    tag: w[0].0,
                    inside_region,
                });
            }
        }

        Ok(Header {
            blob: Arc::from(blob),
            data_start,
            entries,
            region,
            inside,
            outside,
        })
    }

    /// Validate entry 0 as a region entry, and the trailer it points at in
    /// `data` (the data store of a header with `il` entries).
    fn parse_region(entry0: RawEntry, data: &[u8], il: u32) -> Result<Region, HeaderError> {
        let tag = entry0.tag;
        let bad = |fault| HeaderError::BadRegion { tag, fault };
        if entry0.code != EntryType::Bin.code() || entry0.count != ENTRY_SIZE as u32 {
            return Err(bad(RegionFault::BadEntry {
                code: entry0.code,
                count: entry0.count,
            }));
        }
        let offset = entry0.offset;
        // data.len() ≤ MAX_DATA, so this fits in u32.
        let dl = data.len() as u32;
        let trailer_end = u64::from(offset) + ENTRY_SIZE as u64;
        if trailer_end > u64::from(dl) {
            return Err(bad(RegionFault::TrailerOutOfBounds { offset, dl }));
        }
        let trailer = RawEntry::read(data, offset as usize);
        // The trailer's offset field is negative: -(ril * 16).
        let t_offset = trailer.offset as i32;
        // Old packages have HEADERIMAGE in the signature region's trailer.
        let t_tag_fixed = if tag == tags::HEADERSIGNATURES && trailer.tag == tags::HEADERIMAGE {
            tags::HEADERSIGNATURES
        } else {
            trailer.tag
        };
        if t_tag_fixed != tag
            || trailer.code != EntryType::Bin.code()
            || trailer.count != ENTRY_SIZE as u32
        {
            return Err(bad(RegionFault::BadTrailer {
                tag: trailer.tag,
                code: trailer.code,
                count: trailer.count,
            }));
        }
        let bad_size = bad(RegionFault::BadSize {
            trailer_offset: t_offset,
            il,
        });
        let Some(region_index_len) = t_offset.checked_neg() else {
            return Err(bad_size);
        };
        if region_index_len <= 0 || !(region_index_len as usize).is_multiple_of(ENTRY_SIZE) {
            return Err(bad_size);
        }
        let ril = region_index_len as u32 / ENTRY_SIZE as u32;
        if ril > il {
            return Err(bad_size);
        }
        Ok(Region {
            tag,
            ril,
            // ≤ dl, checked above.
            rdl: trailer_end as u32,
        })
    }

    /// The raw blob, as stored.
    pub fn blob(&self) -> &[u8] {
        &self.blob
    }

    /// The immutable region, or `None` for a legacy header without one
    /// (then every entry is a value source and nothing is signed).
    pub fn region(&self) -> Option<Region> {
        self.region
    }

    /// True when the header has no region (see [`Header::region`]).
    pub fn is_legacy(&self) -> bool {
        self.region.is_none()
    }

    /// Number of index entries.
    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }

    fn entry(&self, index: u32) -> Option<Entry<'_>> {
        let e = self.entries.get(index as usize)?;
        let start = self.data_start.checked_add(e.offset as usize)?;
        let end = start.checked_add(e.len as usize)?;
        Some(Entry {
            index,
            tag: e.tag,
            ty: e.ty,
            count: e.count,
            data: self.blob.get(start..end)?,
            in_region: self.region.is_some_and(|r| index < r.ril),
        })
    }

    fn find(list: &[(u32, u32)], tag: u32) -> Option<u32> {
        list.binary_search_by_key(&tag, |&(t, _)| t)
            .ok()
            .and_then(|i| list.get(i))
            .map(|&(_, index)| index)
    }

    /// The entry for `tag` from the region (from anywhere in a legacy
    /// header). Entries after the region are never returned: use this for
    /// every package value.
    pub fn get(&self, tag: u32) -> Option<Entry<'_>> {
        self.entry(Self::find(&self.inside, tag)?)
    }

    /// The entry for `tag` after the region (never in a legacy header).
    pub fn get_outside(&self, tag: u32) -> Option<Entry<'_>> {
        self.entry(Self::find(&self.outside, tag)?)
    }

    /// The entry for `tag` from the region, or else from after it: for
    /// install-time tags (`FILESTATES`, `INSTALLTIME`) and the signature
    /// tags rpm copies into installed headers.
    pub fn get_any(&self, tag: u32) -> Option<Entry<'_>> {
        self.get(tag).or_else(|| self.get_outside(tag))
    }

    /// Tags after the region that repeat a tag inside it, in tag order.
    /// rpm 4.18 would read the outside value; rootaudit never does, and a
    /// non-empty list means someone tried to override signed data.
    pub fn region_overrides(&self) -> Vec<u32> {
        self.outside
            .iter()
            .map(|&(t, _)| t)
            .filter(|&t| Self::find(&self.inside, t).is_some())
            .collect()
    }

    /// Every entry in index order.
    pub fn entries(&self) -> impl Iterator<Item = Entry<'_>> + '_ {
        (0..self.entries.len() as u32).filter_map(|i| self.entry(i))
    }

    /// The bytes a header digest or signature covers (`SHA1HEADER`,
    /// `SHA256HEADER`, `RSAHEADER`, …): [`HEADER_MAGIC`], `ril` and `rdl`
    /// (u32 big-endian), the region's index entries and the region's data,
    /// verbatim. `None` for a legacy header without a region.
    pub fn signed_region_bytes(&self) -> Option<Vec<u8>> {
        let r = self.region?;
        let index = self.blob.get(8..8 + r.ril as usize * ENTRY_SIZE)?;
        let data = self
            .blob
            .get(self.data_start..self.data_start.checked_add(r.rdl as usize)?)?;
        let mut out = Vec::with_capacity(16 + index.len() + data.len());
        out.extend_from_slice(&HEADER_MAGIC);
        out.extend_from_slice(&r.ril.to_be_bytes());
        out.extend_from_slice(&r.rdl.to_be_bytes());
        out.extend_from_slice(index);
        out.extend_from_slice(data);
        Some(out)
    }
}

/// One entry of a [`Header`], with typed accessors that check the type.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    index: u32,
    tag: u32,
    ty: EntryType,
    count: u32,
    data: &'a [u8],
    in_region: bool,
}

impl<'a> Entry<'a> {
    /// The tag.
    pub fn tag(&self) -> u32 {
        self.tag
    }

    /// The data type.
    pub fn entry_type(&self) -> EntryType {
        self.ty
    }

    /// The element count.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Position in the header index.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// True when the entry lies inside the header's region (always false
    /// in a legacy header).
    pub fn in_region(&self) -> bool {
        self.in_region
    }

    /// The entry's data bytes (strings including their NULs).
    pub fn raw(&self) -> &'a [u8] {
        self.data
    }

    fn check_type(&self, accepted: &[EntryType]) -> Result<(), HeaderError> {
        if accepted.contains(&self.ty) {
            return Ok(());
        }
        Err(HeaderError::WrongType {
            tag: self.tag,
            expected: accepted.first().copied().unwrap_or(EntryType::Null),
            got: self.ty,
        })
    }

    fn fixed<const N: usize, T>(
        &self,
        ty: &[EntryType],
        conv: fn([u8; N]) -> T,
    ) -> Result<Vec<T>, HeaderError> {
        self.check_type(ty)?;
        if Some(self.data.len()) != (self.count as usize).checked_mul(N) {
            return Err(HeaderError::InvalidData {
                tag: self.tag,
                fault: DataFault::Length,
            });
        }
        Ok(self
            .data
            .chunks_exact(N)
            .map(|c| {
                let mut a = [0u8; N];
                a.copy_from_slice(c);
                conv(a)
            })
            .collect())
    }

    /// An INT16 array.
    pub fn u16_array(&self) -> Result<Vec<u16>, HeaderError> {
        self.fixed(&[EntryType::Int16], u16::from_be_bytes)
    }

    /// An INT32 array.
    pub fn u32_array(&self) -> Result<Vec<u32>, HeaderError> {
        self.fixed(&[EntryType::Int32], u32::from_be_bytes)
    }

    /// An INT64 array.
    pub fn u64_array(&self) -> Result<Vec<u64>, HeaderError> {
        self.fixed(&[EntryType::Int64], u64::from_be_bytes)
    }

    /// An INT8 or CHAR array.
    pub fn i8_array(&self) -> Result<Vec<i8>, HeaderError> {
        self.fixed(&[EntryType::Int8, EntryType::Char], i8::from_be_bytes)
    }

    /// The first element of an INT32 array.
    pub fn u32(&self) -> Result<u32, HeaderError> {
        self.check_type(&[EntryType::Int32])?;
        be32(self.data, 0).ok_or(HeaderError::InvalidData {
            tag: self.tag,
            fault: DataFault::Length,
        })
    }

    /// BIN data.
    pub fn bin(&self) -> Result<&'a [u8], HeaderError> {
        self.check_type(&[EntryType::Bin])?;
        Ok(self.data)
    }

    /// A STRING, or the first (untranslated) string of an I18NSTRING, as
    /// bytes without the NUL.
    pub fn str_bytes(&self) -> Result<&'a [u8], HeaderError> {
        self.check_type(&[EntryType::String, EntryType::I18nString])?;
        self.data
            .split(|&b| b == 0)
            .next()
            .filter(|s| s.len() < self.data.len())
            .ok_or(HeaderError::InvalidData {
                tag: self.tag,
                fault: DataFault::Length,
            })
    }

    /// Like [`Entry::str_bytes`], but UTF-8.
    pub fn str(&self) -> Result<&'a str, HeaderError> {
        std::str::from_utf8(self.str_bytes()?).map_err(|_| HeaderError::InvalidData {
            tag: self.tag,
            fault: DataFault::NotUtf8 { index: 0 },
        })
    }

    /// A STRING_ARRAY as `count` byte strings without their NULs.
    pub fn string_array_bytes(&self) -> Result<Vec<&'a [u8]>, HeaderError> {
        self.check_type(&[EntryType::StringArray])?;
        let mut out = Vec::with_capacity(self.count as usize);
        let mut rest = self.data;
        for _ in 0..self.count {
            let Some(nul) = rest.iter().position(|&b| b == 0) else {
                return Err(HeaderError::InvalidData {
                    tag: self.tag,
                    fault: DataFault::Length,
                });
            };
            let (s, tail) = rest.split_at(nul);
            out.push(s);
            rest = tail.get(1..).unwrap_or_default();
        }
        Ok(out)
    }

    /// Like [`Entry::string_array_bytes`], but UTF-8.
    pub fn string_array(&self) -> Result<Vec<&'a str>, HeaderError> {
        self.string_array_bytes()?
            .into_iter()
            .enumerate()
            .map(|(index, s)| {
                std::str::from_utf8(s).map_err(|_| HeaderError::InvalidData {
                    tag: self.tag,
                    fault: DataFault::NotUtf8 { index },
                })
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::Path;

    /// One entry for [`build`].
    pub(crate) struct Spec {
        pub tag: u32,
        pub ty: EntryType,
        pub count: u32,
        pub data: Vec<u8>,
    }

    /// A STRING entry.
    pub(crate) fn string(tag: u32, s: &str) -> Spec {
        let mut data = s.as_bytes().to_vec();
        data.push(0);
        Spec {
            tag,
            ty: EntryType::String,
            count: 1,
            data,
        }
    }

    /// A STRING_ARRAY entry.
    pub(crate) fn strings(tag: u32, v: &[&str]) -> Spec {
        let mut data = Vec::new();
        for s in v {
            data.extend_from_slice(s.as_bytes());
            data.push(0);
        }
        Spec {
            tag,
            ty: EntryType::StringArray,
            count: v.len() as u32,
            data,
        }
    }

    /// An INT32 entry.
    pub(crate) fn int32(tag: u32, v: &[u32]) -> Spec {
        Spec {
            tag,
            ty: EntryType::Int32,
            count: v.len() as u32,
            data: v.iter().flat_map(|x| x.to_be_bytes()).collect(),
        }
    }

    /// An INT16 entry.
    pub(crate) fn int16(tag: u32, v: &[u16]) -> Spec {
        Spec {
            tag,
            ty: EntryType::Int16,
            count: v.len() as u32,
            data: v.iter().flat_map(|x| x.to_be_bytes()).collect(),
        }
    }

    /// An INT64 entry.
    pub(crate) fn int64(tag: u32, v: &[u64]) -> Spec {
        Spec {
            tag,
            ty: EntryType::Int64,
            count: v.len() as u32,
            data: v.iter().flat_map(|x| x.to_be_bytes()).collect(),
        }
    }

    /// A CHAR entry.
    pub(crate) fn chars(tag: u32, v: &[u8]) -> Spec {
        Spec {
            tag,
            ty: EntryType::Char,
            count: v.len() as u32,
            data: v.to_vec(),
        }
    }

    /// Lay out a stored header: an optional region (tag `region_tag`) made
    /// of `inside`, then `outside` appended after it, as rpm writes them.
    pub(crate) fn build(region_tag: Option<u32>, inside: &[Spec], outside: &[Spec]) -> Vec<u8> {
        let mut index: Vec<[u32; 4]> = Vec::new();
        let mut data: Vec<u8> = Vec::new();
        let put = |s: &Spec, data: &mut Vec<u8>| -> [u32; 4] {
            while !data.len().is_multiple_of(s.ty.alignment()) {
                data.push(0);
            }
            let off = data.len() as u32;
            data.extend_from_slice(&s.data);
            [s.tag, s.ty.code(), off, s.count]
        };
        for s in inside {
            let e = put(s, &mut data);
            index.push(e);
        }
        if let Some(t) = region_tag {
            let ril = inside.len() as u32 + 1;
            let trailer_off = data.len() as u32;
            for v in [t, 7, (-(ril as i32 * 16)) as u32, 16] {
                data.extend_from_slice(&v.to_be_bytes());
            }
            index.insert(0, [t, 7, trailer_off, 16]);
        }
        for s in outside {
            let e = put(s, &mut data);
            index.push(e);
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

    pub(crate) use crate::testutil::realdata;

    /// Every `*.bin` blob of a folder under `realdata/rpmdb/header-blobs`,
    /// sorted by file name.
    pub(crate) fn blobs(dir: &Path, set: &str) -> Vec<(String, Vec<u8>)> {
        let dir = dir.join("rpmdb/header-blobs").join(set);
        let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .expect("read blob dir")
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "bin"))
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&p).expect("read blob"))
            })
            .collect();
        out.sort();
        out
    }

    /// The `Packages` blobs of the Amazon Linux 2023 sqlite rpmdb.
    pub(crate) fn sqlite_blobs(dir: &Path) -> Vec<(u64, Vec<u8>)> {
        let path = dir.join("rpmdb/amazonlinux2023-plain/rpmdb.sqlite");
        let db = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("open sqlite");
        let mut st = db
            .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
            .expect("prepare");
        st.query_map([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))
            .expect("query")
            .map(|r| r.expect("row"))
            .collect()
    }

    /// Exercise every accessor of every entry; must not panic.
    pub(crate) fn touch_all(h: &Header) {
        for e in h.entries() {
            let _ = e.u16_array();
            let _ = e.u32_array();
            let _ = e.u64_array();
            let _ = e.i8_array();
            let _ = e.u32();
            let _ = e.bin();
            let _ = e.str_bytes();
            let _ = e.str();
            let _ = e.string_array_bytes();
            let _ = e.string_array();
            let _ = h.get(e.tag());
            let _ = h.get_any(e.tag());
        }
        let _ = h.region_overrides();
        let _ = h.signed_region_bytes();
    }

    fn sha_hex<D: sha2::Digest>(data: &[u8]) -> String {
        hex::encode(D::digest(data))
    }

    fn minimal() -> Vec<Spec> {
        vec![
            string(tags::NAME, "demo"),
            string(tags::VERSION, "1.0"),
            string(tags::RELEASE, "1"),
            strings(tags::FILEDIGESTS, &["aa", ""]),
        ]
    }

    #[test]
    fn parses_built_header() {
        let blob = build(Some(tags::HEADERIMMUTABLE), &minimal(), &[]);
        let h = Header::parse(&blob).expect("parse");
        let r = h.region().expect("region");
        assert_eq!(r.ril, 5);
        assert_eq!(r.tag, tags::HEADERIMMUTABLE);
        assert_eq!(h.get(tags::NAME).unwrap().str().unwrap(), "demo");
        assert!(h.get(tags::NAME).unwrap().in_region());
        assert_eq!(
            h.get(tags::FILEDIGESTS).unwrap().string_array().unwrap(),
            vec!["aa", ""]
        );
        assert!(h.region_overrides().is_empty());
        assert!(matches!(
            h.get(tags::NAME).unwrap().u32_array(),
            Err(HeaderError::WrongType { tag: 1000, .. })
        ));
    }

    #[test]
    fn outside_entry_does_not_override_region() {
        let blob = build(
            Some(tags::HEADERIMMUTABLE),
            &minimal(),
            &[
                chars(tags::FILESTATES, &[0, 2]),
                strings(tags::FILEDIGESTS, &["bb", "cc"]),
            ],
        );
        let h = Header::parse(&blob).expect("parse");
        let d = h.get(tags::FILEDIGESTS).unwrap();
        assert!(d.in_region());
        assert_eq!(d.string_array().unwrap(), vec!["aa", ""]);
        assert_eq!(
            h.get_any(tags::FILEDIGESTS)
                .unwrap()
                .string_array()
                .unwrap(),
            vec!["aa", ""]
        );
        let o = h.get_outside(tags::FILEDIGESTS).unwrap();
        assert!(!o.in_region());
        assert_eq!(o.string_array().unwrap(), vec!["bb", "cc"]);
        assert_eq!(h.region_overrides(), vec![tags::FILEDIGESTS]);
        // Install-time tags are only outside.
        assert!(h.get(tags::FILESTATES).is_none());
        assert_eq!(
            h.get_any(tags::FILESTATES).unwrap().i8_array().unwrap(),
            vec![0, 2]
        );
    }

    #[test]
    fn legacy_header_without_region() {
        let blob = build(None, &minimal(), &[]);
        let h = Header::parse(&blob).expect("parse");
        assert!(h.is_legacy());
        assert!(h.region().is_none());
        assert!(h.signed_region_bytes().is_none());
        let n = h.get(tags::NAME).unwrap();
        assert!(!n.in_region());
        assert_eq!(n.str().unwrap(), "demo");
    }

    #[test]
    fn signature_header_region() {
        let blob = build(
            Some(tags::HEADERSIGNATURES),
            &[
                int32(1000, &[1234]),
                Spec {
                    tag: 1004,
                    ty: EntryType::Bin,
                    count: 16,
                    data: vec![7; 16],
                },
            ],
            &[],
        );
        let h = Header::parse(&blob).expect("parse");
        assert_eq!(h.region().unwrap().tag, tags::HEADERSIGNATURES);
        assert_eq!(h.get(1000).unwrap().u32().unwrap(), 1234);
        assert_eq!(h.get(1004).unwrap().bin().unwrap(), &[7u8; 16][..]);
    }

    #[test]
    fn integer_types() {
        let blob = build(
            Some(tags::HEADERIMMUTABLE),
            &[
                string(tags::NAME, "x"),
                int16(tags::FILEMODES, &[0o100644, 0o40755]),
                int64(tags::LONGFILESIZES, &[1 << 40, 3]),
            ],
            &[],
        );
        let h = Header::parse(&blob).expect("parse");
        assert_eq!(
            h.get(tags::FILEMODES).unwrap().u16_array().unwrap(),
            vec![0o100644, 0o40755]
        );
        assert_eq!(
            h.get(tags::LONGFILESIZES).unwrap().u64_array().unwrap(),
            vec![1 << 40, 3]
        );
    }

    fn set_u32(blob: &mut [u8], at: usize, v: u32) {
        blob[at..at + 4].copy_from_slice(&v.to_be_bytes());
    }

    #[test]
    fn rejects_bad_sizes() {
        let blob = build(Some(tags::HEADERIMMUTABLE), &minimal(), &[]);
        assert!(matches!(
            Header::parse(&blob[..5]),
            Err(HeaderError::Truncated { needed: 8, .. })
        ));
        assert!(matches!(
            Header::parse(&blob[..blob.len() - 1]),
            Err(HeaderError::Truncated { .. })
        ));
        let mut longer = blob.clone();
        longer.push(0);
        assert!(matches!(
            Header::parse(&longer),
            Err(HeaderError::TrailingBytes { .. })
        ));
        let mut b = blob.clone();
        set_u32(&mut b, 0, 0x10000);
        assert!(matches!(
            Header::parse(&b),
            Err(HeaderError::TooManyEntries { il: 0x10000, .. })
        ));
        let mut b = blob.clone();
        set_u32(&mut b, 4, 0x1000_0000);
        assert!(matches!(
            Header::parse(&b),
            Err(HeaderError::DataTooLarge { .. })
        ));
        assert_eq!(Header::parse(&[0; 8]).unwrap_err(), HeaderError::NoEntries);
    }

    #[test]
    fn rejects_bad_region() {
        let good = build(Some(tags::HEADERIMMUTABLE), &minimal(), &[]);
        let il = 5usize;
        let data_start = 8 + il * 16;
        let trailer_off = be32(&good, 8 + 8).unwrap() as usize;
        let t = data_start + trailer_off;

        // Region entry with the wrong count.
        let mut b = good.clone();
        set_u32(&mut b, 8 + 12, 8);
        assert!(matches!(
            Header::parse(&b),
            Err(HeaderError::BadRegion {
                fault: RegionFault::BadEntry { .. },
                ..
            })
        ));
        // Trailer offset past the data.
        let mut b = good.clone();
        set_u32(&mut b, 8 + 8, 0x00ff_ffff);
        assert!(matches!(
            Header::parse(&b),
            Err(HeaderError::BadRegion {
                fault: RegionFault::TrailerOutOfBounds { .. },
                ..
            })
        ));
        // Trailer with the wrong tag.
        let mut b = good.clone();
        set_u32(&mut b, t, tags::HEADERSIGNATURES);
        assert!(matches!(
            Header::parse(&b),
            Err(HeaderError::BadRegion {
                fault: RegionFault::BadTrailer { .. },
                ..
            })
        ));
        // ril larger than il, zero, not a multiple of 16, i32::MIN.
        for off in [-(6 * 16), 0, -17, i32::MIN, 16] {
            let mut b = good.clone();
            set_u32(&mut b, t + 8, off as u32);
            assert!(
                matches!(
                    Header::parse(&b),
                    Err(HeaderError::BadRegion {
                        fault: RegionFault::BadSize { .. },
                        ..
                    })
                ),
                "{off}"
            );
        }
        // A smaller region puts region data after the region end.
        let mut b = good.clone();
        set_u32(&mut b, t + 8, (-(3i32 * 16)) as u32);
        assert!(matches!(
            Header::parse(&b),
            Err(HeaderError::RegionBoundary { .. })
        ));
    }

    #[test]
    fn rejects_bad_entries() {
        let good = build(Some(tags::HEADERIMMUTABLE), &minimal(), &[]);
        // Entry 1 is NAME (STRING).
        let e1 = 8 + 16;
        let mut b = good.clone();
        set_u32(&mut b, e1 + 4, 10);
        assert!(matches!(
            Header::parse(&b),
            Err(HeaderError::BadType { code: 10, .. })
        ));
        let mut b = good.clone();
        set_u32(&mut b, e1 + 4, 0);
        assert!(matches!(
            Header::parse(&b),
            Err(HeaderError::BadType { .. })
        ));
        let mut b = good.clone();
        set_u32(&mut b, e1 + 12, 2);
        assert!(matches!(
            Header::parse(&b),
            Err(HeaderError::BadCount { .. })
        ));
        let mut b = good.clone();
        set_u32(&mut b, e1, 62);
        assert!(matches!(
            Header::parse(&b),
            Err(HeaderError::ReservedTag { tag: 62, .. })
        ));
        let mut b = good.clone();
        set_u32(&mut b, e1 + 8, 0xffff_fff0);
        assert!(matches!(
            Header::parse(&b),
            Err(HeaderError::EntryOutOfBounds { .. })
        ));
        // Same tag twice in the region.
        let mut b = good.clone();
        set_u32(&mut b, e1 + 16, tags::NAME);
        assert!(matches!(
            Header::parse(&b),
            Err(HeaderError::DuplicateTag {
                tag: 1000,
                inside_region: true
            })
        ));
        // Second entry (VERSION) pointing back into NAME's data.
        let mut b = good.clone();
        set_u32(&mut b, e1 + 16 + 8, 0);
        assert!(matches!(
            Header::parse(&b),
            Err(HeaderError::Overlap { .. })
        ));
        // Misaligned INT32.
        let blob = build(
            Some(tags::HEADERIMMUTABLE),
            &[string(tags::NAME, "ab"), int32(tags::EPOCH, &[1])],
            &[],
        );
        let mut b = blob.clone();
        let epoch_off = be32(&blob, 8 + 32 + 8).unwrap();
        set_u32(&mut b, 8 + 32 + 8, epoch_off - 1);
        assert!(matches!(
            Header::parse(&b),
            Err(HeaderError::Misaligned { .. }) | Err(HeaderError::Overlap { .. })
        ));
        // Unterminated string at the end of the data store.
        let blob = build(None, &[string(tags::NAME, "abc")], &[]);
        let mut b = blob.clone();
        let last = b.len() - 1;
        b[last] = b'x';
        assert!(matches!(
            Header::parse(&b),
            Err(HeaderError::EntryOutOfBounds { .. })
        ));
        // Huge string-array count.
        let blob = build(None, &[strings(tags::BASENAMES, &["a", "b"])], &[]);
        let mut b = blob.clone();
        set_u32(&mut b, 8 + 12, u32::MAX);
        assert!(matches!(
            Header::parse(&b),
            Err(HeaderError::EntryOutOfBounds { .. })
        ));
        // Huge integer count (count * 8 overflow on 32 bits).
        let blob = build(None, &[int64(tags::LONGFILESIZES, &[1])], &[]);
        let mut b = blob.clone();
        set_u32(&mut b, 8 + 12, 0x2000_0001);
        assert!(matches!(
            Header::parse(&b),
            Err(HeaderError::EntryOutOfBounds { .. })
        ));
    }

    #[test]
    fn rejects_outside_data_inside_region() {
        let good = build(
            Some(tags::HEADERIMMUTABLE),
            &minimal(),
            &[chars(tags::FILESTATES, &[0, 0])],
        );
        let mut b = good.clone();
        // Entry 5 (FILESTATES) pointing at offset 0.
        set_u32(&mut b, 8 + 5 * 16 + 8, 0);
        assert!(matches!(
            Header::parse(&b),
            Err(HeaderError::Overlap { .. }) | Err(HeaderError::RegionBoundary { .. })
        ));
    }

    /// Many entries re-reading one long string array must fail at the
    /// first repetition, not scan it once per entry.
    #[test]
    fn repeated_offsets_fail_fast() {
        let long: Vec<&str> = vec!["x"; 100_000];
        let mut blob = build(None, &[strings(tags::BASENAMES, &long)], &[]);
        let dl = be32(&blob, 4).unwrap();
        let il = 50_000u32;
        let mut b = Vec::new();
        b.extend_from_slice(&il.to_be_bytes());
        b.extend_from_slice(&dl.to_be_bytes());
        for i in 0..il {
            for v in [2000 + i, 8, 0, 100_000] {
                b.extend_from_slice(&v.to_be_bytes());
            }
        }
        b.extend_from_slice(&blob.split_off(8 + 16));
        assert_eq!(
            Header::parse(&b).unwrap_err(),
            HeaderError::Overlap {
                index: 1,
                tag: 2001
            }
        );
    }

    use crate::testutil::XorShift;

    fn fuzz_one(blob: &[u8], rng: &mut XorShift, rounds: usize) {
        let exercise = |b: &[u8]| {
            if let Ok(h) = Header::parse(b) {
                touch_all(&h);
                let _ = crate::pkgdb::rpm::package::package_from_header(h, 0);
            }
        };
        // Truncated prefixes, as is and with `dl` patched to fit.
        for _ in 0..rounds {
            let n = rng.below(blob.len() + 1);
            let mut b = blob[..n].to_vec();
            exercise(&b);
            if let Some(il) = be32(&b, 0) {
                let idx = 8 + il as usize * 16;
                if b.len() >= idx {
                    let dl = (b.len() - idx) as u32;
                    set_u32(&mut b, 4, dl);
                    exercise(&b);
                }
            }
        }
        // Random flips, mostly in the header and index where they matter.
        let il = be32(blob, 0).unwrap_or(0) as usize;
        let index_end = (8 + il * 16).min(blob.len());
        for _ in 0..rounds {
            let mut b = blob.to_vec();
            for _ in 0..1 + rng.below(4) {
                let at = if rng.below(4) == 0 {
                    rng.below(b.len())
                } else {
                    rng.below(index_end)
                };
                if let Some(byte) = b.get_mut(at) {
                    *byte = match rng.below(3) {
                        0 => rng.next() as u8,
                        1 => *byte ^ (1 << rng.below(8)),
                        _ => 0xff,
                    };
                }
            }
            exercise(&b);
        }
    }

    #[test]
    fn fuzz_real_and_built_blobs_never_panic() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let built = build(
            Some(tags::HEADERIMMUTABLE),
            &minimal(),
            &[chars(tags::FILESTATES, &[0, 1])],
        );
        fuzz_one(&built, &mut rng, 2000);
        let Some(dir) = realdata() else { return };
        let mut all: Vec<Vec<u8>> = Vec::new();
        all.push(std::fs::read(dir.join("rpmdb/blob.bin")).expect("blob.bin"));
        for set in ["centos7-plain", "centos8-modularitylabel"] {
            all.extend(blobs(&dir, set).into_iter().step_by(25).map(|(_, b)| b));
        }
        all.extend(sqlite_blobs(&dir).into_iter().step_by(20).map(|(_, b)| b));
        for b in &all {
            fuzz_one(b, &mut rng, 150);
        }
    }

    #[test]
    fn real_blobs_parse_with_clean_regions() {
        let Some(dir) = realdata() else { return };
        let mut n = 0;
        for set in ["centos7-plain", "centos8-modularitylabel"] {
            for (name, blob) in blobs(&dir, set) {
                let h = Header::parse(&blob).unwrap_or_else(|e| panic!("{name}: {e}"));
                let r = h.region().unwrap_or_else(|| panic!("{name}: no region"));
                assert_eq!(r.tag, tags::HEADERIMMUTABLE, "{name}");
                assert!(h.region_overrides().is_empty(), "{name}");
                assert!(h.get(tags::NAME).is_some(), "{name}");
                touch_all(&h);
                n += 1;
            }
        }
        assert!(n >= 144 + 517, "{n} blobs");
        for (hnum, blob) in sqlite_blobs(&dir) {
            let h = Header::parse(&blob).unwrap_or_else(|e| panic!("hnum {hnum}: {e}"));
            assert!(h.region().is_some(), "hnum {hnum}");
            assert!(h.region_overrides().is_empty(), "hnum {hnum}");
            touch_all(&h);
        }
    }

    /// SHA1HEADER / SHA256HEADER are digests of exactly
    /// `signed_region_bytes()`.
    #[test]
    fn header_digests_match_signed_region() {
        let Some(dir) = realdata() else { return };
        let check = |name: &str, blob: &[u8]| -> (usize, usize) {
            let h = Header::parse(blob).unwrap_or_else(|e| panic!("{name}: {e}"));
            let bytes = h.signed_region_bytes().expect("region");
            let (mut s1, mut s256) = (0, 0);
            if let Some(e) = h.get_any(tags::SHA1HEADER) {
                let want = e.str().expect("sha1 string");
                assert_eq!(sha_hex::<sha1::Sha1>(&bytes), want, "{name}: SHA1");
                s1 += 1;
            }
            if let Some(e) = h.get_any(tags::SHA256HEADER) {
                let want = e.str().expect("sha256 string");
                assert_eq!(sha_hex::<sha2::Sha256>(&bytes), want, "{name}: SHA256");
                s256 += 1;
            }
            (s1, s256)
        };
        let (mut s1, mut s256) = (0, 0);
        for set in ["centos7-plain", "centos8-modularitylabel"] {
            for (name, blob) in blobs(&dir, set) {
                let (a, b) = check(&name, &blob);
                s1 += a;
                s256 += b;
            }
        }
        for (hnum, blob) in sqlite_blobs(&dir) {
            let (a, b) = check(&format!("hnum {hnum}"), &blob);
            s1 += a;
            s256 += b;
        }
        // Every header except the gpg-pubkey ones carries the SHA-1; the
        // SHA-256 only the Amazon Linux ones (rpm ≥ 4.14).
        assert!(s1 >= 600, "{s1} SHA1HEADERs");
        assert!(s256 >= 100, "{s256} SHA256HEADERs");

        // blob.bin's digests were corrupted upstream: it parses, and the
        // digests do not match.
        let blob = std::fs::read(dir.join("rpmdb/blob.bin")).expect("blob.bin");
        let h = Header::parse(&blob).expect("blob.bin parses");
        let bytes = h.signed_region_bytes().expect("region");
        let want = h.get_any(tags::SHA256HEADER).unwrap().str().unwrap();
        assert_ne!(sha_hex::<sha2::Sha256>(&bytes), want);
        let want = h.get_any(tags::SHA1HEADER).unwrap().str().unwrap();
        assert_ne!(sha_hex::<sha1::Sha1>(&bytes), want);
        touch_all(&h);
    }

    #[test]
    fn signature_tags_live_outside_region_in_installed_headers() {
        let Some(dir) = realdata() else { return };
        for (name, blob) in blobs(&dir, "centos7-plain").into_iter().take(10) {
            let h = Header::parse(&blob).expect("parse");
            let rsa = h.get_any(tags::RSAHEADER).expect("RSAHEADER");
            assert!(!rsa.in_region(), "{name}");
            assert!(h.get(tags::RSAHEADER).is_none(), "{name}");
            assert!(!rsa.bin().expect("bin").is_empty());
            let states = h.get_any(tags::FILESTATES);
            assert!(states.is_none_or(|s| !s.in_region()), "{name}");
        }
    }
}
