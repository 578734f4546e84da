//! Receipts: one stored receipt (a KV get) with its checked detail, and the query that filters
//! a listing (the site's ledger answers it: `ledger::query`).

use std::future::Future;

use kelisim_core::api::receipts::{ChainLink, ReceiptDetail};
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

/// Longest cursor accepted back from a client (the ledger's are under 40 characters; the bound
/// is the API's documented one).
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
    /// receipt its chain link names is held for the same subject (`prev_found(subject, prev)`:
    /// the site's ledger answers it; not asked when the receipt names no `prev`).
    ///
    /// # Errors
    /// 404 `receipt_not_found`, 503 when KV or the ledger fails.
    pub async fn receipt_detail<F, Fut>(&self, site: &str, id: &str, prev_found: F) -> Result<ReceiptDetail, ApiError>
    where
        F: FnOnce(String, String) -> Fut,
        Fut: Future<Output = Result<bool, ApiError>>,
    {
        let signed = self.receipt(site, id).await?;
        let verification = signed.verify(&self.keys.jwks());
        let claims = &signed.receipt.claims;
        let prev_found = match &claims.prev {
            None => None,
            Some(prev) => Some(prev_found(claims.subject.clone(), prev.clone()).await?),
        };
        Ok(ReceiptDetail {
            valid: verification.is_valid(),
            chain: ChainLink { prev: signed.receipt.claims.prev.clone(), prev_found },
            verification,
            signed,
        })
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
