//! The stable error codes: every `{"error":{"code":…}}` the edge (and core's validation) can
//! send, in one list. Clients and tests match on them; the edge maps each to its HTTP status in
//! one place (`edge/src/error.rs`); the OpenAPI document's `ErrorCode` enum equals [`ErrorCode::ALL`].

/// Declares [`ErrorCode`], its wire names and [`ErrorCode::ALL`] from one table, so the three
/// cannot drift apart.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident => $wire:literal,)+) => {
        /// A stable error code. [`ErrorCode::as_str`] is what is sent.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)+
        }

        impl ErrorCode {
            /// Every code, in the order of the table.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)+];

            /// The code as sent, `snake_case`.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $wire,)+
                }
            }
        }
    };
}

error_codes! {
    // The request itself (path, query, headers, body framing).
    MalformedBody => "malformed_body",
    PathTooLong => "path_too_long",
    InvalidQuery => "invalid_query",
    InvalidRange => "invalid_range",
    Unauthorized => "unauthorized",
    Forbidden => "forbidden",
    OriginForbidden => "origin_forbidden",
    NotFound => "not_found",
    UnknownSite => "unknown_site",
    PolicyNotFound => "policy_not_found",
    ReceiptNotFound => "receipt_not_found",
    SubjectNotFound => "subject_not_found",
    TokenNotFound => "token_not_found",
    MethodNotAllowed => "method_not_allowed",
    ReceiptConflict => "receipt_conflict",
    BodyTooLarge => "body_too_large",
    HeadersTooLarge => "headers_too_large",
    UnsupportedMediaType => "unsupported_media_type",
    RateLimited => "rate_limited",
    StorageUnavailable => "storage_unavailable",
    Internal => "internal",
    // What a policy, site configuration or receipt breaks (`ValidationError::error_code`).
    SchemaUnsupported => "schema_unsupported",
    InvalidId => "invalid_id",
    TooLong => "too_long",
    TooMany => "too_many",
    Empty => "empty",
    SiteMismatch => "site_mismatch",
    PolicyVersionUnknown => "policy_version_unknown",
    PolicyHashMismatch => "policy_hash_mismatch",
    PolicyVersionConflict => "policy_version_conflict",
    LanguageUnsupported => "language_unsupported",
    CategoryUnknown => "category_unknown",
    CategoryMissing => "category_missing",
    NecessaryDenied => "necessary_denied",
    Duplicate => "duplicate",
    TranslationMissing => "translation_missing",
    SectionUnknown => "section_unknown",
    UnsafeLink => "unsafe_link",
    InvalidTimestamp => "invalid_timestamp",
    ClientTimeInFuture => "client_time_in_future",
    ClientTimeTooOld => "client_time_too_old",
    InvalidSubject => "invalid_subject",
    SubjectKeyMismatch => "subject_key_mismatch",
    SignatureMissing => "signature_missing",
    SubjectKeyMissing => "subject_key_missing",
    SignatureInvalid => "signature_invalid",
    InvalidPrev => "invalid_prev",
    ActionMismatch => "action_mismatch",
    InvalidOrigin => "invalid_origin",
    NotCanonical => "not_canonical",
    // An erased subject's history.
    SubjectRequiresSignature => "subject_requires_signature",
    CategoryLocked => "category_locked",
    PolicyChangeNotMaterial => "policy_change_not_material",
    ReceiptErased => "receipt_erased",
    // The ledger (a site's log): its object, and its public read API.
    LedgerUnavailable => "ledger_unavailable",
    CheckpointNotFound => "checkpoint_not_found",
    LeafNotFound => "leaf_not_found",
    TileNotInTree => "tile_not_in_tree",
    SizeNotCheckpointed => "size_not_checkpointed",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lets tests and clients compare a code with its wire name.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_are_unique_snake_case() {
        let mut names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert!(names.iter().all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "a wire name is used twice");
        assert_eq!(ErrorCode::InvalidQuery, "invalid_query");
        assert_eq!(ErrorCode::ReceiptErased.to_string(), "receipt_erased");
    }
}
