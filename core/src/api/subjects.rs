//! A subject's consent state, history and forks, as `GET …/subjects/{subject}` answers them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::api::receipts::ReceiptSummary;
use crate::category::Decision;

/// Receipts of one subject that name the same previous receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fork {
    /// The hash both (or all) name as `prev`.
    pub prev: String,
    /// The receipts that follow it, newest arrival first.
    pub receipt_ids: Vec<String>,
}

/// What chose a subject's current receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    /// Every other receipt of the subject is an ancestor of the current one.
    Chain,
    /// The chain forks (or there are separate chains): of its tips, the last to arrive is current.
    Arrival,
}

/// A subject's consent state: the decisions of the newest receipt of its chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectState {
    pub receipt_id: String,
    pub server_time: String,
    pub policy_version: u32,
    pub action: String,
    pub decisions: BTreeMap<String, Decision>,
    pub decided_by: DecidedBy,
}

/// A subject's state and history (newest arrival first), with the forks of its chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectView {
    pub subject: String,
    pub state: Option<SubjectState>,
    /// Whether two receipts of the subject name the same `prev`.
    pub fork: bool,
    pub forks: Vec<Fork>,
    pub receipts: Vec<ReceiptSummary>,
}
