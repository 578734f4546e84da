//! Export: one chunk of full receipts (one index page), in NDJSON or CSV, with the cursor of the
//! next chunk.

use kelisim_core::receipt::SignedReceipt;
use kelisim_core::ErrorCode;

use kelisim_core::api::export::{next_cursor_line, CSV_HEADER};

use super::csv::csv_row;
use super::{get_json, to_json, ReceiptQuery, Service};
use crate::error::ApiError;
use crate::keys;
use crate::kv::Kv;

/// Index entries one export request reads at most: one list and a get per entry, plus the
/// route's own reads (token, site), stay under [`MAX_KV_OPS_PER_REQUEST`](crate::kv::MAX_KV_OPS_PER_REQUEST).
pub const MAX_EXPORT_PAGE: usize = 900;

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Ndjson,
    Csv,
}

/// One export chunk as sent: its body (the CSV header line with the first CSV chunk, the
/// records, and a last line naming the next cursor when more remains), its media type, file
/// name and the next cursor (for the `Kelisim-Next-Cursor` header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportChunk {
    pub body: String,
    pub content_type: &'static str,
    pub filename: &'static str,
    pub next_cursor: Option<String>,
}

/// Parses an export's query: the listing filters, `format` (`ndjson` or `csv`), `cursor`, and
/// `limit` (index entries per chunk, 1 to [`MAX_EXPORT_PAGE`], which is also the default).
///
/// # Errors
/// 400 `invalid_query`.
pub fn parse_export_query<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(ReceiptQuery, ExportFormat), ApiError> {
    let mut format = ExportFormat::Ndjson;
    let mut limit = None;
    let mut rest = Vec::new();
    for (name, value) in pairs {
        match name {
            "format" => {
                format = match value {
                    "ndjson" => ExportFormat::Ndjson,
                    "csv" => ExportFormat::Csv,
                    _ => return Err(ApiError::new(ErrorCode::InvalidQuery, "format: ndjson or csv")),
                }
            }
            "limit" => {
                limit =
                    Some(value.parse::<usize>().ok().filter(|l| (1..=MAX_EXPORT_PAGE).contains(l)).ok_or_else(
                        || ApiError::new(ErrorCode::InvalidQuery, format!("limit: 1 to {MAX_EXPORT_PAGE}")),
                    )?);
            }
            _ => rest.push((name, value)),
        }
    }
    let mut query = ReceiptQuery::parse(rest)?;
    query.limit = limit.unwrap_or(MAX_EXPORT_PAGE);
    Ok((query, format))
}

impl<K: Kv> Service<'_, K> {
    /// One export chunk: the full receipts of one index page of at most [`MAX_EXPORT_PAGE`]
    /// entries (one list, then a get per entry: within one request's KV operations), formatted,
    /// and the cursor where the next chunk starts (`None` after the last). The cursor is the one a
    /// listing with the same filters and `limit` answers.
    ///
    /// # Errors
    /// 503 when KV fails.
    pub async fn export_chunk(
        &self,
        site: &str,
        query: &ReceiptQuery,
        format: ExportFormat,
    ) -> Result<(String, Option<String>), ApiError> {
        let query = ReceiptQuery { limit: query.limit.min(MAX_EXPORT_PAGE), ..query.clone() };
        let page = self.list_receipts(site, &query).await?;
        let mut out = String::new();
        for summary in &page.receipts {
            // An entry whose record was erased between list and get is skipped.
            if let Some(signed) = get_json::<K, SignedReceipt>(self.kv, &keys::receipt(site, &summary.id)).await? {
                match format {
                    ExportFormat::Ndjson => {
                        out.push_str(&to_json(&signed)?);
                        out.push('\n');
                    }
                    ExportFormat::Csv => out.push_str(&csv_row(&signed)),
                }
            }
        }
        Ok((out, page.cursor))
    }

    /// One export chunk for an export's query string: the chunks concatenate into one file (the
    /// CSV header comes only with the first chunk, the one without `cursor`).
    ///
    /// # Errors
    /// 400 `invalid_query`, 503 when KV fails.
    pub async fn export<'q>(
        &self,
        site: &str,
        pairs: impl IntoIterator<Item = (&'q str, &'q str)>,
    ) -> Result<ExportChunk, ApiError> {
        let (query, format) = parse_export_query(pairs)?;
        let (records, next_cursor) = self.export_chunk(site, &query, format).await?;
        let header = if format == ExportFormat::Csv && query.cursor.is_none() { CSV_HEADER } else { "" };
        let (content_type, filename) = match format {
            ExportFormat::Ndjson => ("application/x-ndjson", "receipts.ndjson"),
            ExportFormat::Csv => ("text/csv; charset=utf-8", "receipts.csv"),
        };
        let trailer = next_cursor.as_deref().map(next_cursor_line).unwrap_or_default();
        Ok(ExportChunk { body: format!("{header}{records}{trailer}"), content_type, filename, next_cursor })
    }
}
