//! Small helpers over the DOM and JS values. Elements are only ever built with `createElement`
//! and filled with `textContent`: no string from a policy is parsed as markup.

use js_sys::{Function, Reflect, JSON};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, Window};

pub fn window() -> Option<Window> {
    web_sys::window()
}

pub fn document() -> Option<Document> {
    window()?.document()
}

/// Milliseconds since the epoch.
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// A property of a JS object (`undefined` when absent or on error).
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Sets a property of a JS object; failures (frozen objects) are ignored.
pub fn set(obj: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// A plain object `{}`.
pub fn object() -> JsValue {
    js_sys::Object::new().into()
}

/// `JSON.parse(text)`, or `undefined`.
pub fn parse(text: &str) -> JsValue {
    JSON::parse(text).unwrap_or(JsValue::UNDEFINED)
}

/// `N` bytes from `crypto.getRandomValues`.
pub fn random<const N: usize>() -> Option<[u8; N]> {
    let mut out = [0u8; N];
    window()?.crypto().ok()?.get_random_values_with_u8_array(&mut out).ok()?;
    Some(out)
}

/// `<tag class="…">`.
pub fn el(doc: &Document, tag: &str, class: &str) -> Result<Element, JsValue> {
    let e = doc.create_element(tag)?;
    if !class.is_empty() {
        e.set_class_name(class);
    }
    Ok(e)
}

/// `<tag class="…">text</tag>`, the text set as `textContent`.
pub fn text(doc: &Document, tag: &str, class: &str, text: &str) -> Result<Element, JsValue> {
    let e = el(doc, tag, class)?;
    e.set_text_content(Some(text));
    Ok(e)
}

/// `<button type="button" data-action="…">label</button>`.
pub fn button(doc: &Document, action: &str, label: &str, class: &str) -> Result<Element, JsValue> {
    let b = text(doc, "button", class, label)?;
    b.set_attribute("type", "button")?;
    b.set_attribute("data-action", action)?;
    Ok(b)
}

/// Appends every child to `parent`.
pub fn append(parent: &Element, children: &[&Element]) -> Result<(), JsValue> {
    for c in children {
        parent.append_child(c)?;
    }
    Ok(())
}

/// Focuses an element without scrolling the page.
pub fn focus(e: &Element) {
    if let Some(h) = e.dyn_ref::<web_sys::HtmlElement>() {
        let opts = object();
        set(&opts, "preventScroll", &JsValue::TRUE);
        let f = get(h, "focus");
        if let Some(f) = f.dyn_ref::<js_sys::Function>() {
            let _ = f.call1(h, &opts);
        }
    }
}

/// `console.warn(message)`.
pub fn warn(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(message));
}

/// A callback for the page's lifetime (event listeners, observers, timers). One closure type for
/// all of them keeps the wasm small; each casts its argument.
pub fn callback(f: impl FnMut(JsValue) + 'static) -> Function {
    Closure::<dyn FnMut(JsValue)>::new(f).into_js_value().unchecked_into()
}
