//! Every error the edge can answer with, mapped to an HTTP status and a stable code in one place.
//! Internal details (KV messages, JS exceptions) are logged, never sent.

use kelisim_core::ValidationError;
use serde::Serialize;

/// How long a client should wait before retrying after a storage failure.
pub const RETRY_AFTER_SECONDS: u32 = 5;

/// An error response: status, stable code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// Seconds for `Retry-After`, on 429 and 503.
    pub retry_after: Option<u32>,
    /// The methods of the path for `Allow`, on 405 (RFC 9110 §15.5.6).
    pub allow: Option<&'static str>,
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
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), retry_after: None, allow: None }
    }

    pub fn malformed_body(detail: impl std::fmt::Display) -> Self {
        Self::new(400, "malformed_body", format!("request body is not valid: {detail}"))
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }
    pub fn unauthorized() -> Self {
        Self::new(401, "unauthorized", "a valid bearer token is required")
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, "forbidden", message)
    }
    pub fn origin_forbidden() -> Self {
        Self::new(403, "origin_forbidden", "this origin is not allowed for the site")
    }
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(404, code, message)
    }
    pub fn unknown_site() -> Self {
        Self::new(404, "unknown_site", "no such site")
    }
    /// 405 for a path that exists; `allow` lists its methods, as `Allow` sends them.
    pub fn method_not_allowed(allow: &'static str) -> Self {
        Self { allow: Some(allow), ..Self::new(405, "method_not_allowed", "method not allowed on this resource") }
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(409, code, message)
    }
    /// A receipt of an erased subject's history, posted again after the erasure.
    pub fn receipt_erased() -> Self {
        Self::new(410, "receipt_erased", "this receipt belongs to an erased subject's history and is not stored again")
    }
    pub fn too_large(max: usize) -> Self {
        Self::new(413, "body_too_large", format!("request body exceeds {max} bytes"))
    }
    pub fn headers_too_large(max: usize) -> Self {
        Self::new(431, "headers_too_large", format!("request headers exceed {max} bytes"))
    }
    pub fn unsupported_media_type() -> Self {
        Self::new(415, "unsupported_media_type", "Content-Type must be application/json")
    }
    pub fn rate_limited(retry_after: u32) -> Self {
        Self { retry_after: Some(retry_after), ..Self::new(429, "rate_limited", "too many requests; retry later") }
    }
    pub fn storage_unavailable() -> Self {
        Self {
            retry_after: Some(RETRY_AFTER_SECONDS),
            ..Self::new(503, "storage_unavailable", "storage is unavailable; retry later")
        }
    }
    pub fn internal() -> Self {
        Self::new(500, "internal", "internal error")
    }

    /// The JSON body `{"error":{"code":…,"message":…}}`.
    #[must_use]
    pub fn body(&self) -> String {
        let body = Body { error: Inner { code: self.code, message: &self.message } };
        serde_json::to_string(&body)
            .unwrap_or_else(|_| String::from("{\"error\":{\"code\":\"internal\",\"message\":\"\"}}"))
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        Self::new(422, e.code(), e.to_string())
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
