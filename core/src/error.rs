//! Validation errors with stable, machine-readable codes.

use thiserror::Error;

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
        match self {
            Self::SchemaUnsupported(_) => "schema_unsupported",
            Self::InvalidId { .. } => "invalid_id",
            Self::TooLong { .. } => "too_long",
            Self::TooMany { .. } => "too_many",
            Self::Empty { .. } => "empty",
            Self::SiteMismatch { .. } => "site_mismatch",
            Self::PolicyVersionUnknown(_) => "policy_version_unknown",
            Self::PolicyHashMismatch(_) => "policy_hash_mismatch",
            Self::PolicyVersionConflict { .. } => "policy_version_conflict",
            Self::LanguageUnsupported(_) => "language_unsupported",
            Self::CategoryUnknown(_) => "category_unknown",
            Self::CategoryMissing(_) => "category_missing",
            Self::NecessaryDenied => "necessary_denied",
            Self::CategoryLocked(_) => "category_locked",
            Self::PolicyChangeNotMaterial { .. } => "policy_change_not_material",
            Self::Duplicate { .. } => "duplicate",
            Self::TranslationMissing { .. } => "translation_missing",
            Self::SectionUnknown(_) => "section_unknown",
            Self::UnsafeLink(_) => "unsafe_link",
            Self::InvalidTimestamp(_) => "invalid_timestamp",
            Self::ClientTimeInFuture => "client_time_in_future",
            Self::ClientTimeTooOld => "client_time_too_old",
            Self::InvalidSubject => "invalid_subject",
            Self::SubjectKeyMismatch => "subject_key_mismatch",
            Self::SignatureMissing => "signature_missing",
            Self::SubjectKeyMissing => "subject_key_missing",
            Self::SignatureInvalid(_) => "signature_invalid",
            Self::InvalidPrev => "invalid_prev",
            Self::ActionMismatch(_) => "action_mismatch",
            Self::InvalidOrigin(_) => "invalid_origin",
            Self::NotCanonical(_) => "not_canonical",
        }
    }
}
