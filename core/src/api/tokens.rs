//! Site tokens: their scopes, the stored record (never the token itself), creation and listing.

use serde::{Deserialize, Serialize};

/// What a site token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Read,
    Export,
    Erase,
    Publish,
}

impl Scope {
    /// The scope as sent.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Export => "export",
            Self::Erase => "erase",
            Self::Publish => "publish",
        }
    }
}

/// Hex characters of a token's SHA-256 used as its public id (96 bits: no collisions in
/// practice, and the rest of the digest is still compared).
pub const TOKEN_ID_CHARS: usize = 24;

/// A stored site token: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRecord {
    pub id: String,
    pub site: String,
    pub scopes: Vec<Scope>,
    pub label: String,
    pub created: String,
    /// SHA-256 (hex) of the token; omitted from listings.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sha256: String,
}

/// The body of `POST /v1/sites/{site}/tokens`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    pub scopes: Vec<Scope>,
    #[serde(default)]
    pub label: String,
}

/// The answer of creating a token: the only time the token itself is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenCreated {
    pub id: String,
    pub token: String,
    pub site: String,
    pub scopes: Vec<Scope>,
    pub label: String,
    pub created: String,
}

/// The answer of `GET /v1/sites/{site}/tokens` (records without digests).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenListing {
    pub tokens: Vec<TokenRecord>,
}
