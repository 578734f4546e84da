//! Google Consent Mode v2. The loader sets the defaults synchronously (everything a category
//! drives denied, necessary storage granted); after each choice the widget calls
//! `gtag('consent', 'update', …)` with the signals below.

use std::collections::BTreeMap;

use kelisim_core::category::{consent_mode_signals, Decision, NECESSARY, STANDARD};

/// Every Consent Mode signal some standard category drives, in a stable order.
#[must_use]
pub fn all_signals() -> Vec<&'static str> {
    STANDARD.iter().flat_map(|c| consent_mode_signals(c).iter().copied()).collect()
}

/// The state of every signal given the decisions in force (`None`: before any choice). A signal
/// is granted when the category driving it is granted; necessary's signals always are; signals
/// of categories the policy does not have stay denied.
#[must_use]
pub fn signals(decisions: Option<&BTreeMap<String, Decision>>) -> Vec<(&'static str, Decision)> {
    STANDARD
        .iter()
        .flat_map(|category| {
            let granted =
                *category == NECESSARY || decisions.and_then(|d| d.get(*category)).is_some_and(|d| d.is_granted());
            let decision = if granted { Decision::Granted } else { Decision::Denied };
            consent_mode_signals(category).iter().map(move |s| (*s, decision))
        })
        .collect()
}

/// The defaults before any choice (what the loader sets).
#[must_use]
pub fn defaults() -> Vec<(&'static str, Decision)> {
    signals(None)
}

/// The `gtag('consent', 'update', …)` for `decisions`.
#[must_use]
pub fn update(decisions: &BTreeMap<String, Decision>) -> Vec<(&'static str, Decision)> {
    signals(Some(decisions))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(pairs: &[(&str, Decision)]) -> BTreeMap<String, Decision> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    fn map(signals: Vec<(&'static str, Decision)>) -> BTreeMap<&'static str, Decision> {
        signals.into_iter().collect()
    }

    #[test]
    fn defaults_deny_everything_but_necessary() {
        let d = map(defaults());
        for s in ["analytics_storage", "ad_storage", "ad_user_data", "ad_personalization"] {
            assert_eq!(d[s], Decision::Denied, "{s}");
        }
        for s in ["functionality_storage", "security_storage"] {
            assert_eq!(d[s], Decision::Granted, "{s}");
        }
        assert_eq!(d.len(), 6);
    }

    #[test]
    fn the_loader_sets_the_same_defaults() {
        let loader = include_str!("../js/loader.js");
        for (signal, decision) in defaults() {
            let value = if decision.is_granted() { "granted" } else { "denied" };
            assert!(loader.contains(&format!("{signal}: '{value}'")), "loader default for {signal}");
        }
    }

    #[test]
    fn update_follows_categories() {
        let u = map(update(&d(&[
            ("necessary", Decision::Granted),
            ("analytics", Decision::Granted),
            ("marketing", Decision::Denied),
            ("ai_processing", Decision::Granted),
        ])));
        assert_eq!(u["analytics_storage"], Decision::Granted);
        assert_eq!(u["ad_storage"], Decision::Denied);
        assert_eq!(u["ad_user_data"], Decision::Denied);
        assert_eq!(u["ad_personalization"], Decision::Denied);
        assert_eq!(u["security_storage"], Decision::Granted);
        let m = map(update(&d(&[("marketing", Decision::Granted), ("necessary", Decision::Denied)])));
        assert_eq!(m["ad_personalization"], Decision::Granted);
        assert_eq!(m["analytics_storage"], Decision::Denied, "absent category stays denied");
        assert_eq!(m["functionality_storage"], Decision::Granted);
    }
}
