//! What the page sees: `boot`, whose answer is the object behind `window.kelisim` (the loader
//! wraps each call in a try/catch, so nothing throws into the page), and the `kelisim:change`
//! event with the Consent Mode update.

use alloc::rc::Rc;
use alloc::vec::Vec;

use js_sys::Function;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CustomEvent, CustomEventInit, HtmlScriptElement};

use super::app::App;
use super::convert::decisions_js;
use super::dom::{callback, get, object, set, set_str, window};
use crate::consent_mode;
use crate::model::{Action, Decisions};

/// The detail of `kelisim:change` and what subscribers receive: `{decisions, action}`.
fn change(decisions: &Decisions, action: Action) -> JsValue {
    let o = object();
    set(&o, "decisions", &decisions_js(decisions.iter()));
    set_str(&o, "action", action.as_str());
    o
}

/// Starts the widget for its script tag. `report` logs an unexpected error once; `build` makes
/// DOM of an element tree (see [`crate::ui`]); `early_policy` is the loader's request for the
/// policy (`[url, response promise]`), if it made one. Returns
/// `{get, subscribe, unsubscribe, open, withdraw, receipts}`, each taking one argument.
///
/// # Errors
/// When the tag lacks a valid `data-site` or the page has no document.
#[wasm_bindgen]
pub fn boot(
    script: &HtmlScriptElement,
    report: Function,
    build: Function,
    early_policy: JsValue,
) -> Result<JsValue, JsValue> {
    let app = super::app::boot(script, report, build, early_policy)?;
    let api = object();
    let method = |name: &str, f: fn(&Rc<App>, JsValue) -> JsValue| {
        let app = app.clone();
        set(&api, name, &callback(move |arg| f(&app, arg)));
    };
    // `true`, `false`, or `null` while undecided.
    method("get", |a, c| a.get(&c.as_string().unwrap_or_default()).map_or(JsValue::NULL, JsValue::from_bool));
    // An id for `unsubscribe`.
    method("subscribe", |a, f| f.dyn_into().map_or(JsValue::NULL, |f| a.subscribe(f).into()));
    method("unsubscribe", |a, id| {
        a.unsubscribe(id.as_f64().unwrap_or(0.0) as u32);
        JsValue::UNDEFINED
    });
    method("open", |a, _| {
        a.open();
        JsValue::UNDEFINED
    });
    method("withdraw", |a, _| {
        a.withdraw();
        JsValue::UNDEFINED
    });
    // The countersigned receipts kept in this browser.
    method("receipts", |a, _| a.receipts());
    Ok(api)
}

/// Tells the page about decisions now in force: Google Consent Mode, the `kelisim:change` event
/// on `document`, and every subscriber. A subscriber that throws is reported, not rethrown.
pub fn announce(app: &App, decisions: &Decisions, action: Action) {
    if let Some(w) = window() {
        if let Some(gtag) = get(&w, "gtag").dyn_ref::<Function>() {
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
