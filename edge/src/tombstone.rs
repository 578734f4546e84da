//! Erasure tombstones: what stays of an erased subject so that the receipt path can refuse its
//! erased receipts and an unsigned takeover of its id. Written by erasure, read on submission.

use serde::{Deserialize, Serialize};

use kelisim_core::canonical::sha256_hex;

/// The KV key of a subject's tombstone. The subject id itself is not kept: only its SHA-256.
#[must_use]
pub fn key(site: &str, subject: &str) -> String {
    format!("tomb/{site}/{}", sha256_hex(subject.as_bytes()))
}

/// The tombstone of an erased subject, stored as JSON under [`key`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectTombstone {
    /// The erasure that wrote it (the one erasure record of this subject).
    pub erasure_id: String,
    /// Server time (ms) when the erasure began: a receipt of this subject whose id (ULID) was
    /// minted at or before it belongs to the erased history and is refused if posted again.
    pub erased_at_ms: i64,
    /// Whether any erased receipt was signed by the visitor's key: then an unsigned receipt can
    /// never take the id over.
    pub subject_signed: bool,
}
