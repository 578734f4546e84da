//! Identifiers: time-sortable receipt ids (ULID, Crockford base32) and the short slugs used for
//! sites, categories and sections. The rules are kelisim-wire's (the widget's too); core adds the
//! errors that say what is wrong.

use kelisim_wire::id::is_slug;
pub use kelisim_wire::id::{is_subject_id, ulid_from_parts, ulid_time_ms, ULID_CHARS};

use crate::error::ValidationError;
use crate::limits::MAX_ID_CHARS;

/// Checks a slug: 1–64 characters of `a-z`, `0-9`, `_` and `-`, starting with a letter or digit.
/// Slugs appear in KV keys and URLs, so nothing else is admitted (no `/`, `:` or `.`).
///
/// # Errors
/// [`ValidationError::InvalidId`] naming `field`.
pub fn check_slug(field: &'static str, s: &str) -> Result<(), ValidationError> {
    if is_slug(s) {
        return Ok(());
    }
    let reason = if s.is_empty() {
        "empty"
    } else if s.len() > MAX_ID_CHARS {
        "longer than 64 characters"
    } else if !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-') {
        "only a-z, 0-9, _ and - are allowed"
    } else {
        "must start with a letter or digit"
    };
    Err(ValidationError::InvalidId { field, reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulid_round_trips_time_and_sorts_by_time() {
        let a = ulid_from_parts(1_795_398_005_123, [0xFF; 10]);
        let b = ulid_from_parts(1_795_398_005_124, [0; 10]);
        assert_eq!(a.len(), ULID_CHARS);
        assert_eq!(ulid_time_ms(&a), Some(1_795_398_005_123));
        assert!(a < b);
    }

    #[test]
    fn ulid_rejects_lowercase_and_ambiguous_letters() {
        let good = ulid_from_parts(1, [7; 10]);
        assert!(ulid_time_ms(&good).is_some());
        assert_eq!(ulid_time_ms(&good.to_lowercase()), None);
        assert_eq!(ulid_time_ms(&format!("{}U", &good[..25])), None);
        assert_eq!(ulid_time_ms(&format!("8{}", &good[1..])), None);
        assert_eq!(ulid_time_ms("../../etc/passwd"), None);
    }

    #[test]
    fn slugs() {
        assert!(check_slug("site", "crm-demo").is_ok());
        for bad in ["", "Crm", "a/b", "a:b", "-x", "..", &"x".repeat(65)] {
            assert!(check_slug("site", bad).is_err(), "{bad}");
        }
    }
}
