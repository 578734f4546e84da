//! Export's request and answer: the query (listing filters, format, chunk size, cursor) and one
//! chunk as sent. The site's ledger reads the chunk (`ledger::export`).

use kelisim_core::ErrorCode;

use super::ReceiptQuery;
use crate::error::ApiError;

/// Receipts one export chunk holds at most. The chunk is read from the ledger's entries (no KV
/// operation); this keeps one answer to a few MB (a receipt is 2–3 KB) and was the chunk size
/// when each receipt cost a KV get, so clients see the same chunking.
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
/// `limit` (receipts per chunk, 1 to [`MAX_EXPORT_PAGE`], which is also the default).
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
