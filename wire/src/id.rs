//! Identifiers: receipt ids (ULIDs: 48 bits of milliseconds then 80 random bits, in Crockford
//! base32), the slugs that name sites, categories, sections and keys, and the shape of subject ids.

use alloc::string::String;

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Length of a ULID in characters.
pub const ULID_CHARS: usize = 26;

/// The longest slug: slugs appear in KV keys, URLs and log origins, and 64 fits every real name.
pub const MAX_ID_CHARS: usize = 64;

/// Length of a subject id: base64url of 32 bytes (a SHA-256 JWK thumbprint, RFC 7638).
pub const SUBJECT_ID_CHARS: usize = 43;

/// A ULID from a millisecond timestamp (its low 48 bits) and 80 random bits.
#[must_use]
#[inline]
pub fn ulid_from_parts(ms: u64, random: [u8; 10]) -> String {
    let mut value: u128 = u128::from(ms & 0xFFFF_FFFF_FFFF) << 80;
    for (i, b) in random.iter().enumerate() {
        value |= u128::from(*b) << (72 - 8 * i);
    }
    (0..ULID_CHARS).map(|i| char::from(CROCKFORD[((value >> (125 - 5 * i)) & 0x1F) as usize])).collect()
}

/// The millisecond timestamp a ULID carries, or `None` when `s` is not a canonical ULID (26
/// upper-case Crockford characters, the first at most `7`).
#[must_use]
#[inline]
pub fn ulid_time_ms(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != ULID_CHARS || b.first().is_none_or(|c| *c > b'7') {
        return None;
    }
    let mut value: u128 = 0;
    for c in b {
        let digit = CROCKFORD.iter().position(|x| x == c)?;
        value = (value << 5) | digit as u128;
    }
    u64::try_from(value >> 80).ok()
}

/// Whether `s` is a slug: 1–64 of `a-z`, `0-9`, `_` and `-`, starting with a letter or digit
/// (nothing that could mean a path or a key separator: no `/`, `:` or `.`).
#[must_use]
#[inline]
pub fn is_slug(s: &str) -> bool {
    s.len() <= MAX_ID_CHARS
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Whether `s` has the shape of a subject id: 43 base64url characters, as a SHA-256 JWK
/// thumbprint has, and the random ids of subjects without a key.
#[must_use]
#[inline]
pub fn is_subject_id(s: &str) -> bool {
    s.len() == SUBJECT_ID_CHARS && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
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
        assert_eq!(ulid_from_parts(0, [0; 10]), "00000000000000000000000000");
        assert_eq!(ulid_from_parts(u64::MAX, [0xFF; 10]), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
        assert_eq!(ulid_time_ms("7ZZZZZZZZZZZZZZZZZZZZZZZZZ"), Some(0xFFFF_FFFF_FFFF));
    }

    #[test]
    fn ulid_rejects_lowercase_ambiguous_letters_and_overflow() {
        let good = ulid_from_parts(1, [7; 10]);
        assert!(ulid_time_ms(&good).is_some());
        assert_eq!(ulid_time_ms(&good.to_lowercase()), None);
        assert_eq!(ulid_time_ms(&[&good[..25], "U"].concat()), None);
        assert_eq!(ulid_time_ms(&["8", &good[1..]].concat()), None);
        assert_eq!(ulid_time_ms("../../etc/passwd"), None);
        assert_eq!(ulid_time_ms(""), None);
    }

    #[test]
    fn slugs() {
        for good in ["crm-demo", "a", "0x", "a_b", &"x".repeat(64)] {
            assert!(is_slug(good), "{good}");
        }
        for bad in ["", "Crm", "a/b", "a:b", "-x", "_x", "..", "é", &"x".repeat(65)] {
            assert!(!is_slug(bad), "{bad}");
        }
    }

    #[test]
    fn subject_ids() {
        assert!(is_subject_id("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"));
        assert!(!is_subject_id("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR"));
        assert!(!is_subject_id("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo"));
        assert!(!is_subject_id(&["é".repeat(21), "a".into()].concat()), "43 bytes, not 43 characters");
    }
}
