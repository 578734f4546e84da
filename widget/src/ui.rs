//! What the widget shows, as data: the settings and the full policy as element trees (the banner
//! is the loader's, painted from the policy's first layer before the wasm is ready),
//! written as JSON (`["tag", {"attribute": "value"}, child…]`, a child being an element or a
//! string). The loader's `build` turns a tree into DOM with `createElement`, `setAttribute` and
//! text nodes only, so no text of a policy is ever parsed as markup. Pure, so every rule of what
//! is shown is tested natively; `web::view` mounts the trees, keeps the dialog stack and focus.

use alloc::string::String;

use crate::i18n::Strings;
use crate::json;
use crate::model::{is_safe_href, is_slug, Block, Policy, NECESSARY};

/// An element tree being written.
#[derive(Debug, Default)]
pub struct Tree {
    json: String,
}

impl Tree {
    fn separate(&mut self) {
        if !self.json.is_empty() {
            self.json.push(',');
        }
    }

    /// Opens `<tag …attributes>`; its children follow until [`Tree::close`].
    pub fn open(&mut self, tag: &str, attributes: &[(&str, &str)]) -> &mut Self {
        self.separate();
        self.json.push('[');
        json::string(&mut self.json, tag);
        self.json.push_str(",{");
        for (i, (name, value)) in attributes.iter().enumerate() {
            if i > 0 {
                self.json.push(',');
            }
            json::name(&mut self.json, name);
            json::string(&mut self.json, value);
        }
        self.json.push('}');
        self
    }

    /// Closes the element opened last.
    pub fn close(&mut self) -> &mut Self {
        self.json.push(']');
        self
    }

    /// A text node (none for an empty text, as `textContent = ""` makes none).
    pub fn text(&mut self, text: &str) -> &mut Self {
        if !text.is_empty() {
            self.separate();
            json::string(&mut self.json, text);
        }
        self
    }

    /// `<tag …attributes>text</tag>`.
    pub fn leaf(&mut self, tag: &str, attributes: &[(&str, &str)], text: &str) -> &mut Self {
        self.open(tag, attributes).text(text).close()
    }

    /// `<button class="…" type="button" data-action="…">label</button>`: every control of the
    /// widget is one of these, handled by one delegated listener.
    pub fn button(&mut self, class: &str, action: &str, label: &str) -> &mut Self {
        self.leaf("button", &[("class", class), ("type", "button"), ("data-action", action)], label)
    }

    /// The tree's JSON text.
    #[must_use]
    pub fn finish(self) -> String {
        self.json
    }
}

/// Opens `<div class="overlay"><div role="dialog" aria-modal="true" …>` with a heading and a
/// close button, then the body; the caller writes the body, then calls [`foot`].
fn dialog_open(t: &mut Tree, id: &str, title: &str, lang: &str, s: &Strings) {
    t.open("div", &[("class", "overlay")]);
    t.open(
        "div",
        &[
            ("class", "dialog"),
            ("role", "dialog"),
            ("aria-modal", "true"),
            ("aria-labelledby", id),
            ("tabindex", "-1"),
            ("lang", lang),
        ],
    );
    t.open("div", &[("class", "head")]);
    t.leaf("h2", &[("id", id)], title);
    t.leaf("button", &[("class", "x"), ("type", "button"), ("data-action", "close"), ("aria-label", s.close)], "×");
    t.close();
    t.open("div", &[("class", "body")]);
}

/// Closes the body and opens the foot's actions.
fn foot(t: &mut Tree) {
    t.close().open("div", &[("class", "foot")]).open("div", &[("class", "actions")]);
}

/// Closes the actions, the foot, the dialog and the overlay.
fn dialog_close(t: &mut Tree) {
    t.close().close().close().close();
}

/// What the settings dialog shows.
#[derive(Debug)]
pub struct SettingsModel<'a> {
    pub policy: &'a Policy,
    pub lang: &'a str,
    pub strings: &'static Strings,
    /// The categories whose switch starts on.
    pub switches: &'a [String],
    pub gpc: bool,
    pub can_withdraw: bool,
}

/// The settings dialog: every category with its title and description, `necessary` locked on.
#[must_use]
pub fn settings(m: &SettingsModel<'_>) -> String {
    let s = m.strings;
    let mut t = Tree::default();
    dialog_open(&mut t, "k-settings-title", s.settings_title, m.lang, s);
    t.leaf("p", &[], s.settings_intro);
    for (i, c) in m.policy.categories.iter().enumerate() {
        let n = json::decimal(i as u64);
        let (row_id, desc_id) = ([("k-c"), n.as_str()].concat(), ["k-d", n.as_str()].concat());
        t.open("div", &[("class", "cat")]).open("div", &[("class", "row")]);
        t.leaf("label", &[("for", &row_id)], &c.title);
        let mut input = alloc::vec![
            ("id", row_id.as_str()),
            ("type", "checkbox"),
            ("role", "switch"),
            ("aria-describedby", desc_id.as_str())
        ];
        let on = if c.switchable {
            input.push(("data-category", &c.id));
            m.switches.contains(&c.id)
        } else {
            t.leaf("span", &[("class", "on")], s.always_on);
            input.push(("disabled", ""));
            c.default || c.id == NECESSARY
        };
        if on {
            input.push(("checked", ""));
        }
        t.open("input", &input).close();
        t.close();
        t.leaf("p", &[("id", &desc_id)], &c.description);
        if m.gpc && c.gpc_sensitive && c.switchable {
            t.leaf("p", &[("class", "note")], s.gpc_note);
        }
        t.close();
    }
    terms(&mut t, m.policy, s);
    t.open("p", &[]).button("link", "policy", s.read_policy).close();
    foot(&mut t);
    t.button("btn", "accept", s.accept_all).button("btn", "reject", s.reject_all).button("btn", "save", s.save);
    if m.can_withdraw {
        t.button("btn", "withdraw", s.withdraw);
    }
    dialog_close(&mut t);
    t.finish()
}

/// What the consent states under Law No. 94-V Art. 8(4), as far as the policy says it: the
/// term, the third parties, the cross-border transfer and the data collected per category.
/// Nothing when the policy states none of them.
fn terms(t: &mut Tree, p: &Policy, s: &Strings) {
    let x = &p.terms;
    if x.term.is_empty() && x.third_parties.is_empty() && x.transfers.is_none() && x.data.is_empty() {
        return;
    }
    t.open("dl", &[("class", "terms")]);
    if !x.term.is_empty() {
        t.leaf("dt", &[], s.term).leaf("dd", &[], &x.term);
    }
    // `<tag>item: detail (country)</tag>`, each part only when stated.
    let line = |t: &mut Tree, tag: &str, head: &str, detail: &str, country: &str| {
        t.open(tag, &[]).text(head);
        if !detail.is_empty() {
            t.text(": ").text(detail);
        }
        if !country.is_empty() {
            t.text(" (").text(country).text(")");
        }
        t.close();
    };
    if !x.third_parties.is_empty() {
        t.leaf("dt", &[], s.third_parties).open("dd", &[]).open("ul", &[]);
        for party in &x.third_parties {
            line(t, "li", &party.name, &party.purpose, &party.country);
        }
        t.close().close();
    }
    if let Some(transfers) = x.transfers {
        t.leaf("dt", &[], s.cross_border);
        line(t, "dd", if transfers { s.yes } else { s.no }, &x.transfer_text, &x.countries.join(", "));
    }
    if !x.data.is_empty() {
        t.leaf("dt", &[], s.data_collected).open("dd", &[]).open("ul", &[]);
        for (id, items) in &x.data {
            let title = p.categories.iter().find(|c| &c.id == id).map_or(id.as_str(), |c| c.title.as_str());
            line(t, "li", title, &items.join(", "), "");
        }
        t.close().close();
    }
    t.close();
}

/// A link opened in a new tab without opener, or the plain text when `href` is not safe.
fn link(t: &mut Tree, href: &str, label: &str) {
    if is_safe_href(href) && !href.ends_with(':') {
        t.leaf("a", &[("href", href), ("rel", "noopener noreferrer"), ("target", "_blank")], label);
    } else {
        t.leaf("span", &[], label);
    }
}

/// A heading or clause: `tag` with the id `k-s-<anchor>` when the anchor is a slug, so a link to
/// that section scrolls to it.
fn anchored(t: &mut Tree, tag: &str, anchor: Option<&str>, text: &str) {
    match anchor.filter(|a| is_slug(a)) {
        Some(a) => t.leaf(tag, &[("id", &["k-s-", a].concat())], text),
        None => t.leaf(tag, &[], text),
    };
}

/// The full policy: version, effective date and operator contacts, then its text. Links only
/// for `https:`, `http:`, `mailto:` and `tel:` targets.
#[must_use]
pub fn policy(p: &Policy, lang: &str, s: &Strings) -> String {
    let mut t = Tree::default();
    dialog_open(&mut t, "k-policy-title", s.policy_title, lang, s);
    let o = &p.operator;
    t.open("dl", &[]);
    t.leaf("dt", &[], s.version).leaf("dd", &[], &json::decimal(p.version.into()));
    t.leaf("dt", &[], s.effective).leaf("dd", &[], &p.effective_date);
    t.leaf("dt", &[], s.operator);
    t.open("dd", &[]).text(&[o.legal_name.as_str(), ", ", &o.city, ", "].concat());
    link(&mut t, &["mailto:", o.email.as_str()].concat(), &o.email);
    t.text(", ");
    // A phone number links only if it is one: at least five digits once formatting is dropped.
    let tel: String = o.phone.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
    let tel = if tel.bytes().filter(u8::is_ascii_digit).count() >= 5 { ["tel:", &tel].concat() } else { String::new() };
    link(&mut t, &tel, &o.phone);
    t.close();
    if !o.bin_iin.is_empty() {
        t.leaf("dt", &[], s.bin_iin).leaf("dd", &[], &o.bin_iin);
    }
    t.close();
    terms(&mut t, p, s);
    // A published policy has text in every language: none means it could not be loaded.
    if p.text.is_empty() {
        t.leaf("p", &[("role", "alert")], s.loading_failed);
    }
    for block in &p.text {
        match block {
            // The dialog's title is the h2; the policy's own levels 1–4 become h3–h6.
            Block::Heading { level, text, anchor } => {
                anchored(&mut t, ["h3", "h3", "h4", "h5", "h6"][usize::from((*level).min(4))], anchor.as_deref(), text);
            }
            Block::Paragraph { text, anchor } => anchored(&mut t, "p", anchor.as_deref(), text),
            Block::List { items } => {
                t.open("ul", &[]);
                for item in items {
                    t.leaf("li", &[], item);
                }
                t.close();
            }
            Block::Link { text, href } => {
                t.open("p", &[]);
                if is_safe_href(href) {
                    t.leaf("a", &[("href", href), ("rel", "noopener noreferrer"), ("target", "_blank")], text);
                } else {
                    t.leaf("span", &[], text);
                }
                t.close();
            }
        }
    }
    foot(&mut t);
    t.button("btn", "close", s.close);
    dialog_close(&mut t);
    t.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::strings;
    use crate::model::{Category, Operator};
    use serde_json::{json, Value};

    fn crm() -> Policy {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../www/demo/policies/crm-demo.json");
        let core: kelisim_core::policy::Policy = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        crate::state::tests::served(&core, "ru").policy
    }

    fn tree(text: &str) -> Value {
        serde_json::from_str(text).expect("a tree is JSON")
    }

    /// Every element (`[tag, attrs, …]`) of a tree, depth first.
    fn elements(v: &Value) -> Vec<&Value> {
        let mut out = vec![v];
        for child in v.as_array().unwrap().iter().skip(2).filter(|c| c.is_array()) {
            out.extend(elements(child));
        }
        out
    }

    fn by<'a>(v: &'a Value, attr: &str, value: &str) -> Vec<&'a Value> {
        elements(v).into_iter().filter(|e| e[1][attr] == value).collect()
    }

    /// The concatenated text of an element.
    fn text(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Array(a) => a.iter().skip(2).map(text).collect(),
            _ => panic!("not a node: {v}"),
        }
    }

    #[test]
    fn the_tree_writer_nests_and_escapes() {
        let mut t = Tree::default();
        t.open("div", &[("class", "a\"b"), ("data-x", "")]).text("1 < 2").leaf("b", &[], "").text("").close();
        assert_eq!(tree(&t.finish()), json!(["div", {"class": "a\"b", "data-x": ""}, "1 < 2", ["b", {}]]));
    }

    fn model<'a>(p: &'a Policy, switches: &'a [String], gpc: bool, can_withdraw: bool) -> SettingsModel<'a> {
        SettingsModel { policy: p, lang: "ru", strings: strings("ru"), switches, gpc, can_withdraw }
    }

    #[test]
    fn settings_lock_necessary_on_and_show_the_switches() {
        let p = crm();
        let on = vec!["cross_border".to_owned()];
        let d = tree(&settings(&model(&p, &on, false, false)));
        let dialog = &d[2];
        assert_eq!(dialog[1]["role"], "dialog");
        assert_eq!(dialog[1]["aria-modal"], "true");
        assert_eq!(dialog[1]["lang"], "ru");
        let inputs: Vec<_> = elements(&d).into_iter().filter(|e| e[0] == "input").collect();
        assert_eq!(inputs.len(), p.categories.len());
        let necessary = inputs.iter().find(|i| i[1].get("data-category").is_none()).unwrap();
        assert!(necessary[1].get("disabled").is_some() && necessary[1].get("checked").is_some());
        let checked: Vec<_> =
            inputs.iter().filter(|i| i[1].get("checked").is_some() && i[1].get("data-category").is_some()).collect();
        assert_eq!(checked.len(), 1);
        assert_eq!(checked[0][1]["data-category"], "cross_border");
        for i in &inputs {
            let id = i[1]["id"].as_str().unwrap();
            assert_eq!(by(&d, "for", id).len(), 1, "every switch has its label");
            assert_eq!(i[1]["role"], "switch");
            assert_eq!(by(&d, "id", i[1]["aria-describedby"].as_str().unwrap()).len(), 1);
        }
        assert!(by(&d, "data-action", "withdraw").is_empty());
        assert!(by(&d, "class", "note").is_empty());
    }

    #[test]
    fn settings_note_gpc_and_offer_withdraw_when_something_is_granted() {
        let p = crm();
        let d = tree(&settings(&model(&p, &[], true, true)));
        let notes = by(&d, "class", "note");
        let sensitive = p.categories.iter().filter(|c| c.gpc_sensitive && c.switchable).count();
        assert_eq!(notes.len(), sensitive);
        assert!(sensitive > 0);
        assert_eq!(by(&d, "data-action", "withdraw").len(), 1);
    }

    #[test]
    fn a_hostile_policy_stays_text_and_unsafe_links_stay_plain() {
        let hostile = "<img src=x onerror=\"window.__pwned=1\">";
        let p = Policy {
            version: 7,
            effective_date: "2026-01-01".into(),
            operator: Operator {
                legal_name: hostile.into(),
                city: "Алматы".into(),
                email: "x@y.kz\"><b>x".into(),
                phone: "javascript:alert(1)".into(),
                bin_iin: String::new(),
            },
            languages: vec!["ru".into()],
            categories: vec![Category {
                id: "necessary".into(),
                switchable: false,
                default: true,
                gpc_sensitive: false,
                title: hostile.into(),
                description: hostile.into(),
            }],
            summary: hostile.into(),
            text: vec![
                Block::Heading { level: 1, text: hostile.into(), anchor: Some("a\" onclick=\"x".into()) },
                Block::Heading { level: 9, text: "ok".into(), anchor: Some("sec-1".into()) },
                Block::Paragraph { text: hostile.into(), anchor: Some("s1\" onclick=\"x".into()) },
                Block::List { items: vec![hostile.into()] },
                Block::Link { text: "js".into(), href: "javascript:alert(1)".into() },
                Block::Link { text: "data".into(), href: "data:text/html,<script>x</script>".into() },
                Block::Link { text: "fine".into(), href: "https://example.kz/".into() },
            ],
            terms: crate::model::Terms {
                term: hostile.into(),
                third_parties: vec![crate::model::ThirdParty {
                    name: hostile.into(),
                    purpose: hostile.into(),
                    country: hostile.into(),
                }],
                transfers: Some(true),
                countries: vec![hostile.into()],
                transfer_text: hostile.into(),
                data: vec![(hostile.into(), vec![hostile.into()])],
            },
        };
        let d = tree(&policy(&p, "ru", strings("ru")));
        assert!(text(&d).matches(hostile).count() >= 10, "hostile text is text");
        assert!(elements(&d)
            .iter()
            .all(|e| ["div", "h2", "h3", "h6", "button", "dl", "dt", "dd", "a", "span", "p", "ul", "li"]
                .contains(&e[0].as_str().unwrap())));
        let links: Vec<_> = elements(&d).into_iter().filter(|e| e[0] == "a").collect();
        let hrefs: Vec<_> = links.iter().map(|a| a[1]["href"].as_str().unwrap()).collect();
        assert_eq!(hrefs, ["mailto:x@y.kz\"><b>x", "https://example.kz/"], "an attribute value, never markup");
        assert!(links.iter().all(|a| a[1]["rel"] == "noopener noreferrer" && a[1]["target"] == "_blank"));
        assert_eq!(by(&d, "id", "k-s-sec-1")[0][0], "h6");
        assert_eq!(
            elements(&d)
                .iter()
                .filter(|e| e[1].get("id").is_some_and(|i| i.as_str().unwrap().starts_with("k-s-")))
                .count(),
            1
        );
        let s = tree(&settings(&model(&p, &[], false, false)));
        assert!(text(&s).contains(hostile));
    }

    #[test]
    fn a_clause_carries_its_anchor_as_the_id_a_section_link_scrolls_to() {
        let core = crate::state::tests::with_terms();
        let p = crate::state::tests::served(&core, "ru").policy;
        let d = tree(&policy(&p, "ru", strings("ru")));
        let clause = by(&d, "id", "k-s-s1-1");
        assert_eq!(clause.len(), 1);
        assert_eq!(clause[0][0], "p");
        // Every section a category names is an element of the policy view.
        for section in core.categories.iter().flat_map(|c| &c.sections) {
            assert_eq!(by(&d, "id", &format!("k-s-{section}")).len(), 1, "{section}");
        }
        // A paragraph without an anchor has no id.
        let plain =
            Policy { text: vec![Block::Paragraph { text: "2.1. Текст.".into(), anchor: None }], ..p.clone() };
        let d = tree(&policy(&plain, "ru", strings("ru")));
        assert!(elements(&d).iter().filter(|e| e[0] == "p").all(|e| e[1].get("id").is_none()));
    }

    #[test]
    fn art_8_4_terms_show_in_the_settings_and_the_policy_in_the_visitors_language() {
        let core = crate::state::tests::with_terms();
        let p = crate::state::tests::served(&core, "kk").policy;
        let kk = SettingsModel { lang: "kk", strings: strings("kk"), ..model(&p, &[], false, false) };
        for d in [tree(&policy(&p, "kk", strings("kk"))), tree(&settings(&kk))] {
            let terms = by(&d, "class", "terms");
            assert_eq!(terms.len(), 1);
            let shown = text(terms[0]);
            for want in [
                "Келісім мерзімі",
                "Келісім кері қайтарылғанға дейін",
                "Үшінші тұлғалар",
                "Meta Platforms: WhatsApp арқылы хабар жіберу (US)",
                "Трансшекаралық беру",
                "Иә: Деректер шетелде сақталады (DE, US)",
                "Жиналатын деректер",
                // kk lacks this list: the policy's default language (ru) is shown.
                "IP-адрес, cookie",
            ] {
                assert!(shown.contains(want), "{want} in {shown}");
            }
        }
        let d = tree(&policy(&p, "kk", strings("kk")));
        assert!(text(&d).contains("БСН/ЖСН180540012343"));
        // The first layer's policy (no text yet, the fetch failed): the view says so.
        let mut first = p.clone();
        first.text.clear();
        let d = tree(&policy(&first, "kk", strings("kk")));
        assert_eq!(text(by(&d, "role", "alert")[0]), strings("kk").loading_failed);
        assert!(by(&tree(&policy(&p, "kk", strings("kk"))), "role", "alert").is_empty());
        // A policy that states none of them shows none.
        let plain = crm();
        assert!(by(&tree(&policy(&plain, "ru", strings("ru"))), "class", "terms").is_empty());
        assert!(by(&tree(&settings(&model(&plain, &[], false, false))), "class", "terms").is_empty());
    }

    #[test]
    fn a_phone_links_only_when_it_has_five_digits() {
        let mut p = crm();
        let d = tree(&policy(&p, "ru", strings("ru")));
        let tel = elements(&d).into_iter().find(|e| e[1]["href"].as_str().is_some_and(|h| h.starts_with("tel:")));
        assert_eq!(tel.unwrap()[1]["href"], "tel:+77000001234");
        p.operator.phone = "12-34".into();
        let d = tree(&policy(&p, "ru", strings("ru")));
        assert!(elements(&d).iter().all(|e| !e[1]["href"].as_str().is_some_and(|h| h.starts_with("tel:"))));
        assert!(text(&d).contains("12-34"));
        assert!(text(&d).contains(&p.effective_date));
    }
}
