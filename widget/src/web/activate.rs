//! Running marked scripts: `<script type="text/plain" data-category="…">` stays inert until its
//! category is granted; then a copy is made with every attribute but `type` and
//! `data-category` (and the `nonce`, through its property) and put in its place, so the browser
//! runs it. External scripts are awaited (load or error) before the next one, so document order
//! holds for inline and external scripts alike. A mutation observer queues marked scripts added
//! later.

use alloc::rc::Rc;

use js_sys::{Array, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Element, HtmlScriptElement, MutationObserver, MutationObserverInit, MutationRecord};

use super::app::App;
use super::dom::listener;
use crate::scripts::copies_attribute;

/// A marked script.
const MARKED: &str = "script[type=\"text/plain\"][data-category]";

/// Queues every marked script inside `scope` (or `scope` itself), in document order.
fn collect(app: &App, scope: &Element) {
    let mut queue = app.scripts.borrow_mut();
    if scope.matches(MARKED).unwrap_or(false) {
        if let (Ok(s), Some(c)) = (scope.clone().dyn_into::<HtmlScriptElement>(), scope.get_attribute("data-category"))
        {
            queue.add(c, s);
        }
        return;
    }
    let Ok(list) = scope.query_selector_all(MARKED) else { return };
    for i in 0..list.length() {
        let Some(node) = list.item(i) else { continue };
        let Ok(s) = node.dyn_into::<HtmlScriptElement>() else { continue };
        if let Some(c) = s.get_attribute("data-category") {
            queue.add(c, s);
        }
    }
}

/// Queues the marked scripts already in the page and watches for more.
pub fn watch(this: &Rc<App>) -> Result<(), JsValue> {
    let Some(root) = this.doc.document_element() else { return Ok(()) };
    collect(this, &root);
    let app = this.clone();
    let observer = listener(move |records: JsValue| {
        let records: Array = records.unchecked_into();
        for record in records.iter() {
            let Ok(record) = record.dyn_into::<MutationRecord>() else { continue };
            let added = record.added_nodes();
            for i in 0..added.length() {
                if let Some(e) = added.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                    collect(&app, &e);
                }
            }
        }
        app.run_scripts();
    });
    let mo = MutationObserver::new(&observer)?;
    let init = MutationObserverInit::new();
    init.set_child_list(true);
    init.set_subtree(true);
    mo.observe_with_options(&root, &init)?;
    // The observer lives as long as the page.
    core::mem::forget(mo);
    Ok(())
}

/// Runs the queued scripts whose category is granted, one after the other.
pub async fn run(app: Rc<App>) {
    if app.scripts_running.replace(true) {
        return;
    }
    loop {
        let granted = app.granted_now();
        let next = app.scripts.borrow_mut().next_runnable(&granted);
        let Some(script) = next else { break };
        if let Err(e) = activate(&script).await {
            app.report(&e);
        }
    }
    app.scripts_running.set(false);
}

/// Replaces one marked script with a runnable copy; for an external one, waits until it loaded
/// or failed.
async fn activate(marked: &HtmlScriptElement) -> Result<(), JsValue> {
    if !marked.is_connected() {
        return Ok(());
    }
    let doc = marked.owner_document().ok_or(JsValue::NULL)?;
    let fresh: HtmlScriptElement = doc.create_element("script")?.dyn_into()?;
    let attrs = marked.attributes();
    for i in 0..attrs.length() {
        if let Some(a) = attrs.item(i) {
            if copies_attribute(&a.name()) {
                fresh.set_attribute(&a.name(), &a.value())?;
            }
        }
    }
    fresh.set_nonce(&marked.nonce());
    let external = marked.has_attribute("src");
    let loaded = if external {
        // Inserted scripts are async by default; order is kept by waiting here instead.
        Some(Promise::new(&mut |resolve, _| {
            let _ = fresh.add_event_listener_with_callback("load", &resolve);
            let _ = fresh.add_event_listener_with_callback("error", &resolve);
        }))
    } else {
        fresh.set_text(&marked.text()?)?;
        None
    };
    marked.replace_with_with_node_1(&fresh)?;
    if let Some(p) = loaded {
        JsFuture::from(p).await?;
    }
    Ok(())
}
