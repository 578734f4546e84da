//! Timestamps as receipts carry them: RFC 3339 UTC with milliseconds, exactly
//! `YYYY-MM-DDTHH:MM:SS.sssZ` (JavaScript's `Date.prototype.toISOString`), years 0000–9999.

use alloc::string::String;

pub(crate) const MS_PER_DAY: i64 = 86_400_000;

/// Length of a timestamp.
pub const TIMESTAMP_CHARS: usize = 24;

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
#[inline]
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// The date of a day since 1970-01-01 (Hinnant's `civil_from_days`).
#[inline]
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Appends the last `width` decimal digits of `n` (not negative), zero-padded.
#[inline]
pub(crate) fn push_padded(out: &mut String, n: i64, width: u32) {
    for p in (0..width).rev() {
        out.push(char::from(b'0' + (n / 10_i64.pow(p) % 10) as u8));
    }
}

/// Formats milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.sssZ`. Meant for years 0–9999,
/// the timestamps [`parse_millis`] reads (a year past 9999 keeps its last four digits).
#[must_use]
#[inline]
pub fn format_millis(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(MS_PER_DAY));
    let rem = ms.rem_euclid(MS_PER_DAY);
    let mut out = String::with_capacity(TIMESTAMP_CHARS);
    for (value, width, after) in [
        (y, 4, '-'),
        (m, 2, '-'),
        (d, 2, 'T'),
        (rem / 3_600_000, 2, ':'),
        (rem / 60_000 % 60, 2, ':'),
        (rem / 1000 % 60, 2, '.'),
        (rem % 1000, 3, 'Z'),
    ] {
        push_padded(&mut out, value, width);
        out.push(after);
    }
    out
}

/// Milliseconds since the epoch of exactly `YYYY-MM-DDTHH:MM:SS.sssZ` naming a real instant
/// (negative before 1970); `None` for any other text.
#[must_use]
#[inline]
pub fn parse_millis(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != TIMESTAMP_CHARS {
        return None;
    }
    let mut fields = [0i64; 7];
    let mut field = 0;
    for (i, c) in b.iter().enumerate() {
        let separator = match i {
            4 | 7 => b'-',
            10 => b'T',
            13 | 16 => b':',
            19 => b'.',
            23 => b'Z',
            _ => 0,
        };
        if separator != 0 {
            if *c != separator {
                return None;
            }
            field += 1;
        } else if c.is_ascii_digit() {
            fields[field] = fields[field] * 10 + i64::from(c - b'0');
        } else {
            return None;
        }
    }
    let [y, mo, d, h, mi, sec, ms] = fields;
    let days = days_from_civil(y, mo, d);
    // The day exists when it survives a round trip through the day count.
    let real =
        (1..=12).contains(&mo) && d >= 1 && h <= 23 && mi <= 59 && sec <= 59 && civil_from_days(days) == (y, mo, d);
    real.then_some(days * MS_PER_DAY + ((h * 60 + mi) * 60 + sec) * 1000 + ms)
}

/// Whether `s` is exactly `YYYY-MM-DDTHH:MM:SS.sssZ` naming a real instant.
#[must_use]
#[inline]
pub fn is_timestamp(s: &str) -> bool {
    parse_millis(s).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Core's implementation before this crate, kept as the reference: `format!` and a
    /// month-length table instead of digit pushing and a round trip.
    mod reference {
        use std::format;
        use std::string::String;

        fn days_in_month(y: i64, m: i64) -> i64 {
            match m {
                1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
                4 | 6 | 9 | 11 => 30,
                _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
                _ => 28,
            }
        }

        fn digits(s: &[u8], range: core::ops::Range<usize>) -> Option<i64> {
            let part = s.get(range)?;
            if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            Some(part.iter().fold(0, |acc, b| acc * 10 + i64::from(b - b'0')))
        }

        pub fn parse(s: &str) -> Option<i64> {
            let b = s.as_bytes();
            if b.len() != 24 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
                return None;
            }
            if b[19] != b'.' || b[23] != b'Z' {
                return None;
            }
            let (y, mo, d) = (digits(b, 0..4)?, digits(b, 5..7)?, digits(b, 8..10)?);
            let (h, mi, sec, ms) = (digits(b, 11..13)?, digits(b, 14..16)?, digits(b, 17..19)?, digits(b, 20..23)?);
            if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59 {
                return None;
            }
            Some(super::days_from_civil(y, mo, d) * super::MS_PER_DAY + ((h * 60 + mi) * 60 + sec) * 1000 + ms)
        }

        pub fn format(ms: i64) -> String {
            let rem = ms.rem_euclid(super::MS_PER_DAY);
            let (y, m, d) = super::civil_from_days(ms.div_euclid(super::MS_PER_DAY));
            format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
                rem / 3_600_000,
                rem / 60_000 % 60,
                rem / 1000 % 60,
                rem % 1000
            )
        }
    }

    /// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z.
    const FIRST_MS: i64 = -62_167_219_200_000;
    const LAST_MS: i64 = 253_402_300_799_999;

    #[test]
    fn round_trips_known_instants() {
        for (text, ms) in [
            ("1970-01-01T00:00:00.000Z", 0),
            ("2026-11-23T01:40:05.123Z", 1_795_398_005_123),
            ("2000-02-29T23:59:59.999Z", 951_868_799_999),
            ("1969-12-31T23:59:59.999Z", -1),
            ("0000-01-01T00:00:00.000Z", FIRST_MS),
            ("9999-12-31T23:59:59.999Z", LAST_MS),
        ] {
            assert_eq!(parse_millis(text), Some(ms), "{text}");
            assert_eq!(format_millis(ms), text);
        }
    }

    #[test]
    fn formats_and_parses_as_the_reference_over_every_year() {
        let mut ms = FIRST_MS;
        while ms <= LAST_MS {
            let text = format_millis(ms);
            assert_eq!(text, reference::format(ms), "{ms}");
            assert_eq!(parse_millis(&text), Some(ms), "{text}");
            ms += 7_919_123_456 + ms.rem_euclid(86_399_999);
        }
    }

    #[test]
    fn accepts_exactly_what_the_reference_accepts() {
        for s in [
            "1970-01-01T00:00:00.000Z",
            "2026-11-23T01:40:05.123Z",
            "2000-02-29T23:59:59.999Z",
            "2026-11-23T01:40:05Z",
            "2026-11-23T01:40:05.123+00:00",
            "2026-02-30T00:00:00.000Z",
            "2025-02-29T00:00:00.000Z",
            "1900-02-29T00:00:00.000Z",
            "2026-04-31T00:00:00.000Z",
            "2026-13-01T00:00:00.000Z",
            "2026-00-01T00:00:00.000Z",
            "2026-11-00T00:00:00.000Z",
            "2026-11-23T24:00:00.000Z",
            "2026-11-23T23:60:00.000Z",
            "2026-11-23T23:59:60.000Z",
            "2026-11-23 01:40:05.123Z",
            "+026-11-23T01:40:05.123Z",
            "2026-11-23T01:40:05.12aZ",
            "2026-11-23T01:40:05.1234",
            "２026-11-23T01:40:05.12Z",
            "",
        ] {
            assert_eq!(parse_millis(s), reference::parse(s), "{s}");
            assert_eq!(is_timestamp(s), reference::parse(s).is_some(), "{s}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_near_timestamp_parses_as_the_reference(
            s in "[0-9]{4}-[0-3][0-9]-[0-3][0-9]T[0-2][0-9]:[0-6][0-9]:[0-6][0-9]\\.[0-9]{3}Z|[0-9T:.Z-]{0,26}"
        ) {
            proptest::prop_assert_eq!(parse_millis(&s), reference::parse(&s), "{}", s);
        }

        #[test]
        fn any_instant_formats_as_the_reference(ms in FIRST_MS..=LAST_MS) {
            proptest::prop_assert_eq!(format_millis(ms), reference::format(ms));
            proptest::prop_assert_eq!(parse_millis(&format_millis(ms)), Some(ms));
        }
    }
}
