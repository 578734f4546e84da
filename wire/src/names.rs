//! The names receipts, events and stored state spell: the standard categories, how a choice was
//! made (actions), what was decided on a category, and the version of the receipt format.

/// The category that rests on contract or law: always on, never switchable.
pub const NECESSARY: &str = "necessary";

/// The standard categories (PRODUCT.md), in display order.
pub const STANDARD: [&str; 5] = [NECESSARY, "analytics", "marketing", "cross_border", "ai_processing"];

/// Version of the receipt format: the `schema` member of every receipt's claims.
pub const RECEIPT_SCHEMA_VERSION: u32 = 1;

/// A granted category, as receipts, events and Consent Mode spell it.
pub const GRANTED: &str = "granted";
/// A denied category.
pub const DENIED: &str = "denied";

/// [`GRANTED`] or [`DENIED`].
#[must_use]
#[inline]
pub fn decision_str(granted: bool) -> &'static str {
    if granted {
        GRANTED
    } else {
        DENIED
    }
}

/// How the visitor made a choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    AcceptAll,
    RejectAll,
    Custom,
    Withdraw,
    GpcDefault,
}

impl Action {
    /// Every action, in the order of the enum.
    pub const ALL: [Self; 5] = [Self::AcceptAll, Self::RejectAll, Self::Custom, Self::Withdraw, Self::GpcDefault];

    /// The action's name in receipts and storage.
    #[must_use]
    #[inline]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AcceptAll => "accept_all",
            Self::RejectAll => "reject_all",
            Self::Custom => "custom",
            Self::Withdraw => "withdraw",
            Self::GpcDefault => "gpc_default",
        }
    }

    /// The action named `s`.
    #[must_use]
    #[inline]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_and_nothing_else_parses() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        for bad in ["", "accept", "ACCEPT_ALL", "accept_all ", "reject-all"] {
            assert_eq!(Action::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn decisions_and_categories() {
        assert_eq!((decision_str(true), decision_str(false)), ("granted", "denied"));
        assert_eq!(STANDARD[0], NECESSARY);
        assert!(STANDARD.iter().all(|c| crate::id::is_slug(c)));
    }
}
