//! Small helpers over the DOM and JS values.

use alloc::string::String;

use js_sys::{Function, Reflect, JSON};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, Window};

pub fn window() -> Option<Window> {
    web_sys::window()
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

/// Sets a string property.
pub fn set_str(obj: &JsValue, key: &str, value: &str) {
    set(obj, key, &JsValue::from_str(value));
}

/// A plain object `{}`.
pub fn object() -> JsValue {
    js_sys::Object::new().into()
}

/// `JSON.parse(text)`, or `undefined`.
pub fn parse(text: &str) -> JsValue {
    JSON::parse(text).unwrap_or(JsValue::UNDEFINED)
}

/// The parts, joined.
pub fn concat(parts: &[&str]) -> String {
    let mut out = String::new();
    for p in parts {
        out.push_str(p);
    }
    out
}

/// `N` bytes from `crypto.getRandomValues`.
pub fn random<const N: usize>() -> Option<[u8; N]> {
    let mut out = [0u8; N];
    window()?.crypto().ok()?.get_random_values_with_u8_array(&mut out).ok()?;
    Some(out)
}

/// Focuses an element without scrolling the page.
pub fn focus(e: &Element) {
    let opts = object();
    set(&opts, "preventScroll", &JsValue::TRUE);
    if let Some(f) = get(e, "focus").dyn_ref::<Function>() {
        let _ = f.call1(e, &opts);
    }
}

/// `console.warn("[kelisim] " + message…)`.
pub fn warn(parts: &[&str]) {
    let mut message = String::from("[kelisim] ");
    for p in parts {
        message.push_str(p);
    }
    web_sys::console::warn_1(&JsValue::from_str(&message));
}

/// A JS function for the page's lifetime (event listeners, observers, timers, the API). One
/// closure type for all of them keeps the wasm small; each casts its argument.
pub fn callback(f: impl FnMut(JsValue) -> JsValue + 'static) -> Function {
    Closure::<dyn FnMut(JsValue) -> JsValue>::new(f).into_js_value().unchecked_into()
}

/// [`callback`] for a handler with nothing to return.
pub fn listener(mut f: impl FnMut(JsValue) + 'static) -> Function {
    callback(move |e| {
        f(e);
        JsValue::UNDEFINED
    })
}
