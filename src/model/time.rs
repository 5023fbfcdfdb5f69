//! Times for people and log pipelines, in UTC, from seconds (or
//! milliseconds) since the Unix epoch: one calendar conversion
//! (Howard Hinnant's era-based `civil_from_days`, proleptic Gregorian) and
//! the three forms the outputs use.

/// `(year, month, day, hour, minute, second)` of `secs`.
fn civil(secs: u64) -> (i64, i64, i64, u64, u64, u64) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3_600, rem % 3_600 / 60, rem % 60)
}

/// `YYYY-MM-DD`.
pub fn date(secs: impl Into<u64>) -> String {
    let (y, m, d, ..) = civil(secs.into());
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DD HH:MM:SS`.
pub fn date_time(secs: u64) -> String {
    let (y, m, d, h, mi, s) = civil(secs);
    format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}")
}

/// RFC 3339 with milliseconds, `YYYY-MM-DDTHH:MM:SS.mmmZ`, of `ms`
/// milliseconds since the epoch.
pub fn rfc3339_ms(ms: u64) -> String {
    let (y, m, d, h, mi, s) = civil(ms / 1000);
    format!(
        "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z",
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_forms() {
        assert_eq!(date(0u32), "1970-01-01");
        assert_eq!(date(951_782_400u64), "2000-02-29");
        assert_eq!(date_time(1_700_000_000), "2023-11-14 22:13:20");
        assert_eq!(rfc3339_ms(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        // Past 2038 and in a leap year's last day.
        assert_eq!(date_time(4_107_542_399), "2100-02-28 23:59:59");
        assert_eq!(date(4_102_358_400u64), "2099-12-31");
    }
}
