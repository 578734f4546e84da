//! What the page sees: the exports behind `window.kelisim` (the loader wraps each in a
//! try/catch, so nothing throws into the page), and the `kelisim:change` event.

use std::collections::BTreeMap;

use js_sys::{Function, Promise};
use kelisim_core::category::Decision;
use kelisim_core::receipt::Action;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use web_sys::{CustomEvent, CustomEventInit, HtmlScriptElement};

use super::app::{app, App};
use super::convert::{decision_map_js, decisions_js};
use super::dom::{object, set};
use crate::consent_mode;

/// The detail of `kelisim:change` and what subscribers receive: `{decisions, action}`.
fn change(decisions: &BTreeMap<String, Decision>, action: Action) -> JsValue {
    let o = object();
    set(&o, "decisions", &decision_map_js(decisions));
    set(&o, "action", &JsValue::from_str(action.as_str()));
    o
}

/// Starts the widget for its script tag; `report` logs an unexpected error once.
///
/// # Errors
/// When the tag lacks a valid `data-site` or the page has no document.
#[wasm_bindgen]
pub fn boot(script: &HtmlScriptElement, report: Function) -> Result<(), JsValue> {
    super::app::boot(script, report)
}

/// `kelisim.get(category)`: `true`, `false`, or `null` while undecided.
#[wasm_bindgen]
pub fn get(category: &str) -> JsValue {
    app().and_then(|a| a.get(category)).map_or(JsValue::NULL, JsValue::from_bool)
}

/// `kelisim.subscribe(fn)`: returns an id for `unsubscribe`.
#[wasm_bindgen]
pub fn subscribe(f: Function) -> u32 {
    app().map_or(0, |a| a.subscribe(f))
}

#[wasm_bindgen]
pub fn unsubscribe(id: u32) {
    if let Some(a) = app() {
        a.unsubscribe(id);
    }
}

/// `kelisim.open()`.
#[wasm_bindgen]
pub fn open() {
    if let Some(a) = app() {
        a.open();
    }
}

/// `kelisim.withdraw()`.
#[wasm_bindgen]
pub fn withdraw() {
    if let Some(a) = app() {
        a.withdraw();
    }
}

/// `kelisim.receipts()`: the countersigned receipts kept in this browser.
#[wasm_bindgen]
pub fn receipts() -> Promise {
    let list = app().map_or_else(|| js_sys::Array::new().into(), |a| a.receipts());
    Promise::resolve(&list)
}

/// Tells the page about decisions now in force: Google Consent Mode, the `kelisim:change` event
/// on `document`, and every subscriber. A subscriber that throws is reported, not rethrown.
pub fn announce(app: &App, decisions: &BTreeMap<String, Decision>, action: Action) {
    if let Some(w) = super::dom::window() {
        let gtag = super::dom::get(&w, "gtag");
        if let Some(gtag) = wasm_bindgen::JsCast::dyn_ref::<Function>(&gtag) {
            let update = decisions_js(consent_mode::update(decisions));
            let _ = gtag.call3(&JsValue::NULL, &"consent".into(), &"update".into(), &update);
        }
    }
    let init = CustomEventInit::new();
    init.set_detail(&change(decisions, action));
    if let Ok(event) = CustomEvent::new_with_event_init_dict("kelisim:change", &init) {
        let _ = app.doc.dispatch_event(&event);
    }
    let subscribers: Vec<Function> = app.subscribers.borrow().iter().map(|(_, f)| f.clone()).collect();
    for f in subscribers {
        if let Err(e) = f.call1(&JsValue::NULL, &change(decisions, action)) {
            web_sys::console::error_2(&"[kelisim] a subscriber threw:".into(), &e);
        }
    }
}
