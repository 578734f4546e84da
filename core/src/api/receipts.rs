//! What the receipt indexes carry (summaries), a listing page, and one receipt's detail.

use serde::{Deserialize, Serialize};

use crate::category::Decision;
use crate::receipt::{SignedReceipt, Verification};

/// KV list metadata is capped at 1024 bytes; summaries stay below with room to spare.
pub const MAX_SUMMARY_BYTES: usize = 1000;

/// What an index entry carries as list metadata: enough to render a row and filter a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptSummary {
    pub id: String,
    /// The receipt's hash (SHA-256 of its canonical claims): lets a chain be checked from a listing.
    #[serde(default)]
    pub hash: String,
    /// The `prev` the receipt names (the subject's previous receipt's hash), if any: the chain
    /// link that orders a subject's receipts whatever their arrival order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    pub subject: String,
    pub action: String,
    pub server_time: String,
    pub policy_version: u32,
    /// Whether the visitor's browser signed the receipt.
    #[serde(default)]
    pub visitor_signed: bool,
    /// Granted category ids; `None` when the list did not fit the metadata cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denied: Option<Vec<String>>,
}

impl ReceiptSummary {
    /// The summary of a stored receipt; its category lists are dropped when they would not fit
    /// [`MAX_SUMMARY_BYTES`].
    #[must_use]
    pub fn of(signed: &SignedReceipt) -> Self {
        let claims = &signed.receipt.claims;
        let ids =
            |want: Decision| claims.decisions.iter().filter(|(_, d)| **d == want).map(|(k, _)| k.clone()).collect();
        let full = Self {
            id: claims.id.clone(),
            hash: signed.receipt.hash.clone(),
            prev: claims.prev.clone(),
            subject: claims.subject.clone(),
            action: claims.action.as_str().to_owned(),
            server_time: signed.receipt.server_time.clone(),
            policy_version: claims.policy.version,
            visitor_signed: signed.receipt.visitor_signature.is_some(),
            granted: Some(ids(Decision::Granted)),
            denied: Some(ids(Decision::Denied)),
        };
        let fits = serde_json::to_string(&full).is_ok_and(|s| s.len() <= MAX_SUMMARY_BYTES);
        if fits {
            full
        } else {
            Self { granted: None, denied: None, ..full }
        }
    }
}

/// A page of receipt summaries, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptPage {
    pub receipts: Vec<ReceiptSummary>,
    pub cursor: Option<String>,
}

/// Where a receipt stands in its subject's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainLink {
    /// The `prev` the receipt names.
    pub prev: Option<String>,
    /// Whether that receipt is held for the same subject (`None` when it names none).
    pub prev_found: Option<bool>,
}

/// The answer of `GET /v1/sites/{site}/receipts/{id}`: the receipt, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptDetail {
    pub valid: bool,
    pub chain: ChainLink,
    pub verification: Verification,
    pub signed: SignedReceipt,
}
