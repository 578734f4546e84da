//! Statistics' range: which days an operator asked for (`from`, `to`, or the last
//! [`DEFAULT_STATS_DAYS`] by the edge's clock), checked. The counts come from the site's ledger
//! (`ledger::stats`).

use kelisim_core::time::{format_millis, parse_millis};
use kelisim_core::ErrorCode;

use crate::error::ApiError;

/// Longest statistics range in days.
pub const MAX_STATS_DAYS: i64 = 366;

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;
/// Days of statistics when the operator names no range (ending today, by the edge's clock).
pub const DEFAULT_STATS_DAYS: i64 = 30;

/// The inclusive day range `[from_day, to_day]` (`YYYY-MM-DD`), checked.
///
/// # Errors
/// 400 `invalid_range` for a malformed date, an inverted range or one over [`MAX_STATS_DAYS`].
pub fn check_days(from_day: &str, to_day: &str) -> Result<(), ApiError> {
    let bad = |_| ApiError::new(ErrorCode::InvalidRange, "from and to must be dates YYYY-MM-DD");
    let from_ms = parse_millis("from", &format!("{from_day}T00:00:00.000Z")).map_err(bad)?;
    let to_ms = parse_millis("to", &format!("{to_day}T00:00:00.000Z")).map_err(bad)? + DAY_MS;
    if to_ms <= from_ms || (to_ms - from_ms) / DAY_MS > MAX_STATS_DAYS {
        return Err(ApiError::new(ErrorCode::InvalidRange, format!("the range must be 1 to {MAX_STATS_DAYS} days")));
    }
    Ok(())
}

/// The days a statistics request names, with the defaults: `to` is today and `from`
/// [`DEFAULT_STATS_DAYS`] days before, by the edge's clock `now_ms`.
///
/// # Errors
/// As [`check_days`].
pub fn stats_days(from: Option<&str>, to: Option<&str>, now_ms: i64) -> Result<(String, String), ApiError> {
    let today = format_millis(now_ms);
    let default_from = format_millis(now_ms - DEFAULT_STATS_DAYS * DAY_MS);
    let from = from.unwrap_or(&default_from[..10]).to_owned();
    let to = to.unwrap_or(&today[..10]).to_owned();
    check_days(&from, &to)?;
    Ok((from, to))
}
