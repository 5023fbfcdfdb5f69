//! Ages such as `2d` or `1d12h` (history stage): how old the last complete
//! scan may be before `history --check-age` complains.

use std::time::Duration;

/// Why an age does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AgeError {
    /// Nothing was given.
    #[error("empty age")]
    Empty,
    /// A number without a unit (`2`: two what?).
    #[error("{number} has no unit (s, m, h, d or w)")]
    MissingUnit {
        /// The number.
        number: String,
    },
    /// A unit without a number, or something that is neither.
    #[error("expected a number before {found:?}")]
    MissingNumber {
        /// What was found instead.
        found: char,
    },
    /// A unit that is not s, m, h, d or w.
    #[error("unknown unit {unit:?} (use s, m, h, d or w)")]
    UnknownUnit {
        /// The unit.
        unit: char,
    },
    /// More seconds than fit.
    #[error("too long")]
    TooLong,
}

/// Parse an age: one or more `NUMBER UNIT` pairs, units `s`, `m`, `h`,
/// `d`, `w` (`90m`, `2d`, `1w2d`).
///
/// ```
/// use std::time::Duration;
/// use rootaudit::history::parse_age;
/// assert_eq!(parse_age("2d").unwrap(), Duration::from_secs(2 * 86_400));
/// assert_eq!(parse_age("1h30m").unwrap(), Duration::from_secs(5_400));
/// assert!(parse_age("2").is_err());
/// ```
pub fn parse_age(text: &str) -> Result<Duration, AgeError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AgeError::Empty);
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        if number.is_empty() {
            return Err(AgeError::MissingNumber { found: c });
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(AgeError::UnknownUnit { unit: c }),
        };
        let n: u64 = number.parse().map_err(|_| AgeError::TooLong)?;
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or(AgeError::TooLong)?;
        number.clear();
    }
    if !number.is_empty() {
        return Err(AgeError::MissingUnit { number });
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_sums() {
        let s = |t| parse_age(t).map(|d| d.as_secs());
        assert_eq!(s("45s"), Ok(45));
        assert_eq!(s("90m"), Ok(5_400));
        assert_eq!(s("36h"), Ok(129_600));
        assert_eq!(s("2d"), Ok(172_800));
        assert_eq!(s("1w"), Ok(604_800));
        assert_eq!(s("1w2d3h4m5s"), Ok(604_800 + 172_800 + 10_800 + 240 + 5));
        assert_eq!(s(" 2d "), Ok(172_800));
        assert_eq!(s("0s"), Ok(0));
    }

    #[test]
    fn nonsense_is_an_error() {
        assert_eq!(parse_age(""), Err(AgeError::Empty));
        assert_eq!(
            parse_age("2"),
            Err(AgeError::MissingUnit { number: "2".into() })
        );
        assert_eq!(
            parse_age("1d3"),
            Err(AgeError::MissingUnit { number: "3".into() })
        );
        assert_eq!(parse_age("d"), Err(AgeError::MissingNumber { found: 'd' }));
        assert_eq!(
            parse_age("-2d"),
            Err(AgeError::MissingNumber { found: '-' })
        );
        assert_eq!(parse_age("2y"), Err(AgeError::UnknownUnit { unit: 'y' }));
        assert_eq!(parse_age("2 d"), Err(AgeError::UnknownUnit { unit: ' ' }));
        assert_eq!(parse_age("99999999999999999999w"), Err(AgeError::TooLong));
        assert_eq!(parse_age("40000000000000w"), Err(AgeError::TooLong));
    }
}
