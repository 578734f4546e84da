//! The object's operator-read routes: which internal path (the public path after
//! `/v1/sites/{site}`) maps to which read of [`query`](super::query), [`stats`](super::stats) or
//! [`export`](super::export), and the answer as the worker relays it. Pure, so the object's
//! routing of reads is tested natively; the worker has already authorised the caller.

use serde_json::json;

use kelisim_core::id::is_subject_id;
use kelisim_core::ErrorCode;

use super::sql::LedgerDb;
use super::SiteLog;
use crate::error::ApiError;
use crate::kv::Kv;
use crate::service::{to_json, ReceiptQuery};

/// Internal path of a receipt's chain-link check (`?subject=…&prev=…`): not a public route; the
/// worker asks it while answering `GET /v1/sites/{site}/receipts/{id}`.
pub const CHAIN_LINK_PATH: &str = "/chain-link";

/// Longest `prev` a chain-link check accepts (a receipt hash is 43–64 characters).
const MAX_PREV_CHARS: usize = 128;

/// One read's answer as the object sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadAnswer {
    pub content_type: &'static str,
    pub body: String,
    /// The export file's name (`Content-Disposition`), for exports.
    pub filename: Option<&'static str>,
    /// An export's next cursor (`Kelisim-Next-Cursor`).
    pub next_cursor: Option<String>,
}

const JSON: &str = "application/json; charset=utf-8";

fn json_answer(body: String) -> ReadAnswer {
    ReadAnswer { content_type: JSON, body, filename: None, next_cursor: None }
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn borrowed(pairs: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

impl<K: Kv, D: LedgerDb> SiteLog<'_, K, D> {
    /// Answers the operator read at internal `path` with query `pairs`, or `None` when `path`
    /// is not one (another arm of the object's router answers it).
    ///
    /// - `/receipts` → [`ReceiptPage`](kelisim_core::api::receipts::ReceiptPage)
    /// - `/subjects/{subject}` → [`SubjectView`](kelisim_core::api::subjects::SubjectView)
    /// - `/stats?from&to` → [`StatsView`](kelisim_core::api::stats::StatsView)
    /// - `/export?…` → one export chunk (NDJSON or CSV)
    /// - [`CHAIN_LINK_PATH`]`?subject&prev` → `{"prev_found":bool}`
    #[must_use]
    pub fn read(&self, path: &str, pairs: &[(String, String)]) -> Option<Result<ReadAnswer, ApiError>> {
        let answer = match path {
            "/receipts" => {
                ReceiptQuery::parse(borrowed(pairs)).and_then(|q| self.list_receipts(&q)).and_then(|p| to_json(&p))
            }
            "/stats" => self.stats_range(param(pairs, "from"), param(pairs, "to")).and_then(|v| to_json(&v)),
            "/export" => {
                return Some(self.export(borrowed(pairs)).map(|chunk| ReadAnswer {
                    content_type: chunk.content_type,
                    body: chunk.body,
                    filename: Some(chunk.filename),
                    next_cursor: chunk.next_cursor,
                }))
            }
            CHAIN_LINK_PATH => self.chain_link_answer(pairs),
            _ => {
                let subject = path.strip_prefix("/subjects/")?;
                if is_subject_id(subject) {
                    self.subject_view(subject).and_then(|v| to_json(&v))
                } else {
                    Err(ApiError::new(ErrorCode::InvalidId, "subject must be a 43-character base64url id"))
                }
            }
        };
        Some(answer.map(json_answer))
    }

    fn chain_link_answer(&self, pairs: &[(String, String)]) -> Result<String, ApiError> {
        let bad = || ApiError::new(ErrorCode::InvalidQuery, "chain link: subject and prev are required");
        let subject = param(pairs, "subject").filter(|s| is_subject_id(s)).ok_or_else(bad)?;
        let prev = param(pairs, "prev").filter(|p| !p.is_empty() && p.len() <= MAX_PREV_CHARS).ok_or_else(bad)?;
        let found = self.prev_found(subject, prev)?;
        Ok(json!({ "prev_found": found }).to_string())
    }
}
