//! Timestamps as Kelisim writes them: RFC 3339 UTC with milliseconds, exactly
//! `YYYY-MM-DDTHH:MM:SS.sssZ` (what JavaScript's `Date.prototype.toISOString` produces).

use crate::error::ValidationError;

const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn digits(s: &[u8], range: std::ops::Range<usize>) -> Option<i64> {
    let part = s.get(range)?;
    if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(part.iter().fold(0, |acc, b| acc * 10 + i64::from(b - b'0')))
}

/// Parses `YYYY-MM-DDTHH:MM:SS.sssZ` into milliseconds since the Unix epoch.
///
/// # Errors
/// [`ValidationError::InvalidTimestamp`] naming `field` when the text is not exactly that form.
pub fn parse_millis(field: &'static str, s: &str) -> Result<i64, ValidationError> {
    let err = || ValidationError::InvalidTimestamp(field);
    let b = s.as_bytes();
    if b.len() != 24
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'.'
        || b[23] != b'Z'
    {
        return Err(err());
    }
    let num = |r| digits(b, r).ok_or_else(err);
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec, ms) = (num(11..13)?, num(14..16)?, num(17..19)?, num(20..23)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59 {
        return Err(err());
    }
    Ok(days_from_civil(y, mo, d) * MS_PER_DAY + ((h * 60 + mi) * 60 + sec) * 1000 + ms)
}

/// Parses a calendar date `YYYY-MM-DD` (a policy's effective date).
///
/// # Errors
/// [`ValidationError::InvalidTimestamp`] naming `field`.
pub fn parse_date(field: &'static str, s: &str) -> Result<(), ValidationError> {
    parse_millis(field, &format!("{s}T00:00:00.000Z")).map(|_| ())
}

/// Formats milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.sssZ`.
#[must_use]
pub fn format_millis(ms: i64) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let rem = ms.rem_euclid(MS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

/// Day names of the HTTP date, from Sunday (1970-01-01 was a Thursday).
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Formats milliseconds since the epoch as an HTTP date (IMF-fixdate, RFC 9110 §5.6.7), e.g.
/// `Sun, 06 Nov 1994 08:49:37 GMT`: what the edge sends in `Date`. Milliseconds are dropped.
#[must_use]
pub fn format_http_date(ms: i64) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let rem = ms.rem_euclid(MS_PER_DAY) / 1000;
    let (y, m, d) = civil_from_days(days);
    let weekday = WEEKDAYS.get(usize::try_from((days + 4).rem_euclid(7)).unwrap_or(0)).copied().unwrap_or("Thu");
    let month = MONTHS.get(usize::try_from(m - 1).unwrap_or(0)).copied().unwrap_or("Jan");
    format!("{weekday}, {d:02} {month} {y:04} {:02}:{:02}:{:02} GMT", rem / 3600, rem / 60 % 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_known_instants() {
        for (text, ms) in [
            ("1970-01-01T00:00:00.000Z", 0),
            ("2026-11-23T01:40:05.123Z", 1_795_398_005_123),
            ("2000-02-29T23:59:59.999Z", 951_868_799_999),
        ] {
            assert_eq!(parse_millis("t", text), Ok(ms), "{text}");
            assert_eq!(format_millis(ms), text);
        }
    }

    #[test]
    fn rejects_near_misses() {
        for bad in [
            "2026-11-23T01:40:05Z",
            "2026-11-23T01:40:05.123+00:00",
            "2026-02-30T00:00:00.000Z",
            "2025-02-29T00:00:00.000Z",
            "2026-13-01T00:00:00.000Z",
            "2026-11-23T24:00:00.000Z",
            "2026-11-23 01:40:05.123Z",
            "+026-11-23T01:40:05.123Z",
            "",
        ] {
            assert_eq!(parse_millis("t", bad), Err(ValidationError::InvalidTimestamp("t")), "{bad}");
        }
    }

    #[test]
    fn http_dates_are_imf_fixdate() {
        // RFC 9110's own example, and instants around a leap day and the epoch.
        assert_eq!(format_http_date(784_111_777_000), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(format_http_date(784_111_777_999), "Sun, 06 Nov 1994 08:49:37 GMT", "milliseconds are dropped");
        assert_eq!(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(format_http_date(951_868_799_999), "Tue, 29 Feb 2000 23:59:59 GMT");
        assert_eq!(format_http_date(1_795_398_005_123), "Mon, 23 Nov 2026 01:40:05 GMT");
        assert_eq!(format_http_date(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
    }
}
