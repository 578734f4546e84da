//! What the loader lends the wasm: synchronous browser operations on an object of its own
//! (`host` in `js/loader.js`). None of them throws; each is a few lines of JS.

use alloc::string::String;
use alloc::vec::Vec;

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
extern "C" {
    /// The loader's host object.
    pub type Host;

    /// `localStorage[key]` (or the page's in-memory copy where storage throws).
    #[wasm_bindgen(method, structural)]
    pub fn load(this: &Host, key: &str) -> Option<String>;

    /// Stores `value` under `key`; `None` removes it.
    #[wasm_bindgen(method, structural)]
    pub fn save(this: &Host, key: &str, value: Option<String>);

    /// Shows an element tree of [`crate::ui`]: the banner (`"banner"`) or a dialog
    /// (`"settings"`, `"policy"`; not twice), mounting the widget first.
    #[wasm_bindgen(method, structural)]
    pub fn show(this: &Host, kind: &str, tree: &str);

    /// Closes the banner and every dialog, returning focus where it was.
    #[wasm_bindgen(method, structural, js_name = closeAll)]
    pub fn close_all(this: &Host);

    /// Says `message` in the widget's polite live region.
    #[wasm_bindgen(method, structural)]
    pub fn status(this: &Host, message: &str);

    /// Puts decisions in force on the page: `gtag('consent', 'update', update)`, the
    /// `kelisim:change` event and subscribers with `{decisions, action}`, then the marked scripts
    /// now allowed. `decisions` and `update` are JSON objects (`{name: "granted" | "denied"}`).
    #[wasm_bindgen(method, structural)]
    pub fn apply(this: &Host, decisions: &str, action: &str, update: &str);

    /// Starts loading (or making) the visitor key, so a choice does not wait for it.
    #[wasm_bindgen(method, structural)]
    pub fn warm(this: &Host);

    /// Records the queued choices (see `Widget::claims`), then flushes the outbox.
    #[wasm_bindgen(method, structural)]
    pub fn record(this: &Host);

    /// Delivers the outbox (see `Widget::due`).
    #[wasm_bindgen(method, structural)]
    pub fn flush(this: &Host);

    /// `console.warn("[kelisim] " + message)`.
    #[wasm_bindgen(method, structural)]
    pub fn warn(this: &Host, message: &str);

    /// `n` bytes from `crypto.getRandomValues` (none if the browser has none).
    #[wasm_bindgen(method, structural)]
    pub fn random(this: &Host, n: u32) -> Vec<u8>;

    /// `Date.now()`.
    #[wasm_bindgen(method, structural)]
    pub fn now(this: &Host) -> f64;
}
