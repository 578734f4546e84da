//! Validation errors, each with its stable code (one of [`ErrorCode`]).

use thiserror::Error;

use crate::error_code::ErrorCode;

/// Why a policy, site configuration or receipt was refused. [`ValidationError::code`] is stable:
/// clients and tests match on it; the message is for people.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValidationError {
    #[error("unsupported schema version {0}")]
    SchemaUnsupported(u32),
    #[error("invalid identifier in {field}: {reason}")]
    InvalidId { field: &'static str, reason: &'static str },
    #[error("{field} is too long (max {max})")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} has too many entries (max {max})")]
    TooMany { field: &'static str, max: usize },
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("receipt is for site {found}, not {expected}")]
    SiteMismatch { expected: String, found: String },
    #[error("policy version {0} is not known for this site")]
    PolicyVersionUnknown(u32),
    #[error("policy hash does not match version {0}")]
    PolicyHashMismatch(u32),
    #[error("policy version must be {expected} (the next one), got {found}")]
    PolicyVersionConflict { expected: u32, found: u32 },
    #[error("language {0} is not offered by this policy")]
    LanguageUnsupported(String),
    #[error("category {0} is not in this policy")]
    CategoryUnknown(String),
    #[error("category {0} has no decision")]
    CategoryMissing(String),
    #[error("category necessary cannot be denied or switchable")]
    NecessaryDenied,
    #[error("category {0} cannot be locked on: only necessary may be switchable: false")]
    CategoryLocked(String),
    #[error("category {category}: {change}; publish it as material: true so every visitor is asked again")]
    PolicyChangeNotMaterial { category: String, change: &'static str },
    #[error("duplicate {field}: {value}")]
    Duplicate { field: &'static str, value: String },
    #[error("{field} is missing a text for language {language}")]
    TranslationMissing { field: String, language: String },
    #[error("section {0} referenced by a category does not exist")]
    SectionUnknown(String),
    #[error("link must be https, http, mailto or tel: {0}")]
    UnsafeLink(String),
    #[error("invalid timestamp in {0}; expected YYYY-MM-DDTHH:MM:SS.sssZ")]
    InvalidTimestamp(&'static str),
    #[error("client time is too far in the future")]
    ClientTimeInFuture,
    #[error("client time is too old")]
    ClientTimeTooOld,
    #[error("subject must be a 43-character base64url id")]
    InvalidSubject,
    #[error("subject is not the thumbprint of subject_key")]
    SubjectKeyMismatch,
    #[error("subject_key is present but the visitor signature is missing")]
    SignatureMissing,
    #[error("visitor signature is present but subject_key is missing")]
    SubjectKeyMissing,
    #[error("visitor signature does not verify: {0}")]
    SignatureInvalid(String),
    #[error("prev must be a 64-character lowercase hex sha256")]
    InvalidPrev,
    #[error("action {0} does not match the decisions")]
    ActionMismatch(&'static str),
    #[error("invalid origin {0}")]
    InvalidOrigin(String),
    #[error("value is not representable in canonical JSON: {0}")]
    NotCanonical(String),
}

impl ValidationError {
    /// The stable code for this error, as sent in `{"error":{"code":…}}`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    /// The stable code for this error, one of [`ErrorCode::ALL`].
    #[must_use]
    pub fn error_code(&self) -> ErrorCode {
        match self {
            Self::SchemaUnsupported(_) => ErrorCode::SchemaUnsupported,
            Self::InvalidId { .. } => ErrorCode::InvalidId,
            Self::TooLong { .. } => ErrorCode::TooLong,
            Self::TooMany { .. } => ErrorCode::TooMany,
            Self::Empty { .. } => ErrorCode::Empty,
            Self::SiteMismatch { .. } => ErrorCode::SiteMismatch,
            Self::PolicyVersionUnknown(_) => ErrorCode::PolicyVersionUnknown,
            Self::PolicyHashMismatch(_) => ErrorCode::PolicyHashMismatch,
            Self::PolicyVersionConflict { .. } => ErrorCode::PolicyVersionConflict,
            Self::LanguageUnsupported(_) => ErrorCode::LanguageUnsupported,
            Self::CategoryUnknown(_) => ErrorCode::CategoryUnknown,
            Self::CategoryMissing(_) => ErrorCode::CategoryMissing,
            Self::NecessaryDenied => ErrorCode::NecessaryDenied,
            Self::CategoryLocked(_) => ErrorCode::CategoryLocked,
            Self::PolicyChangeNotMaterial { .. } => ErrorCode::PolicyChangeNotMaterial,
            Self::Duplicate { .. } => ErrorCode::Duplicate,
            Self::TranslationMissing { .. } => ErrorCode::TranslationMissing,
            Self::SectionUnknown(_) => ErrorCode::SectionUnknown,
            Self::UnsafeLink(_) => ErrorCode::UnsafeLink,
            Self::InvalidTimestamp(_) => ErrorCode::InvalidTimestamp,
            Self::ClientTimeInFuture => ErrorCode::ClientTimeInFuture,
            Self::ClientTimeTooOld => ErrorCode::ClientTimeTooOld,
            Self::InvalidSubject => ErrorCode::InvalidSubject,
            Self::SubjectKeyMismatch => ErrorCode::SubjectKeyMismatch,
            Self::SignatureMissing => ErrorCode::SignatureMissing,
            Self::SubjectKeyMissing => ErrorCode::SubjectKeyMissing,
            Self::SignatureInvalid(_) => ErrorCode::SignatureInvalid,
            Self::InvalidPrev => ErrorCode::InvalidPrev,
            Self::ActionMismatch(_) => ErrorCode::ActionMismatch,
            Self::InvalidOrigin(_) => ErrorCode::InvalidOrigin,
            Self::NotCanonical(_) => ErrorCode::NotCanonical,
        }
    }
}
