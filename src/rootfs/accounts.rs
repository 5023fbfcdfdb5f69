//! The target's own account databases (part of the `rootfs` stage).
//!
//! `rpm -V` resolves the owner and group names a package recorded into ids
//! with `getpwnam`/`getgrnam` *after chrooting into the target*, so the
//! answer comes from the target's `etc/passwd` and `etc/group`, never from
//! the rescue host. rootaudit is a static binary and must not use NSS at
//! all: [`Accounts`] parses the two files itself, the way glibc's `files`
//! backend reads them, and answers with the rules of rpm 4.18's
//! `lib/rpmug.c`:
//!
//! * uid 0 is always called `root` and `root` is always uid 0, whatever the
//!   files say or even when they are missing (likewise group `root`/gid 0);
//! * name → id and id → name both take the *first* matching line, as
//!   `getpwnam`/`getpwuid` over `files` do;
//! * comments, blank lines, lines that glibc would reject (fewer than four
//!   passwd or three group fields, ids that are not numbers or do not fit
//!   in 32 bits) and NIS `+`/`-` lines are skipped; a NUL byte ends a line
//!   and a trailing CR is ignored.
//!
//! rpm 4.18's verdicts for the `U`, `G` and `M` columns, built on these
//! lookups, live with the files check (`check::files::rules`).
//!
//! ```
//! use rootaudit::rootfs::accounts::Accounts;
//! let acc = Accounts::parse(b"root:x:0:0::/root:/bin/sh\nbin:x:1:1::/bin:/sbin/nologin\n",
//!                           b"root:x:0:\nbin:x:1:\n");
//! assert_eq!(acc.user_id("bin"), Some(1));
//! assert_eq!(acc.group_name(1), Some("bin"));
//! ```

use std::collections::HashMap;

/// The name rpm always gives uid 0 and gid 0.
const ROOT: &str = "root";

/// Users and groups of the target, read from its `etc/passwd` and
/// `etc/group`.
///
/// Built with [`Accounts::parse`]; more sources (for example an rpm-ostree
/// system's `usr/lib/passwd`, which `nss-altfiles` consults after `files`)
/// can be appended with [`Accounts::add_passwd`] and
/// [`Accounts::add_group`]. An empty `Accounts` still knows `root`.
#[derive(Debug, Default, Clone)]
pub struct Accounts {
    users: IdTable,
    groups: IdTable,
}

/// Parses one line of a database into its name and id, or `None` when
/// glibc would skip the line.
type LineParser = fn(&[u8]) -> Option<(&[u8], u32)>;

/// One database: both directions, first line wins.
#[derive(Debug, Default, Clone)]
struct IdTable {
    /// id → name of the first line with that id; `None` when that name is
    /// not UTF-8 (the id stays claimed, as `getpwuid` would return it).
    names: HashMap<u32, Option<String>>,
    /// name → id of the first line with that name.
    ids: HashMap<String, u32>,
}

impl IdTable {
    fn add(&mut self, name: &[u8], id: u32) {
        let name = std::str::from_utf8(name).ok();
        self.names
            .entry(id)
            .or_insert_with(|| name.map(str::to_owned));
        if let Some(name) = name {
            self.ids.entry(name.to_owned()).or_insert(id);
        }
    }

    fn name(&self, id: u32) -> Option<&str> {
        match id {
            0 => Some(ROOT),
            // rpmugUname/rpmugGname treat (uid_t)-1 as "no such id".
            u32::MAX => None,
            _ => self.names.get(&id).and_then(|n| n.as_deref()),
        }
    }

    fn id(&self, name: &str) -> Option<u32> {
        if name == ROOT {
            Some(0)
        } else {
            self.ids.get(name).copied()
        }
    }

    /// Adds every usable line of `data`.
    fn load(&mut self, data: &[u8], parse_line: LineParser) {
        for line in data.split(|&b| b == b'\n') {
            let Some(line) = clean_line(line) else {
                continue;
            };
            let Some((name, id)) = parse_line(line) else {
                continue;
            };
            // NIS compat entries: glibc's files backend never returns them
            // from getpwnam/getpwuid/getgrnam/getgrgid.
            if matches!(name.first(), Some(b'+' | b'-')) {
                continue;
            }
            self.add(name, id);
        }
    }
}

impl Accounts {
    /// Reads the target's `etc/passwd` and `etc/group` contents; either may
    /// be empty (a missing file). Never fails: unusable lines are skipped.
    pub fn parse(passwd: &[u8], group: &[u8]) -> Accounts {
        let mut acc = Accounts::default();
        acc.add_passwd(passwd);
        acc.add_group(group);
        acc
    }

    /// Appends a further passwd-format source, consulted after everything
    /// already added (its lines never override earlier ones).
    pub fn add_passwd(&mut self, passwd: &[u8]) {
        self.users.load(passwd, parse_passwd_line);
    }

    /// Appends a further group-format source, consulted after everything
    /// already added (its lines never override earlier ones).
    pub fn add_group(&mut self, group: &[u8]) {
        self.groups.load(group, parse_group_line);
    }

    /// The user name of `uid`, as rpm's `rpmugUname`: `root` for 0, else the
    /// name on the first passwd line with that uid. `None` when no line has
    /// it, when that first line's name is not UTF-8, and for `u32::MAX`.
    pub fn user_name(&self, uid: u32) -> Option<&str> {
        self.users.name(uid)
    }

    /// The uid of user `name`, as rpm's `rpmugUid`: 0 for `root`, else the
    /// uid on the first passwd line with that name.
    pub fn user_id(&self, name: &str) -> Option<u32> {
        self.users.id(name)
    }

    /// The group name of `gid`, as rpm's `rpmugGname` (see
    /// [`Accounts::user_name`]).
    pub fn group_name(&self, gid: u32) -> Option<&str> {
        self.groups.name(gid)
    }

    /// The gid of group `name`, as rpm's `rpmugGid` (see
    /// [`Accounts::user_id`]).
    pub fn group_id(&self, name: &str) -> Option<u32> {
        self.groups.id(name)
    }
}

/// C `isspace` in the C locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// One raw line as glibc's reader sees it, or `None` for a line it skips
/// before parsing (blank or comment).
fn clean_line(line: &[u8]) -> Option<&[u8]> {
    // C string: a NUL ends the line for the parser.
    let line = match line.iter().position(|&b| b == 0) {
        Some(nul) => &line[..nul],
        None => line,
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let start = line.iter().position(|&b| !is_c_space(b))?;
    let line = &line[start..];
    if line.first() == Some(&b'#') {
        None
    } else {
        Some(line)
    }
}

/// Takes one `:`-terminated field (glibc `STRING_FIELD`); at the end of the
/// line it yields an empty field.
fn take_field<'a>(rest: &mut &'a [u8]) -> &'a [u8] {
    match rest.iter().position(|&b| b == b':') {
        Some(colon) => {
            let field = &rest[..colon];
            *rest = &rest[colon + 1..];
            field
        }
        None => std::mem::take(rest),
    }
}

/// Takes one numeric field (glibc `INT_FIELD` over `strtou32`): optional
/// leading whitespace and sign, decimal digits, then `:` or end of line.
fn take_id(rest: &mut &[u8]) -> Option<u32> {
    let (value, used) = strtou32(rest)?;
    let after = &rest[used..];
    *rest = match after.first() {
        None => after,
        Some(b':') => &after[1..],
        Some(_) => return None,
    };
    Some(value)
}

/// glibc's id parsing (`INT_FIELD`): `strtoul` base 10 (leading blanks, an
/// optional sign, decimal digits), and the line is rejected unless the
/// result fits in 32 bits. Returns the value and the bytes consumed, or
/// `None` when there is no digit or the value is out of range.
///
/// glibc 2.36 behaves so: `-0` is 0, `+7` and ` 7` are 7, while `-1` (which
/// `strtoul` turns into `ULONG_MAX`) and `4294967296` reject the line;
/// `4294967295` itself is accepted.
fn strtou32(s: &[u8]) -> Option<(u32, usize)> {
    let mut i = s.iter().take_while(|&&b| is_c_space(b)).count();
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = s[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let mut value: u64 = 0;
    for &d in &s[i..i + digits] {
        // Overflow is ERANGE: the line is rejected.
        value = value.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    // strtoul negates in unsigned arithmetic.
    let value = if negative {
        value.wrapping_neg()
    } else {
        value
    };
    Some((u32::try_from(value).ok()?, i + digits))
}

/// `name:passwd:uid:gid[:gecos:dir:shell]` → (name, uid).
fn parse_passwd_line(line: &[u8]) -> Option<(&[u8], u32)> {
    let mut rest = line;
    let name = take_field(&mut rest);
    let _password = take_field(&mut rest);
    let uid = take_id(&mut rest)?;
    let _gid = take_id(&mut rest)?;
    Some((name, uid))
}

/// `name:passwd:gid[:members]` → (name, gid).
fn parse_group_line(line: &[u8]) -> Option<(&[u8], u32)> {
    let mut rest = line;
    let name = take_field(&mut rest);
    let _password = take_field(&mut rest);
    let gid = take_id(&mut rest)?;
    Some((name, gid))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const PASSWD: &[u8] = b"\
root:x:0:0:root:/root:/bin/bash
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
# a comment
   # an indented comment

toor:x:0:0:second root:/root:/bin/sh
apache:x:48:48:Apache:/usr/share/httpd:/sbin/nologin
apache:x:49:49:duplicate name, later:/:/sbin/nologin
www:x:48:48:duplicate uid, later:/:/sbin/nologin
";

    pub(crate) const GROUP: &[u8] = b"\
root:x:0:
bin:x:1:daemon
wheel:x:10:alice,bob
wheel:x:11:
staff:x:10:
";

    fn acc() -> Accounts {
        Accounts::parse(PASSWD, GROUP)
    }

    #[test]
    fn basic_lookups() {
        let a = acc();
        assert_eq!(a.user_id("bin"), Some(1));
        assert_eq!(a.user_name(2), Some("daemon"));
        assert_eq!(a.group_id("bin"), Some(1));
        assert_eq!(a.group_name(1), Some("bin"));
        assert_eq!(a.user_id("nosuch"), None);
        assert_eq!(a.user_name(4242), None);
        assert_eq!(a.group_id("nosuch"), None);
        assert_eq!(a.group_name(4242), None);
    }

    #[test]
    fn first_line_wins_both_ways() {
        let a = acc();
        assert_eq!(a.user_id("apache"), Some(48));
        assert_eq!(a.user_name(48), Some("apache"));
        assert_eq!(a.user_id("www"), Some(48));
        assert_eq!(a.user_name(49), Some("apache"));
        assert_eq!(a.group_id("wheel"), Some(10));
        assert_eq!(a.group_name(10), Some("wheel"));
        assert_eq!(a.group_id("staff"), Some(10));
        assert_eq!(a.group_name(11), Some("wheel"));
    }

    #[test]
    fn root_is_fixed() {
        let a = acc();
        // "toor" also has uid 0, but uid 0 is always called root...
        assert_eq!(a.user_name(0), Some("root"));
        // ...though toor itself still resolves.
        assert_eq!(a.user_id("toor"), Some(0));

        let empty = Accounts::parse(b"", b"");
        assert_eq!(empty.user_name(0), Some("root"));
        assert_eq!(empty.user_id("root"), Some(0));
        assert_eq!(empty.group_name(0), Some("root"));
        assert_eq!(empty.group_id("root"), Some(0));
        assert_eq!(empty.user_id("bin"), None);

        // A passwd that moves root elsewhere is ignored for root.
        let moved = Accounts::parse(b"admin:x:0:0::/:/bin/sh\nroot:x:500:500::/:/bin/sh\n", b"");
        assert_eq!(moved.user_id("root"), Some(0));
        assert_eq!(moved.user_name(0), Some("root"));
        assert_eq!(moved.user_name(500), Some("root"));
        assert_eq!(moved.user_id("admin"), Some(0));
        assert_eq!(Accounts::default().group_id("root"), Some(0));
    }

    #[test]
    fn minus_one_has_no_name() {
        let a = Accounts::parse(b"nobody:x:4294967295:4294967295::/:/bin/false\n", b"");
        assert_eq!(a.user_name(u32::MAX), None);
        assert_eq!(a.user_id("nobody"), Some(u32::MAX));
    }

    #[test]
    fn malformed_lines_are_skipped() {
        let passwd = b"\
short:x:5
nogid:x:6:
alpha:x:abc:7::/:/bin/sh
trailing:x:8x:8::/:/bin/sh
empty::::
+
+nisuser::::::
-banned:x:9:9::/:/bin/sh
+:x:10:10::/:/bin/sh
ok:x:11:11
";
        let a = Accounts::parse(passwd, b"g1:x\ng2:x:z:\n+g3:x:12:\n-:x:13:\ng4:x:14\n");
        for name in [
            "short", "nogid", "alpha", "trailing", "empty", "+", "+nisuser",
        ] {
            assert_eq!(a.user_id(name), None, "{name}");
        }
        assert_eq!(a.user_id("-banned"), None);
        assert_eq!(a.user_id("banned"), None);
        assert_eq!(a.user_name(9), None);
        assert_eq!(a.user_name(10), None);
        assert_eq!(a.user_id("ok"), Some(11));
        assert_eq!(a.group_id("g1"), None);
        assert_eq!(a.group_id("g2"), None);
        assert_eq!(a.group_name(12), None);
        assert_eq!(a.group_name(13), None);
        assert_eq!(a.group_id("g4"), Some(14));
    }

    #[test]
    fn glibc_number_rules() {
        // As glibc 2.36: leading blanks and a sign are accepted, values
        // must fit in 32 bits after strtoul's unsigned negation.
        let a = Accounts::parse(
            b"sp:x: 20:20::/:/bin/sh\n\
              plus:x:+21:21\n\
              tab:x:\t22:22\n\
              zero:x:-0:0\n\
              neg:x:-1:0\n\
              big:x:4294967296:0\n\
              huge:x:99999999999999999999999:0\n\
              max:x:4294967295:0\n\
              badgid:x:30:-1\n\
              hex:x:0x10:0\n",
            b"g:x:-5:\nh:x: 6:\n",
        );
        assert_eq!(a.user_id("sp"), Some(20));
        assert_eq!(a.user_id("plus"), Some(21));
        assert_eq!(a.user_id("tab"), Some(22));
        assert_eq!(a.user_id("zero"), Some(0));
        assert_eq!(a.user_id("max"), Some(u32::MAX));
        for name in ["neg", "big", "huge", "badgid", "hex"] {
            assert_eq!(a.user_id(name), None, "{name}");
        }
        assert_eq!(a.group_id("g"), None);
        assert_eq!(a.group_id("h"), Some(6));
    }

    #[test]
    fn crlf_blanks_nul_and_invalid_utf8() {
        let passwd = b"\r\n  \t\r\nalice:x:1000:1000:A:/home/alice:/bin/bash\r\n\
            \xff\xfe:x:1001:1001::/:/bin/sh\n\
            late:x:1001:1001::/:/bin/sh\n\
            cut\0:x:1002:1002::/:/bin/sh\n\
            \tindented:x:1003:1003::/:/bin/sh\n\
            last:x:1004:1004";
        let group = b"users:x:100:alice\r\nshort:x:101\r\n";
        let a = Accounts::parse(passwd, group);
        assert_eq!(a.user_id("alice"), Some(1000));
        assert_eq!(a.user_name(1000), Some("alice"));
        // uid 1001's first line has a non-UTF-8 name: no displayable name,
        // and the later line does not take over.
        assert_eq!(a.user_name(1001), None);
        assert_eq!(a.user_id("late"), Some(1001));
        // A NUL ends the line: "cut" has no fields after it.
        assert_eq!(a.user_id("cut"), None);
        assert_eq!(a.user_name(1002), None);
        assert_eq!(a.user_id("indented"), Some(1003));
        assert_eq!(a.user_id("last"), Some(1004));
        assert_eq!(a.group_id("users"), Some(100));
        assert_eq!(a.group_id("short"), Some(101));
    }

    #[test]
    fn empty_name_is_a_name() {
        // glibc accepts an empty name field; so does rpm's lookup.
        let a = Accounts::parse(b"::77:77::/:\n", b"");
        assert_eq!(a.user_name(77), Some(""));
        assert_eq!(a.user_id(""), Some(77));
    }

    #[test]
    fn later_sources_do_not_override() {
        let mut a = Accounts::parse(b"bin:x:1:1::/:/sbin/nologin\n", b"");
        a.add_passwd(b"bin:x:2:2::/:/sbin/nologin\nsvc:x:3:3::/:/sbin/nologin\n");
        a.add_group(b"svc:x:3:\n");
        assert_eq!(a.user_id("bin"), Some(1));
        assert_eq!(a.user_id("svc"), Some(3));
        assert_eq!(a.user_name(2), Some("bin"));
        assert_eq!(a.group_name(3), Some("svc"));
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let junk: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        let a = Accounts::parse(&junk, &junk);
        let _ = a.user_name(1);
        let a = Accounts::parse(b":::::::\n:\n::\n:::\n\n\n", b"::\n:\n");
        assert_eq!(a.user_id("root"), Some(0));
    }
}
