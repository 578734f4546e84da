//! Operator reads of a site's receipts from the query tables: a filtered listing page (one
//! `SELECT`, newest first, keyset cursor on `(server_ms, idx)`), a subject's history and state by
//! its hash chain ([`chain`](crate::chain)), and whether a receipt's chain link is held. No KV
//! operation: the rows carry every summary.

use std::collections::BTreeMap;

use kelisim_core::api::receipts::{ReceiptPage, ReceiptSummary};
use kelisim_core::api::subjects::{DecidedBy, SubjectState, SubjectView};
use kelisim_core::category::Decision;
use kelisim_core::ErrorCode;
use kelisim_ledger::limits::MAX_TREE_SIZE;

use super::rows::decision_name;
use super::sql::{int, text, LedgerDb, SqlRow, SqlValue};
use super::SiteLog;
use crate::error::ApiError;
use crate::kv::Kv;
use crate::service::ReceiptQuery;

/// Receipts of one subject a subject view lists at most: one browser's history is a handful;
/// this bounds the answer's size (about 300 bytes a row) if a subject id is shared by a script.
pub const MAX_SUBJECT_RECEIPTS: usize = 20_000;

/// Where a listing page resumes: just after the row `(server_ms, idx)`, the last of the
/// previous page. Sent as `{server_ms}_{idx}` (decimal, no sign, no leading zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListCursor {
    pub server_ms: i64,
    pub idx: i64,
}

/// A non-negative decimal integer up to [`MAX_TREE_SIZE`] (2^53 − 1, which also bounds any
/// millisecond time), spelled canonically; `None` otherwise.
pub(crate) fn canonical_int(digits: &str) -> Option<i64> {
    if digits.is_empty() || digits.len() > 16 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    let value: u64 = digits.parse().ok()?;
    if value > MAX_TREE_SIZE {
        return None;
    }
    i64::try_from(value).ok()
}

pub(crate) fn bad_cursor() -> ApiError {
    ApiError::new(ErrorCode::InvalidQuery, "cursor: not one this route answered")
}

impl ListCursor {
    #[must_use]
    pub fn encode(self) -> String {
        format!("{}_{}", self.server_ms, self.idx)
    }

    /// Parses a cursor strictly: exactly what [`ListCursor::encode`] writes.
    ///
    /// # Errors
    /// 400 `invalid_query`.
    pub fn parse(cursor: &str) -> Result<Self, ApiError> {
        let (ms, idx) = cursor.split_once('_').ok_or_else(bad_cursor)?;
        match (canonical_int(ms), canonical_int(idx)) {
            (Some(server_ms), Some(idx)) => Ok(Self { server_ms, idx }),
            _ => Err(bad_cursor()),
        }
    }
}

/// The `JOIN` and `WHERE` of a filtered read over `receipt_row r`: the listing's and the
/// export's filters, written once. `decision_row d` is joined only when a category is asked for;
/// its primary key `(idx, category)` makes the join add no row. With it joined and no subject
/// asked, time bounds, order and cursor name `d`'s copies of `server_ms` and `idx` (equal to
/// `r`'s), so SQLite walks `decision_by_category[_time]` in order and stops at the page's end
/// instead of sorting every match; with a subject, `receipt_by_subject` is walked.
pub(crate) struct Filter {
    pub join: String,
    pub conditions: Vec<String>,
    pub params: Vec<SqlValue>,
    /// The table alias whose `server_ms` and `idx` order the rows (`r` or `d`).
    pub by: &'static str,
}

impl Filter {
    pub(crate) fn of(q: &ReceiptQuery) -> Self {
        let mut f = Self { join: String::new(), conditions: Vec::new(), params: Vec::new(), by: "r" };
        if let Some(category) = &q.category {
            // A subject's rows are few: walk them (`receipt_by_subject`) and look each decision
            // up by its key; without a subject, walk the category's index.
            if q.subject.is_none() {
                f.by = "d";
            }
            f.join.push_str(" JOIN decision_row d ON d.idx = r.idx AND d.category = ?");
            f.params.push(category.as_str().into());
            if let Some(decision) = q.decision {
                f.join.push_str(" AND d.decision = ?");
                f.params.push(decision_name(decision).into());
            }
        }
        if let Some(from) = q.from_ms {
            f.conditions.push(format!("{}.server_ms >= ?", f.by));
            f.params.push(from.into());
        }
        if let Some(to) = q.to_ms {
            f.conditions.push(format!("{}.server_ms < ?", f.by));
            f.params.push(to.into());
        }
        if let Some(subject) = &q.subject {
            f.conditions.push("r.subject = ?".into());
            f.params.push(subject.as_str().into());
        }
        f
    }

    pub(crate) fn where_clause(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conditions.join(" AND "))
        }
    }
}

/// The one statement of a listing page and its bindings (`limit + 1` rows, newest first).
///
/// # Errors
/// 400 `invalid_query` for a cursor a listing did not answer.
pub fn list_sql(q: &ReceiptQuery) -> Result<(String, Vec<SqlValue>), ApiError> {
    let mut filter = Filter::of(q);
    let by = filter.by;
    if let Some(cursor) = q.cursor.as_deref().map(ListCursor::parse).transpose()? {
        filter.conditions.push(format!("({by}.server_ms < ? OR ({by}.server_ms = ? AND {by}.idx < ?))"));
        filter.params.extend([cursor.server_ms.into(), cursor.server_ms.into(), cursor.idx.into()]);
    }
    let sql = format!(
        "SELECT r.server_ms, r.idx, r.summary FROM receipt_row r{}{} ORDER BY {by}.server_ms DESC, {by}.idx DESC LIMIT ?",
        filter.join,
        filter.where_clause()
    );
    filter.params.push(limit_param(q.limit.saturating_add(1)));
    Ok((sql, filter.params))
}

fn summary_of(row: &SqlRow, at: usize) -> Result<ReceiptSummary, ApiError> {
    serde_json::from_str(&text(row, at)?).map_err(|_| ApiError::internal())
}

fn limit_param(n: usize) -> SqlValue {
    SqlValue::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

impl<K: Kv, D: LedgerDb> SiteLog<'_, K, D> {
    /// A page of the site's receipts, newest first (`server_ms`, then log index), filtered by
    /// `q` in any combination: one `SELECT` of `limit + 1` rows (the extra row says whether a
    /// next page exists, so the last page names no cursor).
    ///
    /// # Errors
    /// 400 `invalid_query` for a cursor this listing did not answer, 503 when SQL fails.
    pub fn list_receipts(&self, q: &ReceiptQuery) -> Result<ReceiptPage, ApiError> {
        let (sql, params) = list_sql(q)?;
        let rows = self.db.exec(&sql, &params)?;
        let more = rows.len() > q.limit;
        let mut receipts = Vec::with_capacity(rows.len().min(q.limit));
        let mut last = None;
        for row in rows.iter().take(q.limit) {
            receipts.push(summary_of(row, 2)?);
            last = Some(ListCursor { server_ms: int(row, 0)?, idx: int(row, 1)? });
        }
        let cursor = if more { last.map(ListCursor::encode) } else { None };
        Ok(ReceiptPage { receipts, cursor })
    }

    /// A subject's current consent state and full history (newest arrival first, at most
    /// [`MAX_SUBJECT_RECEIPTS`]). The current receipt is the newest of the subject's `prev`
    /// chain, not the last to arrive ([`chain`](crate::chain)); forks are kept and listed. Its
    /// decisions come from `decision_row`, so they are exact whatever the summary's size.
    ///
    /// # Errors
    /// 503 when SQL fails.
    pub fn subject_view(&self, subject: &str) -> Result<SubjectView, ApiError> {
        let rows = self.db.exec(
            "SELECT r.idx, r.summary FROM receipt_row r WHERE r.subject = ? ORDER BY r.server_ms DESC, r.idx DESC LIMIT ?",
            &[subject.into(), limit_param(MAX_SUBJECT_RECEIPTS)],
        )?;
        let mut indexes = Vec::with_capacity(rows.len());
        let mut receipts = Vec::with_capacity(rows.len());
        for row in &rows {
            indexes.push(int(row, 0)?);
            receipts.push(summary_of(row, 1)?);
        }
        let chain = crate::chain::follow(&receipts);
        let state = match chain.current.and_then(|i| Some((receipts.get(i)?, *indexes.get(i)?))) {
            None => None,
            Some((current, idx)) => Some(SubjectState {
                receipt_id: current.id.clone(),
                server_time: current.server_time.clone(),
                policy_version: current.policy_version,
                action: current.action.clone(),
                decisions: self.decisions(idx)?,
                decided_by: if chain.ambiguous { DecidedBy::Arrival } else { DecidedBy::Chain },
            }),
        };
        Ok(SubjectView {
            subject: subject.to_owned(),
            state,
            fork: !chain.forks.is_empty(),
            forks: chain.forks,
            receipts,
        })
    }

    /// The decisions of the receipt at `idx`.
    fn decisions(&self, idx: i64) -> Result<BTreeMap<String, Decision>, ApiError> {
        let rows = self.db.exec("SELECT category, decision FROM decision_row WHERE idx = ?", &[idx.into()])?;
        let mut out = BTreeMap::new();
        for row in &rows {
            let decision = match text(row, 1)?.as_str() {
                "granted" => Decision::Granted,
                "denied" => Decision::Denied,
                _ => return Err(ApiError::internal()),
            };
            out.insert(text(row, 0)?, decision);
        }
        Ok(out)
    }

    /// Whether a receipt of `subject` whose hash is `prev` is held (a receipt's chain link).
    ///
    /// # Errors
    /// 503 when SQL fails.
    pub fn prev_found(&self, subject: &str, prev: &str) -> Result<bool, ApiError> {
        let rows = self
            .db
            .exec("SELECT 1 FROM receipt_row WHERE subject = ? AND hash = ? LIMIT 1", &[subject.into(), prev.into()])?;
        Ok(!rows.is_empty())
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ledger::schema::migrate;
    use crate::ledger::sql::text;
    use crate::ledger::sqlite::SqliteLedgerDb;

    /// Every filter combination's page is read in an index's order and stops at the page's end:
    /// SQLite's plan sorts nothing (`USE TEMP B-TREE FOR ORDER BY` would sort every match).
    #[test]
    fn no_listing_sorts_its_matches() {
        let db = SqliteLedgerDb::new();
        migrate(&db).unwrap();
        let subject = "s".repeat(43);
        for category in [None, Some("analytics")] {
            for decision in [None, Some(Decision::Granted)] {
                for subject in [None, Some(subject.clone())] {
                    for (from_ms, to_ms) in [(None, None), (Some(1), Some(2))] {
                        for cursor in [None, Some("5_3".to_owned())] {
                            if decision.is_some() && category.is_none() {
                                continue;
                            }
                            let q = ReceiptQuery {
                                category: category.map(str::to_owned),
                                decision,
                                subject: subject.clone(),
                                from_ms,
                                to_ms,
                                cursor,
                                limit: 100,
                            };
                            let (sql, params) = list_sql(&q).unwrap();
                            let plan = db.exec(&format!("EXPLAIN QUERY PLAN {sql}"), &params).unwrap();
                            let plan: Vec<String> = plan.iter().map(|r| text(r, 3).unwrap()).collect();
                            assert!(!plan.iter().any(|step| step.contains("TEMP B-TREE")), "{q:?}: {plan:?}");
                            if q.subject.is_some() {
                                assert!(plan[0].contains("receipt_by_subject"), "{q:?}: {plan:?}");
                            } else if q.category.is_some() {
                                assert!(plan[0].contains("decision_by_category"), "{q:?}: {plan:?}");
                            } else {
                                assert!(plan[0].contains("receipt_by_time"), "{q:?}: {plan:?}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_cursor_round_trips_and_only_its_own_spelling_parses() {
        let c = ListCursor { server_ms: 1_795_398_005_123, idx: 0 };
        assert_eq!(ListCursor::parse(&c.encode()), Ok(c));
        for junk in ["", "_", "1_", "01_1", "1_00", "1_1_1", "a_1", "1_+1", "9007199254740992_0"] {
            assert!(ListCursor::parse(junk).is_err(), "{junk:?}");
        }
        assert_eq!(canonical_int("9007199254740991"), Some(9_007_199_254_740_991));
    }
}
