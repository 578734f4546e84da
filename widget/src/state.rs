//! What the widget knows about a visitor's choice and what follows from it: whether to show the
//! banner, which categories are granted after each action, what the settings show. Pure: no
//! clock, no storage, no DOM; time comes in as milliseconds.

use alloc::string::String;
use alloc::vec::Vec;

use crate::model::{Action, Category, Decisions, NECESSARY};

/// Milliseconds in a day.
pub const DAY_MS: u64 = 86_400_000;

/// The choice remembered first-party (`localStorage["kelisim:{site}"]`), with the link to the
/// subject's receipt chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remembered {
    /// The policy version the choice was made under.
    pub version: u32,
    pub decisions: Decisions,
    pub action: Action,
    pub gpc: bool,
    /// When the choice was made (ms since the epoch).
    pub at: u64,
    /// When the choice stops counting and the banner returns.
    pub expires: u64,
    /// The subject the receipts of this browser are made under.
    pub subject: String,
    /// Whether `subject` is the thumbprint of a key this browser keeps (else a random id).
    pub keyed: bool,
    /// The hash of the last receipt made: the next receipt's `prev`.
    pub hash: String,
}

/// Why the banner is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// No choice remembered.
    FirstVisit,
    /// The policy changed materially since the choice.
    MaterialChange,
    /// The choice is older than the site's expiry.
    Expired,
}

/// What to do on a page view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Show the banner; nothing optional is granted.
    Ask(Ask),
    /// Apply the remembered choice silently.
    Remembered,
}

/// Decides a page view from the remembered choice, the policy's `last_material_version` and now.
#[must_use]
pub fn status(remembered: Option<&Remembered>, last_material_version: u32, now_ms: u64) -> Status {
    match remembered {
        None => Status::Ask(Ask::FirstVisit),
        Some(r) if r.version < last_material_version => Status::Ask(Ask::MaterialChange),
        Some(r) if now_ms >= r.expires => Status::Ask(Ask::Expired),
        Some(_) => Status::Remembered,
    }
}

/// What a visitor did in the widget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    AcceptAll,
    RejectAll,
    /// The settings' switches: the ids of the categories switched on.
    Custom(Vec<String>),
    Withdraw,
}

impl Choice {
    /// The receipt action this choice is recorded as.
    #[must_use]
    pub fn action(&self) -> Action {
        match self {
            Self::AcceptAll => Action::AcceptAll,
            Self::RejectAll => Action::RejectAll,
            Self::Custom(_) => Action::Custom,
            Self::Withdraw => Action::Withdraw,
        }
    }
}

/// The decision on every category of the policy after `choice`, with Global Privacy Control
/// present or not (`gpc`): `necessary` always granted; switchable categories follow the choice (a
/// switch not mentioned is off); any other category a policy locks is granted only as its
/// default, and never by a rejection or a withdrawal (only `necessary` is locked on), nor, under
/// GPC, when it sells or shares data (GPC wins over every default).
#[must_use]
pub fn decisions(categories: &[Category], choice: &Choice, gpc: bool) -> Decisions {
    let mut out = Decisions::default();
    for c in categories {
        let granted = if c.id == NECESSARY {
            true
        } else if c.switchable {
            match choice {
                Choice::AcceptAll => true,
                Choice::RejectAll | Choice::Withdraw => false,
                Choice::Custom(on) => on.contains(&c.id),
            }
        } else {
            let refused = matches!(choice, Choice::RejectAll | Choice::Withdraw);
            c.default && !refused && !(gpc && c.gpc_sensitive)
        };
        out.insert(c.id.clone(), granted);
    }
    out
}

/// The decisions in force on this page for the current policy and a remembered choice: each
/// category as the visitor decided it, whatever the policy now says of it (a version that made a
/// category locked or on by default does not turn a denial into a grant: only a material version,
/// which asks again, can), every category added since denied, `necessary` granted.
#[must_use]
pub fn effective(categories: &[Category], remembered: &Decisions) -> Decisions {
    categories.iter().map(|c| (c.id.clone(), c.id == NECESSARY || remembered.granted(&c.id))).collect()
}

/// Every optional category denied: what is in force when no choice stands (before one, or when
/// the edge refused the only one made).
#[must_use]
pub fn nothing_optional(categories: &[Category]) -> Decisions {
    categories.iter().map(|c| (c.id.clone(), c.id == NECESSARY)).collect()
}

/// Which switches of the settings start on. A valid current choice shows as it is. Otherwise
/// every switchable category starts off: a pre-ticked box is not consent, whatever a policy's
/// `default` says, so the categories Global Privacy Control covers are off in any case.
#[must_use]
pub fn initial_switches(categories: &[Category], current: Option<&Decisions>) -> Vec<String> {
    categories
        .iter()
        .filter(|c| c.switchable && current.is_some_and(|d| d.granted(&c.id)))
        .map(|c| c.id.clone())
        .collect()
}

/// `window.kelisim.get(category)`: `Some(true|false)` once decided, `None` while undecided or for
/// a category the policy does not have. `necessary` is granted from the start.
#[must_use]
pub fn get(decisions: Option<&Decisions>, category: &str) -> Option<bool> {
    match decisions {
        Some(d) => d.get(category),
        None => (category == NECESSARY).then_some(true),
    }
}

/// Whether the visitor currently grants anything optional (there is something to withdraw).
#[must_use]
pub fn grants_optional(categories: &[Category], decisions: &Decisions) -> bool {
    categories.iter().any(|c| c.switchable && decisions.granted(&c.id))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{Block, Operator, Policy, Served, Terms, ThirdParty};
    use kelisim_core::policy::{Block as CoreBlock, Policy as CorePolicy};

    pub(crate) fn category(id: &str, switchable: bool, gpc_sensitive: bool) -> Category {
        Category {
            id: id.into(),
            switchable,
            default: !switchable,
            gpc_sensitive,
            title: id.to_uppercase(),
            description: format!("about {id}"),
        }
    }

    pub(crate) fn crm_categories() -> Vec<Category> {
        vec![
            category("necessary", false, false),
            category("analytics", true, false),
            category("marketing", true, true),
            category("cross_border", true, false),
            category("ai_processing", true, false),
        ]
    }

    fn remembered(version: u32, at: u64, expires: u64) -> Remembered {
        Remembered {
            version,
            decisions: Decisions::default(),
            action: Action::RejectAll,
            gpc: false,
            at,
            expires,
            subject: "s".repeat(43),
            keyed: true,
            hash: "0".repeat(64),
        }
    }

    fn granted(d: &Decisions) -> Vec<&str> {
        d.iter().filter(|(_, g)| *g).map(|(k, _)| k).collect()
    }

    #[test]
    fn first_visit_asks() {
        assert_eq!(status(None, 1, 0), Status::Ask(Ask::FirstVisit));
    }

    #[test]
    fn remembered_choice_is_applied_until_material_change_or_expiry() {
        let r = remembered(2, 1_000, 1_000 + 365 * DAY_MS);
        assert_eq!(status(Some(&r), 1, 2_000), Status::Remembered);
        assert_eq!(status(Some(&r), 2, 2_000), Status::Remembered, "same material version");
        assert_eq!(status(Some(&r), 3, 2_000), Status::Ask(Ask::MaterialChange));
        assert_eq!(status(Some(&r), 2, 1_000 + 365 * DAY_MS), Status::Ask(Ask::Expired));
        assert_eq!(status(Some(&r), 2, 1_000 + 365 * DAY_MS - 1), Status::Remembered);
    }

    #[test]
    fn non_material_versions_do_not_ask_again() {
        // Consented under v2; v3 and v4 were published without `material` (last material = 2).
        let r = remembered(2, 0, u64::MAX);
        assert_eq!(status(Some(&r), 2, 10), Status::Remembered);
    }

    #[test]
    fn accept_and_reject_cover_every_category() {
        let cats = crm_categories();
        let all = decisions(&cats, &Choice::AcceptAll, false);
        assert_eq!(all.len(), 5);
        assert_eq!(granted(&all).len(), 5);
        let none = decisions(&cats, &Choice::RejectAll, false);
        assert_eq!(none.len(), 5);
        assert_eq!(granted(&none), vec!["necessary"]);
        assert_eq!(decisions(&cats, &Choice::Withdraw, false), none);
    }

    #[test]
    fn custom_grants_only_switched_on_and_never_denies_necessary() {
        let cats = crm_categories();
        let on = vec!["ai_processing".to_owned(), "made_up".to_owned()];
        let d = decisions(&cats, &Choice::Custom(on), false);
        assert_eq!(granted(&d), vec!["ai_processing", "necessary"]);
        assert_eq!(d.len(), 5, "every category has a decision");
    }

    #[test]
    fn locked_site_categories_keep_their_default_but_never_against_a_refusal_or_gpc() {
        let mut cats = crm_categories();
        let mut fixed_on = category("security_log", false, false);
        fixed_on.default = true;
        let mut fixed_off = category("legacy", false, false);
        fixed_off.default = false;
        let mut sells = category("partners", false, true);
        sells.default = true;
        cats.extend([fixed_on, fixed_off, sells]);
        let d = decisions(&cats, &Choice::AcceptAll, false);
        assert_eq!((d.get("security_log"), d.get("legacy"), d.get("partners")), (Some(true), Some(false), Some(true)));
        let custom = decisions(&cats, &Choice::Custom(vec![]), false);
        assert_eq!(custom.get("security_log"), Some(true));
        for refusal in [Choice::RejectAll, Choice::Withdraw] {
            assert_eq!(granted(&decisions(&cats, &refusal, false)), vec!["necessary"], "only necessary is locked on");
        }
        // GPC wins over every default for a category that sells or shares data.
        for choice in [Choice::AcceptAll, Choice::Custom(vec!["partners".into()])] {
            let d = decisions(&cats, &choice, true);
            assert_eq!(d.get("partners"), Some(false), "{choice:?}");
            assert_eq!(d.get("security_log"), Some(true));
        }
        // An explicit grant of a switchable category stands under GPC.
        assert_eq!(decisions(&cats, &Choice::AcceptAll, true).get("marketing"), Some(true));
    }

    #[test]
    fn a_non_material_version_never_turns_a_remembered_denial_into_a_grant() {
        // Reject all on v3; v4 (not material) locks marketing on, defaults analytics on, and adds a
        // category on by default.
        let v3 = crm_categories();
        let rejected = decisions(&v3, &Choice::RejectAll, false);
        let mut v4 = crm_categories();
        for c in &mut v4 {
            c.default = true;
            if c.id == "marketing" {
                c.switchable = false;
            }
        }
        let mut added = category("profiling", false, true);
        added.default = true;
        v4.push(added);
        let r = Remembered { version: 3, decisions: rejected, ..remembered(3, 0, u64::MAX) };
        assert_eq!(status(Some(&r), 3, 1), Status::Remembered, "v4 is not material: no banner");
        let d = effective(&v4, &r.decisions);
        assert_eq!(granted(&d), vec!["necessary"]);
        assert_eq!(d.len(), 6);
        let signals: Vec<_> = crate::consent_mode::update(&d).into_iter().filter(|(_, g)| *g).map(|(s, _)| s).collect();
        assert_eq!(signals, ["security_storage", "functionality_storage"], "ad_storage stays denied");
        // A remembered grant holds as well.
        let accepted = decisions(&v3, &Choice::AcceptAll, false);
        assert_eq!(effective(&v4, &accepted).get("marketing"), Some(true));
        assert_eq!(granted(&nothing_optional(&v4)), vec!["necessary"]);
        assert_eq!(nothing_optional(&v4).len(), 6);
    }

    #[test]
    fn actions_match_what_the_edge_checks() {
        assert_eq!(Choice::AcceptAll.action(), Action::AcceptAll);
        assert_eq!(Choice::RejectAll.action(), Action::RejectAll);
        assert_eq!(Choice::Custom(vec![]).action(), Action::Custom);
        assert_eq!(Choice::Withdraw.action(), Action::Withdraw);
    }

    #[test]
    fn effective_decisions_deny_categories_added_later() {
        let cats = crm_categories();
        let old: Decisions = [("necessary", true), ("analytics", true), ("gone", true)].into_iter().collect();
        let d = effective(&cats, &old);
        assert_eq!(granted(&d), vec!["analytics", "necessary"]);
        assert_eq!(d.get("gone"), None);
        assert_eq!(d.get("ai_processing"), Some(false));
    }

    #[test]
    fn switches_start_off_and_show_the_current_choice_when_reopened() {
        let cats = crm_categories();
        assert!(initial_switches(&cats, None).is_empty());
        let current = decisions(&cats, &Choice::AcceptAll, false);
        assert_eq!(
            initial_switches(&cats, Some(&current)),
            ["analytics", "marketing", "cross_border", "ai_processing"]
        );
        let some = decisions(&cats, &Choice::Custom(vec!["cross_border".into()]), false);
        assert_eq!(initial_switches(&cats, Some(&some)), ["cross_border"]);
    }

    #[test]
    fn gpc_keeps_sensitive_categories_off_even_if_the_policy_defaults_them_on() {
        let mut cats = crm_categories();
        cats.iter_mut().for_each(|c| c.default = true);
        assert!(initial_switches(&cats, None).is_empty());
        // A visitor who chose to grant marketing despite GPC sees that choice when reopening.
        let current = decisions(&cats, &Choice::AcceptAll, false);
        assert!(initial_switches(&cats, Some(&current)).contains(&"marketing".to_owned()));
    }

    #[test]
    fn get_is_null_until_decided() {
        assert_eq!(get(None, "analytics"), None);
        assert_eq!(get(None, "necessary"), Some(true));
        let d = decisions(&crm_categories(), &Choice::RejectAll, false);
        assert_eq!(get(Some(&d), "analytics"), Some(false));
        assert_eq!(get(Some(&d), "necessary"), Some(true));
        assert_eq!(get(Some(&d), "unknown"), None);
    }

    #[test]
    fn withdraw_is_offered_only_when_something_is_granted() {
        let cats = crm_categories();
        assert!(!grants_optional(&cats, &decisions(&cats, &Choice::RejectAll, false)));
        assert!(grants_optional(&cats, &decisions(&cats, &Choice::AcceptAll, false)));
    }

    /// The demo policy with every Art. 8(4) field, as core validates it; Kazakh lacks the data
    /// list of `analytics` (the default language's is shown).
    pub(crate) fn with_terms() -> CorePolicy {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../www/demo/policies/crm-demo.json");
        let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        v["operator"]["bin_iin"] = "180540012343".into();
        // A numbered clause with its anchor in every language, which a category points at.
        for blocks in v["text"].as_object_mut().unwrap().values_mut() {
            let clause = blocks.as_array_mut().unwrap().iter_mut().find(|b| b["type"] == "paragraph").unwrap();
            clause["anchor"] = "s1-1".into();
        }
        v["categories"][1]["sections"].as_array_mut().unwrap().push("s1-1".into());
        v["consent"] = serde_json::json!({
            "term": {"text": {"ru": "До отзыва согласия", "kk": "Келісім кері қайтарылғанға дейін", "en": "Until withdrawn"}},
            "third_parties": [
                {"name": "Meta Platforms", "purpose": {"ru": "Отправка сообщений WhatsApp", "kk": "WhatsApp арқылы хабар жіберу"}, "country": "US"},
                {"name": "ТОО Хостинг"}
            ],
            "cross_border": {"transfers": true, "countries": ["DE", "US"], "text": {"ru": "Данные хранятся за рубежом", "kk": "Деректер шетелде сақталады"}},
            "data_collected": {"analytics": {"ru": ["IP-адрес", "cookie"]}, "marketing": {"ru": ["e-mail"], "kk": ["e-mail мекенжайы"]}}
        });
        let policy: CorePolicy = serde_json::from_value(v).unwrap();
        policy.validate().unwrap();
        policy
    }

    /// Core's Art. 8(4) terms in `lang`, the default language where `lang` is missing.
    fn terms(policy: &CorePolicy, lang: &str) -> Terms {
        let default = &policy.languages[0];
        let pick = |m: &std::collections::BTreeMap<String, String>| {
            m.get(lang).or_else(|| m.get(default)).cloned().unwrap_or_default()
        };
        let Some(c) = &policy.consent else { return Terms::default() };
        Terms {
            term: c.term.as_ref().map(|t| pick(&t.text)).unwrap_or_default(),
            third_parties: c
                .third_parties
                .iter()
                .map(|p| ThirdParty {
                    name: p.name.clone(),
                    purpose: pick(&p.purpose),
                    country: p.country.clone().unwrap_or_default(),
                })
                .collect(),
            transfers: c.cross_border.as_ref().map(|x| x.transfers),
            countries: c.cross_border.as_ref().map(|x| x.countries.clone()).unwrap_or_default(),
            transfer_text: c.cross_border.as_ref().map(|x| pick(&x.text)).unwrap_or_default(),
            data: c
                .data_collected
                .iter()
                .map(|(id, lists)| {
                    (id.clone(), lists.get(lang).or_else(|| lists.get(default)).cloned().unwrap_or_default())
                })
                .collect(),
        }
    }

    /// The served policy as the browser side reads it (`web::convert`), from core's model.
    pub(crate) fn served(policy: &CorePolicy, lang: &str) -> Served {
        let localized = policy.localized(lang);
        let text = |m: &std::collections::BTreeMap<String, String>| m.get(lang).cloned().unwrap_or_default();
        Served {
            sha256: policy.content_hash().unwrap(),
            last_material_version: 1,
            language: lang.into(),
            full: true,
            policy: Policy {
                version: localized.version,
                effective_date: localized.effective_date.clone(),
                operator: Operator {
                    legal_name: localized.operator.legal_name.clone(),
                    city: localized.operator.city.clone(),
                    email: localized.operator.email.clone(),
                    phone: localized.operator.phone.clone(),
                    bin_iin: localized.operator.bin_iin.clone().unwrap_or_default(),
                },
                languages: localized.languages.clone(),
                categories: localized
                    .categories
                    .iter()
                    .map(|c| Category {
                        id: c.id.clone(),
                        switchable: c.switchable,
                        default: c.default,
                        gpc_sensitive: c.gpc_sensitive,
                        title: text(&c.title),
                        description: text(&c.description),
                    })
                    .collect(),
                summary: text(&localized.summary),
                text: localized.text[lang]
                    .iter()
                    .map(|b| match b.clone() {
                        CoreBlock::Heading { level, text, anchor } => Block::Heading { level, text, anchor },
                        CoreBlock::Paragraph { text, anchor } => Block::Paragraph { text, anchor },
                        CoreBlock::List { items } => Block::List { items },
                        CoreBlock::Link { text, href } => Block::Link { text, href },
                    })
                    .collect(),
                terms: terms(policy, lang),
            },
        }
    }

    #[test]
    fn the_demo_policy_decides_as_core_validates() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../www/demo/policies/crm-demo.json");
        let policy: CorePolicy = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let served = served(&policy, "kk");
        assert_eq!(served.policy.categories.len(), 5);
        assert!(!served.policy.summary.is_empty());
        for choice in [Choice::AcceptAll, Choice::RejectAll, Choice::Withdraw, Choice::Custom(vec!["analytics".into()])]
        {
            let d = decisions(&served.policy.categories, &choice, false);
            let claims = crate::receipt::tests::core_claims(&served, &d, choice.action());
            assert_eq!(claims.validate_against(&policy), Ok(()), "{choice:?}");
        }
        let d = decisions(&served.policy.categories, &Choice::RejectAll, false);
        assert_eq!(granted(&d), vec!["necessary"]);
    }
}
