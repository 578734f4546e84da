//! Consent categories: the standard five, their Google Consent Mode v2 signals, and decisions.
//! The names and the Consent Mode table are kelisim-wire's (the widget's too).

use serde::{Deserialize, Serialize};

/// The category that rests on contract or law, shown always on and never switchable; the
/// standard categories PRODUCT.md defines, in display order.
pub use kelisim_wire::names::{NECESSARY, STANDARD};

/// Categories that Global Privacy Control switches off by default (a sale or share of data).
pub const GPC_SENSITIVE: [&str; 1] = ["marketing"];

/// The Google Consent Mode v2 signals a category drives (none for other categories).
pub fn consent_mode_signals(category: &str) -> impl Iterator<Item = &'static str> + '_ {
    kelisim_wire::consent_mode::signals_of(category)
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

    /// `"granted"` or `"denied"`, as serde writes it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        kelisim_wire::names::decision_str(self.is_granted())
    }
}
