//! rpm 4.18's comparison rules for the `U`, `G`, `M` and `P` columns
//! (part of the `check` stage, used by [`super`]): what rpm expects of a
//! file's owner, group, mode and capabilities given what the package
//! recorded and what the target's own account files say.
//!
//! They live beside the files check, not in `rootfs`: the filesystem layer
//! reads facts (ids, xattrs, account files); deciding what counts as a
//! difference is the check's business.
//!
//! ```
//! use rootaudit::rootfs::accounts::Accounts;
//! use rootaudit::check::files::rules::rpm_user_matches;
//! let acc = Accounts::parse(b"bin:x:1:1::/bin:/sbin/nologin\n", b"bin:x:1:\n");
//! assert!(rpm_user_matches(&acc, "bin", 1));
//! assert!(!rpm_user_matches(&acc, "bin", 0));
//! ```

use crate::rootfs::accounts::Accounts;
use crate::rootfs::caps::{parse_text, parse_xattr};

/// `S_ISUID`: rpm drops it from the expected mode when the owner is unknown.
const S_ISUID: u32 = 0o4000;
/// `S_ISGID`: rpm drops it from the expected mode when the group is unknown.
const S_ISGID: u32 = 0o2000;

/// The uid rpm 4.18 expects a file recorded as owned by `recorded` to have.
///
/// `rpmfilesStat` zeroes its `struct stat` and only overwrites `st_uid`
/// when `rpmugUid` knows the name, so an unknown owner means uid 0.
pub fn rpm_expected_uid(acc: &Accounts, recorded: &str) -> u32 {
    acc.user_id(recorded).unwrap_or(0)
}

/// The gid rpm 4.18 expects a file recorded with group `recorded` to have;
/// an unknown group means gid 0 (see [`rpm_expected_uid`]).
pub fn rpm_expected_gid(acc: &Accounts, recorded: &str) -> u32 {
    acc.group_id(recorded).unwrap_or(0)
}

/// rpm 4.18's user check (`lib/verify.c`): `true` when a file owned by
/// `actual_uid` does *not* earn the `U` flag for recorded owner `recorded`.
///
/// Since rpm 4.15 the check is purely numeric: `lstat().st_uid` against
/// [`rpm_expected_uid`]. Consequently a recorded owner missing from the
/// target's passwd matches a root-owned file, and two names for one uid
/// are interchangeable.
pub fn rpm_user_matches(acc: &Accounts, recorded: &str, actual_uid: u32) -> bool {
    rpm_expected_uid(acc, recorded) == actual_uid
}

/// rpm 4.18's group check (`lib/verify.c`): `true` when a file with group
/// `actual_gid` does *not* earn the `G` flag for recorded group `recorded`
/// (see [`rpm_user_matches`]).
pub fn rpm_group_matches(acc: &Accounts, recorded: &str, actual_gid: u32) -> bool {
    rpm_expected_gid(acc, recorded) == actual_gid
}

/// The mode rpm 4.18 compares against for the `M` flag: the recorded
/// `mode` without `S_ISUID` when the recorded owner is unknown in the
/// target, and without `S_ISGID` when the recorded group is unknown (what
/// `rpmfilesStat` does before `rpmfilesVerify` compares modes).
pub fn rpm_expected_mode(acc: &Accounts, user: &str, group: &str, mode: u32) -> u32 {
    let mut mode = mode;
    if acc.user_id(user).is_none() {
        mode &= !S_ISUID;
    }
    if acc.group_id(group).is_none() {
        mode &= !S_ISGID;
    }
    mode
}

/// rpm 4.18's capability check (`lib/verify.c`): `true` when the file does
/// *not* earn the `P` flag.
///
/// `recorded` is the package's `FILECAPS` text (`""` for none); `xattr` is
/// the file's `security.capability` value, `None` when absent or
/// unreadable. rpm only compares when at least one side yields a set, and
/// `cap_compare` with a missing side is a difference. So:
///
/// * no recorded caps and no xattr: match;
/// * no recorded caps but an xattr, even one holding no capabilities
///   (`setcap = FILE`): mismatch;
/// * recorded caps but no xattr: mismatch, even if the text is `=`;
/// * text `cap_from_text` rejects, or an xattr `cap_get_file` rejects
///   (bad revision or length), counts as absent on that side;
/// * otherwise the three sets must be equal.
pub fn rpm_caps_match(recorded: &str, xattr: Option<&[u8]>) -> bool {
    let want = if recorded.is_empty() {
        None
    } else {
        parse_text(recorded).ok()
    };
    let have = xattr.and_then(|v| parse_xattr(v).ok());
    match (want, have) {
        (None, None) => true,
        (Some(want), Some(have)) => want == have,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::rootfs::accounts::tests::{GROUP, PASSWD};

    fn acc() -> Accounts {
        Accounts::parse(PASSWD, GROUP)
    }

    fn xattr(magic: u32, words: &[u32]) -> Vec<u8> {
        let mut v = magic.to_le_bytes().to_vec();
        for w in words {
            v.extend_from_slice(&w.to_le_bytes());
        }
        v
    }

    #[test]
    fn rpm_user_rule() {
        let a = acc();
        // Known user, right and wrong uid.
        assert!(rpm_user_matches(&a, "bin", 1));
        assert!(!rpm_user_matches(&a, "bin", 2));
        // Duplicate uid: any name resolving to the file's uid is fine.
        assert!(rpm_user_matches(&a, "www", 48));
        assert!(rpm_user_matches(&a, "apache", 48));
        // Duplicate name: only the first line's uid counts.
        assert!(!rpm_user_matches(&a, "apache", 49));
        // Unknown user: rpm expects uid 0.
        assert!(rpm_user_matches(&a, "nosuch", 0));
        assert!(!rpm_user_matches(&a, "nosuch", 1000));
        // root is root even without a passwd file.
        let empty = Accounts::default();
        assert!(rpm_user_matches(&empty, "root", 0));
        assert!(!rpm_user_matches(&empty, "root", 1));
        assert!(rpm_user_matches(&empty, "bin", 0));
        assert_eq!(rpm_expected_uid(&a, "daemon"), 2);
        assert_eq!(rpm_expected_uid(&a, "nosuch"), 0);
    }

    #[test]
    fn rpm_group_rule() {
        let a = acc();
        assert!(rpm_group_matches(&a, "wheel", 10));
        assert!(rpm_group_matches(&a, "staff", 10));
        assert!(!rpm_group_matches(&a, "wheel", 11));
        assert!(rpm_group_matches(&a, "nosuch", 0));
        assert!(!rpm_group_matches(&a, "nosuch", 5));
        assert!(rpm_group_matches(&Accounts::default(), "root", 0));
        assert_eq!(rpm_expected_gid(&a, "bin"), 1);
    }

    #[test]
    fn rpm_mode_rule() {
        let a = acc();
        let suid_sgid = 0o106_755;
        assert_eq!(rpm_expected_mode(&a, "bin", "bin", suid_sgid), suid_sgid);
        assert_eq!(rpm_expected_mode(&a, "nosuch", "bin", suid_sgid), 0o102_755);
        assert_eq!(rpm_expected_mode(&a, "bin", "nosuch", suid_sgid), 0o104_755);
        assert_eq!(rpm_expected_mode(&a, "x", "y", suid_sgid), 0o100_755);
        assert_eq!(
            rpm_expected_mode(&Accounts::default(), "root", "root", suid_sgid),
            suid_sgid
        );
    }

    #[test]
    fn rpm_rule() {
        let net_raw = xattr(0x0200_0001, &[1 << 13, 0, 0, 0]);
        let empty = xattr(0x0200_0000, &[0, 0, 0, 0]);
        let broken = [1u8, 0, 0, 2, 0];
        assert!(rpm_caps_match("", None));
        assert!(rpm_caps_match("cap_net_raw=ep", Some(&net_raw)));
        assert!(rpm_caps_match("= cap_net_raw+ep", Some(&net_raw)));
        assert!(!rpm_caps_match("cap_net_raw=p", Some(&net_raw)));
        assert!(!rpm_caps_match("", Some(&net_raw)));
        // An xattr with no capabilities still differs from "no caps".
        assert!(!rpm_caps_match("", Some(&empty)));
        assert!(rpm_caps_match("=", Some(&empty)));
        assert!(!rpm_caps_match("=", None));
        assert!(!rpm_caps_match("cap_net_raw=ep", None));
        // Unreadable sides count as absent.
        assert!(rpm_caps_match("", Some(&broken)));
        assert!(!rpm_caps_match("cap_net_raw=ep", Some(&broken)));
        assert!(rpm_caps_match("cap_bogus=ep", None));
        assert!(rpm_caps_match("cap_bogus=ep", Some(&broken)));
        assert!(!rpm_caps_match("cap_bogus=ep", Some(&net_raw)));
        // Blank but non-empty text is a set (the empty one).
        assert!(!rpm_caps_match(" ", None));
    }
}
