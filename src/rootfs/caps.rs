//! File capabilities (part of the `rootfs` stage): what a package recorded
//! versus the `security.capability` xattr on disk.
//!
//! rpm records capabilities as text (`FILECAPS`, libcap's `cap_to_text`
//! form) and `rpm -V` compares them with `cap_compare(cap_from_text(text),
//! cap_get_file(path))`. This module reimplements both sides without
//! libcap: [`parse_text`] follows `cap_from_text`'s grammar, [`parse_xattr`]
//! decodes `struct vfs_cap_data` the way libcap's `_fcaps_load` does, and
//! both yield a [`CapSet`] whose equality is `cap_compare`'s. [`to_text`]
//! renders a set for reports; rpm 4.18's comparison rule lives with the files
//! check (`check::files::rules::rpm_caps_match`), applying
//! exact rule, including what happens when either side is missing or bad.
//!
//! ```
//! use rootaudit::rootfs::caps::{parse_text, parse_xattr, to_text};
//! // magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE,
//! // permitted word 0 = 1 << 13 (cap_net_raw), the rest zero.
//! let xattr = [1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
//! let disk = parse_xattr(&xattr)?;
//! assert_eq!(disk, parse_text("cap_net_raw=ep")?);
//! assert_eq!(to_text(&disk), "cap_net_raw=ep");
//! # Ok::<(), rootaudit::rootfs::caps::CapsError>(())
//! ```

use std::fmt::Write as _;

/// Linux capability names, indexed by number (`CAP_LAST_CAP` is 40 since
/// Linux 5.9).
pub const CAP_NAMES: [&str; 41] = [
    "cap_chown",
    "cap_dac_override",
    "cap_dac_read_search",
    "cap_fowner",
    "cap_fsetid",
    "cap_kill",
    "cap_setgid",
    "cap_setuid",
    "cap_setpcap",
    "cap_linux_immutable",
    "cap_net_bind_service",
    "cap_net_broadcast",
    "cap_net_admin",
    "cap_net_raw",
    "cap_ipc_lock",
    "cap_ipc_owner",
    "cap_sys_module",
    "cap_sys_rawio",
    "cap_sys_chroot",
    "cap_sys_ptrace",
    "cap_sys_pacct",
    "cap_sys_admin",
    "cap_sys_boot",
    "cap_sys_nice",
    "cap_sys_resource",
    "cap_sys_time",
    "cap_sys_tty_config",
    "cap_mknod",
    "cap_lease",
    "cap_audit_write",
    "cap_audit_control",
    "cap_setfcap",
    "cap_mac_override",
    "cap_mac_admin",
    "cap_syslog",
    "cap_wake_alarm",
    "cap_block_suspend",
    "cap_audit_read",
    "cap_perfmon",
    "cap_bpf",
    "cap_checkpoint_restore",
];

/// Number of capability bits libcap can hold (two 32-bit words).
const MAX_BITS: u32 = 64;

/// The bits `all` (and a clause without names) stands for: every named
/// capability. libcap uses the running kernel's count; rootaudit fixes it
/// to the table above so results do not depend on the rescue kernel.
const ALL_NAMED: u64 = (1 << CAP_NAMES.len()) - 1;

const VFS_CAP_REVISION_MASK: u32 = 0xff00_0000;
const VFS_CAP_REVISION_1: u32 = 0x0100_0000;
const VFS_CAP_REVISION_2: u32 = 0x0200_0000;
const VFS_CAP_REVISION_3: u32 = 0x0300_0000;
const VFS_CAP_FLAGS_EFFECTIVE: u32 = 0x0000_0001;

/// Flag bits, in libcap's `LIBCAP_EFF`/`LIBCAP_PER`/`LIBCAP_INH` order.
const EFF: u8 = 1;
const PER: u8 = 2;
const INH: u8 = 4;

/// The three capability sets of a file; bit `n` is capability `n`.
///
/// Two `CapSet`s are equal exactly when libcap's `cap_compare` reports no
/// difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CapSet {
    /// Effective set.
    pub effective: u64,
    /// Permitted set.
    pub permitted: u64,
    /// Inheritable set.
    pub inheritable: u64,
}

impl CapSet {
    /// `true` when no capability is in any set.
    pub fn is_empty(&self) -> bool {
        self.effective == 0 && self.permitted == 0 && self.inheritable == 0
    }

    /// The flags (`EFF|PER|INH`) capability `bit` has.
    fn flags_of(&self, bit: u32) -> u8 {
        let has = |set: u64| (set >> bit) & 1 == 1;
        let mut flags = 0;
        if has(self.effective) {
            flags |= EFF;
        }
        if has(self.permitted) {
            flags |= PER;
        }
        if has(self.inheritable) {
            flags |= INH;
        }
        flags
    }

    /// Adds (`raise`) or removes the capabilities in `list` from the sets
    /// named by `flags`.
    fn apply(&mut self, list: u64, flags: u8, raise: bool) {
        for (flag, set) in [
            (EFF, &mut self.effective),
            (PER, &mut self.permitted),
            (INH, &mut self.inheritable),
        ] {
            if flags & flag != 0 {
                if raise {
                    *set |= list;
                } else {
                    *set &= !list;
                }
            }
        }
    }
}

/// Why capability text or an xattr value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CapsError {
    /// A capability name or number libcap does not know (numbers must be
    /// below 64).
    #[error("unknown capability {name:?} at offset {offset}")]
    UnknownCapability {
        /// Byte offset in the text.
        offset: usize,
        /// The offending word.
        name: String,
    },
    /// A `,` was not followed by a capability name or number.
    #[error("capability name expected at offset {offset}")]
    ExpectedName {
        /// Byte offset in the text.
        offset: usize,
    },
    /// A capability list was not followed by `=`, `+` or `-`.
    #[error("operator (=, + or -) expected at offset {offset}")]
    ExpectedOperator {
        /// Byte offset in the text.
        offset: usize,
    },
    /// `+`, `-`, `=+` or `=-` used without a list of capabilities.
    #[error("operator at offset {offset} needs a list of capabilities")]
    MissingList {
        /// Byte offset in the text.
        offset: usize,
    },
    /// A flag other than `e`, `i` or `p`, or `+`/`-` with no flag.
    #[error("flag (e, i or p) expected at offset {offset}")]
    BadFlag {
        /// Byte offset in the text.
        offset: usize,
    },
    /// The xattr is shorter than its 4-byte header.
    #[error("capability xattr too short ({len} bytes)")]
    XattrTooShort {
        /// Length of the value.
        len: usize,
    },
    /// The xattr's revision is not 1, 2 or 3.
    #[error("capability xattr has unknown revision (magic_etc {magic_etc:#010x})")]
    XattrRevision {
        /// The header word as stored.
        magic_etc: u32,
    },
    /// The xattr's length does not fit its revision.
    #[error("capability xattr revision {revision} must be {expected} bytes, is {len}")]
    XattrLength {
        /// The revision (1, 2 or 3).
        revision: u8,
        /// Length the revision requires.
        expected: usize,
        /// Length of the value.
        len: usize,
    },
}

/// C `isspace` in the C locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// First byte of a capability name or number.
fn starts_name(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Byte-wise reader over C-string text: reading past the end yields 0.
struct Cursor<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> u8 {
        self.peek_at(0)
    }

    fn peek_at(&self, ahead: usize) -> u8 {
        self.text.get(self.pos + ahead).copied().unwrap_or(0)
    }

    fn at_end(&self) -> bool {
        self.peek() == 0
    }

    /// The name-like word at the cursor, for error messages.
    fn word(&self) -> String {
        let rest = &self.text[self.pos.min(self.text.len())..];
        let len = rest.iter().take_while(|&&b| starts_name(b)).count();
        String::from_utf8_lossy(&rest[..len]).into_owned()
    }

    /// If `name` (lower case) is at the cursor, case-insensitively and not
    /// followed by a name character, steps over it (libcap's `namcmp`).
    fn eat_name(&mut self, name: &str) -> bool {
        let n = name.len();
        let Some(candidate) = self.text.get(self.pos..self.pos + n) else {
            return false;
        };
        if candidate.eq_ignore_ascii_case(name.as_bytes()) && !starts_name(self.peek_at(n)) {
            self.pos += n;
            true
        } else {
            false
        }
    }

    /// `strtoul(s, &end, 0)` at a digit: decimal, `0x` hex or `0` octal.
    /// Saturates on overflow (anything ≥ 64 is rejected anyway).
    fn number(&mut self) -> u64 {
        let (radix, skip) = if self.peek() == b'0'
            && matches!(self.peek_at(1), b'x' | b'X')
            && self.peek_at(2).is_ascii_hexdigit()
        {
            (16, 2)
        } else if self.peek() == b'0' {
            (8, 0)
        } else {
            (10, 0)
        };
        self.pos += skip;
        let mut value: u64 = 0;
        while let Some(d) = char::from(self.peek()).to_digit(radix) {
            value = value
                .saturating_mul(u64::from(radix))
                .saturating_add(u64::from(d));
            self.pos += 1;
        }
        value
    }

    /// One capability (libcap's `lookupname`): a number below 64 or a name
    /// from [`CAP_NAMES`].
    fn capability(&mut self) -> Result<u32, CapsError> {
        let offset = self.pos;
        if self.peek().is_ascii_digit() {
            let start = self.pos;
            let n = self.number();
            return match u32::try_from(n) {
                Ok(n) if n < MAX_BITS => Ok(n),
                _ => Err(CapsError::UnknownCapability {
                    offset,
                    name: String::from_utf8_lossy(&self.text[start..self.pos]).into_owned(),
                }),
            };
        }
        for (n, name) in (0u32..).zip(CAP_NAMES) {
            if self.eat_name(name) {
                return Ok(n);
            }
        }
        Err(CapsError::UnknownCapability {
            offset,
            name: self.word(),
        })
    }
}

/// Parses capability text exactly as libcap's `cap_from_text` does.
///
/// Clauses are separated by whitespace; each is `names OPS` where `names`
/// is a comma-separated list of capability names (any case), numbers
/// (C syntax: decimal, `0x` hex, `0` octal) or `all`, and may be omitted
/// before `=` to mean all capabilities. `OPS` is `=`, `+` or `-` followed
/// by flags from `e`, `i`, `p`, then optionally further `+flags`/`-flags`;
/// `=` may have no flags (it clears), and `=+`/`=-` clear before acting.
/// An empty or all-blank text is the empty set. Text after a NUL byte is
/// ignored, as in C.
pub fn parse_text(text: &str) -> Result<CapSet, CapsError> {
    let bytes = text.as_bytes();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let mut cur = Cursor {
        text: &bytes[..end],
        pos: 0,
    };
    let mut set = CapSet::default();

    loop {
        while is_space(cur.peek()) {
            cur.pos += 1;
        }
        if cur.at_end() {
            return Ok(set);
        }

        // Which capabilities this clause is about.
        let listed;
        let mut list = 0u64;
        if starts_name(cur.peek()) {
            loop {
                if cur.eat_name("all") {
                    // libcap *assigns* here: `all` also drops any unnamed
                    // bits listed before it ("63,all" is just "all").
                    list = ALL_NAMED;
                } else {
                    list |= 1u64 << cur.capability()?;
                }
                if cur.peek() != b',' {
                    break;
                }
                cur.pos += 1;
                if !starts_name(cur.peek()) {
                    return Err(CapsError::ExpectedName { offset: cur.pos });
                }
            }
            listed = true;
        } else if matches!(cur.peek(), b'+' | b'-') {
            return Err(CapsError::MissingList { offset: cur.pos });
        } else {
            list = ALL_NAMED;
            listed = false;
        }

        // The first operator; `=+`/`=-` become "clear, then raise/lower".
        let op_offset = cur.pos;
        let mut op = cur.peek();
        cur.pos += 1;
        let mut clear_first = false;
        if op == b'=' && matches!(cur.peek(), b'+' | b'-') {
            if !listed {
                return Err(CapsError::MissingList { offset: op_offset });
            }
            clear_first = true;
            op = cur.peek();
            cur.pos += 1;
        } else if !matches!(op, b'=' | b'+' | b'-') {
            return Err(CapsError::ExpectedOperator { offset: op_offset });
        }

        // Flags, applied one at a time as libcap does.
        let mut flags = 0u8;
        loop {
            let c = cur.peek();
            if c != 0 && !is_space(c) {
                flags |= match c {
                    b'e' => EFF,
                    b'i' => INH,
                    b'p' => PER,
                    _ => return Err(CapsError::BadFlag { offset: cur.pos }),
                };
                cur.pos += 1;
            } else if op != b'=' {
                return Err(CapsError::BadFlag { offset: cur.pos });
            }

            if op == b'=' || clear_first {
                set.apply(list, EFF | PER | INH, false);
            }
            set.apply(list, flags, op != b'-');

            // Another `+flags` or `-flags` on the same list?
            if matches!(cur.peek(), b'+' | b'-') {
                if !listed {
                    return Err(CapsError::MissingList { offset: cur.pos });
                }
                flags = 0;
                clear_first = false;
                op = cur.peek();
                cur.pos += 1;
                if !cur.peek().is_ascii_alphabetic() {
                    return Err(CapsError::BadFlag { offset: cur.pos });
                }
            }
            if cur.at_end() || is_space(cur.peek()) {
                break;
            }
        }
    }
}

/// Decodes a `security.capability` xattr value as libcap's `_fcaps_load`.
///
/// The little-endian `magic_etc` word's top byte is the revision: 1 has
/// one `{permitted, inheritable}` pair (12 bytes), 2 has two (20 bytes),
/// 3 has two plus a namespace `rootid` (24 bytes, ignored here as it is by
/// `cap_compare`). The length must match the revision exactly. When the
/// `VFS_CAP_FLAGS_EFFECTIVE` bit is set, the effective set is
/// permitted | inheritable; otherwise it is empty.
pub fn parse_xattr(value: &[u8]) -> Result<CapSet, CapsError> {
    let word = |i: usize| {
        value
            .get(4 * i..4 * i + 4)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u32::from_le_bytes)
    };
    if value.len() < 4 {
        return Err(CapsError::XattrTooShort { len: value.len() });
    }
    let magic_etc = word(0);
    let (pairs, expected) = match magic_etc & VFS_CAP_REVISION_MASK {
        VFS_CAP_REVISION_1 => (1, 12),
        VFS_CAP_REVISION_2 => (2, 20),
        VFS_CAP_REVISION_3 => (2, 24),
        _ => return Err(CapsError::XattrRevision { magic_etc }),
    };
    if value.len() != expected {
        return Err(CapsError::XattrLength {
            revision: (magic_etc >> 24) as u8,
            expected,
            len: value.len(),
        });
    }
    let mut set = CapSet::default();
    for pair in 0..pairs {
        let shift = 32 * pair;
        set.permitted |= u64::from(word(1 + 2 * pair)) << shift;
        set.inheritable |= u64::from(word(2 + 2 * pair)) << shift;
    }
    if magic_etc & VFS_CAP_FLAGS_EFFECTIVE != 0 {
        set.effective = set.permitted | set.inheritable;
    }
    Ok(set)
}

/// Appends `e`, `i`, `p` letters for `flags`, in libcap's order.
fn push_flags(out: &mut String, flags: u8) {
    for (flag, letter) in [(EFF, 'e'), (INH, 'i'), (PER, 'p')] {
        if flags & flag != 0 {
            out.push(letter);
        }
    }
}

/// The name of capability `bit`, or its number when it has none.
fn push_name(out: &mut String, bit: u32) {
    match CAP_NAMES.get(bit as usize) {
        Some(name) => out.push_str(name),
        None => {
            let _ = write!(out, "{bit}");
        }
    }
}

/// Renders `set` in libcap's compact `cap_to_text` style, for reports:
/// `cap_net_raw=ep`, `cap_net_admin,cap_net_raw=ep`, `=ep cap_chown-e`, …
/// The empty set renders as `""` (libcap writes `=`). The result always
/// parses back to `set` with [`parse_text`].
pub fn to_text(set: &CapSet) -> String {
    if set.is_empty() {
        return String::new();
    }
    let named = CAP_NAMES.len() as u32;

    // The most common flag combination among named capabilities becomes
    // the `=flags` default; ties prefer fewer/lower flags, as libcap.
    let mut histo = [0u32; 8];
    for bit in 0..named {
        histo[usize::from(set.flags_of(bit))] += 1;
    }
    let mut default = 7usize;
    for t in (0..7).rev() {
        if histo[t] >= histo[default] {
            default = t;
        }
    }

    let mut clauses: Vec<String> = Vec::new();
    for t in (0..8usize).rev() {
        if t == default || histo[t] == 0 {
            continue;
        }
        let mut clause = String::new();
        for bit in (0..named).filter(|&b| usize::from(set.flags_of(b)) == t) {
            if !clause.is_empty() {
                clause.push(',');
            }
            push_name(&mut clause, bit);
        }
        let raise = (t & !default) as u8;
        let lower = (!t & default) as u8;
        if raise != 0 {
            // "= a+eip" is written "a=eip" when it is the first clause.
            clause.push(if default == 0 && clauses.is_empty() {
                '='
            } else {
                '+'
            });
            push_flags(&mut clause, raise);
        }
        if lower != 0 {
            clause.push('-');
            push_flags(&mut clause, lower);
        }
        clauses.push(clause);
    }

    let named_clauses = clauses.len();

    // Bits without names are outside `all`, so they are only ever raised.
    for t in (1..8u8).rev() {
        let bits: Vec<u32> = (named..MAX_BITS)
            .filter(|&b| set.flags_of(b) == t)
            .collect();
        if bits.is_empty() {
            continue;
        }
        let mut clause = String::new();
        for bit in bits {
            if !clause.is_empty() {
                clause.push(',');
            }
            push_name(&mut clause, bit);
        }
        clause.push('+');
        push_flags(&mut clause, t);
        clauses.push(clause);
    }

    // With no default flags, the first named clause carries the `=` itself.
    let mut out = String::new();
    if !(default == 0 && named_clauses > 0) {
        out.push('=');
        push_flags(&mut out, default as u8);
    }
    for clause in clauses {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&clause);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NET_ADMIN: u64 = 1 << 12;
    const NET_RAW: u64 = 1 << 13;
    const SYS_ADMIN: u64 = 1 << 21;

    fn set(effective: u64, permitted: u64, inheritable: u64) -> CapSet {
        CapSet {
            effective,
            permitted,
            inheritable,
        }
    }

    fn xattr(magic: u32, words: &[u32]) -> Vec<u8> {
        let mut v = magic.to_le_bytes().to_vec();
        for w in words {
            v.extend_from_slice(&w.to_le_bytes());
        }
        v
    }

    #[test]
    fn name_table_is_complete() {
        assert_eq!(CAP_NAMES.len(), 41);
        assert_eq!(CAP_NAMES[0], "cap_chown");
        assert_eq!(CAP_NAMES[13], "cap_net_raw");
        assert_eq!(CAP_NAMES[21], "cap_sys_admin");
        assert_eq!(CAP_NAMES[31], "cap_setfcap");
        assert_eq!(CAP_NAMES[40], "cap_checkpoint_restore");
        for (i, n) in CAP_NAMES.iter().enumerate() {
            assert_eq!(parse_text(&format!("{n}=p")), Ok(set(0, 1 << i, 0)));
        }
    }

    #[test]
    fn text_basics() {
        assert_eq!(parse_text(""), Ok(CapSet::default()));
        assert_eq!(parse_text("  \t"), Ok(CapSet::default()));
        assert_eq!(parse_text("="), Ok(CapSet::default()));
        assert_eq!(parse_text("cap_net_raw=ep"), Ok(set(NET_RAW, NET_RAW, 0)));
        let both = NET_ADMIN | NET_RAW;
        assert_eq!(
            parse_text("cap_net_admin,cap_net_raw+ep"),
            Ok(set(both, both, 0))
        );
        assert_eq!(
            parse_text("= cap_sys_admin+eip"),
            Ok(set(SYS_ADMIN, SYS_ADMIN, SYS_ADMIN))
        );
        assert_eq!(parse_text("CAP_NET_RAW=ep"), Ok(set(NET_RAW, NET_RAW, 0)));
        assert_eq!(parse_text("Cap_Net_Raw=ep"), Ok(set(NET_RAW, NET_RAW, 0)));
        assert_eq!(parse_text("13=ep"), parse_text("cap_net_raw=ep"));
        assert_eq!(parse_text("0xd=ep"), parse_text("cap_net_raw=ep"));
        assert_eq!(parse_text("015=ep"), parse_text("cap_net_raw=ep"));
        assert_eq!(parse_text("63=i"), Ok(set(0, 0, 1 << 63)));
        assert_eq!(parse_text("=ep"), Ok(set(ALL_NAMED, ALL_NAMED, 0)));
        assert_eq!(parse_text("all=ep"), Ok(set(ALL_NAMED, ALL_NAMED, 0)));
        assert_eq!(parse_text("ALL=p"), Ok(set(0, ALL_NAMED, 0)));
        assert_eq!(parse_text("63,all=p"), Ok(set(0, ALL_NAMED, 0)));
        assert_eq!(parse_text("all,63=p"), Ok(set(0, ALL_NAMED | 1 << 63, 0)));
    }

    #[test]
    fn text_operators() {
        // Clauses apply in order.
        assert_eq!(
            parse_text("=ep cap_chown-e"),
            Ok(set(ALL_NAMED & !1, ALL_NAMED, 0))
        );
        assert_eq!(parse_text("cap_chown+ep-e+i"), Ok(set(0, 1, 1)));
        assert_eq!(parse_text("cap_chown=ep cap_chown="), Ok(CapSet::default()));
        // "=+" clears the list first, "=-" leaves it cleared.
        assert_eq!(parse_text("cap_chown=eip cap_chown=+p"), Ok(set(0, 1, 0)));
        assert_eq!(
            parse_text("cap_chown=eip cap_chown=-p"),
            Ok(CapSet::default())
        );
        assert_eq!(
            parse_text("cap_chown,cap_kill=p cap_kill-p"),
            Ok(set(0, 1, 0))
        );
        // Only the named capabilities are touched.
        assert_eq!(
            parse_text("all=p cap_chown=e"),
            Ok(set(1, ALL_NAMED & !1, 0))
        );
    }

    #[test]
    fn text_errors() {
        let bad = [
            "cap_nosuch=ep",
            "cap_net_raw",
            "cap_net_raw+",
            "cap_net_raw=x",
            "cap_net_raw=EP",
            "+ep",
            "-ep",
            "=+ep",
            "cap_net_raw,=ep",
            "cap_net_raw,",
            "64=ep",
            "0x40=p",
            "99999999999999999999999=p",
            "cap_net_raw=e+",
            "cap_net_raw=e+ ",
            "=e+p",
            "cap_net_raw=e=p",
            "cap_net_raw2=p",
            "cap_net_raw_x=p",
            "allx=p",
            "_=p",
            "!",
            "cap_chown=p junk",
            "08=p",
            "é=p",
        ];
        for text in bad {
            assert!(parse_text(text).is_err(), "{text:?} should be rejected");
        }
        assert_eq!(
            parse_text("cap_chown,cap_nosuch=p"),
            Err(CapsError::UnknownCapability {
                offset: 10,
                name: "cap_nosuch".into()
            })
        );
        assert_eq!(parse_text("+ep"), Err(CapsError::MissingList { offset: 0 }));
        assert_eq!(
            parse_text("cap_chown"),
            Err(CapsError::ExpectedOperator { offset: 9 })
        );
        // A NUL ends the text, as in C.
        assert_eq!(parse_text("cap_chown=p\0garbage"), Ok(set(0, 1, 0)));
    }

    #[test]
    fn xattr_decoding() {
        // Revision 2, effective flag: effective = permitted | inheritable.
        let v = xattr(0x0200_0001, &[1 << 13, 1 << 5, 0, 0]);
        let s = set(NET_RAW | 1 << 5, NET_RAW, 1 << 5);
        assert_eq!(parse_xattr(&v), Ok(s));
        // Without the flag the effective set is empty.
        let v = xattr(0x0200_0000, &[1 << 13, 0, 0, 0]);
        assert_eq!(parse_xattr(&v), Ok(set(0, NET_RAW, 0)));
        // Upper word.
        let v = xattr(0x0200_0001, &[0, 0, 1 << 7, 1 << 8]);
        assert_eq!(
            parse_xattr(&v),
            Ok(set(1 << 39 | 1 << 40, 1 << 39, 1 << 40))
        );
        // Revision 1: one word.
        let v = xattr(0x0100_0001, &[1, 2]);
        assert_eq!(parse_xattr(&v), Ok(set(3, 1, 2)));
        // Revision 3: rootid ignored.
        let v = xattr(0x0300_0001, &[1 << 13, 0, 0, 0, 1000]);
        assert_eq!(parse_xattr(&v), Ok(set(NET_RAW, NET_RAW, 0)));
        // Other bits in magic_etc are ignored, as by libcap.
        let v = xattr(0x0200_0100, &[1, 0, 0, 0]);
        assert_eq!(parse_xattr(&v), Ok(set(0, 1, 0)));
    }

    #[test]
    fn xattr_errors() {
        assert_eq!(parse_xattr(&[]), Err(CapsError::XattrTooShort { len: 0 }));
        assert_eq!(
            parse_xattr(&[0, 0, 0]),
            Err(CapsError::XattrTooShort { len: 3 })
        );
        assert_eq!(
            parse_xattr(&xattr(0x0400_0000, &[0, 0, 0, 0])),
            Err(CapsError::XattrRevision {
                magic_etc: 0x0400_0000
            })
        );
        assert!(parse_xattr(&xattr(0, &[0, 0, 0, 0])).is_err());
        // Truncated and oversized values of each revision.
        let full = xattr(0x0200_0001, &[1, 0, 0, 0]);
        for len in 4..full.len() {
            assert_eq!(
                parse_xattr(&full[..len]),
                Err(CapsError::XattrLength {
                    revision: 2,
                    expected: 20,
                    len
                })
            );
        }
        assert!(parse_xattr(&xattr(0x0200_0001, &[1, 0, 0, 0, 0])).is_err());
        assert!(parse_xattr(&xattr(0x0300_0001, &[1, 0, 0, 0])).is_err());
        assert!(parse_xattr(&xattr(0x0100_0001, &[1, 0, 0, 0])).is_err());
        // Fuzz-ish: never panics.
        for len in 0..40 {
            for seed in 0u8..=255 {
                let v: Vec<u8> = (0..len)
                    .map(|i| seed.wrapping_mul(31).wrapping_add(i as u8))
                    .collect();
                let _ = parse_xattr(&v);
            }
        }
    }

    #[test]
    fn text_rendering() {
        let cases = [
            ("cap_net_raw=ep", "cap_net_raw=ep"),
            (
                "cap_net_raw,cap_net_admin+ep",
                "cap_net_admin,cap_net_raw=ep",
            ),
            ("= cap_sys_admin+eip", "cap_sys_admin=eip"),
            ("cap_dac_override=p", "cap_dac_override=p"),
            ("cap_setuid,cap_setgid=ei", "cap_setgid,cap_setuid=ei"),
            ("cap_chown=p cap_kill=ei", "cap_kill=ei cap_chown+p"),
            ("=ep", "=ep"),
            ("=ep cap_chown-e", "=ep cap_chown-e"),
            ("50+e", "= 50+e"),
            ("cap_chown=p 50+e", "cap_chown=p 50+e"),
            ("=", ""),
        ];
        for (input, rendered) in cases {
            let parsed = parse_text(input).unwrap_or_default();
            assert_eq!(to_text(&parsed), rendered, "{input:?}");
            assert_eq!(parse_text(rendered), Ok(parsed), "{rendered:?}");
        }
    }

    #[test]
    fn rendering_round_trips() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2000 {
            let mut next = || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            let (a, b, c) = (next(), next(), next());
            // Mix sparse, dense and full sets.
            let s = set(a & b, a | c, b & c);
            assert_eq!(parse_text(&to_text(&s)), Ok(s), "{s:?} {}", to_text(&s));
            let s = set(a & b & c, a & b, 0);
            assert_eq!(parse_text(&to_text(&s)), Ok(s), "{s:?} {}", to_text(&s));
        }
    }

    /// Compares with libcap's own tools on a real file. Skipped when
    /// `setcap` is missing or cannot set capabilities here.
    #[test]
    fn agrees_with_setcap_and_getcap() {
        use std::process::Command;

        fn tool(name: &str) -> Option<String> {
            ["/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"]
                .iter()
                .map(|dir| format!("{dir}{name}"))
                .find(|p| std::path::Path::new(p).exists())
        }
        let (Some(setcap), Some(getcap)) = (tool("setcap"), tool("getcap")) else {
            return;
        };
        let Ok(file) = tempfile::NamedTempFile::new() else {
            return;
        };
        let path = file.path();

        let texts = [
            "cap_net_raw=ep",
            "cap_net_admin,cap_net_raw+ep",
            "= cap_sys_admin+eip",
            "cap_sys_admin+eip",
            "cap_dac_override=p",
            "cap_setuid,cap_setgid=ei",
            "cap_checkpoint_restore,cap_bpf,cap_perfmon=ep",
            "cap_setfcap,cap_mac_override=i",
            "=",
        ];
        for (i, text) in texts.into_iter().enumerate() {
            let ok = Command::new(&setcap)
                .arg(text)
                .arg(path)
                .output()
                .is_ok_and(|o| o.status.success());
            if !ok && i == 0 {
                // Not root or no xattr support here: skip.
                return;
            }
            assert!(ok, "setcap {text:?} failed");
            let mut buf = [0u8; 64];
            let len = rustix::fs::getxattr(path, "security.capability", &mut buf[..])
                .expect("setcap left no security.capability xattr");
            let disk = parse_xattr(&buf[..len]).expect("xattr written by setcap");
            let want = parse_text(text).expect("valid text");
            assert_eq!(disk, want, "{text:?}");
            assert!(
                crate::check::files::rules::rpm_caps_match(text, Some(&buf[..len])),
                "{text:?}"
            );

            let out = Command::new(&getcap)
                .arg(path)
                .output()
                .expect("getcap runs");
            let stdout = String::from_utf8_lossy(&out.stdout);
            let printed = stdout
                .trim_end()
                .strip_prefix(path.to_string_lossy().as_ref())
                .map(str::trim)
                .unwrap_or_default();
            assert_eq!(parse_text(printed), Ok(disk), "getcap said {printed:?}");
            // Our rendering matches libcap's, except "=" for the empty set.
            if !disk.is_empty() {
                assert_eq!(to_text(&disk), printed, "{text:?}");
            }
        }
    }
}
