//! Statistics from the ledger's exact day counters: per day, the receipts and each category's
//! granted / denied / no-choice counts, summed over `day_total` and `day_count` (two `SELECT`s,
//! whatever the number of receipts). Never truncated.

use std::collections::{BTreeMap, BTreeSet};

use kelisim_core::api::stats::{CategoryCounts, DayView, StatsView};

use super::sql::{int, text, LedgerDb};
use super::SiteLog;
use crate::error::ApiError;
use crate::kv::Kv;
use crate::service::stats::{check_days, stats_days};

fn count(row: &[super::sql::SqlValue], at: usize) -> Result<u64, ApiError> {
    u64::try_from(int(row, at)?).map_err(|_| ApiError::internal())
}

impl<K: Kv, D: LedgerDb> SiteLog<'_, K, D> {
    /// Opt-in counts per category and day over `[from_day, to_day]` (UTC days of server time).
    /// A day without receipts is left out; every category seen in the range is listed on each
    /// day, its `no_choice` the day's receipts that did not decide it.
    ///
    /// # Errors
    /// 400 `invalid_range` for bad dates or a range over
    /// [`MAX_STATS_DAYS`](crate::service::MAX_STATS_DAYS), 503 when SQL fails.
    pub fn stats(&self, from_day: &str, to_day: &str) -> Result<StatsView, ApiError> {
        check_days(from_day, to_day)?;
        let range = [from_day.into(), to_day.into()];
        let totals = self.db.exec(
            "SELECT day, SUM(n) FROM day_total WHERE day >= ? AND day <= ? GROUP BY day HAVING SUM(n) > 0 ORDER BY day",
            &range,
        )?;
        let counts = self.db.exec(
            "SELECT day, category, decision, SUM(n) FROM day_count WHERE day >= ? AND day <= ? \
             GROUP BY day, category, decision HAVING SUM(n) > 0",
            &range,
        )?;
        let mut days: BTreeMap<String, (u64, BTreeMap<String, CategoryCounts>)> = BTreeMap::new();
        for row in &totals {
            days.insert(text(row, 0)?, (count(row, 1)?, BTreeMap::new()));
        }
        let mut categories = BTreeSet::new();
        for row in &counts {
            let (day, category, n) = (text(row, 0)?, text(row, 1)?, count(row, 3)?);
            let Some((_, per_category)) = days.get_mut(&day) else { return Err(ApiError::internal()) };
            let c = per_category.entry(category.clone()).or_default();
            match text(row, 2)?.as_str() {
                "granted" => c.granted = n,
                "denied" => c.denied = n,
                _ => return Err(ApiError::internal()),
            }
            categories.insert(category);
        }
        let days = days
            .into_iter()
            .map(|(day, (total, mut per_category))| {
                for id in &categories {
                    let c = per_category.entry(id.clone()).or_default();
                    c.no_choice = total.saturating_sub(c.granted + c.denied);
                }
                DayView { day, total, categories: per_category }
            })
            .collect();
        Ok(StatsView { from: from_day.to_owned(), to: to_day.to_owned(), days, truncated: false })
    }

    /// [`SiteLog::stats`] with the range's defaults (see [`stats_days`]), by this log's clock.
    ///
    /// # Errors
    /// As [`SiteLog::stats`].
    pub fn stats_range(&self, from: Option<&str>, to: Option<&str>) -> Result<StatsView, ApiError> {
        let (from, to) = stats_days(from, to, self.now_ms)?;
        self.stats(&from, &to)
    }
}
