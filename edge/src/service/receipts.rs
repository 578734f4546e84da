//! Receipts: one stored receipt, a filtered page of the indexes, and the query that filters it.

use serde_json::Value;

use kelisim_core::api::receipts::{ChainLink, ReceiptDetail, ReceiptPage, ReceiptSummary};
use kelisim_core::category::Decision;
use kelisim_core::id::{check_slug, is_subject_id};
use kelisim_core::limits::{DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT};
use kelisim_core::receipt::SignedReceipt;
use kelisim_core::time::parse_millis;
use kelisim_core::ErrorCode;

use super::{get_json, Service};
use crate::error::ApiError;
use crate::keys;
use crate::kv::Kv;

/// Longest cursor accepted back from a client (KV cursors are a few hundred characters).
pub const MAX_CURSOR_CHARS: usize = 2_048;

/// Filters of a receipt listing, parsed from the query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptQuery {
    /// Inclusive lower bound on server time (ms).
    pub from_ms: Option<i64>,
    /// Exclusive upper bound on server time (ms).
    pub to_ms: Option<i64>,
    pub subject: Option<String>,
    pub category: Option<String>,
    pub decision: Option<Decision>,
    pub limit: usize,
    pub cursor: Option<String>,
}

impl Default for ReceiptQuery {
    fn default() -> Self {
        Self {
            from_ms: None,
            to_ms: None,
            subject: None,
            category: None,
            decision: None,
            limit: DEFAULT_PAGE_LIMIT,
            cursor: None,
        }
    }
}

impl ReceiptQuery {
    /// Parses `from`, `to`, `subject`, `category`, `decision`, `limit`, `cursor`; unknown
    /// parameters are refused so a typo never silently widens a query.
    ///
    /// # Errors
    /// 400 `invalid_query` naming the parameter.
    pub fn parse<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, ApiError> {
        let bad = |name: &str, why: &str| ApiError::new(ErrorCode::InvalidQuery, format!("{name}: {why}"));
        let mut q = Self::default();
        for (name, value) in pairs {
            match name {
                "from" => {
                    q.from_ms =
                        Some(parse_millis("from", value).map_err(|_| bad(name, "expected YYYY-MM-DDTHH:MM:SS.sssZ"))?)
                }
                "to" => {
                    q.to_ms =
                        Some(parse_millis("to", value).map_err(|_| bad(name, "expected YYYY-MM-DDTHH:MM:SS.sssZ"))?)
                }
                "subject" if is_subject_id(value) => q.subject = Some(value.to_owned()),
                "category" if check_slug("category", value).is_ok() => q.category = Some(value.to_owned()),
                "decision" => {
                    q.decision = Some(match value {
                        "granted" => Decision::Granted,
                        "denied" => Decision::Denied,
                        _ => return Err(bad(name, "granted or denied")),
                    });
                }
                "limit" => {
                    q.limit = value
                        .parse()
                        .ok()
                        .filter(|l| (1..=MAX_PAGE_LIMIT).contains(l))
                        .ok_or_else(|| bad(name, "1 to 1000"))?;
                }
                "cursor" if !value.is_empty() && value.len() <= MAX_CURSOR_CHARS => q.cursor = Some(value.to_owned()),
                "subject" | "category" | "cursor" => return Err(bad(name, "malformed")),
                _ => return Err(bad(name, "unknown parameter")),
            }
        }
        if q.decision.is_some() && q.category.is_none() {
            return Err(bad("decision", "needs a category"));
        }
        Ok(q)
    }

    /// Whether a summary passes the category/decision filter. A summary whose lists did not
    /// fit the metadata cap is kept (the caller can open the receipt).
    #[must_use]
    pub fn matches(&self, summary: &ReceiptSummary) -> bool {
        let Some(category) = &self.category else { return true };
        let in_list = |list: &Option<Vec<String>>| list.as_ref().map(|l| l.contains(category));
        match self.decision {
            Some(Decision::Granted) => in_list(&summary.granted).unwrap_or(true),
            Some(Decision::Denied) => in_list(&summary.denied).unwrap_or(true),
            None => in_list(&summary.granted).unwrap_or(true) || in_list(&summary.denied).unwrap_or(true),
        }
    }
}

impl<K: Kv> Service<'_, K> {
    /// One stored receipt.
    ///
    /// # Errors
    /// 404 `receipt_not_found`, 503 when KV fails.
    pub async fn receipt(&self, site: &str, id: &str) -> Result<SignedReceipt, ApiError> {
        get_json(self.kv, &keys::receipt(site, id))
            .await?
            .ok_or_else(|| ApiError::new(ErrorCode::ReceiptNotFound, "no such receipt"))
    }

    /// One stored receipt, checked: its signatures against the edge's JWKS, and whether the
    /// receipt its chain link names is held for the same subject.
    ///
    /// # Errors
    /// 404 `receipt_not_found`, 503 when KV fails.
    pub async fn receipt_detail(&self, site: &str, id: &str) -> Result<ReceiptDetail, ApiError> {
        let signed = self.receipt(site, id).await?;
        let verification = signed.verify(&self.keys.jwks());
        let prev_found = self.chain_link(&signed).await?;
        Ok(ReceiptDetail {
            valid: verification.is_valid(),
            chain: ChainLink { prev: signed.receipt.claims.prev.clone(), prev_found },
            verification,
            signed,
        })
    }

    /// A page of a site's receipts, newest first, filtered by `query`: one KV list call.
    ///
    /// # Errors
    /// 503 when KV fails.
    pub async fn list_receipts(&self, site: &str, query: &ReceiptQuery) -> Result<ReceiptPage, ApiError> {
        let base = query
            .subject
            .as_deref()
            .map_or_else(|| keys::time_index_prefix(site), |s| keys::subject_index_prefix(site, s));
        let narrowed = match (query.from_ms, query.to_ms) {
            (Some(from), Some(to)) if to > from => keys::rev_range_prefix(from, to - 1),
            _ => String::new(),
        };
        let page = self.kv.list(&format!("{base}{narrowed}"), query.limit, query.cursor.as_deref()).await?;
        let mut receipts = Vec::new();
        let mut cursor = page.cursor;
        for key in page.keys {
            let time = key.name.rsplit('/').nth(1).and_then(keys::from_rev_ms);
            if let (Some(t), Some(from)) = (time, query.from_ms) {
                if t < from {
                    cursor = None; // newest first: everything after this is older still
                    break;
                }
            }
            if let (Some(t), Some(to)) = (time, query.to_ms) {
                if t >= to {
                    continue;
                }
            }
            let Some(summary) = key.metadata.and_then(|m: Value| serde_json::from_value::<ReceiptSummary>(m).ok())
            else {
                continue;
            };
            if query.matches(&summary) {
                receipts.push(summary);
            }
        }
        Ok(ReceiptPage { receipts, cursor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_strictly() {
        let q = ReceiptQuery::parse([
            ("from", "2026-11-01T00:00:00.000Z"),
            ("category", "analytics"),
            ("decision", "granted"),
            ("limit", "5"),
        ])
        .unwrap();
        assert_eq!((q.limit, q.decision, q.category.as_deref()), (5, Some(Decision::Granted), Some("analytics")));
        for bad in [
            vec![("limit", "0")],
            vec![("limit", "1001")],
            vec![("from", "yesterday")],
            vec![("decision", "granted")],
            vec![("category", "../x"), ("decision", "denied")],
            vec![("subject", "short")],
            vec![("colour", "red")],
        ] {
            assert_eq!(ReceiptQuery::parse(bad.clone()).unwrap_err().code, "invalid_query", "{bad:?}");
        }
    }
}
