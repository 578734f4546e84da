//! Export from the log: chunks of full receipts in log-index order, read from each leaf's entry
//! bytes (the entry's JWS; the signed receipt is its payload plus the JWS), so an export makes
//! no KV operation. Erased receipts are absent (their rows and entry bytes are gone). Filters as
//! a listing's; the cursor is the last index sent.

use kelisim_core::api::export::{next_cursor_line, CSV_HEADER};
use kelisim_core::receipt::{Receipt, SignedReceipt};
use kelisim_core::sign::b64url_decode;
use kelisim_ledger::leaf::Entry;

use super::query::{bad_cursor, canonical_int, Filter};
use super::sql::{blob, int, LedgerDb, SqlValue};
use super::SiteLog;
use crate::error::ApiError;
use crate::kv::Kv;
use crate::service::csv::csv_row;
use crate::service::{parse_export_query, to_json, ExportChunk, ExportFormat, ReceiptQuery, MAX_EXPORT_PAGE};

/// Where an export's next chunk starts: after log index `n`. Sent as `x{n}` (decimal,
/// canonical), so a listing's cursor is never taken for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportCursor(pub i64);

impl ExportCursor {
    #[must_use]
    pub fn encode(self) -> String {
        format!("x{}", self.0)
    }

    /// Parses a cursor strictly: exactly what [`ExportCursor::encode`] writes.
    ///
    /// # Errors
    /// 400 `invalid_query`.
    pub fn parse(cursor: &str) -> Result<Self, ApiError> {
        cursor.strip_prefix('x').and_then(canonical_int).map(Self).ok_or_else(bad_cursor)
    }
}

/// The signed receipt a leaf's entry bytes hold: the entry's JWS, and the receipt its payload
/// is. Entry bytes the ledger wrote that no longer parse are a storage fault (500).
fn receipt_of_entry(idx: i64, bytes: &[u8]) -> Result<SignedReceipt, ApiError> {
    let index = u64::try_from(idx).map_err(|_| ApiError::internal())?;
    let Entry::Receipt(entry) = Entry::parse_at(index, bytes).map_err(|_| ApiError::internal())? else {
        return Err(ApiError::internal());
    };
    let payload = entry.jws().split('.').nth(1).ok_or_else(ApiError::internal)?;
    let payload = b64url_decode(payload).map_err(|_| ApiError::internal())?;
    let receipt: Receipt = serde_json::from_slice(&payload).map_err(|_| ApiError::internal())?;
    Ok(SignedReceipt { receipt, jws: entry.jws().to_owned() })
}

impl<K: Kv, D: LedgerDb> SiteLog<'_, K, D> {
    /// One export chunk: the receipts after the cursor's index that pass `q`'s filters, at most
    /// `q.limit` (capped at [`MAX_EXPORT_PAGE`]), formatted, and the cursor of the next chunk
    /// (`None` after the last). One `SELECT` over `receipt_row` joined with `leaf`.
    ///
    /// # Errors
    /// 400 `invalid_query` for a cursor an export did not answer, 500 for a corrupt entry, 503
    /// when SQL fails.
    pub fn export_chunk(&self, q: &ReceiptQuery, format: ExportFormat) -> Result<(String, Option<String>), ApiError> {
        let limit = q.limit.clamp(1, MAX_EXPORT_PAGE);
        let mut filter = Filter::of(q);
        filter.conditions.push("l.entry IS NOT NULL".into());
        if let Some(cursor) = q.cursor.as_deref().map(ExportCursor::parse).transpose()? {
            filter.conditions.push("r.idx > ?".into());
            filter.params.push(cursor.0.into());
        }
        let sql = format!(
            "SELECT r.idx, l.entry FROM receipt_row r JOIN leaf l ON l.idx = r.idx{}{} ORDER BY r.idx LIMIT ?",
            filter.join,
            filter.where_clause()
        );
        filter.params.push(SqlValue::Integer(i64::try_from(limit + 1).unwrap_or(i64::MAX)));
        let rows = self.db.exec(&sql, &filter.params)?;
        let mut out = String::new();
        let mut last = None;
        for row in rows.iter().take(limit) {
            let idx = int(row, 0)?;
            let signed = receipt_of_entry(idx, &blob(row, 1)?)?;
            match format {
                ExportFormat::Ndjson => {
                    out.push_str(&to_json(&signed)?);
                    out.push('\n');
                }
                ExportFormat::Csv => out.push_str(&csv_row(&signed)),
            }
            last = Some(idx);
        }
        let next = if rows.len() > limit { last.map(|i| ExportCursor(i).encode()) } else { None };
        Ok((out, next))
    }

    /// One export chunk for an export's query string: the chunks concatenate into one file (the
    /// CSV header comes only with the first chunk, the one without `cursor`; a chunk after which
    /// more remains ends with the next cursor's line).
    ///
    /// # Errors
    /// As [`SiteLog::export_chunk`], and 400 `invalid_query` for a bad query.
    pub fn export<'q>(&self, pairs: impl IntoIterator<Item = (&'q str, &'q str)>) -> Result<ExportChunk, ApiError> {
        let (query, format) = parse_export_query(pairs)?;
        let (records, next_cursor) = self.export_chunk(&query, format)?;
        let header = if format == ExportFormat::Csv && query.cursor.is_none() { CSV_HEADER } else { "" };
        let (content_type, filename) = match format {
            ExportFormat::Ndjson => ("application/x-ndjson", "receipts.ndjson"),
            ExportFormat::Csv => ("text/csv; charset=utf-8", "receipts.csv"),
        };
        let trailer = next_cursor.as_deref().map(next_cursor_line).unwrap_or_default();
        Ok(ExportChunk { body: format!("{header}{records}{trailer}"), content_type, filename, next_cursor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_cursor_round_trips_and_refuses_other_spellings() {
        assert_eq!(ExportCursor::parse(&ExportCursor(42).encode()), Ok(ExportCursor(42)));
        for junk in ["42", "x", "x042", "x-1", "X42", "x4 2", "1_2"] {
            assert!(ExportCursor::parse(junk).is_err(), "{junk:?}");
        }
    }
}
