//! The widget's DOM: a host element appended to `<body>` with an open shadow root that holds the
//! banner (a labelled region) and the modal dialogs (settings, policy) as a stack. Styles come
//! from one constructable stylesheet, so nothing leaks in or out and no CSP `'unsafe-inline'` is
//! needed. Every text is set with `textContent`; buttons carry `data-action`, and one delegated
//! listener (see `app`) handles them all, so re-rendering never drops a live closure.

use std::collections::BTreeMap;

use js_sys::Array;
use kelisim_core::id::check_slug;
use kelisim_core::policy::{is_safe_href, Block, Policy};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    CssStyleSheet, Document, Element, HtmlElement, HtmlInputElement, ShadowRoot, ShadowRootInit, ShadowRootMode,
};

use super::dom::{append, button, el, focus, text};
use crate::config::Config;
use crate::i18n::Strings;

/// The stylesheet, compiled into the binary.
const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.min.css"));
/// The host element's tag: a custom-element name no page styles by accident.
const HOST_TAG: &str = "kelisim-consent";
/// What can take focus inside a dialog, in tab order.
const FOCUSABLE: &str = "button:not([disabled]), input:not([disabled]), a[href], [tabindex=\"0\"]";

/// Which dialog is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Settings,
    Policy,
}

/// An open modal dialog: its overlay and where focus returns when it closes.
#[derive(Debug)]
pub struct Dialog {
    pub kind: Kind,
    pub overlay: Element,
    pub dialog: Element,
    pub return_to: Option<Element>,
}

/// The mounted widget.
#[derive(Debug)]
pub struct View {
    pub host: HtmlElement,
    pub root: ShadowRoot,
    pub banner: Option<Element>,
    /// Where focus was before the banner took it.
    pub banner_return: Option<Element>,
    pub dialogs: Vec<Dialog>,
    /// A polite live region, there from the start: says "saved" after a choice.
    status: Element,
}

/// What the settings dialog shows.
pub struct SettingsModel<'a> {
    pub policy: &'a Policy,
    pub lang: &'a str,
    pub strings: &'static Strings,
    /// The categories whose switch starts on.
    pub switches: &'a [String],
    pub gpc: bool,
    pub can_withdraw: bool,
}

impl View {
    /// Creates the host, its shadow root and stylesheet, and appends it to `<body>`.
    pub fn mount(doc: &Document, config: &Config, lang: &str) -> Result<Self, JsValue> {
        let host: HtmlElement = doc.create_element(HOST_TAG)?.dyn_into()?;
        for (property, value) in &config.theme {
            host.style().set_property(property, value)?;
        }
        host.set_attribute("lang", lang)?;
        let root = host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?;
        let sheet = CssStyleSheet::new()?;
        sheet.replace_sync(CSS)?;
        root.set_adopted_style_sheets(&Array::of1(&sheet));
        let status = el(doc, "p", "sr")?;
        status.set_attribute("role", "status")?;
        root.append_child(&status)?;
        doc.body().ok_or(JsValue::NULL)?.append_child(&host)?;
        Ok(Self { host, root, banner: None, banner_return: None, dialogs: Vec::new(), status })
    }

    /// The element focused now, looking inside the shadow root when focus is there.
    pub fn focused(&self, doc: &Document) -> Option<Element> {
        let active = doc.active_element()?;
        if active == *self.host {
            self.root.active_element()
        } else {
            Some(active)
        }
    }

    /// Shows the first-visit banner; takes focus only if nothing on the page has it.
    pub fn show_banner(
        &mut self,
        doc: &Document,
        policy: &Policy,
        lang: &str,
        strings: &Strings,
        class: &str,
    ) -> Result<(), JsValue> {
        self.remove_banner();
        let banner = el(doc, "section", class)?;
        banner.set_attribute("role", "region")?;
        banner.set_attribute("aria-labelledby", "k-banner-title")?;
        banner.set_attribute("tabindex", "-1")?;
        let title = text(doc, "h2", "", strings.banner_title)?;
        title.set_id("k-banner-title");
        let operator = text(doc, "p", "op", &format!("{} {}", strings.operator_label, policy.operator.legal_name))?;
        let summary = text(doc, "p", "", localized(&policy.summary, lang))?;
        let more = el(doc, "p", "")?;
        append(&more, &[&button(doc, "policy", strings.read_policy, "link")?])?;
        let actions = el(doc, "div", "actions")?;
        append(
            &actions,
            &[
                &button(doc, "accept", strings.accept_all, "btn")?,
                &button(doc, "reject", strings.reject_all, "btn")?,
                &button(doc, "settings", strings.settings, "btn")?,
            ],
        )?;
        append(&banner, &[&title, &operator, &summary, &more, &actions])?;
        self.root.append_child(&banner)?;
        // Focus moves into the banner only if the visitor is not already somewhere on the page.
        let page_focus = doc.active_element().filter(|a| Some(a) != doc.body().as_ref().map(AsRef::as_ref));
        if page_focus.is_none() {
            focus(&banner);
        }
        self.banner = Some(banner);
        Ok(())
    }

    pub fn remove_banner(&mut self) {
        if let Some(b) = self.banner.take() {
            b.remove();
        }
    }

    /// Opens a modal dialog on top of whatever is shown, hiding the one below it.
    pub fn push_dialog(&mut self, doc: &Document, kind: Kind, overlay: Element) -> Result<(), JsValue> {
        let return_to = self.focused(doc);
        if let Some(below) = self.dialogs.last() {
            below.overlay.set_attribute("hidden", "")?;
        }
        self.root.append_child(&overlay)?;
        let dialog = overlay.first_element_child().ok_or(JsValue::NULL)?;
        let first = dialog.query_selector(FOCUSABLE)?;
        focus(first.as_ref().unwrap_or(&dialog));
        self.dialogs.push(Dialog { kind, overlay, dialog, return_to });
        Ok(())
    }

    /// Closes the top dialog and returns focus to where it was.
    pub fn pop_dialog(&mut self) -> Result<(), JsValue> {
        let Some(top) = self.dialogs.pop() else { return Ok(()) };
        top.overlay.remove();
        if let Some(below) = self.dialogs.last() {
            below.overlay.remove_attribute("hidden")?;
        }
        let back = top.return_to.filter(|e| e.is_connected()).or_else(|| self.dialogs.last().map(|d| d.dialog.clone()));
        if let Some(e) = back {
            focus(&e);
        }
        Ok(())
    }

    /// Closes everything after a choice; focus goes back where it was before the widget took it.
    pub fn close_all(&mut self) {
        let back = self.dialogs.first().and_then(|d| d.return_to.clone()).or_else(|| self.banner_return.take());
        for d in self.dialogs.drain(..) {
            d.overlay.remove();
        }
        self.remove_banner();
        if let Some(e) = back.filter(|e| e.is_connected() && !self.host.contains(Some(e))) {
            focus(&e);
        }
    }

    /// Tells screen readers `message` (a visually hidden `role="status"` region).
    pub fn announce(&self, message: &str) {
        self.status.set_text_content(Some(message));
    }

    pub fn top(&self) -> Option<&Dialog> {
        self.dialogs.last()
    }

    /// Keeps Tab and Shift+Tab inside the top dialog. Returns whether focus was moved.
    pub fn trap_tab(&self, doc: &Document, backwards: bool) -> bool {
        let Some(top) = self.top() else { return false };
        let Ok(list) = top.dialog.query_selector_all(FOCUSABLE) else { return false };
        let items: Vec<Element> = (0..list.length()).filter_map(|i| list.item(i)?.dyn_into().ok()).collect();
        let (Some(first), Some(last)) = (items.first(), items.last()) else {
            focus(&top.dialog);
            return true;
        };
        let current = self.focused(doc);
        let inside = current.as_ref().is_some_and(|c| top.dialog.contains(Some(c)));
        let at_edge = current.as_ref() == Some(if backwards { first } else { last });
        if !inside || at_edge {
            focus(if backwards { last } else { first });
            return true;
        }
        false
    }

    /// The categories switched on in the settings now.
    pub fn switches(&self) -> Vec<String> {
        let mut out = Vec::new();
        let Some(d) = self.dialogs.iter().find(|d| d.kind == Kind::Settings) else { return out };
        if let Ok(list) = d.dialog.query_selector_all("input[data-category]:checked") {
            for i in 0..list.length() {
                if let Some(id) =
                    list.item(i).and_then(|n| n.dyn_into::<Element>().ok()?.get_attribute("data-category"))
                {
                    out.push(id);
                }
            }
        }
        out
    }
}

/// The text for `lang`, or the first there is.
fn localized<'a>(map: &'a BTreeMap<String, String>, lang: &str) -> &'a str {
    map.get(lang).or_else(|| map.values().next()).map_or("", String::as_str)
}

/// `<div class="overlay"><div role="dialog" aria-modal="true" aria-labelledby=…>` with a heading
/// and a close button; returns the overlay and the dialog's body.
fn dialog_shell(
    doc: &Document,
    id: &str,
    title: &str,
    lang: &str,
    strings: &Strings,
) -> Result<(Element, Element, Element), JsValue> {
    let overlay = el(doc, "div", "overlay")?;
    let dialog = el(doc, "div", "dialog")?;
    dialog.set_attribute("role", "dialog")?;
    dialog.set_attribute("aria-modal", "true")?;
    dialog.set_attribute("aria-labelledby", id)?;
    dialog.set_attribute("tabindex", "-1")?;
    dialog.set_attribute("lang", lang)?;
    let head = el(doc, "div", "head")?;
    let h = text(doc, "h2", "", title)?;
    h.set_id(id);
    let close = button(doc, "close", "×", "x")?;
    close.set_attribute("aria-label", strings.close)?;
    append(&head, &[&h, &close])?;
    let body = el(doc, "div", "body")?;
    let foot = el(doc, "div", "foot")?;
    append(&dialog, &[&head, &body, &foot])?;
    overlay.append_child(&dialog)?;
    Ok((overlay, body, foot))
}

/// The settings dialog: every category with its title and description, `necessary` locked on.
pub fn settings(doc: &Document, m: &SettingsModel<'_>) -> Result<Element, JsValue> {
    let s = m.strings;
    let (overlay, body, foot) = dialog_shell(doc, "k-settings-title", s.settings_title, m.lang, s)?;
    append(&body, &[&text(doc, "p", "", s.settings_intro)?])?;
    for (i, c) in m.policy.categories.iter().enumerate() {
        let row_id = format!("k-c{i}");
        let desc_id = format!("k-d{i}");
        let cat = el(doc, "div", "cat")?;
        let row = el(doc, "div", "row")?;
        let label = text(doc, "label", "", localized(&c.title, m.lang))?;
        label.set_attribute("for", &row_id)?;
        let input = el(doc, "input", "")?;
        input.set_id(&row_id);
        input.set_attribute("type", "checkbox")?;
        input.set_attribute("role", "switch")?;
        input.set_attribute("aria-describedby", &desc_id)?;
        let input: HtmlInputElement = input.dyn_into()?;
        row.append_child(&label)?;
        if c.switchable {
            input.set_attribute("data-category", &c.id)?;
            input.set_checked(m.switches.contains(&c.id));
        } else {
            input.set_checked(c.default || c.id == kelisim_core::category::NECESSARY);
            input.set_disabled(true);
            append(&row, &[&text(doc, "span", "on", s.always_on)?])?;
        }
        row.append_child(&input)?;
        let desc = text(doc, "p", "", localized(&c.description, m.lang))?;
        desc.set_id(&desc_id);
        append(&cat, &[&row, &desc])?;
        if m.gpc && c.gpc_sensitive && c.switchable {
            append(&cat, &[&text(doc, "p", "note", s.gpc_note)?])?;
        }
        body.append_child(&cat)?;
    }
    let more = el(doc, "p", "")?;
    append(&more, &[&button(doc, "policy", s.read_policy, "link")?])?;
    body.append_child(&more)?;
    let actions = el(doc, "div", "actions")?;
    append(
        &actions,
        &[
            &button(doc, "accept", s.accept_all, "btn")?,
            &button(doc, "reject", s.reject_all, "btn")?,
            &button(doc, "save", s.save, "btn")?,
        ],
    )?;
    if m.can_withdraw {
        append(&actions, &[&button(doc, "withdraw", s.withdraw, "btn")?])?;
    }
    foot.append_child(&actions)?;
    Ok(overlay)
}

/// The full policy: version, effective date and operator contacts, then its text. Links only
/// for `https:`, `http:`, `mailto:` and `tel:` targets, opened in a new tab without opener.
pub fn policy(doc: &Document, p: &Policy, lang: &str, s: &Strings) -> Result<Element, JsValue> {
    let (overlay, body, foot) = dialog_shell(doc, "k-policy-title", s.policy_title, lang, s)?;
    let meta = el(doc, "dl", "")?;
    let o = &p.operator;
    let contacts = el(doc, "dd", "")?;
    contacts.append_with_str_1(&format!("{}, {}, ", o.legal_name, o.city))?;
    append(&contacts, &[&contact(doc, &format!("mailto:{}", o.email), &o.email)?])?;
    contacts.append_with_str_1(", ")?;
    // A phone number links only if it is one: at least five digits once formatting is dropped.
    let tel: String = o.phone.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
    let tel = if tel.bytes().filter(u8::is_ascii_digit).count() >= 5 { format!("tel:{tel}") } else { String::new() };
    append(&contacts, &[&contact(doc, &tel, &o.phone)?])?;
    append(
        &meta,
        &[
            &text(doc, "dt", "", s.version)?,
            &text(doc, "dd", "", &p.version.to_string())?,
            &text(doc, "dt", "", s.effective)?,
            &text(doc, "dd", "", &p.effective_date)?,
            &text(doc, "dt", "", s.operator)?,
            &contacts,
        ],
    )?;
    body.append_child(&meta)?;
    for block in p.text.get(lang).or_else(|| p.text.values().next()).map_or(&[][..], Vec::as_slice) {
        append(&body, &[&render_block(doc, block)?])?;
    }
    let actions = el(doc, "div", "actions")?;
    append(&actions, &[&button(doc, "close", s.close, "btn")?])?;
    foot.append_child(&actions)?;
    Ok(overlay)
}

/// A link when `href` is safe, else the plain text.
fn contact(doc: &Document, href: &str, label: &str) -> Result<Element, JsValue> {
    if is_safe_href(href) && !href.ends_with(':') {
        link(doc, href, label)
    } else {
        text(doc, "span", "", label)
    }
}

fn link(doc: &Document, href: &str, label: &str) -> Result<Element, JsValue> {
    let a = text(doc, "a", "", label)?;
    a.set_attribute("href", href)?;
    a.set_attribute("rel", "noopener noreferrer")?;
    a.set_attribute("target", "_blank")?;
    Ok(a)
}

fn render_block(doc: &Document, block: &Block) -> Result<Element, JsValue> {
    Ok(match block {
        Block::Heading { level, text: t, anchor } => {
            // The dialog's title is the h2; the policy's own levels 1–4 become h3–h6.
            let tag = match level {
                0 | 1 => "h3",
                2 => "h4",
                3 => "h5",
                _ => "h6",
            };
            let h = text(doc, tag, "", t)?;
            if let Some(a) = anchor.as_deref().filter(|a| check_slug("anchor", a).is_ok()) {
                h.set_id(&format!("k-s-{a}"));
            }
            h
        }
        Block::Paragraph { text: t } => text(doc, "p", "", t)?,
        Block::List { items } => {
            let ul = el(doc, "ul", "")?;
            for item in items {
                append(&ul, &[&text(doc, "li", "", item)?])?;
            }
            ul
        }
        Block::Link { text: t, href } => {
            let p = el(doc, "p", "")?;
            let inner = if is_safe_href(href) { link(doc, href, t)? } else { text(doc, "span", "", t)? };
            p.append_child(&inner)?;
            p
        }
    })
}
