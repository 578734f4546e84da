//! The operator-facing erasure records: the listing of a site's signed erasure records (KV
//! `erasure/{site}/…`, written by the ledger object when an erasure completes) and its query.
//! Erasure itself is the log's: `ledger/erase.rs`.

use kelisim_core::api::erasure::ErasurePage;
use kelisim_core::ErrorCode;

use super::{get_json, Service, MAX_CURSOR_CHARS};
use crate::error::ApiError;
use crate::keys;
use crate::kv::Kv;

/// Erasure records per page of the listing: one list and a get each, far under a request's KV
/// operations, and a page of records with up to thousands of receipt ids each stays a few MB.
pub const ERASURES_PER_PAGE: usize = 100;

impl<K: Kv> Service<'_, K> {
    /// A page of a site's erasure records, newest first: one list of at most
    /// [`ERASURES_PER_PAGE`] keys and a get per record, then `cursor` for the next page.
    ///
    /// # Errors
    /// 503 when KV fails.
    pub async fn erasures(&self, site: &str, cursor: Option<&str>) -> Result<ErasurePage, ApiError> {
        let page = self.kv.list(&keys::erasure_prefix(site), ERASURES_PER_PAGE, cursor).await?;
        let mut erasures = Vec::new();
        for key in page.keys {
            if let Some(record) = get_json(self.kv, &key.name).await? {
                erasures.push(record);
            }
        }
        Ok(ErasurePage { erasures, cursor: page.cursor })
    }
}

/// Parses the query of an erasure listing: `cursor`, the only parameter it takes.
///
/// # Errors
/// 400 `invalid_query`.
pub fn parse_erasures_query<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Option<String>, ApiError> {
    let mut cursor = None;
    for (name, value) in pairs {
        match name {
            "cursor" if !value.is_empty() && value.len() <= MAX_CURSOR_CHARS => cursor = Some(value.to_owned()),
            "cursor" => return Err(ApiError::new(ErrorCode::InvalidQuery, "cursor: malformed")),
            _ => return Err(ApiError::new(ErrorCode::InvalidQuery, format!("{name}: unknown parameter"))),
        }
    }
    Ok(cursor)
}
