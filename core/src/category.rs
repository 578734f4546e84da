//! Consent categories: the standard five, their Google Consent Mode v2 signals, and decisions.

use serde::{Deserialize, Serialize};

/// The category that rests on contract or law, shown always on and never switchable.
pub const NECESSARY: &str = "necessary";

/// The standard categories PRODUCT.md defines, in display order.
pub const STANDARD: [&str; 5] = [NECESSARY, "analytics", "marketing", "cross_border", "ai_processing"];

/// Categories that Global Privacy Control switches off by default (a sale or share of data).
pub const GPC_SENSITIVE: [&str; 1] = ["marketing"];

/// The Google Consent Mode v2 signals a category drives.
#[must_use]
pub fn consent_mode_signals(category: &str) -> &'static [&'static str] {
    match category {
        NECESSARY => &["security_storage", "functionality_storage"],
        "analytics" => &["analytics_storage"],
        "marketing" => &["ad_storage", "ad_user_data", "ad_personalization"],
        _ => &[],
    }
}

/// A visitor's decision on one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Granted,
    Denied,
}

impl Decision {
    #[must_use]
    pub fn is_granted(self) -> bool {
        self == Self::Granted
    }
}
