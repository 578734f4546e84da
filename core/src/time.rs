//! Timestamps as Kelisim writes them: RFC 3339 UTC with milliseconds, exactly
//! `YYYY-MM-DDTHH:MM:SS.sssZ` (what JavaScript's `Date.prototype.toISOString` produces), and the
//! HTTP `Date` header. Written and read by kelisim-wire (the widget's code too); core names the
//! field in its errors.

pub use kelisim_wire::http_date::format_http_date;
pub use kelisim_wire::time::format_millis;

use crate::error::ValidationError;

/// Parses `YYYY-MM-DDTHH:MM:SS.sssZ` into milliseconds since the Unix epoch.
///
/// # Errors
/// [`ValidationError::InvalidTimestamp`] naming `field` when the text is not exactly that form.
pub fn parse_millis(field: &'static str, s: &str) -> Result<i64, ValidationError> {
    kelisim_wire::time::parse_millis(s).ok_or(ValidationError::InvalidTimestamp(field))
}

/// Parses a calendar date `YYYY-MM-DD` (a policy's effective date).
///
/// # Errors
/// [`ValidationError::InvalidTimestamp`] naming `field`.
pub fn parse_date(field: &'static str, s: &str) -> Result<(), ValidationError> {
    parse_millis(field, &[s, "T00:00:00.000Z"].concat()).map(|_| ())
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
