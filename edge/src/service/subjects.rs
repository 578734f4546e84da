//! Subjects: a subject's history from its index, its current state by the hash chain
//! ([`chain`](crate::chain)), and whether a receipt's chain link is held.

use kelisim_core::api::receipts::ReceiptSummary;
use kelisim_core::api::subjects::{DecidedBy, SubjectState, SubjectView};
use kelisim_core::category::Decision;
use kelisim_core::limits::MAX_PAGE_LIMIT;
use kelisim_core::receipt::SignedReceipt;

use super::{ReceiptQuery, Service};
use crate::error::ApiError;
use crate::kv::Kv;

/// Pages of a subject's index read at most (1000 receipts a page: far beyond one browser's).
pub const MAX_SUBJECT_PAGES: usize = 20;

impl<K: Kv> Service<'_, K> {
    /// Every index entry of a subject, newest first (bounded by [`MAX_SUBJECT_PAGES`] pages).
    async fn subject_summaries(&self, site: &str, subject: &str) -> Result<Vec<ReceiptSummary>, ApiError> {
        let mut query =
            ReceiptQuery { subject: Some(subject.to_owned()), limit: MAX_PAGE_LIMIT, ..ReceiptQuery::default() };
        let mut all = Vec::new();
        for _ in 0..MAX_SUBJECT_PAGES {
            let page = self.list_receipts(site, &query).await?;
            all.extend(page.receipts);
            match page.cursor {
                Some(c) => query.cursor = Some(c),
                None => break,
            }
        }
        Ok(all)
    }

    /// A subject's current consent state and full history. The current receipt is the newest of
    /// the subject's `prev` chain, not the last to arrive (see [`chain`](crate::chain)); forks
    /// are kept and listed.
    ///
    /// # Errors
    /// 503 when KV fails.
    pub async fn subject(&self, site: &str, subject: &str) -> Result<SubjectView, ApiError> {
        let receipts = self.subject_summaries(site, subject).await?;
        let chain = crate::chain::follow(&receipts);
        let state = match chain.current.and_then(|i| receipts.get(i)) {
            None => None,
            Some(current) => {
                let decisions = match (&current.granted, &current.denied) {
                    (Some(g), Some(d)) => g
                        .iter()
                        .map(|c| (c.clone(), Decision::Granted))
                        .chain(d.iter().map(|c| (c.clone(), Decision::Denied)))
                        .collect(),
                    _ => self.receipt(site, &current.id).await?.receipt.claims.decisions,
                };
                Some(SubjectState {
                    receipt_id: current.id.clone(),
                    server_time: current.server_time.clone(),
                    policy_version: current.policy_version,
                    action: current.action.clone(),
                    decisions,
                    decided_by: if chain.ambiguous { DecidedBy::Arrival } else { DecidedBy::Chain },
                })
            }
        };
        Ok(SubjectView {
            subject: subject.to_owned(),
            state,
            fork: !chain.forks.is_empty(),
            forks: chain.forks,
            receipts,
        })
    }

    /// Whether the receipt a chain link names is held for the same subject.
    ///
    /// # Errors
    /// 503 when KV fails.
    pub async fn chain_link(&self, signed: &SignedReceipt) -> Result<Option<bool>, ApiError> {
        let claims = &signed.receipt.claims;
        let Some(prev) = &claims.prev else { return Ok(None) };
        let history = self.subject_summaries(&claims.site, &claims.subject).await?;
        Ok(Some(history.iter().any(|s| &s.hash == prev)))
    }
}
