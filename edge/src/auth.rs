//! Operator authentication: bearer tokens compared as SHA-256 digests in constant time.

use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// Longest `Authorization` header read; longer ones are refused unread.
pub const MAX_AUTH_HEADER_CHARS: usize = 512;

/// The token carried by `Authorization: Bearer …`, if well-formed.
#[must_use]
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let header = header?;
    if header.len() > MAX_AUTH_HEADER_CHARS {
        return None;
    }
    let token = header.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then_some(token)
}

/// Equality of two secrets that takes the same time wherever they differ.
#[must_use]
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (da, db) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    da.iter()
        .zip(db.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// Requires the admin token.
///
/// # Errors
/// 401 when the header is missing, malformed or carries another token.
pub fn require_admin(header: Option<&str>, admin_token: &str) -> Result<(), ApiError> {
    match bearer(header) {
        Some(token) if !admin_token.is_empty() && constant_time_eq(token, admin_token) => Ok(()),
        _ => Err(ApiError::unauthorized()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_passes() {
        assert!(require_admin(Some("Bearer s3cret"), "s3cret").is_ok());
        for header in [
            None,
            Some(""),
            Some("s3cret"),
            Some("Basic s3cret"),
            Some("Bearer s3cre"),
            Some("Bearer "),
        ] {
            assert_eq!(
                require_admin(header, "s3cret").unwrap_err().status,
                401,
                "{header:?}"
            );
        }
        assert!(require_admin(Some("Bearer "), "").is_err());
    }
}
