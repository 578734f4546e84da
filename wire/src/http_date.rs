//! HTTP dates (RFC 9110 §5.6.7 IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`, the only form a
//! server may send): the edge writes its `Date` header with [`format_http_date`], the widget
//! learns the edge's clock from it with [`parse_http_date`] (rather than with the page's
//! `Date.parse`, which a page may replace).

use alloc::string::String;

use crate::time::{civil_from_days, parse_millis, push_padded, MS_PER_DAY};

/// Length of an IMF-fixdate.
const HTTP_DATE_CHARS: usize = 29;
/// Day names from Sunday (1970-01-01 was a Thursday).
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MONTHS_2: [&str; 12] = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"];

/// Formats milliseconds since the epoch (years 0–9999) as an IMF-fixdate. Milliseconds are
/// dropped.
#[must_use]
#[inline]
pub fn format_http_date(ms: i64) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let seconds = ms.rem_euclid(MS_PER_DAY) / 1000;
    let (y, m, d) = civil_from_days(days);
    let weekday = usize::try_from((days + 4).rem_euclid(7)).ok().and_then(|i| WEEKDAYS.get(i)).unwrap_or(&"Thu");
    let month = usize::try_from(m - 1).ok().and_then(|i| MONTHS.get(i)).unwrap_or(&"Jan");
    let mut out = String::with_capacity(HTTP_DATE_CHARS);
    out.push_str(weekday);
    out.push_str(", ");
    push_padded(&mut out, d, 2);
    out.push(' ');
    out.push_str(month);
    out.push(' ');
    push_padded(&mut out, y, 4);
    for (value, before) in [(seconds / 3600, ' '), (seconds / 60 % 60, ':'), (seconds % 60, ':')] {
        out.push(before);
        push_padded(&mut out, value, 2);
    }
    out.push_str(" GMT");
    out
}

/// Milliseconds since the epoch of an IMF-fixdate naming a real instant from 1970 on; `None` for
/// anything else (the obsolete RFC 850 and asctime forms included). The day name is not checked.
#[must_use]
#[inline]
pub fn parse_http_date(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != HTTP_DATE_CHARS
        || s.get(3..5)? != ", "
        || s.get(25..)? != " GMT"
        || [7, 11, 16].iter().any(|i| b.get(*i) != Some(&b' '))
    {
        return None;
    }
    let month = MONTHS.iter().position(|m| s.get(8..11) == Some(*m))?;
    let iso = [s.get(12..16)?, "-", MONTHS_2[month], "-", s.get(5..7)?, "T", s.get(17..25)?, ".000Z"].concat();
    u64::try_from(parse_millis(&iso)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::format_millis;

    #[test]
    fn formats_imf_fixdates() {
        // RFC 9110's own example, and instants around a leap day and the epoch.
        assert_eq!(format_http_date(784_111_777_000), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(format_http_date(784_111_777_999), "Sun, 06 Nov 1994 08:49:37 GMT", "milliseconds are dropped");
        assert_eq!(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(format_http_date(951_868_799_999), "Tue, 29 Feb 2000 23:59:59 GMT");
        assert_eq!(format_http_date(1_795_398_005_123), "Mon, 23 Nov 2026 01:40:05 GMT");
        assert_eq!(format_http_date(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
    }

    #[test]
    fn parses_imf_fixdates_only() {
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777_000));
        assert_eq!(
            parse_http_date("Mon, 23 Nov 2026 01:40:05 GMT").map(|ms| format_millis(ms as i64)),
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
            "Wed, 31 Dec 1969 23:59:59 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn what_the_edge_writes_the_widget_reads(ms in 0..253_402_300_799_999_i64) {
            proptest::prop_assert_eq!(parse_http_date(&format_http_date(ms)), Some((ms / 1000 * 1000) as u64));
        }
    }
}
