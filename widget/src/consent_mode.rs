//! Google Consent Mode v2. The loader sets the defaults synchronously (everything a category
//! drives denied, necessary storage granted); after each choice the widget calls
//! `gtag('consent', 'update', …)` with the signals below. Which category drives which signal is
//! kelisim-wire's table ([`SIGNALS`]), the one core uses.

use alloc::vec::Vec;

pub use kelisim_wire::consent_mode::SIGNALS;

use crate::model::{Decisions, NECESSARY};

/// Whether each signal is granted given the decisions in force (`None`: before any choice). A
/// signal is granted when the category driving it is granted; necessary's signals always are;
/// signals of categories the policy does not have stay denied.
#[must_use]
pub fn signals(decisions: Option<&Decisions>) -> Vec<(&'static str, bool)> {
    SIGNALS
        .iter()
        .map(|(category, signal)| (*signal, *category == NECESSARY || decisions.is_some_and(|d| d.granted(category))))
        .collect()
}

/// The defaults before any choice (what the loader sets).
#[must_use]
pub fn defaults() -> Vec<(&'static str, bool)> {
    signals(None)
}

/// The `gtag('consent', 'update', …)` for `decisions`.
#[must_use]
pub fn update(decisions: &Decisions) -> Vec<(&'static str, bool)> {
    signals(Some(decisions))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn d(pairs: &[(&str, bool)]) -> Decisions {
        pairs.iter().copied().collect()
    }

    fn map(signals: Vec<(&'static str, bool)>) -> BTreeMap<&'static str, bool> {
        signals.into_iter().collect()
    }

    #[test]
    fn defaults_deny_everything_but_necessary() {
        let d = map(defaults());
        for s in ["analytics_storage", "ad_storage", "ad_user_data", "ad_personalization"] {
            assert!(!d[s], "{s}");
        }
        for s in ["functionality_storage", "security_storage"] {
            assert!(d[s], "{s}");
        }
        assert_eq!(d.len(), 6);
    }

    #[test]
    fn the_loader_sets_the_same_defaults() {
        let loader = include_str!("../js/loader.js");
        for (signal, granted) in defaults() {
            let value = crate::model::decision_str(granted);
            assert!(loader.contains(&format!("{signal}: '{value}'")), "loader default for {signal}");
        }
    }

    #[test]
    fn update_follows_categories() {
        let u =
            map(update(&d(&[("necessary", true), ("analytics", true), ("marketing", false), ("ai_processing", true)])));
        assert!(u["analytics_storage"]);
        assert!(!u["ad_storage"]);
        assert!(!u["ad_user_data"]);
        assert!(!u["ad_personalization"]);
        assert!(u["security_storage"]);
        let m = map(update(&d(&[("marketing", true), ("necessary", false)])));
        assert!(m["ad_personalization"]);
        assert!(!m["analytics_storage"], "absent category stays denied");
        assert!(m["functionality_storage"]);
    }
}
