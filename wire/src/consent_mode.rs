//! Google Consent Mode v2: which signal each standard category drives. The loader sets every
//! signal's default (denied, but for necessary's); after each choice the widget updates them.

use crate::names::NECESSARY;

/// Every Consent Mode signal with the standard category that drives it, in a stable order.
pub const SIGNALS: [(&str, &str); 6] = [
    (NECESSARY, "security_storage"),
    (NECESSARY, "functionality_storage"),
    ("analytics", "analytics_storage"),
    ("marketing", "ad_storage"),
    ("marketing", "ad_user_data"),
    ("marketing", "ad_personalization"),
];

/// The signals `category` drives (none for a category that is not standard or drives none).
#[inline]
pub fn signals_of(category: &str) -> impl Iterator<Item = &'static str> + '_ {
    SIGNALS.iter().filter(move |(c, _)| *c == category).map(|(_, s)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::STANDARD;
    use std::vec::Vec;

    #[test]
    fn every_signal_once_driven_by_a_standard_category() {
        let mut signals: Vec<&str> = SIGNALS.iter().map(|(_, s)| *s).collect();
        signals.sort_unstable();
        signals.dedup();
        assert_eq!(signals.len(), SIGNALS.len());
        assert!(SIGNALS.iter().all(|(c, _)| STANDARD.contains(c)));
        assert_eq!(signals_of("marketing").collect::<Vec<_>>(), ["ad_storage", "ad_user_data", "ad_personalization"]);
        assert_eq!(signals_of("cross_border").count(), 0);
        assert_eq!(signals_of("unknown").count(), 0);
    }
}
