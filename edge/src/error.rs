//! Every error the edge can answer with, mapped to an HTTP status and a stable code in one place.
//! Internal details (KV messages, JS exceptions) are logged, never sent.

use kelisim_core::{ErrorCode, ValidationError};
use serde::Serialize;

/// How long a client should wait before retrying after a storage failure.
pub const RETRY_AFTER_SECONDS: u32 = 5;

/// An error response: status, stable code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: ErrorCode,
    pub message: String,
    /// Seconds for `Retry-After`, on 429 and 503.
    pub retry_after: Option<u32>,
    /// The methods of the path for `Allow`, on 405 (RFC 9110 §15.5.6).
    pub allow: Option<&'static str>,
}

/// The HTTP status of every code the edge raises itself: the one table. A [`ValidationError`]
/// of a body that parsed is 422 whatever its code (see `From<ValidationError>`), so an
/// identifier is 400 `invalid_id` in a path and 422 `invalid_id` in a body.
#[must_use]
pub fn status_of(code: ErrorCode) -> u16 {
    use ErrorCode as C;
    match code {
        C::MalformedBody
        | C::PathTooLong
        | C::InvalidQuery
        | C::InvalidRange
        | C::InvalidId
        | C::SizeNotCheckpointed => 400,
        C::Unauthorized => 401,
        C::Forbidden | C::OriginForbidden => 403,
        C::NotFound
        | C::UnknownSite
        | C::PolicyNotFound
        | C::ReceiptNotFound
        | C::SubjectNotFound
        | C::TokenNotFound
        | C::CheckpointNotFound
        | C::LeafNotFound
        | C::TileNotInTree => 404,
        C::MethodNotAllowed => 405,
        C::ReceiptConflict | C::SubjectRequiresSignature | C::PolicyVersionConflict => 409,
        C::ReceiptErased => 410,
        C::BodyTooLarge => 413,
        C::UnsupportedMediaType => 415,
        C::RateLimited => 429,
        C::HeadersTooLarge => 431,
        C::Internal => 500,
        C::StorageUnavailable | C::LedgerUnavailable => 503,
        C::SchemaUnsupported
        | C::TooLong
        | C::TooMany
        | C::Empty
        | C::SiteMismatch
        | C::PolicyVersionUnknown
        | C::PolicyHashMismatch
        | C::LanguageUnsupported
        | C::CategoryUnknown
        | C::CategoryMissing
        | C::NecessaryDenied
        | C::Duplicate
        | C::TranslationMissing
        | C::SectionUnknown
        | C::UnsafeLink
        | C::InvalidTimestamp
        | C::ClientTimeInFuture
        | C::ClientTimeTooOld
        | C::InvalidSubject
        | C::SubjectKeyMismatch
        | C::SignatureMissing
        | C::SubjectKeyMissing
        | C::SignatureInvalid
        | C::InvalidPrev
        | C::ActionMismatch
        | C::InvalidOrigin
        | C::NotCanonical
        | C::CategoryLocked
        | C::PolicyChangeNotMaterial => 422,
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    /// An error with `code`, its status from [`status_of`].
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { status: status_of(code), code, message: message.into(), retry_after: None, allow: None }
    }

    pub fn malformed_body(detail: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::MalformedBody, format!("request body is not valid: {detail}"))
    }
    pub fn unauthorized() -> Self {
        Self::new(ErrorCode::Unauthorized, "a valid bearer token is required")
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }
    pub fn origin_forbidden() -> Self {
        Self::new(ErrorCode::OriginForbidden, "this origin is not allowed for the site")
    }
    pub fn unknown_site() -> Self {
        Self::new(ErrorCode::UnknownSite, "no such site")
    }
    /// 405 for a path that exists; `allow` lists its methods, as `Allow` sends them.
    pub fn method_not_allowed(allow: &'static str) -> Self {
        Self { allow: Some(allow), ..Self::new(ErrorCode::MethodNotAllowed, "method not allowed on this resource") }
    }
    /// A receipt of an erased subject's history, posted again after the erasure.
    pub fn receipt_erased() -> Self {
        Self::new(
            ErrorCode::ReceiptErased,
            "this receipt belongs to an erased subject's history and is not stored again",
        )
    }
    pub fn too_large(max: usize) -> Self {
        Self::new(ErrorCode::BodyTooLarge, format!("request body exceeds {max} bytes"))
    }
    pub fn headers_too_large(max: usize) -> Self {
        Self::new(ErrorCode::HeadersTooLarge, format!("request headers exceed {max} bytes"))
    }
    pub fn unsupported_media_type() -> Self {
        Self::new(ErrorCode::UnsupportedMediaType, "Content-Type must be application/json")
    }
    pub fn rate_limited(retry_after: u32) -> Self {
        Self { retry_after: Some(retry_after), ..Self::new(ErrorCode::RateLimited, "too many requests; retry later") }
    }
    pub fn storage_unavailable() -> Self {
        Self {
            retry_after: Some(RETRY_AFTER_SECONDS),
            ..Self::new(ErrorCode::StorageUnavailable, "storage is unavailable; retry later")
        }
    }
    /// The site's ledger object could not be reached or failed: nothing is known to be stored.
    pub fn ledger_unavailable() -> Self {
        Self {
            retry_after: Some(RETRY_AFTER_SECONDS),
            ..Self::new(ErrorCode::LedgerUnavailable, "the site's ledger is unavailable; retry later")
        }
    }
    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal, "internal error")
    }

    /// The JSON body `{"error":{"code":…,"message":…}}`.
    #[must_use]
    pub fn body(&self) -> String {
        let body = Body { error: Inner { code: self.code.as_str(), message: &self.message } };
        serde_json::to_string(&body)
            .unwrap_or_else(|_| String::from("{\"error\":{\"code\":\"internal\",\"message\":\"\"}}"))
    }
}

/// A body that parsed but breaks a rule is 422 (Unprocessable Content), whatever the rule.
impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        Self { status: 422, ..Self::new(e.error_code(), e.to_string()) }
    }
}

/// A failure of the key-value store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storage: {0}")]
pub struct StoreError(pub String);

impl From<StoreError> for ApiError {
    fn from(_: StoreError) -> Self {
        Self::storage_unavailable()
    }
}
