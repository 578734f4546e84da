//! The widget's side of kelisim-core's model: actions, decisions, and the served policy in the
//! one language shown. Kept here, without serde, so the wasm carries none of core's
//! dependencies; native tests pin every name and rule to core.

use alloc::string::String;
use alloc::vec::Vec;

use crate::json;

/// The category that rests on contract or law: always on, never switchable.
pub const NECESSARY: &str = "necessary";
/// Version of the receipt format.
pub const RECEIPT_SCHEMA_VERSION: u64 = 1;
/// The longest identifier (site, category, anchor) core admits.
pub const MAX_ID_CHARS: usize = 64;

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
    const ALL: [Self; 5] = [Self::AcceptAll, Self::RejectAll, Self::Custom, Self::Withdraw, Self::GpcDefault];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AcceptAll => "accept_all",
            Self::RejectAll => "reject_all",
            Self::Custom => "custom",
            Self::Withdraw => "withdraw",
            Self::GpcDefault => "gpc_default",
        }
    }

    /// The action named `s`, as receipts and storage spell it.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// `"granted"` or `"denied"`, as receipts, events and Consent Mode spell a decision.
#[must_use]
pub fn decision_str(granted: bool) -> &'static str {
    if granted {
        "granted"
    } else {
        "denied"
    }
}

/// A decision per category, kept in canonical JSON order (see [`json::name_order`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decisions(Vec<(String, bool)>);

impl Decisions {
    /// Sets the decision on `id`.
    pub fn insert(&mut self, id: String, granted: bool) {
        match self.0.binary_search_by(|(k, _)| json::name_order(k, &id)) {
            Ok(i) => {
                if let Some(entry) = self.0.get_mut(i) {
                    entry.1 = granted;
                }
            }
            Err(i) => self.0.insert(i, (id, granted)),
        }
    }

    /// The decision on `id`: `Some(true)` granted, `Some(false)` denied, `None` not decided.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<bool> {
        self.0.iter().find(|(k, _)| k == id).map(|(_, g)| *g)
    }

    /// Whether `id` is granted.
    #[must_use]
    pub fn granted(&self, id: &str) -> bool {
        self.get(id) == Some(true)
    }

    /// `(category, granted)` in canonical order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, bool)> {
        self.0.iter().map(|(k, g)| (k.as_str(), *g))
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Appends the canonical JSON object `{"id":"granted"|"denied",…}`.
    pub fn write_json(&self, out: &mut String) {
        out.push('{');
        for (i, (id, granted)) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json::name(out, id);
            json::string(out, decision_str(granted));
        }
        out.push('}');
    }
}

impl<S: Into<String>> FromIterator<(S, bool)> for Decisions {
    fn from_iter<I: IntoIterator<Item = (S, bool)>>(iter: I) -> Self {
        let mut d = Self::default();
        for (k, g) in iter {
            d.insert(k.into(), g);
        }
        d
    }
}

/// One consent category of the served policy, its texts in the language shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub id: String,
    pub switchable: bool,
    pub default: bool,
    /// A sale or share of data that Global Privacy Control turns off.
    pub gpc_sensitive: bool,
    pub title: String,
    pub description: String,
}

/// The data controller, shown with the policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Operator {
    pub legal_name: String,
    pub city: String,
    pub email: String,
    pub phone: String,
    /// BIN / IIN (Art. 8(4)); empty when the policy gives none.
    pub bin_iin: String,
}

/// A recipient of the data, in the language shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThirdParty {
    pub name: String,
    /// What it receives the data for (empty: not stated).
    pub purpose: String,
    /// ISO 3166-1 alpha-2 (empty: not stated).
    pub country: String,
}

/// What a consent states under Law No. 94-V Art. 8(4), in the language shown (the policy's
/// default language where a text lacks the visitor's). Every part may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Terms {
    /// The consent term as the policy words it.
    pub term: String,
    pub third_parties: Vec<ThirdParty>,
    /// Whether data leaves Kazakhstan: `None` when the policy does not say.
    pub transfers: Option<bool>,
    /// Where to (ISO 3166-1 alpha-2).
    pub countries: Vec<String>,
    /// The transfer as the policy words it.
    pub transfer_text: String,
    /// The data collected: category id and its items.
    pub data: Vec<(String, Vec<String>)>,
}

/// A block of policy text, rendered as DOM nodes (never parsed as markup).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Heading {
        level: u8,
        text: String,
        anchor: Option<String>,
    },
    /// A numbered clause carries its anchor, so a link to `#k-s-<anchor>` reaches it.
    Paragraph {
        text: String,
        anchor: Option<String>,
    },
    List {
        items: Vec<String>,
    },
    Link {
        text: String,
        href: String,
    },
}

/// The policy version served, in the language shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub version: u32,
    pub effective_date: String,
    pub operator: Operator,
    /// Languages the policy offers, its default first.
    pub languages: Vec<String>,
    pub categories: Vec<Category>,
    /// The banner's short text.
    pub summary: String,
    pub text: Vec<Block>,
    pub terms: Terms,
}

/// The edge's answer to `GET /v1/sites/{site}/policy?lang=[&layer=banner]`: the policy (or its
/// first layer) in one language, the hash of the full document (what receipts bind to) and the
/// last version marked material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub sha256: String,
    pub last_material_version: u32,
    pub language: String,
    pub policy: Policy,
    /// Whether this is the whole policy; `false` for the first layer (`?layer=banner`: no text,
    /// no Art. 8(4) details), which a widget completes when the visitor opens a view.
    pub full: bool,
}

/// A slug as core checks it: 1–64 of `a-z`, `0-9`, `_`, `-`, starting with a letter or digit.
#[must_use]
pub fn is_slug(s: &str) -> bool {
    s.len() <= MAX_ID_CHARS
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Whether a policy link may be followed: `https:`, `http:`, `mailto:` or `tel:`, with no
/// whitespace or control characters (core's rule).
#[must_use]
pub fn is_safe_href(href: &str) -> bool {
    let clean = !href.chars().any(|c| c.is_whitespace() || c.is_control());
    clean
        && ["https://", "http://", "mailto:", "tel:"]
            .iter()
            .any(|scheme| href.get(..scheme.len()).is_some_and(|p| p.eq_ignore_ascii_case(scheme)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kelisim_core::category::Decision;
    use kelisim_core::receipt::Action as CoreAction;
    use std::collections::BTreeMap;

    #[test]
    fn actions_are_cores() {
        for (ours, core) in Action::ALL.into_iter().zip([
            CoreAction::AcceptAll,
            CoreAction::RejectAll,
            CoreAction::Custom,
            CoreAction::Withdraw,
            CoreAction::GpcDefault,
        ]) {
            assert_eq!(ours.as_str(), core.as_str());
            assert_eq!(Action::parse(core.as_str()), Some(ours));
        }
        assert_eq!(Action::parse("accept"), None);
        assert_eq!(NECESSARY, kelisim_core::category::NECESSARY);
        assert_eq!(RECEIPT_SCHEMA_VERSION, u64::from(kelisim_core::receipt::RECEIPT_SCHEMA_VERSION));
        assert_eq!(MAX_ID_CHARS, kelisim_core::limits::MAX_ID_CHARS);
    }

    #[test]
    fn decisions_write_the_json_core_writes() {
        let ids = ["necessary", "analytics", "ai_processing", "😀", "\u{FF61}", "Z", "a\"b"];
        let ours: Decisions = ids.iter().enumerate().map(|(i, id)| (*id, i % 2 == 0)).collect();
        let core: BTreeMap<String, Decision> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| ((*id).to_owned(), if i % 2 == 0 { Decision::Granted } else { Decision::Denied }))
            .collect();
        let mut text = String::new();
        ours.write_json(&mut text);
        assert_eq!(text, kelisim_core::canonical::to_canonical_string(&core).unwrap());
    }

    #[test]
    fn insert_replaces_and_get_reads() {
        let mut d = Decisions::default();
        d.insert("b".into(), true);
        d.insert("a".into(), false);
        d.insert("b".into(), false);
        assert_eq!(d.iter().collect::<Vec<_>>(), [("a", false), ("b", false)]);
        assert_eq!(d.get("c"), None);
        assert!(!d.granted("a"));
    }

    #[test]
    fn slugs_and_links_follow_core() {
        for s in
            ["crm-demo", "a", "0x", "", "Crm", "a/b", "a:b", "-x", "_x", "..", "é", &"x".repeat(64), &"x".repeat(65)]
        {
            assert_eq!(is_slug(s), kelisim_core::id::check_slug("site", s).is_ok(), "{s}");
        }
        for h in [
            "https://a.kz",
            "HTTP://a",
            "mailto:x@y.kz",
            "tel:+77000000000",
            "tel:",
            "javascript:alert(1)",
            " https://a",
            "https://a b",
            "data:text/html,x",
            "ftp://x",
            "ﬃ",
            "",
        ] {
            assert_eq!(is_safe_href(h), kelisim_core::policy::is_safe_href(h), "{h}");
        }
    }
}
