//! Statistics: opt-in counts per category and day, from the time index's list metadata.

use std::collections::{BTreeMap, BTreeSet};

use kelisim_core::api::stats::{CategoryCounts, DayView, StatsView};
use kelisim_core::limits::MAX_PAGE_LIMIT;
use kelisim_core::time::{format_millis, parse_millis};
use kelisim_core::ErrorCode;

use super::{ReceiptQuery, Service};
use crate::error::ApiError;
use crate::kv::Kv;

/// Pages read at most for one statistics answer (20 000 receipts); beyond, `truncated` is set.
pub const MAX_STATS_PAGES: usize = 20;

/// Longest statistics range in days.
pub const MAX_STATS_DAYS: i64 = 366;

const DAY_MS: i64 = 86_400_000;
/// Days of statistics when the operator names no range (ending today, by the edge's clock).
pub const DEFAULT_STATS_DAYS: i64 = 30;

#[derive(Debug, Default)]
struct DayStats {
    total: u64,
    categories: BTreeMap<String, CategoryCounts>,
}

impl<K: Kv> Service<'_, K> {
    /// Opt-in counts per category and day over `[from_day, to_day]`, computed from the time
    /// index's list metadata (no counters, so no read-modify-write on hot keys).
    ///
    /// # Errors
    /// 400 for bad dates or a range over [`MAX_STATS_DAYS`], 503 when KV fails.
    pub async fn stats(&self, site: &str, from_day: &str, to_day: &str) -> Result<StatsView, ApiError> {
        let bad = |_| ApiError::new(ErrorCode::InvalidRange, "from and to must be dates YYYY-MM-DD");
        let from_ms = parse_millis("from", &format!("{from_day}T00:00:00.000Z")).map_err(bad)?;
        let to_ms = parse_millis("to", &format!("{to_day}T00:00:00.000Z")).map_err(bad)? + DAY_MS;
        if to_ms <= from_ms || (to_ms - from_ms) / DAY_MS > MAX_STATS_DAYS {
            return Err(ApiError::new(
                ErrorCode::InvalidRange,
                format!("the range must be 1 to {MAX_STATS_DAYS} days"),
            ));
        }
        let mut days: BTreeMap<String, DayStats> = BTreeMap::new();
        let mut query = ReceiptQuery {
            from_ms: Some(from_ms),
            to_ms: Some(to_ms),
            limit: MAX_PAGE_LIMIT,
            ..ReceiptQuery::default()
        };
        let mut truncated = true;
        for _ in 0..MAX_STATS_PAGES {
            let page = self.list_receipts(site, &query).await?;
            for summary in &page.receipts {
                let day = days.entry(summary.server_time.chars().take(10).collect()).or_default();
                day.total += 1;
                for (ids, granted) in [(&summary.granted, true), (&summary.denied, false)] {
                    for id in ids.iter().flatten() {
                        let counts = day.categories.entry(id.clone()).or_default();
                        if granted {
                            counts.granted += 1
                        } else {
                            counts.denied += 1
                        }
                    }
                }
            }
            match page.cursor {
                Some(c) => query.cursor = Some(c),
                None => {
                    truncated = false;
                    break;
                }
            }
        }
        let categories: BTreeSet<String> = days.values().flat_map(|d| d.categories.keys().cloned()).collect();
        let days = days
            .into_iter()
            .map(|(day, mut stats)| {
                for id in &categories {
                    let total = stats.total;
                    let c = stats.categories.entry(id.clone()).or_default();
                    c.no_choice = total - c.granted - c.denied;
                }
                DayView { day, total: stats.total, categories: stats.categories }
            })
            .collect();
        Ok(StatsView { from: from_day.to_owned(), to: to_day.to_owned(), days, truncated })
    }

    /// [`Service::stats`] with the range's defaults: `to` is today and `from`
    /// [`DEFAULT_STATS_DAYS`] days before, by the edge's clock.
    ///
    /// # Errors
    /// As [`Service::stats`].
    pub async fn stats_range(&self, site: &str, from: Option<&str>, to: Option<&str>) -> Result<StatsView, ApiError> {
        let today = format_millis(self.now_ms);
        let default_from = format_millis(self.now_ms - DEFAULT_STATS_DAYS * DAY_MS);
        let from = from.unwrap_or(&default_from[..10]);
        let to = to.unwrap_or(&today[..10]);
        self.stats(site, from, to).await
    }
}
