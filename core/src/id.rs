//! Identifiers: time-sortable receipt ids (ULID, Crockford base32) and the short slugs used for
//! sites, categories and sections.

use crate::error::ValidationError;
use crate::limits::MAX_ID_CHARS;

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Length of a ULID in characters.
pub const ULID_CHARS: usize = 26;

/// Builds a ULID from a millisecond timestamp (48 bits) and 80 random bits.
#[must_use]
pub fn ulid_from_parts(ms: u64, random: [u8; 10]) -> String {
    let mut value: u128 = u128::from(ms & 0xFFFF_FFFF_FFFF) << 80;
    for (i, b) in random.iter().enumerate() {
        value |= u128::from(*b) << (72 - 8 * i);
    }
    (0..ULID_CHARS).map(|i| char::from(CROCKFORD[((value >> (125 - 5 * i)) & 0x1F) as usize])).collect()
}

/// The millisecond timestamp a valid ULID carries, or `None` when `s` is not a canonical ULID
/// (26 upper-case Crockford characters, first one at most `7`).
#[must_use]
pub fn ulid_time_ms(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != ULID_CHARS || b[0] > b'7' {
        return None;
    }
    let mut value: u128 = 0;
    for c in b {
        let digit = CROCKFORD.iter().position(|x| x == c)?;
        value = (value << 5) | digit as u128;
    }
    u64::try_from(value >> 80).ok()
}

/// Checks a slug: 1–64 characters of `a-z`, `0-9`, `_` and `-`, starting with a letter or digit.
/// Slugs appear in KV keys and URLs, so nothing else is admitted (no `/`, `:` or `.`).
///
/// # Errors
/// [`ValidationError::InvalidId`] naming `field`.
pub fn check_slug(field: &'static str, s: &str) -> Result<(), ValidationError> {
    let invalid = |reason| ValidationError::InvalidId { field, reason };
    if s.is_empty() {
        return Err(invalid("empty"));
    }
    if s.len() > MAX_ID_CHARS {
        return Err(invalid("longer than 64 characters"));
    }
    if !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-') {
        return Err(invalid("only a-z, 0-9, _ and - are allowed"));
    }
    if !s.as_bytes()[0].is_ascii_alphanumeric() {
        return Err(invalid("must start with a letter or digit"));
    }
    Ok(())
}

/// Whether `s` is 43 base64url characters: the shape of a SHA-256 JWK thumbprint (RFC 7638) and
/// of the random subject ids used where the browser has no Ed25519.
#[must_use]
pub fn is_subject_id(s: &str) -> bool {
    s.len() == 43 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
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
