//! Operator authentication and authorisation: the admin token, and per-site tokens with scopes
//! stored only as SHA-256 digests and compared in constant time, and which of them a route admits
//! ([`Access`], beside the scopes it names).

use sha2::{Digest, Sha256};

use kelisim_core::canonical::sha256_hex;

pub use kelisim_core::api::tokens::{CreateToken, Scope, TokenRecord, TOKEN_ID_CHARS};

use crate::error::ApiError;

/// Longest `Authorization` header read; longer ones are refused unread.
pub const MAX_AUTH_HEADER_CHARS: usize = 512;

/// Longest label an operator may give a token.
pub const MAX_TOKEN_LABEL_CHARS: usize = 100;

/// Who may call a route (the route table, `router`, names one per route).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    /// Only the admin token.
    Admin,
    /// The admin token, or a site token of the route's site with this scope.
    Scoped(Scope),
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Admin,
    Site(TokenRecord),
}

impl Principal {
    /// How the principal appears in audit records (`admin` or `token:{id}`).
    #[must_use]
    pub fn audit_name(&self) -> String {
        match self {
            Self::Admin => "admin".into(),
            Self::Site(t) => format!("token:{}", t.id),
        }
    }
}

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
    da.iter().zip(db.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether the header carries the admin token.
#[must_use]
pub fn is_admin(header: Option<&str>, admin_token: &str) -> bool {
    matches!(bearer(header), Some(token) if !admin_token.is_empty() && constant_time_eq(token, admin_token))
}

/// Requires the admin token.
///
/// # Errors
/// 401 when the header is missing, malformed or carries another token.
pub fn require_admin(header: Option<&str>, admin_token: &str) -> Result<Principal, ApiError> {
    if is_admin(header, admin_token) {
        Ok(Principal::Admin)
    } else {
        Err(ApiError::unauthorized())
    }
}

/// The storage id and digest of a presented token.
#[must_use]
pub fn token_digest(token: &str) -> (String, String) {
    let digest = sha256_hex(token.as_bytes());
    (digest[..TOKEN_ID_CHARS].to_owned(), digest)
}

/// Checks a stored token record against the presented token, the site and the scope.
///
/// # Errors
/// 401 when there is no such token or the digest differs, 403 for another site or scope.
pub fn check_token(record: Option<TokenRecord>, token: &str, site: &str, scope: Scope) -> Result<Principal, ApiError> {
    let record = record.ok_or_else(ApiError::unauthorized)?;
    let (_, digest) = token_digest(token);
    if !constant_time_eq(&record.sha256, &digest) {
        return Err(ApiError::unauthorized());
    }
    if record.site != site {
        return Err(ApiError::forbidden("this token is for another site"));
    }
    if !record.scopes.contains(&scope) {
        return Err(ApiError::forbidden("this token lacks the scope for this route"));
    }
    Ok(Principal::Site(record))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(token: &str, site: &str, scopes: Vec<Scope>) -> TokenRecord {
        let (id, sha256) = token_digest(token);
        TokenRecord { id, site: site.into(), scopes, label: String::new(), created: String::new(), sha256 }
    }

    #[test]
    fn only_the_exact_admin_bearer_token_passes() {
        assert!(require_admin(Some("Bearer s3cret"), "s3cret").is_ok());
        for header in [None, Some(""), Some("s3cret"), Some("Basic s3cret"), Some("Bearer s3cre"), Some("Bearer ")] {
            assert_eq!(require_admin(header, "s3cret").unwrap_err().status, 401, "{header:?}");
        }
        assert!(require_admin(Some("Bearer "), "").is_err());
        let long = format!("Bearer {}", "a".repeat(MAX_AUTH_HEADER_CHARS));
        assert!(require_admin(Some(&long), &"a".repeat(MAX_AUTH_HEADER_CHARS)).is_err());
    }

    #[test]
    fn site_tokens_are_checked_for_digest_site_and_scope() {
        let rec = record("tok", "crm", vec![Scope::Read]);
        assert!(check_token(Some(rec.clone()), "tok", "crm", Scope::Read).is_ok());
        assert_eq!(check_token(None, "tok", "crm", Scope::Read).unwrap_err().status, 401);
        assert_eq!(check_token(Some(rec.clone()), "tok2", "crm", Scope::Read).unwrap_err().status, 401);
        assert_eq!(check_token(Some(rec.clone()), "tok", "other", Scope::Read).unwrap_err().status, 403);
        assert_eq!(check_token(Some(rec), "tok", "crm", Scope::Erase).unwrap_err().status, 403);
    }
}
