//! Erasure records (signed by the edge), an erasure's progress, and the listing of records.

use serde::{Deserialize, Serialize};

/// `typ` of the edge's signature over an erasure record.
pub const ERASURE_JWS_TYP: &str = "kelisim-erasure+jws";

/// The auditable trace of an erasure: who asked, when, which receipts went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Erasure {
    pub id: String,
    pub site: String,
    pub subject_sha256: String,
    pub requested_by: String,
    pub time: String,
    pub receipt_ids: Vec<String>,
}

/// An erasure record with the edge's JWS over its canonical JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedErasure {
    pub erasure: Erasure,
    pub jws: String,
}

/// A page of erasure records, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasurePage {
    pub erasures: Vec<SignedErasure>,
    /// Where the next page starts (pass as `cursor`); null on the last page.
    pub cursor: Option<String>,
}

/// Progress of an erasure that needs more requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureStatus {
    pub done: bool,
    pub erasure_id: String,
    /// Receipts erased so far.
    pub erased: usize,
}
