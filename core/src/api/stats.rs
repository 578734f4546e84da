//! Opt-in statistics: counts per category and day, as `GET …/stats` answers them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Counts for one category on one day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryCounts {
    pub granted: u64,
    pub denied: u64,
    pub no_choice: u64,
}

/// One day of statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayView {
    pub day: String,
    pub total: u64,
    pub categories: BTreeMap<String, CategoryCounts>,
}

/// Opt-in statistics over a range of days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsView {
    pub from: String,
    pub to: String,
    pub days: Vec<DayView>,
    /// More receipts than the edge reads for one answer fell in the range; counts are partial.
    pub truncated: bool,
}
