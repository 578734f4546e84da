//! The widget's DOM: a host element appended to `<body>` with an open shadow root that holds the
//! banner (a labelled region) and the modal dialogs (settings, policy) as a stack. Styles come
//! from one constructable stylesheet, so nothing leaks in or out and no CSP `'unsafe-inline'` is
//! needed. What is shown is written by [`crate::ui`] as element trees; the loader's `build`
//! makes them DOM (text as text nodes only). Buttons carry `data-action`, and one delegated
//! listener (see `app`) handles them all, so re-rendering never drops a live closure.

use alloc::string::String;
use alloc::vec::Vec;

use js_sys::{Array, Function};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CssStyleSheet, Document, Element, HtmlElement, ShadowRoot, ShadowRootInit, ShadowRootMode};

use super::dom::focus;
use crate::config::Config;

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
    /// The loader's `build(treeJson)`: an element tree of [`crate::ui`] as DOM.
    build: Function,
    pub banner: Option<Element>,
    /// Where focus was before the banner took it.
    pub banner_return: Option<Element>,
    pub dialogs: Vec<Dialog>,
    /// A polite live region, there from the start: says "saved" after a choice.
    status: Element,
}

impl View {
    /// Creates the host, its shadow root and stylesheet, and appends it to `<body>`.
    pub fn mount(doc: &Document, config: &Config, lang: &str, build: Function) -> Result<Self, JsValue> {
        let host: HtmlElement = doc.create_element(HOST_TAG)?.dyn_into()?;
        for (property, value) in &config.theme {
            host.style().set_property(property, value)?;
        }
        host.set_attribute("lang", lang)?;
        let root = host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?;
        let sheet = CssStyleSheet::new()?;
        sheet.replace_sync(CSS)?;
        root.set_adopted_style_sheets(&Array::of1(&sheet));
        let status = make(&build, "[\"p\",{\"class\":\"sr\",\"role\":\"status\"}]")?;
        root.append_child(&status)?;
        doc.body().ok_or(JsValue::NULL)?.append_child(&host)?;
        Ok(Self { host, root, build, banner: None, banner_return: None, dialogs: Vec::new(), status })
    }

    /// The DOM of a tree written by [`crate::ui`].
    pub fn make(&self, tree: &str) -> Result<Element, JsValue> {
        make(&self.build, tree)
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

    /// Shows the first-visit banner (a [`crate::ui::banner`] tree); takes focus only if nothing
    /// on the page has it.
    pub fn show_banner(&mut self, doc: &Document, tree: &str) -> Result<(), JsValue> {
        self.remove_banner();
        let banner = self.make(tree)?;
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

    /// Opens a modal dialog (a [`crate::ui`] dialog tree) on top of whatever is shown, hiding the
    /// one below it.
    pub fn push_dialog(&mut self, doc: &Document, kind: Kind, tree: &str) -> Result<(), JsValue> {
        let overlay = self.make(tree)?;
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

fn make(build: &Function, tree: &str) -> Result<Element, JsValue> {
    build.call1(&JsValue::NULL, &JsValue::from_str(tree))?.dyn_into()
}
