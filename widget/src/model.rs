//! The widget's side of kelisim-core's model: the served policy in the one language shown. Kept
//! here, without serde, so the wasm carries none of core's dependencies; native tests pin it to
//! core. The names (actions, decisions, `necessary`), the decisions map and the slug rule are
//! kelisim-wire's, the ones core uses, re-exported.

use alloc::string::String;
use alloc::vec::Vec;

pub use kelisim_wire::decisions::Decisions;
pub use kelisim_wire::id::is_slug;
pub use kelisim_wire::names::{decision_str, Action, NECESSARY};

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

    #[test]
    fn links_follow_core() {
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
