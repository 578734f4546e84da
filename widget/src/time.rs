//! Timestamps as receipts carry them: RFC 3339 UTC with milliseconds, exactly
//! `YYYY-MM-DDTHH:MM:SS.sssZ` (JavaScript's `toISOString`), and receipt ids (ULIDs, whose first
//! 48 bits are the time). Written without `core::fmt`; a native test pins both to core.

use alloc::string::String;

const MS_PER_DAY: i64 = 86_400_000;
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Length of a ULID in characters.
pub const ULID_CHARS: usize = 26;

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// The date of a day since 1970-01-01 (Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
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

fn push_padded(out: &mut String, n: i64, width: u32) {
    for p in (0..width).rev() {
        out.push(char::from(b'0' + (n / 10_i64.pow(p) % 10) as u8));
    }
}

/// Formats milliseconds since the epoch (years 0–9999) as `YYYY-MM-DDTHH:MM:SS.sssZ`.
#[must_use]
pub fn format_millis(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(MS_PER_DAY));
    let rem = ms.rem_euclid(MS_PER_DAY);
    let mut out = String::with_capacity(24);
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

/// Whether `s` is exactly `YYYY-MM-DDTHH:MM:SS.sssZ` naming a real instant.
#[must_use]
pub fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 24 {
        return false;
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
                return false;
            }
            field += 1;
        } else if c.is_ascii_digit() {
            fields[field] = fields[field] * 10 + i64::from(c - b'0');
        } else {
            return false;
        }
    }
    let [y, mo, d, h, mi, sec, _] = fields;
    // The day exists when it survives a round trip through the day count.
    (1..=12).contains(&mo)
        && d >= 1
        && h <= 23
        && mi <= 59
        && sec <= 59
        && civil_from_days(days_from_civil(y, mo, d)) == (y, mo, d)
}

/// Milliseconds since the epoch of a timestamp [`is_timestamp`] accepts.
#[must_use]
pub fn parse_millis(s: &str) -> Option<u64> {
    if !is_timestamp(s) {
        return None;
    }
    // Digits only (checked above); no `str::parse`, which would bring its error formatting.
    let n = |from: usize, to: usize| {
        Some(s.get(from..to)?.bytes().fold(0_i64, |acc, b| acc * 10 + i64::from(b.wrapping_sub(b'0'))))
    };
    let days = days_from_civil(n(0, 4)?, n(5, 7)?, n(8, 10)?);
    let ms = days * MS_PER_DAY + n(11, 13)? * 3_600_000 + n(14, 16)? * 60_000 + n(17, 19)? * 1000 + n(20, 23)?;
    u64::try_from(ms).ok()
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Milliseconds since the epoch of an HTTP `Date` header (RFC 9110 IMF-fixdate,
/// `Sun, 06 Nov 1994 08:49:37 GMT`, the only form a server may send). Read here rather than with
/// the page's `Date.parse`, which a page may replace.
#[must_use]
pub fn parse_http_date(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 29
        || s.get(3..5)? != ", "
        || s.get(25..)? != " GMT"
        || [7, 11, 16].iter().any(|i| b.get(*i) != Some(&b' '))
    {
        return None;
    }
    let month = MONTHS.iter().position(|m| s.get(8..11) == Some(*m))?;
    let iso = [s.get(12..16)?, "-", MONTHS_2[month], "-", s.get(5..7)?, "T", s.get(17..25)?, ".000Z"].concat();
    parse_millis(&iso)
}

const MONTHS_2: [&str; 12] = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"];

/// A ULID from a millisecond timestamp (48 bits) and 80 random bits.
#[must_use]
pub fn ulid(ms: u64, random: [u8; 10]) -> String {
    let mut value: u128 = u128::from(ms & 0xFFFF_FFFF_FFFF) << 80;
    for (i, b) in random.iter().enumerate() {
        value |= u128::from(*b) << (72 - 8 * i);
    }
    (0..ULID_CHARS).map(|i| char::from(CROCKFORD[((value >> (125 - 5 * i)) & 0x1F) as usize])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kelisim_core::time::{format_millis as core_format, parse_millis as core_parse};

    #[test]
    fn formats_as_core_does() {
        let mut ms = 0_i64;
        while ms < 253_402_300_799_999 {
            assert_eq!(format_millis(ms), core_format(ms), "{ms}");
            ms = ms * 3 + 7_919_123;
        }
        for ms in [0, 951_868_799_999, 1_795_398_005_123, 253_402_300_799_999] {
            assert_eq!(format_millis(ms), core_format(ms));
        }
    }

    #[test]
    fn accepts_exactly_what_core_parses() {
        for s in [
            "1970-01-01T00:00:00.000Z",
            "2026-11-23T01:40:05.123Z",
            "2000-02-29T23:59:59.999Z",
            "2026-11-23T01:40:05Z",
            "2026-11-23T01:40:05.123+00:00",
            "2026-02-30T00:00:00.000Z",
            "2025-02-29T00:00:00.000Z",
            "1900-02-29T00:00:00.000Z",
            "2026-13-01T00:00:00.000Z",
            "2026-00-01T00:00:00.000Z",
            "2026-11-00T00:00:00.000Z",
            "2026-11-23T24:00:00.000Z",
            "2026-11-23T23:60:00.000Z",
            "2026-11-23T23:59:60.000Z",
            "2026-11-23 01:40:05.123Z",
            "+026-11-23T01:40:05.123Z",
            "2026-11-23T01:40:05.12aZ",
            "",
        ] {
            assert_eq!(is_timestamp(s), core_parse("t", s).is_ok(), "{s}");
        }
    }

    #[test]
    fn timestamps_read_back_as_core_reads_them() {
        let mut ms = 0_i64;
        while ms < 253_402_300_799_999 {
            let text = core_format(ms);
            assert_eq!(parse_millis(&text), parse_millis_core(&text), "{text}");
            ms = ms * 3 + 7_919_123;
        }
        assert_eq!(parse_millis("2026-02-30T00:00:00.000Z"), None);
        assert_eq!(parse_millis("2026-11-23T01:40:05Z"), None);
    }

    fn parse_millis_core(s: &str) -> Option<u64> {
        u64::try_from(core_parse("t", s).ok()?).ok()
    }

    #[test]
    fn http_dates_are_imf_fixdates_only() {
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777_000));
        assert_eq!(
            parse_http_date("Mon, 23 Nov 2026 01:40:05 GMT").map(|ms| core_format(ms as i64)),
            Some("2026-11-23T01:40:05.000Z".into())
        );
        for bad in [
            "",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT ",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn ulids_are_cores() {
        for (ms, r) in [(0, [0; 10]), (1_795_398_005_123, [0xAB; 10]), (u64::MAX, [0xFF; 10])] {
            assert_eq!(ulid(ms, r), kelisim_core::id::ulid_from_parts(ms, r));
        }
    }
}
