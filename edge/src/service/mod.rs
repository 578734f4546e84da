//! The edge's logic over a [`Kv`] store, one file per concept, each an `impl<K: Kv> Service`
//! block. No runtime or routing types here: the routes hand in bytes, query pairs, headers and the
//! clock; tests run it natively over [`MemoryKv`](crate::kv::MemoryKv).
//!
//! - [`sites`]: site configuration. [`policies`]: publication and lookup of policy versions.
//! - [`submission`]: the stateless checks of a posted receipt (the ledger object stores it).
//! - [`receipts`]: one receipt, and the listing query. Listings, subject views, statistics and
//!   export chunks answer from the site's ledger (`crate::ledger`); here are their queries.
//! - [`erasure`]: the listing of erasure records (erasure itself: `ledger/erase.rs`). [`stats`]:
//!   the statistics' day range.
//! - [`tokens`]: site tokens and authorisation. [`export`] and [`csv`]: export query and rows.

use serde::de::DeserializeOwned;
use serde::Serialize;

use kelisim_core::canonical::to_canonical_string;
use kelisim_core::limits::MAX_PAGE_LIMIT;

use crate::cache::IsolateCache;
use crate::error::ApiError;
use crate::keyring::Keyring;
use crate::kv::{Kv, ListedKey};

pub mod csv;
pub mod erasure;
pub mod export;
pub mod policies;
pub mod receipts;
pub mod sites;
pub mod stats;
pub mod submission;
pub mod tokens;

pub use csv::csv_row;
pub use erasure::{parse_erasures_query, ERASURES_PER_PAGE};
pub use export::{parse_export_query, ExportChunk, ExportFormat, MAX_EXPORT_PAGE};
pub use kelisim_core::api::erasure::{Erasure, ErasurePage, ErasureStatus, SignedErasure, ERASURE_JWS_TYP};
pub use kelisim_core::api::export::{next_cursor_line, CSV_HEADER, NEXT_CURSOR_HEADER, NEXT_CURSOR_LINE};
pub use kelisim_core::api::policies::StoredPolicy;
pub use kelisim_core::api::receipts::{ReceiptPage, ReceiptSummary, MAX_SUMMARY_BYTES};
pub use kelisim_core::api::sites::SiteConfig;
pub use kelisim_core::api::stats::{CategoryCounts, DayView, StatsView};
pub use kelisim_core::api::subjects::{DecidedBy, SubjectState, SubjectView};
pub use receipts::{ReceiptQuery, MAX_CURSOR_CHARS};
pub use stats::{DEFAULT_STATS_DAYS, MAX_STATS_DAYS};
pub use submission::CheckedReceipt;

/// Pages read at most for a listing of tokens or policy versions (20 000 entries: far beyond any
/// deployment's tokens, or a site's versions).
pub const MAX_LISTING_PAGES: usize = 20;

/// Parses a JSON body strictly into `T` (unknown fields, duplicate keys, wrong types, trailing
/// data and invalid UTF-8 are all refused).
///
/// # Errors
/// 400 `malformed_body`.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(ApiError::malformed_body)
}

/// The edge's operations, over a store, a keyring, the isolate's cache and the current time.
pub struct Service<'a, K: Kv> {
    pub kv: &'a K,
    pub keys: &'a Keyring,
    pub cache: &'a IsolateCache,
    pub now_ms: i64,
}

pub(crate) async fn get_json<K: Kv, T: DeserializeOwned>(kv: &K, key: &str) -> Result<Option<T>, ApiError> {
    match kv.get(key).await? {
        None => Ok(None),
        // A value we wrote that no longer parses is an internal fault, not the client's.
        Some(text) => serde_json::from_str(&text).map(Some).map_err(|_| ApiError::internal()),
    }
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|_| ApiError::internal())
}

impl<K: Kv> Service<'_, K> {
    /// Every key under `prefix`, in key order, reading at most `max_pages` pages.
    async fn list_keys(&self, prefix: &str, max_pages: usize) -> Result<Vec<ListedKey>, ApiError> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..max_pages {
            let page = self.kv.list(prefix, MAX_PAGE_LIMIT, cursor.as_deref()).await?;
            all.extend(page.keys);
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        Ok(all)
    }

    /// The canonical JSON of the JWKS.
    ///
    /// # Errors
    /// 500 if it cannot be serialised.
    pub fn jwks_json(&self) -> Result<String, ApiError> {
        to_canonical_string(&self.keys.jwks()).map_err(|_| ApiError::internal())
    }
}
